"""Form 1(h) and 1(i) read from the changes the ledger's triggers keep (migration 0021) are
the straightforward sums over the ledger, on every date and over every period.

Random hazards (SHA and CHA, CMR and APM, with estimates, some of quantity 0, and years of
use), revisions that change status, boundary and estimates (back-dated before releases
already approved, and boundaries that give a closed hazard ground again) and releases
(appended, back-dated, clearing a hazard whole, with items) go in through the recording
service in several approvals. On the dates of the events, the days either side, the ends of
their months and years, the report's figures at level 1 and 2 must be those the ledger
gives summed straight from ``ledger_entry`` and ``ledger_piece`` (as the reports did
before), and what the triggers added and took back must be what the ledger gives afresh.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, box
from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.db.recording import load_boundaries, record_hazards, record_releases, revise_hazards
from ims.domain.enums import Contamination, HazardStatus, ReleaseMethod
from ims.domain.figures import OPEN_THRESHOLD_M2
from ims.domain.records import BoundaryFeature, HazardChange, NewHazard, NewRelease
from ims.reports.article7 import ReportScope, released, remaining
from ims.reports.changes import plan
from ims.reports.explain import explain
from tests.reports.test_properties import EAST, WEST, cell_box

SHA, CHA = HazardStatus.SHA, HazardStatus.CHA
CMR, APM = Contamination.CMR, Contamination.APM
# Districts split the provinces at 19.606°N; east of 102.51°E the northern half of the
# eastern province is in no district (Unassigned at level 2).
DISTRICTS = [
    BoundaryFeature("W-S", "West south", MultiPolygon([box(102.0, 19.0, 102.5, 19.606)])),
    BoundaryFeature("W-N", "West north", MultiPolygon([box(102.0, 19.606, 102.5, 20.0)])),
    BoundaryFeature("E-S", "East south", MultiPolygon([box(102.5, 19.0, 103.0, 19.606)])),
    BoundaryFeature("E-N", "East north", MultiPolygon([box(102.5, 19.606, 102.51, 20.0)])),
]

# Each hazard's state on a date, by definition: its last ledger entry up to the date.
STATE = """
    SELECT h.id AS hazard_id, s.status_after AS status, s.remaining_after_m2 AS remaining,
           s.revision_id, CASE WHEN :level = 1 THEN s.count_admin1_id
                               ELSE s.count_admin2_id END AS admin_id
    FROM hazard h, LATERAL (SELECT * FROM ledger_entry e WHERE e.hazard_id = h.id
        AND e."on" <= :d ORDER BY e.entry_no DESC LIMIT 1) s
    WHERE h.contam = :contam AND s.status_after IS NOT NULL
"""
AREAS = f"""
    WITH state AS ({STATE})
    SELECT p.admin_id, s.status, SUM(p.area_m2) FROM state s
    JOIN ledger_entry e ON e.hazard_id = s.hazard_id AND e."on" <= :d
    JOIN ledger_piece p ON p.hazard_id = e.hazard_id AND p.entry_no = e.entry_no
    WHERE p.level = :level GROUP BY 1, 2
"""
COUNTS = f"""
    WITH state AS ({STATE})
    SELECT admin_id, status, COUNT(*) FROM state WHERE remaining >= :open GROUP BY 1, 2
"""
REMNANTS = f"""
    WITH state AS ({STATE})
    SELECT s.admin_id, he.munition_code, SUM(he.quantity) FROM state s
    JOIN hazard_estimate he ON he.revision_id = s.revision_id
    WHERE s.remaining >= :open GROUP BY 1, 2
"""
YEARS = f"""
    WITH state AS ({STATE})
    SELECT s.admin_id, MIN(r.used_from), MAX(r.used_to) FROM state s
    JOIN hazard_revision r ON r.id = s.revision_id WHERE s.remaining >= :open GROUP BY 1
