"""Record and correct one hazard or release without building a file (issue 16, item 5).

``POST /api/v1/hazards``, ``POST /api/v1/hazards/{hazard_id}/revisions`` and
``POST /api/v1/releases`` take a GeoJSON Feature whose properties are the exchange
template's fields; each becomes a one-feature submission, validated, reviewed, approved and
audited as an uploaded file is (``submissions.stage_features``). The answer is the
submission with its findings: nothing is recorded before a reviewer approves it.
``POST /api/v1/hazards/{hazard_id}/releases/preview`` says what a release would count.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

import shapely
from fastapi import APIRouter
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.orm import Session

from ims.api.auth import PrincipalDep
from ims.api.deps import SessionDep
from ims.api.submissions import SubmissionPublic, submission_public
from ims.db.accounts import Principal
from ims.domain import access
from ims.domain.enums import ReleaseMethod, UploadKind
from ims.domain.geodesy import geodesic_area
from ims.domain.geometry import invalid_in_words
from ims.errors import Conflict, Forbidden, ImsError, InvalidRequest
from ims.ingest import approval, drawn, submissions
from ims.ingest.fields import parse_date
from ims.queries.hazards import stored_boundary
from ims.queries.records import release_preview

router = APIRouter(tags=["records"])

# Text of a form field: no NUL (PostgreSQL text cannot hold one), bounded.
Text = Annotated[str, StringConstraints(max_length=200, pattern=r"^[^\x00]*$")]
LongText = Annotated[str, StringConstraints(max_length=2000, pattern=r"^[^\x00]*$")]
Year = int | Text


class PolygonGeometry(BaseModel):
    """A GeoJSON Polygon or MultiPolygon in EPSG:4326 (longitude, latitude)."""

    type: Literal["Polygon", "MultiPolygon"]
    coordinates: list[Any]


class HazardProperties(BaseModel):
    """A hazard's fields as in the exchange template (docs/design.md §6); values are
    checked as a file's would be, each problem a finding on its field."""

    model_config = ConfigDict(extra="forbid")

    hazard_id: Text = Field(min_length=1, max_length=100)
    status: Text | None = Field(None, description="SHA or CHA")
    contam: Text | None = Field(None, description="CMR (default), APM, ATM, ERW")
    recorded: Text | None = Field(None, description="date recorded, YYYY-MM-DD")
    used_from: Year | None = Field(None, description="first year of use")
    used_to: Year | None = Field(None, description="last year of use")
    munitions: LongText | None = Field(None, description="estimate, TYPE:QTY;TYPE:QTY")
    marked: Text | None = Field(None, description="date marked or fenced, YYYY-MM-DD")
    operator: Text | None = Field(None, description="the recording organisation")


class HazardFeature(BaseModel):
    """A new hazard: its polygon and its fields."""

    type: Literal["Feature"]
    geometry: PolygonGeometry
    properties: HazardProperties


class RevisionProperties(BaseModel):
    """A revision of a recorded hazard: the date it takes effect, why, and what changes."""

    model_config = ConfigDict(extra="forbid")

    revised: Text = Field(description="the date the revision takes effect, YYYY-MM-DD")
    reason: LongText | None = Field(None, description="why (kept with the record)")
    status: Text | None = Field(None, description="SHA or CHA")
    contam: Text | None = None
    used_from: Year | None = Field(None, description='left out: kept; "(none)": emptied')
    used_to: Year | None = Field(None, description='left out: kept; "(none)": emptied')
    munitions: LongText | None = Field(
        None, description='TYPE:QTY;…; left out: kept; "(none)": no estimates'
    )
    marked: Text | None = Field(
        None, description='date marked or fenced; left out: kept; "(none)": not marked'
    )
    operator: Text | None = None


class RevisionFeature(BaseModel):
    """A revision; without a geometry the boundary in force is kept (a status change)."""

    type: Literal["Feature"]
    geometry: PolygonGeometry | None = None
    properties: RevisionProperties


class ReleaseProperties(BaseModel):
    """A release's fields as in the exchange template."""

    model_config = ConfigDict(extra="forbid")

    release_id: Text = Field(min_length=1, max_length=100)
    hazard_id: Text | None = Field(None, max_length=100)
    method: Text | None = Field(None, description="cancelled, reduced or cleared")
    released: Text | None = Field(None, description="completion date, YYYY-MM-DD")
    operator: Text | None = None
    items: LongText | None = Field(None, description="found and destroyed, TYPE:QTY;…")
    area_m2: float | None = Field(None, ge=0, le=1e12, description="stated area, compared")
    contam: Text | None = None


