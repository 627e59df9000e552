"""The composition root: the whole ims application, the API with the web pages mounted.

``ims.api`` knows nothing of the pages; the pages (``map_ui``) use the API's dependencies
and domain rules and are installed here, as an extension (docs/design.md §5.1).
"""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine

from ims.api.main import create_api
from ims.jobs import Jobs
from map_ui.pages import install


def create_app(
    engine: Engine | None = None,
    *,
    jobs: Jobs | None = None,
    warm: bool = False,
    start_workers: bool = False,
) -> FastAPI:
    """The API and the pages around ``engine`` (default: the configured database).

    Uploads are checked and approvals applied by ``jobs`` (default: worker processes on
    the same database); ``warm`` and ``start_workers``: see ``create_api``.
    """
    app = create_api(engine, jobs=jobs, warm=warm, start_workers=start_workers)
    install(app)  # the web pages and their static files
    return app


def served_app() -> FastAPI:
    """The application as ``ims serve`` runs it: on the configured database, the answers
    readers ask for first computed again whenever the data changes, the workers for
    uploads and approvals started with it, each statement of a request bounded in time
    (``IMS_REQUEST_TIMEOUT_S``)."""
    import logging

    from ims.config import get_settings
    from ims.db.session import bound_statements, get_engine
    from ims.files import sweep_temp_folders

    swept = sweep_temp_folders()  # left by a server killed mid-upload
    if swept:
        logging.getLogger(__name__).warning(
            "removed %d working folders a stopped ims had left in the temporary directory",
            swept,
        )
    engine = bound_statements(get_engine(), get_settings().request_timeout_s)
    return create_app(engine, warm=True, start_workers=True)
