"""``/api/v1/reference``: the munition types and organisations uploads are checked against."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from ims.api.auth import PrincipalDep
from ims.api.deps import SessionDep
from ims.db import reference
from ims.domain.enums import Contamination

router = APIRouter(prefix="/reference", tags=["reference lists"])


class MunitionPublic(BaseModel):
    """A munition type: code (as uploads give it), description, category, CMR or not."""

    code: str
    name: str
    category: Contamination
    is_cmr: bool


class MunitionIn(BaseModel):
    """A munition type to add (or an existing one whose description is corrected)."""

    code: str = Field(min_length=1, max_length=32, examples=["BLU-26"])
    name: str = Field(min_length=1, max_length=200, examples=["BLU-26 submunition"])
    category: Contamination = Contamination.CMR
    is_cmr: bool = True


class OrganisationPublic(BaseModel):
    """An organisation: the national authority or an operator."""

    name: str
    kind: Literal["authority", "operator"]


class OrganisationIn(BaseModel):
    """An organisation to add."""

    name: str = Field(min_length=1, max_length=200, examples=["Mines Advisory Group"])
    kind: Literal["authority", "operator"] = "operator"


@router.get("/munitions", response_model=list[MunitionPublic])
def list_munitions(session: SessionDep) -> list[MunitionPublic]:
    """Every munition type, cluster munition remnants first."""
    return [MunitionPublic(**vars(m)) for m in reference.list_munitions(session)]


@router.post("/munitions", response_model=MunitionPublic)
def add_munition(
    session: SessionDep, principal: PrincipalDep, munition: Annotated[MunitionIn, Body()]
) -> MunitionPublic:
    """Add a munition type, or correct an existing one's description (admins)."""
    by = principal.actor if principal else None
    added = reference.add_munition(
        session, munition.code, munition.name, munition.category, munition.is_cmr, by=by
    )
    session.commit()
    return MunitionPublic(**vars(added))


@router.get("/organisations", response_model=list[OrganisationPublic])
def list_organisations(session: SessionDep) -> list[OrganisationPublic]:
    """Every organisation, by name."""
    return [
        OrganisationPublic(name=o.name, kind=o.kind) for o in reference.list_organisations(session)
    ]


@router.post("/organisations", status_code=201, response_model=OrganisationPublic)
def add_organisation(
    session: SessionDep, principal: PrincipalDep, organisation: Annotated[OrganisationIn, Body()]
) -> OrganisationPublic:
    """Add an organisation (admins); 409 if the name is taken."""
    org = reference.add_organisation(
        session, organisation.name, organisation.kind, by=principal.actor if principal else None
    )
    session.commit()
    return OrganisationPublic(name=org.name, kind=org.kind)
