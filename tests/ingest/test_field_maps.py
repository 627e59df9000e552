"""Mapping documents (issue 18, item 4): renames, ids from fields and the row number,
constants, value maps, one source feeding several fields, and clear errors for bad ones."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from ims.errors import InvalidRequest, InvalidUpload
from ims.ingest import field_maps, inspect, submissions
from ims.ingest.field_maps import MappingDocument, apply_mapping, jsonable, load_mapping
from ims.ingest.fields import blank

SQUARES = [box(103.1 + i / 10, 19.4, 103.11 + i / 10, 19.41) for i in range(3)]


def national(rows: list[dict[str, object]]) -> gpd.GeoDataFrame:
    """A layer as a national database exports it: its own names and codes."""
    return gpd.GeoDataFrame(rows, geometry=SQUARES[: len(rows)], crs=4326)


def records(frame: gpd.GeoDataFrame, *names: str) -> list[tuple[object, ...]]:
    """The mapped layer's rows, in the fields named (blank cells as None)."""
    columns = [[None if blank(v) else v for v in frame[n].tolist()] for n in names]
    return list(zip(*columns, strict=True))


EXPORT = [
    {"fileId": "LA-17", "typeArea": "Suspected Minefield", "village": "Ban Na"},
    {"fileId": "LA-17", "typeArea": "confirmed minefield ", "village": "Ban Phon"},
    {"fileId": None, "typeArea": "Defined Hazard", "village": "Ban Xai"},
]
DOCUMENT = {
    "fields": {"hazard_id": "{fileId}-{row}", "status": "typeArea"},
    "constants": {"recorded": "2020-01-01", "contam": "APM"},
    "values": {
        "status": {"Suspected Minefield": "SHA", "Confirmed Minefield": "CHA"},
    },
}


def test_the_issues_document_builds_ids_sets_constants_and_maps_values() -> None:
    mapping = field_maps.mapping_from_json(DOCUMENT)
    frame = apply_mapping(national(EXPORT), "hazards", mapping)
    assert records(frame, "hazard_id", "status", "recorded", "contam") == [
        ("LA-17-1", "SHA", "2020-01-01", "APM"),
        # any capitals and spaces around match a value map's key
        ("LA-17-2", "CHA", "2020-01-01", "APM"),
        # a blank field gives a blank id, never half of one; a value not listed passes
        (None, "Defined Hazard", "2020-01-01", "APM"),
    ]
    # the file's other columns are kept as the record's own attributes
    assert frame[field_maps.ATTRIBUTES][0] == {"village": "Ban Na"}
    assert frame.attrs["extra_fields"] == ["village"]


def test_a_value_map_translates_each_munition_type_in_a_list() -> None:
    """`"values": {"munitions": {"BLU26": "BLU-26"}}` matched whole cells only: "BLU26:5;
    M-42:3" stayed unknown, the mapping accepted without a word and of no use."""
    frame = national(
        [
            {"fileId": "A", "bombs": "BLU26:5; M-42:3"},
            {"fileId": "B", "bombs": "blu 97:2"},
            {"fileId": "C", "bombs": "unknown"},  # a whole cell the map lists
        ]
    )
    mapping = field_maps.mapping_from_json(
        {
            "fields": {"hazard_id": "fileId", "munitions": "bombs"},
            "values": {
                "munitions": {"BLU26": "BLU-26", "M-42": "M42", "BLU 97": "BLU-97", "unknown": None}
            },
        }
    )
    mapped = apply_mapping(frame, "hazards", mapping)
    assert records(mapped, "munitions") == [("BLU-26:5;M42:3",), ("BLU-97:2",), (None,)]


