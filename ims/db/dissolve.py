"""The dissolved national total: remaining area with overlapping hazards counted once."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.domain.enums import Contamination
from ims.domain.geodesy import geodesic_areas
from ims.domain.polygons import polygonal

_TOTAL = """
SELECT COALESCE(SUM(remaining), 0) FROM (
    SELECT DISTINCT ON (e.hazard_id) e.status_after, e.remaining_after_m2 AS remaining
    FROM ledger_entry e JOIN hazard h ON h.id = e.hazard_id
    WHERE e.on <= :as_of AND h.contam = :contam
    ORDER BY e.hazard_id, e.entry_no DESC
) state WHERE status_after IS NOT NULL
"""

# Only hazards that share ground with another need geometry: for the rest, the ledger's
# remaining area is already their contribution to the union. The state of each hazard that
# overlaps another on as_of (its last entry up to it), and whether that is its last entry;
# a few thousand hazards, each found by its keys.
_OVERLAPPING = """
SELECT c.hazard_id, s.remaining_after_m2, s.revision_id,
       s.entry_no = (SELECT max(l.entry_no) FROM ledger_entry l WHERE l.hazard_id = c.hazard_id)
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

# The remaining geometry at as_of of hazards that share ground with another open one then:
# the stored one where nothing of theirs is dated later, else rebuilt here.
_GEOMETRY = """
SELECT l.hazard_id,
       ST_AsBinary(CASE
           WHEN l.latest AND m.hazard_id IS NOT NULL THEN m.geom
           ELSE ST_Difference(
               r.geom,
               COALESCE((SELECT ST_Union(rel.geom) FROM release rel
                         WHERE rel.hazard_id = l.hazard_id AND rel.released <= :as_of),
                        'SRID=4326;POLYGON EMPTY'::geometry))
       END)
FROM unnest(CAST(:ids AS integer[]), CAST(:revisions AS integer[]), CAST(:latest AS boolean[]))
    AS l(hazard_id, revision_id, latest)
JOIN hazard_revision r ON r.id = l.revision_id
LEFT JOIN hazard_remaining m ON m.hazard_id = l.hazard_id
"""


def dissolved_remaining_area(
    session: Session, as_of: dt.date, contam: Contamination, *, total: float | None = None
) -> float:
    """Remaining area at ``as_of`` with ground shared by several open hazards counted once.

    ``total`` is the plain sum of remaining areas when the caller has it already. Only
    hazards whose remaining ground then meets another's change it: they are unioned group
    by group (hazards linked by ground that meets), which is exact and far cheaper than one
    national union; every other hazard keeps its ledger area.
    """
    params = {"as_of": as_of, "contam": contam.value}
    session.execute(text("SET LOCAL jit = off"))  # compiling costs more than it saves here
    if total is None:
        total = float(session.scalar(text(_TOTAL), params) or 0.0)
    live = {
        hazard_id: (float(m2), revision_id, bool(latest))
        for hazard_id, m2, revision_id, latest in session.execute(text(_OVERLAPPING), params)
    }
    edges = [
        (a, b)
        for a, b in session.execute(text("SELECT hazard_id, other_id FROM hazard_overlap"))
        if a < b and a in live and b in live
    ]
    if not edges:
        return total
    shared = sorted({h for edge in edges for h in edge})
    rows = session.execute(
        text(_GEOMETRY),
        {
            "as_of": as_of,
            "ids": shared,
            "revisions": [live[h][1] for h in shared],
            "latest": [live[h][2] for h in shared],
        },
    ).all()
    geoms = shapely.from_wkb([bytes(wkb) if wkb is not None else None for _, wkb in rows])
    geom_of = {hazard_id: g for (hazard_id, _), g in zip(rows, geoms, strict=True)}
    pairs = [(a, b) for a, b in edges if geom_of.get(a) is not None and geom_of.get(b) is not None]
    meet = shapely.intersects(
        _array(geom_of, [a for a, _ in pairs]), _array(geom_of, [b for _, b in pairs])
    )
    met = [pair for pair, yes in zip(pairs, meet, strict=True) if yes]
    groups = _components(sorted({h for pair in met for h in pair}), met)
    twos = [members for members in groups if len(members) == 2]
    unions = list(
        shapely.union(_array(geom_of, [m[0] for m in twos]), _array(geom_of, [m[1] for m in twos]))
    )
    unions += [shapely.union_all([geom_of[h] for h in m]) for m in groups if len(m) > 2]
    union_m2 = float(geodesic_areas([polygonal(u) for u in unions]).sum()) if unions else 0.0
    return total - sum(live[h][0] for members in groups for h in members) + union_m2


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
