"""The hazard register and the list of releases: every hazard as in force on a date, filtered.

A hazard's state on a date is its ``hazard_period`` then (kept from the ledger by the
triggers of migration 0016), so a register of any date is one indexed lookup, not a
replay of the ledger. Hazards are placed in an admin area exactly as the Article 7 tables
count them (ims/reports/article7.py): by the ledger entry's ``count_admin1_id`` /
``count_admin2_id`` (the area holding the largest share of the boundary in force,
docs/design.md §2.5), and a hazard is open while at least ``OPEN_THRESHOLD_M2`` remains.
The ``remaining_m2`` of a hazard is the ledger's, so the register's counts and areas sum
to the report's for the same date and contamination.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any, Final, Generic, TypeVar
from urllib.parse import urlencode

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.domain.enums import Contamination, HazardStatus, ReleaseMethod
from ims.domain.figures import OPEN_THRESHOLD_M2, clean_area
from ims.domain.polygons import without_slivers
from ims.errors import InvalidRequest
from ims.queries.national import national_figures
from ims.reports import tiles
from ims.reports.kept import kept

MAX_LIMIT: Final = 10_000
DEFAULT_LIMIT: Final = 100

# How the sorts read in a list of choices.
SORT_LABELS: Final = {
    "hazard_id": "hazard",
    "status": "status",
    "contamination": "contamination",
    "remaining_m2": "remaining area",
    "boundary_m2": "boundary area",
    "recorded": "date recorded",
    "operator": "operator",
    "admin1_name": "province",
    "admin2_name": "district",
    "marked": "date marked",
}
# The date the hazard was marked or fenced, as known on the date asked for: a revision in
# force then may give a marking dated after it (the register of 2024 had shown a hazard
# "marked 2025-12-17", as the hazard's page no longer does; found by helper-86).
MARKED_THEN: Final = "CASE WHEN {r}.marked <= CAST(:as_of AS date) THEN {r}.marked END"
# What the register may be sorted by ("-" before it: descending), and the SQL for each.
SORTS: Final = {
    "hazard_id": "p.reference",
    "status": "p.status",
    "contamination": "p.contam",
    "remaining_m2": "p.remaining_m2",
    "boundary_m2": "p.area_m2",
    "recorded": "(SELECT min(f.effective) FROM hazard_revision f WHERE f.hazard_id = p.hazard_id)",
    "operator": "o.name",
    "admin1_name": "a1.name",
    "admin2_name": "a2.name",
    # which hazards were marked longest ago (a national walk-through)
    "marked": MARKED_THEN.format(r="r"),
}
RELEASE_SORTS: Final = {
    "release_id": "s.reference",
    "released": "s.released",
    "hazard_id": "s.hazard_reference",
    "method": "s.method",
    "area_m2": "s.area_m2",
    "operator": "s.operator",
}


@dataclass(frozen=True)
class Admin:
    """An admin area named in a filter: its level and id."""

    id: int
    level: int
    code: str
    name: str
    parent: str | None = None  # a district's province (district names repeat)

    @property
    def label(self) -> str:
        """Its name as a list of choices shows it: a district with its province."""
        return f"{self.name} ({self.parent})" if self.parent else self.name


@dataclass(frozen=True)
class RegisterFilter:
    """Which hazards the register lists, and in which order."""

    as_of: dt.date
    admin: str | None = None
    status: HazardStatus | None = None
    contamination: Contamination | None = None
    operator: str | None = None
    open: bool = True
    q: str | None = None
    sort: str = "hazard_id"
    hazard_id: str | None = None  # one hazard only (its Feature)

    def params(self) -> dict[str, str]:
        """The filter as query parameters (for links: next page, exports); defaults left out."""
        values: dict[str, str] = {"as_of": self.as_of.isoformat()}
        if self.admin:
            values["admin"] = self.admin
        if self.status:
            values["status"] = self.status.value
        if self.contamination:
            values["contamination"] = self.contamination.value
        if self.operator:
            values["operator"] = self.operator
        if not self.open:
            values["open"] = "false"
        if self.q:
            values["q"] = self.q
        if self.sort != "hazard_id":
            values["sort"] = self.sort
        return values


@dataclass(frozen=True)
class HazardRow:
    """One hazard of the register, as in force on the filter's date."""

    hazard_id: str
    status: str
    contamination: str
    admin1_code: str | None
    admin1_name: str | None
    admin2_code: str | None
    admin2_name: str | None
    remaining_m2: float
    boundary_m2: float
    recorded: dt.date | None
    operator: str | None
    marked: dt.date | None
    attributes: dict[str, Any] = field(default_factory=dict)
    geometry: BaseGeometry | None = None  # the remaining ground on the date (EPSG:4326)
    used_from: int | None = None  # the years of use, as the revision in force gives them
    used_to: int | None = None
    # the estimates in force as the template writes them (TYPE:QTY;…), read for the
    # boundaries' files only (``register(boundaries=True)``), which are sent back
    munitions: str | None = None

    def properties(self) -> dict[str, Any]:
        """The GeoJSON properties: the register's columns, then the upload's own."""
        props: dict[str, Any] = {
            "hazard_id": self.hazard_id,
            "status": self.status,
            "contamination": self.contamination,
            "admin1_code": self.admin1_code,
            "admin1_name": self.admin1_name,
            "admin2_code": self.admin2_code,
            "admin2_name": self.admin2_name,
            "remaining_m2": self.remaining_m2,
            "boundary_m2": self.boundary_m2,
            "recorded": self.recorded.isoformat() if self.recorded else None,
            "operator": self.operator,
            "marked": self.marked.isoformat() if self.marked else None,
            "used_from": self.used_from,
            "used_to": self.used_to,
        }
        for key, value in self.attributes.items():
            props.setdefault(key, value)  # never over a register column
        return props


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """A page of rows, with how many match in all."""

    rows: list[T]
    matched: int
    offset: int
    limit: int | None

    @property
    def next_offset(self) -> int | None:
        """The offset of the next page, None on the last."""
        if self.limit is None or self.offset + len(self.rows) >= self.matched:
            return None
        return self.offset + len(self.rows)


