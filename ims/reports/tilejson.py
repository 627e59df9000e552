"""The vector tiles described for other tools: TileJSON per layer, and a MapLibre style.

    tilejson()  TileJSON 3.0.0 of one layer of ims.reports.tiles (URL template, zooms,
                bounds, the layer's fields)
    style()     a MapLibre (Mapbox GL v8) style drawing all layers with the map's legend

QGIS, MapLibre, OpenLayers and other clients read these to draw the tiles as the map page
does. The colours come from ims.domain.symbology, the map page's own source, so the two
never drift apart. Under location privacy the hazards layer holds counts per grid cell and
the releases layer is refused, as the tiles themselves are.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.domain import symbology
from ims.errors import Forbidden, NotFound
from ims.reports.tiles import LAYERS, POINT_ZOOM, RELEASE_ZOOM

TILEJSON_VERSION = "3.0.0"
# The zoom up to which the server draws new detail: the map page asks for no deeper tile
# (its maxNativeZoom) and clients overzoom beyond it.
MAX_ZOOM = 16

# Each layer's fields, as TileJSON gives them (name -> "Number" or "String").
FIELDS: dict[str, dict[str, str]] = {
    "hazards": {
        "id": "Number",
        "reference": "String",
        "status": "String",
        "contam": "String",
        "remaining_m2": "Number",
        "area_m2": "Number",
        "hazards": "Number",
    },
    "releases": {
        "id": "Number",
        "reference": "String",
        "hazard_reference": "String",
        "method": "String",
        "released": "String",
        "area_m2": "Number",
    },
    "admin1": {
        "id": "Number",
        "code": "String",
        "name": "String",
        "remaining_m2": "Number",
        "hazards": "Number",
    },
}
# Location privacy: open hazards counted per grid cell, no identity.
GENERALISED_FIELDS = {"status": "String", "remaining_m2": "Number", "hazards": "Number"}

DESCRIPTIONS = {
    "hazards": "Remaining hazardous areas: the remaining part of each open hazard at the "
    f"date; below zoom {POINT_ZOOM} points merged within a few pixels (hazards: their count)",
    "releases": f"Released land by method, up to the date (from zoom {RELEASE_ZOOM})",
    "admin1": "Provinces with their remaining area (m²) and open hazards at the date",
}
GENERALISED_DESCRIPTION = "Open hazards counted per grid cell (locations are generalised)"

_BOUNDS = text(
    "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM ("
    " SELECT COALESCE((SELECT ST_Extent(geom) FROM admin_area),"
    "  (SELECT ST_Extent(geom) FROM hazard_revision_in_force))::geometry AS e) x"
)
WORLD = [-180.0, -85.0511, 180.0, 85.0511]


def layers_shown(generalised: bool) -> tuple[str, ...]:
    """The tile layers a caller may draw (no released land under location privacy)."""
    return tuple(layer for layer in LAYERS if not (generalised and layer == "releases"))


def check_layer(layer: str, generalised: bool) -> None:
    """Refuse an unknown layer, and released land under location privacy (as the tiles do)."""
    if layer not in LAYERS:
        raise NotFound(f"no tile layer {layer!r}; the layers are {', '.join(LAYERS)}")
    if generalised and layer == "releases":
        raise Forbidden("location privacy is on: released land is shown to staff who sign in")


def bounds(session: Session) -> list[float]:
    """[west, south, east, north] of the country's admin areas (or of the hazards)."""
    row = session.execute(_BOUNDS).one()
    if row[0] is None:
        return list(WORLD)
    return [round(float(v), 6) for v in row]


def _query(as_of: dt.date | None, contam: str | None) -> str:
    params = {k: v for k, v in (("as_of", as_of and as_of.isoformat()), ("contam", contam)) if v}
    return f"?{urlencode(params)}" if params else ""


