"""XLSForms for field data collection (KoboToolbox, ODK Collect/Central, Survey123).

    write_forms()  the hazard (non-technical survey) and release (completion) forms, with
                   choice lists from the reference lists of munitions and organisations

The question names are the exchange template's field names (ims.ingest.fields), and the
polygon is the geoshape question ``boundary``: an export of the collected records is
imported with ``ims import`` and no field map (ims.ingest.tables). Quantities
(``munitions``, ``items``) are collected in a repeat of type and quantity and joined into
the template's ``TYPE:QTY;TYPE:QTY``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

from ims.cells import workbook_bytes, xlsx_values
from ims.domain.enums import Contamination, HazardStatus, ReleaseMethod
from ims.domain.references import ROUTE_ENDINGS, ROUTE_WHOLE
from ims.ingest.fields import HAZARDS, REFERENCE_MAX, RELEASES, Field, FieldType, Required

FORMS = {"hazards": "ims_hazard_report", "releases": "ims_release_report"}
TITLES = {
    "hazards": "Hazard report (non-technical survey)",
    "releases": "Release / completion report",
}
_QUANTITIES = {"munitions": "Munitions found", "items": "Items found and destroyed"}

SURVEY_HEADER = (
    "type",
    "name",
    "label",
    "hint",
    "required",
    "constraint",
    "calculation",
    "constraint_message",
)
# What a field team reads on the phone; the question's name stays the template's field.
LABELS = {
    "hazard_id": "Hazard reference",
    "status": "Status",
    "contam": "Contamination",
    "recorded": "Date recorded",
    "revised": "Date this revision takes effect (a hazard already recorded only)",
    "used_from": "First year of use",
    "used_to": "Last year of use",
    "marked": "Date marked or fenced",
    "operator": "Operator",
    "release_id": "Release reference",
    "method": "Method",
    "released": "Date completed",
    "area_m2": "Area stated (m²)",
}
# The choices' labels, which an export "with labels" (KoboToolbox) writes in place of the codes.
CODE_LABELS = {
    "SHA": "SHA: suspected hazardous area",
    "CHA": "CHA: confirmed hazardous area",
    "CMR": "CMR: cluster munition remnants",
    "APM": "APM: anti-personnel mines",
    "ATM": "ATM: anti-tank mines",
    "ERW": "ERW: other explosive remnants of war",
    "cancelled": "Cancelled (non-technical survey)",
    "reduced": "Reduced (technical survey)",
    "cleared": "Cleared",
}
# What ims refuses in a reference that a phone can check before it is sent (the rules of
# ims.domain.references.reference_problem, for what a keyboard types; "(none)" empties a
# field in a file), on the answer as ims reads it, spaces at either end taken off
_ENDINGS = "|".join(re.escape(e) for e in ROUTE_ENDINGS)
_REFERENCE = (
    r"not(regex(normalize-space(.), '(^|/)(\.|%2[eE]){1,2}(/|$)'))"
    f" and not(regex(normalize-space(.), '({_ENDINGS})$'))"
    + "".join(f" and normalize-space(.) != '{whole}'" for whole in ROUTE_WHOLE)
    + " and translate(normalize-space(.), 'NOE', 'noe') != '(none)'"
    + f" and string-length(normalize-space(.)) <= {REFERENCE_MAX}"
)
_REFERENCE_SAID = (
    "ims cannot take this reference. Use one of at most "
    f"{REFERENCE_MAX} characters, without . or .. between slashes, not ending in /revise "
    "or /hazard, and not (none)"
)
_FILE_ONLY = re.compile(r"\s*\(a revision: \(none\) empties (?:it|them)\)")
_NOT_AFTER_TODAY = (". <= today()", "a date after today")


def _choices(
    munitions: Sequence[tuple[str, str]], organisations: Sequence[str]
) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    rows += [("status", s.value, CODE_LABELS.get(s.value, s.value)) for s in HazardStatus]
    rows += [("contam", c.value, CODE_LABELS.get(c.value, c.value)) for c in Contamination]
    rows += [("method", m.value, CODE_LABELS.get(m.value, m.value)) for m in ReleaseMethod]
    rows += [("munition", code, f"{code}: {name}") for code, name in munitions]
    rows += [("organisation", name, name) for name in organisations]
    return rows


def _question(f: Field) -> list[tuple[str, ...]]:
    required = "yes" if f.required is Required.ALWAYS else ""
    if f.required is Required.NEW_HAZARD:
        required = "not(${revised})" if f.name != "revised" else ""
    # "(none)" empties a field in a file; a phone's number, date or repeat cannot take it,
    # and the hint had told field teams to type it (a review as a data manager)
    hint = _FILE_ONLY.sub("", f.description)
    label = LABELS.get(f.name, f.name)
    if f.type is FieldType.CODE:  # a list to pick from: "any case" means nothing there
        hint = hint.replace(", any case", "").replace(" (default)", "")
        return [(f"select_one {f.name}", f.name, label, hint, required, "", "", "")]
    if f.type is FieldType.DATE:
        constraint, message = _NOT_AFTER_TODAY
        return [("date", f.name, label, hint, required, constraint, "", message)]
    if f.type is FieldType.YEAR:
        year = ". >= 1900 and . <= format-date(today(), '%Y')"
        said = "a year up to this one"
        if f.name == "used_to":  # as ims checks it: the phone had let 2019–2005 through
            year += " and (string(${used_from}) = '' or . >= ${used_from})"
            said += ", not before the first year of use"
        return [("integer", f.name, label, hint, required, year, "", said)]
    if f.type is FieldType.ORGANISATION:
        return [("select_one organisation", f.name, label, hint, required, "", "", "")]
    if f.type is FieldType.NUMBER:
        return [("decimal", f.name, label, hint, required, ". >= 0", "", "")]
    if f.type is FieldType.QUANTITIES:
        group = f"{f.name}_found"
        return [
            ("begin_repeat", group, _QUANTITIES[f.name], "", "", "", "", ""),
            ("select_one munition", f"{f.name}_type", "Type", "", "", "", "", ""),
            # required once a type is chosen: "BLU-26:" with no number was sent, and ims
            # refused it (found by a walk-through as a field team leader)
            (
                "integer",
                f"{f.name}_qty",
                "Quantity",
                "",
                f"${{{f.name}_type}} != ''",
                ". >= 0",
                "",
                "",
            ),
            (
                "calculate",
                f"{f.name}_entry",
                "",
                "",
                "",
                "",
                f"if(${{{f.name}_type}} != '', concat(${{{f.name}_type}}, ':', "
                f"${{{f.name}_qty}}), '')",
                "",
            ),
            ("end_repeat", group, "", "", "", "", "", ""),
            ("calculate", f.name, "", hint, "", "", f"join(';', ${{{f.name}_entry}})", ""),
        ]
    if f.type is FieldType.REFERENCE:
        return [("text", f.name, label, hint, required, _REFERENCE, "", _REFERENCE_SAID)]
    return [("text", f.name, label, hint, required, "", "", "")]


def xlsform(
    kind: str,
    munitions: Sequence[tuple[str, str]],
    organisations: Sequence[str],
    *,
    version: str | None = None,
) -> Workbook:
    """The XLSForm of ``kind`` (``hazards`` or ``releases``) as a workbook."""
    fields = HAZARDS if kind == "hazards" else RELEASES
    book = Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    survey.append(SURVEY_HEADER)
    for row in (
        ("start", "start", "", "", "", "", "", ""),
        ("end", "end", "", "", "", "", "", ""),
        ("today", "today", "", "", "", "", "", ""),
        ("deviceid", "deviceid", "", "", "", "", "", ""),
    ):
        survey.append(row)
    for f in fields:
        for question in _question(f):
            survey.append(question)
    survey.append(
        ("geoshape", "boundary", "Outline", "walk or draw the area's outline", "yes", "", "", "")
    )
    choices = book.create_sheet("choices")
    choices.append(("list_name", "name", "label"))
    for choice in _choices(munitions, organisations):
        choices.append(xlsx_values(choice))
    settings = book.create_sheet("settings")
    settings.append(("form_title", "form_id", "version"))
    settings.append((TITLES[kind], FORMS[kind], version or _version(book)))
    return book


def _version(book: Workbook) -> str:
    """Today's date and a digest of the questions and choices: a form changed on the same
    day (an organisation or a munition added) had the same version as the morning's, and
    ODK Central and KoboToolbox take a new version of a form only by a new version
    string (a review as a data manager); the same form downloaded again keeps its own."""
    digest = hashlib.sha256()
    for sheet in ("survey", "choices"):
        for row in book[sheet].iter_rows(values_only=True):
            digest.update(repr(row).encode("utf-8"))
    return f"{dt.date.today():%Y%m%d}-{digest.hexdigest()[:6]}"


def write_forms(
    out: Path,
    munitions: Sequence[tuple[str, str]],
    organisations: Sequence[str],
    *,
    version: str | None = None,
) -> list[Path]:
    """Write both forms into ``out``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, form_id in FORMS.items():
        path = out / f"{form_id}.xlsx"
        path.write_bytes(workbook_bytes(xlsform(kind, munitions, organisations, version=version)))
        written.append(path)
    return written
