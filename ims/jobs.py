"""Long work for the web server (staging an upload, applying an approval) in worker processes.

The web server is threaded and must stay responsive; an upload's checks or an approval can
take minutes. They run in a small pool of long-lived worker processes, never in the
server's own threads, and never in a forked child:

- workers are spawned (``ims.children``): they inherit no socket, database connection or
  lock of the server, and they are SIGKILLed when the server dies, even by ``kill -9``;
- each worker leads its own process group, so a job that runs past ``IMS_JOB_TIMEOUT_S``
  is killed with everything it started (the ledger's pool) and the worker is replaced;
- a job opens its own database connection in the worker and commits there: when a worker
  is killed, PostgreSQL rolls its transaction back and frees its locks at once;
- the server awaits a job without holding a thread (``await JobPool.run``), so waiting
  approvals cannot starve other requests; when every worker is busy and
  ``IMS_JOB_QUEUE`` jobs already wait, the next is refused (503, Retry-After) at once;
- a job that takes a ``progress`` argument is given one: each step it tells goes to the
  server as it starts (``on_progress``), for the page that waits (``ims.api.progress``).

Uploads have ``IMS_JOB_WORKERS`` workers; approvals one (they run one at a time anyway,
under the approval lock), so a long approval never holds up uploads. A job is a
module-level function ``job(session, **kwargs)`` whose result and errors can be pickled.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import multiprocessing
import os
import resource
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from contextlib import suppress
from dataclasses import dataclass
from inspect import signature
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal, Protocol

import psycopg
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ims.children import die_with_parent, spawn_context
from ims.config import configure_logging, get_settings
from ims.db.audit import Actor
from ims.db.embedded import machine_memory
from ims.db.session import is_unavailable
from ims.domain.enums import SubmissionStatus
from ims.errors import DatabaseUnavailable, ImsError, InvalidRequest, ServiceBusy, TookTooLong
from ims.ingest import approval, drawn, field_maps, inspect, submissions
from ims.ingest.inspect import Inspection
from ims.ingest.limits import UploadLimits
from ims.queries import first
from ims.queries import submissions as submissions_q

log = logging.getLogger(__name__)

Lane = Literal["uploads", "approvals"]
Job = Callable[..., Any]
Say = Callable[[str], None]
_START_S = 120.0  # a worker imports geopandas, shapely, SQLAlchemy… before it is ready
_RETRY_AFTER_S = 30


# --- the jobs ----------------------------------------------------------------------------


def stage_upload(
    session: Session,
    *,
    path: str,
    kind: str,
    organisation: str | None,
    field_map: dict[str, str],
    crs: str | None,
    layer: str | None,
    limits: UploadLimits,
    filename: str,
    uploaded_by: Actor | None,
    mapping: dict[str, Any] | None = None,
    repair: bool = False,
    split: bool = False,
    replaces: int | None = None,
    own_records: bool = False,
    progress: Say | None = None,
) -> tuple[int, list[tuple[Hashable, Any]]]:
    """Read, check and store an uploaded file as a submission; its id, and what approving
    it would record (``ims.queries.submissions.preview_ahead``) for the server to keep:
    the review page the uploader opens next shows it.

    ``mapping`` is a mapping document as JSON (field_maps), ``field_map`` renames added to it.
    """
    upload = Path(path)
    say = _logged(f"upload of {filename!r}", progress)
    outcome = submissions.stage(
        session,
        upload,
        kind=kind,
        organisation=organisation,
        field_map=field_map,
        mapping=field_maps.mapping_from_json(mapping) if mapping else None,
        crs=crs,
        layer=layer,
        limits=limits,
        filename=filename,
        uploaded_by=uploaded_by,
        repair=repair,
        split=split,
        workdir=upload.parent,  # a killed job leaves nothing behind: the caller removes it
        replaces=replaces,
        own_records=own_records,
        progress=say,
    )
    submission = outcome.submission
    if submission.status != SubmissionStatus.VALIDATED:  # no review to show it on
        return submission.id, []
    say("computing what approving it would record, by province")
    return submission.id, submissions_q.preview_ahead(session, submission.id, kind)


def _logged(what: str, progress: Say | None) -> Say:
    """Each step written to the server's log, and told to ``progress`` as well."""

    def say(message: str) -> None:
        log.info("%s: %s", what, message)
        if progress is not None:
            progress(message)

    return say


