"""Land released outside recorded hazards, each square metre once (docs/design.md §2.7).

Records of such land are counted apart in Form 1(i), never in a hazard's ledger; as a
hazard's ledger takes its releases (§2.2), each record counts only the ground no record
before it (by date, then by recording) had released. The same clearance sent in two files
had counted twice (an attack on our own instance). Computed from the records that count
(``outside_release_counted``) when asked: they are few beside the releases, and a
withdrawal or a hazard made of one changes what the records after it count.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.domain.enums import Contamination
from ims.domain.geodesy import geodesic_area

_COUNTED_SQL = text(
    "SELECT o.id, o.reference, o.method, o.released, ST_AsBinary(o.geom), o.items"
    " FROM outside_release_counted o WHERE o.released <= :end AND o.contam = :contam"
    " ORDER BY o.released, o.seq"
)


@dataclass(frozen=True)
class OutsideGround:
    """A record of land released outside recorded hazards, with the ground it released:
    its polygon less what records released before it had (docs/design.md §2.7)."""

    reference: str
    method: str
    released: dt.date
    polygon: BaseGeometry
    ground: BaseGeometry  # the polygon itself where no record before it reaches it
    items: dict[str, int] | None


def outside_ground(
    session: Session, start: dt.date, end: dt.date, contam: Contamination
) -> list[OutsideGround]:
    """The records released in (start, end] that count (``outside_release_counted``), in
    order of date, then of recording, each with the ground it released: what no record
    before it had released, this year or any year before."""
    rows = session.execute(_COUNTED_SQL, {"end": end, "contam": contam.value}).all()
    geoms = shapely.from_wkb([bytes(row[4]) for row in rows])
    tree = shapely.STRtree(geoms)
    found = []
    for i, (_, reference, method, released, _, items) in enumerate(rows):
        if released <= start:
            continue  # only what it released before the period
        before = [j for j in tree.query(geoms[i], predicate="intersects") if j < i]
        ground = (
            shapely.difference(geoms[i], shapely.union_all(geoms[before])) if before else geoms[i]
        )
        found.append(OutsideGround(reference, method, released, geoms[i], ground, items))
    return found


_RECORDS_SQL = text(
    "SELECT contam, released, ST_AsBinary(geom) FROM outside_release WHERE id = ANY(:ids)"
)
_OVERLAPPING_SQL = text(
    "SELECT o.contam, o.released, ST_AsBinary(o.geom) FROM outside_release_counted o"
    " WHERE o.id <> ALL(:ids) AND EXISTS (SELECT 1 FROM outside_release r"
    "  WHERE r.id = ANY(:ids) AND r.contam = o.contam AND ST_Intersects(o.geom, r.geom))"
)


def apart_of(session: Session, ids: list[int]) -> dict[int, float]:
    """What the records ``ids`` add, by year, to Form 1(i)'s land released outside recorded
    hazards, nationally, beside the records that count: what a withdrawal takes away, or
    what a record counted again gives back (``outside_release_counted``).

    In their own years, the ground no other record had released by that year's end; in a
    later year, less what a later record released again of it, which would count it
    instead (``outside_ground``). Years with no change are left out.
    """
    changes: dict[int, float] = {}
    chosen = session.execute(_RECORDS_SQL, {"ids": ids}).all()
    others = session.execute(_OVERLAPPING_SQL, {"ids": ids}).all()
    for contam in {c for c, _, _ in chosen}:
        mine = [(day, shapely.from_wkb(bytes(wkb))) for c, day, wkb in chosen if c == contam]
        near = [(day, shapely.from_wkb(bytes(wkb))) for c, day, wkb in others if c == contam]
        first = min(day.year for day, _ in mine)
        years = sorted({day.year for day, _ in mine + near if day.year >= first})
        alone_before = 0.0
        for year in years:  # its ground no other record had released by the year's end
            ground = shapely.union_all([g for day, g in mine if day.year <= year])
            by = [g for day, g in near if day.year <= year]
            alone = geodesic_area(ground.difference(shapely.union_all(by)) if by else ground)
            changes[year] = changes.get(year, 0.0) + alone - alone_before
            alone_before = alone
    return {year: m2 for year, m2 in sorted(changes.items()) if abs(m2) >= 0.05}


# Ground two records share, from which it is told, not a boundary drawn a little off (as
# the upload's warnings measure it: ims.ingest.validate); from this share of a record, it is
# the same land recorded twice
SHARED_GROUND_M2 = 100.0
SAME_GROUND_SHARE = 0.5

_SHARING_SQL = text(
    "SELECT o.reference, o.released, ST_AsBinary(o.geom) FROM outside_release_counted o,"
    " outside_release r WHERE r.id = :id AND o.id <> r.id AND o.contam = r.contam"
    " AND ST_Intersects(o.geom, r.geom) ORDER BY o.released, o.seq"
)


@dataclass(frozen=True)
class Sharing:
    """What other counted records of land released outside hazards share of a record's
    polygon: its area, their ground together, and who they are (reference, date)."""

    shared_m2: float
    ground: BaseGeometry | None
    records: list[tuple[str, dt.date]]


def sharing(session: Session, record_id: int, polygon: BaseGeometry) -> Sharing:
    """The ground of a record's ``polygon`` that other counted records of land released
    outside hazards also released, by date; records only touching it are left out."""
    rows = session.execute(_SHARING_SQL, {"id": record_id}).all()
    geoms = [shapely.from_wkb(bytes(wkb)) for _, _, wkb in rows]
    # sharing ground, not only an edge or its float noise (1 m²)
    keep = [k for k, g in enumerate(geoms) if geodesic_area(shapely.intersection(polygon, g)) >= 1]
    if not keep:
        return Sharing(0.0, None, [])
    ground = shapely.union_all([geoms[k] for k in keep])
    shared = geodesic_area(shapely.intersection(polygon, ground))
    return Sharing(shared, ground, [(rows[k][0], rows[k][1]) for k in keep])
