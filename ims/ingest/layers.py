"""The vector layers of an upload: listed without opening them, and the one to import chosen.

    list_layers()  the vector layers in an extracted directory or a single file
    choose_layer() the layer to import: by name, by kind, or the only one
    describe()     the chosen layer's feature count and driver (the one layer opened)

Layers are listed once, never opened one by one, and counted against the limit on layers
before the work they would multiply: shapefiles from their headers, GeoPackages with
SQLite (``geopackage``), KML and GeoJSON in one pass of GDAL over the file.

GDAL is shown a file only once its content is what its name says (``_looks_like``): GDAL
picks its driver by the content, and a file named .geojson that held another format's
document had been opened as that (an OGR VRT reading other files on the server; decision
0020). A GeoJSON whose ``crs`` is a link is refused before GDAL fetches it.
"""

from __future__ import annotations

import dataclasses
import json
import mmap
import os
import re
import struct
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pyproj

from ims.errors import InvalidUpload, UploadTooLarge
from ims.ingest.archive import (
    ACCEPTED,
    MAX_WORKBOOK_COLUMNS,
    SHAPEFILE_SIDECARS,
    SHP_FILE_CODE,
    is_junk,
    sniff,
)
from ims.ingest.crs import CRS_CODE, refuse_file_named
from ims.ingest.geopackage import GPKG_OPEN_OPTIONS, geopackage_layers
from ims.ingest.limits import UploadLimits

# GDAL's driver names, as ims names the formats.
_DRIVERS = {
    "ESRI Shapefile": "ESRI Shapefile",
    "GPKG": "GPKG",
    "GeoJSON": "GeoJSON",
    "GeoJSONSeq": "GeoJSON",
    "KML": "KML",
    "LIBKML": "KML",
}
_LAYER_SUFFIXES = {".shp", ".gpkg", ".kml", ".kmz", ".geojson"}  # .json: often metadata
_TABLES = {".csv", ".xlsx"}


@dataclass(frozen=True)
class LayerInfo:
    """One vector layer found in an upload."""

    name: str  # layer name (shapefile stem, gpkg layer name, …)
    path: Path  # what to hand to pyogrio
    layer: str | None  # pyogrio layer argument (gpkg/kml), None for single-layer sources
    driver: str  # "ESRI Shapefile", "GPKG", "GeoJSON", "KML"
    feature_count: int | None = None  # known once the layer is opened (the chosen one only)


@dataclass
class _Found:
    """Layers and non-layers met while scanning a source, counted against the limit."""

    limits: UploadLimits
    layers: list[tuple[LayerInfo, str]] = field(default_factory=list)  # with display path
    tables: list[str] = field(default_factory=list)  # layers without geometry
    others: list[str] = field(default_factory=list)  # files that are not vector layers
    skipped: list[str] = field(default_factory=list)  # .json files that are not GeoJSON
    nested_zips: list[str] = field(default_factory=list)

    @property
    def max_layers(self) -> int:
        return self.limits.max_layers

    def room(self) -> int:
        """How many more layers (or tables) the upload may hold."""
        return self.max_layers - len(self.layers) - len(self.tables)

    def make_room(self, count: int, where: str) -> None:
        """Refuse the upload if ``count`` more layers found at ``where`` are too many."""
        if count > self.room():
            before = len(self.layers) + len(self.tables)
            what = f"brings the upload to {before + count:,}" if before else f"holds {count:,}"
            raise UploadTooLarge(
                f"{where} {what} layers; the limit is {self.max_layers:,} layers in one "
                "upload: send the layer you mean on its own"
            )


def list_layers(source: Path, *, limits: UploadLimits = UploadLimits()) -> list[LayerInfo]:
    """The vector layers in ``source`` (a directory from unpack, or a single file).

    No layer is opened: their feature counts are left unknown (``None``).
    """
    found = _Found(limits)
    max_layers = limits.max_layers
    if source.is_dir():
        files: list[tuple[Path, str]] = []
        for folder, dirs, names in os.walk(source):
            dirs[:] = sorted(d for d in dirs if d != "__MACOSX")
            for file_name in sorted(names):
                path = Path(folder) / file_name
                files.append((path, f"{source.name}/{path.relative_to(source).as_posix()}"))
        candidates = sum(
            1
            for path, _ in files
            if path.suffix.lower() in _LAYER_SUFFIXES and not is_junk([path.name])
        )
        if candidates > max_layers:  # before a single file is opened
            raise UploadTooLarge(
                f"{source.name} holds {candidates:,} map files; the limit is {max_layers:,} "
                "layers in one upload: send the layer you mean on its own"
            )
        for path, display in files:
            _scan_file(path, display, found, in_folder=True)
    elif source.is_file():
        _scan_file(source, source.name, found, in_folder=False)
    else:
        raise InvalidUpload(f"{source.name}: no such file or folder")
    if not found.layers:
        raise _no_layer_error(source.name, found)
    return _unique_names(found.layers)


