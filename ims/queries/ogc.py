"""What ``/ogc`` (OGC API – Features) reads: hazards, boundaries, releases and admin areas.

Each collection is one query that gives GeoJSON features (EPSG:4326, geometry as
``ST_AsGeoJSON``) a page at a time, with the number matched:

- ``hazards``: the hazards open on a date (remaining ≥ ``OPEN_THRESHOLD_M2``), the state
  each hazard's ledger gives then (``hazard_period``, migration 0016: the same state as
  Form 1(h), tests/reports/test_map_state.py) with the ground remaining then as geometry;
  counted in the admin areas the ledger counts them in. With location privacy
  (``generalise_m``) grid cells of that size instead: points with a count, no reference.
- ``hazard_boundaries``: every hazard recorded on the date, with its boundary then in force.
- ``releases``: release polygons with method, date and hazard, filtered on their date.
- ``admin_areas``: the admin areas of each level with Form 1(h)'s remaining figures on the
  date (remaining m² and open hazards, SHA and CHA), summed from the ledger as the report
  sums them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.db.own_columns import HAZARD_NAMES_TAKEN, own_names
from ims.domain.figures import OPEN_THRESHOLD_M2, clean_area
from ims.domain.polygons import without_slivers_sql
from ims.queries import cql
from ims.queries.cql import Queryable
from ims.queries.register import MARKED_THEN
from ims.queries.register_files import register_names
from ims.reports.kept import kept

COLLECTIONS = ("hazards", "hazard_boundaries", "releases", "admin_areas")
# Decimals of a coordinate: as stored. Rounded to 7 (1 cm), 7 % of a national database's
# remaining ground came out invalid (a part left by a release a hair's breadth wide, its
# two sides rounded onto each other), and QGIS's processing stops at an invalid feature.
DIGITS = 15

Bbox = tuple[float, float, float, float]


@dataclass(frozen=True)
class Page:
    """One page of a collection's features and how many match in all."""

    features: list[dict[str, Any]]
    matched: int


@dataclass(frozen=True)
class Query:
    """The filters of an items request (None: not filtered)."""

    as_of: dt.date
    contam: str | None = None
    bbox: Bbox | None = None
    start: dt.date | None = None  # releases: the first and last release dates
    end: dt.date | None = None
    method: str | None = None  # releases
    level: int | None = None  # admin_areas
    feature_id: str | None = None  # one feature only
    where: cql.Where | None = None  # a filter on the queryables (``queryables``)


_ENV = "ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)"
_CONTAM = "(CAST(:contam AS text) IS NULL OR {col} = :contam)"


def _params(query: Query) -> dict[str, Any]:
    x0, y0, x1, y1 = query.bbox or (0.0, 0.0, 0.0, 0.0)
    return {
        "as_of": query.as_of,
        "contam": query.contam,
        "open": OPEN_THRESHOLD_M2,
        "x0": x0,
        "y0": y0,
        "x1": x1,
        "y1": y1,
        "start": query.start,
        "end": query.end,
        "method": query.method,
        "level": query.level,
        "fid": query.feature_id,
        **(query.where.params if query.where else {}),
    }


def _matched(session: Session, sql: str, params: dict[str, Any]) -> int:
    """``numberMatched``: the count of ``sql`` (a count(*)), kept until the data change.

    A client reads a collection a page at a time, and each page had counted every match
    again: 60 ms of a national hazards page's 250 ms, 47 times for the layer."""
    key = (sql, repr(sorted(params.items())))
    return kept(session, "ogc.matched", key, lambda: int(session.scalar(text(sql), params) or 0))


def _filtered(query: Query) -> str:
    """The filter's condition, joined to a query's own by AND ("" without one)."""
    return f" AND ({query.where.sql})" if query.where else ""


