"""The admin index: which administrative areas a hazard's ground lies in (docs/design.md §2.5).

A hazard is located by the admin polygons its area falls in, split exactly by geodesic
area; what lies outside every admin polygon is "unassigned".
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Final, Generic, TypeVar

import numpy as np
import numpy.typing as npt
import shapely
from shapely.errors import GEOSException
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

from ims.domain.geodesy import geodesic_area, geodesic_areas
from ims.domain.polygons import EMPTY, clean, object_array, polygonal

# Float noise below which the area a split leaves unassigned is taken as zero (relative
# to the geometry's area, plus the same figure in m²).
_REST_TOLERANCE: Final = 1e-9
# The grid (degrees, about a micrometre) of the snap-rounded overlays that split again a
# geometry whose pieces did not add up to it: GEOS's floating overlay of a boundary
# revision's added ground, with hairline spikes along a district border, had given the
# district beside it nothing, the other 1.4 m² too much and 2.6 m² to no admin area
# (helper-126); snap-rounded, the pieces agree at grids of 1e-12 to 1e-10.
_SNAP_GRID: Final = 1e-11
# The grids tried after it where GEOS's snap-rounding itself fails on a geometry (a "side
# location conflict" seen at 1e-12 on valid input, helper-127).
_OTHER_GRIDS: Final = (1e-10, 1e-12)
# A rest of a split within this (m², beside the relative tolerance) is the float noise of
# the areas themselves (each edge's term is some 1e7 m²), not a sign of pieces lost: split
# again on 1e-9 m², a tenth of the geometries at borders had been (helper-127).
_REDO_M2: Final = 1e-6

AdminId = TypeVar("AdminId", bound=Hashable)


class AdminIndex(Generic[AdminId]):
    """Splits geometries' geodesic area among non-overlapping administrative polygons (§2.5).

    Built once from `(admin_id, geometry)` pairs; uses an STRtree and prepared geometries.
    Area outside every admin polygon is reported under the key None ("unassigned").
    The admin geometries are prepared in place (a cache only; their value is unchanged).
    """

    __slots__ = ("_geoms", "_ids", "_tree")

    def __init__(self, admins: Iterable[tuple[AdminId, BaseGeometry]]) -> None:
        """Index the non-empty admin polygons; they are assumed not to overlap each other."""
        ids: list[AdminId] = []
        geoms: list[MultiPolygon] = []
        for admin_id, geometry in admins:
            cleaned = clean(geometry)
            if not cleaned.is_empty:
                ids.append(admin_id)
                geoms.append(cleaned)
        self._ids = ids
        self._geoms = object_array(geoms)
        shapely.prepare(self._geoms)
        self._tree = shapely.STRtree(self._geoms)

    def __getstate__(self) -> tuple[list[AdminId], npt.NDArray[np.object_]]:
        """What a pickle carries (the tree is rebuilt: it does not pickle)."""
        return self._ids, self._geoms

    def __setstate__(self, state: tuple[list[AdminId], npt.NDArray[np.object_]]) -> None:
        # A pickled geometry arrives unprepared: prepare the polygons again, or every
        # predicate in a worker process walks a detailed district's edges unindexed.
        self._ids, self._geoms = state
        shapely.prepare(self._geoms)
        self._tree = shapely.STRtree(self._geoms)

    def __len__(self) -> int:
        """Number of indexed admin polygons."""
        return len(self._ids)

    def split_area(self, geom: BaseGeometry | None) -> dict[AdminId | None, float]:
        """Geodesic area in m² of `geom` in each admin polygon it overlaps; None: unassigned.

        Admins touching `geom` without sharing area are left out; the None key is present
        only when some part of `geom` lies outside every admin polygon.
        """
        g = clean(geom)
        if g.is_empty:
            return {}
        hits = np.sort(self._tree.query(g, predicate="intersects"))
        if hits.size == 0:
            return {None: geodesic_area(g)}
        candidates = self._geoms[hits]
        # Fast path: wholly inside one admin, no overlay needed (prepared contains is cheap).
        inside = shapely.contains(candidates, g)
        if inside.any():
            return {self._ids[int(hits[int(np.argmax(inside))])]: geodesic_area(g)}

        return self._split(object_array([g]), np.array([geodesic_area(g)]))[0][0]

    def split_areas(
        self,
        geoms: Sequence[MultiPolygon],
        areas: npt.NDArray[np.float64] | None = None,
        within: Sequence[int] | None = None,
    ) -> list[dict[AdminId | None, float]]:
        """`split_area` for many clean MultiPolygons at once (vectorised overlays).

        `areas`, when given, are the geometries' own areas (saves computing them again).
        The unassigned part is the geometry's area minus its pieces: areas are additive
        under overlays (see `geodesic_area`), so no difference needs computing.
        `within[i]`, when given, is the position of another of `geoms` that geometry i
        lies inside (a piece of a hazard's boundary, say), or -1: a geometry inside one
        that lies wholly in a single admin polygon lies wholly in it too, with no test.
        """
        n = len(geoms)
        if n == 0:
            return []
        arr = object_array(geoms)
        if areas is None:
            areas = geodesic_areas(geoms)
        if within is None:
            return self._split(arr, areas)[0]
        inside_of = np.asarray(within, dtype=np.int64)
        nested = inside_of >= 0
        nested[nested] = inside_of[inside_of[nested]] < 0  # one level only: else a root
        inside_of[~nested] = -1
        roots = np.flatnonzero(~nested)
        result: list[dict[AdminId | None, float]] = [{} for _ in range(n)]
        split, whole = self._split(arr[roots], areas[roots])
        admin_of = np.full(n, -1, dtype=np.int64)
        admin_of[roots] = whole
        for k, g in enumerate(roots.tolist()):
            result[g] = split[k]
        deps = np.flatnonzero(nested)
        admin = admin_of[inside_of[deps]]
        for g, a in zip(deps[admin >= 0].tolist(), admin[admin >= 0].tolist(), strict=True):
            if areas[g] > 0.0:
                result[g] = {self._ids[a]: float(areas[g])}
        rest = deps[admin < 0]
        if rest.size:
            for k, value in zip(rest.tolist(), self._split(arr[rest], areas[rest])[0], strict=True):
                result[k] = value
        return result

    def _split(
        self, arr: npt.NDArray[np.object_], areas: npt.NDArray[np.float64]
    ) -> tuple[list[dict[AdminId | None, float]], npt.NDArray[np.int64]]:
        """The splits of `arr`, and for each the admin position it lies wholly in (or -1)."""
        n = len(arr)
        result: list[dict[AdminId | None, float]] = [{} for _ in range(n)]
        whole_in = np.full(n, -1, dtype=np.int64)
        if len(self._ids) == 0:
            for i in np.flatnonzero(areas > 0.0):
                result[i][None] = float(areas[i])
            return result, whole_in
        # The tree gives box overlaps; the predicates then run on the admin side, whose
        # polygons are prepared (the tree's own predicate would prepare the small side and
        # walk a detailed district's edges for every geometry: most of the time here).
        g_idx, a_idx = self._tree.query(arr)
        meet = shapely.intersects(self._geoms[a_idx], arr[g_idx])
        g_idx, a_idx = g_idx[meet], a_idx[meet]
        inside = shapely.contains(self._geoms[a_idx], arr[g_idx])
        for g, a in zip(g_idx[inside].tolist(), a_idx[inside].tolist(), strict=True):
            if whole_in[g] < 0:
                whole_in[g] = a
                result[g][self._ids[a]] = float(areas[g])
        whole = whole_in >= 0
        cut = ~whole[g_idx]
        g_cut, a_cut = g_idx[cut], a_idx[cut]
        if g_cut.size:
            pieces = shapely.intersection(arr[g_cut], self._geoms[a_cut])
            piece_m2 = geodesic_areas(list(pieces))
            for g, a, m2 in zip(g_cut.tolist(), a_cut.tolist(), piece_m2.tolist(), strict=True):
                if m2 > 0.0:
                    key = self._ids[a]
                    result[g][key] = result[g].get(key, 0.0) + m2
        candidates: dict[int, list[int]] = {}
        for g, a in zip(g_cut.tolist(), a_cut.tolist(), strict=True):
            candidates.setdefault(g, []).append(a)
        for g in np.flatnonzero(~whole & (areas > 0.0)).tolist():
            area = float(areas[g])
            rest = area - sum(result[g].values())
            snapped = None
            if abs(rest) > _REST_TOLERANCE * area + _REDO_M2:
                # ground outside every admin area (at the country's edge), or pieces that
                # do not add up: split again, snap-rounded
                snapped = self._snapped(arr[g], area, candidates.get(g, []))
            if snapped is not None:
                result[g] = snapped
            elif rest > _REST_TOLERANCE * area + _REST_TOLERANCE:
                result[g][None] = rest
        return result, whole_in

    def _snapped(
        self, geom: BaseGeometry, area: float, candidates: Sequence[int]
    ) -> dict[AdminId | None, float] | None:
        """``geom``'s split among the admin polygons at ``candidates`` by snap-rounded
        overlays, which add up where GEOS's floating ones may not; the pieces' and the
        rest's areas scaled to ``area`` (the rounding to the grid moves a few mm²). None
        where snap-rounding fails at every grid, or leaves nothing of the geometry (a
        sliver of a few mm²): the floating split stands."""
        for grid in (_SNAP_GRID, *_OTHER_GRIDS):
            try:
                pieces = [
                    polygonal(shapely.intersection(geom, self._geoms[a], grid_size=grid))
                    for a in candidates
                ]
                covered = polygonal(shapely.union_all(pieces, grid_size=grid)) if pieces else EMPTY
                rest = polygonal(shapely.difference(geom, covered, grid_size=grid))
            except GEOSException:
                continue
            break
        else:
            return None
        measured = geodesic_areas([*pieces, rest])
        total = float(measured.sum())
        if total <= 0.0:
            return None
        scale = area / total
        split: dict[AdminId | None, float] = {}
        for a, m2 in zip(candidates, measured[:-1].tolist(), strict=True):
            if m2 > 0.0:
                key = self._ids[a]
                split[key] = split.get(key, 0.0) + m2 * scale
        if float(measured[-1]) > _REST_TOLERANCE * area + _REST_TOLERANCE:
            split[None] = float(measured[-1]) * scale
        elif split:  # the rest is noise: the pieces hold the whole
            scale = area / sum(split.values())
            split = {key: m2 * scale for key, m2 in split.items()}
        return split

    @staticmethod
    def largest_of(split: dict[AdminId | None, float]) -> AdminId | None:
        """The admin with the largest share in a split (None if only unassigned)."""
        best: AdminId | None = None
        best_m2 = 0.0
        for admin_id, area in split.items():
            if admin_id is not None and area > best_m2:
                best, best_m2 = admin_id, area
        return best

    def largest_share(self, geom: BaseGeometry | None) -> AdminId | None:
        """The admin holding the largest area share of `geom`; None if none overlaps it.

        Ties go to the admin indexed first, so the answer is deterministic.
        """
        return self.largest_of(self.split_area(geom))
