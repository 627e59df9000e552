"""Submissions as a reviewer reads them: the list, and one page of a review."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.domain.enums import UploadKind
from ims.domain.findings import Finding as FindingData
from ims.domain.findings import Severity
from ims.errors import NotFound
from ims.ingest.fields import HAZARD_FIELDS, RELEASE_FIELDS


def submission_list(
    session: Session,
    limit: int = 200,
    organisation_id: int | None = None,
    *,
    status: str | None = None,
    kind: str | None = None,
) -> list[dict[str, Any]]:
    """The latest submissions with their finding counts: of one organisation, status or
    kind, if given."""
    rows = session.execute(
        text(
            "SELECT s.id, s.kind, s.filename, s.status, s.feature_count, s.uploaded_at,"
            " s.uploaded_by, s.noted, o.name AS organisation,"
            " COUNT(f.id) FILTER (WHERE f.severity = 'error') AS errors,"
            " COUNT(f.id) FILTER (WHERE f.severity = 'warning') AS warnings "
            "FROM submission s LEFT JOIN organisation o ON o.id = s.organisation_id "
            "LEFT JOIN finding f ON f.submission_id = s.id "
            "WHERE (CAST(:org AS integer) IS NULL OR s.organisation_id = :org) "
            "AND (CAST(:status AS text) IS NULL OR s.status = :status) "
            "AND (CAST(:kind AS text) IS NULL OR s.kind = :kind) "
            "GROUP BY s.id, o.name ORDER BY s.id DESC LIMIT :n"
        ),
        {"n": limit, "org": organisation_id, "status": status, "kind": kind},
    ).all()
    return [dict(r._mapping) for r in rows]


REVIEW_PAGE_SIZE = 50  # findings and features listed per page of a review


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
    features: list[dict[str, Any]]  # this page of features: row, reference, finding, record
    columns: list[str]  # the attributes of the features, template fields first
    bounds: list[list[float]] | None  # [[south, west], [north, east]] of the features


def submission_review(
    session: Session,
    submission_id: int,
    *,
    code: str | None = None,
    findings_page: int = 1,
    features_page: int = 1,
) -> SubmissionReview:
    """One page of a submission's review; NotFound for an unknown submission."""
    sub = session.execute(
        text(
            "SELECT s.*, o.name AS organisation,"
            " (SELECT id FROM submission r WHERE r.replaces = s.id) AS replaced_by"
            " FROM submission s "
            "LEFT JOIN organisation o ON o.id = s.organisation_id WHERE s.id = :s"
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
            "SELECT code, severity, message, row_number, reference, field FROM finding "
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
    features = [
        dict(r._mapping)
        for r in session.execute(
            text(
                "SELECT sf.row_number AS row, sf.reference, sf.record, w.finding,"
                " sf.geom IS NULL AS unusable FROM submission_feature sf"
                " LEFT JOIN LATERAL (SELECT CASE WHEN bool_or(f.severity = 'error')"
                "  THEN 'error' ELSE 'warning' END AS finding FROM finding f"
                "  WHERE f.submission_id = sf.submission_id AND f.row_number = sf.row_number"
                "  HAVING COUNT(*) > 0) w ON true"
                " WHERE sf.submission_id = :s ORDER BY sf.row_number LIMIT :n OFFSET :skip"
            ),
            {**params, "skip": (features_page - 1) * REVIEW_PAGE_SIZE},
        )
    ]
    for feature in features:  # the file's own columns beside the template's
        record = dict(feature["record"])
        own = record.pop("_attributes", None) or {}
        feature["record"] = {**record, **own}
    template = HAZARD_FIELDS if sub.kind == UploadKind.HAZARDS else RELEASE_FIELDS
    present = {k for feature in features for k in feature["record"]}
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
    return SubmissionReview(
        dict(sub._mapping), errors, warnings, kinds, findings, total, features, columns, bounds
    )