class ReleaseFeature(BaseModel):
    """A release: the polygon of land released and its fields."""

    type: Literal["Feature"]
    geometry: PolygonGeometry
    properties: ReleaseProperties


class PreviewBody(BaseModel):
    """A release to preview against one hazard."""

    geometry: PolygonGeometry
    released: dt.date = Field(description="completion date")
    method: ReleaseMethod = ReleaseMethod.CLEARED


class ReleasePreviewPublic(BaseModel):
    """The area a release would count for the hazard, in m² (geodesic)."""

    hazard_id: str
    released: dt.date
    polygon_m2: float = Field(description="the polygon sent, all of it")
    counted_m2: float = Field(description="inside the hazard's remaining ground: recorded")
    outside_m2: float = Field(description="outside the hazard's boundary then, never counted")
    remaining_before_m2: float
    remaining_after_m2: float


HazardRef = Annotated[str, PathParam(min_length=1, max_length=100, pattern=r"^[^\x00]*$")]


def _operator_of(principal: Principal | None, given: str | None) -> str | None:
    """The organisation the record comes from: an operator's own, whatever they name."""
    given = (given or "").strip() or None
    if principal is None or access.sees_all_submissions(principal):
        return given
    own = principal.organisation
    if given is not None and given.lower() != (own or "").lower():
        raise Forbidden(f"{principal.username} records for {own}, not {given!r}")
    return own


def _file_name(what: str, reference: str) -> str:
    safe = re.sub(r"[^\w.-]+", "_", reference)[:60].strip("._") or "record"
    return f"{what}-{safe}.gpkg"


def stage_record(
    session: Session,
    principal: Principal | None,
    *,
    kind: UploadKind,
    what: str,
    geometry: dict[str, Any] | None,
    properties: dict[str, Any],
    in_force: bool = False,
    check_only: bool = False,
    replaces: int | None = None,
) -> submissions.StageOutcome:
    """Stage one feature as a submission (not committed: the caller does). The record
    forms of the pages stage through here too. ``in_force``: the geometry is the hazard's
    boundary in force, kept, not one given by hand (so not held to its corner limit: a
    hazard recorded from a file with more could not be revised otherwise). No geometry:
    a feature without one, whose other fields a form checks while its polygon is missing
    or cannot be read (never approvable: the missing geometry is an error).
    ``check_only``: validated, nothing stored (``submissions.stage``). ``replaces``: the
    submission it corrects, as an upload's (``submissions.stage``)."""
    reference = str(properties.get("hazard_id" if kind is UploadKind.HAZARDS else "release_id"))
    approval.check_replaceable(session, principal, replaces)
    operator = _operator_of(principal, properties.get("operator"))
    if operator is not None:
        properties = {**properties, "operator": operator}
    clean = {k: v for k, v in properties.items() if v is not None and v != ""}
    polygon = (
        None if geometry is None else drawn.geometry_from_geojson(geometry, by_hand=not in_force)
    )
    outcome = submissions.stage_features(
        session,
        [{"geometry": None if polygon is None else drawn.as_geojson(polygon), "properties": clean}],
        kind=kind.value,
        filename=_file_name(what, reference),
        organisation=operator,
        uploaded_by=principal.actor if principal else None,
        expected=("reason",),  # a revision's, documented: no note that it is kept
        # an operator's record is compared with its own organisation's pending files only,
        # as its uploads are: a polygon drawn round a province had listed another
        # organisation's hazards awaiting review, their submission and where they lie (an
        # attack on our own instance)
        own_records=principal is not None and not access.sees_all_submissions(principal),
        check_only=check_only,
        replaces=replaces,
    )
    return outcome


def boundary_in_force(session: Session, reference: str, revised: Any = None) -> dict[str, Any]:
    """The boundary of a recorded hazard in force on the date a revision takes effect
    (``revised``, as sent; today's when it cannot be read), every coordinate as stored
    (NotFound for an unknown one): what a revision without a geometry keeps.

    As stored: a status-only revision sent it back rounded to 7 decimals, and the hazard's
    boundary moved by a fraction of a square metre. On its date: a status-only revision
    dated before a later boundary had taken today's boundary back to its date, and the
    hazard lost 39,253 m² of remaining ground in the years between (a walk-through as an
    IM officer correcting data)."""
    try:
        on = parse_date(revised, where="revised")
    except ImsError:
        on = None  # the revision is refused for its date; the boundary does not matter
    boundary = stored_boundary(session, reference, on)
    if boundary is None:  # recorded hazards always have one
        raise Conflict(f"hazard {reference!r} has no boundary in force")
    return boundary


