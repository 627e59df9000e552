"""Tables as map layers: CSV and Excel files, and the exports of field data collection.

    read_table()  a .csv or .xlsx into a GeoDataFrame in EPSG:4326, with notes

A table's features are placed by, in this order:

- a column of ODK geo strings (``boundary`` first): ``lat lon alt acc;lat lon alt acc;…``
  (latitude first) as KoboToolbox, ODK Central and Survey123 export ``geoshape``,
  ``geotrace`` and ``geopoint`` questions: a closed ring is a polygon, an open one a line,
  one point a point;
- a WKT column (``wkt``, ``geometry``, ``geom``, ``the_geom``);
- latitude and longitude columns (``lat``/``latitude``/``y`` and
  ``lon``/``lng``/``long``/``longitude``/``x``, any capitals).

Exports of KoboToolbox, ODK Central and Survey123 are read as they come, with no field map:
group prefixes (``group/field``, ``group-field``, ``group:field``) are taken off, the
questions' and choices' labels of ims's own forms (an export "with labels") are read as
their names and codes, the
platforms' own columns (``_id``, ``_submission_time``, ``start``, ``meta/instanceID``,
``KEY``, …) are left out, and each record's submission id (``_uuid``,
``meta/instanceID``, ``KEY``, ``globalid``) is kept as its ``form_record`` attribute, so
that a record sent again in a later export is recognised (``submissions.stage``).

A cell that cannot be a coordinate is refused naming the feature and the field.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from defusedxml import DefusedXmlException
from pyproj import CRS
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from ims.cells import csv_value_read
from ims.errors import InvalidUpload
from ims.ingest.archive import ACCEPTED
from ims.ingest.archive import MAX_WORKBOOK_COLUMNS as MAX_TABLE_COLUMNS
from ims.ingest.crs import to_wgs84
from ims.ingest.fields import (
    HAZARD_FIELDS,
    HAZARDS,
    OWN_EXPORT_NAMES,
    RELEASE_FIELDS,
    RELEASES,
    FieldType,
    blank,
)
from ims.ingest.forms import CODE_LABELS, LABELS

TABLE_SUFFIXES = (".csv", ".xlsx")
RECORD_ID = "form_record"  # the attribute keeping a form record's submission id
# The frame's attrs key: {feature number: why its geometry could not be read}
GEOMETRY_UNREAD = "geometry_unread"

GEO_COLUMNS = ("boundary",)  # the forms' polygon question (sample_data/forms)
WKT_COLUMNS = ("wkt", "geometry", "geom", "the_geom")
LAT_COLUMNS = ("lat", "latitude", "y")
LON_COLUMNS = ("lon", "lng", "long", "longitude", "x")

# The platforms' own columns, compared in lower case after the group prefix is taken off.
META_COLUMNS = frozenset(
    {
        # KoboToolbox
        "_id",
        "_uuid",
        "_submission_time",
        "_index",
        "_parent_index",
        "_parent_table_name",
        "_validation_status",
        "_status",
        "_submitted_by",
        "__version__",
        "_version_",
        "_notes",
        "_tags",
        "_geolocation",
        "_attachments",
        "_xform_id_string",
        "_submission__id",
        "_submission__uuid",
        "formhub/uuid",
        # XLSForm metadata questions
        "start",
        "end",
        "today",
        "deviceid",
        "simserial",
        "subscriberid",
        "phonenumber",
        "username",
        "email",
        "audit",
        "instanceid",
        "instancename",
        "deprecatedid",
        "uuid",
        # ODK Central (the columns after KEY are left out as a whole, see below)
        "key",
        "submissiondate",
        "submitterid",
        "submittername",
        "attachmentspresent",
        "attachmentsexpected",
        "reviewstate",
        "edits",
        "formversion",
        # Survey123 / ArcGIS
        "objectid",
        "globalid",
        "creationdate",
        "creator",
        "editdate",
        "editor",
    }
)
# Where each platform keeps a record's own id, first found wins (compared in lower case).
RECORD_ID_COLUMNS = ("_uuid", "meta/instanceid", "meta-instanceid", "instanceid", "key", "globalid")

_KNOWN = {
    *HAZARD_FIELDS,
    *RELEASE_FIELDS,
    *GEO_COLUMNS,
    *WKT_COLUMNS,
    *LAT_COLUMNS,
    *LON_COLUMNS,
    *META_COLUMNS,
}


# ims's forms' question labels, as a column of an export "with labels" is named (compared
# without spaces, punctuation or capitals), and the codes their choices' labels stand for.
def _label_key(text: str) -> str:
    """A header as a question's label is compared: without spaces, punctuation or
    capitals, "m²" as a keyboard types it ("m2": "Area stated (m2)" had not been read as
    the stated area, a review of our own change)."""
    return re.sub(r"[^0-9a-z]", "", text.casefold().replace("²", "2"))


_FORM_LABELS = {_label_key(label): name for name, label in LABELS.items()}
LABELS_READ = "columns named by the questions' labels of ims's form were read as the questions"
_CODE_FIELDS = {f.name for f in (*HAZARDS, *RELEASES) if f.type is FieldType.CODE}
_CODES = {label.casefold(): code for code, label in CODE_LABELS.items()}
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_GEO_POINT = re.compile(rf"^\s*{_NUMBER}\s+{_NUMBER}(?:\s+{_NUMBER}){{0,2}}\s*$")
MAX_SHOWN = 5  # bad cells named in one message


@dataclass
class Table:
    """A table read as a layer: its features in EPSG:4326 and what was done on the way."""

    frame: gpd.GeoDataFrame
    source_crs: str
    notes: list[str] = field(default_factory=list)
    crs_known: bool = False  # placed by a form's geo strings, always WGS84
    sheet: str | None = None  # a workbook's sheet read
    # the columns renamed on the way (a question's label, a group prefix taken off), by
    # their new names: the file's own names
    file_names: dict[str, str] = field(default_factory=dict)
    sheet_rows: list[int] | None = None  # each feature's row in the workbook's sheet


def is_table(path: Path) -> bool:
    """Whether ``path`` is a table ims reads as a layer (by its name)."""
    return path.suffix.lower() in TABLE_SUFFIXES


# A workbook's text is kept once however many cells show it (its shared strings): one
# string of a million characters in every row of a 6 KB file had been read, stored and
# shown whole for each (an attack on our own instance, helper-106). A cell holds what
# Excel lets one hold, and the cells together no more than an upload may (200 MB).
EXCEL_CELL_CHARS = 32_767
MAX_TEXT = 200 * 1024 * 1024


def read_table(
    path: Path,
    *,
    crs: CRS | None = None,
    name: str | None = None,
    sheet: str | None = None,
    max_text: int = MAX_TEXT,
) -> Table:
    """The table at ``path`` as a GeoDataFrame in EPSG:4326, placed by its geo columns
    (``sheet``: a workbook's sheet to read, by its name; the first if None; ``max_text``:
    the characters a workbook's cells may hold together)."""
    where = name or path.name
    read: list[str] = []
    chosen: str | None = None
    sheet_rows: list[int] | None = None
    if path.suffix.lower() == ".xlsx":
        raw, chosen = _read_xlsx(path, where, sheet, read, max_text)
        raw = raw.dropna(how="all")
        sheet_rows = [int(i) for i in raw.index]
    else:
        raw, lines = _read_csv(path, where)
        raw = _unguarded(raw.dropna(how="all"))
        titled = _titled_csv(raw, read, lines)
        two_rows = _two_row_csv_header(raw if titled is None else titled, read)
        below = two_rows if two_rows is not None else titled
        if below is not None:
            raw = below
        # a row of separators alone (",,,": a spreadsheet's empty row within the cells it
        # saves) is a blank row, as in the workbook: it had been a feature missing every
        # value (helper-119)
        raw = raw[~_empty_rows(raw)]
        # each record's row where a spreadsheet opens the CSV: the findings' "row N" (blank
        # lines are rows there, and pandas passes over them)
        sheet_rows = [lines[int(i)] if lines else int(i) + 2 for i in raw.index]
        raw = _unnamed_kept(raw, read)
    if raw.empty:
        raise InvalidUpload(f"{where} has no rows")
    raw = _totals_left_out(raw.reset_index(drop=True), read)
    raw = _placed_left_out(raw, read)
    if sheet_rows is not None:
        sheet_rows = sheet_rows[: len(raw)]
        read.extend(_rows_said(sheet_rows))
    _refuse(_nul_cells(raw), where)
    frame, notes, file_names = form_export(raw)
    notes[:0] = read
    geometry, source, unread, how = _geometry(frame, where, crs)
    used = [c for c in source if c in frame.columns]
    frame = frame.drop(columns=used)
    if how == "wkt" and str(source[0]).lower() not in WKT_COLUMNS:
        notes.append(f"the column {source[0]!r} was read as the polygons: its cells are WKT")
    # A form's geo strings are latitude and longitude on WGS84 whatever is said: the CRS is
    # the file's own, and no one is asked for it (the upload page had asked for an ODK
    # export's: a walk-through as a field team leader).
    geo_strings = how == "geo"
    stated = CRS.from_epsg(4326) if geo_strings else crs or CRS.from_epsg(4326)
    result = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs=stated))
    if stated.to_epsg() != 4326:
        result = to_wgs84(
            result, where, f"EPSG:{stated.to_epsg()}" if stated.to_epsg() else stated.name
        )
    # QGIS writes "POLYGON Z (…)" for a 3-D layer saved as CSV: the database stores 2-D
    flat = drop_z_m(result, False, notes)
    if flat is not None:
        result = flat
    label = f"EPSG:{stated.to_epsg()}" if stated.to_epsg() else str(stated.name)
    result.attrs[GEOMETRY_UNREAD] = {i + 1: said for i, said in unread.items()}
    return Table(
        result,
        label,
        notes,
        crs_known=geo_strings,
        sheet=chosen,
        file_names=file_names,
        sheet_rows=sheet_rows,
    )


