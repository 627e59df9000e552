"""Tables read as layers: field-collection exports without a field map, coordinates, WKT."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import openpyxl.styles
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon

from ims.errors import InvalidUpload
from ims.ingest.forms import xlsform
from ims.ingest.reader import read_upload
from ims.ingest.tables import GEOMETRY_UNREAD, RECORD_ID, read_table

GEOSHAPE = "19.40 103.10 210 5;19.40 103.11 210 5;19.41 103.11 0 0;19.40 103.10 210 5"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_prefix_is_not_taken_off_where_a_column_of_the_file_has_that_name(
    tmp_path: Path,
) -> None:
    """A column "Remarks: status" beside "status" made two columns "status" and the upload
    ended in an unexpected error; "Date Surveyed (dd/mm/yyyy)" was offered as "yyyy)" (a
    review as a data manager)."""
    path = write(
        tmp_path,
        "legacy.csv",
        "hazard_id,Remarks: status,status,Date Surveyed (dd/mm/yyyy),WKT\n"
        'H-1,CHA after TS,SHA,03/02/2024,"POLYGON((103.1 19.4,103.11 19.4,103.11 19.41,'
        '103.1 19.4))"\n',
    )
    frame = read_table(path).frame
    assert list(frame.columns) == [
        "hazard_id",
        "Remarks: status",
        "status",
        "Date Surveyed (dd/mm/yyyy)",
        "geometry",
    ]
    assert (frame.loc[0, "status"], frame.loc[0, "Remarks: status"]) == ("SHA", "CHA after TS")


def test_a_name_with_a_slash_is_a_name_where_its_prefix_is_no_forms_group(tmp_path: Path) -> None:
    """A form's groups are names without spaces: "Team A/B" and "Area m2/ha" had been read
    as "B" and "ha" without a word (helper-117); nor in capitals: "AP/AT" had been "AT";
    nor words of three letters at most: "Ap/At" and "n/a" had been "At" and "a"
    (helper-119), "Lat/Lon" its longitude (helper-120). "survey/village" is still
    "village"."""
    path = write(
        tmp_path,
        "names.csv",
        "hazard_id,Team A/B,Area m2/ha,survey/village,AP/AT,SURVEY/OPERATOR,Ap/At,n/a,Lat/Lon,"
        "gps/lat,WKT\nH-1,A,2.5,Ban Na,AP,MAG,At,1,19.7 / 103.8,19.7,"
        '"POLYGON((103.1 19.4,103.11 19.4,103.11 19.41,103.1 19.4))"\n',
    )
    frame = read_table(path).frame
    assert list(frame.columns) == [
        "hazard_id",
        "Team A/B",
        "Area m2/ha",
        "village",
        "AP/AT",  # also beside a template field in a group (helper-119)
        "OPERATOR",
        "Ap/At",
        "n/a",
        "Lat/Lon",  # not its longitude (helper-120)
        "lat",  # a form's group, and a name ims knows: a latitude (helper-121)
        "geometry",
    ]


def test_named_or_unmistakable_geometry_wins_over_a_column_guessed_to_be_points(
    tmp_path: Path,
) -> None:
    """Phone numbers read as a form's points ("20 55 12 34": latitude 20, longitude 55) had
    been taken over the file's lat and lon columns, and over a column of WKT polygons
    named "Shape" (helper-118); a label "Remark: operator" had become the template's
    operator (no form's group is followed by a space)."""
    square = '"POLYGON((103.1 19.4,103.11 19.4,103.11 19.41,103.1 19.4))"'
    points = write(tmp_path, "p.csv", "hazard_id,Phone,lat,lon\nH-1,20 55 12 34,19.4,103.1\n")
    assert read_table(points).frame.geometry.iloc[0].equals(Point(103.1, 19.4))
    shaped = write(tmp_path, "s.csv", f"hazard_id,Phone,Shape\nH-1,20 55 12 34,{square}\n")
    assert read_table(shaped).frame.geometry.iloc[0].geom_type == "Polygon"
    header = "hazard_id,Remark: operator,survey:status,wkt"
    labelled = write(tmp_path, "l.csv", f"{header}\nH-1,Team 2,SHA,{square}\n")
    assert list(read_table(labelled).frame.columns) == [
        "hazard_id",
        "Remark: operator",
        "status",
        "geometry",
    ]


def test_a_kobo_export_loses_group_prefixes_and_meta_columns_and_keeps_the_record_id(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        "kobo.csv",
        "start;end;today;deviceid;survey/hazard_id;survey:status;grp-recorded;survey/boundary;"
        "_id;_uuid;_submission_time;_validation_status;_status;_submitted_by;__version__;_index\n"
        "2024-01-01T10:00;2024-01-01T11:00;2024-01-01;dev1;H-1;SHA;2024-01-01;"
        '"19.40 103.10 210 5;19.40 103.11 210 5;19.41 103.11 0 0;19.40 103.10 210 5";'
        "7;abc-123;2024-01-01T11:05;;submitted_via_web;;vXYZ;1\n",
    )
    table = read_table(path)
    frame = table.frame
    assert list(frame.columns) == ["hazard_id", "status", "recorded", RECORD_ID, "geometry"]
    assert frame.loc[0, RECORD_ID] == "abc-123"
    (geom,) = frame.geometry
    # latitude first in the file: x is the longitude
    assert geom.equals(Polygon([(103.10, 19.40), (103.11, 19.40), (103.11, 19.41)]))
    assert "_submission_time" in table.notes[0]


def test_an_odk_central_export_drops_its_columns_after_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "odk.csv",
        "SubmissionDate,report-hazard_id,report-status,report-route,meta-instanceID,KEY,"
        "SubmitterID,SubmitterName,AttachmentsPresent,AttachmentsExpected,Status,ReviewState,"
        "DeviceID,Edits,FormVersion\n"
        "2024-01-01,H-2,CHA,19.1 103.1 0 0;19.2 103.2 0 0,uuid:9f,uuid:9f,5,Ann,0,0,,,d1,0,1\n",
    )
    frame = read_table(path).frame
    # ODK Central's own Status column does not stand in for the hazard's status
    assert frame.loc[0, "status"] == "CHA"
    assert frame.loc[0, RECORD_ID] == "9f"
    assert isinstance(frame.geometry[0], LineString)  # a geotrace
    assert "Status" not in frame.columns and "KEY" not in frame.columns


def test_an_odk_central_edit_keeps_its_submissions_key_as_its_record(tmp_path: Path) -> None:
    """helper-132: an edited submission in ODK Central has a new meta-instanceID and keeps
    its KEY (the instance id it was first sent with): read by its meta-instanceID, the
    edited record had been another record naming a reference already recorded."""
    path = write(
        tmp_path,
        "odk.csv",
        "SubmissionDate,report-hazard_id,report-status,report-route,meta-instanceID,KEY,"
        "SubmitterID,SubmitterName,AttachmentsPresent,AttachmentsExpected,Status,ReviewState,"
        "DeviceID,Edits,FormVersion\n"
        "2024-01-01,H-2,CHA,19.1 103.1 0 0;19.2 103.2 0 0,uuid:e2,uuid:9f,5,Ann,0,0,,edited,"
        "d1,1,1\n",
    )
    assert read_table(path).frame.loc[0, RECORD_ID] == "9f"


