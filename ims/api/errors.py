"""Every error answered as ``application/problem+json`` (RFC 9457), registered once."""

from __future__ import annotations

import errno
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from psycopg.errors import QueryCanceled
from sqlalchemy.exc import DataError, DBAPIError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from ims.api.auth import SESSION_COOKIE, signed_in_caller
from ims.config import get_settings
from ims.db.session import is_unavailable, reason
from ims.errors import (
    DatabaseUnavailable,
    ImsError,
    NotAuthenticated,
    TookTooLong,
    slug_of,
)

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
# A relative reference (RFC 9457 §3.1.1: resolved against the request's address), to the
# page on this server that says what each type means (GET /problems). It had named
# https://ims.example/problems/…, a placeholder no national server can reach.
PROBLEM_BASE = "/problems/"


@dataclass(frozen=True)
class ProblemType:
    """One problem+json ``type``: its slug, title, status and what it means."""

    slug: str
    title: str
    status: int
    meaning: str


def _domain_types() -> list[ProblemType]:
    found: list[ProblemType] = []
    pending = [ImsError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls is ImsError:
            continue
        meaning = " ".join((cls.__doc__ or "").split())
        found.append(ProblemType(slug_of(cls), cls.title, cls.status_code, meaning))
    return found


def problem_types() -> list[ProblemType]:
    """Every problem type ims answers, by status then slug (the /problems page)."""
    answered = {t.slug: t for t in _domain_types()}
    for extra in (
        ProblemType(
            "insufficient-storage",
            "Insufficient storage",
            507,
            "The server has no room to receive the file (its temporary directory is full). "
            "Nothing was recorded; tell the administrator, then send it again.",
        ),
        ProblemType(
            "http-error",
            "HTTP error",
            0,
            "An error of the web server itself, such as an address that names no route (404) "
            "or a method a route does not take (405); the title and status say which.",
        ),
        ProblemType(
            "internal-error",
            "Internal error",
            500,
            "An unexpected error: the server logged it, with the request. Nothing was "
            "changed by a request that answered it; tell the administrator.",
        ),
    ):
        answered.setdefault(extra.slug, extra)
    return sorted(answered.values(), key=lambda t: (t.status or 999, t.slug))


def problem(status: int, title: str, detail: str, slug: str, **extra: Any) -> JSONResponse:
    """A problem+json response."""
    body = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def is_page(request: Request) -> bool:
    """Whether a request is for a web page (answered in HTML) rather than the API.

    ``/ogc`` (OGC API - Features) is an API: GIS clients read its errors as JSON; so are
    the tiles and the JSON the map's script asks for (its find box had been answered an
    HTML page for a date it could not read, which it could only call "422").
    """
    path = request.url.path
    if path == "/ogc" or path.startswith("/ogc/"):
        return _ogc_asks_html(request)
    return not (path.startswith(("/api/", "/tiles/")) or path in _JSON_PATHS)


# A form's address opened by GET goes to the page the form is on. A form that failed
# (a wrong current password, a token's name taken) answers its page at the form's
# address; reloading it without sending again, or the address copied from the bar, had
# answered "405 Method Not Allowed" in JSON.
_FORM_PAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"/account/password"), "/account#password-form"),
    (re.compile(r"/account/tokens(/[^/]+/revoke)?"), "/account#tokens"),
    (re.compile(r"/admin/users/[^/]+"), "/admin/users"),
    (re.compile(r"/releases/outside/[^/]+/hazard"), "/releases/outside"),
    (re.compile(r"/reports/finalise"), "/reports"),
    (re.compile(r"(/submissions/\d+)/withdraw"), r"\1"),
)


def form_page(path: str) -> str | None:
    """The page whose form posts to ``path``, or None."""
    for pattern, page in _FORM_PAGES:
        found = pattern.fullmatch(path)
        if found is not None:
            return found.expand(page)
    return None


def _ogc_asks_html(request: Request) -> bool:
    """Whether an ``/ogc`` request asks for its HTML page (``f=html``, or a browser's
    Accept), as its answer would be: a wrong filter typed into the address bar had been
    answered a line of JSON."""
    f = request.query_params.get("f")
    if f is not None:
        return f == "html"
    from ims.api.ogc import prefers_html  # here: the OGC routes import this module

    return prefers_html(request.headers.get("accept", ""))


_JSON_PATHS = frozenset({"/map/find", "/map/figures"})


