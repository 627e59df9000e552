"""One hazard or release recorded or corrected through the API: each a one-feature
submission with the findings, review and approval of any upload (issue 16, item 5)."""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon, box, mapping
from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.db.recording import load_boundaries
from ims.domain.records import BoundaryFeature
from ims.ingest import drawn
from tests.api.test_uploads_api import LAOS
from tests.utils import ClientAs

GEOD = Geod(ellps="WGS84")
SQUARE = box(103.40, 19.40, 103.41, 19.41)


def geod_area(geom: Any) -> float:
    """The geodesic area of a polygon by pyproj, independently of ims."""
    return abs(GEOD.geometry_area_perimeter(geom)[0])


@pytest.fixture
def country(session: Session) -> None:
    load_boundaries(
        session, [BoundaryFeature("LA-XI", "Xiangkhouang", MultiPolygon([LAOS]))], level=1
    )


def _hazard(ref: str, geom: Any = SQUARE, **props: Any) -> dict[str, Any]:
    properties = {"hazard_id": ref, "status": "SHA", "recorded": "2020-01-01", **props}
    return {"type": "Feature", "geometry": mapping(geom), "properties": properties}


def _approve(client: TestClient, submission: dict[str, Any]) -> None:
    answer = client.post(f"/api/v1/submissions/{submission['id']}/approve")
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "approved"


def _state(session: Session, ref: str) -> Any:
    return session.execute(
        text(
            "SELECT m.status, m.area_m2, m.remaining_m2 FROM hazard_remaining m "
            "JOIN hazard h ON h.id = m.hazard_id WHERE h.reference = :r"
        ),
        {"r": ref},
    ).one()


def test_a_hazard_posted_as_a_feature_is_a_submission_then_recorded_on_approval(
    session: Session, country: None, client_as: ClientAs
) -> None:
    operator = client_as("operator", organisation="MAG")
    answer = operator.post("/api/v1/hazards", json=_hazard("REC-1", munitions="BLU-26:4"))
    assert answer.status_code == 201, answer.text
    sub = answer.json()
    assert (sub["kind"], sub["status"], sub["feature_count"], sub["errors"]) == (
        "hazards",
        "validated",
        1,
        0,
    )
    # nothing is recorded before a reviewer approves it
    assert session.scalar(text("SELECT count(*) FROM hazard WHERE reference = 'REC-1'")) == 0
    _approve(client_as("reviewer"), sub)
    status, area, remaining = _state(session, "REC-1")
    assert status == "SHA"
    assert area == pytest.approx(geod_area(SQUARE), rel=1e-6)
    assert remaining == pytest.approx(area)
    operator_of = session.scalar(
        text(
            "SELECT o.name FROM submission s JOIN organisation o ON o.id = s.organisation_id "
            "WHERE s.id = :s"
        ),
        {"s": sub["id"]},
    )
    assert operator_of == "MAG"


def test_findings_name_the_field_and_an_operator_records_only_for_their_organisation(
    session: Session, country: None, client_as: ClientAs
) -> None:
    operator = client_as("operator", organisation="MAG")
    bad = operator.post(
        "/api/v1/hazards", json=_hazard("REC-2", status="maybe", recorded="2020-13-40")
    )
    assert bad.status_code == 201, bad.text
    fields = {f["field"] for f in bad.json()["findings"] if f["severity"] == "error"}
    assert {"status", "recorded"} <= fields
    other = operator.post("/api/v1/hazards", json=_hazard("REC-3", operator="HALO Trust"))
    assert other.status_code == 403
    line = operator.post(
        "/api/v1/hazards",
        json={**_hazard("REC-4"), "geometry": {"type": "Point", "coordinates": [103, 19]}},
    )
    assert line.status_code == 422