"""
RELEASED = """
    SELECT p.admin_id, e.kind, -SUM(p.area_m2) FROM ledger_entry e
    JOIN ledger_piece p ON p.hazard_id = e.hazard_id AND p.entry_no = e.entry_no
    JOIN hazard h ON h.id = e.hazard_id
    WHERE e.kind IN ('cancelled', 'reduced', 'cleared') AND e."on" > :a AND e."on" <= :b
      AND p.level = :level AND h.contam = :contam GROUP BY 1, 2
"""
# A hazard closed more than once in a calendar year counts once, at its first closing.
CLOSED = """
    SELECT CASE WHEN :level = 1 THEN e.count_admin1_id ELSE e.count_admin2_id END, COUNT(*)
    FROM ledger_entry e JOIN hazard h ON h.id = e.hazard_id
    WHERE e.kind IN ('cancelled', 'reduced', 'cleared') AND e."on" > :a AND e."on" <= :b
      AND h.contam = :contam AND e.remaining_after_m2 < :open
      AND e.remaining_after_m2 - e.delta_m2 >= :open
      AND NOT EXISTS (
          SELECT 1 FROM ledger_entry o
          WHERE o.hazard_id = e.hazard_id AND o.entry_no < e.entry_no
            AND extract(year FROM o."on") = extract(year FROM e."on")
            AND o.kind IN ('cancelled', 'reduced', 'cleared') AND o.remaining_after_m2 < :open
            AND o.remaining_after_m2 - o.delta_m2 >= :open)
    GROUP BY 1
"""
DESTROYED = """
    SELECT CASE WHEN :level = 1 THEN e.items_admin1_id ELSE e.items_admin2_id END,
           ri.munition_code, SUM(ri.quantity)
    FROM ledger_entry e JOIN hazard h ON h.id = e.hazard_id
    JOIN release_item ri ON ri.release_id = e.release_id
    WHERE e."on" > :a AND e."on" <= :b AND h.contam = :contam GROUP BY 1, 2
"""
# What the triggers added and took back, against the same computed afresh.
STALE_CHANGES = """
    SELECT count(*) FROM report_change s
    FULL JOIN ims_report_changes_expected() c
      ON c.level = s.level AND coalesce(c.admin_id, 0) = coalesce(s.admin_id, 0)
     AND c.contam = s.contam AND c.figure = s.figure AND c.code = s.code
     AND c.year = s.year
    WHERE abs(coalesce(s.value, 0) - coalesce(c.value, 0)) > 1e-6
       OR coalesce(s.records, 0) <> coalesce(c.records, 0)
"""
STALE_AREAS = """
    SELECT count(*) FROM (
        SELECT hazard_id, level, coalesce(admin_id, 0) AS admin, figure, code, "on",
               sum(value) AS v FROM hazard_report_area GROUP BY 1, 2, 3, 4, 5, 6) s
    FULL JOIN (
        SELECT hazard_id, level, coalesce(admin_id, 0) AS admin, figure, code, "on",
               sum(value) AS v FROM ims_report_areas_expected() GROUP BY 1, 2, 3, 4, 5, 6) c
      USING (hazard_id, level, admin, figure, code, "on")
    WHERE abs(coalesce(s.v, 0) - coalesce(c.v, 0)) > 1e-6
