"""The host names, and ports, a request may name in its ``Host`` header (IMS_ALLOWED_HOSTS).

The OGC pages, the tokens' page and the tile style build absolute links from the
``Host`` header, so a forged one made links to another site. Starlette's
``TrustedHostMiddleware`` compares the name only: ``Host: 127.0.0.1:1`` passed, and the
links then named port 1 (an attack on our own instance). Here a name listed without a
port is answered with no port, the web's own (80, 443) or the port ims itself listens on
(``ims serve --port``, what a check on the machine names); a name listed with a port
(``ims.example.org:8443``, a proxy on another port) with that port only.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

WEB_PORTS = frozenset({80, 443})


@dataclass(frozen=True)
class AllowedHost:
    """One entry of IMS_ALLOWED_HOSTS: a name (``*.`` for its subdomains), and a port or
    None for the usual ones."""

    name: str
    port: int | None

    def admits(self, name: str, port: int | None, listening: int | None) -> bool:
        """Whether ``Host: name[:port]`` is this entry, on a server listening on
        ``listening``."""
        if self.name.startswith("*."):
            if not name.endswith(self.name[1:]):
                return False
        elif name != self.name:
            return False
        if self.port is not None:
            return port == self.port
        return port is None or port in WEB_PORTS or port == listening


def split_host(value: str) -> tuple[str, int | None] | None:
    """``name`` and port of a ``Host`` header (IPv6 in brackets), lower case; None if it
    is not one."""
    value = value.strip().lower()
    if value.startswith("["):
        name, bracket, rest = value[1:].partition("]")
        if not bracket or not name:
            return None
        if not rest:
            return name, None
        if not rest.startswith(":"):
            return None
        port_text = rest[1:]
    else:
        name, colon, port_text = value.partition(":")
        if not name:
            return None
        if not colon:
            return name, None
    if not port_text.isascii() or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        return None
    return name, int(port_text)


def parse_allowed(setting: str) -> list[AllowedHost]:
    """IMS_ALLOWED_HOSTS read: comma-separated names, each with or without a port
    (ValueError naming an entry that is neither)."""
    hosts = []
    for entry in (e.strip() for e in setting.split(",")):
        if not entry:
            continue
        parsed = split_host(entry)
        if parsed is None:
            raise ValueError(
                f"{entry!r} is not a host name, with or without a port "
                "(e.g. ims.example.org, *.example.org, ims.example.org:8443)"
            )
        hosts.append(AllowedHost(*parsed))
    return hosts


class AllowedHosts:
    """ASGI middleware answering 400 to a request whose ``Host`` no entry admits."""

    def __init__(self, app: ASGIApp, allowed: list[AllowedHost]) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass an admitted request on; answer any other 400."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        parsed = split_host(Headers(scope=scope).get("host", ""))
        server = scope.get("server")
        listening = server[1] if server and len(server) > 1 else None
        if parsed is not None and any(a.admits(*parsed, listening) for a in self.allowed):
            await self.app(scope, receive, send)
            return
        response = PlainTextResponse(
            "This server does not answer for the host name (or port) the request named.",
            status_code=400,
        )
        await response(scope, receive, send)
