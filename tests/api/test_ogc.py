"""``/ogc`` (OGC API – Features) answers as the standard says and as Article 7 counts.

The figures are checked against the Article 7 tables for the same date and contamination
(the shared truth), and the geometries against pyproj's geodesic areas. Then clients no one
here wrote read it from a live server: GDAL's OGC API driver (through pyogrio) and
OWSLib's OGC API Features client.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from owslib.ogcapi.features import Features
from pyproj import Geod
from shapely.geometry import MultiPolygon, box, shape
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from ims.api.ogc import COLLECTIONS, SCHEMA_REL
from ims.db import accounts
from ims.db.recording import load_boundaries, record_hazards, record_releases
from ims.db.session import make_engine
from ims.domain.enums import Contamination, HazardStatus, ReleaseMethod, Role
from ims.domain.figures import OPEN_THRESHOLD_M2
from ims.domain.records import BoundaryFeature, NewHazard, NewRelease
from ims.reports.article7 import ReportScope, remaining
from tests.api.test_gate import _free_port
from tests.gis import gis_reads
from tests.utils import ClientAs

GEOD = Geod(ellps="WGS84")
END_2021 = dt.date(2021, 12, 31)
# Two provinces side by side, each of two districts.
PROVINCES = [
    ("P-W", "West", box(103.0, 19.0, 103.5, 20.0)),
    ("P-E", "East", box(103.5, 19.0, 104.0, 20.0)),
]
DISTRICTS = [
    ("D-W1", "West one", box(103.0, 19.0, 103.5, 19.5)),
    ("D-W2", "West two", box(103.0, 19.5, 103.5, 20.0)),
    ("D-E1", "East one", box(103.5, 19.0, 104.0, 19.5)),
    ("D-E2", "East two", box(103.5, 19.5, 104.0, 20.0)),
]
WEST_BBOX = (103.0, 19.0, 103.49, 20.0)


def _square(i: int, size: float = 0.004) -> Any:
    x = 103.05 + (i % 10) * 0.09
    y = 19.05 + (i // 10) * 0.2
    return box(x, y, x + size, y + size)


def build(session: Session) -> None:
    """A small programme: CMR and APM hazards, released in 2021 and 2022, one recorded later."""
    load_boundaries(
        session, [BoundaryFeature(c, n, MultiPolygon([g])) for c, n, g in PROVINCES], level=1
    )
    load_boundaries(
        session, [BoundaryFeature(c, n, MultiPolygon([g])) for c, n, g in DISTRICTS], level=2
    )
    hazards = [
        NewHazard(
            f"H-{i:02d}",
            HazardStatus.CHA if i % 3 == 0 else HazardStatus.SHA,
            _square(i),
            dt.date(2020, 1, 1) if i < 20 else dt.date(2022, 3, 1),  # 20+: recorded later
            contam=Contamination.APM if i % 5 == 4 else Contamination.CMR,
            marked=dt.date(2020, 6, 1) if i % 2 else None,
            used_from=1964 + i if i % 4 else None,  # some years of use, some none
            # the upload's own columns; only the hazards recorded later have a team, and
            # columns named as the feature's id and ims's status are, but for case
            attributes={"village": f"Ban {i}"}
            | (
                {"team": f"T-{i}", "depth_cm": 10 + i, "id": f"old-{i}", "Status": "open"}
                if i >= 20
                else {}
            ),
        )
        for i in range(24)
    ]
    # one across the provinces' border (counted where most of it lies)
    hazards.append(
        NewHazard(
            "H-ACROSS", HazardStatus.SHA, box(103.49, 19.3, 103.52, 19.31), dt.date(2020, 1, 1)
        )
    )
    record_hazards(session, hazards)
    x, y = _square(1).bounds[:2]
    x2, y2 = _square(2).bounds[:2]
    record_releases(
        session,
        [
            # H-00 cleared whole in 2021: closed, not counted at the end of 2021
            NewRelease("R-1", "H-00", ReleaseMethod.CLEARED, dt.date(2021, 5, 1), _square(0)),
            # H-01 half reduced in 2021
            NewRelease(
                "R-2",
                "H-01",
                ReleaseMethod.REDUCED,
                dt.date(2021, 8, 1),
                box(x, y, x + 0.002, y + 0.004),
            ),
            # H-02 a quarter cancelled in 2022: whole at the end of 2021
            NewRelease(
                "R-3",
                "H-02",
                ReleaseMethod.CANCELLED,
                dt.date(2022, 2, 1),
                box(x2, y2, x2 + 0.001, y2 + 0.004),
            ),
            NewRelease(
                "R-4", "H-03", ReleaseMethod.CLEARED, dt.date(2020, 12, 31), _square(3, 0.001)
            ),
        ],
    )
    session.flush()


@pytest.fixture
def client(client_as: ClientAs, session: Session) -> TestClient:
    build(session)
    return client_as("viewer")


def _all(client: TestClient, url: str, **params: Any) -> list[dict[str, Any]]:
    """Every feature, following the next links."""
    features: list[dict[str, Any]] = []
    page = client.get(url, params=params).json()
    while True:
        features += page["features"]
        nxt = [link for link in page["links"] if link["rel"] == "next" and "json" in link["type"]]
        if not nxt:
            return features
        page = client.get(nxt[0]["href"]).json()


COLLECTION_IDS = ("hazards", "hazard_boundaries", "releases", "admin_areas")


def _geodesic_m2(geometry: dict[str, Any]) -> float:
    return abs(GEOD.geometry_area_perimeter(shape(geometry))[0])


def test_landing_conformance_collections_and_api_definition(client: TestClient) -> None:
    landing = client.get("/ogc")
    assert landing.status_code == 200, landing.text
    rels = {link["rel"] for link in landing.json()["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    conformance = client.get("/ogc/conformance").json()["conformsTo"]
    assert any(c.endswith("/conf/core") for c in conformance)
    assert any(c.endswith("/conf/geojson") for c in conformance)
    ids = [c["id"] for c in client.get("/ogc/collections").json()["collections"]]
    assert ids == ["hazards", "hazard_boundaries", "releases", "admin_areas"]
    one = client.get("/ogc/collections/releases").json()
    assert one["extent"]["temporal"]["interval"] == [["2020-12-31", "2022-02-01"]]
    # Only releases have a time of their own: GDAL turned a filter on a hazard's date
    # column into datetime (the date shown as of) for a collection with a temporal extent.
    for name in ("hazards", "hazard_boundaries", "admin_areas"):
        assert "temporal" not in client.get(f"/ogc/collections/{name}").json()["extent"]
    assert one["extent"]["spatial"]["bbox"][0] == pytest.approx([103.0, 19.0, 104.0, 20.0])
    api = client.get("/ogc/api")
    assert api.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    # the limit as QGIS reads it (a component): it had asked for pages of 100 without it
    definition = api.json()
    limit = definition["components"]["parameters"]["limit"]
    assert limit["schema"]["maximum"] == 10_000 and limit["schema"]["default"] == 10
    items = definition["paths"]["/collections/{collectionId}/items"]["get"]
    assert {"$ref": "#/components/parameters/limit"} in items["parameters"]
    assert client.get("/ogc/collections/nothing").status_code == 404


@pytest.mark.parametrize("as_of", [END_2021, dt.date.today()])
@pytest.mark.parametrize("contam", ["CMR", "APM"])
def test_hazards_on_a_date_are_those_article7_counts(
    client: TestClient, session: Session, as_of: dt.date, contam: str
) -> None:
    features = _all(
        client,
        "/ogc/collections/hazards/items",
        datetime=as_of.isoformat(),
        contam=contam,
        limit=4,
    )
    for level in (1, 2):
        rows = remaining(session, as_of, ReportScope(level, Contamination(contam)))
        total = rows[-1]
        assert len(features) == total["total_count"]
        assert sum(f["properties"]["remaining_m2"] for f in features) == pytest.approx(
            total["total_area_m2"], abs=1.0
        )
        key = f"admin{level}_code"
        for row in rows[:-1]:
            counted = [f for f in features if f["properties"][key] == row["admin_code"]]
            assert len(counted) == row["total_count"], (level, row["admin_code"])
            for status in ("SHA", "CHA"):
                n = sum(1 for f in counted if f["properties"]["status"] == status)
                assert n == row[f"{status.lower()}_count"]
    for f in features:
        props = f["properties"]
        assert props["contamination"] == contam
        assert props["remaining_m2"] >= OPEN_THRESHOLD_M2
        # the geometry is the ground remaining then, measured independently
        assert _geodesic_m2(f["geometry"]) == pytest.approx(props["remaining_m2"], rel=1e-5)
        if props["hazard_id"] != "H-ACROSS":
            assert props["village"] == f"Ban {int(props['hazard_id'][2:])}"
    refs = {f["id"] for f in features}
    if as_of == END_2021:
        assert "H-00" not in refs  # cleared in 2021
        assert not refs & {f"H-{i}" for i in range(20, 24)}  # recorded in 2022
    if contam == "CMR":
        assert "H-01" in refs
        h01 = next(f for f in features if f["id"] == "H-01")["properties"]
        assert h01["remaining_m2"] == pytest.approx(h01["boundary_m2"] / 2, rel=1e-4)
        h02 = next(f for f in features if f["id"] == "H-02")["properties"]
        share = 1.0 if as_of == END_2021 else 0.75
        assert h02["remaining_m2"] == pytest.approx(h02["boundary_m2"] * share, rel=1e-4)


def test_hazard_properties_are_the_registers(client: TestClient) -> None:
    feature = client.get("/ogc/collections/hazards/items/H-ACROSS").json()
    assert feature["id"] == "H-ACROSS"
    props = feature["properties"]
    assert set(props) >= {
        "hazard_id",
        "status",
        "contamination",
        "admin1_code",
        "admin1_name",
        "admin2_code",
        "admin2_name",
        "remaining_m2",
        "boundary_m2",
        "recorded",
        "operator",
        "marked",
        "used_from",
        "used_to",
    }
    # 1/3 of it lies west of 103.5, 2/3 east: counted in the east
    assert (props["admin1_code"], props["admin1_name"]) == ("P-E", "East")
    assert props["admin2_code"] == "D-E1"
    assert props["recorded"] == "2020-01-01"
    assert props["boundary_m2"] == pytest.approx(
        _geodesic_m2(box(103.49, 19.3, 103.52, 19.31).__geo_interface__), rel=1e-5
    )
    gone = client.get("/ogc/collections/hazards/items/H-00")
    assert gone.status_code == 404
    assert gone.headers["content-type"].startswith("application/problem+json")


def test_remaining_ground_with_a_hair_thin_part_is_served_valid(
    client: TestClient, session: Session
) -> None:
    # A release that stops 3e-9 degrees (0.3 mm) short of its hazard's edge leaves a part
    # that wide. Rounded to 7 decimals its two sides fell on each other: 7 % of a national
    # database's hazards came out invalid, and QGIS's processing stops at one.
    x, y = _square(5).bounds[:2]
    record_releases(
        session,
        [
            NewRelease(
                "R-THIN",
                "H-05",
                ReleaseMethod.CLEARED,
                dt.date(2021, 3, 1),
                box(x + 0.002, y, x + 0.004 - 3e-9, y + 0.004),
            )
        ],
    )
    session.flush()
    feature = client.get("/ogc/collections/hazards/items/H-05").json()
    served = shape(feature["geometry"])
    # the remaining half alone: the thin part is a sliver (0.3 mm by 440 m, 0.15 m²), the
    # float noise of the difference, not ground (ims.domain.polygons.without_slivers)
    assert len(served.geoms) == 1 and served.is_valid
    half = box(x, y, x + 0.002, y + 0.004)
    assert served.equals(MultiPolygon([half]))
    assert abs(GEOD.geometry_area_perimeter(served)[0]) == pytest.approx(
        feature["properties"]["remaining_m2"], abs=1.0
    )  # the ledger's figure, with the sliver, to within its square metre
    boundary = client.get("/ogc/collections/hazard_boundaries/items/H-05").json()
    assert shape(boundary["geometry"]).is_valid


def test_bbox_and_paging(client: TestClient) -> None:
    west = ",".join(str(v) for v in WEST_BBOX)
    page = client.get("/ogc/collections/hazards/items", params={"bbox": west, "limit": 2}).json()
    all_west = _all(client, "/ogc/collections/hazards/items", bbox=west, limit=2)
    assert page["numberMatched"] == len(all_west) > 2
    assert page["numberReturned"] == 2
    for f in all_west:
        assert shape(f["geometry"]).intersects(box(*WEST_BBOX))
    everything = _all(client, "/ogc/collections/hazards/items", limit=10_000)
    outside = [f for f in everything if not shape(f["geometry"]).intersects(box(*WEST_BBOX))]
    assert len(all_west) + len(outside) == len(everything)
    default = client.get("/ogc/collections/hazards/items").json()
    assert default["numberReturned"] == 10 < default["numberMatched"]
    big = client.get("/ogc/collections/hazards/items", params={"limit": 50_000}).json()
    assert big["numberReturned"] == big["numberMatched"]  # clamped to the maximum


def test_bbox_and_s_intersects_test_the_ground_a_feature_gives(
    client_as: ClientAs, session: Session
) -> None:
    """A hazard's remaining ground kept a sliver of a centimetre on its edge, left out of
    the features: in a box holding only the sliver, the hazard had matched with geometry
    wholly outside the box (a GIS user's review, helper-101)."""
    load_boundaries(
        session, [BoundaryFeature(c, n, MultiPolygon([g])) for c, n, g in PROVINCES], level=1
    )
    hazard = box(103.10, 19.10, 103.12, 19.105)
    record_hazards(session, [NewHazard("S-1", HazardStatus.SHA, hazard, dt.date(2020, 1, 1))])
    # cleared all but a strip of 1e-8° (1 mm, 0.6 m²) on the west edge, and the east half
    record_releases(
        session,
        [
            NewRelease(
                "SR-1",
                "S-1",
                ReleaseMethod.CLEARED,
                dt.date(2021, 1, 1),
                box(103.10000001, 19.10, 103.11, 19.105),
            )
        ],
    )
    session.commit()
    client = client_as("viewer")
    (feature,) = client.get("/ogc/collections/hazards/items").json()["features"]
    given = shape(feature["geometry"])
    assert given.bounds[0] == pytest.approx(103.11)  # the sliver is not given
    west_edge = "103.09,19.09,103.105,19.12"  # holds the sliver and nothing else
    assert not given.intersects(box(103.09, 19.09, 103.105, 19.12))
    by_box = client.get("/ogc/collections/hazards/items", params={"bbox": west_edge}).json()
    assert by_box["numberMatched"] == 0 and by_box["features"] == []
    by_filter = client.get(
        "/ogc/collections/hazards/items",
        params={"filter": "S_INTERSECTS(geometry, BBOX(103.09,19.09,103.105,19.12))"},
    ).json()
    assert by_filter["numberMatched"] == 0
    east = client.get("/ogc/collections/hazards/items", params={"bbox": "103.115,19,103.2,19.2"})
    assert [f["id"] for f in east.json()["features"]] == ["S-1"]


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"limit": "1_0"}, "limit must be a whole number"),
        ({"offset": "-5"}, "offset must be at least 0"),
        ({"bbox": "1,2,3"}, "bbox takes 4 numbers"),
        ({"bbox": "nan,nan,nan,nan"}, "bbox takes 4 numbers"),
        ({"bbox": "100,10,inf,20"}, "bbox takes 4 numbers"),
        ({"bbox": "104,19,103,20"}, "its west (104) is east of its east (103)"),
        ({"bbox": "103,20,104,19"}, "its south (20) is north of its north (19)"),
        ({"datetime": "2021-13-01"}, "datetime"),
        ({"datetime": "2021-01-01/2021-12-31"}, "one date"),
        ({"datetime": "2021-01-01T/.."}, "GDAL sends a filter on a date column"),
        ({"datetime": "2021-01-01T"}, "GDAL sends a filter on a date column"),
        ({"contam": "XYZ"}, "contam"),
        ({"colour": "red"}, "unknown"),
        # the collection's own columns are not listed: named by where they are
        ({"colour": "red"}, "/ogc/collections/hazards/queryables lists them"),
        # a parameter given twice had been read as its last value (helper-101)
        ({"status": ["CHA", "SHA"]}, "status is given 2 times: give it once"),
        ({"crs": "http://www.opengis.net/def/crs/EPSG/0/32648"}, "coordinates in"),
        ({"bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/4326"}, "reproject in your GIS"),
        ({"filter": "T_AFTER(recorded, DATE('2020-01-01'))"}, "temporal functions"),
    ],
)
def test_wrong_parameters_are_400(client: TestClient, params: dict[str, str], problem: str) -> None:
    answer = client.get("/ogc/collections/hazards/items", params=params)
    assert answer.status_code == 400
    assert problem in answer.json()["detail"]
    assert "village" not in answer.json()["detail"]  # an upload's column: not listed


