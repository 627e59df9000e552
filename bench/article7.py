"""Benchmark of the Article 7 report at national scale (run by hand, not in the tests).

    .venv/bin/python bench/article7.py --database ims_bench_100k --reuse

Times, on a database that holds a national data set already (``--reuse``; without it the
data set is made first, as bench/accounting.py makes it), for level 1 and level 2:

- cold: the first ``article7()`` call in a fresh process (the process's own caches empty;
  PostgreSQL's buffers as the server has them);
- warm: the same call again in that process, several times (median), with the answers
  ims keeps in memory (ims.reports.kept, the outside releases' areas) dropped before each;
- the process ``ims report article7 --year Y --level L`` as a user runs it (median);
- the straightforward PostGIS query (ST_Difference of each hazard's boundary in force with
  the ST_Union of its releases, ST_Area on geography: bench/accounting.py's reference) for
  the same year, and the ratio of its time to the warm report's;

with the load average beside each figure (the machine may be shared). ``--years`` times
further years (past years must be as fast), ``--contam`` another kind of contamination.
To time an earlier ims on the same database, run from outside the checkout with that
code first on ``PYTHONPATH`` and ``--skip-process``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.config import configure_logging, get_settings
from ims.db.session import app_url, embedded_cluster, make_engine

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accounting import REFERENCE_SQL

IMS = Path(sys.executable).with_name("ims")

# Run in a fresh process: import, connect, then time the first call and the warm ones.
_CHILD = """
import json, statistics, sys, time
from sqlalchemy.orm import Session
from ims.db.session import make_engine
from ims.domain.enums import Contamination
from ims.reports import article7 as a7, kept
from ims.reports.article7 import ReportScope, article7

url, contam = sys.argv[1], sys.argv[4]
year, level, runs = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[5])
engine = make_engine(url)
with engine.connect():
    pass  # the pool's first connection is not the report's work
scope = ReportScope(level=level, contam=Contamination(contam))
times = []
for _ in range(1 + runs):
    kept.ANSWERS.clear()
    a7._outside_kept.clear()
    with Session(engine) as session:
        t = time.perf_counter()
        report = article7(session, year, scope)
        times.append(time.perf_counter() - t)
        session.rollback()
total = report["remaining"][-1]
print(json.dumps({"times": times, "total_area_m2": total["total_area_m2"],
                  "total_count": total["total_count"],
                  "released_m2": report["released"][-1]["total_m2"],
                  "dissolved_m2": report["overlap"]["dissolved_area_m2"]}))
"""


def load() -> str:
    """The load average over the last minute, as ``uptime`` shows it."""
    return f"load {os.getloadavg()[0]:.2f}"


def say(message: str) -> None:
    """Print a line of the benchmark's report at once."""
    print(message, flush=True)


