"""``ims report`` and ``ims workplan``: the reports, and the work plan's targets they measure."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from ims.cli.common import actor, command, db_session, emit, err, out, parse_contam, parse_date
from ims.config import get_settings
from ims.errors import InvalidRequest
from ims.files import write_whole

if TYPE_CHECKING:
    from ims.reports.formats import Rendered

report_app = typer.Typer(
    help="Reports: Article 7 tables, Article 4 progress, explanations.", no_args_is_help=True
)
workplan_app = typer.Typer(
    help="Work plans: annual targets per province and method.", no_args_is_help=True
)

# The options most reports take, declared once so they read and behave alike.
Contam = Annotated[str, typer.Option(help="CMR, APM, ATM or ERW.")]
Output = Annotated[Path | None, typer.Option("-o", "--output", help="Write to FILE.")]
AsOf = Annotated[str | None, typer.Option(help="As-of date (default: today).")]
Baseline = Annotated[
    str | None, typer.Option(help="Baseline date (default IMS_ARTICLE4_BASELINE).")
]


@command(report_app, "article7")
def report_article7(
    year: Annotated[int, typer.Option(help="Calendar year (as of 31 December).")],
    level: Annotated[int, typer.Option(help="Admin level: 1 provinces, 2 districts.")] = 1,
    contam: Contam = "CMR",
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", help="json, csv, html, xlsx or pdf (default: -o's ending, or json)."
        ),
    ] = None,
    output: Output = None,
    finalise: Annotated[
        bool,
        typer.Option(
            "--finalise",
            help="Note this report as the one submitted for the year: later productions "
            "list the corrections recorded since. Once per report; the year must have ended.",
        ),
    ] = False,
    as_finalised: Annotated[
        bool,
        typer.Option(
            "--as-finalised",
            help="The report as it was finalised (with the notes its files carried then), "
            "not today's figures.",
        ),
    ] = False,
    table: Annotated[
        str | None,
        typer.Option(
            "--table",
            help="With --format csv: 1h or 1i, that form alone as one table (the CSV "
            "otherwise holds both under a line naming each).",
        ),
    ] = None,
) -> None:
    """Form 1(h) remaining contamination and Form 1(i) land release for a year."""
    from ims.reports import export, formats
    from ims.reports.article7 import ReportScope
    from ims.reports.history import article7_with_history, summary

    fmt = _check_format(fmt, formats.ARTICLE7, output)
    if table is not None and table not in export.TABLES:
        raise InvalidRequest(f"--table {table!r}: use 1h (Form 1(h)) or 1i (Form 1(i))")
    scope = ReportScope(level=level, contam=parse_contam(contam))
    with db_session() as session:
        if finalise and as_finalised:
            raise InvalidRequest("--finalise and --as-finalised: one or the other")
        report = article7_with_history(
            session,
            year,
            scope,
            by=actor().name,
            finalise=finalise,
            as_finalised=as_finalised,
            every_correction=fmt in ("csv", "xlsx"),
        )
        err.print(summary(report["history"]), highlight=False)
        # Inside the session: XLSX and PDF read their notes and map from the database.
        rendered = formats.article7(session, report, fmt, table)
    _write(rendered, output)


def _as_of(as_of: str | None) -> dt.date:
    """The day --as-of gives, or today."""
    return parse_date(as_of, "--as-of") if as_of else dt.date.today()


def _baseline(baseline: str | None) -> dt.date:
    """The day --baseline gives, or IMS_ARTICLE4_BASELINE."""
    return parse_date(baseline, "--baseline") if baseline else get_settings().article4_baseline


def _check_format(fmt: str | None, choices: Sequence[str], output: Path | None) -> str:
    """The format to write: ``--format``, else the ending of ``-o`` when the report comes
    in it (``-o report.pdf`` had written JSON into a file named .pdf), else JSON. Refuse a
    format the report does not come in, and a binary one with no file to go to.

    Before the report is made: ``--finalise`` must not be noted for a report never written.
    """
    from ims.reports import formats

    if fmt is None:
        ending = output.suffix.lower().lstrip(".") if output is not None else ""
        fmt = ending if ending in choices else "json"
    formats.check(fmt, choices)
    if fmt in formats.BINARY and output is None:
        raise InvalidRequest(f"--format {fmt} writes a file: give it with -o FILE")
    return fmt


def _write(rendered: Rendered, output: Path | None) -> None:
    """A report on standard output, or in OUTPUT (a binary one always goes to a file)."""
    if isinstance(rendered.content, bytes):
        assert output is not None  # _check_format saw to that
        write_whole(output, rendered.content)
        err.print(f"wrote {output}", highlight=False)
    else:
        emit(rendered.content, output)


@command(report_app, "article4")
def report_article4(
    baseline: Annotated[str, typer.Option(help="Baseline date (entry into force), ISO.")],
    as_of: Annotated[str, typer.Option(help="As-of date, ISO.")],
    contam: Contam = "CMR",
) -> None:
    """Article 4.6(d)–(f): area at the baseline, added since, released since, remaining."""
    from ims.reports.article7 import article4
    from ims.reports.documents import Article4Figures, published

    with db_session() as session:
        result = article4(
            session,
            parse_date(baseline, "--baseline"),
            parse_date(as_of, "--as-of"),
            parse_contam(contam),
        )
    emit(json.dumps(published(Article4Figures, result), indent=2), None)


@command(report_app, "progress")
def report_progress(
    last_year: Annotated[
        int | None, typer.Option(help="Last year of the series (default: last year).")
    ] = None,
    baseline: Baseline = None,
    contam: Contam = "CMR",
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="json, csv or png (chart) (default: -o's ending, or json)."),
    ] = None,
    output: Output = None,
) -> None:
    """Article 4 progress year by year: added, released by method, remaining at year end."""
    from ims.reports import formats
    from ims.reports.progress import article4_series

    fmt = _check_format(fmt, formats.PROGRESS, output)
    start = _baseline(baseline)
    with db_session() as session:
        series = article4_series(
            session, start, last_year or dt.date.today().year - 1, parse_contam(contam)
        )
    _write(formats.progress(series, fmt), output)


@command(report_app, "marking")
def report_marking(
    as_of: AsOf = None,
    baseline: Baseline = None,
    contam: Contam = "CMR",
) -> None:
    """Action 18: open hazards and area marked or fenced, and those not surveyed since the
    baseline, per province."""
    from ims.reports.progress import marking

    day = _as_of(as_of)
    start = _baseline(baseline)
    with db_session() as session:
        rows = marking(session, day, start, parse_contam(contam))
    emit(json.dumps(rows, indent=2), None)


@command(report_app, "priorities")
def report_priorities(
    top: Annotated[int | None, typer.Option(help="Only the first N.")] = None,
    weights: Annotated[
        Path | None, typer.Option(help='JSON weights, e.g. {"cha": 3, "area": 2}.')
    ] = None,
    as_of: AsOf = None,
    contam: Contam = "CMR",
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="json, csv or xlsx (default: -o's ending, or json)."),
    ] = None,
    output: Output = None,
) -> None:
    """Action 23: open hazards ranked by a configurable score, for tasking."""
    from ims.reports import formats
    from ims.reports.progress import Weights, priorities

    fmt = _check_format(fmt, formats.PRIORITIES, output)
    day = _as_of(as_of)
    with db_session() as session:
        ranked = priorities(session, day, Weights.load(weights), parse_contam(contam), top)
    _write(formats.priorities(ranked, fmt), output)


@command(report_app, "workplan")
def report_workplan(
    year: Annotated[int, typer.Option(help="The plan's year.")],
    contam: Contam = "CMR",
) -> None:
    """Action 19: target against actual per province and method, and the projection."""
    from ims.reports.workplan import workplan_report

    with db_session() as session:
        result = workplan_report(session, year, parse_contam(contam))
    emit(json.dumps(result, indent=2), None)


@command(workplan_app, "import")
def workplan_import(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX: year, province, method, target_m2.")],
) -> None:
    """Record targets from a file; all rows or none (errors name the row and field)."""
    from ims.reports.workplan import read_targets_file, set_targets

    rows = read_targets_file(file)
    with db_session() as session, session.begin():
        n = set_targets(session, rows, where=file.name, by=actor())
    out.print(f"recorded {n} targets from {file.name}", highlight=False)


@command(report_app, "explain")
def report_explain(
    year: Annotated[int, typer.Option(help="Calendar year of the report.")],
    admin: Annotated[str, typer.Option(help="Admin code, Unassigned or TOTAL.")],
    column: Annotated[str, typer.Option(help="Column of Form 1(h) or 1(i), e.g. cha_area_m2.")],
    level: Annotated[int, typer.Option(help="Admin level: 1 or 2.")] = 1,
    contam: Contam = "CMR",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the hazards and releases that make one figure, with their contributions."""
    from ims.reports.article7 import ReportScope
    from ims.reports.documents import Explanation, published
    from ims.reports.explain import explain

    with db_session() as session:
        result = explain(
            session, year, admin, column, ReportScope(level=level, contam=parse_contam(contam))
        )
    if as_json:
        emit(json.dumps(published(Explanation, result), indent=2), None)
        return
    for row in result["contributions"]:
        what = " ".join(f"{k}={v}" for k, v in row.items() if k != "value")
        out.print(f"{row['value']:>16,.1f}  {what}", highlight=False)
    out.print(
        f"{result['total']:>16,.1f}  = {column} of {admin} in {year} "
        f"({len(result['contributions'])} contributions)",
        highlight=False,
    )