def find_admin(session: Session, code: str) -> Admin:
    """The admin area with ``code`` (any level); InvalidRequest when there is none."""
    row = session.execute(
        text("SELECT id, level, code, name FROM admin_area WHERE code = :c ORDER BY level LIMIT 1"),
        {"c": code},
    ).first()
    if row is None:
        raise InvalidRequest(f"no admin area with the code {code!r}")
    if row.level not in (1, 2):
        raise InvalidRequest(f"admin area {code!r} is of level {row.level}: reports count 1 and 2")
    return Admin(row.id, row.level, row.code, row.name)


def _order(sort: str, sorts: dict[str, str], tiebreak: str) -> str:
    key, desc = (sort[1:], True) if sort.startswith("-") else (sort, False)
    if key not in sorts:
        raise InvalidRequest(f"cannot sort by {sort!r}: use {', '.join(sorts)} (- for descending)")
    return f"{sorts[key]} {'DESC' if desc else 'ASC'} NULLS LAST, {tiebreak}"


def reference_named(session: Session, q: str) -> str | None:
    """The reference of the hazard that ``q`` names exactly (whatever its case), if any."""
    found: str | None = session.scalar(
        text("SELECT reference FROM hazard WHERE lower(reference) = lower(:q) LIMIT 1"),
        {"q": q.strip()},
    )
    return found


def release_named(session: Session, q: str) -> dict[str, Any] | None:
    """The release that ``q`` names exactly (any case), with its hazard and whether it was
    withdrawn: the register lists hazards, and a search for a release had found nothing."""
    row = session.execute(
        text(
            "SELECT x.reference, h.reference AS hazard, x.released,"
            " EXISTS (SELECT 1 FROM release_withdrawal w WHERE w.release_id = x.id) AS withdrawn"
            " FROM release x JOIN hazard h ON h.id = x.hazard_id"
            " WHERE lower(x.reference) = lower(:q) LIMIT 1"
        ),
        {"q": q.strip()},
    ).first()
    return None if row is None else dict(row._mapping)


