"""The audit trail is sealed in a SHA-256 chain: forged, altered and removed rows are found.

Security issue 13, item 8: the application's role could insert forged audit rows, and
whoever holds the owner's login can disable the append-only triggers. Every transaction's
rows are sealed at commit (migration 0010); `ims audit verify` recomputes the chain.
The tests commit for real (seals are made at commit), on a database of their own.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ims.cli import app
from ims.db import accounts, audit
from ims.db.audit import ChainReport, verify_chain
from ims.db.migrate import upgrade
from ims.db.session import make_owner_engine
from ims.domain.enums import Role
from tests.utils import point_cli_at


def activity(engine: Engine, n: int = 3) -> None:
    """Some audited changes, in several transactions (as ims makes them: as ims_app)."""
    for i in range(n):
        with Session(engine) as session, session.begin():
            accounts.create_user(session, f"user{i}", Role.VIEWER, by="tests")
            accounts.set_role(session, f"user{i}", Role.REVIEWER, by="tests")


def verify(owner: Engine, noted: str | None = None) -> ChainReport:
    with owner.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        return verify_chain(conn, noted_head=noted)


def as_owner(owner: Engine, *statements: str) -> None:
    with owner.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def kinds(report: ChainReport) -> list[tuple[str, int | None]]:
    return [(p.kind, p.event_id) for p in report.problems or []]


def test_every_transaction_is_sealed_and_the_chain_verifies(
    committed_engine: Engine, committed_owner_engine: Engine
) -> None:
    activity(committed_engine)
    report = verify(committed_owner_engine)
    assert report.clean, report.problems
    assert report.events == 6 and report.seals == 3  # one seal per transaction
    assert report.head is not None and len(report.head) == 64
    with committed_owner_engine.connect() as conn:
        sealed = conn.execute(text("SELECT seal_no, event_ids FROM audit_seal ORDER BY 1")).all()
    assert [len(ids) for _, ids in sealed] == [2, 2, 2]


def test_concurrent_transactions_extend_one_chain(
    committed_engine: Engine, committed_owner_engine: Engine
) -> None:
    def sign_ins(worker: int) -> None:
        for i in range(5):
            with Session(committed_engine) as session, session.begin():
                audit.record(session, f"worker{worker}", "user.signed_in", "user", i)

    threads = [threading.Thread(target=sign_ins, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report = verify(committed_owner_engine)
    assert report.clean, report.problems
    assert report.seals == 20 and report.events == 20


def test_time_transaction_and_id_are_the_databases_not_the_inserters(
    committed_engine: Engine, committed_owner_engine: Engine
) -> None:
    with committed_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_event (actor, action, object_type, object_id, at, "
                "tx) VALUES ('x', 'y', 'z', '1', '2001-01-01', 42)"
            )
        )
        at, tx = conn.execute(text("SELECT at, tx FROM audit_event")).one()
        assert at.year > 2001 and tx != 42
        with pytest.raises(DBAPIError, match="ids come from its sequence"), conn.begin_nested():
            conn.execute(
                text(
                    "INSERT INTO audit_event (id, actor, action, object_type, "
                    "object_id) VALUES (1000, 'x', 'y', 'z', '2')"
                )
            )
    assert verify(committed_owner_engine).clean


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET actor = 'someone else'",
        "DELETE FROM audit_event",
        "TRUNCATE audit_event",
        "SELECT * FROM audit_seal",
        "INSERT INTO audit_seal (seal_no, tx, event_ids, event_hashes, prev_hash, hash) "
        "VALUES (99, 0, '{}', '{}', sha256('a'), sha256('b'))",
        "UPDATE audit_seal SET hash = sha256('c')",
        "DELETE FROM audit_seal",
        "TRUNCATE audit_seal",
        "ALTER TABLE audit_event DISABLE TRIGGER audit_event_seal",
    ],
)
def test_the_application_cannot_touch_the_trail_or_its_seals(
    connection: Connection, statement: str
) -> None:
    with pytest.raises(DBAPIError, match=r"permission denied|must be owner"):
        connection.execute(text(statement))


def test_a_row_inserted_with_the_triggers_disabled_is_found_as_forged(
    committed_engine: Engine, committed_owner_engine: Engine
) -> None:
    activity(committed_engine, 1)
    as_owner(
        committed_owner_engine,
        "ALTER TABLE audit_event DISABLE TRIGGER USER",
        "INSERT INTO audit_event (actor, action, object_type, object_id) "
        "VALUES ('admin', 'user.added', 'user', 'ghost')",
        "ALTER TABLE audit_event ENABLE TRIGGER USER",
    )
    report = verify(committed_owner_engine)
    assert [k for k, _ in kinds(report)] == ["forged"]
    assert "ghost" in (report.problems or [])[0].detail


def test_a_row_changed_by_the_owner_is_found_as_altered(
    committed_engine: Engine, committed_owner_engine: Engine
) -> None:
    activity(committed_engine, 2)
    as_owner(
        committed_owner_engine,
        "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only",
        "UPDATE audit_event SET actor = 'someone else' WHERE id = 3",
        "ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only",
    )
    assert kinds(verify(committed_owner_engine)) == [("altered", 3)]


def test_a_row_deleted_by_the_owner_is_found_as_removed(
    committed_engine: Engine, committed_owner_engine: Engine
) -> None:
    activity(committed_engine, 2)
    as_owner(
        committed_owner_engine,
        "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only",
        "DELETE FROM audit_event WHERE id = 2",
        "ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only",
    )
    assert kinds(verify(committed_owner_engine)) == [("removed", 2)]


def test_a_removed_seal_or_a_rewritten_chain_is_found(
    committed_engine: Engine, committed_owner_engine: Engine
) -> None:
    activity(committed_engine, 3)
    noted = verify(committed_owner_engine).head
    # Remove the middle transaction: its rows and its seal.
    as_owner(
        committed_owner_engine,
        "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only",
        "ALTER TABLE audit_seal DISABLE TRIGGER audit_seal_append_only",
        "DELETE FROM audit_event WHERE id IN (3, 4)",
        "DELETE FROM audit_seal WHERE seal_no = 2",
    )
    report = verify(committed_owner_engine, noted)
    assert [k for k, _ in kinds(report)] == ["chain"]
    assert "seal 2 is missing" in (report.problems or [])[0].detail
    # Rewrite the chain after it, so every seal follows the one before: only the head
    # noted outside the database tells.
    as_owner(
        committed_owner_engine,
        "UPDATE audit_seal SET seal_no = 2, prev_hash = (SELECT hash FROM audit_seal "
        "WHERE seal_no = 1) WHERE seal_no = 3",
        "UPDATE audit_seal s SET hash = sha256(s.prev_hash || (SELECT string_agg(h, ''::bytea "
        "ORDER BY o) FROM unnest(s.event_hashes) WITH ORDINALITY u(h, o))) WHERE seal_no = 2",
    )
    rewritten = verify(committed_owner_engine)
    assert rewritten.clean and rewritten.head != noted
    assert "not in the chain" in (verify(committed_owner_engine, noted).problems or [])[0].detail


def test_ims_audit_verify_exits_1_on_tampering_and_prints_the_head(
    committed_engine: Engine,
    committed_owner_engine: Engine,
    committed_database: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    activity(committed_engine, 2)
    point_cli_at(
        monkeypatch, committed_engine.url.render_as_string(hide_password=False), committed_database
    )
    runner = CliRunner()
    clean = runner.invoke(app, ["audit", "verify"])
    assert clean.exit_code == 0, clean.output
    head = verify(committed_owner_engine).head
    assert f"head {head}" in clean.output and "no tampering found" in clean.output
    # a mistyped hash had been told "tampering found: 1 chain" (helper-89); capitals and
    # spaces around a copied one are no mistake
    typo = runner.invoke(app, ["audit", "verify", "--noted", "abc"])
    assert typo.exit_code == 2, typo.output
    assert "'abc' is not a head hash: one is 64 hexadecimal characters" in typo.output
    copied = runner.invoke(app, ["audit", "verify", "--noted", f" {str(head).upper()} "])
    assert copied.exit_code == 0, copied.output
    as_owner(
        committed_owner_engine,
        "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only",
        'UPDATE audit_event SET after = \'{"role": "admin"}\' WHERE id = 2',
        "ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only",
    )
    tampered = runner.invoke(app, ["audit", "verify", "--noted", str(head)])
    assert tampered.exit_code == 1, tampered.output
    assert "altered: audit event 2 (sealed in seal 1)" in tampered.output
    assert "tampering found: 1 altered" in tampered.output


def test_an_empty_trail_is_not_passed_in_silence(
    committed_engine: Engine, committed_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a restore that had failed, "0 events … no tampering found" read as success (a
    walk-through upgrading an older install)."""
    point_cli_at(
        monkeypatch, committed_engine.url.render_as_string(hide_password=False), committed_database
    )
    said = CliRunner().invoke(app, ["audit", "verify"])
    assert said.exit_code == 0 and "warning: the audit trail is empty" in said.output


