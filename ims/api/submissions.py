"""``/api/v1/submissions`` (uploads, review, approval) and ``/api/v1/templates``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ims.api.auth import PrincipalDep
from ims.api.deps import JobsDep, SessionDep
from ims.api.held import HELD_PATTERN, HeldDep
from ims.api.progress import TOKEN_PATTERN, TrackerDep
from ims.cells import workbook_bytes
from ims.config import get_settings
from ims.db import reference, withdrawals
from ims.db.accounts import Principal
from ims.db.models import Organisation
from ims.domain import access
from ims.domain.enums import SubmissionStatus, UploadKind
from ims.domain.findings import Finding as FindingData
from ims.errors import Forbidden, InvalidRequest, NotFound, UploadTooLarge
from ims.files import temp_folder
from ims.ingest import approval, field_maps, review, submissions
from ims.ingest.archive import upload_name
from ims.ingest.blank_template import template_bytes
from ims.ingest.forms import FORMS, xlsform
from ims.ingest.inspect import Inspection
from ims.ingest.limits import UploadLimits
from ims.ingest.submissions import awaiting_twin, file_sha256
from ims.jobs import approve_submission as approve_submission_job
from ims.jobs import inspect_upload as inspect_upload_job
from ims.jobs import stage_upload
from ims.queries import findings
from ims.queries.submissions import released_nothing
from ims.reports import kept

router = APIRouter(tags=["submissions"])
FOLLOW = (
    "a random token of yours (16-64 letters, digits, - or _): GET /api/v1/progress/{token} "
    "tells the job's steps while it runs"
)
MAPPING_MAX_CHARS = 100_000  # a mapping document (value maps of a national database's codes)


class FindingPublic(BaseModel):
    """A data-quality finding on a feature of a submission."""

    code: str
    severity: Literal["error", "warning"]
    message: str
    row: int | None = Field(None, description="feature number in the file, from 1")
    reference: str | None = None
    field: str | None = None


class NothingReleased(BaseModel):
    """A release that released no ground, and the earlier ones that had released it."""

    release: str
    hazard: str
    method: str
    released: dt.date
    area_m2: float = Field(description="its polygon's area, which it does not count")
    first: list[str] = Field(
        description="the releases of the hazard that released its ground, earliest first"
    )
    later: list[str] = Field(
        description="those of them recorded after it, dated earlier: the copy may be theirs"
    )


class TakenRelease(BaseModel):
    """A release of another file that releases no ground since this file's, dated earlier,
    reached it first."""

    release: str
    hazard: str
    submission_id: int | None
    released: dt.date
    by: list[str] = Field(description="this file's releases that reach its ground first")


class ReleasedNothingPublic(BaseModel):
    """How many of an approved file's releases released no ground, the first named; and
    the releases of other files its own left releasing nothing."""

    count: int
    listed: list[NothingReleased]
    taken: list[TakenRelease]


FINDINGS_LISTED = 10_000  # findings in a submission's answer: the files hold every one


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
    decided_by: str | None = Field(
        None,
        description="who withdrew it (its sender), or, to reviewers, who approved or rejected it",
    )
    reason: str | None
    noted: bool = Field(
        False, description="a reviewer chose that reports note it while it awaits review"
    )
    repair: bool = Field(False, description="invalid polygons are repaired, each a finding")
    split: bool = Field(False, description="releases naming a hazard are split among hazards")
    partial: bool = Field(
        False, description="approved in part: the features with errors were left out"
    )
    mapping: dict[str, Any] | None = Field(
        None,
        description="the field mapping the file was read with (given or remembered): "
        "a mapping document, {fields, constants, values, dates}",
    )
    replaces: int | None = Field(
        None,
        description="the earlier submission this one replaces (superseded), or corrects (rejected)",
    )
    replaced_by: int | None = Field(
        None,
        description="the later submission that replaced this one (it is superseded) or "
        "corrected it (it stays rejected)",
    )
    released_nothing: ReleasedNothingPublic | None = Field(
        None,
        description="an approved file's releases that released no ground, all of it "
        "released before (the same clearance sent twice?): none for other submissions",
    )
    findings: list[FindingPublic] = Field(
        description=f"its findings, errors first, the first {FINDINGS_LISTED:,} (every one "
        "is in findings.gpkg or findings.csv)"
    )
    findings_total: int = Field(0, description="how many findings it has in all")


class ColumnPublic(BaseModel):
    """A column of an uploaded file."""

    name: str
    samples: list[Any] = Field(description="its first few non-blank values")
    values: list[str] | None = Field(
        None, description="its distinct values, when there are few (for a value map)"
    )
    reads: dict[str, dict[str, str | None]] = Field(
        default_factory=dict,
        description="for each code field, how each of its distinct values reads as that "
        "field's code (null: not one; a value map must give it)",
    )
    types: dict[str, str | None] | None = Field(
        None,
        description="a column of munitions (TYPE:QTY;…): each type it names and the "
        "reference list's code it reads as (null: none; a value map must give it)",
    )
    date_order: str | None = Field(
        None,
        description='"day-first" or "month-first" where its cells written NN/NN/YYYY show '
        "which (a number over 12), for the mapping's dates",
    )


class TemplateFieldPublic(BaseModel):
    """A field of the exchange template."""

    name: str
    type: str
    required: str = Field(description='"always", "new hazard" or "no"')
    description: str
    allowed: list[str] = Field(description="a code field's values")


class RememberedPublic(BaseModel):
    """The mapping remembered for an organisation's files of one kind."""

    organisation: str
    kind: str
    mapping: dict[str, Any]
    updated_at: dt.datetime
    fits: bool = Field(description="whether the file has every field it reads")
    lines: list[str] = Field(
        default_factory=list, description="the mapping in words, a line a part (for pages)"
    )
    id: int | None = Field(
        None, description="its number, to forget it alone (one is kept for each set of columns)"
    )


