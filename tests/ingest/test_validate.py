"""Validation findings, feature by feature (docs/design.md §4)."""

from __future__ import annotations

import datetime as dt
import math

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from ims.domain.findings import Severity
from ims.domain.geodesy import geodesic_areas
from ims.domain.geometry import invalid_in_words
from ims.ingest.validate import (
    KnownHazard,
    ValidationContext,
    _longest_edges_m,
    same_value,
    validate_hazards,
    validate_releases,
)

COUNTRY = box(100.0, 13.9, 107.7, 22.5)  # a rough Laos
CODES = {"BLU-26", "BLU-24", "M42", "MORTAR"}
TODAY = dt.date(2025, 6, 1)
BOWTIE = Polygon([(102.1, 19.6), (102.11, 19.61), (102.11, 19.6), (102.1, 19.61)])


def ctx(**kw) -> ValidationContext:  # type: ignore[no-untyped-def]
    return ValidationContext(today=TODAY, munition_codes=CODES, country=COUNTRY, **kw)


def hazards(rows: list[dict], geoms: list) -> gpd.GeoDataFrame:  # type: ignore[type-arg]
    base = {"status": "SHA", "recorded": "2020-01-01", "revised": None}
    return gpd.GeoDataFrame([{**base, **r} for r in rows], geometry=geoms, crs=4326)


def codes(result) -> list[tuple[str, int | None, str | None]]:  # type: ignore[no-untyped-def]
    return [(f.code, f.row, f.field) for f in result.findings]


def test_a_clean_feature_has_no_finding() -> None:
    frame = hazards(
        [{"hazard_id": "H1", "munitions": "BLU-26:10"}], [box(102.1, 19.6, 102.11, 19.61)]
    )
    result = validate_hazards(frame, ctx())
    assert result.findings == []
    assert result.records[0]["munitions"] == {"BLU-26": 10}


def test_bowtie_is_an_invalid_geometry_error_naming_the_feature() -> None:
    frame = hazards(
        [{"hazard_id": "H1"}, {"hazard_id": "H2"}], [box(102.1, 19.6, 102.11, 19.61), BOWTIE]
    )
    result = validate_hazards(frame, ctx())
    (finding,) = result.findings
    assert (finding.code, finding.row, finding.reference) == ("invalid_geometry", 2, "H2")
    assert finding.severity is Severity.ERROR
    # in words, where it is: GEOS's "Self-intersection[102.105 19.605]" had been the message
    assert finding.message.startswith(
        "invalid polygon: its outline crosses itself at lon 102.1050000, lat 19.6050000; "
    )
    assert result.geometries[1] is None


def test_geometry_problems_each_have_their_code() -> None:
    frame = hazards(
        [{"hazard_id": f"H{i}"} for i in range(6)],
        [
            None,
            Point(102.1, 19.6),
            Polygon([(102.1, 19.6), (102.2, 19.6), (102.1, 19.6)]),
            box(90.0, 10.0, 90.01, 10.01),
            box(19.6, 60.0, 19.61, 60.01),
            box(102.1, 19.6, 102.104, 19.60001),
        ],
    )
    found = {f.row: f.code for f in validate_hazards(frame, ctx()).findings}
    assert found[1] == "empty_geometry"
    assert found[2] == "not_polygon"
    assert found[3] == "too_few_vertices"
    assert found[4] == "outside_country"
    assert found[6] == "sliver"


def test_a_polygon_mostly_outside_the_country_is_an_error_and_a_vertex_at_nought_is_named() -> None:
    """helper-132: a form's shape with one vertex at 0,0 (a GPS without a fix) was only
    warned of (a far vertex, 96 % outside the country) and, approved, would have recorded
    440 km² across five provinces. More than half a polygon outside is an error; a
    little of one outside (a hazard at the border) stays a warning."""
    on_border = 107.7  # COUNTRY's east edge
    frame = hazards(
        [{"hazard_id": f"H{i}"} for i in range(4)],
        [
            Polygon([(103.115, 19.32), (103.1156, 19.32), (0.0, 0.0), (103.115, 19.3206)]),
            box(on_border - 0.004, 19.6, on_border + 0.006, 19.61),  # 60 % outside
            box(on_border - 0.007, 19.7, on_border + 0.003, 19.71),  # 30 % outside
            box(on_border - 0.0101, 19.8, on_border + 0.0001, 19.81),  # 1 % outside
        ],
    )
    found = {(f.row, f.code): f for f in validate_hazards(frame, ctx()).findings}
    nought = found[(1, "outside_country")]
    assert nought.severity is Severity.ERROR and nought.field == "geometry"
    assert "lies at latitude 0, longitude 0" in nought.message
    assert (1, "far_vertex") in found  # as before
    mostly = found[(2, "outside_country")]
    assert mostly.severity is Severity.ERROR
    assert mostly.message.startswith("60% of the polygon lies outside the national boundary")
    assert found[(3, "partly_outside_country")].severity is Severity.WARNING
    assert not [k for k in found if k[0] == 4]


@pytest.mark.parametrize(
    ("line", "told"),
    [
        (
            LineString([(102.1, 19.6), (102.2, 19.6), (102.1, 19.6)]),
            "an outline needs at least three distinct points, and this one has 2",
        ),
        (
            LineString([(102.1, 19.6), (102.2, 19.6), (102.2, 19.7), (102.1, 19.6)]),
            "it ends where it starts, but as a line, which has no area",
        ),
        (
            LineString([(102.1, 19.6), (102.2, 19.6), (102.2, 19.7)]),
            "an outline must end where it starts",
        ),
    ],
)
def test_a_line_is_told_what_would_make_it_an_area(line: LineString, told: str) -> None:
    """helper-132: a form's shape of two points, closed, was told "an outline must end
    where it starts", which it did."""
    (finding,) = validate_hazards(hazards([{"hazard_id": "H1"}], [line]), ctx()).findings
    assert finding.code == "not_polygon" and told in finding.message


def test_swapped_axes_are_detected() -> None:
    # A country spanning 19-20°E, 14-16°N; the feature was written as (lat, lon).
    country = box(19.0, 14.0, 20.0, 16.0)
    frame = hazards([{"hazard_id": "H1"}], [box(15.0, 19.1, 15.01, 19.11)])
    result = validate_hazards(frame, ValidationContext(TODAY, CODES, country=country))
    assert [f.code for f in result.findings] == ["axis_swapped"]
    frame = hazards([{"hazard_id": "H1"}], [box(25.0, 30.0, 25.01, 30.01)])
    result = validate_hazards(frame, ValidationContext(TODAY, CODES, country=country))
    assert [f.code for f in result.findings] == ["outside_country"]


def test_latitude_given_first_is_told_as_such() -> None:
    # "coordinates out of range after reprojection: is the declared CRS right?" had told a
    # team leader who pasted latitude first of a setting no record form has
    swapped = Polygon([(20.16, 104.62), (20.17, 104.62), (20.17, 104.63), (20.16, 104.63)])
    (finding,) = validate_hazards(hazards([{"hazard_id": "H1"}], [swapped]), ctx()).findings
    assert finding.code == "bad_coordinates" and finding.field == "geometry"
    assert "look swapped" in finding.message and "longitude then latitude" in finding.message


def test_metres_given_as_degrees_are_told_to_need_their_coordinate_system() -> None:
    """helper-90's CSV in UTM 48N, sent without its CRS, was asked "is the declared CRS
    right?", though none was declared."""
    utm = box(300_000, 2_150_000, 300_100, 2_150_100)
    (finding,) = validate_hazards(hazards([{"hazard_id": "H1"}], [utm]), ctx()).findings
    assert finding.code == "bad_coordinates" and finding.field == "geometry"
    assert "they look like metres of a UTM zone" in finding.message
    assert "--crs EPSG:32648" in finding.message and "declared" not in finding.message
    far = box(5_000_000, 2_150_000, 5_000_100, 2_150_100)  # no UTM easting
    (other,) = validate_hazards(hazards([{"hazard_id": "H1"}], [far]), ctx()).findings
    assert "UTM" not in other.message and "give the file's coordinate system" in other.message


def test_far_vertex_typo_is_a_warning() -> None:
    # one vertex typed 103.1 instead of 102.11: a long thin spike to the east
    typo = Polygon(
        [(102.1, 19.6), (102.11, 19.6), (103.1, 19.605), (102.11, 19.61), (102.1, 19.61)]
    )
    frame = hazards([{"hazard_id": "H1"}], [typo])
    found = validate_hazards(frame, ctx()).findings
    assert "far_vertex" in [f.code for f in found]
    assert all(f.severity is Severity.WARNING for f in found)


