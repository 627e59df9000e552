"""A report for a past year tells whether corrections were recorded since it was first produced.

Areas are checked against pyproj.Geod computed from the rectangles' corners.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from shapely.geometry import box
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ims.db.models import ReportRun
from ims.db.recording import record_hazards, record_releases, revise_hazards
from ims.db.withdrawals import withdraw_release
from ims.domain.enums import Contamination
from ims.domain.records import HazardChange
from ims.errors import InvalidRequest
from ims.ingest import approval, submissions
from ims.reports import export
from ims.reports.article7 import ReportScope
from ims.reports.documents import Article7Report
from ims.reports.history import RECOMPUTED, NotFinalisable, article7_with_history, summary
from tests.ingest.test_submissions import hazard_frame, write_zip
from tests.reports import test_article7
from tests.reports.test_article7 import CHA, CLR, TOL, geod_box, hazard, release
from tests.utils import ClientAs

provinces = test_article7.provinces  # two provinces with two districts each

AFTER_2022 = dt.date(2023, 3, 1)  # "today" for these tests: 2022 has ended
HAZARD_BOX = (102.10, 19.60, 102.12, 19.62)
LATE_BOX = (102.10, 19.60, 102.11, 19.61)


@pytest.fixture
def recorded(session: Session, provinces: None) -> None:
    record_hazards(session, [hazard("H1", box(*HAZARD_BOX), recorded=dt.date(2021, 5, 1))])


def produce(session: Session, year: int = 2022, by: str = "first", finalise: bool = False) -> dict:
    return article7_with_history(
        session, year, ReportScope(), by=by, today=AFTER_2022, finalise=finalise
    )


def finalise(session: Session, year: int = 2022, by: str = "first") -> dict:
    return produce(session, year, by, finalise=True)


def test_reading_a_report_never_finalises_it(session: Session, recorded: None) -> None:
    # Issue 19, item 13: the first reader (the demo script, an anonymous caller under
    # public read) was noted as its first producer.
    for by in ("cli:root", None, "viewer"):
        history = produce(session, by=by)["history"]  # type: ignore[arg-type]
        assert history["finalised"] is False and history["first_produced_by"] is None
    assert session.scalar(select(func.count()).select_from(ReportRun)) == 0
    assert summary(history).startswith("Not finalised yet")


def test_finalising_is_noted_once_and_shows_no_corrections(
    session: Session, recorded: None
) -> None:
    first = finalise(session, by="im-officer")
    finalise(session, by="someone-else")  # finalising again changes nothing
    again = produce(session, by="a-reader")
    history = again["history"]
    assert history["provisional"] is False and history["finalised"] is True
    assert history["first_produced_by"] == "im-officer"
    assert history["first_produced_at"] == first["history"]["first_produced_at"]
    assert history["corrections_count"] == 0 and history["corrections"] == []
    assert history["totals_then"] == history["totals_now"]
    assert history["totals_now"]["remaining_m2"] == pytest.approx(geod_box(*HAZARD_BOX), abs=TOL)
    assert summary(history).startswith("Finalised ")
    assert "no corrections recorded since" in summary(history)
    runs = session.scalar(select(func.count()).select_from(ReportRun))
    assert runs == 2  # by provinces, and by districts with them


def test_a_late_release_inside_the_year_is_a_correction_with_its_effect(
    session: Session, recorded: None
) -> None:
    finalise(session)
    late = release("R-LATE", "H1", CLR, dt.date(2022, 11, 30), box(*LATE_BOX))
    record_releases(session, [late], recorded_by="reviewer-a")
    history = produce(session)["history"]
    assert history["corrections_count"] == 1
    (correction,) = history["corrections"]
    assert correction["what"] == "release" and correction["release"] == "R-LATE"
    assert correction["hazard"] == "H1" and correction["on"] == "2022-11-30"
    assert correction["recorded_by"] == "reviewer-a"
    area = geod_box(*LATE_BOX)
    assert history["change_m2"]["released_m2"] == pytest.approx(area, abs=TOL)
    assert history["change_m2"]["remaining_m2"] == pytest.approx(-area, abs=TOL)
    assert history["totals_then"]["remaining_m2"] == pytest.approx(geod_box(*HAZARD_BOX), abs=TOL)
    assert "1 correction recorded since" in summary(history)


def test_the_history_says_how_far_the_counts_moved_beside_the_areas(
    session: Session, recorded: None
) -> None:
    """A late clearance of a whole hazard, with its items: the history had told the areas
    only, while Form 1(h)'s hazards, Form 1(i)'s closures and items destroyed had moved
    (a review as an IM officer sending a corrected report)."""
    finalise(session)
    assert produce(session)["history"]["change_counts"] == {
        "remaining_count": 0,
        "hazards_closed": 0,
        "destroyed": {},
    }
    whole = release(
        "R-ALL", "H1", CLR, dt.date(2022, 11, 30), box(*HAZARD_BOX), items={"BLU-26": 3, "M42": 1}
    )
    record_releases(session, [whole])
    history = produce(session)["history"]
    assert history["change_counts"] == {
        "remaining_count": -1,
        "hazards_closed": 1,
        "destroyed": {"BLU-26": 3, "M42": 1},
    }
    said = summary(history)
    assert said.endswith(
        ", hazards remaining by -1, hazards closed by +1, items destroyed by +3 BLU-26, +1 M42."
    ), said
    # the report as finalised moved nothing, and says no counts
    kept = article7_with_history(session, 2022, ReportScope(), today=AFTER_2022, as_finalised=True)[
        "history"
    ]
    assert kept["change_counts"] is None and "items destroyed" not in summary(kept)
    Article7Report.model_validate(produce(session))


def test_ledgers_computed_again_after_finalising_are_corrections(
    session: Session, recorded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ims db recompute` (run by an upgrade) moves figures without a record: a finalised
    report's history had shown its totals moved and no correction to say why. The hazards
    whose ledgers came out as stored are not listed (--all computes every one again)."""
    from dataclasses import replace

    from ims.domain import ledger as domain

    real = domain._entries
    astride = box(102.115, 19.6, 102.125, 19.61)  # half of it outside H1

    def as_geos_erred(steps: Any) -> Any:  # the release's whole polygon taken as released
        return [
            replace(e, delta_m2=-geod_box(*astride.bounds)) if e.on == dt.date(2022, 6, 1) else e
            for e in real(steps)
        ]

    monkeypatch.setattr(domain, "_entries", as_geos_erred)
    record_hazards(session, [hazard("H2", box(102.3, 19.6, 102.31, 19.61))])
    record_releases(session, [release("R-AST", "H1", CLR, dt.date(2022, 6, 1), astride)])
    finalise(session)
    monkeypatch.undo()  # the code as it is now
    ids = list(session.scalars(text("SELECT id FROM hazard ORDER BY reference")))
    done = approval.recompute_ledgers(session, ids, by="cli:root")
    assert (done.hazards, done.changed) == (["H1", "H2"], ["H1"])
    history = produce(session)["history"]
    (correction,) = history["corrections"]
    assert (correction["what"], correction["hazard"]) == (RECOMPUTED, "H1")
    assert correction["recorded_by"] == "cli:root" and correction["release"] is None
    assert correction["detail"] == "from its records (ims db recompute)"
    outside = geod_box(102.12, 19.6, 102.125, 19.61)
    assert history["change_m2"]["released_m2"] == pytest.approx(-outside, abs=TOL)
    assert history["change_m2"]["remaining_m2"] == pytest.approx(outside, abs=TOL)
    assert "1 correction recorded since" in summary(history)
    Article7Report.model_validate(produce(session))


