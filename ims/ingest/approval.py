"""Approval and rejection of a staged submission (docs/design.md §5.3).

    approve() re-validate against the database as it is now (unless nothing validation reads
              has changed since staging) and, with no error, apply every feature through
              the recording service in the caller's transaction
    reject()  record the reviewer's reason; nothing is applied

Approvals are serialised by a transaction-level advisory lock, so two reviewers approving
conflicting submissions at once leave a consistent database: the second waits, is
re-validated against what the first applied, and fails with its new findings.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import geopandas as gpd
import psycopg.errors
import shapely
from psycopg.errors import LockNotAvailable
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ims.db import audit, ledger, withdrawals
from ims.db.audit import Actor, as_actor
from ims.db.models import Organisation, Submission
from ims.db.recording import (
    Conversion,
    convert_outside_release,
    record_hazards,
    record_outside_releases,
    record_releases,
    revise_hazards,
)
from ims.domain import access
from ims.domain.access import Caller
from ims.domain.enums import (
    Contamination,
    HazardStatus,
    ReleaseMethod,
    SubmissionStatus,
    UploadKind,
)
from ims.domain.findings import Finding as FindingData
from ims.domain.records import HazardChange, NewHazard, NewOutsideRelease, NewRelease
from ims.domain.split import ReleaseSplit, split_release
from ims.errors import Conflict, Forbidden, InvalidRequest, NotFound
from ims.heap import bulk_work
from ims.ingest import submissions
from ims.ingest.validate import (
    UNCHANGED,
    ValidationResult,
)
from ims.words import counted

log = logging.getLogger(__name__)

APPROVAL_LOCK = 0x1A5_0001  # one key: approvals run one at a time

Say = Callable[[str], None]


def _logged(submission_id: int) -> Say:
    """Progress written to the log (a server's approvals), each step with its submission."""
    return lambda message: log.info("submission %d: %s", submission_id, message)


def _left_out(session: Session, submission_id: int) -> set[int]:
    """The features (indices) the submission's review showed left out as recorded already:
    passed by as shown, whatever was recorded since (``submissions.validate``)."""
    return {
        row - 1
        for row in session.scalars(
            text(
                "SELECT row_number FROM submission_feature WHERE submission_id = :s"
                " AND COALESCE(clean ? :key, false)"
            ),
            {"s": submission_id, "key": UNCHANGED},
        )
    }


def _staged_frame(session: Session, submission_id: int) -> Any:
    rows = session.execute(
        text(
            "SELECT record, ST_AsBinary(COALESCE(raw_geom, geom)) FROM submission_feature "
            "WHERE submission_id = :s ORDER BY row_number"
        ),
        {"s": submission_id},
    ).all()
    records = [dict(r[0]) for r in rows]
    geoms = [shapely.from_wkb(bytes(r[1])) if r[1] is not None else None for r in rows]
    return gpd.GeoDataFrame(records, geometry=geoms, crs=4326)


def _ledger_progress(say: Say) -> ledger.Progress:
    """The ledger's progress as a line at each tenth of the hazards stored: a national
    file's ledgers take a minute or two, silent until now."""
    shown = 0

    def report(done: int, total: int) -> None:
        nonlocal shown
        tenths = done * 10 // total
        if shown < tenths < 10:
            shown = tenths
            percent = 100 * done // total
            say(f"approving: the ledger of {done:,} of {total:,} hazards stored ({percent} %)")

    return report


def is_settled(session: Session, submission_id: int) -> bool:
    """Whether a submission is approved already (NotFound or Conflict for a missing or a
    rejected one); cheap, and takes no lock."""
    return _settled(session, session.get(Submission, submission_id), submission_id) is not None


class FoundAgain(Conflict):
    """The submission was checked again at approval and has errors it did not have when
    it was uploaded: something it names changed since (a hazard revised, released or
    withdrawn, a reference recorded by another submission). Nothing was recorded; the
    findings list the errors, and the submission's page shows them."""

    # The check is rolled back with the approval; the caller keeps its findings
    # afterwards (``keep_found_again``), so that the review page and the uploader see the
    # errors the reviewer was told of, not the upload's.

    def __init__(
        self,
        detail: str,
        *,
        submission_id: int = 0,
        found: list[FindingData] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail, **extra)
        self.submission_id = submission_id
        self.found = found

    @property
    def type_slug(self) -> str:
        return "conflict"  # to a client, the same problem as any other refusal


def keep_found_again(session: Session, error: FoundAgain) -> None:
    """Store the findings of ``error`` as the submission's, in a transaction of their own
    after the approval's was rolled back. The submission stays to be checked again when
    next approved (its staged values are the upload's)."""
    if error.found is None:
        return
    submission = session.get(Submission, error.submission_id, with_for_update=True)
    if submission is not None and submission.status in (
        SubmissionStatus.UPLOADED,
        SubmissionStatus.VALIDATED,
    ):
        submissions.store_findings(session, error.submission_id, error.found)
        submission.validated_against = None
    error.found = None  # what was found is kept; the error goes on without it


def not_seen(found: Sequence[FindingData], seen: Sequence[FindingData]) -> list[FindingData]:
    """The warnings among ``found`` that are not among ``seen`` (the findings a review
    showed): the same kind, on the same feature and field, saying the same."""
    shown = {(f.code, f.row, f.field, f.message) for f in seen}
    return [f for f in found if not f.blocking and (f.code, f.row, f.field, f.message) not in shown]


def _settled(
    session: Session, submission: Submission | None, submission_id: int
) -> list[FindingData] | None:
    """The findings of an approved submission; raise for a missing or rejected one."""
    if submission is None:
        raise NotFound(f"submission {submission_id} does not exist")
    if submission.status == SubmissionStatus.APPROVED:
        return submissions.findings_of(session, submission_id)
    if submission.status == SubmissionStatus.REJECTED:
        raise Conflict(f"submission {submission_id} was rejected; upload the file again")
    if submission.status == SubmissionStatus.SUPERSEDED:
        raise Conflict(
            f"submission {submission_id} was superseded by a later upload; review that one"
        )
    if submission.status == SubmissionStatus.WITHDRAWN:
        raise Conflict(f"submission {submission_id} was withdrawn by {submission.decided_by}")
    return None


@bulk_work()
def approve(
    session: Session,
    submission_id: int,
    *,
    by: Actor | str | None = None,
    today: dt.date | None = None,
    progress: Say | None = None,
    validated: ValidationResult | None = None,
    partial: bool = False,
) -> list[FindingData]:
    """Apply a submission if it still has no error; returns the current findings.

    ``progress`` is told of each step as it starts (``ims import --approve`` prints them).
    ``validated`` is what staging found in this transaction (``StageOutcome.validated``),
    used instead of reading the stored values back when nothing has changed since.

    Idempotent: approving an approved submission changes nothing. With any error Conflict
    is raised and nothing is applied; errors found by checking the features again come as
    FoundAgain, whose findings the caller keeps once it has rolled back. ``partial`` applies
    the features without errors instead and leaves the rest, with their findings, on the
    submission (an error on the file as a whole still stops it all).

    The cheap answers (approved already, rejected, no such submission) come before the
    approval lock, so they never wait behind a long approval; the status is checked again
    under the lock.
    """
    settled = _settled(session, session.get(Submission, submission_id), submission_id)
    if settled is not None:
        return settled
    say = progress or _logged(submission_id)
    if not session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": APPROVAL_LOCK}):
        say("approving: waiting for another approval to finish")
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": APPROVAL_LOCK})
    submission = session.scalars(
        select(Submission)
        .where(Submission.id == submission_id)
        .with_for_update()
        .execution_options(populate_existing=True)  # the status read above may be stale
    ).first()
    settled = _settled(session, submission, submission_id)
    if settled is not None:
        return settled
    assert submission is not None
    twin = submissions.approved_twin(session, submission_id, submission.sha256, submission.kind)
    if twin is not None:
        when = f" on {twin.decided_at:%Y-%m-%d}" if twin.decided_at else ""
        raise Conflict(
            f"submission {submission_id} is the very file approved as submission {twin.id}"
            f"{when} by {twin.decided_by or 'a reviewer'}: its features are recorded "
            "already and nothing in it is new. Reject it; a correction of those records is "
            "a new file"
        )
    today = today or dt.date.today()
    result = None
    if submissions.checked_still_stands(session, submission, today):
        # Nothing validation reads has changed since the features were checked (approvals
        # run one at a time, under the lock held here): the stored findings stand.
        if validated is None:
            staged = counted(submission.feature_count, "feature")
            say(f"approving: reading the {staged} checked at upload")
        result = validated or submissions.validated_features(session, submission_id)
    checked_again = result is None
    unseen: list[FindingData] = []  # warnings a check made again finds that staging had not
    if result is not None:
        say("approving: nothing has changed since the features were checked")
        findings = submissions.findings_of(session, submission_id)
    else:
        count = submission.feature_count
        say(f"approving: checking the {count:,} feature{'' if count == 1 else 's'} again")
        frame = _staged_frame(session, submission_id)
        result = submissions.validate(
            session,
            submission.kind,
            frame,
            today=today,
            repair=submission.repair,
            split=submission.split,
            uploader=_organisation_name(session, submission) if submission.own_records else None,
            say=lambda step: say(f"approving: {step.removeprefix('validating: ')}"),
            left_out=_left_out(session, submission_id),
            organisation=_organisation_name(session, submission),
        )
        seen = submissions.findings_of(session, submission_id)
        # what it says of the file and of the submission it replaces holds as it was (a
        # replacement's left-out features went from its page once approved: helper-87),
        # and of the features left out, which stay so (helper-95)
        held = ("file_note", "z_dropped", "left_out_of_replacement", "unchanged_left_out")
        kept = [f for f in seen if f.code in held and not (f.blocking and f.row is None)]
        # the file read in a zone that puts it outside the country stays so: checked again,
        # the error had gone, and the file was approved in part (helper-114)
        kept += [f for f in seen if f.code == submissions.OTHER_UTM_ZONE]
        same = submissions.same_file(
            session,
            submission.sha256,
            submission.kind,
            submission_id,
            within=submission.organisation_id,  # (see ims.ingest.submissions.stage)
            # the submission it replaced, superseded since, is said as it was at upload:
            # the warning had gone from the page once approved (helper-99)
            replaces=submission.replaces,
            choices=submissions.Choices(
                submission.repair, submission.split, submission.field_map, submission.crs
            ),
        )
        kept += [same] if same is not None else []
        kept += submissions.not_left_out(
            submissions.about_other_submissions(session, submission, frame), result.records
        )
        findings = submissions.unsaid_twice(
            kept + [f for f in result.findings if f.code != "z_dropped"]
        )
        submissions.store_findings(session, submission_id, findings)
        submission.validated_against = None  # the stored values may be out of date now
        # An overlap with a submission sent since, awaiting review, is kept for the page
        # but asks nothing more here: that one's review shows it, and its approval finds
        # this one's hazards recorded (overlaps_hazard), which stops it if unseen.
        unseen = [f for f in not_seen(findings, seen) if f.code != "overlaps_pending"]
    errors = [f for f in findings if f.blocking]
    left_out = 0
    if errors and partial and all(f.row is not None for f in errors):
        result, findings, left_out = _without_errors(
            session, submission, result, findings, today, say
        )
        errors = []
    if errors:
        detail = (
            f"submission {submission_id} has {counted(len(errors), 'error')} and cannot be "
            f"approved; first: {errors[0]}"
        )
        shown = [f.as_dict() for f in errors[:50]]
        if checked_again:  # what was found outlives the rollback
            raise FoundAgain(detail, submission_id=submission_id, found=findings, findings=shown)
        raise Conflict(detail, findings=shown)
    if checked_again and unseen:
        # A reviewer approves what the review showed: warnings that records approved since
        # have brought (an overlap with a hazard approved meanwhile, a revision that undoes
        # one approved since) had been found here and approved over without a word (a
        # walk-through counted 354,819 m² twice so). They are kept, and the next approval
        # goes ahead unless more come.
        raise FoundAgain(
            f"submission {submission_id} was checked again, as records were approved since "
            f"it was sent, and has {counted(len(unseen), 'warning')} its review did not show; "
            f"first: {unseen[0]}. Nothing was applied: read them (the review page, ims submissions "
            "show) and approve again",
            submission_id=submission_id,
            found=findings,
            findings=[f.as_dict() for f in unseen[:50]],
            unseen_warnings=len(unseen),
        )
    operator = _organisation_name(session, submission)
    name = as_actor(by).name
    with _refused_by_database(submission_id):
        if submission.kind == UploadKind.HAZARDS:
            _apply_hazards(session, result, submission_id, name, operator, say)
        else:
            _apply_releases(session, result, submission_id, name, operator, say)
    submission.status = SubmissionStatus.APPROVED
    submission.decided_at = func.now()
    submission.decided_by = name
    submission.partial = left_out > 0
    resent = sum(1 for r in result.records if submissions.SENT_BEFORE in r)
    unchanged = sum(1 for r in result.records if UNCHANGED in r)
    after: dict[str, Any] = {
        "status": SubmissionStatus.APPROVED,
        "features": len(result.records) - resent - unchanged,
        "warnings": sum(1 for f in findings if not f.blocking),
    }
    if left_out:
        after["left_out"] = left_out
    if resent:
        after["sent_before_unchanged"] = resent
    if unchanged:
        after["unchanged_left_out"] = unchanged
    repairs = sum(1 for f in findings if f.code == "repaired_geometry")
    if repairs:
        after["repairs_accepted"] = repairs
    audit.record(
        session,
        by,
        "submission.approved",
        "submission",
        submission_id,
        submission_id=submission_id,
        before={"status": SubmissionStatus.VALIDATED},
        after=after,
    )
    say("approving: auditing each record applied")
    audit.record_applied(session, by, submission_id)
    return findings


@contextmanager
def _refused_by_database(submission_id: int) -> Iterator[None]:
    """A value the database's own rules refuse (a check, a key) as a Conflict that says
    which rule, not a traceback (the CLI) or a 500 (the API): the upload's checks should
    have found it (a negative stated area had passed them; helper-90). The caller rolls
    the approval back, so nothing of it is recorded."""
    try:
        yield
    except (IntegrityError, psycopg.errors.IntegrityError) as exc:
        # COPY runs on the driver's connection: its errors come as psycopg's own
        cause = exc.orig if isinstance(exc, IntegrityError) else exc
        diag = getattr(cause, "diag", None)
        rule = getattr(diag, "constraint_name", None) or "a rule"
        table = getattr(diag, "table_name", None)
        said = getattr(diag, "message_primary", None) or str(cause).splitlines()[0]
        raise Conflict(
            f"the database refused to record submission {submission_id}: {rule}"
            f"{f' of table {table}' if table else ''} ({said}). Nothing was recorded. The "
            "upload's checks should have found this: please report it with the file",
            submission_id=submission_id,
        ) from exc


def _organisation_name(session: Session, submission: Submission) -> str | None:
    """The organisation a submission is for, if one."""
    if submission.organisation_id is None:
        return None
    org = session.get(Organisation, submission.organisation_id)
    return org.name if org else None


def _without_errors(
    session: Session,
    submission: Submission,
    result: ValidationResult,
    findings: list[FindingData],
    today: dt.date,
    say: Say,
) -> tuple[ValidationResult, list[FindingData], int]:
    """The features without errors, checked again on their own until none has one.

    Leaving a feature out can break another (a revision of a hazard whose recording had
    an error): those are left out too, each with the finding that says why. Returns what
    to apply, every finding (the left-out features' included, in the file's rows) and how
    many features were left out.
    """
    frame = _staged_frame(session, submission.id)
    left_out = _left_out(session, submission.id)
    keep = list(range(len(frame)))
    findings = list(findings)
    while True:
        bad = {f.row for f in findings if f.blocking}
        keep = [i for i in keep if i + 1 not in bad]
        if not keep:
            raise Conflict(
                f"every feature of submission {submission.id} has an error: there is nothing "
                "to approve, even in part; upload a corrected file, or reject it"
            )
        say(
            f"approving in part: {counted(len(frame) - len(keep), 'feature')} with errors left "
            f"out; checking the other {len(keep):,} on their own"
        )
        subset = frame.iloc[keep].reset_index(drop=True)
        check = submissions.validate(
            session,
            submission.kind,
            subset,
            today=today,
            repair=submission.repair,
            split=submission.split,
            uploader=_organisation_name(session, submission) if submission.own_records else None,
            left_out={k for k, i in enumerate(keep) if i in left_out},
            organisation=_organisation_name(session, submission),
        )
        new_errors = [
            FindingData(f.code, f.severity, f.message, keep[f.row - 1] + 1, f.reference, f.field)
            for f in check.findings
            if f.blocking and f.row is not None
        ]
        if any(f.blocking and f.row is None for f in check.findings):
            first = next(f for f in check.findings if f.blocking)
            raise Conflict(f"submission {submission.id} cannot be approved even in part: {first}")
        if not new_errors:
            break
        findings += new_errors
    submissions.store_findings(session, submission.id, findings)
    return check, findings, len(frame) - len(keep)


def _apply_hazards(
    session: Session,
    result: ValidationResult,
    submission_id: int,
    by: str | None,
    operator: str | None,
    say: Say,
) -> None:
    new: list[NewHazard] = []
    changes: list[HazardChange] = []
    for record, geom in zip(result.records, result.geometries, strict=True):
        if submissions.SENT_BEFORE in record or UNCHANGED in record:
            continue  # recorded already, unchanged (a field export's, a file sent back)
        assert geom is not None
        estimates = record["munitions"] or {}
        op = record["operator"] or operator
        if record["revised"] is None:
            new.append(
                NewHazard(
                    record["hazard_id"],
                    HazardStatus(record["status"]),
                    geom,
                    dt.date.fromisoformat(record["recorded"]),
                    Contamination(record["contam"]),
                    record["used_from"],
                    record["used_to"],
                    estimates,
                    dt.date.fromisoformat(record["marked"]) if record["marked"] else None,
                    op,
                    record["attributes"],
                )
            )
        else:
            changes.append(
                HazardChange(
                    record["hazard_id"],
                    dt.date.fromisoformat(record["revised"]),
                    HazardStatus(record["status"]) if record["status"] else None,
                    None if record.get("same_boundary") else geom,  # None: the one stored
                    record["used_from"],
                    record["used_to"],
                    estimates or None,
                    dt.date.fromisoformat(record["marked"]) if record["marked"] else None,
                    op,
                    attributes=record["attributes"] or None,
                    cleared=frozenset(record.get("cleared") or ()),
                )
            )
    say(f"approving: recording {counted(len(new), 'new hazard')}")
    ids = record_hazards(
        session, new, submission_id=submission_id, recorded_by=by, refresh_ledger=False
    )
    say(f"approving: recording {counted(len(changes), 'revision')}")
    ids += revise_hazards(
        session,
        sorted(changes, key=lambda c: c.effective),
        submission_id=submission_id,
        recorded_by=by,
        refresh_ledger=False,
    )
    say(f"approving: computing the ledger of {counted(len(set(ids)), 'hazard')}")
    ledger.refresh_many(session, ids, overlaps=False, progress=_ledger_progress(say))
    say("approving: finding the hazards that overlap")
    ledger.refresh_overlaps_of(session, ids)


def _apply_releases(
    session: Session,
    result: ValidationResult,
    submission_id: int,
    by: str | None,
    operator: str | None,
    say: Say,
) -> None:
    releases: list[NewRelease] = []
    outside: list[NewOutsideRelease] = []
    to_split = [
        (r, geom)
        for r, geom in zip(result.records, result.geometries, strict=True)
        if geom is not None and r.get("split") is not None
    ]
    boundaries = (
        submissions.hazard_boundaries(
            session, shapely.total_bounds([g for _, g in to_split]).tolist()
        )
        if to_split
        else None
    )
    for r, geom in zip(result.records, result.geometries, strict=True):
        if geom is None:
            continue
        release = NewRelease(
            r["release_id"],
            r["hazard_id"] or "",
            ReleaseMethod(r["method"]),
            dt.date.fromisoformat(r["released"]),
            geom,
            r["operator"] or operator,
            r["items"] or {},
            r["area_m2"],
            r["attributes"],
        )
        if r.get("split") is None:
            releases.append(release)
            continue
        assert boundaries is not None
        parts, rest = split_parts(
            release,
            split_release(geom, boundaries.in_force(geom, release.released)),
            Contamination(r.get("contam") or Contamination.CMR),
        )
        if [p.hazard_reference for p in parts] != [h for h, _ in r["split"]]:
            raise Conflict(
                f"release {release.reference}: the hazards it lies on changed since it was "
                "checked; check the submission again"
            )
        releases += parts
        outside += rest
    say(f"approving: recording {counted(len(releases), 'release')}")
    ids = record_releases(
        session, releases, submission_id=submission_id, recorded_by=by, refresh_ledger=False
    )
    if outside:
        say(f"approving: recording {counted(len(outside), 'release')} outside recorded hazards")
        record_outside_releases(session, outside, submission_id=submission_id, recorded_by=by)
    say(f"approving: updating the ledger of {counted(len(set(ids)), 'hazard')}")
    ledger.update_after_releases(session, ids, progress=_ledger_progress(say))


def split_parts(
    release: NewRelease, split: ReleaseSplit, contam: Contamination
) -> tuple[list[NewRelease], list[NewOutsideRelease]]:
    """The records a split release becomes (docs/design.md §2.7).

    One record keeps the release's reference; when it is cut in several, each part is
    ``REF#1``, ``REF#2``… (by hazard reference) and the part outside every hazard
    ``REF#outside``, each noting ``split_from``. The items destroyed go with the largest
    part, and the stated area with the release only when it stays whole.
    """
    n = len(split.pieces) + (1 if split.outside_m2 > 0 else 0)
    areas = [p.area_m2 for p in split.pieces] + ([split.outside_m2] if split.outside_m2 else [])
    largest = max(range(n), key=lambda k: areas[k]) if n else 0

    def name(k: int, suffix: str) -> str:
        return release.reference if n == 1 else f"{release.reference}#{suffix}"

    def attributes() -> dict[str, Any]:
        extra = {"split_from": release.reference} if n > 1 else {}
        return {**dict(release.attributes), **extra}

    parts = [
        replace(
            release,
            reference=name(k, str(k + 1)),
            hazard_reference=piece.hazard,
            geometry=piece.geometry,
            items=release.items if k == largest else {},
            stated_area_m2=release.stated_area_m2 if n == 1 else None,
            attributes=attributes(),
        )
        for k, piece in enumerate(split.pieces)
    ]
    rest = (
        [
            NewOutsideRelease(
                name(n - 1, "outside"),
                release.method,
                release.released,
                split.outside,
                contam,
                release.operator,
                release.items if largest == n - 1 else {},
                release.stated_area_m2 if n == 1 else None,
                attributes(),
            )
        ]
        if split.outside_m2 > 0
        else []
    )
    return parts, rest


@dataclass(frozen=True)
class Recomputed:
    """What ``recompute_ledgers`` computed again: every hazard's reference, and of those the
    ones whose ledgers came out otherwise than stored (their figures moved)."""

    hazards: list[str]
    changed: list[str]


def recompute_ledgers(
    session: Session,
    hazard_ids: Sequence[int] | None = None,
    *,
    by: Actor | str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Recomputed:
    """Compute the ledgers of ``hazard_ids`` again from their records (None: those whose
    entries do not add up, ``verify.not_adding_up``), under the approval lock, as an
    approval stores them; audited, and the data's stamp moved so that kept answers are
    computed again (migration 0046).

    An overlay of an earlier ims had stored releases of ground the remaining ground did not
    lose (helper-123); what it stored is derived, and computed again from the records it
    comes from, which nothing here changes. The audit names the hazards whose ledgers
    changed apart from the rest (a finalised report lists those of its year among its
    corrections: ``--all`` computes thousands again, most of them as they were)."""
    from ims.db.verify import not_adding_up

    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": APPROVAL_LOCK})
    ids = sorted(set(not_adding_up(session) if hazard_ids is None else hazard_ids))
    if not ids:
        return Recomputed([], [])
    refs = list(
        session.scalars(
            text("SELECT reference FROM hazard WHERE id = ANY(:ids) ORDER BY reference"),
            {"ids": ids},
        )
    )
    before, stored = _ledger_totals(session, ids), _ledger_digests(session, ids)
    with bulk_work():
        ledger.refresh_many(session, ids, progress=progress)
    computed = _ledger_digests(session, ids)
    changed = sorted(ref for ref, digest in computed.items() if stored.get(ref) != digest)
    changed += sorted(set(stored) - set(computed))
    session.execute(text("SELECT ims_figures_recomputed()"))
    audit.record(
        session,
        by,
        "ledger.recomputed",
        "hazard",
        counted(len(refs), "hazard"),
        before=before,
        after={
            "hazards": refs[:500],
            "count": len(refs),
            "changed": changed[:500],
            "changed_count": len(changed),
            **_ledger_totals(session, ids),
        },
    )
    return Recomputed(refs, changed)


def _ledger_digests(session: Session, ids: Sequence[int]) -> dict[str, str]:
    """Each hazard's ledger as the figures read it, digested: its entries (date, kind,
    changes to the centimetre, where counted) and their pieces by admin area."""
    rows = session.execute(
        text(
            "SELECT h.reference, md5(string_agg(concat_ws('|', e.entry_no, e.on, e.kind,"
            " e.status_after, round(e.delta_m2::numeric, 2),"
            " round(e.remaining_after_m2::numeric, 2), round(e.outside_m2::numeric, 2),"
            " e.count_admin1_id, e.count_admin2_id, e.items_admin1_id, e.items_admin2_id,"
            " (SELECT string_agg(concat_ws(':', p.level, p.admin_id,"
            "   round(p.area_m2::numeric, 2)), ',' ORDER BY p.level, p.admin_id, p.area_m2)"
            "  FROM ledger_piece p WHERE p.hazard_id = e.hazard_id"
            "  AND p.entry_no = e.entry_no)), ';' ORDER BY e.entry_no))"
            " FROM ledger_entry e JOIN hazard h ON h.id = e.hazard_id"
            " WHERE e.hazard_id = ANY(:ids) GROUP BY h.reference"
        ),
        {"ids": list(ids)},
    )
    return {str(reference): str(digest) for reference, digest in rows}


def _ledger_totals(session: Session, ids: Sequence[int]) -> dict[str, float]:
    """What the ledgers of ``ids`` add up to, as the audit of their recomputation says it:
    the ground their releases released and the ground that remains (m²)."""
    released, remaining = session.execute(
        text(
            "SELECT coalesce(sum(greatest(0, -delta_m2)) FILTER (WHERE kind IN "
            "('cancelled', 'reduced', 'cleared')), 0), "
            "coalesce((SELECT sum(remaining_m2) FROM hazard_remaining "
            "          WHERE hazard_id = ANY(:ids)), 0) "
            "FROM ledger_entry WHERE hazard_id = ANY(:ids)"
        ),
        {"ids": list(ids)},
    ).one()
    return {"released_m2": float(released), "remaining_m2": float(remaining)}


def convert_outside(
    session: Session,
    reference: str,
    *,
    hazard_reference: str,
    status: HazardStatus,
    by: Actor | str | None = None,
) -> Conversion:
    """Turn land released outside hazards into a retrospective hazard (and its release),
    under the approval lock, as an approval records."""
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": APPROVAL_LOCK})
    return convert_outside_release(
        session, reference, hazard_reference=hazard_reference, status=status, by=by
    )


def withdraw_release(
    session: Session, reference: str, *, reason: str, by: Actor | str | None = None
) -> withdrawals.WithdrawalEffect:
    """Withdraw an approved release recorded in error (its hazard's ledger is built again
    without it), under the approval lock, as an approval records."""
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": APPROVAL_LOCK})
    return withdrawals.withdraw_release(session, reference, reason=reason, by=by)


def withdraw_submission_releases(
    session: Session,
    submission_id: int,
    *,
    reason: str,
    by: Actor | str | None = None,
    progress: Callable[[int, int], None] | None = None,
    expected: int | None = None,
) -> withdrawals.SubmissionWithdrawalEffect:
    """Withdraw every release an approved submission recorded (a file approved in error),
    under the approval lock, as an approval records (``expected``: how many the reviewer
    was shown)."""
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": APPROVAL_LOCK})
    return withdrawals.withdraw_submission_releases(
        session, submission_id, reason=reason, by=by, progress=progress, expected=expected
    )


def withdraw_outside_release(
    session: Session, reference: str, *, reason: str, by: Actor | str | None = None
) -> withdrawals.OutsideWithdrawalEffect:
    """Withdraw a record of land released outside hazards approved in error, under the
    approval lock: a reviewer making it a hazard at the same time waits, then is told."""
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": APPROVAL_LOCK})
    return withdrawals.withdraw_outside_release(session, reference, reason=reason, by=by)


def withdraw_hazard(
    session: Session, reference: str, *, reason: str, by: Actor | str | None = None
) -> withdrawals.HazardWithdrawalEffect:
    """Withdraw a hazard recorded in error (its ledger is emptied), under the approval
    lock: an approval under way that names it is validated again, and refused."""
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": APPROVAL_LOCK})
    return withdrawals.withdraw_hazard(session, reference, reason=reason, by=by)


def reject(
    session: Session, submission_id: int, *, reason: str, by: Actor | str | None = None
) -> None:
    """Reject a submission with the reviewer's reason; nothing of it is applied.

    It never waits for an approval of the same submission that is under way (that could
    take minutes): that is a Conflict at once.
    """
    if not reason.strip():
        raise InvalidRequest("a rejection needs a reason for the operator")
    _decline(session, submission_id, reason.strip(), by, "submission.rejected")


def check_withdrawable(session: Session, caller: Caller | None, submission: Submission) -> None:
    """Forbidden unless ``caller`` may withdraw ``submission`` as its sender's act: an
    operator, of an upload their organisation's operators sent (``access.may_withdraw``)."""
    sent = submission.own_records  # sent by an operator, as it was sent
    if not access.may_withdraw(caller, submission.organisation_id, sent_by_operator=sent):
        raise Forbidden(submissions.sent_for_the_authority(submission, "withdraws"))


def check_replaceable(session: Session, caller: Caller | None, submission_id: int | None) -> None:
    """Forbidden if ``caller`` may see submission ``submission_id``, awaiting review, but
    not replace it: an operator, of one the authority sent in their organisation's name
    (``access.may_replace``). A rejected one is corrected by a file linked to it, which
    sets nothing aside. One they may not see, or none, is left to the upload's own checks
    (``submissions._replaceable``: NotFound)."""
    submission = session.get(Submission, submission_id) if submission_id is not None else None
    if (
        submission is None
        or submission.status == SubmissionStatus.REJECTED
        or not access.may_see_submission(caller, submission.organisation_id)
    ):
        return
    if not access.may_replace(
        caller, submission.organisation_id, sent_by_operator=submission.own_records
    ):
        raise Forbidden(submissions.sent_for_the_authority(submission, "replaces"))


def withdraw(
    session: Session, submission_id: int, *, reason: str = "", by: Actor | str | None = None
) -> None:
    """Withdraw a submission awaiting review at its sender's wish (a trial upload, a file
    sent by mistake): withdrawn, with their reason if they give one, so that nothing of it
    is applied and nobody is left to review it. An operator could not set aside their own
    failed upload; only a reviewer could (a walk-through). It is withdrawn, not rejected:
    a list that called it rejected told the operator a reviewer had refused it."""
    _decline(
        session,
        submission_id,
        reason.strip() or None,
        by,
        "submission.withdrawn",
        to=SubmissionStatus.WITHDRAWN,
        settled_too=False,
    )


def _decline(
    session: Session,
    submission_id: int,
    reason: str | None,
    by: Actor | str | None,
    action: str,
    *,
    to: SubmissionStatus = SubmissionStatus.REJECTED,
    settled_too: bool = True,
) -> None:
    """Set a submission awaiting review aside (``to``: rejected or withdrawn), with
    ``reason``, audited as ``action``: Conflict at once if it is being approved, approved,
    superseded or withdrawn (or, not ``settled_too``, rejected already)."""
    try:
        with session.begin_nested():  # a refused NOWAIT leaves the transaction usable
            submission = session.scalars(
                select(Submission)
                .where(Submission.id == submission_id)
                .with_for_update(nowait=True)
                .execution_options(populate_existing=True)
            ).first()
    except OperationalError as exc:
        if not isinstance(exc.orig, LockNotAvailable):
            raise
        raise Conflict(
            f"submission {submission_id} is being approved right now; reload it in a while"
        ) from None
    if submission is None:
        raise NotFound(f"submission {submission_id} does not exist")
    if submission.status == SubmissionStatus.APPROVED:
        raise Conflict(f"submission {submission_id} is already approved")
    if submission.status == SubmissionStatus.SUPERSEDED:
        raise Conflict(f"submission {submission_id} was superseded by a later upload")
    if submission.status == SubmissionStatus.WITHDRAWN:
        raise Conflict(
            f"submission {submission_id} was withdrawn by {submission.decided_by} already"
        )
    if submission.status == SubmissionStatus.REJECTED and not settled_too:
        raise Conflict(f"submission {submission_id} is rejected already ({submission.reason})")
    before = submission.status
    submission.status = to
    submission.noted = False  # reports note only those awaiting review
    submission.reason = reason
    submission.decided_at = func.now()
    submission.decided_by = as_actor(by).name
    audit.record(
        session,
        by,
        action,
        "submission",
        submission_id,
        submission_id=submission_id,
        before={"status": before},
        after={"status": to, "reason": submission.reason},
    )
