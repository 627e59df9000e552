"""Coordinate reference systems from uploads, used without reading the server's files.

    stated_crs()        the CRS a person states for a file (a form's or ``--crs``): a code
    refuse_file_named() refuse a file's own CRS definition that makes PROJ read a file
    checked_crs()       a file's CRS as read by GDAL, checked the same way
    to_wgs84()          reproject, a failure said as what is wrong with the upload
    other_utm_zone()    the UTM zone that puts in the country a file read outside it

PROJ reads a file wherever a CRS names one: a grid (``+nadgrids=``, ``+geoidgrids=``,
``+grids=``, a WKT2 ``PARAMETERFILE``), an init file (``+init=``), or a pipeline's steps. It
finds such a PROJ string not only in a PROJ string but in a WKT1 ``EXTENSION["PROJ4", …]``
and in a WKT2 or PROJJSON remark beginning "PROJ CRS string:", and reads the file when the
coordinates are transformed (GDAL even when it opens a GeoPackage that names one). A CRS
naming ``/proc/self/fd/17``, a pipe every upload worker holds, blocked the worker until the
job's timeout, and two such uploads stopped every upload (found by an attack on our own
instance). So the CRS a person states is an authority code only, and a file's own CRS
definition is refused, before GDAL opens the file, if it names a file. Definitions as
desktop GIS write them pass: a ``+towgs84=`` and GDAL's ``+nadgrids=@null`` (no file) for
Web Mercator. See docs/design.md §5.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.crs import ProjectedCRS
from pyproj.crs.coordinate_operation import UTMConversion
from pyproj.exceptions import CRSError, ProjError
from shapely.geometry.base import BaseGeometry

from ims.errors import InvalidUpload

# A CRS named by its code, as PROJ resolves it from its own tables: "EPSG:32648", "32648",
# "ESRI:102100", "OGC:CRS84" or an OGC URN. Another name is a PROJ string, WKT, a URL or a
# file path.
CRS_CODE = re.compile(
    r"(?i)^(?:(?:urn:(?:x-)?ogc:def:crs:(?:EPSG|ESRI|OGC):[\d.]*:)|EPSG:|ESRI:|OGC:)?"
    r"(?:\d{1,9}|CRS84)$"
)
# "key=value" as PROJ strings write them, wherever one sits in a definition
_PROJ_PARAMETER = re.compile(r"\+?\b([A-Za-z_]+)\s*=\s*([^\s\"'\]\\]*)")
# operations that are a pipeline of others or read a model from a file
_FILE_OPERATIONS = {"pipeline", "hgridshift", "vgridshift", "xyzgridshift", "gridshift"}
_FILE_OPERATIONS |= {"deformation", "tinshift", "defmodel"}
_FILE_KEYS = {"init", "file", "model"}  # an init file, a tinshift's, a defmodel's
# PROJ's built-in null grid, which GDAL writes for Web Mercator, is the one grid a file may
# name. A grid's value read whole, to the next space or quote: PROJ splits it at commas and opens
# each name, so "@null],/path" or "@null\\,/path" name a file after the null grid, where
# the parameter's value above stops at the "]" or "\\" (helper-131). Only WKT's or JSON's
# own closing characters may follow the null grid.
_GRID_VALUE = re.compile(r"(?i)\+?\b([a-z_]*grids)\s*=\s*([^\s\"']*)")
_NULL_GRID_ONLY = re.compile(r"@null[\],}]*,?")  # and a JSON member's comma after it


def stated_crs(text: str) -> CRS:
    """The CRS a person states for a file that declares none, named by its code."""
    code = text.strip()
    if not CRS_CODE.match(code):
        raise InvalidUpload(
            f"the stated coordinate reference system {text[:80]!r} is not a code: give its "
            "EPSG code, such as EPSG:32648 (WGS 84 / UTM zone 48N); ims takes no PROJ string "
            "or WKT here"
        )
    try:
        crs = CRS.from_user_input(code)
    except CRSError:
        raise InvalidUpload(
            f"the stated coordinate reference system {code!r} is not one ims recognises: "
            "give an EPSG code such as EPSG:32648"
        ) from None
    # a map's coordinates: degrees, or a projection's. Codes of other kinds had been taken
    # (an attack on our own instance, helper-109): EPSG:4807's grads put a file in degrees
    # 6° off without a word, and a geocentric or a vertical CRS failed later, feature by
    # feature.
    if not (crs.is_geographic or crs.is_projected) or crs.is_geocentric:
        raise InvalidUpload(
            f"the stated coordinate reference system {code} ({crs.name}) is not one of a "
            "map's coordinates: give a geographic one in degrees (EPSG:4326) or a projected "
            "one (EPSG:32648)"
        )
    units = sorted({axis.unit_name for axis in crs.axis_info[:2]})
    if crs.is_geographic and units != ["degree"]:
        raise InvalidUpload(
            f"the stated coordinate reference system {code} ({crs.name}) measures its "
            f"angles in {' and '.join(units)}, not degrees: a file's longitude and latitude "
            "are in degrees (EPSG:4326)"
        )
    return crs


def file_named(definition: str) -> str | None:
    """What in a CRS definition (PROJ string, WKT or PROJJSON) makes PROJ read a file, or
    None when nothing does."""
    if re.search(r"(?i)\bPARAMETERFILE\b", definition):
        return "a PARAMETERFILE"
    if re.search(r"(?i)PROJ-based", definition):  # a WKT method that is a PROJ string
        return "a PROJ-based operation"
    # PROJ reads a value in quotes ("+proj=""defmodel"" +model=…" in WKT, escaped in JSON):
    # the quotes are taken out before the values are read (an attack on these checks)
    unquoted = re.sub(r"\\?[\"']", "", definition)
    for key, value in _GRID_VALUE.findall(unquoted):
        if not _NULL_GRID_ONLY.fullmatch(value):
            return f"+{key.lower()}={value[:60]}"
    for key, value in _PROJ_PARAMETER.findall(unquoted):
        key = key.lower()
        if key in _FILE_KEYS or (key.endswith("grids") and not _NULL_GRID_ONLY.fullmatch(value)):
            return f"+{key}={value[:60]}"
        if "/" in value or "\\" in value:  # a path, whatever the key
            return f"+{key}={value[:60]}"
        if key == "proj" and value.lower() in _FILE_OPERATIONS:
            return f"+proj={value}"
    return None


def refuse_file_named(definition: str, where: str) -> None:
    """Refuse a file's CRS definition that names a file PROJ would read."""
    named = file_named(definition)
    if named is None and definition.lstrip().startswith("{"):  # PROJJSON
        with contextlib.suppress(ValueError, RecursionError):  # not JSON: GDAL reads none
            named = _parameter_file(json.loads(definition))
    if named is not None:
        raise _refusal(where, named)


