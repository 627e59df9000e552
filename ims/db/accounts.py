"""Users, API tokens and web sessions.

Passwords are hashed with Argon2 (argon2-cffi). API tokens and session keys are random
secrets shown once; only their SHA-256 is stored, so a copy of the database does not let
anyone sign in. Every change to a user or a token is in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from ims.config import get_settings
from ims.db import audit
from ims.db.audit import Actor
from ims.db.models import (
    ApiToken,
    AppUser,
    KnownDevice,
    LoginFailure,
    Organisation,
    WebSession,
)
from ims.domain.enums import Role
from ims.errors import Conflict, InvalidRequest, NotFound, TooManyAttempts

log = logging.getLogger(__name__)

OPERATOR_NEEDS_ORGANISATION = "an operator belongs to an organisation: choose one for {user}"

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
MIN_PASSWORD = 10
TOO_SHORT = f"a password needs at least {MIN_PASSWORD} characters"
TOKEN_PREFIX = "ims_"
FAILURES_PER_ADDRESS = 50  # from unknown devices, whatever the user names
SIGN_IN_LOCKS = 51_691_302  # advisory locks (key space, counter) while a sign-in is checked

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
        raise InvalidRequest(TOO_SHORT)


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


def _organisation(session: Session, name: str, *, new: bool = False) -> tuple[Organisation, bool]:
    """The organisation of that name (any capitals), and whether it was added now.

    A user's organisation decides which submissions they see, so a typo must not become
    an organisation of its own (an operator of "Npa" would see none of NPA's): an unknown
    name is refused with the close ones, unless ``new`` (``--new-org``) adds it.
    """
    name = name.strip()
    org = session.scalars(
        select(Organisation).where(func.lower(Organisation.name) == name.lower())
    ).first()
    if org is not None:
        return org, False
    if not new:
        known = {k.lower(): k for k in session.scalars(select(Organisation.name))}
        close = [known[c] for c in difflib.get_close_matches(name.lower(), sorted(known), 3)]
        hint = f"did you mean {' or '.join(close)}? " if close else ""
        raise InvalidRequest(
            f"unknown organisation {name!r}: {hint}An admin adds organisations on the "
            "reference page (/admin/reference) or with ims reference add-organisation; "
            "ims users add … --new-org adds the one named",
            field="organisation",
        )
    org = Organisation(name=name, kind="operator")
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
    new_organisation: bool = False,
) -> AppUser:
    """Add a user. Operators need an organisation: one ims knows, or ``new_organisation``
    adds it."""
    name = normalise_username(username)
    role = role if isinstance(role, Role) else Role.parse(role)
    if session.scalars(select(AppUser.id).where(AppUser.username == name)).first() is not None:
        raise Conflict(f"user {name!r} already exists")
    # every mistake of the form at once: the short password had been said only once the
    # organisation was chosen (a new user's review)
    problems = []
    if role is Role.OPERATOR and not (organisation and organisation.strip()):
        problems.append(OPERATOR_NEEDS_ORGANISATION.format(user=name))
    if password is not None and len(password) < MIN_PASSWORD:
        problems.append(TOO_SHORT)
    if problems:
        raise InvalidRequest("; ".join(problems))
    org = None
    if organisation and organisation.strip():
        org, added = _organisation(session, organisation, new=new_organisation)
        if added:
            audit.record(
                session,
                by,
                "organisation.added",
                "organisation",
                org.name,
                after={"name": org.name, "kind": org.kind},
            )
    user = AppUser(
        username=name,
        role=role,
        organisation=org,
        full_name=full_name,
        password_hash=_hasher.hash(password) if password else None,
    )
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
    _forget_devices(session, user.id)
    audit.record(session, by, "user.password_set", "user", user.username)


def check_own_password(
    session: Session, username: str, password: str, *, address: str | None
) -> bool:
    """Whether ``password`` is the signed-in user's, before they change it.

    Wrong ones are counted as sign-ins are (the same waits, TooManyAttempts while one is
    due), so that a stolen session cannot guess it without limit (found by an attack on
    our own instance: 40 guesses, no wait); but on a counter of their own, the user's
    account page's: failed sign-ins by strangers, under the user's name or from the same
    address, had kept the user from changing the password they were guessing (found by a
    third attack). A failure is recorded; the caller commits."""
    user = get_user(session, username)
    key = _sha256(f"own password of user {user.id}")  # never a device cookie's hash
    _one_at_a_time(session, user.username, address, key)
    try:
        _check_pause(session, user.username, address, key, known=True)
    except TooManyAttempts as exc:
        seconds = exc.extra["retry_after"]
        raise TooManyAttempts(
            f"too many wrong current passwords: wait {seconds} seconds and try again (each "
            "further one doubles the wait)",
            retry_after=seconds,
        ) from None
    if password_matches(user, password):
        session.execute(delete(LoginFailure).where(LoginFailure.device_hash == key))
        return True
    session.add(LoginFailure(username=user.username, address=address, device_hash=key, at=_now()))
    log.warning(
        "wrong current password given to change %r's, from %s",
        user.username,
        address or "an unknown address",
    )
    return False


def password_matches(user: AppUser, password: str) -> bool:
    """Whether ``password`` is ``user``'s (for the demo, which prints the passwords it set)."""
    if not user.password_hash:
        return False
    try:
        return bool(_hasher.verify(user.password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def _not_oneself(user: AppUser, by: Actor | str | None, what: str) -> None:
    """Refuse a signed-in user changing their own standing (they could lock themselves out)."""
    if isinstance(by, Actor) and by.user_id is not None and by.user_id == user.id:
        raise InvalidRequest(f"you cannot {what} yourself: ask another admin")


def _keep_an_admin(session: Session, user: AppUser, what: str) -> None:
    """Refuse to take the last admin who can sign in away: only the server's command line
    could make one again. Two admins demoting each other at once had left none (a third
    attack): the admins' rows are locked, so the second change sees the first."""
    if user.role is not Role.ADMIN or user.disabled_at is not None:
        return
    admins = session.scalars(
        select(AppUser.id)
        .where(AppUser.role == Role.ADMIN, AppUser.disabled_at.is_(None))
        .order_by(AppUser.id)
        .with_for_update()
    ).all()
    if not set(admins) - {user.id}:
        raise InvalidRequest(
            f"{user.username} is the last admin who can sign in: make another user an admin "
            f"before you {what} them"
        )


def set_role(
    session: Session,
    username: str,
    role: Role | str,
    *,
    by: Actor | str | None,
    organisation: str | None = None,
) -> AppUser:
    """Change a user's role (and organisation); never one's own."""
    user = get_user(session, username)
    _not_oneself(user, by, "change the role of")
    before = _user_view(user)
    new_role = role if isinstance(role, Role) else Role.parse(role)
    # the organisation looked up before the role is set: the lookup flushed the user as an
    # operator of no organisation, which the database refuses (a 500 for a viewer made
    # an operator of MAG, found by a walk-through as an administrator)
    found: Organisation | None
    if organisation:
        found = _organisation(session, organisation)[0]
    elif new_role is Role.OPERATOR:
        found = user.organisation
    else:  # only an operator belongs to one: a reviewer kept an operator's (a walk-through)
        found = None
    if new_role is Role.OPERATOR and found is None:
        raise InvalidRequest(OPERATOR_NEEDS_ORGANISATION.format(user=user.username))
    if new_role is not Role.ADMIN:
        article = "an" if new_role.value[0] in "aeiou" else "a"
        _keep_an_admin(session, user, f"make {article} {new_role.value} of")
    user.organisation = found
    user.role = new_role
    _end_sessions(session, user.id)
    session.flush()
    audit.record(
        session,
        by,
        "user.role_changed",
        "user",
        user.username,
        before=before,
        after=_user_view(user),
    )
    return user


def disable_user(session: Session, username: str, *, by: Actor | str | None) -> AppUser:
    """Stop a user signing in: sessions end and tokens are revoked. Nothing is deleted.

    The tokens stay revoked if the user is enabled again: a token made for a script
    before is not revived by giving its owner their account back.
    """
    user = get_user(session, username)
    _not_oneself(user, by, "disable")
    if user.disabled_at is not None:
        return user
    _keep_an_admin(session, user, "disable")
    before = _user_view(user)
    user.disabled_at = _now()
    _end_sessions(session, user.id)
    _forget_devices(session, user.id)
    for token in session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        revoke_token(session, token.id, by=by)
    session.flush()
    audit.record(
        session, by, "user.disabled", "user", user.username, before=before, after=_user_view(user)
    )
    return user


def enable_user(session: Session, username: str, *, by: Actor | str | None) -> AppUser:
    """Let a disabled user sign in again (their revoked tokens stay revoked)."""
    user = get_user(session, username)
    if user.disabled_at is None:
        return user
    before = _user_view(user)
    user.disabled_at = None
    session.flush()
    audit.record(
        session, by, "user.enabled", "user", user.username, before=before, after=_user_view(user)
    )
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
        user_id=user.id,
        name=label,
        prefix=secret[:12],
        token_hash=_sha256(secret),
        expires_at=_now() + dt.timedelta(days=days) if days else None,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        by,
        "token.created",
        "token",
        token.id,
        after={
            "user": user.username,
            "name": label,
            "prefix": token.prefix,
            "expires_at": token.expires_at,
        },
    )
    return token, secret


def revoke_tokens_of(session: Session, username: str, *, by: Actor | str | None) -> int:
    """Revoke every live API token of a user (their password was reset after a takeover,
    say); how many."""
    user = get_user(session, username)
    live = session.scalars(
        select(ApiToken.id).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for token_id in live:
        revoke_token(session, token_id, by=by)
    return len(live)


def revoke_token(session: Session, token_id: int, *, by: Actor | str | None) -> ApiToken:
    """Revoke a token: it stops working at once."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"no token with id {token_id}")
    if token.revoked_at is None:
        token.revoked_at = _now()
        session.flush()
        audit.record(
            session,
            by,
            "token.revoked",
            "token",
            token.id,
            after={"user": token.user.username, "name": token.name, "prefix": token.prefix},
        )
    return token


def list_tokens(session: Session, username: str | None = None) -> list[ApiToken]:
    """Tokens (all, or one user's), newest first."""
    query = select(ApiToken).order_by(ApiToken.id.desc())
    if username:
        query = query.where(ApiToken.user_id == get_user(session, username).id)
    return list(session.scalars(query))


def _principal(user: AppUser, via: str, csrf: str | None = None) -> Principal:
    return Principal(
        user.id,
        user.username,
        user.role,
        user.organisation_id,
        user.organisation.name if user.organisation else None,
        via,
        csrf,
    )


# Who a request comes from, with their organisation's name, in plain columns: this runs
# for every tile a map or a script asks for, and loading ORM objects (the user, then their
# organisation in a second round trip) was a sixth of the server's time on a cached tile.
_WHO = (
    AppUser.id.label("user_id"),
    AppUser.username,
    AppUser.role,
    AppUser.organisation_id,
    Organisation.name.label("organisation"),
    AppUser.disabled_at,
)


def _who(row: Any, via: str, csrf: str | None = None) -> Principal:
    return Principal(
        row.user_id, row.username, row.role, row.organisation_id, row.organisation, via, csrf
    )


def principal_from_token(session: Session, secret: str) -> Principal | None:
    """The user a token belongs to, if it is valid (not revoked, expired or disabled)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    # the token and its user in one round trip
    token = session.execute(
        select(
            ApiToken.id.label("token_id"),
            ApiToken.revoked_at,
            ApiToken.expires_at,
            ApiToken.last_used_at,
            *_WHO,
        )
        .join(AppUser, AppUser.id == ApiToken.user_id)
        .outerjoin(Organisation, Organisation.id == AppUser.organisation_id)
        .where(ApiToken.token_hash == _sha256(secret))
    ).first()
    now = _now()
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.disabled_at is not None:
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        # kept coarse: not a write on every tile request
        session.execute(
            update(ApiToken).where(ApiToken.id == token.token_id).values(last_used_at=now)
        )
        session.commit()
    return _who(token, "token")


# -- web sessions ----------------------------------------------------------------------------


# Sign-in failures slow guessing down with growing delays rather than a lock: after
# ``IMS_LOGIN_ATTEMPTS`` failures, each further attempt must wait DELAY_BASE, then twice as
# long, and so on up to DELAY_MAX, from the last failure. The counts are kept apart: per
# known device (a browser that signed in with the right password before), and for unknown
# devices per user name and per address. Guessing from elsewhere therefore never holds up
# a user's own browser; the right password resets the counter it was checked against.
DELAY_BASE = dt.timedelta(seconds=10)
DELAY_MAX = dt.timedelta(minutes=15)
FAILURE_WINDOW = dt.timedelta(hours=24)  # older failures no longer count


@dataclass(frozen=True)
class SignedIn:
    """A successful sign-in: the session's cookie secret, who, and the device cookie."""

    secret: str
    principal: Principal
    device_secret: str  # the known-device cookie (the one sent, or a new one)


def wait_after(failures: int, allowed: int) -> dt.timedelta:
    """How long after the last failure the next attempt must wait."""
    if failures < allowed:
        return dt.timedelta(0)
    wait: dt.timedelta = DELAY_BASE * 2 ** min(failures - allowed, 20)
    return min(wait, DELAY_MAX)


def _failures(session: Session, *conditions: Any) -> tuple[int, dt.datetime | None]:
    """How many failures match, within the window, and when the last one was."""
    count, last = session.execute(
        select(func.count(), func.max(LoginFailure.at)).where(
            LoginFailure.at > _now() - FAILURE_WINDOW, *conditions
        )
    ).one()
    return int(count or 0), last


def _known_device(session: Session, secret: str | None, user: AppUser | None) -> str | None:
    """The key of the known device ``secret`` names, if it is one of ``user``'s."""
    if not secret or user is None or len(secret) > 200:
        return None
    key = _sha256(secret)
    device = session.get(KnownDevice, key)
    return key if device is not None and device.user_id == user.id else None


def _one_at_a_time(session: Session, name: str, address: str | None, device: str | None) -> None:
    """Hold until the caller commits the counters this attempt is checked against.

    The counters are read, the password checked and a failure recorded in one transaction;
    without this, guesses sent all at once all read the same counters and all checked
    (20 at a time once a wait was over, not one). Locks are taken in one order (the device
    or the name, then the address), so two attempts never wait on each other in a cycle.
    """
    keys = [f"device:{device}"] if device is not None else [f"user:{name}"]
    if device is None and address:
        keys.append(f"address:{address}")
    for key in keys:
        session.execute(
            text("SELECT pg_advisory_xact_lock(:space, hashtext(:key))"),
            {"space": SIGN_IN_LOCKS, "key": key},
        )


def _check_pause(
    session: Session, name: str, address: str | None, device: str | None, *, known: bool
) -> None:
    """Raise TooManyAttempts while this attempt must still wait (nothing is checked then)."""
    allowed = get_settings().login_attempts
    if device is not None:
        counts = [(_failures(session, LoginFailure.device_hash == device), allowed)]
    else:
        unknown = LoginFailure.device_hash.is_(None)
        counts = [(_failures(session, LoginFailure.username == name, unknown), allowed)]
        if address:
            by_address = _failures(session, LoginFailure.address == address, unknown)
            counts.append((by_address, FAILURES_PER_ADDRESS))
    now = _now()
    for (failures, last), limit in counts:
        if last is None:
            continue
        ready = last + wait_after(failures, limit)
        if ready > now:
            seconds = max(1, int((ready - now).total_seconds() + 0.999))
            log.warning(
                "sign-in of %s from %s held back %d s after %d failures",
                repr(name) if known else "a user name no one has",
                address or "an unknown address",
                seconds,
                failures,
            )
            raise TooManyAttempts(
                f"too many failed sign-ins: wait {seconds} seconds and try again (each further "
                "failure doubles the wait; a browser you have signed in from before is not "
                "held up)",
                retry_after=seconds,
            )


def sign_in(
    session: Session,
    username: str,
    password: str,
    *,
    address: str | None,
    device_secret: str | None = None,
) -> SignedIn | None:
    """Check a password and open a session.

    Returns None for a wrong user name or password (the failure is recorded; the caller
    commits). Raises TooManyAttempts, without checking the password, while the failures
    counted against this attempt still ask it to wait.
    """
    name = username.strip().lower()[:200]
    user = session.scalars(select(AppUser).where(AppUser.username == name)).first()
    device = _known_device(session, device_secret, user)
    _one_at_a_time(session, name, address, device)
    _check_pause(session, name, address, device, known=user is not None)
    ok = False
    try:
        ok = _hasher.verify(
            user.password_hash if user and user.password_hash else _DUMMY_HASH, password
        )
    except (VerificationError, InvalidHashError):
        ok = False
    if ok and user is not None and user.disabled_at is not None:
        # The right password of a disabled account fails as a wrong one does, and the
        # sign-in page says that a disabled account cannot sign in either. Told
        # "disabled" only with the right password, anyone could confirm a guessed password
        # of a former colleague's account (an attack on our own instance, helper-96);
        # its owner's browsers are forgotten when it is disabled, so none can be told apart.
        log.warning("sign-in of the disabled user %r from %s", name, address or "unknown")
    if not ok or user is None or user.password_hash is None or user.disabled_at is not None:
        # when it failed, not when its transaction began (it may have waited its turn)
        session.add(LoginFailure(username=name, address=address, device_hash=device, at=_now()))
        # in the server's log as well, for the administrator: a failed sign-in had been a
        # 401 line of the access log only (found by a walk-through as an administrator)
        # (a name no user has is not written: it may be a password typed in the wrong box)
        who = repr(name) if user is not None else "a user name no one has"
        log.warning("sign-in failed for %s from %s", who, address or "an unknown address")
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    # The right password resets the counter it was checked against.
    if device is not None:
        session.execute(delete(LoginFailure).where(LoginFailure.device_hash == device))
        session.execute(
            update(KnownDevice).where(KnownDevice.key_hash == device).values(last_seen_at=_now())
        )
        kept_device = str(device_secret)
    else:
        session.execute(
            delete(LoginFailure).where(
                LoginFailure.username == name, LoginFailure.device_hash.is_(None)
            )
        )
        kept_device = secrets.token_urlsafe(32)
        session.add(KnownDevice(key_hash=_sha256(kept_device), user_id=user.id))
    secret = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    hours = get_settings().session_hours
    session.add(
        WebSession(
            key_hash=_sha256(secret),
            user_id=user.id,
            csrf_token=csrf,
            expires_at=_now() + dt.timedelta(hours=hours),
        )
    )
    after = {"address": address, "known_device": device is not None}
    actor = Actor(user.username, user.id)
    audit.record(session, actor, "user.signed_in", "user", user.username, after=after)
    return SignedIn(secret, _principal(user, "session", csrf), kept_device)


def principal_from_session(session: Session, secret: str) -> Principal | None:
    """The user a session cookie belongs to, while the session lasts."""
    if not secret or len(secret) > 200:
        return None
    # the session and its user in one round trip
    row = session.execute(
        select(WebSession.ended_at, WebSession.expires_at, WebSession.csrf_token, *_WHO)
        .join(AppUser, AppUser.id == WebSession.user_id)
        .outerjoin(Organisation, Organisation.id == AppUser.organisation_id)
        .where(WebSession.key_hash == _sha256(secret))
    ).first()
    if row is None:
        return None
    if row.ended_at is not None or row.expires_at <= _now():
        return None
    if row.disabled_at is not None:
        return None
    return _who(row, "session", row.csrf_token)


def sign_out(session: Session, secret: str) -> None:
    """End a session (signing out)."""
    row = session.get(WebSession, _sha256(secret))
    if row is not None and row.ended_at is None:
        row.ended_at = _now()


def _forget_devices(session: Session, user_id: int) -> None:
    """The user's browsers are known no more (a new password, or disabled): a browser
    someone else had signed in from kept its own counter of failures (a third attack)."""
    session.execute(delete(KnownDevice).where(KnownDevice.user_id == user_id))


def _end_sessions(session: Session, user_id: int) -> None:
    for row in session.scalars(
        select(WebSession).where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
    ):
        row.ended_at = _now()
