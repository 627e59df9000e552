"""The pages in a real browser: Debian's Chromium, headless, driven by Playwright.

Every test fails on a console error or an uncaught exception in the page. Screenshots of
every page go to tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import httpx
import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Locator,
    Page,
    Response,
    expect,
    sync_playwright,
)
from shapely.geometry import box
from sqlalchemy import text

from ims.domain.symbology import STATUS_EDGES, STATUS_LABELS
from ims.sample.examples import MAG_MAPPING
from tests.ui.conftest import PASSWORD, LiveSite, launch_chromium, open_settled

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
EXAMPLES = Path(__file__).resolve().parents[2] / "sample_data" / "examples"
MVT = "application/vnd.mapbox-vector-tile"


class Watched:
    """A page with what went wrong in it: console errors, page errors, failed requests."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        self.tiles: list[Response] = []
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        page.on("requestfailed", lambda r: self.errors.append(f"failed: {r.url}"))
        page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} ({message.location.get('url', '')})")

    def _response(self, response: Response) -> None:
        if "/api/v1/tiles/" in response.url:
            self.tiles.append(response)
        if response.status >= 400:
            self.errors.append(f"{response.status}: {response.url}")

    def shoot(self, name: str) -> None:
        """Write a screenshot of the whole page to tests/artifacts/NAME.png."""
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def map_shows(self, as_of: str | None = None) -> None:
        """Wait until the national map has drawn every tile of the date it was given."""
        selector = f'#map[data-shown="{as_of}"]' if as_of else "#map[data-shown]"
        self.page.wait_for_selector(selector, state="attached", timeout=20_000)
        self.page.wait_for_selector("#map:not([data-loading])", state="attached")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


def sign_in(page: Page, site: LiveSite, username: str, password: str = PASSWORD) -> None:
    """Sign in through the sign-in form, as a person does."""
    open_settled(page, f"{site.url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form.login button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.fixture(scope="module")
def admin_state(browser: Browser, site: LiveSite) -> Any:
    """The cookies of a browser where the site's admin has signed in (once per module)."""
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, site, site.username)
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture
def tab(browser: Browser, admin_state: Any) -> Iterator[Watched]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 860}, storage_state=admin_state
    )
    watched = Watched(context.new_page())
    yield watched
    context.close()


def test_signing_in_and_out_in_a_browser(browser: Browser, site: LiveSite) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    open_settled(page, f"{site.url}/map")
    assert "/login?next=%2Fmap" in page.url  # strangers are sent to sign in first
    sign_in(page, site, "ui-viewer", "not the password")
    assert "Wrong user name or password" in page.inner_text(".problem")
    open_settled(page, f"{site.url}/login?next=%2Fmap")
    page.fill("#username", "ui-viewer")
    page.fill("#password", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_url(f"{site.url}/map")
    ARTIFACTS.mkdir(exist_ok=True)
    assert "ui-viewer · viewer" in page.inner_text("header.top .who")
    assert page.locator("header.top nav a[href='/submissions']").count() == 0  # not theirs
    page.click("header.top .who button")  # sign out
    page.wait_for_url(f"{site.url}/login?signed_out=1")
    assert "You are signed out." in page.inner_text("#login-message")
    open_settled(page, f"{site.url}/")
    assert "/login" in page.url
    context.close()


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("dashboard", "/"),
        ("submissions", "/submissions"),
        ("reports", "/reports"),
        ("reports-districts", "/reports?level=2"),
        ("register-province", "/hazards?admin=LA-XI"),
        ("users", "/admin/users"),
        ("audit", "/admin/audit"),
        ("reference", "/admin/reference"),
    ],
)
def test_page_loads_without_console_errors(
    tab: Watched, site: LiveSite, name: str, path: str
) -> None:
    open_settled(tab.page, site.url + path)
    assert tab.page.locator("header.top nav a").count() >= 4
    # what loading the page did, before the screenshot: a whole-page screenshot resizes the
    # page, which can start an image's load and cancel it (the chart's on /reports, once in
    # CI: a failed request of the test's own making, not the page's)
    assert tab.errors == []
    tab.shoot(name)


def test_the_audit_trail_on_a_phone_is_one_block_an_event(tab: Watched, site: LiveSite) -> None:
    """At 390 px the six columns squeezed when, who and what into a word a line beside the
    changes' JSON: every row was a screen tall. Each event is a block now, its when, who
    and what on its first line, and nothing reaches past the screen's edge."""
    tab.page.set_viewport_size({"width": 390, "height": 844})
    open_settled(tab.page, site.url + "/admin/audit")
    first = tab.page.locator("#audit tr").nth(1)
    when = first.locator("td.when").bounding_box()
    what = first.locator("td.what").bounding_box()
    below = first.locator("td.object").bounding_box()
    assert when and what and below
    assert what["y"] < when["y"] + 2 * when["height"], (when, what)  # its line, or the next
    assert below["y"] >= what["y"] + what["height"] - 1, (what, below)  # then the object
    assert tab.page.locator("#audit th").first.is_hidden()
    assert tab.page.evaluate("document.documentElement.scrollWidth") <= 390
    tab.shoot("audit-390")
    assert tab.errors == []


def test_the_article_4_chart_on_a_phone_is_drawn_for_its_width(
    tab: Watched, site: LiveSite
) -> None:
    """The chart is an image: shrunk to 390 px its axes' figures could not be read (a
    first-time user's review), and scrolled, opened at its latest years, it showed the
    line's scale alone, against which the bars read ten times their height, its legend cut
    (helper-108). A phone gets the chart drawn for its width, whole; a wide screen the
    wide one, at the figure's left."""
    tab.page.set_viewport_size({"width": 390, "height": 844})
    open_settled(tab.page, site.url + "/reports")
    chart = tab.page.locator("figure.progress .chart-scroll img")
    chart.scroll_into_view_if_needed()
    tab.page.wait_for_function(
        "() => document.querySelector('figure.progress img').complete", timeout=15_000
    )
    assert "narrow=true" in tab.page.evaluate(
        "document.querySelector('figure.progress img').currentSrc"
    )
    shown = chart.bounding_box()
    scroller = tab.page.locator("figure.progress .chart-scroll")
    assert shown and shown["width"] <= 370, shown
    assert scroller.evaluate("(e) => e.scrollWidth <= e.clientWidth")  # whole, no scrolling
    assert tab.page.evaluate("document.documentElement.scrollWidth") <= 390
    tab.page.locator("figure.progress").screenshot(path=ARTIFACTS / "article4-chart-390.png")
    tab.page.set_viewport_size({"width": 1366, "height": 900})
    tab.page.wait_for_function(
        "() => !document.querySelector('figure.progress img').currentSrc.includes('narrow')"
        " && document.querySelector('figure.progress img').complete",
        timeout=15_000,
    )
    figure = tab.page.locator("figure.progress").bounding_box()
    shown = chart.bounding_box()
    assert shown and shown["width"] == 760
    assert figure and shown["x"] < figure["x"] + 20  # at the left, not the right
    assert tab.errors == []


