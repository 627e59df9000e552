"""What an upload holds before it is staged: its columns, a few values of each, whether it
declares its coordinate reference system, and the field mapping ims suggests for it.

The upload page (``/submissions/new``) shows this beside the template's fields so that an
operator matches their own file to the template once; the mapping they confirm is sent
with the upload and remembered for their organisation's next files (field_maps).

A suggestion comes, field by field, from the organisation's remembered mapping when the
file fits it, else from a column of the field's own name (any capitals), else from a
column named as operators commonly name it (``SYNONYMS``).
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyproj import CRS

from ims.domain.enums import HazardStatus
from ims.errors import InvalidUpload
from ims.ingest import field_maps
from ims.ingest.field_maps import jsonable
from ims.ingest.fields import (
    TEMPLATES,
    Field,
    FieldType,
    blank,
    by_folded_name,
    day_and_month,
    looks_like_other_kind,
)
from ims.ingest.limits import UploadLimits
from ims.ingest.reader import read_upload
from ims.ingest.tables import LABELS_READ, RECORD_ID, by_label
from ims.words import counted

SAMPLES = 5  # values shown beside each column
DISTINCT = 30  # distinct values listed for a value map (columns with more are not offered)
# What the mapping step is shown of a file is bounded by what the page needs, not by what
# the file holds: a 0.7 MB workbook of 2,000 columns of long, distinct cells had made an
# answer of 286 MB, and the server answered nobody for 14 s while it was written (an
# attack on our own instance, helper-124).
SAMPLE_CHARS = 100  # characters of a sample value shown (a longer one is cut: "…")
CODE_CHARS = 100  # a value longer than this is no code: its column is offered no value map
SHOWN_CHARS = 200_000  # characters of samples, values and types shown for the whole file

# Column names operators use for a template field, written without spaces, underscores or
# capitals. Per kind: "items" is the estimate of a hazard but the finds of a release.
SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "hazards": {
        "hazard_id": (
            "hazardid",
            "hazref",
            "hazardref",
            "hazardreference",
            "reference",
            "ref",
            "areaid",
            "shaid",
            "chaid",
            "hazard",
            "hazardlocalid",  # IMSMA NG exports (docs/migration.md)
            "localid",
            "id",
        ),
        "status": ("hazardstatus", "areatype", "typearea", "type", "statuscode", "category"),
        "contam": ("contamination", "contamtype", "contaminationtype", "threat", "hazardtype"),
        "recorded": (
            "daterec",
            "daterecorded",
            "recordeddate",
            "recorddate",
            "dateofrecord",  # IMSMA NG
            "surveydate",
            "date",
        ),
        "revised": ("daterevised", "revisiondate", "reviseddate"),
        "used_from": ("usedfrom", "yearfrom", "firstuse", "fromyear"),
        "used_to": ("usedto", "yearto", "lastuse", "toyear"),
        "munitions": ("items", "itemsest", "munitionsest", "estimateditems", "devices", "munition"),
        "marked": ("datemarked", "markeddate", "fenced", "marking"),
        "operator": ("org", "organisation", "organization", "operatorname", "orgname"),
    },
    "releases": {
        "release_id": (
            "releaseid",
            "releaseref",
            "release",
            "taskid",
            "activitylocalid",  # IMSMA NG land release activities
            "reference",
            "ref",
        ),
        "hazard_id": ("hazardid", "hazref", "hazardref", "hazard", "hazardlocalid"),
        "method": ("releasemethod", "landrelease", "releasetype", "type"),
        "released": (
            "datereleased",
            "releasedate",
            "completed",
            "completiondate",
            "enddate",
            "date",
        ),
        "operator": ("org", "organisation", "organization", "operatorname", "orgname"),
        "items": ("itemsfound", "found", "itemsdestroyed", "destroyed"),
        "area_m2": ("area", "aream2", "areasqm", "sqm"),
    },
}


def _squashed(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.casefold())


@dataclass
class Column:
    """One column of the file: a few of its values, and its distinct values if few."""

    name: str
    samples: list[Any]
    values: list[str] | None  # distinct non-blank values (at most DISTINCT), None if more
    date_order: str | None = None  # "day-first" or "month-first", where its cells show it
    # a column of munitions written TYPE:QTY;TYPE:QTY: each type it names (at most
    # DISTINCT), with the reference list's code it reads as, None where it reads as none
    types: dict[str, str | None] | None = None


@dataclass
class Inspection:
    """What the upload page shows of a file before it is uploaded for good."""

    filename: str
    layer: str
    feature_count: int
    crs: str | None  # as the file declares it, or None when it declares none
    columns: list[Column]
    fields: list[Field]  # the template's
    suggested: field_maps.MappingDocument
    # template field -> "remembered", "name", "register" (a register file's name for it),
    # "label" (its question's on ims's form) or "synonym"
    suggested_from: dict[str, str]
    remembered: field_maps.Remembered | None
    remembered_fits: bool
    notes: list[str] = field(default_factory=list)
    # the file's columns that are figures ims computes itself (a register file's remaining
    # area, a release's counted area): not kept if left unmatched, as an upload says. The
    # page had said they would be kept with each record.
    computed: list[str] = field(default_factory=list)
    # declaring no CRS, coordinates too large for degrees: metres of a projected CRS, which
    # the page had left at EPSG:4326 (a first-time user's review: a UTM file sent without
    # its .prj became 24 errors "out of range after reprojection")
    projected: bool = False
    # the other kind and its own fields the file has, when it looks like a file of it: the
    # mapping step had not said so, only the upload's findings (a new user's review)
    other_kind: tuple[str, list[str]] | None = None
    # the reference list's munition codes, for a column of munitions' value map
    munition_codes: list[str] = field(default_factory=list)
    # declaring no CRS, the one chosen for the organisation's files before and remembered
    # with its mapping, where the coordinates fit it (helper-105 chose the UTM zone again
    # for every workbook)
    remembered_crs: str | None = None
    # that coordinate system where it is kept alone, for files in the template's own names
    # (a mapping of no columns): the page offers to forget it, as it does a mapping
    remembered_crs_alone: field_maps.Remembered | None = None
    # the alone one's, or another mapping's offered in its place (a file no mapping reads)
    remembered_crs_offered: field_maps.Remembered | None = None


def suggest(
    kind: str,
    columns: list[str],
    remembered: field_maps.MappingDocument | None,
    labelled: dict[str, str] | None = None,
) -> tuple[field_maps.MappingDocument, dict[str, str]]:
    """The mapping suggested for a file with ``columns``, and where each field's comes from
    (``labelled``: the file's columns named by a question's label of ims's form, by the
    field they ask for)."""
    template = TEMPLATES[kind]
    template_names = {f.name for f in template}
    taken: set[str] = set()
    fields: dict[str, str] = {}
    origin: dict[str, str] = {}
    constants: dict[str, Any] = {}
    values: dict[str, dict[str, Any]] = {}
    if remembered:
        fields.update(remembered.fields)
        constants.update(remembered.constants)
        values.update(remembered.values)
        for name in [*remembered.fields, *remembered.constants, *remembered.values]:
            origin[name] = "remembered"
        taken.update(c.casefold() for c in remembered.sources())
    by_lower = by_folded_name(columns, str.casefold)
    for f in template:  # the field's own name first, for every field
        if f.name in fields or f.name in constants:
            continue
        own = field_maps.own_column(kind, f.name, by_lower)
        if own is not None and own.casefold() not in taken:
            fields[f.name] = own
            # the field's own name, or the one ims's register files give it
            origin[f.name] = "name" if own.casefold() == f.name.casefold() else "register"
            taken.add(own.casefold())
    for name, label in (labelled or {}).items():  # "Contamination", as ims's form asks it
        if name in template_names and name not in fields and label.casefold() not in taken:
            fields[name] = label
            origin[name] = "label"
            taken.add(label.casefold())
    # a platform's own columns ("_id", "_index": a form export's row numbers, offered as
    # the hazard's reference "id" in a KoboToolbox GeoJSON) are never what operators call
    # a field
    squashed = {_squashed(c): c for c in reversed(columns) if not str(c).startswith("_")}
    for f in template:  # then what operators call it
        if f.name in fields or f.name in constants:
            continue
        for synonym in SYNONYMS[kind].get(f.name, ()):
            column = squashed.get(synonym)
            if column is not None and column.casefold() not in taken:
                fields[f.name] = column
                origin[f.name] = "synonym"
                taken.add(column.casefold())
                break
    dates = remembered.dates if remembered else None
    if remembered and remembered.dates:
        origin[field_maps.DATES] = "remembered"
    return field_maps.MappingDocument(fields, constants, values, dates), origin


def _status_by_values(
    suggested: field_maps.MappingDocument, origin: dict[str, str], columns: list[Column]
) -> tuple[field_maps.MappingDocument, dict[str, str]]:
    """The hazards' status read from the column whose every value is one (SHA, CHA,
    suspected, confirmed), where no column is named for it: an older form's
    "hazard_type" of SHA and CHA had not been offered (helper-132), and was taken for the
    kind of contamination by its name. A column offered for another field by a name
    alone gives way; one the mapping remembered, or named for the field, does not."""
    if "status" in suggested.fields or "status" in suggested.constants:
        return suggested, origin
    for column in columns:
        if not column.values:
            continue
        try:
            for value in column.values:
                HazardStatus.parse(value)
        except ValueError:
            continue
        held = [f for f, c in suggested.fields.items() if c == column.name]
        if any(origin.get(f) != "synonym" for f in held):
            continue
        fields = {f: c for f, c in suggested.fields.items() if f not in held}
        fields["status"] = column.name
        origin = {f: o for f, o in origin.items() if f not in held} | {"status": "values"}
        return dataclasses.replace(suggested, fields=fields), origin
    return suggested, origin


# A part of a cell of munitions as the template writes them (TYPE:QTY, parts joined by
# ";"), stripped: matched part by part, each in time linear in its length. One pattern
# for the whole cell backtracked in time quadratic in a cell's spaces, and a cell of a
# megabyte held an upload worker for half an hour (an attack on our own instance).
_QUANTITY = re.compile(r"[^:;]*[^:;\s]\s*:\s*\d+")
_LONGEST_CELL = 2_000  # a cell of munitions is a few types: a longer one is not one


def _quantities(text: str) -> bool:
    """Whether a cell is munitions written ``TYPE:QTY;TYPE:QTY`` (a last ";" allowed)."""
    if len(text) > _LONGEST_CELL or ":" not in text:
        return False
    parts = text.strip().split(";")
    if parts[-1].strip() == "" and len(parts) > 1:
        parts = parts[:-1]
    return all(_QUANTITY.fullmatch(part.strip()) for part in parts)


def munition_types(cells: Sequence[Any], codes: Sequence[str]) -> dict[str, str | None] | None:
    """Each munition type a column of ``TYPE:QTY;TYPE:QTY`` cells names, with the code of
    ``codes`` (the reference list) it reads as, in any capitals, or None: the upload page
    then maps them as it maps statuses. It mapped none, and a legacy file's "BLU26" could be
    translated by a mapping document only (a legacy migration's review, helper-99). None
    for a column of other cells, or of more than DISTINCT types."""
    texts = [str(c) for c in cells if isinstance(c, str) and c.strip()]
    if not texts or len(texts) != len(cells) or not all(_quantities(t) for t in texts):
        return None
    folded: dict[str, list[str]] = {}
    for code in codes:
        folded.setdefault(code.casefold(), []).append(code)
    found: dict[str, str | None] = {}
    seen: set[str] = set()  # the names found, folded (built again for each part, a column
    # of long cells had cost 30 times its size: an attack on our own instance)
    for text in texts:
        for part in text.split(";"):
            name = part.rpartition(":")[0].strip()
            if name and name.casefold() not in seen:
                if len(found) == DISTINCT:
                    return None
                seen.add(name.casefold())
                known = folded.get(name.casefold(), [])
                found[name] = known[0] if len(known) == 1 else None
    return dict(sorted(found.items(), key=lambda item: item[0].casefold()))


def cells_date_order(cells: Iterable[Any]) -> str | None:
    """The order cells written NN/NN/YYYY put the day and the month in, where they show it
    (a first number over 12 is a day: 31/03/2024); None where they do not (every
    03/04/2024 could be either) or disagree."""
    seen: set[str] = set()
    for cell in cells:
        parts = day_and_month(cell) if isinstance(cell, str) else None
        if parts is None:
            continue
        first, second, _ = parts
        if first > 12 >= second:
            seen.add("day-first")
        elif second > 12 >= first:
            seen.add("month-first")
    return seen.pop() if len(seen) == 1 else None


def date_order(
    kind: str, suggested: field_maps.MappingDocument, columns: list[Column]
) -> str | None:
    """The order the columns ``suggested`` reads the template's dates from show (as
    ``cells_date_order``, all of them agreeing)."""
    by_name = {c.name.casefold(): c for c in columns}
    shown: set[str | None] = set()
    for f in TEMPLATES[kind]:
        source = suggested.fields.get(f.name)
        column = by_name.get(source.casefold()) if source else None
        if f.type is FieldType.DATE and column is not None:
            shown.add(column.date_order)
    shown.discard(None)
    return shown.pop() if len(shown) == 1 else None


def inspect_upload(
    upload: Path,
    *,
    kind: str,
    remembered: Sequence[field_maps.Remembered] = (),
    layer: str | None = None,
    limits: UploadLimits | None = None,
    filename: str | None = None,
    workdir: Path | None = None,
    munition_codes: Sequence[str] = (),
) -> Inspection:
    """Read ``upload`` (InvalidUpload if it cannot be used at all) and describe it, with
    the one of the organisation's ``remembered`` mappings that suits it; a column of
    munitions' types read against ``munition_codes`` (the reference list)."""
    limits = limits or UploadLimits.from_settings()
    with tempfile.TemporaryDirectory(prefix="ims-inspect-", dir=workdir) as unpacked:
        # Read as if it were in EPSG:4326 where it declares nothing: the columns are what
        # matter here, and whether a CRS must be chosen.
        metres = False
        try:
            read = read_upload(
                upload, Path(unpacked), kind=kind, layer=layer, crs="EPSG:4326", limits=limits
            )
        except InvalidUpload as exc:
            if not exc.extra.get("metres"):
                raise
            # a table's points in metres: read in a UTM zone for its columns, and the zone
            # asked for (the page had said "choose it on the upload page" and shown no
            # choice, the file refused before its columns: helper-116)
            read = read_upload(
                upload, Path(unpacked), kind=kind, layer=layer, crs="EPSG:32648", limits=limits
            )
            metres = True
    # The columns named by a question's label of ims's form are shown by the file's own
    # names, matched to the fields they ask for: the mapping step had shown "Contamination"
    # as ``contam``, a column the file does not have, and a mapping made of it named that
    # (a legacy migration's review, helper-99).
    labelled = by_label(read.file_names)
    mapping, fits = field_maps.chosen(read.frame, remembered, read.file_names)
    frame = read.frame.rename(columns=labelled)
    names = [str(c) for c in frame.columns if c != frame.geometry.name]
    columns = []
    room, unshown = SHOWN_CHARS, 0
    for name in names:
        cells = [jsonable(v) for v in frame[name].tolist()]
        present = [v for v in cells if not blank(v)]
        # one spelling of a value whatever its capitals, as a value map takes it: "BLU26" and
        # "Blu26" had been two rows, both chosen, and the mapping then refused (helper-105)
        spellings: dict[str, str] = {}
        for v in present:
            spellings.setdefault(str(v).strip().casefold(), str(v).strip())
        distinct = list(spellings.values())
        samples = [_cut(v) for v in present[:SAMPLES]]
        values = (
            sorted(distinct, key=str.casefold)
            if len(distinct) <= DISTINCT and all(len(v) <= CODE_CHARS for v in distinct)
            else None
        )
        types = munition_types(present, munition_codes)
        size = sum(len(str(v)) for v in samples) + sum(map(len, values or ()))
        size += sum(map(len, types or ()))
        if size > room:  # the file's later columns are named without their values
            samples, values, types = [], None, None
            unshown += 1
        room -= min(size, room)
        columns.append(Column(name, samples, values, cells_date_order(present), types))
    if mapping is not None and not fits and RECORD_ID in frame.columns:
        mapping = None  # a form's export needs none: another file's is not offered to it
    if mapping is not None and fits:  # said as the table below it shows the columns
        mapping = dataclasses.replace(mapping, mapping=mapping.mapping.by_file_names(labelled))
    suggested, origin = suggest(
        kind,
        names,
        mapping.mapping if fits and mapping else None,
        labelled,
    )
    if kind == "hazards":
        suggested, origin = _status_by_values(suggested, origin, columns)
    # what the file's own dates show, over a remembered order they contradict
    order = date_order(kind, suggested, columns)
    if order is not None and order != suggested.dates:
        suggested = suggested.with_dates(order)
        origin[field_maps.DATES] = "cells"
    projected = metres or (read.crs_was_stated and _beyond_degrees(frame))  # (EPSG:4326)
    # that of the mapping the file is read with, as staging reads it (helper-115)
    source = field_maps.crs_source(read.frame, remembered, read.file_names)
    remembered_crs = source.mapping.crs if source is not None else None
    if remembered_crs and (
        not read.crs_was_stated or CRS.from_user_input(remembered_crs).is_geographic == projected
    ):
        remembered_crs = None  # the file declares one, or its coordinates are not in it
    # (the columns read by the questions' labels are said by the mapping step itself)
    notes = [n for n in read.warnings if "stated" not in n and not n.startswith(LABELS_READ)]
    if unshown:
        notes.append(
            f"{counted(unshown, 'column')} of {len(names):,} shown without sample values: the "
            "file's cells are too many and too long to show whole (each is read in full "
            "when the file is sent)"
        )
    return Inspection(
        filename=filename or upload.name,
        layer=read.layer,
        feature_count=len(frame),
        crs=None if read.crs_was_stated else read.source_crs,
        columns=columns,
        fields=list(TEMPLATES[kind]),
        suggested=suggested,
        suggested_from=origin,
        remembered=mapping,
        remembered_fits=fits,
        notes=notes,
        computed=[n for n in names if n.lower() in field_maps.COMPUTED_BY_IMS[kind]],
        projected=projected,
        other_kind=looks_like_other_kind(
            kind, [str(c) for c in read.frame.columns if c != frame.geometry.name]
        ),
        munition_codes=sorted(munition_codes, key=str.casefold),
        remembered_crs=remembered_crs,
        remembered_crs_alone=(
            source if remembered_crs and source is not None and not source.mapping else None
        ),
        remembered_crs_offered=(
            source
            if remembered_crs
            and source is not None
            and not (
                fits
                and mapping is not None
                and source.id == mapping.id
                and field_maps.reads_columns(mapping.mapping)
            )
            else None
        ),
    )


def _cut(value: Any) -> Any:
    """A sample value as shown: a text of more than ``SAMPLE_CHARS`` cut, "…" after."""
    if isinstance(value, str) and len(value) > SAMPLE_CHARS:
        return value[: SAMPLE_CHARS - 1] + "…"
    return value


def _beyond_degrees(frame: Any) -> bool:
    """Whether a layer's coordinates, read as degrees, lie beyond ±180° or ±90°."""
    present = frame.geometry[~frame.geometry.isna() & ~frame.geometry.is_empty]
    if present.empty:
        return False
    west, south, east, north = present.total_bounds
    return bool(max(abs(west), abs(east)) > 180 or max(abs(south), abs(north)) > 90)
