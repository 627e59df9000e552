"""Withdrawing land released outside recorded hazards approved in error (docs/design.md
§2.7), alone or with its file.

The rule, as for a release: once withdrawn, a record counts as if it had never been
recorded, in Form 1(i) of every period and at both levels, while it stays in the database
and listed as withdrawn. Checked as a property against the same records recorded without
those withdrawn, and areas against pyproj's geodesic areas.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ims.db.recording import record_hazards, record_outside_releases, record_releases
from ims.db.verify import verify_database
from ims.db.withdrawals import (
    hazard_withdrawal_effect,
    outside_withdrawal_effect,
    submission_withdrawal_effect,
    withdraw_outside_release,
    withdraw_submission_releases,
)
from ims.domain.enums import Contamination, HazardStatus, ReleaseMethod
from ims.domain.records import NewHazard, NewOutsideRelease, NewRelease
from ims.errors import Conflict, InvalidRequest, NotFound
from ims.ingest import approval
from ims.queries.outside import outside_releases
from ims.reports.article7 import ReportScope, article7
from ims.reports.history import (
    KIND_ARTICLE7,
    article7_params,
    article7_with_history,
    corrections,
    first_production,
    summary,
)
from tests.db.test_submission_withdrawals import geodesic_m2, submission
from tests.db.test_withdrawals import figures, same
from tests.reports.test_report_changes import cell_box, load_provinces_and_districts

CMR = Contamination.CMR
CLEARED = ReleaseMethod.CLEARED
HAZARD = box(102.20, 19.50, 102.21, 19.51)
INSIDE = box(102.20, 19.50, 102.205, 19.51)
AWAY = box(102.30, 19.50, 102.31, 19.51)
AWAY_TOO = box(102.40, 19.50, 102.401, 19.501)


def outside(reference: str, geom: object, day: dt.date = dt.date(2021, 5, 1)) -> NewOutsideRelease:
    return NewOutsideRelease(reference, CLEARED, day, geom, items={"BLU-26": 3})  # type: ignore[arg-type]


def form_1i_total(session: Session, year: int) -> float:
    report = article7(session, year, ReportScope(level=1, contam=CMR))
    return float(report["released"][-1]["released_outside_hazards_m2"])


records = st.lists(
    st.tuples(
        st.builds(
            cell_box, st.integers(0, 8), st.integers(0, 6), st.integers(1, 3), st.integers(1, 3)
        ),
        st.builds(
            dt.date, st.sampled_from([2018, 2019, 2020]), st.integers(1, 12), st.integers(1, 28)
        ),
        st.booleans(),  # withdrawn
        st.booleans(),  # with the file, or alone
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=records)
def test_withdrawn_land_released_outside_hazards_counts_as_if_never_recorded(
    session: Session,
    drawn,  # type: ignore[no-untyped-def]
) -> None:
    """Records withdrawn alone or with their file, against the same records recorded
    without them: Form 1(i) between any two of the dates, at both levels."""
    dates = sorted({d for _, d, _, _ in drawn} | {dt.date(2018, 1, 1), dt.date(2021, 1, 1)})

    def recorded(withdrawing: bool) -> None:
        load_provinces_and_districts(session)
        sid = submission(session)
        for k, (geom, day, gone, with_file) in enumerate(drawn):
            if withdrawing or not gone:
                record_outside_releases(
                    session,
                    [outside(f"O{k}", geom, day)],
                    submission_id=sid if gone and with_file else None,
                )
        if withdrawing:
            for k, (_, _, gone, with_file) in enumerate(drawn):
                if gone and not with_file:
                    withdraw_outside_release(session, f"O{k}", reason="sent twice", by="tests")
            if any(gone and with_file for _, _, gone, with_file in drawn):
                withdraw_submission_releases(session, sid, reason="file sent twice", by="tests")

    nested = session.begin_nested()
    try:
        recorded(withdrawing=False)
        want = figures(session, dates)
    finally:
        nested.rollback()
    nested = session.begin_nested()
    try:
        recorded(withdrawing=True)
        got = figures(session, dates)
        for key in want:
            same(got[key], want[key], key)
        gone = {f"O{k}" for k, (_, _, g, _) in enumerate(drawn) if g}
        listed = outside_releases(session, everything=True)
        assert {r.reference for r in listed if r.withdrawn_at} == gone
        assert {r.reference for r in outside_releases(session)} == {
            f"O{k}" for k in range(len(drawn))
        } - gone
    finally:
        nested.rollback()


@pytest.fixture
def three(session: Session) -> int:
    """A hazard with a release, and a file of a release on it and two records outside it
    (one made into a hazard); its submission's number."""
    load_provinces_and_districts(session)
    record_hazards(session, [NewHazard("H-1", HazardStatus.CHA, HAZARD, dt.date(2019, 1, 1))])
    sid = submission(session)
    record_releases(
        session,
        [NewRelease("R-1", "H-1", CLEARED, dt.date(2021, 3, 1), INSIDE)],
        submission_id=sid,
    )
    record_outside_releases(
        session, [outside("O-1", AWAY), outside("O-2", AWAY_TOO)], submission_id=sid
    )
    return sid


