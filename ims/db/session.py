"""The engine and sessions, resolved once from the settings (or the embedded cluster).

ims logs in to its database twice over (docs/decisions/0001-database-roles-and-derived-tables.md):

- the **application** (the API, the CLI commands that read and write data) logs in as
  ``ims_app``, a role that owns nothing, may only add records of history and may only read
  the data derived from them;
- the **owner** (migrations, backup, restore, ``ims audit verify``) logs in as the role that
  owns the schema.

The embedded cluster has both logins (trust on its private socket). On a server of one's
own, ``IMS_DATABASE_URL`` is the application's login and ``IMS_ADMIN_DATABASE_URL`` the
owner's; without the latter, ims logs in as ``IMS_DATABASE_URL`` for both and only sets
the role ``ims_app`` on each connection (the fallback, which a ``RESET ROLE`` undoes).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from ims.config import Settings, get_settings
from ims.db.embedded import EmbeddedCluster
from ims.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

# The role ims works as (made by migration 0008, a login since 0009): it owns nothing, may
# not update, delete or truncate the records of history and the audit trail, and only
# reads the derived tables (ledger, remaining geometry, overlaps), which the owner's
# functions write.
APP_ROLE = "ims_app"
_TAKE_APP_ROLE = "SELECT pg_has_role(current_user, oid, 'MEMBER') FROM pg_roles WHERE rolname = %s"
SHARED_LOGIN_WARNING = (
    "IMS_ADMIN_DATABASE_URL is not set: ims logs in with IMS_DATABASE_URL for everything "
    f"and only sets the role {APP_ROLE}, which a RESET ROLE undoes; give the application a "
    f"login of its own ({APP_ROLE}) and set IMS_ADMIN_DATABASE_URL to the owner's (README)"
)


@dataclass(frozen=True)
class Logins:
    """The database URLs ims logs in with."""

    app: str  # the application (API, CLI data commands): ims_app
    owner: str  # migrations, backup, restore, audit verification
    shared: bool  # one login for both (the fallback: the owner with SET ROLE ims_app)


def use_app_role(engine: Engine) -> Engine:
    """Make every new connection of ``engine`` work as ``APP_ROLE`` where it may.

    For a login that is ``APP_ROLE`` itself this changes nothing; for the owner's login
    (the fallback without ``IMS_ADMIN_DATABASE_URL``) it sets the role.
    """

    @event.listens_for(engine, "connect")
    def _take_role(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(_TAKE_APP_ROLE, (APP_ROLE,))
            row = cursor.fetchone()
            if row and row[0]:
                cursor.execute(f"SET ROLE {APP_ROLE}")
        dbapi_connection.commit()  # a SET in a rolled-back transaction would be undone

    return engine


def bound_statements(engine: Engine, seconds: float) -> Engine:
    """Stop each statement on ``engine``'s connections after ``seconds`` (the server's:
    a request whose reader has gone would otherwise run on in the database)."""

    @event.listens_for(engine, "connect")
    def _bounded(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {max(1, round(seconds * 1000))}")
        dbapi_connection.commit()  # a SET in a rolled-back transaction would be undone

    return engine


def embedded_cluster(settings: Settings | None = None) -> EmbeddedCluster:
    """The embedded cluster configured by the settings (it may not be running)."""
    settings = settings or get_settings()
    return EmbeddedCluster(Path(settings.data_dir), service_user=settings.service_user)


def logins(settings: Settings | None = None, *, start: bool = True) -> Logins:
    """How ims logs in: the settings' URLs, or the embedded cluster's (started if ``start``)."""
    settings = settings or get_settings()
    if settings.database_url:
        app = normalise_url(settings.database_url)
        if settings.admin_database_url:
            return Logins(app, normalise_url(settings.admin_database_url), shared=False)
        return Logins(app, app, shared=True)
    cluster = embedded_cluster(settings)
    new = start and not cluster.initialised
    owner = cluster.up() if start else cluster.url()
    if new:  # said aloud: a command that finds no database makes an empty one
        log.warning(
            "there was no database in %s: created a new, empty one (set IMS_DATA_DIR or "
            "IMS_DATABASE_URL to use another)",
            Path(settings.data_dir).resolve(),
        )
    return Logins(cluster.url(user=APP_ROLE), owner, shared=False)


def app_url(owner_url: str) -> str:
    """The application's login to the same database as ``owner_url`` (embedded cluster)."""
    return (
        make_url(owner_url)
        .set(username=APP_ROLE, password=None)
        .render_as_string(hide_password=False)
    )


