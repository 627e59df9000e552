"""Lists of flat records as CSV or a formatted worksheet (ranked hazards and the like)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from ims.cells import csv_text, workbook_bytes, xlsx_values


def rows_csv(rows: Sequence[dict[str, Any]]) -> str:
    """The records as CSV with a header from the first record's keys."""
    if not rows:
        return ""
    header = list(rows[0])
    return csv_text([header, *([row.get(k) for k in header] for row in rows)])


def rows_xlsx(rows: Sequence[dict[str, Any]], title: str) -> bytes:
    """The records as one worksheet with a bold, frozen header."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title[:31]
    if rows:
        ws.append(xlsx_values(rows[0]))
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="E8E4F0")
        for row in rows:
            ws.append(xlsx_values(row.values()))
        ws.freeze_panes = "A2"
        for column in ws.columns:
            width = max(len(str(c.value or "")) for c in column)
            ws.column_dimensions[column[0].column_letter].width = min(width + 2, 40)
    return workbook_bytes(wb)
