"""Many geometries checked at once are checked as one at a time (ims/domain/geometry.py)."""

from __future__ import annotations

import pytest
from shapely.geometry import MultiPolygon, Point, Polygon, box

from ims.domain.geometry import as_multipolygon, as_multipolygons
from ims.errors import InvalidGeometry

BOWTIE = Polygon([(102.1, 19.6), (102.11, 19.61), (102.11, 19.6), (102.1, 19.61)])


def test_many_geometries_become_what_each_one_would() -> None:
    raised = Polygon([(102, 19, 5), (102.1, 19, 5), (102.1, 19.1, 5)])  # with Z
    geoms = [MultiPolygon([box(102, 19, 102.1, 19.1)]), box(103, 18, 103.2, 18.1), raised]
    got = as_multipolygons(geoms, lambda i: f"hazard H{i}")
    for one, many in zip(geoms, got, strict=True):
        assert isinstance(many, MultiPolygon) and not many.has_z
        assert many.equals_exact(as_multipolygon(one), tolerance=0)
    assert got[0] is geoms[0]  # already as stored: kept as it is


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (BOWTIE, "hazard H1: invalid polygon"),
        (None, "hazard H1: the geometry is empty"),
        (Point(102, 19), "hazard H1: expected a polygon, got a Point"),
        (Polygon(), "hazard H1: the geometry is empty"),
    ],
)
def test_the_first_that_cannot_be_stored_is_named(bad: object, message: str) -> None:
    with pytest.raises(InvalidGeometry, match=message):
        as_multipolygons([box(102, 19, 102.1, 19.1), bad, BOWTIE], lambda i: f"hazard H{i}")  # type: ignore[list-item]


def test_an_invalid_polygon_is_told_in_words_not_in_geoss_own() -> None:
    # a rectangle drawn with two taps at one height on a phone's map had been told "invalid
    # polygon (Too few points in geometry component[102.4099 18.5119])" (a review on a phone)
    flat = Polygon([(102.4, 18.5), (102.41, 18.5), (102.41, 18.5), (102.4, 18.5)])
    with pytest.raises(InvalidGeometry) as refused:
        as_multipolygon(flat, where="geometry")
    said = refused.value.detail
    assert "Too few points" not in said and "fewer than 3 distinct vertices" in said
    assert said.startswith("geometry: invalid polygon: ")
