"""The web pages: dashboard, national map, hazard, submissions review, reports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from ims import __version__
from ims.api.deps import SessionDep
from ims.domain.enums import Contamination
from ims.errors import ImsError
from ims.reports.article7 import ReportScope, article7
from map_ui import charts, data, maps
from map_ui.style import METHOD_COLOURS, STATUS_COLOURS, legend

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals.update(version=__version__, legend=legend())
templates.env.filters["km2"] = lambda m2: f"{(m2 or 0) / 1e6:,.3f}"
templates.env.filters["m2"] = lambda m2: f"{(m2 or 0):,.0f}"
templates.env.filters["thousands"] = lambda n: f"{(n or 0):,}"

router = APIRouter(include_in_schema=False)


def install(app: FastAPI) -> None:
    """Add the pages and their static files to ``app``."""
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(router)


def _page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def error_page(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    """The HTML face of an error, for people browsing the pages."""
    return _page(request, "error.html", status, title=title, detail=detail, status=status)


@router.get("/", response_class=HTMLResponse)
def dashboard_page(request: Request, session: SessionDep) -> HTMLResponse:
    """The national picture at a glance."""
    board = data.dashboard(session)
    return _page(
        request, "dashboard.html", board=board, active="dashboard",
        release_chart=charts.stacked_bars(board.bars, "Land released per year by method"),
        remaining_chart=charts.line(board.remaining_series,
                                    "Remaining area at each year end, and today",
                                    STATUS_COLOURS["CHA"]),
    )  # fmt: skip


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request, session: SessionDep) -> HTMLResponse:
    """The national map on vector tiles, with an as-of date."""
    today = dt.date.today()
    return _page(request, "map.html", active="map", today=today.isoformat(),
                 bounds=data.map_bounds(session),
                 figures=data.national_figures(session, today))  # fmt: skip


@router.get("/map/figures")
def map_figures(
    session: SessionDep, as_of: Annotated[dt.date | None, Query()] = None
) -> JSONResponse:
    """National remaining area and open hazards at a date, for the map's figures box."""
    return JSONResponse(data.national_figures(session, as_of or dt.date.today()))


@router.get("/hazards/{reference}", response_class=HTMLResponse)
def hazard_page(request: Request, session: SessionDep, reference: str) -> HTMLResponse:
    """One hazard: map, figures, timeline, items."""
    try:
        hazard = data.hazard_page(session, reference)
    except ImsError as exc:
        return error_page(request, exc.status_code, "Hazard not found", exc.detail)
    parts = maps.hazard_map(hazard.boundary, hazard.remaining, hazard.releases, hazard.status,
                            hazard.outside)  # fmt: skip
    return _page(request, "hazard.html", hazard=hazard, map=parts, active="map",
                 method_colours=METHOD_COLOURS)  # fmt: skip


@router.get("/submissions", response_class=HTMLResponse)
def submissions_page(request: Request, session: SessionDep) -> HTMLResponse:
    """Submissions, newest first."""
    return _page(request, "submissions.html", rows=data.submission_list(session),
                 active="submissions")  # fmt: skip


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission_page(request: Request, session: SessionDep, submission_id: int) -> HTMLResponse:
    """Review one submission: its features on a map, its findings, approve or reject."""
    try:
        review = data.submission_page(session, submission_id)
    except ImsError as exc:
        return error_page(request, exc.status_code, "Submission not found", exc.detail)
    parts = maps.review_map(review["features"], data.province_outlines(session))
    return _page(request, "submission.html", review=review, active="submissions", map=parts)


@router.get("/reports", response_class=HTMLResponse)
def reports_page(
    request: Request,
    session: SessionDep,
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
    level: Annotated[int, Query(ge=1, le=2)] = 1,
    contam: Annotated[Contamination, Query()] = Contamination.CMR,
) -> HTMLResponse:
    """Article 7 Form 1(h) and 1(i) for a chosen year and admin level, with downloads."""
    year = year or dt.date.today().year - 1
    report = article7(session, year, ReportScope(level=level, contam=contam))
    return _page(request, "reports.html", report=report, year=year, level=level,
                 contam=contam.value, contams=[c.value for c in Contamination],
                 active="reports")  # fmt: skip
