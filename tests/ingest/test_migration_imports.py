"""Legacy data coming in (issue: migrating a national database, docs/design.md §2.7, §4).

Releases without a hazard id matched by geometry and split among hazards; land released
outside every recorded hazard recorded apart; invalid polygons repaired when asked, with the
areas before and after; approval in part. Expected areas are independent: PostGIS
``ST_Area(geography)`` on what was recorded, compared with the boxes' areas from pyproj.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon, box
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ims.db.models import Hazard, OutsideRelease, Release, Submission
from ims.db.recording import load_boundaries
from ims.domain.enums import Contamination, HazardStatus
from ims.domain.records import BoundaryFeature
from ims.errors import Conflict, InvalidRequest
from ims.ingest import approval, submissions
from ims.queries.submissions import submission_review
from ims.reports.article7 import ReportScope, article4, article7

LAOS = box(100.0, 13.9, 107.7, 22.5)
GEOD = Geod(ellps="WGS84")


def box_m2(x0: float, y0: float, x1: float, y1: float) -> float:
    """A lon/lat box's area (pyproj on a densified ring: straight lon/lat edges)."""
    ring = box(x0, y0, x1, y1).segmentize(0.00001).exterior
    area, _ = GEOD.polygon_area_perimeter(*ring.xy)
    return abs(area)


@pytest.fixture
def country(session: Session) -> None:
    load_boundaries(
        session, [BoundaryFeature("LA-XI", "Xiangkhouang", MultiPolygon([LAOS]))], level=1
    )


def upload(session: Session, tmp_path: Path, kind: str, rows: list[dict], geoms: list, **kw):  # type: ignore[no-untyped-def, type-arg]
    path = tmp_path / f"{kind}-{len(list(tmp_path.iterdir()))}.gpkg"
    gpd.GeoDataFrame(rows, geometry=geoms, crs=4326).to_file(path, driver="GPKG")
    return submissions.stage(session, path, kind=kind, **kw)


@pytest.fixture
def two_hazards(session: Session, country: None, tmp_path: Path) -> None:
    """A and B, side by side with a 0.001° gap, recorded 2020-01-01."""
    out = upload(
        session,
        tmp_path,
        "hazards",
        [
            {"hazard_id": "A", "status": "CHA", "recorded": "2020-01-01"},
            {"hazard_id": "B", "status": "SHA", "recorded": "2020-01-01"},
        ],
        [box(103.00, 19.00, 103.01, 19.01), box(103.011, 19.00, 103.02, 19.01)],
    )
    approval.approve(session, out.submission.id, by="reviewer")


def geography_m2(session: Session, table: str, reference: str) -> float:
    return float(
        session.scalar(
            text(f"SELECT ST_Area(geom::geography) FROM {table} WHERE reference = :r"),
            {"r": reference},
        )
    )


def released_2021(session: Session) -> dict[str, float]:
    return article7(session, 2021, ReportScope())["released"][-1]  # type: ignore[no-any-return]


def test_a_release_without_hazard_id_is_split_among_the_hazards_it_lies_on(
    session: Session, two_hazards: None, tmp_path: Path
) -> None:
    # across A's east edge, the gap, and B's west edge
    out = upload(
        session,
        tmp_path,
        "releases",
        [{"release_id": "CL-1", "method": "cleared", "released": "2021-06-01", "items": "M42:3"}],
        [box(103.009, 19.004, 103.013, 19.005)],
    )
    codes = {f.code for f in out.findings}
    assert out.errors == 0
    assert {"matched_by_geometry", "released_outside_hazards"} <= codes
    approval.approve(session, out.submission.id, by="reviewer")
    rows = session.execute(
        select(Release.reference, Hazard.reference).join(Hazard).order_by(Release.reference)
    ).all()
    assert [tuple(r) for r in rows] == [("CL-1#1", "A"), ("CL-1#2", "B")]
    on_a = box_m2(103.009, 19.004, 103.010, 19.005)
    on_b = box_m2(103.011, 19.004, 103.013, 19.005)
    gap = box_m2(103.010, 19.004, 103.011, 19.005)
    assert geography_m2(session, "release", "CL-1#1") == pytest.approx(on_a, rel=1e-4)
    assert geography_m2(session, "release", "CL-1#2") == pytest.approx(on_b, rel=1e-4)
    outside = session.scalars(select(OutsideRelease)).one()
    assert outside.reference == "CL-1#outside"
    assert outside.area_m2 == pytest.approx(gap, rel=1e-4)
    assert (outside.attributes or {})["split_from"] == "CL-1"
    # the items destroyed go with the largest part (B's), and are counted once
    total = released_2021(session)
    assert total["cleared_m2"] == pytest.approx(on_a + on_b, rel=1e-4)
    assert total["released_outside_hazards_m2"] == pytest.approx(gap, rel=1e-4)
    assert total["destroyed"] == [{"type": "M42", "quantity": 3, "cmr": True}]


