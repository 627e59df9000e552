"""Record and correct one hazard in the browser (issue 16, items 5 and 6).

``/hazards/new``, ``/hazards/{reference}/revise`` and ``/hazards/{reference}/releases/new``:
forms whose polygon is drawn on the map (Leaflet-Geoman), pasted (WKT, GeoJSON or
longitude latitude pairs) or taken from a file of one feature. What is sent becomes a
one-feature submission through ``ims.api.records.stage_record``, as the API's record routes
do: the same validation and findings, then the review page, where a reviewer approves it
as any upload. A form whose record has errors is shown again with each error beside its
field, and nothing is stored.

The router is installed before the pages' own (``pages.install``): ``/hazards/new`` is not a
hazard's page.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.api.auth import PrincipalDep
from ims.api.deps import SessionDep
from ims.api.gate import FORM_ALLOWANCE
from ims.api.records import boundary_in_force, stage_record
from ims.config import get_settings
from ims.db import reference as reference_lists
from ims.db.accounts import Principal
from ims.domain import access
from ims.domain.enums import (
    Contamination,
    HazardStatus,
    ReleaseMethod,
    Role,
    SubmissionStatus,
    UploadKind,
)
from ims.domain.findings import Finding
from ims.domain.records import NONE_TEXT
from ims.errors import Conflict, ImsError, InvalidRequest
from ims.ingest import drawn
from ims.ingest.validate import REPAIR_HINT, SPLIT_AGAIN, SPLIT_OUTSIDE
from ims.jobs import ONE_FEATURE_TIME_S, read_one_feature
from ims.queries import hazards, national
from ims.queries.records import release_preview
from map_ui import maps
from map_ui.rendering import error_page, path_part, templates
from map_ui.rendering import page as _page
from map_ui.style import METHOD_LABELS, STATUS_LABELS

router = APIRouter(include_in_schema=False)

MUNITION_ROWS = 4  # rows of (type, quantity) a form is drawn with ("Another type" adds more)
MUNITION_ROWS_MAX = 60  # the most a form may send (the reference list's types, and then some)


def file_max_bytes() -> int:
    """The largest file of one feature a form takes: what fits in a request beside the
    form's fields. A larger file is refused by the page before it is sent, beside its field;
    without script, by the server's limit on requests (413)."""
    return get_settings().request_max_bytes - FORM_ALLOWANCE


templates.env.globals["record_file_max_bytes"] = file_max_bytes
Text = Annotated[str, Form(max_length=200)]
LongText = Annotated[str, Form(max_length=20_000)]  # pasted coordinates, a drawn polygon


