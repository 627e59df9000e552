"""``GET /api/v1/hazards/{reference}`` answers the hazard the page shows, at any date."""

from __future__ import annotations

import datetime as dt

import pytest
from pyproj import Geod
from shapely.geometry import MultiPolygon, box
from sqlalchemy.orm import Session

from ims.config import get_settings
from ims.db.recording import load_boundaries, record_hazards, record_releases, revise_hazards
from ims.domain.enums import HazardStatus, ReleaseMethod
from ims.domain.records import BoundaryFeature, HazardChange, NewHazard, NewRelease
from ims.queries.hazards import hazard_view
from tests.utils import ClientAs

GEOD = Geod(ellps="WGS84")
REF = "VTE/2021/001"  # references may hold slashes


def _area(geom: object) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0])


@pytest.fixture
def seeded(session: Session) -> None:
    load_boundaries(
        session,
        [BoundaryFeature("P-A", "Province A", MultiPolygon([box(102, 19, 103, 20)]))],
        level=1,
    )
    record_hazards(
        session,
        [
            NewHazard(
                REF,
                HazardStatus.CHA,
                box(102.1, 19.6, 102.11, 19.61),
                dt.date(2020, 1, 1),
                estimates={"BLU-26": 12},
                used_from=1968,
                used_to=1973,
                attributes={"village": "Ban Na"},
            )
        ],
    )
    record_releases(
        session,
        [
            NewRelease(
                "R1",
                REF,
                ReleaseMethod.CLEARED,
                dt.date(2023, 5, 1),
                box(102.1, 19.6, 102.105, 19.61),
                items={"BLU-26": 3},
            )
        ],
    )


def test_a_hazard_reads_as_its_page_shows_it_with_geodesic_figures(
    session: Session, seeded: None, client_as: ClientAs
) -> None:
    body = client_as("viewer").get(f"/api/v1/hazards/{REF}").json()
    whole = _area(box(102.1, 19.6, 102.11, 19.61))
    cleared = _area(box(102.1, 19.6, 102.105, 19.61))
    assert body["reference"] == REF and body["status"] == "CHA" and not body["closed"]
    assert body["figures"]["area_m2"] == pytest.approx(whole, rel=1e-6)
    assert body["figures"]["cleared_m2"] == pytest.approx(cleared, rel=1e-6)
    assert body["figures"]["remaining_m2"] == pytest.approx(whole - cleared, rel=1e-6)
    assert [e["what"] for e in body["timeline"]] == ["recorded", "cleared"]
    assert body["estimates"] == [{"type": "BLU-26", "quantity": 12}]
    # the years of use the form asks for, shown nowhere but Form 1(h)'s totals before
    assert (body["used_from"], body["used_to"]) == (1968, 1973)
    page = client_as("viewer").get(f"/hazards/{REF}").text
    assert '<td id="hazard-used">1968–1973</td>' in page
    assert body["destroyed"] == [{"type": "BLU-26", "quantity": 3}]
    assert body["attributes"] == {"village": "Ban Na"}
    assert body["location"] == {"province": "Province A", "district": None, "operator": None}
    assert body["boundary"]["type"] in ("Polygon", "MultiPolygon")
    assert body["figures"] == hazard_view(session, REF).figures  # one function for both


def test_a_past_date_shows_the_state_then(seeded: None, client_as: ClientAs) -> None:
    body = client_as("viewer").get(f"/api/v1/hazards/{REF}", params={"as_of": "2022-12-31"}).json()
    assert body["figures"]["remaining_m2"] == pytest.approx(
        _area(box(102.1, 19.6, 102.11, 19.61)), rel=1e-6
    )
    assert [e["what"] for e in body["timeline"]] == ["recorded"]
    assert body["destroyed"] == []


def test_generalised_readers_get_no_geometry(
    seeded: None, monkeypatch: pytest.MonkeyPatch, client_as: ClientAs
) -> None:
    monkeypatch.setenv("IMS_LOCATION_PRIVACY", "true")
    get_settings.cache_clear()  # seeding read the settings already
    body = client_as("viewer").get(f"/api/v1/hazards/{REF}").json()
    assert body["boundary"] is None and body["remaining"] is None and body["releases"] == []
    reviewer = client_as("reviewer").get(f"/api/v1/hazards/{REF}").json()
    assert reviewer["boundary"] is not None


