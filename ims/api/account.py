"""``/api/v1/me`` (who the caller is) and ``/api/v1/audit`` (the audit trail, for admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from ims.api.auth import PrincipalDep
from ims.api.deps import SessionDep
from ims.db import audit
from ims.errors import NotAuthenticated

router = APIRouter(tags=["accounts and audit"])


class Me(BaseModel):
    """The signed-in user."""

    username: str
    role: str
    organisation: str | None
    via: str


@router.get("/me", response_model=Me)
def who_am_i(principal: PrincipalDep) -> Me:
    """Who the token or session belongs to, with their role."""
    if principal is None:  # the rule requires a user; kept for the type checker
        raise NotAuthenticated("sign in first (or send an API token)")
    return Me(
        username=principal.username,
        role=principal.role.value,
        organisation=principal.organisation,
        via=principal.via,
    )


@router.get("/audit", response_model=list[audit.Event])
def list_audit_events(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[
        int | None, Query(ge=1, le=2**62, description="events older than this id")
    ] = None,
    action: Annotated[
        str | None, Query(max_length=64, description="e.g. submission.approved")
    ] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
) -> list[audit.Event]:
    """The audit trail, newest first (page with ``before`` = the last id you got)."""
    events = audit.recent_events(
        session, limit=limit, before_id=before, actions=[action] if action else (), actor=actor
    )
    return events
