"""Withdrawing every release of an approved submission (a file approved in error) through
the API, the submission's pages and the CLI: what it changes first, then the withdrawal,
reviewers only, with a reason and a tick; afterwards the submission's page lists them as
withdrawn together."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ims.cli import app as cli_app
from ims.config import get_settings
from ims.db.recording import record_hazards
from ims.domain.enums import HazardStatus, ReleaseMethod
from ims.domain.records import NewHazard
from ims.ingest import approval, submissions
from tests.db.test_submission_withdrawals import HALF, OTHER, SQUARE, geodesic_m2
from tests.ingest.test_submissions import write_zip
from tests.reports.test_report_changes import load_provinces_and_districts
from tests.utils import ClientAs

CLEARED = ReleaseMethod.CLEARED


def approved_file(session: Session, folder: Path, organisation: str | None = None) -> int:
    """Two hazards recorded, and a file of a release on each, uploaded and approved."""
    load_provinces_and_districts(session)
    record_hazards(
        session,
        [
            NewHazard("WS-1", HazardStatus.SHA, SQUARE, dt.date(2020, 1, 10)),
            NewHazard("WS-2", HazardStatus.CHA, OTHER, dt.date(2020, 1, 10)),
        ],
    )
    frame = gpd.GeoDataFrame(
        [
            {"release_id": ref, "hazard_id": on, "method": "cleared", "released": day}
            for ref, on, day in (("WS-R1", "WS-1", "2021-03-01"), ("WS-R2", "WS-2", "2021-04-01"))
        ],
        geometry=[HALF, OTHER],
        crs=4326,
    )  # fmt: skip
    staged = submissions.stage(
        session, write_zip(frame, folder, "releases"), kind="releases", organisation=organisation
    )
    assert staged.errors == 0, staged.findings
    approval.approve(session, staged.submission.id, by="tests")
    return staged.submission.id


def test_a_reviewer_sees_what_withdrawing_a_file_changes_then_withdraws_it(
    session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    sid = approved_file(session, tmp_path)
    reviewer = client_as("reviewer")
    page = reviewer.get(f"/submissions/{sid}").text
    assert (
        f'href="/submissions/{sid}/withdraw-releases">Withdraw the 2 releases it recorded' in page
    )
    effect = reviewer.get(f"/api/v1/submissions/{sid}/releases-withdrawal")
    assert effect.status_code == 200, effect.text
    assert effect.json()["releases"] == 2 and effect.json()["hazards"] == 2
    want = geodesic_m2(HALF) + geodesic_m2(OTHER)
    assert effect.json()["counted_m2"] == pytest.approx(want, abs=0.1)
    asked = reviewer.get(f"/submissions/{sid}/withdraw-releases")
    assert asked.status_code == 200
    assert "2 releases of submission" in asked.text and "WS-R1, WS-R2" in asked.text
    assert 'name="csrf_token"' in asked.text and 'id="withdraw-sure"' in asked.text
    # without the tick, or without a reason, nothing happens, and the page says why
    unsure = reviewer.post(f"/submissions/{sid}/withdraw-releases", data={"reason": "twice"})
    assert unsure.status_code == 422 and 'tick "yes"' in html.unescape(unsure.text)
    # said on the form, the reason typed kept (an error page's way back had lost it)
    assert 'id="withdraw-error"' in unsure.text and ">twice</textarea>" in unsure.text
    blank = reviewer.post(f"/submissions/{sid}/withdraw-releases", data={"sure": "yes"})
    assert blank.status_code == 422 and "needs a reason" in blank.text
    assert session.scalar(text("SELECT count(*) FROM release_withdrawal")) == 0
    done = reviewer.post(
        f"/submissions/{sid}/withdraw-releases",
        data={"reason": "the 2021 file, sent again", "sure": "yes"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/submissions/{sid}#withdrawn-releases"
    shown = reviewer.get(f"/submissions/{sid}").text
    assert "2 releases of it were" in shown and "2 releases together" in shown
    assert "the 2021 file, sent again" in shown and "withdraw-releases-link" not in shown
    listed = reviewer.get("/submissions").text
    assert "2 releases withdrawn since" in listed
    # one row on the register's list of records withdrawn (a file of 1,050 had been 1,050)
    register = reviewer.get("/hazards?withdrawn=true").text
    assert register.count('class="together"') == 1
    assert f'2 releases together, of <a href="/submissions/{sid}">' in register
    assert "WS-R1, WS-R2" in register and "2 hazards" in register
    # each feature's hazard, marked withdrawn beside it
    assert shown.count('<span class="badge withdrawn">withdrawn</span>') == 2
    again = reviewer.post(
        f"/api/v1/submissions/{sid}/releases-withdrawal", json={"reason": "again"}
    )
    assert again.status_code == 409 and "withdrawn already" in again.json()["detail"]
    gone = reviewer.get(f"/submissions/{sid}/withdraw-releases")
    assert gone.status_code == 409 and f'href="/submissions/{sid}" id="back"' in gone.text
    missing = reviewer.get("/submissions/999999/withdraw-releases")
    assert missing.status_code == 404 and 'id="back"' not in missing.text
    listed = reviewer.get("/api/v1/releases").json()
    assert listed["features"] == []


def test_an_operator_is_offered_no_file_withdrawal_and_is_refused_one(
    session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    sid = approved_file(session, tmp_path)
    operator = client_as("operator")
    assert operator.get(f"/api/v1/submissions/{sid}/releases-withdrawal").status_code == 403
    refused = operator.post(f"/api/v1/submissions/{sid}/releases-withdrawal", json={"reason": "x"})
    assert refused.status_code == 403
    assert operator.get(f"/submissions/{sid}/withdraw-releases").status_code == 403
    assert session.scalar(text("SELECT count(*) FROM release_withdrawal")) == 0


@pytest.fixture
def ims(
    committed_engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[tuple[CliRunner, int]]:
    monkeypatch.setenv("IMS_DATABASE_URL", committed_engine.url.render_as_string(False))
    get_settings.cache_clear()
    with Session(committed_engine) as session:
        sid = approved_file(session, tmp_path)
        session.commit()
    yield CliRunner(), sid
    get_settings.cache_clear()


def test_the_cli_says_what_withdrawing_a_file_changes_and_does_it_only_with_a_reason(
    ims: tuple[CliRunner, int], committed_engine: Engine
) -> None:
    runner, sid = ims
    dry = runner.invoke(cli_app, ["submissions", "withdraw-releases", str(sid), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output.startswith("would withdraw:\n2 releases of submission")
    no_reason = runner.invoke(cli_app, ["submissions", "withdraw-releases", str(sid)])
    assert no_reason.exit_code != 0
    assert "--reason" in no_reason.output and "Traceback" not in no_reason.output
    done = runner.invoke(
        cli_app, ["submissions", "withdraw-releases", str(sid), "--reason", "sent twice"]
    )
    assert done.exit_code == 0, done.output
    assert "withdrawn:" in done.output and "count nothing" in done.output
    with committed_engine.connect() as conn:
        actions = conn.scalars(
            text("SELECT action FROM audit_event WHERE submission_id = :s ORDER BY id"),
            {"s": sid},
        ).all()
    assert actions[-3:] == [
        "release.withdrawn",
        "release.withdrawn",
        "submission.releases_withdrawn",
    ]


def test_an_operator_finds_its_own_files_withdrawal_linked_and_no_others(
    session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    """The list of records withdrawn named an operator's own file without a link to it."""
    sid = approved_file(session, tmp_path, organisation="Test operator")
    approval.withdraw_submission_releases(session, sid, reason="sent twice", by="tests")
    link = f'<a href="/submissions/{sid}">submission {sid}</a>'
    assert link in client_as("operator").get("/hazards?withdrawn=true").text
    other = client_as("operator", organisation="MAG").get("/hazards?withdrawn=true").text
    assert f"submission {sid}" in other and link not in other
    assert link not in client_as("viewer").get("/hazards?withdrawn=true").text


