"""Field mappings: an operator's own file matched to the template, and remembered.

A mapping is one JSON document (docs/design.md §6), the same whether it comes from
``--map hazard_id=HAZ_REF,…`` (its ``fields`` only), ``--mapping FILE.json``, the upload
API's ``mapping``, or what is remembered for an organisation::

    {"fields": {"hazard_id": "{fileId}-{row}", "status": "typeArea"},
     "constants": {"recorded": "2020-01-01", "contam": "APM"},
     "values": {"status": {"Suspected Minefield": "SHA"}}}

``fields``     template field -> the file's field it is read from, or a pattern of the
               file's fields in braces with ``{row}``, the feature's number from 1
               (``"{fileId}-{row}"``; ``{row:05}`` pads it; ``{{`` is a brace). One file
               field may feed several template fields. A pattern with a blank field gives
               a blank value, never half a reference.
``constants``  template field -> one value for every feature.
``values``     template field -> {value in the file: value for ims}; any capitals and
               spaces around match; a value not listed passes as it is, for validation
               to judge.
``dates``      how the file writes its dates where not the year first: ``"day-first"``
               (31/12/2024, 31.12.2024) or ``"month-first"`` (12/31/2024). The file's
               date cells written so are read in that order; ISO dates are read as ever,
               and constants are always ISO. Without it such a cell is an error that says
               so: 03/04/2024 is two different days, and ims does not guess which.
``crs``        the coordinate system of the files where they declare none, an EPSG code
               (``"EPSG:32648"``): a file that declares one is read in its own. Chosen
               for a file (``--crs``, the upload page), it is remembered with the mapping.

A template field the mapping does not name takes the file's field of the same name (any
capitals), unless the mapping reads that field for another template field.

The mapping an organisation gave last is remembered for its next files of that kind,
and set aside with a note when the next file does not fit it; ``ims mappings list`` and
``ims mappings clear`` show and forget them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import re
import shlex
import string
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ims.db import audit
from ims.db.audit import Actor
from ims.db.models import FieldMapping, Organisation
from ims.domain.enums import UploadKind
from ims.errors import Conflict, InvalidRequest, InvalidUpload
from ims.ingest.crs import stated_crs
from ims.ingest.fields import (
    BLANK_TEXT,
    DATE_ORDERS,
    HAZARD_FIELDS,
    HAZARDS,
    OWN_EXPORT_NAMES,
    RELEASE_FIELDS,
    RELEASES,
    TEMPLATES,
    Field,
    FieldType,
    blank,
    by_folded_name,
    by_name,
    day_and_month,
    parse_date,
    parse_year,
    reorder_date,
)

# (keyed by str: a kind arrives as text from the CLI and the forms, and UploadKind is one)
FIELDS: dict[str, tuple[str, ...]] = {
    UploadKind.HAZARDS: HAZARD_FIELDS,
    UploadKind.RELEASES: RELEASE_FIELDS,
}
REQUIRED: dict[str, tuple[str, ...]] = {
    UploadKind.HAZARDS: ("hazard_id",),
    UploadKind.RELEASES: ("release_id",),  # without hazard_id: matched by geometry
}
ATTRIBUTES = "_attributes"  # a staged record's columns that are not template fields
DATE_ORDER = "date_order"  # a mapped frame's attrs: how its mapping says dates are written
PARTS = ("fields", "constants", "values")
DATES = "dates"  # the part that says how the file writes its dates (DATE_ORDERS)
# the part that says which coordinate system the organisation's files are in where they
# declare none (a UTM workbook): chosen once, remembered with the mapping (helper-105 was
# asked again for every workbook)
CRS_PART = "crs"
ROW = "row"  # {row} in a pattern: the feature's number in the file, from 1

Scalar = str | int | float


def jsonable(value: Any) -> Any:
    """A file's cell as JSON keeps it: dates as ISO text, whole floats as ints, blanks None."""
    kind = type(value)  # the common cells first: a national file has millions of them
    if kind is str:
        return None if value.strip() in BLANK_TEXT else value
    if value is None:
        return None
    if kind is float:
        if math.isnan(value):
            return None
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if blank(value):
        return None
    if isinstance(value, dt.datetime) and value.tzinfo is None and value.time() == dt.time():
        # a spreadsheet's date cell: shown as 2018-03-15, not 2018-03-15T00:00:00 (the
        # mapping step's samples; found by a walk-through migrating legacy data)
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int | float | str | bool):
        return value
    return str(value)


_ORDER = {
    name: i
    for i, name in enumerate(dict.fromkeys(RELEASE_FIELDS[:2] + HAZARD_FIELDS + RELEASE_FIELDS))
}


def _ordered(part: Mapping[str, Any]) -> dict[str, Any]:
    """A part of a document with its template fields in the templates' order."""
    return dict(sorted(part.items(), key=lambda item: _ORDER.get(item[0], len(_ORDER))))


def _key(value: Any) -> str:
    """How a file's value is matched against the keys of a ``values`` map."""
    return str(jsonable(value)).strip().casefold()


# A pattern's pieces: (literal text, field name or None, format spec).
Pieces = list[tuple[str, str | None, str]]


def _pieces(spec: str, where: str) -> Pieces | None:
    """The pieces of a pattern such as ``{fileId}-{row}``; None for a plain field name."""
    if "{" not in spec and "}" not in spec:
        return None
    try:
        parsed = list(string.Formatter().parse(spec))
    except ValueError as exc:
        raise InvalidRequest(
            f"{where}: {spec!r} is not a pattern ({exc}): write {{field}} or {{row}}, "
            "and {{ or }} for a brace itself"
        ) from None
    pieces: Pieces = []
    for literal, name, fmt, conversion in parsed:
        if name is not None and (conversion or not name.strip()):
            raise InvalidRequest(
                f"{where}: {spec!r}: braces hold a field name or row, as in {{fileId}}-{{row}}"
            )
        if name is not None and fmt:
            _check_format(fmt, spec, where)
        pieces.append((literal, None if name is None else name.strip(), fmt or ""))
    return pieces


# What may follow the colon in {field:...}: Python's format specification, with a width and
# a precision of a reference's size. {row:0>150000000} had made the upload build a string
# of 150 million characters for each feature (a memory exhaustion by any operator).
_FORMAT = re.compile(r"(?:.?[<>=^])?[+\- ]?z?#?0?(\d*)[,_]?(?:\.(\d+))?[bcdeEfFgGnosxX%]?")
FORMAT_WIDTH_MAX = 32
FORMAT_PRECISION_MAX = 15


