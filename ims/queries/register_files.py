"""The hazard register, and the releases, as files for field teams and data managers:
GeoPackage, zipped shapefile, KML, GeoJSON, CSV and XLSX, every row the filter matches (no
page limit).

The geometries are the remaining ground on the date (hazards) or the polygon as sent
(releases), in EPSG:4326. Text is UTF-8 in every
format (the shapefile says so in its ``.cpg``), so Lao names survive. A shapefile's column
names are at most 10 characters: the register's are shortened by ``SHAPEFILE_NAMES`` and
the upload's own columns cut and numbered; ``fields.csv`` in the zip lists each with its
full name.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

import geopandas as gpd
import numpy as np
import pyogrio
import pyogrio.raw
import shapely
from openpyxl import Workbook
from shapely.geometry import MultiPolygon, Polygon, mapping
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from ims.cells import csv_text, workbook_bytes, xlsx_values
from ims.db.own_columns import (
    BOUNDARY_COLUMNS,
    BOUNDARY_SHAPEFILE_NAMES,
    COLUMNS,
    RELEASE_COLUMNS,
    RELEASE_SHAPEFILE_NAMES,
    SHAPEFILE_NAMES,
    SHAPEFILE_TEXT_BYTES,
    TAKEN,
    bytes_of,
    own_names,
    registered_names,
    shapefile_fixed,
    shapefile_names,
)
from ims.ingest.blank_template import GPKG_OPTIONS
from ims.queries.register import HazardRow
from ims.reports.kept import kept

FORMATS: Final = ("gpkg", "zip", "kml", "geojson", "csv", "xlsx")
MEDIA_TYPES: Final = {
    "gpkg": "application/geopackage+sqlite3",
    "zip": "application/zip",
    "kml": "application/vnd.google-earth.kml+xml",
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
LAYER: Final = "hazards"
# GDAL's KML writes a coordinate with 15 significant digits: a part meeting another at a
# point moved by 1e-13° crossed it, and 27 of a province's 269 hazards read back invalid
# (found by helper-87). The KML's polygons are snapped first to a grid of 1e-9° (0.1 mm),
# whose points it writes exactly, with GEOS keeping them valid.
KML_GRID: Final = 1e-9


class Row(Protocol):
    """A row a file is written of: a hazard of the register or a release."""

    @property
    def attributes(self) -> dict[str, Any]: ...

    @property
    def geometry(self) -> BaseGeometry | None: ...

    def properties(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Boundary:
    """A hazard of the register as a boundaries file holds it (``BOUNDARIES``): with its
    estimates in force and no ``revised`` date yet."""

    hazard: HazardRow

    @property
    def attributes(self) -> dict[str, Any]:
        return self.hazard.attributes

    @property
    def geometry(self) -> BaseGeometry | None:
        return self.hazard.geometry

    def properties(self) -> dict[str, Any]:
        props = self.hazard.properties()
        own = {k: v for k, v in props.items() if k not in COLUMNS}
        ordered = {c: props[c] for c in COLUMNS}
        ordered.update(revised=None, munitions=self.hazard.munitions)
        return {c: ordered[c] for c in BOUNDARY_COLUMNS} | own


@dataclass(frozen=True)
class Layout:
    """What a file of one kind of row holds: its columns, their shapefile names, the layer's
    name and the column that names each feature (its id, and its KML name)."""

    columns: tuple[str, ...]
    shapefile_names: dict[str, str]
    layer: str
    id_column: str
    dates: tuple[str, ...] = ()  # columns of dates (YYYY-MM-DD), written as a file's dates
    # columns of whole numbers that may be missing (pandas holds them as floats)
    integers: tuple[str, ...] = ()


HAZARDS: Final = Layout(
    COLUMNS, SHAPEFILE_NAMES, LAYER, "hazard_id", ("recorded", "marked"), ("used_from", "used_to")
)
RELEASES: Final = Layout(
    RELEASE_COLUMNS, RELEASE_SHAPEFILE_NAMES, "releases", "release_id", ("released",)
)
# The boundaries in force, to revise in a GIS and send back: the register's columns with the
# estimates in force (`munitions`) and an empty `revised` for the day each revision takes
# effect, both template fields. The data manager had to add the column, and had no
# estimates to revise (a QGIS round trip by an operator's data manager, helper-94).
BOUNDARIES: Final = Layout(
    BOUNDARY_COLUMNS,
    BOUNDARY_SHAPEFILE_NAMES,
    LAYER,
    "hazard_id",
    ("recorded", "revised", "marked"),
    ("used_from", "used_to"),
)


@dataclass(frozen=True)
class ExportFile:
    """A written file: its bytes, media type and download name."""

    content: bytes
    media_type: str
    filename: str


def file_stem(parts: Iterable[str | None]) -> str:
    """A download's name without its extension: the parts given, joined by "-", in ASCII
    letters, digits, "-" and "_" only (a header's value is Latin-1: an operator named in
    Lao, or "Ā", had answered 500, found by the fuzz test), at most 120 characters."""
    stem = "-".join(p for p in parts if p)
    return "".join(c if (c.isascii() and c.isalnum()) or c in "-_" else "_" for c in stem)[:120]


def _taken(layout: Layout) -> Iterable[str]:
    return TAKEN[layout.id_column]


def register_names(session: Session, layout: Layout = HAZARDS) -> dict[str, str]:
    """Every own column of the register's records (hazards, or releases by ``layout``)
    with its name in any file or feature (``own_names``), kept until the data change."""
    return kept(
        session,
        "register.own_names",
        layout.id_column,
        lambda: registered_names(session, layout.id_column),
    )


def _extra_columns(
    rows: Sequence[Row],
    layout: Layout,
    noise: re.Pattern[str] | None = None,
    names: dict[str, str] | None = None,
) -> dict[str, str]:
    """The upload's own columns the rows hold, each with the name it has in the file:
    as ``names`` (``register_names``) gives it, or, of a column it does not know, among
    the rows' own (``own_names``); KML's without the characters ``noise`` matches."""
    keys = {key for row in rows for key in row.attributes if key not in layout.columns}
    unknown = own_names(sorted(keys - set(names or {})), {*_taken(layout), *(names or {}).values()})
    given = {**(names or {}), **unknown}
    if noise is None:
        return {key: given[key] for key in sorted(keys)}
    # KML's names lose what its XML cannot hold as it is: those it changes are numbered
    # past every other column's name, so that none takes another's ("a&b" had become
    # "ab", and the column "ab" "ab_1": helper-113)
    kept_as_they_are = {k: given[k] for k in keys if not noise.search(given[k])}
    changed = own_names(
        sorted(keys - set(kept_as_they_are)),
        {*_taken(layout), *given.values()},
        noise,
    )
    named = {**kept_as_they_are, **changed}
    return {key: named[key] for key in sorted(keys)}


# KML's too: GDAL writes a field's name into the XML as it is (<SimpleData name="…">), so a
# column named with a quote and markup wrote its own elements into every KML of the
# register, and a record is kept for good (found by an attack on our own instance).
_KML_NAME_NOISE = re.compile("[\x00-\x1f\x7f<>&\"']")


def _text(value: Any) -> Any:
    """An upload's value as one cell: text, a number, or None (lists and objects as JSON)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return json.dumps(value, ensure_ascii=False)


