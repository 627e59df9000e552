"""Numbers of things are written as a reader says them, never "1 error(s)"."""

from __future__ import annotations

import re
import tokenize
from pathlib import Path

from ims.words import counted, first_of, noun

BRACKETED = re.compile(r"(?<![\w.])[a-z]+\(s\)")  # "hazard(s)", not SQL's "to_jsonb(s)"


def test_one_thing_is_singular_and_any_other_number_plural() -> None:
    assert counted(1, "error") == "1 error"
    assert counted(0, "error") == "0 errors"
    assert counted(None, "warning") == "0 warnings"
    assert counted(2400, "hazardous area") == "2,400 hazardous areas"
    assert counted(3, "was", "were") == "3 were"
    assert noun(1, "is", "are") == "is" and noun(5, "is", "are") == "are"


def test_a_long_list_is_said_by_its_first_items_and_how_many_more() -> None:
    assert first_of([]) == ""
    assert first_of(["a", "b"]) == "a, b"
    assert first_of([str(i) for i in range(10)]) == "0, 1, 2, 3, 4, 5, 6, 7, 8, 9"
    assert first_of([str(i) for i in range(1215)], 3) == "0, 1, 2 and 1,212 more"


def test_no_message_of_ims_writes_a_plural_in_brackets() -> None:
    """The messages once said "overlaps open hazard(s)"; no string in ims's code (the
    expressions inside f-strings left out) nor any page template says so now."""
    root = Path(__file__).resolve().parents[1]
    found = []
    for path in sorted([*(root / "ims").rglob("*.py"), *(root / "map_ui").rglob("*.py")]):
        if path.name == "words.py":
            continue  # it names what it replaces
        with path.open("rb") as f:
            for token in tokenize.tokenize(f.readline):
                text = re.sub(r"\{[^{}]*\}", "", token.string)
                if token.type == tokenize.STRING and BRACKETED.search(text):
                    found.append(f"{path.relative_to(root)}:{token.start[0]}")
    for path in sorted((root / "map_ui" / "templates").rglob("*.html")):
        text = re.sub(r"\{[{%].*?[%}]\}", "", path.read_text(encoding="utf-8"), flags=re.S)
        found += [f"{path.relative_to(root)}: {m.group()}" for m in BRACKETED.finditer(text)]
    assert found == []
