"""Every page answers with its content; unknown things are clear 404 pages."""

from __future__ import annotations

import httpx
import pytest

from tests.ui.conftest import LiveSite


@pytest.fixture(scope="module")
def client(site: LiveSite) -> httpx.Client:
    return httpx.Client(base_url=site.url, timeout=30)


def test_dashboard_shows_remaining_released_charts_and_deadline(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    for marker in ('id="remaining-cha"', 'id="remaining-sha"', 'id="released-this-year"',
                   'id="deadline"', "Land released per year by method", "<svg"):  # fmt: skip
        assert marker in page.text


def test_map_page_loads_vendored_leaflet_and_no_inline_geometry(client: httpx.Client) -> None:
    page = client.get("/map")
    assert page.status_code == 200
    assert "/static/vendor/leaflet/leaflet.js" in page.text
    assert "/static/vendor/vectorgrid/Leaflet.VectorGrid.bundled.min.js" in page.text
    assert '"coordinates"' not in page.text  # the features come as tiles
    assert "http://" not in page.text.replace(str(client.base_url), "")
    for asset in ("/static/map.js", "/static/ims.css", "/static/vendor/leaflet/leaflet.css"):
        assert client.get(asset).status_code == 200


def test_map_figures_change_with_the_as_of_date(client: httpx.Client) -> None:
    today = client.get("/map/figures").json()
    early = client.get("/map/figures", params={"as_of": "2012-06-30"}).json()
    assert early["as_of"] == "2012-06-30"
    assert today["total_area_m2"] != early["total_area_m2"]
    assert client.get("/map/figures", params={"as_of": "not-a-date"}).status_code == 422


def test_hazard_page_has_map_figures_and_timeline(client: httpx.Client, site: LiveSite) -> None:
    page = client.get(f"/hazards/{site.hazard}")
    assert page.status_code == 200
    assert site.hazard in page.text
    assert 'id="hazard-figures"' in page.text and "Timeline" in page.text
    assert "folium-map" in page.text


def test_unknown_hazard_is_a_404_page(client: httpx.Client) -> None:
    page = client.get("/hazards/NO-SUCH-HAZARD")
    assert page.status_code == 404
    assert "NO-SUCH-HAZARD" in page.text and "Traceback" not in page.text


def test_review_page_lists_the_findings_of_a_broken_submission(
    client: httpx.Client, site: LiveSite
) -> None:
    page = client.get(f"/submissions/{site.broken_submission}")
    assert page.status_code == 200
    assert page.text.count('class="finding error"') >= 1
    assert 'id="approve" disabled' in page.text  # errors block approval
    assert client.get("/submissions/999999").status_code == 404


def test_submissions_list_and_reports_page(client: httpx.Client) -> None:
    assert "npa_releases_with_errors.zip" in client.get("/submissions").text
    page = client.get("/reports", params={"year": 2020, "level": 2})
    assert page.status_code == 200
    assert 'id="form-1h"' in page.text and 'id="form-1i"' in page.text
    assert "format=csv" in page.text and "format=xlsx" in page.text and "format=pdf" in page.text
    assert 'id="planning"' in page.text