def left_out_by(session: Session, f: RegisterFilter, reference: str) -> str | None:
    """Why the hazard ``reference`` is not among those ``f`` finds: "withdrawn" (as
    recorded in error), "date" (not recorded on its date), "closed" (closed then, and
    ``f`` shows open hazards only) or "filters" (its area, status, kind or operator);
    None if it is among them."""

    def passes(g: RegisterFilter) -> bool:
        params: dict[str, Any] = {"as_of": g.as_of}
        where = _register_where(session, replace(g, hazard_id=reference, q=None), params)
        base = _REGISTER_BASE.format(where=where, sort_key="NULL")
        return bool(session.scalar(text(f"SELECT EXISTS ({base})"), params))

    if passes(f):
        return None
    if session.scalar(
        text(
            "SELECT EXISTS (SELECT 1 FROM hazard_withdrawal w JOIN hazard h ON h.id = w.hazard_id"
            " WHERE h.reference = :r)"
        ),
        {"r": reference},
    ):
        return "withdrawn"  # on no date: it had been said "not recorded on its date"
    if not passes(RegisterFilter(f.as_of, open=False)):
        return "date"
    if f.open and not passes(RegisterFilter(f.as_of)):
        return "closed"
    return "filters"


def like(q: str) -> str:
    """``q`` as an ILIKE pattern matching it anywhere, its wildcards taken literally."""
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# The values of the upload's own columns, as one text to search (keys left out).
ATTRIBUTE_TEXT: Final = "lower(jsonb_path_query_array(r.attributes, '$.*')::text)"

# The hazards in force on the date that pass the filter. Every join is a LEFT JOIN on a
# unique key that every period has a row of: the planner drops those a query does not use,
# so counting or ordering by the hazard's own columns reads hazard_period alone.
_REGISTER_BASE = """
    SELECT p.hazard_id, p.entry_no, p.reference, p.status, p.contam, p.remaining_m2,
           p.area_m2, p.revision_id, upper_inf(p.during) AS last, {sort_key} AS sort_key
    FROM hazard_period p
    LEFT JOIN ledger_entry e ON e.hazard_id = p.hazard_id AND e.entry_no = p.entry_no
    LEFT JOIN hazard_revision r ON r.id = p.revision_id
    LEFT JOIN organisation o ON o.id = r.operator_id
    LEFT JOIN admin_area a1 ON a1.id = e.count_admin1_id
    LEFT JOIN admin_area a2 ON a2.id = e.count_admin2_id
    WHERE p.during @> CAST(:as_of AS date){where}
"""

_RECORDED = "(SELECT min(f.effective) FROM hazard_revision f WHERE f.hazard_id = {h})"

# The remaining ground then: today's when nothing of the hazard is later (its last
# period), else the boundary in force then minus everything released up to the date
# (as the map's tiles draw it, ims/reports/tiles.py).
_REMAINING_THEN = """
    CASE WHEN s.last THEN m.geom
    ELSE ST_Difference(r.geom, COALESCE((SELECT ST_Union(rel.geom) FROM release_in_force rel
         WHERE rel.hazard_id = s.hazard_id AND rel.released <= :as_of),
         'SRID=4326;POLYGON EMPTY'::geometry)) END
"""


def _register_where(session: Session, f: RegisterFilter, params: dict[str, Any]) -> str:
    where = []
    if f.open:
        where.append("p.remaining_m2 >= :open")
        params["open"] = OPEN_THRESHOLD_M2
    if f.hazard_id is not None:
        where.append("p.reference = :hazard_id")
        params["hazard_id"] = f.hazard_id
    if f.admin:
        # The area's ledger entries first (an index of them by area, migration 0019), then
        # the periods among them: joining each period of the date to its entry and
        # filtering after walked 36,000 periods to fill a page of one province at 100k.
        admin = find_admin(session, f.admin)
        where.append(
            "(p.hazard_id, p.entry_no) IN (SELECT le.hazard_id, le.entry_no FROM ledger_entry le"
            f" WHERE le.count_admin{admin.level}_id = :admin_id)"
        )
        params["admin_id"] = admin.id
    if f.status is not None:
        where.append("p.status = :status")
        params["status"] = f.status.value
    if f.contamination is not None:
        where.append("p.contam = :contam")
        params["contam"] = f.contamination.value
    if f.operator:
        where.append("lower(o.name) = lower(:operator)")
        params["operator"] = f.operator
    if f.q:
        # The hazards whose reference or any revision's own columns hold the text (trigram
        # indexes, migration 0019), then those whose revision in force on the date does.
        where.append(
            "p.hazard_id IN (SELECT h.id FROM hazard h WHERE lower(h.reference) LIKE :q"
            " UNION SELECT x.hazard_id FROM hazard_revision x WHERE x.attributes IS NOT NULL"
            f" AND {ATTRIBUTE_TEXT.replace('r.', 'x.')} LIKE :q)"
            f" AND (lower(p.reference) LIKE :q OR {ATTRIBUTE_TEXT} LIKE :q)"
        )
        params["q"] = like(f.q.lower())
    return "".join(f" AND {w}" for w in where)