def test_attribute_errors_name_their_field() -> None:
    frame = hazards(
        [
            {
                "hazard_id": "H1",
                "status": "maybe",
                "recorded": "2020-13-45",
                "contam": "XXX",
                "munitions": "BLU26:4;M42:x",
                "used_from": 1973,
                "used_to": 1969,
            },
            {"hazard_id": None, "recorded": "2031-01-01"},
        ],
        [box(102.1, 19.6, 102.11, 19.61), box(102.2, 19.6, 102.21, 19.61)],
    )
    found = {(f.row, f.field, f.code) for f in validate_hazards(frame, ctx()).findings}
    assert (1, "status", "unknown_value") in found
    assert (1, "recorded", "bad_value") in found
    assert (1, "contam", "unknown_value") in found
    assert (1, "munitions", "bad_value") in found
    assert (1, "used_from", "bad_value") in found
    assert (2, "hazard_id", "missing_value") in found
    assert (2, "recorded", "future_date") in found


def test_unknown_munition_code_suggests_the_reference_code() -> None:
    frame = hazards(
        [{"hazard_id": "H1", "munitions": "BLU26:4"}], [box(102.1, 19.6, 102.11, 19.61)]
    )
    (finding,) = validate_hazards(frame, ctx()).findings
    assert finding.code == "unknown_munition" and "did you mean BLU-26" in finding.message


def test_a_cell_of_many_unknown_munition_codes_makes_a_few_findings() -> None:
    """helper-131: a cell of 1,296 unknown codes shared by 100 rows of a 21 kB workbook
    made 129,600 findings (a review page of 19 MB). The first five are told one by one,
    the rest in one finding; a code written twice is found by counting once."""
    codes = [f"Z{i:04}" for i in range(1296)]
    frame = hazards(
        [{"hazard_id": "H1", "munitions": ";".join(f"{c}:1" for c in [*codes, codes[0]])}],
        [box(102.1, 19.6, 102.11, 19.61)],
    )
    found = [f for f in validate_hazards(frame, ctx()).findings if f.code == "unknown_munition"]
    assert [f.message for f in found[:5]] == [
        f"unknown munition type code {c!r}" for c in codes[:5]
    ]
    assert len(found) == 6 and found[5].message == (
        "1,291 more unknown munition type codes: 'Z0005', 'Z0006', 'Z0007', 'Z0008', "
        "'Z0009' and 1,286 more"
    )


def test_a_quantity_larger_than_a_record_holds_is_an_error_on_its_field() -> None:
    # it had passed the checks and failed the approval with an internal error
    frame = hazards(
        [
            {"hazard_id": "H1", "munitions": "BLU-26:2147483647"},
            {"hazard_id": "H2", "munitions": "BLU-26:99999999999999999999"},
            {"hazard_id": "H3", "munitions": "BLU-26:2147483647;BLU-26:1"},
        ],
        [box(102.1 + i * 0.1, 19.6, 102.11 + i * 0.1, 19.61) for i in range(3)],
    )
    result = validate_hazards(frame, ctx())
    assert codes(result) == [("bad_value", 2, "munitions"), ("bad_value", 3, "munitions")]
    assert "more than a record holds (2,147,483,647)" in result.findings[0].message
    releases = gpd.GeoDataFrame(
        [
            {
                "release_id": "R1",
                "hazard_id": "H1",
                "method": "cleared",
                "released": "2024-01-01",
                "items": "M42:3000000000",
            }
        ],
        geometry=[box(102.1, 19.6, 102.11, 19.61)],
        crs=4326,
    )
    known = KnownHazard(1, dt.date(2020, 1, 1), box(102.1, 19.6, 102.11, 19.61), True)
    assert ("bad_value", 1, "items") in codes(
        validate_releases(releases, ctx(hazards={"H1": known}))
    )


def test_a_figure_of_items_out_of_the_ordinary_is_asked_about_and_counted_as_it_is() -> None:
    """``M42:1000000`` had gone into Form 1(i) without a word (an attack on our own
    instance): a warning names the figure; a clearance's usual hundreds have none."""
    hz = box(102.1, 19.6, 102.11, 19.61)
    known = {"H1": KnownHazard(1, dt.date(2020, 1, 1), hz, True)}
    rows = [("R1", "M42:1000000;BLU-26:12"), ("R2", "BLU-26:9999"), ("R3", "BLU-26:10000")]
    releases = gpd.GeoDataFrame(
        [
            {
                "release_id": ref,
                "hazard_id": "H1",
                "method": "cleared",
                "released": "2024-01-01",
                "items": items,
            }
            for ref, items in rows
        ],
        geometry=[hz] * 3,
        crs=4326,
    )
    result = validate_releases(releases, ctx(hazards=known))
    many = [f for f in result.findings if f.code == "many_items"]
    assert [(f.row, f.field, f.severity) for f in many] == [
        (1, "items", Severity.WARNING),
        (3, "items", Severity.WARNING),
    ]
    assert many[0].message.startswith("1,000,000 M42 destroyed in one release: check")
    assert result.records[0]["items"] == {"M42": 1_000_000, "BLU-26": 12}


def test_every_problem_of_a_munitions_cell_is_told_at_once_and_a_type_given_twice() -> None:
    """An unknown type beside a negative quantity was told only once the quantity was put
    right, and a type given twice was added up without a word (a new user's review)."""
    frame = hazards(
        [
            {"hazard_id": "H1", "munitions": "FOO:3;BLU-26:-4"},
            {"hazard_id": "H2", "munitions": "BLU-26:3;BLU-26:4"},
        ],
        [box(102.1 + i * 0.1, 19.6, 102.11 + i * 0.1, 19.61) for i in range(2)],
    )
    result = validate_hazards(frame, ctx())
    assert sorted(codes(result)) == [
        ("bad_value", 1, "munitions"),
        ("repeated_munition", 2, "munitions"),
        ("unknown_munition", 1, "munitions"),
    ]
    [twice] = [f for f in result.findings if f.code == "repeated_munition"]
    assert twice.severity is Severity.WARNING
    assert twice.message.startswith("BLU-26 given more than once: counted together (BLU-26:7)")
    assert result.records[1]["munitions"] == {"BLU-26": 7}


def test_a_reference_beginning_as_a_formula_is_refused_when_new_only() -> None:
    """A hazard recorded before the rule (`-LEGACY-9`) could be neither revised nor named by
    a release (a review of our own change); a new one is refused."""
    g = box(102.1, 19.6, 102.11, 19.61)
    known = {"-LEGACY-9": KnownHazard(1, dt.date(2019, 1, 1), g, True)}
    frame = hazards(
        [
            {"hazard_id": "-LEGACY-9", "revised": "2021-01-01", "status": "CHA"},
            {"hazard_id": "=NEW-1"},
        ],
        [g, box(102.3, 19.6, 102.31, 19.61)],
    )
    result = validate_hazards(frame, ctx(hazards=known))
    bad = [(f.row, f.field) for f in result.findings if f.code == "bad_value"]
    assert bad == [(2, "hazard_id")]
    releases = gpd.GeoDataFrame(
        [{"release_id": "R-1", "hazard_id": "-LEGACY-9", "method": "TS", "released": "2022-01-01"}],
        geometry=[g],
        crs=4326,
    )
    said = validate_releases(releases, ctx(hazards=known)).findings
    assert not [f for f in said if f.field == "hazard_id"], said


def test_duplicates_in_the_file_and_in_the_database() -> None:
    g = box(102.1, 19.6, 102.11, 19.61)
    frame = hazards(
        [{"hazard_id": "H1"}, {"hazard_id": "H1"}, {"hazard_id": "H2"}],
        [g, box(102.2, 19.6, 102.21, 19.61), g],
    )
    known = {"H2": KnownHazard(1, dt.date(2019, 1, 1), g, True)}
    found = {(f.row, f.code) for f in validate_hazards(frame, ctx(hazards=known)).findings}
    assert {(1, "duplicate_reference"), (2, "duplicate_reference")} <= found
    assert (3, "already_recorded") in found
    assert (3, "duplicate_geometry") in found


