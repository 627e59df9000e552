"""Mapbox vector tiles straight from PostGIS (ST_AsMVT), for maps at national scale.

Each tile holds one layer:

- ``hazards``: the remaining part of each open hazard at the as-of date, with its status
  and areas; below zoom ``POINT_ZOOM`` points instead (on the boundary then in force),
  merged where they fall within two screen pixels of each other (with a ``hazards``
  count), so a national view stays light.
- ``releases``: released land (the release polygons) up to the as-of date, by method; from
  zoom ``RELEASE_ZOOM`` on (below it they are sub-pixel).
- ``admin1``: provinces with their remaining area and open hazards at the as-of date, for
  a choropleth.

When the as-of date is on or after the latest recorded event, today's polygons are read
from ``hazard_remaining`` and its EPSG:3857 copies (indexed, no geometry work). An earlier
date reads ``hazard_period``, the state each hazard's ledger gives from one entry to the
next (one GiST lookup on place and date); only the remaining part of a hazard released
since is cut out again, for polygons. The points of national zooms, on any date, come
from an index of the periods alone (migration 0020). Province figures on any date are
sums over ``admin1_change`` (both kept by triggers on the ledger, migration 0016).

Tiles are kept in memory (``TILE_CACHE_BYTES``) until anything new is committed: their key
holds a stamp of the records and the boundaries as the request's own snapshot sees them.
"""

from __future__ import annotations

import datetime as dt
import gzip
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.domain.figures import OPEN_THRESHOLD_M2
from ims.errors import Forbidden, InvalidRequest, NotFound
from ims.reports import kept

LAYERS = ("hazards", "releases", "admin1")
POINT_ZOOM = 9
RELEASE_ZOOM = 11
MAX_ZOOM = 22
EXTENT = 4096
BUFFER = 64

_ENVELOPE = "WITH b AS (SELECT ST_TileEnvelope(:z, :x, :y) AS env) "
# One kind of contamination, or all of them (:contam NULL); the query names its hazard h.
_KIND = " AND (CAST(:contam AS text) IS NULL OR h.contam = :contam)"

# Hazard polygons from zoom POINT_ZOOM on. f is materialised: inlined, the final filter on
# its geometry would compute each feature's ST_AsMVTGeom (and an earlier date's remaining
# part) twice, once to filter and once to keep.
_POLYGONS = "SELECT ST_AsMVT(f, 'hazards', {extent}, 'geom') FROM f WHERE geom IS NOT NULL"

# Today: each hazard's remaining ground after its last event.
_HAZARDS_NOW = (
    _ENVELOPE + ", f AS MATERIALIZED ("
    " SELECT m.hazard_id AS id, h.reference, m.status, h.contam, m.remaining_m2, m.area_m2,"
    "  ST_AsMVTGeom(m.geom_3857, b.env::box2d, {extent}, {buffer}, true) AS geom"
    " FROM b, hazard_remaining m JOIN hazard h ON h.id = m.hazard_id"
    " WHERE m.geom_3857 && b.env AND m.remaining_m2 >= :open" + _KIND + ") " + _POLYGONS
)

# The remaining part of a hazard at an earlier date: today's when nothing of it is later
# (its last period), else its boundary then minus everything released up to the date.
_REMAINING_THEN = (
    "CASE WHEN s.last THEN m.geom_3857"
    " ELSE ST_Difference((SELECT r.geom_3857 FROM hazard_revision r WHERE r.id = s.revision_id),"
    "  COALESCE((SELECT ST_Union(rel.geom_3857) FROM release_in_force rel"
    "  WHERE rel.hazard_id = s.hazard_id AND rel.released <= :as_of),"
    "  'SRID=3857;POLYGON EMPTY'::geometry)) END"
)

