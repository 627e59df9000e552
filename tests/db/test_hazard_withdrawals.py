"""Withdrawing a hazard recorded in error, such as the same hazard recorded twice
(docs/design.md §2.9).

The rule: once withdrawn, a hazard counts as if it had never been recorded, on every date,
at every level and in the overlaps between hazards, while the hazard, its revisions and
the withdrawal stay in the database. Checked as a property over random histories against
the same history recorded without the hazards withdrawn, and areas against pyproj.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import box
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ims.db.recording import record_hazards, record_releases, revise_hazards
from ims.db.verify import verify_database
from ims.db.withdrawals import hazard_withdrawal_effect, withdraw_hazard, withdraw_release
from ims.domain.enums import Contamination, HazardStatus, ReleaseMethod
from ims.domain.records import NewHazard, NewRelease
from ims.errors import Conflict, InvalidRequest, NotFound
from ims.ingest import approval
from ims.reports.article7 import ReportScope, released, remaining
from ims.reports.history import KIND_ARTICLE7, article7_params, corrections, first_production
from tests.db.test_withdrawals import figures, same
from tests.reports.test_report_changes import (
    check,
    dates_around,
    histories,
    load_provinces_and_districts,
)

GEOD = Geod(ellps="WGS84")
CMR = Contamination.CMR
SHA = HazardStatus.SHA


def geodesic_m2(geom: Any) -> float:
    """Area on the WGS84 ellipsoid, computed apart from ims."""
    return abs(GEOD.geometry_area_perimeter(geom)[0])


@st.composite
def withdrawn_hazards(draw):  # type: ignore[no-untyped-def]
    """A history (as the report's property test draws it) and hazards to withdraw."""
    hazards, changes, releases, split = draw(histories())
    gone = draw(st.sets(st.sampled_from([h.reference for h in hazards])))
    return hazards, changes, releases, split, frozenset(gone)


def record(  # type: ignore[no-untyped-def]
    session: Session, hazards, changes, releases, split, gone, *, withdrawing: bool
) -> list[dt.date]:
    """The history in three approvals. ``withdrawing``: all of it recorded, then the
    hazards in ``gone`` withdrawn (their releases first, as ims asks); otherwise those
    hazards, their revisions and their releases never recorded."""
    load_provinces_and_districts(session)

    def kept(records):  # type: ignore[no-untyped-def]
        return [r for r in records if withdrawing or r.hazard_reference not in gone]

    record_hazards(session, [h for h in hazards if withdrawing or h.reference not in gone])
    record_releases(session, kept(releases[:split]))
    for change in sorted(changes, key=lambda c: c.effective, reverse=True):
        if withdrawing or change.reference not in gone:
            revise_hazards(session, [change])
    record_releases(session, kept(releases[split:]))
    if withdrawing:
        for reference in sorted(gone):
            for release in releases:
                if release.hazard_reference == reference:
                    withdraw_release(session, release.reference, reason="on a duplicate")
            withdraw_hazard(session, reference, reason="recorded twice", by="tests")
    return dates_around(
        [h.recorded for h in hazards]
        + [c.effective for c in changes]
        + [r.released for r in releases]
    )


@settings(
    max_examples=6,  # each records its history twice: about 3 s an example
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=withdrawn_hazards())
def test_a_withdrawn_hazard_counts_as_if_it_had_never_been_recorded(
    session: Session,
    history,  # type: ignore[no-untyped-def]
) -> None:
    nested = session.begin_nested()
    try:
        dates = record(session, *history, withdrawing=False)
        want = figures(session, dates)
        want_overlaps = session.execute(
            text(
                "SELECT a.reference, b.reference FROM hazard_overlap o JOIN hazard a"
                " ON a.id = o.hazard_id JOIN hazard b ON b.id = o.other_id ORDER BY 1, 2"
            )
        ).all()
    finally:
        nested.rollback()
    nested = session.begin_nested()
    try:
        record(session, *history, withdrawing=True)
        check(session, dates)  # the map's and the report's kept rows follow the ledger
        got = figures(session, dates)
        assert got.keys() == want.keys()
        for key in want:
            same(got[key], want[key], (key,))
        got_overlaps = session.execute(
            text(
                "SELECT a.reference, b.reference FROM hazard_overlap o JOIN hazard a"
                " ON a.id = o.hazard_id JOIN hazard b ON b.id = o.other_id ORDER BY 1, 2"
            )
        ).all()
        assert got_overlaps == want_overlaps
        gone = history[4]
        # nothing of a withdrawn hazard is on any map of any date
        assert (
            session.scalar(
                text(
                    "SELECT count(*) FROM hazard_period p JOIN hazard h ON h.id = p.hazard_id"
                    " WHERE h.reference = ANY(:g)"
                ),
                {"g": list(gone)},
            )
            == 0
        )
        # nothing was removed: every hazard and revision is still recorded
        assert session.scalar(text("SELECT count(*) FROM hazard")) == len(history[0])
        assert session.scalar(text("SELECT count(*) FROM hazard_withdrawal")) == len(gone)
    finally:
        nested.rollback()


# The same hazard recorded twice: a 0.01° square near 19.5°N as H-1, and again as H-2
# by another team a year later; a third hazard beside them.
SQUARE = box(102.20, 19.50, 102.21, 19.51)
BESIDE = box(102.21, 19.50, 102.22, 19.51)
HALF = box(102.20, 19.50, 102.205, 19.51)


@pytest.fixture
def twice(session: Session) -> None:
    load_provinces_and_districts(session)
    record_hazards(
        session,
        [
            NewHazard("H-1", SHA, SQUARE, dt.date(2020, 1, 10)),
            NewHazard("H-2", SHA, SQUARE, dt.date(2021, 5, 3)),
            NewHazard("H-3", SHA, BESIDE, dt.date(2020, 1, 10)),
        ],
    )


def test_withdrawing_a_hazard_recorded_twice_takes_its_area_out_of_every_date(
    session: Session, twice: None
) -> None:
    whole, beside = geodesic_m2(SQUARE), geodesic_m2(BESIDE)
    scope = ReportScope(level=1, contam=CMR)
    before = remaining(session, dt.date(2022, 1, 1), scope)[-1]["total_area_m2"]
    assert before == pytest.approx(2 * whole + beside, rel=1e-6)  # counted twice
    effect = hazard_withdrawal_effect(session, "H-2", today=dt.date(2022, 6, 1))
    assert effect.area_m2 == pytest.approx(whole, rel=1e-6)
    assert effect.remaining_m2 == pytest.approx(whole, rel=1e-6)
    assert effect.overlaps == ["H-1"]
    assert effect.recorded == dt.date(2021, 5, 3)
    assert effect.years == [2021, 2022]
    assert session.scalar(text("SELECT count(*) FROM hazard_withdrawal")) == 0  # nothing written

    withdraw_hazard(session, "H-2", reason="the same hazard as H-1", by="tests")
    for on in (dt.date(2021, 6, 1), dt.date(2022, 1, 1)):
        after = remaining(session, on, scope)[-1]["total_area_m2"]
        assert after == pytest.approx(whole + beside, rel=1e-6), on
    # not released either: nothing was cancelled to get rid of it
    year = released(session, dt.date(2020, 12, 31), dt.date(2021, 12, 31), scope)[-1]
    assert year["cancelled_m2"] == 0 and year["reduced_m2"] == 0 and year["cleared_m2"] == 0
    assert session.scalar(text("SELECT count(*) FROM hazard_overlap")) == 0
    assert session.scalars(text("SELECT reference FROM hazard_in_force ORDER BY 1")).all() == [
        "H-1",
        "H-3",
    ]
    assert session.scalar(text("SELECT count(*) FROM hazard_revision_in_force")) == 2
    assert session.scalar(text("SELECT count(*) FROM hazard_revision")) == 3  # all kept
    assert verify_database(session).clean


def test_a_hazard_with_releases_in_force_is_not_withdrawn_until_they_are(
    session: Session, twice: None
) -> None:
    record_releases(
        session, [NewRelease("R-1", "H-2", ReleaseMethod.CLEARED, dt.date(2021, 8, 1), HALF)]
    )
    with pytest.raises(Conflict, match=r"releases in force \(R-1\): withdraw each of them"):
        withdraw_hazard(session, "H-2", reason="recorded twice", by="tests")
    with pytest.raises(Conflict, match="R-1"):
        hazard_withdrawal_effect(session, "H-2")
    withdraw_release(session, "R-1", reason="on the duplicate", by="tests")
    withdraw_hazard(session, "H-2", reason="recorded twice", by="tests")
    assert verify_database(session).clean


def test_a_hazard_withdrawal_needs_a_reason_and_happens_once(session: Session, twice: None) -> None:
    with pytest.raises(InvalidRequest, match="reason"):
        withdraw_hazard(session, "H-2", reason=" ", by="tests")
    with pytest.raises(NotFound, match="H-9"):
        withdraw_hazard(session, "H-9", reason="typo", by="tests")
    withdraw_hazard(session, "H-2", reason="recorded twice", by="tests")
    with pytest.raises(Conflict, match=r"already withdrawn .* by tests"):
        withdraw_hazard(session, "H-2", reason="again", by="tests")


def test_a_hazard_withdrawal_is_audited_and_verified(session: Session, twice: None) -> None:
    approval.withdraw_hazard(session, "H-2", reason="the same hazard as H-1", by="reviewer-1")
    event = session.execute(
        text(
            "SELECT actor, object_id, before, after FROM audit_event "
            "WHERE action = 'hazard.withdrawn'"
        )
    ).one()
    assert event.actor == "reviewer-1" and event.object_id == "H-2"
    assert event.before["remaining_m2"] == pytest.approx(geodesic_m2(SQUARE), abs=0.1)
    assert event.after == {"reason": "the same hazard as H-1", "overlapped": ["H-1"]}
    assert verify_database(session).clean


def test_a_hazard_withdrawn_after_a_report_was_finalised_is_one_of_its_corrections(
    session: Session, twice: None
) -> None:
    scope = ReportScope(level=1, contam=CMR)
    stamp = int(session.scalar(text("SELECT max(seq) FROM hazard_revision")) or 0)
    first_production(session, KIND_ARTICLE7, article7_params(2021, scope), stamp, {}, "tests")
    assert hazard_withdrawal_effect(session, "H-2").finalised_years == [2021]
    withdraw_hazard(session, "H-2", reason="the same hazard as H-1", by="tests")
    count, listed = corrections(session, stamp, dt.date(2021, 12, 31), scope)
    assert count == 1
    assert listed[0]["what"] == "hazard withdrawn"
    assert listed[0]["hazard"] == "H-2" and listed[0]["detail"] == "the same hazard as H-1"
    assert listed[0]["on"] == "2021-05-03"
    # a report of a year before the hazard existed lists nothing
    assert corrections(session, stamp, dt.date(2020, 12, 31), scope)[0] == 0


def test_the_application_cannot_take_a_hazard_withdrawal_back(
    session: Session, twice: None
) -> None:
    withdraw_hazard(session, "H-2", reason="recorded twice", by="tests")
    for statement in (
        "DELETE FROM hazard_withdrawal",
        "UPDATE hazard_withdrawal SET reason = 'x'",
        "DELETE FROM hazard_in_force",
        "INSERT INTO hazard_revision_in_force (hazard_id, effective, status, geom, map_area_m2)"
        " SELECT hazard_id, effective, status, geom, map_area_m2 FROM hazard_revision LIMIT 1",
    ):
        with pytest.raises(DBAPIError, match="permission denied"), session.begin_nested():
            session.execute(text(statement))


def test_the_ledger_function_refuses_a_ledger_that_counts_a_withdrawn_hazard(
    session: Session, twice: None
) -> None:
    from ims.db import ledger

    hid = session.scalar(text("SELECT id FROM hazard WHERE reference = 'H-2'"))
    rows = ledger.ledger_rows(ledger.load_inputs(session, [hid]), ledger.admin_indexes(session))
    withdraw_hazard(session, "H-2", reason="recorded twice", by="tests")
    with pytest.raises(DBAPIError, match="refused the rows"), session.begin_nested():
        ledger._store(session, [hid], rows)