# A sheet's last rows that sum it up: "Total", "Grand total", "Sum" (any capitals, a colon
_TOTAL = re.compile(r"^(?:grand\s+)?(?:total|totals|sum)\s*:?$", re.IGNORECASE)


# a count a totals row gives beside its sums: "6 hazards", "12 releases"
_COUNT = re.compile(r"^\d[\d,.]*\s+[^\W\d_]+(?:\s+[^\W\d_]+)?$")


def _totals_left_out(raw: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """The table without its trailing rows of totals, said: a hand-kept sheet's "Total" row
    had become a feature with three errors (a legacy migration's review, helper-99). A row
    is one when a cell of it says so and no other holds text but counts ("6 hazards":
    numbers are its sums; a count beside them had kept a totals row as a feature with three
    errors, helper-105); at most three, from the end."""
    end = len(raw)
    while end > 1 and len(raw) - end < 3:
        cells = [v for v in raw.iloc[end - 1] if not blank(v)]
        text = [
            v
            for v in cells
            if isinstance(v, str) and not _is_number(v) and not _COUNT.match(v.strip())
        ]
        if len(text) != 1 or not _TOTAL.match(str(text[0]).strip()):
            break
        end -= 1
    if end == len(raw):
        return raw
    left = len(raw) - end
    notes.append(
        f"the last {'row' if left == 1 else f'{left} rows'} "
        f"({', '.join(repr(str(v).strip()) for v in _labels(raw.iloc[end:]))}) "
        f"{'sums' if left == 1 else 'sum'} up the sheet and {'is' if left == 1 else 'are'} "
        "left out: not features"
    )
    return raw.iloc[:end]


_PLACED = "columns with values and no header were kept by their place: "


def _placed_left_out(raw: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """The columns kept by their place (``_PLACED``) whose only values were in a totals row
    left out: left out too, and no longer said to be kept (a legacy register's sums had a
    column of their own, said kept and then empty in every feature: helper-105)."""
    said = next((i for i, note in enumerate(notes) if note.startswith(_PLACED)), None)
    if said is None:
        return raw
    placed = notes[said][len(_PLACED) :].split(", ")
    empty = [c for c in placed if c in raw.columns and raw[c].map(blank).all()]
    if not empty:
        return raw
    kept = [c for c in placed if c not in empty]
    if kept:
        notes[said] = _PLACED + ", ".join(kept)
    else:
        del notes[said]
    return raw.drop(columns=empty)


def _rows_said(rows: list[int]) -> list[str]:
    """Where a sheet's features are, where their numbers are not the plain count below a
    header in row 1: the findings say "feature 12", and a data manager fixing the workbook
    counted rows (a legacy migration's review, helper-99). ``rows``: each feature's row."""
    if not rows or rows == list(range(2, 2 + len(rows))):
        return []
    runs: list[tuple[int, int]] = []  # (first feature, first row) of each stretch
    for n, row in enumerate(rows, start=1):
        if not runs or row != rows[n - 2] + 1:
            runs.append((n, row))
    if len(runs) == 1:
        return [
            f"feature numbers count the records below the header: feature 1 is row {rows[0]} "
            f"of the sheet, feature N row N + {rows[0] - 1}"
        ]
    stretches = []
    for i, (first, row) in enumerate(runs[:MAX_SHOWN]):
        last = runs[i + 1][0] - 1 if i + 1 < len(runs) else len(rows)
        stretches.append(
            f"feature {first} is row {row}"
            if first == last
            else f"features {first}–{last} are rows {row}–{row + last - first}"
        )
    more = f" and {len(runs) - MAX_SHOWN} more stretches" if len(runs) > MAX_SHOWN else ""
    return [
        "the sheet's blank rows are left out, so feature numbers are not its rows: "
        + "; ".join(stretches)
        + more
    ]


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "").strip())
    except ValueError:
        return False
    return True


def _labels(rows: pd.DataFrame) -> list[Any]:
    """Each row's word ("Total")."""
    return [
        next(v for v in row if isinstance(v, str) and _TOTAL.match(v.strip()))
        for _, row in rows.iterrows()
    ]


