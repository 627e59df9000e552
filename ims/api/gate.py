"""The request gate: no body is read before we know who sent it, and none is unbounded.

FastAPI parses a form (and spools its files to disk) before any dependency runs, so the
app-wide ``authorize`` came too late: an anonymous 1.5 GB upload was written to the temp
directory before its 401, and the size limit was checked only once all of it had arrived
(issue 13, item 5). This pure ASGI middleware stands in front of the app. For a request
that has a body it

1. refuses a declared Content-Length over the route's limit at once (413): the upload
   limit (``IMS_UPLOAD_MAX_BYTES``, with room for the form's other fields) for uploads,
   ``IMS_REQUEST_MAX_BYTES`` for every other body;
2. identifies the caller from the API token or the session cookie and applies the route's
   rule from the permission table (401/403), before reading a byte of the body — only the
   sign-in form is public;
3. counts the body as it streams in and cuts it off with a 413 as it passes the limit
   (a chunked body has no Content-Length to check first).

Requests without a body go straight through; ``authorize`` still checks every request (and
the CSRF token), reusing the principal found here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ims.api.auth import GATE_PRINCIPAL, SESSION_COOKIE, anyone_may_open, identify, permit
from ims.api.deps import request_session
from ims.api.errors import error_response
from ims.api.permissions import routes_of
from ims.config import get_settings
from ims.db.accounts import Principal
from ims.errors import ImsError, InvalidRequest, NotAuthenticated, UploadTooLarge

# The routes that take a file: the upload, and reading its columns first (the upload page
# sends the same file to both).
UPLOAD_ROUTES = frozenset({"create_submission", "inspect_submission"})
# An upload's form holds the file and a few short fields (kind, organisation, field map…).
FORM_ALLOWANCE = 64 * 1024


@dataclass(frozen=True)
class _Route:
    """A route of the app as the gate matches it."""

    name: str
    methods: frozenset[str]  # empty: any (a mount)
    pattern: re.Pattern[str]


def _route_table(app: Any) -> list[_Route]:
    table = getattr(app.state, "gate_routes", None)
    if table is None:
        table = []
        for info in routes_of(app):
            path = info.path if info.methods else info.path.rstrip("/") + "/{path:path}"
            table.append(_Route(info.name, info.methods, compile_path(path)[0]))
        app.state.gate_routes = table
    return list(table)


def route_of(app: Any, method: str, path: str) -> str | None:
    """The name of the route ``method path`` goes to, or None (the app answers 404/405)."""
    for route in _route_table(app):
        if route.pattern.match(path) and (not route.methods or method in route.methods):
            return route.name
    return None


def body_limit(route: str | None) -> int:
    """The most bytes a request body to ``route`` may have."""
    settings = get_settings()
    if route in UPLOAD_ROUTES:
        return settings.upload_max_bytes + FORM_ALLOWANCE
    return settings.request_max_bytes


def _too_large(limit: int) -> UploadTooLarge:
    return UploadTooLarge(
        f"the request is larger than the limit of {limit:,} bytes for this route; nothing "
        "of it was kept"
    )


class _BodyTooLarge(Exception):
    """Raised into the app when the streamed body passes its limit."""


class RequestGate:
    """ASGI middleware: bound every request body; authenticate before reading one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, or answer it here without reading its body."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        if declared is None and "transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body
            return
        if declared is not None and "transfer-encoding" in headers:
            # The body is chunked whatever the length says (the server reads it so): a
            # "Content-Length: 0" beside it had passed a body of any size, unidentified,
            # to the app, which spooled it before answering 401 (an attack on our own
            # instance). A request framed two ways is refused (RFC 9112 §6.3 allows it).
            await self._answer(
                scope,
                send,
                InvalidRequest(
                    "the request has both a Content-Length and a Transfer-Encoding: send one"
                ),
            )
            return
        app = scope["app"]
        route = route_of(app, scope["method"], scope["path"])
        limit = body_limit(route)
        try:
            length = int(declared) if declared is not None else None
            if length is not None and length < 0:
                raise ValueError
        except ValueError:
            await self._answer(scope, send, InvalidRequest("the Content-Length is not a number"))
            return
        if length == 0:
            await self.app(scope, receive, send)
            return
        if length is not None and length > limit:
            await self._answer(scope, send, _too_large(limit))
            return
        if route is not None:
            request = Request(scope)
            try:
                try:
                    principal = await run_in_threadpool(self._identify, app, request)
                except NotAuthenticated:
                    if not anyone_may_open(route, request):
                        raise
                    principal = None  # the sign-in page's form, as authorize reads it
                permit(route, principal)
            except ImsError as exc:
                await self._answer(scope, send, exc)
                return
            scope.setdefault("state", {})[GATE_PRINCIPAL] = (principal,)
        await self._bounded(scope, receive, send, limit)

    @staticmethod
    def _identify(app: Any, request: Request) -> Principal | None:
        with request_session(app) as session:
            return identify(
                session,
                request.headers.get("authorization", ""),
                request.cookies.get(SESSION_COOKIE),
                request.method,
            )

    async def _bounded(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        received = 0
        cut_off = False
        started = False

        async def counted() -> Message:
            nonlocal received, cut_off
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    cut_off = True
                    raise _BodyTooLarge
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if cut_off:
                return  # the app's answer to a body cut short; the 413 below goes instead
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not cut_off:
                raise
        if cut_off and not started:
            await self._answer(scope, send, _too_large(limit))

    @staticmethod
    async def _answer(scope: Scope, send: Send, exc: ImsError) -> None:
        async def nothing() -> Message:  # the body is never read
            return {"type": "http.disconnect"}

        response = error_response(Request(scope), exc)
        # The body stays unread, so the connection cannot carry another request: closing
        # it also stops the server from draining (reading and discarding) the rest.
        response.headers["Connection"] = "close"
        await response(scope, nothing, send)
