"""The answers readers ask for first are computed again when the data changes (ims.api.warm),
so that the first readers after an approval do not wait for them."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import MultiPolygon, box
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ims import jobs
from ims.api import warm
from ims.app import create_app, served_app
from ims.config import get_settings
from ims.db.recording import load_boundaries, record_hazards
from ims.domain.enums import HazardStatus
from ims.domain.records import BoundaryFeature, NewHazard
from ims.ingest import submissions
from ims.queries import first, national
from ims.reports import kept, tiles
from ims.reports.article7 import ReportScope
from ims.reports.history import article7_with_history
from tests.ingest.test_submissions import LAOS, hazard_frame, write_zip

pytestmark = pytest.mark.db

TODAY = dt.date(2026, 6, 15)


def _record(session: Session, reference: str) -> None:
    record_hazards(
        session,
        [
            NewHazard(
                reference, HazardStatus.CHA, box(102.1, 19.6, 102.11, 19.61), dt.date(2020, 1, 1)
            )
        ],
    )


def _never(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("computed again although it was kept")


def test_warm_keeps_the_answers_read_first(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_boundaries(
        session,
        [BoundaryFeature("P-A", "Province A", MultiPolygon([box(102.0, 19.0, 102.5, 20.0)]))],
        level=1,
    )
    _record(session, "W1")
    kept.ANSWERS.clear()
    first.warm(session, TODAY)
    assert first.dates(TODAY) == [TODAY] + [dt.date(2026 - k, 12, 31) for k in range(1, 11)]

    # every one of them is now answered without computing it
    monkeypatch.setattr(national, "_figures", _never)
    monkeypatch.setattr(national, "_dashboard", _never)
    monkeypatch.setattr(national, "_map_bounds", _never)
    monkeypatch.setattr(tiles, "_province_figures", _never)
    for day in first.dates(TODAY):
        figures = national.national_figures(session, day)
        count = 1 if day >= dt.date(2020, 1, 1) else 0
        assert figures["total_count"] == count
        assert sum(n for _, n in tiles.province_figures(session, day).values()) == count
    assert national.dashboard(session, TODAY).totals["total_count"] == 1
    assert national.map_bounds(session)
    monkeypatch.setattr("ims.reports.history.article7", _never)
    scope = ReportScope(level=1, contam=national.default_contam(session))
    report = article7_with_history(session, 2025, scope, today=TODAY)
    assert report["year"] == 2025

    # a date that is not among them is computed when asked for
    with pytest.raises(AssertionError, match="computed again"):
        national.national_figures(session, dt.date(2026, 3, 1))


def test_an_approval_hands_over_the_answers_as_of_its_commit(
    committed_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(committed_engine) as s, s.begin():
        load_boundaries(s, [BoundaryFeature("LA-XI", "X", MultiPolygon([LAOS]))], level=1)
        _record(s, "W0")
        frame = hazard_frame([{"hazard_id": "AHEAD-1"}], [box(103.0, 19.4, 103.01, 19.41)])
        staged = submissions.stage(s, write_zip(frame, tmp_path, "ahead"), kind="hazards")
        first_id = staged.submission.id
    kept.ANSWERS.clear()
    # as in the approvals' worker process: the job, then its commit
    outcome, ahead = jobs._run(
        committed_engine,
        jobs.approve_submission,
        {"submission_id": first_id, "by": None},
        lambda _step: None,
    )
    assert outcome == "ok" and ahead
    kept.ANSWERS.clear()  # the server's own, which the worker's are not
    kept.keep(ahead)

    # the server's first readers after the commit find them, counting the approved hazard
    monkeypatch.setattr(national, "_figures", _never)
    monkeypatch.setattr(national, "_dashboard", _never)
    monkeypatch.setattr(tiles, "_province_figures", _never)
    with Session(committed_engine) as s:
        assert national.national_figures(s, dt.date.today())["total_count"] == 2
        assert national.dashboard(s, dt.date.today()).totals["total_count"] == 2
        assert sum(n for _, n in tiles.province_figures(s, dt.date.today()).values()) == 2

    # none for a national import (its tables' statistics are stale inside it), nor when the
    # server computes nothing ahead
    for n, (setting, value) in enumerate(
        [("AHEAD_UP_TO_FEATURES", 0), ("warm_interval_s", 0)], start=2
    ):
        monkeypatch.setattr(jobs if setting.isupper() else get_settings(), setting, value)
        with Session(committed_engine) as s, s.begin():
            frame = hazard_frame(
                [{"hazard_id": f"AHEAD-{n}"}], [box(103 + n / 10, 19.4, 103.01 + n / 10, 19.41)]
            )
            staged = submissions.stage(s, write_zip(frame, tmp_path, f"ahead{n}"), kind="hazards")
            later_id = staged.submission.id
        outcome = jobs._run(
            committed_engine,
            jobs.approve_submission,
            {"submission_id": later_id, "by": None},
            lambda _step: None,
        )
        assert outcome == ("ok", []), setting
        monkeypatch.undo()


def _until(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the warming thread did not get there in time"
        time.sleep(0.02)


def test_the_thread_warms_at_start_and_after_each_change_only(
    committed_engine: Engine,
) -> None:
    warmer = warm.Warmer(committed_engine, 0.05)
    warmer.start()
    try:
        _until(lambda: warmer.rounds == 1)  # at start
        time.sleep(0.5)  # ten looks, nothing changed
        assert warmer.rounds == 1
        with Session(committed_engine) as s, s.begin():
            _record(s, "W2")  # as an approval commits
        _until(lambda: warmer.rounds == 2)
        with Session(committed_engine) as s:
            stamp = kept.stamp(s)
        assert any(key[0] == stamp for key in kept.ANSWERS._answers)
    finally:
        warmer.stop()
    assert not warmer._thread.is_alive()


def test_only_the_served_application_warms(
    committed_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert create_app(committed_engine).state.warmer is None  # tests, tools
    assert create_app(committed_engine, warm=True).state.warmer is not None
    monkeypatch.setenv("IMS_DATABASE_URL", committed_engine.url.render_as_string(False))
    get_settings.cache_clear()
    assert served_app().state.warmer is not None  # ims serve
    monkeypatch.setenv("IMS_WARM_INTERVAL_S", "0")
    get_settings.cache_clear()
    assert create_app(committed_engine, warm=True).state.warmer is None


class _CountedJobs(jobs.InlineJobs):
    started = 0

    def start(self) -> None:
        self.started += 1


def test_the_served_application_starts_its_workers_as_it_starts(
    committed_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first upload and approval after `ims serve` started waited for their workers.
    for start_workers, expected in ((False, 0), (True, 1)):
        counted = _CountedJobs()
        app = create_app(committed_engine, jobs=counted, start_workers=start_workers)
        with TestClient(app):
            assert counted.started == expected
    monkeypatch.setenv("IMS_DATABASE_URL", committed_engine.url.render_as_string(False))
    get_settings.cache_clear()
    assert served_app().state.start_workers


def test_a_database_that_is_down_is_one_line_in_the_log_not_a_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """With the database stopped, each retry logged a traceback of about 110 lines (found
    by a walk-through as a system administrator)."""
    from sqlalchemy import create_engine

    silent = create_engine(f"postgresql+psycopg://ims_app@/ims?host={tmp_path}")
    warmer = warm.Warmer(silent, 0.05)
    with caplog.at_level("WARNING", logger="ims.api.warm"):
        warmer.start()
        deadline = time.monotonic() + 10
        while not caplog.records and time.monotonic() < deadline:
            time.sleep(0.05)
        warmer.stop()
    said = [r for r in caplog.records if "could not compute" in r.getMessage()]
    assert said and all(r.exc_info is None for r in said)
    assert "retrying" in said[0].getMessage() and "\n" not in said[0].getMessage()