def inspect_upload(
    session: Session,
    *,
    path: str,
    kind: str,
    organisation: str | None,
    layer: str | None,
    limits: UploadLimits,
    filename: str,
) -> Inspection:
    """Describe an uploaded file for the upload page's mapping step (nothing is stored)."""
    if kind not in field_maps.FIELDS:
        raise InvalidRequest(f"kind must be hazards or releases, not {kind!r}")
    org = submissions.organisation_named(session, organisation)
    upload = Path(path)
    return inspect.inspect_upload(
        upload,
        kind=kind,
        remembered=field_maps.stored_mappings(session, org, kind),
        layer=layer,
        limits=limits,
        filename=filename,
        workdir=upload.parent,
        munition_codes=list(session.scalars(text("SELECT code FROM munition_type"))),
    )


# Up to this many features an approval computes the first answers ahead. A national
# import's own tables are new inside its transaction, their statistics those of the tables
# before it: the answers took 10.4 s there after the first 142,695 hazards (2.3-3.6 s
# after 10,000), a sixth of the approval. The warming thread of ``ims serve`` computes them
# within seconds of its commit instead.
AHEAD_UP_TO_FEATURES = 20_000


def approve_submission(
    session: Session,
    *,
    submission_id: int,
    by: Actor | None,
    partial: bool = False,
    progress: Say | None = None,
) -> list[tuple[Hashable, Any]]:
    """Apply a submission (Conflict with its findings if it has errors; ``partial``: the
    features without errors); the answers readers ask for first, as of the approval, for
    the server to keep once it has committed (``ims.queries.first.computed_ahead``; none
    when ``IMS_WARM_INTERVAL_S`` is 0, or for more than ``AHEAD_UP_TO_FEATURES``)."""
    say = _logged(f"submission {submission_id}", progress)
    try:
        approval.approve(session, submission_id, by=by, partial=partial, progress=say)
    except approval.FoundAgain as found:
        session.rollback()
        approval.keep_found_again(session, found)  # for the review page and the uploader
        session.commit()
        raise
    submission = submissions.get_submission(session, submission_id)
    answers = []
    if get_settings().warm_interval_s and submission.feature_count <= AHEAD_UP_TO_FEATURES:
        say("approving: computing the figures readers ask for first")
        started = time.perf_counter()
        answers = first.computed_ahead(session)
        log.info(
            "submission %s: the answers readers ask for first computed in %.1f s",
            submission_id,
            time.perf_counter() - started,
        )
    say("approving: committing (the audit trail is sealed as it commits)")
    return answers


def read_one_feature(session: Session, *, data: bytes, filename: str, kind: str) -> dict[str, Any]:
    """The polygon of a record form's file of one feature, as GeoJSON.

    Read in an upload worker, under its memory cap and ``ONE_FEATURE_TIME_S``: read in the
    web server's own threads, 2 MB files had taken it past 15 GB (a KML's attribute
    defaults, a shapefile's repeated records, a GeoPackage's column defaults) or held a
    thread for minutes (a polygon of 40,000 parts): an attack on our own instance."""
    return drawn.as_geojson(drawn.geometry_from_file(data, filename, kind=kind))


ONE_FEATURE_TIME_S = 60.0  # a polygon of 100,000 vertices is read in a second or two

_WHAT = {
    stage_upload: "reading and checking the upload",
    inspect_upload: "reading the upload's columns",
    approve_submission: "the approval",
    read_one_feature: "reading the file of one feature",
}


def _what(job: Job) -> str:
    return _WHAT.get(job, getattr(job, "__name__", "the job").replace("_", " "))


# --- in the worker process ---------------------------------------------------------------