def _check_format(fmt: str, spec: str, where: str) -> None:
    match = _FORMAT.fullmatch(fmt)
    if match is None:
        raise InvalidRequest(
            f"{where}: {spec!r}: {{…:{fmt}}} is not a format this mapping can use; write, "
            "for example, {row:04} for 0001, 0002…"
        )
    width, precision = match.groups()
    if (width and int(width) > FORMAT_WIDTH_MAX) or (
        precision and int(precision) > FORMAT_PRECISION_MAX
    ):
        raise InvalidRequest(
            f"{where}: {spec!r}: {{…:{fmt}}} is too wide; a value is written at most "
            f"{FORMAT_WIDTH_MAX} characters wide, with at most {FORMAT_PRECISION_MAX} decimals"
        )


@dataclass(frozen=True)
class MappingDocument:
    """A field mapping: renames and patterns, constants, value maps (see the module)."""

    fields: dict[str, str] = field(default_factory=dict)
    constants: dict[str, Scalar] = field(default_factory=dict)
    values: dict[str, dict[str, Scalar | None]] = field(default_factory=dict)
    dates: str | None = None  # "day-first" or "month-first"; None: the year first
    crs: str | None = None  # "EPSG:32648": the files' coordinates where they declare none

    def __bool__(self) -> bool:
        return bool(self.fields or self.constants or self.values or self.dates)

    def as_json(self) -> dict[str, Any]:
        """The document, as stored and as ``--mapping`` reads it; template fields in the
        template's order (the database keeps JSON keys in an order of its own)."""
        document: dict[str, Any] = {
            "fields": _ordered(self.fields),
            "constants": _ordered(self.constants),
            "values": _ordered({k: dict(v) for k, v in self.values.items()}),
        }
        if self.dates:
            document[DATES] = self.dates
        if self.crs:
            document[CRS_PART] = self.crs
        return document

    def text(self) -> str:
        """The document on one line, without its empty parts (to print; --mapping reads it)."""
        shown = {k: v for k, v in self.as_json().items() if v}
        return json.dumps(shown, ensure_ascii=False)

    def lines(self) -> list[str]:
        """The mapping as a reader says it, a line a part, template fields in the
        template's order: the pages had shown its JSON to people who do not read JSON (a
        review as a new user)."""
        said: list[str] = []
        for target, spec in _ordered(self.fields).items():
            plain = "{" not in spec and "}" not in spec
            said.append(
                f"{target}: the file's column {spec}" if plain else f"{target}: made as {spec}"
            )
        for target, value in _ordered(self.constants).items():
            said.append(f"{target}: {value} for every feature")
        for target, table in _ordered(self.values).items():
            read = "; ".join(
                f"“{source}” as {'nothing' if value is None else value}"
                for source, value in table.items()
            )
            said.append(f"{target}: the file's values read {read}")
        if self.dates:
            example = "31/12/2024" if self.dates == "day-first" else "12/31/2024"
            said.append(f"dates: {self.dates.replace('-', ' ')} ({example})")
        if self.crs:
            said.append(f"coordinates: {self.crs} where the file declares no coordinate system")
        return said

    def origins(self) -> dict[str, str]:
        """Where each template field the mapping gives comes from, as a finding on it adds:
        a data manager read "released is not a date" of a file whose column is DATE_CLR,
        or of a reference the mapping made from two columns (an attack on our own
        instance). A field the file has under its own name is left out."""
        said: dict[str, str] = {}
        for target, spec in self.fields.items():
            plain = "{" not in spec and "}" not in spec
            if plain and spec.lower() != target.lower():
                said[target] = f"the file's column {spec}, by the field mapping"
            elif not plain:
                said[target] = f"made by the field mapping as {spec}"
        for target in self.constants:
            said[target] = "the field mapping's value for every feature"
        for target in self.values:
            said.setdefault(target, "read through the field mapping's table of values")
        return said

    def sources(self) -> list[str]:
        """The file's fields the mapping reads, in order, each once."""
        names: list[str] = []
        for target, spec in self.fields.items():
            pieces = _pieces(spec, f"fields.{target}")
            found = [spec] if pieces is None else [n for _, n, _ in pieces if n is not None]
            names += [n for n in found if n.lower() != ROW and n not in names]
        return names

    def with_fields(self, renames: Mapping[str, str]) -> MappingDocument:
        """This mapping with ``renames`` (``--map``) added to its fields, theirs first."""
        if not renames:
            return self
        constants = {k: v for k, v in self.constants.items() if k not in renames}
        return MappingDocument(
            {**self.fields, **renames}, constants, self.values, self.dates, self.crs
        )

    def by_file_names(self, read_as: Mapping[str, str]) -> MappingDocument:
        """This mapping naming the file's columns as the file does where it names them as
        ims read them (``read_as``: the file's own names by those, as
        ``ims.ingest.tables.by_label`` gives them): a mapping made when the upload page
        showed "Contamination" as ``contam`` had kept saying "the file's column contam" of
        files with none of that name (a review of our own change, helper-103)."""
        if not read_as:
            return self
        folded = {new.casefold(): old for new, old in read_as.items()}
        fields = {
            target: folded.get(source.casefold(), source)
            if _pieces(source, target) is None
            else source
            for target, source in self.fields.items()
        }
        if fields == self.fields:
            return self
        return MappingDocument(fields, self.constants, self.values, self.dates, self.crs)

    def with_dates(self, order: str | None) -> MappingDocument:
        """This mapping with the file's date order (``--dates``) in place of its own."""
        if not order:
            return self
        return MappingDocument(self.fields, self.constants, self.values, order, self.crs)

    def with_crs(self, code: str | None) -> MappingDocument:
        """This mapping with the coordinate system of files that declare none."""
        return dataclasses.replace(self, crs=code)

    def check(self, kind: str) -> None:
        """InvalidRequest naming what is wrong for KIND's template; nothing if all is well."""
        fields = FIELDS[kind]
        table = by_name(TEMPLATES[kind])
        for part in PARTS:
            unknown = [name for name in getattr(self, part) if name not in fields]
            if unknown:
                hint = ""
                if part == "values":
                    hint = (
                        ' (values are keyed by the template field they fill, as in "values": '
                        '{"status": {"Suspected Minefield": "SHA"}})'
                    )
                raise InvalidRequest(
                    f"the mapping's {part} name {', '.join(unknown)}, which the {kind} "
                    f"template does not have{hint}; its fields are {', '.join(fields)}"
                )
        if self.dates is not None and self.dates not in DATE_ORDERS:
            raise InvalidRequest(
                f"the mapping's dates is {self.dates!r}: it is day-first (31/12/2024) or "
                "month-first (12/31/2024), or left out for dates with the year first"
            )
        both = [name for name in self.fields if name in self.constants]
        if both:
            raise InvalidRequest(
                f"the mapping gives {', '.join(both)} both from the file (fields) and as a "
                "constant: keep one"
            )
        for target, spec in self.fields.items():
            _pieces(spec, f"the mapping's fields.{target}")
        for target, constant in self.constants.items():
            _check_value(table[target], constant, f"constants.{target}")
        for target, pairs in self.values.items():
            seen: dict[str, str] = {}
            for source, value in pairs.items():
                where = f"values.{target}[{source!r}]"
                if _key(source) in seen:
                    raise InvalidRequest(
                        f"the mapping's values.{target} lists {seen[_key(source)]!r} and "
                        f"{source!r}, which match the same values (any capitals): keep one"
                    )
                seen[_key(source)] = source
                if value is not None:
                    _check_value(table[target], value, where)


