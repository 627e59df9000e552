"""Splitting a release among the hazards it lies on (docs/design.md §2.7).

Expected areas are computed independently with ``pyproj.Geod`` on the boxes' corners (edges
along meridians and parallels, as the project reads edges), never through the module's own
area function.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import MultiPolygon, box

from ims.domain.geodesy import geodesic_area
from ims.domain.split import split_release

GEOD = Geod(ellps="WGS84")


def box_m2(x0: float, y0: float, x1: float, y1: float) -> float:
    """Area of a lon/lat box: pyproj on a densified ring (straight lon/lat edges)."""
    n = 200
    xs = [x0 + (x1 - x0) * i / n for i in range(n)] + [x1] * n
    ys = [y0] * n + [y0 + (y1 - y0) * i / n for i in range(n)]
    xs += [x1 - (x1 - x0) * i / n for i in range(n)] + [x0] * n
    ys += [y1] * n + [y1 - (y1 - y0) * i / n for i in range(n)]
    area, _ = GEOD.polygon_area_perimeter(xs, ys)
    return abs(area)


def mp(x0: float, y0: float, x1: float, y1: float) -> MultiPolygon:
    return MultiPolygon([box(x0, y0, x1, y1)])


def test_a_release_over_two_hazards_and_open_ground_is_cut_in_three() -> None:
    release = mp(103.000, 19.000, 103.003, 19.001)
    split = split_release(
        release,
        [("A", mp(102.99, 18.99, 103.001, 19.01)), ("B", mp(103.002, 18.99, 103.01, 19.01))],
    )
    assert [p.hazard for p in split.pieces] == ["A", "B"]
    a, b = split.pieces
    assert a.area_m2 == pytest.approx(box_m2(103.000, 19.000, 103.001, 19.001), rel=1e-6)
    assert b.area_m2 == pytest.approx(box_m2(103.002, 19.000, 103.003, 19.001), rel=1e-6)
    assert split.outside_m2 == pytest.approx(box_m2(103.001, 19.000, 103.002, 19.001), rel=1e-6)
    assert not split.whole


def test_a_release_inside_one_hazard_stays_whole() -> None:
    release = mp(103.000, 19.000, 103.001, 19.001)
    split = split_release(release, [("A", mp(102.9, 18.9, 103.1, 19.1))])
    assert split.whole and split.outside_m2 == 0.0
    assert split.pieces[0].area_m2 == pytest.approx(
        box_m2(103.000, 19.000, 103.001, 19.001), rel=1e-6
    )


def test_a_hazard_the_release_only_touches_gets_nothing() -> None:
    release = mp(103.000, 19.000, 103.001, 19.001)
    split = split_release(release, [("A", mp(103.001, 19.000, 103.002, 19.001))])
    assert split.pieces == ()
    assert split.outside_m2 == pytest.approx(box_m2(103.000, 19.000, 103.001, 19.001), rel=1e-6)


def test_a_sliver_of_a_shared_edge_is_not_land_released_outside_hazards() -> None:
    """A release drawn along its hazard's edges came back from UTM a fraction of a
    millimetre outside one of them: 0.11 m² recorded as land released outside hazards,
    and a warning that "0 m² lies in no hazard"."""
    hazard = [("A", mp(103.0, 19.0, 103.005, 19.005))]
    sliver = mp(103.0 - 2e-9, 19.0, 103.003, 19.005)  # 0.2 mm wide along a 550 m edge
    assert 0.05 < box_m2(103.0 - 2e-9, 19.0, 103.0, 19.005) < 1.0
    split = split_release(sliver, hazard)
    assert split.whole and split.outside_m2 == 0.0
    assert split.pieces[0].area_m2 == pytest.approx(box_m2(103.0, 19.0, 103.003, 19.005), 1e-6)
    wider = mp(103.0 - 4e-8, 19.0, 103.003, 19.005)  # 4 mm: about 2.4 m², ground
    outside = box_m2(103.0 - 4e-8, 19.0, 103.0, 19.005)
    assert outside > 1.0
    assert split_release(wider, hazard).outside_m2 == pytest.approx(outside, rel=1e-3)


coords = st.integers(min_value=0, max_value=40)


@st.composite
def boxes(draw: st.DrawFn) -> tuple[float, float, float, float]:
    x0, x1 = sorted(draw(st.lists(coords, min_size=2, max_size=2, unique=True)))
    y0, y1 = sorted(draw(st.lists(coords, min_size=2, max_size=2, unique=True)))
    step = 0.0005
    return (103 + x0 * step, 19 + y0 * step, 103 + x1 * step, 19 + y1 * step)


@settings(max_examples=150, deadline=None)
@given(release=boxes(), hazards=st.lists(boxes(), min_size=0, max_size=5))
def test_splitting_conserves_the_release_area(
    release: tuple[float, float, float, float], hazards: list[tuple[float, float, float, float]]
) -> None:
    """The parts cover the release exactly: pieces (each inside its hazard) and the rest.

    Hazards may overlap; the union of the pieces then counts shared ground once, and
    without overlaps the pieces' areas themselves add up.
    """
    geom = mp(*release)
    named = [(f"H{i}", mp(*h)) for i, h in enumerate(hazards)]
    split = split_release(geom, named)
    whole = box_m2(*release)
    union = geodesic_area(
        MultiPolygon([g for p in split.pieces for g in p.geometry.geoms]).buffer(0)
    )
    assert union + split.outside_m2 == pytest.approx(whole, rel=1e-6, abs=0.01)
    bounds = dict(named)
    for piece in split.pieces:
        assert bounds[piece.hazard].buffer(1e-12).covers(piece.geometry)
        assert geom.buffer(1e-12).covers(piece.geometry)
    overlapping = any(
        a.intersection(b).area > 0 for i, (_, a) in enumerate(named) for _, b in named[i + 1 :]
    )
    if not overlapping:
        total = sum(p.area_m2 for p in split.pieces) + split.outside_m2
        assert total == pytest.approx(whole, rel=1e-6, abs=0.01)