def _unnamed_kept(raw: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """A CSV's columns without a header (pandas names them "Unnamed: 4"): left out if
    empty, else kept as "column 5", by their place, and said. They had all been dropped,
    values and all, without a word (helper-90). A workbook's are named as it is read."""
    renamed: dict[Any, str] = {}
    dropped: list[Any] = []
    taken = {str(c).casefold() for c in raw.columns}
    for i, column in enumerate(raw.columns):
        if not str(column).startswith("Unnamed: "):
            continue
        if raw[column].map(blank).all():
            dropped.append(column)
            continue
        name, count = f"column {i + 1}", 1
        while name.casefold() in taken:
            count += 1
            name = f"column {i + 1} ({count})"
        taken.add(name.casefold())
        renamed[column] = name
    if renamed:
        notes.append(_PLACED + ", ".join(renamed.values()))
    return raw.drop(columns=dropped).rename(columns=renamed)


def form_export(raw: pd.DataFrame) -> tuple[pd.DataFrame, list[str], dict[str, str]]:
    """A form platform's export's columns as ims reads them, with what was done: group
    prefixes taken off, the questions' and choices' labels of ims's forms read as their
    names and codes, the platforms' own columns left out, and each record's submission id
    kept as ``form_record`` (``raw`` holds the attributes only, no geometry column); and the
    file's own names of the columns renamed, by their new names."""
    notes: list[str] = []
    renamed, dropped, record_ids = _columns(raw)
    frame = raw.drop(columns=dropped).rename(columns=renamed)
    kept = [c for c in frame.columns if not frame[c].map(blank).all() or c in _KNOWN]
    frame = frame[kept]
    # the register's own names ("contamination") read back as theirs without a word: ims's
    # own CSV sent back had been told its columns were a form's labels (helper-98)
    own = {name for names in OWN_EXPORT_NAMES.values() for name in names.values()}
    labels = sorted(
        c for c, target in renamed.items() if target != _short(c) and str(c).casefold() not in own
    )
    if labels:
        notes.append(f"{LABELS_READ}: {', '.join(f'{c} as {renamed[c]}' for c in labels)}")
    for column in [c for c in frame.columns if str(c).casefold() in _CODE_FIELDS]:
        # "CHA: confirmed hazardous area", as an export with labels writes the choice
        frame[column] = [
            _CODES.get(v.strip().casefold(), v) if isinstance(v, str) else v for v in frame[column]
        ]
    if record_ids is not None:
        frame[RECORD_ID] = record_ids
    if dropped:
        notes.append(
            f"the form platform's own columns were left out: {', '.join(map(str, dropped))}"
        )
    return frame, notes, {new: str(old) for old, new in renamed.items()}


def by_label(file_names: dict[str, str]) -> dict[str, str]:
    """Of the columns renamed as a file was read (``file_names``: the file's own names by
    the new ones), those named by a question's label of ims's form ("Contamination" read as
    ``contam``), not only taken out of a group."""
    return {new: old for new, old in file_names.items() if new.casefold() != _short(old).casefold()}


# Columns only a form platform's export has (lower case): a map layer with one of them is
# read as an export (form_export), as a table always is. A GIS layer's "start" or
# "objectid" alone is not a sign: those stay its own columns.
_EXPORT_SIGNS = frozenset(
    {"_uuid", "_submission_time", "formhub/uuid", "meta/instanceid", "meta-instanceid"}
)


def looks_like_form_export(columns: list[str]) -> bool:
    """Whether a map layer (a GeoJSON, a GeoPackage… not a table) is a form platform's
    export: KoboToolbox's own columns, an ODK instance id, ODK Central's KEY beside its
    SubmissionDate, or a template field inside a question group (``hazard/hazard_id``)."""
    lower = {str(c).lower() for c in columns}
    if lower & _EXPORT_SIGNS or {"key", "submissiondate"} <= lower:
        return True
    return any("/" in c and _short(c).lower() in {*HAZARD_FIELDS, *RELEASE_FIELDS} for c in lower)


def drop_z_m(frame: Any, has_m: bool, notes: list[str]) -> Any | None:
    """The frame in 2-D with a note, or None if it had no Z or M values (``has_m``: GDAL
    said the layer has M values; WKT's are found in its geometries)."""
    geometries = frame.geometry.to_numpy()
    has_z = bool(shapely.has_z(geometries).any())
    has_m = has_m or bool(shapely.has_m(geometries).any())
    if not (has_z or has_m):
        return None
    frame = frame.set_geometry(
        gpd.GeoSeries(
            shapely.force_2d(geometries),
            index=frame.index,
            crs=frame.crs,
            name=frame.geometry.name,
        ),
    )
    what = {
        (True, False): "Z coordinates were dropped",
        (False, True): "M values were dropped",
        (True, True): "Z coordinates and M values were dropped",
    }[(has_z, has_m)]
    notes.append(f"{what}: ims keeps 2-D polygons (no Z or M)")
    return frame


# --------------------------------------------------------------------------- reading cells


def _titles_padded(text: str, delimiter: str) -> str:
    """A CSV whose title lines above the header hold no separator ("MAG hazard register
    2026" alone) with each padded to the header's width, as a spreadsheet saves a title
    (``_titled_csv`` then reads it so): the lines after had been refused for holding more
    values than the title (helper-119)."""
    lines = text.split("\n", _TITLE_ROWS + 1)
    at = next((i for i, line in enumerate(lines[:_TITLE_ROWS]) if delimiter in line), None)
    titles = [i for i in range(at or 0) if lines[i].strip()]
    if at is None or not titles or lines[titles[0]].strip().lower() in _KNOWN:
        return text
    header = next(csv.reader([lines[at].rstrip("\r")], delimiter=delimiter), [])
    if len(header) < 2:
        return text
    pad = delimiter * (len(header) - 1)
    for i in titles:
        end = "\r" if lines[i].endswith("\r") else ""
        lines[i] = lines[i].removesuffix("\r") + pad + end
    return "\n".join(lines)


def _empty_rows(table: pd.DataFrame) -> Any:
    """Which of a CSV's rows (read as text) hold nothing but spaces."""
    if table.empty or not len(table.columns):
        return np.zeros(len(table), dtype=bool)
    text = table.astype(str).apply(lambda column: column.str.strip() == "")
    return text.all(axis=1).to_numpy()


def _read_csv(path: Path, where: str) -> tuple[pd.DataFrame, list[int] | None]:
    """The CSV at ``path`` as a table of text, and the row a spreadsheet shows each of its
    records in (by the table's index; None where the csv module cannot read the file)."""
    data = path.read_bytes()
    # Excel's "Unicode text" is UTF-16 (tab-separated) with a byte-order mark: read as
    # cp1252 its header came out as letters between NULs, and no column was recognised.
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    # without its mark, UTF-16 shows as a NUL beside each letter of the header: read as
    # cp1252 it had been one column, and the rows' values blamed on commas
    head = data[:200]
    unmarked = (
        None
        if utf16 or len(head) < 4
        else "utf-16-le"
        if head[1::2].count(0) > len(head) // 4 and head[0::2].count(0) == 0
        else "utf-16-be"
        if head[0::2].count(0) > len(head) // 4 and head[1::2].count(0) == 0
        else None
    )
    encodings = ("utf-16",) if utf16 else (unmarked,) if unmarked else ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # UTF-16 with a broken pair of bytes (cp1252 decodes nearly anything)
        raise InvalidUpload(f"{where}: its text cannot be decoded; save it as UTF-8")
    # Comma or semicolon (Excel in much of the world writes semicolons), by the header row:
    # the first line that holds one, past a title alone on its line (a semicolon CSV with a
    # title had been read by the title's no separator as commas, helper-119)
    lines = text.split("\n", _TITLE_ROWS + 1)[: _TITLE_ROWS + 1]
    first = next((line for line in lines if any(d in line for d in ",;\t")), lines[0])
    delimiter = max((",", ";", "\t"), key=first.count)
    if first.count(delimiter) >= MAX_TABLE_COLUMNS:  # 500,000 columns cost 88 s and 1.7 GB
        raise InvalidUpload(
            f"{where} has {first.count(delimiter) + 1:,} columns; ims reads at most "
            f"{MAX_TABLE_COLUMNS:,}"
        )
    text = _titles_padded(text, delimiter)
    width, rows = _refuse_long_rows(text, delimiter, where)
    try:
        table = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            na_values=[],
            quoting=csv.QUOTE_MINIMAL,
            # pandas takes a first row longer than the header as having an index column:
            # every value moved one column left, without a word
            index_col=False,
            # the header's columns: the empty cells after a row's last one, which
            # _refuse_long_rows let by, had refused the file in pandas' words ("Error
            # tokenizing data") when a later row than the first held them
            usecols=None if width is None else range(width),
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise InvalidUpload(f"{where} cannot be read as a table: {exc}") from None
    # the header's row is not the table's: its records are rows[1:]
    return table, rows[1:] if rows is not None and len(rows) == len(table) + 1 else None


def _refuse_long_rows(text: str, delimiter: str, where: str) -> tuple[int | None, list[int] | None]:
    """Refuse a table whose rows hold values beyond its header's columns, naming them;
    else the header's count of columns and the row each record that is not blank takes in
    a spreadsheet, the header's first (None for both if the csv module cannot read the
    file). A record is a row however many lines its quoted values span; a blank line is a
    row of its own.

    The usual cause is a comma inside a value not put in double quotes: the rest of the row
    moved one column on. Empty cells after the last column (a spreadsheet's trailing
    separators) are let by: they hold nothing to lose.
    """
    long: list[str] = []
    count = 0
    with _FIELD_LIMIT:  # the csv module's limit is the process's: one reader at a time
        limit = csv.field_size_limit()
        # a polygon's WKT is often longer than the csv module's 131,072 characters
        csv.field_size_limit(max(limit, len(text)))
        try:
            # newline="": the reader finds the ends of lines itself, a lone CR (an old Mac's
            # CSV) among them; it had stopped the check, and pandas read the file unchecked
            rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            width, number, ended = None, 0, 0
            sheet: list[int] = []  # the rows of the records that are not blank
            for record, row in enumerate(rows, start=1):
                begun, ended = ended + 1, rows.line_num  # a record may span lines
                if _blank_line(row):  # pandas passes over them, and so numbers features
                    continue
                sheet.append(record)
                if width is None:
                    width = len(row)
                    continue
                number += 1
                if len(row) > width and any(cell.strip() for cell in row[width:]):
                    count += 1
                    if len(long) < 5:
                        long.append(f"feature {number} (line {begun}) has {len(row)} values")
        except csv.Error:
            return None, None  # pandas reads the file and says what is wrong with it
        finally:
            csv.field_size_limit(limit)
    if count:
        more = f", and {count - len(long)} more" if count > len(long) else ""
        separator = {",": "comma", ";": "semicolon", "\t": "tab"}[delimiter]
        raise InvalidUpload(
            f"{where}: the header names {width} columns, but {'; '.join(long)}{more}. "
            f"A value holding a {separator} must be put in double quotes, or the rest of its "
            "row moves one column on; nothing was read"
        )
    return width or None, sheet


_FIELD_LIMIT = threading.Lock()


def _blank_line(row: list[str]) -> bool:
    """A line pandas passes over: empty, or spaces alone (a quoted empty value, '""', is
    a record to pandas: counted blank, every row after it had been said one too few,
    helper-119)."""
    return not row or (len(row) == 1 and row[0] != "" and not row[0].strip())


def _read_xlsx(
    path: Path, where: str, sheet: str | None, notes: list[str], max_text: int = MAX_TEXT
) -> tuple[pd.DataFrame, str]:
    """A workbook's sheet as a table, and the sheet's name: the one named, else the first
    visible one (where KoboToolbox and ODK put the main records; repeats follow), each
    merged range read as its first cell's value in every cell it covers, as the sheet
    shows it (helper-90: a type merged over three rows had left two of them blank,
    recorded as the default CMR; a header merged over two columns had dropped the second
    column's Lao names). The workbook is opened once: openpyxl reads every sheet's size
    as it opens one, the whole sheet where it does not say (helper-92)."""
    try:
        with pd.ExcelFile(path, engine="openpyxl") as workbook:
            book: Any = workbook.book
            sheets = list(book.worksheets)  # a chart sheet holds no cells
            chosen = _chosen_sheet(where, sheet, sheets)
            # openpyxl has no public way to a sheet's part (the workbook is held to the
            # limits of a zip before it is read: check_workbook)
            xml = book._archive.read(book[chosen]._worksheet_path)
            grid = workbook.parse(chosen, header=None, dtype=object)
            centred = _centred_across(book[chosen])
    except InvalidUpload:
        raise
    except Exception as exc:  # openpyxl reports a damaged workbook as several types
        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, DefusedXmlException):
            cause = cause.__cause__ or cause.__context__
        if cause is not None:  # openpyxl reads through defusedxml: nothing was expanded
            raise InvalidUpload(
                f"{where} declares its own XML entities or document type, which Excel never "
                "writes: save the workbook again from a spreadsheet program"
            ) from None
        # openpyxl's message names the file where the server keeps it: name it as sent
        said = " ".join(str(exc).replace(str(path), where).split())
        raise InvalidUpload(f"{where} cannot be read as an Excel workbook: {said}") from None
    others = [ws.title for ws in sheets if ws.title != chosen and ws.sheet_state == "visible"]
    if others:
        notes.append(
            f"the workbook's sheet {chosen!r} was read, not its other sheets "
            f"({', '.join(repr(n) for n in others)}): to upload another, choose it as the "
            "layer (--layer NAME)"
        )
    _text_held(grid, where, max_text)
    return _table_of_grid(grid, _merged_ranges(xml), notes, centred), chosen