@pytest.mark.parametrize(
    ("header", "row"),
    [
        ("lat,lon", "19.5,103.25"),
        ("Latitude;Longitude", "19.5;103.25"),
        ("Y,X", "19.5,103.25"),
        ("LAT,LNG", "19.5,103.25"),
        ("latitude,long", "19.5,103.25"),
        ("wkt", "POINT (103.25 19.5)"),
        ("the_geom", "POINT (103.25 19.5)"),
        ("geopoint", "19.5 103.25 0 0"),
    ],
)
def test_points_from_coordinate_columns_wkt_or_a_geopoint(
    tmp_path: Path, header: str, row: str
) -> None:
    sep = ";" if ";" in header else ","
    path = write(tmp_path, "points.csv", f"hazard_id{sep}{header}\nP-1{sep}{row}\n")
    frame = read_upload(path, tmp_path / "work").frame
    assert frame.crs.to_epsg() == 4326
    assert frame.geometry[0].equals(Point(103.25, 19.5))
    assert list(frame.columns) == ["hazard_id", "geometry"]


def test_a_wkt_polygon_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "wkt.csv",
        'hazard_id,geometry\nW-1,"POLYGON ((103 19, 103.1 19, 103.1 19.1, 103 19))"\n',
    )
    (geom,) = read_upload(path, tmp_path / "work").frame.geometry
    assert geom.equals(Polygon([(103, 19), (103.1, 19), (103.1, 19.1)]))


def test_a_label_point_beside_wkt_is_left_out_and_an_operators_own_point_kept(
    tmp_path: Path,
) -> None:
    """The register's CSV writes each feature's label point (lon, lat) beside its WKT; read
    back, they had become every record's own columns. A point of the operator's own (the
    team's camp, say) is not the label point and stays."""
    polygon = Polygon([(103, 19), (103.1, 19), (103.1, 19.1)])
    label = polygon.representative_point()
    wkt = f'"{polygon.wkt}"'
    ims_wrote = f"hazard_id,lon,lat,wkt\nW-1,{round(label.x, 7)},{round(label.y, 7)},{wkt}\n"
    frame = read_upload(write(tmp_path, "back.csv", ims_wrote), tmp_path / "w1").frame
    assert list(frame.columns) == ["hazard_id", "geometry"]
    own = f"hazard_id,lon,lat,wkt\nW-1,103.01,19.002,{wkt}\n"
    frame = read_upload(write(tmp_path, "own.csv", own), tmp_path / "w2").frame
    assert list(frame.columns) == ["hazard_id", "lon", "lat", "geometry"]
    assert frame.geometry[0].equals(polygon)


def test_wkt_with_z_or_m_values_is_read_in_two_dimensions_with_a_note(tmp_path: Path) -> None:
    """QGIS writes "POLYGON Z (…)" for a 3-D layer saved as CSV: staging it answered 500, the
    database refusing a Z dimension (found by an attack on our own instance)."""
    ring = [(103, 19), (103.1, 19), (103.1, 19.1), (103, 19)]
    rows = [
        ("Z-1", "POLYGON Z ((" + ", ".join(f"{x} {y} 7" for x, y in ring) + "))"),
        ("M-1", "POLYGON M ((" + ", ".join(f"{x} {y} 2" for x, y in ring) + "))"),
        ("ZM-1", "POLYGON ZM ((" + ", ".join(f"{x} {y} 7 2" for x, y in ring) + "))"),
    ]
    text = "hazard_id,wkt\n" + "".join(f'{ref},"{wkt}"\n' for ref, wkt in rows)
    read = read_upload(write(tmp_path, "z.csv", text), tmp_path / "work")
    geoms = read.frame.geometry.to_numpy()
    assert not shapely.has_z(geoms).any() and not shapely.has_m(geoms).any()
    assert all(g.equals(Polygon(ring)) for g in geoms)
    assert "Z coordinates and M values were dropped: ims keeps 2-D polygons (no Z or M)" in (
        read.warnings
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("id,lat,lon\n1,19.x,103.2\n", "feature 1, field 'lat': '19.x' is not a number"),
        ("id,lat,lon\n1,95,103.2\n", "feature 1, field 'lat': latitude 95 is outside ±90°"),
        ("id,lat,lon\n1,19.5,\n", "feature 1, field 'lon': the coordinate is missing"),
        ('id,wkt\n1,"POLYGON ((1 2, 3"\n', "feature 1, field 'wkt': not a WKT geometry"),
        ("id,boundary\n1,19.5 abc;19.6 103\n", "feature 1, field 'boundary'"),
        # helper-132: "latitude 103.119 is outside ±90°" had not said the two were swapped
        (
            "id,boundary\n1,103.119 19.32 0 0;103.12 19.32 0 0;103.12 19.33 0 0\n",
            "feature 1, field 'boundary': '103.119 19.32 0 0' gives the longitude first: a "
            "form's point is latitude then longitude ('19.32 103.119 0 0')",
        ),
        # shapely reads no curves: a 500 before (found by an attack on our own instance)
        (
            'id,wkt\n1,"CURVEPOLYGON(CIRCULARSTRING(103 19, 103.1 19.1, 103.2 19, 103 19))"\n',
            "feature 1, field 'wkt': a curved geometry",
        ),
    ],
)
def test_a_file_none_of_whose_geometries_can_be_read_is_refused_naming_the_feature_and_field(
    tmp_path: Path, text: str, fragment: str
) -> None:
    path = write(tmp_path, "bad.csv", text)
    with pytest.raises(InvalidUpload) as caught:
        read_upload(path, tmp_path / "work")
    assert fragment in caught.value.detail, caught.value.detail
    assert "Traceback" not in caught.value.detail


def test_a_column_of_wkt_under_a_name_of_its_own_is_read_as_the_polygons(
    tmp_path: Path,
) -> None:
    """A hand-kept workbook's "WKT (UTM 48N)" was refused whole before its columns could be
    matched: only wkt, geometry, geom and the_geom were read (a legacy migration's review,
    helper-99). The one column whose cells are WKT polygons is read, and said."""
    path = write(
        tmp_path,
        "legacy.csv",
        "Hazard No,WKT (UTM 48N),Village\n"
        'L-1,"POLYGON ((500000 2100000, 500100 2100000, 500100 2100100, 500000 2100000))",Ban Na\n',
    )
    read = read_upload(path, tmp_path / "work", crs="EPSG:32648")
    (geom,) = read.frame.geometry
    assert geom.geom_type == "Polygon" and 104.99 < geom.bounds[0] < 105.01
    assert "WKT (UTM 48N)" not in read.frame.columns and "Village" in read.frame.columns
    assert any("the column 'WKT (UTM 48N)' was read as the polygons" in n for n in read.warnings)
    # two such columns: which is meant is not guessed
    both = write(
        tmp_path,
        "two.csv",
        'id,a,b\n1,"POLYGON ((103 19, 103.1 19, 103.1 19.1, 103 19))",'
        '"POLYGON ((103 19, 103.2 19, 103.2 19.2, 103 19))"\n',
    )
    with pytest.raises(InvalidUpload, match="no column giving where each feature lies"):
        read_upload(both, tmp_path / "work2")


