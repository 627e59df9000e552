"""Users, API tokens and web sessions.

Passwords are hashed with Argon2 (argon2-cffi). API tokens and session keys are random
secrets shown once; only their SHA-256 is stored, so a copy of the database does not let
anyone sign in. Every change to a user or a token is in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ims.config import get_settings
from ims.db import audit
from ims.db.audit import Actor
from ims.db.models import ApiToken, AppUser, LoginFailure, Organisation, WebSession
from ims.domain.enums import Role
from ims.errors import Conflict, InvalidRequest, NotFound, TooManyAttempts

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
MIN_PASSWORD = 10
TOKEN_PREFIX = "ims_"
FAILURE_WINDOW = dt.timedelta(minutes=15)
FAILURES_PER_ADDRESS = 50  # in the window, whatever the user names

_hasher = PasswordHasher()
# Verifying against this when the user does not exist takes as long as a real check, so
# timing does not tell which user names exist.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


@dataclass(frozen=True)
class Principal:
    """Who is making a request: a user signed in with a session or a token."""

    user_id: int
    username: str
    role: Role
    organisation_id: int | None
    organisation: str | None
    via: str  # "session" or "token"
    csrf_token: str | None = None  # for a session: what forms and scripts must send back

    @property
    def actor(self) -> Actor:
        """This user as the audit trail names them."""
        return Actor(self.username, self.user_id)


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def check_password_strength(password: str) -> None:
    """Refuse passwords too short to be safe."""
    if len(password) < MIN_PASSWORD:
        raise InvalidRequest(f"a password needs at least {MIN_PASSWORD} characters")


def normalise_username(username: str) -> str:
    """User names are compared in lower case; refuse ones that are not simple names."""
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise InvalidRequest(
            f"user name {username!r}: use 2–64 letters, digits, '.', '_', '-' or '@', "
            "starting with a letter or digit"
        )
    return name


def get_user(session: Session, username: str) -> AppUser:
    """A user by name, or NotFound naming it."""
    user = session.scalars(
        select(AppUser).where(AppUser.username == username.strip().lower())
    ).first()
    if user is None:
        raise NotFound(f"no user named {username!r}")
    return user


def _organisation(session: Session, name: str) -> tuple[Organisation, bool]:
    org = session.scalars(select(Organisation).where(Organisation.name == name.strip())).first()
    if org is not None:
        return org, False
    org = Organisation(name=name.strip(), kind="operator")
    session.add(org)
    session.flush()
    return org, True


def _user_view(user: AppUser) -> dict[str, object]:
    return {
        "username": user.username,
        "role": user.role.value,
        "organisation": user.organisation.name if user.organisation else None,
        "full_name": user.full_name,
        "disabled": user.disabled_at is not None,
    }


def create_user(
    session: Session,
    username: str,
    role: Role | str,
    *,
    by: Actor | str | None,
    organisation: str | None = None,
    full_name: str | None = None,
    password: str | None = None,
) -> AppUser:
    """Add a user. Operators need an organisation (added if ims has not seen it yet)."""
    name = normalise_username(username)
    role = role if isinstance(role, Role) else Role.parse(role)
    if role is Role.OPERATOR and not (organisation and organisation.strip()):
        raise InvalidRequest("an operator belongs to an organisation: give --organisation")
    if session.scalars(select(AppUser.id).where(AppUser.username == name)).first() is not None:
        raise Conflict(f"user {name!r} already exists")
    if password is not None:
        check_password_strength(password)
    org = None
    if organisation and organisation.strip():
        org, added = _organisation(session, organisation)
        if added:
            audit.record(session, by, "organisation.added", "organisation", org.name,
                         after={"name": org.name, "kind": org.kind})  # fmt: skip
    user = AppUser(
        username=name, role=role, organisation=org, full_name=full_name,
        password_hash=_hasher.hash(password) if password else None,
    )  # fmt: skip
    session.add(user)
    session.flush()
    audit.record(session, by, "user.added", "user", name, after=_user_view(user))
    return user


def set_password(session: Session, username: str, password: str, *, by: Actor | str | None) -> None:
    """Give a user a new password; their open sessions end."""
    user = get_user(session, username)
    check_password_strength(password)
    user.password_hash = _hasher.hash(password)
    _end_sessions(session, user.id)
    audit.record(session, by, "user.password_set", "user", user.username)


def set_role(session: Session, username: str, role: Role | str, *, by: Actor | str | None,
             organisation: str | None = None) -> AppUser:  # fmt: skip
    """Change a user's role (and organisation)."""
    user = get_user(session, username)
    before = _user_view(user)
    user.role = role if isinstance(role, Role) else Role.parse(role)
    if organisation:
        user.organisation, _ = _organisation(session, organisation)
    if user.role is Role.OPERATOR and user.organisation is None:
        raise InvalidRequest("an operator belongs to an organisation: give --organisation")
    _end_sessions(session, user.id)
    session.flush()
    audit.record(session, by, "user.role_changed", "user", user.username, before=before,
                 after=_user_view(user))  # fmt: skip
    return user


def disable_user(session: Session, username: str, *, by: Actor | str | None) -> AppUser:
    """Stop a user signing in: sessions end and tokens stop working. Nothing is deleted."""
    user = get_user(session, username)
    if user.disabled_at is not None:
        return user
    before = _user_view(user)
    user.disabled_at = _now()
    _end_sessions(session, user.id)
    session.flush()
    audit.record(session, by, "user.disabled", "user", user.username, before=before,
                 after=_user_view(user))  # fmt: skip
    return user