def test_the_rows_from_before_the_chain_are_sealed_by_the_upgrade(test_server) -> None:  # type: ignore[no-untyped-def]
    url = test_server.create_database("ims_chain_upgrade")
    owner = make_owner_engine(url)
    try:
        upgrade(owner, "0008")
        as_owner(
            owner,
            "INSERT INTO audit_event (actor, action, object_type, object_id) "
            "VALUES ('old', 'user.added', 'user', 'a'), ('old', 'user.added', 'user', 'b')",
            "INSERT INTO report_run (kind, params, stamp, totals) "
            "VALUES ('article7', 'year=2020;level=1;contam=CMR', 0, '{}')",
        )
        upgrade(owner, by="cli:admin")
        report = verify(owner)
        # the three, and the upgrade's own event, sealed after them
        assert report.clean and report.seals == 2 and report.events == 4
        with owner.connect() as conn:
            last = conn.execute(
                text("SELECT actor, action, before FROM audit_event ORDER BY id DESC LIMIT 1")
            ).one()
        assert tuple(last) == ("cli:admin", "database.migrated", {"revision": "0008"})
        with owner.connect() as conn:
            backfilled = conn.execute(
                text(
                    "SELECT actor, after->>'params' FROM audit_event WHERE action = "
                    "'report.first_produced'"
                )
            ).one()
        assert tuple(backfilled) == ("migration 0009", "year=2020;level=1;contam=CMR")
    finally:
        owner.dispose()
        test_server.drop_database(url)
