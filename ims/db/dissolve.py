"""The dissolved national total: remaining area with overlapping hazards counted once."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.db.ledger import load_inputs
from ims.domain.enums import Contamination
from ims.domain.geodesy import geodesic_areas
from ims.domain.ledger import hazard_ledger
from ims.domain.polygons import object_array, polygonal

log = logging.getLogger(__name__)

# A union measured within this share of its bounds is taken as it is (splitting an edge
# where another crosses it moves its area by rounding only: ~1e-15 of it).
UNION_SLACK = 1e-9
SNAP_GRID_DEG = 1e-9

_TOTAL = """
SELECT COALESCE(SUM(remaining), 0) FROM (
    SELECT DISTINCT ON (e.hazard_id) e.status_after, e.remaining_after_m2 AS remaining
    FROM ledger_entry e JOIN hazard h ON h.id = e.hazard_id
    WHERE e.on <= :as_of AND h.contam = :contam
    ORDER BY e.hazard_id, e.entry_no DESC
) state WHERE status_after IS NOT NULL
"""

# Only hazards that share ground with another open one need geometry: for the rest, the
# ledger's remaining area is already their contribution to the union. The hazards that
# overlap another (hazard_overlap: a few thousand, each found by its keys) open on as_of
# (their last entry up to it: any area left counts in the total, a closed hazard's rest
# too, so it is unioned, however thin); which of them have an open neighbour then is worked out
# here from the pairs, and only for those is the remaining geometry read: the stored one
# where nothing of theirs is dated later, else rebuilt. Joined in SQL, the pairs were
# planned as a nested loop over the open hazards twice whenever the statistics did not
# know the overlaps' table (after a first national import, until autovacuum analysed it):
# 15 million index probes, 9.4 s, where this takes milliseconds.
_OPEN = """
SELECT c.hazard_id, s.remaining_after_m2, s.revision_id,
       s.entry_no = (SELECT max(l.entry_no) FROM ledger_entry l
                     WHERE l.hazard_id = c.hazard_id) AS latest
FROM (SELECT DISTINCT hazard_id FROM hazard_overlap) c
CROSS JOIN LATERAL (SELECT h.contam FROM hazard h WHERE h.id = c.hazard_id) h
CROSS JOIN LATERAL (
    SELECT e.entry_no, e.status_after, e.remaining_after_m2, e.revision_id
    FROM ledger_entry e WHERE e.hazard_id = c.hazard_id AND e.on <= :as_of
    ORDER BY e.entry_no DESC LIMIT 1
) s
WHERE h.contam = :contam AND s.status_after IS NOT NULL AND s.remaining_after_m2 > 0
  AND s.revision_id IS NOT NULL
"""
_PAIRS = "SELECT hazard_id, other_id FROM hazard_overlap"
_REMAINING = """
SELECT s.hazard_id,
       ST_AsBinary(coalesce(
           CASE WHEN s.latest THEN
               (SELECT m.geom FROM hazard_remaining m WHERE m.hazard_id = s.hazard_id)
           END,
           ST_Difference(
               (SELECT r.geom FROM hazard_revision r WHERE r.id = s.revision_id),
               coalesce((SELECT ST_Union(rel.geom) FROM release_in_force rel
                         WHERE rel.hazard_id = s.hazard_id AND rel.released <= :as_of),
                        'SRID=4326;POLYGON EMPTY'::geometry))))
FROM unnest(CAST(:ids AS integer[]), CAST(:revisions AS integer[]),
            CAST(:latest AS boolean[])) AS s(hazard_id, revision_id, latest)
