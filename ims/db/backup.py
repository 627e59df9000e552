"""Backups: the whole database to one file with pg_dump, and back with pg_restore.

A backup is PostgreSQL's custom archive format (compressed, restorable object by object).
A restore runs in a single transaction, so it either replaces the database's contents
completely or changes nothing; a backup of an older schema comes back as it was, and
`ims db restore` then migrates it. Both work with the owner's login.

A restore ends every other session of the database, before (their temporary tables and
locks would hold up dropping the old objects) and after (a session that started before
the restore keeps the old PostGIS extension's operators in its caches, so a running
server's spatial queries would fail until it restarted). A running server's pool then
reconnects: its engines check connections before use (``pool_pre_ping``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from ims.db.embedded import find_bindir
from ims.db.migrate import refuse_unknown
from ims.db.session import APP_ROLE
from ims.errors import InvalidRequest, SetupError

log = logging.getLogger(__name__)


def libpq_url(url: str) -> str:
    """The URL as libpq's tools take it (no SQLAlchemy driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def client_tool(name: str) -> str:
    """The path of a PostgreSQL client program (pg_dump, pg_restore)."""
    try:
        candidate = find_bindir() / name
        if candidate.exists():
            return str(candidate)
    except SetupError:
        pass
    found = shutil.which(name)
    if found is None:
        raise SetupError(f"{name} is not installed: apt-get install postgresql-client")
    return found


