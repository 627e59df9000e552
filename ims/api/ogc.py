"""``/ogc``: OGC API – Features (Part 1: Core, GeoJSON, HTML, OpenAPI 3.0) for GIS tools.

QGIS, ArcGIS, GDAL and OWSLib read ims's hazards, boundaries, releases and admin areas
from here (docs/decisions/0010-ogc-api-features.md). Every route goes through the
permission table like the rest of the API (READ, as the tiles); with location privacy on,
viewers and the public get hazards as counts per grid cell and neither boundaries nor
releases. The figures come from ``ims.queries.ogc``: a date's hazards are those Form 1(h)
counts on that date.

The API definition is written here (``/ogc/api``) rather than taken from FastAPI's: it
states the parameters as the standard does (``bbox`` a list of numbers, ``limit`` up to
10,000), and these routes stay out of ims's own schema at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
import orjson
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute

from ims import __version__
from ims.api.auth import PrincipalDep, generalised
from ims.api.deps import SessionDep
from ims.config import get_settings
from ims.domain.as_of import up_to_today
from ims.domain.enums import Contamination, ReleaseMethod
from ims.errors import Forbidden, InvalidParameter, NotFound
from ims.queries import cql, ogc

router = APIRouter(prefix="/ogc", tags=["ogc"], include_in_schema=False)

GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
DEFAULT_LIMIT = 10  # as the standard's example
MAX_LIMIT = 10_000
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    # Part 5: the schema of each collection's features (QGIS reads its fields from it)
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas",
    # Part 3 and CQL2: QGIS and GDAL send a layer's filter to the server when these are
    # declared; without them they fetched every feature and filtered it themselves
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    # the draft's name of the same class, which QGIS looks for before it sends S_INTERSECTS
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-operators",
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
SCHEMA = "application/schema+json"
SCHEMA_REL = "http://www.opengis.net/def/rel/ogc/1.0/schema"  # OGC API – Features Part 5
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"  # Part 3

COLLECTIONS: dict[str, tuple[str, str]] = {
    "hazards": (
        "Open hazards",
        "Hazards open on the date (datetime=YYYY-MM-DD, default today) with the ground that "
        "remains then: the hazards Article 7 Form 1(h) counts on that date. contam= one kind. "
        "admin1_name is the province a hazard is counted in as a whole: for each province's "
        "figures, where a hazard crosses a border, read admin_areas.",
    ),
    "hazard_boundaries": (
        "Hazard boundaries",
        "Every hazard recorded on the date with its boundary then in force.",
    ),
    "releases": (
        "Land releases",
        "Released land by method and date, with its hazard; datetime filters on the release "
        "date (a date or an interval such as 2021-01-01/2021-12-31 or ../2021-12-31). The "
        "geometry is as surveyed; area_m2 is the ground it released, within its hazard's "
        "ground not released before, which Form 1(i) counts. A release matched by geometry "
        "to several hazards is one feature a hazard (its reference with #1, #2…), without a "
        "stated area.",
    ),
    "admin_areas": (
        "Administrative areas",
        "Provinces (level 1) and districts (level 2) with Form 1(h)'s remaining figures on "
        "the date (level=1|2, contam= one kind, default every kind).",
    ),
}
PRIVATE_COLLECTIONS = ("hazards", "admin_areas")  # what generalised callers may read
CELLS_NOTE = " Locations are generalised: counts of hazards per grid cell."

_COMMON = {"f"}
_ITEM_PARAMS = {
    "hazards": {"datetime", "contam"},
    "hazard_boundaries": {"datetime", "contam"},
    "releases": {"datetime", "contam", "method"},
    "admin_areas": {"datetime", "contam", "level"},
}
_PAGING = {"limit", "offset", "bbox"}
_FILTER = {"filter", "filter-lang", "filter-crs"}
# OGC API Features Part 2's parameters, taken with the one CRS the collections list (a
# client asking for it explicitly had been refused as asking for an unknown parameter)
_CRS = {"crs", "bbox-crs"}
# CQL2 text, and the draft's name of it: GDAL (ogr2ogr -where, ArcGIS Pro through GDAL)
# sends a layer's filter to the server only where the API definition offers "cql-text"
_FILTER_LANGS = ("cql2-text", "cql-text", "cql2-json")

_html = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
_PAGE = _html.from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · ims OGC API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{{ root }}/static/ims.css"></head>
<body><main class="ogc">
<p class="ogc-nav"><a href="{{ root }}/">ims</a> · <a href="{{ root }}/map">Map</a> ·
<a href="{{ root }}/hazards">Hazards</a> · <a href="{{ base }}">OGC API – Features</a></p>
<h1>{{ title }}</h1>
{% if description %}<p>{{ description }}</p>{% endif %}
{% if figures %}<dl>{% for k, v in figures %}<dt>{{ k }}</dt>
<dd>{{ "" if v is none else v }}</dd>{% endfor %}</dl>{% endif %}
{% if rows %}<div class="scroll"><table><thead><tr>
{% for c in columns %}<th scope="col">{{ c }}</th>{% endfor %}</tr></thead><tbody>
{% for row in rows %}<tr>{% for cell in row %}<td>{% if loop.first and cell[1] %}
<a href="{{ cell[1] }}">{{ cell[0] }}</a>{% else %}{{ "" if cell[0] is none else cell[0] }}
{% endif %}</td>
{% endfor %}</tr>{% endfor %}</tbody></table></div>{% endif %}
<h2>Links</h2><ul>{% for link in links %}
<li><a href="{{ link.href }}">{{ link.get("title") or link.rel }}</a>
({{ link.rel }}, {{ link.type }})</li>
{% endfor %}</ul></main></body></html>
"""
)


