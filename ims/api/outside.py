"""``/api/v1/outside-releases``: land released outside recorded hazards (docs/design.md §2.7),
listed, made into retrospective hazards by a reviewer, or withdrawn as recorded in error."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from ims.api.auth import PrincipalDep
from ims.api.deps import SessionDep
from ims.db.withdrawals import outside_withdrawal_effect
from ims.domain.enums import HazardStatus
from ims.ingest import approval
from ims.queries.outside import OutsideRecord, outside_releases

router = APIRouter(prefix="/outside-releases", tags=["land released outside hazards"])


class OutsideWithdrawn(BaseModel):
    """When, by whom and why a record was withdrawn as recorded in error."""

    withdrawn_at: dt.datetime
    withdrawn_by: str | None
    reason: str


class OutsidePublic(BaseModel):
    """Land released where no hazard was recorded: counted apart in Form 1(i)."""

    reference: str
    released: dt.date
    method: str
    contam: str
    area_m2: float
    items: dict[str, int] = Field(
        description="found and destroyed there: in Form 1(i)'s items destroyed while it counts"
    )
    operator: str | None
    submission_id: int | None
    split_from: str | None = Field(description="the release it is the outside part of")
    made_into: str | None = Field(description="the retrospective hazard made of it, if any")
    made_into_withdrawn: bool = Field(
        False,
        description="that hazard was withdrawn as recorded in error: the record counts apart again",
    )
    withdrawn: OutsideWithdrawn | None = Field(
        None, description="set when it was withdrawn as recorded in error: it counts nowhere"
    )
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
    left_apart_m2: float = Field(
        0.0,
        description="the ground it shares with other records of land released outside "
        "hazards, left out of the hazard: they go on counting it apart",
    )


@router.get("", response_model=list[OutsidePublic])
def list_outside_releases(
    session: SessionDep,
    principal: PrincipalDep,
    year: Annotated[int | None, Query(ge=1900, le=2200, description="released then")] = None,
    everything: Annotated[
        bool, Query(alias="all", description="also those made into hazards or withdrawn")
    ] = False,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[OutsidePublic]:
    """The records of land released outside recorded hazards, by date."""
    found = outside_releases(session, year=year, everything=everything, limit=limit)
    return [_public(r) for r in found]


def _public(record: OutsideRecord) -> OutsidePublic:
    fields = vars(record).copy()
    at, by, reason = (fields.pop(k) for k in ("withdrawn_at", "withdrawn_by", "withdrawn_reason"))
    withdrawn = OutsideWithdrawn(withdrawn_at=at, withdrawn_by=by, reason=reason) if at else None
    return OutsidePublic(**fields, withdrawn=withdrawn)


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
    return HazardMade(
        reference=done.outside_reference,
        hazard_id=done.hazard_reference,
        left_apart_m2=round(done.left_apart_m2, 1),
    )


class OutsideWithdrawalPublic(BaseModel):
    """What withdrawing a record of land released outside hazards changes (or changed)."""

    reference: str
    released: dt.date
    method: str
    contam: str
    area_m2: float = Field(description="its polygon's area")
    counted_m2: float = Field(
        description="what Form 1(i) of its year counts of it, until then: its ground that no "
        "other record of such land released by that year's end"
    )
    later_m2: dict[str, float] = Field(
        description="by year: its ground that later records released again, which those "
        "years' Form 1(i) counts instead once it is withdrawn"
    )
    operator: str | None
    submission_id: int | None
    items: dict[str, int]
    years: list[int] = Field(
        description="the years whose figures change: its own, and those of later_m2"
    )
    finalised_years: list[int] = Field(description="finalised reports that list it")
    made_into: str | None = Field(
        None, description="the hazard made of it, withdrawn since as recorded in error"
    )


class OutsideWithdrawal(BaseModel):
    """Why the record is withdrawn: kept with it, shown where it is listed."""

    reason: str = Field(min_length=1, max_length=2000)


@router.get("/{reference:path}/withdrawal", response_model=OutsideWithdrawalPublic)
def get_outside_withdrawal_effect(
    session: SessionDep,
    principal: PrincipalDep,
    reference: Annotated[str, PathParam(max_length=100)],
) -> OutsideWithdrawalPublic:
    """What withdrawing the record would change; nothing is written (404 for an unknown
    record, 409 for one withdrawn already or made into a hazard)."""
    return OutsideWithdrawalPublic(**outside_withdrawal_effect(session, reference).as_dict())


@router.post(
    "/{reference:path}/withdrawal", status_code=201, response_model=OutsideWithdrawalPublic
)
def withdraw_outside_release(
    session: SessionDep,
    principal: PrincipalDep,
    reference: Annotated[str, PathParam(max_length=100)],
    body: OutsideWithdrawal,
) -> OutsideWithdrawalPublic:
    """Withdraw a record of land released outside hazards approved in error: it is kept,
    with the reason, and counts in no figure and on no map from then on."""
    done = approval.withdraw_outside_release(
        session, reference, reason=body.reason, by=principal.actor if principal else None
    )
    session.commit()
    return OutsideWithdrawalPublic(**done.as_dict())
