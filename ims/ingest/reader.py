"""Turn an uploaded file (zipped shapefile, GeoPackage, GeoJSON, KML, a CSV or Excel table)
into a clean GeoDataFrame.

    read_upload()  all of it: the chosen layer in EPSG:4326, 2-D, attributes decoded correctly

The steps on the way have their own modules: ``archive`` checks the upload and extracts a
zip safely, ``layers`` lists the layers and chooses one (``geopackage`` reads a
GeoPackage's structure without running it), ``encodings`` finds a shapefile's text
encoding, and ``limits`` holds the limits on all of it.

Every problem a person can fix is raised as ``InvalidUpload`` naming the file, the entry or the
layer. Geometries are not repaired and rows are never dropped: validation reports them later.

Nothing in an upload may cost more than its size: layers are listed once (never opened one by
one), only the chosen layer is opened, and the limits on layers, features and vertices
(``UploadLimits``) are checked before the work they would multiply.
"""

from __future__ import annotations

import json
import logging
import math
import re
import sqlite3
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from ims.errors import InvalidUpload, UploadTooLarge
from ims.ingest.archive import check_workbook, unpack
from ims.ingest.crs import checked_crs, stated_crs, to_wgs84
from ims.ingest.encodings import dbf_of, detect_dbf_encoding, shapefile_encoding
from ims.ingest.geopackage import geopackage_layers
from ims.ingest.layers import (
    LayerInfo,
    choose_layer,
    describe,
    form_table,
    gdal_message,
    list_layers,
    open_options,
    sibling,
)
from ims.ingest.limits import UploadLimits
from ims.ingest.tables import (
    drop_z_m,
    form_export,
    is_table,
    looks_like_form_export,
    read_table,
    sheet_names,
)
from ims.words import counted, first_of, noun

logger = logging.getLogger(__name__)

# LIBKML adds these KML bookkeeping fields to every layer; they are dropped when they carry
# nothing so that the frame holds the file's own attributes.
_KML_BOOKKEEPING: dict[str, Any] = {
    "id": None,
    "description": None,
    "timestamp": None,
    "begin": None,
    "end": None,
    "altitudeMode": None,
    "tessellate": -1,
    "extrude": 0,
    "visibility": -1,
    "drawOrder": None,
    "icon": None,
    "snippet": None,
}


# chooses the remembered CRS of a layer by its columns: (the layer, the file's own names of
# the columns renamed as it was read) -> the CRS's code, or None
CrsChooser = Callable[[Any, dict[str, str]], str | None]


@dataclass
class ReadResult:
    """A layer read from an upload, in EPSG:4326, with what was done to it on the way."""

    frame: gpd.GeoDataFrame  # EPSG:4326, 2-D, original attribute columns, 0-based RangeIndex
    layer: str
    source_crs: str  # e.g. "EPSG:32648" or the WKT name if no EPSG code
    crs_was_stated: bool  # the file had no CRS and the caller's `crs` was used
    encoding: str | None  # the attribute encoding used (shapefiles), e.g. "UTF-8", "CP874"
    dropped_z: bool  # Z/M values were present and dropped
    warnings: list[str] = field(default_factory=list)  # human sentences
    # the columns renamed as the file was read (a form's question by its label, a group
    # prefix taken off): the file's own names, by the new ones. A mapping may name either.
    file_names: dict[str, str] = field(default_factory=dict)
    # each feature's row in a workbook's sheet, as it numbers them (None: no workbook)
    sheet_rows: list[int] | None = None
    # the coordinate system read with, as WKT (a file's own may have no code to name it by)
    source_wkt: str | None = None
    crs_remembered: bool = False  # the one remembered for the organisation's files was used