def _base(request: Request) -> str:
    """The landing page's URL: ``/ogc``, or ``/ogc/on/DATE`` for the links of a dated one."""
    day = request.path_params.get("day")
    dated = f"/on/{day}" if day is not None else ""
    return str(request.base_url).rstrip("/") + router.prefix + dated


def _base_undated(request: Request) -> str:
    return str(request.base_url).rstrip("/") + router.prefix


def _day(request: Request) -> dt.date | None:
    """The date of a dated landing page (``/ogc/on/2021-12-31/…``), the default of every
    collection's ``datetime``: GIS clients such as QGIS and GDAL send none of their own."""
    day = request.path_params.get("day")
    if day is None:
        return None
    try:
        on = dt.date.fromisoformat(day)
    except ValueError:
        raise InvalidParameter(
            f"{day!r} in the address is not a date: give one as /ogc/on/YYYY-MM-DD, "
            "such as /ogc/on/2021-12-31"
        ) from None
    try:
        return up_to_today(on)
    except ValueError as exc:
        raise InvalidParameter(f"/ogc/on/{day}: {exc}") from None


def _wants_html(request: Request) -> bool:
    f = request.query_params.get("f")
    if f is not None:
        if f not in ("json", "html"):
            raise InvalidParameter("f must be json or html")
        return f == "html"
    return prefers_html(request.headers.get("accept", ""))


_JSON_TYPES = ("application/geo+json", "application/json", "application/schema+json")


