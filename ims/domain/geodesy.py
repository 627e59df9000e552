"""Areas in m² on the WGS84 ellipsoid of EPSG:4326 polygons (docs/design.md §2.1).

Every figure of the accounting is computed here from shapely geometries (x = longitude,
y = latitude); nothing reads an area typed by a user.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from ims.domain.polygons import object_array, polygonal


def geodesic_area(geom: BaseGeometry | None) -> float:
    """Area in m² on the WGS84 ellipsoid of the polygonal part of an EPSG:4326 geometry.

    Edges are read as straight lines in longitude/latitude, as shapely and the overlays see
    them, so the area of a polygon equals the sum of the areas of any pieces an overlay cuts
    it into (read as geodesics, a 700 m edge split in two would move ~1 m², and
    conservation, §2.3, would not hold).
    """
    mp = polygonal(geom)
    if mp.is_empty:
        return 0.0
    return float(geodesic_areas([mp])[0])


# WGS84 and the Gauss-Legendre rule that integrates along each edge.
_A: Final = 6378137.0
_F: Final = 1 / 298.257223563
_E2: Final = _F * (2 - _F)
_E: Final = math.sqrt(_E2)
_GL_T, _GL_W = np.polynomial.legendre.leggauss(4)
_GL_T = (_GL_T + 1.0) / 2.0  # nodes on [0, 1]
_GL_W = _GL_W / 2.0


def _zone_area(phi: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Ellipsoid area between the equator and latitude phi, per radian of longitude."""
    s = np.sin(phi)
    return (_A * _A * (1 - _E2) / 2) * (
        s / (1 - _E2 * s * s) + np.log((1 + _E * s) / (1 - _E * s)) / (2 * _E)
    )


_POLYGON, _MULTIPOLYGON, _COLLECTION = 3, 6, 7  # shapely.get_type_id
AREA_BLOCK: Final = 10_000  # geometries measured in one vectorised pass


def geodesic_areas(geoms: Sequence[BaseGeometry | None]) -> npt.NDArray[np.float64]:
    """Areas in m² on the WGS84 ellipsoid of many geometries, in one vectorised pass.

    Exact for polygons whose edges are straight in longitude/latitude: by Green's theorem a
    ring's area is the sum over its edges of the integral of the zone area (equator to
    latitude) along longitude; with latitude linear along each edge, a 4-point
    Gauss-Legendre rule integrates it to machine precision for any edge ims will meet.
    Each ring's area is taken unsigned and holes are subtracted, so ring orientation does
    not matter.
    """
    n = len(geoms)
    if n > AREA_BLOCK:
        # A block at a time: the integration's temporaries take some 200 bytes a vertex,
        # over a gigabyte for a national file measured at once.
        return np.concatenate(
            [geodesic_areas(geoms[i : i + AREA_BLOCK]) for i in range(0, n, AREA_BLOCK)]
        )
    result = np.zeros(n, dtype=np.float64)
    arr = object_array(geoms)
    kind = shapely.get_type_id(arr)  # -1 for None
    mixed = np.flatnonzero(kind == _COLLECTION)
    if mixed.size:  # only collections need their polygons picked out, one by one
        arr[mixed] = object_array([polygonal(g) for g in arr[mixed]])
    # Polygons and multipolygons as they are (points and lines have no area); types are
    # told in one vectorised call, as a national ledger measures millions of geometries.
    keep = np.flatnonzero((kind == _POLYGON) | (kind == _MULTIPOLYGON) | (kind == _COLLECTION))
    if not keep.size:
        return result
    parts, part_of = shapely.get_parts(arr[keep], return_index=True)
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    exterior = np.ones(len(rings), dtype=bool)
    exterior[1:] = ring_of[1:] != ring_of[:-1]
    xy, coord_of = shapely.get_coordinates(rings, return_index=True)
    lam = np.radians(xy[:, 0])
    phi = np.radians(xy[:, 1])
    same = coord_of[1:] == coord_of[:-1]  # consecutive vertices of one ring form an edge
    dlam = (lam[1:] - lam[:-1])[same]
    phi0 = phi[:-1][same]
    dphi = (phi[1:] - phi[:-1])[same]
    nodes = phi0[:, None] + dphi[:, None] * _GL_T[None, :]
    edge = dlam * (_zone_area(nodes) @ _GL_W)
    ring_area = np.abs(np.bincount(coord_of[:-1][same], weights=edge, minlength=len(rings)))
    signed = np.where(exterior, ring_area, -ring_area)
    part_area = np.bincount(ring_of, weights=signed, minlength=len(parts))
    geom_area = np.bincount(part_of, weights=part_area, minlength=len(keep))
    result[keep] = np.maximum(geom_area, 0.0)
    return result