def _centred_across(sheet: Any) -> list[tuple[int, int, int, int]]:
    """The headings of a sheet's first rows centred across the cells after them (Excel's
    "Center Across Selection", which looks merged and is not), as merged ranges: the
    heading's cell and the empty ones after it, formatted alike. "Items found" centred over
    "BLU-26" and "M42" had not been read as the heading of a header of two rows, where
    merged it was, and the CSV saved from it was (helper-118)."""
    found: list[tuple[int, int, int, int]] = []
    for r, row in enumerate(sheet.iter_rows(max_row=_TITLE_ROWS + 2)):
        start: int | None = None
        for c, cell in enumerate((*row, None)):
            across = cell is not None and _across(cell)
            empty = cell is None or blank(cell.value)
            if start is not None and not (across and empty):
                if c - 1 > start:
                    found.append((r, start, r, c - 1))
                start = None
            if across and not empty:
                start = c
    return found


def _across(cell: Any) -> bool:
    """Whether a cell is centred across the selection (read-only cells of no style say no)."""
    try:
        return bool(cell.alignment.horizontal == "centerContinuous")
    except AttributeError:
        return False


def _text_held(grid: pd.DataFrame, where: str, max_text: int) -> None:
    """InvalidUpload where a sheet's cells hold more text than a workbook can: a cell over
    Excel's own limit, or all of them over ``max_text`` characters."""
    total = 0
    for number, column in enumerate(grid.columns):
        lengths = grid[column].map(lambda v: len(v) if isinstance(v, str) else 0)
        longest = int(lengths.max()) if len(lengths) else 0
        if longest > EXCEL_CELL_CHARS:
            row = int(lengths.to_numpy().argmax())
            raise InvalidUpload(
                f"{where}: cell {_column_letters(number + 1)}{int(grid.index[row]) + 1} holds "
                f"{longest:,} characters, more than a cell of Excel can ({EXCEL_CELL_CHARS:,}): "
                "the workbook was not saved by a spreadsheet program"
            )
        total += int(lengths.sum())
        if total > max_text:
            raise InvalidUpload(
                f"{where}: its cells hold more than {max_text / 1024**2:,.0f} MB of text, more "
                "than an upload may (a workbook shows one text in many cells, and each is "
                "read): save it as CSV or a GeoPackage, or upload it in parts"
            )


def _chosen_sheet(where: str, sheet: str | None, sheets: list[Any]) -> str:
    """The sheet to read: the one named (in any capitals), else the first visible one."""
    names = [str(ws.title) for ws in sheets]
    visible = [str(ws.title) for ws in sheets if ws.sheet_state == "visible"] or names
    if not names:
        raise InvalidUpload(f"{where} has no sheet of cells (only charts)")
    if sheet is None:
        return visible[0]
    if sheet in names:
        return sheet
    matches = [n for n in names if n.strip().casefold() == sheet.strip().casefold()]
    if len(matches) != 1:
        raise InvalidUpload(
            f"{where} has no sheet named {sheet!r}; its sheets are "
            f"{', '.join(repr(n) for n in visible)}",
            field="layer",
            layers=visible,
        )
    return matches[0]


def sheet_names(path: Path) -> list[str]:
    """A workbook's visible sheets of cells, by name ([] if it cannot be read)."""
    try:
        with pd.ExcelFile(path, engine="openpyxl") as workbook:
            book: Any = workbook.book
            return [ws.title for ws in book.worksheets if ws.sheet_state == "visible"]
    except Exception:  # the reading itself says what is wrong with the workbook
        return []


_MERGED: Final = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]{1,3})(\d+):([A-Z]{1,3})(\d+)"')


# Merged ranges a sheet may have: a hand-kept register has a few hundred. Two million
# ranges of one cell each (7.7 MB compressed) had held an upload's worker for 47 s and
# 1.5 GB, each range a tuple, a set entry and a fill (an attack on our own instance).
MAX_MERGED_RANGES = 100_000


def _merged_ranges(xml: bytes) -> list[tuple[int, int, int, int]]:
    """A sheet's merged ranges as (first row, first column, last row, last column), from
    0. openpyxl gives them only when it reads the whole sheet into memory; they are found
    in the sheet's XML instead, where they follow its cells."""
    ranges: list[tuple[int, int, int, int]] = []
    for found in _MERGED.finditer(xml):
        if len(ranges) == MAX_MERGED_RANGES:
            raise InvalidUpload(
                f"the sheet has more than {MAX_MERGED_RANGES:,} merged ranges, more than ims "
                "reads: unmerge the cells (or save the sheet as CSV) and upload it again"
            )
        c1, r1, c2, r2 = found.groups()
        ranges.append(
            (
                int(r1) - 1,
                _column_number(c1.decode()) - 1,
                int(r2) - 1,
                _column_number(c2.decode()) - 1,
            )
        )
    return ranges


def _column_number(letters: str) -> int:
    """A sheet's column letters as its number: A 1, Z 26, AA 27."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _column_letters(number: int) -> str:
    """A sheet's column number (from 1) as its letters."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _filled(cells: np.ndarray, merges: list[tuple[int, int, int, int]]) -> np.ndarray:
    """``cells`` with each merged range holding its first cell's value, each range filled
    once and only within the cells read (not past them).

    A spreadsheet's merged ranges never overlap, so together they cover at most the
    sheet. Filled one by one, ranges repeated over the whole sheet had cost the ranges
    times the sheet: a 75 KB workbook would have held an upload's worker for 25 minutes
    (an attack on our own instance, helper-106); ranges that overlap are refused before
    any is filled."""
    ranges = _within(merges, *cells.shape)
    covered = sum((b - t + 1) * (r - left + 1) for t, left, b, r in ranges)
    if covered > cells.size:
        raise InvalidUpload(
            f"the sheet's {len(ranges):,} merged ranges overlap one another (they cover "
            f"{covered:,} cells of a sheet of {cells.size:,}), which no spreadsheet "
            "program saves: open the workbook, unmerge the cells and save it again"
        )
    for top, left, bottom, right in ranges:
        _fill(cells, top, left, bottom, right)
    return cells


def _within(
    merges: Sequence[tuple[int, int, int, int]], rows: int, columns: int
) -> list[tuple[int, int, int, int]]:
    """The merged ranges cut to the cells read (``rows`` × ``columns``), each once, in
    order; those wholly past them left out."""
    return sorted(
        {
            (top, left, min(bottom, rows - 1), min(right, columns - 1))
            for top, left, bottom, right in merges
            if top < rows and left < columns and bottom >= top and right >= left
        }
    )


def _fill(cells: np.ndarray, top: int, left: int, bottom: int, right: int) -> None:
    """One merged range given its first cell's value in every cell it covers."""
    cells[top : bottom + 1, left : right + 1] = cells[top, left]


_TITLE_ROWS = 10  # rows below a lone title in which a header is looked for