def test_a_revision_that_gives_the_hazard_to_another_operator_says_so() -> None:
    # An operator's status-only revision of another organisation's hazard made it theirs,
    # and nothing showed it (found by a walk-through as an IM officer)
    g = box(102.1, 19.6, 102.11, 19.61)
    known = {"H2": KnownHazard(1, dt.date(2019, 1, 1), g, True, operator="UXO Lao")}
    frame = hazards(
        [
            {"hazard_id": "H2", "revised": "2021-01-01", "status": "CHA", "operator": "MAG"},
            {"hazard_id": "H2", "revised": "2022-01-01", "status": "CHA", "operator": "uxo lao"},
            {"hazard_id": "H2", "revised": "2023-01-01", "status": "CHA"},
        ],
        [g, g, g],
    )
    found = validate_hazards(frame, ctx(hazards=known)).findings
    changed = [(f.row, f.severity.value) for f in found if f.code == "changes_operator"]
    assert changed == [(1, "warning")], found
    assert "makes MAG the operator of H2, which UXO Lao holds now" in next(
        f.message for f in found if f.code == "changes_operator"
    )


def test_an_operators_revision_of_another_organisations_hazard_is_a_warning() -> None:
    """NPA's file revised MAG's hazard (boundary and status) without naming an operator,
    and the review said the file was clean (found by an attack on our own instance)."""
    g = box(102.1, 19.6, 102.11, 19.61)
    known = {
        "H2": KnownHazard(1, dt.date(2019, 1, 1), g, True, operator="MAG"),
        "H3": KnownHazard(2, dt.date(2019, 1, 1), g, True, operator="NPA"),
    }
    frame = hazards(
        [
            {"hazard_id": "H2", "revised": "2021-01-01", "status": "CHA"},
            {"hazard_id": "H3", "revised": "2021-01-01", "status": "CHA"},
            {"hazard_id": "H2", "revised": "2022-01-01", "status": "CHA", "operator": "npa"},
        ],
        [box(102.1, 19.6, 102.12, 19.62), g, g],
    )
    found = validate_hazards(frame, ctx(hazards=known, uploader="NPA")).findings
    others = [(f.row, f.severity.value, f.field) for f in found if f.code == "others_hazard"]
    assert others == [(1, "warning", "hazard_id")], found  # row 3 says changes_operator
    assert "H2 is MAG's hazard, and this file is NPA's" in next(
        f.message for f in found if f.code == "others_hazard"
    )
    assert [f.row for f in found if f.code == "changes_operator"] == [3]
    # the authority's own upload (no organisation) revises any hazard without a word
    plain = validate_hazards(frame, ctx(hazards=known)).findings
    assert not [f for f in plain if f.code == "others_hazard"]


@pytest.mark.parametrize("given", ["1e400", "inf", "-inf"])
def test_a_year_no_float_holds_is_not_a_year(given: str) -> None:
    """ "1e400" in used_from raised OverflowError out of validation: a 500 (found by an
    attack on our own instance)."""
    g = box(102.1, 19.6, 102.11, 19.61)
    frame = hazards([{"hazard_id": "H1", "used_from": given}], [g])
    found = validate_hazards(frame, ctx()).findings
    assert [(f.code, f.field) for f in found if f.severity.value == "error"] == [
        ("bad_value", "used_from")
    ], found
    assert f"{given!r} is not a year" in found[0].message


def test_a_year_with_a_fraction_is_not_a_whole_year() -> None:
    """helper-90's used_to 1973.5 was recorded as 1973 without a word; 1973.0 (a numeric
    column's) is 1973."""
    g = box(102.1, 19.6, 102.11, 19.61)
    frame = hazards([{"hazard_id": "H1", "used_from": 1970.0, "used_to": "1973.5"}], [g])
    result = validate_hazards(frame, ctx())
    errors = [f for f in result.findings if f.severity.value == "error"]
    assert [(f.code, f.field) for f in errors] == [("bad_value", "used_to")]
    assert "'1973.5' is not a whole year" in errors[0].message
    assert result.records[0]["used_from"] == 1970


def test_a_revision_whose_date_cannot_be_read_has_that_one_error() -> None:
    # "31/12/2026" in revised also said "recorded is required" and "already recorded", as
    # if the feature were a new hazard (found by a walk-through through the API)
    g = box(102.1, 19.6, 102.11, 19.61)
    frame = hazards([{"hazard_id": "H2", "revised": "31/12/2026", "recorded": None}], [g])
    known = {"H2": KnownHazard(1, dt.date(2019, 1, 1), g, True)}
    found = validate_hazards(frame, ctx(hazards=known)).findings
    assert [(f.code, f.field) for f in found if f.blocking] == [("bad_value", "revised")], found


def test_a_revision_that_keeps_the_boundary_is_no_duplicate_geometry() -> None:
    # A reclassification repeats the hazard's own polygon; another hazard may not.
    g = box(102.1, 19.6, 102.11, 19.61)
    frame = hazards(
        [
            {"hazard_id": "H1"},
            {"hazard_id": "H1", "status": "CHA", "revised": "2021-01-01"},
            {"hazard_id": "H2"},
        ],
        [g, g, g],
    )
    found = [(f.row, f.code) for f in validate_hazards(frame, ctx()).findings]
    assert (3, "duplicate_geometry") in found
    assert (2, "duplicate_geometry") not in found


def test_overlap_with_an_open_hazard_is_a_warning_with_the_shared_area() -> None:
    frame = hazards([{"hazard_id": "NEW"}], [box(102.1, 19.6, 102.11, 19.61)])
    result = validate_hazards(
        frame, ctx(open_refs=["OLD"], open_geoms=[box(102.105, 19.6, 102.12, 19.61)])
    )
    (finding,) = result.findings
    assert finding.code == "overlaps_hazard" and "OLD" in finding.message
    assert finding.severity is Severity.WARNING


def test_two_new_hazards_that_overlap_are_one_warning_not_two() -> None:
    # The pair is named once, on the later feature; an open hazard in the database is
    # named by each new hazard that overlaps it.
    frame = hazards(
        [{"hazard_id": "A"}, {"hazard_id": "B"}],
        [box(102.1, 19.6, 102.11, 19.61), box(102.105, 19.6, 102.12, 19.61)],
    )
    found = validate_hazards(
        frame, ctx(open_refs=["OLD"], open_geoms=[box(102.108, 19.6, 102.109, 19.61)])
    ).findings
    overlaps = sorted((f.row, f.message) for f in found if f.code == "overlaps_hazard")
    assert [row for row, _ in overlaps] == [1, 2]
    assert "OLD" in overlaps[0][1] and "B" not in overlaps[0][1]
    assert "A" in overlaps[1][1] and "OLD" in overlaps[1][1]


def test_a_hazard_open_and_sent_again_in_the_file_is_named_once_by_an_overlap() -> None:
    """OLD open in the database and OLD again in the file, as a new record (refused on its
    own row): a third feature over both had said "overlaps open hazards OLD (… m²), OLD
    (… m²)" (a GIS user's review)."""
    old = box(102.1, 19.6, 102.11, 19.61)
    frame = hazards([{"hazard_id": "OLD"}, {"hazard_id": "NEW"}], [old, old.buffer(0.001)])
    found = validate_hazards(frame, ctx(open_refs=["OLD"], open_geoms=[old])).findings
    (told,) = [f.message for f in found if f.code == "overlaps_hazard" and f.row == 2]
    assert told.count("OLD") == 1 and told.startswith("overlaps open hazard OLD ("), told


def test_a_file_of_one_polygon_many_times_stops_checking_overlaps_and_says_so() -> None:
    """2,000 copies of one square (564 KB) had made four million pairs, 1.7 GB and 22 s,
    and 100,000 ran a worker out of the machine's memory (an attack on our own instance):
    the pairs now stop at a budget, with one warning where the check stopped."""
    g = box(102.1, 19.6, 102.11, 19.61)
    n = 3_000  # 4.5 million pairs, were they all checked
    frame = hazards([{"hazard_id": f"C{i}"} for i in range(n)], [g] * n)
    found = validate_hazards(frame, ctx()).findings
    (stopped,) = [f for f in found if f.code == "overlaps_not_checked"]
    assert stopped.severity is Severity.WARNING and "200,000 times" in stopped.message
    warned = [f for f in found if f.code == "overlaps_hazard"]
    assert warned and max(f.row for f in warned) < stopped.row <= 1_000
    # each lists five of the hazards it overlaps, and counts the rest
    last = max(warned, key=lambda f: f.row)
    assert last.message.count("C") >= 5 and f"up to {last.row - 1 - 5:,} more" in last.message


