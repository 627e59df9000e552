"""``ims serve``: the API and the web pages.

A command of ``ims`` itself, not of a group: the package's ``__init__`` registers it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ims.cli.common import database_up
from ims.config import get_settings


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Serve the API and the web pages."""
    import uvicorn

    settings = get_settings()
    database_up(quiet=True)
    uvicorn.run(
        "ims.app:served_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        # ims believes X-Forwarded-For and -Proto from IMS_TRUSTED_PROXIES only (ims.api.auth).
        # uvicorn's own handling, on by default for 127.0.0.1, rewrote the client and the
        # scheme before ims saw them: any local process could claim HTTPS or an address.
        proxy_headers=False,
    )
