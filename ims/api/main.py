"""The FastAPI application: wiring only."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from sqlalchemy import Engine

from ims import __version__
from ims.api import account, health, reference, reports, submissions, tiles
from ims.api.auth import authorize
from ims.api.errors import register_error_handlers
from ims.api.gate import RequestGate
from ims.config import configure_logging

API_PREFIX = "/api/v1"


def create_app(engine: Engine | None = None) -> FastAPI:
    """Build the app around ``engine`` (default: the configured database)."""
    configure_logging()
    if engine is None:
        from ims.db.session import get_engine

        engine = get_engine()
    app = FastAPI(
        title="ims",
        version=__version__,
        description="National information management for humanitarian mine action.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        # Every route goes through the permission table (ims/api/permissions.py).
        dependencies=[Depends(authorize)],
    )
    app.state.engine = engine
    register_error_handlers(app)
    app.add_middleware(RequestGate)  # bodies: bounded, and read only once the caller may
    app.include_router(health.router, prefix=API_PREFIX)
    app.include_router(account.router, prefix=API_PREFIX)
    app.include_router(reports.router, prefix=API_PREFIX)
    app.include_router(reports.plans, prefix=API_PREFIX)
    app.include_router(submissions.router, prefix=API_PREFIX)
    app.include_router(reference.router, prefix=API_PREFIX)
    app.include_router(tiles.router, prefix=API_PREFIX)
    from map_ui.pages import install

    install(app)  # the web pages and their static files
    return app
