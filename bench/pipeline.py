"""Benchmark of what a national authority runs: ims import (approved) and the Article 7 report.

    .venv/bin/python bench/pipeline.py --hazards 100000

Generates a national data set with `ims sample generate` (N hazards, ~1.4 N hazard features
and ~3 N releases), makes a database of its own in the embedded cluster (migrated, the Lao
boundaries loaded, the organisations the files name in the reference list) and times,
each as a subprocess of its own pointed at that database, exactly the commands a user runs:

    ims import hazards.gpkg --kind hazards --approve
    ims import releases.gpkg --kind releases --approve
    ims report article7 --year <last complete year>

For each it prints every line the command writes (stdout and stderr), stamped with the
seconds since the command started and how long until the next line (so each phase: read,
validate, store, approve and its steps, has its duration), then the wall time, features/s
and the peak resident memory of the command (its largest process: the command itself or
one of the workers it started). ``--profile DIR`` samples each import with py-spy, workers
included, into DIR/<kind>.folded (collapsed stacks: speedscope or flamegraph.pl draw them).
``--api`` uploads and approves each file through ``ims serve`` (an admin's token, as a
script would) instead of ``ims import``. ``--functions`` has PostgreSQL count the time
spent in each function (``track_functions``: the ledger's store, the map's and the
report's triggers) and prints the slowest after each ``ims import``, total and self.
``--data DIR`` keeps the generated files in DIR and reuses them on the next run;
``--keep`` leaves the database in place afterwards. ``--next-day`` stages each file with
``ims import`` (not approved), then approves it with ``ims submissions approve`` as on the
next day, when a file uploaded in the evening is reviewed: its check is dated the day
before, as such a staging leaves it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pyogrio
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from ims.config import configure_logging, get_settings
from ims.db.migrate import upgrade
from ims.db.models import Organisation
from ims.db.recording import load_boundaries
from ims.db.reference import add_organisation
from ims.db.session import app_url, embedded_cluster
from ims.ingest.boundaries import read_boundaries
from ims.sample import BOUNDARIES_DIR

DATABASE = "ims_bench_pipeline"
IMS = Path(sys.executable).with_name("ims")
FEATURES = re.compile(r"submission \d+: ([\d,]+) features?")
FINDING = re.compile(r"^(error|warning|… \d+ more)")


def say(message: str) -> None:
    """Print a line of the benchmark's report at once."""
    print(message, flush=True)


def run(
    label: str, args: list[str], env: dict[str, str], profile: Path | None = None
) -> tuple[float, int | None, float]:
    """Run ``ims ARGS`` as a user would; print its lines as they come, stamped.

    Returns the wall time, the feature count the command printed (if any) and the peak
    resident memory in MB of the command's largest process. With ``profile`` (a file
    name), py-spy samples the command and its workers into it as collapsed stacks.
    """
    say(f"\n$ ims {' '.join(args)}")
    command = [str(IMS), *args]
    if profile is not None:
        spy = shutil.which("py-spy") or str(IMS.with_name("py-spy"))
        command = [spy, "record", "--subprocesses", "--format", "raw", "-o", str(profile)]
        command += ["--rate", "50", "--"]
        command += [str(IMS), *args]
    start = time.perf_counter()
    child = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        # A command logs only warnings unless asked: the ledger's timing line is wanted here.
        env={"IMS_LOG_LEVEL": "INFO", **env},
        text=True,
        bufsize=1,
    )
    assert child.stdout is not None
    lines: list[tuple[float, str]] = []
    features = None

    def show(at: float, line: str, until: float) -> None:
        say(f"  {at:7.1f} s  {until - at:6.1f} s  {line}")

    for raw in child.stdout:
        now = time.perf_counter() - start
        line = raw.rstrip()
        if not line:
            continue
        if match := FEATURES.search(line):
            features = int(match.group(1).replace(",", ""))
        if FINDING.match(line) and args[0] == "import":  # a report's error is shown whole
            # The findings listed come at once: one line for all of them.
            if lines and lines[-1][1].startswith("["):
                count = int(lines[-1][1][1:].split()[0]) + 1
                lines[-1] = (lines[-1][0], f"[{count} lines of findings]")
                continue
            line = "[1 lines of findings]"
        if lines:
            show(*lines[-1], now)
        lines.append((now, line))
    # wait4, not wait: it gives this child's own resource usage (ru_maxrss is the largest
    # of the child and the descendants it waited for).
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if lines:
        show(*lines[-1], wall)
    peak = usage.ru_maxrss / 1024
    rate = f", {features / wall:,.0f} features/s" if features else ""
    say(f"{label}: {wall:.1f} s{rate}; peak memory {peak:,.0f} MB; exit status {child.returncode}")
    if child.returncode:
        sys.exit(f"ims {' '.join(args)} failed")
    return wall, features, peak


