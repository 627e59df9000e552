"""Whether a report has changed since it was finalised.

Records are never overwritten (docs/design.md §2): a correction is a new hazard revision or a
late release whose date falls inside a period already reported. When a reviewer finalises
the report of a finished period (``ims report article7 --finalise``, or the button on the
reports page), ims notes the last recording number it saw (``stamp``), its totals and the
whole report (by provinces and by districts, with the notes its files carried); every
later production of the same report lists what was recorded since with effect inside its
period, and how the totals moved, and the report as finalised can be produced again.
Finalising is an act of its own: reading a report, even anonymously under public read,
never finalises it.

A report for a period that has not ended yet is provisional and cannot be finalised: every
new record inside it is ordinary work, not a correction.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ims.config import get_settings
from ims.db import audit
from ims.db.models import DOCUMENT_DIGEST, ReportRun
from ims.domain.figures import clean_area
from ims.errors import InvalidRequest
from ims.reports.article7 import ReportScope, article7
from ims.reports.kept import kept

KIND_ARTICLE7 = "article7"
# a correction that is no record: a hazard's ledger computed again from its records
RECOMPUTED = "ledger computed again"
MAX_LISTED = 200  # corrections listed one by one; the count is always complete
# in a report finalised since its stamp counted land released outside hazards (their
# corrections are told by number, not by the time they were recorded)
STAMP_COUNTS_OUTSIDE = "stamp_counts_outside_releases"


def article7_params(year: int, scope: ReportScope) -> str:
    """The canonical parameters that identify one Article 7 report."""
    return f"year={year};level={scope.level};contam={scope.contam.value}"


def recording_stamp(session: Session) -> int:
    """The number of the last hazard revision, release, land released outside hazards or
    withdrawal (of a release, a hazard or such land) recorded (0 for none). Reports
    finalised before it counted the land released outside hazards kept none of their
    numbers: their corrections tell those recorded later by the time instead."""
    return int(
        session.scalar(
            text(
                "SELECT GREATEST((SELECT COALESCE(MAX(seq), 0) FROM hazard_revision),"
                " (SELECT COALESCE(MAX(seq), 0) FROM release),"
                " (SELECT COALESCE(MAX(seq), 0) FROM release_withdrawal),"
                " (SELECT COALESCE(MAX(seq), 0) FROM hazard_withdrawal),"
                " (SELECT COALESCE(MAX(seq), 0) FROM outside_release_withdrawal),"
                " (SELECT COALESCE(MAX(seq), 0) FROM outside_release))"
            )
        )
        or 0
    )


def _totals(report: dict[str, Any]) -> dict[str, float]:
    remaining = report["remaining"][-1]
    released = report["released"][-1]
    return {
        "remaining_m2": remaining["total_area_m2"],
        "remaining_count": remaining["total_count"],
        "released_m2": released["total_m2"],
        # counted apart (Form 1(i)): a withdrawal of such land moves it alone
        "released_outside_m2": released.get("released_outside_hazards_m2", 0.0),
    }


def _outside_then(run: ReportRun) -> float | None:
    """Land released outside hazards as the report counted it when finalised: in its
    totals since they were kept, else in the report kept whole (None: not known)."""
    if "released_outside_m2" in run.totals:
        return float(run.totals["released_outside_m2"])
    if run.document is not None:
        return float(run.document["released"][-1].get("released_outside_hazards_m2", 0.0))
    return None


def _told_by_time(run: ReportRun) -> dt.datetime | None:
    """When a finalised report's stamp did not count land released outside hazards, the
    time after which such records are its corrections; None when the stamp counts them.

    By number where it can: an approval that began before the report was finalised and
    committed after it records them with a time before the finalisation, and they moved
    the report's Form 1(i) all the same (approvals hold one lock, so none is committed
    between the stamp and a later number)."""
    if run.document is not None and run.document.get(STAMP_COUNTS_OUTSIDE):
        return None
    return run.produced_at


def first_record(session: Session, contam: str) -> dt.date | None:
    """The date the first record of a kind of contamination takes effect (a hazard, or land
    released outside hazards), or None when none is recorded."""
    found = session.scalar(
        text(
            "SELECT least("
            " (SELECT min(r.effective) FROM hazard_revision_in_force r"
            "  JOIN hazard h ON h.id = r.hazard_id WHERE h.contam = :c),"
            " (SELECT min(o.released) FROM outside_release_counted o WHERE o.contam = :c))"
        ),
        {"c": contam},
    )
    return found if isinstance(found, dt.date) else None


def finalised_run(session: Session, kind: str, params: str) -> ReportRun | None:
    """The finalisation of a report, if it was finalised."""
    return session.scalars(
        select(ReportRun).where(ReportRun.kind == kind, ReportRun.params == params)
    ).first()


def first_production(
    session: Session,
    kind: str,
    params: str,
    stamp: int,
    totals: dict[str, Any],
    by: str | None,
    document: dict[str, Any] | None = None,
) -> ReportRun:
    """Finalise a report: note this production if none was noted before (commits).

    ``document``: the whole report as finalised, kept so that it can be produced again as
    it was (``as_finalised``). The note is in the audit trail too, with a digest of the
    document, so `ims db verify` can tell a report_run row that ims wrote from one added or
    changed behind its back.
    """
    noted = session.scalar(
        insert(ReportRun)
        .values(
            kind=kind,
            params=params,
            stamp=stamp,
            totals=totals,
            produced_by=by,
            document=document,
        )
        .on_conflict_do_nothing(constraint="uq_report_run_kind_params")
        .returning(ReportRun.id)
    )
    if noted is not None:
        digest = session.scalar(
            text(f"SELECT {DOCUMENT_DIGEST} FROM report_run r WHERE r.id = :i"), {"i": noted}
        )
        audit.record(
            session,
            by,
            # "report.first_produced" until an auditor looking for who finalised a report
            # found nothing under "finalised" (a new user's review); the older events keep
            # their name, and ims.db.verify reads both
            "report.finalised",
            "report_run",
            noted,
            after=report_run_record(kind, params, stamp, totals, by, digest),
        )
    session.commit()
    run = session.scalars(
        select(ReportRun).where(ReportRun.kind == kind, ReportRun.params == params)
    ).one()
    return run


def report_run_record(
    kind: str,
    params: str,
    stamp: int,
    totals: dict[str, Any],
    by: str | None,
    document_sha256: str | None = None,
) -> dict[str, Any]:
    """What the audit trail keeps of a report's first production (ims db verify compares)."""
    record = {"kind": kind, "params": params, "stamp": stamp, "totals": totals, "produced_by": by}
    if document_sha256 is not None:
        record["document_sha256"] = document_sha256
    return record


