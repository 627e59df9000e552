"""A deterministic, plausible national Lao PDR cluster-munition data set in the ims template.

`generate` makes hazards (with their revisions) and land-release results in the canonical
exchange template of docs/design.md §6; `write` saves them as GeoPackages or zipped shapefiles,
the files an operator would upload.

How the picture is built:

- **Where.** Hazards lie inside the province polygons, ~85 % in the historically most
  bombed provinces (Xiangkhouang, Savannakhet, Salavan, Xekong, Attapeu, Houaphan,
  Khammouane, Champasak), many of them in clusters around strike hot spots, and wholly
  inside the country (50 m from its border at least), as `ims import` requires.
- **Shape.** Cluster-munition strike footprints: elongated jittered ellipses (24–36
  vertices), merged strings of 2–4 overlapping ellipses, a few multipolygons and a few
  polygons with a hole; mostly 0.5–50 ha. Shapes are built in metres, in bulk, in one
  Lambert azimuthal equal-area frame centred on the country (planar areas there equal
  geodesic areas to ~1e-6) and reprojected to EPSG:4326 in one vectorised pass. Release
  polygons are cut from the EPSG:4326 hazards, so they share the hazard's vertices and
  their neighbours' cut lines exactly.
- **When.** Most hazards are recorded in the baseline survey year (`start_year`), more are
  discovered every later year. Suspected areas (SHA) are cancelled by non-technical survey
  in whole or in part, many are reclassified to CHA (a revision with the same boundary), a
  few get a boundary revision (grown or shrunk); confirmed areas are reduced by technical
  survey and cleared in successive strips. Releases dated after 31 December `end_year`
  have not happened and are left out, so the data set ends with work in progress.
- **Findings on purpose**, listed in `SampleData.anomalies` (see `ANOMALY_KINDS`): a few
  hazards overlap another; a few percent of releases overlap the previous release of the
  same hazard or extend a little outside it; a few are back-dated (submitted late, so
  their `release_id` comes after releases with later dates); a very few are exact
  duplicates under a new `release_id`; a few stated areas are 10–30 % off. Every release
  is dated on or after its hazard's `recorded` date, a cancellation always falls while the
  hazard is an SHA and a reduction or clearance while it is a CHA.

Everything is drawn from one `numpy.random.default_rng(seed)`, so a seed always gives the
same data set.
"""

from __future__ import annotations

import logging
import os
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyogrio
import shapely
from pyproj import Transformer

from ims.domain.enums import Contamination, HazardStatus, ReleaseMethod