class AwaitingPublic(BaseModel):
    """A submission of the very same file, for the same organisation, awaiting review, or
    else approved."""

    id: int
    uploaded_at: dt.datetime
    uploaded_by: str | None
    approved: bool = Field(
        False, description="approved already (none of the very file awaits review)"
    )


class OtherKindPublic(BaseModel):
    """The kind a file looks like, other than the one chosen."""

    kind: UploadKind
    fields: list[str] = Field(description="that kind's own fields, which the file has")


class InspectionPublic(BaseModel):
    """What an uploaded file holds, and the field mapping ims suggests for it."""

    filename: str
    layer: str
    feature_count: int
    crs: str | None = Field(description="the file's declared CRS; null when it declares none")
    columns: list[ColumnPublic]
    fields: list[TemplateFieldPublic]
    suggested: dict[str, Any] = Field(description="a mapping document")
    suggested_from: dict[str, str] = Field(
        description='template field -> "remembered", "name", "register" (the name ims\'s '
        'register files give it), "label" (the label of its question on ims\'s form) or '
        '"synonym"; "dates" -> "remembered", or "cells" where the '
        "file's dates show their order (31/03/2024)"
    )
    munitions: list[str] = Field(
        default_factory=list,
        description="the reference list's munition codes, for a column of munitions' types",
    )
    computed: list[str] = Field(
        default_factory=list,
        description="the file's columns that are figures ims computes itself (a register "
        "file's): left unmatched, they are not kept with the records",
    )
    awaiting: AwaitingPublic | None = Field(
        default=None,
        description="a submission of this very file (bytes and kind), for the same "
        "organisation, that still awaits review (sent again, it would be a copy of it), or "
        "else the latest approved (`approved`: sent again, it would record nothing)",
    )
    other_kind: OtherKindPublic | None = Field(
        default=None,
        description="when the file looks like a file of the other kind: that kind, and its "
        "own fields the file has (uploaded as chosen, it is a warning `other_kind`)",
    )
    remembered: RememberedPublic | None
    notes: list[str]
    remembered_crs: str | None = Field(
        None,
        description="the file declaring no CRS, the one remembered with the organisation's "
        "mapping for its files that declare none, where the coordinates fit it (degrees or "
        "metres); an upload without `crs` reads a map layer in it",
    )
    remembered_crs_alone: RememberedPublic | None = Field(
        None,
        description="`remembered_crs` where it is kept alone, for the organisation's files in "
        "the template's own names (a mapping of no columns): its `id` forgets it",
    )
    remembered_crs_offered: RememberedPublic | None = Field(
        None,
        description="`remembered_crs` where no mapping the file fits gives it: kept alone, "
        "or else the latest mapping's; DELETE /api/v1/submissions/mappings/{kind}?crs=true "
        "forgets it for such files (its `id` names that mapping, forgotten whole)",
    )
    projected: bool = Field(
        default=False,
        description="the file declares no CRS and its coordinates are too large for "
        "degrees: they are in a projected CRS, which must be given",
    )
    held: str | None = Field(
        default=None,
        description="with `hold`: the token naming the file to POST /api/v1/submissions "
        "(`held`) instead of sending it again",
    )