def register(
    session: Session,
    f: RegisterFilter,
    *,
    limit: int | None = DEFAULT_LIMIT,
    offset: int = 0,
    geometry: bool = True,
    boundaries: bool = False,
) -> Page[HazardRow]:
    """The hazards in force on ``f.as_of`` that pass the filter, a page of them.

    ``limit`` None: all of them (exports). ``geometry``: with the remaining ground of each,
    or with ``boundaries`` the boundary then in force (to revise in a GIS and send back).
    """
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequest(f"limit must be from 1 to {MAX_LIMIT}")
    if offset < 0:
        raise InvalidRequest("offset must be 0 or more")
    params: dict[str, Any] = {"as_of": f.as_of}
    where = _register_where(session, f, params)
    key, desc = (f.sort[1:], True) if f.sort.startswith("-") else (f.sort, False)
    if key not in SORTS:
        raise InvalidRequest(
            f"cannot sort by {f.sort!r}: use {', '.join(SORTS)} (- for descending)"
        )
    direction = "DESC" if desc else "ASC"
    session.execute(text("SET LOCAL jit = off"))
    matched = _matched(session, f, where, params)
    if matched == 0 or offset >= matched:
        return Page([], matched, offset, limit)
    base = _REGISTER_BASE.format(where=where, sort_key=SORTS[key])
    inner_order = f"sort_key {direction} NULLS LAST, reference, hazard_id"
    order = f"s.sort_key {direction} NULLS LAST, s.reference, s.hazard_id"
    shape = "NULL"
    if geometry:
        shape = "ST_AsBinary(r.geom)" if boundaries else f"ST_AsBinary({_REMAINING_THEN})"
    estimates = _ESTIMATES if boundaries else "NULL"
    paging = " LIMIT :limit OFFSET :offset" if limit is not None else " OFFSET :offset"
    params.update(limit=limit, offset=offset)
    rows = session.execute(
        text(
            f"WITH s AS ({base} ORDER BY {inner_order}{paging}) "
            f"SELECT s.*, {_RECORDED.format(h='s.hazard_id')} AS first_recorded, "
            f"{MARKED_THEN.format(r='r')} AS marked, "
            "r.used_from, r.used_to, "
            "r.attributes, o.name AS operator, a1.code AS admin1_code, a1.name AS admin1_name, "
            f"a2.code AS admin2_code, a2.name AS admin2_name, {shape} AS shape, "
            f"{estimates} AS munitions FROM s "
            "JOIN hazard_revision r ON r.id = s.revision_id "
            "JOIN ledger_entry e ON e.hazard_id = s.hazard_id AND e.entry_no = s.entry_no "
            "LEFT JOIN organisation o ON o.id = r.operator_id "
            "LEFT JOIN admin_area a1 ON a1.id = e.count_admin1_id "
            "LEFT JOIN admin_area a2 ON a2.id = e.count_admin2_id "
            "LEFT JOIN hazard_remaining m ON m.hazard_id = s.hazard_id AND s.last "
            f"ORDER BY {order}"
        ),
        params,
    ).all()
    return Page([_hazard_row(row) for row in rows], matched, offset, limit)


# The estimates of the revision in force, as a file's `munitions` cell gives them: a
# boundaries file sent back without them read as "no change" where its cells were blank, but
# a data manager revising them had nothing to start from (helper-94).
_ESTIMATES: Final = (
    "(SELECT string_agg(x.munition_code || ':' || x.quantity, ';' ORDER BY x.munition_code) "
    "FROM hazard_estimate x WHERE x.revision_id = r.id)"
)


