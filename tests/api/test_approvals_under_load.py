"""Waiting approvals hold no server thread (issue 13, item 7).

The attack: with a long approval running, 45 approve calls (for submissions approved long
ago) each held a server thread waiting for the approval lock, and ``/api/v1/health`` took
22.3 s. Here another connection holds the approval lock (as a long approval would) while a
real server is sent an approval that must wait for it, 45 approvals of an approved
submission, health checks, and more approvals than may wait.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from shapely.geometry import MultiPolygon, box
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from ims.app import create_app
from ims.config import get_settings
from ims.db import accounts
from ims.db.recording import load_boundaries
from ims.domain.enums import Role
from ims.domain.records import BoundaryFeature
from ims.ingest import approval, submissions
from tests.api.test_gate import serve
from tests.ingest.test_submissions import LAOS, hazard_frame, write_zip


def _timed(call: Any) -> tuple[float, httpx.Response]:
    started = time.monotonic()
    response = call()
    return time.monotonic() - started, response


def test_settled_approvals_and_health_answer_at_once_while_an_approval_waits(
    committed_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "job_queue", 2)  # approvals that may wait
    with Session(committed_engine) as s, s.begin():
        load_boundaries(s, [BoundaryFeature("LA-XI", "X", MultiPolygon([LAOS]))], level=1)
        ids = []
        for n in range(5):
            frame = hazard_frame(
                [{"hazard_id": f"LOAD-{n}"}], [box(103 + n / 10, 19.4, 103.01 + n / 10, 19.41)]
            )
            path = write_zip(frame, tmp_path, f"load{n}")
            ids.append(submissions.stage(s, path, kind="hazards").submission.id)
        settled, waiting, *queued = ids
        approval.approve(s, settled)
        accounts.create_user(s, "load-reviewer", Role.REVIEWER, by="tests")
        token = accounts.create_token(s, "load-reviewer", "tests", by="tests")[1]
    app = create_app(committed_engine)
    server, thread, port = serve(app)
    base = f"http://127.0.0.1:{port}/api/v1"
    headers = {"Authorization": f"Bearer {token}"}
    results: dict[int, httpx.Response] = {}

    def approve(sid: int) -> None:
        results[sid] = httpx.post(f"{base}/submissions/{sid}/approve", headers=headers, timeout=180)

    holder = committed_engine.connect()
    waiters: list[threading.Thread] = []
    try:
        holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": approval.APPROVAL_LOCK})
        holder.commit()
        long_one = threading.Thread(target=approve, args=(waiting,))
        long_one.start()
        deadline = time.monotonic() + 120  # the approvals' worker starts, then waits
        while not holder.execute(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        ).scalar_one():
            assert time.monotonic() < deadline, "the approval never reached the lock"
            time.sleep(0.1)

        def crowd(sid: int, count: int) -> list[tuple[float, httpx.Response]]:
            timings: list[tuple[float, httpx.Response]] = []

            def one() -> None:
                timings.append(
                    _timed(
                        lambda: httpx.post(
                            f"{base}/submissions/{sid}/approve", headers=headers, timeout=60
                        )
                    )
                )

            threads = [threading.Thread(target=one) for _ in range(count)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return timings

        # The lock is held until the end: an answer that waited for it would never come
        # (the clients give up after 60 s). The bounds below leave room for a loaded
        # machine; what they tell apart is answered-now from waiting-on-the-lock.
        # 45 approvals of an approved submission: answered at once, none waits.
        timings = crowd(settled, 45)
        assert all(r.status_code == 200 and r.json()["status"] == "approved" for _, r in timings)
        assert max(took for took, _ in timings) < 30, sorted(took for took, _ in timings)[-5:]

        # Two approvals may wait behind the running one (without a thread); more are told
        # to come back later, at once.
        waiters = [threading.Thread(target=approve, args=(sid,)) for sid in queued[:2]]
        for t in waiters:
            t.start()
        pool = app.state.jobs.pools["approvals"]
        while pool._admitted < 3:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        refused = crowd(queued[2], 45)
        assert all(r.status_code == 503 for _, r in refused)
        assert max(took for took, _ in refused) < 30, sorted(took for took, _ in refused)[-5:]
        busy = refused[0][1]
        assert int(busy.headers["Retry-After"]) > 0
        assert busy.headers["content-type"] == "application/problem+json"

        # With approvals waiting, the server answers as if they were not there.
        health = [_timed(lambda: httpx.get(f"{base}/health", timeout=60)) for _ in range(5)]
        assert all(r.status_code == 200 for _, r in health)
        assert max(took for took, _ in health) < 10, [took for took, _ in health]
        assert long_one.is_alive() and all(t.is_alive() for t in waiters)  # still waiting
    finally:
        holder.execute(text("SELECT pg_advisory_unlock_all()"))
        holder.close()
        for t in [long_one, *waiters]:
            t.join(timeout=120)
        server.should_exit = True
        thread.join(timeout=10)
    assert [results[sid].json()["status"] for sid in (waiting, *queued[:2])] == ["approved"] * 3