class ClearedPublic(BaseModel):
    """The remembered mappings forgotten."""

    cleared: list[RememberedPublic]


class NoteBody(BaseModel):
    """Whether reports note a submission while it awaits review."""

    noted: bool


class ApproveBody(BaseModel):
    """How much of a submission to approve, as a JSON body (the query's ``partial`` too)."""

    model_config = ConfigDict(extra="forbid")

    partial: bool = Field(
        False, description="apply the features without errors; leave the rest with findings"
    )


class RejectBody(BaseModel):
    """Why a submission is rejected (sent to the operator)."""

    reason: str = Field(min_length=1, max_length=2000)


def _public(
    session: SessionDep, submission_id: int, principal: Principal | None
) -> SubmissionPublic:
    sub = submissions.get_submission(session, submission_id)
    if not access.may_see_submission(principal, sub.organisation_id):
        # Operators see their own organisation's submissions only; others do not exist.
        raise NotFound(f"submission {submission_id} does not exist")
    # bounded: a file of 100,000 rows of four errors each had made an answer of 88 MB
    found: list[FindingData] = submissions.findings_of(
        session, submission_id, limit=FINDINGS_LISTED
    )
    errors, total = submissions.findings_counted(session, submission_id)
    return SubmissionPublic(
        id=sub.id,
        kind=sub.kind,
        status=sub.status,
        filename=sub.filename,
        layer=sub.layer,
        crs=sub.crs,
        feature_count=sub.feature_count,
        errors=errors,
        warnings=total - errors,
        uploaded_at=sub.uploaded_at,
        decided_at=sub.decided_at,
        # reviewers' names are for reviewers (an operator's pages name none): an operator
        # is told only who withdrew their organisation's file
        decided_by=(
            sub.decided_by
            if sub.status == SubmissionStatus.WITHDRAWN or access.sees_all_submissions(principal)
            else None
        ),
        reason=sub.reason,
        noted=sub.noted,
        repair=sub.repair,
        split=sub.split,
        partial=sub.partial,
        mapping=field_maps.from_stored(sub.field_map).as_json() if sub.field_map else None,
        replaces=sub.replaces,
        replaced_by=submissions.replaced_by(session, sub.id),
        released_nothing=_released_nothing(session, sub),
        findings=[FindingPublic(**f.as_dict()) for f in found],
        findings_total=total,
    )


def _released_nothing(session: SessionDep, sub: Any) -> ReleasedNothingPublic | None:
    if sub.status != SubmissionStatus.APPROVED or sub.kind != "releases":
        return None
    found = released_nothing(session, sub.id)
    return ReleasedNothingPublic(
        count=found.count,
        listed=[NothingReleased(**r) for r in found.listed],
        taken=[TakenRelease(**t) for t in found.taken],
    )


submission_public = _public  # the record routes (ims.api.records) answer the same


SubmissionId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]


def _saved(file: UploadFile, folder: Path, limit: int) -> Path:
    """The uploaded file copied into ``folder``, refused past ``limit`` bytes."""
    target = folder / upload_name(file.filename)
    with target.open("wb") as out:
        copied = 0
        while chunk := file.file.read(1 << 20):
            copied += len(chunk)
            if copied > limit:
                raise UploadTooLarge(
                    f"{target.name} is larger than the upload limit of {limit / 1e6:,.0f} MB"
                )
            out.write(chunk)
    return target