def test_a_value_map_cannot_blow_a_small_file_up() -> None:
    """A value of 5,000 characters for each "a" of "a:1;a:1;…" made a 200 KB upload a
    250 MB record and review page (an attack on our own instance)."""
    with pytest.raises(InvalidRequest, match="at most 200"):
        field_maps.mapping_from_json({"values": {"munitions": {"a": "X" * 5000}}})
    frame = national([{"fileId": "A", "bombs": ";".join(["a:1"] * 5000)}])
    mapping = field_maps.mapping_from_json(
        {
            "fields": {"hazard_id": "fileId", "munitions": "bombs"},
            "values": {"munitions": {"a": "X" * 200}},
        }
    )
    with pytest.raises(InvalidUpload, match=r"feature 1: its list of munitions .* at most 10,000"):
        apply_mapping(frame, "hazards", mapping)


def test_one_source_field_feeds_several_template_fields() -> None:
    # `--map` dropped one of them, then said the file had no such field (issue 18).
    frame = national([{"REF": "R-1", "HAZ": "H-1", "ORG": "NPA", "DONE": "2024-05-01"}])
    mapping = MappingDocument(
        fields={"release_id": "REF", "hazard_id": "HAZ", "operator": "ORG", "area_m2": "REF"}
    )
    mapped = apply_mapping(frame, "releases", mapping)
    assert records(mapped, "release_id", "area_m2", "hazard_id") == [("R-1", "R-1", "H-1")]
    twice = MappingDocument(fields={"hazard_id": "fileId", "operator": "fileId"})
    both = apply_mapping(national(EXPORT[:1]), "hazards", twice)
    assert records(both, "hazard_id", "operator") == [("LA-17", "LA-17")]


def test_row_numbers_can_be_padded_and_braces_written() -> None:
    mapping = MappingDocument(fields={"hazard_id": "{{LA}}{row:04}/{village}"})
    frame = apply_mapping(national(EXPORT), "hazards", mapping)
    assert list(frame["hazard_id"]) == ["{LA}0001/Ban Na", "{LA}0002/Ban Phon", "{LA}0003/Ban Xai"]


def test_a_field_of_the_templates_name_is_taken_unless_the_mapping_reads_it() -> None:
    frame = national([{"hazard_id": "OLD-1", "status": "SHA", "REF": "NEW-1"}])
    mapped = apply_mapping(frame, "hazards", MappingDocument(fields={"hazard_id": "REF"}))
    assert records(mapped, "hazard_id", "status") == [("NEW-1", "SHA")]
    # the file's own hazard_id is set aside (and the submission says so), not an attribute
    assert mapped.attrs["set_aside"] == ["hazard_id"]
    assert mapped[field_maps.ATTRIBUTES][0] == {}
    # a column the mapping reads is not also taken for the template field of its name
    swapped = national([{"hazard_id": "H-1", "status": "NPA"}])
    mapped = apply_mapping(swapped, "hazards", MappingDocument(fields={"operator": "status"}))
    assert "status" not in mapped.columns and list(mapped["operator"]) == ["NPA"]


@pytest.mark.parametrize("order", [("status", "Status"), ("Status", "status")])
def test_of_two_columns_named_but_for_case_the_exact_name_is_the_field(
    order: tuple[str, str],
) -> None:
    """ "Status" after "status" had been read as the status, the exact one kept as the
    hazard's own (a GIS user's review); the other is kept, under a name of its own."""
    cells = {"status": "SHA", "Status": "open"}
    frame = national(
        [{"hazard_id": "H-1", "recorded": "2020-01-01", **{k: cells[k] for k in order}}]
    )
    mapped = apply_mapping(frame, "hazards", MappingDocument())
    assert records(mapped, "status") == [("SHA",)]
    assert list(mapped[field_maps.ATTRIBUTES][0].values()) == ["open"]
    assert inspect.suggest("hazards", list(order), None)[0].fields["status"] == "status"


