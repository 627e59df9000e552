"""Area accounting on geometry (docs/design.md §2): geodesic areas, the ledger, admin splits.

Every figure here is computed from EPSG:4326 shapely geometries (x = longitude,
y = latitude) as square metres on the WGS84 ellipsoid; nothing reads an area typed by a user.

The ledger (`hazard_ledger`) is the chained-difference timeline of one hazard: each boundary
version and each approved release becomes one entry whose signed `delta_m2` is exact
bookkeeping of what became or stopped being remaining, so any as-of figure is a sum of
deltas. `remaining_geometry` / `remaining_area` state §2.2 directly (boundary in force
minus the union of releases dated on or before the date) and are the reference the ledger
is tested against.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final, Generic, TypeVar

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import GeometryCollection, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from ims.domain.enums import HazardStatus, ReleaseMethod

__all__ = [
    "AdminIndex",
    "BoundaryVersion",
    "EventKind",
    "LedgerEntry",
    "ReleaseInput",
    "added_in",
    "extend_ledger",
    "geodesic_area",
    "geodesic_areas",
    "hazard_ledger",
    "hazard_ledger_state",
    "polygonal",
    "released_in",
    "remaining_area",
    "remaining_from_ledger",
    "remaining_geometry",
    "status_at",
]

# Float noise below which the area a split leaves unassigned is taken as zero (relative
# to the geometry's area, plus the same figure in m²).
_REST_TOLERANCE: Final = 1e-9
# Shapely geometries are immutable, so one shared empty value is safe to hand out.
_EMPTY: Final = MultiPolygon()


# --------------------------------------------------------------------------- geometry helpers


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
        return _EMPTY
    if isinstance(geom, MultiPolygon):
        return geom
    polys: list[Polygon] = []
    _collect_polygons(geom, polys)
    if not polys:
        return _EMPTY
    return MultiPolygon(polys)


def _clean(geom: BaseGeometry | None) -> MultiPolygon:
    """An input geometry as a valid MultiPolygon; repaired only when it is invalid."""
    mp = polygonal(geom)
    if mp.is_empty or mp.is_valid:
        return mp
    # "structure" unions overlapping parts and keeps holes as holes, which is what an
    # operator drawing the polygon meant; "linework" would drop overlaps (XOR).
    return polygonal(shapely.make_valid(mp, method="structure", keep_collapsed=False))


def _difference(a: MultiPolygon, b: MultiPolygon) -> MultiPolygon:
    """Polygonal a − b."""
    if a.is_empty or b.is_empty:
        return a
    return polygonal(shapely.difference(a, b))


def _intersection(a: MultiPolygon, b: MultiPolygon) -> MultiPolygon:
    """Polygonal a ∩ b."""
    if a.is_empty or b.is_empty:
        return _EMPTY
    return polygonal(shapely.intersection(a, b))


def _union(a: MultiPolygon, b: MultiPolygon) -> MultiPolygon:
    """Polygonal a ∪ b."""
    if a.is_empty:
        return b
    if b.is_empty:
        return a
    return polygonal(shapely.union(a, b))


def _object_array(geoms: Sequence[BaseGeometry]) -> npt.NDArray[np.object_]:
    """A 1-d object array of geometries (filled by assignment so numpy never iterates them)."""
    out: npt.NDArray[np.object_] = np.empty(len(geoms), dtype=object)
    out[:] = geoms
    return out


def _covers(a: MultiPolygon, b: MultiPolygon) -> bool:
    """Whether a covers b (a is prepared on first use; preparing is only a cache)."""
    if a.is_empty or b.is_empty:
        return b.is_empty
    shapely.prepare(a)
    return bool(shapely.covers(a, b))


def _same_shape(a: MultiPolygon, b: MultiPolygon) -> bool:
    """Whether two geometries cover the same point set (vertex order and start ignored)."""
    if a.is_empty or b.is_empty:
        return a.is_empty and b.is_empty
    return bool(shapely.equals(a, b))


# --------------------------------------------------------------------------- geodesic area


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
    result = np.zeros(n, dtype=np.float64)
    cleaned = [polygonal(g) for g in geoms]
    keep = [i for i, g in enumerate(cleaned) if not g.is_empty]
    if not keep:
        return result
    parts, part_of = shapely.get_parts(_object_array([cleaned[i] for i in keep]),
                                       return_index=True)  # fmt: skip
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


# --------------------------------------------------------------------------- value objects


@dataclass(frozen=True, slots=True)
class BoundaryVersion:
    """A hazard's boundary and status in force from `effective` on (the first is its creation).

    `seq` orders versions that take effect on the same date (order of recording).
    """

    effective: date
    seq: int
    geometry: BaseGeometry
    status: HazardStatus


@dataclass(frozen=True, slots=True)
class ReleaseInput:
    """An approved land-release polygon; `seq` is the order of recording (breaks date ties)."""

    key: object
    released: date
    seq: int
    method: ReleaseMethod
    geometry: BaseGeometry


class EventKind(StrEnum):
    """What a ledger entry records: a boundary change, a status-only change or a release."""

    ADDED = "added"  # creation or boundary revision (signed area change)
    CANCELLED = "cancelled"
    REDUCED = "reduced"
    CLEARED = "cleared"
    STATUS = "status"  # status-only change, area delta 0

    @classmethod
    def of_method(cls, method: ReleaseMethod) -> EventKind:
        """The event kind recording a release made by `method`."""
        return cls(method.value)

    @property
    def method(self) -> ReleaseMethod | None:
        """The release method of a release kind; None for ADDED and STATUS."""
        if self in (EventKind.ADDED, EventKind.STATUS):
            return None
        return ReleaseMethod(self.value)

    @property
    def is_release(self) -> bool:
        """Whether this kind records a release (cancelled, reduced or cleared)."""
        return self.method is not None


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One event of a hazard's timeline and its effect on the remaining geometry.

    `plus` became remaining at this event and `minus` stopped being remaining (for a
    release: its effective geometry); `delta_m2` = area(plus) − area(minus).
    `remaining_after_m2` is the area of the actual remaining geometry after the event.
    `outside` is, for a release, the part of its polygon outside the boundary in force at
    its date: a finding, never counted. `status_after` is None while the hazard does not
    exist yet (a release dated before the hazard was recorded).
    """

    kind: EventKind
    on: date
    seq: int
    key: object | None
    plus: MultiPolygon
    minus: MultiPolygon
    delta_m2: float
    remaining_after_m2: float
    status_after: HazardStatus | None
    outside: MultiPolygon
    outside_m2: float

    @property
    def released_m2(self) -> float:
        """Effective released area of a release entry (m²); 0 for other kinds."""
        if not self.kind.is_release:
            return 0.0
        return max(0.0, -self.delta_m2)

    @property
    def effective(self) -> MultiPolygon:
        """The effective released geometry of a release entry; empty for other kinds."""
        return self.minus if self.kind.is_release else _EMPTY


