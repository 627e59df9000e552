"""A polygon given by hand: pasted as WKT, GeoJSON or coordinate pairs, or a file of one
feature; every refusal names the form field it concerns."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Polygon, box, mapping

from ims.errors import InvalidRequest
from ims.ingest import drawn
from tests.ingest.test_reader import workbook

SQUARE = box(103.40, 19.40, 103.41, 19.41)


@pytest.mark.parametrize(
    "pasted",
    [
        SQUARE.wkt,
        json.dumps(mapping(SQUARE)),
        json.dumps({"type": "Feature", "geometry": mapping(SQUARE), "properties": {}}),
        "103.41 19.40, 103.41 19.41, 103.40 19.41, 103.40 19.40",  # ring closed here
        "103.41 19.40\n103.41 19.41\n103.40 19.41\n103.40 19.40\n103.41 19.40",
    ],
)
def test_a_pasted_polygon_is_read_in_any_of_its_forms(pasted: str) -> None:
    geom = drawn.geometry_from_text(pasted)
    assert geom.geom_type == "Polygon"
    assert geom.equals(SQUARE)


@pytest.mark.parametrize(
    ("pasted", "says"),
    [
        ("", "no coordinates"),
        ("POINT (103 19)", "not a Point"),
        # in words, not GEOS's ("Expected number but encountered end of stream")
        ("POLYGON ((", "not a polygon ims can read (it ends too soon: a coordinate or a"),
        ("POLYGN ((103 19, 104 19, 104 20, 103 19))", "'POLYGN' is not a type WKT knows"),
        ("POLYGON ((103,19, 104,19, 104,20, 103,19))", "a comma stands where a number should"),
        ("POLYGON ((103 19, 104 x, 104 20, 103 19))", "'x' stands where a number should"),
        ("POLYGON (103 19, 104 19, 104 20, 103 19)", "a number (103) stands where a bracket"),
        ("POLYGON ((103 19, 104 19, 104 20, 103 19)))", "something follows the end"),
        ("POLYGON ((103 19, 104 19, 104 20))", "a ring is not closed: its last corner must"),
        # a comma missing between two corners: four numbers, then two
        ("POLYGON ((103 19 104 19, 104 20, 103 19))", "one may be missing before it"),
        # degrees and minutes had been read as plain numbers, a place far away
        ("19°24'N 103°24'E, 19°25'N 103°24'E, 19°25'N 103°25'E", "give decimal degrees"),
        ("103.4 19.4 N, 103.41 19.4, 103.41 19.41", "N, S, E or W, are not read"),
        # GeoJSON in words, not Python's ("Expecting ',' delimiter", "'coordinates'")
        ('{"type": "Polygon", "coordinates": [[[103, 19], [104, 19]', "part of it is missing"),
        ('{"type": "Polygon" "coordinates": []}', "it goes wrong at character 20 of 37"),
        ('{"type": "Polygon"}', 'not a GeoJSON polygon: it has no "coordinates"'),
        ('{"type": "Polygon", "coordinates": [[1, 2]]}', "not rings of [longitude, latitude]"),
        ('{"type": "Polygon", "coordinates": [[[1, 2], [3, 4]]]}', "at least three corners"),
        # an attack on our own instance: a 500, and words that pointed elsewhere
        ('{"type": "FeatureCollection", "features": 5}', '"features" is not a list'),
        ("E102.6 N17.96, E102.7 N17.96, E102.7 N18", "N, S, E or W, are not read"),
        ("POLYGON((102°36' 17°57', 102.7 18, 102.8 18, 102°36' 17°57'))", "decimal degrees"),
        ("102,6 17,96; 102,7 17,96; 102,7 18", "write decimals with a point"),
        ("17.96 102.6, 17.97 102.6, 17.97 102.7", "a latitude of 102.7 is beyond 90°"),
        ("190 19, 191 19, 191 20", "a longitude of 191 is beyond 180°"),
        ("103 19, 104", "pairs"),
        ("103 19, 104 19", "three corners"),
        ('{"type": "Polygon"', "not GeoJSON"),
        ("CURVEPOLYGON(CIRCULARSTRING(103 19, 103.1 19.1, 103.2 19, 103 19))", "curved"),
    ],
)
def test_what_is_not_a_polygon_is_refused_beside_the_coordinates_field(
    pasted: str, says: str
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        drawn.geometry_from_text(pasted)
    assert says in caught.value.detail
    assert caught.value.extra["field"] == "coordinates"


def test_a_file_of_one_feature_gives_its_polygon_in_wgs84(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame({"name": ["a"]}, geometry=[SQUARE], crs=4326).to_crs(32648)
    path = tmp_path / "one.gpkg"
    frame.to_file(path)
    geom = drawn.geometry_from_file(path.read_bytes(), "one.gpkg", kind="hazards")
    assert geom.symmetric_difference(SQUARE).area < 1e-12


def test_a_file_of_two_features_is_refused(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(geometry=[SQUARE, box(103.5, 19.5, 103.51, 19.51)], crs=4326)
    path = tmp_path / "two.geojson"
    frame.to_file(path)
    with pytest.raises(InvalidRequest) as caught:
        drawn.geometry_from_file(path.read_bytes(), "two.geojson", kind="hazards")
    assert "2 polygons" in caught.value.detail
    assert caught.value.extra["field"] == "geometry_file"


@pytest.mark.parametrize("name", ["a" * 300 + ".geojson", "one\x00two.geojson", "../../x.geojson"])
def test_a_file_of_one_feature_under_any_name_is_read(tmp_path: Path, name: str) -> None:
    """A name of 300 characters, or one holding a NUL byte, answered 500 (an attack on
    our own instance)."""
    path = tmp_path / "one.geojson"
    gpd.GeoDataFrame(geometry=[SQUARE], crs=4326).to_file(path)
    geom = drawn.geometry_from_file(path.read_bytes(), name, kind="hazards")
    assert geom.symmetric_difference(SQUARE).area < 1e-12


def test_a_file_for_one_polygon_that_would_expand_to_megabytes_is_refused(
    tmp_path: Path,
) -> None:
    """The record forms read their file in the web server's process: a workbook of 650 kB
    held half a gigabyte of its memory there."""
    book = workbook(tmp_path / "many.xlsx", rows=120_000)  # 19 MB of cells in some 80 kB
    with pytest.raises(InvalidRequest) as caught:
        drawn.geometry_from_file(book.read_bytes(), "many.xlsx", kind="hazards")
    assert "would expand to" in caught.value.detail
    assert caught.value.extra["field"] == "geometry_file"


def test_a_paste_nested_thousands_deep_is_refused_as_not_geojson() -> None:
    """It answered 500: the JSON parser's recursion error was not caught."""
    with pytest.raises(InvalidRequest) as caught:
        drawn.geometry_from_text('{"type":"Polygon","coordinates":' + "[" * 9000)
    assert caught.value.detail == "not GeoJSON: nested too deeply"
    assert caught.value.extra["field"] == "coordinates"


@pytest.mark.parametrize(
    "pasted",
    [
        '"POLYGON ((103 19, 104 19, 104 20, 103 19))"',  # copied from a CSV cell
        "POLYGON ((103 19, 104 19, 104 20, 103 19))\u200b",  # a zero-width space with it
        "103,19\n104,19\n104,20",  # a pair a line, a comma between
    ],
)
def test_what_comes_with_a_pasted_polygon_is_not_its_own(pasted: str) -> None:
    assert drawn.geometry_from_text(pasted).equals(Polygon([(103, 19), (104, 19), (104, 20)]))