@pytest.mark.parametrize("shapefile", [False, True])
def test_the_upload_page_suggests_for_a_releases_register_file_what_an_upload_reads(
    shapefile: bool, tmp_path: Path
) -> None:
    """The page had suggested the register's area_m2 (the area ims counted) for the
    template's area_m2 (the operator's stated area), and no kind: sent with the page's
    mapping, the counted area was read as the stated one."""
    from ims.db.own_columns import RELEASE_COLUMNS
    from ims.queries.register_files import RELEASE_SHAPEFILE_NAMES

    names = RELEASE_SHAPEFILE_NAMES if shapefile else {c: c for c in RELEASE_COLUMNS}
    row = {
        "release_id": "R-1",
        "hazard_id": "H-1",
        "contamination": "APM",
        "method": "cleared",
        "released": "2024-02-01",
        "area_m2": 1000.5,  # counted by ims
        "outside_m2": 10.0,
        "stated_area_m2": 999.0,  # the operator's
    }
    frame = national([{names[k]: v for k, v in row.items()}])
    suggested, origin = inspect.suggest("releases", [str(c) for c in frame.columns[:-1]], None)
    assert suggested.fields["area_m2"] == names["stated_area_m2"]
    assert origin["area_m2"] == "register" and origin["release_id"] == "name"
    assert suggested.fields["contam"] == names["contamination"]
    for mapping in (suggested, MappingDocument()):  # the page's, and none (ims import)
        mapped = apply_mapping(frame, "releases", mapping)
        assert records(mapped, "area_m2", "contam") == [(999.0, "APM")]
        assert not {"area_m2", "outside_m2"} & set(mapped[field_maps.ATTRIBUTES][0])
        # its area_m2 said with the figures ims computes, not "set aside"
        assert names["area_m2"] in mapped.attrs["computed_fields"], mapping
        assert mapped.attrs["set_aside"] == [], mapping
    # the page says which columns are figures computed again, not kept (it had said kept)
    path = tmp_path / "releases.gpkg"
    frame.to_file(path, layer="releases", driver="GPKG")
    found = inspect.inspect_upload(path, kind="releases")
    assert set(found.computed) == {names["area_m2"], names["outside_m2"]}


def test_map_renames_become_the_documents_fields() -> None:
    renames = field_maps.parse_field_map("hazard_id=HAZ_REF,recorded=DATE_REC")
    document = MappingDocument(constants={"recorded": "2020-01-01"}).with_fields(renames)
    assert document.as_json() == {
        "fields": {"hazard_id": "HAZ_REF", "recorded": "DATE_REC"},
        "constants": {},  # --map recorded=… replaces the constant
        "values": {},
    }
    assert document.text() == '{"fields": {"hazard_id": "HAZ_REF", "recorded": "DATE_REC"}}'


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"fields": {"hazard_id": "fileId"', "is not JSON: Expecting ',' delimiter at line 1"),
        ('["hazard_id"]', "a mapping is a JSON object"),
        ('{"hazard_id": "fileId"}', 'a rename goes in "fields"'),
        ('{"renames": {}}', "its parts are fields, constants, values, dates and crs"),
        ('{"fields": {"hazard_id": 7}}', "must name a field of the file or a pattern"),
        ('{"fields": ["hazard_id"]}', "fields must be a JSON object"),
        ('{"constants": {"recorded": ["2020"]}}', "must be text or a number"),
        ('{"values": {"status": "SHA"}}', "values.status must be a JSON object"),
    ],
)
def test_a_document_that_is_not_a_mapping_is_a_clear_error(text: str, says: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        load_mapping(text, where="--mapping m.json")
    assert refused.value.detail.startswith("--mapping m.json")
    assert says in refused.value.detail


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ({"fields": {"hazard_ref": "X"}}, "fields name hazard_ref, which the hazards template"),
        ({"constants": {"date": "2020-01-01"}}, "constants name date"),
        ({"values": {"typeArea": {"x": "SHA"}}}, "values are keyed by the template field"),
        ({"fields": {"recorded": "D"}, "constants": {"recorded": "2020-01-01"}}, "keep one"),
        ({"constants": {"recorded": "01/02/2020"}}, "constants.recorded: '01/02/2020' is not a"),
        ({"constants": {"contam": "mines"}}, "unknown contamination kind 'mines'"),
        ({"values": {"status": {"Minefield": "SHX"}}}, "unknown hazard status 'SHX'"),
        ({"values": {"status": {"sha ": "SHA", "SHA": "CHA"}}}, "match the same values"),
        ({"fields": {"hazard_id": "{fileId"}}, "is not a pattern"),
        ({"fields": {"hazard_id": "{fileId!r}"}}, "braces hold a field name or row"),
        ({"fields": {"hazard_id": "{}"}}, "braces hold a field name or row"),
        # a width or precision of any size made every feature a string that long
        ({"fields": {"hazard_id": "{row:0>150000000}"}}, "at most 32 characters wide"),
        ({"fields": {"hazard_id": "{fileId:.999999999f}"}}, "with at most 15 decimals"),
        ({"fields": {"hazard_id": "{row:{width}}"}}, "is not a format this mapping can use"),
    ],
)
def test_a_mapping_that_cannot_suit_the_template_names_what_is_wrong(
    document: dict[str, object], says: str
) -> None:
    mapping = field_maps.mapping_from_json(document)
    with pytest.raises(InvalidRequest) as refused:
        mapping.check("hazards")
    assert says in refused.value.detail


