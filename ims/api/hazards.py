"""``/api/v1/hazards``: the hazard register (GeoJSON, and files for field teams), and one
hazard as in force on a date, as the hazard page shows it (or as a GeoJSON Feature)."""

from __future__ import annotations

import contextlib
import datetime as dt
import weakref
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from shapely.geometry import mapping
from sqlalchemy.orm import Session

from ims.api.auth import PrincipalDep, caller_of, generalised
from ims.api.deps import SessionDep
from ims.db import own_columns
from ims.db.withdrawals import hazard_withdrawal_effect
from ims.domain.as_of import UP_TO_TODAY
from ims.domain.enums import Contamination, HazardStatus
from ims.errors import Forbidden, NotFound
from ims.files import export_turn
from ims.ingest import approval
from ims.queries import register_files
from ims.queries.hazards import hazard_view
from ims.queries.register import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    HazardRow,
    Page,
    RegisterFilter,
    close_matches,
    register,
)

T = TypeVar("T")  # the rows a file is made from

router = APIRouter(prefix="/hazards", tags=["hazards"])
# The register and its files: /hazards and /hazards.{format}, beside /hazards/{reference}.
collection = APIRouter(tags=["hazards"])

GEOJSON = "application/geo+json"


class GeoJSONResponse(JSONResponse):
    """JSON sent as GeoJSON (RFC 7946)."""

    media_type = GEOJSON


class Feature(BaseModel):
    """A GeoJSON Feature: geometry in EPSG:4326 (null where locations are generalised)."""

    type: Literal["Feature"] = "Feature"
    id: str | None = None
    geometry: dict[str, Any] | None
    properties: dict[str, Any]


class Link(BaseModel):
    """A link to this page or the next (OGC API style)."""

    href: str
    rel: str
    type: str = GEOJSON


class FeatureCollection(BaseModel):
    """A page of features, with how many match in all and the link to the next page."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[Feature]
    links: list[Link]
    numberMatched: int  # noqa: N815 (the OGC API name)
    numberReturned: int  # noqa: N815
    timeStamp: str  # noqa: N815


AsOf = Annotated[
    dt.date | None,
    Query(description="the date the register is of (default today)"),
    UP_TO_TODAY,
]
Admin = Annotated[
    str | None,
    Query(max_length=32, description="an admin area code (any level): the hazards counted there"),
]
Status = Annotated[HazardStatus | None, Query(description="SHA or CHA")]
Contam = Annotated[Contamination | None, Query(description="contamination kind")]
Operator = Annotated[str | None, Query(max_length=200, description="organisation name")]
Open = Annotated[
    bool, Query(description="only hazards with ground remaining (at least 1 m²) on the date")
]
Text = Annotated[
    str | None,
    Query(max_length=200, description="text in the reference or the upload's own columns"),
]
Sort = Annotated[
    str,
    Query(
        max_length=40,
        description="hazard_id, status, contamination, remaining_m2, boundary_m2, recorded, "
        "operator, admin1_name, admin2_name or marked; a leading - sorts descending",
    ),
]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="features per page")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="features to skip")]


def register_filter(
    as_of: dt.date | None,
    admin: str | None,
    status: HazardStatus | None,
    contamination: Contamination | None,
    operator: str | None,
    open_only: bool,
    q: str | None,
    sort: str,
) -> RegisterFilter:
    """The register's filter from its query parameters (blank text: no filter)."""
    return RegisterFilter(
        as_of=as_of or dt.date.today(),
        admin=admin or None,
        status=status,
        contamination=contamination,
        operator=operator or None,
        open=open_only,
        q=(q or "").strip() or None,
        sort=sort or "hazard_id",
    )