def test_land_released_outside_every_hazard_is_recorded_apart_and_changes_no_figure(
    session: Session, two_hazards: None, tmp_path: Path
) -> None:
    before = article7(session, 2021, ReportScope())
    out = upload(
        session,
        tmp_path,
        "releases",
        [{"release_id": "OLD-7", "method": "cleared", "released": "2021-03-01"}],
        [box(104.0, 20.0, 104.001, 20.001)],
    )
    assert out.errors == 0
    assert [f.code for f in out.findings if f.row] == ["released_outside_hazards"]
    approval.approve(session, out.submission.id, by="reviewer")
    assert session.scalar(select(func.count()).select_from(Release)) == 0
    outside = session.scalars(select(OutsideRelease)).one()
    assert outside.reference == "OLD-7"
    after = article7(session, 2021, ReportScope())
    assert after["remaining"] == before["remaining"]
    row = after["released"][-1]
    assert (row["cancelled_m2"], row["reduced_m2"], row["cleared_m2"]) == (0.0, 0.0, 0.0)
    assert row["released_outside_hazards_m2"] == pytest.approx(
        box_m2(104.0, 20.0, 104.001, 20.001), rel=1e-4
    )
    province = after["released"][0]
    assert province["admin_code"] == "LA-XI"
    assert province["released_outside_hazards_m2"] == row["released_outside_hazards_m2"]
    # the year before knows nothing of it
    assert (
        article7(session, 2020, ReportScope())["released"][-1]["released_outside_hazards_m2"] == 0.0
    )


def test_a_release_on_a_hazard_of_mines_releases_land_of_mines_outside_it_too(
    session: Session, country: None, tmp_path: Path
) -> None:
    # Its part outside every hazard had been recorded as CMR, the default kind, and so
    # counted in the Convention on Cluster Munitions' Form 1(i); the review had shown its
    # blank contam "→ CMR".
    hazard = upload(
        session,
        tmp_path,
        "hazards",
        [{"hazard_id": "M", "status": "CHA", "recorded": "2020-01-01", "contam": "APM"}],
        [box(103.00, 19.00, 103.01, 19.01)],
    )
    approval.approve(session, hazard.submission.id, by="reviewer")
    out = upload(
        session,
        tmp_path,
        "releases",
        [{"release_id": "R", "hazard_id": "M", "method": "cleared", "released": "2021-03-01"}],
        [box(103.005, 19.00, 103.015, 19.01)],  # half of it east of M
        split=True,
    )
    assert out.errors == 0
    review = submission_review(session, out.submission.id)
    assert [f["clean"]["contam"] for f in review.features] == ["APM"]
    approval.approve(session, out.submission.id, by="reviewer")
    outside = session.scalars(select(OutsideRelease)).one()
    assert (outside.reference, outside.contam) == ("R#outside", "APM")
    east = box_m2(103.01, 19.00, 103.015, 19.01)
    of_mines = article7(session, 2021, ReportScope(contam=Contamination.APM))["released"][-1]
    assert of_mines["released_outside_hazards_m2"] == pytest.approx(east, rel=1e-4)
    assert released_2021(session)["released_outside_hazards_m2"] == 0.0  # CMR: none
    # and a legacy release that names no hazard, matched to hazards of mines alone
    legacy = upload(
        session,
        tmp_path,
        "releases",
        [{"release_id": "L", "method": "cleared", "released": "2021-05-01"}],
        [box(103.005, 19.00, 103.015, 19.01)],
    )
    assert [
        f["clean"]["contam"] for f in submission_review(session, legacy.submission.id).features
    ] == ["APM"]
    approval.approve(session, legacy.submission.id, by="reviewer")
    assert (
        session.scalar(select(OutsideRelease.contam).where(OutsideRelease.reference == "L#outside"))
        == "APM"
    )
    # a kind given still wins: the operator says what the land outside was of
    given = upload(
        session,
        tmp_path,
        "releases",
        [
            {
                "release_id": "S",
                "hazard_id": "M",
                "method": "cleared",
                "released": "2021-04-01",
                "contam": "ERW",
            }
        ],
        [box(103.005, 19.00, 103.015, 19.01)],
        split=True,
    )
    assert [
        f["clean"]["contam"] for f in submission_review(session, given.submission.id).features
    ] == ["ERW"]
    # and is told it differs from the hazard's kind (a legacy default, often)
    assert [f.message for f in given.findings if f.code == "contam_differs"] == [
        "contam ERW differs from the kind of hazard M, APM: the land released on the hazard "
        "counts as APM, and any part outside every hazard as ERW, as given. If the hazard's "
        "kind is meant, leave contam empty"
    ]