def print_article7(report: dict[str, Any]) -> None:
    """Form 1(h) and Form 1(i) as tables for the terminal (the national row in bold)."""
    rem = Table(
        title=f"Form 1(h): remaining contamination ({report['contam']}) as of {report['as_of']}",
        title_justify="left",
    )
    for col in ("Province", "SHAs", "SHA km²", "CHAs", "CHA km²", "Total", "Total km²"):
        rem.add_column(col, justify="left" if col == "Province" else "right")
    for row in report["remaining"]:
        if not row["total_count"] and row["admin_code"] not in ("TOTAL",):
            continue
        rem.add_row(
            row["admin_name"],
            f"{row['sha_count']:,}",
            f"{row['sha_area_m2'] / 1e6:,.3f}",
            f"{row['cha_count']:,}",
            f"{row['cha_area_m2'] / 1e6:,.3f}",
            f"{row['total_count']:,}",
            f"{row['total_area_m2'] / 1e6:,.3f}",
            style="bold" if row["admin_code"] == "TOTAL" else None,
        )
    out.print(rem)
    rel = Table(title=f"Form 1(i): land release in {report['year']}", title_justify="left")
    for col in (
        "Province",
        "Cancelled km²",
        "Reduced km²",
        "Cleared km²",
        "Total km²",
        "Closed",
        "CMR destroyed",
    ):
        rel.add_column(col, justify="left" if col == "Province" else "right")
    for row in report["released"]:
        if not row["total_m2"] and row["admin_code"] != "TOTAL":
            continue
        cmr = sum(i["quantity"] for i in row["destroyed"] if i.get("cmr", True))
        rel.add_row(
            row["admin_name"],
            f"{row['cancelled_m2'] / 1e6:,.3f}",
            f"{row['reduced_m2'] / 1e6:,.3f}",
            f"{row['cleared_m2'] / 1e6:,.3f}",
            f"{row['total_m2'] / 1e6:,.3f}",
            f"{row['hazards_closed']:,}",
            f"{cmr:,}",
            style="bold" if row["admin_code"] == "TOTAL" else None,
        )
    out.print(rel)
    overlap = report["overlap"]
    out.print(
        f"dissolved remaining area (overlaps counted once): "
        f"{overlap['dissolved_area_m2'] / 1e6:,.3f} km²; double counted in the total: "
        f"{overlap['double_counted_m2'] / 1e6:,.3f} km²",
        highlight=False,
    )
    if overlap.get("released_twice_m2"):
        out.print(
            f"the land released counts {overlap['released_twice_m2']:,.0f} m² more than the "
            "ground released (ground shared by overlapping hazards, counted for each)",
            highlight=False,
        )