def prefers_html(accept: str) -> bool:
    """Whether an Accept header ranks HTML above JSON by its q-values (JSON on a tie: the
    API's own); "text/html" anywhere and "json" nowhere had been the test, so
    "application/json;q=0.1, text/html" answered JSON."""
    ranks: dict[str, float] = {}
    for item in accept.split(","):
        kind, *params = (part.strip() for part in item.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        kind = kind.lower()
        if kind:
            ranks[kind] = max(q, ranks.get(kind, 0.0))

    def rank(media: str) -> float:
        major = media.split("/", 1)[0]
        for given in (media, f"{major}/*", "*/*"):
            if given in ranks:
                return ranks[given]
        return 0.0

    html = rank("text/html") if "text/html" in ranks else 0.0  # never by a wildcard alone
    return html > 0 and html > max(rank(t) for t in _JSON_TYPES)


def _check_params(
    request: Request, allowed: set[str], queryables: set[str] | None = None, name: str = ""
) -> None:
    """Every route's first check: its query parameters, and the date in a dated address.
    ``queryables``: the collection's, each a parameter of its own on its items (not listed
    in a refusal: an upload's columns had made every message a list of dozens)."""
    _day(request)
    params = request.query_params
    # a parameter given twice had been read as its last value: status=CHA&status=SHA gave
    # the suspected areas alone (a GIS user's review, helper-101)
    twice = sorted({key for key in params if len(params.getlist(key)) > 1})
    if twice:
        hint = (
            f" (a filter takes several values: filter={twice[0]} IN ('…','…'))"
            if twice[0] in (queryables or set())
            else ""
        )
        raise InvalidParameter(
            f"{twice[0]} is given {len(params.getlist(twice[0]))} times: give it once{hint}"
        )
    for key in sorted(_CRS & set(params) & allowed):
        if params[key] not in (CRS84, "[OGC:CRS84]", "OGC:CRS84"):  # its URI, or as a CURIE
            raise InvalidParameter(
                f"{key} {params[key]!r}: this API gives and reads coordinates in {CRS84} only "
                "(longitude, latitude on WGS84), as each collection's crs says; reproject in "
                "your GIS"
            )
    unknown = sorted(set(params) - allowed - _COMMON - (queryables or set()))
    if unknown:
        said = ", ".join(sorted(allowed | _COMMON))
        if queryables:
            said += (
                f", and the collection's queryables as parameters of their own "
                f"(/ogc/collections/{name}/queryables lists them)"
            )
        raise InvalidParameter(
            f"unknown query parameter {', '.join(unknown)}; this route takes {said}"
        )


def _link(href: str, rel: str, media: str, title: str | None = None) -> dict[str, str]:
    link = {"href": href, "rel": rel, "type": media}
    if title:
        link["title"] = title
    return link


def _self_links(url: str, media: str) -> list[dict[str, str]]:
    """This document as JSON (or GeoJSON) and as HTML."""
    sep = "&" if "?" in url else "?"
    return [
        _link(f"{url}{sep}f=json", "self", media, "this document"),
        _link(f"{url}{sep}f=html", "alternate", "text/html", "this document as HTML"),
    ]


def _answer(
    request: Request,
    document: dict[str, Any],
    media: str,
    *,
    title: str,
    description: str = "",
    columns: list[str] | None = None,
    rows: list[list[tuple[Any, str | None]]] | None = None,
    figures: list[tuple[str, Any]] | None = None,
) -> Response:
    # private: what a caller sees depends on who asks; Accept chooses JSON or HTML
    headers = {"Cache-Control": "private, max-age=60", "Vary": "Accept"}
    if _wants_html(request):
        html = _PAGE.render(
            title=title,
            description=description,
            base=_base(request),
            root=str(request.base_url).rstrip("/"),
            links=document.get("links", []),
            columns=columns or [],
            rows=rows or [],
            figures=figures or [],
        )
        return HTMLResponse(html, headers=headers)
    # orjson: a feature's geometry is the database's GeoJSON text (``ogc._feature``)
    return Response(orjson.dumps(document), media_type=media, headers=headers)


def _visible(principal: Any) -> tuple[str, ...]:
    return PRIVATE_COLLECTIONS if generalised(principal) else tuple(COLLECTIONS)


@router.get("")
def ogc_landing(request: Request) -> Response:
    """The landing page: links to the API definition, the conformance and the collections."""
    _check_params(request, set())
    base = _base(request)
    day = _day(request)
    title = "ims OGC API – Features"
    description = (
        "Hazards, land release and admin areas of the national mine action database, as of "
        "any date: each collection takes datetime=YYYY-MM-DD, or connect to "
        f"{_base_undated(request)}/on/YYYY-MM-DD, where every collection is as of that date."
    )
    if day is not None:
        title += f", as of {day.isoformat()}"
        description = (
            f"Hazards, land release and admin areas of the national mine action database as "
            f"of {day.isoformat()}: the hazards Article 7 Form 1(h) counts on that date, "
            "the boundaries then in force, the releases up to it. A datetime parameter "
            "still chooses another."
        )
    document = {
        "title": title,
        "description": description,
        "links": [
            *_self_links(base, "application/json"),
            _link(f"{base}/api", "service-desc", OPENAPI, "the API definition"),
            _link(f"{base}/api?f=html", "service-doc", "text/html", "the API definition"),
            _link(f"{base}/conformance", "conformance", "application/json", "conformance"),
            _link(f"{base}/collections", "data", "application/json", "the collections"),
        ],
    }
    return _answer(request, document, "application/json", title=title, description=description)


@router.get("/conformance")
def ogc_conformance(request: Request) -> Response:
    """The conformance classes this API implements."""
    _check_params(request, set())
    document = {"conformsTo": CONFORMANCE}
    rows: list[list[tuple[Any, str | None]]] = [[(c, None)] for c in CONFORMANCE]
    document["links"] = _self_links(f"{_base(request)}/conformance", "application/json")  # type: ignore[assignment]
    return _answer(
        request,
        document,
        "application/json",
        title="Conformance",
        columns=["conformance class"],
        rows=rows,
    )


def _collection(request: Request, session: SessionDep, name: str, private: bool) -> dict[str, Any]:
    base = _base(request)
    title, description = COLLECTIONS[name]
    if private and name == "hazards":
        description += CELLS_NOTE
    bbox = ogc.extent(session) or (-180.0, -90.0, 180.0, 90.0)
    extent: dict[str, Any] = {"spatial": {"bbox": [list(bbox)], "crs": CRS84}}
    # Only releases have a time of their own: their datetime filters on the release date.
    # The others' datetime is the date their state is shown as of, and GDAL (as QGIS)
    # turned a filter on any date column of a collection with a temporal extent into
    # datetime: "recorded >= 2020-01-01" on hazards became 400 "a state on one date" and
    # an empty layer (found by a walk-through as a GIS officer). GDAL 3.6 still does, with
    # no temporal extent declared (a review as a GIS officer): that datetime is answered
    # with how to filter on the column instead (in `_items`).
    if name == "releases":
        first, last = ogc.release_dates(session)
        extent["temporal"] = {"interval": [[d.isoformat() if d else None for d in (first, last)]]}
    return {
        "id": name,
        "title": title,
        "description": description,
        "itemType": "feature",
        "crs": [CRS84],
        "extent": extent,
        "links": [
            *_self_links(f"{base}/collections/{name}", "application/json"),
            _link(f"{base}/collections/{name}/items", "items", GEOJSON, f"{title} (GeoJSON)"),
            _link(
                f"{base}/collections/{name}/items?f=html", "items", "text/html", f"{title} (HTML)"
            ),
            _link(f"{base}/collections/{name}/schema", SCHEMA_REL, SCHEMA, f"{title}: fields"),
            _link(
                f"{base}/collections/{name}/feature-schema",
                "describedby",
                SCHEMA,
                f"{title}: a GeoJSON feature",
            ),
            _link(
                f"{base}/collections/{name}/queryables",
                QUERYABLES_REL,
                SCHEMA,
                f"{title}: what a filter may name",
            ),
        ],
    }


@router.get("/collections")
def ogc_collections(request: Request, session: SessionDep, principal: PrincipalDep) -> Response:
    """The collections this caller may read."""
    _check_params(request, set())
    private = generalised(principal)
    collections = [_collection(request, session, n, private) for n in _visible(principal)]
    document = {
        "links": _self_links(f"{_base(request)}/collections", "application/json"),
        "collections": collections,
    }
    rows: list[list[tuple[Any, str | None]]] = [
        [(c["id"], f"{_base(request)}/collections/{c['id']}?f=html"), (c["description"], None)]
        for c in collections
    ]
    return _answer(
        request,
        document,
        "application/json",
        title="Collections",
        columns=["collection", "description"],
        rows=rows,
    )


def _collection_name(name: str, principal: Any) -> str:
    if name not in COLLECTIONS:
        raise NotFound(f"no collection {name!r}; there are {', '.join(COLLECTIONS)}")
    if name not in _visible(principal):
        raise Forbidden(
            "location privacy is on: hazard boundaries and releases are shown to staff who sign in"
        )
    return name


@router.get("/collections/{collection_id}")
def ogc_collection(
    request: Request, session: SessionDep, principal: PrincipalDep, collection_id: str
) -> Response:
    """One collection's description, extent and links."""
    _check_params(request, set())
    name = _collection_name(collection_id, principal)
    document = _collection(request, session, name, generalised(principal))
    return _answer(
        request,
        document,
        "application/json",
        title=document["title"],
        description=document["description"],
    )


@router.get("/collections/{collection_id}/schema")
def ogc_schema(
    request: Request, session: SessionDep, principal: PrincipalDep, collection_id: str
) -> Response:
    """The fields of a collection's features, their types and order (JSON Schema, as OGC API –
    Features Part 5 gives it): QGIS takes a layer's fields from it rather than from the
    first features it reads, where an upload's own column that only later hazards carry
    was missing."""
    _check_params(request, set())
    name = _collection_name(collection_id, principal)
    cells = name == "hazards" and generalised(principal)
    fields = ogc.feature_fields(session, name, cells=cells)
    url = f"{_base(request)}/collections/{name}/schema"
    document = schema_document(url, COLLECTIONS[name][0], fields, point=cells)
    if _wants_html(request):
        rows: list[list[tuple[Any, str | None]]] = [
            [(key, None), (prop.get("format") or prop.get("type"), None)]
            for key, prop in document["properties"].items()
        ]
        return _answer(
            request,
            {"links": _self_links(url, SCHEMA)},
            SCHEMA,
            title=f"{COLLECTIONS[name][0]}: fields",
            columns=["field", "type"],
            rows=rows,
        )
    headers = {"Cache-Control": "private, max-age=60", "Vary": "Accept"}
    return JSONResponse(document, media_type=SCHEMA, headers=headers)


@router.get("/collections/{collection_id}/feature-schema")
def ogc_feature_schema(
    request: Request, session: SessionDep, principal: PrincipalDep, collection_id: str
) -> Response:
    """A collection's features as GeoJSON features (JSON Schema, the fields under
    ``properties``): the describing schema GDAL, and so ArcGIS Pro and ogr2ogr, read."""
    _check_params(request, set())
    name = _collection_name(collection_id, principal)
    cells = name == "hazards" and generalised(principal)
    fields = ogc.feature_fields(session, name, cells=cells)
    base = f"{_base(request)}/collections/{name}"
    inner = schema_document(f"{base}/schema", COLLECTIONS[name][0], fields, point=cells)
    geometry = inner["properties"].pop("geometry")
    document = {
        "$schema": inner["$schema"],
        "$id": f"{base}/feature-schema",
        "title": inner["title"],
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string"},
            "geometry": {"type": "object", **geometry},
            "properties": {"type": "object", "properties": inner["properties"]},
        },
    }
    headers = {"Cache-Control": "private, max-age=60", "Vary": "Accept"}
    return JSONResponse(document, media_type=SCHEMA, headers=headers)


