"""``/api/v1/reports``: the Article 7 tables, Article 4 progress, and figure explanations."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, PlainTextResponse

from ims.api.deps import SessionDep
from ims.domain.enums import Contamination
from ims.reports import export
from ims.reports.article7 import ReportScope, article4, article7
from ims.reports.explain import COLUMNS, explain

router = APIRouter(prefix="/reports", tags=["reports"])

Year = Annotated[int, Query(ge=1900, le=2200, description="calendar year (as of 31 December)")]
Level = Annotated[Literal[1, 2], Query(description="admin level: 1 provinces, 2 districts")]
Contam = Annotated[Contamination, Query(description="contamination kind")]


@router.get("/article7", response_model=None)
def get_article7(
    session: SessionDep,
    year: Year,
    level: Level = 1,
    contam: Contam = Contamination.CMR,
    format: Annotated[Literal["json", "csv", "html"], Query()] = "json",
) -> Any:
    """Form 1(h) and Form 1(i) for a year, as JSON (DESIGN.md §7), CSV or HTML."""
    report = article7(session, year, ReportScope(level=level, contam=contam))
    if format == "csv":
        return PlainTextResponse(
            export.to_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="article7-{year}.csv"'},
        )
    if format == "html":
        return HTMLResponse(export.to_html(report))
    return report


@router.get("/article7/explain")
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


@router.get("/article4")
def get_article4(
    session: SessionDep,
    baseline: Annotated[dt.date, Query(description="baseline date (entry into force)")],
    as_of: Annotated[dt.date, Query(description="as-of date")],
    contam: Contam = Contamination.CMR,
) -> dict[str, Any]:
    """Article 4.6(d)–(f): area at the baseline, added since, released since, remaining."""
    return article4(session, baseline, as_of, contam)