def test_a_sheets_trailing_total_row_is_left_out_and_said(tmp_path: Path) -> None:
    """A hand-kept sheet's "Total" row had become a feature with three errors (a legacy
    migration's review, helper-99). A row of a word of totals and sums alone is left out,
    from the end only; a feature whose reference is "Total" elsewhere stays one."""
    square = '"POLYGON ((103 19, 103.1 19, 103.1 19.1, 103 19))"'
    path = write(
        tmp_path,
        "sheet.csv",
        f'hazard_id,area_m2,wkt\nT-1,100,{square}\nT-2,"1,200",{square}\nTotal:,"1,300",\n',
    )
    read = read_upload(path, tmp_path / "work")
    assert list(read.frame["hazard_id"]) == ["T-1", "T-2"]
    assert any(
        "the last row ('Total:') sums up the sheet and is left out" in n for n in read.warnings
    )
    kept = write(tmp_path, "kept.csv", f"hazard_id,wkt\nTotal,{square}\nT-2,{square}\n")
    assert list(read_upload(kept, tmp_path / "work2").frame["hazard_id"]) == ["Total", "T-2"]
    # a last row with text of its own besides is a feature, whatever its first cell
    other = write(tmp_path, "other.csv", f"hazard_id,note,wkt\nT-1,a,{square}\nTotal,b,{square}\n")
    assert list(read_upload(other, tmp_path / "work3").frame["hazard_id"]) == ["T-1", "Total"]
    # a count beside the sums, as hand-kept registers write them, is a sum too (it had kept
    # the row as a feature with three errors: helper-105)
    counted = write(
        tmp_path, "counted.csv", f'hazard_id,note,wkt\nT-1,a,{square}\nTotal,"6 hazards",\n'
    )
    assert list(read_upload(counted, tmp_path / "work4").frame["hazard_id"]) == ["T-1"]
    # a column without a header whose one value was the totals row's sum goes with it: it
    # had been said "kept by its place", empty in every feature (helper-105)
    summed = write(
        tmp_path,
        "summed.csv",
        f'hazard_id,wkt,,\nT-1,{square},,x\nT-2,{square},,\nTotal,,"1,300",\n',
    )
    read = read_upload(summed, tmp_path / "work5")
    assert list(read.frame["hazard_id"]) == ["T-1", "T-2"]
    assert "column 3" not in read.frame.columns and list(read.frame["column 4"]) == ["x", ""]
    assert [n for n in read.warnings if "kept by their place" in n] == [
        "columns with values and no header were kept by their place: column 4"
    ]


def test_a_table_with_projected_coordinates_takes_the_stated_crs(tmp_path: Path) -> None:
    path = write(tmp_path, "utm.csv", "id,x,y\n1,500000,2100000\n")
    read = read_upload(path, tmp_path / "work", crs="EPSG:32648")
    point = read.frame.geometry[0]
    assert read.source_crs == "EPSG:32648"
    assert point.x == pytest.approx(105.0, abs=1e-6)
    assert 18.9 < point.y < 19.0


def test_utm_coordinates_in_a_table_without_its_crs_are_told_as_such(tmp_path: Path) -> None:
    """helper-92: x/y columns in UTM sent without --crs were told "latitude 2100000 is
    outside ±90°", which said nothing of what to do."""
    path = write(tmp_path, "utm.csv", "id,x,y\n1,500000,2100000\n")
    with pytest.raises(InvalidUpload) as refused:
        read_upload(path, tmp_path / "work")
    said = refused.value.detail
    assert "2100000, 500000 look like metres of a UTM zone (northing and easting)" in said
    assert "--crs EPSG:32648" in said and "±90" not in said


def test_an_odk_central_zip_is_read_as_its_forms_table(tmp_path: Path) -> None:
    """ODK Central's "all data" export is the form's table and one for each repeated
    group, zipped: it was refused as "no map layer", then told which table to unzip and
    send (walk-throughs as a field team leader). The form's table is read from it."""
    import zipfile

    upload = tmp_path / "ims_hazard_report.zip"
    with zipfile.ZipFile(upload, "w") as archive:
        archive.writestr(
            "ims_hazard_report.csv",
            "SubmissionDate,hazard-hazard_id,hazard-status,boundary,meta-instanceID,KEY\n"
            "2024-01-01,H-9,CHA,19.1 103.1 0 0;19.1 103.2 0 0;19.2 103.2 0 0;19.1 103.1 0 0,"
            "uuid:77,uuid:77\n",
        )
        archive.writestr(
            "ims_hazard_report-munitions_entry.csv", "munitions_type,PARENT_KEY\nBLU-26,uuid:77\n"
        )
        archive.writestr("media/1700000000.jpg", b"\xff\xd8 a photo's attachment")
    (tmp_path / "work").mkdir()
    read = read_upload(upload, tmp_path / "work")
    assert list(read.frame.columns) == ["hazard_id", "status", RECORD_ID, "geometry"]
    assert read.frame.loc[0, "hazard_id"] == "H-9" and read.frame.loc[0, RECORD_ID] == "77"
    assert read.layer == "ims_hazard_report"
    assert any(
        "ims_hazard_report-munitions_entry.csv (a repeated group) was not" in w
        for w in read.warnings
    )


def test_a_zip_of_tables_none_of_which_is_the_others_form_says_what_to_send(
    tmp_path: Path,
) -> None:
    import zipfile

    upload = tmp_path / "two.zip"
    with zipfile.ZipFile(upload, "w") as archive:
        archive.writestr("north.csv", "hazard_id,wkt\nA,\n")
        archive.writestr("south.csv", "hazard_id,wkt\nB,\n")
    (tmp_path / "work").mkdir()
    with pytest.raises(InvalidUpload, match=r"a table is read when it is sent on its own"):
        read_upload(upload, tmp_path / "work")


KOBO_FEATURE = {
    "type": "Feature",
    "geometry": {
        "type": "Polygon",
        "coordinates": [[[103.21, 19.45], [103.211, 19.45], [103.211, 19.451], [103.21, 19.45]]],
    },
    "properties": {
        "hazard/hazard_id": "MAG-XK-1",
        "hazard/status": "CHA: confirmed hazardous area",
        "hazard/recorded": "2026-11-18",
        "munitions": "BLU-26:12",
        "_id": 1000,
        "_uuid": "644152c6",
        "_submission_time": "2026-11-18T10:10:05",
        "formhub/uuid": "4f0c9e",
        "__version__": "vJx2",
    },
}


def test_a_kobo_geojson_is_read_as_its_table_would_be(tmp_path: Path) -> None:
    """KoboToolbox's GeoJSON export kept its group prefixes and its own columns, and its
    row number ``_id`` was offered as the hazards' reference (a walk-through as a field
    team leader): it is read as the same export as CSV is."""
    import json

    path = tmp_path / "kobo.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [KOBO_FEATURE]}))
    (tmp_path / "work").mkdir()
    read = read_upload(path, tmp_path / "work")
    columns = [c for c in read.frame.columns if c != "geometry"]
    assert columns == ["hazard_id", "status", "recorded", "munitions", RECORD_ID]
    row = read.frame.iloc[0]
    assert (
        row["hazard_id"] == "MAG-XK-1" and row["status"] == "CHA" and row[RECORD_ID] == "644152c6"
    )
    assert any("_id, _uuid, _submission_time" in w for w in read.warnings)


