"""Uploads that would cost far more than their size are refused at once (issue 13, item 4).

A GeoPackage is a SQLite database: it can hold thousands of layers in a few megabytes (the
attack: 22 MB, 5,000 layers, each opened separately for 5.6 s, a worker busy for hours) or
SQL that runs when a layer is read (a view with a recursive CTE). Each test builds such a
file and checks that it is refused, quickly, with the file, layer or feature and the limit
named.
"""

from __future__ import annotations

import sqlite3
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import MultiPolygon, Polygon

from ims.errors import InvalidUpload, UploadTooLarge
from ims.ingest.limits import UploadLimits
from ims.ingest.reader import read_upload
from tests.ingest.test_reader import hazards_frame, write_shp

# Counting to 30 million in a recursive CTE takes SQLite about 15 s: if it runs, it shows.
SLOW_SQL = (
    "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 30000000) "
    "SELECT max(i) FROM r"
)


def geopackage(path: Path, frame: gpd.GeoDataFrame | None = None) -> Path:
    """A GeoPackage with one ordinary layer, 'hazards'."""
    (frame if frame is not None else hazards_frame(2)).to_file(path, layer="hazards")
    return path


def with_sql(path: Path, script: str) -> Path:
    db = sqlite3.connect(path)
    db.executescript(script)
    db.commit()
    db.close()
    return path


def many_layers(path: Path, count: int) -> Path:
    """A GeoPackage of ``count`` one-feature layers, as small as such a file gets."""
    geopackage(path, hazards_frame(1))
    db = sqlite3.connect(path)
    create = db.execute("SELECT sql FROM sqlite_master WHERE name = 'hazards'").fetchone()[0]
    for i in range(1, count):
        name = f"layer_{i}"
        db.execute(create.replace('"hazards"', f'"{name}"', 1))
        db.execute(f'INSERT INTO "{name}" SELECT * FROM hazards')
        db.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
            "VALUES (?, 'features', ?, 4326)",
            (name, name),
        )
        db.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', 'POLYGON', 4326, 0, 0)", (name,)
        )
    db.commit()
    db.close()
    return path


def refused_quickly(
    upload: Path,
    workdir: Path,
    fragment: str,
    *,
    within: float = 5.0,
    limits: UploadLimits = UploadLimits(),
) -> InvalidUpload:
    """Read ``upload`` and expect it refused, naming ``fragment``, within ``within``
    seconds: less than the refused work would take (opening one layer of the attack's file
    took 5.6 s), so it shows nothing of it was done; not a speed target, which a machine
    running slow (1.2 s for the 5,000 layers) had failed at 1 s."""
    started = time.monotonic()
    with pytest.raises(InvalidUpload) as caught:
        read_upload(upload, workdir, limits=limits)
    took = time.monotonic() - started
    assert fragment in caught.value.detail, caught.value.detail
    assert took < within, f"refused after {took:.1f} s"
    return caught.value


def test_a_geopackage_with_5000_layers_is_refused_before_any_is_opened(tmp_path: Path) -> None:
    upload = many_layers(tmp_path / "layers.gpkg", 5000)
    assert upload.stat().st_size > 20e6  # the attack's 22 MB
    error = refused_quickly(
        upload, tmp_path / "work", "layers.gpkg holds 5,000 layers; the limit is 50 layers"
    )
    assert isinstance(error, UploadTooLarge) and error.status_code == 413


