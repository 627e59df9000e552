"""``ims db``: the embedded cluster, migrations, backups and the check of derived figures."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy import text

from ims.cli.common import actor, command, database_up, db_session, err, out, progress_bar
from ims.config import get_settings
from ims.words import counted

if TYPE_CHECKING:
    from ims.ingest.approval import Recomputed

db_app = typer.Typer(
    help="The database: the embedded cluster and its migrations.", no_args_is_help=True
)


def _print_status() -> None:
    """Where the database is, whether it runs, its versions and the logins it takes."""
    from ims.db.migrate import heads
    from ims.db.session import (
        SHARED_LOGIN_WARNING,
        check_database,
        embedded_cluster,
        logins,
        make_engine,
    )

    settings = get_settings()
    if settings.database_url:
        out.print("database: external server (IMS_DATABASE_URL)")
        found = logins(settings, start=False)
    else:
        st = embedded_cluster(settings).status()
        state = f"running (pid {st.pid})" if st.running else "stopped"
        if not st.initialised:
            state = "not initialised (run `ims db up`)"
        out.print(f"database: embedded cluster, {state}", highlight=False)
        out.print(f"  data directory: {st.pgdata}", highlight=False)
        out.print(f"  socket:         {st.socket_dir}", highlight=False)
        found = logins(settings, start=False)
        if not st.running:
            out.print(f"  url:            {found.app}", highlight=False)
            if st.initialised:
                out.print(
                    "  schema revision: not known while it is stopped (`ims db up` starts it, "
                    "and migrates nothing)",
                    highlight=False,
                )
            return
    engine = make_engine(found.app)
    try:
        info = check_database(engine)
    finally:
        engine.dispose()
    out.print(f"  url:            {found.app}", highlight=False)
    if not found.shared:
        out.print(f"  owner url:      {found.owner}", highlight=False)
    out.print(
        f"  PostgreSQL {info['postgresql']}, PostGIS {info['postgis']}, "
        f"schema revision {info['schema_revision']}{_against_head(info['schema_revision'])}",
        highlight=False,
    )
    out.print(f"  works as:       {info['login']}", highlight=False)
    if found.shared:
        err.print(f"[bold yellow]warning:[/] {SHARED_LOGIN_WARNING}", highlight=False)
    if info["schema_revision"] not in heads():
        raise typer.Exit(1)  # for scripts and monitors: the schema is not this ims's


def _against_head(revision: object) -> str:
    """How a database's schema revision stands against this ims's own (its migrations')."""
    from ims.db.migrate import heads, refuse_unknown
    from ims.errors import SetupError

    head = heads()
    if revision in head:
        return " (this ims's own)"
    if revision is None:
        return " (empty: `ims db up` or `ims db migrate` makes the schema)"
    try:
        refuse_unknown(str(revision), "")
    except SetupError:  # `ims db migrate` had been advised, which refuses it (helper-89)
        return (
            f" (newer than this ims's {', '.join(head)}: a later ims migrated it; run that "
            "version, or restore a backup made with this one)"
        )
    return (
        f" (this ims's is {', '.join(head)}: back it up with `ims db backup FILE`, then "
        "`ims db migrate`; until then ims's other commands refuse it)"
    )


@command(db_app, "up")
def db_up() -> None:
    """Start the embedded cluster (unless IMS_DATABASE_URL is set), give an empty database
    ims's schema, print the URL. A schema behind this ims's is left as it is, with a
    warning: back it up, then `ims db migrate`."""
    out.print(database_up(when_behind="warn").app, highlight=False, soft_wrap=True)


@command(db_app, "migrate")
def db_migrate() -> None:
    """Migrate the database to this ims's schema, saying each step (back it up first).

    An embedded database that was stopped is started for it and stopped again."""
    from ims.db.migrate import current_revision
    from ims.db.session import embedded_cluster, make_owner_engine

    settings = get_settings()
    cluster = None if settings.database_url else embedded_cluster(settings)
    was_running = cluster is None or cluster.running
    try:
        found = database_up(quiet=True, when_behind="leave")
        engine = make_owner_engine(found.owner)
        try:
            before = current_revision(engine)
        finally:
            engine.dispose()
        database_up(quiet=True, when_behind="migrate")  # says each step it takes
        engine = make_owner_engine(found.owner)
        try:
            after = current_revision(engine)
        finally:
            engine.dispose()
        if before is not None and before != after:
            _recompute_after_migrating()
    finally:
        if cluster is not None and not was_running:
            cluster.stop()
            err.print("the embedded database was stopped before: stopped again", highlight=False)
    out.print(
        f"database migrated from {before or 'empty'} to {after}"
        if before != after
        else f"the schema is already this ims's own ({after}): nothing to migrate",
        highlight=False,
    )


def _recompute_after_migrating() -> None:
    """The ledgers an earlier ims stored that do not add up, computed again with this one's
    code (``ims db recompute``): an upgrade brings the figures with it."""
    from ims.ingest.approval import recompute_ledgers

    with db_session() as session, progress_bar("checking the stored ledgers") as update:
        done = recompute_ledgers(session, by=actor(), progress=update)
        session.commit()
    if done.hazards:
        out.print(_recomputed(done), highlight=False)


@command(db_app, "down")
def db_down() -> None:
    """Stop the embedded cluster."""
    from ims.db.session import embedded_cluster

    settings = get_settings()
    if settings.database_url:
        out.print("IMS_DATABASE_URL is set: ims does not manage that server")
        return
    stopped = embedded_cluster(settings).stop()
    out.print("embedded database stopped" if stopped else "embedded database was not running")


@command(db_app, "status")
def db_status() -> None:
    """Show where the database is, whether it runs, and its schema revision.

    Exit status: 0, or 1 when the schema is not this ims's (empty, of an earlier ims, or of
    a later one), so that scripts and monitors can tell."""
    _print_status()


@command(db_app, "backup")
def db_backup(
    file: Annotated[Path, typer.Argument(help="The backup file to write.")],
    overwrite: Annotated[
        bool, typer.Option(help="Replace FILE if it exists (otherwise refused).")
    ] = False,
) -> None:
    """Write the whole database to FILE (pg_dump custom format), readable by its owner only.

    An embedded database that was stopped is started for the backup and stopped again (it
    had been left running, found by a walk-through as an administrator)."""
    from ims.db.backup import backup
    from ims.db.session import embedded_cluster

    settings = get_settings()
    cluster = None if settings.database_url else embedded_cluster(settings)
    was_running = cluster is None or cluster.running
    try:
        size = backup(database_up(quiet=True, when_behind="leave").owner, file, overwrite=overwrite)
    finally:
        if cluster is not None and not was_running:
            cluster.stop()
            err.print("the embedded database was stopped before: stopped again", highlight=False)
    out.print(f"backed up to {file} ({size / 1e6:,.1f} MB)", highlight=False)


@command(db_app, "restore")
def db_restore(
    file: Annotated[Path, typer.Argument(help="A backup made by `ims db backup`.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Replace the database's contents without asking.")
    ] = False,
) -> None:
    """Replace the database's contents with FILE, in one transaction (all or nothing)."""
    from sqlalchemy.engine import make_url

    from ims.db import audit
    from ims.db.backup import restore
    from ims.db.migrate import current_revision, upgrade
    from ims.db.session import make_owner_engine

    found = database_up(quiet=True, when_behind="leave")  # it is replaced whatever it holds
    settings = get_settings()
    where = (  # the prompt had not named which (helper-89)
        f"the database {make_url(found.owner).database} (IMS_DATABASE_URL)"
        if settings.database_url
        else f"the embedded database in {settings.data_dir}"
    )
    if not yes and not typer.confirm(
        f"This replaces everything in {where} with the backup {file.name}. Go on?"
    ):
        raise typer.Exit(1)
    restore(found.owner, file)
    engine = make_owner_engine(found.owner)
    try:
        before = current_revision(engine)
        steps = upgrade(engine, by=actor().name)  # a backup of an earlier ims gets this one's
    finally:
        engine.dispose()
    if steps:
        err.print(
            f"the backup's schema ({before}) migrated to this ims's ({steps[-1].revision}):",
            highlight=False,
        )
        for step in steps:
            err.print(f"  {step.revision}  {step.title}", highlight=False)
    with db_session() as session, session.begin():
        audit.record(session, actor(), "database.restored", "database", file.name)
    if steps:
        _recompute_after_migrating()
    out.print(f"restored {file}", highlight=False)


@command(db_app, "verify")
def db_verify(
    workers: Annotated[
        int | None, typer.Option(help="Processes computing the ledger (default: every core).")
    ] = None,
) -> None:
    """Recompute every derived figure from the records and report what differs.

    Rebuilds the area ledger of every hazard with the code that keeps it,
    compares it with the stored ledger, remaining areas, overlaps, the
    report's changes and the map's state (to 0.001 m²), and checks each
    report's noted first production against the audit event that recorded
    it. Writes nothing.

    Exit status: 0 all agree, 1 something was changed behind ims's back.
    """
    from ims.db.verify import ADDS_UP, SPLIT_AMONG, verify_database

    with db_session() as session, progress_bar("recomputing the ledger") as update:
        # One snapshot for the whole check: work recorded meanwhile is not a difference.
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        try:
            report = verify_database(session, progress=update, workers=workers)
        finally:
            session.rollback()  # nothing to keep: the comparison tables are the session's
    for diff in report.differences:
        out.print(
            f"{diff.hazard or '-'}: {diff.what}: stored {diff.stored}, recomputed "
            f"{diff.recomputed}",
            highlight=False,
        )
    if report.count > len(report.differences):
        out.print(f"… and {report.count - len(report.differences):,} more", highlight=False)
    out.print(
        f"{report.hazards:,} hazards and {report.report_runs:,} report productions checked",
        highlight=False,
    )
    if not report.clean:
        err.print(
            f"[bold red]tampering found:[/] {report.count:,} derived figure"
            f"{'s' if report.count != 1 else ''} differ from the records",
            highlight=False,
        )
        if any(ADDS_UP in d.what for d in report.differences):
            err.print(
                "ledger entries that do not add up were stored by an earlier ims (an overlay "
                "it trusted) or changed behind its back: `ims db recompute` computes them "
                "again from the records, and the audit trail keeps that it did",
                highlight=False,
            )
        if any(SPLIT_AMONG in d.what for d in report.differences):
            err.print(
                "an entry's split among admin areas differs from this ims's: an earlier ims "
                "could give a few m² of ground with hairline spikes along a border to the "
                "wrong district, or to none, or the split was changed behind its back: `ims "
                "db recompute --all` computes every ledger again from the records (audited)",
                highlight=False,
            )
        raise typer.Exit(1)
    if not report.hazards:
        err.print(
            "[bold yellow]warning:[/] no hazards are recorded: a new database, or not the one "
            "you meant to check",
            highlight=False,
        )
    out.print("every derived figure agrees with the records", highlight=False)


@command(db_app, "recompute")
def db_recompute(
    every: Annotated[
        bool,
        typer.Option("--all", help="Every hazard's ledger, not only those that do not add up."),
    ] = False,
) -> None:
    """Compute hazards' area ledgers again from their records.

    Without --all, those whose stored entries do not add up, one to the next (an
    earlier ims stored some: ims db verify lists them). The records are not
    touched; the ledger and the map's and the report's figures derived from it are
    written again, in one transaction, audited (ledger.recomputed).
    """
    from ims.ingest.approval import recompute_ledgers

    with db_session() as session, progress_bar("computing the ledger again") as update:
        ids = list(session.scalars(text("SELECT id FROM hazard"))) if every else None
        done = recompute_ledgers(session, ids, by=actor(), progress=update)
        session.commit()
    out.print(_recomputed(done), highlight=False)


def _listed(refs: list[str]) -> str:
    return ", ".join(refs[:20]) + (f" and {len(refs) - 20:,} more" if len(refs) > 20 else "")


def _recomputed(done: Recomputed) -> str:
    """What ``ims db recompute`` (or ``ims db migrate``) computed again, in words."""
    refs, changed = done.hazards, done.changed
    if not refs:
        return "every hazard's ledger entries add up: nothing to compute again"
    said = f"the ledger of {counted(len(refs), 'hazard')} computed again from the records: "
    if changed == refs:
        return said + _listed(refs)
    return (
        said
        + _listed(refs)
        + (
            f"; the figures of {counted(len(changed), 'hazard')} changed: {_listed(changed)}"
            if changed
            else "; every one came out as stored"
        )
    )