def test_records_taking_effect_after_the_year_are_not_corrections(
    session: Session, recorded: None
) -> None:
    finalise(session)
    record_releases(session, [release("R-2023", "H1", CLR, dt.date(2023, 1, 2), box(*LATE_BOX))])
    revise_hazards(session, [HazardChange("H1", dt.date(2023, 2, 1), status=CHA)])
    history = produce(session)["history"]
    assert history["corrections_count"] == 0
    assert history["change_m2"] == {
        "remaining_m2": 0.0,
        "released_m2": 0.0,
        "released_outside_m2": 0.0,
    }


def test_a_reclassification_dated_inside_the_year_is_a_correction(
    session: Session, recorded: None
) -> None:
    finalise(session)
    revise_hazards(session, [HazardChange("H1", dt.date(2022, 6, 1), status=CHA)])
    history = produce(session)["history"]
    assert history["corrections_count"] == 1
    assert history["corrections"][0]["what"] == "hazard revision"
    assert history["corrections"][0]["detail"] == "SHA → CHA; boundary unchanged"
    assert history["change_m2"]["remaining_m2"] == 0.0  # same ground, another class


def test_each_correction_says_what_it_changed(session: Session, recorded: None) -> None:
    """helper-133: a boundary revised and a status changed both read "hazard revision …
    CHA": the authority could not say what had moved its figures. A revision says its
    status and its boundary's area before and after, a release the ground it counted
    (areas by pyproj, not by ims)."""
    finalise(session)
    x0, y0, x1, y1 = HAZARD_BOX
    smaller = (x0, y0, (x0 + x1) / 2, y1)
    revise_hazards(session, [HazardChange("H1", dt.date(2022, 3, 1), geometry=box(*smaller))])
    record_releases(session, [release("R-LATE", "H1", CLR, dt.date(2022, 11, 30), box(*LATE_BOX))])
    listed = {c["what"]: c["detail"] for c in produce(session)["history"]["corrections"]}
    assert listed["hazard revision"] == (
        f"SHA, status unchanged; boundary {geod_box(*HAZARD_BOX):,.0f} → "
        f"{geod_box(*smaller):,.0f} m²"
    )
    assert listed["release"] == f"cleared, {geod_box(*LATE_BOX):,.0f} m² counted"


