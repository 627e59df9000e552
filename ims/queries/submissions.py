"""Submissions as a reviewer reads them: the list, and one page of a review."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.db.ledger import admin_indexes
from ims.domain.enums import SubmissionStatus, UploadKind
from ims.domain.findings import Finding as FindingData
from ims.domain.findings import Severity
from ims.domain.polygons import polygonal
from ims.errors import NotFound
from ims.ingest.fields import HAZARD_FIELDS, RELEASE_FIELDS
from ims.ingest.submissions import database_stamp, date_orders
from ims.ingest.tables import RECORD_ID
from ims.ingest.validate import own_changed, own_value
from ims.reports import kept
from ims.words import listed


def submission_count(
    session: Session,
    organisation_id: int | None = None,
    *,
    status: str | None = None,
    kind: str | None = None,
) -> int:
    """How many submissions ``submission_list`` lists, pages apart."""
    return int(
        session.scalar(
            text(
                "SELECT count(*) FROM submission s"
                " WHERE (CAST(:org AS integer) IS NULL OR s.organisation_id = :org)"
                " AND (CAST(:status AS text) IS NULL OR s.status = :status)"
                " AND (CAST(:kind AS text) IS NULL OR s.kind = :kind)"
            ),
            {"org": organisation_id, "status": status, "kind": kind},
        )
        or 0
    )


def submission_list(
    session: Session,
    limit: int = 200,
    organisation_id: int | None = None,
    *,
    status: str | None = None,
    kind: str | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """The latest submissions with their finding counts: of one organisation, status or
    kind, if given; ``offset`` of them skipped (a page)."""
    rows = session.execute(
        text(
            "SELECT s.id, s.kind, s.filename, s.status, s.feature_count, s.uploaded_at,"
            " s.uploaded_by, s.noted, s.partial, s.reason, s.decided_by, o.name AS organisation,"
            " EXISTS (SELECT 1 FROM submission r WHERE r.replaces = s.id) AS corrected,"
            # its records withdrawn since as recorded in error (said beside "approved")
            " (SELECT count(*) FROM release x JOIN release_withdrawal w ON w.release_id = x.id"
            "  WHERE x.submission_id = s.id)"
            " + (SELECT count(*) FROM outside_release o JOIN outside_release_withdrawal w"
            "  ON w.outside_release_id = o.id WHERE o.submission_id = s.id)"
            " AS releases_withdrawn,"
            " COUNT(f.id) FILTER (WHERE f.severity = 'error') AS errors,"
            " COUNT(f.id) FILTER (WHERE f.severity = 'warning') AS warnings "
            "FROM submission s LEFT JOIN organisation o ON o.id = s.organisation_id "
            "LEFT JOIN finding f ON f.submission_id = s.id "
            "WHERE (CAST(:org AS integer) IS NULL OR s.organisation_id = :org) "
            "AND (CAST(:status AS text) IS NULL OR s.status = :status) "
            "AND (CAST(:kind AS text) IS NULL OR s.kind = :kind) "
            "GROUP BY s.id, o.name ORDER BY s.id DESC LIMIT :n OFFSET :offset"
        ),
        {"n": limit, "org": organisation_id, "status": status, "kind": kind, "offset": offset},
    ).all()
    return [dict(r._mapping) for r in rows]


REVIEW_PAGE_SIZE = 50  # findings listed per page of a review
FEATURES_PAGE_SIZE = 100  # features listed per page of a review
FEATURE_FILTERS = ("all", "errors", "warnings", "clean")


@dataclass
class SubmissionReview:
    """What the review page of a submission shows: one page of its findings and features.

    Nothing here grows with the file: the features are drawn from vector tiles, findings
    are summed by kind and listed a page at a time, as are the features' attributes.
    """

    submission: dict[str, Any]
    errors: int
    warnings: int
    kinds: list[dict[str, Any]]  # severity, code, count: one row per kind of finding
    findings: list[FindingData]  # this page of them (of one kind, if chosen), errors first
    findings_total: int  # of the kind chosen, or all
    features: list[dict[str, Any]]  # this page: row, reference, finding, findings, record
    features_total: int  # of the filter chosen
    columns: list[str]  # the attributes of the features, template fields first
    bounds: list[list[float]] | None  # [[south, west], [north, east]] of the features
    features_in_error: int = 0  # features with an error: approving in part leaves them out
    # errors of the whole file (read in a zone that puts it outside the country, say): they
    # block approving in part too, which the page had offered (helper-115)
    file_errors: int = 0
    # awaiting review, and the records or reference lists validation reads have changed
    # since its features were checked: approving checks them all again first
    checked_again: bool = False
    # awaiting review: the finalised reports approving it would correct (their years), its
    # earliest feature being dated in or before them
    corrects: list[int] = field(default_factory=list)
    # beside each finding of the page, what has become since of the other submissions it
    # names as awaiting review ("submission 59 was rejected since"), or ""
    since: list[str] = field(default_factory=list)
    # the same for the features' findings, by their message (helper-116: the features'
    # table had gone on saying "awaiting review … reject one")
    since_of: dict[str, str] = field(default_factory=dict)


# Each feature's worst finding, from its findings (a feature has findings only if it has
# a row here): the filters by worst finding start from these, not from every feature.
_WORST = (
    "SELECT row_number, CASE WHEN bool_or(severity = 'error') THEN 'error' ELSE 'warning'"
    " END AS finding FROM finding WHERE submission_id = :s AND row_number IS NOT NULL"
    " GROUP BY row_number"
)
# A finding's message as a review page shows it: whole up to MESSAGE_SHOWN characters.
# Findings stored before values were bounded (docs/design.md §5.4) can quote a
# megabyte status whole, and a page of them had answered 100 MB. Those naming the
# submissions awaiting review stay whole: the page reads what became of each since.
MESSAGE_SHOWN = 2_000
_NAMING_PENDING = frozenset({"pending_elsewhere", "overlaps_pending"})
_MESSAGE = (
    f"CASE WHEN length(f.message) > {MESSAGE_SHOWN}"
    f" AND f.code NOT IN ({', '.join(repr(code) for code in sorted(_NAMING_PENDING))})"
    f" THEN left(f.message, {MESSAGE_SHOWN}) || '… ('"
    " || to_char(length(f.message), 'FM999,999,999,990') || ' characters in all)'"
    " ELSE f.message END"
)
# A listed feature's findings, worst first (its own: those with its row; one index lookup)
_FINDINGS_OF_ROW = (
    " LEFT JOIN LATERAL (SELECT json_agg(json_build_object('severity', f.severity,"
    f" 'code', f.code, 'field', f.field, 'message', {_MESSAGE})"
    " ORDER BY f.severity = 'error' DESC, f.id) AS findings"
    " FROM finding f WHERE f.submission_id = :s AND f.row_number = sf.row_number) fl ON true"
)
_FEATURE_COLUMNS = (
    "SELECT sf.row_number AS row, sf.reference, sf.record, sf.clean, w.finding, fl.findings,"
    # (a form record recorded already, unchanged, keeps only the polygon it was sent with;
    # a hazard sent back unchanged, none)
    " sf.geom IS NULL AND NOT COALESCE(sf.clean ?| array['sent_before', 'unchanged'], false)"
    " AS unusable"
)


def _features_page(
    session: Session, sub: Any, features: str, page: int
) -> tuple[int, list[dict[str, Any]]]:
    """How many features the filter keeps, and the page of them shown.

    With errors or with warnings only: from the features' worst findings (a national file
    has hundreds of thousands of features and a few thousand findings); without findings
    or all: from the features, in their order, each looked up in its findings."""
    params = {
        "s": sub.id,
        "n": FEATURES_PAGE_SIZE,
        "skip": (page - 1) * FEATURES_PAGE_SIZE,
        "worst": {"errors": "error", "warnings": "warning"}.get(features),
    }
    if features in ("errors", "warnings"):
        total = session.scalar(
            text(
                f"SELECT count(*) FROM ({_WORST}) w JOIN submission_feature sf"
                " ON sf.submission_id = :s AND sf.row_number = w.row_number"
                " WHERE w.finding = :worst"
            ),
            params,
        )
        query = (
            f"{_FEATURE_COLUMNS} FROM ({_WORST}) w JOIN submission_feature sf"
            " ON sf.submission_id = :s AND sf.row_number = w.row_number"
            f"{_FINDINGS_OF_ROW} WHERE w.finding = :worst"
        )
    else:
        with_findings = session.scalar(
            text(
                f"SELECT count(*) FROM ({_WORST}) w JOIN submission_feature sf"
                " ON sf.submission_id = :s AND sf.row_number = w.row_number"
            ),
            params,
        )
        total = int(sub.feature_count) - (int(with_findings or 0) if features == "clean" else 0)
        query = (
            f"{_FEATURE_COLUMNS} FROM submission_feature sf LEFT JOIN ({_WORST}) w"
            f" ON w.row_number = sf.row_number{_FINDINGS_OF_ROW} WHERE sf.submission_id = :s"
            + (" AND w.row_number IS NULL" if features == "clean" else "")
        )
    rows = session.execute(text(query + " ORDER BY sf.row_number LIMIT :n OFFSET :skip"), params)
    return int(total or 0), [dict(r._mapping) for r in rows]


def _recorded_hazards(session: Session, sub: Any, features: list[dict[str, Any]]) -> None:
    """Each approved feature's hazards (``feature["hazards"]``), for the review page to
    link: the hazard it revised, or those a release was recorded on (a release split among
    hazards is a record on each, docs/design.md §2.7). A feature left out of an approval in
    part, or a release recorded outside every hazard, has none."""
    refs = [f["reference"] for f in features if f["reference"]]
    if not refs:
        return
    if sub.kind == UploadKind.HAZARDS:
        query = (
            "SELECT DISTINCT h.reference, h.reference,"
            " EXISTS (SELECT 1 FROM hazard_withdrawal w WHERE w.hazard_id = h.id)"
            " FROM hazard_revision r JOIN hazard h ON h.id = r.hazard_id"
            " WHERE r.submission_id = :s AND h.reference = ANY(:refs)"
        )
    else:
        query = (
            "SELECT DISTINCT COALESCE(x.attributes->>'split_from', x.reference), h.reference,"
            " EXISTS (SELECT 1 FROM release_withdrawal w WHERE w.release_id = x.id)"
            " FROM release x JOIN hazard h ON h.id = x.hazard_id WHERE x.submission_id = :s"
            " AND COALESCE(x.attributes->>'split_from', x.reference) = ANY(:refs)"
            " ORDER BY 2"
        )
    hazards: dict[str, list[str]] = {}
    withdrawn: dict[str, set[str]] = {}
    for reference, hazard, gone in session.execute(text(query), {"s": sub.id, "refs": refs}):
        hazards.setdefault(reference, []).append(hazard)
        if gone:  # withdrawn since as recorded in error: said beside its hazard
            withdrawn.setdefault(reference, set()).add(hazard)
    outside_gone: set[str] = set()
    if sub.kind != UploadKind.HAZARDS:  # its land released outside hazards withdrawn since
        outside_gone = set(
            session.scalars(
                text(
                    "SELECT COALESCE(o.attributes->>'split_from', o.reference)"
                    " FROM outside_release o JOIN outside_release_withdrawal w"
                    " ON w.outside_release_id = o.id WHERE o.submission_id = :s"
                    " AND COALESCE(o.attributes->>'split_from', o.reference) = ANY(:refs)"
                ),
                {"s": sub.id, "refs": refs},
            )
        )
    for feature in features:
        feature["hazards"] = hazards.get(feature["reference"], [])
        feature["withdrawn_on"] = withdrawn.get(feature["reference"], set())
        feature["outside_withdrawn"] = feature["reference"] in outside_gone


def submission_review(
    session: Session,
    submission_id: int,
    *,
    code: str | None = None,
    findings_page: int = 1,
    features_page: int = 1,
    features: str = "all",
) -> SubmissionReview:
    """One page of a submission's review; NotFound for an unknown submission."""
    sub = session.execute(
        text(
            "SELECT s.*, o.name AS organisation,"
            " (SELECT id FROM submission r WHERE r.replaces = s.id) AS replaced_by,"
            # a rejected submission the upload corrects, with why it was rejected
            " e.status AS replaces_status, e.reason AS replaces_reason,"
            " e.decided_by AS replaces_decided_by"
            " FROM submission s "
            "LEFT JOIN organisation o ON o.id = s.organisation_id "
            "LEFT JOIN submission e ON e.id = s.replaces WHERE s.id = :s"
        ),
        {"s": submission_id},
    ).first()
    if sub is None:
        raise NotFound(f"submission {submission_id} does not exist")
    params = {"s": submission_id, "code": code, "n": REVIEW_PAGE_SIZE}
    kinds = [
        dict(r._mapping)
        for r in session.execute(
            text(
                "SELECT severity, code, COUNT(*) AS count FROM finding WHERE submission_id = :s "
                "GROUP BY severity, code ORDER BY severity = 'error' DESC, COUNT(*) DESC, code"
            ),
            params,
        )
    ]
    errors = sum(k["count"] for k in kinds if k["severity"] == "error")
    warnings = sum(k["count"] for k in kinds if k["severity"] == "warning")
    total = sum(k["count"] for k in kinds if code is None or k["code"] == code)
    rows = session.execute(
        text(
            f"SELECT code, severity, {_MESSAGE} AS message, row_number, reference, field "
            "FROM finding f "
            "WHERE submission_id = :s AND (CAST(:code AS text) IS NULL OR code = :code) "
            "ORDER BY severity = 'error' DESC, row_number NULLS FIRST, id "
            "LIMIT :n OFFSET :skip"
        ),
        {**params, "skip": (findings_page - 1) * REVIEW_PAGE_SIZE},
    ).all()
    findings = [
        FindingData(r.code, Severity(r.severity), r.message, r.row_number, r.reference, r.field)
        for r in rows
    ]
    awaiting = sub.status in (SubmissionStatus.UPLOADED, SubmissionStatus.VALIDATED)
    since = _since(session, sub, findings) if awaiting else []
    if features not in FEATURE_FILTERS:
        features = "all"
    features_total, rows_shown = _features_page(session, sub, features, features_page)
    # the same beside the features' own findings, by their message
    theirs = [
        FindingData(
            x["code"],
            Severity(x["severity"]),
            x["message"],
            row=f["row"],
            reference=f["reference"],
            field=x.get("field"),
        )
        for f in rows_shown
        for x in f.get("findings") or []
        if awaiting and x["code"] in _NAMING_PENDING
    ]
    since_of = {
        x.message: note
        for x, note in zip(theirs, _since(session, sub, theirs), strict=True)
        if note
    }
    for feature in rows_shown:  # the file's own columns beside the template's
        record = dict(feature["record"])
        own = record.pop("_attributes", None) or {}
        feature["record"] = {**record, **own}
    if sub.kind == UploadKind.HAZARDS and sub.status != SubmissionStatus.APPROVED:
        _revision_changes(session, sub, rows_shown)
    if sub.status == SubmissionStatus.APPROVED:
        _recorded_hazards(session, sub, rows_shown)
    template = HAZARD_FIELDS if sub.kind == UploadKind.HAZARDS else RELEASE_FIELDS
    present = {k for feature in rows_shown for k in feature["record"]}
    columns = [f for f in template if f in present] + sorted(present - set(template))
    extent = session.execute(
        text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT"
            " ST_Extent(COALESCE(geom, raw_geom))::geometry AS e FROM submission_feature"
            " WHERE submission_id = :s AND COALESCE(geom, raw_geom)"
            " @ ST_MakeEnvelope(-180, -85, 180, 85, 4326)) x"
        ),
        params,
    ).one()
    bounds = None
    if extent[0] is not None:
        bounds = [[float(extent[1]), float(extent[0])], [float(extent[3]), float(extent[2])]]
    in_error, of_the_file = (
        session.execute(
            text(
                "SELECT count(DISTINCT row_number), count(*) FILTER (WHERE row_number IS NULL)"
                " FROM finding WHERE submission_id = :s AND severity = 'error'"
            ),
            params,
        ).one()
        if errors
        else (0, 0)
    )
    return SubmissionReview(
        dict(sub._mapping),
        errors,
        warnings,
        kinds,
        findings,
        total,
        rows_shown,
        features_total,
        columns,
        bounds,
        int(in_error or 0),
        int(of_the_file or 0),
        sub.status in (SubmissionStatus.UPLOADED, SubmissionStatus.VALIDATED)
        and sub.validated_against is not None  # None: found by approval checking it again
        and _without_day(sub.validated_against)
        != _without_day(database_stamp(session, dt.date.today())),
        _finalised_it_corrects(session, sub)
        if sub.status in (SubmissionStatus.UPLOADED, SubmissionStatus.VALIDATED)
        else [],
        since,
        since_of,
    )


