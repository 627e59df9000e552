"""The Article 7 figures as sums of their changes (``report_change``, migration 0021).

Triggers on the ledger keep, per admin area, kind of contamination and figure, the sum of
the changes dated in each year (docs/decisions/0011). A figure on 31 December is the sum
over the years up to it, a figure over calendar years the sum over those years: a few rows
per admin area and figure, whatever the date, instead of every hazard's ledger. On any
other date the changes of the days between it and the nearer end of its year are added
or taken away; the database function ``ims_report_changes_between`` takes them from the
ledger of those days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

# Figures that hold on a date (summed from the beginning), and figures over a period.
ON_A_DATE = ("remaining", "open", "remnants", "used_from", "used_to")
OVER_A_PERIOD = ("released", "closed", "destroyed")


@dataclass(frozen=True)
class Days:
    """The changes dated ``first`` to ``last`` (inclusive), added (sign 1) or taken away."""

    sign: int
    first: dt.date
    last: dt.date


@dataclass(frozen=True)
class Sum:
    """How to sum the changes over the days after one date up to another: the whole years
    ``years`` (first and last, the first None from the beginning; None: no whole year)
    and days added or taken away."""

    years: tuple[int | None, int] | None
    days: tuple[Days, ...]


@dataclass(frozen=True)
class Change:
    """The sum of one figure's changes in an admin area over the days asked for."""

    admin_id: int | None
    figure: str
    code: str
    value: float
    records: int  # the estimates or release items summed (a quantity may be 0)


def _year_end(year: int) -> dt.date:
    return dt.date(year, 12, 31)


def _up_to(day: dt.date) -> tuple[int, Days]:
    """The changes up to ``day`` as whole years up to the returned one, plus or minus the
    days between ``day`` and the nearer end of its year (empty on 31 December)."""
    start, end = dt.date(day.year, 1, 1), _year_end(day.year)
    if (day - start).days + 1 < (end - day).days:
        return day.year - 1, Days(1, start, day)
    return day.year, Days(-1, day + dt.timedelta(days=1), end)


def plan(after: dt.date | None, through: dt.date) -> Sum | None:
    """How to sum the changes dated after ``after`` up to ``through`` (from the beginning
    when ``after`` is None), reading as few days as may be; None when there are no such
    days."""
    if after is not None and after >= through:
        return None
    last_year, end_days = _up_to(through)
    if after is None:
        return Sum((None, last_year), _some(end_days))
    if after.year == through.year:
        inside = Days(1, after + dt.timedelta(days=1), through)
        outside = (
            Days(-1, dt.date(after.year, 1, 1), after),
            Days(-1, through + dt.timedelta(days=1), _year_end(through.year)),
        )
        if (through - after).days <= sum((d.last - d.first).days + 1 for d in outside):
            return Sum(None, (inside,))
        return Sum((after.year, after.year), _some(*outside))
    before_year, start_days = _up_to(after)
    taken = Days(-start_days.sign, start_days.first, start_days.last)
    return Sum((before_year + 1, last_year), _some(taken, end_days))


def _some(*days: Days) -> tuple[Days, ...]:
    return tuple(d for d in days if d.first <= d.last)


def totals(
    session: Session,
    *,
    level: int,
    contam: str,
    figures: Sequence[str],
    after: dt.date | None,
    through: dt.date,
) -> list[Change]:
    """Each figure's changes summed per admin area and code over the days after ``after``
    up to ``through`` (None: from the beginning, i.e. the figure on ``through``)."""
    how = plan(after, through)
    if how is None:
        return []
    params: dict[str, object] = {
        "level": level,
        "contam": contam,
        "figures": list(figures),
    }
    wanted = "level = :level AND contam = :contam AND figure = ANY(:figures)"
    parts = []
    if how.years is not None:
        first, last = how.years
        since = "" if first is None else "AND year >= :first_year "
        params |= {"first_year": first, "last_year": last}
        parts.append(
            "SELECT admin_id, figure, code, value, records FROM report_change "
            f"WHERE {wanted} {since}AND year <= :last_year"
        )
    for i, days in enumerate(how.days):
        params |= {f"sign{i}": days.sign, f"first{i}": days.first, f"last{i}": days.last}
        parts.append(
            f"SELECT admin_id, figure, code, :sign{i} * value AS value, "
            f":sign{i} * records AS records "
            f"FROM ims_report_changes_between(:first{i}, :last{i}, CAST(:level AS smallint), "
            ":contam) WHERE figure = ANY(:figures)"
        )
    rows = session.execute(
        text(
            "SELECT admin_id, figure, code, sum(value), sum(records) "
            f"FROM ({' UNION ALL '.join(parts)}) c GROUP BY admin_id, figure, code"
        ),
        params,
    ).all()
    return [
        Change(admin_id, figure, code, float(value), int(records))
        for admin_id, figure, code, value, records in rows
    ]
