"""The dissolved national total: remaining area with overlapping hazards counted once."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import shapely
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
# remaining area is already their contribution to the union. Their remaining geometry at
# as_of is the stored one when nothing of theirs is dated later, else rebuilt here.
_OVERLAPPING = """
WITH candidates AS (
    SELECT DISTINCT o.hazard_id FROM hazard_overlap o JOIN hazard h ON h.id = o.hazard_id
    WHERE h.contam = :contam
),
live AS (
    SELECT s.* FROM candidates c, LATERAL (
        SELECT e.hazard_id, e.status_after, e.remaining_after_m2 AS remaining, e.revision_id
        FROM ledger_entry e WHERE e.hazard_id = c.hazard_id AND e.on <= :as_of
        ORDER BY e.entry_no DESC LIMIT 1
    ) s WHERE s.status_after IS NOT NULL AND s.remaining > 0
)
SELECT l.hazard_id, l.remaining,
       ST_AsBinary(CASE
           WHEN m.hazard_id IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM ledger_entry later
                WHERE later.hazard_id = l.hazard_id AND later.on > :as_of)
           THEN m.geom
           ELSE ST_Difference(
               r.geom,
               COALESCE((SELECT ST_Union(rel.geom) FROM release rel
                         WHERE rel.hazard_id = l.hazard_id AND rel.released <= :as_of),
                        'SRID=4326;POLYGON EMPTY'::geometry))
       END)
FROM live l JOIN hazard_revision r ON r.id = l.revision_id
LEFT JOIN hazard_remaining m ON m.hazard_id = l.hazard_id
"""


def dissolved_remaining_area(
    session: Session, as_of: dt.date, contam: Contamination, *, total: float | None = None
) -> float:
    """Remaining area at ``as_of`` with ground shared by several open hazards counted once.

    ``total`` is the plain sum of remaining areas when the caller has it already. The
    overlapping hazards are unioned group by group (hazards linked by shared ground), which
    is exact and far cheaper than one national union.
    """
    params = {"as_of": as_of, "contam": contam.value}
    if total is None:
        total = float(session.scalar(text(_TOTAL), params) or 0.0)
    rows = session.execute(text(_OVERLAPPING), params).all()
    if not rows:
        return total
    remaining_of = {hid: float(m2) for hid, m2, _ in rows}
    geoms = shapely.from_wkb([bytes(wkb) if wkb is not None else None for _, _, wkb in rows])
    geom_of = dict(zip(remaining_of, geoms, strict=True))
    edges = session.execute(
        text("SELECT hazard_id, other_id FROM hazard_overlap WHERE hazard_id = ANY(:ids)"),
        {"ids": list(remaining_of)},
    ).all()
    groups = _components(list(remaining_of), [(a, b) for a, b in edges if b in remaining_of])
    unions = [
        polygonal(shapely.union_all([geom_of[h] for h in members if geom_of[h] is not None]))
        for members in groups
    ]
    union_m2 = float(geodesic_areas(unions).sum()) if unions else 0.0
    return total - sum(remaining_of.values()) + union_m2


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