def _worker_engine(database_url: str, timeout_s: float) -> Engine:
    from ims.db.session import make_engine

    engine = make_engine(database_url)

    @event.listens_for(engine, "connect")
    def _bounded(dbapi_connection: Any, _record: Any) -> None:
        # A backend whose worker was killed stops within seconds, even in a long query
        # or while waiting for a lock; one left idle in a transaction is ended by the
        # server. (The worker itself is killed at the job timeout.)
        with dbapi_connection.cursor() as cursor:
            if dbapi_connection.info.server_version >= 140000:  # PostgreSQL 14 has it
                cursor.execute("SET client_connection_check_interval = '2s'")
            cursor.execute(f"SET idle_in_transaction_session_timeout = {int(timeout_s * 1000)}")
            # which backends work for a job, in pg_stat_activity (ims-approvals-worker-0…)
            cursor.execute(
                "SELECT set_config('application_name', %s, false)",
                (multiprocessing.current_process().name,),
            )
        dbapi_connection.commit()

    return engine


def takes_progress(job: Job) -> bool:
    """Whether ``job`` tells its steps (it has a ``progress`` argument)."""
    return "progress" in signature(job).parameters


# What a worker (and the processes it starts) may take of the machine's memory: half, and
# at least 4 GB. A national approval needs under 2 GB; an upload of 100,000 copies of one
# polygon had a worker take 18.8 GB, until the kernel killed processes across the machine
# (found by an attack on our own instance). Past this, the job fails with its transaction
# rolled back and says why, and the database and the server are left their memory.
def worker_memory_limit(memory: int | None = None) -> int:
    """The address space a job worker may have, in bytes."""
    return max((machine_memory() if memory is None else memory) // 2, 4 * 1024**3)


def _cap_memory() -> None:
    limit = worker_memory_limit()
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _run(engine: Engine, job: Job, kwargs: dict[str, Any], say: Say) -> tuple[str, Any]:
    """Run one job in its own transaction: ("ok", result) or ("error", ImsError)."""
    if takes_progress(job):
        kwargs = {**kwargs, "progress": say}
    try:
        with Session(engine, expire_on_commit=False) as session:
            try:
                result = job(session, **kwargs)
                session.commit()
            except BaseException:
                session.rollback()
                raise
        return "ok", result
    except ImsError as exc:
        return "error", exc
    except MemoryError:
        log.exception("%s ran out of memory", _what(job))
        limit = worker_memory_limit() / 1024**3
        return "error", ImsError(
            f"{_what(job)} needed more memory than a job may have ({limit:,.1f} GB, half the "
            "server's): nothing of it was kept. A file this large is best sent in parts; "
            "a file of the same ground many times over is best checked first"
        )
    except DataError as exc:  # a value the database refused: the request's fault
        cause = str(exc.orig or exc).strip()
        return "error", InvalidRequest(
            f"a value in the request cannot be stored or searched: {cause}"
        )
    except (DBAPIError, psycopg.OperationalError) as exc:
        if not _connection_lost(exc):
            log.exception("%s failed", _what(job))
            return "error", ImsError("an unexpected error occurred; it has been logged")
        # a restore, a restart: the session was ended under the job, which had been told
        # "an unexpected error" (helper-89); a COPY's error comes as psycopg's own
        log.warning("%s lost its database connection: %s", _what(job), exc)
        return "error", DatabaseUnavailable(
            f"the database ended {_what(job)}'s connection (a restart or a restore of the "
            "database): nothing of it was kept; try again in a moment",
            retry_after=5,
        )
    except Exception:
        log.exception("%s failed", _what(job))
        return "error", ImsError("an unexpected error occurred; it has been logged")


def _connection_lost(exc: Exception) -> bool:
    """Whether a database error is the connection lost or ended, not a failed query."""
    if isinstance(exc, DBAPIError):
        return is_unavailable(exc)
    return is_unavailable(DBAPIError(None, None, exc))  # psycopg's own, from a COPY


def _worker_main(
    conn: Connection, database_url: str, parent_pid: int, timeout_s: float, nice: int = 0
) -> None:
    """A worker's life: take jobs from the pipe until it closes (or the server dies).

    It runs ``nice`` steps below the server's priority (and so does all it starts): while
    an approval computes, the server's requests come first on a machine of few cores.
    """
    die_with_parent(parent_pid, own_group=True)
    _cap_memory()
    if nice:
        os.nice(nice)
    configure_logging()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server decides when its workers end
    conn.send(("ready", os.getpid()))
    engine: Engine | None = None
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        job, kwargs = request
        if engine is None:
            engine = _worker_engine(database_url, timeout_s)
        outcome = _run(engine, job, kwargs, lambda message: conn.send(("progress", message)))
        try:
            conn.send(outcome)
        except Exception:  # a result or an error that does not pickle
            log.exception("%s: its result cannot be sent back", _what(job))
            conn.send(("error", ImsError("an unexpected error occurred; it has been logged")))


# --- in the server -----------------------------------------------------------------------


# A worker holding more than this after a job is replaced (ims.jobs.JobPool).
RECYCLE_RSS_BYTES = 512 * 1024 * 1024  # a fresh worker holds about 175 MB


def _rss_bytes(pid: int | None) -> int | None:
    """A process's resident memory, where the system tells it (Linux); None elsewhere."""
    if pid is None:
        return None
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


class _TimedOut(Exception):
    """A job ran past the pool's time limit."""


class _Worker:
    """One worker process, owned by (and dying with) the pool thread that started it."""

    def __init__(self, name: str, database_url: str, timeout_s: float, nice: int = 0) -> None:
        context = spawn_context()
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_worker_main,
            args=(child, database_url, os.getpid(), timeout_s, nice),
            name=name,
        )
        self.process.start()
        child.close()
        try:
            if not self.conn.poll(_START_S):
                raise RuntimeError(f"{name} did not start within {_START_S:.0f} s")
            self.conn.recv()  # "ready": it leads its own process group from now on
        except BaseException:
            self.kill()
            raise

    def call(
        self, job: Job, kwargs: dict[str, Any], timeout_s: float, on_progress: Say | None = None
    ) -> tuple[str, Any]:
        """Run ``job`` in this worker, its steps told to ``on_progress``; _TimedOut, or
        EOFError if the worker died."""
        self.conn.send((job, kwargs))
        deadline = time.monotonic() + timeout_s
        while True:
            if not self.conn.poll(max(0.0, deadline - time.monotonic())):
                raise _TimedOut
            outcome: tuple[str, Any] = self.conn.recv()
            if outcome[0] != "progress":
                return outcome
            if on_progress is not None:
                try:
                    on_progress(outcome[1])
                except Exception:  # whoever listens, the job goes on
                    log.exception("%s: a step could not be passed on", _what(job))

    def kill(self) -> None:
        """Kill the worker and everything it started (its process group)."""
        pid = self.process.pid
        if pid is not None:
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            with suppress(ProcessLookupError):
                self.process.kill()
            self.process.join(10)
        self.conn.close()