# --------------------------------------------------------------------------- ordering


def _check_unique_versions(versions: Sequence[BoundaryVersion]) -> None:
    """Refuse two versions with the same (effective, seq): their order would be arbitrary."""
    seen: set[tuple[date, int]] = set()
    for v in versions:
        k = (v.effective, v.seq)
        if k in seen:
            raise ValueError(f"two boundary versions effective {v.effective} with seq {v.seq}")
        seen.add(k)


def _check_unique_releases(releases: Sequence[ReleaseInput]) -> None:
    """Refuse two releases with the same (released, seq): ties are broken by seq only."""
    seen: set[tuple[date, int]] = set()
    for r in releases:
        k = (r.released, r.seq)
        if k in seen:
            raise ValueError(f"two releases dated {r.released} with seq {r.seq}")
        seen.add(k)


def _version_in_force(versions: Sequence[BoundaryVersion], as_of: date) -> BoundaryVersion | None:
    """The latest version (by effective date, then seq) with effective ≤ as_of."""
    candidates = [v for v in versions if v.effective <= as_of]
    if not candidates:
        return None
    return max(candidates, key=lambda v: (v.effective, v.seq))


# --------------------------------------------------------------------------- the ledger


def hazard_ledger(
    versions: Sequence[BoundaryVersion], releases: Sequence[ReleaseInput]
) -> list[LedgerEntry]:
    """The chained-difference timeline of one hazard (see `hazard_ledger_state`)."""
    return hazard_ledger_state(versions, releases)[0]


