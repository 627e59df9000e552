"""The application's database role: its own login, owning nothing, adding records only.

Security issue 13, item 8: ims logged in as the cluster's superuser and only SET ROLE
ims_app, so RESET ROLE escaped it; and ims_app could rewrite the derived data the figures
come from (halving the national remaining area, erasing the report history) with no trace.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import MultiPolygon, box
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from ims.db import ledger
from ims.db.models import DOCUMENT_DIGEST, AuditEvent, LedgerEntry, ReportRun
from ims.db.recording import load_boundaries, record_hazards, record_releases
from ims.db.session import APP_ROLE
from ims.domain.enums import HazardStatus, ReleaseMethod
from ims.domain.records import BoundaryFeature, NewHazard, NewRelease
from ims.ingest import approval, submissions
from ims.reports.article7 import ReportScope
from ims.reports.history import article7_with_history
from tests.api.test_uploads_api import LAOS, good_zip
from tests.db.test_accounts_and_audit import release_frame
from tests.ingest.test_submissions import write_zip


def events(session: Session, action: str) -> int:
    return int(session.scalar(select(func.count()).where(AuditEvent.action == action)) or 0)


@pytest.fixture
def separate_login(test_server) -> None:  # type: ignore[no-untyped-def]
    if not test_server.separate_logins:
        pytest.skip("IMS_TEST_DATABASE_URL: the application sets the role on its owner's login")


@pytest.fixture
def recorded(session: Session) -> None:
    """A province, two hazards (one half cleared) and a report of a finished year."""
    load_boundaries(
        session,
        [BoundaryFeature("P-A", "Province A", MultiPolygon([box(102.0, 19.0, 102.5, 20.0)]))],
        level=1,
    )
    record_hazards(
        session,
        [
            NewHazard("H1", HazardStatus.CHA, box(102.1, 19.6, 102.11, 19.61), dt.date(2020, 1, 1)),
            NewHazard("H2", HazardStatus.SHA, box(102.2, 19.6, 102.21, 19.61), dt.date(2020, 1, 1)),
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
            ),
        ],
    )
    article7_with_history(session, 2022, ReportScope(), by="tests", finalise=True)


def test_reset_role_leaves_the_application_its_own_role(
    session: Session, separate_login: None
) -> None:
    session.execute(text("RESET ROLE"))
    who = session.execute(
        text(
            "SELECT current_user, session_user, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls "
            "FROM pg_roles WHERE rolname = current_user"
        )
    ).one()
    assert tuple(who) == (APP_ROLE, APP_ROLE, False, False, False, False)
    for escape in ("SET ROLE NONE", "SET SESSION AUTHORIZATION DEFAULT"):
        session.execute(text(escape))
        assert session.scalar(text("SELECT current_user")) == APP_ROLE
    for owner in ("SET ROLE ims", "SET SESSION AUTHORIZATION ims"):
        with pytest.raises(DBAPIError, match="permission denied"), session.begin_nested():
            session.execute(text(owner))


def test_the_application_owns_nothing(session: Session, separate_login: None) -> None:
    owned = session.scalar(
        text(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) "
            "AND n.nspname NOT LIKE 'pg_temp%'"
        )
    )
    assert owned == 0
    with pytest.raises(DBAPIError, match="permission denied"), session.begin_nested():
        session.execute(text("CREATE TABLE public.mine (x int)"))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_piece SET area_m2 = area_m2 / 2",  # halved the remaining area
        "DELETE FROM report_run",  # erased the report history
        "UPDATE report_run SET totals = '{}'",
        'INSERT INTO ledger_entry (hazard_id, entry_no, kind, "on", seq, delta_m2, '
        "remaining_after_m2) SELECT id, 99, 'added', DATE '2020-01-01', 0, 1e9, 1e9 FROM hazard",
        "DELETE FROM ledger_entry",
        "UPDATE hazard_remaining SET remaining_m2 = 0",
        "DELETE FROM hazard_overlap",
        "UPDATE hazard SET reference = 'someone else''s'",
        "DELETE FROM hazard",
        "TRUNCATE ledger_piece",
        "SELECT setval('recording_seq', 1)",
        # the map's state at any date (migration 0016): derived from the ledger alone
        "UPDATE admin1_change SET area_m2 = 0",  # blanked a province on the map
        "DELETE FROM hazard_period",
        "UPDATE hazard_period SET remaining_m2 = 0",
        'INSERT INTO hazard_admin1_count (hazard_id, admin_id, "on", contam, hazards) '
        "SELECT id, 1, DATE '2020-01-01', 'CMR', 1 FROM hazard",
        "DELETE FROM hazard_admin1_area",
        "SELECT ims_map_rebuild(ARRAY[1])",
        "SELECT ims_map_forget(ARRAY[1], true)",
        # the report's changes (migration 0021): Form 1(h) and 1(i) are read from them
        "UPDATE report_change SET value = 0",
        "DELETE FROM report_change",
        "INSERT INTO report_change (level, admin_id, contam, figure, code, year, value, records) "
        "VALUES (1, NULL, 'CMR', 'remaining', 'SHA', 2020, 1e9, 0)",
        "DELETE FROM hazard_report_area",
        "SELECT ims_report_rebuild_areas(ARRAY[1])",
        "SELECT ims_report_forget_areas(ARRAY[1])",
        # the version kept answers are filed under (migration 0026): set back, a page
        # would show figures from before the last approval
        "UPDATE recording_version SET version = 0",
        # a withdrawal is never taken back or reworded (migration 0039), and the releases
        # in force are the records less the withdrawn, never written to
        "DELETE FROM release_withdrawal",
        "UPDATE release_withdrawal SET reason = ''",
        "DELETE FROM release_in_force",
        "INSERT INTO release_in_force (reference, hazard_id, method, released, geom) "
        "SELECT 'X', hazard_id, method, released, geom FROM release LIMIT 1",
        # nor a hazard's (migration 0040), nor the hazards and revisions in force
        "DELETE FROM hazard_withdrawal",
        "DELETE FROM hazard_revision_in_force",
    ],
)
def test_the_application_cannot_write_derived_data(
    session: Session, recorded: None, statement: str
) -> None:
    # the report finalised by provinces, and so by districts
    assert session.scalar(text("SELECT count(*) FROM report_run")) == 2
    with pytest.raises(DBAPIError, match="permission denied"), session.begin_nested():
        session.execute(text(statement))


def test_an_approval_through_the_normal_path_records_everything(
    session: Session, tmp_path: Path
) -> None:
    load_boundaries(
        session, [BoundaryFeature("LA-XI", "Xiangkhouang", MultiPolygon([LAOS]))], level=1
    )
    hazards = submissions.stage(session, good_zip(tmp_path), kind="hazards", organisation="MAG")
    approval.approve(session, hazards.submission.id, by="tests")
    frame = release_frame(
        [
            {
                "release_id": "R-1",
                "hazard_id": "API-1",
                "method": "cleared",
                "released": "2024-03-01",
            }
        ],
        [box(103.2, 19.4, 103.2025, 19.405)],
    )
    releases = submissions.stage(session, write_zip(frame, tmp_path, "rel"), kind="releases")
    approval.approve(session, releases.submission.id, by="tests")
    assert session.scalar(text("SELECT current_user")) == APP_ROLE
    kinds = session.scalars(
        select(LedgerEntry.kind).order_by(LedgerEntry.hazard_id, LedgerEntry.entry_no)
    ).all()
    assert kinds == ["added", "cleared", "added"]
    assert session.scalar(text("SELECT count(*) FROM ledger_piece")) > 0
    assert session.scalar(text("SELECT count(*) FROM hazard_remaining")) == 2
    assert events(session, "release.recorded") == 1


def test_a_first_production_is_in_the_audit_trail(session: Session, recorded: None) -> None:
    run = session.scalars(select(ReportRun).where(ReportRun.params.contains("level=1"))).one()
    event = session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "report_run", AuditEvent.object_id == str(run.id)
        )
    ).one()
    assert event.action == "report.finalised" and event.after is not None
    assert event.after["params"] == run.params and event.after["totals"] == run.totals
    kept = session.scalar(
        text(f"SELECT {DOCUMENT_DIGEST} FROM report_run r WHERE r.id = :i"), {"i": run.id}
    )
    assert event.after["document_sha256"] == kept  # the whole report, by its digest
    article7_with_history(session, 2022, ReportScope(), by="tests", finalise=True)  # produced again
    assert events(session, "report.finalised") == 2  # by provinces, and districts, once


@pytest.mark.parametrize(
    ("entry", "refused"),
    [
        # a release entry for a release of another hazard
        (
            "(SELECT h2), 3, 'cleared', DATE '2022-03-01', (SELECT seq FROM release), NULL, "
            "(SELECT id FROM release), 'CHA', -1e6, 0, 0",
            "does not match its release",
        ),
        # an entry moved to another date
        (
            "(SELECT h2), 1, 'added', DATE '2019-01-01', (SELECT seq FROM hazard_revision "
            "WHERE hazard_id = (SELECT h2)), (SELECT id FROM hazard_revision WHERE hazard_id = "
            "(SELECT h2)), NULL, 'SHA', 1e9, 1e9, 0",
            "does not match its revision",
        ),
        # a hazard not among those stored
        (
            "(SELECT h1), 9, 'added', DATE '2020-01-01', 0, NULL, NULL, 'SHA', 1, 1, 0",
            "not among the hazards stored",
        ),
    ],
)
def test_the_ledger_function_refuses_rows_that_do_not_match_the_records(
    session: Session, recorded: None, entry: str, refused: str
) -> None:
    ids = dict(session.execute(text("SELECT reference, id FROM hazard")).all())
    stage = (
        "WITH x AS (SELECT :h1 AS h1, :h2 AS h2) INSERT INTO pg_temp.ims_stage_entry "
        "SELECT {} FROM x"
    )
    with pytest.raises(DBAPIError, match=refused), session.begin_nested():
        session.execute(text("SELECT ims_ledger_stage()"))
        session.execute(
            text(stage.format(entry.replace("(SELECT h1)", "x.h1").replace("(SELECT h2)", "x.h2"))),
            {"h1": ids["H1"], "h2": ids["H2"]},
        )
        session.execute(text("SELECT ims_ledger_store(ARRAY[:h2])"), {"h2": ids["H2"]})


def test_the_ledger_function_takes_only_its_own_staging_tables(
    engine: Engine, separate_login: None
) -> None:
    # A table of the application's own under the staging name (it could carry a trigger
    # that would run as the owner) is refused; the owner's staging tables cannot be read.
    fresh = create_engine(engine.url, poolclass=NullPool)  # a session with no staging yet
    try:
        with fresh.connect() as conn:
            conn.execute(text("CREATE TEMP TABLE ims_stage_entry (hazard_id int)"))
            conn.execute(text("SELECT ims_ledger_stage()"))
            with pytest.raises(DBAPIError, match="ims_ledger_stage"):
                conn.execute(text("SELECT ims_ledger_store(ARRAY[1])"))
        with fresh.connect() as conn:
            conn.execute(text("SELECT ims_ledger_stage()"))
            with pytest.raises(DBAPIError, match="permission denied"):
                conn.execute(text("SELECT * FROM pg_temp.ims_stage_entry"))
    finally:
        fresh.dispose()


def test_the_shared_login_fallback_still_works_as_the_application(
    owner_engine: Engine, tmp_path: Path
) -> None:
    # Without IMS_ADMIN_DATABASE_URL ims logs in as the owner and sets the role.
    from ims.db.session import make_engine

    fallback = make_engine(owner_engine.url.render_as_string(hide_password=False))
    try:
        with fallback.connect() as conn:
            assert conn.scalar(text("SELECT current_user")) == APP_ROLE
            with pytest.raises(DBAPIError, match="permission denied"):
                conn.execute(text("DELETE FROM report_run"))
    finally:
        fallback.dispose()


def test_a_large_approval_brings_the_record_statistics_up_to_date_in_its_transaction(
    session: Session, separate_login: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 0022: the planner's statistics may still describe the record tables before
    this transaction's records; an approval of many hazards has the owner's function
    analyse them, counting the transaction's own new rows (ANALYZE is the owner's)."""
    record_hazards(
        session,
        [
            NewHazard(
                f"S{k}",
                HazardStatus.SHA,
                box(102.1 + k / 100, 19.6, 102.105 + k / 100, 19.61),
                dt.date(2020, 1, 1),
            )
            for k in range(3)
        ],
        refresh_ledger=False,
    )
    rows = text("SELECT reltuples FROM pg_class WHERE relname = 'hazard_revision'")
    assert session.scalar(rows) != 3  # never analysed: -1
    ids = list(session.scalars(text("SELECT id FROM hazard")))
    monkeypatch.setattr(ledger, "ANALYZE_FROM_HAZARDS", 3)
    ledger.refresh_many(session, ids)
    assert session.scalar(rows) == 3
    assert session.scalar(text("SELECT current_user")) == APP_ROLE


