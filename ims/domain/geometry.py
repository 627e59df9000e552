"""Geometry on its way in: reprojection to EPSG:4326 and checks, the one door for all files."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, cast

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from ims.domain.polygons import object_array
from ims.errors import InvalidGeometry


def as_multipolygon(geom: BaseGeometry | None, *, where: str = "geometry") -> MultiPolygon:
    """Return ``geom`` as a valid 2-D MultiPolygon, or raise InvalidGeometry saying why.

    Z/M coordinates are dropped; an invalid polygon is not repaired here (the caller decides
    whether repair is acceptable and reports it).
    """
    if geom is None or geom.is_empty:
        raise InvalidGeometry(f"{where}: the geometry is empty")
    if shapely.has_z(geom):
        geom = shapely.force_2d(geom)
    if isinstance(geom, Polygon):
        geom = MultiPolygon([geom])
    if not isinstance(geom, MultiPolygon):
        raise InvalidGeometry(f"{where}: expected a polygon, got a {geom.geom_type}")
    if not geom.is_valid:
        # in words: a zero-area drawing on a record form's map had shown GEOS's own text,
        # "Too few points in geometry component[102.4099 18.5119]" (a review on a phone)
        said = invalid_in_words(shapely.is_valid_reason(geom))
        raise InvalidGeometry(f"{where}: invalid polygon: {said}")
    return geom


def as_multipolygons(
    geoms: Sequence[BaseGeometry | None], where: Callable[[int], str]
) -> list[MultiPolygon]:
    """``as_multipolygon`` of each of ``geoms`` (``where(i)`` names the i-th in an error).

    Tested in vectorised calls: a national file's 142,695 polygons took 0.5 s one at a
    time; only those that are not already valid 2-D MultiPolygons go one by one.
    """
    arr = object_array(geoms)
    ready = (
        (shapely.get_type_id(arr) == _MULTIPOLYGON)
        & ~shapely.has_z(arr)
        & ~shapely.is_empty(arr)
        & shapely.is_valid(arr)
    )
    return [
        cast(MultiPolygon, geom) if ok else as_multipolygon(geom, where=where(i))
        for i, (geom, ok) in enumerate(zip(geoms, ready.tolist(), strict=True))
    ]


_MULTIPOLYGON = 6  # shapely.get_type_id


def repaired_multipolygon(geom: BaseGeometry, *, where: str = "geometry") -> MultiPolygon:
    """Repair ``geom`` with make_valid and keep its polygonal part as a MultiPolygon."""
    if shapely.has_z(geom):
        geom = shapely.force_2d(geom)
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon | MultiPolygon)]
    polys: list[Polygon] = []
    for part in parts:
        polys.extend(part.geoms if isinstance(part, MultiPolygon) else [part])
    return as_multipolygon(MultiPolygon(polys) if polys else None, where=where)


MOST_NESTED = 8  # lists and objects in one GeoJSON geometry (a multipolygon's nest five)


def nested_deeper(value: Any, most: int = MOST_NESTED) -> bool:
    """Whether a parsed GeoJSON geometry nests lists (or tuples, as pygeofilter gives them)
    and objects more than ``most`` deep
    (looked at level by level, no further than that). shapely and PostGIS read nesting
    recursively: coordinates nested 600 deep answered 500, and a filter's collections
    300 deep ("too many chained collections"), in attacks on our own instance."""
    level = [value]
    for _ in range(most):
        level = [
            item
            for v in level
            for item in (
                v.values() if isinstance(v, dict) else v if isinstance(v, (list, tuple)) else ()
            )
            if isinstance(item, (dict, list, tuple))
        ]
        if not level:
            return False
    return True


# What GEOS says of an invalid polygon, in words, with where (its text had reached the data
# manager as "Ring Self-intersection[103.90100000000001 18.901]": a review as a data manager).
_GEOS_REASONS = {
    "self-intersection": "its outline crosses itself",
    "ring self-intersection": "a ring of it touches or crosses itself",
    "hole lies outside shell": "a hole lies outside its outline",
    "nested holes": "a hole lies inside another hole",
    "interior is disconnected": "its holes cut it in two",
    "nested shells": "one of its parts lies inside another",
    "duplicate rings": "a ring is repeated",
    "too few points in geometry component": "a ring has fewer than 3 distinct vertices",
    "invalid coordinate": "a coordinate is not a number",
    "ring is not closed": "a ring does not end where it starts",
}
_GEOS_REASON = re.compile(r"^\s*(?P<what>[^\[]+?)\s*(?:\[(?P<x>\S+)\s+(?P<y>\S+)\])?\s*$")


def invalid_in_words(reason: str) -> str:
    """GEOS's reason for an invalid polygon (``shapely.is_valid_reason``) in words, with
    the place as longitude and latitude to 7 decimals; an unknown reason as it is."""
    found = _GEOS_REASON.match(reason)
    if found is None or found["what"].lower() not in _GEOS_REASONS:
        return reason
    said = _GEOS_REASONS[found["what"].lower()]
    try:
        x, y = float(found["x"]), float(found["y"])
    except (TypeError, ValueError):
        return said
    return f"{said} at lon {x:.7f}, lat {y:.7f}"
