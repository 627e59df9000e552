"""Withdrawing every release an approved submission recorded, a file approved in error
(docs/design.md §2.8).

The rule, as for one release: once withdrawn, a submission's releases count as if the file
had never been approved, on every date and at every level, while they stay recorded.
Checked as a property over random histories against the same history recorded without
that file, and the effect said beforehand against what the withdrawal then did.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import box
from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.db.models import Submission
from ims.db.recording import record_hazards, record_releases, revise_hazards
from ims.db.withdrawals import (
    submission_withdrawal_effect,
    withdraw_release,
    withdraw_submission_releases,
)
from ims.domain.enums import HazardStatus, ReleaseMethod, SubmissionStatus
from ims.domain.records import NewHazard, NewRelease
from ims.errors import Conflict, InvalidRequest, NotFound
from ims.ingest import approval
from tests.db.test_withdrawals import figures, same
from tests.reports.test_report_changes import check, dates_around, histories
from tests.reports.test_report_changes import load_provinces_and_districts as load_areas

GEOD = Geod(ellps="WGS84")
SQUARE = box(102.20, 19.50, 102.21, 19.51)
HALF = box(102.20, 19.50, 102.205, 19.51)
OTHER = box(102.30, 19.50, 102.31, 19.51)
CLEARED = ReleaseMethod.CLEARED


def geodesic_m2(geom: object) -> float:
    """Area on the WGS84 ellipsoid, computed apart from ims."""
    return abs(GEOD.geometry_area_perimeter(geom)[0])


def submission(
    session: Session, kind: str = "releases", status: str = SubmissionStatus.APPROVED
) -> int:
    """A submission row as an approval leaves it."""
    sub = Submission(
        kind=kind, filename=f"{kind}.gpkg", sha256="0" * 64, size_bytes=1, status=status
    )
    session.add(sub)
    session.flush()
    return sub.id


def remaining_now(session: Session) -> float:
    return float(
        session.scalar(text("SELECT COALESCE(sum(remaining_m2), 0) FROM hazard_remaining"))
    )


@settings(
    max_examples=12,  # each records its history twice
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories(), late=st.booleans())
def test_a_withdrawn_file_counts_as_if_it_had_never_been_approved(
    session: Session,
    history,  # type: ignore[no-untyped-def]
    late: bool,
) -> None:
    """The file is the releases before the split (approved before the revisions and the
    other releases, ``late`` False) or after it."""
    hazards, changes, releases, split = history
    ours = {r.reference for r in releases if (int(r.reference[1:]) >= split) == late}

    def recorded(with_file: bool) -> tuple[list[dt.date], int]:
        load_areas(session)
        record_hazards(session, hazards)
        sid = submission(session)
        first = [r for r in releases if int(r.reference[1:]) < split]
        then = [r for r in releases if int(r.reference[1:]) >= split]
        for batch in (first, then):
            if batch is then:
                for change in sorted(changes, key=lambda c: c.effective, reverse=True):
                    revise_hazards(session, [change])
            kept = [r for r in batch if with_file or r.reference not in ours]
            mine = [r for r in kept if r.reference in ours]
            record_releases(session, [r for r in kept if r.reference not in ours])
            record_releases(session, mine, submission_id=sid)
        dates = dates_around(
            [h.recorded for h in hazards]
            + [c.effective for c in changes]
            + [r.released for r in releases]
        )
        return dates, sid

    nested = session.begin_nested()
    try:
        dates, _ = recorded(with_file=False)
        want = figures(session, dates)
        want_remaining = remaining_now(session)
    finally:
        nested.rollback()
    nested = session.begin_nested()
    try:
        _, sid = recorded(with_file=True)
        if not ours:
            with pytest.raises(Conflict, match="no release in force"):
                submission_withdrawal_effect(session, sid)
            return
        before = remaining_now(session)
        effect = submission_withdrawal_effect(session, sid)
        assert sorted(effect.releases) == sorted(ours)
        assert effect.remaining_m2 == pytest.approx(
            float(
                session.scalar(
                    text("SELECT COALESCE(sum(remaining_m2), 0) FROM hazard_remaining "
                         "WHERE hazard_id = ANY(:h)"),
                    {"h": effect.hazard_ids},
                )
            ),
            abs=1e-3,
        )  # fmt: skip
        counted = session.scalar(
            text(
                "SELECT COALESCE(sum(-e.delta_m2), 0) FROM ledger_entry e"
                " JOIN release r ON r.id = e.release_id WHERE r.submission_id = :s"
            ),
            {"s": sid},
        )
        assert effect.counted_m2 == pytest.approx(float(counted), abs=1e-3)
        done = withdraw_submission_releases(session, sid, reason="approved in error", by="t")
        assert done.as_dict() == effect.as_dict()
        check(session, dates)  # the map's and the report's kept rows follow the ledger
        got = figures(session, dates)
        for key in want:
            same(got[key], want[key], (key,))
        # what it said it would change is what it changed
        after = remaining_now(session)
        assert after - before == pytest.approx(
            effect.remaining_after_m2 - effect.remaining_m2, abs=1e-3
        )
        assert after == pytest.approx(want_remaining, abs=2e-3)
        # nothing removed: every release still recorded, the file's withdrawn
        assert session.scalar(text("SELECT count(*) FROM release")) == len(releases)
        assert session.scalar(text("SELECT count(*) FROM release_withdrawal")) == len(ours)
    finally:
        nested.rollback()


@pytest.fixture
def sent_twice(session: Session) -> int:
    """H-1's clearance recorded, then the same clearance in a second file (the one to
    withdraw) with another on H-2."""
    load_areas(session)
    record_hazards(
        session,
        [
            NewHazard("H-1", HazardStatus.SHA, SQUARE, dt.date(2020, 1, 10)),
            NewHazard("H-2", HazardStatus.CHA, OTHER, dt.date(2020, 1, 10)),
        ],
    )
    record_releases(
        session,
        [NewRelease("R-1", "H-1", CLEARED, dt.date(2021, 3, 1), HALF)],
        submission_id=submission(session),
    )
    sid = submission(session)
    record_releases(
        session,
        [
            NewRelease("R-1b", "H-1", CLEARED, dt.date(2021, 3, 1), HALF),
            NewRelease("R-2", "H-2", CLEARED, dt.date(2022, 5, 1), OTHER),
        ],
        submission_id=sid,
    )
    return sid


def test_the_effect_of_withdrawing_a_file_is_said_in_areas_of_the_ellipsoid(
    session: Session, sent_twice: int
) -> None:
    effect = submission_withdrawal_effect(session, sent_twice)
    whole, half = geodesic_m2(SQUARE), geodesic_m2(HALF)
    assert sorted(effect.releases) == ["R-1b", "R-2"] and len(effect.hazard_ids) == 2
    # R-1b counts nothing (R-1 released that ground first); R-2 the whole of H-2
    assert effect.counted_m2 == pytest.approx(geodesic_m2(OTHER), rel=1e-6)
    assert effect.remaining_m2 == pytest.approx(whole - half, rel=1e-6)
    assert effect.remaining_after_m2 == pytest.approx(whole - half + geodesic_m2(OTHER), rel=1e-6)
    # the remaining area changes for good: every year from the first release to this one
    assert effect.recounted == 0 and effect.years == list(range(2021, dt.date.today().year + 1))
    lines = effect.lines(done=False)
    assert lines[0].startswith("2 releases of submission") and "on 2 hazards" in lines[0]
    # the preview wrote nothing
    assert session.scalar(text("SELECT count(*) FROM release_withdrawal")) == 0


def test_withdrawing_a_file_is_audited_per_release_and_once_for_the_file(
    session: Session, sent_twice: int
) -> None:
    approval.withdraw_submission_releases(
        session, sent_twice, reason="the 2021 file sent again", by="reviewer-1"
    )
    events = session.execute(
        text(
            "SELECT action, object_id, actor, before, after FROM audit_event"
            " WHERE action IN ('release.withdrawn', 'submission.releases_withdrawn')"
            " ORDER BY id"
        )
    ).all()
    assert [(e.action, e.object_id) for e in events] == [
        ("release.withdrawn", "R-1b"),
        ("release.withdrawn", "R-2"),
        ("submission.releases_withdrawn", str(sent_twice)),
    ]
    assert {e.actor for e in events} == {"reviewer-1"}
    assert events[0].before["counted_m2"] == 0.0
    assert events[1].before["counted_m2"] == pytest.approx(geodesic_m2(OTHER), abs=0.1)
    assert events[1].after == {"reason": "the 2021 file sent again", "with_submission": sent_twice}
    assert events[2].before["releases"] == 2
    reasons = session.scalars(text("SELECT DISTINCT reason FROM release_withdrawal")).all()
    assert reasons == ["the 2021 file sent again"]


def test_a_file_is_withdrawn_once_with_a_reason_and_only_an_approved_file_of_releases(
    session: Session, sent_twice: int
) -> None:
    with pytest.raises(InvalidRequest, match="reason"):
        withdraw_submission_releases(session, sent_twice, reason=" ", by="t")
    with pytest.raises(NotFound, match="submission 999999"):
        submission_withdrawal_effect(session, 999999)
    hazards = submission(session, kind="hazards")
    with pytest.raises(Conflict, match="recorded hazards, not releases"):
        submission_withdrawal_effect(session, hazards)
    waiting = submission(session, status=SubmissionStatus.VALIDATED)
    with pytest.raises(Conflict, match="validated, not approved"):
        submission_withdrawal_effect(session, waiting)
    # one of its releases withdrawn alone before: the rest are withdrawn, and it is said
    withdraw_release(session, "R-2", reason="the wrong hazard", by="t")
    effect = withdraw_submission_releases(session, sent_twice, reason="sent twice", by="t")
    assert effect.releases == ["R-1b"] and effect.withdrawn_already == 1
    with pytest.raises(Conflict, match="its 2 releases were withdrawn already"):
        withdraw_submission_releases(session, sent_twice, reason="again", by="t")


def test_a_later_release_of_the_same_ground_counts_it_once_the_file_is_withdrawn(
    session: Session,
) -> None:
    load_areas(session)
    record_hazards(session, [NewHazard("H-1", HazardStatus.SHA, SQUARE, dt.date(2020, 1, 10))])
    sid = submission(session)
    record_releases(
        session, [NewRelease("R-A", "H-1", CLEARED, dt.date(2021, 3, 1), HALF)], submission_id=sid
    )
    record_releases(session, [NewRelease("R-B", "H-1", CLEARED, dt.date(2022, 3, 1), HALF)])
    effect = submission_withdrawal_effect(session, sid)
    half = geodesic_m2(HALF)
    assert effect.counted_m2 == pytest.approx(half, rel=1e-6)
    assert effect.recounted == 1 and effect.years == [2021, 2022]
    assert effect.remaining_after_m2 == pytest.approx(effect.remaining_m2, abs=1e-3)
    assert "1 later release of the same ground counts it instead" in effect.lines(done=False)
    withdraw_submission_releases(session, sid, reason="sent too early", by="t")
    counted = session.scalar(
        text("SELECT -e.delta_m2 FROM ledger_entry e JOIN release r ON r.id = e.release_id")
    )
    assert counted == pytest.approx(half, rel=1e-6)  # R-B's, alone
