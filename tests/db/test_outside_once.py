"""Land released outside recorded hazards counts each square metre once (docs/design.md
§2.7, ims.db.outside): the same clearance sent in two files had counted twice in Form 1(i)
(an attack on our own instance).

Checked as a property against unions computed apart from ims (shapely's union, pyproj's
geodesic area on densified rings), per province and nationally, and through `explain`,
whose rows sum to the figure; and what withdrawing a record then changes, year by year.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.ops import unary_union
from sqlalchemy.orm import Session

from ims.db.recording import record_outside_releases
from ims.db.verify import verify_database
from ims.db.withdrawals import outside_withdrawal_effect, withdraw_outside_release
from ims.domain.enums import Contamination, ReleaseMethod
from ims.domain.records import NewOutsideRelease
from ims.reports.article7 import ReportScope, article7
from ims.reports.explain import explain
from tests.db.test_submission_withdrawals import submission
from tests.reports.test_properties import EAST, WEST, area, cell_box
from tests.reports.test_report_changes import load_provinces_and_districts

CMR = Contamination.CMR
OUTSIDE = "released_outside_hazards_m2"
SQUARE = cell_box(0, 0, 2, 2)  # west of the border between the provinces
HALF_ON = cell_box(1, 0, 2, 2)  # half on SQUARE, half on new ground


def record(session: Session, reference: str, geom: object, day: dt.date) -> None:
    """A record approved with a file of its own, as a second upload sends it."""
    record_outside_releases(
        session,
        [NewOutsideRelease(reference, ReleaseMethod.CLEARED, day, geom, items={"BLU-26": 1})],  # type: ignore[arg-type]
        submission_id=submission(session),
    )


def form_1i(session: Session, year: int, level: int = 1) -> dict[str, float]:
    report = article7(session, year, ReportScope(level=level, contam=CMR))
    return {row["admin_code"]: row[OUTSIDE] for row in report["released"]}


def test_the_same_clearance_sent_in_two_files_counts_once(session: Session) -> None:
    load_provinces_and_districts(session)
    record(session, "ZO-7", SQUARE, dt.date(2024, 5, 1))
    record(session, "ZO-8", SQUARE, dt.date(2024, 5, 2))
    got = form_1i(session, 2024)
    assert got["TOTAL"] == pytest.approx(area(SQUARE), rel=1e-6)
    # the items are each record's, as two releases' are: one is withdrawn as sent twice
    report = article7(session, 2024, ReportScope(level=1, contam=CMR))
    assert report["released"][-1]["destroyed"][0]["quantity"] == 2
    told = explain(session, 2024, "TOTAL", OUTSIDE, ReportScope(level=1, contam=CMR))
    assert [row["release"] for row in told["contributions"]] == ["ZO-7"]
    assert told["total"] == pytest.approx(got["TOTAL"], abs=2e-3)


def test_a_record_overlapping_an_earlier_one_counts_only_its_new_ground(
    session: Session,
) -> None:
    load_provinces_and_districts(session)
    record(session, "A", SQUARE, dt.date(2023, 3, 1))
    record(session, "B", HALF_ON, dt.date(2024, 3, 1))
    assert form_1i(session, 2023)["TOTAL"] == pytest.approx(area(SQUARE), rel=1e-6)
    new_ground = HALF_ON.difference(SQUARE)
    assert form_1i(session, 2024)["TOTAL"] == pytest.approx(area(new_ground), rel=1e-6)
    # withdrawing the earlier one: its year loses it all, the later year gains the half B
    # released again
    effect = outside_withdrawal_effect(session, "A")
    assert effect.counted == pytest.approx(area(SQUARE), rel=1e-6)
    shared = area(HALF_ON.intersection(SQUARE))
    assert effect.later_m2.keys() == {2024}
    assert effect.later_m2[2024] == pytest.approx(shared, rel=1e-6)
    assert effect.as_dict()["years"] == [2023, 2024]
    lines = effect.lines(done=False)
    assert any("will count in Form 1(i) of 2024 instead" in line for line in lines)
    withdraw_outside_release(session, "A", reason="typed wrong", by="tests")
    assert form_1i(session, 2023)["TOTAL"] == 0.0
    assert form_1i(session, 2024)["TOTAL"] == pytest.approx(area(HALF_ON), rel=1e-6)
    assert verify_database(session).clean


def test_withdrawing_a_record_another_repeats_says_only_what_it_alone_counted(
    session: Session,
) -> None:
    load_provinces_and_districts(session)
    record(session, "A", SQUARE, dt.date(2023, 3, 1))
    record(session, "B", HALF_ON, dt.date(2023, 9, 1))
    effect = outside_withdrawal_effect(session, "B")
    alone = area(HALF_ON.difference(SQUARE))
    assert effect.counted == pytest.approx(alone, rel=1e-6) and effect.later_m2 == {}
    assert "the rest of its" in " ".join(effect.lines(done=False))
    before = form_1i(session, 2023)["TOTAL"]
    withdraw_outside_release(session, "B", reason="sent twice", by="tests")
    assert before - form_1i(session, 2023)["TOTAL"] == pytest.approx(alone, rel=1e-6)


drawn_records = st.lists(
    st.tuples(
        st.builds(
            cell_box, st.integers(0, 8), st.integers(0, 4), st.integers(1, 3), st.integers(1, 3)
        ),
        st.builds(dt.date, st.sampled_from([2019, 2020, 2021]), st.integers(1, 12), st.just(1)),
    ),
    min_size=1,
    max_size=7,
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=drawn_records, year=st.sampled_from([2019, 2020, 2021]))
def test_form_1i_counts_the_union_of_the_years_records_less_what_came_before(
    session: Session,
    drawn,  # type: ignore[no-untyped-def]
    year: int,
) -> None:
    """Per province: the union of the records released by the year's end, less the union
    of those released before it, measured apart from ims."""
    nested = session.begin_nested()
    try:
        load_provinces_and_districts(session)
        for k, (geom, day) in enumerate(drawn):
            record(session, f"O{k}", geom, day)
        by_end = unary_union([g for g, d in drawn if d.year <= year])
        before = unary_union([g for g, d in drawn if d.year < year])
        got = form_1i(session, year)
        for code, province in (("W", WEST), ("E", EAST)):
            want = area(by_end.intersection(province)) - area(before.intersection(province))
            assert got[code] == pytest.approx(want, abs=0.05), (code, got[code], want)
        told = explain(session, year, "TOTAL", OUTSIDE, ReportScope(level=2, contam=CMR))
        assert told["total"] == pytest.approx(form_1i(session, year, level=2)["TOTAL"], abs=2e-3)
    finally:
        nested.rollback()


def test_a_file_sent_twice_is_said_to_count_only_what_no_other_record_released(
    session: Session,
) -> None:
    from ims.db.withdrawals import submission_withdrawal_effect

    load_provinces_and_districts(session)
    record(session, "A", SQUARE, dt.date(2023, 3, 1))
    sid = submission(session)
    record_outside_releases(
        session,
        [
            NewOutsideRelease("A-again", ReleaseMethod.CLEARED, dt.date(2023, 3, 1), SQUARE),
            NewOutsideRelease("B", ReleaseMethod.CLEARED, dt.date(2023, 4, 1), HALF_ON),
        ],
        submission_id=sid,
    )
    effect = submission_withdrawal_effect(session, sid)
    assert effect.outside_m2 == pytest.approx(area(HALF_ON.difference(SQUARE)), rel=1e-6)


def test_a_record_counted_again_is_said_to_count_only_what_no_other_record_released(
    session: Session,
) -> None:
    from ims.db.withdrawals import hazard_withdrawal_effect
    from ims.domain.enums import HazardStatus
    from ims.ingest import approval

    load_provinces_and_districts(session)
    record(session, "B", HALF_ON, dt.date(2023, 4, 1))
    approval.convert_outside(session, "B", hazard_reference="H-B", status=HazardStatus.SHA)
    # recorded since, released before B: it lay in no hazard on its date
    record(session, "A", SQUARE, dt.date(2023, 3, 1))
    approval.withdraw_release(session, "B", reason="made by mistake", by="tests")
    made = hazard_withdrawal_effect(session, "H-B")
    assert made.outside_m2 == pytest.approx(area(HALF_ON.difference(SQUARE)), rel=1e-6)
    assert made.outside_later == {}
    # a later record on its ground counts less once it counts again (an attack on our
    # own change: the preview had named its own year alone)
    record(session, "L", HALF_ON, dt.date(2025, 1, 10))
    made = hazard_withdrawal_effect(session, "H-B")
    assert made.outside_later.keys() == {2025}
    assert made.outside_later[2025] == pytest.approx(made.outside_m2, rel=1e-6)
    line = made.outside_line(done=False) or ""
    assert "later records count" in line and "less in Form 1(i) of 2025" in line
    assert made.as_dict()["outside_later_m2"] == {"2025": round(made.outside_later[2025], 1)}


def test_a_record_sharing_its_ground_with_another_is_not_made_a_hazard_until_one_goes(
    session: Session,
) -> None:
    from ims.domain.enums import HazardStatus
    from ims.errors import Conflict
    from ims.ingest import approval

    load_provinces_and_districts(session)
    record(session, "ZO-7", SQUARE, dt.date(2024, 5, 1))
    record(session, "ZO-8", SQUARE, dt.date(2024, 5, 2))
    # the hazard's release would count the ground ZO-7 goes on counting apart
    with pytest.raises(Conflict, match=r"ZO-7 released 2024-05-01.*count twice"):
        approval.convert_outside(session, "ZO-8", hazard_reference="H-8", status=HazardStatus.SHA)
    withdraw_outside_release(session, "ZO-7", reason="the same clearance as ZO-8", by="tests")
    approval.convert_outside(session, "ZO-8", hazard_reference="H-8", status=HazardStatus.SHA)
    report = article7(session, 2024, ReportScope(level=1, contam=CMR))
    assert report["released"][-1][OUTSIDE] == 0.0
    assert report["released"][-1]["cleared_m2"] == pytest.approx(area(SQUARE), rel=1e-6)
    assert verify_database(session).clean


def test_neighbouring_clearances_sharing_a_strip_make_a_hazard_of_the_rest(
    session: Session,
) -> None:
    # two different clearances overlapping by a strip: making one a hazard had been
    # refused, and the only way on was to withdraw a right record (a review of our change)
    from ims.domain.enums import HazardStatus
    from ims.ingest import approval

    load_provinces_and_districts(session)
    strip_over = cell_box(1, 0, 5, 2)  # shares a fifth of itself with SQUARE... and more
    beside = cell_box(0, 0, 2, 2).union(cell_box(2, 0, 3, 2))  # SQUARE and its east
    record(session, "T3-D", SQUARE, dt.date(2024, 5, 1))
    record(session, "T3-E", strip_over, dt.date(2024, 6, 1))
    before = form_1i(session, 2024)["TOTAL"]
    assert before == pytest.approx(area(SQUARE.union(strip_over)), rel=1e-6)
    done = approval.convert_outside(
        session, "T3-E", hazard_reference="H-E", status=HazardStatus.SHA
    )
    shared = area(strip_over.intersection(SQUARE))
    assert done.left_apart_m2 == pytest.approx(shared, rel=1e-6)
    report = article7(session, 2024, ReportScope(level=1, contam=CMR))
    released = report["released"][-1]
    # each square metre once: T3-D apart, the rest of T3-E as the hazard's clearance
    assert released[OUTSIDE] == pytest.approx(area(SQUARE), rel=1e-6)
    assert released["cleared_m2"] == pytest.approx(area(strip_over.difference(SQUARE)), rel=1e-6)
    assert released[OUTSIDE] + released["cleared_m2"] == pytest.approx(before, rel=1e-6)
    assert not beside.is_empty and verify_database(session).clean


def test_a_files_withdrawal_says_what_later_records_count_instead(session: Session) -> None:
    from ims.db.withdrawals import submission_withdrawal_effect

    load_provinces_and_districts(session)
    sid = submission(session)
    record_outside_releases(
        session,
        [NewOutsideRelease("P", ReleaseMethod.CLEARED, dt.date(2024, 3, 1), SQUARE)],
        submission_id=sid,
    )
    record(session, "R", SQUARE, dt.date(2025, 2, 1))  # the same ground, a later year
    effect = submission_withdrawal_effect(session, sid)
    # it counts the square in 2024, and R would count it in 2025 instead: not "0 m²"
    assert effect.outside_m2 == pytest.approx(area(SQUARE), rel=1e-6)
    assert effect.outside_later.keys() == {2025}
    assert effect.outside_later[2025] == pytest.approx(area(SQUARE), rel=1e-6)
    assert 2025 in effect.years
    assert any("in Form 1(i) of 2025 instead" in line for line in effect.lines(done=False))


def test_a_withdrawal_names_the_later_finalised_report_it_moves(session: Session) -> None:
    from ims.reports.history import article7_with_history

    scope = ReportScope(level=1, contam=CMR)
    load_provinces_and_districts(session)
    record(session, "C", SQUARE, dt.date(2022, 5, 1))
    record(session, "A", HALF_ON, dt.date(2023, 3, 1))
    for year in (2022, 2023):
        article7_with_history(session, year, scope, "tests", finalise=True)
    effect = outside_withdrawal_effect(session, "C")
    assert effect.finalised_years == [2022, 2023]
    lines = " ".join(effect.lines(done=False))
    assert "finalised report of 2023 will list it" in lines
    withdraw_outside_release(session, "C", reason="typed wrong", by="tests")
    later = article7_with_history(session, 2023, scope)["history"]
    assert [c["release"] for c in later["corrections"]] == ["C"]


def test_records_only_touching_are_neither_named_nor_listed(session: Session) -> None:
    from ims.reports.history import article7_with_history

    scope = ReportScope(level=1, contam=CMR)
    load_provinces_and_districts(session)
    record(session, "Y", SQUARE, dt.date(2023, 3, 1))
    article7_with_history(session, 2023, scope, "tests", finalise=True)
    record(session, "EDGE", cell_box(2, 0, 2, 2), dt.date(2022, 3, 1))  # shares an edge
    history = article7_with_history(session, 2023, scope)["history"]
    assert history["corrections"] == []


def test_a_record_recorded_late_that_takes_a_later_years_ground_is_its_correction(
    session: Session,
) -> None:
    # the later year's figure moves (its record now shares the ground with one released
    # before), and its finalised report must say which record moved it
    from ims.reports.history import article7_with_history

    scope = ReportScope(level=1, contam=CMR)
    load_provinces_and_districts(session)
    record(session, "B", HALF_ON, dt.date(2023, 9, 1))
    record(session, "FAR", cell_box(8, 4, 1, 1), dt.date(2022, 2, 1))  # no shared ground
    article7_with_history(session, 2023, scope, "tests", finalise=True)
    record(session, "A", SQUARE, dt.date(2022, 3, 1))  # found in an old file, sent late
    record(session, "AWAY", cell_box(8, 2, 1, 1), dt.date(2022, 4, 1))  # no shared ground
    history = article7_with_history(session, 2023, scope)["history"]
    shared = area(HALF_ON.intersection(SQUARE))
    assert history["change_m2"]["released_outside_m2"] == pytest.approx(-shared, abs=0.1)
    assert [c["release"] for c in history["corrections"]] == ["A"]
