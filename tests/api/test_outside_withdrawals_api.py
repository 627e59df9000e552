"""Withdrawing land released outside recorded hazards approved in error, through the API,
the pages and the CLI: what it changes first, then the withdrawal, reviewers only, with a
reason and a tick; afterwards it is listed as withdrawn, off the map and out of Form 1(i);
a file withdrawn takes its records with it."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ims.cli import app as cli_app
from ims.config import get_settings
from ims.db.recording import record_hazards, record_outside_releases
from ims.domain.enums import HazardStatus, ReleaseMethod
from ims.domain.records import NewHazard, NewOutsideRelease
from ims.ingest import approval, submissions
from tests.api.test_submission_withdrawals_api import approved_file
from tests.db.test_submission_withdrawals import SQUARE, geodesic_m2
from tests.ingest.test_submissions import write_zip
from tests.reports.test_report_changes import load_provinces_and_districts
from tests.utils import ClientAs

CLEARED = ReleaseMethod.CLEARED
DAY = "2021-03-01"
AWAY = box(102.40, 19.50, 102.401, 19.501)
AWAY_TOO = box(102.42, 19.50, 102.421, 19.501)


def record_outside(session: Session, submission_id: int | None = None) -> None:
    record_outside_releases(
        session,
        [
            NewOutsideRelease("OW-1", CLEARED, dt.date(2021, 5, 1), AWAY, items={"BLU-26": 2}),
            NewOutsideRelease("OW-2", CLEARED, dt.date(2021, 6, 1), AWAY_TOO, items={"BLU-26": 3}),
        ],
        submission_id=submission_id,
    )


def test_a_reviewer_sees_what_withdrawing_a_record_changes_then_withdraws_it(
    session: Session, client_as: ClientAs
) -> None:
    load_provinces_and_districts(session)
    record_outside(session)
    reviewer = client_as("reviewer")
    listed = reviewer.get("/releases/outside?year=2021").text
    assert 'href="/releases/outside/OW-1/withdraw"' in listed
    # a link cannot make the page say a record was withdrawn, or made a hazard, when not
    # the year's box sent empty lists every year (it had answered 422); a word is refused
    assert reviewer.get("/releases/outside?year=").status_code == 200
    assert reviewer.get("/releases/outside?year=soon").status_code == 422
    forged = reviewer.get("/releases/outside?year=2021&withdrawn=OW-1&made=H-FAKE").text
    assert 'id="outside-withdrawn"' not in forged and "H-FAKE" not in forged
    effect = reviewer.get("/api/v1/outside-releases/OW-1/withdrawal")
    assert effect.status_code == 200, effect.text
    assert effect.json()["area_m2"] == pytest.approx(geodesic_m2(AWAY), abs=0.1)
    assert effect.json()["years"] == [2021]
    asked = reviewer.get("/releases/outside/OW-1/withdraw")
    assert asked.status_code == 200
    assert "count in Form 1(i) of 2021" in html.unescape(asked.text)
    assert 'name="csrf_token"' in asked.text and 'id="withdraw-sure"' in asked.text
    # without the tick, or a reason, nothing happens; the form says why and keeps the reason
    unsure = reviewer.post("/releases/outside/OW-1/withdraw", data={"reason": "twice"})
    assert unsure.status_code == 422 and 'tick "yes"' in html.unescape(unsure.text)
    assert ">twice</textarea>" in unsure.text
    blank = reviewer.post("/releases/outside/OW-1/withdraw", data={"sure": "yes"})
    assert blank.status_code == 422 and "needs a reason" in blank.text
    assert session.scalar(text("SELECT count(*) FROM outside_release_withdrawal")) == 0
    done = reviewer.post(
        "/releases/outside/OW-1/withdraw",
        data={"reason": "the same clearance as OW-2", "sure": "yes"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/releases/outside?year=2021&withdrawn=OW-1#outside"
    shown = reviewer.get(done.headers["location"]).text
    assert 'id="outside-withdrawn"' in shown and "the same clearance as OW-2" in shown
    assert shown.count('<span class="badge withdrawn">withdrawn</span>') == 1
    assert 'href="/releases/outside/OW-1/withdraw"' not in shown
    assert shown.count('href="/map#16/') == 1  # the map no longer draws it: no link there
    # the API lists it with --all only, and says why
    api = reviewer.get("/api/v1/outside-releases").json()
    assert [r["reference"] for r in api] == ["OW-2"]
    assert api[0]["items"] == {"BLU-26": 3}  # what it destroyed, in Form 1(i)
    assert "BLU-26&nbsp;3" in shown
    # its items left Form 1(i) with it: OW-2's 3 remain of 5
    destroyed = reviewer.get("/api/v1/reports/article7?year=2021").json()["released"][-1]
    assert {i["type"]: i["quantity"] for i in destroyed["destroyed"]} == {"BLU-26": 3}
    every = reviewer.get("/api/v1/outside-releases?all=true").json()
    [gone] = [r for r in every if r["reference"] == "OW-1"]
    assert gone["withdrawn"]["reason"] == "the same clearance as OW-2"
    # Form 1(i) of 2021 holds OW-2 alone
    report = reviewer.get("/api/v1/reports/article7?year=2021").json()
    outside = report["released"][-1]["released_outside_hazards_m2"]
    assert outside == pytest.approx(geodesic_m2(AWAY_TOO), abs=0.1)
    # the register's list of records withdrawn names it, of no hazard
    withdrawn = reviewer.get("/hazards?withdrawn=true").text
    assert "OW-1" in withdrawn and "outside recorded hazards" in withdrawn
    again = reviewer.post("/api/v1/outside-releases/OW-1/withdrawal", json={"reason": "x"})
    assert again.status_code == 409 and "already withdrawn" in again.json()["detail"]
    twice = reviewer.get("/releases/outside/OW-1/withdraw")
    assert twice.status_code == 409 and 'href="/releases/outside?year=2021#outside"' in twice.text
    missing = reviewer.get("/releases/outside/NOPE/withdraw")
    assert missing.status_code == 404


def test_a_viewer_sees_a_withdrawn_record_without_a_link_to_the_reviewers_list(
    session: Session, client_as: ClientAs
) -> None:
    load_provinces_and_districts(session)
    record_outside(session)
    client_as("reviewer").post(
        "/api/v1/outside-releases/OW-1/withdrawal", json={"reason": "sent twice"}
    )
    page = client_as("viewer").get("/hazards?withdrawn=true").text
    assert "OW-1" in page and 'href="/releases/outside' not in page


def test_a_file_withdrawn_on_its_page_takes_its_records_outside_hazards_with_it(
    session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    sid = approved_file(session, tmp_path)
    record_outside(session, submission_id=sid)
    reviewer = client_as("reviewer")
    assert "Withdraw the 4 releases it recorded" in reviewer.get(f"/submissions/{sid}").text
    asked = html.unescape(reviewer.get(f"/submissions/{sid}/withdraw-releases").text)
    assert "2 records of land released outside recorded hazards" in asked
    assert "WS-R1, WS-R2, OW-1, OW-2" in asked and "Withdraw 4 releases" in asked
    effect = reviewer.get(f"/api/v1/submissions/{sid}/releases-withdrawal").json()
    want = geodesic_m2(AWAY) + geodesic_m2(AWAY_TOO)
    assert effect["outside"] == 2 and effect["outside_m2"] == pytest.approx(want, abs=0.1)
    assert 'name="expected" value="4"' in asked
    # one of them withdrawn alone meanwhile: the form shown for 4 is not done for 3
    reviewer.post("/api/v1/outside-releases/OW-2/withdrawal", json={"reason": "alone"})
    stale = reviewer.post(
        f"/submissions/{sid}/withdraw-releases",
        data={"reason": "the file, sent twice", "sure": "yes", "expected": "4"},
        follow_redirects=False,
    )
    assert stale.status_code == 422
    said = html.unescape(stale.text)
    assert "the file changed since this page was shown: 4 releases in force then, 3 now" in said
    assert 'name="expected" value="3"' in said and ">the file, sent twice</textarea>" in said
    done = reviewer.post(
        f"/submissions/{sid}/withdraw-releases",
        data={"reason": "the file, sent twice", "sure": "yes", "expected": "3"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    shown = reviewer.get(f"/submissions/{sid}").text
    assert "4 releases of it were" in shown and "3 releases together" in shown
    assert "4 releases withdrawn since" in reviewer.get("/submissions").text
    assert reviewer.get("/api/v1/outside-releases").json() == []


def test_the_command_line_withdraws_a_record_by_its_reference(
    committed_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMS_DATABASE_URL", committed_engine.url.render_as_string(False))
    get_settings.cache_clear()
    with Session(committed_engine) as own, own.begin():
        load_provinces_and_districts(own)
        record_outside(own)
    runner = CliRunner()
    try:
        dry = runner.invoke(cli_app, ["releases", "withdraw", "OW-1", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "would withdraw:" in dry.output and "Form 1(i) of 2021" in dry.output
        bare = runner.invoke(cli_app, ["releases", "withdraw", "OW-1"])
        assert bare.exit_code != 0 and "--reason" in bare.output
        done = runner.invoke(cli_app, ["releases", "withdraw", "OW-1", "--reason", "sent twice"])
        assert done.exit_code == 0, done.output
        assert "withdrawn:" in done.output
        listed = runner.invoke(cli_app, ["releases", "outside", "--all"])
        assert "OW-1" in listed.output and "(withdrawn " in listed.output
        assert "sent twice" in listed.output
    finally:
        get_settings.cache_clear()


def test_the_part_of_a_release_outside_hazards_withdrawn_is_marked_beside_its_hazard(
    session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    """A release naming no hazard, half on one and half outside every hazard, is recorded
    in two parts; its outside part withdrawn had shown no mark on the submission's page."""
    load_provinces_and_districts(session)
    record_hazards(session, [NewHazard("SP-1", HazardStatus.SHA, SQUARE, dt.date(2020, 1, 1))])
    astride = box(102.205, 19.50, 102.215, 19.51)  # half in SQUARE, half east of it
    frame = gpd.GeoDataFrame(
        [{"release_id": "SP-R1", "hazard_id": None, "method": "cleared", "released": DAY}],
        geometry=[astride],
        crs=4326,
    )
    staged = submissions.stage(session, write_zip(frame, tmp_path, "releases"), kind="releases")
    assert staged.errors == 0, staged.findings
    approval.approve(session, staged.submission.id, by="tests")
    parts = session.scalars(text("SELECT reference FROM outside_release")).all()
    assert parts == ["SP-R1#outside"]
    reviewer = client_as("reviewer")
    done = reviewer.post(
        "/api/v1/outside-releases/SP-R1%23outside/withdrawal", json={"reason": "x"}
    )
    assert done.status_code == 201, done.text
    page = reviewer.get(f"/submissions/{staged.submission.id}").text
    assert 'its part outside hazards</span> <span class="badge withdrawn">withdrawn' in page


