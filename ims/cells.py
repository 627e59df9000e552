"""Spreadsheet cells that hold data, never formulas.

A value a person typed (a hazard reference, a province name) that begins with ``=``, ``+``,
``-``, ``@`` or a control character is run as a formula by spreadsheet programs when the
file is opened ("formula injection": ``=HYPERLINK(…)`` sends the reader elsewhere). ims
writes no formula of its own, so every workbook is saved with every cell as a value, and
every CSV text field that could start a formula is written with a leading apostrophe, as
spreadsheet programs themselves mark text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


# A formula after a ";" or a tab inside a text: a spreadsheet that splits on ";" (as
# much of the world's do) reads the rest as a cell of its own, quoted or not, so
# ``x;=cmd|' /C calc'!A0`` began a formula there (found by an attack on our own instance).
# A line break inside a text too: a lone CR is not quoted (the rows end in LF) and a
# spreadsheet may begin a row there, quoted or not (found by an attack on these changes before
# release).
_FORMULA_INSIDE = re.compile(r"([;\t\r\n][\s\"']*)(?=[=+\-@])")


def csv_value(value: Any) -> Any:
    """``value`` as it may be written to CSV: text that would start a formula, in its cell
    or in a cell a ";" would begin, has an apostrophe before it."""
    if not isinstance(value, str):
        return value
    if _starts_formula(value):
        value = "'" + value  # " =1+1" too: a spreadsheet that trims spaces reads a formula
    return _FORMULA_INSIDE.sub(r"\1'", value)


def _starts_formula(value: str) -> bool:
    """Whether ``csv_value`` puts an apostrophe before ``value``: it would start a formula,
    after any spaces, or it is such a text after apostrophes of its own ("'=1"), so
    that each apostrophe ``csv_value_read`` takes off is one ``csv_value`` put on."""
    return value.lstrip(" '").startswith(FORMULA_STARTS) and not _number(value)


# the apostrophe ``_FORMULA_INSIDE`` puts before a formula inside a text
_GUARDED_INSIDE = re.compile(r"([;\t\r\n][\s\"']*)'(?=[=+\-@])")


def csv_value_read(value: str) -> str:
    """A CSV cell as it was before ``csv_value`` wrote it: without the apostrophes put
    before what would start a formula. A register CSV sent back had held each such value
    with its apostrophe ("'+856 20 …"), and a hazard left as it was had been a change
    (helper-116)."""
    if "'" not in value:
        return value
    value = _GUARDED_INSIDE.sub(r"\1", value)
    if value.startswith("'") and _starts_formula(value[1:]):
        value = value[1:]
    return value


def _number(text: str) -> bool:
    """Whether ``text`` is a plain number (a negative area is data, not a formula)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    """Rows as CSV text, no value of them able to start a formula."""
    buf = io.StringIO()
    # rows end in LF, but the writer quotes what holds a character of its line ending:
    # told it is CRLF, it quotes a text holding a lone CR too, which it had left bare, and
    # every reader began a row there (helper-118); the row's own CRLF is made LF
    writer = csv.writer(buf, lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_value(v) for v in row])
        buf.seek(buf.tell() - 2)
        buf.write("\n")
        buf.truncate()
    return buf.getvalue()


def xlsx_values(values: Iterable[Any]) -> list[Any]:
    """A row's values as a worksheet may hold them: the control characters a workbook cannot
    store (a vertical tab pasted from a spreadsheet, say) become U+FFFD. One such character
    in an operator's own column had made every export of the register as XLSX fail."""
    return [ILLEGAL_CHARACTERS_RE.sub("\ufffd", v) if isinstance(v, str) else v for v in values]


def workbook_bytes(wb: Workbook) -> bytes:
    """The workbook saved with every cell a value: text that looks like a formula stays text."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
