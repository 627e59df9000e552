"""A GeoPackage's structure, read safely: it is a SQLite database that could hold SQL to run.

Its structure is read with SQLite itself first (which runs nothing), SQL views, virtual
tables and computed columns are refused, and GDAL opens it listing only its registered
layers, with the options below.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyogrio

from ims.errors import InvalidUpload
from ims.ingest.archive import ACCEPTED
from ims.ingest.crs import refuse_file_named

# What GDAL may do when it opens an uploaded GeoPackage (it is read-only, so triggers never
# fire). Listing a GeoPackage's layers makes GDAL prepare a statement over every table and
# view, which runs a view's SQL: LIST_ALL_TABLES=NO keeps it to the registered layers (and
# ims lists those itself, with SQLite, and opens only the chosen one). The configuration
# options keep SQL functions and virtual tables from reaching other files or URLs, load no
# SQLite extension and run no extra PRAGMA (these can only be set by whoever runs ims, but
# an upload is never the place for them).
GPKG_OPEN_OPTIONS = {"LIST_ALL_TABLES": "NO"}
_GDAL_CONFIG: dict[str, str | None] = {
    "OGR_SQLITE_ALLOW_EXTERNAL_ACCESS": "NO",
    "ALLOW_VIRTUAL_OGR_FROM_TRIGGER_AND_VIEW": "NO",
    "OGR_SQLITE_LIST_VIRTUAL_OGR": "NO",
    "OGR_SQLITE_LOAD_EXTENSIONS": None,
    "OGR_SQLITE_PRAGMA": None,
    "OGR_GPKG_FOREIGN_KEY_CHECK": "NO",  # a check over every table, not needed to read one
}
pyogrio.set_gdal_config_options(_GDAL_CONFIG)
_GPKG_SIDECARS = ("-wal", "-journal", "-shm")  # a database still being written
_INSPECT_S = 5.0  # reading a GeoPackage's structure with SQLite takes milliseconds


def geopackage_layers(
    path: Path, display: str, make_room: Callable[[int, str], None]
) -> list[tuple[str, bool]]:
    """The layers a GeoPackage registers, (name, has a geometry column), read with SQLite.

    ``make_room(count, display)`` is told how many layers the file holds before they are
    listed (it raises when the upload may not hold so many). A GeoPackage that comes with
    the files of a database still being written is refused.

    SQLite reads the schema and two small tables here and runs nothing of the file's (the
    database is opened read-only and immutable, untrusted schema, and the whole look is cut
    off after a few seconds). A layer that is an SQL view, a virtual table or has computed
    columns is refused: reading it would run SQL written by whoever made the file.
    """
    for suffix in _GPKG_SIDECARS:
        if path.with_name(path.name + suffix).exists():
            raise InvalidUpload(
                f"{display} comes with {path.name + suffix}: the GeoPackage was still being "
                "written; close it in the program that made it and upload it again"
            )
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    deadline = time.monotonic() + _INSPECT_S
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=0)) as db:
            db.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
            db.execute("PRAGMA trusted_schema = OFF")
            db.execute("PRAGMA query_only = ON")
            return _registered_layers(db, display, make_room)
    except sqlite3.Error as exc:
        if time.monotonic() > deadline:
            raise InvalidUpload(
                f"{display}: its structure could not be read within {_INSPECT_S:.0f} s; ims "
                "refuses it"
            ) from None
        raise InvalidUpload(
            f"{display} cannot be read as a GeoPackage ({exc}): it may be damaged or only "
            "partly uploaded"
        ) from None


def _refuse_crs_naming_files(db: sqlite3.Connection, display: str) -> None:
    """Refuse a GeoPackage whose CRS definitions name a file for PROJ to read: GDAL reads it
    as it opens the layer (``ims.ingest.crs``). Every definition, WKT and WKT2's."""
    columns = {str(c[1]).lower() for c in db.execute("PRAGMA table_info(gpkg_spatial_ref_sys)")}
    wanted = [c for c in ("definition", "definition_12_063") if c in columns]
    for column in wanted:
        for srs_id, definition in db.execute(f"SELECT srs_id, {column} FROM gpkg_spatial_ref_sys"):
            refuse_file_named(str(definition or ""), f"{display} (its CRS {srs_id})")


def _objects_named(db: sqlite3.Connection, name: str, where: str) -> tuple[str, str]:
    """The kind of the schema's object named ``name`` and its SQL, as SQLite resolves the
    name: its letters compared in ASCII capitals only (``COLLATE NOCASE``), never as
    Python's ``str.lower`` folds them ("K", the Kelvin sign, is "k" to Python and a
    letter of its own to SQLite: a table named with it had hidden a view of the name
    GDAL then read, helper-128). ("", "") where there is none; a schema naming it twice
    (written by hand into ``sqlite_master``) is refused."""
    found = db.execute(
        "SELECT type, sql FROM sqlite_master WHERE name = ? COLLATE NOCASE", (name,)
    ).fetchall()
    if len(found) > 1:
        raise InvalidUpload(
            f"{where}: its schema names {name!r} {len(found)} times; the GeoPackage is "
            "damaged or made by hand, and ims refuses it"
        )
    return (str(found[0][0]), str(found[0][1] or "")) if found else ("", "")