def _queryables(session: SessionDep, principal: Any, name: str) -> dict[str, cql.Queryable]:
    return ogc.queryables(session, name, cells=name == "hazards" and generalised(principal))


_GEOMETRY_SCHEMA = "https://geojson.org/schema/MultiPolygon.json"


@router.get("/collections/{collection_id}/queryables")
def ogc_queryables(
    request: Request, session: SessionDep, principal: PrincipalDep, collection_id: str
) -> Response:
    """What a filter on a collection may name (Part 3), as JSON Schema: each property's
    type, dates as strings of the format "date", and the geometry (a GeoJSON schema's
    address, by which QGIS knows it)."""
    _check_params(request, set())
    name = _collection_name(collection_id, principal)
    url = f"{_base(request)}/collections/{name}/queryables"
    properties: dict[str, Any] = {}
    for key, queryable in _queryables(session, principal, name).items():
        if queryable.kind == cql.GEOMETRY:
            properties[key] = {
                "title": key,
                "$ref": _GEOMETRY_SCHEMA,
                "x-ogc-role": "primary-geometry",
            }
        elif queryable.kind == cql.DATE:
            properties[key] = {"title": key, "type": "string", "format": "date"}
        else:
            properties[key] = {"title": key, "type": queryable.kind}
    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url,
        "title": f"{COLLECTIONS[name][0]}: queryables",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if _wants_html(request):
        rows: list[list[tuple[Any, str | None]]] = [
            [
                (key, None),
                ("geometry" if "$ref" in prop else prop.get("format") or prop["type"], None),
            ]
            for key, prop in properties.items()
        ]
        return _answer(
            request,
            {"links": _self_links(url, SCHEMA)},
            SCHEMA,
            title=f"{COLLECTIONS[name][0]}: queryables",
            description=(
                "A filter on the items names these: filter=status = 'CHA' AND "
                "remaining_m2 > 10000 (CQL2 text), or status=CHA as a parameter of its own."
                if properties
                else "Locations are generalised: the grid cells are not filtered."
            ),
            columns=["queryable", "type"],
            rows=rows,
        )
    headers = {"Cache-Control": "private, max-age=60", "Vary": "Accept"}
    return JSONResponse(document, media_type=SCHEMA, headers=headers)