def read_upload(
    upload: Path,
    workdir: Path,
    *,
    kind: str | None = None,
    layer: str | None = None,
    crs: str | None = None,
    limits: UploadLimits = UploadLimits(),
    remembered_crs: str | CrsChooser | None = None,
) -> ReadResult:
    """Read the chosen layer of an upload into a GeoDataFrame in EPSG:4326 (2-D).

    ``crs``: the CRS of a file that declares none. ``remembered_crs``: the one remembered
    with the organisation's mapping (or what chooses it by the layer's columns, before its
    coordinates are read), used for a map layer that declares none when ``crs``
    is not given and the coordinates fit it (degrees for a geographic CRS, larger numbers
    for a projected one). A table's coordinates are read in ``crs``, else as degrees."""
    stated = stated_crs(crs) if crs is not None and crs.strip() else None
    if is_table(upload):
        return _read_table(upload, stated, limits, sheet=layer)
    source = unpack(upload, workdir, limits=limits)
    export = form_table(source)
    if export is not None:  # ODK Central's zip: the form's table, and one per repeat
        table, others = export
        read = _read_table(table, stated, limits)
        if others:
            read.warnings.append(
                f"{table.name} was read from {upload.name}; {', '.join(others)} "
                f"({'a repeated group' if len(others) == 1 else 'repeated groups'}) "
                f"{'was' if len(others) == 1 else 'were'} not: ims's forms join each repeat "
                "into a field of the form's own table"
            )
        return read
    chosen = choose_layer(list_layers(source, limits=limits), kind=kind, name=layer)
    where = f"{upload.name}, layer {chosen.name!r}"
    chosen = describe(chosen, where, workdir)
    if chosen.feature_count == 0:
        raise InvalidUpload(f"{where} has no features: the layer is empty")
    _check_feature_count(chosen.feature_count or 0, where, limits)
    _refuse_nul_text(chosen, where)
    notes: list[str] = []
    if chosen.driver == "GPKG":
        notes += _tables_not_read(chosen, upload.name)
    encoding: str | None = None
    if chosen.driver == "ESRI Shapefile":
        frame, encoding, measured = _read_shapefile(chosen, where, notes, limits)
    else:
        frame, measured = _read_frame(chosen, where, None, limits)
        if chosen.driver == "KML":
            frame = _drop_kml_bookkeeping(frame)
    frame = _drop_feature_ids(frame)
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        raise InvalidUpload(f"{where} has no geometry column: it is a table, not a map layer")
    _check_feature_count(len(frame), where, limits)  # the count GDAL gave may be an estimate
    geometries = frame.geometry.to_numpy()
    if len(geometries) and shapely.is_missing(geometries).all():
        count = len(geometries)
        its = "its one feature has no" if count == 1 else f"none of its {count:,} features has a"
        raise InvalidUpload(f"{where}: {its} geometry")
    _check_vertices(frame, where, limits)
    # A property named "" (GeoJSON allows it) cannot be matched to a field or kept by name:
    # shown on the mapping step, its values stood beside every unmatched field.
    blank = [c for c in frame.columns if c != frame.geometry.name and not str(c).strip()]
    if blank:
        frame = frame.drop(columns=blank)
        notes.append(
            f"{counted(len(blank), 'column')} without a name left out: a column needs a name to be "
            "matched to a field or kept"
        )

    frame, file_names = _as_form_export(frame, notes)
    dropped = drop_z_m(frame, measured, notes)
    if dropped is not None:
        frame = dropped
    if callable(remembered_crs):
        remembered_crs = remembered_crs(frame, file_names) if stated is None else None
    remembered = bool(stated is None and remembered_crs)
    if remembered and _fits(frame, stated_crs(str(remembered_crs))):
        stated, crs = stated_crs(str(remembered_crs)), remembered_crs
    else:
        remembered = False
    frame, read_in, crs_was_stated = _to_wgs84(
        frame, stated, crs, chosen, where, notes, remembered=remembered
    )
    source_crs = _crs_label(read_in)
    if not isinstance(frame.index, pd.RangeIndex) or frame.index.start != 0:
        frame = frame.reset_index(drop=True)
    logger.debug(
        "read %d features from %s (%s, %s%s)",
        len(frame),
        where,
        chosen.driver,
        source_crs,
        f", {encoding}" if encoding else "",
    )
    return ReadResult(
        frame=frame,
        layer=chosen.name,
        source_crs=source_crs,
        crs_was_stated=crs_was_stated,
        source_wkt=read_in.to_wkt(),
        crs_remembered=remembered,
        encoding=encoding,
        dropped_z=dropped is not None,
        warnings=notes,
        file_names=file_names,
    )


