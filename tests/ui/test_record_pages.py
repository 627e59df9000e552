"""The record and correction forms without a browser: what they send, what they refuse and
where the errors go (the browser journeys are in test_record_browser.py)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient
from pyproj import Geod
from shapely.geometry import MultiPolygon, box, mapping, shape
from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.api.gate import FORM_ALLOWANCE
from ims.config import get_settings
from ims.db.recording import load_boundaries
from ims.domain.records import BoundaryFeature
from ims.jobs import ONE_FEATURE_TIME_S, read_one_feature
from map_ui.record_pages import file_max_bytes
from tests.api.test_uploads_api import LAOS
from tests.utils import ClientAs

GEOD = Geod(ellps="WGS84")
SQUARE = box(103.40, 19.40, 103.41, 19.41)


@pytest.fixture
def country(session: Session) -> None:
    load_boundaries(
        session, [BoundaryFeature("LA-XI", "Xiangkhouang", MultiPolygon([LAOS]))], level=1
    )


def _count(session: Session, table: str) -> int:
    return int(session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)


def _last_number(session: Session) -> int:
    """The submission number last drawn (sequences are not rolled back)."""
    sequence = session.scalar(text("SELECT pg_get_serial_sequence('submission', 'id')"))
    return int(session.scalar(text(f"SELECT last_value FROM {sequence}")) or 0)


def _record(client: TestClient, reference: str, **form: str) -> str:
    """Send the hazard form; the address it leads to."""
    answer = client.post(
        "/hazards/new",
        data={
            "hazard_id": reference,
            "status": "SHA",
            "recorded": "2020-01-01",
            "coordinates": SQUARE.wkt,
            **form,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[:2000]
    return str(answer.headers["location"])


def _approve(client: TestClient, location: str) -> None:
    submission = location.rsplit("/", 1)[1]
    answer = client.post(f"/api/v1/submissions/{submission}/approve")
    assert answer.json()["status"] == "approved", answer.text


def test_an_operators_form_fixes_their_organisation_and_lists_the_munitions(
    country: None, client_as: ClientAs
) -> None:
    page = client_as("operator", organisation="MAG").get("/hazards/new").text
    assert re.search(r'<input id="f-operator" name="operator" value="MAG" readonly', page)
    assert 'name="munition_type"' in page and "BLU-26" in page
    for name in ("hazard_id", "status", "contam", "recorded", "used_from", "marked"):
        assert f'<label for="f-{name}">' in page, name  # every input has its label
    # the browser's own limits, as attributes (a string of them had been escaped whole:
    # maxlength=&#34;100&#34;, and a 150-character reference was typed and sent)
    assert re.search(r'<input id="f-hazard_id" [^>]*maxlength="100" autocomplete="off"', page)
    assert re.search(
        r'<input id="f-used_from" [^>]*min="1900" max="2100" inputmode="numeric"', page
    )
    assert "&#34;" not in page
    # each kind once, CMR first and so chosen (it was offered twice: "CMR (default)", "CMR")
    kinds = re.search(r'<select id="f-contam" name="contam"[^>]*>(.*?)</select>', page, re.S)
    assert kinds is not None
    assert re.findall(r'<option value="([^"]*)"', kinds[1]) == ["CMR", "APM", "ATM", "ERW"]
    # the statuses in words, and what the reference is and who gives it (helper-97)
    assert '<option value="SHA" selected>Suspected hazardous area (SHA)</option>' in page
    assert '<option value="CHA">Confirmed hazardous area (CHA)</option>' in page
    assert 'aria-describedby="hazard_id-hint"' in page and "ask your IM officer" in page


def test_errors_are_shown_beside_their_fields_and_nothing_is_stored(
    session: Session, country: None, client_as: ClientAs
) -> None:
    client = client_as("operator", organisation="MAG")
    before = _count(session, "submission")
    numbered = _last_number(session)
    answer = client.post(
        "/hazards/new",
        data={
            "hazard_id": "PG-1",
            "status": "SHA",
            "recorded": "2020-02-31",
            "munition_type": ["NOT-A-TYPE"],
            "munition_qty": ["4"],
            "coordinates": "POLYGON((1 1, 2 1, 2 2, 1 1))",
        },
    )
    assert answer.status_code == 422
    page = answer.text
    assert re.search(r'id="f-recorded"[^>]*aria-invalid="true"', page)
    assert re.search(r'<span class="field-error" id="recorded-error">[^<]*2020-02-31', page)
    assert 'id="munitions-error"' in page
    assert re.search(r'id="geometry-error">[^<]*outside', page)
    assert 'value="PG-1"' in page  # what was typed is kept
    assert _count(session, "submission") == before
    # nor a submission number used up: the next submission is numbered on (a new user's
    # review read 21, then 24, after two refused tries)
    assert _last_number(session) == numbered


def test_a_semicolon_in_a_munition_row_is_refused_not_split_into_rows(
    session: Session, country: None, client_as: ClientAs
) -> None:
    """The form writes its rows as TYPE:QTY;TYPE:QTY: a quantity of "5;M42:900", sent by
    hand, had added a row of 900 M42 that no one chose (helper-109)."""
    client = client_as("operator", organisation="MAG")
    before = _count(session, "submission")
    answer = client.post(
        "/hazards/new",
        data={
            "hazard_id": "PG-SEMI",
            "status": "SHA",
            "recorded": "2020-02-01",
            "munition_type": ["BLU-26"],
            "munition_qty": ["5;M42:900"],
            "coordinates": "POLYGON((103.4 19.4, 103.41 19.4, 103.41 19.41, 103.4 19.4))",
        },
    )
    assert answer.status_code == 422
    said = html.unescape(answer.text)
    error = re.search(r'id="munitions-error">([^<]*)<', said)
    assert error, said[-3000:]
    assert error.group(1) == "quantity '5,M42,900' of 'BLU-26' is not a number"
    typed = client.post(
        "/hazards/new",
        data={
            "hazard_id": "PG-SEMI",
            "status": "SHA",
            "recorded": "2020-02-01",
            "munition_type": ["BLU-26;M42"],
            "munition_qty": ["3"],
            "coordinates": "POLYGON((103.4 19.4, 103.41 19.4, 103.41 19.41, 103.4 19.4))",
        },
    )
    assert typed.status_code == 422
    assert "unknown munition type code 'BLU-26,M42'" in html.unescape(typed.text)
    assert _count(session, "submission") == before


@pytest.mark.parametrize(
    ("coordinates", "polygon_said"),
    [
        ("POLYGON((103.4 19.4, 103.41", "not a polygon ims can read"),  # pasted, cut short
        ("", "draw the polygon, paste it or choose a file"),  # none given
    ],
)
def test_a_polygon_missing_or_unread_is_said_with_the_other_fields_errors_in_one_round(
    session: Session, country: None, client_as: ClientAs, coordinates: str, polygon_said: str
) -> None:
    """The form said only that its polygon was wrong; the other fields' errors came once it
    was put right, in a second round (a first-time user's review)."""
    client = client_as("operator", organisation="MAG")
    before = _count(session, "submission")
    numbered = _last_number(session)
    answer = client.post(
        "/hazards/new",
        data={
            "hazard_id": "PG-ROUND",
            "status": "XYZ",
            "recorded": "2020-02-31",
            "used_from": "1975",
            "used_to": "1969",
            "munition_type": ["NOT-A-TYPE"],
            "munition_qty": ["4"],
            "coordinates": coordinates,
        },
    )
    assert answer.status_code == 422
    page = html.unescape(answer.text)
    assert re.search(r'id="geometry-error">[^<]*' + re.escape(polygon_said), page), page[-3000:]
    assert re.search(r'id="recorded-error">[^<]*2020-02-31', page)
    assert re.search(r'id="status-error">[^<]*XYZ', page)
    assert 'id="munitions-error"' in page
    # the years named as the form names them
    assert re.search(r'id="used_from-error">Used from 1975 is after Used to 1969<', page)
    # the polygon's error once: not again as "the feature has no geometry"
    assert "no geometry" not in page
    assert _count(session, "submission") == before
    assert _last_number(session) == numbered  # checked without drawing a number
    # and a hazard without its reference, drawn well: the reference's error with the rest
    missing = client.post(
        "/hazards/new",
        data={"status": "SHA", "recorded": "2020-02-31", "coordinates": SQUARE.wkt},
    )
    page = html.unescape(missing.text)
    assert re.search(r'id="hazard_id-error">Hazard id is required<', page)
    assert re.search(r'id="recorded-error">[^<]*2020-02-31', page)
    assert _count(session, "submission") == before


def test_a_release_or_revision_with_an_unread_polygon_says_the_other_fields_errors_too(
    session: Session, country: None, client_as: ClientAs
) -> None:
    admin = client_as()
    _approve(client_as("reviewer"), _record(admin, "PG-ROUND2"))
    before = _count(session, "submission")
    release = admin.post(
        "/hazards/PG-ROUND2/releases/new",
        data={
            "release_id": "PG-R-ROUND",
            "method": "dug up",
            "released": "2022-13-01",
            "coordinates": "103.4 19.4, 103.41",
        },
    )
    assert release.status_code == 422
    page = html.unescape(release.text)
    assert 'id="geometry-error"' in page
    assert re.search(r'id="method-error">[^<]*dug up', page)
    assert re.search(r'id="released-error">[^<]*2022-13-01', page)
    # a revision: its fields checked on the boundary it would keep
    revision = admin.post(
        "/hazards/PG-ROUND2/revise",
        data={"status": "XYZ", "revised": "2021-01-01", "coordinates": "POLYGON((1"},
    )
    assert revision.status_code == 422
    page = html.unescape(revision.text)
    assert 'id="geometry-error"' in page
    assert re.search(r'id="status-error">[^<]*XYZ', page)
    # on the date and with the status in force: the boundary kept in its stead is no
    # "revision recorded already" (an attack on our own instance had it said so)
    same = admin.post(
        "/hazards/PG-ROUND2/revise",
        data={"status": "SHA", "revised": "2020-01-01", "coordinates": "POLYGON((1"},
    )
    page = html.unescape(same.text)
    assert 'id="geometry-error"' in page and "recorded already" not in page
    assert 'id="revised-error"' not in page
    # an empty date hides no other field's error
    undated = admin.post("/hazards/PG-ROUND2/revise", data={"status": "XYZ", "revised": ""})
    page = html.unescape(undated.text)
    assert re.search(r'id="revised-error">[^<]*required', page)
    assert re.search(r'id="status-error">[^<]*XYZ', page)
    # the release's preview asks for the polygon alone: nothing is sent by it
    preview = admin.post(
        "/hazards/PG-ROUND2/releases/new", data={"action": "preview", "method": "cleared"}
    )
    page = html.unescape(preview.text)
    assert 'id="geometry-error"' in page and 'id="release_id-error"' not in page
    assert _count(session, "submission") == before


def test_a_hazard_recorded_through_the_form_is_a_submission_with_its_area(
    session: Session, country: None, client_as: ClientAs
) -> None:
    operator = client_as("operator", organisation="MAG")
    location = _record(operator, "PG-2", munition_type=["BLU-26"], munition_qty=["7"])
    assert re.fullmatch(r"/submissions/\d+", location)
    _approve(client_as("reviewer"), location)
    area, munitions = session.execute(
        text(
            "SELECT m.area_m2, r.attributes FROM hazard_remaining m JOIN hazard h "
            "ON h.id = m.hazard_id JOIN hazard_revision r ON r.hazard_id = h.id "
            "WHERE h.reference = 'PG-2'"
        )
    ).one()
    assert area == pytest.approx(abs(GEOD.geometry_area_perimeter(SQUARE)[0]), rel=1e-6)
    estimate = session.scalar(
        text(
            "SELECT sum(e.quantity) FROM hazard_estimate e JOIN hazard_revision r "
            "ON r.id = e.revision_id JOIN hazard h ON h.id = r.hazard_id WHERE h.reference = 'PG-2'"
        )
    )
    assert estimate == 7
    assert munitions is None or "reason" not in munitions


def test_a_status_only_revision_keeps_the_boundary_in_force(
    session: Session, country: None, client_as: ClientAs
) -> None:
    admin = client_as()
    reviewer = client_as("reviewer")
    _approve(reviewer, _record(admin, "PG-3"))
    form = admin.get("/hazards/PG-3/revise").text
    assert "PG-3" in form and 'name="revised"' in form
    # the hazard's forms belong to the register, as its page does (they had marked "Map")
    for path in ("/hazards/PG-3/revise", "/hazards/PG-3/releases/new", "/hazards/PG-3"):
        assert '<a href="/hazards" class="active">Hazards</a>' in admin.get(path).text, path
    answer = admin.post(
        "/hazards/PG-3/revise",
        data={"status": "CHA", "revised": "2021-01-01", "reason": "confirmed"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[:2000]
    _approve(reviewer, answer.headers["location"])
    rows = session.execute(
        text(
            "SELECT r.status, ST_Equals(r.geom, first_value(r.geom) OVER (ORDER BY r.effective)) "
            "FROM hazard_revision r JOIN hazard h ON h.id = r.hazard_id "
            "WHERE h.reference = 'PG-3' ORDER BY r.effective"
        )
    ).all()
    assert [(status, same) for status, same in rows] == [("SHA", True), ("CHA", True)]
    kinds = session.scalars(
        text(
            "SELECT le.kind FROM ledger_entry le JOIN hazard h ON h.id = le.hazard_id "
            "WHERE h.reference = 'PG-3' ORDER BY le.entry_no"
        )
    ).all()
    assert list(kinds) == ["added", "status"]  # no area changed


def test_a_back_dated_status_only_revision_keeps_the_boundary_in_force_on_its_date(
    session: Session, country: None, client_as: ClientAs
) -> None:
    """A status-only revision dated before a later boundary had taken today's boundary back
    to its date (a walk-through as an IM officer: 39,253 m² gone from 2022 and 2023). Sent
    from the form or the API without a polygon, it keeps the boundary of its own date."""
    admin = client_as()
    reviewer = client_as("reviewer")
    _approve(reviewer, _record(admin, "PG-BACK"))
    smaller = box(103.40, 19.40, 103.405, 19.41)
    redrawn = admin.post(
        "/hazards/PG-BACK/revise",
        data={"status": "SHA", "revised": "2024-06-01", "coordinates": smaller.wkt},
        follow_redirects=False,
    )
    assert redrawn.status_code == 303, redrawn.text[:2000]
    _approve(reviewer, redrawn.headers["location"])
    by_form = admin.post(
        "/hazards/PG-BACK/revise",
        data={"status": "CHA", "revised": "2022-01-01", "reason": "confirmed"},
        follow_redirects=False,
    )
    assert by_form.status_code == 303, by_form.text[:2000]
    _approve(reviewer, by_form.headers["location"])
    by_api = admin.post(
        "/api/v1/hazards/PG-BACK/revisions",
        json={"type": "Feature", "properties": {"revised": "2023-01-01", "status": "SHA"}},
    )
    assert by_api.status_code == 201, by_api.text
    _approve(reviewer, f"/submissions/{by_api.json()['id']}")
    rows = session.execute(
        text(
            "SELECT r.effective::text, r.status, ST_Equals(r.geom, ST_GeomFromText(:whole, 4326)) "
            "FROM hazard_revision r JOIN hazard h ON h.id = r.hazard_id "
            "WHERE h.reference = 'PG-BACK' ORDER BY r.effective"
        ),
        {"whole": SQUARE.wkt},
    ).all()
    assert [tuple(r) for r in rows] == [
        ("2020-01-01", "SHA", True),
        ("2022-01-01", "CHA", True),
        ("2023-01-01", "SHA", True),
        ("2024-06-01", "SHA", False),
    ]
    whole = abs(GEOD.geometry_area_perimeter(SQUARE)[0])
    part = abs(GEOD.geometry_area_perimeter(smaller)[0])
    for day, area in (("2022-12-31", whole), ("2023-12-31", whole), ("2025-01-01", part)):
        figures = admin.get(f"/api/v1/hazards/PG-BACK?as_of={day}").json()["figures"]
        assert figures["area_m2"] == pytest.approx(area, rel=1e-6), day


def test_the_review_of_a_back_dated_revision_measures_it_against_the_boundary_of_its_date(
    session: Session, country: None, client_as: ClientAs
) -> None:
    """The preview had compared every revision with today's boundary: one dated 2022 that
    sent today's boundary back showed "0 m² of boundary net" while it redrew 2022-2024."""
    admin = client_as()
    reviewer = client_as("reviewer")
    _approve(reviewer, _record(admin, "PG-PRE"))
    smaller = box(103.40, 19.40, 103.405, 19.41)
    redrawn = admin.post(
        "/hazards/PG-PRE/revise",
        data={"status": "SHA", "revised": "2024-06-01", "coordinates": smaller.wkt},
        follow_redirects=False,
    )
    _approve(reviewer, redrawn.headers["location"])
    back = admin.post(
        "/hazards/PG-PRE/revise",
        data={"status": "CHA", "revised": "2022-01-01", "coordinates": smaller.wkt},
        follow_redirects=False,
    )
    assert back.status_code == 303, back.text[:2000]
    page = reviewer.get(back.headers["location"]).text
    summary = " ".join(re.search(r'<p id="preview-summary">(.*?)</p>', page, re.S)[1].split())
    net = re.search(r"\(([−-]?[\d,]+)(?:&nbsp;| )m² of boundary net", summary)
    assert net is not None, summary
    whole = abs(GEOD.geometry_area_perimeter(SQUARE)[0])
    part = abs(GEOD.geometry_area_perimeter(smaller)[0])
    assert int(net[1].replace(",", "").replace("−", "-")) == pytest.approx(part - whole, abs=1)
    assert "1 of the revisions is dated before a later revision of its hazard" in summary


def test_a_forms_errors_name_its_fields_as_the_form_labels_them(
    session: Session, country: None, client_as: ClientAs
) -> None:
    """ "revised 2099-01-01 is in the future" stood beside "Takes effect on" (a walk-through)."""
    admin = client_as()
    _approve(client_as("reviewer"), _record(admin, "PG-WORDS"))
    answer = admin.post("/hazards/PG-WORDS/revise", data={"status": "CHA", "revised": "2099-01-01"})
    assert answer.status_code == 422
    said = re.search(r'<span class="field-error" id="revised-error">([^<]*)<', answer.text)
    assert said is not None and html.unescape(said[1]).startswith(
        "Takes effect on 2099-01-01 is in the future"
    )
    summary = re.search(r'<a href="#f-revised">([^<]*)</a>', answer.text)
    assert summary is not None and html.unescape(summary[1]).startswith("Takes effect on 2099")
    recorded = admin.post(
        "/hazards/new",
        data={"hazard_id": "PG-W2", "status": "SHA", "recorded": "", "coordinates": SQUARE.wkt},
    )
    listed = re.search(r'<a href="#f-recorded">([^<]*)</a>', recorded.text)
    assert listed is not None and html.unescape(listed[1]) == "Recorded on is required (YYYY-MM-DD)"


def test_a_release_form_takes_more_item_types_than_it_shows_at_first(
    session: Session, country: None, client_as: ClientAs
) -> None:
    """The form took four types at most (found by a walk-through as a field team leader)."""
    admin = client_as()
    _approve(client_as("reviewer"), _record(admin, "PG-ITEMS"))
    types = ["BLU-26", "BLU-24", "BLU-36", "BLU-61", "BLU-63", "BLU-97"]
    answer = admin.post(
        "/hazards/PG-ITEMS/releases/new",
        data={
            "release_id": "PG-R-ITEMS",
            "method": "cleared",
            "released": "2022-01-01",
            "coordinates": SQUARE.wkt,
            "item_type": types,
            "item_qty": [str(n) for n in range(1, 7)],
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[:2000]
    submission = int(answer.headers["location"].rsplit("/", 1)[1])
    items = session.scalar(
        text("SELECT record->'items' FROM submission_feature WHERE submission_id = :s"),
        {"s": submission},
    )
    assert items == ";".join(f"{t}:{n}" for n, t in enumerate(types, 1))


def test_the_release_form_shows_the_area_it_would_count_before_sending(
    session: Session, country: None, client_as: ClientAs
) -> None:
    admin = client_as()
    _approve(client_as("reviewer"), _record(admin, "PG-4"))
    released = box(103.405, 19.40, 103.415, 19.41)
    before = _count(session, "submission")
    page = admin.post(
        "/hazards/PG-4/releases/new",
        data={
            "release_id": "PG-R4",
            "method": "cleared",
            "released": "2022-01-01",
            "coordinates": released.wkt,
            "action": "preview",
        },
    )
    assert page.status_code == 200, page.text[:2000]
    shown = re.search(r'id="counted-m2" data-m2="([\d.e+-]+)"', page.text)
    assert shown, page.text[:3000]
    inside = abs(GEOD.geometry_area_perimeter(released.intersection(SQUARE))[0])
    assert float(shown.group(1)) == pytest.approx(inside, rel=1e-6)
    assert _count(session, "submission") == before  # a preview sends nothing


def test_a_file_of_one_feature_is_read_as_an_upload_job_with_a_time_limit_of_its_own(
    session: Session, country: None, client_as: ClientAs, monkeypatch: pytest.MonkeyPatch
) -> None:
    # read in the web server's own threads, 2 MB files had taken it past 15 GB or held a
    # thread for minutes (an attack on our own instance): now an upload worker reads it
    admin = client_as()
    jobs = admin.app.state.jobs  # type: ignore[attr-defined]
    asked: list[tuple[str, Any, dict[str, Any]]] = []
    inline = jobs.run_waiting

    def spy(lane: str, job: Any, **kwargs: Any) -> Any:
        asked.append((lane, job, kwargs))
        return inline(lane, job, **kwargs)

    monkeypatch.setattr(jobs, "run_waiting", spy)
    square = json.dumps({"type": "Feature", "properties": {}, "geometry": mapping(SQUARE)}).encode()
    answer = admin.post(
        "/hazards/new",
        data={"hazard_id": "PG-JOB", "status": "CHA", "recorded": "2020-01-01"},
        files={"geometry_file": ("one.geojson", square)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[:2000]
    [(lane, job, kwargs)] = asked
    assert (lane, job) == ("uploads", read_one_feature)
    assert kwargs["timeout_s"] == ONE_FEATURE_TIME_S and kwargs["filename"] == "one.geojson"
    assert kwargs["owner"] is not None  # counted against the person's share of the queue


def test_a_file_of_one_feature_gives_the_polygon_of_the_form(
    session: Session, country: None, client_as: ClientAs, tmp_path: Path
) -> None:
    path = tmp_path / "drawn-in-qgis.gpkg"
    gpd.GeoDataFrame(geometry=[SQUARE], crs=4326).to_crs(32648).to_file(path)
    admin = client_as()
    with path.open("rb") as fh:
        answer = admin.post(
            "/hazards/new",
            data={"hazard_id": "PG-5", "status": "CHA", "recorded": "2020-01-01"},
            files={"geometry_file": (path.name, fh)},
            follow_redirects=False,
        )
    assert answer.status_code == 303, answer.text[:2000]
    _approve(client_as("reviewer"), answer.headers["location"])
    area = session.scalar(
        text(
            "SELECT m.area_m2 FROM hazard_remaining m JOIN hazard h ON h.id = m.hazard_id "
            "WHERE h.reference = 'PG-5'"
        )
    )
    assert area == pytest.approx(abs(GEOD.geometry_area_perimeter(SQUARE)[0]), rel=1e-6)


def test_a_file_over_the_forms_limit_is_an_error_beside_its_field_and_keeps_the_form(
    session: Session, country: None, client_as: ClientAs
) -> None:
    limit = file_max_bytes()
    assert limit == get_settings().request_max_bytes - FORM_ALLOWANCE  # a form's fields fit
    before = _count(session, "submission")
    answer = client_as().post(
        "/hazards/new",
        data={"hazard_id": "PG-BIG", "status": "CHA", "recorded": "2020-01-01"},
        files={"geometry_file": ("province.gpkg", b"\0" * (limit + 1))},
        follow_redirects=False,
    )
    assert answer.status_code == 422, answer.text[:2000]  # the form again, not a 413 page
    # at the top of the polygon's fieldset, where its errors are shown
    said = (
        f"province.gpkg is over the {limit / 1e6:.1f} MB a form takes: simplify the "
        "polygon (fewer corners), or send the file from the upload page"
    )
    assert f'<span class="field-error" id="geometry-error">{said}</span>' in answer.text
    assert 'value="PG-BIG"' in answer.text  # what was typed is kept
    assert _count(session, "submission") == before


def test_a_revision_that_changes_nothing_is_sent_with_a_warning_and_a_real_one_without(
    session: Session, country: None, client_as: ClientAs
) -> None:
    """Sent unchanged, the revise form made a revision that recorded only a date, silently."""
    admin = client_as()
    reviewer = client_as("reviewer")
    _approve(reviewer, _record(admin, "PG-SAME"))

    def revise(**form: str) -> set[str]:
        answer = admin.post(
            "/hazards/PG-SAME/revise",
            data={"revised": "2021-01-01", "reason": "re-surveyed", **form},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text[:2000]
        submission = int(answer.headers["location"].rsplit("/", 1)[1])
        return set(
            session.scalars(
                text("SELECT code FROM finding WHERE submission_id = :s"), {"s": submission}
            )
        )

    assert "changes_nothing" in revise(status="SHA")  # the status in force, the same boundary
    assert "changes_nothing" in revise(coordinates=SQUARE.wkt)  # the boundary sent back
    assert "changes_nothing" not in revise(status="CHA")  # a reclassification
    moved = box(*SQUARE.bounds[:2], SQUARE.bounds[2] + 0.001, SQUARE.bounds[3])
    assert "changes_nothing" not in revise(coordinates=moved.wkt)  # a new boundary


def test_a_refused_pasted_polygon_stays_in_its_box_not_in_the_map_editor(
    session: Session, country: None, client_as: ClientAs
) -> None:
    """Refused, a pasted polygon took the place of the boundary in force in the editor: with
    its text cleared, it was sent again and refused again (found by a walk-through as a
    field team leader)."""
    admin = client_as()
    _approve(client_as("reviewer"), _record(admin, "PG-PASTE"))
    far = "POLYGON((102 10, 102.01 10, 102.01 10.01, 102 10.01, 102 10))"  # not in the country
    refused = admin.post(
        "/hazards/PG-PASTE/revise",
        data={"revised": "2021-01-01", "status": "CHA", "coordinates": far},
        follow_redirects=False,
    )
    assert refused.status_code == 422
    found = re.search(r"data-config='([^']*)'", refused.text)
    assert found is not None
    config = json.loads(html.unescape(found.group(1)))
    assert shape(config["edit"]).equals(SQUARE)  # the boundary in force, not the pasted one
    assert "102 10, 102.01 10" in refused.text  # the text box keeps what was pasted
    cleared = admin.post(
        "/hazards/PG-PASTE/revise",
        data={"revised": "2021-01-01", "status": "CHA", "coordinates": "", "geometry": ""},
        follow_redirects=False,
    )
    assert cleared.status_code == 303, cleared.text[:2000]


def test_a_drawn_outline_that_crosses_itself_is_told_what_to_do_on_the_form(
    session: Session, country: None, client_as: ClientAs
) -> None:
    """The form said "fix it in your GIS (e.g. Fix geometries), or upload with repair",
    though it offers no repair and its user is not in a GIS."""
    client = client_as("operator", organisation="MAG")
    x0, y0, x1, y1 = SQUARE.bounds
    bowtie = f"POLYGON(({x0} {y0}, {x1} {y1}, {x1} {y0}, {x0} {y1}, {x0} {y0}))"
    answer = client.post(
        "/hazards/new",
        data={
            "hazard_id": "BOW-1",
            "status": "SHA",
            "recorded": "2020-01-01",
            "coordinates": bowtie,
        },
    )
    assert answer.status_code == 422
    said = re.search(r'id="geometry-error">([^<]*)<', answer.text)
    assert said and "invalid polygon" in said.group(1)
    assert "draw it again so that its outline does not cross itself" in said.group(1)
    assert "GIS" not in said.group(1) and "repair" not in said.group(1)


def test_a_revision_says_why_and_who_sent_it_and_its_form_starts_from_the_record(
    session: Session, country: None, client_as: ClientAs
) -> None:
    """A walk-through: the revise form showed the marking date and the operator blank
    although the hazard had them (they are kept unless changed: it read as if sending would
    clear them); once approved, the revision's reason was listed as a column of an
    operator's file, and the hazard's page named its approver only, not who sent it."""
    client_as("operator", organisation="MAG")  # MAG in the reference list
    admin = client_as()
    reviewer = client_as("reviewer")
    _approve(reviewer, _record(admin, "PG-WHY", marked="2020-02-01", operator="MAG"))
    form = admin.get("/hazards/PG-WHY/revise").text
    assert re.search(r'id="f-marked" name="marked" type="date" value="2020-02-01"', form)
    assert re.search(r'<option value="MAG" selected>', form), form
    sent = admin.post(
        "/hazards/PG-WHY/revise",
        data={"status": "CHA", "revised": "2021-01-01", "reason": "technical survey confirmed"},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text[:2000]
    _approve(reviewer, sent.headers["location"])
    sender, approver = session.execute(
        text(
            "SELECT s.uploaded_by, r.recorded_by FROM hazard_revision r "
            "JOIN submission s ON s.id = r.submission_id JOIN hazard h ON h.id = r.hazard_id "
            "WHERE h.reference = 'PG-WHY' ORDER BY r.seq DESC LIMIT 1"
        )
    ).one()
    assert sender != approver
    page = reviewer.get("/hazards/PG-WHY").text
    timeline = re.search(r'<table class="timeline">(.*?)</table>', page, re.S)
    assert timeline and "reclassified SHA → CHA; reason: technical survey confirmed" in (
        timeline.group(1)
    )
    assert "<th>Operator</th>" in timeline.group(1)
    assert 'id="attributes"' not in page  # the reason is no column of a file
    records = re.search(r'<table class="list records" id="records">(.*?)</table>', page, re.S)
    assert records and "<th>Sent by</th><th>Approved by</th>" in records.group(1)
    assert f"<td>{sender}</td><td>{approver}</td>" in records.group(1)
    # kept as marked and worked by MAG, as the form said
    marked, operator = session.execute(
        text(
            "SELECT r.marked, o.name FROM hazard_revision r JOIN hazard h ON h.id = r.hazard_id "
            "LEFT JOIN organisation o ON o.id = r.operator_id WHERE h.reference = 'PG-WHY' "
            "ORDER BY r.seq DESC LIMIT 1"
        )
    ).one()
    assert (str(marked), operator) == ("2020-02-01", "MAG")
    # a later revision keeps the record's own columns, the reason among them: its line
    # does not say the reason again (an attack on our own instance)
    later = admin.post(
        "/hazards/PG-WHY/revise",
        data={"status": "CHA", "revised": "2021-06-01", "marked": "2021-05-01"},
        follow_redirects=False,
    )
    assert later.status_code == 303, later.text[:2000]
    _approve(reviewer, later.headers["location"])
    timeline = re.search(
        r'<table class="timeline">(.*?)</table>', reviewer.get("/hazards/PG-WHY").text, re.S
    )
    assert timeline and timeline.group(1).count("reason: technical survey confirmed") == 1
    assert "details revised; marked 2021-05-01</td>" in timeline.group(1)


def test_a_files_reason_column_is_shown_on_the_line_of_the_record_it_came_with(
    session: Session, country: None, client_as: ClientAs, tmp_path: Path
) -> None:
    """The hazard page had dropped any own column named "reason" from its attributes, as
    the revise form's reason is shown on the timeline, so a file's went unseen."""
    from ims.ingest import approval, submissions

    path = tmp_path / "legacy.csv"
    path.write_text(
        "hazard_id,status,recorded,contam,reason,village,wkt\n"
        "PG-FILE,SHA,2020-01-01,CMR,Villager found a submunition,Ban Na,"
        f'"{SQUARE.wkt}"\n',
        encoding="utf-8",
    )
    staged = submissions.stage(
        session, path, kind="hazards", organisation="MAG", new_organisation=True
    )
    assert staged.errors == 0, staged.findings
    approval.approve(session, staged.submission.id, by="tests")
    page = client_as("viewer").get("/hazards/PG-FILE").text
    timeline = re.search(r'<table class="timeline">(.*?)</table>', page, re.S)
    assert timeline and "SHA; reason: Villager found a submunition" in timeline.group(1)
    attributes = re.search(r'<table class="figures" id="attributes">(.*?)</table>', page, re.S)
    assert attributes and "Ban Na" in attributes.group(1)
    # revised from the form with a reason of its own: the file's village is kept (the
    # revision's columns had replaced the record's, its reason alone left)
    admin = client_as()
    sent = admin.post(
        "/hazards/PG-FILE/revise",
        data={"status": "CHA", "revised": "2021-01-01", "reason": "technical survey"},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text[:2000]
    _approve(client_as("reviewer"), sent.headers["location"])
    kept = session.scalar(
        text(
            "SELECT r.attributes FROM hazard_revision r JOIN hazard h ON h.id = r.hazard_id"
            " WHERE h.reference = 'PG-FILE' ORDER BY r.seq DESC LIMIT 1"
        )
    )
    assert kept == {"reason": "technical survey", "village": "Ban Na"}
    page = client_as("viewer").get("/hazards/PG-FILE").text
    assert "Ban Na" in page and "CHA; reason: technical survey" in page


def _in_force(session: Session, ref: str) -> tuple[object, ...]:
    """The years of use, the marking date and the estimates of a hazard's revision in force."""
    row = session.execute(
        text(
            "SELECT r.id, r.used_from, r.used_to, r.marked FROM hazard_revision r"
            " JOIN hazard h ON h.id = r.hazard_id WHERE h.reference = :ref"
            " ORDER BY r.effective DESC, r.seq DESC LIMIT 1"
        ),
        {"ref": ref},
    ).one()
    estimates = dict(
        session.execute(
            text("SELECT munition_code, quantity FROM hazard_estimate WHERE revision_id = :r"),
            {"r": row.id},
        ).all()
    )
    return (row.used_from, row.used_to, str(row.marked) if row.marked else None, estimates)


def test_a_revision_empties_a_field_with_none_and_keeps_it_when_blank(
    session: Session, country: None, client_as: ClientAs, tmp_path: Path
) -> None:
    """A revision keeps what it leaves blank, so a marking or estimates recorded in error
    could not be taken back: "(none)" empties the field in a file, and emptying the
    revise form's date does the same."""
    from ims.ingest import approval, submissions

    def sent(name: str, rows: str) -> list[str]:
        path = tmp_path / f"{name}.csv"
        path.write_text(
            "hazard_id,status,recorded,revised,used_from,used_to,munitions,marked,wkt\n" + rows,
            encoding="utf-8",
        )
        staged = submissions.stage(
            session, path, kind="hazards", organisation="MAG", new_organisation=True
        )
        assert staged.errors == 0, staged.findings
        approval.approve(session, staged.submission.id, by="tests")
        return [f.message for f in staged.findings if f.code == "empties_field"]

    def in_force(ref: str) -> tuple[object, ...]:
        return _in_force(session, ref)

    square = f'"{SQUARE.wkt}"'
    sent("first", f"PG-NONE,SHA,2020-01-01,,1968,1972,BLU-26:10,2020-02-01,{square}\n")
    assert in_force("PG-NONE") == (1968, 1972, "2020-02-01", {"BLU-26": 10})
    # blank cells (and "None", as files write an empty cell) keep; "(none)" empties
    # the reviewer is told what it takes back
    assert sent("second", f"PG-NONE,CHA,,2021-01-01,,None,(none),(None),{square}\n") == [
        "this revision of PG-NONE empties munitions (now BLU-26:10): check that it is to be"
        " taken back",
        "this revision of PG-NONE empties marked (now 2020-02-01): check that it is to be"
        " taken back",
    ]
    assert in_force("PG-NONE") == (1968, 1972, None, {})
    page = client_as("viewer").get("/hazards/PG-NONE").text
    assert "no longer marked" in page
    # the same "(none)" again changes nothing: it is said to repeat the revision in force
    path = tmp_path / "third.csv"
    path.write_text(
        "hazard_id,status,revised,munitions,marked,wkt\n"
        f"PG-NONE,CHA,2021-06-01,(none),(none),{square}\n",
        encoding="utf-8",
    )
    third = submissions.stage(session, path, kind="hazards", organisation="MAG")
    assert [f.code for f in third.findings if f.code == "changes_nothing"] == ["changes_nothing"]
    # the revise form shows the date in force: emptied, the area is no longer marked
    sent("fourth", f"PG-NONE,CHA,,2022-01-01,,,,2022-01-01,{square}\n")
    assert in_force("PG-NONE")[2] == "2022-01-01"
    admin = client_as()
    form = admin.get("/hazards/PG-NONE/revise").text
    assert 'name="marked_shown" value="2022-01-01"' in form
    assert 'id="f-marked" name="marked" type="date" value="2022-01-01"' in form
    assert "Empty it if the area is not marked" in form
    posted = admin.post(
        "/hazards/PG-NONE/revise",
        data={
            "status": "CHA",
            "revised": "2023-01-01",
            "marked_shown": "2022-01-01",
            "marked": "",
            "reason": "fence gone",
        },
        follow_redirects=False,
    )
    assert posted.status_code == 303, posted.text[:2000]
    _approve(client_as("reviewer"), posted.headers["location"])
    assert in_force("PG-NONE")[2] is None
    # a form that showed no date sends none: nothing to empty
    posted = admin.post(
        "/hazards/PG-NONE/revise",
        data={"status": "SHA", "revised": "2024-01-01", "marked_shown": "", "marked": ""},
        follow_redirects=False,
    )
    assert posted.status_code == 303, posted.text[:2000]
    _approve(client_as("reviewer"), posted.headers["location"])
    assert in_force("PG-NONE") == (1968, 1972, None, {})


def test_the_revise_form_corrects_the_estimates_and_years_and_takes_them_back_emptied(
    session: Session, country: None, client_as: ClientAs, tmp_path: Path
) -> None:
    """helper-107: the revise form could correct the status, the marking and the boundary,
    not the munitions estimate nor the years of use ("1966–1966"): a reviewer had to upload
    a file for it. The form starts from the record's; emptied, a field is taken back."""
    from ims.ingest import approval, submissions

    path = tmp_path / "est.csv"
    path.write_text(
        "hazard_id,status,recorded,used_from,used_to,munitions,wkt\n"
        f'PG-EST,SHA,2020-01-01,1966,1966,BLU-26:598,"{SQUARE.wkt}"\n',
        encoding="utf-8",
    )
    staged = submissions.stage(
        session, path, kind="hazards", organisation="MAG", new_organisation=True
    )
    approval.approve(session, staged.submission.id, by="tests")
    session.commit()

    def in_force() -> tuple[object, ...]:
        session.expire_all()
        used_from, used_to, _, estimates = _in_force(session, "PG-EST")
        return (used_from, used_to, estimates)

    def revise(**data: object) -> None:
        sent = {"status": "SHA", "shown": ["munitions", "used_from", "used_to"], **data}
        posted = admin.post("/hazards/PG-EST/revise", data=sent, follow_redirects=False)
        assert posted.status_code == 303, posted.text[:2000]
        _approve(client_as("reviewer"), posted.headers["location"])

    admin = client_as()
    form = html.unescape(admin.get("/hazards/PG-EST/revise").text)
    assert 'id="f-used_from" name="used_from" type="number" value="1966"' in form
    assert (
        '<option value="BLU-26" selected>' in form and 'name="munition_qty" type="number"' in form
    )
    assert 'value="598"' in form
    assert 'name="shown" value="munitions"' in form and 'name="shown" value="used_to"' in form
    revise(
        revised="2021-01-01",
        reason="survey counted them again",
        munition_type=["BLU-26", "M42"],
        munition_qty=["400", "12"],
        used_from="1965",
        used_to="1970",
    )
    assert in_force() == (1965, 1970, {"BLU-26": 400, "M42": 12})
    assert '<td id="hazard-used">1965–1970</td>' in admin.get("/hazards/PG-EST").text
    # emptied where the form showed them: taken back; a single year reads as one
    revise(
        revised="2022-01-01",
        munition_type=[""],
        munition_qty=[""],
        used_from="1970",
        used_to="1970",
    )
    assert in_force() == (1970, 1970, {})
    page = html.unescape(admin.get("/hazards/PG-EST").text)
    assert '<td id="hazard-used">1970</td>' in page
    # the timeline says each change of the years (helper-108: "details revised" alone)
    assert "years of use 1966 → 1965–1970" in page and "years of use 1965–1970 → 1970" in page


def test_a_release_sent_from_the_form_is_corrected_in_the_form_and_takes_its_place(
    session: Session, country: None, client_as: ClientAs
) -> None:
    """A field team leader who saw a wrong quantity after sending had only "Upload a
    corrected file" (on a phone, with no file) or to withdraw it and draw it all again
    (a first-time user's review, helper-97)."""
    mag = client_as("operator", organisation="MAG")
    _approve(client_as("reviewer"), _record(client_as(), "PG-FIX"))
    sent = mag.post(
        "/hazards/PG-FIX/releases/new",
        data={
            "release_id": "PG-R-FIX",
            "method": "cleared",
            "released": "2022-01-01",
            "coordinates": SQUARE.wkt,
            "item_type": ["BLU-26"],
            "item_qty": ["70"],
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text[:2000]
    first = int(sent.headers["location"].rsplit("/", 1)[1])
    page = mag.get(f"/submissions/{first}").text
    link = re.search(r'<a href="([^"]+)" id="correct-in-form"', page)
    assert link, page
    form_url = html.unescape(link.group(1))
    assert form_url == f"/hazards/PG-FIX/releases/new?correcting={first}"
    form = mag.get(form_url)
    assert form.status_code == 200
    assert f'<input type="hidden" name="replaces" value="{first}">' in form.text
    assert 'value="PG-R-FIX"' in form.text and 'value="70"' in form.text
    drawn = re.search(r"id=\"f-geometry\" value='([^']*)'", form.text)
    assert drawn and shape(json.loads(html.unescape(drawn.group(1)))).equals(SQUARE)
    # another organisation's operator cannot open it to correct
    npa = client_as("operator", organisation="NPA")
    assert npa.get(form_url).status_code in (404, 409)
    # sent again with the quantity put right: in its place, nothing said left out
    fixed = mag.post(
        "/hazards/PG-FIX/releases/new",
        data={
            "release_id": "PG-R-FIX",
            "method": "cleared",
            "released": "2022-01-01",
            "geometry": html.unescape(drawn.group(1)),
            "item_type": ["BLU-26"],
            "item_qty": ["7"],
            "replaces": str(first),
        },
        follow_redirects=False,
    )
    assert fixed.status_code == 303, fixed.text[:2000]
    second = int(fixed.headers["location"].rsplit("/", 1)[1])
    rows = dict(
        session.execute(
            text("SELECT id, status FROM submission WHERE id IN (:a, :b)"),
            {"a": first, "b": second},
        ).all()
    )
    assert rows == {first: "superseded", second: "validated"}
    assert (
        session.scalar(text("SELECT replaces FROM submission WHERE id = :s"), {"s": second})
        == first
    )
    codes = mag.get(f"/api/v1/submissions/{second}").json()
    assert "left_out_of_replacement" not in [f["code"] for f in codes["findings"]]
    items = session.scalar(
        text("SELECT record->>'items' FROM submission_feature WHERE submission_id = :s"),
        {"s": second},
    )
    assert items == "BLU-26:7"
    # the one replaced offers no correction any more, nor does a file's submission
    assert 'id="correct-in-form"' not in mag.get(f"/submissions/{first}").text
    assert mag.get(form_url).status_code == 409


def test_a_revision_and_a_hazard_sent_from_the_form_open_in_their_forms_to_correct(
    session: Session, country: None, client_as: ClientAs
) -> None:
    admin = client_as()
    new = _record(admin, "PG-NEWFIX", used_from="1968")
    first = int(new.rsplit("/", 1)[1])
    page = admin.get(new).text
    link = re.search(r'<a href="([^"]+)" id="correct-in-form"', page)
    assert link and html.unescape(link.group(1)) == f"/hazards/new?correcting={first}"
    form = admin.get(html.unescape(link.group(1))).text
    assert 'value="PG-NEWFIX"' in form and 'value="1968"' in form
    _approve(client_as("reviewer"), new)
    revised = admin.post(
        "/hazards/PG-NEWFIX/revise",
        data={"status": "CHA", "revised": "2021-01-01", "reason": "found a bomblet"},
        follow_redirects=False,
    )
    assert revised.status_code == 303, revised.text[:2000]
    revision = int(revised.headers["location"].rsplit("/", 1)[1])
    page = admin.get(f"/submissions/{revision}").text
    link = re.search(r'<a href="([^"]+)" id="correct-in-form"', page)
    assert link and html.unescape(link.group(1)) == (
        f"/hazards/PG-NEWFIX/revise?correcting={revision}"
    )
    form = admin.get(html.unescape(link.group(1))).text
    assert 'value="2021-01-01"' in form and "found a bomblet" in form
    assert '<option value="CHA" selected>' in form
    # a status-only revision kept the boundary in force: none is loaded as drawn
    assert "id=\"f-geometry\" value=''" in form


def test_a_form_replaces_only_a_record_of_its_own_kind_and_hazard_still_awaiting_review(
    session: Session, country: None, client_as: ClientAs
) -> None:
    """A form sent with any submission of its organisation in `replaces` set it aside: a
    two-feature upload, or a new hazard for another hazard's revision (an attack on our
    own instance, helper-98); and once the one it corrected was approved, the form kept
    failing on the same refusal."""
    admin = client_as()
    for reference in ("PG-A", "PG-B"):
        _approve(client_as("reviewer"), _record(admin, reference))
    new = int(_record(admin, "PG-NEW").rsplit("/", 1)[1])  # a new hazard, awaiting review

    def status(submission: int) -> str:
        return str(
            session.scalar(text("SELECT status FROM submission WHERE id = :s"), {"s": submission})
        )

    # a revision of PG-A sent "in place of" the new hazard: refused, nothing sent
    before = _last_number(session)
    refused = admin.post(
        "/hazards/PG-A/revise",
        data={"status": "CHA", "revised": "2021-01-01", "replaces": str(new)},
        follow_redirects=False,
    )
    assert refused.status_code == 422
    assert f"Submission {new} can no longer be corrected here" in html.unescape(refused.text)
    assert 'name="replaces"' not in refused.text  # sent again, a submission of its own
    assert status(new) == "validated" and _last_number(session) == before
    # a release of PG-A opened to correct a release of PG-B: refused
    sent = admin.post(
        "/hazards/PG-B/releases/new",
        data={"release_id": "PG-R-B", "method": "cleared", "released": "2022-01-01",
              "coordinates": SQUARE.wkt},
        follow_redirects=False,
    )  # fmt: skip
    release = int(sent.headers["location"].rsplit("/", 1)[1])
    assert admin.get(f"/hazards/PG-A/releases/new?correcting={release}").status_code == 409
    assert admin.get(f"/hazards/PG-B/releases/new?correcting={release}").status_code == 200
    # approved meanwhile: the correction is refused once, said, and the form goes on
    _approve(client_as("reviewer"), f"/submissions/{release}")
    late = admin.post(
        "/hazards/PG-B/releases/new",
        data={"release_id": "PG-R-B", "method": "cleared", "released": "2022-01-01",
              "coordinates": SQUARE.wkt, "replaces": str(release)},
        follow_redirects=False,
    )  # fmt: skip
    assert late.status_code == 422 and "approved, replaced or withdrawn meanwhile" in late.text
    assert 'name="replaces"' not in late.text
    assert status(release) == "approved"


def test_a_release_from_the_form_on_two_hazards_is_told_what_a_form_can_do(
    session: Session, country: None, client_as: ClientAs
) -> None:
    """The review of a release sent from the form told its sender to send it again with
    the upload page's split choice, or `ims import --split` (helper-97)."""
    admin = client_as()
    left, right = box(103.40, 19.40, 103.41, 19.41), box(103.41, 19.40, 103.42, 19.41)
    _approve(client_as("reviewer"), _record(admin, "PG-LEFT", coordinates=left.wkt))
    _approve(client_as("reviewer"), _record(admin, "PG-RIGHT", coordinates=right.wkt))
    sent = admin.post(
        "/hazards/PG-LEFT/releases/new",
        data={"release_id": "PG-R-BOTH", "method": "cleared", "released": "2022-01-01",
              "coordinates": box(103.405, 19.40, 103.415, 19.41).wkt},
        follow_redirects=False,
    )  # fmt: skip
    assert sent.status_code == 303, sent.text[:2000]
    page = html.unescape(admin.get(sent.headers["location"]).text)
    said = re.search(r"<code>lies_on_other_hazards</code>.*?</li>", page, re.S)
    assert said, page
    assert "record each part as a release of its own hazard, from that hazard's page" in said[0]
    assert "--split" not in said[0] and "upload page" not in said[0]
    assert "to fix the file in QGIS" not in page
