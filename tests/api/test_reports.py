"""The report endpoints answer the same figures as the service, and bad queries cleanly."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re

import pypdfium2 as pdfium
import pytest
from openpyxl import load_workbook
from pyproj import Geod
from shapely.geometry import MultiPolygon, box
from sqlalchemy.orm import Session

from ims.db.recording import load_boundaries, record_hazards, record_releases
from ims.domain.enums import HazardStatus, ReleaseMethod
from ims.domain.records import BoundaryFeature, NewHazard, NewRelease
from ims.ingest import approval
from tests.utils import ClientAs


def seed(session: Session) -> None:
    load_boundaries(
        session,
        [BoundaryFeature("P-A", "Province A", MultiPolygon([box(102, 19, 103, 20)]))],
        level=1,
    )
    record_hazards(
        session,
        [NewHazard("H1", HazardStatus.SHA, box(102.1, 19.6, 102.11, 19.61), dt.date(2020, 1, 1))],
    )
    record_releases(
        session,
        [
            NewRelease(
                "R1",
                "H1",
                ReleaseMethod.CANCELLED,
                dt.date(2023, 5, 1),
                box(102.1, 19.6, 102.105, 19.61),
            )
        ],
    )


def test_article7_json_csv_html(session: Session, client_as: ClientAs) -> None:
    seed(session)
    client = client_as()
    body = client.get("/api/v1/reports/article7", params={"year": 2023}).json()
    assert body["released"][0]["admin_code"] == "P-A"
    assert body["released"][0]["cancelled_m2"] > 0
    csv = client.get("/api/v1/reports/article7", params={"year": 2023, "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv") and "Form 1(i)" in csv.text
    html = client.get("/api/v1/reports/article7", params={"year": 2023, "format": "html"})
    assert "<table>" in html.text


def test_each_form_comes_alone_as_a_csv_of_one_table(session: Session, client_as: ClientAs) -> None:
    """The report's CSV holds both forms under a line naming each, which pandas read as one
    column of 45 rows (a new user's review): ``table=1h`` or ``1i`` gives one form alone,
    its header first, which pandas reads as the JSON's rows."""
    import io

    import pandas as pd

    seed(session)
    client = client_as()
    body = client.get("/api/v1/reports/article7", params={"year": 2023}).json()
    for table, key, column in (
        ("1h", "remaining", "total_area_m2"),
        ("1i", "released", "cancelled_m2"),
    ):
        answer = client.get(
            "/api/v1/reports/article7", params={"year": 2023, "format": "csv", "table": table}
        )
        assert answer.status_code == 200, answer.text
        assert f'-form-{table}.csv"' in answer.headers["content-disposition"]
        frame = pd.read_csv(io.StringIO(answer.text), keep_default_na=False)
        assert list(frame["admin_code"]) == [r["admin_code"] or "" for r in body[key]]
        assert list(frame[column]) == pytest.approx([r[column] for r in body[key]], abs=0.05)
    wrong = client.get(
        "/api/v1/reports/article7", params={"year": 2023, "format": "xlsx", "table": "1h"}
    )
    assert wrong.status_code == 422 and "format=csv" in wrong.json()["detail"]
    page = client.get("/reports", params={"year": 2023}).text
    assert "&amp;format=csv&amp;table=1i" in page or "&format=csv&table=1i" in page


def test_explain_endpoint_sums_to_the_figure(session: Session, client_as: ClientAs) -> None:
    seed(session)
    client = client_as()
    report = client.get("/api/v1/reports/article7", params={"year": 2023}).json()
    got = client.get(
        "/api/v1/reports/article7/explain",
        params={"year": 2023, "admin": "P-A", "column": "cancelled_m2"},
    ).json()
    assert abs(got["total"] - report["released"][0]["cancelled_m2"]) < 0.01


def test_explain_endpoint_explains_land_released_outside_hazards(
    session: Session, client_as: ClientAs
) -> None:
    # its rows name no hazard, and the API had answered 500 for the column (an attack on
    # our own instance); the same ground twice counts once
    from ims.db.recording import record_outside_releases
    from ims.domain.records import NewOutsideRelease

    seed(session)
    square = box(102.5, 19.5, 102.501, 19.501)
    record_outside_releases(
        session,
        [
            NewOutsideRelease("O-1", ReleaseMethod.CLEARED, dt.date(2023, 3, 1), square),
            NewOutsideRelease("O-2", ReleaseMethod.CLEARED, dt.date(2023, 4, 1), square),
        ],
    )
    client = client_as()
    report = client.get("/api/v1/reports/article7", params={"year": 2023}).json()
    figure = report["released"][0]["released_outside_hazards_m2"]
    got = client.get(
        "/api/v1/reports/article7/explain",
        params={"year": 2023, "admin": "P-A", "column": "released_outside_hazards_m2"},
    )
    assert got.status_code == 200, got.text
    body = got.json()
    assert [(c["release"], c["hazard"]) for c in body["contributions"]] == [("O-1", None)]
    assert abs(body["total"] - figure) < 0.01 and figure > 10_000


def test_bad_queries_are_problem_json_naming_the_parameter(client_as: ClientAs) -> None:
    client = client_as()
    for params, where in [
        ({"year": "soon"}, "query.year"),
        ({"year": 2023, "contam": "XYZ"}, "query.contam"),
        ({"year": 2023, "level": 7}, "query.level"),
    ]:
        r = client.get("/api/v1/reports/article7", params=params)
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        assert where in r.json()["detail"]
    r = client.get(
        "/api/v1/reports/article7/explain",
        params={"year": 2023, "admin": "NOWHERE", "column": "sha_count"},
    )
    assert r.status_code == 404 and "NOWHERE" in r.json()["detail"]
    r = client.get(
        "/api/v1/reports/article4", params={"baseline": "2024-01-01", "as_of": "2020-01-01"}
    )
    assert r.status_code == 422 and "before the baseline" in r.json()["detail"]


def test_a_date_or_a_year_after_today_is_refused_as_the_pages_refuse_it(
    session: Session, client_as: ClientAs
) -> None:
    # The pages said "2027 has not begun" and "after today"; the API and the OGC API
    # answered 200 with today's state under the later date (a report for 2027, a
    # GeoPackage named hazards-2030-01-01.gpkg).
    seed(session)
    client = client_as()
    later = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    next_year = dt.date.today().year + 1
    for path, params in [
        ("/api/v1/reports/article7", {"year": next_year}),
        ("/api/v1/reports/article7", {"year": next_year, "format": "pdf"}),
        ("/api/v1/hazards", {"as_of": later}),
        ("/api/v1/hazards.gpkg", {"as_of": later}),
        ("/api/v1/hazards/H1", {"as_of": later}),
        ("/api/v1/tiles/hazards/0/0/0.pbf", {"as_of": later}),
        ("/api/v1/reports/marking", {"as_of": later}),
        (f"/ogc/on/{later}", {}),
        (f"/ogc/on/{later}/collections/hazards/items", {}),
        ("/ogc/collections/admin_areas/items", {"datetime": later}),
        ("/ogc/collections/hazards/items", {"datetime": later}),
        ("/map/figures", {"as_of": later}),
    ]:
        answer = client.get(path, params=params)
        assert answer.status_code in (400, 422), (path, answer.status_code)
        if path.startswith("/map/"):  # the map page's own figures: its address is wrong
            assert "after today" in answer.text, path
            continue
        assert answer.headers["content-type"] == "application/problem+json", path
        detail = answer.json()["detail"]
        assert "after today" in detail or "has not begun" in detail, (path, detail)
    today = dt.date.today().isoformat()
    assert client.get("/api/v1/hazards", params={"as_of": today}).status_code == 200
    assert client.get(f"/ogc/on/{today}").status_code == 200
    this_year = client.get("/api/v1/reports/article7", params={"year": dt.date.today().year})
    assert this_year.status_code == 200  # provisional, and said to be
    # as of today, not of the year's last day, which has not come: every link of this
    # year's report page to its hazards had answered 422 (found by a walk-through as an
    # IM officer)
    assert this_year.json()["as_of"] == today
    page = client.get("/reports", params={"year": dt.date.today().year}).text
    links = re.findall(r'href="(/(?:api/v1/)?hazards[^"]*as_of=[^"]*)"', page)
    assert links and all(f"as_of={today}" in link for link in links)
    for link in links[:8]:
        assert client.get(html.unescape(link)).status_code == 200, link
    csv_text = client.get(
        "/api/v1/reports/article7", params={"year": dt.date.today().year, "format": "csv"}
    ).text
    assert f"as of {today}" in csv_text


def test_a_finalised_report_is_shown_and_downloaded_again_as_finalised(
    session: Session, client_as: ClientAs
) -> None:
    """After a correction, only the finalised report's three national totals were left
    (a walk-through as an IM officer): its page and files are produced again as they were."""
    seed(session)
    client = client_as()
    finalised = client.post("/api/v1/reports/article7/finalise", params={"year": 2023})
    assert finalised.status_code == 200, finalised.text
    late = NewRelease(
        "R2", "H1", ReleaseMethod.CLEARED, dt.date(2023, 9, 1), box(102.105, 19.6, 102.11, 19.61)
    )
    record_releases(session, [late])
    url = "/api/v1/reports/article7"
    now = client.get(url, params={"year": 2023}).json()
    then = client.get(url, params={"year": 2023, "as_finalised": "true"}).json()
    assert then["released"] == finalised.json()["released"]
    assert then["released"][-1]["total_m2"] < now["released"][-1]["total_m2"]
    assert then["history"]["as_finalised"] is True and then["history"]["corrections_count"] == 1
    for fmt in ("xlsx", "pdf", "csv"):
        file = client.get(url, params={"year": 2023, "as_finalised": "true", "format": fmt})
        assert file.status_code == 200, (fmt, file.text[:500])
        # kept beside today's file under a name of its own
        named = f'filename="article7-2023-CMR-provinces-as-finalised.{fmt}"'
        assert named in file.headers["content-disposition"]
    today = client.get(url, params={"year": 2023, "format": "csv"})
    assert 'filename="article7-2023-CMR-provinces.csv"' in today.headers["content-disposition"]
    # today's files list the correction, not only how many (a review as an IM officer)
    row = next(r for r in csv.reader(io.StringIO(today.text)) if "R2" in r)
    cleared, _ = Geod(ellps="WGS84").geometry_area_perimeter(box(102.105, 19.6, 102.11, 19.61))
    assert row[1:5] == ["release", "R2", "H1", "2023-09-01"]
    assert row[5] == f"cleared, {abs(cleared):,.0f} m² counted"  # what it changed
    book = load_workbook(
        io.BytesIO(client.get(url, params={"year": 2023, "format": "xlsx"}).content)
    )
    listed = [[c.value for c in r] for r in book["Corrections"].iter_rows()]
    assert listed[2][:3] == ["Recorded (UTC)", "What", "Release"]
    assert listed[3][1:5] == ["release", "R2", "H1", "2023-09-01"]
    pdf = pdfium.PdfDocument(client.get(url, params={"year": 2023, "format": "pdf"}).content)
    text_all = " ".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "Takes effect" in text_all and "R2" in text_all and "2023-09-01" in text_all
    page_file = client.get(url, params={"year": 2023, "format": "html"}).text
    assert 'id="corrections"' in page_file and "<td>R2</td>" in page_file
    page = client.get("/reports", params={"year": 2023, "level": 1, "contam": "CMR"}).text
    assert 'id="as-finalised-link"' in page
    assert 'href="/reports?year=2023&amp;level=1&amp;contam=CMR&amp;as_finalised=1"' in page
    shown = client.get("/reports", params={"year": 2023, "contam": "CMR", "as_finalised": 1})
    assert 'id="as-finalised"' in shown.text and "&format=xlsx&as_finalised=true" in shown.text
    districts = client.get("/reports", params={"year": 2023, "level": 2, "as_finalised": 1})
    assert districts.status_code == 200  # finalised with the provinces
    assert client.get(url, params={"year": 2022, "as_finalised": "true"}).status_code == 422
    refused = client.get("/reports", params={"year": 2022, "as_finalised": 1})
    assert refused.status_code == 422 and "is not finalised" in html.unescape(refused.text)


def test_finalising_a_year_late_says_how_many_of_its_records_were_sent_after_it(
    session: Session, client_as: ClientAs
) -> None:
    """A year could be finalised years later, its figures today's, and nothing said they
    were not those of the report submitted at the time (a walk-through)."""
    seed(session)  # recorded today: the hazard (2020) and its release (2023)
    page = client_as().get("/reports", params={"year": 2023, "contam": "CMR"}).text
    said = re.search(r'<p id="finalise-late">(.*?)</p>', page, re.S)
    assert said is not None
    text_ = " ".join(html.unescape(re.sub(r"<[^>]+>", "", said[1])).split())
    assert text_.startswith(
        f"2 records taking effect by the end of 2023 were recorded after it ended (the last on "
        f"{dt.date.today().isoformat()})"
    )
    assert "finalise-late" not in client_as().get("/reports", params={"year": 2019}).text


def test_a_correction_with_the_longest_reason_leaves_every_file_whole(
    session: Session, client_as: ClientAs
) -> None:
    """A withdrawal's reason of 2,000 characters made a row of the PDF's corrections taller
    than its page, and the PDF failed to be made (reportlab's LayoutError)."""
    seed(session)
    client = client_as()
    assert client.post("/api/v1/reports/article7/finalise", params={"year": 2023}).is_success
    reason = ("Sent twice by the operator under another reference " * 40)[:2000]
    approval.withdraw_release(session, "R1", reason=reason, by="tests")
    url = "/api/v1/reports/article7"
    pdf = client.get(url, params={"year": 2023, "format": "pdf"})
    assert pdf.status_code == 200, pdf.text[:300]
    document = pdfium.PdfDocument(pdf.content)
    text_all = " ".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    assert "in full in the XLSX and CSV" in " ".join(text_all.split())
    whole = client.get(url, params={"year": 2023, "format": "csv"}).text
    assert reason.strip() in whole


def test_the_csv_and_xlsx_list_every_correction_where_the_page_lists_the_first(
    session: Session, client_as: ClientAs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the first 200, the latest corrections were in no file (an attack on our own
    instance: a file of 751 releases withdrawn after finalising)."""
    monkeypatch.setattr("ims.reports.history.MAX_LISTED", 1)
    seed(session)
    client = client_as()
    assert client.post("/api/v1/reports/article7/finalise", params={"year": 2023}).is_success
    late = [
        NewRelease(ref, "H1", ReleaseMethod.CLEARED, dt.date(2023, 9, 1), geom)
        for ref, geom in (
            ("R2", box(102.105, 19.6, 102.107, 19.61)),
            ("R3", box(102.107, 19.6, 102.11, 19.61)),
        )
    ]
    record_releases(session, late)
    url = "/api/v1/reports/article7"
    history = client.get(url, params={"year": 2023}).json()["history"]
    assert history["corrections_count"] == 2 and len(history["corrections"]) == 1
    listed = client.get(url, params={"year": 2023, "format": "csv"}).text
    assert "R2" in listed and "R3" in listed and "The first" not in listed
    xlsx = client.get(url, params={"year": 2023, "format": "xlsx"}).content
    rows = [
        [c.value for c in r] for r in load_workbook(io.BytesIO(xlsx))["Corrections"].iter_rows()
    ]
    assert [r[2] for r in rows[3:]] == ["R2", "R3"]
    page = client.get(url, params={"year": 2023, "format": "html"}).text
    assert "The first 1 of 2 are listed; the XLSX and the CSV list every one." in page