def test_a_gis_layer_keeps_columns_a_form_export_would_lose(tmp_path: Path) -> None:
    """Only a form platform's export loses its platform's columns: a surveyor's layer
    with its own "start" and "objectid" keeps them, to be mapped or kept."""
    import json

    feature = {
        **KOBO_FEATURE,
        "properties": {"hazard_id": "H-1", "start": "2024-01-01", "objectid": 4, "_id": 7},
    }
    path = tmp_path / "survey.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    (tmp_path / "work").mkdir()
    read = read_upload(path, tmp_path / "work")
    assert {"hazard_id", "start", "objectid", "_id"} <= set(read.frame.columns)


def _labels_export(tmp_path: Path, kind: str, cells: dict[str, str], group: str = "") -> Path:
    """A one-record export of ims's own form ``kind`` "with labels", as KoboToolbox writes
    it: each question's column named by its label (after ``group``'s label and a slash,
    where the questions are in one), each choice by its label."""
    book = xlsform(kind, [("BLU-26", "bomblet")], ["MAG"])
    survey = list(book["survey"].iter_rows(min_row=2, values_only=True))
    choices = {
        (row[0], row[1]): row[2] for row in book["choices"].iter_rows(min_row=2, values_only=True)
    }
    header, row = [], []
    for kind_of, name, label, *_ in survey:
        if name not in cells:
            continue
        # a calculation has no label: its name is the column
        header.append(f"{group}/{label or name}" if group else label or name)
        listed = str(kind_of).removeprefix("select_one ")
        row.append(choices.get((listed, cells[name]), cells[name]))
    header += ["_id", "_uuid"]
    row += ["1", "uuid-77"]
    return write(
        tmp_path,
        f"{kind}_labels.csv",
        ",".join(f'"{c}"' for c in header) + "\n" + ",".join(f'"{c}"' for c in row) + "\n",
    )


@pytest.mark.parametrize(
    ("kind", "cells"),
    [
        (
            "hazards",
            {
                "hazard_id": "KL-1",
                "status": "CHA",
                "contam": "CMR",
                "recorded": "2024-01-02",
                "used_from": "1968",
                "munitions": "BLU-26:4",
            },
        ),
        (
            "releases",
            {
                "release_id": "R-1",
                "hazard_id": "KL-1",
                "method": "cancelled",
                "released": "2024-03-04",
                "area_m2": "1200",
                "items": "BLU-26:2",
            },
        ),
    ],
)
def test_an_export_with_the_forms_labels_is_read_as_the_forms_questions_and_codes(
    tmp_path: Path, kind: str, cells: dict[str, str]
) -> None:
    """KoboToolbox exports "labels" as readily as "XML values and headers": such an export
    of ims's own forms had named no template field ("Hazard reference", "CHA: confirmed
    hazardous area") and needed a field map for every column and value."""
    path = _labels_export(tmp_path, kind, {**cells, "boundary": GEOSHAPE})
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert "hazard_id" not in header and "Hazard reference" in header  # named by labels
    table = read_table(path)
    frame = table.frame
    # "Status" and "Method" stay as the file names them: a field's name matches any capitals
    named = {str(c).casefold(): c for c in frame.columns}
    assert set(named) == {*cells, RECORD_ID, "geometry"}
    assert {name: frame.loc[0, named[name]] for name in cells} == cells
    assert any("Hazard reference as hazard_id" in note for note in table.notes)
    (geom,) = frame.geometry
    assert geom.equals(Polygon([(103.10, 19.40), (103.11, 19.40), (103.11, 19.41)]))


def test_a_labels_export_with_a_groups_label_is_read_as_the_forms_questions(
    tmp_path: Path,
) -> None:
    """helper-132: KoboToolbox's labels export writes a group's label before each of its
    questions' ("Hazard details/Hazard reference"): a group's name has no spaces, so the
    prefix had been kept, no field was found and the file was refused. In a platform's
    export the prefix is taken off where a name or label ims knows remains."""
    cells = {"hazard_id": "H-77", "status": "CHA", "recorded": "2024-05-01"}
    path = _labels_export(tmp_path, "hazards", {**cells, "boundary": GEOSHAPE}, "Hazard details")
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert '"Hazard details/Hazard reference"' in header
    frame = read_table(path).frame
    named = {str(c).casefold(): c for c in frame.columns}
    assert set(named) == {*cells, RECORD_ID, "geometry"}
    assert {name: frame.loc[0, named[name]] for name in cells} == cells


def test_a_column_named_as_a_label_leaves_the_fields_own_column_alone(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "both.csv",
        "hazard_id,Hazard reference,status,WKT\n"
        'H-1,old ref 7,SHA,"POLYGON((103.1 19.4,103.11 19.4,103.11 19.41,103.1 19.4))"\n',
    )
    frame = read_table(path).frame
    assert list(frame.columns) == ["hazard_id", "Hazard reference", "status", "geometry"]
    assert (frame.loc[0, "hazard_id"], frame.loc[0, "Hazard reference"]) == ("H-1", "old ref 7")


@pytest.mark.parametrize("marked", [True, False])
@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_utf16_table_as_excel_saves_unicode_text_is_read(
    tmp_path: Path, encoding: str, marked: bool
) -> None:
    """Excel's "Unicode text" is UTF-16 with a byte-order mark and tabs: read as cp1252,
    its header came out as letters between NULs and no column was recognised. Without its
    mark (an attack on our own instance), the rows' values had been blamed on commas."""
    text = (
        "hazard_id\tstatus\tVillage\tWKT\r\n"
        "U-1\tSHA\tບ້ານນາ\tPOLYGON((103.1 19.4,103.11 19.4,103.11 19.41,103.1 19.4))\r\n"
    )
    bom = "\ufeff".encode(encoding) if marked else b""
    path = tmp_path / "unicode.csv"
    path.write_bytes(bom + text.encode(encoding))
    frame = read_table(path).frame
    assert list(frame.columns) == ["hazard_id", "status", "Village", "geometry"]
    assert (frame.loc[0, "hazard_id"], frame.loc[0, "Village"]) == ("U-1", "ບ້ານນາ")


def test_a_row_longer_than_the_header_is_refused_naming_it_and_nothing_is_read(
    tmp_path: Path,
) -> None:
    """A comma in a remark not put in quotes moved the row's values one column on: pandas
    took the first row's extra value as an index and read every cell a column to the left,
    without a word."""
    path = write(
        tmp_path,
        "legacy.csv",
        "hazard_id,status,remarks,WKT\n"
        'H-1,SHA,near school, west side,"POINT(103.1 19.4)"\n'
        "\n"
        'H-2,CHA,none,"POINT(103.1 19.4)"\n'
        'H-3,CHA,a, b, c,"POINT(103.1 19.4)"\n',
    )
    with pytest.raises(InvalidUpload) as raised:
        read_table(path)
    said = str(raised.value)
    assert "the header names 4 columns" in said
    assert "feature 1 (line 2) has 5 values; feature 3 (line 5) has 6 values" in said
    assert "must be put in double quotes" in said


def test_empty_cells_after_the_last_column_are_read_as_nothing(tmp_path: Path) -> None:
    """A spreadsheet's trailing separators hold nothing to lose: the file is read."""
    path = write(
        tmp_path,
        "trailing.csv",
        'hazard_id;status;WKT\nH-1;SHA;"POINT(103.1 19.4)";;\nH-2;CHA;"POINT(103.2 19.5)";\n',
    )
    frame = read_table(path).frame
    assert frame["hazard_id"].tolist() == ["H-1", "H-2"]
    assert frame["status"].tolist() == ["SHA", "CHA"]
    assert [(p.x, p.y) for p in frame.geometry] == [(103.1, 19.4), (103.2, 19.5)]
    # on a later row only: pandas had refused the file ("Error tokenizing data")
    path.write_text('hazard_id,status,WKT\nH-1,SHA,"POINT(103.1 19.4)"\nH-2,CHA,"POINT(1 2)",\n')
    assert read_table(path).frame["status"].tolist() == ["SHA", "CHA"]


