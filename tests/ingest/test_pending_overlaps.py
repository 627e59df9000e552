"""A new hazard that shares ground with a new hazard of another submission awaiting review
is warned at upload (``overlaps_pending``): the same hazard sent twice under two
references by two files was told nothing until the second approval, and recorded twice
(docs/design.md §2.9). Shared areas against pyproj's geodesic areas."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyproj import Geod
from shapely.geometry import MultiPolygon, box
from sqlalchemy.orm import Session

from ims.db.recording import load_boundaries
from ims.domain.records import BoundaryFeature
from ims.ingest import approval, submissions
from ims.queries.submissions import submission_review
from tests.ingest.test_submissions import LAOS, hazard_frame, write_zip

GEOD = Geod(ellps="WGS84")
SQUARE = box(102.20, 19.50, 102.21, 19.51)
HALF_OVER = box(102.205, 19.50, 102.215, 19.51)  # half of it on SQUARE
APART = box(102.30, 19.50, 102.31, 19.51)


@pytest.fixture
def country(session: Session) -> None:
    load_boundaries(session, [BoundaryFeature("LA-XI", "X", MultiPolygon([LAOS]))], level=1)


def m2(geom: object) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0])


def stage(session: Session, tmp_path: Path, name: str, rows, geoms, **kw):  # type: ignore[no-untyped-def]
    frame = hazard_frame(rows, geoms)
    return submissions.stage(session, write_zip(frame, tmp_path, name), kind="hazards", **kw)


def pending(outcome) -> list:  # type: ignore[no-untyped-def]
    return [f for f in outcome.findings if f.code == "overlaps_pending"]


def test_a_hazard_sent_again_under_another_reference_is_warned_with_the_shared_area(
    session: Session, country: None, tmp_path: Path
) -> None:
    first = stage(session, tmp_path, "a", [{"hazard_id": "PO-A"}], [SQUARE])
    assert pending(first) == []
    second = stage(
        session,
        tmp_path,
        "b",
        [{"hazard_id": "PO-B"}, {"hazard_id": "PO-C"}],
        [HALF_OVER, APART],
    )
    [found] = pending(second)
    assert (found.row, found.reference, found.field) == (1, "PO-B", "geometry")
    assert found.severity == "warning" and second.errors == 0
    shared = m2(SQUARE.intersection(HALF_OVER))
    assert f"overlaps hazard PO-A in submission {first.submission.id} (" in found.message
    number = float(found.message.split("(")[1].split(" m²")[0].replace(",", ""))
    assert number == pytest.approx(shared, abs=0.5)
    assert "reject one if it is the same hazard sent again" in found.message


def test_the_same_reference_a_decided_submission_and_the_one_replaced_are_not_told(
    session: Session, country: None, tmp_path: Path
) -> None:
    first = stage(session, tmp_path, "a", [{"hazard_id": "PO-A"}], [SQUARE])
    # the same reference is told as pending_elsewhere, once
    again = stage(session, tmp_path, "b", [{"hazard_id": "PO-A"}], [HALF_OVER])
    assert pending(again) == []
    assert [f.code for f in again.findings].count("pending_elsewhere") == 1
    # ...whatever spaces either file left after it (the first's had been kept as sent, so
    # "PO-A   " awaiting review was never told of: an attack on our own instance)
    geojson = tmp_path / "spaced.geojson"  # a shapefile's cells lose their trailing spaces
    hazard_frame([{"hazard_id": "PO-S   "}], [APART]).to_file(geojson, driver="GeoJSON")
    spaced = submissions.stage(session, geojson, kind="hazards")
    told = stage(session, tmp_path, "t", [{"hazard_id": "PO-S"}], [APART])
    assert f"submission {spaced.submission.id}" in " ".join(
        f.message for f in told.findings if f.code == "pending_elsewhere"
    )
    # a correction of the first, replacing it, does not overlap what it replaces
    fixed = stage(
        session,
        tmp_path,
        "c",
        [{"hazard_id": "PO-A2"}],
        [HALF_OVER],
        replaces=first.submission.id,
    )
    assert [f.message for f in pending(fixed)] == [
        f"overlaps hazard PO-A in submission {again.submission.id} "
        f"({m2(HALF_OVER):,.0f} m²), awaiting review: approving both counts the shared "
        "ground twice; reject one if it is the same hazard sent again"
    ]
    approval.reject(session, again.submission.id, reason="sent twice", by="reviewer")
    later = stage(session, tmp_path, "d", [{"hazard_id": "PO-D"}], [SQUARE])
    assert [f.reference for f in pending(later)] == ["PO-D"]  # PO-A2 awaits still
    assert "PO-A2" in pending(later)[0].message and "PO-A " not in pending(later)[0].message


def test_an_operator_is_not_told_of_another_organisations_hazards(
    session: Session, country: None, tmp_path: Path
) -> None:
    stage(session, tmp_path, "a", [{"hazard_id": "PO-A"}], [SQUARE], organisation="NPA")
    mine = stage(
        session,
        tmp_path,
        "b",
        [{"hazard_id": "PO-B", "operator": "MAG"}],
        [HALF_OVER],
        organisation="MAG",
        own_records=True,
    )
    assert pending(mine) == []
    # the authority's own upload is told of every organisation's
    national = stage(session, tmp_path, "c", [{"hazard_id": "PO-C"}], [HALF_OVER])
    [told] = pending(national)
    assert "hazard PO-A in submission" in told.message
    assert "hazard PO-B in submission" in told.message


def test_a_feature_with_an_error_in_the_other_file_is_not_told_as_pending_elsewhere(
    session: Session, country: None, tmp_path: Path
) -> None:
    """It can never be recorded by that file (an approval in part leaves it out), yet the
    warning pointed at it (a new user's review)."""
    # PO-E with a status no template allows: an error on its field
    wrong = stage(session, tmp_path, "a", [{"hazard_id": "PO-E", "status": "MAYBE"}], [SQUARE])
    fixed = stage(session, tmp_path, "b", [{"hazard_id": "PO-E"}], [SQUARE])
    assert "pending_elsewhere" not in [f.code for f in fixed.findings], fixed.findings
    # nor as sharing ground under another reference: only the right one is named
    renamed = stage(session, tmp_path, "c", [{"hazard_id": "PO-F"}], [HALF_OVER])
    said = " ".join(f.message for f in pending(renamed))
    assert f"PO-E in submission {fixed.submission.id}" in said
    assert f"submission {wrong.submission.id}" not in said


def test_the_review_says_what_became_of_the_submissions_a_warning_names(
    session: Session, country: None, tmp_path: Path
) -> None:
    """The warning is kept as found at upload; once a submission it names is rejected (or
    approved, withdrawn), the review says so beside it. It had gone on asking the reviewer
    to reject one of two, the other long rejected (the demo's submission 67)."""
    first = stage(session, tmp_path, "a", [{"hazard_id": "PO-A"}], [SQUARE])
    other = stage(session, tmp_path, "o", [{"hazard_id": "PO-O"}], [SQUARE])
    second = stage(session, tmp_path, "b", [{"hazard_id": "PO-B"}], [HALF_OVER])
    review = submission_review(session, second.submission.id, code="overlaps_pending")
    [found] = review.findings
    assert f"submission {first.submission.id}" in found.message
    assert f"submission {other.submission.id}" in found.message
    assert review.since == [""]  # both await review
    approval.reject(session, first.submission.id, reason="sent twice", by="reviewer")
    review = submission_review(session, second.submission.id, code="overlaps_pending")
    assert review.since == [f"since then, submission {first.submission.id} was rejected"]
    approval.reject(session, other.submission.id, reason="sent twice", by="reviewer")
    review = submission_review(session, second.submission.id, code="overlaps_pending")
    [both] = review.since  # in the order the warning names them
    assert both.startswith("since then, submission ") and " was rejected and " in both
    assert {
        f"submission {first.submission.id} was rejected",
        f"submission {other.submission.id} was rejected",
    } == set(both.removeprefix("since then, ").split(" and "))


def test_a_reference_naming_a_submission_does_not_make_the_review_say_its_status(
    session: Session, country: None, tmp_path: Path
) -> None:
    """References are the files' own text: one reading "in submission 125" had the review
    say what became of submission 125, another organisation's (helper-117). A submission
    is said only where the warning names it as ims writes it, holding the hazard named
    with it."""
    decoy = stage(session, tmp_path, "d", [{"hazard_id": "PO-D"}], [APART])
    approval.reject(session, decoy.submission.id, reason="a decoy", by="reviewer")
    spoof = f"PO-Z in submission {decoy.submission.id} and in submission {decoy.submission.id}"
    first = stage(session, tmp_path, "a", [{"hazard_id": spoof}], [SQUARE])
    second = stage(session, tmp_path, "b", [{"hazard_id": "PO-B"}], [HALF_OVER])
    review = submission_review(session, second.submission.id, code="overlaps_pending")
    [found] = review.findings
    assert f"hazard {spoof} in submission {first.submission.id} (" in found.message
    assert review.since == [""]
    approval.reject(session, first.submission.id, reason="sent twice", by="reviewer")
    review = submission_review(session, second.submission.id, code="overlaps_pending")
    assert review.since == [f"since then, submission {first.submission.id} was rejected"]
