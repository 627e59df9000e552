"""The exchange template's fields (docs/design.md §6): one table, and how each type is read.

Every part of ims that knows the template takes its fields from here: the blank template
files (``blank_template``), validation (``validate``), turning rows into records
(``records``) and the sample data generator (``ims.sample``). A field has a name (at most
10 characters, the limit of shapefiles), a type, whether it is required, its allowed
values (a code field) and what it means.

The parsers below read one cell of a type; a value that cannot be read raises
``InvalidRequest`` saying where.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import numpy as np
import pandas as pd

from ims.domain.enums import Contamination, HazardStatus, ReleaseMethod, UploadKind
from ims.errors import InvalidRequest

REFERENCE_MAX = 100  # characters of a hazard or release reference (the database's limit)


class FieldType(StrEnum):
    """What a field holds, and so how a cell of it is read and stored in a file."""

    REFERENCE = "reference"  # text of at most REFERENCE_MAX characters, none invisible
    CODE = "code"  # one of the field's allowed values (operators' synonyms accepted)
    DATE = "date"  # ISO 8601 text, YYYY-MM-DD (shapefiles have no reliable date type)
    YEAR = "year"  # a year of use, 1900–2100
    QUANTITIES = "quantities"  # TYPE:QTY;TYPE:QTY, types from the munition reference list
    ORGANISATION = "organisation"  # a name from the reference list of organisations
    NUMBER = "number"


class Required(StrEnum):
    """Whether a feature must give a field a value."""

    ALWAYS = "always"
    NEW_HAZARD = "new hazard"  # a hazard's first feature (no `revised` date), not a revision
    NO = "no"


Codes = type[HazardStatus] | type[Contamination] | type[ReleaseMethod]


@dataclass(frozen=True)
class Field:
    """One field of the exchange template."""

    name: str
    type: FieldType
    required: Required
    description: str
    codes: Codes | None = None  # a code field's allowed values

    @property
    def allowed(self) -> tuple[str, ...]:
        """The values a code field stores (empty for other types)."""
        return tuple(code.value for code in self.codes) if self.codes is not None else ()

    def is_required(self, *, new: bool = True) -> bool:
        """Whether a feature must give a value; ``new``: it records a new hazard."""
        return self.required is Required.ALWAYS or (self.required is Required.NEW_HAZARD and new)

    def parse_code(self, text: str) -> StrEnum:
        """A code field's value as written by an operator (synonyms and any case accepted)."""
        if self.codes is None:
            raise TypeError(f"{self.name} is not a code field")
        return self.codes.parse(text)


_T = FieldType
HAZARDS: Final = (
    Field(
        "hazard_id",
        _T.REFERENCE,
        Required.ALWAYS,
        "national reference, unique, at most 100 characters",
    ),
    Field(
        "status",
        _T.CODE,
        Required.NEW_HAZARD,
        "SHA or CHA (suspected/confirmed, any case)",
        HazardStatus,
    ),
    Field("contam", _T.CODE, Required.NO, "CMR (default), APM, ATM, ERW", Contamination),
    Field("recorded", _T.DATE, Required.NEW_HAZARD, "date the area was recorded"),
    Field(
        "revised",
        _T.DATE,
        Required.NO,
        "for a hazard already recorded: the date this revision takes effect",
    ),
    Field(
        "used_from",
        _T.YEAR,
        Required.NO,
        "first year of use, where known (a revision: (none) empties it)",
    ),
    Field(
        "used_to",
        _T.YEAR,
        Required.NO,
        "last year of use, where known (a revision: (none) empties it)",
    ),
    Field(
        "munitions",
        _T.QUANTITIES,
        Required.NO,
        "estimated remnants, TYPE:QTY;TYPE:QTY (a revision: (none) empties them)",
    ),
    Field("marked", _T.DATE, Required.NO, "date marked or fenced (a revision: (none) empties it)"),
    Field("operator", _T.ORGANISATION, Required.NO, "the recording organisation"),
)
RELEASES: Final = (
    Field("release_id", _T.REFERENCE, Required.ALWAYS, "unique reference"),
    Field(
        "hazard_id",
        _T.REFERENCE,
        Required.NO,
        "the hazard the land is released from; left empty, the release is matched to the "
        "hazards it lies on and split among them",
    ),
    Field(
        "method",
        _T.CODE,
        Required.ALWAYS,
        "cancelled, reduced or cleared (NTS, TS, clearance)",
        ReleaseMethod,
    ),
    Field("released", _T.DATE, Required.ALWAYS, "completion date"),
    Field("operator", _T.ORGANISATION, Required.NO, "the organisation that did the work"),
    Field("items", _T.QUANTITIES, Required.NO, "remnants found and destroyed, TYPE:QTY;…"),
    Field(
        "area_m2", _T.NUMBER, Required.NO, "the operator's stated area (compared, never counted)"
    ),
    Field(
        "contam",
        _T.CODE,
        Required.NO,
        "CMR (default), APM, ATM, ERW: for land released outside every recorded hazard",
        Contamination,
    ),
)
TEMPLATES: Final = {"hazards": HAZARDS, "releases": RELEASES}

