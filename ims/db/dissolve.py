"""The dissolved national total: remaining area with overlapping hazards counted once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.domain.enums import Contamination

# Only hazards that share ground with another need geometry work: for the rest the ledger's
# remaining area is already their contribution to the union.
_DISSOLVE = """
WITH state AS (
    SELECT DISTINCT ON (e.hazard_id)
           e.hazard_id, e.status_after, e.remaining_after_m2 AS remaining, e.revision_id
    FROM ledger_entry e JOIN hazard h ON h.id = e.hazard_id
    WHERE e.on <= :as_of AND h.contam = :contam
    ORDER BY e.hazard_id, e.entry_no DESC
),
live AS (SELECT * FROM state WHERE status_after IS NOT NULL),
overlapping AS (
    SELECT DISTINCT l.hazard_id, l.remaining, l.revision_id FROM live l
    JOIN hazard_overlap o ON o.hazard_id = l.hazard_id
    JOIN live other ON other.hazard_id = o.other_id
),
shapes AS (
    SELECT ov.remaining,
           ST_Difference(
               r.geom,
               COALESCE((SELECT ST_Union(rel.geom) FROM release rel
                         WHERE rel.hazard_id = ov.hazard_id AND rel.released <= :as_of),
                        'SRID=4326;POLYGON EMPTY'::geometry)
           ) AS geom
    FROM overlapping ov JOIN hazard_revision r ON r.id = ov.revision_id
)
SELECT (SELECT COALESCE(SUM(remaining), 0) FROM live),
       (SELECT COALESCE(SUM(remaining), 0) FROM shapes),
       (SELECT COALESCE(ST_Area(ST_Union(geom)::geography), 0) FROM shapes)
"""


def dissolved_remaining_area(session: Session, as_of: dt.date, contam: Contamination) -> float:
    """Remaining area at ``as_of`` with ground shared by several open hazards counted once."""
    total, overlapping, union = session.execute(
        text(_DISSOLVE), {"as_of": as_of, "contam": contam.value}
    ).one()
    return float(total) - float(overlapping) + float(union)