def _cell(value: Any) -> Any:
    """A row's own value as one cell; numbers by type as the template writes them
    (``TYPE:QTY;TYPE:QTY``), so that a release's items read as they were sent."""
    if isinstance(value, dict) and all(isinstance(v, int) for v in value.values()):
        return ";".join(f"{k}:{v}" for k, v in sorted(value.items())) or None
    return _text(value)


def _a_number(value: Any) -> bool:
    """Whether an upload's value is a number a file's numeric field holds exactly."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return abs(value) < 2**53 and math.isfinite(value)


def _a_boolean(value: Any) -> bool:
    """Whether an upload's value is a boolean (a JSON true or false, a form's yes/no)."""
    return isinstance(value, bool)


def _typed(rows: Sequence[Row], extra: dict[str, str], of_type: Callable[[Any], bool]) -> set[str]:
    """The upload's own columns whose every value is of a type (``of_type``): written so,
    as the OGC API's schema types them. Written as text, "Area (ha)" and "Easting" had been
    text in the GeoPackage and numbers over OGC, and the two could not be joined
    (helper-101); a column of yes and no, text beside OGC's boolean (helper-103)."""
    typed = set(extra)
    for row in rows:
        for key in list(typed):
            value = row.attributes.get(key)
            if value is not None and not of_type(value):
                typed.discard(key)
        if not typed:
            break
    return {extra[key] for key in typed}


