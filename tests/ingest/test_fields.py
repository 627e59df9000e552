"""The table of exchange fields (ims.ingest.fields) says what docs/design.md §6 says."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ims.errors import InvalidRequest
from ims.ingest.fields import (
    HAZARDS,
    RELEASES,
    Field,
    Required,
    blank,
    column_cells,
    parse_date,
    reorder_date,
)

DESIGN = Path(__file__).resolve().parents[2] / "docs" / "design.md"


def documented() -> dict[str, list[tuple[str, str]]]:
    """(field, meaning) rows of §6's two tables, a row naming two fields giving both."""
    section = DESIGN.read_text(encoding="utf-8").split("\n## 6.")[1].split("\n## ")[0]
    hazards, releases = section.split("\nReleases")
    tables = {}
    for kind, part in (("hazards", hazards), ("releases", releases)):
        rows = re.findall(r"^\| (`[^|]+`) \| (.+) \|$", part, re.MULTILINE)
        tables[kind] = [
            (name, meaning) for names, meaning in rows for name in re.findall(r"`(\w+)`", names)
        ]
    return tables


@pytest.mark.parametrize(("kind", "fields"), [("hazards", HAZARDS), ("releases", RELEASES)])
def test_design_lists_the_fields_of_the_table_in_order(
    kind: str, fields: tuple[Field, ...]
) -> None:
    assert [name for name, _ in documented()[kind]] == [f.name for f in fields]


@pytest.mark.parametrize(("kind", "fields"), [("hazards", HAZARDS), ("releases", RELEASES)])
def test_design_says_which_fields_are_required(kind: str, fields: tuple[Field, ...]) -> None:
    said = {}
    for name, meaning in documented()[kind]:
        if "required for a new hazard" in meaning:
            said[name] = Required.NEW_HAZARD
        elif "required" in meaning:
            said[name] = Required.ALWAYS
        else:
            said[name] = Required.NO
    assert said == {f.name: f.required for f in fields}


def test_code_fields_allow_the_values_of_their_enumeration() -> None:
    allowed = {f.name: f.allowed for f in HAZARDS + RELEASES if f.allowed}
    assert allowed == {
        "status": ("SHA", "CHA"),
        "contam": ("CMR", "APM", "ATM", "ERW"),
        "method": ("cancelled", "reduced", "cleared"),
    }


def test_a_columns_cells_are_read_as_to_dict_reads_them() -> None:
    frame = pd.DataFrame(
        {
            "text": ["x", None, "z"],
            "number": [1.0, np.nan, 3.5],
            "day": pd.to_datetime(["2020-01-01", None, "2021-02-03"]),
            "nullable": pd.array([1, None, 3], dtype="Int64"),
            "string": pd.array(["p", None, "q"], dtype="string"),
        }
    )
    rows = frame.to_dict("records")
    for name in frame.columns:
        for cell, want in zip(column_cells(frame[name]), (r[name] for r in rows), strict=True):
            assert type(cell) is type(want) and (cell == want or (blank(cell) and blank(want)))
    assert column_cells(frame["nullable"])[1] is None and blank(pd.NA)


def test_a_quantity_with_no_type_says_so_in_the_forms_words() -> None:
    """The record form's row with a number and no type had said "':5' is not
    TYPE:QUANTITY", on a form with a type and a quantity box (a first-time user's review)."""
    from ims.errors import InvalidRequest
    from ims.ingest.fields import parse_quantities

    with pytest.raises(InvalidRequest) as caught:
        parse_quantities("BLU-26:3;:5", where="munitions")
    assert caught.value.detail == "munitions: a quantity (5) with no type: give its type"
    with pytest.raises(InvalidRequest, match="is not TYPE:QUANTITY"):
        parse_quantities("BLU-26", where="munitions")
    assert parse_quantities("BLU-26:3;M42:2", where="munitions") == {"BLU-26": 3, "M42": 2}