def _feature(fid: str, geojson: str | None, properties: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON feature whose geometry is the database's GeoJSON text as it came, written
    into the answer by orjson (``ims.api.ogc._answer``): read into Python and written
    again, a page of 1,000 national hazards spent 70 ms of its 250 ms on it."""
    return {
        "type": "Feature",
        "id": fid,
        "geometry": orjson.Fragment(geojson) if geojson else None,
        "properties": properties,
    }


# The state of each hazard on the date: its ledger period holding the date.
_STATE = (
    "SELECT p.hazard_id, p.entry_no, p.reference, p.status, p.contam, p.remaining_m2,"
    " p.area_m2, p.revision_id, upper_inf(p.during) AS last"
    " FROM hazard_period p"
    " WHERE p.during @> CAST(:as_of AS date)"
    " AND "
    + _CONTAM.format(col="p.contam")
    + " AND (CAST(:fid AS text) IS NULL OR p.reference = :fid)"
)
# The ground of a hazard remaining on the date: today's when nothing of it is later (its
# last period), else its boundary then minus everything released up to the date
# (docs/design.md §2.2).
_REMAINING = (
    "CASE WHEN s.last THEN m.geom"
    " ELSE ST_Multi(ST_CollectionExtract(ST_Difference(r.geom, COALESCE("
    "  (SELECT ST_Union(rel.geom) FROM release_in_force rel"
    "   WHERE rel.hazard_id = s.hazard_id AND rel.released <= :as_of),"
    "  'SRID=4326;POLYGON EMPTY'::geometry)), 3)) END"
)
_HAZARD_ROWS = (
    "WITH s AS ({state}), g AS ("
    " SELECT s.*, {geom} AS geom FROM s"
    " JOIN hazard_revision r ON r.id = s.revision_id"
    " LEFT JOIN hazard_remaining m ON m.hazard_id = s.hazard_id AND s.last"
    " WHERE {where})"
)
_HAZARD_PROPS = (
    f"SELECT g.reference, ST_AsGeoJSON({without_slivers_sql('g.geom')}, {DIGITS}) AS geojson,"
    " g.status, g.contam,"
    " g.remaining_m2, g.area_m2, a1.code AS admin1_code, a1.name AS admin1_name,"
    " a2.code AS admin2_code, a2.name AS admin2_name, o.name AS operator,"
    f" {MARKED_THEN.format(r='r')} AS marked,"
    " r.used_from, r.used_to,"
    " (SELECT min(f.effective) FROM hazard_revision f WHERE f.hazard_id = g.hazard_id)"
    "  AS recorded, r.effective AS revised, r.attributes"
    " FROM page g"
    " JOIN ledger_entry e ON e.hazard_id = g.hazard_id AND e.entry_no = g.entry_no"
    " JOIN hazard_revision r ON r.id = g.revision_id"
    " LEFT JOIN admin_area a1 ON a1.id = e.count_admin1_id"
    " LEFT JOIN admin_area a2 ON a2.id = e.count_admin2_id"
    " LEFT JOIN organisation o ON o.id = r.operator_id"
    " ORDER BY g.reference"
)


# What each collection's features hold, in the order they hold it, as JSON Schema types
# (the describing schema: a client such as QGIS takes its fields from it, not from the
# first page it reads). ``date`` is a string of the JSON Schema format "date".
_TEXT, _NUMBER, _INTEGER, _DATE = "string", "number", "integer", "date"
_HAZARD_FIELDS: dict[str, str] = {
    "hazard_id": _TEXT,
    "status": _TEXT,
    "contamination": _TEXT,
    "admin1_code": _TEXT,
    "admin1_name": _TEXT,
    "admin2_code": _TEXT,
    "admin2_name": _TEXT,
    "remaining_m2": _NUMBER,
    "boundary_m2": _NUMBER,
    "recorded": _DATE,
    "operator": _TEXT,
    "marked": _DATE,
    "used_from": _INTEGER,  # the years the munitions were used, as the revision in force
    "used_to": _INTEGER,
}
FIELDS: dict[str, dict[str, str]] = {
    "hazards": _HAZARD_FIELDS,
    "hazard_boundaries": {**_HAZARD_FIELDS, "revised": _DATE},
    "releases": {
        "release_id": _TEXT,
        "hazard_id": _TEXT,
        "method": _TEXT,
        "released": _DATE,
        "contamination": _TEXT,
        "operator": _TEXT,
        "area_m2": _NUMBER,
        "outside_m2": _NUMBER,
        "stated_area_m2": _NUMBER,
        "items": _TEXT,
        "admin1_code": _TEXT,
        "admin1_name": _TEXT,
        "admin2_code": _TEXT,
        "admin2_name": _TEXT,
    },
    "admin_areas": {
        "level": _INTEGER,
        "admin_code": _TEXT,
        "admin_name": _TEXT,
        "parent_code": _TEXT,
        "sha_count": _INTEGER,
        "sha_area_m2": _NUMBER,
        "cha_count": _INTEGER,
        "cha_area_m2": _NUMBER,
        "total_count": _INTEGER,
        "total_area_m2": _NUMBER,
    },
}
CELL_FIELDS = {"hazards": _INTEGER, "status": _TEXT, "remaining_m2": _NUMBER, "cell_m": _NUMBER}
# The upload's own columns a hazard's revisions carry (``attributes``), with the JSON types
# their values have; a column of mixed types is text.
_OWN_COLUMNS = (
    "SELECT x.key, array_agg(DISTINCT jsonb_typeof(x.value)) FROM hazard_revision_in_force r,"
    " jsonb_each(r.attributes) x WHERE r.attributes <> '{}'::jsonb GROUP BY x.key"
    ' ORDER BY x.key COLLATE "C"'  # as own_names orders them
)


OWN_NAMED_MAX = 50


# Names a hazard's own columns may not have as they are, in any case: ims's fields, "id",
# the field GDAL and QGIS make of each feature's id (the reference: one upload's column "id"
# had made two fields of that name in QGIS, and the reference of every other hazard null,
# a GIS user's review), "geometry", the filters' name of the feature's geometry, and the
# names the register's files keep, so that a column has the same name here as in them.
_TAKEN: Final = HAZARD_NAMES_TAKEN


def own_columns(session: Session) -> dict[str, tuple[str, str]]:
    """The upload's own columns of the hazards (every revision in force): each column's
    name in the features (``register_files.own_names``) and its type.

    A hazard's features carry them after ims's own fields; the first page alone would not
    name a column only later hazards have, and QGIS would leave it out.
    """

    def compute() -> dict[str, tuple[str, str]]:
        columns: dict[str, tuple[str, str]] = {}
        found_kinds = {str(key): kinds for key, kinds in session.execute(text(_OWN_COLUMNS))}
        names = register_names(session)  # among the whole register's, as its files
        names |= own_names(sorted(set(found_kinds) - set(names)), {*_TAKEN, *names.values()})
        for key, kinds in found_kinds.items():
            found = set(kinds) - {"null"}
            kind = found.pop() if len(found) == 1 else "string"
            columns[key] = (names[key], kind if kind in ("number", "boolean") else _TEXT)
        return columns

    return kept(session, "ogc.own_columns", (), compute)


def feature_fields(session: Session, name: str, *, cells: bool = False) -> dict[str, str]:
    """The properties of collection ``name``'s features and their types, in their order."""
    if cells:
        return dict(CELL_FIELDS)
    fields = dict(FIELDS[name])
    if name in ("hazards", "hazard_boundaries"):
        for name, kind in own_columns(session).values():
            fields[name] = kind
    return fields


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


# A filter on the hazards' properties is applied to their states before a page is taken:
# each state with what its properties are read from (as ``_HAZARD_PROPS`` reads them).
_HAZARD_FILTERED = (
    "SELECT p.* FROM ({state}) p"
    " JOIN ledger_entry fe ON fe.hazard_id = p.hazard_id AND fe.entry_no = p.entry_no"
    " JOIN hazard_revision fr ON fr.id = p.revision_id"
    " LEFT JOIN admin_area fa1 ON fa1.id = fe.count_admin1_id"
    " LEFT JOIN admin_area fa2 ON fa2.id = fe.count_admin2_id"
    " LEFT JOIN organisation forg ON forg.id = fr.operator_id"
    " LEFT JOIN hazard_remaining fm ON fm.hazard_id = p.hazard_id AND p.last"
    " WHERE {where}"
)


def _area(sql: str) -> str:
    """An area as the features give it (``clean_area``: to the mm²), so that equal is equal."""
    return f"CAST(round(CAST({sql} AS numeric), 3) AS double precision)"


def _hazard_queryables(session: Session, *, boundaries: bool) -> dict[str, Queryable]:
    remaining = (
        "CASE WHEN p.last THEN fm.geom ELSE ST_Difference(fr.geom, COALESCE("
        " (SELECT ST_Union(rel.geom) FROM release_in_force rel"
        "  WHERE rel.hazard_id = p.hazard_id AND rel.released <= :as_of),"
        " 'SRID=4326;POLYGON EMPTY'::geometry)) END"
    )
    shape = "fr.geom" if boundaries else remaining
    found: dict[str, Queryable] = {
        "hazard_id": Queryable("p.reference", cql.STRING),
        "status": Queryable("p.status", cql.STRING),
        "contamination": Queryable("p.contam", cql.STRING),
        "admin1_code": Queryable("fa1.code", cql.STRING),
        "admin1_name": Queryable("fa1.name", cql.STRING),
        "admin2_code": Queryable("fa2.code", cql.STRING),
        "admin2_name": Queryable("fa2.name", cql.STRING),
        "remaining_m2": Queryable(_area("p.remaining_m2"), cql.NUMBER),
        "boundary_m2": Queryable(_area("p.area_m2"), cql.NUMBER),
        "recorded": Queryable(
            "(SELECT min(h.effective) FROM hazard_revision h WHERE h.hazard_id = p.hazard_id)",
            cql.DATE,
        ),
        "operator": Queryable("forg.name", cql.STRING),
        "marked": Queryable(MARKED_THEN.format(r="fr"), cql.DATE),
        "used_from": Queryable("fr.used_from", cql.INTEGER),
        "used_to": Queryable("fr.used_to", cql.INTEGER),
    }
    if boundaries:
        found["revised"] = Queryable("fr.effective", cql.DATE)
    # the upload's own columns: each read from the revision's attributes by its key (bound:
    # a key is an upload's text), as the type its values have, or null
    for n, (key, (name, kind)) in enumerate(own_columns(session).items()):
        value = f"fr.attributes -> CAST(:own_{n} AS text)"
        if kind == _TEXT:
            sql = f"(fr.attributes ->> CAST(:own_{n} AS text))"
        else:
            cast = "double precision" if kind == _NUMBER else "boolean"
            sql = f"(CASE WHEN jsonb_typeof({value}) = '{kind}' THEN CAST({value} AS {cast}) END)"
        found[name] = Queryable(sql, kind, {f"own_{n}": key})
    found["geometry"] = Queryable(
        f"(fr.geom && {{g}} AND ST_Intersects({without_slivers_sql(shape)}, {{g}}))",
        cql.GEOMETRY,
    )
    return found


def queryables(session: Session, name: str, *, cells: bool = False) -> dict[str, Queryable]:
    """What a filter on collection ``name`` may name (none for generalised cells)."""
    if cells:
        return {}
    if name in ("hazards", "hazard_boundaries"):
        return _hazard_queryables(session, boundaries=name == "hazard_boundaries")
    if name == "releases":
        return {
            "release_id": Queryable("r.reference", cql.STRING),
            "hazard_id": Queryable("h.reference", cql.STRING),
            "method": Queryable("r.method", cql.STRING),
            "released": Queryable("r.released", cql.DATE),
            "contamination": Queryable("h.contam", cql.STRING),
            "operator": Queryable(
                "(SELECT o.name FROM organisation o WHERE o.id = r.operator_id)", cql.STRING
            ),
            "area_m2": Queryable(_area(_RELEASE_AREA), cql.NUMBER),
            "outside_m2": Queryable(_area(_RELEASE_OUTSIDE), cql.NUMBER),
            "stated_area_m2": Queryable("r.stated_area_m2", cql.NUMBER),
            "items": Queryable(_RELEASE_ITEMS, cql.STRING),
            **{
                f"admin{level}_{column}": Queryable(
                    _RELEASE_ADMIN.format(column=column, level=level), cql.STRING
                )
                for level in (1, 2)
                for column in ("code", "name")
            },
            "geometry": Queryable("(r.geom && {g} AND ST_Intersects(r.geom, {g}))", cql.GEOMETRY),
        }
    return {  # admin areas: their figures are summed per page, not filtered on
        "level": Queryable("a.level", cql.INTEGER),
        "admin_code": Queryable("a.code", cql.STRING),
        "admin_name": Queryable("a.name", cql.STRING),
        "parent_code": Queryable("up.code", cql.STRING),
        "geometry": Queryable("(a.geom && {g} AND ST_Intersects(a.geom, {g}))", cql.GEOMETRY),
    }


def _hazard_page(
    session: Session, query: Query, limit: int, offset: int, *, boundaries: bool
) -> Page:
    params = {**_params(query), "limit": limit, "offset": offset}
    state = _STATE + ("" if boundaries else " AND p.remaining_m2 >= :open")
    if query.where is not None:
        state = _HAZARD_FILTERED.format(state=state, where=query.where.sql)
    geom = "r.geom" if boundaries else _REMAINING
    if query.bbox is None:
        matched = _matched(session, f"SELECT count(*) FROM ({state}) s", params)
        # geometry work for the page only
        page = (
            f"WITH s AS ({state} ORDER BY p.reference LIMIT :limit OFFSET :offset),"
            f" page AS (SELECT s.*, {geom} AS geom FROM s"
            " JOIN hazard_revision r ON r.id = s.revision_id"
            " LEFT JOIN hazard_remaining m ON m.hazard_id = s.hazard_id AND s.last) "
        )
    else:
        where = f"r.geom && {_ENV}"
        rows = _HAZARD_ROWS.format(state=state, geom=geom, where=where)
        # the ground the feature gives, without its slivers: a sliver alone in the box had
        # matched a hazard whose geometry lies outside it (a GIS user's review, helper-101)
        hit = f" WHERE ST_Intersects({without_slivers_sql('g.geom')}, {_ENV})"
        matched = _matched(session, f"{rows} SELECT count(*) FROM g{hit}", params)
        page = (
            f"{rows}, page AS (SELECT * FROM g{hit}"
            " ORDER BY g.reference LIMIT :limit OFFSET :offset) "
        )
    # Every feature names every own column (null where it has none): a client that takes
    # its fields from the first page (GDAL 3.6, QGIS before 3.44) keeps them all. Not past
    # OWN_NAMED_MAX columns: a file of 1,500 had made every page ten times larger (clients
    # then read the fields from the schema, as recent GDAL and QGIS do).
    columns = own_columns(session)
    named = {key: name for key, (name, _) in columns.items()}
    every = register_names(session)  # a column of a revision no longer in force
    own = dict.fromkeys(named.values()) if len(columns) <= OWN_NAMED_MAX else {}
    features = []
    # compiling costs more than it saves: the slivers' subquery priced the page for JIT,
    # and the demo's thousand hazards took 0.26 s instead of 0.03 s
    session.execute(text("SET LOCAL jit = off"))
    for row in session.execute(text(page + _HAZARD_PROPS), params):
        properties: dict[str, Any] = {
            "hazard_id": row.reference,
            "status": row.status,
            "contamination": row.contam,
            "admin1_code": row.admin1_code,
            "admin1_name": row.admin1_name,
            "admin2_code": row.admin2_code,
            "admin2_name": row.admin2_name,
            "remaining_m2": clean_area(float(row.remaining_m2)),
            "boundary_m2": clean_area(float(row.area_m2)),
            "recorded": _date(row.recorded),
            "operator": row.operator,
            "marked": _date(row.marked),
            "used_from": row.used_from,
            "used_to": row.used_to,
        }
        if boundaries:
            properties["revised"] = _date(row.revised)
        # the upload's own columns, by their names in the features
        properties |= own
        for key, value in (row.attributes or {}).items():
            name = named.get(key)
            if name is None:  # a column of a revision no longer in force, or not counted yet
                name = every.get(key) or own_names([str(key)], {*_TAKEN, *properties})[str(key)]
            properties[name] = value
        features.append(_feature(row.reference, row.geojson, properties))
    return Page(features, int(matched))


def hazards(session: Session, query: Query, limit: int, offset: int) -> Page:
    """The hazards open on ``query.as_of`` with the ground remaining then, by reference."""
    return _hazard_page(session, query, limit, offset, boundaries=False)


def hazard_boundaries(session: Session, query: Query, limit: int, offset: int) -> Page:
    """Every hazard recorded on ``query.as_of`` with its boundary then in force."""
    return _hazard_page(session, query, limit, offset, boundaries=True)


# Location privacy: the open hazards as counts per grid cell (EPSG:3857 metres, as the
# tiles make them), the cell's centre as a point; no reference, no boundary.
_CELLS = (
    "WITH pts AS (SELECT p.status, p.remaining_m2, p.point_3857 AS pt FROM hazard_period p"
    " WHERE p.during @> CAST(:as_of AS date) AND p.remaining_m2 >= :open"
    " AND " + _CONTAM.format(col="p.contam") + "),"
    " c AS (SELECT floor(ST_X(pt) / :cell)::bigint AS cx, floor(ST_Y(pt) / :cell)::bigint AS cy,"
    "  count(*) AS hazards, sum(remaining_m2) AS remaining_m2,"
    "  CASE WHEN bool_or(status = 'CHA') THEN 'CHA' ELSE 'SHA' END AS status"
    "  FROM pts GROUP BY 1, 2),"
    " g AS (SELECT c.*, c.cx || '_' || c.cy AS id, ST_Transform(ST_SetSRID(ST_MakePoint("
    "  (c.cx + 0.5) * :cell, (c.cy + 0.5) * :cell), 3857), 4326) AS geom FROM c)"
    " SELECT {select} FROM g WHERE (NOT :filtered OR ST_Intersects(g.geom, " + _ENV + "))"
    " AND (CAST(:fid AS text) IS NULL OR g.id = :fid)"
)


def hazard_cells(session: Session, query: Query, limit: int, offset: int, *, cell_m: float) -> Page:
    """The hazards open on ``query.as_of`` as counts per grid cell of ``cell_m`` metres."""
    params = {
        **_params(query),
        "cell": float(cell_m),
        "filtered": query.bbox is not None,
        "limit": limit,
        "offset": offset,
    }
    matched = _matched(session, _CELLS.format(select="count(*)"), params)
    rows = session.execute(
        text(
            _CELLS.format(select=f"g.id, ST_AsGeoJSON(g.geom, {DIGITS}) AS geojson, g.*")
            + " ORDER BY g.cx, g.cy LIMIT :limit OFFSET :offset"
        ),
        params,
    )
    features = [
        _feature(
            row.id,
            row.geojson,
            {
                "hazards": int(row.hazards),
                "status": row.status,
                "remaining_m2": clean_area(float(row.remaining_m2)),
                "cell_m": float(cell_m),
            },
        )
        for row in rows
    ]
    return Page(features, int(matched))


_RELEASES = (
    "FROM release_in_force r JOIN hazard h ON h.id = r.hazard_id"
    " WHERE (CAST(:start AS date) IS NULL OR r.released >= :start)"
    " AND (CAST(:end AS date) IS NULL OR r.released <= :end)"
    " AND (CAST(:method AS text) IS NULL OR r.method = :method)"
    " AND "
    + _CONTAM.format(col="h.contam")
    + " AND (CAST(:fid AS text) IS NULL OR r.reference = :fid)"
    " AND (NOT :filtered OR (r.geom && " + _ENV + " AND ST_Intersects(r.geom, " + _ENV + ")))"
)
_RELEASE_AREA = (
    "(SELECT -sum(e.delta_m2) FROM ledger_entry e"
    " WHERE e.hazard_id = r.hazard_id AND e.release_id = r.id)"
)
_RELEASE_OUTSIDE = (
    "(SELECT sum(e.outside_m2) FROM ledger_entry e"
    " WHERE e.hazard_id = r.hazard_id AND e.release_id = r.id)"
)
# The areas a release's items are counted in (the largest share of its polygon, docs/
# design.md §2.5), as the register's release files name them: the collection had lacked
# them, so a GIS user could not style or filter releases by province (helper-101).
_RELEASE_ADMINS = (
    "LEFT JOIN ledger_entry re ON re.hazard_id = r.hazard_id AND re.release_id = r.id"
    " LEFT JOIN admin_area a1 ON a1.id = re.items_admin1_id"
    " LEFT JOIN admin_area a2 ON a2.id = re.items_admin2_id"
)
# its items as the template writes them, "BLU-26:3;M42:2"
_RELEASE_ITEMS = (
    "(SELECT string_agg(i.munition_code || ':' || i.quantity, ';' ORDER BY i.munition_code)"
    " FROM release_item i WHERE i.release_id = r.id)"
)
_RELEASE_ADMIN = (
    "(SELECT a.{column} FROM ledger_entry re JOIN admin_area a ON a.id = re.items_admin{level}_id"
    " WHERE re.hazard_id = r.hazard_id AND re.release_id = r.id)"
)


def releases(session: Session, query: Query, limit: int, offset: int) -> Page:
    """Release polygons dated within ``query.start``–``query.end``, by date and reference.

    ``area_m2`` is what the release released (its effective area in the ledger,
    docs/design.md §2.2); ``stated_area_m2`` the operator's figure, never counted.
    """
    params = {**_params(query), "filtered": query.bbox is not None, "limit": limit}
    params["offset"] = offset
    found = _RELEASES + _filtered(query)
    matched = _matched(session, "SELECT count(*) " + found, params)
    # The page's keys first, its geometries and areas after: the rows a deep page skips had
    # each been written as GeoJSON and had their area summed (1.8 s for a page at 300,000)
    rows = session.execute(
        text(
            "WITH page AS (SELECT r.id " + found + " ORDER BY r.released, r.reference"
            " LIMIT :limit OFFSET :offset)"
            f" SELECT r.reference, ST_AsGeoJSON(r.geom, {DIGITS}) AS geojson,"
            " h.reference AS hazard, r.method, r.released, h.contam, r.stated_area_m2,"
            " (SELECT o.name FROM organisation o WHERE o.id = r.operator_id) AS operator,"
            f" {_RELEASE_AREA} AS area_m2, {_RELEASE_OUTSIDE} AS outside_m2,"
            " a1.code AS admin1_code, a1.name AS admin1_name,"
            " a2.code AS admin2_code, a2.name AS admin2_name,"
            f" {_RELEASE_ITEMS} AS items"
            " FROM page JOIN release_in_force r ON r.id = page.id"
            " JOIN hazard h ON h.id = r.hazard_id"
            f" {_RELEASE_ADMINS}"
            " ORDER BY r.released, r.reference"
        ),
        params,
    )
    features = [
        _feature(
            row.reference,
            row.geojson,
            {
                "release_id": row.reference,
                "hazard_id": row.hazard,
                "method": row.method,
                "released": _date(row.released),
                "contamination": row.contam,
                "operator": row.operator,
                "area_m2": clean_area(float(row.area_m2 or 0.0)),
                "outside_m2": clean_area(float(row.outside_m2 or 0.0)),
                "stated_area_m2": row.stated_area_m2,
                "items": row.items,
                "admin1_code": row.admin1_code,
                "admin1_name": row.admin1_name,
                "admin2_code": row.admin2_code,
                "admin2_name": row.admin2_name,
            },
        )
        for row in rows
    ]
    return Page(features, int(matched))


# Form 1(h)'s figures for every admin area of both levels, as ims.reports.article7 sums
# them: each hazard's state on the date from its last ledger entry then; areas are the
# ledger pieces up to the date of the hazards recorded then, counts the open hazards in
# the area they are counted in.
_ADMIN_FIGURES = (
    "WITH st AS (SELECT DISTINCT ON (e.hazard_id) e.hazard_id, e.status_after AS status,"
    "  e.remaining_after_m2 AS remaining, e.count_admin1_id AS a1, e.count_admin2_id AS a2"
    "  FROM ledger_entry e JOIN hazard h ON h.id = e.hazard_id"
    "  WHERE e.on <= :as_of AND " + _CONTAM.format(col="h.contam") + ""
    "  ORDER BY e.hazard_id, e.entry_no DESC),"
    " counted AS (SELECT a, status, count(*) AS n FROM ("
    "  SELECT a1 AS a, status FROM st WHERE status IS NOT NULL AND remaining >= :open"
    "  UNION ALL"
    "  SELECT a2, status FROM st WHERE status IS NOT NULL AND remaining >= :open) x"
    "  WHERE a IS NOT NULL GROUP BY a, status),"
    " areas AS (SELECT p.admin_id AS a, st.status, sum(p.area_m2) AS m2 FROM st"
    "  JOIN ledger_entry e ON e.hazard_id = st.hazard_id AND e.on <= :as_of"
    "  JOIN ledger_piece p ON p.hazard_id = e.hazard_id AND p.entry_no = e.entry_no"
    "  WHERE st.status IS NOT NULL AND p.admin_id IS NOT NULL GROUP BY p.admin_id, st.status)"
    " SELECT 'count' AS what, a, status, n::float8 AS v FROM counted"
    " UNION ALL SELECT 'area', a, status, m2 FROM areas"
)
_ADMINS = (
    "FROM admin_area a LEFT JOIN admin_area up ON up.id = a.parent_id"
    " WHERE (CAST(:level AS integer) IS NULL OR a.level = :level)"
    " AND (CAST(:fid AS text) IS NULL OR a.level || '-' || a.code = :fid)"
    " AND (NOT :filtered OR (a.geom && " + _ENV + " AND ST_Intersects(a.geom, " + _ENV + ")))"
)


def admin_areas(session: Session, query: Query, limit: int, offset: int) -> Page:
    """Admin areas (``query.level`` or both levels) with their remaining figures on the date.

    The figures are Form 1(h)'s for ``query.contam``, or summed over every kind when it is
    None; the feature id is ``level-code``.
    """
    params = {**_params(query), "filtered": query.bbox is not None}
    found = _ADMINS + _filtered(query)
    matched = _matched(session, "SELECT count(*) " + found, params)
    admins = session.execute(
        text(
            "SELECT a.id, a.level, a.code, a.name, up.code AS parent_code,"
            f" ST_AsGeoJSON(a.geom, {DIGITS}) AS geojson " + found + " ORDER BY a.level, a.code"
            " LIMIT :limit OFFSET :offset"
        ),
        {**params, "limit": limit, "offset": offset},
    ).all()
    figures: dict[tuple[str, int, str], float] = {}
    if admins:
        session.execute(text("SET LOCAL jit = off"))  # compiling costs more than it saves
        for what, admin_id, status, value in session.execute(text(_ADMIN_FIGURES), params):
            figures[(what, admin_id, status)] = float(value)
    features = []
    for row in admins:
        props: dict[str, Any] = {
            "level": row.level,
            "admin_code": row.code,
            "admin_name": row.name,
            "parent_code": row.parent_code,
        }
        for status in ("SHA", "CHA"):
            props[f"{status.lower()}_count"] = int(figures.get(("count", row.id, status), 0))
            props[f"{status.lower()}_area_m2"] = clean_area(
                figures.get(("area", row.id, status), 0.0)
            )
        props["total_count"] = props["sha_count"] + props["cha_count"]
        props["total_area_m2"] = clean_area(props["sha_area_m2"] + props["cha_area_m2"])
        features.append(_feature(f"{row.level}-{row.code}", row.geojson, props))
    return Page(features, int(matched))


def extent(session: Session) -> Bbox | None:
    """The bounding box of the admin areas, or of every hazard boundary when none are loaded."""
    row = session.execute(
        text(
            "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (SELECT COALESCE("
            " (SELECT ST_Extent(geom) FROM admin_area),"
            " (SELECT ST_Extent(geom) FROM hazard_revision_in_force))::geometry AS b) x"
        )
    ).first()
    if row is None or row[0] is None:
        return None
    return (float(row[0]), float(row[1]), float(row[2]), float(row[3]))


def release_dates(session: Session) -> tuple[dt.date | None, dt.date | None]:
    """The first and last release dates recorded (the releases' temporal extent)."""
    row = session.execute(text("SELECT min(released), max(released) FROM release_in_force")).first()
    return (row[0], row[1]) if row is not None else (None, None)