def test_the_submissions_on_a_phone_show_their_counts_in_view(tab: Watched, site: LiveSite) -> None:
    """At 390 px the table showed #, file and status, its errors and warnings off to the
    side in a scrolling table (a new user's review): each submission is a block now, its
    counts named, all within the screen."""
    tab.page.set_viewport_size({"width": 390, "height": 844})
    open_settled(tab.page, site.url + "/submissions")
    row = tab.page.locator("#submissions tr").nth(1)
    for cell in ("td.file", 'td[data-label="errors"]', 'td[data-label="warnings"]'):
        box = row.locator(cell).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, (cell, box)
    named = row.locator('td[data-label="errors"]').evaluate(
        "td => getComputedStyle(td, '::before').content"
    )
    assert named == '"errors "', named  # each count says what it counts
    tab.shoot("submissions-390")
    assert tab.errors == []


def test_hazard_page_draws_its_map(tab: Watched, site: LiveSite) -> None:
    open_settled(tab.page, f"{site.url}/hazards/{site.hazard}")
    tab.page.wait_for_selector(".leaflet-overlay-pane path", timeout=10_000)
    assert tab.page.locator(".legend").count() == 1
    # its five rows take less than a third of the map: open on a wide screen
    assert tab.page.locator("details.legend").get_attribute("open") == ""
    # its remaining ground edged as on the national map (dashed if suspected), and the
    # boundary in force dotted: a confirmed hazard's page had shown a dashed edge (helper-98)
    edges = tab.page.eval_on_selector_all(
        ".leaflet-overlay-pane path",
        "ps => ps.map(p => [p.getAttribute('stroke'), p.getAttribute('stroke-dasharray')])",
    )
    assert ["#333333", "1 5"] in edges, edges
    for stroke, dash in edges:
        if stroke in STATUS_EDGES.values():
            assert bool(dash) == (stroke == STATUS_EDGES["SHA"]), (stroke, dash)
    assert "Boundary in force (dotted)" in tab.page.inner_text("details.legend")
    tab.shoot("hazard")
    assert tab.errors == []


def test_a_hazard_is_drawn_beside_or_above_its_legend_never_under_it(
    tab: Watched, site: LiveSite
) -> None:
    # a wide hazard: fitted to the whole map, its lower right lay under the open legend
    with site.engine.connect() as conn:
        wide = conn.scalar(
            text(
                "SELECT h.reference FROM hazard h JOIN hazard_revision r ON r.hazard_id = h.id "
                "ORDER BY abs((ST_XMax(r.geom) - ST_XMin(r.geom))"
                " / (ST_YMax(r.geom) - ST_YMin(r.geom)) - 2.5) LIMIT 1"
            )
        )
    open_settled(tab.page, f"{site.url}/hazards/{wide}")
    tab.page.wait_for_selector(".leaflet-overlay-pane path", timeout=10_000)
    legend = tab.page.locator("details.legend[open]").bounding_box()
    drawn = tab.page.locator(".leaflet-overlay-pane svg g").bounding_box()
    assert legend and drawn
    apart = (
        drawn["x"] + drawn["width"] <= legend["x"] + 1
        or drawn["y"] + drawn["height"] <= legend["y"] + 1
    )
    assert apart, (wide, drawn, legend)
    assert tab.errors == []


def test_hazard_page_shows_an_earlier_date_from_its_form(tab: Watched, site: LiveSite) -> None:
    open_settled(tab.page, f"{site.url}/hazards/{site.hazard}")
    first = tab.page.locator("table.timeline tr td:first-child").first.inner_text()
    tab.page.fill("#as-of-form input[name=as_of]", first)  # the day it was recorded
    tab.page.click("#as-of-form button")
    tab.page.wait_for_selector("#as-of-note")
    assert f"as_of={first}" in tab.page.url
    assert tab.page.locator("table.timeline tr td:first-child").all_inner_texts() == [first]
    tab.page.wait_for_selector(".leaflet-overlay-pane path", timeout=10_000)
    tab.shoot("hazard-as-of")
    assert tab.errors == []


def test_unknown_hazard_is_a_page_not_a_crash(tab: Watched, site: LiveSite) -> None:
    response = tab.page.goto(f"{site.url}/hazards/NO-SUCH-HAZARD")
    assert response is not None and response.status == 404
    assert "Hazard not found" in tab.page.inner_text("h1")
    assert [e for e in tab.errors if "NO-SUCH-HAZARD" not in e] == []


def test_national_map_draws_features_from_tiles(tab: Watched, site: LiveSite) -> None:
    start = time.perf_counter()
    tab.page.goto(site.url + "/map")
    tab.map_shows()
    elapsed = time.perf_counter() - start
    assert tab.page.locator(".leaflet-hazards-pane path").count() > 10  # hazard points
    assert tab.page.locator(".leaflet-provinces-pane path").count() > 0  # the choropleth
    assert tab.page.locator(".legend").count() == 1
    # how the map is read: open on a wide screen (it had folded, being over a third of it)
    assert tab.page.locator("#map details.legend").get_attribute("open") == ""
    assert tab.page.locator(".leaflet-control-layers-overlays input").count() == 3
    assert tab.tiles and all(t.status == 200 for t in tab.tiles)
    assert {t.headers["content-type"] for t in tab.tiles} == {MVT}
    # the country fills the map's height (at whole zooms it had filled about half of it)
    drawn, box = tab.page.evaluate(
        """() => {
          const rects = [...document.querySelectorAll('.leaflet-provinces-pane path')]
            .map((p) => p.getBoundingClientRect());
          const map = document.getElementById('map').getBoundingClientRect();
          return [Math.max(...rects.map((r) => r.bottom)) - Math.min(...rects.map((r) => r.top)),
                  map.height];
        }"""
    )
    assert 0.85 * box <= drawn <= box
    tab.shoot("map")
    assert tab.errors == []
    print(f"national map: every tile drawn {elapsed:.2f} s after navigation")


def test_a_view_pasted_into_the_open_maps_address_is_gone_to(tab: Watched, site: LiveSite) -> None:
    """A shared view pasted after the # of the open map changed the address and left the
    map where it was until a reload (a new user's review)."""
    lat, lon = site.hazard_at
    tab.page.goto(f"{site.url}/map#8/{lat}/{lon}")
    tab.map_shows()
    scale = ".leaflet-control-scale-line"
    assert tab.page.inner_text(scale).endswith(" km")  # a province's breadth at zoom 8
    tab.page.evaluate(f"() => {{ window.location.hash = '#14/{lat}/{lon}'; }}")
    # the map itself goes to zoom 14: its scale reads metres (the address alone had moved)
    tab.page.wait_for_function(
        f"() => document.querySelector('{scale}').textContent.trim().endsWith(' m')"
    )
    assert tab.page.evaluate("() => window.location.hash").startswith("#14/")
    assert tab.errors == []


def test_a_suspected_areas_edge_is_dashed_so_status_is_not_told_by_colour_alone(
    tab: Watched, site: LiveSite
) -> None:
    """Status was told by colour alone, and SHA's orange stood 1.0-2.0:1 against the map
    beneath (helper-93): each hazard has a dark edge, dashed where it is suspected, and
    the legend says so."""
    lat, lon = site.hazard_at
    tab.page.goto(f"{site.url}/map#11/{lat}/{lon}")
    tab.map_shows()
    edges = tab.page.eval_on_selector_all(
        ".leaflet-hazards-pane path",
        "ps => ps.map(p => [p.getAttribute('stroke'), p.getAttribute('stroke-dasharray')])",
    )
    assert edges, "no hazard drawn at zoom 11"
    for stroke, dash in edges:
        assert stroke in STATUS_EDGES.values(), stroke
        assert bool(dash) == (stroke == STATUS_EDGES["SHA"]), (stroke, dash)
    legend = tab.page.inner_text("#map details.legend")
    assert f"{STATUS_LABELS['SHA']} (dashed edge)" in legend
    assert f"{STATUS_LABELS['CHA']} (dashed edge)" not in legend
    assert tab.errors == []