def test_a_missing_source_field_names_the_mapping_and_the_files_fields() -> None:
    mapping = MappingDocument(fields={"hazard_id": "{fileNo}-{row}", "status": "kind"})
    with pytest.raises(InvalidUpload) as refused:
        apply_mapping(national(EXPORT), "hazards", mapping)
    detail = refused.value.detail
    assert "hazard_id={fileNo}-{row}, status=kind" in detail
    assert "no field 'fileNo' or 'kind'" in detail and "fileId, typeArea, village" in detail
    with pytest.raises(InvalidUpload, match=r"no hazard_id field.*--mapping file"):
        apply_mapping(national(EXPORT), "hazards", MappingDocument(fields={"status": "typeArea"}))


def test_a_value_that_cannot_fill_a_pattern_is_an_error_naming_the_feature() -> None:
    mapping = MappingDocument(fields={"hazard_id": "{village:05d}"})
    with pytest.raises(InvalidRequest, match="feature 1: 'Ban Na' cannot be written"):
        apply_mapping(national(EXPORT), "hazards", mapping)


def test_a_mapping_file_is_read_and_a_missing_one_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "npa.json"
    path.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    assert field_maps.read_mapping_file(path).as_json() == DOCUMENT
    with pytest.raises(InvalidRequest, match="no such file"):
        field_maps.read_mapping_file(tmp_path / "none.json")


def test_stored_mappings_of_before_documents_read_as_their_fields() -> None:
    old = field_maps.from_stored({"hazard_id": "HAZ_REF"})
    assert old == MappingDocument(fields={"hazard_id": "HAZ_REF"})
    assert field_maps.from_stored(DOCUMENT).as_json() == DOCUMENT
    assert not field_maps.from_stored(None)


def test_fits_asks_for_every_field_the_mapping_reads() -> None:
    mapping = field_maps.mapping_from_json(DOCUMENT)
    assert field_maps.fits(national(EXPORT), mapping)
    assert mapping.sources() == ["fileId", "typeArea"]
    assert not field_maps.fits(national([{"fileId": "X"}]), mapping)


def test_a_cell_is_kept_as_json_as_the_file_gives_it() -> None:
    """Blanks become null, whole numbers integers, dates ISO text; text is kept as written
    (the common cases take a shorter path: a national file has millions of cells)."""
    assert [jsonable(v) for v in ("", "  ", "nan", "NaT", "None", None, float("nan"))] == [None] * 7
    assert jsonable(" Ban Na ") == " Ban Na " and jsonable("ບ້ານ") == "ບ້ານ"
    assert jsonable(3.0) == 3 and type(jsonable(3.0)) is int and jsonable(2.5) == 2.5
    assert jsonable(dt.date(2024, 3, 1)) == "2024-03-01" and jsonable(True) is True
    assert jsonable({"n": 4.0, 1: [" ", 7]}) == {"n": 4, "1": [None, 7]}


