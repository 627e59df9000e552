"""TileJSON and the MapLibre style describe the tiles as they are, and the style validates."""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import MultiPolygon, box
from sqlalchemy.orm import Session

from ims.config import get_settings
from ims.db.recording import load_boundaries, record_hazards, record_releases
from ims.domain import symbology
from ims.domain.enums import HazardStatus, ReleaseMethod
from ims.domain.records import BoundaryFeature, NewHazard, NewRelease
from ims.reports import tilejson, tiles
from tests.utils import REPO_ROOT, ClientAs, session_app

VALIDATOR = REPO_ROOT / "tests" / "vendor" / "maplibre-gl-style-spec" / "gl-style-validate.cjs"


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


@pytest.fixture
def data(session: Session) -> None:
    load_boundaries(
        session,
        [
            BoundaryFeature("P-A", "Province A", MultiPolygon([box(102.0, 19.0, 102.5, 20.0)])),
            BoundaryFeature("P-B", "Province B", MultiPolygon([box(102.5, 19.0, 103.0, 20.5)])),
        ],
        level=1,
    )
    record_hazards(
        session,
        [NewHazard("H1", HazardStatus.SHA, box(102.1, 19.6, 102.11, 19.61), dt.date(2020, 1, 1))],
    )
    record_releases(
        session,
        [
            NewRelease(
                "R1",
                "H1",
                ReleaseMethod.CLEARED,
                dt.date(2022, 3, 1),
                box(102.1, 19.6, 102.105, 19.61),
            )
        ],
    )