def _records(rows: Sequence[Row], extra: dict[str, str], layout: Layout) -> list[dict[str, Any]]:
    records = []
    numeric = _typed(rows, extra, _a_number)
    booleans = _typed(rows, extra, _a_boolean)
    for row in rows:
        props = row.properties()
        record = {c: _cell(props[c]) for c in layout.columns}
        for key, column in extra.items():
            value = row.attributes.get(key)
            if value is None:
                record[column] = None
            elif column in booleans:  # true or false (as 1.0 and 0.0 it was a real field)
                record[column] = bool(value)
            elif column in numeric:  # real, whatever the rows: a filter had made it integer
                record[column] = float(value)
            else:
                record[column] = str(_text(value))
        records.append(record)
    return records


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xml_text(value: Any) -> Any:
    return _NOT_XML.sub("\ufffd", value) if isinstance(value, str) else value


SHAPEFILE_CUT_HEADING = (
    f"values cut to {SHAPEFILE_TEXT_BYTES} bytes (the GeoPackage holds them whole)"
)


def _cut_to_shapefile_text(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    """The frame with each text longer than a shapefile holds cut at a character, and how
    many were cut in each column. GDAL cut them itself, at the 254th byte, inside a Lao
    character as often as not, and said nothing in the file (a review as a GIS officer)."""
    cut: dict[str, int] = {}
    frame = frame.copy()
    for column in frame.columns.drop(frame.geometry.name):
        values = frame[column]
        if values.dtype != object and str(values.dtype) != "str":
            continue
        long = [
            isinstance(v, str) and len(v.encode("utf-8")) > SHAPEFILE_TEXT_BYTES for v in values
        ]
        if any(long):
            frame[column] = [
                bytes_of(v, SHAPEFILE_TEXT_BYTES) if too_long else v
                for v, too_long in zip(values, long, strict=True)
            ]
            cut[str(column)] = sum(long)
    return frame, cut


def _frame(rows: Sequence[Row], extra: dict[str, str], layout: Layout) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        _records(rows, extra, layout),
        columns=[*layout.columns, *extra.values()],
        geometry=[row.geometry for row in rows],
        crs="EPSG:4326",
    )


SHAPEFILE_OWN_MAX = 100  # the uploads' own columns a shapefile holds (fields.csv lists the rest)
# A GeoPackage's layer is one SQLite table, and a table holds at most 2,000 columns: the
# uploads' own columns past this many are written to a second table, a row per value
# (``MORE_COLUMNS``). A register whose records held more had no GeoPackage at all, on any
# date, for good (about eleven uploads of 200 own columns each: helper-113).
GPKG_OWN_MAX = 1_900
# The workbook's sheet holds at most 16,384 columns; past this many, the same second table
# as a second sheet.
XLSX_OWN_MAX = 16_000
MORE_COLUMNS_FIELDS: Final = ("column", "value")


def _past(room: int, extra: dict[str, str], names: dict[str, str] | None) -> list[str]:
    """The own columns of ``extra`` (their names in the file) a file with ``room`` for own
    columns leaves out of its layer: the rows' columns past ``room`` in the order the
    register first recorded them (``names``; a column it does not know comes after). So a
    column the whole register's file holds is held by the file of any of its rows, on any
    date. In the order of their names, a register's later uploads had pushed "Village"
    out, and a filter had moved columns in and out (helper-114)."""
    rank = {key: k for k, key in enumerate(names or {})}
    ordered = sorted(extra, key=lambda key: (rank.get(key, len(rank)), key))
    return [extra[key] for key in ordered[room:]]


