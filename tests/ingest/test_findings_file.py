"""Findings a data manager can fix from: errors first, a line by kind, and the whole list
as a GeoPackage (with each feature's geometry) or CSV, from `ims import` and the review."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ims.cli import app as cli_app
from ims.config import get_settings
from ims.db.recording import load_boundaries
from ims.domain.records import BoundaryFeature
from ims.ingest import submissions
from ims.queries.findings import COLUMNS, findings_file, findings_frame, write_findings
from tests.ingest.test_submissions import hazard_frame, write_zip
from tests.utils import ClientAs

LAOS = box(100.0, 13.9, 107.7, 22.5)
BOWTIE = Polygon([(103.2, 19.4), (103.21, 19.41), (103.21, 19.4), (103.2, 19.41)])


def _file(folder: Path, name: str = "hazards") -> Path:
    """Four hazards: two that overlap each other, one bow-tie (an error), one clean."""
    frame = hazard_frame(
        [{"hazard_id": "A"}, {"hazard_id": "B"}, {"hazard_id": "BAD"}, {"hazard_id": "OK"}],
        [
            box(103.1, 19.4, 103.11, 19.41),
            box(103.105, 19.4, 103.115, 19.41),
            BOWTIE,
            box(103.3, 19.4, 103.31, 19.41),
        ],
    )
    return write_zip(frame, folder, name)


@pytest.fixture
def country(session: Session) -> None:
    load_boundaries(
        session, [BoundaryFeature("LA-XI", "Xiangkhouang", MultiPolygon([LAOS]))], level=1
    )


def test_the_findings_file_lists_every_finding_errors_first_with_geometries(
    session: Session, country: None, tmp_path: Path
) -> None:
    outcome = submissions.stage(session, _file(tmp_path), kind="hazards", organisation="MAG")
    frame = findings_frame(session, outcome.submission.id)
    assert len(frame) == len(outcome.findings)
    assert frame["severity"].iloc[0] == "error"
    ranks = [{"error": 0, "warning": 1}.get(s, 2) for s in frame["severity"]]
    assert ranks == sorted(ranks)
    bad = frame[frame["kind"] == "invalid_geometry"].iloc[0]
    assert bad["reference"] == "BAD" and bad["feature"] == 3
    assert bad.geometry is not None and not bad.geometry.is_empty  # the bow-tie as received
    overlaps = frame[frame["kind"] == "overlaps_hazard"]
    assert list(overlaps["reference"]) == ["B"]  # one warning for the pair A–B

    target = tmp_path / "findings.gpkg"
    target.write_bytes(findings_file(frame, "gpkg"))
    back = pyogrio.read_dataframe(target)
    assert len(back) == len(frame) and set(COLUMNS) <= set(back.columns)
    with sqlite3.connect(target) as db:  # GeoPackage 1.2, which GDAL 3.6's QGIS reads
        assert db.execute("PRAGMA user_version").fetchone() == (10200,)
    assert back.geometry.notna().sum() == frame.geometry.notna().sum()
    rows = list(csv.reader(io.StringIO(findings_file(frame, "csv").decode("utf-8"))))
    assert tuple(rows[0]) == (*COLUMNS, "wkt") and len(rows) == len(frame) + 1
    # the CSV carries each feature's geometry too, as WKT
    bad_row = next(r for r in rows if r[1] == "BAD")
    assert shapely.from_wkt(bad_row[-1]).equals(BOWTIE)


def test_the_features_to_fix_come_as_a_layer_that_is_uploaded_again_as_it_is(
    session: Session, country: None, tmp_path: Path
) -> None:
    """The GeoPackage held the findings only: the data manager had the messages in QGIS,
    but not the features' fields to correct and send back."""
    outcome = submissions.stage(session, _file(tmp_path), kind="hazards", organisation="MAG")
    target = tmp_path / "fix.gpkg"
    write_findings(session, outcome.submission.id, target)
    # of the template's geometry type, polygons all: "Unknown" had kept some GIS tools from
    # exporting the layer (a new user's review)
    assert [tuple(layer) for layer in pyogrio.list_layers(target)] == [
        ("findings", "MultiPolygon"),
        ("hazards", "MultiPolygon"),
    ]
    to_fix = pyogrio.read_dataframe(target, layer="hazards")
    assert set(to_fix["hazard_id"]) == {"B", "BAD"}  # the features with a finding
    # each with its number in the file as its FID, the findings layer's "feature"
    numbered = pyogrio.read_dataframe(target, layer="hazards", fid_as_index=True)
    found = pyogrio.read_dataframe(target, layer="findings").dropna(subset=["feature"])
    by_reference = dict(zip(found["reference"], found["feature"].astype(int), strict=False))
    assert dict(zip(numbered["hazard_id"], numbered.index, strict=True)) == {
        ref: by_reference[ref] for ref in ("B", "BAD")
    }
    assert "fid" not in to_fix.columns
    assert {"status", "recorded", "operator"} <= set(to_fix.columns)
    # fixed in QGIS: the bow-tie drawn again, the layer saved where it is
    to_fix.loc[to_fix["hazard_id"] == "BAD", "geometry"] = box(103.2, 19.4, 103.21, 19.41)
    pyogrio.write_dataframe(to_fix, target, layer="hazards", driver="GPKG")
    again = submissions.stage(session, target, kind="hazards", organisation="MAG")
    assert again.submission.layer == "hazards"  # the layer named after the kind is read
    assert again.errors == 0, [str(f) for f in again.findings if f.blocking]
    assert again.submission.feature_count == 2