# For an earlier date: the hazards whose period (ims.db.models.HazardPeriod) holds the date
# and whose boundary then meets the tile.
_HAZARDS_THEN = (
    _ENVELOPE + ", s AS ("
    " SELECT p.hazard_id, p.reference, p.status, p.contam, p.remaining_m2, p.area_m2,"
    "  p.revision_id, upper_inf(p.during) AS last"
    " FROM b, hazard_period p"
    " WHERE p.bbox_3857 && b.env AND p.during @> CAST(:as_of AS date)"
    " AND p.remaining_m2 >= :open AND (CAST(:contam AS text) IS NULL OR p.contam = :contam)),"
    " f AS MATERIALIZED ("
    " SELECT s.hazard_id AS id, s.reference, s.status, s.contam, s.remaining_m2, s.area_m2,"
    "  ST_AsMVTGeom(" + _REMAINING_THEN + ", b.env::box2d, {extent}, {buffer}, true) AS geom"
    " FROM b, s LEFT JOIN hazard_remaining m ON m.hazard_id = s.hazard_id AND s.last) " + _POLYGONS
)

# Below POINT_ZOOM, on any date: each open hazard's point then (on its boundary in force,
# as its period keeps it), read from ix_hazard_period_points alone (migration 0020): the
# points within the tile and its buffer. A new date reads a few hundred index pages kept
# together by place, not the thousands of table pages its periods lie on.
_POINTS = (
    "WITH b AS (SELECT ST_TileEnvelope(:z, :x, :y) AS env,"
    "  ST_TileEnvelope(:z, :x, :y, margin => {margin}) AS outer_env),"
    " f AS MATERIALIZED ("
    " SELECT p.hazard_id AS id, p.reference, p.status, p.contam, p.remaining_m2, p.area_m2,"
    "  ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(p.map_point[0], p.map_point[1]), 3857),"
    "  b.env::box2d, {extent}, {buffer}, true) AS geom"
    " FROM b, hazard_period p"
    " WHERE p.map_point <@ box(point(ST_XMin(b.outer_env), ST_YMin(b.outer_env)),"
    "  point(ST_XMax(b.outer_env), ST_YMax(b.outer_env)))"
    " AND p.during @> CAST(:as_of AS date) AND p.remaining_m2 >= {open}"
    " AND (CAST(:contam AS text) IS NULL OR p.contam = :contam))"
    " {final}"
)
# Below POINT_ZOOM the points are merged per cell of a few screen pixels (``cell_size``):
# at national zooms the picture is the same, the tile a fraction of the size. The point
# keeps the largest hazard's identity and place (at the cell's centre, the points of a
# province drew a lattice on a phone); the cell's hazards, areas and status (CHA if any)
# are summed up. One sort serves both: the cell's sums over the whole cell (its window),
# its first row the largest hazard (DISTINCT ON). Grouping with three ordered array_agg
# sorted every cell three times over: most of a national tile's time.
_CELLS = (
    ", g AS (SELECT *, floor(ST_X(geom) / {cell}) AS cx, floor(ST_Y(geom) / {cell}) AS cy"
    "  FROM f WHERE geom IS NOT NULL),"
    " c AS (SELECT DISTINCT ON (cx, cy) id, reference,"
    "  CASE WHEN bool_or(status = 'CHA') OVER w THEN 'CHA' ELSE 'SHA' END AS status,"
    "  contam, SUM(remaining_m2) OVER w AS remaining_m2, SUM(area_m2) OVER w AS area_m2,"
    "  COUNT(*) OVER w AS hazards, geom"
    "  FROM g WINDOW w AS (PARTITION BY cx, cy ORDER BY g.remaining_m2 DESC"
    "   ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)"
    "  ORDER BY cx, cy, g.remaining_m2 DESC)"
    " SELECT ST_AsMVT(c, 'hazards', {extent}, 'geom') FROM c"
)


def cell_size(z: int) -> int:
    """Side of a merging cell in tile units: 4096 per tile, 16 per screen pixel in the
    map's 256-pixel tiles, so points merge within two pixels (four at zoom 6). (Zoom 8 had
    cells of one pixel: 8,800 points in the busiest tile at 100,000 hazards, 6,500 now.)"""
    return 64 if z <= 6 else 32


