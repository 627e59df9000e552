"""Benchmark: ims under load, while a 10,000-feature hazards upload is staged and approved.

Run by hand after bench/accounting.py (it copies that database, ``ims_bench``, into one of
its own, ``ims_bench_load``, made afresh on every run and dropped afterwards):

    .venv/bin/python bench/accounting.py --hazards 20000      # once: the data set
    .venv/bin/python bench/load.py                            # 20 users, 60 s
    .venv/bin/python bench/load.py --users 40 --run-time 120s --database ims_bench_100k

It makes 20 viewers (``--users``), an operator and an admin, each with an API token,
starts ``ims serve`` on a loopback port (a process of its own, as in production; its log
in bench/out/), and generates two hazards files of ``--features`` new hazards each.

1. Alone: the operator uploads the first file (POST /api/v1/submissions, which answers
   once the file is staged and checked) and the admin approves it (POST .../approve,
   which answers once it is applied); both are timed with nothing else running.
2. The dashboard, the map page and the reports page are opened once (as on a server that
   has been up a while: computed once since the last approval).
3. Under load: locust (bench/locustfile.py, headless, a process of its own) runs the
   viewers for ``--run-time``: map tiles at mixed zooms and dates, hazard pages, the
   national pages and the reports page with its Article 7 downloads (JSON, XLSX, PDF).
   ``--approve-after`` seconds in, the second file is uploaded and approved the same way.

It prints p50/p95 per kind of request, the errors, and the upload's staging and approval
times under load against alone. Targets (issue 15, item 6): p95 ≤ 200 ms for tiles and
pages, no error, the approval at most 50 % slower under load. Everything stays on the
loopback interface. ``--keep`` leaves ``ims_bench_load`` in place.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pyogrio
from served import OUT, database, ims_serve, say, user
from sqlalchemy import create_engine, text

from ims.config import configure_logging, get_settings
from ims.db.session import embedded_cluster
from ims.domain.enums import Role
from ims.sample import generate, load_provinces

DATABASE = "ims_bench_load"
ORGANISATION = "Load test operator"
LOCUST = Path(sys.executable).with_name("locust")
LOCUSTFILE = Path(__file__).resolve().with_name("locustfile.py")


def copy_database(source: str, target: str) -> None:
    """``target`` made afresh as a copy of ``source`` (no one may be connected to it)."""
    cluster = embedded_cluster(get_settings())
    cluster.up()
    cluster.drop_database(target)
    engine = create_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT")
    t = time.perf_counter()
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{target}" TEMPLATE "{source}"'))
    engine.dispose()
    say(f"{target}: a copy of {source} ({time.perf_counter() - t:.1f} s)")


def hazards_file(folder: Path, n: int, seed: int, prefix: str, end_year: int) -> Path:
    """A GeoPackage of ``n`` new hazards in the ims template, references ``prefix``-…"""
    data = generate(n * 2, seed=seed, provinces=load_provinces(), end_year=end_year)
    frame = data.hazards[data.hazards["revised"].isna()].head(n).copy()
    frame["hazard_id"] = prefix + frame["hazard_id"].astype(str)
    frame["operator"] = None  # the uploader's organisation
    path = folder / f"{prefix.strip('-').lower()}-hazards.gpkg"
    pyogrio.write_dataframe(frame, path, layer="hazards", driver="GPKG", promote_to_multi=True)
    return path


def upload_and_approve(url: str, operator: str, admin: str, path: Path) -> tuple[float, float]:
    """Stage ``path`` as the operator and approve it as the admin: the two times, in s."""
    with httpx.Client(base_url=url, timeout=3600) as client:
        t = time.perf_counter()
        with path.open("rb") as file:
            staged = client.post(
                "/api/v1/submissions",
                files={"file": (path.name, file, "application/geopackage+sqlite3")},
                data={"kind": "hazards"},
                headers={"Authorization": f"Bearer {operator}"},
            )
        staging = time.perf_counter() - t
        if staged.status_code != 201:
            raise RuntimeError(f"upload refused ({staged.status_code}): {staged.text[:500]}")
        submission = staged.json()
        if submission["errors"]:
            errors = [f for f in submission["findings"] if f["severity"] == "error"]
            raise RuntimeError(f"the generated upload has errors: {errors[:3]}")
        t = time.perf_counter()
        approved = client.post(
            f"/api/v1/submissions/{submission['id']}/approve",
            headers={"Authorization": f"Bearer {admin}"},
        )
        approving = time.perf_counter() - t
        if approved.status_code != 200 or approved.json().get("status") != "approved":
            raise RuntimeError(f"approval failed ({approved.status_code}): {approved.text[:500]}")
    return staging, approving


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="ims_bench", help="the data set to copy")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--spawn-rate", type=float, default=5, help="users started per second")
    parser.add_argument("--run-time", default="60s", help="how long the load runs (locust)")
    parser.add_argument("--features", type=int, default=10_000, help="hazards per upload")
    parser.add_argument("--approve-after", type=float, default=10, help="seconds into the load")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help=f"keep {DATABASE} afterwards")
    args = parser.parse_args()
    configure_logging("WARNING")
    logging.getLogger("ims").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)

    copy_database(args.database, DATABASE)
    owner_url, owner, app = database(DATABASE)
    with owner.connect() as conn:
        hazards = conn.scalar(text("SELECT count(*) FROM hazard"))
        latest = conn.scalar(text('SELECT max("on") FROM ledger_entry'))
        bounds = list(
            conn.execute(
                text(
                    "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                    "(SELECT ST_Extent(geom)::geometry AS e FROM admin_area WHERE level = 1) a"
                )
            ).one()
        )
        references = list(
            conn.scalars(text("SELECT reference FROM hazard ORDER BY random() LIMIT 2000"))
        )
    t = time.perf_counter()
    viewers = [user(app, f"load-viewer-{i}", Role.VIEWER) for i in range(args.users)]
    operator = user(app, "load-operator", Role.OPERATOR, organisation=ORGANISATION)
    admin = user(app, "load-admin", Role.ADMIN)
    owner.dispose()
    app.dispose()
    say(f"{hazards:,} hazards; {args.users} viewers, an operator and an admin signed up")
    folder = OUT / "load-data"
    folder.mkdir(parents=True, exist_ok=True)
    end_year = latest.year
    alone_file = hazards_file(folder, args.features, args.seed, "LDA-", end_year)
    loaded_file = hazards_file(folder, args.features, args.seed + 1, "LDB-", end_year)
    say(f"two files of {args.features:,} new hazards generated ({time.perf_counter() - t:.0f} s)")
    settings = {
        "tokens": viewers,
        "bounds": bounds,
        "references": references,
        "dates": [dt.date(latest.year - k, 12, 31).isoformat() for k in (1, 3, 5, 8)],
        "year": latest.year,
    }

    with ims_serve(owner_url, OUT / "load-server.log") as url:
        say("-- alone: the first upload staged and approved, nothing else running")
        alone = upload_and_approve(url, operator, admin, alone_file)
        say(f"staged in {alone[0]:.1f} s, approved in {alone[1]:.1f} s")
        # A server that has been up a while: the national pages computed once since the
        # last approval (the one under load will make them be computed again).
        with httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {viewers[0]}"}, timeout=300
        ) as warm:
            for path in ("/", "/map", f"/reports?year={latest.year}"):
                warm.get(path).raise_for_status()

        say(
            f"-- under load: {args.users} users for {args.run_time}, the second upload "
            f"{args.approve_after:.0f} s in"
        )
        loaded: dict[str, object] = {}

        def second_upload() -> None:
            time.sleep(args.approve_after)
            started = time.monotonic()
            try:
                loaded["times"] = upload_and_approve(url, operator, admin, loaded_file)
            except Exception as exc:  # reported below, with the load's own figures
                loaded["error"] = exc
            loaded["ended"] = time.monotonic() - started + args.approve_after

        approver = threading.Thread(target=second_upload)
        prefix = OUT / "load"
        env = dict(os.environ, IMS_LOAD_SETTINGS=json.dumps(settings))
        started = time.monotonic()
        approver.start()
        locust = subprocess.run(
            [
                str(LOCUST),
                "-f",
                str(LOCUSTFILE),
                "--headless",
                "--host",
                url,
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.spawn_rate),
                "--run-time",
                args.run_time,
                "--csv",
                str(prefix),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            env=env,
            stdout=(OUT / "load-locust.log").open("w"),
            stderr=subprocess.STDOUT,
            check=False,
        )
        load_seconds = time.monotonic() - started
        approver.join()
    report(prefix, locust.returncode, load_seconds, alone, loaded)
    if not args.keep:
        embedded_cluster(get_settings()).drop_database(DATABASE)


def report(
    prefix: Path,
    returncode: int,
    load_seconds: float,
    alone: tuple[float, float],
    loaded: dict[str, object],
) -> None:
    """The figures of the run: per kind of request, the errors, the approval's times."""
    with Path(f"{prefix}_stats.csv").open() as file:
        rows = list(csv.DictReader(file))
    say(
        f"{'request':<30} {'count':>6} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'max ms':>7} {'req/s':>6}"
    )
    for row in sorted(rows, key=lambda r: (r["Name"] == "Aggregated", r["Name"])):
        name = "all requests" if row["Name"] == "Aggregated" else row["Name"]
        say(
            f"{name:<30} {int(row['Request Count']):>6} {int(row['Failure Count']):>6} "
            f"{float(row['50%']):>7.0f} {float(row['95%']):>7.0f} "
            f"{float(row['Max Response Time']):>7.0f} {float(row['Requests/s']):>6.1f}"
        )
    failures = Path(f"{prefix}_failures.csv")
    if failures.exists():
        with failures.open() as file:
            for row in csv.DictReader(file):
                say(f"error ×{row['Occurrences']}: {row['Method']} {row['Name']}: {row['Error']}")
    say(f"locust ran {load_seconds:.0f} s (exit status {returncode})")
    if "error" in loaded:
        say(f"the upload under load failed: {loaded['error']}")
        return
    staging, approving = loaded["times"]  # type: ignore[misc]
    say(
        f"upload staged: {alone[0]:.1f} s alone, {staging:.1f} s under load "
        f"({(staging / alone[0] - 1) * 100:+.0f} %)"
    )
    say(
        f"upload approved: {alone[1]:.1f} s alone, {approving:.1f} s under load "
        f"({(approving / alone[1] - 1) * 100:+.0f} %)"
    )
    ended = float(loaded["ended"])  # type: ignore[arg-type]
    if ended > load_seconds:
        say(f"(the upload ended {ended - load_seconds:.0f} s after the load: partly unloaded)")


if __name__ == "__main__":
    main()
