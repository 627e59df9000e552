"""CSV cells guarded against formulas, and read back as they were (ims.cells)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ims.cells import csv_value, csv_value_read

# the characters the guard turns on, with others, in any order
TEXT = st.text(alphabet=st.sampled_from(list("'\" =+-@;\t\r\nab1.")), max_size=16) | st.text()


@settings(max_examples=3000, deadline=None)  # what it reads back, not how fast (a loaded CI)
@given(TEXT)
def test_a_cell_written_guarded_reads_back_as_it_was(value: str) -> None:
    """Every apostrophe ``csv_value_read`` takes off is one ``csv_value`` put on: a
    register CSV sent back had kept "'+856 20 …", a change of every hazard left as it
    was (helper-116), and a text of the form "'=1" had no way back."""
    assert csv_value_read(csv_value(value)) == value


@settings(max_examples=3000, deadline=None)  # what it reads back, not how fast (a loaded CI)
@given(TEXT)
def test_a_guarded_cell_never_starts_a_formula(value: str) -> None:
    """Only a plain number may begin with "-" or "+" as written (a negative area is data)."""
    written = csv_value(value)
    if written.lstrip(" ").startswith(("=", "+", "-", "@")):
        assert written == value
        float(value)  # a number: no ValueError


def test_the_guards_apostrophes_come_off_and_others_stay() -> None:
    assert csv_value("+856 20 5555 1234") == "'+856 20 5555 1234"
    assert csv_value_read("'+856 20 5555 1234") == "+856 20 5555 1234"
    assert csv_value_read("x;'=cmd") == "x;=cmd"
    assert csv_value_read("'quoted'") == "'quoted'"  # no formula after it: its own
    assert csv_value("'=1") == "''=1" and csv_value_read("''=1") == "'=1"


def test_a_text_with_a_lone_carriage_return_stays_in_its_row() -> None:
    """Rows end in LF, and a text holding a lone CR was written bare: every reader began a
    row there, and the register's CSV sent back was broken (helper-118)."""
    import csv
    import io

    from ims.cells import csv_text

    rows = [["hazard_id", "note"], ["H-1", "a\r=2+2"], ["H-2", "line\r\nbreak"], ["H-3", "x"]]
    written = csv_text(rows)
    assert written.endswith("H-3,x\n") and "\r\n" not in written.replace("line\r\nbreak", "")
    read = list(csv.reader(io.StringIO(written, newline="")))
    assert [[csv_value_read(v) for v in row] for row in read] == rows