def test_a_hazard_made_from_outside_land_says_so_not_among_the_files_columns(
    session: Session, client_as: ClientAs
) -> None:
    """Its page listed `made_from_outside_release` under "Columns of the operator's file
    ... kept as they came", a note ims had made (a review as an IM officer)."""
    load_provinces_and_districts(session)
    record_outside(session)
    approval.convert_outside(session, "OW-2", hazard_reference="H-RETRO", status=HazardStatus.SHA)
    page = client_as("reviewer").get("/hazards/H-RETRO").text
    assert 'id="made-from-outside"' in page and "OW-2" in page
    assert "made_from_outside_release" not in page and 'id="attributes"' not in page
    assert 'href="/releases/outside#outside"' in page
    viewer = client_as("viewer").get("/hazards/H-RETRO").text
    assert 'id="made-from-outside"' in viewer and "/releases/outside" not in viewer


def test_a_hazard_made_from_outside_land_by_mistake_withdrawn_gives_it_back_its_count(
    session: Session, client_as: ClientAs
) -> None:
    """The hazard's withdrawal says first that the record counts again; then the list of
    such land shows it counted again, with "Withdraw…", and the API marks it."""
    load_provinces_and_districts(session)
    record_outside(session)
    approval.convert_outside(session, "OW-2", hazard_reference="H-OOPS", status=HazardStatus.SHA)
    reviewer = client_as("reviewer")
    made = html.unescape(reviewer.get("/releases/outside?year=2021").text)
    assert 'href="/hazards/H-OOPS"' in made and "counted here again" not in made
    assert 'href="/releases/outside/OW-2/withdraw"' not in made
    approval.withdraw_release(session, "OW-2", reason="made a hazard by mistake", by="tests")
    effect = reviewer.get("/api/v1/hazards/H-OOPS/withdrawal").json()
    assert effect["made_from_outside"] == "OW-2" and effect["outside_released"] == "2021-06-01"
    assert effect["outside_m2"] == pytest.approx(geodesic_m2(AWAY_TOO), abs=0.1)
    done = reviewer.post("/api/v1/hazards/H-OOPS/withdrawal", json={"reason": "by mistake"})
    assert done.status_code == 201, done.text
    listed = html.unescape(reviewer.get("/releases/outside?year=2021").text)
    assert "withdrawn since as recorded in error: counted here again" in listed
    assert 'href="/releases/outside/OW-2/withdraw"' in listed
    [api] = [
        r
        for r in reviewer.get("/api/v1/outside-releases?year=2021").json()
        if r["reference"] == "OW-2"
    ]
    assert api["made_into"] == "H-OOPS" and api["made_into_withdrawn"] is True
    page = reviewer.get("/hazards/H-OOPS").text
    assert "gave that record back its count apart" in page
    asked = reviewer.get("/releases/outside/OW-2/withdraw")
    said = html.unescape(asked.text)
    assert asked.status_code == 200 and "count in Form 1(i) of 2021" in said
    assert "made into hazard" in said and "is not made into a hazard twice" in said
    assert "make it a hazard</a> instead" not in said


