"""Recording and correcting a hazard in Chromium (issue 16, items 5 and 6).

An operator draws a hazard on the map with Leaflet-Geoman (mouse clicks), a reviewer
approves the one-feature submission on its review page, and the hazard is then on its page,
in the map tiles and in the Article 7 report with the area PostGIS gives its polygon on the
ellipsoid. Its boundary is revised by moving a corner (the history shows both), and a
release drawn over it counts on approval the area the form showed before it was sent. The
forms are drawn on a touch screen at 390 px too. Screenshots go to tests/artifacts/.

The tests run in order on the shared demo programme and add to it (a hazard in a corner of
a province where there is none), so they are one journey: each needs the one before.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import mapbox_vector_tile
import pytest
from playwright.sync_api import Browser, Page, expect
from pyproj import Geod
from shapely.geometry import shape
from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.api.gate import FORM_ALLOWANCE
from ims.config import get_settings
from ims.db.recording import record_hazards
from ims.domain.enums import HazardStatus
from ims.domain.records import NewHazard
from tests.api.test_tiles import tile_of
from tests.ui.conftest import LiveSite, open_settled
from tests.ui.test_browser import ARTIFACTS, Watched, browser, sign_in
from tests.ui.test_hazard_history import records, timeline

__all__ = ["browser"]  # the module's browser, shared from the other browser tests

REFERENCE = "UI-DRAWN-1"
RECORDED = "2025-03-01"
REVISED = "2025-09-01"
RELEASED = "2025-11-15"
ZOOM = 16
GEOD = Geod(ellps="WGS84")


@dataclass
class Journey:
    """What the steps of the journey hand on to the next."""

    lat: float = 0.0
    lon: float = 0.0
    submissions: list[int] = field(default_factory=list)
    preview_m2: float | None = None


@pytest.fixture(scope="module")
def journey(site: LiveSite) -> Journey:
    """A point of land inside a province, far from any hazard or release of the demo."""
    with site.engine.connect() as conn:
        lat, lon = conn.execute(
            text(
                "SELECT ST_Y(p), ST_X(p) FROM (SELECT ST_PointOnSurface(ST_Difference(a.geom, "
                " (SELECT ST_Buffer(ST_Union(geom), 0.05) FROM ("
                "  SELECT geom FROM hazard_revision UNION ALL SELECT geom FROM release) g))) p"
                " FROM admin_area a WHERE a.level = 1 ORDER BY ST_Area(a.geom) DESC LIMIT 1) x"
            )
        ).one()
    return Journey(float(lat), float(lon))


def _tab(browser: Browser, site: LiveSite, user: str, width: int = 1366) -> Iterator[Watched]:
    touch = width < 700
    context = browser.new_context(
        viewport={"width": width, "height": 900}, has_touch=touch, is_mobile=touch
    )
    page = context.new_page()
    tab = Watched(page)
    sign_in(page, site, user)
    yield tab
    context.close()


@pytest.fixture
def operator(browser: Browser, site: LiveSite) -> Iterator[Watched]:
    yield from _tab(browser, site, "ui-operator")


@pytest.fixture
def reviewer(browser: Browser, site: LiveSite) -> Iterator[Watched]:
    yield from _tab(browser, site, "ui-reviewer")


@pytest.fixture
def phone(browser: Browser, site: LiveSite) -> Iterator[Watched]:
    yield from _tab(browser, site, "ui-operator", width=390)


@pytest.fixture
def reviewer_phone(browser: Browser, site: LiveSite) -> Iterator[Watched]:
    yield from _tab(browser, site, "ui-reviewer", width=390)


def _map_at(page: Page, lat: float, lon: float, zoom: int = ZOOM) -> dict[str, float]:
    """Centre the form's map on a point; the map's box on the page."""
    page.wait_for_selector("#record-map[data-ready=true]", state="attached")
    page.evaluate(
        "([lat, lon, zoom]) => document.getElementById('record-map').leafletMap"
        ".setView([lat, lon], zoom, { animate: false })",
        [lat, lon, zoom],
    )
    page.locator("#record-map").scroll_into_view_if_needed()
    box = page.locator("#record-map").bounding_box()
    assert box is not None
    return box


def _centre(box: dict[str, float]) -> tuple[float, float]:
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def _draw_polygon(page: Page, corners: list[tuple[float, float]], *, touch: bool = False) -> None:
    """Draw with Geoman's polygon tool: a click (or tap) per corner, then the first again
    (on a touch screen, its Finish button)."""
    page.click(".leaflet-pm-icon-polygon") if not touch else page.tap(".leaflet-pm-icon-polygon")
    for x, y in corners:
        if touch:
            page.touchscreen.tap(x, y)
        else:
            page.mouse.click(x, y)
        page.wait_for_timeout(150)
    if touch:
        page.tap(".button-container.active .action-finish")
    else:
        page.mouse.click(*corners[0])
    page.wait_for_selector("#record-map[data-drawn=true]", state="attached")


def _approve(reviewer: Watched, site: LiveSite, submission: int, shot: str) -> None:
    page = reviewer.page
    open_settled(page, f"{site.url}/submissions/{submission}")
    assert page.locator(".finding.error").count() == 0
    reviewer.shoot(shot)
    page.click("#approve")
    page.click("#confirm-yes")  # the review page asks before approving
    page.wait_for_selector("#outcome:has-text('approved')", timeout=30_000)


def _submitted(page: Page) -> int:
    found = re.search(r"/submissions/(\d+)$", page.url)
    assert found, f"not on a review page: {page.url}\n{page.inner_text('main')[:800]}"
    return int(found.group(1))


def test_draw_a_hazard_approve_it_and_find_it_on_its_page_in_tiles_and_in_the_report(
    operator: Watched, reviewer: Watched, site: LiveSite, journey: Journey
) -> None:
    page = operator.page
    open_settled(page, f"{site.url}/submissions")
    page.click("#record-hazard-link")
    page.wait_for_url(f"{site.url}/hazards/new")
    operator.shoot("record-hazard-1366-operator")
    cx, cy = _centre(_map_at(page, journey.lat, journey.lon))
    _draw_polygon(
        page, [(cx - 80, cy - 60), (cx + 80, cy - 60), (cx + 90, cy + 60), (cx - 70, cy + 70)]
    )
    page.fill("#f-hazard_id", REFERENCE)
    page.select_option("#f-status", "SHA")
    page.select_option("#f-munition-type-0", index=1)
    page.fill("#f-munition-qty-0", "12")
    page.fill("#f-used_from", "1968")
    page.fill("#f-used_to", "1973")
    page.fill("#f-recorded", RECORDED)
    assert page.input_value("#f-operator") == "MAG"  # fixed to the operator's organisation
    operator.shoot("record-hazard-drawn-1366-operator")
    page.click("#send")
    page.wait_for_load_state("networkidle")
    submission = _submitted(page)
    journey.submissions.append(submission)
    assert "0 errors" in page.inner_text("main")
    operator.shoot("record-hazard-submitted-1366-operator")
    _approve(reviewer, site, submission, "record-hazard-review-1366-reviewer")

    with site.engine.connect() as conn:
        geography_m2 = conn.scalar(
            text(
                "SELECT ST_Area(r.geom::geography, true) FROM hazard_revision r "
                "JOIN hazard h ON h.id = r.hazard_id WHERE h.reference = :r"
            ),
            {"r": REFERENCE},
        )
    assert geography_m2 and geography_m2 > 1000
    # on its page
    open_settled(page, f"{site.url}/hazards/{REFERENCE}")
    assert timeline(page.content()) == [(RECORDED, "recorded")]
    area_text = page.inner_text("#hazard-figures")
    shown = int(
        re.search(r"Area of the boundary in force\s+([\d,]+)\s+m²", area_text)
        .group(1)
        .replace(",", "")
    )  # type: ignore[union-attr]
    assert shown == pytest.approx(geography_m2, abs=1)
    # in the tiles
    x, y = tile_of(journey.lon, journey.lat, 14)
    tile = httpx.get(
        f"{site.url}/api/v1/tiles/hazards/14/{x}/{y}.pbf",
        headers={"Authorization": f"Bearer {site.token}"},
    )
    assert tile.status_code == 200
    features = mapbox_vector_tile.decode(tile.content).get("hazards", {}).get("features", [])
    assert REFERENCE in {f["properties"].get("reference") for f in features}
    # in the Article 7 report, with the area PostGIS gives the polygon on the ellipsoid
    explained = httpx.get(
        f"{site.url}/api/v1/reports/article7/explain",
        params={"year": 2025, "admin": "TOTAL", "column": "sha_area_m2"},
        headers={"Authorization": f"Bearer {site.token}"},
    ).json()
    mine = [c for c in explained["contributions"] if c["hazard"] == REFERENCE]
    assert len(mine) == 1
    assert mine[0]["value"] == pytest.approx(geography_m2, rel=1e-6)
    # in the register, found by its reference in any case, with the same area
    found = httpx.get(
        f"{site.url}/api/v1/hazards",
        params={"q": REFERENCE.lower()},
        headers={"Authorization": f"Bearer {site.token}"},
    ).json()
    [feature] = [f for f in found["features"] if f["properties"]["hazard_id"] == REFERENCE]
    assert feature["properties"]["remaining_m2"] == pytest.approx(geography_m2, rel=1e-6)
    open_settled(page, f"{site.url}/hazards?q={REFERENCE}")
    assert page.locator(f"#register a:has-text('{REFERENCE}')").count() == 1
    assert operator.errors == []
    assert reviewer.errors == []


def test_move_a_corner_of_the_boundary_and_the_history_shows_both(
    operator: Watched, reviewer: Watched, site: LiveSite, journey: Journey
) -> None:
    page = operator.page
    open_settled(page, f"{site.url}/hazards/{REFERENCE}")
    page.click("#record-links >> text=Revise")
    page.wait_for_url(f"{site.url}/hazards/{REFERENCE}/revise")
    page.wait_for_selector("#record-map[data-ready=true]", state="attached")
    page.locator("#record-map").scroll_into_view_if_needed()
    page.click(".leaflet-pm-icon-edit")
    corner = page.locator("#record-map .marker-icon:not(.marker-icon-middle)").first
    box = corner.bounding_box()
    assert box is not None
    start = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(start[0] + 25, start[1] + 20, steps=8)
    page.mouse.up()
    page.wait_for_selector("#record-map[data-drawn=true]", state="attached")
    page.select_option("#f-status", "CHA")
    page.fill("#f-revised", REVISED)
    page.fill("#f-reason", "technical survey: the north-west corner is clear")
    operator.shoot("revise-hazard-1366-operator")
    page.click("#send")
    page.wait_for_load_state("networkidle")
    submission = _submitted(page)
    journey.submissions.append(submission)
    _approve(reviewer, site, submission, "revise-hazard-review-1366-reviewer")
    open_settled(page, f"{site.url}/hazards/{REFERENCE}")
    content = page.content()
    assert timeline(content) == [(RECORDED, "recorded"), (REVISED, "revised")]
    assert len(records(content)) == 2
    assert page.inner_text("#hazard-status") == "CHA"
    with site.engine.connect() as conn:
        areas = conn.execute(
            text(
                "SELECT ST_Area(r.geom::geography, true), r.attributes->>'reason' "
                "FROM hazard_revision r JOIN hazard h ON h.id = r.hazard_id "
                "WHERE h.reference = :r ORDER BY r.effective"
            ),
            {"r": REFERENCE},
        ).all()
    assert len(areas) == 2
    assert areas[1][0] < areas[0][0]  # a corner moved inwards
    assert areas[1][1] == "technical survey: the north-west corner is clear"
    operator.shoot("revised-hazard-page-1366-operator")


def test_the_revise_form_shows_the_boundary_in_force_on_the_date_given(
    operator: Watched, site: LiveSite, journey: Journey
) -> None:
    """A revision keeps the boundary in force on its date; the editor had always shown
    today's, and a status-only revision dated earlier carried it back (a walk-through)."""
    page = operator.page
    open_settled(page, f"{site.url}/hazards/{REFERENCE}/revise")
    page.wait_for_selector("#record-map[data-ready=true]", state="attached")

    def edited_m2() -> float:
        drawn = page.evaluate(
            """() => {
              const found = [];
              document.querySelector("#record-map").leafletMap.eachLayer((l) => {
                const edited = l instanceof L.Polygon && !l.options.pmIgnore;
                if (edited) found.push(l.toGeoJSON(false).geometry);
              });
              return found;
            }"""
        )
        assert len(drawn) == 1, drawn
        return abs(GEOD.geometry_area_perimeter(shape(drawn[0]))[0])

    with site.engine.connect() as conn:
        first, today = conn.execute(
            text(
                "SELECT ST_Area(r.geom::geography, true) FROM hazard_revision r "
                "JOIN hazard h ON h.id = r.hazard_id WHERE h.reference = :r ORDER BY r.effective"
            ),
            {"r": REFERENCE},
        ).scalars()
    assert edited_m2() == pytest.approx(today, rel=1e-5)
    page.fill("#f-revised", RECORDED)
    page.dispatch_event("#f-revised", "change")
    page.wait_for_selector(f"#record-map[data-boundary-on='{RECORDED}']", state="attached")
    assert page.inner_text("#boundary-date") == f"on {RECORDED}"
    assert page.input_value("#f-status") == "SHA"  # in force then; CHA since REVISED
    # (as the API gives it, to 7 decimals, about 1 cm: the two boundaries differ by 8 %)
    assert edited_m2() == pytest.approx(first, rel=1e-4)
    operator.shoot("revise-hazard-earlier-date-1366-operator")
    assert operator.errors == []