def _table_of_grid(
    grid: pd.DataFrame,
    merges: list[tuple[int, int, int, int]],
    notes: list[str],
    centred: Sequence[tuple[int, int, int, int]] = (),
) -> pd.DataFrame:
    """A sheet's cells (``grid``, from A1) as a table: merged ranges filled; the header the
    first row that names more than one thing (a title alone above it, "Hazard register
    2015", is left out and said); every column named, uniquely. ``centred``: headings
    centred across the cells after them (``_centred_across``), read as merged in the
    header's first row alone: a record's value so formatted had filled the empty cells
    beside it (helper-119)."""
    if merges:
        # cut to the cells read once, for the header's look too: 100,000 ranges each
        # reaching column 18,000 had been walked column by column (65 s from 255 kB,
        # helper-130); once filled (overlapping ones refused), they cover the sheet at most
        merges = _within(merges, *grid.shape)
        grid = pd.DataFrame(_filled(grid.to_numpy(dtype=object), merges))
    head = next((i for i in range(len(grid)) if not grid.iloc[i].map(blank).all()), None)
    if head is None:
        return pd.DataFrame()
    if len(_named(grid.iloc[head])) == 1:  # a title (merged across or not): the header below?
        below = range(head + 1, min(len(grid), head + 1 + _TITLE_ROWS))
        header_row = next((i for i in below if len(_named(grid.iloc[i])) > 1), None)
        if header_row is not None:
            titles = [t for i in range(head, header_row) for t in _named(grid.iloc[i])]
            notes.append(
                f"row{'s' if header_row - head > 1 else ''} {head + 1}"
                f"{f'–{header_row}' if header_row - head > 1 else ''} above the header "
                f"(row {header_row + 1}) read as a title and left out: "
                + ", ".join(repr(t) for t in dict.fromkeys(titles))
            )
            head = header_row
    across = [
        (top, left, bottom, min(right, grid.shape[1] - 1))
        for top, left, bottom, right in centred
        if top == head and left < grid.shape[1]
    ]
    if across:
        cells = grid.to_numpy(dtype=object)
        for top, left, _, right in across:
            cells[top, left : right + 1] = cells[top, left]
        grid = pd.DataFrame(cells)
        merges = sorted({*merges, *across})
    given = ["" if blank(v) else _header_text(v) for v in grid.iloc[head]]
    headings = _two_row_header(grid, merges, head)
    if headings is not None:
        given, grouped = headings
        notes.append(
            f"rows {head + 1}–{head + 2} read as the header, row {head + 1} heading the "
            f"columns below it: {', '.join(repr(n) for n in grouped[:MAX_SHOWN])}"
            + (f" and {len(grouped) - MAX_SHOWN} more" if len(grouped) > MAX_SHOWN else "")
        )
        head += 1
    filled = [  # ranges among the records (a header's are said by the names below)
        f"{_column_letters(left + 1)}{top + 1}:{_column_letters(right + 1)}{bottom + 1}"
        for top, left, bottom, right in merges
        if bottom > head and (bottom > top or right > left)
    ]
    table = grid.iloc[head + 1 :]
    table.index = pd.RangeIndex(head + 2, head + 2 + len(table))  # the sheet's row numbers
    keep = [i for i, name in enumerate(given) if name or not table.iloc[:, i].map(blank).all()]
    table = table.iloc[:, keep]
    names, placed, unnamed = _unique_names([given[i] for i in keep], keep)
    table.columns = names
    if filled:
        notes.append(
            "merged cells were read as their value in each row and column they cover: "
            + ", ".join(filled[:MAX_SHOWN])
            + (f" and {len(filled) - MAX_SHOWN} more" if len(filled) > MAX_SHOWN else "")
        )
    if placed:
        notes.append(
            "columns under a header another column has (a merged header cell) were named by "
            f"their place: {', '.join(placed)}"
        )
    if unnamed:
        notes.append(_PLACED + ", ".join(unnamed))
    return table


def _unguarded(raw: pd.DataFrame) -> pd.DataFrame:
    """A CSV's names and cells without the apostrophes ims's own CSV puts before text that
    would start a formula (``ims.cells.csv_value``): the register's CSV sent back had
    kept them, and a hazard left as it was had been a change ("'+856 20 …": helper-116)."""
    raw = raw.rename(columns=lambda c: csv_value_read(c) if isinstance(c, str) else c)
    for column in raw.columns:
        cells = raw[column]
        if cells.map(lambda v: isinstance(v, str) and "'" in v).any():
            raw[column] = cells.map(lambda v: csv_value_read(v) if isinstance(v, str) else v)
    return raw


def _titled_csv(
    raw: pd.DataFrame, notes: list[str], lines: Sequence[int] | None = None
) -> pd.DataFrame | None:
    """A CSV saved from a sheet with a title above its header ("Hazard register 2015" in
    the first cell, the rest of the line empty): the records below the header, named by
    it, and the title said; None where the first line is the header. A workbook's title
    was left out so, but the CSV saved from it had been refused for having no geometry,
    its columns "Hazard register 2015", "column 2", … (helper-116)."""
    columns = [str(c) for c in raw.columns]
    named = [c for c in columns if not c.startswith("Unnamed: ")]
    # (a column ims reads is a header's, not a title: "wkt" beside columns of no name)
    if len(named) != 1 or len(columns) < 2 or named[0].strip().lower() in _KNOWN:
        return None
    rows = raw.head(_TITLE_ROWS).to_numpy(dtype=object)
    header = next((i for i, row in enumerate(rows) if sum(not blank(v) for v in row) > 1), None)
    if header is None:
        return None
    titles = [named[0], *(str(v).strip() for row in rows[:header] for v in row if not blank(v))]
    # the CSV's line of the header (its first is the title; ``lines``: each record's, past
    # blank lines, which pandas passes over: helper-119 had been told line 2 of line 3)
    line = lines[header] if lines and header < len(lines) else header + 2
    notes.append(
        f"line{'s' if line > 2 else ''} 1{f'–{line - 1}' if line > 2 else ''} above the "
        f"header (line {line}) read as a title and left out: "
        + ", ".join(repr(t) for t in dict.fromkeys(titles))
    )
    given = [f"Unnamed: {k}" if blank(v) else str(v).strip() for k, v in enumerate(rows[header])]
    names, placed, _ = _unique_names(given, list(range(len(given))))
    if placed:
        notes.append(
            "columns under a header another column has were named by their place: "
            + ", ".join(placed)
        )
    table = raw.iloc[header + 1 :].copy()
    table.columns = names
    return table


_MANGLED = re.compile(r"(.+)\.(\d+)")


def _two_row_csv_header(raw: pd.DataFrame, notes: list[str]) -> pd.DataFrame | None:
    """A CSV's header of two rows, as a workbook's (``_two_row_header``) is saved as CSV:
    a heading, then empty header cells for the other columns under it, each named in the
    row below. The records below it, their columns named "Items found BLU-26", …; None
    if the header is one row. The row below is names only if it holds a different text
    in each column under a heading and nothing in any other (at least one)."""
    if raw.empty:
        return None
    columns = [str(c) for c in raw.columns]
    groups: list[list[int]] = []
    for i, name in enumerate(columns):
        if name.startswith("Unnamed: "):
            if groups and groups[-1][-1] == i - 1:
                groups[-1].append(i)
            continue
        groups.append([i])
    groups = [g for g in groups if len(g) > 1]  # a heading and the empty cells after it
    under = {i for g in groups for i in g}
    others = [i for i in range(len(columns)) if i not in under]
    if not groups or not others:
        return None
    second = raw.iloc[0].tolist()
    if not all(blank(second[i]) for i in others):
        return None
    for group in groups:
        names = [second[i] for i in group]
        if not all(isinstance(v, str) and v.strip() for v in names):
            return None
        if len({v.strip().casefold() for v in names}) != len(names):
            return None
    given = list(columns)
    for group in groups:
        heading = columns[group[0]].strip()
        # pandas numbers a header it has met already ("Items.1"): the heading is "Items"
        mangled = _MANGLED.fullmatch(heading)
        if mangled and mangled.group(1) in columns[: group[0]]:
            heading = mangled.group(1).strip()
        for i in group:
            given[i] = _under_heading(heading, str(second[i]).strip())
    # names made so may be another column's ("Loc" over "a" beside a column "Loc a"): a
    # column had been two, and the upload ended in a traceback (helper-117)
    given, placed, _ = _unique_names(given, list(range(len(given))))
    grouped = [given[i] for group in groups for i in group]
    if placed:
        notes.append(
            "columns under a header another column has were named by their place: "
            + ", ".join(placed)
        )
    line = int(raw.index[0]) + 1  # the heading's line (the CSV's first, or below a title)
    notes.append(
        f"rows {line}–{line + 1} read as the header, row {line} heading the columns below "
        f"it: {', '.join(repr(n) for n in grouped[:MAX_SHOWN])}"
        + (f" and {len(grouped) - MAX_SHOWN} more" if len(grouped) > MAX_SHOWN else "")
    )
    table = raw.iloc[1:].copy()
    table.columns = given
    return table


