"""Benchmark: reading, validating and staging a national-scale upload.

Generates N hazards and records them (the existing national database), then generates
another N hazards with references of their own, writes them as one zipped shapefile in the
exchange template and stages it as an operator's submission: read with pyogrio,
reprojected, validated feature by feature (including the overlap check against every open
hazard) and stored for review. Prints features/s for each step and the peak memory.

Run by hand (not in the tests); it works in a database of its own in the embedded cluster:

    .venv/bin/python bench/uploads.py --hazards 100000
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from ims.config import configure_logging, get_settings
from ims.db import ledger
from ims.db.migrate import upgrade
from ims.db.recording import load_boundaries, record_hazards
from ims.db.session import embedded_cluster
from ims.domain.records import NewHazard
from ims.ingest import submissions
from ims.ingest.boundaries import read_boundaries
from ims.ingest.records import hazard_records
from ims.sample import BOUNDARIES_DIR, generate, load_provinces, write

DATABASE = "ims_bench_uploads"


def say(message: str) -> None:
    print(message, flush=True)


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hazards", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stage", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    configure_logging("WARNING")
    logging.getLogger("ims").setLevel(logging.WARNING)
    if args.stage:
        stage(args.stage, args.url)
        return

    cluster = embedded_cluster(get_settings())
    cluster.up()
    cluster.drop_database(DATABASE)
    cluster.ensure_database(DATABASE)
    engine = create_engine(cluster.url(DATABASE))
    upgrade(engine)
    provinces = load_provinces()

    t = time.perf_counter()
    existing = generate(args.hazards, seed=args.seed, provinces=provinces)
    first = existing.hazards[existing.hazards["revised"].isna()]
    with Session(engine) as session, session.begin():
        for level, name in ((1, "LAO_ADM1.geojson"), (2, "LAO_ADM2.geojson")):
            load_boundaries(session, read_boundaries(BOUNDARIES_DIR / name), level=level)
        hazards = [h for h in hazard_records(first) if isinstance(h, NewHazard)]
        ids = record_hazards(session, hazards, refresh_ledger=False)
        ledger.refresh_many(session, ids)
    say(f"existing database: {len(ids):,} hazards recorded in {time.perf_counter() - t:.1f} s")

    upload = generate(args.hazards, seed=args.seed + 1, provinces=provinces)
    new = upload.hazards[upload.hazards["revised"].isna()].copy()
    new["hazard_id"] = "N" + new["hazard_id"]
    upload = dataclasses.replace(upload, hazards=new, releases=upload.releases.iloc[:0])
    with tempfile.TemporaryDirectory(prefix="ims-bench-") as folder:
        paths = write(upload, Path(folder), formats=("shp",))
        path = next(p for p in paths if "hazards" in p.name)
        size = path.stat().st_size
        say(f"upload: {path.name}, {len(new):,} features, {size / 1e6:,.1f} MB zipped")

        # Staged in a process of its own, so its peak memory is the staging's alone.
        engine.dispose()
        subprocess.run(
            [sys.executable, __file__, "--stage", str(path), "--url", cluster.url(DATABASE)],
            check=True,
        )


def stage(path: Path, url: str) -> None:
    """Stage ``path`` as a hazards submission and print the figures."""
    engine = create_engine(url)
    steps: dict[str, float] = {}

    def progress(message: str) -> None:
        steps[message] = time.perf_counter()

    t = time.perf_counter()
    with Session(engine) as session, session.begin():
        outcome = submissions.stage(
            session,
            path,
            kind="hazards",
            organisation="Bench",
            new_organisation=True,
            progress=progress,
        )
        n = outcome.submission.feature_count
    elapsed = time.perf_counter() - t
    marks = [t, *steps.values(), t + elapsed]
    names = ["set-up", *(m.split(" ")[0] for m in steps)]
    for name, start, end in zip(names, marks, marks[1:], strict=False):
        say(f"  {name:10s} {end - start:6.1f} s")
    counts = Counter(f"{f.severity.value} {f.code}" for f in outcome.findings)
    say(f"findings: {', '.join(f'{n:,} {code}' for code, n in counts.most_common())}")
    say(f"staged {n:,} features in {elapsed:.1f} s: {n / elapsed:,.0f} features/s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    say(f"peak memory of the staging process: {peak:,.0f} MB")
    engine.dispose()


if __name__ == "__main__":
    main()
