"""Every page answers with its content, from the report functions; unknown things are 404 pages.

The pages are read through FastAPI's TestClient on the test's rolled-back session, over a
small programme whose figures are known.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import re
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from pyproj import Geod
from shapely.geometry import MultiPolygon, Point, box, shape
from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.api.deps import get_session
from ims.config import get_settings
from ims.db import audit
from ims.db.recording import load_boundaries, record_hazards, record_releases, revise_hazards
from ims.domain.enums import Contamination, HazardStatus, ReleaseMethod
from ims.domain.records import BoundaryFeature, HazardChange, NewHazard, NewRelease
from ims.ingest import approval, submissions
from ims.queries.submissions import ProvinceEffect
from ims.reports.article7 import ReportScope, released, remaining
from map_ui.rendering import audit_fields, options_whole
from tests.ingest.test_submissions import hazard_frame, write_zip
from tests.utils import ClientAs, session_app

EXAMPLES = Path(__file__).resolve().parents[2] / "sample_data" / "examples"
PAGES = ["/", "/map", "/submissions", "/reports", "/hazards/H-CHA"]
NAV = ['href="/"', 'href="/map"', 'href="/submissions"', 'href="/reports"']


def map_spec(page: str) -> dict[str, Any]:
    """The layers a page's small map draws (its data-layers attribute, as the browser reads it)."""
    found = re.search(r"data-layers='([^']*)'", page)
    assert found, "the page has no map"
    return dict(json.loads(html.unescape(found.group(1))))


def inline_geojson(page: str) -> list[dict[str, Any]]:
    """The GeoJSON layers the page's small map draws, in drawing order."""
    return [layer["data"] for layer in map_spec(page)["layers"]]


def km2(m2: float) -> str:
    """As the pages print km²."""
    return f"{m2 / 1e6:,.3f}"


@pytest.fixture
def programme(session: Session) -> Session:
    """Two provinces, a CHA released by all three methods, an SHA reclassified as CHA."""
    load_boundaries(
        session,
        [
            BoundaryFeature("P-A", "Province A", MultiPolygon([box(102, 19, 103, 20)])),
            BoundaryFeature("P-B", "Province B", MultiPolygon([box(103, 19, 104, 20)])),
        ],
        level=1,
    )
    record_hazards(
        session,
        [
            NewHazard(
                "H-CHA",
                HazardStatus.CHA,
                box(102.10, 19.60, 102.12, 19.62),
                dt.date(2015, 1, 10),
                estimates={"BLU-26": 40},
            ),
            NewHazard(
                "H-SHA", HazardStatus.SHA, box(103.10, 19.60, 103.11, 19.61), dt.date(2015, 2, 1)
            ),
        ],
    )
    revise_hazards(session, [HazardChange("H-SHA", dt.date(2016, 3, 1), status=HazardStatus.CHA)])
    record_releases(
        session,
        [
            NewRelease(
                "R-NTS",
                "H-CHA",
                ReleaseMethod.CANCELLED,
                dt.date(2016, 5, 1),
                box(102.10, 19.60, 102.105, 19.62),
            ),
            NewRelease(
                "R-TS",
                "H-CHA",
                ReleaseMethod.REDUCED,
                dt.date(2017, 5, 1),
                box(102.105, 19.60, 102.11, 19.62),
            ),
            # Half of it lies outside the hazard: shown, never counted.
            NewRelease(
                "R-CLR",
                "H-CHA",
                ReleaseMethod.CLEARED,
                dt.date(2018, 5, 1),
                box(102.11, 19.60, 102.13, 19.605),
                items={"BLU-26": 3, "MORTAR": 2},
            ),
        ],
    )
    return session


@pytest.fixture
def client(programme: Session, client_as: ClientAs) -> TestClient:
    return client_as()


@pytest.fixture
def broken_submission(programme: Session) -> int:
    """A staged upload with errors (releases of hazards this database does not hold…)."""
    outcome = submissions.stage(
        programme, EXAMPLES / "npa_releases_with_errors.zip", kind="releases", organisation="NPA"
    )
    assert outcome.errors > 0
    return int(outcome.submission.id)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_html_with_the_nav_bar_and_a_plain_title(
    client: TestClient, path: str
) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for link in NAV:
        assert link in page.text
    title = re.search(r"<title>(.*?)</title>", page.text, re.S)
    assert title and "<" not in title.group(1) and title.group(1).endswith("· ims")
    # Nothing is fetched from another site: Leaflet and its plugins are served from here.
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", page.text)


def test_dashboard_shows_the_figures_of_the_reports(client: TestClient, programme: Session) -> None:
    today = dt.date.today()
    scope = ReportScope(level=1, contam=Contamination.CMR)
    total = remaining(programme, today, scope)[-1]
    this_year = released(programme, dt.date(today.year - 1, 12, 31), today, scope)[-1]
    page = client.get("/").text

    def card(card_id: str) -> str:
        found = re.search(rf'id="{card_id}">(.*?)</div>', page, re.S)
        assert found, card_id
        return found.group(1)

    assert f"{km2(total['cha_area_m2'])}&nbsp;km²" in card("remaining-cha")
    assert f"{total['cha_count']} areas" in card("remaining-cha")
    assert f"{km2(total['sha_area_m2'])}&nbsp;km²" in card("remaining-sha")
    assert f"{km2(total['total_area_m2'])}&nbsp;km²" in card("remaining-total")
    assert f"{km2(this_year['total_m2'])}&nbsp;km²" in card("released-this-year")
    assert total["cha_count"] == 2 and total["sha_count"] == 0  # H-SHA was reclassified
    # The Article 4 section: the deadline, the assumption behind it, the projection.
    assert "1 August 2025" in page and "IMS_ARTICLE4_DEADLINE" in page and "assumed" in page
    assert 'id="projected-year"' in page and 'id="article4-figures"' in page
    # Article 4 is the cluster munitions convention's: its figures are CMR's whatever kind
    # the dashboard shows (every kind had been set against its deadline)
    assert "Article 4: cluster munition remnants" in page and 'id="article4-kind"' in page
    cmr_only = client.get("/", params={"contam": "CMR"}).text
    article4 = re.search(r'id="article4-figures">(.*?)</table>', page, re.S)
    article4_cmr = re.search(r'id="article4-figures">(.*?)</table>', cmr_only, re.S)
    assert article4 and article4_cmr and article4.group(1) == article4_cmr.group(1)
    assert 'id="article4-kind"' not in cmr_only
    # Two inline SVG charts: release per year by method (one rect per method and year)…
    assert page.count('<svg viewBox="0 0 640 240" class="chart"') == 2
    assert "2018 Cleared: " in page and "2016 Cancelled (non-technical survey): " in page
    # …and their figures as tables, for whoever cannot read a chart
    assert 'id="release-chart-data"' in page and 'id="remaining-chart-data"' in page
    assert '<th scope="row">2018</th>' in page


def test_the_dashboard_says_the_ground_overlapping_hazards_share_and_its_charts_kind(
    client: TestClient, programme: Session
) -> None:
    """The dashboard gave the remaining and released totals bare where two hazards share
    ground (DESIGN §2.6), and its charts, below the Article 4 panel of cluster munition
    remnants, did not say they were of every kind (an IM officer's review, helper-100)."""
    page = client.get("/").text
    assert 'id="remaining-shared"' not in page and 'id="released-twice"' not in page
    assert "every kind of contamination)" in page and 'id="rounding"' in page
    this_year = dt.date(dt.date.today().year, 1, 2)
    record_hazards(
        programme,
        [
            NewHazard("O-1", HazardStatus.SHA, box(103.50, 19.50, 103.52, 19.52), this_year),
            NewHazard("O-2", HazardStatus.SHA, box(103.51, 19.50, 103.53, 19.52), this_year),
        ],
    )
    cleared = box(103.505, 19.50, 103.515, 19.51)  # one clearance over both, split in two
    record_releases(
        programme,
        [
            NewRelease("OR#1", "O-1", ReleaseMethod.CLEARED, this_year, cleared),
            NewRelease("OR#2", "O-2", ReleaseMethod.CLEARED, this_year, cleared),
        ],
    )
    programme.commit()
    geod = Geod(ellps="WGS84")

    def m2(x0: float, y0: float, x1: float, y1: float) -> float:
        ring = box(x0, y0, x1, y1).segmentize(0.00001).exterior
        return abs(geod.polygon_area_perimeter(*ring.xy)[0])

    # shared: the boxes' common 0.01° strip, less its part cleared from both
    shared = m2(103.51, 19.50, 103.52, 19.52) - m2(103.51, 19.50, 103.515, 19.51)
    twice = m2(103.51, 19.50, 103.515, 19.51)
    page = client.get("/", params={"contam": "CMR"}).text
    said = re.search(r'id="remaining-shared">([\d,.]+)&nbsp;km²', page)
    assert said and said.group(1) == km2(shared)
    released_twice = re.search(r'id="released-twice">([\d,]+)&nbsp;m²', page)
    assert released_twice and int(released_twice.group(1).replace(",", "")) == round(twice)
    assert "Land released per year by method (km², CMR)" in page


