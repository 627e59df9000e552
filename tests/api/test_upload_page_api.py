"""The API behind the upload page: inspecting a file, the remembered mapping shown and
forgotten, and an upload that replaces an earlier pending submission."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from pyproj import Geod
from shapely.geometry import MultiPolygon, box
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ims.api.submissions import _reads
from ims.cli import app as cli_app
from ims.config import get_settings
from ims.db.models import Organisation, Submission
from ims.db.recording import load_boundaries
from ims.domain.records import BoundaryFeature
from ims.errors import InvalidRequest
from ims.ingest import approval, field_maps, submissions
from ims.ingest.fields import HAZARDS, RELEASES
from ims.ingest.inspect import Column, munition_types, suggest
from ims.queries import submissions as submissions_q
from ims.reports import kept
from tests.api.test_uploads_api import LAOS, count, good_zip, post
from tests.ingest.test_submissions import hazard_frame, write_zip
from tests.utils import ClientAs


@pytest.fixture
def client(session: Session, client_as: ClientAs) -> TestClient:
    load_boundaries(
        session, [BoundaryFeature("LA-XI", "Xiangkhouang", MultiPolygon([LAOS]))], level=1
    )
    return client_as()


def operators_file(folder: Path, name: str = "theirs", *, prj: bool = True) -> Path:
    """A file in an operator's own words: other field names, a status in words, no
    contamination and no recorded date."""
    frame = gpd.GeoDataFrame(
        {
            "HAZ_REF": ["OWN-1", "OWN-2", "OWN-3"],
            "TypeArea": ["Suspected Minefield", "Confirmed Minefield", "Suspected Minefield"],
            "Village": ["Ban Na", "Ban Phon", None],
        },
        geometry=[box(103.2 + i / 10, 19.4, 103.205 + i / 10, 19.405) for i in range(3)],
        crs=4326,
    )
    return write_zip(frame, folder, name, crs=32648, keep_prj=prj)


def inspect(client: TestClient, path: Path, kind: str = "hazards", **form: str) -> object:
    with path.open("rb") as fh:
        return client.post(
            "/api/v1/submissions/inspect",
            files={"file": (path.name, fh)},
            data={"kind": kind, **form},
        )


def staged(session: Session, submission_id: int) -> list[dict[str, Any]]:
    """A submission's features as staged (``clean``: the template's fields), in file order."""
    return list(
        session.execute(
            text(
                "SELECT clean FROM submission_feature WHERE submission_id = :s ORDER BY row_number"
            ),
            {"s": submission_id},
        ).scalars()
    )


MAPPING = (
    '{"fields": {"hazard_id": "HAZ_REF", "status": "TypeArea"},'
    ' "constants": {"contam": "APM", "recorded": "2021-03-04"},'
    ' "values": {"status": {"Suspected Minefield": "SHA", "Confirmed Minefield": "CHA"}}}'
)


def test_inspect_lists_columns_samples_and_suggests_from_usual_names(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    before = count(session, "submission")
    answer = inspect(client, operators_file(tmp_path), organisation="MAG")
    assert answer.status_code == 200, answer.text  # type: ignore[attr-defined]
    body = answer.json()  # type: ignore[attr-defined]
    assert body["feature_count"] == 3 and body["crs"] == "EPSG:32648"
    columns = {c["name"]: c for c in body["columns"]}
    assert set(columns) == {"HAZ_REF", "TypeArea", "Village"}
    assert columns["TypeArea"]["values"] == ["Confirmed Minefield", "Suspected Minefield"]
    assert columns["Village"]["samples"] == ["Ban Na", "Ban Phon"]
    # how each value reads as a code: the page marks those a value map must give
    reads = columns["TypeArea"]["reads"]
    assert reads["status"] == {"Confirmed Minefield": None, "Suspected Minefield": None}
    assert reads["contam"] == {"Confirmed Minefield": None, "Suspected Minefield": None}
    village = columns["Village"]["reads"]
    assert village["status"] == {"Ban Na": None, "Ban Phon": None}
    spelled = Column("TYPE", [], ["suspected", "CHA", "Minefield", "cleared"])
    assert _reads(spelled, HAZARDS)["status"] == {
        "suspected": "SHA",
        "CHA": "CHA",
        "Minefield": None,
        "cleared": None,
    }
    assert _reads(spelled, RELEASES)["method"]["cleared"] == "cleared"
    # HAZ_REF is what operators call hazard_id; TypeArea what they call status
    assert body["suggested"]["fields"] == {"hazard_id": "HAZ_REF", "status": "TypeArea"}
    assert body["suggested_from"] == {"hazard_id": "synonym", "status": "synonym"}
    assert [f["name"] for f in body["fields"]][:2] == ["hazard_id", "status"]
    assert body["remembered"] is None
    assert count(session, "submission") == before  # nothing is stored


def test_a_column_whose_values_are_statuses_is_suggested_for_the_status(
    client: TestClient, tmp_path: Path
) -> None:
    """helper-132: an older form's "hazard_type" of SHA and CHA was not offered for the
    status (which has no column of its name), and was taken for the contamination by its
    name: the upload then said "status is required" of every feature."""
    frame = gpd.GeoDataFrame(
        {"hazard_ref": ["OLD-1", "OLD-2"], "hazard_type": ["SHA", "cha"], "notes": ["a", "b"]},
        geometry=[box(103.2 + i / 10, 19.4, 103.205 + i / 10, 19.405) for i in range(2)],
        crs=4326,
    )
    frame.to_file(tmp_path / "older.geojson", driver="GeoJSON")
    body = inspect(client, tmp_path / "older.geojson").json()  # type: ignore[attr-defined]
    assert body["suggested"]["fields"] == {"hazard_id": "hazard_ref", "status": "hazard_type"}
    assert body["suggested_from"] == {"hazard_id": "synonym", "status": "values"}
    # a column of kinds of contamination is still the contamination's
    frame["hazard_type"] = ["CMR", "APM"]
    frame.to_file(tmp_path / "kinds.geojson", driver="GeoJSON")
    body = inspect(client, tmp_path / "kinds.geojson").json()  # type: ignore[attr-defined]
    assert body["suggested"]["fields"]["contam"] == "hazard_type"
    assert "status" not in body["suggested"]["fields"]


def test_inspect_says_when_the_file_declares_no_crs(client: TestClient, tmp_path: Path) -> None:
    body = inspect(client, operators_file(tmp_path, prj=False)).json()  # type: ignore[attr-defined]
    assert body["crs"] is None
    # and that its coordinates (UTM 48N, x about 300,000) cannot be degrees: the page had
    # left the choice at EPSG:4326 (a first-time user's review)
    assert body["projected"] is True
    degrees = gpd.GeoDataFrame(
        {"hazard_id": ["D-1"]}, geometry=[box(103.2, 19.4, 103.21, 19.41)], crs=4326
    )
    path = write_zip(degrees, tmp_path, "degrees", keep_prj=False)
    body = inspect(client, path).json()  # type: ignore[attr-defined]
    assert body["crs"] is None and body["projected"] is False


def test_inspect_says_when_the_file_looks_like_the_other_kind(
    client: TestClient, tmp_path: Path
) -> None:
    """Only the upload's findings had said that a releases file was sent as hazards (a new
    user's review): the columns' reading says it, with that kind's fields, on either side."""
    releases = gpd.GeoDataFrame(
        {"hazard_id": ["R-1"], "release_id": ["X-1"], "method": ["cleared"], "items": ["BLU-26:1"]},
        geometry=[box(103.2, 19.4, 103.21, 19.41)],
        crs=4326,
    )
    path = write_zip(releases, tmp_path, "releases")
    said = inspect(client, path).json()  # type: ignore[attr-defined]
    assert said["other_kind"] == {"kind": "releases", "fields": ["release_id", "method", "items"]}
    assert inspect(client, path, kind="releases").json()["other_kind"] is None  # type: ignore[attr-defined]
    hazards = gpd.GeoDataFrame(
        {"hazard_id": ["H-1"], "status": ["SHA"], "recorded": ["2021-01-01"]},
        geometry=[box(103.2, 19.4, 103.21, 19.41)],
        crs=4326,
    )
    path = write_zip(hazards, tmp_path, "hazards")
    said = inspect(client, path, kind="releases").json()  # type: ignore[attr-defined]
    assert said["other_kind"] == {"kind": "hazards", "fields": ["status", "recorded"]}
    assert inspect(client, path).json()["other_kind"] is None  # type: ignore[attr-defined]
    # one field of the other kind's is not enough: a hazards file may well have "method"
    one = releases.drop(columns=["release_id", "items"]).assign(status="SHA")
    path = write_zip(one, tmp_path, "one")
    assert inspect(client, path).json()["other_kind"] is None  # type: ignore[attr-defined]


def test_inspect_says_when_the_very_file_already_awaits_review(
    client: TestClient, client_as: ClientAs, tmp_path: Path
) -> None:
    """A retried upload made five copies awaiting review (a new user's review): reading
    the same file's columns again names the one already sent, for its organisation only;
    once approved, it is named as approved (helper-105 learnt it only after sending)."""
    path = operators_file(tmp_path)
    assert inspect(client, path, organisation="MAG").json()["awaiting"] is None  # type: ignore[attr-defined]
    sent = post(client, path, organisation="MAG", mapping=MAPPING)
    assert sent.status_code == 201, sent.text  # type: ignore[attr-defined]
    first = sent.json()["id"]  # type: ignore[attr-defined]
    said = inspect(client, path, organisation="MAG").json()["awaiting"]  # type: ignore[attr-defined]
    assert said["id"] == first and said["uploaded_by"].startswith("test-admin")
    assert inspect(client, path, organisation="NPA").json()["awaiting"] is None  # type: ignore[attr-defined]
    assert inspect(client, path, kind="releases", organisation="MAG").json()["awaiting"] is None  # type: ignore[attr-defined]
    assert said["approved"] is False
    approved = client_as("reviewer").post(f"/api/v1/submissions/{first}/approve")
    assert approved.status_code == 200, approved.text
    said = inspect(client, path, organisation="MAG").json()["awaiting"]  # type: ignore[attr-defined]
    assert said["id"] == first and said["approved"] is True
    assert inspect(client, path, organisation="NPA").json()["awaiting"] is None  # type: ignore[attr-defined]


def test_the_review_shows_a_files_word_beside_the_code_it_reads_as(
    client: TestClient, tmp_path: Path
) -> None:
    """A new user's review saw "Technical survey" in a review's method column, not the
    method it is recorded as: a word read as a code says which, a code as it is nothing."""
    frame = gpd.GeoDataFrame(
        {
            "hazard_id": ["W-1", "W-2"],
            "status": ["Suspected", "CHA"],
            "contam": ["apm", "APM"],
            "recorded": ["2021-03-04", "2021-03-04"],
        },
        geometry=[box(103.2, 19.4, 103.205, 19.405), box(103.3, 19.4, 103.305, 19.405)],
        crs=4326,
    )
    sent = post(client, write_zip(frame, tmp_path, "words"), organisation="MAG")
    assert sent.status_code == 201 and sent.json()["errors"] == 0, sent.text  # type: ignore[attr-defined]
    page = client.get(f"/submissions/{sent.json()['id']}").text  # type: ignore[attr-defined]
    rows = re.findall(r"<tr class=\"[^\"]*\">(.*?)</tr>", page[page.index('id="features"') :], re.S)
    assert '<td>Suspected <span class="reads-as">→ SHA</span></td>' in rows[0]
    assert "<td>apm</td>" in rows[0]  # a code in other capitals is the code
    assert "reads-as" not in rows[1]  # CHA and APM as they are