def test_every_quantity_that_cannot_be_read_is_said_in_one_error() -> None:
    """A form's rows had been told one at a time: the second row's error came once the
    first was put right (a first-time user's review)."""
    from ims.errors import InvalidRequest
    from ims.ingest.fields import parse_quantities

    with pytest.raises(InvalidRequest) as caught:
        parse_quantities("BLU-26:3;:5;M42:x;M46:", where="munitions")
    assert caught.value.detail == (
        "munitions: a quantity (5) with no type: give its type; quantity 'x' of 'M42' is not "
        "a number; 'M46' has no quantity: give how many, as in M46:3"
    )
    assert parse_quantities(" BLU-26 : 3 ; BLU-26:2", where="munitions") == {"BLU-26": 5}


@pytest.mark.parametrize(
    "written",
    ["2025-06-011", "2025-06-01T99:99", "2025-06-01 garbage", "2025-06-01T24:00", "2025-06-0112"],
)
def test_a_date_followed_by_anything_but_a_time_is_refused(written: str) -> None:
    """Read by its first ten characters, "2025-06-011" had been recorded as 2025-06-01
    without a finding (a new user's review)."""
    with pytest.raises(InvalidRequest, match="is not a date"):
        parse_date(written, where="feature 1, field recorded")


@pytest.mark.parametrize(
    "written",
    [
        "2025-06-01",
        "2025-06-01T14:30",
        "2025-06-01 14:30:05.123",
        "2025-06-01T00:00:00.000000000",  # numpy's
        "2025-06-01T14:30:05Z",
        "2025-06-01T23:30-05:00",  # the date as written, not moved to UTC
        "2025-06-01 2:30 PM",
        "2025/06/01 10:00:00",  # as GDAL writes a KML's
        "2025-06-01 00:00:00 UTC",  # as some databases export
        "2025-06-01 14:30:00 GMT",
    ],
)
def test_a_date_with_a_time_of_day_is_read_as_the_date_written(written: str) -> None:
    assert parse_date(written, where="f") == dt.date(2025, 6, 1)


@pytest.mark.parametrize(
    ("written", "order", "said"),
    [
        ("13/13/2025", "day-first", "read with the day first, as the file's field mapping "
         "says, it names month 13, and a year has 12"),
        ("6/31/2025", "month-first", "read with the month first, as the file's field mapping "
         "says, it names day 31 of month 6, which has 30 in 2025"),
        ("29/02/2023", "day-first", "it names day 29 of month 2, which has 28 in 2023"),
    ],
)  # fmt: skip
def test_a_date_that_names_no_day_in_the_mappings_order_is_told_in_that_order(
    written: str, order: str, said: str
) -> None:
    """Under a day-first mapping, 13/13/2025 was told "with the day first it names no day;
    with the month first it names no day", and to give the order the mapping gave (a
    review of our own change)."""
    with pytest.raises(InvalidRequest) as told:
        parse_date(reorder_date(written, order), where="feature 1, field recorded")
    assert said in told.value.detail and "--dates" not in told.value.detail
    assert parse_date(reorder_date("1/6/2025", order), where="f") in (
        dt.date(2025, 6, 1),
        dt.date(2025, 1, 6),
    )


@pytest.mark.parametrize(
    ("written", "day"),
    [("09/09/2021", dt.date(2021, 9, 9)), ("1.1.2020", dt.date(2020, 1, 1)),
     ("12-12-2019 14:30", dt.date(2019, 12, 12))],
)  # fmt: skip
def test_a_date_that_reads_the_same_either_way_round_needs_no_order(
    written: str, day: dt.date
) -> None:
    """09/09/2021 had been refused as ambiguous, "with the day first it is 2021-09-09; with
    the month first it is 2021-09-09" (a legacy migration's review, helper-99)."""
    assert parse_date(written, where="f") == day
    with pytest.raises(InvalidRequest, match="with the day first it is 2021-09-10"):
        parse_date("10/09/2021", where="f")  # two days: still refused without an order
    with pytest.raises(InvalidRequest, match="names no day"):
        parse_date("31/31/2021", where="f")