def test_withdrawing_one_record_takes_its_area_out_of_form_1i_of_its_year(
    session: Session, three: int
) -> None:
    before = form_1i_total(session, 2021)
    assert before == pytest.approx(geodesic_m2(AWAY) + geodesic_m2(AWAY_TOO), rel=1e-6)
    effect = outside_withdrawal_effect(session, "O-1")
    assert effect.area_m2 == pytest.approx(geodesic_m2(AWAY), rel=1e-6)
    assert effect.items == {"BLU-26": 3} and effect.submission_id == three
    assert "Form 1(i) of 2021" in effect.lines(done=False)[0]
    withdraw_outside_release(session, "O-1", reason="the same clearance as O-2", by="tests")
    assert form_1i_total(session, 2021) == pytest.approx(geodesic_m2(AWAY_TOO), rel=1e-6)
    # kept, listed as withdrawn, with the reason
    [row] = [r for r in outside_releases(session, everything=True) if r.reference == "O-1"]
    assert row.withdrawn_reason == "the same clearance as O-2" and row.withdrawn_by == "tests"
    assert session.scalar(text("SELECT count(*) FROM outside_release")) == 2
    assert session.scalars(text("SELECT reference FROM outside_release_in_force")).all() == ["O-2"]
    assert verify_database(session).clean


def test_a_record_is_withdrawn_once_with_a_reason_and_not_once_made_a_hazard(
    session: Session, three: int
) -> None:
    with pytest.raises(InvalidRequest, match="reason"):
        withdraw_outside_release(session, "O-1", reason="  ", by="tests")
    with pytest.raises(NotFound):
        outside_withdrawal_effect(session, "O-9")
    approval.convert_outside(session, "O-2", hazard_reference="H-2", status=HazardStatus.SHA)
    with pytest.raises(Conflict, match="made into hazard H-2"):
        withdraw_outside_release(session, "O-2", reason="wrong", by="tests")
    withdraw_outside_release(session, "O-1", reason="sent twice", by="tests")
    with pytest.raises(Conflict, match="already withdrawn"):
        withdraw_outside_release(session, "O-1", reason="again", by="tests")
    # and a withdrawn record is no hazard's to be made of
    with pytest.raises(Conflict, match="withdrawn"):
        approval.convert_outside(session, "O-1", hazard_reference="H-3", status=HazardStatus.SHA)


def test_a_withdrawal_is_audited_and_the_application_cannot_take_it_back(
    session: Session, three: int
) -> None:
    withdraw_outside_release(session, "O-1", reason="sent twice", by="reviewer-1")
    action, object_id, before, after = session.execute(
        text(
            "SELECT action, object_id, before, after FROM audit_event"
            " WHERE object_type = 'outside_release' ORDER BY id DESC LIMIT 1"
        )
    ).one()
    assert (action, object_id, after["reason"]) == (
        "outside_release.withdrawn",
        "O-1",
        "sent twice",
    )
    assert before["area_m2"] == pytest.approx(geodesic_m2(AWAY), abs=0.1)
    for statement in (
        "DELETE FROM outside_release_withdrawal",
        "UPDATE outside_release_withdrawal SET reason = 'x'",
    ):
        with pytest.raises(DBAPIError, match="permission denied"), session.begin_nested():
            session.execute(text(statement))