def test_a_boundary_moved_with_its_area_unchanged_reads_as_revised(
    session: Session, seeded: None, client_as: ClientAs
) -> None:
    # a square moved a little east (its area the same to a square metre: its ledger entry
    # changes nothing), then a revision that changes only the marking
    first, moved = box(102.3, 19.3, 102.31, 19.31), box(102.3004, 19.3, 102.3104, 19.31)
    assert abs(_area(moved) - _area(first)) < 1.0
    record_hazards(session, [NewHazard("H-MOVED", HazardStatus.SHA, first, dt.date(2020, 1, 1))])
    revise_hazards(session, [HazardChange("H-MOVED", dt.date(2024, 1, 1), geometry=moved)])
    revise_hazards(
        session, [HazardChange("H-MOVED", dt.date(2024, 2, 1), marked=dt.date(2024, 2, 1))]
    )
    timeline = client_as("viewer").get("/api/v1/hazards/H-MOVED").json()["timeline"]
    revised = [(e["detail"], e["change_m2"]) for e in timeline if e["what"] == "revised"]
    assert revised == [
        ("boundary revised", pytest.approx(0.0, abs=1.0)),
        ("SHA, details revised; marked 2024-02-01", 0.0),
    ]


def test_a_revision_of_the_estimates_says_them_on_the_timeline(
    session: Session, seeded: None, client_as: ClientAs
) -> None:
    """A revision of the boundary and the estimates read "boundary revised" alone, and of
    the estimates alone "details revised" (a first-time user's review, helper-97)."""
    first, moved = box(102.3, 19.3, 102.31, 19.31), box(102.3, 19.3, 102.32, 19.31)
    record_hazards(
        session,
        [
            NewHazard(
                "H-EST", HazardStatus.SHA, first, dt.date(2020, 1, 1), estimates={"BLU-61": 54}
            )
        ],
    )
    revise_hazards(
        session,
        [HazardChange("H-EST", dt.date(2024, 1, 1), geometry=moved, estimates={"BLU-26": 5})],
    )
    revise_hazards(
        session,
        [HazardChange("H-EST", dt.date(2024, 3, 1), estimates={"BLU-26": 5, "M42": 2})],
    )
    timeline = client_as("viewer").get("/api/v1/hazards/H-EST").json()["timeline"]
    revised = [e["detail"] for e in timeline if e["what"] == "revised"]
    assert revised == [
        "boundary revised, estimates BLU-61 × 54 → BLU-26 × 5",
        "estimates BLU-26 × 5 → BLU-26 × 5, M42 × 2",
    ]


def test_a_marking_dated_after_its_record_is_a_line_of_its_own_on_its_date(
    session: Session, seeded: None, client_as: ClientAs
) -> None:
    """The hazard's first line, recorded in 2013, had said "marked 2014-07-22" (a new
    user's review): a marking after the record's date is its own line, on that date; one
    on or before it stays on the record's line."""
    record_hazards(
        session,
        [
            NewHazard(
                "H-LATER",
                HazardStatus.SHA,
                box(102.3, 19.3, 102.31, 19.31),
                dt.date(2013, 4, 2),
                marked=dt.date(2014, 7, 22),
            )
        ],
    )
    revise_hazards(
        session, [HazardChange("H-LATER", dt.date(2016, 5, 1), marked=dt.date(2016, 4, 30))]
    )
    viewer = client_as("viewer")
    timeline = viewer.get("/api/v1/hazards/H-LATER").json()["timeline"]
    assert [(e["date"], e["what"], e["detail"]) for e in timeline] == [
        ("2013-04-02", "recorded", "SHA"),
        ("2014-07-22", "marked", "marked 2014-07-22, as the hazard's record of 2013-04-02 says"),
        ("2016-05-01", "revised", "SHA, details revised; marked 2016-04-30"),
    ]
    assert timeline[1]["change_m2"] == 0.0 and timeline[1]["remaining_m2"] is None
    # on a date before the marking, it is not known yet
    before = viewer.get("/api/v1/hazards/H-LATER", params={"as_of": "2014-01-01"}).json()
    assert [e["what"] for e in before["timeline"]] == ["recorded"]


