"""The remaining ground as files and the OGC API give it: without the slivers its
differences leave (ims/domain/polygons.py, ``without_slivers``)."""

from __future__ import annotations

import math

import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import MultiPolygon, box

from ims.domain.polygons import SLIVER_AREA_M2, SLIVER_WIDTH_M, without_slivers

GEOD = Geod(ellps="WGS84")


def area(geom: object) -> float:
    """Geodesic area, computed by pyproj, not by ims."""
    return abs(GEOD.geometry_area_perimeter(geom)[0])


def width(geom: object) -> float:
    a, perimeter = GEOD.geometry_area_perimeter(geom)
    return 2 * abs(a) / perimeter


GROUND = box(103.0, 19.0, 103.001, 19.001)  # about 110 m by 105 m
SLIVER = box(102.999, 19.0, 102.999 + 2e-9, 19.001)  # 0.2 mm wide, 110 m long
SMALL = box(103.002, 19.0, 103.002 + 8e-6, 19.0 + 8e-6)  # 0.9 m by 0.9 m: small, not thin
STRIP = box(103.003, 19.0, 103.003 + 5e-8, 19.01)  # 5 mm wide, 1.1 km long: 5 m²


def test_a_part_thinner_than_a_centimetre_and_smaller_than_a_square_metre_goes() -> None:
    assert width(SLIVER) < SLIVER_WIDTH_M and area(SLIVER) < SLIVER_AREA_M2
    assert width(SMALL) > SLIVER_WIDTH_M and area(SMALL) < SLIVER_AREA_M2
    assert width(STRIP) < SLIVER_WIDTH_M and area(STRIP) > SLIVER_AREA_M2
    kept = without_slivers(MultiPolygon([GROUND, SLIVER, SMALL, STRIP]))
    assert isinstance(kept, MultiPolygon)
    assert all(p.equals(q) for p, q in zip(kept.geoms, [GROUND, SMALL, STRIP], strict=True))


def test_ground_without_slivers_is_given_back_as_it_is() -> None:
    whole = MultiPolygon([GROUND, SMALL])
    assert without_slivers(whole) is whole
    assert without_slivers(GROUND) is GROUND
    assert without_slivers(None) is None


def test_nothing_but_slivers_is_no_ground() -> None:
    assert without_slivers(MultiPolygon([SLIVER])) is None
    assert without_slivers(SLIVER) is None


@settings(max_examples=60, deadline=None)
@given(
    lat=st.floats(min_value=-60, max_value=60),
    widths=st.lists(st.floats(min_value=1e-10, max_value=1e-3), min_size=1, max_size=5),
)
def test_what_goes_is_thin_and_small_on_the_ground_and_what_stays_is_not(
    lat: float, widths: list[float]
) -> None:
    """At any latitude: every part dropped is under both limits measured on the ellipsoid
    (no ground is ever dropped), and the area lost is under a square metre a part. Measured
    with the most metres a degree can be, a part kept may be thin and small where a degree
    of longitude is shorter, by the cosine of the latitude at most."""
    parts = [
        box(103.0 + i * 0.01, lat, 103.0 + i * 0.01 + w, lat + 1e-4) for i, w in enumerate(widths)
    ]
    geom = MultiPolygon(parts)
    kept = without_slivers(geom)
    kept_parts = [] if kept is None else list(shapely.get_parts(kept))
    for part in parts:
        if any(part.equals(k) for k in kept_parts):
            shorter = math.cos(math.radians(abs(lat) + 1e-3)) * 0.98
            assert width(part) >= SLIVER_WIDTH_M * shorter or area(part) >= SLIVER_AREA_M2 * shorter
        else:
            assert width(part) < SLIVER_WIDTH_M and area(part) < SLIVER_AREA_M2
    lost = area(geom) - (0.0 if kept is None else area(kept))
    assert 0 <= lost < SLIVER_AREA_M2 * (len(parts) - len(kept_parts)) + 1e-9