# How the findings that name other submissions as awaiting review name them
# (ims.ingest.submissions: _pending_elsewhere, _overlaps_pending): "hazard H-1 is also in
# submission 59, awaiting review", "overlaps hazard H-2 in submission 63 (5,814 m²), …"
_ELSEWHERE = re.compile(r"(\d+), awaiting review")
_OVERLAP_START = re.compile(r"(?:^overlaps |, )hazard ")
_OVERLAP_OF = re.compile(r" in submission (\d+) \([\d,]+ m²\)")
_REFERENCE_MAX = 100


def _named(finding: FindingData) -> list[tuple[int, str]]:
    """The (submission, hazard reference) pairs a finding may name as awaiting review: the
    references are the files' own text, which may read "in submission 125" too, so each
    pair is only a claim, checked against the submissions' features (``_since``)."""
    message = finding.message
    if finding.code == "pending_elsewhere" and finding.reference:
        for what in ("hazard", "release"):
            start = f"{what} {finding.reference} is also in submission "
            if message.startswith(start):
                found = _ELSEWHERE.match(message, len(start))
                return [(int(found.group(1)), finding.reference)] if found else []
        return []
    if finding.code != "overlaps_pending":
        return []
    starts = [m.end() for m in _OVERLAP_START.finditer(message)]
    return [
        (int(m.group(1)), message[start : m.start()])
        for m in _OVERLAP_OF.finditer(message)
        for start in starts
        if start < m.start() and m.start() - start <= _REFERENCE_MAX
    ]