def _simple(queryables: dict[str, cql.Queryable], name: str) -> set[str]:
    """The queryables that are query parameters of their own (``status=CHA``): each but
    the geometry and those named as one of the route's other parameters."""
    taken = _ITEM_PARAMS[name] | _PAGING | _FILTER | _CRS | _COMMON
    return {k for k, q in queryables.items() if q.kind != cql.GEOMETRY and k not in taken}


def _filter(request: Request, queryables: dict[str, cql.Queryable], simple: set[str]) -> Any:
    """The items' filter as SQL: ``filter`` (CQL2 text) and each queryable given as a
    parameter of its own, joined by AND; None without either."""
    params = request.query_params
    lang = params.get("filter-lang", "cql2-text")
    if lang not in _FILTER_LANGS:
        raise InvalidParameter(f"filter-lang {lang!r}: this API takes cql2-text or cql2-json")
    crs = params.get("filter-crs")
    if crs is not None and crs not in (CRS84, "OGC:CRS84"):
        raise InvalidParameter(f"filter-crs {crs!r}: this API takes {CRS84} (longitude first)")
    try:
        trees = [cql.equals(k, params[k], queryables) for k in sorted(simple) if k in params]
        text = params.get("filter")
        if text is not None:
            if not queryables:
                raise cql.FilterError(
                    "locations are generalised: the grid cells of hazards are not filtered"
                )
            trees.append(cql.parse_json(text) if lang == "cql2-json" else cql.parse_text(text))
        tree = cql.combine(*trees)
        return None if tree is None else cql.to_sql(tree, queryables)
    except cql.FilterError as exc:
        raise InvalidParameter(f"filter: {exc}") from None


def schema_document(url: str, title: str, fields: dict[str, str], *, point: bool) -> dict[str, Any]:
    """A JSON Schema of a feature's properties: each with its type (a date is a string of
    the format "date") and its place (``x-ogc-propertySeq``: a reader may sort the
    members), and the geometry's role and kind."""
    properties: dict[str, Any] = {}
    for seq, (key, kind) in enumerate(fields.items(), start=1):
        prop = {"type": "string", "format": "date"} if kind == "date" else {"type": kind}
        properties[key] = {"title": key, **prop, "x-ogc-propertySeq": seq}
    properties["geometry"] = {
        "x-ogc-role": "primary-geometry",
        "format": "geometry-point" if point else "geometry-multipolygon",
        "x-ogc-propertySeq": len(fields) + 1,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url,
        "title": title,
        "type": "object",
        "properties": properties,
    }


def _date(value: str, what: str) -> dt.date:
    # GDAL sends a date compared in a filter as "2025-01-01T" (QGIS through GDAL too)
    value = value.removesuffix("T") if len(value) == 11 else value
    try:
        if len(value) > 10:  # an RFC 3339 date-time: its date
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidParameter(f"{what} {value!r} is not a date (YYYY-MM-DD)") from None


def _interval(value: str) -> tuple[dt.date | None, dt.date | None]:
    if "/" not in value:
        day = _date(value, "datetime")
        return day, day
    start, _, end = value.partition("/")
    first = None if start in ("", "..") else _date(start, "datetime")
    last = None if end in ("", "..") else _date(end, "datetime")
    if first and last and first > last:
        raise InvalidParameter("datetime: the interval ends before it starts")
    return first, last


def _bbox(value: str) -> ogc.Bbox:
    try:
        numbers = [float(v) for v in value.split(",")]
    except ValueError:
        raise InvalidParameter("bbox takes 4 numbers: minlon,minlat,maxlon,maxlat") from None
    if len(numbers) == 6:  # with heights, which ims has none of
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4 or not all(math.isfinite(n) for n in numbers):
        # "nan" and "inf" are floats too: a box of them had matched nothing, with a 200
        raise InvalidParameter("bbox takes 4 numbers: minlon,minlat,maxlon,maxlat")
    if numbers[1] > numbers[3]:
        raise InvalidParameter(
            f"bbox: its south ({numbers[1]:g}) is north of its north ({numbers[3]:g}); the "
            "order is minlon,minlat,maxlon,maxlat"
        )
    if numbers[0] > numbers[2]:
        raise InvalidParameter(
            f"bbox: its west ({numbers[0]:g}) is east of its east ({numbers[2]:g}); the order "
            "is minlon,minlat,maxlon,maxlat (a box across the antimeridian is not supported)"
        )
    return (numbers[0], numbers[1], numbers[2], numbers[3])


def _int(value: str, what: str, low: int) -> int:
    # digits alone: Python's int() also reads "1_0" as 10, and " 7" or "٣" as numbers
    if not (value.isascii() and value.removeprefix("-").isdigit()):
        raise InvalidParameter(f"{what} must be a whole number")
    number = int(value)
    if number < low:
        raise InvalidParameter(f"{what} must be at least {low}")
    return number