HAZARD_FIELDS: Final = tuple(f.name for f in HAZARDS)
RELEASE_FIELDS: Final = tuple(f.name for f in RELEASES)


def by_folded_name(
    columns: Iterable[str], fold: Callable[[str], str] = str.lower
) -> dict[str, str]:
    """A file's columns by their names in one case: a column named exactly so (as the
    template's fields are, in lower case) before one that differs in case, else the first.
    Of "status" and "Status", the later had been read as the field, the exact one kept as
    the records' own column (a GIS user's review)."""
    found: dict[str, str] = {}
    for column in columns:
        key = fold(column)
        if key not in found or (column == key and found[key] != key):
            found[key] = column
    return found


def by_name(fields: tuple[Field, ...]) -> dict[str, Field]:
    """A template's fields by name."""
    return {f.name: f for f in fields}


# --------------------------------------------------------------------------- reading cells


BLANK_TEXT: Final = frozenset(("", "NaT", "nan", "None", "<NA>"))  # an empty cell as text

# A revision keeps, of what it leaves blank, the value in force; "(none)" in one of these
# fields empties it on purpose (a mark recorded in error, estimates withdrawn). A word of
# its own, not a blank nor "None", which files write for an empty cell.
# The name ims's own files (the register's) give a template field: read back as that
# field, and said nowhere (ims.ingest.field_maps.own_column, ims.ingest.tables.form_export).
OWN_EXPORT_NAMES: Final[dict[str, dict[str, str]]] = {
    "hazards": {"contam": "contamination"},
    "releases": {"contam": "contamination"},
}
CLEARABLE: Final = ("used_from", "used_to", "munitions", "marked")


def blank(value: Any) -> bool:
    """Whether a cell is empty (None, NaN, NaT or only spaces)."""
    if value is None:
        return True
    if type(value) is str:  # most cells: the shorter path
        return value.strip() in BLANK_TEXT
    if isinstance(value, float):
        return math.isnan(value)  # no other float prints as blank text
    return str(value).strip() in BLANK_TEXT


def column_cells(column: Any) -> list[Any]:
    """A pandas column's cells as Python values, read at once (to_dict boxes each cell,
    a second on a national file); a missing one None, as to_dict gives it."""
    values: list[Any] = column.tolist()
    if isinstance(column.dtype, np.dtype):
        return values  # numpy's own: NaN and NaT stand for missing, as before
    return [None if v is pd.NA else v for v in values]  # a nullable type's NA


def cell_text(value: Any) -> str | None:
    """A cell as trimmed text; empty gives None. A whole number in a numeric column (a
    shapefile's Real field of hazard ids) reads as the number, 2001, not "2001.0": the
    review had shown 2001 and the hazard was recorded as 2001.0 (helper-90)."""
    if blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_quantities(value: Any, *, where: str) -> dict[str, int]:
    """Read ``TYPE:QTY;TYPE:QTY`` (e.g. ``BLU-26:120;M42:40``) into a dict. Every part
    that cannot be read is said, in one error: a form's rows had been told one at a time."""
    if blank(value):
        return {}
    result: dict[str, int] = {}
    problems: list[str] = []
    for part in str(value).split(";"):
        part = part.strip()
        if not part:
            continue
        code, sep, qty = (s.strip() for s in part.rpartition(":"))
        if sep and not code and qty:  # a form's row with a number and no type
            problems.append(f"a quantity ({qty}) with no type: give its type")
        elif not sep or not code:
            problems.append(f"{part!r} is not TYPE:QUANTITY (e.g. BLU-26:12)")
        elif not qty:
            problems.append(f"{code!r} has no quantity: give how many, as in {code}:3")
        elif not re.fullmatch(r"[+-]?\d+", qty):
            problems.append(f"quantity {qty!r} of {code!r} is not a number")
        elif int(qty) < 0:
            problems.append(f"quantity of {code!r} is negative")
        else:
            result[code] = result.get(code, 0) + int(qty)
            if result[code] > QUANTITY_MAX:
                problems.append(
                    f"{result[code]:,} of {code!r} is more than a record holds "
                    f"({QUANTITY_MAX:,}); check the figure"
                )
    if problems:
        raise InvalidRequest(f"{where}: {'; '.join(problems)}")
    return result