def test_a_wkt_cell_longer_than_the_csv_modules_limit_is_read(tmp_path: Path) -> None:
    ring = [(103 + i * 1e-5, 19 + (i % 2) * 1e-5) for i in range(8000)]
    polygon = Polygon([*ring, (103.05, 19.5)])
    assert len(polygon.wkt) > 131_072
    path = write(tmp_path, "big.csv", f'hazard_id,status,WKT\nH-1,SHA,"{polygon.wkt}"\n')
    frame = read_table(path).frame
    assert shapely.equals_exact(frame.geometry[0], polygon, tolerance=1e-9)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        # an old Mac's CSV, each line ended by a lone CR: the check had stopped, and the
        # long row was read a column to the left without a word
        (
            'hazard_id,status,notes,WKT\r"H-1",SHA,near school, west side,"POINT(103 19)"\r',
            "the header names 4 columns, but feature 1 (line 2) has 5 values",
        ),
        # lines of spaces alone, before the header and between rows, are passed over as
        # pandas passes over them: the features are numbered as the rest of ims numbers them
        (
            '   \nhazard_id,status,WKT\nH-1,SHA,"POINT(103 19)"\n   \nH-2,SHA,x,"POINT(103 19)"\n',
            "the header names 3 columns, but feature 2 (line 5) has 4 values",
        ),
        # a record over several lines is named by the line it begins on
        (
            'hazard_id,status,notes,WKT\nH-1,SHA,"a\nb\nc",POINT(103 19)\n'
            'H-2,SHA,"a\nb",x,POINT(103 19)\n',
            "the header names 4 columns, but feature 2 (line 5) has 5 values",
        ),
    ],
)
def test_a_long_row_is_named_by_its_feature_and_first_line(
    tmp_path: Path, text: str, said: str
) -> None:
    path = tmp_path / "legacy.csv"
    path.write_bytes(text.encode("utf-8"))
    with pytest.raises(InvalidUpload) as raised:
        read_table(path)
    assert said in str(raised.value)


def test_a_wkt_cell_nested_deeper_than_a_polygon_is_refused_before_it_is_parsed(
    tmp_path: Path,
) -> None:
    """100,000 nested GEOMETRYCOLLECTIONs (2 MB) overflowed the worker's stack in GEOS's
    parser, and 6,000 held a worker for minutes (an attack on our own instance): the
    cell is refused, naming the feature and the field, from its brackets alone."""
    deep = "GEOMETRYCOLLECTION (" * 100_000 + "POINT (103.4 19.4)" + ")" * 100_000
    path = write(tmp_path, "deep.csv", f'hazard_id,wkt\nA,"POINT (103.4 19.4)"\nB,"{deep}"\n')
    unread = read_table(path).frame.attrs[GEOMETRY_UNREAD]
    assert list(unread) == [2]
    assert "not a polygon: its brackets nest 100,001 deep" in unread[2]
    shallow = (
        "GEOMETRYCOLLECTION (MULTIPOLYGON (((103.4 19.4, 103.5 19.4, 103.5 19.5, 103.4 19.4))))"
    )
    read = read_table(write(tmp_path, "ok.csv", f'hazard_id,wkt\nC,"{shallow}"\n')).frame
    assert read.attrs[GEOMETRY_UNREAD] == {} and read.geometry[0] is not None


def test_a_forms_geo_strings_need_no_crs_and_a_wkt_column_takes_the_stated_one(
    tmp_path: Path,
) -> None:
    """An ODK export's geoshape is latitude and longitude on WGS84: the upload page had
    asked for its CRS, and a CRS chosen there would have moved it."""
    shape = "19.40 103.10 0 0;19.40 103.11 0 0;19.41 103.11 0 0;19.40 103.10 0 0"
    path = write(tmp_path, "odk.csv", f'hazard_id,boundary\nA,"{shape}"\n')
    (tmp_path / "work").mkdir()
    read = read_upload(path, tmp_path / "work", crs="EPSG:32648")
    assert not read.crs_was_stated and read.source_crs == "EPSG:4326"
    assert read.frame.geometry[0].bounds == pytest.approx((103.10, 19.40, 103.11, 19.41))
    projected = write(tmp_path, "utm.csv", 'hazard_id,WKT\nB,"POINT (500000 2150000)"\n')
    utm = read_upload(projected, tmp_path / "work", crs="EPSG:32648")
    assert utm.crs_was_stated and utm.frame.geometry[0].x == pytest.approx(105.0, abs=1e-6)


def _workbook(
    path: Path, sheets: dict[str, list[list[object]]], merged: dict[str, list[str]]
) -> Path:
    """A workbook of ``sheets`` (rows from A1; None leaves a cell empty), its ``merged``
    ranges per sheet, as a spreadsheet program saves them."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    sheet.cell(r, c, value)
        for cells in merged.get(title, []):
            sheet.merge_cells(cells)
    book.save(path)
    return path


def test_merged_cells_are_read_as_the_sheet_shows_them(tmp_path: Path) -> None:
    """helper-90: a type merged over three rows left two of them blank (recorded as the
    default, CMR), and the header "Village" merged over the English and the Lao names
    dropped the Lao names without a word. A merged range is read as its value in every
    cell it covers; a header another column has takes its place's number; a column with
    values and no header is kept by its letters; and the table may start below row 1."""
    path = _workbook(
        tmp_path / "register.xlsx",
        {
            "Hazards": [
                [],
                [None, "hazard_id", "contam", "Village", None, None, "wkt"],
                [None, "VM-01", "ERW", "Ban Na", "ບ້ານນາ", "note 1", "POINT (103.1 19.4)"],
                [None, "VM-02", None, "Ban Phon", "ບ້ານໂພນ", None, "POINT (103.2 19.4)"],
                [None, "VM-03", None, "Ban Xay", "ບ້ານໄຊ", None, "POINT (103.3 19.4)"],
            ]
        },
        {"Hazards": ["C3:C5", "D2:E2"]},
    )
    table = read_table(path)
    frame = table.frame
    assert list(frame["hazard_id"]) == ["VM-01", "VM-02", "VM-03"]
    assert list(frame["contam"]) == ["ERW", "ERW", "ERW"]
    assert list(frame["Village"]) == ["Ban Na", "Ban Phon", "Ban Xay"]
    assert list(frame["Village (2)"]) == ["ບ້ານນາ", "ບ້ານໂພນ", "ບ້ານໄຊ"]
    assert frame["column F"].iloc[0] == "note 1"
    said = " ".join(table.notes)
    assert "merged cells were read as their value in each row and column they cover: C3:C5" in said
    assert "named by their place: Village (2)" in said
    assert "kept by their place: column F" in said


def test_a_heading_centred_across_its_columns_heads_them_as_a_merged_one_does(
    tmp_path: Path,
) -> None:
    """Excel's "Center Across Selection" looks like a merged heading and is not one: the
    heading's cell and the empty cells after it are formatted alike. "Items found" so
    centred over "BLU-26", "M42" and "UXO" had left the names below read as a record and
    the columns as "column D", "column E" (helper-118); a heading centred in its own cell
    alone heads nothing."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["hazard_id", "status", "Items found", None, None, "Team", "wkt"])
    sheet.append([None, None, "BLU-26", "M42", "UXO", None, None])
    sheet.append(["TR-01", "SHA", 4, 2, 1, "A", "POINT (103.1 19.4)"])
    sheet.append(["TR-02", "SHA", 5, None, None, "B", "POINT (103.1 19.4)"])
    # "Team" centred in its own cell: not a heading; a record's value so formatted heads
    # nothing either (it had filled the empty cells beside it, helper-119)
    for cell in ("C1", "D1", "E1", "F1", "C4", "D4", "E4"):
        sheet[cell].alignment = openpyxl.styles.Alignment(horizontal="centerContinuous")
    book.save(tmp_path / "centred.xlsx")
    table = read_table(tmp_path / "centred.xlsx")
    assert list(table.frame.columns) == [
        "hazard_id",
        "status",
        "Items found BLU-26",
        "Items found M42",
        "Items found UXO",
        "Team",
        "geometry",
    ]
    assert list(table.frame["hazard_id"]) == ["TR-01", "TR-02"]
    assert list(table.frame["Items found BLU-26"]) == [4, 5]
    assert table.frame["Items found M42"].isna().tolist() == [False, True]
    assert table.frame["Items found UXO"].isna().tolist() == [False, True]
    assert table.sheet_rows == [3, 4]