def _query(request: Request, name: str) -> ogc.Query:
    params = request.query_params
    contam = params.get("contam")
    if contam is not None and contam.upper() not in Contamination.__members__:
        raise InvalidParameter(f"contam is one of {', '.join(Contamination)}")
    method = params.get("method")
    if method is not None and method.lower() not in {m.value for m in ReleaseMethod}:
        raise InvalidParameter(f"method is one of {', '.join(ReleaseMethod)}")
    level = params.get("level")
    if level is not None and level not in ("1", "2"):
        raise InvalidParameter("level is 1 (province) or 2 (district)")
    when = params.get("datetime")
    day = _day(request)
    as_of = day or dt.date.today()
    start = None
    end = day  # releases: up to the landing page's date
    if when is not None:
        if name == "releases":
            # within the address's date: GDAL sends a -where on "released" as datetime, and
            # on /ogc/on/2021-12-31 "released >= '2021-01-01'" had listed the releases of
            # every later year too (a GIS user's review)
            start, last = _interval(when)
            end = last if day is None or (last is not None and last < day) else day
        elif "/" in when or when.endswith("T"):
            # GDAL (ogr2ogr, ogrinfo -where) sends a filter on any date column as datetime,
            # an interval or a date ending in "T": for a state on a date ims cannot tell
            # which column was meant, and the date as of would answer a different question
            raise InvalidParameter(
                f"{name} are a state on one date: give datetime=YYYY-MM-DD, not an interval. "
                "GDAL sends a filter on a date column (recorded, marked) as datetime, which "
                "ims cannot apply to a state: filter as GDAL reads, e.g. ogr2ogr -dialect "
                'SQLite -sql "SELECT * FROM hazards WHERE substr(recorded, 1, 10) >= '
                "'2020-01-01'\" (substr keeps GDAL from sending it)"
            )
        else:
            as_of = _date(when, "datetime")
            try:
                up_to_today(as_of)
            except ValueError as exc:
                raise InvalidParameter(f"datetime={when}: {exc}") from None
    bbox = params.get("bbox")
    return ogc.Query(
        as_of=as_of,
        contam=contam.upper() if contam else None,
        bbox=_bbox(bbox) if bbox is not None else None,
        start=start,
        end=end,
        method=method.lower() if method else None,
        level=int(level) if level else None,
    )


def _page(
    session: SessionDep, principal: Any, name: str, query: ogc.Query, limit: int, offset: int
) -> ogc.Page:
    if name == "hazards" and generalised(principal):
        return ogc.hazard_cells(session, query, limit, offset, cell_m=get_settings().generalise_m)
    read = {
        "hazards": ogc.hazards,
        "hazard_boundaries": ogc.hazard_boundaries,
        "releases": ogc.releases,
        "admin_areas": ogc.admin_areas,
    }[name]
    return read(session, query, limit, offset)


def _when(name: str, query: ogc.Query) -> str:
    """The date a page's features are of, in words, for people reading its HTML: a state's
    date, or the releases' dates. Neither had been said, so a hazard of 2015 read as today's."""
    if name != "releases":
        return f"on {query.as_of.isoformat()}"
    if query.start and query.end:
        return f"released {query.start.isoformat()} to {query.end.isoformat()}"
    if query.start:
        return f"released from {query.start.isoformat()}"
    if query.end:
        return f"released up to {query.end.isoformat()}"
    return "every date"


def _rows(
    features: list[dict[str, Any]], items_url: str, state: dict[str, str]
) -> tuple[list[str], list[Any]]:
    """The HTML table of a page; each feature's link keeps the page's ``state`` (its date
    and kind): a hazard of 2015 had been linked to today's, or to a 404 if closed since (a
    GIS user's review)."""
    columns: list[str] = ["id"]
    for feature in features:
        for key in feature["properties"]:
            if key not in columns:
                columns.append(key)
    query = urlencode({**state, "f": "html"})
    rows = [
        [(f["id"], f"{items_url}/{quote(str(f['id']), safe='')}?{query}")]
        + [(f["properties"].get(c), None) for c in columns[1:]]
        for f in features
    ]
    return columns, rows


@router.get("/collections/{collection_id}/items")
def ogc_items(
    request: Request, session: SessionDep, principal: PrincipalDep, collection_id: str
) -> Response:
    """A page of a collection's features (GeoJSON), filtered by ``bbox`` and ``datetime``."""
    name = _collection_name(collection_id, principal)
    queryables = _queryables(session, principal, name)
    simple = _simple(queryables, name)
    _check_params(request, _ITEM_PARAMS[name] | _PAGING | _FILTER | _CRS, set(simple), name)
    params = request.query_params
    limit = min(_int(params.get("limit", str(DEFAULT_LIMIT)), "limit", 1), MAX_LIMIT)
    offset = _int(params.get("offset", "0"), "offset", 0)
    query = dataclasses.replace(_query(request, name), where=_filter(request, queryables, simple))
    page = _page(session, principal, name, query, limit, offset)
    items_url = f"{_base(request)}/collections/{name}/items"
    kept = {k: v for k, v in params.items() if k not in ("offset", "f", "limit")}

    def at(start: int, f: str) -> str:
        return f"{items_url}?{urlencode({**kept, 'limit': limit, 'offset': start, 'f': f})}"

    links = [
        _link(at(offset, "json"), "self", GEOJSON, "this page"),
        _link(at(offset, "html"), "alternate", "text/html", "this page as HTML"),
        _link(f"{_base(request)}/collections/{name}", "collection", "application/json"),
    ]
    if offset + len(page.features) < page.matched:
        links.append(_link(at(offset + limit, "json"), "next", GEOJSON, "the next page"))
        links.append(_link(at(offset + limit, "html"), "next", "text/html", "the next page"))
    if offset > 0:
        links.append(_link(at(max(0, offset - limit), "json"), "prev", GEOJSON, "previous"))
    document = {
        "type": "FeatureCollection",
        "features": page.features,
        "numberMatched": page.matched,
        "numberReturned": len(page.features),
        "timeStamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "links": links,
    }
    state = {k: v for k, v in params.items() if k in _ITEM_PARAMS[name]}
    columns, rows = _rows(page.features, items_url, state)
    cells = name == "hazards" and generalised(principal)
    unit = f"grid cells of {get_settings().generalise_m / 1000:g} km" if cells else "features"
    given = [f"{k}={params[k]}" for k in sorted(simple) if k in params]
    given += [params["filter"]] if "filter" in params else []
    filtered = f", where {' and '.join(given)}" if given else ""
    return _answer(
        request,
        document,
        GEOJSON,
        title=COLLECTIONS[name][0],
        description=f"{page.matched:,} {unit} ({_when(name, query)}{filtered}); "
        f"{offset + 1 if page.features else 0:,}–{offset + len(page.features):,} shown.",
        columns=columns,
        rows=rows,
    )