@dataclass
class _Item:
    """A job waiting for a worker, and whose it is (None: nobody's in particular)."""

    job: Job
    kwargs: dict[str, Any]
    future: Future[Any]
    on_progress: Say | None
    owner: Hashable | None = None
    timeout_s: float | None = None  # the pool's, unless the job has a shorter one


class JobPool:
    """A fixed number of worker processes taking jobs from a bounded queue.

    The queue is fair between the people who send jobs (``owner``): one person's jobs, of
    every kind (checking files, reading their columns, a record form's file), run on at
    most all but one of the workers at once, their others waiting, and all their jobs take
    at most half of the places; so one operator's files, however slow to check, never hold
    every worker nor fill the queue against everyone else's (an upload of polygons that
    cost minutes each could otherwise have held both workers for the job's time limit,
    national files sent only to have their columns read held both for 135 s, and a file
    checked beside another's columns read, counted apart by kind, held both: attacks on
    our own instance, the last helper-130's). Of the jobs under their owners' share, a
    worker set free takes the first of an owner running the fewest. Jobs of nobody in
    particular are taken in order.
    """

    def __init__(
        self,
        lane: str,
        database_url: str,
        *,
        workers: int,
        timeout_s: float,
        queue_size: int,
        nice: int = 0,
        recycle_rss_bytes: int | None = None,
    ) -> None:
        self.lane = lane
        self.workers = workers
        self.recycle_rss_bytes = (
            RECYCLE_RSS_BYTES if recycle_rss_bytes is None else recycle_rss_bytes
        )
        self.timeout_s = timeout_s
        self.queue_size = queue_size
        self.nice = nice
        self._url = database_url
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)  # a job may be taken, or the pool closed
        self._pending: list[_Item] = []  # waiting, in the order sent
        self._admitted = 0  # running and waiting
        self._admitted_of: Counter[Hashable] = Counter()  # by owner
        self._running_of: Counter[Hashable] = Counter()  # by owner, jobs of every kind
        # one person's share: all the workers but one at once, half the places
        self.running_share = max(1, workers - 1)
        self.admitted_share = max(1, (workers + queue_size) // 2)
        self._threads: list[threading.Thread] = []
        self._live: dict[int, _Worker] = {}  # by slot
        self._closed = False

    def submit(
        self,
        job: Job,
        /,
        on_progress: Say | None = None,
        *,
        owner: Hashable | None = None,
        timeout_s: float | None = None,
        **kwargs: Any,
    ) -> Future[Any]:
        """Queue ``job(session, **kwargs)`` for ``owner``; ServiceBusy at once if the queue
        is full, or holds the owner's share. ``on_progress`` is told each step the job
        tells, on the pool's thread; ``timeout_s``, a shorter time limit than the pool's."""
        with self._lock:
            if self._closed:
                raise ServiceBusy(
                    "ims is shutting down; try again shortly", retry_after=_RETRY_AFTER_S
                )
            if self._admitted >= self.workers + self.queue_size:
                raise ServiceBusy(
                    f"ims is busy with {self._admitted} {self.lane} (that is as many as it "
                    f"takes at once); try again in a while",
                    retry_after=_RETRY_AFTER_S,
                )
            if owner is not None and self._admitted_of[owner] >= self.admitted_share:
                raise ServiceBusy(
                    f"you have {self._admitted_of[owner]} {self.lane} under way or waiting, "
                    "as many as one person may: send this one when one of them is done",
                    retry_after=_RETRY_AFTER_S,
                )
            self._admitted += 1
            if owner is not None:
                self._admitted_of[owner] += 1
            if not self._threads:
                self._start_threads()
            future: Future[Any] = Future()
            future.add_done_callback(lambda _done: self._release(owner))
            self._pending.append(_Item(job, kwargs, future, on_progress, owner, timeout_s))
            self._ready.notify()
        return future

    async def run(
        self,
        job: Job,
        /,
        on_progress: Say | None = None,
        *,
        owner: Hashable | None = None,
        **kwargs: Any,
    ) -> Any:
        """Run a job and return its result (or raise its error) without holding a thread."""
        return await asyncio.wrap_future(self.submit(job, on_progress, owner=owner, **kwargs))

    def start(self) -> None:
        """Start the workers now rather than at the first job (each takes a second or two
        to import what it needs, which the first upload or approval would wait for)."""
        with self._lock:
            if not self._closed and not self._threads:
                self._start_threads()

    def close(self) -> None:
        """Stop taking jobs and kill the workers (a job still running is rolled back)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            live = list(self._live.values())
        for worker in live:
            worker.kill()
        self._fail_queued()
        with self._ready:
            self._ready.notify_all()  # the threads waiting for a job end

    def _fail_queued(self) -> None:
        """Answer every job still queued: the pool is closing."""
        with self._lock:
            queued, self._pending = self._pending, []
        for item in queued:
            if item.future.set_running_or_notify_cancel():
                item.future.set_exception(
                    ServiceBusy(
                        "ims is shutting down; try again shortly", retry_after=_RETRY_AFTER_S
                    )
                )

    def _release(self, owner: Hashable | None) -> None:
        with self._lock:
            self._admitted -= 1
            if owner is not None:
                self._admitted_of[owner] -= 1
                if self._admitted_of[owner] <= 0:
                    del self._admitted_of[owner]

    def _next(self) -> _Item | None:
        """The next job to run, taken from the queue (the lock held; None: closing): of
        those whose owner is under their share of the workers, the first of an owner with
        the fewest jobs running, waiting until there is one."""
        while not self._closed:
            chosen: int | None = None
            for i, item in enumerate(self._pending):
                if item.owner is not None and self._running_of[item.owner] >= self.running_share:
                    continue
                if chosen is None or self._busy(item) < self._busy(self._pending[chosen]):
                    chosen = i
            if chosen is not None:
                item = self._pending.pop(chosen)
                if item.owner is not None:
                    self._running_of[item.owner] += 1
                return item
            self._ready.wait()
        return None

    def _busy(self, item: _Item) -> int:
        """How many jobs of the item's owner are running (none: nobody's)."""
        return 0 if item.owner is None else self._running_of[item.owner]

    def _finished(self, item: _Item) -> None:
        with self._ready:
            if item.owner is not None:
                self._running_of[item.owner] -= 1
                if self._running_of[item.owner] <= 0:
                    del self._running_of[item.owner]
            self._ready.notify_all()  # an owner's waiting job may run now

    def _start_threads(self) -> None:
        # The threads live as long as the pool: a worker's death signal is tied to the
        # thread that started it (see ims.children).
        for slot in range(self.workers):
            thread = threading.Thread(
                target=self._serve, args=(slot,), name=f"ims-{self.lane}-{slot}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        atexit.register(self.close)

    def _worker(self, slot: int) -> _Worker:
        with self._lock:
            worker = self._live.get(slot)
        if worker is not None and worker.process.is_alive():
            return worker
        if worker is not None:
            self._drop(slot)
        worker = _Worker(f"ims-{self.lane}-worker-{slot}", self._url, self.timeout_s, self.nice)
        with self._lock:
            closed = self._closed
            if not closed:
                self._live[slot] = worker
        if closed:
            worker.kill()
            raise ServiceBusy("ims is shutting down; try again shortly", retry_after=_RETRY_AFTER_S)
        return worker

    def _recycle_if_grown(self, slot: int, worker: _Worker) -> None:
        """Replace a worker that a job left holding much memory: Python keeps what a large
        file's rows took (751 MB after one upload, a national file's 1.8 GB) and would
        hold it while idle. Its successor starts now, before the next job asks."""
        rss = _rss_bytes(worker.process.pid)
        if rss is None or rss <= self.recycle_rss_bytes:
            return
        log.info("the %s worker %d holds %d MB after its job: replaced", self.lane, slot, rss >> 20)
        self._drop(slot)
        with suppress(Exception):  # if it cannot start now, the next job starts it
            self._worker(slot)

    def _drop(self, slot: int) -> None:
        with self._lock:
            worker = self._live.pop(slot, None)
        if worker is not None:
            worker.kill()

    def _serve(self, slot: int) -> None:
        # Start this slot's worker now, while the first job waits for the first slot:
        # a worker takes seconds to import what it needs.
        try:
            self._worker(slot)
        except ServiceBusy:  # closed meanwhile: no job queued here may wait for ever
            self._fail_queued()
            return
        except Exception:
            log.exception(
                "the %s worker %d did not start; it is tried again for a job", self.lane, slot
            )
        while True:
            with self._ready:
                item = self._next()
            if item is None:
                return
            try:
                self._run_one(slot, item)
            finally:
                self._finished(item)

    def _run_one(self, slot: int, item: _Item) -> None:
        """Run one job taken from the queue in this slot's worker; answer its caller."""
        job, kwargs, future, on_progress = item.job, item.kwargs, item.future, item.on_progress
        if not future.set_running_or_notify_cancel():
            return  # its caller went away while it waited
        if self._closed:
            future.set_exception(
                ServiceBusy("ims is shutting down; try again shortly", retry_after=_RETRY_AFTER_S)
            )
            return
        what = _what(job)
        limit = min(self.timeout_s, item.timeout_s or self.timeout_s)
        try:
            worker = self._worker(slot)
            status, value = worker.call(job, kwargs, limit, on_progress)
        except _TimedOut:
            log.warning("%s ran past %s s: its worker is killed", what, limit)
            self._drop(slot)
            future.set_exception(
                TookTooLong(
                    f"{what} took longer than {limit:,.0f} s and was stopped; "
                    "nothing of it was kept"
                )
            )
        except (EOFError, OSError):
            log.error("the worker running %s ended unexpectedly", what)
            self._drop(slot)
            lost = f"{what} stopped unexpectedly (its worker ended); nothing of it was kept"
            future.set_exception(ImsError(lost))
        except BaseException as exc:  # e.g. the worker did not start
            log.exception("%s could not run", what)
            self._drop(slot)
            failed = ImsError(f"{what} could not run; it has been logged")
            future.set_exception(exc if isinstance(exc, ImsError) else failed)
        else:
            if status == "ok":
                future.set_result(value)
            else:
                future.set_exception(value)
            self._recycle_if_grown(slot, worker)