def more_columns_name(layout: Layout) -> str:
    """The name of the table (a GeoPackage's) or sheet (a workbook's) of the own columns
    the file's main layer has no room for."""
    return f"{layout.layer}_more_columns"


def _more_columns(
    rows: Sequence[Row], extra: dict[str, str], left_out: Sequence[str], layout: Layout
) -> list[tuple[Any, str, Any]]:
    """Each value of the own columns ``left_out`` (by their names in the file) as a row:
    the feature's id, the column's name and the value as the main layer would hold it."""
    keys = {name: key for key, name in extra.items() if name in set(left_out)}
    # a column of numbers written as the layer and the CSV write it ("2158535.0", not
    # "2158535": helper-114)
    numeric = _typed(rows, {key: name for name, key in keys.items()}, _a_number)
    values = []
    for row in rows:
        ident = row.properties()[layout.id_column]
        for name in left_out:
            value = row.attributes.get(keys[name])
            if value is not None:
                cell = float(value) if name in numeric and not isinstance(value, bool) else value
                values.append((str(ident), name, _value_text(_text(cell))))
    return values


def _value_text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _write_more_columns(
    rows: Sequence[Row], extra: dict[str, str], left_out: Sequence[str], layout: Layout, path: Path
) -> None:
    """The own columns ``left_out`` as a table beside the layer in the GeoPackage ``path``:
    one row a value, text as the CSV holds it, joined to the layer by its id column."""
    values = _more_columns(rows, extra, left_out, layout)
    columns = list(zip(*values, strict=True)) if values else [(), (), ()]
    pyogrio.raw.write(
        path,
        geometry=None,
        field_data=[np.array(c, dtype=object) for c in columns],
        fields=[layout.id_column, *MORE_COLUMNS_FIELDS],
        layer=more_columns_name(layout),
        driver="GPKG",
        geometry_type=None,
        append=True,
    )


def _write_layer(
    frame: gpd.GeoDataFrame,
    path: Path,
    *,
    layer: str,
    driver: str,
    dates: Sequence[str],
    integers: Sequence[str] = (),
    encoding: str | None = None,
) -> None:
    """Write ``frame`` as one layer of multipolygons, the columns ``dates`` as date fields.

    ``pyogrio.write_dataframe`` writes a column of dates as text (or as date-times, since
    pandas holds no array of days): QGIS then sorted and filtered "2021-05-01" as text. Its
    lower-level writer makes a date field of an array of days, so the columns are handed
    to it as such (without pyarrow, whose strings would replace pandas' own in every step
    of ims that reads a file; decision 0018).
    """
    fields = [c for c in frame.columns if c != frame.geometry.name]
    data: list[Any] = []
    masks: list[Any] = []
    for name in fields:
        column = frame[name]
        if name in dates:
            days = [str(v) if isinstance(v, str | dt.date) and v else "NaT" for v in column]
            data.append(np.array(days, dtype="datetime64[D]"))
            masks.append(None)
        elif name in integers:  # 1968, not 1968.0; a null where none was recorded
            missing = np.asarray(column.isna())
            data.append(np.where(missing, 0, column.fillna(0)).astype(np.int32))
            masks.append(missing)
        elif column.dtype.kind in "fiub":
            data.append(column.to_numpy())
            masks.append(None)
        elif _booleans(column):  # a boolean field, null where the upload had none
            missing = np.asarray(column.isna())
            data.append(np.array([bool(v) if v is not None else False for v in column]))
            masks.append(missing)
        else:
            data.append(column.to_numpy(dtype=object, na_value=None))
            masks.append(np.asarray(column.isna()))
    geometry = [MultiPolygon([g]) if isinstance(g, Polygon) else g for g in frame.geometry]
    pyogrio.raw.write(
        path,
        geometry=shapely.to_wkb(np.array(geometry, dtype=object)),
        field_data=data,
        field_mask=masks,
        fields=fields,
        layer=layer,
        driver=driver,
        geometry_type="MultiPolygon",
        crs="EPSG:4326",
        encoding=encoding,
        dataset_options=GPKG_OPTIONS if driver == "GPKG" else None,
    )