@router.post("/submissions", status_code=201, response_model=SubmissionPublic)
async def create_submission(
    session: SessionDep,
    principal: PrincipalDep,
    jobs: JobsDep,
    tracker: TrackerDep,
    holder: HeldDep,
    kind: Annotated[UploadKind, Form()],
    file: Annotated[
        UploadFile | None,
        File(description="zipped shapefile, GeoPackage, GeoJSON, KML (or `held`)"),
    ] = None,
    held: Annotated[
        str | None,
        Form(
            pattern=HELD_PATTERN,
            description="instead of `file`: the token its inspection answered, for the file "
            "the inspection read (held for an hour; 410 when it is no longer)",
        ),
    ] = None,
    organisation: Annotated[str | None, Form(max_length=200)] = None,
    field_map: Annotated[
        str | None, Form(max_length=2000, description="template_field=your_field,…")
    ] = None,
    crs: Annotated[str | None, Form(max_length=200)] = None,
    layer: Annotated[str | None, Form(max_length=200)] = None,
    mapping: Annotated[
        str | None,
        Form(
            max_length=MAPPING_MAX_CHARS,
            description='a mapping document, JSON: {"fields": {"hazard_id": "{fileId}-{row}",'
            ' "status": "typeArea"}, "constants": {"recorded": "2020-01-01"}, "values":'
            ' {"status": {"Suspected Minefield": "SHA"}}, "dates": "day-first"} (dates:'
            " how the file writes dates that do not put the year first; field_map adds to its"
            " fields)",
        ),
    ] = None,
    repair: Annotated[
        bool,
        Form(description="make invalid polygons valid, each repair a finding, not refuse them"),
    ] = False,
    split: Annotated[
        bool,
        Form(
            description="releases: split one naming a hazard but lying on others too among "
            "them (without hazard_id a release is always matched by its polygon)"
        ),
    ] = False,
    replaces: Annotated[
        int | None,
        Form(
            ge=1,
            le=2**31 - 1,
            description="the id of an earlier submission of the organisation, of the same "
            "kind and still awaiting review, that this file replaces: it becomes superseded",
        ),
    ] = None,
    progress: Annotated[str | None, Form(pattern=TOKEN_PATTERN, description=FOLLOW)] = None,
) -> SubmissionPublic:
    """Upload a file; it is validated and staged for review (nothing is applied yet).

    Operators upload for their own organisation (leave ``organisation`` empty or give
    it); reviewers and admins name the organisation the data comes from. A field mapping
    (``mapping`` and/or ``field_map``) is remembered for the organisation's next files;
    without one, the remembered mapping is used if the file fits it. 503 with
    Retry-After when as many uploads as ims takes at once are being checked already.
    """
    organisation = _organisation_for(principal, organisation)
    renames = field_maps.parse_field_map(field_map)
    document = field_maps.load_mapping(mapping, where="mapping") if mapping else None
    if (file is None) == (held is None):
        raise InvalidRequest(
            "send the file, or the token `held` its inspection answered (one of them)",
            field="file",
        )
    owner = principal.user_id if principal else None
    # not the authority's submission in an operator's organisation's name (helper-112)
    await run_in_threadpool(approval.check_replaceable, session, principal, replaces)
    limits = UploadLimits.from_settings()
    folder = await run_in_threadpool(temp_folder, "post")
    try:
        with ExitStack() as stack:
            if file is not None:
                target = await run_in_threadpool(_saved, file, folder, limits.max_bytes)
            elif held is not None:  # read by the inspection: not sent again (decision 0016)
                target = stack.enter_context(holder.sending(held, owner))
            with tracker.following(progress, owner) as say:
                submission_id, ahead = await jobs.run(
                    "uploads",
                    stage_upload,
                    session,
                    say,
                    owner=owner,
                    path=str(target),
                    kind=kind.value,
                    organisation=organisation,
                    field_map=renames,
                    mapping=document.as_json() if document else None,
                    crs=crs,
                    layer=layer,
                    limits=limits,
                    filename=target.name,
                    uploaded_by=principal.actor if principal else None,
                    repair=repair,
                    split=split,
                    replaces=replaces,
                    # an operator uploads its own records (as a record form takes them)
                    own_records=principal is not None
                    and not access.sees_all_submissions(principal),
                )
                tracker.conclude(progress, f"/submissions/{submission_id}")
    finally:
        await run_in_threadpool(shutil.rmtree, folder, True)
    kept.keep(ahead)  # what approving would record, for its review page
    return await run_in_threadpool(_public, session, submission_id, principal)


def _organisation_for(principal: Principal | None, organisation: str | None) -> str | None:
    """The organisation an upload is for: an operator's own, named in any capitals (a
    script's "mag" had been refused for an operator of MAG, helper-120)."""
    if principal is not None and not access.sees_all_submissions(principal):
        own = principal.organisation
        named = (organisation or "").strip()
        if named and named.casefold() != (own or "").casefold():
            raise Forbidden(f"{principal.username} uploads for {own}, not {named!r}")
        return own
    return organisation


def _reads(column: Any, fields: Any) -> dict[str, dict[str, str | None]]:
    """How each of a column's few distinct values reads as each code field's code."""
    out: dict[str, dict[str, str | None]] = {}
    for f in fields:
        if f.codes is None or not column.values:
            continue
        reads: dict[str, str | None] = {}
        for value in column.values:
            try:
                reads[value] = f.parse_code(value).value
            except ValueError:
                reads[value] = None
        out[f.name] = reads
    return out