def hazard_ledger_state(
    versions: Sequence[BoundaryVersion], releases: Sequence[ReleaseInput]
) -> tuple[list[LedgerEntry], MultiPolygon]:
    """The chained-difference timeline of one hazard and its remaining geometry after it.

    docs/design.md §2.2–§2.4.

    Events are ordered by (date, phase, seq): on one date boundary versions (phase 0) come
    before releases (phase 1), and ties within a phase are broken by seq alone (duplicate
    (date, seq) pairs raise ValueError). With U the union of the release polygons processed
    so far and B the boundary in force, the remaining geometry is always R = B − U:

    - a boundary version sets R to B_new − U; the entry is ADDED with plus = R_new − R_old
      and minus = R_old − R_new, or STATUS (no area change) when the boundary is unchanged;
    - a release's effective geometry is R ∩ polygon, its `outside` is polygon − B; then
      R becomes R − polygon and U grows by the polygon.

    A release dated before the first version (before the hazard was recorded) still joins
    U at its date, so land released before recording never becomes remaining; its entry
    has an empty effective geometry, the whole polygon as `outside` and status None.
    """
    _check_unique_versions(versions)
    _check_unique_releases(releases)

    events: list[tuple[date, int, int, BoundaryVersion | ReleaseInput]] = [
        (v.effective, 0, v.seq, v) for v in versions
    ]
    events.extend((r.released, 1, r.seq, r) for r in releases)
    events.sort(key=lambda e: (e[0], e[1], e[2]))

    # The chain is walked first; all areas are then computed in one vectorised pass.
    steps: list[_Step] = []
    boundary: MultiPolygon | None = None  # None: the hazard is not recorded yet
    status: HazardStatus | None = None
    released_union: MultiPolygon = _EMPTY
    pending: list[MultiPolygon] = []  # release polygons not yet merged into released_union
    remaining: MultiPolygon = _EMPTY

    for on, _phase, seq, item in events:
        if isinstance(item, BoundaryVersion):
            new_boundary = _clean(item.geometry)
            status = item.status
            if boundary is not None and _same_shape(boundary, new_boundary):
                # Same ground: R = B − U is unchanged, so keep R as is (recomputing it
                # from a re-drawn but equal boundary would only add float noise).
                boundary = new_boundary
                steps.append((EventKind.STATUS, on, seq, None, _EMPTY, _EMPTY, remaining,
                              status, _EMPTY))  # fmt: skip
                continue
            boundary = new_boundary
            if pending:
                released_union = _union(released_union, polygonal(shapely.union_all(pending)))
                pending = []
            new_remaining = _difference(boundary, released_union)
            plus = _difference(new_remaining, remaining)
            minus = _difference(remaining, new_remaining)
            remaining = new_remaining
            steps.append((EventKind.ADDED, on, seq, None, plus, minus, remaining, status,
                          _EMPTY))  # fmt: skip
        else:
            polygon = _clean(item.geometry)
            remaining, step = _release_step(item, polygon, boundary, remaining, status)
            # U is only needed when a later boundary version comes; union it then.
            pending.append(polygon)
            steps.append(step)
    return _entries(steps), remaining


_Step = tuple[EventKind, date, int, object | None, MultiPolygon, MultiPolygon, MultiPolygon,
              HazardStatus | None, MultiPolygon]  # fmt: skip