def prepare(data: Path, hazards: int, seed: int) -> None:
    """Generate the national data set in ``data`` unless it is there already."""
    marker = data / f".generated-{hazards}-{seed}"
    if marker.exists():
        say(f"reusing the data set in {data}")
        return
    data.mkdir(parents=True, exist_ok=True)
    for path in data.glob(".generated-*"):
        path.unlink()
    t = time.perf_counter()
    command = ["sample", "generate", "-o", str(data), "--hazards", str(hazards)]
    subprocess.run(
        [str(IMS), *command, "--seed", str(seed)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    marker.touch()
    say(f"generated the data set in {time.perf_counter() - t:.1f} s")


def set_up_database(data: Path, *, functions: bool = False) -> dict[str, str]:
    """A fresh database with boundaries and organisations; the environment pointing at it.

    ``functions``: the time in each function is counted (by every session from now on).
    """
    cluster = embedded_cluster(get_settings())
    cluster.up()
    cluster.drop_database(DATABASE)
    cluster.ensure_database(DATABASE)
    owner_url = cluster.url(DATABASE)
    engine = create_engine(owner_url)
    upgrade(engine)
    if functions:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"ALTER DATABASE {DATABASE} SET track_functions = 'all'"))
    named: set[str] = set()
    for name in ("hazards", "releases"):
        frame = pyogrio.read_dataframe(
            data / f"{name}.gpkg", columns=["operator"], read_geometry=False
        )
        named |= {str(o) for o in frame["operator"].dropna().unique()}
    t = time.perf_counter()
    with Session(engine) as session, session.begin():
        for level, file in ((1, "LAO_ADM1.geojson"), (2, "LAO_ADM2.geojson")):
            load_boundaries(
                session, read_boundaries(BOUNDARIES_DIR / file), level=level, source=file
            )
        known = set(session.scalars(select(Organisation.name)))
        for org in sorted(named - known):
            add_organisation(session, org, "operator", by="bench")
    engine.dispose()
    say(
        f"database {DATABASE}: migrated, boundaries and {len(named)} organisations loaded in "
        f"{time.perf_counter() - t:.1f} s"
    )
    env = dict(os.environ)
    env.update(
        IMS_DATABASE_URL=app_url(owner_url),
        IMS_ADMIN_DATABASE_URL=owner_url,
        PYTHONUNBUFFERED="1",  # lines as they are written, not when a buffer fills
        COLUMNS="200",  # no line wrapped by the console
        TERM="dumb",
    )
    return env


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hazards", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--data", type=Path, help="keep (and reuse) the generated files here")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="sample each import with py-spy (pip install py-spy) into DIR/<kind>.folded",
    )
    parser.add_argument(
        "--functions",
        action="store_true",
        help="count the database's time in each function; print the slowest after each import",
    )
    parser.add_argument(
        "--api",
        action="store_true",
        help="upload and approve each file through the API of `ims serve` instead",
    )
    parser.add_argument(
        "--next-day",
        action="store_true",
        help="stage each file, then approve it with `ims submissions approve` as the next day",
    )
    args = parser.parse_args()
    configure_logging("WARNING")
    logging.getLogger("ims").setLevel(logging.WARNING)

    with tempfile.TemporaryDirectory(prefix="ims-bench-") as tmp:
        data = args.data or Path(tmp)
        prepare(data, args.hazards, args.seed)
        env = set_up_database(data, functions=args.functions)
        year = dt.date.today().year - 1
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)

        def flame(step: str) -> Path | None:
            return args.profile / f"{step}.folded" if args.profile else None

        if args.api:
            imports = through_api(data, env)
        elif args.next_day:
            imports = []
            for kind in ("hazards", "releases"):
                staged = run(f"{kind} staged", _import(data, kind)[:-1], env)
                number = _staged_the_day_before(env["IMS_ADMIN_DATABASE_URL"])
                imports.append((f"{kind} staged", staged))
                approve = ["submissions", "approve", str(number)]
                approved = run(f"{kind} approved the next day", approve, env)
                imports.append((f"{kind} approved", approved))
        else:
            imports = []
            for kind in ("hazards", "releases"):
                before = server_counters(env["IMS_ADMIN_DATABASE_URL"])
                imports.append((kind, run(f"{kind} import", _import(data, kind), env, flame(kind))))
                say(server_activity(before, server_counters(env["IMS_ADMIN_DATABASE_URL"])))
                if args.functions:
                    functions_spent(env["IMS_ADMIN_DATABASE_URL"])
        results = [
            *imports,
            (
                "article7",
                run(
                    f"Article 7 report {year}",
                    ["report", "article7", "--year", str(year), "-o", str(Path(tmp) / "a7.json")],
                    env,
                ),
            ),
        ]
    say("\nsummary")
    for name, (wall, features, peak) in results:
        rate = f"{features / wall:8,.0f} features/s" if features else " " * 19
        say(f"  {name:10s} {wall:7.1f} s  {rate}  peak {peak:6,.0f} MB")
    if not args.keep:
        embedded_cluster(get_settings()).drop_database(DATABASE)


