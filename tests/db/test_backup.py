"""Backups: restored into a fresh database they give the same Article 7 figures; a restore
under a running server leaves it working."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import MultiPolygon, Polygon, box
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ims.app import create_app
from ims.cli import app
from ims.db.backup import backup, failure, restore
from ims.db.recording import load_boundaries, record_hazards, record_releases
from ims.db.session import APP_ROLE, make_engine, make_owner_engine
from ims.domain.enums import HazardStatus, ReleaseMethod
from ims.domain.records import BoundaryFeature, NewHazard, NewRelease
from ims.errors import InvalidRequest, SetupError
from ims.reports.article7 import ReportScope, article7
from tests.ingest.test_submissions import hazard_frame, write_zip
from tests.utils import point_cli_at, signed_in


@pytest.fixture
def databases(test_server) -> Iterator[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Two throw-away databases migrated to head (the owner's URLs)."""
    urls = [test_server.migrated_database("ims_backup") for _ in range(2)]
    yield urls[0], urls[1]
    for url in urls:
        test_server.drop_database(url)


@pytest.fixture
def app_url(test_server: Any) -> Callable[[str], str]:
    """The application's login to one of them."""
    return test_server.app_url  # type: ignore[no-any-return]


def fill(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        load_boundaries(
            session,
            [
                BoundaryFeature("P-A", "Province A", MultiPolygon([box(102.0, 19.0, 102.5, 20.0)])),
            ],
            level=1,
        )
        record_hazards(
            session,
            [
                NewHazard(
                    "H1",
                    HazardStatus.CHA,
                    box(102.1, 19.6, 102.11, 19.61),
                    dt.date(2020, 1, 1),
                    estimates={"BLU-26": 40},
                ),
            ],
        )
        record_releases(
            session,
            [
                NewRelease(
                    "R1",
                    "H1",
                    ReleaseMethod.CLEARED,
                    dt.date(2022, 3, 1),
                    box(102.1, 19.6, 102.105, 19.61),
                    items={"BLU-26": 7},
                ),
            ],
        )


def report(engine: Engine) -> dict:
    with Session(engine) as session:
        return article7(session, 2022, ReportScope())


def test_restored_backup_gives_the_same_article7(
    databases: tuple[str, str],
    app_url: Callable[[str], str],
    tmp_path: Path,
) -> None:
    source_url, target_url = databases
    source, target = make_engine(app_url(source_url)), make_engine(app_url(target_url))
    try:
        fill(source)
        size = backup(source_url, tmp_path / "ims.backup")
        assert size > 0 and not (tmp_path / "ims.backup.partial").exists()
        # readable by its owner only (password hashes, exact locations), and never replaced
        # unasked: it had been written for every local user to read, over an older one
        assert (tmp_path / "ims.backup").stat().st_mode & 0o777 == 0o600
        with pytest.raises(InvalidRequest, match="exists: give another name"):
            backup(source_url, tmp_path / "ims.backup")
        assert backup(source_url, tmp_path / "ims.backup", overwrite=True) > 0
        restore(target_url, tmp_path / "ims.backup")
        assert report(target) == report(source)
        assert report(target)["released"][0]["cleared_m2"] > 0
        with target.connect() as conn:  # ims works on as its own role, with its limits
            assert conn.scalar(text("SELECT current_user")) == APP_ROLE
            for statement in ("DELETE FROM release", "UPDATE ledger_piece SET area_m2 = 0"):
                with pytest.raises(DBAPIError, match="permission denied"), conn.begin_nested():
                    conn.execute(text(statement))
    finally:
        source.dispose()
        target.dispose()


def test_restore_replaces_what_the_database_held(
    databases: tuple[str, str],
    app_url: Callable[[str], str],
    tmp_path: Path,
) -> None:
    source_url, _ = databases
    source, owner = make_engine(app_url(source_url)), make_owner_engine(source_url)
    try:
        fill(source)
        backup(source_url, tmp_path / "ims.backup")
        with owner.begin() as conn:  # a later change, then restore the earlier state
            conn.execute(text("UPDATE hazard SET reference = 'CHANGED'"))
        restore(source_url, tmp_path / "ims.backup")
        with source.connect() as conn:
            assert conn.scalar(text("SELECT reference FROM hazard")) == "H1"
    finally:
        source.dispose()
        owner.dispose()


def test_a_running_server_keeps_working_after_a_restore(
    databases: tuple[str, str],
    app_url: Callable[[str], str],
    tmp_path: Path,
) -> None:
    # Issue 13 item 9: the server's pooled connections outlived the restored PostGIS
    # extension and approvals answered 500 ("no spatial operator found for
    # 'st_intersects'") until a restart. The restore ends the database's other sessions;
    # the pool reconnects.
    source_url, _ = databases
    server = make_engine(app_url(source_url))  # the running server's engine and pool
    app = create_app(server)
    try:
        fill(server)
        with Session(server) as session, session.begin():
            client = signed_in(app, session, "reviewer")  # uploads
            reviewer = signed_in(app, session, "reviewer")  # approves (four eyes)
        # a hazard overlapping H1: the approval looks for overlaps (ST_Intersects)
        before = approve(client, reviewer, tmp_path, "H2", box(102.105, 19.6, 102.12, 19.62))
        assert before.status_code == 200, before.text
        backup(source_url, tmp_path / "ims.backup")
        restore(source_url, tmp_path / "ims.backup")
        after = approve(client, reviewer, tmp_path, "H3", box(102.105, 19.6, 102.13, 19.63))
        assert after.status_code == 200, after.text
        with Session(server) as session:
            refs = session.scalars(text("SELECT reference FROM hazard ORDER BY 1")).all()
            assert refs == ["H1", "H2", "H3"]  # H2 came back with the backup
            assert session.scalar(text("SELECT count(*) FROM hazard_overlap")) == 6
    finally:
        server.dispose()


def approve(
    client: TestClient, reviewer: TestClient, folder: Path, reference: str, polygon: Polygon
) -> Any:
    """Upload one hazard and have another reviewer approve it through the API."""
    path = write_zip(hazard_frame([{"hazard_id": reference}], [polygon]), folder, reference)
    with path.open("rb") as fh:
        created = client.post(
            "/api/v1/submissions", files={"file": (path.name, fh)}, data={"kind": "hazards"}
        )
    assert created.status_code == 201, created.text
    return reviewer.post(f"/api/v1/submissions/{created.json()['id']}/approve")


def test_a_file_that_is_no_backup_is_refused_and_nothing_changes(
    databases: tuple[str, str],
    app_url: Callable[[str], str],
    tmp_path: Path,
) -> None:
    source_url, _ = databases
    source = make_engine(app_url(source_url))
    try:
        fill(source)
        bogus = tmp_path / "notes.txt"
        bogus.write_text("not a backup")
        with pytest.raises(InvalidRequest, match="not a backup"):
            restore(source_url, bogus)
        with pytest.raises(InvalidRequest, match="no such backup"):
            restore(source_url, tmp_path / "missing.backup")
        with source.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM release")) == 1
    finally:
        source.dispose()


def test_a_cut_backup_or_another_databases_changes_nothing(
    databases: tuple[str, str],
    app_url: Callable[[str], str],
    test_server: Any,
    tmp_path: Path,
) -> None:
    """A backup cut short passed the check of its table of contents, and psql's
    --single-transaction committed what pg_restore had given before it failed: the
    database emptied, "nothing was changed" said. A backup of another database "restored"
    as an empty ims with no accounts (an attack on these changes before release)."""
    source_url, _ = databases
    source = make_engine(app_url(source_url))
    try:
        fill(source)
        whole = tmp_path / "whole.backup"
        backup(source_url, whole)
        cut = tmp_path / "cut.backup"
        cut.write_bytes(whole.read_bytes()[:-200])  # the last tables' rows are gone
        with pytest.raises(SetupError, match="nothing was changed"):
            restore(source_url, cut)
        source.dispose()  # the failed restore ended every other session
        with source.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM release")) == 1
        other_url = test_server.create_database("ims_other")
        try:
            with create_engine(other_url).begin() as conn:
                conn.execute(text("CREATE TABLE notes (body text)"))
            backup(other_url, tmp_path / "other.backup")
        finally:
            test_server.drop_database(other_url)
        with pytest.raises(InvalidRequest, match="not a backup of an ims database"):
            restore(source_url, tmp_path / "other.backup")
        source.dispose()  # the failed restore ended every other session
        with source.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM release")) == 1
            assert conn.scalar(text("SELECT version_num FROM alembic_version")) is not None
            assert conn.scalar(text("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal")) > 30
    finally:
        source.dispose()


def test_a_backup_of_a_newer_schema_is_refused_before_anything_changes(
    databases: tuple[str, str],
    app_url: Callable[[str], str],
    tmp_path: Path,
) -> None:
    """helper-89 restored a backup of a schema a newer ims had migrated: the database was
    replaced by it, and only then refused ("migrated by a newer ims"), its contents gone."""
    source_url, target_url = databases
    source, target = make_engine(app_url(source_url)), make_engine(app_url(target_url))
    owner = make_owner_engine(source_url)
    try:
        fill(source)
        with owner.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0999'"))
        backup(source_url, tmp_path / "newer.backup")
        with pytest.raises(SetupError) as refused:
            restore(target_url, tmp_path / "newer.backup")
        said = refused.value.detail
        assert "the backup newer.backup is at revision 0999" in said and "newer ims" in said
        with target.connect() as conn:  # the target as it was: empty, at this ims's head
            assert conn.scalar(text("SELECT count(*) FROM hazard")) == 0
            assert conn.scalar(text("SELECT version_num FROM alembic_version")) != "0999"
    finally:
        source.dispose()
        target.dispose()
        owner.dispose()


def test_cli_backs_up_and_restores_with_one_line_errors(
    databases: tuple[str, str],
    app_url: Callable[[str], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source_url, _ = databases
    source = make_engine(app_url(source_url))
    try:
        fill(source)
        point_cli_at(monkeypatch, app_url(source_url), source_url)
        runner = CliRunner()
        done = runner.invoke(app, ["db", "backup", str(tmp_path / "a.backup")])
        assert done.exit_code == 0, done.output
        assert "backed up to" in done.output
        refused = runner.invoke(app, ["db", "restore", str(tmp_path / "a.backup")], input="n\n")
        assert refused.exit_code == 1  # asked, and the answer was no
        # which database it replaces, and with what (helper-89: the prompt named neither)
        named = make_url(source_url).database
        assert (
            f"replaces everything in the database {named} (IMS_DATABASE_URL) with the "
            "backup a.backup" in refused.output
        )
        nowhere = runner.invoke(app, ["db", "backup", str(tmp_path / "none" / "b.backup")])
        assert nowhere.exit_code == 2  # the folder named, not the file written first
        assert f"{tmp_path / 'none'} is not a directory" in nowhere.output
        assert ".partial" not in nowhere.output
        restored = runner.invoke(app, ["db", "restore", str(tmp_path / "a.backup"), "--yes"])
        assert restored.exit_code == 0, restored.output
        (tmp_path / "junk.backup").write_bytes(b"junk")
        bad = runner.invoke(app, ["db", "restore", str(tmp_path / "junk.backup"), "--yes"])
        assert bad.exit_code == 2
        assert "not a backup" in bad.output and "Traceback" not in bad.output
        with Session(source) as session:  # the restore is in the audit trail
            restored_by = session.scalar(
                text("SELECT actor FROM audit_event WHERE action = 'database.restored'")
            )
            assert restored_by is not None and restored_by.startswith("cli:")
    finally:
        source.dispose()


def test_restores_at_once_do_not_run_out_of_the_servers_lock_table(
    databases: tuple[str, str], test_server: Any, tmp_path: Path
) -> None:
    """A restore holds a lock on each of some 2,500 objects until it commits, and the
    lock table is shared by every session: with the server's default room, one of six
    restores at once failed ("out of shared memory", at a random statement), as a restore
    in CI once did beside another test's migration."""
    source_url, _ = databases
    backup(source_url, tmp_path / "a.backup")
    targets = [_copy_of(test_server, source_url) for _ in range(6)]  # to drop, then create
    try:
        with ThreadPoolExecutor(len(targets)) as pool:  # each restore is its own process
            failures = [
                str(error)
                for error in pool.map(lambda url: _restored(url, tmp_path / "a.backup"), targets)
                if error is not None
            ]
        assert failures == []
        for url in targets:
            engine = make_owner_engine(url)
            try:
                with engine.connect() as conn:
                    assert conn.scalar(text("SELECT count(*) FROM organisation")) > 0
            finally:
                engine.dispose()
    finally:
        for url in targets:
            test_server.drop_database(url)


def _copy_of(test_server: Any, url: str) -> str:
    """A new database made from the one at ``url``, as its template."""
    name = f"ims_restore_{secrets.token_hex(4)}"
    admin = create_engine(test_server.admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(url).database}"'))
    finally:
        admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _restored(url: str, path: Path) -> Exception | None:
    try:
        restore(url, path)
    except Exception as error:  # every failure is reported by the test, not the first
        return error
    return None


def test_a_client_programs_failure_is_told_by_its_error_not_by_its_last_line() -> None:
    """A restore failed with only "Command was: DROP EXTENSION IF EXISTS postgis;"."""
    stderr = (
        "pg_restore: while PROCESSING TOC:\n"
        "pg_restore: from TOC entry 2; 3079 16385 EXTENSION postgis (no owner)\n"
        "pg_restore: error: could not execute query: ERROR:  canceling statement due to lock "
        "timeout\n"
        "Command was: DROP EXTENSION IF EXISTS postgis;\n"
    )
    assert failure(stderr, 1) == (
        "could not execute query: ERROR:  canceling statement due to lock timeout "
        "(Command was: DROP EXTENSION IF EXISTS postgis;)"
    )
    assert failure("pg_dump: error: connection to server failed\n", 1) == (
        "connection to server failed"
    )
    assert failure("something odd\n", 1) == "something odd"
    assert failure("", 3) == "exit status 3"