def hazard_feature(row: HazardRow, *, hidden: bool) -> Feature:
    """One hazard as a Feature; where locations are generalised, without its geometry,
    reference or the upload's own columns (a village is a location)."""
    if hidden:
        props = {k: v for k, v in row.properties().items() if k in own_columns.COLUMNS}
        props["hazard_id"] = None
        return Feature(id=None, geometry=None, properties=props)
    return Feature(
        id=row.hazard_id,
        geometry=dict(mapping(row.geometry)) if row.geometry is not None else None,
        properties=row.properties(),
    )


def feature_collection(
    request: Request, page: Page[Any], features: list[Feature]
) -> FeatureCollection:
    """The page as a FeatureCollection with its self and next links."""
    links = [Link(href=str(request.url), rel="self")]
    if page.next_offset is not None:
        links.append(
            Link(href=str(request.url.include_query_params(offset=page.next_offset)), rel="next")
        )
    return FeatureCollection(
        features=features,
        links=links,
        numberMatched=page.matched,
        numberReturned=len(features),
        timeStamp=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )


@collection.get("/hazards", response_model=FeatureCollection, response_class=GeoJSONResponse)
def list_hazards(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    as_of: AsOf = None,
    admin: Admin = None,
    status: Status = None,
    contamination: Contam = None,
    operator: Operator = None,
    open: Open = True,
    q: Text = None,
    sort: Sort = "hazard_id",
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> FeatureCollection:
    """The hazard register: every hazard as in force on ``as_of``, filtered, a page of them.

    Each Feature's geometry is the ground that remains on the date; its properties are
    the register's columns, then the upload's own. A hazard is in an admin area as the
    Article 7 tables count it, and ``remaining_m2`` is the ledger's, so the register's
    counts and areas are the report's. Where locations are generalised for the reader,
    there are no geometries, references or text search.
    """
    hidden = generalised(principal)
    if hidden and q:
        raise Forbidden("searching hazards by text is not open where locations are generalised")
    f = register_filter(as_of, admin, status, contamination, operator, open, q, sort)
    page = register(session, f, limit=limit, offset=offset, geometry=not hidden)
    return feature_collection(
        request, page, [hazard_feature(row, hidden=hidden) for row in page.rows]
    )


ExportFormat = Literal["gpkg", "zip", "kml", "geojson", "csv", "xlsx"]


def export_stem(f: RegisterFilter) -> str:
    """The file's name, without its extension: the date and every filter chosen, so that
    an export of ERW in one province is not saved under the name of the whole register."""
    parts = [
        "hazards",
        f.as_of.isoformat(),
        f.admin,
        f.contamination.value if f.contamination else None,
        f.status.value if f.status else None,
        f.operator,
        None if f.open else "with-closed",
        f"matching-{f.q}" if f.q else None,
    ]
    return register_files.file_stem(parts)


@collection.get(
    "/hazards.{fmt}",
    response_class=Response,
    responses={
        200: {
            "content": {t.split(";")[0]: {} for t in register_files.MEDIA_TYPES.values()},
            "description": "every hazard the filter matches, as a file",
        }
    },
)
def export_hazards(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    fmt: Annotated[
        ExportFormat, Path(description="gpkg, zip (shapefile), kml, geojson, csv, xlsx")
    ],
    as_of: AsOf = None,
    admin: Admin = None,
    status: Status = None,
    contamination: Contam = None,
    operator: Operator = None,
    open: Open = True,
    q: Text = None,
    sort: Sort = "hazard_id",
    geometry: Annotated[
        Literal["remaining", "boundary"],
        Query(
            description="remaining: the ground that remains on the date (default); boundary: "
            "the boundary then in force, to revise in a GIS and send back"
        ),
    ] = "remaining",
) -> Response:
    """The register as a file for field teams: every hazard the filter matches, no limit.

    Geometries are the remaining ground on the date (EPSG:4326), or with
    ``geometry=boundary`` the boundaries then in force, with the estimates in force
    (``munitions``) and an empty ``revised`` to fill before sending it back; a shapefile
    comes zipped with its ``.prj`` and a UTF-8 ``.cpg``. Not where locations are
    generalised.
    """
    if generalised(principal):
        raise Forbidden("hazard files are not open where locations are generalised")
    f = register_filter(as_of, admin, status, contamination, operator, open, q, sort)
    boundaries = geometry == "boundary"
    stem = export_stem(f) + ("-boundaries" if boundaries else "")

    # a national file holds 150–300 MB while it is made
    turn = export_turn(caller_of(principal, request), session.commit)
    return sent_as_made(
        f"{stem}.{fmt}",
        register_files.MEDIA_TYPES[fmt],
        turn,
        # the own columns named among the whole register's, as the OGC API names them
        lambda: (
            register(session, f, limit=None, boundaries=boundaries).rows,
            register_files.register_names(session),
        ),
        lambda got: (
            (
                register_files.write(
                    [register_files.Boundary(row) for row in got[0]],
                    fmt,
                    stem,
                    register_files.BOUNDARIES,
                    got[1],
                )
                if boundaries
                else register_files.write(got[0], fmt, stem, names=got[1])
            ).content
        ),
        session,
    )


def sent_as_made(
    filename: str,
    media_type: str,
    turn: contextlib.AbstractContextManager[None],
    fetch: Callable[[], T],
    write: Callable[[T], bytes],
    session: Session,
) -> StreamingResponse:
    """A register or release file whose download starts once its rows are read and whose
    bytes follow when the file is made: a national file took 5–60 s to make, and the
    browser had shown nothing at all meanwhile, so people clicked again (a walk-through at
    national scale).

    The turn (``ims.files.export_turn``) is taken first and the rows read before anything
    is sent, so that a busy server still answers 503 and a filter the rows refuse 422.
    Then the request's database connection goes back to the pool: forty downloads that
    nobody read had held forty connections, the whole pool, and every page answered 500
    (an attack on these changes before release). The turn is held until the file is sent, or
    until the response is dropped unsent, so a caller's unread downloads count."""
    held = contextlib.ExitStack()
    held.enter_context(turn)
    try:
        rows = fetch()
        session.commit()  # read only: ends the transaction and hands the connection back
    except BaseException:
        held.close()
        raise

    def body() -> Iterator[bytes]:
        yield b""  # the headers go now: the download shows as under way
        yield write(rows)

    response = _HeldWhileSent(
        body(),
        held,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
    # a response never sent (its body ends before it is sent, so not the body's end)
    weakref.finalize(response, held.close)
    return response


class _HeldWhileSent(StreamingResponse):
    """A streamed answer that holds what it was given (an export's turn) until it has been
    sent whole, or its sending failed: a reader that reads nothing keeps it."""

    def __init__(self, content: Iterator[bytes], held: contextlib.ExitStack, **kw: Any) -> None:
        super().__init__(content, **kw)
        self._held = held

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._held.close()


class TimelineEvent(BaseModel):
    """A revision or release of the hazard, in the ledger's order."""

    date: dt.date
    what: str = Field(
        description="recorded, revised, marked (a marking dated after the record that gave "
        "it), cancelled, reduced or cleared"
    )
    detail: str
    change_m2: float = Field(description="the change to the remaining area it made")
    remaining_m2: float | None = Field(description="the remaining area after it")
    by: str = Field(description="the organisation")


class Quantity(BaseModel):
    """A number of items of one munition type."""

    type: str
    quantity: int


class Withdrawn(BaseModel):
    """When, by whom and why a record was withdrawn as recorded in error."""

    withdrawn_at: dt.datetime
    withdrawn_by: str | None
    reason: str


class WithdrawnRelease(Withdrawn):
    """A release of the hazard withdrawn as recorded in error."""

    release: str
    method: str
    released: dt.date


class HazardPublic(BaseModel):
    """A hazard as in force on ``as_of`` (today when not given): figures, timeline, items.

    The geometries (GeoJSON, EPSG:4326) are absent for readers who see generalised
    locations only (IMS_LOCATION_PRIVACY).
    """

    reference: str
    contam: str
    status: str | None
    as_of: dt.date | None
    closed: bool = Field(description="less than 1 m² remains (docs/design.md §2.5)")
    figures: dict[str, float] = Field(description="area_m2, remaining_m2, and m² per method")
    location: dict[str, str | None] = Field(
        default_factory=dict,
        description="province and district it is counted in, and its operator, on the date",
    )
    timeline: list[TimelineEvent]
    estimates: list[Quantity] = Field(description="estimated remnants in force")
    used_from: int | None = Field(default=None, description="first year of use, as in force")
    used_to: int | None = Field(default=None, description="last year of use, as in force")
    destroyed: list[Quantity] = Field(description="items found and destroyed by its releases")
    attributes: dict[str, Any] = Field(description="the operator's own columns, as sent")
    release_attributes: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="each release's own columns, by its reference"
    )
    boundary: dict[str, Any] | None = Field(description="the boundary in force")
    remaining: dict[str, Any] | None = Field(description="the ground that remains")
    releases: list[dict[str, Any]] = Field(description="what each release released (Features)")
    withdrawn: Withdrawn | None = Field(
        default=None,
        description="set when the hazard was withdrawn as recorded in error (docs/design.md "
        "§2.9): it counts in no figure on any date",
    )
    withdrawn_releases: list[WithdrawnRelease] = Field(
        default_factory=list,
        description="its releases withdrawn as recorded in error (§2.8): none of them counts",
    )


class HazardWithdrawalPublic(BaseModel):
    """What withdrawing a hazard changes (or changed): all it counts, on every date."""

    hazard: str
    contam: str
    status: str | None = Field(description="its status today, before")
    recorded: dt.date = Field(description="the date it takes effect from")
    revisions: int = Field(description="its revisions, kept and no longer counted")
    area_m2: float = Field(description="its boundary in force today")
    remaining_m2: float = Field(description="its remaining area today: nothing after")
    overlaps: list[str] = Field(
        description="hazards in force it shares ground with (the one it repeats, often)"
    )
    years: list[int] = Field(description="the years whose figures change")
    finalised_years: list[int] = Field(
        description="finalised reports of those years: they list it as a correction"
    )
    made_from_outside: str | None = Field(
        None,
        description="the record of land released outside recorded hazards it was made "
        "from, if it was: withdrawn, the hazard gives that record back its count apart",
    )
    outside_m2: float = Field(
        0.0,
        description="what that record counts again in Form 1(i) of its year: its ground no "
        "other record of such land released by that year's end",
    )
    outside_released: dt.date | None = Field(None, description="that record's release date")
    outside_later_m2: dict[str, float] = Field(
        default_factory=dict,
        description="by year: what later records of such land count less, that record's "
        "ground counted again before theirs",
    )


class WithdrawHazard(BaseModel):
    """Why the hazard is withdrawn: kept with it, shown on its page."""

    reason: str = Field(min_length=1, max_length=2000, pattern=r"^[^\x00]*$")


HazardRef = Annotated[str, Path(max_length=100, description="the hazard's reference")]


@router.get("/{reference:path}/withdrawal", response_model=HazardWithdrawalPublic)
def get_hazard_withdrawal_effect(
    session: SessionDep, principal: PrincipalDep, reference: HazardRef
) -> HazardWithdrawalPublic:
    """What withdrawing the hazard would change; nothing is written (404 for an unknown
    hazard, 409 for one withdrawn already or with releases in force)."""
    return HazardWithdrawalPublic(**hazard_withdrawal_effect(session, reference).as_dict())


@router.post("/{reference:path}/withdrawal", status_code=201, response_model=HazardWithdrawalPublic)
def withdraw_hazard(
    session: SessionDep, principal: PrincipalDep, reference: HazardRef, body: WithdrawHazard
) -> HazardWithdrawalPublic:
    """Withdraw a hazard recorded in error, such as the same hazard recorded twice
    (docs/design.md §2.9): it is kept, with the reason, and nothing counts it on any date.
    Refused while any of its releases is in force. Reviewers only; audited."""
    done = approval.withdraw_hazard(
        session, reference, reason=body.reason, by=principal.actor if principal else None
    )
    session.commit()
    return HazardWithdrawalPublic(**done.as_dict())


@router.get(
    "/{reference:path}",
    response_model=HazardPublic,
    responses={200: {"content": {GEOJSON: {}}, "description": "JSON, or a GeoJSON Feature"}},
)
def get_hazard(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    reference: str,
    as_of: Annotated[
        dt.date | None, Query(description="the state in force then"), UP_TO_TODAY
    ] = None,
    f: Annotated[
        Literal["json", "geojson"] | None,
        Query(description="geojson: a Feature with its timeline (as Accept: application/geo+json)"),
    ] = None,
) -> Any:
    """One hazard by reference (it may hold slashes), as in force now or on ``as_of``.

    As a GeoJSON Feature (``f=geojson``, or ``Accept: application/geo+json``): the
    register's properties with the timeline, the remaining ground as its geometry.
    An unknown reference answers 404 with the close matches (``close_matches``).
    """
    hidden = generalised(principal)
    try:
        view = hazard_view(session, reference, as_of)
    except NotFound:
        # references are not listed where locations are generalised: none are suggested
        matches = [] if hidden else close_matches(session, reference)
        hint = f"; did you mean {', '.join(matches)}?" if matches else ""
        raise NotFound(f"no hazard {reference!r}{hint}", close_matches=matches) from None
    if hidden:
        view = view.generalised()
    wants_geojson = f == "geojson" or (f is None and GEOJSON in request.headers.get("accept", ""))
    if wants_geojson:
        return _hazard_feature(session, view, as_of, hidden)
    return HazardPublic(
        reference=view.reference,
        contam=view.contam,
        status=view.status,
        as_of=view.as_of,
        closed=view.closed,
        figures=view.figures,
        location=view.location,
        timeline=[
            TimelineEvent(**{k: event[k] for k in TimelineEvent.model_fields})
            for event in view.timeline
        ],
        estimates=[Quantity(type=t, quantity=q) for t, q in view.estimates],
        used_from=view.used[0],
        used_to=view.used[1],
        destroyed=[Quantity(type=t, quantity=q) for t, q in view.destroyed],
        attributes=view.attributes,
        release_attributes=view.release_attributes,
        boundary=view.boundary,
        remaining=view.remaining,
        releases=view.releases,
        withdrawn=Withdrawn(**view.withdrawn) if view.withdrawn else None,
        withdrawn_releases=[WithdrawnRelease(**w) for w in view.withdrawn_releases],
    )


def _hazard_feature(session: Any, view: Any, as_of: dt.date | None, hidden: bool) -> Response:
    """The hazard as a GeoJSON Feature with its timeline."""
    on = as_of or dt.date.today()
    rows = register(
        session, RegisterFilter(as_of=on, open=False, hazard_id=view.reference), limit=1
    ).rows
    timeline = [
        TimelineEvent(**{k: event[k] for k in TimelineEvent.model_fields}).model_dump(mode="json")
        for event in view.timeline
    ]
    if rows:
        feature = hazard_feature(rows[0], hidden=hidden)
    else:  # not in force on the date (recorded later)
        feature = Feature(
            id=None if hidden else view.reference,
            geometry=None,
            properties={
                "hazard_id": None if hidden else view.reference,
                "status": view.status,
                "contamination": view.contam,
                "remaining_m2": view.figures["remaining_m2"],
            },
        )
    feature.properties["hazard_id"] = view.reference  # the caller named it already
    feature.id = view.reference
    feature.properties["as_of"] = on.isoformat()
    feature.properties["closed"] = view.closed
    feature.properties["timeline"] = timeline
    return GeoJSONResponse(feature.model_dump(mode="json"))
