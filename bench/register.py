"""Benchmark of the hazard register through the API of ``ims serve``, at national scale.

    .venv/bin/python bench/register.py [--hazards 100000] [--seed 11] [--data DIR]

Uses the database ``bench/pipeline.py --keep`` leaves (``ims_bench_pipeline``: ``ims sample
generate --hazards N --seed S`` imported and approved with ``ims import … --approve``); when
it holds no hazards, it is built first, the same way (about ten minutes at 100,000 hazards;
``--data`` keeps the generated files for the next time). Then, through the real API of a
running ``ims serve`` and an admin's token, it times (median and 95th percentile of
``--repeat`` requests after one to warm up):

- a register page of 100 (today; a past date; one province; a page deep in the list),
  target 300 ms;
- a ``q`` text search (a part of a reference, in any case), target 300 ms;
- an export of about 10,000 hazards (the province whose open hazards are nearest that
  number) as GeoPackage, zipped shapefile and CSV, target 5 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from pipeline import DATABASE, _import, prepare, run, set_up_database
from served import OUT, database, ims_serve, say, user
from sqlalchemy import text

from ims.config import configure_logging
from ims.domain.enums import Role

PAGE_TARGET_MS = 300
SEARCH_TARGET_MS = 300
EXPORT_TARGET_S = 5.0


def build(data: Path, hazards: int, seed: int) -> None:
    """The national data set imported and approved, as bench/pipeline.py builds it."""
    prepare(data, hazards, seed)
    env = set_up_database(data)
    for kind in ("hazards", "releases"):
        run(f"{kind} import", _import(data, kind), env)


def timed(client: httpx.Client, path: str, params: dict[str, str], repeat: int) -> list[float]:
    """Milliseconds of ``repeat`` GETs (after one to warm up); each must answer 200."""
    times = []
    for i in range(repeat + 1):
        start = time.perf_counter()
        answer = client.get(path, params=params)
        elapsed = (time.perf_counter() - start) * 1000
        assert answer.status_code == 200, f"{path} {params}: {answer.status_code} {answer.text}"
        if i:
            times.append(elapsed)
    return times


def line(label: str, times: list[float], target_ms: float, extra: str = "") -> bool:
    """Print one figure; whether it meets its target (the median)."""
    median = statistics.median(times)
    p95 = sorted(times)[max(0, round(0.95 * len(times)) - 1)]
    ok = median <= target_ms
    say(
        f"  {label:<46} median {median:8.0f} ms  p95 {p95:8.0f} ms  "
        f"target {target_ms:,.0f} ms  {'ok' if ok else 'OVER'}{extra}"
    )
    return ok


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hazards", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--data", type=Path, help="keep (and reuse) the generated files here")
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    configure_logging("WARNING")
    logging.getLogger("ims").setLevel(logging.WARNING)

    owner_url, owner, app = database(DATABASE)
    with owner.connect() as conn:
        hazards = conn.scalar(text("SELECT count(*) FROM hazard"))
    if not hazards:
        say(f"{DATABASE} holds no hazards: building it ({args.hazards:,} hazards)")
        owner.dispose()
        with tempfile.TemporaryDirectory(prefix="ims-bench-") as tmp:
            build(args.data or Path(tmp), args.hazards, args.seed)
        owner_url, owner, app = database(DATABASE)
    # A server in use has had autovacuum over its tables since the import; a database
    # built a moment ago has not (index-only scans need the visibility map): as in use.
    with owner.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("hazard_period", "ledger_entry", "hazard_revision", "hazard"):
            conn.execute(text(f"VACUUM (ANALYZE) {table}"))
    today = dt.date.today()
    with owner.connect() as conn:
        hazards = conn.scalar(text("SELECT count(*) FROM hazard"))
        latest = conn.scalar(text('SELECT max("on") FROM ledger_entry'))
        # the province whose open hazards today are nearest 10,000 (the export's size)
        province, open_there = conn.execute(
            text(
                "SELECT a.code, count(*) FROM hazard_period p JOIN ledger_entry e "
                "ON e.hazard_id = p.hazard_id AND e.entry_no = p.entry_no "
                "JOIN admin_area a ON a.id = e.count_admin1_id "
                "WHERE p.during @> CAST(:d AS date) AND p.remaining_m2 >= 1 "
                "GROUP BY a.code ORDER BY abs(count(*) - 10000) LIMIT 1"
            ),
            {"d": today},
        ).one()
        sample_ref = conn.scalar(
            text("SELECT reference FROM hazard ORDER BY id LIMIT 1 OFFSET 4321")
        )
    token = user(app, "bench-register", Role.ADMIN)
    owner.dispose()
    app.dispose()
    say(f"{hazards:,} hazards; last ledger date {latest}")
    fragment = sample_ref[-6:].lower()  # e.g. "004322": a part of a reference, lower case
    past = dt.date(latest.year - 3, 12, 31).isoformat()
    results: list[bool] = []
    with (
        ims_serve(owner_url, OUT / "register-server.log") as url,
        httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=600
        ) as client,
    ):
        say(f"register pages of 100 ({args.repeat} requests each):")
        first = client.get("/api/v1/hazards").json()
        say(f"  (today: {first['numberMatched']:,} open hazards)")
        for label, params in (
            ("today, first page", {}),
            (f"as of {past}", {"as_of": past}),
            (f"one province ({province})", {"admin": province}),
            ("today, offset 50,000", {"offset": "50000"}),
            ("sorted by remaining area, descending", {"sort": "-remaining_m2"}),
        ):
            results.append(
                line(label, timed(client, "/api/v1/hazards", params, args.repeat), PAGE_TARGET_MS)
            )
        say("text search (q):")
        for label, q in (
            (f"q={fragment!r} (part of a reference)", fragment),
            ("q='ban na'", "ban na"),
        ):
            found = client.get("/api/v1/hazards", params={"q": q}).json()["numberMatched"]
            results.append(
                line(
                    label,
                    timed(client, "/api/v1/hazards", {"q": q}, args.repeat),
                    SEARCH_TARGET_MS,
                    f"  ({found:,} found)",
                )
            )
        say(f"exports of {province}'s {open_there:,} open hazards (3 requests each):")
        for fmt in ("gpkg", "zip", "csv", "geojson"):
            answer = client.get(f"/api/v1/hazards.{fmt}", params={"admin": province})
            size = len(answer.content)
            results.append(
                line(
                    f"hazards.{fmt}",
                    timed(client, f"/api/v1/hazards.{fmt}", {"admin": province}, 3),
                    EXPORT_TARGET_S * 1000,
                    f"  ({size / 1e6:,.1f} MB)",
                )
            )
    say("all within their targets" if all(results) else "SOME FIGURES ARE OVER THEIR TARGET")
    if not all(results):
        sys.exit(1)


if __name__ == "__main__":
    main()
