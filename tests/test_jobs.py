"""The job pool (ims.jobs): bounded in time and in queue, and its workers leave nothing behind."""

from __future__ import annotations

import itertools
import os
import resource
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely.geometry

from ims.errors import Conflict, ImsError, ServiceBusy, TookTooLong
from ims.jobs import JobPool, _rss_bytes, read_one_feature, worker_memory_limit

# The jobs below never touch the database: the worker opens a connection only when a job
# uses its session.
NO_DATABASE = "postgresql+psycopg://nobody@/nowhere?host=/nonexistent-socket-dir"


def sleeper(session: Any, *, record: str, seconds: float) -> None:
    """Start a child process (as the ledger's pool would), note both pids, then sleep."""
    child = subprocess.Popen(["sleep", "600"])
    Path(record).write_text(f"{os.getpid()} {child.pid}")
    time.sleep(seconds)


def whoami(session: Any) -> int:
    return os.getpid()


def niceness(session: Any) -> tuple[int, int]:
    """The job's own niceness, and that of a process it starts (as the ledger's pool)."""
    started = subprocess.run(["nice"], capture_output=True, text=True, check=True)
    return os.getpriority(os.PRIO_PROCESS, 0), int(started.stdout)


def address_space(session: Any) -> tuple[int, int]:
    """The job's limit on memory, and that of a process it starts (as the ledger's pool)."""
    started = subprocess.run(
        ["python3", "-c", "import resource; print(resource.getrlimit(resource.RLIMIT_AS)[0])"],
        capture_output=True,
        text=True,
        check=True,
    )
    return resource.getrlimit(resource.RLIMIT_AS)[0], int(started.stdout)


def reserves(session: Any, *, nbytes: int) -> str:
    np.empty(nbytes, dtype=np.uint8)  # reserved, not written: no memory is used
    return "reserved"