def test_features_within_a_hazard_of_many_vertices_stop_the_overlap_check_in_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """1,000 small squares inside one hazard of 100,000 vertices held a worker a minute,
    the pairs far below their budget (an attack on these changes before release): the vertices
    the tests would walk are budgeted too."""
    from ims.ingest import validate

    monkeypatch.setattr(validate, "OVERLAP_VERTICES", 15_000_000)
    big = Point(102.5, 19.5).buffer(0.4, quad_segs=5_000)  # 20,000 vertices
    squares = [box(102.3 + i * 1e-4, 19.5, 102.30005 + i * 1e-4, 19.50005) for i in range(500)]
    frame = hazards([{"hazard_id": f"Q{i}"} for i in range(501)], [big, *squares])
    found = validate_hazards(frame, ctx()).findings
    (stopped,) = [f for f in found if f.code == "overlaps_not_checked"]
    assert "so many vertices" in stopped.message
    warned = [f for f in found if f.code == "overlaps_hazard"]
    assert warned and all(f.row < stopped.row for f in warned)
    assert all("Q0" in f.message for f in warned)  # each inside the big one


def test_an_overlap_warning_names_five_hazards_and_counts_the_others() -> None:
    g = box(102.1, 19.6, 102.11, 19.61)
    frame = hazards([{"hazard_id": f"S{i}"} for i in range(8)], [g] * 8)
    found = [f for f in validate_hazards(frame, ctx()).findings if f.code == "overlaps_hazard"]
    last = max(found, key=lambda f: f.row)
    assert last.row == 8 and "S0" in last.message and "and 2 more" in last.message


def test_release_checks() -> None:
    hz = box(102.1, 19.6, 102.11, 19.61)
    known = {"H1": KnownHazard(1, dt.date(2020, 1, 1), hz, True)}
    frame = gpd.GeoDataFrame(
        [
            {
                "release_id": "R1",
                "hazard_id": "H1",
                "method": "NTS",
                "released": "2021-01-01",
                "items": "",
                "area_m2": 1.0,
            },
            {
                "release_id": "R2",
                "hazard_id": "H9",
                "method": "sweeping",
                "released": "2019-01-01",
                "items": "BLU-99:1",
            },
            {
                "release_id": "R3",
                "hazard_id": "H1",
                "method": "clearance",
                "released": "2019-06-01",
            },
            {"release_id": "R4", "hazard_id": "H1", "method": "TS", "released": "2021-01-01"},
            {"release_id": "R5", "hazard_id": "H1", "method": "TS", "released": "2021-01-01"},
        ],
        geometry=[
            hz,
            hz,
            box(102.105, 19.6, 102.11, 19.61),
            box(102.3, 19.6, 102.31, 19.61),
            box(102.108, 19.6, 102.13, 19.61),
        ],
        crs=4326,
    )
    found = {
        (f.row, f.code)
        for f in validate_releases(frame, ctx(hazards=known, release_refs={"R5"})).findings
    }
    assert (1, "area_mismatch") in found
    assert {(2, "unknown_hazard"), (2, "unknown_value"), (2, "unknown_munition")} <= found
    assert (3, "before_hazard_recorded") in found
    assert (4, "misses_hazard") in found
    assert {(5, "largely_outside_hazard"), (5, "already_recorded")} <= found


def test_a_stated_area_in_hectares_is_told_as_such() -> None:
    """A column of hectares mapped to area_m2 read only "stated area 8 m² differs from the
    polygon's 79,986 m² by 100%": the 100 % capped a 10,000-fold difference."""
    hz = box(102.1, 19.6, 102.11, 19.61)
    known = {"H1": KnownHazard(1, dt.date(2020, 1, 1), hz, True)}
    polygon_m2 = float(geodesic_areas([hz])[0])
    frame = gpd.GeoDataFrame(
        [
            {
                "release_id": f"R{i}",
                "hazard_id": "H1",
                "method": "NTS",
                "released": "2021-01-01",
                "area_m2": stated,
            }
            for i, stated in enumerate((polygon_m2 / 1e4, polygon_m2 / 1e6, polygon_m2 / 3))
        ],
        geometry=[hz, hz, hz],
        crs=4326,
    )
    found = validate_releases(frame, ctx(hazards=known)).findings
    messages = [f.message for f in found if f.code == "area_mismatch"]
    assert len(messages) == 3
    assert "is area_m2 given in hectares? It is in m² (× 10,000)" in messages[0]
    assert "in km²?" in messages[1]
    assert "given in" not in messages[2]  # a third of it is no unit


def test_a_negative_or_infinite_stated_area_is_an_error() -> None:
    """helper-90: a stated area of -5 passed with a warning and the approval then broke on
    the table's check (a stack trace; through the API a 500), and "inf" was stored as
    Infinity. Each is an error on area_m2 now; 0 is a stated area like any other."""
    hz = box(102.1, 19.6, 102.11, 19.61)
    known = {"H1": KnownHazard(1, dt.date(2020, 1, 1), hz, True)}
    stated = (-5, "inf", "-Infinity", 0)
    frame = gpd.GeoDataFrame(
        [
            {
                "release_id": f"R{i}",
                "hazard_id": "H1",
                "method": "NTS",
                "released": "2021-01-01",
                "area_m2": value,
            }
            for i, value in enumerate(stated)
        ],
        geometry=[hz] * len(stated),
        crs=4326,
    )
    result = validate_releases(frame, ctx(hazards=known))
    errors = {f.row: f for f in result.findings if f.severity == "error"}
    assert sorted(errors) == [1, 2, 3]
    assert all(f.field == "area_m2" and f.code == "bad_value" for f in errors.values())
    assert "area_m2 -5 is negative" in errors[1].message
    assert "area_m2 'inf' is not a finite number" in errors[2].message
    assert result.records[3]["area_m2"] == 0


def test_z_dropped_is_reported_once() -> None:
    frame = hazards([{"hazard_id": "H1"}], [MultiPolygon([box(102.1, 19.6, 102.11, 19.61)])])
    found = validate_hazards(frame, ctx(), dropped_z=True).findings
    assert [f.code for f in found] == ["z_dropped"]


def test_references_too_long_or_with_invisible_characters_are_errors() -> None:
    # A 101-character hazard_id validated, then its approval answered 500; a right-to-left
    # override made one reference show as another (issue 13, item 12).
    long_ref = "H" * 101
    spoofed = "H-\u202e100-A"
    frame = hazards(
        [
            {"hazard_id": long_ref},
            {"hazard_id": spoofed},
            {"hazard_id": "H\x07bell"},
            {"hazard_id": "VTE/2021/001"},
            {"hazard_id": "ບ້ານ-1"},
        ],
        [box(102.1 + i / 100, 19.6, 102.105 + i / 100, 19.605) for i in range(5)],
    )
    result = validate_hazards(frame, ctx())
    errors = [(f.code, f.row, f.field) for f in result.findings if f.blocking]
    assert errors == [
        ("bad_value", 1, "hazard_id"),
        ("bad_value", 2, "hazard_id"),
        ("bad_value", 3, "hazard_id"),
    ]
    messages = [f.message for f in result.findings]
    assert "101 characters long" in messages[0] and "at most 100" in messages[0]
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in messages[1]
    assert [r["hazard_id"] for r in result.records][3:] == ["VTE/2021/001", "ບ້ານ-1"]
    releases = gpd.GeoDataFrame(
        [
            {
                "release_id": "R\u200f1",
                "hazard_id": long_ref,
                "method": "cleared",
                "released": "2024-01-01",
            }
        ],
        geometry=[box(102.1, 19.6, 102.105, 19.605)],
        crs=4326,
    )
    found = validate_releases(releases, ctx())
    fields = sorted(f.field or "" for f in found.findings if f.code == "bad_value")
    assert fields == ["hazard_id", "release_id"]
    assert not [f for f in found.findings if f.code in ("missing_value", "unknown_hazard")]


