"""Explaining a figure: the hazards and releases that make a cell of an Article 7 table."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.db.ledger import admin_indexes
from ims.db.outside import outside_ground
from ims.domain.figures import OPEN_THRESHOLD_M2
from ims.errors import InvalidRequest, NotFound
from ims.reports.article7 import (
    HAZARD_STATE_SQL,
    RELEASED_COLUMNS,
    REMAINING_AREA_SQL,
    REMAINING_COLUMNS,
    ReportScope,
    end_of_year,
)

OUTSIDE_COLUMN = "released_outside_hazards_m2"
COLUMNS = (*REMAINING_COLUMNS, *RELEASED_COLUMNS, OUTSIDE_COLUMN)
# A ledger entry {e} that closed its hazard. A hazard closed more than once in a calendar
# year counts once, at its first closing (migration 0044, docs/design.md §2.5).
CLOSING = (
    "{e}.kind IN ('cancelled', 'reduced', 'cleared') AND {e}.remaining_after_m2 < :open "
    "AND {e}.remaining_after_m2 - {e}.delta_m2 >= :open"
)


def _admin_filter(session: Session, code: str, level: int) -> tuple[str, dict[str, Any]]:
    """SQL condition on an ``admin_id`` expression for an admin code, Unassigned or Total."""
    key = code.strip().upper()
    if key == "TOTAL":
        return "TRUE", {}
    if key in ("UNASSIGNED", "NONE", "NULL", ""):
        return "{col} IS NULL", {}
    admin_id = session.scalar(
        text("SELECT id FROM admin_area WHERE level = :l AND upper(code) = :c"),
        {"l": level, "c": key},
    )
    if admin_id is None:
        raise NotFound(f"no level-{level} admin area with code {code!r}")
    return "{col} = :admin_id", {"admin_id": admin_id}


def explain(
    session: Session, year: int, admin_code: str, column: str, scope: ReportScope
) -> dict[str, Any]:
    """List each contribution to one figure of the year's report; they sum to the figure."""
    if column not in COLUMNS:
        raise InvalidRequest(f"unknown column {column!r}; use one of {', '.join(COLUMNS)}")
    as_of = end_of_year(year)
    cond, extra = _admin_filter(session, admin_code, scope.level)
    params = {
        "as_of": as_of,
        "level": scope.level,
        "contam": scope.contam.value,
        **extra,
        "open": OPEN_THRESHOLD_M2,
        "start": dt.date(year - 1, 12, 31),
        "end": as_of,
    }
    statuses = {"sha": ["SHA"], "cha": ["CHA"], "total": ["SHA", "CHA"]}
    rows: list[dict[str, Any]]
    if column in REMAINING_COLUMNS:
        params["statuses"] = statuses[column.split("_")[0]]
        if column.endswith("_area_m2"):
            sql = (
                f"WITH state AS ({HAZARD_STATE_SQL}), area AS ({REMAINING_AREA_SQL}) "
                "SELECT h.reference, s.status, SUM(a.area) AS value FROM area a "
                "JOIN state s ON s.hazard_id = a.hazard_id JOIN hazard h ON h.id = a.hazard_id "
                f"WHERE s.status = ANY(:statuses) AND {cond.format(col='a.admin_id')} "
                "GROUP BY h.reference, s.status HAVING abs(SUM(a.area)) >= 0.0005 "
                "ORDER BY value DESC"
            )
        else:
            sql = (
                f"WITH state AS ({HAZARD_STATE_SQL}) SELECT h.reference, s.status, 1 AS value "
                "FROM state s JOIN hazard h ON h.id = s.hazard_id "
                "WHERE s.status = ANY(:statuses) AND s.remaining >= :open "
                f"AND {cond.format(col='s.admin_id')} ORDER BY h.reference"
            )
        rows = [
            {"hazard": ref, "status": status, "value": float(value)}
            for ref, status, value in session.execute(text(sql), params)
        ]
    elif column == OUTSIDE_COLUMN:
        rows = _outside(session, params, scope, cond, extra.get("admin_id"))
    elif column == "hazards_closed":
        admin_col = "CASE WHEN :level = 1 THEN e.count_admin1_id ELSE e.count_admin2_id END"
        sql = (
            "SELECT h.reference, r.reference, e.kind, e.on FROM ledger_entry e "
            "JOIN hazard h ON h.id = e.hazard_id JOIN release r ON r.id = e.release_id "
            "WHERE e.on > :start AND e.on <= :end AND h.contam = :contam "
            f"AND {CLOSING.format(e='e')} AND NOT EXISTS (SELECT 1 FROM ledger_entry o "
            "WHERE o.hazard_id = e.hazard_id AND o.entry_no < e.entry_no "
            f"AND o.on >= date_trunc('year', e.on)::date AND {CLOSING.format(e='o')}) "
            f"AND {cond.format(col=admin_col)} ORDER BY e.on, h.reference"
        )
        rows = [
            {"hazard": h, "release": r, "method": k, "date": on.isoformat(), "value": 1.0}
            for h, r, k, on in session.execute(text(sql), params)
        ]
    else:
        kinds = (
            ["cancelled", "reduced", "cleared"]
            if column == "total_m2"
            else [column.removesuffix("_m2")]
        )
        params["kinds"] = kinds
        sql = (
            "SELECT h.reference, r.reference, e.kind, e.on, -SUM(p.area_m2) AS value "
            "FROM ledger_entry e "
            "JOIN ledger_piece p ON p.hazard_id = e.hazard_id AND p.entry_no = e.entry_no "
            "JOIN hazard h ON h.id = e.hazard_id JOIN release r ON r.id = e.release_id "
            "WHERE e.kind = ANY(:kinds) AND e.on > :start AND e.on <= :end "
            "AND p.level = :level AND h.contam = :contam "
            f"AND {cond.format(col='p.admin_id')} "
            "GROUP BY h.reference, r.reference, e.kind, e.on ORDER BY e.on, r.reference"
        )
        rows = [
            {"hazard": h, "release": r, "method": k, "date": on.isoformat(), "value": float(v)}
            for h, r, k, on, v in session.execute(text(sql), params)
        ]
    return {
        "year": year,
        "admin_code": admin_code,
        "column": column,
        "level": scope.level,
        "contam": scope.contam.value,
        "contributions": rows,
        "total": round(sum(r["value"] for r in rows), 3),
    }


def _outside(
    session: Session,
    params: dict[str, Any],
    scope: ReportScope,
    cond: str,
    admin_id: int | None,
) -> list[dict[str, Any]]:
    """The land released outside recorded hazards that makes the figure: each record's
    part in the area of the ground it released (``outside_ground``: what no record before it
    had), split among admin areas as the report splits it (§2.7); `explain` had refused
    the column, though the guide says it explains any figure that surprises (found by a
    walk-through migrating legacy records)."""
    indexes = admin_indexes(session)
    index = indexes.level1 if scope.level == 1 else indexes.level2
    rows = []
    for record in outside_ground(session, params["start"], params["end"], scope.contam):
        split = index.split_area(record.ground)
        if cond == "TRUE":
            value = sum(split.values())
        else:
            value = split.get(admin_id if cond != "{col} IS NULL" else None, 0.0)
        if abs(value) >= 0.0005:
            rows.append(
                {
                    "release": record.reference,
                    "method": record.method,
                    "date": record.released.isoformat(),
                    "value": float(value),
                }
            )
    return rows