def server_counters(owner_url: str) -> tuple[int, int, int]:
    """The database server's checkpoints so far (timed, asked for) and its WAL position."""
    engine = create_engine(owner_url)
    with engine.connect() as conn:
        timed, asked, wal = conn.execute(
            text(
                "SELECT checkpoints_timed, checkpoints_req, "
                "pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint FROM pg_stat_bgwriter"
            )
        ).one()
    engine.dispose()
    return int(timed), int(asked), int(wal)


def server_activity(before: tuple[int, int, int], after: tuple[int, int, int]) -> str:
    """What the database server wrote meanwhile: a checkpoint inside an import costs it
    seconds (whole pages logged again), so runs of the same code differ with where one
    falls."""
    timed, asked, wal = (b - a for a, b in zip(before, after, strict=True))
    return (
        f"database server meanwhile: {wal / 1e9:.1f} GB of WAL, "
        f"{timed + asked} checkpoint(s) ({timed} timed, {asked} for WAL or asked for)"
    )


def functions_spent(owner_url: str, most: int = 8) -> None:
    """Print the functions the last command's sessions spent most time in, then start over.

    Total includes the functions a function calls (a trigger fired by its statements);
    self does not.
    """
    engine = create_engine(owner_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT funcname, calls, total_time, self_time FROM pg_stat_user_functions "
                "ORDER BY total_time DESC LIMIT :most"
            ),
            {"most": most},
        ).all()
        conn.execute(text("SELECT pg_stat_reset()"))
        conn.commit()
    engine.dispose()
    say(f"  {'database function':32s} {'calls':>8s} {'total s':>8s} {'self s':>8s}")
    for name, calls, total, own in rows:
        say(f"  {name:32s} {calls:8,d} {total / 1000:8.1f} {own / 1000:8.1f}")