def _release_step(
    item: ReleaseInput,
    polygon: MultiPolygon,
    boundary: MultiPolygon | None,
    remaining: MultiPolygon,
    status: HazardStatus | None,
) -> tuple[MultiPolygon, _Step]:
    """One release applied to the remaining geometry: (new remaining, its step)."""
    if boundary is None:
        effective = _EMPTY
        outside = polygon
    else:
        effective = _intersection(remaining, polygon)
        # Most releases lie within their hazard: a prepared covers test is far cheaper
        # than the overlay it spares.
        outside = _EMPTY if _covers(boundary, polygon) else _difference(polygon, boundary)
        if not effective.is_empty:
            remaining = _difference(remaining, polygon)
    step = (EventKind.of_method(item.method), item.released, item.seq, item.key, _EMPTY,
            effective, remaining, status, outside)  # fmt: skip
    return remaining, step


def extend_ledger(
    boundary: BaseGeometry,
    status: HazardStatus,
    remaining: BaseGeometry,
    releases: Sequence[ReleaseInput],
) -> tuple[list[LedgerEntry], MultiPolygon]:
    """Append releases to a hazard's ledger from its current state, without replaying it.

    Valid only when every release comes after the ledger's last event in its order (dated
    later, or the same day and recorded later) and no boundary version follows them; then
    the result equals `hazard_ledger` over the whole history (a property test checks it).
    Returns the new entries and the remaining geometry after them.
    """
    _check_unique_releases(releases)
    current = _clean(remaining)
    bound = _clean(boundary)
    steps: list[_Step] = []
    for item in sorted(releases, key=lambda r: (r.released, r.seq)):
        current, step = _release_step(item, _clean(item.geometry), bound, current, status)
        steps.append(step)
    return _entries(steps), current


def _entries(steps: Sequence[_Step]) -> list[LedgerEntry]:
    """Ledger entries from the chain's steps, with every area computed in one pass."""
    n = len(steps)
    areas = geodesic_areas([g for step in steps for g in (step[4], step[5], step[6], step[8])])
    areas = areas.reshape(n, 4) if n else areas.reshape(0, 4)
    return [
        LedgerEntry(
            kind=kind,
            on=on,
            seq=seq,
            key=key,
            plus=plus,
            minus=minus,
            delta_m2=float(areas[i, 0] - areas[i, 1]),
            remaining_after_m2=float(areas[i, 2]),
            status_after=status_after,
            outside=outside,
            outside_m2=float(areas[i, 3]),
        )
        for i, (kind, on, seq, key, plus, minus, _rem, status_after, outside) in enumerate(steps)
    ]


# --------------------------------------------------------------------------- direct definitions


def remaining_geometry(
    versions: Sequence[BoundaryVersion], releases: Sequence[ReleaseInput], as_of: date
) -> MultiPolygon:
    """Remaining geometry at `as_of` by definition (§2.2): boundary in force minus releases.

    The boundary is the latest version with effective ≤ as_of; the releases are all those
    dated on or before as_of. Empty if the hazard is not recorded yet at as_of.
    """
    _check_unique_versions(versions)
    version = _version_in_force(versions, as_of)
    if version is None:
        return _EMPTY
    boundary = _clean(version.geometry)
    polygons = [_clean(r.geometry) for r in releases if r.released <= as_of]
    polygons = [p for p in polygons if not p.is_empty]
    if boundary.is_empty or not polygons:
        return boundary
    return _difference(boundary, polygonal(shapely.union_all(polygons)))


def remaining_area(
    versions: Sequence[BoundaryVersion], releases: Sequence[ReleaseInput], as_of: date
) -> float:
    """Geodesic area in m² of `remaining_geometry` at `as_of`."""
    return geodesic_area(remaining_geometry(versions, releases, as_of))


def status_at(versions: Sequence[BoundaryVersion], as_of: date) -> HazardStatus | None:
    """Status in force at `as_of`; None if the hazard is not recorded yet."""
    _check_unique_versions(versions)
    version = _version_in_force(versions, as_of)
    return None if version is None else version.status


# --------------------------------------------------------------------------- ledger queries


def remaining_from_ledger(ledger: Sequence[LedgerEntry], as_of: date) -> float:
    """Remaining area in m² at `as_of`: the sum of delta_m2 of entries on or before it."""
    return math.fsum(e.delta_m2 for e in ledger if e.on <= as_of)