__all__ = [
    "ANOMALY_KINDS",
    "BOUNDARIES_DIR",
    "HAZARD_FIELDS",
    "OPERATORS",
    "PRIORITY_PROVINCES",
    "RELEASE_FIELDS",
    "Progress",
    "SampleData",
    "generate",
    "load_provinces",
    "write",
]

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""Progress callback: (what is being done, stages done, number of stages)."""

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]
Geoms = npt.NDArray[np.object_]

# The package lives in <repo>/ims/sample/, so parents[2] is the repository root: the
# boundaries ship in the repository (sample_data/boundaries), not inside the package.
from ims.resources import BOUNDARIES_DIR  # noqa: E402  (the checkout's, or the installed copy)

HAZARD_FIELDS: Final = (
    "hazard_id",
    "status",
    "contam",
    "recorded",
    "revised",
    "used_from",
    "used_to",
    "munitions",
    "marked",
    "operator",
)
RELEASE_FIELDS: Final = (
    "release_id",
    "hazard_id",
    "method",
    "released",
    "operator",
    "items",
    "area_m2",
)
ANOMALY_FIELDS: Final = ("kind", "hazard_id", "release_id", "detail")

ANOMALY_KINDS: Final = {
    "hazard_overlap": "the hazard overlaps another hazard (detail: the other hazard_id)",
    "boundary_shrunk": "a boundary revision shrank the hazard (an adjustment, docs/design.md §2.3)",
    "release_overlaps_previous": "the release overlaps the previous release of its hazard",
    "release_outside_hazard": "the release extends a little outside its hazard",
    "back_dated": "submitted late: its release_id follows releases with later dates",
    "duplicate_release": "exact copy of another release (detail) under a new release_id",
    "area_mismatch": "the stated area_m2 is 10-30 % off the polygon's area",
}

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

# Munition codes as in the munition_type reference list (migrations: 0002).
_CMR_TYPES: Final = ("BLU-26", "BLU-24", "BLU-36", "BLU-61", "BLU-63", "M42", "BLU-97")
_CMR_P: Final = (0.62, 0.10, 0.08, 0.08, 0.06, 0.04, 0.02)
_ERW_TYPES: Final = ("BOMB", "ROCKET", "MORTAR", "PROJECTILE")
_CODES: Final = (*_CMR_TYPES, *_ERW_TYPES, "APM")
_N_CMR: Final = len(_CMR_TYPES)
_APM_COL: Final = len(_CODES) - 1
_OTHER_FOUND_COLS: Final = (
    _CODES.index("MORTAR"),
    _CODES.index("ROCKET"),
    _CODES.index("PROJECTILE"),
)

_EPOCH: Final = date(1970, 1, 1)
_HA: Final = 10_000.0
_MIN_RELEASE_M2: Final = 10.0
_PARALLEL_MIN: Final = 20_000
_CHUNK: Final = 25_000  # geometries per chunk of bulk work: bounds the temporary arrays
_WGS84_A: Final = 6_378_137.0
_WGS84_E2: Final = 6.694379990141317e-3
_M_PER_DEGREE: Final = 111_320.0  # a degree of latitude, near enough for a buffer margin
# Hazards keep this far inside the national boundary, so that neither they nor the 5-25 m
# by which a few releases overrun their hazard on purpose ever cross it.
_BORDER_MARGIN_M: Final = 50.0
_SEPARATION_ROUNDS: Final = 20

_SHA: Final = HazardStatus.SHA.value
_CHA: Final = HazardStatus.CHA.value
_METHODS: Final = (
    ReleaseMethod.CANCELLED.value,
    ReleaseMethod.REDUCED.value,
    ReleaseMethod.CLEARED.value,
)
_CANCEL, _REDUCE, _CLEAR = 0, 1, 2


@dataclass(frozen=True)
class SampleData:
    """A generated data set: hazard and release features in the ims template (EPSG:4326).

    `hazards` has one row per hazard feature (`HAZARD_FIELDS` + geometry): the first feature
    of each hazard has `revised` None, revisions follow with a `revised` date. `releases`
    has one row per land-release result (`RELEASE_FIELDS` + geometry), ordered by
    `release_id`. `anomalies` lists the deliberate oddities (`ANOMALY_FIELDS`, kinds in
    `ANOMALY_KINDS`) so checks and tests can tell them from mistakes.
    """

    hazards: gpd.GeoDataFrame
    releases: gpd.GeoDataFrame
    anomalies: pd.DataFrame


# --------------------------------------------------------------------------- public API


def load_provinces() -> gpd.GeoDataFrame:
    """Read the Lao PDR provinces (level 1) shipped in `<repo>/sample_data/boundaries/`.

    The file is found from this module's location (`BOUNDARIES_DIR`, i.e.
    `Path(__file__).resolve().parents[2] / "sample_data" / "boundaries"`), so it works from
    a checkout or an editable install, not from a wheel without the repository.
    """
    frame = pyogrio.read_dataframe(BOUNDARIES_DIR / "LAO_ADM1.geojson")
    return frame.to_crs(4326) if frame.crs is not None else frame.set_crs(4326)


def generate(
    n_hazards: int,
    *,
    seed: int = 1,
    provinces: gpd.GeoDataFrame | None = None,
    start_year: int = 2010,
    end_year: int | None = None,
    progress: Progress | None = None,
) -> SampleData:
    """Generate `n_hazards` hazards and their land-release history from `start_year` to `end_year`.

    `provinces` are the level-1 polygons to place hazards in (default: `load_provinces()`);
    their code is read from `shapeISO` (or `code` / `admin_code`), and its part after the
    dash prefixes the hazard ids (`XI-000123`). `end_year` defaults to last year; nothing is
    dated after 31 December of it. `progress`, if given, is called after each stage with
    (stage description, stages done, number of stages).
    """
    if n_hazards < 0:
        raise ValueError("n_hazards must be zero or more")
    end_year = date.today().year - 1 if end_year is None else end_year
    if end_year < start_year:
        raise ValueError(f"end_year {end_year} is before start_year {start_year}")
    if provinces is None:
        provinces = load_provinces()
    if n_hazards == 0:
        return _empty()

    return _Generator(
        n_hazards,
        rng=np.random.default_rng(seed),
        provinces=_Provinces.from_frame(provinces),
        start_year=start_year,
        end_year=end_year,
        progress=progress,
    ).run()


def write(data: SampleData, out_dir: Path, *, formats: Sequence[str] = ("gpkg",)) -> list[Path]:
    """Write hazards and releases to `out_dir` in each format; return the files written.

    `"gpkg"` writes `hazards.gpkg` and `releases.gpkg` (layers `hazards` and `releases`,
    geometry type MultiPolygon); `"shp"` writes `hazards.zip` and `releases.zip`, zipped
    shapefiles with `.prj` and a `.cpg` that declares UTF-8. Dates are ISO 8601 strings in
    both. Existing files are replaced.
    """
    unknown = [f for f in formats if f not in ("gpkg", "shp")]
    if unknown:
        raise ValueError(f"unknown format(s) {', '.join(unknown)}: use gpkg or shp")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for fmt in formats:
        for name, frame in (("hazards", data.hazards), ("releases", data.releases)):
            if fmt == "gpkg":
                written.append(_write_gpkg(frame, out_dir / f"{name}.gpkg", name))
            else:
                written.append(_write_zipped_shapefile(frame, out_dir / f"{name}.zip", name))
    return written


# --------------------------------------------------------------------------- writing


def _write_gpkg(frame: gpd.GeoDataFrame, path: Path, layer: str) -> Path:
    """Write one frame as a single-layer GeoPackage, replacing the file."""
    path.unlink(missing_ok=True)
    pyogrio.write_dataframe(
        frame, path, layer=layer, driver="GPKG", promote_to_multi=True, geometry_type="MultiPolygon"
    )
    return path


def _write_zipped_shapefile(frame: gpd.GeoDataFrame, path: Path, name: str) -> Path:
    """Write one frame as a UTF-8 shapefile and zip its parts flat into `path`."""
    with tempfile.TemporaryDirectory(prefix="ims-sample-") as tmp:
        shp = Path(tmp) / f"{name}.shp"
        pyogrio.write_dataframe(frame, shp, driver="ESRI Shapefile", encoding="UTF-8")
        cpg = shp.with_suffix(".cpg")
        if not cpg.exists():  # GDAL writes it for UTF-8; make sure whatever the version
            cpg.write_text("UTF-8", encoding="ascii")
        parts = sorted(p for p in Path(tmp).iterdir() if p.stem == name)
        path.unlink(missing_ok=True)
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for part in parts:
                archive.write(part, arcname=part.name)
    return path


# --------------------------------------------------------------------------- provinces


@lru_cache(maxsize=8)
def _transformers(lat0: float, lon0: float) -> tuple[Transformer, Transformer]:
    """Forward (lon/lat → metres) and inverse transformers of an equal-area local frame."""
    laea = f"+proj=laea +lat_0={lat0} +lon_0={lon0} +ellps=WGS84 +units=m +no_defs"
    return (
        Transformer.from_crs("EPSG:4326", laea, always_xy=True),
        Transformer.from_crs(laea, "EPSG:4326", always_xy=True),
    )


@dataclass(frozen=True)
class _Provinces:
    """Province polygons in the local metre frame, with sampling weights and operators."""

    codes: list[str]
    prefixes: list[str]
    geoms: Geoms  # in the local frame, prepared
    inner: shapely.Geometry  # the country less a _BORDER_MARGIN_M band, local frame, prepared
    bounds: F64  # (P, 4)
    fill: F64  # polygon area / bounding-box area
    weights: F64  # share of hazards
    operator_cdf: F64  # (P, len(OPERATORS)) cumulative operator shares
    to_metres: Transformer
    to_degrees: Transformer

    @classmethod
    def from_frame(cls, frame: gpd.GeoDataFrame) -> _Provinces:
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
        geoms = _reproject(np.asarray(frame.geometry.values, dtype=object), fwd)
        shapely.prepare(geoms)
        # The country as `ims import` sees it: the union of the provinces, holes (gaps
        # between provinces) included.
        inner = shapely.buffer(shapely.union_all(geoms), -_BORDER_MARGIN_M)
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


# --------------------------------------------------------------------------- geometry helpers


def _reproject(geoms: Geoms, transformer: Transformer) -> Geoms:
    """All coordinates of `geoms` through `transformer`: vectorised, chunk by chunk."""

    def fn(xy: F64) -> F64:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    out = np.empty(len(geoms), dtype=object)
    for lo in range(0, len(geoms), _CHUNK):
        out[lo : lo + _CHUNK] = shapely.transform(geoms[lo : lo + _CHUNK], fn)
    return out


def _in_threads(fn: Callable[..., Geoms], *arrays: Any) -> Geoms:
    """Run a vectorised shapely function over chunks in threads (GEOS releases the GIL)."""
    size = len(arrays[0])
    workers = min(os.cpu_count() or 1, 4)
    if size < _PARALLEL_MIN or workers < 2:
        return fn(*arrays)
    edges = np.linspace(0, size, workers + 1).astype(np.int64)

    def run(span: tuple[int, int]) -> Geoms:
        return fn(*(a[span[0] : span[1]] for a in arrays))

    with ThreadPoolExecutor(workers) as pool:
        parts = list(pool.map(run, zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True)))
    return np.concatenate(parts)


def _translated(geoms: Geoms, dx: F64, dy: F64) -> Geoms:
    """Each geometry moved by its own (dx, dy)."""
    counts = shapely.get_num_coordinates(geoms)
    offsets = np.repeat(np.column_stack([dx, dy]), counts, axis=0)
    return np.asarray(shapely.transform(geoms, lambda xy: xy + offsets), dtype=object)


def _scaled(geoms: Geoms, factor: F64) -> Geoms:
    """Each geometry scaled about its centroid by its own factor (an affine map: stays valid)."""
    counts = shapely.get_num_coordinates(geoms)
    centre = np.repeat(shapely.get_coordinates(shapely.centroid(geoms)), counts, axis=0)
    scale = np.repeat(factor, counts)[:, None]
    return np.asarray(
        shapely.transform(geoms, lambda xy: centre + (xy - centre) * scale), dtype=object
    )


def _ellipses(
    rng: np.random.Generator,
    cx: F64,
    cy: F64,
    a: F64,
    b: F64,
    rot: F64,
    *,
    vertices: I64 | tuple[int, int] = (24, 36),
    jitter: float = 0.03,
) -> Geoms:
    """Jittered ellipse polygons with `vertices` corners each (a count per ellipse or a range).

    Vertices keep strictly increasing angles about the centre with positive radii, so each
    ring is star-shaped and therefore simple: every polygon is valid by construction. Built
    in chunks to bound the temporary arrays.
    """
    m = cx.size
    k = rng.integers(vertices[0], vertices[1] + 1, m) if isinstance(vertices, tuple) else vertices
    phase = rng.uniform(0, 2 * np.pi, m)
    out = np.empty(m, dtype=object)
    for lo in range(0, m, _CHUNK):
        hi = min(lo + _CHUNK, m)
        kk = k[lo:hi]
        owner = np.repeat(np.arange(lo, hi), kk)
        pos = np.arange(owner.size) - np.repeat(np.cumsum(kk) - kk, kk)
        step = 2 * np.pi / k[owner]
        theta = phase[owner] + step * (pos + rng.uniform(-0.3, 0.3, owner.size))
        radius = 1.0 + np.clip(rng.normal(0.0, jitter, owner.size), -3 * jitter, 3 * jitter)
        ex = a[owner] * np.cos(theta) * radius
        ey = b[owner] * np.sin(theta) * radius
        cos, sin = np.cos(rot[owner]), np.sin(rot[owner])
        xy = np.column_stack([cx[owner] + ex * cos - ey * sin, cy[owner] + ex * sin + ey * cos])
        rings = shapely.linearrings(xy, indices=owner - lo)
        out[lo:hi] = shapely.polygons(rings)
    return out


def _polygonal(geoms: Geoms) -> Geoms:
    """Keep only the polygonal part of overlay results (None where nothing polygonal is left)."""
    out = geoms.copy()
    kinds = shapely.get_type_id(geoms)
    odd = np.flatnonzero((kinds != 3) & (kinds != 6))
    for i in odd.tolist():
        parts = shapely.get_parts(geoms[i])
        polys = [p for p in parts if shapely.get_type_id(p) == 3 and not p.is_empty]
        out[i] = (
            None if not polys else polys[0] if len(polys) == 1 else shapely.multipolygons(polys)
        )
    return out


def _ellipsoidal_area(geoms: Geoms) -> F64:
    """Area in m² on the WGS84 ellipsoid of small EPSG:4326 polygons (0 for empty ones).

    The planar lon/lat area times the ellipsoid's area element at the polygon's centroid
    latitude; the error is second order in the polygon's extent (~1e-8 for a kilometre).
    """
    deg2 = np.asarray(shapely.area(geoms), dtype=np.float64)
    lat = np.zeros(deg2.size)
    some = deg2 > 0
    lat[some] = np.radians(shapely.get_y(shapely.centroid(geoms[some])))
    sin2 = np.sin(lat) ** 2
    meridian = _WGS84_A * (1 - _WGS84_E2) / (1 - _WGS84_E2 * sin2) ** 1.5
    normal = _WGS84_A / np.sqrt(1 - _WGS84_E2 * sin2)
    return np.asarray(
        np.nan_to_num(deg2) * meridian * normal * np.cos(lat) * (np.pi / 180) ** 2,
        dtype=np.float64,
    )


def _group_cumsum(values: F64, counts: I64) -> F64:
    """Cumulative sums restarting at each group of consecutive `counts` elements."""
    total = np.cumsum(values)
    starts = np.cumsum(counts) - counts
    before = np.where(starts > 0, total[np.maximum(starts - 1, 0)], 0.0)
    return np.asarray(total - np.repeat(before, counts), dtype=np.float64)


def _multinomial(rng: np.random.Generator, counts: I64, p: F64) -> I64:
    """One multinomial draw per row (`counts[i]` over the probabilities `p[i]`)."""
    if len(counts) == 0:
        return np.zeros(p.shape, dtype=np.int64)
    return np.asarray(rng.multinomial(counts, p), dtype=np.int64)


def _pick_cdf(rng: np.random.Generator, cdf: F64) -> I64:
    """One draw per row from rows of cumulative probabilities."""
    u = rng.random(len(cdf))
    picked = np.minimum((u[:, None] > cdf).sum(axis=1), cdf.shape[1] - 1)
    return np.asarray(picked, dtype=np.int64)


def _days_to_iso(days: I64) -> list[str]:
    """Day numbers since 1970-01-01 as ISO 8601 date strings."""
    return [str(s) for s in np.datetime_as_string(days.astype("datetime64[D]"), unit="D")]


def _year_start(years: I64) -> I64:
    """Day number of 1 January of each year."""
    return (years - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)


def _code_strings(counts: I64) -> list[str]:
    """Rows of a (rows, codes) count matrix as `TYPE:QTY;TYPE:QTY` ('' for an empty row)."""
    rows, cols = np.nonzero(counts)
    tokens = [
        f"{_CODES[c]}:{q}" for c, q in zip(cols.tolist(), counts[rows, cols].tolist(), strict=True)
    ]
    ends = np.cumsum(np.bincount(rows, minlength=counts.shape[0])).tolist()
    out: list[str] = []
    start = 0
    for end in ends:
        out.append(";".join(tokens[start:end]))
        start = end
    return out


def _empty() -> SampleData:
    """A data set with no features but the template's columns."""
    hazards = gpd.GeoDataFrame(
        {f: pd.Series(dtype=object) for f in HAZARD_FIELDS}, geometry=[], crs=4326
    )
    hazards["used_from"] = hazards["used_from"].astype(np.int64)
    hazards["used_to"] = hazards["used_to"].astype(np.int64)
    releases = gpd.GeoDataFrame(
        {f: pd.Series(dtype=object) for f in RELEASE_FIELDS}, geometry=[], crs=4326
    )
    releases["area_m2"] = releases["area_m2"].astype(np.float64)
    return SampleData(hazards, releases, pd.DataFrame({f: [] for f in ANOMALY_FIELDS}))