def validate_style(document: dict[str, Any], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """The style spec's own validator (gl-style-validate from npm, vendored), run by node."""
    node = shutil.which("node") or shutil.which("nodejs")
    assert node, "node is needed to validate the style (scripts/setup.sh --dev installs it)"
    path = tmp_path / "style.json"
    path.write_text(json.dumps(document))
    return subprocess.run(
        [node, str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=60
    )


def _fetch_template(client: TestClient, template: str, z: int, x: int, y: int) -> Any:
    url = template.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
    response = client.get(url)
    assert response.status_code == 200, response.text
    return mapbox_vector_tile.decode(response.content) if response.content else {}


def test_tilejson_describes_each_layer_and_its_template_fetches_its_tiles(
    data: None, client_as: ClientAs
) -> None:
    client = client_as("viewer")
    probes = {"hazards": 12, "releases": 14, "admin1": 8}
    for layer, z in probes.items():
        response = client.get(f"/api/v1/tiles/{layer}.json", params={"as_of": "2023-01-01"})
        assert response.status_code == 200, response.text
        document = response.json()
        assert document["tilejson"] == "3.0.0"
        (template,) = document["tiles"]
        assert template.startswith(f"http://testserver/api/v1/tiles/{layer}/{{z}}/{{x}}/{{y}}.pbf")
        assert "as_of=2023-01-01" in template
        # the bounds of the admin areas, [west, south, east, north]
        assert document["bounds"] == pytest.approx([102.0, 19.0, 103.0, 20.5])
        assert document["minzoom"] == (tiles.RELEASE_ZOOM if layer == "releases" else 0)
        assert document["maxzoom"] == tilejson.MAX_ZOOM
        (vector_layer,) = document["vector_layers"]
        assert vector_layer["id"] == layer
        # the fields announced are the fields the tiles carry
        x, y = tile_of(102.105, 19.605, z)
        decoded = _fetch_template(client, template, z, x, y)
        features = decoded[layer]["features"]
        assert features, f"no {layer} in the probed tile"
        carried = set().union(*(f["properties"] for f in features))
        announced = set(vector_layer["fields"])
        assert carried <= announced
        assert announced - carried <= {"hazards"}  # the merged count, at low zooms only
        assert set(vector_layer["fields"].values()) <= {"Number", "String"}


def test_tilejson_refuses_an_unknown_layer(data: None, client_as: ClientAs) -> None:
    response = client_as("viewer").get("/api/v1/tiles/roads.json")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_style_validates_with_the_style_spec_validator(
    data: None, client_as: ClientAs, tmp_path: Path
) -> None:
    response = client_as("viewer").get("/api/v1/tiles/style.json", params={"contam": "CMR"})
    assert response.status_code == 200, response.text
    document = response.json()
    result = validate_style(document, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""  # the validator prints nothing for a valid style
    assert set(document["sources"]) == {"hazards", "releases", "admin1"}
    for name, source in document["sources"].items():
        (template,) = source["tiles"]
        assert template.startswith(f"http://testserver/api/v1/tiles/{name}/{{z}}/")
        assert template.endswith("?contam=CMR")
    for layer in document["layers"]:
        assert layer["source-layer"] == layer["source"]


def test_a_broken_style_fails_the_validator(tmp_path: Path) -> None:
    """The validator is really run: a layer reading a source the style lacks fails."""
    document = tilejson.style("http://example.org/")
    document["layers"].append({"id": "x", "type": "fill", "source": "nowhere"})
    result = validate_style(document, tmp_path)
    assert result.returncode != 0
    assert 'source "nowhere" not found' in result.stdout + result.stderr


def _colours(expression: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(expression, list):
        for part in expression:
            found |= _colours(part)
    elif isinstance(expression, str) and expression.startswith("#"):
        found.add(expression)
    return found


def test_style_draws_with_the_legend_colours() -> None:
    document = tilejson.style("http://example.org/")
    paint = {layer["id"]: layer["paint"] for layer in document["layers"]}
    hazard = paint["hazards-fill"]["fill-color"]
    for status, colour in symbology.STATUS_COLOURS.items():
        assert hazard[hazard.index(status) + 1] == colour
    release = paint["releases-fill"]["fill-color"]
    for method, colour in symbology.METHOD_COLOURS.items():
        assert release[release.index(method) + 1] == colour
    ramp = paint["admin1-fill"]["fill-color"]
    assert ramp[2::2] == list(symbology.CHOROPLETH_COLOURS)
    assert ramp[3::2] == list(symbology.CHOROPLETH_BREAKS_KM2)
    assert paint["admin1-line"]["line-color"] == symbology.BOUNDARY_COLOUR
    assert _colours(paint["hazards-point"]["circle-color"]) >= set(
        symbology.STATUS_COLOURS.values()
    )
    # the statuses differ in more than colour: a dark edge, dashed for a suspected area
    assert paint["hazards-line-cha"]["line-color"] == symbology.STATUS_EDGES["CHA"]
    assert "line-dasharray" not in paint["hazards-line-cha"]
    assert paint["hazards-line-sha"]["line-color"] == symbology.STATUS_EDGES["SHA"]
    assert paint["hazards-line-sha"]["line-dasharray"] == [4.0, 3.0]
    filters = {layer["id"]: layer.get("filter") for layer in document["layers"]}
    assert ["==", ["get", "status"], "SHA"] in filters["hazards-line-sha"]


def _luminance(colour: str) -> float:
    channels = [int(colour[k : k + 2], 16) / 255 for k in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_the_hazards_edges_stand_three_to_one_against_the_map_beneath() -> None:
    """SHA's orange stood 1.0-2.0:1 against the basemap and the provinces' shading
    (helper-93, axe's non-text contrast); the edges stand 3:1 (WCAG 1.4.11) against the
    lightest of them and the map's own background."""
    beneath = [*symbology.CHOROPLETH_COLOURS[:3], "#e8eef3", "#ffffff"]
    for status, edge in symbology.STATUS_EDGES.items():
        for colour in beneath:
            light, dark = sorted((_luminance(edge), _luminance(colour)), reverse=True)
            assert (light + 0.05) / (dark + 0.05) >= 3, (status, colour)


def test_tilejson_and_style_need_the_same_access_as_the_tiles(
    data: None, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    anonymous = TestClient(session_app(session))
    for path in ("/api/v1/tiles/style.json", "/api/v1/tiles/hazards.json"):
        assert anonymous.get(path).status_code == 401
    assert anonymous.get("/api/v1/tiles/hazards/9/401/224.pbf").status_code == 401
    monkeypatch.setenv("IMS_PUBLIC_READ", "true")
    get_settings.cache_clear()
    try:
        for path in ("/api/v1/tiles/style.json", "/api/v1/tiles/hazards.json"):
            assert anonymous.get(path).status_code == 200
    finally:
        get_settings.cache_clear()


def test_location_privacy_gives_viewers_cells_and_no_released_land(
    data: None, client_as: ClientAs, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("IMS_LOCATION_PRIVACY", "true")
    get_settings.cache_clear()
    try:
        viewer = client_as("viewer")
        refused = viewer.get("/api/v1/tiles/releases.json")
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("application/problem+json")
        hazards = viewer.get("/api/v1/tiles/hazards.json").json()
        (vector_layer,) = hazards["vector_layers"]
        assert set(vector_layer["fields"]) == {"hazards", "remaining_m2", "status"}
        style = viewer.get("/api/v1/tiles/style.json").json()
        assert set(style["sources"]) == {"hazards", "admin1"}
        assert not any(layer["source"] == "releases" for layer in style["layers"])
        result = validate_style(style, tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        # staff who sign in get everything
        admin = client_as("admin")
        assert admin.get("/api/v1/tiles/releases.json").status_code == 200
        full = admin.get("/api/v1/tiles/style.json").json()
        assert "releases" in full["sources"]
    finally:
        get_settings.cache_clear()


def test_the_review_maps_finding_colours_are_not_the_recorded_hazards_colours() -> None:
    """The review map draws the submitted features over the hazards already recorded: an
    error drawn in CHA's red made a national file's errors and the country's confirmed
    hazards one red block."""
    findings = set(symbology.FINDING_COLOURS.values())
    recorded = set(symbology.STATUS_COLOURS.values())
    assert len(findings) == len(symbology.FINDING_COLOURS)
    assert not findings & recorded
