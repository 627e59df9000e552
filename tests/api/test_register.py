"""The hazard register (``GET /api/v1/hazards``), one hazard as a Feature, and releases.

Figures are checked against geometry measured independently (pyproj's geodesic area), and
the register's counts and areas against the Article 7 tables on generated data.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html
import io
import os
import re
import sqlite3
import zipfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from openpyxl import load_workbook
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon, box, shape
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from ims.config import get_settings
from ims.db.own_columns import HAZARD_NAMES_TAKEN, own_names
from ims.db.place_names import load_place_names
from ims.db.recording import load_boundaries, record_hazards, record_releases, revise_hazards
from ims.domain.enums import Contamination, HazardStatus, ReleaseMethod
from ims.domain.place_names import PlaceNameRow
from ims.domain.records import BoundaryFeature, HazardChange, NewHazard, NewRelease
from ims.queries.register import RegisterFilter, admin_choices, register
from ims.queries.register_files import shapefile_names
from ims.reports.article7 import ReportScope, remaining
from ims.sample.demo import load_demo
from tests.gis import gis_read
from tests.utils import ClientAs

GEOD = Geod(ellps="WGS84")
VILLAGE = "ບ້ານນາ"  # Ban Na, in Lao script


def area(geom: object) -> float:
    """Geodesic area of a (multi)polygon, computed by pyproj, not by ims."""
    return abs(GEOD.geometry_area_perimeter(geom)[0])


WEST = box(102.0, 19.0, 102.5, 20.0)
EAST = box(102.5, 19.0, 103.0, 20.0)
H1 = box(102.1, 19.6, 102.11, 19.61)  # in the west
H2 = box(102.6, 19.6, 102.62, 19.61)  # in the east
H3 = box(102.3, 19.3, 102.305, 19.305)  # in the west, fully cleared in 2023
CLEARED_1 = box(102.1, 19.6, 102.105, 19.61)


@pytest.fixture
def seeded(session: Session) -> None:
    load_boundaries(
        session,
        [
            BoundaryFeature("P-W", "ແຂວງຕາເວັນຕົກ", MultiPolygon([WEST])),
            BoundaryFeature("P-E", "East", MultiPolygon([EAST])),
        ],
        level=1,
    )
    load_boundaries(
        session,
        [
            BoundaryFeature("D-W1", "District W1", MultiPolygon([box(102.0, 19.0, 102.5, 19.5)])),
            BoundaryFeature("D-W2", "District W2", MultiPolygon([box(102.0, 19.5, 102.5, 20.0)])),
            BoundaryFeature("D-E1", "District E1", MultiPolygon([EAST])),
        ],
        level=2,
    )
    record_hazards(
        session,
        [
            NewHazard(
                "AT-000001",
                HazardStatus.SHA,
                H1,
                dt.date(2020, 1, 1),
                marked=dt.date(2020, 2, 1),
                operator="MAG",
                used_from=1965,
                used_to=1973,
                attributes={"village": VILLAGE, "note": "near the school"},
            ),
            NewHazard(
                "AT-000002",
                HazardStatus.CHA,
                H2,
                dt.date(2021, 3, 1),
                contam=Contamination.APM,
                operator="NPA",
                attributes={"village": "Ban Phon"},
            ),
            NewHazard("XI-000003", HazardStatus.CHA, H3, dt.date(2019, 6, 1), operator="MAG"),
        ],
    )
    revise_hazards(session, [HazardChange("AT-000001", dt.date(2022, 1, 1), HazardStatus.CHA)])
    record_releases(
        session,
        [
            NewRelease("R1", "AT-000001", ReleaseMethod.CLEARED, dt.date(2023, 5, 1), CLEARED_1),
            NewRelease("R2", "XI-000003", ReleaseMethod.CLEARED, dt.date(2023, 6, 1), H3),
        ],
    )


def _get(client_as: ClientAs, role: str = "viewer", **params: object) -> dict:  # type: ignore[type-arg]
    answer = client_as(role).get("/api/v1/hazards", params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/geo+json")
    return answer.json()  # type: ignore[no-any-return]


def test_the_register_lists_open_hazards_with_their_remaining_ground(
    seeded: None, client_as: ClientAs
) -> None:
    body = _get(client_as)
    assert body["type"] == "FeatureCollection"
    refs = [f["properties"]["hazard_id"] for f in body["features"]]
    assert refs == ["AT-000001", "AT-000002"]  # XI-000003 is cleared: closed
    assert body["numberMatched"] == 2 and body["numberReturned"] == 2
    first = body["features"][0]
    props = first["properties"]
    assert props["status"] == "CHA" and props["contamination"] == "CMR"
    assert (props["admin1_code"], props["admin2_code"]) == ("P-W", "D-W2")
    assert props["admin1_name"] == "ແຂວງຕາເວັນຕົກ"
    assert props["recorded"] == "2020-01-01" and props["marked"] == "2020-02-01"
    assert props["operator"] == "MAG" and props["village"] == VILLAGE
    assert (props["used_from"], props["used_to"]) == (1965, 1973)  # the years of use
    expected = area(H1) - area(CLEARED_1)
    assert props["remaining_m2"] == pytest.approx(expected, rel=1e-6)
    assert props["boundary_m2"] == pytest.approx(area(H1), rel=1e-6)
    assert area(shape(first["geometry"])) == pytest.approx(expected, rel=1e-6)


def test_a_past_date_gives_the_state_and_ground_then(seeded: None, client_as: ClientAs) -> None:
    body = _get(client_as, as_of="2021-12-31")
    by_ref = {f["properties"]["hazard_id"]: f for f in body["features"]}
    assert set(by_ref) == {"AT-000001", "AT-000002", "XI-000003"}
    assert by_ref["AT-000001"]["properties"]["status"] == "SHA"  # reclassified in 2022
    assert area(shape(by_ref["AT-000001"]["geometry"])) == pytest.approx(area(H1), rel=1e-6)
    assert area(shape(by_ref["XI-000003"]["geometry"])) == pytest.approx(area(H3), rel=1e-6)
    assert _get(client_as, as_of="2019-12-31")["numberMatched"] == 1
    closed = _get(client_as, open="false")
    assert {f["properties"]["hazard_id"] for f in closed["features"]} == {
        "AT-000001",
        "AT-000002",
        "XI-000003",
    }


def test_a_marking_dated_after_the_day_asked_for_is_not_known_then(
    seeded: None, client_as: ClientAs
) -> None:
    """AT-000001 was recorded on 2020-01-01 as marked on 2020-02-01: the register, its
    files and the OGC API of 2020-01-15 had said it was marked on 2020-02-01 already
    (helper-86); the hazard's page did not."""

    def marked(as_of: str) -> dict[str, str | None]:
        features = _get(client_as, as_of=as_of)["features"]
        return {f["properties"]["hazard_id"]: f["properties"]["marked"] for f in features}

    assert marked("2020-01-15") == {"AT-000001": None, "XI-000003": None}
    assert marked("2020-02-01") == {"AT-000001": "2020-02-01", "XI-000003": None}
    viewer = client_as("viewer")
    csv = viewer.get("/api/v1/hazards.csv", params={"as_of": "2020-01-15"}).text
    assert "2020-02-01" not in csv and "AT-000001" in csv
    ogc = viewer.get("/ogc/on/2020-01-15/collections/hazards/items").json()
    assert {f["properties"]["hazard_id"]: f["properties"]["marked"] for f in ogc["features"]} == {
        "AT-000001": None,
        "XI-000003": None,
    }
    none = viewer.get(
        "/ogc/on/2020-01-15/collections/hazards/items", params={"filter": "marked IS NOT NULL"}
    ).json()
    assert none["numberMatched"] == 0
    later = viewer.get(
        "/ogc/on/2020-02-01/collections/hazards/items", params={"filter": "marked IS NOT NULL"}
    ).json()
    assert [f["properties"]["hazard_id"] for f in later["features"]] == ["AT-000001"]


def test_filters_select_what_they_name(seeded: None, client_as: ClientAs) -> None:
    def refs(**params: object) -> list[str]:
        return [f["properties"]["hazard_id"] for f in _get(client_as, **params)["features"]]

    assert refs(admin="P-E") == ["AT-000002"]
    assert refs(admin="D-W2") == ["AT-000001"]
    assert refs(contamination="APM") == ["AT-000002"]
    assert refs(status="CHA", contamination="CMR") == ["AT-000001"]
    assert refs(operator="npa") == ["AT-000002"]
    assert refs(q="at-000002") == ["AT-000002"]  # the reference, any case
    assert refs(q=VILLAGE) == ["AT-000001"]  # the upload's own columns
    assert refs(q="BAN PHON") == ["AT-000002"]
    assert refs(q="village") == []  # names of columns are not their values
    assert refs(q="%") == []  # wildcards are text
    assert refs(sort="-remaining_m2") == ["AT-000002", "AT-000001"]
    # by when marked, the unmarked last either way (it was refused: a national walk-through)
    assert refs(sort="marked") == refs(sort="-marked") == ["AT-000001", "AT-000002"]
    unknown = client_as("viewer").get("/api/v1/hazards", params={"admin": "NOWHERE"})
    assert unknown.status_code == 422
    assert unknown.headers["content-type"] == "application/problem+json"
    bad_sort = client_as("viewer").get("/api/v1/hazards", params={"sort": "geom"})
    assert bad_sort.status_code == 422


def test_paging_links_to_the_next_page(seeded: None, client_as: ClientAs) -> None:
    body = _get(client_as, open="false", limit=2)
    assert body["numberMatched"] == 3 and body["numberReturned"] == 2
    rels = {link["rel"]: link["href"] for link in body["links"]}
    assert "self" in rels and "offset=2" in rels["next"] and "open=false" in rels["next"]
    second = client_as("viewer").get(rels["next"]).json()
    assert [f["properties"]["hazard_id"] for f in second["features"]] == ["XI-000003"]
    assert "next" not in {link["rel"] for link in second["links"]}
    assert client_as("viewer").get("/api/v1/hazards", params={"limit": 10_001}).status_code == 422


def test_generalised_readers_get_no_geometry_reference_or_files(
    seeded: None, monkeypatch: pytest.MonkeyPatch, client_as: ClientAs
) -> None:
    monkeypatch.setenv("IMS_LOCATION_PRIVACY", "true")
    get_settings.cache_clear()
    body = _get(client_as, "viewer")
    assert body["numberMatched"] == 2
    for feature in body["features"]:
        assert feature["geometry"] is None and feature["properties"]["hazard_id"] is None
        assert "village" not in feature["properties"]
    viewer = client_as("viewer")
    assert viewer.get("/api/v1/hazards", params={"q": "Ban"}).status_code == 403
    assert viewer.get("/api/v1/hazards.gpkg").status_code == 403
    assert viewer.get("/api/v1/releases.gpkg").status_code == 403
    # one hazard by its reference: its figures and dates, nothing that places it (its
    # village, the references of its releases), and no references offered for a near miss
    one = viewer.get("/api/v1/hazards/AT-000001").json()
    assert one["attributes"] == {} and one["boundary"] is None and one["releases"] == []
    assert one["timeline"] and all(event["detail"] == "" for event in one["timeline"])
    assert one["figures"]["remaining_m2"] > 0
    missed = viewer.get("/api/v1/hazards/AT-00000")
    assert missed.status_code == 404 and missed.json()["close_matches"] == []
    assert "AT-000001" not in missed.text
    page = viewer.get("/hazards/AT-000001").text
    assert VILLAGE not in page and "near the school" not in page and ">R1" not in page
    releases = viewer.get("/api/v1/releases").json()
    assert all(f["geometry"] is None for f in releases["features"])
    assert all("release_id" not in f["properties"] for f in releases["features"])
    assert _get(client_as, "operator")["features"][0]["geometry"] is not None


def test_one_hazard_as_a_feature_with_its_timeline(seeded: None, client_as: ClientAs) -> None:
    viewer = client_as("viewer")
    answer = viewer.get("/api/v1/hazards/AT-000001", params={"f": "geojson"})
    assert answer.headers["content-type"].startswith("application/geo+json")
    feature = answer.json()
    assert feature["type"] == "Feature" and feature["id"] == "AT-000001"
    assert [e["what"] for e in feature["properties"]["timeline"]] == [
        "recorded",
        "marked",  # on 2020-02-01, after the record of 2020-01-01 (a line of its own)
        "revised",
        "cleared",
    ]
    assert area(shape(feature["geometry"])) == pytest.approx(area(H1) - area(CLEARED_1), rel=1e-6)
    accepted = viewer.get("/api/v1/hazards/AT-000001", headers={"Accept": "application/geo+json"})
    assert accepted.json()["type"] == "Feature"
    plain = viewer.get("/api/v1/hazards/AT-000001").json()  # existing callers: unchanged
    assert plain["reference"] == "AT-000001" and "figures" in plain
    then = viewer.get("/api/v1/hazards/AT-000001", params={"f": "geojson", "as_of": "2021-01-01"})
    assert then.json()["properties"]["status"] == "SHA"


def test_an_unknown_hazard_suggests_close_matches(seeded: None, client_as: ClientAs) -> None:
    answer = client_as("viewer").get("/api/v1/hazards/at-000001")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["close_matches"][0] == "AT-000001"
    assert "AT-000001" in answer.json()["detail"]


