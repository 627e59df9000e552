"""The Article 7 report as a PDF a State can submit: title page, map, the two forms, notes.

Every text is set in embedded TrueType fonts (`ims.reports.fonts`), so names in Latin
Extended letters or Lao script print as written.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import shapely
from matplotlib import patheffects
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    Image,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from shapely.geometry.base import BaseGeometry

from ims.config import get_settings
from ims.domain import symbology
from ims.reports import fonts
from ims.reports.convention import (
    CONTAMINATION,
    Convention,
    convention_for,
    long_date,
    reporting_period,
)
from ims.reports.history import CORRECTION_COLUMNS, correction_rows, corrections_listed, summary

if TYPE_CHECKING:
    from ims.reports.export import NotedSubmission
from ims.reports.xlsx import RULES
from ims.words import counted

# the map pages' classes and colours (one symbology: ims/domain/symbology.py)
BREAKS_KM2 = symbology.CHOROPLETH_BREAKS_KM2
DISTRICT_BREAKS_KM2 = symbology.DISTRICT_BREAKS_KM2
RAMP = symbology.CHOROPLETH_COLOURS
# Where a map's name is tried, in points from its area's label point (at the provinces'
# size; a district's name moves less): its place, then above, below, beside.
LABEL_NUDGES_PT = ((0, 0), (0, 9), (0, -9), (18, 0), (-18, 0), (0, 16), (0, -16))
EDGE = symbology.BOUNDARY_COLOUR


def remaining_map(
    areas: Sequence[tuple[str | None, BaseGeometry]],
    report: dict[str, Any],
    families: Sequence[str] = ("DejaVu Sans",),
) -> Figure:
    """A choropleth of remaining area per admin area, each labelled with its name and km².

    Names are small, dark and haloed in white so they read on every shade. The page the map
    goes on says what and when; the map has no title of its own. `families` are matplotlib
    font families in fallback order (`fonts.map_families`). The caller closes the figure.
    """
    rows = {r["admin_code"]: r for r in report["remaining"]}
    label_size = 5.0 if report["level"] == 1 else 3.4
    breaks = BREAKS_KM2 if report["level"] == 1 else DISTRICT_BREAKS_KM2
    with plt.rc_context({"font.family": list(families)}):
        fig, ax = plt.subplots(figsize=(6.2, 6.2), dpi=200)
        cmap = ListedColormap(list(RAMP))
        norm = BoundaryNorm([0.0, *breaks, 1e12], cmap.N)
        for code, geom in areas:
            row = rows.get(code)
            colour = cmap(norm(row["total_area_m2"] / 1e6 if row else 0.0))
            for poly in getattr(geom, "geoms", [geom]):
                x, y = shapely.get_coordinates(poly.exterior).T
                ax.fill(x, y, facecolor=colour, edgecolor=EDGE, linewidth=0.4)
        ax.set_aspect("equal")
        ax.set_axis_off()
        ax.autoscale_view()
        # the axes' box as it will be drawn (the equal aspect shrinks it at drawing time):
        # measured before, the names' boxes were not where they were drawn, and names
        # still hid each other's figures (a review of our own change)
        ax.apply_aspect()
        halo = [patheffects.withStroke(linewidth=1.6, foreground="white")]
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        placed: list[Any] = []
        # the most contaminated first, then the largest: where two names would overlap (a
        # district's map had dozens printed over each other, a new user's review), the
        # other is left out; the tables name every area
        for code, geom in sorted(areas, key=lambda a: _label_rank(rows.get(a[0]), a[1])):
            row = rows.get(code)
            name = row["admin_name"] if row else (code or "")
            km2 = row["total_area_m2"] / 1e6 if row else 0.0
            text = f"{name}\n{km2:,.1f} km²" if km2 >= 0.05 else name
            p = _label_point(geom)
            # where its own place is taken, a name is tried a little above, below, then
            # beside it: two provinces' names (Vientiane's, Xekong's) had been left out
            # beside their neighbours' (an IM officer's review, helper-100)
            for dx, dy in LABEL_NUDGES_PT:
                label = ax.annotate(
                    text,
                    (p.x, p.y),
                    xytext=(dx * label_size / 5, dy * label_size / 5),
                    textcoords="offset points",
                    ha="center",
                    va="center",
                    fontsize=label_size,
                    color="#222222",
                    path_effects=halo,
                    linespacing=1.1,
                )
                box = label.get_window_extent(renderer).padded(1.6 * fig.dpi / 72)  # the halo
                if not any(box.overlaps(other) for other in placed):
                    placed.append(box)
                    break
                label.remove()
        labels = (
            [f"< {breaks[0]:g}"]
            + [f"{a:g}–{b:g}" for a, b in itertools.pairwise(breaks)]
            + [f"≥ {breaks[-1]:g}"]
        )
        ax.legend(
            handles=[
                Patch(facecolor=c, edgecolor=EDGE, label=lab)
                for c, lab in zip(RAMP, labels, strict=True)
            ],
            title="Remaining km²",
            loc="lower left",
            fontsize=7,
            title_fontsize=7,
        )
        ax.set_aspect("equal")
        ax.set_axis_off()
    return fig


def remaining_map_png(
    areas: Sequence[tuple[str | None, BaseGeometry]],
    report: dict[str, Any],
    families: Sequence[str] = ("DejaVu Sans",),
) -> bytes:
    """The choropleth of `remaining_map` as PNG."""
    fig = remaining_map(areas, report, families)
    try:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight")
    finally:
        plt.close(fig)
    return buf.getvalue()


def _label_rank(row: dict[str, Any] | None, geom: BaseGeometry) -> tuple[float, float]:
    """The order in which areas get their names on the map: most remaining, then largest."""
    return (-(row["total_area_m2"] if row else 0.0), -geom.area)


def _label_point(geom: BaseGeometry) -> Any:
    """Where a name goes: inside the largest part of the area."""
    parts = getattr(geom, "geoms", [geom])
    return max(parts, key=lambda g: g.area).representative_point()


class _Styles:
    """Paragraph styles in the embedded fonts, and markup of text in them."""

    def __init__(self, faces: Sequence[fonts.Face]) -> None:
        self.faces = faces
        base = getSampleStyleSheet()

        def style(name: str, parent: str, **kw: Any) -> ParagraphStyle:
            bold = kw.pop("bold", False)
            font = fonts.SANS_BOLD if bold else fonts.SANS
            # shaped, where the font can be (fonts.py): Lao's stacked marks, Khmer's
            # consonant clusters
            return ParagraphStyle(name, parent=base[parent], fontName=font, shaping=1, **kw)

        self.state = style(
            "state", "Title", bold=True, fontSize=22, leading=28, alignment=TA_LEFT, spaceAfter=4
        )
        self.title = style(
            "title", "Title", bold=True, fontSize=15, leading=20, alignment=TA_LEFT, spaceAfter=10
        )
        self.heading = style("heading", "Heading2", bold=True)
        self.subheading = style("subheading", "Heading3", bold=True)
        self.body = style("body", "BodyText", fontSize=10, leading=13)
        self.label = style("label", "BodyText", bold=True, fontSize=10, leading=13)
        self.small = style("small", "BodyText", fontSize=8, leading=10)
        self.small_bold = style("small_bold", "BodyText", bold=True, fontSize=8, leading=10)
        self.header = style("header", "BodyText", bold=True, fontSize=7, leading=8.5)
        self.footer = style("footer", "BodyText", fontSize=7, leading=8)

    def para(self, text: str, style: ParagraphStyle) -> Paragraph:
        """A paragraph of plain text (escaped; other scripts in their fonts)."""
        bold = style.fontName == fonts.SANS_BOLD
        return Paragraph(fonts.markup(text, self.faces, bold=bold), style)


# The last rows of a form (the last areas, "Unassigned" and the total) are kept together:
# split before them, a page held the total alone, parted from the rows it adds up.
_KEPT_TOGETHER_AT_END = 4


def _table(data: list[list[Any]], widths: list[float]) -> Table:
    table = Table(data, colWidths=widths, repeatRows=1)
    last = max(1, len(data) - _KEPT_TOGETHER_AT_END)
    table.setStyle(
        TableStyle(
            [
                ("NOSPLIT", (0, last), (-1, -1)),
                ("FONT", (0, 0), (-1, -1), fonts.SANS, 7),
                ("FONT", (0, 0), (-1, 0), fonts.SANS_BOLD, 7),
                ("FONT", (0, -1), (-1, -1), fonts.SANS_BOLD, 7),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e4f0")),
                ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f4f2f8")),
                ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#bbbbbb")),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _items(items: list[dict[str, Any]], key: str) -> str:
    """Numbers by type, "BLU-24: 1,598; BLU-26: 7,048": a colon and a no-break space keep
    each number with its type (a comma between items read as one more thousands comma)."""
    return "; ".join(f"{i['type']}:\u00a0{i[key]:,}" for i in items)


def _data_quality(
    outstanding: Sequence[tuple[str, int]], noted: Sequence[NotedSubmission], *, brief: bool = False
) -> str:
    """One paragraph on the data-quality findings outstanding (as the XLSX notes list them):
    the submissions awaiting review that a reviewer chose to note, and their errors; ``brief``
    (the title page) leaves out the list of submissions."""
    if not noted:
        # not "None", which read as "no problems" while files with errors await review
        return (
            "No submission awaiting review is noted here: a reviewer chooses, on its review "
            "page, which ones this report should mention."
        )
    errors = sum(n for _, n in outstanding)
    listed = "" if brief else ": " + "; ".join(n.describe() for n in noted)
    if not outstanding:
        found = ""
    elif brief:
        found = f" Their {counted(errors, 'error finding')} are listed in the notes."
    else:
        codes = ", ".join(f"{code} {n:,}" for code, n in outstanding)
        found = f" Their {counted(errors, 'error finding')}: {codes}."
    return (
        f"{counted(len(noted), 'submission')} awaiting review "
        f"{'is' if len(noted) == 1 else 'are'} noted by a reviewer{listed}.{found} What they "
        "hold is not in these figures until approved."
    )


def to_pdf(
    report: dict[str, Any],
    areas: Sequence[tuple[str | None, BaseGeometry]],
    outstanding: Sequence[tuple[str, int]] = (),
    noted: Sequence[NotedSubmission] = (),
    *,
    state: str | None = None,
    produced: dt.date | None = None,
) -> bytes:
    """Title page, the map, the two forms and the notes (rules, overlaps, data quality).

    `outstanding` and `noted` are the data-quality findings still open, as
    `export.outstanding_findings` gives them; `state` defaults to IMS_COUNTRY_NAME.
    """
    state = state or get_settings().country_name
    produced = produced or dt.date.today()
    faces = fonts.faces_for(
        [state, json.dumps(report, ensure_ascii=False), *(n.describe() for n in noted)]
    )
    fonts.register_pdf_fonts(faces)
    st = _Styles(faces)
    convention = convention_for(report["contam"])
    year = report["year"]
    as_of = long_date(dt.date.fromisoformat(report["as_of"]))
    level = "Province" if report["level"] == 1 else "District"
    quality = _data_quality(outstanding, noted)
    headline = _data_quality(outstanding, noted, brief=True)

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=landscape(A4),
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=f"{state}: {convention.title}, {year}",
        author=state,
        subject=f"Reporting period {reporting_period(year, report['as_of'])}",
        creator="ims",
        # the same report made twice on a day is the same file, byte for byte: no time of
        # making and a file identifier from the content (a finalised report downloaded
        # again had differed in its creation time alone: an IM officer's review)
        invariant=True,
    )
    made = f"D:{produced:%Y%m%d}000000+00'00'"  # the day it was produced, as the title says

    def footer(canvas: Any, doc: Any) -> None:
        canvas.setDateFormatter(lambda *_: made)
        canvas.saveState()
        line = st.para(f"{state} · {convention.short}, {year}", st.footer)
        line.wrap(doc.width - 30 * mm, 10 * mm)
        line.drawOn(canvas, doc.leftMargin, 8 * mm)
        canvas.setFont(fonts.SANS, 7)
        canvas.drawRightString(doc.pagesize[0] - doc.rightMargin, 8 * mm, f"page {doc.page}")
        canvas.restoreState()

    story: list[Any] = _title_page(report, st, convention, state, produced, level, headline)
    story += [
        PageBreak(),
        st.para(f"Remaining contamination by {level.lower()} as of {as_of}", st.heading),
        Image(
            io.BytesIO(remaining_map_png(areas, report, fonts.map_families(faces))),
            width=165 * mm,
            height=165 * mm,
            kind="proportional",
        ),
        PageBreak(),
    ]
    story += _remaining_form(report, st, convention, level, as_of)
    story.append(PageBreak())
    story += _released_form(report, st, convention, level)
    story.append(PageBreak())
    story += _notes(report, st, quality)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


def _title_page(
    report: dict[str, Any],
    st: _Styles,
    convention: Convention,
    state: str,
    produced: dt.date,
    level: str,
    quality: str,
) -> list[Any]:
    """The State, the convention, the period, the forms included, when produced, history."""
    year = report["year"]
    as_of = long_date(dt.date.fromisoformat(report["as_of"]))
    total = report["remaining"][-1]
    released = report["released"][-1]
    areas = f"{level.lower()}s (admin level {report['level']})"
    forms = [
        f"{convention.remaining_heading}: remaining "
        f"contamination as of {as_of}, by {level.lower()}",
        f"{convention.released_heading}: land released and "
        f"items destroyed in {year}, by {level.lower()}",
        f"Map of remaining contamination by {level.lower()}",
        "Notes: how the figures are computed; data-quality findings outstanding",
    ]
    in_short = (
        f"Remaining as of {as_of}: {total['total_area_m2'] / 1e6:,.3f} km² in "
        f"{counted(total['total_count'], 'hazardous area')} ({total['cha_count']:,} "
        f"confirmed, {total['sha_count']:,} suspected). Released in {year}: "
        f"{released['total_m2'] / 1e6:,.3f} km² "
        f"({counted(released['hazards_closed'], 'hazardous area')} fully released)."
    )
    history = summary(report.get("history")) or "Not recorded for this production."
    rows = [
        ("Reporting period", reporting_period(year, report["as_of"])),
        ("Contamination", CONTAMINATION.get(report["contam"], report["contam"])),
        *([("Convention", convention.note)] if convention.note else []),
        ("Figures by", areas),
        (
            "Tables included" if convention.note else "Forms included",
            "\n".join(f"• {f}" for f in forms),
        ),
        ("In short", in_short),
        ("Data quality", quality),
        ("Produced", f"{long_date(produced)}, by ims from the national database"),
        ("History", history),
    ]
    table = Table(
        [
            [st.para(k, st.label), [st.para(line, st.body) for line in v.split("\n")]]
            for k, v in rows
        ],
        colWidths=[42 * mm, 210 * mm],
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -2), 0.3, colors.HexColor("#dddddd")),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return [
        Spacer(1, 8 * mm),
        st.para(state, st.state),
        st.para(convention.title, st.title),
        table,
    ]


def _area(row: dict[str, Any]) -> str:
    """An admin area's name with its code, as the HTML and XLSX tables give them: districts
    of one name in two provinces (two Xaysetha, two Phonthong) were told apart by nothing."""
    code = row.get("admin_code")
    if not code or code == "TOTAL":
        return str(row["admin_name"])
    # a district in its province, in words (a code alone had told them apart: helper-100)
    province = f", {row['province']}" if row.get("province") else ""
    return f"{row['admin_name']}{province} ({code})"


def _remaining_form(
    report: dict[str, Any], st: _Styles, convention: Convention, level: str, as_of: str
) -> list[Any]:
    """Remaining contamination per admin area, with remnants and years of use."""
    head = ["SHAs", "SHA km²", "CHAs", "CHA km²", "Total", "Total km²", "Total m²"]
    header = [level, *head, "Estimated remnants (number by type)", "Years of use"]
    rows: list[list[Any]] = [[st.para(h, st.header) for h in header]]
    total = report["remaining"][-1]
    for r in report["remaining"]:
        rows.append(
            [
                st.para(_area(r), st.small_bold if r is total else st.small),
                f"{r['sha_count']:,}",
                f"{r['sha_area_m2'] / 1e6:,.3f}",
                f"{r['cha_count']:,}",
                f"{r['cha_area_m2'] / 1e6:,.3f}",
                f"{r['total_count']:,}",
                f"{r['total_area_m2'] / 1e6:,.3f}",
                f"{r['total_area_m2']:,.0f}",
                st.para(_items(r["remnants"], "estimated_quantity"), st.small),
                "–".join(str(y) for y in r["years_of_use"]),
            ]
        )
    heading = f"{convention.remaining_heading}: remaining contamination as of {as_of}"
    widths = [40, 13, 17, 13, 17, 13, 18, 22, 98, 18]
    return [st.para(heading, st.heading), _table(rows, [w * mm for w in widths])]


def _released_form(
    report: dict[str, Any], st: _Styles, convention: Convention, level: str
) -> list[Any]:
    """Land released per method and admin area; remnants destroyed, CMR and others apart."""
    header = [
        level,
        "Cancelled km²",
        "Reduced km²",
        "Cleared km²",
        "Total km²",
        "Total m²",
        "Hazardous areas closed",
        "Cluster munition remnants destroyed",
        "Other items destroyed",
    ]
    rows: list[list[Any]] = [[st.para(h, st.header) for h in header]]
    total = report["released"][-1]
    for r in report["released"]:
        cmr = [i for i in r["destroyed"] if i.get("cmr", True)]
        other = [i for i in r["destroyed"] if not i.get("cmr", True)]
        rows.append(
            [
                st.para(_area(r), st.small_bold if r is total else st.small),
                f"{r['cancelled_m2'] / 1e6:,.3f}",
                f"{r['reduced_m2'] / 1e6:,.3f}",
                f"{r['cleared_m2'] / 1e6:,.3f}",
                f"{r['total_m2'] / 1e6:,.3f}",
                f"{r['total_m2']:,.0f}",
                f"{r['hazards_closed']:,}",
                # none destroyed is 0, as on the page (it was blank)
                st.para(_items(cmr, "quantity") or "0", st.small),
                st.para(_items(other, "quantity") or "0", st.small),
            ]
        )
    heading = f"{convention.released_heading}: land released in {report['year']}"
    widths = [40, 21, 21, 21, 21, 24, 24, 48, 49]
    outside = total.get("released_outside_hazards_m2", 0.0)
    return [
        st.para(heading, st.heading),
        _table(rows, [w * mm for w in widths]),
        st.para(
            f"Released outside recorded hazards (counted apart, not in the totals above): "
            f"{outside:,.0f} m².",
            st.small,
        ),
    ]


def _notes(report: dict[str, Any], st: _Styles, quality: str) -> list[Any]:
    """How the figures are computed, shared ground, data quality and the report's history."""
    overlap = report["overlap"]
    shared = (
        f"With ground shared by overlapping hazardous areas counted once, the remaining area "
        f"is {overlap['dissolved_area_m2'] / 1e6:,.3f} km² "
        f"({overlap['double_counted_m2'] / 1e6:,.3f} km² shared)."
    )
    if overlap.get("released_twice_m2"):
        shared += (
            f" The land released counts {overlap['released_twice_m2']:,.0f} m² more than the "
            "ground released: ground shared by overlapping hazards is released from each and "
            "counted for each."
        )
    story: list[Any] = [
        st.para("Notes", st.heading),
        st.para("How the figures are computed", st.subheading),
        *[st.para(f"{i}. {rule}", st.body) for i, rule in enumerate(RULES, start=1)],
        Spacer(1, 3 * mm),
        st.para("Overlapping hazardous areas", st.subheading),
        st.para(shared, st.body),
        Spacer(1, 3 * mm),
        st.para("Data-quality findings outstanding", st.subheading),
        st.para(quality, st.body),
    ]
    if report.get("history"):
        story += [
            Spacer(1, 3 * mm),
            st.para("History of this report", st.subheading),
            st.para(summary(report["history"]), st.body),
        ]
        corrections = correction_rows(report["history"])
        if corrections:
            cells = [
                [st.para(_shortened(str(v)), st.small) for v in row]
                for row in [list(CORRECTION_COLUMNS), *corrections]
            ]
            widths = [26, 30, 30, 28, 22, 52, 24, 24, 22]  # mm: 258 of the 269 between margins
            story += [Spacer(1, 2 * mm), _corrections_table(cells, [w * mm for w in widths])]
            if listed := corrections_listed(report["history"]):
                story.append(st.para(listed, st.small))
    return story


# A withdrawal's reason may be 2,000 characters: a row taller than the page made the whole
# PDF fail (LayoutError). Shortened here; the XLSX, the CSV and the page give it whole.
_CELL_MOST = 400


def _shortened(text: str) -> str:
    if len(text) <= _CELL_MOST:
        return text
    return text[: _CELL_MOST - 30].rstrip() + "… (in full in the XLSX and CSV)"


def _corrections_table(data: list[list[Any]], widths: list[float]) -> Table:
    """The corrections listed since the report was finalised: a row each, split between
    rows (a cell is at most ``_CELL_MOST`` characters, so no row is taller than a page;
    splitting within rows repeated the header mid-page and shifted what followed)."""
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e4f0")),
                ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#bbbbbb")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table