def enable_user(session: Session, username: str, *, by: Actor | str | None) -> AppUser:
    """Let a disabled user sign in again (their revoked tokens stay revoked)."""
    user = get_user(session, username)
    if user.disabled_at is None:
        return user
    before = _user_view(user)
    user.disabled_at = None
    session.flush()
    audit.record(session, by, "user.enabled", "user", user.username, before=before,
                 after=_user_view(user))  # fmt: skip
    return user


def list_users(session: Session) -> list[AppUser]:
    """Every user, by name."""
    return list(session.scalars(select(AppUser).order_by(AppUser.username)))


# -- API tokens ------------------------------------------------------------------------------


def create_token(
    session: Session,
    username: str,
    name: str,
    *,
    by: Actor | str | None,
    days: int | None = None,
) -> tuple[ApiToken, str]:
    """A new token for ``username``; returns it and the secret (shown once, never stored)."""
    user = get_user(session, username)
    if user.disabled_at is not None:
        raise Conflict(f"user {user.username!r} is disabled")
    label = name.strip()
    if not label or len(label) > 100:
        raise InvalidRequest("give the token a name of 1–100 characters (what it is for)")
    if days is not None and days < 1:
        raise InvalidRequest("a token lasts at least one day")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, name=label, prefix=secret[:12], token_hash=_sha256(secret),
        expires_at=_now() + dt.timedelta(days=days) if days else None,
    )  # fmt: skip
    session.add(token)
    session.flush()
    audit.record(session, by, "token.created", "token", token.id,
                 after={"user": user.username, "name": label, "prefix": token.prefix,
                        "expires_at": token.expires_at})  # fmt: skip
    return token, secret


def revoke_token(session: Session, token_id: int, *, by: Actor | str | None) -> ApiToken:
    """Revoke a token: it stops working at once."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"no token with id {token_id}")
    if token.revoked_at is None:
        token.revoked_at = _now()
        session.flush()
        audit.record(session, by, "token.revoked", "token", token.id,
                     after={"user": token.user.username, "name": token.name,
                            "prefix": token.prefix})  # fmt: skip
    return token


def list_tokens(session: Session, username: str | None = None) -> list[ApiToken]:
    """Tokens (all, or one user's), newest first."""
    query = select(ApiToken).order_by(ApiToken.id.desc())
    if username:
        query = query.where(ApiToken.user_id == get_user(session, username).id)
    return list(session.scalars(query))


def _principal(user: AppUser, via: str, csrf: str | None = None) -> Principal:
    return Principal(
        user.id, user.username, user.role, user.organisation_id,
        user.organisation.name if user.organisation else None, via, csrf,
    )  # fmt: skip


def principal_from_token(session: Session, secret: str) -> Principal | None:
    """The user a token belongs to, if it is valid (not revoked, expired or disabled)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = session.scalars(select(ApiToken).where(ApiToken.token_hash == _sha256(secret))).first()
    now = _now()
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.user.disabled_at is not None:
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        token.last_used_at = now  # kept coarse: not a write on every tile request
        session.commit()
    return _principal(token.user, "token")


# -- web sessions ----------------------------------------------------------------------------


def _recent_failures(session: Session, username: str, address: str | None) -> tuple[int, int]:
    since = _now() - FAILURE_WINDOW
    by_name = session.scalar(
        select(func.count()).where(LoginFailure.username == username, LoginFailure.at > since)
    )
    by_address = 0
    if address:
        by_address = (
            session.scalar(
                select(func.count()).where(LoginFailure.address == address, LoginFailure.at > since)
            )
            or 0
        )
    return by_name or 0, by_address


def sign_in(
    session: Session, username: str, password: str, *, address: str | None
) -> tuple[str, Principal] | None:
    """Check a password and open a session: the cookie secret and who signed in.

    Returns None for a wrong user name or password (the failure is recorded; the caller
    commits). Raises TooManyAttempts after too many recent failures, without checking.
    """
    name = username.strip().lower()[:200]
    by_name, by_address = _recent_failures(session, name, address)
    if by_name >= get_settings().login_attempts or by_address >= FAILURES_PER_ADDRESS:
        raise TooManyAttempts(
            "too many failed sign-ins for this user name or from this address: "
            f"wait {FAILURE_WINDOW.seconds // 60} minutes and try again",
            retry_after=FAILURE_WINDOW.seconds,
        )
    user = session.scalars(select(AppUser).where(AppUser.username == name)).first()
    ok = False
    try:
        ok = _hasher.verify(user.password_hash if user and user.password_hash else _DUMMY_HASH,
                            password)  # fmt: skip
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None or user.password_hash is None or user.disabled_at is not None:
        session.add(LoginFailure(username=name, address=address))
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    secret = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    hours = get_settings().session_hours
    session.add(WebSession(key_hash=_sha256(secret), user_id=user.id, csrf_token=csrf,
                           expires_at=_now() + dt.timedelta(hours=hours)))  # fmt: skip
    audit.record(session, Actor(user.username, user.id), "user.signed_in", "user",
                 user.username, after={"address": address})  # fmt: skip
    return secret, _principal(user, "session", csrf)


def principal_from_session(session: Session, secret: str) -> Principal | None:
    """The user a session cookie belongs to, while the session lasts."""
    if not secret or len(secret) > 200:
        return None
    row = session.get(WebSession, _sha256(secret))
    if row is None or row.ended_at is not None or row.expires_at <= _now():
        return None
    user = session.get(AppUser, row.user_id)
    if user is None or user.disabled_at is not None:
        return None
    return _principal(user, "session", row.csrf_token)


def sign_out(session: Session, secret: str) -> None:
    """End a session (signing out)."""
    row = session.get(WebSession, _sha256(secret))
    if row is not None and row.ended_at is None:
        row.ended_at = _now()


def _end_sessions(session: Session, user_id: int) -> None:
    for row in session.scalars(
        select(WebSession).where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
    ):
        row.ended_at = _now()
