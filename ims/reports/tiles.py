"""Mapbox vector tiles straight from PostGIS (ST_AsMVT), for maps at national scale.

Each tile holds one layer:

- ``hazards``: the remaining part of each open hazard at the as-of date, with its status
  and areas; below zoom ``POINT_ZOOM`` points instead, merged where they fall within two
  screen pixels of each other (with a ``hazards`` count), so a national view stays light.
- ``releases``: released land (the release polygons) up to the as-of date, by method; from
  zoom ``RELEASE_ZOOM`` on (below it they are sub-pixel).
- ``admin1``: provinces with their remaining area and open hazards at the as-of date, for
  a choropleth.

When the as-of date is on or after the latest recorded event, today's state is read from
``hazard_remaining`` and its EPSG:3857 copies (indexed, no geometry work); for an earlier
date each hazard in the tile is rebuilt from its boundary in force and its releases.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.domain.figures import OPEN_THRESHOLD_M2
from ims.errors import Forbidden, InvalidRequest, NotFound

LAYERS = ("hazards", "releases", "admin1")
POINT_ZOOM = 9
RELEASE_ZOOM = 11
MAX_ZOOM = 22
EXTENT = 4096
BUFFER = 64

_ENVELOPE = "WITH b AS (SELECT ST_TileEnvelope(:z, :x, :y) AS env) "
# One kind of contamination, or all of them (:contam NULL); the query names its hazard h.
_KIND = " AND (CAST(:contam AS text) IS NULL OR h.contam = :contam)"

_HAZARDS_NOW = (
    _ENVELOPE + ", f AS ("
    " SELECT m.hazard_id AS id, h.reference, m.status, h.contam, m.remaining_m2, m.area_m2,"
    "  ST_AsMVTGeom({geom}, b.env::box2d, {extent}, {buffer}, true) AS geom"
    " FROM b, hazard_remaining m JOIN hazard h ON h.id = m.hazard_id"
    " WHERE {geom} && b.env AND m.remaining_m2 >= :open" + _KIND + ")"
    " {final}"
)

# For an earlier date: the hazards whose boundary in force at as_of meets the tile, their
# state from the ledger, and their remaining part (stored when nothing of theirs is later).
_HAZARDS_THEN = (
    _ENVELOPE + ", touched AS ("
    " SELECT DISTINCT r.hazard_id FROM hazard_revision r, b"
    " WHERE r.geom_3857 && b.env AND r.effective <= :as_of),"
    " rev AS ("
    " SELECT DISTINCT ON (r.hazard_id) r.hazard_id, r.geom_3857"
    " FROM hazard_revision r JOIN touched t ON t.hazard_id = r.hazard_id"
    " WHERE r.effective <= :as_of ORDER BY r.hazard_id, r.effective DESC, r.seq DESC),"
    " state AS ("
    " SELECT rev.hazard_id, rev.geom_3857, s.status_after, s.remaining_after_m2"
    " FROM rev, b, LATERAL (SELECT e.status_after, e.remaining_after_m2 FROM ledger_entry e"
    "  WHERE e.hazard_id = rev.hazard_id AND e.on <= :as_of"
    "  ORDER BY e.entry_no DESC LIMIT 1) s"
    " WHERE rev.geom_3857 && b.env AND s.status_after IS NOT NULL"
    " AND s.remaining_after_m2 >= :open),"
    " f AS ("
    " SELECT s.hazard_id AS id, h.reference, s.status_after AS status, h.contam,"
    "  s.remaining_after_m2 AS remaining_m2,"
    "  ST_Area(ST_Transform(s.geom_3857, 4326)::geography) AS area_m2,"
    "  ST_AsMVTGeom({shape}, b.env::box2d, {extent}, {buffer}, true) AS geom"
    " FROM b, state s JOIN hazard h ON h.id = s.hazard_id"
    " LEFT JOIN hazard_remaining m ON m.hazard_id = s.hazard_id"
    " WHERE TRUE" + _KIND + ")"
    " {final}"
)
_POLYGONS = "SELECT ST_AsMVT(f, 'hazards', {extent}, 'geom') FROM f WHERE geom IS NOT NULL"
# Below POINT_ZOOM the points are merged per cell of a few screen pixels (``cell_size``):
# at national zooms the picture is the same, the tile a fraction of the size. The point
# keeps the largest hazard's identity; the cell's hazards, areas and status (CHA if any)
# are summed up.
_CELLS = (
    ", g AS (SELECT *, floor(ST_X(geom) / {cell}) AS cx, floor(ST_Y(geom) / {cell}) AS cy"
    "  FROM f WHERE geom IS NOT NULL),"
    " c AS (SELECT (array_agg(id ORDER BY remaining_m2 DESC))[1] AS id,"
    "  (array_agg(reference ORDER BY remaining_m2 DESC))[1] AS reference,"
    "  CASE WHEN bool_or(status = 'CHA') THEN 'CHA' ELSE 'SHA' END AS status,"
    "  (array_agg(contam ORDER BY remaining_m2 DESC))[1] AS contam,"
    "  SUM(remaining_m2) AS remaining_m2, SUM(area_m2) AS area_m2, COUNT(*) AS hazards,"
    "  ST_MakePoint(cx * {cell} + {cell} / 2, cy * {cell} + {cell} / 2) AS geom"
    "  FROM g GROUP BY cx, cy)"
    " SELECT ST_AsMVT(c, 'hazards', {extent}, 'geom') FROM c"
)


def cell_size(z: int) -> int:
    """Side of a merging cell in tile units (4096 per tile, ~8 per screen pixel)."""
    return 64 if z <= 6 else 32 if z <= 7 else 16


_REMAINING_THEN = (
    "CASE WHEN m.hazard_id IS NOT NULL AND NOT EXISTS ("
    " SELECT 1 FROM ledger_entry later WHERE later.hazard_id = s.hazard_id"
    " AND later.on > :as_of) THEN m.geom_3857"
    " ELSE ST_Difference(s.geom_3857, COALESCE((SELECT ST_Union(rel.geom_3857)"
    "  FROM release rel WHERE rel.hazard_id = s.hazard_id AND rel.released <= :as_of),"
    "  'SRID=3857;POLYGON EMPTY'::geometry)) END"
)

_RELEASES = (
    _ENVELOPE + ", f AS ("
    " SELECT r.id, r.reference, h.reference AS hazard_reference, r.method,"
    "  to_char(r.released, 'YYYY-MM-DD') AS released, -e.delta_m2 AS area_m2,"
    "  ST_AsMVTGeom(r.geom_3857, b.env::box2d, {extent}, {buffer}, true) AS geom"
    " FROM b, release r JOIN hazard h ON h.id = r.hazard_id"
    " LEFT JOIN ledger_entry e ON e.hazard_id = r.hazard_id AND e.release_id = r.id"
    " WHERE r.geom_3857 && b.env AND r.released <= :as_of" + _KIND + ")"
    " SELECT ST_AsMVT(f, 'releases', {extent}, 'geom') FROM f WHERE geom IS NOT NULL"
)

_ADMIN1 = (
    _ENVELOPE + ", figures AS ("
    " SELECT * FROM unnest(CAST(:ids AS integer[]), CAST(:areas AS float8[]),"
    "  CAST(:counts AS integer[])) AS t(id, remaining_m2, hazards)),"
    " f AS ("
    " SELECT a.id, a.code, a.name, COALESCE(g.remaining_m2, 0) AS remaining_m2,"
    "  COALESCE(g.hazards, 0) AS hazards,"
    "  ST_AsMVTGeom(ST_Simplify(a.geom_3857, :tolerance), b.env::box2d, {extent}, {buffer},"
    "   true) AS geom"
    " FROM b, admin_area a LEFT JOIN figures g ON g.id = a.id"
    " WHERE a.level = 1 AND a.geom_3857 && b.env)"
    " SELECT ST_AsMVT(f, 'admin1', {extent}, 'geom') FROM f WHERE geom IS NOT NULL"
)

# Per province, all contamination kinds: the same sums as Form 1(h), in three queries.
_PROVINCE_STATE = (
    "CREATE TEMP TABLE tile_state AS SELECT DISTINCT ON (e.hazard_id) e.hazard_id, status_after,"
    " remaining_after_m2, count_admin1_id FROM ledger_entry e JOIN hazard h ON h.id = e.hazard_id"
    ' WHERE e."on" <= :as_of' + _KIND + " ORDER BY e.hazard_id, e.entry_no DESC"
)
_PROVINCE_AREAS = (
    "SELECT p.admin_id, SUM(p.area_m2) FROM tile_state s"
    " JOIN ledger_entry e ON e.hazard_id = s.hazard_id AND e.on <= :as_of"
    " JOIN ledger_piece p ON p.hazard_id = e.hazard_id AND p.entry_no = e.entry_no"
    " WHERE s.status_after IS NOT NULL AND p.level = 1 GROUP BY p.admin_id"
)
_PROVINCE_COUNTS = (
    "SELECT count_admin1_id, COUNT(*) FROM tile_state"
    " WHERE status_after IS NOT NULL AND remaining_after_m2 >= :open GROUP BY count_admin1_id"
)

# Location privacy (IMS_LOCATION_PRIVACY): open hazards as counts per grid cell of a fixed
# size in metres (EPSG:3857 units), at every zoom; no identity, no boundary. Points are taken
# from around the tile so a cell's centre shows in the tile that holds it.
_GENERALISED_NOW = (
    _ENVELOPE + ", pts AS ("
    " SELECT m.status, m.remaining_m2, m.point_3857 AS p FROM b, hazard_remaining m"
    " JOIN hazard h ON h.id = m.hazard_id"
    " WHERE m.point_3857 && ST_Expand(b.env, :cell) AND m.remaining_m2 >= :open" + _KIND + ")"
    " {final}"
)
_GENERALISED_THEN = (
    _ENVELOPE + ", rev AS ("
    " SELECT DISTINCT ON (r.hazard_id) r.hazard_id, r.geom_3857 FROM hazard_revision r"
    " WHERE r.hazard_id IN (SELECT q.hazard_id FROM hazard_revision q, b"
    "  WHERE q.geom_3857 && ST_Expand(b.env, :cell) AND q.effective <= :as_of)"
    " AND r.effective <= :as_of ORDER BY r.hazard_id, r.effective DESC, r.seq DESC),"
    " pts AS ("
    " SELECT s.status_after AS status, s.remaining_after_m2 AS remaining_m2,"
    "  ST_PointOnSurface(rev.geom_3857) AS p"
    " FROM rev JOIN hazard h ON h.id = rev.hazard_id,"
    "  LATERAL (SELECT e.status_after, e.remaining_after_m2 FROM ledger_entry e"
    "  WHERE e.hazard_id = rev.hazard_id AND e.on <= :as_of"
    "  ORDER BY e.entry_no DESC LIMIT 1) s"
    " WHERE s.status_after IS NOT NULL AND s.remaining_after_m2 >= :open" + _KIND + ")"
    " {final}"
)
_GENERALISED_CELLS = (
    ", c AS (SELECT floor(ST_X(p) / :cell) AS cx, floor(ST_Y(p) / :cell) AS cy,"
    "  COUNT(*) AS hazards, SUM(remaining_m2) AS remaining_m2,"
    "  CASE WHEN bool_or(status = 'CHA') THEN 'CHA' ELSE 'SHA' END AS status"
    "  FROM pts GROUP BY 1, 2),"
    " t AS (SELECT hazards, remaining_m2, status, ST_AsMVTGeom(ST_SetSRID(ST_MakePoint("
    "  (cx + 0.5) * :cell, (cy + 0.5) * :cell), 3857), b.env::box2d, {extent}, 0, true) AS geom"
    "  FROM b, c)"
    " SELECT ST_AsMVT(t, 'hazards', {extent}, 'geom') FROM t WHERE geom IS NOT NULL"
)

_WORLD_M = 40075016.68557849  # EPSG:3857 width of the world


def _sql(template: str, **parts: str) -> Any:
    return text(template.format(extent=EXTENT, buffer=BUFFER, **parts))


def latest_event(session: Session) -> dt.date | None:
    """The date of the latest event in the ledger (None when it is empty)."""
    latest: dt.date | None = session.scalar(text('SELECT max("on") FROM ledger_entry'))
    return latest


def data_stamp(session: Session) -> str:
    """Changes whenever anything is recorded (the recording sequence moves), per database."""
    return str(
        session.scalar(text("SELECT current_database() || ':' || last_value FROM recording_seq"))
    )


def check_tile(layer: str, z: int, x: int, y: int) -> None:
    """Refuse an unknown layer or a tile address outside the tile grid."""
    if layer not in LAYERS:
        raise NotFound(f"no tile layer {layer!r}; the layers are {', '.join(LAYERS)}")
    if not 0 <= z <= MAX_ZOOM:
        raise InvalidRequest(f"zoom {z} is outside 0–{MAX_ZOOM}")
    if not (0 <= x < 2**z and 0 <= y < 2**z):
        raise InvalidRequest(f"tile {x}/{y} does not exist at zoom {z}")


_figure_cache: dict[tuple[Any, ...], tuple[list[int], list[float], list[int]]] = {}
THEN_CACHE_TILES = 2000  # hazard tiles of earlier dates kept in memory (a few MB)
_then_cache: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()


def _province_figures(
    session: Session, as_of: dt.date, contam: str | None = None
) -> tuple[list[int], list[float], list[int]]:
    """Remaining area and open hazards per province at ``as_of`` (all contamination kinds).

    Cached per as-of date until anything new is recorded (the recording sequence moves).
    """
    stamp = data_stamp(session)
    key = (as_of, contam, stamp)
    cached = _figure_cache.get(key)
    if cached is not None:
        return cached
    params = {"as_of": as_of, "open": OPEN_THRESHOLD_M2, "contam": contam}
    session.execute(text("DROP TABLE IF EXISTS pg_temp.tile_state"))
    session.execute(text(_PROVINCE_STATE), params)
    area_rows = session.execute(text(_PROVINCE_AREAS), params).all()
    count_rows = session.execute(text(_PROVINCE_COUNTS), params).all()
    session.execute(text("DROP TABLE pg_temp.tile_state"))
    areas = {int(k): float(v) for k, v in area_rows if k is not None}
    counts = {int(k): int(v) for k, v in count_rows if k is not None}
    # A province may have area pieces but no open hazard (all closed), or the reverse.
    ids = sorted(areas.keys() | counts.keys())
    result = (ids, [areas.get(i, 0.0) for i in ids], [counts.get(i, 0) for i in ids])
    if len(_figure_cache) > 64:
        _figure_cache.clear()
    _figure_cache[key] = result
    return result


def tile(
    session: Session,
    layer: str,
    z: int,
    x: int,
    y: int,
    as_of: dt.date | None = None,
    *,
    today: Callable[[], dt.date] = dt.date.today,
    generalise_m: float | None = None,
    contam: str | None = None,
) -> bytes:
    """One vector tile of ``layer`` at ``as_of`` (default: today), of one kind of
    contamination (``contam``) or of all.

    With ``generalise_m`` (location privacy) hazards are counts per grid cell of that size
    and the releases layer is refused.
    """
    check_tile(layer, z, x, y)
    as_of = as_of or today()
    session.execute(text("SET LOCAL jit = off"))
    params: dict[str, Any] = {
        "z": z,
        "x": x,
        "y": y,
        "as_of": as_of,
        "open": OPEN_THRESHOLD_M2,
        "contam": contam,
    }
    if generalise_m is not None and layer == "releases":
        raise Forbidden("location privacy is on: released land is shown to staff who sign in")
    if generalise_m is not None and layer == "hazards":
        latest = latest_event(session)
        template = _GENERALISED_NOW if latest is None or as_of >= latest else _GENERALISED_THEN
        final = _GENERALISED_CELLS.replace("{extent}", str(EXTENT))
        params["cell"] = float(generalise_m)
        data = session.scalar(text(template.replace("{final}", final)), params)
        return bytes(data) if data is not None else b""
    if layer == "hazards":
        latest = latest_event(session)
        current = latest is None or as_of >= latest
        points = z < POINT_ZOOM
        final = (_CELLS.replace("{cell}", str(cell_size(z))) if points else _POLYGONS).replace(
            "{extent}", str(EXTENT)
        )
        if current:
            geom = "m.point_3857" if points else "m.geom_3857"
            query = _sql(_HAZARDS_NOW.replace("{final}", final), geom=geom)
        else:
            # An earlier date is rebuilt hazard by hazard: keep what was built, keyed on the
            # recording sequence so that anything recorded since makes it stale.
            key = (z, x, y, as_of, contam, data_stamp(session))
            cached = _then_cache.get(key)
            if cached is not None:
                _then_cache.move_to_end(key)
                return cached
            shape = "ST_PointOnSurface(s.geom_3857)" if points else _REMAINING_THEN
            query = _sql(_HAZARDS_THEN.replace("{final}", final), shape=shape)
            data = session.scalar(query, params)
            built = bytes(data) if data is not None else b""
            _then_cache[key] = built
            while len(_then_cache) > THEN_CACHE_TILES:
                _then_cache.popitem(last=False)
            return built
    elif layer == "releases":
        if z < RELEASE_ZOOM:
            return b""
        query = _sql(_RELEASES)
    else:
        ids, areas, counts = _province_figures(session, as_of, contam)
        # simplify to about a quarter of a tile pixel: invisible, and far fewer vertices
        params.update(ids=ids, areas=areas, counts=counts, tolerance=_WORLD_M / (2**z * EXTENT) / 4)
        query = _sql(_ADMIN1)
    data = session.scalar(query, params)
    return bytes(data) if data is not None else b""


# A submission's staged features, for its review map: each with its row, reference and
# worst finding. A broken geometry is drawn where it lies (clipped to the tile first, so a
# coordinate off the globe cannot stop the tile). Below POINT_ZOOM one point per feature,
# merged per cell of a few pixels with a count and the worst finding among them.
_SUBMISSION = (
    "WITH b AS (SELECT ST_TileEnvelope(:z, :x, :y) AS env),"
    " e AS (SELECT b.env, ST_Transform(ST_Expand(b.env, :margin), 4326) AS env4326 FROM b),"
    " worst AS (SELECT row_number,"
    "  CASE WHEN bool_or(severity = 'error') THEN 'error' ELSE 'warning' END AS finding"
    "  FROM finding WHERE submission_id = :s AND row_number IS NOT NULL GROUP BY row_number),"
    " f AS ("
    " SELECT sf.row_number AS row, COALESCE(sf.reference, '') AS reference,"
    "  COALESCE(w.finding, '') AS finding,"
    "  ST_AsMVTGeom(ST_Transform({shape}, 3857), e.env::box2d, {extent}, {buffer}, true) AS geom"
    " FROM e, submission_feature sf LEFT JOIN worst w ON w.row_number = sf.row_number"
    " WHERE sf.submission_id = :s AND COALESCE(sf.geom, sf.raw_geom) && e.env4326)"
    " {final}"
)
_SUBMISSION_POLYGONS = (
    "SELECT ST_AsMVT(f, 'features', {extent}, 'geom') FROM f WHERE geom IS NOT NULL"
)
_SUBMISSION_CELLS = (
    ", g AS (SELECT *, floor(ST_X(geom) / {cell}) AS cx, floor(ST_Y(geom) / {cell}) AS cy"
    "  FROM f WHERE geom IS NOT NULL),"
    " c AS (SELECT min(row) AS row, (array_agg(reference ORDER BY row))[1] AS reference,"
    "  CASE WHEN bool_or(finding = 'error') THEN 'error'"
    "   WHEN bool_or(finding = 'warning') THEN 'warning' ELSE '' END AS finding,"
    "  COUNT(*) AS features,"
    "  ST_MakePoint(cx * {cell} + {cell} / 2, cy * {cell} + {cell} / 2) AS geom"
    "  FROM g GROUP BY cx, cy)"
    " SELECT ST_AsMVT(c, 'features', {extent}, 'geom') FROM c"
)


def submission_tile(session: Session, submission_id: int, z: int, x: int, y: int) -> bytes:
    """One vector tile (layer ``features``) of a submission's staged features."""
    check_tile("hazards", z, x, y)
    session.execute(text("SET LOCAL jit = off"))
    clipped = "ST_ClipByBox2D(COALESCE(sf.geom, sf.raw_geom), e.env4326::box2d)"
    if z < POINT_ZOOM:
        shape = f"ST_Centroid(ST_Envelope({clipped}))"
        final = _SUBMISSION_CELLS.replace("{cell}", str(cell_size(z)))
    else:
        shape, final = clipped, _SUBMISSION_POLYGONS
    query = _SUBMISSION.replace("{final}", final).replace("{shape}", shape)
    margin = _WORLD_M / 2**z * BUFFER / EXTENT
    data = session.scalar(
        _sql(query), {"z": z, "x": x, "y": y, "s": submission_id, "margin": margin}
    )
    return bytes(data) if data is not None else b""
