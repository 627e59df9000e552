"""Signing in and the permission check every route goes through.

A request is made by a user with an API token (``Authorization: Bearer ims_…``, for
scripts, or as the password of HTTP Basic credentials, to read, for GIS programs), by a
browser with a session cookie (after signing in on ``/login``), or by nobody.
``authorize`` (an app-wide dependency) finds who, looks the route up in the permission
table and refuses what the role does not allow. Changes made with a session
cookie must carry the session's CSRF token (header ``X-CSRF-Token`` or form field
``csrf_token``), so another site cannot make a signed-in browser change anything.

A request with a body has been through ``ims.api.gate`` first, which identified the caller
and applied the same rule before reading a byte of the body; ``authorize`` then uses the
principal it found rather than looking it up again.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import secrets
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match

from ims.api.deps import SessionDep, request_session
from ims.api.permissions import rule_for
from ims.config import get_settings
from ims.db import accounts
from ims.db.accounts import Principal
from ims.domain import access
from ims.errors import Forbidden, NotAuthenticated

SESSION_COOKIE = "ims_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
GATE_PRINCIPAL = "ims.gate.principal"  # in the request scope's state: (principal,)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def route_name(request: Request) -> str:
    """The name of the route a request matched (the permission table's key)."""
    route = request.scope.get("route")
    name = getattr(route, "name", None)
    if name:
        return str(name)
    for candidate in request.app.router.routes:  # not routed yet (e.g. a Mount)
        match, _ = candidate.matches(request.scope)
        if match is Match.FULL:
            return str(getattr(candidate, "name", ""))
    return ""


def identify(
    session: Session, authorization: str, cookie: str | None, method: str = "GET"
) -> Principal | None:
    """Who sends a request with this Authorization header and session cookie (None: nobody).

    A malformed header or an unknown token is refused (NotAuthenticated), not anonymous.
    """
    if authorization:
        scheme, _, secret = authorization.partition(" ")
        if scheme.lower() == "basic" and cookie and not _holds_a_token(secret.strip()):
            # Basic credentials that are not ims's, beside a session: a sign-in of something
            # before ims (a proxy that asks for its own user name and password) or ones the
            # browser remembered. The session decides; refused, they had locked a browser
            # behind such a proxy out of every page (an attack on our own instance).
            return accounts.principal_from_session(session, cookie)
        user = None
        if scheme.lower() == "basic":
            user, secret = _basic_credentials(secret.strip(), method)
        elif scheme.lower() != "bearer" or not secret.strip():
            raise NotAuthenticated("use `Authorization: Bearer <token>` with an ims API token")
        principal = accounts.principal_from_token(session, secret.strip())
        if principal is None:
            raise NotAuthenticated("this API token is unknown, revoked or expired")
        if user and user.casefold() != principal.username.casefold():
            raise NotAuthenticated(
                "this API token belongs to another account: give its own account's user "
                "name with it, or none"
            )
        return principal
    if cookie:
        return accounts.principal_from_session(session, cookie)
    return None


def _holds_a_token(encoded: str) -> bool:
    """Whether Basic credentials (base64) carry an ims API token as their password."""
    try:
        decoded = base64.b64decode(encoded.encode("ascii"), validate=True).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeError):
        return False
    return decoded.partition(":")[2].strip().startswith(accounts.TOKEN_PREFIX)


def anyone_may_open(name: str | None, request: Request) -> bool:
    """Whether route ``name`` is a page anyone may open (the sign-in page): credentials it
    cannot use are ignored there, not answered 401. A browser sending Basic credentials of
    another kind was sent from the sign-in page to the sign-in page, for ever."""
    from ims.api.errors import is_page  # (which imports this module)

    rule = rule_for(name) if name else None
    return rule is not None and rule.public and is_page(request)


def _basic_credentials(encoded: str, method: str) -> tuple[str, str]:
    """The user name and API token of HTTP Basic credentials, for GIS programs that cannot
    send a header of their own: QGIS before its "API Header" authentication (a connection's
    user name and password), GDAL_HTTP_USERPWD, ArcGIS Pro (docs/design.md §5.4).

    An account's password is never taken this way, so that guessing one still meets the
    sign-in page's delays; and Basic only reads, because a browser may keep Basic
    credentials and send them again by itself, as it does a cookie, without the CSRF check
    that a cookie's changes must pass.
    """
    try:
        decoded = base64.b64decode(encoded.encode("ascii"), validate=True).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeError):
        decoded = ""
    user, colon, token = decoded.partition(":")
    if not colon:
        raise NotAuthenticated(
            "the Basic credentials are not base64 of `user name:API token`: check them"
        )
    if method.upper() not in SAFE_METHODS:
        raise NotAuthenticated(
            "Basic credentials only read: send changes with `Authorization: Bearer <token>`"
        )
    if not token.strip().startswith(accounts.TOKEN_PREFIX):
        raise NotAuthenticated(
            "put an ims API token (it starts with ims_) in the password, not your account's "
            "password: make one on your account page, /account"
        )
    return user.strip(), token.strip()


def _unruled(name: str) -> Forbidden:
    # a route nobody gave a rule: refused (the tests catch it first)
    return Forbidden(f"route {name!r} has no permission rule")


