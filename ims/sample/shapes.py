"""Geometry in bulk for the sample generator: shapes made, moved and measured as arrays.

Every function works on numpy arrays of shapely geometries at once (shapely 2), in chunks
that bound the temporary arrays, and in threads where GEOS lets go of the GIL.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Transformer

# The array types of the generator's modules.
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]
Geoms = npt.NDArray[np.object_]

_PARALLEL_MIN: Final = 20_000
_CHUNK: Final = 25_000  # geometries per chunk of bulk work: bounds the temporary arrays
_WGS84_A: Final = 6_378_137.0
_WGS84_E2: Final = 6.694379990141317e-3


def reproject(geoms: Geoms, transformer: Transformer) -> Geoms:
    """All coordinates of `geoms` through `transformer`: vectorised, chunk by chunk."""

    def fn(xy: F64) -> F64:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    out = np.empty(len(geoms), dtype=object)
    for lo in range(0, len(geoms), _CHUNK):
        out[lo : lo + _CHUNK] = shapely.transform(geoms[lo : lo + _CHUNK], fn)
    return out


def in_threads(fn: Callable[..., Geoms], *arrays: Any) -> Geoms:
    """Run a vectorised shapely function over chunks in threads (GEOS releases the GIL)."""
    size = len(arrays[0])
    workers = min(os.cpu_count() or 1, 4)
    if size < _PARALLEL_MIN or workers < 2:
        return fn(*arrays)
    edges = np.linspace(0, size, workers + 1).astype(np.int64)

    def run(span: tuple[int, int]) -> Geoms:
        return fn(*(a[span[0] : span[1]] for a in arrays))

    with ThreadPoolExecutor(workers) as pool:
        parts = list(pool.map(run, zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True)))
    return np.concatenate(parts)


def translated(geoms: Geoms, dx: F64, dy: F64) -> Geoms:
    """Each geometry moved by its own (dx, dy)."""
    counts = shapely.get_num_coordinates(geoms)
    offsets = np.repeat(np.column_stack([dx, dy]), counts, axis=0)
    return np.asarray(shapely.transform(geoms, lambda xy: xy + offsets), dtype=object)


def scaled(geoms: Geoms, factor: F64) -> Geoms:
    """Each geometry scaled about its centroid by its own factor (an affine map: stays valid)."""
    counts = shapely.get_num_coordinates(geoms)
    centre = np.repeat(shapely.get_coordinates(shapely.centroid(geoms)), counts, axis=0)
    scale = np.repeat(factor, counts)[:, None]
    return np.asarray(
        shapely.transform(geoms, lambda xy: centre + (xy - centre) * scale), dtype=object
    )


def ellipses(
    rng: np.random.Generator,
    cx: F64,
    cy: F64,
    a: F64,
    b: F64,
    rot: F64,
    *,
    vertices: I64 | tuple[int, int] = (24, 36),
    jitter: float = 0.03,
) -> Geoms:
    """Jittered ellipse polygons with `vertices` corners each (a count per ellipse or a range).

    Vertices keep strictly increasing angles about the centre with positive radii, so each
    ring is star-shaped and therefore simple: every polygon is valid by construction. Built
    in chunks to bound the temporary arrays.
    """
    m = cx.size
    k = rng.integers(vertices[0], vertices[1] + 1, m) if isinstance(vertices, tuple) else vertices
    phase = rng.uniform(0, 2 * np.pi, m)
    out = np.empty(m, dtype=object)
    for lo in range(0, m, _CHUNK):
        hi = min(lo + _CHUNK, m)
        kk = k[lo:hi]
        owner = np.repeat(np.arange(lo, hi), kk)
        pos = np.arange(owner.size) - np.repeat(np.cumsum(kk) - kk, kk)
        step = 2 * np.pi / k[owner]
        theta = phase[owner] + step * (pos + rng.uniform(-0.3, 0.3, owner.size))
        radius = 1.0 + np.clip(rng.normal(0.0, jitter, owner.size), -3 * jitter, 3 * jitter)
        ex = a[owner] * np.cos(theta) * radius
        ey = b[owner] * np.sin(theta) * radius
        cos, sin = np.cos(rot[owner]), np.sin(rot[owner])
        xy = np.column_stack([cx[owner] + ex * cos - ey * sin, cy[owner] + ex * sin + ey * cos])
        rings = shapely.linearrings(xy, indices=owner - lo)
        out[lo:hi] = shapely.polygons(rings)
    return out


def polygonal(geoms: Geoms) -> Geoms:
    """Keep only the polygonal part of overlay results (None where nothing polygonal is left)."""
    out = geoms.copy()
    kinds = shapely.get_type_id(geoms)
    odd = np.flatnonzero((kinds != 3) & (kinds != 6))
    for i in odd.tolist():
        parts = shapely.get_parts(geoms[i])
        polys = [p for p in parts if shapely.get_type_id(p) == 3 and not p.is_empty]
        out[i] = (
            None if not polys else polys[0] if len(polys) == 1 else shapely.multipolygons(polys)
        )
    return out


def ellipsoidal_area(geoms: Geoms) -> F64:
    """Area in m² on the WGS84 ellipsoid of small EPSG:4326 polygons (0 for empty ones).

    The planar lon/lat area times the ellipsoid's area element at the polygon's centroid
    latitude; the error is second order in the polygon's extent (~1e-8 for a kilometre).
    """
    deg2 = np.asarray(shapely.area(geoms), dtype=np.float64)
    lat = np.zeros(deg2.size)
    some = deg2 > 0
    lat[some] = np.radians(shapely.get_y(shapely.centroid(geoms[some])))
    sin2 = np.sin(lat) ** 2
    meridian = _WGS84_A * (1 - _WGS84_E2) / (1 - _WGS84_E2 * sin2) ** 1.5
    normal = _WGS84_A / np.sqrt(1 - _WGS84_E2 * sin2)
    return np.asarray(
        np.nan_to_num(deg2) * meridian * normal * np.cos(lat) * (np.pi / 180) ** 2,
        dtype=np.float64,
    )