def _since(session: Session, sub: Any, findings: Sequence[FindingData]) -> list[str]:
    """For each finding, the submissions it names as awaiting review that no longer do,
    with what became of them: a warning "overlaps hazard X in submission 59, awaiting
    review" had stayed on the page after 59 was rejected, asking the reviewer to reject
    one of two (the demo's submission 67). The warning is kept as found, and found
    again when the submission is approved (ims.ingest.approval).

    A submission is said only where it holds the hazard the finding names with it, and,
    for a submission of an organisation, only of that organisation, as the warning itself
    names them: a reference "H-1 in submission 125" had had an operator told the status
    of other organisations' submissions (helper-117)."""
    named = [_named(f) for f in findings]
    claims = {pair for pairs in named for pair in pairs}
    if not claims:
        return [""] * len(findings)
    rows = session.execute(
        text(
            "SELECT DISTINCT s.id, sf.reference, s.status FROM submission s"
            " JOIN submission_feature sf ON sf.submission_id = s.id"
            " WHERE s.id = ANY(:ids) AND sf.reference = ANY(:refs)"
            " AND s.status NOT IN ('uploaded', 'validated')"
            " AND (CAST(:org AS integer) IS NULL OR s.organisation_id = :org)"
        ),
        {
            "ids": sorted({n for n, _ in claims}),
            "refs": sorted({r for _, r in claims}),
            "org": sub.organisation_id,
        },
    ).all()
    held = {(n, ref): status for n, ref, status in rows}
    out = []
    for pairs in named:
        moved = {n: held[(n, ref)] for n, ref in pairs if (n, ref) in held}
        said = [f"submission {n} was {status}" for n, status in moved.items()]
        out.append(f"since then, {listed(said)}" if said else "")
    return out