def in_process(url: str, year: int, level: int, contam: str, runs: int) -> dict[str, object]:
    """Cold and warm times of ``article7()`` in a fresh Python process."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, url, str(year), str(level), contam, str(runs)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def whole_process(env: dict[str, str], year: int, level: int, contam: str, runs: int) -> float:
    """Median wall time of ``ims report article7`` as a user runs it (JSON to a file)."""
    times = []
    with tempfile.TemporaryDirectory(prefix="ims-bench-") as tmp:
        for _ in range(runs):
            command = [str(IMS), "report", "article7", "--year", str(year)]
            command += ["--level", str(level), "--contam", contam, "-o", f"{tmp}/a7.json"]
            t = time.perf_counter()
            subprocess.run(command, env=env, check=True, capture_output=True)
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def reference(engine_url: str, year: int, contam: str) -> tuple[float, float]:
    """The straightforward PostGIS query's time and national remaining area."""
    engine = make_engine(engine_url)
    with engine.connect() as conn:
        conn.execute(text("SET max_parallel_workers_per_gather = 2"))
        t = time.perf_counter()
        area = float(
            conn.execute(
                text(REFERENCE_SQL), {"as_of": dt.date(year, 12, 31), "contam": contam}
            ).scalar_one()
            or 0.0
        )
        elapsed = time.perf_counter() - t
    engine.dispose()
    return elapsed, area


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="ims_bench", help="in the embedded cluster")
    parser.add_argument(
        "--reuse", action="store_true", help="time the data set the database holds as it is"
    )
    parser.add_argument("--hazards", type=int, default=100_000, help="without --reuse")
    parser.add_argument("--year", type=int, default=dt.date.today().year - 1)
    parser.add_argument("--years", type=int, nargs="*", default=[], help="further years")
    parser.add_argument("--contam", default="CMR")
    parser.add_argument("--runs", type=int, default=5, help="warm runs (median)")
    parser.add_argument("--process-runs", type=int, default=3)
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument(
        "--skip-process",
        action="store_true",
        help="time article7() in process only (e.g. an earlier ims on PYTHONPATH, whose "
        "`ims` would refuse a database migrated further)",
    )
    args = parser.parse_args()
    configure_logging("WARNING")
    logging.getLogger("ims").setLevel(logging.WARNING)

    cluster = embedded_cluster(get_settings())
    owner_url = cluster.up()
    if not args.reuse:
        subprocess.run(
            [
                sys.executable,
                str(Path(__file__).with_name("accounting.py")),
                "--hazards",
                str(args.hazards),
                "--year",
                str(args.year),
                "--database",
                args.database,
                "--skip-reference",
            ],
            check=True,
        )
    owner_url = cluster.url(args.database)
    url = app_url(owner_url)
    engine = make_engine(url)
    with Session(engine) as session:
        hazards = session.scalar(text("SELECT count(*) FROM hazard"))
        releases = session.scalar(text("SELECT count(*) FROM release"))
    engine.dispose()
    say(f"database {args.database}: {hazards:,} hazards, {releases:,} releases; {load()}")
    env = dict(os.environ)
    env.update(IMS_DATABASE_URL=url, IMS_ADMIN_DATABASE_URL=owner_url, TERM="dumb")

    for year in (args.year, *args.years):
        warm_by_level = {}
        for level in (1, 2):
            result = in_process(url, year, level, args.contam, args.runs)
            times = [float(t) for t in result["times"]]  # type: ignore[attr-defined]
            warm = statistics.median(times[1:])
            warm_by_level[level] = warm
            say(
                f"Article 7 {year} {args.contam} level {level}: cold {times[0]:.3f} s, warm "
                f"{warm:.3f} s (median of {len(times) - 1}: "
                f"{' '.join(f'{t:.3f}' for t in times[1:])}); {load()}"
            )
            if not args.skip_process:
                process = whole_process(env, year, level, args.contam, args.process_runs)
                say(
                    f"  `ims report article7 --year {year} --level {level}`: {process:.2f} s "
                    f"(median of {args.process_runs}); {load()}"
                )
        say(
            f"  remaining {float(result['total_area_m2']) / 1e6:,.3f} km² in "  # type: ignore[arg-type]
            f"{result['total_count']:,} hazards; released {year} "
            f"{float(result['released_m2']) / 1e6:,.3f} km²; dissolved "  # type: ignore[arg-type]
            f"{float(result['dissolved_m2']) / 1e6:,.3f} km²"  # type: ignore[arg-type]
        )
        if not args.skip_reference:
            elapsed, area = reference(url, year, args.contam)
            diff = abs(area - float(result["total_area_m2"]))  # type: ignore[arg-type]
            say(
                f"  plain PostGIS query: {elapsed:.1f} s, {area / 1e6:,.3f} km² "
                f"(|report - query| = {diff:,.1f} m²); {load()}"
            )
            for level, warm in warm_by_level.items():
                say(f"  ratio query / warm report, level {level}: {elapsed / warm:,.0f}×")


if __name__ == "__main__":
    main()