def test_the_districts_are_finalised_with_the_provinces_and_each_kind_on_its_own(
    session: Session, recorded: None
) -> None:
    """Finalising the provinces' report had left the districts' "Not finalised yet", to be
    finalised later with other figures (a walk-through): one report, two levels."""
    finalise(session)
    record_releases(session, [release("R-LATE", "H1", CLR, dt.date(2022, 11, 30), box(*LATE_BOX))])
    districts = article7_with_history(
        session, 2022, ReportScope(level=2), today=AFTER_2022, finalise=True
    )
    assert districts["history"]["corrections_count"] == 1  # finalised before the release
    assert produce(session)["history"]["corrections_count"] == 1
    other = article7_with_history(
        session, 2022, ReportScope(contam=Contamination.ERW), today=AFTER_2022
    )
    assert other["history"]["finalised"] is False  # another kind: another report


def test_a_year_before_the_baseline_cannot_be_finalised(
    session: Session, recorded: None, client_as: ClientAs
) -> None:
    """The reports page offered to finalise 1990, before any record and before reporting
    began, and finalising cannot be undone (a new user's review)."""
    with pytest.raises(NotFinalisable, match="before the baseline, 2010-08-01"):
        article7_with_history(session, 2009, ReportScope(), by="tests", finalise=True)
    assert session.scalar(select(func.count()).select_from(ReportRun)) == 0
    reviewer = client_as("reviewer")
    assert 'id="finalise"' not in reviewer.get("/reports", params={"year": 2009}).text
    assert 'id="finalise"' in reviewer.get("/reports", params={"year": 2022}).text


def test_a_year_before_the_first_record_is_not_finalised_as_a_report_of_zeros(
    session: Session, recorded: None, client_as: ClientAs
) -> None:
    """/reports?year=2011 offered to finalise a report of zeros, the programme's first
    hazard taking effect in 2012 (a new user's review): most likely its history was not
    migrated yet, and finalising cannot be undone."""
    with pytest.raises(NotFinalisable, match="the first record takes effect on 2021-05-01"):
        finalise(session, 2020)
    with pytest.raises(NotFinalisable, match="nothing of APM is recorded"):
        article7_with_history(
            session, 2022, ReportScope(contam=Contamination.APM), today=AFTER_2022, finalise=True
        )
    assert session.scalar(select(func.count()).select_from(ReportRun)) == 0
    page = client_as("reviewer").get("/reports", params={"year": 2020}).text
    assert 'id="finalise"' not in page and 'id="finalise-nothing"' in page
    assert "(the first record takes effect on 2021-05-01)" in page
    finalise(session, 2021)  # the year it takes effect in is finalised as any


def test_a_year_not_yet_ended_is_provisional_and_noted_nowhere(
    session: Session, recorded: None
) -> None:
    report = article7_with_history(session, 2022, ReportScope(), today=dt.date(2022, 12, 31))
    assert report["history"]["provisional"] is True
    assert report["history"]["first_produced_at"] is None
    with pytest.raises(NotFinalisable):
        article7_with_history(
            session, 2022, ReportScope(), today=dt.date(2022, 12, 31), finalise=True
        )
    assert session.scalar(select(func.count()).select_from(ReportRun)) == 0
    assert summary(report["history"]).startswith("Provisional")