_RELEASES = (
    _ENVELOPE + ", f AS MATERIALIZED ("
    " SELECT r.id, r.reference, h.reference AS hazard_reference, r.method,"
    "  to_char(r.released, 'YYYY-MM-DD') AS released, -e.delta_m2 AS area_m2,"
    "  ST_AsMVTGeom(r.geom_3857, b.env::box2d, {extent}, {buffer}, true) AS geom"
    " FROM b, release_in_force r JOIN hazard h ON h.id = r.hazard_id"
    " LEFT JOIN ledger_entry e ON e.hazard_id = r.hazard_id AND e.release_id = r.id"
    " WHERE r.geom_3857 && b.env AND r.released <= :as_of" + _KIND + ""
    # land released outside every recorded hazard (docs/design.md §2.7), not made into a
    # hazard in force: no hazard reference, its whole area
    " UNION ALL"
    " SELECT -o.id, o.reference, '' AS hazard_reference, o.method,"
    "  to_char(o.released, 'YYYY-MM-DD'), o.area_m2,"
    "  ST_AsMVTGeom(o.geom_3857, b.env::box2d, {extent}, {buffer}, true)"
    " FROM b, outside_release_counted o"
    " WHERE o.geom_3857 && b.env AND o.released <= :as_of"
    " AND (CAST(:contam AS text) IS NULL OR o.contam = :contam))"
    " SELECT ST_AsMVT(f, 'releases', {extent}, 'geom') FROM f WHERE geom IS NOT NULL"
)

# Provinces: their outlines in a tile are the same on every date and kept (the figures are
# joined to them for each date); simplified to about a quarter of a tile pixel: invisible,
# and far fewer vertices.
_ADMIN1_SHAPES = (
    _ENVELOPE + "SELECT a.id, a.code, a.name, ST_AsBinary(ST_AsMVTGeom("
    " ST_Simplify(a.geom_3857, :tolerance), b.env::box2d, {extent}, {buffer}, true))"
    " FROM b, admin_area a WHERE a.level = 1 AND a.geom_3857 && b.env ORDER BY a.id"
)
_ADMIN1 = (
    "WITH figures AS ("
    " SELECT * FROM unnest(CAST(:ids AS integer[]), CAST(:areas AS float8[]),"
    "  CAST(:counts AS integer[])) AS t(id, remaining_m2, hazards)),"
    " shapes AS (SELECT * FROM unnest(CAST(:shape_ids AS integer[]), CAST(:codes AS text[]),"
    "  CAST(:names AS text[]), CAST(:shapes AS bytea[])) AS s(id, code, name, shape)),"
    " f AS ("
    " SELECT s.id, s.code, s.name, COALESCE(g.remaining_m2, 0) AS remaining_m2,"
    "  COALESCE(g.hazards, 0) AS hazards, ST_GeomFromWKB(s.shape) AS geom"
    " FROM shapes s LEFT JOIN figures g ON g.id = s.id)"
    " SELECT ST_AsMVT(f, 'admin1', {extent}, 'geom') FROM f"
)

