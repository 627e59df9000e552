"""The formats a report comes in: which writer makes each one, its media type, its file name.

``ims report`` and ``/api/v1/reports`` both choose the writer here, so a report reads the
same whichever way it is asked for (docs/design.md §3, §7). The writers themselves stay
with their reports: ``export`` for Article 7, ``progress`` for the series, ``tables`` for
ranked hazards.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ims.errors import InvalidRequest
from ims.reports import export
from ims.reports.documents import Article7Report, published
from ims.reports.progress import series_csv, series_png
from ims.reports.tables import rows_csv, rows_xlsx

MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "png": "image/png",
}
# Bytes, not text: they go to a file, never to a terminal.
BINARY = frozenset({"xlsx", "pdf", "png"})

ARTICLE7 = ("json", "csv", "html", "xlsx", "pdf")
PROGRESS = ("json", "csv", "png")
PRIORITIES = ("json", "csv", "xlsx")
TABLES = ("json", "csv", "xlsx")  # a report of rows: Action 18's marking, Action 19's work plan


@dataclass(frozen=True)
class Rendered:
    """A report written in one format."""

    fmt: str
    content: str | bytes
    # The name to save it under; None where it is shown rather than saved.
    filename: str | None = None
    # shown in the browser (HTML, a chart), under ``filename`` when it is saved
    inline: bool = False

    @property
    def media_type(self) -> str:
        """The content's media type (with its charset for text)."""
        return MEDIA_TYPES[self.fmt]


def check(fmt: str, formats: Sequence[str]) -> None:
    """Refuse a format the report does not come in, naming those it does."""
    if fmt in formats:
        return
    # Three read as a sentence ("json, csv or png"), more as a list ("one of json, …").
    if len(formats) <= 3:
        listed = f"{', '.join(formats[:-1])} or {formats[-1]}"
    else:
        listed = f"one of {', '.join(formats)}"
    raise InvalidRequest(f"unknown format {fmt!r}: use {listed}")


def article7_filename(report: dict[str, Any], fmt: str, table: str | None = None) -> str:
    """The name an Article 7 report's file is saved under: its year (and the day of a year
    so far), kind, admin level, whether as finalised, and the one table it holds."""
    # The scope in the name: the provinces' CMR tables and the districts' ERW ones were
    # both saved as article7-2025.xlsx, and the wrong one could be sent.
    areas = {1: "provinces", 2: "districts"}.get(report.get("level", 1), "areas")
    # the report as finalised and today's are two files a user keeps side by side
    then = "-as-finalised" if (report.get("history") or {}).get("as_finalised") else ""
    alone = f"-form-{table}" if table else ""
    # the year so far is named so: a file of 2026 made on 6 December had looked like the
    # whole year's, and the one-table CSV says nothing else (an IM officer's review)
    as_of = str(report.get("as_of", ""))
    so_far = f"-to-{as_of}" if as_of and not as_of.endswith("-12-31") else ""
    year = f"{report['year']}{so_far}"
    return f"article7-{year}-{report.get('contam', 'CMR')}-{areas}{then}{alone}.{fmt}"


def article7(session: Any, report: dict[str, Any], fmt: str, table: str | None = None) -> Rendered:
    """Form 1(h) and Form 1(i) in FMT; XLSX and PDF read their notes and map from SESSION.
    ``table`` ("1h" or "1i"): that form alone, as a CSV of one table."""
    filename = article7_filename(report, fmt, table)
    if table is not None and fmt != "csv":
        raise InvalidRequest(f"a table alone ({table}) comes as CSV: ask for format csv")
    if fmt in BINARY:
        return Rendered(fmt, export.to_binary(session, report, fmt), filename)
    if fmt == "csv":
        return Rendered(fmt, export.to_csv(report, table), filename)
    if fmt == "html":  # shown, and saved as article7-2025-CMR-provinces.html (it was article7)
        return Rendered(fmt, export.to_html(report), filename, inline=True)
    return Rendered(fmt, export.to_json(published(Article7Report, report)))


def progress(
    series: dict[str, Any], fmt: str, stem: str = "progress", *, narrow: bool = False
) -> Rendered:
    """The Article 4 series in FMT: JSON, CSV or a PNG chart (``narrow``: for a phone);
    saved as STEM.csv or .png."""
    if fmt == "png":
        return Rendered(fmt, series_png(series, narrow=narrow), f"{stem}.png", inline=True)
    if fmt == "csv":
        return Rendered(fmt, series_csv(series), f"{stem}.csv")
    return Rendered(fmt, json.dumps(series, indent=2))


def priorities(ranked: Sequence[dict[str, Any]], fmt: str, stem: str = "priorities") -> Rendered:
    """Ranked hazards in FMT: JSON, CSV or one XLSX worksheet, saved as STEM.csv or .xlsx
    (a national CSV of 43,575 lines had filled the browser's tab: a walk-through at
    national scale)."""
    return table(ranked, fmt, stem, "Priorities")


def table(rows: Sequence[dict[str, Any]], fmt: str, stem: str, title: str) -> Rendered:
    """A report's rows in FMT: JSON, CSV or one XLSX worksheet titled TITLE, saved as
    STEM.csv or .xlsx. The reports page had offered the marking and the work plan as JSON
    only, which a reader without a programmer cannot open (a review as a new user)."""
    if fmt == "xlsx":
        return Rendered(fmt, rows_xlsx(rows, title), f"{stem}.xlsx")
    if fmt == "csv":
        return Rendered(fmt, rows_csv(rows), f"{stem}.csv")
    return Rendered(fmt, json.dumps(rows, indent=2))


def workplan_rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A work plan's lines, then their total, as rows of a table."""
    total = report["total"]
    achieved = total["actual_m2"] / total["target_m2"] if total["target_m2"] else None
    return [
        *({"year": report["year"], "contam": report["contam"], **line} for line in report["lines"]),
        {
            "year": report["year"],
            "contam": report["contam"],
            "admin_code": "TOTAL",
            "admin_name": "Total",
            "method": "all",
            **total,
            "achieved": achieved,
        },
    ]