def _registered_layers(
    db: sqlite3.Connection, display: str, make_room: Callable[[int, str], None]
) -> list[tuple[str, bool]]:
    """The registered layers, from the schema and gpkg_contents; anything that runs SQL
    refused. Every name is looked up by SQLite itself, as GDAL's SQLite will look it up."""
    if _objects_named(db, "gpkg_contents", display)[0] != "table":
        raise InvalidUpload(
            f"{display} is an SQLite database but not a GeoPackage (it has no gpkg_contents "
            f"table): ims accepts {ACCEPTED}"
        )
    _refuse_computed_columns(db, display)  # before any of the file's tables is read
    # GDAL reads these tables on opening, and the spatial index with a filter; LIKE, too,
    # compares ASCII capitals only
    views = db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'view'"
        " AND (name LIKE 'gpkg%' OR name LIKE 'rtree%') ORDER BY name"
    ).fetchall()
    if views:
        raise InvalidUpload(
            f"{display}: its GeoPackage table {views[0][0]} is an SQL view; ims refuses it, "
            "as reading it would run SQL from the file"
        )
    if _objects_named(db, "gpkg_spatial_ref_sys", display)[0] == "table":
        _refuse_crs_naming_files(db, display)
    kinds = "lower(data_type) IN ('features', 'attributes')"
    (count,) = db.execute(f"SELECT count(*) FROM gpkg_contents WHERE {kinds}").fetchone()
    make_room(int(count), display)
    with_geometry = _objects_named(db, "gpkg_geometry_columns", display)[0] == "table"
    layers = []
    for (table_name,) in db.execute(f"SELECT table_name FROM gpkg_contents WHERE {kinds}"):
        name = str(table_name)
        where = f"{display}, layer {name!r}"
        kind, sql = _objects_named(db, name, where)
        if kind == "view":
            raise InvalidUpload(
                f"{where} is an SQL view, not a table: ims does not read views, as reading "
                "one runs SQL from the file; export the layer as a table and upload it again"
            )
        if kind != "table":
            raise InvalidUpload(f"{where} is listed in the GeoPackage but has no table")
        if re.match(r"\s*CREATE\s+VIRTUAL\s+TABLE", sql, re.IGNORECASE):
            raise InvalidUpload(
                f"{where} is a virtual table, not a table of data: ims refuses it; export "
                "the layer as an ordinary table"
            )
        geometry = with_geometry and bool(
            db.execute(
                "SELECT 1 FROM gpkg_geometry_columns WHERE table_name = ? COLLATE NOCASE"
                " AND column_name IS NOT NULL",
                (name,),
            ).fetchone()
        )
        layers.append((name, geometry))
    return layers


def _refuse_computed_columns(db: sqlite3.Connection, display: str) -> None:
    """Refuse computed columns, in any table: reading one runs SQL from the file; and
    columns whose defaults would fill more than ``MAX_DEFAULT_BYTES``. Not only
    in the layers: GDAL reads the GeoPackage's own tables as it opens the file
    (``gpkg_contents``' description, say), where nothing of ims's bounds the time, and such
    a column had held an upload's worker for as long as it wished (helper-130). Virtual
    tables (a spatial index) have none."""
    tables = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name"
    ).fetchall()
    for table, sql in tables:
        name = str(table)
        if re.match(r"\s*CREATE\s+VIRTUAL\s", str(sql or ""), re.I):
            continue
        quoted = name.replace('"', '""')
        columns = db.execute(f'PRAGMA table_xinfo("{quoted}")').fetchall()
        computed = [str(c[1]) for c in columns if c[6] == 2]  # generated, computed on read
        if computed:
            raise InvalidUpload(
                f"{display}: its table {name!r} has computed columns "
                f"({', '.join(computed)}): ims refuses them, as reading one runs SQL from "
                "the file; export the layers again (QGIS: Export → Save Features As)"
            )
        # GDAL reads the GeoPackage's own tables too: gpkg_extensions' rows given a default
        # of 10 kB each had cost 31 s and 2.2 GB from 431 kB (helper-131)
        _refuse_filled_by_defaults(db, f"{display}, table {name!r}", quoted, columns)


# What a layer's column defaults may add up to, rows times their sizes: the default of a
# column added after its rows were written is what SQLite gives each of those rows, stored
# once. 2 MB of GeoPackage whose 60 columns had 10 kB defaults over 150,000 rows would have
# been 90 GB of cells (an attack on our own instance); a default of a few words on a
# national layer is a few MB.
MAX_DEFAULT_BYTES = 64_000_000


def _refuse_filled_by_defaults(
    db: sqlite3.Connection, where: str, quoted: str, columns: list[Any]
) -> None:
    defaults = {str(c[1]): len(str(c[4])) for c in columns if c[4] is not None}
    if not defaults:
        return
    (rows,) = db.execute(f'SELECT count(*) FROM "{quoted}"').fetchone()
    if int(rows) * sum(defaults.values()) > MAX_DEFAULT_BYTES:
        largest = max(defaults, key=lambda k: defaults[k])
        raise InvalidUpload(
            f"{where}: its columns' default values ({len(defaults)} columns, "
            f"{largest!r}'s of {defaults[largest]:,} characters) would fill "
            f"{int(rows):,} rows with more than {MAX_DEFAULT_BYTES / 1e6:,.0f} MB: ims refuses "
            "it; export the layer again (QGIS: Export → Save Features As)"
        )