def released_in(
    ledger: Sequence[LedgerEntry],
    start: date,
    end: date,
    method: ReleaseMethod | None = None,
) -> float:
    """Effective area in m² released over (start, end], by one method or (None) by all."""
    kind = None if method is None else EventKind.of_method(method)
    return math.fsum(
        e.released_m2 for e in ledger if start < e.on <= end and (kind is None or e.kind == kind)
    )


def added_in(ledger: Sequence[LedgerEntry], start: date, end: date) -> float:
    """Signed area in m² added over (start, end] by creation and boundary revisions (§2.3)."""
    return math.fsum(
        e.delta_m2 for e in ledger if start < e.on <= end and e.kind is EventKind.ADDED
    )


# --------------------------------------------------------------------------- admin areas

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
            cleaned = _clean(geometry)
            if not cleaned.is_empty:
                ids.append(admin_id)
                geoms.append(cleaned)
        self._ids = ids
        self._geoms = _object_array(geoms)
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
        g = _clean(geom)
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

        result: dict[AdminId | None, float] = {}
        parts: list[MultiPolygon] = []
        for idx, admin in zip(hits, candidates, strict=True):
            part = _intersection(g, admin)
            area = geodesic_area(part)
            if area > 0.0:
                admin_id = self._ids[int(idx)]
                result[admin_id] = result.get(admin_id, 0.0) + area
                parts.append(part)
        # The remainder is g minus the pieces found (small, local), not minus whole admin
        # polygons, which can be large and detailed.
        covered = polygonal(shapely.union_all(parts)) if parts else _EMPTY
        rest_m2 = geodesic_area(_difference(g, covered))
        if rest_m2 > 0.0:
            result[None] = rest_m2
        return result

    def split_areas(
        self,
        geoms: Sequence[MultiPolygon],
        areas: npt.NDArray[np.float64] | None = None,
    ) -> list[dict[AdminId | None, float]]:
        """`split_area` for many clean MultiPolygons at once (vectorised overlays).

        `areas`, when given, are the geometries' own areas (saves computing them again).
        The unassigned part is the geometry's area minus its pieces: areas are additive
        under overlays (see `geodesic_area`), so no difference needs computing.
        """
        n = len(geoms)
        result: list[dict[AdminId | None, float]] = [{} for _ in range(n)]
        if n == 0:
            return result
        arr = _object_array(geoms)
        if areas is None:
            areas = geodesic_areas(geoms)
        if len(self._ids) == 0:
            for i in np.flatnonzero(areas > 0.0):
                result[i][None] = float(areas[i])
            return result
        g_idx, a_idx = self._tree.query(arr, predicate="intersects")
        inside = shapely.contains(self._geoms[a_idx], arr[g_idx])
        whole = np.zeros(n, dtype=bool)
        for g, a in zip(g_idx[inside].tolist(), a_idx[inside].tolist(), strict=True):
            if not whole[g]:
                whole[g] = True
                result[g][self._ids[a]] = float(areas[g])
        cut = ~whole[g_idx]
        g_cut, a_cut = g_idx[cut], a_idx[cut]
        if g_cut.size:
            pieces = shapely.intersection(arr[g_cut], self._geoms[a_cut])
            piece_m2 = geodesic_areas(list(pieces))
            for g, a, m2 in zip(g_cut.tolist(), a_cut.tolist(), piece_m2.tolist(), strict=True):
                if m2 > 0.0:
                    key = self._ids[a]
                    result[g][key] = result[g].get(key, 0.0) + m2
        for g in np.flatnonzero(~whole & (areas > 0.0)).tolist():
            rest = float(areas[g]) - sum(result[g].values())
            if rest > _REST_TOLERANCE * float(areas[g]) + _REST_TOLERANCE:
                result[g][None] = rest
        return result

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
        best: AdminId | None = None
        best_m2 = 0.0
        for admin_id, area in self.split_area(geom).items():
            if admin_id is not None and area > best_m2:
                best, best_m2 = admin_id, area
        return best