def _as_form_export(
    frame: gpd.GeoDataFrame, notes: list[str]
) -> tuple[gpd.GeoDataFrame, dict[str, str]]:
    """A map layer exported by a form platform (a KoboToolbox GeoJSON) read as its table
    would be: its questions out of their groups, its own columns left out (its row number
    ``_id`` had been offered as the hazards' reference), each record's submission id kept
    (ims.ingest.tables.form_export)."""
    name = frame.geometry.name
    attributes = [c for c in frame.columns if c != name]
    if not looks_like_form_export([str(c) for c in attributes]):
        return frame, {}
    plain, said, file_names = form_export(pd.DataFrame(frame[attributes]))
    notes.extend(said)
    if name in plain.columns:  # a question named as the geometry column: kept apart
        plain = plain.rename(columns={name: f"{name}_"})
        file_names[f"{name}_"] = file_names.pop(name, name)
    plain[name] = frame.geometry.to_numpy()
    return gpd.GeoDataFrame(plain, geometry=name, crs=frame.crs), file_names


def _read_table(
    upload: Path, stated: CRS | None, limits: UploadLimits, *, sheet: str | None = None
) -> ReadResult:
    """A CSV or Excel table (ims.ingest.tables), held to the same limits as a layer;
    ``sheet``: a workbook's sheet by its name (the layer asked for)."""
    if not upload.is_file():
        raise InvalidUpload(f"{upload.name}: the uploaded file was not found")
    size = upload.stat().st_size
    if size == 0:
        raise InvalidUpload(f"{upload.name} is empty (0 bytes): upload it again")
    if size > limits.max_bytes:
        raise InvalidUpload(
            f"{upload.name} is {size / 1e6:,.1f} MB; the limit is {limits.max_bytes / 1e6:,.0f} MB"
        )
    if upload.suffix.lower() == ".xlsx":
        check_workbook(upload, limits)
    workbook = upload.suffix.lower() == ".xlsx"
    try:
        table = read_table(
            upload, crs=stated, sheet=sheet if workbook else None, max_text=limits.max_bytes
        )
    except InvalidUpload as exc:
        names = sheet_names(upload) if workbook and sheet is None else []
        if len(names) < 2:
            raise
        # helper-90's workbook began with a summary sheet: its error had named the
        # summary's columns and said nothing of the sheet holding the hazards
        raise InvalidUpload(
            f"{exc.detail} (in sheet {names[0]!r}, the first of the workbook's {len(names)}: "
            f"{', '.join(repr(n) for n in names)}; choose the sheet to upload by its name, "
            "e.g. --layer NAME)",
            field="layer",
            layers=names,
        ) from None
    where = upload.name
    _check_feature_count(len(table.frame), where, limits)
    _check_vertices(table.frame, where, limits)
    return ReadResult(
        frame=table.frame,
        layer=table.sheet or upload.stem,
        source_crs=table.source_crs,
        crs_was_stated=stated is not None and not table.crs_known,
        encoding=None,
        dropped_z=False,
        warnings=table.notes,
        file_names=table.file_names,
        sheet_rows=table.sheet_rows,
    )


_MOST_NUL_SAID = 10
_NUL_SCAN_S = 30.0  # a GeoPackage's text scanned for NULs: an upload's 200 MB take ~1 s


def _refuse_nul_text(chosen: LayerInfo, where: str) -> None:
    """Refuse a GeoJSON or GeoPackage layer whose text holds a NUL character, naming each
    feature and field: GDAL reads a text up to its first NUL, so "AT-1\\u0000 and the rest"
    had been stored as "AT-1", the rest lost without a word. (A table's NULs are refused as
    it is read, ``ims.ingest.tables``; a KML or a shapefile cannot hold one as text.)"""
    if chosen.driver == "GeoJSON":
        found = _nul_in_geojson(chosen.path)
    elif chosen.driver == "GPKG":
        found = _nul_in_geopackage(chosen.path, chosen.layer or chosen.name)
    else:
        return
    if found:
        said = "; ".join(found[:_MOST_NUL_SAID])
        more = f"; and {len(found) - _MOST_NUL_SAID} more" if len(found) > _MOST_NUL_SAID else ""
        raise InvalidUpload(
            f"{where}: {said}{more}. A NUL character (0x00) ends a text where GDAL reads it, "
            "and the rest would be lost: remove it and upload the file again"
        )


def _nul_in_geojson(path: Path) -> list[str]:
    data = path.read_bytes()
    if b"\\u0000" not in data:  # the only way JSON text holds one
        return []
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return []  # GDAL says what is wrong with it
    features = document.get("features") if isinstance(document, dict) else None
    found = []
    for number, feature in enumerate(features if isinstance(features, list) else [], 1):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        for name, value in (properties or {}).items() if isinstance(properties, dict) else ():
            if "\x00" in str(name) or (isinstance(value, str) and "\x00" in value):
                found.append(f"feature {number}, field {name.replace(chr(0), '')!r} holds a NUL")
    return found