def test_the_crs_the_collections_list_is_taken_and_lao_names_unquoted(
    client: TestClient, session: Session
) -> None:
    """``crs`` and ``bbox-crs`` of CRS84, the collections' one CRS, had been refused as
    unknown parameters; a filter naming an upload's Lao column unquoted, as GDAL sends it,
    as no CRS2 text (a GIS user's review, helper-101)."""
    crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    plain = client.get("/ogc/collections/hazards/items", params={"limit": 100}).json()
    same = client.get(
        "/ogc/collections/hazards/items",
        params={"limit": 100, "crs": crs84, "bbox-crs": crs84, "bbox": "103,19,104,20"},
    )
    assert same.status_code == 200, same.text
    assert [f["id"] for f in same.json()["features"]] == [f["id"] for f in plain["features"]]
    one = client.get("/ogc/collections/hazards/items/H-01", params={"crs": crs84})
    assert one.status_code == 200
    curie = client.get("/ogc/collections/hazards/items", params={"crs": "[OGC:CRS84]"})
    assert curie.status_code == 200, curie.text
    # a parameter given twice: the filter's way is said of a queryable only
    twice = client.get("/ogc/collections/hazards/items", params={"limit": ["1", "2"]})
    assert twice.json()["detail"] == "limit is given 2 times: give it once"
    record_hazards(
        session,
        [
            NewHazard(
                "H-LAO",
                HazardStatus.SHA,
                _square(31),
                dt.date(2020, 1, 1),
                attributes={"ບ້ານ": "ບ້ານໂພນສະຫວັນ"},
            )
        ],
    )
    session.commit()
    found = client.get("/ogc/collections/hazards/items", params={"filter": "ບ້ານ = 'ບ້ານໂພນສະຫວັນ'"})
    assert found.status_code == 200, found.text
    assert [f["id"] for f in found.json()["features"]] == ["H-LAO"]


