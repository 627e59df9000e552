"""The FastAPI application: wiring only."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from sqlalchemy import Engine

from ims import __version__
from ims.api import account, docs, health, reference, reports, submissions, tiles
from ims.api.auth import authorize
from ims.api.errors import register_error_handlers
from ims.api.headers import SecurityHeaders
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
        docs_url=None,  # served from vendored files: ims.api.docs
        redoc_url=None,
        # Every route goes through the permission table (ims/api/permissions.py).
        dependencies=[Depends(authorize)],
    )
    app.state.engine = engine
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    app.add_middleware(SecurityHeaders)
    register_error_handlers(app)
    app.include_router(docs.router, prefix=API_PREFIX)
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