def test_a_withdrawal_after_a_report_was_finalised_is_one_of_its_corrections(
    session: Session, three: int
) -> None:
    scope = ReportScope(level=1, contam=CMR)
    stamp = int(session.scalar(text("SELECT max(seq) FROM outside_release")) or 0)
    first_production(session, KIND_ARTICLE7, article7_params(2021, scope), stamp, {}, "tests")
    assert outside_withdrawal_effect(session, "O-1").finalised_years == [2021]
    withdraw_outside_release(session, "O-1", reason="sent twice", by="tests")
    count, listed = corrections(session, stamp, dt.date(2021, 12, 31), scope)
    assert count == 1
    assert listed[0]["what"] == "outside release withdrawn"
    assert listed[0]["release"] == "O-1" and listed[0]["hazard"] is None
    assert listed[0]["detail"] == "sent twice"


def test_a_file_withdrawn_takes_its_land_released_outside_hazards_with_it(
    session: Session, three: int
) -> None:
    approval.convert_outside(session, "O-2", hazard_reference="H-2", status=HazardStatus.SHA)
    effect = submission_withdrawal_effect(session, three)
    assert effect.releases == ["R-1"] and effect.outside == ["O-1"]
    assert effect.outside_m2 == pytest.approx(geodesic_m2(AWAY), rel=1e-6)
    # made into a hazard: it counts nothing apart, and is withdrawn with its file all the
    # same, the hazard staying (withdrawn later, the hazard had given the record of a file
    # withdrawn as approved in error its count back: an attack on our own instance)
    assert effect.outside_made == ["O-2"] and effect.outside_left == 0
    said = " / ".join(effect.lines(done=False))
    assert "1 record of land released outside recorded hazards" in said
    assert "made into a hazard (O-2) is withdrawn with it" in said
    withdraw_submission_releases(session, three, reason="file sent twice", by="tests")
    assert form_1i_total(session, 2021) == pytest.approx(0.0, abs=1e-6)
    events = session.execute(
        text(
            "SELECT object_id, after->>'with_submission' FROM audit_event"
            " WHERE action = 'outside_release.withdrawn' ORDER BY object_id"
        )
    ).all()
    assert events == [("O-1", str(three)), ("O-2", str(three))]
    assert session.scalar(text("SELECT count(*) FROM hazard_in_force")) == 2  # H-1, H-2
    approval.withdraw_release(session, "O-2", reason="made by mistake", by="tests")
    approval.withdraw_hazard(session, "H-2", reason="made by mistake", by="tests")
    assert form_1i_total(session, 2021) == pytest.approx(0.0, abs=1e-6)
    assert verify_database(session).clean
    with pytest.raises(Conflict, match="no release in force"):
        submission_withdrawal_effect(session, three)


def test_a_file_of_land_released_outside_hazards_alone_can_be_withdrawn(
    session: Session,
) -> None:
    load_provinces_and_districts(session)
    sid = submission(session)
    record_outside_releases(session, [outside("O-1", AWAY)], submission_id=sid)
    effect = withdraw_submission_releases(session, sid, reason="sent twice", by="tests")
    assert effect.releases == [] and effect.outside == ["O-1"] and effect.years == [2021]
    assert effect.lines(done=True)[0].startswith(
        f"1 record of land released outside recorded hazards of submission {sid}"
    )
    assert form_1i_total(session, 2021) == pytest.approx(0.0, abs=1e-6)


def test_a_finalised_report_says_how_much_its_form_1i_moved_and_later_years_list_nothing(
    session: Session, three: int
) -> None:
    """A 2021 record's withdrawal had been listed as a correction of every later finalised
    report, and the summary of how the totals moved left out the one figure it moves (a
    reviewer's walk-through)."""
    scope = ReportScope(level=1, contam=CMR)
    for year in (2021, 2022):
        article7_with_history(session, year, scope, "tests", finalise=True)
    withdraw_outside_release(session, "O-1", reason="sent twice", by="tests")
    then = article7_with_history(session, 2021, scope)["history"]
    assert then["corrections_count"] == 1
    assert then["change_m2"]["released_outside_m2"] == pytest.approx(-geodesic_m2(AWAY), abs=0.1)
    assert then["change_m2"]["remaining_m2"] == 0 and then["change_m2"]["released_m2"] == 0
    said = summary(then)
    assert f"land released outside recorded hazards by {-geodesic_m2(AWAY):+,.0f} m²" in said
    later = article7_with_history(session, 2022, scope)["history"]
    assert later["corrections_count"] == 0 and later["corrections"] == []


