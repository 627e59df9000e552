"""Uploads through the API and `ims import`: the lifecycle, and hostile files refused cleanly.

Every refusal is problem+json (or a one-line CLI error, exit 2) that says what is wrong,
with no stack trace and no submission written.
"""

from __future__ import annotations

import html
import json
import os
import re
import tempfile
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import MultiPolygon, Polygon, box, mapping
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ims.app import create_app
from ims.cli import app as cli_app
from ims.config import get_settings
from ims.db import accounts
from ims.db.recording import load_boundaries
from ims.domain.enums import Role
from ims.domain.records import BoundaryFeature
from ims.errors import Forbidden
from ims.ingest import submissions
from tests.ingest.test_submissions import hazard_frame, write_zip
from tests.ingest.test_upload_limits import SLOW_SQL, geopackage, many_layers, with_sql
from tests.utils import ClientAs, authorise, signed_in

LAOS = box(100.0, 13.9, 107.7, 22.5)
BOWTIE = Polygon([(103.2, 19.4), (103.21, 19.41), (103.21, 19.4), (103.2, 19.41)])
SQUARE = (103.2, 19.4, 103.205, 19.405)


@pytest.fixture
def client(session: Session, client_as: ClientAs) -> TestClient:
    load_boundaries(
        session, [BoundaryFeature("LA-XI", "Xiangkhouang", MultiPolygon([LAOS]))], level=1
    )
    # requests share the test's rolled-back transaction: uploads and approvals run in it
    return client_as()


def good_zip(folder: Path, name: str = "good") -> Path:
    frame = hazard_frame(
        [{"hazard_id": "API-1"}, {"hazard_id": "API-2"}],
        [box(103.2, 19.4, 103.205, 19.405), box(103.3, 19.4, 103.305, 19.405)],
    )
    return write_zip(frame, folder, name, crs=32648)


def post(client: TestClient, path: Path, kind: str = "hazards", **form: str) -> object:
    with path.open("rb") as fh:
        return client.post(
            "/api/v1/submissions", files={"file": (path.name, fh)}, data={"kind": kind, **form}
        )


def count(session: Session, table: str) -> int:
    return int(session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)


def test_an_upload_the_server_has_no_room_for_is_told_as_the_servers_trouble(
    client_as: ClientAs, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the temporary directory full, an upload was answered 400 "There was an error
    parsing the body", blaming the sender, and nothing was logged (found by a walk-through
    as a system administrator)."""
    import errno
    import tempfile

    path = tmp_path / "big.gpkg"
    path.write_bytes(b"\0" * (3 * 1024 * 1024))  # past the form's in-memory part: to disk

    def full(*args: object, **kwargs: object) -> object:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile, "TemporaryFile", full)
    monkeypatch.setattr(tempfile, "NamedTemporaryFile", full)
    answer = post(client_as("operator", organisation="MAG"), path)
    assert answer.status_code == 507, answer.text  # type: ignore[attr-defined]
    assert "no room to receive this file" in answer.json()["detail"]  # type: ignore[attr-defined]
    assert count(session, "submission") == 0


def test_a_disk_that_fills_while_the_upload_is_kept_is_told_as_the_servers_trouble(
    client_as: ClientAs, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """helper-89's disk filled while the server copied a received file to its folder: a
    500 "Internal error" and a traceback, where a full disk while receiving it was a 507."""
    import errno

    from ims.api import submissions as api_submissions

    def full(*args: object, **kwargs: object) -> object:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(api_submissions, "_saved", full)
    answer = post(client_as("operator", organisation="MAG"), good_zip(tmp_path))
    assert answer.status_code == 507, answer.text  # type: ignore[attr-defined]
    assert "no room to receive this file" in answer.json()["detail"]  # type: ignore[attr-defined]
    assert count(session, "submission") == 0


def test_upload_review_approve_twice_and_the_same_file_again(
    client: TestClient, client_as: ClientAs, session: Session, tmp_path: Path
) -> None:
    path = good_zip(tmp_path)
    created = post(client, path, organisation="MAG")
    assert created.status_code == 201, created.text  # type: ignore[attr-defined]
    body = created.json()  # type: ignore[attr-defined]
    assert body["status"] == "validated" and body["feature_count"] == 2
    assert body["crs"] == "EPSG:32648" and body["errors"] == 0
    sid = body["id"]
    assert client.get(f"/api/v1/submissions/{sid}").json()["id"] == sid
    reviewer = client_as("reviewer")  # four eyes: another user approves
    assert reviewer.post(f"/api/v1/submissions/{sid}/approve").json()["status"] == "approved"
    again = reviewer.post(f"/api/v1/submissions/{sid}/approve")
    assert again.status_code == 200 and again.json()["status"] == "approved"
    assert count(session, "hazard") == 2  # not applied twice
    second = post(client, path).json()  # type: ignore[attr-defined]
    assert any(f["code"] == "same_file" for f in second["findings"])
    # its two hazards, as recorded: nothing to record, said once
    assert [f["code"] for f in second["findings"] if f["severity"] == "error"] == [
        "unchanged_left_out"
    ]


def test_a_file_sent_twice_and_approved_second_says_so_on_the_first_and_is_refused(
    client: TestClient, client_as: ClientAs, session: Session, tmp_path: Path
) -> None:
    """The same file uploaded twice, the second approved first: the first still said what
    approving it would record, and approving it failed on an error per feature whose
    advice was to record them again as revisions (a review as a new user)."""
    path = good_zip(tmp_path)
    first = post(client, path, organisation="MAG").json()  # type: ignore[attr-defined]
    second = post(client, path, organisation="MAG").json()  # type: ignore[attr-defined]
    reviewer = client_as("reviewer")
    assert reviewer.post(f"/api/v1/submissions/{second['id']}/approve").status_code == 200
    page = reviewer.get(f"/submissions/{first['id']}").text
    assert 'id="approved-twin"' in page and f"submission {second['id']}</a>" in page
    assert 'id="preview"' not in page  # nothing would be recorded
    # a finding of no feature reads "same_file: …", not "same_file : …"
    assert "<code>same_file</code>:" in reviewer.get(f"/submissions/{second['id']}").text
    assert 'title="the same file is approved already"' in page
    refused = reviewer.post(f"/api/v1/submissions/{first['id']}/approve")
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert f"the very file approved as submission {second['id']}" in detail
    assert "Reject it" in detail and "revised" not in detail
    assert count(session, "hazard") == 2
    assert reviewer.get(f"/api/v1/submissions/{first['id']}").json()["status"] == "validated"
    # an operator of another organisation, shown its own upload of the same file, is not
    # told of MAG's submission
    npa = client_as("operator", organisation="NPA")
    theirs = post(npa, path).json()  # type: ignore[attr-defined]
    assert 'id="approved-twin"' not in npa.get(f"/submissions/{theirs['id']}").text


def test_a_file_approved_only_in_part_may_be_sent_again_for_the_rest(
    client: TestClient, client_as: ClientAs, session: Session, tmp_path: Path
) -> None:
    """Approved in part, a file left features out; once their errors are gone (a code added
    to a list, say) the same file is sent again for them: it is not "the very file
    approved", as a wholly approved one is."""
    frame = hazard_frame(
        [{"hazard_id": "PART-1"}, {"hazard_id": "PART-2", "status": "dangerous"}],
        [box(103.2, 19.4, 103.205, 19.405), box(103.3, 19.4, 103.305, 19.405)],
    )
    path = write_zip(frame, tmp_path, "part")
    first = post(client, path, organisation="MAG").json()  # type: ignore[attr-defined]
    reviewer = client_as("reviewer")
    done = reviewer.post(f"/api/v1/submissions/{first['id']}/approve", params={"partial": True})
    assert done.status_code == 200 and done.json()["partial"] is True
    again = post(client, path, organisation="MAG").json()  # type: ignore[attr-defined]
    assert 'id="approved-twin"' not in reviewer.get(f"/submissions/{again['id']}").text
    refused = reviewer.post(f"/api/v1/submissions/{again['id']}/approve")
    assert refused.status_code == 409 and "very file" not in refused.json()["detail"]
    assert count(session, "hazard") == 1


