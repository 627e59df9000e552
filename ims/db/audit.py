"""The audit trail: who changed what, when, and the state before and after.

Every change goes through here in the same transaction as the change itself, so a change
and its audit row commit or roll back together. The table is append-only: ims works as
the role ``ims_app``, which has no UPDATE, DELETE or TRUNCATE privilege on it and does not
own it, and a trigger refuses those statements for every role, the owner's included.

The trail is also sealed (migration 0010): at commit, a trigger running as the owner
seals the transaction's rows into ``audit_seal``, a SHA-256 chain; ``verify_chain`` (the
command ``ims audit verify``) recomputes it, so a row added behind the triggers' back,
changed or removed by someone who could disable them is found.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, or_, select, text
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
            actor=actor.name,
            actor_user_id=actor.user_id,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            hazard_id=hazard_id,
            submission_id=submission_id,
            before=_jsonable(before),
            after=_jsonable(after),
        )
    )


# One row per hazard revision an approval recorded: the revision, and the one in force
# before it (none for a new hazard). Areas on the ellipsoid (geography), in m²: the
# revision's own map_area_m2, computed once when it was recorded (migration 0016). "no" is
# the record's number as the hazard's page lists it ("revision" is its row's id). "marked"
# is on both sides, so a revision that takes the marking away shows what it took; so are
# the years of use and, of a revision, the munitions estimate (a revision can correct them:
# helper-108 read "hazard revised" with nothing changed in it). A new hazard's estimate is
# in its record: on each of a national file's 100,000 new hazards it cost 1.5-2 s.
_REVISIONS = text("""
INSERT INTO audit_event (actor, actor_user_id, action, object_type, object_id, hazard_id,
                         submission_id, before, after)
SELECT :actor, :user_id,
       CASE WHEN p.id IS NULL THEN 'hazard.recorded' ELSE 'hazard.revised' END,
       'hazard', h.reference, r.hazard_id, r.submission_id,
       CASE WHEN p.id IS NULL THEN NULL ELSE jsonb_build_object(
           'revision', p.id, 'no', p.seq, 'effective', p.effective, 'status', p.status,
           'area_m2', round(p.map_area_m2::numeric, 1), 'marked', p.marked,
           'used_from', p.used_from, 'used_to', p.used_to,
           'estimates', (SELECT coalesce(jsonb_object_agg(e.munition_code, e.quantity
                                                        ORDER BY e.munition_code), '{}')
                         FROM hazard_estimate e WHERE e.revision_id = p.id)) END,
       jsonb_build_object('revision', r.id, 'no', r.seq, 'effective', r.effective,
           'status', r.status, 'area_m2', round(r.map_area_m2::numeric, 1), 'marked', r.marked,
           'used_from', r.used_from, 'used_to', r.used_to)
       || CASE WHEN p.id IS NULL THEN '{}' ELSE jsonb_build_object(
           'estimates', (SELECT coalesce(jsonb_object_agg(e.munition_code, e.quantity
                                                        ORDER BY e.munition_code), '{}')
                         FROM hazard_estimate e WHERE e.revision_id = r.id)) END
FROM hazard_revision r
JOIN hazard h ON h.id = r.hazard_id
LEFT JOIN LATERAL (
    SELECT q.id, q.seq, q.effective, q.status, q.map_area_m2, q.marked, q.used_from,
           q.used_to
    FROM hazard_revision q
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
       jsonb_build_object('release', r.reference, 'no', r.seq, 'method', r.method,
           'released', r.released,
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
        Event(
            e.id,
            e.at,
            e.actor,
            e.action,
            e.object_type,
            e.object_id,
            e.hazard_id,
            e.submission_id,
            e.before,
            e.after,
        )
        for e in session.scalars(query)
    ]


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
    leave_out: Sequence[str] = (),
) -> list[Event]:
    """The latest events, newest first, optionally filtered (for the admin view);
    ``leave_out``: actions not wanted (by their whole name)."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    if actions:
        # "submission" finds submission.approved, submission.rejected, …: the first part of
        # an action names what it is about
        query = query.where(
            or_(
                AuditEvent.action.in_(list(actions)),
                *(AuditEvent.action.startswith(f"{a}.", autoescape=True) for a in actions),
            )
        )
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if leave_out:
        query = query.where(AuditEvent.action.not_in(list(leave_out)))
    return _events(session, query)


def action_names(session: Session) -> list[str]:
    """Every action the trail holds, for a filter's choices (one index step each: a
    national trail holds hundreds of thousands of rows of a dozen actions)."""
    return list(
        session.scalars(
            text(
                "WITH RECURSIVE a AS (SELECT min(action) AS action FROM audit_event "
                "UNION ALL SELECT (SELECT min(e.action) FROM audit_event e "
                "WHERE e.action > a.action) FROM a WHERE a.action IS NOT NULL) "
                "SELECT action FROM a WHERE action IS NOT NULL"
            )
        )
    )


# --- the sealed chain (migration 0010) --------------------------------------------------

# One row's hash, as the seal trigger computes it (migration 0010's ROW_HASH: keep equal).
ROW_HASH = (
    "sha256(convert_to(jsonb_build_array(e.id, "
    "to_char(e.at AT TIME ZONE 'UTC', 'YYYYMMDD\"T\"HH24MISS.US'), e.actor, "
    "e.actor_user_id, e.action, e.object_type, e.object_id, e.hazard_id, "
    "e.submission_id, e.before, e.after, e.tx)::text, 'UTF8'))"
)
GENESIS = bytes(32)  # the prev_hash of the first seal
MAX_LISTED_PROBLEMS = 100  # per kind; the counts are always complete

_SEALED = text(f"""
SELECT s.seal_no, s.prev_hash, s.hash, u.id, u.sealed_hash, e.id IS NOT NULL AS present,
       CASE WHEN e.id IS NULL THEN NULL ELSE {ROW_HASH} END AS now_hash