def test_the_dashboard_shows_the_figures_as_of_an_earlier_date(
    client: TestClient, programme: Session
) -> None:
    """The dashboard showed today only: the national picture quoted at a year's end could
    not be found again there, nor did its year's bar stop at the date."""
    as_of = dt.date(2016, 2, 15)  # H-SHA not yet reclassified, R-NTS (1 May) not yet done
    total = remaining(programme, as_of, ReportScope(level=1))[-1]
    page = client.get("/", params={"as_of": as_of.isoformat()}).text
    assert "as of 2016-02-15" in page and 'value="2016-02-15"' in page
    assert (total["cha_count"], total["sha_count"]) == (1, 1)
    for card_id, key in (("remaining-cha", "cha_area_m2"), ("remaining-sha", "sha_area_m2")):
        found = re.search(rf'id="{card_id}">(.*?)</div>', page, re.S)
        assert found and f"{km2(total[key])}&nbsp;km²" in found.group(1)
    assert "Released in 2016 up to 15 February" in page
    row = re.search(r'<th scope="row">2016 \(to 15 February\)</th>(.*?)</tr>', page, re.S)
    assert row, "the year's bar stops at the date"
    assert re.findall(r'<td class="num">([^<]*)</td>', row.group(1)) == ["0.000"] * 3
    assert "Remaining area at each year end, and on 15 February 2016" in page
    assert "Remaining on 2016-02-15" in page  # Article 4's figures, as of the date too
    later = dt.date.today() + dt.timedelta(days=1)
    assert client.get("/", params={"as_of": later.isoformat()}).status_code == 422
    # year 1 made the year before it year 0: a 500 (an attack on our own instance)
    assert client.get("/", params={"as_of": "0001-01-01"}).status_code == 422
    # the form's date left empty is today (it had answered "Input should be a valid date")
    empty = client.get("/", params={"as_of": "", "contam": ""})
    assert empty.status_code == 200 and f"as of {dt.date.today()}" in empty.text
    assert client.get("/", params={"as_of": "31/12/2019"}).status_code == 422


def test_map_page_draws_tiles_and_inlines_no_geometry(client: TestClient) -> None:
    page = client.get("/map").text
    assert "/static/vendor/leaflet/leaflet.js" in page
    assert "/static/vendor/vectorgrid/Leaflet.VectorGrid.bundled.min.js" in page
    assert 'id="as-of"' in page and 'id="map-figures"' in page
    assert '"coordinates"' not in page  # the features come as tiles
    for asset in (
        "map.js",
        "ims.css",
        "vendor/leaflet/leaflet.css",
        "vendor/leaflet/LICENSE",
        "vendor/vectorgrid/Leaflet.VectorGrid.bundled.min.js",
        "vendor/vectorgrid/LICENSE",
    ):
        assert client.get(f"/static/{asset}").status_code == 200, asset


def test_map_page_shows_a_date_its_tiles_refuse_as_the_nearest_they_take(
    client: TestClient,
) -> None:
    today = dt.date.today().isoformat()
    for asked, shown in (("1800-06-30", "1900-01-01"), ("2999-01-01", today)):
        page = client.get("/map", params={"as_of": asked}).text
        assert f'value="{shown}" min="1900-01-01" max="{today}"' in page, asked
        assert client.get("/map/figures", params={"as_of": shown}).status_code == 200
        assert client.get("/map/figures", params={"as_of": asked}).status_code == 422


def test_map_figures_are_form_1h_at_the_chosen_date(client: TestClient, programme: Session) -> None:
    for as_of in (dt.date(2015, 1, 31), dt.date(2016, 12, 31), dt.date.today()):
        total = remaining(programme, as_of, ReportScope(level=1))[-1]
        got = client.get("/map/figures", params={"as_of": as_of.isoformat()}).json()
        assert got["as_of"] == as_of.isoformat()
        for key in ("sha_area_m2", "cha_area_m2", "total_area_m2"):
            assert got[key] == pytest.approx(total[key], abs=0.1)
        for key in ("sha_count", "cha_count", "total_count"):
            assert got[key] == total[key]
    early = client.get("/map/figures", params={"as_of": "2015-01-31"}).json()
    assert (early["cha_count"], early["sha_count"]) == (1, 0)  # H-SHA is not recorded yet
    assert client.get("/map/figures", params={"as_of": "2014-12-31"}).json()["total_count"] == 0
    assert client.get("/map/figures", params={"as_of": "not-a-date"}).status_code == 422


def test_map_figures_of_a_province_are_its_row_of_form_1h(
    client: TestClient, programme: Session
) -> None:
    """Finding a province on the map had left the national figures beside it: the box
    now asks for the province's, which are its row of Form 1(h) on the map's date."""
    geod = Geod(ellps="WGS84")  # areas on the ellipsoid, computed apart from ims

    def area(*bounds: float) -> float:
        return abs(geod.geometry_area_perimeter(box(*bounds))[0])

    def figures(**params: str) -> dict[str, Any]:
        got = client.get("/map/figures", params=params)
        assert got.status_code == 200, got.text
        return dict(got.json())

    # before any release: each province holds one hazard whole
    a = figures(as_of="2015-06-01", province="P-A")
    assert (a["place"], a["kind"], a["code"]) == ("Province A", "province", "P-A")
    assert (a["cha_count"], a["sha_count"], a["total_count"]) == (1, 0, 1)
    assert a["cha_area_m2"] == pytest.approx(area(102.10, 19.60, 102.12, 19.62), abs=0.1)
    # a code in any case (an address typed by hand), answered with the code as held
    assert figures(as_of="2015-06-01", province="p-a") == a
    assert figures(as_of="2015-06-01", province=" P-A ") == a
    b = figures(as_of="2015-06-01", province="P-B")
    assert (b["cha_count"], b["sha_count"]) == (0, 1) and b["cha_area_m2"] == 0
    assert b["sha_area_m2"] == pytest.approx(area(103.10, 19.60, 103.11, 19.61), abs=0.1)
    # on any date and kind: the province's row of the report, and the provinces add up to
    # the country's figures
    for as_of in (dt.date(2016, 12, 31), dt.date.today()):
        rows = {r["admin_code"]: r for r in remaining(programme, as_of, ReportScope(level=1))}
        country = figures(as_of=as_of.isoformat(), contam="CMR")
        both = [figures(as_of=as_of.isoformat(), contam="CMR", province=c) for c in ("P-A", "P-B")]
        for got, code in zip(both, ("P-A", "P-B"), strict=True):
            for key in ("sha_area_m2", "cha_area_m2", "total_area_m2"):
                assert got[key] == pytest.approx(rows[code][key], abs=0.1)
            assert got["total_count"] == rows[code]["total_count"]
        assert sum(g["total_area_m2"] for g in both) == pytest.approx(
            country["total_area_m2"], abs=0.2
        )
        assert sum(g["total_count"] for g in both) == country["total_count"]
        assert "place" not in country
    unknown = client.get("/map/figures", params={"province": "P-Z"})
    assert unknown.status_code == 404 and "P-Z" in unknown.json()["detail"]
    assert unknown.headers["content-type"].startswith("application/problem+json")
    both_kinds = client.get("/map/figures", params={"province": "P-A", "district": "D-1"})
    assert both_kinds.status_code == 422


def test_map_find_offers_names_that_read_like_one_that_matches_none(
    client: TestClient, programme: Session
) -> None:
    """Lao names are written many ways: "Xiengkhouang" found nothing where the boundaries
    say "Xiangkhouang". When no reference or name holds what was typed, the areas whose
    names read most like it are offered, said to be that (the map asks, not goes)."""
    answer = client.get("/map/find", params={"q": "Provnce B"}).json()
    assert answer["alike"] is True
    assert answer["places"][0]["label"] == "Province B (province)"
    assert answer["places"][0]["code"] == "P-B"
    exact = client.get("/map/find", params={"q": "province b"}).json()
    assert exact["alike"] is False and len(exact["places"]) == 1
    nothing = client.get("/map/find", params={"q": "zzzz"}).json()
    assert nothing == {"q": "zzzz", "places": [], "more": False, "alike": False}


