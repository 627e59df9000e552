"""The releases of an approved file that released no ground, all of it released before (the
same clearance sent twice under two references, most often), named on its submission's
page and by the command line, with the releases that had released the ground."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import box
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ims.cli import app as cli_app
from ims.config import get_settings
from ims.db.recording import record_hazards
from ims.domain.enums import HazardStatus
from ims.domain.records import NewHazard
from ims.ingest import approval, submissions
from ims.queries.submissions import released_nothing
from tests.db.test_submission_withdrawals import HALF, SQUARE
from tests.ingest.test_submissions import write_zip
from tests.reports.test_report_changes import load_provinces_and_districts
from tests.utils import ClientAs

DAY = "2021-03-01"
QUARTER = box(102.20, 19.50, 102.205, 19.505)  # inside HALF


def approved(session: Session, folder: Path, rows: list[tuple[str, str, object]]) -> int:
    frame = gpd.GeoDataFrame(
        [
            {"release_id": ref, "hazard_id": "RN-1", "method": "cleared", "released": day}
            for ref, day, _ in rows
        ],
        geometry=[geom for _, _, geom in rows],
        crs=4326,
    )
    folder.mkdir()
    staged = submissions.stage(session, write_zip(frame, folder, "releases"), kind="releases")
    assert staged.errors == 0, staged.findings
    approval.approve(session, staged.submission.id, by="tests")
    return staged.submission.id


def text_of(page: str) -> str:
    return re.sub(r"<[^>]+>", "", page)


def record_linked(client: TestClient, page: str, reference: str) -> str:
    """The row of its hazard's records that the link on ``reference`` opens (its text)."""
    found = re.search(
        rf'<a href="(/hazards/[^"#]+)#(record-\d+)" class="ref">{reference}</a>', page
    )
    assert found, f"{reference} is not linked to its record"
    hazard = client.get(found[1])
    assert hazard.status_code == 200
    row = re.search(rf'<tr id="{found[2]}"[^>]*>(.*?)</tr>', hazard.text, re.S)
    assert row, f"{found[2]} is not a row of {found[1]}"
    return row[1]


def test_a_release_sent_again_is_named_with_the_one_that_released_its_ground(
    session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    load_provinces_and_districts(session)
    record_hazards(session, [NewHazard("RN-1", HazardStatus.CHA, SQUARE, dt.date(2020, 1, 1))])
    first = approved(session, tmp_path / "a", [("RN-R1", "2021-03-01", HALF)])
    again = approved(
        session,
        tmp_path / "b",
        [
            ("RN-R2", "2021-03-01", HALF),  # the same clearance, under a new reference
            ("RN-R3", "2021-04-01", QUARTER),  # inside it: released already too
            ("RN-R4", "2021-05-01", SQUARE),  # reaches the other half: releases that
        ],
    )
    found = released_nothing(session, again)
    assert found.count == 2
    # named by the release that released the ground, not by the copy that released none
    assert [(r["release"], r["first"], r["later"]) for r in found.listed] == [
        ("RN-R2", ["RN-R1"], []),
        ("RN-R3", ["RN-R1"], []),
    ]
    assert found.taken == []
    assert released_nothing(session, first).count == 0
    page = html.unescape(client_as("reviewer").get(f"/submissions/{again}").text)
    assert "2 releases of it released no ground" in page
    assert "RN-R2</a> (cleared 2021-03-01" in page
    assert "released before by RN-R1" in text_of(page)
    # each named release links to its row among its hazard's records
    for ref in ("RN-R1", "RN-R2", "RN-R3"):
        assert ref in record_linked(client_as("reviewer"), page, ref)
    assert "Withdraw the one sent again from its hazard's page" in page
    api = client_as("reviewer").get(f"/api/v1/submissions/{again}").json()["released_nothing"]
    assert api["count"] == 2 and api["listed"][0]["first"] == ["RN-R1"]
    clean = html.unescape(client_as("admin").get(f"/submissions/{first}").text)
    assert 'id="released-nothing"' not in clean


def test_a_copy_sent_with_an_earlier_date_is_named_on_its_own_file_not_only_the_first(
    session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    """A copy of an approved release dated six weeks earlier released the ground in its
    place: its own file said nothing, and the first file named its original as releasing
    nothing, to be withdrawn as "the one sent again" (an attack on our own instance)."""
    load_provinces_and_districts(session)
    record_hazards(session, [NewHazard("RN-1", HazardStatus.CHA, SQUARE, dt.date(2020, 1, 1))])
    first = approved(session, tmp_path / "a", [("RN-R1", "2021-03-01", HALF)])
    copy = approved(session, tmp_path / "b", [("RN-R9", "2021-01-15", HALF)])
    found = released_nothing(session, copy)
    assert found.count == 0
    assert found.taken == [
        {
            "release": "RN-R1",
            "hazard": "RN-1",
            "submission_id": first,
            "released": dt.date(2021, 3, 1),
            "seq": found.taken[0]["seq"],
            "by": ["RN-R9"],
            "by_seq": found.taken[0]["by_seq"],
        }
    ]
    before = released_nothing(session, first).listed
    assert [(r["release"], r["first"], r["later"]) for r in before] == [
        ("RN-R1", ["RN-R9"], ["RN-R9"])
    ]
    reviewer = client_as("reviewer")
    page = html.unescape(reviewer.get(f"/submissions/{copy}").text)
    assert "1 release of files approved before now releases no ground" in page
    assert "now released first by RN-R9" in text_of(page)
    for ref in ("RN-R1", "RN-R9"):
        assert ref in record_linked(reviewer, page, ref)
    assert "(recorded after it, dated earlier)" in html.unescape(
        reviewer.get(f"/submissions/{first}").text
    )


def test_the_command_line_names_them_once_the_file_is_approved(
    committed_engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("IMS_DATABASE_URL", committed_engine.url.render_as_string(False))
    get_settings.cache_clear()
    with Session(committed_engine) as own, own.begin():
        load_provinces_and_districts(own)
        record_hazards(own, [NewHazard("RN-1", HazardStatus.CHA, SQUARE, dt.date(2020, 1, 1))])
    files = []
    for name, ref in (("first", "RN-R1"), ("again", "RN-R2")):
        frame = gpd.GeoDataFrame(
            [
                {
                    "release_id": ref,
                    "hazard_id": "RN-1",
                    "method": "cleared",
                    "released": "2021-03-01",
                }
            ],
            geometry=[HALF],
            crs=4326,
        )
        (tmp_path / name).mkdir()
        files.append(write_zip(frame, tmp_path / name, "releases"))
    runner = CliRunner()
    try:
        args = ["import", "--kind", "releases", "--approve"]
        done = runner.invoke(cli_app, [*args[:1], str(files[0]), *args[1:]])
        assert done.exit_code == 0, done.output
        assert "released no ground" not in done.output
        again = runner.invoke(cli_app, [*args[:1], str(files[1]), *args[1:]])
        assert again.exit_code == 0, again.output
        assert "note: 1 release released no ground" in again.output
        assert "RN-R2 on RN-1 (cleared 2021-03-01), released before by RN-R1" in again.output
    finally:
        get_settings.cache_clear()
