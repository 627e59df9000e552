"""``/api/v1/outside-releases``: land released outside recorded hazards (docs/design.md §2.7),
listed, and made into retrospective hazards by a reviewer."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from ims.api.auth import PrincipalDep
from ims.api.deps import SessionDep
from ims.domain.enums import HazardStatus
from ims.ingest import approval
from ims.queries.outside import outside_releases

router = APIRouter(prefix="/outside-releases", tags=["land released outside hazards"])


class OutsidePublic(BaseModel):
    """Land released where no hazard was recorded: counted apart in Form 1(i)."""

    reference: str
    released: dt.date
    method: str
    contam: str
    area_m2: float
    operator: str | None
    submission_id: int | None
    split_from: str | None = Field(description="the release it is the outside part of")
    made_into: str | None = Field(description="the retrospective hazard made of it, if any")
    lat: float = Field(description="a point inside it (WGS84)")
    lon: float


class MakeHazard(BaseModel):
    """The retrospective hazard to record for land released outside hazards."""

    hazard_id: str = Field(min_length=1, max_length=100, description="its national reference")
    status: HazardStatus = Field(HazardStatus.SHA, description="SHA or CHA: what it was")


class HazardMade(BaseModel):
    """The hazard recorded and released on the release date."""

    reference: str
    hazard_id: str


@router.get("", response_model=list[OutsidePublic])
def list_outside_releases(
    session: SessionDep,
    principal: PrincipalDep,
    year: Annotated[int | None, Query(ge=1900, le=2200, description="released then")] = None,
    everything: Annotated[
        bool, Query(alias="all", description="also those made into hazards")
    ] = False,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[OutsidePublic]:
    """The records of land released outside recorded hazards, by date."""
    found = outside_releases(session, year=year, everything=everything, limit=limit)
    return [OutsidePublic(**vars(r)) for r in found]


@router.post("/{reference:path}/hazard", status_code=201, response_model=HazardMade)
def make_hazard_of_outside_release(
    session: SessionDep,
    principal: PrincipalDep,
    reference: Annotated[str, PathParam(max_length=100)],
    body: MakeHazard,
) -> HazardMade:
    """Record a retrospective hazard on the release date with the released polygon, and
    its release the same day: the history is complete (remaining figures unchanged)."""
    done = approval.convert_outside(
        session,
        reference,
        hazard_reference=body.hazard_id,
        status=body.status,
        by=principal.actor if principal else None,
    )
    session.commit()
    return HazardMade(reference=done.outside_reference, hazard_id=done.hazard_reference)