def test_map_find_gives_where_a_hazard_or_an_area_lies(
    client: TestClient, client_as: ClientAs, programme: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def find(q: str, who: TestClient = client, day: str | None = None) -> list[dict[str, Any]]:
        answer = who.get("/map/find", params={"q": q, **({"as_of": day} if day else {})})
        assert answer.status_code == 200, answer.text
        return list(answer.json()["places"])

    # the box each was recorded as, [[south, west], [north, east]], and its state on the
    # map's date, as a click on it shows: after the first release, a quarter is cancelled
    (found,) = find("h-cha", day="2016-06-01")
    state = found.pop("state")
    assert found == {
        "kind": "hazard",
        "label": "H-CHA (hazard)",
        "bounds": [[19.60, 102.10], [19.62, 102.12]],
        "reference": "H-CHA",
        "outline": None,
        "code": None,
        "also": None,
    }
    geod = Geod(ellps="WGS84")  # areas on the ellipsoid, computed apart from ims
    whole = abs(geod.geometry_area_perimeter(box(102.10, 19.60, 102.12, 19.62))[0])
    left = abs(geod.geometry_area_perimeter(box(102.105, 19.60, 102.12, 19.62))[0])
    assert state["status"] == "CHA"
    assert state["area_m2"] == pytest.approx(whole, rel=1e-5)
    assert state["remaining_m2"] == pytest.approx(left, rel=1e-5)
    assert find("H-CHA", day="2014-12-31")[0]["state"] is None  # not yet recorded then
    assert find("H-CHA")[0]["state"]["remaining_m2"] < left  # today: after every release
    # the map's script reads why (it had been sent an HTML page it could only call "422")
    future = client.get("/map/find", params={"q": "H", "as_of": "2999-01-01"})
    assert future.status_code == 422 and future.headers["content-type"].startswith(
        "application/problem+json"
    )
    assert "as_of" in future.json()["detail"]
    assert [p["reference"] for p in find("H-")] == ["H-CHA", "H-SHA"]
    (province,) = find("province b")
    outline = province.pop("outline")
    assert province == {
        "kind": "province",
        "label": "Province B (province)",
        "bounds": [[19, 103], [20, 104]],
        "reference": None,
        "state": None,
        "code": "P-B",  # for its figures
        "also": None,  # found by its own name
    }
    # drawn on the map: its boundary, as recorded (a box needs no simplifying)
    assert shape(outline).equals(box(103, 19, 104, 20))
    assert [p["label"] for p in find("Province")] == [
        "Province A (province)",
        "Province B (province)",
    ]
    assert find("%") == [] and find("_") == []  # wildcards are taken as they are
    assert find("nowhere") == []
    assert client.get("/map/find", params={"q": "x" * 101}).status_code == 422
    # Under location privacy a viewer finds areas, never where a hazard lies
    monkeypatch.setenv("IMS_LOCATION_PRIVACY", "true")
    get_settings.cache_clear()
    try:
        viewer = client_as("viewer")
        assert find("H-CHA", viewer) == []
        assert [p["label"] for p in find("Province A", viewer)] == ["Province A (province)"]
        assert find("H-CHA")[0]["reference"] == "H-CHA"  # staff still do
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_hazard_page_has_its_map_figures_timeline_and_items(client: TestClient) -> None:
    page = client.get("/hazards/H-CHA").text
    # in the menu, a hazard is one of the register's
    assert '<a href="/hazards" class="active">Hazards</a>' in page
    assert '<a href="/map" class="active">' not in page
    assert 'id="hazard-map" data-feature-map' in page and "/static/feature-map.js" in page
    figures = re.search(r'id="hazard-figures">(.*?)</table>', page, re.S)
    assert figures
    rows = dict(re.findall(r"</i>([^<]+)</th><td>([\d,]+)&nbsp;m²</td>", figures.group(1)))
    assert set(rows) == {
        "Cancelled (non-technical survey)",
        "Reduced (technical survey)",
        "Cleared",
    }
    assert all(int(v.replace(",", "")) > 0 for v in rows.values())
    timeline = re.search(r'class="timeline">(.*?)</table>', page, re.S)
    assert timeline
    events = re.findall(r'<td class="date">(\d{4}-\d\d-\d\d)</td><td>(\w+)</td>', timeline.group(1))
    assert events == [
        ("2015-01-10", "recorded"),
        ("2016-05-01", "cancelled"),
        ("2017-05-01", "reduced"),
        ("2018-05-01", "cleared"),
    ]
    assert "outside the hazard, not counted" in page  # half of R-CLR
    assert "Released outside the hazard (not counted)" in page  # …and on the map's legend
    assert "BLU-26 × 3" in page and "<td>BLU-26</td><td>40</td><td>3</td>" in page
    assert 'href="/map#15/' in page
    # where it is, as the register says (a walk-through at national scale: no page said)
    where = re.search(r'id="hazard-location">(.*?)</table>', page, re.S)
    assert where
    cells = dict(re.findall(r"<th>([^<]+)</th><td>([^<]+)</td>", where.group(1)))
    assert cells["Province"] == "Province A"
    assert cells["District"] == "none: outside every district"  # none are loaded here
    assert cells["Operator"] == "none recorded"
    lat, lon = (float(v) for v in cells["A point inside it (lat, lon)"].split(", "))
    assert box(102.10, 19.60, 102.12, 19.62).contains(Point(lon, lat))


def test_a_reclassification_is_on_the_timeline(client: TestClient) -> None:
    page = client.get("/hazards/H-SHA").text
    assert "reclassified SHA → CHA" in page
    assert 'class="badge cha"' in page


def test_unknown_hazard_is_a_404_page(client: TestClient) -> None:
    page = client.get("/hazards/NO-SUCH-HAZARD")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "NO-SUCH-HAZARD" in page.text and "Traceback" not in page.text
    assert client.get("/submissions/999999").status_code == 404


def test_review_page_lists_the_findings_and_maps_every_staged_feature(
    client: TestClient, broken_submission: int
) -> None:
    page = client.get(f"/submissions/{broken_submission}").text
    assert page.count('class="finding error"') >= 1
    assert "invalid_geometry" in page  # its feature has no repaired geom: raw_geom is drawn
    assert 'id="approve" disabled' in page  # errors block approval
    assert 'id="reject"' in page and 'id="reason"' in page and "/static/review.js" in page
    assert 'id="finding-kinds"' in page  # the findings summed by kind
    # each kind in words, its code as the list and the findings file give it (helper-97)
    assert 'title="invalid_geometry">invalid geometry</a>' in page
    assert len(re.findall(r'<tr class="[a-z]*"><td class="num">\d+</td>', page)) == 10
    # the count is of the features shown, not a label of the last filter ("without findings (10)")
    assert "— 10 features shown</span>" in page
    # The features come as vector tiles: at a national zoom, one point each (merged where
    # they touch, with a count), the worst finding of each kept.
    tile = client.get(f"/api/v1/tiles/submissions/{broken_submission}/0/0/0.pbf")
    assert tile.status_code == 200
    points = mapbox_vector_tile.decode(tile.content)["features"]["features"]
    drawn = sum(p["properties"]["features"] for p in points)
    with_geometry = programme_rows_with_geometry(client, broken_submission)
    assert drawn == with_geometry
    assert "error" in {p["properties"]["finding"] for p in points}
    # Close up, each feature is its polygon, with its row and reference.
    row = points[0]["properties"]["row"]
    lon, lat = feature_point(client, broken_submission, row)
    # at a world's zoom, in the tile it lies in: a tile at the world's eastern edge had
    # been empty (its buffer past 180° came back as -178°, and the box from 88° to -178°
    # held nothing of Laos), so a file with a feature in Europe showed only that one
    for z in range(1, 5):
        x, y = mercantile_tile(lon, lat, z)
        world = client.get(f"/api/v1/tiles/submissions/{broken_submission}/{z}/{x}/{y}.pbf")
        held = mapbox_vector_tile.decode(world.content)["features"]["features"]
        assert row in {p["properties"]["row"] for p in held}, (z, x, y)
    x, y = mercantile_tile(lon, lat, 14)
    close = client.get(f"/api/v1/tiles/submissions/{broken_submission}/14/{x}/{y}.pbf")
    polygons = mapbox_vector_tile.decode(close.content)["features"]["features"]
    assert row in {p["properties"]["row"] for p in polygons}


def programme_rows_with_geometry(client: TestClient, submission: int) -> int:
    """How many of a submission's features have a geometry of any kind."""
    session = client.app.dependency_overrides[get_session]()
    return int(
        session.scalar(
            text(
                "SELECT COUNT(*) FROM submission_feature WHERE submission_id = :s"
                " AND COALESCE(geom, raw_geom) IS NOT NULL"
            ),
            {"s": submission},
        )
    )


def feature_point(client: TestClient, submission: int, row: int) -> tuple[float, float]:
    """A point of a staged feature's geometry (lon, lat)."""
    session = client.app.dependency_overrides[get_session]()
    lon, lat = session.execute(
        text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(COALESCE(geom, raw_geom)) AS p"
            " FROM submission_feature WHERE submission_id = :s AND row_number = :r) x"
        ),
        {"s": submission, "r": row},
    ).one()
    return float(lon), float(lat)