def _check_value(template_field: Field, value: Scalar, where: str) -> None:
    """A constant or a mapped value that its template field could never take is an error."""
    text = str(value).strip()
    kind = template_field.type
    try:
        if kind is FieldType.CODE:
            template_field.parse_code(text)
        elif kind is FieldType.DATE:
            parse_date(text, where=where)
        elif kind is FieldType.YEAR:
            parse_year(text, where=where)
        elif kind is FieldType.NUMBER:
            float(text)
    except ValueError as exc:
        raise InvalidRequest(f"the mapping's {where}: {exc}") from None
    except InvalidRequest as exc:
        raise InvalidRequest(f"the mapping's {exc.detail}") from None


# The longest value a mapping sets or translates to: a code, a name, a date. A value of
# 5,000 characters given for each type in a list of munitions had made a 200 KB upload
# 250 MB (found by an attack on our own instance).
VALUE_MAX = 200
# The longest a list of munitions may grow by its translation (unless it was longer).
LIST_MAX = 10_000


def _scalar(value: Any, where: str, *, none: bool = False) -> Any:
    if value is None and none:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidRequest(f"the mapping's {where} must be text or a number, not {value!r}")
    if isinstance(value, str) and len(value) > VALUE_MAX:
        raise InvalidRequest(
            f"the mapping's {where} is {len(value):,} characters long: a value it gives is "
            f"at most {VALUE_MAX}"
        )
    return value


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidRequest(f"the mapping's {where} must be a JSON object, not {value!r}")
    return value


def mapping_from_json(document: Any) -> MappingDocument:
    """A mapping document read from its JSON value; InvalidRequest naming what is wrong."""
    if not isinstance(document, dict):
        raise InvalidRequest(
            'a mapping is a JSON object: {"fields": {…}, "constants": {…}, "values": {…}}'
        )
    unknown = [k for k in document if k not in (*PARTS, DATES, CRS_PART)]
    if unknown:
        everything = set(HAZARD_FIELDS) | set(RELEASE_FIELDS)
        hint = (
            ' (a rename goes in "fields", as in {"fields": {"hazard_id": "HAZ_REF"}})'
            if any(k in everything for k in unknown)
            else ""
        )
        raise InvalidRequest(
            f"the mapping has {', '.join(repr(k) for k in unknown)}: its parts are fields, "
            f"constants, values, dates and crs{hint}"
        )
    fields: dict[str, str] = {}
    for target, spec in _object(document.get("fields", {}), "fields").items():
        if not isinstance(spec, str) or not spec.strip():
            raise InvalidRequest(
                f"the mapping's fields.{target} must name a field of the file or a pattern "
                f"such as {{fileId}}-{{row}}, not {spec!r}"
            )
        fields[target] = spec.strip()
    constants = {
        target: _scalar(value, f"constants.{target}")
        for target, value in _object(document.get("constants", {}), "constants").items()
    }
    values: dict[str, dict[str, Scalar | None]] = {}
    for target, pairs in _object(document.get("values", {}), "values").items():
        values[target] = {
            source: _scalar(value, f"values.{target}[{source!r}]", none=True)
            for source, value in _object(pairs, f"values.{target}").items()
        }
    dates = document.get(DATES) or None  # "" (a form's blank choice): the year first
    if dates is not None and dates not in DATE_ORDERS:
        raise InvalidRequest(
            f'the mapping\'s dates is {dates!r}: it is "day-first" (31/12/2024) or '
            '"month-first" (12/31/2024), or left out for dates with the year first'
        )
    return MappingDocument(fields, constants, values, dates, _crs(document.get(CRS_PART)))


