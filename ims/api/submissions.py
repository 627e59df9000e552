"""``/api/v1/submissions`` (uploads, review, approval) and ``/api/v1/templates``."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ims.api.auth import PrincipalDep, sees_all_submissions
from ims.api.deps import SessionDep
from ims.config import get_settings
from ims.db.accounts import Principal
from ims.domain.findings import Finding as FindingData
from ims.errors import Forbidden, InvalidUpload, NotFound
from ims.ingest import submissions
from ims.ingest.reader import UploadLimits
from ims.ingest.templates import template_bytes

router = APIRouter(tags=["submissions"])


class FindingPublic(BaseModel):
    """A data-quality finding on a feature of a submission."""

    code: str
    severity: Literal["error", "warning"]
    message: str
    row: int | None = Field(None, description="feature number in the file, from 1")
    reference: str | None = None
    field: str | None = None


class SubmissionPublic(BaseModel):
    """A submission and its findings."""

    id: int
    kind: str
    status: str
    filename: str
    layer: str | None
    crs: str | None
    feature_count: int
    errors: int
    warnings: int
    uploaded_at: dt.datetime
    decided_at: dt.datetime | None
    reason: str | None
    findings: list[FindingPublic]


class RejectBody(BaseModel):
    """Why a submission is rejected (sent to the operator)."""

    reason: str = Field(min_length=1, max_length=2000)


def _public(session: SessionDep, submission_id: int,
            principal: Principal | None) -> SubmissionPublic:  # fmt: skip
    sub = submissions.get_submission(session, submission_id)
    if not sees_all_submissions(principal) and (
        principal is None or sub.organisation_id != principal.organisation_id
    ):
        # Operators see their own organisation's submissions only; others do not exist.
        raise NotFound(f"submission {submission_id} does not exist")
    found: list[FindingData] = submissions.findings_of(session, submission_id)
    errors = sum(1 for f in found if f.blocking)
    return SubmissionPublic(
        id=sub.id, kind=sub.kind, status=sub.status, filename=sub.filename, layer=sub.layer,
        crs=sub.crs, feature_count=sub.feature_count, errors=errors,
        warnings=len(found) - errors, uploaded_at=sub.uploaded_at, decided_at=sub.decided_at,
        reason=sub.reason,
        findings=[FindingPublic(**f.as_dict()) for f in found],
    )  # fmt: skip


SubmissionId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]


@router.post("/submissions", status_code=201, response_model=SubmissionPublic)
def create_submission(
    session: SessionDep,
    principal: PrincipalDep,
    file: Annotated[UploadFile, File(description="zipped shapefile, GeoPackage, GeoJSON, KML")],
    kind: Annotated[Literal["hazards", "releases"], Form()],
    organisation: Annotated[str | None, Form(max_length=200)] = None,
    field_map: Annotated[
        str | None, Form(max_length=2000, description="template_field=your_field,…")
    ] = None,
    crs: Annotated[str | None, Form(max_length=200)] = None,
    layer: Annotated[str | None, Form(max_length=200)] = None,
) -> SubmissionPublic:
    """Upload a file; it is validated and staged for review (nothing is applied yet).

    Operators upload for their own organisation (leave ``organisation`` empty or give
    it); reviewers and admins name the organisation the data comes from.
    """
    if principal is not None and not sees_all_submissions(principal):
        own = principal.organisation
        if organisation and organisation.strip() and organisation.strip() != own:
            raise Forbidden(f"{principal.username} uploads for {own}, not {organisation.strip()!r}")
        organisation = own
    limit = get_settings().upload_max_bytes
    name = Path(file.filename or "upload").name
    with tempfile.TemporaryDirectory(prefix="ims-post-") as tmp:
        target = Path(tmp) / name
        with target.open("wb") as out:
            copied = 0
            while chunk := file.file.read(1 << 20):
                copied += len(chunk)
                if copied > limit:
                    raise InvalidUpload(
                        f"{name} is larger than the upload limit of {limit / 1e6:,.0f} MB"
                    )
                out.write(chunk)
        outcome = submissions.stage(
            session, target, kind=kind, organisation=organisation,
            field_map=submissions.parse_field_map(field_map), crs=crs, layer=layer,
            limits=UploadLimits.from_settings(), filename=name,
            uploaded_by=principal.actor if principal else None,
        )  # fmt: skip
        session.commit()
    return _public(session, outcome.submission.id, principal)


@router.get("/submissions/{submission_id}", response_model=SubmissionPublic)
def read_submission(
    session: SessionDep, principal: PrincipalDep, submission_id: SubmissionId
) -> SubmissionPublic:
    """A submission with its findings (errors first)."""
    return _public(session, submission_id, principal)


@router.post("/submissions/{submission_id}/approve", response_model=SubmissionPublic)
def approve_submission(
    session: SessionDep, principal: PrincipalDep, submission_id: SubmissionId
) -> SubmissionPublic:
    """Apply a submission that has no error (409 with the findings if it has)."""
    try:
        submissions.approve(session, submission_id, by=principal.actor if principal else None)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return _public(session, submission_id, principal)


@router.post("/submissions/{submission_id}/reject", response_model=SubmissionPublic)
def reject_submission(
    session: SessionDep, principal: PrincipalDep, submission_id: SubmissionId, body: RejectBody
) -> SubmissionPublic:
    """Reject a submission with a reason; nothing of it is applied."""
    submissions.reject(session, submission_id, reason=body.reason,
                       by=principal.actor if principal else None)  # fmt: skip
    session.commit()
    return _public(session, submission_id, principal)


@router.get("/templates/{kind}.{fmt}", response_class=Response)
def get_template(kind: Literal["hazards", "releases"], fmt: Literal["zip", "gpkg"]) -> Response:
    """The empty exchange template, as a zipped shapefile or a GeoPackage."""
    data, filename = template_bytes(kind, fmt)
    media = "application/zip" if fmt == "zip" else "application/geopackage+sqlite3"
    return Response(
        data,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
