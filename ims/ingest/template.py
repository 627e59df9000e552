"""The canonical exchange template (docs/design.md §6): reading its fields into records."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from typing import Any

from ims.domain.enums import Contamination, HazardStatus, ReleaseMethod
from ims.domain.records import HazardChange, NewHazard, NewRelease
from ims.errors import InvalidRequest

HAZARD_FIELDS = ("hazard_id", "status", "contam", "recorded", "revised", "used_from",
                 "used_to", "munitions", "marked", "operator")  # fmt: skip
RELEASE_FIELDS = ("release_id", "hazard_id", "method", "released", "operator", "items",
                  "area_m2")  # fmt: skip


def blank(value: Any) -> bool:
    """Whether a cell is empty (None, NaN, NaT or only spaces)."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return str(value).strip() in ("", "NaT", "nan", "None")


def parse_quantities(value: Any, *, where: str) -> dict[str, int]:
    """Read ``TYPE:QTY;TYPE:QTY`` (e.g. ``BLU-26:120;M42:40``) into a dict."""
    if blank(value):
        return {}
    result: dict[str, int] = {}
    for part in str(value).split(";"):
        part = part.strip()
        if not part:
            continue
        code, sep, qty = part.rpartition(":")
        if not sep or not code.strip():
            raise InvalidRequest(f"{where}: {part!r} is not TYPE:QUANTITY")
        try:
            n = int(qty.strip())
        except ValueError:
            raise InvalidRequest(f"{where}: quantity {qty!r} of {code!r} is not a number") from None
        if n < 0:
            raise InvalidRequest(f"{where}: quantity of {code!r} is negative")
        result[code.strip()] = result.get(code.strip(), 0) + n
    return result


def parse_date(value: Any, *, where: str) -> dt.date | None:
    """Read an ISO 8601 date (or a date/datetime object); empty gives None."""
    if blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise InvalidRequest(f"{where}: {text!r} is not a date (use YYYY-MM-DD)") from None


def parse_year(value: Any, *, where: str) -> int | None:
    """Read a year of use; empty gives None."""
    if blank(value):
        return None
    try:
        year = int(float(value))
    except ValueError:
        raise InvalidRequest(f"{where}: {value!r} is not a year") from None
    if not 1900 <= year <= 2100:
        raise InvalidRequest(f"{where}: year {year} is out of range")
    return year


def _text(value: Any) -> str | None:
    return None if blank(value) else str(value).strip()


def hazard_records(frame: Any) -> Iterator[NewHazard | HazardChange]:
    """Turn a hazards frame in the template into new hazards and revisions, row by row."""
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        ref = _text(row.hazard_id)
        where = f"feature {i} ({ref or 'no hazard_id'})"
        if ref is None:
            raise InvalidRequest(f"{where}: hazard_id is required")
        revised = parse_date(getattr(row, "revised", None), where=f"{where}, revised")
        status_text = _text(getattr(row, "status", None))
        try:
            status = HazardStatus.parse(status_text) if status_text else None
            contam = Contamination.parse(_text(getattr(row, "contam", None)) or "")
        except ValueError as exc:
            raise InvalidRequest(f"{where}: {exc}") from None
        estimates = parse_quantities(getattr(row, "munitions", None), where=f"{where}, munitions")
        used_from = parse_year(getattr(row, "used_from", None), where=f"{where}, used_from")
        used_to = parse_year(getattr(row, "used_to", None), where=f"{where}, used_to")
        marked = parse_date(getattr(row, "marked", None), where=f"{where}, marked")
        operator = _text(getattr(row, "operator", None))
        if revised is None:
            recorded = parse_date(getattr(row, "recorded", None), where=f"{where}, recorded")
            if recorded is None:
                raise InvalidRequest(f"{where}: recorded (the date it was recorded) is required")
            if status is None:
                raise InvalidRequest(f"{where}: status is required (SHA or CHA)")
            yield NewHazard(ref, status, row.geometry, recorded, contam, used_from, used_to,
                            estimates, marked, operator)  # fmt: skip
        else:
            yield HazardChange(ref, revised, status, row.geometry, used_from, used_to,
                               estimates or None, marked, operator)  # fmt: skip


def release_records(frame: Any) -> Iterator[NewRelease]:
    """Turn a releases frame in the template into release records, row by row."""
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        ref = _text(row.release_id)
        where = f"feature {i} ({ref or 'no release_id'})"
        if ref is None:
            raise InvalidRequest(f"{where}: release_id is required")
        hazard = _text(getattr(row, "hazard_id", None))
        if hazard is None:
            raise InvalidRequest(f"{where}: hazard_id is required")
        try:
            method = ReleaseMethod.parse(_text(getattr(row, "method", None)) or "")
        except ValueError as exc:
            raise InvalidRequest(f"{where}: {exc}") from None
        released = parse_date(getattr(row, "released", None), where=f"{where}, released")
        if released is None:
            raise InvalidRequest(f"{where}: released (the completion date) is required")
        stated = getattr(row, "area_m2", None)
        yield NewRelease(
            ref, hazard, method, released, row.geometry, _text(getattr(row, "operator", None)),
            parse_quantities(getattr(row, "items", None), where=f"{where}, items"),
            None if stated is None or blank(stated) else float(stated),
        )  # fmt: skip
