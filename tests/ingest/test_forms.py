"""The XLSForms convert with pyxform (as KoboToolbox, ODK Central and Survey123 do) and
ask exactly the template's fields, with choices from the reference lists."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from pyxform.xls2xform import convert
from sqlalchemy.orm import Session

from ims.db import reference
from ims.ingest.fields import HAZARD_FIELDS, RELEASE_FIELDS
from ims.ingest.forms import FORMS, write_forms
from tests.utils import REPO_ROOT

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