def test_releases_filtered_on_their_date(client: TestClient, session: Session) -> None:
    def refs(**params: str) -> list[str]:
        return sorted(f["id"] for f in _all(client, "/ogc/collections/releases/items", **params))

    assert refs() == ["R-1", "R-2", "R-3", "R-4"]
    assert refs(datetime="2021-01-01/2021-12-31") == ["R-1", "R-2"]
    assert refs(datetime="../2021-12-31") == ["R-1", "R-2", "R-4"]
    assert refs(datetime="2021-06-01/..") == ["R-2", "R-3"]
    assert refs(datetime="2021-05-01") == ["R-1"]
    # as GDAL (and QGIS through it) sends "released >= '2021-06-01'": a 400 before
    assert refs(datetime="2021-06-01T/..") == ["R-2", "R-3"]
    assert refs(datetime="2021-05-01T") == ["R-1"]
    assert refs(method="cleared") == ["R-1", "R-4"]
    r2 = client.get("/ogc/collections/releases/items/R-2").json()["properties"]
    assert (r2["hazard_id"], r2["method"], r2["released"]) == ("H-01", "reduced", "2021-08-01")
    area = session.scalar(
        text("SELECT ST_Area(geom::geography) FROM release WHERE reference = 'R-2'")
    )
    assert r2["area_m2"] == pytest.approx(area, rel=1e-5)


