"""What the pages show, read from the database through the reports and a few queries."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.config import get_settings
from ims.domain.enums import Contamination
from ims.errors import NotFound
from ims.ingest.submissions import findings_of
from ims.reports.article7 import OPEN_THRESHOLD_M2, ReportScope, released, remaining

METHODS = ("cancelled", "reduced", "cleared")


# --------------------------------------------------------------------------- dashboard


@dataclass
class Dashboard:
    """The national picture for the dashboard (CMR)."""

    as_of: dt.date
    totals: dict[str, Any]
    released_this_year: dict[str, Any]
    annual: list[dict[str, Any]]  # per year: year, cancelled_m2, reduced_m2, cleared_m2
    remaining_series: list[tuple[int, float]]  # (year, remaining m² at its end)
    deadline: dt.date
    rate_m2: float  # mean yearly release over the last complete years
    rate_years: list[int]
    projected_year: int | None


def dashboard(session: Session, today: dt.date | None = None) -> Dashboard:
    """Figures for the dashboard, as of today."""
    today = today or dt.date.today()
    scope = ReportScope(level=1, contam=Contamination.CMR)
    totals = remaining(session, today, scope)[-1]
    this_year = released(session, dt.date(today.year - 1, 12, 31), today, scope)[-1]
    rows = session.execute(
        text(
            "SELECT EXTRACT(YEAR FROM e.on)::int AS year, e.kind, SUM(e.delta_m2) "
            "FROM ledger_entry e JOIN hazard h ON h.id = e.hazard_id "
            "WHERE h.contam = :contam AND e.on <= :today GROUP BY 1, 2 ORDER BY 1"
        ),
        {"contam": Contamination.CMR.value, "today": today},
    ).all()
    years = sorted({int(r.year) for r in rows})
    by_year: dict[int, dict[str, Any]] = {
        y: {"year": y, **{f"{m}_m2": 0.0 for m in METHODS}, "delta": 0.0} for y in years
    }
    for year, kind, delta in rows:
        item = by_year[int(year)]
        item["delta"] += float(delta)
        if kind in METHODS:
            item[f"{kind}_m2"] += -float(delta)
    series: list[tuple[int, float]] = []
    level = 0.0
    for y in years:
        level += by_year[y]["delta"]
        series.append((y, max(0.0, level)))
    complete = [y for y in years if y < today.year][-3:]
    rate = (
        sum(sum(by_year[y][f"{m}_m2"] for m in METHODS) for y in complete) / len(complete)
        if complete
        else 0.0
    )
    left = float(totals["total_area_m2"])
    projected = None
    if rate > 0:
        projected = today.year + math.ceil(left / rate) - (1 if left <= 0 else 0)
    return Dashboard(today, totals, this_year, [by_year[y] for y in years], series,
                     get_settings().article4_deadline, rate, complete, projected)  # fmt: skip


def national_figures(session: Session, as_of: dt.date) -> dict[str, Any]:
    """Remaining area and open hazards at ``as_of``, all contamination kinds (the map)."""
    row = session.execute(
        text(
            "SELECT COALESCE(SUM(remaining_after_m2) FILTER (WHERE status_after = 'SHA'), 0),"
            " COALESCE(SUM(remaining_after_m2) FILTER (WHERE status_after = 'CHA'), 0),"
            " COUNT(*) FILTER (WHERE status_after = 'SHA' AND remaining_after_m2 >= :open),"
            " COUNT(*) FILTER (WHERE status_after = 'CHA' AND remaining_after_m2 >= :open) "
            "FROM (SELECT DISTINCT ON (hazard_id) status_after, remaining_after_m2 "
            '      FROM ledger_entry WHERE "on" <= :as_of '
            "      ORDER BY hazard_id, entry_no DESC) state"
        ),
        {"as_of": as_of, "open": OPEN_THRESHOLD_M2},
    ).one()
    sha_m2, cha_m2, sha_n, cha_n = (float(row[0]), float(row[1]), int(row[2]), int(row[3]))
    return {
        "as_of": as_of.isoformat(),
        "sha_area_m2": round(sha_m2, 1),
        "cha_area_m2": round(cha_m2, 1),
        "total_area_m2": round(sha_m2 + cha_m2, 1),
        "sha_count": sha_n,
        "cha_count": cha_n,
        "total_count": sha_n + cha_n,
    }


def map_bounds(session: Session) -> list[list[float]]:
    """[[south, west], [north, east]] of the admin areas (or of the hazards)."""
    row = session.execute(
        text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM ("
            " SELECT COALESCE((SELECT ST_Extent(geom) FROM admin_area WHERE level = 1),"
            "  (SELECT ST_Extent(geom) FROM hazard_revision))::geometry AS e) x"
        )
    ).one()
    if row[0] is None:
        return [[-60.0, -170.0], [70.0, 170.0]]
    return [[float(row[1]), float(row[0])], [float(row[3]), float(row[2])]]


# --------------------------------------------------------------------------- hazard page


@dataclass
class HazardPage:
    """One hazard: its figures, timeline, items and geometries."""

    id: int
    reference: str
    contam: str
    status: str | None
    figures: dict[str, float]
    timeline: list[dict[str, Any]]
    estimates: list[tuple[str, int]]
    destroyed: list[tuple[str, int]]
    boundary: dict[str, Any] | None  # GeoJSON geometries
    remaining: dict[str, Any] | None
    releases: list[dict[str, Any]] = field(default_factory=list)  # GeoJSON features


def hazard_page(session: Session, reference: str) -> HazardPage:
    """Everything the hazard page shows; NotFound for an unknown reference."""
    hazard = session.execute(
        text("SELECT id, reference, contam FROM hazard WHERE reference = :r"), {"r": reference}
    ).first()
    if hazard is None:
        raise NotFound(f"no hazard {reference!r}")
    hid = hazard.id
    revisions = session.execute(
        text(
            "SELECT r.id, r.effective, r.seq, r.status, r.used_from, r.used_to, r.marked,"
            " o.name AS operator, ST_AsGeoJSON(r.geom, 7) AS geojson "
            "FROM hazard_revision r LEFT JOIN organisation o ON o.id = r.operator_id "
            "WHERE r.hazard_id = :h ORDER BY r.effective, r.seq"
        ),
        {"h": hid},
    ).all()
    entries = {
        (row.kind, row.revision_id if row.kind in ("added", "status") else row.release_id): row
        for row in session.execute(
            text(
                "SELECT kind, revision_id, release_id, delta_m2, remaining_after_m2, "
                "outside_m2 FROM ledger_entry WHERE hazard_id = :h"
            ),
            {"h": hid},
        )
    }
    releases = session.execute(
        text(
            "SELECT r.id, r.reference, r.method, r.released, r.stated_area_m2, o.name AS operator,"
            " ST_AsGeoJSON(r.geom, 7) AS geojson FROM release r "
            "LEFT JOIN organisation o ON o.id = r.operator_id "
            "WHERE r.hazard_id = :h ORDER BY r.released, r.seq"
        ),
        {"h": hid},
    ).all()
    items = session.execute(
        text(
            "SELECT ri.release_id, ri.munition_code, ri.quantity FROM release_item ri "
            "JOIN release r ON r.id = ri.release_id WHERE r.hazard_id = :h"
        ),
        {"h": hid},
    ).all()
    items_of: dict[int, list[str]] = {}
    destroyed: dict[str, int] = {}
    for release_id, code, qty in items:
        items_of.setdefault(release_id, []).append(f"{code} × {qty}")
        destroyed[code] = destroyed.get(code, 0) + int(qty)
    timeline: list[dict[str, Any]] = []
    for rev in revisions:
        entry = entries.get(("added", rev.id)) or entries.get(("status", rev.id))
        timeline.append({
            "date": rev.effective, "what": "recorded" if not timeline else "revised",
            "detail": f"{rev.status}" + (f", marked {rev.marked}" if rev.marked else ""),
            "change_m2": float(entry.delta_m2) if entry else 0.0,
            "remaining_m2": float(entry.remaining_after_m2) if entry else None,
            "by": rev.operator or "",
        })  # fmt: skip
    features = []
    released_by: dict[str, float] = dict.fromkeys(METHODS, 0.0)
    for rel in releases:
        entry = next((e for (k, key), e in entries.items() if key == rel.id and k in METHODS),
                     None)  # fmt: skip
        effective = -float(entry.delta_m2) if entry else 0.0
        released_by[rel.method] += effective
        timeline.append({
            "date": rel.released, "what": rel.method,
            "detail": f"{rel.reference}" + (f": {', '.join(items_of[rel.id])}"
                                            if rel.id in items_of else ""),
            "change_m2": -effective,
            "remaining_m2": float(entry.remaining_after_m2) if entry else None,
            "by": rel.operator or "",
        })  # fmt: skip
        features.append({
            "type": "Feature", "geometry": json.loads(rel.geojson),
            "properties": {"reference": rel.reference, "method": rel.method,
                           "released": rel.released.isoformat(), "area_m2": round(effective)},
        })  # fmt: skip
    timeline.sort(key=lambda t: (t["date"], t["what"] not in ("recorded", "revised")))
    state = session.execute(
        text(
            "SELECT status, remaining_m2, area_m2, ST_AsGeoJSON(geom, 7) AS geojson "
            "FROM hazard_remaining WHERE hazard_id = :h"
        ),
        {"h": hid},
    ).first()
    last_rev = revisions[-1] if revisions else None
    estimates = []
    if last_rev is not None:
        estimates = [
            (str(code), int(qty))
            for code, qty in session.execute(
                text(
                    "SELECT munition_code, quantity FROM hazard_estimate "
                    "WHERE revision_id = :r ORDER BY munition_code"
                ),
                {"r": last_rev.id},
            )
        ]
    figures = {
        "area_m2": float(state.area_m2) if state and state.area_m2 is not None else 0.0,
        "remaining_m2": float(state.remaining_m2) if state and state.remaining_m2 else 0.0,
        **{f"{m}_m2": released_by[m] for m in METHODS},
    }
    return HazardPage(
        hid, hazard.reference, str(hazard.contam),
        state.status if state else (last_rev.status if last_rev else None), figures, timeline,
        estimates, sorted(destroyed.items()),
        json.loads(last_rev.geojson) if last_rev else None,
        json.loads(state.geojson) if state and state.geojson else None, features,
    )  # fmt: skip


# --------------------------------------------------------------------------- submissions


def submission_list(session: Session, limit: int = 200) -> list[dict[str, Any]]:
    """The latest submissions with their finding counts."""
    rows = session.execute(
        text(
            "SELECT s.id, s.kind, s.filename, s.status, s.feature_count, s.uploaded_at,"
            " o.name AS organisation,"
            " COUNT(f.id) FILTER (WHERE f.severity = 'error') AS errors,"
            " COUNT(f.id) FILTER (WHERE f.severity = 'warning') AS warnings "
            "FROM submission s LEFT JOIN organisation o ON o.id = s.organisation_id "
            "LEFT JOIN finding f ON f.submission_id = s.id "
            "GROUP BY s.id, o.name ORDER BY s.id DESC LIMIT :n"
        ),
        {"n": limit},
    ).all()
    return [dict(r._mapping) for r in rows]


def submission_page(session: Session, submission_id: int) -> dict[str, Any]:
    """A submission, its findings and its staged features as GeoJSON."""
    sub = session.execute(
        text(
            "SELECT s.*, o.name AS organisation FROM submission s "
            "LEFT JOIN organisation o ON o.id = s.organisation_id WHERE s.id = :s"
        ),
        {"s": submission_id},
    ).first()
    if sub is None:
        raise NotFound(f"submission {submission_id} does not exist")
    found = findings_of(session, submission_id)
    flagged: dict[int, str] = {}
    for f in found:
        if f.row is not None and flagged.get(f.row) != "error":
            flagged[f.row] = f.severity.value
    features = []
    for row_number, reference, geojson in session.execute(
        text(
            "SELECT row_number, reference, ST_AsGeoJSON(COALESCE(geom, raw_geom), 7) "
            "FROM submission_feature WHERE submission_id = :s ORDER BY row_number"
        ),
        {"s": submission_id},
    ):
        if geojson is None:
            continue
        features.append({
            "type": "Feature", "geometry": json.loads(geojson),
            "properties": {"row": row_number, "reference": reference or "",
                           "finding": flagged.get(row_number, "")},
        })  # fmt: skip
    return {
        "submission": dict(sub._mapping),
        "findings": found,
        "features": {"type": "FeatureCollection", "features": features},
        "errors": sum(1 for f in found if f.blocking),
    }