def _nul_in_geopackage(path: Path, table: str) -> list[str]:
    """The features (in the order GDAL reads them) and text fields of ``table`` holding a
    NUL; read-only, a table only (not a view), bounded in time."""
    deadline = time.monotonic() + _NUL_SCAN_S
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error:
        return []
    try:
        db.execute("PRAGMA trusted_schema = OFF")
        db.set_progress_handler(lambda: time.monotonic() > deadline, 100_000)
        kind = db.execute(
            "SELECT type FROM sqlite_master WHERE name = ? COLLATE NOCASE", (table,)
        ).fetchone()
        if kind is None or kind[0] != "table":
            return []
        quoted = '"' + table.replace('"', '""') + '"'
        columns = [
            str(row[1])
            for row in db.execute(f"PRAGMA table_info({quoted})")
            if str(row[2]).upper().startswith(("TEXT", "VARCHAR", "CHAR", "CLOB"))
        ]
        if not columns:
            return []
        tests = [f'instr(a."{c.replace(chr(34), chr(34) * 2)}", char(0)) > 0' for c in columns]
        rows = db.execute(
            f"SELECT (SELECT count(*) FROM {quoted} b WHERE b.rowid <= a.rowid), "
            f"{', '.join(tests)} FROM {quoted} a WHERE {' OR '.join(tests)} "
            "ORDER BY a.rowid LIMIT ?",
            (_MOST_NUL_SAID + 1,),
        ).fetchall()
    except sqlite3.Error:
        return []  # GDAL says what is wrong with the file, or the scan ran out of time
    finally:
        db.close()
    return [
        f"feature {row[0]}, field {column!r} holds a NUL"
        for row in rows
        for column, held in zip(columns, row[1:], strict=True)
        if held
    ]


def _check_feature_count(count: int, where: str, limits: UploadLimits) -> None:
    if count > limits.max_features:
        raise UploadTooLarge(
            f"{where} has {count:,} features; the limit is {limits.max_features:,} features "
            "in one upload: send it in parts"
        )


def _check_vertices(frame: Any, where: str, limits: UploadLimits) -> None:
    """Refuse a feature, or a layer, with more vertices than the limits allow."""
    counts = shapely.get_num_coordinates(frame.geometry.to_numpy())
    over = np.flatnonzero(counts > limits.max_vertices_per_feature)
    if over.size:
        row = int(over[0])
        references = [frame[c].iloc[row] for c in ("hazard_id", "release_id") if c in frame]
        reference = next((str(v) for v in references if not pd.isna(v)), None)
        named = f"feature {row + 1}" + (f" ({reference})" if reference else "")
        raise UploadTooLarge(
            f"{where}: {named} has {int(counts[row]):,} vertices; the limit is "
            f"{limits.max_vertices_per_feature:,} vertices per feature: simplify its outline"
        )
    total = int(counts.sum())
    if total > limits.max_vertices:
        raise UploadTooLarge(
            f"{where} has {total:,} vertices in all; the limit is {limits.max_vertices:,} "
            "in one upload: send it in parts or simplify the outlines"
        )


def _read_at_most(layer: LayerInfo, encoding: str | None, most: int) -> Any:
    return pyogrio.read_dataframe(
        layer.path,
        layer=layer.layer,
        encoding=encoding,
        use_arrow=False,
        max_features=most,
        **open_options(layer),
    )