@dataclass
class FormState:
    """What a form shows: the values sent (or the defaults), errors by field, a preview."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)  # errors of no field on the form
    preview: dict[str, float] | None = None

    def add(self, name: str | None, message: str, fields: tuple[str, ...]) -> None:
        """An error beside field ``name``, or above the form when it has no such field."""
        if name in fields:
            self.errors.setdefault(str(name), []).append(message)
        else:
            self.general.append(message)


# The file a record form sends (``ims.api.records._file_name``): what it recorded.
FORM_FILE = re.compile(r"(hazard|revision|release)-.+\.gpkg")
# Replaced by id, as a form posts it
Replaces = Annotated[int | None, Form(ge=1, le=2**31 - 1)]
Correcting = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


@dataclass(frozen=True)
class Correction:
    """A record sent from a form, to be corrected in the form: the one-feature submission,
    what the form records ("hazard", "revision" or "release"), the values it was sent with
    and its polygon (None: a revision that kept the boundary in force)."""

    submission_id: int
    what: str
    values: dict[str, str]
    polygon: dict[str, Any] | None
    rejected: bool

    @property
    def form(self) -> str:
        """The address of the form, filled with it."""
        ref = path_part(self.values.get("hazard_id", ""))
        path = {
            "hazard": "/hazards/new",
            "revision": f"/hazards/{ref}/revise",
            "release": f"/hazards/{ref}/releases/new",
        }[self.what]
        return f"{path}?correcting={self.submission_id}"


_SENT = text(
    "SELECT sf.record, sf.clean, ST_AsGeoJSON(COALESCE(sf.geom, sf.raw_geom), 9) AS polygon,"
    " s.kind, s.status, s.filename, s.feature_count, s.organisation_id, s.own_records,"
    " EXISTS (SELECT 1 FROM submission r WHERE r.replaces = s.id) AS replaced"
    " FROM submission s JOIN submission_feature sf ON sf.submission_id = s.id"
    " WHERE s.id = :s"
)


def correction_of(
    session: Session, principal: Principal | None, submission_id: int
) -> Correction | None:
    """The record a form sent as submission ``submission_id``, to correct in the form: only
    where its reader may send it again (an operator of its organisation, or staff), while
    it awaits review or was rejected and nothing has replaced it. A field team leader with
    no file had only "Upload a corrected file", or to withdraw it and draw it all again
    (a first-time user's review, helper-97). None for any other submission, and for a
    file of the forms' name that holds more than the form gives (its own columns)."""
    if principal is None or principal.role not in (Role.OPERATOR, Role.REVIEWER, Role.ADMIN):
        return None
    rows = session.execute(_SENT, {"s": submission_id}).all()
    if len(rows) != 1:
        return None
    row = rows[0]
    matched = FORM_FILE.fullmatch(row.filename or "")
    if (
        matched is None
        or not is_form_record(row.filename, row.feature_count)
        or row.replaced
        or row.status not in (SubmissionStatus.VALIDATED, SubmissionStatus.REJECTED)
        or not access.may_see_submission(principal, row.organisation_id)
        # not the authority's record, awaiting review, in an operator's organisation's name
        or (
            row.status == SubmissionStatus.VALIDATED
            and not access.may_replace(
                principal, row.organisation_id, sent_by_operator=row.own_records
            )
        )
    ):
        return None
    what = matched.group(1)
    record = dict(row.record or {})
    own = dict(record.pop("_attributes", None) or {})
    if set(own) - ({"reason"} if what == "revision" else set()):
        return None
    if (what == "release") != (row.kind == UploadKind.RELEASES) or not record.get("hazard_id"):
        return None
    values = {k: str(v) for k, v in record.items() if v is not None}
    if own.get("reason") is not None:
        values["reason"] = str(own["reason"])
    kept = what == "revision" and bool((row.clean or {}).get("same_boundary"))
    polygon = None if kept or not row.polygon else json.loads(row.polygon)
    return Correction(
        submission_id, what, values, polygon, rejected=row.status == SubmissionStatus.REJECTED
    )


def _correctable(
    session: Session,
    principal: Principal | None,
    submission_id: int,
    what: str,
    hazard: str | None = None,
) -> Correction:
    """The record of submission ``submission_id`` if this form (``what``, of ``hazard``)
    may correct it; Conflict otherwise. Checked when the form is sent as when it is
    opened: a form sent with any submission of its organisation in ``replaces`` had set
    aside a two-feature upload, or a new hazard for another hazard's revision (an attack on
    our own instance, helper-98)."""
    correction = correction_of(session, principal, submission_id)
    if (
        correction is None
        or correction.what != what
        or (hazard is not None and correction.values.get("hazard_id") != hazard)
    ):
        raise Conflict(
            f"submission {submission_id} cannot be corrected in this form: only a record sent "
            f"from this form{' for this hazard' if hazard else ''}, awaiting review or "
            "rejected and not replaced since, by its organisation"
        )
    return correction


def _correcting(
    session: Session,
    principal: Principal | None,
    submission_id: int,
    what: str,
    state: FormState,
    hazard: str | None = None,
) -> None:
    """Fill ``state`` with the record of submission ``submission_id`` to correct it, the
    form sending it as its replacement; Conflict where it cannot be."""
    correction = _correctable(session, principal, submission_id, what, hazard)
    state.values.update(correction.values)
    state.values["replaces"] = str(submission_id)
    if correction.polygon is not None:
        state.values["geometry_json"] = correction.polygon


def _replacing(
    session: Session,
    principal: Principal | None,
    replaces: int | None,
    what: str,
    state: FormState,
    hazard: str | None = None,
) -> bool:
    """Whether the submission a form sent is to replace may still be (checked as when the
    form was opened); if not, a word above the form, and the form, shown again without it,
    sends a record of its own next time: it had kept failing on the same refusal
    (helper-98). The caller shows the form again rather than send it."""
    if replaces is None:
        return True
    try:
        _correctable(session, principal, replaces, what, hazard)
    except Conflict:
        state.values.pop("replaces", None)
        state.general.append(
            f"Submission {replaces} can no longer be corrected here: it was approved, replaced "
            "or withdrawn meanwhile, or is not a record of this form. Nothing was sent; sent "
            "again, this form is a submission of its own. A record approved already is "
            "corrected by a revision of its hazard, or withdrawn as recorded in error."
        )
        return False
    state.values["replaces"] = str(replaces)
    return True


HAZARD_FIELDS = (
    "hazard_id",
    "status",
    "contam",
    "recorded",
    "used_from",
    "used_to",
    "munitions",
    "marked",
    "operator",
    "geometry",
)
REVISION_FIELDS = (
    "status",
    "revised",
    "reason",
    "munitions",
    "used_from",
    "used_to",
    "marked",
    "operator",
    "geometry",
)
RELEASE_FIELDS = ("release_id", "method", "released", "items", "operator", "geometry")
GEOMETRY_INPUTS = {"coordinates": "geometry", "geometry_file": "geometry"}


def _choices(session: Session, principal: Principal | None) -> dict[str, Any]:
    munitions = [(m.code, m.name) for m in reference_lists.list_munitions(session)]
    organisations = [o.name for o in reference_lists.list_organisations(session)]
    fixed = None
    if principal is not None and not access.sees_all_submissions(principal):
        fixed = principal.organisation
    return {
        "munitions": munitions,
        "organisations": organisations,
        "fixed_operator": fixed,
        "statuses": [s.value for s in HazardStatus],
        # in words: "SHA" and "CHA" alone were not explained on the form (helper-97)
        "status_labels": STATUS_LABELS,
        "method_labels": METHOD_LABELS,
        "contams": [c.value for c in Contamination],
        "methods": [m.value for m in ReleaseMethod],
        "munition_rows": MUNITION_ROWS,
        "today": dt.date.today().isoformat(),
    }


def _quantities(types: list[str], quantities: list[str]) -> str:
    """Rows of (type, quantity) as the template writes them: TYPE:QTY;TYPE:QTY. A ";"
    inside a row's value (or a ":" in its quantity) is sent as "," so that the row is
    refused as what it is, a type not in the list or a quantity not a number, not split
    into rows of its own (helper-109: a quantity of "5;M42:900" added 900 M42)."""
    pairs = [
        f"{t.strip().replace(';', ',')}:{re.sub('[;:]', ',', q.strip())}"
        for t, q in zip(types, quantities, strict=False)
        if t.strip() or q.strip()
    ]
    return ";".join(pairs)


def _rows(text: str) -> list[tuple[str, str]]:
    """TYPE:QTY;… back into rows for the form."""
    rows = []
    for part in (text or "").split(";"):
        code, _, qty = part.partition(":")
        if code.strip() or qty.strip():
            rows.append((code.strip(), qty.strip()))
    return rows


def _drawn(
    polygon: dict[str, Any] | None, coordinates: str, upload: UploadFile | None
) -> dict[str, Any] | None:
    """The polygon a form shown again puts in its map editor: a drawn one or a file's, not
    one pasted as text, which the text box keeps. Put in the editor as well, a pasted
    polygon that was refused stayed there once its text was cleared, was sent again, and
    hid the boundary in force."""
    pasted = bool(coordinates.strip()) and not (upload is not None and upload.filename)
    return None if pasted else polygon


FileReader = Callable[[bytes, str, str], dict[str, Any]]


def _file_reader(request: Request, principal: Principal | None) -> FileReader:
    """How a form's file of one feature is read: in an upload worker, as an upload is
    (its memory cap, a time limit of its own, the queue's share per person)."""
    jobs = request.app.state.jobs
    owner = principal.user_id if principal else None

    def read(data: bytes, filename: str, kind: str) -> dict[str, Any]:
        answer: dict[str, Any] = jobs.run_waiting(
            "uploads",
            read_one_feature,
            owner=owner,
            timeout_s=ONE_FEATURE_TIME_S,
            data=data,
            filename=filename,
            kind=kind,
        )
        return answer

    return read


def _geometry(
    form: dict[str, Any], upload: UploadFile | None, *, kind: str, read: FileReader
) -> dict[str, Any] | None:
    """The polygon sent: a file of one feature, else pasted text, else the drawing."""
    if upload is not None and upload.filename:
        limit = file_max_bytes()
        data = upload.file.read(limit + 1)
        if len(data) > limit:
            raise InvalidRequest(
                f"{upload.filename} is over the {limit / 1e6:.1f} MB a form takes: simplify "
                "the polygon (fewer corners), or send the file from the upload page",
                field="geometry_file",
            )
        return read(data, upload.filename, kind)
    if (form.get("coordinates") or "").strip():
        return drawn.as_geojson(drawn.geometry_from_text(form["coordinates"]))
    if (form.get("geometry") or "").strip():
        return drawn.as_geojson(drawn.geometry_from_text(form["geometry"], field="geometry"))
    return None


def _polygon(
    state: FormState,
    form: dict[str, Any],
    upload: UploadFile | None,
    kind: UploadKind,
    fields: tuple[str, ...],
    read: FileReader,
) -> tuple[dict[str, Any] | None, bool]:
    """The polygon sent (None if none was), and whether one was sent that could not be
    read (its error put beside its field)."""
    try:
        polygon = _geometry(form, upload, kind=kind.value, read=read)
    except ImsError as exc:
        _error(state, exc, fields)
        return None, True
    state.values["geometry_json"] = _drawn(polygon, form["coordinates"], upload)
    return polygon, False


def _missing(
    state: FormState,
    polygon: dict[str, Any] | None,
    unread: bool,
    properties: dict[str, Any],
    key: str,
    fields: tuple[str, ...],
) -> set[str]:
    """The fields of a new record found wanting before it is staged: a polygon not given
    (said here) or not read (said by ``_polygon``), a reference not given (said here)."""
    said = set()
    if polygon is None:
        said.add("geometry")
        if not unread:
            state.add("geometry", "draw the polygon, paste it or choose a file", fields)
    if not properties[key]:
        said.add(key)
        state.add(key, _in_the_forms_words(f"{key} is required"), fields)
    return said


def _staged(
    session: Session,
    principal: Principal | None,
    state: FormState,
    fields: tuple[str, ...],
    **record: Any,
) -> int | None:
    """Stage the record; its submission id, or None with the errors put beside the fields
    (then nothing is stored: it is checked first, and staged only without an error, so
    that a refused try uses up no submission number)."""
    savepoint = session.begin_nested()
    try:
        checked = stage_record(session, principal, check_only=True, **record)
        if any(f.blocking for f in checked.findings):
            savepoint.rollback()
            _said(state, checked.findings, fields, said=set())
            return None
        outcome = stage_record(session, principal, **record)
    except ImsError:
        savepoint.rollback()
        raise
    savepoint.commit()
    session.commit()
    return outcome.submission.id


def _checked(
    session: Session,
    principal: Principal | None,
    state: FormState,
    fields: tuple[str, ...],
    *,
    said: set[str],
    **record: Any,
) -> None:
    """Put beside the fields the errors of a record that is not to be sent (its polygon or
    its reference is missing, or its polygon could not be read): staged in a savepoint
    rolled back. ``said``: the fields whose errors are on the form already ("geometry",
    the reference), staged with stand-ins whose findings are left out. A form had said only
    that its polygon was wrong, and the other fields' errors came once it was put right,
    in a second round (a first-time user's review)."""
    properties = dict(record.pop("properties"))
    for key in said & properties.keys():  # a file without a reference is refused whole
        if key in ("hazard_id", "release_id"):
            properties[key] = STAND_IN_REFERENCE
        elif key == "revised":  # an empty date had hidden the status's error
            properties[key] = dt.date.today().isoformat()
    savepoint = session.begin_nested()
    try:
        outcome = stage_record(session, principal, properties=properties, check_only=True, **record)
    except ImsError as exc:
        savepoint.rollback()
        field = exc.extra.get("field")
        if GEOMETRY_INPUTS.get(str(field), field) not in said:
            _error(state, exc, fields)
        return
    savepoint.rollback()
    findings = outcome.findings
    if "geometry" in said:  # what the boundary standing in for the polygon says of itself
        findings = [f for f in findings if f.code not in _OF_THE_BOUNDARY]
    _said(state, findings, fields, said=said)


STAND_IN_REFERENCE = "FORM-CHECK"  # a missing reference's, while the other fields are checked
# Findings of a revision that compare its boundary with the one in force: with the boundary
# in force standing in for a polygon that could not be read, "this revision … is recorded
# already … with the same boundary" was said beside its date (an attack on our own instance)
_OF_THE_BOUNDARY = frozenset({"already_recorded", "changes_nothing"})


def _stand_in(session: Session) -> dict[str, Any]:
    """A small square standing in for a new hazard's polygon that is missing or could not
    be read, so that its other fields are checked (a file of no geometry is refused whole):
    at the middle of the map, its findings left out (``_checked``)."""
    (south, west), (north, east) = national.map_bounds(session)
    x, y, d = (west + east) / 2, (south + north) / 2, 0.0005
    ring = [[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d], [x - d, y - d]]
    return {"type": "Polygon", "coordinates": [ring]}


def _said(
    state: FormState, findings: list[Finding], fields: tuple[str, ...], *, said: set[str]
) -> None:
    """The errors among ``findings`` put beside their fields, in the form's words, but
    those of the fields ``said`` already."""
    for finding in findings:
        field = finding.field or "geometry"
        if finding.blocking and field not in said:
            # drawn or pasted here: neither a GIS nor an upload's repair is at hand
            message = finding.message.replace(REPAIR_HINT, DRAWN_HINT)
            state.add(field, _in_the_forms_words(message), fields)


DRAWN_HINT = "draw it again so that its outline does not cross itself, or correct the coordinates"

# The forms' labels for the template's date fields, which a finding's message begins with
# as a file's column: "revised 2031-01-01 is in the future" stood beside "Takes effect on"
# (a walk-through as an IM officer).
FORM_WORDS = {
    "revised": "Takes effect on",
    "recorded": "Recorded on",
    "released": "Completed on",
    "marked": "Marked or fenced on",
    "used_from": "Used from",
    "used_to": "Used to",
    "hazard_id": "Hazard id",
    "release_id": "Release id",
}


# A file's advice as the reader of a record sent from a form is given it: the form has no
# split choice, nor a command line (a first-time user's review, helper-97)
FORM_ADVICE = {
    SPLIT_AGAIN: "record each part as a release of its own hazard, from that hazard's page",
    SPLIT_OUTSIDE: "a file uploaded with the split choice records it as land released "
    "outside hazards",
}


def in_a_forms_words(message: str) -> str:
    """A finding's message with a file's advice as a form's reader can follow it."""
    for advice, instead in FORM_ADVICE.items():
        message = message.replace(advice, instead)
    return message


templates.env.filters["form_words"] = in_a_forms_words


def is_form_record(filename: str | None, feature_count: int) -> bool:
    """Whether a submission is a record sent from a form (its file the form's own)."""
    return feature_count == 1 and FORM_FILE.fullmatch(filename or "") is not None


def _in_the_forms_words(message: str) -> str:
    """A finding's message with the field it begins with named as the form names it, and
    the years of use wherever it names them ("used_from 1975 is after used_to 1969")."""
    for name in ("used_from", "used_to"):
        message = re.sub(rf"\b{name}\b(?= \d)", FORM_WORDS[name], message)
    for name, label in FORM_WORDS.items():
        for lead in (f"{name} ", f"{name}: "):
            if message.startswith(lead):
                return label + message[len(name) :]
    return message


def _error(state: FormState, exc: ImsError, fields: tuple[str, ...]) -> None:
    name = exc.extra.get("field")
    state.add(GEOMETRY_INPUTS.get(str(name), name), _in_the_forms_words(exc.detail), fields)


def _map_config(
    session: Session,
    *,
    edit: dict[str, Any] | None = None,
    reference: dict[str, Any] | None = None,
    preview_url: str | None = None,
    boundary_url: str | None = None,
) -> dict[str, Any]:
    return {
        "bounds": national.map_bounds(session),
        "edit": edit,
        "reference": reference,
        "preview_url": preview_url,
        # where the revise form asks for the boundary in force on the date it is given
        "boundary_url": boundary_url,
    }


# --------------------------------------------------------------------------- a new hazard


@router.get("/hazards/new", response_class=HTMLResponse)
def new_hazard_page(
    request: Request, session: SessionDep, principal: PrincipalDep, correcting: Correcting = None
) -> HTMLResponse:
    """The form to record a hazard: draw, paste or upload its polygon, and its fields;
    ``correcting``: filled with a hazard it sent, to send it again in its place."""
    state = FormState(values={"recorded": dt.date.today().isoformat(), "status": "SHA"})
    if correcting is not None:
        try:
            _correcting(session, principal, correcting, "hazard", state)
        except ImsError as exc:
            return error_page(request, exc.status_code, "Not to be corrected here", exc.detail)
    return _hazard_form(request, session, principal, state)


def _hazard_form(
    request: Request,
    session: Session,
    principal: Principal | None,
    state: FormState,
    status_code: int = 200,
) -> HTMLResponse:
    drawn_geometry = state.values.get("geometry_json")
    return _page(
        request,
        "record_hazard.html",
        status_code,
        form=state,
        active="submissions",
        munition_values=_rows(state.values.get("munitions", "")),
        map_config=_map_config(session, edit=drawn_geometry),
        **_choices(session, principal),
    )


@router.post("/hazards/new", response_class=HTMLResponse)
def record_hazard_page(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    hazard_id: Text = "",
    status: Text = "",
    contam: Text = "",
    recorded: Text = "",
    used_from: Text = "",
    used_to: Text = "",
    marked: Text = "",
    operator: Text = "",
    munition_type: Annotated[list[str] | None, Form(max_length=MUNITION_ROWS_MAX)] = None,
    munition_qty: Annotated[list[str] | None, Form(max_length=MUNITION_ROWS_MAX)] = None,
    geometry: LongText = "",
    coordinates: LongText = "",
    geometry_file: UploadFile | None = None,
    replaces: Replaces = None,
) -> Response:
    """Send the hazard as a one-feature submission, then show its review page (in place of
    the submission it ``replaces``, a correction of one sent from this form)."""
    properties = {
        "hazard_id": hazard_id.strip(),
        "status": status,
        "contam": contam,
        "recorded": recorded,
        "used_from": used_from,
        "used_to": used_to,
        "marked": marked,
        "operator": operator,
        "munitions": _quantities(munition_type or [], munition_qty or []),
    }
    state = FormState(values={**properties, "coordinates": coordinates})
    form = {"geometry": geometry, "coordinates": coordinates}
    submission_id = None
    polygon, unread = _polygon(
        state,
        form,
        geometry_file,
        UploadKind.HAZARDS,
        HAZARD_FIELDS,
        _file_reader(request, principal),
    )
    if not _replacing(session, principal, replaces, "hazard", state):
        return _hazard_form(request, session, principal, state, 422)
    record = {
        "kind": UploadKind.HAZARDS,
        "what": "hazard",
        "properties": properties,
        "replaces": replaces,
    }
    try:
        said = _missing(state, polygon, unread, properties, "hazard_id", HAZARD_FIELDS)
        if not said:
            submission_id = _staged(
                session, principal, state, HAZARD_FIELDS, geometry=polygon, **record
            )
        else:  # not to be sent: its other errors said with these
            _checked(
                session,
                principal,
                state,
                HAZARD_FIELDS,
                said=said,
                geometry=polygon or _stand_in(session),
                **record,
            )
    except ImsError as exc:
        _error(state, exc, HAZARD_FIELDS)
    if submission_id is None:
        return _hazard_form(request, session, principal, state, 422)
    return RedirectResponse(f"/submissions/{submission_id}", status_code=303)


# --------------------------------------------------------------------------- a revision


@router.get("/hazards/{reference:path}/revise", response_class=HTMLResponse)
def revise_hazard_page(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    reference: str,
    correcting: Correcting = None,
) -> HTMLResponse:
    """The form to revise a hazard: its boundary in force in the editor, the status, the
    date it takes effect and the reason."""
    try:
        view = hazards.hazard_view(session, reference)
    except ImsError as exc:
        return error_page(request, exc.status_code, "Hazard not found", exc.detail)
    # what the revision in force holds, which a revision keeps unless changed here: blank
    # fields had read as if sending them would clear them (a walk-through)
    state = FormState(
        values={
            "status": view.status or "",
            "revised": dt.date.today().isoformat(),
            # the estimates and the years too: a reviewer could correct neither here, and
            # had to upload a file for it (helper-107)
            "munitions": ";".join(f"{code}:{qty}" for code, qty in view.estimates),
            "used_from": str(view.used[0] or ""),
            "used_to": str(view.used[1] or ""),
            "marked": view.marked.isoformat() if view.marked else "",
            "operator": view.operator or "",
        }
    )
    if correcting is not None:
        try:
            _correcting(session, principal, correcting, "revision", state, view.reference)
        except ImsError as exc:
            return error_page(request, exc.status_code, "Not to be corrected here", exc.detail)
    return _revise_form(request, session, principal, view, state)


def _revise_form(
    request: Request,
    session: Session,
    principal: Principal | None,
    view: hazards.HazardView,
    state: FormState,
    status_code: int = 200,
) -> HTMLResponse:
    revised = state.values.get("revised") or ""
    edit = state.values.get("geometry_json") or (
        boundary_in_force(session, view.reference, revised) if view.boundary else None
    )
    return _page(
        request,
        "record_revision.html",
        status_code,
        form=state,
        hazard=view,
        munition_values=_rows(state.values.get("munitions", "")),
        boundary_date=revised if revised != dt.date.today().isoformat() else "",
        active="register",  # a hazard's own page is one of the register's
        map_config=_map_config(
            session,
            edit=edit,
            reference=view.boundary,
            boundary_url=f"/api/v1/hazards/{path_part(view.reference)}",
        ),
        **_choices(session, principal),
    )


@router.post("/hazards/{reference:path}/revise", response_class=HTMLResponse)
def revise_hazard_form(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    reference: str,
    status: Text = "",
    revised: Text = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    used_from: Text = "",
    used_to: Text = "",
    munition_type: Annotated[list[str] | None, Form(max_length=MUNITION_ROWS_MAX)] = None,
    munition_qty: Annotated[list[str] | None, Form(max_length=MUNITION_ROWS_MAX)] = None,
    shown: Annotated[list[str] | None, Form(max_length=10)] = None,
    marked: Text = "",
    marked_shown: Text = "",
    operator: Text = "",
    geometry: LongText = "",
    coordinates: LongText = "",
    geometry_file: UploadFile | None = None,
    replaces: Replaces = None,
) -> Response:
    """Send the revision as a one-feature submission, then show its review page (in place
    of the submission it ``replaces``, a correction of one sent from this form). Without
    a polygon (or with the boundary as loaded) the boundary in force is kept; so is a
    blank field, unless the form showed it filled and it was emptied (a marking date in
    ``marked_shown``; ``shown`` names the estimates and years the form showed)."""
    try:
        view = hazards.hazard_view(session, reference)
    except ImsError as exc:
        return error_page(request, exc.status_code, "Hazard not found", exc.detail)
    properties = {
        "hazard_id": view.reference,
        "status": status,
        "revised": revised,
        "reason": reason.strip(),
        # the form shows the date in force: emptied, it is no longer marked (a blank in a
        # file keeps it, so the revision says so in the template's word)
        "marked": NONE_TEXT if marked_shown.strip() and not marked.strip() else marked,
        "operator": operator,
    }
    given = {
        "munitions": _quantities(munition_type or [], munition_qty or []),
        "used_from": used_from,
        "used_to": used_to,
    }
    for name, value in given.items():  # emptied, it is taken back; never shown, kept
        properties[name] = NONE_TEXT if name in (shown or []) and not value.strip() else value
    state = FormState(values={**properties, "coordinates": coordinates})
    for name, value in given.items():  # the form shows what was sent, not the word
        state.values[name] = value
    form = {"geometry": geometry, "coordinates": coordinates}
    submission_id = None
    polygon, unread = _polygon(
        state,
        form,
        geometry_file,
        UploadKind.HAZARDS,
        REVISION_FIELDS,
        _file_reader(request, principal),
    )
    if not _replacing(session, principal, replaces, "revision", state, view.reference):
        return _revise_form(request, session, principal, view, state, 422)
    record = {
        "kind": UploadKind.HAZARDS,
        "what": "revision",
        "properties": properties,
        "replaces": replaces,
    }
    try:
        said = {"geometry"} if unread else set()  # its error said by _polygon
        if not revised.strip():
            said.add("revised")
            state.add("revised", "the date the revision takes effect is required", REVISION_FIELDS)
        kept = polygon or boundary_in_force(session, view.reference, revised)
        if said:  # not to be sent: the other fields checked, on the boundary kept if need be
            _checked(
                session,
                principal,
                state,
                REVISION_FIELDS,
                said=said,
                geometry=kept,
                in_force=polygon is None,
                **record,
            )
        else:
            submission_id = _staged(
                session,
                principal,
                state,
                REVISION_FIELDS,
                geometry=kept,
                in_force=polygon is None,
                **record,
            )
    except ImsError as exc:
        _error(state, exc, REVISION_FIELDS)
    if submission_id is None:
        return _revise_form(request, session, principal, view, state, 422)
    return RedirectResponse(f"/submissions/{submission_id}", status_code=303)


# --------------------------------------------------------------------------- a release


@router.get("/hazards/{reference:path}/releases/new", response_class=HTMLResponse)
def new_release_page(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    reference: str,
    correcting: Correcting = None,
) -> HTMLResponse:
    """The form to record a release of the hazard: its polygon (the hazard's boundary shown
    for reference), method, date, items, operator, and the area it would count."""
    try:
        view = hazards.hazard_view(session, reference)
    except ImsError as exc:
        return error_page(request, exc.status_code, "Hazard not found", exc.detail)
    state = FormState(values={"released": dt.date.today().isoformat(), "method": "cleared"})
    if correcting is not None:
        try:
            _correcting(session, principal, correcting, "release", state, view.reference)
        except ImsError as exc:
            return error_page(request, exc.status_code, "Not to be corrected here", exc.detail)
    return _release_form(request, session, principal, view, state)


def _release_form(
    request: Request,
    session: Session,
    principal: Principal | None,
    view: hazards.HazardView,
    state: FormState,
    status_code: int = 200,
) -> HTMLResponse:
    spec = maps.hazard_map(view.boundary, view.remaining, view.releases, view.status)
    return _page(
        request,
        "record_release.html",
        status_code,
        form=state,
        hazard=view,
        active="register",  # a hazard's own page is one of the register's
        munition_values=_rows(state.values.get("items", "")),
        map_config={
            **_map_config(
                session,
                edit=state.values.get("geometry_json"),
                reference=view.boundary,
                preview_url=f"/api/v1/hazards/{path_part(view.reference)}/releases/preview",
            ),
            "context": spec["layers"],
            "context_legend": spec["legend"],  # as the hazard's page shows them
        },
        **_choices(session, principal),
    )


@router.post("/hazards/{reference:path}/releases/new", response_class=HTMLResponse)
def record_release_page(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    reference: str,
    release_id: Text = "",
    method: Text = "",
    released: Text = "",
    operator: Text = "",
    item_type: Annotated[list[str] | None, Form(max_length=MUNITION_ROWS_MAX)] = None,
    item_qty: Annotated[list[str] | None, Form(max_length=MUNITION_ROWS_MAX)] = None,
    geometry: LongText = "",
    coordinates: LongText = "",
    geometry_file: UploadFile | None = None,
    action: Annotated[str, Form(max_length=20)] = "send",
    replaces: Replaces = None,
) -> Response:
    """Show the area the release would count (``action=preview``), or send it as a
    one-feature submission and show its review page."""
    try:
        view = hazards.hazard_view(session, reference)
    except ImsError as exc:
        return error_page(request, exc.status_code, "Hazard not found", exc.detail)
    properties = {
        "release_id": release_id.strip(),
        "hazard_id": view.reference,
        "method": method,
        "released": released,
        "operator": operator,
        "items": _quantities(item_type or [], item_qty or []),
    }
    state = FormState(values={**properties, "coordinates": coordinates})
    form = {"geometry": geometry, "coordinates": coordinates}
    submission_id = None
    polygon, unread = _polygon(
        state,
        form,
        geometry_file,
        UploadKind.RELEASES,
        RELEASE_FIELDS,
        _file_reader(request, principal),
    )
    if action == "preview":  # kept for the form shown again, checked when it is sent
        state.values.update({"replaces": str(replaces)} if replaces is not None else {})
    elif not _replacing(session, principal, replaces, "release", state, view.reference):
        return _release_form(request, session, principal, view, state, 422)
    record = {
        "kind": UploadKind.RELEASES,
        "what": "release",
        "properties": properties,
        "replaces": replaces,
    }
    try:
        if action == "preview":  # the area it would count: the polygon is what it needs
            if polygon is not None:
                state.preview = _preview(session, state, view.reference, polygon, released, method)
            elif not unread:
                state.add("geometry", "draw the polygon, paste it or choose a file", RELEASE_FIELDS)
        elif not (
            said := _missing(state, polygon, unread, properties, "release_id", RELEASE_FIELDS)
        ):
            submission_id = _staged(
                session, principal, state, RELEASE_FIELDS, geometry=polygon, **record
            )
        else:  # not to be sent: its other errors said with these
            _checked(
                session,
                principal,
                state,
                RELEASE_FIELDS,
                said=said,
                # the hazard's own boundary on the day, which the release lies in whole
                geometry=polygon or boundary_in_force(session, view.reference, released),
                in_force=polygon is None,
                **record,
            )
    except ImsError as exc:
        _error(state, exc, RELEASE_FIELDS)
    if submission_id is None:
        failed = bool(state.errors or state.general)
        return _release_form(request, session, principal, view, state, 422 if failed else 200)
    return RedirectResponse(f"/submissions/{submission_id}", status_code=303)


def _preview(
    session: Session,
    state: FormState,
    reference: str,
    polygon: dict[str, Any],
    released: str,
    method: str,
) -> dict[str, float] | None:
    """The area the release would count (the API's preview), or None with the error."""
    try:
        on = dt.date.fromisoformat(released.strip())
    except ValueError:
        state.add("released", f"{released!r} is not a date (YYYY-MM-DD)", RELEASE_FIELDS)
        return None
    try:
        how = ReleaseMethod.parse(method) if method.strip() else ReleaseMethod.CLEARED
    except ValueError:
        how = ReleaseMethod.CLEARED
    preview = release_preview(
        session, reference, drawn.geometry_from_geojson(polygon), released=on, method=how
    )
    return {k: v for k, v in vars(preview).items() if isinstance(v, float)}