def test_a_release_recorded_in_parts_is_named_by_its_parts(session: Session, three: int) -> None:
    """`ims releases withdraw PART-1` had said only "no release is recorded as 'PART-1'"
    for a release split between its hazard and land outside it."""
    record_releases(
        session,
        [
            NewRelease(
                "P-1#1",
                "H-1",
                CLEARED,
                dt.date(2021, 6, 1),
                INSIDE,
                attributes={"split_from": "P-1"},
            )
        ],
    )
    record_outside_releases(
        session,
        [
            NewOutsideRelease(
                "P-1#outside",
                CLEARED,
                dt.date(2021, 6, 1),
                box(102.50, 19.50, 102.501, 19.501),
                attributes={"split_from": "P-1"},
            )
        ],
    )
    parts = "recorded in parts, P-1#1 (on hazard H-1), P-1#outside (outside recorded hazards)"
    with pytest.raises(NotFound, match=parts.replace("(", r"\(").replace(")", r"\)")):
        withdraw_outside_release(session, "P-1", reason="sent twice", by="tests")
    with pytest.raises(InvalidRequest, match="NUL"):
        withdraw_outside_release(session, "P-1#outside", reason="sent\x00twice", by="tests")


def test_land_released_outside_hazards_recorded_after_finalisation_is_a_correction(
    session: Session, three: int
) -> None:
    """A record of 2021 recorded after the 2021 report was finalised moved its Form 1(i),
    and the report had said "no corrections recorded since"."""
    scope = ReportScope(level=1, contam=CMR)
    for year in (2021, 2022):
        article7_with_history(session, year, scope, "tests", finalise=True)
    late = box(102.45, 19.50, 102.451, 19.501)
    record_outside_releases(session, [outside("O-3", late, dt.date(2021, 8, 1))])
    then = article7_with_history(session, 2021, scope)["history"]
    assert [(c["what"], c["release"]) for c in then["corrections"]] == [
        ("released outside hazards", "O-3")
    ]
    assert then["change_m2"]["released_outside_m2"] == pytest.approx(geodesic_m2(late), abs=0.1)
    assert article7_with_history(session, 2022, scope)["history"]["corrections_count"] == 0


def test_land_released_outside_hazards_approved_across_a_finalisation_is_a_correction(
    committed_engine: Engine,
) -> None:
    """An approval that began before a reviewer finalised the report, and committed after,
    records its land released outside hazards with a time before the finalisation: it
    moved Form 1(i) all the same, and the report must list it (told by its number)."""
    scope = ReportScope(level=1, contam=CMR)
    with Session(committed_engine) as setup, setup.begin():
        record_outside_releases(setup, [outside("O-1", AWAY)])
    approving = Session(committed_engine)
    approving.begin()
    record_outside_releases(approving, [outside("O-2", AWAY_TOO, dt.date(2021, 9, 1))])
    with Session(committed_engine) as reviewer:  # finalising commits
        finalised = article7_with_history(reviewer, 2021, scope, "tests", finalise=True)
    assert finalised["history"]["corrections_count"] == 0
    approving.commit()
    approving.close()
    with Session(committed_engine) as later:
        then = article7_with_history(later, 2021, scope)["history"]
    assert [(c["what"], c["release"]) for c in then["corrections"]] == [
        ("released outside hazards", "O-2")
    ]
    assert then["change_m2"]["released_outside_m2"] == pytest.approx(geodesic_m2(AWAY_TOO), abs=0.1)


def test_a_report_finalised_before_its_stamp_counted_them_tells_them_by_time(
    committed_engine: Engine,
) -> None:
    """A report finalised before the stamp counted land released outside hazards kept a
    stamp below the last such record recorded before it: that record is not one of its
    corrections, and one recorded after it is."""
    scope = ReportScope(level=1, contam=CMR)
    with Session(committed_engine) as setup, setup.begin():
        record_hazards(setup, [NewHazard("H-1", HazardStatus.CHA, HAZARD, dt.date(2019, 1, 1))])
        record_releases(setup, [NewRelease("R-1", "H-1", CLEARED, dt.date(2021, 3, 1), INSIDE)])
        record_outside_releases(setup, [outside("O-1", AWAY)])
    with Session(committed_engine) as reviewer:
        stamp = int(reviewer.scalar(text("SELECT max(seq) FROM release")) or 0)
        assert int(reviewer.scalar(text("SELECT max(seq) FROM outside_release"))) > stamp
        # as such a report was kept: its totals alone, no marker (commits)
        first_production(reviewer, KIND_ARTICLE7, article7_params(2021, scope), stamp, {}, "t")
    with Session(committed_engine) as later:
        assert article7_with_history(later, 2021, scope)["history"]["corrections_count"] == 0
    with Session(committed_engine) as approving, approving.begin():
        record_outside_releases(approving, [outside("O-2", AWAY_TOO, dt.date(2021, 9, 1))])
    with Session(committed_engine) as later:
        then = article7_with_history(later, 2021, scope)["history"]
    assert [(c["what"], c["release"]) for c in then["corrections"]] == [
        ("released outside hazards", "O-2")
    ]