def test_releases_list_with_filters(seeded: None, client_as: ClientAs) -> None:
    viewer = client_as("viewer")
    body = viewer.get("/api/v1/releases").json()
    assert [f["properties"]["release_id"] for f in body["features"]] == ["R1", "R2"]
    r1 = body["features"][0]["properties"]
    assert r1["hazard_id"] == "AT-000001" and r1["method"] == "cleared"
    assert r1["area_m2"] == pytest.approx(area(CLEARED_1), rel=1e-6)
    assert r1["admin1_code"] == "P-W"

    def ids(**params: object) -> list[str]:
        answer = viewer.get("/api/v1/releases", params=params)
        assert answer.status_code == 200, answer.text
        return [f["properties"]["release_id"] for f in answer.json()["features"]]

    assert ids(**{"from": "2023-05-15"}) == ["R2"]
    assert ids(to="2023-05-15") == ["R1"]
    assert ids(hazard_id="XI-000003") == ["R2"]
    assert ids(method="reduced") == []
    assert ids(admin="D-W1") == ["R2"]
    assert ids(sort="-released", limit=1) == ["R2"]
    # a period starting after today is refused, not answered with an empty file as if no
    # release had been recorded (helper-98); one ending after today is up to today
    later = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    for path in ("/api/v1/releases", "/api/v1/releases.csv"):
        refused = viewer.get(path, params={"from": later})
        assert refused.status_code == 422, refused.text
        assert "is after today" in refused.json()["detail"]
    assert ids(to="2999-12-31") == ["R1", "R2"]


def test_the_register_counts_and_areas_are_the_article7_tables(session: Session) -> None:
    """On a generated national programme: per province and district, the open hazards the
    register places there are the report's counts, and its remaining areas sum to the
    report's, at several dates."""
    load_demo(session, hazards=300, start_year=2015, end_year=2023)
    for as_of in (dt.date(2016, 12, 31), dt.date(2020, 12, 31), dt.date(2023, 12, 31)):
        for contam in (Contamination.CMR,):
            every = register(
                session, RegisterFilter(as_of=as_of, contamination=contam, open=False), limit=None
            ).rows
            open_rows = [r for r in every if r.remaining_m2 >= 1.0]
            assert (
                open_rows
                == register(
                    session, RegisterFilter(as_of=as_of, contamination=contam), limit=None
                ).rows
            )
            for level in (1, 2):
                report = remaining(session, as_of, ReportScope(level=level, contam=contam))
                counts: Counter[tuple[str | None, str]] = Counter(
                    (r.admin1_code if level == 1 else r.admin2_code, r.status) for r in open_rows
                )
                for row in report[:-1]:
                    code = row["admin_code"]
                    assert counts[(code, "SHA")] == row["sha_count"], (as_of, level, code)
                    assert counts[(code, "CHA")] == row["cha_count"], (as_of, level, code)
                total = report[-1]
                assert len(open_rows) == total["total_count"]
                areas: dict[str, float] = defaultdict(float)
                for r in every:
                    areas[r.status] += r.remaining_m2
                # The report sums each hazard's pieces per admin area, the register its whole
                # remaining area: the same ground, equal to a few mm² in km² (1e-9).
                assert areas["SHA"] == pytest.approx(total["sha_area_m2"], rel=1e-9, abs=1e-3)
                assert areas["CHA"] == pytest.approx(total["cha_area_m2"], rel=1e-9, abs=1e-3)
            # the admin filter selects the hazards the report counts in the area
            report = remaining(session, as_of, ReportScope(level=1, contam=contam))
            busiest = max(report[:-1], key=lambda row: row["total_count"])
            if busiest["total_count"]:
                there = register(
                    session,
                    RegisterFilter(as_of=as_of, contamination=contam, admin=busiest["admin_code"]),
                    limit=None,
                ).rows
                assert len(there) == busiest["total_count"]
    # the remaining ground drawn is the ledger's remaining area (pyproj, independently)
    sample = register(
        session, RegisterFilter(as_of=dt.date(2023, 12, 31), sort="-remaining_m2"), limit=20
    ).rows
    for row in sample:
        assert row.geometry is not None
        assert area(row.geometry) == pytest.approx(row.remaining_m2, rel=1e-4, abs=1.0)


def test_the_registers_count_is_the_number_of_hazards_it_lists(session: Session) -> None:
    """The usual views are counted from the sums the map keeps (national figures, province
    figures), any other filter by counting: each must be the number of rows listed."""
    load_demo(session, hazards=300, start_year=2015, end_year=2023)
    provinces = [a.code for a in admin_choices(session) if a.level == 1]
    districts = [a.code for a in admin_choices(session) if a.level == 2][:3]
    filters: list[dict[str, object]] = [
        {},
        {"status": HazardStatus.SHA},
        {"status": HazardStatus.CHA},
        {"contamination": Contamination.CMR},
        {"contamination": Contamination.APM, "status": HazardStatus.CHA},
        {"open": False},
        {"operator": "MAG"},
        *({"admin": code} for code in provinces),
        *({"admin": code, "contamination": Contamination.ERW} for code in provinces),
        {"admin": provinces[0], "status": HazardStatus.SHA},
        *({"admin": code} for code in districts),
    ]
    for as_of in (dt.date(2018, 6, 30), dt.date(2023, 12, 31)):
        for chosen in filters:
            f = RegisterFilter(as_of=as_of, **chosen)  # type: ignore[arg-type]
            listed = register(session, f, limit=None, geometry=False)
            assert listed.matched == len(listed.rows), (as_of, chosen)
            first = register(session, f, limit=10, geometry=False)
            assert first.matched == len(listed.rows) and first.rows == listed.rows[:10]
    assert register(session, RegisterFilter(as_of=dt.date(2023, 12, 31)), limit=1).matched > 0


FORMATS = ("gpkg", "zip", "kml", "geojson", "csv", "xlsx")


def _read_back(body: bytes, fmt: str, tmp_path: Path, layer: str = "hazards"):  # type: ignore[no-untyped-def]
    """The file as GDAL (pyogrio) reads it."""
    path = tmp_path / f"{layer}.{fmt}"
    path.write_bytes(body)
    if fmt == "zip":
        return pyogrio.read_dataframe(f"/vsizip/{path}/{layer}.shp")
    if fmt == "csv":
        return gis_read(
            "read_dataframe", path, open_options=["GEOM_POSSIBLE_NAMES=wkt", "KEEP_GEOM_COLUMNS=NO"]
        )
    if fmt == "xlsx":  # ims's own processes have no XLSX driver (decision 0020)
        return gis_read("read_dataframe", path)
    return pyogrio.read_dataframe(path)


@pytest.mark.parametrize("fmt", FORMATS)
def test_gdal_reads_each_export_with_the_registers_rows_and_areas(
    seeded: None, client_as: ClientAs, fmt: str, tmp_path: Path
) -> None:
    register_body = _get(client_as, open="false", as_of="2024-01-01")
    expected = {
        f["properties"]["hazard_id"]: f["properties"]["remaining_m2"]
        for f in register_body["features"]
    }
    answer = client_as("operator").get(
        f"/api/v1/hazards.{fmt}", params={"open": "false", "as_of": "2024-01-01"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="hazards-2024-01-01-with-closed.{fmt}"'
    )  # the filter in the name
    frame = _read_back(answer.content, fmt, tmp_path)
    ids = "Name" if fmt == "kml" else "hazard_id"
    assert sorted(frame[ids]) == sorted(expected)
    if fmt != "kml":  # KML keeps text only; its areas are the geometry's
        remaining = "remain_m2" if fmt == "zip" else "remaining_m2"
        got = dict(zip(frame[ids], frame[remaining].astype(float), strict=True))
        for ref, m2 in expected.items():
            assert got[ref] == pytest.approx(m2, rel=1e-9)
    if fmt != "xlsx":  # a spreadsheet has a point per hazard, not its ground
        for ref, geom in zip(frame[ids], frame.geometry, strict=True):
            if expected[ref] >= 1.0:
                assert area(geom) == pytest.approx(expected[ref], rel=1e-6)
    if fmt not in ("kml", "xlsx"):
        village = dict(zip(frame[ids], frame["village"], strict=True))
        assert village["AT-000001"] == VILLAGE  # Lao script survives the round trip
    if fmt == "gpkg":  # 1.2: GDAL 3.6 and its QGIS warned of 1.4 (a review as a GIS officer)
        with sqlite3.connect(tmp_path / "hazards.gpkg") as db:
            assert db.execute("PRAGMA user_version").fetchone() == (10200,)
    if fmt in ("gpkg", "zip"):  # dates as the file's dates, not text QGIS sorts as text
        path = tmp_path / f"hazards.{fmt}"
        info = pyogrio.read_info(f"/vsizip/{path}/hazards.shp" if fmt == "zip" else path)
        types = dict(zip(info["fields"], info["dtypes"], strict=True))
        assert types["recorded"] == types["marked"] == "datetime64[D]"
        # the years of use as whole numbers, none where none was recorded
        assert types["used_from"] in ("int32", "int64")
        used = dict(zip(frame[ids], frame["used_from"], strict=True))
        assert used["AT-000001"] == 1965 and pd.isna(used["AT-000002"])
        recorded = {
            f["properties"]["hazard_id"]: f["properties"]["recorded"]
            for f in register_body["features"]
        }
        got = dict(zip(frame[ids], frame["recorded"], strict=True))
        assert {ref: day.date().isoformat() for ref, day in got.items()} == recorded


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_operator_downloads_their_releases_with_the_areas_the_ledger_counts(
    seeded: None, session: Session, client_as: ClientAs, fmt: str, tmp_path: Path
) -> None:
    """Releases were paged GeoJSON only: a data manager could not take theirs to QGIS or a
    spreadsheet to reconcile."""
    record_releases(
        session,
        [
            NewRelease(
                "R3",
                "AT-000002",
                ReleaseMethod.REDUCED,
                dt.date(2024, 2, 1),
                box(102.6, 19.6, 102.61, 19.61),
                operator="NPA",
                items={"BLU-26": 3, "M42": 1},
            ),
        ],
    )
    answer = client_as("operator", organisation="NPA").get(
        f"/api/v1/releases.{fmt}", params={"operator": "NPA"}
    )
    assert answer.status_code == 200, answer.text
    today = dt.date.today().isoformat()  # up to today: two days' files had had one name
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="releases-to-{today}-NPA.{fmt}"'
    )
    frame = _read_back(answer.content, fmt, tmp_path, layer="releases")
    ids = "Name" if fmt == "kml" else "release_id"
    assert list(frame[ids]) == ["R3"]  # NPA's only
    if fmt == "kml":
        return
    assert float(frame["area_m2"].iloc[0]) == pytest.approx(
        area(box(102.6, 19.6, 102.61, 19.61)), rel=1e-6
    )
    items = frame["items"].iloc[0]
    if fmt == "geojson":  # as the API gives them
        assert items == {"BLU-26": 3, "M42": 1}
    else:  # one cell: as the template writes them
        assert items == "BLU-26:3;M42:1"
    if fmt != "xlsx":
        assert area(frame.geometry.iloc[0]) == pytest.approx(float(frame["area_m2"].iloc[0]))
    if fmt in ("gpkg", "zip"):
        assert frame["released"].iloc[0] == pd.Timestamp("2024-02-01")
        assert str(frame["released"].dtype).startswith("datetime64")


@pytest.mark.parametrize("fmt", ["gpkg", "zip"])
def test_a_register_file_sent_back_as_revisions_keeps_its_kinds_and_not_its_figures(
    seeded: None, session: Session, client_as: ClientAs, fmt: str, tmp_path: Path
) -> None:
    """A GIS officer takes the register's file to QGIS and sends it back with `revised`:
    its `contamination` was not read (every hazard would have been cluster munitions,
    had it been new), and its computed columns were kept as the hazards' own, stale at once
    (found by a walk-through as a GIS officer)."""
    client = client_as("reviewer")
    taken = client.get(f"/api/v1/hazards.{fmt}", params={"open": "false"})
    frame = _read_back(taken.content, fmt, tmp_path)
    frame["revised"] = "2024-06-01"
    # a revision of it (one left as it was is left out of a file sent back whole)
    frame.loc[frame["hazard_id"] == "AT-000002", "status"] = "SHA"
    path = tmp_path / f"back.{fmt}"
    if fmt == "zip":
        frame.to_file(tmp_path / "hazards.shp")
        with zipfile.ZipFile(path, "w") as z:
            for part in tmp_path.glob("hazards.*"):
                z.write(part, part.name)
    else:
        frame.to_file(path, layer="hazards", driver="GPKG")
    with path.open("rb") as f:
        staged = client.post(
            "/api/v1/submissions",
            files={"file": (path.name, f.read())},
            data={"kind": "hazards"},
        )
    assert staged.status_code == 201, staged.text
    body = staged.json()
    notes = [f["message"] for f in body["findings"] if f["code"] == "file_note"]
    assert any("figures ims computes itself" in n and "remain" in n for n in notes), notes
    assert not any("contam" in n for n in notes), notes  # read as the hazards' kind
    records = dict(
        session.execute(
            text("SELECT reference, clean FROM submission_feature WHERE submission_id = :s"),
            {"s": body["id"]},
        ).all()
    )
    assert records["AT-000002"]["contam"] == "APM"
    kept = records["AT-000002"].get("attributes") or {}
    assert not {k.lower() for k in kept} & {"remaining_m2", "remain_m2", "admin1_code", "adm1_code"}