def _read_frame(
    layer: LayerInfo, where: str, encoding: str | None, limits: UploadLimits
) -> tuple[Any, bool]:
    """The layer as read by pyogrio, and whether GDAL dropped M values while reading it."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            # the count GDAL gave (checked against the limit) and one more, to see whether
            # it was an estimate: pyogrio makes room for as many rows in every column, and
            # the limit's 500,001 took a feature of 1,000 columns to 4 GB (an attack on our
            # own instance); read again up to the limit if the count was short
            counted = min(limits.max_features, layer.feature_count or limits.max_features)
            frame = _read_at_most(layer, encoding, counted + 1)
            if len(frame) > counted < limits.max_features:
                frame = _read_at_most(layer, encoding, limits.max_features + 1)
        except UnicodeDecodeError:
            raise
        except Exception as exc:  # GDAL reports problems as several exception types
            raise InvalidUpload(
                f"{where} cannot be read: {gdal_message(exc, layer.path, layer.path.name)}"
            ) from None
    measured = False
    for warning in caught:
        text = str(warning.message)
        # pyogrio hands over no M values and reports a layer that had some only in a warning
        if "Measured (M)" in text:
            measured = True
        else:
            logger.info("reading %s: %s", where, text)
    return frame, measured


def _read_shapefile(
    layer: LayerInfo, where: str, notes: list[str], limits: UploadLimits
) -> tuple[Any, str, bool]:
    """Read a shapefile with the right attribute encoding: the frame, encoding and M flag."""
    passed, used, note = shapefile_encoding(layer.path)
    try:
        frame, measured = _read_frame(layer, where, passed, limits)
    except UnicodeDecodeError:
        # e.g. a .cpg saying UTF-8 over text written in a Windows code page
        detected, _ascii = detect_dbf_encoding(dbf_of(layer.path))
        if detected == used:
            detected = "ISO-8859-1"
        try:
            frame, measured = _read_frame(layer, where, detected, limits)
        except UnicodeDecodeError:
            raise InvalidUpload(
                f"{where}: its text attributes cannot be decoded as {used} or {detected}; "
                "save the shapefile again as UTF-8"
            ) from None
        note = (
            f"{layer.path.name}: the text attributes are not in {used} as declared; the "
            f"encoding was detected as {detected}: check that names read correctly"
        )
        used = detected
    if note:
        notes.append(note)
    return frame, used, measured


def _drop_kml_bookkeeping(frame: Any) -> Any:
    """Drop LIBKML's standard fields where they hold nothing for any feature, the ids GDAL
    gave the placemarks it wrote (``hazards.1``, ``hazards.2``, …), and the placemarks'
    names where they repeat a column for every feature: ims's own KML files name each
    placemark by its reference and keep the reference's column too, and sent back they had
    kept both as the records' own columns. A KML read and saved again by GDAL (QGIS) holds
    those fields once more, numbered (``id2``, ``timestamp2``): they are read the same way."""
    empty = []
    for column in frame.columns.drop(frame.geometry.name, errors="ignore"):
        match = _KML_NUMBERED.fullmatch(str(column))
        if match is None or match.group(1) not in _KML_BOOKKEEPING:
            continue
        values = frame[column]
        default = _KML_BOOKKEEPING[match.group(1)]
        if (
            values.isna().all()
            or (default is not None and (values == default).all())
            or (match.group(1) == "id" and _gdal_ids(values.astype("string")))
        ):
            empty.append(column)
    if "Name" in frame.columns and frame["Name"].notna().all():
        names = frame["Name"].astype("string")
        for column in frame.columns.drop(["Name", frame.geometry.name], errors="ignore"):
            if column not in empty and frame[column].astype("string").equals(names):
                empty.append("Name")
                break
    return frame.drop(columns=empty) if empty else frame


def _drop_feature_ids(frame: Any) -> Any:
    """Drop an ``id`` column that repeats the reference for every feature: the feature id
    an OGC API layer gives (its reference), which GDAL keeps as a column when the layer is
    saved. Sent back, it had been kept as each record's own attribute, and the register
    then served it renamed ``id_1`` (a review as a GIS officer)."""
    if not isinstance(frame, pd.DataFrame) or not len(frame):
        return frame
    ids = [c for c in frame.columns if str(c).lower() == "id"]
    refs = [c for c in ("hazard_id", "release_id") if c in frame.columns]
    for column in ids:
        values = frame[column].astype("string").str.strip()
        for ref in refs:
            if values.notna().all() and values.equals(frame[ref].astype("string").str.strip()):
                return frame.drop(columns=[column])
    return frame


_KML_NUMBERED = re.compile(r"([A-Za-z]+?)\d*")


def _gdal_ids(values: Any) -> bool:
    """Whether ``values`` are the ids GDAL writes for a layer's placemarks: one layer's
    name for every feature, a dot and a number, each number once."""
    parts = values.str.extract(r"^(.+)\.(\d+)$")
    if parts[0].isna().any():
        return False
    return bool(parts[0].nunique() == 1 and parts[1].is_unique)


def _crs_label(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg is not None else str(crs.name)


def _crs_guess(frame: Any) -> str:
    """What the coordinates of a file without a CRS look like, as a hint of the one to
    state: it had always said "e.g. --crs EPSG:32648", for degrees too (a review as a
    data manager)."""
    try:
        xmin, ymin, xmax, ymax = (float(v) for v in frame.total_bounds)
    except (TypeError, ValueError):
        return "e.g. --crs EPSG:32648"
    if not all(math.isfinite(v) for v in (xmin, ymin, xmax, ymax)):
        return "e.g. --crs EPSG:32648"
    if -180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90:
        return "its coordinates look like longitude and latitude: --crs EPSG:4326"
    if 100_000 <= xmin <= xmax <= 900_000 and -10_000_000 <= ymin <= ymax <= 10_000_000:
        return (
            "its coordinates look like metres of a UTM zone: name it, e.g. --crs EPSG:32648 "
            "(WGS 84 / UTM 48N)"
        )
    return "e.g. --crs EPSG:32648"


def _to_wgs84(
    frame: Any,
    stated: CRS | None,
    stated_text: str | None,
    layer: LayerInfo,
    where: str,
    notes: list[str],
    *,
    remembered: bool = False,
) -> tuple[Any, CRS, bool]:
    """The frame in EPSG:4326, the source CRS and whether the stated CRS was used
    (``remembered``: the one remembered with the organisation's mapping)."""
    declared = frame.crs
    was_stated = False
    if declared is None:
        if stated is None:
            why = "no .prj" if layer.driver == "ESRI Shapefile" else "no spatial reference"
            if layer.driver == "ESRI Shapefile" and sibling(layer.path, ".prj") is not None:
                why = "its .prj cannot be understood"
            raise InvalidUpload(
                f"{where} declares no coordinate reference system ({why}): state it "
                f"({_crs_guess(frame)})"
            )
        source = stated
        was_stated = True
        frame = frame.set_crs(stated, allow_override=True)
        notes.append(
            f"the file declares no coordinate reference system: {_crs_label(stated)}, "
            "remembered for the organisation's files that declare none, was used"
            if remembered
            else f"the file declares no coordinate reference system: the stated "
            f"{_crs_label(stated)} was used"
        )
    else:
        source = checked_crs(CRS.from_user_input(declared), where)
        if stated is not None and not _same_crs(source, stated):
            notes.append(
                f"the file declares {_crs_label(source)}, which was used; the stated "
                f"{stated_text} was ignored"
            )
    if source.to_epsg() == 4326:
        frame = frame.set_crs(4326, allow_override=True)
    else:
        frame = to_wgs84(frame, where, _crs_label(source))
    return frame, source, was_stated


def _tables_not_read(layer: LayerInfo, display: str) -> list[str]:
    """A note of the GeoPackage's tables without geometry, which are not read: ims's own
    register file keeps in one the own columns its layer has no room for, and a value
    changed there had been left as it was without a word (helper-114)."""
    tables = [
        name
        for name, has_geometry in geopackage_layers(layer.path, display, lambda n, d: None)
        if not has_geometry
    ]
    if not tables:
        return []
    # the first few, each cut: names of 10 kB in thousands had made a note of 9.8 MB in
    # every answer about the upload (helper-131)
    named = first_of([name if len(name) <= 60 else f"{name[:60]}…" for name in tables], 10)
    return [
        f"{display}'s {noun(len(tables), 'table')} {named} (without geometry) "
        f"{noun(len(tables), 'was', 'were')} not read, only the layer {layer.name!r}: a "
        "feature's own columns are the layer's (a change made in a register file's "
        "*_more_columns table is not read)"
    ]


def _fits(frame: Any, crs: CRS) -> bool:
    """Whether a layer that declares no CRS may be in ``crs`` by its coordinates' size: a
    CRS remembered for an organisation's UTM files is not taken for a file in degrees."""
    if frame.crs is not None:
        return False  # it declares its own
    present = frame.geometry[~frame.geometry.isna() & ~frame.geometry.is_empty]
    if present.empty:
        return False
    west, south, east, north = present.total_bounds
    degrees = max(abs(west), abs(east)) <= 180 and max(abs(south), abs(north)) <= 90
    return bool(degrees == bool(crs.is_geographic))


def _same_crs(a: CRS, b: CRS) -> bool:
    if a.to_epsg() is not None and a.to_epsg() == b.to_epsg():
        return True
    return bool(a.equals(b, ignore_axis_order=True))
