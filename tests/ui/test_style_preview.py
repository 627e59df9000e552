"""Other tools can draw ims's tiles: MapLibre GL JS (vendored from npm) draws them in
Chromium from the published style alone, beside ims's own map."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.ui.conftest import PASSWORD, LiveSite, launch_chromium, open_settled

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = launch_chromium(p, "--enable-unsafe-swiftshader")  # WebGL without a GPU
        yield b
        b.close()


def _signed_in(browser: Browser, site: LiveSite, width: int) -> tuple[Page, list[str]]:
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    open_settled(page, f"{site.url}/login")
    page.fill("#username", site.username)
    page.fill("#password", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page, errors


@pytest.mark.parametrize("width", [1366, 390])
def test_maplibre_draws_the_tiles_from_the_published_style(
    browser: Browser, site: LiveSite, width: int
) -> None:
    lat, lon = site.hazard_at
    page, errors = _signed_in(browser, site, width)
    views = ((8, {"admin1-fill", "hazards-point"}), (15, {"hazards-fill", "releases-fill"}))
    for zoom, expected in views:
        view = f"#{zoom}/{lat:.5f}/{lon:.5f}"
        # MapLibre's zoom counts 512-pixel tiles: one less shows what Leaflet's shows
        same = f"#{zoom - 1}/{lat:.5f}/{lon:.5f}"
        page.goto(f"{site.url}/static/style-preview.html{same}", wait_until="load")
        page.wait_for_selector("#map[data-idle]", state="attached", timeout=30_000)
        rendered = json.loads(page.get_attribute("#map", "data-rendered") or "{}")
        assert expected <= set(rendered), rendered
        assert page.get_attribute("#map", "data-error") is None
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"maplibre-style-z{zoom}-{width}.png"))
        # ims's own map of the same view, to compare by eye
        open_settled(page, f"{site.url}/map{view}")
        page.wait_for_selector("#map[data-shown]", state="attached", timeout=20_000)
        page.screenshot(path=str(ARTIFACTS / f"ims-map-z{zoom}-{width}.png"))
    assert errors == []
    page.context.close()
