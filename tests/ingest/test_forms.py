"""The XLSForms convert with pyxform (as KoboToolbox, ODK Central and Survey123 do) and
ask exactly the template's fields, with choices from the reference lists."""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from pyxform.xls2xform import convert
from sqlalchemy.orm import Session

from ims.db import reference
from ims.ingest import validate
from ims.ingest.fields import HAZARD_FIELDS, RELEASE_FIELDS
from ims.ingest.forms import FORMS, LABELS, write_forms, xlsform
from tests.utils import REPO_ROOT, ClientAs

SHIPPED = REPO_ROOT / "sample_data" / "forms"


def _names(path: Path) -> tuple[set[str], dict[str, set[str]]]:
    book = openpyxl.load_workbook(path)
    survey = [r for r in book["survey"].iter_rows(min_row=2, values_only=True) if r[0]]
    questions = {str(r[1]) for r in survey}
    choices: dict[str, set[str]] = {}
    for row in book["choices"].iter_rows(min_row=2, values_only=True):
        choices.setdefault(str(row[0]), set()).add(str(row[1]))
    return questions, choices


@pytest.mark.parametrize("form", sorted(FORMS.values()))
def test_the_shipped_forms_convert_with_pyxform(form: str) -> None:
    path = SHIPPED / f"{form}.xlsx"
    result = convert(xlsform=str(path))
    assert "<h:html" in result.xform
    assert result.warnings == []


@pytest.mark.db
def test_forms_generated_from_the_reference_lists_ask_the_template_fields(
    session: Session, tmp_path: Path
) -> None:
    reference.add_organisation(session, "Field Team One", "operator", by="tests")
    munitions = [(m.code, m.name) for m in reference.list_munitions(session)]
    organisations = [o.name for o in reference.list_organisations(session)]
    assert munitions and "Field Team One" in organisations
    written = write_forms(tmp_path, munitions, organisations, version="2024010101")
    for path, fields in zip(written, (HAZARD_FIELDS, RELEASE_FIELDS), strict=True):
        result = convert(xlsform=str(path))
        assert result.warnings == []
        xform = result.xform
        questions, choices = _names(path)
        assert set(fields) <= questions
        assert "boundary" in questions
        assert 'type="geoshape"' in xform or "geoshape" in xform
        assert choices["organisation"] == set(organisations)
        assert choices["munition"] == {code for code, _ in munitions}
        for name in fields:
            assert f"/{name}" in xform
        # a quantity is asked for once a type is chosen: "BLU-26:" alone had been sent,
        # and refused (a walk-through as a field team leader)
        listed = "munitions" if "munitions" in fields else "items"
        bind = re.search(rf'<bind nodeset="[^"]*/{listed}_qty"[^>]*>', xform)
        assert bind and re.search(rf'required="[^"]*{listed}_type[^"]*!=', bind.group(0)), bind