def _matched(session: Session, f: RegisterFilter, where: str, params: dict[str, Any]) -> int:
    """How many hazards pass the filter, kept until anything they come from changes.

    Counting the periods of a date walked 50,000-90,000 of them at 100,000 hazards (45-150
    ms, several times that under load), for every page of the register. The usual views,
    open hazards on a date (of one status or kind) or of one province, are counted by the
    sums the map keeps for the date (the figures box, the province layer: the same
    periods, and the same province a hazard is counted in); any other filter is counted
    once and kept.
    """
    plain = f.open and not f.operator and not f.q and f.hazard_id is None
    if plain and not f.admin:
        figures = national_figures(session, f.as_of, f.contamination)
        return int(figures[f"{f.status.value.lower()}_count" if f.status else "total_count"])
    if plain and f.status is None and f.admin and find_admin(session, f.admin).level == 1:
        contam = f.contamination.value if f.contamination else None
        return tiles.province_figures(session, f.as_of, contam).get(params["admin_id"], (0, 0))[1]
    count = text(f"SELECT count(*) FROM ({_REGISTER_BASE.format(where=where, sort_key='NULL')}) s")
    key = (where, tuple(sorted((k, str(v)) for k, v in params.items())))
    return kept(session, "register count", key, lambda: int(session.scalar(count, params) or 0))


def _hazard_row(row: Any) -> HazardRow:
    geom = shapely.from_wkb(row.shape) if row.shape is not None else None
    return HazardRow(
        hazard_id=row.reference,
        status=row.status,
        contamination=row.contam,
        admin1_code=row.admin1_code,
        admin1_name=row.admin1_name,
        admin2_code=row.admin2_code,
        admin2_name=row.admin2_name,
        # as reports and the OGC API show areas: to the mm², floating-point dust dropped
        remaining_m2=clean_area(float(row.remaining_m2)),
        boundary_m2=clean_area(float(row.area_m2)),
        recorded=row.first_recorded,
        operator=row.operator,
        marked=row.marked,
        used_from=row.used_from,
        used_to=row.used_to,
        munitions=row.munitions,
        attributes=dict(row.attributes or {}),
        # the remaining ground without the float noise of its differences (slivers)
        geometry=None if geom is None or geom.is_empty else without_slivers(geom),
    )


def close_matches(session: Session, reference: str, limit: int = 5) -> list[str]:
    """Hazard references like ``reference``: the same in another case, then those holding it
    or held by it, then the nearest in spelling (case-insensitive)."""
    wanted = reference.strip().lower()
    if not wanted:
        return []
    rows = session.execute(
        text(
            "SELECT reference FROM hazard WHERE lower(reference) = :r "
            "UNION ALL (SELECT reference FROM hazard WHERE lower(reference) LIKE :inside "
            " AND lower(reference) <> :r ORDER BY length(reference), reference LIMIT :n) "
            "UNION ALL (SELECT reference FROM hazard WHERE :r LIKE '%' || lower(reference) || '%' "
            " AND lower(reference) <> :r ORDER BY length(reference) DESC LIMIT :n) "
            "UNION ALL (SELECT reference FROM hazard WHERE lower(reference) LIKE :start "
            " ORDER BY length(reference), reference LIMIT :n)"
        ),
        {"r": wanted, "inside": like(wanted), "start": like_prefix(wanted), "n": limit},
    ).scalars()
    return list(dict.fromkeys(rows))[:limit]


def like_prefix(value: str) -> str:
    """A pattern of references sharing ``value``'s first characters (up to its separator)."""
    head = value[: max(1, min(3, len(value)))]
    return head.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# Releases ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseFilter:
    """Which releases the list shows: released from/to (both included), and what of them."""

    start: dt.date | None = None
    end: dt.date | None = None
    method: ReleaseMethod | None = None
    operator: str | None = None
    admin: str | None = None
    hazard_id: str | None = None
    contamination: Contamination | None = None  # its hazard's
    sort: str = "released"

    def params(self) -> dict[str, str]:
        """The filter as query parameters, defaults left out."""
        values: dict[str, str] = {}
        if self.start:
            values["from"] = self.start.isoformat()
        if self.end:
            values["to"] = self.end.isoformat()
        if self.method:
            values["method"] = self.method.value
        if self.operator:
            values["operator"] = self.operator
        if self.admin:
            values["admin"] = self.admin
        if self.hazard_id:
            values["hazard_id"] = self.hazard_id
        if self.contamination:
            values["contamination"] = self.contamination.value
        if self.sort != "released":
            values["sort"] = self.sort
        return values


