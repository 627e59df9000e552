"""Accounts (hashed passwords and tokens) and the append-only audit trail."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import MultiPolygon, box
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ims.db import accounts, audit
from ims.db.audit import Actor
from ims.db.models import ApiToken, AppUser, AuditEvent
from ims.db.recording import load_boundaries, revise_hazards
from ims.db.session import APP_ROLE
from ims.domain.enums import HazardStatus, Role
from ims.domain.records import BoundaryFeature, HazardChange
from ims.errors import Conflict, InvalidRequest
from ims.ingest import approval, submissions
from tests.api.test_uploads_api import LAOS, good_zip
from tests.ingest.test_submissions import write_zip


def release_frame(rows: list[dict[str, str]], geoms: list[object]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=4326)


def events(session: Session, **where: object) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    for column, value in where.items():
        query = query.where(getattr(AuditEvent, column) == value)
    return list(session.scalars(query))


def test_passwords_are_argon2_hashes_and_tokens_only_their_sha256(session: Session) -> None:
    user = accounts.create_user(
        session, "Alice", Role.REVIEWER, password="long password 1", by="tests"
    )
    assert user.username == "alice"
    assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
    assert "long password 1" not in user.password_hash
    token, secret = accounts.create_token(session, "alice", "nightly export", by="tests")
    stored = session.get(ApiToken, token.id)
    assert stored is not None and secret.startswith("ims_") and len(secret) > 40
    assert secret not in (stored.token_hash, stored.prefix) and stored.prefix == secret[:12]
    principal = accounts.principal_from_token(session, secret)
    assert principal is not None and principal.username == "alice"
    assert accounts.principal_from_token(session, secret + "x") is None


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"username": "bob", "role": Role.VIEWER, "password": "short"},
            InvalidRequest,
            "at least 10",
        ),
        ({"username": "carol", "role": Role.OPERATOR}, InvalidRequest, "organisation"),
        ({"username": "no spaces", "role": Role.VIEWER}, InvalidRequest, "user name"),
        ({"username": "dup", "role": Role.VIEWER}, Conflict, "already exists"),
        # both mistakes at once: the second had been said only once the first was mended
        (
            {"username": "mai", "role": Role.OPERATOR, "password": "short"},
            InvalidRequest,
            "an operator belongs to an organisation: choose one for mai; a password needs "
            "at least 10 characters",
        ),
    ],
)
def test_bad_users_are_refused_with_the_reason(
    session: Session, kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    accounts.create_user(session, "dup", Role.VIEWER, by="tests")
    with pytest.raises(error, match=message):
        accounts.create_user(session, by="tests", **kwargs)  # type: ignore[arg-type]


def test_user_changes_are_in_the_trail_with_before_and_after(session: Session) -> None:
    admin = Actor("root-admin", None)
    accounts.create_user(
        session, "op1", Role.OPERATOR, organisation="FSD", new_organisation=True, by=admin
    )
    accounts.set_role(session, "op1", Role.REVIEWER, by=admin)
    accounts.disable_user(session, "op1", by=admin)
    trail = events(session, object_type="user", object_id="op1")
    assert [e.action for e in trail] == ["user.added", "user.role_changed", "user.disabled"]
    assert all(e.actor == "root-admin" for e in trail)
    assert trail[1].before is not None and trail[1].before["role"] == "operator"
    assert trail[1].after is not None and trail[1].after["role"] == "reviewer"
    assert trail[2].after is not None and trail[2].after["disabled"] is True
    assert events(session, action="organisation.added")[-1].object_id == "FSD"


def test_a_users_organisation_is_one_ims_knows_unless_added_on_purpose(
    session: Session,
) -> None:
    """An operator of "Npa" would see none of NPA's submissions: a typo is refused with the
    names it looks like, and no organisation is added by it."""
    before = session.scalar(text("SELECT count(*) FROM organisation"))
    with pytest.raises(InvalidRequest, match="unknown organisation 'NPAA': did you mean NPA"):
        accounts.create_user(session, "op-typo", Role.OPERATOR, organisation="NPAA", by="tests")
    assert session.scalar(text("SELECT count(*) FROM organisation")) == before
    other_capitals = accounts.create_user(
        session, "op-npa", Role.OPERATOR, organisation="npa", by="tests"
    )
    assert other_capitals.organisation is not None and other_capitals.organisation.name == "NPA"
    with pytest.raises(InvalidRequest, match="unknown organisation"):
        accounts.set_role(session, "op-npa", Role.OPERATOR, organisation="Nonexistent Org", by="t")


def test_an_approval_records_who_and_each_hazard_and_release_before_and_after(
    session: Session, tmp_path: Path
) -> None:
    load_boundaries(
        session, [BoundaryFeature("LA-XI", "Xiangkhouang", MultiPolygon([LAOS]))], level=1
    )
    reviewer = accounts.create_user(session, "rev1", Role.REVIEWER, by="tests")
    by = Actor(reviewer.username, reviewer.id)
    hazards = submissions.stage(
        session, good_zip(tmp_path), kind="hazards", organisation="MAG", uploaded_by="mag-op"
    )
    approval.approve(session, hazards.submission.id, by=by)
    # half of API-1 (box 103.2–103.205) cleared
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
    releases = submissions.stage(
        session,
        write_zip(frame, tmp_path, "rel"),
        kind="releases",
        organisation="MAG",
        uploaded_by="mag-op",
    )
    approval.approve(session, releases.submission.id, by=by)

    uploaded = events(session, action="submission.uploaded")
    assert [e.actor for e in uploaded] == ["mag-op", "mag-op"]
    approved = events(session, action="submission.approved")
    assert [e.actor_user_id for e in approved] == [reviewer.id, reviewer.id]
    recorded = events(session, action="hazard.recorded")
    assert sorted(e.object_id for e in recorded) == ["API-1", "API-2"]
    first = next(e for e in recorded if e.object_id == "API-1")
    assert first.before is None and first.after is not None
    assert first.after["status"] == "SHA" and first.after["area_m2"] > 0
    (released,) = events(session, action="release.recorded")
    assert released.hazard_id == first.hazard_id and released.actor == "rev1"
    assert released.before is not None and released.after is not None
    whole, half = released.before["remaining_m2"], released.after["remaining_m2"]
    assert half == pytest.approx(whole / 2, rel=1e-3)  # half the box (equal-area halves)
    assert released.after["counted_m2"] == pytest.approx(whole - half, abs=0.2)
    # a boundary correction later: its own event, with the revision it supersedes
    revise_hazards(
        session,
        [
            HazardChange(
                "API-1",
                dt.date(2024, 6, 1),
                HazardStatus.CHA,
                MultiPolygon([box(103.2, 19.4, 103.21, 19.405)]),
            )
        ],
        submission_id=releases.submission.id,
    )
    audit.record_applied(session, by, releases.submission.id)
    revised = events(session, action="hazard.revised")
    assert revised and revised[-1].before is not None and revised[-1].after is not None
    assert revised[-1].after["area_m2"] == pytest.approx(
        2 * revised[-1].before["area_m2"], rel=1e-3
    )
    # each names its record by the number the hazard's page lists it under ("No."), not
    # only by its row's id, which the page does not show
    seqs = dict(
        session.execute(
            text("SELECT id, seq FROM hazard_revision WHERE hazard_id = :h"),
            {"h": first.hazard_id},
        ).all()
    )
    assert revised[-1].after["no"] == seqs[revised[-1].after["revision"]]
    assert revised[-1].before["no"] == seqs[revised[-1].before["revision"]]
    assert released.after["no"] == session.scalar(text("SELECT seq FROM release"))
    assert [e.action for e in audit.hazard_events(session, first.hazard_id or 0)][:2] == [
        "hazard.recorded",
        "release.recorded",
    ]
    # marked in one revision and the marking taken away in the next: the trail shows what
    # each took away, not only what it left ("marked" had been on the after side only)
    revise_hazards(
        session,
        [HazardChange("API-2", dt.date(2024, 7, 1), marked=dt.date(2024, 6, 20))],
        submission_id=releases.submission.id,
    )
    revise_hazards(
        session,
        [HazardChange("API-2", dt.date(2024, 8, 1), cleared=frozenset({"marked"}))],
        submission_id=releases.submission.id,
    )
    audit.record_applied(session, by, releases.submission.id)
    marking = [e for e in events(session, action="hazard.revised") if e.object_id == "API-2"]
    assert marking[-2].before is not None and marking[-2].before["marked"] is None
    assert marking[-2].after is not None and marking[-2].after["marked"] == "2024-06-20"
    assert marking[-1].before is not None and marking[-1].before["marked"] == "2024-06-20"
    assert marking[-1].after is not None and marking[-1].after["marked"] is None
    # the years and the munitions estimate, which a revision can correct, on both sides
    # (helper-108 read "hazard revised" with status, marking and area alone)
    revise_hazards(
        session,
        [
            HazardChange(
                "API-2",
                dt.date(2024, 9, 1),
                used_from=1965,
                used_to=1970,
                estimates={"M42": 12, "BLU-26": 400},
            )
        ],
        submission_id=releases.submission.id,
    )
    audit.record_applied(session, by, releases.submission.id)
    (estimated,) = [
        e
        for e in events(session, action="hazard.revised")
        if e.object_id == "API-2" and e.after and e.after["effective"] == "2024-09-01"
    ][-1:]
    assert estimated.before is not None and estimated.after is not None
    assert estimated.before["estimates"] == {"BLU-26": 5}  # as the file had it
    assert estimated.after["estimates"] == {"BLU-26": 400, "M42": 12}
    assert (estimated.after["used_from"], estimated.after["used_to"]) == (1965, 1970)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET actor = 'someone else'",
        "DELETE FROM audit_event",
        "TRUNCATE audit_event",
        "UPDATE hazard_revision SET status = 'SHA'",
        "DELETE FROM release",
        # a withdrawal taken back would make the release count again, unseen
        "DELETE FROM release_withdrawal",
        "UPDATE release_withdrawal SET reason = 'another'",
        "UPDATE work_plan_target SET target_m2 = 0",
    ],
)
def test_history_and_the_trail_cannot_be_changed_by_the_application(
    session: Session, tmp_path: Path, statement: str
) -> None:
    load_boundaries(
        session, [BoundaryFeature("LA-XI", "Xiangkhouang", MultiPolygon([LAOS]))], level=1
    )
    staged = submissions.stage(session, good_zip(tmp_path), kind="hazards", organisation="MAG")
    approval.approve(session, staged.submission.id, by="tests")
    frame = release_frame(
        [
            {
                "release_id": "R-2",
                "hazard_id": "API-2",
                "method": "cancelled",
                "released": "2024-03-01",
            }
        ],
        [box(103.3, 19.4, 103.305, 19.405)],
    )
    rel = submissions.stage(session, write_zip(frame, tmp_path, "r"), kind="releases")
    approval.approve(session, rel.submission.id, by="tests")
    session.execute(
        text(
            "INSERT INTO work_plan_target (year, admin_id, method, target_m2) "
            "SELECT 2026, id, 'cleared', 5 FROM admin_area LIMIT 1"
        )
    )
    session.flush()
    assert session.scalar(text("SELECT current_user")) == APP_ROLE
    with pytest.raises(DBAPIError, match="permission denied"), session.begin_nested():
        session.execute(text(statement))  # the application's role holds no such privilege
    table = statement.replace("DELETE FROM", "DELETE").split()[1]
    with pytest.raises(DBAPIError, match="must be owner"), session.begin_nested():
        session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER ALL"))  # nor the triggers
    assert session.scalar(text("SELECT count(*) FROM audit_event WHERE actor = 'tests'"))


# A row in each append-only table, made by the owner (in a transaction rolled back).
OWNER_ROWS = """
INSERT INTO admin_area (level, code, name, geom)
VALUES (1, 'T', 'T', ST_Multi(ST_MakeEnvelope(102, 19, 103, 20, 4326)));
INSERT INTO hazard (reference) VALUES ('T-1');
INSERT INTO hazard_revision (hazard_id, effective, status, geom, map_area_m2)
SELECT id, DATE '2020-01-01', 'SHA', g, ST_Area(g::geography)
FROM hazard, ST_Multi(ST_MakeEnvelope(102.1, 19.1, 102.2, 19.2, 4326)) AS g
WHERE reference = 'T-1';
INSERT INTO release (reference, hazard_id, method, released, geom)
SELECT 'T-R', id, 'cleared', DATE '2021-01-01',
       ST_Multi(ST_MakeEnvelope(102.1, 19.1, 102.15, 19.2, 4326))