@pytest.mark.parametrize("moved", ["grown over released land", "shrunk off released land"])
def test_the_boundary_is_its_remaining_ground_and_releases_when_it_moved_over_them(
    session: Session, seeded: None, client_as: ClientAs, moved: str
) -> None:
    """A boundary revised over released land: the page showed a boundary that was not its
    remaining ground and releases, with nothing to say why."""
    first, grown = box(102.3, 19.3, 102.31, 19.31), box(102.3, 19.3, 102.32, 19.31)
    release = box(102.305, 19.3, 102.315, 19.31)  # half in the first boundary
    later = grown if moved.startswith("grown") else box(102.3, 19.3, 102.3075, 19.31)
    record_hazards(session, [NewHazard("H-MOVE", HazardStatus.SHA, first, dt.date(2020, 1, 1))])
    record_releases(
        session,
        [NewRelease("R-M", "H-MOVE", ReleaseMethod.REDUCED, dt.date(2021, 6, 1), release)],
    )
    revise_hazards(session, [HazardChange("H-MOVE", dt.date(2022, 1, 1), geometry=later)])
    figures = client_as("viewer").get("/api/v1/hazards/H-MOVE").json()["figures"]
    counted = _area(release.intersection(first))  # what lay in the hazard when released
    assert figures["reduced_m2"] == pytest.approx(counted, rel=1e-6)
    assert figures["remaining_m2"] == pytest.approx(_area(later.difference(release)), rel=1e-6)
    if moved.startswith("grown"):  # the release's other half is now inside, never counted
        assert figures["released_before_m2"] == pytest.approx(
            _area(release.difference(first).intersection(later)), rel=1e-6
        )
        assert figures["released_outside_m2"] == 0.0
    else:  # a third of the counted half is now outside
        assert figures["released_outside_m2"] == pytest.approx(
            _area(release.intersection(first).difference(later)), rel=1e-6
        )
        assert figures["released_before_m2"] == 0.0
    assert figures["area_m2"] == pytest.approx(
        figures["remaining_m2"]
        + figures["reduced_m2"]
        - figures["released_outside_m2"]
        + figures["released_before_m2"],
        rel=1e-9,
    )
    page = client_as("viewer").get("/hazards/H-MOVE").text
    row = "released-before" if moved.startswith("grown") else "released-outside"
    assert f'id="{row}"' in page
    assert client_as("viewer").get(f"/hazards/{REF}").text.count('id="released-') == 0


def test_a_releases_own_columns_are_shown_with_its_hazard(
    session: Session, seeded: None, client_as: ClientAs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The upload said its own columns were "shown on the hazard page"; a release's were not
    (found by a walk-through as an operator's data manager)."""
    record_releases(
        session,
        [
            NewRelease(
                "R2",
                REF,
                ReleaseMethod.REDUCED,
                dt.date(2023, 6, 1),
                box(102.105, 19.6, 102.107, 19.61),
                attributes={"team_leader": "Somphone K.", "<b>crew</b>": "<i>3</i>"},
            )
        ],
    )
    body = client_as("viewer").get(f"/api/v1/hazards/{REF}").json()
    assert body["release_attributes"] == {
        "R2": {"team_leader": "Somphone K.", "<b>crew</b>": "<i>3</i>"}
    }
    page = client_as("viewer").get(f"/hazards/{REF}").text
    table = page[page.index('id="release-attributes"') :]
    assert '<th scope="row">R2</th>' in table and "<td>Somphone K.</td>" in table
    assert "&lt;b&gt;crew&lt;/b&gt;" in table and "<i>3</i>" not in table  # text, not markup
    before = client_as("viewer").get(f"/api/v1/hazards/{REF}", params={"as_of": "2023-05-31"})
    assert before.json()["release_attributes"] == {}  # not yet released then
    monkeypatch.setenv("IMS_LOCATION_PRIVACY", "true")
    get_settings.cache_clear()
    hidden = client_as("viewer").get(f"/api/v1/hazards/{REF}").json()
    assert hidden["release_attributes"] == {}


def test_an_unknown_hazard_is_a_clear_404(seeded: None, client_as: ClientAs) -> None:
    answer = client_as("viewer").get("/api/v1/hazards/NOPE-1")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert "NOPE-1" in answer.json()["detail"]
