"""Answers kept in memory (ims.reports.kept) are given again only while nothing they come
from has changed, and each caller gets a copy of its own."""

from __future__ import annotations

import datetime as dt
import gzip
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from shapely.geometry import MultiPolygon, box
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from ims.db.recording import load_boundaries, record_hazards, record_releases
from ims.db.reference import add_munition
from ims.domain.enums import HazardStatus, ReleaseMethod
from ims.domain.records import BoundaryFeature, NewHazard, NewRelease
from ims.queries import national
from ims.reports import kept, tiles


def test_figures_follow_what_is_recorded_and_copies_are_the_callers(session: Session) -> None:
    load_boundaries(
        session,
        [BoundaryFeature("P-A", "Province A", MultiPolygon([box(102.0, 19.0, 102.5, 20.0)]))],
        level=1,
    )
    record_hazards(
        session,
        [NewHazard("H1", HazardStatus.SHA, box(102.1, 19.6, 102.11, 19.61), dt.date(2020, 1, 1))],
    )
    on = dt.date(2023, 1, 1)
    first = national.national_figures(session, on)
    first["total_area_m2"] = -1  # the caller's own copy
    again = national.national_figures(session, on)
    assert again["total_area_m2"] > 0 and again["total_count"] == 1
    record_releases(
        session,
        [
            NewRelease(
                "R1",
                "H1",
                ReleaseMethod.CLEARED,
                dt.date(2022, 3, 1),
                box(102.1, 19.6, 102.11, 19.61),
            )
        ],
    )
    after = national.national_figures(session, on)
    assert after["total_count"] == 0 and after["total_area_m2"] == 0


def test_the_stamp_moves_with_what_figures_come_from_not_with_numbers_taken(
    session: Session,
) -> None:
    before = kept.stamp(session)
    session.execute(text("SELECT nextval('recording_seq')"))  # an approval starting
    assert kept.stamp(session) == before
    add_munition(session, "TEST-1", "a test munition", "CMR", True, by="tests")
    assert kept.stamp(session) != before


def test_answers_are_kept_up_to_a_size_the_least_used_going_first() -> None:
    answers = kept.Kept(limit=10_000)
    answers.put("a", b"x" * 4000)
    answers.put("b", b"x" * 4000)
    assert answers.get("a") is not None  # used: "b" is now the least recently used
    answers.put("c", b"x" * 4000)
    assert answers.get("b") is None
    assert answers.get("a") is not None and answers.get("c") is not None
    assert answers.size <= answers.limit


def _at_once(n: int, ask: Callable[[], Any]) -> list[Any]:
    """``ask()`` from ``n`` threads released together; their answers."""
    start = threading.Barrier(n)

    def one(_: int) -> Any:
        start.wait()
        return ask()

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def test_a_cold_answer_asked_for_by_many_at_once_is_computed_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # After an approval every kept answer is stale; 20 readers asking for the dashboard at
    # once computed it 20 times over, on the same cores the approval needs.
    stamp = f"stampede-{uuid.uuid4()}"
    monkeypatch.setattr(kept, "stamp", lambda _session: stamp)
    computed: list[int] = []

    def compute() -> dict[str, int]:
        computed.append(1)
        time.sleep(0.3)  # long enough for every reader to be waiting for it
        return {"computations": len(computed)}

    answers = _at_once(20, lambda: kept.kept(None, "stampede", 1, compute))  # type: ignore[arg-type]
    assert len(computed) == 1
    assert answers == [{"computations": 1}] * 20
    assert len({id(a) for a in answers}) == 20  # each reader still gets a copy of its own


def test_a_cold_tile_asked_for_by_many_at_once_is_built_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stamp = f"stampede-{uuid.uuid4()}"
    monkeypatch.setattr(tiles, "_state", lambda _session: (stamp, dt.date(2024, 1, 1)))
    built: list[int] = []

    def build(*_args: Any) -> bytes:
        built.append(1)
        time.sleep(0.3)
        return b"a tile"

    monkeypatch.setattr(tiles, "_build", build)
    answers = _at_once(20, lambda: tiles.tile(None, "hazards", 8, 200, 113, compress=True))  # type: ignore[arg-type]
    assert len(built) == 1
    assert len(set(answers)) == 1 and gzip.decompress(answers[0]) == b"a tile"


def test_a_stamp_read_while_records_are_written_is_the_last_committed_one(
    committed_engine: Engine,
) -> None:
    with Session(committed_engine) as setup:
        load_boundaries(
            setup,
            [BoundaryFeature("P-A", "Province A", MultiPolygon([box(102.0, 19.0, 102.5, 20.0)]))],
            level=1,
        )
        setup.commit()
    with Session(committed_engine) as reader:
        before = kept.stamp(reader)
    with Session(committed_engine) as recorder:
        record_hazards(
            recorder,
            [
                NewHazard(
                    "H1", HazardStatus.SHA, box(102.1, 19.6, 102.11, 19.61), dt.date(2020, 1, 1)
                )
            ],
        )
        recording = kept.stamp(recorder)  # what an answer computed in the approval is kept as
        assert recording != before
        with Session(committed_engine) as reader:
            assert kept.stamp(reader) == before, "uncommitted records moved others' stamp"
        recorder.commit()
    with Session(committed_engine) as reader:
        assert kept.stamp(reader) == recording
        assert reader.scalar(text("SELECT count(*) FROM hazard_revision")) == 1


def test_a_stamp_is_never_given_again_after_a_rollback(committed_engine: Engine) -> None:
    # An approval that fails after computing answers under its stamp is rolled back; the
    # next one records other things and must not find those answers under its own.
    with Session(committed_engine) as setup:
        load_boundaries(
            setup,
            [BoundaryFeature("P-A", "Province A", MultiPolygon([box(102.0, 19.0, 102.5, 20.0)]))],
            level=1,
        )
        setup.commit()
    stamps = []
    for reference in ("H1", "H2"):
        with Session(committed_engine) as approval:
            record_hazards(
                approval,
                [
                    NewHazard(
                        reference,
                        HazardStatus.SHA,
                        box(102.1, 19.6, 102.11, 19.61),
                        dt.date(2020, 1, 1),
                    )
                ],
            )
            stamps.append(kept.stamp(approval))
            approval.rollback()
    assert stamps[0] != stamps[1]
