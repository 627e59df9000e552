"""A hazard's state at any past date, every record it ever had, its audit trail, and privacy.

Figures are checked against areas computed with pyproj.Geod from the rectangles' corners.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import box, shape
from sqlalchemy.orm import Session

from ims.db.audit import Actor
from ims.db.recording import revise_hazards
from ims.domain.records import HazardChange
from ims.ingest import approval, submissions
from tests.api.test_uploads_api import good_zip
from tests.reports.test_article7 import GEOD, geod_box
from tests.ui import test_pages
from tests.ui.test_pages import inline_geojson
from tests.utils import ClientAs

programme = test_pages.programme  # the small programme of the page tests, and its client
client = test_pages.client

HAZARD = (102.10, 19.60, 102.12, 19.62)
NTS = (102.10, 19.60, 102.105, 19.62)  # R-NTS, 2016-05-01, wholly inside
TS = (102.105, 19.60, 102.11, 19.62)  # R-TS, 2017-05-01, wholly inside


def figures(page: str) -> dict[str, int]:
    table = re.search(r'id="hazard-figures">(.*?)</table>', page, re.S)
    assert table, "no figures table"
    rows = re.findall(r"<th>(?:<i[^>]*></i>)?([^<]+)</th><td>([\d,]+)&nbsp;m²</td>", table.group(1))
    return {name: int(value.replace(",", "")) for name, value in rows}


def timeline(page: str) -> list[tuple[str, str]]:
    table = re.search(r'class="timeline">(.*?)</table>', page, re.S)
    assert table, "no timeline"
    return re.findall(r'<td class="date">(\d{4}-\d\d-\d\d)</td><td>(\w+)</td>', table.group(1))


def records(page: str) -> list[tuple[str, str, str]]:
    table = re.search(r'id="records">(.*?)</table>', page, re.S)
    assert table, "no records table"
    return re.findall(
        r'<tr id="record-\d+" class="(later|)"><td>\d+</td><td>([\w ]+)</td>'
        r'<td>[^<]*</td><td class="date">([\d-]+)</td>',
        table.group(1),
    )


def test_the_state_in_force_on_a_past_date(client: TestClient) -> None:
    page = client.get("/hazards/H-CHA", params={"as_of": "2016-12-31"}).text
    assert timeline(page) == [("2015-01-10", "recorded"), ("2016-05-01", "cancelled")]
    shown = figures(page)
    assert shown["Area of the boundary in force"] == round(geod_box(*HAZARD))
    assert shown["Remaining"] == round(geod_box(*HAZARD) - geod_box(*NTS))
    assert shown["Cancelled (non-technical survey)"] == round(geod_box(*NTS))
    assert shown["Reduced (technical survey)"] == 0 and shown["Cleared"] == 0
    assert 'id="as-of-note"' in page
    # the map: the release of that date, then the ground remaining then, then the boundary
    released, remaining, boundary = [
        [shape(f["geometry"]) for f in layer["features"]] for layer in inline_geojson(page)
    ]
    assert len(released) == 1 and released[0].equals(box(*NTS))
    area, _ = GEOD.geometry_area_perimeter(remaining[0])
    assert abs(area) == pytest.approx(geod_box(*HAZARD) - geod_box(*NTS), abs=0.1)
    assert boundary[0].equals(box(*HAZARD))


def test_todays_date_in_the_date_box_shows_the_state_now(client: TestClient) -> None:
    """The box holds today: "Show" on it had said "As on <today>: only what took effect by
    then counts", as if it were a past state (a first-time user's review)."""
    now = client.get("/hazards/H-CHA").text
    today = client.get("/hazards/H-CHA", params={"as_of": dt.date.today().isoformat()}).text
    assert 'id="as-of-note"' not in today
    assert figures(today) == figures(now) and timeline(today) == timeline(now)


def test_before_the_hazard_was_recorded_nothing_is_in_force(client: TestClient) -> None:
    page = client.get("/hazards/H-CHA", params={"as_of": "2014-12-31"})
    assert page.status_code == 200
    assert timeline(page.text) == []
    assert "Nothing had taken effect by 2014-12-31" in page.text
    assert "not yet recorded" in page.text


def test_every_record_is_listed_in_recording_order_and_later_ones_marked(
    client: TestClient,
) -> None:
    page = client.get("/hazards/H-CHA", params={"as_of": "2016-12-31"}).text
    assert records(page) == [
        ("", "recorded", "2015-01-10"),  # as first recorded: its revisions follow
        ("", "cancelled", "2016-05-01"),
        ("later", "reduced", "2017-05-01"),
        ("later", "cleared", "2018-05-01"),
    ]


def test_a_correction_keeps_the_earlier_record_and_dates_still_show_it(
    client: TestClient, programme: Session
) -> None:
    smaller = (102.10, 19.60, 102.12, 19.61)
    revise_hazards(programme, [HazardChange("H-CHA", dt.date(2019, 1, 1), geometry=box(*smaller))])
    before = figures(client.get("/hazards/H-CHA", params={"as_of": "2018-12-31"}).text)
    assert before["Area of the boundary in force"] == round(geod_box(*HAZARD))
    now_page = client.get("/hazards/H-CHA").text
    now = figures(now_page)
    assert now["Area of the boundary in force"] == round(geod_box(*smaller))
    assert [what for _, what, _ in records(now_page)].count("revision") == 1
    assert [what for _, what, _ in records(now_page)].count("recorded") == 1


def test_reviewers_see_the_hazards_audit_trail_and_viewers_do_not(
    programme: Session, client: TestClient, client_as: ClientAs, tmp_path: Path
) -> None:
    staged = submissions.stage(
        programme, good_zip(tmp_path), kind="hazards", organisation="MAG", uploaded_by="mag-op"
    )
    approval.approve(programme, staged.submission.id, by=Actor("rev-on-duty"))
    reference = "API-1"
    page = client.get(f"/hazards/{reference}").text  # client is an admin
    trail = re.search(r'id="audit">(.*?)</table>', page, re.S)
    assert trail, "no audit trail for an admin"
    assert "rev-on-duty" in trail.group(1) and "hazard.recorded" in trail.group(1)
    viewer = client_as("viewer")
    seen = viewer.get(f"/hazards/{reference}").text
    assert 'id="audit"' not in seen and "rev-on-duty" not in seen  # nor who recorded it
    assert 'id="records"' in seen


def test_with_location_privacy_viewers_get_no_map_and_no_coordinates(
    programme: Session, client: TestClient, client_as: ClientAs, private: None
) -> None:
    viewer = client_as("viewer")
    page = viewer.get("/hazards/H-CHA").text
    assert 'id="location-hidden"' in page
    assert "data-feature-map" not in page and 'href="/map#' not in page
    assert not re.search(r"10[23]\.\d{3}", page), "a coordinate is on the page"
    assert figures(page)["Remaining"] > 0  # the figures stay
    staff = client.get("/hazards/H-CHA").text
    assert "data-feature-map" in staff and 'href="/map#15/' in staff