def test_the_layer_limit_counts_every_file_of_a_zip(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    shp = write_shp(hazards_frame(1), folder)
    upload = tmp_path / "many.zip"
    with zipfile.ZipFile(upload, "w") as zf:
        for i in range(60):
            for part in folder.iterdir():
                zf.write(part, f"{i}/{part.name}")
    assert shp.exists()
    refused_quickly(upload, tmp_path / "work", "many.zip holds 60 map files; the limit is 50")
    few = UploadLimits(max_layers=3)
    gpkg = many_layers(tmp_path / "four.gpkg", 4)
    refused_quickly(gpkg, tmp_path / "w2", "four.gpkg holds 4 layers; the limit is 3", limits=few)


def test_a_layer_that_is_a_view_is_refused_without_running_it(tmp_path: Path) -> None:
    upload = with_sql(
        geopackage(tmp_path / "view.gpkg"),
        f"""
        CREATE VIEW slow AS SELECT h.fid, h.geom, h.hazard_id FROM hazards h, ({SLOW_SQL});
        INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id)
            VALUES ('slow', 'features', 'slow', 4326);
        INSERT INTO gpkg_geometry_columns VALUES ('slow', 'geom', 'POLYGON', 4326, 0, 0);
    """,
    )
    refused_quickly(
        upload, tmp_path / "work", "view.gpkg, layer 'slow' is an SQL view, not a table"
    )


def test_a_view_among_the_geopackages_own_tables_is_refused(tmp_path: Path) -> None:
    upload = with_sql(
        geopackage(tmp_path / "meta.gpkg"),
        f"""
        CREATE TABLE spare AS SELECT * FROM gpkg_extensions;
        DROP TABLE gpkg_extensions;
        CREATE VIEW gpkg_extensions AS SELECT * FROM spare, ({SLOW_SQL});
    """,
    )
    refused_quickly(upload, tmp_path / "work", "table gpkg_extensions is an SQL view")


KELVIN = "\u212a"  # Python's str.lower() makes it "k"; to SQLite it is a letter of its own


def test_a_view_is_refused_beside_a_table_whose_name_python_folds_to_its_own(
    tmp_path: Path,
) -> None:
    # helper-128: a view "hazk" registered as the layer, and an empty table "haz<KELVIN>"
    # made after it; names folded by Python had taken the table for the view, and GDAL then
    # ran the view's SQL (a worker held for as long as it counted).
    upload = with_sql(
        geopackage(tmp_path / "twin.gpkg"),
        f"""
        CREATE VIEW hazk AS SELECT h.fid, h.geom, h.hazard_id FROM hazards h, ({SLOW_SQL});
        CREATE TABLE "haz{KELVIN}" (fid INTEGER PRIMARY KEY);
        INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id)
            VALUES ('hazk', 'features', 'hazk', 4326);
        INSERT INTO gpkg_geometry_columns VALUES ('hazk', 'geom', 'POLYGON', 4326, 0, 0);
    """,
    )
    refused_quickly(upload, tmp_path / "work", "twin.gpkg, layer 'hazk' is an SQL view")
    # the same for the GeoPackage's own tables, which GDAL reads on opening (a view of the
    # CRS definitions could have shown ims one definition and GDAL's SQLite another)
    srs = with_sql(
        geopackage(tmp_path / "srs.gpkg"),
        f"""
        ALTER TABLE gpkg_spatial_ref_sys RENAME TO spare;
        CREATE VIEW gpkg_spatial_ref_sys AS SELECT * FROM spare, ({SLOW_SQL});
        CREATE TABLE "gp{KELVIN}g_spatial_ref_sys" (x);
    """,
    )
    refused_quickly(srs, tmp_path / "w2", "table gpkg_spatial_ref_sys is an SQL view")


def test_a_layer_in_other_capitals_is_the_table_sqlite_reads(tmp_path: Path) -> None:
    # SQLite's names compare in ASCII capitals: gpkg_contents may name the table
    # "HAZARDS"; it is the table "hazards", read with its geometry.
    upload = with_sql(
        geopackage(tmp_path / "caps.gpkg"),
        """
        UPDATE gpkg_contents SET table_name = 'HAZARDS';
        UPDATE gpkg_geometry_columns SET table_name = 'HAZARDS';
    """,
    )
    read = read_upload(upload, tmp_path / "work")
    assert len(read.frame) == 2 and read.frame.geometry.notna().all()
    # and its text is looked through for NULs, which end a text where GDAL reads it
    plain = tmp_path / "nul.gpkg"  # no spatial index: its triggers call GDAL's functions
    hazards_frame(2).to_file(plain, layer="hazards", SPATIAL_INDEX="NO")
    nul = with_sql(
        plain,
        """
        UPDATE hazards SET hazard_id = 'LA-1' || char(0) || 'lost' WHERE fid = 1;
        UPDATE gpkg_contents SET table_name = 'HAZARDS';
        UPDATE gpkg_geometry_columns SET table_name = 'HAZARDS';
    """,
    )
    refused_quickly(nul, tmp_path / "w2", "feature 1, field 'hazard_id' holds a NUL")


def test_a_view_that_is_no_layer_is_never_run(tmp_path: Path) -> None:
    # GDAL, left to list every table and view, runs this one (5 s and more); ims lists the
    # registered layers itself and GDAL opens only the one chosen.
    upload = with_sql(geopackage(tmp_path / "hidden.gpkg"), f"CREATE VIEW slow AS {SLOW_SQL};")
    started = time.monotonic()
    read = read_upload(upload, tmp_path / "work")
    assert len(read.frame) == 2 and time.monotonic() - started < 2


def test_computed_columns_and_virtual_tables_are_refused(tmp_path: Path) -> None:
    computed = with_sql(
        geopackage(tmp_path / "computed.gpkg"),
        """
        ALTER TABLE hazards ADD COLUMN big TEXT GENERATED ALWAYS AS (zeroblob(1000000)) VIRTUAL;
    """,
    )
    refused_quickly(computed, tmp_path / "w1", "table 'hazards' has computed columns (big)")
    # helper-130: in the GeoPackage's own tables too, which GDAL reads as it opens the file
    # (a description computed by SQL as slow as one wished: 6.4 s for this one)
    own = with_sql(
        geopackage(tmp_path / "contents.gpkg"),
        """
        CREATE TABLE spare AS SELECT * FROM gpkg_contents;
        DROP TABLE gpkg_contents;
        CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT,
            identifier TEXT, slow TEXT, last_change TEXT, min_x REAL, min_y REAL,
            max_x REAL, max_y REAL, srs_id INTEGER,
            description TEXT GENERATED ALWAYS AS (instr(printf('%.*c', 20000000, 'a') || 'b',
                printf('%.*c', 10000, 'a') || 'b')) VIRTUAL);
        INSERT INTO gpkg_contents (table_name, data_type, identifier, last_change, min_x,
            min_y, max_x, max_y, srs_id)
            SELECT table_name, data_type, identifier, last_change, min_x, min_y, max_x,
                max_y, srs_id FROM spare;
    """,
    )
    refused_quickly(
        own, tmp_path / "w3", "its table 'gpkg_contents' has computed columns (description)"
    )
    # and a view where GDAL looks for a layer's spatial index
    rtree = with_sql(
        geopackage(tmp_path / "rtree.gpkg"), f"CREATE VIEW rtree_spare_geom AS {SLOW_SQL};"
    )
    refused_quickly(rtree, tmp_path / "w4", "table rtree_spare_geom is an SQL view")
    virtual = with_sql(
        geopackage(tmp_path / "virtual.gpkg"),
        """
        CREATE VIRTUAL TABLE boxes USING rtree(id, minx, maxx, miny, maxy);
        INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id)
            VALUES ('boxes', 'attributes', 'boxes', 0);
    """,
    )
    refused_quickly(virtual, tmp_path / "w2", "layer 'boxes' is a virtual table")


def test_a_geopackage_still_being_written_and_a_plain_sqlite_file(tmp_path: Path) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    gpkg = geopackage(folder / "h.gpkg")
    upload = tmp_path / "wal.zip"
    with zipfile.ZipFile(upload, "w") as zf:
        zf.write(gpkg, "h.gpkg")
        zf.writestr("h.gpkg-wal", b"\0" * 100)
    refused_quickly(upload, tmp_path / "w1", "comes with h.gpkg-wal")
    plain = with_sql(tmp_path / "plain.gpkg", "CREATE TABLE t (x);")
    refused_quickly(plain, tmp_path / "w2", "an SQLite database but not a GeoPackage")


def test_a_layer_with_too_many_features(tmp_path: Path) -> None:
    upload = geopackage(tmp_path / "six.gpkg", hazards_frame(6))
    error = refused_quickly(
        upload,
        tmp_path / "work",
        "six.gpkg, layer 'hazards' has 6 features; the limit is 5 features",
        limits=UploadLimits(max_features=5),
    )
    assert error.status_code == 413


def test_a_feature_with_too_many_vertices_is_named(tmp_path: Path) -> None:
    frame = hazards_frame(3)
    ring = [(103.3 + 0.01 * (i % 2), 19.4 + 0.0001 * i) for i in range(150)]
    frame.loc[1, "geometry"] = Polygon(ring)
    upload = geopackage(tmp_path / "detailed.gpkg", frame)
    refused_quickly(
        upload,
        tmp_path / "w1",
        "detailed.gpkg, layer 'hazards': feature 2 (H2) has 151 vertices; the limit "
        "is 100 vertices per feature",
        limits=UploadLimits(max_vertices_per_feature=100),
    )
    squares = geopackage(tmp_path / "squares.gpkg", hazards_frame(4))
    refused_quickly(
        squares,
        tmp_path / "w2",
        "squares.gpkg, layer 'hazards' has 20 vertices in all; the limit is 15",
        limits=UploadLimits(max_vertices=15),
    )


def test_columns_filled_by_their_defaults_are_refused_and_small_defaults_read(
    tmp_path: Path,
) -> None:
    # Rows written before a column was added with a DEFAULT do not store it: SQLite gives
    # each the default, stored once. 2 MB of GeoPackage whose 60 columns had 10 kB defaults
    # over 150,000 rows would have been 90 GB of cells (an attack on our own instance).
    big = "x" * 40_000
    filled = with_sql(
        geopackage(tmp_path / "filled.gpkg", hazards_frame(2_000)),
        "".join(f"ALTER TABLE hazards ADD COLUMN c{i} TEXT DEFAULT '{big}';" for i in range(3)),
    )
    assert filled.stat().st_size < 2_000_000
    refused_quickly(filled, tmp_path / "w1", "table 'hazards': its columns' default values")
    # in the GeoPackage's own tables too, which GDAL reads on opening (helper-131: 100,000
    # rows of gpkg_extensions given a 10 kB default, 31 s of a worker from 431 kB)
    own = with_sql(
        geopackage(tmp_path / "extensions.gpkg"),
        """
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
        INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition,
            scope) SELECT 't' || i, NULL, 'x_e', 'd', 'read-write' FROM n;
        """
        + f"ALTER TABLE gpkg_extensions ADD COLUMN note TEXT DEFAULT '{'x' * 10_000}';",
    )
    refused_quickly(own, tmp_path / "w3", "table 'gpkg_extensions': its columns' default values")
    # a default of a few words, as QGIS may write one, is read
    small = with_sql(
        geopackage(tmp_path / "small.gpkg"),
        "ALTER TABLE hazards ADD COLUMN team TEXT DEFAULT 'unknown';",
    )
    read = read_upload(small, tmp_path / "w2")
    assert list(read.frame["team"]) == ["unknown"] * len(read.frame)


def _zipped(shp: Path, upload: Path) -> Path:
    with zipfile.ZipFile(upload, "w") as zf:
        for part in sorted(p for p in shp.parent.iterdir() if p.stem == shp.stem):
            zf.write(part, part.name)
    return upload


def test_a_shapefiles_index_and_records_are_walked_before_gdal_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A third attack on our own instance: a .shx of 5,000 entries all naming one record of
    100,000 points took past 8 GB in GDAL, and one polygon of 40,000 rings 23 s (GDAL sorts
    rings in time growing with the square of their number). The records' headers are
    read first."""
    import pyogrio

    read: list[object] = []
    real = pyogrio.read_dataframe
    monkeypatch.setattr(pyogrio, "read_dataframe", lambda *a, **k: read.append(a) or real(*a, **k))
    shp = write_shp(hazards_frame(3), tmp_path / "repeated")
    shx = shp.with_suffix(".shx")
    index = bytearray(shx.read_bytes())
    index[108:116] = index[100:108]  # the second entry names the first record again
    shx.write_bytes(bytes(index))
    refused_quickly(
        _zipped(shp, tmp_path / "repeated.zip"), tmp_path / "w1", "its .shx does not match"
    )
    squares = [
        Polygon([(103 + i * 1e-4, 19), (103 + i * 1e-4 + 5e-5, 19), (103 + i * 1e-4, 19.0001)])
        for i in range(6_000)
    ]
    frame = hazards_frame(1)
    frame.loc[0, "geometry"] = MultiPolygon(squares)
    shp = write_shp(frame, tmp_path / "parts")
    refused_quickly(
        _zipped(shp, tmp_path / "parts.zip"),
        tmp_path / "w2",
        "feature 1 is one polygon of 6,000 parts",
    )
    many = write_shp(hazards_frame(40), tmp_path / "many")
    refused_quickly(
        _zipped(many, tmp_path / "many.zip"),
        tmp_path / "w3",
        "more than 150 vertices in all",
        limits=UploadLimits(max_vertices=150),
    )
    assert read == [], "GDAL read a shapefile past the limits"
    fine = read_upload(_zipped(many, tmp_path / "fine.zip"), tmp_path / "w4")
    assert len(fine.frame) == 40


def test_a_layer_of_more_fields_than_a_table_holds_is_refused_before_it_is_read(
    tmp_path: Path,
) -> None:
    """helper-131: a GeoJSON layer's fields are every property any feature has; 8,000
    features with one property of their own each were read as 64 million cells (45 s,
    1.7 GB) before the file was refused for its own columns. Refused from the layer's
    description, as a table of more than 2,000 columns is."""
    import json

    features = [
        {
            "type": "Feature",
            "properties": {"hazard_id": f"W{i}", f"p{i}": 1},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[103, 19], [103.001, 19], [103.001, 19.001], [103, 19]]],
            },
        }
        for i in range(2_100)
    ]
    upload = tmp_path / "wide.geojson"
    upload.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    refused_quickly(upload, tmp_path / "work", "layer 'wide' has 2,101 fields")
    # as many as a table may hold are read
    upload.write_text(json.dumps({"type": "FeatureCollection", "features": features[:1_999]}))
    assert len(read_upload(upload, tmp_path / "ok").frame) == 1_999


def test_tables_not_read_are_named_a_few_and_short(tmp_path: Path) -> None:
    """helper-131: thousands of tables without geometry, named in 10 kB each, made a note
    of 9.8 MB in every answer about the upload. The first ten are named, each cut."""
    tables = "".join(
        f'CREATE TABLE "{i:02}{"t" * 200}" (id INTEGER PRIMARY KEY);'
        "INSERT INTO gpkg_contents (table_name, data_type, identifier) "
        f"VALUES ('{i:02}{'t' * 200}', 'attributes', 't{i}');"
        for i in range(30)
    )
    upload = with_sql(geopackage(tmp_path / "tables.gpkg"), tables)
    read = read_upload(upload, tmp_path / "work", layer="hazards")
    (note,) = [n for n in read.warnings if "without geometry" in n]
    assert f"09{'t' * 58}… and 20 more (without geometry) were not read" in note
    assert len(note) < 1_200
