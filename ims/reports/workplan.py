"""Work plans (Action 19): annual targets per province and method, actual against target,
and the completion date projected at the recent rate against the Article 4 deadline.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.config import get_settings
from ims.db import audit
from ims.db.audit import Actor, as_actor
from ims.db.bulk import copy_rows
from ims.domain.enums import Contamination, ReleaseMethod
from ims.domain.figures import clean_area
from ims.errors import InvalidRequest
from ims.files import not_a_file

FIELDS = ("year", "province", "method", "target_m2")


def parse_targets(rows: Iterable[Mapping[str, Any]], where: str) -> list[dict[str, Any]]:
    """Check target rows (year, province code, method, target_m2); errors name row and field.

    Raises InvalidRequest listing every problem; nothing is returned half-checked.
    """
    parsed: list[dict[str, Any]] = []
    problems: list[str] = []
    for n, row in enumerate(rows, start=1):
        missing = [f for f in FIELDS if row.get(f) in (None, "")]
        if missing:
            problems.append(f"row {n}: missing {', '.join(missing)}")
            continue
        try:
            year = int(str(row["year"]).strip())
        except ValueError:
            problems.append(f"row {n}, field year: {row['year']!r} is not a year")
            continue
        try:
            method = ReleaseMethod.parse(str(row["method"]))
        except ValueError:
            problems.append(
                f"row {n}, field method: {row['method']!r} is not cancelled, reduced or cleared"
            )
            continue
        try:
            target = float(str(row["target_m2"]).replace(",", ""))
        except ValueError:
            problems.append(f"row {n}, field target_m2: {row['target_m2']!r} is not a number")
            continue
        if not math.isfinite(target) or target < 0:
            problems.append(f"row {n}, field target_m2: a target must be 0 or more")
            continue
        parsed.append(
            {
                "row": n,
                "year": year,
                "province": str(row["province"]).strip(),
                "method": method,
                "target_m2": target,
            }
        )
    if problems:
        raise InvalidRequest(f"{where}: " + "; ".join(problems[:20]), problems=problems)
    return parsed


def read_targets_file(path: Path) -> list[dict[str, Any]]:
    """Rows of a CSV or XLSX work plan (header: year, province, method, target_m2)."""
    path = Path(path)
    wrong = not_a_file(path)
    if wrong is not None:
        raise InvalidRequest(wrong)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        try:
            ws = load_workbook(path, read_only=True, data_only=True).active
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise InvalidRequest(f"{path.name}: not a readable XLSX workbook ({exc})") from None
        assert ws is not None
        values = list(ws.iter_rows(values_only=True))
        if not values:
            raise InvalidRequest(f"{path.name}: the workbook is empty")
        header = [str(h or "").strip().lower() for h in values[0]]
        raw = [dict(zip(header, row, strict=False)) for row in values[1:] if any(row)]
    else:
        try:
            content = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidRequest(f"{path.name}: not a UTF-8 CSV file") from None
        reader = csv.DictReader(io.StringIO(content))
        reader.fieldnames = [f.strip().lower() for f in reader.fieldnames or []]
        raw = list(reader)
    missing = [f for f in FIELDS if raw and f not in raw[0]]
    if missing or not raw:
        raise InvalidRequest(
            f"{path.name}: needs the columns {', '.join(FIELDS)}"
            + (f" (missing {', '.join(missing)})" if missing else "")
        )
    return raw


def set_targets(
    session: Session,
    rows: Sequence[Mapping[str, Any]],
    *,
    where: str,
    by: Actor | str | None = None,
) -> int:
    """Record targets (they take over from earlier ones for the same year, province and
    method); all or nothing. Returns how many were recorded."""
    parsed = parse_targets(rows, where)
    codes: dict[str, int] = {
        code: admin_id
        for code, admin_id in session.execute(
            text("SELECT code, id FROM admin_area WHERE level = 1")
        )
    }
    unknown = [
        f"row {p['row']}, field province: unknown province code {p['province']!r}"
        for p in parsed
        if p["province"] not in codes
    ]
    if unknown:
        raise InvalidRequest(f"{where}: " + "; ".join(unknown[:20]), problems=unknown)
    now = dt.datetime.now(dt.UTC)
    copy_rows(
        session,
        "work_plan_target",
        ("year", "admin_id", "method", "target_m2", "set_at", "set_by"),
        [
            (
                p["year"],
                codes[p["province"]],
                p["method"].value,
                p["target_m2"],
                now,
                as_actor(by).name,
            )
            for p in parsed
        ],
    )
    years = sorted({p["year"] for p in parsed})
    audit.record(
        session,
        by,
        "workplan.set",
        "workplan",
        ",".join(map(str, years)),
        after={
            "source": where,
            "targets": [
                {
                    "year": p["year"],
                    "province": p["province"],
                    "method": p["method"].value,
                    "target_m2": p["target_m2"],
                }
                for p in parsed[:500]
            ],
        },
    )
    return len(parsed)


def workplan_report(session: Session, year: int, contam: Contamination) -> dict[str, Any]:
    """Target against actual per province and method for ``year``, and the projection."""
    targets = session.execute(
        text(
            "SELECT DISTINCT ON (t.admin_id, t.method) a.code, a.name, t.method, t.target_m2 "
            "FROM work_plan_target t JOIN admin_area a ON a.id = t.admin_id "
            "WHERE t.year = :y ORDER BY t.admin_id, t.method, t.set_at DESC, t.id DESC"
        ),
        {"y": year},
    ).all()
    actual = session.execute(
        text(
            "SELECT a.code, a.name, e.kind, -SUM(p.area_m2) FROM ledger_entry e "
            "JOIN ledger_piece p ON p.hazard_id = e.hazard_id AND p.entry_no = e.entry_no "
            "JOIN hazard h ON h.id = e.hazard_id JOIN admin_area a ON a.id = p.admin_id "
            "WHERE p.level = 1 AND h.contam = :c AND e.kind IN ('cancelled','reduced','cleared')"
            " AND e.on BETWEEN :a AND :b GROUP BY a.code, a.name, e.kind"
        ),
        {"c": contam.value, "a": dt.date(year, 1, 1), "b": dt.date(year, 12, 31)},
    ).all()
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for code, name, method, target in targets:
        rows[(code, method)] = {
            "admin_code": code,
            "admin_name": name,
            "method": method,
            "target_m2": float(target),
            "actual_m2": 0.0,
        }
    for code, name, method, m2 in actual:
        item = rows.setdefault(
            (code, method),
            {
                "admin_code": code,
                "admin_name": name,
                "method": method,
                "target_m2": None,
                "actual_m2": 0.0,
            },
        )
        item["actual_m2"] = float(m2)
    lines = sorted(rows.values(), key=lambda r: (r["admin_code"], r["method"]))
    for r in lines:
        r["actual_m2"] = clean_area(r["actual_m2"])
        r["achieved"] = (r["actual_m2"] / r["target_m2"]) if r["target_m2"] else None
    return {
        "year": year,
        "contam": contam.value,
        "lines": lines,
        "total": {
            "target_m2": clean_area(sum(r["target_m2"] or 0.0 for r in lines)),
            "actual_m2": clean_area(sum(r["actual_m2"] for r in lines)),
        },
        "projection": projection(session, year, contam),
    }


def projection(
    session: Session, year: int, contam: Contamination | None, window: int = 3
) -> dict[str, Any]:
    """Completion at the mean release rate of the last ``window`` years up to ``year``.

    ``contam`` None: every kind of contamination together.
    """
    kind = contam.value if contam else None
    per_year: dict[int, float] = {
        int(y): float(m2)
        for y, m2 in session.execute(
            text(
                "SELECT EXTRACT(YEAR FROM e.on)::int, -SUM(e.delta_m2) FROM ledger_entry e "
                "JOIN hazard h ON h.id = e.hazard_id WHERE (CAST(:c AS text) IS NULL OR "
                "h.contam = :c) AND e.kind IN ('cancelled','reduced','cleared') AND e.on <= :end "
                "GROUP BY 1"
            ),
            {"c": kind, "end": dt.date(year, 12, 31)},
        )
    }
    years = list(range(year - window + 1, year + 1))
    rate = math.fsum(float(per_year.get(y, 0.0)) for y in years) / window
    remaining = float(
        session.scalar(
            text(
                "SELECT COALESCE(SUM(e.delta_m2), 0) FROM ledger_entry e JOIN hazard h "
                "ON h.id = e.hazard_id WHERE (CAST(:c AS text) IS NULL OR h.contam = :c) "
                "AND e.on <= :end"
            ),
            {"c": kind, "end": dt.date(year, 12, 31)},
        )
        or 0.0
    )
    deadline = get_settings().article4_deadline
    done_by = None if rate <= 0 else year + max(0, math.ceil(remaining / rate))
    return {
        "rate_years": years,
        "rate_m2_per_year": clean_area(rate),
        "remaining_m2": clean_area(remaining),
        "projected_completion_year": done_by,
        "deadline": deadline.isoformat(),
        "on_track": None if done_by is None else done_by <= deadline.year,
        "assumptions": (
            f"the mean area released in {years[0]}–{years[-1]} is kept up every year and no new "
            "contamination is found; the deadline is the setting IMS_ARTICLE4_DEADLINE"
        ),
    }