# For each revision listed, the revision of its hazard in force on its date (the one it
# follows), with that revision's estimates, and the area of the boundary it sends.
_FOLLOWS = text("""
SELECT x.row_number, p.status, p.used_from, p.used_to, p.marked, o.name AS operator,
       p.map_area_m2, p.attributes,
       (SELECT string_agg(e.munition_code || ':' || e.quantity, ';' ORDER BY e.munition_code)
        FROM hazard_estimate e WHERE e.revision_id = p.id) AS munitions,
       ST_Area(sf.geom::geography) AS sent_m2
FROM unnest(CAST(:rows AS integer[]), CAST(:refs AS text[]), CAST(:days AS date[]))
     AS x(row_number, reference, effective)
JOIN hazard h ON h.reference = x.reference
CROSS JOIN LATERAL (
    SELECT q.* FROM hazard_revision q
    WHERE q.hazard_id = h.id AND q.effective <= x.effective
    ORDER BY q.effective DESC, q.seq DESC LIMIT 1) p
LEFT JOIN organisation o ON o.id = p.operator_id
LEFT JOIN submission_feature sf ON sf.submission_id = :s AND sf.row_number = x.row_number
""")
_CHANGED = ("status", "used_from", "used_to", "munitions", "marked", "operator")


def _revision_changes(session: Session, sub: Any, rows: list[dict[str, Any]]) -> None:
    """Give each revision among ``rows`` (a page of features awaiting review) its
    ``changes``: (what, in force, as revised) for each value it changes, the boundary's
    area and its own columns among them. The page listed a revision's values alone, and a
    reviewer could not tell what approving it would change (a review as a data manager);
    then the fields alone, and an own column it changed only in a warning (helper-118).
    A revision's own columns are added to those in force: one it does not give is kept."""
    revisions = {
        f["row"]: f["clean"]
        for f in rows
        if f.get("clean")
        and f["clean"].get("revised")
        and f["clean"].get("hazard_id")
        and not f["clean"].get("unchanged")  # left out: a hazard as it stands
    }
    if not revisions:
        return
    found = session.execute(
        _FOLLOWS,
        {
            "s": sub.id,
            "rows": list(revisions),
            "refs": [c["hazard_id"] for c in revisions.values()],
            "days": [dt.date.fromisoformat(c["revised"]) for c in revisions.values()],
        },
    ).all()
    by_row = {f["row"]: f for f in rows}
    # the order the file writes its own columns' dates in, as the page's features show it
    # or its mapping says: "Notes (none) → fence" and "2024-03-05 → 05/03/2024" (day
    # first) had been listed as changes (helper-121)
    orders = date_orders(
        [c.get("attributes") or {} for c in revisions.values()],
        (sub.field_map or {}).get("dates") if isinstance(sub.field_map, dict) else None,
    )
    for before in found:
        clean = revisions[before.row_number]
        cleared = set(clean.get("cleared") or ())
        given = {
            "status": clean.get("status"),
            "used_from": clean.get("used_from"),
            "used_to": clean.get("used_to"),
            "munitions": ";".join(
                f"{k}:{v}" for k, v in sorted((clean.get("munitions") or {}).items())
            )
            or None,
            "marked": clean.get("marked"),
            # a revision without an operator names the organisation sending it, if one
            "operator": clean.get("operator") or sub.organisation,
        }
        was = {
            "status": before.status,
            "used_from": before.used_from,
            "used_to": before.used_to,
            "munitions": before.munitions,
            "marked": before.marked.isoformat() if before.marked else None,
            "operator": before.operator,
        }
        changes = []
        for name in _CHANGED:
            after = None if name in cleared else given[name]
            if after is None and name not in cleared:
                continue  # not given: kept as it is
            if str(after or "") != str(was[name] or ""):
                changes.append((name, _shown(was[name]), _shown(after)))
        in_force = before.attributes or {}
        given_own = clean.get("attributes") or {}
        for name in sorted(own_changed(in_force, given_own, orders), key=str.casefold):
            if name != RECORD_ID:
                changes.append((name, _shown(own_value(in_force, name)), _shown(given_own[name])))
        if not clean.get("same_boundary") and before.sent_m2 is not None:  # redrawn
            changes.append(
                ("boundary", f"{before.map_area_m2:,.0f} m²", f"{before.sent_m2:,.0f} m²")
            )
        by_row[before.row_number]["changes"] = changes
        by_row[before.row_number]["revision"] = True


