"""The web pages: dashboard, national map, hazard, submissions review, reports."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, FastAPI, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.api.auth import PrincipalDep, generalised
from ims.api.deps import SessionDep
from ims.api.errors import problem_types
from ims.cells import csv_text
from ims.config import get_settings
from ims.db import withdrawals
from ims.db.audit import hazard_events
from ims.db.models import Organisation
from ims.db.recording import nesting
from ims.domain import access
from ims.domain.as_of import EARLIEST, UP_TO_TODAY, up_to_today
from ims.domain.enums import Contamination, HazardStatus, Role
from ims.errors import Conflict, ImsError, InvalidRequest, NotFound
from ims.ingest import approval, field_maps
from ims.ingest import submissions as submissions_db
from ims.ingest.fields import HAZARD_FIELDS, RELEASE_FIELDS
from ims.queries import hazards, national, places, register, register_files, submissions
from ims.queries.outside import outside_releases
from ims.reports import tiles
from ims.reports.article7 import ReportScope
from ims.reports.convention import convention_for
from ims.reports.history import (
    article7_with_history,
    first_record,
    for_generalised_readers,
    recorded_after_the_period,
    summary,
)
from map_ui import account_pages, charts, maps, record_pages, upload_pages
from map_ui.rendering import HERE, CachedStatic, error_page, path_part
from map_ui.rendering import page as _page
from map_ui.style import METHOD_COLOURS, STATUS_COLOURS
from map_ui.style import legend as legend_data

router = APIRouter(include_in_schema=False)


def install(app: FastAPI) -> None:
    """Add the pages and their static files to ``app``; errors on pages answer in HTML."""
    app.mount("/static", CachedStatic(directory=HERE / "static"), name="static")
    app.include_router(account_pages.router)
    app.include_router(upload_pages.router)  # before /submissions/{submission_id}
    app.include_router(record_pages.router)  # before the hazard page: /hazards/new
    app.include_router(router)
    app.state.html_error = error_page


def _kind(value: str | None) -> Contamination | None:
    """A contamination kind chosen on a page ("" or nothing: every kind)."""
    if not value or value.lower() == "all":
        return None
    try:
        return Contamination.parse(value)
    except ValueError:
        raise InvalidRequest(f"unknown kind {value!r}: CMR, APM, ATM, ERW or all") from None


Kind = Annotated[str | None, Query(max_length=8, description="CMR, APM, ATM, ERW or all")]


def _day(value: str | None) -> dt.date | None:
    """A date a page's form sent: none when its field was left empty (the form's Show
    with the date cleared had answered "as_of: Input should be a valid date")."""
    if value is None or not value.strip():
        return None
    try:
        day = dt.date.fromisoformat(value.strip()) if value.strip().isascii() else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidRequest(f"{value!r} is not a date: write it as 2024-12-31", field="as_of")
    try:
        return up_to_today(day)
    except ValueError as exc:
        raise InvalidRequest(str(exc), field="as_of") from None


@router.get("/", response_class=HTMLResponse)
def dashboard_page(
    request: Request,
    session: SessionDep,
    as_of: Annotated[
        str | None, Query(max_length=10, description="the date the figures are as of")
    ] = None,
    contam: Kind = None,
) -> HTMLResponse:
    """The national picture at a glance, for every kind of contamination or one, today or
    as of an earlier date (what an IM officer quoted at a year's end is found again)."""
    today = dt.date.today()
    board = national.dashboard(session, _day(as_of) or today, contam=_kind(contam))
    last = "today" if board.as_of == today else f"on {board.as_of:%-d %B %Y}"
    # the charts sit below the Article 4 panel, which counts cluster munition remnants
    # whatever the choice: they say their kind (an IM officer had read them as CMR's)
    kind_said = board.contam.value if board.contam else "every kind of contamination"
    return _page(
        request,
        "dashboard.html",
        board=board,
        active="dashboard",
        today=today,
        release_chart=charts.stacked_bars(
            board.bars, f"Land released per year by method, {kind_said}"
        ),
        remaining_chart=charts.line(
            board.remaining_series,
            f"Remaining area at each year end, and {last}, {kind_said}",
            STATUS_COLOURS["CHA"],
        ),
        remaining_caption=f"Remaining area at each year end, and {last} (km², {kind_said})",
        kind_said=kind_said,
        contams=list(Contamination),
    )


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    """Nothing, said so: a browser opening a report's JSON or HTML asks for an icon, and a
    404 filled its console (the pages say theirs is none)."""
    return Response(status_code=204, headers={"Cache-Control": "public, max-age=86400"})


@router.get("/map", response_class=HTMLResponse)
def map_page(
    request: Request,
    session: SessionDep,
    as_of: Annotated[dt.date | None, Query(description="the date the map shows")] = None,
    contam: Kind = None,
) -> HTMLResponse:
    """The national map on vector tiles, with an as-of date and a kind of contamination,
    both kept in the address."""
    today = dt.date.today()
    # a date the tiles refuse (ims.domain.as_of) is shown as the nearest they take
    shown = max(min(as_of or today, today), EARLIEST)
    kind = _kind(contam)
    return _page(
        request,
        "map.html",
        active="map",
        today=today.isoformat(),
        as_of=shown.isoformat(),
        bounds=national.map_bounds(session),
        release_zoom=tiles.RELEASE_ZOOM,
        contam=kind.value if kind else "",
        contams=list(Contamination),
        kinds=national.kinds_recorded(session),  # the others are said to be none recorded
        figures=national.national_figures(session, shown, kind),
    )


@router.get("/map/figures")
def map_figures(
    session: SessionDep,
    as_of: Annotated[dt.date | None, Query(), UP_TO_TODAY] = None,
    contam: Kind = None,
    province: Annotated[
        str | None, Query(max_length=50, description="a province's code: its figures")
    ] = None,
    district: Annotated[
        str | None, Query(max_length=50, description="a district's code: its figures")
    ] = None,
) -> JSONResponse:
    """Remaining area and open hazards at a date, for the map's figures box: the
    country's, or those of the province or district the find box went to."""
    on, kind = as_of or dt.date.today(), _kind(contam)
    if province is not None and district is not None:
        raise InvalidRequest("give a province or a district, not both")
    if province is not None or district is not None:
        area = "province" if province is not None else "district"
        code = province if province is not None else district
        assert code is not None
        return JSONResponse(national.area_figures(session, on, kind, area, code))
    return JSONResponse(national.national_figures(session, on, kind))


@router.get("/map/find")
def map_find(
    session: SessionDep,
    principal: PrincipalDep,
    q: Annotated[str, Query(max_length=places.LONGEST, description="a reference or a name")],
    as_of: Annotated[dt.date | None, Query(), UP_TO_TODAY] = None,
) -> JSONResponse:
    """The map's find box: hazards by reference (not under location privacy), with their
    state on the map's date, provinces and districts by name, each with the bounds to show."""
    found = places.find(session, q, hazards=not generalised(principal), on=as_of)
    return JSONResponse(
        {
            "q": q,
            "places": [dataclasses.asdict(p) for p in found.places],
            "more": found.more,
            "alike": found.alike,  # none is named so: names that read like it
        },
        headers={"Cache-Control": "private, no-store"},
    )


@router.get("/hazards/{reference:path}", response_class=HTMLResponse)
def hazard_page(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    reference: str,
    as_of: Annotated[
        str | None, Query(max_length=10, description="show the state in force then")
    ] = None,
) -> HTMLResponse:
    """One hazard as in force now or on ``as_of``: map, figures, timeline, items, records.

    Reviewers and admins also see the hazard's audit trail; where locations are
    generalised for this reader, the page has no map and no coordinates.
    """
    try:
        # The page's own form sends as_of= when no date is chosen: the state now.
        on = dt.date.fromisoformat(as_of) if as_of else None
        _not_after_today(on)
    except ValueError:
        return error_page(request, 422, "Not a date", f"as_of {as_of!r} is not a date (YYYY-MM-DD)")
    except ImsError as exc:
        here = (f"/hazards/{path_part(reference)}", f"hazard {reference} as it is now")
        return error_page(request, exc.status_code, "Not a date shown", exc.detail, here)
    if on == dt.date.today():
        # the date box holds today: "Show" on it is the state now, not "As on <today>:
        # only what took effect by then counts" (a first-time user's review)
        on = None
    try:
        hazard = hazards.hazard_view(session, reference, on)
    except NotFound as exc:
        # what the API offers for the same mistake (AT-00003, at-000001): its close matches
        close = [] if generalised(principal) else register.close_matches(session, reference)
        return error_page(
            request,
            exc.status_code,
            "Hazard not found",
            exc.detail,
            suggestions=[(f"/hazards/{path_part(ref)}", ref) for ref in close],
        )
    except ImsError as exc:
        return error_page(request, exc.status_code, "Hazard not found", exc.detail)
    if generalised(principal):
        hazard = hazard.generalised()
    spec = None
    # Before its first revision took effect the hazard did not exist: no map, no figures,
    # but when it begins (its page had shown an empty map of the world and 0 m² figures).
    first = min(
        (r["on"] for r in hazard.records if r["what"] in ("recorded", "revision")), default=None
    )
    not_yet = first if hazard.boundary is None and on is not None and first and first > on else None
    if not generalised(principal) and not_yet is None:
        spec = maps.hazard_map(
            hazard.boundary, hazard.remaining, hazard.releases, hazard.status, hazard.outside
        )
    for record in hazard.records:  # a submission's page only for those who may see it
        owner = record["submission_organisation_id"]
        record["visible"] = access.may_see_submission(principal, owner)
    events = []
    if principal is not None and principal.role in (Role.REVIEWER, Role.ADMIN):
        events = hazard_events(session, hazard.id)
    return _page(
        request,
        "hazard.html",
        hazard=hazard,
        map=spec,
        not_yet=not_yet,
        active="register",  # a hazard is one of the register's
        method_colours=METHOD_COLOURS,
        events=events,
        today=dt.date.today(),
    )


@router.get("/problems", response_class=HTMLResponse)
def problem_types_page(request: Request) -> HTMLResponse:
    """What each problem+json ``type`` the API answers means (RFC 9457: its ``type`` is
    this page's address, with the type's slug)."""
    return _page(request, "problems.html", types=problem_types(), chosen=None)


@router.get("/problems/{slug}", response_class=HTMLResponse)
def problem_type_page(request: Request, slug: str) -> HTMLResponse:
    """One problem type's page: the list, that type first."""
    types = problem_types()
    chosen = next((t for t in types if t.slug == slug), None)
    if chosen is None:
        return error_page(
            request, 404, "Page not found", f"ims answers no problem of the type {slug!r}."
        )
    return _page(request, "problems.html", types=types, chosen=chosen)


SUBMISSIONS_PAGE_SIZE = 50
# the list's choice of status, as the list says them ("validated" reads "awaiting review")
SUBMISSION_STATUSES = ("validated", "approved", "rejected", "withdrawn", "superseded", "uploaded")


@router.get("/submissions", response_class=HTMLResponse)
def submissions_page(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    status: Annotated[str, Query(max_length=20, description="one status, or all")] = "",
    kind: Annotated[str, Query(max_length=20, description="hazards, releases, or all")] = "",
    page: Annotated[int, Query(ge=1, le=100_000, description="50 a page, newest first")] = 1,
) -> HTMLResponse:
    """Submissions, newest first, 50 a page, of one status or kind if chosen (an
    operator's own organisation's only). The list had shown the latest 200 and no more:
    older ones could be reached by their number alone, and on a phone it was one long
    page (a legacy migration's review, helper-99)."""
    chosen_status = status if status in SUBMISSION_STATUSES else None
    chosen_kind = kind if kind in ("hazards", "releases") else None
    org = access.submission_filter(principal)
    total = submissions.submission_count(session, org, status=chosen_status, kind=chosen_kind)
    pages = max(1, -(-total // SUBMISSIONS_PAGE_SIZE))
    page = min(page, pages)
    rows = submissions.submission_list(
        session,
        SUBMISSIONS_PAGE_SIZE,
        org,
        status=chosen_status,
        kind=chosen_kind,
        offset=(page - 1) * SUBMISSIONS_PAGE_SIZE,
    )

    def at(n: int) -> str:
        kept = {"status": chosen_status or "", "kind": chosen_kind or "", "page": n}
        return "/submissions?" + urlencode({k: v for k, v in kept.items() if v})

    return _page(
        request,
        "submissions.html",
        rows=rows,
        active="submissions",
        statuses=SUBMISSION_STATUSES,
        status=chosen_status or "",
        kind=chosen_kind or "",
        total=total,
        first=(page - 1) * SUBMISSIONS_PAGE_SIZE + 1,
        newer=at(page - 1) if page > 1 else None,
        older=at(page + 1) if page < pages else None,
    )


def _mapping_lines(
    stored: dict[str, Any] | None, review: submissions.SubmissionReview
) -> list[str]:
    """A submission's field mapping as a reader says it, and the template's fields the
    file gave under their own names: those had gone unsaid, as if not read (a new user's
    review of a file with ``method`` and ``items`` among mapped columns)."""
    if not stored:
        return []
    document = field_maps.from_stored(stored)
    template = HAZARD_FIELDS if review.submission["kind"] == "hazards" else RELEASE_FIELDS
    given = {*document.fields, *document.constants}
    named = [c for c in review.columns if c in template and c not in given]
    said = (
        "the file's column of that name" if len(named) == 1 else "the file's columns of those names"
    )
    own = [f"{', '.join(named)}: {said}"] if named else []
    return document.lines() + own


# the releases a page names of those withdrawn together (each hazard's page lists its own)
WITHDRAWN_SHOWN = 20


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission_page(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    submission_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    code: Annotated[str | None, Query(max_length=64, description="findings of one kind")] = None,
    findings_page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page: Annotated[int, Query(ge=1, le=1_000_000, description="page of the features")] = 1,
    features: Annotated[
        str, Query(max_length=10, description="all, errors, warnings or clean features")
    ] = "all",
) -> HTMLResponse:
    """Review one submission: its features on a map and in a table, its findings by kind,
    approve or reject. The page weighs the same for ten features or a hundred thousand."""
    try:
        review = submissions.submission_review(
            session,
            submission_id,
            code=code or None,
            findings_page=findings_page,
            features_page=page,
            features=features,
        )
        if not access.may_see_submission(principal, review.submission["organisation_id"]):
            raise NotFound(f"submission {submission_id} does not exist")
    except ImsError as exc:
        return error_page(request, exc.status_code, "Submission not found", exc.detail)
    size = submissions.REVIEW_PAGE_SIZE
    preview = twin = rejected = None
    if review.submission["status"] == "validated":
        same = (
            session,
            submission_id,
            review.submission["sha256"],
            review.submission["kind"],
        )
        within = access.submission_filter(principal)
        twin = submissions_db.approved_twin(*same, within=within)
        if twin is None:  # else approving it is refused: nothing would be recorded
            preview = submissions.kept_preview(session, submission_id, review.submission["kind"])
            rejected = submissions_db.rejected_twin(*same, within=within)
    # the page offers what the route allows: not an upload the authority made in the
    # organisation's name (helper-111)
    withdrawable = access.may_withdraw(
        principal,
        review.submission["organisation_id"],
        sent_by_operator=submissions_db.get_submission(session, submission_id).own_records,
    )
    own = not access.may_approve(
        principal, review.submission["uploaded_by"], allow_self=get_settings().allow_self_approval
    )
    stored = review.submission.get("field_map")
    return _page(
        request,
        "submission.html",
        review=review,
        active="submissions",
        own_upload=own,
        withdrawable=withdrawable,
        # how the file was read: a reviewer had no way to see that its dates were read
        # with the day first, say (an attack on our own instance)
        mapping=field_maps.from_stored(stored).text() if stored else "",
        mapping_lines=_mapping_lines(stored, review),
        code=code or "",
        findings_page=findings_page,
        page=page,
        findings_pages=max(1, -(-review.findings_total // size)),
        withdrawn=submissions.withdrawn_releases(session, submission_id),
        withdrawn_shown=WITHDRAWN_SHOWN,
        in_force=submissions.releases_in_force(session, submission_id),
        withdrawn_hazards=submissions.withdrawn_hazards(session, submission_id),
        released_nothing=submissions.released_nothing(session, submission_id)
        if review.submission["status"] == "approved" and review.submission["kind"] == "releases"
        else None,
        feature_pages=max(1, -(-review.features_total // submissions.FEATURES_PAGE_SIZE)),
        features_page_size=submissions.FEATURES_PAGE_SIZE,
        feature_filter=features if features in submissions.FEATURE_FILTERS else "all",
        preview=preview,
        twin=twin,
        rejected_twin=rejected,
        # a record sent from a form, to correct in it: its sender had no file (helper-97)
        form_correction=record_pages.correction_of(session, principal, submission_id),
        form_record=record_pages.is_form_record(
            review.submission["filename"], review.submission["feature_count"]
        ),
        map_config={"bounds": review.bounds, "submission": submission_id, "legend": legend_data()},
    )


@router.post("/submissions/{submission_id}/withdraw")
def withdraw_submission_form(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    submission_id: int,
    reason: Annotated[str, Form(max_length=2000)] = "",
    sure: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Withdraw a submission awaiting review from its page (operators: their own
    organisation's), once its "yes, withdraw it" is ticked, then show it again."""
    try:
        sub = submissions_db.get_submission(session, submission_id)
        if not access.may_see_submission(principal, sub.organisation_id):
            raise NotFound(f"submission {submission_id} does not exist")
        approval.check_withdrawable(session, principal, sub)
        if sure != "yes":  # the box is required in the page: a form sent without it
            raise InvalidRequest(
                f'tick "yes, withdraw it" on submission {submission_id}\'s page to withdraw it'
            )
        approval.withdraw(
            session, submission_id, reason=reason, by=principal.actor if principal else None
        )
        session.commit()
    except ImsError as exc:
        back = (f"/submissions/{submission_id}", f"submission {submission_id}")
        return error_page(request, exc.status_code, "Not withdrawn", exc.detail, back)
    return RedirectResponse(f"/submissions/{submission_id}", status_code=303)


@router.get("/submissions/{submission_id}/withdraw-releases", response_class=HTMLResponse)
def withdraw_releases_page(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    submission_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
) -> HTMLResponse:
    """What withdrawing every release of an approved submission changes, and the form
    that does it with a reason (reviewers): a file approved in error had to be withdrawn
    a release at a time, from each hazard's page."""
    return _withdraw_releases_page(request, session, submission_id)


def _withdraw_releases_page(
    request: Request,
    session: Session,
    submission_id: int,
    *,
    error: str | None = None,
    reason: str = "",
) -> HTMLResponse:
    """The page that withdraws a submission's releases; with what was wrong with the form
    sent (``error``) and its reason kept, where it had been an error page whose way back
    lost the reason typed (a reviewer's walk-through)."""
    back = (f"/submissions/{submission_id}", f"submission {submission_id}")
    try:
        effect = withdrawals.submission_withdrawal_effect(session, submission_id)
        sub = submissions_db.get_submission(session, submission_id)
    except ImsError as exc:  # (no way back to a submission that does not exist)
        to = None if isinstance(exc, NotFound) else back
        return error_page(request, exc.status_code, "Nothing to withdraw", exc.detail, to)
    org = session.get(Organisation, sub.organisation_id) if sub.organisation_id else None
    return _page(
        request,
        "withdraw_releases.html",
        422 if error else 200,
        active="submissions",
        sub=sub,
        organisation=org.name if org else None,
        effect=effect,
        lines=effect.lines(done=False),
        shown=[*effect.releases, *effect.outside][:WITHDRAWN_SHOWN],
        total=len(effect.releases) + len(effect.outside),
        error=error,
        reason=reason,
    )


@router.post("/submissions/{submission_id}/withdraw-releases")
def withdraw_releases_form(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    submission_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    reason: Annotated[str, Form(max_length=2000)] = "",
    sure: Annotated[str, Form(max_length=8)] = "",
    expected: Annotated[int | None, Form(ge=0)] = None,
) -> Response:
    """Withdraw every release of an approved submission, once "yes" is ticked and a reason
    given, then show the submission, which lists them as withdrawn (``expected``: how many
    the page showed; the page is shown again if that changed meanwhile)."""
    try:
        if sure != "yes":  # the box is required in the page: a form sent without it
            raise InvalidRequest(
                f'tick "yes" on the page that withdraws submission {submission_id}\'s '
                "releases to withdraw them"
            )
        approval.withdraw_submission_releases(
            session,
            submission_id,
            reason=reason,
            by=principal.actor if principal else None,
            expected=expected,
        )
        session.commit()
    except InvalidRequest as exc:  # the form's (nothing written yet): said on it, reason kept
        return _withdraw_releases_page(
            request, session, submission_id, error=exc.detail, reason=reason
        )
    except ImsError as exc:
        back = (f"/submissions/{submission_id}", f"submission {submission_id}")
        return error_page(request, exc.status_code, "Not withdrawn", exc.detail, back)
    return RedirectResponse(f"/submissions/{submission_id}#withdrawn-releases", status_code=303)


@router.get("/reports", response_class=HTMLResponse)
def reports_page(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
    level: Annotated[int, Query(ge=1, le=2)] = 1,
    contam: Annotated[Contamination | None, Query()] = None,
    as_finalised: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    """Article 7 Form 1(h) and 1(i) for a chosen year and admin level, with downloads.

    Without a kind chosen, cluster munition remnants where there are any, else the kind
    most recorded (a programme of mines only sees its mines, not a table of zeros).
    ``as_finalised``: the report as it was finalised, with today's corrections listed.
    """
    year = year or dt.date.today().year - 1
    if year > dt.date.today().year:  # this year's report is provisional; a later one is none
        return error_page(
            request,
            422,
            "Not a year reported",
            f"{year} has not begun: a report covers a year up to today at the latest "
            f"(this year's, {dt.date.today().year}, is provisional)",
            back=(f"/reports?year={dt.date.today().year}", "the report for this year"),
        )
    contam = contam or national.default_contam(session)
    scope = ReportScope(level=level, contam=contam)
    by = principal.actor.name if principal is not None else None
    try:
        report = article7_with_history(session, year, scope, by=by, as_finalised=as_finalised)
    except InvalidRequest as exc:
        back = (
            f"/reports?{urlencode({'year': year, 'level': level, 'contam': contam.value})}",
            f"today's figures for {year}",
        )
        return error_page(request, 422, "Not kept as finalised", exc.detail, back=back)
    if generalised(principal):
        report = for_generalised_readers(report)
    return _page(
        request,
        "reports.html",
        report=report,
        year=year,
        this_year=dt.date.today().year,  # the form's most: a later year has no report
        # Article 4's progress begins there: a year before it has no series to draw
        baseline=get_settings().article4_baseline,
        level=level,
        as_finalised=as_finalised,
        history=summary(report["history"]),
        # before finalising: records of the year sent after it ended, which the report
        # finalised now holds and the one submitted at the time did not
        late=(
            recorded_after_the_period(session, dt.date.fromisoformat(report["as_of"]), scope)
            if not report["history"]["finalised"] and not report["history"]["provisional"]
            else (0, None)
        ),
        contam=contam.value,
        contams=[c.value for c in Contamination],
        # what the report is called and its tables, as the kind's convention names them
        convention=convention_for(contam.value),
        # the first record of the kind: a year before it is not offered to finalise
        first_record=first_record(session, contam.value),
        active="reports",
        not_nested=nesting(session).sentence() if level == 2 else None,
    )


@router.post("/reports/finalise")
def finalise_report(
    session: SessionDep,
    principal: PrincipalDep,
    year: Annotated[int, Form(ge=1900, le=2200)],
    level: Annotated[int, Form(ge=1, le=2)] = 1,
    contam: Annotated[Contamination, Form()] = Contamination.CMR,
) -> RedirectResponse:
    """Finalise the Article 7 report shown (reviewers), then show it again."""
    by = principal.actor.name if principal is not None else None
    article7_with_history(
        session, year, ReportScope(level=level, contam=contam), by=by, finalise=True
    )
    query = urlencode({"year": year, "level": level, "contam": contam.value})
    return RedirectResponse(f"/reports?{query}#report-history", status_code=303)


@router.get("/releases/outside", response_class=HTMLResponse)
def outside_releases_page(
    request: Request,
    session: SessionDep,
    released: Annotated[str | None, Query(alias="year", max_length=8)] = None,
    made: Annotated[str | None, Query(max_length=100)] = None,
    withdrawn: Annotated[str | None, Query(max_length=100)] = None,
    left_apart: Annotated[int | None, Query(ge=0)] = None,
) -> HTMLResponse:
    """Land released outside recorded hazards (docs/design.md §2.7), each of which a
    reviewer may make a retrospective hazard, or withdraw as recorded in error. The
    year's box left empty lists every year (it had answered 422)."""
    year = None
    if released and released.strip():
        text_year = released.strip()
        if not text_year.isdigit() or not 1900 <= int(text_year) <= 2200:
            return error_page(
                request,
                422,
                "Not a year",
                f"{text_year!r} is not a year: give one from 1900 to 2200, or none for all",
                ("/releases/outside", "land released outside hazards"),
            )
        year = int(text_year)
    rows = outside_releases(session, year=year, everything=True)
    return _page(
        request,
        "outside.html",
        rows=rows,
        year=year,
        made=made,
        left_apart=left_apart,
        withdrawn=withdrawn,
        statuses=[s.value for s in HazardStatus],
        active="reports",
    )


@router.post("/releases/outside/{reference:path}/hazard")
def make_hazard_page(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    reference: Annotated[str, Path(max_length=100)],
    hazard_id: Annotated[str, Form(min_length=1, max_length=100)],
    status: Annotated[HazardStatus, Form()] = HazardStatus.SHA,
) -> Response:
    """Make one record a retrospective hazard, then show the list again."""
    try:
        done = approval.convert_outside(
            session,
            reference,
            hazard_reference=hazard_id,
            status=status,
            by=principal.actor if principal is not None else None,
        )
    except Conflict as exc:  # back to the list it came from, not the dashboard
        session.rollback()
        return error_page(
            request,
            409,
            f"{reference} is not made a hazard",
            exc.detail,
            ("/releases/outside", "land released outside hazards"),
        )
    session.commit()
    said = {"made": hazard_id.strip()}
    if done.left_apart_m2:
        said["left_apart"] = f"{done.left_apart_m2:.0f}"
    return RedirectResponse(f"/releases/outside?{urlencode(said)}", status_code=303)


@router.get("/releases/outside/{reference:path}/withdraw", response_class=HTMLResponse)
def withdraw_outside_page(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    reference: Annotated[str, Path(max_length=100)],
) -> HTMLResponse:
    """What withdrawing a record of land released outside hazards changes, and the form
    that does it with a reason (reviewers)."""
    return _withdraw_outside_page(request, session, reference)


def _withdraw_outside_page(
    request: Request,
    session: Session,
    reference: str,
    *,
    error: str | None = None,
    reason: str = "",
) -> HTMLResponse:
    """The page that withdraws a record of land released outside hazards; with what was
    wrong with the form sent (``error``) and its reason kept."""
    try:
        effect = withdrawals.outside_withdrawal_effect(session, reference)
    except ImsError as exc:
        back = _outside_list(session, reference)
        return error_page(request, exc.status_code, "Nothing to withdraw", exc.detail, back)
    return _page(
        request,
        "withdraw_outside.html",
        422 if error else 200,
        active="reports",
        effect=effect,
        lines=effect.lines(done=False),
        error=error,
        reason=reason,
    )


def _outside_list(session: Session, reference: str) -> tuple[str, str]:
    """The way back to the list of land released outside hazards, at the record's year."""
    day = session.scalar(
        text("SELECT released FROM outside_release WHERE reference = :r"), {"r": reference}
    )
    if day is None:
        return "/releases/outside", "land released outside hazards"
    return (
        f"/releases/outside?year={day.year}#outside",
        f"land released outside hazards in {day.year}",
    )


@router.post("/releases/outside/{reference:path}/withdraw")
def withdraw_outside_form(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    reference: Annotated[str, Path(max_length=100)],
    reason: Annotated[str, Form(max_length=2000)] = "",
    sure: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Withdraw a record of land released outside hazards, once "yes" is ticked and a
    reason given, then show the list, which marks it withdrawn."""
    try:
        if sure != "yes":  # the box is required in the page: a form sent without it
            raise InvalidRequest(f'tick "yes" to withdraw {reference}')
        done = approval.withdraw_outside_release(
            session, reference, reason=reason, by=principal.actor if principal else None
        )
        session.commit()
    except InvalidRequest as exc:  # the form's (nothing written yet): said on it, reason kept
        return _withdraw_outside_page(request, session, reference, error=exc.detail, reason=reason)
    except ImsError as exc:
        back = _outside_list(session, reference)
        return error_page(request, exc.status_code, "Not withdrawn", exc.detail, back)
    query = urlencode({"year": done.released.year, "withdrawn": done.reference})
    return RedirectResponse(f"/releases/outside?{query}#outside", status_code=303)


def _not_after_today(day: dt.date | None) -> None:
    """Pages show what is recorded, which stops at today: a later date would present
    today's state as a future one's."""
    try:
        up_to_today(day)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None


def _area_searched(session: Session, chosen: register.RegisterFilter) -> places.Place | None:
    """The one province or district a search names (as the map's find box reads names,
    other names and kind words among them), when no area is chosen already; else None."""
    if chosen.admin or not chosen.q:
        return None
    found = places.find(session, chosen.q, hazards=False)
    if found.alike or found.more or len(found.places) != 1 or found.places[0].code is None:
        return None
    return found.places[0]


def _named_elsewhere(
    session: Session, chosen: register.RegisterFilter
) -> list[tuple[str, str, str]]:
    """The areas and operators a search that found no hazard names: (what, label, the
    register's query string with it chosen, the other filters kept: the links had listed
    every operator's hazards of the area, helper-98). Areas by their other names too, as
    the map's find box reads them: "Sayaboury" had found nothing and said nothing, a name
    for two areas (a first-time user's review, helper-97); names only alike are left to
    the map."""
    q = chosen.q or ""
    kept = {k: v for k, v in chosen.params().items() if k != "q"}
    if chosen.as_of == dt.date.today():
        kept.pop("as_of", None)
    found = [
        (what, label, dict(parse_qsl(param)))
        for what, label, param in register.names_like(session, q)
    ]
    areas = places.find(session, q, hazards=False)
    if not areas.alike:
        found += [("area", p.label, {"admin": p.code}) for p in areas.places if p.code]
    named: list[tuple[str, str, str]] = []
    for what, label, wanted in found:
        param = urlencode({**kept, **wanted})
        if param not in {n[2] for n in named}:
            named.append((what, label, param))
    return named[:6]


def _matched_wider(session: Session, chosen: register.RegisterFilter) -> tuple[int, str] | None:
    """How many hazards the search finds with no area, status, kind or operator chosen, and
    the address that lists them, where those chose none of them: a search run under an
    area chosen before found nothing and did not say the area was still chosen
    (helper-97)."""
    if not (chosen.admin or chosen.status or chosen.contamination or chosen.operator):
        return None
    wider = dataclasses.replace(chosen, admin=None, status=None, contamination=None, operator=None)
    matched = register.register(session, wider, limit=1, geometry=False).matched
    return (matched, urlencode(wider.params())) if matched else None


def _register_filter(params: dict[str, str]) -> register.RegisterFilter:
    """The register's filter from the page's form (an empty field: no filter)."""
    try:
        as_of = dt.date.fromisoformat(params["as_of"]) if params.get("as_of") else None
    except ValueError:
        raise InvalidRequest(f"as_of {params['as_of']!r} is not a date (YYYY-MM-DD)") from None
    _not_after_today(as_of)
    try:
        status = HazardStatus.parse(params["status"]) if params.get("status") else None
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None
    kinds = {c.value: c for c in Contamination}
    contam = None
    if params.get("contamination"):
        contam = kinds.get(params["contamination"].upper())
        if contam is None:
            raise InvalidRequest(
                f"contamination {params['contamination']!r}: choose one of {', '.join(kinds)}"
            )
    return register.RegisterFilter(
        as_of=as_of or dt.date.today(),
        admin=params.get("admin") or None,
        status=status,
        contamination=contam,
        operator=params.get("operator") or None,
        open=params.get("open", "true") != "false",
        q=(params.get("q") or "").strip() or None,
        sort=params.get("sort") or "hazard_id",
    )


REGISTER_PAGE = 100


@router.get("/hazards", response_class=HTMLResponse)
def register_page(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    as_of: Annotated[str | None, Query(max_length=10)] = None,
    admin: Annotated[str | None, Query(max_length=32)] = None,
    status: Annotated[str | None, Query(max_length=8)] = None,
    contamination: Annotated[str | None, Query(max_length=8)] = None,
    operator: Annotated[str | None, Query(max_length=200)] = None,
    open: Annotated[str | None, Query(max_length=5)] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    sort: Annotated[str | None, Query(max_length=40)] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    contam: Annotated[str | None, Query(max_length=8)] = None,
    withdrawn: bool = False,
    format: Annotated[Literal["csv"] | None, Query()] = None,
) -> Response:
    """The hazard register: the hazards in force on a date, filtered, 100 a page, with
    links to each hazard and the register as files for field teams. ``contam`` is
    ``contamination`` as the dashboard's and the map's addresses name it: the register
    had shown every kind for ``?contam=CMR`` (a review as a new user). ``withdrawn``:
    the hazards and releases withdrawn as recorded in error instead, which no register,
    map or report lists (not under location privacy: they are listed by reference), as a
    page or, with ``format=csv``, every one of them as a file."""
    contamination = contamination or contam
    hidden = generalised(principal)
    if withdrawn and not hidden and format == "csv":
        table = register.withdrawn_table(register.withdrawn_records(session))
        return Response(
            csv_text(table),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="withdrawn-records.csv"'},
        )
    if withdrawn and not hidden:
        return _page(
            request,
            "withdrawn.html",
            active="register",
            records=register.withdrawn_records(session),
            withdrawn_shown=WITHDRAWN_SHOWN,
        )
    params = {
        k: v
        for k, v in dict(
            as_of=as_of,
            admin=admin,
            status=status,
            contamination=contamination,
            operator=operator,
            open=open,
            q=None if hidden else q,
            sort=sort,
        ).items()
        if v
    }
    try:
        chosen = _register_filter(params)
        page = register.register(
            session, chosen, limit=REGISTER_PAGE, offset=offset, geometry=False
        )
    except ImsError as exc:
        return error_page(request, exc.status_code, "Not a register filter", exc.detail)
    searched = chosen.q
    area = _area_searched(session, chosen) if chosen.q and not page.matched else None
    if area is not None:
        # A search that is an area's name and finds nothing else lists the area's hazards,
        # as its filter does (a new user's review had typed a district and found nothing)
        chosen = dataclasses.replace(chosen, admin=area.code, q=None)
        page = register.register(
            session, chosen, limit=REGISTER_PAGE, offset=offset, geometry=False
        )
    kept = chosen.params()
    last_page = max(0, (page.matched - 1) // REGISTER_PAGE)
    exact = (
        register.reference_named(session, chosen.q)
        if chosen.q and not generalised(principal)
        else None
    )
    return _page(
        request,
        "register.html",
        active="register",
        chosen=chosen,
        page=page,
        hidden=hidden,
        admins=register.admin_choices(session),
        operators=register.operator_choices(session),
        contams=list(Contamination),
        sorts=list(register.SORTS),
        sort_labels=register.SORT_LABELS,
        elsewhere=_named_elsewhere(session, chosen) if chosen.q and not page.matched else [],
        wider=_matched_wider(session, chosen) if chosen.q and not page.matched else None,
        area_searched=(searched, area.label) if area is not None else None,
        # a search that is a hazard's very reference: among AT-10, AT-100… it is named
        # first, and said to be left out where the filters or the date leave it out
        exact=exact,
        left_out_by=register.left_out_by(session, chosen, exact) if exact else None,
        withdrawn=(0, 0) if hidden else register.withdrawn_counts(session),
        release=register.release_named(session, chosen.q) if chosen.q and not hidden else None,
        formats=register_files.FORMATS,
        export_query=urlencode(kept),
        # the releases by the same operator, in the same area, of the same kind, up to the
        # register's date
        release_query=urlencode(
            [(k, kept[k]) for k in ("operator", "admin", "contamination") if k in kept]
            + ([("to", chosen.as_of.isoformat())] if chosen.as_of < dt.date.today() else [])
        ),
        # a period's releases (the year so far, by default): a reviewer asked for the
        # releases of 2025 was offered every release ever, 5 MB (helper-97)
        release_filter=[(k, kept[k]) for k in ("operator", "admin", "contamination") if k in kept],
        release_from=chosen.as_of.replace(month=1, day=1),
        today=dt.date.today(),
        # (past the end, the page before is the last one: it had been offset - 100, still past)
        prev_query=urlencode(
            {**kept, "offset": max(0, min(offset - REGISTER_PAGE, last_page * REGISTER_PAGE))}
        )
        if offset > 0
        else None,
        next_query=urlencode({**kept, "offset": page.next_offset})
        if page.next_offset is not None
        else None,
        # the first and last pages and where this one is: 463 "Next" to reach the end of a
        # national register, and past it a page of "No hazard matches" (a walk-through at
        # national scale)
        page_no=offset // REGISTER_PAGE + 1,
        pages=last_page + 1,
        first_query=urlencode({**kept, "offset": 0}),
        last_query=urlencode({**kept, "offset": last_page * REGISTER_PAGE}),
    )