def _two_row_header(
    grid: pd.DataFrame, merges: list[tuple[int, int, int, int]], head: int
) -> tuple[list[str], list[str]] | None:
    """A header of two rows, where row ``head`` merges a heading across several columns
    ("Location" over "Province" and "District", "Items found" over "AP", "AT", "UXO") and
    the row below names each: the columns' names ("Location Province", …), and those
    made so. None otherwise. Read as one row, every record's first row had been the names
    below the heading, and each of those columns the heading numbered ("Location (2)").

    The row below is names only if, under every heading, it holds a different text in
    each column, and in every other column nothing, or the cell above merged down into
    it (at least one such column): a heading merged over a record's two columns of one
    thing, its English and Lao names say, is over records at once (helper-90), and
    those records' other columns hold values."""
    if head + 1 >= len(grid):
        return None
    groups = [(left, right) for top, left, bottom, right in merges if top == bottom == head]
    groups = [(left, right) for left, right in groups if right > left]
    if not groups:
        return None
    under = {c for left, right in groups for c in range(left, right + 1)}
    down = {  # cells merged from the heading's row into the row below
        c
        for top, left, bottom, right in merges
        if top <= head < head + 1 <= bottom
        for c in range(left, right + 1)
    }
    top_row, second = grid.iloc[head].tolist(), grid.iloc[head + 1].tolist()
    others = [c for c in range(len(second)) if c not in under]
    if not any(not blank(top_row[c]) for c in others):
        return None
    for c in others:
        if not blank(second[c]) and c not in down:
            return None
    for left, right in groups:
        names = [second[c] for c in range(left, right + 1)]
        # names, or years (2024, 2025 under "Cleared"): no other number, date or blank
        if not all(_sub_name(v) for v in names):
            return None
        if len({_header_text(v).casefold() for v in names}) != len(names):
            return None
    given: list[str] = []
    grouped: list[str] = []
    for c, value in enumerate(top_row):
        heading = "" if blank(value) else _header_text(value)
        if c in under:
            given.append(_under_heading(heading, _header_text(second[c])))
            grouped.append(given[-1])
        else:
            given.append(heading)
    return given, grouped


def _sub_name(value: Any) -> bool:
    """Whether a cell below a heading may be a column's name: a text, or a year."""
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return float(value).is_integer() and 1900 <= value <= 2100


def _under_heading(heading: str, name: str) -> str:
    """A column's name under a heading: both ("Items found BLU-26"), or a name ims reads
    alone ("recorded" under "Dates": its own, which the template's field is; as "Dates
    recorded" it had been an own column, and every record's date missing: helper-116)."""
    return name if name.lower() in _KNOWN else f"{heading} {name}".strip()


def _named(row: pd.Series) -> list[str]:
    """The different things a row names, in order."""
    return list(dict.fromkeys(_header_text(v) for v in row if not blank(v)))


def _unique_names(given: list[str], columns: list[int]) -> tuple[list[str], list[str], list[str]]:
    """Each column's name: its header, "column F" where it has none, and "Village (2)"
    where an earlier column has the name (in any capitals); never a name another column
    has. Returns the names, those made from a repeated header, and those made from none.
    A header repeated three times had made two columns "Village (2)" and ended the upload
    in a traceback (helper-92)."""
    headers = {name.casefold() for name in given if name}
    taken: set[str] = set()
    names: list[str] = []
    placed: list[str] = []
    unnamed: list[str] = []
    for name, column in zip(given, columns, strict=True):
        base = name or f"column {_column_letters(column + 1)}"
        chosen, count = base, 1
        while chosen.casefold() in taken or (chosen != base and chosen.casefold() in headers):
            count += 1
            chosen = f"{base} ({count})"
        taken.add(chosen.casefold())
        names.append(chosen)
        if not name:
            unnamed.append(chosen)
        elif chosen != name:
            placed.append(chosen)
    return names, placed, unnamed


def _header_text(value: Any) -> str:
    """A header cell as a column's name: a year typed as a number reads 2015, not 2015.0."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _columns(frame: pd.DataFrame) -> tuple[dict[str, str], list[str], list[str | None] | None]:
    """The renames taking group prefixes off, the platform columns to leave out, and the
    records' submission ids (None when the table has none)."""
    columns = [str(c) for c in frame.columns]
    lower = [c.lower() for c in columns]
    dropped: list[str] = []
    record_column = next(
        (columns[lower.index(name)] for name in RECORD_ID_COLUMNS if name in lower), None
    )
    # ODK Central puts its own columns after KEY (Status, ReviewState, …): all of them go.
    central = "key" in lower and "submissiondate" in lower
    if central:
        # Central keeps a submission's first instance id, its KEY, through its edits; an
        # edit's meta-instanceID is new, and the edited record had been told to be another
        # recorded under the same reference (helper-132)
        record_column = columns[lower.index("key")]
    after_key = lower.index("key") if central else len(columns)
    renamed: dict[str, str] = {}
    taken: set[str] = set()
    kept = {
        name
        for i, name in enumerate(lower)
        if i <= after_key and name not in META_COLUMNS and not name.startswith(("meta/", "meta-"))
    }
    # Outside a form platform's export, a name in capitals whose field is no name ims knows
    # is an abbreviation, not a group and a field: "AP/AT" (anti-personnel or anti-tank) had
    # been read as the field "AT" of a group "AP" (a form's names are written in small
    # letters), also beside a column "SURVEY/OPERATOR" (helper-119); so is one whose
    # parts are each a word of three letters at most, "Ap/At", "n/a", "Yes/No" (helper-119
    # found "Ap/At" read as "At"), unless its field is a name ims knows ("gps/lat" is a
    # latitude, helper-121), and one whose every part is such a name: "Lat/Lon", "x/y", a
    # point in one cell (helper-120: a file refused, "Lat/Lon" read as its longitude)
    form = bool(set(lower) & _EXPORT_SIGNS) or {"key", "submissiondate"} <= set(lower)
    for i, column in enumerate(columns):
        short = _short(column)
        parts = [part.strip().lower() for part in re.split(r"/|:(?!\s)", column)]
        if form and short == column.strip() and len(parts) > 1:
            # a platform's export with labels writes a group's label, spaces and all
            # ("Hazard details/Hazard reference", KoboToolbox): taken off where what
            # remains is a name or a question's label ims knows (it had been read as no
            # field at all, helper-132); "Area m2/ha" stays whole
            last = re.split(r"/|:(?!\s)", column)[-1].strip()
            if last.lower() in _KNOWN or _label_key(last) in _FORM_LABELS:
                short = last
        unknown = short.lower() not in _KNOWN
        if (
            not form
            and short != column.strip()
            and (
                (unknown and (column.upper() == column or _abbreviation(column)))
                or all(part in _KNOWN for part in parts)
            )
        ):
            short = column.strip()
        if i > after_key or lower[i] in META_COLUMNS or short.lower() in META_COLUMNS:
            dropped.append(column)
            continue
        if lower[i].startswith("meta/") or lower[i].startswith("meta-"):
            dropped.append(column)
            continue
        # a short name another column of the file has is not taken: "Remarks: status" beside
        # "status" had made two columns "status", and the upload ended in an unexpected
        # error (a review as a data manager)
        own = short.lower() == lower[i] or short.lower() not in kept
        target = short if own and short.lower() not in taken else column
        labelled = _FORM_LABELS.get(_label_key(short))
        if (
            labelled is not None
            and labelled != short.casefold()  # "Status" stays as the file names it
            and labelled not in kept
            and labelled not in taken
        ):
            target = labelled  # "Hazard reference": the question hazard_id, by its label
        taken.add(target.lower())
        if target != column:
            renamed[column] = target
    ids: list[str | None] | None = None
    if record_column is not None:
        ids = [_record_id(v) for v in frame[record_column]]
    return renamed, dropped, ids


def _abbreviation(column: str) -> bool:
    """Whether each part of a name a slash or colon splits is three letters at most."""
    return all(len(part.strip()) <= 3 for part in re.split(r"/|:(?!\s)", column))