def test_staged_rows_are_json_even_where_the_fast_writer_refuses() -> None:
    row = {"n": 2**70, "name": "ບ້ານ ນາໂພ", "area_m2": 7037.5, "none": None}
    assert json.loads(submissions._json(row)) == row  # beyond 64 bits: json writes it
    assert json.loads(submissions._json({**row, "n": 12})) == {**row, "n": 12}


def test_staged_rows_read_back_keep_integers_beyond_64_bits() -> None:
    row = {"n": 2**70, "name": "ບ້ານ ນາໂພ", "area_m2": 7037.5, "small": 12}
    assert submissions._loads(submissions._json(row)) == row
    assert type(submissions._loads(submissions._json(row))["n"]) is int
    assert submissions._loads('{"n": 3, "x": [1.5, null]}') == {"n": 3, "x": [1.5, None]}


def test_own_columns_lose_control_characters_and_a_file_of_too_many_is_refused() -> None:
    # A column named "col\x02x" was kept so, and no file format could name it; 1,500 own
    # columns made every page of the OGC API ten times larger.
    frame = national(
        [{"fileId": "LA-1", "col\x02x": "a", "colx": "b", "\x07": "c", "status\x01": "d"}]
    )
    mapping = MappingDocument(fields={"hazard_id": "fileId"})
    mapped = apply_mapping(frame, "hazards", mapping)
    # "colx" and the template's "status" are taken: the cleaned names are numbered
    assert mapped.attrs["extra_fields"] == ["colx_2", "colx", "column", "status_2"]
    assert mapped[field_maps.ATTRIBUTES].iloc[0] == {
        "colx_2": "a",
        "colx": "b",
        "column": "c",
        "status_2": "d",
    }
    wide = national([{"fileId": "LA-1", **{f"c{i}": i for i in range(201)}}])
    with pytest.raises(InvalidUpload, match="201 columns that are not fields of the template"):
        apply_mapping(wide, "hazards", mapping)
    at_most = national([{"fileId": "LA-1", **{f"c{i}": i for i in range(200)}}])
    assert len(apply_mapping(at_most, "hazards", mapping).attrs["extra_fields"]) == 200


def test_a_value_longer_than_a_spreadsheet_cell_in_an_own_column_is_refused_by_feature() -> None:
    # helper-128: 100 kB of GeoPackage had made own values of 20 million characters, each
    # shown whole in the review (a page of 60 MB)
    mapping = MappingDocument(fields={"hazard_id": "fileId"})
    longest = "x" * field_maps.OWN_VALUE_MAX
    kept = apply_mapping(
        national([{"fileId": "LA-1", "Remarks": longest}, {"fileId": "LA-2"}]), "hazards", mapping
    )
    assert kept[field_maps.ATTRIBUTES].iloc[0] == {"Remarks": longest}
    frame = national([{"fileId": "LA-1", "Remarks": "ok"}, {"fileId": "LA-2", "Remarks": "xy"}])
    frame.loc[1, "Remarks"] = longest + "y"
    with pytest.raises(InvalidUpload) as refused:
        apply_mapping(frame, "hazards", mapping)
    assert refused.value.detail.startswith(
        "feature 2: its 'Remarks' is 32,768 characters long; a column of the file's own keeps "
        "at most 32,767"
    )
    # a GeoJSON property's array: ["ab", "ab", …]
    listed = national([{"fileId": "LA-1", "tags": ["ab"] * 10_000}])
    with pytest.raises(InvalidUpload, match="feature 1: its 'tags' is 60,000 characters long"):
        apply_mapping(listed, "hazards", mapping)
    many = national([{"fileId": "LA-1", **{f"note {i}": longest for i in range(4)}}])
    with pytest.raises(InvalidUpload) as refused:
        apply_mapping(many, "hazards", mapping)
    assert refused.value.detail.startswith(
        "feature 1: the values of the file's own columns, with their names, are 131,092 "
        "characters long together; ims keeps at most 100,000 a feature"
    )


