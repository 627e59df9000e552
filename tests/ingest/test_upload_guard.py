"""What GDAL may do with an uploaded file: only the drivers ims uses, and nothing fetched.

An attack on our own instance uploaded an OGR VRT document named .geojson: GDAL picks its
driver by a file's content, opened it as a VRT and read a file of the server's (or an
address on its network) into the submission's review page. A GeoJSON whose ``crs`` was a
link had the server fetch it, three times an upload (decision 0020).
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ims import GDAL_DRIVERS_SKIPPED, GDAL_DRIVERS_USED
from ims.errors import InvalidUpload
from ims.ingest.reader import read_upload

SECRET = "only-the-server-may-read-this"
SQUARE = "POLYGON((103.1709 19.4611,103.1716 19.4611,103.1716 19.4616,103.1709 19.4611))"


def vrt(source: str) -> str:
    """An OGR VRT document whose rows are ``source``'s lines, each with a polygon."""
    return (
        '<OGRVRTDataSource><OGRVRTLayer name="leak">'
        f"<SrcDataSource>CSV:{source}</SrcDataSource>"
        f'<SrcSQL dialect="OGRSQL">SELECT *, \'{SQUARE}\' AS wkt FROM "secret"</SrcSQL>'
        "<GeometryType>wkbPolygon</GeometryType><LayerSRS>EPSG:4326</LayerSRS>"
        '<GeometryField encoding="WKT" field="wkt"/></OGRVRTLayer></OGRVRTDataSource>'
    )


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "uploads").mkdir()
    (tmp_path / "work").mkdir()
    return tmp_path / "uploads", tmp_path / "work"


