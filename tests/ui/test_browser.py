"""The pages in a real browser: Debian's Chromium, headless, driven by Playwright.

Screenshots of every page go to tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.ui.conftest import LiveSite

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
EXAMPLES = Path(__file__).resolve().parents[2] / "sample_data" / "examples"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("Chromium is not installed: run scripts/setup.sh --dev (it installs it)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    pg = context.new_page()
    pg.errors = []  # type: ignore[attr-defined]
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))  # type: ignore[attr-defined]
    yield pg
    context.close()


def shoot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize(
    ("name", "path"),
    [("dashboard", "/"), ("submissions", "/submissions"), ("reports", "/reports")],
)
def test_page_loads_without_console_errors(
    page: Page, site: LiveSite, name: str, path: str
) -> None:
    page.goto(site.url + path, wait_until="networkidle")
    shoot(page, name)
    assert page.errors == []  # type: ignore[attr-defined]


def test_hazard_page_draws_its_map(page: Page, site: LiveSite) -> None:
    page.goto(f"{site.url}/hazards/{site.hazard}", wait_until="networkidle")
    page.wait_for_selector(".leaflet-overlay-pane path", timeout=10_000)
    assert page.locator(".legend").count() == 1
    shoot(page, "hazard")
    assert page.errors == []  # type: ignore[attr-defined]


def test_national_map_draws_features_from_tiles(page: Page, site: LiveSite) -> None:
    start = time.perf_counter()
    page.goto(site.url + "/map")
    page.wait_for_selector(".leaflet-pane path", timeout=10_000)
    elapsed = time.perf_counter() - start
    page.wait_for_load_state("networkidle")
    assert page.locator(".leaflet-pane path").count() > 10
    assert page.locator(".legend").count() == 1
    assert page.locator(".leaflet-control-layers").count() == 1
    shoot(page, "map")
    assert page.errors == []  # type: ignore[attr-defined]
    print(f"national map: features drawn {elapsed:.2f} s after navigation")


def test_changing_the_as_of_date_changes_the_figures(page: Page, site: LiveSite) -> None:
    page.goto(site.url + "/map", wait_until="networkidle")
    figure = page.locator('#map-figures [data-field="total_area_m2"]')
    before = figure.inner_text()
    page.fill("#as-of", "2012-06-30")
    page.dispatch_event("#as-of", "change")
    page.wait_for_function(
        "document.querySelector('#map-figures [data-field=\"as_of\"]').textContent === '2012-06-30'"
    )
    page.wait_for_load_state("networkidle")
    assert figure.inner_text() != before
    shoot(page, "map-2012")
    assert page.errors == []  # type: ignore[attr-defined]


def test_review_page_shows_findings_and_rejects_with_a_reason(page: Page, site: LiveSite) -> None:
    # A submission of the test's own (the shared broken example stays as it is).
    example = EXAMPLES / "npa_releases_with_errors.zip"
    posted = httpx.post(
        f"{site.url}/api/v1/submissions",
        files={"file": (example.name, example.read_bytes(), "application/zip")},
        data={"kind": "releases", "organisation": "NPA"},
        timeout=60,
    )
    assert posted.status_code == 201, posted.text
    page.goto(f"{site.url}/submissions/{posted.json()['id']}", wait_until="networkidle")
    assert page.locator(".finding.error").count() >= 1
    assert page.locator("#approve").is_disabled()
    shoot(page, "review")
    page.click("#reject")  # no reason yet: refused on the page
    assert "reason" in page.inner_text("#outcome")
    page.fill("#reason", "five errors: see the findings")
    page.click("#reject")
    page.wait_for_function("document.querySelector('#outcome').textContent.includes('rejected')")
    assert re.search(r"rejected", page.inner_text("#status"))
    assert page.errors == []  # type: ignore[attr-defined]