@pytest.mark.db
def test_a_field_team_downloads_the_forms_from_the_upload_page_with_readable_questions(
    session: Session, client_as: ClientAs, tmp_path: Path
) -> None:
    """The forms existed only as a command (ims forms generate), which an operator does not
    run; ODK Collect showed the field names (release_id, released) as its questions."""
    reference.add_organisation(session, "Field Team Two", "operator", by="tests")
    # a name that reads as a formula stays text (it was a live HYPERLINK in Excel)
    formula = '=HYPERLINK("http://example.org/","Click me")'
    reference.add_organisation(session, formula, "operator", by="tests")
    operator = client_as("operator", organisation="MAG")
    page = operator.get("/submissions/new").text
    for kind, form in FORMS.items():
        assert f'href="/api/v1/forms/{kind}.xlsx"' in page
        got = operator.get(f"/api/v1/forms/{kind}.xlsx")
        assert got.status_code == 200
        assert f'filename="{form}.xlsx"' in got.headers["content-disposition"]
        path = tmp_path / f"{form}.xlsx"
        path.write_bytes(got.content)
        assert convert(xlsform=str(path)).warnings == []
        survey = {
            r[1]: r
            for r in openpyxl.load_workbook(path)["survey"].iter_rows(min_row=2, values_only=True)
        }
        date = "recorded" if kind == "hazards" else "released"
        assert survey[date][2] == LABELS[date] and survey[date][2] != date
        assert survey[date][5] == ". <= today()"  # a date after today is refused in the field
        _, choices = _names(path)
        assert "Field Team Two" in choices["organisation"] and formula in choices["organisation"]
        book = openpyxl.load_workbook(path)
        assert not [c for ws in book for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_a_form_changed_on_the_same_day_has_a_new_version_and_the_same_form_its_own() -> None:
    """A form downloaded again after an organisation was added had the morning's version
    (YYYYMMDD01), and ODK Central and KoboToolbox take a new form only by a new version."""

    def version(organisations: list[str]) -> str:
        book = xlsform("hazards", [("BLU-26", "bomblet")], organisations)
        return str(book["settings"]["C2"].value)

    morning, again, later = version(["MAG"]), version(["MAG"]), version(["MAG", "HALO"])
    assert morning == again
    assert later != morning
    assert morning.startswith(f"{dt.date.today():%Y%m%d}-")


def test_no_question_tells_a_field_team_to_type_what_its_phone_cannot_take() -> None:
    """ "(none)" empties a field in a file; the form's year, date and repeat questions had
    hinted "(a revision: (none) empties it)", which no phone lets one type."""
    for kind in FORMS:
        survey = xlsform(kind, [("BLU-26", "bomblet")], ["MAG"])["survey"]
        hints = [row[3] for row in survey.iter_rows(min_row=2, values_only=True) if row[3]]
        assert hints and not [h for h in hints if "(none)" in h]


# What a field team might type as a reference: parts that ims refuses in some places
_PARTS = st.sampled_from(
    ["/", ".", "..", "%2e", "%2E", "revise", "releases", "new", "preview", "revisions",
     "withdrawal", "hazard", "AT-13", "(none)", "(NONE)", "x", "LA/2020/001"]
)  # fmt: skip


@functools.cache
def _constraint(kind: str, field: str) -> etree.XPath:
    """The form's constraint on ``field``, as a phone evaluates it: XPath 1.0, ODK's
    ``regex()`` being EXSLT's ``re:test`` (a search, as JavaRosa's and Enketo's are)."""
    survey = xlsform(kind, [("BLU-26", "bomblet")], ["MAG"])["survey"]
    (constraint,) = [r[5] for r in survey.iter_rows(min_row=2, values_only=True) if r[1] == field]
    assert constraint and "regex(" in constraint
    return etree.XPath(
        constraint.replace("regex(", "re:test("),
        namespaces={"re": "http://exslt.org/regular-expressions"},
    )


@settings(max_examples=400, deadline=None)
@given(
    parts=st.lists(_PARTS, min_size=1, max_size=5),
    before=st.sampled_from(["", " "]),
    after=st.sampled_from(["", "  "]),
    long=st.booleans(),
)
def test_the_forms_refuse_on_the_phone_the_references_ims_would_refuse(
    parts: list[str], before: str, after: str, long: bool
) -> None:
    """A reference the field team typed that ims then refused ("AT-13/revise", "(none)",
    one with a ".." part) came back as an error on the upload, days later; the form now
    asks again on the phone, by ims's own rules for what a keyboard types."""
    typed = before + "".join(parts) + ("y" * 100 if long else "") + after
    for kind, field in (("hazards", "hazard_id"), ("releases", "release_id")):
        on_phone = bool(_constraint(kind, field)(_answer(typed)))
        collector = validate._Collector()
        validate._reference(collector, typed, field)
        assert on_phone == (collector.findings == []), (typed, collector.findings)


def _answer(text: str) -> etree._Element:
    element = etree.Element("answer")
    element.text = text
    return element


def test_the_last_year_of_use_is_not_before_the_first_on_the_phone() -> None:
    """ims refuses used_from after used_to; the form had let 2019–2005 be sent."""
    survey = xlsform("hazards", [("BLU-26", "bomblet")], ["MAG"])["survey"]
    (constraint,) = [
        r[5] for r in survey.iter_rows(min_row=2, values_only=True) if r[1] == "used_to"
    ]
    this_year = str(dt.date.today().year)

    def accepted(used_from: str, used_to: str) -> bool:
        # as a phone evaluates it: the other answer in its place, today's year as its own
        expr = constraint.replace("${used_from}", f"'{used_from}'" if used_from else "''")
        expr = expr.replace("format-date(today(), '%Y')", this_year)
        return bool(etree.XPath(f"boolean({expr})")(_answer(used_to)))

    assert accepted("2005", "2019") and accepted("", "2019") and accepted("2019", "2019")
    assert not accepted("2019", "2005")
    assert not accepted("", str(int(this_year) + 1))


@pytest.mark.parametrize("form", sorted(FORMS.values()))
def test_a_form_uploaded_instead_of_its_records_is_said_to_be_a_form(
    form: str, tmp_path: Path
) -> None:
    """The upload of ims's own form answered that it had "no column giving where each
    feature lies" (a new user's review): it says it is a form, and what to upload."""
    from ims.errors import InvalidUpload
    from ims.ingest.tables import read_table

    with pytest.raises(InvalidUpload) as refused:
        read_table(SHIPPED / f"{form}.xlsx")
    said = refused.value.detail
    assert said.startswith(f"{form}.xlsx is a form definition (an XLSForm")
    assert "KoboToolbox or ODK Central" in said and "export of the records" in said
    # a sheet of records that happens to have type and name columns is read as records
    records = tmp_path / "records.csv"
    records.write_text("type,name,label,lat,lon\nSHA,A,a,19.1,103.1\nCHA,B,b,19.2,103.2\n")
    assert len(read_table(records).frame) == 2
