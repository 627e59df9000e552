"""The map's state at any date (migration 0016) is the ledger's, whatever order things came in.

``hazard_period`` and ``admin1_change`` are kept by triggers on the ledger tables: the
hazard tiles of an earlier date read the periods, and the province layer sums the changes
up to the date. Random hazards, revisions (back-dated too) and releases (appended, and
back-dated so that ledgers are rebuilt) go in; both must then say exactly what the ledger
says on every date, computed here straight from ``ledger_entry`` and ``ledger_piece``.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, box
from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.db.recording import load_boundaries, record_hazards, record_releases, revise_hazards
from ims.domain.enums import Contamination, HazardStatus, ReleaseMethod
from ims.domain.figures import OPEN_THRESHOLD_M2
from ims.domain.records import BoundaryFeature, NewHazard, NewRelease
from ims.queries.national import national_totals
from ims.reports import tiles
from ims.reports.article7 import ReportScope, remaining
from tests.reports.test_properties import EAST, WEST, YEARS, scenarios

MIGRATION = (
    Path(__file__).resolve().parents[2]
    / "migrations"
    / "versions"
    / "20261201_0016_map_state_at_any_date.py"
)

# Each hazard's state on a date, by definition: its last ledger entry up to the date.
STATE_THEN = text(
    "SELECT e.hazard_id, e.status_after, e.remaining_after_m2, e.revision_id"
    " FROM hazard h, LATERAL (SELECT * FROM ledger_entry e WHERE e.hazard_id = h.id"
    '  AND e."on" <= :d ORDER BY e.entry_no DESC LIMIT 1) e'
    " WHERE e.status_after IS NOT NULL ORDER BY 1"
)
PERIOD_THEN = text(
    "SELECT hazard_id, status, remaining_m2, revision_id FROM hazard_period"
    " WHERE during @> CAST(:d AS date) ORDER BY 1"
)
# Per province on a date: the level-1 pieces of every entry up to it, and the open hazards
# counted there (as Form 1(h) sums them).
AREAS_THEN = text(
    "SELECT p.admin_id, SUM(p.area_m2) FROM ledger_piece p"
    " JOIN ledger_entry e ON e.hazard_id = p.hazard_id AND e.entry_no = p.entry_no"
    " JOIN hazard h ON h.id = e.hazard_id"
    ' WHERE e."on" <= :d AND p.level = 1 AND p.admin_id IS NOT NULL'
    " AND (CAST(:contam AS text) IS NULL OR h.contam = :contam) GROUP BY p.admin_id"
)
COUNTS_THEN = text(
    "SELECT s.count_admin1_id, COUNT(*) FROM hazard h, LATERAL (SELECT * FROM ledger_entry e"
    '  WHERE e.hazard_id = h.id AND e."on" <= :d ORDER BY e.entry_no DESC LIMIT 1) s'
    " WHERE s.status_after IS NOT NULL AND s.remaining_after_m2 >= :open"
    " AND s.count_admin1_id IS NOT NULL"
    " AND (CAST(:contam AS text) IS NULL OR h.contam = :contam) GROUP BY 1"
)


def check_state(session: Session, dates: list[dt.date]) -> None:
    """The periods and province figures agree with the ledger on each date."""
    for d in dates:
        want = [tuple(r) for r in session.execute(STATE_THEN, {"d": d})]
        got = [tuple(r) for r in session.execute(PERIOD_THEN, {"d": d})]
        assert [(h, s, r) for h, s, _, r in got] == [(h, s, r) for h, s, _, r in want], d
        for (_, _, a, _), (_, _, b, _) in zip(got, want, strict=True):
            assert a == pytest.approx(b, abs=1e-9)
        for contam in (None, "CMR", "APM"):
            params: dict[str, Any] = {"d": d, "contam": contam, "open": OPEN_THRESHOLD_M2}
            areas = {int(k): float(v) for k, v in session.execute(AREAS_THEN, params)}
            counts = {int(k): int(v) for k, v in session.execute(COUNTS_THEN, params)}
            ids, got_areas, got_counts = tiles._province_figures(session, d, contam)
            got_by_id = dict(zip(ids, zip(got_areas, got_counts, strict=True), strict=True))
            for admin_id in areas.keys() | counts.keys() | got_by_id.keys():
                area, count = got_by_id.get(admin_id, (0.0, 0))
                assert area == pytest.approx(areas.get(admin_id, 0.0), abs=1e-3), (d, contam)
                assert count == counts.get(admin_id, 0), (d, contam, admin_id)
            # the dashboard's and the map's national figures, summed from the periods, are
            # the national row of Form 1(h) (every kind added up without a kind)
            kinds = [Contamination(contam)] if contam else list(Contamination)
            rows = [remaining(session, d, ReportScope(level=1, contam=k))[-1] for k in kinds]
            national = national_totals(session, d, Contamination(contam) if contam else None)
            for key in ("sha_area_m2", "cha_area_m2", "total_area_m2"):
                want = sum(row[key] for row in rows)
                assert national[key] == pytest.approx(want, abs=1e-2), (d, contam, key)
            for key in ("sha_count", "cha_count", "total_count"):
                assert national[key] == sum(row[key] for row in rows), (d, contam, key)
    # and the sums are those of the hazards' own shares
    apart = session.execute(
        text(
            'SELECT admin_id, contam, "on", SUM(a), SUM(n) FROM ('
            ' SELECT admin_id, contam, "on", area_m2 AS a, 0 AS n FROM hazard_admin1_area'
            ' UNION ALL SELECT admin_id, contam, "on", 0, hazards FROM hazard_admin1_count) x'
            " GROUP BY 1, 2, 3 HAVING SUM(n) <> 0 OR abs(SUM(a)) > 1e-6 ORDER BY 1, 2, 3"
        )
    ).all()
    summed = session.execute(
        text(
            'SELECT admin_id, contam, "on", area_m2, hazards FROM admin1_change'
            " WHERE hazards <> 0 OR abs(area_m2) > 1e-6 ORDER BY 1, 2, 3"
        )
    ).all()
    assert [(*r[:3], r[4]) for r in summed] == [(*r[:3], r[4]) for r in apart]
    for s, a in zip(summed, apart, strict=True):
        assert s[3] == pytest.approx(a[3], abs=1e-6)


def the_dates() -> list[dt.date]:
    return [dt.date(y, m, 1) for y in (2017, *YEARS, 2025) for m in (1, 7)]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios(), split=st.integers(0, 6))
def test_the_map_state_is_the_ledgers_on_every_date(
    session: Session,
    scenario,
    split: int,  # type: ignore[no-untyped-def]
) -> None:
    hazards, changes, releases = scenario
    nested = session.begin_nested()
    try:
        load_boundaries(
            session,
            [
                BoundaryFeature("W", "West", MultiPolygon([WEST])),
                BoundaryFeature("E", "East", MultiPolygon([EAST])),
            ],
            level=1,
        )
        record_hazards(session, hazards)
        revise_hazards(session, changes)
        # appended where they come after everything, the ledger rebuilt where back-dated
        record_releases(session, releases[:split])
        record_releases(session, releases[split:])
        check_state(session, the_dates())
    finally:
        nested.rollback()


def test_the_map_state_follows_new_boundaries(session: Session) -> None:
    load_boundaries(
        session,
        [
            BoundaryFeature("W", "West", MultiPolygon([WEST])),
            BoundaryFeature("E", "East", MultiPolygon([EAST])),
        ],
        level=1,
    )
    record_hazards(
        session,
        [
            NewHazard(
                "H1", HazardStatus.CHA, box(102.45, 19.5, 102.52, 19.52), dt.date(2019, 1, 1)
            ),
            NewHazard("H2", HazardStatus.SHA, box(102.6, 19.5, 102.62, 19.52), dt.date(2020, 1, 1)),
        ],
    )
    record_releases(
        session,
        [
            NewRelease(
                "R1",
                "H2",
                ReleaseMethod.CLEARED,
                dt.date(2021, 5, 1),
                box(102.6, 19.5, 102.62, 19.52),
            ),
            NewRelease(
                "R2",
                "H1",
                ReleaseMethod.REDUCED,
                dt.date(2021, 6, 1),
                box(102.45, 19.5, 102.47, 19.52),
            ),
        ],
    )
    check_state(session, the_dates())
    # The border moves east: H1 lies wholly in the west, and is counted there.
    load_boundaries(
        session,
        [
            BoundaryFeature("W", "West", MultiPolygon([box(102.0, 19.0, 102.55, 20.0)])),
            BoundaryFeature("E", "East", MultiPolygon([box(102.55, 19.0, 103.0, 20.0)])),
        ],
        level=1,
    )
    check_state(session, the_dates())
    west = session.scalar(text("SELECT id FROM admin_area WHERE code = 'W'"))
    ids, _, counts = tiles._province_figures(session, dt.date(2022, 1, 1))
    assert dict(zip(ids, counts, strict=True))[west] == 1


def test_the_open_threshold_is_the_domains() -> None:
    spec = importlib.util.spec_from_file_location("map_state_migration", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert float(module.OPEN_M2) == OPEN_THRESHOLD_M2