def permit(name: str, principal: Principal | None) -> None:
    """Refuse what the rule of route ``name`` does not allow ``principal`` (None: nobody)."""
    rule = rule_for(name)
    if rule is None:
        raise _unruled(name)
    if rule.public:
        return
    if principal is None:
        if rule.readable and get_settings().public_read:
            return
        raise NotAuthenticated("sign in first (or send an API token)")
    if principal.role not in rule.roles:
        allowed = sorted(r.value for r in rule.roles)
        roles = allowed[0] if len(allowed) == 1 else f"{', '.join(allowed[:-1])} or {allowed[-1]}"
        role = principal.role.value
        article = "an" if role[0] in "aeiou" else "a"  # "an operator" ("a operator": a review)
        raise Forbidden(
            f"you are signed in as {principal.username}, {article} {role}: this is "
            f"for a user with the role {roles} (an admin gives roles on the users page)"
        )
    if rule.browser_only and principal.via != "session":
        raise Forbidden("this is done signed in on the web, not with an API token")


def _identify(request: Request, session: SessionDep) -> Principal | None:
    return identify(
        session,
        request.headers.get("authorization", ""),
        request.cookies.get(SESSION_COOKIE),
        request.method,
    )


def signed_in_caller(request: Request) -> Principal | None:
    """Who is signed in to the browser sending ``request``, for a page no route answered
    (a mistyped address): its header names them, as every other page's does. A 404 had
    shown a signed-in user the signed-out header, as if they had been signed out."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    with request_session(request.app) as session:
        return accounts.principal_from_session(session, cookie)


def masked_csrf(token: str) -> str:
    """The session's CSRF token as a page carries it: XORed with a random pad sent beside it,
    so that it differs in every response. A page compressed with what a request put in it
    (a search, an address) and the same secret would otherwise leak the secret a byte at a
    time to someone who can watch the compressed length (BREACH)."""
    raw = token.encode()
    pad = secrets.token_bytes(len(raw))
    return base64.urlsafe_b64encode(
        pad + bytes(a ^ b for a, b in zip(pad, raw, strict=True))
    ).decode()


def unmasked_csrf(sent: str) -> str:
    """The token a page sent back (``masked_csrf``), or what was sent as it came."""
    try:
        both = base64.urlsafe_b64decode(sent.encode())
    except (ValueError, binascii.Error):
        return sent
    if not both or len(both) % 2:
        return sent
    half = len(both) // 2
    try:
        return bytes(a ^ b for a, b in zip(both[:half], both[half:], strict=True)).decode()
    except UnicodeDecodeError:
        return sent


async def _csrf_sent(request: Request) -> str:
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent and request.headers.get("content-type", "").startswith(FORM_TYPES):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else ""
    return sent


# Declares the bearer scheme in the OpenAPI schema (the docs' "Authorize" button); the
# header itself is read in _identify.
_bearer = HTTPBearer(auto_error=False, description="an API token from `ims token create`")


async def authorize(
    request: Request,
    session: SessionDep,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    """Identify the caller and apply the route's rule; the principal (None: anonymous)."""
    name = route_name(request)
    rule = rule_for(name)
    if rule is None:  # refused before anyone is looked up
        raise _unruled(name)
    gated = request.scope.get("state", {}).get(GATE_PRINCIPAL)
    if gated is not None:  # the gate identified the caller before reading the body
        principal: Principal | None = gated[0]
    else:
        try:
            principal = await run_in_threadpool(_identify, request, session)
        except NotAuthenticated:
            if not anyone_may_open(name, request):
                raise
            principal = None
    request.state.principal = principal
    permit(name, principal)
    if principal is None or rule.public:
        return principal
    if principal.via == "session" and request.method not in SAFE_METHODS:
        sent = await _csrf_sent(request)
        expected = (principal.csrf_token or "").encode()
        if not expected or not any(  # as a page carries it, or as the session holds it
            hmac.compare_digest(given.encode(), expected) for given in (unmasked_csrf(sent), sent)
        ):
            raise Forbidden(
                "the form is out of date or came from another site (CSRF check): "
                "reload the page and try again"
            )
    return principal


PrincipalDep = Annotated[Principal | None, Depends(authorize)]


def _trusted(address: str | None) -> bool:
    """Whether ``address`` is one of the reverse proxies in IMS_TRUSTED_PROXIES."""
    networks = [n.strip() for n in get_settings().trusted_proxies.split(",") if n.strip()]
    if not address or not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(n, strict=False) for n in networks)


def caller_of(principal: Principal | None, request: Request) -> str:
    """Who asks, to share out what the server makes at once: the signed-in user, or the
    address of a caller not signed in (with ``IMS_PUBLIC_READ``)."""
    if principal is not None:
        return f"user {principal.username}"
    return f"address {client_address(request) or 'unknown'}"


def client_address(request: Request) -> str | None:
    """The address of whoever sent the request.

    X-Forwarded-For is believed only from a trusted proxy, and only as far back as the
    chain of trusted proxies goes: a client cannot name an address of its choosing.
    """
    peer = request.client.host if request.client else None
    if not _trusted(peer):
        return peer
    chain = [a.strip() for a in request.headers.get("x-forwarded-for", "").split(",") if a.strip()]
    for address in reversed(chain):
        if not _trusted(address):
            return address[:64]
    return peer


def over_https(request: Request) -> bool:
    """Whether the browser reached ims over HTTPS (directly or through a trusted proxy)."""
    if request.url.scheme == "https":
        return True
    peer = request.client.host if request.client else None
    return _trusted(peer) and request.headers.get("x-forwarded-proto", "").lower() == "https"


def secure_cookies(request: Request) -> bool:
    """Whether cookies set on this response are for HTTPS only (IMS_COOKIE_SECURE, or auto)."""
    setting = get_settings().cookie_secure
    return over_https(request) if setting is None else setting


def generalised(principal: Principal | None) -> bool:
    """Whether this caller sees only generalised locations (IMS_LOCATION_PRIVACY is on)."""
    return access.sees_generalised_locations(principal, privacy=get_settings().location_privacy)