UNAVAILABLE = (
    "cannot reach the database: it is stopped, starting or refusing connections; try again "
    "in a moment (the server's log says why)"
)


async def _ims_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ImsError)
    return error_response(request, exc)


def error_response(request: Request, exc: ImsError) -> Response:
    """The answer to a domain error: problem+json for the API, a page (or the sign-in
    page) for the web pages. Also used by code that runs before routing (the gate)."""
    if exc.status_code >= 500:
        log.error(
            "%s on %s %s: %s", type(exc).__name__, request.method, request.url.path, exc.detail
        )
    detail = exc.detail
    if isinstance(exc, DatabaseUnavailable):
        # the driver's reason is for the server's log: it named the database's socket
        # path (or host) to anyone, signed in or not
        detail = UNAVAILABLE
    if is_page(request):
        if isinstance(exc, NotAuthenticated) and request.method in ("GET", "HEAD"):
            # the path as sent, not decoded: "/hazards/Z%2F%252e%252e%2FAT-1" decoded came
            # back from the sign-in as "/hazards/Z/%2e%2e/AT-1", which the browser read as
            # AT-1's page (an attack on our own instance)
            raw = request.scope.get("raw_path") or request.url.path.encode()
            path = raw.decode("ascii", "replace") if isinstance(raw, bytes) else str(raw)
            target = path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)
        if isinstance(exc, NotAuthenticated) and request.url.path == "/logout":
            # signing out of a session already ended (in another tab, or expired) is done:
            # it had answered "Sign-in required" (helper-114)
            ended = RedirectResponse("/login?signed_out=1", status_code=303)
            ended.delete_cookie(SESSION_COOKIE)  # the ended session's, kept till now
            return ended
        html_error = getattr(request.app.state, "html_error", None)
        if html_error is not None:
            response: Response = html_error(request, exc.status_code, exc.title, detail)
            return response
    response = problem(exc.status_code, exc.title, detail, exc.type_slug, **exc.extra)
    if isinstance(exc, NotAuthenticated):
        response.headers["WWW-Authenticate"] = 'Bearer realm="ims"'
    if "retry_after" in exc.extra:
        response.headers["Retry-After"] = str(exc.extra["retry_after"])
    return response


def _page_error(request: Request, status: int, title: str, detail: str) -> Response | None:
    """The error as a web page, for a request of one (a mistyped address on /hazards had
    answered a JSON document in the browser); None for the API."""
    html_error = getattr(request.app.state, "html_error", None)
    if html_error is None or not is_page(request):
        return None
    response: Response = html_error(request, status, title, detail)
    return response


# pydantic's kinds of a value that could not be read as the date or number asked for
_UNREAD = frozenset(
    ("date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact", "int_parsing")
)


def _said(error: dict[str, Any]) -> str:
    """A validation error's message as our own checks word it: pydantic puts "Value
    error, " before the words of a check that raised ValueError."""
    kind = str(error.get("type", ""))
    given = error.get("input")
    if isinstance(given, str) and kind in _UNREAD:
        # pydantic's "Input should be a valid date or datetime, input is too short" said
        # neither what was given nor how to write it (a review of the pages)
        shown = given if len(given) <= 40 else given[:40] + "…"
        if kind == "int_parsing":
            return f'"{shown}" is not a whole number'
        return f'"{shown}" is not a date: write it as year-month-day, e.g. 2025-12-31'
    if kind in ("model_attributes_type", "dict_type") and tuple(error.get("loc", ())) == ("body",):
        # a JSON body sent as a form's (curl -d without a content type): pydantic's "Input
        # should be a valid dictionary" said nothing of the header (helper-98)
        return (
            "the body is not a JSON object: send it as JSON, with the header "
            "Content-Type: application/json"
        )
    most = (error.get("ctx") or {}).get("max_length")
    if kind == "string_too_long" and isinstance(given, str) and most is not None:
        return f"{len(given):,} characters, more than the {most:,} it takes"
    return str(error.get("msg", "")).removeprefix("Value error, ")


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"location": ".".join(str(p) for p in err.get("loc", ())), "message": _said(err)}
        for err in exc.errors()
    ]
    detail = "; ".join(f"{e['location']}: {e['message']}" for e in errors)
    # On a page, the parameter as the address names it ("offset", not "query.offset").
    named = "; ".join(f"{err.get('loc', ('',))[-1]!s}: {_said(err)}" for err in exc.errors())
    page = _page_error(request, 422, "Not a valid address", f"{named}.")
    if page is not None:
        return page
    return problem(422, "Invalid request", detail, "invalid-request", errors=errors)


