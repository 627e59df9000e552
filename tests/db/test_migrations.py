"""The schema lives only in the migrations: one head, reversible, no drift from the models."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text

from ims.db import migrate
from ims.db.models import Base
from ims.db.session import app_url
from ims.errors import SetupError


@pytest.fixture
def scratch_engine(test_server) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """An empty database of its own, for migrating up and down."""
    url = test_server.create_database("ims_migrations")
    eng = create_engine(url)
    yield eng
    eng.dispose()
    test_server.drop_database(url)


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - migrate.FOREIGN_TABLES


def test_migrations_have_a_single_head() -> None:
    assert len(migrate.heads()) == 1


def test_first_revision_enables_postgis(scratch_engine: Engine) -> None:
    migrate.upgrade(scratch_engine, "0001")
    with scratch_engine.connect() as conn:
        version = conn.execute(
            text("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
        ).scalar_one_or_none()
    assert version is not None
    assert _tables(scratch_engine) == {"alembic_version"}


def test_upgrade_downgrade_upgrade_round_trips(scratch_engine: Engine) -> None:
    migrate.upgrade(scratch_engine)
    tables_at_head = _tables(scratch_engine)
    assert {"hazard", "hazard_revision", "release", "admin_area", "submission"} <= tables_at_head
    migrate.downgrade(scratch_engine, "base")
    assert _tables(scratch_engine) == {"alembic_version"}
    migrate.upgrade(scratch_engine)
    assert _tables(scratch_engine) == tables_at_head


def test_applying_a_migration_vacuums_and_analyses_the_database(scratch_engine: Engine) -> None:
    # Migration 0020 rewrites hazard_period; until a vacuum marks its pages all-visible, the
    # tiles' index-only scans read the table after all.
    migrate.upgrade(scratch_engine, "0019")
    migrate.upgrade(scratch_engine)
    deadline = time.monotonic() + 10  # the statistics reach other sessions within a second
    while True:
        with scratch_engine.connect() as conn:
            vacuumed, analysed = conn.execute(
                text(
                    "SELECT last_vacuum, last_analyze FROM pg_stat_user_tables"
                    " WHERE relname = 'hazard_period'"
                )
            ).one()
        if (vacuumed and analysed) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert vacuumed is not None and analysed is not None


def test_a_database_from_a_newer_ims_is_refused_clearly(scratch_engine: Engine) -> None:
    migrate.upgrade(scratch_engine, "0001")
    with scratch_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    with pytest.raises(SetupError, match=r"revision 0999.*newer ims"):
        migrate.upgrade(scratch_engine)
    assert _tables(scratch_engine) == {"alembic_version"}  # nothing was changed


def test_models_and_migrations_do_not_drift(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "include_object": migrate.include_object,
                "compare_type": True,
                "target_metadata": Base.metadata,
            },
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_geometry_columns_declare_type_srid_and_gist_index(engine: Engine) -> None:
    with engine.connect() as conn:
        columns = conn.execute(
            text(
                "SELECT f_table_name, type, srid FROM geometry_columns"
                " WHERE f_geometry_column = 'geom'"
                # a view reads its table's column and index (release_in_force, migration 0039)
                " AND f_table_name NOT IN (SELECT viewname FROM pg_views) ORDER BY 1"
            )
        ).all()
        gist = {
            row.tablename
            for row in conn.execute(
                text("SELECT tablename FROM pg_indexes WHERE indexdef LIKE '%USING gist (geom)%'")
            )
        }
    assert columns, "no geometry columns"
    # submission_feature.raw_geom keeps an uploaded geometry as it came, broken or not;
    # staged features are never searched by place (migration 0025): no index to keep.
    for table, gtype, srid in columns:
        assert (gtype, srid) == ("MULTIPOLYGON", 4326), table
        assert table in gist or table == "submission_feature", f"{table}.geom has no GiST index"
    assert "submission_feature" not in gist


def test_munition_types_are_seeded_with_cmr_flags(engine: Engine) -> None:
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT code, is_cmr FROM munition_type")).all())
    for code in [
        "BLU-26",
        "BLU-24",
        "BLU-36",
        "BLU-61",
        "BLU-63",
        "BLU-97",
        "M42",
        "M46",
        "M77",
        "M85",
        "PTAB-1M",
        "PTAB-2.5M",
        "AO-2.5RT",
        "ShOAB-0.5",
        "9N210",
        "9N235",
        "MK-118",
    ]:
        assert rows[code] is True, code
    assert rows["APM"] is False and rows["ATM"] is False and rows["ROCKET"] is False


def test_remembered_mappings_become_documents_and_back(scratch_engine: Engine) -> None:
    # 0014: a mapping stored as bare renames reads as a document's fields (and a downgrade
    # keeps the renames).
    migrate.upgrade(scratch_engine, "0013")
    renames = '{"hazard_id": "HAZ_REF"}'
    with scratch_engine.begin() as conn:
        org = conn.execute(
            text("INSERT INTO organisation (name, kind) VALUES ('NPA', 'operator') RETURNING id")
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO field_mapping (organisation_id, kind, mapping) "
                "VALUES (:o, 'hazards', CAST(:m AS jsonb))"
            ),
            {"o": org, "m": renames},
        )
        for mapping in (renames, "null", None):  # read with a mapping, or without one
            conn.execute(
                text(
                    "INSERT INTO submission (kind, filename, sha256, size_bytes, field_map, "
                    "status) VALUES ('hazards', 'a.zip', 'x', 1, CAST(:m AS jsonb), 'validated')"
                ),
                {"m": mapping},
            )
    migrate.upgrade(scratch_engine, "0014")
    document = {"fields": {"hazard_id": "HAZ_REF"}, "constants": {}, "values": {}}
    with scratch_engine.connect() as conn:
        assert conn.execute(text("SELECT mapping FROM field_mapping")).scalar_one() == document
        assert conn.execute(
            text("SELECT field_map FROM submission ORDER BY id")
        ).scalars().all() == [document, None, None]
    migrate.downgrade(scratch_engine, "0013")
    with scratch_engine.connect() as conn:
        assert conn.execute(text("SELECT mapping FROM field_mapping")).scalar_one() == {
            "hazard_id": "HAZ_REF"
        }


def test_submissions_awaiting_review_are_not_noted_in_reports_until_a_reviewer_says(
    scratch_engine: Engine,
) -> None:
    # 0015: none of the submissions already there reaches the report notes by itself.
    migrate.upgrade(scratch_engine, "0014")
    with scratch_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO submission (kind, filename, sha256, size_bytes, status) "
                "VALUES ('hazards', 'trial.zip', 'x', 1, 'validated')"
            )
        )
    migrate.upgrade(scratch_engine)
    with scratch_engine.connect() as conn:
        assert conn.execute(text("SELECT noted FROM submission")).scalar_one() is False


def test_submissions_their_senders_withdrew_become_withdrawn(scratch_engine: Engine) -> None:
    # 0035: a withdrawn upload had been stored as rejected, "withdrawn by NAME: why"; the
    # list called it rejected. Only those the audit trail says were withdrawn change.
    migrate.upgrade(scratch_engine, "0034")
    with scratch_engine.begin() as conn:
        for filename, reason, audited in [
            ("trial.zip", "withdrawn by mag-dm: a trial", "submission.withdrawn"),
            ("mistake.zip", "withdrawn by mag-dm", "submission.withdrawn"),
            ("refused.zip", "withdrawn by mag-dm: said the reviewer", "submission.rejected"),
        ]:
            sid = conn.execute(
                text(
                    "INSERT INTO submission (kind, filename, sha256, size_bytes, status, "
                    "uploaded_by, decided_by, reason) VALUES "
                    "('hazards', :f, 'x', 1, 'rejected', 'mag-dm', :by, :r) RETURNING id"
                ),
                {"f": filename, "r": reason, "by": "nmaa" if "refused" in filename else "mag-dm"},
            ).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO audit_event (actor, action, object_type, object_id, "
                    "submission_id) VALUES ('mag-dm', :a, 'submission', :s, :id)"
                ),
                {"a": audited, "s": str(sid), "id": sid},
            )

    def rows() -> dict[str, tuple[str, str | None]]:
        with scratch_engine.connect() as conn:
            return {
                r.filename: (r.status, r.reason)
                for r in conn.execute(text("SELECT filename, status, reason FROM submission"))
            }

    migrate.upgrade(scratch_engine)
    assert rows() == {
        "trial.zip": ("withdrawn", "a trial"),
        "mistake.zip": ("withdrawn", None),
        "refused.zip": ("rejected", "withdrawn by mag-dm: said the reviewer"),
    }
    migrate.downgrade(scratch_engine, "0034")
    assert rows() == {
        "trial.zip": ("rejected", "withdrawn by mag-dm: a trial"),
        "mistake.zip": ("rejected", "withdrawn by mag-dm"),
        "refused.zip": ("rejected", "withdrawn by mag-dm: said the reviewer"),
    }


def test_mappings_remembered_per_layout_come_back_down_as_the_latest(
    scratch_engine: Engine,
) -> None:
    # 0036: several mappings per organisation and kind, each under an id; going down keeps
    # the latest of each
    migrate.upgrade(scratch_engine, "0035")
    insert = text(
        "INSERT INTO field_mapping (organisation_id, kind, mapping, updated_at) "
        "VALUES (:org, 'hazards', CAST(:m AS jsonb), :at)"
    )
    with scratch_engine.begin() as conn:
        org = conn.execute(
            text("INSERT INTO organisation (name) VALUES ('MAG') RETURNING id")
        ).scalar_one()
        conn.execute(
            insert, {"org": org, "m": '{"fields": {"hazard_id": "A"}}', "at": "2026-01-01"}
        )
    migrate.upgrade(scratch_engine)
    with scratch_engine.begin() as conn:
        conn.execute(
            insert, {"org": org, "m": '{"fields": {"hazard_id": "B"}}', "at": "2026-02-01"}
        )
        assert conn.execute(text("SELECT count(*) FROM field_mapping")).scalar_one() == 2
    migrate.downgrade(scratch_engine, "0035")
    with scratch_engine.connect() as conn:
        kept = conn.execute(text("SELECT mapping FROM field_mapping")).scalars().all()
    assert kept == [{"fields": {"hazard_id": "B"}}]


def test_an_operators_earlier_submissions_are_marked_and_checked_again(
    scratch_engine: Engine,
) -> None:
    # 0032: an operator's file staged before 0031 could be approved crediting another
    # organisation; it is marked as its own, and one awaiting review is checked again.
    migrate.upgrade(scratch_engine, "0031")
    with scratch_engine.begin() as conn:
        orgs = dict(
            conn.execute(
                text("INSERT INTO organisation (name) VALUES ('MAG'), ('NPA') RETURNING name, id")
            ).all()
        )
        conn.execute(
            text(
                "INSERT INTO app_user (username, role, organisation_id) VALUES "
                "('mag-dm', 'operator', :mag), ('nmaa', 'reviewer', NULL)"
            ),
            {"mag": orgs["MAG"]},
        )
        for filename, status, by, org in [
            ("pending.zip", "validated", "mag-dm", "MAG"),
            ("approved.zip", "approved", "mag-dm", "MAG"),
            ("authoritys.zip", "validated", "nmaa", "MAG"),
            ("for-npa.zip", "validated", "mag-dm", "NPA"),  # not its own organisation
        ]:
            conn.execute(
                text(
                    "INSERT INTO submission (kind, filename, sha256, size_bytes, status, "
                    "uploaded_by, organisation_id, validated_against) "
                    "VALUES ('hazards', :f, 'x', 1, :s, :by, :org, 'stamp')"
                ),
                {"f": filename, "s": status, "by": by, "org": orgs[org]},
            )
    migrate.upgrade(scratch_engine)
    with scratch_engine.connect() as conn:
        rows = {
            r.filename: (r.own_records, r.validated_against)
            for r in conn.execute(
                text("SELECT filename, own_records, validated_against FROM submission")
            )
        }
    assert rows == {
        "pending.zip": (True, None),  # approving it validates it again, as its own
        "approved.zip": (True, "stamp"),
        "authoritys.zip": (False, "stamp"),
        "for-npa.zip": (False, "stamp"),
    }


def test_the_command_line_says_how_a_schema_stands_and_what_a_migration_did(
    scratch_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database of the previous release: `ims db status` printed its revision alone,
    and `ims db migrate` "database migrated to head" (found by a walk-through as a system
    administrator, who had no sign that a backup was due)."""
    from typer.testing import CliRunner

    from ims.cli import app
    from tests.utils import point_cli_at

    head = migrate.heads()[0]
    previous = f"{int(head) - 1:04d}"
    migrate.upgrade(scratch_engine, previous)
    url = scratch_engine.url.render_as_string(hide_password=False)
    point_cli_at(monkeypatch, url, url)
    runner = CliRunner()
    status = runner.invoke(app, ["db", "status"])
    assert status.exit_code == 1, status.output  # for scripts: not this ims's schema
    assert f"schema revision {previous} (this ims's is {head}: back it up" in status.output
    migrated = runner.invoke(app, ["db", "migrate"])
    assert f"database migrated from {previous} to {head}" in migrated.output
    again = runner.invoke(app, ["db", "migrate"])
    assert "nothing to migrate" in again.output
    now = runner.invoke(app, ["db", "status"])
    assert now.exit_code == 0 and f"schema revision {head} (this ims's own)" in now.output
    # a newer ims's schema had been told to `ims db migrate`, which refuses it (helper-89)
    with scratch_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    newer = runner.invoke(app, ["db", "status"])
    assert newer.exit_code == 1, newer.output
    assert f"schema revision 0999 (newer than this ims's {head}: a later ims" in newer.output
    assert "ims db migrate" not in newer.output