def mercantile_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The web-mercator tile holding a point."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def test_the_review_page_says_when_approving_will_check_the_file_again(
    client: TestClient, programme: Session, broken_submission: int
) -> None:
    # The findings listed are those of the upload; once records were approved since,
    # approving checks the features again and can find errors the page did not list.
    def noted(stamp: str) -> bool:
        programme.execute(
            text("UPDATE submission SET validated_against = :v WHERE id = :s"),
            {"v": stamp, "s": broken_submission},
        )
        programme.flush()
        return 'id="checked-again"' in client.get(f"/submissions/{broken_submission}").text

    now = submissions.database_stamp(programme, dt.date.today())
    version, rest = now.split(" ", 1)
    assert not noted(now)  # as checked at upload
    assert not noted(now.rsplit(" ", 1)[0] + " 2001-01-01")  # only the day has changed
    assert noted(f"{int(version) - 1} {rest}")  # records approved since


def test_the_review_page_says_which_finalised_reports_approving_would_correct(
    client: TestClient, programme: Session, broken_submission: int
) -> None:
    # A release dated in a finalised year changed its report once approved, with nothing
    # said before (found by a walk-through as an IM officer).
    page = client.get(f"/submissions/{broken_submission}").text
    assert 'id="corrects"' not in page and 'id="confirm-corrects"' not in page
    # its first feature without its errors, as a file with one feature right (one with an
    # error is never applied: test_a_file_all_of_whose_features_have_errors_…)
    programme.execute(
        text("DELETE FROM finding WHERE submission_id = :s AND row_number = 1"),
        {"s": broken_submission},
    )
    for year in (1990, 2100):  # before its features, and after them
        programme.execute(
            text(
                "INSERT INTO report_run (kind, params, stamp, totals) "
                "VALUES ('article7', :p, 0, '{}')"
            ),
            {"p": f"year={year};level=1;contam=CMR"},
        )
    programme.flush()
    page = client.get(f"/submissions/{broken_submission}").text
    found = re.search(r'<p class="checked-again" id="corrects">(.*?)</p>', page, re.S)
    assert found, page
    said = " ".join(found.group(1).split())
    assert said.startswith("Approving it may correct the finalised Article 7 report for 2100:")
    # and again in the approval's dialog, where the decision is made (a new user's review)
    dialog = re.search(r'<p id="confirm-corrects">(.*?)</p>', page, re.S)
    assert dialog and "corrects the finalised Article 7 report for 2100:" in " ".join(
        dialog.group(1).split()
    )


def test_a_file_all_of_whose_features_have_errors_is_said_to_correct_no_report(
    client: TestClient, programme: Session, broken_submission: int
) -> None:
    """None of its features can be applied, yet its page said approving it may correct the
    finalised report (a new user's review)."""
    programme.execute(
        text(
            "INSERT INTO report_run (kind, params, stamp, totals) "
            "VALUES ('article7', 'year=2100;level=1;contam=CMR', 0, '{}')"
        )
    )
    # every feature given an error, as a file all of whose features are wrong
    programme.execute(
        text(
            "INSERT INTO finding (submission_id, code, severity, row_number, message)"
            " SELECT submission_id, 'invalid_geometry', 'error', row_number, 'wrong'"
            " FROM submission_feature WHERE submission_id = :s"
        ),
        {"s": broken_submission},
    )
    programme.flush()
    page = client.get(f"/submissions/{broken_submission}").text
    assert 'id="corrects"' not in page and 'id="confirm-corrects"' not in page


def test_submissions_list_links_each_review(client: TestClient, broken_submission: int) -> None:
    page = client.get("/submissions").text
    assert f'href="/submissions/{broken_submission}"' in page
    assert "npa_releases_with_errors.zip" in page and "awaiting review" in page
    # what a sender looks for leads, so that a phone shows it without scrolling sideways
    heads = re.findall(r"<th[^>]*>([^<]+)</th>", page[page.index('id="submissions"') :])
    assert heads[:5] == ["#", "File", "Status", "Errors", "Warnings"], heads


def test_the_submissions_list_pages_and_chooses_a_status_and_a_kind(
    client: TestClient, programme: Session
) -> None:
    """The list showed the latest 200 and no more, with no way to the older ones or to those
    awaiting review alone; on a phone it was one long page (helper-99)."""
    programme.execute(
        text(
            "INSERT INTO submission (kind, filename, sha256, size_bytes, status, feature_count,"
            " uploaded_by, uploaded_at)"
            " SELECT CASE WHEN i % 3 = 0 THEN 'releases' ELSE 'hazards' END, 'f' || i || '.gpkg',"
            " md5(i::text), 1, CASE WHEN i % 2 = 0 THEN 'approved' ELSE 'validated' END, 1,"
            " 'tests', now() - make_interval(mins => 200 - i)"
            " FROM generate_series(1, 120) i"
        )
    )
    programme.commit()

    def listed(page: str) -> list[str]:
        return re.findall(r'<td class="file"><a href="/submissions/\d+">([^<]+)</a>', page)

    first = client.get("/submissions").text
    assert listed(first)[:2] == ["f120.gpkg", "f119.gpkg"] and len(listed(first)) == 50
    assert "submissions 1–50 of 120" in first and 'rel="prev"' not in first
    older = re.search(r'<a href="([^"]+)" rel="next">Older', first)
    assert older is not None
    second = client.get(html.unescape(older.group(1))).text
    assert listed(second)[0] == "f70.gpkg" and "submissions 51–100 of 120" in second
    last = client.get("/submissions", params={"page": 3}).text
    assert listed(last)[-1] == "f1.gpkg" and 'rel="next"' not in last
    # awaiting review, of hazards: the odd ones not divisible by three
    chosen = client.get("/submissions", params={"status": "validated", "kind": "hazards"}).text
    expected = [f"f{i}.gpkg" for i in range(119, 0, -2) if i % 3][:50]
    assert listed(chosen) == expected
    assert '<option value="validated" selected>awaiting review</option>' in chosen
    none = client.get("/submissions", params={"status": "withdrawn"}).text
    assert 'id="none-chosen"' in none and "No submission is withdrawn" in none
    # a page past the last shows the last; an unknown status shows all
    assert listed(client.get("/submissions", params={"page": 99}).text) == listed(last)
    assert len(listed(client.get("/submissions", params={"status": "x"}).text)) == 50


def test_a_reviewer_chooses_on_the_review_page_whether_reports_note_a_submission(
    client: TestClient, client_as: ClientAs, broken_submission: int
) -> None:
    page = client.get(f"/submissions/{broken_submission}").text
    assert f'<input type="checkbox" id="noted" data-id="{broken_submission}">' in page
    reviewer = client_as("reviewer")
    noted = reviewer.post(f"/api/v1/submissions/{broken_submission}/note", json={"noted": True})
    assert noted.status_code == 200 and noted.json()["noted"] is True
    page = client.get(f"/submissions/{broken_submission}").text
    assert f'id="noted" data-id="{broken_submission}" checked>' in page
    assert "noted</small>" in client.get("/submissions").text
    operator_view = client_as("operator", organisation="NPA").get(
        f"/submissions/{broken_submission}"
    )
    assert 'id="noted"' not in operator_view.text  # operators see that it is, not choose
    assert "Noted in reports while it awaits review." in operator_view.text
    rejected = reviewer.post(
        f"/api/v1/submissions/{broken_submission}/reject", json={"reason": "trial"}
    )
    assert rejected.status_code == 200
    # the sender's list says why, beside the status (it had said only "rejected")
    listed = client_as("operator", organisation="NPA").get("/submissions").text
    row = listed.split(f'href="/submissions/{broken_submission}"', 1)[1].split("</tr>")[0]
    assert 'class="status rejected"' in row and '<small class="reason">trial</small>' in row
    late = reviewer.post(f"/api/v1/submissions/{broken_submission}/note", json={"noted": True})
    assert late.status_code == 409 and "only a submission awaiting review" in late.json()["detail"]