NO_ROOM = (
    "the server has no room to receive this file: its temporary directory is full (or "
    "cannot be written). Nothing was recorded; tell the administrator, then send it again"
)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and isinstance(exc.__cause__, OSError):
        # a form whose file could not be kept (a full disk): the server's trouble, not
        # the sender's; it had answered "There was an error parsing the body", logged nowhere
        log.error(
            "cannot keep the body of %s %s: %s", request.method, request.url.path, exc.__cause__
        )
        page = _page_error(request, 507, "No room for the file", NO_ROOM)
        return page or problem(507, "Insufficient storage", NO_ROOM, "insufficient-storage")
    if exc.status_code == 404:
        if is_page(request) and not hasattr(request.state, "principal"):
            # no route ran, so nobody was identified: the page's header names who is signed in
            try:
                request.state.principal = await run_in_threadpool(signed_in_caller, request)
            except DBAPIError:  # the page still says it is not found
                request.state.principal = None
        page = _page_error(
            request, 404, "Page not found", f"There is no page at {request.url.path}."
        )
        if page is not None:
            return page
    if exc.status_code == 405 and request.method in ("GET", "HEAD") and is_page(request):
        form_on = form_page(request.url.path)
        if form_on is not None:
            # its choices kept where the page reads them (/reports?year=2025&level=2)
            query = request.url.query
            return RedirectResponse(
                f"{form_on}?{query}" if query and "#" not in form_on else form_on,
                status_code=303,
            )
    detail = str(exc.detail)
    if exc.status_code in (404, 405):  # the title had been repeated: "Not Found"
        what = "no route at" if exc.status_code == 404 else f"no {request.method} at"
        detail = f"there is {what} {request.url.path} (the routes: /api/v1/docs)"
    return problem(exc.status_code, str(exc.detail), detail, "http-error")


async def _unstorable(request: Request, exc: Exception) -> JSONResponse:
    # The database refused a value (a NUL character in text, a number out of range): the
    # request's fault, not the server's.
    cause = getattr(exc, "orig", None) or exc
    return problem(
        422,
        "Invalid request",
        f"a value in the request cannot be stored or searched: {str(cause).strip()}",
        "invalid-request",
    )


async def _database_error(request: Request, exc: Exception) -> Response:
    # A lost or refused connection is the database being unavailable (503, try again
    # later), not a bug: say so, with the driver's reason, wherever it happens (even
    # while identifying the caller of /api/v1/health).
    assert isinstance(exc, DBAPIError)
    if isinstance(exc.orig, QueryCanceled):  # past IMS_REQUEST_TIMEOUT_S (ims serve)
        limit = get_settings().request_timeout_s
        took = TookTooLong(
            f"the database took longer than {limit:,.0f} s (IMS_REQUEST_TIMEOUT_S) for this "
            "request and it was stopped; nothing was changed: ask for less at once (one "
            "province, one date, a page at a time) or ask the administrator to raise it"
        )
        return await _ims_error(request, took)
    if not is_unavailable(exc):
        return await _unexpected(request, exc)
    unavailable = DatabaseUnavailable(f"cannot reach the database: {reason(exc)}", retry_after=5)
    return await _ims_error(request, unavailable)


async def _os_error(request: Request, exc: Exception) -> Response:
    """A full disk while the server keeps a file (an upload copied to its folder) is the
    server's trouble, said as 507: it had been a 500 and a traceback (helper-89)."""
    assert isinstance(exc, OSError)
    if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
        return await _unexpected(request, exc)
    log.error("no room on %s %s: %s", request.method, request.url.path, exc)
    page = _page_error(request, 507, "No room for the file", NO_ROOM)
    return page or problem(507, "Insufficient storage", NO_ROOM, "insufficient-storage")


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem(
        500, "Internal error", "an unexpected error occurred; it has been logged", "internal-error"
    )


def register_error_handlers(app: FastAPI) -> None:
    """Answer domain errors, bad requests and the unexpected as problem+json."""
    app.add_exception_handler(ImsError, _ims_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DataError, _unstorable)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(OSError, _os_error)
    app.add_exception_handler(Exception, _unexpected)