def test_the_command_line_withdraws_a_record_counted_again_by_its_reference(
    committed_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its reference is also the withdrawn release of the hazard made of it: `ims
    releases withdraw` answered that the release was already withdrawn (an attack on our
    own instance), though the hazard's withdrawal says to withdraw the record too."""
    monkeypatch.setenv("IMS_DATABASE_URL", committed_engine.url.render_as_string(False))
    get_settings.cache_clear()
    with Session(committed_engine) as own, own.begin():
        load_provinces_and_districts(own)
        record_outside(own)
        approval.convert_outside(own, "OW-2", hazard_reference="H-OOPS", status=HazardStatus.SHA)
        approval.withdraw_release(own, "OW-2", reason="made a hazard by mistake", by="tests")
    runner = CliRunner()
    try:
        made = runner.invoke(cli_app, ["releases", "withdraw", "OW-2", "--dry-run"])
        assert made.exit_code != 0 and "already withdrawn" in made.output  # the hazard stands
        gone = runner.invoke(cli_app, ["hazards", "withdraw", "H-OOPS", "--reason", "mistake"])
        assert gone.exit_code == 0, gone.output
        assert "OW-2: that record counts again in Form 1(i) of 2021" in " ".join(
            gone.output.split()
        )
        dry = runner.invoke(cli_app, ["releases", "withdraw", "OW-2", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "would withdraw:" in dry.output and "Form 1(i) of 2021" in dry.output
        done = runner.invoke(cli_app, ["releases", "withdraw", "OW-2", "--reason", "typed wrong"])
        assert done.exit_code == 0, done.output
        with Session(committed_engine) as own:
            assert own.scalar(text("SELECT count(*) FROM outside_release_counted")) == 1
    finally:
        get_settings.cache_clear()


def test_a_file_withdrawn_says_which_of_its_records_a_hazard_made_of_them_still_counts(
    session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    """Its page said nothing counted the records withdrawn with it, while the release of a
    hazard a reviewer had made of one still counted its land (a review of our change)."""
    sid = approved_file(session, tmp_path)
    record_outside(session, submission_id=sid)
    approval.convert_outside(session, "OW-2", hazard_reference="H-MADE", status=HazardStatus.SHA)
    reviewer = client_as("reviewer")
    asked = " ".join(
        html.unescape(reviewer.get(f"/submissions/{sid}/withdraw-releases").text).split()
    )
    assert "made into a hazard (OW-2) is withdrawn with it" in asked
    assert "the hazard stays, and its release counts the land as released" in asked
    done = reviewer.post(
        f"/submissions/{sid}/withdraw-releases",
        data={"reason": "the file, sent twice", "sure": "yes", "expected": "3"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    shown = " ".join(html.unescape(reviewer.get(f"/submissions/{sid}").text).split())
    assert (
        'but for the land of 1 record a reviewer had made into a hazard (<a href="/hazards/H-MADE">'
        in shown
    )
    assert 'OW-2 (made into hazard <a href="/hazards/H-MADE">H-MADE</a>, which counts it)' in shown


def test_making_a_hazard_on_the_page_says_what_is_left_apart_or_why_not(
    session: Session, client_as: ClientAs
) -> None:
    # the refusal had come on a page leading back to the dashboard; what a neighbour's
    # strip leaves out of the hazard was said nowhere (a look at our own change)
    load_provinces_and_districts(session)
    strip = box(102.4009, 19.50, 102.4019, 19.501)  # a tenth of AWAY's width over it
    record_outside_releases(
        session,
        [
            NewOutsideRelease("N-1", CLEARED, dt.date(2021, 5, 1), AWAY),
            NewOutsideRelease("N-2", CLEARED, dt.date(2021, 5, 2), AWAY),
            NewOutsideRelease("N-3", CLEARED, dt.date(2021, 6, 1), strip),
        ],
    )
    reviewer = client_as("reviewer")
    refused = reviewer.post("/releases/outside/N-2/hazard", data={"hazard_id": "H-N2"})
    assert refused.status_code == 409
    page = html.unescape(refused.text)
    assert "N-2 is not made a hazard" in page and "same land recorded twice" in page
    assert 'href="/releases/outside"' in refused.text
    made = reviewer.post(
        "/releases/outside/N-3/hazard", data={"hazard_id": "H-N3"}, follow_redirects=False
    )
    assert made.status_code == 303 and "left_apart=" in made.headers["location"]
    shared = geodesic_m2(strip.intersection(AWAY))
    listed = html.unescape(reviewer.get(made.headers["location"]).text)
    assert f"The {shared:,.0f} m² it shared with other records here is left out of it" in listed