def test_reports_page_has_form_1h_and_1i_for_the_chosen_year_and_level(
    client: TestClient,
) -> None:
    page = client.get("/reports", params={"year": 2018, "level": 1}).text
    assert 'id="form-1h"' in page and 'id="form-1i"' in page
    assert "as of 2018-12-31" in page and "land released in 2018" in page
    assert "Province A" in page and "Province B" in page
    # each area with its code, as the files give it (two districts of one name in two
    # provinces could not be told apart on this page)
    assert 'Province A <small class="muted code">P-A</small>' in page
    # a type and its number held together, items apart ("BLU-24 1,598, BLU-26 7,048" read
    # as one more thousands comma, and broke at 390 px between type and number)
    assert '<span class="item">BLU-26: 40</span>' in page
    # Form 1(i): cluster munition remnants and other items destroyed apart, as in the PDF
    # (the page had listed mortars among them, to be copied as such)
    form_1i = page.split('id="form-1i"')[1].split("</table>")[0]
    cmr = re.findall(r'class="items cmr-destroyed">(.*?)</td>', form_1i)
    other = re.findall(r'class="items other-destroyed">(.*?)</td>', form_1i)
    assert '<span class="item">BLU-26: 3</span>' in cmr[-1] and "MORTAR" not in "".join(cmr)
    assert other[-1] == '<span class="item">MORTAR: 2</span>'
    # an area where nothing was destroyed says 0, as the command line does (it was blank)
    assert '<span class="muted">0</span>' in cmr[:-1] + other[:-1], (cmr, other)
    assert "<th>Cluster munition remnants destroyed</th><th>Other items destroyed</th>" in page
    for fmt in ("csv", "html", "json", "xlsx", "pdf"):
        assert f'href="/api/v1/reports/article7?year=2018&level=1&contam=CMR&format={fmt}"' in page
    assert '<option value="1" selected>' in page
    assert client.get("/reports", params={"year": "soon"}).status_code == 422
    # the year's box goes no further than this year, which has a report (a later one is
    # a 422 page: a new user's review had typed 2030)
    assert f'name="year" value="2018" min="1990" max="{dt.date.today().year}"' in page


def test_the_report_page_names_the_tables_as_the_kinds_convention_does(
    client: TestClient,
) -> None:
    """Anti-tank mines and other ERW are in no convention's Article 7: their page said
    "Article 7, Form 1(h) and Form 1(i)" (a review of our own change)."""
    for contam, words in (
        ("CMR", ("Article 7 report <small>Form 1(h) and Form 1(i)</small>", "<h2>Form 1(i): land")),
        ("APM", ("<small>Mined areas and Destruction programme</small>", "<h2>Mined areas:")),
        ("ATM", ("National report <small>Table 1 and Table 2</small>", "<h2>Table 2: land")),
        ("ERW", ("National report <small>Table 1 and Table 2</small>", "<h2>Table 1: rem")),
    ):
        page = client.get("/reports", params={"year": 2018, "contam": contam}).text
        for said in words:
            assert said in page, (contam, said)
        if contam in ("ATM", "ERW"):
            assert "Form 1(" not in page.split('id="report-history"')[1]
        # the Lausanne Action Plan is the Convention on Cluster Munitions' own
        assert ("Lausanne Action Plan" in page) == (contam == "CMR"), contam


def test_a_report_before_the_baseline_links_to_nothing_that_fails(client: TestClient) -> None:
    """A year before Article 4's baseline (2010) had drawn a broken chart, and its series'
    CSV and JSON and the year's work plan had answered 422 (a new user's review chose 1990):
    the page says where the progress begins instead, and every link on it answers."""
    page = client.get("/reports", params={"year": 1990}).text
    assert 'id="form-1h"' in page and "as of 1990-12-31" in page
    assert "/api/v1/reports/progress" not in page and "/api/v1/reports/workplan" not in page
    note = re.search(r'id="progress-from-baseline">(.*?)</p>', page, re.S)
    assert note and "counted from the baseline,\n  2010-08-01" in note.group(1)
    links = re.findall(r'(?:href|src)="(/[^"#]*)"', page)
    assert any(link.startswith("/reports?year=2010") for link in links)
    # those the page itself makes (its menu's are pages of their own, read by a browser)
    made = {html.unescape(link) for link in links if link.startswith(("/api/", "/reports"))}
    assert len(made) >= 10, made
    for link in made:
        assert client.get(link).status_code == 200, link
    # from the baseline's year on, the chart and its series are there, and answer
    page = client.get("/reports", params={"year": 2010}).text
    assert 'id="progress-from-baseline"' not in page
    for fmt in ("png", "csv"):
        link = f"/api/v1/reports/progress?contam=CMR&last_year=2010&format={fmt}"
        assert link in page.replace("&amp;", "&") and client.get(link).status_code == 200


def test_pages_answer_on_an_empty_database(client_as: ClientAs) -> None:
    client = client_as()
    for path in ("/", "/map", "/submissions", "/reports", "/map/figures"):
        assert client.get(path).status_code == 200, path
    assert "No submissions yet" in client.get("/submissions").text
    assert "No cluster munition remnants are recorded" in client.get("/").text


def test_a_reference_with_slashes_has_its_page(client: TestClient, programme: Session) -> None:
    # VTE/2021/001 was approved, but its page (and the map's link to it) answered 404.
    record_hazards(
        programme,
        [
            NewHazard(
                "VTE/2021/001",
                HazardStatus.SHA,
                box(102.3, 19.3, 102.31, 19.31),
                dt.date(2021, 3, 1),
            ),
        ],
    )
    for path in ("/hazards/VTE%2F2021%2F001", "/hazards/VTE/2021/001"):
        page = client.get(path)
        assert page.status_code == 200 and "Hazard VTE/2021/001" in page.text


def _card_total(page: str) -> str:
    found = re.search(r'id="remaining-total">.*?<p class="big">([\d,.]+)&nbsp;km²', page, re.S)
    assert found
    return found.group(1)


def test_the_dashboard_and_the_map_give_one_national_total(
    client: TestClient, programme: Session
) -> None:
    # A donor saw 175.761 km² on the dashboard (CMR) and 188.036 km² on the map (all kinds).
    record_hazards(
        programme,
        [
            NewHazard(
                "H-APM",
                HazardStatus.CHA,
                box(103.5, 19.5, 103.52, 19.52),
                dt.date(2015, 6, 1),
                Contamination.APM,
            ),
        ],
    )
    today = dt.date.today()
    rows = {
        c: remaining(programme, today, ReportScope(level=1, contam=c))[-1]
        for c in (Contamination.CMR, Contamination.APM)
    }
    every = rows[Contamination.CMR]["total_area_m2"] + rows[Contamination.APM]["total_area_m2"]
    figures = client.get("/map/figures").json()
    assert figures["contam"] == "all" and figures["total_area_m2"] == pytest.approx(every, abs=0.1)
    assert _card_total(client.get("/").text) == km2(every)
    for kind, row in rows.items():
        one = client.get("/map/figures", params={"contam": kind.value}).json()
        assert one["total_area_m2"] == pytest.approx(row["total_area_m2"], abs=0.1)
        assert _card_total(client.get("/", params={"contam": kind.value}).text) == km2(
            row["total_area_m2"]
        )
    assert 'id="contam"' in client.get("/map").text  # the map offers the same choice


def test_a_programme_of_mines_only_sees_its_mines(session: Session, client_as: ClientAs) -> None:
    load_boundaries(
        session,
        [
            BoundaryFeature("P-A", "Province A", MultiPolygon([box(102, 19, 103, 20)])),
        ],
        level=1,
    )
    record_hazards(
        session,
        [
            NewHazard(
                "M-1",
                HazardStatus.CHA,
                box(102.1, 19.6, 102.12, 19.62),
                dt.date(2015, 1, 10),
                Contamination.APM,
            ),
        ],
    )
    client = client_as()
    assert _card_total(client.get("/").text) != "0.000"
    page = client.get("/reports", params={"year": dt.date.today().year - 1}).text
    assert "<option selected>APM</option>" in page  # not an all-zero CMR table
    form = re.search(r'id="form-1h">(.*?)</table>', page, re.S)
    assert form
    total_row = form.group(1).split('class="total"')[-1]
    cells = re.findall(r'<td class="num">([^<]*)</td>', total_row)
    assert cells[4] == "1"  # SHAs, SHA km², CHAs, CHA km², total: the one APM hazard


def test_readers_do_not_see_setting_names(programme: Session, client_as: ClientAs) -> None:
    viewer = client_as("viewer")
    page = viewer.get("/").text
    assert "IMS_" not in page and "assumed" in page


def test_static_files_are_compressed_fingerprinted_and_kept(client: TestClient) -> None:
    page = client.get("/map").text
    found = re.search(r'src="(/static/vendor/leaflet/leaflet\.js\?v=[0-9a-f]{12})"', page)
    assert found, "the page asks for a fingerprinted Leaflet"
    script = client.get(found.group(1), headers={"Accept-Encoding": "gzip"})
    assert script.headers["content-encoding"] == "gzip"
    assert len(script.content) > 140_000  # 147 KB once decompressed, sent in far less
    assert script.headers["cache-control"] == "public, max-age=31536000, immutable"
    plain = client.get("/static/vendor/leaflet/leaflet.js")
    assert plain.headers["cache-control"] == "no-cache"  # no fingerprint: revalidated
    html = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert html.headers.get("content-encoding") == "gzip"