"""


def dissolved_remaining_area(
    session: Session, as_of: dt.date, contam: Contamination, *, total: float | None = None
) -> float:
    """Remaining area at ``as_of`` with ground shared by several open hazards counted once.

    ``total`` is the plain sum of remaining areas when the caller has it already. Only
    hazards whose remaining ground then meets another's change it: they are unioned group
    by group (hazards linked by ground that meets; two at a time in one vectorised call),
    which is exact and far cheaper than one national union; every other hazard keeps its
    ledger area.
    """
    params = {"as_of": as_of, "contam": contam.value}
    session.execute(text("SET LOCAL jit = off"))  # compiling costs more than it saves here
    if total is None:
        total = float(session.scalar(text(_TOTAL), params) or 0.0)
    open_ = {row[0]: row for row in session.execute(text(_OPEN), params)}
    neighbours: dict[int, list[int]] = defaultdict(list)
    for a, b in session.execute(text(_PAIRS)):
        if a in open_ and b in open_:
            neighbours[a].append(b)
    if not neighbours:
        return total
    shared = [open_[h] for h in neighbours]
    rows = session.execute(
        text(_REMAINING),
        {
            "as_of": as_of,
            "ids": [h for h, *_ in shared],
            "revisions": [revision for _, _, revision, _ in shared],
            "latest": [latest for *_, latest in shared],
        },
    ).all()
    remaining = {h: float(m2) for h, m2, _, _ in shared}
    geoms = shapely.from_wkb([bytes(wkb) if wkb is not None else None for _, wkb in rows])
    geom_of = {row[0]: g for row, g in zip(rows, geoms, strict=True) if g is not None}
    pairs = [
        (a, b)
        for a, others in neighbours.items()
        for b in others
        if a < b and a in geom_of and b in geom_of
    ]
    # Ground is shared where the remaining geometries then meet: only those are unioned.
    meet = shapely.intersects(
        _array(geom_of, [a for a, _ in pairs]), _array(geom_of, [b for _, b in pairs])
    )
    met = [pair for pair, yes in zip(pairs, meet, strict=True) if yes]
    groups = _components(sorted({h for pair in met for h in pair}), met)
    union_m2 = float(union_areas([[geom_of[h] for h in members] for members in groups]).sum())
    return total - sum(remaining[h] for members in groups for h in members) + union_m2


def union_areas(groups: list[list[BaseGeometry]]) -> npt.NDArray[np.float64]:
    """The geodesic area of each group's union, overlays checked against what areas allow.

    A union covers at least its largest member and at most all of them. GEOS's floating
    overlay can break that where a member is a few slivers, what rounding leaves of a
    hazard a clearance covered (docs/design.md §2.6: a union 749 m² larger than its two
    members together). Such a group is unioned again with snap-rounding on a 1e-9° grid
    (about 0.1 mm), which GEOS makes robust; what still breaks the bounds is held to them.
    """
    if not groups:
        return np.zeros(0)
    twos = [i for i, members in enumerate(groups) if len(members) == 2]
    unions = np.empty(len(groups), dtype=object)
    unions[twos] = shapely.union(
        object_array([groups[i][0] for i in twos]), object_array([groups[i][1] for i in twos])
    )
    for i, members in enumerate(groups):
        if len(members) != 2:
            unions[i] = shapely.union_all(members)
    areas = geodesic_areas([polygonal(u) for u in unions])
    for i in map(int, np.flatnonzero(~_within_bounds(groups, areas))):
        # Snapping moves each member by up to the grid (0.006 m² for the pair above), so
        # the snapped union is held to the snapped members' areas.
        snapped = list(shapely.set_precision(object_array(groups[i]), SNAP_GRID_DEG))
        union = polygonal(shapely.union_all(snapped, grid_size=SNAP_GRID_DEG))
        areas[i] = geodesic_areas([union])[0]
        if not _within_bounds([snapped], areas[i : i + 1])[0]:
            parts = geodesic_areas(snapped)
            log.warning("a union of %d overlapping hazards held to its bounds", len(snapped))
            areas[i] = min(max(areas[i], parts.max()), parts.sum())
    return areas


def _within_bounds(
    groups: list[list[BaseGeometry]], areas: npt.NDArray[np.float64]
) -> npt.NDArray[np.bool_]:
    """Whether each union's area lies between its largest member's and the members' sum."""
    members = geodesic_areas([g for members in groups for g in members])
    parts = np.split(members, np.cumsum([len(m) for m in groups])[:-1])
    low = np.array([p.max(initial=0.0) for p in parts])
    high = np.array([p.sum() for p in parts])
    slack = UNION_SLACK * high + 1e-3
    return (low - slack <= areas) & (areas <= high + slack)