def test_releases_carry_what_the_registers_release_files_carry(client: TestClient) -> None:
    """The collection had only eight fields where the register's release files have the
    ground released outside the hazard, the items and the province and district: a GIS user
    could not style or filter releases by province (helper-101)."""
    ogc = {f["id"]: f["properties"] for f in _all(client, "/ogc/collections/releases/items")}
    register = client.get("/api/v1/releases.geojson").json()["features"]
    assert len(register) == len(ogc) == 4
    for feature in register:
        theirs = feature["properties"]
        mine = ogc[theirs["release_id"]]
        for key in ("outside_m2", "admin1_code", "admin1_name", "admin2_code", "admin2_name"):
            assert mine[key] == theirs[key], (theirs["release_id"], key)
        assert mine["area_m2"] == pytest.approx(theirs["area_m2"], abs=1e-3)
    assert ogc["R-1"]["admin1_code"] == "P-W" and ogc["R-1"]["admin2_code"] == "D-W1"
    west = _all(client, "/ogc/collections/releases/items", filter="admin1_code = 'P-W'")
    assert sorted(f["id"] for f in west) == sorted(
        r for r, p in ogc.items() if p["admin1_code"] == "P-W"
    )


def test_a_dated_landing_page_serves_every_collection_as_of_its_date(
    client: TestClient, session: Session
) -> None:
    """QGIS and GDAL send no datetime: the date goes in the address they are given."""
    root = "/ogc/on/2021-12-31"
    landing = client.get(root)
    assert landing.status_code == 200, landing.text
    assert landing.json()["title"].endswith("as of 2021-12-31")
    dated = f"http://testserver{root}"
    assert all(link["href"].startswith(dated) for link in landing.json()["links"])
    collections = client.get(f"{root}/collections").json()
    assert [c["id"] for c in collections["collections"]] == list(COLLECTIONS)
    for collection in collections["collections"]:
        assert all(link["href"].startswith(f"{dated}/") for link in collection["links"])

    def refs(path: str, **params: str) -> list[str]:
        return sorted(f["id"] for f in _all(client, path, **params))

    for name in ("hazards", "hazard_boundaries", "admin_areas"):
        assert refs(f"{root}/collections/{name}/items") == refs(
            f"/ogc/collections/{name}/items", datetime="2021-12-31"
        ), name
    cmr = remaining(session, END_2021, ReportScope(1, Contamination.CMR))[-1]["total_count"]
    assert len(refs(f"{root}/collections/hazards/items", contam="CMR")) == cmr
    assert refs(f"{root}/collections/releases/items") == ["R-1", "R-2", "R-4"]  # up to it
    # a filter on the release date within the address's (GDAL's -where on "released"):
    # R-3, of 2022, had been listed on the connection as of 2021
    assert refs(f"{root}/collections/releases/items", datetime="2021-06-01/..") == ["R-2"]
    assert refs(f"{root}/collections/releases/items", datetime="2021-06-01T/..") == ["R-2"]
    assert refs(f"{root}/collections/releases/items", datetime="../2021-06-01") == ["R-1", "R-4"]
    assert refs(f"{root}/collections/releases/items", datetime="2022-01-01/..") == []
    assert refs(f"{root}/collections/releases/items", datetime="2022-02-01") == []
    item = client.get(f"{root}/collections/hazards/items/H-01").json()
    assert item["links"][0]["href"].startswith(f"{dated}/")
    assert client.get("/ogc/on/2021-12-31/collections/hazards/items/H-00").status_code == 404
    wrong = client.get("/ogc/on/2021-13-45/collections")
    assert wrong.status_code == 400 and "/ogc/on/YYYY-MM-DD" in wrong.json()["detail"]
    servers = client.get(f"{root}/api").json()["servers"]
    assert servers == [{"url": dated}]