def test_partial_may_be_given_as_a_json_body_and_an_unknown_key_is_refused(
    client: TestClient, client_as: ClientAs, session: Session, tmp_path: Path
) -> None:
    """A client sending {"partial": true} as JSON had it ignored without a word: the
    approval answered 409 "errors block approval" (helper-94)."""
    frame = hazard_frame(
        [{"hazard_id": "JSON-1"}, {"hazard_id": "JSON-2", "status": "dangerous"}],
        [box(103.2, 19.4, 103.205, 19.405), box(103.3, 19.4, 103.305, 19.405)],
    )
    sent = post(client, write_zip(frame, tmp_path, "json"), organisation="MAG").json()  # type: ignore[attr-defined]
    reviewer = client_as("reviewer")
    wrong = reviewer.post(f"/api/v1/submissions/{sent['id']}/approve", json={"partal": True})
    assert wrong.status_code == 422 and "partal" in wrong.text
    # JSON sent as a form's body (curl -d without a content type): said how to send it
    plain = reviewer.post(
        f"/api/v1/submissions/{sent['id']}/approve",
        content=b'{"partial": true}',
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert plain.status_code == 422 and "Content-Type: application/json" in plain.text, plain.text
    done = reviewer.post(f"/api/v1/submissions/{sent['id']}/approve", json={"partial": True})
    assert done.status_code == 200 and done.json()["partial"] is True, done.text
    assert count(session, "hazard") == 1


def test_a_copy_awaiting_review_says_its_very_file_was_rejected_and_why(
    client: TestClient, client_as: ClientAs, tmp_path: Path
) -> None:
    """The same file sent twice: a reviewer rejected one, and the other's reviewer was not
    told (a review as a new user)."""
    path = good_zip(tmp_path)
    first = post(client, path, organisation="MAG").json()  # type: ignore[attr-defined]
    second = post(client, path, organisation="MAG").json()  # type: ignore[attr-defined]
    reviewer = client_as("reviewer")
    rejected = reviewer.post(
        f"/api/v1/submissions/{second['id']}/reject", json={"reason": "the <b>dates</b> are wrong"}
    )
    assert rejected.status_code == 200
    page = reviewer.get(f"/submissions/{first['id']}").text
    said = page.split('id="rejected-twin">')[1].split("</p>")[0]
    assert f"submission {second['id']}</a>" in said
    assert "“the &lt;b&gt;dates&lt;/b&gt; are wrong”" in said  # the reason, as text
    assert 'id="preview"' in page  # it may still be approved: a warning, not a refusal


def test_errors_block_approval_and_rejection_needs_a_reason(
    client: TestClient, client_as: ClientAs, session: Session, tmp_path: Path
) -> None:
    frame = hazard_frame([{"hazard_id": "BAD-1", "status": "dangerous"}], [BOWTIE])
    body = post(client, write_zip(frame, tmp_path, "bad")).json()  # type: ignore[attr-defined]
    codes = {(f["code"], f["row"], f["field"]) for f in body["findings"]}
    assert ("invalid_geometry", 1, "geometry") in codes
    assert ("unknown_value", 1, "status") in codes
    refused = client_as("reviewer").post(f"/api/v1/submissions/{body['id']}/approve")
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert count(session, "hazard") == 0
    no_reason = client.post(f"/api/v1/submissions/{body['id']}/reject", json={"reason": ""})
    assert no_reason.status_code == 422
    rejected = client.post(
        f"/api/v1/submissions/{body['id']}/reject", json={"reason": "fix the bowtie"}
    )
    assert rejected.json()["status"] == "rejected" and rejected.json()["reason"] == "fix the bowtie"
    after = client.post(f"/api/v1/submissions/{body['id']}/approve")
    assert after.status_code in (409, 422)
    assert after.headers["content-type"].startswith("application/problem+json")


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return path


def _shapefile_without(tmp_path: Path, suffix: str) -> Path:
    src = good_zip(tmp_path, "src")
    with zipfile.ZipFile(src) as zf:
        members = {n: zf.read(n) for n in zf.namelist() if not n.endswith(suffix)}
    return _zip(tmp_path / f"no{suffix[1:]}.zip", members)


def _corrupt_shp(tmp_path: Path) -> Path:
    src = good_zip(tmp_path, "src")
    with zipfile.ZipFile(src) as zf:
        members = {
            n: (os.urandom(3000) if n.endswith(".shp") else zf.read(n)) for n in zf.namelist()
        }
    return _zip(tmp_path / "corrupt.zip", members)


VIEW_AS_LAYER = f"""
    CREATE VIEW slow AS SELECT h.fid, h.geom, h.hazard_id FROM hazards h, ({SLOW_SQL});
    INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id)
        VALUES ('slow', 'features', 'slow', 4326);
    INSERT INTO gpkg_geometry_columns VALUES ('slow', 'geom', 'POLYGON', 4326, 0, 0);
"""

HOSTILE = {
    "garbage": lambda p: (p / "hazards.zip").write_bytes(b"not a zip at all") and p / "hazards.zip",
    "empty zip": lambda p: _zip(p / "empty.zip", {}),
    "zip slip": lambda p: _zip(p / "slip.zip", {"../../evil.shp": b"x"}),
    "absolute path": lambda p: _zip(p / "abs.zip", {"/etc/evil.shp": b"x"}),
    "thousands of entries": lambda p: _zip(p / "many.zip", {f"f{i}.txt": b"" for i in range(5000)}),
    "zip bomb": lambda p: _zip(p / "bomb.zip", {"big.dbf": b"\0" * 300_000_000}),
    "missing dbf": lambda p: _shapefile_without(p, ".dbf"),
    "missing shx": lambda p: _shapefile_without(p, ".shx"),
    "corrupt shp": _corrupt_shp,
    "non-spatial": lambda p: (p / "table.csv").write_bytes(b"a,b\n1,2\n") and p / "table.csv",
    # issue 13, item 4: refused at once, before GDAL opens anything
    "5,000 layers": lambda p: many_layers(p / "layers.gpkg", 5000),
    "a view as layer": lambda p: with_sql(geopackage(p / "view.gpkg"), VIEW_AS_LAYER),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_uploads_are_clear_4xx_and_write_nothing(
    client: TestClient, session: Session, tmp_path: Path, case: str
) -> None:
    path = HOSTILE[case](tmp_path)
    before = count(session, "submission")
    started = time.monotonic()
    response = post(client, path)
    assert time.monotonic() - started < 10  # a view left to run would take 15 s and more
    assert 400 <= response.status_code < 500, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    detail = response.json()["detail"]  # type: ignore[attr-defined]
    assert detail and "Traceback" not in response.text  # type: ignore[attr-defined]
    assert count(session, "submission") == before


def test_upload_over_the_size_limit_and_an_unknown_kind(
    client: TestClient, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = good_zip(tmp_path)
    assert post(client, path, kind="minefields").status_code == 422  # type: ignore[attr-defined]
    monkeypatch.setattr(get_settings(), "upload_max_bytes", 100)
    big = post(client, path)
    assert big.status_code == 413 or 400 <= big.status_code < 500  # type: ignore[attr-defined]
    assert "limit" in big.json()["detail"]  # type: ignore[attr-defined]
    assert count(session, "submission") == 0


def test_blank_templates_download_and_read(client: TestClient, tmp_path: Path) -> None:
    for name in ("hazards.zip", "releases.gpkg"):
        response = client.get(f"/api/v1/templates/{name}")
        assert response.status_code == 200
        target = tmp_path / name
        target.write_bytes(response.content)
        fields = pyogrio.read_info(f"/vsizip/{target}" if name.endswith("zip") else target)
        assert ("hazard_id" if name.startswith("hazards") else "release_id") in list(
            fields["fields"]
        )
    # GeoPackage 1.2, which GDAL 3.6 (Debian 12's QGIS) reads without a warning; it had
    # been 1.4 (a review as a GIS officer)
    import sqlite3

    for kind in ("hazards", "releases"):
        target = tmp_path / f"{kind}-version.gpkg"
        target.write_bytes(client.get(f"/api/v1/templates/{kind}.gpkg").content)
        with sqlite3.connect(target) as db:
            assert db.execute("PRAGMA user_version").fetchone() == (10200,)
    missing = client.get("/api/v1/templates/minefields.zip")
    assert missing.status_code == 422  # not one of the templates
    assert missing.headers["content-type"].startswith("application/problem+json")


def test_the_csv_template_filled_in_a_spreadsheet_is_read_clean(
    client: TestClient, tmp_path: Path
) -> None:
    """A data manager with Excel had only GIS files for templates (a new user's review):
    the CSV template is the fields as a header and a column wkt; a row typed under it
    (its munitions as the template asks, its polygon as WKT) is staged without a finding."""
    for kind, reference in (("hazards", "hazard_id"), ("releases", "release_id")):
        blank = client.get(f"/api/v1/templates/{kind}.csv")
        assert blank.status_code == 200 and blank.headers["content-type"].startswith("text/csv")
        assert f'filename="ims_{kind}.csv"' in blank.headers["content-disposition"]
        header = blank.text.strip().split(",")
        assert header[0] == reference and header[-1] == "wkt" and "geometry" not in header
    header = client.get("/api/v1/templates/hazards.csv").text.strip().split(",")
    square = box(103.2, 19.4, 103.205, 19.405)
    row = {"hazard_id": "CSV-1", "status": "SHA", "recorded": "2024-05-01",
           "munitions": "BLU-26:3", "wkt": square.wkt}  # fmt: skip
    path = tmp_path / "filled.csv"
    path.write_text(
        ",".join(header) + "\n" + ",".join(f'"{row.get(name, "")}"' for name in header) + "\n",
        encoding="utf-8",
    )
    staged = post(client, path)
    assert staged.status_code == 201, staged.text  # type: ignore[attr-defined]
    body = staged.json()  # type: ignore[attr-defined]
    assert body["errors"] == 0 and body["warnings"] == 0, body["findings"]
    assert body["feature_count"] == 1


def test_cli_import_exit_codes(
    committed_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A database of its own: the CLI commits.
    url = committed_engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("IMS_DATABASE_URL", url)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        frame = hazard_frame([{"hazard_id": "CLI-BAD"}], [BOWTIE])
        bad = runner.invoke(
            cli_app, ["import", str(write_zip(frame, tmp_path, "bad")), "--kind", "hazards"]
        )
        assert bad.exit_code == 1, bad.output
        assert "invalid_geometry" in bad.output and "nothing applied" in bad.output
        junk = tmp_path / "junk.zip"
        junk.write_bytes(b"junk")
        unusable = runner.invoke(cli_app, ["import", str(junk), "--kind", "hazards"])
        assert unusable.exit_code == 2 and "Traceback" not in unusable.output
        no_prj = write_zip(
            hazard_frame([{"hazard_id": "CLI-NOPRJ"}], [box(103.2, 19.4, 103.205, 19.405)]),
            tmp_path,
            "noprj",
            crs=32648,
            keep_prj=False,
        )
        assert runner.invoke(cli_app, ["import", str(no_prj), "--kind", "hazards"]).exit_code == 2
        stated = runner.invoke(
            cli_app, ["import", str(no_prj), "--kind", "hazards", "--crs", "EPSG:32648"]
        )
        assert stated.exit_code == 0, stated.output
    finally:
        get_settings.cache_clear()


def test_found_by_fuzzing_blank_organisation_and_nul_characters(
    client: TestClient, tmp_path: Path
) -> None:
    # A blank organisation is none (it was a KeyError); a NUL in a query is a 422, not a 500.
    created = post(client, good_zip(tmp_path), organisation="  ")
    assert created.status_code == 201, created.text  # type: ignore[attr-defined]
    nul = client.get(
        "/api/v1/reports/article7/explain",
        params={"year": 2020, "admin": "\x00", "column": "total_area_m2"},
    )
    assert nul.status_code == 422
    assert nul.headers["content-type"].startswith("application/problem+json")
    assert "NUL" in nul.json()["detail"]


def test_the_same_contract_through_the_worker_processes(
    committed_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The other tests run uploads and approvals in their rolled-back transaction; served,
    # they run in worker processes (ims.jobs) that commit on their own connection.
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    with Session(committed_engine) as s, s.begin():
        load_boundaries(s, [BoundaryFeature("LA-XI", "X", MultiPolygon([LAOS]))], level=1)
    with TestClient(create_app(committed_engine)) as client:
        with Session(committed_engine) as s, s.begin():
            authorise(client, s)
            reviewer = signed_in(client.app, s, "reviewer")
        created = post(client, good_zip(tmp_path), organisation="MAG")
        assert created.status_code == 201, created.text  # type: ignore[attr-defined]
        body = created.json()  # type: ignore[attr-defined]
        assert (body["status"], body["feature_count"], body["errors"]) == ("validated", 2, 0)
        approved = reviewer.post(f"/api/v1/submissions/{body['id']}/approve")
        assert approved.status_code == 200 and approved.json()["status"] == "approved"
        again = reviewer.post(f"/api/v1/submissions/{body['id']}/approve")
        assert again.status_code == 200 and again.json()["status"] == "approved"
        frame = hazard_frame([{"hazard_id": "BAD-1", "status": "dangerous"}], [BOWTIE])
        bad = post(client, write_zip(frame, tmp_path, "bad")).json()  # type: ignore[attr-defined]
        refused = reviewer.post(f"/api/v1/submissions/{bad['id']}/approve")
        assert refused.status_code == 409
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert any(f["code"] == "invalid_geometry" for f in refused.json()["findings"])
        rejected = client.post(f"/api/v1/submissions/{bad['id']}/reject", json={"reason": "no"})
        assert rejected.json()["status"] == "rejected"
        hostile = post(client, HOSTILE["zip slip"](tmp_path))
        assert hostile.status_code == 400  # type: ignore[attr-defined]
        assert "unsafe path" in hostile.json()["detail"]  # type: ignore[attr-defined]
    with committed_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM hazard")).scalar_one() == 2
        assert conn.execute(text("SELECT count(*) FROM submission")).scalar_one() == 2
    assert list(temp.iterdir()) == []  # the uploads' folders are gone


def test_four_eyes_the_uploader_does_not_approve_their_own_submission(
    client: TestClient,
    client_as: ClientAs,
    session: Session,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sid = post(client, good_zip(tmp_path), organisation="MAG").json()["id"]  # type: ignore[attr-defined]
    own = client.post(f"/api/v1/submissions/{sid}/approve")  # the uploader: an admin
    assert own.status_code == 403 and "four eyes" in own.json()["detail"]
    assert count(session, "hazard") == 0
    monkeypatch.setattr(get_settings(), "allow_self_approval", True)  # a one-person office
    assert client.post(f"/api/v1/submissions/{sid}/approve").json()["status"] == "approved"
    monkeypatch.setattr(get_settings(), "allow_self_approval", False)
    frame = hazard_frame([{"hazard_id": "API-3"}], [box(103.4, 19.4, 103.405, 19.405)])
    second = post(client, write_zip(frame, tmp_path, "second"), organisation="MAG").json()  # type: ignore[attr-defined]
    reviewer = client_as("reviewer")
    approved = reviewer.post(f"/api/v1/submissions/{second['id']}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    actors = session.execute(
        text("SELECT action, actor FROM audit_event WHERE submission_id = :s ORDER BY id"),
        {"s": sid},
    ).all()
    assert [a for a, _ in actors][:2] == ["submission.uploaded", "submission.approved"]


def test_an_unknown_organisation_is_refused_with_close_matches(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    before = count(session, "organisation")
    for name in ("<script>alert(1)</script>", "NPAA"):
        refused = post(client, good_zip(tmp_path, f"org{len(name)}"), organisation=name)
        assert refused.status_code == 422, refused.text  # type: ignore[attr-defined]
        assert "unknown organisation" in refused.json()["detail"]  # type: ignore[attr-defined]
    assert "did you mean NPA" in refused.json()["detail"]  # type: ignore[attr-defined]
    assert count(session, "organisation") == before and count(session, "submission") == 0


def test_an_upload_takes_a_mapping_document_and_answers_the_one_used(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    frame = hazard_frame([{"REF": "API-M1", "status": "Suspected Minefield"}], [box(*SQUARE)])
    path = write_zip(frame.drop(columns=["recorded"]), tmp_path, "national")
    document = {
        "fields": {"hazard_id": "{REF}-{row}"},
        "constants": {"recorded": "2019-05-01"},
        "values": {"status": {"suspected minefield": "SHA"}},
    }
    created = post(
        client, path, organisation="MAG", mapping=json.dumps(document), field_map="operator=REF"
    )
    assert created.status_code == 201, created.text  # type: ignore[attr-defined]
    body = created.json()  # type: ignore[attr-defined]
    assert body["mapping"] == {
        **document,
        "fields": {"hazard_id": "{REF}-{row}", "operator": "REF"},
    }
    record = session.scalar(
        text("SELECT record FROM submission_feature WHERE submission_id = :s"), {"s": body["id"]}
    )
    assert (record["hazard_id"], record["status"], record["recorded"]) == (
        "API-M1-1",
        "SHA",
        "2019-05-01",
    )
    for bad, says in (("{", "mapping is not JSON"), ('{"fields": {"x": "y"}}', "name x")):
        refused = post(client, path, organisation="MAG", mapping=bad)
        assert refused.status_code == 422, refused.text  # type: ignore[attr-defined]
        assert refused.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
        assert says in refused.json()["detail"]  # type: ignore[attr-defined]


def test_an_upload_and_its_approval_followed_by_token_tell_their_steps_to_their_user_only(
    client: TestClient, client_as: ClientAs, tmp_path: Path
) -> None:
    staged = post(client, good_zip(tmp_path), organisation="MAG", progress="upload-" + "a" * 16)
    assert staged.status_code == 201, staged.text  # type: ignore[attr-defined]
    sid = staged.json()["id"]  # type: ignore[attr-defined]
    told = client.get(f"/api/v1/progress/upload-{'a' * 16}")
    assert told.status_code == 200, told.text
    upload = told.json()
    assert upload["running"] is False and upload["elapsed_s"] >= 0
    messages = [s["message"] for s in upload["steps"]]
    assert messages[0].startswith("reading ")
    assert "validating 2 features" in messages and "storing the features for review" in messages
    # the checks' own steps, in order: a national file's had been one silent step of 20-40 s
    checks = [m for m in messages if m.startswith("validating: ")]
    assert checks == [
        "validating: what the database holds of the file's hazards",
        "validating: each feature's polygon",
        "validating: each feature's fields",
        "validating: polygons repeated or overlapping each other and open hazards",
    ]
    assert [s["at_s"] for s in upload["steps"]] == sorted(s["at_s"] for s in upload["steps"])
    # where it ended: a page reloaded meanwhile goes there
    assert (upload["href"], upload["failed"]) == (f"/submissions/{sid}", None)

    reviewer = client_as("reviewer")
    token = "approve-" + "b" * 16
    approved = reviewer.post(f"/api/v1/submissions/{sid}/approve", params={"progress": token})
    assert approved.json()["status"] == "approved"
    steps = [s["message"] for s in reviewer.get(f"/api/v1/progress/{token}").json()["steps"]]
    assert steps[:2] == [
        "approving: reading the 2 features checked at upload",
        "approving: nothing has changed since the features were checked",
    ]
    assert "approving: recording 2 new hazards" in steps
    assert "approving: computing the ledger of 2 hazards" in steps
    assert steps[-1] == "approving: committing (the audit trail is sealed as it commits)"
    assert reviewer.get(f"/api/v1/progress/{token}").json()["href"] == f"/submissions/{sid}"
    # a job that fails says why, as its request was answered
    refused = post(
        client,
        good_zip(tmp_path, "unmapped"),
        progress="failing-" + "d" * 16,
        mapping='{"fields": {"hazard_id": "NO_SUCH"}}',
    )
    assert refused.status_code == 400  # type: ignore[attr-defined]
    failed = client.get(f"/api/v1/progress/failing-{'d' * 16}").json()
    assert failed["running"] is False and failed["href"] is None
    assert failed["failed"] == refused.json()["detail"]  # type: ignore[attr-defined]

    # another user (even the uploader, even an admin) is not told of the reviewer's job
    for other in (client, client_as("reviewer")):
        refused = other.get(f"/api/v1/progress/{token}")
        assert refused.status_code == 404 and "no job of yours" in refused.json()["detail"]
    # a token is used once, and is a token: not a path, not a guessable word
    again = post(client, good_zip(tmp_path, "again"), progress="upload-" + "a" * 16)
    assert again.status_code == 422  # type: ignore[attr-defined]
    assert "in use already" in again.json()["detail"]  # type: ignore[attr-defined]
    assert client.get("/api/v1/progress/short").status_code == 422
    assert client.get(f"/api/v1/progress/{'c' * 20}").status_code == 404  # not started (yet)


def other_organisation_of(session: Session, submission_id: int) -> list[tuple[int, str, str]]:
    rows = session.execute(
        text(
            "SELECT row_number, field, message FROM finding "
            "WHERE submission_id = :s AND code = 'other_organisation'"
        ),
        {"s": submission_id},
    ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def test_an_operators_file_may_not_credit_another_organisation(
    client_as: ClientAs, session: Session, tmp_path: Path
) -> None:
    """A record form refused an operator's record credited to NPA; the same in a file was
    staged without a finding, and approved credited NPA."""
    frame = hazard_frame(
        [{"hazard_id": "OWN-1", "operator": "MAG"}, {"hazard_id": "OWN-2", "operator": "npa"}],
        [box(103.2, 19.4, 103.205, 19.405), box(103.3, 19.4, 103.305, 19.405)],
    )
    path = write_zip(frame, tmp_path, "credits")

    def other_organisation(response: object) -> list[tuple[int, str, str]]:
        assert response.status_code == 201, response.text  # type: ignore[attr-defined]
        return other_organisation_of(session, response.json()["id"])  # type: ignore[attr-defined]

    operator = client_as("operator", organisation="MAG")
    found = other_organisation(post(operator, path))
    assert [(row, field) for row, field, _ in found] == [(2, "operator")]
    assert "operator is NPA, but this file is MAG's" in found[0][2]
    # the authority uploads files of several operators' records, for an organisation or not
    reviewer = client_as("reviewer")
    assert other_organisation(post(reviewer, path, organisation="MAG")) == []
    assert other_organisation(post(reviewer, path)) == []

    # staged before the check (migration 0032 marks such a submission and drops the stamp
    # that let approval trust its findings): approving checks it again, and refuses
    earlier = post(operator, write_zip(frame, tmp_path, "earlier")).json()  # type: ignore[attr-defined]
    session.execute(
        text("DELETE FROM finding WHERE submission_id = :s AND code = 'other_organisation'"),
        {"s": earlier["id"]},
    )
    session.execute(
        text(
            "UPDATE submission SET validated_against = NULL,"
            " findings_at = findings_at - interval '1 day' WHERE id = :s"
        ),
        {"s": earlier["id"]},
    )
    session.commit()

    def preview(page: str) -> str:
        found = re.search(r'<p id="preview-summary">(.*?)</p>', page, re.S)
        assert found, page
        return " ".join(found.group(1).split())

    before = reviewer.get(f"/submissions/{earlier['id']}").text
    assert preview(before).startswith("2 new hazards")  # as staged: no error
    refused = reviewer.post(f"/api/v1/submissions/{earlier['id']}/approve")
    assert refused.status_code == 409, refused.text
    assert count(session, "hazard") == 0
    assert [(f["code"], f["row"], f["field"]) for f in refused.json()["findings"]] == [
        ("other_organisation", 2, "operator")
    ]
    assert refused.json()["type"].endswith("/conflict")
    # what approval found is the submission's now, for the review page and the uploader
    session.expire_all()
    assert [(row, field) for row, field, _ in other_organisation_of(session, earlier["id"])] == [
        (2, "operator")
    ]
    shown = operator.get(f"/api/v1/submissions/{earlier['id']}").json()
    assert ("other_organisation", 2) in {(f["code"], f["row"]) for f in shown["findings"]}
    # and the review page: the error listed, the preview without its feature, and no
    # note that approving would find more (these findings are the latest check's)
    after = reviewer.get(f"/submissions/{earlier['id']}").text
    assert "other_organisation" in after and 'id="checked-again"' not in after
    assert preview(after).startswith("1 new hazard ")


@pytest.mark.parametrize("name", ["h" * 300 + ".zip", "good\x00.zip"])
def test_an_upload_under_any_file_name_is_taken(
    client_as: ClientAs, session: Session, tmp_path: Path, name: str
) -> None:
    """A name of 300 characters ("File name too long") or holding a NUL byte answered 500
    (found by an attack on our own instance)."""
    with good_zip(tmp_path).open("rb") as fh:
        answer = client_as("operator").post(
            "/api/v1/submissions", files={"file": (name, fh)}, data={"kind": "hazards"}
        )
    assert answer.status_code == 201, answer.text
    kept = answer.json()["filename"]
    assert kept.endswith(".zip") and "\x00" not in kept and len(kept.encode()) <= 150


def test_an_operator_withdraws_their_own_upload_awaiting_review(
    client: TestClient, client_as: ClientAs, session: Session, tmp_path: Path
) -> None:
    """An operator could not set aside their own failed or trial upload: it waited for a
    reviewer, who alone could reject it (a walk-through as an operator's data manager)."""
    operator = client_as("operator", organisation="MAG")
    frame = hazard_frame([{"hazard_id": "BAD-2", "status": "dangerous"}], [BOWTIE])
    sid = post(operator, write_zip(frame, tmp_path, "trial")).json()["id"]  # type: ignore[attr-defined]
    page = operator.get(f"/submissions/{sid}").text
    assert 'id="withdraw"' in page and f'action="/submissions/{sid}/withdraw"' in page
    # another organisation's operator: it does not exist for them
    other = client_as("operator", organisation="NPA")
    assert other.post(f"/api/v1/submissions/{sid}/withdraw").status_code == 404
    assert other.post(f"/submissions/{sid}/withdraw", follow_redirects=False).status_code == 404
    # a reviewer rejects instead, with a reason for the operator: no withdraw form on
    # their page, and no withdrawing of another's upload (it had needed no reason)
    reviewer = client_as("reviewer")
    assert 'id="withdraw"' not in reviewer.get(f"/submissions/{sid}").text
    assert reviewer.post(f"/api/v1/submissions/{sid}/withdraw", json={}).status_code == 403
    assert client_as().post(f"/api/v1/submissions/{sid}/withdraw").status_code == 403
    # the page's form withdraws only with its "yes, withdraw it" ticked
    unsure = operator.post(f"/submissions/{sid}/withdraw", data={"reason": "a trial"})
    assert unsure.status_code == 422 and "yes, withdraw it" in unsure.text
    assert f'<a href="/submissions/{sid}" id="back">Back to submission {sid}</a>' in unsure.text
    assert operator.get(f"/api/v1/submissions/{sid}").json()["status"] == "validated"
    noted = reviewer.post(f"/api/v1/submissions/{sid}/note", json={"noted": True})
    assert noted.status_code == 200 and noted.json()["noted"] is True
    sent = operator.post(
        f"/submissions/{sid}/withdraw",
        data={"reason": "a trial", "sure": "yes"},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"] == f"/submissions/{sid}"
    body = operator.get(f"/api/v1/submissions/{sid}").json()
    sender = session.scalar(text("SELECT uploaded_by FROM submission WHERE id = :s"), {"s": sid})
    # withdrawn, not rejected: the list had told the operator a reviewer refused it
    assert body["status"] == "withdrawn" and body["reason"] == "a trial"
    assert body["noted"] is False  # no longer awaiting review: no longer noted
    assert body["decided_by"] == sender
    page = operator.get(f"/submissions/{sid}").text
    assert f"Withdrawn by {sender}: a trial" in page and 'id="withdraw"' not in page
    assert "Rejected" not in page
    listed = operator.get("/submissions").text
    assert 'class="status withdrawn">withdrawn<' in listed
    action = session.scalar(
        text("SELECT action FROM audit_event WHERE submission_id = :s ORDER BY id DESC LIMIT 1"),
        {"s": sid},
    )
    assert action == "submission.withdrawn"
    # once settled, it stays so; nothing of it was recorded
    again = operator.post(f"/api/v1/submissions/{sid}/withdraw", json={"reason": ""})
    assert again.status_code == 409 and "withdrawn by" in again.json()["detail"]
    for verb in ("approve", "reject"):  # and a reviewer can neither approve nor reject it
        late = client_as("reviewer").post(
            f"/api/v1/submissions/{sid}/{verb}",
            json={"reason": "late"} if verb == "reject" else None,
        )
        assert late.status_code == 409 and "withdrawn by" in late.json()["detail"], verb
    assert count(session, "hazard") == 0
    good = post(operator, good_zip(tmp_path)).json()["id"]  # type: ignore[attr-defined]
    approved = client_as("reviewer").post(f"/api/v1/submissions/{good}/approve")
    assert approved.json()["status"] == "approved"
    late = operator.post(f"/api/v1/submissions/{good}/withdraw")
    assert late.status_code == 409 and "already approved" in late.json()["detail"]
    # the reviewer's name is for reviewers: an operator's pages name none
    assert operator.get(f"/api/v1/submissions/{good}").json()["decided_by"] is None
    assert client_as("reviewer").get(f"/api/v1/submissions/{good}").json()["decided_by"]


def test_an_operator_cannot_withdraw_what_the_authority_sent_in_its_name(
    client: TestClient, client_as: ClientAs, session: Session, tmp_path: Path
) -> None:
    """Withdrawing is the sender's act: a MAG operator had withdrawn a record a reviewer
    sent in MAG's name, and no reviewer was told (an attack on our own instance,
    helper-111). A reviewer rejects it, with a reason, instead."""
    reviewer = client_as("reviewer")
    operator = client_as("operator", organisation="MAG")
    sent = reviewer.post(
        "/api/v1/hazards",
        json={
            "type": "Feature",
            "geometry": mapping(box(103.2, 19.4, 103.202, 19.402)),
            "properties": {
                "hazard_id": "AUTH-1",
                "status": "SHA",
                "recorded": "2024-05-01",
                "operator": "MAG",
            },
        },
    )
    assert sent.status_code == 201, sent.text
    sid = sent.json()["id"]
    assert operator.get(f"/api/v1/submissions/{sid}").status_code == 200  # MAG's to see
    page = operator.get(f"/submissions/{sid}").text
    assert 'id="withdraw"' not in page
    refused = operator.post(f"/api/v1/submissions/{sid}/withdraw", json={"reason": "mine"})
    assert refused.status_code == 403
    assert "an operator withdraws only what an operator sent" in refused.json()["detail"]
    form = operator.post(f"/submissions/{sid}/withdraw", data={"reason": "mine", "sure": "yes"})
    assert form.status_code == 403
    assert operator.get(f"/api/v1/submissions/{sid}").json()["status"] == "validated"
    # nor replaces it, which sets it aside as well: a file of their own replacing it, then
    # withdrawn, had set the authority's record aside with no reviewer told (helper-112)
    assert 'id="sent-for-authority"' in page and "a reviewer rejects it" in page
    assert 'id="replace-link"' not in page and 'id="correct-in-form"' not in page
    replaced = post(operator, good_zip(tmp_path), replaces=str(sid))
    assert replaced.status_code == 403, replaced.text  # type: ignore[attr-defined]
    assert "an operator replaces only what an operator sent" in replaced.json()["detail"]  # type: ignore[attr-defined]
    in_form = operator.get(f"/hazards/new?correcting={sid}")
    assert in_form.status_code == 409
    assert operator.get(f"/api/v1/submissions/{sid}").json()["status"] == "validated"
    # checked again under the lock as an upload is staged: one queued to replace a
    # submission not sent yet had superseded the authority's record that took its number
    # meanwhile (helper-113)
    with pytest.raises(Forbidden, match="an operator replaces only what an operator sent"):
        submissions.stage(
            session,
            good_zip(tmp_path, "queued"),
            kind="hazards",
            organisation="MAG",
            uploaded_by="someone",
            replaces=sid,
            own_records=True,
        )
    # a reviewer still corrects and replaces it
    assert 'id="replace-link"' in reviewer.get(f"/submissions/{sid}").text
    # what MAG's operators send, any of them withdraws
    colleague = client_as("operator", organisation="MAG")
    own = operator.post(
        "/api/v1/hazards",
        json={
            "type": "Feature",
            "geometry": mapping(box(103.3, 19.4, 103.302, 19.402)),
            "properties": {"hazard_id": "MAG-1", "status": "SHA", "recorded": "2024-05-01"},
        },
    ).json()["id"]
    assert 'id="withdraw"' in colleague.get(f"/submissions/{own}").text
    # as it was sent, whatever its sender's role or organisation now (helper-112: moved to
    # NPA, helper-113: made a reviewer, and it was "sent for the national authority")
    sender = session.scalar(text("SELECT uploaded_by FROM submission WHERE id = :s"), {"s": own})
    client_as("operator", organisation="NPA")  # the organisation they move to
    accounts.set_role(session, sender, Role.OPERATOR, organisation="NPA", by="tests")
    accounts.set_role(session, sender, Role.REVIEWER, by="tests")
    withdrawn = colleague.post(f"/api/v1/submissions/{own}/withdraw", json={"reason": "trial"})
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"


def test_the_review_page_says_how_the_file_was_read(
    client: TestClient, client_as: ClientAs, tmp_path: Path
) -> None:
    """A reviewer could not see that a file's dates had been read with the day first (the
    mapping was in the API's answer only): an ambiguous 03/04/2024 read the wrong way
    could not be caught before approval (an attack on our own instance)."""
    path = tmp_path / "legacy.csv"
    path.write_text(
        "REF,status,recorded,wkt\n"
        'L-1,SHA,03/04/2021,"POLYGON((103.2 19.4,103.205 19.4,103.205 19.405,103.2 19.4))"\n',
        encoding="utf-8",
    )
    mapping = json.dumps({"fields": {"hazard_id": "REF"}, "dates": "day-first"})
    sid = post(client, path, organisation="MAG", mapping=mapping).json()["id"]  # type: ignore[attr-defined]
    page = client_as("reviewer").get(f"/submissions/{sid}").text
    used = re.search(r'id="mapping-used">(.*?)</div>', page, re.S)
    assert used is not None
    said = html.unescape(used.group(1))
    # in words, a line a part, and as --mapping reads it for those who copy it
    assert "its dates as it says which comes first" in said
    assert re.findall(r"<li>(.*?)</li>", said) == [
        "hazard_id: the file's column REF",
        "dates: day first (31/12/2024)",
        # and the fields the file gave by their own names, which had gone unsaid, as if not
        # read (a new user's review)
        "status, recorded: the file's columns of those names",
    ]
    assert '<code>{"fields": {"hazard_id": "REF"}, "dates": "day-first"}</code>' in said


@pytest.mark.parametrize(
    ("header", "row", "field"),
    [
        ("hazard_id,status,recorded,village,wkt", "N-1,SHA,2021-03-04,Ban\x00Na", "village"),
        (
            "hazard_id,status,recorded,village,wkt",
            "N-1\x00/revise,SHA,2021-03-04,Ban Na",
            "hazard_id",
        ),
    ],
)
def test_a_nul_character_in_a_table_is_a_clear_error_naming_its_cell(
    client: TestClient, session: Session, tmp_path: Path, header: str, row: str, field: str
) -> None:
    """A NUL in a CSV cell answered 500 (the staged features' JSON refused it), and one in
    a reference 422 "PostgreSQL text fields cannot contain NUL" naming no feature (an
    attack on our own instance)."""
    path = tmp_path / "nul.csv"
    wkt = '"POLYGON((103.2 19.4,103.205 19.4,103.205 19.405,103.2 19.4))"'
    path.write_text(f"{header}\n{row},{wkt}\n", encoding="utf-8")
    before = count(session, "submission")
    got = post(client, path, organisation="MAG")
    assert got.status_code == 400, got.text  # type: ignore[attr-defined]
    detail = got.json()["detail"]  # type: ignore[attr-defined]
    assert f"feature 1, field '{field}': holds a NUL character (0x00)" in detail
    assert count(session, "submission") == before


def test_a_stated_crs_naming_a_file_is_a_400_and_blocks_no_worker(
    client: TestClient, session: Session, tmp_path: Path
) -> None:
    """The form's ``crs`` took any PROJ string: ``+nadgrids=/proc/self/fd/17`` blocked an
    upload worker reading a pipe until the job's timeout, and a grid that is no file
    answered 500 (an attack on our own instance). Only a code is taken now."""
    path = tmp_path / "crs.csv"
    path.write_text("hazard_id,status,recorded,lat,lon\nCRS-1,CHA,2026-01-01,19.5,103.5\n")
    before = count(session, "submission")
    for stated in (
        "+proj=longlat +ellps=WGS84 +nadgrids=/proc/self/fd/17 +no_defs",
        "+proj=longlat +ellps=WGS84 +nadgrids=/etc/passwd +no_defs",
    ):
        started = time.monotonic()
        got = post(client, path, organisation="MAG", crs=stated)
        assert time.monotonic() - started < 10
        assert got.status_code == 400, got.text  # type: ignore[attr-defined]
        assert got.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
        assert "is not a code: give its EPSG code" in got.json()["detail"]  # type: ignore[attr-defined]
    assert count(session, "submission") == before
    stated_code = post(client, path, organisation="MAG", crs="EPSG:4326")
    assert stated_code.status_code == 201, stated_code.text  # type: ignore[attr-defined]


def test_a_file_read_in_the_wrong_utm_zone_is_told_the_zone_that_fits(
    client: TestClient, client_as: ClientAs, tmp_path: Path
) -> None:
    """A UTM zone remembered or chosen for an organisation's files, read into a file of the
    neighbouring zone, put every feature 6° west, and only "outside the national boundary",
    feature by feature, said anything was wrong. The file is asked whether it is in the
    zone that puts it in the country (a file of places outside it may be in its own), told
    how to send it so, and keeps the error when checked again at approval (helper-114: it
    had gone, and the file was approved in part). A file in its zone hears nothing of it."""
    frame = hazard_frame(
        [{"hazard_id": f"Z-{k}"} for k in range(30)],
        [box(103.6 + k * 0.05, 19.5, 103.605 + k * 0.05, 19.505) for k in range(30)],
    )
    no_prj = write_zip(frame, tmp_path, "zone48", crs=32648, keep_prj=False)
    wrong = post(client, no_prj, crs="EPSG:32647").json()  # type: ignore[attr-defined]
    [said] = [f for f in wrong["findings"] if f["code"] == "other_utm_zone"]
    assert said["severity"] == "error" and said["row"] is None
    assert said["message"] == (
        "30 of the 30 features looked at lie outside the country as read in EPSG:32647, the "
        "coordinate system chosen for it; read in EPSG:32648 (WGS 84 / UTM zone 48N), 30 of "
        "the 30 lie inside it. If its coordinates are in that zone, send the original file "
        "again in it (--crs EPSG:32648, or choose it on the upload page); if its features do "
        "lie outside the country, the errors below say each."
    )
    assert wrong["findings"][0] == said  # first: it explains the errors below it
    assert {f["code"] for f in wrong["findings"][1:]} >= {"outside_country"}
    # checked again at approval, once another approval has moved what validation reads: a
    # feature that lies in the country as read (zone 48's 107°E, read in 47 at 101°E) is
    # not approved in part while the file is read in the wrong zone
    mixed = pd.concat(
        [frame, hazard_frame([{"hazard_id": "Z-IN"}], [box(107.0, 19.5, 107.005, 19.505)])]
    )
    sent = write_zip(
        gpd.GeoDataFrame(mixed, crs=4326), tmp_path, "mixed", crs=32648, keep_prj=False
    )
    staged = post(client, sent, crs="EPSG:32647").json()  # type: ignore[attr-defined]
    zone_said = [f["message"] for f in staged["findings"] if f["code"] == "other_utm_zone"]
    assert len(zone_said) == 1 and staged["errors"] == 31  # the one error, 30 outside
    reviewer = client_as("reviewer")
    # nor offered on its page (helper-115: its button was there, and refused when clicked)
    page = reviewer.get(f"/submissions/{staged['id']}").text
    assert 'disabled title="an error of the whole file blocks it"' in page
    assert "Nothing: an error of the whole file blocks" in page and "preview-summary" not in page
    other = post(client, good_zip(tmp_path)).json()  # type: ignore[attr-defined]
    assert reviewer.post(f"/api/v1/submissions/{other['id']}/approve").status_code == 200
    partly = reviewer.post(f"/api/v1/submissions/{staged['id']}/approve", params={"partial": True})
    assert partly.status_code == 409, partly.text
    kept = reviewer.get(f"/api/v1/submissions/{staged['id']}").json()["findings"]
    assert [f["message"] for f in kept if f["code"] == "other_utm_zone"] == zone_said
    right = post(client, no_prj, crs="EPSG:32648").json()  # type: ignore[attr-defined]
    assert right["errors"] == 0 and "other_utm_zone" not in {f["code"] for f in right["findings"]}
    # a file whose own .prj names the neighbouring zone is told to set it where it came from
    named = write_zip(frame.to_crs(32648).set_crs(32647, allow_override=True), tmp_path, "named47")
    declared = post(client, named).json()  # type: ignore[attr-defined]
    [said] = [f for f in declared["findings"] if f["code"] == "other_utm_zone"]
    assert said["message"].startswith(
        "30 of the 30 features looked at lie outside the country as read in EPSG:32647, the "
        "file's own; read in EPSG:32648 (WGS 84 / UTM zone 48N), 30 of the 30 lie inside it. "
        "If its coordinates are in that zone, set the layer's coordinate system to "
        "EPSG:32648 in the GIS it came from, export it again and send that;"
    )
    # one feature, said as one
    one = write_zip(frame.iloc[:1], tmp_path, "one48", crs=32648, keep_prj=False)
    alone = post(client, one, crs="EPSG:32647").json()  # type: ignore[attr-defined]
    [said] = [f for f in alone["findings"] if f["code"] == "other_utm_zone"]
    assert said["message"].startswith(
        "The file's one feature lies outside the country as read in EPSG:32647, the "
        "coordinate system chosen for it; read in EPSG:32648 (WGS 84 / UTM zone 48N), it "
        "lies inside it."
    )


def test_a_register_file_sent_back_with_its_empty_columns_and_second_table_is_read(
    client: TestClient, tmp_path: Path
) -> None:
    """A register file holds every own column of the register, most empty for its rows: a
    register of more than 200 made every file sent back refused as too many columns of
    its own. Columns empty in every feature are not counted (nor kept), and a
    GeoPackage's table without geometry (the register file's ``hazards_more_columns``) is
    said not to be read: a value changed there had been left unsaid (helper-114)."""
    empty = {f"col{i:03d}": [None, ""] for i in range(250)}
    frame = hazard_frame(
        [{"hazard_id": "BACK-1", "village": "Ban Na"}, {"hazard_id": "BACK-2", "village": None}],
        [box(103.2, 19.4, 103.205, 19.405), box(103.3, 19.4, 103.305, 19.405)],
    ).assign(**empty)
    path = tmp_path / "hazards.gpkg"
    pyogrio.write_dataframe(frame, path, layer="hazards")
    pyogrio.write_dataframe(
        gpd.GeoDataFrame({"hazard_id": ["BACK-1"], "column": ["x"], "value": ["changed"]}),
        path,
        layer="hazards_more_columns",
        append=True,
    )
    sent = post(client, path)
    body = sent.json()  # type: ignore[attr-defined]
    assert sent.status_code == 201 and body["errors"] == 0, body  # type: ignore[attr-defined]
    notes = [f["message"] for f in body["findings"] if f["code"] == "file_note"]
    assert (
        "250 columns of the file's own are empty in every feature and are not kept: col000, "
        "col001, col002, col003, col004, col005, col006, col007, col008, col009 and 240 more"
    ) in notes
    assert any("kept with each record" in n and n.endswith(": village") for n in notes), notes
    assert (
        "hazards.gpkg's table hazards_more_columns (without geometry) was not read, only the "
        "layer 'hazards': a feature's own columns are the layer's (a change made in a register "
        "file's *_more_columns table is not read)"
    ) in notes
    # more than 200 columns with values are still too many
    full = frame.assign(**{f"col{i:03d}": ["x", "y"] for i in range(250)})
    many = tmp_path / "many.gpkg"
    pyogrio.write_dataframe(full, many, layer="hazards")
    refused = post(client, many)
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "251 columns that are not fields of the template" in refused.json()["detail"]  # type: ignore[attr-defined]


def test_a_submissions_answer_lists_its_first_findings_errors_first_and_counts_them_all(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CSV of 100,000 rows of four errors each had answered its upload with 88 MB of
    findings, built while the server answered others 4 s late (an attack on our own
    instance). The answer lists the first ``FINDINGS_LISTED``, errors first, and counts
    them all; the findings files hold every one."""
    from ims.api import submissions as api_submissions

    monkeypatch.setattr(api_submissions, "FINDINGS_LISTED", 3)
    rows = "\n".join(
        f'BAD-{i},XXX,YYY,"POLYGON((103.{i}1 19.4, 103.{i}15 19.4, 103.{i}15 19.405, '
        f'103.{i}1 19.4))"'
        for i in range(4)
    )
    path = tmp_path / "bad.csv"
    path.write_text(f"hazard_id,status,contam,wkt\n{rows}\n")
    answer = post(client, path, organisation="MAG")
    assert answer.status_code == 201, answer.text  # type: ignore[attr-defined]
    sent = answer.json()  # type: ignore[attr-defined]
    assert sent["errors"] == 12 and sent["findings_total"] == sent["errors"] + sent["warnings"]
    assert [f["severity"] for f in sent["findings"]] == ["error"] * 3
    assert [f["row"] for f in sent["findings"]] == [1, 1, 1]  # in feature order (3 each)
    again = client.get(f"/api/v1/submissions/{sent['id']}").json()
    assert (
        again["findings"] == sent["findings"] and again["findings_total"] == sent["findings_total"]
    )
    every = client.get(f"/api/v1/submissions/{sent['id']}/findings.csv")
    assert every.text.count("BAD-") >= sent["findings_total"]