def _scan_file(path: Path, display: str, found: _Found, *, in_folder: bool) -> None:
    ext = path.suffix.lower()
    if is_junk([path.name]):
        return
    if ext == ".shp":
        _scan_shapefile(path, display, found)
    elif ext == ".gpkg":
        _scan_geopackage(path, display, found)
    elif ext == ".kmz" and in_folder:
        # a zip GDAL would inflate itself, past the archive's checks: a 1.5 MB zip holding
        # one took an upload worker to 3.2 GB (an attack on our own instance)
        found.nested_zips.append(display)
    elif ext in (".kml", ".kmz"):
        _scan_gdal(path, display, found, multi=True)
    elif ext in (".geojson", ".json"):
        try:
            _scan_gdal(path, display, found, multi=False)
        except UploadTooLarge:
            raise
        except InvalidUpload:
            if not in_folder or ext == ".geojson":
                raise
            # metadata .json files often travel with the data; they are not layers
            found.skipped.append(display)
    elif not in_folder:
        if ext == ".zip":
            raise InvalidUpload(f"{path.name} is a zip: unpack it first")
        sniff(path.name, b"")  # raises the error that says what the file is
    elif ext == ".zip":
        found.nested_zips.append(display)
    else:
        found.others.append(display)


def _no_layer_error(name: str, found: _Found) -> InvalidUpload:
    if found.tables:
        return InvalidUpload(
            f"{', '.join(found.tables)} has no geometry column: it is a table, not a map "
            f"layer; ims accepts {ACCEPTED}"
        )
    detail = ""
    listed = found.others + found.skipped
    if listed:
        shown = ", ".join(p.split("/")[-1] for p in listed[:10])
        more = f" and {len(listed) - 10} more" if len(listed) > 10 else ""
        detail = f" (it holds {shown}{more})"
    hint = ""
    if found.nested_zips:
        hint = (
            "; a zip or a KMZ inside the zip is not opened: send a KMZ on its own, or put "
            "the layer's files in one zip"
        )
    elif any(Path(p).suffix.lower() in SHAPEFILE_SIDECARS for p in found.others):
        hint = "; a shapefile needs its .shp as well as its .shx and .dbf"
    elif tables := [p.split("/")[-1] for p in listed if Path(p).suffix.lower() in _TABLES]:
        # ODK Central's export: the form's table and one a repeat group, zipped (found by a
        # walk-through as a field team leader)
        main = min(tables, key=len)
        hint = (
            f"; a table is read when it is sent on its own, not in a zip: send {main} (an ODK "
            "Central export holds the form's table and one for each repeated group: the "
            "form's is the one named after the form)"
        )
    return InvalidUpload(f"{name} holds no map layer{detail}: ims accepts {ACCEPTED}{hint}")


def form_table(source: Path) -> tuple[Path, list[str]] | None:
    """The form's own table in an unpacked zip of tables with no map layer, as ODK
    Central exports a form's submissions (``form.csv``, and ``form-group.csv`` for each
    repeated group, and its attachments under ``media/``), with the names of the tables
    left; None for anything else (a zip with a map layer or another file, or tables none
    of which is named as the others' form).

    ODK Central's "all data" zip had been refused, though its form table, once unzipped,
    is read as it is (a walk-through as a field team leader)."""
    if not source.is_dir():
        return None
    tables: list[Path] = []
    for folder, dirs, names in os.walk(source):
        dirs[:] = sorted(d for d in dirs if d != "__MACOSX")
        for file_name in sorted(names):
            path = Path(folder) / file_name
            if is_junk([path.name]):
                continue
            if path.suffix.lower() in _TABLES:
                tables.append(path)
            elif "media" not in path.relative_to(source).parts[:-1]:
                return None  # a map layer, or a zip of documents: not an export
    forms = [
        t
        for t in tables
        if all(o is t or o.stem.casefold().startswith(f"{t.stem.casefold()}-") for o in tables)
    ]
    if len(forms) != 1:
        return None
    return forms[0], [t.name for t in tables if t is not forms[0]]