def test_references_that_look_like_others_are_errors_and_one_script_is_kept() -> None:
    """A hazard_id "LOOK-АT-1" (a Cyrillic А) and one with a no-break space were staged, a
    near-copy of another reference on every page (found by an attack on our own instance)."""
    frame = hazards(
        [
            {"hazard_id": "\u0410T-000001"},  # Cyrillic А, Latin T
            {"hazard_id": "AT\u00a0000001"},
            {"hazard_id": "\u0391\u03a4-1-\u0399"},  # wholly Greek
            {"hazard_id": "\u0410\u0422-1"},  # wholly Cyrillic
            {"hazard_id": "ບ້ານ-AT-1"},  # Lao and Latin do not look alike
        ],
        [box(102.1 + i / 100, 19.6, 102.105 + i / 100, 19.605) for i in range(5)],
    )
    result = validate_hazards(frame, ctx())
    errors = [(f.row, f.field) for f in result.findings if f.blocking]
    assert errors == [(1, "hazard_id"), (2, "hazard_id")], result.findings
    messages = [f.message for f in result.findings if f.blocking]
    assert "mixes Cyrillic and Latin letters (А U+0410 CYRILLIC CAPITAL LETTER A)" in messages[0]
    assert "U+00A0 NO-BREAK SPACE" in messages[1]
    assert [r["hazard_id"] for r in result.records][2:] == ["ΑΤ-1-Ι", "АТ-1", "ບ້ານ-AT-1"]


def test_references_with_a_dotted_part_are_errors_and_slashes_are_kept() -> None:
    """A hazard_id "AT-000013/." was recorded beside AT-000013: on its page the browser
    dropped the dot, and the reviewer withdrawing the duplicate withdrew AT-000013 (found
    by an attack on our own instance). A reference may hold "/" between its parts."""
    refused = ["AT-000013/.", "../hazards/AT-1", "AT-1/..", "AT/./1", ".", ".."]
    kept = ["LA/2020/001", "AT-1.2", "AT..1", ".AT-1", "AT//1", "/AT-1", "AT-1/", "AT/ ../1"]
    frame = hazards(
        [{"hazard_id": ref} for ref in refused + kept],
        [box(102.1 + i / 100, 19.6, 102.105 + i / 100, 19.605) for i in range(14)],
    )
    result = validate_hazards(frame, ctx())
    errors = [(f.row, f.field) for f in result.findings if f.blocking]
    assert errors == [(i + 1, "hazard_id") for i in range(len(refused))], result.findings
    assert 'has "." or ".." as a part between its "/"' in result.findings[0].message
    assert [r["hazard_id"] for r in result.records][len(refused) :] == kept
    releases = gpd.GeoDataFrame(
        [{"release_id": "R/./1", "hazard_id": "LA/2020/001", "method": "cleared",
          "released": "2024-01-01"},
         {"release_id": "R-2", "hazard_id": "../hazards/AT-1", "method": "cleared",
          "released": "2024-01-01"}],
        geometry=[box(102.1, 19.6, 102.105, 19.605)] * 2,
        crs=4326,
    )  # fmt: skip
    found = validate_releases(releases, ctx())
    fields = sorted((f.row, f.field or "") for f in found.findings if f.code == "bad_value")
    assert fields == [(1, "release_id"), (2, "hazard_id")]


def test_the_word_that_empties_a_field_is_not_a_reference() -> None:
    # "(none)" as a hazard_id had been recorded as hazard "(none)" (a review of our changes)
    frame = hazards(
        [{"hazard_id": "(none)"}, {"hazard_id": " (NONE) "}, {"hazard_id": "(none)-1"}],
        [box(102.1 + i / 100, 19.6, 102.105 + i / 100, 19.605) for i in range(3)],
    )
    result = validate_hazards(frame, ctx())
    errors = [(f.code, f.row, f.field) for f in result.findings if f.blocking]
    assert errors == [("bad_value", 1, "hazard_id"), ("bad_value", 2, "hazard_id")]
    assert "not a reference" in result.findings[0].message
    releases = gpd.GeoDataFrame(
        [{"release_id": "(none)", "hazard_id": "(None)", "method": "cleared",
          "released": "2024-01-01"}],
        geometry=[box(102.1, 19.6, 102.105, 19.605)],
        crs=4326,
    )  # fmt: skip
    found = validate_releases(releases, ctx())
    fields = sorted(f.field or "" for f in found.findings if f.code == "bad_value")
    assert fields == ["hazard_id", "release_id"]
    assert not [f for f in found.findings if f.code in ("missing_value", "unknown_hazard")]


def test_a_revision_that_empties_a_field_warns_what_it_takes_back() -> None:
    g = box(102.1, 19.6, 102.11, 19.61)
    known = {
        "H2": KnownHazard(1, dt.date(2019, 1, 1), g, True, marked=dt.date(2019, 2, 1)),
        "H3": KnownHazard(2, dt.date(2019, 1, 1), g, True),  # nothing to take back
    }
    frame = hazards(
        [
            {"hazard_id": ref, "revised": "2021-01-01", "status": "CHA", "marked": "(none)"}
            for ref in ("H2", "H3")
        ],
        [g, g],
    )
    found = [f for f in validate_hazards(frame, ctx(hazards=known)).findings]
    emptied = [(f.row, f.field, f.message) for f in found if f.code == "empties_field"]
    assert emptied == [
        (
            1,
            "marked",
            "this revision of H2 empties marked (now 2019-02-01): check that it is to be "
            "taken back",
        )
    ]
    assert not [f for f in found if f.blocking]


def test_the_longest_edge_of_each_polygon_is_its_own() -> None:
    """Several polygons measured at once, with holes and parts: each gets the longest of
    its own edges (haversine, computed here edge by edge), a missing one 0."""
    holed = Polygon([(102, 19), (102.3, 19), (102.3, 19.1), (102, 19.1)], [
        [(102.1, 19.02), (102.12, 19.02), (102.12, 19.04)]
    ])  # fmt: skip
    parts = MultiPolygon([box(103, 18, 103.01, 18.01), box(103.5, 18, 103.6, 18.5)])
    geoms = [box(101, 20, 101.05, 20.01), Point(), holed, parts, box(104, 17, 104.001, 17.2)]

    def haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
        (x1, y1), (x2, y2) = (tuple(map(math.radians, p)) for p in (a, b))
        h = (
            math.sin((y2 - y1) / 2) ** 2
            + math.cos(y1) * math.cos(y2) * math.sin((x2 - x1) / 2) ** 2
        )
        return 2 * 6_371_008.8 * math.asin(math.sqrt(h))

    def longest(geom: Polygon | MultiPolygon | Point) -> float:
        polygons = getattr(geom, "geoms", [geom]) if not geom.is_empty else []
        rings = [r for p in polygons for r in (p.exterior, *p.interiors)]
        edges = [(a, b) for r in rings for a, b in zip(r.coords[:-1], r.coords[1:], strict=True)]
        return max((haversine(a, b) for a, b in edges), default=0.0)

    got = _longest_edges_m(np.array(geoms, dtype=object))
    assert got.tolist() == pytest.approx([longest(g) for g in geoms], rel=1e-12)
    assert got[1] == 0.0


def test_a_date_a_day_ahead_of_the_server_is_not_in_the_future_and_two_days_are() -> None:
    """A server kept on UTC is on yesterday until 07:00 in Lao PDR: a release completed and
    sent that morning was refused as dated in the future (a review as a data manager)."""
    ahead = [TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=2)]
    frame = hazards(
        [{"hazard_id": f"H{i}", "recorded": day.isoformat()} for i, day in enumerate(ahead)],
        [box(102.1, 19.6, 102.11, 19.61), box(102.2, 19.6, 102.21, 19.61)],
    )
    found = [(f.row, f.code) for f in validate_hazards(frame, ctx()).findings if f.blocking]
    assert found == [(2, "future_date")]


@pytest.mark.parametrize(
    ("geos", "said"),
    [
        ("Ring Self-intersection[103.90100000000001 18.901]",
         "a ring of it touches or crosses itself at lon 103.9010000, lat 18.9010000"),
        ("Hole lies outside shell[3 3]",
         "a hole lies outside its outline at lon 3.0000000, lat 3.0000000"),
        ("Too few points in geometry component[1 2]",
         "a ring has fewer than 3 distinct vertices at lon 1.0000000, lat 2.0000000"),
        ("Something GEOS adds one day[1 2]", "Something GEOS adds one day[1 2]"),
    ],
)  # fmt: skip
def test_geos_reasons_are_said_in_words_with_the_place(geos: str, said: str) -> None:
    assert invalid_in_words(geos) == said


