"""Submissions: an uploaded file read, mapped, validated and staged for review.

stage()   read, map fields (field_maps.py), validate, store the features and findings
          ("validated"); approval.py applies a staged submission or rejects it
stage_features()  the same for features given as GeoJSON (a hazard recorded or corrected
          in the browser or through the API): one file, one validation, one review
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import logging
import math
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import orjson
import shapely
import shapely.geometry
from pyproj import CRS
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, insert, select, text, true
from sqlalchemy.orm import Session

from ims.db import audit, reference
from ims.db.audit import Actor, as_actor
from ims.db.bulk import ewkb_hex
from ims.db.models import Finding, Organisation, Submission
from ims.db.own_columns import SHAPEFILE_TEXT_BYTES, bytes_of, names_back
from ims.domain.enums import (
    SubmissionStatus,
    UploadKind,
)
from ims.domain.figures import OPEN_THRESHOLD_M2
from ims.domain.findings import Finding as FindingData
from ims.domain.findings import Severity
from ims.domain.geodesy import geodesic_areas
from ims.domain.references import skeleton, twins
from ims.errors import Conflict, Forbidden, InvalidRequest, InvalidUpload, NotFound
from ims.heap import bulk_work
from ims.ingest import field_maps
from ims.ingest.crs import other_utm_zone, utm_crs
from ims.ingest.field_maps import jsonable
from ims.ingest.fields import (
    TEMPLATES,
    Required,
    blank,
    cell_text,
    column_cells,
    other_kind_said,
)
from ims.ingest.inspect import cells_date_order
from ims.ingest.limits import UploadLimits
from ims.ingest.reader import CrsChooser, ReadResult, read_upload
from ims.ingest.tables import LABELS_READ, RECORD_ID, by_label
from ims.ingest.validate import (
    OVERLAP_BUDGET,
    OVERLAP_VERTICES,
    UNCHANGED,
    BoundaryVersion,
    HazardBoundaries,
    KnownHazard,
    KnownRelease,
    OutsideRecord,
    OutsideRecords,
    ValidationContext,
    ValidationResult,
    close_names,
    own_changed,
    own_value,
    reference_key,
    same_value,
    validate_hazards,
    validate_releases,
)
from ims.words import counted, first_of, noun

log = logging.getLogger(__name__)

KINDS = tuple(UploadKind)


@dataclass
class StageOutcome:
    """A staged submission and what validation found."""

    submission: Submission
    findings: list[FindingData]
    mapping: field_maps.MappingDocument = field(default_factory=field_maps.MappingDocument)
    # "given" (with the upload), "remembered" (the organisation's, used), or None
    mapping_origin: str | None = None
    # the organisation's remembered mapping: used, set aside, or (if given) now kept
    remembered: field_maps.Remembered | None = None
    remembered_now: bool = False  # the given mapping was kept for the next files
    validated: ValidationResult | None = None  # the features' validated values, in hand

    @property
    def errors(self) -> int:
        """Number of blocking findings."""
        return sum(1 for f in self.findings if f.blocking)


OTHER_UTM_ZONE = "other_utm_zone"


def _read_in(read: ReadResult) -> CRS | None:
    """The coordinate system the file was read in."""
    return CRS.from_wkt(read.source_wkt) if read.source_wkt else utm_crs(read.source_crs)


def _other_zone(
    frame: gpd.GeoDataFrame, read: ReadResult, crs: CRS, country: Any
) -> FindingData | None:
    """An error for the whole file when most of it lies outside the country as read in a
    UTM zone and inside as read in another of its datum (``other_utm_zone``): which, and
    how to send it so. Asked, not told: a file of places outside the country, in its right
    zone, may lie inside as read in another (helper-114: Thailand's, in zone 47, told to
    go to zone 48, would have been recorded 650 km away without an error)."""
    zone = other_utm_zone(frame, crs, country)
    if zone is None:
        return None
    # a zone of a datum with no EPSG code is named as the file's own datum's: its made-up
    # name ("unknown / UTM zone 47N") is no choice a GIS offers
    named = zone.code or f"UTM zone {zone.zone} of the file's own datum"
    if zone.sampled == 1:
        as_read, there = "The file's one feature lies", "it lies inside it"
    else:
        as_read = f"{zone.outside:,} of the {zone.sampled:,} features looked at lie"
        there = f"{zone.inside_there:,} of the {zone.sampled:,} lie inside it"
    which = (
        "the coordinate system remembered for the organisation's files that declare none"
        if read.crs_remembered
        else "the coordinate system chosen for it"
        if read.crs_was_stated
        else "the file's own"
    )
    fix = (
        f"send the original file again in it (--crs {zone.code}, or choose it on the upload page)"
        if read.crs_was_stated and zone.code
        else f"set the layer's coordinate system to {named} in the GIS it came from, export "
        "it again and send that"
    )
    return FindingData(
        OTHER_UTM_ZONE,
        Severity.ERROR,
        f"{as_read} outside the country as read in {read.source_crs}, {which}; read in "
        f"{named}{f' ({zone.name})' if zone.code else ''}, {there}. If its coordinates are "
        f"in that zone, {fix}; if its features do lie outside the country, the errors below "
        "say each.",
    )


def _as_registered(frame: gpd.GeoDataFrame, back: Callable[[], dict[str, str]]) -> dict[str, str]:
    """The own columns of a register file sent back named by the register's own keys
    (``back``: ``ims.db.own_columns.names_back``, the names its files write them under),
    and the renames made: "Village_1" for the "Village" of a register that first recorded
    "village", a shapefile's "village_na" for "village_name". A register file sent back as
    it was had recorded new columns, and each hazard left as it was had been "already
    recorded, and this feature changes Village_1".

    Only a register file (``_register_file``): another file's "Name_1" or "contractor" is
    its own, not the register's name of another column (helper-117: every shapefile's had
    been renamed). Every row is renamed alike. A column the file adds under a key whose
    column the file holds as written ("Name" beside "Name_1", the register's "Name") is
    refused: read as either, it had moved the register's values into another column
    (helper-118)."""
    extras = frame.attrs.get("extra_fields", [])
    if not extras or not _register_file(frame):
        return {}
    written = back()
    keys = {key: name for name, key in written.items()}
    targets = {c: written[c] for c in extras if c in written}
    claimed = set(targets.values())
    clash = [c for c in extras if c not in written and c in keys and c in claimed]
    if clash:
        c = clash[0]
        raise InvalidUpload(
            f"the file has a column {c!r} and a column {keys[c]!r}, which the register's "
            f"files write for its column {c!r}: a register file sent back holds it once. "
            f"Rename {c!r} if it is a new column of the file's own, or leave one of the two out"
        )
    renamed = {c: key for c, key in targets.items() if key != c}
    if renamed:
        frame[field_maps.ATTRIBUTES] = [
            {renamed.get(k, k): v for k, v in row.items()} for row in frame[field_maps.ATTRIBUTES]
        ]
        frame.attrs["extra_fields"] = [renamed.get(c, c) for c in extras]
    return renamed


# The figures a register file holds beside the admin areas, by which it is told from
# another file (an operator's own may hold admin codes of its own: helper-118)
_REGISTER_FIGURES = frozenset(
    {"remaining_m2", "boundary_m2", "remain_m2", "bound_m2", "outside_m2", "area_m2"}
)


def _register_file(frame: gpd.GeoDataFrame) -> bool:
    """Whether a file is one of the register's, sent back: it holds figures ims computes,
    an area and the admin areas (``computed_fields``)."""
    computed = {str(c).lower() for c in frame.attrs.get("computed_fields", [])}
    return bool(computed & _REGISTER_FIGURES) and bool(computed - _REGISTER_FIGURES)


# The own values of the records a register file's features name, as recorded: those in
# force (a hazard's revision in force; a release, in or outside hazards).
_RECORDED_OWN = {
    UploadKind.HAZARDS: text(
        "SELECT h.reference, r.attributes FROM hazard_revision_in_force r"
        " JOIN hazard h ON h.id = r.hazard_id WHERE h.reference = ANY(:refs)"
    ),
    UploadKind.RELEASES: text(
        "SELECT reference, attributes FROM release WHERE reference = ANY(:refs)"
        " UNION ALL SELECT reference, attributes FROM outside_release"
        " WHERE reference = ANY(:refs)"
    ),
}


def _uncut(session: Session, kind: str, frame: gpd.GeoDataFrame) -> list[FindingData]:
    """A register shapefile's own values as recorded where the shapefile changed them: its
    text fields hold 254 bytes, and GDAL reads them without the spaces at either end. A
    note of 851 bytes sent back in one had been recorded cut, the revision saying only
    that its status changed (helper-116), and a note beginning with a space had been a
    change (helper-118). A value that is the recorded one so cut or trimmed is read as
    that one, and said; another, where the recorded one is longer than a shapefile
    holds (edited in the file, shortened too), is recorded as given and warned of: the
    rest of the recorded text is not in the file."""
    id_column = "hazard_id" if kind == UploadKind.HAZARDS else "release_id"
    if id_column not in frame.columns or field_maps.ATTRIBUTES not in frame.columns:
        return []
    rows = list(frame[field_maps.ATTRIBUTES])
    refs = {
        i: str(frame[id_column].iloc[i]).strip()
        for i, row in enumerate(rows)
        if any(isinstance(v, str) for v in row.values()) and not blank(frame[id_column].iloc[i])
    }
    if not refs:
        return []
    recorded = {
        ref: attributes or {}
        for ref, attributes in session.execute(
            _RECORDED_OWN[UploadKind(kind)], {"refs": sorted(set(refs.values()))}
        )
    }
    restored: list[str] = []
    findings = []
    for i, ref in refs.items():
        held = recorded.get(ref)
        if not held:
            continue
        for key, given in rows[i].items():
            whole = held.get(key)
            if not isinstance(given, str) or not isinstance(whole, str) or whole == given:
                continue
            cut = len(whole.encode()) > SHAPEFILE_TEXT_BYTES
            if (bytes_of(whole, SHAPEFILE_TEXT_BYTES) if cut else whole).strip() == given.strip():
                rows[i][key] = whole
                if cut:
                    restored.append(f"{ref}'s {key}")
            elif cut:
                findings.append(
                    FindingData(
                        "value_cut",
                        Severity.WARNING,
                        f"{key} of {ref} is recorded as {len(whole.encode()):,} bytes, "
                        f"which a shapefile cuts to {SHAPEFILE_TEXT_BYTES}; edited in the "
                        "shapefile, it is recorded as the file gives it, without the rest: "
                        "to keep it whole, edit it in the register's GeoPackage",
                        row=i + 1,
                        reference=ref,
                        field=key,
                    )
                )
    frame[field_maps.ATTRIBUTES] = rows
    if restored:
        shown = first_of(restored)
        findings.insert(
            0,
            FindingData(
                "file_note",
                Severity.WARNING,
                f"{counted(len(restored), 'value')} the shapefile cut to "
                f"{SHAPEFILE_TEXT_BYTES} bytes {noun(len(restored), 'was', 'were')} read as "
                f"recorded, whole: {shown}",
            ),
        )
    return findings


def _registered(back: Callable[[], dict[str, str]]) -> Callable[[bool], Collection[str]]:
    """For ``field_maps.apply_mapping``: the names of the register's own columns a file
    may bring, a register file's (``register_file``) under every name its files give
    them (``ims.db.own_columns.names_back``), another file's under their keys alone."""

    def known(register_file: bool) -> Collection[str]:
        names = back()
        return {*names, *names.values()} if register_file else set(names.values())

    return known


def _recorded_as(session: Session, missing: Sequence[Any]) -> dict[str, list[str]]:
    """The recorded hazards that ``missing`` references name but for capitals, separators
    or padding zeros: ``reference_key`` → the recorded references, in order. Every
    reference is read (0.2 s at 100,000 hazards), only when a releases file names hazards
    that are not recorded."""
    wanted = {reference_key(str(m)) for m in missing}
    found: dict[str, list[str]] = {}
    for ref in session.scalars(text("SELECT reference FROM hazard ORDER BY reference")):
        key = reference_key(ref)
        if key in wanted:
            found.setdefault(key, []).append(ref)
    return found


def _country(session: Session) -> Any:
    wkb = session.scalar(text("SELECT ST_AsBinary(ST_Union(geom)) FROM admin_area WHERE level = 1"))
    if wkb is None:
        return None
    country = shapely.from_wkb(bytes(wkb))
    shapely.prepare(country)
    return country


_CURRENT = """
    SELECT DISTINCT ON (r.hazard_id) h.reference, h.id, h.contam,
           (SELECT min(effective) FROM hazard_revision WHERE hazard_id = h.id) AS recorded,
           r.effective AS in_force_from, ST_AsBinary(r.geom) AS wkb,
           COALESCE((SELECT remaining_after_m2 FROM ledger_entry le WHERE le.hazard_id = h.id
                     ORDER BY entry_no DESC LIMIT 1), 0) >= 1 AS is_open{more}
    FROM hazard_revision_in_force r JOIN hazard h ON h.id = r.hazard_id
"""
# ... and for the hazards a file of hazards names, the rest of the revision in force (a
# revision that repeats it changes nothing; a releases file needs none of it: 0.6 s for
# the national file's 61,924 hazards)
_NO_MORE = (
    ", NULL AS status, NULL AS used_from, NULL AS used_to, NULL AS marked,"
    " NULL::jsonb AS munitions, NULL AS operator, NULL::jsonb AS attributes,"
    " NULL::date AS in_force_recorded, NULL AS in_force_by, NULL AS status_before"
)
_IN_FORCE = """,
           r.status, r.used_from, r.used_to, r.marked,
           (SELECT jsonb_object_agg(e.munition_code, e.quantity) FROM hazard_estimate e
            WHERE e.revision_id = r.id) AS munitions,
           (SELECT o.name FROM organisation o WHERE o.id = r.operator_id) AS operator,
           r.attributes, r.recorded_at::date AS in_force_recorded, r.recorded_by AS in_force_by,
           lag(r.status) OVER (PARTITION BY r.hazard_id ORDER BY r.effective, r.seq)
             AS status_before"""


_STAMP = text(
    """
    SELECT concat_ws(' ',
        (SELECT version FROM recording_version),
        (SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(max(loaded_at)::text, '')
         FROM admin_area),
        (SELECT md5(coalesce(string_agg(code, ',' ORDER BY code), '')) FROM munition_type),
        (SELECT md5(coalesce(string_agg(name, ',' ORDER BY name), '')) FROM organisation),
        CAST(:today AS text))
    """
)


def database_stamp(session: Session, today: dt.date) -> str:
    """A stamp of everything validation reads from the database, and the day.

    The records (hazard revisions, releases, land released outside hazards, and so the
    ledger that comes from them) by the version the database sets whenever any of them is
    written (migration 0026: one row, 0.5 ms, where counting them took 40-50 ms after a
    national import, twice per import); boundaries, the munition list and the
    organisations are stamped whole. Equal stamps mean validation would find the same.
    """
    return str(session.scalar(_STAMP, {"today": today.isoformat()}))


def checked_still_stands(session: Session, submission: Submission, today: dt.date) -> bool:
    """Whether what checking a submission's features found still holds ``today``.

    It holds while the database stamp is the one it was checked against. It also holds on
    a later day of the same year when the check found no error and nothing else has
    changed: the day enters validation only in the check of dates ahead of the server's
    (an error, which a later day can clear but never bring) and in the warning of a
    revision dated the day its revision in force took effect in an earlier year (the same
    within a year). An approval the day after staging had checked all 306,000 features of
    a national releases file again: a minute (docs/design.md §4, §8.3).
    """
    checked = submission.validated_against
    if checked is None:
        return False
    now = database_stamp(session, today)
    if checked == now:
        return True
    records, _, day = checked.rpartition(" ")
    try:
        checked_on = dt.date.fromisoformat(day)
    except ValueError:
        return False
    return (
        records == now.rpartition(" ")[0]
        and checked_on <= today
        and checked_on.year == today.year
        and findings_counted(session, submission.id)[0] == 0
    )


def validated_features(session: Session, submission_id: int) -> ValidationResult | None:
    """The staged features' validated values and polygons (findings not included), or None
    when any was stored without them (staged before they were kept)."""
    # read as text and parsed by orjson, the polygons in one call: 306,000 features took
    # 7 s with the driver's json.loads and a parse each, 2.6 s so
    rows = session.execute(
        text(
            "SELECT clean::text, ST_AsBinary(geom) FROM submission_feature "
            "WHERE submission_id = :s ORDER BY row_number"
        ),
        {"s": submission_id},
    ).all()
    if any(clean is None for clean, _ in rows):
        return None
    geoms: list[Any] = shapely.from_wkb(
        [None if wkb is None else bytes(wkb) for _, wkb in rows]
    ).tolist()
    return ValidationResult([], [_loads(clean) for clean, _ in rows], geoms)


_BOUNDARIES = text(
    "SELECT h.reference, r.effective, r.seq, h.contam, ST_AsBinary(r.geom) AS wkb "
    "FROM hazard_revision_in_force r JOIN hazard h ON h.id = r.hazard_id "
    "WHERE r.hazard_id IN (SELECT hazard_id FROM hazard_revision_in_force "
    "WHERE geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326))"
)


_HISTORIES = text(
    "SELECT h.reference, r.effective, r.seq, ST_AsBinary(r.geom) AS wkb "
    "FROM hazard_revision_in_force r JOIN hazard h ON h.id = r.hazard_id "
    "WHERE h.reference = ANY(:refs) ORDER BY h.reference, r.effective, r.seq"
)


def hazard_histories(session: Session, refs: Sequence[str]) -> dict[str, list[BoundaryVersion]]:
    """Every boundary of the hazards ``refs``, each hazard's oldest first."""
    rows = session.execute(_HISTORIES, {"refs": list(refs)}).all()
    geoms: Any = shapely.from_wkb([bytes(r.wkb) for r in rows]) if rows else []
    found: dict[str, list[BoundaryVersion]] = {}
    for r, g in zip(rows, geoms, strict=True):
        found.setdefault(r.reference, []).append(
            BoundaryVersion(r.reference, r.effective, r.seq, g)
        )
    return found


def _within(session: Session, query: Any, bounds: Sequence[float]) -> list[tuple[Any, Any]]:
    """The rows of ``query`` (with ``wkb``) reaching into ``bounds``, each with its geometry;
    none where the bounds are not numbers (a file of empty geometries)."""
    xmin, ymin, xmax, ymax = (float(v) for v in bounds)
    if not all(math.isfinite(v) for v in (xmin, ymin, xmax, ymax)):
        return []
    rows = session.execute(query, {"x0": xmin, "y0": ymin, "x1": xmax, "y1": ymax}).all()
    geoms: Any = shapely.from_wkb([bytes(r.wkb) for r in rows]) if rows else []
    return list(zip(rows, geoms, strict=True))


_RELEASED_SINCE = text(
    "SELECT h.reference AS hazard, r.reference, r.released, ST_AsBinary(r.geom) AS wkb "
    "FROM unnest(CAST(:refs AS text[]), CAST(:days AS date[])) AS s(reference, since) "
    "JOIN hazard h ON h.reference = s.reference "
    "JOIN release_in_force r ON r.hazard_id = h.id AND r.released >= s.since "
    "ORDER BY h.reference, r.released, r.seq"
)


def releases_since(
    session: Session, since: Mapping[str, dt.date]
) -> dict[str, list[tuple[str, dt.date, BaseGeometry]]]:
    """The releases in force of each hazard in ``since`` dated on or after its day, each
    hazard's oldest first: (reference, released, polygon)."""
    refs = sorted(since)
    rows = session.execute(_RELEASED_SINCE, {"refs": refs, "days": [since[r] for r in refs]}).all()
    geoms: Any = shapely.from_wkb([bytes(r.wkb) for r in rows]) if rows else []
    found: dict[str, list[tuple[str, dt.date, BaseGeometry]]] = {}
    for r, g in zip(rows, geoms, strict=True):
        found.setdefault(r.hazard, []).append((r.reference, r.released, g))
    return found


def hazard_boundaries(session: Session, bounds: Sequence[float]) -> HazardBoundaries:
    """Every boundary (each revision) of the hazards that reach into ``bounds``."""
    return HazardBoundaries(
        [
            BoundaryVersion(r.reference, r.effective, r.seq, g, r.contam)
            for r, g in _within(session, _BOUNDARIES, bounds)
        ]
    )


_OUTSIDE_NEAR = text(
    "SELECT reference, released, contam, ST_AsBinary(geom) AS wkb FROM outside_release_counted"
    " WHERE geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)"
)


def outside_records(session: Session, bounds: Sequence[float]) -> OutsideRecords:
    """The records of land released outside hazards that count, reaching into ``bounds``."""
    return OutsideRecords(
        [
            OutsideRecord(r.reference, r.released, r.contam, g)
            for r, g in _within(session, _OUTSIDE_NEAR, bounds)
        ]
    )


def _twins(session: Session, refs: list[str], tables: tuple[str, ...]) -> dict[str, str]:
    """The file's references that read as another, recorded in ``tables`` (withdrawn
    records' too: their references stay taken) or in the file. The recorded candidates:
    those equal to a reference's skeleton but for case, and every one that is not ASCII
    (few, and their skeletons are computed here)."""
    skeletons = sorted({skeleton(r) for r in refs})
    query = " UNION ".join(
        f"SELECT reference FROM {table} WHERE lower(reference) = ANY(:s) OR reference !~ '^[ -~]*$'"
        for table in tables
    )  # one statement: the references are sent once (306,000 of them, a national file)
    return twins(refs, set(session.scalars(text(query), {"s": skeletons})))


def _whole_floats(column: Any) -> bool:
    """Whether a column of references holds a whole number as a float (a shapefile's or a
    spreadsheet's numeric column): recorded, its 2001.0 had become hazard "2001.0" while
    the review showed 2001 (helper-90)."""
    if column.dtype.kind == "f":
        return True
    return column.dtype == object and any(isinstance(v, float) and v.is_integer() for v in column)


def load_context(
    session: Session,
    kind: str,
    frame: Any,
    *,
    today: dt.date,
    repair: bool = False,
    split: bool = False,
    uploader: str | None = None,
    say: Callable[[str], None] | None = None,
) -> ValidationContext:
    """What validation must know of the database for this layer (``uploader``: the
    organisation the submission is for; ``say``: each step of the checks as it starts)."""
    if say is not None:
        say("validating: what the database holds of the file's hazards")
    codes = set(session.scalars(text("SELECT code FROM munition_type")))
    names = session.scalars(text("SELECT name FROM organisation")).all()
    ctx = ValidationContext(
        today=today,
        munition_codes=codes,
        country=_country(session),
        organisations={n.lower(): n for n in names},
        uploader=uploader,
        repair=repair,
        split=split,
    )
    if say is not None:
        ctx.say = say
    attributes = frame.get(field_maps.ATTRIBUTES)
    if attributes is not None:
        ctx.date_orders = date_orders(attributes, frame.attrs.get(field_maps.DATE_ORDER))
    if len(frame):
        near = [float(v) for v in frame.total_bounds]
        ctx.outside_loader = lambda: outside_records(session, near)
    refs = sorted({str(v).strip() for v in frame.get("hazard_id", []) if not blank(v)})
    if kind == UploadKind.HAZARDS and refs:
        in_order = [str(v).strip() for v in frame.get("hazard_id", []) if not blank(v)]
        ctx.twins = _twins(session, list(dict.fromkeys(in_order)), ("hazard",))
    if refs:
        ctx.withdrawn_hazards = set(
            session.scalars(
                text(
                    "SELECT h.reference FROM hazard h JOIN hazard_withdrawal w"
                    " ON w.hazard_id = h.id WHERE h.reference = ANY(:r)"
                ),
                {"r": refs},
            )
        )
        rows = session.execute(
            text(
                _CURRENT.format(more=_IN_FORCE if kind == UploadKind.HAZARDS else _NO_MORE)
                + " WHERE h.reference = ANY(:refs) "
                "ORDER BY r.hazard_id, r.effective DESC, r.seq DESC"
            ),
            {"refs": refs},
        ).all()
        boundaries: Any = shapely.from_wkb([bytes(r.wkb) for r in rows]) if rows else []
        for r, boundary in zip(rows, boundaries, strict=True):
            ctx.hazards[r.reference] = KnownHazard(
                r.id,
                r.recorded,
                boundary,
                r.is_open,
                r.status,
                r.used_from,
                r.used_to,
                r.marked,
                r.munitions,
                r.operator,
                r.in_force_from,
                r.attributes,
                r.in_force_recorded,
                r.in_force_by,
                r.status_before,
                contam=r.contam,
            )
    revised_refs: list[str] = []
    if kind == UploadKind.HAZARDS and "revised" in frame and "hazard_id" in frame:
        pairs = zip(frame["hazard_id"], frame["revised"], strict=True)
        revised_refs = sorted(
            {str(r).strip() for r, day in pairs if not blank(r) and not blank(day)}
        )
    # the hazards a release names, or a revision revises, that are not recorded: few,
    # mistakes (a hazards file's new references are told as twins)
    named = refs if kind == UploadKind.RELEASES else revised_refs
    missing = [r for r in named if r not in ctx.hazards]
    if missing:
        ctx.recorded_as = _recorded_as(session, missing)
    if kind == UploadKind.HAZARDS and revised_refs:
        rows = session.execute(
            text(
                "SELECT h.reference, m.area_m2, m.remaining_m2, "
                "ST_AsBinary(COALESCE(m.geom, 'MULTIPOLYGON EMPTY'::geometry)) AS wkb "
                "FROM hazard h JOIN hazard_remaining m ON m.hazard_id = h.id "
                "WHERE h.reference = ANY(:refs) AND m.area_m2 IS NOT NULL "
                "AND m.remaining_m2 IS NOT NULL "
                "AND EXISTS (SELECT 1 FROM release_in_force x WHERE x.hazard_id = h.id)"
            ),
            {"refs": revised_refs},
        ).all()
        grounds: Any = shapely.from_wkb([bytes(r.wkb) for r in rows]) if rows else []
        ctx.remaining = {
            r.reference: (float(r.area_m2), float(r.remaining_m2), g)
            for r, g in zip(rows, grounds, strict=True)
        }
        ctx.history_loader = lambda refs: hazard_histories(session, refs)
        ctx.releases_loader = lambda since: releases_since(session, since)
    if kind == UploadKind.RELEASES:
        rel_refs = [str(v).strip() for v in frame.get("release_id", []) if not blank(v)]
        ctx.twins = _twins(session, list(dict.fromkeys(rel_refs)), ("release", "outside_release"))
        ctx.part_refs = set(
            session.scalars(
                text(
                    "SELECT reference FROM release WHERE reference LIKE '%#%'"
                    " AND regexp_replace(reference, '#[^#]*$', '') = ANY(:r)"
                    " UNION SELECT reference FROM outside_release WHERE reference LIKE '%#%'"
                    " AND regexp_replace(reference, '#[^#]*$', '') = ANY(:r)"
                ),
                {"r": rel_refs},
            )
        )
        ctx.release_refs = set(
            session.scalars(
                text(
                    "SELECT reference FROM release WHERE reference = ANY(:r) "
                    "UNION SELECT reference FROM outside_release WHERE reference = ANY(:r)"
                ),
                {"r": rel_refs},
            )
        )
        ctx.releases = _releases_in_force(session, [r for r in rel_refs if r in ctx.release_refs])
        ctx.withdrawn_refs = set(
            session.scalars(
                text(
                    "SELECT x.reference FROM release x JOIN release_withdrawal w"
                    " ON w.release_id = x.id WHERE x.reference = ANY(:r)"
                ),
                {"r": rel_refs},
            )
        )
        named = sorted({str(v).strip() for v in frame.get("hazard_id", []) if not blank(v)})
        recorded = session.execute(
            text(
                "SELECT h.reference AS hazard, r.reference, r.released, ST_AsBinary(r.geom) AS wkb "
                "FROM release_in_force r JOIN hazard h ON h.id = r.hazard_id "
                "WHERE h.reference = ANY(:refs)"
            ),
            {"refs": named},
        ).all()
        polygons: Any = shapely.from_wkb([bytes(r.wkb) for r in recorded]) if recorded else []
        for r, polygon in zip(recorded, polygons, strict=True):
            ctx.recorded_releases.setdefault((r.hazard, r.released), []).append(
                (r.reference, polygon)
            )
        ctx.history_loader = lambda refs: hazard_histories(session, refs)
        if len(frame):
            bounds = [float(v) for v in frame.total_bounds]
            ctx.boundary_loader = lambda: hazard_boundaries(session, bounds)
    elif len(frame):
        xmin, ymin, xmax, ymax = (float(v) for v in frame.total_bounds)
        if all(math.isfinite(v) for v in (xmin, ymin, xmax, ymax)):
            rows = session.execute(
                text(
                    _CURRENT.format(more="")
                    + " WHERE r.hazard_id IN (SELECT hazard_id FROM hazard_revision_in_force "
                    "WHERE geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)) "
                    "ORDER BY r.hazard_id, r.effective DESC, r.seq DESC"
                ),
                {"x0": xmin, "y0": ymin, "x1": xmax, "y1": ymax},
            ).all()
            geoms: Any = shapely.from_wkb([bytes(r.wkb) for r in rows]) if rows else []
            for row, geom in zip(rows, geoms, strict=True):
                if row.is_open:
                    ctx.open_refs.append(row.reference)
                    ctx.open_geoms.append(geom)
    return ctx


def validate(
    session: Session,
    kind: str,
    frame: Any,
    *,
    dropped_z: bool = False,
    today: dt.date | None = None,
    repair: bool = False,
    split: bool = False,
    uploader: str | None = None,
    say: Callable[[str], None] | None = None,
    left_out: Collection[int] = (),
    organisation: str | None = None,
) -> ValidationResult:
    """Validate a mapped layer against the database as it is now, with the uploader's
    choices (repair invalid polygons; split named releases among hazards); ``uploader``:
    the organisation an operator's upload is of, whose records alone it may hold;
    ``organisation``: the organisation the submission is for, whoever sends it, whose
    form records alone it is compared with (its operators read its findings: a staff
    upload for one organisation had named another's, helper-104); ``left_out``: the
    features (indices) its review showed left out as recorded already
    (``ims.ingest.validate.UNCHANGED``),
    which an approval passes by as they were shown: checked again, one whose hazard was
    revised since had become a revision undoing that one, without a word (helper-95).

    A form record an approved submission recorded, sent again unchanged (field platforms
    export every record sent so far), is not validated or recorded again: it gets a
    ``sent_before_unchanged`` warning, and its stored values say so (``SENT_BEFORE``), so
    that an approval passes it by. Each export had been five errors "already recorded"
    until the team leader took the old records out by hand (a walk-through as one)."""
    for name in ("hazard_id", "release_id"):  # a numeric column's 2001.0 is reference 2001
        if name in frame and _whole_floats(frame[name]):
            frame[name] = [cell_text(v) if isinstance(v, float) else v for v in frame[name]]
    before = recorded_before(session, kind, frame, organisation or uploader)
    resent = before.unchanged
    twins = {i: first for i, first in identical_twins(frame).items() if i not in resent}
    passed = set(resent) | set(left_out) | set(twins)
    keep = [i for i in range(len(frame)) if i not in passed]
    key = "release_id" if kind == UploadKind.RELEASES else "hazard_id"
    markers = {i: _sent_before(frame, i, key, sid) for i, (sid, _) in resent.items()}
    markers |= {i: _left_out(frame, i, key) for i in left_out if i not in resent}
    markers |= {i: {**_left_out(frame, i, key), TWIN_OF: first + 1} for i, first in twins.items()}
    told = [
        FindingData(
            "sent_before_unchanged",
            Severity.WARNING,
            f"form record {record_id} is recorded already, unchanged, by submission {sid}: "
            "it is not recorded again",
            row=i + 1,
            reference=markers[i].get(key),
        )
        for i, (sid, record_id) in sorted(resent.items())
    ]
    told += [
        FindingData(
            "repeated_form_record",
            Severity.WARNING,
            f"form record {frame[field_maps.ATTRIBUTES].iloc[i][RECORD_ID]} is in the file "
            f"twice, the same in both (feature {first + 1} and this one), as a platform exports a "
            "record it received twice: it is recorded once, from the first",
            row=i + 1,
            reference=markers[i].get(key),
        )
        for i, first in sorted(twins.items())
    ]
    if passed and not keep and not resent:
        return ValidationResult(
            [
                FindingData(
                    "unchanged_left_out",
                    Severity.ERROR,
                    "nothing is left to record: the features left out of this submission as "
                    "recorded already are all that remain of it",
                )
            ],
            [markers[i] for i in range(len(frame))],
            [None] * len(frame),
        )
    if resent and not keep:
        by = sorted({sid for sid, _ in resent.values()})
        return ValidationResult(
            [
                FindingData(
                    "sent_before_unchanged",
                    Severity.ERROR,
                    f"nothing in this file is new: its {counted(len(frame), 'record')} "
                    f"{noun(len(frame), 'is', 'are')} recorded already, unchanged, by "
                    f"{noun(len(by), 'submission', 'submissions')} {_and([str(b) for b in by])}"
                    ": withdraw it (or reject it)",
                ),
                *told,
            ],
            [markers[i] for i in range(len(frame))],
            [None] * len(frame),
        )
    subset = frame.iloc[keep].reset_index(drop=True) if passed else frame
    ctx = load_context(
        session,
        kind,
        subset,
        today=today or dt.date.today(),
        repair=repair,
        split=split,
        uploader=uploader,
        say=say,
    )
    check = validate_hazards if kind == UploadKind.HAZARDS else validate_releases
    result = check(subset, ctx, dropped_z=dropped_z)
    # what was said of records sent before: of a row checked, in the rows checked (mapped
    # back to the file's below); of a row passed by, as it is (a row the review left out
    # as repeating the revision in force may still differ from its form record as first
    # recorded: looked up among the rows checked, its approval had failed, helper-132)
    checked_at = {row: k for k, row in enumerate(keep)}
    said_before = before.renamed + before.changed
    result.findings[:0] = [
        dataclasses.replace(f, row=checked_at[(f.row or 1) - 1] + 1)
        for f in said_before
        if (f.row or 1) - 1 in checked_at
    ]
    told += [f for f in said_before if (f.row or 1) - 1 not in checked_at]
    if not passed:
        return result
    # back to the file's own rows, the records sent before among them
    findings = [
        dataclasses.replace(f, row=keep[f.row - 1] + 1) if f.row is not None else f
        for f in result.findings
    ]
    findings += told
    findings.sort(key=lambda f: (f.severity != Severity.ERROR, f.row or 0))
    records: list[dict[str, Any]] = []
    geometries: list[Any] = []
    checked = iter(zip(result.records, result.geometries, strict=True))
    for i in range(len(frame)):
        if i in passed:
            records.append(markers[i])
            geometries.append(None)
        else:
            record, geom = next(checked)
            records.append(record)
            geometries.append(geom)
    return ValidationResult(
        findings, records, geometries, repaired={keep[i] for i in result.repaired}
    )


SENT_BEFORE = "sent_before"  # a staged record's stored values: recorded already, unchanged
TWIN_OF = "twin_of"  # ... and left out as the same form record as this feature (numbered)

# The form records approved submissions recorded, with the reference, values and polygon
# each sent: not a feature left out of an approval in part (it was not recorded), nor one
# whose record was withdrawn since as recorded in error (it counts nothing: sent again,
# it is checked as any record). An operator's upload is compared with its own
# organisation's records only (``within``).
_RECORDED_FORM_RECORDS = text(
    "SELECT DISTINCT ON (rec) sf.record->'_attributes'->>:key AS rec, s.id, sf.reference,"
    " sf.record::text, ST_AsBinary(COALESCE(sf.raw_geom, sf.geom))"
    " FROM submission_feature sf JOIN submission s ON s.id = sf.submission_id"
    " WHERE s.kind = :kind AND s.status = 'approved'"
    " AND (CAST(:within AS text) IS NULL OR s.organisation_id ="
    "  (SELECT o.id FROM organisation o WHERE lower(o.name) = lower(:within)))"
    " AND sf.record->'_attributes'->>:key = ANY(:ids)"
    " AND (sf.clean IS NULL OR NOT sf.clean ? :sent)"
    " AND NOT (s.partial AND EXISTS ("
    "   SELECT 1 FROM finding f WHERE f.submission_id = s.id"
    "   AND f.row_number = sf.row_number AND f.severity = 'error'))"
    " AND NOT EXISTS (SELECT 1 FROM release r JOIN release_withdrawal w ON w.release_id = r.id"
    "   WHERE s.kind = 'releases' AND r.submission_id = s.id"
    "   AND COALESCE(r.attributes->>'split_from', r.reference) = sf.reference)"
    " AND NOT EXISTS (SELECT 1 FROM outside_release o"
    "   JOIN outside_release_withdrawal w ON w.outside_release_id = o.id"
    "   WHERE s.kind = 'releases' AND o.submission_id = s.id"
    "   AND COALESCE(o.attributes->>'split_from', o.reference) = sf.reference)"
    " AND NOT EXISTS (SELECT 1 FROM hazard h JOIN hazard_withdrawal w ON w.hazard_id = h.id"
    "   WHERE s.kind = 'hazards' AND h.reference = sf.reference)"
    " ORDER BY rec, s.id DESC"  # as last recorded: a record corrected since is as corrected
)


@dataclass
class SentBefore:
    """What a file's form records were when an approved submission recorded them."""

    # rows (from 0) sent again as recorded: the submission that recorded each, its id
    unchanged: dict[int, tuple[int, str]] = field(default_factory=dict)
    # rows naming another reference than the one their record was recorded under: errors
    renamed: list[FindingData] = field(default_factory=list)
    # rows sent again changed: what changed, for the one who fixes the export
    changed: list[FindingData] = field(default_factory=list)


def recorded_before(session: Session, kind: str, frame: Any, within: str | None) -> SentBefore:
    """The rows of ``frame`` holding a form record an approved submission recorded (the
    latest that did: a record corrected since is compared as corrected): with
    the same values and polygon (values compared as they are staged, the mapped fields and
    the file's own attributes; polygons as shapes, whatever the vertex order), or under
    another reference, which would record the same ground and items twice (a reference
    corrected in a later export had been two hazards, counted twice: a walk-through)."""
    found = SentBefore()
    attributes = frame.get(field_maps.ATTRIBUTES)
    if attributes is None:
        return found
    ids: dict[str, int] = {}
    for i, a in enumerate(attributes):
        if isinstance(a, dict) and a.get(RECORD_ID):
            ids.setdefault(str(a[RECORD_ID]), i)
    if not ids:
        return found
    rows = session.execute(
        _RECORDED_FORM_RECORDS,
        {
            "key": RECORD_ID,
            "kind": kind,
            "ids": list(ids),
            "within": within,
            "sent": SENT_BEFORE,
        },
    ).all()
    key = "release_id" if kind == UploadKind.RELEASES else "hazard_id"
    what = "release" if kind == UploadKind.RELEASES else "hazard"
    columns = [c for c in frame.columns if c != frame.geometry.name]
    orders = date_orders(attributes, frame.attrs.get(field_maps.DATE_ORDER)) if rows else {}
    for record_id, submission_id, recorded_as, stored, wkb in rows:
        i = ids[record_id]
        named = _text(frame[key].iloc[i]) if key in frame.columns else None
        if recorded_as and named and named != recorded_as:
            found.renamed.append(
                FindingData(
                    "form_record_renamed",
                    Severity.ERROR,
                    f"form record {record_id} was recorded as {what} {recorded_as} by submission "
                    f"{submission_id}; this file names it {named}, which would record it "
                    "twice. A reference is not changed by sending the record again: send it "
                    f"as {recorded_as}, or, if {named} is right, withdraw {recorded_as} as "
                    "recorded in error first",
                    row=i + 1,
                    reference=named,
                    field=key,
                )
            )
            continue
        sent = {c: jsonable(frame[c].iloc[i]) for c in columns}
        differs = _fields_differing(_loads(stored), _loads(_json(sent)), orders)
        geom = frame.geometry.iloc[i]
        if wkb is None or geom is None or geom.is_empty:
            continue
        if not shapely.equals(geom, shapely.from_wkb(bytes(wkb))):
            differs.append("its polygon")
        if not differs:
            found.unchanged[i] = (int(submission_id), record_id)
            continue
        found.changed.append(
            FindingData(
                "changed_since_recorded",
                Severity.WARNING,
                f"form record {record_id} was recorded by submission {submission_id}, and comes "
                f"back changed: {'; '.join(differs[:6])}"
                + (f"; and {len(differs) - 6} more" if len(differs) > 6 else "")
                + (
                    ". A release is not revised: one recorded wrong is withdrawn, and sent "
                    "again under a new release_id"
                    if kind == UploadKind.RELEASES
                    else ". Sent again, it is not a revision: a revision gives the date it "
                    "takes effect in 'revised'"
                ),
                row=i + 1,
                reference=named,
            )
        )
    return found


def identical_twins(frame: Any) -> dict[int, int]:
    """The rows (from 0) holding a form record an earlier row of the file holds too, with
    the same values and polygon, each with that earlier row: a platform's export of a
    record it received twice (KoboToolbox keeps such duplicates, helper-132). One that
    differs is not a twin: it is checked, and its reference is then given twice."""
    attributes = frame.get(field_maps.ATTRIBUTES)
    if attributes is None:
        return {}
    seen: dict[str, list[int]] = {}
    for i, a in enumerate(attributes):
        if isinstance(a, dict) and a.get(RECORD_ID):
            seen.setdefault(str(a[RECORD_ID]), []).append(i)
    columns = [c for c in frame.columns if c != frame.geometry.name]
    twins: dict[int, int] = {}
    for rows in seen.values():
        if len(rows) < 2:
            continue
        first = rows[0]
        values = {c: jsonable(frame[c].iloc[first]) for c in columns}
        shape = frame.geometry.iloc[first]
        for i in rows[1:]:
            geom = frame.geometry.iloc[i]
            same_shape = (shape is None and geom is None) or (
                shape is not None and geom is not None and shapely.equals(shape, geom)
            )
            if same_shape and {c: jsonable(frame[c].iloc[i]) for c in columns} == values:
                twins[i] = first
    return twins


def date_orders(attributes: Any, stated: str | None) -> dict[str, str]:
    """How each own column of the file writes its dates, day or month first: as its cells
    show it (31/03/2024), or the file's other own columns (a file writes its dates one
    way), or else as the file's mapping says its dates are written."""
    cells: dict[str, list[Any]] = {}
    for row in attributes:
        for name, value in (row or {}).items():
            if isinstance(value, str):
                cells.setdefault(name, []).append(value)
    shown = cells_date_order(v for values in cells.values() for v in values) or stated
    found = {name: cells_date_order(values) or shown for name, values in cells.items()}
    return {name: order for name, order in found.items() if order}


def _fields_differing(
    before: dict[str, Any], after: dict[str, Any], orders: Mapping[str, str] | None = None
) -> list[str]:
    """The fields, then the file's own columns by name (in any capitals), whose values
    differ, as "status: SHA → CHA": a number and the same number as text do not, nor a
    day written otherwise (``same_value``; ``orders``: how each own column writes its
    dates). An own column the record no longer gives is not a change, as a revision
    keeps it: "ratio: 0.5 → nothing" had been said of one (helper-119)."""
    orders = orders or {}

    def said(value: Any) -> str:
        text = "nothing" if value is None or value == "" else str(value)
        return text if len(text) <= 40 else f"{text[:39]}…"

    own = field_maps.ATTRIBUTES
    found = []
    for name in dict.fromkeys([*before, *after]):
        if name == own:
            continue
        if not same_value(before.get(name), after.get(name)):
            found.append(f"{name}: {said(before.get(name))} → {said(after.get(name))}")
    mine, theirs = before.get(own) or {}, after.get(own) or {}
    for name in sorted(theirs, key=str.casefold):
        given, kept = theirs[name], own_value(mine, name)
        if name == RECORD_ID or given is None or not own_changed(mine, {name: given}, orders):
            continue
        found.append(f"{name}: {said(kept)} → {said(given)}")
    return found


def unsaid_twice(findings: list[FindingData]) -> list[FindingData]:
    """The findings less each "sent before" warning of a record said to be recorded
    already, unchanged, changed since, or under another reference: one line says it."""
    unchanged = {
        f.row
        for f in findings
        if f.code in ("sent_before_unchanged", "changed_since_recorded", "form_record_renamed")
    }
    return [f for f in findings if not (f.code == "record_sent_before" and f.row in unchanged)]


def _sent_before(frame: Any, i: int, key: str, submission_id: int) -> dict[str, Any]:
    """The stored values of a record recorded already, unchanged: the submission that
    recorded it, and the reference (and revision date) it names, so that a replacement
    does not count it as left out."""
    marker: dict[str, Any] = {SENT_BEFORE: submission_id}
    if key in frame.columns:
        marker[key] = _text(frame[key].iloc[i])
    if "revised" in frame.columns:
        marker["revised"] = _text(jsonable(frame["revised"].iloc[i]))
    return marker


def _left_out(frame: Any, i: int, key: str) -> dict[str, Any]:
    """The stored values of a feature left out as recorded already: its reference (and
    revision date), as ``ims.ingest.validate`` leaves them."""
    marker: dict[str, Any] = {UNCHANGED: True}
    for name in (key, "hazard_id", "revised"):
        if name in frame.columns and name not in marker:
            marker[name] = _text(jsonable(frame[name].iloc[i]))
    return marker


def _text(value: Any) -> str | None:
    return None if blank(value) else str(value).strip()[:100]


def _origins_said(findings: Sequence[FindingData], origins: Mapping[str, str]) -> list[FindingData]:
    """The findings on a feature's field the field mapping gave, with where it came from."""
    if not origins:
        return list(findings)
    return [
        dataclasses.replace(f, message=f"{f.message} ({f.field}: {origins[f.field]})")
        if f.row is not None and f.field is not None and f.field in origins
        else f
        for f in findings
    ]


def organisation_named(
    session: Session,
    name: str | None,
    *,
    new: bool = False,
    by: Actor | str | None = None,
    uploading: bool = True,
) -> Organisation | None:
    """The organisation of that name (any capitals), or InvalidRequest with close matches.

    A name never adds an organisation by itself (a typo would become one); ``new`` (the
    CLI's ``--new-org``, an explicit act) adds it to the reference list, audited. The
    error says how to add one when ``uploading`` (elsewhere a name only finds one).
    """
    name = (name or "").strip()
    if not name:
        return None
    if "\x00" in name:
        raise InvalidRequest("the organisation name holds a NUL character")
    org = session.scalars(
        select(Organisation).where(func.lower(Organisation.name) == name.lower())
    ).first()
    if org is not None:
        return org
    if new:
        return reference.add_organisation(session, name, "operator", by=by)
    known = list(session.scalars(select(Organisation.name).order_by(Organisation.name)))
    close = close_names(name, known)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    if not uploading:
        detail = f"unknown organisation {name!r}"
        if close:
            detail += f": did you mean {' or '.join(close)}?"
        else:
            detail += " (ims reference organisations lists them)"
        raise InvalidRequest(detail, field="organisation")
    raise InvalidRequest(
        f"unknown organisation {name!r}: {hint}Organisations are kept in the reference list "
        "(an admin adds them at /admin/reference or with ims reference add-organisation; "
        "ims import --new-org adds the one named)",
        field="organisation",
    )


# From this many features on, staging brings the planner's statistics of the staged
# features and findings up to date: the review page, which the upload page opens next,
# joins them, and planned for the tables before a national file one tile of its map took
# 26.6 s instead of 0.3 s until autovacuum came (migration 0027; about 0.2 s).
ANALYZE_FROM_FEATURES = 5_000


def analyze_staged(session: Session, features: int) -> None:
    """Refresh the statistics of the staged features and findings if ``features`` is many
    (``ANALYZE_FROM_FEATURES``, migration 0027)."""
    if features >= ANALYZE_FROM_FEATURES:
        session.execute(text("SELECT ims_analyze_staged()"))


@bulk_work()
def stage(
    session: Session,
    upload: Path,
    *,
    kind: str,
    organisation: str | None = None,
    field_map: Mapping[str, str] | None = None,
    crs: str | None = None,
    layer: str | None = None,
    uploaded_by: Actor | str | None = None,
    limits: UploadLimits | None = None,
    filename: str | None = None,
    today: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
    workdir: Path | None = None,
    new_organisation: bool = False,
    mapping: field_maps.MappingDocument | None = None,
    repair: bool = False,
    split: bool = False,
    replaces: int | None = None,
    use_remembered: bool = True,
    analyze: bool = True,
    own_records: bool = False,
    expected: Sequence[str] = (),
    check_only: bool = False,
) -> StageOutcome:
    """Read, map and validate ``upload``; store it as a submission with its findings.

    ``check_only``: read and validate it, store nothing (the submission returned is not
    added to the session): a record form that says a mistake beside its field had staged
    the record in a savepoint and rolled it back, and each such try used up a submission
    number (a new user's review read 21, then 24).

    ``expected``: columns that are no template field but are meant to be kept as the
    records' own (a record form's reason), without the note that says so.

    ``own_records``: an operator's upload, which holds its organisation's records only (a
    feature naming another organisation as its operator is an error).

    ``organisation`` must be in the reference list unless ``new_organisation`` adds it.
    ``mapping`` (a document) and ``field_map`` (renames, ``--map``, added to its fields)
    give the field mapping; with neither, the organisation's remembered one is used if the
    file fits it (unless not ``use_remembered``: the file has the template's own fields). A
    mapping given is remembered for the organisation's next files.

    ``replaces``: the id of an earlier submission of the same organisation and kind that
    still awaits review; it is superseded by this one (Conflict otherwise).

    ``analyze``: refresh the planner's statistics of a large file's staged rows for its
    review (``analyze_staged``); not when it is approved in the same transaction, where
    nobody reviews it (its caller analyses it if it is left for review after all).

    Raises InvalidUpload for a file that cannot be used at all; then nothing is stored.
    The upload is unpacked in a temporary folder inside ``workdir`` (default: the system's).
    """
    if kind not in KINDS:
        raise InvalidRequest(f"kind must be hazards or releases, not {kind!r}")
    limits = limits or UploadLimits.from_settings()
    say = progress or (lambda _msg: None)
    size = upload.stat().st_size
    if size > limits.max_bytes:
        raise InvalidUpload(
            f"{upload.name} is {size / 1e6:,.1f} MB; the limit is {limits.max_bytes / 1e6:,.0f} MB"
        )
    sha256 = file_sha256(upload)
    given = (mapping or field_maps.MappingDocument()).with_fields(field_map or {})
    given.check(kind)  # a mapping that cannot suit the template, before reading the file
    org = organisation_named(session, organisation, new=new_organisation, by=uploaded_by)
    remembered_ones = (
        [] if given or not use_remembered else field_maps.stored_mappings(session, org, kind)
    )
    if replaces is not None:  # refused before the file is read, and again under the lock
        _replaceable(session, replaces, org, kind, by_operator=own_records)
    say(f"reading {filename or upload.name}")
    # the coordinate system chosen for the organisation's files that declare none, kept
    # with its mappings: a map layer without one is read in that of the mapping it is read
    # with (``field_maps.remembered_crs``, by the layer's columns)
    remembered_crs: str | CrsChooser | None = given.crs or (
        (lambda layer, names: field_maps.remembered_crs(layer, remembered_ones, names))
        if remembered_ones
        else None
    )
    with tempfile.TemporaryDirectory(prefix="ims-upload-", dir=workdir) as unpacked:
        read = read_upload(
            upload,
            Path(unpacked),
            kind=kind,
            layer=layer,
            crs=crs,
            limits=limits,
            remembered_crs=remembered_crs,
        )
    # a mapping naming columns as ims read them ("contam" for "Contamination") names them
    # as the file does: it is so kept, remembered and shown
    read_as = by_label(read.file_names)
    given = given.by_file_names(read_as)
    in_use, origin = (given, "given") if given else (field_maps.MappingDocument(), None)
    ignored_mapping = None
    # of the organisation's remembered mappings, the one for this file's columns
    remembered, remembered_fits = field_maps.chosen(read.frame, remembered_ones, read.file_names)
    if remembered is not None:
        if remembered_fits:
            in_use, origin = remembered.mapping.by_file_names(read_as), "remembered"
        else:
            # A mapping remembered from an earlier file that this one does not match (it
            # lacks fields it reads) would only stand in the way: it is not used. It is
            # said, but not of a form's export, which needs none (every upload of a field
            # team's had said it of the programme's register mapping: a walk-through).
            # Nor of a file in the template's own names, which needs none either (every
            # upload of an organisation's in the template's names had carried a warning
            # of the mapping the demo made for its register: a new user's review).
            if RECORD_ID not in read.frame.columns and not _in_template_names(read.frame, kind):
                ignored_mapping = remembered
    labelled = _read_by_label(kind, in_use, read.file_names)
    # the names the register's files give its own columns, looked up once and only where
    # needed (a query over every record's own columns)
    shapefile = read.encoding is not None
    id_column = "hazard_id" if kind == UploadKind.HAZARDS else "release_id"
    back_names = functools.cache(lambda: names_back(session, id_column, shapefile=shapefile))
    if labelled:
        in_use = in_use.with_fields(labelled)
        origin = origin or "labels"
    try:
        frame = field_maps.apply_mapping(
            read.frame, kind, in_use, read.file_names, registered=_registered(back_names)
        )
    except (InvalidRequest, InvalidUpload) as exc:
        # a mapping not used is not named in the error of a file that needs none, as its
        # warning is not (helper-115: a file in the template's names, refused for its
        # columns, was told of the organisation's mapping of other columns)
        needs_none = RECORD_ID in read.frame.columns or _in_template_names(read.frame, kind)
        if remembered is None or (origin != "remembered" and needs_none):
            raise
        used = origin == "remembered"
        raise type(exc)(f"{exc.detail} ({remembered.explained(used=used)})") from None
    registered_as = _as_registered(frame, back_names)
    # a register shapefile's text cut to what a shapefile holds, read as recorded
    uncut = _uncut(session, kind, frame) if shapefile and frame.attrs.get("computed_fields") else []
    # (the record id ims itself keeps from a form's export is not the file's to explain)
    extras = [
        c for c in frame.attrs.get("extra_fields", []) if c not in expected and c != RECORD_ID
    ]
    set_aside = frame.attrs.get("set_aside", [])
    empty = [c for c in frame.attrs.get("empty_fields", []) if c not in expected]
    say(f"validating {counted(len(frame), 'feature')}")
    today = today or dt.date.today()
    stamp = database_stamp(session, today)  # before validation reads: a change is seen
    result = validate(
        session,
        kind,
        frame,
        dropped_z=read.dropped_z,
        today=today,
        repair=repair,
        split=split,
        uploader=org.name if org is not None and own_records else None,
        say=say,
        organisation=org.name if org is not None else None,
    )
    findings = _origins_said(
        _hazards_awaiting_review(session, result.findings, org.id if org else None),
        in_use.origins(),
    )
    for note in read.warnings:
        if "Z" in note and read.dropped_z:
            continue  # already a z_dropped finding
        if note.startswith(LABELS_READ):
            continue  # the mapping kept says where each was read from (``_read_by_label``)
        findings.insert(0, FindingData("file_note", Severity.WARNING, note))
    if ignored_mapping is not None:
        columns = {str(c).lower() for c in read.frame.columns}
        lacking = [f for f in ignored_mapping.mapping.sources() if f.lower() not in columns]
        findings.insert(
            0,
            FindingData(
                "file_note",
                Severity.WARNING,
                (
                    f"the field mapping remembered for {ignored_mapping.organisation}'s {kind} "
                    f"files reads {_and(lacking)}, which this file does not have, so it was not "
                    'used; "Forget it" on the upload page forgets it'
                )
                if len(remembered_ones) == 1
                else (
                    f"none of the {len(remembered_ones)} field mappings remembered for "
                    f"{ignored_mapping.organisation}'s {kind} files fits this file (the latest "
                    f"reads {_and(lacking)}, which it does not have), so none was used; "
                    '"Forget it" on the upload page forgets them'
                ),
            ),
        )
    if empty:
        shown = first_of(empty)
        findings.insert(
            0,
            FindingData(
                "file_note",
                Severity.WARNING,
                f"{counted(len(empty), 'column')} of the file's own "
                f"{noun(len(empty), 'is', 'are')} empty in every feature and "
                f"{noun(len(empty), 'is', 'are')} not kept: {shown}",
            ),
        )
    if uncut:
        findings[0:0] = [f for f in uncut if f.row is None]
        findings += [f for f in uncut if f.row is not None]
    if registered_as:
        shown = ", ".join(f"{c} as {key}" for c, key in list(registered_as.items())[:10])
        more = len(registered_as) - 10
        findings.insert(
            0,
            FindingData(
                "file_note",
                Severity.WARNING,
                f"the register's own columns were read under their names in the register "
                f"(a register file names them so): {shown}"
                + (f" and {more:,} more" if more > 0 else ""),
            ),
        )
    if set_aside:
        findings.insert(
            0,
            FindingData(
                "file_note",
                Severity.WARNING,
                f"the file's own {noun(len(set_aside), 'field')} {', '.join(set_aside)} "
                f"{noun(len(set_aside), 'was', 'were')} not used: the mapping gives "
                f"{noun(len(set_aside), 'that template field', 'those template fields')} "
                "otherwise",
            ),
        )
    # Other submissions are named only within the organisation's own, whoever sends it:
    # its operators read its findings. A reviewer's correction of an operator's record had
    # told that operator of another organisation's hazard awaiting review, its submission
    # and the area shared (an attack on our own instance, helper-102). A submission of no
    # organisation, which staff alone see, is compared with every other.
    within = org.id if org else None
    findings[:0] = _records_sent_before(session, kind, frame, replaces, within=within)
    findings = unsaid_twice(findings)
    findings[:0] = not_left_out(
        _pending_elsewhere(session, kind, frame, sha256, replaces, within=within)
        + _overlaps_pending(session, kind, frame, sha256, replaces, within=within),
        result.records,
    )
    other = _other_kind(kind, read.frame.columns)
    if other is not None:
        findings.insert(0, other)
    computed = frame.attrs.get("computed_fields", [])
    if computed:
        findings.insert(
            0,
            FindingData(
                "file_note",
                Severity.WARNING,
                f"{counted(len(computed), 'column')} "
                f"{noun(len(computed), 'is a figure', 'are figures')} ims computes itself (a "
                "register file's): not kept with the records, "
                f"{noun(len(computed), 'it is', 'they are')} computed again: "
                f"{', '.join(computed)}",
            ),
        )
    if extras:
        findings.insert(
            0,
            FindingData(
                "file_note",
                Severity.WARNING,
                f"{counted(len(extras), 'column')} "
                f"{noun(len(extras), 'is not a template field', 'are not template fields')} and "
                f"{noun(len(extras), 'is', 'are')} kept with each record as its own attributes "
                f"(shown on the hazard page, exported, searchable): {', '.join(extras)}",
            ),
        )
    read_in = _read_in(read)
    other_zone = (
        _other_zone(frame, read, read_in, _country(session))
        if read_in is not None and read_in.utm_zone
        else None
    )
    if other_zone is not None:
        findings.insert(0, other_zone)
    same = same_file(
        session,
        sha256,
        kind,
        replaces=replaces,
        within=within,
        choices=Choices(
            repair,
            split and kind == UploadKind.RELEASES,
            in_use.as_json() if in_use else None,  # as its submission keeps it
            read.source_crs,
        ),
    )
    if same is not None:
        findings.insert(0, same)
    submission = Submission(
        kind=kind,
        organisation_id=org.id if org else None,
        filename=filename or upload.name,
        sha256=sha256,
        size_bytes=size,
        crs=read.source_crs,
        layer=read.layer,
        encoding=read.encoding,
        field_map=in_use.as_json() if in_use else None,
        status=SubmissionStatus.VALIDATED,
        feature_count=len(frame),
        uploaded_by=as_actor(uploaded_by).name,
        validated_against=stamp,
        repair=repair,
        split=split and kind == UploadKind.RELEASES,
        own_records=own_records and org is not None,
        # a feature's row, where a workbook's is not its number plus one (findings name
        # features by number: the review says the row)
        sheet_rows=read.sheet_rows
        if read.sheet_rows and read.sheet_rows != list(range(2, len(frame) + 2))
        else None,
    )
    if check_only:
        return StageOutcome(submission, findings, validated=result)
    if replaces is not None:
        earlier_sub = _replaceable(session, replaces, org, kind, lock=True, by_operator=own_records)
        submission.replaces = earlier_sub.id
        left_out = left_out_of_replacement(
            session,
            earlier_sub.id,
            kind,
            result.records,
            rejected=earlier_sub.status == SubmissionStatus.REJECTED,
        )
        if left_out is not None:
            findings.insert(0, left_out)
    session.add(submission)
    session.flush()
    if replaces is not None and earlier_sub.status == SubmissionStatus.VALIDATED:
        _supersede(session, earlier_sub, submission.id, by=uploaded_by)
    blocking = sum(1 for f in findings if f.blocking)
    audit.record(
        session,
        uploaded_by,
        "submission.uploaded",
        "submission",
        submission.id,
        submission_id=submission.id,
        after={
            "kind": kind,
            "filename": submission.filename,
            "sha256": sha256,
            "organisation": org.name if org else None,
            "features": len(frame),
            "errors": blocking,
            "warnings": len(findings) - blocking,
        },
    )
    say("storing the features for review")
    _store_features(session, submission.id, frame, result)
    store_findings(session, submission.id, findings)
    if analyze:
        analyze_staged(session, len(frame))
    kept = False
    # A mapping is remembered once it has read a feature without an error: a file that
    # failed whole (of the other kind, say) would leave a mapping that suits nothing. A
    # release's hazard not recorded (yet) is no error of its reading: a releases file sent
    # before its hazards were approved had lost its mapping (helper-105).
    in_error = {f.row for f in findings if f.blocking and f.code != "unknown_hazard"}
    read_well = None not in in_error and len(in_error) < len(frame)
    # the coordinate system stated for a file that declares none, kept with the mapping
    # (not WGS 84's degrees, the page's default for a file in degrees: it had put itself in
    # the place of the UTM zone the organisation's other files need, helper-108)
    chosen_crs = (
        read.source_crs if read.crs_was_stated and crs and read.source_crs != "EPSG:4326" else None
    )
    if org is not None and given and read_well:
        # (a file that declares its own keeps the one remembered for those that do not)
        before = field_maps.stored_like(session, org, kind, given)
        given = given.with_crs(chosen_crs or given.crs or (before.mapping.crs if before else None))
        kept = field_maps.remember_mapping(session, org, kind, given, by=uploaded_by)
        remembered = field_maps.stored_like(session, org, kind, given)
    elif (
        org is not None
        and origin == "remembered"
        and remembered is not None
        and chosen_crs
        and remembered.mapping.crs != chosen_crs
        and read_well
    ):
        with_crs = remembered.mapping.with_crs(chosen_crs)
        field_maps.remember_mapping(session, org, kind, with_crs, by=uploaded_by)
        remembered = field_maps.stored_like(session, org, kind, with_crs)
    elif org is not None and not given and origin is None and chosen_crs and read_well:
        # a file in the template's own names needs no mapping, and the zone chosen for it
        # had nothing to be kept with: it was asked again for every such file. It is kept
        # alone, a mapping of no columns, which no file is read with (``chosen``)
        only_crs = field_maps.MappingDocument().with_crs(chosen_crs)
        field_maps.remember_mapping(session, org, kind, only_crs, by=uploaded_by)
    return StageOutcome(submission, findings, in_use, origin, remembered, kept, result)


def _read_by_label(
    kind: str, mapping: field_maps.MappingDocument, file_names: dict[str, str]
) -> dict[str, str]:
    """The template's fields a file gives in columns named by the questions' labels of
    ims's form, as a mapping says them ("contam": "Contamination"), where ``mapping`` gives
    them no other way: the submission then keeps where each was read from. Its review had
    said "contam: the file's columns of those names" of a file with none of that name (a
    legacy migration's review, helper-99)."""
    read = {source.casefold() for source in mapping.sources()}
    given = {*mapping.fields, *mapping.constants}
    return {
        new: old
        for new, old in by_label(file_names).items()
        if new in field_maps.FIELDS[kind]
        and new not in given
        and new.casefold() not in read
        and old.casefold() not in read
    }


def _in_template_names(frame: Any, kind: str) -> bool:
    """Whether a file gives every field the template always requires, under its own name."""
    columns = {str(c).lower() for c in frame.columns}
    needed = [f.name for f in TEMPLATES[kind] if f.required is Required.ALWAYS]
    return bool(needed) and all(name in columns for name in needed)


def _and(names: Sequence[str]) -> str:
    """Names as a sentence lists them: "A", "A and B", "A, B and C"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def file_sha256(path: Path) -> str:
    """A file's SHA-256 (hex), read a megabyte at a time: what tells the very same file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Awaiting:
    """A submission of the very same file, for the same organisation, awaiting review (or
    approved: ``approved``)."""

    id: int
    uploaded_at: dt.datetime
    uploaded_by: str | None
    approved: bool = False


def awaiting_twin(
    session: Session, sha256: str, kind: str, organisation: str | None
) -> Awaiting | None:
    """The latest submission of the very same file (bytes and kind) for ``organisation``
    (None: none) that still awaits review: sending it again would add a copy to the
    reviewers' queue (a new user's review retried an upload five times, five copies).
    Else the latest approved: sent again, it would record nothing, which had been said
    only once it was sent (helper-105)."""
    org_id = (
        session.scalar(select(Organisation.id).where(Organisation.name == organisation))
        if organisation
        else None
    )
    if organisation and org_id is None:
        return None
    row = session.execute(
        select(Submission.id, Submission.uploaded_at, Submission.uploaded_by, Submission.status)
        .where(
            Submission.sha256 == sha256,
            Submission.kind == kind,
            Submission.status.in_(
                [SubmissionStatus.UPLOADED, SubmissionStatus.VALIDATED, SubmissionStatus.APPROVED]
            ),
            Submission.organisation_id == org_id
            if org_id is not None
            else Submission.organisation_id.is_(None),
        )
        .order_by(Submission.status == SubmissionStatus.APPROVED, Submission.id.desc())
    ).first()
    if row is None:
        return None
    approved = row.status == SubmissionStatus.APPROVED
    return Awaiting(row.id, row.uploaded_at, row.uploaded_by, approved)


@dataclass(frozen=True)
class Choices:
    """How a file was read: the choices its upload gave (its submission keeps them)."""

    repair: bool
    split: bool
    field_map: Mapping[str, Any] | None
    crs: str | None

    def changed_from(self, earlier: Any) -> list[str]:
        """What these choices change of ``earlier``'s (a submission's row), in words."""
        said = []
        if self.repair != bool(earlier.repair):
            said.append(f"invalid polygons {'repaired' if self.repair else 'not repaired'}")
        if self.split != bool(earlier.split):
            said.append(f"releases {'split' if self.split else 'not split'} among hazards")
        if (self.field_map or {}) != (earlier.field_map or {}):
            said.append("another field mapping (its dates, values or fields)")
        if self.crs != earlier.crs:
            said.append(f"the coordinate system {self.crs}")
        return said


def same_file(
    session: Session,
    sha256: str,
    kind: str,
    before: int | None = None,
    *,
    replaces: int | None = None,
    within: int | None = None,
    choices: Choices | None = None,
) -> FindingData | None:
    """A note that the same file was uploaded before (not rejected nor replaced), as
    submission N: and approved, if it is, so that its features are recorded already. The
    status is the one when this is said: approving a submission checks it again
    (``ims.ingest.approval``). The submission an upload ``replaces`` is not "uploaded
    before (validated, not approved)": it is superseded by this one, whose note says so
    only if it is the very same file (found by a walk-through migrating legacy records).
    ``within``: only that organisation's submissions (an operator's upload: it had told an
    operator of another organisation's file, its number and its status; a third attack)."""
    earlier = session.execute(
        select(
            Submission.id,
            Submission.status,
            Submission.repair,
            Submission.split,
            Submission.field_map,
            Submission.crs,
        )
        .where(
            Submission.sha256 == sha256,
            Submission.kind == kind,
            # the one it replaces is superseded once it is sent, and said as it was then
            Submission.status.not_in(
                [SubmissionStatus.REJECTED, SubmissionStatus.SUPERSEDED, SubmissionStatus.WITHDRAWN]
            )
            | (Submission.id == replaces),
            Submission.id < (before if before is not None else 2**31 - 1),
            true() if within is None else Submission.organisation_id == within,
        )
        .order_by(
            Submission.status != SubmissionStatus.APPROVED,
            Submission.id == replaces,
            Submission.id,
        )
    ).first()
    if earlier is None:
        return None
    if earlier.id == replaces:
        changed = choices.changed_from(earlier) if choices is not None else []
        if changed:
            # sent again read otherwise, which was the correction: it had been told that
            # nothing in it was corrected (a legacy migration's review, helper-99)
            return FindingData(
                "same_file",
                Severity.WARNING,
                f"this is the very file of submission {earlier.id}, which it replaces, read "
                f"with other choices: {'; '.join(changed)}",
            )
        return FindingData(
            "same_file",
            Severity.WARNING,
            f"this is the very file of submission {earlier.id}, which it replaces: nothing in "
            "it is corrected",
        )
    said = f"this file was uploaded before as submission {earlier.id}"
    if earlier.status == SubmissionStatus.APPROVED:
        said += ", which is approved: its features are recorded already"
    else:
        # as it was then: the page's banner says when the other is approved since (a
        # finding read "validated, not approved" below a banner saying it was approved)
        said += f" (then {earlier.status}, not approved)"
    return FindingData("same_file", Severity.WARNING, said)


@dataclass(frozen=True)
class Twin:
    """A decided submission of the very same file (bytes and kind) as another."""

    id: int
    status: str
    decided_at: dt.datetime | None
    decided_by: str | None
    reason: str | None


def _twin(
    session: Session,
    submission_id: int,
    sha256: str,
    kind: str,
    status: SubmissionStatus,
    within: int | None,
) -> Twin | None:
    row = session.execute(
        select(
            Submission.id,
            Submission.status,
            Submission.decided_at,
            Submission.decided_by,
            Submission.reason,
        )
        .where(
            Submission.sha256 == sha256,
            Submission.kind == kind,
            Submission.status == status,
            # one approved in part left features out: sent again once their errors are
            # gone (a munition code added to the list, say), the same file records them
            Submission.partial.is_not(True),
            Submission.id != submission_id,
            true() if within is None else Submission.organisation_id == within,
        )
        .order_by(
            Submission.decided_at.desc()
            if status == SubmissionStatus.REJECTED
            else Submission.decided_at
        )
    ).first()
    if row is None:
        return None
    return Twin(row.id, str(row.status), row.decided_at, row.decided_by, row.reason)


# The releases in force a file names again, as the register's releases file gives them
_RELEASES_IN_FORCE = text(
    """
    SELECT r.reference, h.reference AS hazard, h.contam, r.method, r.released,
           o.name AS operator, r.stated_area_m2, r.attributes, ST_AsBinary(r.geom) AS wkb,
           (SELECT jsonb_object_agg(i.munition_code, i.quantity) FROM release_item i
            WHERE i.release_id = r.id) AS items
    FROM release_in_force r JOIN hazard h ON h.id = r.hazard_id
    LEFT JOIN organisation o ON o.id = r.operator_id
    WHERE r.reference = ANY(:r)
    """
)


def _releases_in_force(session: Session, refs: Sequence[str]) -> dict[str, KnownRelease]:
    """The releases in force among ``refs``, as validation compares a feature sent again."""
    if not refs:
        return {}
    rows = session.execute(_RELEASES_IN_FORCE, {"r": list(refs)}).all()
    polygons: Any = shapely.from_wkb([bytes(r.wkb) for r in rows]) if rows else []
    return {
        r.reference: KnownRelease(
            hazard=r.hazard,
            method=str(r.method),
            released=r.released,
            geom=polygon,
            operator=r.operator,
            stated_m2=r.stated_area_m2,
            items=dict(r.items or {}),
            attributes=dict(r.attributes or {}),
            contam=str(r.contam) if r.contam else None,
        )
        for r, polygon in zip(rows, polygons, strict=True)
    }


def approved_twin(
    session: Session, submission_id: int, sha256: str, kind: str, *, within: int | None = None
) -> Twin | None:
    """The approved submission, uploaded before or after this one, of the very same file.

    Its features are recorded already: approving this one could only be refused, each
    feature an ``already_recorded`` error whose advice (give the date a revision takes
    effect) would record the same features again as revisions. ``same_file`` looks only
    at the submissions sent before; the same file sent twice and the second approved first
    left the first saying what approving it would record (a review as a new user).
    ``within``: that organisation's submissions only (an operator's page)."""
    return _twin(session, submission_id, sha256, kind, SubmissionStatus.APPROVED, within)


def rejected_twin(
    session: Session, submission_id: int, sha256: str, kind: str, *, within: int | None = None
) -> Twin | None:
    """The latest rejected submission of the very same file, with its reason: the reviewer
    of a copy still awaiting review was not told that a colleague had rejected it, and why
    (a review as a new user)."""
    return _twin(session, submission_id, sha256, kind, SubmissionStatus.REJECTED, within)


def _other_kind(kind: str, columns: Any) -> FindingData | None:
    """A warning when the file's own fields are the other kind's, naming them."""
    said = other_kind_said(kind, columns)
    return FindingData("other_kind", Severity.WARNING, said) if said else None


def stage_features(
    session: Session,
    features: Sequence[Mapping[str, Any]],
    *,
    kind: str,
    filename: str,
    organisation: str | None = None,
    uploaded_by: Actor | str | None = None,
    today: dt.date | None = None,
    limits: UploadLimits | None = None,
    expected: Sequence[str] = (),
    own_records: bool = False,
    check_only: bool = False,
    replaces: int | None = None,
) -> StageOutcome:
    """Stage GeoJSON features (EPSG:4326) whose properties are the template's fields
    (and ``expected``, kept as their own: see ``stage``; ``own_records``, ``check_only``
    and ``replaces`` as there: an operator's, compared with its own organisation's
    submissions only; validated, nothing stored; the submission it corrects).

    They are written to a GeoPackage and staged with ``stage`` as an upload would be, so a
    hazard drawn in the browser meets the same validation, findings, review and audit trail
    as a file; properties that are not template fields are kept as attributes. A
    GeoPackage, not GeoJSON: GDAL reads GeoJSON text that looks like a date as a date, and
    one that is not a real date ("2020-02-31") would make the whole file unreadable instead
    of a finding on its field. An organisation's remembered field mapping is not applied:
    the fields are the template's.
    """
    rows = [
        {k: v for k, v in (feature.get("properties") or {}).items() if v is not None}
        for feature in features
    ]
    geometries = [
        shapely.geometry.shape(g) if (g := feature.get("geometry")) else None
        for feature in features
    ]
    frame = gpd.GeoDataFrame(rows, geometry=geometries, crs=4326)
    name = Path(filename).stem or "record"
    with tempfile.TemporaryDirectory(prefix="ims-record-") as folder:
        path = Path(folder) / f"{name}.gpkg"
        frame.to_file(path, driver="GPKG", layer=name)
        return stage(
            session,
            path,
            kind=kind,
            organisation=organisation,
            uploaded_by=uploaded_by,
            limits=limits,
            filename=path.name,
            today=today,
            workdir=Path(folder),
            use_remembered=False,
            expected=expected,
            own_records=own_records,
            check_only=check_only,
            replaces=replaces,
        )


# A form record (KoboToolbox, ODK, Survey123) keeps its submission id (ims.ingest.tables):
# the same record in a later export is named, with the submission that brought it first.
# A record left out of a submission approved in part (it had an error) is not held by it:
# sending it again, corrected, is what the sender was asked to do.
_SENT_BEFORE = text(
    "SELECT DISTINCT ON (rec) sf.record->'_attributes'->>:key AS rec, s.id, s.status"
    " FROM submission_feature sf JOIN submission s ON s.id = sf.submission_id"
    " WHERE s.kind = :kind AND s.status NOT IN ('rejected', 'superseded', 'withdrawn')"
    " AND s.id IS DISTINCT FROM :replaces"
    " AND (CAST(:before AS integer) IS NULL OR s.id < :before)"
    " AND (CAST(:within AS integer) IS NULL OR s.organisation_id = :within)"
    " AND sf.record->'_attributes'->>:key = ANY(:ids)"
    " AND NOT (s.status = 'approved' AND s.partial AND EXISTS ("
    "   SELECT 1 FROM finding f WHERE f.submission_id = s.id"
    "   AND f.row_number = sf.row_number AND f.severity = 'error'))"
    " ORDER BY rec, s.id"
)


def _records_sent_before(
    session: Session,
    kind: str,
    frame: Any,
    replaces: int | None = None,
    *,
    within: int | None = None,
    before: int | None = None,
) -> list[FindingData]:
    """A warning for each form record that an earlier submission holds: not one rejected or
    replaced, nor the one this upload replaces (the corrected export of a submission had
    been told each of its records "was sent before, in submission 18 (validated)", the
    submission it replaced: found by a walk-through as a field team leader). ``within``:
    only that organisation's submissions, as ``same_file`` (an operator had been told the
    number and status of another organisation's submission holding a record id it sent:
    an attack on our own instance). ``before``: only submissions numbered below it (a
    staged submission checked again is not sent before itself)."""
    attributes = frame.get(field_maps.ATTRIBUTES, [])
    ids = {
        str(a[RECORD_ID]): i
        for i, a in enumerate(attributes)
        if isinstance(a, dict) and a.get(RECORD_ID)
    }
    if not ids:
        return []
    rows = session.execute(
        _SENT_BEFORE,
        {
            "key": RECORD_ID,
            "kind": kind,
            "ids": list(ids),
            "replaces": replaces,
            "within": within,
            "before": before,
        },
    )
    found = []
    for record, submission_id, status in rows:
        found.append(
            FindingData(
                "record_sent_before",
                Severity.WARNING,
                f"form record {record} was sent before, in submission {submission_id} "
                f"({status}): take it out of the export "
                + (
                    "(a release is not revised: one recorded wrong is withdrawn, and sent "
                    "again under a new release_id)"
                    if kind == UploadKind.RELEASES
                    else "unless it is meant to revise it"
                ),
                row=ids[record] + 1,
            )
        )
    return sorted(found, key=lambda f: f.row or 0)


# The references the submissions awaiting review hold (not those of the same file, which
# ``same_file`` names once, nor of the one it replaces), each with the first that holds it.
# Read whole and matched in Python: matching a national file's 306,000 references in the
# database (= ANY of them) took 1.7-2.1 s with two small submissions awaiting review.
_PENDING_ELSEWHERE = text(
    "SELECT sf.reference, min(s.id)"
    " FROM submission s JOIN submission_feature sf ON sf.submission_id = s.id"
    " WHERE s.kind = :kind AND s.status IN ('uploaded', 'validated')"
    " AND s.sha256 <> :sha256 AND s.id IS DISTINCT FROM :replaces"
    " AND (CAST(:within AS integer) IS NULL OR s.organisation_id = :within)"
    " AND sf.reference IS NOT NULL"
    " AND NOT COALESCE(sf.clean ?| array['sent_before', 'unchanged'], false)"
    # a feature with an error there is never recorded by it (the warning had pointed at
    # files whose matching features could not be approved: a new user's review)
    " AND NOT EXISTS (SELECT 1 FROM finding e WHERE e.submission_id = s.id"
    "  AND e.row_number = sf.row_number AND e.severity = 'error')"
    " GROUP BY sf.reference"
)


_HAZARDS_PENDING = text(
    "SELECT sf.reference, min(s.id)"
    " FROM submission s JOIN submission_feature sf ON sf.submission_id = s.id"
    " WHERE s.kind = 'hazards' AND s.status IN ('uploaded', 'validated')"
    " AND (CAST(:within AS integer) IS NULL OR s.organisation_id = :within)"
    " AND sf.reference = ANY (:references)"
    " GROUP BY sf.reference"
)


def _hazards_awaiting_review(
    session: Session, findings: list[FindingData], within: int | None
) -> list[FindingData]:
    """Each release's "hazard … is not recorded" that a hazards submission awaiting review
    holds, saying so: a releases file sent before its hazards were approved was told only
    that they were not recorded (a legacy migration's walk-through, helper-105)."""
    named = {
        m.group(1): f
        for f in findings
        if f.code == "unknown_hazard" and (m := _NOT_RECORDED.match(f.message))
    }
    if not named:
        return findings
    held: dict[str, int] = {
        str(reference): int(submission)
        for reference, submission in session.execute(
            _HAZARDS_PENDING, {"references": sorted(named), "within": within}
        )
    }
    told = []
    for f in findings:
        m = _NOT_RECORDED.match(f.message) if f.code == "unknown_hazard" else None
        if m and m.group(1) in held:
            f = dataclasses.replace(
                f,
                message=f"{f.message} yet: it awaits review in submission "
                f"{held[m.group(1)]}; send these releases again once it is approved",
            )
        told.append(f)
    return told


_NOT_RECORDED = re.compile(r"^hazard (.+) is not recorded$")


def _pending_elsewhere(
    session: Session,
    kind: str,
    frame: Any,
    sha256: str,
    replaces: int | None,
    *,
    within: int | None = None,
) -> list[FindingData]:
    """A warning for each feature whose hazard or release another submission awaiting
    review holds too: two revisions of one hazard sent in two files were each staged
    without a word, and approving both recorded both (a review as a data manager).
    ``within``: only that organisation's submissions, as ``same_file``."""
    field = "release_id" if kind == UploadKind.RELEASES else "hazard_id"
    if field not in frame.columns:
        return []
    rows: dict[str, list[int]] = {}
    for i, value in enumerate(frame[field]):
        if not blank(value):
            rows.setdefault(str(value).strip()[:100], []).append(i + 1)
    if not rows:
        return []
    held = session.execute(
        _PENDING_ELSEWHERE,
        {"kind": kind, "sha256": sha256, "replaces": replaces, "within": within},
    ).all()
    found = sorted((reference, other) for reference, other in held if reference in rows)
    what = "release" if kind == UploadKind.RELEASES else "hazard"
    tell = (
        "approving both would record it twice: reject one if it is the same release sent again"
        if kind == UploadKind.RELEASES
        else "approving both records both, in the order they are approved: reject one if it "
        "is the same change sent again"
    )
    findings = [
        FindingData(
            "pending_elsewhere",
            Severity.WARNING,
            f"{what} {reference} is also in submission {other}, awaiting review: {tell}",
            row=row,
            reference=reference,
            field=field,
        )
        for reference, other in found
        for row in rows[reference]
    ]
    return sorted(findings, key=lambda f: f.row or 0)


# New hazards of the hazards submissions awaiting review (not of the same file, nor of
# the one an upload replaces) whose polygons reach into a box: the same hazard sent twice
# under two references by two files had been told nothing until the second approval.
# Staged features are never searched by place elsewhere (no index): the box test runs
# over the features of the submissions awaiting review alone.
_PENDING_HAZARDS = text(
    "SELECT sf.reference, s.id, ST_AsBinary(sf.geom) AS wkb"
    " FROM submission s JOIN submission_feature sf ON sf.submission_id = s.id"
    " WHERE s.kind = 'hazards' AND s.status IN ('uploaded', 'validated')"
    " AND s.sha256 <> :sha256 AND s.id IS DISTINCT FROM :replaces"
    " AND (CAST(:within AS integer) IS NULL OR s.organisation_id = :within)"
    " AND sf.geom IS NOT NULL AND sf.reference IS NOT NULL"
    " AND coalesce(btrim(sf.record->>'revised'), '') = ''"
    " AND sf.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)"
    # as _PENDING_ELSEWHERE: a feature with an error there is never recorded by it
    " AND NOT EXISTS (SELECT 1 FROM finding e WHERE e.submission_id = s.id"
    "  AND e.row_number = sf.row_number AND e.severity = 'error')"
)
_PENDING_OVERLAPS_SHOWN = 5  # other hazards named a feature


def _overlaps_pending(
    session: Session,
    kind: str,
    frame: Any,
    sha256: str,
    replaces: int | None,
    *,
    within: int | None = None,
) -> list[FindingData]:
    """A warning for each new hazard of a hazards file that shares ground with a new hazard
    of another submission awaiting review under another reference (the same reference is
    ``_pending_elsewhere``'s): approving both counts the shared ground twice, and a hazard
    recorded twice is then withdrawn (docs/design.md §2.9). ``within``: only that
    organisation's submissions, as ``same_file``. Bounded as the file's own overlap check
    (``OVERLAP_BUDGET`` pairs, ``OVERLAP_VERTICES`` vertices): beyond, nothing is said
    here, and the file's own check has said it overlaps too much to check."""
    if kind != UploadKind.HAZARDS or "hazard_id" not in frame.columns or not len(frame):
        return []
    revised = frame["revised"] if "revised" in frame.columns else [None] * len(frame)
    mine: list[tuple[int, str, Any]] = []
    for i, (ref, day, geom) in enumerate(
        zip(frame["hazard_id"], revised, frame.geometry, strict=True)
    ):
        if blank(ref) or not blank(day) or geom is None or geom.is_empty or not geom.is_valid:
            continue
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            continue
        mine.append((i, str(ref).strip()[:100], geom))
    if not mine:
        return []
    xmin, ymin, xmax, ymax = shapely.total_bounds([g for _, _, g in mine])
    if not all(math.isfinite(v) for v in (xmin, ymin, xmax, ymax)):
        return []
    rows = session.execute(
        _PENDING_HAZARDS,
        {
            "sha256": sha256,
            "replaces": replaces,
            "within": within,
            "x0": xmin,
            "y0": ymin,
            "x1": xmax,
            "y1": ymax,
        },
    ).all()
    if not rows:
        return []
    theirs: Any = shapely.from_wkb([bytes(r.wkb) for r in rows])
    tree = shapely.STRtree(theirs)
    geoms = np.array([g for _, _, g in mine], dtype=object)
    near, by = tree.query(geoms)  # boxes only: what the exact tests would cost
    vertices = shapely.get_num_coordinates(theirs)
    if (
        len(near) > OVERLAP_BUDGET
        or int(vertices[by].sum() + shapely.get_num_coordinates(geoms[near]).sum())
        > OVERLAP_VERTICES
    ):
        return []
    left, right = tree.query(geoms, predicate="intersects")
    pairs = [
        (int(a), int(b))
        for a, b in zip(left, right, strict=True)
        if rows[b].reference != mine[a][1]  # the same reference: _pending_elsewhere's
    ]
    if not pairs:
        return []
    shared = shapely.intersection(
        np.array([geoms[a] for a, _ in pairs], dtype=object),
        np.array([theirs[b] for _, b in pairs], dtype=object),
    )
    areas = geodesic_areas(list(shared)).tolist()
    hits: dict[int, list[tuple[str, int, float]]] = {}
    for (a, b), m2 in zip(pairs, areas, strict=True):
        if m2 >= OPEN_THRESHOLD_M2:
            hits.setdefault(a, []).append((rows[b].reference, rows[b].id, m2))
    findings = []
    for a, found in sorted(hits.items()):
        i, ref, _ = mine[a]
        found.sort(key=lambda h: -h[2])
        listing = ", ".join(
            f"hazard {other} in submission {sid} ({m2:,.0f} m²)"
            for other, sid, m2 in found[:_PENDING_OVERLAPS_SHOWN]
        )
        if len(found) > _PENDING_OVERLAPS_SHOWN:
            listing += f" and {len(found) - _PENDING_OVERLAPS_SHOWN:,} more"
        findings.append(
            FindingData(
                "overlaps_pending",
                Severity.WARNING,
                f"overlaps {listing}, awaiting review: approving both counts the shared "
                "ground twice; reject one if it is the same hazard sent again",
                row=i + 1,
                reference=ref,
                field="geometry",
            )
        )
    return findings


def not_left_out(
    findings: Sequence[FindingData], records: Sequence[Mapping[str, Any]]
) -> list[FindingData]:
    """The findings but those on features the approval passes by (recorded already,
    unchanged): another submission holding the same release had been warned of on each
    release of a file sent back whole, which records none of them."""
    left = {i + 1 for i, r in enumerate(records) if SENT_BEFORE in r or UNCHANGED in r}
    return [f for f in findings if f.row not in left] if left else list(findings)


def about_other_submissions(
    session: Session, submission: Submission, frame: Any
) -> list[FindingData]:
    """The warnings a staged submission's features had that name other submissions (its
    hazards or releases awaiting review in another, its form records sent before), found
    again as the database is now: an approval that checks a submission again stores its
    findings anew, and these had been dropped, so that the review page no longer said a
    hazard was in another submission awaiting review (``ims.ingest.approval``)."""
    within = submission.organisation_id  # (see ``stage``: whoever sent it)
    return [
        *_pending_elsewhere(
            session, submission.kind, frame, submission.sha256, submission.replaces, within=within
        ),
        *_overlaps_pending(
            session, submission.kind, frame, submission.sha256, submission.replaces, within=within
        ),
        *_records_sent_before(
            session,
            submission.kind,
            frame,
            submission.replaces,
            within=within,
            before=submission.id,
        ),
    ]


def sent_for_the_authority(submission: Submission, act: str) -> str:
    """Why an operator may not ``act`` on ``submission``: the authority sent it."""
    return (
        f"submission {submission.id} was sent by {submission.uploaded_by or 'the authority'} "
        f"for the national authority, in your organisation's name: an operator {act} only "
        "what an operator sent; a reviewer rejects it, with a reason, if it is not to be "
        "recorded"
    )


def _replaceable(
    session: Session,
    submission_id: int,
    org: Organisation | None,
    kind: str,
    *,
    lock: bool = False,
    by_operator: bool = False,
) -> Submission:
    """The submission an upload replaces, if it may: the same organisation's, of the same
    kind, still awaiting review and not replaced already, and, for an operator's upload
    (``by_operator``), one an operator sent; NotFound, Conflict or Forbidden otherwise.

    ``lock`` holds its row until the transaction ends, so an approval under way finishes
    first (and this one then sees it approved) and no approval starts meanwhile. The
    sender is checked here, under the lock, as well as before the upload is queued: an
    upload queued to replace a submission not sent yet had superseded the authority's
    record that took its number meanwhile (helper-113).
    """
    query = select(Submission).where(Submission.id == submission_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    earlier = session.scalars(query).first()
    if earlier is None or (org is not None and earlier.organisation_id != org.id):
        raise NotFound(f"submission {submission_id} does not exist (for this organisation)")
    if earlier.organisation_id is not None and org is None:
        raise Conflict(
            f"submission {submission_id} belongs to an organisation: name it to replace it"
        )
    if earlier.kind != kind:
        raise Conflict(
            f"submission {submission_id} holds {earlier.kind}, not {kind}: it cannot be "
            "replaced by this upload"
        )
    later = session.scalar(select(Submission.id).where(Submission.replaces == submission_id))
    if later is not None:
        raise Conflict(f"submission {submission_id} is replaced already, by submission {later}")
    # A rejected one is corrected: the new file is linked to it, so that its reviewer reads
    # it beside the reason for the rejection (a corrected file could name only a submission
    # awaiting review, and came as a new one: a walk-through). It stays rejected.
    if earlier.status not in (SubmissionStatus.VALIDATED, SubmissionStatus.REJECTED):
        raise Conflict(
            f"submission {submission_id} is {earlier.status}: only a submission awaiting "
            "review can be replaced, or a rejected one corrected"
        )
    if by_operator and earlier.status == SubmissionStatus.VALIDATED and not earlier.own_records:
        raise Forbidden(sent_for_the_authority(earlier, "replaces"))
    return earlier


def left_out_of_replacement(
    session: Session,
    earlier_id: int,
    kind: str,
    records: Sequence[Mapping[str, Any]],
    *,
    rejected: bool = False,
) -> FindingData | None:
    """A warning naming the features of the submission an upload replaces (or corrects,
    ``rejected``) that it does not hold (a release by its reference, a hazard or revision by
    its reference and date): the findings file holds only the features with findings, and a
    data manager who fixed and sent back just those lost the clean ones without a word."""
    key = "release_id" if kind == UploadKind.RELEASES else "hazard_id"

    def identity(ref: Any, revised: Any) -> tuple[str, str | None]:
        return str(ref), (revised if kind == UploadKind.HAZARDS else None)

    sent = {identity(r.get(key), r.get("revised")) for r in records if r.get(key)}
    earlier = [
        (row, ref, revised)
        for row, ref, revised in session.execute(
            text(
                "SELECT row_number, record->>:key, record->>'revised' FROM submission_feature "
                "WHERE submission_id = :s AND record->>:key IS NOT NULL"
                # recorded already, unchanged: nothing of it waits to be sent again
                " AND (clean IS NULL OR NOT clean ?| CAST(:sent AS text[])) ORDER BY row_number"
            ),
            {"s": earlier_id, "key": key, "sent": [SENT_BEFORE, UNCHANGED]},
        )
    ]
    unmatched = [f for f in earlier if identity(f[1], f[2]) not in sent]
    # A revision whose date was the thing corrected is in the file under another date:
    # the hazard's features of the new file that match none of the earlier ones stand for
    # as many of its unmatched ones (a data manager who corrected "revised 2027-01-15" to
    # 2026-11-15 was told the feature was left out and would not be recorded: helper-97)
    spare = (
        Counter(str(r.get(key)) for r in records if r.get(key))
        if kind == UploadKind.HAZARDS
        else Counter()
    )
    for _row, ref, revised in earlier:
        if identity(ref, revised) in sent:
            spare[str(ref)] -= 1
    missing = []
    for row, ref, revised in unmatched:
        if spare[str(ref)] > 0:
            spare[str(ref)] -= 1
        else:
            missing.append((row, ref, revised))
    if not missing:
        return None
    named = ", ".join(
        f"{ref}{f' revised {revised}' if revised else ''} (feature {row})"
        for row, ref, revised in missing[:10]
    )
    more = f" and {len(missing) - 10:,} more" if len(missing) > 10 else ""
    return FindingData(
        "left_out_of_replacement",
        Severity.WARNING,
        f"{counted(len(missing), 'feature')} of submission {earlier_id}, which this upload "
        f"{'corrects (it was rejected)' if rejected else 'replaces'}, "
        f"{noun(len(missing), 'is', 'are')} not in this file "
        f"and will not be recorded unless sent again: {named}{more}",
    )


def _supersede(
    session: Session, earlier: Submission, later_id: int, *, by: Actor | str | None
) -> None:
    """Mark ``earlier`` superseded by the submission ``later_id`` (nothing of it applied)."""
    earlier.status = SubmissionStatus.SUPERSEDED
    earlier.decided_at = func.now()
    earlier.decided_by = as_actor(by).name
    earlier.noted = False  # reports note what awaits review; this no longer does
    audit.record(
        session,
        by,
        "submission.superseded",
        "submission",
        earlier.id,
        submission_id=earlier.id,
        before={"status": SubmissionStatus.VALIDATED},
        after={"status": SubmissionStatus.SUPERSEDED, "replaced_by": later_id},
    )
    session.flush()


def replaced_by(session: Session, submission_id: int) -> int | None:
    """The submission that replaced this one, if any."""
    return session.scalar(select(Submission.id).where(Submission.replaces == submission_id))


def _store_features(
    session: Session, submission_id: int, frame: Any, result: ValidationResult
) -> None:
    raw: Any = session.connection().connection.driver_connection
    columns = [c for c in frame.columns if c != frame.geometry.name]
    cells = [[jsonable(v) for v in column_cells(frame[c])] for c in columns]
    values = (dict(zip(columns, row, strict=True)) for row in zip(*cells, strict=True))
    reference_field = "hazard_id" if "release_id" not in columns else "release_id"
    # The original geometry is kept only where it is not usable (it is then the only
    # trace of where the broken feature lies) or was repaired (what was sent, beside what
    # would be recorded); a usable one is ``geom`` itself.
    usable = np.array(result.geometries, dtype=object)
    kept = np.array(
        [g is None or i in result.repaired for i, g in enumerate(result.geometries)], dtype=bool
    )
    originals = np.array(list(frame.geometry), dtype=object)
    originals[~kept] = None
    # the geometries' text a block at a time: for a whole national file it is hundreds of MB
    geoms_hex = (
        h for i in range(0, len(usable), _BLOCK) for h in _ewkb_array(usable[i : i + _BLOCK])
    )
    raw_hex = _ewkb_array(originals)
    with (
        raw.cursor() as cur,
        cur.copy(
            "COPY submission_feature (submission_id, row_number, reference, record, clean, "
            "geom, raw_geom) FROM STDIN"
        ) as copy,
    ):
        for i, (record, clean_record, geom_hex, original_hex) in enumerate(
            zip(values, result.records, geoms_hex, raw_hex, strict=True)
        ):
            ref = record.get(reference_field)
            copy.write_row(
                (
                    submission_id,
                    i + 1,
                    None if ref is None else str(ref).strip()[:100],  # as validation reads it
                    _json(record),
                    _json(jsonable(clean_record)),
                    geom_hex,
                    original_hex,
                )
            )


_BLOCK = 10_000  # features whose geometries are written out at once


def _json(value: Any) -> str:
    """JSON text of a staged row: orjson, ten times faster than json on a national file;
    json for what orjson refuses (an integer beyond 64 bits)."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False)


def _loads(value: str) -> Any:
    """A staged row's JSON: orjson, but json where a number may pass 64 bits (orjson
    would read it as a float; any run of 19 digits, in text too, takes the exact way)."""
    return json.loads(value) if _LONG_DIGITS.search(value) else orjson.loads(value)


_LONG_DIGITS = re.compile(r"\d{19}")


def _ewkb_array(geoms: Any) -> list[str | None]:
    """Hex EWKB (SRID 4326) of each geometry; None for a missing or empty one."""
    out: list[str | None] = [None] * len(geoms)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if present.any():
        for i, h in zip(np.flatnonzero(present).tolist(), ewkb_hex(geoms[present]), strict=True):
            out[i] = h
    return out


def store_findings(session: Session, submission_id: int, findings: Sequence[FindingData]) -> None:
    session.execute(text("DELETE FROM finding WHERE submission_id = :s"), {"s": submission_id})
    session.execute(
        text("UPDATE submission SET findings_at = clock_timestamp() WHERE id = :s"),
        {"s": submission_id},
    )
    if findings:
        session.execute(
            insert(Finding),
            [
                {
                    "submission_id": submission_id,
                    "code": f.code,
                    "severity": f.severity.value,
                    "row_number": f.row,
                    "reference": (f.reference or None) and f.reference[:100],
                    "field": f.field,
                    "message": f.message,
                }
                for f in findings
            ],
        )


def get_submission(session: Session, submission_id: int) -> Submission:
    """The submission with this id, or NotFound."""
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFound(f"submission {submission_id} does not exist")
    return submission


def findings_of(
    session: Session, submission_id: int, *, limit: int | None = None
) -> list[FindingData]:
    """The stored findings of a submission, errors first, in feature order (the first
    ``limit`` of them, where given)."""
    query = (
        select(Finding)
        .where(Finding.submission_id == submission_id)
        .order_by(
            Finding.severity != Severity.ERROR.value,
            func.coalesce(Finding.row_number, 0),
            Finding.id,
        )
        .limit(limit)
    )
    return [
        FindingData(r.code, Severity(r.severity), r.message, r.row_number, r.reference, r.field)
        for r in session.scalars(query)
    ]


def findings_counted(session: Session, submission_id: int) -> tuple[int, int]:
    """A submission's errors and its findings in all."""
    errors, total = session.execute(
        select(func.count().filter(Finding.severity == Severity.ERROR.value), func.count()).where(
            Finding.submission_id == submission_id
        )
    ).one()
    return int(errors), int(total)