def test_the_registers_releases_of_a_period_refuse_an_end_before_the_start(
    tab: Watched, site: LiveSite
) -> None:
    """ "to" before "from" had opened the API's JSON answer in place of the register
    (helper-98): the browser refuses the form before it is sent."""
    open_settled(tab.page, f"{site.url}/hazards")
    tab.page.fill("#range-from", "2025-06-01")
    tab.page.fill("#range-to", "2025-01-01")
    assert tab.page.evaluate("document.getElementById('range-to').min") == "2025-06-01"
    assert tab.page.evaluate("document.getElementById('range-to').checkValidity()") is False
    tab.page.fill("#range-to", "2025-12-31")
    assert tab.page.evaluate("document.getElementById('range-to').checkValidity()") is True
    with tab.page.expect_download() as taken:
        tab.page.click("#release-range button:has-text('CSV')")
    assert taken.value.suggested_filename == "releases-from-2025-06-01-to-2025-12-31.csv"
    # a navigation that became a download is "aborted" for the browser, nothing more
    assert [e for e in tab.errors if "/api/v1/releases.csv" not in e] == []


def test_clicking_a_hazard_opens_its_popup_and_page(tab: Watched, site: LiveSite) -> None:
    lat, lon = site.hazard_at
    tab.page.goto(f"{site.url}/map#16/{lat}/{lon}")
    tab.map_shows()
    # Zoomed in, hazards are polygons and released land is drawn next to them.
    assert tab.page.locator(".leaflet-released-pane path").count() > 0
    tab.shoot("map-hazard")
    box = tab.page.locator("#map").bounding_box()
    assert box is not None
    tab.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    link = tab.page.locator(f'.leaflet-popup-content a[href="/hazards/{site.hazard}"]')
    link.wait_for(timeout=5_000)
    shown = tab.page.inner_text(".leaflet-popup-content")
    assert "Status" in shown
    # its kind of contamination in words, as the map's choice of kinds names it
    kinds = tab.page.eval_on_selector_all("#contam option", "os => os.map(o => o.dataset.label)")
    assert any(f"Contamination\t{kind}\n" in shown for kind in kinds if kind)
    link.click()
    tab.page.wait_for_url(f"**/hazards/{site.hazard}")
    assert site.hazard in tab.page.inner_text("h1")
    assert tab.errors == []


def test_a_point_standing_for_several_hazards_gives_their_sums_as_theirs(
    tab: Watched, site: LiveSite
) -> None:
    """Below zoom 9 a point stands for the hazards of its few pixels: its popup read "Hazard
    VT-000018 … Remaining 141,466 m²", their sums under the largest one's name (an IM
    officer's review, helper-100)."""
    import math

    import mapbox_vector_tile

    z = 6
    lat, lon = site.hazard_at
    n = 2**z
    x, y = (
        int((lon + 180) / 360 * n),
        int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n),
    )
    merged = None
    for dx in (0, -1, 1):
        for dy in (0, -1, 1):
            tile = httpx.get(
                f"{site.url}/api/v1/tiles/hazards/{z}/{x + dx}/{y + dy}.pbf",
                headers={"Authorization": f"Bearer {site.token}"},
            )
            decoded = mapbox_vector_tile.decode(
                tile.content, default_options={"y_coord_down": True}
            )
            for f in decoded.get("hazards", {}).get("features", []):
                if f["properties"]["hazards"] > 1:
                    merged = (x + dx, y + dy, f)
                    break
            if merged:
                break
        if merged:
            break
    assert merged, "the demo has no point standing for several hazards at zoom 6"
    tx, ty, feature = merged
    px, py = feature["geometry"]["coordinates"]
    point_lon = (tx + px / 4096) / n * 360 - 180
    point_lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (ty + py / 4096) / n))))
    tab.page.goto(f"{site.url}/map#{z}/{point_lat:.6f}/{point_lon:.6f}")
    tab.map_shows()
    area = tab.page.locator("#map").bounding_box()
    assert area is not None
    tab.page.mouse.click(area["x"] + area["width"] / 2, area["y"] + area["height"] / 2)
    tab.page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
    shown = tab.page.inner_text(".leaflet-popup-content")
    properties = feature["properties"]
    assert f"Hazards here\t{properties['hazards']} (zoom in to see each)" in shown
    assert f"Largest\t{properties['reference']}" in shown
    assert f"Remaining, together\t{round(properties['remaining_m2']):,} m²" in shown
    assert "Hazard\t" not in shown  # no hazard is named as if the sums were its own
    tab.shoot("map-merged-point")
    assert tab.errors == []


def test_a_hazard_opened_from_a_past_map_is_shown_as_on_the_maps_date(
    tab: Watched, site: LiveSite
) -> None:
    """The popup's link and the hazard page's way back to the map keep the date: they
    had dropped it, and the page showed today's state under a map of the past."""
    with site.engine.connect() as conn:
        day = conn.scalar(
            text(
                'SELECT max(e."on") FROM ledger_entry e JOIN hazard h ON h.id = e.hazard_id '
                "WHERE h.reference = :r"
            ),
            {"r": site.hazard},
        )  # its last release: open then, and still open where hazard_at lies
    lat, lon = site.hazard_at
    tab.page.goto(f"{site.url}/map?as_of={day}#16/{lat}/{lon}")
    tab.map_shows(day.isoformat())
    box = tab.page.locator("#map").bounding_box()
    assert box is not None
    tab.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    link = tab.page.locator(f'.leaflet-popup-content a[href="/hazards/{site.hazard}?as_of={day}"]')
    link.wait_for(timeout=5_000)
    assert "Suspected hazardous area" in tab.page.inner_text(
        ".leaflet-popup-content"
    ) or "Confirmed hazardous area" in tab.page.inner_text(".leaflet-popup-content")
    link.click()
    tab.page.wait_for_url(f"**/hazards/{site.hazard}?as_of={day}")
    back = tab.page.locator("h1 a", has_text="on the national map")
    assert (back.get_attribute("href") or "").startswith(f"/map?as_of={day}#15/")
    assert tab.errors == []