def test_a_release_shows_the_area_it_would_count_and_counts_it(
    operator: Watched, reviewer: Watched, site: LiveSite, journey: Journey
) -> None:
    page = operator.page
    open_settled(page, f"{site.url}/hazards/{REFERENCE}")
    page.click("#record-links >> text=Record a release")
    page.wait_for_url(f"{site.url}/hazards/{REFERENCE}/releases/new")
    page.fill("#f-release_id", "UI-REL-1")
    page.fill("#f-released", RELEASED)
    page.select_option("#f-method", "cleared")
    cx, cy = _centre(_map_at(page, journey.lat, journey.lon))
    # from the hazard's middle out past its eastern edge: only part of it counts
    _draw_polygon(page, [(cx, cy - 30), (cx + 250, cy - 30), (cx + 250, cy + 30), (cx, cy + 30)])
    page.wait_for_selector("#counted-m2", timeout=15_000)
    preview = float(page.get_attribute("#counted-m2", "data-m2") or "nan")
    assert preview > 0
    operator.shoot("record-release-1366-operator")
    page.click("#send")
    page.wait_for_load_state("networkidle")
    submission = _submitted(page)
    journey.submissions.append(submission)
    _approve(reviewer, site, submission, "record-release-review-1366-reviewer")
    with site.engine.connect() as conn:
        counted, independent = conn.execute(
            text(
                "SELECT -le.delta_m2, "
                "ST_Area(ST_Intersection(rel.geom, rev.geom)::geography, true) "
                "FROM release rel JOIN ledger_entry le ON le.release_id = rel.id "
                "JOIN hazard_revision rev ON rev.hazard_id = rel.hazard_id "
                "AND rev.effective = :revised WHERE rel.reference = 'UI-REL-1'"
            ),
            {"revised": REVISED},
        ).one()
    assert counted == pytest.approx(preview, rel=1e-9)
    assert counted == pytest.approx(independent, rel=1e-6)
    assert reviewer.errors == []