def test_an_upgrade_waits_for_the_administrator_and_a_backup_from_before_comes_back(
    scratch_engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An authority's install at revision 0019, upgraded (a walk-through upgrading an older
    install): `ims db backup`, which `ims db status` asks for first, had migrated the
    database before backing it up, as every command did; the upgraded ims could not restore
    that backup ("cannot drop constraint pk_submission"); and the audit trail said nothing
    of the upgrade."""
    from typer.testing import CliRunner

    from ims.cli import app
    from tests.utils import point_cli_at

    head = migrate.heads()[0]
    migrate.upgrade(scratch_engine, "0019")
    url = scratch_engine.url.render_as_string(hide_password=False)
    point_cli_at(monkeypatch, url, url)
    runner = CliRunner()

    def revision() -> str | None:
        return migrate.current_revision(scratch_engine)

    refused = runner.invoke(app, ["users", "list"])
    assert refused.exit_code != 0 and "Traceback" not in refused.output
    assert "back it up as it is (`ims db backup FILE`), then migrate it" in refused.output
    up = runner.invoke(app, ["db", "up"])
    assert up.exit_code == 0 and "warning:" in up.output and revision() == "0019"
    backed = runner.invoke(app, ["db", "backup", str(tmp_path / "before.backup")])
    assert backed.exit_code == 0, backed.output
    assert revision() == "0019"  # the backup holds the schema as it was

    migrated = runner.invoke(app, ["db", "migrate"])
    assert migrated.exit_code == 0, migrated.output
    assert f"database migrated from 0019 to {head}" in migrated.output
    assert "  0020  " in migrated.output  # each step, with what it does
    with scratch_engine.connect() as conn:
        said = conn.execute(
            text("SELECT before, after FROM audit_event WHERE action = 'database.migrated'")
        ).one()
    assert said.before == {"revision": "0019"} and said.after["revision"] == head
    assert len(said.after["steps"]) == int(head) - 19

    restored = runner.invoke(app, ["db", "restore", str(tmp_path / "before.backup"), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert f"the backup's schema (0019) migrated to this ims's ({head})" in restored.output
    scratch_engine.dispose()  # the restore ended every other session
    assert revision() == head
    with scratch_engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM munition_type")) > 0
        actions = conn.scalars(text("SELECT action FROM audit_event ORDER BY id")).all()
    assert actions[-2:] == ["database.migrated", "database.restored"]


def test_the_applications_login_is_refused_clearly_before_any_step(
    engine: Engine, scratch_engine: Engine
) -> None:
    # ``engine``: the test database, migrated, so the cluster has the role ims_app
    # IMS_DATABASE_URL set to ims_app alone: `ims db migrate` had ended in a stack trace
    # ("must be owner of table admin_area") from inside the steps' transaction.
    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    before = str(scripts.get_revision(scripts.get_current_head()).down_revision)
    migrate.upgrade(scratch_engine, before)
    tables = _tables(scratch_engine)
    app = create_engine(app_url(scratch_engine.url.render_as_string(hide_password=False)))
    try:
        with pytest.raises(
            SetupError, match=r"belong to .* logs in as ims_app.*IMS_ADMIN_DATABASE_URL"
        ):
            migrate.upgrade(app)
    finally:
        app.dispose()
    assert migrate.current_revision(scratch_engine) == before  # nothing was changed
    assert _tables(scratch_engine) == tables


def test_the_applications_login_may_not_make_the_schema_of_an_empty_database(
    engine: Engine, scratch_engine: Engine
) -> None:
    app = create_engine(app_url(scratch_engine.url.render_as_string(hide_password=False)))
    try:
        with pytest.raises(SetupError, match=r"empty, and ims logs in as ims_app.*owner"):
            migrate.upgrade(app)
    finally:
        app.dispose()
    assert migrate.current_revision(scratch_engine) is None