def test_a_date_typed_on_the_map_is_the_date_shown_and_a_later_one_goes_back_to_today(
    tab: Watched, site: LiveSite
) -> None:
    tab.page.goto(site.url + "/map")
    tab.map_shows()
    today = tab.page.get_attribute("#as-of", "max")
    assert today is not None
    # Typed as a person types it, month, day and year: on its way it passes 31 December of
    # this year, after today, which the map had reset to today under the typing (the year
    # then typed made 0021-12-02 of 12/31/2021), and years 0002, 0020 and 0202, before
    # anything ims holds. Neither kind of date is asked of the server: a key a moment after
    # the last one (a change followed at once) or within a burst (followed once it rests,
    # the date then in the field) had asked for 0002-12-31 and 2026-12-31, answered 422.
    box = tab.page.locator("#as-of").bounding_box()
    assert box is not None
    for typed, pace_ms in (("12312021", 150), ("12312019", 300)):
        tab.page.mouse.click(box["x"] + 12, box["y"] + box["height"] / 2)  # its month
        tab.page.keyboard.type(typed, delay=pace_ms)
        shown = f"{typed[4:]}-12-31"
        assert tab.page.input_value("#as-of") == shown
        tab.map_shows(shown)
        assert f"as_of={shown}" in tab.page.url
        assert tab.errors == []
    # A later date left in the field: today's state is not shown under it, and the page
    # says why (a review: only an aria-invalid attribute had said so)
    tab.page.fill("#as-of", "2099-01-01")
    tab.page.dispatch_event("#as-of", "change")
    assert "as_of=2099" not in tab.page.url
    note = tab.page.locator("#as-of-note")
    assert note.is_visible()
    assert note.inner_text() == (
        f"2099-01-01 is after today: the map shows dates up to today ({today}); "
        "it still shows 2019-12-31"
    )
    # A kind chosen meanwhile is drawn on the date shown (it had waited, unseen, until the
    # date was put right: a review)
    tab.tiles.clear()
    tab.page.select_option("#contam", "CMR")
    expect(tab.page.locator('#map-figures [data-field="contam"]')).to_have_text(
        "cluster munition remnants"
    )
    tab.map_shows("2019-12-31")
    assert tab.page.get_attribute("#map-figures", "data-as-of") == "2019-12-31"
    assert tab.tiles
    assert all("as_of=2019-12-31" in t.url and "contam=CMR" in t.url for t in tab.tiles)
    assert "contam=CMR" in tab.page.url and "as_of=2019-12-31" in tab.page.url
    assert note.is_visible() and tab.page.input_value("#as-of") == "2099-01-01"
    tab.shoot("map-date-outside")
    tab.page.set_viewport_size({"width": 390, "height": 844})
    tab.shoot("map-date-outside-390")
    tab.page.set_viewport_size({"width": 1366, "height": 900})
    tab.page.locator("#as-of").blur()
    assert tab.page.input_value("#as-of") == today
    assert not note.is_visible()
    # today drawn before the next date: its swap had set the date shown under a later
    # wait for 2019-12-31, which then passed on the earlier drawing of that date
    tab.map_shows(today)
    # A part of the date typed again empties the field: the map keeps its date (it had
    # jumped to today), and an empty field left is the date shown
    tab.page.fill("#as-of", "2019-12-31")
    tab.page.dispatch_event("#as-of", "change")
    tab.map_shows("2019-12-31")
    tab.tiles.clear()
    tab.page.fill("#as-of", "")
    tab.page.dispatch_event("#as-of", "change")
    tab.page.locator("#as-of").blur()
    assert tab.page.input_value("#as-of") == "2019-12-31"
    assert "as_of=2019-12-31" in tab.page.url and tab.tiles == []
    # Every request has ended: the figures of a date passed while typing, answered after
    # the next was chosen, had been left unread, holding their connections until the page
    # was left (and then counted as failed)
    tab.page.wait_for_load_state("networkidle", timeout=10_000)
    # An address's date after today shows today, and the address says so
    tab.page.goto(site.url + "/map?as_of=2030-01-01")
    tab.map_shows()
    assert tab.page.input_value("#as-of") == today and "as_of=" not in tab.page.url
    assert tab.errors == []


def test_a_date_typed_quickly_past_today_leaves_the_map_and_its_figures_where_they_were(
    tab: Watched, site: LiveSite
) -> None:
    """Typing 12312030 over today's date sent the map, at the first digit, to January of
    this year, where it stayed, and the figures box kept today's figures beside January's
    tiles (a GIS user's review, helper-110): a date typed is followed once the keys rest."""
    tab.page.goto(site.url + "/map")
    tab.map_shows()
    today = tab.page.get_attribute("#as-of", "max")
    assert today is not None
    asked: list[str] = []
    tab.page.on("request", lambda r: asked.append(r.url) if "as_of=" in r.url else None)
    box = tab.page.locator("#as-of").bounding_box()
    assert box is not None
    tab.page.mouse.click(box["x"] + 12, box["y"] + box["height"] / 2)  # its month
    tab.page.keyboard.type("12312030", delay=40)
    tab.page.wait_for_timeout(1_500)
    assert tab.page.input_value("#as-of") == "2030-12-31"
    assert tab.page.get_attribute("#map", "data-shown") == today
    assert asked == []  # no date passed on the way was drawn or counted
    assert tab.page.locator("#as-of-note").inner_text().endswith(f"it still shows {today}")
    assert tab.page.inner_text('#map-figures [data-field="as_of"]') == today
    # a date typed and then Enter: followed, tiles and figures of that date
    tab.page.mouse.click(box["x"] + 12, box["y"] + box["height"] / 2)
    tab.page.keyboard.type("06302012", delay=40)
    tab.page.keyboard.press("Enter")
    tab.map_shows("2012-06-30")
    tab.page.wait_for_selector('#map-figures[data-as-of="2012-06-30"]', state="attached")
    assert "as_of=2012-06-30" in tab.page.url
    assert tab.errors == []


def test_changing_the_as_of_date_changes_the_figures_and_the_tiles(
    tab: Watched, site: LiveSite
) -> None:
    tab.page.goto(site.url + "/map")
    tab.map_shows()
    figure = tab.page.locator('#map-figures [data-field="total_area_m2"]')
    before = figure.inner_text()
    tab.tiles.clear()
    tab.page.fill("#as-of", "2012-06-30")
    tab.page.dispatch_event("#as-of", "change")
    tab.page.wait_for_selector('#map-figures[data-as-of="2012-06-30"]', state="attached")
    tab.map_shows("2012-06-30")
    assert figure.inner_text() != before
    expected = httpx.get(
        f"{site.url}/map/figures",
        params={"as_of": "2012-06-30"},
        headers={"Authorization": f"Bearer {site.token}"},
    ).json()
    assert figure.inner_text() == f"{expected['total_area_m2'] / 1e6:,.3f}"
    assert tab.tiles and all("as_of=2012-06-30" in t.url for t in tab.tiles)
    # One redraw for the date, however many "change" events choosing it fired (fill, then
    # dispatch: two), and no tiles of released land below the zoom they are drawn from.
    urls = [t.url for t in tab.tiles]
    assert len(urls) == len(set(urls))
    assert not [u for u in urls if "/tiles/releases/" in u]
    tab.shoot("map-2012")
    assert tab.errors == []


def test_a_kind_chosen_on_the_map_is_named_in_words_in_its_figures(
    tab: Watched, site: LiveSite
) -> None:
    """The figures' line said "CMR" once the kind was chosen (a walk-through at national
    scale); the choice names each kind in words too."""
    tab.page.goto(site.url + "/map")
    tab.map_shows()
    kind = tab.page.locator('#map-figures [data-field="contam"]')
    assert kind.inner_text() == "all contamination kinds"
    assert "CMR: cluster munition remnants" in tab.page.inner_text("#contam")
    tab.page.select_option("#contam", "CMR")
    expect(kind).to_have_text("cluster munition remnants")
    assert "contam=CMR" in tab.page.url
    assert tab.errors == []