def test_the_ledger_functions_price_index_lookups_as_in_memory(session: Session) -> None:
    """Migration 0022: with the default pricing each chunk of a national approval scanned the
    whole ledger in the map's triggers; the ledger's functions carry their own."""
    rows = session.execute(
        text(
            "SELECT p.proname, p.proconfig FROM pg_proc p "
            "WHERE p.proname LIKE 'ims_map_%' OR p.proname IN ('ims_ledger_store', "
            "'ims_refresh_overlaps', 'ims_report_forget_areas', 'ims_report_rebuild_areas', "
            "'ims_report_entries_added', 'ims_report_entries_removed', "
            "'ims_report_entries_changed', 'ims_report_pieces_added', "
            "'ims_report_pieces_changed', 'ims_report_truncated')"
        )
    ).all()
    assert len(rows) == 19
    for name, config in rows:
        assert "random_page_cost=1.1" in (config or []), name


def _admin_id(session: Session, code: str) -> int:
    return int(session.scalar(text("SELECT id FROM admin_area WHERE code = :c"), {"c": code}))


def test_the_ledger_names_only_admin_areas_that_exist(session: Session, recorded: None) -> None:
    """Migration 0023: the ledger's admin areas are checked once per statement (they were
    foreign keys, checked row by row), with the same error, naming what is wrong."""
    h1 = session.scalar(text("SELECT id FROM hazard WHERE reference = 'H1'"))
    entries = session.execute(
        text("SELECT entry_no, count_admin1_id FROM ledger_entry WHERE hazard_id = :h"),
        {"h": h1},
    ).all()
    assert entries and all(a == _admin_id(session, "P-A") for _, a in entries)
    stage = text(
        'INSERT INTO pg_temp.ims_stage_entry SELECT hazard_id, entry_no, kind, "on", seq, '
        "revision_id, release_id, status_after, delta_m2, remaining_after_m2, outside_m2, "
        "count_admin1_id, count_admin2_id, :items, items_admin2_id FROM ledger_entry "
        "WHERE hazard_id = :h"
    )
    refused = r"ledger entry of hazard id .* names admin area id 999999, which does not exist"
    with pytest.raises(DBAPIError, match=refused) as caught, session.begin_nested():
        session.execute(text("SELECT ims_ledger_stage()"))
        session.execute(stage, {"h": h1, "items": 999_999})
        session.execute(text("SELECT ims_ledger_store(ARRAY[:h])"), {"h": h1})
    assert getattr(caught.value.orig, "sqlstate", None) == "23503"  # a foreign key's error

    piece = text(
        "INSERT INTO pg_temp.ims_stage_piece SELECT hazard_id, entry_no, level, :admin, area_m2 "
        "FROM ledger_piece WHERE hazard_id = :h"
    )
    refused = r"ledger piece of hazard id .* admin area id 999998"
    with pytest.raises(DBAPIError, match=refused), session.begin_nested():
        session.execute(text("SELECT ims_ledger_stage()"))
        session.execute(stage, {"h": h1, "items": None})
        session.execute(piece, {"h": h1, "admin": 999_998})
        session.execute(text("SELECT ims_ledger_store(ARRAY[:h])"), {"h": h1})

    # the same rows with admin areas that exist are stored
    session.execute(text("SELECT ims_ledger_stage()"))
    session.execute(stage, {"h": h1, "items": _admin_id(session, "P-A")})
    session.execute(text("SELECT ims_ledger_store(ARRAY[:h])"), {"h": h1})


