"""``/api/v1/health``: is the service up and its database reachable?"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from ims import __version__
from ims.api.deps import EngineDep
from ims.db.session import check_database

router = APIRouter(tags=["health"])


class HealthPublic(BaseModel):
    """Health of the service and its database."""

    status: str
    version: str
    postgresql: str
    postgis: str
    schema_revision: str


@router.get("/health", response_model=HealthPublic)
def health(engine: EngineDep) -> HealthPublic:
    """Check that the database answers and has PostGIS (503 problem+json if not)."""
    info = check_database(engine)
    return HealthPublic(status="ok", version=__version__, **info)