def test_pasted_coordinates_are_drawn_as_they_are_pasted(
    operator: Watched, site: LiveSite, journey: Journey
) -> None:
    """Pasted coordinates were seen only once the form was sent (a walk-through)."""
    page = operator.page
    open_settled(page, f"{site.url}/hazards/new")
    page.wait_for_selector("#record-map[data-ready=true]", state="attached")
    lon, lat = journey.lon, journey.lat
    ring = [(lon, lat), (lon + 0.002, lat), (lon + 0.002, lat + 0.002), (lon, lat + 0.002)]
    page.fill("#f-coordinates", "\n".join(f"{x:.6f} {y:.6f}" for x, y in ring))
    page.wait_for_selector("#record-map[data-pasted=drawn]", state="attached")
    said = page.inner_text("#pasted-area")
    area = abs(GEOD.polygon_area_perimeter([x for x, _ in ring], [y for _, y in ring])[0])
    shown = re.search(r"a polygon of ([\d,]+) m²", said)
    assert shown is not None, said
    assert int(shown[1].replace(",", "")) == pytest.approx(area, abs=1)
    assert page.locator("#record-map path[stroke-dasharray='6 4']").count() == 1
    operator.shoot("record-hazard-pasted-1366-operator")
    page.fill("#f-coordinates", "103.4 19.4 103.41")
    page.wait_for_selector("#record-map[data-pasted=error]", state="attached")
    assert "3 numbers: longitude latitude pairs are needed" in page.inner_text("#pasted-area")
    assert page.locator("#record-map path[stroke-dasharray='6 4']").count() == 0
    # sent so, the form comes back with the error above the polygon's box, said once: the
    # check under the box had said it again (a first-time user's review)
    page.fill("#f-hazard_id", "PASTED-ONCE")
    page.fill("#f-recorded", "2024-01-01")
    page.click("#send")
    page.wait_for_selector("#geometry-error")
    page.wait_for_selector("#record-map[data-pasted=error]", state="attached")
    assert "3 numbers" in page.inner_text("#geometry-error")
    assert page.inner_text("#pasted-area") == ""
    page.fill("#f-coordinates", "103.4 19.4 103.41 19")  # changed: the check speaks again
    page.wait_for_function(
        "() => document.getElementById('pasted-area').textContent.includes('three corners')"
    )
    # the refusals, 422 as they should be: the live check's and the form's own
    refused = ("/api/v1/polygons/read", "/hazards/new")
    assert [e for e in operator.errors if not any(r in e for r in refused)] == []