FROM audit_seal s
LEFT JOIN LATERAL unnest(s.event_ids, s.event_hashes) WITH ORDINALITY
     AS u(id, sealed_hash, ord) ON true
LEFT JOIN audit_event e ON e.id = u.id
ORDER BY s.seal_no, u.ord
""")

_UNSEALED = text("""
SELECT e.id, e.at, e.actor, e.action, e.object_type, e.object_id
FROM audit_event e
WHERE NOT EXISTS (SELECT 1 FROM (SELECT unnest(event_ids) AS id FROM audit_seal) s
                  WHERE s.id = e.id)
ORDER BY e.id
""")


@dataclass(frozen=True)
class ChainProblem:
    """One sign of tampering: a forged, altered or removed row, or a broken chain."""

    kind: str  # "forged", "altered", "removed" or "chain"
    detail: str
    event_id: int | None = None
    seal_no: int | None = None


@dataclass
class ChainReport:
    """What `ims audit verify` found."""

    seals: int = 0
    events: int = 0
    head: str | None = None  # the last seal's hash (hex): note it outside the database
    counts: dict[str, int] | None = None
    problems: list[ChainProblem] | None = None

    @property
    def clean(self) -> bool:
        """Whether nothing was found."""
        return not any((self.counts or {}).values())

    def add(self, problem: ChainProblem) -> None:
        """Count a problem; keep the first MAX_LISTED_PROBLEMS of each kind."""
        counts = self.counts if self.counts is not None else {}
        problems = self.problems if self.problems is not None else []
        counts[problem.kind] = counts.get(problem.kind, 0) + 1
        if counts[problem.kind] <= MAX_LISTED_PROBLEMS:
            problems.append(problem)
        self.counts, self.problems = counts, problems


def verify_chain(
    conn: Connection,
    *,
    noted_head: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ChainReport:
    """Walk the audit seals as the owner: recompute every row's hash and the chain.

    Run it in one REPEATABLE READ transaction (so rows committed meanwhile do not look
    unsealed). Reports rows in no seal (forged: inserted with the triggers disabled),
    rows whose hash changed (altered), sealed rows that are gone (removed), and seals that
    do not follow one another or do not match their rows (chain); ``noted_head``, a head
    hash noted earlier, must still be in the chain (else the chain was rewritten).
    """
    report = ChainReport(counts={}, problems=[])
    total = int(conn.scalar(text("SELECT count(*) FROM audit_seal")) or 0)
    expected_prev, expected_no = GENESIS, 1
    current: int | None = None
    digest: Any = None
    seal_prev = seal_hash = b""
    hashes_seen: set[str] = set()

    def close_seal() -> None:
        if current is not None and digest.digest() != seal_hash:
            report.add(
                ChainProblem(
                    "chain",
                    f"seal {current}'s hash does not match the row "
                    "hashes it holds (the seal was altered)",
                    seal_no=current,
                )
            )
        if progress and current is not None:
            progress(report.seals, total)

    rows = conn.execution_options(stream_results=True, yield_per=5000).execute(_SEALED)
    for seal_no, prev_hash, hash_, event_id, sealed_hash, present, now_hash in rows:
        if seal_no != current:
            close_seal()
            current, seal_prev, seal_hash = seal_no, bytes(prev_hash), bytes(hash_)
            report.seals += 1
            hashes_seen.add(seal_hash.hex())
            if seal_no != expected_no or seal_prev != expected_prev:
                report.add(
                    ChainProblem(
                        "chain",
                        f"seal {seal_no} does not follow "
                        + (
                            f"seal {expected_no - 1}"
                            if expected_no > 1
                            else "the start of the chain"
                        )
                        + (f" (seal {expected_no} is missing)" if seal_no > expected_no else "")
                        + (
                            ""
                            if seal_prev == expected_prev
                            else ": its prev_hash is not the hash before it"
                        ),
                        seal_no=seal_no,
                    )
                )
            expected_prev, expected_no = seal_hash, seal_no + 1
            digest = hashlib.sha256(seal_prev)
        if event_id is None:
            continue  # a seal with no rows (not made by ims)
        digest.update(bytes(sealed_hash))
        report.events += 1
        if not present:
            report.add(
                ChainProblem(
                    "removed",
                    f"audit event {event_id} (sealed in seal {seal_no}) is missing",
                    event_id,
                    seal_no,
                )
            )
        elif bytes(now_hash) != bytes(sealed_hash):
            report.add(
                ChainProblem(
                    "altered",
                    f"audit event {event_id} (sealed in seal "
                    f"{seal_no}) no longer has the content it was sealed with",
                    event_id,
                    seal_no,
                )
            )
    close_seal()
    report.head = seal_hash.hex() if current is not None else None
    for event_id, at, actor, action, object_type, object_id in conn.execute(_UNSEALED):
        report.add(
            ChainProblem(
                "forged",
                f"audit event {event_id} ({at:%Y-%m-%d %H:%M:%S}, {actor}, {action} "
                f"{object_type} {object_id}) is in no seal: it was not inserted through the "
                "audit trail's triggers",
                event_id,
            )
        )
    if noted_head and noted_head.strip().lower() not in hashes_seen:
        report.add(
            ChainProblem(
                "chain",
                f"the head noted earlier ({noted_head}) is not in the "
                "chain: the chain was rewritten or cut",
            )
        )
    return report