def _shown(value: Any) -> str:
    """A value in the revision's changes, cut as the findings cut it: a text of 3,000
    characters had made the features' table 47,906 px wide (helper-119)."""
    text = "(none)" if value is None or value == "" else str(value)
    return text if len(text) <= 40 else f"{text[:39]}…"


def _finalised_it_corrects(session: Session, sub: Any) -> list[int]:
    """The years of the finalised Article 7 reports that approving ``sub`` would correct:
    each shows, once it is, the corrections recorded since with effect in its year."""
    years = sorted(
        {
            int(p.split("=", 1)[1])
            for params in session.scalars(
                text("SELECT params FROM report_run WHERE kind = 'article7'")
            )
            for p in params.split(";")
            if p.startswith("year=") and p[5:].isascii() and p[5:].isdigit()
        }
    )
    if not years:
        return []
    earliest = session.scalar(
        text(
            "SELECT min(COALESCE(clean->>'released', clean->>'revised', clean->>'recorded'))"
            " FROM submission_feature f WHERE f.submission_id = :s AND f.clean IS NOT NULL"
            # a feature with an error is never applied (a file all of whose features had
            # one was said to correct a finalised report: a new user's review)
            " AND NOT EXISTS (SELECT 1 FROM finding e WHERE e.submission_id = f.submission_id"
            "  AND e.row_number = f.row_number AND e.severity = 'error')"
        ),
        {"s": sub.id},
    )
    if not earliest:
        return []
    return [y for y in years if y >= int(str(earliest)[:4])]


def _without_day(stamp: str | None) -> str | None:
    """A data stamp without its last part, the day: what a reviewer is told of is records
    approved since, not the dates (a day passing changes only the check of future dates)."""
    return stamp.rsplit(" ", 1)[0] if stamp else None


@dataclass
class ProvinceEffect:
    """What approving a submission would do in one province (m² on the ellipsoid)."""

    code: str | None  # None: outside every province ("Unassigned")
    name: str
    new_m2: float = 0.0  # boundaries of hazards new to the record
    revised_m2: float = 0.0  # revised boundaries of recorded hazards, as submitted
    replaced_m2: float = 0.0  # the boundaries in force that those revisions replace
    released_m2: float = 0.0  # release polygons within the remaining ground of their hazard
    # the ground revised boundaries leave remaining (each less its hazard's releases,
    # docs/design.md §2.2), and the remaining ground in force that it replaces
    revised_remaining_m2: float = 0.0
    replaced_remaining_m2: float = 0.0

    @property
    def change_m2(self) -> float:
        """The signed change to the remaining area (hazards) or the land released. A
        revision changes the remaining area by its boundary less the land already released
        from the hazard, not by its boundary's area: a boundary redrawn around the remaining
        ground alone changes the remaining area by nothing."""
        return self.new_m2 + self.revised_remaining_m2 - self.replaced_remaining_m2


@dataclass
class ApprovalPreview:
    """The effect of approving a submission, per province, from its staged features."""

    kind: str
    provinces: list[ProvinceEffect]
    features: int  # the usable features it counts
    new_hazards: int
    revisions: int
    # revisions dated before a later revision of their hazard: they change its history
    # between the two dates, not today's remaining ground
    back_dated: int = 0
    # the revisions that change their hazard's status, by change ("CHA to SHA"): a
    # status-only revision had been previewed as "1 revision (0 m² …)", nothing said of
    # what it changes (a first-time user's review)
    status_changes: dict[str, int] = field(default_factory=dict)
    # releases: the land in no hazard recorded on its date, recorded as land released
    # outside recorded hazards and counted apart (a file of such land alone had been
    # previewed as "Up to 0 m² released", with nothing of what it records)
    outside_m2: float = 0.0

    @property
    def total(self) -> ProvinceEffect:
        """Every province together."""
        all_of = ProvinceEffect(None, "Total")
        for p in self.provinces:
            all_of.new_m2 += p.new_m2
            all_of.revised_m2 += p.revised_m2
            all_of.replaced_m2 += p.replaced_m2
            all_of.released_m2 += p.released_m2
            all_of.revised_remaining_m2 += p.revised_remaining_m2
            all_of.replaced_remaining_m2 += p.replaced_remaining_m2
        return all_of