def test_own_column_names_and_template_fields_are_bounded() -> None:
    # helper-130: 190 own columns named in 10,000 characters each (every record holds the
    # names), a megabyte in a template field, quoted whole in its finding, and a pattern
    # repeating a column 14,000 times in each feature's status
    mapping = MappingDocument(fields={"hazard_id": "fileId"})
    named = national([{"fileId": "LA-1", "n" * 257: "a"}])
    with pytest.raises(InvalidUpload, match="has a name of 257 characters; ims keeps"):
        apply_mapping(named, "hazards", mapping)
    named = national([{"fileId": "LA-1", **{f"{i:03}" + "n" * 250: "a" for i in range(40)}}])
    with pytest.raises(InvalidUpload, match="40 columns of its own are 10,120 characters"):
        apply_mapping(named, "hazards", mapping)
    at_most = national([{"fileId": "LA-1", **{f"{i:02}" + "n" * 254: "a" for i in range(39)}}])
    assert len(apply_mapping(at_most, "hazards", mapping).attrs["extra_fields"]) == 39
    status = national([{"fileId": "LA-1", "typeArea": "SHA"}, {"fileId": "LA-2", "typeArea": "S"}])
    status.loc[1, "typeArea"] = "S" * 1001
    with pytest.raises(InvalidUpload, match="feature 2: its status is 1,001 characters long"):
        apply_mapping(
            status, "hazards", MappingDocument(fields={**mapping.fields, "status": "typeArea"})
        )
    # a GeoPackage's BLOB (bytes), as Python writes it: b'\\x00\\x00…', four characters a byte
    blob = national([{"fileId": "LA-1", "typeArea": "SHA"}])
    blob["typeArea"] = [b"\x00" * 300]
    with pytest.raises(InvalidUpload, match="feature 1: its status is 1,203 characters long"):
        apply_mapping(
            blob, "hazards", MappingDocument(fields={**mapping.fields, "status": "typeArea"})
        )
    repeated = MappingDocument(fields={**mapping.fields, "status": "{typeArea}" * 400})
    with pytest.raises(InvalidRequest, match="feature 1: it makes a value of 1,200 characters"):
        apply_mapping(status, "hazards", repeated)


def test_an_own_column_empty_in_every_feature_is_neither_kept_nor_counted_nor_named() -> None:
    """A register file sent back holds every own column of the register, most of them
    empty: they were counted against the 200 a file keeps (helper-114), and an empty one
    still took its name from another (helper-115: "Vil\x01lage" became "Village_2")."""
    rows = [
        {"fileId": f"LA-{k}", "Village": None, "Vil\x01lage": "Ban Na", "zero": 0} for k in range(2)
    ]
    frame = national(rows).assign(**{f"blank{i}": ["", " "] for i in range(250)})
    mapped = apply_mapping(frame, "hazards", MappingDocument(fields={"hazard_id": "fileId"}))
    assert mapped.attrs["extra_fields"] == ["Village", "zero"]  # a 0 is a value
    assert mapped.attrs["empty_fields"] == ["Village", *(f"blank{i}" for i in range(250))]
    assert mapped[field_maps.ATTRIBUTES].iloc[0] == {"Village": "Ban Na", "zero": 0}


def test_a_date_cell_reads_as_a_date_and_a_time_is_kept() -> None:
    """Date cells showed as 2018-03-15T00:00:00 among the mapping step's samples (found
    by a walk-through migrating legacy data)."""
    import pandas as pd

    assert jsonable(pd.Timestamp("2018-03-15")) == "2018-03-15"
    assert jsonable(dt.datetime(2018, 3, 15)) == "2018-03-15"
    assert jsonable(dt.datetime(2018, 3, 15, 10, 30)) == "2018-03-15T10:30:00"
    assert jsonable(dt.date(2018, 3, 15)) == "2018-03-15"