# The most items of one type a record holds (the database's integer): a larger figure had
# passed the checks and failed the approval with an internal error.
QUANTITY_MAX = 2_147_483_647


def parse_date(value: Any, *, where: str) -> dt.date | None:
    """Read an ISO 8601 date (or a date/datetime object); empty gives None."""
    if blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, NoSuchDay):
        raise InvalidRequest(f"{where}: {value.said()}")
    text = str(value).strip()
    # the year first, with slashes: as GDAL writes a date into KML (and QGIS through it), and
    # as unambiguous as ISO; a day or month first only where the mapping says which
    iso = text[:10].replace("/", "-") if _YEAR_FIRST.match(text) else text[:10]
    try:
        day = dt.date.fromisoformat(iso)
    except ValueError:
        pass
    else:
        # what follows the date is a time of day or nothing: "2025-06-011" and
        # "2025-06-01 garbage" had been read as 2025-06-01 without a word
        if _is_time(text[10:]):
            return day
        raise InvalidRequest(
            f"{where}: {text!r} is not a date (use YYYY-MM-DD, a time after it if any)"
        )
    parts = day_and_month(text)
    if parts is not None:
        first, second, year = parts
        if first == second:
            # the same day whichever comes first (09/09/2021): nothing to guess, and it had
            # been refused, "with the day first it is 2021-09-09; with the month first it
            # is 2021-09-09" (a legacy migration's review, helper-99)
            with contextlib.suppress(ValueError):
                return dt.date(year, first, first)
        raise InvalidRequest(f"{where}: {text!r} {_read_as(*parts)}") from None
    if _SHORT_YEAR.match(text):
        raise InvalidRequest(
            f"{where}: {text!r} gives the year in two digits, which could be of either "
            "century: write it in full (31/03/2024, or 2024-03-31)"
        ) from None
    if (long_year := _LONG_YEAR.match(text)) is not None:
        # a day-first file's typo had been told to use YYYY-MM-DD, as if its order were wrong
        raise InvalidRequest(
            f"{where}: {text!r} is not a date: its year, {long_year.group(2)}, has "
            f"{len(long_year.group(2))} digits"
        ) from None
    raise InvalidRequest(f"{where}: {text!r} is not a date (use YYYY-MM-DD)") from None


_YEAR_FIRST = re.compile(r"^\d{4}/\d{2}/\d{2}\b")
# A time after an ISO date, as databases, GDAL and spreadsheets write one: "T14:30",
# " 14:30:05.123", "T14:30:05Z", "T14:30+07:00", " 2:30 PM", " 00:00:00 UTC"; the date is
# the one written.
_TIME = re.compile(
    r"^(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*([AaPp][Mm])?"
    r"\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?)?$"
)


def _is_time(rest: str) -> bool:
    """Whether ``rest``, what follows a date, is nothing or a time of day."""
    found = _TIME.match(rest.rstrip())
    if found is None:
        return False
    if found.group(1) is None:
        return True
    hour, minute, second = int(found.group(1)), int(found.group(2)), int(found.group(3) or 0)
    hours = range(1, 13) if found.group(4) else range(24)
    return hour in hours and minute < 60 and second < 61


# How a file writes its dates, as its field mapping says ("dates"; docs/design.md §6):
# ISO 8601, the year first, is read whatever it says; 31/12/2024 (or 31.12.2024,
# 31-12-2024) only with "day-first", 12/31/2024 only with "month-first". Legacy
# spreadsheets saved as CSV write dates as their computer's locale did, and 03/04/2024 is
# two different days: ims never guesses which.
DATE_ORDERS: Final = ("day-first", "month-first")
# a time after it is allowed, as a spreadsheet writes one (14:30, 2:30 PM)
_DAY_MONTH = re.compile(
    r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?)?$"
)
_SHORT_YEAR = re.compile(r"^\d{1,2}([/.-])\d{1,2}\1\d{2}(?:\s.*)?$")
_LONG_YEAR = re.compile(r"^\d{1,2}([/.-])\d{1,2}\1(\d{5,})(?:\s.*)?$")