def test_boundaries_are_every_hazard_recorded_then(client: TestClient) -> None:
    then = _all(
        client, "/ogc/collections/hazard_boundaries/items", datetime="2021-12-31", limit=100
    )
    assert len(then) == 21  # H-00…H-19 and H-ACROSS, closed ones too
    h00 = next(f for f in then if f["id"] == "H-00")
    assert _geodesic_m2(h00["geometry"]) == pytest.approx(
        _geodesic_m2(_square(0).__geo_interface__)
    )
    now = client.get("/ogc/collections/hazard_boundaries/items").json()
    assert now["numberMatched"] == 25


@pytest.mark.parametrize("contam", ["CMR", "APM", None])
def test_admin_area_figures_are_form_1h(
    client: TestClient, session: Session, contam: str | None
) -> None:
    params = {"datetime": "2021-12-31", "limit": "100"}
    if contam:
        params["contam"] = contam
    areas = {
        f["id"]: f["properties"]
        for f in _all(client, "/ogc/collections/admin_areas/items", **params)
    }
    assert len(areas) == 6
    kinds = [Contamination(contam)] if contam else list(Contamination)
    for level in (1, 2):
        want: dict[str, dict[str, float]] = {}
        for kind in kinds:
            for row in remaining(session, END_2021, ReportScope(level, kind))[:-2]:
                into = want.setdefault(row["admin_code"], {})
                for column in ("sha_count", "cha_count", "total_count", "total_area_m2"):
                    into[column] = into.get(column, 0) + row[column]
        for code, figures in want.items():
            got = areas[f"{level}-{code}"]
            assert got["level"] == level
            for column, value in figures.items():
                assert got[column] == pytest.approx(value, abs=1e-3), (code, column)
    only = _all(client, "/ogc/collections/admin_areas/items", level="2", limit="100")
    assert sorted(f["properties"]["parent_code"] for f in only) == ["P-E", "P-E", "P-W", "P-W"]