def test_dates_are_read_in_the_order_the_mapping_gives() -> None:
    cells = ["31/03/2024", "01.02.2024", "12-11-2024", "2024-05-06", "15/03/2024 10:30",
             "31/02/2024", "not a date", None]  # fmt: skip
    frame = gpd.GeoDataFrame(
        {"fileId": [f"D-{i}" for i in range(len(cells))], "day": cells},
        geometry=[box(103.1 + i / 10, 19.4, 103.11 + i / 10, 19.41) for i in range(len(cells))],
        crs=4326,
    )
    day_first = field_maps.mapping_from_json(
        {"fields": {"hazard_id": "fileId", "recorded": "day"}, "dates": "day-first"}
    )
    got = [c for (c,) in records(apply_mapping(frame, "hazards", day_first), "recorded")]
    assert got == [
        "2024-03-31",
        "2024-02-01",
        "2024-11-12",
        "2024-05-06",  # ISO is read whatever the mapping says
        "2024-03-15",
        "31/02/2024",  # no such day: left as it is, for validation to refuse
        "not a date",
        None,
    ]
    month_first = MappingDocument({"hazard_id": "fileId", "recorded": "day"}, dates="month-first")
    without_days = frame[~frame["day"].isin(["31/03/2024", "15/03/2024 10:30", "31/02/2024"])]
    got = [c for (c,) in records(apply_mapping(without_days, "hazards", month_first), "recorded")]
    assert got[:3] == ["2024-01-02", "2024-12-11", "2024-05-06"]
    # a constant is ISO, whatever the file's cells are
    constant = MappingDocument({"hazard_id": "fileId"}, {"recorded": "2020-01-02"}, {}, "day-first")
    assert {c for (c,) in records(apply_mapping(frame, "hazards", constant), "recorded")} == {
        "2020-01-02"
    }


def test_a_date_order_is_part_of_the_document_and_checked() -> None:
    document = {"fields": {"hazard_id": "fileId"}, "dates": "day-first"}
    mapping = field_maps.mapping_from_json(document)
    assert mapping.dates == "day-first" and bool(MappingDocument(dates="month-first"))
    assert mapping.as_json() == {**document, "constants": {}, "values": {}}
    assert field_maps.from_stored(mapping.as_json()) == mapping
    assert json.loads(mapping.text()) == document
    assert "dates" not in MappingDocument({"hazard_id": "fileId"}).as_json()
    with pytest.raises(InvalidRequest, match="dates is 'dd/mm/yyyy': it is \"day-first\""):
        field_maps.mapping_from_json({"dates": "dd/mm/yyyy"})
    with pytest.raises(InvalidRequest, match="parts are fields, constants, values, dates and crs"):
        field_maps.mapping_from_json({"date": "day-first"})


def test_a_day_first_date_without_the_order_is_refused_with_how_to_give_it() -> None:
    from ims.ingest.fields import parse_date

    with pytest.raises(InvalidRequest) as refused:
        parse_date("03/04/2024", where="feature 1, recorded")
    message = refused.value.detail
    assert message.startswith("feature 1, recorded: '03/04/2024' is not a date ims reads")
    assert '"dates": "day-first"' in message and "--dates day-first" in message
    with pytest.raises(InvalidRequest, match=r"'tomorrow' is not a date \(use YYYY-MM-DD\)"):
        parse_date("tomorrow", where="feature 1, recorded")
    assert parse_date("2024/03/31", where="x") == dt.date(2024, 3, 31)  # the year first


@pytest.mark.parametrize(
    ("cells", "order"),
    [
        (["01/02/2024", "31/03/2024"], "day-first"),  # a day over 12 shows it
        (["01/02/2024", "03/31/2024"], "month-first"),
        (["01/02/2024", "03/04/2024"], None),  # either: not guessed
        (["31/03/2024", "03/31/2024"], None),  # both: the file disagrees with itself
        (["2024-03-31"], None),
    ],
)
def test_the_date_order_is_suggested_where_the_cells_show_it(
    cells: list[str], order: str | None
) -> None:
    from ims.ingest.inspect import Column, cells_date_order, date_order

    assert cells_date_order(cells) == order
    columns = [Column("REF", [], None), Column("found", cells, None, cells_date_order(cells))]
    suggested = MappingDocument({"hazard_id": "REF", "recorded": "found"})
    assert date_order("hazards", suggested, columns) == order
    # a column no date field reads from says nothing of the file's dates
    assert date_order("hazards", MappingDocument({"hazard_id": "found"}), columns) is None