# The staged polygon of each usable feature (for a release: within the remaining ground of
# its hazard, which is all a release can count), with the boundary in force it revises.
# A hazards file's usable features: each new boundary, or a revision with the boundary in
# force on its date that it replaces (the latest had been taken, and a revision dated
# before a later boundary, which redrew the years between, showed "0 m² of boundary net").
# A feature with an error is not among them: approving in part leaves it out, and the
# whole file cannot be approved while it has one.
_WITHOUT_ERRORS = (
    "NOT EXISTS (SELECT 1 FROM finding e WHERE e.submission_id = sf.submission_id"
    " AND e.row_number = sf.row_number AND e.severity = 'error')"
)
_PREVIEW_HAZARDS = f"""
WITH f AS (
  SELECT sf.row_number, sf.clean, sf.geom FROM submission_feature sf
  WHERE sf.submission_id = :s AND sf.geom IS NOT NULL AND sf.clean IS NOT NULL
    AND {_WITHOUT_ERRORS}
)
SELECT (f.clean->>'revised') IS NOT NULL AS revision, ST_AsBinary(f.geom) AS wkb,
       ST_AsBinary(cur.geom) AS before_wkb,
       ST_AsBinary(CASE WHEN rel.geom IS NULL THEN f.geom
                        ELSE ST_Difference(f.geom, rel.geom) END) AS remaining_wkb,
       ST_AsBinary(rem.geom) AS before_remaining_wkb,
       EXISTS (SELECT 1 FROM hazard_revision x WHERE x.hazard_id = h.id
               AND x.effective > CAST(f.clean->>'revised' AS date)) AS later,
       cur.status AS before_status, f.clean->>'status' AS status
FROM f
LEFT JOIN hazard h ON h.reference = f.clean->>'hazard_id'
LEFT JOIN LATERAL (
  SELECT r.geom, r.status FROM hazard_revision r WHERE r.hazard_id = h.id
  AND (f.clean->>'revised') IS NOT NULL AND r.effective <= CAST(f.clean->>'revised' AS date)
  ORDER BY r.effective DESC, r.seq DESC LIMIT 1
) cur ON true
LEFT JOIN hazard_remaining rem ON rem.hazard_id = h.id AND (f.clean->>'revised') IS NOT NULL
LEFT JOIN LATERAL (
  SELECT ST_Union(x.geom) AS geom FROM release_in_force x WHERE x.hazard_id = h.id
  AND (f.clean->>'revised') IS NOT NULL
) rel ON true
"""
# A releases file's usable features on each hazard, cut to its remaining ground (none
# without a hazard). A release with no hazard named, matched by geometry (§2.7), is
# recorded as one release on each hazard it lies on (its checks' ``split``): it counts on
# each of those (the preview had counted none of it, and a reviewer approved 95,115 m²
# that recorded 142,672 m²); its part outside every hazard is counted apart, not in the
# figures. A hazard's releases are merged before they are cut, as the ledger releases a
# square metre once: two releases of one hazard that overlapped were counted twice, and
# the preview said 204,901 m² of a hazard of 162,354 m² (found by a walk-through). The
# features counted are those without an error (``_PREVIEW_FEATURES``).
_PREVIEW_RELEASES = f"""
WITH on_hazard AS (
  SELECT h.id AS hazard_id, sf.geom
  FROM submission_feature sf
  CROSS JOIN LATERAL (
    SELECT sf.clean->>'hazard_id' AS reference
    WHERE jsonb_typeof(sf.clean->'split') <> 'array' OR sf.clean->'split' IS NULL
    UNION ALL
    SELECT piece->>0 FROM jsonb_array_elements(
      CASE WHEN jsonb_typeof(sf.clean->'split') = 'array' THEN sf.clean->'split' END) piece
  ) named
  JOIN hazard h ON h.reference = named.reference
  WHERE sf.submission_id = :s AND sf.geom IS NOT NULL AND sf.clean IS NOT NULL
    AND {_WITHOUT_ERRORS}
), merged AS (
  SELECT hazard_id,
         CASE WHEN count(*) = 1 THEN (array_agg(geom))[1] ELSE ST_Union(geom) END AS geom
  FROM on_hazard GROUP BY hazard_id
)
SELECT false AS revision, ST_AsBinary(ST_Intersection(m.geom, rem.geom)) AS wkb,
       NULL::bytea AS before_wkb
FROM merged m JOIN hazard_remaining rem ON rem.hazard_id = m.hazard_id
"""
_PREVIEW_FEATURES = f"""
SELECT count(*), COALESCE(sum((sf.clean->>'outside_m2')::float), 0)
FROM submission_feature sf
WHERE sf.submission_id = :s AND sf.geom IS NOT NULL AND sf.clean IS NOT NULL
  AND {_WITHOUT_ERRORS}
"""


def approval_preview(session: Session, submission_id: int, kind: str) -> ApprovalPreview:
    """The area approving would record (hazards: new boundaries, and revised ones against
    the boundaries they replace) or release (within the ground each hazard has remaining
    today, which is what today's figures lose; a release dated before a later revision
    counts in its own year against the boundary then, which may be more), per province:
    geometry split by the level-1 areas, areas on the WGS84 ellipsoid (ims.domain.geodesy),
    ground outside every province as "Unassigned".

    Split as the ledger splits (``AdminIndex``, prepared once per set of boundaries, a
    feature wholly inside one province without an overlay): a national file's review page
    took 32 s when each of its 142,695 features was cut by every province it touched."""
    releases = kind == UploadKind.RELEASES
    rows = session.execute(
        text(_PREVIEW_RELEASES if releases else _PREVIEW_HAZARDS), {"s": submission_id}
    ).all()
    provinces = session.execute(
        text("SELECT id, code, name FROM admin_area WHERE level = 1 ORDER BY code")
    ).all()
    effects = {p.code: ProvinceEffect(p.code, p.name) for p in provinces}
    code_of = {p.id: p.code for p in provinces}
    unassigned = ProvinceEffect(None, "Unassigned")

    wkbs: list[bytes] = []
    attributes: list[str] = []

    def count(wkb: Any, attribute: str) -> None:
        if wkb is not None:
            wkbs.append(bytes(wkb))
            attributes.append(attribute)

    new = revisions = back_dated = 0
    status_changes: dict[str, int] = {}
    for row in rows:
        if releases:
            count(row.wkb, "released_m2")
        elif row.revision:
            revisions += 1
            if row.status and row.before_status and row.status != row.before_status:
                change = f"{row.before_status} to {row.status}"
                status_changes[change] = status_changes.get(change, 0) + 1
            count(row.wkb, "revised_m2")
            count(row.before_wkb, "replaced_m2")
            if row.later:  # a later revision is in force: today's ground is its
                back_dated += 1
            else:
                count(row.remaining_wkb, "revised_remaining_m2")
                count(row.before_remaining_wkb, "replaced_remaining_m2")
        else:
            new += 1
            count(row.wkb, "new_m2")
    geoms = list(shapely.from_wkb(wkbs)) if wkbs else []
    # a release's part within its hazard's ground, a boundary less its releases: any kind
    geoms = [polygonal(g) for g in geoms]
    splits = admin_indexes(session).level1.split_areas(geoms) if geoms else []
    for attribute, split in zip(attributes, splits, strict=True):  # (empty for an empty one)
        for admin_id, area in split.items():
            effect = effects[code_of[admin_id]] if admin_id is not None else unassigned
            if admin_id is None and area < 1.0:  # under a square metre is rounding
                continue
            setattr(effect, attribute, getattr(effect, attribute) + area)
    shown = [
        e
        for e in [*effects.values(), unassigned]
        if e.new_m2 or e.revised_m2 or e.replaced_m2 or e.released_m2 or e.change_m2
    ]
    features, outside_m2 = len(rows), 0.0
    if releases:
        counted = session.execute(text(_PREVIEW_FEATURES), {"s": submission_id}).one()
        features, outside_m2 = int(counted[0]), float(counted[1])
    return ApprovalPreview(
        kind,
        shown,
        features,
        new,
        revisions,
        back_dated,
        dict(sorted(status_changes.items())),
        outside_m2,
    )