def test_the_forms_on_a_phone_draw_by_touch(
    phone: Watched, site: LiveSite, journey: Journey
) -> None:
    page = phone.page
    for path, name in (
        ("/hazards/new", "record-hazard-390-operator"),
        (f"/hazards/{REFERENCE}/revise", "revise-hazard-390-operator"),
        (f"/hazards/{REFERENCE}/releases/new", "record-release-390-operator"),
    ):
        open_settled(page, f"{site.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide on a 390 px screen"
        # its legend, folded on a phone; the drawing tools clear of the scale bar
        assert page.locator("#record-map details.legend:not([open])").count() == 1
        tools = page.locator(".leaflet-pm-toolbar").last.bounding_box()
        scale = page.locator("#record-map .leaflet-control-scale").bounding_box()
        assert tools and scale
        assert (
            tools["x"] + tools["width"] <= scale["x"] or tools["y"] + tools["height"] <= scale["y"]
        )
        phone.shoot(name)
        if path.endswith("/releases/new"):
            # a type's name was cut to "BLU-26 · BL" beside its label; and four types at most
            select = page.locator("#f-item-type-0").bounding_box()
            assert select and select["width"] >= 220, select
            page.click("[data-add-row]")
            assert page.locator(".qty-row").count() == 5
            assert page.evaluate("document.activeElement.id") == "f-item-type-4"
            assert page.inner_text("label[for=f-item-qty-4]") == "Quantity 5"
            page.locator("fieldset.quantities").scroll_into_view_if_needed()
            phone.page.screenshot(path=str(ARTIFACTS / "record-release-items-390.png"))
    open_settled(page, f"{site.url}/hazards/new")
    box = _map_at(page, journey.lat + 0.01, journey.lon + 0.01)
    cx, cy = _centre(box)
    # the drawing's actions one above the other beside the tool: in a row they covered
    # three quarters of the map's width, and taps meant for corners hit them (helper-97)
    page.tap(".leaflet-pm-icon-polygon")
    actions = page.locator(".button-container.active .leaflet-pm-actions-container")
    held = actions.bounding_box()
    assert held and held["width"] <= box["width"] / 2, (held, box)
    assert page.inner_text(".button-container.active .action-removeLastVertex") == (
        "Undo last corner"
    )
    phone.shoot("record-hazard-drawing-390-operator")
    page.tap(".button-container.active .action-cancel")
    # below the tool bar, whose actions open to the right of the polygon button
    _draw_polygon(
        page,
        [(cx - 40, cy + 10), (cx + 60, cy + 10), (cx + 70, cy + 100), (cx - 30, cy + 110)],
        touch=True,
    )
    drawn: Any = page.input_value("#f-geometry")
    assert '"Polygon"' in drawn
    phone.shoot("record-hazard-drawn-390-operator")
    assert phone.errors == []


def test_my_position_takes_the_forms_map_where_the_phone_is(
    browser: Browser, site: LiveSite, journey: Journey
) -> None:
    """A field team leader had to find where they stood on a map with no streets, zooming in
    from the whole country (helper-97): "My position" goes there and says how near."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        has_touch=True,
        is_mobile=True,
        geolocation={"latitude": journey.lat, "longitude": journey.lon, "accuracy": 12},
        permissions=["geolocation"],
    )
    try:
        page = context.new_page()
        tab = Watched(page)
        sign_in(page, site, "ui-operator")
        open_settled(page, f"{site.url}/hazards/new")
        page.wait_for_selector("#record-map[data-ready=true]", state="attached")
        page.tap("#record-map button.locate")
        page.wait_for_function(
            "() => document.getElementById('drawn-area').textContent"
            ".startsWith('The map shows your position')"
        )
        assert "to about 12 m" in page.inner_text("#drawn-area")
        lat, lon, zoom = page.evaluate(
            "() => { const m = document.getElementById('record-map').leafletMap;"
            " const c = m.getCenter(); return [c.lat, c.lng, m.getZoom()]; }"
        )
        assert abs(lat - journey.lat) < 1e-4 and abs(lon - journey.lon) < 1e-4
        assert zoom >= 15
        tab.shoot("record-hazard-my-position-390-operator")
        assert tab.errors == []
    finally:
        context.close()


def test_a_reviewer_on_a_phone_reads_the_record_and_its_submissions(
    reviewer_phone: Watched, site: LiveSite, journey: Journey
) -> None:
    page = reviewer_phone.page
    assert len(journey.submissions) == 3
    for number, submission in enumerate(journey.submissions):
        open_settled(page, f"{site.url}/submissions/{submission}")
        assert page.inner_text("#status") == "approved"
        reviewer_phone.shoot(f"record-submission-{number + 1}-390-reviewer")
    open_settled(page, f"{site.url}/hazards/{REFERENCE}")
    assert page.locator("#record-links a").count() == 2  # reviewers may revise and release
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    reviewer_phone.shoot("recorded-hazard-page-390-reviewer")
    open_settled(page, f"{site.url}/hazards/{REFERENCE}/revise")
    assert page.locator("#f-operator option").count() > 1  # reviewers name the operator
    reviewer_phone.shoot("revise-hazard-390-reviewer")
    assert reviewer_phone.errors == []


def test_the_form_is_usable_by_keyboard_with_pasted_coordinates_and_errors_sit_beside_fields(
    operator: Watched, site: LiveSite, journey: Journey
) -> None:
    page = operator.page
    with site.engine.connect() as conn:  # one of the demo's: the test needs no other first
        taken = conn.execute(text("SELECT reference FROM hazard ORDER BY id LIMIT 1")).scalar_one()
    open_settled(page, f"{site.url}/hazards/new")
    page.focus("#f-hazard_id")
    page.keyboard.type(taken)  # taken already: the error is beside the field
    # tab on from the polygon's legend: the skip link, then the map, then out of it
    page.focus("#f-recorded")
    for _ in range(4):  # a date input takes a Tab per part (month, day, year)
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") != "f-recorded":
            break
    focused = page.evaluate("document.activeElement.className")
    assert "skip-map" in focused, focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "f-coordinates"
    page.keyboard.type("POLYGON((1 1, 2 1, 2 2, 1 1))")  # outside the country
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past the file input to the send button
    assert page.evaluate("document.activeElement.id") == "send"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    assert page.url.split("#")[0].endswith("/hazards/new")  # shown again: nothing was sent
    assert page.locator("#error-summary").count() == 1
    assert page.locator("#error-summary li").count() == 2
    # the focus on the summary, which a screen reader reads first (it had stayed on the
    # page's top), and the polygon's text box tied to its error (a keyboard user's review)
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.get_attribute("#f-coordinates", "aria-invalid") == "true"
    assert "geometry-error" in (page.get_attribute("#f-coordinates", "aria-describedby") or "")
    assert "already recorded" in page.inner_text("#hazard_id-error")  # beside its field
    assert page.get_attribute("#f-hazard_id", "aria-invalid") == "true"
    assert page.input_value("#f-hazard_id") == taken  # what was typed is kept
    assert "outside" in page.inner_text("fieldset.polygon .field-error")
    operator.shoot("record-hazard-errors-1366-operator")
    page.set_viewport_size({"width": 390, "height": 900})
    operator.shoot("record-hazard-errors-390-operator")


def test_a_file_larger_than_a_form_takes_is_refused_beside_its_field_before_it_is_sent(
    operator: Watched, site: LiveSite, tmp_path: Path
) -> None:
    """Sent, it met the server's limit on requests: a page 'Too large', and what was typed
    lost. The page knows the limit and says so at the field."""
    page = operator.page
    open_settled(page, f"{site.url}/hazards/new")
    limit = int(page.get_attribute("#f-geometry_file", "data-max-bytes") or 0)
    assert limit == get_settings().request_max_bytes - FORM_ALLOWANCE
    assert f"Up to {limit / 1e6:.1f} MB" in page.inner_text("#geometry_file-limit")
    big = tmp_path / "whole-province.gpkg"
    big.write_bytes(b"\0" * (limit + 1))
    page.fill("#f-hazard_id", "UI-TOO-BIG-1")
    page.set_input_files("#f-geometry_file", str(big))
    error = page.locator("#geometry_file-error")
    expect(error).to_be_visible()
    said = (
        f"whole-province.gpkg is over the {limit / 1e6:.1f} MB a form takes: simplify the "
        "polygon (fewer corners), or send the file from the upload page"
    )
    assert error.inner_text() == said  # as the server says it
    assert page.get_attribute("#f-geometry_file", "aria-invalid") == "true"
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    page.click("#send")
    page.wait_for_timeout(300)
    assert sent == []  # the browser held the form back
    assert page.input_value("#f-hazard_id") == "UI-TOO-BIG-1"
    operator.shoot("record-file-too-large-1366-operator")
    page.set_viewport_size({"width": 390, "height": 900})
    error.scroll_into_view_if_needed()
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
    operator.shoot("record-file-too-large-390-operator")
    small = tmp_path / "one.geojson"
    small.write_text('{"type": "Polygon", "coordinates": []}')
    page.set_input_files("#f-geometry_file", str(small))  # another file: the error goes
    expect(error).to_be_hidden()
    assert page.get_attribute("#f-geometry_file", "aria-invalid") == "false"
    assert operator.errors == []


def test_the_release_form_shown_again_with_its_area_still_draws_and_checks_its_file(
    operator: Watched, site: LiveSite, journey: Journey, tmp_path: Path
) -> None:
    """Shown again by "Show the area", its script stopped at set-up ("Cannot access 'asked'
    before initialization"): no drawing tools, no live area, no check of the file."""
    page = operator.page
    open_settled(page, f"{site.url}/hazards/{REFERENCE}/releases/new")
    page.fill("#f-release_id", "UI-REL-SHOWN")
    page.fill("#f-released", RELEASED)
    page.select_option("#f-method", "reduced")
    lon, lat, d = journey.lon, journey.lat, 0.0005
    page.fill(
        "#f-coordinates",
        f"POLYGON(({lon} {lat}, {lon + d} {lat}, {lon + d} {lat + d}, {lon} {lat + d}, "
        f"{lon} {lat}))",
    )
    # read and drawn before the form is sent, as one sees it: sent at once, the reading
    # still on its way is cut off by the page's leaving (a failed request, under load)
    page.wait_for_selector("#record-map[data-pasted=drawn]", state="attached")
    with page.expect_navigation():
        page.click("#preview-button")
    page.wait_for_load_state("networkidle")
    assert page.locator("#counted-m2").count() == 1  # the area shown
    assert page.locator("#record-map[data-ready='true']").count() == 1  # set up to the end
    assert page.locator(".leaflet-pm-toolbar").first.is_visible()  # the drawing tools
    big = tmp_path / "detailed.geojson"
    big.write_bytes(b" " * (int(page.get_attribute("#f-geometry_file", "data-max-bytes") or 0) + 1))
    page.set_input_files("#f-geometry_file", str(big))
    expect(page.locator("#geometry_file-error")).to_be_visible()
    operator.shoot("record-release-shown-again-1366-operator")
    assert operator.errors == []


def test_a_reviewer_withdraws_a_release_recorded_in_error_and_its_ground_is_remaining_again(
    browser: Browser, site: LiveSite, journey: Journey
) -> None:
    """The last step of the journey: UI-REL-1 was recorded in error. The reviewer reads
    what withdrawing it changes, gives the reason, and the hazard's remaining area is its
    boundary's again, while the release stays listed, withdrawn."""
    # first on a phone: the dialog fits the screen, and Cancel leaves everything as it was
    first_tabs = _tab(browser, site, "ui-reviewer", width=390)
    first = next(first_tabs)
    open_settled(first.page, f"{site.url}/hazards/{REFERENCE}")
    first.page.locator("#records tr", has_text="UI-REL-1").locator("button").click()
    asked = first.page.locator("#withdraw-dialog")
    expect(asked.locator("#withdraw-effect")).to_contain_text("Withdrawn, it counts nothing")
    shown = asked.bounding_box()
    assert shown is not None and shown["x"] >= 0 and shown["x"] + shown["width"] <= 390
    first.page.screenshot(path=str(ARTIFACTS / "withdraw-release-asked-390-reviewer.png"))
    first.page.click("#withdraw-no")
    expect(asked).to_be_hidden()
    assert first.errors == []
    first_tabs.close()
    with site.engine.connect() as conn:
        assert not conn.scalar(
            text(
                "SELECT count(*) FROM release_withdrawal w JOIN release x ON x.id = w.release_id"
                " WHERE x.reference = 'UI-REL-1'"
            )
        )

    tabs = _tab(browser, site, "ui-reviewer")
    reviewer = next(tabs)
    page = reviewer.page
    open_settled(page, f"{site.url}/hazards/{REFERENCE}")
    row = page.locator("#records tr", has_text="UI-REL-1")
    row.locator("button.withdraw-release").click()
    dialog = page.locator("#withdraw-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#withdraw-effect")).to_contain_text("Withdrawn, it counts nothing")
    expect(page.locator("#withdraw-yes")).to_be_enabled()
    reviewer.shoot("withdraw-release-asked-1366-reviewer")
    page.click("#withdraw-yes")  # no reason yet: asked for, nothing sent
    expect(page.locator("#withdraw-error")).to_contain_text("Say why")
    page.fill("#withdraw-reason", "drawn over the wrong hazard; sent again as UI-REL-2")
    # the request for a reason goes once one is typed (helper-107: it had stayed)
    expect(page.locator("#withdraw-error")).to_have_text("")
    page.click("#withdraw-yes")
    page.wait_for_selector("#records-outcome.ok", timeout=30_000)
    expect(page.locator("#records-outcome")).to_contain_text("Release UI-REL-1 withdrawn")
    expect(row.locator(".badge.withdrawn")).to_be_visible()
    expect(page.locator("#records tr", has_text="sent again as UI-REL-2")).to_be_visible()
    assert row.locator("button.withdraw-release").count() == 0
    reviewer.shoot("withdraw-release-done-1366-reviewer")
    with site.engine.connect() as conn:
        remaining, boundary = conn.execute(
            text(
                "SELECT m.remaining_m2, ST_Area(v.geom::geography, true) FROM hazard h "
                "JOIN hazard_remaining m ON m.hazard_id = h.id "
                "JOIN hazard_revision v ON v.hazard_id = h.id AND v.effective = :revised "
                "WHERE h.reference = :h"
            ),
            {"revised": REVISED, "h": REFERENCE},
        ).one()
    assert remaining == pytest.approx(boundary, rel=1e-6)
    assert reviewer.errors == []
    tabs.close()
    # the operator who sent it is told, on the submission it came with
    with site.engine.connect() as conn:
        sent_with = conn.scalar(
            text("SELECT submission_id FROM release WHERE reference = 'UI-REL-1'")
        )
    sender_tabs = _tab(browser, site, "ui-operator")
    sender = next(sender_tabs)
    open_settled(sender.page, f"{site.url}/submissions/{sent_with}")
    told = sender.page.locator("#withdrawn-releases")
    expect(told).to_contain_text("1 release of it was withdrawn as recorded in error")
    expect(told).to_contain_text("by ui-reviewer: drawn over the wrong hazard")
    sender.shoot("withdrawn-release-told-1366-operator")
    assert sender.errors == []
    sender_tabs.close()
    # at 390 px the records scroll sideways and the withdrawn release still reads as such
    phone_tabs = _tab(browser, site, "ui-reviewer", width=390)
    phone = next(phone_tabs)
    open_settled(phone.page, f"{site.url}/hazards/{REFERENCE}")
    phone.page.locator("#records").scroll_into_view_if_needed()
    expect(phone.page.locator("#records .badge.withdrawn")).to_have_count(1)
    phone.shoot("withdraw-release-390-reviewer")
    assert phone.errors == []
    phone_tabs.close()


TWICE = "UI-TWICE-1"


def test_a_reviewer_withdraws_a_hazard_recorded_twice_and_it_leaves_every_figure(
    browser: Browser, site: LiveSite, journey: Journey
) -> None:
    """UI-DRAWN-1 is sent again, as UI-TWICE-1, by another upload, and approved: its area
    counts twice. The reviewer reads that it shares ground with UI-DRAWN-1, withdraws it,
    and it leaves the national remaining area and the register, its page saying why."""
    admin = {"Authorization": f"Bearer {site.token}"}
    boundary = httpx.get(f"{site.url}/api/v1/hazards/{REFERENCE}", headers=admin).json()["boundary"]
    sent = httpx.post(
        f"{site.url}/api/v1/hazards",
        json={
            "type": "Feature",
            "geometry": boundary,
            "properties": {"hazard_id": TWICE, "status": "SHA", "recorded": RECORDED},
        },
        headers={"Authorization": f"Bearer {site.operator_token}"},
        timeout=60,
    )
    assert sent.status_code == 201, sent.text
    approved = httpx.post(
        f"{site.url}/api/v1/submissions/{sent.json()['id']}/approve", headers=admin, timeout=120
    )
    assert approved.status_code == 200, approved.text

    def national() -> float:
        report = httpx.get(
            f"{site.url}/api/v1/reports/article7", params={"year": 2025}, headers=admin
        ).json()
        return float(report["remaining"][-1]["total_area_m2"])

    counted_twice = national()
    tabs = _tab(browser, site, "ui-reviewer")
    reviewer = next(tabs)
    page = reviewer.page
    open_settled(page, f"{site.url}/hazards/{TWICE}")
    page.click("button.withdraw-hazard")
    dialog = page.locator("#withdraw-dialog")
    expect(dialog.locator("#withdraw-title")).to_contain_text(f"Withdraw hazard {TWICE}?")
    expect(dialog.locator("#withdraw-overlaps")).to_contain_text(f"shares ground with {REFERENCE}")
    expect(dialog.locator("#withdraw-effect")).to_contain_text(
        "It is a suspected hazardous area (SHA) of CMR, in force from 2025-03-01, never revised:"
    )
    expect(dialog.locator("p[data-for=hazard]")).to_be_visible()
    expect(dialog.locator("p[data-for=release]")).to_be_hidden()
    reviewer.shoot("withdraw-hazard-asked-1366-reviewer")
    page.fill("#withdraw-reason", f"the same hazard as {REFERENCE}, sent again")
    page.click("#withdraw-yes")
    page.wait_for_selector("#records-outcome.ok", timeout=30_000)
    expect(page.locator("#records-outcome")).to_contain_text(f"Hazard {TWICE} withdrawn")
    expect(page.locator("#hazard-status")).to_have_text("withdrawn")
    expect(page.locator("#hazard-withdrawn")).to_contain_text("by ui-reviewer: the same hazard")
    expect(page.locator("#records tr", has_text="hazard withdrawn")).to_be_visible()
    expect(page.locator("#hazard-figures-withdrawn")).to_contain_text("counts no area")
    assert page.locator("button.withdraw-hazard, #record-links").count() == 0
    reviewer.shoot("withdraw-hazard-done-1366-reviewer")
    assert reviewer.errors == []
    tabs.close()
    with site.engine.connect() as conn:
        area = conn.scalar(
            text(
                "SELECT ST_Area(v.geom::geography, true) FROM hazard h JOIN hazard_revision v"
                " ON v.hazard_id = h.id WHERE h.reference = :h"
            ),
            {"h": TWICE},
        )
    # its area leaves the national remaining area (to PostGIS's measure of it, 1e-6)
    assert counted_twice - national() == pytest.approx(area, rel=1e-6)
    # at 390 px, the page still says so; the register has it no more
    phone_tabs = _tab(browser, site, "ui-reviewer", width=390)
    phone = next(phone_tabs)
    open_settled(phone.page, f"{site.url}/hazards/{TWICE}")
    expect(phone.page.locator("#hazard-withdrawn")).to_be_visible()
    phone.shoot("withdraw-hazard-390-reviewer")
    open_settled(phone.page, f"{site.url}/hazards?q=UI-")
    expect(phone.page.locator(f"#register a:has-text('{REFERENCE}')")).to_have_count(1)
    expect(phone.page.locator(f"#register a:has-text('{TWICE}')")).to_have_count(0)
    assert phone.errors == []
    phone_tabs.close()


DOTTED = f"{REFERENCE}/."  # a reference validation refuses now, but a database may hold


def test_the_buttons_of_a_hazard_whose_reference_ends_in_a_dot_act_on_that_hazard(
    browser: Browser, site: LiveSite, journey: Journey
) -> None:
    """A hazard "UI-DRAWN-1/." recorded over UI-DRAWN-1: its page's Revise and Record a
    release went to UI-DRAWN-1's forms, and withdrawing it withdrew UI-DRAWN-1, for good
    (the browser drops "/." from an address; found by an attack on our own instance).
    Every address on its page now holds its whole reference, "/" quoted."""
    admin = {"Authorization": f"Bearer {site.token}"}
    boundary = httpx.get(f"{site.url}/api/v1/hazards/{REFERENCE}", headers=admin).json()["boundary"]
    with Session(site.engine) as session, session.begin():
        record_hazards(
            session,
            [NewHazard(DOTTED, HazardStatus.SHA, shape(boundary), dt.date(2025, 3, 1))],
        )
    tabs = _tab(browser, site, "ui-reviewer")
    reviewer = next(tabs)
    page = reviewer.page
    quoted = "UI-DRAWN-1%2F."
    open_settled(page, f"{site.url}/hazards/{quoted}")
    expect(page.locator("h1")).to_contain_text(DOTTED)
    assert page.locator("#record-links a", has_text="Revise").get_attribute("href") == (
        f"/hazards/{quoted}/revise"
    )
    page.click("button.withdraw-hazard")
    dialog = page.locator("#withdraw-dialog")
    expect(dialog.locator("#withdraw-overlaps")).to_contain_text(f"shares ground with {REFERENCE}")
    page.fill("#withdraw-reason", "recorded over UI-DRAWN-1 by a legacy import")
    with page.expect_request(lambda r: r.method == "POST" and "withdrawal" in r.url) as sent:
        page.click("#withdraw-yes")
    assert sent.value.url == f"{site.url}/api/v1/hazards/{quoted}/withdrawal"
    page.wait_for_selector("#records-outcome.ok", timeout=30_000)
    expect(page.locator("#hazard-status")).to_have_text("withdrawn")
    assert reviewer.errors == []
    tabs.close()
    dotted = httpx.get(f"{site.url}/api/v1/hazards/{quoted}", headers=admin).json()
    kept = httpx.get(f"{site.url}/api/v1/hazards/{REFERENCE}", headers=admin).json()
    assert dotted["withdrawn"]["reason"] == "recorded over UI-DRAWN-1 by a legacy import"
    assert kept["withdrawn"] is None and kept["figures"]["remaining_m2"] > 0
