"""A server killed mid-approval leaves nothing behind (issue 13, item 3).

The attack: ``kill -9`` of ``ims serve`` while it approved a submission large enough for
the ledger's parallel pool. The pool's children had been forked from the threaded server:
two of them lived on with PPID 1, ignoring SIGTERM, holding the server's database
connection (its backend "idle in transaction" with the approval lock, so the next
``ims import --approve`` hung) and its listening socket (so the server could not start
again on its port).

Here ``ims serve`` runs as a real process on a committed database, with a small ledger
chunk so that a 600-hazard approval uses the parallel pool. Another connection holds a
lock the approval needs only once that pool is running, so the kill comes at the worst
moment: the approval's worker and the pool's children alive, the approval lock held.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from shapely.geometry import MultiPolygon, box
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.orm import Session

from ims.db import accounts
from ims.db.recording import load_boundaries
from ims.domain.enums import Role
from ims.domain.records import BoundaryFeature
from ims.ingest import approval, submissions
from tests.ingest.test_submissions import LAOS, hazard_frame, write_zip

HAZARDS = 320  # 8 chunks of IMS_LEDGER_CHUNK_SIZE: enough for a pool of two workers
LOCK_KEY = approval.APPROVAL_LOCK


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _parent_of(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return int(fields[1])


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie that nobody reaps does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def tree(root: int) -> dict[int, int]:
    """Every live descendant of ``root``: {pid: depth}."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and alive(int(entry.name)):
            parent = _parent_of(int(entry.name))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    found: dict[int, int] = {}
    stack = [(root, 0)]
    while stack:
        pid, depth = stack.pop()
        for child in children.get(pid, []):
            found[child] = depth + 1
            stack.append((child, depth + 1))
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class Server:
    """``ims serve`` as a process of its own."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.port = port
        self.log = log.open("ab")
        ims = Path(sys.executable).with_name("ims")
        self.process = subprocess.Popen(
            [str(ims), "serve"], env=env, cwd=log.parent, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 90
        while True:
            assert self.process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
        self.log.close()


def _backends(conn: Connection, dbname: str) -> list[tuple[int, str, str]]:
    return [
        tuple(r)
        for r in conn.execute(
            text(  # type: ignore[misc]
                "SELECT pid, coalesce(state, ''), coalesce(query, '') FROM pg_stat_activity "
                "WHERE datname = :d AND pid <> pg_backend_pid()"
            ),
            {"d": dbname},
        )
    ]


def _approval_lock_holders(conn: Connection) -> int:
    return int(
        conn.execute(
            text(
                "SELECT count(*) FROM pg_locks "
                "WHERE locktype = 'advisory' AND objid = :k AND granted"
            ),
            {"k": LOCK_KEY},
        ).scalar_one()
    )


@pytest.fixture
def superuser(committed_database: str) -> Iterator[Engine]:
    """The same database as its owner: locks ims's role may not take, and pg_stat_activity."""
    engine = create_engine(committed_database)
    yield engine
    engine.dispose()


def test_a_server_killed_mid_approval_leaves_no_process_lock_or_port_behind(
    committed_engine: Engine, superuser: Engine, tmp_path: Path
) -> None:
    corners = [(101 + (i % 30) * 0.01, 19 + (i // 30) * 0.01) for i in range(HAZARDS)]
    squares = [box(x, y, x + 0.005, y + 0.005) for x, y in corners]
    frame = hazard_frame([{"hazard_id": f"CRASH-{i}"} for i in range(HAZARDS)], squares)
    with Session(committed_engine) as s, s.begin():
        load_boundaries(s, [BoundaryFeature("LA-XI", "X", MultiPolygon([LAOS]))], level=1)
        submission = submissions.stage(s, write_zip(frame, tmp_path, "big"), kind="hazards")
        sid = submission.submission.id
        assert submission.errors == 0
        accounts.create_user(s, "crash-reviewer", Role.REVIEWER, by="tests")
        token = accounts.create_token(s, "crash-reviewer", "tests", by="tests")[1]
    headers = {"Authorization": f"Bearer {token}"}
    dbname = str(committed_engine.url.database)
    port = _free_port()
    env = {
        **os.environ,
        "IMS_DATABASE_URL": committed_engine.url.render_as_string(False),
        "IMS_HOST": "127.0.0.1",
        "IMS_PORT": str(port),
        "IMS_LEDGER_CHUNK_SIZE": "40",
        "IMS_JOB_WORKERS": "1",
        "IMS_LOG_LEVEL": "WARNING",
    }
    log = tmp_path / "serve.log"
    server = Server(env, port, log)

    blocker = superuser.connect()
    watcher = superuser.connect()
    watcher.execution_options(isolation_level="AUTOCOMMIT")
    try:
        # The approval stores its first ledger chunk only after the pool has started.
        blocker.execute(text("LOCK TABLE ledger_entry IN SHARE MODE"))
        blocker_pid = blocker.execute(text("SELECT pg_backend_pid()")).scalar_one()

        def approve() -> None:
            with contextlib.suppress(httpx.HTTPError):  # the server is killed under it
                httpx.post(f"{server.url}/submissions/{sid}/approve", headers=headers, timeout=300)

        threading.Thread(target=approve, daemon=True).start()
        deadline = time.monotonic() + 180
        while True:
            descendants = tree(server.process.pid)
            pool_children = [
                p
                for p, depth in descendants.items()
                if depth >= 2 and "multiprocessing" in command_line(p)
            ]
            waiting = [
                b for b in _backends(watcher, dbname) if b[0] != blocker_pid and "ledger" in b[2]
            ]
            if len(pool_children) >= 2 and waiting and _approval_lock_holders(watcher):
                break
            assert server.process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, (descendants, log.read_text())
            time.sleep(0.2)
        everything = [server.process.pid, *descendants]

        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=10)
        killed = time.monotonic()
        while any(alive(p) for p in everything):
            survivors = {p: command_line(p) for p in everything if alive(p)}
            assert time.monotonic() - killed < 15, f"outlived the server: {survivors}"
            time.sleep(0.1)
        orphans = [
            p
            for p in map(int, filter(str.isdigit, os.listdir("/proc")))
            if alive(p) and _parent_of(p) == 1 and f"--port {port}" in command_line(p)
        ]
        assert orphans == []
        # The approval's backend ends as soon as PostgreSQL sees its client gone, even while
        # it waits for the lock still held here: the approval lock is free again.
        while _approval_lock_holders(watcher) or any(
            b[0] != blocker_pid and b[1].startswith("idle in transaction")
            for b in _backends(watcher, dbname)
        ):
            assert time.monotonic() - killed < 20, _backends(watcher, dbname)
            time.sleep(0.2)
    finally:
        blocker.rollback()
        blocker.close()
        server.stop()

    try:
        with committed_engine.connect() as conn:
            status = conn.execute(
                text("SELECT status FROM submission WHERE id = :s"), {"s": sid}
            ).scalar_one()
            assert status == "validated"  # nothing of the killed approval was kept
        again = Server(env, port, log)  # the port is free again
        started = time.monotonic()
        answer = httpx.post(f"{again.url}/submissions/{sid}/approve", headers=headers, timeout=300)
        took = time.monotonic() - started
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "approved"
        assert took < 60, f"the next approval took {took:.1f} s"
        workers = tree(again.process.pid)
        again.stop()  # a graceful stop ends the workers too
        while any(alive(p) for p in workers):
            assert time.monotonic() - started < 90, {p: command_line(p) for p in workers}
            time.sleep(0.1)
    finally:
        watcher.close()