def test_a_point_or_an_open_line_is_told_what_an_area_needs() -> None:
    """A form's geopoint or geotrace question had been told only "expected a polygon, got a
    LineString" (a review as a data manager)."""
    frame = hazards(
        [{"hazard_id": "P1"}, {"hazard_id": "L1"}],
        [Point(102.1, 19.6), LineString([(102.1, 19.6), (102.2, 19.6), (102.2, 19.7)])],
    )
    said = {f.reference: f.message for f in validate_hazards(frame, ctx()).findings}
    assert said["P1"].startswith("expected a polygon, got a Point: an area needs its outline")
    assert "geoshape question, not a geopoint" in said["P1"]
    assert said["L1"].startswith(
        "expected a polygon, got a LineString: an outline must end where it starts"
    )
    assert "not a geotrace" in said["L1"]


def test_a_reference_repeated_in_the_file_names_the_features_that_repeat_it() -> None:
    """ "hazard_id H1 appears 3 times in the file" had left the data manager to find them."""
    squares = [box(102.1 + i / 100, 19.6, 102.105 + i / 100, 19.605) for i in range(4)]
    frame = hazards([{"hazard_id": r} for r in ("H1", "H2", "H1", "H1")], squares)
    said = {
        (f.row, f.message)
        for f in validate_hazards(frame, ctx()).findings
        if f.code == "duplicate_reference"
    }
    message = (
        "hazard_id H1 appears 3 times in the file as a new hazard (features 1, 3 and 4): a "
        "hazard is recorded once, and then revised (a revision gives the date it takes "
        "effect, revised)"
    )
    assert said == {(1, message), (3, message), (4, message)}


def test_a_release_partly_outside_its_hazard_is_told_what_is_not_counted() -> None:
    """A clearance drawn a fifth outside its hazard had no finding (only more than half
    was told), while design §2.2 says the part outside is reported: it is not counted."""
    hz = box(102.1, 19.6, 102.11, 19.61)
    known = {"H1": KnownHazard(1, dt.date(2020, 1, 1), hz, True)}
    fifth_out = box(102.0995, 19.6, 102.102, 19.61)  # 20 % west of the hazard
    sliver_out = box(102.099875, 19.6, 102.102375, 19.61)  # 5 %: a boundary drawn off
    small_out = box(102.09999, 19.6, 102.10004, 19.6001)  # 20 % of 55 m²
    frame = gpd.GeoDataFrame(
        [
            {"release_id": f"R{i}", "hazard_id": "H1", "method": "clearance", "released": day}
            for i, day in enumerate(("2021-01-01", "2021-02-01", "2021-03-01"))
        ],
        geometry=[fifth_out, sliver_out, small_out],
        crs=4326,
    )
    found = validate_releases(frame, ctx(hazards=known)).findings
    told = [f for f in found if f.code == "partly_outside_hazard"]
    assert [f.row for f in told] == [1]
    outside_m2 = float(geodesic_areas([box(102.0995, 19.6, 102.1, 19.61)])[0])
    assert f"{outside_m2:,.0f} m² (20%) of the release lies outside hazard H1" in told[0].message
    assert told[0].severity == Severity.WARNING
    # read on the review page as well as by the command: both ways to the split choice
    assert '"Split releases among the hazards they lie on" on the upload page' in told[0].message
    assert "ims import --split" in told[0].message


def test_a_placeholder_hazard_id_is_told_what_an_empty_one_does() -> None:
    # "hazard - is not recorded" left the data manager to guess how to send a release
    # with no known hazard (a review as a new user); a typo keeps the plain message
    releases = gpd.GeoDataFrame(
        [
            {"release_id": f"R{i}", "hazard_id": ref, "method": "cleared",
             "released": "2024-01-01"}
            for i, ref in enumerate(["-", "N/A", "?", "none", "VTE-9"])
        ],
        geometry=[box(102.1 + i / 100, 19.6, 102.105 + i / 100, 19.605) for i in range(5)],
        crs=4326,
    )  # fmt: skip
    found = validate_releases(releases, ctx())
    told = {f.row: f.message for f in found.findings if f.code == "unknown_hazard"}
    assert sorted(told) == [1, 2, 3, 4, 5]
    for row in (1, 2, 3, 4):
        assert "names no hazard" in told[row] and "leave hazard_id empty" in told[row]
    assert told[1].startswith('hazard_id "-" names no hazard')
    assert told[5] == "hazard VTE-9 is not recorded"


def test_a_revision_on_the_day_in_force_of_a_past_year_is_told_what_it_rewrites() -> None:
    # a boundary edited in a file from the OGC API, whose 'revised' is the date in force,
    # rewrote the figures from 2012 on without a word (a review as a GIS officer)
    g = box(102.1, 19.6, 102.11, 19.61)
    larger = box(102.1, 19.6, 102.12, 19.61)
    known = {
        "AT-14": KnownHazard(
            1, dt.date(2012, 2, 12), g, True, status="SHA", in_force_from=dt.date(2012, 2, 12)
        ),
        "AT-15": KnownHazard(
            2, dt.date(2024, 3, 1), g, True, status="SHA", in_force_from=dt.date(2025, 5, 1)
        ),
    }
    frame = hazards(
        [
            {"hazard_id": "AT-14", "revised": "2012-02-12"},  # the date in force, a past year
            {"hazard_id": "AT-14", "revised": "2025-05-20"},  # a new survey: nothing
            {"hazard_id": "AT-15", "revised": "2025-05-01"},  # in force this year: nothing
        ],
        [larger, larger, larger],
    )
    found = validate_hazards(frame, ctx(hazards=known)).findings
    told = [f for f in found if f.code == "same_day_as_in_force"]
    assert [(f.row, f.severity.value, f.field) for f in told] == [(1, "warning", "revised")]
    assert "every year since 2012" in told[0].message


def test_a_revision_keeps_its_hazards_kind_and_is_refused_another() -> None:
    # a revision's blank or unreadable kind had been shown as "→ CMR" on the review page,
    # and another kind dropped without a word (a review as a GIS officer)
    g = box(102.1, 19.6, 102.11, 19.61)
    known = {"M-1": KnownHazard(1, dt.date(2019, 1, 1), g, True, status="SHA", contam="APM")}
    frame = hazards(
        [
            {"hazard_id": "M-1", "revised": "2024-01-01", "contam": None},
            {"hazard_id": "M-1", "revised": "2024-02-01", "contam": "CMR"},
            {"hazard_id": "M-1", "revised": "2024-03-01", "contam": "UXO"},
            {"hazard_id": "N-1", "contam": "UXO"},
        ],
        [g, g, g, box(102.3, 19.6, 102.31, 19.61)],
    )
    result = validate_hazards(frame, ctx(hazards=known))
    assert [r["contam"] for r in result.records] == ["APM", "CMR", "APM", None]
    changed = [(f.row, f.field) for f in result.findings if f.code == "changes_kind"]
    assert changed == [(2, "contam")]
    assert "recorded as APM" in next(f.message for f in result.findings if f.code == "changes_kind")


def test_land_released_outside_hazards_twice_in_one_file_is_told() -> None:
    # only records already in the database had been compared with a release's part outside
    # hazards (an attack on our own change): the ground counts once, and a person tells
    # whether it is one clearance sent twice
    a = box(102.10, 19.60, 102.11, 19.61)
    half = box(102.105, 19.60, 102.115, 19.61)
    rows = [
        {"release_id": "O-B", "method": "cleared", "released": "2024-02-01"},
        {"release_id": "O-A", "method": "cleared", "released": "2024-01-01"},
        {"release_id": "O-C", "method": "cleared", "released": "2024-03-01"},
        {"release_id": "O-D", "method": "cleared", "released": "2024-04-01"},
        {"release_id": "O-E", "method": "cleared", "released": "2024-05-01"},
    ]
    geoms = [half, a, box(102.3, 19.6, 102.31, 19.61), a, box(102.11, 19.60, 102.12, 19.61)]
    frame = gpd.GeoDataFrame(rows, geometry=geoms, crs=4326)
    found = validate_releases(frame, ctx()).findings
    told = [(f.row, f.message) for f in found if f.code == "repeats_outside_release"]
    # O-B is later than O-A, which is feature 2; O-D repeats O-A whole (duplicate_geometry);
    # O-E only meets O-A along an edge, and shares half of itself with O-B
    assert [row for row, _ in told] == [1, 5]
    assert "released too by feature 2 (O-A) of this file" in told[0][1]
    assert "feature 1 (O-B)" in told[1][1] and "O-A" not in told[1][1]
    assert (4, "duplicate_geometry") in {(f.row, f.code) for f in found}


def _m2_said(message: str, after: str) -> float:
    """The figure in m² said right after ``after`` in a message."""
    return float(message.split(after, 1)[1].split(" m²", 1)[0].replace(",", ""))