@dataclass(frozen=True)
class ReleaseRow:
    """One release: where it counts, what it released (the ledger's area) and its polygon."""

    release_id: str
    hazard_id: str
    contamination: str
    method: str
    released: dt.date
    operator: str | None
    area_m2: float  # released, as the ledger counts it
    outside_m2: float  # released outside the hazard, not counted
    stated_area_m2: float | None
    admin1_code: str | None
    admin1_name: str | None
    admin2_code: str | None
    admin2_name: str | None
    items: dict[str, int] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    geometry: BaseGeometry | None = None

    def properties(self) -> dict[str, Any]:
        """The GeoJSON properties."""
        props: dict[str, Any] = {
            "release_id": self.release_id,
            "hazard_id": self.hazard_id,
            "contamination": self.contamination,
            "method": self.method,
            "released": self.released.isoformat(),
            "operator": self.operator,
            "area_m2": self.area_m2,
            "outside_m2": self.outside_m2,
            "stated_area_m2": self.stated_area_m2,
            "admin1_code": self.admin1_code,
            "admin1_name": self.admin1_name,
            "admin2_code": self.admin2_code,
            "admin2_name": self.admin2_name,
            "items": self.items,
        }
        for key, value in self.attributes.items():
            props.setdefault(key, value)
        return props


_RELEASE_BASE = """
    SELECT r.id, r.reference, h.reference AS hazard_reference, h.contam, r.method,
           r.released, o.name AS operator, r.stated_area_m2,
           COALESCE(-e.delta_m2, 0) AS area_m2, COALESCE(e.outside_m2, 0) AS outside_m2,
           a1.code AS admin1_code, a1.name AS admin1_name,
           a2.code AS admin2_code, a2.name AS admin2_name
    FROM release_in_force r JOIN hazard h ON h.id = r.hazard_id
    LEFT JOIN ledger_entry e ON e.hazard_id = r.hazard_id AND e.release_id = r.id
    LEFT JOIN organisation o ON o.id = r.operator_id
    LEFT JOIN admin_area a1 ON a1.id = e.items_admin1_id
    LEFT JOIN admin_area a2 ON a2.id = e.items_admin2_id
    WHERE true{where}
"""


def releases(
    session: Session,
    f: ReleaseFilter,
    *,
    limit: int | None = DEFAULT_LIMIT,
    offset: int = 0,
    geometry: bool = True,
) -> Page[ReleaseRow]:
    """The releases that pass the filter, a page of them.

    A release is in an admin area when it released ground there (the report's pieces) or
    its items are counted there (the largest share of its polygon, docs/design.md §2.5).
    """
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequest(f"limit must be from 1 to {MAX_LIMIT}")
    if offset < 0:
        raise InvalidRequest("offset must be 0 or more")
    if f.start and f.end and f.end < f.start:
        raise InvalidRequest("'to' is before 'from'")
    if f.start and f.start > dt.date.today():
        # no release is dated after today: a far date had given an empty file, as if none
        # had been recorded (an attack on our own instance, helper-98)
        raise InvalidRequest(
            f"'from' {f.start.isoformat()} is after today: no release is dated then",
            field="from",
        )
    params: dict[str, Any] = {}
    where = []
    if f.start:
        where.append("r.released >= :start")
        params["start"] = f.start
    if f.end:
        where.append("r.released <= :end")
        params["end"] = f.end
    if f.method:
        where.append("r.method = :method")
        params["method"] = f.method.value
    if f.operator:
        where.append("lower(o.name) = lower(:operator)")
        params["operator"] = f.operator
    if f.hazard_id:
        where.append("h.reference = :hazard_id")
        params["hazard_id"] = f.hazard_id
    if f.contamination:
        where.append("h.contam = :contam")
        params["contam"] = f.contamination.value
    if f.admin:
        admin = find_admin(session, f.admin)
        where.append(
            f"(e.items_admin{admin.level}_id = :admin_id OR EXISTS (SELECT 1 FROM ledger_piece q"
            " WHERE q.hazard_id = e.hazard_id AND q.entry_no = e.entry_no"
            " AND q.level = :level AND q.admin_id = :admin_id))"
        )
        params.update(admin_id=admin.id, level=admin.level)
    base = _RELEASE_BASE.format(where="".join(f" AND {w}" for w in where))
    order = _order(f.sort, RELEASE_SORTS, "s.reference")
    matched = int(session.scalar(text(f"SELECT count(*) FROM ({base}) s"), params) or 0)
    if matched == 0 or offset >= matched:
        return Page([], matched, offset, limit)
    paging = " LIMIT :limit OFFSET :offset" if limit is not None else " OFFSET :offset"
    params.update(limit=limit, offset=offset)
    shape = "ST_AsBinary(r.geom)" if geometry else "NULL"
    rows = session.execute(
        text(
            f"WITH s AS ({base} ORDER BY {order.replace('s.', '')}{paging}) "
            f"SELECT s.*, r.attributes, {shape} AS shape, "
            "(SELECT jsonb_object_agg(i.munition_code, i.quantity) FROM release_item i "
            " WHERE i.release_id = s.id) AS items "
            f"FROM s JOIN release r ON r.id = s.id ORDER BY {order}"
        ),
        params,
    ).all()
    return Page([_release_row(row) for row in rows], matched, offset, limit)