def _booleans(column: Any) -> bool:
    """Whether a column of objects holds booleans alone, and at least one (``_records``
    leaves an upload's column of yes and no as them)."""
    present = [v for v in column if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return bool(present) and all(isinstance(v, bool) for v in present)


# The most characters a spreadsheet's cell holds (Excel's limit; LibreOffice's is larger)
CELL_MAX: Final = 32_767


def _cell_wkt(geometry: Any) -> str | None:
    """The polygon as WKT in a workbook's cell, to be sent back as the CSV's is (the
    workbook had its label point alone, and a boundaries workbook sent back was a point
    per hazard: a GIS user's review); None where it does not fit in a cell (a polygon of
    about 800 vertices or more), as the README says."""
    if geometry is None:
        return None
    wkt: str = geometry.wkt
    return wkt if len(wkt) <= CELL_MAX else None


def _point(row: Row) -> tuple[float | None, float | None]:
    if row.geometry is None:
        return None, None
    p = row.geometry.representative_point()
    return round(p.x, 7), round(p.y, 7)


def _geojson_properties(row: Row, layout: Layout, extra: dict[str, str]) -> dict[str, Any]:
    """A feature's properties: the layout's columns, then the upload's own that it has,
    by their names in the other files and the OGC API's features (it had kept each
    upload's own, where the GeoPackage of the same day said "Village_1")."""
    props = row.properties()
    own = {extra[key]: value for key, value in row.attributes.items() if key in extra}
    return {**{c: props.get(c) for c in layout.columns}, **own}


def write(
    rows: Sequence[Row],
    fmt: str,
    stem: str = "hazards",
    layout: Layout = HAZARDS,
    names: dict[str, str] | None = None,
) -> ExportFile:
    """The rows as a file of format ``fmt`` (one of FORMATS), laid out as ``layout``, the
    upload's own columns named as ``names`` (``register_names``) gives them."""
    extra = _extra_columns(rows, layout, _KML_NAME_NOISE if fmt == "kml" else None, names)
    columns, layer = layout.columns, layout.layer
    media = MEDIA_TYPES[fmt]
    name = f"{stem}.{fmt}"
    if fmt == "geojson":
        doc = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": row.properties()[layout.id_column],
                    "geometry": mapping(row.geometry) if row.geometry is not None else None,
                    "properties": _geojson_properties(row, layout, extra),
                }
                for row in rows
            ],
        }
        return ExportFile(json.dumps(doc, ensure_ascii=False).encode(), media, name)
    if fmt == "csv":
        header = [*columns, *extra.values(), "lon", "lat", "wkt"]
        lines: list[list[Any]] = [header]
        for row, record in zip(rows, _records(rows, extra, layout), strict=True):
            lon, lat = _point(row)
            wkt = row.geometry.wkt if row.geometry is not None else None
            lines.append([*record.values(), lon, lat, wkt])
        return ExportFile(("\ufeff" + csv_text(lines)).encode(), media, name)
    if fmt == "xlsx":
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = layer
        left_out = _past(XLSX_OWN_MAX, extra, names)
        if left_out:
            more = wb.create_sheet(more_columns_name(layout))
            more.append([layout.id_column, *MORE_COLUMNS_FIELDS])
            for value in _more_columns(rows, extra, left_out, layout):
                more.append(xlsx_values(value))
            extra = {k: v for k, v in extra.items() if v not in set(left_out)}
        ws.append(xlsx_values([*columns, *extra.values(), "lon", "lat", "wkt"]))
        # dates as the workbook's own, as the GeoPackage's and the shapefile's are: they had
        # been text, which a spreadsheet neither sorts as dates nor reads back as one (a
        # review as a GIS officer)
        at = [k for k, c in enumerate(columns) if c in layout.dates]
        # each row's number counted here: openpyxl's max_row walks every cell written, and
        # asked for each row it made the releases' workbook (9,000 rows) take 51–82 s and
        # hold the export's turn from everyone else (an attack on our own instance)
        for number, (row, record) in enumerate(
            zip(rows, _records(rows, extra, layout), strict=True), start=2
        ):
            values = xlsx_values([*record.values(), *_point(row), _cell_wkt(row.geometry)])
            for k in at:
                if isinstance(values[k], str) and values[k]:
                    values[k] = dt.date.fromisoformat(values[k])
            ws.append(values)
            for k in at:
                ws.cell(row=number, column=k + 1).number_format = "yyyy-mm-dd"
        return ExportFile(workbook_bytes(wb), media, name)
    frame = _frame(rows, extra, layout)
    with tempfile.TemporaryDirectory(prefix="ims-export-") as tmp:
        folder = Path(tmp)
        if fmt == "gpkg":
            path = folder / name
            left_out = _past(GPKG_OWN_MAX, extra, names)
            _write_layer(
                frame.drop(columns=left_out),
                path,
                layer=layer,
                driver="GPKG",
                dates=layout.dates,
                integers=layout.integers,
            )
            if left_out:
                _write_more_columns(rows, extra, left_out, layout, path)
            return ExportFile(path.read_bytes(), media, name)
        if fmt == "kml":
            path = folder / name
            # the reference names each placemark (Google Earth lists them by it) and stays
            # a column too, so that the file sent back is read by the template's names
            kml = frame.copy()
            kml.insert(0, "Name", frame[layout.id_column])
            snapped = shapely.set_precision(np.asarray(kml.geometry.values), KML_GRID)
            kml = kml.set_geometry(gpd.GeoSeries(snapped, index=kml.index, crs=kml.crs))
            for column in kml.columns.drop(kml.geometry.name):  # XML holds no control character
                if kml[column].dtype == object or str(kml[column].dtype) == "str":
                    kml[column] = kml[column].map(_xml_text, na_action="ignore")
            pyogrio.write_dataframe(kml, path, layer=layer, driver="KML")
            return ExportFile(path.read_bytes(), media, name)
        if fmt == "zip":
            # a shapefile's record holds at most 65,535 bytes: the uploads' own columns past
            # SHAPEFILE_OWN_MAX are listed in fields.csv, not written (a register of 1,500
            # such columns answered 500); the other formats hold them all
            own = list(extra.values())
            left_out = _past(SHAPEFILE_OWN_MAX, extra, names)
            frame = frame.drop(columns=left_out)
            frame, cut = _cut_to_shapefile_text(frame)
            # cut and numbered among every own column of the register, in the order it
            # recorded them: a column's name had followed the columns beside it in the file
            # ("longcolumn" one file's alpha, another's beta: helper-113)
            # (the names of every file of these rows taken first: ``shapefile_fixed``)
            fixed, short = shapefile_fixed(layout.id_column)
            every = shapefile_names(
                list(dict.fromkeys([*fixed, *columns, *(names or {}).values(), *own])),
                {**short, **layout.shapefile_names},
            )
            names = {c: every[c] for c in [*columns, *own] if c not in set(left_out)}
            shp = folder / "shp"
            shp.mkdir()
            _write_layer(
                frame.rename(columns=names),
                shp / f"{layer}.shp",
                layer=layer,
                driver="ESRI Shapefile",
                dates=[names[c] for c in layout.dates],
                integers=[names[c] for c in layout.integers],
                encoding="UTF-8",
            )
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                for part in sorted(shp.iterdir()):
                    zf.write(part, part.name)
                zf.writestr(
                    "fields.csv",
                    csv_text(
                        [
                            ("shapefile", "name", SHAPEFILE_CUT_HEADING),
                            *((v, k, cut.get(k) or "") for k, v in names.items()),
                            *(
                                ("(not in the shapefile: see the GeoPackage)", k, "")
                                for k in left_out
                            ),
                        ]
                    ),
                )
            return ExportFile(buf.getvalue(), media, name)
    raise ValueError(f"unknown format {fmt!r}")