@pytest.mark.parametrize("fmt", ["gpkg", "zip", "csv"])
def test_a_releases_file_sent_back_reads_the_stated_area_and_kind_not_the_counted_area(
    seeded: None, session: Session, client_as: ClientAs, fmt: str, tmp_path: Path
) -> None:
    """The releases' file names the area ims counted ``area_m2`` and the operator's own
    ``stated_area_m2``, the template's ``area_m2``: sent back corrected, the counted area had
    been read as the stated one, the stated one and the figures ims computes kept as the
    releases' own columns, and the kind left out (a GIS user's review)."""
    record_releases(
        session,
        [
            NewRelease(
                "R3",
                "AT-000002",
                ReleaseMethod.REDUCED,
                dt.date(2024, 2, 1),
                box(102.6, 19.6, 102.61, 19.61),
                operator="NPA",
                stated_area_m2=4321.0,
            ),
        ],
    )
    client = client_as("reviewer")
    taken = client.get(f"/api/v1/releases.{fmt}", params={"operator": "NPA"})
    assert taken.status_code == 200, taken.text
    frame = _read_back(taken.content, fmt, tmp_path, layer="releases")
    assert float(frame["area_m2"].iloc[0]) != pytest.approx(4321.0)  # the counted area
    frame["release_id"] = "R3-B"  # corrected, as a new record
    path = tmp_path / f"back.{fmt}"
    if fmt == "zip":
        frame.to_file(tmp_path / "releases.shp")
        with zipfile.ZipFile(path, "w") as z:
            for part in tmp_path.glob("releases.*"):
                z.write(part, part.name)
    elif fmt == "csv":
        frame["wkt"] = frame.geometry.to_wkt()
        pd.DataFrame(frame.drop(columns="geometry")).to_csv(path, index=False)
    else:
        frame.to_file(path, layer="releases", driver="GPKG")
    staged = client.post(
        "/api/v1/submissions",
        files={"file": (path.name, path.read_bytes())},
        data={"kind": "releases", "organisation": "NPA"},
    )
    assert staged.status_code == 201, staged.text
    body = staged.json()
    notes = [f["message"] for f in body["findings"] if f["code"] == "file_note"]
    assert any("figures ims computes itself" in n and "outside_m2" in n for n in notes), notes
    (clean,) = session.execute(
        text("SELECT clean FROM submission_feature WHERE submission_id = :s"), {"s": body["id"]}
    ).scalars()
    assert clean["area_m2"] == pytest.approx(4321.0)
    assert clean["contam"] == "APM"
    kept = {k.lower() for k in clean.get("attributes") or {}}
    assert not kept & {"area_m2", "stated_area_m2", "stated_m2", "outside_m2", "admin1_code"}


@pytest.mark.parametrize("fmt", ["kml", "csv"])
@pytest.mark.parametrize("kind", ["hazards", "releases"])
def test_a_kml_or_csv_of_the_register_sent_back_is_read_by_its_references_alone(
    seeded: None, session: Session, client_as: ClientAs, kind: str, fmt: str
) -> None:
    """The register's KML named each placemark by its reference and had no reference
    column: sent back as it was downloaded, it was refused for want of one unless mapped
    by hand (``--map hazard_id=Name``), and GDAL's placemark ids became an own column. The
    CSV's label point (``lon``, ``lat``, beside its ``wkt``) was kept as every record's own
    columns (a GIS user's review)."""
    client = client_as("reviewer")
    taken = client.get(
        f"/api/v1/{kind}.{fmt}", params={"open": "false"} if kind == "hazards" else {}
    )
    assert taken.status_code == 200, taken.text
    reference = "hazard_id" if kind == "hazards" else "release_id"
    if fmt == "kml":
        assert f'<SimpleData name="{reference}">' in taken.text  # the column, beside the name
    else:
        assert taken.text.splitlines()[0].endswith(",lon,lat,wkt")
    staged = client.post(
        "/api/v1/submissions",
        files={"file": (f"{kind}.{fmt}", taken.content)},
        data={"kind": kind, "organisation": "NPA"} if kind == "releases" else {"kind": kind},
    )
    assert staged.status_code == 201, staged.text
    body = staged.json()
    assert not [f for f in body["findings"] if f["code"] in ("missing_field", "missing_reference")]
    rows = session.execute(
        text("SELECT reference, clean FROM submission_feature WHERE submission_id = :s"),
        {"s": body["id"]},
    ).all()
    if kind == "hazards":
        expected = {f["properties"][reference] for f in _get(client_as, open="false")["features"]}
    else:
        listed = client.get("/api/v1/releases", params={"limit": 1000}).json()["features"]
        expected = {f["properties"][reference] for f in listed}
    assert {ref for ref, _ in rows} == expected
    for _, clean in rows:
        kept = {k.lower() for k in clean.get("attributes") or {}}
        assert not kept & {"name", "id", "lon", "lat", "wkt"}, clean


