"""Land released outside recorded hazards (docs/design.md §2.7), as pages, the API and the CLI
list it: each record, its area, the hazard it was made into, if any, and its withdrawal, if
it was withdrawn as recorded in error."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class OutsideRecord:
    """One record of land released outside every recorded hazard."""

    reference: str
    released: dt.date
    method: str
    contam: str
    area_m2: float
    # found and destroyed there (munition code → quantity): counted in Form 1(i) while the
    # record counts, as a release's
    items: dict[str, int]
    operator: str | None
    submission_id: int | None
    split_from: str | None  # the release it is the outside part of, when split
    made_into: str | None  # the retrospective hazard a reviewer made of it
    # that hazard was withdrawn as recorded in error: the record counts apart again
    made_into_withdrawn: bool
    withdrawn_at: dt.datetime | None  # withdrawn as recorded in error: when, by whom, why
    withdrawn_by: str | None
    withdrawn_reason: str | None
    lat: float  # a point inside it, for a link to the map
    lon: float


_LIST = text(
    "SELECT o.reference, o.released, o.method, o.contam, o.area_m2,"
    " COALESCE(o.items, '{}'::jsonb) AS items, org.name AS operator,"
    " o.submission_id, o.attributes ->> 'split_from' AS split_from, h.reference AS made_into,"
    " EXISTS (SELECT 1 FROM hazard_withdrawal hw WHERE hw.hazard_id = c.hazard_id)"
    "  AS made_into_withdrawn,"
    " w.withdrawn_at, w.withdrawn_by, w.reason AS withdrawn_reason,"
    " round(ST_Y(ST_PointOnSurface(o.geom))::numeric, 6)::float AS lat,"
    " round(ST_X(ST_PointOnSurface(o.geom))::numeric, 6)::float AS lon"
    " FROM outside_release o LEFT JOIN organisation org ON org.id = o.operator_id"
    " LEFT JOIN outside_release_conversion c ON c.outside_release_id = o.id"
    " LEFT JOIN hazard h ON h.id = c.hazard_id"
    " LEFT JOIN outside_release_withdrawal w ON w.outside_release_id = o.id"
    " WHERE (CAST(:year AS integer) IS NULL OR extract(year FROM o.released) = :year)"
    " AND (:all OR EXISTS (SELECT 1 FROM outside_release_counted n WHERE n.id = o.id))"
    " ORDER BY o.released, o.reference LIMIT :limit"
)


def outside_releases(
    session: Session, *, year: int | None = None, everything: bool = False, limit: int = 1000
) -> list[OutsideRecord]:
    """The records, by date; those withdrawn or made into a hazard in force only with
    ``everything``."""
    rows = session.execute(_LIST, {"year": year, "all": everything, "limit": limit}).all()
    return [OutsideRecord(**row._mapping) for row in rows]