def tile_url(base_url: str, layer: str, as_of: dt.date | None, contam: str | None) -> str:
    """The layer's tile URL template (``{z}/{x}/{y}`` left as they are)."""
    base = base_url.rstrip("/")
    return f"{base}/api/v1/tiles/{layer}/{{z}}/{{x}}/{{y}}.pbf{_query(as_of, contam)}"


def tilejson_url(base_url: str, layer: str, as_of: dt.date | None, contam: str | None) -> str:
    """Where the layer's TileJSON is."""
    return f"{base_url.rstrip('/')}/api/v1/tiles/{layer}.json{_query(as_of, contam)}"


def tilejson(
    session: Session,
    layer: str,
    base_url: str,
    *,
    as_of: dt.date | None = None,
    contam: str | None = None,
    generalised: bool = False,
) -> dict[str, Any]:
    """TileJSON 3.0.0 of ``layer``, its tiles showing ``as_of`` (default: the day asked)."""
    check_layer(layer, generalised)
    private = generalised and layer == "hazards"
    west, south, east, north = box = bounds(session)
    minzoom = RELEASE_ZOOM if layer == "releases" else 0
    document: dict[str, Any] = {
        "tilejson": TILEJSON_VERSION,
        "name": f"ims {layer}",
        "description": GENERALISED_DESCRIPTION if private else DESCRIPTIONS[layer],
        "scheme": "xyz",
        "tiles": [tile_url(base_url, layer, as_of, contam)],
        "minzoom": minzoom,
        "maxzoom": MAX_ZOOM,
        "bounds": box,
        "center": [round((west + east) / 2, 6), round((south + north) / 2, 6), 6],
        "vector_layers": [
            {
                "id": layer,
                "description": GENERALISED_DESCRIPTION if private else DESCRIPTIONS[layer],
                "minzoom": minzoom,
                "maxzoom": MAX_ZOOM,
                "fields": dict(GENERALISED_FIELDS if private else FIELDS[layer]),
            }
        ],
    }
    if as_of is not None:
        document["version"] = as_of.isoformat()
    return document


# --------------------------------------------------------------------------- the style

_FALLBACK = "#999999"  # a value no legend entry names (the map page draws it grey too)


def _match(key: str, colours: dict[str, str]) -> list[Any]:
    expression: list[Any] = ["match", ["get", key]]
    for value, colour in colours.items():
        expression += [value, colour]
    return [*expression, _FALLBACK]


def _ramp() -> list[Any]:
    """The province choropleth: remaining km² stepped over the legend's breaks."""
    expression: list[Any] = ["step", ["/", ["get", "remaining_m2"], 1e6]]
    expression.append(symbology.CHOROPLETH_COLOURS[0])
    for brk, colour in zip(
        symbology.CHOROPLETH_BREAKS_KM2, symbology.CHOROPLETH_COLOURS[1:], strict=True
    ):
        expression += [brk, colour]
    return expression


