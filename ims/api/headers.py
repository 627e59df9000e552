"""Security headers on every response: what the browser may run, load and frame.

The Content-Security-Policy allows scripts only from this site's own files (no inline
script, no ``eval``), so a value that slipped into a page unescaped still cannot run; pages
cannot be framed by another site (clickjacking); responses are never sniffed as another
type; no address of a page leaks to other sites in a Referer header; and a browser that
came by HTTPS comes back by HTTPS only (Strict-Transport-Security).

A response that says nothing of caching is not stored (``Cache-Control: no-store``): on a
shared computer, Back after signing out showed the pages read before from the browser's
cache. The static files (kept by fingerprint), tiles and the OGC API's answers (a minute,
for the one who asked) set their own.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ims.api.auth import over_https

# Inline styles stay allowed (style attributes carry legend colours; Leaflet positions
# its panes with them); scripts never.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(self)"),
]
# Over HTTPS (directly or through a trusted proxy): the browser is to come back by HTTPS
# only, for a year, so that a first plain request cannot be intercepted.
STRICT_TRANSPORT = (b"strict-transport-security", b"max-age=31536000")
_NAMES = {name for name, _ in HEADERS} | {STRICT_TRANSPORT[0]}
NOT_STORED = (b"cache-control", b"no-store")


class SecurityHeaders:
    """ASGI middleware adding ``HEADERS`` to every HTTP response (replacing any set before)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to the response's start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        added = [*HEADERS, STRICT_TRANSPORT] if over_https(Request(scope)) else HEADERS

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _NAMES]
                if not any(k.lower() == b"cache-control" for k, _ in kept):
                    kept.append(NOT_STORED)
                message["headers"] = kept + added
            await send(message)

        await self.app(scope, receive, with_headers)