_PREVIEW = "approval preview"


def kept_preview(session: Session, submission_id: int, kind: str) -> ApprovalPreview:
    """``approval_preview``, kept until anything is recorded (revisions and releases are
    measured against the boundaries in force): 3–4 s for the national hazards file and
    6–9 s for its releases (their parts within each hazard's remaining ground), which every
    page of the review's features and findings would otherwise compute again. Kept in the
    server's memory and in the database (``submission_preview``), where a server that has
    just started finds the one its upload computed."""
    stamp = kept.stamp(session)
    found = _found_under(session, submission_id)
    return kept.kept_at(
        stamp,
        _PREVIEW,
        (submission_id, found),
        lambda: _stored_preview(session, submission_id, kind, f"{stamp}|{found}"),
    )


def _found_under(session: Session, submission_id: int) -> str:
    """When the submission's findings were stored: the preview leaves out the features with
    errors, and a refused approval that checked the file again keeps new findings under
    the same data (``ims.ingest.approval.keep_found_again``; migration 0033)."""
    return str(
        session.scalar(
            text("SELECT findings_at FROM submission WHERE id = :s"), {"s": submission_id}
        )
    )


def _stored_preview(session: Session, submission_id: int, kind: str, stamp: str) -> ApprovalPreview:
    """The preview stored under ``stamp`` (the data's, and the findings'), or computed now
    and stored, in a transaction of its own (a page's request changes nothing else)."""
    stored = session.scalar(
        text("SELECT preview FROM submission_preview WHERE submission_id = :s AND stamp = :t"),
        {"s": submission_id, "t": stamp},
    )
    if stored is not None and "status_changes" in stored:  # (one stored before had none)
        return _preview_from_json(stored)
    preview = approval_preview(session, submission_id, kind)
    with Session(session.get_bind()) as own, own.begin():
        _store_preview(own, submission_id, stamp, preview)
    return preview


def _store_preview(
    session: Session, submission_id: int, stamp: str, preview: ApprovalPreview
) -> None:
    session.execute(
        text(
            "INSERT INTO submission_preview (submission_id, stamp, preview) "
            "VALUES (:s, :t, CAST(:p AS jsonb)) ON CONFLICT (submission_id) DO UPDATE "
            "SET stamp = excluded.stamp, preview = excluded.preview, computed_at = now()"
        ),
        {"s": submission_id, "t": stamp, "p": json.dumps(asdict(preview))},
    )


def _preview_from_json(stored: dict[str, Any]) -> ApprovalPreview:
    return ApprovalPreview(
        stored["kind"],
        [ProvinceEffect(**p) for p in stored["provinces"]],
        stored["features"],
        stored["new_hazards"],
        stored["revisions"],
        stored["back_dated"],
        stored["status_changes"],
    )


def preview_ahead(session: Session, submission_id: int, kind: str) -> list[tuple[Hashable, Any]]:
    """The preview computed now, as answers for the server to keep (``kept.keep``), and
    stored with the submission in this (the upload's) transaction: the upload's job
    computes it while the uploader watches its steps, so that the review page it opens
    next is not a blank page for seconds, even if the server has restarted meanwhile."""
    stamp = kept.stamp(session)
    found = _found_under(session, submission_id)
    preview = kept.kept_at(
        stamp,
        _PREVIEW,
        (submission_id, found),
        lambda: approval_preview(session, submission_id, kind),
    )
    _store_preview(session, submission_id, f"{stamp}|{found}", preview)
    return [
        (key, answer)
        for key, answer in kept.ANSWERS.at(stamp)
        if isinstance(key, tuple) and key[2:] == (_PREVIEW, (submission_id, found))
    ]


def withdrawn_releases(session: Session, submission_id: int) -> list[dict[str, Any]]:
    """The releases of an approved submission withdrawn since as recorded in error
    (docs/design.md §2.8), in the order they were withdrawn, as groups withdrawn together
    (at once, by one reviewer, for one reason: a whole file's, or one release): its sender
    is told which, by whom and why, on the submission's page."""
    groups: list[dict[str, Any]] = []
    for row in session.execute(
        text(
            "SELECT x.reference AS release, h.reference AS hazard, NULL AS made_into,"
            " w.withdrawn_at, w.withdrawn_by, w.reason, w.seq FROM release_withdrawal w"
            " JOIN release x ON x.id = w.release_id JOIN hazard h ON h.id = x.hazard_id"
            " WHERE x.submission_id = :s"
            # and its land released outside recorded hazards (of no hazard), with the
            # hazard in force a reviewer made of one, whose own release counts its land
            " UNION ALL SELECT o.reference, NULL,"
            " (SELECT m.reference FROM outside_release_conversion c"
            "  JOIN hazard_in_force m ON m.id = c.hazard_id"
            "  WHERE c.outside_release_id = o.id),"
            " w.withdrawn_at, w.withdrawn_by, w.reason,"
            " w.seq FROM outside_release_withdrawal w"
            " JOIN outside_release o ON o.id = w.outside_release_id"
            " WHERE o.submission_id = :s ORDER BY seq"
        ),
        {"s": submission_id},
    ):
        key = (row.withdrawn_at, row.withdrawn_by, row.reason)
        if not groups or groups[-1]["key"] != key:
            groups.append(
                {
                    "key": key,
                    "withdrawn_at": row.withdrawn_at,
                    "withdrawn_by": row.withdrawn_by,
                    "reason": row.reason,
                    "releases": [],
                }
            )
        groups[-1]["releases"].append(
            {"release": row.release, "hazard": row.hazard, "made_into": row.made_into}
        )
    return groups


RELEASED_NOTHING_LISTED = 50  # releases that released no ground, named one by one


@dataclass(frozen=True)
class ReleasedNothing:
    """The releases of an approved submission that released no ground: all of it had been
    released before (§2.2: a square metre is released once, by the first release to reach
    it), most often because the same clearance was sent twice under two references."""

    count: int
    # the first RELEASED_NOTHING_LISTED: release, hazard, method, released, area_m2;
    # ``first``: the earlier releases of the same hazard that released its ground (that
    # counted some, and reach a square metre of it), the earliest first; ``later``: those
    # of them recorded after it (dated earlier: the copy may be theirs); ``seq`` and
    # ``first_seq``: their record numbers (rows of the hazard's page)
    listed: list[dict[str, Any]]
    # releases of other submissions that release no ground since this one's releases,
    # dated earlier, reached it first (a copy sent with an earlier date): release, hazard,
    # submission_id, released, seq, ``by`` (this submission's releases; their numbers in
    # ``by_seq``)
    taken: list[dict[str, Any]] = field(default_factory=list)