def style(
    base_url: str,
    *,
    as_of: dt.date | None = None,
    contam: str | None = None,
    generalised: bool = False,
    center: list[float] | None = None,
) -> dict[str, Any]:
    """A MapLibre style of every layer the caller may see, drawn as on the map page."""
    shown = layers_shown(generalised)
    sources = {
        layer: {
            "type": "vector",
            "tiles": [tile_url(base_url, layer, as_of, contam)],
            "minzoom": RELEASE_ZOOM if layer == "releases" else 0,
            "maxzoom": MAX_ZOOM,
            "attribution": "ims",
        }
        for layer in shown
    }
    status = _match("status", symbology.STATUS_COLOURS)
    layers: list[dict[str, Any]] = [
        {
            "id": "admin1-fill",
            "type": "fill",
            "source": "admin1",
            "source-layer": "admin1",
            "paint": {
                "fill-color": _ramp(),
                # fades as one zooms in, so hazards and releases keep their contrast
                "fill-opacity": ["step", ["zoom"], 0.55, POINT_ZOOM, 0.3, 12, 0.15],
            },
        },
        {
            "id": "admin1-line",
            "type": "line",
            "source": "admin1",
            "source-layer": "admin1",
            "paint": {
                "line-color": symbology.BOUNDARY_COLOUR,
                "line-width": ["step", ["zoom"], 1, POINT_ZOOM, 2],
                "line-opacity": 0.8,
            },
        },
        {
            "id": "hazards-fill",
            "type": "fill",
            "source": "hazards",
            "source-layer": "hazards",
            "paint": {"fill-color": status, "fill-opacity": 0.7},
        },
        # a dark edge, dashed for a suspected area (one layer each: a dash pattern is not
        # data-driven in every reader), so that the statuses differ in more than colour
        *(
            {
                "id": f"hazards-line-{code.lower()}",
                "type": "line",
                "source": "hazards",
                "source-layer": "hazards",
                "filter": [
                    "all",
                    ["!=", ["geometry-type"], "Point"],
                    ["==", ["get", "status"], code],
                ],
                "paint": {
                    "line-color": symbology.STATUS_EDGES[code],
                    "line-width": 1.5,
                    **(
                        {"line-dasharray": [float(n) for n in dash.split()]}
                        if (dash := symbology.STATUS_DASHES[code])
                        else {}
                    ),
                },
            }
            for code in symbology.STATUS_EDGES
        ),
        {
            "id": "hazards-point",
            "type": "circle",
            "source": "hazards",
            "source-layer": "hazards",
            "filter": ["==", ["geometry-type"], "Point"],
            "paint": {
                # larger where more hazards are merged into one point, as on the map page
                "circle-radius": [
                    "min",
                    7,
                    ["+", 2.5, ["log10", ["+", 1, ["coalesce", ["get", "hazards"], 1]]]],
                ],
                "circle-color": status,
                "circle-opacity": 0.85,
                "circle-stroke-color": _match("status", symbology.STATUS_EDGES),
                "circle-stroke-width": 1,
            },
        },
    ]
    if "releases" in shown:
        method = _match("method", symbology.METHOD_COLOURS)
        layers += [
            {
                "id": "releases-fill",
                "type": "fill",
                "source": "releases",
                "source-layer": "releases",
                "minzoom": RELEASE_ZOOM,
                "filter": ["!=", ["get", "hazard_reference"], ""],
                "paint": {"fill-color": method, "fill-opacity": 0.8},
            },
            {
                "id": "releases-line",
                "type": "line",
                "source": "releases",
                "source-layer": "releases",
                "minzoom": RELEASE_ZOOM,
                "filter": ["!=", ["get", "hazard_reference"], ""],
                "paint": {"line-color": method, "line-width": 0.5},
            },
            # land released outside recorded hazards (no hazard reference): counted apart
            # in Form 1(i), drawn apart, dashed and unfilled, as on ims's own map
            {
                "id": "releases-outside-hazards",
                "type": "line",
                "source": "releases",
                "source-layer": "releases",
                "minzoom": RELEASE_ZOOM,
                "filter": ["==", ["get", "hazard_reference"], ""],
                "paint": {"line-color": method, "line-width": 2, "line-dasharray": [2.5, 2]},
            },
        ]
    document: dict[str, Any] = {
        "version": 8,
        "name": "ims: remaining and released land",
        "metadata": {
            "ims:legend": {
                "status": symbology.STATUS_LABELS,
                "method": symbology.METHOD_LABELS if "releases" in shown else {},
                "province_breaks_km2": list(symbology.CHOROPLETH_BREAKS_KM2),
            },
            "ims:as_of": as_of.isoformat() if as_of else None,
        },
        "sources": sources,
        "layers": layers,
    }
    if center is not None:
        document["center"] = center[:2]
        document["zoom"] = center[2]
    return document


def style_center(session: Session) -> list[float]:
    """[lon, lat, zoom] the style opens at: the middle of the country."""
    west, south, east, north = bounds(session)
    return [round((west + east) / 2, 6), round((south + north) / 2, 6), 6]