def sibling(shp: Path, ext: str) -> Path | None:
    """The part of a shapefile with extension ``ext`` beside ``shp`` (any capitals)."""
    wanted = (shp.stem + ext).lower()
    for candidate in (shp.with_suffix(ext), shp.with_suffix(ext.upper())):
        if candidate.is_file():
            return candidate
    for candidate in shp.parent.iterdir():
        if candidate.name.lower() == wanted and candidate.is_file():
            return candidate
    return None


def _scan_shapefile(shp: Path, display: str, found: _Found) -> None:
    missing = [shp.stem + ext for ext in (".shx", ".dbf") if sibling(shp, ext) is None]
    if missing:
        raise InvalidUpload(
            f"{display} has no {' and no '.join(missing)} beside it: a shapefile needs "
            ".shp, .shx and .dbf (with .prj and .cpg when there are some) in the same folder"
        )
    for ext in (".shx", ".dbf"):
        part = sibling(shp, ext)
        if part is not None and part.name not in (shp.stem + ext, shp.stem + ext.upper()):
            raise InvalidUpload(
                f"{display}: its part {part.name} is named with different capitals; "
                f"rename it {shp.stem + ext}"
            )
    with shp.open("rb") as fh:
        header = fh.read(100)
    if len(header) < 100 or struct.unpack(">i", header[:4])[0] != SHP_FILE_CODE:
        raise InvalidUpload(
            f"{display} is damaged or is not a shapefile: it does not begin with a shapefile "
            "header; export the layer again"
        )
    prj = sibling(shp, ".prj")
    if prj is not None:
        if prj.stat().st_size > _HEAD:  # a line of WKT, a few hundred bytes
            raise InvalidUpload(
                f"{display}: its .prj is {prj.stat().st_size:,} bytes, not a CRS definition "
                "(a line of a few hundred); export the layer again"
            )
        refuse_file_named(prj.read_text("utf-8", "replace"), f"{display}'s .prj")
    _walk_records(shp, sibling(shp, ".shx"), display, found.limits)
    found.make_room(1, display)
    if struct.unpack("<i", header[32:36])[0] == 0:  # shape type "null": attributes only
        found.tables.append(display)
        return
    layer = LayerInfo(shp.stem, shp, None, "ESRI Shapefile")
    found.layers.append((layer, display.removesuffix(shp.suffix)))


# Shape types whose records hold parts and points (polylines, polygons, with Z or M, and
# multipatches), and those that hold points alone (multipoints).
_PARTS_AND_POINTS = np.array([3, 5, 13, 15, 23, 25, 31])
_POINTS_ALONE = np.array([8, 18, 28])
# GDAL sorts a polygon's rings into outer and inner ones in time that grows with the
# square of their number: one record of 40,000 rings took 22.7 s and 100,000 would have
# taken 10 minutes (an attack on our own instance). A hazard has a few parts; 5,000 in one
# polygon take GDAL about a second.
MAX_PARTS_SQUARED = 25_000_000