FROM hazard WHERE reference = 'T-1';
INSERT INTO release_withdrawal (release_id, reason)
SELECT id, 'sent twice' FROM release WHERE reference = 'T-R';
INSERT INTO hazard (reference) VALUES ('T-2');
INSERT INTO hazard_withdrawal (hazard_id, reason)
SELECT id, 'recorded twice' FROM hazard WHERE reference = 'T-2';
INSERT INTO work_plan_target (year, admin_id, method, target_m2)
SELECT 2026, id, 'cleared', 5 FROM admin_area WHERE code = 'T';
INSERT INTO audit_event (actor, action, object_type, object_id) VALUES ('tests', 't', 't', 't');
"""


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET actor = 'someone else'",
        "DELETE FROM audit_event",
        "TRUNCATE audit_event",
        "UPDATE hazard_revision SET status = 'SHA'",
        "DELETE FROM release",
        # a withdrawal taken back would make the release count again, unseen
        "DELETE FROM release_withdrawal",
        "UPDATE release_withdrawal SET reason = 'another'",
        # and a hazard's: it would count again, unseen
        "DELETE FROM hazard_withdrawal",
        "UPDATE hazard_withdrawal SET reason = 'another'",
        "UPDATE work_plan_target SET target_m2 = 0",
        "DELETE FROM audit_seal",
        "TRUNCATE audit_seal",
    ],
)
def test_even_the_owner_cannot_change_history_while_the_triggers_stand(
    owner_engine: Engine, statement: str
) -> None:
    with owner_engine.connect() as conn:
        trans = conn.begin()
        conn.execute(text(OWNER_ROWS))
        conn.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))  # seal now, not at commit
        conn.execute(
            text(
                "INSERT INTO audit_seal (seal_no, tx, event_ids, event_hashes, "
                "prev_hash, hash) VALUES (999999, 0, '{}', '{}', "
                "sha256('a'), sha256('b'))"
            )
        )
        with pytest.raises(DBAPIError, match="append-only"), conn.begin_nested():
            conn.execute(text(statement))
        trans.rollback()


def test_a_change_that_fails_leaves_no_audit_row(session: Session) -> None:
    before = session.scalar(text("SELECT count(*) FROM audit_event"))
    with pytest.raises(Conflict), session.begin_nested():
        accounts.create_user(session, "twice", Role.VIEWER, by="tests")
        accounts.create_user(session, "twice", Role.VIEWER, by="tests")
    assert session.scalar(text("SELECT count(*) FROM audit_event")) == before
    assert session.scalar(select(AppUser).where(AppUser.username == "twice")) is None


def test_the_trails_filter_takes_what_an_action_is_about_and_lists_the_actions(
    session: Session,
) -> None:
    """ "submission" found nothing: only the whole name (submission.approved) matched."""
    audit.record(session, "tests", "submission.approved", "submission", "1")
    audit.record(session, "tests", "submission.rejected", "submission", "2")
    audit.record(session, "tests", "submissions.other", "submission", "3")  # not a prefix match
    found = audit.recent_events(session, actions=["submission"])
    assert {e.action for e in found} == {"submission.approved", "submission.rejected"}
    assert [e.action for e in audit.recent_events(session, actions=["submission.rejected"])] == [
        "submission.rejected"
    ]
    names = audit.action_names(session)
    assert {"submission.approved", "submission.rejected", "submissions.other"} <= set(names)
    assert names == sorted(names) and len(names) == len(set(names))