def _crs(value: Any) -> str | None:
    """A mapping's coordinate system, an EPSG code as a person states one for a file."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidRequest(f'the mapping\'s crs is {value!r}: give a code, such as "EPSG:32648"')
    try:
        crs = stated_crs(value)
    except InvalidUpload as exc:
        raise InvalidRequest(f"the mapping's crs: {exc.detail}") from None
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg is not None else value.strip()


def load_mapping(text_value: str, *, where: str = "the mapping") -> MappingDocument:
    """A mapping document from JSON text; InvalidRequest for text that is not one."""
    try:
        document = json.loads(text_value)
    except json.JSONDecodeError as exc:
        raise InvalidRequest(
            f"{where} is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    try:
        return mapping_from_json(document)
    except InvalidRequest as exc:
        raise InvalidRequest(f"{where}: {exc.detail}") from None


def read_mapping_file(path: Path) -> MappingDocument:
    """The mapping document in a JSON file (``ims import --mapping FILE``)."""
    try:
        text_value = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidRequest(f"--mapping {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidRequest(f"--mapping {path}: cannot be read ({exc})") from None
    return load_mapping(text_value, where=f"--mapping {path}")


def from_stored(document: Any) -> MappingDocument:
    """A stored mapping: a document, or the bare renames stored before there were documents."""
    if not document:
        return MappingDocument()
    if isinstance(document, dict) and not set(document) <= {*PARTS, DATES, CRS_PART}:
        return MappingDocument(fields={str(k): str(v) for k, v in document.items()})
    try:
        return mapping_from_json(document)
    except InvalidRequest:
        if not (isinstance(document, dict) and CRS_PART in document):
            raise
        # a coordinate system remembered before ims refused its kind (grads, a geocentric
        # one): the mapping stays, without it, or every upload of the organisation failed
        return mapping_from_json({k: v for k, v in document.items() if k != CRS_PART})


def parse_field_map(text_value: str | None) -> dict[str, str]:
    """Read ``hazard_id=HAZ_REF,status=TYPE`` into {template field: file field}."""
    mapping: dict[str, str] = {}
    if not text_value:
        return mapping
    for part in text_value.split(","):
        if not part.strip():
            continue
        target, sep, source = part.partition("=")
        if not sep or not target.strip() or not source.strip():
            raise InvalidRequest(f"field mapping {part!r} is not field=source")
        mapping[target.strip()] = source.strip()
    return mapping


# A file of ims's own (the register's files, as a GIS officer takes them to QGIS and sends
# a revised boundary back, or a data manager corrects releases): the name it gives a
# template field (``ims.ingest.fields.OWN_EXPORT_NAMES``), and the columns ims computes,
# which are not kept as the record's own (they would be stale at once).
# Names a register file gives a template field that it also writes, under the field's
# own name, with another figure: a releases file's "area_m2" is the area ims counted and its
# "stated_area_m2" (a shapefile's "stated_m2") the operator's, the template's "area_m2".
# Read back, the counted area had been taken for the stated one without a word (a GIS
# user's review). Where the file has the register's name, it is the field.
OWN_EXPORT_FIRST: dict[str, dict[str, tuple[str, ...]]] = {
    "releases": {"area_m2": ("stated_area_m2", "stated_m2")},
}
_RELEASE_COMPUTED = frozenset(
    {
        "area_m2",  # only where the file's stated_area_m2 is the template's (OWN_EXPORT_FIRST)
        "outside_m2",
        "admin1_code",
        "admin1_name",
        "admin2_code",
        "admin2_name",
        "adm1_code",
        "adm1_name",
        "adm2_code",
        "adm2_name",
    }
)
COMPUTED_BY_IMS: dict[str, frozenset[str]] = {
    "hazards": frozenset(
        {
            "remaining_m2",
            "boundary_m2",
            "admin1_code",
            "admin1_name",
            "admin2_code",
            "admin2_name",
            # as a shapefile names them
            "remain_m2",
            "bound_m2",
            "adm1_code",
            "adm1_name",
            "adm2_code",
            "adm2_name",
        }
    ),
    "releases": _RELEASE_COMPUTED,
}


def own_column(kind: str, target: str, by_lower: Mapping[str, str]) -> str | None:
    """The file's column that is template field ``target`` by its name (``by_lower``: the
    file's columns by their names in lower case): a register file's name for it first
    (``OWN_EXPORT_FIRST``), then its own, then a register file's other name for it
    (``OWN_EXPORT_NAMES``). The upload page suggests what an upload reads."""
    for name in OWN_EXPORT_FIRST.get(kind, {}).get(target, ()):
        if name in by_lower:
            return by_lower[name]
    own = by_lower.get(target.lower())
    exported = OWN_EXPORT_NAMES.get(kind, {}).get(target)
    if own is None and exported is not None:
        own = by_lower.get(exported)
    return own


def _columns_named(columns: list[str], file_names: dict[str, str] | None) -> dict[str, str]:
    """A layer's columns by their names in lower case, and by the file's own names of those
    renamed as it was read (``file_names``, ims.ingest.reader.ReadResult): "Contamination",
    read as ``contam``, is what its owner maps (a legacy migration's review, helper-99)."""
    by_lower = by_folded_name(columns)
    for new, old in (file_names or {}).items():
        if new in columns:
            by_lower.setdefault(old.lower(), new)
    return by_lower


def apply_mapping(
    frame: Any,
    kind: str,
    mapping: MappingDocument,
    file_names: dict[str, str] | None = None,
    registered: Callable[[bool], Collection[str]] | None = None,
) -> Any:
    """The file's layer in the template's fields; its other columns kept as attributes.
    ``file_names``: the file's own names of columns renamed as it was read; a mapping may
    name them so. ``registered``: the names of the own columns the register's records
    hold, given whether the file is a register file (it holds figures ims computes), whose
    names they are read under; asked for only when the file has more than
    ``OWN_COLUMNS_MAX`` of its own: those are not new to the register, and not counted.

    A mapping that does not suit the template raises InvalidRequest; a file without a field
    the mapping reads, or without a required field, raises InvalidUpload.
    """
    mapping.check(kind)
    fields = FIELDS[kind]
    columns = [str(c) for c in frame.columns if c != frame.geometry.name]
    by_lower = _columns_named(columns, file_names)
    own_name = file_names or {}
    missing = [name for name in mapping.sources() if name.lower() not in by_lower]
    if missing:
        uses = [
            f"{target}={spec}"
            for target, spec in mapping.fields.items()
            if any(m in (spec, *_names(spec)) for m in missing)
        ]
        raise InvalidUpload(
            f"the field mapping says {', '.join(uses)}, but the file has no field "
            f"{' or '.join(repr(m) for m in missing)}; its fields are "
            f"{', '.join(own_name.get(c, c) for c in columns)}"
        )
    read = {by_lower[name.lower()] for name in mapping.sources()}
    n = len(frame)
    data: dict[str, Any] = {}
    taken: set[str] = set(read)  # the file's columns that became template fields
    set_aside: list[str] = []  # the file's columns named like a field given otherwise
    for target in fields:
        if target in mapping.fields:
            own = by_lower.get(target.lower())  # set aside, unless the mapping reads it
            if mapping.fields[target].lower() in OWN_EXPORT_FIRST.get(kind, {}).get(target, ()):
                own = None  # a register file's: its own is a figure ims computes, said so
        else:
            own = own_column(kind, target, by_lower)
        if target in mapping.constants:
            data[target] = [mapping.constants[target]] * n
        elif target in mapping.fields:
            spec = mapping.fields[target]
            pieces = _pieces(spec, f"fields.{target}")
            if pieces is None:
                data[target] = frame[by_lower[spec.lower()]]
            else:
                shown = spec if len(spec) <= 80 else f"{spec[:80]}…"
                data[target] = _render(pieces, frame, by_lower, f"fields.{target} {shown!r}")
        elif own is not None and own not in read:
            data[target] = frame[own]
            taken.add(own)
            continue
        if own is not None and own not in read:
            set_aside.append(own_name.get(own, own))
            taken.add(own)
    for target, pairs in mapping.values.items():
        if target in data and target not in mapping.constants:
            data[target] = _translate(data[target], pairs, listing=target in _LISTS)
    if mapping.dates:
        table_fields = by_name(TEMPLATES[kind])
        for target in list(data):
            column = data[target]
            if table_fields[target].type is not FieldType.DATE or target in mapping.constants:
                continue
            if isinstance(column, pd.Series) and pd.api.types.is_datetime64_any_dtype(column):
                continue  # a column of dates (a GeoPackage's, a spreadsheet's): no text
            cells = list(column)
            _dates_agree(cells, mapping.dates, target)
            data[target] = [reorder_date(v, mapping.dates) for v in cells]
    absent = [f for f in REQUIRED[kind] if f not in data]
    if absent:
        raise InvalidUpload(
            f"the file has no {', '.join(absent)} field; its fields are "
            f"{', '.join(own_name.get(c, c) for c in columns)}. Match one of them to "
            f"{absent[0]}: in the upload page's second step, or with --map "
            f"{absent[0]}=YOUR_FIELD (or a --mapping file) on the command line"
        )
    for target, column in data.items():
        _refuse_long_field(target, column)
    table = pd.DataFrame(data, index=frame.index)
    result = gpd.GeoDataFrame(table, geometry=frame.geometry, crs=frame.crs)
    # The file's other columns (a village, a note…) are kept with each record.
    computed = [c for c in columns if c not in taken and c.lower() in COMPUTED_BY_IMS[kind]]
    extras = [c for c in columns if c not in taken and c not in computed]
    # a column empty in every feature keeps nothing and is not counted: a register file
    # sent back holds every own column of the register, most of them empty for its rows,
    # and a register of more than 200 had been refused (helper-114)
    empty = [c for c in extras if all(blank(v) for v in frame[c].dropna())]
    extras = [c for c in extras if c not in set(empty)]
    # the limit keeps the register's columns few; a register file sent back brings those
    # the register holds already, which add none (helper-115: a register of 201 own
    # columns could not take back its own file, to correct one hazard)
    new = extras
    if len(extras) > OWN_COLUMNS_MAX and registered is not None:
        known = set(registered(bool(computed)))
        new = [c for c in extras if c not in known]
    if len(new) > OWN_COLUMNS_MAX:
        already = len(extras) - len(new)
        known_ones = f" nor the register's already ({already:,} others are)" if already else ""
        raise InvalidUpload(
            f"the file has {len(new):,} columns that are not fields of the template"
            f"{known_ones}"
            f"; ims keeps at most {OWN_COLUMNS_MAX} new ones with a file's records (every "
            "register file and map reader carries them): leave out those you do not need, "
            "or match them to the template's fields"
        )
    # (an empty column, not kept, takes no name: helper-115)
    names = own_names(
        extras, reserved=[*fields, *(c for c in columns if c not in extras and c not in empty)]
    )
    _refuse_long_names([names[c] for c in extras])
    rows = frame[extras].to_dict("records") if extras else [{}] * n
    result[ATTRIBUTES] = kept = [
        {names[k]: jsonable(v) for k, v in row.items() if not blank(v)} for row in rows
    ]
    _refuse_long_values(kept, {names[c]: own_name.get(c, c) for c in extras})
    result.attrs["extra_fields"] = [names[c] for c in extras]
    result.attrs["computed_fields"] = computed
    result.attrs["set_aside"] = set_aside
    result.attrs["empty_fields"] = [own_name.get(c, c) for c in empty]
    result.attrs[DATE_ORDER] = mapping.dates
    for key in ("geometry_unread",):  # what the reader found of each feature (ims.ingest.tables)
        if key in frame.attrs:
            result.attrs[key] = frame.attrs[key]
    return result


# The longest value a column of its own may hold: a spreadsheet cell's most (Excel's), and
# what one feature's own values may add up to. Each is kept with its record and shown in the
# review, the register's files and the OGC API: a GeoPackage of 100 kB had made values of 20
# million characters, and its review page 60 MB (helper-128).
OWN_VALUE_MAX = 32_767
OWN_VALUES_MAX = 100_000  # the names and values of a feature's own columns together
# A name of a column of the file's own: kept with every record that has a value in it (a
# file of 190 columns named in 10,000 characters each had made each record 2 MB of names,
# helper-130), at most this long each and all together.
OWN_NAME_MAX = 256
OWN_NAMES_MAX = 10_000
# The longest value of a field of the template: a reference, a code, a date, a name (lists
# of munitions, LIST_MAX). Values of a megabyte in each had been staged, each quoted whole
# in a finding, and a mapping's pattern repeating a column had made 14 MB of each feature's
# status (helper-130).
FIELD_MAX = 1_000


def _text_size(value: Any) -> int:
    """How long a cell that is not text is once written as text (the staged record's, or a
    finding's quote of it): a GeoPackage's BLOB as Python writes bytes, an array or an
    object of GeoJSON as JSON; 0 for numbers, dates and blanks (helper-131: a status of a
    megabyte of bytes had been staged and quoted whole)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return len(str(bytes(value)))
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list | tuple | dict):
        return len(json.dumps(value, ensure_ascii=False, default=str))
    return 0


def _refuse_long_field(target: str, column: Any) -> None:
    """InvalidUpload naming the first feature whose ``target`` (a template field) is
    longer than it may be."""
    limit = LIST_MAX if target in _LISTS else FIELD_MAX
    cells = column.tolist() if isinstance(column, pd.Series) else column
    for row, value in enumerate(cells, start=1):
        size = len(value) if type(value) is str else _text_size(value)
        if size > limit:
            raise InvalidUpload(
                f"feature {row}: its {target} is {size:,} characters long; a field of "
                f"the template holds at most {limit:,}: correct it, or match {target} to "
                "another column"
            )


def _refuse_long_values(kept: list[dict[str, Any]], shown: Mapping[str, str]) -> None:
    """InvalidUpload naming the first feature (and column) whose own values are too long:
    one longer than ``OWN_VALUE_MAX`` characters, or all of them more than
    ``OWN_VALUES_MAX`` (``shown``: each kept name as the file names it)."""
    for row, values in enumerate(kept, start=1):
        total = 0
        for name, value in values.items():
            if isinstance(value, str):
                size = len(value)
            elif isinstance(value, dict | list):  # a GeoJSON property's object or array
                size = len(json.dumps(value, ensure_ascii=False))
            else:
                size = 0
            if size > OWN_VALUE_MAX:
                raise InvalidUpload(
                    f"feature {row}: its {shown.get(name, name)!r} is {size:,} characters "
                    f"long; a column of the file's own keeps at most {OWN_VALUE_MAX:,} (as a "
                    "spreadsheet's cell does): shorten it, or leave the column out of the file"
                )
            total += size + len(name)
        if total > OWN_VALUES_MAX:
            raise InvalidUpload(
                f"feature {row}: the values of the file's own columns, with their names, are "
                f"{total:,} characters long together; ims keeps at most {OWN_VALUES_MAX:,} a "
                "feature: shorten them, or leave the columns you do not need out of the file"
            )


def _refuse_long_names(names: Sequence[str]) -> None:
    """InvalidUpload if a column of the file's own has a name longer than
    ``OWN_NAME_MAX`` characters, or all of them together more than ``OWN_NAMES_MAX``."""
    for name in names:
        if len(name) > OWN_NAME_MAX:
            raise InvalidUpload(
                f"the file's column {name[:60]!r}… has a name of {len(name):,} characters; "
                f"ims keeps columns of the file's own under names of at most {OWN_NAME_MAX} "
                "(each record holds them): rename it, or leave it out of the file"
            )
    total = sum(len(name) for name in names)
    if total > OWN_NAMES_MAX:
        raise InvalidUpload(
            f"the names of the file's {len(names):,} columns of its own are {total:,} "
            f"characters long together; ims keeps at most {OWN_NAMES_MAX:,} (each record "
            "holds them): shorten them, or leave the columns you do not need out of the file"
        )


def _dates_agree(cells: list[Any], order: str, target: str) -> None:
    """InvalidUpload if a cell of a date field can only be read in the other order than
    the mapping's (03/31/2024 with "day-first"): the file's 03/04/2024 would then be read
    wrongly without a word. A remembered order met a file written the other way (an
    attack on our own instance)."""
    for row, cell in enumerate(cells, start=1):
        parts = day_and_month(cell) if isinstance(cell, str) else None
        if parts is None:
            continue
        first, second, _ = parts
        other = second > 12 >= first if order == "day-first" else first > 12 >= second
        if other:
            said = "the day first" if order == "day-first" else "the month first"
            them = "month-first" if order == "day-first" else "day-first"
            raise InvalidUpload(
                f"the field mapping reads dates with {said}, but {target} of feature {row} "
                f"is {cell.strip()!r}, which can only be read the other way: say "
                f'"{them}" for this file (the upload page\'s "Dates in the file", --dates '
                f"{them}), or correct its dates"
            )


def _names(spec: str) -> list[str]:
    pieces = _pieces(spec, spec)
    return [] if pieces is None else [n for _, n, _ in pieces if n is not None]


def _render(pieces: Pieces, frame: Any, by_lower: dict[str, str], where: str) -> list[Any]:
    """A pattern filled in for each feature; None where a field it reads is blank."""
    cells = {
        name: frame[by_lower[name.lower()]].tolist()
        for _, name, _ in pieces
        if name is not None and name.lower() != ROW
    }
    out: list[Any] = []
    for i in range(len(frame)):
        text_parts: list[str] = []
        for literal, name, fmt in pieces:
            text_parts.append(literal)
            if name is None:
                continue
            value: Any = i + 1 if name.lower() == ROW else jsonable(cells[name][i])
            if value is None:
                text_parts = []
                break
            try:
                text_parts.append(format(value, fmt))
            except (TypeError, ValueError) as exc:
                raise InvalidRequest(
                    f"the mapping's {where}: feature {i + 1}: {value!r} cannot be written "
                    f"as {{{name}:{fmt}}} ({exc})"
                ) from None
        text = "".join(text_parts) if text_parts else None
        if text is not None and len(text) > FIELD_MAX:
            raise InvalidRequest(
                f"the mapping's {where}: feature {i + 1}: it makes a value of {len(text):,} "
                f"characters; a field of the template holds at most {FIELD_MAX:,}"
            )
        out.append(text)
    return out


# The most columns of its own a file may bring (not template fields): each is carried by
# every record, file and map reader of the register. A file of 1,500 made each page of the
# OGC API ten times larger and thirty times slower.
OWN_COLUMNS_MAX = 200
_CONTROL = re.compile("[\x00-\x1f\x7f]")


def own_names(columns: Sequence[str], reserved: Sequence[str] = ()) -> dict[str, str]:
    """The name each own column is kept under: its own, less any control character (no
    file format names a field with one, and a workbook cannot hold it), numbered where it
    would become another column's."""
    names: dict[str, str] = {}
    taken = {str(c).casefold() for c in reserved}
    for column in columns:
        if not _CONTROL.search(str(column)):
            names[column] = column
            taken.add(str(column).casefold())
    for column in columns:
        if column in names:
            continue
        plain = _CONTROL.sub("", str(column)).strip() or "column"
        name, n = plain, 1
        while name.casefold() in taken:
            n += 1
            name = f"{plain}_{n}"
        taken.add(name.casefold())
        names[column] = name
    return names


# The fields whose cells list munition types with quantities (TYPE:QTY;TYPE:QTY): a
# ``values`` map translates each type in them, as it would a cell of one code.
_LISTS = frozenset(f.name for f in (*HAZARDS, *RELEASES) if f.type is FieldType.QUANTITIES)


def _translate(
    column: Any, pairs: Mapping[str, Scalar | None], *, listing: bool = False
) -> list[Any]:
    """A column with its values replaced as a ``values`` map says; others unchanged.

    ``listing``: the cells are lists of TYPE:QTY, and each type is translated (a whole cell
    listed in the map first): `"values": {"munitions": {"BLU26": "BLU-26"}}` had matched
    whole cells only, so "BLU26:5;M-42:3" stayed unknown, the mapping silently of no use
    (found by a walk-through migrating legacy records)."""
    table = {_key(source): value for source, value in pairs.items()}
    cells = column.tolist() if isinstance(column, pd.Series) else list(column)
    if not listing:
        return [table.get(_key(v), v) if not blank(v) else v for v in cells]
    translated = []
    for row, v in enumerate(cells, start=1):
        cell = v if blank(v) else _codes(v, table)
        if isinstance(cell, str) and len(cell) > max(LIST_MAX, len(str(v))):
            raise InvalidUpload(
                f"feature {row}: its list of munitions is {len(cell):,} characters long once "
                f"the mapping's values translate it; at most {LIST_MAX:,}"
            )
        translated.append(cell)
    return translated


def _codes(cell: Any, table: Mapping[str, Scalar | None]) -> Any:
    """A TYPE:QTY;… cell with each type the map lists translated (the whole cell if listed)."""
    if _key(cell) in table:
        return table[_key(cell)]
    parts = []
    for part in str(cell).split(";"):
        code, sep, quantity = part.rpartition(":")
        if sep and _key(code) in table and table[_key(code)] is not None:
            parts.append(f"{table[_key(code)]}:{quantity.strip()}")
        else:
            parts.append(part)
    return ";".join(parts)


def fits(frame: Any, mapping: MappingDocument, file_names: dict[str, str] | None = None) -> bool:
    """Whether the file has every field a mapping reads from (by the names it has as read,
    or the file's own of those renamed: ``file_names``)."""
    columns = _columns_named([str(c) for c in frame.columns], file_names)
    return all(source.lower() in columns for source in mapping.sources())


@dataclass(frozen=True)
class Remembered:
    """A mapping remembered for an organisation's files of one kind (of those reading one
    set of columns)."""

    organisation: str
    kind: str
    mapping: MappingDocument
    updated_at: dt.datetime
    id: int | None = None  # its row: what "Forget it" names

    @property
    def clear_command(self) -> str:
        """The command that forgets it."""
        return f"ims mappings clear --org {shlex.quote(self.organisation)} --kind {self.kind}"

    def explained(self, *, used: bool) -> str:
        """Why a message concerns it, and how to give another or forget it."""
        what = (
            f"the field mapping remembered for {self.organisation}'s {self.kind} files since "
            f"{self.updated_at:%Y-%m-%d}, {self.mapping.text()},"
        )
        how = (
            "give another in the upload page's second step (or with --map or --mapping), or "
            f'forget it there with "Forget it" (or with: {self.clear_command})'
        )
        if used:
            return f"{what} was used: {how}"
        return f"{what} does not fit this file and was not used; {how}"


# An organisation's mappings of one kind kept at most: one for each way its files name their
# columns (an export of its own database, its field forms' export, a partner's sheet).
REMEMBERED_AT_MOST = 10


def _rows(session: Session, organisation: Organisation, kind: str) -> list[FieldMapping]:
    """The organisation's remembered mappings of ``kind``, the latest first."""
    return list(
        session.scalars(
            select(FieldMapping)
            .where(FieldMapping.organisation_id == organisation.id, FieldMapping.kind == kind)
            .order_by(FieldMapping.updated_at.desc(), FieldMapping.id.desc())
        )
    )


def _reads(mapping: MappingDocument) -> frozenset[str]:
    """The file's columns a mapping reads, whatever their case: what tells one of an
    organisation's file layouts from another."""
    return frozenset(name.casefold() for name in mapping.sources())


def reads_columns(mapping: MappingDocument) -> bool:
    """Whether a mapping reads any of a file's columns (one of a date order or constants
    alone fits every file)."""
    return bool(_reads(mapping))


def stored_mappings(
    session: Session, organisation: Organisation | None, kind: str
) -> list[Remembered]:
    """The field mappings an organisation gave for this kind of file, one for each set of
    columns they read, the latest first."""
    if organisation is None:
        return []
    return [
        Remembered(organisation.name, kind, from_stored(row.mapping), row.updated_at, row.id)
        for row in _rows(session, organisation, kind)
    ]


def stored_mapping(
    session: Session, organisation: Organisation | None, kind: str
) -> Remembered | None:
    """The field mapping an organisation gave last for this kind of file."""
    found = stored_mappings(session, organisation, kind)
    return found[0] if found else None


def chosen(
    frame: Any, remembered: Sequence[Remembered], file_names: dict[str, str] | None = None
) -> tuple[Remembered | None, bool]:
    """Of an organisation's remembered mappings, the one for this file and whether it fits:
    of those whose columns the file has (``fits``), the one reading most of them (the
    latest of equals); where none fits, the latest (which messages name), not fitting. One
    that holds only a coordinate system (kept for files in the template's own names,
    which need no mapping) reads no column: it is never the file's mapping."""
    mappings = [r for r in remembered if r.mapping]
    fitting = [r for r in mappings if fits(frame, r.mapping, file_names)]
    if fitting:
        return max(fitting, key=lambda r: (len(_reads(r.mapping)), r.updated_at)), True
    return (mappings[0] if mappings else None), False


def remembered_crs(
    frame: Any, remembered: Sequence[Remembered], file_names: dict[str, str] | None = None
) -> str | None:
    """The coordinate system remembered for a file (``frame``, as read) that declares none:
    that of the mapping it is read with (``chosen``); else the one kept for files in the
    template's own names; else, unless that one was forgotten, the latest any mapping
    holds. The latest alone had read a file of one mapping in the zone chosen for another
    kind of file, 532 m off and unsaid (helper-115)."""
    source = crs_source(frame, remembered, file_names)
    return source.mapping.crs if source is not None else None


def crs_source(
    frame: Any, remembered: Sequence[Remembered], file_names: dict[str, str] | None = None
) -> Remembered | None:
    """The remembered mapping whose coordinate system ``remembered_crs`` gives."""
    mapping, fits = chosen(frame, remembered, file_names)
    if fits and mapping is not None and mapping.mapping.crs:
        return mapping
    # the row that reads no column: a coordinate system kept alone, or one forgotten
    # (``clear_mappings``), after which no other mapping's is offered in its place
    alone = next((r for r in remembered if not r.mapping), None)
    if alone is not None:
        return alone if alone.mapping.crs else None
    return next((r for r in remembered if r.mapping.crs), None)


def remember_mapping(
    session: Session,
    org: Organisation,
    kind: str,
    mapping: MappingDocument,
    *,
    by: Actor | str | None = None,
) -> bool:
    """Keep ``mapping`` for the organisation's next files of KIND, in place of the one that
    reads the same columns (another set of columns is kept beside the others); whether it
    changed. Past REMEMBERED_AT_MOST, the least recent is forgotten."""
    rows = _rows(session, org, kind)
    row = next((r for r in rows if _reads(from_stored(r.mapping)) == _reads(mapping)), None)
    after = mapping.as_json()
    before = from_stored(row.mapping).as_json() if row is not None else None
    if before == after:
        return False
    if row is None:
        row = FieldMapping(organisation_id=org.id, kind=kind, mapping=after)
        session.add(row)
        for old in rows[REMEMBERED_AT_MOST - 1 :]:
            session.delete(old)
            audit.record(
                session,
                by,
                "field_mapping.cleared",
                "field_mapping",
                f"{org.name}/{kind}",
                before={"mapping": from_stored(old.mapping).as_json()},
                after={"why": f"more than {REMEMBERED_AT_MOST} remembered"},
            )
    else:
        row.mapping = after
        row.updated_at = func.now()
    audit.record(
        session,
        by,
        "field_mapping.remembered",
        "field_mapping",
        f"{org.name}/{kind}",
        before=None if before is None else {"mapping": before},
        after={"mapping": after},
    )
    session.flush()
    return True


def stored_like(
    session: Session, organisation: Organisation, kind: str, mapping: MappingDocument
) -> Remembered | None:
    """The organisation's remembered mapping that reads the same columns as ``mapping``."""
    return next(
        (
            r
            for r in stored_mappings(session, organisation, kind)
            if _reads(r.mapping) == _reads(mapping)
        ),
        None,
    )


def list_mappings(session: Session, organisation: Organisation | None = None) -> list[Remembered]:
    """Every remembered mapping (of one organisation, if given), by organisation and kind;
    not the mark a coordinate system forgotten alone leaves (``clear_mappings``)."""
    return [m for m in _every_row(session, organisation) if m.mapping or m.mapping.crs]


def _every_row(session: Session, organisation: Organisation | None) -> list[Remembered]:
    query = (
        select(FieldMapping, Organisation.name)
        .join(Organisation, Organisation.id == FieldMapping.organisation_id)
        .order_by(
            Organisation.name,
            FieldMapping.kind,
            FieldMapping.updated_at.desc(),
            FieldMapping.id.desc(),
        )
    )
    if organisation is not None:
        query = query.where(FieldMapping.organisation_id == organisation.id)
    return [
        Remembered(name, row.kind, from_stored(row.mapping), row.updated_at, row.id)
        for row, name in session.execute(query).all()
    ]


def forget_offered_crs(
    session: Session,
    organisation: Organisation,
    kind: str,
    *,
    by: Actor | str | None = None,
    shown: str | None = None,
) -> list[Remembered]:
    """Forget the coordinate system offered for the organisation's files of ``kind`` that
    no mapping reads (``crs_source``): the one kept alone, or where none is, the latest
    mapping's, which had been offered with no way to forget it but forgetting that mapping
    (helper-119). A mark is kept in its place (``clear_mappings``); the mapping keeps its
    own for the files it reads. Those forgotten: the one no longer offered.

    ``shown``: the one the page asking showed. If another is offered now (changed from
    another page since), nothing is forgotten and ``Conflict`` names both: the page had
    forgotten whichever was offered by then, not the one its button named."""
    if kind not in FIELDS:
        raise InvalidRequest(f"kind must be hazards or releases, not {kind!r}")
    rows = [m for m in _every_row(session, organisation) if m.kind == kind]
    # a mapping that reads no column (a date order, constants) fits every file, and is
    # the one such a file is read with: its CRS is taken off it, the rest kept (helper-121:
    # said forgotten, and offered still)
    readless = [m for m in rows if m.mapping and not _reads(m.mapping) and m.mapping.crs]
    alone = next((m for m in rows if not m.mapping), None)
    offered = next((m for m in rows if m.mapping.crs), None)
    if readless:
        now: str | None = readless[0].mapping.crs
    elif alone is not None:
        now = alone.mapping.crs
    else:
        now = offered.mapping.crs if offered is not None else None
    if shown and now and now.casefold() != shown.strip().casefold():
        raise Conflict(
            f"{now} is offered now for the organisation's files no mapping reads, not "
            f"{shown.strip()}, which this page showed (it was changed from another page "
            "since): nothing was forgotten; choose the file again to see what is offered"
        )
    if readless:
        for m in readless:
            session.execute(
                update(FieldMapping)
                .where(FieldMapping.id == m.id)
                .values(mapping=dataclasses.replace(m.mapping, crs=None).as_json())
            )
            _no_longer_offered(session, organisation, kind, m.mapping.crs, by)
        return [
            Remembered(
                organisation.name, kind, MappingDocument(crs=m.mapping.crs), m.updated_at, m.id
            )
            for m in readless
        ]
    if alone is not None:
        return clear_mappings(session, organisation, kind, only=alone.id, by=by)
    if offered is None:
        return []
    mark = FieldMapping(
        organisation_id=organisation.id, kind=kind, mapping=MappingDocument().as_json()
    )
    session.add(mark)
    session.flush()
    _no_longer_offered(session, organisation, kind, offered.mapping.crs, by)
    kept = MappingDocument(crs=offered.mapping.crs)
    return [Remembered(organisation.name, kind, kept, mark.updated_at, mark.id)]


def _no_longer_offered(
    session: Session, organisation: Organisation, kind: str, crs: str | None, by: Actor | str | None
) -> None:
    """Audit a coordinate system no longer offered for files no mapping reads."""
    audit.record(
        session,
        by,
        "field_mapping.cleared",
        "field_mapping",
        f"{organisation.name}/{kind}",
        before={"crs": crs},
        after={"why": "no longer offered for files that no mapping reads"},
    )


def clear_mappings(
    session: Session,
    organisation: Organisation,
    kind: str | None = None,
    *,
    only: int | None = None,
    by: Actor | str | None = None,
) -> list[Remembered]:
    """Forget the organisation's remembered mappings (of one kind, if given; ``only``: the
    one of that id, as the upload page shows it); those forgotten.

    A coordinate system kept alone (for files no mapping reads), forgotten by itself, is
    kept as forgotten, a row that reads nothing and holds none: deleted, the next such file
    had been offered the one another mapping holds, just after the upload page had said it
    was forgotten (helper-118). Choosing one again for such a file remembers it there."""
    if kind is not None and kind not in FIELDS:
        raise InvalidRequest(f"kind must be hazards or releases, not {kind!r}")
    rows = [
        m
        for m in _every_row(session, organisation)
        if (kind is None or m.kind == kind) and (only is None or m.id == only)
    ]
    marked = [m.id for m in rows if only is not None and not m.mapping]
    # (the mark itself, forgotten again from a page opened before: kept, or the other
    # mappings' coordinate systems came back, helper-119)
    if marked:
        session.execute(
            update(FieldMapping)
            .where(FieldMapping.id.in_(marked))
            .values(mapping=MappingDocument().as_json(), updated_at=func.now())
        )
    session.execute(
        delete(FieldMapping).where(FieldMapping.id.in_([m.id for m in rows if m.id not in marked]))
    )
    gone = [m for m in rows if m.mapping or m.mapping.crs]
    for m in gone:
        audit.record(
            session,
            by,
            "field_mapping.cleared",
            "field_mapping",
            f"{m.organisation}/{m.kind}",
            before={"mapping": m.mapping.as_json()},
        )
    return gone