def test_areas_and_counts_on_the_pages_are_grouped_in_thousands_in_one_unit() -> None:
    """A national releases file's review read 'up to 623702.2 ha released'; it then read
    hectares above a table in m² (DESIGN.md §2: m² and km², never mixed)."""
    from map_ui.rendering import templates

    m2, thousands = templates.env.filters["m2"], templates.env.filters["thousands"]
    assert m2(6_237_022_000.0) == "6,237,022,000"
    assert m2(None) == "0"
    assert thousands(305_996) == "305,996"
    assert "ha" not in templates.env.filters
    page = (Path(__file__).parents[2] / "map_ui" / "templates" / "submission.html").read_text()
    assert not re.search(r"\bha\b", page)


def test_a_staged_date_reads_as_a_date_on_the_review() -> None:
    """A shapefile's date field showed as "2014-06-03T00:00:00" in the review's features."""
    from map_ui.rendering import templates

    staged = templates.env.filters["staged"]
    assert staged("2014-06-03T00:00:00") == staged("2014-06-03 00:00:00") == "2014-06-03"
    assert staged("2014-06-03T10:30:00") == "2014-06-03T10:30:00"  # a time is kept
    assert staged(None) == "" and staged(0) == "0" and staged("SHA") == "SHA"
    # an own column's long text is cut (a spreadsheet cell's 32,767 characters in each of
    # 100 features a page: helper-128's review page had been 60 MB)
    assert staged("x" * 500) == "x" * 500
    assert staged("x" * 32_767) == "x" * 500 + "… (32,767 characters in all)"


def test_a_submissions_status_reads_as_its_sender_would_understand_it() -> None:
    """A file with five errors showed "validated", read as "passed"; a submission approved
    in part showed "approved", with its left-out features to send again."""
    from map_ui.rendering import templates

    label = templates.env.filters["status_label"]
    assert label("validated") == label("validated", True) == "awaiting review"
    assert label("approved", True) == "approved in part" and label("approved") == "approved"
    assert label("rejected") == "rejected" and label("superseded") == "superseded"


def test_square_metres_never_read_as_none_where_some_ground_is_and_never_minus_zero() -> None:
    """A province a release crossed by a sliver (0.3 m²) read "0" in the review's preview."""
    from map_ui.rendering import templates

    some, m2 = templates.env.filters["some_m2"], templates.env.filters["m2"]
    assert [some(v) for v in (0.3, 0.5, -0.3, 0.0, None)] == ["< 1", "< 1", "> -1", "0", "0"]
    assert [some(v) for v in (0.6, -0.6, 1_234_567.4)] == ["1", "-1", "1,234,567"]
    assert [m2(v) for v in (-0.3, 0.3, -2.6, 1_234_567.6)] == ["0", "0", "-3", "1,234,568"]
    # a revision sent back as it was changes the remaining area by noise: 0, not "> -1"
    change = templates.env.filters["change_m2"]
    same = ProvinceEffect("LA-AT", "Attapeu", revised_m2=15_948.2, replaced_m2=15_948.2)
    same.revised_remaining_m2, same.replaced_remaining_m2 = 15_948.2, 15_948.2000001
    assert change(same) == "0"
    assert change(ProvinceEffect("LA-AT", "Attapeu", new_m2=0.3)) == "< 1"


def test_approving_in_part_is_offered_only_while_a_feature_has_no_error(
    client: TestClient, programme: Session, tmp_path: Path
) -> None:
    frame = hazard_frame(
        [{"hazard_id": f"ALL-BAD-{n}", "recorded": "someday"} for n in range(2)],
        [box(102.11, 19.60, 102.12, 19.61), box(102.13, 19.60, 102.14, 19.61)],
    )
    staged = submissions.stage(
        programme,
        write_zip(frame, tmp_path, "all-bad", crs=32648),
        kind="hazards",
        organisation="NPA",
    )
    assert staged.errors == 2

    def partial_button(page: str) -> str:
        found = re.search(r'<button type="button" id="approve-partial"[^>]*>', page)
        assert found, page[:3000]
        return found.group(0)

    page = client.get(f"/submissions/{staged.submission.id}").text
    assert "disabled" in partial_button(page)
    assert "Every\nfeature has an error: nothing can be approved, even in part." in page
    assert "2 features, layer" in page
    assert "Nothing: every feature has an error." in page  # what approving would record
    assert 'id="preview-summary"' not in page and 'id="preview"' not in page  # no table of 0
    frame.loc[1, "recorded"] = "2020-01-01"  # the second fine
    mixed = submissions.stage(
        programme,
        write_zip(frame, tmp_path, "one-bad", crs=32648),
        kind="hazards",
        organisation="NPA",
    )
    assert mixed.errors == 1
    page = client.get(f"/submissions/{mixed.submission.id}").text
    assert "disabled" not in partial_button(page)
    assert "Approving in part records every feature" in page
    assert '<span class="status validated" id="status">awaiting review</span>' in page
    approval.approve(programme, mixed.submission.id, by="tests", partial=True)
    listed = client.get("/submissions").text
    assert '<span class="status approved">approved in part</span>' in listed


def test_a_reviewers_upload_that_replaces_a_submission_starts_with_its_organisation(
    client: TestClient, broken_submission: int
) -> None:
    """It started on "— choose —", and the file was refused after its whole mapping step."""
    page = client.get(f"/submissions/new?kind=releases&replaces={broken_submission}").text
    assert '<option value="NPA" selected>NPA</option>' in page
    assert re.search(rf'<option value="{broken_submission}" [^>]*data-organisation="NPA"', page)
    plain = client.get("/submissions/new").text
    assert '<option value="NPA" selected>' not in plain
    # a digit that is not 0-9 ("²") had answered 500
    odd = client.get("/submissions/new", params={"replaces": "²"})
    assert odd.status_code == 200 and '<option value="NPA" selected>' not in odd.text


def test_a_wrong_address_of_a_page_is_a_page_that_says_what_is_wrong(client: TestClient) -> None:
    """/hazards?offset=-5 had answered a JSON document in the browser, and an unknown path
    too; the API keeps answering problem+json."""
    wrong = client.get("/hazards", params={"offset": "-5"})
    assert wrong.status_code == 422 and wrong.headers["content-type"].startswith("text/html")
    assert "Not a valid address" in wrong.text and "offset: " in wrong.text
    assert "query.offset" not in wrong.text
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "There is no page at /no-such-page." in missing.text
    api = client.get("/api/v1/hazards", params={"offset": "-5"})
    assert api.status_code == 422 and api.headers["content-type"] == "application/problem+json"
    assert client.get("/api/v1/no-such").headers["content-type"] == "application/problem+json"
    kind = client.get("/hazards", params={"contamination": "FOO"}).text
    assert "contamination &#39;FOO&#39;: choose one of CMR, APM, ATM, ERW" in kind
    assert "is not a valid Contamination" not in kind


def test_a_date_or_number_that_cannot_be_read_is_named_with_how_to_write_it(
    client: TestClient,
) -> None:
    """pydantic's "as_of: Input should be a valid date or datetime, input is too short" said neither
    what was given nor how to write it (a review of the pages)."""
    page = client.get("/map", params={"as_of": "garbage"})
    assert page.status_code == 422
    assert "as_of: &#34;garbage&#34; is not a date: write it as year-month-day" in page.text
    api = client.get("/api/v1/hazards", params={"as_of": "31/12/2025"}).json()
    assert api["detail"] == (
        'query.as_of: "31/12/2025" is not a date: write it as year-month-day, e.g. 2025-12-31'
    )
    number = client.get("/api/v1/hazards", params={"offset": "ten"}).json()
    assert number["detail"] == 'query.offset: "ten" is not a whole number'


def test_a_page_a_role_may_not_see_says_who_is_signed_in_and_who_may(
    programme: Session, client_as: ClientAs
) -> None:
    refused = client_as("viewer").get("/admin/users")
    assert refused.status_code == 403
    assert "a viewer: this is for a user with the role admin" in refused.text
    refused = client_as("operator").get("/api/v1/audit")  # "a operator" (a new user's review)
    assert refused.status_code == 403 and ", an operator: this is for" in refused.json()["detail"]


def test_the_data_dictionary_lists_the_codes_a_file_may_name(client_as: ClientAs) -> None:
    """The dictionary said "types from the munition list" and "a name from the list of
    organisations" and linked to neither, which only an administrator's page listed, and
    offered no template for a spreadsheet (a new user's review as a data manager)."""
    page = client_as("operator", organisation="MAG").get("/submissions/dictionary")
    assert page.status_code == 200
    text_ = page.text
    assert '<a href="#munitions">munition list</a>' in text_
    assert '<a href="#organisations">list of organisations</a>' in text_
    munitions = re.search(r'<table class="list" id="munition-list">(.*?)</table>', text_, re.S)
    assert munitions is not None and "<code>BLU-26</code>" in munitions[1]
    listed = re.search(r'<ul id="organisation-list">(.*?)</ul>', text_, re.S)
    assert listed is not None and "<li>MAG</li>" in listed[1]
    for kind in ("hazards", "releases"):
        assert f'<a href="/api/v1/templates/{kind}.csv" download>CSV</a>' in text_
    assert 'id="tables"' in text_ and "<code>wkt</code>" in text_