def checked_crs(crs: CRS, where: str) -> CRS:
    """A file's CRS as GDAL read it, refused if PROJ would read a file to use it."""
    document = crs.to_json_dict()
    named = _parameter_file(document) or file_named(json.dumps(document))
    if named is not None:
        raise _refusal(where, named)
    return crs


def to_wgs84(frame: gpd.GeoDataFrame, where: str, label: str) -> gpd.GeoDataFrame:
    """``frame`` reprojected to EPSG:4326; PROJ's failure said as the upload's fault."""
    try:
        return frame.to_crs(4326)
    except (ProjError, CRSError):
        raise InvalidUpload(
            f"{where} cannot be reprojected from {label} to WGS 84 longitude and latitude: "
            "export the layer with its CRS given by an EPSG code (e.g. EPSG:32648) and "
            "upload it again"
        ) from None


@dataclass(frozen=True)
class OtherZone:
    """A UTM zone that puts in the country the features a file's own zone put outside it:
    how to name it (its EPSG code, or its name where it has none), its name, and of the
    features sampled, how many lie outside as read and inside as read in it."""

    code: str | None
    name: str
    zone: str  # "48N"
    sampled: int
    outside: int
    inside_there: int


ZONE_SAMPLE = 200  # features looked at, spread through the file
OUTSIDE_SHARE = 0.5  # more than this share outside the country as read: try other zones
INSIDE_SHARE = 0.9  # at least this share inside as read in another zone: suggest it