"""


def codes(session: Session, level: int) -> dict[int | None, str | None]:
    rows = session.execute(text("SELECT id, code FROM admin_area WHERE level = :l"), {"l": level})
    return {**{i: c for i, c in rows}, None: None}


def ledger_remaining(
    session: Session, d: dt.date, level: int, contam: Contamination
) -> dict[str | None, dict[str, Any]]:
    """Form 1(h) per admin code, summed straight from the ledger."""
    names = codes(session, level)
    params = {"d": d, "level": level, "contam": contam.value, "open": OPEN_THRESHOLD_M2}
    want: dict[str | None, dict[str, Any]] = defaultdict(
        lambda: {"sha_area_m2": 0.0, "cha_area_m2": 0.0, "sha_count": 0, "cha_count": 0,
                 "remnants": [], "years_of_use": []}
    )  # fmt: skip
    for admin_id, status, area in session.execute(text(AREAS), params):
        want[names[admin_id]][f"{status.lower()}_area_m2"] += area
    for admin_id, status, n in session.execute(text(COUNTS), params):
        want[names[admin_id]][f"{status.lower()}_count"] += n
    for admin_id, code, qty in session.execute(text(REMNANTS), params):
        want[names[admin_id]]["remnants"].append({"type": code, "estimated_quantity": qty})
    for admin_id, y0, y1 in session.execute(text(YEARS), params):
        want[names[admin_id]]["years_of_use"] = [y for y in (y0, y1) if y is not None]
    for row in want.values():
        row["remnants"].sort(key=lambda r: r["type"])
    return want


def ledger_released(
    session: Session, a: dt.date, b: dt.date, level: int, contam: Contamination
) -> dict[str | None, dict[str, Any]]:
    """Form 1(i) per admin code over (a, b], summed straight from the ledger."""
    names = codes(session, level)
    params = {"a": a, "b": b, "level": level, "contam": contam.value, "open": OPEN_THRESHOLD_M2}
    want: dict[str | None, dict[str, Any]] = defaultdict(
        lambda: {"cancelled_m2": 0.0, "reduced_m2": 0.0, "cleared_m2": 0.0,
                 "hazards_closed": 0, "destroyed": []}
    )  # fmt: skip
    for admin_id, kind, area in session.execute(text(RELEASED), params):
        want[names[admin_id]][f"{kind}_m2"] += area
    for admin_id, n in session.execute(text(CLOSED), params):
        want[names[admin_id]]["hazards_closed"] += n
    for admin_id, code, qty in session.execute(text(DESTROYED), params):
        want[names[admin_id]]["destroyed"].append((code, qty))
    return want


def check(session: Session, dates: list[dt.date]) -> None:
    """The report's figures on each date (and over each period between two of them) are
    the ledger's, at both levels and for both kinds; the kept changes are the ledger's."""
    assert session.scalar(text(STALE_CHANGES)) == 0
    assert session.scalar(text(STALE_AREAS)) == 0
    dates = sorted(set(dates))
    for level in (1, 2):
        for contam in (CMR, APM):
            scope = ReportScope(level=level, contam=contam)
            for d in dates:
                want = ledger_remaining(session, d, level, contam)
                for row in remaining(session, d, scope)[:-1]:
                    expected = want.get(row["admin_code"])
                    if expected is None:
                        assert row["total_count"] == 0 and row["total_area_m2"] == 0.0, row
                        assert row["remnants"] == [] and row["years_of_use"] == [], row
                        continue
                    for key in ("sha_area_m2", "cha_area_m2"):
                        assert row[key] == pytest.approx(expected[key], abs=2e-3), (d, row)
                    for key in ("sha_count", "cha_count", "remnants", "years_of_use"):
                        assert row[key] == expected[key], (d, level, contam, key, row)
            for a, b in zip([dt.date(2000, 1, 1), *dates], dates, strict=False):
                want_r = ledger_released(session, a, b, level, contam)
                for row in released(session, a, b, scope)[:-1]:
                    expected_r = want_r.get(row["admin_code"])
                    if expected_r is None:
                        assert row["total_m2"] == 0.0 and row["hazards_closed"] == 0, row
                        assert row["destroyed"] == [], row
                        continue
                    for key in ("cancelled_m2", "reduced_m2", "cleared_m2"):
                        assert row[key] == pytest.approx(expected_r[key], abs=2e-3), (a, b, row)
                    assert row["hazards_closed"] == expected_r["hazards_closed"], (a, b, row)
                    got = sorted((i["type"], i["quantity"]) for i in row["destroyed"])
                    assert got == sorted(expected_r["destroyed"]), (a, b, row)


def dates_around(events: list[dt.date]) -> list[dt.date]:
    """The events' dates, the days before them, their months' and years' last days."""
    out = [dt.date(2017, 6, 30)]
    for d in events:
        following_month = (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        out += [d, d - dt.timedelta(days=1), following_month - dt.timedelta(days=1)]
        out.append(dt.date(d.year, 12, 31))
    return out


def load_provinces_and_districts(session: Session) -> None:
    load_boundaries(
        session,
        [
            BoundaryFeature("W", "West", MultiPolygon([WEST])),
            BoundaryFeature("E", "East", MultiPolygon([EAST])),
        ],
        level=1,
    )
    load_boundaries(session, DISTRICTS, level=2)


rects = st.builds(
    cell_box, st.integers(0, 8), st.integers(0, 6), st.integers(1, 4), st.integers(1, 4)
)
days = st.builds(
    dt.date, st.sampled_from([2018, 2019, 2020]), st.integers(1, 12), st.integers(1, 28)
)
estimates = st.dictionaries(st.sampled_from(["BLU-26", "M42"]), st.integers(0, 50), max_size=2)
first_years = st.one_of(st.none(), st.integers(1964, 1968))
last_years = st.one_of(st.none(), st.integers(1969, 1973))


@st.composite
def histories(draw):  # type: ignore[no-untyped-def]
    """Hazards, revisions (back-dated too) and releases in three approvals."""
    hazards = [
        NewHazard(
            f"H{k}",
            draw(st.sampled_from([SHA, CHA])),
            draw(rects),
            draw(days),
            contam=draw(st.sampled_from([CMR, CMR, APM])),
            used_from=draw(first_years),
            used_to=draw(last_years),
            estimates=draw(estimates),
        )
        for k in range(draw(st.integers(1, 3)))
    ]
    changes = [
        HazardChange(
            h.reference,
            h.recorded + dt.timedelta(days=draw(st.integers(1, 700))),
            status=draw(st.sampled_from([None, SHA, CHA])),
            geometry=draw(st.one_of(st.none(), rects)),
            used_from=draw(first_years),
            estimates=draw(st.one_of(st.none(), estimates)),
        )
        for h in hazards
        for _ in range(draw(st.integers(0, 2)))
    ]
    releases = []
    for k in range(draw(st.integers(0, 6))):
        h = draw(st.sampled_from(hazards))
        whole = draw(st.booleans())  # the whole first boundary: the hazard closes
        releases.append(
            NewRelease(
                f"R{k}",
                h.reference,
                draw(st.sampled_from(list(ReleaseMethod))),
                h.recorded + dt.timedelta(days=draw(st.integers(0, 900))),
                h.geometry if whole else draw(rects),
                items=draw(estimates),
            )
        )
    return hazards, changes, releases, draw(st.integers(0, len(releases)))


def record(session: Session, hazards, changes, releases, split: int) -> list[dt.date]:  # type: ignore[no-untyped-def]
    """Recorded as three approvals: releases, revisions (back-dated before some of them),
    more releases (appended, or back-dated so that ledgers are stored again)."""
    load_provinces_and_districts(session)
    record_hazards(session, hazards)
    record_releases(session, releases[:split])
    for change in sorted(changes, key=lambda c: c.effective, reverse=True):
        revise_hazards(session, [change])  # the later first: each one back-dated
    record_releases(session, releases[split:])
    return dates_around(
        [h.recorded for h in hazards]
        + [c.effective for c in changes]
        + [r.released for r in releases]
    )


CLOSED_AND_REOPENED = (
    [NewHazard("H0", SHA, cell_box(5, 2, 2, 2), dt.date(2018, 3, 10), estimates={"M42": 0})],
    [
        # confirmed, then given more ground after it was cleared whole, back-dated
        HazardChange("H0", dt.date(2018, 6, 1), status=CHA),
        HazardChange("H0", dt.date(2019, 2, 1), geometry=cell_box(5, 2, 4, 3), used_from=1969),
    ],
    [
        NewRelease("R0", "H0", ReleaseMethod.REDUCED, dt.date(2018, 5, 5), cell_box(5, 2, 1, 2)),
        NewRelease(
            "R1", "H0", ReleaseMethod.CLEARED, dt.date(2018, 11, 20), cell_box(5, 2, 2, 2),
            items={"BLU-26": 3},
        ),
        NewRelease("R2", "H0", ReleaseMethod.CLEARED, dt.date(2019, 7, 1), cell_box(7, 2, 2, 3)),
    ],
    1,
)  # fmt: skip


# Cleared whole, given ground again and cleared again, twice in 2018 and once in 2019.
CLOSED_TWICE_IN_A_YEAR = (
    [NewHazard("H0", CHA, cell_box(5, 2, 2, 2), dt.date(2018, 3, 10))],
    [
        HazardChange("H0", dt.date(2018, 6, 1), geometry=cell_box(5, 2, 3, 2)),
        HazardChange("H0", dt.date(2019, 2, 1), geometry=cell_box(5, 2, 4, 2)),
    ],
    [
        NewRelease("R1", "H0", ReleaseMethod.CLEARED, dt.date(2018, 5, 1), cell_box(5, 2, 2, 2)),
        NewRelease("R2", "H0", ReleaseMethod.CLEARED, dt.date(2018, 8, 1), cell_box(5, 2, 3, 2)),
        NewRelease("R3", "H0", ReleaseMethod.CLEARED, dt.date(2018, 9, 1), cell_box(5, 2, 3, 2)),
        NewRelease("R4", "H0", ReleaseMethod.CLEARED, dt.date(2019, 3, 1), cell_box(5, 2, 4, 2)),
    ],
    2,
)  # fmt: skip


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories())
@example(history=CLOSED_AND_REOPENED)
@example(history=CLOSED_TWICE_IN_A_YEAR)
def test_the_kept_changes_give_the_ledgers_figures_on_every_date(
    session: Session,
    history,  # type: ignore[no-untyped-def]
) -> None:
    nested = session.begin_nested()
    try:
        check(session, record(session, *history))
    finally:
        nested.rollback()


