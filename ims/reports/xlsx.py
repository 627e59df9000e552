"""The Article 7 tables as a formatted workbook, ready to paste into the form: numbers only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ims.cells import workbook_bytes, xlsx_values
from ims.config import get_settings
from ims.reports.convention import (
    CONTAMINATION,
    by_province,
    convention_for,
    reporting_period,
)
from ims.reports.history import (
    CORRECTION_COLUMNS,
    correction_rows,
    corrections_listed,
    summary,
)

if TYPE_CHECKING:
    from ims.reports.export import NotedSubmission

HEADER_FILL = PatternFill("solid", fgColor="E8E4F0")
TOTAL_FILL = PatternFill("solid", fgColor="F4F2F8")
THIN = Side(style="thin", color="BBBBBB")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
KM2 = "#,##0.000"
M2 = "#,##0"
COUNT = "#,##0"

RULES = [
    "Areas are computed from the polygons on the WGS84 ellipsoid (edges straight in "
    "longitude/latitude), never from the areas stated in the source files.",
    "Each square metre of a hazard is released once: a release counts only the part of the "
    "hazard still remaining just before it (its effective area); ground already cancelled, "
    "reduced or cleared is not counted again, and the part of a release outside its hazard "
    "is not counted at all.",
    "Remaining area = area added (hazards recorded or enlarged) − area released, per hazard; "
    "a hazard is open while at least 1 m² of it remains.",
    "A hazard is counted once, in the area holding the largest part of it; its area is split "
    "between areas where it straddles a boundary. 'Unassigned' is ground outside every area.",
    "Where hazards overlap, each hazard's remaining area is counted in full in the tables; "
    "the notes give the total with shared ground counted once.",
    # a donor adding up a column had found another total (an IM officer's review)
    "Each figure is rounded on its own where it is shown rounded: a total may differ from "
    "the sum of its rounded parts in the last digit.",
]


def _table(
    ws: Worksheet,
    title: str,
    header: Sequence[str],
    formats: Sequence[str | None],
    rows: Sequence[Sequence[Any]],
    total_last: bool,
) -> None:
    ws.append(xlsx_values([title]))
    ws["A1"].font = Font(bold=True, size=13)
    ws.append(xlsx_values(header))
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.border = BORDER
    for values in rows:
        ws.append(xlsx_values(values))
    last = ws.max_row
    for r in range(3, last + 1):
        for c, fmt in enumerate(formats, start=1):
            cell = ws.cell(row=r, column=c)
            cell.border = BORDER
            if fmt:
                cell.number_format = fmt
            if total_last and r == last:
                cell.font = Font(bold=True)
                cell.fill = TOTAL_FILL
    ws.freeze_panes = "B3"
    for c, name in enumerate(header, start=1):
        width = max(len(str(name)) * 0.9, *(len(str(v[c - 1] or "")) for v in rows), 8)
        ws.column_dimensions[get_column_letter(c)].width = min(width + 2, 60)
    ws.row_dimensions[2].height = 32


def _types(rows: Sequence[dict[str, Any]], key: str, cmr: bool | None = None) -> list[str]:
    """The remnant types listed under `key` in any row (only CMR or only others if asked)."""
    found = {i["type"] for r in rows for i in r[key] if cmr is None or i.get("cmr", True) == cmr}
    return sorted(found)


def _quantities(items: list[dict[str, Any]], key: str, types: Sequence[str]) -> list[int]:
    """One quantity per type, in the order of `types` (0 where the row has none)."""
    by_type = {i["type"]: int(i[key]) for i in items}
    return [by_type.get(t, 0) for t in types]


def to_xlsx(
    report: dict[str, Any],
    outstanding: Sequence[tuple[str, int]] = (),
    noted: Sequence[NotedSubmission] = (),
    *,
    state: str | None = None,
    produced: dt.date | None = None,
) -> bytes:
    """Form 1(h), Form 1(i) and a Notes sheet; km² and m² both given.

    Remnants are one column per type: estimated in Form 1(h); destroyed in Form 1(i), the
    cluster munition remnants apart from the other items, each group with its total.
    """
    state = state or get_settings().country_name
    produced = produced or dt.date.today()
    convention = convention_for(report["contam"])
    wb = Workbook()
    level = "Province" if report["level"] == 1 else "District"
    districts = by_province(report)  # each district with its province (helper-100)
    ws = wb.active
    assert ws is not None
    ws.title = convention.remaining_form[:31]
    remaining = report["remaining"]
    estimated = _types(remaining, "remnants")
    _table(
        ws,
        f"{convention.remaining_heading}: remaining "
        f"contamination ({report['contam']}) as of {report['as_of']}: {state}",
        [
            f"{level} code",
            level,
            *(["Province"] if districts else []),
            "SHAs (number)",
            "SHA area (km²)",
            "SHA area (m²)",
            "CHAs (number)",
            "CHA area (km²)",
            "CHA area (m²)",
            "Total (number)",
            "Total area (km²)",
            "Total area (m²)",
            *[f"Estimated remnants: {t} (number)" for t in estimated],
            "Years of use",
        ],
        [
            None,
            None,
            *([None] if districts else []),
            COUNT,
            KM2,
            M2,
            COUNT,
            KM2,
            M2,
            COUNT,
            KM2,
            M2,
            *[COUNT] * len(estimated),
            None,
        ],
        [
            [
                r["admin_code"] if r["admin_code"] != "TOTAL" else "",
                r["admin_name"],
                *([r.get("province") or ""] if districts else []),
                r["sha_count"],
                r["sha_area_m2"] / 1e6,
                r["sha_area_m2"],
                r["cha_count"],
                r["cha_area_m2"] / 1e6,
                r["cha_area_m2"],
                r["total_count"],
                r["total_area_m2"] / 1e6,
                r["total_area_m2"],
                *_quantities(r["remnants"], "estimated_quantity", estimated),
                "–".join(str(y) for y in r["years_of_use"]),
            ]
            for r in remaining
        ],
        total_last=True,
    )
    ws = wb.create_sheet(convention.released_form[:31])
    released = report["released"]
    cmr, other = _types(released, "destroyed", True), _types(released, "destroyed", False)

    def destroyed(r: dict[str, Any]) -> list[int]:
        mine = _quantities(r["destroyed"], "quantity", cmr)
        others = _quantities(r["destroyed"], "quantity", other)
        return [sum(mine), *mine, sum(others), *others]

    _table(
        ws,
        f"{convention.released_heading}: land released "
        f"in {report['year']} ({report['contam']}): {state}",
        [
            f"{level} code",
            level,
            *(["Province"] if districts else []),
            "Cancelled (km²)",
            "Cancelled (m²)",
            "Reduced (km²)",
            "Reduced (m²)",
            "Cleared (km²)",
            "Cleared (m²)",
            "Total released (km²)",
            "Total released (m²)",
            "Hazards closed (number)",
            "Cluster munition remnants destroyed: all types (number)",
            *[f"Cluster munition remnants destroyed: {t} (number)" for t in cmr],
            "Other items destroyed: all types (number)",
            *[f"Other items destroyed: {t} (number)" for t in other],
            "Released outside recorded hazards, not in the totals (m²)",
        ],
        [
            None,
            None,
            *([None] if districts else []),
            KM2,
            M2,
            KM2,
            M2,
            KM2,
            M2,
            KM2,
            M2,
            COUNT,
            *[COUNT] * (len(cmr) + len(other) + 2),
            M2,
        ],
        [
            [
                r["admin_code"] if r["admin_code"] != "TOTAL" else "",
                r["admin_name"],
                *([r.get("province") or ""] if districts else []),
                r["cancelled_m2"] / 1e6,
                r["cancelled_m2"],
                r["reduced_m2"] / 1e6,
                r["reduced_m2"],
                r["cleared_m2"] / 1e6,
                r["cleared_m2"],
                r["total_m2"] / 1e6,
                r["total_m2"],
                r["hazards_closed"],
                *destroyed(r),
                r.get("released_outside_hazards_m2", 0.0),
            ]
            for r in released
        ],
        total_last=True,
    )
    corrections = correction_rows(report.get("history"))
    if corrections:
        ws = wb.create_sheet("Corrections")
        ws.append(xlsx_values([summary(report.get("history"))]))
        ws.append([])
        ws.append(list(CORRECTION_COLUMNS))
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
        for row in corrections:
            ws.append(xlsx_values(row))
        if listed := corrections_listed(report.get("history")):
            ws.append([listed])
    _notes(
        wb.create_sheet("Notes"),
        report,
        outstanding,
        noted,
        state=state,
        produced=produced,
        level=level,
    )
    return workbook_bytes(wb)


def _notes(
    ws: Worksheet,
    report: dict[str, Any],
    outstanding: Sequence[tuple[str, int]],
    noted: Sequence[NotedSubmission],
    *,
    state: str,
    produced: dt.date,
    level: str,
) -> None:
    """The report's identity, how its figures are computed and what data quality is open."""
    overlap = report["overlap"]
    convention = convention_for(report["contam"])
    lines: list[list[Any]] = [
        [convention.title],
        [],
        ["State", state],
        ["Convention", convention.note or convention.name],
        ["Reporting period", reporting_period(report["year"], report["as_of"])],
        ["As of", report["as_of"]],
        ["Year reported (releases)", report["year"]],
        ["Contamination", CONTAMINATION.get(report["contam"], report["contam"])],
        ["Admin level", f"{report['level']} ({level.lower()}s)"],
        ["Remaining, overlaps counted once (km²)", overlap["dissolved_area_m2"] / 1e6],
        ["Ground shared by overlapping hazards (km²)", overlap["double_counted_m2"] / 1e6],
        [
            "Released land counted more than once, overlapping hazards (km²)",
            overlap.get("released_twice_m2", 0.0) / 1e6,
        ],
        ["Produced", produced.isoformat()],
        ["History", summary(report.get("history"))],
        [],
        ["How the figures are computed"],
        *[[f"{i}.", rule] for i, rule in enumerate(RULES, start=1)],
        [],
        ["Data-quality findings outstanding"],
        ["Submissions awaiting review, noted by a reviewer", len(noted)],
        *[[f"  {n.describe()}"] for n in noted],
    ]
    if not noted:
        lines.append(["  none", ""])
    if outstanding:
        lines.append(["Their error findings by kind", sum(n for _, n in outstanding)])
        lines += [[f"  {code}", n] for code, n in outstanding]
    headings = {
        convention.title: 12,
        "How the figures are computed": 11,
        "Data-quality findings outstanding": 11,
    }
    for line in lines:
        ws.append(xlsx_values(line))
        row = ws.max_row
        first = line[0] if line else None
        if first in headings:
            ws.cell(row=row, column=1).font = Font(bold=True, size=headings[first])
        elif first is not None and str(first).endswith("(km²)"):
            ws.cell(row=row, column=2).number_format = KM2
        elif first is not None and str(first).endswith("."):  # a rule
            ws.cell(row=row, column=2).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 44
    ws.column_dimensions["B"].width = 100
