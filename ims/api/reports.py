"""``/api/v1/reports``: the Article 7 tables, Article 4 progress, and figure explanations."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Response
from pydantic import BaseModel, Field

from ims.api.auth import PrincipalDep, generalised
from ims.api.deps import SessionDep
from ims.domain.as_of import UP_TO_TODAY
from ims.domain.enums import Contamination
from ims.errors import InvalidRequest
from ims.reports import formats
from ims.reports.article7 import ReportScope, article4
from ims.reports.documents import (
    Article4Figures,
    Article7Report,
    Explanation,
    MarkingRow,
    Priority,
    ProgressSeries,
    WorkplanRecorded,
    WorkplanReport,
)
from ims.reports.explain import COLUMNS, explain
from ims.reports.history import article7_with_history, for_generalised_readers
from ims.reports.kept import kept

router = APIRouter(prefix="/reports", tags=["reports"])

Year = Annotated[int, Query(ge=1900, le=2200, description="calendar year (as of 31 December)")]
MAX_YEARS = 100  # of a progress series: a programme's whole history, and its projection
# An int with bounds, not Literal[1, 2]: a query string's "1" is text, and pydantic does
# not turn text into a literal integer (every download on /reports answered 422).
Level = Annotated[int, Query(ge=1, le=2, description="admin level: 1 provinces, 2 districts")]
Contam = Annotated[Contamination, Query(description="contamination kind")]


def _files(names: tuple[str, ...]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI: the media types other than JSON a report answers in, chosen by ``format``."""
    content: dict[str, Any] = {
        formats.MEDIA_TYPES[name].split(";")[0]: {} for name in names if name != "json"
    }
    return {200: {"content": content, "description": "the report, in the format asked for"}}


def _by(principal: Any) -> str | None:
    return principal.actor.name if principal is not None else None


def _response(rendered: formats.Rendered) -> Response:
    """A report in a format other than JSON; one with a file name comes as a download."""
    headers = None
    if rendered.filename:
        shown = "inline" if rendered.inline else "attachment"
        headers = {"Content-Disposition": f'{shown}; filename="{rendered.filename}"'}
    return Response(rendered.content, media_type=rendered.media_type, headers=headers)


@router.get("/article7", response_model=Article7Report, responses=_files(formats.ARTICLE7))
def get_article7(
    session: SessionDep,
    principal: PrincipalDep,
    year: Year,
    level: Level = 1,
    contam: Contam = Contamination.CMR,
    format: Annotated[Literal["json", "csv", "html", "xlsx", "pdf"], Query()] = "json",
    as_finalised: Annotated[
        bool,
        Query(description="the report as it was finalised (422 for one not finalised)"),
    ] = False,
    table: Annotated[
        Literal["1h", "1i"] | None,
        Query(
            description="with format=csv: Form 1(h) or Form 1(i) alone, one table with its "
            "header on the first line (the CSV otherwise holds both under a line naming "
            "each, then the report's history)"
        ),
    ] = None,
) -> Any:
    """Form 1(h) and Form 1(i) for a year, as JSON (docs/design.md §7), CSV, HTML, XLSX or PDF.

    ``history`` tells when the report for an ended year was first produced and which
    corrections were recorded since with effect in that year; ``as_finalised`` gives the
    tables as they were finalised, with the notes its files carried then.
    """
    scope = ReportScope(level=level, contam=contam)
    report = article7_with_history(
        session,
        year,
        scope,
        by=_by(principal),
        as_finalised=as_finalised,
        every_correction=format in ("csv", "xlsx"),
    )
    if table is not None and format != "csv":
        raise InvalidRequest(f"table={table} comes as CSV: ask for format=csv")
    if generalised(principal):
        report = for_generalised_readers(report)
    if format == "json":
        return report
    # A file is the same for the same report (its history included) until anything it
    # draws from changes: a PDF takes a second to make.
    digest = hashlib.sha256(json.dumps(report, sort_keys=True, default=str).encode()).hexdigest()
    rendered = kept(
        session,
        "article7 file",
        (format, table, digest, dt.date.today()),
        lambda: formats.article7(session, report, format, table),
    )
    return _response(rendered)


@router.post("/article7/finalise", response_model=Article7Report)
def finalise_article7(
    session: SessionDep,
    principal: PrincipalDep,
    year: Year,
    level: Level = 1,
    contam: Contam = Contamination.CMR,
) -> dict[str, Any]:
    """Note the Article 7 report of an ended year as finalised (submitted), once.

    From then on every production of the report lists the corrections recorded since.
    Finalising again changes nothing; a year not yet ended answers 422.
    """
    scope = ReportScope(level=level, contam=contam)
    return article7_with_history(session, year, scope, by=_by(principal), finalise=True)


@router.get("/article7/explain", response_model=Explanation)
def get_explanation(
    session: SessionDep,
    year: Year,
    admin: Annotated[str, Query(max_length=64, description="admin code, Unassigned or TOTAL")],
    column: Annotated[Literal[COLUMNS], Query(description="a column of Form 1(h) or 1(i)")],  # type: ignore[valid-type]
    level: Level = 1,
    contam: Contam = Contamination.CMR,
) -> dict[str, Any]:
    """The hazards and releases that make one figure; their values sum to it."""
    return explain(session, year, admin, column, ReportScope(level=level, contam=contam))


