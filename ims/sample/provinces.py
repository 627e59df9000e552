"""The provinces hazards are placed in: polygons, sampling weights and their operators.

The boundaries ship with the repository; `load_provinces` reads them. `Provinces` holds
them in an equal-area metre frame centred on the country, with each province's share of
hazards (~85 % in the historically most bombed ones) and of each operator's work.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from pyproj import Transformer

from ims.resources import BOUNDARIES_DIR
from ims.sample.shapes import F64, Geoms, Mask, reproject

# Share of hazards per province: the historically most bombed provinces hold ~85 %.
PRIORITY_PROVINCES: Final = {
    "LA-XI": 0.23,  # Xiangkhouang
    "LA-SV": 0.19,  # Savannakhet
    "LA-SL": 0.14,  # Salavan
    "LA-HO": 0.10,  # Houaphan
    "LA-XE": 0.09,  # Xekong
    "LA-AT": 0.09,  # Attapeu
    "LA-KH": 0.09,  # Khammouane
    "LA-CH": 0.07,  # Champasak
}
PRIORITY_SHARE: Final = 0.85
_OTHER_PROVINCES: Final = {
    "LA-XN": 0.22,  # Xaisomboun
    "LA-LP": 0.18,  # Luang Prabang
    "LA-BL": 0.16,  # Bolikhamsai
    "LA-VI": 0.12,  # Vientiane
    "LA-PH": 0.06,  # Phongsaly
    "LA-OU": 0.06,  # Oudomxay
    "LA-XA": 0.05,  # Xaignabouli
    "LA-VT": 0.05,  # Vientiane Capital
    "LA-LM": 0.04,  # Luang Namtha
    "LA-BK": 0.03,  # Bokeo
}

OPERATORS: Final = ("UXO Lao", "MAG", "NPA", "HALO Trust", "HI", "Army Humanitarian Team 58")
_OPERATOR_BASE: Final = (0.42, 0.05, 0.03, 0.03, 0.02, 0.12)
# Where the international operators mostly work.
_OPERATOR_BOOST: Final = {
    "LA-XI": {"MAG": 0.35},
    "LA-KH": {"MAG": 0.25},
    "LA-HO": {"MAG": 0.12},
    "LA-SV": {"HALO Trust": 0.25, "HI": 0.15, "NPA": 0.05},
    "LA-SL": {"NPA": 0.20, "HALO Trust": 0.15, "HI": 0.05},
    "LA-XE": {"NPA": 0.30},
    "LA-AT": {"NPA": 0.30},
    "LA-CH": {"HI": 0.08},
}

# Hazards keep this far inside the national boundary, so that neither they nor the 5-25 m
# by which a few releases overrun their hazard on purpose ever cross it.
BORDER_MARGIN_M: Final = 50.0


def load_provinces() -> gpd.GeoDataFrame:
    """Read the Lao PDR provinces (level 1) shipped with ims (`ims.resources.BOUNDARIES_DIR`:
    the checkout's `sample_data/boundaries/`, or the installed package's copy)."""
    frame = pyogrio.read_dataframe(BOUNDARIES_DIR / "LAO_ADM1.geojson")
    return frame.to_crs(4326) if frame.crs is not None else frame.set_crs(4326)


@lru_cache(maxsize=8)
def _transformers(lat0: float, lon0: float) -> tuple[Transformer, Transformer]:
    """Forward (lon/lat → metres) and inverse transformers of an equal-area local frame."""
    laea = f"+proj=laea +lat_0={lat0} +lon_0={lon0} +ellps=WGS84 +units=m +no_defs"
    return (
        Transformer.from_crs("EPSG:4326", laea, always_xy=True),
        Transformer.from_crs(laea, "EPSG:4326", always_xy=True),
    )


@dataclass(frozen=True)
class Provinces:
    """Province polygons in the local metre frame, with sampling weights and operators."""

    codes: list[str]
    prefixes: list[str]
    geoms: Geoms  # in the local frame, prepared
    inner: shapely.Geometry  # the country less a BORDER_MARGIN_M band, local frame, prepared
    bounds: F64  # (P, 4)
    fill: F64  # polygon area / bounding-box area
    weights: F64  # share of hazards
    operator_cdf: F64  # (P, len(OPERATORS)) cumulative operator shares
    to_metres: Transformer
    to_degrees: Transformer

    @classmethod
    def from_frame(cls, frame: gpd.GeoDataFrame) -> Provinces:
        """Read codes and polygons; weight the priority provinces to ~85 % of hazards."""
        if frame.crs is not None and frame.crs.to_epsg() != 4326:
            frame = frame.to_crs(4326)
        frame = frame[~(frame.geometry.isna() | frame.geometry.is_empty)]
        if len(frame) == 0:
            raise ValueError("no province polygons to place hazards in")
        codes = _codes(frame)
        prefixes = [c.rsplit("-", 1)[-1].upper() or f"P{i}" for i, c in enumerate(codes)]
        if len(set(prefixes)) < len(prefixes):
            prefixes = [f"{p}{i}" for i, p in enumerate(prefixes)]
        minx, miny, maxx, maxy = frame.total_bounds
        fwd, inv = _transformers(round((miny + maxy) / 2, 1), round((minx + maxx) / 2, 1))
        geoms = reproject(np.asarray(frame.geometry.values, dtype=object), fwd)
        shapely.prepare(geoms)
        # The country as `ims import` sees it: the union of the provinces, holes (gaps
        # between provinces) included.
        inner = shapely.buffer(shapely.union_all(geoms), -BORDER_MARGIN_M)
        shapely.prepare(inner)
        bounds = shapely.bounds(geoms)
        box_area = (bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1])
        fill = np.clip(shapely.area(geoms) / np.maximum(box_area, 1.0), 0.02, 1.0)
        return cls(
            codes=codes,
            prefixes=prefixes,
            geoms=geoms,
            inner=inner,
            bounds=bounds,
            fill=fill,
            weights=_province_weights(codes),
            operator_cdf=_operator_cdf(codes),
            to_metres=fwd,
            to_degrees=inv,
        )

    def inside(self, geoms: Geoms) -> Mask:
        """Whether each footprint (local frame) lies wholly inside the country's inner part."""
        return np.asarray(shapely.contains(self.inner, geoms), dtype=bool)