def test_an_operators_record_is_not_told_of_another_organisations_pending_hazards(
    session: Session, country: None, client_as: ClientAs
) -> None:
    """A polygon drawn round a province had listed another organisation's hazards awaiting
    review, their submission and the area shared, and a guessed reference was confirmed
    (an attack on our own instance): files were compared with their own organisation's
    pending submissions only, records not."""
    theirs = client_as("operator", organisation="NPA").post(
        "/api/v1/hazards", json=_hazard("PEND-1")
    )
    assert theirs.status_code == 201, theirs.text
    mag = client_as("operator", organisation="MAG")
    around = box(103.3, 19.3, 103.5, 19.5)  # holds PEND-1 whole
    their_file = f"submission {theirs.json()['id']}"
    for probe in (_hazard("PROBE-1", around), _hazard("PEND-1", box(103.6, 19.6, 103.61, 19.61))):
        answer = mag.post("/api/v1/hazards", json=probe)
        assert answer.status_code == 201, answer.text
        findings = answer.json()["findings"]
        assert all(their_file not in f["message"] for f in findings), findings
        assert "pending_elsewhere" not in {f["code"] for f in findings}, findings
    # the same record from the authority's reviewer, of no organisation, is told of it, as
    # its files are: staff alone read it
    reviewer = client_as("reviewer")
    national = reviewer.post("/api/v1/hazards", json=_hazard("NAT-1", around))
    assert national.status_code == 201, national.text
    codes = {f["code"]: f["message"] for f in national.json()["findings"]}
    assert "PEND-1 in submission" in codes.get("overlaps_pending", ""), codes
    # but a reviewer's record for MAG (a correction of theirs, say) is MAG's to read: it had
    # told MAG's operators of NPA's hazard awaiting review (an attack, helper-102)
    for_mag = reviewer.post("/api/v1/hazards", json=_hazard("MAG-9", around, operator="MAG"))
    assert for_mag.status_code == 201, for_mag.text
    read_by_mag = mag.get(f"/api/v1/submissions/{for_mag.json()['id']}")
    assert read_by_mag.status_code == 200
    assert their_file not in read_by_mag.text and "PEND-1" not in read_by_mag.text
    assert mag.get(f"/submissions/{for_mag.json()['id']}").text.count("PEND-1") == 0
    # nor once approved, when its findings are found again
    _approve(client_as("admin"), for_mag.json())
    assert "PEND-1" not in mag.get(f"/api/v1/submissions/{for_mag.json()['id']}").text


def test_a_revision_moves_the_boundary_and_a_status_change_keeps_it(
    session: Session, country: None, client_as: ClientAs
) -> None:
    admin = client_as()
    reviewer = client_as("reviewer")
    _approve(reviewer, admin.post("/api/v1/hazards", json=_hazard("REC-5")).json())
    smaller = box(103.40, 19.40, 103.405, 19.41)
    moved = admin.post(
        "/api/v1/hazards/REC-5/revisions",
        json={
            "type": "Feature",
            "geometry": mapping(smaller),
            "properties": {"revised": "2021-06-01", "reason": "resurvey"},
        },
    )
    assert moved.status_code == 201, moved.text
    assert moved.json()["errors"] == 0, moved.json()["findings"]
    # its documented reason is kept without a note that it is no template field
    assert [f["code"] for f in moved.json()["findings"]] == [], moved.json()["findings"]
    _approve(reviewer, moved.json())
    assert _state(session, "REC-5").area_m2 == pytest.approx(geod_area(smaller), rel=1e-6)
    status_only = admin.post(
        "/api/v1/hazards/REC-5/revisions",
        json={"type": "Feature", "properties": {"revised": "2022-01-01", "status": "CHA"}},
    )
    assert status_only.status_code == 201, status_only.text
    _approve(reviewer, status_only.json())
    status, area, _ = _state(session, "REC-5")
    assert status == "CHA"
    assert area == pytest.approx(geod_area(smaller), rel=1e-6)
    reason = session.scalar(
        text(
            "SELECT r.attributes->>'reason' FROM hazard_revision r JOIN hazard h "
            "ON h.id = r.hazard_id WHERE h.reference = 'REC-5' AND r.effective = '2021-06-01'"
        )
    )
    assert reason == "resurvey"
    unknown = admin.post(
        "/api/v1/hazards/NO-SUCH/revisions",
        json={"type": "Feature", "properties": {"revised": "2022-01-01", "status": "CHA"}},
    )
    assert unknown.status_code == 404


