"""Reading uploads (ims.ingest.reader): formats, CRS, encodings, Z, and hostile files."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
import struct
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook
from shapely.geometry import MultiPolygon, Polygon, box

from ims.errors import InvalidUpload
from ims.ingest.archive import member_parts, unpack
from ims.ingest.encodings import detect_dbf_encoding
from ims.ingest.layers import LayerInfo, choose_layer, describe, list_layers
from ims.ingest.limits import UploadLimits
from ims.ingest.reader import read_upload

LAO_VILLAGE = "ບ້ານນາ"
LAO_PROVINCE = "ແຂວງຊຽງຂວາງ"
THAI = "บ้านนาสร้างใหม่"
SPANISH = "Señor Peña"
FRENCH = "Hôpital de l'Été"


def hazards_frame(n: int = 3, *, names: list[str] | None = None) -> gpd.GeoDataFrame:
    """Small squares in Xiangkhouang, Laos, in EPSG:4326."""
    geoms = [box(103.2 + i * 0.01, 19.4, 103.205 + i * 0.01, 19.405) for i in range(n)]
    return gpd.GeoDataFrame(
        {
            "hazard_id": [f"H{i + 1}" for i in range(n)],
            "name": names or [f"area {i + 1}" for i in range(n)],
            "munitions": ["BLU-26:10"] * n,
        },
        geometry=geoms,
        crs=4326,
    )


def write_shp(
    frame: gpd.GeoDataFrame,
    folder: Path,
    stem: str = "hazards",
    *,
    encoding: str | None = None,
    cpg: bool = True,
    prj: bool = True,
) -> Path:
    """Write a shapefile; drop its .cpg or .prj on request."""
    folder.mkdir(parents=True, exist_ok=True)
    shp = folder / f"{stem}.shp"
    pyogrio.write_dataframe(frame, shp, encoding=encoding)
    if not cpg:
        shp.with_suffix(".cpg").unlink()
    if not prj:
        shp.with_suffix(".prj").unlink(missing_ok=True)
    return shp


def shapefile_parts(shp: Path) -> list[Path]:
    return sorted(p for p in shp.parent.iterdir() if p.stem == shp.stem)


def make_zip(target: Path, members: dict[str, Path | bytes]) -> Path:
    """A zip whose entries (name → file or bytes) are deflated."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            if isinstance(content, Path):
                zf.write(content, name)
            else:
                zf.writestr(name, content)
    return target


def zip_shapefile(shp: Path, target: Path, prefix: str = "") -> Path:
    return make_zip(target, {f"{prefix}{p.name}": p for p in shapefile_parts(shp)})


def set_ldid(shp: Path, value: int) -> None:
    """Set the language driver id byte of a shapefile's .dbf header."""
    dbf = shp.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[29] = value
    dbf.write_bytes(bytes(data))


