"""Benchmark of the area accounting at national scale (run by hand, not in the tests).

    .venv/bin/python bench/accounting.py --hazards 100000

Generates a national data set (docs/design.md §8 scale: 100,000 hazards, ~300,000 releases),
records it in a database of its own in the embedded cluster and prints:

(a) approving the releases: releases/s, ledger included;
(b) one year's Article 7 report, cold and warm;
(c) the same year's remaining area by one straightforward PostGIS query over the raw
    tables (ST_Difference of each hazard with the ST_Union of its releases, ST_Area on
    geography): the reference for correctness and speed;
(d) `ims db verify` over the whole database;
(e) one audit row per release inserted in one transaction (as an approval records them),
    and the seal made at its commit;
and the agreement of (b) with (c), the ratio (c)/(b) and the peak memory. Everything runs
as ims does: the application logs in as ims_app, migrations as the owner.

``--database NAME`` makes the data set in another database than ``ims_bench`` (dropped and
made again either way), so that data sets of several sizes can be kept side by side for
bench/tiles.py and bench/load.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import resource
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from ims.config import configure_logging, get_settings
from ims.db import ledger
from ims.db.migrate import upgrade
from ims.db.recording import load_boundaries, record_hazards, record_releases
from ims.db.session import app_url, embedded_cluster, make_engine
from ims.db.verify import verify_database
from ims.domain.enums import Contamination
from ims.domain.records import NewHazard
from ims.ingest.boundaries import read_boundaries
from ims.ingest.records import hazard_records, release_records
from ims.reports.article7 import ReportScope, article7
from ims.sample import generate, load_provinces

BOUNDARIES = Path(__file__).resolve().parents[1] / "sample_data" / "boundaries"

REFERENCE_SQL = """
WITH state AS (
    SELECT DISTINCT ON (r.hazard_id) r.hazard_id, r.geom
    FROM hazard_revision r JOIN hazard h ON h.id = r.hazard_id
    WHERE r.effective <= :as_of AND h.contam = :contam
    ORDER BY r.hazard_id, r.effective DESC, r.seq DESC
),
released AS (
    SELECT hazard_id, ST_Union(geom) AS geom FROM release
    WHERE released <= :as_of GROUP BY hazard_id
)
SELECT SUM(ST_Area(geography(
    CASE WHEN rel.geom IS NULL THEN s.geom ELSE ST_Difference(s.geom, rel.geom) END)))
FROM state s LEFT JOIN released rel ON rel.hazard_id = s.hazard_id
"""


# One audit row per release, as ims.db.audit records an approval's releases.
AUDIT_SQL = """
INSERT INTO audit_event (actor, action, object_type, object_id, hazard_id, before, after)
SELECT 'bench', 'release.recorded', 'release', r.reference, r.hazard_id,
       jsonb_build_object('remaining_m2', round((e.remaining_after_m2 - e.delta_m2)::numeric, 1)),
       jsonb_build_object('release', r.reference, 'method', r.method, 'released', r.released,
           'counted_m2', round((-e.delta_m2)::numeric, 1),
           'remaining_m2', round(e.remaining_after_m2::numeric, 1))