# --------------------------------------------------------------------------- the generator


_STAGES: Final = (
    "placing hazards",
    "building footprints",
    "separating hazards",
    "drawing the timeline",
    "reprojecting to EPSG:4326",
    "cutting release polygons",
    "remnants and attributes",
    "assembling tables",
)


class _Generator:
    """One generation run; the stages share arrays over the hazards (n) and releases (m)."""

    def __init__(
        self,
        n: int,
        *,
        rng: np.random.Generator,
        provinces: _Provinces,
        start_year: int,
        end_year: int,
        progress: Progress | None,
    ) -> None:
        """Keep the run's parameters; nothing is drawn yet."""
        self.n = n
        self.rng = rng
        self.prov = provinces
        self.start_year = start_year
        self.end_year = end_year
        self.end_day = (date(end_year, 12, 31) - _EPOCH).days
        self.progress = progress
        self.stage = 0

    def _done(self) -> None:
        """Report the stage just finished."""
        self.stage += 1
        log.debug("sample generation: %s done", _STAGES[self.stage - 1])
        if self.progress is not None:
            self.progress(_STAGES[self.stage - 1], self.stage, len(_STAGES))

    def run(self) -> SampleData:
        """Run every stage and return the data set."""
        for stage in (
            self._place,
            self._footprints,
            self._separate,
            self._timeline,
            self._reproject,
            self._cut_releases,
            self._attributes,
        ):
            stage()
            self._done()
        data = self._assemble()
        self._done()
        log.debug(
            "generated %d hazards (%d features) and %d releases",
            self.n,
            len(data.hazards),
            len(data.releases),
        )
        return data

    # ----------------------------------------------------------------------- locations

    def _uniform_points(self, which: I64) -> tuple[F64, F64]:
        """Points uniformly (by area) inside the given province of each row."""
        x = np.empty(which.size)
        y = np.empty(which.size)
        for p in np.unique(which).tolist():
            rows = np.flatnonzero(which == p)
            x[rows], y[rows] = self._points_in(p, rows.size)
        return x, y

    def _points_in(self, p: int, count: int) -> tuple[F64, F64]:
        """`count` points inside province `p` by bulk rejection sampling."""
        minx, miny, maxx, maxy = self.prov.bounds[p]
        xs: list[F64] = []
        ys: list[F64] = []
        need = count
        while need > 0:
            k = int(need / self.prov.fill[p] * 1.3) + 16
            x = self.rng.uniform(minx, maxx, k)
            y = self.rng.uniform(miny, maxy, k)
            inside = shapely.contains_xy(self.prov.geoms[p], x, y)
            xs.append(x[inside][:need])
            ys.append(y[inside][:need])
            need -= xs[-1].size
        return np.concatenate(xs), np.concatenate(ys)

    def _place(self) -> None:
        """Province of each hazard and its centre; ~60 % gathered around strike hot spots."""
        rng, n = self.rng, self.n
        self.province = rng.choice(len(self.prov.codes), size=n, p=self.prov.weights).astype(
            np.int64
        )
        x, y = self._uniform_points(self.province)
        clustered = rng.random(n) < 0.6
        for p in np.unique(self.province).tolist():
            rows = np.flatnonzero(clustered & (self.province == p))
            if rows.size == 0:
                continue
            n_spots = max(1, round(np.count_nonzero(self.province == p) / 120))
            sx, sy = self._points_in(p, n_spots)
            sigma = rng.uniform(1500.0, 6000.0, n_spots)
            spot = rng.integers(0, n_spots, rows.size)
            cx = sx[spot] + rng.normal(0.0, 1.0, rows.size) * sigma[spot]
            cy = sy[spot] + rng.normal(0.0, 1.0, rows.size) * sigma[spot]
            inside = shapely.contains_xy(self.prov.geoms[p], cx, cy)
            x[rows[inside]] = cx[inside]
            y[rows[inside]] = cy[inside]
        self.x, self.y = x, y

    # ----------------------------------------------------------------------- footprints

    def _footprints(self) -> None:
        """Strike footprints at the origin: ellipses, merged strings, multipolygons, holes."""
        rng, n = self.rng, self.n
        # 0 single ellipse, 1 merged string of 2-4 ellipses, 2 separate parts, 3 with a hole
        kind = rng.choice(4, size=n, p=[0.56, 0.30, 0.10, 0.04])
        u = rng.random(n)
        lo = np.where(u < 0.05, 0.25, np.where(u > 0.97, 40.0, 0.6)) * _HA
        hi = np.where(u < 0.05, 0.6, np.where(u > 0.97, 120.0, 40.0)) * _HA
        area = np.exp(rng.uniform(np.log(lo), np.log(hi)))
        parts = np.ones(n, dtype=np.int64)
        parts[kind == 1] = rng.integers(2, 5, np.count_nonzero(kind == 1))
        parts[kind == 2] = rng.integers(2, 4, np.count_nonzero(kind == 2))
        part_area = np.where(kind == 1, area / (parts * 0.7), area / parts)
        heading = rng.uniform(0.0, np.pi, n)

        # Component layers: layer L holds the L-th part of every hazard with more than L.
        px = np.zeros(n)
        py = np.zeros(n)
        prev_a = np.zeros(n)
        owners: list[I64] = []
        cxs: list[F64] = []
        cys: list[F64] = []
        axes_a: list[F64] = []
        axes_b: list[F64] = []
        rots: list[F64] = []
        for layer in range(int(parts.max())):
            own = np.flatnonzero(parts > layer)
            aspect = rng.uniform(1.5, 4.0, own.size)
            a = np.sqrt(part_area[own] * aspect / np.pi)
            b = a / aspect
            rot = np.where(
                kind[own] == 2,
                rng.uniform(0.0, np.pi, own.size),
                heading[own] + rng.normal(0.0, 0.15, own.size),
            )
            if layer > 0:
                merged = kind[own] == 1
                # A string of strikes overlaps along the flight line; separate parts do not
                # (parts fit in circles of 1.1 a, so 1.25 (a + a') apart never touch).
                gap = np.where(
                    merged, rng.uniform(0.35, 0.6, own.size), rng.uniform(1.25, 2.0, own.size)
                ) * (prev_a[own] + a)
                direction = heading[own] + np.where(merged, 0.0, rng.uniform(-0.6, 0.6, own.size))
                lateral = np.where(merged, rng.normal(0.0, 0.3, own.size) * b, 0.0)
                px[own] += gap * np.cos(direction) - lateral * np.sin(direction)
                py[own] += gap * np.sin(direction) + lateral * np.cos(direction)
            prev_a[own] = a
            owners.append(own)
            cxs.append(px[own].copy())
            cys.append(py[own].copy())
            axes_a.append(a)
            axes_b.append(b)
            rots.append(rot)
        owner = np.concatenate(owners)
        cx, cy = np.concatenate(cxs), np.concatenate(cys)
        # About 24-40 vertices a hazard once merged: fewer per part when there are several.
        per_part = np.where(kind == 1, 1.5 / parts, np.where(kind == 2, 0.65, 1.0))[
            owner
        ] * rng.uniform(24, 36, owner.size)
        vertices = np.maximum(12, np.rint(per_part)).astype(np.int64)
        # Centre every hazard on the mean of its parts' centres.
        mean_x = np.bincount(owner, weights=cx, minlength=n) / parts
        mean_y = np.bincount(owner, weights=cy, minlength=n) / parts
        comps = _ellipses(
            rng,
            cx - mean_x[owner],
            cy - mean_y[owner],
            np.concatenate(axes_a),
            np.concatenate(axes_b),
            np.concatenate(rots),
            vertices=vertices,
        )
        local = comps[:n].copy()  # layer 0 is every hazard in order
        offset = n
        for own in owners[1:]:
            local[own] = _in_threads(shapely.union, local[own], comps[offset : offset + own.size])
            offset += own.size
        holed = np.flatnonzero(kind == 3)
        if holed.size:
            a0, b0 = axes_a[0][holed], axes_b[0][holed]
            shift = rng.uniform(-0.2, 0.2, holed.size) * a0
            hole_a = b0 * rng.uniform(0.15, 0.3, holed.size)
            holes = _ellipses(
                rng,
                shift * np.cos(rots[0][holed]),
                shift * np.sin(rots[0][holed]),
                hole_a,
                hole_a / rng.uniform(1.0, 1.8, holed.size),
                rng.uniform(0.0, np.pi, holed.size),
                vertices=(12, 18),
                jitter=0.02,
            )
            local[holed] = shapely.difference(local[holed], holes)
        self.local = local
        self.kind = kind

    # ----------------------------------------------------------------------- overlaps

    def _separate(self) -> None:
        """Move hazards off each other and inside the border; ~2 % overlap a neighbour on purpose.

        A footprint centred near the border may reach across it, and `ims import` refuses a
        polygon outside the country (a release cut from such a hazard can lie wholly
        outside): such hazards move, like overlapping ones, to a free spot in their
        province at least _BORDER_MARGIN_M inside the border.
        """
        rng, n, inside = self.rng, self.n, self.prov.inside
        placed = _translated(self.local, self.x, self.y)
        anchored = np.zeros(n, dtype=bool)
        n_pairs = round(0.02 * n)
        if n_pairs and n >= 2 * n_pairs:
            chosen = rng.choice(n, size=2 * n_pairs, replace=False)
            movers, partners = chosen[:n_pairs], chosen[n_pairs:]
            coords, index = shapely.get_coordinates(placed[partners], return_index=True)
            counts = np.bincount(index, minlength=n_pairs)
            vertex = np.cumsum(counts) - counts + rng.integers(0, counts)
            # Centred on a vertex of its partner's boundary: the two overlap in part.
            self.x[movers], self.y[movers] = coords[vertex, 0], coords[vertex, 1]
            self.province[movers] = self.province[partners]
            placed[movers] = _translated(self.local[movers], self.x[movers], self.y[movers])
            overlapping = (
                shapely.intersects(placed[movers], placed[partners])
                & inside(placed[movers])
                & inside(placed[partners])
            )
            anchored[movers[overlapping]] = True
            anchored[partners[overlapping]] = True
        moving = np.union1d(
            self._conflicts(placed, anchored, None), np.flatnonzero(~inside(placed))
        )
        for _ in range(_SEPARATION_ROUNDS):
            if moving.size == 0:
                break
            self._relocate(placed, moving, tries=8 if moving.size > 1000 else 64)
            moving = np.union1d(
                self._conflicts(placed, anchored, moving), moving[~inside(placed[moving])]
            )
        if moving.size:
            log.debug("%d hazards still overlap another after separation", moving.size)
        self._pull_inside(placed)
        # Report every overlap there is: the planned pairs, and any other contact among them.
        i, j = shapely.STRtree(placed).query(placed, predicate="intersects")
        self.overlap_pairs = [(a, b) for a, b in zip(i.tolist(), j.tolist(), strict=True) if a < b]
        self.placed = placed
        del self.local  # only needed to move hazards about

    def _relocate(self, placed: Geoms, moving: I64, tries: int) -> None:
        """Move each hazard to the first of a few random spots in its province that is free.

        Where the priority provinces are crowded a random spot is often taken; trying
        several at once settles nearly every hazard in one round. A hazard with no free
        spot among its tries stays put (and is tried again next round).
        """
        rep = np.repeat(moving, tries)
        x, y = self._uniform_points(self.province[rep])
        candidates = _translated(self.local[rep], x, y)
        hit, other = shapely.STRtree(placed).query(candidates, predicate="intersects")
        taken = ~self.prov.inside(candidates)
        taken[hit[other != rep[hit]]] = True  # its own old place is no obstacle
        free = ~taken.reshape(moving.size, tries)
        settled = free.any(axis=1)
        pick = (np.arange(moving.size) * tries + free.argmax(axis=1))[settled]
        rows = moving[settled]
        self.x[rows], self.y[rows] = x[pick], y[pick]
        placed[rows] = candidates[pick]

    def _pull_inside(self, placed: Geoms) -> None:
        """Clip to the country's inner part what found no free spot inside it (rare).

        A footprint with nothing left becomes a small disc at a point of its province well
        inside the border (it may overlap another hazard: the overlap is then listed).
        """
        out = np.flatnonzero(~self.prov.inside(placed))
        if out.size == 0:
            return
        log.debug("clipping %d hazards that found no free spot inside the border", out.size)
        clipped = _polygonal(shapely.intersection(placed[out], self.prov.inner))
        empty = shapely.is_missing(clipped) | (shapely.area(clipped) < 100 * _MIN_RELEASE_M2)
        for i in np.flatnonzero(empty).tolist():
            p = self.province[out[i]]
            deeper = shapely.buffer(self.prov.inner, -_BORDER_MARGIN_M)
            room = shapely.intersection(self.prov.geoms[p], deeper)
            centre = shapely.point_on_surface(room if not room.is_empty else self.prov.inner)
            clipped[i] = shapely.buffer(centre, 0.8 * _BORDER_MARGIN_M, quad_segs=8)
        placed[out] = clipped

    @staticmethod
    def _conflicts(placed: Geoms, anchored: Mask, subset: I64 | None) -> I64:
        """Hazards to move: one of each intersecting pair (the smaller), never an anchored one."""
        tree = shapely.STRtree(placed)
        if subset is None:
            i, j = tree.query(placed, predicate="intersects")
            keep = i > j
        else:
            k, j = tree.query(placed[subset], predicate="intersects")
            i = subset[k]
            in_subset = np.zeros(len(placed), dtype=bool)
            in_subset[subset] = True
            keep = (i != j) & (~in_subset[j] | (i > j))  # a pair of movers moves one
        i, j = i[keep], j[keep]
        # Move the smaller of the two: a small footprint finds a free spot more easily.
        area = shapely.area(placed[i]), shapely.area(placed[j])
        small, large = np.where(area[0] <= area[1], i, j), np.where(area[0] <= area[1], j, i)
        mover = np.where(~anchored[small], small, np.where(~anchored[large], large, -1))
        return np.unique(mover[mover >= 0]).astype(np.int64)

    # ----------------------------------------------------------------------- timeline

    def _timeline(self) -> None:
        """Recording dates, status, boundary revisions, reclassifications and release plans."""
        rng, n = self.rng, self.n
        years = np.arange(self.start_year, self.end_year + 1)
        later = years[1:]
        baseline = rng.random(n) < 0.65 if later.size else np.ones(n, dtype=bool)
        year = np.full(n, self.start_year, dtype=np.int64)
        if later.size:
            w = 1.0 + 0.5 * (later - self.start_year).astype(np.float64)
            year[~baseline] = rng.choice(later, size=np.count_nonzero(~baseline), p=w / w.sum())
        first = _year_start(year)
        length = _year_start(year + 1) - first
        self.recorded = first + (rng.random(n) * length).astype(np.int64)

        sha = rng.random(n) < np.where(baseline, 0.78, 0.45)
        self.sha0 = sha
        # Boundary revisions: ~5 %, grown (60 %) or shrunk, soon after recording.
        self.bound_rev = rng.random(n) < 0.05
        self.bound_day = self.recorded + rng.integers(15, 300, n)
        grow = rng.random(n) < 0.6
        self.bound_factor = np.where(grow, rng.uniform(1.04, 1.15, n), rng.uniform(0.85, 0.96, n))
        self.final = self.placed.copy()
        rev = np.flatnonzero(self.bound_rev)
        self.final[rev] = _scaled(self.placed[rev], self.bound_factor[rev])
        # A revised boundary that would reach across the border is not made.
        across = rev[~self.prov.inside(self.final[rev])]
        self.bound_rev[across] = False
        self.final[across] = self.placed[across]
        t0 = np.where(self.bound_rev, self.bound_day, self.recorded) + 1

        # Fates. SHA: cancel whole | cancel part then confirm | confirm then work |
        # confirm only | untouched. CHA: work | untouched.
        u = rng.random(n)
        n_cancel = np.zeros(n, dtype=np.int64)
        reclass = np.zeros(n, dtype=bool)
        worked = np.zeros(n, dtype=bool)
        cancel_all = sha & (u < 0.25)
        cancel_part = sha & (u >= 0.25) & (u < 0.55)
        confirm_work = sha & (u >= 0.55) & (u < 0.77)
        confirm_only = sha & (u >= 0.77) & (u < 0.87)
        n_cancel[cancel_all] = np.where(rng.random(np.count_nonzero(cancel_all)) < 0.75, 1, 2)
        n_cancel[cancel_part] = rng.integers(1, 3, np.count_nonzero(cancel_part))
        reclass[cancel_part | confirm_work | confirm_only] = True
        worked[cancel_part | confirm_work] = True
        worked[~sha & (u < 0.8)] = True
        n_work = np.where(worked, 1 + rng.poisson(5.5, n), 0).clip(0, 12)
        n_reduce = np.minimum(rng.choice(3, size=n, p=[0.55, 0.35, 0.10]), n_work)

        # One row per planned release piece, in cutting order along the hazard.
        pieces = n_cancel + n_work
        owner = np.repeat(np.arange(n), pieces)
        order = np.arange(owner.size) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        cancelling = order < n_cancel[owner]
        method = np.where(
            cancelling,
            _CANCEL,
            np.where(order - n_cancel[owner] < n_reduce[owner], _REDUCE, _CLEAR),
        )
        phase_first = (order == 0) | (order == n_cancel[owner])
        gap = rng.integers(0, 45, owner.size).astype(np.float64)
        gap = np.where(cancelling, gap, gap * 2 + 3)  # clearance moves slower than survey
        gap[phase_first] = 0.0
        # Days after the start of each phase (cancellations, then survey and clearance).
        phase_id = owner * 2 + (~cancelling).astype(np.int64)
        phase_counts = np.bincount(np.unique(phase_id, return_inverse=True)[1]).astype(np.int64)
        offset = _group_cumsum(gap, phase_counts).astype(np.int64)

        # Capacity, not backlog, sets the pace: the clearance of each hazard starts at a day
        # drawn uniformly between its recording and a horizon some years past end_year (so
        # every year sees a similar amount of work, and some is still to come); its survey
        # (cancellations, reclassification) falls between recording and that start.
        def between(lo: I64, hi: I64 | int) -> I64:
            return np.asarray(lo + (rng.random(n) * np.maximum(hi - lo, 0)), dtype=np.int64)

        survey_horizon = self.end_day + 365
        planned_work = between(t0, self.end_day + 4 * 365)
        last_cancel = np.zeros(n, dtype=np.int64)
        np.maximum.at(last_cancel, owner[cancelling], offset[cancelling])
        cancel_start = np.where(
            worked, between(t0, t0 + (planned_work - t0) * 3 // 5), between(t0, survey_horizon)
        )
        survey_end = np.where(n_cancel > 0, cancel_start + last_cancel + 10, t0)
        self.reclass = reclass
        self.reclass_day = np.where(
            worked,
            between(survey_end, planned_work),
            between(survey_end, np.maximum(survey_end, survey_horizon)),
        )
        self.cha_day = np.where(sha, self.reclass_day, self.recorded)  # CHA from this day
        work_start = np.maximum(planned_work, np.where(reclass, self.reclass_day, t0)) + 1
        day = np.where(cancelling, cancel_start[owner], work_start[owner]) + offset
        self.pieces = pieces
        self.piece_owner = owner
        self.piece_order = order
        self.piece_method = method.astype(np.int64)
        self.piece_day = day.astype(np.int64)

    # ----------------------------------------------------------------------- reprojection

    def _reproject(self) -> None:
        """Hazard polygons to EPSG:4326 in one pass; anything the transform broke is repaired."""
        rev = np.flatnonzero(self.bound_rev)
        every = _reproject(np.concatenate([self.placed, self.final[rev]]), self.prov.to_degrees)
        broken = np.flatnonzero(~shapely.is_valid(every))
        if broken.size:
            log.debug("repairing %d hazard polygons after reprojection", broken.size)
            every[broken] = _polygonal(shapely.make_valid(every[broken]))
        n = self.n
        self.placed_deg = every[:n]
        self.final_deg = every[:n].copy()
        self.final_deg[rev] = every[n:]
        self.final_m2 = np.asarray(shapely.area(self.final), dtype=np.float64)
        del self.placed  # the final boundary in metres is still needed to lay out cuts

    # ----------------------------------------------------------------------- releases

    def _cut_releases(self) -> None:
        """Release polygons: strips across the hazard, a sub-ellipse and the rest, or whole.

        Cuts are laid out in the metre frame and applied to the EPSG:4326 hazards, so a
        release shares its hazard's vertices and its neighbours' cut lines exactly, as the
        area accounting sees them (cutting in metres and reprojecting would leave slivers).
        """
        rng, n = self.rng, self.n
        owner, order, pieces = self.piece_owner, self.piece_order, self.pieces
        m = owner.size
        final, hazard = self.final, self.final_deg
        base = hazard[owner]

        outside = rng.random(m) < 0.02
        if outside.any():
            margin = rng.uniform(5.0, 25.0, np.count_nonzero(outside)) / _M_PER_DEGREE
            base[outside] = shapely.buffer(base[outside], margin, quad_segs=2)

        ellipse_mode = (pieces == 2) & (rng.random(n) < 0.35)
        strip_mode = (pieces >= 2) & ~ellipse_mode
        overlap = (order > 0) & strip_mode[owner] & (rng.random(m) < 0.03)
        geoms = base.copy()  # whole-hazard pieces stay as they are

        # Strips: cut the hazard across a random direction at spaced positions.
        strips = np.flatnonzero(strip_mode[owner])
        if strips.size:
            hz = np.flatnonzero(strip_mode)
            phi = rng.uniform(0.0, np.pi, n)
            coords, index = shapely.get_coordinates(final[hz], return_index=True)
            cos, sin = np.cos(phi[hz])[index], np.sin(phi[hz])[index]
            p = coords[:, 0] * cos + coords[:, 1] * sin
            q = coords[:, 1] * cos - coords[:, 0] * sin
            starts = np.cumsum(np.bincount(index, minlength=hz.size))
            starts = np.concatenate([[0], starts[:-1]])
            pmin = np.full(n, np.nan)
            pmax = np.full(n, np.nan)
            qmin = np.full(n, np.nan)
            qmax = np.full(n, np.nan)
            pmin[hz] = np.minimum.reduceat(p, starts)
            pmax[hz] = np.maximum.reduceat(p, starts)
            qmin[hz] = np.minimum.reduceat(q, starts) - 200.0
            qmax[hz] = np.maximum.reduceat(q, starts) + 200.0
            o = owner[strips]
            width = rng.uniform(1.0, 2.0, strips.size)
            frac = _group_cumsum(width, pieces[strip_mode]) / np.repeat(
                np.bincount(o, weights=width, minlength=n)[strip_mode], pieces[strip_mode]
            )
            span = pmax[o] - pmin[o]
            hi = pmin[o] + span * (0.06 + 0.88 * frac)
            lo = np.concatenate([[0.0], hi[:-1]])
            first = order[strips] == 0
            last = order[strips] == pieces[o] - 1
            lo = np.where(first, pmin[o] - 200.0, lo)
            hi = np.where(last, pmax[o] + 200.0, hi)
            lo = np.where(overlap[strips], lo - rng.uniform(0.1, 0.3, strips.size) * (hi - lo), lo)
            c, s = np.cos(phi[o]), np.sin(phi[o])
            corners_p = np.column_stack([lo, hi, hi, lo])
            corners_q = np.column_stack([qmin[o], qmin[o], qmax[o], qmax[o]])
            xy = np.stack(
                [
                    corners_p * c[:, None] - corners_q * s[:, None],
                    corners_p * s[:, None] + corners_q * c[:, None],
                ],
                axis=-1,
            )
            # Neighbouring strips share their corner points, hence their edge after
            # reprojection too.
            rects = _reproject(np.asarray(shapely.polygons(xy), dtype=object), self.prov.to_degrees)
            geoms[strips] = _in_threads(shapely.intersection, base[strips], rects)
            del rects

        # Sub-ellipse: the first piece is the hazard inside it, the second the rest.
        sub = np.flatnonzero(ellipse_mode[owner])
        if sub.size:
            hz = np.flatnonzero(ellipse_mode)
            centre = shapely.get_coordinates(shapely.centroid(final[hz]))
            radius = np.sqrt(shapely.area(final[hz]) / np.pi)
            a = radius * rng.uniform(0.6, 1.0, hz.size)
            cut = _ellipses(
                rng,
                centre[:, 0] + rng.normal(0.0, 0.2, hz.size) * radius,
                centre[:, 1] + rng.normal(0.0, 0.2, hz.size) * radius,
                a,
                a / rng.uniform(1.0, 1.8, hz.size),
                rng.uniform(0.0, np.pi, hz.size),
            )
            cut = _reproject(cut, self.prov.to_degrees)
            where = np.searchsorted(hz, owner[sub])
            inner = order[sub] == 0
            geoms[sub[inner]] = shapely.intersection(base[sub[inner]], cut[where[inner]])
            geoms[sub[~inner]] = shapely.difference(base[sub[~inner]], cut[where[~inner]])
        del self.final, base

        geoms = _polygonal(geoms)
        area = np.zeros(m)
        present = ~shapely.is_missing(geoms)
        area[present] = _ellipsoidal_area(geoms[present])
        # What a piece of a buffered hazard holds of the hazard itself: a strip across the
        # gap between two parts of a hazard holds nothing but buffer, a release that would
        # miss its hazard (an error `ims import` refuses), so it is no release at all.
        inside = area.copy()
        rows = np.flatnonzero(outside & present)
        inside[rows] = _ellipsoidal_area(shapely.intersection(geoms[rows], hazard[owner[rows]]))
        keep = (inside >= _MIN_RELEASE_M2) & (self.piece_day <= self.end_day)
        geoms, area, inside, owner = geoms[keep], area[keep], inside[keep], owner[keep]
        outside, overlap = outside[keep], overlap[keep]
        # Flag only what really happened: a piece inside the hazard anyway, or whose
        # predecessor was empty, is no anomaly.
        outside &= area - inside > 1.0
        rows = np.flatnonzero(overlap & (np.arange(owner.size) > 0))
        prev = rows - 1
        same = owner[prev] == owner[rows]
        common = np.zeros(rows.size)
        common[same] = _ellipsoidal_area(shapely.intersection(geoms[rows[same]], geoms[prev[same]]))
        overlap[:] = False
        overlap[rows] = common > 1.0
        broken = np.flatnonzero(~shapely.is_valid(geoms))
        if broken.size:
            log.debug("repairing %d release polygons", broken.size)
            geoms[broken] = _polygonal(shapely.make_valid(geoms[broken]))
        self.rel_deg = geoms
        self.rel_area = area
        self.rel_owner = owner
        self.rel_method = self.piece_method[keep]
        self.rel_day = self.piece_day[keep]
        self.rel_outside = outside
        self.rel_overlap = overlap

    # ----------------------------------------------------------------------- attributes

    def _attributes(self) -> None:
        """Contamination, estimated remnants, years of use, marking, operators, items found."""
        rng, n = self.rng, self.n
        contam = rng.choice(3, size=n, p=[0.94, 0.04, 0.02])  # CMR, ERW, APM
        self.contam = np.array(
            [Contamination.CMR.value, Contamination.ERW.value, Contamination.APM.value],
            dtype=object,
        )[contam]
        area_ha = self.final_m2 / _HA

        # Estimated remnants: 1-3 cluster munition types, BLU-26 most often the main one.
        estimate = np.zeros((n, len(_CODES)), dtype=np.int64)
        keys = np.log(np.array(_CMR_P)) + rng.gumbel(size=(n, _N_CMR))
        rank = np.argsort(np.argsort(-keys, axis=1), axis=1)
        n_types = rng.choice([1, 2, 3], size=n, p=[0.5, 0.35, 0.15])
        weight = np.where(rank < n_types[:, None], rng.gamma(1.0, size=(n, _N_CMR)), 0.0)
        weight = np.where(rank == 0, weight + 2.0, weight)
        density = rng.lognormal(np.log(6.0), 0.9, n)
        total = np.maximum(1, np.rint(area_ha * density)).astype(np.int64)
        cmr = contam == 0
        estimate[cmr, :_N_CMR] = _multinomial(
            rng, total[cmr], weight[cmr] / weight[cmr].sum(axis=1, keepdims=True)
        )
        erw = np.flatnonzero(contam == 1)
        estimate[erw, _N_CMR + rng.integers(0, len(_ERW_TYPES), erw.size)] = rng.integers(
            1, 15, erw.size
        )
        apm = np.flatnonzero(contam == 2)
        estimate[apm, _APM_COL] = rng.integers(5, 60, apm.size)
        self.estimate = estimate

        # Years of use: the bombing of 1964-1973, most heavily 1968-1970.
        years_p = np.array([2, 4, 6, 8, 12, 14, 13, 10, 7], dtype=np.float64)
        self.used_from = 1964 + rng.choice(9, size=n, p=years_p / years_p.sum())
        self.used_to = np.minimum(
            1973, self.used_from + rng.choice(4, size=n, p=[0.3, 0.3, 0.25, 0.15])
        )

        # Marking (Action 18): mostly confirmed areas, soon after they are confirmed.
        is_cha = (~self.sha0) | (self.reclass & (self.reclass_day <= self.end_day))
        marked = np.where(is_cha, rng.random(n) < 0.4, rng.random(n) < 0.05)
        marked_day = np.where(is_cha, self.cha_day, self.recorded) + rng.integers(0, 365, n)
        self.marked_day = np.where(marked & (marked_day <= self.end_day), marked_day, -1)

        cdf = self.prov.operator_cdf[self.province]
        self.operator = _pick_cdf(rng, cdf)
        self.reclass_operator = np.where(rng.random(n) < 0.8, self.operator, _pick_cdf(rng, cdf))

        # Releases: the hazard's own operator mostly; items found by method.
        owner, m = self.rel_owner, self.rel_owner.size
        self.rel_operator = np.where(
            rng.random(m) < 0.8, self.operator[owner], _pick_cdf(rng, cdf[owner])
        )
        share = estimate / estimate.sum(axis=1, keepdims=True)
        hazard_density = estimate.sum(axis=1) / np.maximum(area_ha, 1e-3)
        expected = (self.rel_area / _HA) * hazard_density[owner] * rng.lognormal(0.0, 0.6, m)
        found = np.where(
            self.rel_method == _CLEAR,
            rng.poisson(np.minimum(expected, 5000.0)),
            np.where(self.rel_method == _REDUCE, np.minimum(rng.poisson(0.4, m), 3), 0),
        ).astype(np.int64)
        items = _multinomial(rng, found, share[owner])
        other = (self.rel_method == _CLEAR) & cmr[owner] & (rng.random(m) < 0.1)
        col = np.array(_OTHER_FOUND_COLS)[rng.integers(0, len(_OTHER_FOUND_COLS), m)]
        items[np.flatnonzero(other), col[other]] += 1 + rng.poisson(0.8, np.count_nonzero(other))
        self.rel_items = items

        # Stated area: the polygon's area within ~1 %, a few 10-30 % off (a finding).
        mismatch = rng.random(m) < 0.03
        factor = np.clip(rng.normal(1.0, 0.008, m), 0.98, 1.02)
        off = rng.uniform(0.10, 0.30, m) * np.where(rng.random(m) < 0.5, -1.0, 1.0)
        self.rel_mismatch = mismatch
        self.rel_stated = np.round(self.rel_area * np.where(mismatch, 1.0 + off, factor), 1)

    # ----------------------------------------------------------------------- tables

    def _assemble(self) -> SampleData:
        """Hazard features, release features and the list of deliberate anomalies."""
        rng, n = self.rng, self.n
        # Hazard ids: per province, numbered in the order hazards were recorded.
        order = np.lexsort((np.arange(n), self.recorded, self.province))
        counts = np.bincount(self.province[order], minlength=len(self.prov.codes))
        number = np.empty(n, dtype=np.int64)
        number[order] = np.arange(n) - np.repeat(np.cumsum(counts) - counts, counts) + 1
        ids = np.array(
            [
                f"{self.prov.prefixes[p]}-{k:06d}"
                for p, k in zip(self.province.tolist(), number.tolist(), strict=True)
            ],
            dtype=object,
        )

        operators = np.array(OPERATORS, dtype=object)
        munitions = np.array(_code_strings(self.estimate), dtype=object)
        recorded = np.array(_days_to_iso(self.recorded), dtype=object)
        marked = np.full(n, None, dtype=object)
        has_mark = self.marked_day >= 0
        marked[has_mark] = _days_to_iso(self.marked_day[has_mark])

        # Rows: first features, boundary revisions, SHA -> CHA reclassifications.
        bound = np.flatnonzero(self.bound_rev & (self.bound_day <= self.end_day))
        recl = np.flatnonzero(self.reclass & (self.reclass_day <= self.end_day))
        row_hazard = np.concatenate([np.arange(n), bound, recl])
        row_kind = np.repeat([0, 1, 2], [n, bound.size, recl.size])
        row_day = np.concatenate([self.recorded, self.bound_day[bound], self.reclass_day[recl]])
        row_status = np.where((row_kind == 2) | ~self.sha0[row_hazard], _CHA, _SHA).astype(object)
        row_geom = np.concatenate([self.placed_deg, self.final_deg[bound], self.final_deg[recl]])
        row_operator = np.concatenate(
            [self.operator, self.operator[bound], self.reclass_operator[recl]]
        )
        revised = np.full(row_hazard.size, None, dtype=object)
        revised[n:] = _days_to_iso(row_day[n:])
        sort = np.lexsort((row_kind, number[row_hazard], self.province[row_hazard], row_day))
        hazards = gpd.GeoDataFrame(
            {
                "hazard_id": ids[row_hazard][sort],
                "status": row_status[sort],
                "contam": self.contam[row_hazard][sort],
                "recorded": recorded[row_hazard][sort],
                "revised": pd.Series(revised[sort], dtype=object),
                "used_from": self.used_from[row_hazard][sort].astype(np.int64),
                "used_to": self.used_to[row_hazard][sort].astype(np.int64),
                "munitions": munitions[row_hazard][sort],
                "marked": pd.Series(marked[row_hazard][sort], dtype=object),
                "operator": operators[row_operator][sort],
            },
            geometry=row_geom[sort],
            crs=4326,
        ).reset_index(drop=True)

        # Releases, numbered in the order they were submitted: on the day of the work,
        # except back-dated ones (submitted 6 months to 3 years late) and duplicates
        # (the same result uploaded again later).
        m = self.rel_owner.size
        submitted = self.rel_day.copy()
        back = rng.random(m) < 0.01
        submitted[back] += rng.integers(180, 1100, np.count_nonzero(back))
        np.minimum(submitted, self.end_day, out=submitted)  # all are in by the end date
        n_dup = int(rng.binomial(m, 0.003)) if m else 0
        dup_of = rng.choice(m, size=n_dup, replace=False) if n_dup else np.zeros(0, np.int64)
        src = np.concatenate([np.arange(m), dup_of])
        resubmitted = np.minimum(submitted[dup_of] + rng.integers(1, 400, n_dup), self.end_day)
        sub_day = np.concatenate([submitted, resubmitted])
        rel_order = np.lexsort((np.arange(src.size), sub_day))
        release_ids = np.empty(src.size, dtype=object)
        release_ids[rel_order] = [f"LR-{k:07d}" for k in range(1, src.size + 1)]
        items = np.array(_code_strings(self.rel_items), dtype=object)
        released = np.array(_days_to_iso(self.rel_day), dtype=object)
        methods = np.array(_METHODS, dtype=object)
        releases = gpd.GeoDataFrame(
            {
                "release_id": release_ids[rel_order],
                "hazard_id": ids[self.rel_owner][src][rel_order],
                "method": methods[self.rel_method][src][rel_order],
                "released": released[src][rel_order],
                "operator": operators[self.rel_operator][src][rel_order],
                "items": items[src][rel_order],
                "area_m2": self.rel_stated[src][rel_order].astype(np.float64),
            },
            geometry=self.rel_deg[src][rel_order],
            crs=4326,
        ).reset_index(drop=True)

        anomalies = self._anomalies(ids, release_ids, submitted, back, dup_of, m)
        return SampleData(hazards, releases, anomalies)

    def _anomalies(
        self,
        ids: Geoms,
        release_ids: Geoms,
        submitted: I64,
        back: Mask,
        dup_of: I64,
        m: int,
    ) -> pd.DataFrame:
        """The deliberate oddities, one row each (kinds in ANOMALY_KINDS)."""
        rows: list[tuple[str, str, str | None, str]] = []
        for a, b in self.overlap_pairs:
            rows.append(("hazard_overlap", str(ids[a]), None, str(ids[b])))
            rows.append(("hazard_overlap", str(ids[b]), None, str(ids[a])))
        shrunk = self.bound_rev & (self.bound_day <= self.end_day) & (self.bound_factor < 1)
        for h in np.flatnonzero(shrunk).tolist():
            rows.append(("boundary_shrunk", str(ids[h]), None, f"x{self.bound_factor[h]:.3f}"))
        hz = ids[self.rel_owner]
        flags: tuple[tuple[str, Mask], ...] = (
            ("release_overlaps_previous", self.rel_overlap),
            ("release_outside_hazard", self.rel_outside),
            ("back_dated", back),
            ("area_mismatch", self.rel_mismatch),
        )
        for kind, mask in flags:
            for r in np.flatnonzero(mask).tolist():
                detail = ""
                if kind == "back_dated":
                    detail = f"submitted {_days_to_iso(submitted[r : r + 1])[0]}"
                if kind == "area_mismatch":
                    detail = (
                        f"stated {self.rel_stated[r]:.1f} m², polygon {self.rel_area[r]:.1f} m²"
                    )
                rows.append((kind, str(hz[r]), str(release_ids[r]), detail))
        for k, r in enumerate(dup_of.tolist()):
            rows.append(
                ("duplicate_release", str(hz[r]), str(release_ids[m + k]), str(release_ids[r]))
            )
        frame = pd.DataFrame(rows, columns=list(ANOMALY_FIELDS))
        return frame.sort_values(
            ["kind", "hazard_id", "release_id"], na_position="first"
        ).reset_index(drop=True)