@pytest.mark.parametrize("merged_down", [True, False], ids=["merged down", "blank below"])
def test_a_header_of_two_rows_names_each_column_under_its_heading(
    tmp_path: Path, merged_down: bool
) -> None:
    """A legacy register's header: "Items found" merged over three columns, each named in
    the row below; the other columns merged down over both rows (or blank below). Read
    as one row, the names below had been the first record, and the three columns "Items
    found", "Items found (2)" and "Items found (3)"."""
    point = "POINT (103.1 19.4)"
    path = _workbook(
        tmp_path / "legacy.xlsx",
        {
            "Hazards": [
                ["hazard_id", "status", "Items found", None, None, "wkt"],
                [None, None, "BLU-26", "M42", "UXO", None],
                ["TR-01", "SHA", 4, None, 1, point],
                ["TR-02", "CHA", None, 2, None, point],
            ]
        },
        {"Hazards": ["C1:E1", *(["A1:A2", "B1:B2", "F1:F2"] if merged_down else [])]},
    )
    table = read_table(path)
    frame = table.frame
    assert list(frame.columns) == [
        "hazard_id",
        "status",
        "Items found BLU-26",
        "Items found M42",
        "Items found UXO",
        "geometry",
    ]
    assert list(frame["hazard_id"]) == ["TR-01", "TR-02"]
    assert list(frame["Items found BLU-26"].fillna(0)) == [4, 0]
    said = " ".join(table.notes)
    assert (
        "rows 1–2 read as the header, row 1 heading the columns below it: 'Items found "
        "BLU-26', 'Items found M42', 'Items found UXO'"
    ) in said
    assert "merged cells were read" not in said  # the header's, not the records'
    read = read_upload(path, tmp_path, kind="hazards")
    assert read.sheet_rows == [3, 4]  # the findings' "row N of the sheet"
    # a heading over a record's two columns of one thing, records at once below: as before
    path = _workbook(
        tmp_path / "village.xlsx",
        {
            "Hazards": [
                ["hazard_id", "Village", None, "wkt"],
                ["VM-01", "Ban Na", "ບ້ານນາ", point],
            ]
        },
        {"Hazards": ["B1:C1"]},
    )
    assert list(read_table(path).frame.columns) == [
        "hazard_id",
        "Village",
        "Village (2)",
        "geometry",
    ]


def test_years_and_the_templates_names_under_a_heading_name_their_columns(
    tmp_path: Path,
) -> None:
    """Years under a heading ("Cleared m²" over 2024 and 2025) are names too, and a name
    ims reads under a heading ("recorded" under "Dates") is the template's field: each
    had been the first record, or an own column "Dates recorded" with every record's
    date missing (helper-116)."""
    path = _workbook(
        tmp_path / "years.xlsx",
        {
            "Hazards": [
                ["hazard_id", "Dates", None, "Cleared m²", None, "wkt"],
                [None, "recorded", "marked", 2024, 2025, None],
                ["TR-01", "2021-03-04", None, 1200, 800, "POINT (103.1 19.4)"],
            ]
        },
        {"Hazards": ["B1:C1", "D1:E1", "A1:A2", "F1:F2"]},
    )
    frame = read_table(path).frame
    assert list(frame.columns) == [
        "hazard_id",
        "recorded",
        "marked",
        "Cleared m² 2024",
        "Cleared m² 2025",
        "geometry",
    ]
    assert frame.loc[0, "recorded"] == "2021-03-04"


def test_a_csv_header_of_two_rows_names_each_column_under_its_heading(tmp_path: Path) -> None:
    """The two-row header of a workbook saved as CSV: the heading, then empty cells for
    the columns under it, each named in the row below. Its rows are said as a spreadsheet
    numbers them; a heading over a record's two columns, records at once below, is one
    header row, as before."""
    path = tmp_path / "legacy.csv"
    path.write_text(
        "hazard_id,status,Items found,,,wkt\n"
        ",,BLU-26,M42,UXO,\n"
        'TR-01,SHA,4,,1,"POINT (103.1 19.4)"\n'
        'TR-02,CHA,,2,,"POINT (103.2 19.4)"\n',
        encoding="utf-8",
    )
    table = read_table(path)
    assert list(table.frame.columns) == [
        "hazard_id",
        "status",
        "Items found BLU-26",
        "Items found M42",
        "Items found UXO",
        "geometry",
    ]
    assert list(table.frame["Items found UXO"]) == ["1", ""]
    assert table.sheet_rows == [3, 4]
    said = " ".join(table.notes)
    assert "rows 1–2 read as the header, row 1 heading the columns below it: 'Items found" in said
    assert "feature 1 is row 3 of the sheet" in said
    # a heading twice (pandas numbers the second "Items.1"), and a name made so that is
    # another column's: each column its own name, no traceback (helper-117)
    twice = tmp_path / "twice.csv"
    twice.write_text(
        'hazard_id,Items,,Items,,Loc AP,wkt\n,AP,AT,AP,AT,,\nH-1,1,2,3,4,5,"POINT (103.1 19.4)"\n'
    )
    assert list(read_table(twice).frame.columns) == [
        "hazard_id",
        "Items AP",
        "Items AT",
        "Items AP (2)",
        "Items AT (2)",
        "Loc AP",
        "geometry",
    ]
    village = tmp_path / "village.csv"
    village.write_text('hazard_id,Village,,wkt\nVM-01,Ban Na,ບ້ານນາ,"POINT (103.1 19.4)"\n')
    assert list(read_table(village).frame.columns) == [
        "hazard_id",
        "Village",
        "column 3",
        "geometry",
    ]