def _run(args: list[str], what: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SetupError(f"{what} failed: {failure(result.stderr, result.returncode)}")
    return result


def failure(stderr: str, returncode: int) -> str:
    """What a client program said went wrong, on one line: its last error and, when it
    names one, the statement it was running. Its last line alone is often only that
    statement ("Command was: DROP EXTENSION IF EXISTS postgis;"), which says nothing of why."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    if not lines:
        return f"exit status {returncode}"
    errors = [i for i, line in enumerate(lines) if "error:" in line.lower()]
    if not errors:
        return lines[-1]
    last = errors[-1]
    said = lines[last].split("error:", 1)[1].strip() if "error:" in lines[last] else lines[last]
    command = next((line for line in lines[last + 1 :] if line.startswith("Command was:")), "")
    return f"{said} ({command})" if command else said


def backup(url: str, path: Path, *, overwrite: bool = False) -> int:
    """Write the database at ``url`` to ``path``; returns the file's size in bytes.

    The archive is written beside ``path`` first and renamed into place, so an interrupted
    backup never leaves a truncated file under the final name. It is readable by its owner
    only: it holds the accounts' password hashes and every exact location, which location
    privacy hides (it was written as any file, readable by every local user). A file of
    that name is replaced only when ``overwrite`` says so (an earlier backup was lost).
    """
    path = Path(path)
    if path.is_dir():
        raise InvalidRequest(f"{path} is a directory: give a file name for the backup")
    if not path.parent.is_dir():  # its error had named the file written first, NAME.partial
        raise InvalidRequest(
            f"{path.parent} is not a directory: give the backup a folder that exists"
        )
    if path.exists() and not overwrite:
        raise InvalidRequest(
            f"{path} exists: give another name (a date in it, say), or --overwrite to replace it"
        )
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # pg_dump keeps it
    try:
        _run(
            [
                client_tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--file={partial}",
                f"--dbname={libpq_url(url)}",
            ],
            "pg_dump",
        )
        partial.chmod(0o600)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path.stat().st_size


def restore(url: str, path: Path) -> None:
    """Replace the contents of the database at ``url`` with the backup in ``path``.

    The database's schema is emptied and the backup's written into it in one transaction,
    committed only once pg_restore has written the whole backup out: a backup of any
    schema comes back whole, an older one too (the caller migrates it), and a cut or
    broken one changes nothing. Restoring over the objects a backup names (``pg_restore
    --clean``) could not drop those a later migration had made (a walk-through upgrading
    an older install); psql's own ``--single-transaction`` committed what a cut backup had
    given before pg_restore failed, emptying the database (an attack on these changes before
    release). A backup runs as the database's owner: restore only backups you made.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidRequest(f"{path}: no such backup file")
    tool = client_tool("pg_restore")
    listing = subprocess.run(
        [tool, "--list", str(path)], capture_output=True, text=True, check=False
    )
    if listing.returncode != 0:
        raise InvalidRequest(
            f"{path} is not a backup made by `ims db backup` (pg_dump custom format)"
        )
    # first: a restore refused into a new data directory had left a database no command
    # could use (helper-92), as one that went through had (helper-89)
    _ensure_app_role(url)
    _check_is_ims(path, listing.stdout)
    revision = _revision_of(tool, path)
    if revision is not None:  # refused before anything changes: it had been after (helper-89)
        refuse_unknown(revision, f"the backup {path.name}")
    ended = end_other_sessions(url)
    with tempfile.TemporaryFile() as said:
        written = subprocess.Popen(
            [tool, "--no-owner", "--no-privileges", "--file=-", str(path)],
            stdout=subprocess.PIPE,
            stderr=said,
        )
        loaded = subprocess.Popen(
            [
                client_tool("psql"),
                "--no-psqlrc",
                "--quiet",
                "--set=ON_ERROR_STOP=1",
                f"--dbname={libpq_url(url)}",
                "--file=-",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=said,
        )
        assert written.stdout is not None and loaded.stdin is not None
        try:
            loaded.stdin.write(b"BEGIN;\n" + EMPTY_SCHEMA)
            shutil.copyfileobj(written.stdout, loaded.stdin, 1 << 20)
            written.wait()
            if written.returncode == 0:
                # all of it was written out: only now may it stand (psql stops at the first
                # error, and its input ending without this rolls everything back)
                loaded.stdin.write(b"COMMIT;\n")
        except BrokenPipeError:
            pass  # psql stopped at an error: said below
        finally:
            with contextlib.suppress(BrokenPipeError):
                loaded.stdin.close()
        written.wait()
        loaded.wait()
        if written.returncode != 0 or loaded.returncode != 0:
            said.seek(0)
            reason = failure(said.read().decode(errors="replace"), loaded.returncode or 1)
            raise SetupError(f"restoring {path.name} failed, nothing was changed: {reason}")
    _grant_app_role(url)
    ended += end_other_sessions(url)
    log.debug("restored %s (%d other sessions ended)", path, ended)


# Everything the database held goes, in the restore's transaction (its extensions with it:
# the backup makes them again, as they were).
EMPTY_SCHEMA = b"DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n"


def _check_is_ims(path: Path, listing: str) -> None:
    """Refuse a backup that is not of an ims database, before anything is changed: one of
    another database "restored" as an empty ims with no accounts, and one with schemas of
    its own left them behind (an attack on these changes before release)."""
    entries = [line.split() for line in listing.splitlines() if line and not line.startswith(";")]
    tables = {(e[4], e[5]) for e in entries if len(e) > 5 and e[3] == "TABLE"}
    if not {("public", "alembic_version"), ("public", "app_user")} <= tables:
        raise InvalidRequest(
            f"{path} is not a backup of an ims database: it has no schema revision or accounts"
        )
    others = sorted({e[5] for e in entries if len(e) > 5 and e[3] == "SCHEMA"} - {"public"})
    if others:
        raise InvalidRequest(
            f"{path} holds schemas ims does not make ({', '.join(others[:5])}): it is not a "
            "backup made by `ims db backup`"
        )


def _revision_of(tool: str, path: Path) -> str | None:
    """The schema revision a backup holds (its ``alembic_version`` row), None if none."""
    said = subprocess.run(
        [tool, "--data-only", "--table=alembic_version", "--file=-", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    rows = said.stdout.splitlines()
    start = next((i for i, line in enumerate(rows) if line.startswith("COPY ")), None)
    if said.returncode != 0 or start is None:
        return None  # the restore itself says what is wrong with the file
    values = [line.strip() for line in rows[start + 1 :] if line.strip()]
    return values[0] if values and values[0] != "\\." else None


# The application's role is the cluster's, not the database's: a backup never holds it. A
# restore into a new cluster (a fresh data directory, another machine) left a database no
# command could use, "role ims_app does not exist" (helper-89). It is made as the
# migrations make it (0008, 0009), where the owner may make roles; the grants follow the
# restore (``_grant_app_role``).
_APP_ROLE_MADE = (
    f"""
    DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}')
           AND (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user)
        THEN
            CREATE ROLE {APP_ROLE} LOGIN;
        END IF;
    EXCEPTION WHEN duplicate_object THEN NULL;  -- made meanwhile for another database
    END $$
    """,
    f"""
    DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}')
           AND NOT pg_has_role(current_user, '{APP_ROLE}', 'MEMBER') THEN
            EXECUTE format('GRANT {APP_ROLE} TO %I', current_user);
        END IF;
    EXCEPTION WHEN insufficient_privilege THEN NULL;  -- ims then works as its owner login
    END $$
    """,
)


def _ensure_app_role(url: str) -> None:
    """Make the application's role where the cluster lacks it (see ``_APP_ROLE_MADE``)."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            for block in _APP_ROLE_MADE:
                conn.execute(text(block))
    finally:
        engine.dispose()


def end_other_sessions(url: str) -> int:
    """End every other session of the database at ``url``; return how many were ended.

    The owner's login may end the sessions of the roles it is a member of (ims_app's
    among them); others are left alone.
    """
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            ended = conn.scalar(
                text(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) "
                    "FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND backend_type = 'client backend' "
                    "AND (pg_has_role(usesysid, 'MEMBER') "
                    "OR pg_has_role('pg_signal_backend', 'MEMBER'))"
                )
            )
    finally:
        engine.dispose()
    return int(ended or 0)


def _grant_app_role(url: str) -> None:
    """Give the application's role its privileges again (a backup holds none of them)."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            if conn.scalar(text("SELECT to_regprocedure('ims_grant_app_role()') IS NOT NULL")):
                conn.execute(text("SELECT ims_grant_app_role()"))
    finally:
        engine.dispose()
