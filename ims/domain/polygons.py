"""Polygonal parts and overlays of EPSG:4326 geometries, as the area accounting needs them.

Overlays (difference, intersection, union) keep only the polygonal part of their result:
points and lines have no area, and the accounting (docs/design.md §2) counts area only.
Every helper takes and gives MultiPolygons, with one shared empty value.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import GeometryCollection, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

# Shapely geometries are immutable, so one shared empty value is safe to hand out.
EMPTY: Final = MultiPolygon()


def _collect_polygons(geom: BaseGeometry, out: list[Polygon]) -> None:
    """Append the non-empty polygons of any geometry, descending into collections."""
    if geom.is_empty:
        return
    if isinstance(geom, Polygon):
        out.append(geom)
    elif isinstance(geom, MultiPolygon | GeometryCollection):
        for part in geom.geoms:
            _collect_polygons(part, out)
    # Points and lines have no area: overlay results may carry them and they are dropped.


def polygonal(geom: BaseGeometry | None) -> MultiPolygon:
    """The polygonal part of a geometry as a MultiPolygon (empty MultiPolygon if none)."""
    if geom is None or geom.is_empty:
        return EMPTY
    if isinstance(geom, MultiPolygon):
        return geom
    polys: list[Polygon] = []
    _collect_polygons(geom, polys)
    if not polys:
        return EMPTY
    return MultiPolygon(polys)


def clean(geom: BaseGeometry | None) -> MultiPolygon:
    """An input geometry as a valid MultiPolygon; repaired only when it is invalid."""
    mp = polygonal(geom)
    if mp.is_empty or mp.is_valid:
        return mp
    # "structure" unions overlapping parts and keeps holes as holes, which is what an
    # operator drawing the polygon meant; "linework" would drop overlaps (XOR).
    return polygonal(shapely.make_valid(mp, method="structure", keep_collapsed=False))


# A part of the remaining ground thinner than a centimetre and smaller than a square
# metre is the float noise of a difference (releases drawn along a hazard's edge with
# vertices a little apart), not ground: at the national demo 329 of 1,958 parts of the
# register's remaining ground were such slivers (0.2 mm wide at most), and two of them made
# the shapefile's polygons invalid as GDAL read them back ("hole lies outside shell"). The
# ledger keeps them (its areas are exact); the files, the OGC API and the register do not
# (docs/design.md §2.2). Measured in degrees with the most metres a degree can be, so a
# part is dropped only where it is thinner and smaller than that on the ground.
SLIVER_WIDTH_M: Final = 0.01
SLIVER_AREA_M2: Final = 1.0
METRES_PER_DEGREE_AT_MOST: Final = 111_700.0


def without_slivers(geom: BaseGeometry | None) -> BaseGeometry | None:
    """The polygons of ``geom`` without its slivers (``SLIVER_WIDTH_M``); ``geom`` itself
    when it has none, None when it is nothing but slivers."""
    if geom is None or geom.is_empty or not isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts = shapely.get_parts(geom)
    area = shapely.area(parts) * METRES_PER_DEGREE_AT_MOST**2
    perimeter = shapely.length(parts) * METRES_PER_DEGREE_AT_MOST
    width = np.divide(2 * area, perimeter, out=np.zeros_like(area), where=perimeter > 0)
    sliver = (area < SLIVER_AREA_M2) & (width < SLIVER_WIDTH_M)
    if not sliver.any():
        return geom
    kept = parts[~sliver]
    if len(kept) == 0:
        return None
    return MultiPolygon(list(kept)) if isinstance(geom, MultiPolygon) else kept[0]


def without_slivers_sql(geom: str) -> str:
    """``without_slivers`` of the SQL expression ``geom`` (a polygonal geometry), as SQL:
    of its parts when it has several (a single part is left as it is, its own hazard's
    remaining ground however small: dumping every geometry cost the OGC API's pages half
    as much time again)."""
    return (
        f"CASE WHEN ST_NumGeometries({geom}) > 1 THEN"
        f" (SELECT ST_Multi(ST_Collect(d.geom)) FROM ST_Dump({geom}) d"
        f" WHERE NOT (ST_Area(d.geom) * {METRES_PER_DEGREE_AT_MOST**2!r} < {SLIVER_AREA_M2!r}"
        f" AND 2 * ST_Area(d.geom) * {METRES_PER_DEGREE_AT_MOST!r}"
        f" < {SLIVER_WIDTH_M!r} * ST_Perimeter(d.geom)))"
        f" ELSE {geom} END"
    )


def difference(a: MultiPolygon, b: MultiPolygon) -> MultiPolygon:
    """Polygonal a − b."""
    if a.is_empty or b.is_empty:
        return a
    return polygonal(shapely.difference(a, b))


def intersection(a: MultiPolygon, b: MultiPolygon) -> MultiPolygon:
    """Polygonal a ∩ b."""
    if a.is_empty or b.is_empty:
        return EMPTY
    return polygonal(shapely.intersection(a, b))


def union(a: MultiPolygon, b: MultiPolygon) -> MultiPolygon:
    """Polygonal a ∪ b."""
    if a.is_empty:
        return b
    if b.is_empty:
        return a
    return polygonal(shapely.union(a, b))


def object_array(geoms: Sequence[BaseGeometry | None]) -> npt.NDArray[np.object_]:
    """A 1-d object array of geometries (filled by assignment so numpy never iterates them)."""
    out: npt.NDArray[np.object_] = np.empty(len(geoms), dtype=object)
    out[:] = geoms
    return out


def covers(a: MultiPolygon, b: MultiPolygon) -> bool:
    """Whether a covers b (a is prepared on first use; preparing is only a cache)."""
    if a.is_empty or b.is_empty:
        return b.is_empty
    shapely.prepare(a)
    return bool(shapely.covers(a, b))


def same_shape(a: MultiPolygon, b: MultiPolygon) -> bool:
    """Whether two geometries cover the same point set (vertex order and start ignored)."""
    if a.is_empty or b.is_empty:
        return a.is_empty and b.is_empty
    return bool(shapely.equals(a, b))


def in_threads(
    func: Callable[[npt.NDArray[np.object_], npt.NDArray[np.object_]], npt.NDArray[Any]],
    a: npt.NDArray[np.object_],
    b: npt.NDArray[np.object_],
    *,
    min_size: int = 2_000,
) -> npt.NDArray[Any]:
    """``func(a, b)`` of a shapely function over two aligned arrays, on every core.

    Shapely's functions release the GIL while GEOS works, so threads share the arrays
    without copying them to other processes. Overlays only, not predicates: a predicate
    uses a prepared geometry's index, which it builds on first use, unsafely from two
    threads.
    """
    workers = min(os.cpu_count() or 1, max(1, len(a) // min_size))
    if workers <= 1:
        return func(a, b)
    cuts = np.linspace(0, len(a), workers + 1).astype(int)
    with ThreadPoolExecutor(workers) as pool:
        parts = list(
            pool.map(
                lambda i: func(a[cuts[i] : cuts[i + 1]], b[cuts[i] : cuts[i + 1]]), range(workers)
            )
        )
    return np.concatenate(parts)