def test_a_csvs_findings_name_the_rows_a_spreadsheet_shows_past_blank_lines(
    tmp_path: Path,
) -> None:
    """A CSV with blank lines between its records, and a record whose quoted value spans
    two lines: each feature's row is the one the CSV opens at in a spreadsheet, where a
    blank line is a row and a record of two lines is one. The review had said "row 4 of
    the sheet" of a feature in row 5, counting the records pandas read."""
    square = '"POLYGON ((102 18, 102.01 18, 102.01 18.01, 102 18))"'
    path = tmp_path / "gaps.csv"
    path.write_text(
        f"hazard_id,remarks,wkt\nH1,,{square}\n\n,,\nH2,,{square}\n   \n"
        f'""\nH3,"two\nlines",{square}\nH4,,{square}\n'
    )
    table = read_table(path)
    # a row of separators alone (",,") and a quoted empty value ('""'), which pandas reads
    # as records, are blank rows too: they had been features missing every value, and the
    # second had put every row after it one short (helper-119)
    assert list(table.frame["hazard_id"]) == ["H1", "H2", "H3", "H4"]
    assert table.sheet_rows == [2, 5, 8, 9]
    assert (
        "the sheet's blank rows are left out, so feature numbers are not its rows: feature 1 "
        "is row 2; feature 2 is row 5; features 3–4 are rows 8–9" in table.notes
    )
    # a CSV without blank lines says nothing: feature N is row N + 1
    plain = tmp_path / "plain.csv"
    plain.write_text(f'hazard_id,remarks,wkt\nH1,"two\nlines",{square}\nH2,,{square}\n')
    table = read_table(plain)
    assert table.sheet_rows == [2, 3]
    assert not any("row" in note for note in table.notes)


def test_a_csv_saved_with_a_title_above_its_header_is_read_below_it(tmp_path: Path) -> None:
    """A sheet with a title above its header, saved as CSV: the title alone on the first
    line, the rest empty. The workbook was read below it; the CSV had been refused for
    having no geometry, its columns the title, "column 2", … (helper-116)."""
    point = '"POINT (103.1 19.4)"'
    path = tmp_path / "titled.csv"
    path.write_text(
        f"MAG hazard register 2026,,,\n,,,\nhazard_id,status,recorded,wkt\nT-1,SHA,2021-01-01,"
        f"{point}\nT-2,CHA,2021-01-02,{point}\n"
    )
    table = read_table(path)
    assert list(table.frame.columns) == ["hazard_id", "status", "recorded", "geometry"]
    assert list(table.frame["hazard_id"]) == ["T-1", "T-2"]
    assert table.sheet_rows == [4, 5]
    said = " ".join(table.notes)
    assert (
        "lines 1–2 above the header (line 3) read as a title and left out: "
        "'MAG hazard register 2026'"
    ) in said
    # and a header of two rows below the title
    two = tmp_path / "titled-two.csv"
    two.write_text(f"Register 2026,,,\nhazard_id,Items found,,wkt\n,AP,UXO,\nT-1,1,2,{point}\n")
    table = read_table(two)
    assert list(table.frame.columns) == [
        "hazard_id",
        "Items found AP",
        "Items found UXO",
        "geometry",
    ]
    assert table.sheet_rows == [4]
    assert "rows 2–3 read as the header, row 2 heading the columns" in " ".join(table.notes)
    # a title alone on its line, no separator after it, above a header of semicolons: it
    # had been refused, read by the title as commas (helper-119)
    bare = tmp_path / "bare.csv"
    bare.write_text(f"MAG register 2026\r\n\r\nhazard_id;status;wkt\r\nT-3;SHA;{point}\r\n")
    table = read_table(bare)
    assert list(table.frame.columns) == ["hazard_id", "status", "geometry"]
    assert table.sheet_rows == [4]
    assert (
        "lines 1–2 above the header (line 3) read as a title and left out: 'MAG register 2026'"
        in " ".join(table.notes)
    )  # line 3: the blank line counted (it had said line 2)
    # a CSV whose one named column is its only column with a name, records below: as before
    plain = tmp_path / "plain.csv"
    plain.write_text(f"wkt,,\n{point},a,b\n")
    assert list(read_table(plain).frame.columns) == ["column 2", "column 3", "geometry"]


def test_a_workbooks_sheet_is_chosen_by_its_name_and_the_others_are_said(tmp_path: Path) -> None:
    """helper-90's workbook began with a summary sheet: --layer was not read, the first
    sheet was, and its error named the summary's columns, not the sheets."""
    path = _workbook(
        tmp_path / "book.xlsx",
        {
            "Summary": [["Province", "Total"], ["XI", 3]],
            "Hazards": [["hazard_id", "wkt"], ["H1", "POINT (103.1 19.4)"]],
        },
        {},
    )
    with pytest.raises(InvalidUpload) as first:
        read_upload(path, tmp_path)
    assert "in sheet 'Summary', the first of the workbook's 2: 'Summary', 'Hazards'" in (
        first.value.detail
    )
    assert first.value.extra["layers"] == ["Summary", "Hazards"]
    read = read_upload(path, tmp_path, layer="hazards")  # as a layer's name: any capitals
    assert list(read.frame["hazard_id"]) == ["H1"]
    assert read.layer == "Hazards"
    assert any("not its other sheets ('Summary')" in n for n in read.warnings)
    with pytest.raises(InvalidUpload, match="has no sheet named 'Releases'; its sheets are"):
        read_upload(path, tmp_path, layer="Releases")


def test_a_sheets_rows_are_said_where_feature_numbers_are_not_them(tmp_path: Path) -> None:
    """Findings say "feature 12"; a data manager fixing the workbook counted rows, and a
    title above the header or blank rows between records put them elsewhere (a legacy
    migration's review, helper-99)."""
    from openpyxl import Workbook

    square = "POLYGON((103.1 19.4,103.101 19.4,103.101 19.401,103.1 19.4))"

    def book(name: str, title: bool, records: list[str | None]) -> Path:
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        top = 3 if title else 1
        if title:
            sheet["A1"] = "Hazard register 2020"
        sheet.cell(top, 1, "hazard_id")
        sheet.cell(top, 2, "wkt")
        for i, reference in enumerate(records, start=top + 1):
            if reference is not None:
                sheet.cell(i, 1, reference)
                sheet.cell(i, 2, square)
        workbook.save(tmp_path / name)
        return tmp_path / name

    plain = read_table(book("plain.xlsx", False, ["H1", "H2"]))
    assert not any("feature" in note for note in plain.notes)  # feature N is row N + 1
    titled = read_table(book("titled.xlsx", True, ["H1", "H2"]))
    assert (
        "feature numbers count the records below the header: feature 1 is row 4 of the sheet,"
        " feature N row N + 3" in titled.notes
    )
    gaps = read_table(book("gaps.xlsx", True, ["H1", "H2", None, None, "H3", None, "H4"]))
    assert list(gaps.frame["hazard_id"]) == ["H1", "H2", "H3", "H4"]
    assert (
        "the sheet's blank rows are left out, so feature numbers are not its rows: features "
        "1–2 are rows 4–5; feature 3 is row 8; feature 4 is row 10" in gaps.notes
    )