def test_every_record_withdrawn_together_is_in_the_lists_download(
    session: Session, client_as: ClientAs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list folds a file withdrawn together after its first releases ("and N more"),
    and a viewer, whose the file's page is not, had no way to read the rest."""
    monkeypatch.setattr("map_ui.pages.WITHDRAWN_SHOWN", 1)
    sid = approved_file(session, tmp_path)
    approval.withdraw_submission_releases(session, sid, reason="=sent twice", by="tests")
    viewer = client_as("viewer")
    page = html.unescape(viewer.get("/hazards?withdrawn=true").text)
    assert "WS-R1 and 1 more, every one in" in re.sub(r"<[^>]+>", "", page)
    assert 'href="/hazards?withdrawn=true&format=csv"' in page
    got = viewer.get("/hazards", params={"withdrawn": "true", "format": "csv"})
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert "withdrawn-records.csv" in got.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(got.text)))
    assert rows[0][:3] == ["record", "reference", "of_hazard"]
    assert sorted((r[0], r[1], r[8], r[9]) for r in rows[1:]) == [
        ("release", "WS-R1", "'=sent twice", str(sid)),  # no formula for a spreadsheet
        ("release", "WS-R2", "'=sent twice", str(sid)),
    ]
    # a release's kind is its hazard's: the column had been blank (helper-107)
    assert {r[3] for r in rows[1:]} == {"CMR"}