# A record of land released outside hazards changes Form 1(i) of its own year, and of a
# later year whose records share its ground: each square metre counts once, with the
# record released first (ims.db.outside), so one recorded or withdrawn late moves the later
# year's figure too (a review of our own change).
_IN_THE_YEAR = (
    "(extract(year FROM o.released) = extract(year FROM CAST(:as_of AS date))"
    " OR EXISTS (SELECT 1 FROM outside_release y WHERE y.contam = o.contam AND y.id <> o.id"
    "  AND extract(year FROM y.released) = extract(year FROM CAST(:as_of AS date))"
    # sharing ground, not only an edge (touching records had been listed by hundreds), nor
    # the float noise of one (1 m²: as a hazard's ground is open from, OPEN_THRESHOLD_M2)
    "  AND y.geom && o.geom AND ST_Intersects(y.geom, o.geom)"
    "  AND ST_Area(ST_Intersection(y.geom, o.geom)::geography) >= 1))"
)


def corrections(
    session: Session,
    stamp: int,
    as_of: dt.date,
    scope: ReportScope,
    since: dt.datetime | None = None,
    most: int | None = MAX_LISTED,
    finalised: dt.datetime | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """Revisions, releases and withdrawals recorded after ``stamp`` that take effect on or
    before ``as_of`` (a release's withdrawal from its release's date, a hazard's from the
    date it was first in force), and the hazards of the period whose ledgers were computed
    again after ``finalised`` (the finalisation's time; None: none such).

    Returns the count and the first ``most`` of them in recording order (None: all).
    """
    # A hazard's first revision is its recording: a hazard recorded late had been listed as
    # a "hazard revision". Who sent it (the uploader, and the organisation the submission
    # was for) beside who approved it: the list had named the reviewer alone, and the IM
    # officer asked the wrong person (a walk-through as an IM officer correcting data).
    query = text(
        "SELECT c.*, s.uploaded_by AS sent_by, o.name AS sent_for FROM ("
        " SELECT r.seq,"
        "  CASE WHEN r.seq = (SELECT min(f.seq) FROM hazard_revision f"
        "   WHERE f.hazard_id = r.hazard_id) THEN 'hazard recorded' ELSE 'hazard revision' END"
        "  AS what, h.reference AS hazard, NULL AS release,"
        "  r.status AS detail, r.effective AS on, r.recorded_at, r.recorded_by, r.submission_id,"
        "  p.status AS status_before, p.map_area_m2 AS m2_before, r.map_area_m2 AS m2"
        " FROM hazard_revision r JOIN hazard h ON h.id = r.hazard_id"
        " LEFT JOIN LATERAL (SELECT q.status, q.map_area_m2 FROM hazard_revision q"
        "  WHERE q.hazard_id = r.hazard_id AND (q.effective, q.seq) < (r.effective, r.seq)"
        "  ORDER BY q.effective DESC, q.seq DESC LIMIT 1) p ON true"
        " WHERE r.seq > :stamp AND r.effective <= :as_of AND h.contam = :contam"
        " UNION ALL"
        " SELECT x.seq, 'release', h.reference, x.reference, x.method, x.released,"
        "  x.recorded_at, x.recorded_by, x.submission_id, NULL, NULL,"
        "  (SELECT sum(-e.delta_m2) FROM ledger_entry e WHERE e.release_id = x.id)"
        " FROM release x JOIN hazard h ON h.id = x.hazard_id"
        " WHERE x.seq > :stamp AND x.released <= :as_of AND h.contam = :contam"
        " UNION ALL"
        " SELECT w.seq, 'release withdrawn', h.reference, x.reference, w.reason, x.released,"
        "  w.withdrawn_at, w.withdrawn_by, NULL, NULL, NULL, NULL"  # a reviewer's own act
        " FROM release_withdrawal w JOIN release x ON x.id = w.release_id"
        " JOIN hazard h ON h.id = x.hazard_id"
        " WHERE w.seq > :stamp AND x.released <= :as_of AND h.contam = :contam"
        # a hazard withdrawn takes effect from its first date: it never counted (§2.9)
        " UNION ALL"
        " SELECT w.seq, 'hazard withdrawn', h.reference, NULL, w.reason,"
        "  (SELECT min(f.effective) FROM hazard_revision f WHERE f.hazard_id = h.id),"
        "  w.withdrawn_at, w.withdrawn_by, NULL, NULL, NULL, NULL"
        " FROM hazard_withdrawal w JOIN hazard h ON h.id = w.hazard_id"
        " WHERE w.seq > :stamp AND h.contam = :contam AND EXISTS (SELECT 1 FROM"
        "  hazard_revision f WHERE f.hazard_id = h.id AND f.effective <= :as_of)"
        # land released outside hazards recorded after the report was finalised (``since``:
        # its number was not in the stamp, which these records' numbers share), and
        # withdrawn: Form 1(i) of its own year only
        " UNION ALL"
        " SELECT o.seq, 'released outside hazards', NULL, o.reference, o.method, o.released,"
        "  o.recorded_at, o.recorded_by, o.submission_id, NULL, NULL, NULL"
        " FROM outside_release o"
        " WHERE o.seq > :stamp AND (:by_number OR o.recorded_at >= CAST(:since AS timestamptz))"
        "  AND o.released <= :as_of"
        "  AND o.contam = :contam"
        f"  AND {_IN_THE_YEAR}"
        " UNION ALL"
        " SELECT w.seq, 'outside release withdrawn', NULL, o.reference, w.reason, o.released,"
        "  w.withdrawn_at, w.withdrawn_by, NULL, NULL, NULL, NULL"
        " FROM outside_release_withdrawal w JOIN outside_release o"
        "  ON o.id = w.outside_release_id"
        f" WHERE w.seq > :stamp AND o.released <= :as_of AND o.contam = :contam AND {_IN_THE_YEAR}"
        # ledgers computed again from their records after the report was finalised (`ims
        # db recompute`, run by an upgrade that found stored entries not adding up) that
        # came out otherwise: no record was added, and the figures moved all the same
        # (decision 0027); listed after the records, a hazard a row
        " UNION ALL"
        f" SELECT NULL, '{RECOMPUTED}', h.reference, NULL, 'from its records (ims db recompute)',"
        "  CAST(e.at AS date), e.at, e.actor, NULL, NULL, NULL, NULL"
        " FROM audit_event e"
        " CROSS JOIN LATERAL jsonb_array_elements_text(e.after -> 'changed') AS r(reference)"
        " JOIN hazard h ON h.reference = r.reference"
        " WHERE e.action = 'ledger.recomputed' AND e.at > CAST(:finalised AS timestamptz)"
        "  AND h.contam = :contam AND EXISTS (SELECT 1 FROM"
        "  hazard_revision f WHERE f.hazard_id = h.id AND f.effective <= :as_of)"
        ") c LEFT JOIN submission s ON s.id = c.submission_id"
        " LEFT JOIN organisation o ON o.id = s.organisation_id"
        " ORDER BY c.seq NULLS LAST, c.recorded_at, c.hazard"
    )
    params = {
        "stamp": stamp,
        "as_of": as_of,
        "contam": scope.contam.value,
        "since": since,
        "by_number": since is None,
        "finalised": finalised or dt.datetime.max.replace(tzinfo=dt.UTC),
    }
    count = session.scalar(text(f"SELECT COUNT(*) FROM ({query.text}) q"), params) or 0
    rows = session.execute(text(f"{query.text} LIMIT :n"), {**params, "n": most}).all()
    listed = [
        {
            "what": row.what,
            "hazard": row.hazard,
            "release": row.release,
            "detail": _detail(row),
            "on": row.on.isoformat(),
            "recorded_at": row.recorded_at.isoformat(timespec="seconds"),
            "recorded_by": row.recorded_by,
            "sent_by": _sender(row.sent_by, row.sent_for),
            "submission_id": row.submission_id,
        }
        for row in rows
    ]
    return int(count), listed


def recorded_after_the_period(
    session: Session, as_of: dt.date, scope: ReportScope
) -> tuple[int, dt.datetime | None]:
    """How many revisions and releases taking effect by ``as_of`` were recorded after that
    day, and when the last was: a report finalised late holds them, where the report
    submitted at the time did not (a year could be finalised years later, and nothing said
    its figures were not those of the time: a walk-through)."""
    row = session.execute(
        text(
            "SELECT count(*), max(at) FROM ("
            " SELECT r.recorded_at AS at FROM hazard_revision r JOIN hazard h ON h.id = r.hazard_id"
            " WHERE r.effective <= :as_of AND r.recorded_at >= :after AND h.contam = :contam"
            " UNION ALL"
            " SELECT x.recorded_at FROM release x JOIN hazard h ON h.id = x.hazard_id"
            " WHERE x.released <= :as_of AND x.recorded_at >= :after AND h.contam = :contam"
            " UNION ALL"
            " SELECT w.withdrawn_at FROM release_withdrawal w JOIN release x"
            "  ON x.id = w.release_id JOIN hazard h ON h.id = x.hazard_id"
            " WHERE x.released <= :as_of AND w.withdrawn_at >= :after AND h.contam = :contam"
            " UNION ALL"
            " SELECT o.recorded_at FROM outside_release o"
            " WHERE o.released <= :as_of AND o.recorded_at >= :after AND o.contam = :contam"
            f"  AND {_IN_THE_YEAR}"
            " UNION ALL"
            " SELECT w.withdrawn_at FROM outside_release_withdrawal w JOIN outside_release o"
            "  ON o.id = w.outside_release_id"
            " WHERE o.released <= :as_of AND w.withdrawn_at >= :after AND o.contam = :contam"
            f"  AND {_IN_THE_YEAR}"
            " UNION ALL"
            " SELECT w.withdrawn_at FROM hazard_withdrawal w JOIN hazard h ON h.id = w.hazard_id"
            " WHERE w.withdrawn_at >= :after AND h.contam = :contam AND EXISTS (SELECT 1 FROM"
            "  hazard_revision f WHERE f.hazard_id = h.id AND f.effective <= :as_of)"
            ") late"
        ),
        {
            "as_of": as_of,
            "after": as_of + dt.timedelta(days=1),
            "contam": scope.contam.value,
        },
    ).one()
    return int(row[0] or 0), row[1]


def _sender(name: str | None, organisation: str | None) -> str | None:
    """Who sent a record for review: the uploader, with the organisation it was for."""
    if name and organisation:
        return f"{name} ({organisation})"
    return name or organisation


class NotFinalisable(InvalidRequest):
    """A report for a period that has not ended cannot be finalised."""


def _not_finalised(totals: dict[str, float], *, provisional: bool) -> dict[str, Any]:
    """The history of a report not finalised (yet): nothing to compare with."""
    return {
        "provisional": provisional,
        "finalised": False,
        "first_produced_at": None,
        "first_produced_by": None,
        "corrections_count": 0,
        "corrections": [],
        "totals_then": None,
        "totals_now": totals,
        "change_m2": None,
        "change_counts": None,
        "kept_whole": False,
        "as_finalised": False,
        "notes_then": None,
    }


def article7_with_history(
    session: Session,
    year: int,
    scope: ReportScope,
    by: str | None = None,
    today: dt.date | None = None,
    *,
    finalise: bool = False,
    as_finalised: bool = False,
    every_correction: bool = False,
) -> dict[str, Any]:
    """The Article 7 report with a ``history`` key: finalised when, corrected since?

    The first ``MAX_LISTED`` corrections are listed, or ``every_correction`` (for the CSV
    and the XLSX: a file withdrawn after finalising had left the latest in no file).

    With ``finalise`` (a reviewer's act) a report for a year that has ended is noted as
    finalised, once, and committed, whole, by provinces and by districts (one report, of
    one kind of contamination); every later production shows the corrections recorded
    since. Without it nothing is written. ``as_finalised``: the report as it was finalised,
    with the notes its files carried, and the corrections since (InvalidRequest for one not
    finalised, or finalised before reports were kept whole).
    """
    today = today or dt.date.today()
    if year > today.year:  # this year's is provisional; a later one none
        raise InvalidRequest(
            f"{year} has not begun: a report covers a year up to today at the latest "
            f"(this year's, {today.year}, is provisional)"
        )
    baseline = get_settings().article4_baseline
    if finalise and year < baseline.year:
        # a report before the Convention applied is none to submit, and finalising cannot
        # be undone (a new user's review was offered to finalise 1990, before any record)
        raise NotFinalisable(
            f"the report for {year} cannot be finalised: it is before the baseline, "
            f"{baseline.isoformat()} (IMS_ARTICLE4_BASELINE), when reporting begins"
        )
    stamp = recording_stamp(session)
    report = _article7_kept(session, year, scope, today)
    as_of = dt.date.fromisoformat(report["as_of"])
    params = article7_params(year, scope)
    if as_of >= today:
        if finalise:
            raise NotFinalisable(f"the report for {year} cannot be finalised before the year ends")
        if as_finalised:
            raise InvalidRequest(f"the report for {year} is provisional: it is not finalised")
        report["history"] = _not_finalised(_totals(report), provisional=True)
        # its figures are today's (nothing is recorded after today): said as of today, and
        # its links to the hazards ask for today (a later date is refused everywhere)
        report["as_of"] = today.isoformat()
        return report
    run = finalised_run(session, KIND_ARTICLE7, params)
    if run is None and finalise:
        first = first_record(session, scope.contam.value)
        if first is None or first > as_of:
            # all zeros, from a database whose records begin later: most likely a
            # programme's history not migrated yet, and finalising cannot be undone (a
            # new user's review was offered to finalise 2011, the year before the first)
            raise NotFinalisable(
                f"the report for {year} cannot be finalised: nothing of {scope.contam.value} "
                f"is recorded to take effect by {as_of.isoformat()}"
                + (f" (the first record takes effect on {first.isoformat()})" if first else "")
                + ": its figures would all be zero; record the programme's history first"
            )
        run = _finalise(session, report, scope, params, stamp, by)
        # the same report by the other level, at the same moment: finalising the provinces'
        # had left the districts' "Not finalised yet", and finalisable later with other
        # figures (a walk-through)
        other = ReportScope(level=3 - scope.level, contam=scope.contam)
        if finalised_run(session, KIND_ARTICLE7, article7_params(year, other)) is None:
            also = _article7_kept(session, year, other, today)
            _finalise(session, also, other, article7_params(year, other), stamp, by)
    now = _totals(report)
    if run is None:
        if as_finalised:
            raise InvalidRequest(
                f"the report for {year} ({scope.contam.value}, "
                f"{'provinces' if scope.level == 1 else 'districts'}) is not finalised"
            )
        report["history"] = _not_finalised(now, provisional=False)
        return report
    notes_then = None
    if as_finalised:
        if run.document is None:
            raise InvalidRequest(
                f"the report for {year} was finalised on {run.produced_at:%Y-%m-%d}, before ims "
                "kept finalised reports whole: only its national totals were kept, and they "
                "are shown beside today's figures"
            )
        report = copy.deepcopy(run.document)
        notes_then = report.pop("notes_then", None)
        report.pop(STAMP_COUNTS_OUTSIDE, None)
    count, listed = corrections(
        session,
        run.stamp,
        as_of,
        scope,
        since=_told_by_time(run),
        most=None if every_correction else MAX_LISTED,
        finalised=run.produced_at,
    )
    outside_then = _outside_then(run)
    report["history"] = {
        "provisional": False,
        "finalised": True,
        "first_produced_at": run.produced_at.isoformat(timespec="seconds"),
        "first_produced_by": run.produced_by,
        "corrections_count": count,
        "corrections": listed,
        "totals_then": run.totals,
        "totals_now": now,
        "change_m2": {
            **{
                key: clean_area(float(now[key]) - float(run.totals.get(key, 0.0)))
                for key in ("remaining_m2", "released_m2")
            },
            "released_outside_m2": (
                None
                if outside_then is None
                else clean_area(now["released_outside_m2"] - outside_then)
            ),
        },
        "change_counts": None if as_finalised else _counts_changed(run, report),
        "kept_whole": run.document is not None,
        "as_finalised": as_finalised,
        "notes_then": notes_then,
    }
    return report


def _destroyed(row: dict[str, Any]) -> dict[str, int]:
    return {item["type"]: int(item["quantity"]) for item in row.get("destroyed", [])}


def _counts_changed(run: ReportRun, report: dict[str, Any]) -> dict[str, Any]:
    """How far the counts moved since finalisation, beside the areas: the hazards remaining
    (kept in the totals), the hazards closed and the items destroyed by type (in the report
    kept whole); None where the finalisation kept no such figure. A correction that closed
    a hazard or named items had moved no figure the history told (a review as an IM
    officer)."""
    then_count = run.totals.get("remaining_count")
    remaining = None
    if then_count is not None:
        remaining = int(report["remaining"][-1]["total_count"]) - int(then_count)
    closed = destroyed = None
    if run.document is not None:
        then, now = run.document["released"][-1], report["released"][-1]
        closed = int(now.get("hazards_closed", 0)) - int(then.get("hazards_closed", 0))
        before, after = _destroyed(then), _destroyed(now)
        destroyed = {
            code: after.get(code, 0) - before.get(code, 0)
            for code in sorted(before.keys() | after.keys())
            if after.get(code, 0) != before.get(code, 0)
        }
    return {"remaining_count": remaining, "hazards_closed": closed, "destroyed": destroyed}


def _counts_said(counts: dict[str, Any] | None) -> str:
    """The counts that moved, as the history's sentence goes on: ", hazards remaining by
    -1, items destroyed by +3 BLU-26"."""
    if not counts:
        return ""
    said = ""
    if counts.get("remaining_count"):
        said += f", hazards remaining by {counts['remaining_count']:+,}"
    if counts.get("hazards_closed"):
        said += f", hazards closed by {counts['hazards_closed']:+,}"
    if counts.get("destroyed"):
        items = ", ".join(f"{qty:+,} {code}" for code, qty in counts["destroyed"].items())
        said += f", items destroyed by {items}"
    return said


def _article7_kept(
    session: Session, year: int, scope: ReportScope, today: dt.date
) -> dict[str, Any]:
    # the tables themselves are kept until anything they come from changes; their history
    # (finalised when, corrected since) is read each time
    return kept(
        session,
        "article7",
        (year, scope, today),
        lambda: article7(session, year, scope),
    )


def _finalise(
    session: Session,
    report: dict[str, Any],
    scope: ReportScope,
    params: str,
    stamp: int,
    by: str | None,
) -> ReportRun:
    """Note ``report`` as finalised, whole, with the notes its files carry now."""
    from ims.reports.export import outstanding_findings

    noted, codes = outstanding_findings(session)
    document = {k: v for k, v in report.items() if k != "history"}
    document["notes_then"] = {
        "submissions": [dataclasses.asdict(n) for n in noted],
        "codes": [[code, n] for code, n in codes],
    }
    document[STAMP_COUNTS_OUTSIDE] = True
    document = json.loads(json.dumps(document, default=str))
    return first_production(session, KIND_ARTICLE7, params, stamp, _totals(report), by, document)


def for_generalised_readers(report: dict[str, Any]) -> dict[str, Any]:
    """``report`` as a reader who sees generalised locations reads it (IMS_LOCATION_PRIVACY):
    its corrections without the references the register keeps from them, the free text of
    a withdrawal's reason, or who recorded, sent or finalised them. The counts, dates and
    the change in the figures stay. They had all been given to anonymous readers (an
    attack on our own instance)."""
    history = dict(report["history"])
    history["first_produced_by"] = None
    history["corrections"] = [
        {
            **c,
            "hazard": None,
            "release": None,
            "detail": None if c["what"].endswith("withdrawn") else c["detail"],
            "recorded_at": c["recorded_at"][:10],
            "recorded_by": None,
            "sent_by": None,
            "submission_id": None,
        }
        for c in history["corrections"]
    ]
    return {**report, "history": history}


CORRECTION_COLUMNS = (
    "Recorded (UTC)",
    "What",
    "Release",
    "Hazard",
    "Takes effect",
    "Status, method or reason",
    "Sent by",
    "Reviewer",  # who approved it, or withdrew it
    "Submission",
)


def _detail(row: Any) -> str | None:
    """What a correction changed, as its row in the list says it: a revision's status and
    boundary before and after it, a release's method and the ground it counted (a boundary
    revised had read "hazard revision … CHA" alone, and the authority could not say what
    had moved its figures: helper-133)."""
    if row.what == "hazard revision":
        said = [
            f"{row.status_before} → {row.detail}"
            if row.status_before != row.detail
            else f"{row.detail}, status unchanged"
        ]
        if row.m2_before is not None and row.m2 is not None and abs(row.m2 - row.m2_before) >= 0.5:
            said.append(f"boundary {row.m2_before:,.0f} → {row.m2:,.0f} m²")
        else:
            said.append("boundary unchanged")
        return "; ".join(said)
    if row.what == "hazard recorded" and row.m2 is not None:
        return f"{row.detail}, {row.m2:,.0f} m²"
    if row.what == "release" and row.m2 is not None:
        return f"{row.detail}, {row.m2:,.0f} m² counted"
    return row.detail  # type: ignore[no-any-return]


def correction_rows(history: dict[str, Any] | None) -> list[list[Any]]:
    """The corrections a report lists, a row each under ``CORRECTION_COLUMNS`` (none for a
    report not finalised): its files had said how many, and not which (a review as an IM
    officer sending a corrected report). As the report holds them: a generalised reader's
    come without references and names."""
    if not history or not history.get("corrections"):
        return []
    return [
        [
            f"{c['recorded_at'][:10]} {c['recorded_at'][11:16]}".strip(),
            c["what"],
            c.get("release") or "",
            c.get("hazard") or ("" if c.get("release") is None else "outside recorded hazards"),
            str(c.get("on") or ""),
            c.get("detail") or "",
            c.get("sent_by") or "",
            c.get("recorded_by") or "",
            c.get("submission_id") or "",
        ]
        for c in history["corrections"]
    ]


def corrections_listed(history: dict[str, Any] | None) -> str:
    """Whether a report's files list every correction, or the first of how many."""
    if not history or not history.get("corrections"):
        return ""
    shown, count = len(history["corrections"]), history["corrections_count"]
    return (
        f"The first {shown:,} of {count:,} are listed; the XLSX and the CSV list every one."
        if count > shown
        else ""
    )


def summary(history: dict[str, Any] | None) -> str:
    """One sentence on a report's history, for the CLI, the exports and the page."""
    if not history:
        return ""
    if history["provisional"]:
        return "Provisional: the period has not ended, and its figures change as work is recorded."
    if not history.get("finalised", True):
        return (
            "Not finalised yet: a reviewer finalises the report when it is submitted; from "
            "then on, corrections recorded later are listed here."
        )
    by = history["first_produced_by"]
    first = f"Finalised {history['first_produced_at'][:10]}{f' by {by}' if by else ''}"
    count = history["corrections_count"]
    if history.get("as_finalised"):
        since = (
            f"{count:,} correction{'s' if count != 1 else ''} recorded since with effect in this "
            f"period {'is' if count == 1 else 'are'} not in it"
            if count
            else "no corrections recorded since"
        )
        return f"The report as finalised: {first[0].lower()}{first[1:]}; {since}."
    if not count:
        return f"{first}; no corrections recorded since."
    change = history["change_m2"]
    outside = change.get("released_outside_m2")
    return (
        f"{first}; {count:,} correction{'s' if count != 1 else ''} recorded since with effect in "
        f"this period: remaining area changed by {change['remaining_m2']:+,.0f} m², released "
        f"area by {change['released_m2']:+,.0f} m²"
        + (
            f", land released outside recorded hazards by {outside:+,.0f} m²"
            if outside  # (not known for a report finalised before it was kept, or unmoved)
            else ""
        )
        + _counts_said(history.get("change_counts"))
        + "."
    )