def _walk_records(shp: Path, shx: Path | None, display: str, limits: UploadLimits) -> None:
    """Refuse a shapefile whose index (.shx) or records lie, or that holds more points, or
    polygons of more parts, than the limits, before GDAL reads it: 5,000 index entries
    that all named one record of 100,000 points took past 8 GB, and one record of 40,000
    rings 23 s (an attack on our own instance). Each record's header gives its parts and
    points."""
    if shx is None:
        return
    index = shx.read_bytes()[: 100 + 8 * (limits.max_features + 2)]
    if len(index) < 100 or (len(index) - 100) % 8:
        raise InvalidUpload(f"{display}: its .shx is damaged; export the layer again")
    entries = np.frombuffer(index, dtype=">i4", offset=100).reshape(-1, 2).astype(np.int64)
    if len(entries) > limits.max_features:
        raise UploadTooLarge(
            f"{display} has more than {limits.max_features:,} records; the limit is "
            f"{limits.max_features:,} features in one upload: send it in parts"
        )
    if not len(entries):
        return
    size = shp.stat().st_size
    starts, lengths = entries[:, 0] * 2, entries[:, 1] * 2  # in 16-bit words
    ends = starts + 8 + lengths
    if (
        (starts < 100).any()
        or (lengths < 4).any()
        or (ends > size).any()
        or (starts[1:] < ends[:-1]).any()
    ):
        raise InvalidUpload(
            f"{display}: its .shx does not match its .shp (records out of order, overlapping "
            "or past the file's end); export the layer again"
        )
    records = np.memmap(shp, dtype=np.uint8, mode="r")

    def int32_at(at: Any) -> Any:  # little-endian, at each offset
        b = records[at[:, None] + np.arange(4)].astype(np.int64)
        return b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16) | (b[:, 3] << 24)

    kinds = int32_at(starts + 8)
    with_parts = np.isin(kinds, _PARTS_AND_POINTS) & (lengths >= 44)
    alone = np.isin(kinds, _POINTS_ALONE) & (lengths >= 40)
    parts = np.zeros(len(starts), dtype=np.int64)
    points = (kinds != 0).astype(np.int64)  # a point is one
    if with_parts.any():
        at = starts[with_parts] + 8
        parts[with_parts] = int32_at(at + 36)
        points[with_parts] = int32_at(at + 40)
    if alone.any():
        points[alone] = int32_at(starts[alone] + 8 + 36)
    if (parts < 0).any() or (points < 0).any() or (points * 16 + parts * 4 > lengths).any():
        raise InvalidUpload(
            f"{display}: a record says it holds more points than it does; export the layer again"
        )
    if int(points.sum()) > limits.max_vertices:
        raise UploadTooLarge(
            f"{display} has more than {limits.max_vertices:,} vertices in all; the limit is "
            f"{limits.max_vertices:,} in one upload: send it in parts or simplify the outlines"
        )
    if int((parts * parts).sum()) > MAX_PARTS_SQUARED:
        worst = int(parts.argmax())
        raise InvalidUpload(
            f"{display}: feature {worst + 1} is one polygon of {int(parts[worst]):,} parts "
            "(rings); ims reads polygons of a few thousand parts at most: dissolve or split "
            "it, or send its parts as features of their own"
        )


_KML_CHUNK = 1 << 20
_HEAD = 64 * 1024  # enough to find a document's first element past its XML declaration
# A document type without its own declarations: an internal subset ("[…]") may hold a ">"
# in a quoted entity, which ended the match early and let a comment hide the first element
# (found by an attack on our own instance); KML declares no entities.
# A plain document type, as some tools write one: a name and an external id, its quoted
# literals read whole (a ">" quoted in its system id had ended the match early and hid an
# internal subset: an attack on our own instance).
_PLAIN_DOCTYPE = (
    rb"""<!DOCTYPE\s+[^\s>\[]+(?:\s+(?:SYSTEM|PUBLIC)(?:\s+(?:"[^"]*"|'[^']*'))+)?\s*>"""
)
_XML_PROLOGUE = re.compile(rb"\A(?:\s+|<\?.*?\?>|<!--.*?-->|" + _PLAIN_DOCTYPE + rb")*", re.S)
_FIRST_ELEMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
# A "crs" member in any case, any of its letters written as a JSON escape (GDAL finds
# the member whatever its case and reads the escapes: "CRS", "cr\u0073" had passed a
# check of the plain spelling; found by an attack on these changes before release).
_CRS_MEMBER = re.compile(rb'(?i)"(?:c|\\u00[46]3)(?:r|\\u00[57]2)(?:s|\\u00[57]3)"\s*:\s*')


def _looks_like(path: Path, display: str) -> None:
    """Refuse a .geojson/.json that is not JSON or names its CRS by a link, a .kml whose
    first element is not <kml>, and a .kmz that is not a zip, before GDAL sees them."""
    ext = path.suffix.lower()
    with path.open("rb") as fh:
        head = fh.read(_HEAD)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n\x1e")
    if ext in (".geojson", ".json"):
        if not text.startswith(b"{"):
            raise InvalidUpload(
                f"{display} is named {ext} but is not GeoJSON (it does not begin with "
                "'{'): export the layer as GeoJSON again"
            )
        try:
            named = not path.stat().st_size or _crs_named(path)
        except InvalidUpload as exc:
            raise InvalidUpload(f"{display}: {exc.detail}") from None
        if not named:
            raise InvalidUpload(
                f'{display}: its "crs" is not a CRS named by its code (a link, an address or '
                "a file, which ims does not follow): give the coordinates in WGS 84 longitude "
                'and latitude (as GeoJSON has them), or name the CRS ("crs": {"type": '
                '"name", "properties": {"name": "EPSG:32648"}})'
            )
    elif ext == ".kml":
        prologue = _XML_PROLOGUE.match(text)
        first = _FIRST_ELEMENT.match(text, prologue.end() if prologue else 0)
        # the prologue reads past plain document types: one left is not plain
        if re.match(rb"\s*<!DOCTYPE", text[prologue.end() if prologue else 0 :]):
            raise InvalidUpload(
                f"{display} declares its own entities (a DOCTYPE with [ ]), which KML never "
                "does: export the layer as KML again"
            )
        if first is None or first.group(1) != b"kml":
            what = f"<{first.group(1).decode(errors='replace')[:40]}>" if first else "none"
            raise InvalidUpload(
                f"{display} is named .kml but is not KML: its first element is {what}, not "
                "<kml>; export the layer as KML again"
            )
    elif ext == ".kmz" and not head.startswith(b"PK\x03\x04"):
        raise InvalidUpload(f"{display} is named .kmz but is not one (a KMZ is a zip)")