def test_a_reviewer_makes_land_released_outside_hazards_a_retrospective_hazard(
    session: Session, two_hazards: None, tmp_path: Path
) -> None:
    out = upload(
        session,
        tmp_path,
        "releases",
        [{"release_id": "OLD-8", "method": "reduced", "released": "2021-03-01"}],
        [box(104.0, 20.0, 104.002, 20.001)],
    )
    approval.approve(session, out.submission.id, by="reviewer")
    before = article7(session, 2021, ReportScope())
    m2 = box_m2(104.0, 20.0, 104.002, 20.001)
    # its reference is checked as an upload's: "A/." would address A's pages, a Hangul
    # filler shows as nothing (an attack on our own instance)
    # and "(none)", which empties a revision's field, is not one (the same attack, again)
    # and a reference that reads as a recorded one ("a" beside A, a Cyrillic А)
    for bad in ("RETRO-1/.", "RETRO-1\u3164", "RETRO-1/revise", "(none)", " (None) ", "a", "А"):
        with pytest.raises(InvalidRequest):
            approval.convert_outside(
                session, "OLD-8", hazard_reference=bad, status=HazardStatus.CHA, by="reviewer"
            )
    done = approval.convert_outside(
        session, "OLD-8", hazard_reference="RETRO-1", status=HazardStatus.CHA, by="reviewer"
    )
    assert done.hazard_reference == "RETRO-1"
    after = article7(session, 2021, ReportScope())
    assert after["remaining"][-1] == before["remaining"][-1]  # added and released the same day
    row = after["released"][-1]
    assert row["reduced_m2"] == pytest.approx(before["released"][-1]["reduced_m2"] + m2, rel=1e-4)
    assert row["released_outside_hazards_m2"] == 0.0
    assert row["hazards_closed"] == before["released"][-1]["hazards_closed"] + 1
    a4 = article4(session, dt.date(2020, 12, 31), dt.date(2021, 12, 31), None)
    assert a4["added_since_m2"] == pytest.approx(m2, rel=1e-4)
    with pytest.raises(Conflict):
        approval.convert_outside(
            session, "OLD-8", hazard_reference="RETRO-2", status=HazardStatus.SHA
        )


def test_a_split_whose_parts_names_are_taken_is_an_error_at_upload_not_at_approval(
    session: Session, two_hazards: None, tmp_path: Path
) -> None:
    """A release "R-1#1" recorded first made the split of R-1 fail at approval, 409, after
    a clean review (an attack on our own instance): the parts' names are checked as the
    file is read."""
    first = upload(
        session,
        tmp_path,
        "releases",
        [{"release_id": "R-1#1", "hazard_id": "A", "method": "cleared", "released": "2021-06-01"}],
        [box(103.001, 19.001, 103.002, 19.002)],
    )
    approval.approve(session, first.submission.id, by="reviewer")
    rows = [{"release_id": "R-1", "hazard_id": "A", "method": "cleared", "released": "2021-06-01"}]
    split = upload(
        session, tmp_path, "releases", rows, [box(103.008, 19.004, 103.012, 19.005)], split=True
    )
    [taken] = [f for f in split.findings if f.code == "already_recorded"]
    assert taken.field == "release_id" and "R-1#1 is already a release's reference" in taken.message