def test_a_hazard_cleared_whole_and_given_ground_again_counts_again(session: Session) -> None:
    """The story of CLOSED_AND_REOPENED, figure by figure at level 1."""
    dates = record(session, *CLOSED_AND_REOPENED)
    check(session, dates)
    scope = ReportScope()

    def east(d: dt.date) -> dict[str, Any]:
        return next(r for r in remaining(session, d, scope) if r["admin_code"] == "E")

    assert east(dt.date(2018, 5, 31))["sha_count"] == 1
    confirmed = east(dt.date(2018, 6, 1))
    assert (confirmed["sha_count"], confirmed["cha_count"], confirmed["sha_area_m2"]) == (0, 1, 0)
    assert confirmed["remnants"] == [{"type": "M42", "estimated_quantity": 0}]
    cleared = east(dt.date(2018, 12, 31))
    assert (cleared["total_count"], cleared["remnants"]) == (0, [])
    assert cleared["cha_area_m2"] == pytest.approx(0.0, abs=1e-3)
    # the boundary revision was recorded before the confirmation back-dated before it, so it
    # states the status then in force: SHA again from its date
    reopened = east(dt.date(2019, 2, 1))
    assert (reopened["sha_count"], reopened["cha_count"]) == (1, 0)
    assert reopened["years_of_use"] == [1969]
    assert reopened["sha_area_m2"] > 1e5 and reopened["cha_area_m2"] == 0.0
    year = next(r for r in released(session, dt.date(2017, 12, 31), dt.date(2018, 12, 31), scope)
                if r["admin_code"] == "E")  # fmt: skip
    assert year["hazards_closed"] == 1
    assert year["destroyed"] == [{"type": "BLU-26", "quantity": 3, "cmr": True}]