def _geod_m2(polygon: Polygon) -> float:
    """Area on the ellipsoid by pyproj, apart from ims's own measure."""
    from pyproj import Geod

    return abs(Geod(ellps="WGS84").geometry_area_perimeter(polygon)[0])


def test_releases_of_a_hazard_sharing_ground_tell_the_later_one_what_it_counts() -> None:
    """helper-105: a clearance whose polygon lay a quarter on ground the file's survey had
    released before it had no finding; its stated area said nothing of it. The earlier is
    the earlier by date, whatever the order in the file; releases that only touch, and the
    same polygon twice (said as duplicate_geometry already), are not told."""
    hz = box(102.1, 19.6, 102.11, 19.61)
    known = {"H1": KnownHazard(1, dt.date(2020, 1, 1), hz, True)}
    later = box(102.1, 19.6, 102.106, 19.605)
    earlier = box(102.104, 19.6, 102.11, 19.605)
    frame = gpd.GeoDataFrame(
        [
            {"release_id": "C-2", "hazard_id": "H1", "method": "clearance", "released": d}
            for d in ("2021-02-01", "2021-01-01", "2021-03-01", "2021-04-01", "2021-05-01")
        ],
        geometry=[later, earlier, box(102.1, 19.605, 102.11, 19.61), hz, hz],
        crs=4326,
    ).assign(release_id=["C-2", "T-1", "C-3", "C-4", "C-5"])
    found = validate_releases(frame, ctx(hazards=known)).findings
    told = {f.row: f.message for f in found if f.code == "overlaps_release"}
    assert set(told) == {1, 4, 5}
    shared = _geod_m2(box(102.104, 19.6, 102.106, 19.605))
    assert "release T-1 (feature 2, released 2021-01-01, " in told[1]
    assert _m2_said(told[1], "released 2021-01-01, ") == pytest.approx(shared, abs=1)
    assert _m2_said(told[1], "released before it: ") == pytest.approx(shared, abs=1)
    assert _m2_said(told[1], "m² of its ") == pytest.approx(_geod_m2(later), abs=1)
    assert "(33 %) was released already" in told[1]
    # C-3 touches C-2 and T-1 only; C-4 (the whole hazard) lies on all three before it, and
    # C-5 as well, its being C-4's polygon again said as a duplicate (and counted with them)
    assert "releases T-1 (feature 2" in told[4]
    assert ("duplicate_geometry", 5) in {(f.code, f.row) for f in found}
    assert "C-4 (feature 4, " in told[5] and "(100 %)" in told[5]
    assert _m2_said(told[4], "released before it: ") == pytest.approx(
        _geod_m2(later) + _geod_m2(earlier) - shared + _geod_m2(box(102.1, 19.605, 102.11, 19.61)),
        abs=2,
    )
    assert "(100 %)" in told[4]
    assert all(f.severity == Severity.WARNING for f in found if f.code == "overlaps_release")


def test_a_copy_of_a_release_sharing_ground_with_another_is_told_all_of_it_was_released() -> None:
    """helper-123: a release sent twice under two references, lying partly on a third
    released before, was told that 37 % of it had been released already (the third's share)
    where the first copy had released all of it; a copy alone is said by
    duplicate_geometry only."""
    hz = box(102.1, 19.6, 102.11, 19.61)
    known = {"H1": KnownHazard(1, dt.date(2020, 1, 1), hz, True)}
    cleared = box(102.1, 19.6, 102.105, 19.61)
    survey = box(102.1, 19.6, 102.105, 19.6037)  # 37 % of it, released before
    frame = gpd.GeoDataFrame(
        [
            {"release_id": ref, "hazard_id": "H1", "method": "clearance", "released": day}
            for ref, day in (("A", "2021-03-01"), ("A-AGAIN", "2021-03-01"), ("S", "2021-01-01"))
        ]
        + [{"release_id": "LONE", "hazard_id": "H1", "method": "TS", "released": "2021-05-01"}] * 2,
        geometry=[cleared, cleared, survey, *[box(102.106, 19.6, 102.11, 19.61)] * 2],
        crs=4326,
    ).assign(release_id=["A", "A-AGAIN", "S", "LONE", "LONE-AGAIN"])
    found = validate_releases(frame, ctx(hazards=known)).findings
    told = {f.row: f.message for f in found if f.code == "overlaps_release"}
    assert set(told) == {1, 2}  # the lone copy is a duplicate only
    assert {(f.code, f.row) for f in found} >= {
        ("duplicate_geometry", 2),
        ("duplicate_geometry", 5),
    }
    assert "(37 %) was released already" in told[1]
    assert "releases S (feature 3, " in told[2] and ", A (feature 1, " in told[2]
    assert _m2_said(told[2], "released before it: ") == pytest.approx(_geod_m2(cleared), abs=1)
    assert "(100 %) was released already" in told[2]


def test_a_release_sharing_ground_with_a_recorded_one_is_told_which_released_it() -> None:
    """The recorded releases of the hazard count too; one dated before a recorded one takes
    that ground from it, changing figures already reported, and is told so. A recorded
    release sent again (an error of its own) is not compared."""
    hz = box(102.1, 19.6, 102.11, 19.61)
    known = {"H1": KnownHazard(1, dt.date(2020, 1, 1), hz, True)}
    recorded = box(102.1, 19.6, 102.105, 19.61)
    sent = box(102.104, 19.6, 102.11, 19.61)
    frame = gpd.GeoDataFrame(
        [
            {"release_id": "NEW", "hazard_id": "H1", "method": "TS", "released": "2022-01-01"},
            {"release_id": "BACK", "hazard_id": "H1", "method": "TS", "released": "2020-06-01"},
            {"release_id": "OLD", "hazard_id": "H1", "method": "TS", "released": "2021-06-01"},
        ],
        geometry=[sent, box(102.104, 19.6, 102.109, 19.61), recorded],
        crs=4326,
    )
    context = ctx(
        hazards=known,
        recorded_releases={("H1", dt.date(2021, 6, 1)): [("OLD", recorded)]},
        release_refs={"OLD"},
    )
    found = validate_releases(frame, context).findings
    told = {f.row: f.message for f in found if f.code == "overlaps_release"}
    assert set(told) == {1, 2}
    assert ", OLD (recorded, released 2021-06-01, " in told[1]
    assert "shares ground with releases BACK (feature 2, released 2020-06-01" in told[1]
    assert told[2].startswith("is dated before release OLD (recorded, released 2021-06-01, ")
    assert _m2_said(told[2], "released 2021-06-01, ") == pytest.approx(
        _geod_m2(box(102.104, 19.6, 102.105, 19.61)), abs=1
    )
    assert "the figures of the time between change (a report of it made before" in told[2]


