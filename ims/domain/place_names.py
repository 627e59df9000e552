"""Other names of administrative areas: what a gazetteer lists and the find box searches
(docs/design.md §5.5).

Lao names are written in Lao and in several romanisations (Xaignabouli, Sayaboury,
Sainyabuli); boundary files carry one. ``search_key`` is how a name is compared, so that
one typed another way of writing the same characters still matches.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ims.domain.references import invisible
from ims.errors import InvalidUpload

COLUMNS = ("level", "code", "name")
LONGEST = 200  # characters of a name, as admin_area.name
MOST_LINES = 100_000  # a country's areas' other names are thousands, not millions
LARGEST_BYTES = 20 * 1024 * 1024
# What a spreadsheet reads as the start of a formula (ims.cells): no place name
# starts so, and `ims boundaries list --csv` gives the names back to open in one
_FORMULA_STARTS = ("=", "+", "-", "@")

# Lao's subscript lo (ຫຼ) and the letter after HO SUNG (ຫລ) are both in use for the same
# sound, as in ຫຼວງພະບາງ / ຫລວງພະບາງ (Luang Prabang); NFKC does not join them
_LAO_FOLDS = str.maketrans({"\u0ebc": "\u0ea5"})


def search_key(name: str) -> str:
    """``name`` as the find box compares names: compatibility-normalised (NFKC: Lao's ຳ and
    ໜ as their two letters, a full-width letter as itself), Lao's subscript lo as the
    letter, runs of spaces as one, lower case (as PostgreSQL's ``lower``), and without
    characters that show as nothing (a zero-width space copied with a name had made
    "Attapeu" only alike Attapeu; a gazetteer's names hold none: ``read_place_names``)."""
    folded = unicodedata.normalize("NFKC", name).translate(_LAO_FOLDS)
    shown = "".join(c for c in folded if unicodedata.category(c) != "Cf")
    return " ".join(shown.split()).lower()


@dataclass(frozen=True)
class PlaceNameRow:
    """One line of a gazetteer file: an area (its level and code) and another name of it."""

    line: int
    level: int
    code: str
    name: str


def read_place_names(path: Path) -> list[PlaceNameRow]:
    """The lines of a gazetteer CSV (UTF-8; columns ``level``, ``code``, ``name``; more
    columns are left alone); InvalidUpload naming every line and column that is wrong."""
    if not path.is_file():
        raise InvalidUpload(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    if path.stat().st_size > LARGEST_BYTES:
        raise InvalidUpload(
            f"{path.name}: {path.stat().st_size:,} bytes; a gazetteer file holds at most "
            f"{LARGEST_BYTES // (1024 * 1024)} MB"
        )
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidUpload(
            f"{path.name}: not UTF-8 text (byte {exc.start + 1}); save it as CSV UTF-8"
        ) from None
    try:
        return _rows(path.name, text)
    except csv.Error as exc:  # a cell over the csv module's limit, a stray NUL
        raise InvalidUpload(f"{path.name}: cannot be read as CSV ({exc})") from None


def _rows(source: str, text: str) -> list[PlaceNameRow]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InvalidUpload(
            f"{source}: no column {', '.join(missing)}; a gazetteer file has the columns "
            f"{', '.join(COLUMNS)} (its columns: {', '.join(header) or 'none'})"
        )
    reader.fieldnames = header
    rows: list[PlaceNameRow] = []
    problems: list[str] = []
    for number, record in enumerate(reader, start=2):  # line 1 is the header
        if number > MOST_LINES + 1:
            raise InvalidUpload(
                f"{source}: more than {MOST_LINES:,} lines; a gazetteer file holds at most that"
            )
        cells = {c: (str(record.get(c) or "")).strip() for c in COLUMNS}
        if not any(cells.values()):
            continue
        wrong = _problems(cells)
        if wrong:
            problems += [f"line {number}, {field}: {said}" for field, said in wrong]
            continue
        rows.append(PlaceNameRow(number, int(cells["level"]), cells["code"], cells["name"]))
    if problems:
        raise InvalidUpload(_listed(source, problems))
    if not rows:
        raise InvalidUpload(f"{source}: the file lists no names")
    return rows


def _problems(cells: dict[str, str]) -> list[tuple[str, str]]:
    wrong = []
    if cells["level"] not in ("1", "2"):
        wrong.append(("level", f"{cells['level']!r}: 1 for a province, 2 for a district"))
    if not cells["code"]:
        wrong.append(("code", "empty: the area's code, as ims boundaries load gave it"))
    name = cells["name"]
    if not name:
        wrong.append(("name", "empty"))
    elif len(name) > LONGEST:
        wrong.append(("name", f"{len(name)} characters; at most {LONGEST}"))
    elif invisible(name) or "\t" in name or "\n" in name:
        wrong.append(("name", "holds characters that are invisible or change how it reads"))
    elif name.startswith(_FORMULA_STARTS):
        wrong.append(("name", f"starts with {name[0]}, which a spreadsheet reads as a formula"))
    return wrong


def _listed(source: str, problems: list[str], most: int = 20) -> str:
    shown = "; ".join(problems[:most])
    more = f"; and {len(problems) - most} more" if len(problems) > most else ""
    return f"{source}: nothing was loaded: {shown}{more}"