def test_a_hazard_closed_twice_in_a_year_counts_once_that_year(session: Session) -> None:
    """helper-86's story, approved as it happened: cleared whole, a boundary revision gives
    it ground, cleared whole again (and a release repeated). Form 1(i) of 2018 counts one
    hazard closed, not two, and 2019, when it is given ground and cleared again, one more.
    The closing stored before an appended one is found in the table (the appended
    approval's entries start after it)."""
    hazards, changes, releases, _ = CLOSED_TWICE_IN_A_YEAR
    load_provinces_and_districts(session)
    record_hazards(session, hazards)
    record_releases(session, releases[:1])
    revise_hazards(session, changes[:1])
    record_releases(session, releases[1:3])
    revise_hazards(session, changes[1:])
    record_releases(session, releases[3:])
    scope = ReportScope()

    def closed(a: dt.date, b: dt.date) -> int:
        return next(r for r in released(session, a, b, scope) if r["admin_code"] == "TOTAL")[
            "hazards_closed"
        ]

    assert closed(dt.date(2017, 12, 31), dt.date(2018, 12, 31)) == 1
    assert closed(dt.date(2018, 12, 31), dt.date(2019, 12, 31)) == 1
    assert closed(dt.date(2017, 12, 31), dt.date(2019, 12, 31)) == 2
    # days of a year add up to the year: the second closing of 2018 is not counted again
    assert closed(dt.date(2017, 12, 31), dt.date(2018, 6, 30)) == 1
    assert closed(dt.date(2018, 6, 30), dt.date(2018, 12, 31)) == 0
    explained = explain(session, 2018, "TOTAL", "hazards_closed", scope)
    assert [r["release"] for r in explained["contributions"]] == ["R1"]
    assert explained["total"] == 1
    check(session, dates_around([r.released for r in releases] + [c.effective for c in changes]))