def _short(column: str) -> str:
    """A column's name without its group prefixes (``group/field`` -> ``field``)."""
    if "(" in column:  # "Date Surveyed (dd/mm/yyyy)" is a name, not a group and a field
        return column.strip()
    # (a colon a space follows writes a label, "Remark: operator", not "group:field")
    *groups, short = re.split(r"/|:(?!\s)", column)
    # a form's groups are names without spaces (XLSForm's): "Team A/B" and "Area m2/ha"
    # are names, which had been read as "B" and "ha" without a word (helper-117)
    if any(re.search(r"\s", group.strip()) for group in groups):
        return column.strip()
    if "-" in short:
        last = short.rsplit("-", 1)[1]
        # group-field: taken off only where what remains is a name ims knows
        if last.lower() in _KNOWN:
            short = last
    return short.strip()


def _record_id(value: Any) -> str | None:
    if blank(value):
        return None
    text = str(value).strip()
    return text[5:] if text.lower().startswith("uuid:") else text


# --------------------------------------------------------------------------- geometry


def _find(frame: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    by_lower = {str(c).lower(): str(c) for c in frame.columns}
    return next((by_lower[n] for n in names if n in by_lower), None)


# A cell of WKT polygons, as a GIS or a database writes them (any capitals, Z or M)
_WKT_CELL = re.compile(r"^\s*(?:MULTI)?POLYGON\s*(?:Z|M|ZM)?\s*(?:\(|EMPTY)", re.IGNORECASE)


def _wkt_column(frame: pd.DataFrame) -> str | None:
    """The one column, whatever its name, whose cells are WKT polygons: "WKT (UTM 48N)" or
    "Shape" refused a whole hand-kept workbook before its columns could be matched (a
    legacy migration's review, helper-99). None where no column, or several, are."""
    found = []
    for column in frame.columns:
        cells = [v for v in frame[column].head(200) if isinstance(v, str) and v.strip()]
        if cells and all(_WKT_CELL.match(v) for v in cells[:20]):
            found.append(str(column))
    return found[0] if len(found) == 1 else None


def _label_points(
    frame: pd.DataFrame, geoms: list[BaseGeometry | None], crs: CRS | None
) -> list[str]:
    """The latitude and longitude columns beside a WKT column, where each row's is its
    geometry's label point as ims's register files write it (``representative_point``,
    7 decimals): figures the geometry gives again, which a register file sent back had
    kept as every record's own columns. An operator's own point columns stay."""
    lat, lon = _find(frame, LAT_COLUMNS), _find(frame, LON_COLUMNS)
    if lat is None or lon is None or not (crs is None or crs.is_geographic) or not geoms:
        return []
    ys = pd.to_numeric(frame[lat], errors="coerce").to_numpy(dtype=float)
    xs = pd.to_numeric(frame[lon], errors="coerce").to_numpy(dtype=float)
    for geom, x, y in zip(geoms, xs, ys, strict=True):
        if geom is None or geom.is_empty:
            if not (math.isnan(x) and math.isnan(y)):
                return []
            continue
        point = geom.representative_point()
        if abs(round(point.x, 7) - x) > 1e-7 or abs(round(point.y, 7) - y) > 1e-7:
            return []
    return [lat, lon]


def _geometry(
    frame: pd.DataFrame, where: str, crs: CRS | None
) -> tuple[list[BaseGeometry | None], list[str], dict[int, str], str]:
    """Each row's geometry, the columns it was read from, why a row's could not be read
    (its row from 0), and how they were read ("geo": a form's geo strings, "wkt" or
    "points"). A file none of whose geometries can be read is refused whole."""
    # columns named as geometry first, then one guessed from its cells: a column of phone
    # numbers ("+856 20 5555 1234") had been taken for a form's geopoints beside "wkt"
    # (helper-116)
    geo = _find(frame, GEO_COLUMNS)
    named_wkt = _find(frame, WKT_COLUMNS)
    if geo is None and named_wkt is None and _wkt_column(frame) is None:
        # a column guessed to hold a form's points yields to named latitude and longitude
        # columns: phone numbers ("20 55 12 34") had been read as points over them
        # (helper-118); a guessed shape (several points a cell) does not
        geo = _geo_string_column(frame)
        named_points = _find(frame, LAT_COLUMNS) and _find(frame, LON_COLUMNS)
        if (
            geo is not None
            and named_points
            and not any(";" in str(v) for v in frame[geo] if not blank(v))
        ):
            geo = None
    if geo is not None:
        geoms, unread = _per_row(
            [(v,) for v in frame[geo]], lambda v, i, ps: _geo_string(v, i, geo, ps), where
        )
        return geoms, [geo], unread, "geo"
    wkt = named_wkt or _wkt_column(frame)
    if wkt is not None:
        geoms, unread = _per_row(
            [(v,) for v in frame[wkt]], lambda v, i, ps: _wkt(v, i, wkt, ps), where
        )
        return geoms, [wkt, *_label_points(frame, geoms, crs)], unread, "wkt"
    lat, lon = _find(frame, LAT_COLUMNS), _find(frame, LON_COLUMNS)
    if lat is not None and lon is not None:
        geographic = crs is None or crs.is_geographic
        try:
            geoms, unread = _per_row(
                list(zip(frame[lat], frame[lon], strict=True)),
                lambda y, x, i, ps: _point(y, x, i, lat, lon, ps, geographic),
                where,
            )
        except InvalidUpload as exc:
            # every point in metres: the file's coordinate system is to be chosen, which
            # the upload page offers once it has read the columns (``metres``)
            cells = zip(frame[lat], frame[lon], strict=True)
            if geographic and all(_utm_like(y, x) for y, x in cells if not blank(y)):
                raise InvalidUpload(exc.detail, metres=True) from None
            raise
        return geoms, [lat, lon], unread, "points"
    if _is_a_form_definition(frame):
        # an XLSForm's survey sheet: the form, not what was collected with it (a new
        # user's review uploaded ims's own form and was told of a missing column)
        raise InvalidUpload(
            f"{where} is a form definition (an XLSForm: its questions, not records): deploy "
            "it in KoboToolbox or ODK Central, collect with it, and upload the export of the "
            "records collected (CSV or XLSX, with its geoshape column)"
        )
    columns = ", ".join(str(c) for c in frame.columns)
    raise InvalidUpload(
        f"{where} has no column giving where each feature lies: ims reads a geoshape, "
        "geotrace or geopoint column (e.g. boundary), a WKT column (wkt, geometry, geom, "
        "the_geom, or one column of any name whose cells are WKT polygons) or latitude and "
        f"longitude columns (lat/latitude, lon/longitude); its "
        f"columns are {columns}; ims accepts {ACCEPTED}"
    )


# The question types of an XLSForm's survey sheet (its first word: "select_one status").
_XLSFORM_TYPES: Final = frozenset(
    {
        "begin_group", "begin", "end_group", "end", "calculate", "date", "decimal",
        "geopoint", "geoshape", "geotrace", "integer", "note", "select_multiple",
        "select_one", "start", "text", "today", "deviceid",
    }
)  # fmt: skip


def _is_a_form_definition(frame: pd.DataFrame) -> bool:
    """Whether a sheet is an XLSForm's survey: type, name and label columns, most of whose
    types are question types."""
    by_name = {str(c).strip().lower(): c for c in frame.columns}
    if not {"type", "name"} <= set(by_name) or not any(k.startswith("label") for k in by_name):
        return False
    types = [str(v).strip().split(" ")[0].lower() for v in frame[by_name["type"]].dropna()]
    return bool(types) and sum(t in _XLSFORM_TYPES for t in types) >= 0.8 * len(types)


def _per_row(
    cells: list[tuple[Any, ...]],
    read: Callable[..., BaseGeometry | None],
    where: str,
) -> tuple[list[BaseGeometry | None], dict[int, str]]:
    """Each row's geometry read from its cells, and why a row's could not be: a finding on
    that feature, beside the file's other findings (one bad WKT cell had refused the whole
    file, and its other mistakes were found only once it was fixed: a first-time user's
    review). A file none of whose geometries can be read is refused: its column is not
    what it seemed."""
    geoms: list[BaseGeometry | None] = []
    unread: dict[int, str] = {}
    filled = 0
    for i, cell in enumerate(cells):
        problems: list[str] = []
        geoms.append(read(*cell, i, problems))
        filled += not all(blank(v) for v in cell)
        if problems:
            unread[i] = "; ".join(p.split(", ", 1)[-1] for p in problems)
    if unread and len(unread) == filled:
        _refuse([f"feature {i + 1}, {said}" for i, said in unread.items()], where)
    return geoms, unread


def _nul_cells(frame: pd.DataFrame) -> list[str]:
    """Where the table holds a NUL character, which the database cannot store: a CSV cell
    holding one answered 500, and one in a reference a 422 naming no feature (an attack on
    our own instance)."""
    problems = [
        f"a column's name {str(c)!r} holds a NUL character (0x00)" for c in frame.columns
        if "\x00" in str(c)
    ]  # fmt: skip
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
            continue
        held = values.map(lambda v: isinstance(v, str) and "\x00" in v)
        for row in held.index[held.to_numpy(dtype=bool)]:
            problems.append(
                f"feature {row + 1}, field {str(column).replace(chr(0), '')!r}: holds a NUL "
                "character (0x00), which cannot be stored; remove it and send the file again"
            )
    return problems


def _refuse(problems: list[str], where: str) -> None:
    if problems:
        more = f" (and {len(problems) - MAX_SHOWN} more)" if len(problems) > MAX_SHOWN else ""
        raise InvalidUpload(f"{where}: {'; '.join(problems[:MAX_SHOWN])}{more}")


def _geo_string_column(frame: pd.DataFrame) -> str | None:
    """The first column whose filled cells are all ODK geo strings."""
    for column in frame.columns:
        values = [str(v) for v in frame[column] if not blank(v)]
        if values and all(_looks_geo(v) for v in values):
            return str(column)
    return None


def _looks_geo(text: str) -> bool:
    parts = [p for p in text.split(";") if p.strip()]
    return bool(parts) and all(_GEO_POINT.match(p) for p in parts)


def _coordinate(text: str, axis: str, row: int, column: str, problems: list[str]) -> float | None:
    try:
        value = float(text)
    except ValueError:
        problems.append(f"feature {row + 1}, field {column!r}: {text!r} is not a number")
        return None
    limit = 90 if axis == "latitude" else 180
    if not math.isfinite(value) or abs(value) > limit:
        problems.append(f"feature {row + 1}, field {column!r}: {axis} {text} is outside ±{limit}°")
        return None
    return value


def _longitude_first(first: str, second: str) -> bool:
    """Whether a form's point reads as longitude then latitude: no latitude first, one
    second."""
    try:
        y, x = float(first), float(second)
    except ValueError:
        return False
    return 90 < abs(y) <= 180 and abs(x) <= 90


def _geo_string(value: Any, row: int, column: str, problems: list[str]) -> BaseGeometry | None:
    """``lat lon alt acc;…`` as a point, a line or (closed) a polygon."""
    if blank(value):
        return None
    points: list[tuple[float, float]] = []
    for part in str(value).split(";"):
        numbers = part.split()
        if not numbers:
            continue
        if not 2 <= len(numbers) <= 4:
            problems.append(
                f"feature {row + 1}, field {column!r}: {part.strip()!r} is not "
                "'latitude longitude [altitude accuracy]'"
            )
            return None
        if _longitude_first(numbers[0], numbers[1]):
            # "latitude 103.119 is outside ±90°" had not said what was wrong (helper-132)
            problems.append(
                f"feature {row + 1}, field {column!r}: {part.strip()!r} gives the longitude "
                "first: a form's point is latitude then longitude "
                f"('{numbers[1]} {numbers[0]}{''.join(' ' + n for n in numbers[2:])}')"
            )
            return None
        lat = _coordinate(numbers[0], "latitude", row, column, problems)
        lon = _coordinate(numbers[1], "longitude", row, column, problems)
        if lat is None or lon is None:
            return None
        points.append((lon, lat))
    if not points:
        return None
    if len(points) == 1:
        return Point(points[0])
    if len(points) >= 4 and points[0] == points[-1]:
        return Polygon(points)
    return LineString(points)


def wkt_in_words(exc: Exception) -> str:
    """What is wrong with a WKT text, from GEOS's reason for refusing it, in words a data
    manager reads: "Expected word but encountered number: '5'" had been quoted as it was."""
    said = str(exc).removeprefix("ParseException: ").strip()
    found = re.search(r"'([^']*)'\s*$", said)
    at = found[1] if found else ""
    if said.startswith("Unknown type"):
        return f"{at!r} is not a type WKT knows: a polygon begins POLYGON or MULTIPOLYGON"
    if said.endswith("end of stream"):
        return "it ends too soon: a coordinate or a closing bracket is missing"
    if said == "Expected number but encountered ','":  # "1,2, 3,4" or "1 2 3 4, 5 6"
        return (
            "a comma stands where a number should: each corner is longitude and latitude "
            "with a space between them, and a comma between corners; one may be missing "
            "before it, or stand inside a corner"
        )
    if "do not form a closed linestring" in said:
        return "a ring is not closed: its last corner must be its first again"
    if "Invalid number of points in LinearRing" in said:
        return "a ring needs at least three corners, and its first again at its end"
    if said.startswith("Expected number"):
        return f"{at!r} stands where a number should"
    if said.startswith("Expected word but encountered number"):
        return (
            f"a number ({at}) stands where a bracket should: each corner is two numbers, "
            "and a polygon's ring is in double brackets, POLYGON ((…))"
        )
    if said.startswith("Unexpected text after end"):
        return "something follows the end of the geometry: a closing bracket too many?"
    return "it is not WKT as ims reads it"


# A polygon's brackets nest three deep (MULTIPOLYGON (((…)))), one more inside a
# collection. GEOS parses nesting recursively: a 2 MB cell of nested GEOMETRYCOLLECTIONs
# overflowed the upload worker's stack, and one of 126 kB held a worker for minutes in
# the checks after it (an attack on our own instance).
MAX_WKT_DEPTH = 4


def wkt_depth(text: str) -> int:
    """How deep a WKT text's brackets nest (counted, not parsed)."""
    codes = np.frombuffer(text.encode("utf-8", "replace"), dtype=np.uint8)
    if not codes.size:
        return 0
    steps = (codes == ord("(")).astype(np.int32) - (codes == ord(")")).astype(np.int32)
    return int(np.cumsum(steps).max())


def _wkt(value: Any, row: int, column: str, problems: list[str]) -> BaseGeometry | None:
    if blank(value):
        return None
    text = str(value).strip()
    depth = wkt_depth(text)
    if depth > MAX_WKT_DEPTH:
        problems.append(
            f"feature {row + 1}, field {column!r}: not a polygon: its brackets nest {depth:,} "
            "deep, and a polygon's nest three, MULTIPOLYGON (((…)))"
        )
        return None
    try:
        geom = shapely.from_wkt(text)
    except shapely.errors.GEOSException as exc:
        problems.append(
            f"feature {row + 1}, field {column!r}: not a WKT geometry ({wkt_in_words(exc)})"
        )
        return None
    except NotImplementedError:  # CURVEPOLYGON, MULTISURFACE…: shapely reads no curves
        problems.append(
            f"feature {row + 1}, field {column!r}: a curved geometry, which ims does not read: "
            "give the polygon's corners"
        )
        return None
    return None if geom is None else geom


def _point(
    y: Any,
    x: Any,
    row: int,
    lat: str,
    lon: str,
    problems: list[str],
    geographic: bool,
) -> BaseGeometry | None:
    if blank(y) and blank(x):
        return None
    if blank(y) or blank(x):
        missing = lat if blank(y) else lon
        problems.append(f"feature {row + 1}, field {missing!r}: the coordinate is missing")
        return None
    if geographic and _utm_like(y, x):
        # helper-92: "latitude 2150000 is outside ±90°" said nothing of what to do
        problems.append(
            f"feature {row + 1}, fields {lat!r} and {lon!r}: {y}, {x} look like metres of a "
            "UTM zone (northing and easting), not degrees: give the file's coordinate system "
            "(e.g. --crs EPSG:32648 for UTM zone 48N, or choose it on the upload page)"
        )
        return None
    if geographic:
        lat_value = _coordinate(str(y).strip(), "latitude", row, lat, problems)
        lon_value = _coordinate(str(x).strip(), "longitude", row, lon, problems)
    else:  # projected coordinates (a stated CRS): numbers, any size
        lat_value = _number(str(y).strip(), row, lat, problems)
        lon_value = _number(str(x).strip(), row, lon, problems)
    if lat_value is None or lon_value is None:
        return None
    return Point(lon_value, lat_value)


def _utm_like(y: Any, x: Any) -> bool:
    """Whether a point's two cells read as a UTM northing and easting, in metres."""
    try:
        north, east = float(str(y).strip()), float(str(x).strip())
    except ValueError:
        return False
    return 100_000 <= east <= 900_000 and 0 <= abs(north) <= 10_000_000 and abs(north) > 90


def _number(text: str, row: int, column: str, problems: list[str]) -> float | None:
    try:
        value = float(text)
    except ValueError:
        problems.append(f"feature {row + 1}, field {column!r}: {text!r} is not a number")
        return None
    if not math.isfinite(value):
        problems.append(f"feature {row + 1}, field {column!r}: {text!r} is not a number")
        return None
    return value