def test_the_kmls_polygons_read_back_valid_where_two_parts_meet_at_a_point(
    session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    """Two parts of a hazard meet at a point V on the other's slanted edge. GDAL's KML
    writes 15 significant digits, which moved V by 4e-13° into the other part: the file
    read back invalid, as 27 of a province's 269 demo hazards did (helper-87). Snapped to
    0.1 mm first, it reads back valid and the same ground."""
    vx = 102.1234567890126
    vy = vx - 83  # exactly on the line y = x - 83 (Sterbenz: the subtraction is exact)
    meeting = MultiPolygon(
        [
            Polygon([(vx, vy), (102.1, 19.3), (102.0, 19.2)]),
            Polygon([(102.0, 19.0), (102.5, 19.5), (102.5, 19.0)]),
        ]
    )
    assert meeting.is_valid
    load_boundaries(session, [BoundaryFeature("P-W", "West", MultiPolygon([WEST]))], level=1)
    record_hazards(session, [NewHazard("KML-1", HazardStatus.SHA, meeting, dt.date(2020, 1, 1))])
    taken = client_as("viewer").get("/api/v1/hazards.kml")
    assert taken.status_code == 200, taken.text
    (tmp_path / "h.kml").write_bytes(taken.content)
    read = pyogrio.read_dataframe(tmp_path / "h.kml")
    polygon = read.geometry.iloc[0]
    assert polygon.is_valid, shapely.is_valid_reason(polygon)
    # the same ground: what differs is thinner than the grid (1e-9° by 0.5°)
    assert polygon.symmetric_difference(meeting).area < 1e-9


@pytest.mark.parametrize("fmt", ["gpkg", "zip"])
def test_the_boundaries_file_sent_back_unchanged_revises_nothing_and_warns_of_nothing(
    seeded: None, session: Session, client_as: ClientAs, fmt: str, tmp_path: Path
) -> None:
    """The register's files hold the remaining ground, with holes where land was released,
    and no page offered the boundaries: a data manager sent the remaining ground back as
    a boundary (found by a walk-through as an operator's data manager)."""
    client = client_as("reviewer")
    page = client.get("/hazards", params={"open": "false"}).text
    link = re.search(r'id="boundary-exports">.*?href="([^"]+\.' + fmt + r'[^"]*)"', page, re.S)
    assert link is not None and "geometry=boundary" in link.group(1)
    assert "each with the ground that remains" in page
    taken = client.get(html.unescape(link.group(1)))
    assert taken.status_code == 200, taken.text
    assert "-boundaries." in taken.headers["content-disposition"]
    frame = _read_back(taken.content, fmt, tmp_path)
    ids = frame["hazard_id"]
    areas = dict(zip(ids, (area(g) for g in frame.geometry), strict=True))
    boundary = "bound_m2" if fmt == "zip" else "boundary_m2"
    for ref, m2 in zip(ids, frame[boundary].astype(float), strict=True):
        assert areas[ref] == pytest.approx(m2, rel=1e-6), ref  # the boundary, not what remains
    remaining = "remain_m2" if fmt == "zip" else "remaining_m2"
    assert (frame[remaining].astype(float) < frame[boundary].astype(float) - 1).any()
    frame["revised"] = "2024-06-01"
    path = tmp_path / f"back.{fmt}"
    if fmt == "zip":
        frame.to_file(tmp_path / "hazards.shp")
        with zipfile.ZipFile(path, "w") as z:
            for part in tmp_path.glob("hazards.*"):
                z.write(part, part.name)
    else:
        frame.to_file(path, layer="hazards", driver="GPKG")
    with path.open("rb") as f:
        staged = client.post(
            "/api/v1/submissions", files={"file": (path.name, f.read())}, data={"kind": "hazards"}
        )
    # one error on the file, nothing on each feature (nor their overlaps, as recorded)
    findings = [f for f in staged.json()["findings"] if f["code"] != "file_note"]
    assert [(f["row"], f["code"], f["severity"]) for f in findings] == [
        (None, "unchanged_left_out", "error")
    ], findings
    assert "nothing in this file changes the register: its 3 features" in findings[0]["message"]


def _estimated(session: Session, estimates: dict[str, int]) -> None:
    """Hazard EST-1 of MAG, recorded with ``estimates``."""
    record_hazards(
        session,
        [
            NewHazard(
                "EST-1",
                HazardStatus.SHA,
                box(102.2, 19.2, 102.21, 19.21),
                dt.date(2020, 1, 1),
                operator="MAG",
                estimates=estimates,
            )
        ],
    )


@pytest.mark.parametrize("fmt", ["gpkg", "zip", "csv", "xlsx"])
def test_the_boundaries_file_holds_the_estimates_in_force_and_an_empty_revised_column(
    seeded: None, session: Session, client_as: ClientAs, fmt: str, tmp_path: Path
) -> None:
    """The boundaries file had neither column a revision needs: the data manager added
    `revised` by hand, and had no estimates to revise (helper-94's QGIS round trip)."""
    _estimated(session, {"BLU-26": 40, "M42": 5})
    answer = client_as("reviewer").get(
        f"/api/v1/hazards.{fmt}", params={"geometry": "boundary", "open": "false"}
    )
    assert answer.status_code == 200, answer.text
    frame = _read_back(answer.content, fmt, tmp_path)
    columns = list(frame.columns)
    assert columns.index("revised") == columns.index("recorded") + 1
    assert (frame["revised"].isna() | (frame["revised"] == "")).all()  # a CSV's empty is ""
    estimates = dict(zip(frame["hazard_id"], frame["munitions"], strict=True))
    assert estimates["EST-1"] == "BLU-26:40;M42:5"
    assert all(
        pd.isna(estimates[ref]) or estimates[ref] == "" for ref in estimates if ref != "EST-1"
    )
    if fmt in ("gpkg", "zip"):  # a date field, which QGIS edits as a date
        info = pyogrio.read_info(
            f"/vsizip/{tmp_path / 'hazards.zip'}/hazards.shp"
            if fmt == "zip"
            else tmp_path / "hazards.gpkg"
        )
        types = dict(zip(info["fields"], info["dtypes"], strict=True))
        assert types["revised"] == types["recorded"], types


def test_a_boundaries_file_sent_back_with_one_estimate_revised_records_that_alone(
    seeded: None, session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    """Filled in QGIS: one hazard's `revised` date and its `munitions`; every other hazard
    left as the file gave it is left out, and the revision records the new estimates."""
    _estimated(session, {"BLU-26": 40})
    client = client_as("reviewer")
    answer = client.get("/api/v1/hazards.gpkg", params={"geometry": "boundary", "open": "false"})
    frame = _read_back(answer.content, "gpkg", tmp_path)
    mine = frame["hazard_id"] == "EST-1"
    frame.loc[mine, "revised"] = pd.Timestamp("2024-06-01")
    frame.loc[mine, "munitions"] = "BLU-26:25"
    path = tmp_path / "back.gpkg"
    frame.to_file(path, layer="hazards", driver="GPKG")
    staged = client.post(
        "/api/v1/submissions",
        files={"file": (path.name, path.read_bytes())},
        data={"kind": "hazards"},
    ).json()
    findings = [f for f in staged["findings"] if f["code"] != "file_note"]
    assert [(f["row"], f["code"]) for f in findings] == [(None, "unchanged_left_out")], findings
    # the references are of those left out, and said with them (helper-116)
    assert findings[0]["message"].endswith(
        "AT-000001, AT-000002, XI-000003): left out, as there is nothing to record; the "
        "other features are recorded"
    ), findings
    approved = client_as("admin").post(f"/api/v1/submissions/{staged['id']}/approve")
    assert approved.status_code == 200, approved.text
    session.expire_all()
    rows = session.execute(
        text(
            "SELECT r.effective, x.munition_code, x.quantity FROM hazard_revision r "
            "JOIN hazard h ON h.id = r.hazard_id JOIN hazard_estimate x ON x.revision_id = r.id "
            "WHERE h.reference = 'EST-1' ORDER BY r.effective"
        )
    ).all()
    assert [tuple(r) for r in rows] == [
        (dt.date(2020, 1, 1), "BLU-26", 40),
        (dt.date(2024, 6, 1), "BLU-26", 25),
    ]
    assert (
        session.scalar(text("SELECT count(*) FROM hazard_revision WHERE effective = '2024-06-01'"))
        == 1
    )


def test_the_register_page_offers_the_releases_of_its_operator(
    seeded: None, client_as: ClientAs
) -> None:
    page = client_as("operator", organisation="MAG").get("/hazards", params={"operator": "MAG"})
    assert 'href="/api/v1/releases.csv?operator=MAG"' in page.text
    assert client_as("viewer").get("/api/v1/releases.csv?operator=MAG").status_code == 200
    assert 'id="release-exports-whole"' not in page.text
    # in one area, the files are said to hold each release whole: a release across the
    # area's boundary made a province's file add up to more than its Form 1(i) (a review)
    west = client_as("viewer").get("/hazards", params={"admin": "P-W"}).text
    assert "in the files whole, with all of its area" in west


def test_the_register_page_offers_the_releases_of_a_period_in_every_format(
    seeded: None, session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    """A reviewer asked for the releases of 2025 was offered every release ever, 5 MB (a
    first-time user's review, helper-97): a period, the year so far by default."""
    client = client_as("reviewer")
    page = client.get("/hazards", params={"as_of": "2023-12-31", "contamination": "CMR"}).text
    form = re.search(r'<form class="release-range".*?</form>', page, re.S)
    assert form, page
    fields = dict(re.findall(r'name="([a-z]+)"(?: id="[^"]*")? value="([^"]*)"', form.group(0)))
    assert 'data-not-before="range-from"' in form.group(0)  # "to" refused before "from"
    assert fields == {"contamination": "CMR", "from": "2023-01-01", "to": "2023-12-31"}
    formats = re.findall(r'formaction="/api/v1/releases\.([a-z]+)"', form.group(0))
    assert formats == ["gpkg", "zip", "kml", "geojson", "csv", "xlsx"]
    taken = client.get("/api/v1/releases.csv", params={**fields, "from": "2023-05-15"})
    assert taken.status_code == 200, taken.text
    assert list(_read_back(taken.content, "csv", tmp_path, layer="releases")["release_id"]) == [
        "R2"
    ]


def test_the_register_pages_release_files_are_of_its_date_and_kind(
    seeded: None, session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    """The register as of 2023-05-31, cluster munitions only, offered every release of any
    date and kind (found by a walk-through as a GIS officer)."""
    record_releases(
        session,
        [NewRelease("R3", "AT-000002", ReleaseMethod.REDUCED, dt.date(2023, 2, 1), H2)],
    )
    client = client_as("reviewer")
    page = client.get("/hazards", params={"as_of": "2023-05-31", "contamination": "CMR"})
    link = "/api/v1/releases.csv?contamination=CMR&amp;to=2023-05-31"
    assert f'href="{link}"' in page.text
    answer = client.get(link.replace("&amp;", "&"))
    assert answer.status_code == 200, answer.text
    assert "releases-to-2023-05-31-CMR.csv" in answer.headers["content-disposition"]
    frame = _read_back(answer.content, "csv", tmp_path, layer="releases")
    assert list(frame["release_id"]) == ["R1"]  # not R2 (June), not R3 (mines)
    mines = client.get("/api/v1/releases", params={"contamination": "APM"}).json()
    assert [f["properties"]["release_id"] for f in mines["features"]] == ["R3"]


@pytest.mark.parametrize("fmt", ["gpkg", "zip", "csv", "xlsx", "kml"])
def test_an_uploaded_column_named_as_the_file_keeps_its_own_is_renamed_not_fatal(
    seeded: None, session: Session, client_as: ClientAs, fmt: str, tmp_path: Path
) -> None:
    """One approved hazard with a column "fid" (QGIS writes it) made every GeoPackage
    export of the register answer 500, for every reader."""
    record_hazards(
        session,
        [
            NewHazard(
                "FID-1",
                HazardStatus.SHA,
                box(102.7, 19.7, 102.71, 19.71),
                dt.date(2020, 1, 1),
                operator="MAG",
                attributes={"fid": "abc", "Hazard_ID": "dup", "geometry": "g", "WKT": "w"},
            )
        ],
    )
    answer = client_as("viewer").get(f"/api/v1/hazards.{fmt}", params={"operator": "MAG"})
    assert answer.status_code == 200, answer.text
    if fmt == "kml":
        return
    frame = _read_back(answer.content, fmt, tmp_path)
    row = frame[frame["hazard_id"] == "FID-1"].iloc[0]
    if fmt == "zip":  # ten characters: fields.csv in the zip names them whole
        return
    assert (row["fid_1"], row["Hazard_ID_1"], row["geometry_1"], row["WKT_1"]) == (
        "abc",
        "dup",
        "g",
        "w",
    )


def test_an_uploads_column_has_one_name_in_every_file_and_in_the_ogc_features(
    seeded: None, session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    """Two uploads' "village" and "Village": the OGC features named them "Village" and
    "village_1", the GeoPackage of the same day "village" and "Village_1" (the rows' order),
    and a QGIS join of the one to the other broke (a GIS user's review, helper-110). Named
    among the rows of a file, they had differed between dates and filters (helper-112); in
    the order of their characters, a later upload renamed an earlier one's (helper-113)."""

    def hazard(ref: str, key: str, value: object, year: int, at: float) -> NewHazard:
        shape = box(102.7 + at, 19.7, 102.705 + at, 19.705)
        return NewHazard(ref, HazardStatus.SHA, shape, dt.date(year, 1, 1), operator="MAG",
                         attributes={key: value})  # fmt: skip

    record_hazards(session, [hazard("ZZ-1", "village", "Ban Nong", 2020, 0.0)])
    record_hazards(session, [hazard("ZZ-2", "Fid", 1, 2020, 0.01)])
    viewer = client_as("viewer")

    def names_in_every_output(expected: dict[str, tuple[str, object]]) -> None:
        features = viewer.get("/ogc/collections/hazards/items", params={"limit": 1000}).json()
        by_ref = {f["id"]: f["properties"] for f in features["features"]}
        for ref, (name, value) in expected.items():
            assert by_ref[ref][name] == value, (ref, by_ref[ref])
        assert by_ref["ZZ-2"]["Fid_1"] == 1  # a name the files keep, here as there
        for fmt in ("gpkg", "csv", "geojson", "xlsx"):
            answer = viewer.get(f"/api/v1/hazards.{fmt}", params={"operator": "MAG"})
            frame = _read_back(answer.content, fmt, tmp_path)
            rows = frame.set_index("hazard_id")
            for ref, (name, value) in expected.items():
                assert name in frame.columns, (fmt, list(frame.columns))
                assert rows.loc[ref, name] == value, (fmt, ref)
            assert "Fid_1" in frame.columns and "Fid" not in frame.columns, fmt

    names_in_every_output({"ZZ-1": ("village", "Ban Nong")})
    # a later upload's "Village", recorded after it: the earlier keeps its name
    record_hazards(session, [hazard("AA-1", "Village", "Ban Na", 2022, 0.02)])
    names_in_every_output({"ZZ-1": ("village", "Ban Nong"), "AA-1": ("Village_1", "Ban Na")})
    # on a date before "Village" came, and filtered to one hazard: named as today, as the
    # OGC API names them then
    for params in ({"as_of": "2021-06-30"}, {"q": "AA-1"}):
        answer = viewer.get("/api/v1/hazards.gpkg", params=params)
        frame = _read_back(answer.content, "gpkg", tmp_path)
        ref, column, value = (
            ("ZZ-1", "village", "Ban Nong")
            if "as_of" in params
            else ("AA-1", "Village_1", "Ban Na")
        )
        assert list(frame.loc[frame["hazard_id"] == ref, column]) == [value], params
        assert len(frame.columns) == len({c.casefold() for c in frame.columns})
    then = viewer.get("/ogc/on/2021-06-30/collections/hazards/items").json()["features"]
    assert {f["id"]: f["properties"].get("village") for f in then}["ZZ-1"] == "Ban Nong"


def test_own_names_are_given_in_order_and_numbered_on() -> None:
    """Numbered from 1 again for each, 16,000 names alike took 24 s (helper-113)."""
    assert own_names(["b", "B", "a", " B", "fid"], HAZARD_NAMES_TAKEN) == {
        "b": "b",
        "B": "B_1",
        "a": "a",
        " B": "B_2",
        "fid": "fid_1",
    }
    alike = own_names(["v" + " " * i for i in range(16_000)], ())
    assert len(set(alike.values())) == 16_000 and alike["v" + " " * 15_999] == "v_15999"


def test_a_kml_name_cut_of_its_markup_takes_no_other_columns_name(
    seeded: None, session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    """KML drops <>&"' from a name: "a&b" became "ab", and the column "ab" "ab_1", so
    that "ab" held the other's values in KML alone (helper-113)."""
    record_hazards(
        session,
        [
            NewHazard(
                "AMP-1",
                HazardStatus.SHA,
                box(102.7, 19.7, 102.71, 19.71),
                dt.date(2020, 1, 1),
                operator="MAG",
                attributes={"a&b": "amp", "ab": "plain"},
            )
        ],
    )
    answer = client_as("viewer").get("/api/v1/hazards.kml", params={"operator": "MAG"})
    frame = _read_back(answer.content, "kml", tmp_path)
    row = frame[frame["Name"] == "AMP-1"].iloc[0]
    assert row["ab"] == "plain" and row["ab_1"] == "amp"


@pytest.mark.parametrize("fmt", ["gpkg", "zip"])
def test_an_uploads_column_of_numbers_or_booleans_is_typed_as_the_ogc_schema_says(
    seeded: None, session: Session, client_as: ClientAs, fmt: str, tmp_path: Path
) -> None:
    """ "Area (ha)" and "Easting" were text in the GeoPackage and the shapefile and numbers
    over OGC: the two could not be joined or appended in QGIS (helper-101). A column of
    any other value stays text."""
    record_hazards(
        session,
        [
            NewHazard(
                f"NUM-{i}",
                HazardStatus.SHA,
                box(102.7 + i / 100, 19.7, 102.705 + i / 100, 19.705),
                dt.date(2020, 1, 1),
                operator="MAG",
                attributes={
                    "Easting": 318607 + i,
                    "Area_ha": 22.23 + i,
                    "Mixed": [7, "7a"][i],
                    "Signposted": [True, False][i],
                    "Fenced": [True, None][i],
                },
            )
            for i in range(2)
        ],
    )
    session.commit()
    viewer = client_as("viewer")
    answer = viewer.get(f"/api/v1/hazards.{fmt}", params={"operator": "MAG"})
    assert answer.status_code == 200, answer.text
    frame = _read_back(answer.content, fmt, tmp_path)
    rows = frame[frame["hazard_id"].str.startswith("NUM-")].sort_values("hazard_id")
    assert rows["Easting"].tolist() == [318607, 318608]
    assert rows["Area_ha"].tolist() == pytest.approx([22.23, 23.23])
    # real, whatever rows a filter holds: whole numbers alone had made it an integer field
    assert rows["Easting"].dtype.kind == rows["Area_ha"].dtype.kind == "f"
    assert rows["Mixed"].tolist() == ["7", "7a"]
    # a column of yes and no is a boolean field, null where none was given (helper-103:
    # it had been the text "True")
    assert rows["Signposted"].tolist() == [True, False]
    assert rows["Fenced"].iloc[0] == 1 and pd.isna(rows["Fenced"].iloc[1])
    # by the field's type: 1.0 == True in Python, and a real field of 1.0 and 0.0 had
    # passed (helper-109); read back with nulls, GDAL's booleans come as numbers
    path = tmp_path / f"hazards.{fmt}"
    info = pyogrio.read_info(f"/vsizip/{path}/hazards.shp" if fmt == "zip" else path)
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert types["Signposted"] == types["Fenced"] == "bool"
    assert types["Easting"] == "float64"
    schema = viewer.get("/ogc/collections/hazards/schema").json()["properties"]
    assert schema["Easting"]["type"] == schema["Area_ha"]["type"] == "number"
    assert schema["Mixed"]["type"] == "string"
    assert schema["Signposted"]["type"] == schema["Fenced"]["type"] == "boolean"


def test_an_uploaded_name_or_description_stays_a_column_of_the_kml(
    seeded: None, session: Session, client_as: ClientAs
) -> None:
    """A column "Name" made a second column of that name and every KML of the register an
    empty file; "Description" became each placemark's HTML in Google Earth (found by an
    attack on our own instance)."""
    record_hazards(
        session,
        [
            NewHazard(
                "KML-1",
                HazardStatus.SHA,
                box(102.7, 19.7, 102.71, 19.71),
                dt.date(2020, 1, 1),
                operator="MAG",
                attributes={"Name": "spoofed", "Description": "<a href='x'>click</a>"},
            )
        ],
    )
    answer = client_as("viewer").get("/api/v1/hazards.kml", params={"operator": "MAG"})
    assert answer.status_code == 200 and answer.content, answer.text
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    root = ElementTree.fromstring(answer.content)
    (placemark,) = [
        p for p in root.iterfind(".//k:Placemark", ns) if p.findtext("k:name", None, ns) == "KML-1"
    ]
    assert placemark.find("k:description", ns) is None
    data = {
        d.get("name"): d.text for d in placemark.iterfind(".//k:ExtendedData//k:SimpleData", ns)
    }
    assert data["Name_1"] == "spoofed" and data["Description_1"] == "<a href='x'>click</a>"


def test_markup_in_an_uploaded_columns_name_stays_out_of_the_kml(
    seeded: None, session: Session, client_as: ClientAs
) -> None:
    """GDAL writes a field's name into the KML as it is: a column named with a quote and
    markup wrote a NetworkLink into every KML of the register, and the file no longer
    parsed (found by an attack on our own instance)."""
    name = 'z"></SimpleData><NetworkLink><href>http://evil.example/p.kml</href></NetworkLink>'
    record_hazards(
        session,
        [
            NewHazard(
                "KML-2",
                HazardStatus.SHA,
                box(102.7, 19.7, 102.71, 19.71),
                dt.date(2020, 1, 1),
                operator="MAG",
                attributes={name: "kept", "ເຂດ & co": "Lao & an ampersand"},
            )
        ],
    )
    answer = client_as("viewer").get("/api/v1/hazards.kml", params={"operator": "MAG"})
    assert answer.status_code == 200 and answer.content, answer.text
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    root = ElementTree.fromstring(answer.content)  # it parses
    assert root.find(".//k:NetworkLink", ns) is None  # the name is a name, not elements
    (placemark,) = [
        p for p in root.iterfind(".//k:Placemark", ns) if p.findtext("k:name", None, ns) == "KML-2"
    ]
    data = {
        d.get("name"): d.text for d in placemark.iterfind(".//k:ExtendedData//k:SimpleData", ns)
    }
    assert data["z/SimpleDataNetworkLinkhrefhttp://evil.example/p.kml/href/NetworkLink"] == "kept"
    assert data["ເຂດ  co"] == "Lao & an ampersand"


@pytest.mark.parametrize("fmt", ["gpkg", "zip", "csv", "xlsx", "kml"])
def test_control_characters_and_lao_names_of_own_columns_leave_every_export_readable(
    seeded: None, session: Session, client_as: ClientAs, fmt: str, tmp_path: Path
) -> None:
    """A vertical tab pasted from a spreadsheet made the register's XLSX answer 500 for
    every reader, and two Lao column names cut at ten characters (30 bytes) made the
    shapefile unreadable (found by an attack on our own instance)."""
    record_hazards(
        session,
        [
            NewHazard(
                "CTRL-1",
                HazardStatus.SHA,
                box(102.7, 19.7, 102.71, 19.71),
                dt.date(2020, 1, 1),
                operator="MAG",
                attributes={
                    "remarks": "line\u000bbreak",
                    "col\u0002x": "a\u0001b",
                    "ບ້ານບ້ານບ້ານບ້ານ1": "ໜຶ່ງ",
                    "ບ້ານບ້ານບ້ານບ້ານ2": "ສອງ",
                },
            )
        ],
    )
    answer = client_as("viewer").get(f"/api/v1/hazards.{fmt}", params={"operator": "MAG"})
    assert answer.status_code == 200, answer.text
    frame = _read_back(answer.content, fmt, tmp_path)
    ids = "Name" if fmt == "kml" else "hazard_id"
    row = frame[frame[ids] == "CTRL-1"].iloc[0]
    values = {str(v) for v in row.to_numpy()}
    assert {"ໜຶ່ງ", "ສອງ"} <= values, values  # both Lao columns, each its own
    if fmt == "xlsx":
        assert "line\ufffdbreak" in values
    if fmt == "zip":
        path = tmp_path / "hazards.zip"
        names = pyogrio.read_info(f"/vsizip/{path}/hazards.shp")["fields"]
        assert all(len(n.encode("utf-8")) <= 10 and "\u0002" not in n for n in names)


def test_a_shapefile_of_more_own_columns_than_it_holds_lists_the_rest(
    seeded: None, session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    """Hazards with 150 own columns between them made the register's shapefile answer 500:
    a record holds at most 65,535 bytes (found by an attack on our own instance)."""
    record_hazards(
        session,
        [
            NewHazard(
                f"WIDE-{k}",
                HazardStatus.SHA,
                box(102.7 + k * 0.02, 19.7, 102.71 + k * 0.02, 19.71),
                dt.date(2020, 1, 1),
                attributes={f"c{k}{i:02d}": "x" * 200 for i in range(75)},
            )
            for k in range(2)
        ],
    )
    answer = client_as("viewer").get("/api/v1/hazards.zip")
    assert answer.status_code == 200, answer.text
    path = tmp_path / "hazards.zip"
    path.write_bytes(answer.content)
    names = pyogrio.read_info(f"/vsizip/{path}/hazards.shp")["fields"]
    assert "c000" in names and "c174" not in names
    with zipfile.ZipFile(path) as z:
        listed = z.read("fields.csv").decode()
    assert "(not in the shapefile: see the GeoPackage),c174" in listed
    gpkg = client_as("viewer").get("/api/v1/hazards.gpkg")
    (tmp_path / "all.gpkg").write_bytes(gpkg.content)
    assert "c174" in pyogrio.read_info(tmp_path / "all.gpkg")["fields"]


@pytest.mark.parametrize(("fmt", "each"), [("gpkg", 1_000), ("xlsx", 8_100)])
def test_own_columns_past_a_files_limit_are_kept_in_its_second_table(
    session: Session, client_as: ClientAs, tmp_path: Path, fmt: str, each: int
) -> None:
    """A GeoPackage's layer holds at most 2,000 columns (SQLite's limit) and a sheet 16,384:
    a register whose records held more own columns had no GeoPackage at all, on any date
    (about eleven uploads of 200 own columns each: helper-113). The main layer holds the
    first, and a second table (a sheet of the workbook) every other value, a row each.
    First as the register first recorded them: a later upload's columns, named earlier in
    the alphabet, had pushed an earlier "zz_village" out of the layer (helper-114)."""
    record_hazards(
        session,
        [
            NewHazard(
                "EARLY-1",
                HazardStatus.SHA,
                box(102.6, 19.7, 102.61, 19.71),
                dt.date(2019, 1, 1),
                attributes={"zz_village": "Ban Na"},
            )
        ],
    )
    session.flush()
    record_hazards(
        session,
        [
            NewHazard(
                f"WIDE-{k}",
                HazardStatus.SHA,
                box(102.7 + k * 0.02, 19.7, 102.71 + k * 0.02, 19.71),
                dt.date(2020, 1, 1),
                attributes={f"c{k}_{i:05d}": f"v{k}.{i}" for i in range(each)}
                | {"alt": k + 0.5}
                | ({"zz_north": 2158536} if k else {}),  # the last column recorded
            )
            for k in range(2)
        ],
    )
    session.flush()
    answer = client_as("viewer").get(f"/api/v1/hazards.{fmt}")
    assert answer.status_code == 200, answer.text[:300]
    path = tmp_path / f"hazards.{fmt}"
    path.write_bytes(answer.content)
    if fmt == "gpkg":
        layer = pyogrio.read_dataframe(path, layer="hazards")
        more = pyogrio.read_dataframe(path, layer="hazards_more_columns")
    else:
        book = load_workbook(path, read_only=True)
        assert book.sheetnames == ["hazards", "hazards_more_columns"]
        header, *cells = book["hazards"].iter_rows(values_only=True)
        layer = pd.DataFrame(cells, columns=header)
        more_header, *more_cells = book["hazards_more_columns"].iter_rows(values_only=True)
        more = pd.DataFrame(more_cells, columns=more_header)
    assert list(more.columns[:3]) == ["hazard_id", "column", "value"]
    # every value is in one of the two, once, and as it was recorded
    held = {
        (row["hazard_id"], column, str(row[column]))
        for _, row in layer.iterrows()
        for column in layer.columns
        if re.fullmatch(r"c\d_\d{5}", column) and isinstance(row[column], str)
    }
    kept = {(r.hazard_id, r.column, r.value) for r in more.itertuples() if r.column != "zz_north"}
    # a number as the layer and the CSV write it, not as the upload held it (helper-114)
    north = {(r.hazard_id, r.value) for r in more.itertuples() if r.column == "zz_north"}
    assert north == {("WIDE-1", "2158536.0")}
    recorded = {(f"WIDE-{k}", f"c{k}_{i:05d}", f"v{k}.{i}") for k in range(2) for i in range(each)}
    assert held | kept == recorded and not held & kept
    assert kept and len(layer.columns) < (2_000 if fmt == "gpkg" else 16_384)
    assert sorted(layer["alt"].dropna()) == [0.5, 1.5]  # a column the layer holds keeps its type
    assert list(layer.loc[layer["hazard_id"] == "EARLY-1", "zz_village"]) == ["Ban Na"]
    # the file of one of the later rows holds its columns the same way
    one = client_as("viewer").get(f"/api/v1/hazards.{fmt}", params={"q": "WIDE-1"})
    assert one.status_code == 200, one.text[:300]


def test_the_shapefile_says_utf8_and_its_projection(seeded: None, client_as: ClientAs) -> None:
    answer = client_as("operator").get("/api/v1/hazards.zip", params={"admin": "P-W"})
    with zipfile.ZipFile(io.BytesIO(answer.content)) as zf:
        names = zf.namelist()
        assert {"hazards.shp", "hazards.shx", "hazards.dbf", "hazards.prj", "hazards.cpg"} <= set(
            names
        )
        assert zf.read("hazards.cpg").decode().strip().upper() in ("UTF-8", "UTF8")
        assert "WGS" in zf.read("hazards.prj").decode()
        fields = zf.read("fields.csv").decode()
        assert "remain_m2,remaining_m2" in fields
    frame = pyogrio.read_dataframe(io.BytesIO(answer.content), layer="hazards")
    assert all(len(c) <= 10 for c in frame.columns)
    assert list(frame["adm1_name"]) == ["ແຂວງຕາເວັນຕົກ"]


def test_shapefile_names_are_short_and_unique() -> None:
    names = shapefile_names(["remaining_m2", "village_name_lao", "village_name_eng", "x"])
    assert names == {
        "remaining_m2": "remain_m2",
        "village_name_lao": "village_na",
        "village_name_eng": "village__1",
        "x": "x",
    }
    # a Lao name cut would be another word ("ບ້ານ", village, to "ບ້າ"): named by a digest,
    # the same in every file, as fields.csv says (helper-110, helper-112); Latin with
    # accents is cut, a name that fits kept
    lao = shapefile_names(["hazard_id", "ບ້ານ", "ຊື່ເມືອງຍາວຫຼາຍ", "ນາ", "Catégorie_zone"])
    digest = hashlib.sha1("ບ້ານ".encode()).hexdigest()[:8]
    assert lao["ບ້ານ"] == f"f_{digest}" == shapefile_names(["a", "ບ້ານ"])["ບ້ານ"]
    assert lao["ຊື່ເມືອງຍາວຫຼາຍ"].startswith("f_") and len(lao["ຊື່ເມືອງຍາວຫຼາຍ"]) == 10
    assert (lao["ນາ"], lao["Catégorie_zone"]) == ("ນາ", "Catégorie")


def test_the_register_page_reads_as_words_and_points_a_search_to_the_filters(
    seeded: None, client_as: ClientAs
) -> None:
    """Sorts by their names ("remaining area", not remaining_m2), districts with their
    province, and a search for a district or an operator sent to their filters."""
    viewer = client_as("viewer")
    page = viewer.get("/hazards").text
    assert ">remaining area, descending</option>" in page and "remaining_m2," not in page
    assert ">District W1 (ແຂວງຕາເວັນຕົກ)</option>" in page
    district = viewer.get("/hazards", params={"q": "district w"}).text
    assert 'id="register-count">0 hazards' in district
    assert 'id="register-exports"' not in district  # no files of nothing to download
    assert 'the district <a href="/hazards?admin=D-W1">District W1 (ແຂວງຕາເວັນຕົກ)</a>' in district
    assert 'the district <a href="/hazards?admin=D-W2">District W2 (ແຂວງຕາເວັນຕົກ)</a>' in district
    # One area named, and nothing else found: its hazards, as its filter lists them (a new
    # user's review typed a district's name and found nothing)
    one = viewer.get("/hazards", params={"q": "District W1", "open": "false"}).text
    by_filter = viewer.get("/hazards", params={"admin": "D-W1", "open": "false"}).text

    def listed(page: str) -> list[str]:
        return re.findall(r'<a href="/hazards/([^"?]+)', page.split('id="register"')[1])

    assert listed(one) and listed(one) == listed(by_filter)
    said = re.search(r'id="search-area">(.*?)</p>', one, re.S)
    assert said and " ".join(said.group(1).split()) == (
        "No hazard's reference or own columns hold “District W1”, which names District W1 "
        "(district of ແຂວງຕາເວັນຕົກ): these are the hazards counted there, as the Area "
        "filter chooses them."
    )
    assert '<option value="D-W1" selected' in one  # the filter shown chosen, the box empty
    assert 'name="q" value=""' in one
    assert 'href="/api/v1/hazards.csv?as_of=' in one and "admin=D-W1" in one
    operator = viewer.get("/hazards", params={"q": "mag"}).text
    assert 'the operator <a href="/hazards?operator=MAG">MAG</a>' in operator
    found = viewer.get("/hazards", params={"q": "AT-000001"}).text
    assert 'id="search-elsewhere"' not in found  # a search that finds says nothing more
    assert 'id="register-exports"' in found
    assert 'id="search-exact"' not in found  # one found: it is the one


def test_a_search_that_finds_nothing_names_areas_by_their_other_names_and_the_wider_match(
    seeded: None, session: Session, client_as: ClientAs
) -> None:
    """ "Sayaboury", another name of a province and of its district, found nothing and said
    nothing; a search under an area chosen before found nothing and did not say that area
    was still chosen (a first-time user's review, helper-97)."""
    load_place_names(
        session,
        [PlaceNameRow(1, 1, "P-W", "Westerly"), PlaceNameRow(2, 2, "D-W1", "Westerly")],
        source="test",
        by="tests",
    )
    viewer = client_as("viewer")
    named = viewer.get("/hazards", params={"q": "westerly"}).text
    assert 'id="register-count">0 hazards' in named
    said = re.search(r'id="search-elsewhere">(.*?)</p>', named, re.S)
    assert said, named
    assert 'href="/hazards?admin=P-W"' in said.group(1)
    assert 'href="/hazards?admin=D-W1"' in said.group(1)
    assert "also written Westerly" in html.unescape(said.group(1))
    # the other filters kept in the links: they had listed every operator's hazards
    mag = viewer.get("/hazards", params={"q": "westerly", "operator": "MAG"}).text
    said = re.search(r'id="search-elsewhere">(.*?)</p>', mag, re.S)
    assert said and 'href="/hazards?operator=MAG&amp;admin=P-W"' in said.group(1), said
    # AT-000002 lies in the east: searched under the west, it is said to be elsewhere
    west = viewer.get("/hazards", params={"q": "AT-000002", "admin": "P-W"}).text
    assert 'id="register-count">0 hazards' in west
    wider = re.search(r'id="search-wider">(.*?)</p>', west, re.S)
    assert wider, west
    text_ = " ".join(html.unescape(wider.group(1)).split())
    assert "1 hazard in the whole country does" in text_, text_
    link = re.search(r'href="([^"]+)"', wider.group(1))
    assert link
    listed = viewer.get(html.unescape(link.group(1))).text
    assert 'id="register-count">1 hazard;' in listed and "admin=P-W" not in link.group(1)
    # with nothing else chosen, nothing wider to say
    none = viewer.get("/hazards", params={"q": "nothing-like-it"}).text
    assert 'id="search-wider"' not in none


def test_a_search_for_a_reference_names_that_hazard_among_those_holding_it(
    seeded: None, session: Session, client_as: ClientAs
) -> None:
    """At national scale "AT-1" found AT-1, AT-10, AT-100… (and hazards whose village
    column holds it) in the register's order, the one meant somewhere among them."""
    record_hazards(session, [NewHazard("AT-000001-B", HazardStatus.SHA, H2, dt.date(2020, 1, 1))])
    session.commit()
    viewer = client_as("viewer")
    page = viewer.get("/hazards", params={"q": "at-000001"}).text
    assert 'id="register-count">2 hazards' in page
    assert (
        '“at-000001” is the reference of hazard <a href="/hazards/AT-000001">AT-000001</a>' in page
    )
    assert 'id="search-exact"' not in viewer.get("/hazards", params={"q": "AT-00000"}).text


def test_a_search_for_a_reference_says_why_the_filters_leave_that_hazard_out(
    seeded: None, session: Session, client_as: ClientAs
) -> None:
    """The hazard a search names is not always among those listed: another province, a date
    before it was recorded, or closed while the register shows open hazards only."""
    record_hazards(session, [NewHazard("AT-000001-B", HazardStatus.SHA, H2, dt.date(2020, 1, 1))])
    session.commit()
    viewer = client_as("viewer")

    def line(**params: str) -> str:
        page = viewer.get("/hazards", params=params).text
        start = page.find('id="search-exact"')
        return "" if start < 0 else page[start : page.index("</p>", start)]

    east = line(q="at-000001", admin="P-E")  # AT-000001 lies in the west
    assert 'hazard <a href="/hazards/AT-000001">AT-000001</a>' in east
    assert "which the area, status, contamination or operator chosen leave out" in east
    early = line(q="AT-000001", as_of="2019-12-31")  # recorded on 2020-01-01
    assert "which the register does not hold on 2019-12-31" in early
    assert 'href="/hazards/AT-000001">' in early  # its page today, not before it was recorded
    closed = line(q="xi-000003")  # fully cleared in 2023
    assert "which is closed on" in closed and "closed ones too" in closed
    assert line(q="xi-000003", open="false") == ""  # listed, and the only one: nothing to say
    listed = line(q="at-000001", admin="P-W", as_of="2022-06-01")
    assert listed == ""  # AT-000001 alone matches there
    both = line(q="at-000001", as_of="2022-06-01")
    assert 'href="/hazards/AT-000001?as_of=2022-06-01">' in both
    assert "the search finds every hazard that holds it" in both


def test_an_export_filtered_by_a_name_in_another_script_is_named_in_ascii(
    seeded: None, client_as: ClientAs
) -> None:
    """The filter went into the file's name, and a header carries Latin-1 only: an
    operator named in Lao (or "Ā") answered 500."""
    for name in ("Ā", "ອົງການ"):
        answer = client_as("operator").get("/api/v1/hazards.csv", params={"operator": name})
        assert answer.status_code == 200, answer.text
        disposition = answer.headers["content-disposition"]
        assert disposition.isascii() and disposition.endswith('_.csv"')


def test_one_caller_or_a_crowd_cannot_hold_every_thread_waiting_for_files(
    seeded: None, client_as: ClientAs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """80 exports sent at once each waited for a turn in one of the server's threads,
    holding a database connection: the server's threads and connections ran out, a sign-in
    took 67 s and two exports were 500s (a third attack on our own instance)."""
    import threading

    from ims import files
    from ims.config import get_settings

    monkeypatch.setattr(get_settings(), "exports_at_once", 1)
    monkeypatch.setattr(files, "EXPORT_WAIT_S", 30.0)
    client = client_as("reviewer")
    done = threading.Event()
    started: list[threading.Event] = []
    handed_back: list[str] = []

    def hold(caller: str) -> None:
        started[-1].set()
        with files.export_turn(caller, lambda: handed_back.append(caller)):
            done.wait(20)

    def begin(caller: str) -> threading.Thread:
        started.append(threading.Event())
        thread = threading.Thread(target=hold, args=(caller,))
        thread.start()
        assert started[-1].wait(10)
        return thread

    threads = [begin(f"user {client.get('/api/v1/me').json()['username']}")]  # theirs
    try:
        mine = client.get("/api/v1/hazards.csv")
        assert mine.status_code == 503 and mine.headers["retry-after"] == "30"
        assert "being made for you already" in mine.json()["detail"]
        threads[0].join(0.2)
        threads.append(begin("user a"))  # two others wait for the one turn …
        threads.append(begin("user b"))
        for _ in range(100):
            if sum(files._under_way.values()) == 3:
                break
            done.wait(0.05)
        assert sum(files._under_way.values()) == 3
        crowd = client_as("viewer").get("/api/v1/releases.csv")  # … and a fourth is told
        assert crowd.status_code == 503 and "more wait their turn" in crowd.json()["detail"]
        assert sorted(handed_back) == ["user a", "user b"]  # only those that had to wait
    finally:
        done.set()
        for thread in threads:
            thread.join()
    assert files._under_way == {}
    assert client.get("/api/v1/hazards.csv").status_code == 200


def test_register_files_are_made_a_few_at_a_time_and_the_rest_told_to_wait(
    seeded: None, client_as: ClientAs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A national GeoPackage holds 150–300 MB while it is made: six at once took the server
    from 0.55 to 1.22 GB, with nothing to stop twenty."""
    import threading

    from ims import files
    from ims.config import get_settings

    monkeypatch.setattr(get_settings(), "exports_at_once", 1)
    monkeypatch.setattr(files, "EXPORT_WAIT_S", 0.2)
    client = client_as("reviewer")
    holding, done = threading.Event(), threading.Event()

    def hold() -> None:
        with files.export_turn():
            holding.set()
            done.wait(10)

    other = threading.Thread(target=hold)
    other.start()
    try:
        assert holding.wait(10)
        for path in ("/api/v1/hazards.csv", "/api/v1/releases.csv"):
            busy = client.get(path)
            assert busy.status_code == 503 and busy.headers["retry-after"] == "30", busy.text
            assert "try again shortly" in busy.json()["detail"]
    finally:
        done.set()
        other.join()
    assert client.get("/api/v1/hazards.csv").status_code == 200  # its turn came free


def test_a_register_files_download_starts_before_the_file_is_made(
    committed_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A national release file takes 5–60 s to make, and the browser showed nothing until
    it was whole, so people clicked again (a walk-through at national scale): the answer's
    head, with the file's name, comes at once, and its bytes when they are made."""
    import threading

    import httpx

    from ims import files
    from ims.app import create_app
    from ims.db import accounts
    from ims.domain.enums import Role
    from ims.queries import register_files
    from tests.api.test_gate import serve

    with Session(committed_engine) as s, s.begin():
        accounts.create_user(s, "downloader", Role.VIEWER, by="tests")
        token = accounts.create_token(s, "downloader", "tests", by="tests")[1]
    may_finish = threading.Event()
    real_write = register_files.write

    def slow_write(*args: Any, **kwargs: Any) -> register_files.ExportFile:
        assert may_finish.wait(20), "the head never came before the file was made"
        return real_write(*args, **kwargs)

    monkeypatch.setattr(register_files, "write", slow_write)
    server, thread, port = serve(create_app(committed_engine))
    try:
        url = f"http://127.0.0.1:{port}/api/v1/releases.csv"
        with httpx.stream("GET", url, headers={"Authorization": f"Bearer {token}"}) as answer:
            assert answer.status_code == 200  # while the file is not made yet
            disposition = answer.headers["content-disposition"]
            assert disposition.startswith("attachment; filename=") and ".csv" in disposition
            assert not may_finish.is_set()
            may_finish.set()
            body = answer.read().decode("utf-8-sig")
        assert body.startswith("release_id,")
    finally:
        may_finish.set()
        server.should_exit = True
        thread.join(timeout=10)
    assert files._under_way == {}  # its turn was handed back


def test_a_file_of_a_filter_the_register_refuses_is_a_422_and_holds_no_turn(
    seeded: None, client_as: ClientAs
) -> None:
    """Sent as made, a file whose filter the register refused had begun as a 200 and broken
    off (found by the fuzz test)."""
    from ims import files

    client = client_as("viewer")
    for path, params in (
        ("/api/v1/hazards.csv", {"sort": "0"}),
        ("/api/v1/hazards.gpkg", {"admin": "0"}),
        ("/api/v1/releases.csv", {"admin": "0"}),
    ):
        answer = client.get(path, params=params)
        assert answer.status_code == 422, (path, answer.status_code, answer.text[:200])
    assert files._under_way == {}


def test_downloads_nobody_reads_hold_their_turns_and_no_database_connection(
    committed_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forty release files that nobody read held forty database connections, the whole
        pool: every page answered 500 (an attack on these changes before release). A file being sent
        holds its export turn, not a connection; a caller's second is told to wait for its first
    (a caller holds all but one of the turns)."""
    import socket
    import time

    import httpx

    from ims import files
    from ims.app import create_app
    from ims.db import accounts
    from ims.domain.enums import Role
    from ims.queries import register_files
    from tests.api.test_gate import serve

    with Session(committed_engine) as s, s.begin():
        accounts.create_user(s, "hoarder", Role.VIEWER, by="tests")
        token = accounts.create_token(s, "hoarder", "tests", by="tests")[1]
    big = register_files.ExportFile(os.urandom(32_000_000), "text/csv", "releases.csv")
    monkeypatch.setattr(register_files, "write", lambda *a, **k: big)
    monkeypatch.setattr(files, "EXPORT_WAIT_S", 0.5)
    server, thread, port = serve(create_app(committed_engine))
    unread = []
    try:
        for _ in range(1):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.sendall(
                f"GET /api/v1/releases.csv HTTP/1.1\r\nHost: ims.test\r\n"
                f"Authorization: Bearer {token}\r\n\r\n".encode()
            )
            unread.append(sock)
        deadline = time.monotonic() + 20
        while files._under_way.get("user hoarder") != 1:
            assert time.monotonic() < deadline, files._under_way
            time.sleep(0.05)
        time.sleep(0.5)  # it is sending now, into a socket nobody reads
        with committed_engine.connect() as conn:
            holding = conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state LIKE 'idle in transaction%'"
                )
            )
        assert holding == 0
        second = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/releases.csv",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert second.status_code == 503 and "for you already" in second.json()["detail"]
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=10).status_code == 200
    finally:
        for sock in unread:
            sock.close()
        server.should_exit = True
        thread.join(timeout=10)
    deadline = time.monotonic() + 10
    while files._under_way and time.monotonic() < deadline:
        time.sleep(0.05)
    assert files._under_way == {}  # closed, they handed their turns back


@pytest.mark.parametrize("fmt", ["zip", "gpkg", "geojson"])
def test_the_remaining_ground_in_a_file_has_no_slivers_and_reads_back_valid(
    seeded: None, session: Session, client_as: ClientAs, tmp_path: Path, fmt: str
) -> None:
    """A release stopping 2e-9 degrees (0.2 mm) short of its hazard's edge leaves a strip
    that wide in the remaining ground: 329 of the national demo's 1,958 parts were such
    slivers, and GDAL read two of its shapefile's polygons back invalid ("hole lies
    outside shell"; a review as a GIS officer). The files hold the ground alone."""
    x0, y0, x1, y1 = H2.bounds
    record_releases(
        session,
        [
            NewRelease(
                "R-SLIVER",
                "AT-000002",
                ReleaseMethod.REDUCED,
                dt.date(2023, 7, 1),
                box(x0 + 2e-9, y0, (x0 + x1) / 2, y1),
            )
        ],
    )
    session.flush()
    answer = client_as("viewer").get(f"/api/v1/hazards.{fmt}")
    assert answer.status_code == 200, answer.text
    frame = _read_back(answer.content, fmt, tmp_path)
    assert frame.geometry.is_valid.all()
    (geom,) = frame.geometry[frame["hazard_id"] == "AT-000002"]
    ground = box((x0 + x1) / 2, y0, x1, y1)
    assert len(shapely.get_parts(geom)) == 1 and geom.equals(MultiPolygon([ground]))
    listed = register(session, RegisterFilter(as_of=dt.date.today(), hazard_id="AT-000002"))
    assert area(geom) == pytest.approx(listed.rows[0].remaining_m2, abs=1.0)


def test_a_files_areas_are_to_the_square_millimetre_without_floating_point_dust() -> None:
    """A release's file listed outside_m2 3e-10 (the float noise of an overlay on the
    hazard's edge) where the OGC API said 0 (a review as a GIS officer)."""
    from types import SimpleNamespace

    from ims.queries.register import _hazard_row, _release_row

    release = _release_row(
        SimpleNamespace(
            reference="R", hazard_reference="H", contam="CMR", method="cleared",
            released=dt.date(2024, 1, 2), operator=None, area_m2=1234.56789012,
            outside_m2=3e-10, stated_area_m2=None, admin1_code=None, admin1_name=None,
            admin2_code=None, admin2_name=None, items=None, attributes=None, shape=None,
        )
    )  # fmt: skip
    assert (release.area_m2, release.outside_m2) == (1234.568, 0.0)
    hazard = _hazard_row(
        SimpleNamespace(
            reference="H", status="CHA", contam="CMR", admin1_code=None, admin1_name=None,
            admin2_code=None, admin2_name=None, remaining_m2=-2e-9, area_m2=5000.00049,
            first_recorded=dt.date(2020, 1, 1), operator=None, marked=None, attributes=None,
            shape=None, used_from=None, used_to=None, munitions=None,
        )
    )  # fmt: skip
    assert (hazard.remaining_m2, hazard.boundary_m2) == (0.0, 5000.0)


def test_a_text_longer_than_a_shapefile_holds_is_cut_at_a_character_and_said(
    session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    """GDAL cut a text past 254 bytes itself, inside a Lao character as often as not (three
    bytes each), and the file said nothing of it (a review as a GIS officer)."""
    note = "ບ້ານນາ " * 20  # 140 characters, 380 bytes
    record_hazards(
        session,
        [NewHazard("LONG-1", HazardStatus.SHA, H1, dt.date(2020, 1, 1),
                   attributes={"note": note, "short": "ok"})],
    )  # fmt: skip
    session.flush()
    answer = client_as("viewer").get("/api/v1/hazards.zip")
    assert answer.status_code == 200, answer.text
    frame = _read_back(answer.content, "zip", tmp_path)
    cut = frame[frame["hazard_id"] == "LONG-1"].iloc[0]["note"]
    assert note.startswith(cut) and 251 < len(cut.encode("utf-8")) <= 254  # whole characters
    with zipfile.ZipFile(tmp_path / "hazards.zip") as zf:
        fields = list(csv.reader(io.StringIO(zf.read("fields.csv").decode())))
    assert fields[0][2] == "values cut to 254 bytes (the GeoPackage holds them whole)"
    assert ["note", "note", "1"] in fields and ["short", "short", ""] in fields
    whole = _read_back(client_as("viewer").get("/api/v1/hazards.gpkg").content, "gpkg", tmp_path)
    assert whole[whole["hazard_id"] == "LONG-1"].iloc[0]["note"] == note


def test_the_register_workbook_holds_its_dates_as_dates(seeded: None, client_as: ClientAs) -> None:
    # they had been text, which a spreadsheet neither sorts as dates nor reads back as one
    # (a review as a GIS officer)
    import io

    from openpyxl import load_workbook

    taken = client_as("viewer").get("/api/v1/hazards.xlsx")
    assert taken.status_code == 200, taken.text
    ws = load_workbook(io.BytesIO(taken.content)).active
    assert ws is not None
    header = [c.value for c in ws[1]]
    recorded = header.index("recorded") + 1
    cells = [ws.cell(row=r, column=recorded) for r in range(2, ws.max_row + 1)]
    assert cells and all(c.is_date and c.number_format == "yyyy-mm-dd" for c in cells)
    # the same days as the CSV's text
    import csv

    text_rows = list(
        csv.DictReader(
            io.StringIO(client_as("viewer").get("/api/v1/hazards.csv").content.decode("utf-8-sig"))
        )
    )
    assert [c.value.date().isoformat() for c in cells] == [r["recorded"] for r in text_rows]


def _sent_back(client: Any, sheet: gpd.GeoDataFrame, path: Path, kind: str) -> dict:  # type: ignore[type-arg]
    """``sheet`` uploaded as a GeoPackage of ``kind``: the staged submission."""
    sheet.to_file(path, layer=kind, driver="GPKG")
    return _uploaded(client, path, kind)


def _uploaded(client: Any, path: Path, kind: str = "hazards") -> dict:  # type: ignore[type-arg]
    staged = client.post(
        "/api/v1/submissions", files={"file": (path.name, path.read_bytes())}, data={"kind": kind}
    )
    assert staged.status_code == 201, staged.text
    return staged.json()  # type: ignore[no-any-return]


def test_the_boundaries_file_sent_back_whole_records_only_what_was_edited(
    seeded: None, session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    """A data manager downloads the boundaries, edits one hazard and adds one in QGIS, and
    sends the whole file back: each hazard left as it was had been an error "already
    recorded" (or, with a date in 'revised', a revision recording only that date), until
    the ones not edited were taken out by hand (a walk-through as a data manager)."""
    reviewer = client_as("reviewer")
    taken = reviewer.get("/api/v1/hazards.gpkg", params={"geometry": "boundary", "open": "false"})
    assert taken.status_code == 200, taken.text
    frame = _read_back(taken.content, "gpkg", tmp_path)
    assert sorted(frame["hazard_id"]) == ["AT-000001", "AT-000002", "XI-000003"]
    edited = frame["hazard_id"] == "AT-000002"
    moved = box(*H2.bounds[:3], H2.bounds[3] + 0.001)  # one side moved north
    frame.loc[edited, "geometry"] = gpd.GeoSeries([moved], index=frame.index[edited], crs=4326)
    new = frame[edited].assign(hazard_id="AT-000009", geometry=[box(102.4, 19.1, 102.401, 19.101)])
    whole = pd.concat([frame, new], ignore_index=True)

    def send(sheet: gpd.GeoDataFrame, name: str) -> dict:  # type: ignore[type-arg]
        return _sent_back(reviewer, sheet, tmp_path / f"{name}.gpkg", "hazards")

    # without a date: the edited hazard is an error that says what it changes; the ones
    # left as they were are left out, in one warning
    plain = send(whole, "plain")
    errors = [f for f in plain["findings"] if f["severity"] == "error"]
    assert [(f["row"], f["code"]) for f in errors] == [(2, "already_recorded")], errors
    assert "this feature changes its boundary" in errors[0]["message"]
    [left] = [f for f in plain["findings"] if f["code"] == "unchanged_left_out"]
    assert left["row"] is None and "2 features" in left["message"]
    assert "AT-000001" in left["message"] and "XI-000003" in left["message"]
    assert not [f for f in plain["findings"] if f["row"] in (1, 3)]  # nothing else on them

    # with a date for the hazards recorded: the revision and the new hazard alone
    whole["revised"] = ["2024-06-01", "2024-06-01", "2024-06-01", None]
    dated = send(whole, "dated")
    assert dated["errors"] == 0, dated["findings"]
    codes = [f["code"] for f in dated["findings"]]
    assert "changes_nothing" not in codes and "unchanged_left_out" in codes, codes
    before = dict(
        session.execute(
            text(
                "SELECT h.reference, count(*) FROM hazard_revision r "
                "JOIN hazard h ON h.id = r.hazard_id GROUP BY h.reference"
            )
        ).all()
    )
    approved = client_as("admin").post(f"/api/v1/submissions/{dated['id']}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.text
    session.expire_all()
    after = dict(
        session.execute(
            text(
                "SELECT h.reference, count(*) FROM hazard_revision r "
                "JOIN hazard h ON h.id = r.hazard_id GROUP BY h.reference"
            )
        ).all()
    )
    assert after == {**before, "AT-000002": before["AT-000002"] + 1, "AT-000009": 1}
    today = _get(client_as, geometry="boundary", open="false")["features"]
    bounds = {
        f["properties"]["hazard_id"]: shape(f["geometry"]).bounds for f in today if f["geometry"]
    }
    assert bounds["AT-000002"] == pytest.approx(moved.bounds)
    # the unchanged ones are said so on the submission's page
    page = reviewer.get(f"/submissions/{dated['id']}").text
    assert page.count("is recorded already as this feature gives it") == 2
    assert "nothing but its date" not in page


def test_an_operators_whole_file_sent_back_names_every_operator_and_passes_nothing_on(
    seeded: None, session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    """The register's file names each hazard's operator: an operator's data manager who
    sent it back whole had an error "operator is NPA, but this file is MAG's" on every
    other operator's hazard, left as it was or not (a GIS user's review). Naming the
    organisation that holds a hazard passes nothing on; revising another's hazard is still
    told, as when the operator is left blank."""
    operator = client_as("operator", organisation="MAG")
    taken = operator.get("/api/v1/hazards.gpkg", params={"geometry": "boundary", "open": "false"})
    frame = _read_back(taken.content, "gpkg", tmp_path)
    assert set(frame["operator"]) == {"MAG", "NPA"}
    npa = frame["hazard_id"] == "AT-000002"
    frame["revised"] = "2024-06-01"
    frame.loc[npa, "status"] = "SHA"  # NPA's hazard, revised by MAG's file
    body = _sent_back(operator, frame, tmp_path / "back.gpkg", "hazards")
    assert body["errors"] == 0, body["findings"]
    told = {(f["row"], f["code"]) for f in body["findings"]}
    row = int(npa.idxmax()) + 1
    assert (row, "others_hazard") in told and (None, "unchanged_left_out") in told, told
    # a new hazard credited to another organisation is refused as before
    new = frame[npa].assign(hazard_id="AT-000010", revised=None)
    new.to_file(tmp_path / "new.gpkg", layer="hazards", driver="GPKG")
    refused = operator.post(
        "/api/v1/submissions",
        files={"file": ("new.gpkg", (tmp_path / "new.gpkg").read_bytes())},
        data={"kind": "hazards"},
    ).json()
    assert [f["code"] for f in refused["findings"] if f["severity"] == "error"] == [
        "other_organisation"
    ]


def test_the_boundaries_workbook_sent_back_holds_its_polygons(
    seeded: None, session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    """The workbook gave each hazard's label point alone: the boundaries workbook sent
    back was a point per hazard, each an error "expected a polygon" (a GIS user's review).
    It gives the polygon as WKT, as the CSV does, read back to the boundary recorded."""
    reviewer = client_as("reviewer")
    taken = reviewer.get("/api/v1/hazards.xlsx", params={"geometry": "boundary", "open": "false"})
    assert taken.status_code == 200, taken.text
    frame = _read_back(taken.content, "xlsx", tmp_path)
    assert {"lon", "lat", "wkt"} <= set(frame.columns)
    polygons = {
        r: shapely.from_wkt(w) for r, w in zip(frame["hazard_id"], frame["wkt"], strict=True)
    }
    assert polygons["AT-000002"].equals(H2)
    # sent back with one hazard revised: that revision alone, the others left out
    path = tmp_path / "back.xlsx"
    path.write_bytes(taken.content)
    book = load_workbook(path)
    sheet = book.active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    for cells in sheet.iter_rows(min_row=2):
        if cells[header.index("hazard_id")].value == "AT-000002":
            cells[header.index("status")].value = "SHA"
    for r in range(2, sheet.max_row + 1):  # the file's own column, empty as it comes
        assert sheet.cell(row=r, column=header.index("revised") + 1).value is None
        sheet.cell(row=r, column=header.index("revised") + 1, value="2024-06-01")
    book.save(path)
    body = _uploaded(reviewer, path)
    assert body["errors"] == 0, body["findings"]
    codes = {f["code"] for f in body["findings"]}
    assert "unchanged_left_out" in codes and "not_polygon" not in codes, codes
    # ims's own column names read back without a word (helper-98)
    assert not [f for f in body["findings"] if "questions' labels" in f["message"]], body


def test_the_releases_file_sent_back_whole_records_only_the_releases_added(
    seeded: None, session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    """The register's releases file, two clearances added and sent back whole, was an
    error "already recorded" on every release in it, with warnings on their old shares
    outside hazards (a GIS user's review): the releases as recorded are left out."""
    reviewer = client_as("reviewer")
    taken = reviewer.get("/api/v1/releases.gpkg")
    assert taken.status_code == 200, taken.text
    frame = _read_back(taken.content, "gpkg", tmp_path, layer="releases")
    assert sorted(frame["release_id"]) == ["R1", "R2"]
    added = frame.iloc[[0]].assign(
        release_id="R3",
        hazard_id="AT-000002",
        released=pd.Timestamp("2024-03-01"),
        items="BLU-26:2",
        stated_area_m2=None,
        geometry=[box(102.61, 19.601, 102.612, 19.603)],
    )
    assert H2.contains(added.geometry.iloc[0])

    def send(sheet: gpd.GeoDataFrame, name: str) -> dict:  # type: ignore[type-arg]
        return _sent_back(reviewer, sheet, tmp_path / f"{name}.gpkg", "releases")

    unchanged = send(frame, "unchanged")
    errors = [f for f in unchanged["findings"] if f["severity"] == "error"]
    assert [(f["row"], f["code"]) for f in errors] == [(None, "unchanged_left_out")], errors
    assert "give releases as recorded now" in errors[0]["message"]

    # a release edited is refused, saying what it changes (it had said only "already
    # recorded": helper-95)
    edited = frame.copy()
    edited.loc[edited["release_id"] == "R1", "items"] = "BLU-26:9"
    told = send(edited, "edited")
    [error] = [f for f in told["findings"] if f["severity"] == "error"]
    assert "release R1 is already recorded, and this feature changes items" in error["message"]

    # a file of the data manager's own, without the items column and its own column in
    # other capitals, gives them as they stand (it had been told it changed items and
    # Village: helper-99)
    record_releases(
        session,
        [
            NewRelease(
                "R9",
                "AT-000002",
                ReleaseMethod.CLEARED,
                dt.date(2023, 7, 1),
                box(102.601, 19.601, 102.603, 19.603),
                items={"BLU-26": 4},
                attributes={"village": "Ban Phon"},
            )
        ],
    )
    again = reviewer.get("/api/v1/releases.gpkg", params={"hazard_id": "AT-000002"})
    own = _read_back(again.content, "gpkg", tmp_path, layer="releases")
    own = own[own["release_id"] == "R9"].drop(columns=["items"])
    own = own.rename(columns={"village": "Village"})
    plain = send(pd.concat([own, added], ignore_index=True), "own")
    assert plain["errors"] == 0, plain["findings"]
    [left] = [f for f in plain["findings"] if f["code"] == "unchanged_left_out"]
    assert "R9" in left["message"]

    body = send(pd.concat([frame, added], ignore_index=True), "whole")
    assert body["errors"] == 0, body["findings"]
    [left] = [f for f in body["findings"] if f["code"] == "unchanged_left_out"]
    assert "2 features" in left["message"] and "R1" in left["message"]
    assert not [f for f in body["findings"] if f["row"] in (1, 2)], body["findings"]
    approved = client_as("admin").post(f"/api/v1/submissions/{body['id']}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.text
    session.expire_all()
    recorded = session.execute(text("SELECT reference FROM release ORDER BY reference")).scalars()
    assert list(recorded) == ["R1", "R2", "R3", "R9"]


def test_one_caller_holds_all_but_one_of_the_turns_for_files(
    seeded: None, client_as: ClientAs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """helper-106: a viewer's two slow workbooks held both of the two turns, and another
    user's file waited a minute and was refused. A caller holds one of two; the other is
    left for the rest."""
    import threading

    from ims import files
    from ims.config import get_settings

    monkeypatch.setattr(get_settings(), "exports_at_once", 2)
    client = client_as("viewer")
    viewer = f"user {client.get('/api/v1/me').json()['username']}"
    holding, done = threading.Event(), threading.Event()

    def hold() -> None:
        with files.export_turn(viewer):
            holding.set()
            done.wait(20)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(10)
        second = client.get("/api/v1/releases.csv")
        assert second.status_code == 503 and "being made for you already" in second.json()["detail"]
        assert client_as("reviewer").get("/api/v1/hazards.csv").status_code == 200
    finally:
        done.set()
        thread.join()
    assert client.get("/api/v1/releases.csv").status_code == 200


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "gpkg", "zip"])
def test_a_boundaries_file_sent_back_as_it_was_changes_nothing_in_any_format(
    seeded: None, session: Session, client_as: ClientAs, tmp_path: Path, fmt: str
) -> None:
    """The CSV gives an own column's numbers and yes/no as text ("22.23"): sent back as
    it was, each hazard had been "already recorded, and this feature changes Area (ha),
    Easting and Northing" (helper-115); and in every format "Village", named "Village_1"
    in a register that first recorded "village", came back as a new column. The CSV's
    apostrophe before "+856…" (no formula), the shapefile's name "Team note " (cut, with
    no space at its end in the file) and its text cut to 254 bytes had each been a change
    too (helper-116). Sent back as it was, it is the hazard as recorded, in every format:
    nothing to record."""
    record_hazards(
        session,
        [
            NewHazard(
                "NUM-1",
                HazardStatus.SHA,
                box(102.7, 19.7, 102.71, 19.71),
                dt.date(2020, 1, 1),
                attributes={
                    "Area (ha)": 22.23,
                    "Easting": 500000,
                    "Checked": True,
                    "Village": "x",
                    "village_name_lao": "ບ້ານນາ",
                    "ບ້ານ": "ນາ",
                    "contact": "+856 20 5555 1234",
                    "remark": "- reported by the village chief",
                    "Team note lao": "ບັນທຶກ " * 60,  # 1,140 bytes
                },
            )
        ],
    )
    session.flush()
    reviewer = client_as("reviewer")
    taken = reviewer.get(f"/api/v1/hazards.{fmt}", params={"geometry": "boundary", "q": "NUM-1"})
    assert taken.status_code == 200, taken.text
    path = tmp_path / f"back.{fmt}"
    path.write_bytes(taken.content)
    staged = _uploaded(reviewer, path)
    [error] = [f for f in staged["findings"] if f["severity"] == "error"]
    assert error["message"] == (
        "hazard NUM-1 is recorded already as this feature gives it (the same boundary, "
        "status and estimates): there is nothing to record"
    )
    kept = [f["message"] for f in staged["findings"] if "own attributes" in f["message"]]
    assert kept and kept[0].endswith(
        ": Area (ha), Checked, Easting, Team note lao, Village, contact, remark, "
        "village_name_lao, ບ້ານ"
    ), kept


def test_a_register_file_with_more_own_columns_than_a_file_brings_comes_back_to_be_edited(
    seeded: None, session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    """A file brings at most 200 own columns new to the register; those the register holds
    already add none. A register of 201 own columns with values could not take back its
    own file to correct one hazard: "201 columns that are not fields of the template"
    (helper-115). A file of new columns past the limit is still refused, counting them."""
    held = {f"c{i:03d}": f"v{i}" for i in range(201)}
    record_hazards(
        session,
        [
            NewHazard(
                "WIDE-1",
                HazardStatus.SHA,
                box(102.7, 19.7, 102.71, 19.71),
                dt.date(2020, 1, 1),
                attributes=held,
            )
        ],
    )
    session.flush()
    reviewer = client_as("reviewer")
    taken = reviewer.get("/api/v1/hazards.gpkg", params={"geometry": "boundary", "q": "WIDE-1"})
    assert taken.status_code == 200, taken.text
    frame = _read_back(taken.content, "gpkg", tmp_path)
    frame["c007"] = "corrected"
    frame["revised"] = pd.Timestamp("2024-06-01")
    path = tmp_path / "back.gpkg"
    pyogrio.write_dataframe(frame, path, layer="hazards")
    staged = _uploaded(reviewer, path)
    assert staged["errors"] == 0, staged["findings"]
    approved = client_as("admin").post(f"/api/v1/submissions/{staged['id']}/approve")
    assert approved.status_code == 200, approved.text
    session.expire_all()
    revised = session.scalar(
        text(
            "SELECT r.attributes FROM hazard_revision r JOIN hazard h ON h.id = r.hazard_id "
            "WHERE h.reference = 'WIDE-1' AND r.effective = '2024-06-01'"
        )
    )
    assert revised == held | {"c007": "corrected"}
    # 201 columns new to the register beside its own: refused, and the message counts them
    wider = frame.assign(**{f"n{i:03d}": "x" for i in range(201)})
    path = tmp_path / "wider.gpkg"
    pyogrio.write_dataframe(wider, path, layer="hazards")
    refused = reviewer.post(
        "/api/v1/submissions",
        files={"file": (path.name, path.read_bytes())},
        data={"kind": "hazards"},
    )
    assert refused.status_code == 400
    assert refused.json()["detail"].startswith(
        "the file has 201 columns that are not fields of the template nor the register's "
        "already (201 others are); ims keeps at most 200 new ones"
    ), refused.json()["detail"]


@pytest.mark.parametrize("fmt", ["gpkg", "zip"])
def test_a_register_file_whose_names_chain_comes_back_unchanged(
    seeded: None, session: Session, client_as: ClientAs, tmp_path: Path, fmt: str
) -> None:
    """Keys "Name" and "Name_1" are written "Name_1" ("name" is KML's own) and "Name_1_1":
    sent back, "Name_1_1" was not read as "Name_1", because the file has a column
    "Name_1" (the one read as "Name"), and the hazard left as it was was a change of a
    new column (helper-116, helper-117)."""
    record_hazards(
        session,
        [
            NewHazard(
                "CHAIN-1",
                HazardStatus.SHA,
                box(102.7, 19.7, 102.71, 19.71),
                dt.date(2020, 1, 1),
                attributes={"Name": "second", "Name_1": "third"},
            ),
        ],
    )
    session.flush()
    reviewer = client_as("reviewer")
    taken = reviewer.get(f"/api/v1/hazards.{fmt}", params={"geometry": "boundary", "q": "CHAIN-1"})
    assert taken.status_code == 200, taken.text
    assert {"Name_1", "Name_1_1"} <= set(_read_back(taken.content, fmt, tmp_path).columns)
    path = tmp_path / f"back.{fmt}"
    path.write_bytes(taken.content)
    staged = _uploaded(reviewer, path)
    [error] = [f for f in staged["findings"] if f["severity"] == "error"]
    assert error["message"].endswith("there is nothing to record"), error
    renamed = [f["message"] for f in staged["findings"] if "read under their names" in f["message"]]
    assert renamed and renamed[0].endswith(": Name_1 as Name, Name_1_1 as Name_1"), renamed
    # a column "Name" added beside "Name_1" (the register's "Name"): read as either, the
    # register's values had moved to another column (helper-118); refused, and said
    frame = _read_back(taken.content, fmt, tmp_path).assign(Name="added")
    added = tmp_path / "added.gpkg"
    frame.to_file(added, layer="hazards", driver="GPKG")
    refused = reviewer.post(
        "/api/v1/submissions",
        files={"file": (added.name, added.read_bytes())},
        data={"kind": "hazards"},
    )
    assert refused.status_code == 400
    assert refused.json()["detail"].startswith(
        "the file has a column 'Name' and a column 'Name_1', which the register's files "
        "write for its column 'Name'"
    ), refused.json()["detail"]


def test_another_files_own_columns_keep_their_names_in_every_row(
    seeded: None, session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    """A shapefile of an operator's own, not a register file: its "Name_1" and "village_na"
    are its own columns, not the register's names of "Name" and "village_name" (every
    shapefile's had been renamed so), and never one column in one row and another in the
    next (a blank "Name" had let "Name_1" take its place: helper-117)."""
    record_hazards(
        session,
        [
            NewHazard(
                "OWN-0",
                HazardStatus.SHA,
                box(102.72, 19.7, 102.73, 19.71),
                dt.date(2020, 1, 1),
                attributes={"name": "a", "Name": "b", "village_name": "c"},
            )
        ],
    )
    session.flush()
    frame = gpd.GeoDataFrame(
        {
            "hazard_id": ["OWN-1", "OWN-2"],
            "status": ["SHA", "SHA"],
            "recorded": ["2021-01-01", "2021-01-01"],
            "Name": ["alpha", None],
            "Name_1": ["beta", "gamma"],
            "village_na": ["Ban Na", "Ban Phon"],
        },
        geometry=[box(102.6, 19.6, 102.61, 19.61), box(102.62, 19.6, 102.63, 19.61)],
        crs=4326,
    )
    folder = tmp_path / "shp"
    folder.mkdir()
    frame.to_file(folder / "own.shp")
    path = tmp_path / "own.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, part.name)
    staged = _uploaded(client_as("operator", organisation="MAG"), path)
    assert staged["errors"] == 0, staged["findings"]
    kept = session.execute(
        text(
            "SELECT row_number, record->'_attributes' FROM submission_feature"
            " WHERE submission_id = :s ORDER BY row_number"
        ),
        {"s": staged["id"]},
    ).all()
    assert [tuple(r) for r in kept] == [
        (1, {"Name": "alpha", "Name_1": "beta", "village_na": "Ban Na"}),
        (2, {"Name_1": "gamma", "village_na": "Ban Phon"}),
    ]


def test_a_revision_sent_in_the_register_shapefile_keeps_the_text_it_cut(
    seeded: None, session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    """A shapefile holds 254 bytes a text: a hazard's 851-byte note, revised in the
    register's shapefile (its status), had been recorded cut, the review saying only that
    the status changed (helper-116); GDAL reads a shapefile's text without spaces at its
    ends, and a note beginning with one had been a change (helper-118). The note is read
    as recorded, whole; one edited in the shapefile, shortened too, is recorded as edited,
    and warned of (the rest is not in the file)."""
    note, other = "ບັນທຶກ " * 45, "ຫມາຍເຫດ " * 40
    record_hazards(
        session,
        [
            NewHazard(
                "CUT-1",
                HazardStatus.SHA,
                box(102.7, 19.7, 102.71, 19.71),
                dt.date(2020, 1, 1),
                attributes={"note": note, "other": other, "spaced": " " + "y" * 300 + " "},
            )
        ],
    )
    session.flush()
    reviewer = client_as("reviewer")
    taken = reviewer.get("/api/v1/hazards.zip", params={"geometry": "boundary", "q": "CUT-1"})
    assert taken.status_code == 200, taken.text
    frame = _read_back(taken.content, "zip", tmp_path)
    assert len(frame.loc[0, "note"].encode()) <= 254 < len(note.encode())
    frame["status"] = "CHA"
    frame["revised"] = pd.Timestamp("2024-06-01")
    edited = frame.loc[0, "other"][:-30]  # shortened, in the cut text
    frame["other"] = edited
    folder = tmp_path / "edited"
    folder.mkdir()
    frame.to_file(folder / "hazards.shp", engine="pyogrio", encoding="UTF-8")
    path = tmp_path / "edited.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, part.name)
    staged = _uploaded(reviewer, path)
    assert staged["errors"] == 0, staged["findings"]
    said = {f["code"]: f for f in staged["findings"] if f["code"] in ("value_cut", "file_note")}
    assert said["value_cut"]["field"] == "other" and said["value_cut"]["row"] == 1
    notes = [f["message"] for f in staged["findings"] if f["code"] == "file_note"]
    assert (
        "2 values the shapefile cut to 254 bytes were read as recorded, whole: CUT-1's note, "
        "CUT-1's spaced"
    ) in notes
    approved = client_as("admin").post(f"/api/v1/submissions/{staged['id']}/approve")
    assert approved.status_code == 200, approved.text
    session.expire_all()
    revised = session.scalar(
        text(
            "SELECT r.attributes FROM hazard_revision r JOIN hazard h ON h.id = r.hazard_id"
            " WHERE h.reference = 'CUT-1' AND r.effective = '2024-06-01'"
        )
    )
    assert revised["note"] == note and revised["spaced"] == " " + "y" * 300 + " "
    assert revised["other"] == edited


def test_an_own_column_is_never_given_a_template_fields_shapefile_name(
    seeded: None, session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    """ "munitionsé" is cut to "munitions" (10 bytes) in a shapefile: the register's own
    shapefile, which has no estimates, had written it so, and sent back it was read as
    the template's munitions (helper-117). Every file of a register's hazards gives its
    own columns names none of its files' columns have."""
    record_hazards(
        session,
        [
            NewHazard(
                "MUNI-1",
                HazardStatus.SHA,
                box(102.7, 19.7, 102.71, 19.71),
                dt.date(2020, 1, 1),
                attributes={"munitionsé": "BLU-26:4"},
            )
        ],
    )
    session.flush()
    reviewer = client_as("reviewer")
    for geometry in ("remaining", "boundary"):
        taken = reviewer.get("/api/v1/hazards.zip", params={"geometry": geometry, "q": "MUNI-1"})
        assert taken.status_code == 200, taken.text
        frame = _read_back(taken.content, "zip", tmp_path)
        assert "munition_1" in frame.columns, list(frame.columns)
        assert geometry == "boundary" or "munitions" not in frame.columns
    path = tmp_path / "back.zip"
    path.write_bytes(taken.content)
    staged = _uploaded(reviewer, path)
    [error] = [f for f in staged["findings"] if f["severity"] == "error"]
    assert error["message"].endswith("there is nothing to record"), error
