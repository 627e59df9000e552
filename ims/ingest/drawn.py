"""A polygon given by hand: drawn on a map (GeoJSON), pasted (WKT, GeoJSON or coordinate
pairs) or taken from a file of one feature.

The record and correction forms (``map_ui/record_pages.py``) and the record routes of the
API (``ims/api/records.py``) read the polygon here, then stage it as a one-feature
submission (``submissions.stage_features``): validation stays in one place. Errors name
the form field they concern.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Any

import shapely
from shapely import wkt
from shapely.geometry import Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

from ims.domain.geometry import nested_deeper
from ims.errors import InvalidRequest, InvalidUpload
from ims.ingest.archive import upload_name
from ims.ingest.limits import UploadLimits
from ims.ingest.reader import read_upload
from ims.ingest.tables import MAX_WKT_DEPTH, wkt_depth, wkt_in_words

# 19°24'N, 103.4E, E103.4: read as plain numbers, a place far away; read as WKT, "'E103.4'
# is not a type WKT knows"
_DEGREES = re.compile(r"[°º'′’\"″]|\d\s*[NSEW]\b|\b[NSEW]\s*\d")
_NOT_DECIMAL = (
    "degrees and minutes, and N, S, E or W, are not read: give decimal degrees, longitude "
    "first (103.4 19.4 for 103°24′E 19°24′N; south and west negative)"
)
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
# what may stand between the numbers of pasted pairs: spaces, commas, semicolons, brackets
_BETWEEN = re.compile(r"[\s,;()\[\]]+")
POLYGONAL = ("Polygon", "MultiPolygon")


# The most corners of a polygon given by hand. It is checked in the web server's own
# threads, not in the job workers, and overlays of some shapes cost the square of their
# corners: a star of 80,000 corners (a 2 MB request) held the server for 47 s, two of them
# for 75 s (an attack on our own instance). A hazard drawn or walked with a GPS has
# hundreds, at most thousands; a larger outline comes as a file on the upload page, which
# its workers check.
MAX_CORNERS = 10_000


def _polygonal(geom: BaseGeometry, field: str, *, by_hand: bool = True) -> BaseGeometry:
    if geom.geom_type not in POLYGONAL:
        raise InvalidRequest(f"a polygon is needed, not a {geom.geom_type}", field=field)
    if geom.is_empty:
        raise InvalidRequest("the polygon is empty", field=field)
    parts = getattr(geom, "geoms", [geom])
    rings = sum(1 + len(part.interiors) for part in parts)  # each closed by its first corner
    corners = int(shapely.get_num_coordinates(geom)) - rings
    if by_hand and corners > MAX_CORNERS:
        raise InvalidRequest(
            f"the polygon has {corners:,} corners; one given here has at most "
            f"{MAX_CORNERS:,}: simplify its outline, or send it as a file on the upload page",
            field=field,
        )
    bounds = geom.bounds
    if not all(math.isfinite(v) for v in bounds):
        raise InvalidRequest("the polygon has coordinates that are not numbers", field=field)
    west, south, east, north = bounds
    # degrees, longitude first: a latitude of 96 is a decimal comma read as two numbers
    # (102,6 17,96), or the two swapped; it had been measured as 5.9e13 m²
    if max(-west, east) > 180 or max(-south, north) > 90:
        said = (
            f"a latitude of {south if -south > 90 else north:g} is beyond 90°"
            if max(-south, north) > 90
            else f"a longitude of {west if -west > 180 else east:g} is beyond 180°"
        )
        raise InvalidRequest(
            f"{said}: give WGS84 degrees with a decimal point, longitude first (103.4 19.4)",
            field=field,
        )
    return geom


def geometry_from_geojson(
    value: Any, *, field: str = "geometry", by_hand: bool = True
) -> BaseGeometry:
    """A Polygon or MultiPolygon from a GeoJSON geometry, Feature or one-feature collection.
    Not ``by_hand`` (a revision that keeps the boundary in force, as recorded from a file):
    no limit to its corners."""
    if isinstance(value, dict) and value.get("type") == "FeatureCollection":
        features = value.get("features") or []
        if not isinstance(features, list):  # "features": 5 had been a 500
            raise InvalidRequest(
                'not a GeoJSON collection: its "features" is not a list', field=field
            )
        if len(features) != 1:
            raise InvalidRequest(
                f"one polygon is needed; the collection holds {len(features)} features",
                field=field,
            )
        value = features[0]
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict):
        raise InvalidRequest("a GeoJSON polygon is needed", field=field)
    if nested_deeper(value):
        # shapely reads nesting recursively: 600 levels of brackets answered 500 (an
        # attack on our own instance); a multipolygon's coordinates nest four deep
        raise InvalidRequest(
            "not a GeoJSON polygon: its coordinates are nested too deeply", field=field
        )
    try:
        geom = shape(value)
    except KeyError as exc:  # the words of Python had been the message: "'coordinates'"
        raise InvalidRequest(
            f'not a GeoJSON polygon: it has no "{exc.args[0]}"', field=field
        ) from None
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.ShapelyError) as exc:
        why = (
            "a ring needs at least three corners, and the first again at its end"
            if "at least 4 coordinates" in str(exc)
            else "its coordinates are not rings of [longitude, latitude] positions"
        )
        raise InvalidRequest(f"not a GeoJSON polygon: {why}", field=field) from None
    return _polygonal(geom, field, by_hand=by_hand)


_CURVES = (
    "curved geometries (CURVEPOLYGON, CIRCULARSTRING…) are not read: give the polygon's corners"
)


def geometry_from_text(text: str, *, field: str = "coordinates") -> BaseGeometry:
    """A polygon pasted as WKT, as GeoJSON, or as longitude latitude pairs (a ring, closed
    here when the last pair is not the first)."""
    # invisible characters (a zero-width space copied with the text) and quotes around it
    # (WKT copied from a CSV cell) are not the polygon's
    text = "".join(c for c in text if unicodedata.category(c) != "Cf").strip()
    if len(text) > 1 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    if not text:
        raise InvalidRequest("no coordinates were given", field=field)
    if not text.startswith("{") and _DEGREES.search(text):
        raise InvalidRequest(_NOT_DECIMAL, field=field)
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:  # "Expecting ',' delimiter: line 1 column 62"
            why = (
                "it ends before it is complete: part of it is missing"
                if exc.pos >= len(text)
                else f"it goes wrong at character {exc.pos + 1} of {len(text):,}"
            )
            raise InvalidRequest(f"not GeoJSON: {why}", field=field) from None
        except RecursionError:  # thousands of nested brackets: no polygon, a hostile paste
            raise InvalidRequest("not GeoJSON: nested too deeply", field=field) from None
        return geometry_from_geojson(value, field=field)
    if text[0].isalpha():
        if wkt_depth(text) > MAX_WKT_DEPTH:
            raise InvalidRequest(
                "not a polygon: its brackets nest too deeply (a polygon's nest three, "
                "MULTIPOLYGON (((…))))",
                field=field,
            )
        try:
            geom = wkt.loads(text)
        except shapely.errors.ShapelyError as exc:
            # GEOS's own words ("ParseException: Unknown type: 'FOO'") had been the
            # message, which a first-time user's review called library jargon
            raise InvalidRequest(
                f"not a polygon ims can read ({wkt_in_words(exc)}): give it as WKT, POLYGON "
                "((longitude latitude, …)), as GeoJSON, or as longitude latitude pairs",
                field=field,
            ) from None
        except NotImplementedError:  # CURVEPOLYGON, CIRCULARSTRING…: a 500 before
            raise InvalidRequest(_CURVES, field=field) from None
        return _polygonal(geom, field)
    # 102,6 17,96: decimal commas, read as two numbers each ("103.4,19.4" is a pair)
    if "." not in text and re.search(r"\d,\d", text) and re.search(r"\d[ \t]+\d", text):
        raise InvalidRequest(
            "a comma stands between two digits: write decimals with a point (102.6 17.96), "
            "longitude and latitude with a space between them",
            field=field,
        )
    # what is neither a number nor what stands between them: "103.201 oops" had been read
    # as one number and said "3 numbers" (a new user's review)
    stray = _BETWEEN.sub(" ", _NUMBER.sub(" ", text)).split()
    if stray:
        word = stray[0] if len(stray[0]) <= 20 else stray[0][:20] + "…"
        raise InvalidRequest(
            f"“{word}” is not a number: give longitude latitude pairs, a pair a line or "
            "separated by commas (103.40 19.40, 103.41 19.40, 103.41 19.41)",
            field=field,
        )
    numbers = [float(n) for n in _NUMBER.findall(text)]
    if len(numbers) % 2:
        raise InvalidRequest(
            f"{len(numbers)} numbers: longitude latitude pairs are needed", field=field
        )
    ring = list(zip(numbers[::2], numbers[1::2], strict=True))
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring = ring[:-1]
    if len(ring) < 3:
        raise InvalidRequest("a polygon needs at least three corners", field=field)
    return _polygonal(Polygon(ring), field)


# a polygon of 100,000 vertices as WKT in a cell, or a shapefile of it, takes a few MB
ONE_FEATURE_BYTES = 16_000_000


def geometry_from_file(
    data: bytes, filename: str, *, kind: str, field: str = "geometry_file"
) -> BaseGeometry:
    """The polygon of a file of one feature (any format an upload may be), in EPSG:4326.

    Read in the web server's own process, so held to what one feature can need: a
    workbook or zip that expands past a few megabytes is no file of one polygon.
    """
    limits = replace(
        UploadLimits.from_settings(),
        max_uncompressed_bytes=ONE_FEATURE_BYTES,
        max_workbook_bytes=ONE_FEATURE_BYTES,
    )
    with tempfile.TemporaryDirectory(prefix="ims-drawn-") as folder:
        path = Path(folder) / upload_name(filename)
        path.write_bytes(data)
        unpacked = Path(folder) / "unpacked"
        unpacked.mkdir()
        try:
            read = read_upload(path, unpacked, kind=kind, limits=limits)
        except InvalidUpload as exc:
            raise InvalidRequest(exc.detail, field=field) from None
    geoms = [g for g in read.frame.geometry if g is not None and not g.is_empty]
    if len(geoms) != 1:
        raise InvalidRequest(
            f"{filename} holds {len(geoms)} polygons; a file of one feature is needed",
            field=field,
        )
    return _polygonal(geoms[0], field)


def as_geojson(geom: BaseGeometry) -> dict[str, Any]:
    """A polygon as a GeoJSON geometry (2-D), as validation will read it."""
    out: dict[str, Any] = json.loads(json.dumps(mapping(shapely.force_2d(geom))))
    return out