# A placemark's start tag, and a geometry's coordinates' (with or without a prefix). What a
# comment or a text holds is counted too: the count is at least what GDAL will find.
_PLACEMARK = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Placemark[\s/>]")
_COORDINATES = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?coordinates[\s>]")
_COORDINATES_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?coordinates\s*>")
_TRACK_POINT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?coord[\s>]")  # a gx:Track's, one each
# A document type or a declaration of one, anywhere: libkml applies a DTD's attribute
# defaults to every element they name (1.9 MB of KML took 15 GB: an attack on our own
# instance); KML has none.
_DECLARATION = re.compile(rb"<!(?:DOCTYPE|ATTLIST|ENTITY|ELEMENT|NOTATION)", re.I)
_PLAIN = re.compile(_PLAIN_DOCTYPE)
# an attribute's value, each a string GDAL's document keeps
_ATTRIBUTE = re.compile(rb"=[ \t\r\n]*[\"']")


def _tuples(text: bytes, start: int, end: int) -> int:
    """The vertices of coordinates ``text[start:end]``: one a tuple ("x,y[,z]", tuples
    apart by spaces), or one per three numbers where a tuple holds more, as libkml reads
    "0,0,0,0,0,0" (one tuple of 83 million numbers had counted as one vertex)."""
    part = text[start:end]
    tuples = len(part.split())
    return max(tuples, (part.count(b",") + tuples) // 3)


def _bound_kml(path: Path, display: str, limits: UploadLimits) -> None:
    """Refuse a KML past the limits before GDAL reads it: GDAL builds the whole document
    in memory before the features can be counted, and 1.96 MB of KMZ holding 2.8 million
    placemarks took an upload worker to 3.3 GB and 40 s before its refusal (an attack on
    our own instance). Its size, placemarks and coordinates are counted as it streams by."""
    size = path.stat().st_size
    if size > limits.max_kml_bytes:
        raise UploadTooLarge(
            f"{display} is {size / 1e6:,.0f} MB of KML; ims reads at most "
            f"{limits.max_kml_bytes / 1e6:,.0f} MB of KML (it is read whole into memory): "
            "send the layer as a GeoPackage"
        )
    placemarks = vertices = elements = attributes = 0
    current = longest = 0  # the vertices of the coordinates being read, of the longest
    inside = False  # within a geometry's coordinates
    tail = b""
    with path.open("rb") as fh:
        while True:
            block = fh.read(_KML_CHUNK)
            text = tail + block
            # a tag cut by the block's end is read with the next block
            cut = len(text) - 64 if block else len(text)
            placemarks += sum(1 for m in _PLACEMARK.finditer(text, 0, cut + 16) if m.start() < cut)
            vertices += sum(1 for m in _TRACK_POINT.finditer(text, 0, cut + 16) if m.start() < cut)
            # every element, each a node of GDAL's document (an overlay or an empty point
            # is a feature or a geometry with no coordinates)
            elements += text.count(b"<", 0, cut) - sum(
                text.count(closing, 0, cut) for closing in (b"</", b"<!", b"<?")
            )
            attributes += sum(1 for m in _ATTRIBUTE.finditer(text, 0, cut) if m.start() < cut)
            declared = next(
                (
                    m
                    for m in _DECLARATION.finditer(text, 0, cut + 16)
                    if m.start() < cut and not _PLAIN.match(text, m.start())
                ),
                None,
            )
            if declared is not None:
                raise InvalidUpload(
                    f"{display} declares a document type ({declared.group().decode()}), "
                    "which KML never does: export the layer as KML again"
                )
            at = 0
            while at < cut:
                if inside:
                    end = _COORDINATES_END.search(text, at)
                    if end is None or end.start() >= cut:
                        # up to the last space before the cut: a tuple is counted once, whole
                        last = max(text.rfind(space, at, cut) for space in b" \n\t\r")
                        if last > at:
                            counted = _tuples(text, at, last)
                            vertices, current = vertices + counted, current + counted
                            at = last
                        else:  # one tuple the whole block long: its numbers, three a vertex
                            counted = text.count(b",", at, cut) // 3
                            vertices, current = vertices + counted, current + counted
                            at = cut
                        break
                    counted = _tuples(text, at, end.start())
                    vertices, current = vertices + counted, current + counted
                    longest = max(longest, current)
                    inside, at = False, end.end()
                else:
                    start = _COORDINATES.search(text, at)
                    if start is None or start.start() >= cut:
                        at = cut
                        break
                    inside, at, current = True, start.end(), 0
            tail = text[at:]
            longest = max(longest, current)
            if longest > limits.max_vertices_per_feature:
                # one geometry's coordinates alone: GDAL would build it whole first
                raise UploadTooLarge(
                    f"{display} has a geometry of more than "
                    f"{limits.max_vertices_per_feature:,} vertices; the limit is "
                    f"{limits.max_vertices_per_feature:,} vertices per feature: simplify its "
                    "outline"
                )
            over = placemarks > limits.max_features or vertices > limits.max_vertices
            many = max(elements, attributes) > limits.max_kml_elements
            if over or many or not block:
                break
    if placemarks > limits.max_features:
        raise UploadTooLarge(
            f"{display} has more than {limits.max_features:,} placemarks; the limit is "
            f"{limits.max_features:,} features in one upload: send it in parts"
        )
    if elements > limits.max_kml_elements:
        raise UploadTooLarge(
            f"{display} has more than {limits.max_kml_elements:,} XML elements; ims reads "
            "a KML of at most that many (it is read whole into memory): send the layer as a "
            "GeoPackage"
        )
    if attributes > limits.max_kml_elements:
        raise UploadTooLarge(
            f"{display} has more than {limits.max_kml_elements:,} XML attributes; ims reads "
            "a KML of at most that many (it is read whole into memory): send the layer as a "
            "GeoPackage"
        )
    if vertices > limits.max_vertices:
        raise UploadTooLarge(
            f"{display} has more than {limits.max_vertices:,} vertices in all; the limit is "
            f"{limits.max_vertices:,} in one upload: send it in parts or simplify the outlines"
        )


_EMPTY_ARRAY = re.compile(rb"\[[ \t\r\n]*\]")


def _bound_empty_parts(path: Path, display: str, limits: UploadLimits) -> None:
    """Refuse a GeoJSON of more empty arrays than it has features: each ``[]`` in a
    MultiPolygon is a polygon GDAL, the WKB and GEOS build, and none has a vertex to count
    (9.6 MB of them took 833 MB; 60 MB took past 4 GB: an attack on our own instance). A
    feature with no geometry has one."""
    empty = 0
    tail = b""
    with path.open("rb") as fh:
        while block := fh.read(_KML_CHUNK):
            text = tail + block
            cut = max(0, len(text) - 64)  # an array cut by the block's end: with the next
            at = 0
            for found in _EMPTY_ARRAY.finditer(text):
                if found.start() >= cut:
                    break
                empty, at = empty + 1, found.end()
            tail = text[max(cut, at) :]
            if empty > limits.max_features:
                raise UploadTooLarge(
                    f"{display} holds more than {limits.max_features:,} empty arrays ([]), "
                    "each an empty part GDAL would build: export the layer again without "
                    "empty geometries"
                )


def _crs_named(path: Path) -> bool:
    """Whether every ``crs`` member of a GeoJSON (GeoJSON 2008) names a CRS by its code:
    a link (``"type": "link"`` or ``"url"``, with ``href`` or ``url``), or a name that is an
    address or a path, is fetched or read by GDAL."""
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        for found in _CRS_MEMBER.finditer(data):
            if data[found.end() : found.end() + 1] != b"{":
                continue  # a text or a number: a feature's own "crs" column, which GDAL keeps
            text = data[found.end() : found.end() + 65536].decode("utf-8", errors="replace")
            try:
                value, _ = json.JSONDecoder().raw_decode(text)
            except (ValueError, RecursionError):  # nested past Python's stack: no CRS named
                return False
            members = {str(k).lower(): v for k, v in value.items()}
            properties = members.get("properties")
            if not isinstance(properties, dict) or set(members) - {"type", "properties"}:
                return False
            named = {str(k).lower(): v for k, v in properties.items()}
            if str(members.get("type", "")).lower() != "name" or set(named) != {"name"}:
                return False
            if not isinstance(named["name"], str) or not CRS_CODE.match(named["name"]):
                return False
            try:
                pyproj.CRS.from_user_input(named["name"])
            except pyproj.exceptions.CRSError:
                # GDAL would read the layer as WGS 84 and say nothing (an attack on our own
                # instance): a code PROJ does not know is as good as no CRS
                raise InvalidUpload(
                    f'its "crs" names {named["name"][:80]}, which is not a CRS PROJ '
                    "knows: give its EPSG code (e.g. EPSG:32648 for UTM zone 48N)"
                ) from None
    return True


def _scan_gdal(path: Path, display: str, found: _Found, *, multi: bool) -> None:
    """KML and GeoJSON: their layers listed by GDAL in one pass over the file."""
    _looks_like(path, display)
    if path.suffix.lower() == ".kml":
        _bound_kml(path, display, found.limits)
    elif path.suffix.lower() in (".geojson", ".json"):
        _bound_empty_parts(path, display, found.limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            listed = pyogrio.list_layers(path)
    except Exception as exc:  # GDAL reports problems as several exception types
        raise InvalidUpload(
            f"{display} cannot be opened as a map layer: {gdal_message(exc, path, display)}"
        ) from None
    found.make_room(len(listed), display)
    driver = "KML" if path.suffix.lower() in (".kml", ".kmz") else "GeoJSON"
    for layer_name, geometry_type in listed:
        layer_name = str(layer_name)
        where = f"{display}, layer {layer_name!r}" if multi else display
        if geometry_type is None:
            found.tables.append(where)
            continue
        if multi:
            layer = LayerInfo(layer_name, path, layer_name, driver)
            label = f"{display}:{layer_name}"
        else:
            layer = LayerInfo(path.stem, path, None, driver)
            label = display.removesuffix(path.suffix)
        found.layers.append((layer, label))


def _scan_geopackage(path: Path, display: str, found: _Found) -> None:
    for layer_name, has_geometry in geopackage_layers(path, display, found.make_room):
        where = f"{display}, layer {layer_name!r}"
        if not has_geometry:
            found.tables.append(where)
            continue
        layer = LayerInfo(layer_name, path, layer_name, "GPKG")
        found.layers.append((layer, f"{display}:{layer_name}"))


def _read_info(
    path: Path, layer: str | None, display: str, options: dict[str, str]
) -> dict[str, Any]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            info: dict[str, Any] = pyogrio.read_info(
                path, layer=layer, force_feature_count=True, **options
            )
    except Exception as exc:  # GDAL reports problems as several exception types
        raise InvalidUpload(
            f"{display} cannot be read: {gdal_message(exc, path, display)}"
        ) from None
    return info


def gdal_message(exc: BaseException, path: Path, display: str) -> str:
    """GDAL's message without the server's working paths in it."""
    text = str(exc).strip() or type(exc).__name__
    # GDAL's advice on driver prefixes is for programmers, not for the person uploading
    text = re.sub(r"\.?;? ?It might help to specify the correct driver.*$", ".", text, flags=re.S)
    for long, short in ((str(path), display), (str(path.parent) + os.sep, "")):
        text = text.replace(long, short)
    return text


def _unique_names(found: list[tuple[LayerInfo, str]]) -> list[LayerInfo]:
    """The layers, renamed by their path in the upload where two share a name."""
    counts: dict[str, int] = {}
    for layer, _ in found:
        counts[layer.name.lower()] = counts.get(layer.name.lower(), 0) + 1
    result = []
    for layer, label in found:
        if counts[layer.name.lower()] > 1:
            short = label.split("/", 1)[1] if "/" in label else label
            layer = LayerInfo(short, layer.path, layer.layer, layer.driver, layer.feature_count)
        result.append(layer)
    return result


def choose_layer(
    layers: list[LayerInfo], *, kind: str | None = None, name: str | None = None
) -> LayerInfo:
    """The layer to import: the only one, the one named, or the one whose name fits ``kind``."""
    if not layers:
        raise InvalidUpload("the upload holds no map layer to choose from")
    names = ", ".join(repr(layer.name) for layer in layers)
    if name is not None:
        matches = [layer for layer in layers if layer.name.lower() == name.strip().lower()]
        if len(matches) == 1:
            return matches[0]
        raise InvalidUpload(f"the upload has no layer named {name!r}; its layers are {names}")
    if len(layers) == 1:
        return layers[0]
    if kind:
        keyword = kind.strip().lower().removesuffix("s")
        matches = [layer for layer in layers if keyword in layer.name.lower()]
        if len(matches) == 1:
            return matches[0]
    # ``layers``: the names, for the upload page to offer them (it had shown only this
    # sentence, and no way to choose: a review as a data manager)
    raise InvalidUpload(
        f"the upload has {len(layers)} layers ({names}): choose one by its name "
        "(e.g. --layer NAME)",
        field="layer",
        layers=[layer.name for layer in layers],
    )


# GDAL types a GeoJSON property as a date where its values start like one, and then keeps
# of "2024-01-01 10:00 and the fence was moved" the date alone, without a word
# (helper-131): a GeoJSON's properties are read as the text they are, which ims reads as
# it reads a CSV's.
GEOJSON_OPEN_OPTIONS = {"DATE_AS_STRING": "YES"}


_DATED = {"OFTDate", "OFTDateTime", "OFTTime"}
_RECORD_SEPARATOR = b"\x1e"  # RFC 8142's: a record may then span lines


def _as_collection(path: Path, workdir: Path) -> Path:
    """The features of a GeoJSON sequence as one FeatureCollection, in a file of the same
    name in a new folder of ``workdir`` (so that GDAL's messages name the file sent).

    Written a record at a time, as they stand: what GDAL would refuse in a record, it
    refuses in the collection."""
    folder = Path(tempfile.mkdtemp(prefix="collection-", dir=workdir))
    target = folder / path.name
    with path.open("rb") as source:
        separator = b"\n"
        while chunk := source.read(1 << 20):
            if _RECORD_SEPARATOR in chunk:
                separator = _RECORD_SEPARATOR
                break
        source.seek(0)
        with target.open("wb") as out:
            out.write(b'{"type": "FeatureCollection", "features": [\n')
            first = True
            rest = b""
            while chunk := source.read(1 << 20):
                *records, rest = (rest + chunk).split(separator)
                first = _write_records(out, records, first)
            _write_records(out, [rest], first)
            out.write(b"]}\n")
    return target


def _write_records(out: Any, records: list[bytes], first: bool) -> bool:
    """Write the non-blank records, a comma before each but the first; whether none was."""
    for record in records:
        record = record.strip(b" \t\r\n\x1e\xef\xbb\xbf")
        if record:
            out.write(record if first else b",\n" + record)
            first = False
    return first


def open_options(layer: LayerInfo) -> dict[str, str]:
    """The options GDAL opens the layer with (a GeoPackage's keep it to its layers, a
    GeoJSON's dates are read as text)."""
    if layer.driver == "GPKG":
        return GPKG_OPEN_OPTIONS
    return GEOJSON_OPEN_OPTIONS if layer.driver == "GeoJSON" else {}


def describe(layer: LayerInfo, where: str, workdir: Path) -> LayerInfo:
    """The layer with its feature count and GDAL's driver: the one layer that is opened.

    A GeoJSON sequence (a feature a line) whose properties GDAL would read as dates is
    read from a FeatureCollection of the same features written into ``workdir``: GDAL's
    sequence driver has no ``DATE_AS_STRING``, and kept of "2024-01-01 10:00 and the fence
    was moved" the date alone, without a word (helper-131)."""
    info = _read_info(layer.path, layer.layer, where, open_options(layer))
    if info["driver"] == "GeoJSONSeq" and _DATED.intersection(info.get("ogr_types", ())):
        layer = dataclasses.replace(layer, path=_as_collection(layer.path, workdir))
        info = _read_info(layer.path, layer.layer, where, GEOJSON_OPEN_OPTIONS)
    driver = _DRIVERS.get(str(info["driver"]))
    if driver is None:  # never reached while the others are skipped (ims/__init__.py)
        raise InvalidUpload(
            f"{where} is a {info['driver']} file, which ims does not read: ims accepts {ACCEPTED}"
        )
    # as a table's columns: a GeoJSON or KML layer's fields are every property any feature
    # has, and 8,000 features each with one of its own had been read as 64 million cells
    # (45 s and 1.7 GB) before the file was refused for its own columns (helper-131)
    fields = len(info.get("fields", ()))
    if fields > MAX_WORKBOOK_COLUMNS:
        raise InvalidUpload(
            f"{where} has {fields:,} fields (its features' properties together); ims reads "
            f"at most {MAX_WORKBOOK_COLUMNS:,}: keep those the template and your records need"
        )
    return dataclasses.replace(layer, driver=driver, feature_count=int(info["features"]))