def test_a_status_only_revision_keeps_the_boundary_stored_to_the_last_digit(
    session: Session, country: None, client_as: ClientAs
) -> None:
    """The form sent back the boundary as the page drew it (7 decimals): a status-only
    revision moved it by a fraction of a square metre and read "boundary revised" (found
    by a walk-through as a field team leader)."""
    admin, reviewer = client_as(), client_as("reviewer")
    fine = Polygon(
        [(103.40000012345, 19.40000067891), (103.4051234567, 19.4000001), (103.405, 19.4098765)]
    )
    _approve(reviewer, admin.post("/api/v1/hazards", json=_hazard("REC-7", fine)).json())
    status_only = admin.post(
        "/api/v1/hazards/REC-7/revisions",
        json={"type": "Feature", "properties": {"revised": "2022-01-01", "status": "CHA"}},
    )
    assert status_only.json()["errors"] == 0, status_only.json()["findings"]
    _approve(reviewer, status_only.json())
    same = session.scalar(
        text(
            "SELECT bool_and(ST_Equals(r.geom, f.geom) AND r.geom = f.geom) FROM hazard_revision r"
            " JOIN hazard h ON h.id = r.hazard_id JOIN hazard_revision f ON f.hazard_id = h.id"
            " WHERE h.reference = 'REC-7'"
        )
    )
    assert same
    timeline = admin.get("/api/v1/hazards/REC-7").json()["timeline"]
    revised = [(e["detail"], e["change_m2"]) for e in timeline if e["what"] == "revised"]
    assert revised == [("reclassified SHA → CHA", 0.0)]


def test_the_release_preview_equals_the_effective_area_recorded(
    session: Session, country: None, client_as: ClientAs
) -> None:
    admin = client_as()
    reviewer = client_as("reviewer")
    _approve(reviewer, admin.post("/api/v1/hazards", json=_hazard("REC-6")).json())
    # half inside the hazard, half outside it
    released = box(103.405, 19.40, 103.415, 19.41)
    preview = admin.post(
        "/api/v1/hazards/REC-6/releases/preview",
        json={"geometry": mapping(released), "released": "2023-03-01", "method": "cleared"},
    )
    assert preview.status_code == 200, preview.text
    figures = preview.json()
    inside = released.intersection(SQUARE)
    assert figures["counted_m2"] == pytest.approx(geod_area(inside), rel=1e-6)
    assert figures["polygon_m2"] == pytest.approx(geod_area(released), rel=1e-6)
    posted = admin.post(
        "/api/v1/releases",
        json={
            "type": "Feature",
            "geometry": mapping(released),
            "properties": {
                "release_id": "REL-6",
                "hazard_id": "REC-6",
                "method": "cleared",
                "released": "2023-03-01",
            },
        },
    )
    assert posted.status_code == 201, posted.text
    _approve(reviewer, posted.json())
    recorded = session.scalar(
        text(
            "SELECT sum(-le.delta_m2) FROM ledger_entry le JOIN hazard h ON h.id = le.hazard_id "
            "WHERE h.reference = 'REC-6' AND le.kind <> 'added' AND le.kind <> 'status'"
        )
    )
    assert float(recorded) == pytest.approx(figures["counted_m2"], rel=1e-9)


def star(corners: int, centre: tuple[float, float] = (103.405, 19.405)) -> Polygon:
    """A star of ``corners`` corners, alternately 300 and 450 m out: its overlays cost the
    square of its corners."""
    x, y = centre
    radius = [0.003 if i % 2 == 0 else 0.0045 for i in range(corners)]
    turn = [2 * math.pi * i / corners for i in range(corners)]
    return Polygon(
        [(x + r * math.cos(a), y + r * math.sin(a)) for r, a in zip(radius, turn, strict=True)]
    )