@settings(max_examples=300, deadline=None)
@given(
    after=st.one_of(st.none(), st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31))),
    through=st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)),
)
def test_whole_years_and_days_make_up_exactly_the_days_asked_for(
    after: dt.date | None, through: dt.date
) -> None:
    """Every day after ``after`` up to ``through`` counted once, every other day not at all,
    and never more than half a year of days read from the ledger."""
    first_day = dt.date(1989, 1, 1)
    days = [first_day + dt.timedelta(days=i) for i in range((dt.date(2031, 1, 1) - first_day).days)]
    counted = dict.fromkeys(days, 0)
    how = plan(after, through)
    if how is not None:
        if how.years is not None:
            first, last = how.years
            for day in days:
                if (first is None or day.year >= first) and day.year <= last:
                    counted[day] += 1
        for window in how.days:
            assert window.first <= window.last
            assert (window.last - window.first).days < 184
            day = window.first
            while day <= window.last:
                counted[day] += window.sign
                day += dt.timedelta(days=1)
    assert {d: n for d, n in counted.items() if n} == {
        d: 1 for d in days if (after is None or d > after) and d <= through
    }


@pytest.mark.parametrize(
    "statements",
    [
        # entries appended after the last one, with a status change, then their pieces (as
        # ims_ledger_store appends): the area held so far moves to the new status
        [
            'INSERT INTO ledger_entry (hazard_id, entry_no, kind, "on", seq, revision_id, '
            "status_after, delta_m2, remaining_after_m2, count_admin1_id, count_admin2_id) "
            "SELECT e.hazard_id, e.entry_no + 1, 'status', DATE '2021-03-01', e.seq + 100, "
            "e.revision_id, CASE e.status_after WHEN 'SHA' THEN 'CHA' ELSE 'SHA' END, 0, "
            "e.remaining_after_m2, e.count_admin1_id, e.count_admin2_id FROM ledger_entry e "
            "WHERE (e.hazard_id, e.entry_no) IN "
            "(SELECT hazard_id, max(entry_no) FROM ledger_entry GROUP BY 1)",
            'INSERT INTO ledger_entry (hazard_id, entry_no, kind, "on", seq, revision_id, '
            "status_after, delta_m2, remaining_after_m2, count_admin1_id, count_admin2_id) "
            "SELECT e.hazard_id, e.entry_no + 1, 'added', DATE '2021-03-01', e.seq + 101, "
            "e.revision_id, e.status_after, 5000, e.remaining_after_m2 + 5000, "
            "e.count_admin1_id, e.count_admin2_id FROM ledger_entry e "
            "WHERE (e.hazard_id, e.entry_no) IN "
            "(SELECT hazard_id, max(entry_no) FROM ledger_entry GROUP BY 1)",
            "INSERT INTO ledger_piece (hazard_id, entry_no, level, admin_id, area_m2) "
            "SELECT e.hazard_id, e.entry_no, l.level, CASE l.level WHEN 1 THEN "
            "e.count_admin1_id ELSE e.count_admin2_id END, 5000 FROM ledger_entry e "
            "CROSS JOIN (VALUES (1), (2)) l(level) WHERE e.kind = 'added' "
            "AND e.\"on\" = DATE '2021-03-01'",
        ],
        # first entries taken away and put back before the others (not appended): the
        # hazards are taken back and given again
        [
            "CREATE TEMP TABLE first_entries AS SELECT * FROM ledger_entry WHERE entry_no = 1",
            "CREATE TEMP TABLE first_pieces AS SELECT * FROM ledger_piece WHERE entry_no = 1",
            "DELETE FROM ledger_entry WHERE entry_no = 1",
            "INSERT INTO ledger_entry SELECT * FROM first_entries",
            "INSERT INTO ledger_piece (hazard_id, entry_no, level, admin_id, area_m2) "
            "SELECT hazard_id, entry_no, level, admin_id, area_m2 FROM first_pieces",
        ],
        # entries changed in place, and removed
        ["UPDATE ledger_entry SET status_after = 'CHA' WHERE kind IN ('cleared', 'reduced')"],
        ['UPDATE ledger_entry SET "on" = "on" + 30 WHERE entry_no > 1'],
        ["UPDATE ledger_piece SET area_m2 = area_m2 / 2 WHERE level = 2"],
        ["DELETE FROM ledger_entry WHERE kind = 'cancelled'"],
        ["DELETE FROM ledger_entry WHERE hazard_id IN (SELECT min(hazard_id) FROM ledger_entry)"],
        ["TRUNCATE ledger_entry CASCADE"],
    ],
)
def test_the_kept_changes_follow_any_change_of_the_ledger(
    owner_session: Session, statements: list[str]
) -> None:
    """However the owner writes the ledger (ims_ledger_store only deletes and appends), the
    triggers keep the changes the ledger gives: checked here on every date as above."""
    hazards, changes, releases, split = CLOSED_AND_REOPENED
    more = [
        NewHazard("H9", CHA, cell_box(0, 4, 3, 2), dt.date(2018, 8, 8), estimates={"M42": 4}),
        NewHazard("H8", SHA, cell_box(6, 5, 2, 1), dt.date(2019, 1, 2), contam=APM),
    ]
    extra = [
        NewRelease("R9", "H9", ReleaseMethod.CANCELLED, dt.date(2019, 4, 4), cell_box(0, 4, 1, 2)),
        NewRelease("R8", "H8", ReleaseMethod.REDUCED, dt.date(2020, 2, 2), cell_box(6, 5, 1, 1)),
    ]
    dates = record(owner_session, [*hazards, *more], changes, [*releases, *extra], split)
    for statement in statements:
        owner_session.execute(text(statement))
    check(owner_session, [*dates, dt.date(2021, 2, 28), dt.date(2021, 3, 1), dt.date(2021, 12, 31)])
