"""The engine and sessions, resolved once from the settings (or the embedded cluster)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ims.config import Settings, get_settings
from ims.db.embedded import EmbeddedCluster
from ims.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

# The role ims works as (made by migration 0008 where the migrating user may make roles):
# it reads and writes every table, but may not update, delete or truncate the records of
# history and the audit trail, and owns nothing, so it cannot drop their triggers.
APP_ROLE = "ims_app"
_TAKE_APP_ROLE = "SELECT pg_has_role(current_user, oid, 'MEMBER') FROM pg_roles WHERE rolname = %s"


def use_app_role(engine: Engine) -> Engine:
    """Make every new connection of ``engine`` work as ``APP_ROLE`` where it may.

    Migrations step out of it for their own transaction (``ims.db.migrate``).
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


def embedded_cluster(settings: Settings | None = None) -> EmbeddedCluster:
    """The embedded cluster configured by the settings (it may not be running)."""
    settings = settings or get_settings()
    return EmbeddedCluster(Path(settings.data_dir), service_user=settings.service_user)


def database_url(settings: Settings | None = None, *, start: bool = True) -> str:
    """The database URL: ``IMS_DATABASE_URL`` if set, else the embedded cluster (started)."""
    settings = settings or get_settings()
    if settings.database_url:
        return normalise_url(settings.database_url)
    cluster = embedded_cluster(settings)
    return cluster.up() if start else cluster.url()


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver whatever flavour of PostgreSQL URL was given."""
    for prefix in ("postgresql+psycopg2://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    """Create an engine for ``url`` that works as the application's role."""
    return use_app_role(create_engine(url, pool_pre_ping=True, future=True))


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
    except OperationalError as exc:
        raise DatabaseUnavailable(f"cannot reach the database: {exc.orig}") from None
    return {
        "postgresql": str(pg),
        "postgis": str(postgis or "missing"),
        "schema_revision": str(revision or "none"),
    }


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on ``engine`` that keep their objects usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)