def test_a_polygon_of_too_many_corners_is_refused_before_the_server_works_on_it(
    session: Session, country: None, client_as: ClientAs
) -> None:
    """A star of 80,000 corners (2 MB) held the web server's thread for 47 s in the release
    preview; two at once for 75 s, the health check taking 7 s meanwhile (an attack on our
    own instance). A polygon given by hand has at most drawn.MAX_CORNERS."""
    admin = client_as()
    reviewer = client_as("reviewer")
    _approve(reviewer, admin.post("/api/v1/hazards", json=_hazard("REC-9")).json())
    body = {"geometry": mapping(star(40_000)), "released": "2023-03-01", "method": "cleared"}
    started = time.monotonic()
    refused = admin.post("/api/v1/hazards/REC-9/releases/preview", json=body)
    assert time.monotonic() - started < 2  # 10.6 s before
    assert refused.status_code == 422, refused.text
    assert "has 40,000 corners; one given here has at most 10,000" in refused.json()["detail"]
    new = _hazard("REC-10", star(drawn.MAX_CORNERS + 1))
    assert admin.post("/api/v1/hazards", json=new).status_code == 422
    # as many as a hand-drawn outline could have is read
    body["geometry"] = mapping(star(2_000))
    assert admin.post("/api/v1/hazards/REC-9/releases/preview", json=body).status_code == 200


def test_a_hazard_of_more_corners_than_a_hand_gives_is_revised_keeping_its_boundary(
    session: Session, country: None, client_as: ClientAs
) -> None:
    """The corner limit of a polygon given by hand had refused a status-only revision of a
    hazard recorded from a file with 12,000 corners: its boundary in force, kept, went
    through the same check (an attack on our own instance)."""
    from ims.db.recording import record_hazards
    from ims.domain.enums import HazardStatus
    from ims.domain.records import NewHazard

    outline = star(12_000)
    record_hazards(session, [NewHazard("BIG-1", HazardStatus.SHA, outline, dt.date(2020, 1, 1))])
    admin = client_as()
    kept = admin.post(
        "/api/v1/hazards/BIG-1/revisions",
        json={"type": "Feature", "geometry": None,
              "properties": {"revised": "2021-01-05", "status": "CHA"}},
    )  # fmt: skip
    assert kept.status_code == 201, kept.text
    assert kept.json()["errors"] == 0
    page = admin.post(
        "/hazards/BIG-1/revise",
        data={"status": "CHA", "revised": "2021-02-01", "reason": "confirmed"},
        follow_redirects=False,
    )
    assert page.status_code == 303, page.text[:2000]
    # a new boundary of as many corners, given here, is still refused
    moved = admin.post(
        "/api/v1/hazards/BIG-1/revisions",
        json={"type": "Feature", "geometry": mapping(outline),
              "properties": {"revised": "2021-03-01"}},
    )  # fmt: skip
    assert moved.status_code == 422 and "12,000 corners" in moved.json()["detail"]