def test_inspect_takes_a_file_as_large_as_an_upload(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The upload page reads a file's columns before it sends it: a national file of
    # 100 MB was refused there (413) at the limit of a form's body, so never sent.
    path = operators_file(tmp_path)
    monkeypatch.setattr(get_settings(), "request_max_bytes", path.stat().st_size // 2)
    answer = inspect(client, path)
    assert answer.status_code == 200, answer.text  # type: ignore[attr-defined]
    assert answer.json()["feature_count"] == 3  # type: ignore[attr-defined]
    monkeypatch.setattr(get_settings(), "upload_max_bytes", path.stat().st_size // 2)
    refused = inspect(client, path)
    assert refused.status_code == 413  # type: ignore[attr-defined]


def test_a_field_of_the_templates_own_name_comes_before_a_synonym() -> None:
    mapping, origin = suggest("hazards", ["reference", "Hazard_ID", "DATE"], None)
    assert mapping.fields == {"hazard_id": "Hazard_ID", "recorded": "DATE"}
    assert origin == {"hazard_id": "name", "recorded": "synonym"}


def test_a_platforms_own_column_is_never_suggested_for_a_field() -> None:
    """A form platform's row number ``_id`` squashes to the synonym "id": it was offered
    as the hazards' reference (a walk-through with a KoboToolbox export)."""
    mapping, _ = suggest("hazards", ["_id", "_index", "hazard_ref"], None)
    assert mapping.fields == {"hazard_id": "hazard_ref"}
    mapping, _ = suggest("hazards", ["_id", "Area"], None)
    assert "hazard_id" not in mapping.fields
    mapping, _ = suggest("hazards", ["id"], None)
    assert mapping.fields == {"hazard_id": "id"}


def test_the_column_names_of_imsma_exports_are_suggested() -> None:
    """The migration guide names IMSMA NG's `hazard_localid` and `dateOfRecord`; the upload
    page suggested `typeArea` for status but neither of them."""
    mapping, origin = suggest("hazards", ["hazard_localid", "hazard_guid", "dateOfRecord"], None)
    assert mapping.fields == {"hazard_id": "hazard_localid", "recorded": "dateOfRecord"}
    assert set(origin.values()) == {"synonym"}
    mapping, _ = suggest("releases", ["activity_localid", "hazard_localid", "endDate"], None)
    assert mapping.fields == {
        "release_id": "activity_localid",
        "hazard_id": "hazard_localid",
        "released": "endDate",
    }


def test_mapping_with_constants_and_value_maps_is_used_remembered_shown_and_forgotten(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    path = operators_file(tmp_path)
    created = post(client, path, organisation="MAG", mapping=MAPPING)
    body = created.json()  # type: ignore[attr-defined]
    assert created.status_code == 201 and body["errors"] == 0, body  # type: ignore[attr-defined]
    clean = staged(session, body["id"])
    assert [(c["status"], c["contam"], c["recorded"]) for c in clean] == [
        ("SHA", "APM", "2021-03-04"),
        ("CHA", "APM", "2021-03-04"),
        ("SHA", "APM", "2021-03-04"),
    ]
    # values the mapping's table gave are shown as they became (SHA), with nothing more
    page = client.get(f"/submissions/{body['id']}").text
    assert 'class="reads-as"' not in page[page.index('id="features"') :]
    shown = inspect(client, path, organisation="MAG").json()  # type: ignore[attr-defined]
    assert shown["remembered"]["fits"] is True
    assert shown["remembered"]["mapping"]["constants"] == {
        "contam": "APM",
        "recorded": "2021-03-04",
    }
    assert shown["suggested"]["values"]["status"]["Suspected Minefield"] == "SHA"
    assert shown["suggested_from"]["contam"] == "remembered"
    # "Forget it" forgets the one shown: another layout's stays remembered
    mag = session.scalars(select(Organisation).where(Organisation.name == "MAG")).one()
    other = field_maps.MappingDocument().with_fields({"hazard_id": "AREA_NO"})
    assert field_maps.remember_mapping(session, mag, "hazards", other)
    session.commit()
    forgot = client.delete(
        "/api/v1/submissions/mappings/hazards",
        params={"organisation": "MAG", "id": shown["remembered"]["id"]},
    )
    assert forgot.status_code == 200
    assert [m["mapping"]["constants"]["contam"] for m in forgot.json()["cleared"]] == ["APM"]
    again = inspect(client, path, organisation="MAG").json()  # type: ignore[attr-defined]
    assert again["remembered"]["fits"] is False  # the other layout's, which this file lacks
    assert again["remembered"]["mapping"]["fields"] == {"hazard_id": "AREA_NO"}
    rest = client.delete("/api/v1/submissions/mappings/hazards", params={"organisation": "MAG"})
    assert rest.status_code == 200 and len(rest.json()["cleared"]) == 1
    assert inspect(client, path, organisation="MAG").json()["remembered"] is None  # type: ignore[attr-defined]


def legacy_workbook(folder: Path) -> Path:
    """A hand-kept register whose headers are, by chance, labels of ims's form's questions
    ("Contamination", "Date recorded"), with a reference of its own name."""
    path = folder / "legacy.csv"
    path.write_text(
        "Hazard No,Status,Contamination,Date recorded,WKT\n"
        'L-1,SHA,CMR,2021-03-04,"POLYGON((103.2 19.4,103.205 19.4,103.205 19.405,103.2 19.4))"\n'
        'L-2,CHA,ERW,2021-05-06,"POLYGON((103.3 19.4,103.305 19.4,103.305 19.405,103.3 19.4))"\n',
        encoding="utf-8",
    )
    return path


def test_columns_named_as_the_forms_questions_are_shown_and_mapped_by_the_files_names(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    """The mapping step had shown "Contamination" and "Date recorded" as ``contam`` and
    ``recorded``, columns the file does not have; the review then said "contam, recorded:
    the file's columns of those names", and a mapping naming the file's own columns was
    refused: "the file has no field 'Contamination'" (a legacy migration's review)."""
    path = legacy_workbook(tmp_path)
    shown = inspect(client, path, organisation="MAG").json()  # type: ignore[attr-defined]
    assert [c["name"] for c in shown["columns"]] == [
        "Hazard No",
        "Status",
        "Contamination",
        "Date recorded",
    ]
    assert shown["suggested"]["fields"]["contam"] == "Contamination"
    assert shown["suggested"]["fields"]["recorded"] == "Date recorded"
    assert shown["suggested_from"]["recorded"] == "label"
    assert not any("labels" in note for note in shown["notes"])  # the mapping says it
    # sent as the page sends it: read from those columns, the review says so, and it is
    # remembered for the next such file
    mapping = json.dumps(
        {
            "fields": {
                "hazard_id": "Hazard No",
                "contam": "Contamination",
                "recorded": "Date recorded",
            }
        }
    )
    body = post(client, path, organisation="MAG", mapping=mapping).json()  # type: ignore[attr-defined]
    assert body["errors"] == 0, body
    clean = staged(session, body["id"])
    assert [(c["hazard_id"], c["contam"], c["recorded"]) for c in clean] == [
        ("L-1", "CMR", "2021-03-04"),
        ("L-2", "ERW", "2021-05-06"),
    ]
    page = html.unescape(client.get(f"/submissions/{body['id']}").text)
    assert "contam: the file's column Contamination" in page
    assert "recorded: the file's column Date recorded" in page
    assert "status: the file's column of that name" in page and "of those names" not in page
    again = inspect(client, path, organisation="MAG").json()  # type: ignore[attr-defined]
    assert again["remembered"]["fits"] is True
    assert again["suggested"]["fields"]["contam"] == "Contamination"


def test_a_file_uploaded_without_a_mapping_keeps_where_its_labelled_columns_were_read(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    """``ims import`` of such a file, with its reference in the template's name, needs no
    mapping: its submission keeps that contam was read from "Contamination"."""
    path = legacy_workbook(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("Hazard No", "hazard_id"))
    body = post(client, path, organisation="MAG").json()  # type: ignore[attr-defined]
    assert body["errors"] == 0, body
    stored = session.get(Submission, body["id"])
    assert stored is not None
    assert stored.field_map == {
        "fields": {"contam": "Contamination", "recorded": "Date recorded"},
        "constants": {},
        "values": {},
    }
    page = html.unescape(client.get(f"/submissions/{body['id']}").text)
    assert "contam: the file's column Contamination" in page
    assert "contam, recorded" not in page and "status, contam" not in page
    # a mapping naming a column as read (``contam``), remembered before, still fits, and
    # is said, kept and shown by the file's names (it had gone on saying "the file's
    # column contam": a review of our own change, helper-103)
    mag = session.scalars(select(Organisation).where(Organisation.name == "MAG")).one()
    old = field_maps.MappingDocument().with_fields({"contam": "contam", "recorded": "RECORDED"})
    field_maps.remember_mapping(session, mag, "hazards", old)
    session.commit()
    shown = inspect(client, path, organisation="MAG").json()  # type: ignore[attr-defined]
    assert shown["remembered"]["fits"] is True
    assert shown["suggested"]["fields"]["contam"] == "Contamination"
    assert shown["remembered"]["mapping"]["fields"] == {
        "contam": "Contamination",
        "recorded": "Date recorded",
    }
    again = post(client, path, organisation="MAG").json()  # type: ignore[attr-defined]
    kept = session.get(Submission, again["id"])
    assert kept is not None and kept.field_map is not None
    assert kept.field_map["fields"] == {"contam": "Contamination", "recorded": "Date recorded"}
    given = post(client, path, organisation="MAG", field_map="contam=CONTAM").json()  # type: ignore[attr-defined]
    assert session.get(Submission, given["id"]).field_map["fields"]["contam"] == "Contamination"  # type: ignore[union-attr]
    # "m2" as a keyboard types the label's "m²"
    releases = tmp_path / "releases.csv"
    releases.write_text(
        "Release reference,hazard_id,Method,Date completed,Area stated (m2),WKT\n"
        'R-L1,H-X,cleared,2021-03-04,1200,"POLYGON((103.2 19.4,103.205 19.4,'
        '103.205 19.405,103.2 19.4))"\n',
        encoding="utf-8",
    )
    read = inspect(client, releases, "releases", organisation="MAG").json()  # type: ignore[attr-defined]
    assert read["suggested"]["fields"]["area_m2"] == "Area stated (m2)"
    assert read["suggested"]["fields"]["release_id"] == "Release reference"


def test_the_mapping_step_maps_a_columns_munition_types_to_the_reference_list(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    """The upload page mapped no munition codes: a legacy file's "BLU26" could be read as
    BLU-26 through a mapping document only (a legacy migration's review, helper-99)."""
    path = tmp_path / "estimates.csv"
    path.write_text(
        "hazard_id,status,contam,recorded,UXO found,WKT\n"
        'E-1,SHA,CMR,2021-03-04,BLU26:3;M-42:2,"POLYGON((103.2 19.4,103.205 19.4,'
        '103.205 19.405,103.2 19.4))"\n'
        'E-2,CHA,CMR,2021-05-06,Blu-26:1,"POLYGON((103.3 19.4,103.305 19.4,'
        '103.305 19.405,103.3 19.4))"\n',
        encoding="utf-8",
    )
    shown = inspect(client, path, organisation="MAG").json()  # type: ignore[attr-defined]
    column = next(c for c in shown["columns"] if c["name"] == "UXO found")
    # each type, and the code it reads as (any capitals), or none: the page asks for those
    assert column["types"] == {"BLU26": None, "Blu-26": "BLU-26", "M-42": None}
    assert {"BLU-26", "M42"} <= set(shown["munitions"])
    assert next(c for c in shown["columns"] if c["name"] == "status")["types"] is None
    mapping = json.dumps(
        {
            "fields": {"munitions": "UXO found"},
            "values": {"munitions": {"BLU26": "BLU-26", "M-42": "M42"}},
        }
    )
    body = post(client, path, organisation="MAG", mapping=mapping).json()  # type: ignore[attr-defined]
    assert body["errors"] == 0, body
    clean = staged(session, body["id"])
    assert [c["munitions"] for c in clean] == [{"BLU-26": 3, "M42": 2}, {"BLU-26": 1}]


@pytest.mark.parametrize(
    ("cells", "types"),
    [
        (["BLU26:3; M-42:2;", "Blu-26:1"], {"BLU26": None, "Blu-26": "BLU-26", "M-42": None}),
        (["a b:3"], {"a b": None}),
        # one row a type whatever its capitals: two had both been chosen, and the mapping
        # then refused as naming one value twice (helper-105)
        (["BLU26:6;M-42:2", "Blu26:3"], {"BLU26": None, "M-42": None}),
        (["BLU-26:3", "several"], None),  # a cell of other text: not a column of munitions
        (["BLU-26:3;;M42:1"], None),
        (["BLU-26:"], None),
        ([":3"], None),
        # a cell far longer than munitions are, of the shape that had backtracked for half
        # an hour in one pattern (an attack on our own instance): not munitions, at once
        (["a:1" + " " * 200_000 + "x"], None),
        ([" " * 200_000], None),
    ],
)
def test_a_column_is_read_as_munitions_only_where_every_cell_is_type_quantity(
    cells: list[str], types: dict[str, str | None] | None
) -> None:
    assert munition_types(cells, ["BLU-26", "M42"]) == types


def test_releases_sent_before_their_hazards_are_approved_are_told_so_and_keep_the_mapping(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    """A releases file sent while its hazards awaited review was told only "hazard … is not
    recorded", and its mapping, though it had read every column, was not remembered (a
    legacy migration's walk-through, helper-105)."""
    hazards = legacy_workbook(tmp_path)
    pending = post(client, hazards, organisation="MAG", field_map="hazard_id=Hazard No").json()  # type: ignore[attr-defined]
    assert pending["errors"] == 0, pending
    releases = tmp_path / "releases.csv"
    releases.write_text(
        "Task,Hazard No,method,released,WKT\n"
        'C-1,L-1,cleared,2022-01-05,"POLYGON((103.2 19.4,103.205 19.4,103.205 19.405,'
        '103.2 19.4))"\n',
        encoding="utf-8",
    )
    sent = post(
        client,
        releases,
        "releases",
        organisation="MAG",
        field_map="release_id=Task,hazard_id=Hazard No",
    ).json()  # type: ignore[attr-defined]
    (unknown,) = [f for f in sent["findings"] if f["code"] == "unknown_hazard"]
    assert unknown["message"].startswith(
        f"hazard L-1 is not recorded yet: it awaits review in submission {pending['id']}; "
        "send these releases again once it is approved (hazard_id: the file's column"
    )
    shown = inspect(client, releases, "releases", organisation="MAG").json()  # type: ignore[attr-defined]
    assert shown["remembered"]["fits"] is True
    assert shown["suggested"]["fields"]["release_id"] == "Task"


def test_an_operator_inspects_and_forgets_for_their_own_organisation_only(
    client_as: ClientAs, client: TestClient, tmp_path: Path
) -> None:
    operator = client_as("operator", organisation="MAG")
    refused = inspect(operator, operators_file(tmp_path), organisation="NPA")
    assert refused.status_code == 403  # type: ignore[attr-defined]
    gone = operator.delete("/api/v1/submissions/mappings/hazards", params={"organisation": "NPA"})
    assert gone.status_code == 403


def test_the_mappings_remembered_are_listed_latest_first_and_an_operator_sees_their_own(
    client_as: ClientAs, session: Session
) -> None:
    """What `ims mappings list` prints, by the API (helper-119: only the CLI listed them):
    each with the id that forgets it alone; an operator lists their own organisation's."""
    mag, npa = (
        session.scalars(select(Organisation).where(Organisation.name == name)).one()
        for name in ("MAG", "NPA")
    )
    older = field_maps.MappingDocument().with_fields({"hazard_id": "AREA_NO"})
    newer = field_maps.MappingDocument().with_fields({"hazard_id": "HAZ_REF"})
    for org, mapping in ((mag, older), (mag, newer), (npa, older)):
        assert field_maps.remember_mapping(session, org, "hazards", mapping)
        session.commit()
    reviewer = client_as("reviewer")
    listed = reviewer.get("/api/v1/submissions/mappings/hazards", params={"organisation": "MAG"})
    assert listed.status_code == 200, listed.text
    kept = listed.json()["remembered"]
    assert [m["mapping"]["fields"] for m in kept] == [
        {"hazard_id": "HAZ_REF"},
        {"hazard_id": "AREA_NO"},
    ]
    assert {m["organisation"] for m in kept} == {"MAG"}
    releases = reviewer.get("/api/v1/submissions/mappings/releases", params={"organisation": "MAG"})
    assert releases.json()["remembered"] == []
    # the id listed forgets that one alone
    gone = reviewer.delete(
        "/api/v1/submissions/mappings/hazards", params={"organisation": "MAG", "id": kept[1]["id"]}
    )
    assert [m["mapping"]["fields"] for m in gone.json()["cleared"]] == [{"hazard_id": "AREA_NO"}]
    operator = client_as("operator", organisation="NPA")
    own = operator.get("/api/v1/submissions/mappings/hazards")
    assert [m["mapping"]["fields"] for m in own.json()["remembered"]] == [{"hazard_id": "AREA_NO"}]
    theirs = operator.get("/api/v1/submissions/mappings/hazards", params={"organisation": "MAG"})
    assert theirs.status_code == 403
    # their own, named in other capitals (helper-120: refused, "uploads for NPA, not 'npa'")
    named = operator.get("/api/v1/submissions/mappings/hazards", params={"organisation": "npa"})
    assert named.json()["remembered"] == own.json()["remembered"]


def test_an_upload_replacing_a_pending_one_supersedes_it_and_both_link(
    client: TestClient, client_as: ClientAs, session: Session, tmp_path: Path
) -> None:
    operator = client_as("operator", organisation="MAG")
    first = post(operator, good_zip(tmp_path, "first")).json()  # type: ignore[attr-defined]
    second = post(operator, good_zip(tmp_path, "second"), replaces=str(first["id"]))
    assert second.status_code == 201, second.text  # type: ignore[attr-defined]
    later = second.json()  # type: ignore[attr-defined]
    assert later["replaces"] == first["id"] and later["status"] == "validated"
    earlier = operator.get(f"/api/v1/submissions/{first['id']}").json()
    assert earlier["status"] == "superseded" and earlier["replaced_by"] == later["id"]
    reviewer = client_as("reviewer")
    refused = reviewer.post(f"/api/v1/submissions/{first['id']}/approve")
    assert refused.status_code == 409 and "superseded" in refused.json()["detail"]
    assert (
        reviewer.post(f"/api/v1/submissions/{first['id']}/reject", json={"reason": "x"}).status_code
        == 409
    )
    twice = post(operator, good_zip(tmp_path, "third"), replaces=str(first["id"]))
    assert twice.status_code == 409  # type: ignore[attr-defined]
    audit = session.scalar(
        text("SELECT after FROM audit_event WHERE action = 'submission.superseded'")
    )
    assert audit == {"status": "superseded", "replaced_by": later["id"]}


def test_a_replacement_that_leaves_out_features_of_the_one_it_replaces_says_which(
    client_as: ClientAs, tmp_path: Path
) -> None:
    """The findings file holds only the features with findings: a data manager who fixed and
    sent back just those lost the clean ones without a word (found by a walk-through as an
    operator's data manager)."""
    operator = client_as("operator", organisation="MAG")
    first = post(operator, good_zip(tmp_path, "first")).json()  # type: ignore[attr-defined]
    only_one = hazard_frame([{"hazard_id": "API-2"}], [box(103.3, 19.4, 103.305, 19.405)])
    second = post(
        operator, write_zip(only_one, tmp_path, "fixed"), replaces=str(first["id"])
    ).json()  # type: ignore[attr-defined]
    (said,) = [f for f in second["findings"] if f["code"] == "left_out_of_replacement"]
    assert said["severity"] == "warning"
    assert f"1 feature of submission {first['id']}" in said["message"]
    assert "API-1 (feature 1)" in said["message"] and "API-2" not in said["message"]
    whole = post(operator, good_zip(tmp_path, "whole"), replaces=str(second["id"])).json()  # type: ignore[attr-defined]
    assert "left_out_of_replacement" not in [f["code"] for f in whole["findings"]]


def test_a_revision_whose_date_was_corrected_is_not_said_left_out_of_the_replacement(
    client_as: ClientAs, session: Session, tmp_path: Path
) -> None:
    """A data manager corrected "revised 2027-01-15 is in the future" to 2026-11-15 and sent
    the file as the replacement: the warning said the feature was not in the file and would
    not be recorded, matching revisions by reference and date (helper-97)."""
    load_boundaries(
        session, [BoundaryFeature("LA-XI", "Xiangkhouang", MultiPolygon([LAOS]))], level=1
    )
    operator = client_as("operator", organisation="MAG")
    shape = box(103.3, 19.4, 103.305, 19.405)
    new = hazard_frame([{"hazard_id": "REV-1"}], [shape])
    first = post(operator, write_zip(new, tmp_path, "new")).json()  # type: ignore[attr-defined]
    assert client_as("reviewer").post(f"/api/v1/submissions/{first['id']}/approve").is_success

    def revisions(dates: list[str], name: str) -> dict[str, Any]:
        rows = [{"hazard_id": "REV-1", "status": "CHA", "revised": d} for d in dates]
        frame = hazard_frame(rows, [shape] * len(rows))
        return post(operator, write_zip(frame, tmp_path, name), **replacing).json()  # type: ignore[attr-defined,no-any-return]

    replacing: dict[str, str] = {}
    wrong = revisions(["2099-01-15", "2024-03-01"], "wrong")
    assert wrong["errors"] >= 1
    replacing["replaces"] = str(wrong["id"])
    fixed = revisions(["2024-02-15", "2024-03-01"], "fixed")
    assert "left_out_of_replacement" not in [f["code"] for f in fixed["findings"]]
    # one of the two sent again, its date corrected: the other is said left out
    replacing["replaces"] = str(fixed["id"])
    half = revisions(["2024-02-20"], "half")
    (said,) = [f for f in half["findings"] if f["code"] == "left_out_of_replacement"]
    assert said["message"].startswith(f"1 feature of submission {fixed['id']}"), said


def test_a_replacements_left_out_features_stay_said_once_it_is_approved(
    client_as: ClientAs, tmp_path: Path
) -> None:
    """Approved after another approval had changed the database, the replacement's
    features were checked again and its warning of the features left out was gone from
    its page, its list and the API (helper-87)."""
    operator = client_as("operator", organisation="MAG")
    reviewer = client_as("reviewer")
    first = post(operator, good_zip(tmp_path, "first")).json()  # type: ignore[attr-defined]
    only_one = hazard_frame([{"hazard_id": "API-2"}], [box(103.3, 19.4, 103.305, 19.405)])
    second = post(
        operator, write_zip(only_one, tmp_path, "fixed"), replaces=str(first["id"])
    ).json()  # type: ignore[attr-defined]
    elsewhere = hazard_frame([{"hazard_id": "API-9"}], [box(103.5, 19.6, 103.505, 19.605)])
    other = post(operator, write_zip(elsewhere, tmp_path, "other")).json()  # type: ignore[attr-defined]
    assert reviewer.post(f"/api/v1/submissions/{other['id']}/approve").status_code == 200
    approved = reviewer.post(f"/api/v1/submissions/{second['id']}/approve")
    assert approved.status_code == 200, approved.text
    after = operator.get(f"/api/v1/submissions/{second['id']}").json()
    assert after["status"] == "approved"
    codes = [f["code"] for f in after["findings"]]
    assert codes.count("left_out_of_replacement") == 1, codes
    assert after["warnings"] == second["warnings"]


def test_a_corrected_file_is_linked_to_the_rejected_submission_it_corrects(
    client_as: ClientAs, tmp_path: Path
) -> None:
    """A corrected file could name only a submission awaiting review: sent after a
    rejection, it came as a new one, and its reviewer did not see why the first had been
    refused (a walk-through). It is linked now; the rejected one stays rejected."""
    operator = client_as("operator", organisation="MAG")
    reviewer = client_as("reviewer")
    first = post(operator, good_zip(tmp_path, "first")).json()  # type: ignore[attr-defined]
    reason = "the boundaries are in the wrong zone"
    assert (
        reviewer.post(
            f"/api/v1/submissions/{first['id']}/reject", json={"reason": reason}
        ).status_code
        == 200
    )
    upload = operator.get("/submissions/new?kind=hazards").text
    assert '<optgroup label="Rejected: corrected by this file">' in upload
    assert f'<option value="{first["id"]}" data-kind="hazards"' in upload
    only_one = hazard_frame([{"hazard_id": "API-2"}], [box(103.3, 19.4, 103.305, 19.405)])
    fixed = post(operator, write_zip(only_one, tmp_path, "fixed"), replaces=str(first["id"]))
    assert fixed.status_code == 201, fixed.text  # type: ignore[attr-defined]
    later = fixed.json()  # type: ignore[attr-defined]
    assert later["replaces"] == first["id"] and later["status"] == "validated"
    (said,) = [f for f in later["findings"] if f["code"] == "left_out_of_replacement"]
    assert "which this upload corrects (it was rejected)" in said["message"]
    earlier = operator.get(f"/api/v1/submissions/{first['id']}").json()
    assert earlier["status"] == "rejected" and earlier["replaced_by"] == later["id"]
    page = reviewer.get(f"/submissions/{later['id']}").text
    shown = re.search(r'<p class="replaced" id="replaces">(.*?)</p>', page, re.S)
    assert shown is not None
    assert re.fullmatch(
        rf"This upload corrects submission {first['id']}, rejected by test-reviewer-\w+: "
        rf"“{reason}”\.",
        " ".join(re.sub(r"<[^>]+>", "", html.unescape(shown[1])).split()),
    )
    rejected_page = operator.get(f"/submissions/{first['id']}").text
    assert "Corrected by" in rejected_page and 'id="correct-link"' not in rejected_page
    again = post(operator, good_zip(tmp_path, "again"), replaces=str(first["id"]))
    assert again.status_code == 409  # type: ignore[attr-defined]  # corrected once


def test_only_a_pending_submission_of_the_same_organisation_and_kind_is_replaced(
    client: TestClient, client_as: ClientAs, tmp_path: Path
) -> None:
    reviewer = client_as("reviewer")
    npa = post(client, good_zip(tmp_path, "npa"), organisation="NPA").json()  # type: ignore[attr-defined]
    mag = client_as("operator", organisation="MAG")
    other = post(mag, good_zip(tmp_path, "mag"), replaces=str(npa["id"]))
    assert other.status_code == 404  # type: ignore[attr-defined]
    approved = post(mag, good_zip(tmp_path, "ok")).json()  # type: ignore[attr-defined]
    assert reviewer.post(f"/api/v1/submissions/{approved['id']}/approve").status_code == 200
    late = post(mag, good_zip(tmp_path, "late"), replaces=str(approved["id"]))
    assert late.status_code == 409 and "approved" in late.json()["detail"]  # type: ignore[attr-defined]
    pending = post(mag, good_zip(tmp_path, "pending")).json()  # type: ignore[attr-defined]
    wrong_kind = post(mag, good_zip(tmp_path, "k"), kind="releases", replaces=str(pending["id"]))
    assert wrong_kind.status_code in (409, 422)  # type: ignore[attr-defined]


def test_cli_import_replaces(
    committed_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "IMS_DATABASE_URL", committed_engine.url.render_as_string(hide_password=False)
    )
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        first = runner.invoke(
            cli_app, ["import", str(good_zip(tmp_path, "a")), "--kind", "hazards"]
        )
        assert first.exit_code == 0, first.output
        found = re.search(r"submission (\d+): 2 features", first.output)
        assert found, first.output
        earlier = int(found.group(1))
        args = ["import", str(good_zip(tmp_path, "b")), "--kind", "hazards"]
        second = runner.invoke(cli_app, [*args, "--replaces", str(earlier)])
        assert second.exit_code == 0, second.output
        assert f"submission {earlier} is superseded" in second.output
        with Session(committed_engine) as session:
            status = session.scalar(
                text("SELECT status FROM submission WHERE id = :s"), {"s": earlier}
            )
        assert status == "superseded"
        third = runner.invoke(cli_app, [*args, "--replaces", str(earlier)])
        assert third.exit_code == 2 and "replaced already" in third.output
    finally:
        get_settings.cache_clear()


WEST = box(100.0, 13.9, 103.25, 22.5)
EAST = box(103.25, 13.9, 107.7, 22.5)


def test_approval_preview_splits_the_recorded_area_by_province_on_the_ellipsoid(
    session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    load_boundaries(
        session,
        [
            BoundaryFeature("LA-W", "West", MultiPolygon([WEST])),
            BoundaryFeature("LA-E", "East", MultiPolygon([EAST])),
        ],
        level=1,
    )
    across = box(103.24, 19.4, 103.26, 19.41)  # half in each province
    frame = gpd.GeoDataFrame(
        {"hazard_id": ["PRE-1", "PRE-2"], "status": ["SHA", "CHA"], "recorded": ["2020-01-01"] * 2},
        geometry=[across, box(104.0, 19.4, 104.01, 19.41)],
        crs=4326,
    )
    client = client_as()
    body = post(client, write_zip(frame, tmp_path, "pre")).json()  # type: ignore[attr-defined]
    assert body["errors"] == 0, body
    preview = submissions_q.approval_preview(session, body["id"], "hazards")
    expected = dict(
        session.execute(
            text(
                "SELECT a.code, sum(ST_Area(ST_Intersection(sf.geom, a.geom)::geography)) "
                "FROM submission_feature sf JOIN admin_area a ON a.level = 1 "
                "AND ST_Intersects(sf.geom, a.geom) WHERE sf.submission_id = :s GROUP BY a.code"
            ),
            {"s": body["id"]},
        ).all()
    )
    got = {p.code: p.new_m2 for p in preview.provinces}
    assert set(got) == {"LA-W", "LA-E"} and preview.new_hazards == 2
    for code, area in expected.items():
        assert got[code] == pytest.approx(float(area), rel=1e-4)
    page = client.get(f"/submissions/{body['id']}").text
    assert 'id="preview"' in page and 'id="confirm-approve"' in page
    # the Approve button comes before the map in the page's order (keyboard users reach it)
    assert page.index('id="approve"') < page.index('id="review-map"')


def test_an_upload_computes_what_its_review_page_shows_of_approving_it(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = post(client, good_zip(tmp_path), organisation="MAG").json()  # type: ignore[attr-defined]

    def again(*_args: object) -> None:
        raise AssertionError("the review page computed the preview again")

    monkeypatch.setattr(submissions_q, "approval_preview", again)
    page = client.get(f"/submissions/{body['id']}")
    assert page.status_code == 200 and 'id="preview"' in page.text
    assert "2 new hazards recorded" in page.text


def test_a_server_started_after_the_upload_finds_its_preview_in_the_database(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The preview outlives the server's memory (9 s for a national file), but only while
    nothing is recorded: under another data stamp it is computed again."""
    body = post(client, good_zip(tmp_path), organisation="MAG").json()  # type: ignore[attr-defined]
    kept.ANSWERS.clear()  # as a server that has just started
    computed = submissions_q.approval_preview
    calls: list[int] = []

    def counted(session: Session, submission_id: int, kind: str) -> Any:
        calls.append(submission_id)
        return computed(session, submission_id, kind)

    monkeypatch.setattr(submissions_q, "approval_preview", counted)
    page = client.get(f"/submissions/{body['id']}")
    assert page.status_code == 200 and "2 new hazards recorded" in page.text
    assert calls == []  # read from the database
    another = hazard_frame([{"hazard_id": "API-3"}], [box(103.4, 19.4, 103.405, 19.405)])
    other = post(client, write_zip(another, tmp_path, "another"), organisation="MAG").json()  # type: ignore[attr-defined]
    monkeypatch.setattr(get_settings(), "allow_self_approval", True)  # one client: both roles
    approved = client.post(f"/api/v1/submissions/{other['id']}/approve")
    assert approved.status_code == 200, approved.text
    kept.ANSWERS.clear()
    calls.clear()  # (the other upload's own preview)
    page = client.get(f"/submissions/{body['id']}")
    assert page.status_code == 200 and "2 new hazards recorded" in page.text
    assert calls == [body["id"]]  # something was recorded since: computed again
    kept.ANSWERS.clear()
    client.get(f"/submissions/{body['id']}")
    assert calls == [body["id"]]  # and stored again under the new stamp


def _geography_m2(session: Session, sql: str, **params: str) -> float:
    return float(session.scalar(text(f"SELECT ST_Area(({sql})::geography)"), params) or 0.0)


def test_approval_preview_of_revisions_and_releases_splits_them_and_the_ground_outside(
    session: Session, tmp_path: Path
) -> None:
    load_boundaries(
        session,
        [
            BoundaryFeature("LA-W", "West", MultiPolygon([WEST])),
            BoundaryFeature("LA-E", "East", MultiPolygon([EAST])),
        ],
        level=1,
    )
    across, edge = box(103.24, 19.4, 103.26, 19.41), box(107.69, 19.4, 107.71, 19.41)
    first = submissions.stage(
        session,
        write_zip(
            hazard_frame([{"hazard_id": "PV-A"}, {"hazard_id": "PV-B"}], [across, edge]),
            tmp_path,
            "first",
        ),
        kind="hazards",
        organisation="MAG",
    )
    approval.approve(session, first.submission.id, by="reviewer")
    moved = box(103.245, 19.4, 103.27, 19.415)
    revised = submissions.stage(
        session,
        write_zip(
            hazard_frame(
                [{"hazard_id": "PV-A", "status": "CHA", "revised": "2021-01-01"}], [moved]
            ),
            tmp_path,
            "revised",
        ),
        kind="hazards",
        organisation="MAG",
    )
    release = box(107.695, 19.39, 107.705, 19.405)  # half on PV-B, across the east edge
    released = submissions.stage(
        session,
        write_zip(
            gpd.GeoDataFrame(
                [
                    {
                        "release_id": "PV-R",
                        "hazard_id": "PV-B",
                        "method": "cleared",
                        "released": "2024-03-01",
                    }
                ],
                geometry=[release],
                crs=4326,
            ),
            tmp_path,
            "released",
        ),
        kind="releases",
        organisation="MAG",
    )

    def within(geom: str, code: str) -> float:
        return _geography_m2(
            session,
            "SELECT ST_Intersection(ST_GeomFromText(:g, 4326), geom) FROM admin_area "
            "WHERE code = :c",
            g=geom,
            c=code,
        )

    def outside(geom: str) -> float:
        return _geography_m2(
            session,
            "SELECT ST_Difference(ST_GeomFromText(:g, 4326), ST_Union(geom)) FROM admin_area",
            g=geom,
        )

    preview = submissions_q.approval_preview(session, revised.submission.id, "hazards")
    got = {p.code: p for p in preview.provinces}
    assert set(got) == {"LA-W", "LA-E"} and preview.revisions == 1
    assert preview.status_changes == {"SHA to CHA": 1}
    for code in ("LA-W", "LA-E"):
        assert got[code].revised_m2 == pytest.approx(within(moved.wkt, code), rel=1e-6)
        assert got[code].replaced_m2 == pytest.approx(within(across.wkt, code), rel=1e-6)

    preview = submissions_q.approval_preview(session, released.submission.id, "releases")
    got = {p.code: p for p in preview.provinces}
    assert set(got) == {"LA-E", None}  # the ground east of the provinces is "Unassigned"
    counted = release.intersection(edge).wkt  # within the hazard's remaining ground only
    assert got["LA-E"].released_m2 == pytest.approx(within(counted, "LA-E"), rel=1e-6)
    assert got[None].name == "Unassigned"
    assert got[None].released_m2 == pytest.approx(outside(counted), rel=1e-6)
    assert preview.total.released_m2 == pytest.approx(
        _geography_m2(session, "SELECT ST_GeomFromText(:g, 4326)", g=counted), rel=1e-6
    )


def test_a_release_matched_by_geometry_is_previewed_as_it_is_recorded(
    session: Session, tmp_path: Path
) -> None:
    """A release with no hazard named is recorded on each hazard it lies on (§2.7); the
    preview had counted none of it, and a reviewer approved "up to 95,115 m²" that
    recorded 142,672 m² (a walk-through migrating legacy clearance)."""
    load_boundaries(session, [BoundaryFeature("LA-W", "West", MultiPolygon([WEST]))], level=1)
    a, b = box(103.20, 19.40, 103.22, 19.42), box(103.21, 19.40, 103.23, 19.42)  # overlapping
    hazards = submissions.stage(
        session,
        write_zip(
            hazard_frame([{"hazard_id": "GM-A"}, {"hazard_id": "GM-B"}], [a, b]), tmp_path, "h"
        ),
        kind="hazards",
        organisation="MAG",
    )
    approval.approve(session, hazards.submission.id, by="reviewer")
    across = box(103.215, 19.405, 103.235, 19.41)  # on both hazards, and beyond B
    named = box(103.201, 19.415, 103.203, 19.417)  # on A only, which it names
    staged = submissions.stage(
        session,
        write_zip(
            gpd.GeoDataFrame(
                [
                    {
                        "release_id": "GM-R1",
                        "hazard_id": None,
                        "method": "cleared",
                        "released": "2024-03-01",
                    },
                    {
                        "release_id": "GM-R2",
                        "hazard_id": "GM-A",
                        "method": "reduced",
                        "released": "2024-03-01",
                    },
                ],
                geometry=[across, named],
                crs=4326,
            ),
            tmp_path,
            "r",
        ),
        kind="releases",
        organisation="MAG",
    )
    assert staged.errors == 0
    preview = submissions_q.approval_preview(session, staged.submission.id, "releases")
    wkt = {"a": a.wkt, "b": b.wkt, "across": across.wkt, "named": named.wkt}
    # each hazard's part of it, computed by PostGIS on the ellipsoid
    expected = sum(
        _geography_m2(
            session,
            "SELECT ST_Intersection(ST_GeomFromText(:r, 4326), ST_GeomFromText(:h, 4326))",
            r=wkt[r],
            h=wkt[h],
        )
        for r, h in (("across", "a"), ("across", "b"), ("named", "a"))
    )
    assert preview.features == 2
    assert preview.total.released_m2 == pytest.approx(expected, rel=1e-6)
    # beyond B: land released outside recorded hazards, counted apart
    beyond = _geography_m2(
        session,
        "SELECT ST_Difference(ST_GeomFromText(:r, 4326),"
        " ST_Union(ST_GeomFromText(:a, 4326), ST_GeomFromText(:b, 4326)))",
        r=wkt["across"],
        a=wkt["a"],
        b=wkt["b"],
    )
    assert beyond > 10_000 and preview.outside_m2 == pytest.approx(beyond, rel=1e-6)
    approval.approve(session, staged.submission.id, by="reviewer")
    recorded = session.scalar(
        text(
            "SELECT sum(-e.delta_m2) FROM ledger_entry e JOIN release r ON r.id = e.release_id"
            " WHERE r.submission_id = :s"
        ),
        {"s": staged.submission.id},
    )
    assert float(recorded) == pytest.approx(preview.total.released_m2, rel=1e-6)


def test_two_overlapping_releases_of_one_hazard_are_previewed_once(
    session: Session, tmp_path: Path
) -> None:
    """Each release was cut and counted on its own: two of one hazard that overlapped made
    "up to 204,901 m²" of a hazard of 162,354 m² (found by a walk-through)."""
    load_boundaries(session, [BoundaryFeature("LA-W", "West", MultiPolygon([WEST]))], level=1)
    hazard = box(103.20, 19.40, 103.21, 19.41)
    staged = submissions.stage(
        session,
        write_zip(hazard_frame([{"hazard_id": "OV-1"}], [hazard]), tmp_path, "h"),
        kind="hazards",
        organisation="MAG",
    )
    approval.approve(session, staged.submission.id, by="reviewer")
    first, second = box(103.20, 19.40, 103.206, 19.41), box(103.204, 19.40, 103.21, 19.41)
    released = submissions.stage(
        session,
        write_zip(
            gpd.GeoDataFrame(
                [
                    {
                        "release_id": f"OV-R{n}",
                        "hazard_id": "OV-1",
                        "method": "cleared",
                        "released": f"2024-0{n}-01",
                    }
                    for n in (1, 2)
                ],
                geometry=[first, second],
                crs=4326,
            ),
            tmp_path,
            "r",
        ),
        kind="releases",
        organisation="MAG",
    )
    preview = submissions_q.approval_preview(session, released.submission.id, "releases")
    whole = _geography_m2(session, "SELECT ST_GeomFromText(:g, 4326)", g=hazard.wkt)
    assert preview.features == 2
    assert preview.total.released_m2 == pytest.approx(whole, rel=1e-6)  # not 1.2 times it
    approval.approve(session, released.submission.id, by="reviewer")
    recorded = session.scalar(
        text(
            "SELECT sum(-e.delta_m2) FROM ledger_entry e JOIN release r ON r.id = e.release_id"
            " WHERE r.submission_id = :s"
        ),
        {"s": released.submission.id},
    )
    assert float(recorded) == pytest.approx(preview.total.released_m2, rel=1e-6)


def test_a_releases_preview_is_what_todays_remaining_ground_loses(
    session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    """A release dated before a later revision counts, in its own year, against the
    boundary then in force; the review's "up to" is what the ground remaining today
    loses, which the page now says (a walk-through read one figure for the other)."""
    load_boundaries(session, [BoundaryFeature("LA-W", "West", MultiPolygon([WEST]))], level=1)
    whole, west = box(103.2, 19.4, 103.22, 19.42), box(103.2, 19.4, 103.21, 19.42)
    for name, frame in (
        ("whole", hazard_frame([{"hazard_id": "BD-1"}], [whole])),
        ("shrunk", hazard_frame([{"hazard_id": "BD-1", "revised": "2022-01-01"}], [west])),
    ):
        staged = submissions.stage(session, write_zip(frame, tmp_path, name), kind="hazards")
        approval.approve(session, staged.submission.id, by="reviewer")
    strip = box(103.205, 19.4, 103.215, 19.42)  # half of it outside the boundary of 2022
    released = submissions.stage(
        session,
        write_zip(
            gpd.GeoDataFrame(
                [
                    {
                        "release_id": "BD-R",
                        "hazard_id": "BD-1",
                        "method": "cleared",
                        "released": "2021-06-01",
                    }
                ],
                geometry=[strip],
                crs=4326,
            ),
            tmp_path,
            "released",
        ),
        kind="releases",
    )
    remaining = "SELECT remaining_m2 FROM hazard_remaining"
    before = float(session.scalar(text(remaining)) or 0.0)
    preview = submissions_q.approval_preview(session, released.submission.id, "releases")
    page = client_as("reviewer").get(f"/submissions/{released.submission.id}")
    assert "from the ground its hazards have remaining today" in " ".join(page.text.split())
    approval.approve(session, released.submission.id, by="reviewer")
    lost = before - float(session.scalar(text(remaining)) or 0.0)
    today = _geography_m2(
        session, "SELECT ST_GeomFromText(:g, 4326)", g=strip.intersection(west).wkt
    )
    whole_strip = _geography_m2(session, "SELECT ST_GeomFromText(:g, 4326)", g=strip.wkt)
    assert preview.total.released_m2 == pytest.approx(today, rel=1e-6)
    assert lost == pytest.approx(today, rel=1e-6)
    counted = session.scalar(
        text("SELECT -delta_m2 FROM ledger_entry WHERE kind = 'cleared'")
    )  # in 2021, against the boundary of 2020
    assert counted == pytest.approx(whole_strip, rel=1e-6) and counted > 1.9 * today


def test_a_revision_changes_the_remaining_ground_by_its_boundary_less_the_land_released(
    session: Session, tmp_path: Path
) -> None:
    # A GIS officer took the register's file (its geometry is the remaining ground), drew
    # a boundary around it 5 m wider and uploaded it as a revision: the preview said
    # -39,304 m² ("change to remaining"), the boundaries' difference; approved, the
    # hazard's remaining ground grew by 12,073 m² (found by a walk-through).
    load_boundaries(session, [BoundaryFeature("LA-W", "West", MultiPolygon([WEST]))], level=1)
    whole = box(103.2, 19.4, 103.22, 19.42)
    recorded = submissions.stage(
        session,
        write_zip(hazard_frame([{"hazard_id": "RG-1"}], [whole]), tmp_path, "whole"),
        kind="hazards",
    )
    approval.approve(session, recorded.submission.id, by="reviewer")
    cleared = box(103.2, 19.4, 103.21, 19.42)  # the west half
    releases = submissions.stage(
        session,
        write_zip(
            gpd.GeoDataFrame(
                [
                    {
                        "release_id": "RG-R",
                        "hazard_id": "RG-1",
                        "method": "cleared",
                        "released": "2024-03-01",
                    }
                ],
                geometry=[cleared],
                crs=4326,
            ),
            tmp_path,
            "cleared",
        ),
        kind="releases",
    )
    approval.approve(session, releases.submission.id, by="reviewer")
    redrawn = box(103.21, 19.4, 103.22, 19.42).buffer(0.0001, join_style="mitre")
    revision = submissions.stage(
        session,
        write_zip(
            hazard_frame([{"hazard_id": "RG-1", "revised": "2025-01-01"}], [redrawn]),
            tmp_path,
            "redrawn",
        ),
        kind="hazards",
    )
    # and the upload says the boundary leaves out the land released (a warning: a survey
    # may shrink a boundary, so long as someone meant it)
    (warned,) = [f for f in revision.findings if f.code == "leaves_out_released"]
    assert warned.severity.value == "warning" and warned.row == 1
    assert "leaves out" in warned.message and "remaining ground" in warned.message
    total = submissions_q.approval_preview(session, revision.submission.id, "hazards").total
    geodesic = lambda g: _geography_m2(session, "SELECT ST_GeomFromText(:g, 4326)", g=g.wkt)  # noqa: E731
    # the boundary shrinks by about the half released, less the 11 m added around it
    assert total.revised_m2 - total.replaced_m2 == pytest.approx(
        geodesic(redrawn) - geodesic(whole), rel=1e-6
    )
    # the remaining ground changes by what the wider boundary adds outside the releases
    added = geodesic(redrawn.difference(cleared)) - geodesic(whole.difference(cleared))
    assert total.change_m2 == pytest.approx(added, rel=1e-4)
    approval.approve(session, revision.submission.id, by="reviewer")
    delta = session.scalar(
        text(
            "SELECT e.delta_m2 FROM ledger_entry e JOIN hazard h ON h.id = e.hazard_id "
            "WHERE h.reference = 'RG-1' ORDER BY e.entry_no DESC LIMIT 1"
        )
    )
    assert total.change_m2 == pytest.approx(delta, rel=1e-4)  # as the ledger counts it
    # a revision that keeps the released ground inside its boundary is not warned of
    wider = submissions.stage(
        session,
        write_zip(
            hazard_frame([{"hazard_id": "RG-1", "revised": "2025-06-01"}], [whole]),
            tmp_path,
            "wider",
        ),
        kind="hazards",
    )
    assert "leaves_out_released" not in {f.code for f in wider.findings}
    # one dated before the revision in force changes the history between the two, not the
    # register today: the preview had counted its boundary against today's ground
    # (found by a walk-through as an IM officer)
    earlier = submissions.stage(
        session,
        write_zip(
            hazard_frame([{"hazard_id": "RG-1", "revised": "2024-06-01"}], [whole.buffer(0.001)]),
            tmp_path,
            "earlier",
        ),
        kind="hazards",
    )
    assert "before_later_revision" in {f.code for f in earlier.findings}
    assert submissions_q.approval_preview(
        session, earlier.submission.id, "hazards"
    ).total.change_m2 == pytest.approx(0.0, abs=1e-6)
    today_before = session.scalar(
        text(
            "SELECT m.remaining_m2 FROM hazard_remaining m JOIN hazard h ON h.id = m.hazard_id "
            "WHERE h.reference = 'RG-1'"
        )
    )
    approval.approve(session, earlier.submission.id, by="reviewer")
    today_after = session.scalar(
        text(
            "SELECT m.remaining_m2 FROM hazard_remaining m JOIN hazard h ON h.id = m.hazard_id "
            "WHERE h.reference = 'RG-1'"
        )
    )
    assert today_after == pytest.approx(today_before, abs=1e-6)


def test_a_revision_dated_before_releases_that_moves_off_their_ground_is_warned_of(
    session: Session, tmp_path: Path
) -> None:
    # A revision dated back before a release, drawn somewhere else (a resurvey that moved
    # the hazard), was approved without a word, and the release then counted nothing
    # from the hazard (helper-123): a release is counted from the boundary in force on its
    # date (§2.2).
    load_boundaries(session, [BoundaryFeature("LA-W", "West", MultiPolygon([WEST]))], level=1)
    whole = box(103.2, 19.4, 103.22, 19.42)
    approve = lambda staged: approval.approve(session, staged.submission.id, by="reviewer")  # noqa: E731
    approve(
        submissions.stage(
            session,
            write_zip(hazard_frame([{"hazard_id": "BD-1"}], [whole]), tmp_path, "whole"),
            kind="hazards",
        )
    )
    cleared = box(103.2, 19.4, 103.21, 19.42)  # the west half
    approve(
        submissions.stage(
            session,
            write_zip(
                gpd.GeoDataFrame(
                    [
                        {
                            "release_id": "BD-R",
                            "hazard_id": "BD-1",
                            "method": "cleared",
                            "released": "2024-03-01",
                        }
                    ],
                    geometry=[cleared],
                    crs=4326,
                ),
                tmp_path,
                "cleared",
            ),
            kind="releases",
        )
    )
    geodesic = lambda g: _geography_m2(session, "SELECT ST_GeomFromText(:g, 4326)", g=g.wkt)  # noqa: E731

    def revision(day: str, geom: Any, name: str) -> Any:
        return submissions.stage(
            session,
            write_zip(
                hazard_frame([{"hazard_id": "BD-1", "revised": day}], [geom]), tmp_path, name
            ),
            kind="hazards",
        )

    # the same size, 2 km east: not the remaining ground sent as the boundary, which the
    # check of shrunken boundaries looks for
    moved = box(103.24, 19.4, 103.26, 19.42)
    # drawn after the release, it changes nothing the release counted
    later = revision("2025-01-01", moved, "later")
    assert "leaves_out_released" not in {f.code for f in later.findings}
    # drawn around the released ground, dated before it, nothing either
    kept_ground = revision("2023-06-01", whole.buffer(0.001), "kept")
    assert "leaves_out_released" not in {f.code for f in kept_ground.findings}
    # a boundary that leaves out a fifth of the released ground, dated before it: warned
    trimmed = box(103.202, 19.4, 103.22, 19.42)
    (warned,) = [
        f
        for f in revision("2023-06-01", trimmed, "trimmed").findings
        if f.code == "leaves_out_released"
    ]
    left = geodesic(cleared.difference(trimmed))
    assert f"leaves out {left:,.0f} m² of the {geodesic(cleared):,.0f} m²" in warned.message
    # the remaining ground sent as the boundary, dated before it: warned once, as that
    (warned,) = [
        f
        for f in revision("2023-06-01", box(103.21, 19.4, 103.22, 19.42), "rest").findings
        if f.code == "leaves_out_released"
    ]
    assert "remaining ground" in warned.message
    # moved off it, dated before it: warned, naming the release and what it would lose
    staged = revision("2023-06-01", moved, "moved")
    (warned,) = [f for f in staged.findings if f.code == "leaves_out_released"]
    assert warned.severity.value == "warning" and warned.row == 1 and warned.field == "geometry"
    released = geodesic(cleared)
    assert (
        "this revision of BD-1, dated 2023-06-01, comes before release BD-R of 2024-03-01, "
        f"and its boundary leaves out {released:,.0f} m² of the {released:,.0f} m² it released"
    ) in warned.message
    # and what it says is what the approval does: the release counts nothing from BD-1
    before = session.scalar(
        text("SELECT -delta_m2 FROM ledger_entry e JOIN release r ON r.id = e.release_id")
    )
    assert before == pytest.approx(released, rel=1e-6)
    approve(staged)
    after = session.scalar(
        text("SELECT -delta_m2 FROM ledger_entry e JOIN release r ON r.id = e.release_id")
    )
    assert after == pytest.approx(0.0, abs=1e-6)


def test_review_page_lists_each_features_findings_and_filters_them(
    client: TestClient, client_as: ClientAs, tmp_path: Path
) -> None:
    frame = gpd.GeoDataFrame(
        {
            "hazard_id": ["F-1", "F-2", "F-3"],
            "status": ["SHA", "dangerous", "SHA"],
            "recorded": ["2020-01-01"] * 3,
        },
        geometry=[box(103.2 + i / 10, 19.4, 103.205 + i / 10, 19.405) for i in range(3)],
        crs=4326,
    )
    first = post(client, write_zip(frame, tmp_path, "f")).json()  # type: ignore[attr-defined]
    errors = client.get(f"/submissions/{first['id']}", params={"features": "errors"}).text
    table = errors[errors.index('id="features"') :]
    assert "F-2" in table and "F-1" not in table and "unknown_value" in table
    clean = client.get(f"/submissions/{first['id']}", params={"features": "clean"}).text
    table = clean[clean.index('id="features"') :]
    assert "F-1" in table and "F-3" in table and "F-2" not in table
    # the file's own warning (an extra column) is no feature's: "1 warning" had led to
    # "with warnings only", which read "No feature here" alone (helper-107)
    alone = gpd.GeoDataFrame(
        {"hazard_id": ["N-1"], "status": ["SHA"], "recorded": ["2020-01-01"], "village": ["Na"]},
        geometry=[box(103.8, 19.8, 103.805, 19.805)],
        crs=4326,
    )
    noted = post(client, write_zip(alone, tmp_path, "n")).json()  # type: ignore[attr-defined]
    assert noted["warnings"] == 1 and noted["errors"] == 0
    only = client.get(f"/submissions/{noted['id']}", params={"features": "warnings"}).text
    table = only[only.index('id="features"') :]
    assert "No feature here. A finding of the file as a whole, of no feature, is listed" in table
    second = post(client, good_zip(tmp_path, "g"), replaces=str(first["id"])).json()  # type: ignore[attr-defined]
    earlier = client.get(f"/submissions/{first['id']}").text
    assert f'href="/submissions/{second["id"]}"' in earlier and "superseded" in earlier
    later = client.get(f"/submissions/{second['id']}").text
    assert f'href="/submissions/{first["id"]}"' in later


def test_the_review_filters_features_by_their_worst_finding_with_counts_and_pages(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_boundaries(
        session, [BoundaryFeature("LA-XI", "Xiangkhouang", MultiPolygon([LAOS]))], level=1
    )
    same = box(103.5, 19.4, 103.505, 19.405)  # F-4 and F-5 overlap F-3: a warning each
    frame = hazard_frame(
        [
            {"hazard_id": "F-1"},
            {"hazard_id": "F-2", "status": "dangerous"},  # an error
            {"hazard_id": "F-3"},
            {"hazard_id": "F-4", "status": "dangerous"},  # an error and a warning
            {"hazard_id": "F-5"},  # a warning
        ],
        [box(103.2, 19.4, 103.205, 19.405), box(103.3, 19.4, 103.305, 19.405), same, same, same],
    )
    staged = submissions.stage(session, write_zip(frame, tmp_path, "worst"), kind="hazards")
    sid = staged.submission.id
    worst: dict[int, str] = {}
    for f in staged.findings:
        if f.row is not None and worst.get(f.row) != "error":
            worst[f.row] = f.severity.value
    assert worst == {2: "error", 4: "error", 5: "warning"}, staged.findings

    def shown(features: str, page: int = 1) -> tuple[int, list[tuple[str, str | None]]]:
        review = submissions_q.submission_review(
            session, sid, features=features, features_page=page
        )
        rows = [(f["reference"], f["finding"]) for f in review.features]
        return review.features_total, rows

    assert shown("all") == (
        5,
        [("F-1", None), ("F-2", "error"), ("F-3", None), ("F-4", "error"), ("F-5", "warning")],
    )
    assert shown("errors") == (2, [("F-2", "error"), ("F-4", "error")])
    assert shown("warnings") == (1, [("F-5", "warning")])
    assert shown("clean") == (2, [("F-1", None), ("F-3", None)])
    # each feature's own findings beside it, its error first
    f4 = submissions_q.submission_review(session, sid, features="errors").features[1]
    assert f4["findings"][0]["severity"] == "error"
    assert {x["severity"] for x in f4["findings"]} == {"error", "warning"}
    monkeypatch.setattr(submissions_q, "FEATURES_PAGE_SIZE", 1)  # pages of one
    assert shown("errors", page=2) == (2, [("F-4", "error")])
    assert shown("clean", page=2) == (2, [("F-3", None)])
    assert shown("all", page=4) == (5, [("F-4", "error")])


def test_a_findings_message_stored_whole_is_cut_on_the_review_page(
    session: Session, tmp_path: Path
) -> None:
    """Findings stored before values were bounded quote a megabyte status whole: the
    review had answered 100 MB for a page of them (a withdrawn submission of the demo)."""
    load_boundaries(
        session, [BoundaryFeature("LA-XI", "Xiangkhouang", MultiPolygon([LAOS]))], level=1
    )
    frame = hazard_frame([{"hazard_id": "M-1"}], [box(103.2, 19.4, 103.205, 19.405)])
    staged = submissions.stage(session, write_zip(frame, tmp_path, "long"), kind="hazards")
    sid = staged.submission.id
    long = "status 'x" + "x" * 1_000_000 + "' is not one of …"
    # one the page reads on (what became of each submission named since): kept whole
    pending = "overlaps " + ", ".join(
        f"hazard P-{i} in submission {sid + 1} (1,000 m²)" for i in range(200)
    )
    assert len(pending) > submissions_q.MESSAGE_SHOWN
    session.execute(
        text(
            "INSERT INTO finding (submission_id, code, severity, row_number, reference, message)"
            " VALUES (:s, 'invalid_value', 'error', 1, 'M-1', :m),"
            " (:s, 'short', 'warning', 1, 'M-1', 'whole'),"
            " (:s, 'overlaps_pending', 'warning', 1, 'M-1', :pending)"
        ),
        {"s": sid, "m": long, "pending": pending},
    )
    review = submissions_q.submission_review(session, sid)
    listed = {f.code: f.message for f in review.findings}
    cut = long[: submissions_q.MESSAGE_SHOWN] + f"… ({len(long):,} characters in all)"
    assert listed["invalid_value"] == cut and listed["short"] == "whole"
    assert listed["overlaps_pending"] == pending
    (feature,) = review.features
    beside = {x["code"]: x["message"] for x in feature["findings"]}
    assert beside["invalid_value"] == cut and beside["short"] == "whole"
    assert beside["overlaps_pending"] == pending
    # the file of every finding keeps it whole
    assert long in {f.message for f in submissions.findings_of(session, sid)}


def test_the_preview_of_a_file_with_errors_counts_only_the_features_approving_in_part_records(
    session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    """It counted every usable polygon: "5 new hazard(s)" where at most 4 could be recorded,
    and the areas of 305,996 releases that all had errors."""
    load_boundaries(session, [BoundaryFeature("LA-W", "West", MultiPolygon([WEST]))], level=1)
    frame = gpd.GeoDataFrame(
        {
            "hazard_id": ["ERR-1", "ERR-2", "ERR-3"],
            "status": ["SHA", "CHA", "SHA"],
            "recorded": ["2020-01-01", "someday", "2020-01-01"],
        },
        geometry=[box(103.1 + i / 100, 19.4, 103.105 + i / 100, 19.405) for i in range(3)],
        crs=4326,
    )
    client = client_as()
    body = post(client, write_zip(frame, tmp_path, "one-error")).json()  # type: ignore[attr-defined]
    assert body["errors"] == 1, body
    preview = submissions_q.approval_preview(session, body["id"], "hazards")
    assert (preview.new_hazards, preview.features) == (2, 2)
    expected = session.scalar(
        text(
            "SELECT sum(ST_Area(geom::geography)) FROM submission_feature"
            " WHERE submission_id = :s AND clean->>'hazard_id' <> 'ERR-2'"
        ),
        {"s": body["id"]},
    )
    assert preview.total.new_m2 == pytest.approx(float(expected), rel=1e-4)
    page = client.get(f"/submissions/{body['id']}").text
    assert "Only the features without errors can be\n  approved (in part)" in page
    assert "2 new hazards recorded" in page


def test_the_review_page_says_what_each_revision_changes_from_the_revision_in_force(
    session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    """The review page listed a revision's own values only: a reviewer could not tell that
    approving it turned a hazard from SHA to CHA, emptied its estimates or doubled its
    boundary (a review as a data manager). Values not given are kept, and not listed."""
    load_boundaries(session, [BoundaryFeature("LA-W", "West", MultiPolygon([WEST]))], level=1)
    old, new = box(103.20, 19.40, 103.21, 19.41), box(103.20, 19.40, 103.22, 19.41)
    first = submissions.stage(
        session,
        write_zip(
            hazard_frame(
                [
                    {"hazard_id": "RV-A", "used_from": 1968},
                    {"hazard_id": "RV-B", "munitions": "BLU-26:5;M42:2"},
                ],
                [old, box(103.23, 19.40, 103.24, 19.41)],
            ),
            tmp_path,
            "first",
        ),
        kind="hazards",
    )
    approval.approve(session, first.submission.id, by="reviewer")
    revised = submissions.stage(
        session,
        write_zip(
            gpd.GeoDataFrame(
                [
                    {
                        "hazard_id": "RV-A",
                        "status": "CHA",
                        "revised": "2024-01-01",
                        "marked": "2024-02-01",
                        "munitions": "(none)",
                    },
                    {"hazard_id": "RV-B", "status": "SHA", "revised": "2024-01-01"},
                ],
                geometry=[new, box(103.23, 19.40, 103.24, 19.41)],
                crs=4326,
            ),
            tmp_path,
            "revised",
        ),
        kind="hazards",
    )
    assert revised.errors == 0, revised.findings
    page = client_as("reviewer").get(f"/submissions/{revised.submission.id}").text
    assert "If approved, the revision changes" in page
    # and the summary, which the approval's dialog repeats, says so: a status-only
    # revision had read "1 revision (0 m² of boundary net, …)" (a first-time user's review)
    summary = re.search(r'id="preview-summary">(.*?)</p>', page, re.S)
    # RV-B's revision repeats the one in force: left out beside a revision that changes
    assert summary and "1 revision" in summary.group(1)
    assert "; the status it changes: 1 hazard from SHA to CHA." in " ".join(
        summary.group(1).split()
    )
    rows, changes = _changes_listed(page)
    geod = Geod(ellps="WGS84")
    was, now = (abs(geod.geometry_area_perimeter(g)[0]) for g in (old, new))
    assert changes[0] == [
        "status SHA → CHA",
        "munitions BLU-26:5 → (none)",
        "marked (none) → 2024-02-01",
        f"boundary {was:,.0f} m² → {now:,.0f} m²",
    ]
    assert changes[1] == [""]  # left out: nothing of it is recorded
    assert "left out: <a" in rows[1] and "RV-B</a> is recorded already" in rows[1]


def _changes_listed(page: str) -> tuple[list[str], list[list[str]]]:
    """The review page's features' rows, and each one's "the revision changes" lines as
    text (one blank line where it lists none)."""
    table = page[page.index('id="features"') :]
    rows = re.findall(r"<tr class=\"[^\"]*\">(.*?)</tr>", table, re.S)
    cells = [re.findall(r'<td class="changes">(.*?)</td>', r, re.S) for r in rows]
    changes = [
        [
            " ".join(re.sub(r"<[^>]+>", "", line).split())
            for line in re.findall(r"<div>(.*?)</div>", c)
        ]
        or [" ".join(re.sub(r"<[^>]+>", "", c).split())]
        for (c,) in cells
    ]
    return rows, changes


def test_the_review_page_lists_the_own_columns_a_revision_changes(
    session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    """The revision's changes listed its template fields alone: an own column it changed
    showed in a warning only (helper-118). Listed now, as in force and as revised; one it
    gives as recorded (a number as text, as a CSV gives it; its name in other capitals, a
    day written otherwise: helper-121) or does not give is not."""
    load_boundaries(session, [BoundaryFeature("LA-W", "West", MultiPolygon([WEST]))], level=1)
    square = box(103.20, 19.40, 103.21, 19.41)
    first = submissions.stage(
        session,
        write_zip(
            hazard_frame(
                [
                    {
                        "hazard_id": "OC-A",
                        "village": "Ban Na",
                        "depth_cm": 30,
                        "team": "T1",
                        "visit": "2024-03-25",
                    }
                ],
                [square],
            ),
            tmp_path,
            "first",
        ),
        kind="hazards",
    )
    approval.approve(session, first.submission.id, by="reviewer")
    revised = submissions.stage(
        session,
        write_zip(
            gpd.GeoDataFrame(
                [
                    {
                        "hazard_id": "OC-A",
                        "status": "CHA",
                        "revised": "2024-01-01",
                        "village": "Ban Phon",
                        "depth_cm": "30",
                        "Team": "T1",  # in other capitals (helper-121)
                        "visit": "25/03/2024",  # the same day, the day first
                        "access": "track",
                        "note": "x" * 300,
                    }
                ],
                geometry=[square],
                crs=4326,
            ),
            tmp_path,
            "revised",
        ),
        kind="hazards",
    )
    assert revised.errors == 0, revised.findings
    page = client_as("reviewer").get(f"/submissions/{revised.submission.id}").text
    _, changes = _changes_listed(page)
    assert changes[0] == [
        "status SHA → CHA",
        "access (none) → track",
        # cut as the findings cut it: whole, it had widened the table to 47,906 px
        f"note (none) → {'x' * 39}…",
        "village Ban Na → Ban Phon",
    ]
    # approved, "Team" is kept under the name in force, not beside it (helper-122)
    approval.approve(session, revised.submission.id, by="reviewer")
    kept = session.execute(
        text(
            "SELECT r.attributes FROM hazard_revision r JOIN hazard h ON h.id = r.hazard_id"
            " WHERE h.reference = 'OC-A' ORDER BY r.seq DESC LIMIT 1"
        )
    ).scalar_one()
    assert "Team" not in kept and kept["team"] == "T1" and kept["village"] == "Ban Phon"


def test_a_file_of_land_released_outside_hazards_is_previewed_as_what_it_records(
    session: Session, tmp_path: Path, client_as: ClientAs
) -> None:
    """A file whose one release lies in no hazard was previewed "Up to 0 m² released", over
    a table of one total of 0, and nothing said of the 15,301 m² it would record (a review
    as an operator's data manager)."""
    load_boundaries(session, [BoundaryFeature("LA-W", "West", MultiPolygon([WEST]))], level=1)
    away = box(103.10, 19.40, 103.102, 19.402)
    staged = submissions.stage(
        session,
        write_zip(
            gpd.GeoDataFrame(
                [{"release_id": "OUT-1", "method": "cleared", "released": "2024-03-01"}],
                geometry=[away],
                crs=4326,
            ),
            tmp_path,
            "r",
        ),
        kind="releases",
        organisation="MAG",
    )
    assert staged.errors == 0
    area = _geography_m2(session, "SELECT ST_GeomFromText(:g, 4326)", g=away.wkt)
    preview = submissions_q.approval_preview(session, staged.submission.id, "releases")
    assert preview.total.released_m2 == 0 and preview.outside_m2 == pytest.approx(area, rel=1e-6)
    page = client_as("reviewer").get(f"/submissions/{staged.submission.id}").text
    summary = " ".join(re.search(r'<p id="preview-summary">(.*?)</p>', page, re.S)[1].split())
    assert summary == (
        f"{round(area):,}&nbsp;m² recorded as land released outside recorded hazards, "
        "counted apart in Form 1(i)."
    )
    assert 'id="preview"' not in page  # no table of one total of 0


def test_the_crs_chosen_for_a_file_declaring_none_is_remembered_with_its_mapping(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    """helper-105 chose the UTM zone again for every workbook of the same layout: the CRS
    stated for a file that declares none is kept with the mapping, offered on the next
    such file whose coordinates fit it, and an upload without one reads it in it. A file
    in degrees is not read in a UTM zone, and a file declaring its own keeps it."""
    first = operators_file(tmp_path, "first", prj=False)  # UTM 48N, no .prj
    assert inspect(client, first, organisation="MAG").json()["remembered_crs"] is None  # type: ignore[attr-defined]
    created = post(client, first, organisation="MAG", mapping=MAPPING, crs="EPSG:32648")
    assert created.status_code == 201 and created.json()["errors"] == 0  # type: ignore[attr-defined]
    mag = session.scalars(select(Organisation).where(Organisation.name == "MAG")).one()
    [kept] = field_maps.stored_mappings(session, mag, "hazards")
    assert kept.mapping.crs == "EPSG:32648"
    assert "coordinates: EPSG:32648 where the file declares no coordinate system" in (
        kept.mapping.lines()
    )
    # the next file of the layout: offered, and read in it without being asked
    frame = gpd.GeoDataFrame(
        {"HAZ_REF": ["NEXT-1"], "TypeArea": ["Suspected Minefield"], "Village": ["Ban Xa"]},
        geometry=[box(103.6, 19.5, 103.605, 19.505)],
        crs=4326,
    )
    following = write_zip(frame, tmp_path, "next", crs=32648, keep_prj=False)
    shown = inspect(client, following, organisation="MAG").json()  # type: ignore[attr-defined]
    assert shown["crs"] is None and shown["remembered_crs"] == "EPSG:32648"
    sent = post(client, following, organisation="MAG")
    body = sent.json()  # type: ignore[attr-defined]
    assert sent.status_code == 201 and body["errors"] == 0, body
    assert body["crs"] == "EPSG:32648"
    notes = [f["message"] for f in body["findings"] if f["code"] == "file_note"]
    assert any(
        "EPSG:32648, remembered for the organisation's files that declare none" in n for n in notes
    )
    [feature] = session.execute(
        text(
            "SELECT ST_XMin(geom), ST_YMin(geom) FROM submission_feature WHERE submission_id = :s"
        ),
        {"s": body["id"]},
    ).all()
    assert feature[0] == pytest.approx(103.6, abs=1e-7) and feature[1] == pytest.approx(
        19.5, abs=1e-7
    )
    # a file of the layout in degrees, declaring none: not offered, nor read in the UTM zone
    degrees = write_zip(frame.assign(HAZ_REF=["DEG-1"]), tmp_path, "degrees", keep_prj=False)
    assert inspect(client, degrees, organisation="MAG").json()["remembered_crs"] is None  # type: ignore[attr-defined]
    refused = post(client, degrees, organisation="MAG")
    assert refused.status_code == 400
    assert "declares no coordinate reference system" in refused.json()["detail"]  # type: ignore[attr-defined]
    # sent in degrees, as the page offers by default, it keeps the zone remembered for the
    # organisation's UTM files (helper-108: it had put EPSG:4326 in its place)
    sent = post(client, degrees, organisation="MAG", mapping=MAPPING, crs="EPSG:4326")
    assert sent.status_code == 201 and sent.json()["errors"] == 0  # type: ignore[attr-defined]
    session.expire_all()
    [kept] = field_maps.stored_mappings(session, mag, "hazards")
    assert kept.mapping.crs == "EPSG:32648"
    # a file declaring its own, sent with the mapping: the one remembered stays
    declared = write_zip(frame.assign(HAZ_REF=["OWN-9"]), tmp_path, "declared")
    assert post(client, declared, organisation="MAG", mapping=MAPPING).status_code == 201
    session.expire_all()
    [kept] = field_maps.stored_mappings(session, mag, "hazards")
    assert kept.mapping.crs == "EPSG:32648"


def test_a_mappings_crs_is_an_epsg_code_as_a_person_states_one() -> None:
    document = field_maps.mapping_from_json({"fields": {}, "crs": "epsg:32648"})
    assert document.crs == "EPSG:32648" and document.as_json()["crs"] == "EPSG:32648"
    assert field_maps.from_stored(document.as_json()).crs == "EPSG:32648"
    with pytest.raises(InvalidRequest, match="the mapping's crs: the stated coordinate"):
        field_maps.mapping_from_json({"crs": "+proj=utm +zone=48"})
    with pytest.raises(InvalidRequest, match='give a code, such as "EPSG:32648"'):
        field_maps.mapping_from_json({"crs": 32648})
    with pytest.raises(InvalidRequest, match="measures its angles in grad"):
        field_maps.mapping_from_json({"crs": "EPSG:4807"})
    # one remembered before its kind was refused: the mapping stays, without it
    kept = field_maps.from_stored({"fields": {"hazard_id": "REF"}, "crs": "EPSG:4807"})
    assert kept.fields == {"hazard_id": "REF"} and kept.crs is None


def test_the_crs_chosen_for_a_file_in_the_templates_names_is_remembered_alone(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    """A file in the template's own names needs no field mapping, so the zone chosen for it
    had nothing to be kept with, and was asked again for every such file. It is kept as a
    mapping of no columns: the next file declaring none is read in it, and no file is read
    with that "mapping" or told of it as one set aside."""
    frame = hazard_frame(
        [{"hazard_id": "TPL-1"}], [box(103.6, 19.5, 103.605, 19.505)]
    )  # the template's names
    first = write_zip(frame, tmp_path, "first", crs=32648, keep_prj=False)
    sent = post(client, first, organisation="MAG", crs="EPSG:32648")
    assert sent.status_code == 201 and sent.json()["errors"] == 0  # type: ignore[attr-defined]
    mag = session.scalars(select(Organisation).where(Organisation.name == "MAG")).one()
    [kept] = field_maps.stored_mappings(session, mag, "hazards")
    assert not kept.mapping and kept.mapping.crs == "EPSG:32648"
    assert kept.mapping.lines() == [
        "coordinates: EPSG:32648 where the file declares no coordinate system"
    ]
    # the next one, sent without a CRS: read in it, said, and read with no mapping
    following = write_zip(
        frame.assign(hazard_id=["TPL-2"]), tmp_path, "next", crs=32648, keep_prj=False
    )
    shown = inspect(client, following, organisation="MAG").json()  # type: ignore[attr-defined]
    assert shown["remembered_crs"] == "EPSG:32648" and shown["remembered"] is None
    again = post(client, following, organisation="MAG").json()  # type: ignore[attr-defined]
    assert again["errors"] == 0 and again["crs"] == "EPSG:32648", again
    notes = [f["message"] for f in again["findings"] if f["code"] == "file_note"]
    assert any("EPSG:32648, remembered for the organisation's files" in n for n in notes)
    assert not any("field mapping" in n for n in notes)
    assert again["mapping"] is None  # read in the template's names, by no mapping
    # a file of other names, which needs a mapping, is not read with the empty one
    other = write_zip(
        gpd.GeoDataFrame({"REF": ["X-1"]}, geometry=[box(103.6, 19.5, 103.605, 19.505)], crs=4326),
        tmp_path,
        "other",
    )
    refused = post(client, other, organisation="MAG").json()  # type: ignore[attr-defined]
    assert "remembered" not in json.dumps(refused), refused


def test_the_upload_page_forgets_a_crs_kept_alone(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    """The coordinate system kept alone for files in the template's names was offered on
    the upload page, but its "Forget it" is the mapping's, and it has none: only `ims
    mappings clear` forgot it, with every other mapping of the organisation. The
    inspection names it with its number, which forgets it alone; one that comes with a
    mapping is not offered so (forgetting it would forget the mapping). Forgotten, no other
    mapping's is offered in its place."""
    mapped = operators_file(tmp_path, "mapped", prj=False)  # WGS 84 / UTM 48N, a mapping
    assert (
        post(client, mapped, organisation="MAG", mapping=MAPPING, crs="EPSG:32648").json()[  # type: ignore[attr-defined]
            "errors"
        ]
        == 0
    )
    template = hazard_frame([{"hazard_id": "ALONE-1"}], [box(103.6, 19.5, 103.605, 19.505)])
    first = write_zip(template, tmp_path, "first", crs=23948, keep_prj=False)
    assert post(client, first, organisation="MAG", crs="EPSG:23948").json()["errors"] == 0  # type: ignore[attr-defined]
    following = write_zip(
        template.assign(hazard_id=["ALONE-2"]), tmp_path, "next", crs=23948, keep_prj=False
    )
    shown = inspect(client, following, organisation="MAG").json()  # type: ignore[attr-defined]
    assert shown["remembered_crs"] == "EPSG:23948"
    alone = shown["remembered_crs_alone"]
    assert alone["organisation"] == "MAG" and alone["mapping"]["crs"] == "EPSG:23948"
    assert not alone["mapping"]["fields"] and alone["id"]
    # a file of the mapping: its CRS comes with it, and is not offered alone
    again = operators_file(tmp_path, "again", prj=False)
    of_mapping = inspect(client, again, organisation="MAG").json()  # type: ignore[attr-defined]
    assert of_mapping["remembered_crs"] == "EPSG:32648"
    assert of_mapping["remembered_crs_alone"] is None
    forgotten = client.delete(
        "/api/v1/submissions/mappings/hazards", params={"organisation": "MAG", "id": alone["id"]}
    )
    assert forgotten.status_code == 200, forgotten.text
    after = inspect(client, following, organisation="MAG").json()  # type: ignore[attr-defined]
    assert after["remembered_crs_alone"] is None
    # nor is the mapping's offered in its place: the page had just said "forgotten", and
    # the next file was offered the same zone from the mapping (helper-118)
    assert after["remembered_crs"] is None
    kept = inspect(client, again, organisation="MAG").json()  # type: ignore[attr-defined]
    assert kept["remembered_crs"] == "EPSG:32648"  # the mapping's files keep theirs
    # forgotten again (a page opened before): still forgotten (helper-119)
    twice = client.delete(
        "/api/v1/submissions/mappings/hazards", params={"organisation": "MAG", "id": alone["id"]}
    )
    assert twice.status_code == 200 and twice.json()["cleared"] == []  # type: ignore[attr-defined]
    assert inspect(client, following, organisation="MAG").json()["remembered_crs"] is None  # type: ignore[attr-defined]
    mag = session.scalars(select(Organisation).where(Organisation.name == "MAG")).one()
    [left] = field_maps.list_mappings(session, mag)  # the mark of the forgotten one is not
    assert left.mapping.fields and left.mapping.crs == "EPSG:32648"
    # chosen again for such a file, it is remembered again
    assert post(client, following, organisation="MAG", crs="EPSG:23948").json()["errors"] == 0  # type: ignore[attr-defined]
    third = write_zip(
        template.assign(hazard_id=["ALONE-3"]), tmp_path, "third", crs=23948, keep_prj=False
    )
    shown = inspect(client, third, organisation="MAG").json()  # type: ignore[attr-defined]
    assert shown["remembered_crs"] == "EPSG:23948" and shown["remembered_crs_alone"]


def test_the_upload_page_forgets_a_mappings_crs_offered_for_files_it_does_not_read(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    """Where none is kept alone, a file in the template's names is offered the latest
    mapping's coordinate system, with no way to forget it but forgetting that mapping
    (helper-119). Forgotten with ``crs``, it is no longer offered for such files; the
    mapping keeps it for its own."""
    mapped = operators_file(tmp_path, "mapped", prj=False)  # WGS 84 / UTM 48N, a mapping
    sent = post(client, mapped, organisation="MAG", mapping=MAPPING, crs="EPSG:32648")
    assert sent.json()["errors"] == 0  # type: ignore[attr-defined]
    template = hazard_frame([{"hazard_id": "OFFER-1"}], [box(103.6, 19.5, 103.605, 19.505)])
    plain = write_zip(template, tmp_path, "plain", crs=32648, keep_prj=False)
    shown = inspect(client, plain, organisation="MAG").json()  # type: ignore[attr-defined]
    assert shown["remembered_crs"] == "EPSG:32648" and shown["remembered_crs_alone"] is None
    offered = shown["remembered_crs_offered"]
    assert offered["organisation"] == "MAG" and offered["mapping"]["fields"]
    # a file of the mapping: its CRS is the mapping's, not offered to be forgotten alone
    again = operators_file(tmp_path, "again", prj=False)
    of_mapping = inspect(client, again, organisation="MAG").json()  # type: ignore[attr-defined]
    assert of_mapping["remembered_crs"] == "EPSG:32648"
    assert of_mapping["remembered_crs_offered"] is None
    both = client.delete(
        "/api/v1/submissions/mappings/hazards",
        params={"organisation": "MAG", "crs": "true", "id": offered["id"]},
    )
    assert both.status_code == 422, both.text
    forgotten = client.delete(
        "/api/v1/submissions/mappings/hazards", params={"organisation": "MAG", "crs": "true"}
    )
    assert forgotten.status_code == 200, forgotten.text
    assert [m["mapping"]["crs"] for m in forgotten.json()["cleared"]] == ["EPSG:32648"]
    after = inspect(client, plain, organisation="MAG").json()  # type: ignore[attr-defined]
    assert after["remembered_crs"] is None and after["remembered_crs_offered"] is None
    kept = inspect(client, again, organisation="MAG").json()  # type: ignore[attr-defined]
    assert kept["remembered_crs"] == "EPSG:32648"  # the mapping's files keep theirs
    mag = session.scalars(select(Organisation).where(Organisation.name == "MAG")).one()
    [left] = field_maps.list_mappings(session, mag)
    assert left.mapping.fields and left.mapping.crs == "EPSG:32648"
    events = session.execute(
        text("SELECT before FROM audit_event WHERE action = 'field_mapping.cleared'")
    ).scalars()
    assert list(events) == [{"crs": "EPSG:32648"}]
    # forgotten again (a page opened before): nothing more to forget
    twice = client.delete(
        "/api/v1/submissions/mappings/hazards", params={"organisation": "MAG", "crs": "true"}
    )
    assert twice.status_code == 200 and twice.json()["cleared"] == []  # type: ignore[attr-defined]


def test_the_columns_shown_of_a_file_of_many_long_cells_are_bounded(
    client: TestClient, tmp_path: Path
) -> None:
    """An attack on our own instance (helper-124): a 0.7 MB workbook of 2,000 columns of
    long, distinct cells had made an answer of 286 MB, written on the server's event loop,
    which answered nobody for 14 s. What the mapping step is shown is bounded by what the
    page needs: samples cut, no value map of values too long to be codes, and past a
    bound for the whole file the later columns named without their values, said."""
    from ims.ingest import inspect as inspection

    columns = 600
    cell = "x" * 1_500
    rows = [
        {"hazard_id": f"LONG-{r}", "status": "SHA", "wkt": "POINT (103.1 19.4)"}
        | {f"c{i}": f"{r}-{i}-{cell}" for i in range(columns)}
        for r in range(10)
    ]
    path = tmp_path / "long.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    assert path.stat().st_size > 5_000_000
    answer = inspect(client, path)
    assert answer.status_code == 200, answer.text[:500]  # type: ignore[attr-defined]
    assert answer.headers["content-type"] == "application/json"  # type: ignore[attr-defined]
    assert len(answer.content) < 2_000_000  # type: ignore[attr-defined]
    read = answer.json()  # type: ignore[attr-defined]
    by_name = {c["name"]: c for c in read["columns"]}
    assert len(by_name) == columns + 2  # every column is named (the WKT read as geometry)
    first = by_name["c0"]
    assert [len(v) for v in first["samples"]] == [inspection.SAMPLE_CHARS] * 5
    assert first["samples"][0] == f"0-0-{cell}"[: inspection.SAMPLE_CHARS - 1] + "…"
    assert first["values"] is None  # ten values, none of them a code
    assert by_name["status"]["values"] == ["SHA"]  # a code column's value map is offered
    assert by_name["status"]["reads"]["status"] == {"SHA": "SHA"}
    unshown = [c for c in read["columns"] if not c["samples"]]
    assert len(unshown) > 100 and unshown[0]["name"] != "c0"
    said = f"{len(unshown)} columns of {columns + 2:,} shown without sample values"
    assert said in read["notes"][-1]


def test_forgetting_the_crs_a_page_showed_forgets_nothing_else(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    """A page that showed "Forget EPSG:32648" after another tab had chosen EPSG:23948 for
    such files forgot the one offered by then, unshown (left alone last session). With the
    one it showed (``shown``) nothing is forgotten unless it is still the one offered, and
    the answer names both."""
    mapped = operators_file(tmp_path, "mapped", prj=False)  # WGS 84 / UTM 48N, a mapping
    sent = post(client, mapped, organisation="MAG", mapping=MAPPING, crs="EPSG:32648")
    assert sent.json()["errors"] == 0  # type: ignore[attr-defined]
    template = hazard_frame([{"hazard_id": "SHOWN-1"}], [box(103.6, 19.5, 103.605, 19.505)])
    plain = write_zip(template, tmp_path, "plain", crs=32648, keep_prj=False)
    page = inspect(client, plain, organisation="MAG").json()  # type: ignore[attr-defined]
    assert page["remembered_crs"] == "EPSG:32648" and page["remembered_crs_offered"]
    # another tab sends such a file in Indian 1954's zone 48: kept alone, offered now
    indian = write_zip(
        template.assign(hazard_id=["SHOWN-2"]), tmp_path, "indian", crs=23948, keep_prj=False
    )
    assert post(client, indian, organisation="MAG", crs="EPSG:23948").json()["errors"] == 0  # type: ignore[attr-defined]
    stale = client.delete(
        "/api/v1/submissions/mappings/hazards",
        params={"organisation": "MAG", "crs": "true", "shown": "EPSG:32648"},
    )
    assert stale.status_code == 409, stale.text
    said = stale.json()["detail"]
    assert "EPSG:23948 is offered now" in said and "not EPSG:32648" in said
    assert "nothing was forgotten" in said
    now = inspect(client, plain, organisation="MAG").json()  # type: ignore[attr-defined]
    assert now["remembered_crs"] == "EPSG:23948"  # still offered
    forgotten = client.delete(
        "/api/v1/submissions/mappings/hazards",
        params={"organisation": "MAG", "crs": "true", "shown": "epsg:23948"},
    )
    assert forgotten.status_code == 200, forgotten.text
    assert [m["mapping"]["crs"] for m in forgotten.json()["cleared"]] == ["EPSG:23948"]
    assert inspect(client, plain, organisation="MAG").json()["remembered_crs"] is None  # type: ignore[attr-defined]
    # nothing offered now: the page's one was forgotten already, from another page
    again = client.delete(
        "/api/v1/submissions/mappings/hazards",
        params={"organisation": "MAG", "crs": "true", "shown": "EPSG:23948"},
    )
    assert again.status_code == 200 and again.json()["cleared"] == []  # type: ignore[attr-defined]
    listed = client.get(
        "/api/v1/submissions/mappings/hazards", params={"organisation": "MAG"}
    ).json()["remembered"]  # type: ignore[attr-defined]
    assert [m["mapping"]["crs"] for m in listed] == ["EPSG:32648"]  # the mapping keeps its own


def test_a_crs_remembered_with_a_mapping_of_no_columns_is_offered_and_forgotten_alone(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    """A mapping that reads no column (a date order given with the CRS for files in the
    template's names) fits every file: its CRS was offered with no button, and forgetting
    it said "forgotten" while it stayed offered (helper-121). It is offered to be
    forgotten, and forgotten it is taken off that mapping, which keeps its date order."""
    mag = session.scalars(select(Organisation).where(Organisation.name == "MAG")).one()
    dated = field_maps.MappingDocument(dates="day-first", crs="EPSG:32648")
    assert field_maps.remember_mapping(session, mag, "hazards", dated)
    session.commit()
    template = hazard_frame([{"hazard_id": "DATED-1"}], [box(103.6, 19.5, 103.605, 19.505)])
    plain = write_zip(template, tmp_path, "plain", crs=32648, keep_prj=False)
    shown = inspect(client, plain, organisation="MAG").json()  # type: ignore[attr-defined]
    assert shown["remembered_crs"] == "EPSG:32648" and shown["remembered_crs_offered"]
    forgotten = client.delete(
        "/api/v1/submissions/mappings/hazards", params={"organisation": "MAG", "crs": "true"}
    )
    assert [m["mapping"]["crs"] for m in forgotten.json()["cleared"]] == ["EPSG:32648"]
    after = inspect(client, plain, organisation="MAG").json()  # type: ignore[attr-defined]
    assert after["remembered_crs"] is None and after["remembered_crs_offered"] is None
    session.expire_all()
    [kept] = field_maps.list_mappings(session, mag)
    assert kept.mapping.dates == "day-first" and kept.mapping.crs is None


def test_a_file_is_read_in_the_crs_of_the_mapping_it_is_read_with(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    """An organisation sends its database's export (a mapping, UTM 48N on WGS 84) and files
    in the template's names (Indian 1954's zone 48, kept alone): each file declaring none
    is read in its own kind's. The latest kept had been used for both, and a file of the
    mapping was read in Indian 1954's zone, 532 m off, with no error (helper-115)."""
    mapped = operators_file(tmp_path, "mapped", prj=False)  # WGS 84 / UTM 48N
    first = post(client, mapped, organisation="MAG", mapping=MAPPING, crs="EPSG:32648")
    assert first.status_code == 201 and first.json()["errors"] == 0  # type: ignore[attr-defined]
    square = box(103.6, 19.5, 103.605, 19.505)
    template = hazard_frame([{"hazard_id": "IND-1"}], [square])
    indian = write_zip(template, tmp_path, "indian", crs=23948, keep_prj=False)
    second = post(client, indian, organisation="MAG", crs="EPSG:23948")
    assert second.status_code == 201 and second.json()["errors"] == 0  # type: ignore[attr-defined]
    # the next of each kind, sent without a CRS: offered and read in its own kind's
    again = operators_file(tmp_path, "mapped2", prj=False)
    assert inspect(client, again, organisation="MAG").json()["remembered_crs"] == "EPSG:32648"  # type: ignore[attr-defined]
    sent = post(client, again, organisation="MAG").json()  # type: ignore[attr-defined]
    assert sent["crs"] == "EPSG:32648" and sent["errors"] == 0, sent
    [x, y] = session.execute(
        text(
            "SELECT ST_XMin(geom), ST_YMin(geom) FROM submission_feature"
            " WHERE submission_id = :s AND row_number = 1"
        ),
        {"s": sent["id"]},
    ).one()
    assert (x, y) == (pytest.approx(103.2, abs=1e-7), pytest.approx(19.4, abs=1e-7))
    more = write_zip(
        template.assign(hazard_id=["IND-2"]), tmp_path, "indian2", crs=23948, keep_prj=False
    )
    assert inspect(client, more, organisation="MAG").json()["remembered_crs"] == "EPSG:23948"  # type: ignore[attr-defined]
    read = post(client, more, organisation="MAG").json()  # type: ignore[attr-defined]
    assert read["crs"] == "EPSG:23948" and read["errors"] == 0, read
    # a file in the template's names refused for its columns is not told of the mapping
    # of other columns it needs none of (helper-115)
    wide = template.assign(hazard_id=["WIDE-1"], **{f"c{i}": ["x"] for i in range(201)})
    refused = post(client, write_zip(wide, tmp_path, "wide"), organisation="MAG")
    assert refused.status_code == 400  # type: ignore[attr-defined]
    detail = refused.json()["detail"]  # type: ignore[attr-defined]
    assert "201 columns" in detail and "mapping" not in detail, detail


def test_a_tables_points_in_metres_are_read_for_their_columns_and_the_crs_asked(
    client: TestClient, tmp_path: Path
) -> None:
    """A CSV of x and y in metres: the upload page's first step had refused it, saying
    "choose it on the upload page", with no choice shown (helper-116). Its columns are
    read, and the page asks for the coordinate system, as it does a shapefile's in metres
    without a .prj; sent with one, it is read in it."""
    path = tmp_path / "metres.csv"
    path.write_text("hazard_id,status,recorded,x,y\nM-1,SHA,2024-01-01,500000,2100000\n")
    shown = inspect(client, path, organisation="MAG")
    assert shown.status_code == 200, shown.text  # type: ignore[attr-defined]
    body = shown.json()  # type: ignore[attr-defined]
    assert body["crs"] is None and body["projected"] is True
    assert [c["name"] for c in body["columns"]] == ["hazard_id", "status", "recorded"]
    sent = post(client, path, organisation="MAG", crs="EPSG:32648")
    assert sent.status_code == 201, sent.text  # type: ignore[attr-defined]
    assert sent.json()["crs"] == "EPSG:32648"  # type: ignore[attr-defined]
    # a table of degrees out of range is refused as before, the choice not offered
    bad = tmp_path / "bad.csv"
    bad.write_text("hazard_id,x,y\nB-1,200,95\n")
    refused = inspect(client, bad, organisation="MAG")
    assert refused.status_code == 400  # type: ignore[attr-defined]