def database_url(settings: Settings | None = None, *, start: bool = True) -> str:
    """The application's database URL (``IMS_DATABASE_URL``, else the embedded cluster)."""
    return logins(settings, start=start).app


def owner_database_url(settings: Settings | None = None, *, start: bool = True) -> str:
    """The owner's database URL (migrations, backup, restore, audit verification)."""
    return logins(settings, start=start).owner


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver whatever flavour of PostgreSQL URL was given."""
    for prefix in ("postgresql+psycopg2://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# Connections kept open for the requests a server answers at once (a map asks for six
# tiles at a time, per reader). With SQLAlchemy's 5 kept, every request past the fifth
# opened a connection of its own and closed it after: a new server process that loads
# PostGIS again, most of what a tile answered from memory cost under load.
POOL_SIZE = 20


def make_engine(url: str) -> Engine:
    """Create an engine for ``url`` that works as the application's role."""
    return use_app_role(
        create_engine(
            url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_SIZE, future=True
        )
    )


def make_owner_engine(url: str) -> Engine:
    """Create an engine for the owner's login (no pool: it is used for one job)."""
    return create_engine(url, poolclass=NullPool, future=True)


@lru_cache
def get_engine() -> Engine:
    """The process-wide engine."""
    return make_engine(database_url())


def get_sessionmaker() -> sessionmaker[Session]:
    """A session factory bound to the process-wide engine."""
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = get_sessionmaker()()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def check_database(engine: Engine) -> dict[str, str]:
    """Check the database answers and has PostGIS; return their versions."""
    try:
        with engine.connect() as conn:
            pg = conn.execute(text("SHOW server_version")).scalar_one()
            postgis = conn.execute(
                text("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
            ).scalar_one_or_none()
            has_alembic = conn.execute(
                text("SELECT to_regclass('alembic_version') IS NOT NULL")
            ).scalar_one()
            revision = (
                conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
                if has_alembic
                else None
            )
            login = conn.execute(
                text(
                    "SELECT session_user || CASE WHEN current_user <> session_user"
                    " THEN ' as ' || current_user ELSE '' END"
                )
            ).scalar_one()
    except DBAPIError as exc:
        if not is_unavailable(exc):
            raise
        raise DatabaseUnavailable(f"cannot reach the database: {reason(exc)}") from None
    return {
        "postgresql": str(pg),
        "postgis": str(postgis or "missing"),
        "schema_revision": str(revision or "none"),
        "login": str(login),
    }


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on ``engine`` that keep their objects usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def is_unavailable(exc: DBAPIError) -> bool:
    """Whether a database error means the database cannot be used now (not a bad query).

    Connection failures and lost connections (a server down, restarting, or ending the
    session: psycopg's OperationalError, or a closed connection's InterfaceError).
    """
    import psycopg

    orig = exc.orig
    if exc.connection_invalidated or isinstance(orig, psycopg.InterfaceError):
        return True
    if not isinstance(orig, psycopg.OperationalError):
        return False
    sqlstate = getattr(orig, "sqlstate", None)
    # No SQLSTATE: the client could not connect or lost the connection. Class 08 is a
    # connection exception, 57P01-57P03 an administrator or crash shutdown or a server
    # that cannot take connections now.
    return (
        sqlstate is None
        or sqlstate.startswith("08")
        or sqlstate in {"57P01", "57P02", "57P03", "53300"}
    )


def reason(exc: DBAPIError) -> str:
    """The first line of what the database driver said."""
    text_ = str(exc.orig).strip() or type(exc.orig).__name__
    return text_.splitlines()[0]