def test_finding_a_hazard_or_a_district_on_the_map_goes_there(tab: Watched, site: LiveSite) -> None:
    """The map had no way to find a place but panning: a hazard's reference or a
    district's name now takes the map there (a walk-through at national scale)."""
    with site.engine.connect() as conn:
        district, code, province = conn.execute(
            text(
                "SELECT a.name, a.code, p.name FROM admin_area a"
                " JOIN admin_area p ON p.id = a.parent_id WHERE a.level = 2 ORDER BY a.id"
            )
        ).first()
    tab.page.goto(site.url + "/map")
    tab.map_shows()
    tab.page.fill("#find", site.hazard)
    tab.page.click("#map-find button[type=submit]")
    tab.page.wait_for_selector(
        f'#find-results[data-shown="{site.hazard} (hazard)"]', state="attached"
    )
    link = tab.page.locator(f'.leaflet-popup-content a[href="/hazards/{site.hazard}"]')
    link.wait_for(timeout=5_000)
    # what a click on it shows: its status and areas on the map's date
    shown = tab.page.inner_text(".leaflet-popup-content")
    assert "Status" in shown and "Remaining" in shown and " m²" in shown, shown
    assert tab.page.evaluate("() => Number(window.location.hash.split('/')[0].slice(1))") >= 13
    tab.page.wait_for_load_state("networkidle")
    tab.shoot("map-found-hazard")
    # Part of a name that several places hold: a list to choose from
    tab.page.fill("#find", district[:2])
    tab.page.click("#map-find button[type=submit]")
    choice = tab.page.locator("#find-results button", has_text=f"{district} (district of").first
    choice.wait_for(timeout=5_000)
    choice.click()
    tab.page.wait_for_selector(
        f'#find-results[data-shown^="{district} (district"]', state="attached"
    )
    assert tab.page.locator("#find-results").is_hidden()
    # the hazard's popup is closed, and the district (the map draws none) is outlined
    assert tab.page.locator(".leaflet-popup").count() == 0
    assert tab.page.locator(".leaflet-overlay-pane path[stroke-dasharray]").count() == 1
    # the figures box gives the district's figures, not the country's beside its outline
    tab.page.wait_for_selector("#figures-place:not([hidden])")
    assert tab.page.inner_text('#map-figures [data-field="place"]') == f"{district} (district)"
    own = tab.page.evaluate(
        "async (code) => (await (await fetch(`/map/figures?district=${code}`)).json())",
        code,
    )
    shown = tab.page.inner_text('#map-figures [data-field="total_count"]')
    assert shown == f"{own['total_count']:,}" and own["place"] == district
    tab.page.wait_for_load_state("networkidle")
    tab.shoot("map-found-district")
    # kept in the address: a reload (or the link sent on) gives the district's figures
    assert f"district={code}" in tab.page.url
    tab.page.reload()
    tab.page.wait_for_selector("#figures-place:not([hidden])")
    assert tab.page.inner_text('#map-figures [data-field="place"]') == f"{district} (district)"
    # with its outline (a reload had shown the figures beside the whole country, unmarked)
    tab.page.wait_for_selector(".leaflet-overlay-pane path[stroke-dasharray]", state="attached")
    assert tab.page.locator(".leaflet-overlay-pane path[stroke-dasharray]").count() == 1
    # and back to the country's: the outline goes with them, and the area from the address
    tab.page.click("#figures-country")
    tab.page.wait_for_selector("#figures-place", state="hidden")
    assert "district=" not in tab.page.url
    assert tab.page.locator(".leaflet-overlay-pane path[stroke-dasharray]").count() == 0
    country = tab.page.evaluate("async () => (await (await fetch('/map/figures')).json())")
    shown = tab.page.inner_text('#map-figures [data-field="total_count"]')
    assert shown == f"{country['total_count']:,}"
    # a hazard found after an area: the box goes back to the country's (it had kept the
    # area's beside a hazard elsewhere: a first-time user's review)
    tab.page.fill("#find", district)
    tab.page.click("#map-find button[type=submit]")
    tab.page.wait_for_function(
        "() => { const r = document.getElementById('find-results');"
        " return r.dataset.shown || !r.hidden; }"
    )
    if tab.page.locator("#find-results").is_visible():  # several hold the name: choose it
        tab.page.locator("#find-results button", has_text=f"{district} (district of").first.click()
    tab.page.wait_for_selector("#figures-place:not([hidden])")
    tab.page.fill("#find", site.hazard)
    tab.page.click("#map-find button[type=submit]")
    tab.page.wait_for_selector("#figures-place", state="hidden")
    # a hazard released in full: said so, not its last status (as the map draws it)
    with site.engine.connect() as conn:
        closed = conn.scalar(
            text(
                "SELECT h.reference FROM hazard h JOIN hazard_remaining m ON m.hazard_id = h.id"
                " WHERE m.remaining_m2 < 1 ORDER BY h.reference LIMIT 1"
            )
        )
    assert closed is not None
    tab.page.fill("#find", closed)
    tab.page.click("#map-find button[type=submit]")
    tab.page.wait_for_selector(f'#find-results[data-shown="{closed} (hazard)"]', state="attached")
    expect(tab.page.locator(".leaflet-popup-content")).to_contain_text(
        "released: no ground remains"
    )
    tab.page.fill("#find", "no such place anywhere")
    tab.page.click("#map-find button[type=submit]")
    expect(tab.page.locator("#find-results")).to_contain_text("Nothing found")
    # the register's search reads what the find box does not (villages, the uploads' own
    # columns): offered, to the register's search of the same words (a new user's review)
    link = tab.page.locator("#find-in-register")
    assert link.get_attribute("href") == "/hazards?q=no+such+place+anywhere"
    assert tab.errors == []
    # a date typed past the field's limit is not the map's: the search is of the date shown
    tab.page.evaluate("document.getElementById('as-of').value = '2999-01-01'")
    tab.page.fill("#find", site.hazard)
    tab.page.click("#map-find button[type=submit]")
    tab.page.wait_for_selector(
        f'#find-results[data-shown="{site.hazard} (hazard)"]', state="attached"
    )
    # a search the server refuses (longer than any name, past the field's limit): the
    # server's reason is said, not a bare status code
    tab.page.evaluate("document.getElementById('find').value = 'x'.repeat(150)")
    tab.page.click("#map-find button[type=submit]")
    expect(tab.page.locator("#find-results")).to_contain_text(
        "The search could not be made: 150 characters, more than the 100 it takes."
    )
    # an address typed by hand, the code in small letters and spaced: the area, its code
    # as held
    tab.page.goto(site.url + f"/map?district=%20{code.lower()}%20")
    tab.page.wait_for_selector("#figures-place:not([hidden])")
    assert tab.page.inner_text('#map-figures [data-field="place"]') == f"{district} (district)"
    tab.page.wait_for_selector(".leaflet-overlay-pane path[stroke-dasharray]", state="attached")
    tab.page.wait_for_function("(code) => window.location.search.includes(code)", arg=f"={code}")
    # one area found by another name (a gazetteer's): the map goes to it and says so
    with site.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO place_name (admin_area_id, name, key, source)"
                " SELECT id, 'Ban Elsewhere', 'ban elsewhere', 'a test' FROM admin_area"
                " WHERE code = :code"
            ),
            {"code": code},
        )
    tab.page.fill("#find", "ban elsew")
    tab.page.click("#map-find button[type=submit]")
    expect(tab.page.locator("#find-results")).to_have_text(
        f"Showing {district} (district of {province}, also written Ban Elsewhere)."
    )
    # an address naming an area ims does not hold: the server's reason, not the date blamed
    tab.page.goto(site.url + "/map?province=NO-SUCH")
    tab.page.wait_for_selector("#map-figures[data-error]", state="attached")
    said = tab.page.get_attribute("#map-figures", "data-error")
    assert said is not None and "NO-SUCH" in said and "could not be read" in said, said


