"""Article 7 Form 1(h) (remaining contamination) and 1(i) (land release), from the ledger.

Every figure is a sum over the area ledger (docs/design.md §2), read as the sums of its
changes per admin area that the ledger's triggers keep (ims.reports.changes): a report for
any date reads a few thousand rows and agrees with the geometry to the square metre. The
JSON shape is the one docs/design.md §7 fixes; other tools read it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.db.dissolve import dissolved_remaining_area, released_twice_area
from ims.db.ledger import admin_indexes
from ims.db.outside import outside_ground
from ims.domain.enums import Contamination
from ims.domain.figures import clean_area
from ims.errors import InvalidRequest
from ims.reports import changes

REMAINING_COLUMNS = (
    "sha_count",
    "sha_area_m2",
    "cha_count",
    "cha_area_m2",
    "total_count",
    "total_area_m2",
)
RELEASED_COLUMNS = ("cancelled_m2", "reduced_m2", "cleared_m2", "total_m2", "hazards_closed")
# the admin areas of a level: id, code, name, and a district's province (None at level 1)
Admins = list[tuple[int, str, str, str | None]]


@dataclass(frozen=True)
class ReportScope:
    """What a report covers: the admin level and the contamination kind."""

    level: int = 1
    contam: Contamination = Contamination.CMR

    def __post_init__(self) -> None:
        if self.level not in (1, 2):
            raise InvalidRequest("level must be 1 (province) or 2 (district)")


def end_of_year(year: int) -> dt.date:
    """The as-of date of a calendar-year report (31 December, whole day included)."""
    if not 1900 <= year <= 2200:
        raise InvalidRequest(f"year {year} is out of range")
    return dt.date(year, 12, 31)


HAZARD_STATE_SQL = """
    SELECT DISTINCT ON (e.hazard_id)
           e.hazard_id, e.status_after AS status, e.remaining_after_m2 AS remaining,
           e.revision_id,
           CASE WHEN :level = 1 THEN e.count_admin1_id ELSE e.count_admin2_id END AS admin_id
    FROM ledger_entry e JOIN hazard h ON h.id = e.hazard_id
    WHERE e.on <= :as_of AND h.contam = :contam
    ORDER BY e.hazard_id, e.entry_no DESC
"""

REMAINING_AREA_SQL = """
    SELECT e.hazard_id, p.admin_id, SUM(p.area_m2) AS area
    FROM ledger_entry e
    JOIN ledger_piece p ON p.hazard_id = e.hazard_id AND p.entry_no = e.entry_no
    JOIN hazard h ON h.id = e.hazard_id
    WHERE e.on <= :as_of AND p.level = :level AND h.contam = :contam
    GROUP BY e.hazard_id, p.admin_id