def _remembered_public(remembered: field_maps.Remembered, *, fits: bool) -> RememberedPublic:
    return RememberedPublic(
        organisation=remembered.organisation,
        kind=remembered.kind,
        mapping=remembered.mapping.as_json(),
        lines=remembered.mapping.lines(),
        updated_at=remembered.updated_at,
        fits=fits,
        id=remembered.id,
    )


@router.post("/submissions/inspect", response_model=InspectionPublic)
async def inspect_submission(
    session: SessionDep,
    principal: PrincipalDep,
    jobs: JobsDep,
    file: Annotated[UploadFile, File(description="zipped shapefile, GeoPackage, GeoJSON, KML")],
    holder: HeldDep,
    kind: Annotated[UploadKind, Form()],
    organisation: Annotated[str | None, Form(max_length=200)] = None,
    layer: Annotated[str | None, Form(max_length=200)] = None,
    hold: Annotated[
        bool,
        Form(
            description="keep the file for an hour, for POST /api/v1/submissions to name by "
            "the token `held` instead of sending it again"
        ),
    ] = False,
) -> Response:
    """Read a file: its columns with a few values each, whether it declares its CRS, and
    the field mapping suggested for it (the organisation's remembered one where the file
    fits it, then the template's names and their usual synonyms). The upload page shows
    it as the mapping step. Nothing is stored; with ``hold`` the file is kept, for you
    only, until a submission is made of it or for an hour."""
    organisation = _organisation_for(principal, organisation)
    limits = UploadLimits.from_settings()
    folder = await run_in_threadpool(temp_folder, "inspect")
    held: str | None = None
    try:
        target = await run_in_threadpool(_saved, file, folder, limits.max_bytes)
        found: Inspection = await jobs.run(
            "uploads",
            inspect_upload_job,
            session,
            # theirs: a national file's columns take half a minute to read, and count in
            # the person's share of the workers as their files' checks do
            owner=principal.user_id if principal else None,
            path=str(target),
            kind=kind.value,
            organisation=organisation,
            layer=layer,
            limits=limits,
            filename=target.name,
        )
        sha256 = await run_in_threadpool(file_sha256, target)
        awaiting = await run_in_threadpool(awaiting_twin, session, sha256, kind.value, organisation)
        if hold:
            owner = principal.user_id if principal else None
            held = await run_in_threadpool(holder.hold, target, owner)
    finally:
        await run_in_threadpool(shutil.rmtree, folder, True)
    # written off the event loop: an answer of a file of many long columns had held the
    # server for seconds, answering nobody (helper-124), bounded as it is since
    answer = await run_in_threadpool(_inspection_json, found, held, awaiting)
    return Response(answer, media_type="application/json")


def _inspection_json(found: Inspection, held: str | None, awaiting: Any) -> bytes:
    """The inspection's answer, as JSON."""
    return (
        InspectionPublic(
            held=held,
            filename=found.filename,
            layer=found.layer,
            feature_count=found.feature_count,
            crs=found.crs,
            remembered_crs=found.remembered_crs,
            remembered_crs_offered=(
                _remembered_public(found.remembered_crs_offered, fits=False)
                if found.remembered_crs_offered is not None
                else None
            ),
            remembered_crs_alone=(
                _remembered_public(found.remembered_crs_alone, fits=False)
                if found.remembered_crs_alone is not None
                else None
            ),
            projected=found.projected,
            columns=[
                ColumnPublic(
                    name=c.name,
                    samples=c.samples,
                    values=c.values,
                    reads=_reads(c, found.fields),
                    types=c.types,
                    date_order=c.date_order,
                )
                for c in found.columns
            ],
            fields=[
                TemplateFieldPublic(
                    name=f.name,
                    type=f.type.value,
                    required=f.required.value,
                    description=f.description,
                    allowed=list(f.allowed),
                )
                for f in found.fields
            ],
            suggested=found.suggested.as_json(),
            suggested_from=found.suggested_from,
            remembered=(
                _remembered_public(found.remembered, fits=found.remembered_fits)
                if found.remembered is not None
                else None
            ),
            notes=found.notes,
            awaiting=AwaitingPublic(**dataclasses.asdict(awaiting)) if awaiting else None,
            other_kind=(
                OtherKindPublic(kind=UploadKind(found.other_kind[0]), fields=found.other_kind[1])
                if found.other_kind
                else None
            ),
            computed=found.computed,
            munitions=found.munition_codes,
        )
        .model_dump_json()
        .encode()
    )