@router.get("/article4", response_model=Article4Figures)
def get_article4(
    session: SessionDep,
    baseline: Annotated[
        dt.date, Query(description="baseline date (entry into force)"), UP_TO_TODAY
    ],
    as_of: Annotated[dt.date, Query(description="as-of date"), UP_TO_TODAY],
    contam: Contam = Contamination.CMR,
) -> dict[str, Any]:
    """Article 4.6(d)–(f): area at the baseline, added since, released since, remaining."""
    return article4(session, baseline, as_of, contam)


@router.get("/progress", response_model=ProgressSeries, responses=_files(formats.PROGRESS))
def get_progress(
    session: SessionDep,
    last_year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
    baseline: Annotated[
        dt.date | None, Query(description="default IMS_ARTICLE4_BASELINE"), UP_TO_TODAY
    ] = None,
    contam: Contam = Contamination.CMR,
    format: Annotated[Literal["json", "csv", "png"], Query()] = "json",
    narrow: Annotated[
        bool, Query(description="png: the chart drawn for a phone's width (the reports page's)")
    ] = False,
) -> Any:
    """Article 4 progress year by year: added, released by method, remaining at year end."""
    from ims.config import get_settings
    from ims.reports.progress import article4_series

    first = baseline or get_settings().article4_baseline
    last = last_year or dt.date.today().year - 1
    if last - first.year > MAX_YEARS:
        # a baseline in year 1 to 2200 took 3.5 s of the server a request (a third attack)
        raise InvalidRequest(
            f"{first.year} to {last} is {last - first.year} years: a series covers "
            f"{MAX_YEARS} at most"
        )
    series = article4_series(session, first, last, contam)
    if format == "json":
        return series
    # The reports page shows the chart on every visit: drawing it takes matplotlib 0.3 s.
    stem = f"progress-{contam}-{first.year}-{last}"
    digest = hashlib.sha256(json.dumps(series, sort_keys=True, default=str).encode()).hexdigest()
    rendered = kept(
        session,
        "progress file",
        (format, stem, digest, narrow and format == "png"),
        lambda: formats.progress(series, format, stem, narrow=narrow),
    )
    return _response(rendered)


@router.get("/marking", response_model=list[MarkingRow], responses=_files(formats.TABLES))
def get_marking(
    session: SessionDep,
    as_of: Annotated[dt.date | None, Query(description="default: today"), UP_TO_TODAY] = None,
    baseline: Annotated[
        dt.date | None, Query(description="default IMS_ARTICLE4_BASELINE"), UP_TO_TODAY
    ] = None,
    contam: Contam = Contamination.CMR,
    format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json",
) -> Any:
    """Action 18: share of open hazards and area marked, and those not surveyed since the
    baseline, per province."""
    from ims.config import get_settings
    from ims.reports.progress import marking

    day = as_of or dt.date.today()
    rows = marking(session, day, baseline or get_settings().article4_baseline, contam)
    if format == "json":
        return rows
    return _response(formats.table(rows, format, f"marking-{day}-{contam}", "Marking"))


@router.get("/priorities", response_model=list[Priority], responses=_files(formats.PRIORITIES))
def get_priorities(
    session: SessionDep,
    top: Annotated[int | None, Query(ge=1, le=100_000)] = None,
    as_of: Annotated[dt.date | None, Query(description="default: today"), UP_TO_TODAY] = None,
    contam: Contam = Contamination.CMR,
    format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json",
) -> Any:
    """Action 23: open hazards ranked by score (the default weights; the CLI takes others)."""
    from ims.reports.progress import Weights, priorities

    ranked = priorities(session, as_of or dt.date.today(), Weights(), contam, top)
    if format == "json":
        return ranked
    day = as_of or dt.date.today()
    return _response(formats.priorities(ranked, format, f"priorities-{day}-{contam}"))


@router.get("/workplan", response_model=WorkplanReport, responses=_files(formats.TABLES))
def get_workplan(
    session: SessionDep,
    year: Year,
    contam: Contam = Contamination.CMR,
    format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json",
) -> Any:
    """Action 19: target against actual per province and method, and the projection (in
    JSON; CSV and XLSX give the lines and their total)."""
    from ims.reports.workplan import workplan_report

    report = workplan_report(session, year, contam)
    if format == "json":
        return report
    rows = formats.workplan_rows(report)
    return _response(formats.table(rows, format, f"workplan-{year}-{contam}", "Work plan"))


plans = APIRouter(prefix="/workplans", tags=["reports"])


class Target(BaseModel):
    """One annual target."""

    province: str = Field(min_length=1, max_length=64, description="province (level 1) code")
    method: str = Field(min_length=1, max_length=32, description="cancelled, reduced, cleared")
    target_m2: float = Field(ge=0, le=1e12)


@plans.put("/{year}", response_model=WorkplanRecorded)
def put_workplan(
    session: SessionDep,
    principal: PrincipalDep,
    year: Annotated[int, Path(ge=1900, le=2200)],
    targets: Annotated[list[Target], Body(max_length=10_000)],
) -> dict[str, Any]:
    """Record a year's targets (earlier ones for the same province and method stay on
    record but no longer count); all or nothing."""
    from ims.reports.workplan import set_targets

    n = set_targets(
        session,
        [{"year": year, **t.model_dump()} for t in targets],
        where=f"work plan {year}",
        by=principal.actor if principal else None,
    )
    session.commit()
    return {"year": year, "recorded": n}
