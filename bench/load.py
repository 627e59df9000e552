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
   register, the national pages and the reports page with its Article 7 downloads (JSON,
   XLSX, PDF). ``--approve-after`` seconds in, the second file is uploaded and approved
   the same way.

It prints p50/p95 per kind of request and for tiles and pages as a whole, the errors, the
upload's staging and approval times under load against alone, and where the CPU went
during the load: the server, its job workers, the database backends of each, and the
machine as a whole with its load average (the machine may be shared: read the figures
with it). Targets (issue 15, item 6): p95 ≤ 200 ms for tiles and pages, no error, the
approval at most 50 % slower under load. Everything stays on the loopback interface.
``--keep`` leaves ``ims_bench_load`` in place; ``--set IMS_JOB_NICE=0`` (repeatable)
passes a setting to the server.

The copy is vacuumed and analysed first, as autovacuum does to a database that has been
up a while (a copy of one made by a bulk import may have neither statistics nor a
visibility map, and its plans would be another database's).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import logging
import math
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


def vacuum(name: str) -> None:
    """VACUUM (ANALYZE) the database ``name``, as autovacuum would have by now."""
    engine = create_engine(embedded_cluster(get_settings()).url(name), isolation_level="AUTOCOMMIT")
    t = time.perf_counter()
    with engine.connect() as conn:
        conn.execute(text("VACUUM (ANALYZE)"))
    engine.dispose()
    say(f"{name}: vacuumed and analysed ({time.perf_counter() - t:.1f} s)")


KINDS = ("server", "server's database", "job workers", "job workers' database", "locust")
JOBS = ("job workers", "job workers' database")


class CpuWatch:
    """CPU seconds spent during the load by the server, its job workers and the database
    backends of each (the embedded cluster runs on this machine), sampled every second."""

    def __init__(self, server_pid: int, database: str) -> None:
        self.server_pid = server_pid
        self.database = database
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.kind: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._engine = create_engine(embedded_cluster(get_settings()).url("postgres"))

    def __enter__(self) -> CpuWatch:
        self.started = time.monotonic()
        self.machine = _machine_cpu()
        self.load = os.getloadavg()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.seconds = time.monotonic() - self.started
        busy, total = _machine_cpu()
        self.machine_busy = busy - self.machine[0]
        self.machine_total = total - self.machine[1]
        self.load_after = os.getloadavg()
        self._engine.dispose()

    def _watch(self) -> None:
        while not self._stop.is_set():
            pids = {self.server_pid: "server"}
            for child in _children(os.getpid()):  # this benchmark's own: the load generator
                if child != self.server_pid:
                    pids[child] = "locust"
            for child in _children(self.server_pid):
                pids[child] = "job workers"
                for grandchild in _children(child):
                    pids[grandchild] = "job workers"
            with self._engine.connect() as conn:
                for pid, application in conn.execute(
                    text(
                        "SELECT pid, application_name FROM pg_stat_activity"
                        " WHERE datname = :d AND pid <> pg_backend_pid()"
                    ),
                    {"d": self.database},
                ):
                    job = str(application).startswith("ims-")
                    pids[int(pid)] = "job workers' database" if job else "server's database"
            for pid, kind in pids.items():
                used = _process_cpu(pid)
                if used is not None:
                    self.first.setdefault(pid, used)
                    self.last[pid] = used
                    self.kind[pid] = kind
            self._stop.wait(1.0)

    def spent(self, *kinds: str) -> float:
        """CPU seconds the processes of these kinds used."""
        return sum(
            used - self.first[pid] for pid, used in self.last.items() if self.kind[pid] in kinds
        )

    def report(self) -> None:
        """One line per kind of process, then the machine."""
        spent: dict[str, float] = {}
        for pid, used in self.last.items():
            spent[self.kind[pid]] = spent.get(self.kind[pid], 0.0) + used - self.first[pid]
        cores = os.cpu_count() or 1
        say(
            f"CPU during the load ({self.seconds:.0f} s, {cores} cores: "
            f"{self.seconds * cores:.0f} core-seconds):"
        )
        for kind in KINDS:
            used = spent.get(kind, 0.0)
            say(f"  {kind:<24} {used:6.1f} s ({used / self.seconds * 100:4.0f} % of a core)")
        ours = sum(spent.values())
        say(
            f"  the whole machine busy {self.machine_busy:.0f} s of {self.machine_total:.0f} "
            f"(these {ours:.0f} s; anything else running on it {self.machine_busy - ours:.0f} s)"
        )
        before = ", ".join(f"{x:.2f}" for x in self.load)
        after = ", ".join(f"{x:.2f}" for x in self.load_after)
        say(f"  load average {before} before the load, {after} after it")


def _process_cpu(pid: int) -> float | None:
    """CPU seconds (user and system) a process has used, or None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    """The direct children of a process."""
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        return [int(c) for task in tasks for c in (task / "children").read_text().split()]
    except OSError:
        return []


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return b""


def _machine_cpu() -> tuple[float, float]:
    """The machine's busy and total CPU seconds so far (all cores)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    idle = values[3] + values[4]
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(values) - idle) / tick, sum(values) / tick


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
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="IMS_NAME=VALUE",
        help="a setting for the server (repeatable), e.g. IMS_JOB_NICE=0",
    )
    args = parser.parse_args()
    server_env = dict(item.split("=", 1) for item in args.set)
    configure_logging("WARNING")
    logging.getLogger("ims").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)

    copy_database(args.database, DATABASE)
    vacuum(DATABASE)
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
        provinces = list(conn.scalars(text("SELECT code FROM admin_area WHERE level = 1")))
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
        "provinces": provinces,
        "dates": [dt.date(latest.year - k, 12, 31).isoformat() for k in (1, 3, 5, 8)],
        "year": latest.year,
    }

    with ims_serve(owner_url, OUT / "load-server.log", env=server_env) as url:
        say("-- alone: the first upload staged and approved, nothing else running")
        (server,) = [pid for pid in _children(os.getpid()) if b" serve" in _cmdline(pid)]
        with CpuWatch(server, DATABASE) as alone_watch:
            alone = upload_and_approve(url, operator, admin, alone_file)
        say(
            f"staged in {alone[0]:.1f} s, approved in {alone[1]:.1f} s; the jobs used "
            f"{alone_watch.spent(*JOBS):.1f} s of CPU"
        )
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
            with CpuWatch(server, DATABASE) as jobs_watch:
                try:
                    loaded["times"] = upload_and_approve(url, operator, admin, loaded_file)
                except Exception as exc:  # reported below, with the load's own figures
                    loaded["error"] = exc
            loaded["ended"] = time.monotonic() - started + args.approve_after
            loaded["cpu"] = (alone_watch.spent(*JOBS), jobs_watch.spent(*JOBS))

        approver = threading.Thread(target=second_upload)
        prefix = OUT / "load"
        times = OUT / "load-times.csv"
        env = dict(os.environ, IMS_LOAD_SETTINGS=json.dumps(settings), IMS_LOAD_TIMES=str(times))
        watch = CpuWatch(server, DATABASE)
        started = time.monotonic()
        approver.start()
        with watch:
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
    report(prefix, times, locust.returncode, load_seconds, alone, loaded)
    watch.report()
    if not args.keep:
        embedded_cluster(get_settings()).drop_database(DATABASE)


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of some values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def report(
    prefix: Path,
    times: Path,
    returncode: int,
    load_seconds: float,
    alone: tuple[float, float],
    loaded: dict[str, object],
) -> None:
    """The figures of the run: per kind of request, tiles and pages as a whole, the
    errors, the approval's times."""
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
    with times.open() as file:
        answered = [(name, float(ms), failed == "1") for name, ms, failed in csv.reader(file)]
    say("-- against the targets (issue 15, item 6)")
    for group, start, target in (("tiles", "tile ", 200), ("pages", "page ", 200)):
        ms = [t for name, t, _ in answered if name.startswith(start)]
        if ms:
            p95 = percentile(ms, 0.95)
            say(
                f"{group}: {len(ms)} requests, p50 {percentile(ms, 0.5):.0f} ms, p95 "
                f"{p95:.0f} ms (target ≤ {target} ms: {'met' if p95 <= target else 'NOT met'})"
            )
    ms = [t for name, t, _ in answered if name.startswith("download ")]
    if ms:
        p50, p95 = percentile(ms, 0.5), percentile(ms, 0.95)
        say(f"downloads: {len(ms)}, p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    errors = sum(failed for _, _, failed in answered)
    verdict = "met" if not errors else "NOT met"
    say(f"errors: {errors} of {len(answered)} requests (target 0: {verdict})")
    if "error" in loaded:
        say(f"the upload under load failed: {loaded['error']}")
        return
    staging, approving = loaded["times"]  # type: ignore[misc]
    say(
        f"upload staged: {alone[0]:.1f} s alone, {staging:.1f} s under load "
        f"({(staging / alone[0] - 1) * 100:+.0f} %)"
    )
    slower = (approving / alone[1] - 1) * 100
    say(
        f"upload approved: {alone[1]:.1f} s alone, {approving:.1f} s under load "
        f"({slower:+.0f} %; target ≤ +50 %: {'met' if slower <= 50 else 'NOT met'})"
    )
    alone_cpu, loaded_cpu = loaded["cpu"]  # type: ignore[misc]
    say(
        f"the upload's jobs (staging and approval, their workers and database backends) used "
        f"{alone_cpu:.1f} s of CPU alone, {loaded_cpu:.1f} s under load: the rest of the "
        "time under load they waited for a core"
    )
    ended = float(loaded["ended"])  # type: ignore[arg-type]
    if ended > load_seconds:
        say(f"(the upload ended {ended - load_seconds:.0f} s after the load: partly unloaded)")


if __name__ == "__main__":
    main()
