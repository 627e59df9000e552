"""`ims boundaries load` and `ims report …` on a database of their own (the CLI commits)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from shapely.geometry import box
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ims.cli import app
from ims.config import get_settings
from ims.db.migrate import upgrade
from ims.db.recording import record_hazards, record_releases
from ims.db.session import make_engine
from ims.domain.enums import HazardStatus, ReleaseMethod
from ims.domain.records import NewHazard, NewRelease
from tests.utils import session_app, signed_in

runner = CliRunner()


@pytest.fixture
def cli_db(test_server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A throw-away database with two provinces (loaded by the CLI) and a few records."""
    url = test_server.create_database("ims_cli")
    monkeypatch.setenv("IMS_DATABASE_URL", url)
    get_settings.cache_clear()
    provinces = gpd.GeoDataFrame(
        {"code": ["P-A", "P-B"], "name": ["Province A", "Province B"]},
        geometry=[box(102.0, 19.0, 102.5, 20.0), box(102.5, 19.0, 103.0, 20.0)],
        crs="EPSG:4326",
    ).to_crs(32648)  # any declared CRS is reprojected on the way in
    path = tmp_path / "provinces.gpkg"
    provinces.to_file(path)
    result = runner.invoke(app, ["boundaries", "load", str(path), "--level", "1"])
    assert result.exit_code == 0, result.output
    assert "2 added" in result.output
    engine = create_engine(url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        record_hazards(
            session,
            [
                NewHazard(
                    "H1",
                    HazardStatus.CHA,
                    box(102.1, 19.6, 102.11, 19.61),
                    dt.date(2020, 1, 1),
                    estimates={"BLU-26": 12},
                    used_from=1969,
                    used_to=1971,
                ),
                NewHazard(
                    "H2", HazardStatus.SHA, box(102.6, 19.6, 102.61, 19.61), dt.date(2020, 1, 1)
                ),
            ],
        )
        record_releases(
            session,
            [
                NewRelease(
                    "R1",
                    "H1",
                    ReleaseMethod.CLEARED,
                    dt.date(2024, 3, 1),
                    box(102.1, 19.6, 102.105, 19.61),
                    items={"BLU-26": 4},
                ),
            ],
        )
    engine.dispose()
    yield url
    get_settings.cache_clear()
    test_server.drop_database(url)


def test_article7_json_has_the_documented_shape(cli_db: str) -> None:
    result = runner.invoke(app, ["report", "article7", "--year", "2024", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["year"], report["as_of"], report["contam"], report["level"]) == (
        2024,
        "2024-12-31",
        "CMR",
        1,
    )
    codes = [r["admin_code"] for r in report["remaining"]]
    assert codes == ["P-A", "P-B", None, "TOTAL"]
    assert set(report["remaining"][0]) == {
        "admin_code",
        "admin_name",
        "province",  # null in a provinces table, as the API gives it
        "sha_count",
        "sha_area_m2",
        "cha_count",
        "cha_area_m2",
        "total_count",
        "total_area_m2",
        "remnants",
        "years_of_use",
    }
    assert set(report["released"][0]) == {
        "admin_code",
        "admin_name",
        "province",
        "cancelled_m2",
        "reduced_m2",
        "cleared_m2",
        "total_m2",
        "hazards_closed",
        "destroyed",
        "released_outside_hazards_m2",
    }
    a = report["remaining"][0]
    assert (a["cha_count"], a["remnants"], a["years_of_use"]) == (
        1,
        [{"type": "BLU-26", "estimated_quantity": 12}],
        [1969, 1971],
    )
    assert report["released"][0]["destroyed"][0]["type"] == "BLU-26"
    assert report["released"][-1]["cleared_m2"] > 0
    # the same document as the API's, key for key (the history aside: who asked first)
    engine = make_engine(cli_db)
    with Session(engine) as session:
        answer = signed_in(session_app(session), session).get(
            "/api/v1/reports/article7", params={"year": 2024}
        )
        assert answer.status_code == 200, answer.text
        api = answer.json()
        session.rollback()
    engine.dispose()
    assert {**report, "history": None} == {**api, "history": None}


def test_article7_csv_and_html_hold_both_tables(cli_db: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", "article7", "--year", "2024", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "Form 1(h)" in result.stdout and "Form 1(i)" in result.stdout
    assert "BLU-26:12" in result.stdout
    out = tmp_path / "report.html"
    result = runner.invoke(
        app, ["report", "article7", "--year", "2024", "--format", "html", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "<table>" in html and "Province A" in html and "Form 1(i)" in html
    # one form alone: its header on the first line, nothing of the other
    alone = runner.invoke(
        app, ["report", "article7", "--year", "2024", "--format", "csv", "--table", "1h"]
    )
    assert alone.exit_code == 0, alone.output
    assert alone.stdout.startswith("admin_code,admin_name,sha_count,")
    assert "Form 1(i)" not in alone.stdout and "BLU-26:12" in alone.stdout
    wrong = runner.invoke(
        app, ["report", "article7", "--year", "2024", "--format", "csv", "--table", "1x"]
    )
    assert wrong.exit_code != 0 and "use 1h (Form 1(h)) or 1i" in wrong.output


def test_article7_is_written_in_the_format_its_file_is_named_for(
    cli_db: str, tmp_path: Path
) -> None:
    """`-o report.pdf` without --format had written JSON into a file named .pdf."""
    for ending, starts in (("pdf", b"%PDF"), ("xlsx", b"PK"), ("csv", b'"Form 1(h)')):
        out = tmp_path / f"report.{ending}"
        result = runner.invoke(app, ["report", "article7", "--year", "2024", "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert out.read_bytes().startswith(starts), ending
    out = tmp_path / "report.txt"  # an ending no report comes in: JSON, as before
    assert (
        runner.invoke(app, ["report", "article7", "--year", "2024", "-o", str(out)]).exit_code == 0
    )
    assert out.read_text().startswith("{")


def test_explain_prints_contributions_that_sum(cli_db: str) -> None:
    result = runner.invoke(
        app,
        [
            "report",
            "explain",
            "--year",
            "2024",
            "--admin",
            "P-A",
            "--column",
            "cleared_m2",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert [c["release"] for c in body["contributions"]] == ["R1"]
    assert body["total"] == pytest.approx(body["contributions"][0]["value"], abs=1e-3)


def test_article7_as_finalised_is_the_report_as_it_was_finalised(cli_db: str) -> None:
    def article7(*more: str) -> Any:
        return runner.invoke(app, ["report", "article7", "--year", "2024", *more])

    refused = article7("--as-finalised")
    assert refused.exit_code == 2 and "is not finalised" in refused.output
    finalised = article7("--finalise")
    assert finalised.exit_code == 0, finalised.output
    engine = create_engine(cli_db)
    with Session(engine) as session, session.begin():
        late = NewRelease(
            "R2", "H2", ReleaseMethod.CLEARED, dt.date(2024, 6, 1), box(102.6, 19.6, 102.605, 19.61)
        )
        record_releases(session, [late])
    engine.dispose()
    now, then = json.loads(article7().stdout), json.loads(article7("--as-finalised").stdout)
    assert then["released"] == json.loads(finalised.stdout)["released"] != now["released"]
    said = article7("--as-finalised", "--format", "csv")
    assert said.exit_code == 0 and "The report as finalised: finalised " in said.output


def test_bad_report_arguments_are_one_line_errors(cli_db: str) -> None:
    for args, message in [
        (["--year", "2024", "--format", "docx"], "unknown format"),
        (["--year", "2024", "--contam", "XYZ"], "unknown contamination kind"),
        (["--year", "2024", "--level", "3"], "level must be 1"),
    ]:
        result = runner.invoke(app, ["report", "article7", *args])
        assert result.exit_code == 2, result.output
        assert message in result.output
        assert "Traceback" not in result.output


def test_boundaries_load_rejects_an_unknown_field(cli_db: str, tmp_path: Path) -> None:
    path = tmp_path / "b.geojson"
    gpd.GeoDataFrame({"x": ["a"]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:4326").to_file(path)
    result = runner.invoke(
        app, ["boundaries", "load", str(path), "--level", "1", "--code-field", "nope"]
    )
    assert result.exit_code == 2
    assert "no field 'nope'" in result.output