def _upload(
    site: LiveSite,
    name: str,
    kind: str,
    organisation: str,
    token: str | None = None,
    field_map: str | None = None,
) -> int:
    example = EXAMPLES / name
    given = {"field_map": field_map} if field_map else {}
    posted = httpx.post(
        f"{site.url}/api/v1/submissions",
        files={"file": (example.name, example.read_bytes(), "application/zip")},
        data={"kind": kind, "organisation": organisation, **given},
        headers={"Authorization": f"Bearer {token or site.token}"},
        timeout=60,
    )
    assert posted.status_code == 201, posted.text
    return int(posted.json()["id"])


def test_review_page_shows_findings_and_rejects_with_a_reason(tab: Watched, site: LiveSite) -> None:
    # A submission of the test's own (the shared broken example stays as it is).
    submission = _upload(site, "npa_releases_with_errors.zip", "releases", "NPA")
    open_settled(tab.page, f"{site.url}/submissions/{submission}")
    assert tab.page.locator(".finding.error").count() >= 1
    tab.page.wait_for_selector("#review-map[data-drawn]", state="attached", timeout=10_000)
    assert tab.page.locator(".leaflet-submitted-pane path").count() >= 10  # the staged features
    # the staged features ringed in dark, apart from the recorded hazards' reds, and the
    # legend says so (folded until asked: tests/ui/test_upload_journey.py)
    legend = tab.page.locator("#review-map details.legend")
    legend.locator("summary").click()
    assert "submitted ones have a dark ring" in legend.inner_text()
    assert legend.bounding_box()["width"] < 320  # type: ignore[index]
    ringed = tab.page.locator(".leaflet-submitted-pane path").first.get_attribute("stroke")
    assert ringed == "#1a1a1a"
    legend.locator("summary").click()
    assert tab.page.locator("#approve").is_disabled()
    tab.shoot("review")
    assert tab.page.locator("#replace-link").count() == 1
    tab.page.click("#reject")  # no reason yet: refused on the page
    assert "reason" in tab.page.inner_text("#outcome")
    # at the field, which takes the focus (a keyboard user's review)
    assert tab.page.evaluate("document.activeElement.id") == "reason"
    assert tab.page.get_attribute("#reason", "aria-invalid") == "true"
    # a reason ends with its own full stop, and the outcome keeps one (it had said "..")
    tab.page.fill("#reason", "five errors: see the findings.")
    tab.page.click("#reject")
    tab.page.wait_for_selector("#confirm-reject[open]")  # it asks first, with the reason
    assert tab.page.inner_text("#confirm-reject-reason") == "five errors: see the findings."
    tab.shoot("review-reject-asked")
    tab.page.click("#confirm-reject-no")
    assert tab.page.inner_text("#status") != "rejected"  # cancelled: nothing sent
    tab.page.click("#reject")
    tab.page.click("#confirm-reject-yes")
    tab.page.wait_for_selector("#outcome:has-text('rejected')")
    assert tab.page.inner_text("#status") == "rejected"
    assert tab.page.evaluate("document.activeElement.id") == "outcome"  # not lost
    # with the reason, as a reload says it (it had said only "rejected")
    assert tab.page.inner_text("#outcome") == (
        f"Submission {submission}: rejected, for this reason: five errors: see the findings."
    )
    # what held while it awaited review is gone with the decision (it stayed until a reload)
    assert tab.page.locator("#replace-link, #partial-note").count() == 0
    # the corrected file is linked to it: the upload page offers it, chosen
    open_settled(tab.page, f"{site.url}/submissions/{submission}")
    tab.page.click("#correct-link")
    tab.page.wait_for_url(f"**/submissions/new?kind=releases&replaces={submission}")
    assert tab.page.input_value("#replaces") == str(submission)
    chosen = tab.page.locator("#replaces option:checked")
    assert "(rejected)" in chosen.inner_text()
    tab.shoot("upload-correcting-a-rejected-submission")
    assert tab.errors == []


def test_review_page_shows_what_a_revision_would_change(tab: Watched, site: LiveSite) -> None:
    """A revision's row said what the file sends, not what it changes (a review as a data
    manager): the page now lists each value it changes, from the revision in force."""
    with site.engine.connect() as conn:
        status, boundary = conn.execute(
            text(
                "SELECT r.status, ST_AsText(r.geom) FROM hazard_revision r JOIN hazard h"
                " ON h.id = r.hazard_id WHERE h.reference = :h"
                " ORDER BY r.effective DESC, r.seq DESC LIMIT 1"
            ),
            {"h": site.hazard},
        ).one()
    new_status = "SHA" if status == "CHA" else "CHA"
    csv = (
        "hazard_id,status,revised,marked,wkt\n"
        f'{site.hazard},{new_status},{dt.date.today()},{dt.date.today()},"{boundary}"\n'
    )
    posted = httpx.post(
        f"{site.url}/api/v1/submissions",
        files={"file": ("revision.csv", csv.encode(), "text/csv")},
        data={"kind": "hazards"},
        headers={"Authorization": f"Bearer {site.token}"},
        timeout=60,
    )
    assert posted.status_code == 201, posted.text
    submission = posted.json()["id"]
    open_settled(tab.page, f"{site.url}/submissions/{submission}#features-title")
    cell = tab.page.locator("#features td.changes")
    expect(cell).to_contain_text(f"status {status} → {new_status}")
    expect(cell).to_contain_text(f"marked (none) → {dt.date.today()}")
    assert "boundary" not in cell.inner_text()  # sent back as it is: unchanged
    tab.shoot("review-revision")
    tab.page.set_viewport_size({"width": 390, "height": 844})
    tab.shoot("review-revision-390")
    rejected = httpx.post(
        f"{site.url}/api/v1/submissions/{submission}/reject",
        json={"reason": "a browser test's revision"},
        headers={"Authorization": f"Bearer {site.token}"},
        timeout=60,
    )
    assert rejected.status_code == 200, rejected.text
    assert tab.errors == []


def test_review_page_approves_a_clean_submission(tab: Watched, site: LiveSite) -> None:
    # Last in the file: approving adds hazards to the shared demo programme. MAG's operator
    # uploads and the admin approves (four eyes).
    # The file's own names, mapped as MAG's GIS officer maps them: the mapping remembered
    # for MAG's files is the last upload's, and the upload journey, when it runs before
    # this in the same live site, leaves one of its own that does not fit this file.
    submission = _upload(
        site,
        "mag_new_hazards_utm48n.zip",
        "hazards",
        "MAG",
        token=site.operator_token,
        field_map=MAG_MAPPING,
    )
    open_settled(tab.page, f"{site.url}/submissions/{submission}")
    assert tab.page.locator(".finding.error").count() == 0
    assert tab.page.locator("#preview-title").count() == 1
    tab.page.click("#approve")
    tab.page.wait_for_selector("#confirm-approve[open]")  # it asks first
    tab.page.click("#confirm-yes")
    tab.page.wait_for_selector("#outcome:has-text('approved')")
    assert tab.page.inner_text("#status") == "approved"
    # said after the reload with the focus on it, so that it is read out (helper-93)
    assert tab.page.evaluate("() => document.activeElement.id") == "outcome"
    assert tab.page.locator("#decide").count() == 0  # decided: the buttons are gone
    assert tab.page.locator("#preview-title, #replace-link").count() == 0  # "If approved"
    # Once approved, the page says who uploaded and who approved it, and when, and each
    # feature links to the hazard it recorded (a new user's review found neither)
    open_settled(tab.page, f"{site.url}/submissions/{submission}")
    who = tab.page.inner_text("#who")
    assert (
        who.startswith("Uploaded by ui-operator on ")
        and f"; approved by {site.username} on " in who
    )
    with site.engine.connect() as conn:
        recorded = set(
            conn.execute(
                text(
                    "SELECT h.reference FROM hazard_revision r JOIN hazard h ON h.id = r.hazard_id"
                    " WHERE r.submission_id = :s"
                ),
                {"s": submission},
            ).scalars()
        )
    links = tab.page.locator("#features td.recorded a")
    assert recorded and {links.nth(k).inner_text() for k in range(links.count())} == recorded
    with tab.page.expect_navigation():
        links.first.click()
    assert tab.page.url.startswith(f"{site.url}/hazards/")
    assert tab.page.locator("h1").inner_text().startswith("Hazard ")
    assert tab.errors == []