def test_releases_lying_on_one_another_too_often_stop_the_check_and_say_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A file of one release's polygon many times over, a little apart, makes pairs by the
    square of its features; the check stops at its budget (a million pairs; here 3,000)."""
    monkeypatch.setattr("ims.ingest.validate._SHARED_BOX_PAIRS", 3_000)
    hz = box(102.1, 19.6, 102.11, 19.61)
    n = 100
    frame = gpd.GeoDataFrame(
        [
            {"release_id": f"R{k}", "hazard_id": "H1", "method": "TS", "released": "2021-01-01"}
            for k in range(n)
        ],
        geometry=[box(102.1 + k * 1e-6, 19.6, 102.105 + k * 1e-6, 19.605) for k in range(n)],
        crs=4326,
    )
    known = {"H1": KnownHazard(1, dt.date(2020, 1, 1), hz, True)}
    found = validate_releases(frame, ctx(hazards=known)).findings
    stopped = [f for f in found if f.code == "overlaps_not_checked"]
    assert len(stopped) == 1 and "was not checked" in stopped[0].message
    assert stopped[0].row == 33  # the first block of 32 made 2,672 pairs, the second more
    # the pairs found before the stop are told: each feature after the first lies on some
    assert [f.row for f in found if f.code == "overlaps_release"] == list(range(2, n + 1))


def _comb(teeth: int, *, across: bool) -> Polygon:
    """A release drawn as a comb of ``teeth`` in hazard H1's square (an attack's shape):
    two crossed combs share a grid of teeth² squares."""
    x0, y0, size = 102.1, 19.6, 0.01
    step = size / (2 * teeth)
    ring = [(x0, y0)]
    for k in range(teeth):
        ring += [(x0 + size, y0 + 2 * k * step), (x0 + size, y0 + (2 * k + 1) * step)]
        ring += [(x0 + step, y0 + (2 * k + 1) * step), (x0 + step, y0 + (2 * k + 2) * step)]
    ring += [(x0, y0 + size)]
    comb = Polygon(ring)
    return (
        Polygon([(x0 + (y - y0), y0 + (x - x0)) for x, y in comb.exterior.coords])
        if across
        else comb
    )


def test_two_releases_crossed_as_combs_are_not_measured_and_said_so() -> None:
    """helper-109: two releases drawn as combs of 700 teeth, crossed (186 KB), held an
    upload's worker 49 s and 2.7 GB measuring the half-million squares they share. A pair
    of more than 250,000 corners multiplied is not measured, and said so; the check stops
    once it has taken its time (here none), said too."""
    hz = box(102.1, 19.6, 102.11, 19.61)
    known = {"H1": KnownHazard(1, dt.date(2020, 1, 1), hz, True)}
    combs = [_comb(130, across=False), _comb(130, across=True)]
    assert all(c.is_valid for c in combs) and len(combs[0].exterior.coords) ** 2 > 250_000
    frame = gpd.GeoDataFrame(
        [
            {"release_id": f"C-{k}", "hazard_id": "H1", "method": "TS", "released": "2021-01-01"}
            for k in range(2)
        ],
        geometry=combs,
        crs=4326,
    )
    found = validate_releases(frame, ctx(hazards=known)).findings
    told = [f for f in found if f.code == "overlaps_not_checked"]
    assert [(f.row, f.severity) for f in told] == [(1, Severity.WARNING)]
    assert "release C-1 of hazard H1 have so many corners (523 and 523)" in told[0].message
    assert "overlaps_release" not in {f.code for f in found}


def test_the_shared_ground_check_stops_when_its_time_is_up_and_says_where(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("ims.ingest.validate._SHARED_SECONDS", 0.0)
    monkeypatch.setattr("ims.ingest.validate._CHUNK_CORNERS", 1)  # a pair a chunk
    hz = box(102.1, 19.6, 102.11, 19.61)
    known = {"H1": KnownHazard(1, dt.date(2020, 1, 1), hz, True)}
    frame = gpd.GeoDataFrame(
        [
            {"release_id": f"R{k}", "hazard_id": "H1", "method": "TS", "released": f"202{k}-01-01"}
            for k in range(3)
        ],
        geometry=[box(102.1 + k * 0.001, 19.6, 102.104 + k * 0.001, 19.604) for k in range(3)],
        crs=4326,
    )
    found = validate_releases(frame, ctx(hazards=known)).findings
    stopped = [f for f in found if f.code == "overlaps_not_checked"]
    assert len(stopped) == 1 and "took more than 0 s" in stopped[0].message
    # the first pair (R0, R1) was measured and told; the rest were not
    assert [f.row for f in found if f.code == "overlaps_release"] == [2]


def test_two_hazards_crossed_as_combs_are_not_measured_and_said_so() -> None:
    """As releases (helper-109): the ground two crossed combs share is half a million
    squares at 700 teeth; a pair of more than 250,000 corners multiplied is not measured."""
    frame = hazards(
        [{"hazard_id": "K-1"}, {"hazard_id": "K-2"}],
        [_comb(130, across=False), _comb(130, across=True)],
    )
    found = validate_hazards(frame, ctx()).findings
    told = [f for f in found if f.code == "overlaps_not_checked"]
    assert [f.row for f in told] == [2]
    assert "this hazard and K-1 have so many corners (523 and 523)" in told[0].message
    assert "overlaps_hazard" not in {f.code for f in found}


@pytest.mark.parametrize(
    ("recorded", "given", "order", "same"),
    [
        (30, "30", None, True),
        (0.5, "0.50", None, True),
        (True, "TRUE", None, True),
        # yes/no as a form's or another tool's export writes it ("True → yes" had been a
        # change)
        (True, "yes", None, True),
        (False, "No", None, True),
        (True, "1", None, True),
        (False, "0", None, True),
        (True, "no", None, False),
        (False, "1", None, False),
        (True, "y", None, False),
        ("fence", "fence ", None, True),
        ("fence", "Fence", None, False),
        # a day written otherwise: the same only where it can name no other day
        ("2024-03-25", "25/03/2024", None, True),
        ("2024-03-25", "25.03.2024", None, True),
        ("2024-03-05", "2024/03/05", None, True),
        ("2024-03-05", "2024-03-05T00:00:00", None, True),
        ("2024-05-05", "05/05/2024", None, True),
        ("2024-03-05", "05/03/2024", None, False),  # or 3 May: a change, said
        ("2024-03-05", "05/03/2024", "day-first", True),
        ("2024-03-05", "03/05/2024", "day-first", False),  # day and month swapped
        ("2024-03-05", "03/05/2024", "month-first", True),
        ("2024-03-05T14:30:00", "05/03/2024 14:30", "day-first", True),
        ("2024-03-05T14:30:00", "05/03/2024 2:30 PM", "day-first", True),
        ("2024-03-05", "05/03/2024 14:30", "day-first", False),  # a time added
        ("2024-03-05T14:30:00", "05/03/2024 14:31", "day-first", False),
        ("2024-02-30", "30/02/2024", None, False),  # no such day: text, not the same
        ("2024-03-05", "05/03/24", "day-first", False),
        # times to the fraction of a second, in their zone where both give one (helper-121)
        ("2024-03-05T10:00:00.000+07:00", "2024-03-05T10:00:00+07:00", None, True),
        ("2024-03-05T10:00:00.000+07:00", "05/03/2024 10:00", "day-first", True),
        ("2024-03-05T10:00:00.000+07:00", "2024-03-05T10:00:00.000+00:00", None, False),
        ("2024-03-05T10:00:00.000+07:00", "2024-03-05T10:00:00Z", None, False),
        ("2024-03-05T10:00:00.000", "2024-03-05T10:00:00.900", None, False),
        ("2024-03-05T10:00:00-05:30", "2024-03-05 10:00:00 -0530", None, True),
        # the same instant in another zone is the same (it had been said to be a change)
        ("2024-03-05T10:00:00+07:00", "2024-03-05T03:00:00Z", None, True),
        ("2024-03-05T01:30:00+07:00", "2024-03-04T18:30:00+00:00", None, True),
        ("2024-03-05T10:00:00+07:00", "2024-03-05T03:00:00+07:00", None, False),
        # a value recorded as written, its file's order not kept: read where it names one
        # day only (helper-122)
        ("25/03/2024", "03/25/2024", "month-first", True),
        ("05/03/2024", "03/05/2024", "month-first", False),
        ("05/03/2024", "05/03/2024", "month-first", True),  # as recorded, to the letter
    ],
)
def test_a_value_sent_again_is_the_one_recorded_only_where_it_can_name_nothing_else(
    recorded: object, given: object, order: str | None, same: bool
) -> None:
    """Form exports and register files sent back write the same value otherwise: a
    workbook's number or date cell, a CSV's text (helper-115, helper-119). A day written
    with the day and month first is that day where the file's order is known or it can
    name no other; swapped, or a time changed, it is a change (helper-120). The order is
    the one of the file giving the value; without one, either may be the recorded."""
    assert same_value(recorded, given, order) is same
    if order is None:
        assert same_value(given, recorded) is same


def test_a_long_text_after_a_day_is_compared_as_text_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """helper-131: a day and time followed by 32,767 characters of spaces cost the clock's
    pattern about 80 s (8,000 spaces, 4.8 s), in the upload's worker and then in the review
    page's process, which answered nobody meanwhile. Such a text names no moment: the
    clock's pattern never reads it, and it is compared as it is written."""
    from ims.ingest import validate

    clock = validate._CLOCK

    class Unread:
        def match(self, text: str) -> object:
            assert len(text) < 100, f"the clock's pattern read {len(text):,} characters"
            return clock.match(text)

    long = "2024-01-01 10:00" + " " * 32_000 + "x"
    with monkeypatch.context() as patched:
        patched.setattr(validate, "_CLOCK", Unread())
        assert same_value(long, long) and not same_value(long, "2024-01-01 10:00")
        assert not same_value("2024-01-01 10:00" + " " * 8_000 + "x", "2024-01-01 10:00 x")
    # a day and time as files write them is still read as a moment
    assert same_value("2024-03-05T10:30:00.123456 +07:00", "2024-03-05T03:30:00.123456Z")