def _release_row(row: Any) -> ReleaseRow:
    geom = shapely.from_wkb(row.shape) if row.shape is not None else None
    return ReleaseRow(
        release_id=row.reference,
        hazard_id=row.hazard_reference,
        contamination=row.contam,
        method=row.method,
        released=row.released,
        operator=row.operator,
        area_m2=clean_area(float(row.area_m2)),
        outside_m2=clean_area(float(row.outside_m2)),  # 3e-10 m² had been listed
        stated_area_m2=float(row.stated_area_m2) if row.stated_area_m2 is not None else None,
        admin1_code=row.admin1_code,
        admin1_name=row.admin1_name,
        admin2_code=row.admin2_code,
        admin2_name=row.admin2_name,
        items={str(k): int(v) for k, v in (row.items or {}).items()},
        attributes=dict(row.attributes or {}),
        geometry=geom,
    )


def admin_choices(session: Session) -> list[Admin]:
    """Every province and district, for a filter's choice (provinces first, by name)."""
    return [
        Admin(row.id, row.level, row.code, row.name, row.parent)
        for row in session.execute(
            text(
                "SELECT a.id, a.level, a.code, a.name, p.name AS parent FROM admin_area a "
                "LEFT JOIN admin_area p ON p.id = a.parent_id AND a.level = 2 "
                "WHERE a.level IN (1, 2) ORDER BY a.level, a.name, p.name, a.code"
            )
        )
    ]


def names_like(session: Session, text_: str) -> list[tuple[str, str, str]]:
    """Admin areas and operators whose name holds ``text_`` (any capitals): (what, label,
    the filter's query string), for a search that found nothing. The search reads references
    and the uploads' own columns; areas and operators have filters of their own."""
    wanted = text_.strip().lower()
    found = [
        ("province" if a.level == 1 else "district", a.label, urlencode({"admin": a.code}))
        for a in admin_choices(session)
        if wanted and wanted in a.name.lower()
    ]
    found += [
        ("operator", name, urlencode({"operator": name}))
        for name in operator_choices(session)
        if wanted and wanted in name.lower()
    ]
    return found[:6]


def operator_choices(session: Session) -> list[str]:
    """The organisations named as a hazard's operator, for a filter's choice."""
    return list(
        session.scalars(
            text(
                "SELECT o.name FROM organisation o WHERE EXISTS (SELECT 1 FROM"
                " hazard_revision_in_force r WHERE r.operator_id = o.id) ORDER BY o.name"
            )
        )
    )


@dataclass(frozen=True)
class Withdrawn:
    """The records withdrawn as recorded in error (docs/design.md §2.8, §2.9), latest
    first: no register, map or report lists them, so the register lists them apart."""

    hazards: list[dict[str, Any]]
    # releases withdrawn together (at once, by one reviewer, for one reason: a whole file,
    # or one release) as one group each: a file of 1,050 releases had been 1,050 rows
    releases: list[dict[str, Any]]