def through_api(
    data: Path, env: dict[str, str]
) -> list[tuple[str, tuple[float, int | None, float]]]:
    """Upload and approve each file through the API of ``ims serve``, as a script would.

    An admin's token (a one-person office may approve its own uploads) posts the file and
    then its approval; the server stages and approves in its pool of workers. Returns each
    step's wall time, feature count and the server's peak memory so far (its largest
    process, workers included).
    """
    env = {**env, "IMS_ALLOW_SELF_APPROVAL": "1"}
    subprocess.run(
        [str(IMS), "users", "add", "bench", "--role", "admin", "--no-password"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    token = subprocess.run(
        [str(IMS), "token", "create", "bench", "--name", "pipeline benchmark"],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    ).stdout.split()[-1]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server_log = data / "serve.log"  # the approval's steps, as a server logs them
    say(f"ims serve on port {port}; its log in {server_log}")
    server = subprocess.Popen(
        [str(IMS), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env={**env, "IMS_LOG_LEVEL": "INFO"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    since = [time.perf_counter()]  # when the step now timed began
    steps = threading.Thread(target=_stamp_steps, args=(server, server_log, since), daemon=True)
    steps.start()
    base = f"http://127.0.0.1:{port}/api/v1"
    client = httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=3600)
    results: list[tuple[str, tuple[float, int | None, float]]] = []
    peak = [0.0]
    done = threading.Event()

    def watch() -> None:  # workers come and go: sample the whole tree's memory
        while not done.wait(0.25):
            peak[0] = max(peak[0], _tree_rss_mb(server.pid))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        for _ in range(300):
            try:
                if client.get(f"{base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        # A server is up long before its first upload: its workers start with it and take
        # a few seconds to import what they need (three at once on two cores).
        time.sleep(_WORKERS_START_S)
        for kind in ("hazards", "releases"):
            path = data / f"{kind}.gpkg"
            say(f"\n$ POST {base}/submissions ({path.name}), then POST …/approve")
            before = server_counters(env["IMS_ADMIN_DATABASE_URL"])
            start = since[0] = time.perf_counter()
            with path.open("rb") as fh:
                answer = client.post(
                    f"{base}/submissions", data={"kind": kind}, files={"file": (path.name, fh)}
                )
            answer.raise_for_status()
            staged = time.perf_counter() - start
            submission = answer.json()
            features = int(submission["feature_count"])
            say(f"  {staged:7.1f} s  submission {submission['id']}: {features:,} features staged")
            answer = client.post(f"{base}/submissions/{submission['id']}/approve")
            answer.raise_for_status()
            wall = time.perf_counter() - start
            say(f"  {wall:7.1f} s  {answer.json()['status']} (approval {wall - staged:.1f} s)")
            say(
                f"{kind} through the API: {wall:.1f} s, {features / wall:,.0f} features/s; "
                f"peak memory {peak[0]:,.0f} MB (largest process)"
            )
            say(server_activity(before, server_counters(env["IMS_ADMIN_DATABASE_URL"])))
            results.append((kind, (wall, features, peak[0])))
            peak[0] = 0.0
    finally:
        done.set()
        client.close()
        server.terminate()
        server.wait(30)
        steps.join(5)
    return results


_WORKERS_START_S = 5


def _stamp_steps(server: subprocess.Popen[str], log: Path, since: list[float]) -> None:
    """Keep the server's log in ``log``; print its steps (the lines of ``ims.*`` loggers)
    stamped with the seconds since the step timed now began, as ``run`` prints a command's.
    """
    assert server.stdout is not None
    with log.open("w") as kept:
        for line in server.stdout:
            kept.write(line)
            kept.flush()
            if " INFO ims." in line or " WARNING " in line or " ERROR " in line:
                message = line.split(" INFO ", 1)[-1].rstrip()
                say(f"  {time.perf_counter() - since[0]:7.1f} s  (server) {message}")


def _tree_rss_mb(pid: int) -> float:
    """The resident memory of the largest process of ``pid``'s tree now, in MB."""
    largest = 0.0
    for each in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    largest = max(largest, int(line.split()[1]) / 1024)
        except OSError:
            continue
    return largest


def _children(pid: int) -> list[int]:
    # Each thread has its own list: the server starts its workers from the pool's threads.
    found: list[str] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += (task / "children").read_text().split()
        except OSError:
            continue
    return [int(c) for c in found] + [g for c in found for g in _children(int(c))]


def _staged_the_day_before(owner_url: str) -> int:
    """The number of the submission staged last, its check dated the day before (the day
    is the last word of its stamp: ims.ingest.submissions.database_stamp)."""
    engine = create_engine(owner_url)
    with engine.begin() as conn:
        number, stamp = conn.execute(
            text("SELECT id, validated_against FROM submission ORDER BY id DESC LIMIT 1")
        ).one()
        records, _, day = stamp.rpartition(" ")
        before = dt.date.fromisoformat(day) - dt.timedelta(days=1)
        conn.execute(
            text("UPDATE submission SET validated_against = :v WHERE id = :s"),
            {"v": f"{records} {before.isoformat()}", "s": number},
        )
    engine.dispose()
    say(f"  submission {number}: checked on {before}, as if staged the day before")
    return int(number)


def _import(data: Path, kind: str) -> list[str]:
    """The arguments of ``ims import`` for the generated file of ``kind``, approved."""
    return ["import", str(data / f"{kind}.gpkg"), "--kind", kind, "--approve"]


if __name__ == "__main__":
    main()
