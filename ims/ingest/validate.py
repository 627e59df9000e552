"""Checking an uploaded layer feature by feature: every problem becomes a finding (§4).

Validation never stops at the first problem: a data manager gets the whole list, each
finding naming the feature (its row and reference), the field and what to do. Geometry
checks run on whole arrays (shapely 2); the overlap check uses an STRtree.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import math
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from ims.domain import as_of
from ims.domain.enums import Contamination, HazardStatus
from ims.domain.findings import Finding, Severity
from ims.domain.geodesy import AREA_BLOCK, geodesic_areas
from ims.domain.geometry import invalid_in_words
from ims.domain.polygons import SLIVER_AREA_M2, in_threads, object_array, polygonal
from ims.domain.records import NONE_TEXT, says_none
from ims.domain.references import reference_problem
from ims.domain.split import ReleaseSplit, split_release
from ims.errors import InvalidRequest
from ims.ingest.fields import (
    CLEARABLE,
    HAZARDS,
    REFERENCE_MAX,
    RELEASES,
    Field,
    FieldType,
    blank,
    by_name,
    cell_text,
    column_cells,
    day_and_month,
    parse_date,
    parse_quantities,
    parse_year,
)
from ims.words import counted, first_of, noun

ERROR, WARNING = Severity.ERROR, Severity.WARNING
GEOD = Geod(ellps="WGS84")

SLIVER_COMPACTNESS = 0.01  # 4πA/P²: 1 for a circle, ~0.01 for a 1:300 strip
LONG_EDGE_M = 20_000.0  # a hazard edge longer than this is most likely a typo'd vertex
OUTSIDE_SHARE_WARNING = 0.01
OUTSIDE_SHARE_ERROR = 0.5  # more than half of a feature outside the country: an error
RELEASE_OUTSIDE_WARNING = 0.5
# A release whose part outside its hazard is at least this share and this area is told so
# too: the part is not counted, and design §2.2 promises a finding (only more than half
# had been told). Under it, the part is a boundary drawn a little off, not ground.
RELEASE_PARTLY_OUTSIDE_SHARE = 0.10
RELEASE_PARTLY_OUTSIDE_M2 = 100.0
# A feature lying on a record of land released outside hazards, by as much, is told so
ON_OUTSIDE_SHARE = RELEASE_PARTLY_OUTSIDE_SHARE
ON_OUTSIDE_M2 = RELEASE_PARTLY_OUTSIDE_M2
# A field team's day may be ahead of the server's: a server kept on UTC is still on
# yesterday until 07:00 in Lao PDR, and a release completed and sent that morning was
# refused as dated in the future (a review as a data manager). A date is in the future
# when it is after the day after the server's (the phones' forms check their own today).
AHEAD_OF_THE_SERVER = dt.timedelta(days=1)
AREA_TOLERANCE = 0.10  # stated vs computed area
EDGE_NOISE_SHARE = 1e-6  # of a release "outside" its hazard: a shared edge's float noise
NEAR_EMPTY_M2 = 1.0  # a polygon smaller than this is a slip, not ground (OPEN_THRESHOLD_M2)


@dataclass(frozen=True)
class KnownHazard:
    """A hazard already in the database, as validation needs it."""

    id: int
    recorded: dt.date
    boundary: BaseGeometry
    is_open: bool
    # the revision in force: what a revision that changes nothing would repeat
    status: str | None = None
    used_from: int | None = None
    used_to: int | None = None
    marked: dt.date | None = None
    munitions: Mapping[str, int] | None = None
    operator: str | None = None  # the organisation the revision in force names
    in_force_from: dt.date | None = None  # the date the revision in force took effect
    attributes: Mapping[str, Any] | None = None  # the upload's own columns it holds
    # when and by whom the revision in force was recorded, and the status before it
    in_force_recorded: dt.date | None = None
    in_force_by: str | None = None
    status_before: str | None = None
    contam: str | None = None  # the hazard's kind, which a revision keeps


@dataclass(frozen=True)
class KnownRelease:
    """A release recorded (in force), as a file sending it back again would give it."""

    hazard: str
    method: str
    released: dt.date
    geom: BaseGeometry
    operator: str | None = None
    stated_m2: float | None = None
    items: Mapping[str, int] = field(default_factory=dict)
    attributes: Mapping[str, Any] = field(default_factory=dict)
    contam: str | None = None  # its hazard's kind


# a release recorded: its reference, its date and its polygon
Released = tuple[str, dt.date, BaseGeometry]


@dataclass
class ValidationContext:
    """What validation needs to know about the database and the day."""

    today: dt.date
    munition_codes: set[str]
    country: BaseGeometry | None = None
    hazards: dict[str, KnownHazard] = field(default_factory=dict)
    release_refs: set[str] = field(default_factory=set)
    # of those in force, as recorded: a file sent back whole repeats them
    releases: dict[str, KnownRelease] = field(default_factory=dict)
    # of those, releases withdrawn as recorded in error (docs/design.md §2.8)
    withdrawn_refs: set[str] = field(default_factory=set)
    # hazards the file names that were withdrawn as recorded in error (§2.9)
    withdrawn_hazards: set[str] = field(default_factory=set)
    # a file's references that read as another, recorded or in the file (Cyrillic АТ-1
    # beside AT-1, at-1 beside AT-1): the other one (ims.domain.references.twins)
    twins: dict[str, str] = field(default_factory=dict)
    # hazards the file names that are not recorded but one is but for capitals, separators
    # or leading zeros: the name's ``reference_key`` → the recorded references
    recorded_as: dict[str, list[str]] = field(default_factory=dict)
    # references recorded of the form REF#… for a REF of the releases file: the names a
    # split release's parts would take
    part_refs: set[str] = field(default_factory=set)
    # releases recorded on the hazards a releases file names, by (hazard, date): their
    # references and polygons, to tell the same result sent again under another reference
    recorded_releases: dict[tuple[str, dt.date], list[tuple[str, BaseGeometry]]] = field(
        default_factory=dict
    )
    # the reference list of organisations, lower-cased name -> name (None: not checked)
    organisations: dict[str, str] | None = None
    # the organisation the submission is for, whose records alone it may hold (None: a
    # file of several operators', uploaded by the authority)
    uploader: str | None = None
    # each hazard a hazards file revises that has releases: the area of its boundary in
    # force, the area remaining and the remaining ground (the ledger's)
    remaining: dict[str, tuple[float, float, BaseGeometry]] = field(default_factory=dict)
    # open hazards near the upload, for the overlap check
    open_refs: list[str] = field(default_factory=list)
    open_geoms: list[BaseGeometry] = field(default_factory=list)
    # the uploader's choices: repair invalid polygons; split named releases among hazards
    repair: bool = False
    split: bool = False
    # how the file writes the dates of each own column, day or month first, where known
    # (ims.ingest.submissions.date_orders): what a value sent again is compared in
    date_orders: dict[str, str] = field(default_factory=dict)
    # every hazard boundary near the upload, loaded when a release is matched by geometry
    boundary_loader: Callable[[], HazardBoundaries] | None = None
    # every boundary of the named hazards, oldest first, loaded for those a release is
    # dated before the revision in force of (it is checked against the boundary then)
    history_loader: Callable[[Sequence[str]], Mapping[str, Sequence[BoundaryVersion]]] | None = None
    # the releases in force of named hazards dated on or after a day each, oldest first
    # (reference, released, polygon): loaded for the revisions dated before them
    releases_loader: Callable[[Mapping[str, dt.date]], Mapping[str, Sequence[Released]]] | None = (
        None
    )
    # each step of the checks as it starts ("validating: …"), for `ims import` and the
    # upload page: a national file's checks had been one silent step of 20-40 s
    say: Callable[[str], None] = field(default=lambda message: None, repr=False)
    # the records of land released outside recorded hazards near the upload that Form 1(i)
    # counts (ims.db.outside), loaded when first needed
    outside_loader: Callable[[], OutsideRecords] | None = None
    _boundaries: HazardBoundaries | None = None
    _outside: OutsideRecords | None = None

    def boundaries(self) -> HazardBoundaries:
        """The hazard boundaries near the upload (loaded once, when first needed)."""
        if self._boundaries is None:
            self._boundaries = (
                self.boundary_loader() if self.boundary_loader else HazardBoundaries([])
            )
        return self._boundaries

    def outside_records(self) -> OutsideRecords:
        """The counted records of land released outside hazards near the upload."""
        if self._outside is None:
            self._outside = self.outside_loader() if self.outside_loader else OutsideRecords([])
        return self._outside

    @functools.cached_property
    def munitions_by_folded(self) -> dict[str, str]:
        """The munition codes by their capitals folded (none two codes share): a file's
        "Blu-26" is BLU-26, as its "sha" is SHA (an unknown type had been said of it, and
        the upload page maps no munition codes: a legacy migration's review, helper-99)."""
        folded: dict[str, list[str]] = {}
        for code in self.munition_codes:
            folded.setdefault(code.casefold(), []).append(code)
        return {key: codes[0] for key, codes in folded.items() if len(codes) == 1}


@dataclass(frozen=True)
class OutsideRecord:
    """A record of land released outside recorded hazards that Form 1(i) counts."""

    reference: str
    released: dt.date
    contam: str
    geometry: BaseGeometry


class OutsideRecords:
    """Counted records of land released outside hazards, to tell a feature that lies on one
    (an attack on our own instance: the same ground counted twice, apart and in a hazard
    recorded later, with no finding at any step)."""

    def __init__(self, records: Sequence[OutsideRecord]) -> None:
        self._records = list(records)
        self._tree = shapely.STRtree([r.geometry for r in self._records])

    def candidates(self, geoms: Sequence[BaseGeometry | None]) -> set[int]:
        """The positions of ``geoms`` whose envelope meets a record's (a vectorised pass:
        a national file is checked against them at once)."""
        if not self._records:
            return set()
        usable = [i for i, g in enumerate(geoms) if g is not None]
        if not usable:
            return set()
        hits = self._tree.query(object_array([geoms[i] for i in usable]))
        return {usable[int(k)] for k in np.unique(hits[0])}

    def on(
        self, geom: BaseGeometry, contam: str, since: dt.date = dt.date.min
    ) -> tuple[float, list[OutsideRecord]]:
        """The m² of ``geom`` that lies on the records of ``contam`` released on or after
        ``since``, and those records, if it reaches the warning's size (a tenth of ``geom``
        or of the records it lies on, and 100 m²: less is a boundary drawn a little off)."""
        hits = self._tree.query(geom, predicate="intersects")
        near = [self._records[int(k)] for k in sorted(hits)]
        near = [r for r in near if r.contam == contam and r.released >= since]
        if not near:
            return 0.0, []
        union = shapely.union_all([r.geometry for r in near])
        shared_m2 = float(geodesic_areas([shapely.intersection(geom, union)])[0])
        whole_m2 = float(min(geodesic_areas([geom, union])))
        if shared_m2 < ON_OUTSIDE_M2 or shared_m2 < ON_OUTSIDE_SHARE * whole_m2:
            return 0.0, []
        # the records sharing ground with it, not only an edge or its float noise (1 m²)
        shares = geodesic_areas([shapely.intersection(r.geometry, geom) for r in near])
        return shared_m2, [r for r, m2 in zip(near, shares.tolist(), strict=True) if m2 >= 1.0]


@dataclass(frozen=True)
class BoundaryVersion:
    """One hazard boundary in force from ``effective`` (revisions in recording order)."""

    reference: str
    effective: dt.date
    seq: int
    geometry: BaseGeometry
    contam: str | None = None  # the hazard's kind of contamination


class HazardBoundaries:
    """Hazard boundaries by date, to match a release to the hazards it lies on (§2.7)."""

    def __init__(self, versions: Sequence[BoundaryVersion]) -> None:
        self._versions = list(versions)
        self._by_ref: dict[str, list[int]] = defaultdict(list)
        for i, v in enumerate(self._versions):
            self._by_ref[v.reference].append(i)
        for indices in self._by_ref.values():
            indices.sort(key=lambda i: (self._versions[i].effective, self._versions[i].seq))
        self._tree = shapely.STRtree([v.geometry for v in self._versions])

    def in_force(self, geom: BaseGeometry, day: dt.date) -> list[tuple[str, MultiPolygon]]:
        """(reference, boundary in force on ``day``) of each hazard whose boundary then
        shares ground with ``geom``, by reference. A hazard recorded later is not there."""
        hits = self._tree.query(geom, predicate="intersects")
        found: dict[str, MultiPolygon] = {}
        for ref in {self._versions[int(i)].reference for i in hits}:
            current = [i for i in self._by_ref[ref] if self._versions[i].effective <= day]
            if not current:
                continue
            boundary = self._versions[current[-1]].geometry
            if boundary.intersects(geom):
                found[ref] = _multipolygon(boundary)
        return sorted(found.items())

    def one_kind(self, refs: Collection[str]) -> str | None:
        """The kind of contamination the hazards ``refs`` are all of; None: several, or
        none known."""
        kinds = {self._versions[self._by_ref[r][0]].contam for r in refs if self._by_ref.get(r)}
        return next(iter(kinds)) if len(kinds) == 1 else None


@dataclass
class ValidationResult:
    """Findings, and each feature's clean values and polygon (None where unusable)."""

    findings: list[Finding]
    records: list[dict[str, Any]]
    geometries: list[MultiPolygon | None]
    repaired: set[int] = field(default_factory=set)  # features whose polygon was repaired

    @property
    def errors(self) -> int:
        """Number of blocking findings."""
        return sum(1 for f in self.findings if f.blocking)


class _Collector:
    """Collects findings for one feature at a time."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.row: int | None = None
        self.reference: str | None = None

    def add(
        self, code: str, severity: Severity, message: str, field_name: str | None = None
    ) -> None:
        self.findings.append(Finding(code, severity, message, self.row, self.reference, field_name))

    def parse(self, func: Callable[..., Any], value: Any, field_name: str) -> Any:
        """Parse one field; a bad value becomes an error finding on that field."""
        try:
            return func(value, where=field_name)
        except InvalidRequest as exc:
            self.add("bad_value", ERROR, exc.detail.removeprefix(f"{field_name}: "), field_name)
            return None


def _reference(out: _Collector, value: Any, field_name: str, *, new: bool = True) -> str | None:
    """A reference as text; too long, or one that would read as or address another
    (``ims.domain.references``), is an error."""
    ref = cell_text(value)
    if ref is None:
        return None
    if len(ref) > REFERENCE_MAX:
        out.add(
            "bad_value",
            ERROR,
            f"{field_name} is {len(ref)} characters long; a reference has at most {REFERENCE_MAX}",
            field_name,
        )
        return None
    if says_none(ref):
        # the word that empties a field in a revision: as a reference it would read as
        # "no hazard" beside every field it empties (a review of our own changes)
        out.add(
            "bad_value",
            ERROR,
            f'{field_name} is "{ref}", which is not a reference: "{NONE_TEXT}" empties a '
            "field of a revision; give the area's reference",
            field_name,
        )
        return None
    problem = reference_problem(ref, field_name, new=new)  # reads or addresses as another
    if problem is not None:
        out.add("bad_value", ERROR, problem, field_name)
        return None
    return ref


# What a spreadsheet's user types for "no hazard" (a review as a new user: a release's
# hazard_id "-" was told "hazard - is not recorded", and nothing said that an empty one is
# matched by its polygon).
_PLACEHOLDERS: Final = frozenset(("n/a", "na", "none", "nil", "null", "unknown", "outside"))


def _unknown_hazard(ref: str) -> str:
    """The finding of a release naming a hazard that is not recorded; a placeholder is told
    what an empty hazard_id does (docs/design.md §2.7)."""
    if ref.casefold() in _PLACEHOLDERS or not any(c.isalnum() for c in ref):
        return (
            f'hazard_id "{ref}" names no hazard: give the reference of the hazard the land '
            "was released from, or leave hazard_id empty: the release is then matched to the "
            "hazards it lies on, and what lies on none is land released outside recorded hazards"
        )
    return f"hazard {ref} is not recorded"


_SEPARATORS = re.compile(r"[\s\-_/.:]+")
_BETWEEN_DIGITS = re.compile(r"(?<=[0-9])[\s\-_/.:]+(?=[0-9])")
_LEADING_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")


def reference_key(ref: str) -> str:
    """A reference without its capitals, separators (spaces, - _ / . :) and the zeros that
    pad its numbers: "kh 243", "KH-0243" and "KH-000243" have one key. Legacy files write
    a hazard's reference so; a release naming it had been told only "not recorded". A
    separator between two digits parts two numbers: "KH-3.0" (a spreadsheet's number) had
    been sent to KH-000030 (helper-135)."""
    kept = _BETWEEN_DIGITS.sub("|", ref.casefold())
    return _LEADING_ZEROS.sub("", _SEPARATORS.sub("", kept))


def _not_recorded(ref: str, ctx: ValidationContext) -> str:
    """A named hazard that is not recorded, with the one recorded but for capitals,
    separators or padding zeros: id-0003 had been told only "not recorded" beside a
    recorded ID-0003 (helper-90), as KH-243 was beside KH-000243."""
    return _unknown_hazard(ref) + _recorded_instead(ref, ctx)


def _recorded_instead(ref: str, ctx: ValidationContext) -> str:
    """What follows "hazard REF is not recorded": the recorded hazards it reads as but for
    capitals, separators or padding zeros (nothing where there are none)."""
    others = [r for r in ctx.recorded_as.get(reference_key(ref), []) if r != ref]
    if not others:
        return ""
    if len(others) == 1 and others[0].casefold() == ref.casefold():
        return f"; hazard {others[0]} is: references are written as recorded, capitals and all"
    if len(others) == 1:
        return (
            f"; hazard {others[0]} is, which differs in its capitals, separators or zeros "
            f"alone: if it is that hazard, write {others[0]} as recorded"
        )
    return (
        f"; hazards {first_of(others, 5)} are, which differ from it in their capitals, "
        "separators or zeros alone: if it is one of them, write it as recorded"
    )


def _twin(ref: str, other: str, what: str) -> str:
    """The finding of a reference that reads as ``other`` (``ValidationContext.twins``)."""
    field_name = f"{what}_id" if what == "release" else "hazard_id"
    differ = (
        "only in capitals"
        if ref.casefold() == other.casefold()
        else "only in characters that look the same"
    )
    return (
        f'{field_name} "{ref}" reads as {what} "{other}" (recorded, or earlier in the file), '
        f"and differs from it {differ}: two records would look the same on every page and "
        f'report. Give "{other}" exactly if it is that {what}, or another reference'
    )


def _multipolygon(geom: BaseGeometry) -> MultiPolygon:
    if isinstance(geom, MultiPolygon):
        return geom
    assert isinstance(geom, Polygon)
    return MultiPolygon([geom])


def _geometry_checks(
    geoms: Sequence[BaseGeometry | None],
    ctx: ValidationContext,
    out: _Collector,
    rows: list[tuple[int, str | None]],
    unread: Mapping[int, str] | None = None,
) -> tuple[list[MultiPolygon | None], set[int], npt.NDArray[np.float64]]:
    """Per-feature geometry findings; returns the usable polygons, which were repaired
    (``ctx.repair``: an invalid polygon is made valid, with a finding, not refused) and
    the usable polygons' areas on the ellipsoid (0 where none). ``unread``: why a
    feature's geometry could not be read (by its number), said in place of "none"."""
    unread = unread or {}
    arr = np.array(geoms, dtype=object)
    missing = np.array([g is None for g in geoms])
    arr[missing] = shapely.Point()
    empty = shapely.is_empty(arr) | missing
    type_ids = shapely.get_type_id(arr)
    polygonal = np.isin(type_ids, (3, 6))
    valid = shapely.is_valid(arr)
    n_coords = shapely.get_num_coordinates(arr)
    area = shapely.area(arr)
    length = shapely.length(arr)
    with np.errstate(divide="ignore", invalid="ignore"):
        compactness = np.where(length > 0, 4 * math.pi * area / (length * length), 0.0)
    bounds = shapely.bounds(arr)
    longest_edges = _longest_edges_m(arr)
    inside_country = (
        shapely.contains(ctx.country, arr) if ctx.country is not None else np.ones(len(arr), bool)
    )
    usable: list[MultiPolygon | None] = []
    repaired: set[int] = set()
    for i, geom in enumerate(geoms):
        out.row, out.reference = rows[i]
        if empty[i] and rows[i][0] in unread:
            said = f"the geometry could not be read: {unread[rows[i][0]]}"
            out.add("bad_value", ERROR, said, "geometry")
            usable.append(None)
            continue
        if empty[i]:
            out.add("empty_geometry", ERROR, "the feature has no geometry", "geometry")
            usable.append(None)
            continue
        assert geom is not None
        if not polygonal[i]:
            out.add("not_polygon", ERROR, _not_polygon(geom), "geometry")
            usable.append(None)
            continue
        xmin, ymin, xmax, ymax = bounds[i]
        if xmin < -180 or xmax > 180 or ymin < -90 or ymax > 90:
            swapped = -90 <= xmin <= xmax <= 90 and -180 <= ymin <= ymax <= 180
            out.add(
                "bad_coordinates",
                ERROR,
                f"the coordinates look swapped: longitude {xmin:.4f}…{xmax:.4f} and latitude "
                f"{ymin:.4f}…{ymax:.4f}, but a latitude is at most 90; give each point as "
                "longitude then latitude"
                if swapped
                else f"coordinates out of range for longitude and latitude (x {xmin:.7g}…"
                f"{xmax:.7g}, y {ymin:.7g}…{ymax:.7g}){_projected_hint(xmin, ymin, xmax, ymax)}",
                "geometry",
            )
            usable.append(None)
            continue
        # fewer than 3 distinct vertices leaves no area: count them only then
        distinct = _distinct_vertices(geom) if area[i] == 0 or n_coords[i] < 4 else 3
        if distinct < 3 or n_coords[i] < 4:
            out.add(
                "too_few_vertices",
                ERROR,
                f"a polygon needs at least 3 distinct vertices; this one has {distinct}",
                "geometry",
            )
            usable.append(None)
            continue
        if not valid[i]:
            geos = shapely.is_valid_reason(geom)
            reason = invalid_in_words(geos)
            fixed = _repaired(geom) if ctx.repair else None
            if fixed is None:
                hint = "repair left no area" if ctx.repair else REPAIR_HINT
                out.add("invalid_geometry", ERROR, f"invalid polygon: {reason}; {hint}", "geometry")
                usable.append(None)
                continue
            before, after = geodesic_areas([geom, fixed]).tolist()
            # An outline that crosses itself has no area as drawn: the parts on either
            # side of a crossing are counted against each other (a bow-tie's add to 0).
            drawn = (
                "its outline crosses itself"
                if "self-intersection" in geos.lower()
                else f"{abs(before):,.1f} m² as drawn"
            )
            out.add(
                "repaired_geometry",
                WARNING,
                f"invalid polygon ({reason}) repaired: {drawn}, "
                f"{after:,.1f} m² once valid; approving accepts the repair",
                "geometry",
            )
            repaired.add(i)
            geom = fixed
        poly = _multipolygon(geom)
        compact = compactness[i] if i not in repaired else _compactness(poly)
        if compact < SLIVER_COMPACTNESS:
            out.add(
                "sliver",
                WARNING,
                f"very thin polygon (compactness {compact:.4f}): a digitising slip?",
                "geometry",
            )
        longest = longest_edges[i]
        if longest > LONG_EDGE_M:
            out.add(
                "far_vertex",
                WARNING,
                f"an edge is {longest / 1000:,.1f} km long: a vertex may have a "
                "mistyped coordinate",
                "geometry",
            )
        if ctx.country is not None and not inside_country[i]:
            _country_check(poly, ctx.country, out)
        usable.append(poly)
    areas = geodesic_areas(usable)
    tiny = (areas < NEAR_EMPTY_M2) & np.array([g is not None for g in usable], dtype=bool)
    for k in np.flatnonzero(tiny).tolist():
        out.row, out.reference = rows[k]
        out.add(
            "near_empty",
            WARNING,
            f"the polygon covers only {areas[k]:.4g} m²: a digitising slip, or coordinates in "
            "the wrong unit?",
            "geometry",
        )
    return usable, repaired, areas


def _compactness(geom: BaseGeometry) -> float:
    """4πA/P² of one polygon (1 for a circle), in degrees as the array check computes it."""
    return 4 * math.pi * geom.area / geom.length**2 if geom.length > 0 else 0.0


def _repaired(geom: BaseGeometry) -> MultiPolygon | None:
    """An invalid polygon made valid (as ST_MakeValid does), its polygonal part; None when
    nothing of it is left."""
    fixed = polygonal(shapely.make_valid(geom, method="structure", keep_collapsed=False))
    return None if fixed.is_empty else fixed


def _projected_hint(xmin: float, ymin: float, xmax: float, ymax: float) -> str:
    """What coordinates beyond ±180°/±90° suggest: metres of a projected system whose
    coordinate system was not given (or not this one). A CSV in UTM without one had been
    asked "is the declared CRS right?", though none was declared (helper-90)."""
    if 100_000 <= xmin <= xmax <= 900_000 and -10_000_000 <= ymin <= ymax <= 10_000_000:
        return (
            ": they look like metres of a UTM zone (eastings and northings); give the file's "
            "coordinate system (e.g. --crs EPSG:32648 for UTM zone 48N, or choose it on the "
            "upload page), or check the one given"
        )
    return (
        ": give the file's coordinate system (--crs, or choose it on the upload page), or "
        "check the one given"
    )


def _distinct_vertices(geom: BaseGeometry) -> int:
    xy = np.round(shapely.get_coordinates(geom), 9)
    return len(np.unique(xy, axis=0)) if len(xy) else 0


def _longest_edges_m(arr: npt.NDArray[np.object_]) -> npt.NDArray[np.float64]:
    """The longest ring edge of each geometry, in metres (spherical; for a warning only)."""
    if len(arr) > AREA_BLOCK:  # a block at a time, as geodesic_areas: memory stays flat
        return np.concatenate(
            [_longest_edges_m(arr[i : i + AREA_BLOCK]) for i in range(0, len(arr), AREA_BLOCK)]
        )
    longest = np.zeros(len(arr))
    parts, part_of = shapely.get_parts(arr, return_index=True)
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    xy, coord_of = shapely.get_coordinates(rings, return_index=True)
    if len(xy) < 2:
        return longest
    same_ring = coord_of[1:] == coord_of[:-1]
    lon, lat = np.radians(xy[:, 0]), np.radians(xy[:, 1])
    dlat = lat[1:] - lat[:-1]
    dlon = lon[1:] - lon[:-1]
    h = np.sin(dlat / 2) ** 2 + np.cos(lat[1:]) * np.cos(lat[:-1]) * np.sin(dlon / 2) ** 2
    dist = 2 * 6_371_008.8 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    feature = part_of[ring_of[coord_of[1:]]][same_ring]
    if not feature.size:
        return longest
    # coordinates come feature by feature: the longest edge of each is a maximum over a
    # run of edges (reduceat), a tenth of the time of np.maximum.at
    starts = np.flatnonzero(np.r_[True, feature[1:] != feature[:-1]])
    longest[feature[starts]] = np.maximum.reduceat(dist[same_ring], starts)
    return longest


def _country_check(poly: MultiPolygon, country: BaseGeometry, out: _Collector) -> None:
    if country.contains(poly):
        return
    inside = poly.intersection(country).area / poly.area if poly.area else 0.0
    if inside == 0.0:
        swapped = shapely.transform(poly, lambda xy: xy[:, ::-1])
        if country.intersects(swapped):
            out.add(
                "axis_swapped",
                ERROR,
                "the polygon lies outside the country but would lie inside with "
                "latitude and longitude swapped: check the axis order of the file",
                "geometry",
            )
        else:
            out.add(
                "outside_country",
                ERROR,
                "the polygon lies entirely outside the national boundary",
                "geometry",
            )
    elif 1.0 - inside > OUTSIDE_SHARE_ERROR:
        # a hazard or a release is the country's: most of one outside it is a vertex out
        # of place, as a GPS without a fix writes 0,0 (a form's shape with one such vertex
        # had been warned of and, approved, added 440 km² across five provinces: helper-132)
        xy = shapely.get_coordinates(poly)
        nought = bool(((xy[:, 0] == 0.0) & (xy[:, 1] == 0.0)).any())
        out.add(
            "outside_country",
            ERROR,
            f"{100 * (1 - inside):.0f}% of the polygon lies outside the national boundary: "
            + (
                "a vertex lies at latitude 0, longitude 0, as a GPS writes a point it had no "
                "fix for"
                if nought
                else "is a vertex mistyped?"
            ),
            "geometry",
        )
    elif 1.0 - inside > OUTSIDE_SHARE_WARNING:
        out.add(
            "partly_outside_country",
            WARNING,
            f"{100 * (1 - inside):.0f}% of the polygon lies outside the national boundary",
            "geometry",
        )


def _same_boundary(geom: BaseGeometry | None, boundary: BaseGeometry) -> bool:
    """Whether ``geom`` is ``boundary`` to 1e-9° (about 0.1 mm): as a form or a file sends
    back the boundary it was given."""
    return geom is not None and bool(
        shapely.equals_exact(shapely.normalize(geom), shapely.normalize(boundary), tolerance=1e-9)
    )


def _emptied(known: KnownHazard, cleared: Sequence[str]) -> list[str]:
    """The fields a revision empties that the revision in force holds, with their values."""
    said = []
    for name in cleared:
        value = getattr(known, name)
        if value:
            shown = ";".join(f"{k}:{q}" for k, q in value.items()) if name == "munitions" else value
            said.append(f"{name} (now {shown})")
    return said


def _repeats(
    known: KnownHazard,
    geom: BaseGeometry | None,
    status: HazardStatus | None,
    used_from: int | None,
    used_to: int | None,
    marked: dt.date | None,
    munitions: Mapping[str, int] | None,
    cleared: Sequence[str] = (),
) -> bool:
    """Whether a revision repeats the revision in force: the same boundary (to 1e-9°,
    about 0.1 mm, as a form sends back the boundary it was shown) and, of what it gives,
    nothing else different (a value left blank keeps the one in force; one it empties,
    ``cleared``, changes it if the revision in force has one)."""
    if geom is None or known.status is None:
        return False
    if any(getattr(known, name) for name in cleared):
        return False
    if not _same_boundary(geom, known.boundary):
        return False
    given = (
        (status.value if status else None, known.status),
        (used_from, known.used_from),
        (used_to, known.used_to),
        (marked, known.marked),
        (dict(munitions) if munitions else None, dict(known.munitions or {})),
    )
    return all(value is None or value == in_force for value, in_force in given)


def _munitions(
    out: _Collector, value: Any, field_name: str, ctx: ValidationContext
) -> dict[str, int]:
    quantities: dict[str, int] = out.parse(parse_quantities, value, field_name) or {}
    # the types written, read even where a quantity is not, so that every problem of the
    # cell is told at once (an unknown type had been told only once a negative quantity
    # beside it was put right: a new user's review)
    text = "" if blank(value) else str(value)
    if quantities and text.count(":") == len(quantities):
        written = list(quantities)  # each type once, every part read: most cells
    else:
        written = [
            code.strip()
            for code, sep, _ in (part.strip().rpartition(":") for part in text.split(";"))
            if sep and code.strip()
        ]
    if any(code not in ctx.munition_codes for code in written):  # any capitals
        folded = ctx.munitions_by_folded

        def known(code: str) -> str:
            return code if code in ctx.munition_codes else folded.get(code.casefold(), code)

        written = [known(code) for code in written]
        read: dict[str, int] = {}
        for code, quantity in quantities.items():
            read[known(code)] = read.get(known(code), 0) + quantity
        quantities = read
    twice = sorted(code for code, n in Counter(written).items() if n > 1)
    if twice and quantities:
        out.add(
            "repeated_munition",
            WARNING,
            f"{', '.join(twice)} given more than once: counted together "
            f"({', '.join(f'{code}:{quantities[code]:,}' for code in twice)}); check "
            "that the same items were not written twice",
            field_name,
        )
    unknown = [c for c in dict.fromkeys([*quantities, *written]) if c not in ctx.munition_codes]
    for code in unknown[:UNKNOWN_SAID]:
        close = difflib.get_close_matches(code.upper(), sorted(ctx.munition_codes), n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        out.add("unknown_munition", ERROR, f"unknown munition type code {code!r}{hint}", field_name)
    if len(unknown) > UNKNOWN_SAID:
        out.add(
            "unknown_munition",
            ERROR,
            f"{len(unknown) - UNKNOWN_SAID:,} more unknown munition type codes: "
            f"{first_of([repr(c[:40]) for c in unknown[UNKNOWN_SAID:]], UNKNOWN_SAID)}",
            field_name,
        )
    return quantities


# The unknown munition types of one cell told one by one, with the types they may have
# meant; the rest in one finding. A cell of 1,296 unknown codes, shared by 100 rows of a
# 21 kB workbook, had made 129,600 findings (a review page of 19 MB, helper-131).
UNKNOWN_SAID = 5


# Items of one type a release may destroy before its figure is asked about: a clearance
# task's tally runs to hundreds, a few thousand at most on the worst-hit ground; a digit or
# two too many went into Form 1(i) unremarked (an attack on our own instance).
MANY_ITEMS = 10_000


def _many_items(out: _Collector, items: Mapping[str, int] | None) -> None:
    """A warning on a release's figure of items destroyed that is out of the ordinary."""
    many = {code: qty for code, qty in (items or {}).items() if qty >= MANY_ITEMS}
    if many:
        said = ", ".join(f"{qty:,} {code}" for code, qty in sorted(many.items()))
        out.add(
            "many_items",
            WARNING,
            f"{said} destroyed in one release: check the figure (a digit too many, or the "
            f"tally of several releases?); the report counts it as it is",
            "items",
        )


@dataclass(frozen=True)
class _Given:
    """What a feature gives of a hazard, read: compared with the hazard recorded under its
    reference (a file sent back whole, edited in a GIS)."""

    geom: BaseGeometry | None
    status: HazardStatus | None
    contam: Contamination | None
    recorded: dt.date | None  # a new hazard's (a revision's is not compared)
    used_from: int | None
    used_to: int | None
    marked: dt.date | None
    munitions: Mapping[str, int] | None
    operator: str | None
    attributes: Mapping[str, Any]
    cleared: Sequence[str] = ()  # the fields written "(none)": emptied


def _differences(
    known: KnownHazard, given: _Given, orders: Mapping[str, str] | None = None
) -> list[str]:
    """What a feature gives otherwise than the hazard in force holds: a value left blank
    keeps the one in force, one written "(none)" empties it (``orders``: how the file
    writes the dates of its own columns, ``own_changed``)."""
    changed = set(own_changed(known.attributes or {}, given.attributes, orders))
    said = (
        ("its boundary", given.geom is not None and not _same_boundary(given.geom, known.boundary)),
        ("status", given.status is not None and given.status.value != known.status),
        ("contam", given.contam is not None and given.contam.value != known.contam),
        ("recorded", given.recorded is not None and given.recorded != known.recorded),
        ("used_from", given.used_from is not None and given.used_from != known.used_from),
        ("used_to", given.used_to is not None and given.used_to != known.used_to),
        ("marked", given.marked is not None and given.marked != known.marked),
        (
            "munitions",
            bool(given.munitions) and dict(given.munitions or {}) != dict(known.munitions or {}),
        ),
        (
            "operator",
            bool(given.operator)
            and (given.operator or "").casefold() != (known.operator or "").casefold(),
        ),
        *((f"{name} (emptied)", bool(getattr(known, name))) for name in given.cleared),
        *((name, name in changed) for name in given.attributes),
    )
    return [name for name, differs in said if differs]


def own_changed(
    in_force: Mapping[str, Any], given: Mapping[str, Any], orders: Mapping[str, str] | None
) -> list[str]:
    """The own columns ``given`` (by name, in any capitals) whose values differ from those
    ``in_force`` (``same_value``, in the order ``orders`` gives each column's dates): a
    register file sent back with "Notes" for "notes", or 05/03/2024 day first for
    2024-03-05, had been told it changes them (helper-121)."""
    orders = orders or {}
    return [
        name
        for name, value in given.items()
        if not same_value(own_value(in_force, name), value, orders.get(name))
    ]


def _unchanged(known: KnownHazard, given: _Given, orders: Mapping[str, str] | None = None) -> bool:
    """Whether a feature gives a recorded hazard as it stands: its boundary in force (to
    1e-9°) and, of everything else it gives, nothing different."""
    return (
        given.geom is not None
        and known.status is not None
        and not _differences(known, given, orders)
    )


def _attributes(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record's own columns that are not template fields (kept as they came)."""
    value = record.get("_attributes")
    return dict(value) if isinstance(value, Mapping) else {}


def _recorded_already(
    known: KnownHazard,
    revised: dt.date | None,
    operator: str | None,
    attributes: Mapping[str, Any],
    orders: Mapping[str, str] | None = None,
) -> bool:
    """Whether a revision that repeats the one in force (``_repeats``) is that revision
    itself: the same day, and no other operator or own columns (none it gives differs
    from those in force, to which a revision's are added). Approving the same file twice
    had recorded every revision in it a second time."""
    return (
        revised == known.in_force_from
        and (not operator or operator.casefold() == (known.operator or "").casefold())
        and not own_changed(known.attributes or {}, attributes, orders)
    )


def _only_records(
    known: KnownHazard,
    revised: dt.date | None,
    operator: str | None,
    attributes: Mapping[str, Any],
    orders: Mapping[str, str] | None = None,
) -> str:
    """What a revision that repeats the one in force (``_repeats``) records all the same: a
    new date, another operator, own columns of other values. It had said "only a new
    date" of one that changed an own column (helper-114)."""
    said = ["a new date"] if revised != known.in_force_from else []
    if operator and operator.casefold() != (known.operator or "").casefold():
        said.append(f"the operator {operator}")
    changed = own_changed(known.attributes or {}, attributes, orders)
    if changed:
        named = _and(changed) if len(changed) <= 5 else f"{', '.join(changed[:5])}…"
        said.append(f"{noun(len(changed), 'its own column', 'its own columns')} {named}")
    return _and(said) if said else "the same day again"


# what a file's sender can do about an invalid polygon (a record form says otherwise)
REPAIR_HINT = "fix it in your GIS (e.g. Fix geometries), or upload with repair"


def _not_polygon(geom: BaseGeometry) -> str:
    """Why a feature that is not a polygon cannot be recorded, and what to send instead: a
    form's geopoint or geotrace question (or a line drawn without closing it) had been told
    only "expected a polygon, got a LineString" (a review as a data manager)."""
    said = f"expected a polygon, got a {geom.geom_type}"
    if geom.geom_type in ("Point", "MultiPoint"):
        return (
            f"{said}: an area needs its outline (a form's geoshape question, not a geopoint; "
            "in a table, WKT POLYGON or an outline's coordinates, not one latitude and "
            "longitude)"
        )
    if geom.geom_type in ("LineString", "MultiLineString"):
        # a closed outline of two points had been told to end where it starts, which it
        # did: the field team was sent the wrong way (helper-132)
        distinct = len({tuple(xy) for xy in shapely.get_coordinates(geom).tolist()})
        if distinct < 3:
            return (
                f"{said}: an outline needs at least three distinct points, and this one has "
                f"{distinct}"
            )
        if all(line.is_closed for line in getattr(geom, "geoms", [geom])):
            return (
                f"{said}: it ends where it starts, but as a line, which has no area (a form's "
                "geotrace question, not a geoshape; in a GIS, draw it as a polygon)"
            )
        return (
            f"{said}: an outline must end where it starts (a form's geoshape question, not a "
            "geotrace; in a GIS, draw it as a polygon)"
        )
    return said


def close_names(name: str, known: Sequence[str]) -> list[str]:
    """Up to three names in ``known`` that look like ``name`` (a typo, other capitals)."""
    by_lower = {k.lower(): k for k in known}
    close = difflib.get_close_matches(name.lower(), sorted(by_lower), n=3, cutoff=0.6)
    return [by_lower[c] for c in close]


def _operator(
    out: _Collector,
    value: Any,
    field_name: str,
    ctx: ValidationContext,
    holds: str | None = None,
) -> str | None:
    """The organisation named, as the register spells it; unknown is an error.

    Organisations are a reference list kept by admins: a name in a file never adds one
    (a typo would become a new organisation with its own figures). ``holds``: the
    organisation the record holds now, which another's file may repeat (passing nothing
    on: the register's file sent back whole by an operator names every operator).
    """
    name = cell_text(value)
    if name is None or ctx.organisations is None:
        return name
    known = ctx.organisations.get(name.lower())
    if (
        known is not None
        and ctx.uploader is not None
        and known != ctx.uploader
        and known.casefold() != (holds or "").casefold()
    ):
        # as a record form refuses it: an operator records its own work
        out.add(
            "other_organisation",
            ERROR,
            f"{field_name} is {known}, but this file is {ctx.uploader}'s: a submission holds "
            f"its organisation's own records (a file of several operators' records is "
            "uploaded without choosing an organisation, by the authority)",
            field_name,
        )
        return None
    if known is not None:
        return known
    close = close_names(name, list(ctx.organisations.values()))
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    out.add(
        "unknown_organisation",
        ERROR,
        f"unknown organisation {name!r}{hint} (admins add organisations to the reference list)",
        field_name,
    )
    return None


def _date(
    out: _Collector, value: Any, field_name: str, ctx: ValidationContext, required: bool
) -> dt.date | None:
    if blank(value):
        if required:
            out.add("missing_value", ERROR, f"{field_name} is required (YYYY-MM-DD)", field_name)
        return None
    day: dt.date | None = out.parse(parse_date, value, field_name)
    if day is not None and day > ctx.today + AHEAD_OF_THE_SERVER:
        out.add("future_date", ERROR, f"{field_name} {day} is in the future", field_name)
    elif day is not None and day < EARLIEST_DATE:
        # 13/01/0001 had passed as a record's date, a date no page can show (the map's
        # and the reports' dates begin in 1900): a year mistyped or cut short
        out.add(
            "early_date",
            ERROR,
            f"{field_name} {day} is before {EARLIEST_DATE.year}: check its year",
            field_name,
        )
    return day


EARLIEST_DATE = as_of.EARLIEST  # as the pages' and the reports' dates


def _enum(
    out: _Collector, parse: Callable[[str], Any], value: Any, field_name: str, required: bool
) -> Any:
    text = cell_text(value)
    if text is None:
        if required:
            out.add("missing_value", ERROR, f"{field_name} is required", field_name)
        return None
    try:
        return parse(text)
    except ValueError as exc:
        out.add("unknown_value", ERROR, str(exc), field_name)
        return None


def _number(out: _Collector, value: Any, field_name: str) -> float | None:
    """A number field's value (a stated area: 0 or more). A negative or an infinite one
    had passed with a warning and then broke the approval on the table's check
    (helper-90: a clean submission that could never be approved)."""
    if blank(value):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        out.add("bad_value", ERROR, f"{field_name} {value!r} is not a number", field_name)
        return None
    if not math.isfinite(number):
        out.add("bad_value", ERROR, f"{field_name} {value!r} is not a finite number", field_name)
        return None
    if number < 0:
        out.add(
            "bad_value", ERROR, f"{field_name} {number:,g} is negative: an area is 0 or more",
            field_name,
        )  # fmt: skip
        return None
    return number


def _value(
    out: _Collector,
    spec: Field,
    record: Mapping[str, Any],
    ctx: ValidationContext,
    *,
    new: bool = True,
    holds: str | None = None,
) -> Any:
    """A field's clean value, read as the template's table says (its type, whether required).

    ``new``: the feature records a new hazard (some fields are required only then). A
    missing or unreadable value becomes a finding on the field, and the value None.
    ``holds``: the organisation the record is held by now (``_operator``).
    """
    value = record.get(spec.name)
    required = spec.is_required(new=new)
    if spec.type is FieldType.DATE:
        return _date(out, value, spec.name, ctx, required)
    if spec.type is FieldType.CODE:
        return _enum(out, spec.parse_code, value, spec.name, required)
    if required and blank(value):
        out.add("missing_value", ERROR, f"{spec.name} is required", spec.name)
        return None
    if spec.type is FieldType.YEAR:
        return out.parse(parse_year, value, spec.name)
    if spec.type is FieldType.QUANTITIES:
        return _munitions(out, value, spec.name, ctx)
    if spec.type is FieldType.ORGANISATION:
        return _operator(out, value, spec.name, ctx, holds)
    if spec.type is FieldType.NUMBER:
        return _number(out, value, spec.name)
    # references are checked by validate_hazards and validate_releases, against each other
    raise ValueError(f"{spec.name}: a {spec.type} field is not read here")


_HAZARD = by_name(HAZARDS)
_RELEASE = by_name(RELEASES)


def _features_of(
    refs: Sequence[str | None], rows: Sequence[tuple[int, Any]], counts: Counter[str]
) -> dict[str, str]:
    """For each reference more than one feature has, which features ("features 2, 5 and
    9"): "appears 3 times in the file" had left the data manager to find them (a review as
    a data manager)."""
    found: dict[str, list[int]] = defaultdict(list)
    for ref, (row, _) in zip(refs, rows, strict=True):
        if ref and counts[ref] > 1:
            found[ref].append(row)
    shown = 10
    listed = {}
    for ref, numbers in found.items():
        words = [str(n) for n in numbers[:shown]]
        more = f" and {len(numbers) - shown:,} more" if len(numbers) > shown else ""
        joined = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
        listed[ref] = f"features {', '.join(words)}{more}" if more else f"features {joined}"
    return listed


def validate_hazards(
    frame: Any, ctx: ValidationContext, *, dropped_z: bool = False
) -> ValidationResult:
    """Check a hazards layer in the template's fields."""
    out, records, refs, rows, geoms, repaired, _ = _features(frame, ctx, "hazard_id", dropped_z)
    new_refs = Counter(
        ref for ref, r in zip(refs, records, strict=True) if ref and blank(r.get("revised"))
    )
    new_at = _features_of(
        [ref if blank(r.get("revised")) else None for ref, r in zip(refs, records, strict=True)],
        rows,
        new_refs,
    )
    back_dated = _revised_before_releases(records, refs, ctx)
    ctx.say("validating: each feature's fields")
    clean: list[dict[str, Any]] = []
    errored = {f.row for f in out.findings if f.blocking}
    same: list[int] = []  # the features that give a recorded hazard as it stands
    for i, record in enumerate(records):
        out.row, out.reference = rows[i]
        ref = refs[i] or None
        start = len(out.findings)  # this feature's findings from here
        if refs[i] is None:
            out.add(
                "missing_value",
                ERROR,
                "hazard_id (the national reference) is required",
                "hazard_id",
            )
        revised = _value(out, _HAZARD["revised"], record, ctx)
        # a revision with a date that cannot be read is still a revision: its one error is
        # the date (not also "recorded is required" and "already recorded")
        is_new = revised is None and blank(record.get("revised"))
        # "(none)": a revision empties the field (blank keeps the value in force); a new
        # hazard has nothing to empty, so it reads as blank there
        nones = [name for name in CLEARABLE if says_none(record.get(name))]
        if nones:
            record = {**record, **dict.fromkeys(nones)}
        cleared = () if is_new else tuple(nones)
        status = _value(out, _HAZARD["status"], record, ctx, new=is_new)
        contam = _value(out, _HAZARD["contam"], record, ctx, new=is_new)
        recorded = _value(out, _HAZARD["recorded"], record, ctx, new=is_new)
        used_from = _value(out, _HAZARD["used_from"], record, ctx, new=is_new)
        used_to = _value(out, _HAZARD["used_to"], record, ctx, new=is_new)
        if used_from and used_to and used_from > used_to:
            out.add(
                "bad_value", ERROR, f"used_from {used_from} is after used_to {used_to}", "used_from"
            )
        munitions = _value(out, _HAZARD["munitions"], record, ctx, new=is_new)
        marked = _value(out, _HAZARD["marked"], record, ctx, new=is_new)
        known = ctx.hazards.get(ref) if ref else None
        holds = known.operator if known is not None else None
        operator = _value(out, _HAZARD["operator"], record, ctx, new=is_new, holds=holds)
        if (
            not is_new
            and known is not None
            and known.contam
            and contam is not None
            and contam.value != known.contam
        ):
            # the approval keeps the hazard's kind: the revision's had been dropped without
            # a word (a review as a GIS officer)
            out.add(
                "changes_kind",
                ERROR,
                f"hazard {ref} is recorded as {known.contam}, and a revision does not change "
                f"its kind of contamination: leave contam empty (or {known.contam}); land "
                f"contaminated with {contam.value} is a hazard of its own, under a hazard_id "
                "of its own",
                "contam",
            )
        # one finding a field, filed under it: one finding for them all had been filed
        # under the first, and the findings file named one field of several
        for emptied in _emptied(known, cleared) if known is not None else []:
            out.add(
                "empties_field",
                WARNING,
                f"this revision of {ref} empties {emptied}: check that it is to be taken back",
                emptied.split(" ")[0],
            )
        if (
            not is_new
            and known is not None
            and known.operator
            and operator
            and operator.casefold() != known.operator.casefold()
        ):
            out.add(
                "changes_operator",
                WARNING,
                f"this revision makes {operator} the operator of {ref}, which {known.operator} "
                "holds now: check that the hazard passes to them",
                "operator",
            )
        elif (
            not is_new
            and known is not None
            and known.operator
            and ctx.uploader is not None
            and ctx.uploader.casefold() != known.operator.casefold()
        ):
            # (its operator left blank, or naming the one that holds it)
            # an operator's file revising another organisation's hazard had been "clean":
            # a survey it was tasked with, or a mistaken (or worse) reference, a reviewer
            # tells apart (found by an attack on our own instance)
            out.add(
                "others_hazard",
                WARNING,
                f"{ref} is {known.operator}'s hazard, and this file is {ctx.uploader}'s: check "
                f"that {ctx.uploader} was tasked to revise it (it stays {known.operator}'s "
                "unless the operator field passes it on)",
                "hazard_id",
            )
        if (
            not is_new
            and known is not None
            and status is not None
            and revised is not None
            and known.in_force_from is not None
            and revised >= known.in_force_from
            and known.status not in (None, status.value)
            and known.status_before == status.value
        ):
            # a form filled in before another revision was approved keeps the status it
            # showed, and approving it after that one silently undid it (a walk-through)
            out.add(
                "reverses_revision",
                WARNING,
                f"this revision sets {ref}'s status back to {status.value}: the revision "
                f"in force, of {known.in_force_from} (recorded {known.in_force_recorded} by "
                f"{known.in_force_by or 'an import'}), changed it from {status.value} to "
                f"{known.status}. Check that it is to be undone (a revision prepared before "
                "that one keeps the status it was prepared with)",
                "status",
            )
        if ref and is_new:
            if ref in ctx.twins:
                out.add(
                    "reads_as_another", ERROR, _twin(ref, ctx.twins[ref], "hazard"), "hazard_id"
                )
            if new_refs[ref] > 1:
                out.add(
                    "duplicate_reference",
                    ERROR,
                    f"hazard_id {ref} appears {new_refs[ref]} times in the file as a new "
                    f"hazard ({new_at[ref]}): a hazard is recorded once, and then revised (a "
                    "revision gives the date it takes effect, revised)",
                    "hazard_id",
                )
            if known is not None:
                # "(none)" is an edit, as in a revision (helper-95: it had been left out as
                # the hazard as it stands)
                given = _Given(
                    geoms[i],
                    status,
                    contam,
                    recorded,
                    used_from,
                    used_to,
                    marked,
                    munitions,
                    operator,
                    _attributes(record),
                    tuple(nones),
                )
                if _no_error(out, start, errored) and _unchanged(known, given, ctx.date_orders):
                    same.append(i)
                    said = (
                        f"hazard {ref} is recorded already as this feature gives it (the same "
                        "boundary, status and estimates): there is nothing to record"
                    )
                else:
                    changes = _differences(known, given, ctx.date_orders)
                    said = (
                        f"hazard {ref} is already recorded"
                        + (f", and this feature changes {_and(changes)}" if changes else "")
                        + "; to revise it, give the date the revision takes effect in "
                        "'revised'"
                    )
                out.add("already_recorded", ERROR, said, "hazard_id")
            elif ref in ctx.withdrawn_hazards:
                out.add(
                    "already_recorded",
                    ERROR,
                    f"hazard {ref} was recorded and then withdrawn as recorded in error; its "
                    "reference stays taken: record the hazard under a new hazard_id",
                    "hazard_id",
                )
        elif ref and not is_new:
            if ref in ctx.withdrawn_hazards:
                out.add(
                    "withdrawn_hazard",
                    ERROR,
                    f"hazard {ref} was withdrawn as recorded in error and is not revised: "
                    "revise the hazard it repeated, or record the hazard under a new hazard_id",
                    "hazard_id",
                )
            elif known is None and new_refs[ref] == 0:
                out.add(
                    "unknown_hazard",
                    ERROR,
                    f"'revised' is set but hazard {ref} is not recorded (and not in this file)"
                    + _recorded_instead(ref, ctx),
                    "hazard_id",
                )
            elif known is not None and revised is not None and revised < known.recorded:
                out.add(
                    "before_hazard_recorded",
                    ERROR,
                    f"revision dated {revised} is before the hazard was recorded "
                    f"({known.recorded})",
                    "revised",
                )
            elif (
                known is not None
                and revised is not None
                and known.in_force_from is not None
                and revised < known.in_force_from
            ):
                out.add(
                    "before_later_revision",
                    WARNING,
                    f"revision dated {revised} comes before the revision of {ref} in force "
                    f"since {known.in_force_from}: it changes the hazard's history from "
                    f"{revised} to {known.in_force_from}, not the register today",
                    "revised",
                )
            elif known is not None and (left_out := _released_left_out(ref, geoms[i], known, ctx)):
                out.add(
                    "leaves_out_released",
                    WARNING,
                    f"this boundary of {ref} leaves out {left_out[0]:,.0f} m² of the "
                    f"{left_out[1]:,.0f} m² already released from it: a boundary is the whole "
                    "hazard as surveyed, not its remaining ground (which the register's files "
                    "hold). If the boundary has not changed, leave this feature out",
                    "geometry",
                )
            elif known is not None and _repeats(
                known, geoms[i], status, used_from, used_to, marked, munitions, cleared
            ):
                given = _Given(
                    geoms[i],
                    status,
                    contam,
                    None,
                    used_from,
                    used_to,
                    marked,
                    munitions,
                    operator,
                    _attributes(record),
                    cleared,
                )
                if _no_error(out, start, errored) and _unchanged(known, given, ctx.date_orders):
                    same.append(i)
                if _recorded_already(
                    known, revised, operator, _attributes(record), ctx.date_orders
                ):
                    out.add(
                        "already_recorded",
                        ERROR,
                        f"this revision of {ref}, dated {revised}, is recorded already: the "
                        "revision in force took effect that day with the same boundary, "
                        "status and estimates (sent again?)",
                        "revised",
                    )
                else:
                    records_too = _only_records(
                        known, revised, operator, _attributes(record), ctx.date_orders
                    )
                    out.add(
                        "changes_nothing",
                        WARNING,
                        f"this revision of {ref} repeats the boundary, status and estimates "
                        f"in force: it would record only {records_too}; check that this is "
                        "meant",
                        "revised",
                    )
            elif (
                known is not None
                and revised is not None
                and revised == known.in_force_from
                and revised.year < ctx.today.year
            ):
                # a file from the register or the OGC API carries the date of the revision
                # in force: a boundary edited in it and sent back unchanged in 'revised'
                # rewrote fourteen years of figures without a word (a review as a GIS
                # officer)
                out.add(
                    "same_day_as_in_force",
                    WARNING,
                    f"this revision of {ref} takes effect on {revised}, the day the revision "
                    "in force took effect: it replaces that revision from then, and changes "
                    f"the figures of every year since {revised.year}, finalised reports "
                    "included. If this is a new survey, give the day it takes effect in "
                    "'revised' (a file from the register carries the date in force)",
                    "revised",
                )
            if (
                known is not None
                and revised is not None
                and ref in back_dated
                and not any(f.code == "leaves_out_released" for f in out.findings[start:])
                and (moved := _releases_left_out(revised, geoms[i], back_dated[ref]))
            ):
                hit, left_m2, ground_m2 = moved
                out.add(
                    "leaves_out_released",
                    WARNING,
                    f"this revision of {ref}, dated {revised}, comes before "
                    f"{_releases_named(hit)}, and its boundary leaves out {left_m2:,.0f} m² "
                    f"of the {ground_m2:,.0f} m² {'they' if len(hit) > 1 else 'it'} released "
                    f"from {ref}: approved, {'they count' if len(hit) > 1 else 'it counts'} "
                    "that much less as released from it (a release is counted from the "
                    "boundary in force on its date). If the hazard was redrawn after "
                    f"{'them' if len(hit) > 1 else 'it'}, give that date in 'revised'",
                    "geometry",
                )
        clean.append(
            {
                "hazard_id": ref,
                # the boundary in force, sent back (a form's status-only revision, a register
                # file): recorded as the boundary stored, not as it came back rounded
                "same_boundary": bool(
                    not is_new
                    and known is not None
                    and revised is not None
                    and (known.in_force_from is None or revised >= known.in_force_from)
                    and _same_boundary(geoms[i], known.boundary)
                ),
                "status": status.value if status else None,
                "contam": _kind_recorded(contam, record, known if not is_new else None),
                "recorded": recorded.isoformat() if recorded else None,
                "revised": revised.isoformat() if revised else None,
                "used_from": used_from,
                "used_to": used_to,
                "munitions": munitions,
                "marked": marked.isoformat() if marked else None,
                "operator": operator,
                "attributes": _attributes(record),
                "cleared": list(cleared),  # the fields the revision empties
            }
        )
    if same and len(records) > 1:
        _leave_out_unchanged(same, rows, clean, geoms, out, every=len(same) == len(records))
    ctx.say("validating: polygons repeated or overlapping each other and open hazards")
    _duplicate_geometries(geoms, rows, out)
    _overlaps(geoms, rows, refs, clean, ctx, out)
    _hazards_on_outside(geoms, rows, clean, ctx, out)
    return ValidationResult(out.findings, clean, geoms, repaired)


UNCHANGED = "unchanged"  # a staged record's stored values: a recorded hazard as it stands
KEYS = ("hazard_id", "revised")  # what a hazards file's feature left out keeps


def _leave_out_unchanged(
    same: Sequence[int],
    rows: list[tuple[int, str | None]],
    clean: list[dict[str, Any]],
    geoms: list[MultiPolygon | None],
    out: _Collector,
    *,
    every: bool,
) -> None:
    """Leave out of a file the features that give a recorded hazard as it stands, as a
    file sent back whole does (downloaded from the register, a few hazards edited in a
    GIS): each had been an error "already recorded" (or, with a date in 'revised', a
    revision recording nothing but that date), until the data manager took out by hand
    all but the hazards edited. A file of one feature (a form's one revision) is told
    what it would record, as the one thing its sender meant; a file of nothing else
    (``every``) is one error, with nothing to record."""
    left = {rows[i][0] for i in same}
    out.findings[:] = [f for f in out.findings if f.row not in left]
    keys = ("release_id", "hazard_id") if "release_id" in clean[same[0]] else KEYS
    for i in same:
        clean[i] = {key: clean[i][key] for key in keys}
        clean[i][UNCHANGED] = True
        geoms[i] = None  # nor checked against the others: it is recorded already
    what = "release" if "release_id" in keys else "hazard"
    named = list(dict.fromkeys(str(rows[i][1]) for i in same))
    more = f" and {len(named) - 10:,} more" if len(named) > 10 else ""
    out.row, out.reference = None, None
    if every:
        out.add(
            "unchanged_left_out",
            ERROR,
            f"nothing in this file changes the register: its {counted(len(same), 'feature')} "
            f"give {what}s as recorded now ({_SAME[what]}; {', '.join(named[:10])}{more}): "
            "withdraw it (or reject it)",
        )
        return
    out.add(
        "unchanged_left_out",
        WARNING,
        f"{counted(len(same), 'feature')} of this file {noun(len(same), 'gives', 'give')} "
        f"{noun(len(same), f'a {what}', f'{what}s')} as recorded now ({_SAME[what]}; "
        f"{', '.join(named[:10])}{more}): left out, as there is nothing to record; the "
        "other features are recorded",
    )


# what a feature left out repeats of the record
_SAME = {
    "hazard": "the same boundary, status, estimates, operator and own columns",
    "release": "the same hazard, method, date, polygon, items, operator and own columns",
}


def _no_error(out: _Collector, start: int, errored: set[int | None]) -> bool:
    """Whether the feature being checked has no error so far: none among its polygon's
    (``errored``), none among its findings since ``start``."""
    return out.row not in errored and not any(f.blocking for f in out.findings[start:])


def _and(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _kind_recorded(
    contam: Contamination | None, record: Mapping[str, Any], revised: KnownHazard | None
) -> str | None:
    """The kind of contamination a hazards feature is recorded as: a revision keeps its
    hazard's (the review page had shown a revision's blank kind, and a kind it could not
    read, as "→ CMR", which the approval never did: a review as a GIS officer); a new
    hazard's blank kind is cluster munition remnants; one that cannot be read, none."""
    if contam is not None:
        return contam.value
    if revised is not None and revised.contam:
        return revised.contam
    return Contamination.CMR.value if blank(record.get("contam")) else None


def _records_said(records: Sequence[OutsideRecord]) -> str:
    shown = ", ".join(f"{r.reference} released {r.released}" for r in records[:3])
    return shown + (f" and {len(records) - 3} more" if len(records) > 3 else "")


def _them(records: Sequence[OutsideRecord]) -> str:
    return records[0].reference if len(records) == 1 else "them"


def _hazards_on_outside(
    geoms: Sequence[MultiPolygon | None],
    rows: Sequence[tuple[int, str | None]],
    clean: list[dict[str, Any]],
    ctx: ValidationContext,
    out: _Collector,
) -> None:
    """A boundary over land recorded as released outside recorded hazards on or after the
    day it takes effect: Form 1(i) counts that land apart as lying in no hazard, and the
    hazard's release of it would count it again (an attack on our own instance)."""
    records = ctx.outside_records()
    for i in sorted(records.candidates(geoms)):
        geom, values = geoms[i], clean[i]
        day = values["revised"] or values["recorded"]
        if geom is None or day is None or values["same_boundary"]:
            continue
        since = dt.date.fromisoformat(day)
        m2, found = records.on(geom, values["contam"], since)
        if found:
            out.row, out.reference = rows[i]
            out.add(
                "covers_outside_release",
                WARNING,
                f"{m2:,.0f} m² of this boundary, in force from {since}, is land recorded as "
                f"released outside recorded hazards since then ({_records_said(found)}), "
                "which Form 1(i) counts apart as lying in no hazard. If it lay in this hazard, "
                f"a reviewer withdraws {_them(found)} once this is approved (Land released "
                "outside hazards), and the clearance is sent as this hazard's release",
                "geometry",
            )


def _release_on_outside(
    out: _Collector,
    geom: MultiPolygon,
    split: ReleaseSplit | None,
    known: KnownHazard | None,
    hazard_ref: str | None,
    contam: str,
    released: dt.date | None,
    ctx: ValidationContext,
) -> None:
    """A release over land recorded as released outside recorded hazards already. Its part
    outside hazards counts once with that land (ims.db.outside), and is told as the same
    clearance sent again, perhaps; its part in a hazard would count the ground twice, apart
    and as the hazard's (an attack on our own instance)."""
    records = ctx.outside_records()
    if split is not None:
        apart: BaseGeometry | None = split.outside if split.outside_m2 > 0 else None
        inside: list[tuple[str, BaseGeometry]] = [(p.hazard, p.geometry) for p in split.pieces]
    elif known is not None and hazard_ref:
        apart, inside = None, [(hazard_ref, shapely.intersection(geom, known.boundary))]
    else:
        return
    if apart is not None:
        m2, found = records.on(apart, contam)
        if found:
            out.add(
                "repeats_outside_release",
                WARNING,
                f"{m2:,.0f} m² of the land it releases outside recorded hazards was recorded "
                f"as released already ({_records_said(found)}): the same clearance sent "
                "again? That ground counts once, with the record released first"
                + (
                    ", which is this one: the year of those records counts that much less, "
                    "a finalised report's too"
                    if released is not None and released < min(r.released for r in found)
                    else ""
                )
                + ", but the items it names would be counted again",
                "geometry",
            )
    for hazard, part in inside:
        m2, found = records.on(part, contam)
        if found:
            out.add(
                "on_outside_release",
                WARNING,
                f"{m2:,.0f} m² of it, in hazard {hazard}, is land recorded as released outside "
                f"recorded hazards ({_records_said(found)}), which Form 1(i) counts apart: "
                "approved as it is, that ground counts twice, apart and as the hazard's. If "
                f"it lay in the hazard, a reviewer withdraws {_them(found)} once this is "
                "approved (Land released outside hazards)",
                "geometry",
            )


def _revised_before_releases(
    records: Sequence[Mapping[str, Any]], refs: Sequence[str | None], ctx: ValidationContext
) -> dict[str, tuple[Sequence[BoundaryVersion], Sequence[Released]]]:
    """For each recorded hazard that a revision of the file is dated before some of the
    releases of: its boundaries and those releases. Such a revision redraws the ground
    those releases are counted from (§2.2: a release is of the boundary in force on its
    date); one that moves the hazard off their ground leaves them counting nothing from it
    (helper-123). One query for the file, none for a file of hazards that have no releases
    (a national import's)."""
    if ctx.releases_loader is None or not ctx.remaining:
        return {}
    since: dict[str, dt.date] = {}
    for ref, record in zip(refs, records, strict=True):
        if ref is not None and ref in ctx.remaining:
            day = _day(record.get("revised"), where="revised")
            if day is not None and day < since.get(ref, dt.date.max):
                since[ref] = day
    released = ctx.releases_loader(since) if since else {}
    if not released:
        return {}
    history = ctx.history_loader(sorted(released)) if ctx.history_loader is not None else {}
    return {ref: (history.get(ref, ()), rows) for ref, rows in released.items()}


def _releases_left_out(
    revised: dt.date,
    geom: BaseGeometry | None,
    held: tuple[Sequence[BoundaryVersion], Sequence[Released]],
) -> tuple[list[Released], float, float] | None:
    """(the releases, m² left out, m² of theirs) when a revision dated ``revised`` comes
    before releases counted from the boundary it replaces, up to the hazard's next
    revision, and its boundary ``geom`` leaves out at least a hundredth of their ground
    within that boundary (and a square metre). None otherwise."""
    history, releases = held
    if geom is None or geom.is_empty or not geom.is_valid:
        return None
    then = [v for v in history if v.effective <= revised]
    if not then:  # dated before the hazard was recorded: an error of its own
        return None
    until = min((v.effective for v in history if v.effective > revised), default=dt.date.max)
    hit = [r for r in releases if revised <= r[1] < until]
    if not hit:
        return None
    ground = shapely.union_all([g for _, _, g in hit]).intersection(then[-1].geometry)
    ground_m2, left_m2 = geodesic_areas([ground, ground.difference(geom)]).tolist()
    if left_m2 >= max(1.0, 0.01 * ground_m2):
        return hit, left_m2, ground_m2
    return None


def _releases_named(releases: Sequence[Released]) -> str:
    """ "release R-1 of 2022-03-01", or "3 releases (R-1, R-2, R-3) of 2022-03-01 to …"."""
    if len(releases) == 1:
        ref, day, _ = releases[0]
        return f"release {ref} of {day}"
    names = [ref for ref, _, _ in releases[:5]]
    more = f" and {len(releases) - 5:,} more" if len(releases) > 5 else ""
    first, last = releases[0][1], releases[-1][1]
    dates = f"of {first}" if first == last else f"of {first} to {last}"
    return f"{len(releases):,} releases ({', '.join(names)}{more}) {dates}"


def _released_left_out(
    ref: str, geom: BaseGeometry | None, known: KnownHazard, ctx: ValidationContext
) -> tuple[float, float] | None:
    """(m² left out, m² released) when a revised boundary leaves out most of the land
    released within the boundary in force: the shape of the hazard's remaining ground (as
    the register exports it) uploaded as its boundary. None otherwise.

    Measured only where the areas allow it (the new boundary smaller than the one in force
    by half the land released, or more): a national file revises tens of thousands of
    hazards, and two overlays each would cost seconds."""
    held = ctx.remaining.get(ref)
    if held is None or geom is None or geom.is_empty or not geom.is_valid:
        return None
    boundary_m2, remaining_m2, remaining = held
    released_m2 = boundary_m2 - remaining_m2
    if released_m2 < 1.0:
        return None
    (new_m2,) = geodesic_areas([geom]).tolist()
    if new_m2 > boundary_m2 - 0.5 * released_m2:
        return None
    left_out = known.boundary.difference(remaining).difference(geom)
    (left_out_m2,) = geodesic_areas([left_out]).tolist()
    if left_out_m2 > max(1.0, 0.5 * released_m2):
        return left_out_m2, released_m2
    return None


def validate_releases(
    frame: Any, ctx: ValidationContext, *, dropped_z: bool = False
) -> ValidationResult:
    """Check a releases layer in the template's fields."""
    out, records, refs, rows, geoms, repaired, measured = _features(
        frame, ctx, "release_id", dropped_z
    )
    counts = Counter(ref for ref in refs if ref)
    at = _features_of(refs, rows, counts)
    areas = measured.tolist()
    ctx.say("validating: each release's share outside its hazard")
    outside = _shares_outside(records, geoms, ctx)
    on_outside = ctx.outside_records().candidates(geoms)
    apart: list[tuple[int, dt.date, str, BaseGeometry]] = []  # each feature's part outside
    ctx.say("validating: each feature's fields")
    clean: list[dict[str, Any]] = []
    errored = {f.row for f in out.findings if f.blocking}
    as_recorded: list[int] = []  # the features that give a recorded release as it stands
    named: list[tuple[int, str, dt.date]] = []  # on a recorded hazard: its reference, the day
    for i, record in enumerate(records):
        out.row, out.reference = rows[i]
        ref = refs[i] or None
        start = len(out.findings)  # this feature's findings from here
        if refs[i] is None:
            out.add("missing_value", ERROR, "release_id is required", "release_id")
        elif ref is not None and counts[ref] > 1:
            out.add(
                "duplicate_reference",
                ERROR,
                f"release_id {ref} appears {counts[ref]} times in the file ({at[ref]}): "
                "each release has its own reference",
                "release_id",
            )
        if ref and ref in ctx.twins:
            out.add("reads_as_another", ERROR, _twin(ref, ctx.twins[ref], "release"), "release_id")
        if ref and ref in ctx.withdrawn_refs:
            out.add(
                "already_recorded",
                ERROR,
                f"release {ref} was recorded and then withdrawn as recorded in error; its "
                "reference stays taken: give the corrected release a new release_id",
                "release_id",
            )
        sent_again = bool(ref and ref in ctx.release_refs and ref not in ctx.withdrawn_refs)
        hazard_ref = _reference(out, record.get("hazard_id"), "hazard_id", new=False)
        known = ctx.hazards.get(hazard_ref) if hazard_ref else None
        unnamed = hazard_ref is None and blank(record.get("hazard_id"))
        if hazard_ref is not None and hazard_ref in ctx.withdrawn_hazards:
            out.add(
                "withdrawn_hazard",
                ERROR,
                f"hazard {hazard_ref} was withdrawn as recorded in error: name the hazard "
                "that stays in hazard_id",
                "hazard_id",
            )
        elif hazard_ref is not None and known is None:
            out.add("unknown_hazard", ERROR, _not_recorded(hazard_ref, ctx), "hazard_id")
        method = _value(out, _RELEASE["method"], record, ctx)
        released = _value(out, _RELEASE["released"], record, ctx)
        items = _value(out, _RELEASE["items"], record, ctx)
        _many_items(out, items)
        stated_m2: float | None = _value(out, _RELEASE["area_m2"], record, ctx)
        contam = _value(out, _RELEASE["contam"], record, ctx)
        # what the release, and its part outside every hazard, is of: the kind given, else
        # its named hazard's, or that of the hazards it is matched to where they are of one
        # kind (docs/design.md §2.7). A release named on a hazard of mines had been reviewed
        # as "→ CMR", and its part outside counted in the CMR report's land released
        # outside hazards.
        kind = (
            contam.value
            if contam is not None
            else known.contam
            if known is not None and known.contam
            else Contamination.CMR.value
        )
        if (
            contam is not None
            and known is not None
            and known.contam
            and contam.value != known.contam
            and not sent_again
        ):
            # a legacy file's kind column is often a default: a release on a hazard of mines
            # marked CMR had its part outside counted in the CMR report without a word
            # (helper-135)
            out.add(
                "contam_differs",
                WARNING,
                f"contam {contam.value} differs from the kind of hazard {hazard_ref}, "
                f"{known.contam}: the land released on the hazard counts as {known.contam}, "
                f"and any part outside every hazard as {contam.value}, as given. If the "
                "hazard's kind is meant, leave contam empty",
                "contam",
            )
        geom = geoms[i]
        split: ReleaseSplit | None = None
        if known is not None and released is not None and released < known.recorded:
            out.add(
                "before_hazard_recorded",
                ERROR,
                f"released {released} is before hazard {hazard_ref} was recorded "
                f"({known.recorded})",
                "released",
            )
        if known is not None and geom is not None:
            if released is not None and not sent_again:  # (that one is recorded already)
                named.append((i, hazard_ref or "", released))
            split = _named_release(out, geom, hazard_ref or "", outside[i], released, ctx)
        elif unnamed and geom is not None and released is not None:
            split = split_release(geom, ctx.boundaries().in_force(geom, released))
            _matched(out, split, released)
            if contam is None:  # matched to hazards all of one kind: of that kind
                kind = ctx.boundaries().one_kind([p.hazard for p in split.pieces]) or kind
        # in parts only: a release all outside every hazard is one record, items and all
        # (it had been told it "is split")
        if split is not None and split.pieces and not split.whole and items:
            out.add("items_with_largest_part", WARNING, _items_go_to(split, ref), "items")
        if split is not None and not split.whole and ref:
            # the parts' names (approval.split_parts): one already taken had blocked the
            # approval of a file that reviewed clean (an attack on our own instance)
            names = [f"{ref}#{k + 1}" for k in range(len(split.pieces))]
            names += [f"{ref}#outside"] if split.outside_m2 > 0 else []
            taken = [n for n in names if len(names) > 1 and (n in ctx.part_refs or counts[n])]
            if taken:
                out.add(
                    "already_recorded",
                    ERROR,
                    f"release {ref} is split into parts named {', '.join(names)}, and "
                    f"{', '.join(taken)} is already a release's reference: give it another "
                    "release_id",
                    "release_id",
                )
        if split is not None and not split.whole and ref and len(ref) > REFERENCE_MAX - 8:
            out.add(
                "bad_value",
                ERROR,
                f"release_id is {len(ref)} characters long: too long to name the parts it is "
                f"split into (REF#1, REF#outside…); at most {REFERENCE_MAX - 8} here",
                "release_id",
            )
        if split is not None and split.outside_m2 > 0 and released is not None:
            apart.append((i, released, kind, split.outside))
        if i in on_outside and geom is not None and released is not None:
            _release_on_outside(out, geom, split, known, hazard_ref, kind, released, ctx)
        if hazard_ref and released is not None and geom is not None:
            same = [
                other
                for other, polygon in ctx.recorded_releases.get((hazard_ref, released), [])
                if other != ref and shapely.equals(polygon, geom)
            ]
            if same:
                out.add(
                    "same_as_recorded",
                    WARNING,
                    f"the same polygon on the same day as release {same[0]}, already recorded "
                    f"for {hazard_ref}: the same result sent again under another reference? "
                    "Its ground counts once, but the items it names would be counted again",
                    "geometry",
                )
        if stated_m2 is not None and geom is not None and areas[i] > 0:
            diff = abs(stated_m2 - areas[i]) / areas[i]
            if diff > AREA_TOLERANCE:
                out.add(
                    "area_mismatch",
                    WARNING,
                    f"stated area {stated_m2:,.0f} m² differs from the polygon's "
                    f"{areas[i]:,.0f} m² by {100 * diff:.0f}% (figures use the polygon)"
                    + _unit_hint(stated_m2, areas[i]),
                    "area_m2",
                )
        recorded_as = ctx.releases.get(ref) if sent_again and ref else None
        holds = recorded_as.operator if recorded_as is not None else None
        operator = _value(out, _RELEASE["operator"], record, ctx, holds=holds)
        if sent_again:
            changes = (
                _release_differences(
                    recorded_as,
                    hazard_ref,
                    method,
                    released,
                    geom,
                    items,
                    stated_m2,
                    operator,
                    _attributes(record),
                    contam,
                    ctx.date_orders,
                )
                if recorded_as is not None
                else []
            )
            if recorded_as is not None and not changes and _no_error(out, start, errored):
                as_recorded.append(i)
            # what it changes said, as a hazard's is (helper-95)
            out.add(
                "already_recorded",
                ERROR,
                f"release {ref} is already recorded"
                + (
                    f", and this feature changes {_and(changes)}: a release is not revised "
                    "(one recorded wrong is withdrawn, and sent again under a new release_id)"
                    if changes
                    else ": give a new release_id, or leave it out if it was sent before"
                ),
                "release_id",
            )
        clean.append(
            {
                "release_id": ref,
                "hazard_id": hazard_ref,
                "method": method.value if method else None,
                "released": released.isoformat() if released else None,
                "operator": operator,
                "items": items,
                "attributes": _attributes(record),
                "area_m2": stated_m2,
                "contam": kind,
                # where the release is split among hazards (matched by its polygon, or
                # the split choice): each hazard's share, and the area outside them all
                "split": None if split is None else [[p.hazard, p.area_m2] for p in split.pieces],
                "outside_m2": None if split is None else split.outside_m2,
            }
        )
    if as_recorded and len(records) > 1:
        every = len(as_recorded) == len(records)
        _leave_out_unchanged(as_recorded, rows, clean, geoms, out, every=every)
        apart = [a for a in apart if geoms[a[0]] is not None]
    ctx.say("validating: polygons repeated in the file")
    _duplicate_geometries(geoms, rows, out)
    _outside_repeated_in_the_file(apart, rows, out)
    ctx.say("validating: ground releases share")
    _shared_ground(geoms, rows, named, ctx, out)
    return ValidationResult(out.findings, clean, geoms, repaired)


def _release_differences(
    known: KnownRelease,
    hazard_ref: str | None,
    method: Any,
    released: dt.date | None,
    geom: BaseGeometry | None,
    items: Mapping[str, int] | None,
    stated_m2: float | None,
    operator: str | None,
    attributes: Mapping[str, Any],
    contam: Contamination | None,
    orders: Mapping[str, str] | None = None,
) -> list[str]:
    """What a feature sent under a recorded release's reference gives otherwise than the
    release holds; none: it gives the release as it stands (the register's releases file
    sent back whole): the same hazard, method, day and polygon (to 1e-9°), and of what
    else it gives, nothing different."""
    changed = set(own_changed(known.attributes, attributes, orders))
    given = (
        ("hazard_id", hazard_ref != known.hazard),
        ("method", method is None or method.value != known.method),
        ("released", released != known.released),
        ("its polygon", not _same_boundary(geom, known.geom)),
        # blank: not given, as a revision's blank munitions keep the estimates (a file
        # without the column had been told it changed the items: helper-99)
        ("items", bool(items) and dict(items or {}) != dict(known.items)),
        (
            "area_m2",
            stated_m2 is not None
            and (known.stated_m2 is None or not math.isclose(stated_m2, known.stated_m2)),
        ),
        (
            "operator",
            bool(operator) and (operator or "").casefold() != (known.operator or "").casefold(),
        ),
        ("contam", contam is not None and contam.value != known.contam),
        *((name, name in changed) for name in attributes),
    )
    return [name for name, differs in given if differs]


def same_value(recorded: Any, given: Any, order: str | None = None) -> bool:
    """Whether a value given is the one recorded: the same, or the same number or yes/no
    written as text, the same text but for spaces around it, or the same day (and time)
    written otherwise (``order``: "day-first" or "month-first", how the file giving the
    value writes its dates, where known). A register's CSV sent back gives its numbers as
    text ("22.23"), and every hazard left as it was had been "already recorded, and this
    feature changes Area (ha), Easting and Northing" (helper-115); a form's record exported
    again as CSV, first sent in a workbook, had come back "changed: area_m2: 50852 →
    50852", and "visit_date: 2024-03-05 → 05/03/2024" (helper-119)."""
    if recorded == given and isinstance(recorded, bool) == isinstance(given, bool):
        return True
    for value, text in ((recorded, given), (given, recorded)):
        if not isinstance(text, str) or value is None or isinstance(value, str):
            continue
        if isinstance(value, bool):
            # a yes/no cell of a workbook, written by a form's or another tool's export as
            # yes/no or 1/0: "True → yes" had been said to be a change
            return text.strip().casefold() in (_TRUE if value else _FALSE)
        if isinstance(value, int | float):
            try:
                return float(text) == float(value)
            except ValueError:
                return False
    if not (isinstance(recorded, str) and isinstance(given, str)):
        return False
    if recorded.strip() == given.strip():
        return True
    # the order is the file's that gives the value: the one recorded is stored as it was
    # written, by a file of an order not kept, and is read only where it can name one day
    # (05/03/2024 recorded from a day-first file had been read month first: helper-122)
    before, after = _moments(recorded, None), _moments(given, order)
    if len(before) != 1 or len(after) != 1:
        return False
    (day, time, zone), (day_after, time_after, zone_after) = *before, *after
    # a zone given on one side only is not a change (a form's export writes one, a CSV
    # saved from a sheet none); given on both, the instants are compared (10:00+07:00 is
    # not 10:00Z: helper-121; and it is 03:00Z, which had been said to be a change)
    if zone is None or zone_after is None:
        return (day, time) == (day_after, time_after)
    return _instant(day, time, zone) == _instant(day_after, time_after, zone_after)


_TRUE: Final = frozenset({"true", "yes", "1"})
_FALSE: Final = frozenset({"false", "no", "0"})


def _instant(day: dt.date, time: dt.time, offset: int) -> dt.datetime:
    """A day and time of day at ``offset`` minutes from UTC, as UTC."""
    return dt.datetime.combine(day, time) - dt.timedelta(minutes=offset)


_MOMENT_MAX = 64  # characters: "2024-03-05T10:30:00.123456 +07:00" is 33
_YEAR_FIRST_DAY = re.compile(r"^\d{4}[-/]\d{2}[-/]\d{2}")
_NUMBERS_FIRST_DAY = re.compile(r"^\d{1,2}([/.-])\d{1,2}\1\d{4}")
_CLOCK = re.compile(
    r"^(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6})\d*)?)?\s*([AaPp][Mm])?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?)?$"
)


def _moments(text: str, order: str | None) -> set[tuple[dt.date, dt.time, int | None]]:
    """The days, times of day (midnight where none is written, to the microsecond) and
    offsets from UTC in minutes (None where none is written) a text can name: one for ISO
    8601 (or the year first with slashes), one for NN/NN/YYYY in ``order``, and where the
    order is not known each order that names a day: 03/05/2024 names two, and the same
    record's 2024-03-05 against it is a change, not hidden (helper-120); nothing for any
    other text, nor for a text longer than any day and time is written (the clock's
    pattern costs the square of what follows the day: 32,767 characters of spaces after
    one had held the review page's process for a minute, helper-131)."""
    text = text.strip()
    if len(text) > _MOMENT_MAX:
        return set()
    found = _YEAR_FIRST_DAY.match(text)
    days: set[dt.date] = set()
    if found is not None:
        try:
            days.add(dt.date.fromisoformat(found.group().replace("/", "-")))
        except ValueError:
            return set()
    else:
        found = _NUMBERS_FIRST_DAY.match(text)
        parts = day_and_month(text[: found.end()]) if found is not None else None
        if found is None or parts is None:
            return set()
        first, second, year = parts
        for way in (order,) if order else ("day-first", "month-first"):
            day, month = (first, second) if way == "day-first" else (second, first)
            try:
                days.add(dt.date(year, month, day))
            except ValueError:
                continue
    clock = _CLOCK.match(text[found.end() :].rstrip())
    if clock is None:
        return set()
    hour, minute, second = (int(clock.group(i) or 0) for i in (1, 2, 3))
    fraction = int((clock.group(4) or "").ljust(6, "0"))
    if clock.group(5):  # 2:30 PM
        hour = hour % 12 + (12 if clock.group(5).casefold() == "pm" else 0)
    try:
        time = dt.time(hour, minute, second, fraction)
    except ValueError:
        return set()
    zone = clock.group(6)
    offset = None
    if zone in ("Z", "UTC", "GMT"):
        offset = 0
    elif zone:
        digits = zone[1:].replace(":", "")
        offset = (int(digits[:2]) * 60 + int(digits[2:] or 0)) * (-1 if zone[0] == "-" else 1)
    return {(day, time, offset) for day in days}


def own_value(recorded: Mapping[str, Any], name: str) -> Any:
    """A recorded own column's value by the name a file gives it, in any capitals where it
    is not recorded under that very name: "Village" had changed a release recorded with
    "village" (a legacy migration's review, helper-99)."""
    if name in recorded:
        return recorded[name]
    folded = name.casefold()
    return next((v for k, v in recorded.items() if k.casefold() == folded), None)


def _outside_repeated_in_the_file(
    apart: list[tuple[int, dt.date, str, BaseGeometry]],
    rows: list[tuple[int, str | None]],
    out: _Collector,
) -> None:
    """Land released outside hazards that an earlier feature of the same file (by date, then
    by row) releases too: counted once (ims.db.outside), and perhaps one clearance twice.
    Only the records already in the database had been compared (an attack on our own
    change); a polygon repeated whole is told as ``duplicate_geometry`` already."""
    if len(apart) < 2:
        return
    apart.sort(key=lambda a: (a[1], a[0]))
    tree = shapely.STRtree([g for _, _, _, g in apart])
    for k, (i, _, contam, geom) in enumerate(apart):
        earlier = [int(j) for j in tree.query(geom, predicate="intersects") if j < k]
        earlier = [j for j in earlier if apart[j][2] == contam]
        if not earlier or any(shapely.equals(apart[j][3], geom) for j in earlier):
            continue
        # each earlier feature as a record named by its place here, measured as the
        # database's are
        records = OutsideRecords(
            [OutsideRecord(str(j), apart[j][1], contam, apart[j][3]) for j in earlier]
        )
        m2, found = records.on(geom, contam)
        if found:
            out.row, out.reference = rows[i]
            features = ", ".join(
                f"feature {rows[apart[int(r.reference)][0]][0]} "
                f"({rows[apart[int(r.reference)][0]][1]})"
                for r in found
            )
            out.add(
                "repeats_outside_release",
                WARNING,
                f"{m2:,.0f} m² of the land it releases outside recorded hazards is released "
                f"too by {features} of this file, dated before it or on its day: the same "
                "clearance twice? That ground counts once, with the earlier",
                "geometry",
            )


# Units a stated area is often given in by mistake, as m² in each: a column of hectares
# mapped to area_m2 read "stated area 8 m² differs from the polygon's 79,986 m² by 100%"
# (found by a walk-through migrating legacy records).
_AREA_UNITS = (("hectares", 10_000.0), ("km²", 1_000_000.0))


def _unit_hint(stated_m2: float, polygon_m2: float) -> str:
    """Where the stated area is the polygon's in another unit (to 10 %): which one."""
    for unit, m2 in _AREA_UNITS:
        if stated_m2 > 0 and abs(stated_m2 * m2 - polygon_m2) <= AREA_TOLERANCE * polygon_m2:
            return (
                f"; {stated_m2:,.4g} {unit} would be the polygon's area: is area_m2 given "
                f"in {unit}? It is in m² (× {m2:,.0f})"
            )
    return ""


def _listing(pieces: Sequence[Any]) -> str:
    shown = ", ".join(f"{p.hazard} ({p.area_m2:,.0f} m²)" for p in pieces[:5])
    return shown + (f" and {len(pieces) - 5} more" if len(pieces) > 5 else "")


def _outside_finding(out: _Collector, split: ReleaseSplit, released: dt.date) -> None:
    if split.outside_m2 > 0:
        out.add(
            "released_outside_hazards",
            WARNING,
            f"{split.outside_m2:,.0f} m² lies in no hazard recorded on {released}: it is "
            "recorded as land released outside recorded hazards, counted apart (the register "
            "may be incomplete here; a reviewer can make it a hazard)",
            "geometry",
        )


def _matched(out: _Collector, split: ReleaseSplit, released: dt.date) -> None:
    """Findings for a release without hazard_id, matched by its polygon (§2.7)."""
    if split.pieces:
        out.add(
            "matched_by_geometry",
            WARNING,
            f"no hazard_id: the polygon lies on {noun(len(split.pieces), 'hazard')} "
            f"{_listing(split.pieces)} on {released}; each part is recorded against its hazard",
            "hazard_id",
        )
    _outside_finding(out, split, released)


def _shares_outside(
    records: Sequence[Mapping[str, Any]],
    geoms: Sequence[MultiPolygon | None],
    ctx: ValidationContext,
) -> dict[int, float | None]:
    """For each release naming a recorded hazard (by position): the share of its polygon
    outside that hazard's boundary on the release's date (§2.7: a clearance of 2015 is of
    the boundary of 2015, whatever a later revision redrew), 0.0 when the boundary covers
    it, None when they share no ground. The whole file at once: a prepared covers test
    each (most releases lie within their hazard), and an overlay, on every core, only
    where that test fails.
    """
    rows: list[int] = []
    bounds: list[BaseGeometry] = []
    polys: list[MultiPolygon] = []
    earlier: dict[int, tuple[str, dt.date]] = {}  # by position in rows: dated before in force
    for i, (record, geom) in enumerate(zip(records, geoms, strict=True)):
        if geom is None:
            continue
        ref = cell_text(record.get("hazard_id")) or ""
        known = ctx.hazards.get(ref)
        if known is not None:
            day = _day(record.get("released"))
            if day is not None and known.in_force_from is not None and day < known.in_force_from:
                earlier[len(rows)] = (ref, day)
            rows.append(i)
            bounds.append(known.boundary)
            polys.append(geom)
    if not rows:
        return {}
    if earlier and ctx.history_loader is not None:
        history = ctx.history_loader(sorted({ref for ref, _ in earlier.values()}))
        for k, (ref, day) in earlier.items():
            then = [v for v in history.get(ref, ()) if v.effective <= day]
            if then:  # none: released before the hazard was recorded, an error of its own
                bounds[k] = then[-1].geometry  # one object a version: prepared once
    b, g = object_array(bounds), object_array(polys)
    shapely.prepare(b)  # once per hazard: the same boundary object for all its releases
    share = np.where(shapely.covers(b, g), 0.0, np.nan)
    todo = np.flatnonzero(np.isnan(share))
    if todo.size:
        overlap = np.concatenate(  # a block at a time: the overlays' geometries are large
            [
                shapely.area(in_threads(shapely.intersection, g[part], b[part]))
                for part in np.array_split(todo, -(-todo.size // _OVERLAY_BLOCK))
            ]
        )
        whole = shapely.area(g[todo])
        with np.errstate(divide="ignore", invalid="ignore"):
            share[todo] = np.where(whole > 0, 1.0 - overlap / whole, 1.0)
        share[todo[overlap == 0.0]] = np.nan
    return {
        i: None if math.isnan(value) else value
        for i, value in zip(rows, share.tolist(), strict=True)
    }


# the split choice, as the upload page and the command line name it (a finding read on
# the review page had named the command's option alone)
SPLIT_CHOICE = (
    '"Split releases among the hazards they lie on" on the upload page, ims import --split'
)
# What a finding tells a file's sender to do with it (a form's reader is told otherwise:
# map_ui.record_pages.in_a_forms_words)
SPLIT_AGAIN = (
    f"send it again with the split choice ({SPLIT_CHOICE}) to record each part against its hazard"
)
SPLIT_OUTSIDE = f"the split choice, {SPLIT_CHOICE}, records it as land released outside hazards"
_OVERLAY_BLOCK = 50_000  # releases overlaid with their hazard at once


def _day(value: Any, *, where: str = "released") -> dt.date | None:
    """A date where it reads as one (one that does not is a finding of its own)."""
    try:
        return parse_date(value, where=where)
    except InvalidRequest:
        return None


def _items_go_to(split: ReleaseSplit, ref: str | None) -> str:
    """Where a split release's items are counted: with its largest part, as the approval
    records them (``approval.split_parts``). A release split among hazards had its
    items counted in one of them without a word (a review as a data manager)."""
    areas = [p.area_m2 for p in split.pieces] + ([split.outside_m2] if split.outside_m2 else [])
    largest = max(range(len(areas)), key=lambda k: areas[k])
    if largest < len(split.pieces):
        part = f"{ref}#{largest + 1}" if ref else f"part {largest + 1}"
        where = f"{part}, on hazard {split.pieces[largest].hazard}"
    else:
        where = f"{ref}#outside, outside every hazard" if ref else "the part outside every hazard"
    return (
        f"the release is split: its items found and destroyed are counted once, with its "
        f"largest part ({where}, {areas[largest]:,.0f} m²)"
    )


def _named_release(
    out: _Collector,
    geom: MultiPolygon,
    hazard_ref: str,
    share_outside: float | None,
    released: dt.date | None,
    ctx: ValidationContext,
) -> ReleaseSplit | None:
    """Check a release against the hazard it names; the split, when it is to be split.

    ``share_outside`` is the share of the polygon outside the hazard (`_shares_outside`).
    A release reaching beyond its hazard onto others is split with the split choice
    (``ctx.split``), and otherwise told it could be.
    """
    if share_outside is None:
        out.add(
            "misses_hazard",
            ERROR,
            f"the release polygon does not touch hazard {hazard_ref}",
            "geometry",
        )
        return None
    if share_outside <= EDGE_NOISE_SHARE:
        return None  # inside but for the float noise of a shared edge: nothing elsewhere
    split = (
        split_release(geom, ctx.boundaries().in_force(geom, released))
        if released is not None
        else None
    )
    others = [p for p in split.pieces if p.hazard != hazard_ref] if split else []
    if split is not None and ctx.split and (others or split.outside_m2 > 0):
        if others:
            out.add(
                "split_among_hazards",
                WARNING,
                f"the release also lies on {noun(len(others), 'hazard')} {_listing(others)}: "
                "it is split, each part recorded against its hazard",
                "geometry",
            )
        _outside_finding(out, split, released or dt.date.min)
        return split
    if others:
        out.add(
            "lies_on_other_hazards",
            WARNING,
            f"part of the release lies on other {noun(len(others), 'hazard')} "
            f"{_listing(others)}, not counted there: {SPLIT_AGAIN}",
            "geometry",
        )
    elif share_outside > RELEASE_OUTSIDE_WARNING:
        out.add(
            "largely_outside_hazard",
            WARNING,
            f"{100 * share_outside:.0f}% of the release lies outside hazard "
            f"{hazard_ref}; that part is not counted as released",
            "geometry",
        )
    elif (
        share_outside > RELEASE_PARTLY_OUTSIDE_SHARE
        and (outside_m2 := share_outside * float(geodesic_areas([geom])[0]))
        >= RELEASE_PARTLY_OUTSIDE_M2
    ):
        day = f" as it stood on {released}" if released is not None else ""
        out.add(
            "partly_outside_hazard",
            WARNING,
            f"{outside_m2:,.0f} m² ({100 * share_outside:.0f}%) of the release lies "
            f"outside hazard {hazard_ref}{day}: that part is not counted "
            "as released (if it was cleared, the hazard's boundary may need a revision; "
            f"{SPLIT_OUTSIDE})",
            "geometry",
        )
    return None


def _features(
    frame: Any, ctx: ValidationContext, key: str, dropped_z: bool
) -> tuple[
    _Collector,
    list[dict[str, Any]],
    list[str | None],
    list[tuple[int, str | None]],
    list[MultiPolygon | None],
    set[int],
    npt.NDArray[np.float64],
]:
    """The checks every layer starts with: its geometries, and each feature's reference.

    Returns the findings so far, the records, their references in ``key`` ("" where one is
    given but unusable, an error already; None where none is given), each feature's (row,
    reference), its usable polygon, which polygons were repaired, and their areas.
    """
    out = _Collector()
    if dropped_z:
        out.add("z_dropped", WARNING, "Z/M coordinates were dropped (ims stores 2-D polygons)")
    records = _records(frame)
    refs = [cell_text(r.get(key)) for r in records]
    rows = [(i + 1, ref) for i, ref in enumerate(refs)]
    unread = frame.attrs.get("geometry_unread", {})  # the table reader's (ims.ingest.tables)
    ctx.say("validating: each feature's polygon")
    geoms, repaired, areas = _geometry_checks(list(frame.geometry), ctx, out, rows, unread)
    for i, record in enumerate(records):
        out.row, out.reference = rows[i]
        # a revision's hazard is recorded already (a release's id is always new)
        new = key != "hazard_id" or refs[i] not in ctx.hazards
        refs[i] = _reference(out, record.get(key), key, new=new) if refs[i] else None
        if refs[i] is None and not blank(record.get(key)):
            refs[i] = ""  # unusable, and already an error: not "missing"
    return out, records, refs, rows, geoms, repaired, areas


def _records(frame: Any) -> list[dict[str, Any]]:
    """Each feature's cells by column name (read a column at a time: pandas' to_dict
    boxes every cell, a second on a national file)."""
    columns = [c for c in frame.columns if c != frame.geometry.name]
    cells = [column_cells(frame[c]) for c in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*cells, strict=True)]


def _duplicate_geometries(
    geoms: Sequence[MultiPolygon | None], rows: list[tuple[int, str | None]], out: _Collector
) -> None:
    """Warn where a feature repeats the polygon of an earlier one under another reference.

    A hazard's revision that keeps its boundary (a reclassification, say) repeats its own
    polygon: that is no duplicate.
    """
    seen: dict[bytes, int] = {}
    present = [i for i, geom in enumerate(geoms) if geom is not None]
    keys = (  # a block at a time: a national file's normalised copies at once took 100 MB
        key
        for b in range(0, len(present), AREA_BLOCK)
        for key in shapely.to_wkb(
            shapely.normalize(object_array([geoms[i] for i in present[b : b + AREA_BLOCK]]))
        ).tolist()
    )
    for i, key in zip(present, keys, strict=True):
        first = seen.setdefault(key, i)
        if first != i and not (rows[i][1] and rows[first][1] == rows[i][1]):
            out.row, out.reference = rows[i]
            out.add(
                "duplicate_geometry",
                WARNING,
                f"same polygon as feature {rows[first][0]} ({rows[first][1]})",
                "geometry",
            )


# The overlap check costs a pair of geometries each: a file of 2,000 copies of one polygon
# (564 KB) made four million pairs, 1.7 GB and 22 s, and 100,000 of them ran a worker out
# of the machine's memory (found by an attack on our own instance). Features are queried
# a block at a time, at most a few pairs a feature are measured (the warning names five),
# and the whole file's pairs stop at a budget no real programme comes near (the national
# hazards file: 1,948).
_OVERLAP_BLOCK = 32  # pairs a block at most: 32 × the features (500,000 at most)
_OVERLAPS_MEASURED = 20  # pairs measured a feature; beyond them only counted
OVERLAP_BUDGET = 200_000  # pairs a file, then the check stops and says so
# and the vertices the pairs' tests would walk (the two geometries' together, for each
# pair whose boxes meet): 1,000 small squares inside one hazard of 100,000 vertices took
# a worker a minute, and 30,000 would have taken its half hour (an attack on this
# session's changes). About ten seconds of tests; the national file needs a hundredth.
OVERLAP_VERTICES = 200_000_000


def _overlaps(
    geoms: Sequence[MultiPolygon | None],
    rows: list[tuple[int, str | None]],
    refs: Sequence[str | None],
    records: Sequence[Mapping[str, Any]],
    ctx: ValidationContext,
    out: _Collector,
) -> None:
    """Warn where a new hazard overlaps an open hazard (in the database or the file)."""
    new = [i for i, g in enumerate(geoms) if g is not None and records[i]["revised"] is None]
    if not new:
        return
    others: list[BaseGeometry] = list(ctx.open_geoms) + [geoms[i] for i in new]  # type: ignore[misc]
    names = list(ctx.open_refs) + [refs[i] or f"feature {i + 1}" for i in new]
    tree = shapely.STRtree(others)
    mine = [geoms[i] for i in new]
    stored = len(ctx.open_refs)
    # a reference as a number, to compare whole blocks of pairs at once
    _, code = np.unique(np.array(names, dtype=object).astype(str), return_inverse=True)
    counted = np.zeros(len(mine), dtype=np.int64)  # pairs of each feature, measured or not
    kept: list[np.ndarray] = []
    seen = 0
    vertices = shapely.get_num_coordinates(np.array(others, dtype=object))
    walked = 0
    for start in range(0, len(mine), _OVERLAP_BLOCK):
        block = mine[start : start + _OVERLAP_BLOCK]
        near, by = tree.query(block)  # boxes only: what the exact tests would cost
        walked += int(vertices[stored + start + near].sum() + vertices[by].sum())
        if walked > OVERLAP_VERTICES:
            _overlaps_stopped(new[start], rows, out, costly=True)
            break
        left, right = tree.query(block, predicate="intersects")
        left = left + start
        # One warning a pair: a hazard in the database is named by each new one that
        # overlaps it; of two new ones, the later feature names the earlier.
        wanted = (code[right] != code[stored + left]) & ((right < stored) | (right - stored < left))
        order = np.argsort(left[wanted], kind="stable")
        left, right = left[wanted][order], right[wanted][order]
        counted += np.bincount(left, minlength=len(mine))
        # the first few of each feature's pairs
        first = np.searchsorted(left, left)
        measured = np.arange(len(left)) - first < _OVERLAPS_MEASURED
        kept.append(np.stack([left[measured], right[measured]], axis=1))
        seen += len(left)
        if seen > OVERLAP_BUDGET:
            if start + _OVERLAP_BLOCK < len(mine):
                _overlaps_stopped(new[start + _OVERLAP_BLOCK], rows, out)
            break
    pairs = [(int(a), int(b)) for a, b in np.concatenate(kept)] if kept else []
    # two hazards of so many corners that their edges may cross as often as a grid's
    # (two combs) are not measured, and said so (the releases' check found it, helper-109)
    heavy = {
        (a, b) for a, b in pairs if int(vertices[stored + a]) * int(vertices[b]) > _PAIR_CORNERS
    }
    for a, b in sorted(heavy):
        out.row, out.reference = rows[new[a]]
        out.add(
            "overlaps_not_checked",
            WARNING,
            f"this hazard and {names[b]} have so many corners ({int(vertices[stored + a]):,} "
            f"and {int(vertices[b]):,}) that measuring the ground they may share would hold "
            "the server for minutes: not checked. Do they overlap?",
            "geometry",
        )
    pairs = [pair for pair in pairs if pair not in heavy]
    if not pairs:
        return
    shared = shapely.intersection(
        np.array([mine[a] for a, _ in pairs], dtype=object),
        np.array([others[b] for _, b in pairs], dtype=object),
    )
    areas = geodesic_areas(list(shared))
    # each hazard named once: a reference both open in the database and sent again in the
    # file (as a new record, refused on its own row) had been listed twice with one area
    # (a GIS user's review)
    by_name: dict[int, dict[str, float]] = defaultdict(dict)
    for (a, b), m2 in zip(pairs, areas.tolist(), strict=True):
        if m2 > 0:
            by_name[a][names[b]] = max(m2, by_name[a].get(names[b], 0.0))
    hits = {a: list(found.items()) for a, found in by_name.items()}
    for a, found in sorted(hits.items()):
        out.row, out.reference = rows[new[a]]
        listing = ", ".join(f"{name} ({m2:,.0f} m²)" for name, m2 in found[:5])
        more = int(counted[a]) - min(len(found), 5)
        if counted[a] > _OVERLAPS_MEASURED:
            listing += f" and up to {more:,} more"
        elif len(found) > 5:
            listing += f" and {len(found) - 5:,} more"
        several = len(found) > 1 or counted[a] > _OVERLAPS_MEASURED
        out.add(
            "overlaps_hazard",
            WARNING,
            f"overlaps open {'hazards' if several else 'hazard'} {listing}: the shared ground "
            "would be counted twice in national totals",
            "geometry",
        )


def _overlaps_stopped(
    i: int, rows: list[tuple[int, str | None]], out: _Collector, *, costly: bool = False
) -> None:
    """The one warning of a file whose features overlap too often to check them all."""
    out.row, out.reference = rows[i]
    why = (
        "lie within hazards of so many vertices, so often, that checking them all would hold "
        "the server for minutes"
        if costly
        else f"overlap each other or open hazards more than {OVERLAP_BUDGET:,} times"
    )
    out.add(
        "overlaps_not_checked",
        WARNING,
        f"the features of this file {why} before this one, so overlaps were not checked "
        "from here on: does the file hold the same ground many times over?",
        "geometry",
    )


# Releases of one hazard that share ground (§2.2: a square metre is released once, by the
# first release on it). The national releases file has 519,000 pairs of one hazard's
# releases whose boxes meet, 16,000 of them sharing ground: about 3 s. Pairs are found a
# block of features at a time, and a file of copies of one polygon on one hazard stops at
# a budget, as the hazards' overlaps do.
_SHARED_BOX_PAIRS = 1_000_000  # pairs whose boxes meet, a file; then it stops and says so


@dataclass(frozen=True, slots=True)
class _Released:
    """A release that the file's releases are compared with: the file's or a recorded one."""

    hazard: str
    on: dt.date
    name: str
    feature: int | None  # the file's feature number; None for a recorded release
    polygon: BaseGeometry

    def said(self, m2: float) -> str:
        where = f"feature {self.feature}" if self.feature is not None else "recorded"
        return f"{self.name} ({where}, released {self.on.isoformat()}, {m2:,.0f} m²)"


def _shared_ground(
    geoms: Sequence[MultiPolygon | None],
    rows: list[tuple[int, str | None]],
    named: Sequence[tuple[int, str, dt.date]],
    ctx: ValidationContext,
    out: _Collector,
) -> None:
    """Warn where a release shares ground with another release of its hazard, in the file
    or recorded (``overlaps_release``). The ground counts once, released by the earlier
    (by date, then recorded before sent): the later one releases less than its polygon,
    which its stated area does not say (an operator's data manager found a clearance's
    stated area a quarter cleared already, told nothing). A release dated before a
    recorded one it overlaps takes that ground from it, and the figures of the years
    between change: it is told so."""
    sent = [(i, h, d) for i, h, d in named if geoms[i] is not None]
    if not sent:
        return
    hazards = {h for _, h, _ in sent}
    them = [
        _Released(h, d, rows[i][1] or f"feature {rows[i][0]}", rows[i][0], geoms[i])  # type: ignore[arg-type]
        for i, h, d in sent
    ] + [
        _Released(h, d, ref, None, polygon)
        for (h, d), found in ctx.recorded_releases.items()
        if h in hazards
        for ref, polygon in found
    ]
    polygons = object_array([r.polygon for r in them])
    _, group = np.unique(
        np.array([r.hazard for r in them], dtype=object).astype(str), return_inverse=True
    )
    _, name = np.unique(
        np.array([r.name for r in them], dtype=object).astype(str), return_inverse=True
    )
    tree = shapely.STRtree(polygons)
    vertices = shapely.get_num_coordinates(polygons)
    found: list[npt.NDArray[np.int64]] = []
    boxes = walked = 0
    for start in range(0, len(sent), _OVERLAP_BLOCK):
        left, right = tree.query(polygons[start : min(start + _OVERLAP_BLOCK, len(sent))])
        left = left + start
        # one hazard's, each pair once (of two sent, from the first), not a release with
        # itself sent again under its own reference
        keep = (group[left] == group[right]) & (name[left] != name[right])
        keep &= (right >= len(sent)) | (left < right)
        left, right = left[keep], right[keep]
        boxes += len(left)
        walked += int(vertices[left].sum() + vertices[right].sum())
        if boxes > _SHARED_BOX_PAIRS or walked > OVERLAP_VERTICES:
            out.row, out.reference = rows[sent[start][0]]
            out.add(
                "overlaps_not_checked",
                WARNING,
                "the releases of this file lie on their hazards so many times over that "
                "checking the ground they share would hold the server for minutes: from "
                "this feature on it was not checked. Does the file hold the same releases "
                "many times?",
                "geometry",
            )
            break
        found.append(np.stack([left, right], axis=1))
    pairs = np.concatenate(found) if found else np.empty((0, 2), dtype=np.int64)
    if not len(pairs):
        return
    a, b, m2, said = _shared_pairs(pairs, polygons, vertices, them, rows, sent, out)
    earlier: dict[int, list[tuple[int, float]]] = defaultdict(list)  # the later's, in the file
    taken: dict[int, list[tuple[int, float]]] = defaultdict(list)  # back-dated: recorded after
    told: set[int] = set()  # those sharing ground with more than a copy of themselves
    for p, q, shared, copy in zip(a.tolist(), b.tolist(), m2.tolist(), said.tolist(), strict=True):
        if shared < SLIVER_AREA_M2:
            continue
        first, then = sorted((p, q), key=lambda k: (them[k].on, them[k].feature is not None, k))
        if then < len(sent):
            # a copy's ground is told by its own finding; it is counted here with the rest
            # of what was released before (a copy that overlapped a third release had been
            # told a third of it released before, where all of it was: helper-123)
            earlier[then].append((first, shared))
            if not copy:
                told.add(then)
        else:
            taken[first].append((then, shared))
    # what of each later release was released before: one pair's ground, or the union's
    # (of the largest few: a union of each release's hundreds had taken a minute, helper-109)
    later = sorted(earlier)
    several = [k for k in later if len(earlier[k]) > 1]
    unions = shapely.intersection(
        object_array([them[k].polygon for k in several]),
        object_array(
            [
                shapely.union_all(
                    [them[j].polygon for j, _ in sorted(earlier[k], key=lambda f: -f[1])[:_UNITED]]
                )
                for k in several
            ]
        ),
    )
    before = {k: earlier[k][0][1] for k in later}
    before.update(zip(several, geodesic_areas(list(unions)).tolist(), strict=True))
    whole = dict(zip(later, geodesic_areas([them[k].polygon for k in later]).tolist(), strict=True))
    for k in sorted(set(earlier) | set(taken)):
        mine = them[k]
        out.row, out.reference = rows[sent[k][0]]
        if k in before and k in told:
            least = "at least " if len(earlier[k]) > _UNITED else ""
            out.add(
                "overlaps_release",
                WARNING,
                f"shares ground with {_listing_released(earlier[k], them)} of hazard "
                f"{mine.hazard}, released before it: {least}{before[k]:,.0f} m² of its "
                f"{whole[k]:,.0f} m² ({_share(before[k], whole[k])}) was released already. A "
                "square metre is released once, so this release counts only the rest",
                "geometry",
            )
        if taken.get(k):
            out.add(
                "overlaps_release",
                WARNING,
                f"is dated before {_listing_released(taken[k], them)}, already recorded for "
                f"hazard {mine.hazard} on ground this release shares: approved, it releases "
                "that ground on its own earlier date instead, and the figures of the time "
                "between change (a report of it made before, made again, differs)",
                "geometry",
            )


# What the exact tests of two releases cost grows with how often their edges cross, up to
# the product of their corners: two combs of 700 teeth, crossed (186 KB), took 49 s and
# 2.7 GB, a grid of half a million squares (an attack on our own instance, helper-109).
# Pairs of more than _PAIR_CORNERS are not measured and said so (the national file's
# largest is 5,329); the rest are measured a chunk of _CHUNK_CORNERS at a time, and the
# check stops, said, once it has taken _SHARED_SECONDS (the national file takes about 5 s,
# 12 s on a loaded machine; a file of 1,400 copies of one octagon, a little apart, 28 s).
_PAIR_CORNERS = 250_000
_CHUNK_CORNERS = 1_000_000
_SHARED_SECONDS = 60.0
_UNITED = 20  # earlier releases united to say what of a later one they released


def _shared_pairs(
    pairs: npt.NDArray[np.int64],
    polygons: npt.NDArray[np.object_],
    vertices: npt.NDArray[Any],
    them: Sequence[_Released],
    rows: list[tuple[int, str | None]],
    sent: Sequence[tuple[int, str, dt.date]],
    out: _Collector,
) -> tuple[
    npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.bool_]
]:
    """Of the pairs whose boxes meet, those whose interiors meet, the ground each shares
    (m²), and whether the two are one polygon said already to be repeated: two of the
    file's (duplicate_geometry), or a recorded one of the same day (same_as_recorded)."""
    a, b = pairs[:, 0], pairs[:, 1]
    corners = vertices[a].astype(np.int64) * vertices[b]
    heavy = corners > _PAIR_CORNERS
    for p, q in dict(zip(a[heavy].tolist(), b[heavy].tolist(), strict=True)).items():
        out.row, out.reference = rows[sent[p][0]]
        out.add(
            "overlaps_not_checked",
            WARNING,
            f"this release and release {them[q].name} of hazard {them[p].hazard} have so many "
            f"corners ({vertices[p]:,} and {vertices[q]:,}) that measuring the ground they "
            "share would hold the server for minutes: not checked. Do they overlap?",
            "geometry",
        )
    a, b, corners = a[~heavy], b[~heavy], corners[~heavy]
    kept: list[tuple[Any, Any, Any, Any]] = []
    cumulative = np.cumsum(corners)
    started = time.monotonic()
    start = 0
    while start < len(a):
        end = int(
            np.searchsorted(
                cumulative, cumulative[start] - corners[start] + _CHUNK_CORNERS, "right"
            )
        )
        end = max(end, start + 1)
        x, y = a[start:end], b[start:end]
        inside = shapely.relate_pattern(polygons[x], polygons[y], "T********")
        x, y = x[inside], y[inside]
        said = shapely.equals(polygons[x], polygons[y]) & (
            (y < len(sent))
            | np.array([them[p].on == them[q].on for p, q in zip(x, y, strict=True)], dtype=bool)
        )
        shared = np.empty(len(x))  # a copy shares its whole, measured once, not overlaid
        shared[said] = geodesic_areas(list(polygons[x[said]]))
        shared[~said] = geodesic_areas(
            list(shapely.intersection(polygons[x[~said]], polygons[y[~said]]))
        )
        kept.append((x, y, shared, said))
        start = end
        if start < len(a) and time.monotonic() - started > _SHARED_SECONDS:
            out.row, out.reference = rows[sent[int(a[start])][0]]
            out.add(
                "overlaps_not_checked",
                WARNING,
                f"the releases of this file share ground so intricately that checking it took "
                f"more than {_SHARED_SECONDS:.0f} s: from this feature on it was not checked",
                "geometry",
            )
            break
    if not kept:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0), np.empty(0, dtype=bool)
    return (
        np.concatenate([k[0] for k in kept]),
        np.concatenate([k[1] for k in kept]),
        np.concatenate([k[2] for k in kept]),
        np.concatenate([k[3] for k in kept]),
    )


def _listing_released(found: Sequence[tuple[int, float]], them: Sequence[_Released]) -> str:
    """Releases, each with the ground it shares, five at most."""
    found = sorted(found, key=lambda f: (them[f[0]].on, f[0]))
    listing = ", ".join(them[j].said(m2) for j, m2 in found[:5])
    more = f" and {len(found) - 5:,} more" if len(found) > 5 else ""
    return f"{noun(len(found), 'release', 'releases')} {listing}{more}"


def _share(part: float, whole: float) -> str:
    """A part of a whole in per cent, never 0 % nor 100 % unless it is (to the square
    metre the message gives: a copy's union came out a hair under its whole, "over 99 %")."""
    if whole <= 0 or round(part) >= round(whole):
        return "100 %"
    pct = 100 * part / whole
    if pct >= 99.5:
        return "over 99 %"
    return f"{pct:.0f} %" if pct >= 1 else "under 1 %"
