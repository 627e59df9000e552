"""``/api/v1/hazards``: one hazard as in force on a date, as the hazard page shows it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ims.api.auth import PrincipalDep, generalised
from ims.api.deps import SessionDep
from ims.queries.hazards import hazard_view

router = APIRouter(prefix="/hazards", tags=["hazards"])


class TimelineEvent(BaseModel):
    """A revision or release of the hazard, in the ledger's order."""

    date: dt.date
    what: str = Field(description="recorded, revised, cancelled, reduced or cleared")
    detail: str
    change_m2: float = Field(description="the change to the remaining area it made")
    remaining_m2: float | None = Field(description="the remaining area after it")
    by: str = Field(description="the organisation")


class Quantity(BaseModel):
    """A number of items of one munition type."""

    type: str
    quantity: int


class HazardPublic(BaseModel):
    """A hazard as in force on ``as_of`` (today when not given): figures, timeline, items.

    The geometries (GeoJSON, EPSG:4326) are absent for readers who see generalised
    locations only (IMS_LOCATION_PRIVACY).
    """

    reference: str
    contam: str
    status: str | None
    as_of: dt.date | None
    closed: bool = Field(description="less than 1 m² remains (docs/design.md §2.5)")
    figures: dict[str, float] = Field(description="area_m2, remaining_m2, and m² per method")
    timeline: list[TimelineEvent]
    estimates: list[Quantity] = Field(description="estimated remnants in force")
    destroyed: list[Quantity] = Field(description="items found and destroyed by its releases")
    attributes: dict[str, Any] = Field(description="the operator's own columns, as sent")
    boundary: dict[str, Any] | None = Field(description="the boundary in force")
    remaining: dict[str, Any] | None = Field(description="the ground that remains")
    releases: list[dict[str, Any]] = Field(description="what each release released (Features)")


@router.get("/{reference:path}", response_model=HazardPublic)
def get_hazard(
    session: SessionDep,
    principal: PrincipalDep,
    reference: str,
    as_of: Annotated[dt.date | None, Query(description="the state in force then")] = None,
) -> HazardPublic:
    """One hazard by reference (it may hold slashes), as in force now or on ``as_of``."""
    view = hazard_view(session, reference, as_of)
    hidden = generalised(principal)
    return HazardPublic(
        reference=view.reference,
        contam=view.contam,
        status=view.status,
        as_of=view.as_of,
        closed=view.closed,
        figures=view.figures,
        timeline=[
            TimelineEvent(**{k: event[k] for k in TimelineEvent.model_fields})
            for event in view.timeline
        ],
        estimates=[Quantity(type=t, quantity=q) for t, q in view.estimates],
        destroyed=[Quantity(type=t, quantity=q) for t, q in view.destroyed],
        attributes=view.attributes,
        boundary=None if hidden else view.boundary,
        remaining=None if hidden else view.remaining,
        releases=[] if hidden else view.releases,
    )