def test_exports_carry_the_history(session: Session, recorded: None) -> None:
    finalise(session)
    record_releases(session, [release("R-LATE", "H1", CLR, dt.date(2022, 11, 30), box(*LATE_BOX))])
    report = produce(session)
    sentence = summary(report["history"])
    assert sentence in export.to_html(report)
    book = openpyxl.load_workbook(io.BytesIO(export.to_binary(session, report, "xlsx")))
    notes = {row[0]: row[1] for row in book["Notes"].iter_rows(values_only=True) if row}
    assert notes["History"] == sentence
    assert '"corrections_count": 1' in export.to_json(report)


def test_reviewers_finalise_from_the_api_or_the_page_and_see_what_changed_since(
    session: Session, recorded: None, client_as: ClientAs
) -> None:
    client = client_as()  # an admin
    read = client.get("/api/v1/reports/article7", params={"year": 2022}).json()["history"]
    assert read["finalised"] is False  # reading is not finalising
    page = client.get("/reports", params={"year": 2022}).text
    assert 'id="finalise"' in page and "Not finalised yet" in page
    csrf = re.search(r'name="csrf_token" value="([^"]*)"', page)
    answer = client.post(
        "/reports/finalise",
        data={"year": 2022, "level": 1, "contam": "CMR"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and "year=2022" in answer.headers["location"]
    assert csrf is not None  # (the test client sends a token, not the session's form)
    first = client.get("/api/v1/reports/article7", params={"year": 2022}).json()["history"]
    assert first["finalised"] is True and first["first_produced_by"].startswith("test-admin-")
    again = client.post("/api/v1/reports/article7/finalise", params={"year": 2022}).json()
    assert again["history"]["first_produced_at"] == first["first_produced_at"]
    late = release("R-LATE", "H1", CLR, dt.date(2022, 11, 30), box(*LATE_BOX))
    record_releases(session, [late], recorded_by="reviewer-a")
    page = client.get("/reports", params={"year": 2022}).text
    assert 'class="report-history corrected"' in page and 'id="finalise"' not in page
    assert "1 correction recorded since" in page and "R-LATE" in page
    this_year = client.post(
        "/api/v1/reports/article7/finalise", params={"year": dt.date.today().year}
    )
    assert this_year.status_code == 422


def test_a_hazard_recorded_late_is_listed_as_recorded_with_who_sent_and_approved_it(
    session: Session, recorded: None, tmp_path: Path
) -> None:
    """A hazard recorded after finalisation, inside the year, had been listed as a "hazard
    revision", with the reviewer alone as "By" (a walk-through as an IM officer)."""
    finalise(session)
    frame = hazard_frame(
        [{"hazard_id": "H-LATE", "recorded": "2022-08-01"}], [box(102.13, 19.60, 102.14, 19.61)]
    )
    sent = submissions.stage(
        session,
        write_zip(frame, tmp_path, "late"),
        kind="hazards",
        organisation="MAG",
        uploaded_by="mag-officer",
    )
    approval.approve(session, sent.submission.id, by="reviewer-b")
    revise_hazards(session, [HazardChange("H1", dt.date(2022, 6, 1), status=CHA)])
    listed = {c["hazard"]: c for c in produce(session)["history"]["corrections"]}
    assert listed["H-LATE"]["what"] == "hazard recorded"
    assert listed["H-LATE"]["sent_by"] == "mag-officer (MAG)"
    assert listed["H-LATE"]["recorded_by"] == "reviewer-b"
    assert listed["H-LATE"]["submission_id"] == sent.submission.id
    assert listed["H1"]["what"] == "hazard revision" and listed["H1"]["sent_by"] is None


def test_the_report_as_finalised_is_produced_again_whole_after_a_correction(
    session: Session, recorded: None
) -> None:
    """A finalised report kept three national totals: after a correction, the report as
    submitted could not be produced again per province or district (a walk-through as an
    IM officer correcting data). Finalising keeps both levels whole, with their notes."""
    first = finalise(session)
    districts_then = article7_with_history(session, 2022, ReportScope(level=2), today=AFTER_2022)
    assert districts_then["history"]["finalised"] is True  # finalised with the provinces
    late = release("R-LATE", "H1", CLR, dt.date(2022, 11, 30), box(*LATE_BOX))
    record_releases(session, [late], recorded_by="reviewer-a")
    today = produce(session)
    then = article7_with_history(session, 2022, ReportScope(), today=AFTER_2022, as_finalised=True)
    assert then["remaining"] == first["remaining"] and then["released"] == first["released"]
    assert today["remaining"] != first["remaining"]  # the correction is in today's
    assert then["history"]["as_finalised"] is True and then["history"]["corrections_count"] == 1
    assert then["history"]["notes_then"] == {"submissions": [], "codes": []}
    assert today["history"]["kept_whole"] is True and today["history"]["as_finalised"] is False
    assert summary(then["history"]).startswith("The report as finalised: finalised ")
    assert "1 correction recorded since with effect in this period is not in it" in summary(
        then["history"]
    )
    by_district = article7_with_history(
        session, 2022, ReportScope(level=2), today=AFTER_2022, as_finalised=True
    )
    assert by_district["remaining"] == districts_then["remaining"]
    # its files too: the province's remaining km² as finalised, not as corrected
    book = openpyxl.load_workbook(io.BytesIO(export.to_binary(session, then, "xlsx")))
    cells = [c for row in book.worksheets[0].iter_rows(values_only=True) for c in row]
    assert round(geod_box(*HAZARD_BOX) / 1e6, 2) in [
        round(c, 2) for c in cells if isinstance(c, float)
    ]
    # the document each production answers with still holds to its model
    Article7Report.model_validate(then)


def test_a_report_not_finalised_has_no_version_as_finalised(
    session: Session, recorded: None
) -> None:
    with pytest.raises(InvalidRequest, match="is not finalised"):
        article7_with_history(session, 2022, ReportScope(), today=AFTER_2022, as_finalised=True)
    with pytest.raises(InvalidRequest, match="provisional"):
        article7_with_history(
            session, 2022, ReportScope(), today=dt.date(2022, 12, 31), as_finalised=True
        )


def test_where_locations_are_generalised_corrections_name_no_record_person_or_reason(
    session: Session, recorded: None, client_as: ClientAs, private: None
) -> None:
    """Under IMS_LOCATION_PRIVACY the register gives viewers and anonymous readers no
    reference, yet the report's corrections gave them the hazards' and releases'
    references, who approved, sent and finalised, and a withdrawal's reason (an attack on
    our own instance). They keep what changed, when, and by how much."""
    finalise(session, by="officer-x")
    late = release("R-LATE", "H1", CLR, dt.date(2022, 11, 30), box(*LATE_BOX))
    record_releases(session, [late], recorded_by="reviewer-a")
    withdraw_release(session, "R-LATE", reason="sent twice by team 3", by="reviewer-b")
    secret = ("H1", "R-LATE", "officer-x", "reviewer-a", "reviewer-b", "team 3")
    viewer, staff = client_as("viewer"), client_as()
    history = viewer.get("/api/v1/reports/article7", params={"year": 2022}).json()["history"]
    assert history["corrections_count"] == 2 and history["first_produced_by"] is None
    assert [(c["what"], c["on"]) for c in history["corrections"]] == [
        ("release", "2022-11-30"),
        ("release withdrawn", "2022-11-30"),
    ]
    assert [c["detail"] for c in history["corrections"]] == ["cleared", None]
    assert history["change_m2"]["released_m2"] == pytest.approx(0, abs=TOL)
    page = viewer.get("/reports", params={"year": 2022}).text
    assert "2 corrections recorded since" in page
    files = [
        viewer.get("/api/v1/reports/article7", params={"year": 2022, "format": f}).text
        for f in ("csv", "html")
    ]
    for text_ in (str(history), page, *files):
        assert not [s for s in secret if s in text_], text_[:300]
    # staff see them all
    theirs = staff.get("/api/v1/reports/article7", params={"year": 2022}).json()["history"]
    assert theirs["first_produced_by"] == "officer-x"
    withdrawn = theirs["corrections"][1]
    assert (withdrawn["release"], withdrawn["detail"]) == ("R-LATE", "sent twice by team 3")
    assert "R-LATE" in staff.get("/reports", params={"year": 2022}).text
