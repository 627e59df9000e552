"""The API application: its routers, middleware and error answers, wiring only.

The pages are an extension of it that this package never imports: ``ims.app`` builds the
whole application from both (docs/design.md §5.1).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from sqlalchemy import Engine

from ims import __version__
from ims.api import (
    account,
    docs,
    hazards,
    health,
    ogc,
    outside,
    progress,
    records,
    reference,
    releases,
    reports,
    submissions,
    tiles,
)
from ims.api.auth import authorize
from ims.api.errors import register_error_handlers
from ims.api.gate import RequestGate
from ims.api.headers import SecurityHeaders
from ims.api.held import HeldUploads
from ims.api.hosts import AllowedHosts, parse_allowed
from ims.api.warm import Warmer
from ims.config import configure_logging, get_settings
from ims.jobs import Jobs, PoolJobs

API_PREFIX = "/api/v1"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    warmer = app.state.warmer
    if warmer is not None:
        warmer.start()
    if app.state.start_workers:
        app.state.jobs.start()  # the first upload and approval need not wait for them
    yield
    if warmer is not None:
        warmer.stop()
    app.state.jobs.close()  # the worker processes end with the server
    app.state.held.close()


def create_api(
    engine: Engine | None = None,
    *,
    jobs: Jobs | None = None,
    warm: bool = False,
    start_workers: bool = False,
) -> FastAPI:
    """Build the API around ``engine`` (default: the configured database), without pages.

    Uploads are checked and approvals applied by ``jobs`` (default: worker processes on
    the same database, started at the first upload or approval, or as the application
    starts with ``start_workers``, as ``ims serve`` does). ``warm``: while the
    application runs, the answers readers ask for first are computed again whenever the
    data changes (``ims.api.warm``; ``ims serve``, every ``IMS_WARM_INTERVAL_S`` seconds).
    """
    configure_logging()
    if engine is None:
        from ims.db.session import get_engine

        engine = get_engine()
    app = FastAPI(
        title="ims",
        version=__version__,
        description="National information management for humanitarian mine action. "
        "Every error is answered as `application/problem+json`; its `type` is a page of this "
        "server, under [/problems](/problems), that says what it means.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # served from vendored files: ims.api.docs
        redoc_url=None,
        # Every route goes through the permission table (ims/api/permissions.py).
        dependencies=[Depends(authorize)],
        lifespan=_lifespan,
    )
    app.state.engine = engine
    interval = get_settings().warm_interval_s
    app.state.warmer = Warmer(engine.engine, interval) if warm and interval > 0 else None
    # (tests may hand a Connection as the engine: .engine is the Engine of either)
    app.state.jobs = jobs or PoolJobs(engine.engine.url.render_as_string(hide_password=False))
    app.state.start_workers = start_workers
    app.state.progress = progress.Tracker()  # how far the pages' long jobs have got
    # files the upload page has read, for it to send by name (4 uploads of the largest size)
    app.state.held = HeldUploads(4 * get_settings().upload_max_bytes)
    register_error_handlers(app)
    # The last added runs first: security headers on every answer, the gate's included.
    app.add_middleware(RequestGate)  # bodies: bounded, and read only once the caller may
    # Level 6, not Starlette's 9: as small within a fraction of a percent, several times faster
    # (it runs on the event loop, in front of every other request).
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=6)
    hosts = parse_allowed(get_settings().allowed_hosts)
    if hosts:  # links are built from the Host header (OGC's, the pages' tokens' base)
        app.add_middleware(AllowedHosts, allowed=hosts)
    app.add_middleware(SecurityHeaders)
    app.include_router(docs.router, prefix=API_PREFIX)
    app.include_router(health.router, prefix=API_PREFIX)
    app.include_router(account.router, prefix=API_PREFIX)
    app.include_router(hazards.router, prefix=API_PREFIX)
    app.include_router(reports.router, prefix=API_PREFIX)
    app.include_router(reports.plans, prefix=API_PREFIX)
    app.include_router(submissions.router, prefix=API_PREFIX)
    app.include_router(progress.router, prefix=API_PREFIX)
    app.include_router(reference.router, prefix=API_PREFIX)
    app.include_router(tiles.router, prefix=API_PREFIX)
    app.include_router(outside.router, prefix=API_PREFIX)
    app.include_router(hazards.collection, prefix=API_PREFIX)
    app.include_router(releases.router, prefix=API_PREFIX)
    app.include_router(releases.collection, prefix=API_PREFIX)
    app.include_router(ogc.router)  # /ogc: OGC API - Features, for GIS tools
    app.include_router(ogc.dated)  # /ogc/on/YYYY-MM-DD: the same, as of a date
    app.include_router(records.router, prefix=API_PREFIX)
    return app