"""


def _admins(session: Session, level: int) -> Admins:
    return [
        (row.id, row.code, row.name, row.province)
        for row in session.execute(
            text(
                "SELECT a.id, a.code, a.name, up.name AS province FROM admin_area a"
                " LEFT JOIN admin_area up ON up.id = a.parent_id AND a.level = 2"
                " WHERE a.level = :l ORDER BY a.code"
            ),
            {"l": level},
        )
    ]


def remaining(
    session: Session, as_of: dt.date, scope: ReportScope, *, admins: Admins | None = None
) -> list[dict[str, Any]]:
    """Form 1(h) rows: remaining SHA/CHA counts and areas, remnants, years of use, per admin.

    Each hazard's ledger up to ``as_of`` (its pieces under the status it has then; where
    it is counted while open, with its remnants and years) is summed by the changes the
    ledger's triggers keep per admin area (ims.reports.changes). ``admins``: the admin
    areas of the level, when the caller has them already.
    """
    sums = changes.totals(
        session,
        level=scope.level,
        contam=scope.contam.value,
        figures=changes.ON_A_DATE,
        after=None,
        through=as_of,
    )
    rows = _empty_rows(admins or _admins(session, scope.level), _remaining_row, scope.level)
    remnant_map: dict[int | None, dict[str, int]] = defaultdict(dict)
    years: dict[int | None, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for change in sums:
        row = _row_of(rows, change)
        if row is None:
            continue
        if change.figure == "remaining":
            row[f"{change.code.lower()}_area_m2"] += change.value
        elif change.figure == "open":
            row[f"{change.code.lower()}_count"] += round(change.value)
        elif change.figure == "remnants" and change.records > 0:
            remnant_map[change.admin_id][change.code] = round(change.value)
        elif change.figure in ("used_from", "used_to") and round(change.value) > 0:
            years[change.admin_id][change.figure].append(int(change.code))
    for admin_id, bounds in years.items():
        y0 = min(bounds["used_from"], default=None)
        y1 = max(bounds["used_to"], default=None)
        rows[admin_id]["years_of_use"] = [y for y in (y0, y1) if y is not None]
    for admin_id, row in rows.items():
        row["remnants"] = [
            {"type": code, "estimated_quantity": qty}
            for code, qty in sorted(remnant_map.get(admin_id, {}).items())
        ]
    result = [_finish_remaining(row) for row in rows.values()]
    result.append(_total_remaining(result))
    return result


def _row_of(
    rows: dict[int | None, dict[str, Any]], change: changes.Change
) -> dict[str, Any] | None:
    """The row a change goes to; None for the changes of an admin area no longer loaded,
    which sum to nothing (its ledger pieces went when the boundaries were reloaded)."""
    row = rows.get(change.admin_id)
    if row is None and (abs(change.value) > 1e-6 or change.records):
        raise RuntimeError(f"report_change names admin area {change.admin_id}, which is gone")
    return row


def _remaining_row(code: str | None, name: str) -> dict[str, Any]:
    return {
        "admin_code": code,
        "admin_name": name,
        "sha_count": 0,
        "sha_area_m2": 0.0,
        "cha_count": 0,
        "cha_area_m2": 0.0,
        "total_count": 0,
        "total_area_m2": 0.0,
        "remnants": [],
        "years_of_use": [],
    }


def _finish_remaining(row: dict[str, Any]) -> dict[str, Any]:
    row["sha_area_m2"] = clean_area(row["sha_area_m2"])
    row["cha_area_m2"] = clean_area(row["cha_area_m2"])
    row["total_count"] = row["sha_count"] + row["cha_count"]
    row["total_area_m2"] = clean_area(row["sha_area_m2"] + row["cha_area_m2"])
    return row


def _total_remaining(rows: list[dict[str, Any]]) -> dict[str, Any]:
    total = _remaining_row("TOTAL", "Total")
    if any("province" in row for row in rows):  # districts: the column stays whole
        total["province"] = None
    remnants: dict[str, int] = defaultdict(int)
    y0: list[int] = []
    y1: list[int] = []
    for row in rows:
        for key in ("sha_count", "cha_count", "sha_area_m2", "cha_area_m2"):
            total[key] += row[key]
        for item in row["remnants"]:
            remnants[item["type"]] += item["estimated_quantity"]
        if row["years_of_use"]:
            y0.append(row["years_of_use"][0])
            y1.append(row["years_of_use"][-1])
    total["remnants"] = [
        {"type": code, "estimated_quantity": qty} for code, qty in sorted(remnants.items())
    ]
    total["years_of_use"] = [min(y0), max(y1)] if y0 else []
    return _finish_remaining(total)


def _empty_rows(admins: Admins, make: Any, level: int) -> dict[int | None, dict[str, Any]]:
    """A row for each admin area and the unassigned ground; a district's row names its
    province: three districts' names are each two districts' (Xaysetha in Attapeu and in
    Vientiane Capital), which the tables had told apart by their codes alone (an IM
    officer's review, helper-100)."""
    rows: dict[int | None, dict[str, Any]] = {}
    for admin_id, code, name, province in admins:
        rows[admin_id] = make(code, name)
        if level == 2:
            rows[admin_id]["province"] = province
    rows[None] = make(None, "Unassigned")
    if level == 2:
        rows[None]["province"] = None
    return rows


def released(
    session: Session,
    start: dt.date,
    end: dt.date,
    scope: ReportScope,
    *,
    admins: Admins | None = None,
) -> list[dict[str, Any]]:
    """Form 1(i) rows: area released per method in (start, end], hazards closed, destroyed.

    ``admins``: the admin areas of the level, when the caller has them already.
    """
    sums = changes.totals(
        session,
        level=scope.level,
        contam=scope.contam.value,
        figures=changes.OVER_A_PERIOD,
        after=start,
        through=end,
    )
    rows = _empty_rows(admins or _admins(session, scope.level), _released_row, scope.level)
    cmr = _cmr_types(session) if any(c.figure == "destroyed" for c in sums) else {}
    items: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for change in sums:
        row = _row_of(rows, change)
        if row is None:
            continue
        if change.figure == "released":
            row[f"{change.code}_m2"] += change.value
        elif change.figure == "closed":
            row["hazards_closed"] += round(change.value)
        elif change.figure == "destroyed" and change.records > 0:
            item = {"type": change.code, "quantity": round(change.value), "cmr": cmr[change.code]}
            items[change.admin_id].append(item)
    outside = released_outside(session, start, end, scope)
    for admin_id, area in outside.areas.items():
        rows[admin_id]["released_outside_hazards_m2"] += area
    for admin_id, found in outside.items.items():
        if not cmr:
            cmr = _cmr_types(session)
        for code, qty in found.items():
            items[admin_id].append({"type": code, "quantity": qty, "cmr": cmr[code]})
    for admin_id, row in rows.items():
        row["destroyed"] = _sort_items(_summed(items.get(admin_id, [])))
    result = [_finish_released(row) for row in rows.values()]
    total = _released_row("TOTAL", "Total")
    if any("province" in row for row in result):  # districts: the column stays whole
        total["province"] = None
    all_items: dict[tuple[str, bool], int] = defaultdict(int)
    for row in result:
        for key in (
            "cancelled_m2",
            "reduced_m2",
            "cleared_m2",
            "hazards_closed",
            "released_outside_hazards_m2",
        ):
            total[key] += row[key]
        for item in row["destroyed"]:
            all_items[(item["type"], item["cmr"])] += item["quantity"]
    total["destroyed"] = _sort_items(
        [{"type": t, "quantity": q, "cmr": c} for (t, c), q in all_items.items()]
    )
    result.append(_finish_released(total))
    return result


def _cmr_types(session: Session) -> dict[str, bool]:
    """Whether each munition type is a cluster munition remnant (a short reference list)."""
    return {
        code: bool(is_cmr)
        for code, is_cmr in session.execute(text("SELECT code, is_cmr FROM munition_type"))
    }


def _summed(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per type: a type destroyed both in hazards and outside them is one."""
    total: dict[str, dict[str, Any]] = {}
    for item in items:
        if item["type"] in total:
            total[item["type"]]["quantity"] += item["quantity"]
        else:
            total[item["type"]] = dict(item)
    return list(total.values())


_OUTSIDE_STAMP = text(
    "SELECT (SELECT count(*) || ':' || coalesce(max(seq), 0) FROM outside_release) || '/' || "
    "(SELECT count(*) FROM outside_release_conversion) || '/' || "
    "(SELECT count(*) FROM outside_release_withdrawal) || '/' || "
    # a hazard made from such land, withdrawn, gives it back its count (view, 0043)
    "(SELECT coalesce(max(seq), 0) FROM hazard_withdrawal)"
)


@dataclass(frozen=True)
class Outside:
    """Land released outside recorded hazards over a period, per admin area."""

    areas: dict[int | None, float]
    # the items its records found and destroyed (type → quantity), in the area holding
    # the largest share of each record's polygon, as a release's (§2.5)
    items: dict[int | None, dict[str, int]]


_outside_kept: dict[tuple[Any, ...], Outside] = {}


def released_outside(session: Session, start: dt.date, end: dt.date, scope: ReportScope) -> Outside:
    """Land released outside recorded hazards in (start, end] per admin area (§2.7), and
    the items destroyed there.

    The area is counted apart: never in the remaining or released figures, and each
    square metre once (``outside_ground``). The items are Form 1(i)'s items destroyed like
    any release's: a clearance outside every recorded hazard destroyed them all the same
    (they had been left out of every report). Split among admin areas as hazards are
    (§2.5), at report time, so a boundary reload is followed; kept while neither the
    records nor the boundaries change.
    """
    indexes = admin_indexes(session)
    key = (session.scalar(_OUTSIDE_STAMP), id(indexes), start, end, scope.level, scope.contam)
    kept = _outside_kept.get(key)
    if kept is not None:
        return kept
    index = indexes.level1 if scope.level == 1 else indexes.level2
    totals: dict[int | None, float] = defaultdict(float)
    items: dict[int | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for record in outside_ground(session, start, end, scope.contam):
        whole = index.split_area(record.polygon)
        split = whole if record.ground is record.polygon else index.split_area(record.ground)
        for admin_id, area in split.items():
            totals[admin_id] += area
        if record.items:
            where = index.largest_of(whole)  # where its polygon lies, as a release's items
            for code, qty in record.items.items():
                items[where][code] += int(qty)
    if len(_outside_kept) > 64:
        _outside_kept.clear()
    _outside_kept[key] = Outside(dict(totals), {a: dict(t) for a, t in items.items()})
    return _outside_kept[key]


def _sort_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cluster munition remnants first, then other items; by type within each."""
    return sorted(items, key=lambda i: (not i["cmr"], i["type"]))


def _released_row(code: str | None, name: str) -> dict[str, Any]:
    return {
        "admin_code": code,
        "admin_name": name,
        "cancelled_m2": 0.0,
        "reduced_m2": 0.0,
        "cleared_m2": 0.0,
        "total_m2": 0.0,
        "hazards_closed": 0,
        "destroyed": [],
        "released_outside_hazards_m2": 0.0,
    }


def _finish_released(row: dict[str, Any]) -> dict[str, Any]:
    for key in ("cancelled_m2", "reduced_m2", "cleared_m2", "released_outside_hazards_m2"):
        row[key] = clean_area(row[key])
    row["total_m2"] = clean_area(row["cancelled_m2"] + row["reduced_m2"] + row["cleared_m2"])
    return row


def article7(session: Session, year: int, scope: ReportScope) -> dict[str, Any]:
    """The Article 7 report for calendar year ``year`` in the shape of docs/design.md §7."""
    as_of = end_of_year(year)
    start = dt.date(year - 1, 12, 31)
    admins = _admins(session, scope.level)
    remaining_rows = remaining(session, as_of, scope, admins=admins)
    total_area = remaining_rows[-1]["total_area_m2"]
    dissolved = dissolved_remaining_area(session, as_of, scope.contam, total=total_area)
    return {
        "year": year,
        "as_of": as_of.isoformat(),
        "contam": scope.contam.value,
        "level": scope.level,
        "remaining": remaining_rows,
        "released": released(session, start, as_of, scope, admins=admins),
        "overlap": {
            "total_area_m2": total_area,
            "dissolved_area_m2": clean_area(dissolved),
            "double_counted_m2": clean_area(max(0.0, total_area - dissolved)),
            "released_twice_m2": clean_area(
                released_twice_area(session, start, as_of, scope.contam)
            ),
        },
    }


def article4(
    session: Session, baseline: dt.date, as_of: dt.date, contam: Contamination | None
) -> dict[str, Any]:
    """Article 4.6(d)–(f): area at the baseline, added since, released since, remaining.

    ``contam`` None: every kind of contamination together.
    """
    if as_of < baseline:
        raise InvalidRequest("the as-of date is before the baseline date")
    figures = session.execute(
        text(
            "SELECT "
            " COALESCE(SUM(e.delta_m2) FILTER (WHERE e.on <= :b), 0) AS at_baseline,"
            " COALESCE(SUM(e.delta_m2) FILTER (WHERE e.on > :b AND e.kind = 'added'), 0),"
            " COALESCE(-SUM(e.delta_m2) FILTER (WHERE e.on > :b AND e.kind = 'cancelled'), 0),"
            " COALESCE(-SUM(e.delta_m2) FILTER (WHERE e.on > :b AND e.kind = 'reduced'), 0),"
            " COALESCE(-SUM(e.delta_m2) FILTER (WHERE e.on > :b AND e.kind = 'cleared'), 0),"
            " COALESCE(SUM(e.delta_m2), 0) AS remaining "
            "FROM ledger_entry e JOIN hazard h ON h.id = e.hazard_id "
            "WHERE e.on <= :d AND (CAST(:contam AS text) IS NULL OR h.contam = :contam)"
        ),
        {"b": baseline, "d": as_of, "contam": contam.value if contam else None},
    ).one()
    at_baseline, added, cancelled, reduced, cleared, left = (float(v) for v in figures)
    return {
        "baseline": baseline.isoformat(),
        "as_of": as_of.isoformat(),
        "contam": contam.value if contam else "all",
        "area_at_baseline_m2": clean_area(at_baseline),
        "added_since_m2": clean_area(added),
        "released_since_m2": {
            "cancelled": clean_area(cancelled),
            "reduced": clean_area(reduced),
            "cleared": clean_area(cleared),
            "total": clean_area(cancelled + reduced + cleared),
        },
        "remaining_m2": clean_area(left),
    }