# Per province: the changes of its remaining area and open hazards up to the date, summed
# (the same sums as Form 1(h); tests/reports/test_map_state.py holds them equal).
_PROVINCE_FIGURES = (
    "SELECT admin_id, SUM(area_m2), SUM(hazards) FROM admin1_change"
    ' WHERE "on" <= :as_of AND (CAST(:contam AS text) IS NULL OR contam = :contam)'
    " GROUP BY admin_id ORDER BY admin_id"
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
    _ENVELOPE + ", pts AS ("
    " SELECT p.status, p.remaining_m2, p.point_3857 AS p FROM b, hazard_period p"
    " WHERE p.bbox_3857 && ST_Expand(b.env, :cell) AND p.point_3857 && ST_Expand(b.env, :cell)"
    " AND p.during @> CAST(:as_of AS date) AND p.remaining_m2 >= :open"
    " AND (CAST(:contam AS text) IS NULL OR p.contam = :contam))"
    " {final}"
)
_GENERALISED_CELLS = (
    ", c AS (SELECT floor(ST_X(p) / :cell) AS cx, floor(ST_Y(p) / :cell) AS cy,"
    "  COUNT(*) AS hazards, SUM(remaining_m2) AS remaining_m2,"
    "  CASE WHEN bool_or(status = 'CHA') THEN 'CHA' ELSE 'SHA' END AS status"
    "  FROM pts GROUP BY 1, 2),"
    " t AS MATERIALIZED (SELECT hazards, remaining_m2, status,"
    "  ST_AsMVTGeom(CASE WHEN :squares"
    "   THEN ST_MakeEnvelope(cx * :cell, cy * :cell, (cx + 1) * :cell, (cy + 1) * :cell, 3857)"
    "   ELSE ST_SetSRID(ST_MakePoint((cx + 0.5) * :cell, (cy + 0.5) * :cell), 3857) END,"
    "  b.env::box2d, {extent}, 64, true) AS geom"
    "  FROM b, c)"
    " SELECT ST_AsMVT(t, 'hazards', {extent}, 'geom') FROM t WHERE geom IS NOT NULL"
)

_WORLD_M = 40075016.68557849  # EPSG:3857 width of the world
CELL_SQUARE_PX = 24  # the screen width from which a generalised cell is drawn as a square


def _sql(template: str, **parts: str) -> Any:
    return text(template.format(extent=EXTENT, buffer=BUFFER, **parts))


# What a tile shows changes only with what ims.reports.kept stamps (read in the request's
# own snapshot: it moves when changes are committed, not when an approval starts).
_STAMP = text(f"SELECT {kept.STAMP_SQL}")
_LATEST = text('SELECT max("on") FROM ledger_entry')


def data_stamp(session: Session) -> str:
    """Changes whenever anything a tile shows may have changed (per database)."""
    return str(session.scalar(_STAMP))


def _state(session: Session) -> tuple[str, dt.date | None]:
    """The data stamp and the date of the latest event.

    The date is read once per stamp: while an approval of this year's releases is under
    way, the end of the dates' index is its uncommitted entries, which every read steps
    over (20 ms a tile for 306,000 of them, against 0.1 ms).
    """
    stamp = data_stamp(session)
    (latest,) = kept.kept_at(stamp, "latest event", None, lambda: (session.scalar(_LATEST),))
    return stamp, latest


def check_tile(layer: str, z: int, x: int, y: int) -> None:
    """Refuse an unknown layer or a tile address outside the tile grid."""
    if layer not in LAYERS:
        raise NotFound(f"no tile layer {layer!r}; the layers are {', '.join(LAYERS)}")
    if not 0 <= z <= MAX_ZOOM:
        raise InvalidRequest(f"zoom {z} is outside 0–{MAX_ZOOM}")
    if not (0 <= x < 2**z and 0 <= y < 2**z):
        raise InvalidRequest(f"tile {x}/{y} does not exist at zoom {z}")


TILE_CACHE_BYTES = 64 * 2**20  # tiles kept in memory, least recently used dropped first


