"""Signing in and out, and the admin pages: users, reference lists and the audit trail."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ims.api.auth import (
    CSRF_FIELD,
    SESSION_COOKIE,
    PrincipalDep,
    client_address,
    over_https,
    secure_cookies,
)
from ims.api.deps import SessionDep
from ims.config import get_settings
from ims.db import accounts, audit, reference
from ims.db.accounts import Principal
from ims.db.models import AppUser
from ims.domain.enums import Contamination, Role
from ims.errors import ImsError, InvalidRequest, TooManyAttempts
from ims.words import counted
from map_ui.rendering import audit_action, page

router = APIRouter(include_in_schema=False)

# Before signing in there is no session to hold a CSRF token: the sign-in form carries one
# that must match this cookie (double submit).
LOGIN_CSRF_COOKIE = "ims_login_csrf"
# A browser that signed in with the right password before (see accounts.sign_in).
# One answer for every failed sign-in, a disabled account's too (ims.db.accounts.sign_in):
# its owner learns why, and nobody learns whether a password was right.
WRONG_CREDENTIALS = (
    "Wrong user name or password. An account an administrator has disabled cannot sign in "
    "either: ask them to enable it again."
)
DEVICE_COOKIE = "ims_device"
DEVICE_COOKIE_DAYS = 365


def _safe_next(target: str | None) -> str:
    """Only paths of this site: never redirect a signed-in user to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _login_form(
    request: Request,
    status: int = 200,
    *,
    error: str | None = None,
    next_: str = "/",
    username: str = "",
    message: str | None = None,
) -> Response:
    token = secrets.token_urlsafe(24)
    response = page(
        request,
        "login.html",
        status,
        login_csrf=token,
        error=error,
        message=message,
        next=_safe_next(next_),
        username=username,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
        max_age=3600,
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request,
    principal: PrincipalDep,
    next: Annotated[str | None, Query(max_length=2000)] = None,
    changed: Annotated[bool, Query(description="after one's password was changed")] = False,
    signed_out: Annotated[bool, Query(description="after signing out")] = False,
) -> Response:
    """The sign-in form (saying why, after one's password was changed or one signed out)."""
    message = (
        "Your password is changed: sign in with the new one."
        if changed
        else "You are signed out."
        # (not to one signed in: another site's form posted to /logout lands here without
        # the session's cookie, and had told a user still signed in so: helper-115)
        if signed_out and principal is None
        else None
    )
    return _login_form(request, next_=next or "/", message=message)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the password; on success set the session cookie and go where the user was."""
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
        if get_settings().cookie_secure and not over_https(request):
            # the browser dropped the form's cookie, sent for HTTPS only: no sign-in can
            # work here, and "the form had expired" sent the user round in circles
            error = (
                "This server signs in over HTTPS only (IMS_COOKIE_SECURE): open it with an "
                "https:// address, or ask the administrator."
            )
        else:
            error = "The form had expired: sign in again."
        return _login_form(request, 403, next_=next, username=username, error=error)
    try:
        outcome = accounts.sign_in(
            session,
            username,
            password,
            address=client_address(request),
            device_secret=request.cookies.get(DEVICE_COOKIE),
        )
    except TooManyAttempts as exc:
        session.rollback()  # and let the next attempt at this counter go on
        response = _login_form(request, 429, next_=next, username=username, error=exc.detail)
        response.headers["Retry-After"] = str(exc.extra.get("retry_after", 900))
        return response
    session.commit()  # a failure is recorded too, for the rate limit
    if outcome is None:
        return _login_form(request, 401, next_=next, username=username, error=WRONG_CREDENTIALS)
    response = RedirectResponse(_safe_next(next), status_code=303)
    secure = secure_cookies(request)
    response.set_cookie(
        SESSION_COOKIE,
        outcome.secret,
        httponly=True,
        samesite="lax",
        secure=secure,
        max_age=int(get_settings().session_hours * 3600),
    )
    # This browser is now known: failed sign-ins from elsewhere do not hold it up.
    response.set_cookie(
        DEVICE_COOKIE,
        outcome.device_secret,
        httponly=True,
        samesite="strict",
        secure=secure,
        max_age=DEVICE_COOKIE_DAYS * 86400,
        path="/login",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.get("/logout", response_class=HTMLResponse)
def sign_out_page(request: Request, principal: PrincipalDep) -> Response:
    """Asks to sign out, with the button that does (to the sign-in page, saying so, when
    no one is signed in): the address typed or bookmarked had gone to the start page and
    left the user signed in. Signing out stays a form sent
    with the CSRF token, so that no link on another site signs anyone out."""
    if principal is None:  # already: said so on the sign-in page
        return RedirectResponse("/login?signed_out=1", status_code=303)
    return page(request, "sign_out.html", who=principal)


@router.post("/logout")
def logout(request: Request, session: SessionDep, principal: PrincipalDep) -> Response:
    """End the session (the CSRF token was checked with the permission)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        accounts.sign_out(session, cookie)
        session.commit()
    response = RedirectResponse("/login?signed_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, session: SessionDep) -> Response:
    """Users, their roles and tokens; add a user, change a role, disable or enable."""
    return _users(request, session)


def _users(
    request: Request,
    session: SessionDep,
    *,
    message: str | None = None,
    error: str | None = None,
    status: int = 200,
    typed: Mapping[str, str] | None = None,
    added: tuple[str | None, str | None] = (None, None),
) -> Response:
    """The users page; ``added``: what adding a user did (a message, or why it could not),
    said beside that form, which the page opens at (its error had been at the top, out of
    sight of the form being filled)."""
    users = accounts.list_users(session)
    tokens = accounts.list_tokens(session)
    organisations = [o.name for o in reference.list_organisations(session)]
    return page(
        request,
        "users.html",
        status,
        users=users,
        tokens=tokens,
        organisations=organisations,
        roles=[r.value for r in Role],
        message=message,
        error=error,
        active="users",
        csrf_field=CSRF_FIELD,
        typed=typed or {"role": "viewer"},
        added=added,
    )


@router.post("/admin/users", response_class=HTMLResponse)
def add_user(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    username: Annotated[str, Form(max_length=200)],
    role: Annotated[str, Form(max_length=20)],
    password: Annotated[str, Form(max_length=1000)],
    organisation: Annotated[str, Form(max_length=200)] = "",
    full_name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Add a user from the form."""
    try:
        user = accounts.create_user(
            session,
            username,
            Role.parse(role) if role else "",
            organisation=organisation or None,
            full_name=full_name or None,
            password=password,
            by=principal.actor if principal else None,
        )
        session.commit()
    except (ImsError, ValueError) as exc:
        session.rollback()
        detail = exc.detail if isinstance(exc, ImsError) else str(exc)
        # what was typed stays, but the password (a new user's review retyped the whole
        # form for each mistake)
        typed = {
            "username": username,
            "full_name": full_name,
            "role": role,
            "organisation": organisation,
        }
        return _users(request, session, status=422, typed=typed, added=(None, detail))
    return _users(request, session, added=(f"Added {user.username} ({user.role.value}).", None))


@router.post("/admin/users/{username}", response_class=HTMLResponse)
def change_user(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    username: str,
    action: Annotated[str, Form(max_length=20)],
    role: Annotated[str, Form(max_length=20)] = "",
    organisation: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    revoke_tokens: Annotated[bool, Form()] = False,
) -> Response:
    """Disable, enable, change the role (and organisation) of a user, or set a password
    (and, when the account may have been taken over, revoke its API tokens)."""
    by = principal.actor if principal else None
    try:
        if action == "password":
            if principal is not None and accounts.normalise_username(
                username
            ) == accounts.normalise_username(principal.username):
                raise InvalidRequest(
                    "your own password is changed on your account page, with the current one"
                )
            accounts.set_password(session, username, password, by=by)
            revoked = accounts.revoke_tokens_of(session, username, by=by) if revoke_tokens else 0
            session.commit()
            tokens = (
                f" {counted(revoked, 'API token')} revoked."
                if revoke_tokens
                else " Their API tokens still work (tick “revoke their API tokens” when the "
                "account may have been taken over)."
            )
            return _users(
                request,
                session,
                message=f"{username}: password set; their open sessions have ended.{tokens}",
            )
        if action == "disable":
            accounts.disable_user(session, username, by=by)
        elif action == "enable":
            accounts.enable_user(session, username, by=by)
        elif action == "role":
            accounts.set_role(
                session, username, Role.parse(role), by=by, organisation=organisation or None
            )
        else:
            raise ValueError(f"unknown action {action!r}: disable, enable, role or password")
        session.commit()
    except (ImsError, ValueError) as exc:
        session.rollback()
        detail = exc.detail if isinstance(exc, ImsError) else str(exc)
        return _users(request, session, error=detail[:1].upper() + detail[1:], status=422)
    user = accounts.get_user(session, username)
    done = {
        "disable": f"{user.username} is disabled; their sessions and API tokens have ended.",
        "enable": f"{user.username} is enabled again (their old API tokens stay revoked).",
        "role": f"{user.username} is now {user.role.value}"
        + (f" of {user.organisation.name}." if user.organisation else "."),
    }
    return _users(request, session, message=done[action])


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, session: SessionDep, principal: PrincipalDep) -> Response:
    """The signed-in user's account: who they are, and a form to change their password
    (only an admin on the command line could, found by a walk-through as an administrator);
    a token just made, shown this once."""
    made = _new_token(request.cookies.get(NEW_TOKEN_COOKIE))
    response = _account(request, session, principal, made=made)
    if made is not None or NEW_TOKEN_COOKIE in request.cookies:
        response.delete_cookie(NEW_TOKEN_COOKIE, path="/account")
        response.headers["Cache-Control"] = "no-store"  # the secret is in this page only
    return response


NEW_TOKEN_COOKIE = "ims_new_token"


def _new_token(cookie: str | None) -> dict[str, str | None] | None:
    """The token just made, from its cookie: secret, name and the date it lasts until."""
    if not cookie:
        return None
    try:
        made = json.loads(base64.urlsafe_b64decode(cookie.encode()))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(made, dict) or not isinstance(made.get("secret"), str):
        return None
    keys = ("secret", "name", "until")
    return {k: made[k] if isinstance(made.get(k), str) else None for k in keys}


def _account(
    request: Request,
    session: Session,
    principal: Principal | None,
    *,
    error: str | None = None,
    error_field: str | None = None,
    token_error: str | None = None,
    made: Mapping[str, object] | None = None,
    token_form: Mapping[str, object] | None = None,
    status: int = 200,
) -> Response:
    assert principal is not None  # IN_BROWSER
    tokens = [t for t in accounts.list_tokens(session, principal.username) if t.revoked_at is None]
    base = str(request.base_url).rstrip("/")
    return page(
        request,
        "account.html",
        status,
        who=principal,
        error=error,
        error_field=error_field,
        active="account",
        live_tokens=len(tokens),
        tokens=tokens,
        made=made,
        token_error=token_error,
        token_form=token_form or {},
        connect={
            "ogc": f"{base}/ogc",
            "ogc_on": f"{base}/ogc/on/2025-12-31",
            # QGIS asks for the tiles' address first and the style as an option (a
            # review as a GIS officer could not make the connection from the style alone)
            "tiles": f"{base}/api/v1/tiles/hazards/{{z}}/{{x}}/{{y}}.pbf",
            "style": f"{base}/api/v1/tiles/style.json",
            "docs": f"{base}/api/v1/docs",
        },
        most_tokens=OWN_TOKENS_MAX,
        token_days=OWN_TOKEN_DAYS,
    )


# A user's own tokens, made on their account page: a GIS officer could connect QGIS only
# once an administrator had run `ims token create` on the server (found by a walk-through
# as a GIS officer). The current password is asked, as for changing it, so that a session
# left open (or stolen) cannot mint a lasting key; a token lasts OWN_TOKEN_DAYS at most.
OWN_TOKENS_MAX = 10
OWN_TOKEN_DAYS = 365


@router.post("/account/tokens", response_class=HTMLResponse)
def make_own_token(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    name: Annotated[str, Form(max_length=200)] = "",
    days: Annotated[int, Form(ge=1, le=OWN_TOKEN_DAYS)] = 90,
    current: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """An API token of one's own, shown once on the page that answers."""
    assert principal is not None  # IN_BROWSER
    typed = {"name": name, "days": days}  # kept in the form when it is refused
    # one of the user's requests at a time counts their tokens: 20 sent at once had each
    # counted before any was made, and made 21 (found by an attack on these changes before release)
    session.execute(select(AppUser.id).where(AppUser.id == principal.user_id).with_for_update())
    live = [t for t in accounts.list_tokens(session, principal.username) if t.revoked_at is None]
    if len(live) >= OWN_TOKENS_MAX:
        return _account(
            request,
            session,
            principal,
            token_form=typed,
            token_error=f"You have {len(live)} live tokens, the most one may have: revoke one "
            "you no longer use first.",
            status=422,
        )
    try:
        right = accounts.check_own_password(
            session, principal.username, current, address=client_address(request)
        )
    except TooManyAttempts as exc:
        session.rollback()
        response = _account(
            request, session, principal, token_error=exc.detail, token_form=typed, status=429
        )
        response.headers["Retry-After"] = str(exc.extra.get("retry_after", 900))
        return response
    if not right:
        session.commit()  # the failure is counted, as a sign-in's is
        return _account(
            request,
            session,
            principal,
            token_error="Your password is not right: no token was made.",
            token_form=typed,
            status=422,
        )
    try:
        token, secret = accounts.create_token(
            session, principal.username, name, by=principal.actor, days=days
        )
        session.commit()
    except ImsError as exc:
        session.rollback()
        return _account(
            request, session, principal, token_error=exc.detail, token_form=typed, status=422
        )
    # To the account page by GET, the new secret in a cookie for that page only, read once:
    # reloading the page that answered the form had sent it again and made a second token
    # (found by a walk-through as a GIS officer).
    made = {
        "secret": secret,
        "name": token.name,
        "until": token.expires_at.date().isoformat() if token.expires_at else None,
    }
    response = RedirectResponse("/account#made-token", status_code=303)
    response.set_cookie(
        NEW_TOKEN_COOKIE,
        base64.urlsafe_b64encode(json.dumps(made).encode()).decode(),
        max_age=300,
        path="/account",
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
    )
    return response


@router.post("/account/tokens/{token_id}/revoke", response_class=HTMLResponse)
def revoke_own_token(
    request: Request, session: SessionDep, principal: PrincipalDep, token_id: int
) -> Response:
    """Revoke one of one's own tokens (another's is not found)."""
    assert principal is not None  # IN_BROWSER
    own = {t.id for t in accounts.list_tokens(session, principal.username)}
    if token_id not in own:
        return _account(
            request, session, principal, token_error="No such token of yours.", status=404
        )
    accounts.revoke_token(session, token_id, by=principal.actor)
    session.commit()
    return RedirectResponse("/account#tokens", status_code=303)


@router.post("/account/password", response_class=HTMLResponse)
def change_own_password(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    current: Annotated[str, Form(max_length=1000)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    again: Annotated[str, Form(max_length=1000)] = "",
    revoke_tokens: Annotated[bool, Form()] = False,
) -> Response:
    """Change one's own password: the current one first. Every session of the user ends,
    this one too, and the sign-in page says why; their API tokens too if they ask (tokens
    had outlived any change, and only an admin could revoke them: a third attack)."""
    assert principal is not None  # IN_BROWSER
    # the new password first: what is said of it tells nothing of the current one
    if password != again:
        return _account(
            request,
            session,
            principal,
            error="The new password and its repetition differ.",
            error_field="again",
            status=422,
        )
    try:
        accounts.check_password_strength(password)
    except ImsError as exc:
        return _account(
            request, session, principal, error=exc.detail, error_field="password", status=422
        )
    try:
        right = accounts.check_own_password(
            session, principal.username, current, address=client_address(request)
        )
    except TooManyAttempts as exc:
        session.rollback()
        response = _account(request, session, principal, error=exc.detail, status=429)
        response.headers["Retry-After"] = str(exc.extra.get("retry_after", 900))
        return response
    except ImsError as exc:
        session.rollback()
        return _account(request, session, principal, error=exc.detail, status=422)
    if not right:
        session.commit()  # the failure is counted, as a sign-in's is
        return _account(
            request,
            session,
            principal,
            error="The current password is not right.",
            error_field="current",
            status=422,
        )
    try:
        accounts.set_password(session, principal.username, password, by=principal.actor)
        if revoke_tokens:
            accounts.revoke_tokens_of(session, principal.username, by=principal.actor)
        session.commit()
    except ImsError as exc:
        session.rollback()
        return _account(request, session, principal, error=exc.detail, status=422)
    # to the sign-in page by GET: reloading it sends nothing again
    response = RedirectResponse("/login?changed=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/admin/reference", response_class=HTMLResponse)
def reference_page(request: Request, session: SessionDep) -> Response:
    """The reference lists: munition types and organisations, with forms to add to them."""
    return _reference(request, session)


def _reference(
    request: Request,
    session: SessionDep,
    *,
    message: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    return page(
        request,
        "reference.html",
        status,
        munitions=reference.list_munitions(session),
        organisations=reference.list_organisations(session),
        categories=[c.value for c in Contamination],
        message=message,
        error=error,
        active="reference",
    )


@router.post("/admin/reference", response_class=HTMLResponse)
def add_reference(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    list_name: Annotated[str, Form(alias="list", max_length=20)],
    code: Annotated[str, Form(max_length=100)] = "",
    name: Annotated[str, Form(max_length=300)] = "",
    category: Annotated[str, Form(max_length=10)] = "CMR",
    is_cmr: Annotated[str, Form(max_length=5)] = "",
    kind: Annotated[str, Form(max_length=20)] = "operator",
) -> Response:
    """Add a munition type or an organisation from the forms."""
    by = principal.actor if principal else None
    try:
        if list_name == "munitions":
            added = reference.add_munition(session, code, name, category, bool(is_cmr), by=by)
            message = f"Munition type {added.code} recorded."
        elif list_name == "organisations":
            org = reference.add_organisation(session, name, kind, by=by)
            message = f"Organisation {org.name} added."
        else:
            raise InvalidRequest(f"unknown list {list_name!r}: munitions or organisations")
        session.commit()
    except ImsError as exc:
        session.rollback()
        return _reference(request, session, error=exc.detail, status=exc.status_code)
    return _reference(request, session, message=message)


SIGN_INS = ("user.signed_in",)


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    session: SessionDep,
    action: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    sign_ins: bool = False,
) -> Response:
    """The audit trail, newest first, 100 at a time.

    Sign-ins change nothing and come many a day: they are left out unless asked for (the
    box, or the action's name), so that the first page shows what was changed.
    """
    action = (action or "").strip() or None  # a space alone is no filter (helper-98)
    names = audit.action_names(session)
    chosen = _actions_meant(action, names) if action else []
    events = (
        audit.recent_events(
            session,
            limit=100,
            before_id=before,
            actions=chosen,
            actor=actor,
            leave_out=() if sign_ins or action else SIGN_INS,
        )
        if chosen or not action
        else []
    )
    return page(
        request,
        "audit.html",
        events=events,
        action=action or "",
        actor=actor or "",
        sign_ins=sign_ins,
        actions=names,
        filtered=bool(action or actor or before),
        active="audit",
    )


def _actions_meant(typed: str, names: list[str]) -> list[str]:
    """The actions a filter typed means: one by its name ("submission.rejected") or as the
    table says it ("submission rejected"), else every action whose words hold what was
    typed ("rejected"). Only the names had been read, and "submission rejected", as the
    table shows it, found nothing (a first-time user's review, helper-97)."""
    words = " ".join(audit_action(typed.strip().lower()).split())
    exact = [n for n in names if words == audit_action(n)]
    return exact or [n for n in names if words and words in audit_action(n)]