def test_the_features_to_fix_keep_their_numbers_as_numbers_and_their_text_as_sent(
    session: Session, country: None, tmp_path: Path
) -> None:
    """Every value of the features to fix was text: QGIS sorted an area of "1000" before
    "20" and offered no sum; a value that did not read as a number stays as it was sent."""
    frame = hazard_frame(
        [
            {"hazard_id": "A", "used_from": 1968, "depth_cm": 12.5, "team": "T1"},
            {"hazard_id": "B", "used_from": 1969, "depth_cm": None, "team": "T2"},
        ],
        [box(103.1, 19.4, 103.11, 19.41), box(103.105, 19.4, 103.115, 19.41)],
    )
    frame["used_to"] = ["1970s", "1972"]  # a column with a value that is not a year
    outcome = submissions.stage(
        session, write_zip(frame, tmp_path, "numbers"), kind="hazards", organisation="MAG"
    )
    target = tmp_path / "fix.gpkg"
    write_findings(session, outcome.submission.id, target)
    to_fix = pyogrio.read_dataframe(target, layer="hazards").set_index("hazard_id")
    assert to_fix["used_from"].dtype.kind == "i" and to_fix.loc["A", "used_from"] == 1968
    assert to_fix["depth_cm"].dtype.kind == "f" and to_fix.loc["A", "depth_cm"] == 12.5
    assert pd.isna(to_fix.loc["B", "depth_cm"])
    assert to_fix.loc["A", "used_to"] == "1970s" and to_fix.loc["B", "team"] == "T2"


def test_the_review_offers_the_findings_to_those_who_may_see_the_submission(
    session: Session, country: None, client_as: ClientAs, tmp_path: Path
) -> None:
    outcome = submissions.stage(session, _file(tmp_path), kind="hazards", organisation="NPA")
    url = f"/api/v1/submissions/{outcome.submission.id}/findings"
    gpkg = client_as("reviewer").get(f"{url}.gpkg")
    assert gpkg.status_code == 200 and gpkg.content[:16] == b"SQLite format 3\x00"
    assert "attachment" in gpkg.headers["content-disposition"]
    assert client_as("operator", organisation="NPA").get(f"{url}.csv").status_code == 200
    assert client_as("operator", organisation="MAG").get(f"{url}.csv").status_code == 404
    page = client_as("reviewer").get(f"/submissions/{outcome.submission.id}")
    assert f"{url}.gpkg" in page.text and f"{url}.csv" in page.text


def test_ims_import_prints_errors_first_a_line_by_kind_and_writes_the_file(
    committed_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMS_DATABASE_URL", committed_engine.url.render_as_string(False))
    get_settings.cache_clear()
    target = tmp_path / "fix-these.gpkg"
    result = CliRunner().invoke(
        cli_app,
        [
            "import",
            str(_file(tmp_path)),
            "--kind",
            "hazards",
            "--show",
            "1",
            "--findings",
            str(target),
        ],
    )
    assert result.exit_code == 1, result.output  # the bow-tie blocks approval
    lines = result.output.splitlines()
    listed = [line for line in lines if line.startswith(("error ", "warning ", "note "))]
    assert listed[0].startswith("error invalid_geometry (feature 3, BAD")  # before warnings
    (by_kind,) = [line for line in lines if line.startswith("findings by kind:")]
    assert by_kind.index("error invalid_geometry") < by_kind.index("warning overlaps_hazard")
    assert len(pyogrio.read_dataframe(target)) >= 2
    refused = CliRunner().invoke(
        cli_app,
        ["import", str(_file(tmp_path, "again")), "--kind", "hazards", "--findings", "x.txt"],
    )
    assert refused.exit_code == 2 and ".gpkg or .csv" in refused.output


def test_a_finding_about_the_whole_file_has_empty_cells_in_the_csv(
    session: Session, country: None, tmp_path: Path
) -> None:
    """They read "nan": a text column of pandas holds a missing reference as NaN."""
    path = _file(tmp_path, "twice")
    submissions.stage(session, path, kind="hazards", organisation="MAG")
    again = submissions.stage(session, path, kind="hazards", organisation="MAG")
    frame = findings_frame(session, again.submission.id)
    whole_file = [i for i, row in enumerate(frame["feature"]) if row is pd.NA]
    assert whole_file, list(frame["kind"])  # the same file as an earlier submission
    rows = list(csv.DictReader(io.StringIO(findings_file(frame, "csv").decode("utf-8"))))
    for i in whole_file:
        assert (rows[i]["feature"], rows[i]["reference"]) == ("", "")
    assert not any(value == "nan" for row in rows for value in row.values())


def test_a_column_named_fid_does_not_break_the_findings_geopackage(
    session: Session, country: None, tmp_path: Path
) -> None:
    """A file's own "fid" (QGIS writes it) clashed with the GeoPackage's: 500."""
    frame = hazard_frame(
        [{"hazard_id": "F1", "fid": "7"}, {"hazard_id": "F2", "fid": "8"}],
        [BOWTIE, box(103.3, 19.4, 103.31, 19.41)],
    )
    outcome = submissions.stage(
        session, write_zip(frame, tmp_path, "with_fid"), kind="hazards", organisation="MAG"
    )
    target = tmp_path / "fix.gpkg"
    write_findings(session, outcome.submission.id, target)
    to_fix = pyogrio.read_dataframe(target, layer="hazards")
    assert list(to_fix["hazard_id"]) == ["F1"] and list(to_fix["fid_1"]) == ["7"]