class _TileCache:
    """Tiles by key (each as built and, once asked for, gzipped), up to a number of bytes;
    shared by the server's threads."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._tiles: OrderedDict[tuple[Any, ...], tuple[bytes, bytes | None]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> tuple[bytes, bytes | None] | None:
        with self._lock:
            entry = self._tiles.get(key)
            if entry is not None:
                self._tiles.move_to_end(key)
            return entry

    def put(self, key: tuple[Any, ...], entry: tuple[bytes, bytes | None]) -> None:
        with self._lock:
            old = self._tiles.pop(key, None)
            if old is not None:
                self.size -= _footprint(old)
            self._tiles[key] = entry
            self.size += _footprint(entry)
            while self.size > self.limit and self._tiles:
                _, dropped = self._tiles.popitem(last=False)
                self.size -= _footprint(dropped)

    def clear(self) -> None:
        with self._lock:
            self._tiles.clear()
            self.size = 0


def _footprint(entry: tuple[bytes, bytes | None]) -> int:
    return len(entry[0]) + len(entry[1] or b"") + 200


_tiles = _TileCache(TILE_CACHE_BYTES)


def _province_figures(
    session: Session, as_of: dt.date, contam: str | None = None
) -> tuple[list[int], list[float], list[int]]:
    """Remaining area and open hazards per province at ``as_of`` (all contamination kinds
    unless ``contam``), from the changes per province and date (migration 0016)."""
    rows = session.execute(text(_PROVINCE_FIGURES), {"as_of": as_of, "contam": contam}).all()
    ids = [int(r[0]) for r in rows]
    return ids, [float(r[1]) for r in rows], [int(r[2]) for r in rows]


def province_figures(
    session: Session, as_of: dt.date, contam: str | None = None
) -> dict[int, tuple[float, int]]:
    """Remaining area and open hazards by province id at ``as_of``, as the province layer
    shows them (kept until anything they come from changes, for the tiles too)."""
    ids, areas, counts = kept.kept(
        session,
        "province figures",
        (as_of, contam),
        lambda: _province_figures(session, as_of, contam),
    )
    return dict(zip(ids, zip(areas, counts, strict=True), strict=True))


_Shapes = tuple[list[int], list[str], list[str], list[bytes]]
_shapes: OrderedDict[tuple[Any, ...], _Shapes] = OrderedDict()
_shapes_lock = threading.Lock()
SHAPE_TILES = 4000  # province outlines kept, per tile (a few KB each)


def _admin1_shapes(session: Session, stamp: str, z: int, x: int, y: int) -> _Shapes:
    """The province outlines in a tile, in tile coordinates (kept per tile)."""
    key = (stamp, z, x, y)
    with _shapes_lock:
        found = _shapes.get(key)
    if found is not None:
        return found
    rows = session.execute(
        _sql(_ADMIN1_SHAPES),
        {"z": z, "x": x, "y": y, "tolerance": _WORLD_M / (2**z * EXTENT) / 4},
    ).all()
    rows = [r for r in rows if r[3] is not None]
    shapes = (
        [int(r[0]) for r in rows],
        [str(r[1]) for r in rows],
        [str(r[2]) for r in rows],
        [bytes(r[3]) for r in rows],
    )
    with _shapes_lock:
        _shapes[key] = shapes
        while len(_shapes) > SHAPE_TILES:
            _shapes.popitem(last=False)
    return shapes


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
    compress: bool = False,
) -> bytes:
    """One vector tile of ``layer`` at ``as_of`` (default: today), of one kind of
    contamination (``contam``) or of all; with ``compress``, gzipped (an empty tile stays
    empty).

    With ``generalise_m`` (location privacy) hazards are counts per grid cell of that size
    and the releases layer is refused. Tiles are kept (``TILE_CACHE_BYTES``) until anything
    they show is changed.
    """
    check_tile(layer, z, x, y)
    if generalise_m is not None and layer == "releases":
        raise Forbidden("location privacy is on: released land is shown to staff who sign in")
    stamp, latest = _state(session)
    as_of = as_of or today()
    # Every date from the latest event on shows the same: one tile for all of them.
    current = latest is None or as_of >= latest
    shown = as_of if latest is None else min(as_of, latest)
    key = (stamp, layer, z, x, y, shown, contam, generalise_m)
    entry = _tiles.get(key)
    if entry is None:
        with kept.alone(key):  # readers asking for the same tile at once: it is built once
            entry = _tiles.get(key)
            if entry is None:
                data = _build(session, stamp, layer, z, x, y, shown, current, generalise_m, contam)
                entry = (data, None)
                _tiles.put(key, entry)
    data, gzipped = entry
    if not compress or not data:
        return data
    if gzipped is None:
        # Once per tile, here in the request's thread: at level 1. A national tile of 450 KB
        # takes 10-14 ms at level 1, 37-48 ms at level 6, for 7 % fewer bytes (level 9:
        # more time still, for 0.1 % less).
        gzipped = gzip.compress(data, compresslevel=1, mtime=0)
        _tiles.put(key, (data, gzipped))
    return gzipped


def _build(
    session: Session,
    stamp: str,
    layer: str,
    z: int,
    x: int,
    y: int,
    as_of: dt.date,
    current: bool,
    generalise_m: float | None,
    contam: str | None,
) -> bytes:
    """The tile itself, from the database."""
    session.execute(text("SET LOCAL jit = off"))
    params: dict[str, Any] = {
        "z": z,
        "x": x,
        "y": y,
        "as_of": as_of,
        "open": OPEN_THRESHOLD_M2,
        "contam": contam,
    }
    if generalise_m is not None and layer == "hazards":
        template = _GENERALISED_NOW if current else _GENERALISED_THEN
        final = _GENERALISED_CELLS.replace("{extent}", str(EXTENT))
        params["cell"] = float(generalise_m)
        # once a cell is wider than CELL_SQUARE_PX it is drawn as the square it is: a dot at
        # its centre read as a hazard's exact place once zoomed in
        params["squares"] = generalise_m / (_WORLD_M / 2**z / 256) >= CELL_SQUARE_PX
        data = session.scalar(text(template.replace("{final}", final)), params)
        return bytes(data) if data is not None else b""
    if layer == "hazards" and z < POINT_ZOOM:
        final = _CELLS.replace("{cell}", str(cell_size(z))).replace("{extent}", str(EXTENT))
        # the literal threshold: the index holds the open hazards only (a parameter would
        # not let a prepared statement's plan use it)
        query = _sql(
            _POINTS.replace("{final}", final),
            margin=repr(BUFFER / EXTENT),
            open=repr(float(OPEN_THRESHOLD_M2)),
        )
    elif layer == "hazards":
        query = _sql(_HAZARDS_NOW if current else _HAZARDS_THEN)
    elif layer == "releases":
        if z < RELEASE_ZOOM:
            return b""
        query = _sql(_RELEASES)
    else:
        shape_ids, codes, names, shapes = _admin1_shapes(session, stamp, z, x, y)
        if not shapes:
            return b""
        # the same for every tile of the date: summed once (20 ms at 100,000 hazards)
        ids, areas, counts = kept.kept_at(
            stamp,
            "province figures",
            (as_of, contam),
            lambda: _province_figures(session, as_of, contam),
        )
        params = dict(
            ids=ids,
            areas=areas,
            counts=counts,
            shape_ids=shape_ids,
            codes=codes,
            names=names,
            shapes=shapes,
        )
        query = _sql(_ADMIN1)
    data = session.scalar(query, params)
    return bytes(data) if data is not None else b""


# A submission's staged features, for its review map: each with its row, reference and
# worst finding. A broken geometry is drawn where it lies (clipped to the tile first, so a
# coordinate off the globe cannot stop the tile). Below POINT_ZOOM one point per feature,
# merged per cell of a few pixels with a count and the worst finding among them.
_SUBMISSION = (
    "WITH b AS (SELECT ST_TileEnvelope(:z, :x, :y) AS env,"
    "  ST_Expand(ST_TileEnvelope(:z, :x, :y), :margin) AS outer_env),"
    # the buffer kept within the world: past 180° it came back as -178°, and the box from
    # 88° to -178° held nothing east of 88° (a zoom-2 tile of Laos was empty, so a file with
    # a feature in Europe showed only that one on the review map)
    " e AS (SELECT b.env, ST_Transform(ST_MakeEnvelope("
    "  greatest(ST_XMin(b.outer_env), -:half), greatest(ST_YMin(b.outer_env), -:half),"
    "  least(ST_XMax(b.outer_env), :half), least(ST_YMax(b.outer_env), :half), 3857),"
    "  4326) AS env4326 FROM b),"
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
    "  COUNT(*) AS features, (array_agg(geom ORDER BY row))[1] AS geom"
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
        _sql(query),
        {"z": z, "x": x, "y": y, "s": submission_id, "margin": margin, "half": _WORLD_M / 2},
    )
    return bytes(data) if data is not None else b""
