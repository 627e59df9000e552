"""``/api/v1/tiles``: Mapbox vector tiles of hazards, releases and provinces."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from ims.api.auth import PrincipalDep, generalised
from ims.api.deps import SessionDep
from ims.config import get_settings
from ims.domain import access
from ims.domain.as_of import UP_TO_TODAY
from ims.domain.enums import Contamination
from ims.errors import NotFound
from ims.ingest import submissions
from ims.reports import tilejson, tiles

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
        dt.date | None, Query(description="the date the map shows (default: today)"), UP_TO_TODAY
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


# TileJSON and a MapLibre style, for QGIS and other tools (same access as the tiles). The
# style's path comes first: "style" is no layer.
_AsOf = Annotated[
    dt.date | None,
    Query(description="the date the tiles show (default: the day they are read)"),
    UP_TO_TODAY,
]
_Contam = Annotated[
    Contamination | None, Query(description="one kind of contamination (default: all)")
]
_JSON_HEADERS = {"Cache-Control": "private, max-age=60"}


def _base_url(request: Request) -> str:
    return str(request.base_url)


@router.get("/style.json")
def get_tile_style(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    as_of: _AsOf = None,
    contam: _Contam = None,
) -> JSONResponse:
    """A MapLibre style (v8) drawing every tile layer with the map page's legend.

    Its sources are the tile URLs themselves (absolute, with ``as_of`` and ``contam``);
    with location privacy on, viewers get no released land.
    """
    document = tilejson.style(
        _base_url(request),
        as_of=as_of,
        contam=contam.value if contam else None,
        generalised=generalised(principal),
        center=tilejson.style_center(session),
    )
    return JSONResponse(document, headers=_JSON_HEADERS)


@router.get("/{layer}.json")
def get_tilejson(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    layer: str,
    as_of: _AsOf = None,
    contam: _Contam = None,
) -> JSONResponse:
    """TileJSON 3.0.0 of ``hazards``, ``releases`` or ``admin1``: the tile URL template,
    the zoom range, the bounds of the country and the layer's fields."""
    document = tilejson.tilejson(
        session,
        layer,
        _base_url(request),
        as_of=as_of,
        contam=contam.value if contam else None,
        generalised=generalised(principal),
    )
    return JSONResponse(document, headers=_JSON_HEADERS)
