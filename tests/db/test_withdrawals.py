"""Withdrawing an approved release recorded in error (docs/design.md §2.8).

The rule: once withdrawn, a release counts as if it had never been recorded, on every date
and at every level, while the release itself, its items and the withdrawal stay in the
database. Checked as a property over random histories against the same history recorded
without the releases withdrawn, and areas against pyproj's geodesic areas.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import box
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ims.db.recording import record_hazards, record_releases, revise_hazards
from ims.db.withdrawals import _reason, withdraw_release, withdrawal_effect, years_said
from ims.domain.enums import Contamination, HazardStatus, ReleaseMethod
from ims.domain.records import NewHazard, NewRelease
from ims.errors import Conflict, InvalidRequest, NotFound
from ims.ingest import approval
from ims.reports.article7 import ReportScope, released, remaining
from ims.reports.history import KIND_ARTICLE7, article7_params, corrections, first_production
from tests.reports.test_report_changes import (
    CLOSED_AND_REOPENED,
    check,
    dates_around,
    histories,
    load_provinces_and_districts,
)

GEOD = Geod(ellps="WGS84")
CMR, APM = Contamination.CMR, Contamination.APM
SHA = HazardStatus.SHA
CLEARED = ReleaseMethod.CLEARED


def geodesic_m2(geom: Any) -> float:
    """Area on the WGS84 ellipsoid, computed apart from ims."""
    return abs(GEOD.geometry_area_perimeter(geom)[0])


@st.composite
def withdrawn_histories(draw):  # type: ignore[no-untyped-def]
    """A history (as the report's property test draws it) and releases to withdraw."""
    hazards, changes, releases, split = draw(histories())
    gone = draw(st.sets(st.integers(0, len(releases) - 1))) if releases else set()
    return hazards, changes, releases, split, frozenset(gone)


def record(  # type: ignore[no-untyped-def]
    session: Session, hazards, changes, releases, split, gone, *, withdrawing: bool
) -> list[dt.date]:
    """The history in three approvals. ``withdrawing``: every release recorded, those in
    ``gone`` withdrawn, some before later revisions and releases are recorded (which are
    then appended to a ledger built without them); otherwise those never recorded."""
    load_provinces_and_districts(session)
    record_hazards(session, hazards)
    kept = [r for k, r in enumerate(releases) if withdrawing or k not in gone]
    first = [r for r in kept if int(r.reference[1:]) < split]
    record_releases(session, first)
    if withdrawing:
        for k in sorted(k for k in gone if k < split):
            withdraw_release(session, f"R{k}", reason="sent twice", by="tests")
    for change in sorted(changes, key=lambda c: c.effective, reverse=True):
        revise_hazards(session, [change])
    record_releases(session, [r for r in kept if int(r.reference[1:]) >= split])
    if withdrawing:
        for k in sorted(k for k in gone if k >= split):
            withdraw_release(session, f"R{k}", reason="wrong hazard", by="tests")
    return dates_around(
        [h.recorded for h in hazards]
        + [c.effective for c in changes]
        + [r.released for r in releases]
    )


def figures(session: Session, dates: list[dt.date]) -> dict[Any, list[dict[str, Any]]]:
    """Form 1(h) on each date and Form 1(i) between them, at both levels, both kinds."""
    out: dict[Any, list[dict[str, Any]]] = {}
    dates = sorted(set(dates))
    for level in (1, 2):
        for contam in (CMR, APM):
            scope = ReportScope(level=level, contam=contam)
            for d in dates:
                out[("remaining", level, contam, d)] = remaining(session, d, scope)
            for a, b in zip([dt.date(2000, 1, 1), *dates], dates, strict=False):
                out[("released", level, contam, a, b)] = released(session, a, b, scope)
    return out


def same(got: Any, want: Any, where: Any) -> None:
    """Equal, floats to 2e-3 m² (sums taken in another order)."""
    if isinstance(want, float):
        assert got == pytest.approx(want, abs=2e-3), where
    elif isinstance(want, dict):
        assert got.keys() == want.keys(), where
        for key in want:
            same(got[key], want[key], (*where, key))
    elif isinstance(want, list):
        assert len(got) == len(want), where
        for k, (g, w) in enumerate(zip(got, want, strict=True)):
            same(g, w, (*where, k))
    else:
        assert got == want, where


CLOSED_AND_REOPENED_LESS_ITS_CLEARANCE = (*CLOSED_AND_REOPENED, frozenset({1}))


@settings(
    max_examples=8,  # each records its history twice: about 3 s an example
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=withdrawn_histories())
@example(history=CLOSED_AND_REOPENED_LESS_ITS_CLEARANCE)
def test_a_withdrawn_release_counts_as_if_it_had_never_been_recorded(
    session: Session,
    history,  # type: ignore[no-untyped-def]
) -> None:
    nested = session.begin_nested()
    try:
        dates = record(session, *history, withdrawing=False)
        want = figures(session, dates)
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
        # nothing was removed: every release is still recorded, with its items
        releases = history[2]
        assert session.scalar(text("SELECT count(*) FROM release")) == len(releases)
        assert session.scalar(text("SELECT count(*) FROM release_withdrawal")) == len(history[4])
    finally:
        nested.rollback()


# Two hazards' worth of ground: a 0.01° square near 19.5°N, and the same clearance sent
# twice under two references, the first with items.
SQUARE = box(102.20, 19.50, 102.21, 19.51)
HALF = box(102.20, 19.50, 102.205, 19.51)


@pytest.fixture
def duplicated(session: Session) -> None:
    load_provinces_and_districts(session)
    record_hazards(session, [NewHazard("H-1", SHA, SQUARE, dt.date(2020, 1, 10))])
    record_releases(
        session,
        [
            NewRelease("R-A", "H-1", CLEARED, dt.date(2021, 3, 1), HALF, items={"BLU-26": 4}),
            NewRelease("R-B", "H-1", CLEARED, dt.date(2021, 3, 2), HALF, items={"M42": 1}),
        ],
    )


def test_withdrawing_the_first_of_a_duplicate_pair_lets_the_second_count_the_ground(
    session: Session, duplicated: None
) -> None:
    half, whole = geodesic_m2(HALF), geodesic_m2(SQUARE)
    effect = withdrawal_effect(session, "R-A")
    assert effect.counted_m2 == pytest.approx(half, rel=1e-6)
    assert effect.items == {"BLU-26": 4}
    assert [(r.reference, r.counted_m2) for r in effect.recounted] == [("R-B", 0.0)]
    assert effect.recounted[0].counted_after_m2 == pytest.approx(half, rel=1e-6)
    assert effect.remaining_m2 == pytest.approx(whole - half, rel=1e-6)
    assert effect.remaining_after_m2 == pytest.approx(whole - half, rel=1e-6)
    assert effect.years == [2021]
    # the preview wrote nothing
    assert session.scalar(text("SELECT count(*) FROM release_withdrawal")) == 0

    withdraw_release(session, "R-A", reason="sent again as R-B", by="tests")
    row = session.execute(
        text("SELECT -delta_m2 FROM ledger_entry e JOIN release r ON r.id = e.release_id")
    ).all()
    assert [r[0] for r in row] == [pytest.approx(half, rel=1e-6)]  # R-B's alone
    scope = ReportScope(level=1, contam=CMR)
    year = released(session, dt.date(2020, 12, 31), dt.date(2021, 12, 31), scope)[-1]
    assert year["cleared_m2"] == pytest.approx(half, rel=1e-6)
    assert [(i["type"], i["quantity"]) for i in year["destroyed"]] == [("M42", 1)]


def test_withdrawing_the_only_release_of_ground_makes_it_remaining_again(
    session: Session, duplicated: None
) -> None:
    withdraw_release(session, "R-A", reason="a duplicate", by="tests")
    effect = withdraw_release(session, "R-B", reason="the wrong hazard", by="tests")
    whole = geodesic_m2(SQUARE)
    assert effect.remaining_after_m2 == pytest.approx(whole, rel=1e-6)
    # remaining again for good: Form 1(h) changes every year from 2021 to this one (only
    # 2021 had been said)
    assert effect.years == list(range(2021, dt.date.today().year + 1))
    got = session.scalar(text("SELECT remaining_m2 FROM hazard_remaining"))
    assert got == pytest.approx(whole, rel=1e-6)
    scope = ReportScope(level=1, contam=CMR)
    assert remaining(session, dt.date(2022, 1, 1), scope)[-1]["total_area_m2"] == pytest.approx(
        whole, rel=1e-6
    )


def test_a_withdrawal_needs_a_reason_and_happens_once(session: Session, duplicated: None) -> None:
    with pytest.raises(InvalidRequest, match="reason"):
        withdraw_release(session, "R-A", reason="  ", by="tests")
    with pytest.raises(NotFound, match="R-Z"):
        withdraw_release(session, "R-Z", reason="typo", by="tests")
    # a right-to-left override reads the reason backwards on every page that shows it
    with pytest.raises(InvalidRequest, match="U\\+202E RIGHT-TO-LEFT OVERRIDE"):
        withdraw_release(session, "R-A", reason="a duplicate \u202eof R-B", by="tests")
    # nor a stroke drawn through "not", which the page shows struck out
    with pytest.raises(InvalidRequest, match="U\\+0336 COMBINING LONG STROKE OVERLAY"):
        withdraw_release(session, "R-A", reason="n\u0336o\u0336t\u0336 R-B", by="tests")
    # a Khmer reason's zero-width spaces between words, Persian's non-joiner and an
    # emoji's joiner are how those are written: kept (they had been refused)
    khmer = "\u1785\u17d2\u179a\u17bf\u200b\u179f\u17b6\u179a"
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467 \u2764\ufe0f"
    assert _reason(f"{khmer} {persian} {family}") == f"{khmer} {persian} {family}"
    withdraw_release(session, "R-A", reason="a duplicate\n\tof R-B", by="tests")
    with pytest.raises(Conflict, match=r"already withdrawn .* by tests"):
        withdraw_release(session, "R-A", reason="again", by="tests")
    with pytest.raises(Conflict, match="already withdrawn"):
        withdrawal_effect(session, "R-A")


def test_a_withdrawal_is_audited_with_what_it_changed(session: Session, duplicated: None) -> None:
    approval.withdraw_release(session, "R-A", reason="sent again as R-B", by="reviewer-1")
    event = session.execute(
        text(
            "SELECT actor, object_id, before, after FROM audit_event "
            "WHERE action = 'release.withdrawn'"
        )
    ).one()
    assert event.actor == "reviewer-1" and event.object_id == "R-A"
    assert event.before["counted_m2"] == pytest.approx(geodesic_m2(HALF), abs=0.1)
    assert event.after["reason"] == "sent again as R-B"
    assert [r["release"] for r in event.after["recounted"]] == ["R-B"]


def test_a_withdrawal_after_a_report_was_finalised_is_one_of_its_corrections(
    session: Session, duplicated: None
) -> None:
    scope = ReportScope(level=1, contam=CMR)
    stamp = int(session.scalar(text("SELECT max(seq) FROM release")) or 0)
    first_production(session, KIND_ARTICLE7, article7_params(2021, scope), stamp, {}, "tests")
    withdraw_release(session, "R-A", reason="sent again as R-B", by="tests")
    count, listed = corrections(session, stamp, dt.date(2021, 12, 31), scope)
    assert count == 1
    assert listed[0]["what"] == "release withdrawn"
    assert listed[0]["release"] == "R-A" and listed[0]["detail"] == "sent again as R-B"
    assert withdrawal_effect(session, "R-B").finalised_years == [2021]


def test_the_application_cannot_take_a_withdrawal_back(session: Session, duplicated: None) -> None:
    withdraw_release(session, "R-A", reason="a duplicate", by="tests")
    for statement in (
        "DELETE FROM release_withdrawal",
        "UPDATE release_withdrawal SET reason = 'x'",
    ):
        with pytest.raises(DBAPIError, match="permission denied"), session.begin_nested():
            session.execute(text(statement))


def test_releases_in_force_leave_out_the_withdrawn_and_only_them(
    session: Session, duplicated: None
) -> None:
    withdraw_release(session, "R-A", reason="a duplicate", by="tests")
    assert session.scalars(text("SELECT reference FROM release_in_force")).all() == ["R-B"]
    assert session.scalar(text("SELECT count(*) FROM release")) == 2


def test_years_are_said_as_a_reader_reads_them() -> None:
    assert [years_said(y) for y in ([2021], [2021, 2022], [2012, 2013, 2014])] == [
        "2021",
        "2021 and 2022",
        "2012–2014",
    ]
