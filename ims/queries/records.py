"""What the record and correction forms need to know of a hazard before anything is sent.

``release_preview`` answers what a release drawn on a form would count: the ledger's own
rules (docs/design.md §2.2) applied to the hazard's records with the new release added
last on its date, so the figure shown is the one approval will record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.db.ledger import load_inputs
from ims.domain.enums import ReleaseMethod
from ims.domain.geodesy import geodesic_area
from ims.domain.geometry import as_multipolygon
from ims.domain.ledger import ReleaseInput, hazard_ledger_state, remaining_area
from ims.errors import InvalidGeometry, InvalidRequest, NotFound

_PREVIEW_KEY = "preview"  # the key of the release being previewed, apart from stored ids


@dataclass(frozen=True)
class ReleasePreview:
    """What a release of ``polygon_m2`` on ``released`` would count for the hazard."""

    hazard_id: str
    released: dt.date
    polygon_m2: float  # the polygon drawn, all of it
    counted_m2: float  # the part inside the hazard's remaining ground: what is recorded
    outside_m2: float  # the part outside the hazard's boundary then (never counted)
    remaining_before_m2: float  # the hazard's remaining area on that date, before it
    remaining_after_m2: float


def hazard_id_of(session: Session, reference: str) -> int:
    """The database id of the hazard ``reference``, or NotFound."""
    found = session.scalar(text("SELECT id FROM hazard WHERE reference = :r"), {"r": reference})
    if found is None:
        raise NotFound(f"no hazard {reference!r}")
    return int(found)


def release_preview(
    session: Session,
    reference: str,
    polygon: BaseGeometry,
    *,
    released: dt.date,
    method: ReleaseMethod = ReleaseMethod.CLEARED,
) -> ReleasePreview:
    """The area a release of ``polygon`` on ``released`` would count for hazard
    ``reference``: the part of it inside the hazard's remaining ground on that date, after
    the releases recorded on or before it (NotFound for an unknown hazard)."""
    inputs = load_inputs(session, [hazard_id_of(session, reference)])[0]
    try:
        geometry = as_multipolygon(polygon, where="geometry")
    except InvalidGeometry as exc:
        raise InvalidRequest(exc.detail, field="geometry") from None
    after = max((r.seq for r in inputs.releases), default=0) + 1
    candidate = ReleaseInput(_PREVIEW_KEY, released, after, method, geometry)
    earlier = [r for r in inputs.releases if r.released <= released]
    ledger, _ = hazard_ledger_state(inputs.versions, [*earlier, candidate])
    entry = next(e for e in ledger if e.key == _PREVIEW_KEY)
    before = remaining_area(inputs.versions, earlier, released) if inputs.versions else 0.0
    return ReleasePreview(
        hazard_id=reference,
        released=released,
        polygon_m2=geodesic_area(geometry),
        counted_m2=entry.released_m2,
        outside_m2=entry.outside_m2,
        remaining_before_m2=before,
        remaining_after_m2=entry.remaining_after_m2,
    )