def _mappings_of(
    session: Session, principal: Principal | None, organisation: str | None
) -> Organisation:
    """The organisation whose remembered mappings are listed or forgotten: an operator's
    own; one named by the others."""
    org = submissions.organisation_named(
        session, _organisation_for(principal, organisation), uploading=False
    )
    if org is None:
        raise InvalidRequest("name the organisation whose mappings these are", field="organisation")
    return org


class RememberedListPublic(BaseModel):
    """The mappings remembered for an organisation's files of one kind, latest first."""

    remembered: list[RememberedPublic]


@router.get("/submissions/mappings/{kind}", response_model=RememberedListPublic)
def list_mappings(
    session: SessionDep,
    principal: PrincipalDep,
    kind: UploadKind,
    organisation: Annotated[str | None, Query(max_length=200)] = None,
) -> RememberedListPublic:
    """The field mappings (and a coordinate system kept alone) remembered for an
    organisation's files of ``kind`` (an operator's own organisation's), latest first,
    each with the ``id`` that DELETE forgets alone: what ``ims mappings list`` prints, for
    a script or a form platform's link. ``fits`` is false: no file is read here."""
    org = _mappings_of(session, principal, organisation)
    kept = field_maps.list_mappings(session, org)
    return RememberedListPublic(
        remembered=[_remembered_public(m, fits=False) for m in kept if m.kind == kind.value]
    )


@router.delete("/submissions/mappings/{kind}", response_model=ClearedPublic)
def clear_mapping(
    session: SessionDep,
    principal: PrincipalDep,
    kind: UploadKind,
    organisation: Annotated[str | None, Query(max_length=200)] = None,
    mapping_id: Annotated[
        int | None, Query(alias="id", ge=1, le=2**31 - 1, description="that one only")
    ] = None,
    crs: Annotated[
        bool,
        Query(
            description="the coordinate system offered for files no mapping reads only "
            "(`remembered_crs_offered`): kept alone, or the latest mapping's, which keeps it"
        ),
    ] = False,
    shown: Annotated[
        str | None,
        Query(
            max_length=100,
            description="with `crs`: the coordinate system the page asking showed; if "
            "another is offered now, nothing is forgotten (409)",
        ),
    ] = None,
) -> ClearedPublic:
    """Forget the field mappings remembered for an organisation's files of ``kind`` (an
    operator's own organisation's), or with ``id`` the one of that number, or with ``crs``
    the coordinate system offered for its files that no mapping reads; its next upload is
    matched afresh."""
    org = _mappings_of(session, principal, organisation)
    by = principal.actor if principal else None
    if crs and mapping_id is not None:
        raise InvalidRequest("give id or crs, not both", field="crs")
    if crs:
        gone = field_maps.forget_offered_crs(session, org, kind.value, by=by, shown=shown)
    else:
        gone = field_maps.clear_mappings(session, org, kind.value, only=mapping_id, by=by)
    session.commit()
    return ClearedPublic(cleared=[_remembered_public(m, fits=False) for m in gone])


@router.get("/submissions/{submission_id}", response_model=SubmissionPublic)
def read_submission(
    session: SessionDep, principal: PrincipalDep, submission_id: SubmissionId
) -> SubmissionPublic:
    """A submission with its findings (errors first)."""
    return _public(session, submission_id, principal)