FROM release r LEFT JOIN ledger_entry e ON e.release_id = r.id
ORDER BY r.seq
"""


def peak_memory_mb() -> tuple[float, float]:
    """Peak resident memory of this process and of its largest child, in MB."""
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return me, kids


def say(message: str) -> None:
    """Print a line of the benchmark's report at once."""
    print(message, flush=True)


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hazards", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--year", type=int, default=None, help="report year (default: last)")
    parser.add_argument("--batch", type=int, default=20_000, help="releases per approval")
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--database", default="ims_bench", help="made afresh (dropped first)")
    args = parser.parse_args()
    configure_logging("WARNING")
    logging.getLogger("ims").setLevel(logging.WARNING)

    settings = get_settings()
    cluster = embedded_cluster(settings)
    cluster.up()
    cluster.drop_database(args.database)
    cluster.ensure_database(args.database)
    owner = create_engine(cluster.url(args.database))
    upgrade(owner)
    owner.dispose()
    engine = make_engine(app_url(cluster.url(args.database)))
    say(f"database: {cluster.url(args.database)}")

    t = time.perf_counter()
    with Session(engine) as session, session.begin():
        for level, name in ((1, "LAO_ADM1.geojson"), (2, "LAO_ADM2.geojson")):
            load_boundaries(session, read_boundaries(BOUNDARIES / name), level=level)
    say(f"boundaries loaded in {time.perf_counter() - t:.1f} s")

    end_year = args.year or dt.date.today().year - 1
    t = time.perf_counter()
    data = generate(args.hazards, seed=args.seed, provinces=load_provinces(), end_year=end_year)
    first = data.hazards[data.hazards["revised"].isna()]
    hazards = [h for h in hazard_records(first) if isinstance(h, NewHazard)]
    releases = list(release_records(data.releases))
    vertices = int(
        sum(len(g.exterior.coords) for p in first.geometry for g in getattr(p, "geoms", [p]))
    )
    say(
        f"generated {len(hazards):,} hazards ({vertices / len(hazards):.1f} vertices on "
        f"average) and {len(releases):,} releases in {time.perf_counter() - t:.1f} s"
    )

    t = time.perf_counter()
    with Session(engine) as session, session.begin():
        ids = record_hazards(session, hazards, refresh_ledger=False)
        t_insert = time.perf_counter() - t
        ledger.refresh_many(session, ids)
    elapsed = time.perf_counter() - t
    say(
        f"hazards recorded: {len(hazards) / t_insert:,.0f}/s insert, ledger built in "
        f"{elapsed - t_insert:.1f} s ({len(hazards) / elapsed:,.0f} hazards/s overall)"
    )

    # (a) approval of releases, in batches as submissions would arrive
    releases.sort(key=lambda r: r.released)
    t = time.perf_counter()
    for start in range(0, len(releases), args.batch):
        batch = releases[start : start + args.batch]
        with Session(engine) as session, session.begin():
            touched = record_releases(session, batch, refresh_ledger=False)
            ledger.update_after_releases(session, touched)
        done = start + len(batch)
        rate = done / (time.perf_counter() - t)
        sys.stderr.write(f"\r  approved {done:,}/{len(releases):,} ({rate:,.0f}/s)")
    sys.stderr.write("\n")
    elapsed_a = time.perf_counter() - t
    say(
        f"(a) approving {len(releases):,} releases: {elapsed_a:.1f} s, "
        f"{len(releases) / elapsed_a:,.0f} releases/s (ledger included)"
    )
    raw = create_engine(cluster.url(args.database)).raw_connection()  # VACUUM: the owner
    try:
        raw.driver_connection.autocommit = True  # type: ignore[union-attr]
        raw.driver_connection.execute("VACUUM ANALYZE")  # type: ignore[union-attr]
        raw.driver_connection.autocommit = False  # type: ignore[union-attr]
    finally:
        raw.close()

    # (b) the Article 7 report
    scope = ReportScope(level=1, contam=Contamination.CMR)
    timings = []
    report = None
    for _ in range(4):
        with Session(engine) as session:
            t = time.perf_counter()
            report = article7(session, end_year, scope)
            timings.append(time.perf_counter() - t)
    assert report is not None
    warm = statistics.median(timings[1:])
    total = report["remaining"][-1]
    say(
        f"(b) Article 7 {end_year}, level 1: cold {timings[0]:.2f} s, warm {warm:.2f} s "
        f"(median of {len(timings) - 1})"
    )
    say(
        f"    remaining {total['total_area_m2'] / 1e6:,.3f} km² in {total['total_count']:,} "
        f"hazards (SHA {total['sha_count']:,}, CHA {total['cha_count']:,}); released "
        f"{report['released'][-1]['total_m2'] / 1e6:,.3f} km² in {end_year}; dissolved "
        f"{report['overlap']['dissolved_area_m2'] / 1e6:,.3f} km²"
    )

    # (c) the straightforward reference
    if not args.skip_reference:
        with engine.connect() as conn:
            conn.execute(text("SET max_parallel_workers_per_gather = 2"))
            t = time.perf_counter()
            ref = float(
                conn.execute(
                    text(REFERENCE_SQL), {"as_of": dt.date(end_year, 12, 31), "contam": "CMR"}
                ).scalar_one()
            )
            elapsed_c = time.perf_counter() - t
        diff = abs(ref - total["total_area_m2"])
        say(f"(c) reference PostGIS query: {elapsed_c:.1f} s, {ref / 1e6:,.3f} km²")
        say(
            f"    agreement: |b - c| = {diff:,.1f} m² = {100 * diff / ref:.5f} % of c; "
            f"speed-up (c)/(b) = {elapsed_c / warm:,.0f}×"
        )
    # (d) ims db verify
    with Session(engine) as session:
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        t = time.perf_counter()
        checked = verify_database(session)
        session.rollback()
    say(
        f"(d) ims db verify: {time.perf_counter() - t:.1f} s for {checked.hazards:,} hazards "
        f"({'clean' if checked.clean else f'{checked.count:,} differences'})"
    )

    # (e) the audit rows of an approval of every release, and their seal at commit
    with engine.connect() as conn:
        t = time.perf_counter()
        conn.execute(text(AUDIT_SQL))
        inserted = time.perf_counter() - t
        t = time.perf_counter()
        conn.commit()
        committed = time.perf_counter() - t
    say(
        f"(e) {len(releases):,} audit rows in one transaction: inserted in {inserted:.1f} s, "
        f"sealed and committed in {committed:.2f} s"
    )
    me, kids = peak_memory_mb()
    say(f"peak memory: {me:,.0f} MB (this process), {kids:,.0f} MB (largest worker)")
    engine.dispose()


if __name__ == "__main__":
    main()
