"""Withdrawing a release through the API, the hazard's page and the CLI (docs/design.md
§2.8): what it would change first, then the withdrawal, refused twice, without a reason or
for an unknown release; afterwards the release is in no list, file or collection, but on
its hazard's page, withdrawn, with the reason."""

from __future__ import annotations

import datetime as dt
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
HALF = box(102.20, 19.50, 102.205, 19.51)


def m2(geom: object) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0])


def recorded(session: Session) -> None:
    load_provinces_and_districts(session)
    record_hazards(session, [NewHazard("WD-1", HazardStatus.SHA, SQUARE, dt.date(2020, 1, 10))])
    record_releases(
        session,
        [
            NewRelease(
                "WD-R1", "WD-1", ReleaseMethod.CLEARED, dt.date(2021, 3, 1), HALF,
                items={"BLU-26": 4},
            ),
            NewRelease("WD-R2", "WD-1", ReleaseMethod.CLEARED, dt.date(2021, 3, 2), HALF),
        ],
    )  # fmt: skip


def test_a_reviewer_sees_the_effect_then_withdraws_and_the_lists_follow(
    session: Session, client_as: ClientAs
) -> None:
    recorded(session)
    reviewer = client_as("reviewer")
    effect = reviewer.get("/api/v1/releases/WD-R1/withdrawal")
    assert effect.status_code == 200, effect.text
    body = effect.json()
    assert body["counted_m2"] == pytest.approx(m2(HALF), abs=0.1)
    assert body["items"] == {"BLU-26": 4}
    assert [r["release"] for r in body["recounted"]] == ["WD-R2"]
    assert body["recounted"][0]["counted_after_m2"] == pytest.approx(m2(HALF), abs=0.1)

    refused = reviewer.post("/api/v1/releases/WD-R1/withdrawal", json={"reason": ""})
    assert refused.status_code == 422
    done = reviewer.post("/api/v1/releases/WD-R1/withdrawal", json={"reason": "sent twice"})
    assert done.status_code == 201, done.text
    assert done.json()["remaining_after_m2"] == pytest.approx(m2(SQUARE) - m2(HALF), abs=0.1)
    again = reviewer.post("/api/v1/releases/WD-R1/withdrawal", json={"reason": "again"})
    assert again.status_code == 409
    assert "already withdrawn" in again.json()["detail"]
    unknown = reviewer.get("/api/v1/releases/WD-R9/withdrawal")
    assert unknown.status_code == 404

    listed = reviewer.get("/api/v1/releases", params={"hazard_id": "WD-1"}).json()
    assert [f["properties"]["release_id"] for f in listed["features"]] == ["WD-R2"]
    assert listed["features"][0]["properties"]["area_m2"] == pytest.approx(m2(HALF), abs=0.1)
    ogc = reviewer.get("/ogc/collections/releases/items").json()
    assert [f["properties"]["release_id"] for f in ogc["features"]] == ["WD-R2"]
    csv = reviewer.get("/api/v1/releases.csv", params={"hazard_id": "WD-1"}).text
    assert "WD-R2" in csv and "WD-R1" not in csv

    page = reviewer.get("/hazards/WD-1").text
    assert 'class="badge withdrawn"' in page
    assert "WD-R1: sent twice" in page
    assert 'data-ref="WD-R1"' not in page  # no second withdrawal offered
    assert 'data-ref="WD-R2"' in page


def test_an_operator_is_offered_no_withdrawal_and_is_refused_one(
    session: Session, client_as: ClientAs
) -> None:
    recorded(session)
    operator = client_as("operator")
    assert 'data-ref="WD-R1"' not in operator.get("/hazards/WD-1").text
    refused = operator.post("/api/v1/releases/WD-R1/withdrawal", json={"reason": "mine"})
    assert refused.status_code == 403
    assert session.scalar(text("SELECT count(*) FROM release_withdrawal")) == 0


@pytest.fixture
def ims(committed_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("IMS_DATABASE_URL", committed_engine.url.render_as_string(False))
    get_settings.cache_clear()
    with Session(committed_engine) as session:
        recorded(session)
        session.commit()
    yield CliRunner()
    get_settings.cache_clear()


def test_the_cli_says_what_a_withdrawal_changes_and_does_it_only_with_a_reason(
    ims: CliRunner, committed_engine: Engine
) -> None:
    dry = ims.invoke(cli_app, ["releases", "withdraw", "WD-R1", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would withdraw:" in dry.output
    assert "WD-R2 (2021-03-02) counts" in dry.output
    no_reason = ims.invoke(cli_app, ["releases", "withdraw", "WD-R1"])
    assert no_reason.exit_code != 0
    assert "--reason" in no_reason.output and "Traceback" not in no_reason.output
    done = ims.invoke(cli_app, ["releases", "withdraw", "WD-R1", "--reason", "sent twice"])
    assert done.exit_code == 0, done.output
    assert done.output.startswith("withdrawn:")
    twice = ims.invoke(cli_app, ["releases", "withdraw", "WD-R1", "--reason", "again"])
    assert twice.exit_code != 0 and "already withdrawn" in twice.output
    with committed_engine.connect() as conn:
        actor = conn.scalar(
            text("SELECT actor FROM audit_event WHERE action = 'release.withdrawn'")
        )
    assert actor is not None and actor.startswith("cli:")


def test_a_corrected_release_sent_under_the_withdrawn_reference_is_told_to_take_a_new_one(
    session: Session, client_as: ClientAs
) -> None:
    recorded(session)
    reviewer = client_as("reviewer")
    reviewer.post("/api/v1/releases/WD-R1/withdrawal", json={"reason": "the wrong polygon"})
    feature = {
        "type": "Feature",
        "geometry": mapping(box(102.205, 19.50, 102.21, 19.51)),
        "properties": {
            "release_id": "WD-R1",
            "hazard_id": "WD-1",
            "method": "cleared",
            "released": "2021-03-01",
        },
    }
    sent = client_as("operator").post("/api/v1/releases", json=feature)
    assert sent.status_code == 201, sent.text
    messages = [f["message"] for f in sent.json()["findings"] if f["severity"] == "error"]
    assert any("withdrawn as recorded in error" in m and "new release_id" in m for m in messages)
