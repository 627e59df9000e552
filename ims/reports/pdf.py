"""The Article 7 report as a printable PDF: a map of remaining contamination and the tables."""

from __future__ import annotations

import io
import itertools
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import shapely
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.patches import Patch
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
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

from ims.reports.history import summary
from ims.reports.xlsx import RULES

BREAKS_KM2 = (0.1, 1.0, 5.0, 20.0)
RAMP = ("#f2f0f7", "#dadaeb", "#bcbddc", "#9e9ac8", "#756bb1")


def remaining_map_png(
    areas: Sequence[tuple[str | None, BaseGeometry]], report: dict[str, Any]
) -> bytes:
    """A choropleth of remaining area per admin area (PNG)."""
    km2 = {r["admin_code"]: r["total_area_m2"] / 1e6 for r in report["remaining"]}
    fig, ax = plt.subplots(figsize=(6.2, 6.2), dpi=150)
    cmap = ListedColormap(list(RAMP))
    norm = BoundaryNorm([0.0, *BREAKS_KM2, 1e12], cmap.N)
    for code, geom in areas:
        value = km2.get(code, 0.0)
        colour = cmap(norm(value))
        for poly in getattr(geom, "geoms", [geom]):
            x, y = shapely.get_coordinates(poly.exterior).T
            ax.fill(x, y, facecolor=colour, edgecolor="#54278f", linewidth=0.4)
    for code, geom in areas:
        value = km2.get(code, 0.0)
        if value >= BREAKS_KM2[1]:
            p = geom.representative_point()
            ax.annotate(f"{value:,.1f}", (p.x, p.y), ha="center", va="center", fontsize=6)
    labels = [f"< {BREAKS_KM2[0]}"] + [
        f"{a}–{b}" for a, b in itertools.pairwise(BREAKS_KM2)
    ] + [f"≥ {BREAKS_KM2[-1]}"]  # fmt: skip
    ax.legend(handles=[Patch(facecolor=c, edgecolor="#54278f", label=lab)
                       for c, lab in zip(RAMP, labels, strict=True)],
              title="Remaining km²", loc="lower left", fontsize=7, title_fontsize=7)  # fmt: skip
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(f"Remaining contamination ({report['contam']}) as of {report['as_of']}",
                 fontsize=9)  # fmt: skip
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _table(data: list[list[Any]], widths: list[float]) -> Table:
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), "Helvetica", 7),
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 7),
        ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 7),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e4f0")),
        ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f4f2f8")),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#bbbbbb")),
        ("ALIGN", (2, 1), (-2, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))  # fmt: skip
    return table


def _page_number(canvas: Any, doc: Any) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica", 7)
    canvas.drawRightString(doc.pagesize[0] - 12 * mm, 8 * mm, f"page {doc.page}")
    canvas.drawString(12 * mm, 8 * mm, "ims: Article 7, survey and clearance")
    canvas.restoreState()


def _items(items: list[dict[str, Any]], key: str) -> str:
    return ", ".join(f"{i['type']} {i[key]:,}" for i in items)


def to_pdf(report: dict[str, Any], areas: Sequence[tuple[str | None, BaseGeometry]]) -> bytes:
    """Title, the map, Form 1(h) and Form 1(i), and how the figures are computed."""
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=12 * mm,
                            rightMargin=12 * mm, topMargin=12 * mm, bottomMargin=14 * mm,
                            title=f"Article 7 report {report['year']}")  # fmt: skip
    level = "Province" if report["level"] == 1 else "District"
    total = report["remaining"][-1]
    released = report["released"][-1]
    story: list[Any] = [
        Paragraph(f"Article 7 report: survey and clearance, {report['year']}", styles["Title"]),
        Paragraph(
            f"Contamination: {report['contam']}. Remaining as of {report['as_of']}: "
            f"{total['total_area_m2'] / 1e6:,.3f} km² in {total['total_count']:,} hazards "
            f"({total['cha_count']:,} CHA, {total['sha_count']:,} SHA). Released in "
            f"{report['year']}: {released['total_m2'] / 1e6:,.3f} km² "
            f"({released['hazards_closed']:,} hazards closed).", styles["BodyText"]),
        Spacer(1, 4 * mm),
        Image(io.BytesIO(remaining_map_png(areas, report)), width=150 * mm, height=150 * mm,
              kind="proportional"),
        PageBreak(),
        Paragraph(f"Form 1(h): remaining contamination as of {report['as_of']}",
                  styles["Heading2"]),
    ]  # fmt: skip
    rows = [[level, "SHAs", "SHA km²", "CHAs", "CHA km²", "Total", "Total km²", "Total m²",
             Paragraph("Estimated remnants", small), "Years"]]  # fmt: skip
    for r in report["remaining"]:
        rows.append([
            Paragraph(r["admin_name"], small), f"{r['sha_count']:,}",
            f"{r['sha_area_m2'] / 1e6:,.3f}", f"{r['cha_count']:,}",
            f"{r['cha_area_m2'] / 1e6:,.3f}", f"{r['total_count']:,}",
            f"{r['total_area_m2'] / 1e6:,.3f}", f"{r['total_area_m2']:,.0f}",
            Paragraph(_items(r["remnants"], "estimated_quantity"), small),
            "–".join(str(y) for y in r["years_of_use"]),
        ])  # fmt: skip
    story.append(_table(rows, [38 * mm, 13 * mm, 17 * mm, 13 * mm, 17 * mm, 13 * mm, 18 * mm,
                               22 * mm, 100 * mm, 18 * mm]))  # fmt: skip
    story += [PageBreak(), Paragraph(f"Form 1(i): land released in {report['year']}",
                                     styles["Heading2"])]  # fmt: skip
    rows = [[level, "Cancelled km²", "Reduced km²", "Cleared km²", "Total km²", "Total m²",
             "Closed", Paragraph("Items destroyed", small)]]  # fmt: skip
    for r in report["released"]:
        rows.append([
            Paragraph(r["admin_name"], small), f"{r['cancelled_m2'] / 1e6:,.3f}",
            f"{r['reduced_m2'] / 1e6:,.3f}", f"{r['cleared_m2'] / 1e6:,.3f}",
            f"{r['total_m2'] / 1e6:,.3f}", f"{r['total_m2']:,.0f}", f"{r['hazards_closed']:,}",
            Paragraph(_items(r["destroyed"], "quantity"), small),
        ])  # fmt: skip
    story.append(_table(rows, [38 * mm, 22 * mm, 22 * mm, 22 * mm, 22 * mm, 24 * mm, 14 * mm,
                               105 * mm]))  # fmt: skip
    overlap = report["overlap"]
    story += [Spacer(1, 5 * mm), Paragraph("How the figures are computed", styles["Heading3"])]
    story += [Paragraph(f"{i}. {rule}", small) for i, rule in enumerate(RULES, start=1)]
    story.append(Paragraph(
        f"With ground shared by overlapping hazards counted once, the remaining area is "
        f"{overlap['dissolved_area_m2'] / 1e6:,.3f} km² "
        f"({overlap['double_counted_m2'] / 1e6:,.3f} km² shared).", small))  # fmt: skip
    if report.get("history"):
        story.append(Paragraph(escape(summary(report["history"])), small))
    doc.build(story, onFirstPage=_page_number, onLaterPages=_page_number)
    return buf.getvalue()