@pytest.mark.parametrize("login", ["session", "owner_session"])
def test_an_admin_area_the_ledger_names_cannot_be_removed(
    request: pytest.FixtureRequest, login: str
) -> None:
    s: Session = request.getfixturevalue(login)  # the application, or the owner
    load_boundaries(
        s,
        [
            BoundaryFeature("P-A", "Province A", MultiPolygon([box(102.0, 19.0, 102.5, 20.0)])),
            BoundaryFeature("P-B", "Province B", MultiPolygon([box(103.0, 19.0, 103.5, 20.0)])),
        ],
        level=1,
    )
    record_hazards(
        s,
        [NewHazard("H1", HazardStatus.CHA, box(102.1, 19.6, 102.11, 19.61), dt.date(2020, 1, 1))],
    )
    named, unnamed = _admin_id(s, "P-A"), _admin_id(s, "P-B")
    for sql in (
        "DELETE FROM admin_area WHERE id = :a",
        "UPDATE admin_area SET id = 999997 WHERE id = :a",
    ):
        refused = f"admin area id {named} is named in the ledger"
        with pytest.raises(DBAPIError, match=refused), s.begin_nested():
            s.execute(text(sql), {"a": named})
    # changed in place (as a boundary load does), it stays; one the ledger does not name goes
    s.execute(text("UPDATE admin_area SET name = 'Province A (2026)' WHERE id = :a"), {"a": named})
    s.execute(text("DELETE FROM admin_area WHERE id = :a"), {"a": unnamed})
    if login == "owner_session":  # the application may not truncate at all
        for table in ("admin_area", "hazard_revision", "release"):
            refused = f"the ledger names rows of {table}"
            with pytest.raises(DBAPIError, match=refused), s.begin_nested():
                s.execute(text(f"TRUNCATE {table} CASCADE"))


def test_a_national_ledger_refreshes_the_statistics_each_time_it_doubles(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 0023: a first national import fills the ledger in its transaction; the
    statistics are refreshed as it grows (at 2, 4 and 8 of 10 hazards here), not per chunk."""
    monkeypatch.setattr(ledger, "ANALYZE_FROM_HAZARDS", 2)
    stored: list[int] = []
    refreshed_after: list[int] = []
    executed = session.execute

    def execute(statement: Any, *args: Any, **kwargs: Any) -> Any:
        if "ims_analyze_recorded" in str(statement):
            refreshed_after.append(len(stored))
        return executed(statement, *args, **kwargs)

    monkeypatch.setattr(session, "execute", execute)
    store = ledger.analyzing_as_it_grows(session, 10, lambda _k, chunk, _r: stored.extend(chunk))
    for hazard in range(10):
        store("full", [hazard], ([], [], []))
    assert stored == list(range(10))
    assert refreshed_after == [2, 4, 8]
    assert ledger.analyzing_as_it_grows(session, 3, print) is print  # too few to bother