def _codes(frame: gpd.GeoDataFrame) -> list[str]:
    """The province codes: `shapeISO`, `code` or `admin_code`, else P01, P02…."""
    for column in ("shapeISO", "code", "admin_code", "ISO", "iso"):
        if column in frame.columns:
            return [str(v) for v in frame[column]]
    return [f"P{i + 1:02d}" for i in range(len(frame))]


def _province_weights(codes: list[str]) -> F64:
    """Hazard share per province: PRIORITY_SHARE to the priority ones, the rest elsewhere."""
    priority = np.array([PRIORITY_PROVINCES.get(c, 0.0) for c in codes])
    fallback = float(np.mean(list(_OTHER_PROVINCES.values())))
    other = np.array(
        [0.0 if c in PRIORITY_PROVINCES else _OTHER_PROVINCES.get(c, fallback) for c in codes]
    )
    if priority.sum() > 0 and other.sum() > 0:
        weights = (
            PRIORITY_SHARE * priority / priority.sum() + (1 - PRIORITY_SHARE) * other / other.sum()
        )
    else:
        weights = priority + other
    return np.asarray(weights / weights.sum(), dtype=np.float64)


def _operator_cdf(codes: list[str]) -> F64:
    """Cumulative operator shares per province (rows sum to 1)."""
    shares = np.tile(np.array(_OPERATOR_BASE), (len(codes), 1))
    for i, code in enumerate(codes):
        for name, boost in _OPERATOR_BOOST.get(code, {}).items():
            shares[i, OPERATORS.index(name)] += boost
    shares /= shares.sum(axis=1, keepdims=True)
    cdf = np.cumsum(shares, axis=1)
    cdf[:, -1] = 1.0
    return np.asarray(cdf, dtype=np.float64)
