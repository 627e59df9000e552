"""Withdrawing a hazard recorded in error through the API, its page and the CLI
(docs/design.md §2.9): what it would change first, then the withdrawal, refused twice,
without a reason, for an unknown hazard or while a release counts on it; afterwards the
hazard is in no list, file or collection, but on its page, withdrawn, with the reason; a
file that names it again is told why it cannot."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator

import pytest
from pyproj import Geod
from shapely.geometry import box, mapping
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ims.cli import app as cli_app
from ims.config import get_settings
from ims.db.recording import record_hazards, record_releases
from ims.domain.enums import HazardStatus, ReleaseMethod
from ims.domain.records import NewHazard, NewRelease
from tests.reports.test_report_changes import load_provinces_and_districts
from tests.utils import ClientAs

GEOD = Geod(ellps="WGS84")
SQUARE = box(102.20, 19.50, 102.21, 19.51)
BESIDE = box(102.21, 19.50, 102.22, 19.51)


def m2(geom: object) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0])


def recorded(session: Session) -> None:
    """HW-1, recorded again as HW-2 a year later; HW-3 beside them, with a release."""
    load_provinces_and_districts(session)
    record_hazards(
        session,
        [
            NewHazard("HW-1", HazardStatus.SHA, SQUARE, dt.date(2020, 1, 10)),
            NewHazard("HW-2", HazardStatus.SHA, SQUARE, dt.date(2021, 2, 1)),
            NewHazard("HW-3", HazardStatus.CHA, BESIDE, dt.date(2020, 1, 10)),
        ],
    )
    record_releases(
        session,
        [NewRelease("HW-R1", "HW-3", ReleaseMethod.CLEARED, dt.date(2021, 3, 1), BESIDE)],
    )


def _errors(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [f["message"] for f in response.json()["findings"] if f["severity"] == "error"]


def test_a_reviewer_sees_the_effect_then_withdraws_and_the_lists_follow(
    session: Session, client_as: ClientAs
) -> None:
    recorded(session)
    reviewer = client_as("reviewer")
    effect = reviewer.get("/api/v1/hazards/HW-2/withdrawal")
    assert effect.status_code == 200, effect.text
    body = effect.json()
    assert body["remaining_m2"] == pytest.approx(m2(SQUARE), abs=0.1)
    assert body["overlaps"] == ["HW-1"] and body["recorded"] == "2021-02-01"
    assert reviewer.get("/api/v1/hazards/HW-9/withdrawal").status_code == 404
    busy = reviewer.get("/api/v1/hazards/HW-3/withdrawal")
    assert busy.status_code == 409 and "HW-R1" in busy.json()["detail"]
    page = reviewer.get("/hazards/HW-2").text
    assert 'class="secondary small withdraw-hazard" data-kind="hazard" data-ref="HW-2"' in page

    assert reviewer.post("/api/v1/hazards/HW-2/withdrawal", json={"reason": ""}).status_code == 422
    done = reviewer.post("/api/v1/hazards/HW-2/withdrawal", json={"reason": "the same as HW-1"})
    assert done.status_code == 201, done.text
    again = reviewer.post("/api/v1/hazards/HW-2/withdrawal", json={"reason": "again"})
    assert again.status_code == 409 and "already withdrawn" in again.json()["detail"]

    listed = reviewer.get("/api/v1/hazards", params={"open": "false"}).json()
    assert sorted(f["properties"]["hazard_id"] for f in listed["features"]) == ["HW-1", "HW-3"]
    csv = reviewer.get("/api/v1/hazards.csv", params={"open": "false"}).text
    assert "HW-1" in csv and "HW-2" not in csv
    ogc = reviewer.get("/ogc/collections/hazards/items").json()
    assert "HW-2" not in [f["properties"]["hazard_id"] for f in ogc["features"]]
    national = reviewer.get("/api/v1/reports/article7", params={"year": 2021}).json()
    assert national["remaining"][-1]["total_area_m2"] == pytest.approx(m2(SQUARE), abs=0.5)

    one = reviewer.get("/api/v1/hazards/HW-2").json()
    assert one["withdrawn"]["reason"] == "the same as HW-1"
    assert one["figures"]["remaining_m2"] == 0 and one["closed"] is False
    page = reviewer.get("/hazards/HW-2").text
    assert 'id="hazard-status">withdrawn' in page
    assert 'id="hazard-withdrawn"' in page and "the same as HW-1" in page
    assert 'data-ref="HW-2"' not in page  # no second withdrawal offered
    assert 'id="record-links"' not in page  # nor a revision, nor a release


def test_the_register_lists_what_was_withdrawn_and_says_so_of_a_search_for_one(
    session: Session, client_as: ClientAs
) -> None:
    """A withdrawn hazard is in no register: searching its reference said "which the
    register does not hold on <date>: its page says when it was recorded", and nothing
    listed what had been withdrawn (a reviewer's question: what did we withdraw, and why?)."""
    recorded(session)
    reviewer = client_as("reviewer")
    register = reviewer.get("/hazards").text
    assert 'id="withdrawn-link"' not in register  # nothing withdrawn yet
    assert (
        reviewer.post(
            "/api/v1/releases/HW-R1/withdrawal", json={"reason": "sent for HW-9"}
        ).status_code
        == 201
    )
    assert (
        reviewer.post(
            "/api/v1/hazards/HW-2/withdrawal", json={"reason": "the same as HW-1"}
        ).status_code
        == 201
    )

    viewer = client_as("viewer")
    register = viewer.get("/hazards").text
    link = re.search(r'<p class="muted" id="withdrawn-link">(.*?)</p>', register, re.S)
    assert link, register
    said = " ".join(re.sub(r"<[^>]+>", "", link.group(1)).split())
    assert said == (
        "1 hazard and 1 release withdrawn as recorded in error are in no register, map or "
        "report: list them."
    )
    listed = viewer.get("/hazards", params={"withdrawn": "true"})
    assert listed.status_code == 200
    hazards = re.search(r'id="withdrawn-hazards">(.*?)</table>', listed.text, re.S)
    releases = re.search(r'id="withdrawn-releases">(.*?)</table>', listed.text, re.S)
    assert hazards and releases
    cells = [
        re.sub(r"<[^>]+>", "", c).strip()
        for c in re.findall(r"<td[^>]*>(.*?)</td>", hazards.group(1), re.S)
    ]
    assert cells[0] == "HW-2" and cells[2] == "2021-02-01" and cells[-1] == "the same as HW-1"
    assert '<a href="/hazards/HW-2">HW-2</a>' in hazards.group(1)
    cells = [
        re.sub(r"<[^>]+>", "", c).strip()
        for c in re.findall(r"<td[^>]*>(.*?)</td>", releases.group(1), re.S)
    ]
    assert cells[:4] == ["HW-R1", "HW-3", "cleared", "2021-03-01"]
    assert cells[-1] == "sent for HW-9"

    # a release's reference names its hazard, and whether it was withdrawn (the register
    # lists hazards: a search for a release had said "No hazard matches" and no more)
    for ref, withdrawn in (("hw-r1", True),):
        said = viewer.get("/hazards", params={"q": ref}).text
        line = re.search(r'<p id="search-release">(.*?)</p>', said, re.S)
        assert line and "release HW-R1, of 2021-03-01, on hazard" in line.group(1)
        assert '<a href="/hazards/HW-3">HW-3</a>' in line.group(1)
        assert ("withdrawn as recorded in error" in line.group(1)) is withdrawn
    found = viewer.get("/hazards", params={"q": "HW-2"}).text
    exact = re.search(r'<p id="search-exact">(.*?)</p>', found, re.S)
    assert exact and "withdrawn as recorded in error" in exact.group(1)
    assert "does not hold on" not in exact.group(1)


def test_a_hazards_page_offers_its_withdrawal_only_when_nothing_of_it_counts(
    session: Session, client_as: ClientAs
) -> None:
    """A reviewer opened "Withdraw this hazard…" on a hazard whose release counted, to be
    told in the dialog, in lower case, that it could not be (and the browser logged a
    409); a withdrawn hazard's page showed a timeline of "recorded +0" and a link to a map
    that does not show it (a first-time user's review)."""
    recorded(session)
    reviewer = client_as("reviewer")
    busy = reviewer.get("/hazards/HW-3").text
    line = re.search(r'<p id="withdraw-hazard-line">(.*?)</p>', busy, re.S)
    assert line and "1 release of it counts, to be withdrawn first" in line.group(1)
    assert 'data-kind="hazard"' not in busy
    assert 'data-kind="hazard" data-ref="HW-2"' in reviewer.get("/hazards/HW-2").text
    assert (
        reviewer.post(
            "/api/v1/hazards/HW-2/withdrawal", json={"reason": "the same as HW-1"}
        ).status_code
        == 201
    )
    gone = reviewer.get("/hazards/HW-2").text
    assert 'id="timeline-withdrawn"' in gone and 'class="timeline"' not in gone
    assert "on the national map" not in gone
    # its map draws the boundary it was recorded with, and its legend no remaining ground
    legend = re.search(r"data-layers='(.*?)'", gone, re.S)
    assert legend and "Remaining (" not in html.unescape(legend.group(1))
    assert "Remaining (SHA, dashed edge)" in html.unescape(reviewer.get("/hazards/HW-1").text)
    assert "on the national map" in reviewer.get("/hazards/HW-1").text


def test_a_mistyped_hazard_or_a_later_date_on_its_page_says_where_to_go(
    session: Session, client_as: ClientAs
) -> None:
    recorded(session)
    viewer = client_as("viewer")
    missing = viewer.get("/hazards/hw-1")
    assert missing.status_code == 404
    said = re.search(r'<p id="suggestions">(.*?)</p>', missing.text, re.S)
    assert said and '<a href="/hazards/HW-1">HW-1</a>' in said.group(1)
    later = viewer.get("/hazards/HW-1", params={"as_of": "2999-01-01"})
    assert later.status_code == 422
    assert '<a href="/hazards/HW-1" id="back">Back to hazard HW-1 as it is now</a>' in later.text


def test_the_hazard_json_lists_its_releases_withdrawn(
    session: Session, client_as: ClientAs
) -> None:
    recorded(session)
    reviewer = client_as("reviewer")
    reviewer.post("/api/v1/releases/HW-R1/withdrawal", json={"reason": "the wrong hazard"})
    one = reviewer.get("/api/v1/hazards/HW-3").json()
    [gone] = one["withdrawn_releases"]
    assert (gone["release"], gone["method"], gone["reason"]) == (
        "HW-R1",
        "cleared",
        "the wrong hazard",
    )
    assert one["withdrawn"] is None
    # and with its release withdrawn, the hazard itself may be
    assert reviewer.get("/api/v1/hazards/HW-3/withdrawal").status_code == 200


def test_its_own_columns_and_operator_leave_the_schema_and_the_choices(
    session: Session, client_as: ClientAs
) -> None:
    """QGIS takes a layer's fields from the OGC schema and the register offers the
    operators named: a withdrawn hazard's own column and operator are in neither."""
    load_provinces_and_districts(session)
    record_hazards(
        session,
        [
            NewHazard("HW-1", HazardStatus.SHA, SQUARE, dt.date(2020, 1, 10), operator="MAG"),
            NewHazard(
                "HW-2",
                HazardStatus.SHA,
                SQUARE,
                dt.date(2021, 2, 1),
                operator="Legacy register",
                attributes={"legacy_code": "LX-17"},
            ),
        ],
    )
    reviewer = client_as("reviewer")

    def fields() -> set[str]:
        schema = reviewer.get("/ogc/collections/hazards/schema")
        assert schema.status_code == 200, schema.text
        return set(schema.json()["properties"])

    def operators() -> list[str]:
        page = reviewer.get("/hazards").text
        choice = page.split('<select name="operator">')[1].split("</select>")[0]
        return re.findall(r"<option[^>]*>([^<]*)</option>", choice)

    assert "legacy_code" in fields() and "Legacy register" in operators()
    done = reviewer.post("/api/v1/hazards/HW-2/withdrawal", json={"reason": "the same as HW-1"})
    assert done.status_code == 201, done.text
    assert "legacy_code" not in fields()
    assert "Legacy register" not in operators() and "MAG" in operators()


def test_an_operator_is_offered_no_withdrawal_and_is_refused_one(
    session: Session, client_as: ClientAs
) -> None:
    recorded(session)
    operator = client_as("operator")
    assert "withdraw-hazard" not in operator.get("/hazards/HW-2").text
    assert operator.get("/api/v1/hazards/HW-2/withdrawal").status_code == 403
    refused = operator.post("/api/v1/hazards/HW-2/withdrawal", json={"reason": "mine"})
    assert refused.status_code == 403
    assert session.scalar(text("SELECT count(*) FROM hazard_withdrawal")) == 0


def test_records_that_name_a_withdrawn_hazard_are_told_why_they_cannot(
    session: Session, client_as: ClientAs
) -> None:
    recorded(session)
    client_as("reviewer").post("/api/v1/hazards/HW-2/withdrawal", json={"reason": "twice"})
    operator = client_as("operator")
    again = operator.post(
        "/api/v1/hazards",
        json={
            "type": "Feature",
            "geometry": mapping(SQUARE),
            "properties": {"hazard_id": "HW-2", "status": "SHA", "recorded": "2021-02-01"},
        },
    )
    assert again.status_code == 201, again.text
    assert any("withdrawn" in m and "new hazard_id" in m for m in _errors(again))
    revised = operator.post(
        "/api/v1/hazards/HW-2/revisions",
        json={
            "type": "Feature",
            "geometry": None,
            "properties": {"revised": "2022-01-01", "status": "CHA", "reason": "survey"},
        },
    )
    assert revised.status_code == 201, revised.text
    assert any("withdrawn as recorded in error and is not revised" in m for m in _errors(revised))
    release = operator.post(
        "/api/v1/releases",
        json={
            "type": "Feature",
            "geometry": mapping(SQUARE),
            "properties": {
                "release_id": "HW-R9",
                "hazard_id": "HW-2",
                "method": "cancelled",
                "released": "2022-01-01",
            },
        },
    )
    assert release.status_code == 201, release.text
    assert any("withdrawn" in m and "hazard that stays" in m for m in _errors(release))


def test_its_sender_is_told_on_the_submission_page(session: Session, client_as: ClientAs) -> None:
    load_provinces_and_districts(session)
    operator = client_as("operator")
    sent = operator.post(
        "/api/v1/hazards",
        json={
            "type": "Feature",
            "geometry": mapping(SQUARE),
            "properties": {"hazard_id": "HW-SENT", "status": "SHA", "recorded": "2021-02-01"},
        },
    )
    assert sent.status_code == 201, sent.text
    submission = sent.json()["id"]
    reviewer = client_as("reviewer")
    approved = reviewer.post(f"/api/v1/submissions/{submission}/approve", json={})
    assert approved.status_code == 200, approved.text
    reviewer.post("/api/v1/hazards/HW-SENT/withdrawal", json={"reason": "recorded twice"})
    page = operator.get(f"/submissions/{submission}").text
    assert 'id="withdrawn-hazards"' in page and "recorded twice" in page


@pytest.fixture
def ims(committed_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("IMS_DATABASE_URL", committed_engine.url.render_as_string(False))
    get_settings.cache_clear()
    with Session(committed_engine) as session:
        recorded(session)
        session.commit()
    yield CliRunner()
    get_settings.cache_clear()


def test_the_cli_says_what_a_hazard_withdrawal_changes_and_does_it_only_with_a_reason(
    ims: CliRunner, committed_engine: Engine
) -> None:
    dry = ims.invoke(cli_app, ["hazards", "withdraw", "HW-2", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would withdraw:" in dry.output and "shares ground with HW-1" in dry.output
    no_reason = ims.invoke(cli_app, ["hazards", "withdraw", "HW-2"])
    assert no_reason.exit_code != 0
    assert "--reason" in no_reason.output and "Traceback" not in no_reason.output
    busy = ims.invoke(cli_app, ["hazards", "withdraw", "HW-3", "--reason", "twice"])
    assert busy.exit_code != 0 and "HW-R1" in busy.output and "Traceback" not in busy.output
    done = ims.invoke(cli_app, ["hazards", "withdraw", "HW-2", "--reason", "the same as HW-1"])
    assert done.exit_code == 0, done.output
    assert done.output.startswith("withdrawn:")
    with committed_engine.connect() as conn:
        actor = conn.scalar(text("SELECT actor FROM audit_event WHERE action = 'hazard.withdrawn'"))
    assert actor is not None and actor.startswith("cli:")