def _read_as(first: int, second: int, year: int) -> str:
    """What a cell written NN/NN/YYYY that was not read would be, each way round."""
    ways = []
    for order, (day, month) in (("day", (first, second)), ("month", (second, first))):
        try:
            ways.append(f"with the {order} first it is {dt.date(year, month, day)}")
        except ValueError:
            ways.append(f"with the {order} first it names no day")
    return (
        f"is not a date ims reads ({'; '.join(ways)}): the year comes first (YYYY-MM-DD), "
        "or the day or the month first where the file's field mapping says which, and "
        'this cell then agrees ("Dates in the file" on the upload page, "dates": '
        '"day-first" in a mapping document, --dates day-first on the command line)'
    )


def day_and_month(text: str) -> tuple[int, int, int] | None:
    """The two leading numbers and the year of a date written ``NN/NN/YYYY`` (``/``, ``.``
    or ``-``, a time after it allowed), or None for any other text."""
    found = _DAY_MONTH.match(text.strip())
    if found is None:
        return None
    return int(found.group(1)), int(found.group(3)), int(found.group(4))


def reorder_date(value: Any, order: str) -> Any:
    """A cell written with the day (or month) first, as ``order`` says, in ISO 8601; any
    other cell as it is, for validation to judge (31/02/2024 too: it names no day)."""
    if not isinstance(value, str):
        return value
    parts = day_and_month(value)
    if parts is None:
        return value
    first, second, year = parts
    day, month = (first, second) if order == "day-first" else (second, first)
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return NoSuchDay(value, order, day, month, year)


class NoSuchDay(str):
    """A cell written NN/NN/YYYY that names no day in the order its file's mapping gives:
    it is said so, in that order (13/13/2025 read day first had been told "with the day
    first it names no day; with the month first it names no day", and to give the order
    the mapping already gave: a review of our own change)."""

    order: str
    day: int
    month: int
    year: int

    def __new__(cls, text: str, order: str, day: int, month: int, year: int) -> NoSuchDay:
        made = super().__new__(cls, text)
        made.order, made.day, made.month, made.year = order, day, month, year
        return made

    def said(self) -> str:
        """Why it is no date, in the mapping's order."""
        first = "day" if self.order == "day-first" else "month"
        if not 1 <= self.month <= 12:
            wrong = f"month {self.month}, and a year has 12"
        else:
            days = calendar.monthrange(self.year, self.month)[1]
            wrong = f"day {self.day} of month {self.month}, which has {days} in {self.year}"
        return (
            f"{str(self)!r} is not a date: read with the {first} first, as the file's field "
            f"mapping says, it names {wrong}"
        )


def parse_year(value: Any, *, where: str) -> int | None:
    """Read a year of use; empty gives None."""
    if blank(value):
        return None
    try:
        number = float(value)
        year = int(number)
    except (ValueError, OverflowError):  # "1e400" and "inf" are floats no year is
        raise InvalidRequest(f"{where}: {value!r} is not a year") from None
    if number != year:  # 1973.5 had been kept as 1973 without a word (helper-90)
        raise InvalidRequest(f"{where}: {value!r} is not a whole year")
    if not 1900 <= year <= 2100:
        raise InvalidRequest(f"{where}: year {year} is out of range (1900 to 2100)")
    return year


# Fields only the other kind of file has: a file holding two or more of them was most likely
# sent as the wrong kind (its errors then say "status is required", not why).
_OWN_FIELDS: Final = {
    UploadKind.HAZARDS: ("status", "recorded", "revised", "munitions", "marked"),
    UploadKind.RELEASES: ("release_id", "method", "released", "items"),
}


def looks_like_other_kind(kind: str, columns: Iterable[object]) -> tuple[str, list[str]] | None:
    """The other kind, with its own fields the file has, when a file chosen as ``kind``
    looks like a file of the other kind; or None."""
    other = UploadKind.RELEASES if kind == UploadKind.HAZARDS else UploadKind.HAZARDS
    names = {str(c).strip().lower() for c in columns}
    theirs = [f for f in _OWN_FIELDS[other] if f in names]
    ours = [f for f in _OWN_FIELDS[UploadKind(kind)] if f in names]
    if len(theirs) < 2 or len(ours) >= len(theirs):
        return None
    return other.value, theirs


def other_kind_said(kind: str, columns: Iterable[object]) -> str | None:
    """Why an upload of ``kind`` looks like a file of the other kind, or None: a finding of
    the upload (the upload page says it earlier, when the file's columns are read)."""
    looks = looks_like_other_kind(kind, columns)
    if looks is None:
        return None
    other, theirs = looks
    return (
        f"this looks like a file of {other} ({', '.join(theirs)}), uploaded as "
        f"{kind}: if so, upload it again as {other}"
    )
