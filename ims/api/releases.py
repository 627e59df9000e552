"""``/api/v1/releases``: land-release results as GeoJSON, filtered and paged."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from shapely.geometry import mapping

from ims.api.auth import PrincipalDep, generalised
from ims.api.deps import SessionDep
from ims.api.hazards import (
    Admin,
    Feature,
    FeatureCollection,
    GeoJSONResponse,
    Limit,
    Offset,
    Operator,
    feature_collection,
)
from ims.domain.enums import ReleaseMethod
from ims.queries.register import DEFAULT_LIMIT, ReleaseFilter, ReleaseRow, releases

router = APIRouter(prefix="/releases", tags=["releases"])

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
        sort=sort or "released",
    )
    page = releases(session, f, limit=limit, offset=offset, geometry=not hidden)
    return feature_collection(
        request, page, [release_feature(row, hidden=hidden) for row in page.rows]
    )