def test_every_ims_process_has_only_the_gdal_drivers_ims_uses() -> None:
    # in a process of its own, as every ims command and worker starts: ims first, then GDAL
    listed = subprocess.run(
        [sys.executable, "-c", "import ims, pyogrio; print('\\n'.join(pyogrio.list_drivers()))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert sorted(listed) == sorted(GDAL_DRIVERS_USED), (
        "this GDAL has drivers ims/__init__.py does not name: add them to GDAL_DRIVERS_SKIPPED"
    )
    assert "OGR_VRT" in GDAL_DRIVERS_SKIPPED and "GDALG" in GDAL_DRIVERS_SKIPPED


@pytest.mark.parametrize("name", ["hazards.geojson", "hazards.json", "hazards.kml"])
def test_another_formats_document_under_a_layers_name_is_refused_unread(
    folders: tuple[Path, Path], tmp_path: Path, name: str
) -> None:
    uploads, work = folders
    secret = tmp_path / "secret.csv"
    secret.write_text(f"line\n{SECRET}\n")
    upload = uploads / name
    upload.write_text(vrt(str(secret)))
    with pytest.raises(InvalidUpload) as refused:
        read_upload(upload, work)
    message = str(refused.value)
    assert SECRET not in message and name in message
    assert "is not GeoJSON" in message or "is not KML: its first element is <OGRVRTDataSource>" in (
        message
    )


def test_a_kml_whose_doctype_hides_its_first_element_is_refused_unread(
    folders: tuple[Path, Path], tmp_path: Path
) -> None:
    """A ">" quoted in an entity of the DOCTYPE ended the prologue early, and a comment it
    opened hid the first element: a VRT passed as KML as far as GDAL (found by an attack
    on our own instance)."""
    uploads, work = folders
    secret = tmp_path / "secret.csv"
    secret.write_text(f"line\n{SECRET}\n")
    upload = uploads / "hazards.kml"
    upload.write_text(
        '<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY z "x><!--">]><!-- --><kml/>'
        + vrt(str(secret))
    )
    with pytest.raises(InvalidUpload, match="declares its own entities") as refused:
        read_upload(upload, work)
    assert SECRET not in str(refused.value)
    # a plain DOCTYPE, as some tools write, is read past as before
    plain = uploads / "plain.kml"
    plain.write_text(
        '<?xml version="1.0"?><!DOCTYPE kml><kml xmlns="http://www.opengis.net/kml/2.2">'
        "<Document></Document></kml>"
    )
    with pytest.raises(InvalidUpload) as empty:
        read_upload(plain, work)
    assert "is not KML" not in str(empty.value) and "declares" not in str(empty.value)


def test_gdal_in_an_ims_process_cannot_open_a_vrt_whatever_its_name(tmp_path: Path) -> None:
    """The second guard, should a VRT reach GDAL: no driver opens it."""
    secret = tmp_path / "secret.csv"
    secret.write_text(f"line\n{SECRET}\n")
    document = tmp_path / "leak.vrt"
    document.write_text(vrt(str(secret)))
    run = subprocess.run(
        [sys.executable, "-c", f"import ims, pyogrio; pyogrio.read_dataframe({str(document)!r})"],
        capture_output=True,
        text=True,
    )
    assert (
        run.returncode != 0 and "not recognized as being in a supported file format" in run.stderr
    )
    assert SECRET not in run.stdout + run.stderr


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """An address on this machine, and the paths asked of it."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'PROJCS["WGS_1984_UTM_Zone_48N"]')

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", asked
    server.shutdown()


@pytest.mark.parametrize("properties_first", [False, True])
def test_a_geojson_whose_crs_is_a_link_is_refused_and_nothing_fetched(
    folders: tuple[Path, Path], listener: tuple[str, list[str]], properties_first: bool
) -> None:
    uploads, work = folders
    address, asked = listener
    link = {"href": f"{address}/utm.prj", "type": "esriwkt"}
    crs = (
        {"properties": link, "type": "link"}
        if properties_first
        else {"type": "link", "properties": link}
    )
    feature = {
        "type": "Feature",
        "properties": {"hazard_id": "H-1"},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[103.17, 19.46], [103.18, 19.46], [103.18, 19.47], [103.17, 19.46]]],
        },
    }
    upload = uploads / "hazards.geojson"
    upload.write_text(json.dumps({"type": "FeatureCollection", "crs": crs, "features": [feature]}))
    with pytest.raises(InvalidUpload, match='its "crs" is not a CRS named by its code'):
        read_upload(upload, work)
    assert asked == []
    # a CRS named, not linked, is read as before
    named = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    upload.write_text(
        json.dumps({"type": "FeatureCollection", "crs": named, "features": [feature]})
    )
    assert len(read_upload(upload, work).frame) == 1


@pytest.mark.parametrize(
    "crs",
    [
        {"type": "URL", "properties": {"url": "{address}/x"}},
        {"type": "LINK", "properties": {"HREF": "{address}/x"}},
        {"type": "name", "properties": {"name": "{address}/x.prj"}},
    ],
)
def test_a_crs_link_in_any_spelling_is_refused_and_nothing_fetched(
    folders: tuple[Path, Path], listener: tuple[str, list[str]], crs: dict[str, object]
) -> None:
    """ "CRS", "cr\\u0073", a type URL or LINK, HREF, or a name that is an address had
    passed a check of the plain spelling (found by an attack on these changes before release)."""
    uploads, work = folders
    address, asked = listener
    text = json.dumps({"type": "FeatureCollection", "crs": crs, "features": []})
    text = text.replace("{address}", address)
    for spelled in (text, text.replace('"crs"', '"CRS"'), text.replace('"crs"', '"cr\\u0073"')):
        upload = uploads / "hazards.geojson"
        upload.write_text(spelled)
        with pytest.raises(InvalidUpload, match='its "crs" is not a CRS named by its code'):
            read_upload(upload, work)
    assert asked == []


def test_gdal_in_an_ims_process_fetches_nothing_should_a_link_reach_it(
    tmp_path: Path, listener: tuple[str, list[str]]
) -> None:
    """The second guard: GDAL's requests go to a proxy that is not there."""
    address, asked = listener
    square = [[[103.17, 19.46], [103.18, 19.46], [103.18, 19.47], [103.17, 19.46]]]
    document = tmp_path / "linked.geojson"
    document.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "link", "properties": {"href": f"{address}/utm.prj"}},
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {"type": "Polygon", "coordinates": square},
                    }
                ],
            }
        )
    )
    env = {k: v for k, v in os.environ.items() if k.lower() != "no_proxy"}
    subprocess.run(
        [sys.executable, "-c", f"import ims, pyogrio; pyogrio.read_info({str(document)!r})"],
        capture_output=True,
        env=env,
    )
    assert asked == []


def test_a_crs_named_by_a_code_proj_does_not_know_is_refused(folders: tuple[Path, Path]) -> None:
    """GDAL read a layer whose CRS it could not resolve as WGS 84, saying nothing (found by
    an attack on our own instance)."""
    uploads, work = folders
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::99999"}}
    upload = uploads / "hazards.geojson"
    upload.write_text(json.dumps({"type": "FeatureCollection", "crs": crs, "features": []}))
    with pytest.raises(InvalidUpload, match="EPSG::99999, which is not a CRS PROJ knows"):
        read_upload(upload, work)


def test_a_crs_nested_past_pythons_stack_is_refused_not_a_crash(
    folders: tuple[Path, Path],
) -> None:
    """A "crs" of 50,000 nested objects raised RecursionError out of the upload: a 500
    (found by an attack on our own instance)."""
    uploads, work = folders
    upload = uploads / "hazards.geojson"
    deep = '{"a":' * 50_000 + "1" + "}" * 50_000
    upload.write_text('{"type": "FeatureCollection", "crs": ' + deep + ', "features": []}')
    with pytest.raises(InvalidUpload, match='its "crs" is not a CRS named by its code'):
        read_upload(upload, work)