def test_a_workbooks_awkward_headers_and_sheets_are_read_without_a_name_twice(
    tmp_path: Path,
) -> None:
    """helper-92: a header three times ("Village", "Village", "Village (2)") made two
    columns "Village (2)" and ended the upload in a traceback; a chart sheet first made
    the workbook unreadable; a hidden first sheet was read; a title above the header
    was taken as the header."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart

    book = Workbook()
    chart = book.create_chartsheet("Chart", 0)
    chart.add_chart(BarChart())
    hidden = book["Sheet"]
    hidden.title = "Old"
    hidden.sheet_state = "hidden"
    hidden.append(["nothing", "here"])
    sheet = book.create_sheet("Hazards")
    sheet["A1"] = "Hazard register 2015"
    sheet.merge_cells("A1:F1")
    rows = [
        ["hazard_id", "Village", "Village", "Village (2)", "Notes", "wkt"],
        ["H1", "Ban Na", "ບ້ານນາ", "Na Tai", "x", "POINT (103.1 19.4)"],
    ]
    for r, row in enumerate(rows, start=3):
        for c, value in enumerate(row, start=1):
            sheet.cell(r, c, value)
    book.save(tmp_path / "awkward.xlsx")
    table = read_table(tmp_path / "awkward.xlsx")
    assert table.sheet == "Hazards"  # the first visible sheet of cells
    assert [c for c in table.frame.columns if c != "geometry"] == [
        "hazard_id", "Village", "Village (3)", "Village (2)", "Notes",
    ]  # fmt: skip
    assert list(table.frame["Village (3)"]) == ["ບ້ານນາ"]
    said = " ".join(table.notes)
    assert "rows 1–2 above the header (row 3) read as a title and left out: " in said
    assert "'Hazard register 2015'" in said
    assert "named by their place: Village (3)" in said
    assert "'Old'" not in said  # a hidden sheet is not offered


def test_merged_ranges_repeated_over_the_sheet_are_read_once_or_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An attack on our own instance (helper-106): the same range merged 10,000 times over
    a 2,000-row sheet cost 16.6 s to read, each range filled again, and a 75 KB workbook
    of a million would have held an upload's worker for 25 minutes. A range given again
    is filled once; ranges that overlap, which no spreadsheet program saves, are refused
    before any is filled; so many ranges of one cell are refused by their count."""
    import zipfile

    from ims.ingest import tables
    from ims.ingest.tables import _column_letters

    fills: list[tuple[int, int, int, int]] = []
    fill = tables._fill

    def counted(cells: object, top: int, left: int, bottom: int, right: int) -> None:
        fills.append((top, left, bottom, right))
        fill(cells, top, left, bottom, right)  # type: ignore[arg-type]

    monkeypatch.setattr(tables, "_fill", counted)

    rows: list[list[object]] = [
        ["hazard_id", "status", "wkt"],
        ["VM-01", "SHA", "POINT (103.1 19.4)"],
    ]
    rows += [[] for _ in range(1997)] + [[None] * 49 + ["far"]]
    plain = _workbook(tmp_path / "plain.xlsx", {"Hazards": rows}, {})

    def merged(name: str, ranges: list[str]) -> Path:
        path = tmp_path / name
        tags = "".join(f'<mergeCell ref="{r}"/>' for r in ranges).encode()
        with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
            for item in src.infolist():
                data = src.read(item.filename)
                if item.filename == "xl/worksheets/sheet1.xml":
                    data = data.replace(
                        b"</sheetData>",
                        b'</sheetData><mergeCells count="%d">' % len(ranges)
                        + tags
                        + b"</mergeCells>",
                    )
                out.writestr(item, data)
        return path

    read = read_table(merged("again.xlsx", ["D3:AX2000"] * 10_000))
    assert fills == [(2, 3, 1999, 49)]  # once, though given 10,000 times
    assert list(read.frame["hazard_id"]) == ["VM-01"]
    fills.clear()
    overlapping = [f"{_column_letters(c)}{r}:AX2000" for c in range(4, 50) for r in range(3, 220)]
    with pytest.raises(InvalidUpload, match="merged ranges overlap one another"):
        read_table(merged("overlapping.xlsx", overlapping))
    assert fills == []
    # ranges of one cell each never overlap: so many of them are refused by their count
    # (helper-109: two million had held a worker for 47 s and 1.5 GB)
    singles = [
        f"{_column_letters(c)}{r}:{_column_letters(c)}{r}"
        for c in range(4, 49)
        for r in range(3, 2003)
    ]
    with pytest.raises(InvalidUpload, match="more than 100,000 merged ranges"):
        read_table(merged("singles.xlsx", singles[:90_000] * 2))
    assert fills == []
    # ranges in the header's row reaching far past the cells read: the header's look had
    # walked each column of each (helper-130: 99,999 of them, 65 s from 255 kB); it is
    # given them cut to the cells read, each once
    looked: list[list[tuple[int, int, int, int]]] = []
    two_rows = tables._two_row_header

    def watched(grid: object, merges: list[tuple[int, int, int, int]], head: int) -> object:
        looked.append(list(merges))
        return two_rows(grid, merges, head)  # type: ignore[arg-type]

    monkeypatch.setattr(tables, "_two_row_header", watched)
    far = [f"D1:{_column_letters(c)}1" for c in range(10_000, 18_279)]  # as far as ZZZ
    read_table(merged("far.xlsx", far))
    assert looked == [[(0, 3, 0, 49)]] and fills == [(0, 3, 0, 49)]


def test_a_workbooks_text_shown_in_many_cells_is_held_to_what_excel_and_an_upload_hold(
    tmp_path: Path,
) -> None:
    """helper-106: one shared string of a million characters, shown in every row of a
    6 KB workbook, was read, stored and shown whole for each row (a review page of 3 MB
    for three rows; 500 GB for half a million). A cell holds at most what Excel lets it,
    and the cells together at most ``max_text`` characters."""
    import zipfile

    def shared(name: str, text: str, rows: int) -> Path:
        plain = _workbook(
            tmp_path / f"plain-{name}",
            {
                "Hazards": [["hazard_id", "note", "wkt"]]
                + [[f"H{r}", "x", "POINT (103.1 19.4)"] for r in range(rows)]
            },
            {},
        )
        # every "x" cell made a reference to one shared string, as Excel saves text
        path = tmp_path / name
        main = "http://schemas.openxmlformats.org"
        edits = {
            "xl/worksheets/sheet1.xml": (b't="inlineStr"><is><t>x</t></is>', b't="s"><v>0</v>'),
            "[Content_Types].xml": (
                b"</Types>",
                b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
            ),
            "xl/_rels/workbook.xml.rels": (
                b"</Relationships>",
                f'<Relationship Id="rIdShared" Type="{main}/officeDocument/2006/relationships/'
                f'sharedStrings" Target="sharedStrings.xml"/></Relationships>'.encode(),
            ),
        }
        with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
            for item in src.infolist():
                data = src.read(item.filename)
                if item.filename in edits:
                    data = data.replace(*edits[item.filename])
                out.writestr(item, data)
            out.writestr(
                "xl/sharedStrings.xml",
                f'<sst xmlns="{main}/spreadsheetml/2006/main" count="{rows}" uniqueCount="1">'
                f"<si><t>{text}</t></si></sst>",
            )
        assert path.stat().st_size < 30_000  # the text is in the file once
        return path

    with pytest.raises(
        InvalidUpload,
        match=r"cell B2 holds 1,000,000 characters, more than a cell of Excel can \(32,767\)",
    ):
        read_table(shared("long.xlsx", "y" * 1_000_000, 3))
    many = shared("many.xlsx", "z" * 30_000, 40)  # 1.2 million characters in 40 cells
    with pytest.raises(InvalidUpload, match="its cells hold more than 1 MB of text"):
        read_table(many, max_text=1024**2)
    assert list(read_table(many).frame["note"].str.len().unique()) == [30_000]