def destroyed(session: Session, year: int, level: int = 1) -> dict[str, dict[str, int]]:
    rows = article7(session, year, ReportScope(level=level, contam=CMR))["released"]
    return {r["admin_code"]: {i["type"]: i["quantity"] for i in r["destroyed"]} for r in rows}


def test_items_destroyed_outside_recorded_hazards_count_in_form_1i_once(
    session: Session, three: int
) -> None:
    """A clearance outside every recorded hazard destroyed its items all the same: they had
    been left out of Form 1(i) while the upload's finding said they were counted. They go
    where the largest share of the record's polygon lies, as a release's; withdrawn, they
    go; made into a hazard, they are counted once, by the hazard's release."""
    for level in (1, 2):
        figures_now = destroyed(session, 2021, level)
        assert figures_now["TOTAL"] == {"BLU-26": 6}  # O-1's 3 and O-2's 3; R-1 has none
        where = [code for code, items in figures_now.items() if items and code != "TOTAL"]
        assert sum(figures_now[c].get("BLU-26", 0) for c in where) == 6
    assert destroyed(session, 2020)["TOTAL"] == {}  # in their own year only
    approval.convert_outside(session, "O-2", hazard_reference="H-2", status=HazardStatus.SHA)
    assert destroyed(session, 2021)["TOTAL"] == {"BLU-26": 6}  # now by H-2's release
    withdraw_outside_release(session, "O-1", reason="sent twice", by="tests")
    assert destroyed(session, 2021)["TOTAL"] == {"BLU-26": 3}


def test_a_record_made_into_a_hazard_in_error_counts_again_once_that_hazard_is_withdrawn(
    session: Session, three: int
) -> None:
    """Made into a hazard by mistake, then that hazard and its release withdrawn, a record
    of land released outside hazards had counted nowhere, and could be neither withdrawn
    nor made into a hazard again (found by an attack on our own instance). Withdrawn, the
    hazard gives the record back its count apart: every figure is as before it was made
    into a hazard; and then it can be withdrawn."""
    dates = [dt.date(2020, 12, 31), dt.date(2021, 5, 1), dt.date(2021, 12, 31)]
    want = figures(session, dates)
    approval.convert_outside(session, "O-2", hazard_reference="H-2", status=HazardStatus.SHA)
    assert form_1i_total(session, 2021) == pytest.approx(geodesic_m2(AWAY), rel=1e-6)
    with pytest.raises(Conflict, match="releases in force"):
        hazard_withdrawal_effect(session, "H-2")
    approval.withdraw_release(session, "O-2", reason="the land was never suspected", by="tests")
    effect = hazard_withdrawal_effect(session, "H-2")
    assert effect.made_from_outside == "O-2" and effect.outside_released == dt.date(2021, 5, 1)
    assert effect.outside_m2 == pytest.approx(geodesic_m2(AWAY_TOO), rel=1e-6)
    assert "O-2: that record will count again in Form 1(i) of 2021" in str(
        effect.outside_line(done=False)
    )
    approval.withdraw_hazard(session, "H-2", reason="made of O-2 by mistake", by="tests")
    got = figures(session, dates)
    for key in want:
        same(got[key], want[key], key)
    assert destroyed(session, 2021)["TOTAL"] == {"BLU-26": 6}  # O-2's 3 counted again
    [row] = [r for r in outside_releases(session) if r.reference == "O-2"]
    assert row.made_into == "H-2" and row.made_into_withdrawn
    assert "O-2" in submission_withdrawal_effect(session, three).outside  # its file takes it
    with pytest.raises(Conflict, match="not made into a hazard twice"):
        approval.convert_outside(session, "O-2", hazard_reference="H-3", status=HazardStatus.SHA)
    withdraw_outside_release(session, "O-2", reason="never released: a typing error", by="tests")
    assert form_1i_total(session, 2021) == pytest.approx(geodesic_m2(AWAY), rel=1e-6)
    assert destroyed(session, 2021)["TOTAL"] == {"BLU-26": 3}
    assert verify_database(session).clean