@pytest.fixture
def area(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """(folder for the uploads, workdir); afterwards nothing may be new outside them."""
    uploads = tmp_path / "uploads"
    workdir = tmp_path / "work"
    uploads.mkdir()
    workdir.mkdir()
    yield uploads, workdir
    outside = {p for p in tmp_path.rglob("*") if not p.is_relative_to(workdir)}
    allowed = {uploads} | set(uploads.rglob("*"))
    assert outside <= allowed, f"written outside workdir: {outside - allowed}"


def tree(folder: Path, *, leave_out: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if not p.is_relative_to(leave_out)}


def refused(upload: Path, workdir: Path, fragment: str, **kw: object) -> InvalidUpload:
    """Assert that reading ``upload`` fails with ``fragment`` and writes only into workdir."""
    around = workdir.parent
    before = tree(around, leave_out=workdir)
    with pytest.raises(InvalidUpload) as caught:
        read_upload(upload, workdir, **kw)  # type: ignore[arg-type]
    assert fragment in caught.value.detail, caught.value.detail
    assert "Traceback" not in caught.value.detail
    assert tree(around, leave_out=workdir) == before
    return caught.value


# --- formats and CRS ---------------------------------------------------------------------


def test_utm_shapefile_with_prj_comes_back_in_laos(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    original = hazards_frame(5)
    original.loc[1, "geometry"] = MultiPolygon(
        [box(103.3, 19.5, 103.31, 19.51), box(103.32, 19.5, 103.33, 19.51)]
    )
    original.loc[2, "geometry"] = Polygon(
        [(103.4, 19.4), (103.5, 19.4), (103.5, 19.5), (103.4, 19.5)],
        [[(103.42, 19.42), (103.44, 19.42), (103.44, 19.44), (103.42, 19.44)]],
    )
    shp = write_shp(original.to_crs(32648), uploads / "src")
    upload = zip_shapefile(shp, uploads / "hazards.zip")

    result = read_upload(upload, workdir, kind="hazards")

    assert result.source_crs == "EPSG:32648" and not result.crs_was_stated
    assert result.frame.crs.to_epsg() == 4326
    assert isinstance(result.frame.index, pd.RangeIndex) and result.frame.index.start == 0
    assert list(result.frame.columns) == ["hazard_id", "name", "munitions", "geometry"]
    assert list(result.frame["hazard_id"]) == ["H1", "H2", "H3", "H4", "H5"]
    got = shapely.normalize(result.frame.geometry.to_numpy())
    want = shapely.normalize(original.geometry.to_numpy())
    assert shapely.equals_exact(got, want, tolerance=1e-7).all()
    assert result.frame.geometry.iloc[1].geom_type == "MultiPolygon"
    assert len(result.frame.geometry.iloc[2].interiors) == 1  # the hole is kept
    assert result.encoding == "UTF-8" and result.layer == "hazards"
    assert not result.dropped_z and result.warnings == []


def test_shapefile_without_prj_is_refused_unless_the_crs_is_stated(
    area: tuple[Path, Path],
) -> None:
    uploads, workdir = area
    original = hazards_frame(2)
    shp = write_shp(original.to_crs(32648), uploads / "src", prj=False)
    upload = zip_shapefile(shp, uploads / "hazards.zip")

    refused(upload, workdir / "a", "declares no coordinate reference system (no .prj)")
    # what its coordinates look like is said: metres of a UTM zone here, degrees below
    refused(upload, workdir / "c", "look like metres of a UTM zone: name it, e.g. --crs EPSG:32648")
    in_degrees = zip_shapefile(write_shp(original, uploads / "deg", prj=False), uploads / "d.zip")
    refused(in_degrees, workdir / "e", "look like longitude and latitude: --crs EPSG:4326")
    result = read_upload(upload, workdir / "b", crs="EPSG:32648")

    assert result.crs_was_stated and result.source_crs == "EPSG:32648"
    assert shapely.equals_exact(
        shapely.normalize(result.frame.geometry.to_numpy()),
        shapely.normalize(original.geometry.to_numpy()),
        tolerance=1e-7,
    ).all()


def test_the_files_crs_wins_over_a_different_stated_one(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    shp = write_shp(hazards_frame(1).to_crs(32648), uploads / "src")
    upload = zip_shapefile(shp, uploads / "hazards.zip")

    result = read_upload(upload, workdir, crs="EPSG:32647")

    assert result.source_crs == "EPSG:32648" and not result.crs_was_stated
    assert any("EPSG:32647 was ignored" in w for w in result.warnings)
    assert 103.0 < result.frame.geometry.iloc[0].centroid.x < 103.3


def test_an_unparseable_stated_crs_is_refused(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    shp = write_shp(hazards_frame(1), uploads / "src")
    upload = zip_shapefile(shp, uploads / "hazards.zip")
    refused(upload, workdir, "'EPSG:9999999' is not one ims recognises", crs="EPSG:9999999")


def test_bare_shapefile_with_its_siblings(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    shp = write_shp(hazards_frame(2), uploads)
    result = read_upload(shp, workdir)
    assert len(result.frame) == 2 and result.layer == "hazards"
    assert list(workdir.iterdir()) == []  # nothing needed extracting


def test_geojson(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    path = uploads / "hazards.geojson"
    hazards_frame(3, names=[LAO_VILLAGE, LAO_PROVINCE, "x"]).to_file(path, driver="GeoJSON")
    result = read_upload(path, workdir)
    assert list(result.frame["name"]) == [LAO_VILLAGE, LAO_PROVINCE, "x"]
    assert result.source_crs == "EPSG:4326" and result.encoding is None


def test_a_geojson_text_that_starts_like_a_date_is_kept_whole(area: tuple[Path, Path]) -> None:
    """helper-131: GDAL typed a property whose values start like a date as a date, and kept
    of "2024-01-01 10:00 and the fence was moved" the date alone, without a word."""
    uploads, workdir = area
    notes = ["2024-01-01 10:00 and the fence was moved", "2024-02-03 09:00"]
    frame = hazards_frame(2)
    frame["note"] = notes
    frame["recorded"] = ["2024-01-01", "2024-02-03"]
    path = uploads / "dated.geojson"
    path.write_text(frame.to_json())
    result = read_upload(path, workdir)
    assert list(result.frame["note"]) == notes
    assert list(result.frame["recorded"]) == ["2024-01-01", "2024-02-03"]


@pytest.mark.parametrize("separator", ["\n", "\x1e"], ids=["a feature a line", "RFC 8142"])
def test_a_geojson_sequences_text_that_starts_like_a_date_is_kept_whole(
    area: tuple[Path, Path], separator: str
) -> None:
    """GDAL's sequence driver has no DATE_AS_STRING: a file of a feature a line (or of
    features each after a record separator, over several lines) had kept the date alone."""
    uploads, workdir = area
    notes = ["2024-01-01 10:00 and the fence was moved", "2024-02-03 09:00"]
    frame = hazards_frame(2)
    frame["note"] = notes
    frame["recorded"] = ["2024-01-01", "2024-02-03"]
    features = json.loads(frame.to_json())["features"]
    records = [json.dumps(f, indent=1 if separator == "\x1e" else None) for f in features]
    path = uploads / "dated.geojson"
    sent = "".join(f"{separator}{r}\n" for r in records)
    path.write_text(sent)
    assert pyogrio.read_info(path)["driver"] == "GeoJSONSeq"
    result = read_upload(path, workdir)
    assert list(result.frame["note"]) == notes
    assert list(result.frame["recorded"]) == ["2024-01-01", "2024-02-03"]
    assert result.frame.geometry.iloc[1].equals_exact(frame.geometry.iloc[1], 1e-9)
    assert path.read_text() == sent  # the file sent is left as it was


def test_a_broken_record_of_a_geojson_sequence_is_refused_with_the_files_name(
    area: tuple[Path, Path],
) -> None:
    uploads, workdir = area
    frame = hazards_frame(2)
    frame["recorded"] = ["2024-01-01", "2024-02-03"]
    good, _ = (json.dumps(f) for f in json.loads(frame.to_json())["features"])
    path = uploads / "broken.geojson"
    path.write_text(f"{good}\n{good}\n{good[:-20]}\n")
    with pytest.raises(InvalidUpload) as raised:
        read_upload(path, workdir)
    assert "broken.geojson" in raised.value.detail and str(workdir) not in raised.value.detail


def test_kml_keeps_its_own_attributes_only(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    path = uploads / "hazards.kml"
    frame = hazards_frame(2)[["name", "geometry"]].rename(columns={"name": "Name"})
    frame.to_file(path, driver="KML")
    result = read_upload(path, workdir)
    assert list(result.frame["Name"]) == ["area 1", "area 2"]
    assert "tessellate" not in result.frame.columns and "icon" not in result.frame.columns
    assert result.frame.geometry.iloc[0].equals_exact(frame.geometry.iloc[0], 1e-9)


def kml_document(placemarks: int, corners: int = 4, padding: str = "") -> bytes:
    """A KML of ``placemarks`` polygons of ``corners`` corners each, as one line of text
    per placemark, and ``padding`` in a comment."""
    ring = " ".join(f"{103 + i / 1e5:.5f},{19 + (i % 2) / 1e5:.5f}" for i in range(corners - 1))
    ring += f" {103:.5f},{19:.5f}"
    mark = (
        f"<Placemark><Polygon><outerBoundaryIs><LinearRing><coordinates>{ring}</coordinates>"
        "</LinearRing></outerBoundaryIs></Polygon></Placemark>\n"
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2">'
        f"<Document><!--{padding}-->{mark * placemarks}</Document></kml>"
    ).encode()


@pytest.fixture
def gdal_listed(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The files GDAL is asked to list from now on: a file refused before GDAL reads it is
    never among them."""
    opened: list[object] = []
    real = pyogrio.list_layers
    monkeypatch.setattr(pyogrio, "list_layers", lambda *a, **k: opened.append(a) or real(*a, **k))
    return opened


def test_a_kml_past_the_limits_is_refused_before_gdal_builds_it(
    area: tuple[Path, Path], gdal_listed: list[object]
) -> None:
    """GDAL builds a KML whole in memory before its features can be counted: 1.96 MB of
    KMZ holding 2.8 million placemarks took an upload worker to 3.3 GB and 40 s before its
    refusal (an attack on our own instance). Placemarks, coordinates and size are counted
    first, as the file streams by."""
    uploads, workdir = area
    opened = gdal_listed
    many = uploads / "many.kml"
    many.write_bytes(kml_document(1_200))
    few = UploadLimits(max_features=1_000)
    refused(many, workdir / "a", "many.kml has more than 1,000 placemarks", limits=few)
    kmz = make_zip(uploads / "many.kmz", {"doc.kml": many.read_bytes()})
    refused(kmz, workdir / "b", "doc.kml has more than 1,000 placemarks", limits=few)
    corners = uploads / "corners.kml"
    corners.write_bytes(kml_document(30, corners=1_000))  # counted across the 1 MB blocks
    detail = refused(
        corners,
        workdir / "c",
        "has more than 29,999 vertices",
        limits=UploadLimits(max_vertices=29_999),
    ).detail
    assert "the limit is 29,999" in detail
    track = uploads / "track.kml"  # a gx:Track's points are elements of their own
    points = "".join(f"<gx:coord>103.{n:05d} 19.0 0</gx:coord>" for n in range(3_000))
    track.write_text(
        '<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2">'
        f"<Document><Placemark><gx:Track>{points}</gx:Track></Placemark></Document></kml>"
    )
    many_points = UploadLimits(max_vertices=2_999)
    refused(track, workdir / "t", "has more than 2,999 vertices", limits=many_points)
    overlays = uploads / "overlays.kml"  # a feature each, with no placemark or coordinates
    overlays.write_text(
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        + "<GroundOverlay/>" * 3_000
        + "</Document></kml>"
    )
    few_elements = UploadLimits(max_kml_elements=2_999)
    refused(overlays, workdir / "o", "more than 2,999 XML elements", limits=few_elements)
    padded = uploads / "padded.kml"
    padded.write_bytes(kml_document(1, padding="x" * 3_000_000))
    refused(
        padded,
        workdir / "d",
        "3 MB of KML; ims reads at most 2 MB",
        limits=UploadLimits(max_kml_bytes=2_000_000),
    )
    assert opened == [], "GDAL was shown a KML past the limits"
    # within them, to the vertex, it is read
    exact = read_upload(corners, workdir / "e", limits=UploadLimits(max_vertices=30_000))
    assert len(exact.frame) == 30 and opened


def test_a_kmls_document_type_comma_runs_and_attributes_are_refused_before_gdal(
    area: tuple[Path, Path], gdal_listed: list[object]
) -> None:
    """A third attack on our own instance: a DOCTYPE whose quoted system id held "><kml"
    passed the prologue's check, and its attribute defaults (libkml applies them to every
    element) took 1.9 MB to 15 GB; coordinates as one run of comma-separated numbers
    ("0,0,0,0,…", a vertex each three to libkml) counted as one vertex; 5 million
    attributes on one element took 1.9 GB. Each is refused before GDAL sees it."""
    uploads, workdir = area
    opened = gdal_listed
    kml = '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>{}</Document></kml>'
    defaults = uploads / "defaults.kml"
    attlist = '<!ATTLIST Placemark a0 CDATA "xxxx">'
    defaults.write_text(
        f'<?xml version="1.0"?><!DOCTYPE kml SYSTEM "><kml" [{attlist}]>'
        + kml.format("<Placemark/>" * 10)
    )
    refused(defaults, workdir / "a", "declares its own entities")
    hidden = uploads / "hidden.kml"  # a declaration past the first block
    hidden.write_text(kml.format("<Placemark/>" * 200_000 + f"<!-- -->{attlist}"))
    refused(hidden, workdir / "b", "declares a document type (<!ATTLIST)")
    run = uploads / "run.kml"  # 3 MB of one tuple: 500,000 vertices to libkml
    numbers = ",".join(["0"] * 1_500_000)
    run.write_text(
        kml.format(
            f"<Placemark><LineString><coordinates>{numbers}</coordinates></LineString></Placemark>"
        )
    )
    refused(
        run,
        workdir / "c",
        "more than 400,000 vertices",
        limits=UploadLimits(max_vertices=400_000, max_vertices_per_feature=10**6),
    )
    # one geometry past the limit per feature, within the limit in all
    refused(run, workdir / "c2", "has a geometry of more than 100,000 vertices")
    spaced = uploads / "spaced.kml"  # the same in 3-D tuples counts the same, exactly
    tuples = " ".join(["0,0,0"] * 500_000)
    spaced.write_text(
        kml.format(
            f"<Placemark><LineString><coordinates>{tuples}</coordinates></LineString></Placemark>"
        )
    )
    refused(
        spaced,
        workdir / "d",
        "more than 499,999 vertices",
        limits=UploadLimits(max_vertices=499_999, max_vertices_per_feature=10**6),
    )
    many = uploads / "attributes.kml"
    names = " ".join(f"a{n}=''" for n in range(3_000))
    many.write_text(kml.format(f"<Placemark {names}/>"))
    refused(
        many,
        workdir / "e",
        "more than 2,999 XML attributes",
        limits=UploadLimits(max_kml_elements=2_999),
    )
    assert opened == [], "GDAL was shown a KML it should not have been"


def test_a_kmz_inside_a_zip_is_not_handed_to_gdal(area: tuple[Path, Path]) -> None:
    """GDAL inflated a KMZ found inside an uploaded zip itself, past the archive's checks: a
    1.5 MB zip took an upload worker to 3.2 GB (an attack on our own instance). It is not
    opened, as a zip inside the zip is not; on its own, it is read."""
    uploads, workdir = area
    inner = make_zip(uploads / "layer.kmz", {"doc.kml": kml_document(2, padding="x" * 5_000_000)})
    assert inner.stat().st_size < 50_000  # past the archive's 200-fold ratio
    with zipfile.ZipFile(uploads / "outer.zip", "w", zipfile.ZIP_STORED) as z:
        z.write(inner, "layer.kmz")
    refused(uploads / "outer.zip", workdir / "a", "a zip or a KMZ inside the zip is not opened")
    refused(inner, workdir / "b", "possible zip bomb")
    plain = make_zip(uploads / "plain.kmz", {"doc.kml": kml_document(2)})
    assert len(read_upload(plain, workdir / "c").frame) == 2


def test_a_kml_saved_again_by_gdal_keeps_its_own_attributes_only(
    area: tuple[Path, Path],
) -> None:
    """A KML read by GDAL (QGIS) and saved again holds LIBKML's fields as attributes of its
    own, numbered where they meet the new ones (id2, timestamp2, …), and GDAL's placemark
    ids (hazards.1): they had been kept as every record's own columns. A name repeating
    the reference column is the placemark's label; a name of its own, and an id of the
    operator's own, stay."""
    uploads, workdir = area
    frame = hazards_frame(2)[["name", "geometry"]].rename(columns={"name": "hazard_id"})
    frame.insert(0, "Name", frame["hazard_id"])
    first = uploads / "first.kml"
    frame.to_file(first, driver="KML", layer="hazards")
    again = uploads / "again.kml"
    read_back = pyogrio.read_dataframe(first)
    assert {"id", "timestamp", "tessellate"} <= set(read_back.columns)  # as GDAL reads it
    read_back.to_file(again, driver="KML", layer="mine")
    result = read_upload(again, workdir)
    assert list(result.frame.columns) == ["hazard_id", "geometry"]
    assert list(result.frame["hazard_id"]) == ["area 1", "area 2"]

    own = hazards_frame(2)[["name", "geometry"]].rename(columns={"name": "Name"})
    own["id"] = ["NPA.7", "team B"]
    own["ref"] = ["A-1", "A-2"]
    mine = uploads / "mine.kml"
    own.to_file(mine, driver="KML")
    kept = read_upload(mine, workdir).frame
    assert list(kept["Name"]) == ["area 1", "area 2"]
    assert [str(c) for c in kept.columns if str(c).startswith("id")] == ["id2"]
    assert list(kept["id2"]) == ["NPA.7", "team B"]


def test_a_nul_in_a_geojson_or_geopackage_text_is_refused_naming_feature_and_field(
    area: tuple[Path, Path],
) -> None:
    """GDAL reads a text up to its first NUL: "AT-2\\u0000 and the rest" in a GeoJSON or a
    GeoPackage had been read as "AT-2", the rest lost without a word (a table's NULs were
    refused already)."""
    uploads, workdir = area
    frame = hazards_frame(3)[["name", "geometry"]].rename(columns={"name": "hazard_id"})
    frame["notes"] = ["fine", "fine", "fine"]
    geojson = uploads / "nul.geojson"
    frame.to_file(geojson, driver="GeoJSON")
    text = geojson.read_text().replace('"area 2"', '"area 2\\u0000 and the rest"', 1)
    geojson.write_text(text.replace('"notes": "fine"', '"notes": "x\\u0000y"', 1))
    error = refused(geojson, workdir, "feature 2, field 'hazard_id' holds a NUL")
    assert "feature 1, field 'notes' holds a NUL" in error.detail
    assert "the rest would be lost" in error.detail

    gpkg = uploads / "nul.gpkg"
    frame.to_file(gpkg, layer='the "hazards"', driver="GPKG", SPATIAL_INDEX="NO")
    assert len(read_upload(gpkg, workdir).frame) == 3  # clean: read as before
    with sqlite3.connect(gpkg) as db:
        db.execute(
            'UPDATE "the ""hazards""" SET notes = \'x\' || char(0) || \'y\' WHERE hazard_id = ?',
            ("area 3",),
        )
    refused(gpkg, workdir, "nul.gpkg, layer 'the \"hazards\"': feature 3, field 'notes'")


def test_kmz(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    kml = uploads / "doc.kml"
    hazards_frame(2)[["name", "geometry"]].to_file(kml, driver="KML")
    upload = make_zip(uploads / "hazards.kmz", {"doc.kml": kml})
    assert len(read_upload(upload, workdir).frame) == 2


def test_geopackage_with_two_layers_and_lao_text(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    path = uploads / "submission.gpkg"
    hazards_frame(2, names=[LAO_VILLAGE, LAO_PROVINCE]).to_file(path, layer="hazard_areas")
    hazards_frame(1).to_crs(32648).to_file(path, layer="release_polygons")

    layers = list_layers(unpack(path, workdir))
    # listing opens no layer: only the chosen one is opened and counted
    assert [(x.name, x.driver, x.feature_count) for x in layers] == [
        ("hazard_areas", "GPKG", None),
        ("release_polygons", "GPKG", None),
    ]
    assert [describe(x, x.name, workdir).feature_count for x in layers] == [2, 1]
    hazards = read_upload(path, workdir, kind="hazards")
    assert list(hazards.frame["name"]) == [LAO_VILLAGE, LAO_PROVINCE]
    releases = read_upload(path, workdir, layer="RELEASE_POLYGONS")
    assert releases.layer == "release_polygons" and releases.source_crs == "EPSG:32648"
    refused(path, workdir, "choose one by its name")


@pytest.mark.filterwarnings("ignore:The filename extension should be 'gpkg'")
def test_content_decides_the_type_not_only_the_name(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    gpkg = uploads / "upload"
    hazards_frame(2).to_file(gpkg, driver="GPKG")
    assert len(read_upload(gpkg, workdir / "a").frame) == 2
    shp = write_shp(hazards_frame(3), uploads / "src")
    zipped = zip_shapefile(shp, uploads / "hazards.bin")
    assert len(read_upload(zipped, workdir / "b").frame) == 3


# --- encodings ---------------------------------------------------------------------------


@pytest.mark.parametrize("cpg", [True, False])
def test_cp1252_shapefile(area: tuple[Path, Path], cpg: bool) -> None:
    uploads, workdir = area
    names = [SPANISH, FRENCH, "Ñandú"]
    shp = write_shp(hazards_frame(3, names=names), uploads / "src", encoding="cp1252", cpg=cpg)
    upload = zip_shapefile(shp, uploads / "hazards.zip")
    result = read_upload(upload, workdir)
    assert list(result.frame["name"]) == names
    assert result.encoding == "CP1252"
    assert any("encoding detected as CP1252" in w for w in result.warnings) is not cpg


@pytest.mark.parametrize("cpg", [True, False])
def test_cp874_shapefile(area: tuple[Path, Path], cpg: bool) -> None:
    uploads, workdir = area
    names = [THAI, "ป่าไม้", "หมู่บ้าน 3"]
    shp = write_shp(hazards_frame(3, names=names), uploads / "src", encoding="cp874", cpg=cpg)
    upload = zip_shapefile(shp, uploads / "hazards.zip")
    result = read_upload(upload, workdir)
    assert list(result.frame["name"]) == names
    assert result.encoding == "CP874"
    assert any("encoding detected as CP874" in w for w in result.warnings) is not cpg


def test_ansi_language_driver_id_is_not_taken_as_a_declaration(area: tuple[Path, Path]) -> None:
    # 0x57 means "the writer's Windows code page": GDAL would read Thai as Latin-1
    uploads, workdir = area
    shp = write_shp(hazards_frame(1, names=[THAI]), uploads / "src", encoding="cp874", cpg=False)
    set_ldid(shp, 0x57)
    result = read_upload(zip_shapefile(shp, uploads / "hazards.zip"), workdir)
    assert result.frame["name"].iloc[0] == THAI and result.encoding == "CP874"


def test_a_thai_language_driver_id_is_honoured(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    shp = write_shp(hazards_frame(1, names=[THAI]), uploads / "src", encoding="cp874", cpg=False)
    set_ldid(shp, 0x7C)
    result = read_upload(zip_shapefile(shp, uploads / "hazards.zip"), workdir)
    assert result.frame["name"].iloc[0] == THAI
    assert result.encoding == "CP874" and result.warnings == []


@pytest.mark.parametrize("cpg", [True, False])
def test_lao_utf8_shapefile(area: tuple[Path, Path], cpg: bool) -> None:
    uploads, workdir = area
    names = [LAO_VILLAGE, LAO_PROVINCE, "ບ້ານ ໂພນສະຫວັນ"]
    shp = write_shp(hazards_frame(3, names=names), uploads / "src", cpg=cpg)
    result = read_upload(zip_shapefile(shp, uploads / "hazards.zip"), workdir)
    assert list(result.frame["name"]) == names
    assert result.encoding == "UTF-8"


def test_a_cpg_that_lies_about_utf8_falls_back_to_detection(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    shp = write_shp(hazards_frame(1, names=[SPANISH]), uploads / "src", encoding="cp1252")
    shp.with_suffix(".cpg").write_text("UTF-8")
    result = read_upload(zip_shapefile(shp, uploads / "hazards.zip"), workdir)
    assert result.frame["name"].iloc[0] == SPANISH and result.encoding == "CP1252"
    assert any("not in UTF-8 as declared" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("names", "encoding", "expected"),
    [
        (["¿Dónde está?", "Peña", "¡Olé!"], "cp1252", "CP1252"),
        (["réélu", "Hôpital", "Crème brûlée"], "cp1252", "CP1252"),
        (["Müller", "Straße", "Öl"], "cp1252", "CP1252"),
        (["19°24'N 103°12'E", "£5"], "cp1252", "CP1252"),
        ([THAI, "นา", "ไร่"], "cp874", "CP874"),
        (["Ban Na บ้านนา", "Site A"], "cp874", "CP874"),
        ([LAO_VILLAGE, "Ban Na"], "utf-8", "UTF-8"),
    ],
)
def test_dbf_encoding_detection(
    tmp_path: Path, names: list[str], encoding: str, expected: str
) -> None:
    shp = write_shp(hazards_frame(len(names), names=names), tmp_path, encoding=encoding)
    assert detect_dbf_encoding(shp.with_suffix(".dbf")) == (expected, False)


def test_plain_ascii_needs_no_warning(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    shp = write_shp(hazards_frame(2), uploads / "src", cpg=False)
    result = read_upload(zip_shapefile(shp, uploads / "hazards.zip"), workdir)
    assert result.encoding == "UTF-8" and result.warnings == []


def test_names_that_confuse_gdal_path_parsing(area: tuple[Path, Path]) -> None:
    # pyogrio reads "!" as an archive separator and cuts ";..." off as URL parameters
    uploads, workdir = area
    gpkg = uploads / "hazards;v2.gpkg"
    hazards_frame(2).to_file(uploads / "plain.gpkg", layer="hazards")
    (uploads / "plain.gpkg").rename(gpkg)
    assert len(read_upload(gpkg, workdir / "a").frame) == 2
    shp = write_shp(hazards_frame(3), uploads / "src")
    members: dict[str, Path | bytes] = {f"v1;x/a!b/{p.name}": p for p in shapefile_parts(shp)}
    upload = make_zip(uploads / "odd!name.zip", members)
    assert len(read_upload(upload, workdir / "b").frame) == 3


# --- geometry passes through ---------------------------------------------------------------


def test_z_coordinates_are_dropped_with_a_warning(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    frame = hazards_frame(2)
    frame["geometry"] = shapely.force_3d(frame.geometry.to_numpy(), z=250.0)
    shp = write_shp(frame, uploads / "src")
    result = read_upload(zip_shapefile(shp, uploads / "hazards.zip"), workdir)
    assert result.dropped_z
    assert not shapely.has_z(result.frame.geometry.to_numpy()).any()
    assert list(result.frame.columns) == ["hazard_id", "name", "munitions", "geometry"]
    assert result.frame.crs.to_epsg() == 4326
    assert "Z coordinates were dropped: ims keeps 2-D polygons (no Z or M)" in result.warnings


def polygon_m_shapefile(folder: Path) -> Path:
    """A one-feature PolygonM shapefile (pyogrio cannot write M), with a .prj and a .dbf."""
    shp = write_shp(hazards_frame(1), folder)
    ring = [(103.2, 19.4), (103.2, 19.41), (103.21, 19.41), (103.21, 19.4), (103.2, 19.4)]
    bbox = struct.pack("<4d", 103.2, 19.4, 103.21, 19.41)
    content = struct.pack("<i", 25) + bbox + struct.pack("<3i", 1, len(ring), 0)
    content += b"".join(struct.pack("<2d", *xy) for xy in ring)
    content += struct.pack("<2d", 0.0, 4.0) + struct.pack(f"<{len(ring)}d", *range(len(ring)))

    def header(words: int) -> bytes:
        return (
            struct.pack(">7i", 9994, 0, 0, 0, 0, 0, words)
            + struct.pack("<2i", 1000, 25)
            + bbox
            + struct.pack("<4d", 0, 0, 0, 4)
        )

    record = struct.pack(">2i", 1, len(content) // 2) + content
    shp.write_bytes(header((100 + len(record)) // 2) + record)
    shp.with_suffix(".shx").write_bytes(header(54) + struct.pack(">2i", 50, len(content) // 2))
    return shp


def test_m_values_are_dropped_with_a_warning(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    shp = polygon_m_shapefile(uploads / "src")
    result = read_upload(zip_shapefile(shp, uploads / "hazards.zip"), workdir)
    assert result.dropped_z and len(result.frame) == 1
    assert "M values were dropped: ims keeps 2-D polygons (no Z or M)" in result.warnings
    assert result.frame.geometry.iloc[0].equals(box(103.2, 19.4, 103.21, 19.41))


def test_a_bowtie_comes_through_unrepaired_with_its_row(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    frame = hazards_frame(3)
    frame.loc[1, "geometry"] = Polygon(
        [(103.2, 19.4), (103.21, 19.41), (103.21, 19.4), (103.2, 19.41)]
    )
    shp = write_shp(frame, uploads / "src")
    result = read_upload(zip_shapefile(shp, uploads / "hazards.zip"), workdir)
    assert len(result.frame) == 3 and result.frame["hazard_id"].iloc[1] == "H2"
    assert list(result.frame.geometry.is_valid) == [True, False, True]


# --- zips ------------------------------------------------------------------------------------


def test_folders_upper_case_names_and_mac_litter_inside_the_zip(
    area: tuple[Path, Path],
) -> None:
    uploads, workdir = area
    shp = write_shp(hazards_frame(2), uploads / "src", stem="HAZARDS")
    members: dict[str, Path | bytes] = {
        f"survey/2024/{p.stem}{p.suffix.upper()}": p for p in shapefile_parts(shp)
    }
    members["__MACOSX/survey/2024/._HAZARDS.SHP"] = b"\x00\x05\x16\x07 resource fork"
    members["survey/2024/README.txt"] = b"collected by team 3"
    upload = make_zip(uploads / "Survey Results.zip", members)
    result = read_upload(upload, workdir)
    assert len(result.frame) == 2 and result.layer == "HAZARDS"
    assert result.source_crs == "EPSG:4326"


def test_parts_whose_names_differ_in_capitals_are_matched(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    shp = write_shp(hazards_frame(2), uploads / "src")
    names = {".shp": "Hazards.shp", ".shx": "hazards.SHX", ".dbf": "HAZARDS.dbf"}
    members: dict[str, Path | bytes] = {
        names.get(p.suffix, p.name): p for p in shapefile_parts(shp)
    }
    result = read_upload(make_zip(uploads / "h.zip", members), workdir)
    assert len(result.frame) == 2


def test_two_shapefiles_in_one_zip(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    hz = write_shp(hazards_frame(2), uploads / "src", stem="Hazards_2024")
    rel = write_shp(hazards_frame(1), uploads / "src", stem="releases_2024")
    members: dict[str, Path | bytes] = {p.name: p for p in shapefile_parts(hz)}
    members.update({f"out/{p.name}": p for p in shapefile_parts(rel)})
    upload = make_zip(uploads / "both.zip", members)

    assert [x.name for x in list_layers(unpack(upload, workdir / "l"))] == [
        "Hazards_2024",
        "releases_2024",
    ]
    assert len(read_upload(upload, workdir / "a", kind="hazards").frame) == 2
    assert len(read_upload(upload, workdir / "b", kind="releases").frame) == 1
    assert read_upload(upload, workdir / "c", layer="releases_2024").layer == "releases_2024"
    error = refused(upload, workdir / "d", "choose one")
    assert "'Hazards_2024'" in error.detail and "'releases_2024'" in error.detail
    error = refused(upload, workdir / "e", "no layer named 'other'", layer="other")
    assert "'Hazards_2024', 'releases_2024'" in error.detail


def test_choose_layer_rules() -> None:
    def info(name: str) -> LayerInfo:
        return LayerInfo(name, Path(f"{name}.shp"), None, "ESRI Shapefile", 1)

    one = [info("anything")]
    assert choose_layer(one, kind="releases") is one[0]
    two = [info("SHA_CHA_hazards"), info("Release_results")]
    assert choose_layer(two, kind="hazards").name == "SHA_CHA_hazards"
    assert choose_layer(two, kind="releases").name == "Release_results"
    assert choose_layer(two, name="release_RESULTS").name == "Release_results"
    same = [info("hazards_a"), info("hazards_b")]
    with pytest.raises(InvalidUpload, match="'hazards_a', 'hazards_b'"):
        choose_layer(same, kind="hazards")


def test_same_named_shapefiles_in_two_folders_get_their_folder_in_the_name(
    area: tuple[Path, Path],
) -> None:
    uploads, workdir = area
    a = write_shp(hazards_frame(1), uploads / "a")
    b = write_shp(hazards_frame(2), uploads / "b")
    members: dict[str, Path | bytes] = {f"2023/{p.name}": p for p in shapefile_parts(a)}
    members.update({f"2024/{p.name}": p for p in shapefile_parts(b)})
    upload = make_zip(uploads / "years.zip", members)
    names = [x.name for x in list_layers(unpack(upload, workdir / "l"))]
    assert names == ["2023/hazards", "2024/hazards"]
    assert len(read_upload(upload, workdir / "r", layer="2024/hazards").frame) == 2


def test_a_zip_may_hold_a_geopackage(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    gpkg = uploads / "src.gpkg"
    hazards_frame(4).to_file(gpkg, layer="hazards")
    upload = make_zip(uploads / "g.zip", {"data/src.gpkg": gpkg, "metadata.json": b"{}"})
    result = read_upload(upload, workdir)
    assert len(result.frame) == 4


# --- hostile and unusable files ---------------------------------------------------------------


def test_a_file_over_the_size_limit(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    shp = write_shp(hazards_frame(2), uploads / "src")
    upload = zip_shapefile(shp, uploads / "hazards.zip")
    refused(upload, workdir, "hazards.zip is", limits=UploadLimits(max_bytes=100))
    assert list(workdir.iterdir()) == []


def test_a_zip_bomb_is_refused_from_its_declared_ratio(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    upload = make_zip(uploads / "bomb.zip", {"hazards.dbf": bytes(20 * 1024 * 1024)})
    refused(upload, workdir, "possible zip bomb")
    assert list(workdir.iterdir()) == []


def workbook(
    target: Path, rows: int, cell: Callable[[], str] = lambda: "<c><v>1</v></c>", columns: int = 10
) -> Path:
    """A minimal .xlsx of ``rows`` rows below a header, each cell's XML made by ``cell``."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rels = "http://schemas.openxmlformats.org/package/2006/relationships"
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    header = "".join(f'<c t="inlineStr"><is><t>c{i}</t></is></c>' for i in range(columns))
    sheet = (
        f'<worksheet xmlns="{main}"><sheetData><row>{header}</row>'
        + "".join(f"<row>{''.join(cell() for _ in range(columns))}</row>" for _ in range(rows))
        + "</sheetData></worksheet>"
    )
    return make_zip(
        target,
        {
            "[Content_Types].xml": (
                b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package'
                b'.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
                b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxml'
                b'formats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
                b'"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
                b'officedocument.spreadsheetml.worksheet+xml"/></Types>'
            ),
            "_rels/.rels": (
                f'<Relationships xmlns="{rels}"><Relationship Id="rId1" Type="{office}/'
                'officeDocument" Target="xl/workbook.xml"/></Relationships>'
            ).encode(),
            "xl/workbook.xml": (
                f'<workbook xmlns="{main}" xmlns:r="{office}"><sheets><sheet name="S" '
                'sheetId="1" r:id="rId1"/></sheets></workbook>'
            ).encode(),
            "xl/_rels/workbook.xml.rels": (
                f'<Relationships xmlns="{rels}"><Relationship Id="rId1" Type="{office}/'
                'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
            ).encode(),
            "xl/worksheets/sheet1.xml": sheet.encode(),
        },
    )


def test_an_excel_workbook_is_held_to_the_limits_of_a_zip_before_a_cell_is_read(
    area: tuple[Path, Path],
) -> None:
    """A workbook of 650 kB expanded to 500 MB of XML and half a gigabyte of the
    server's memory: a .xlsx is a zip, but only zips were checked."""
    uploads, workdir = area
    bomb = workbook(uploads / "bomb.xlsx", rows=100_000)  # 16 MB of XML in some 70 kB
    assert bomb.stat().st_size < 200_000
    refused(bomb, workdir, "possible zip bomb")
    # within the ratio but past the size a workbook may reach as it is read
    big = workbook(
        uploads / "big.xlsx",
        rows=200,
        cell=lambda: f'<c t="inlineStr"><is><t>{os.urandom(12).hex()}</t></is></c>',
    )
    refused(big, workdir, "the limit for a workbook", limits=UploadLimits(max_workbook_bytes=10**5))
    # an honest one is read as before
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["reference", "wkt"])
    for n in range(3):
        sheet.append([f"H{n}", box(103 + n / 10, 19, 103.01 + n / 10, 19.01).wkt])
    book.save(uploads / "honest.xlsx")
    assert len(read_upload(uploads / "honest.xlsx", workdir, kind="hazards").frame) == 3


def test_a_workbook_declaring_entities_is_refused_unexpanded_and_names_no_server_path(
    area: tuple[Path, Path],
) -> None:
    """A sheet's XML with a DOCTYPE of its own: an entity naming a file of the server's and
    one that multiplies text. openpyxl reads through defusedxml (a dependency of ims's own
    now: it had come only with a development tool), so nothing is expanded; the message had
    also named the file where the server keeps it."""
    uploads, workdir = area
    secret = uploads / "secret.txt"
    secret.write_text("only-the-server-may-read-this")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["hazard_id", "status", "wkt"])
    sheet.append(["HERE", "SHA", box(103, 19, 103.01, 19.01).wkt])
    book.save(uploads / "plain.xlsx")
    doctype = (
        f'<!DOCTYPE w [<!ENTITY s SYSTEM "file://{secret}"><!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    )
    with zipfile.ZipFile(uploads / "plain.xlsx") as plain:
        parts = {name: plain.read(name) for name in plain.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    xml = re.sub(r"^<\?xml[^>]*\?>", "", xml).replace("HERE", "&s;&b;")
    parts["xl/worksheets/sheet1.xml"] = f'<?xml version="1.0"?>{doctype}{xml}'.encode()
    upload = make_zip(uploads / "entities.xlsx", parts)
    error = refused(upload, workdir, "entities.xlsx declares its own XML entities")
    assert "only-the-server" not in error.detail and "aaaaaaaaaa" not in error.detail
    assert str(uploads) not in error.detail


def test_a_workbook_whose_rows_reach_far_right_is_refused_before_it_is_read(
    area: tuple[Path, Path],
) -> None:
    """The reader pads each row to its furthest cell: 2,000 rows with one cell in column
    XFD, 23 kB, took 800 MB of the server's memory (a second attack on our own instance)."""
    uploads, workdir = area
    far = workbook(
        uploads / "far.xlsx", rows=2_000, columns=1, cell=lambda: '<c r="XFD2"><v>1</v></c>'
    )
    assert far.stat().st_size < 30_000
    refused(far, workdir, "has a cell in column 16,384; ims reads at most 2,000 columns")
    wide = workbook(
        uploads / "wide.xlsx", rows=3_000, columns=1, cell=lambda: '<c r="ZZ2"><v>1</v></c>'
    )
    refused(wide, workdir, "rows of up to 702 columns", limits=UploadLimits(max_vertices=10**6))


def far_cell(path: Path, *, row: int, column: int) -> Workbook:
    """A workbook of a header, one hazard and one cell far down or far right, saved."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["reference", "wkt"])
    sheet.append(["H1", box(103, 19, 103.01, 19.01).wkt])
    sheet.cell(row=row, column=column, value="x")
    book.save(path)
    return book


def test_a_workbook_whose_row_numbers_skip_far_down_is_refused_before_it_is_read(
    area: tuple[Path, Path],
) -> None:
    """The reader makes the rows a row's number skips: a 5 kB workbook of a header, one
    row and a cell at row 1,048,576 column AX was read as 52 million cells, 1.2 GB of the
    server's memory in 9 s, for "2 features" (an attack on our own instance). The size a
    sheet declares makes its rows as wide."""
    uploads, workdir = area
    far_cell(uploads / "skips.xlsx", row=1_048_576, column=50)
    assert (uploads / "skips.xlsx").stat().st_size < 10_000
    refused(uploads / "skips.xlsx", workdir, "1,048,576 rows of up to 50 columns")
    # a row numbered far down with no cell of its own, in a sheet that says it is that large
    declared = workbook(uploads / "declared.xlsx", rows=2, columns=2)
    with zipfile.ZipFile(declared) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/worksheets/sheet1.xml"] = (
        parts["xl/worksheets/sheet1.xml"]
        .replace(b"<sheetData>", b'<dimension ref="A1:XFD1048576"/><sheetData>')
        .replace(b"</sheetData>", b'<row r="1048576"/></sheetData>')
    )
    big = make_zip(uploads / "declared-big.xlsx", parts)
    refused(big, workdir, "has a cell in column 16,384")
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b"A1:XFD1048576", b"A1:B3"
    )
    refused(make_zip(uploads / "row-only.xlsx", parts), workdir, "1,048,576 rows")


def test_a_workbooks_size_is_read_as_xml_whatever_its_quotes_and_wherever_its_sheet(
    area: tuple[Path, Path],
) -> None:
    """The check read the sheet's XML with patterns of double-quoted attributes, and only
    the parts named xl/worksheets/*.xml: written r='ALL5000', or moved to xl/data/s1.xml
    (the workbook's relationships say where its sheets are), a 5 kB workbook was read as
    100 million cells, 1.9 GB of an upload worker (an attack on our own instance)."""
    uploads, workdir = area
    book = far_cell(uploads / "far.xlsx", row=5_000, column=1_000)  # column ALL
    with zipfile.ZipFile(uploads / "far.xlsx") as z:
        parts = {n: z.read(n) for n in z.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    assert 'r="ALL5000"' in xml
    quoted = re.sub(r'\b(r|ref)="([^"]*)"', r"\1 = '\2'", xml)
    referenced = xml.replace('r="ALL5000"', 'r="&#65;&#76;&#76;5000"')
    moved = dict(parts)
    moved["xl/data/s1.xml"] = moved.pop("xl/worksheets/sheet1.xml")
    for name in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
        moved[name] = moved[name].replace(b"worksheets/sheet1.xml", b"data/s1.xml")
    variants = {
        "quoted.xlsx": {**parts, "xl/worksheets/sheet1.xml": quoted.encode()},
        "referenced.xlsx": {**parts, "xl/worksheets/sheet1.xml": referenced.encode()},
        "moved.xlsx": moved,
    }
    limits = UploadLimits(max_vertices=10**6)
    for name, members in variants.items():
        upload = make_zip(uploads / name, members)
        # the reader takes each as the sheet of 5,000 rows and 1,000 columns it is
        opened = openpyxl.load_workbook(upload, read_only=True)
        assert (opened.active.max_row, opened.active.max_column) == (5_000, 1_000), name
        opened.close()
        refused(upload, workdir, "5,000 rows of up to 1,000 columns", limits=limits)
    # a sheet as spreadsheet programs write it is read as before
    sheet = book.active
    assert sheet is not None
    sheet.delete_rows(5_000)
    book.save(uploads / "plain.xlsx")
    assert len(read_upload(uploads / "plain.xlsx", workdir, limits=limits).frame) == 1


@pytest.mark.parametrize(
    ("cell", "row"),
    [("XFD1_0", "1_000_000"), ("XFD1", "+1000000"), ("XFD1", "1e6"), ("XFD1", "²")],
)
def test_a_workbooks_numbers_are_read_as_openpyxl_reads_them(
    area: tuple[Path, Path], cell: str, row: str
) -> None:
    """openpyxl reads a row's number with int() and then float(), and a cell's column as
    the letters up to its first digit: "1_000_000", "+1000000" and "1e6" had each passed
    the check as the next row, and "XFD1_0" as the next column, so 4.7 kB became 16
    billion cells; "²" had raised an error of the check's own (an attack on these checks)."""
    uploads, workdir = area
    book = workbook(uploads / "plain.xlsx", rows=1, columns=1)
    with zipfile.ZipFile(book) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    rows = (
        f'<row r="1"><c r="A1" t="inlineStr"><is><t>h</t></is></c><c r="{cell}"><v>1</v></c>'
        f'</row><row r="{row}"><c r="A2"><v>2</v></c></row>'
    )
    xml = re.sub(
        rb"<sheetData>.*</sheetData>",
        f"<sheetData>{rows}</sheetData>".encode(),
        parts["xl/worksheets/sheet1.xml"],
        flags=re.S,
    )
    upload = make_zip(uploads / "numbers.xlsx", {**parts, "xl/worksheets/sheet1.xml": xml})
    with pytest.raises(InvalidUpload) as caught:
        read_upload(upload, workdir)
    assert "16,384" in caught.value.detail or "1,000,000 rows" in caught.value.detail


def test_a_layer_is_read_with_room_for_its_features_not_for_the_limit(
    area: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """pyogrio makes room for as many rows as it may read in every column: read with room
    for the limit's 500,001, one feature of 1,000 columns took 4 GB (an attack on our own
    instance). It is read with room for the features counted, and one more."""
    uploads, workdir = area
    path = uploads / "wide.geojson"
    properties = {"hazard_id": "H1", **{f"c{n}": n for n in range(1_000)}}
    geometry = {
        "type": "Polygon",
        "coordinates": [[[103, 19], [103.01, 19], [103.01, 19.01], [103, 19]]],
    }
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "properties": properties, "geometry": geometry}],
            }
        )
    )
    asked: list[int] = []
    real = pyogrio.read_dataframe
    monkeypatch.setattr(
        pyogrio, "read_dataframe", lambda *a, **k: asked.append(k["max_features"]) or real(*a, **k)
    )
    assert len(read_upload(path, workdir).frame) == 1
    assert asked == [2]


def test_a_table_of_a_hundred_thousand_columns_is_refused_from_its_header(
    area: tuple[Path, Path],
) -> None:
    """A 4.4 MB CSV of 500,000 columns took 88 s and 1.7 GB to read."""
    uploads, workdir = area
    wide = uploads / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(100_000)) + "\n" + "1," * 99_999 + "1\n")
    refused(wide, workdir, "wide.csv has 100,000 columns; ims reads at most 2,000")


def test_a_zip_over_the_total_limit(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    data = os.urandom(300_000)
    upload = make_zip(uploads / "big.zip", {f"part{i}.bin": data for i in range(4)})
    refused(upload, workdir, "would expand to", limits=UploadLimits(max_uncompressed_bytes=10**6))
    assert list(workdir.iterdir()) == []


def test_a_zip_whose_headers_understate_the_size(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    upload = make_zip(uploads / "liar.zip", {"hazards.dbf": bytes(8 * 1024 * 1024)})
    data = bytearray(upload.read_bytes())
    with zipfile.ZipFile(upload) as zf:
        offset = zf.infolist()[0].header_offset
    struct.pack_into("<I", data, offset + 22, 1000)  # local header: uncompressed size
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 1000)  # central directory: uncompressed size
    upload.write_bytes(bytes(data))
    refused(upload, workdir, "liar.zip: entry 'hazards.dbf'")
    assert not any(p.is_file() for p in workdir.rglob("*"))


@pytest.mark.parametrize(
    "entry", ["../../escaped.txt", "..\\..\\escaped.txt", "C:/escaped.txt", "ABSOLUTE"]
)
def test_zip_slip_refuses_the_whole_zip(area: tuple[Path, Path], entry: str) -> None:
    uploads, workdir = area
    target = workdir.parent / "escaped.txt"
    if entry == "ABSOLUTE":
        entry = str(target)
    shp = write_shp(hazards_frame(1), uploads / "src")
    members: dict[str, Path | bytes] = {p.name: p for p in shapefile_parts(shp)}
    members[entry] = b"owned"
    upload = make_zip(uploads / "slip.zip", members)
    refused(upload, workdir, "unsafe path")
    assert not target.exists()
    assert list(workdir.iterdir()) == []


def test_symlink_entries_are_refused(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    upload = uploads / "link.zip"
    with zipfile.ZipFile(upload, "w") as zf:
        link = zipfile.ZipInfo("hazards.shp")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    refused(upload, workdir, "'hazards.shp' is a symbolic link")
    assert list(workdir.iterdir()) == []


def test_too_many_entries(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    upload = make_zip(uploads / "many.zip", {f"f{i}.txt": b"x" for i in range(6)})
    refused(upload, workdir, "holds 6 entries; the limit is 5", limits=UploadLimits(max_entries=5))


def test_an_empty_zip(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    upload = make_zip(uploads / "empty.zip", {})
    refused(upload, workdir, "empty.zip is empty")


def test_a_zip_without_a_vector_layer(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    upload = make_zip(uploads / "docs.zip", {"report.pdf": b"%PDF-1.4", "t.csv": b"a,b\n1,2\n"})
    refused(upload, workdir, "docs.zip holds no map layer (it holds report.pdf, t.csv)")


def test_a_zip_that_is_not_a_zip(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    upload = uploads / "hazards.zip"
    upload.write_bytes(b"this is not a zip at all")
    refused(upload, workdir, "hazards.zip is not a valid zip archive")


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("hazards.csv", b"id,note\n1,none\n", "hazards.csv has no column giving where"),
        ("report.pdf", b"%PDF-1.4 ...", "report.pdf is a PDF document"),
        ("notes", b"%PDF-1.4 ...", "notes is a PDF document"),
        ("data.bin", b"\x01\x02\x03", "data.bin is not a file ims can read"),
        ("hazards.dbf", b"\x03\x7c", "hazards.dbf is only one part of a shapefile"),
    ],
)
def test_non_spatial_files(
    area: tuple[Path, Path], name: str, content: bytes, fragment: str
) -> None:
    uploads, workdir = area
    upload = uploads / name
    upload.write_bytes(content)
    error = refused(upload, workdir, fragment)
    assert "a zipped shapefile" in error.detail or "zip the .shp" in error.detail


def test_a_corrupt_shp(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    shp = write_shp(hazards_frame(2), uploads / "src")
    shp.write_bytes(os.urandom(3000))
    refused(zip_shapefile(shp, uploads / "hazards.zip"), workdir, "hazards.shp is damaged")


@pytest.mark.parametrize("missing", [".dbf", ".shx"])
def test_a_shapefile_missing_a_part(area: tuple[Path, Path], missing: str) -> None:
    uploads, workdir = area
    shp = write_shp(hazards_frame(2), uploads / "src")
    shp.with_suffix(missing).unlink()
    refused(
        zip_shapefile(shp, uploads / "hazards.zip"),
        workdir,
        f"hazards.shp has no hazards{missing} beside it: a shapefile needs .shp, .shx and .dbf",
    )


def test_a_zip_with_only_the_sidecars(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    shp = write_shp(hazards_frame(2), uploads / "src")
    shp.unlink()
    refused(zip_shapefile(shp, uploads / "hazards.zip"), workdir, "needs its .shp")


def test_a_layer_with_no_features(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    path = uploads / "hazards.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    refused(path, workdir, "hazards.geojson, layer 'hazards' has no features")


def test_a_layer_with_no_geometry_column(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    path = uploads / "table.gpkg"
    pyogrio.write_dataframe(pd.DataFrame({"hazard_id": ["H1"]}), path, layer="hazards")
    refused(path, workdir, "has no geometry column")


def test_a_layer_whose_features_all_lack_geometry(area: tuple[Path, Path]) -> None:
    uploads, workdir = area
    path = uploads / "h.geojson"
    feature = {"type": "Feature", "properties": {"hazard_id": "H1"}, "geometry": None}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    refused(path, workdir, "its one feature has no geometry")


@given(st.text(alphabet=st.sampled_from(list("ab./\\:C.\x00 ")), max_size=12))
def test_zip_member_paths_never_leave_the_zip(entry: str) -> None:
    try:
        parts = member_parts("x.zip", entry)
    except InvalidUpload:
        return
    joined = Path("/root").joinpath(*parts)
    assert joined == Path("/root") or Path(os.path.normpath(joined)).is_relative_to("/root")
    assert ".." not in parts


def test_a_column_without_a_name_is_left_out_with_a_note(tmp_path: Path) -> None:
    """A GeoJSON property named "": its values showed beside every unmatched field."""
    path = tmp_path / "blank.geojson"
    feature = {
        "type": "Feature",
        "properties": {"hazard_id": "B-1", "": "x", " ": "y"},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[103.2, 19.4], [103.21, 19.4], [103.21, 19.41], [103.2, 19.4]]],
        },
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    result = read_upload(path, tmp_path / "work")
    assert [c for c in result.frame.columns if c != result.frame.geometry.name] == ["hazard_id"]
    assert "2 columns without a name left out" in " ".join(result.warnings)


def test_a_geojson_of_empty_parts_is_refused_before_gdal_builds_them(
    area: tuple[Path, Path], gdal_listed: list[object]
) -> None:
    """Each "[]" of a MultiPolygon is a polygon GDAL, the WKB and GEOS build, with no vertex
    to count: 9.6 MB of them took 833 MB (a third attack on our own instance)."""
    uploads, workdir = area
    opened = gdal_listed
    ring = "[[103,19],[103.01,19],[103.01,19.01],[103,19]]"
    parts = ", ".join(["[ ]"] * 2_000)
    feature = (
        '{"type": "Feature", "properties": {"hazard_id": "E1"}, "geometry": '
        f'{{"type": "MultiPolygon", "coordinates": [[{ring}], {parts}]}}}}'
    )
    empty = uploads / "empty.geojson"
    empty.write_text(f'{{"type": "FeatureCollection", "features": [{feature}]}}')
    refused(
        empty,
        workdir / "a",
        "more than 1,000 empty arrays",
        limits=UploadLimits(max_features=1_000),
    )
    assert opened == []
    # a feature with no geometry ("coordinates": []) is one, and read
    few = UploadLimits(max_features=1_000)
    plain = uploads / "plain.geojson"
    square = '{"type": "Polygon", "coordinates": [' + ring + "]}"
    plain.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        f'{{"hazard_id": "P1", "tags": []}}, "geometry": {square}}}]}}'
    )
    assert len(read_upload(plain, workdir / "b", limits=few).frame) == 1


def test_the_feature_id_an_ogc_layer_gives_is_not_kept_as_a_column(
    area: tuple[Path, Path],
) -> None:
    # ogr2ogr from the OGC API keeps each feature's id (its reference) as a column "id":
    # sent back, it had been kept as every record's own attribute (a review as a GIS user)
    uploads, workdir = area
    frame = hazards_frame(3)
    frame.insert(0, "id", frame["hazard_id"])
    frame["ids_of_theirs"] = ["x", "y", "z"]
    path = uploads / "from-ogc.gpkg"
    frame.to_file(path, layer="hazard_boundaries", driver="GPKG")
    result = read_upload(path, workdir, kind="hazards")
    assert "id" not in result.frame.columns
    assert {"hazard_id", "ids_of_theirs"} <= set(result.frame.columns)
    # an id of the file's own, not the reference, is the file's
    frame["id"] = ["17", "18", "19"]
    path = uploads / "own-ids.gpkg"
    frame.to_file(path, layer="hazards", driver="GPKG")
    assert "id" in read_upload(path, workdir / "b", kind="hazards").frame.columns