def asked_then_done(tab: Watched, row: Locator, confirm: Locator, said: str, shot: str) -> None:
    """A step that cannot be undone, in ``row``: its first click only asks, saying what it
    does (``said``; shot at 1366 and 390 px), and its confirmation does it."""
    assert not confirm.is_visible()
    row.locator("summary").click()
    assert confirm.is_visible() and said in row.inner_text()
    tab.shoot(f"{shot}-asked")
    tab.page.set_viewport_size({"width": 390, "height": 844})
    tab.shoot(f"{shot}-asked-390")
    with tab.page.expect_navigation():
        confirm.click()


def test_disabling_a_user_is_asked_then_confirmed(
    tab: Watched, site: LiveSite, browser: Browser
) -> None:
    """The users page's Disable acted at once, and a user's API tokens end for good when
    they are disabled (a new user's review): it asks first, saying so."""
    page = tab.page
    open_settled(page, f"{site.url}/admin/users")
    form = page.locator("form.add-user")
    form.locator("input[name=username]").fill("ui-leaving")
    form.locator("input[name=full_name]").fill("Leaving Soon")
    form.locator("select[name=role]").select_option("reviewer")
    form.locator("input[name=password]").fill("short")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    # A mistake is said beside the form, in view, and what was typed stays but the
    # password (a new user's review retyped the whole form for each mistake)
    error = page.locator("#add-user-error")
    expect(error).to_be_in_viewport()
    assert "10 characters" in error.inner_text()
    assert form.locator("input[name=username]").input_value() == "ui-leaving"
    assert form.locator("input[name=full_name]").input_value() == "Leaving Soon"
    assert form.locator("select[name=role]").input_value() == "reviewer"
    assert form.locator("input[name=password]").input_value() == ""
    tab.shoot("users-add-mistake")
    form.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.inner_text("#add-user-message") == "Added ui-leaving (reviewer)."
    row = page.locator("#users tr", has_text="ui-leaving")
    asked_then_done(tab, row, row.locator("button[value=disable]"), "end for good", "users-disable")
    assert "ui-leaving is disabled" in page.inner_text(".notice")
    # the right password of a disabled account is answered as a wrong one, which says
    # that a disabled account cannot sign in (tests/api/test_auth.py)
    stranger = browser.new_context()
    signing = stranger.new_page()
    sign_in(signing, site, "ui-leaving")
    assert "administrator has disabled cannot sign in" in signing.inner_text(".problem")
    stranger.close()
    row = page.locator("#users tr", has_text="ui-leaving")
    assert "disabled" in row.locator(".status").inner_text()
    assert row.locator("button[value=enable]").is_visible()  # enabling asks nothing
    # the mistake's page answered 422 (its network and console lines); nothing else
    assert [e for e in tab.errors if "/admin/users" not in e or "422" not in e] == []


def test_finalising_a_report_is_asked_then_confirmed(tab: Watched, site: LiveSite) -> None:
    """One click had finalised the report shown, which cannot be undone."""
    year = 2019
    open_settled(tab.page, f"{site.url}/reports?year={year}&level=2")
    confirm = tab.page.locator("#finalise-confirm")
    assert not confirm.is_visible()  # the first click only asks
    tab.page.click("#finalise summary")
    assert confirm.is_visible()
    assert "cannot be undone" in tab.page.inner_text("#finalise")
    tab.shoot("reports-finalise-asked")
    confirm.click()
    tab.page.wait_for_url(f"**/reports?year={year}&level=2**")
    assert tab.page.locator("#finalise").count() == 0  # finalised: nothing left to confirm
    assert "Finalised" in tab.page.inner_text("#report-history")
    # kept whole, with the provinces' tables too: both come again as finalised
    tab.page.click("#as-finalised-link a")
    tab.page.wait_for_selector("#as-finalised")
    assert "The report as finalised" in tab.page.inner_text("#report-history")
    tab.shoot("reports-as-finalised")
    for link in tab.page.locator(".downloads a").all():
        href = link.get_attribute("href") or ""
        assert "as_finalised=true" in href, href
        answer = tab.page.request.get(f"{site.url}{href}")
        assert answer.status == 200, (href, answer.status)
    open_settled(tab.page, f"{site.url}/reports?year={year}&level=1")
    assert "Finalised" in tab.page.inner_text("#report-history")
    assert tab.page.locator("#finalise").count() == 0
    # (left first: resized, the page shown asks for its phone's chart, which the next
    # page's opening then cancels, a failed request that is no one's)
    tab.page.goto("about:blank")
    tab.page.set_viewport_size({"width": 390, "height": 844})
    open_settled(tab.page, f"{site.url}/reports?year={year}&level=1&as_finalised=1")
    width = tab.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the report as finalised is {width} px wide on a 390 px screen"
    tab.shoot("reports-as-finalised-390")
    assert tab.errors == []


def test_an_approval_refused_on_its_second_check_shows_what_it_found(
    tab: Watched, site: LiveSite, tmp_path: Path
) -> None:
    """The same hazard staged twice, by two files; the first approved while the second's
    page was open. The second's approval found the hazard recorded already and was refused,
    but the page went on saying "0 error(s)" with the Approve button live (found by a
    walk-through as an operator's data manager). (The very same file twice is refused
    before any check: tests/api/test_uploads_api.py.)"""

    def upload() -> int:
        n = len(list(tmp_path.iterdir()))
        frame = gpd.GeoDataFrame(
            [{"hazard_id": "ZZ-TWICE-1", "status": "SHA", "recorded": "2024-01-01", "team": n}],
            geometry=[box(102.61, 17.96, 102.612, 17.962)],
            crs=4326,
        )
        path = tmp_path / f"twice-{n}.gpkg"  # two files, not the same one twice
        frame.to_file(path, driver="GPKG")
        posted = httpx.post(
            f"{site.url}/api/v1/submissions",
            files={"file": (path.name, path.read_bytes(), "application/geopackage+sqlite3")},
            data={"kind": "hazards", "organisation": "MAG"},
            headers={"Authorization": f"Bearer {site.operator_token}"},
            timeout=60,
        )
        assert posted.status_code == 201, posted.text
        return int(posted.json()["id"])

    first, second = upload(), upload()
    open_settled(tab.page, f"{site.url}/submissions/{second}")
    assert tab.page.locator(".finding.error").count() == 0
    approved = httpx.post(
        f"{site.url}/api/v1/submissions/{first}/approve",
        headers={"Authorization": f"Bearer {site.token}"},
        timeout=120,
    )
    assert approved.status_code == 200, approved.text
    tab.page.click("#approve")
    tab.page.wait_for_selector("#confirm-approve[open]")
    with tab.page.expect_navigation():  # reloaded to show what the check found
        tab.page.click("#confirm-yes")
    tab.page.wait_for_selector("#outcome.bad")
    assert "cannot be approved" in tab.page.inner_text("#outcome")
    assert tab.page.locator(".finding.error").count() >= 1
    assert "already recorded" in tab.page.inner_text("main")
    assert tab.page.locator("#approve").is_disabled()
    tab.shoot("review-refused-on-second-check")
    assert [e for e in tab.errors if f"/submissions/{second}/approve" not in e] == []