def test_an_order_the_files_dates_contradict_refuses_the_file() -> None:
    """A remembered "day-first" met a file written month first: its 03/31/2024 were
    errors, but its 04/01/2024 would have been read as 4 January without a word (an
    attack on our own instance)."""
    frame = gpd.GeoDataFrame(
        {"fileId": ["A", "B"], "day": ["04/01/2024", "03/31/2024"]},
        geometry=SQUARES[:2],
        crs=4326,
    )
    mapping = MappingDocument({"hazard_id": "fileId", "recorded": "day"}, dates="day-first")
    with pytest.raises(InvalidUpload) as refused:
        apply_mapping(frame, "hazards", mapping)
    assert refused.value.detail == (
        "the field mapping reads dates with the day first, but recorded of feature 2 is "
        "'03/31/2024', which can only be read the other way: say \"month-first\" for this "
        'file (the upload page\'s "Dates in the file", --dates month-first), or correct its '
        "dates"
    )
    month_first = MappingDocument({"hazard_id": "fileId", "recorded": "day"}, dates="month-first")
    read = apply_mapping(frame, "hazards", month_first)
    assert [c for (c,) in records(read, "recorded")] == ["2024-04-01", "2024-03-31"]
    # a blank order, as a form's first choice sends it, is the year first
    assert field_maps.mapping_from_json({"dates": ""}).dates is None


@pytest.mark.parametrize(
    ("cell", "says"),
    [
        (
            "31/02/2024",
            "(with the day first it names no day; with the month first it names no day)",
        ),
        ("3/30/2024 2:30 PM", "with the month first it is 2024-03-30"),
        ("31/03/24", "gives the year in two digits"),
        # a day-first file's typo had been told to write the year first
        ("01/06/20251", "'01/06/20251' is not a date: its year, 20251, has 5 digits"),
    ],
)
def test_a_date_not_read_says_what_it_would_be_either_way(cell: str, says: str) -> None:
    from ims.ingest.fields import parse_date, reorder_date

    with pytest.raises(InvalidRequest) as refused:
        parse_date(cell, where="feature 1, recorded")
    assert says in refused.value.detail
    if cell.endswith("PM"):  # a spreadsheet's time after it: read, the time left out
        assert reorder_date(cell, "month-first") == "2024-03-30"


def test_the_files_dates_are_suggested_over_a_remembered_order_they_contradict(
    tmp_path: Path,
) -> None:
    from ims.ingest.inspect import inspect_upload

    path = tmp_path / "month-first.csv"
    path.write_text(
        f'hazard_id,status,recorded,wkt\nM-1,SHA,03/31/2024,"{SQUARES[0].wkt}"\n',
        encoding="utf-8",
    )
    remembered = field_maps.Remembered(
        "MAG", "hazards", MappingDocument(dates="day-first"), dt.datetime(2026, 1, 1)
    )
    found = inspect_upload(path, kind="hazards", remembered=[remembered])
    assert found.suggested.dates == "month-first"
    assert found.suggested_from["dates"] == "cells"


def test_a_mapping_reads_in_words_a_line_a_part_in_the_templates_order() -> None:
    """The review and upload pages showed the mapping's JSON to people who do not read it."""
    mapping = MappingDocument(
        fields={"status": "TYPE", "hazard_id": "{fileId}-{row:04}"},
        constants={"contam": "APM"},
        values={"status": {"Suspected Minefield": "SHA", "unknown": None}},
        dates="month-first",
    )
    assert mapping.lines() == [
        "hazard_id: made as {fileId}-{row:04}",
        "status: the file's column TYPE",
        "contam: APM for every feature",
        "status: the file's values read “Suspected Minefield” as SHA; “unknown” as nothing",
        "dates: month first (12/31/2024)",
    ]
    assert MappingDocument().lines() == []