@router.get("/collections/{collection_id}/items/{feature_id:path}")
def ogc_item(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    collection_id: str,
    feature_id: str,
) -> Response:
    """One feature by its id (a hazard or release reference, ``level-code`` of an area)."""
    name = _collection_name(collection_id, principal)
    _check_params(request, _ITEM_PARAMS[name] | {"crs"})
    query = _query(request, name)
    found = _page(
        session,
        principal,
        name,
        dataclasses.replace(query, feature_id=feature_id),
        1,
        0,
    )
    if not found.features:
        raise NotFound(f"no feature {feature_id!r} in {name} on {query.as_of.isoformat()}")
    feature = dict(found.features[0])
    base = _base(request)
    url = f"{base}/collections/{name}/items/{quote(feature_id, safe='')}"
    state = {k: v for k, v in request.query_params.items() if k in _ITEM_PARAMS[name]}
    if state:  # its own address keeps the date and kind it was found on
        url = f"{url}?{urlencode(state)}"
    feature["links"] = [
        *_self_links(url, GEOJSON),
        _link(f"{base}/collections/{name}", "collection", "application/json"),
    ]
    return _answer(
        request,
        feature,
        GEOJSON,
        title=f"{COLLECTIONS[name][0]}: {feature_id}"
        + ("" if name == "releases" else f" {_when(name, query)}"),
        figures=list(feature["properties"].items()),
    )


@router.get("/api")
def ogc_api(request: Request, session: SessionDep, principal: PrincipalDep) -> Response:
    """The API definition (OpenAPI 3.0)."""
    _check_params(request, set())
    simple = {}
    for name in _visible(principal):
        queryables = _queryables(session, principal, name)
        simple[name] = {k: queryables[k].kind for k in sorted(_simple(queryables, name))}
    document = api_definition(_base(request), simple)
    if _wants_html(request):
        rows: list[list[tuple[Any, str | None]]] = [
            [(path, None), (op["get"]["summary"], None)] for path, op in document["paths"].items()
        ]
        return _answer(
            request,
            {"links": _self_links(f"{_base(request)}/api", OPENAPI)},
            OPENAPI,
            title="API definition",
            columns=["path", "what"],
            rows=rows,
        )
    return JSONResponse(document, media_type=OPENAPI)


def _parameter(name: str, where: str, schema: dict[str, Any], text: str, **more: Any) -> Any:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": schema,
        "description": text,
        **more,
    }


