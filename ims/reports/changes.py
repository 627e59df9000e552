"""The Article 7 figures as sums of their changes (``report_change``, migration 0020).

Triggers on the ledger keep, per admin area, kind of contamination and figure, the sum of
the changes dated in each year and in each month (docs/decisions/0011). A figure on a date
is the sum over the whole years and whole months up to it, and over the changes of the
days of its month, which the database function ``ims_report_changes_between`` takes from
the ledger of those days; over a period, the sum over those within it. A few dozen rows
per admin area and figure, whatever the date, instead of every hazard's ledger.
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
class Span:
    """Consecutive buckets of one kind: the years (months, days) starting first…last."""

    kind: str  # 'year' or 'month', as report_change.span, or 'day'
    first: dt.date
    last: dt.date


@dataclass(frozen=True)
class Change:
    """The sum of one figure's changes in an admin area over the days asked for."""

    admin_id: int | None
    figure: str
    code: str
    value: float
    records: int  # the estimates or release items summed (a quantity may be 0)


def _month_end(day: dt.date) -> dt.date:
    following = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def spans(after: dt.date | None, through: dt.date) -> list[Span]:
    """The whole years, whole months and single days that make up exactly the days after
    ``after`` up to ``through`` (from the beginning when ``after`` is None), each kind in
    runs of consecutive buckets: at most five runs."""
    runs: list[Span] = []

    def take(kind: str, start: dt.date) -> None:
        if runs and runs[-1].kind == kind:
            runs[-1] = Span(kind, runs[-1].first, start)
        else:
            runs.append(Span(kind, start, start))

    if after is None:
        year_ends = (through.month, through.day) == (12, 31)
        full_years_to = through.year if year_ends else through.year - 1
        if full_years_to >= dt.MINYEAR:
            runs.append(Span("year", dt.date.min, dt.date(full_years_to, 1, 1)))
        if full_years_to >= dt.MAXYEAR:
            return runs
        day = dt.date(full_years_to + 1, 1, 1)
    elif after >= through:
        return runs
    else:
        day = after + dt.timedelta(days=1)
    while day <= through:
        if (day.month, day.day) == (1, 1) and dt.date(day.year, 12, 31) <= through:
            take("year", day)
            if day.year == dt.MAXYEAR:
                break
            day = dt.date(day.year + 1, 1, 1)
        elif day.day == 1 and _month_end(day) <= through:
            take("month", day)
            day = _month_end(day) + dt.timedelta(days=1)
        else:
            take("day", day)
            day += dt.timedelta(days=1)
    return runs


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
    runs = spans(after, through)
    if not runs:
        return []
    params: dict[str, object] = {"level": level, "contam": contam, "figures": list(figures)}
    kept = []
    parts = []
    for i, run in enumerate(runs):
        params |= {f"kind{i}": run.kind, f"first{i}": run.first, f"last{i}": run.last}
        if run.kind == "day":
            parts.append(
                "SELECT admin_id, figure, code, value, records "
                f"FROM ims_report_changes_between(:first{i}, :last{i}) "
                "WHERE level = :level AND contam = :contam AND figure = ANY(:figures)"
            )
        else:
            kept.append(f"(span = :kind{i} AND start BETWEEN :first{i} AND :last{i})")
    if kept:
        parts.append(
            "SELECT admin_id, figure, code, value, records FROM report_change "
            "WHERE level = :level AND contam = :contam AND figure = ANY(:figures) "
            f"AND ({' OR '.join(kept)})"
        )
    rows = session.execute(
        text(
            "SELECT admin_id, figure, code, sum(value), sum(records) "
            f"FROM ({' UNION ALL '.join(parts)}) c GROUP BY admin_id, figure, code"
        ),
        params,
    )
    return [
        Change(admin_id, figure, code, float(value), int(records))
        for admin_id, figure, code, value, records in rows
    ]