# (from the ledger's entries that release nothing: each release in force of a hazard in
# force has its entry, and there are few such entries where a file has 306,000 releases)
_RELEASED_NOTHING = text(
    "SELECT x.id, x.seq, x.reference AS release, h.reference AS hazard, x.method, x.released,"
    " ST_Area(x.geom::geography) AS area_m2, count(*) OVER () AS total"
    " FROM ledger_entry e JOIN release_in_force x ON x.id = e.release_id"
    " JOIN hazard h ON h.id = x.hazard_id"
    " WHERE e.release_id IS NOT NULL AND e.delta_m2 > -0.05 AND x.submission_id = :s"
    " AND NOT EXISTS (SELECT 1 FROM hazard_withdrawal w WHERE w.hazard_id = x.hazard_id)"
    " ORDER BY x.seq LIMIT :n"
)
# the releases that released the ground of release :x: earlier ones of its hazard that
# counted some ground and share a square metre with it (a sliver is not what released it)
_REACHED_FIRST = text(
    "SELECT y.reference, y.seq FROM release x JOIN release_in_force y"
    " ON y.hazard_id = x.hazard_id AND y.id <> x.id"
    " AND (y.released, y.seq) < (x.released, x.seq)"
    " JOIN ledger_entry e ON e.release_id = y.id AND e.delta_m2 < -0.05"
    " WHERE x.id = :x AND ST_Intersects(y.geom, x.geom)"
    " AND ST_Area(ST_Intersection(y.geom, x.geom)::geography) >= 1"
    " ORDER BY y.released, y.seq LIMIT 3"
)
# releases of other submissions left releasing nothing by this one's, dated before them:
# from the few releases that release nothing (a national file's 306,000 releases joined
# first had taken 3 s after its approval)
_TAKEN = text(
    "WITH nothing AS MATERIALIZED ("
    " SELECT x.id, x.seq, x.reference, x.hazard_id, x.submission_id, x.released, x.geom"
    " FROM ledger_entry ex JOIN release_in_force x ON x.id = ex.release_id"
    " WHERE ex.release_id IS NOT NULL AND ex.delta_m2 > -0.05"
    " AND x.submission_id IS DISTINCT FROM :s)"
    " SELECT x.reference AS release, h.reference AS hazard, x.submission_id, x.released,"
    " x.seq, array_agg(y.reference ORDER BY y.released, y.seq) AS by,"
    " array_agg(y.seq ORDER BY y.released, y.seq) AS by_seq"
    " FROM nothing x"
    " JOIN release_in_force y ON y.hazard_id = x.hazard_id AND y.submission_id = :s"
    "  AND y.seq > x.seq AND y.released < x.released"
    " JOIN ledger_entry ey ON ey.release_id = y.id AND ey.delta_m2 < -0.05"
    " JOIN hazard h ON h.id = x.hazard_id"
    " WHERE ST_Intersects(y.geom, x.geom)"
    " AND ST_Area(ST_Intersection(y.geom, x.geom)::geography) >= 1"
    " GROUP BY x.id, x.reference, h.reference, x.submission_id, x.released, x.seq"
    " ORDER BY x.seq LIMIT :n"
)


def released_nothing(session: Session, submission_id: int) -> ReleasedNothing:
    """The releases in force of a submission that count no area in their hazard's ledger,
    with the earlier releases that had released the ground, and the releases of other
    submissions its own left releasing nothing (none for a submission of hazards, or one
    not approved)."""
    rows = session.execute(
        _RELEASED_NOTHING, {"s": submission_id, "n": RELEASED_NOTHING_LISTED}
    ).all()
    listed = []
    for r in rows:
        first = session.execute(_REACHED_FIRST, {"x": r.id}).all()
        listed.append(
            {
                "release": r.release,
                "hazard": r.hazard,
                "method": str(r.method),
                "released": r.released,
                "area_m2": float(r.area_m2),
                "first": [f.reference for f in first],
                "later": [f.reference for f in first if f.seq > r.seq],
                # record numbers: each is a row of its hazard's records, linked to
                "seq": r.seq,
                "first_seq": {f.reference: f.seq for f in first},
            }
        )
    taken = [
        {**row._mapping, "by": list(row.by), "by_seq": dict(zip(row.by, row.by_seq, strict=True))}
        for row in session.execute(_TAKEN, {"s": submission_id, "n": RELEASED_NOTHING_LISTED})
    ]
    return ReleasedNothing(int(rows[0].total) if rows else 0, listed, taken)


def releases_in_force(session: Session, submission_id: int) -> int:
    """How many releases a submission recorded that are not withdrawn (with its land
    released outside hazards that counts: not withdrawn, nor made into a hazard in force)."""
    return int(
        session.scalar(
            text(
                "SELECT (SELECT count(*) FROM release_in_force WHERE submission_id = :s)"
                " + (SELECT count(*) FROM outside_release_counted o"
                "  WHERE o.submission_id = :s)"
            ),
            {"s": submission_id},
        )
        or 0
    )


def withdrawn_hazards(session: Session, submission_id: int) -> list[dict[str, Any]]:
    """The hazards an approved submission recorded, withdrawn since as recorded in error
    (docs/design.md §2.9): its sender is told which, by whom and why."""
    return [
        dict(row._mapping)
        for row in session.execute(
            text(
                "SELECT h.reference AS hazard, w.withdrawn_at, w.withdrawn_by, w.reason"
                " FROM hazard_withdrawal w JOIN hazard h ON h.id = w.hazard_id"
                " WHERE EXISTS (SELECT 1 FROM hazard_revision r WHERE r.hazard_id = h.id"
                "  AND r.submission_id = :s) ORDER BY w.seq"
            ),
            {"s": submission_id},
        )
    ]