def test_a_polygon_nested_too_deeply_is_refused_as_such(
    client_as: ClientAs, session: Session
) -> None:
    """Coordinates nested 600 deep answered 500 (shapely's recursion), and thousands of
    nested GEOMETRYCOLLECTIONs can overflow GEOS's parser (an attack on our own
    instance): each is a 422 naming the field, and nothing is staged."""
    client = client_as("operator", organisation="MAG")
    deep = {"type": "Polygon", "coordinates": [[[103.4, 19.4]]]}
    for _ in range(600):
        deep["coordinates"] = [deep["coordinates"]]
    pasted = client.post("/api/v1/polygons/read", json={"text": json.dumps(deep)})
    assert pasted.status_code == 422 and pasted.json()["field"] == "coordinates"
    assert "nested too deeply" in pasted.json()["detail"]
    sent = client.post(
        "/api/v1/hazards",
        json={"type": "Feature", "geometry": deep,
              "properties": {"hazard_id": "DEEP-1", "status": "SHA", "recorded": "2021-01-01"}},
    )  # fmt: skip
    assert sent.status_code == 422 and "nested too deeply" in sent.json()["detail"]
    collections = "GEOMETRYCOLLECTION (" * 900 + "POINT (103.4 19.4)" + ")" * 900
    wkt_text = client.post("/api/v1/polygons/read", json={"text": collections})
    assert wkt_text.status_code == 422 and "nest too deeply" in wkt_text.json()["detail"]
    assert session.scalar(text("SELECT count(*) FROM submission")) == 0


def test_pasted_coordinates_are_read_as_the_forms_read_them(client_as: ClientAs) -> None:
    client = client_as("operator", organisation="MAG")
    square = box(103.40, 19.40, 103.41, 19.41)
    for text_ in (square.wkt, "103.40 19.40\n103.41 19.40\n103.41 19.41\n103.40 19.41"):
        answer = client.post("/api/v1/polygons/read", json={"text": text_})
        assert answer.status_code == 200, answer.text
        assert answer.json()["area_m2"] == pytest.approx(geod_area(square), rel=1e-8)
        assert answer.json()["geometry"]["type"] == "Polygon"
    refused = client.post("/api/v1/polygons/read", json={"text": "103.4 19.4 103.41"})
    assert refused.status_code == 422
    assert refused.json()["field"] == "coordinates"
    assert "3 numbers: longitude latitude pairs are needed" in refused.json()["detail"]
    # a word among the numbers had been passed over and the pairs counted without it
    stray = client.post("/api/v1/polygons/read", json={"text": "103.2 19.45, 103.201 oops"})
    assert stray.status_code == 422 and stray.json()["field"] == "coordinates"
    assert stray.json()["detail"].startswith("“oops” is not a number: give longitude latitude")
    # a crossed outline (a bow tie): said at once, where its area had read 0 m²
    crossed = client.post(
        "/api/v1/polygons/read",
        json={"text": "103.40 19.40, 103.41 19.41, 103.41 19.40, 103.40 19.41"},
    )
    assert crossed.status_code == 422 and crossed.json()["field"] == "coordinates"
    assert crossed.json()["detail"].startswith(
        "its outline crosses itself at lon 103.4050000, lat 19.4050000: sent so, it would be"
    )


def test_the_review_page_says_a_submission_its_warning_names_was_rejected_since(
    session: Session, country: None, client_as: ClientAs
) -> None:
    """A warning that another submission awaits review with an overlapping hazard is kept
    as found; once that one is rejected, the page says so beside it (the demo's
    submission 67 had gone on asking to reject one of the two)."""
    theirs = client_as("operator", organisation="NPA").post(
        "/api/v1/hazards", json=_hazard("SINCE-1")
    )
    assert theirs.status_code == 201, theirs.text
    reviewer = client_as("reviewer")
    ours = reviewer.post("/api/v1/hazards", json=_hazard("SINCE-2", box(103.3, 19.3, 103.5, 19.5)))
    assert ours.status_code == 201, ours.text
    other, mine = theirs.json()["id"], ours.json()["id"]
    note = f"(since then, submission {other} was rejected)"
    page = reviewer.get(f"/submissions/{mine}").text
    assert f"SINCE-1 in submission {other}" in page and note not in page
    rejected = reviewer.post(f"/api/v1/submissions/{other}/reject", json={"reason": "sent twice"})
    assert rejected.status_code == 200, rejected.text
    page = reviewer.get(f"/submissions/{mine}").text
    # in the list of findings, and beside the feature in the features' table (helper-116)
    assert page.count(f'<span class="since">{note}</span>') == 2