def test_a_hazard_on_a_date_before_it_was_recorded_says_when_it_begins(
    programme: Session, client: TestClient
) -> None:
    """Its page had shown an empty map of the world and 0 m² everywhere, and its timeline
    a marking dated after the day asked for."""
    record_hazards(
        programme,
        [
            NewHazard(
                "H-MARKED",
                HazardStatus.SHA,
                box(102.30, 19.60, 102.31, 19.61),
                dt.date(2013, 4, 2),
                marked=dt.date(2014, 7, 22),
            )
        ],
    )
    before = client.get("/hazards/H-MARKED", params={"as_of": "2005-01-01"}).text
    assert "On 2005-01-01 this hazard was not recorded yet: it takes effect on" in before
    assert 'href="/hazards/H-MARKED?as_of=2013-04-02"' in before
    assert 'id="hazard-map"' not in before and 'id="hazard-figures"' not in before
    recorded = client.get("/hazards/H-MARKED", params={"as_of": "2013-06-30"}).text
    assert 'id="hazard-map"' in recorded and 'id="not-yet"' not in recorded
    assert "marked 2014-07-22" not in recorded  # not known yet on that day
    assert "marked 2014-07-22" in client.get("/hazards/H-MARKED").text


def test_a_date_after_today_is_not_shown_as_if_it_were_known(client: TestClient) -> None:
    """A register, a hazard page or a report of a later date showed today's state under a
    future date; the map's date field takes it back to today (test_browser)."""
    later = (dt.date.today() + dt.timedelta(days=400)).isoformat()
    register_ = client.get("/hazards", params={"as_of": later})
    assert register_.status_code == 422 and "is after today" in register_.text
    hazard = client.get("/hazards/H-CHA", params={"as_of": later})
    assert hazard.status_code == 422 and "is after today" in hazard.text
    year = dt.date.today().year + 1
    report = client.get("/reports", params={"year": year})
    assert report.status_code == 422 and f"{year} has not begun" in report.text
    # with a way back to the reports, not only to the dashboard (a new user's review)
    this_year = dt.date.today().year
    assert f'<a href="/reports?year={this_year}" id="back">Back to the report for' in report.text
    assert client.get("/reports", params={"year": dt.date.today().year}).status_code == 200
    assert client.get("/hazards", params={"as_of": dt.date.today().isoformat()}).status_code == 200


def test_the_audit_trail_leaves_sign_ins_out_unless_asked(
    session: Session, client_as: ClientAs
) -> None:
    admin = client_as()  # signing in writes user.signed_in
    audit.record(session, "tests", "submission.approved", "submission", "7")
    for _ in range(3):
        audit.record(session, "someone", "user.signed_in", "user", "someone")
    session.flush()

    def actions(page: str) -> list[str]:
        table = page[page.index('id="audit"') :]
        return re.findall(r'<td class="what" title="([a-z_.]+)">', table)

    plain = admin.get("/admin/audit")
    assert plain.status_code == 200
    assert "submission.approved" in actions(plain.text)
    assert "user.signed_in" not in actions(plain.text)
    assert 'name="sign_ins" value="true">' in plain.text  # the box, unticked
    ticked = admin.get("/admin/audit", params={"sign_ins": "true"})
    assert actions(ticked.text).count("user.signed_in") >= 3
    assert 'value="true" checked>' in ticked.text
    # asking for the action by name shows them too
    named = admin.get("/admin/audit", params={"action": "user.signed_in"})
    assert set(actions(named.text)) == {"user.signed_in"}
    # and as the table says it, or by a word of it: only the name had been read, and
    # "submission rejected" found "Nothing recorded yet" (helper-97)
    said = admin.get("/admin/audit", params={"action": "User signed in"})
    assert set(actions(said.text)) == {"user.signed_in"}
    word = admin.get("/admin/audit", params={"action": "approved"})
    assert set(actions(word.text)) == {"submission.approved"}
    assert '<option value="submission approved">' in plain.text
    blank = admin.get("/admin/audit", params={"action": " "})
    assert "submission.approved" in actions(blank.text)  # a space alone is no filter
    none = admin.get("/admin/audit", params={"action": "no such thing"}).text
    assert "No event matches the filter." in none and "Nothing recorded yet" not in none
    # a submission's status as every other page says it
    assert audit_fields({"status": "validated"}) == [("status", "awaiting review")]
    # a revision's years in their order and its estimate after them, whatever the order
    # stored (jsonb's, by length, had put "used to" first: helper-112)
    stored = {
        "no": 3,
        "used_to": 1970,
        "status": "CHA",
        "estimates": {"M42": 12},
        "used_from": 1965,
    }
    assert audit_fields(stored) == [
        ("record no.", "3"),
        ("status", "CHA"),
        ("used from", "1965"),
        ("used to", "1970"),
        ("munitions estimate", "M42 12"),
    ]


def test_an_audit_events_changes_read_as_fields_not_json(
    session: Session, client_as: ClientAs
) -> None:
    """The trail showed each change as the JSON stored (a new user's review): a field a
    line now, its value as written, a list or an object compact, nothing as a dash."""
    admin = client_as()
    audit.record(
        session,
        "tests",
        "user.changed",
        "user",
        "mai",
        before={"role": "viewer", "organisation": None},
        after={"role": "operator", "organisation": "MAG", "tokens": [3, 4]},
    )
    session.flush()
    page = admin.get("/admin/audit", params={"action": "user.changed"}).text
    row = page[page.index('id="audit"') :].split("</tr>")[1]
    cells = re.findall(r'<td data-label="(Before|After)"><dl class="change">(.*?)</dl></td>', row)
    assert [label for label, _ in cells] == ["Before", "After"]
    assert cells[0][1] == "<dt>role</dt><dd>viewer</dd><dt>organisation</dt><dd>—</dd>"
    assert cells[1][1] == (  # in the order the database keeps them (shorter names first)
        "<dt>role</dt><dd>operator</dd><dt>tokens</dt><dd>3, 4</dd>"
        "<dt>organisation</dt><dd>MAG</dd>"
    )
    assert "{" not in row.split('data-label="Before"')[1]
    assert '<td class="what" title="user.changed">user changed</td>' in row
    # the names stored, as a reader reads them, and areas with their thousands
    audit.record(
        session,
        "tests",
        "release.recorded",
        "release",
        "R-1",
        after={"no": 7, "effective": "2021-03-01", "counted_m2": 13096.24, "method": "cleared",
               "recounted": [], "items": {"BLU-26": 3}},
    )  # fmt: skip
    session.flush()
    page = admin.get("/admin/audit", params={"action": "release.recorded"}).text
    row = page[page.index('id="audit"') :].split("</tr>")[1]
    for pair in (
        "<dt>record no.</dt><dd>7</dd>",
        "<dt>takes effect</dt><dd>2021-03-01</dd>",
        "<dt>counted m²</dt><dd>13,096.2</dd>",
        "<dt>method</dt><dd>cleared</dd>",
        # a withdrawal's trail had read "recounted []" (helper-87)
        "<dt>recounted</dt><dd>none</dd>",
        "<dt>items</dt><dd>BLU-26 3</dd>",
    ):
        assert pair in html.unescape(row)
    audit.record(
        session,
        "tests",
        "release.withdrawn",
        "release",
        "R-2",
        after={"recounted": [{"release": "R-3", "released": "2022-01-05", "counted_m2": 512.04}]},
    )
    session.flush()
    page = admin.get("/admin/audit", params={"action": "release.withdrawn"}).text
    row = html.unescape(page[page.index('id="audit"') :].split("</tr>")[1])
    assert "<dt>recounted</dt><dd>release R-3, released on 2022-01-05, counted m² 512.0</dd>" in row


def test_an_uploaders_words_in_the_audit_trail_cannot_pass_for_its_fields(
    session: Session, client_as: ClientAs
) -> None:
    """helper-91 mapped a value "Other SHA, constants contam APM, approved_by reviewer":
    the trail in words read as if the mapping had set a constant. A text inside a list or
    an object that is not one plain word is quoted, as a key that is not, and an object
    inside an object is bracketed."""
    admin = client_as()
    forged = "Other SHA, constants contam APM, approved_by reviewer"
    mapping = {
        "fields": {"hazard_id": "REF", "status": "T"},
        "values": {"status": {"Suspected": "SHA", forged: "CHA", "released": "CHA"}},
        "constants": {},
    }
    audit.record(
        session, "tests", "mapping.remembered", "mapping", "m-1",
        after={"mapping": mapping, "reasons": ["sent twice; see LR-1", "R-2"]},
    )  # fmt: skip
    session.flush()
    page = admin.get("/admin/audit", params={"action": "mapping.remembered"}).text
    row = html.unescape(page[page.index('id="audit"') :].split("</tr>")[1])
    assert (
        "<dt>mapping</dt><dd>fields (status T, hazard_id REF), "  # as jsonb keeps keys
        'values (status (released CHA, Suspected SHA, "Other SHA, constants contam APM, '
        'approved_by reviewer" CHA)), constants none</dd>'  # an uploader's code, not a label
    ) in row
    assert '<dt>reasons</dt><dd>"sent twice; see LR-1", R-2</dd>' in row


