"""``/api/v1/tiles``: Mapbox vector tiles of hazards, releases and provinces."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from ims.api.auth import PrincipalDep, generalised
from ims.api.deps import SessionDep
from ims.config import get_settings
from ims.domain import access
from ims.domain.enums import Contamination
from ims.errors import NotFound
from ims.ingest import submissions
from ims.reports import tiles

router = APIRouter(prefix="/tiles", tags=["maps"])

MVT = "application/vnd.mapbox-vector-tile"


@router.get(
    "/{layer}/{z}/{x}/{y}.pbf",
    response_class=Response,
    responses={200: {"content": {MVT: {}}, "description": "a vector tile (may be empty)"}},
)
def get_tile(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    layer: str,
    z: int,
    x: int,
    y: int,
    as_of: Annotated[
        dt.date | None, Query(description="the date the map shows (default: today)")
    ] = None,
    contam: Annotated[
        Contamination | None, Query(description="one kind of contamination (default: all)")
    ] = None,
) -> Response:
    """One tile of ``hazards``, ``releases`` or ``admin1`` as it stood at ``as_of``.

    With location privacy on, viewers get hazards as counts per grid cell and no releases.
    """
    private = generalised(principal)
    # Tiles are kept gzipped as well: the app's compression would squeeze each one again.
    gzipped = "gzip" in request.headers.get("accept-encoding", "")
    data = tiles.tile(
        session,
        layer,
        z,
        x,
        y,
        as_of,
        contam=contam.value if contam else None,
        generalise_m=get_settings().generalise_m if private else None,
        compress=gzipped,
    )
    # Short-lived: an approval or a back-dated release can change any date's picture. Private:
    # what a tile shows depends on who asks.
    headers = {"Cache-Control": "private, max-age=60", "Vary": "Accept-Encoding"}
    if gzipped and data:
        headers["Content-Encoding"] = "gzip"
    return Response(data, media_type=MVT, headers=headers)


@router.get(
    "/submissions/{submission_id}/{z}/{x}/{y}.pbf",
    response_class=Response,
    responses={200: {"content": {MVT: {}}, "description": "a vector tile (may be empty)"}},
)
def get_submission_tile(
    session: SessionDep,
    principal: PrincipalDep,
    submission_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    z: int,
    x: int,
    y: int,
) -> Response:
    """One tile (layer ``features``) of a submission's staged features, for its review map.

    Each feature has its ``row`` in the file, its ``reference`` and its worst ``finding``
    (``error``, ``warning`` or empty); below zoom 9 they are points merged within a few
    pixels, with a ``features`` count.
    """
    sub = submissions.get_submission(session, submission_id)
    if not access.may_see_submission(principal, sub.organisation_id):
        raise NotFound(f"submission {submission_id} does not exist")
    data = tiles.submission_tile(session, submission_id, z, x, y)
    return Response(data, media_type=MVT, headers={"Cache-Control": "private, max-age=60"})
