"""``/api/v1/health``: is the service up and its database reachable?"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from ims import __version__
from ims.api.auth import PrincipalDep
from ims.api.deps import EngineDep
from ims.db.session import check_database

router = APIRouter(tags=["health"])


class HealthPublic(BaseModel):
    """Health of the service and its database; the versions to signed-in users only."""

    status: str
    version: str | None = None
    postgresql: str | None = None
    postgis: str | None = None
    schema_revision: str | None = None


@router.get("/health", response_model=HealthPublic, response_model_exclude_none=True)
def health(engine: EngineDep, principal: PrincipalDep) -> HealthPublic:
    """Check that the database answers and has PostGIS (503 problem+json if not).

    Anyone may ask (a monitor signs in as nobody); only a signed-in user is told the
    versions of ims, PostgreSQL and PostGIS, which tell an attacker what to try."""
    info = check_database(engine)
    if principal is None:
        return HealthPublic(status="ok")
    return HealthPublic(status="ok", version=__version__, **info)