def other_utm_zone(
    frame: gpd.GeoDataFrame, crs: CRS | None, country: BaseGeometry | None
) -> OtherZone | None:
    """The UTM zone, of the same datum as ``crs``, in which a file read in the UTM zone
    ``crs`` would lie in the country, when most of its features (``frame``, in WGS 84) lie
    outside it as read; None otherwise. A zone remembered or chosen for the organisation's
    files, read into a file of the neighbouring zone, had put every feature 6° west, and
    only "outside the national boundary", feature by feature, said that anything was
    wrong. The zone is the datum's own: Indian 1954's zone 47 for one of its zone 48, not
    WGS 84's, which would have put every feature half a kilometre off unsaid (helper-114).
    Geometry cannot tell a file in the wrong zone from one of places outside the country
    that another zone would put inside: the caller words it as a question."""
    if country is None or crs is None or not crs.utm_zone or crs.geodetic_crs is None:
        return None
    geometries = np.asarray(frame.geometry.values, dtype=object)
    geometries = geometries[~(shapely.is_missing(geometries) | shapely.is_empty(geometries))]
    if not len(geometries):
        return None
    picked = np.unique(np.linspace(0, len(geometries) - 1, ZONE_SAMPLE).astype(int))
    points = shapely.point_on_surface(geometries[picked])
    outside = int((~shapely.intersects(country, points)).sum())
    if outside <= OUTSIDE_SHARE * len(points):
        return None
    lon, lat = shapely.get_x(points), shapely.get_y(points)
    x, y = Transformer.from_crs(4326, crs, always_xy=True).transform(lon, lat)
    best: tuple[int, CRS, str] | None = None
    for zone in _zones_over(country.bounds):
        if zone == crs.utm_zone:
            continue
        other = _utm_of(crs.geodetic_crs, zone)
        there = Transformer.from_crs(other, 4326, always_xy=True).transform(x, y)
        inside = int(shapely.intersects(country, shapely.points(*there)).sum())
        if inside >= INSIDE_SHARE * len(points) and (best is None or inside > best[0]):
            best = inside, other, zone
    if best is None:
        return None
    inside, other, zone = best
    # a code only where EPSG's is this very zone: at PROJ's default confidence a zone of a
    # datum of the file's own had been named by Indian 1954's code (helper-115)
    epsg = other.to_epsg(min_confidence=90)
    code = f"EPSG:{epsg}" if epsg is not None else None
    return OtherZone(code, other.name, zone, len(points), outside, inside)


def _utm_of(datum: CRS, zone: str) -> CRS:
    """The UTM zone ``zone`` ("48N") on the geodetic CRS ``datum``, by its EPSG code where
    it has one (WGS 84's and Indian 1954's do; a datum of a file's own does not)."""
    number, hemisphere = int(zone[:-1]), zone[-1]
    made = ProjectedCRS(
        name=f"{datum.name} / UTM zone {zone}",
        conversion=UTMConversion(str(number), hemisphere),
        geodetic_crs=datum,
    )
    epsg = made.to_epsg(min_confidence=90)
    return CRS.from_epsg(epsg) if epsg is not None else made


def utm_crs(source: str) -> CRS | None:
    """The CRS of the code ``source`` if it is a UTM zone's (of any datum), else None."""
    if not CRS_CODE.match(source.strip()):
        return None
    with contextlib.suppress(CRSError):
        crs = CRS.from_user_input(source)
        return crs if crs.utm_zone else None
    return None


def _zones_over(bounds: tuple[float, float, float, float]) -> list[str]:
    """The UTM zones (north and south: "47N", "47S") over ``bounds`` (degrees)."""
    west, south, east, north = bounds
    first, last = (min(60, max(1, int((lon + 180) // 6) + 1)) for lon in (west, east))
    zones = range(first, last + 1)
    return [f"{z}N" for z in zones if north > 0] + [f"{z}S" for z in zones if south < 0]


def _parameter_file(node: Any) -> str | None:
    """A PROJJSON parameter whose value is a text: the name of a file (a grid)."""
    if isinstance(node, dict):
        for parameter in node.get("parameters") or ():
            if isinstance(parameter, dict) and isinstance(parameter.get("value"), str):
                return f"the file {parameter['value'][:60]!r}"
        node = list(node.values())
    if isinstance(node, list):
        for item in node:
            if (named := _parameter_file(item)) is not None:
                return named
    return None


def _refusal(where: str, named: str) -> InvalidUpload:
    return InvalidUpload(
        f"{where}: its coordinate reference system names a file for PROJ to read "
        f"({named}), which ims never reads from an upload: export the layer with its CRS "
        "given by an EPSG code (e.g. EPSG:32648) and upload it again"
    )
