"""The operator example files shipped in sample_data/examples/ (and how they were made).

- ``mag_new_hazards_utm48n.zip``: new hazards as an operator's GIS exports them: UTM zone
  48N with a .prj, the operator's own field names (mapping below), Lao-script values.
- ``npa_releases_with_errors.zip``: releases against demo hazards, a few with the mistakes
  operators make, so the review page has findings to show.

Run ``python -m ims.sample.examples`` to write them again.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.affinity import rotate, scale
from shapely.geometry import Point, Polygon

from ims.resources import EXAMPLES_DIR
from ims.sample.files import write_zipped_shapefile
from ims.sample.generator import generate
from ims.sample.provinces import load_provinces

MAG_MAPPING = "hazard_id=HAZ_REF,status=TYPE,recorded=DATE_REC,munitions=ITEMS_EST,operator=ORG"
VILLAGES = ["ບ້ານນາ", "ບ້ານໂພນສະຫວັນ", "ບ້ານທົ່ງໄຮຫີນ", "ບ້ານຫ້ວຍຊາຍ", "ບ້ານນາດີ", "ບ້ານລາດຫ້ວງ"]


def _ellipse(x: float, y: float, length: float, ratio: float, angle: float) -> Polygon:
    """A strike footprint in metres (UTM), 32 vertices."""
    circle = Point(x, y).buffer(length / 2, quad_segs=8)
    return rotate(scale(circle, 1.0, 1.0 / ratio), angle)


def mag_hazards() -> gpd.GeoDataFrame:
    """Twelve new hazards near Phonsavan, in UTM 48N, with MAG's own field names."""
    rng = np.random.default_rng(48)
    geoms, rows = [], []
    # Phonsavan, Xiangkhouang: about 48N 311 km E, 2151 km N
    for i in range(12):
        x = 311_000 + rng.uniform(-12_000, 12_000)
        y = 2_151_000 + rng.uniform(-9_000, 9_000)
        geoms.append(
            _ellipse(x, y, rng.uniform(150, 500), rng.uniform(1.5, 3.5), rng.uniform(0, 180))
        )
        rows.append(
            {
                "HAZ_REF": f"MAG-XI-2026-{i + 1:03d}",
                "TYPE": "confirmed" if i % 3 == 0 else "suspected",
                "DATE_REC": (dt.date(2026, 3, 2) + dt.timedelta(days=int(7 * i))).isoformat(),
                "ITEMS_EST": (
                    f"BLU-26:{int(rng.integers(10, 200))};BLU-24:{int(rng.integers(0, 9))}"
                ),
                "ORG": "MAG",
                "BAN": VILLAGES[i % len(VILLAGES)],
                "NOTE": "ພົບລູກລະເບີດໃນນາເຂົ້າ" if i % 2 else "ຊາວບ້ານລາຍງານ",
            }
        )
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=32648)


def npa_releases(seed: int = 7, hazards: int = 3000) -> gpd.GeoDataFrame:
    """Ten releases against hazards of the demo programme; six of them with a mistake."""
    data = generate(hazards, seed=seed, provinces=load_provinces())
    first = data.hazards[data.hazards["revised"].isna()].reset_index(drop=True)
    released = set(data.releases["hazard_id"])
    open_hazards = first[~first["hazard_id"].isin(released)].head(10).reset_index(drop=True)
    rows, geoms = [], []
    for i, hz in open_hazards.iterrows():
        geom = hz.geometry
        minx, miny, maxx, maxy = geom.bounds
        half = shapely.clip_by_rect(geom, minx, miny, (minx + maxx) / 2, maxy)
        rows.append(
            {
                "release_id": f"NPA-2026-{i + 1:03d}",
                "hazard_id": hz["hazard_id"],
                "method": "TS" if i % 2 else "clearance",
                "released": "2026-05-15",
                "operator": "NPA",
                "items": "BLU-26:3" if i % 2 == 0 else "",
                "area_m2": None,
            }
        )
        geoms.append(half)
    far = shapely.affinity.translate(geoms[1], xoff=0.05)
    x0, y0, x1, y1 = geoms[5].bounds
    bowtie = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])
    mistakes: list[tuple[int, dict[str, Any], Any]] = [
        (1, {}, far),  # misses its hazard
        (2, {"method": "sweeping"}, None),  # unknown method
        (3, {"released": "2031-05-15"}, None),  # in the future
        (4, {"items": "BLU26:4"}, None),  # BLU-26 mistyped
        (5, {}, bowtie),  # self-intersecting
        (6, {"area_m2": 99999.0}, None),  # stated area far from the polygon's
    ]
    for i, changes, geom in mistakes:
        rows[i].update(changes)
        if geom is not None:
            geoms[i] = geom
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=4326)


def write_examples(out_dir: Path = EXAMPLES_DIR) -> list[Path]:
    """Write both example files into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        write_zipped_shapefile(
            mag_hazards(), out_dir / "mag_new_hazards_utm48n.zip", "mag_hazards"
        ),
        write_zipped_shapefile(
            npa_releases(), out_dir / "npa_releases_with_errors.zip", "npa_releases"
        ),
    ]


if __name__ == "__main__":
    for written in write_examples():
        print(written)
