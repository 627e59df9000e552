"""Answers kept in memory (ims.reports.kept) are given again only while nothing they come
from has changed, and each caller gets a copy of its own."""

from __future__ import annotations

import datetime as dt

from shapely.geometry import MultiPolygon, box
from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.db.recording import load_boundaries, record_hazards, record_releases
from ims.db.reference import add_munition
from ims.domain.enums import HazardStatus, ReleaseMethod
from ims.domain.records import BoundaryFeature, NewHazard, NewRelease
from ims.queries import national
from ims.reports import kept


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
