"""``/api/v1/releases``: land-release results as GeoJSON, filtered and paged."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from shapely.geometry import mapping

from ims.api.auth import PrincipalDep, caller_of, generalised
from ims.api.deps import SessionDep
from ims.api.hazards import (
    Admin,
    ExportFormat,
    Feature,
    FeatureCollection,
    GeoJSONResponse,
    Limit,
    Offset,
    Operator,
    feature_collection,
    sent_as_made,
)
from ims.db.withdrawals import withdrawal_effect
from ims.domain.enums import Contamination, ReleaseMethod
from ims.errors import Forbidden
from ims.files import export_turn
from ims.ingest import approval
from ims.queries import register_files
from ims.queries.register import DEFAULT_LIMIT, ReleaseFilter, ReleaseRow, releases

router = APIRouter(prefix="/releases", tags=["releases"])
collection = APIRouter(tags=["releases"])  # /releases.{fmt}: no path below the prefix

# What a reader who sees generalised locations gets of a release.
GENERAL = (
    "contamination",
    "method",
    "released",
    "operator",
    "area_m2",
    "admin1_code",
    "admin1_name",
    "admin2_code",
    "admin2_name",
)


def release_feature(row: ReleaseRow, *, hidden: bool) -> Feature:
    """One release as a Feature (no polygon, references or own columns if generalised)."""
    if hidden:
        props = row.properties()
        return Feature(geometry=None, properties={k: props[k] for k in GENERAL})
    return Feature(
        id=row.release_id,
        geometry=dict(mapping(row.geometry)) if row.geometry is not None else None,
        properties=row.properties(),
    )


@router.get("", response_model=FeatureCollection, response_class=GeoJSONResponse)
def list_releases(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    start: Annotated[
        dt.date | None, Query(alias="from", description="released on or after")
    ] = None,
    end: Annotated[dt.date | None, Query(alias="to", description="released on or before")] = None,
    method: Annotated[
        ReleaseMethod | None, Query(description="cancelled, reduced or cleared")
    ] = None,
    operator: Operator = None,
    admin: Admin = None,
    hazard_id: Annotated[str | None, Query(max_length=100, description="the hazard's")] = None,
    contamination: Contam = None,
    sort: Annotated[
        str,
        Query(
            max_length=40,
            description="released, release_id, hazard_id, method, area_m2 or operator; "
            "a leading - sorts descending",
        ),
    ] = "released",
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> FeatureCollection:
    """Releases, each with the area the ledger counts it releasing and its polygon as sent.

    ``admin``: the releases that released ground in that area, or whose items are counted
    there, as the Article 7 tables count them.
    """
    hidden = generalised(principal)
    f = ReleaseFilter(
        start=start,
        end=end,
        method=method,
        operator=operator or None,
        admin=admin or None,
        hazard_id=hazard_id or None,
        contamination=contamination,
        sort=sort or "released",
    )
    page = releases(session, f, limit=limit, offset=offset, geometry=not hidden)
    return feature_collection(
        request, page, [release_feature(row, hidden=hidden) for row in page.rows]
    )


Start = Annotated[dt.date | None, Query(alias="from", description="released on or after")]
End = Annotated[dt.date | None, Query(alias="to", description="released on or before")]
Method = Annotated[ReleaseMethod | None, Query(description="cancelled, reduced or cleared")]
HazardId = Annotated[str | None, Query(max_length=100, description="the hazard's")]
Contam = Annotated[
    Contamination | None, Query(description="its hazard's kind of contamination (default: all)")
]


def export_stem(f: ReleaseFilter) -> str:
    """The file's name without its extension: every filter chosen, in ASCII (a header's
    value is Latin-1: an operator named in Lao stays out of it); up to today where no end
    is chosen, as the hazards' files carry their date (two days' files had had one name)."""
    parts = [
        "releases",
        f"from-{f.start.isoformat()}" if f.start else None,
        f"to-{(f.end or dt.date.today()).isoformat()}",
        f.method.value if f.method else None,
        f.contamination.value if f.contamination else None,
        f.operator,
        f.admin,
        f.hazard_id,
    ]
    return register_files.file_stem(parts)


@collection.get(
    "/releases.{fmt}",
    response_class=Response,
    responses={
        200: {
            "content": {t.split(";")[0]: {} for t in register_files.MEDIA_TYPES.values()},
            "description": "every release the filter matches, as a file",
        }
    },
)
def export_releases(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    fmt: Annotated[
        ExportFormat, Path(description="gpkg, zip (shapefile), kml, geojson, csv, xlsx")
    ],
    start: Start = None,
    end: End = None,
    method: Method = None,
    operator: Operator = None,
    admin: Admin = None,
    hazard_id: HazardId = None,
    contamination: Contam = None,
) -> Response:
    """The releases as a file, every one the filter matches, no limit: an operator's data
    manager takes theirs (``operator``) to reconcile or to QGIS. Each with the area the
    ledger counts it releasing (``area_m2``), what lay outside its hazard, the area the
    operator stated, its items (``TYPE:QTY;…``) and its polygon as sent (EPSG:4326).
    Not where locations are generalised."""
    if generalised(principal):
        raise Forbidden("release files are not open where locations are generalised")
    f = ReleaseFilter(
        start=start,
        end=end,
        method=method,
        operator=operator or None,
        admin=admin or None,
        hazard_id=hazard_id or None,
        contamination=contamination,
    )

    stem = export_stem(f)
    # a national file holds hundreds of MB while it is made
    turn = export_turn(caller_of(principal, request), session.commit)
    return sent_as_made(
        f"{stem}.{fmt}",
        register_files.MEDIA_TYPES[fmt],
        turn,
        lambda: (
            releases(session, f, limit=None).rows,
            register_files.register_names(session, register_files.RELEASES),
        ),
        lambda got: (
            register_files.write(got[0], fmt, stem, register_files.RELEASES, got[1]).content
        ),
        session,
    )


class Recounted(BaseModel):
    """Another release of the hazard whose counted area changes with the withdrawal."""

    release: str
    released: dt.date
    counted_m2: float
    counted_after_m2: float


class WithdrawalPublic(BaseModel):
    """What withdrawing a release changes (or changed), as the ledger counts it."""

    release: str
    hazard: str
    method: str
    released: dt.date
    counted_m2: float = Field(description="what the release counts before it is withdrawn")
    items: dict[str, int] = Field(description="its items, no longer destroyed in Form 1(i)")
    remaining_m2: float = Field(description="the hazard's remaining area today, before")
    remaining_after_m2: float = Field(description="and after the withdrawal")
    recounted: list[Recounted] = Field(
        description="later releases that count the ground it had released first"
    )
    years: list[int] = Field(description="the years whose figures change")
    finalised_years: list[int] = Field(
        description="finalised reports of those years or later: they list it as a correction"
    )


class Withdraw(BaseModel):
    """Why the release is withdrawn: kept with it, shown on its hazard's page."""

    reason: str = Field(min_length=1, max_length=2000, pattern=r"^[^\x00]*$")


ReleaseRef = Annotated[str, Path(max_length=100, description="the release's reference")]


@router.get("/{reference:path}/withdrawal", response_model=WithdrawalPublic)
def get_withdrawal_effect(
    session: SessionDep, principal: PrincipalDep, reference: ReleaseRef
) -> WithdrawalPublic:
    """What withdrawing the release would change; nothing is written (404 for an unknown
    release, 409 for one withdrawn already)."""
    return WithdrawalPublic(**withdrawal_effect(session, reference).as_dict())


@router.post("/{reference:path}/withdrawal", status_code=201, response_model=WithdrawalPublic)
def withdraw_release(
    session: SessionDep, principal: PrincipalDep, reference: ReleaseRef, body: Withdraw
) -> WithdrawalPublic:
    """Withdraw an approved release recorded in error (docs/design.md §2.8): it is kept,
    with the reason, and nothing counts it from now on; its hazard's figures are counted
    again without it, for every date. Reviewers only; audited."""
    done = approval.withdraw_release(
        session, reference, reason=body.reason, by=principal.actor if principal else None
    )
    session.commit()
    return WithdrawalPublic(**done.as_dict())