class Jobs(Protocol):
    """Where the API runs its long jobs."""

    async def run(
        self,
        lane: Lane,
        job: Job,
        session: Session,
        /,
        on_progress: Say | None = None,
        *,
        owner: Hashable | None = None,
        **kwargs: Any,
    ) -> Any:
        """Run ``job(session, **kwargs)`` in ``lane``, its steps told to ``on_progress``;
        its result, or its error raised. ``owner``: whose it is, for the queue's fairness."""

    def run_waiting(
        self, lane: Lane, job: Job, *, owner: Hashable | None, timeout_s: float, **kwargs: Any
    ) -> Any:
        """Run ``job(session, **kwargs)`` in ``lane`` with a session of its own, waiting
        for it in the calling thread (a page's handler): its result, or its error raised."""

    def start(self) -> None:
        """Be ready for the first job (``ims serve`` calls it as it starts)."""

    def close(self) -> None:
        """Stop, at the server's shutdown."""


class PoolJobs:
    """Jobs in worker processes: one pool for uploads, one for approvals."""

    def __init__(self, database_url: str) -> None:
        settings = get_settings()
        self.pools: dict[str, JobPool] = {
            lane: JobPool(
                lane,
                database_url,
                workers=workers,
                timeout_s=settings.job_timeout_s,
                queue_size=settings.job_queue,
                nice=settings.job_nice,
            )
            for lane, workers in (("uploads", settings.job_workers), ("approvals", 1))
        }

    async def run(
        self,
        lane: Lane,
        job: Job,
        session: Session,
        /,
        on_progress: Say | None = None,
        *,
        owner: Hashable | None = None,
        **kwargs: Any,
    ) -> Any:
        """Run the job in a worker; the request's session lets go of its connection first."""
        await run_in_threadpool(session.close)  # no connection held while the job runs
        return await self.pools[lane].run(job, on_progress, owner=owner, **kwargs)

    def run_waiting(
        self, lane: Lane, job: Job, *, owner: Hashable | None, timeout_s: float, **kwargs: Any
    ) -> Any:
        """Run the job in a worker, this thread waiting for it (the pool's time limit, or
        ``timeout_s`` if shorter, stops it)."""
        future = self.pools[lane].submit(job, owner=owner, timeout_s=timeout_s, **kwargs)
        return future.result()

    def start(self) -> None:
        """Start both pools' workers, in the background."""
        for pool in self.pools.values():
            pool.start()

    def close(self) -> None:
        """Kill the workers of both pools."""
        for pool in self.pools.values():
            pool.close()


class InlineJobs:
    """Jobs run in the request's own session, in the server's thread pool.

    Only for tests whose requests share one rolled-back transaction (a session given with
    ``dependency_overrides``), which a worker process could not see. Never for serving.
    """

    async def run(
        self,
        lane: Lane,
        job: Job,
        session: Session,
        /,
        on_progress: Say | None = None,
        *,
        owner: Hashable | None = None,
        **kwargs: Any,
    ) -> Any:
        """Run the job at once, committing (or rolling back) the request's session."""
        if on_progress is not None and takes_progress(job):
            kwargs = {**kwargs, "progress": on_progress}

        def call() -> Any:
            try:
                result = job(session, **kwargs)
                session.commit()
            except BaseException:
                session.rollback()
                raise
            return result

        return await run_in_threadpool(call)

    def run_waiting(
        self, lane: Lane, job: Job, *, owner: Hashable | None, timeout_s: float, **kwargs: Any
    ) -> Any:
        """Run the job at once in this thread, with no session (tests only)."""
        return job(None, **kwargs)

    def start(self) -> None:
        """Nothing to start."""

    def close(self) -> None:
        """Nothing to stop."""