def withdrawn_records(session: Session) -> Withdrawn:
    """Every hazard and release withdrawn, with when, by whom and why."""
    hazards = session.execute(
        text(
            "SELECT h.reference, h.contam, w.withdrawn_at, w.withdrawn_by, w.reason,"
            " (SELECT min(r.effective) FROM hazard_revision r WHERE r.hazard_id = h.id)"
            "  AS recorded"
            " FROM hazard_withdrawal w JOIN hazard h ON h.id = w.hazard_id"
            " ORDER BY w.seq DESC"
        )
    ).mappings()
    releases = session.execute(
        text(
            "SELECT r.*, s.organisation_id AS submission_org FROM ("
            "SELECT x.reference, h.reference AS hazard, h.contam, x.method, x.released,"
            " w.withdrawn_at, w.withdrawn_by, w.reason, w.seq, x.submission_id"
            " FROM release_withdrawal w JOIN release x ON x.id = w.release_id"
            " JOIN hazard h ON h.id = x.hazard_id"
            # land released outside recorded hazards (§2.7): of no hazard
            " UNION ALL SELECT o.reference, NULL, o.contam, o.method, o.released,"
            " w.withdrawn_at, w.withdrawn_by, w.reason, w.seq, o.submission_id"
            " FROM outside_release_withdrawal w JOIN outside_release o"
            "  ON o.id = w.outside_release_id"
            ") r LEFT JOIN submission s ON s.id = r.submission_id ORDER BY r.seq DESC"
        )
    ).mappings()
    return Withdrawn([dict(r) for r in hazards], _together([dict(r) for r in releases]))


WITHDRAWN_COLUMNS = (
    "record",
    "reference",
    "of_hazard",
    "contamination",
    "method",
    "takes_effect",
    "withdrawn_at_utc",
    "withdrawn_by",
    "reason",
    "submission",
)


def withdrawn_table(records: Withdrawn) -> list[tuple[Any, ...]]:
    """Every record withdrawn, one a row under ``WITHDRAWN_COLUMNS``: the page folds a file
    withdrawn together after its first releases, and a reader had no way to the rest but
    the submission's page, not every reader's to open. ``takes_effect``: a hazard's first
    date, a release's date."""
    rows: list[tuple[Any, ...]] = [WITHDRAWN_COLUMNS]
    for h in records.hazards:
        rows.append(
            (
                "hazard",
                h["reference"],
                "",
                str(h["contam"]),
                "",
                h["recorded"] or "",
                f"{h['withdrawn_at']:%Y-%m-%d %H:%M:%S}",
                h["withdrawn_by"] or "",
                h["reason"],
                "",
            )
        )
    for group in records.releases:
        for r in group["releases"]:
            rows.append(
                (
                    "release" if r["hazard"] else "released outside hazards",
                    r["reference"],
                    r["hazard"] or "",
                    str(r["contam"]),  # its hazard's kind (it had been left blank)
                    str(r["method"]),
                    r["released"],
                    f"{r['withdrawn_at']:%Y-%m-%d %H:%M:%S}",
                    r["withdrawn_by"] or "",
                    r["reason"],
                    r["submission_id"] or "",
                )
            )
    return rows


def _together(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Releases withdrawn at once, by one reviewer, for one reason, as one group (the
    latest group first): its releases, their hazards, methods and dates, and the submission that
    recorded them all, if one did."""
    groups: list[dict[str, Any]] = []
    for row in rows:
        key = (row["withdrawn_at"], row["withdrawn_by"], row["reason"])
        if not groups or groups[-1]["key"] != key:
            groups.append({"key": key, **row, "releases": []})
        groups[-1]["releases"].append(row)
    for group in groups:
        group["releases"].reverse()  # a group's own releases in the order recorded
        members = group["releases"]
        group["hazards"] = sorted({r["hazard"] for r in members if r["hazard"]})
        group["outside"] = sum(1 for r in members if not r["hazard"])
        group["methods"] = sorted({str(r["method"]) for r in members})
        group["first"] = min(r["released"] for r in members)
        group["last"] = max(r["released"] for r in members)
        sent = {(r["submission_id"], r["submission_org"]) for r in members}
        group["submission_id"], group["submission_org"] = (
            sent.pop() if len(sent) == 1 else (None, None)
        )
    return groups


def withdrawn_counts(session: Session) -> tuple[int, int]:
    """How many hazards and releases (on hazards or outside them) were withdrawn as
    recorded in error."""
    row = session.execute(
        text(
            "SELECT (SELECT count(*) FROM hazard_withdrawal), (SELECT count(*) FROM"
            " release_withdrawal) + (SELECT count(*) FROM outside_release_withdrawal)"
        )
    ).one()
    return int(row[0]), int(row[1])