def test_the_register_says_which_page_of_how_many_and_reaches_the_last(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A national register took 463 "Next 100" to reach its end, and past it showed "No
    hazard matches" (a walk-through at national scale). One hazard a page here."""
    from map_ui import pages

    monkeypatch.setattr(pages, "REGISTER_PAGE", 1)
    first = client.get("/hazards", params={"open": "false"}).text
    assert 'id="page-of">page 1 of 2<' in first and 'id="first-page"' not in first
    last = re.search(r'<a href="/hazards\?([^"]+)" id="last-page">', first)
    assert last and "offset=1" in last.group(1) and "open=false" in last.group(1)
    end = client.get(f"/hazards?{html.unescape(last.group(1))}").text
    assert 'id="page-of">page 2 of 2<' in end and 'id="last-page"' not in end
    assert 'id="first-page"' in end
    past = client.get("/hazards", params={"open": "false", "offset": 7}).text
    assert "No hazard on this page: the 2 that match end on page 2." in past
    assert "No hazard matches" not in past and 'id="page-of"' not in past
    back = re.search(r'<a href="/hazards\?([^"]+)" rel="prev">', past)
    assert back and "offset=1&" in html.unescape(back.group(1)) + "&"  # the last page


def test_a_tables_findings_name_the_row_of_the_sheet(
    client: TestClient, programme: Session, tmp_path: Path
) -> None:
    """ "feature 2" is the second data row, row 3 in a spreadsheet under its header (a
    walk-through as a field team leader)."""
    path = tmp_path / "hazards.csv"
    path.write_text(
        "hazard_id,status,recorded,wkt\n"
        'T-1,SHA,2020-01-01,"POLYGON ((103 19, 103.01 19, 103.01 19.01, 103 19))"\n'
        'T-2,XXX,2020-01-01,"POLYGON ((103.1 19, 103.11 19, 103.11 19.01, 103.1 19))"\n',
        encoding="utf-8",
    )
    outcome = submissions.stage(programme, path, kind="hazards", organisation="NPA")
    page = client.get(f"/submissions/{outcome.submission.id}").text
    assert 'feature 2 <span class="muted sheet-row">(row 3 of the sheet)</span>' in page
    # a workbook with a title above its header and blank rows between its records: the
    # row as the sheet numbers it (it had said row 2, the header's, of the record on row 3:
    # a legacy migration's walk-through, helper-105)
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"] = "Hazard register 2020"
    sheet.append([])
    sheet.append(["hazard_id", "status", "recorded", "wkt"])
    sheet.append(
        ["W-1", "SHA", "2020-01-01", "POLYGON ((103 19, 103.01 19, 103.01 19.01, 103 19))"]
    )
    sheet.append([])
    sheet.append(
        ["W-2", "XXX", "2020-01-01", "POLYGON ((103.1 19, 103.11 19, 103.11 19.01, 103.1 19))"]
    )
    book.save(tmp_path / "register.xlsx")
    staged = submissions.stage(
        programme, tmp_path / "register.xlsx", kind="hazards", organisation="NPA"
    )
    assert staged.submission.sheet_rows == [4, 6]
    page = client.get(f"/submissions/{staged.submission.id}").text
    assert 'feature 2 <span class="muted sheet-row">(row 6 of the sheet)</span>' in page
    assert "features 1–1 are" not in page and "feature 2 is row 6" in page  # the note too


def test_first_time_readers_are_told_what_a_choice_holds(client: TestClient) -> None:
    """A walk-through: the map listed a kind of contamination with no hazard as it listed
    the others (the dashboard says "none recorded"), the reports page gave a total smaller
    than the dashboard's with no word why, and a report's JSON opened in a browser logged
    a 404 for its icon."""
    page = client.get("/map").text
    recorded = {c.value for c in Contamination} - {
        c for c in re.findall(r'<option value="(\w+)"[^>]*>\w+: [^<]*\(none recorded\)', page)
    }
    assert recorded == {"CMR"}  # the programme's two hazards are of the default kind
    assert 'id="one-kind"' in client.get("/reports").text
    icon = client.get("/favicon.ico")
    assert icon.status_code == 204 and "max-age" in icon.headers["cache-control"]


def test_the_register_takes_the_kind_as_the_dashboard_and_the_map_name_it(
    client: TestClient,
) -> None:
    """/hazards?contam=APM had listed hazards of every kind: the dashboard and the map name
    the kind ``contam``, the register ``contamination`` (a review as a new user)."""
    every = client.get("/hazards", params={"open": "false"}).text
    assert "H-CHA" in every
    for name in ("contam", "contamination"):
        page = client.get("/hazards", params={"open": "false", name: "APM"}).text
        assert "H-CHA" not in page and '<option value="APM" selected>' in page, name
    assert '<option value="">all kinds recorded</option>' in every


def test_the_hazard_pages_date_box_holds_today_as_the_other_pages_do(
    client: TestClient,
) -> None:
    # it was empty ("mm/dd/yyyy") where the dashboard, the map and the register hold a date
    page = client.get("/hazards/H-CHA").text
    assert f'name="as_of" value="{dt.date.today().isoformat()}"' in page
    dated = client.get("/hazards/H-CHA", params={"as_of": "2018-01-01"}).text
    assert 'name="as_of" value="2018-01-01"' in dated


def test_the_api_documentation_has_a_way_back_and_loads_nothing_from_elsewhere(
    client: TestClient, programme: Session
) -> None:
    """/api/v1/docs had no way back to the app (a new user's review): it links to the app
    and to the account page, where tokens are made; every file the page loads answers (all
    served here: national servers often have no internet)."""
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    back = re.search(r'<nav class="ims-back"[^>]*>(.*?)</nav>', page.text, re.S)
    assert back
    links = re.findall(r'href="([^"]+)"', back.group(1))
    assert links == ["/", "/account"]  # pages for a browser (the crawl follows them)
    # a stranger is offered to sign in: the pages they cannot open had sent them there
    stranger = TestClient(session_app(programme)).get("/api/v1/docs").text
    back = re.search(r'<nav class="ims-back"[^>]*>(.*?)</nav>', stranger, re.S)
    assert back and re.findall(r'href="([^"]+)"', back.group(1)) == ["/login?next=%2Faccount"]
    loaded = re.findall(r'<(?:script|link)[^>]* (?:src|href)="([^"#]+)"', page.text)
    assert len(loaded) == 5 and "/static/api-docs.css" in loaded
    for link in loaded:
        if not link.startswith("data:"):
            assert client.get(link).status_code == 200, link


def test_the_migration_guide_is_a_page_the_upload_page_links(client: TestClient) -> None:
    """The migration guide was in the repository alone: /docs, /docs/migration and /help
    answered 404, and the upload page linked nothing of it (a legacy migration's review,
    helper-99)."""
    upload = client.get("/submissions/new").text
    assert '<a href="/help/migration" id="migration-guide">' in upload
    guide = client.get("/help/migration")
    assert guide.status_code == 200
    assert "<title>Migrating a national database into ims" in guide.text
    assert "<h1>Migrating a national database into ims</h1>" in guide.text
    assert "<code>ims import</code>" in guide.text and "\n# " not in guide.text
    assert client.get("/help/design").status_code == 404  # only the guides named
    assert client.get("/help/..%2Fdesign").status_code == 404


def test_a_findings_command_line_option_stays_on_one_line_and_its_text_escaped() -> None:
    """At 390 px the review page broke "--crs EPSG:32648" after its hyphens; the option
    and its value are kept whole, and the message is still text, not markup."""
    shown = str(options_whole("send it again <b>in</b> it (--crs EPSG:32648, or the page)"))
    assert shown == (
        'send it again &lt;b&gt;in&lt;/b&gt; it (<span class="whole">--crs EPSG:32648</span>,'
        " or the page)"
    )
    assert str(options_whole("x--y and a-b")) == "x--y and a-b"
    # a long value is not kept whole: it had widened the page to 2,166 px (helper-118)
    long = "x --note " + "a" * 160
    assert str(options_whole(long)) == 'x <span class="whole">--note</span> ' + "a" * 160
    # a value's characters are escaped whole, not cut at the entity's ";" (helper-117)
    assert str(options_whole("--crs <img src=x>&'q'")) == (
        '<span class="whole">--crs &lt;img</span> src=x&gt;&amp;&#39;q&#39;'
    )