@router.post("/hazards", status_code=201, response_model=SubmissionPublic)
def record_hazard(
    session: SessionDep, principal: PrincipalDep, feature: HazardFeature
) -> SubmissionPublic:
    """Record a new hazard from one GeoJSON Feature: it is staged as a one-feature
    submission with its findings, for a reviewer to approve as any upload."""
    outcome = stage_record(
        session,
        principal,
        kind=UploadKind.HAZARDS,
        what="hazard",
        geometry=feature.geometry.model_dump(),
        properties=feature.properties.model_dump(),
    )
    session.commit()
    return submission_public(session, outcome.submission.id, principal)


@router.post(
    "/hazards/{hazard_id:path}/revisions", status_code=201, response_model=SubmissionPublic
)
def revise_hazard(
    session: SessionDep, principal: PrincipalDep, hazard_id: HazardRef, feature: RevisionFeature
) -> SubmissionPublic:
    """Revise a recorded hazard from the date in ``revised``: a new boundary, a status
    (SHA→CHA) or other fields, and the reason (kept as an attribute). Without a geometry
    the boundary in force is kept. Staged for review as any upload (404: unknown hazard)."""
    geometry = (
        feature.geometry.model_dump()
        if feature.geometry is not None
        else boundary_in_force(session, hazard_id, feature.properties.revised)
    )
    outcome = stage_record(
        session,
        principal,
        kind=UploadKind.HAZARDS,
        what="revision",
        geometry=geometry,
        properties={"hazard_id": hazard_id, **feature.properties.model_dump()},
        in_force=feature.geometry is None,
    )
    session.commit()
    return submission_public(session, outcome.submission.id, principal)


@router.post("/releases", status_code=201, response_model=SubmissionPublic)
def record_release(
    session: SessionDep, principal: PrincipalDep, feature: ReleaseFeature
) -> SubmissionPublic:
    """Record a release from one GeoJSON Feature, staged for review as any upload."""
    outcome = stage_record(
        session,
        principal,
        kind=UploadKind.RELEASES,
        what="release",
        geometry=feature.geometry.model_dump(),
        properties=feature.properties.model_dump(),
    )
    session.commit()
    return submission_public(session, outcome.submission.id, principal)


class PastedPolygon(BaseModel):
    """Coordinates as pasted into a record form."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(max_length=20_000, pattern=r"^[^\x00]*$")] = Field(
        description="WKT, GeoJSON, or longitude latitude pairs (WGS84 degrees)"
    )


class PolygonRead(BaseModel):
    """A polygon read from pasted coordinates."""

    geometry: dict[str, Any] = Field(description="the polygon, GeoJSON in EPSG:4326")
    area_m2: float = Field(description="its area on the WGS84 ellipsoid")


@router.post("/polygons/read", response_model=PolygonRead)
def read_polygon(body: PastedPolygon) -> PolygonRead:
    """Read a polygon as the record forms read pasted coordinates, with the same errors
    (422, naming the field ``coordinates``): the forms draw it on their map as it is
    pasted, where it had been seen only once the form was sent (a walk-through)."""
    polygon = drawn.geometry_from_text(body.text)
    if not polygon.is_valid:  # a crossed outline had been shown as "a polygon of 0 m²"
        where = invalid_in_words(shapely.is_valid_reason(polygon))
        raise InvalidRequest(
            f"{where}: sent so, it would be refused; correct the coordinates so that the "
            "outline goes round the area once",
            field="coordinates",
        )
    return PolygonRead(geometry=drawn.as_geojson(polygon), area_m2=geodesic_area(polygon))


@router.post("/hazards/{hazard_id:path}/releases/preview", response_model=ReleasePreviewPublic)
def preview_release(
    session: SessionDep, hazard_id: HazardRef, body: PreviewBody
) -> ReleasePreviewPublic:
    """What a release would count for the hazard before it is sent: the geodesic area of
    its part inside the hazard's remaining ground on its date (the ledger's rule)."""
    polygon = drawn.geometry_from_geojson(body.geometry.model_dump())
    preview = release_preview(
        session, hazard_id, polygon, released=body.released, method=body.method
    )
    return ReleasePreviewPublic(**vars(preview))