def test_a_named_release_reaching_onto_another_hazard_is_offered_the_split(
    session: Session, two_hazards: None, tmp_path: Path
) -> None:
    rows = [{"release_id": "R-1", "hazard_id": "A", "method": "cleared", "released": "2021-06-01"}]
    geoms = [box(103.008, 19.004, 103.012, 19.005)]
    plain = upload(session, tmp_path, "releases", rows, geoms)
    assert "lies_on_other_hazards" in {f.code for f in plain.findings}
    approval.reject(session, plain.submission.id, reason="trying the split", by="reviewer")
    split = upload(session, tmp_path, "releases", rows, geoms, split=True)
    assert split.submission.split
    assert "split_among_hazards" in {f.code for f in split.findings}
    approval.approve(session, split.submission.id, by="reviewer")
    rows_ = session.execute(
        select(Release.reference, Hazard.reference).join(Hazard).order_by(Release.reference)
    ).all()
    assert [tuple(r) for r in rows_] == [("R-1#1", "A"), ("R-1#2", "B")]
    assert session.scalars(select(OutsideRelease.reference)).all() == ["R-1#outside"]
    # the approved submission's page names (and links) both hazards the release is on
    review = submission_review(session, split.submission.id)
    assert [(f["reference"], f["hazards"]) for f in review.features] == [("R-1", ["A", "B"])]


def bowtie(x: float, y: float, d: float = 0.001) -> Polygon:
    return Polygon([(x, y), (x + d, y + d), (x + d, y), (x, y + d), (x, y)])


def test_invalid_polygons_are_refused_unless_repair_is_chosen(
    session: Session, country: None, tmp_path: Path
) -> None:
    rows = [{"hazard_id": "BT-1", "status": "SHA", "recorded": "2020-01-01"}]
    refused = upload(session, tmp_path, "hazards", rows, [bowtie(103.0, 19.0)])
    assert [f.code for f in refused.findings if f.blocking] == ["invalid_geometry"]
    fixed = upload(session, tmp_path, "hazards", rows, [bowtie(103.0, 19.0)], repair=True)
    assert fixed.errors == 0
    [finding] = [f for f in fixed.findings if f.code == "repaired_geometry"]
    assert "m² once valid" in finding.message
    # a bow-tie's two halves have opposite senses: no "0.0 m² as drawn"
    assert "its outline crosses itself" in finding.message and "as drawn" not in finding.message
    said = finding.message.split("crosses itself, ")[1].split(" m²")[0]
    once_valid = float(said.replace(",", ""))
    # its two triangles, by pyproj on densified rings (straight lon/lat edges)
    halves = shapely.make_valid(bowtie(103.0, 19.0)).geoms
    expected = sum(
        abs(GEOD.geometry_area_perimeter(half.segmentize(0.00001))[0]) for half in halves
    )
    assert once_valid == pytest.approx(expected, abs=0.1)  # the message rounds to 0.1 m²
    # the original kept beside the repaired polygon, for the reviewer and the findings file
    raw, geom = session.execute(
        text(
            "SELECT ST_IsValid(raw_geom), ST_IsValid(geom) FROM submission_feature "
            "WHERE submission_id = :s"
        ),
        {"s": fixed.submission.id},
    ).one()
    assert (raw, geom) == (False, True)
    # approval checks again (a change since staging) with the same choice, and records it
    session.execute(text("UPDATE submission SET validated_against = NULL"))
    approval.approve(session, fixed.submission.id, by="reviewer")
    m2 = geography_m2(session, "hazard_revision r JOIN hazard h ON h.id = r.hazard_id", "BT-1")
    assert m2 == pytest.approx(box_m2(103.0, 19.0, 103.001, 19.001) / 2, rel=1e-3)


def test_a_near_empty_polygon_gets_a_finding(
    session: Session, country: None, tmp_path: Path
) -> None:
    out = upload(
        session,
        tmp_path,
        "hazards",
        [{"hazard_id": "TINY", "status": "SHA", "recorded": "2020-01-01"}],
        [box(103.0, 19.0, 103.0000001, 19.0000001)],
    )
    assert "near_empty" in {f.code for f in out.findings}