def test_an_approval_stops_at_a_warning_its_second_check_brought_then_goes_ahead(
    tab: Watched, site: LiveSite, tmp_path: Path
) -> None:
    """Two files, awaiting review, held the same polygon under two references; the first
    approved, the second's approval found the overlap on its second check and approved it
    anyway, the ground counted twice (a walk-through). The second's review names the first
    as awaiting review; once the first is approved, the page reloads with the overlap of a
    recorded hazard and says why; approving again goes ahead."""

    def upload(reference: str) -> int:
        frame = gpd.GeoDataFrame(
            [{"hazard_id": reference, "status": "SHA", "recorded": "2024-01-01"}],
            geometry=[box(102.63, 17.96, 102.632, 17.962)],
            crs=4326,
        )
        path = tmp_path / f"{reference}.gpkg"
        frame.to_file(path, driver="GPKG")
        posted = httpx.post(
            f"{site.url}/api/v1/submissions",
            files={"file": (path.name, path.read_bytes(), "application/geopackage+sqlite3")},
            data={"kind": "hazards", "organisation": "MAG"},
            headers={"Authorization": f"Bearer {site.operator_token}"},
            timeout=60,
        )
        assert posted.status_code == 201, posted.text
        return int(posted.json()["id"])

    first, second = upload("ZZ-SAME-1"), upload("ZZ-SAME-2")
    page = tab.page
    open_settled(page, f"{site.url}/submissions/{second}")
    # the first awaits review: named as such, not yet as a recorded hazard
    assert f"overlaps hazard ZZ-SAME-1 in submission {first}" in page.inner_text("main")
    assert "overlaps open hazard ZZ-SAME-1" not in page.inner_text("main")
    approved = httpx.post(
        f"{site.url}/api/v1/submissions/{first}/approve",
        headers={"Authorization": f"Bearer {site.token}"},
        timeout=120,
    )
    assert approved.status_code == 200, approved.text
    page.click("#approve")
    page.wait_for_selector("#confirm-approve[open]")
    with page.expect_navigation():  # reloaded to show what the check found
        page.click("#confirm-yes")
    page.wait_for_selector("#outcome.bad")
    assert "its review did not show" in page.inner_text("#outcome")
    assert "overlaps open hazard ZZ-SAME-1" in page.inner_text("main")
    assert page.inner_text("#status") != "approved"
    tab.shoot("review-stopped-at-a-new-warning")
    page.click("#approve")  # read: approved
    page.wait_for_selector("#confirm-approve[open]")
    page.click("#confirm-yes")
    # (the refusal's words say "approved" too: the answer is the outcome marked ok)
    page.wait_for_selector("#outcome.ok:has-text('approved')")
    assert page.inner_text("#status") == "approved"
    assert [e for e in tab.errors if f"/submissions/{second}/approve" not in e] == []


def test_a_token_made_on_the_account_page_is_shown_in_view_and_revoked_only_when_confirmed(
    browser: Browser, site: LiveSite
) -> None:
    """A wrong password's message was below the fold at 1366×900, above a list it was not
    about; and one click on Revoke ended a token for good (a review of the pages)."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    tab = Watched(context.new_page())
    page = tab.page
    sign_in(page, site, "ui-viewer")
    open_settled(page, f"{site.url}/account")
    page.fill("#token-form input[name=name]", "QGIS in the office")
    page.fill("#token-form input[name=current]", "not the password")
    page.click("#token-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    error = page.locator("#token-error")
    assert "Your password is not right" in error.inner_text()
    expect(error).to_be_in_viewport()
    expect(page.locator("#token-form input[name=current]")).to_be_focused()
    assert page.input_value("#token-form input[name=name]") == "QGIS in the office"
    tab.shoot("account-token-wrong-password")
    page.fill("#token-form input[name=current]", PASSWORD)
    page.click("#token-form button[type=submit]")
    page.wait_for_url("**/account#made-token")
    expect(page.locator("#made-token")).to_be_in_viewport()
    secret = page.inner_text("#token-secret")
    me = httpx.get(f"{site.url}/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json()["username"] == "ui-viewer"
    row = page.locator("#own-tokens tbody tr", has_text="QGIS in the office")
    asked_then_done(
        tab, row, row.locator("button[type=submit]"), "stops working", "account-token-revoke"
    )
    assert page.locator("#own-tokens tbody tr", has_text="QGIS in the office").count() == 0
    gone = httpx.get(f"{site.url}/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert gone.status_code == 401
    refused = f"{site.url}/account/tokens"  # the wrong password's page, and its console line
    assert [e for e in tab.errors if not e.startswith("422: ") and refused not in e] == []
    context.close()


def test_a_submission_map_at_390_shows_features_a_continent_apart(
    tab: Watched, site: LiveSite
) -> None:
    """One feature of a file in Europe (a typo'd coordinate) and one in Laos: the review
    map at 390 px had been held at zoom 3, which showed the middle between them, and
    neither (a first-time user's review). Its scale is in metres, as every area in ims."""

    def square(x: float, y: float) -> dict[str, Any]:
        ring = [[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]
        return {"type": "Polygon", "coordinates": [ring]}

    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": square(x, y),
                "properties": {"hazard_id": ref, "status": "SHA", "recorded": "2024-01-01"},
            }
            for ref, x, y in (("FAR-1", 103.2, 19.5), ("FAR-2", 2.35, 48.85))
        ],
    }
    posted = httpx.post(
        f"{site.url}/api/v1/submissions",
        files={"file": ("far.geojson", json.dumps(collection).encode(), "application/geo+json")},
        data={"kind": "hazards", "organisation": "MAG"},
        headers={"Authorization": f"Bearer {site.token}"},
        timeout=60,
    )
    assert posted.status_code == 201, posted.text
    tab.page.set_viewport_size({"width": 390, "height": 844})
    open_settled(tab.page, f"{site.url}/submissions/{posted.json()['id']}")
    tab.page.wait_for_selector("#review-map[data-drawn]", state="attached", timeout=10_000)
    tab.page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-submitted-pane path').length >= 2",
        timeout=10_000,
    )
    tab.shoot("review-far-apart-390")
    # the scale in metres alone: its second line, in miles, had been cut at 390 px
    scale = tab.page.locator("#review-map .leaflet-control-scale-line")
    assert scale.count() == 1 and scale.inner_text().endswith(("m", "km"))
    assert tab.errors == []