def test_html_pages_for_people(client: TestClient) -> None:
    page = client.get("/ogc/collections/hazards/items", headers={"Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html")
    assert "Ban 1" in page.text and "<script" not in page.text
    assert 'href="http://testserver/hazards">Hazards</a>' in page.text  # the site's way back
    assert re.search(r"\d+ features \(on \d{4}-\d\d-\d\d\); 1–\d+ shown", page.text)
    assert client.get("/ogc", params={"f": "html"}).headers["content-type"].startswith("text/html")


def test_a_past_dates_html_links_each_feature_on_that_date(client: TestClient) -> None:
    """H-00 was open at the end of 2020 and cleared in 2021: its link on the page of 2020
    had dropped the date, and answered 404 (a GIS user's review)."""
    page = client.get("/ogc/collections/hazards/items", params={"datetime": "2020-12-31"})
    assert "H-00" in {f["id"] for f in page.json()["features"]}
    html = client.get(
        "/ogc/collections/hazards/items", params={"datetime": "2020-12-31", "f": "html"}
    ).text
    (link,) = re.findall(r'href="([^"]*/items/H-00\?[^"]*)"', html)
    link = link.replace("&amp;", "&")
    assert "datetime=2020-12-31" in link
    assert "(on 2020-12-31)" in html  # said on the page: a hazard of 2020 read as today's
    item = client.get(link)
    assert item.status_code == 200 and "Open hazards: H-00 on 2020-12-31" in item.text
    assert client.get("/ogc/collections/hazards/items/H-00").status_code == 404  # today
    one = client.get("/ogc/collections/hazards/items/H-00", params={"datetime": "2020-12-31"})
    assert all("datetime=2020-12-31" in x["href"] for x in one.json()["links"][:2])


_JSON_TYPES = {"string": str, "number": (int, float), "integer": int, "boolean": bool}


def _follows_schema(client: TestClient, name: str, features: list[dict[str, Any]]) -> None:
    """Each feature's properties are the schema's fields, in its order, of its types."""
    collection = client.get(f"/ogc/collections/{name}").json()
    (link,) = [x for x in collection["links"] if x["rel"] == SCHEMA_REL]
    assert link["type"] == "application/schema+json"
    answer = client.get(link["href"])
    assert answer.headers["content-type"] == "application/schema+json"
    fields = answer.json()["properties"]
    geometry = fields.pop("geometry")
    assert geometry["x-ogc-role"] == "primary-geometry"
    assert [f["x-ogc-propertySeq"] for f in fields.values()] == list(range(1, len(fields) + 1))
    assert features
    for feature in features:
        assert list(feature["properties"]) == list(fields), (name, feature["id"])
        for key, value in feature["properties"].items():
            if value is None:
                continue
            assert isinstance(value, _JSON_TYPES[fields[key]["type"]]), (name, key, value)
            if fields[key].get("format") == "date":
                dt.date.fromisoformat(value)
    # the GeoJSON feature form, for GDAL: the same fields under "properties"
    (described,) = [x for x in collection["links"] if x["rel"] == "describedby"]
    feature_schema = client.get(described["href"]).json()["properties"]
    assert list(feature_schema["properties"]["properties"]) == list(fields)


def test_every_collection_has_a_schema_its_features_follow(client: TestClient) -> None:
    for name in COLLECTIONS:
        _follows_schema(client, name, _all(client, f"/ogc/collections/{name}/items"))
    boundaries = client.get("/ogc/collections/hazard_boundaries/schema").json()["properties"]
    assert {"village", "team", "depth_cm"} <= set(boundaries)  # the upload's own columns
    # named apart from the feature's id and ims's fields, in any case
    assert {"id_1", "Status_1"} <= set(boundaries) and "id" not in boundaries
    assert boundaries["depth_cm"]["type"] == "number" and boundaries["team"]["type"] == "string"
    assert boundaries["recorded"] == {
        "title": "recorded",
        "type": "string",
        "format": "date",
        "x-ogc-propertySeq": 10,
    }
    page = client.get("/ogc/collections/releases/schema", headers={"Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html") and "stated_area_m2" in page.text
    dated = client.get("/ogc/on/2021-12-31/collections/hazards").json()["links"]
    assert any(x["href"].endswith("/ogc/on/2021-12-31/collections/hazards/schema") for x in dated)


def test_past_fifty_own_columns_features_carry_only_their_own(
    client: TestClient, session: Session
) -> None:
    """A file of 1,500 own columns made every page ten times larger and thirty times slower
    (found by an attack on our own instance): past 50, the schema alone names them all."""
    many = {f"c{i:02d}": i for i in range(60)}
    record_hazards(
        session,
        [NewHazard("H-WIDE", HazardStatus.SHA, _square(30), dt.date(2020, 1, 1), attributes=many)],
    )
    features = {f["id"]: f for f in _all(client, "/ogc/collections/hazards/items", limit=100)}
    assert set(many) <= set(features["H-WIDE"]["properties"])
    assert "c00" not in features["H-01"]["properties"]  # not 60 nulls on every hazard
    schema = client.get("/ogc/collections/hazards/schema").json()["properties"]
    assert set(many) <= set(schema)


def test_location_privacy_serves_cells_without_references(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ims.config import get_settings

    monkeypatch.setenv("IMS_LOCATION_PRIVACY", "true")
    get_settings.cache_clear()
    ids = [c["id"] for c in client.get("/ogc/collections").json()["collections"]]
    assert ids == ["hazards", "admin_areas"]
    cells = _all(client, "/ogc/collections/hazards/items", datetime="2021-12-31", contam="CMR")
    total = remaining(session, END_2021, ReportScope(1, Contamination.CMR))[-1]
    assert sum(c["properties"]["hazards"] for c in cells) == total["total_count"]
    for cell in cells:
        assert cell["geometry"]["type"] == "Point"
        assert "hazard_id" not in cell["properties"]
    for name in ("releases", "hazard_boundaries"):
        assert client.get(f"/ogc/collections/{name}/items").status_code == 403
    assert client.get("/ogc/collections/hazards/items/H-01").status_code == 404
    _follows_schema(client, "hazards", cells)
    assert client.get("/ogc/collections/releases/schema").status_code == 403


# Clients no one here wrote, against a live server on a committed database.


@dataclass(frozen=True)
class Live:
    """A live ims serving /ogc, and a viewer's token."""

    url: str
    token: str
    log: Path  # the server's output, each request it answered among it
    engine: Engine  # the application's engine on the database it serves
    start: int = 0  # where the test's own lines begin in log

    def asked(self) -> str:
        """What the server wrote since the test began."""
        with self.log.open("rb") as output:
            output.seek(self.start)
            return output.read().decode(errors="replace")


@pytest.fixture(scope="module")
def served(test_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """``ims serve`` in a process of its own, on a committed database of the module's own:
    pyogrio holds the GIL while GDAL reads, so a server in a thread of the test's process
    could not answer it. One per module, as a GIS's clients read it: a server and its
    workers took 5 CPU-seconds to start, for each test."""
    database = test_server.migrated_database("ims_live")
    engine = make_engine(test_server.app_url(database))
    with Session(engine) as s, s.begin():
        build(s)
        accounts.create_user(s, "ogc-viewer", Role.VIEWER, by="tests")
        token = accounts.create_token(s, "ogc-viewer", "tests", by="tests")[1]
    folder = tmp_path_factory.mktemp("live")
    port = _free_port()
    env = {
        **os.environ,
        "IMS_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "IMS_ADMIN_DATABASE_URL": database,
        "IMS_DATA_DIR": str(folder / "data"),
    }
    ims = Path(sys.executable).with_name("ims")
    log_path = folder / "server.log"
    try:
        with log_path.open("wb") as log:
            server = subprocess.Popen(
                [str(ims), "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                deadline = time.monotonic() + 60
                while True:
                    assert server.poll() is None, log_path.read_text()
                    assert time.monotonic() < deadline, "ims serve did not start"
                    try:
                        with socket.create_connection(("127.0.0.1", port), timeout=1):
                            break
                    except OSError:
                        time.sleep(0.2)
                yield Live(f"http://127.0.0.1:{port}/ogc", token, log_path, engine)
            finally:
                server.terminate()
                server.wait(timeout=20)
    finally:
        engine.dispose()
        test_server.drop_database(database)


@pytest.fixture
def live(served: Live) -> Live:
    """The module's live ims, its output read from where the test begins."""
    return dataclasses.replace(served, start=served.log.stat().st_size)


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text(sql)) or 0)


def test_gdal_reads_every_collection_as_the_database_counts(
    live: Live, capsys: Any, tmp_path: Path
) -> None:
    # The token as the README gives it: a header file, which GDAL 3.6 and later versions
    # all send (GDAL_HTTP_AUTH=BEARER is unknown to 3.6; GDAL_HTTP_HEADERS is replaced by
    # the OAPIF driver's own Accept header in later versions). GDAL as a GIS has it, with
    # its OAPIF driver (tests/gis.py).
    header = tmp_path / "token-header"
    header.write_text(f"Authorization: Bearer {live.token}\n")
    source = f"OAPIF:{live.url}"
    layers_listed, *frames = gis_reads(
        ("list_layers", (source,), {}),
        *[("read_dataframe", (source,), {"layer": layer}) for layer in COLLECTION_IDS],
        ("read_dataframe", (source,), {"layer": "hazards", "bbox": WEST_BBOX}),
        ("read_dataframe", (f"OAPIF:{live.url}/collections/releases",), {}),
        ("read_dataframe", (f"OAPIF:{live.url}/on/2021-12-31",), {"layer": "hazards"}),
        # a filter on the release date, as GDAL sends it: it had answered 400 and an empty
        # layer (a walk-through as a GIS officer); on a hazard's date, as the error says
        # to write it
        ("read_dataframe", (source,), {"layer": "releases", "where": "released >= '2021-06-01'"}),
        (
            "read_dataframe",
            (source,),
            {
                "sql": "SELECT * FROM hazards WHERE substr(recorded, 1, 10) >= '2016-01-01'",
                "sql_dialect": "SQLITE",
            },
        ),
        GDAL_HTTP_HEADER_FILE=str(header),
    )
    layers = [str(name) for name, _ in layers_listed]
    assert layers == list(COLLECTION_IDS)
    by_layer = dict(zip(COLLECTION_IDS, frames, strict=False))
    west, one, dated, released_after, recorded_after = frames[len(COLLECTION_IDS) :]
    with Session(live.engine) as s:
        today = remaining(s, dt.date.today(), ReportScope(1, Contamination.CMR))[-1]["total_count"]
        today += remaining(s, dt.date.today(), ReportScope(1, Contamination.APM))[-1]["total_count"]
    expected = {
        "hazards": today,
        "hazard_boundaries": _count(live.engine, "SELECT count(*) FROM hazard"),
        "releases": _count(live.engine, "SELECT count(*) FROM release"),
        "admin_areas": _count(live.engine, "SELECT count(*) FROM admin_area"),
    }
    printed = [f"layers: {layers}"]
    for layer, frame in by_layer.items():
        assert len(frame) == expected[layer], layer
        printed.append(f"{layer}: {len(frame)} features, columns {list(frame.columns)}")
    hazards = by_layer["hazards"]
    assert sorted(hazards["hazard_id"]) == sorted(hazards["id"])
    want_west = [
        h
        for h, g in zip(hazards["id"], hazards.geometry, strict=True)
        if g.intersects(box(*WEST_BBOX))
    ]
    assert sorted(west["id"]) == sorted(want_west) and 0 < len(west) < len(hazards)
    printed.append(f"hazards in bbox {WEST_BBOX}: {len(west)}")
    assert sorted(released_after["release_id"]) == ["R-2", "R-3"]
    later = hazards[pd.to_datetime(hazards["recorded"]) >= pd.Timestamp("2016-01-01")]
    assert sorted(recorded_after["id"]) == sorted(later["id"])
    printed.append(f"releases where released >= 2021-06-01: {len(released_after)}")
    # one collection by its own URL, as QGIS users paste it
    assert sorted(one["release_id"]) == ["R-1", "R-2", "R-3", "R-4"]
    printed.append(f"OAPIF:…/collections/releases: {sorted(one['release_id'])}")
    # another date, as QGIS users connect to it: the date in the address
    with Session(live.engine) as s:
        then = sum(
            remaining(s, END_2021, ReportScope(1, kind))[-1]["total_count"]
            for kind in (Contamination.CMR, Contamination.APM)
        )
    assert len(dated) == then and "H-00" not in set(dated["id"])  # cleared in 2021
    printed.append(f"OAPIF:…/on/2021-12-31 hazards: {len(dated)} (today {len(hazards)})")
    with capsys.disabled():
        print("\nGDAL OAPIF:", *printed, sep="\n  ")


def test_gdal_takes_every_field_from_the_schema_not_the_first_page(
    live: Live, tmp_path: Path
) -> None:
    # Pages of 5: the hazards that carry the upload's own "team" come after the first.
    header = tmp_path / "token-header"
    header.write_text(f"Authorization: Bearer {live.token}\n")
    source = f"OAPIF:{live.url}"
    for layer in ("hazards", "hazard_boundaries"):
        info, frame = gis_reads(
            ("read_info", (source,), {"layer": layer, "PAGE_SIZE": 5}),
            ("read_dataframe", (source,), {"layer": layer, "PAGE_SIZE": 5}),
            GDAL_HTTP_HEADER_FILE=str(header),
        )
        fields = dict(zip(info["fields"], info["dtypes"], strict=True))
        assert {"team", "depth_cm", "village"} <= set(fields), (layer, fields)
        assert fields["recorded"] == "datetime64[D]" and fields["marked"] == "datetime64[D]"
        assert fields["remaining_m2"] == "float64" and fields["team"] == "object"
        teams = dict(zip(frame["hazard_id"], frame["team"], strict=True))
        assert teams["H-21"] == "T-21" and pd.isna(teams["H-05"]), (layer, teams)
        # an upload's "id" and "Status" under names of their own: an "id" had made two
        # fields of that name, and every other hazard's id null (a GIS user's review)
        assert list(frame["id"]) == list(frame["hazard_id"]), layer
        assert {"id_1", "Status_1"} <= set(fields), (layer, fields)
        olds = dict(zip(frame["hazard_id"], frame["id_1"], strict=True))
        assert olds["H-21"] == "old-21" and pd.isna(olds["H-05"]), (layer, olds)
        assert set(frame["status"]) <= {"SHA", "CHA"}, layer


def test_owslib_reads_collections_and_items(live: Live, capsys: Any) -> None:
    api = Features(live.url, headers={"Authorization": f"Bearer {live.token}"})
    names = [c["id"] for c in api.collections()["collections"]]
    assert names == ["hazards", "hazard_boundaries", "releases", "admin_areas"]
    assert (
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
        in api.conformance()["conformsTo"]
    )
    items = api.collection_items("hazards", datetime="2021-12-31", contam="CMR", limit=100)
    assert items["numberMatched"] == items["numberReturned"] == len(items["features"])
    one = api.collection_item("releases", "R-2")
    assert one["properties"]["hazard_id"] == "H-01"
    areas = api.collection_items("admin_areas", level=1)
    with capsys.disabled():
        print(
            "\nOWSLib:",
            f"  collections: {names}",
            f"  hazards on 2021-12-31 (CMR): {items['numberMatched']}",
            f"  release R-2: {one['properties']}",
            "  provinces: "
            + str([(f["id"], f["properties"]["total_count"]) for f in areas["features"]]),
            sep="\n",
        )


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),  # Chromium
        ("application/geo+json, application/json", False),  # QGIS, GDAL
        ("*/*", False),  # curl: the API's own JSON
        ("", False),
        ("application/json;q=0.1, text/html", True),  # was JSON: "json" was in it
        ("text/html;q=0.5, application/json", False),
        ("text/html, application/json", False),  # a tie: JSON
        ("text/html;q=0, */*", False),  # HTML refused
        ("text/*;q=0.9, application/*;q=0.2, text/html;q=bad", False),
    ],
)
def test_html_is_answered_where_accept_ranks_it_above_json(
    client: TestClient, accept: str, html: bool
) -> None:
    got = client.get("/ogc/collections", headers={"Accept": accept})
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("text/html") is html, got.headers


def test_with_allowed_hosts_a_forged_host_is_refused_and_links_name_the_real_one(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The OGC pages build their links from the Host header: a request naming another site
    got links to it (an attack on our own instance). With IMS_ALLOWED_HOSTS, another host
    is answered 400, with the security headers, and the links name the one asked for."""
    from ims.config import get_settings
    from tests.utils import session_app, signed_in

    monkeypatch.setenv("IMS_ALLOWED_HOSTS", "ims.example.org, localhost")
    get_settings.cache_clear()
    app = session_app(session)
    client = signed_in(app, session, "viewer", base_url="http://ims.example.org")
    landing = client.get("/ogc/collections")
    assert landing.status_code == 200, landing.text
    hrefs = [link["href"] for link in landing.json()["links"]]
    assert hrefs and all(h.startswith("http://ims.example.org/ogc") for h in hrefs), hrefs
    forged = client.get("/ogc/collections", headers={"Host": "evil.example"})
    assert forged.status_code == 400 and "evil.example" not in forged.text
    assert forged.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/ogc/conformance", headers={"Host": "localhost"}).status_code == 200
    # a listed name on a port neither the web's nor the server's: links would name it
    assert client.get("/ogc/conformance", headers={"Host": "localhost:1"}).status_code == 400