def test_partial_approval_applies_the_good_features_and_keeps_the_rest_with_findings(
    session: Session, country: None, tmp_path: Path
) -> None:
    rows = [
        {"hazard_id": "OK-1", "status": "SHA", "recorded": "2020-01-01"},
        {"hazard_id": "BAD-1", "status": "SHA", "recorded": "2020-01-01"},
        {"hazard_id": "OK-2", "status": "CHA", "recorded": "2020-01-01"},
        # a revision of BAD-1: it cannot be recorded once BAD-1 is left out
        {"hazard_id": "BAD-1", "status": "CHA", "revised": "2021-01-01"},
    ]
    geoms = [
        box(103.0, 19.0, 103.01, 19.01),
        None,
        box(103.1, 19.0, 103.11, 19.01),
        box(103.2, 19.0, 103.21, 19.01),
    ]
    out = upload(session, tmp_path, "hazards", rows, geoms)
    assert out.errors == 1
    with pytest.raises(Conflict):
        approval.approve(session, out.submission.id, by="reviewer")
    findings = approval.approve(session, out.submission.id, by="reviewer", partial=True)
    assert set(session.scalars(select(Hazard.reference))) == {"OK-1", "OK-2"}
    sub = session.get(Submission, out.submission.id)
    assert sub is not None and (sub.status, sub.partial) == ("approved", True)
    left = {(f.row, f.code) for f in findings if f.blocking}
    assert (2, "empty_geometry") in left
    assert any(row == 4 for row, _ in left)  # the revision, with why
    stored = {(f.row, f.code) for f in submissions.findings_of(session, sub.id) if f.blocking}
    assert stored == left


def test_approving_in_part_a_file_whose_every_feature_has_an_error_says_so(
    session: Session, country: None, tmp_path: Path
) -> None:
    """It crashed (an empty set of features checked again): 500 'an unexpected error'."""
    rows = [
        {"hazard_id": "ALL-BAD-1", "status": "SHA", "recorded": "someday"},
        {"hazard_id": "ALL-BAD-2", "status": "SHA", "recorded": "someday"},
    ]
    out = upload(session, tmp_path, "hazards", rows, [box(103.0, 19.0, 103.01, 19.01)] * 2)
    assert out.errors == 2
    with pytest.raises(Conflict, match=r"every feature of submission \d+ has an error"):
        approval.approve(session, out.submission.id, by="reviewer", partial=True)
    sub = session.get(Submission, out.submission.id)
    assert sub is not None and sub.status == "validated"
    assert session.scalar(select(func.count()).select_from(Hazard)) == 0


def test_a_split_release_says_which_part_its_items_are_counted_with(
    session: Session, two_hazards: None, tmp_path: Path
) -> None:
    """A release split among hazards had its items counted with its largest part without
    a word (a review as a data manager); the warning names the part the approval records
    them with."""
    rows = [
        {"release_id": "R-9", "hazard_id": "A", "method": "cleared", "released": "2021-06-01",
         "items": "BLU-26:3"}
    ]  # fmt: skip
    geoms = [box(103.0085, 19.004, 103.0135, 19.005)]  # 1.5e-3 on A, 1e-3 between, 2.5e-3 on B
    split = upload(session, tmp_path, "releases", rows, geoms, split=True)
    (said,) = [f for f in split.findings if f.code == "items_with_largest_part"]
    assert said.field == "items" and not said.blocking
    assert said.message.startswith(
        "the release is split: its items found and destroyed are counted once, with its "
        "largest part (R-9#2, on hazard B, "
    )
    approval.approve(session, split.submission.id, by="reviewer")
    counted = session.execute(
        text(
            "SELECT r.reference, ri.quantity FROM release_item ri"
            " JOIN release r ON r.id = ri.release_id"
        )
    ).all()
    assert [tuple(c) for c in counted] == [("R-9#2", 3)]


def test_a_release_all_outside_every_hazard_is_not_told_it_is_split(
    session: Session, two_hazards: None, tmp_path: Path
) -> None:
    """A release that names no hazard and lies in none is one record, items and all: it was
    warned "the release is split" (a review as an operator's data manager)."""
    rows = [
        {"release_id": "R-OUT", "method": "cleared", "released": "2021-06-01",
         "items": "BLU-26:2"}
    ]  # fmt: skip
    away = upload(session, tmp_path, "releases", rows, [box(103.05, 19.05, 103.06, 19.06)])
    assert "items_with_largest_part" not in {f.code for f in away.findings}
    assert {f.code for f in away.findings} == {"released_outside_hazards"}
