"""Properties of the stored figures over random data (docs/design.md §2.2, §2.3, §2.5).

Random hazards, revisions and releases go in through the recording service; the Article 7
and Article 4 figures that come out of the database are checked against the geometry
computed directly (boundary in force minus every release up to the date), per province.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely import segmentize
from shapely.geometry import MultiPolygon, box
from shapely.geometry.polygon import orient
from shapely.ops import unary_union
from sqlalchemy.orm import Session

from ims.db.recording import load_boundaries, record_hazards, record_releases, revise_hazards
from ims.domain.enums import Contamination, HazardStatus, ReleaseMethod
from ims.domain.records import BoundaryFeature, HazardChange, NewHazard, NewRelease
from ims.reports.article7 import ReportScope, article4, article7

GEOD = Geod(ellps="WGS84")
STEP = 0.002  # grid step in degrees (~200 m); the provinces meet at 102.5°E
WEST = box(102.0, 19.0, 102.5, 20.0)
EAST = box(102.5, 19.0, 103.0, 20.0)
YEARS = list(range(2018, 2024))


def cell_box(i: int, j: int, w: int, h: int):  # type: ignore[no-untyped-def]
    """A rectangle on a grid straddling the border between the two provinces."""
    x0, y0 = 102.5 + (i - 4) * STEP, 19.6 + j * STEP
    return box(x0, y0, x0 + w * STEP, y0 + h * STEP)


def area(geom) -> float:  # type: ignore[no-untyped-def]
    """Ellipsoidal area computed independently of ims: pyproj on rings densified to ~1 m.

    ims reads an edge as a straight line in longitude/latitude (as the overlays do), so the
    reference densifies edges before pyproj's geodesic polygon area; rings are oriented so
    that holes subtract.
    """
    polygons = [geom] if geom.geom_type == "Polygon" else getattr(geom, "geoms", [])
    return sum(
        abs(GEOD.geometry_area_perimeter(orient(segmentize(p, 1e-5), 1.0))[0])
        for p in polygons
        if p.geom_type == "Polygon" and not p.is_empty
    )


rects = st.builds(
    cell_box, st.integers(0, 8), st.integers(0, 6), st.integers(1, 4), st.integers(1, 4)
)
dates = st.builds(dt.date, st.sampled_from(YEARS), st.integers(1, 12), st.integers(1, 28))


@st.composite
def scenarios(draw):  # type: ignore[no-untyped-def]
    """Random hazards (with revisions) and releases, as the recording service takes them."""
    n = draw(st.integers(1, 3))
    hazards = [
        NewHazard(f"H{k}", draw(st.sampled_from(list(HazardStatus))), draw(rects), draw(dates))
        for k in range(n)
    ]
    changes = []
    for h in hazards:
        if draw(st.booleans()):
            changes.append(
                HazardChange(
                    h.reference,
                    h.recorded + dt.timedelta(days=draw(st.integers(1, 900))),
                    status=draw(st.sampled_from(list(HazardStatus))),
                    geometry=draw(st.one_of(st.none(), rects)),
                )
            )
    releases = [
        NewRelease(
            f"R{k}",
            f"H{draw(st.integers(0, n - 1))}",
            draw(st.sampled_from(list(ReleaseMethod))),
            draw(dates),
            draw(rects),
        )
        for k in range(draw(st.integers(0, 6)))
    ]
    return hazards, changes, releases


def expected_remaining(hazards, changes, releases, as_of: dt.date):  # type: ignore[no-untyped-def]
    """Per hazard: (status, remaining geometry) at as_of, by the definition in §2.2."""
    result = {}
    for h in hazards:
        versions = [(h.recorded, 0, h.status, h.geometry)] + [
            (c.effective, i + 1, c.status, c.geometry)
            for i, c in enumerate(changes)
            if c.reference == h.reference
        ]
        status, geom = None, None
        for effective, _, st_, g in sorted(versions, key=lambda v: (v[0], v[1])):
            if effective <= as_of:
                status = st_ or status
                geom = g if g is not None else geom
        if status is None:
            continue
        done = [
            r.geometry
            for r in releases
            if r.hazard_reference == h.reference and r.released <= as_of
        ]
        result[h.reference] = (status, geom.difference(unary_union(done)) if done else geom)
    return result


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    scenario=scenarios(),
    year=st.sampled_from(YEARS),
    year2=st.sampled_from(YEARS),
    split=st.integers(0, 6),
)
def test_stored_figures_match_geometry_and_are_conserved(
    session: Session,
    scenario,
    year: int,
    year2: int,
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
        # Revisions go in in random order relative to their dates (back-dated edits).
        revise_hazards(session, changes)
        # Releases arrive in two approvals: the second is appended to the ledger where it
        # comes after everything recorded, and rebuilds the hazard where it is back-dated.
        record_releases(session, releases[:split])
        record_releases(session, releases[split:])
        as_of = dt.date(year, 12, 31)
        report = article7(session, year, ReportScope())
        rows = {r["admin_code"]: r for r in report["remaining"]}
        state = expected_remaining(hazards, changes, releases, as_of)
        for code, province in (("W", WEST), ("E", EAST)):
            for status in HazardStatus:
                want = sum(area(g.intersection(province)) for s, g in state.values() if s is status)
                got = rows[code][f"{status.value.lower()}_area_m2"]
                assert abs(got - want) < 1.0 * max(1, len(hazards)), (code, status, got, want)
        total_open = sum(1 for _, g in state.values() if area(g) >= 1.0)
        assert rows["TOTAL"]["total_count"] == total_open

        # Conservation (§2.3) between two dates, nationally.
        d1, d2 = sorted((dt.date(year, 12, 31), dt.date(year2, 12, 31)))
        f = article4(session, d1, d2, Contamination.CMR)
        assert abs(
            f["remaining_m2"]
            - (f["area_at_baseline_m2"] + f["added_since_m2"] - f["released_since_m2"]["total"])
        ) < 1.0 * len(hazards)
    finally:
        nested.rollback()


@st.composite
def legacy_releases(draw, n_hazards: int):  # type: ignore[no-untyped-def]
    """Releases without a hazard id, anywhere on the grid (some on no hazard at all)."""
    return [
        NewRelease(f"L{k}", "", draw(st.sampled_from(list(ReleaseMethod))), draw(dates), g)
        for k, g in enumerate(draw(st.lists(rects, min_size=1, max_size=5)))
    ]


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios(), data=st.data(), year=st.sampled_from(YEARS))
def test_land_released_outside_hazards_never_changes_the_remaining_figures(
    session: Session,
    scenario,
    data,
    year: int,  # type: ignore[no-untyped-def]
) -> None:
    """Releases matched by geometry (docs/design.md §2.7): the parts on hazards count as
    their releases, the rest is counted apart and moves no remaining or released figure."""
    from ims.db.recording import record_outside_releases
    from ims.domain.split import split_release
    from ims.ingest.approval import split_parts
    from ims.ingest.validate import BoundaryVersion, HazardBoundaries

    hazards, changes, _ = scenario
    legacy = data.draw(legacy_releases(len(hazards)))
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
        versions = [BoundaryVersion(h.reference, h.recorded, 0, h.geometry) for h in hazards]
        versions += [
            BoundaryVersion(c.reference, c.effective, i + 1, c.geometry)
            for i, c in enumerate(changes)
            if c.geometry is not None
        ]
        index = HazardBoundaries(versions)
        parts, outside = [], []
        for release in legacy:
            geom = MultiPolygon([release.geometry])
            cut = split_release(geom, index.in_force(geom, release.released))
            on, off = split_parts(release, cut, Contamination.CMR)
            parts += on
            outside += off
            pieces = unary_union([p.geometry for p in on] + [o.geometry for o in off])
            assert abs(area(pieces) - area(release.geometry)) < 0.01  # nothing lost
        record_releases(session, parts)
        before = article7(session, year, ReportScope())
        record_outside_releases(session, outside)
        after = article7(session, year, ReportScope())
        assert after["remaining"] == before["remaining"]
        for old, new in zip(before["released"], after["released"], strict=True):
            apart = "released_outside_hazards_m2"
            assert {k: v for k, v in new.items() if k != apart} == {
                k: v for k, v in old.items() if k != apart
            }
        # the parts on hazards are their releases: remaining is boundary minus them (§2.2)
        state = expected_remaining(hazards, changes, parts, dt.date(year, 12, 31))
        want = sum(area(g) for _, g in state.values())
        assert abs(after["remaining"][-1]["total_area_m2"] - want) < 1.0 * len(hazards)
        # what is counted apart is the ground the outside parts released in the year, each
        # square metre once (§2.2): the union by the year's end less the union before it
        by_end = unary_union([o.geometry for o in outside if o.released.year <= year])
        before_year = unary_union([o.geometry for o in outside if o.released.year < year])
        apart = area(by_end) - area(before_year)
        got = after["released"][-1]["released_outside_hazards_m2"]
        assert abs(got - apart) < 0.01 * max(1, len(outside))
    finally:
        nested.rollback()