def api_definition(base: str, simple: dict[str, dict[str, str]] | None = None) -> dict[str, Any]:
    """The OpenAPI 3.0 document of ``/ogc``, with the server at ``base``: each collection's
    items with the queryables that are parameters of their own (``simple``, by collection).

    The common parameters are components, referred to: QGIS reads the most features a page
    may hold from ``components/parameters/limit`` and otherwise asked for pages of 100.
    """
    f = _parameter("f", "query", {"type": "string", "enum": ["json", "html"]}, "the format")
    collection = _parameter(
        "collectionId", "path", {"type": "string", "enum": list(COLLECTIONS)}, "a collection"
    )
    feature = _parameter("featureId", "path", {"type": "string"}, "a feature's id")
    limit = _parameter(
        "limit",
        "query",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
        "the most features in a page",
        style="form",
        explode=False,
    )
    offset = _parameter(
        "offset", "query", {"type": "integer", "minimum": 0, "default": 0}, "features skipped"
    )
    bbox = _parameter(
        "bbox",
        "query",
        {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
        "only features whose geometry meets this box (CRS84: minlon,minlat,maxlon,maxlat)",
        style="form",
        explode=False,
    )
    when = _parameter(
        "datetime",
        "query",
        {"type": "string"},
        "hazards, boundaries, admin areas: the state on this date (YYYY-MM-DD, default "
        "today); releases: the release date or an interval (start/end, '..' open)",
        style="form",
        explode=False,
    )
    contam = _parameter(
        "contam", "query", {"type": "string", "enum": list(Contamination)}, "one kind"
    )
    method = _parameter(
        "method", "query", {"type": "string", "enum": list(ReleaseMethod)}, "releases only"
    )
    level = _parameter("level", "query", {"type": "integer", "enum": [1, 2]}, "admin areas")
    json_doc = {"application/json": {"schema": {"type": "object"}}}
    html = {"text/html": {"schema": {"type": "string"}}}
    geojson = {GEOJSON: {"schema": {"type": "object"}}}
    schema_doc = {"schema": {"type": "object"}}

    def get(summary: str, params: list[Any], content: dict[str, Any]) -> dict[str, Any]:
        return {
            "get": {
                "summary": summary,
                "parameters": params,
                "responses": {
                    "200": {"description": summary, "content": {**content, **html}},
                    "400": {"description": "a parameter is wrong"},
                    "401": {"description": "sign in or send an API token"},
                    "404": {"description": "not found"},
                },
            }
        }

    cql2 = _parameter(
        "filter",
        "query",
        {"type": "string"},
        "a filter on the collection's queryables, in CQL2 text: status = 'CHA' AND "
        "remaining_m2 > 10000; or, with filter-lang=cql2-json, in CQL2 JSON: "
        '{"op": "=", "args": [{"property": "status"}, "CHA"]}',
        style="form",
        explode=False,
    )
    cql2_lang = _parameter(
        "filter-lang",
        "query",
        {"type": "string", "enum": list(_FILTER_LANGS), "default": "cql2-text"},
        "the filter's language (cql-text: the same, by the draft's name)",
    )
    cql2_crs = _parameter(
        "filter-crs", "query", {"type": "string", "enum": [CRS84]}, "the filter's geometries' CRS"
    )
    crs = _parameter(
        "crs", "query", {"type": "string", "enum": [CRS84]}, "the features' CRS: CRS84 only"
    )
    bbox_crs = _parameter(
        "bbox-crs", "query", {"type": "string", "enum": [CRS84]}, "the bbox's CRS: CRS84 only"
    )
    common = {
        "f": f,
        "crs": crs,
        "bbox-crs": bbox_crs,
        "limit": limit,
        "offset": offset,
        "bbox": bbox,
        "datetime": when,
        "filter": cql2,
        "filter-lang": cql2_lang,
        "filter-crs": cql2_crs,
    }

    def ref(name: str) -> dict[str, str]:
        return {"$ref": f"#/components/parameters/{name}"}

    paging = [ref(n) for n in ("limit", "offset", "bbox", "datetime")]
    filtering = [ref(n) for n in ("filter", "filter-lang", "filter-crs")]
    filtering.extend([ref("crs"), ref("bbox-crs")])  # (the one CRS: taken, not chosen)
    items = [collection, *paging, contam, method, level, *filtering, ref("f")]
    own = {
        "hazards": [contam],
        "hazard_boundaries": [contam],
        "releases": [contam, method],
        "admin_areas": [contam, level],
    }
    kinds = {"date": {"type": "string", "format": "date"}}
    per_collection = {
        f"/collections/{name}/items": get(
            f"a page of {name}",
            [
                *paging,
                *own[name],
                *filtering,
                *[
                    _parameter(
                        key,
                        "query",
                        kinds.get(kind, {"type": kind}),
                        f"only features whose {key} is this",
                        style="form",
                        explode=False,
                    )
                    for key, kind in fields.items()
                ],
                ref("f"),
            ],
            geojson,
        )
        for name, fields in (simple or {}).items()
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "ims OGC API – Features", "version": __version__},
        "servers": [{"url": base}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "basic": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "a user name and, as the password, an API token",
                },
            },
            "parameters": common,
        },
        "security": [{"bearer": []}, {"basic": []}],
        "paths": {
            "/": get("the landing page", [f], json_doc),
            "/conformance": get("the conformance classes", [f], json_doc),
            "/api": get("this API definition", [f], {OPENAPI: {"schema": {"type": "object"}}}),
            "/collections": get("the collections", [f], json_doc),
            "/collections/{collectionId}": get("one collection", [collection, f], json_doc),
            "/collections/{collectionId}/schema": get(
                "the fields of a collection's features", [collection, f], {SCHEMA: schema_doc}
            ),
            "/collections/{collectionId}/queryables": get(
                "what a filter on a collection's items may name",
                [collection, ref("f")],
                {SCHEMA: schema_doc},
            ),
            "/collections/{collectionId}/items": get("a page of features", items, geojson),
            **per_collection,
            "/collections/{collectionId}/items/{featureId}": get(
                "one feature", [collection, feature, ref("datetime"), contam, ref("f")], geojson
            ),
        },
    }


# The same routes under a dated landing page, ``/ogc/on/YYYY-MM-DD``: a GIS client given
# that address reads every collection as of the date, its links kept under it. Each is
# named after its undated route with ``_on`` (the permission table gives both one rule).
dated = APIRouter(prefix=f"{router.prefix}/on/{{day}}", tags=["ogc"], include_in_schema=False)
for _route in list(router.routes):
    assert isinstance(_route, APIRoute)
    dated.add_api_route(
        _route.path.removeprefix(router.prefix),
        _route.endpoint,
        methods=sorted(_route.methods or ()),
        name=f"{_route.name}_on",
        include_in_schema=False,
    )
