"""Benchmark of a national migration: a legacy data set as authorities hold it, brought in.

    .venv/bin/python bench/migration.py --suspect 11000 --cleared 8300

Generates a legacy-like data set in the shape of a real national one: suspect areas with no
ids and no dates, typed "Suspected Minefield" or "Confirmed Minefield"; cleared areas with no
hazard ids, most of them on ground where no hazard was recorded; about 16 % null geometries
and 6 % self-intersecting polygons, as in the real set. It makes a database of its own in
the embedded cluster (migrated, the Lao boundaries loaded) and times, each as a process of
its own, exactly what docs/migration.md tells an authority to run:

    ims import suspect.gpkg --kind hazards --mapping suspect.json --repair --approve --partial
    ims import cleared.gpkg --kind releases --mapping cleared.json --repair --approve --partial
    ims report article7 --year 2020

and prints what was recorded, what was refused and why (findings by kind), the land
released outside recorded hazards, and the time of each step. ``--keep`` leaves the
database in place afterwards (DATABASE, in the embedded cluster).
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pipeline import run, say
from shapely.geometry import Polygon
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from ims.config import configure_logging, get_settings
from ims.db.migrate import upgrade
from ims.db.recording import load_boundaries
from ims.db.session import app_url, embedded_cluster
from ims.ingest.boundaries import read_boundaries
from ims.sample import BOUNDARIES_DIR

DATABASE = "ims_bench_migration"
NULL_SHARE = 0.16
BROKEN_SHARE = 0.06
ON_HAZARD_SHARE = 0.09  # of the cleared areas, those on a suspect area (the real set: 737/8215)

SUSPECT_MAPPING = {
    "fields": {"hazard_id": "LEG-S-{row:05}", "status": "typeArea"},
    "constants": {"recorded": "2015-01-01", "contam": "APM"},
    "values": {"status": {"Suspected Minefield": "SHA", "Confirmed Minefield": "CHA"}},
}
CLEARED_MAPPING = {
    "fields": {"release_id": "LEG-C-{row:05}", "released": "clearDate"},
    "constants": {"method": "cleared", "contam": "APM"},
}


def _quad(rng: random.Random, x: float, y: float, size: float) -> Polygon:
    """A random convex-ish quadrilateral of about ``size`` degrees around (x, y)."""
    corners = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
    return Polygon(
        [
            (x + cx * size * rng.uniform(0.6, 1.0), y + cy * size * rng.uniform(0.6, 1.0))
            for cx, cy in corners
        ]
    )


def _broken(poly: Polygon) -> Polygon:
    """The same polygon with two vertices swapped: a bow tie, self-intersecting."""
    xy = list(poly.exterior.coords)[:-1]
    xy[1], xy[2] = xy[2], xy[1]
    return Polygon(xy)


def generate(folder: Path, suspect: int, cleared: int, seed: int) -> tuple[Path, Path]:
    """The two legacy files, and their mapping documents beside them."""
    rng = random.Random(seed)
    country = shapely.union_all(
        [f.geometry for f in read_boundaries(BOUNDARIES_DIR / "LAO_ADM1.geojson")]
    )
    shapely.prepare(country)
    xmin, ymin, xmax, ymax = country.bounds

    def inside() -> tuple[float, float]:
        while True:
            x, y = rng.uniform(xmin, xmax), rng.uniform(ymin, ymax)
            if country.contains(shapely.Point(x, y)):
                return x, y

    def damaged(poly: Polygon) -> Polygon | None:
        roll = rng.random()
        if roll < NULL_SHARE:
            return None
        if roll < NULL_SHARE + BROKEN_SHARE:
            return _broken(poly)
        return poly

    areas = [_quad(rng, *inside(), rng.uniform(0.0005, 0.003)) for _ in range(suspect)]
    suspect_frame = gpd.GeoDataFrame(
        {
            "typeArea": [
                rng.choice(["Suspected Minefield"] * 3 + ["Confirmed Minefield"]) for _ in areas
            ],
            "village": [f"Ban {rng.randrange(1, 900):03d}" for _ in areas],
        },
        geometry=[damaged(a) for a in areas],
        crs=4326,
    )
    cleared_geoms = []
    for _ in range(cleared):
        if rng.random() < ON_HAZARD_SHARE:
            base = areas[rng.randrange(len(areas))]
            c = base.centroid
            shift = base.length / 8
            cleared_geoms.append(
                _quad(rng, c.x + rng.uniform(-shift, shift), c.y, rng.uniform(0.0003, 0.001))
            )
        else:
            cleared_geoms.append(_quad(rng, *inside(), rng.uniform(0.0002, 0.001)))
    dates = [f"{rng.randrange(2016, 2021)}-{rng.randrange(1, 13):02d}-15" for _ in cleared_geoms]
    cleared_frame = gpd.GeoDataFrame(
        {"clearDate": dates, "team": [f"Team {rng.randrange(1, 40)}" for _ in dates]},
        geometry=[damaged(g) for g in cleared_geoms],
        crs=4326,
    )
    paths = []
    for name, frame, mapping in (
        ("suspect", suspect_frame, SUSPECT_MAPPING),
        ("cleared", cleared_frame, CLEARED_MAPPING),
    ):
        path = folder / f"{name}.gpkg"
        frame.to_file(path, driver="GPKG")
        (folder / f"{name}.json").write_text(json.dumps(mapping, indent=2), encoding="utf-8")
        paths.append(path)
    nulls = int(suspect_frame.geometry.isna().sum() + cleared_frame.geometry.isna().sum())
    say(
        f"generated {suspect:,} suspect and {cleared:,} cleared areas ({nulls:,} without "
        "geometry, about 6 % self-intersecting, no ids, cleared areas without hazard ids)"
    )
    return paths[0], paths[1]


def set_up_database() -> tuple[dict[str, str], str]:
    """A fresh database with the Lao boundaries; the environment pointing at it."""
    import os

    cluster = embedded_cluster(get_settings())
    cluster.up()
    cluster.drop_database(DATABASE)
    cluster.ensure_database(DATABASE)
    owner_url = cluster.url(DATABASE)
    engine = create_engine(owner_url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        for level, file in ((1, "LAO_ADM1.geojson"), (2, "LAO_ADM2.geojson")):
            load_boundaries(
                session, read_boundaries(BOUNDARIES_DIR / file), level=level, source=file
            )
    engine.dispose()
    env = dict(os.environ)
    env.update(
        IMS_DATABASE_URL=app_url(owner_url),
        IMS_ADMIN_DATABASE_URL=owner_url,
        PYTHONUNBUFFERED="1",
        COLUMNS="200",
        TERM="dumb",
    )
    return env, owner_url


def outcome(owner_url: str) -> None:
    """What was recorded, what was left out and why, and what is counted apart."""
    engine = create_engine(owner_url)
    with engine.connect() as db:
        hazards = db.scalar(text("SELECT count(*) FROM hazard"))
        releases = db.scalar(text("SELECT count(*) FROM release"))
        split = db.scalar(text("SELECT count(*) FROM release WHERE attributes ? 'split_from'"))
        outside, outside_m2 = db.execute(
            text("SELECT count(*), coalesce(sum(area_m2), 0) FROM outside_release")
        ).one()
        left = db.execute(
            text(
                "SELECT s.kind, f.code, count(DISTINCT f.row_number) FROM finding f "
                "JOIN submission s ON s.id = f.submission_id WHERE f.severity = 'error' "
                "GROUP BY 1, 2 ORDER BY 1, 3 DESC"
            )
        ).all()
        repaired = db.scalar(text("SELECT count(*) FROM finding WHERE code = 'repaired_geometry'"))
    engine.dispose()
    say("\nrecorded")
    say(f"  {hazards:,} hazards; {releases:,} releases against them ({split:,} parts of splits)")
    say(f"  {outside:,} released outside recorded hazards, {outside_m2 / 1e6:,.2f} km² apart")
    say(f"  {repaired:,} polygons repaired (each a finding with its area before and after)")
    say("left out, with their findings (features)")
    for kind, code, n in left:
        say(f"  {kind:9s} {code:24s} {n:7,}")


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suspect", type=int, default=11_000)
    parser.add_argument("--cleared", type=int, default=8_300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    configure_logging("WARNING")
    logging.getLogger("ims").setLevel(logging.WARNING)
    np.random.seed(args.seed)
    with tempfile.TemporaryDirectory(prefix="ims-migration-") as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        suspect, cleared = generate(folder, args.suspect, args.cleared, args.seed)
        say(f"  in {time.perf_counter() - t:.1f} s")
        env, owner_url = set_up_database()
        steps = []
        for label, path, kind in (
            ("suspect areas", suspect, "hazards"),
            ("cleared areas", cleared, "releases"),
        ):
            mapping = path.with_suffix(".json")
            command = ["import", str(path), "--kind", kind, "--mapping", str(mapping)]
            command += ["--repair", "--approve", "--partial", "--show", "5"]
            steps.append((label, run(label, command, env)))
        report = folder / "a7.json"
        steps.append(
            (
                "Article 7",
                run(
                    "Article 7 report 2020",
                    ["report", "article7", "--year", "2020", "--contam", "APM", "-o", str(report)],
                    env,
                ),
            )
        )
        released = json.loads(report.read_text(encoding="utf-8"))["released"][-1]
        outcome(owner_url)
        say(
            f"Form 1(i) 2020 (APM): cleared {released['cleared_m2'] / 1e6:,.3f} km², released "
            f"outside recorded hazards {released['released_outside_hazards_m2'] / 1e6:,.3f} km²"
        )
    say("\nsummary")
    for name, (wall, features, peak) in steps:
        rate = f"{features / wall:8,.0f} features/s" if features else " " * 19
        say(f"  {name:14s} {wall:7.1f} s  {rate}  peak {peak:6,.0f} MB")
    if not args.keep:
        embedded_cluster(get_settings()).drop_database(DATABASE)


if __name__ == "__main__":
    main()