def refuses(session: Any) -> None:
    raise Conflict("submission 7 has 1 error(s)", findings=[{"code": "bowtie", "row": 2}])


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting to be reaped does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def gone(pids: list[int], within: float) -> bool:
    deadline = time.monotonic() + within
    while any(alive(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.fixture
def pool() -> Any:
    made: list[JobPool] = []

    def make(**kw: Any) -> JobPool:
        settings = {"workers": 1, "timeout_s": 60.0, "queue_size": 2, **kw}
        made.append(JobPool("tests", NO_DATABASE, **settings))
        return made[-1]

    yield make
    for p in made:
        p.close()


def test_a_job_past_its_time_is_killed_with_its_children_and_the_worker_replaced(
    pool: Any, tmp_path: Path
) -> None:
    jobs = pool(timeout_s=4.0)
    first = jobs.submit(whoami).result(timeout=120)  # the worker is up (its start is slow)
    record = tmp_path / "pids"
    started = time.monotonic()
    with pytest.raises(TookTooLong, match="took longer than 4 s and was stopped"):
        jobs.submit(sleeper, record=str(record), seconds=600).result(timeout=120)
    assert time.monotonic() - started < 15
    worker, child = (int(x) for x in record.read_text().split())
    assert worker == first
    assert gone([worker, child], within=10), "the job's process group outlived its timeout"
    assert jobs.submit(whoami).result(timeout=120) not in (first, None)  # a new worker


def test_a_full_queue_is_refused_at_once_with_retry_after(pool: Any, tmp_path: Path) -> None:
    jobs = pool(workers=1, queue_size=1)
    running = jobs.submit(sleeper, record=str(tmp_path / "a"), seconds=5)
    waiting = jobs.submit(whoami)
    started = time.monotonic()
    with pytest.raises(ServiceBusy) as busy:
        jobs.submit(whoami)
    assert time.monotonic() - started < 0.1
    assert busy.value.status_code == 503 and busy.value.extra["retry_after"] > 0
    jobs.close()
    closed = time.monotonic()
    for future in (running, waiting):
        with pytest.raises(Exception):  # noqa: B017 (killed or refused: either way, not run)
            future.result(timeout=30)
    # No caller is left waiting on a pool that closed (it waited for ever before).
    assert time.monotonic() - closed < 10


def test_a_jobs_error_comes_back_as_raised(pool: Any) -> None:
    with pytest.raises(Conflict) as refused:
        pool().submit(refuses).result(timeout=120)
    assert refused.value.detail == "submission 7 has 1 error(s)"
    assert refused.value.extra == {"findings": [{"code": "bowtie", "row": 2}]}


def test_workers_compute_below_the_servers_priority_and_so_does_what_they_start(
    pool: Any,
) -> None:
    # On two cores an approval's computing slowed every page; the server's requests come
    # first now (IMS_JOB_NICE).
    own = os.getpriority(os.PRIO_PROCESS, 0)
    job, child = pool(nice=5).submit(niceness).result(timeout=120)
    assert job == min(own + 5, 19)
    assert child == job
    assert pool().submit(niceness).result(timeout=120) == (own, own)  # nice=0: as the server


def test_started_workers_are_ready_before_the_first_job(pool: Any) -> None:
    # The first upload or approval after `ims serve` started waited a second or two for
    # its worker to import what it needs; started with the server, it need not.
    jobs = pool()
    jobs.start()
    deadline = time.monotonic() + 120
    while not jobs._live:  # a worker is listed once it has said it is ready
        assert time.monotonic() < deadline, "no worker started"
        time.sleep(0.05)
    worker = jobs._live[0]
    assert jobs.submit(whoami).result(timeout=120) == worker.process.pid
    jobs.start()  # again: nothing more is started
    assert list(jobs._live) == [0] and jobs._live[0] is worker


def teller(session: Any, *, steps: int, progress: Any) -> str:
    """Tell ``steps`` steps, a tenth of a second apart."""
    for n in range(steps):
        progress(f"step {n + 1} of {steps}")
        time.sleep(0.1)
    return "done"


def test_a_jobs_steps_reach_the_server_as_they_start_and_a_listeners_failure_is_not_the_jobs(
    pool: Any,
) -> None:
    jobs = pool()
    heard: list[tuple[float, str]] = []
    future = jobs.submit(teller, lambda m: heard.append((time.monotonic(), m)), steps=5)
    assert future.result(timeout=120) == "done"
    finished = time.monotonic()
    assert [m for _, m in heard] == [f"step {n} of 5" for n in range(1, 6)]
    assert finished - heard[0][0] >= 0.4  # told as each started, not all at the end

    def deaf(_message: str) -> None:
        raise RuntimeError("the listener fails")

    assert jobs.submit(teller, deaf, steps=2).result(timeout=60) == "done"
    assert jobs.submit(teller, None, steps=2).result(timeout=60) == "done"  # nobody listens


_HELD: list[bytes] = []


def hoards(session: Any, *, megabytes: int) -> int:
    """Keep ``megabytes`` in the worker after the job, as a large file's rows stay held."""
    _HELD.append(os.urandom(megabytes << 20))
    return os.getpid()


def test_a_worker_left_holding_much_memory_is_replaced_before_the_next_job(pool: Any) -> None:
    """One upload left its worker at 751 MB, held while idle (a second attack on our own
    instance); a worker is replaced when a job leaves it above the pool's limit."""
    jobs = pool()
    first = jobs.submit(whoami).result(timeout=60)
    # the limit: 100 MB above what a worker holds once it has imported what jobs need
    jobs.recycle_rss_bytes = _rss_bytes(first) + (100 << 20)
    small = jobs.submit(hoards, megabytes=1).result(timeout=60)
    assert small == first
    assert jobs.submit(whoami).result(timeout=60) == small  # well below: kept
    big = jobs.submit(hoards, megabytes=200).result(timeout=60)
    assert big == small
    after = jobs.submit(whoami).result(timeout=60)
    assert after != big and gone([big], within=10)


def test_a_job_may_have_half_the_machines_memory_and_says_so_past_it(pool: Any) -> None:
    """An upload of 100,000 copies of one polygon had its worker take 18.8 GB, until the
    kernel killed processes across the machine (an attack on our own instance)."""
    assert worker_memory_limit(24 * 1024**3) == 12 * 1024**3
    assert worker_memory_limit(2 * 1024**3) == 4 * 1024**3  # a small machine: 4 GB
    jobs = pool()
    assert jobs.submit(address_space).result(timeout=60) == (worker_memory_limit(),) * 2
    with pytest.raises(ImsError, match="needed more memory than a job may have") as refused:
        jobs.submit(reserves, nbytes=worker_memory_limit()).result(timeout=60)
    assert "nothing of it was kept" in refused.value.detail
    assert jobs.submit(reserves, nbytes=1 << 20).result(timeout=60) == "reserved"


def stamped(session: Any, *, record: str, seconds: float) -> None:
    """Note when the job starts and ends (monotonic clock), sleeping between."""
    started = time.monotonic()
    time.sleep(seconds)
    with Path(record).open("a") as out:
        out.write(f"{started} {time.monotonic()}\n")


def test_one_persons_jobs_leave_a_worker_and_half_the_queue_to_everyone_else(
    pool: Any, tmp_path: Path
) -> None:
    """Each file of polygons that cost minutes could be sent until both upload workers and
    every place in the queue were one operator's: everyone else's uploads waited for the
    job's time limit or were refused (an attack on our own instance)."""
    jobs = pool(workers=2, queue_size=4)
    assert (jobs.running_share, jobs.admitted_share) == (1, 3)
    for future in [jobs.submit(whoami), jobs.submit(whoami)]:
        future.result(timeout=120)  # both workers are up (their start is slow)
    mine = [tmp_path / f"mine-{i}" for i in range(3)]
    theirs = tmp_path / "theirs"
    slow = [jobs.submit(stamped, owner="a", record=str(r), seconds=3) for r in mine]
    with pytest.raises(ServiceBusy, match="you have 3 tests under way or waiting"):
        jobs.submit(whoami, owner="a")  # their share of the places
    other = jobs.submit(stamped, owner="b", record=str(theirs), seconds=0)
    other.result(timeout=60)
    for future in slow:
        future.result(timeout=60)
    spans = sorted(tuple(float(x) for x in r.read_text().split()) for r in mine)
    their_start = float(theirs.read_text().split()[0])
    # one of a's at a time, on one worker: the other took b's job at once
    assert all(later[0] >= earlier[1] - 0.05 for earlier, later in itertools.pairwise(spans))
    assert their_start < spans[0][1]  # while a's first job still ran
    # another kind of job of theirs (reading a file's columns beside their file's checks)
    # waits as well: counted apart, a check and a reading had held both workers while
    # another organisation's file waited (helper-130)
    long = jobs.submit(stamped, owner="a", record=str(tmp_path / "long"), seconds=4)
    time.sleep(0.5)  # taken by a worker
    other_kind = jobs.submit(timed, owner="a", record=str(tmp_path / "quick"), seconds=0)
    theirs_too = jobs.submit(stamped, owner="b", record=str(tmp_path / "b2"), seconds=0)
    theirs_too.result(timeout=60)
    assert not other_kind.done()  # b's ran on the worker left; a's other kind waited
    other_kind.result(timeout=60)
    long_end = float((tmp_path / "long").read_text().split()[1])
    assert float((tmp_path / "quick").read_text().split()[0]) >= long_end - 0.05
    long.result(timeout=60)


def test_a_worker_set_free_goes_to_whoever_runs_the_fewest_jobs(pool: Any, tmp_path: Path) -> None:
    """Of the jobs waiting when a worker is set free, one of a person running nothing goes
    before a person's second one, whatever the order they were sent in (helper-128: an
    operator's second job had gone before another organisation's, waiting)."""
    jobs = pool(workers=3, queue_size=6)
    assert jobs.running_share == 2
    for future in [jobs.submit(whoami) for _ in range(3)]:
        future.result(timeout=120)  # every worker is up (their start is slow)
    record = {name: tmp_path / name for name in ("a-long", "c1", "c2", "a-second", "b")}
    started_jobs = [
        jobs.submit(stamped, owner="a", record=str(record["a-long"]), seconds=5),
        jobs.submit(stamped, owner="c", record=str(record["c1"]), seconds=1.5),
        jobs.submit(stamped, owner="c", record=str(record["c2"]), seconds=3),
    ]
    time.sleep(0.5)  # every worker taken
    second = jobs.submit(timed, owner="a", record=str(record["a-second"]), seconds=0)
    theirs = jobs.submit(stamped, owner="b", record=str(record["b"]), seconds=0)
    for future in [*started_jobs, second, theirs]:
        future.result(timeout=60)
    started = {name: float(path.read_text().split()[0]) for name, path in record.items()}
    ended_c1 = float(record["c1"].read_text().split()[1])
    assert started["b"] < started["a-second"]  # b's went first, though sent after
    assert started["b"] >= ended_c1 - 0.05  # on the worker c's first job set free
    assert started["a-second"] < started["a-long"] + 5  # a's two ran at once (a share of 2)


def timed(session: Any, *, record: str, seconds: float) -> None:
    """Another kind of job than ``stamped``, doing the same."""
    stamped(session, record=record, seconds=seconds)


def test_a_job_with_a_shorter_time_limit_is_stopped_at_it(pool: Any, tmp_path: Path) -> None:
    # a record form's file of one feature has a minute, not the upload's half hour
    jobs = pool(timeout_s=600.0)
    jobs.submit(whoami).result(timeout=120)  # the worker is up
    started = time.monotonic()
    with pytest.raises(TookTooLong, match="took longer than 3 s"):
        jobs.submit(sleeper, record=str(tmp_path / "pids"), seconds=600, timeout_s=3.0).result(
            timeout=120
        )
    assert time.monotonic() - started < 15


def test_a_forms_file_of_one_feature_is_read_in_a_worker(pool: Any) -> None:
    jobs = pool()
    square = (
        b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},'
        b' "geometry": {"type": "Polygon", "coordinates":'
        b" [[[102, 17], [102.01, 17], [102.01, 17.01], [102, 17.01], [102, 17]]]}}]}"
    )
    polygon = jobs.submit(
        read_one_feature, data=square, filename="one.geojson", kind="hazards"
    ).result(timeout=120)
    assert polygon["type"] in ("Polygon", "MultiPolygon")
    assert shapely.geometry.shape(polygon).bounds == pytest.approx((102, 17, 102.01, 17.01))
    with pytest.raises(ImsError) as refused:
        jobs.submit(
            read_one_feature, data=b"not a file", filename="one.geojson", kind="hazards"
        ).result(timeout=120)
    assert refused.value.status_code < 500 and refused.value.extra.get("field") == ("geometry_file")


def test_a_job_whose_database_connection_is_ended_says_so() -> None:
    """helper-89 restored a backup while the server approved a file: the restore ended the
    approval's session, and its client was told "an unexpected error". A connection ended
    by the database (here an administrator's shutdown, as a restore's is) is said, through
    SQLAlchemy or straight from psycopg (a COPY's); a query that merely failed is not."""
    import psycopg
    from sqlalchemy import create_engine
    from sqlalchemy.exc import OperationalError

    from ims.errors import DatabaseUnavailable
    from ims.jobs import _run

    ended = psycopg.errors.AdminShutdown("terminating connection due to administrator command")
    engine = create_engine("postgresql+psycopg://nobody@/nowhere")  # never connected

    def through_sqlalchemy(session: Any) -> None:
        raise OperationalError("INSERT …", {}, ended)

    def through_copy(session: Any) -> None:
        raise ended

    def cancelled(session: Any) -> None:
        raise OperationalError("SELECT …", {}, psycopg.errors.QueryCanceled("canceled"))

    for job in (through_sqlalchemy, through_copy):
        status, error = _run(engine, job, {}, lambda said: None)
        assert status == "error" and isinstance(error, DatabaseUnavailable), error
        assert "ended" in error.detail and "nothing of it was kept" in error.detail
    status, error = _run(engine, cancelled, {}, lambda said: None)
    assert type(error) is ImsError and "unexpected error" in error.detail
