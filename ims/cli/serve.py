"""``ims serve``: the API and the web pages.

A command of ``ims`` itself, not of a group: the package's ``__init__`` registers it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ims.cli.common import database_up, err
from ims.config import get_settings

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def serve(
    host: Annotated[
        str | None,
        typer.Option(
            help="Address to listen on (default: IMS_HOST, else 127.0.0.1, this machine only; "
            "0.0.0.0 for every network, behind an HTTPS proxy)."
        ),
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on (default: IMS_PORT, else 8000).")
    ] = None,
) -> None:
    """Serve the API and the web pages (as a service, behind HTTPS: docs/operations.md)."""
    import uvicorn

    settings = get_settings()
    database_up(quiet=True)
    listen = host or settings.host
    if listen not in LOOPBACK and not settings.trusted_proxies:
        err.print(
            f"[bold yellow]warning:[/] serving plain HTTP on {listen}: passwords and sessions "
            "cross the network unencrypted. Put ims behind an HTTPS proxy and list the proxy "
            "in IMS_TRUSTED_PROXIES (docs/operations.md)",
            highlight=False,
        )
    if listen not in LOOPBACK and not settings.allowed_hosts:
        err.print(
            f"[bold yellow]warning:[/] any host name is answered on {listen}: list the names "
            "users reach ims by in IMS_ALLOWED_HOSTS, so that a forged Host header cannot "
            "make its links point elsewhere (docs/operations.md)",
            highlight=False,
        )
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
