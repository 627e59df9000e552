"""Running the Alembic migrations from ims (the CLI, the tests, `ims demo`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from geoalchemy2 import alembic_helpers
from sqlalchemy import Connection, Engine, text

from ims import __version__
from ims.errors import SetupError
from ims.resources import ALEMBIC_INI, MIGRATIONS

# PostGIS's own tables (and those of its optional extensions) are not ims's to manage.
FOREIGN_TABLES = frozenset({"spatial_ref_sys", "topology", "layer"})


def alembic_config(url: str | None = None) -> Config:
    """Alembic configuration for ims's migrations, optionally pinned to ``url``.

    From a checkout it reads ``alembic.ini`` (which the ``alembic`` command uses too); an
    installed ims has none and needs only where its migrations are.
    """
    cfg = Config(str(ALEMBIC_INI)) if ALEMBIC_INI is not None else Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@dataclass(frozen=True)
class Step:
    """A migration applied: its revision and the first line of what it says of itself."""

    revision: str
    title: str


def upgrade(engine: Engine, revision: str = "head", *, by: str = "ims") -> list[Step]:
    """Migrate the database behind ``engine`` (the owner's login) to ``revision``; the
    migrations applied, oldest first.

    Refuses, with a SetupError, a database whose schema is newer than this ims knows (it
    was migrated by a later version): nothing is changed then. A database that held a
    schema already gets an audit event ``database.migrated`` (from, to, each step) in the
    migration's transaction, ``by`` naming who ran it: an upgrade had left no trace in the
    trail an authority trusts for decades (a walk-through upgrading an older install).
    """
    cfg = alembic_config()
    scripts = ScriptDirectory.from_config(cfg)
    current = current_revision(engine)
    if current is not None:
        refuse_unknown(current, "the database schema")
        if revision == "head" and current in scripts.get_heads():
            return []  # at head already: every command checks, and alembic's run costs ~0.5 s
    steps = [
        Step(str(script.revision), (script.doc or "").strip().splitlines()[0])
        for script in reversed(list(scripts.iterate_revisions(revision, current)))
    ]
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL ROLE NONE"))  # migrate as the owner, not as ims_app
        _refuse_a_login_that_does_not_own(conn, current)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        # The application's privileges, for every table a migration made (and re-applied,
        # so none granted by hand survives a migration).
        after = MigrationContext.configure(conn).get_current_revision()
        migrated = after != current
        if migrated and conn.scalar(
            text("SELECT to_regprocedure('ims_grant_app_role()') IS NOT NULL")
        ):
            conn.execute(text("SELECT ims_grant_app_role()"))
        if (
            migrated
            and current is not None
            and conn.scalar(text("SELECT to_regclass('audit_event') IS NOT NULL"))
        ):
            _audit_migration(conn, by, current, str(after), steps)
    if migrated:
        # A migration may rewrite a table, whose visibility map (what lets an index-only
        # scan skip the table, as the map's tiles do) is then empty until a vacuum, and add
        # indexes the planner needs statistics for: both now, not whenever autovacuum comes.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("SET ROLE NONE"))
            conn.execute(text("VACUUM (ANALYZE)"))
            conn.execute(text("RESET ROLE"))
    return steps if migrated else []


def _refuse_a_login_that_does_not_own(conn: Connection, current: str | None) -> None:
    """A SetupError, before any step, when this login cannot alter the schema's tables: the
    application's login set as IMS_DATABASE_URL alone had ended `ims db migrate` in a
    stack trace ("must be owner of table ...") halfway through its steps' transaction."""
    if current is None:
        # an empty database: whoever may create in its schema makes the tables (and owns them)
        if conn.scalar(text("SELECT has_schema_privilege('public', 'CREATE')")):
            return
        login, owner = conn.execute(
            text(
                "SELECT current_user, pg_get_userbyid(d.datdba) FROM pg_database d "
                "WHERE d.datname = current_database()"
            )
        ).one()
        raise SetupError(
            f"the database is empty, and ims logs in as {login}, which may not create tables "
            f"in it: making ims's schema needs the owner's login; set IMS_ADMIN_DATABASE_URL "
            f"to {owner}'s, the database's owner (README, \"The database\"). Nothing was "
            "changed"
        )
    login, owner = conn.execute(
        text(
            "SELECT current_user, pg_get_userbyid(c.relowner) FROM pg_class c "
            "WHERE c.oid = 'alembic_version'::regclass"
        )
    ).one()
    if conn.scalar(text("SELECT pg_has_role(current_user, :owner, 'USAGE')"), {"owner": owner}):
        return
    raise SetupError(
        f"the database's tables belong to {owner}, and ims logs in as {login}, which may not "
        f"change them: migrating needs the owner's login; set IMS_ADMIN_DATABASE_URL to "
        f'{owner}\'s (README, "The database"). Nothing was changed'
    )


def _audit_migration(conn: Connection, by: str, before: str, after: str, steps: list[Step]) -> None:
    from sqlalchemy.orm import Session

    from ims.db import audit

    with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
        audit.record(
            session,
            by,
            "database.migrated",
            "database",
            after,
            before={"revision": before},
            after={
                "revision": after,
                "ims": __version__,
                "steps": [f"{step.revision} {step.title}" for step in steps],
            },
        )
        session.commit()


def refuse_unknown(revision: str, what: str) -> None:
    """Refuse, with a SetupError, a schema ``revision`` this ims does not know: one a
    newer ims migrated. ``what``: the schema's holder, as the message names it."""
    scripts = ScriptDirectory.from_config(alembic_config())
    try:
        scripts.get_revision(revision)
    except CommandError:
        raise SetupError(
            f"{what} is at revision {revision}, which this version of ims does not know (its "
            f"latest is {scripts.get_current_head()}): it was migrated by a newer ims; run "
            "that version, or restore a backup made with this one"
        ) from None


def newer(engine: Engine) -> str | None:
    """The database's revision when it is one this ims does not know (a newer ims's)."""
    current = current_revision(engine)
    if current is None:
        return None
    try:
        refuse_unknown(current, "")
    except SetupError:
        return current
    return None


def behind(engine: Engine) -> tuple[str, str] | None:
    """(the database's revision, this ims's) when the schema is one this ims knows but
    older than its own; None when it is empty, this ims's own or newer (which ``upgrade``
    refuses, saying so)."""
    current = current_revision(engine)
    scripts = ScriptDirectory.from_config(alembic_config())
    if current is None or current in scripts.get_heads():
        return None
    try:
        scripts.get_revision(current)
    except CommandError:
        return None
    return current, str(scripts.get_current_head())


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database behind ``engine`` down to ``revision``."""
    cfg = alembic_config()
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL ROLE NONE"))
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def heads() -> list[str]:
    """The head revisions of the migration scripts (there should be one)."""
    return list(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL ROLE NONE"))  # a database not yet granted to ims_app
        return MigrationContext.configure(conn).get_current_revision()


# Trigram indexes on expressions (migration 0019): the migration is their one definition,
# as autogenerate cannot compare an expression's operator class.
MIGRATION_ONLY_INDEXES = frozenset(
    {"ix_hazard_reference_text", "ix_hazard_revision_attribute_text"}
)


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Autogenerate filter: skip PostGIS's tables and the indexes only migrations define,
    then apply geoalchemy2's filter."""
    if type_ == "table" and name in FOREIGN_TABLES:
        return False
    if type_ == "index" and name in MIGRATION_ONLY_INDEXES:
        return False
    return bool(
        alembic_helpers.include_object(obj, name, type_, reflected, compare_to)  # type: ignore[no-untyped-call]
    )