@router.get(
    "/submissions/{submission_id}/findings.{fmt}",
    response_class=Response,
    responses={200: {"content": {"application/geopackage+sqlite3": {}, "text/csv": {}}}},
)
def get_findings_file(
    session: SessionDep,
    principal: PrincipalDep,
    submission_id: SubmissionId,
    fmt: Literal["gpkg", "csv"],
) -> Response:
    """Every finding of a submission, errors first, with each feature's geometry: a
    GeoPackage (layer ``findings``, and a layer named after the kind holding each feature
    with a finding, its fields as the template names them: fixed in QGIS, it is uploaded
    again as it is), or CSV (the geometry as WKT)."""
    sub = submissions.get_submission(session, submission_id)
    if not access.may_see_submission(principal, sub.organisation_id):
        raise NotFound(f"submission {submission_id} does not exist")
    content = findings.findings_file(
        findings.findings_frame(session, submission_id),
        fmt,
        features=findings.features_frame(session, submission_id) if fmt == "gpkg" else None,
    )
    name = f"submission-{submission_id}-findings.{fmt}"
    return Response(
        content,
        media_type=findings.FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/submissions/{submission_id}/approve", response_model=SubmissionPublic)
async def approve_submission(
    session: SessionDep,
    principal: PrincipalDep,
    jobs: JobsDep,
    tracker: TrackerDep,
    submission_id: SubmissionId,
    partial: Annotated[
        bool,
        Query(description="apply the features without errors; leave the rest with findings"),
    ] = False,
    progress: Annotated[str | None, Query(pattern=TOKEN_PATTERN, description=FOLLOW)] = None,
    body: ApproveBody | None = None,
) -> SubmissionPublic:
    """Apply a submission that has no error (409 with the findings if it has; with
    ``partial``, the features without errors, the rest left with their findings).

    ``partial`` is read from the query or from a JSON body ``{"partial": true}``: a
    client sending it as JSON had it ignored without a word (helper-94).

    Approvals run one at a time: one that has to wait for another is answered when it is
    done (503 with Retry-After when too many wait already). An approved submission is
    answered at once.
    """
    if not await run_in_threadpool(approval.is_settled, session, submission_id):
        sub = await run_in_threadpool(submissions.get_submission, session, submission_id)
        if not access.may_approve(
            principal, sub.uploaded_by, allow_self=get_settings().allow_self_approval
        ):
            raise Forbidden(
                f"{sub.uploaded_by} uploaded submission {submission_id}: another reviewer "
                "approves it (four eyes; IMS_ALLOW_SELF_APPROVAL lets a one-person office "
                "approve its own)"
            )
        by = principal.actor if principal else None
        partial = partial or (body is not None and body.partial)
        with tracker.following(progress, principal.user_id if principal else None) as say:
            ahead = await jobs.run(
                "approvals",
                approve_submission_job,
                session,
                say,
                submission_id=submission_id,
                by=by,
                partial=partial,
            )
            tracker.conclude(progress, f"/submissions/{submission_id}")
        kept.keep(ahead)  # committed: its first readers find the national answers ready
    return await run_in_threadpool(_public, session, submission_id, principal)


@router.post("/submissions/{submission_id}/reject", response_model=SubmissionPublic)
def reject_submission(
    session: SessionDep, principal: PrincipalDep, submission_id: SubmissionId, body: RejectBody
) -> SubmissionPublic:
    """Reject a submission with a reason; nothing of it is applied (409 while it is being
    approved)."""
    approval.reject(
        session, submission_id, reason=body.reason, by=principal.actor if principal else None
    )
    session.commit()
    return _public(session, submission_id, principal)


class WithdrawBody(BaseModel):
    """Why a submission is withdrawn by its sender (optional)."""

    reason: str = Field("", max_length=2000)


@router.post("/submissions/{submission_id}/withdraw", response_model=SubmissionPublic)
def withdraw_submission(
    session: SessionDep,
    principal: PrincipalDep,
    submission_id: SubmissionId,
    body: WithdrawBody | None = None,
) -> SubmissionPublic:
    """Withdraw a submission awaiting review (a trial upload, a file sent by mistake):
    withdrawn by its sender (``decided_by``), with the reason if one is given, nothing of
    it applied. Operators only, their own organisation's (a reviewer rejects, with a
    reason); 409 once it is approved, rejected, replaced or withdrawn."""
    sub = submissions.get_submission(session, submission_id)
    if not access.may_see_submission(principal, sub.organisation_id):
        raise NotFound(f"submission {submission_id} does not exist")
    approval.check_withdrawable(session, principal, sub)
    approval.withdraw(
        session,
        submission_id,
        reason=body.reason if body else "",
        by=principal.actor if principal else None,
    )
    session.commit()
    return _public(session, submission_id, principal)


class ReleasesWithdrawalPublic(BaseModel):
    """What withdrawing every release an approved submission recorded changes (or changed),
    as the ledger counts it."""

    submission: int
    releases: int = Field(description="its releases in force, withdrawn together")
    hazards: int = Field(description="the hazards they are on")
    counted_m2: float = Field(description="what they count before, together")
    remaining_m2: float = Field(description="their hazards' remaining area today, before")
    remaining_after_m2: float = Field(description="and after the withdrawal")
    recounted: int = Field(description="later releases that count the ground instead")
    withdrawn_already: int = Field(description="its releases withdrawn one by one before")
    outside: int = Field(
        description="its records of land released outside recorded hazards, withdrawn with it"
    )
    outside_m2: float = Field(description="what they count in Form 1(i), together, before")
    outside_later_m2: dict[str, float] = Field(
        default_factory=dict,
        description="by year: their ground that later records released again, which those "
        "years' Form 1(i) counts instead once they are withdrawn",
    )
    outside_left: int = Field(description="its records outside hazards withdrawn before: kept")
    outside_made: int = Field(
        0,
        description="its records outside hazards made into hazards in force: withdrawn with "
        "it (they count nothing apart), the hazards kept",
    )
    years: list[int] = Field(description="the years whose figures change")
    finalised_years: list[int] = Field(
        description="finalised reports that list the withdrawals as corrections"
    )


class ReleasesWithdrawal(BaseModel):
    """Why the submission's releases are withdrawn: kept with each of them."""

    reason: str = Field(min_length=1, max_length=2000, pattern=r"^[^\x00]*$")


@router.get(
    "/submissions/{submission_id}/releases-withdrawal", response_model=ReleasesWithdrawalPublic
)
def get_releases_withdrawal_effect(
    session: SessionDep, principal: PrincipalDep, submission_id: SubmissionId
) -> ReleasesWithdrawalPublic:
    """What withdrawing every release an approved submission recorded would change;
    nothing is written (409 for a submission of hazards, one not approved, or one with
    no release in force)."""
    effect = withdrawals.submission_withdrawal_effect(session, submission_id)
    return ReleasesWithdrawalPublic(**effect.as_dict())


@router.post(
    "/submissions/{submission_id}/releases-withdrawal",
    status_code=201,
    response_model=ReleasesWithdrawalPublic,
)
def withdraw_submission_releases(
    session: SessionDep,
    principal: PrincipalDep,
    submission_id: SubmissionId,
    body: ReleasesWithdrawal,
) -> ReleasesWithdrawalPublic:
    """Withdraw every release an approved submission recorded, a file approved in error
    (docs/design.md §2.8): each is kept, with the reason, and nothing counts them from now
    on; their hazards' figures are counted again without them, for every date. Reviewers
    only; audited."""
    done = approval.withdraw_submission_releases(
        session, submission_id, reason=body.reason, by=principal.actor if principal else None
    )
    session.commit()
    return ReleasesWithdrawalPublic(**done.as_dict())


@router.post("/submissions/{submission_id}/note", response_model=SubmissionPublic)
def note_submission(
    session: SessionDep, principal: PrincipalDep, submission_id: SubmissionId, body: NoteBody
) -> SubmissionPublic:
    """Have the reports (the Article 7 notes) name a submission while it awaits review, or
    stop (409 for one already approved or rejected). Reports note only those a reviewer
    chose, never a trial upload by itself."""
    review.set_noted(session, submission_id, body.noted, by=principal.actor if principal else None)
    session.commit()
    return _public(session, submission_id, principal)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/forms/{kind}.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "an XLSForm"}},
)
def get_field_form(session: SessionDep, kind: UploadKind) -> Response:
    """The XLSForm for field teams (KoboToolbox, ODK Central and Collect, Survey123) of
    hazards (non-technical survey) or releases (completion), with today's munition and
    organisation lists: its questions are the template's fields, so an export of what was
    collected is uploaded without a field mapping."""
    munitions = [(m.code, m.name) for m in reference.list_munitions(session)]
    organisations = [o.name for o in reference.list_organisations(session)]
    # every cell a value: an organisation named "=HYPERLINK(…)" stays text in Excel
    content = workbook_bytes(xlsform(kind.value, munitions, organisations))
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{FORMS[kind.value]}.xlsx"'},
    )


@router.get("/templates/{kind}.{fmt}", response_class=Response)
def get_template(kind: UploadKind, fmt: Literal["zip", "gpkg", "csv"]) -> Response:
    """The empty exchange template, as a zipped shapefile, a GeoPackage or a CSV table
    (a header of the fields and ``wkt``, each polygon's WKT in longitude and latitude)."""
    data, filename = template_bytes(kind.value, fmt)  # the file writers want a plain str
    media = {"zip": "application/zip", "gpkg": "application/geopackage+sqlite3"}.get(
        fmt, "text/csv; charset=utf-8"
    )
    return Response(
        data,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
