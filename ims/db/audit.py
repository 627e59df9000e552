"""The audit trail: who changed what, when, and the state before and after.

Every change goes through here in the same transaction as the change itself, so a change
and its audit row commit or roll back together. The table is append-only: ims works as
the role ``ims_app``, which has no UPDATE, DELETE or TRUNCATE privilege on it and does not
own it, and a trigger refuses those statements for every role, the owner's included.
"""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from ims.db.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user (with their id) or a named process (the CLI, the demo)."""

    name: str
    user_id: int | None = None


def cli_actor() -> Actor:
    """The person at the terminal, as the operating system names them."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Actor(f"cli:{who}")


def as_actor(by: Actor | str | None) -> Actor:
    """An Actor from what callers pass (an Actor, a bare name, or nothing)."""
    if isinstance(by, Actor):
        return by
    return Actor(by or "system")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def record(
    session: Session,
    by: Actor | str | None,
    action: str,
    object_type: str,
    object_id: object,
    *,
    hazard_id: int | None = None,
    submission_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Add one audit row (in the caller's transaction)."""
    actor = as_actor(by)
    session.execute(
        insert(AuditEvent).values(
            actor=actor.name, actor_user_id=actor.user_id, action=action,
            object_type=object_type, object_id=str(object_id), hazard_id=hazard_id,
            submission_id=submission_id, before=_jsonable(before), after=_jsonable(after),
        )
    )  # fmt: skip


# One row per hazard revision an approval recorded: the revision, and the one in force
# before it (none for a new hazard). Areas on the ellipsoid (geography), in m².
_REVISIONS = text("""
INSERT INTO audit_event (actor, actor_user_id, action, object_type, object_id, hazard_id,
                         submission_id, before, after)
SELECT :actor, :user_id,
       CASE WHEN p.id IS NULL THEN 'hazard.recorded' ELSE 'hazard.revised' END,
       'hazard', h.reference, r.hazard_id, r.submission_id,
       CASE WHEN p.id IS NULL THEN NULL ELSE jsonb_build_object(
           'revision', p.id, 'effective', p.effective, 'status', p.status,
           'area_m2', round(ST_Area(p.geom::geography)::numeric, 1)) END,
       jsonb_build_object('revision', r.id, 'effective', r.effective, 'status', r.status,
           'area_m2', round(ST_Area(r.geom::geography)::numeric, 1), 'marked', r.marked)
FROM hazard_revision r
JOIN hazard h ON h.id = r.hazard_id
LEFT JOIN LATERAL (
    SELECT q.id, q.effective, q.status, q.geom FROM hazard_revision q
    WHERE q.hazard_id = r.hazard_id AND (q.effective, q.seq) < (r.effective, r.seq)
    ORDER BY q.effective DESC, q.seq DESC LIMIT 1
) p ON true
WHERE r.submission_id = :submission_id
ORDER BY r.seq
""")

# One row per release an approval recorded, with the hazard's remaining area before and
# after it from the ledger (what the figures count).
_RELEASES = text("""
INSERT INTO audit_event (actor, actor_user_id, action, object_type, object_id, hazard_id,
                         submission_id, before, after)
SELECT :actor, :user_id, 'release.recorded', 'release', r.reference, r.hazard_id,
       r.submission_id,
       jsonb_build_object('remaining_m2', round((e.remaining_after_m2 - e.delta_m2)::numeric, 1)),
       jsonb_build_object('release', r.reference, 'method', r.method, 'released', r.released,
           'counted_m2', round((-e.delta_m2)::numeric, 1),
           'remaining_m2', round(e.remaining_after_m2::numeric, 1))
FROM release r
LEFT JOIN ledger_entry e ON e.release_id = r.id
WHERE r.submission_id = :submission_id
ORDER BY r.seq
""")


def record_applied(session: Session, by: Actor | str | None, submission_id: int) -> None:
    """Audit every hazard revision and release an approved submission recorded."""
    actor = as_actor(by)
    params = {"actor": actor.name, "user_id": actor.user_id, "submission_id": submission_id}
    session.execute(_REVISIONS, params)
    session.execute(_RELEASES, params)


@dataclass(frozen=True)
class Event:
    """An audit row as pages and the API show it."""

    id: int
    at: dt.datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    hazard_id: int | None
    submission_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def _events(session: Session, query: Any) -> list[Event]:
    return [
        Event(e.id, e.at, e.actor, e.action, e.object_type, e.object_id, e.hazard_id,
              e.submission_id, e.before, e.after)
        for e in session.scalars(query)
    ]  # fmt: skip


def hazard_events(session: Session, hazard_id: int) -> list[Event]:
    """Everything the trail holds about one hazard, oldest first."""
    return _events(
        session,
        select(AuditEvent).where(AuditEvent.hazard_id == hazard_id).order_by(AuditEvent.id),
    )


def recent_events(
    session: Session,
    *,
    limit: int = 200,
    before_id: int | None = None,
    actions: Sequence[str] = (),
    actor: str | None = None,
) -> list[Event]:
    """The latest events, newest first, optionally filtered (for the admin view)."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    if actions:
        query = query.where(AuditEvent.action.in_(list(actions)))
    if actor:
        query = query.where(AuditEvent.actor == actor)
    return _events(session, query)
