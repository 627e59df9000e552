"""A reviewer's housekeeping of submissions: which ones reports note, and rejecting in bulk.

    set_noted()           have the reports note a submission awaiting review, or not
    with_errors()         the submissions awaiting review that have error findings
    reject_with_errors()  reject those (of one organisation or kind), each with the reason

Reports note only the submissions awaiting review that a reviewer chose (``noted``): a
trial import left with errors never reaches the Article 7 notes by itself. Each change is
in the audit trail; approval and single rejections are ``approval.py``'s.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ims.db import audit
from ims.db.audit import Actor
from ims.db.models import Submission
from ims.domain.enums import SubmissionStatus, UploadKind
from ims.errors import Conflict, InvalidRequest, NotFound
from ims.ingest import approval


def set_noted(
    session: Session, submission_id: int, noted: bool, *, by: Actor | str | None = None
) -> Submission:
    """Have the reports note a submission while it awaits review (or stop); audited.

    Only a submission awaiting review can be noted (an approved one is in the figures, a
    rejected one nowhere); any can be un-noted. Setting what is set already changes nothing.
    """
    submission = session.scalars(
        select(Submission).where(Submission.id == submission_id).with_for_update()
    ).first()
    if submission is None:
        raise NotFound(f"submission {submission_id} does not exist")
    if noted and submission.status != SubmissionStatus.VALIDATED:
        raise Conflict(
            f"submission {submission_id} is {submission.status}: only a submission awaiting "
            "review is noted in reports"
        )
    if submission.noted == noted:
        return submission
    submission.noted = noted
    audit.record(
        session,
        by,
        "submission.noted" if noted else "submission.unnoted",
        "submission",
        submission_id,
        submission_id=submission_id,
        before={"noted": not noted},
        after={"noted": noted},
    )
    session.flush()
    return submission


@dataclass(frozen=True)
class Pending:
    """A submission awaiting review that has errors."""

    id: int
    kind: str
    filename: str
    organisation: str | None
    features: int
    errors: int
    uploaded_at: dt.datetime


def with_errors(
    session: Session, *, organisation_id: int | None = None, kind: str | None = None
) -> list[Pending]:
    """The submissions awaiting review that have error findings, oldest first."""
    if kind is not None and kind not in tuple(UploadKind):
        raise InvalidRequest(f"kind must be hazards or releases, not {kind!r}")
    rows = session.execute(
        text(
            "SELECT s.id, s.kind, s.filename, o.name, s.feature_count, e.errors, s.uploaded_at "
            "FROM submission s LEFT JOIN organisation o ON o.id = s.organisation_id "
            "JOIN LATERAL (SELECT COUNT(*) AS errors FROM finding f "
            "  WHERE f.submission_id = s.id AND f.severity = 'error') e ON e.errors > 0 "
            "WHERE s.status = 'validated' "
            "AND (CAST(:org AS integer) IS NULL OR s.organisation_id = :org) "
            "AND (CAST(:kind AS text) IS NULL OR s.kind = :kind) ORDER BY s.id"
        ),
        {"org": organisation_id, "kind": kind},
    ).all()
    return [Pending(*row) for row in rows]


def reject_with_errors(
    session: Session,
    *,
    reason: str,
    by: Actor | str | None = None,
    organisation_id: int | None = None,
    kind: str | None = None,
) -> tuple[list[Pending], list[tuple[Pending, str]]]:
    """Reject every submission awaiting review that has errors, each with ``reason``.

    Returns those rejected, and those skipped with why (one being approved right now).
    """
    if not reason.strip():
        raise InvalidRequest("a rejection needs a reason for the operator")
    rejected: list[Pending] = []
    skipped: list[tuple[Pending, str]] = []
    for pending in with_errors(session, organisation_id=organisation_id, kind=kind):
        try:
            approval.reject(session, pending.id, reason=reason, by=by)
        except Conflict as exc:
            skipped.append((pending, exc.detail))
            continue
        rejected.append(pending)
    return rejected, skipped