def _array(geom_of: dict[int, BaseGeometry], ids: list[int]) -> np.ndarray:
    """The geometries of ``ids``, as an array for shapely's vectorised operations."""
    array = np.empty(len(ids), dtype=object)
    array[:] = [geom_of[h] for h in ids]
    return array


def _components(nodes: list[int], edges: list[tuple[int, int]]) -> list[list[int]]:
    """Connected components of an undirected graph (union-find)."""
    parent = {n: n for n in nodes}

    def root(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a, b in edges:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[ra] = rb
    groups: dict[int, list[int]] = defaultdict(list)
    for n in nodes:
        groups[root(n)].append(n)
    return list(groups.values())


# Hazards that released ground over a period and overlap another that did too: only their
# released ground can have been counted for two hazards (docs/design.md §2.6).
_RELEASED_OVERLAPPING = """
SELECT DISTINCT e.hazard_id FROM ledger_entry e JOIN hazard h ON h.id = e.hazard_id
WHERE e.on > :start AND e.on <= :end AND e.kind IN ('cancelled', 'reduced', 'cleared')
  AND e.delta_m2 < 0 AND h.contam = :contam
  AND e.hazard_id IN (SELECT hazard_id FROM hazard_overlap)
"""


def released_twice_area(
    session: Session, start: dt.date, end: dt.date, contam: Contamination
) -> float:
    """How much Form 1(i)'s released area over (start, end] counts beyond the ground
    released: ground shared by overlapping hazards is released from each (§2.2 releases a
    square metre once per hazard) and counted for each. helper-90 cleared 19,997 m² lying
    on two overlapping hazards and Form 1(i) said 29,996 m², with nothing to show why.

    Each hazard's released ground over the period is the union of its releases' effective
    pieces (the ledger, replayed from its revisions and releases); hazards whose released
    ground meets are unioned group by group, as for the remaining area. The result is what
    the pieces add up to beyond their unions: 0 when no released ground is shared.
    """
    params = {"start": start, "end": end, "contam": contam.value}
    released = {row[0] for row in session.execute(text(_RELEASED_OVERLAPPING), params)}
    neighbours = {
        (a, b)
        for a, b in session.execute(text(_PAIRS))
        if a < b and a in released and b in released
    }
    paired = sorted({h for pair in neighbours for h in pair})
    if not paired:
        return 0.0
    ground: dict[int, BaseGeometry] = {}
    for inputs in load_inputs(session, paired):
        pieces = [
            e.effective
            for e in hazard_ledger(inputs.versions, inputs.releases)
            if e.kind.is_release and start < e.on <= end and not e.effective.is_empty
        ]
        if pieces:
            ground[inputs.hazard_id] = polygonal(shapely.union_all(pieces))
    pairs = [(a, b) for a, b in sorted(neighbours) if a in ground and b in ground]
    if not pairs:
        return 0.0
    meet = shapely.intersects(
        _array(ground, [a for a, _ in pairs]), _array(ground, [b for _, b in pairs])
    )
    met = [pair for pair, yes in zip(pairs, meet, strict=True) if yes]
    groups = _components(sorted({h for pair in met for h in pair}), met)
    if not groups:
        return 0.0
    members = geodesic_areas([ground[h] for group in groups for h in group])
    unions = union_areas([[ground[h] for h in group] for group in groups])
    return max(0.0, float(members.sum() - unions.sum()))
