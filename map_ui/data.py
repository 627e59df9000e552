"""What the pages show, read from the database through the reports and a few queries."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import mapping, shape
from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.config import get_settings
from ims.db.ledger import load_inputs
from ims.domain.enums import Contamination
from ims.domain.findings import Finding as FindingData
from ims.domain.findings import Severity
from ims.domain.geodesy import geodesic_area
from ims.domain.ledger import BoundaryVersion, hazard_ledger_state
from ims.errors import NotFound
from ims.ingest.fields import HAZARD_FIELDS, RELEASE_FIELDS
from ims.reports.article7 import OPEN_THRESHOLD_M2, ReportScope, article4, released, remaining
from ims.reports.progress import article4_series
from ims.reports.workplan import projection
from map_ui.charts import Bar

METHODS = ("cancelled", "reduced", "cleared")


# --------------------------------------------------------------------------- dashboard


@dataclass
class Dashboard:
    """The national picture for the dashboard, for one kind of contamination or all."""

    as_of: dt.date
    contam: Contamination | None  # None: every kind together
    kinds: list[str]  # the kinds of contamination recorded, for the choice
    totals: dict[str, Any]  # the national row of Form 1(h) at as_of
    released_this_year: dict[str, Any]  # the national row of Form 1(i) from 1 January
    bars: list[Bar]  # land released per year by method since the baseline
    remaining_series: list[tuple[str, float]]  # remaining m² at each year end
    progress: dict[str, Any] | None  # Article 4.6(d)-(f) since the baseline
    projection: dict[str, Any]  # completion at the mean rate of the last complete years
    deadline: dt.date
    deadline_is_default: bool  # the assumed deadline, not one the NMAA set


def kinds_recorded(session: Session) -> list[str]:
    """The kinds of contamination of the hazards recorded, in the usual order."""
    present = set(session.scalars(text("SELECT DISTINCT contam FROM hazard")).all())
    return [c.value for c in Contamination if c.value in present]


def _national_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """National rows of several kinds added up (numbers summed; lists and names dropped)."""
    total: dict[str, Any] = {}
    for row in rows:
        for key, value in row.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                total[key] = total.get(key, 0) + value
    return total


def national_totals(
    session: Session, as_of: dt.date, contam: Contamination | None
) -> dict[str, Any]:
    """The national row of Form 1(h) at ``as_of`` for one kind, or all kinds added up."""
    kinds = [contam] if contam else [Contamination(k) for k in kinds_recorded(session)]
    rows = [remaining(session, as_of, ReportScope(level=1, contam=k))[-1] for k in kinds]
    return _national_row(rows) if rows else dict.fromkeys(FIGURE_KEYS, 0)


def national_released(
    session: Session, start: dt.date, end: dt.date, contam: Contamination | None
) -> dict[str, Any]:
    """The national row of Form 1(i) over (start, end], one kind or all kinds added up."""
    kinds = [contam] if contam else [Contamination(k) for k in kinds_recorded(session)]
    rows = [released(session, start, end, ReportScope(level=1, contam=k))[-1] for k in kinds]
    empty = dict.fromkeys(("cancelled_m2", "reduced_m2", "cleared_m2", "total_m2"), 0.0)
    return _national_row(rows) if rows else empty


FIGURE_KEYS = ("sha_area_m2", "cha_area_m2", "total_area_m2", "sha_count", "cha_count",
               "total_count")  # fmt: skip


def dashboard(
    session: Session, today: dt.date | None = None, contam: Contamination | None = None
) -> Dashboard:
    """Figures for the dashboard, as of today, from the report functions."""
    today = today or dt.date.today()
    settings = get_settings()
    totals = national_totals(session, today, contam)
    this_year = national_released(session, dt.date(today.year - 1, 12, 31), today, contam)
    baseline = settings.article4_baseline
    bars: list[Bar] = []
    series: list[tuple[str, float]] = []
    progress = None
    if baseline <= today:
        progress = article4(session, baseline, today, contam)
        years = article4_series(session, baseline, today.year, contam)["years"]
        while years and not (years[0]["remaining_end_m2"] or years[0]["released_m2"]["total"]):
            years = years[1:]  # nothing recorded yet in the first years after the baseline
        for row in years:
            year, partial = row["year"], row["year"] == today.year
            by = row["released_m2"]
            bars.append(Bar(str(year), by["cancelled"], by["reduced"], by["cleared"], partial))
            end = today if partial else dt.date(year, 12, 31)
            series.append((f"{end:%-d %b %Y}", row["remaining_end_m2"]))
    deadline_field = type(settings).model_fields["article4_deadline"]
    return Dashboard(
        as_of=today, contam=contam, kinds=kinds_recorded(session), totals=totals,
        released_this_year=this_year, bars=bars, remaining_series=series, progress=progress,
        projection=projection(session, today.year - 1, contam),
        deadline=settings.article4_deadline,
        deadline_is_default=settings.article4_deadline == deadline_field.default,
    )  # fmt: skip


def national_figures(
    session: Session, as_of: dt.date, contam: Contamination | None = None
) -> dict[str, Any]:
    """Remaining area and open hazards at ``as_of``: the map's figures box.

    The national rows of Form 1(h), of one kind or of every kind added up, so the map
    and the dashboard show one number for one country and agree with the reports to the
    square metre.
    """
    totals = national_totals(session, as_of, contam)
    figures: dict[str, Any] = {"as_of": as_of.isoformat(),
                               "contam": contam.value if contam else "all"}  # fmt: skip
    for key in FIGURE_KEYS:
        value = totals.get(key, 0)
        figures[key] = round(float(value), 1) if key.endswith("_m2") else int(value)
    return figures


def default_contam(session: Session) -> Contamination:
    """The kind a report shows first: CMR where there are any, else the most recorded kind."""
    rows = session.execute(
        text("SELECT contam, COUNT(*) FROM hazard GROUP BY contam ORDER BY COUNT(*) DESC")
    ).all()
    kinds = [str(r[0]) for r in rows]
    if not kinds or Contamination.CMR.value in kinds:
        return Contamination.CMR
    return Contamination(kinds[0])


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


def province_outlines(session: Session, tolerance_deg: float = 0.01) -> dict[str, Any]:
    """Level-1 boundaries simplified to about a kilometre: context for small maps, ~40 KB."""
    rows = session.execute(
        text(
            "SELECT code, name, ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, :t), 4) "
            "FROM admin_area WHERE level = 1 ORDER BY code"
        ),
        {"t": tolerance_deg},
    ).all()
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": json.loads(g), "properties": {"code": c, "name": n}}
            for c, n, g in rows
            if g
        ],
    }


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
    releases: list[dict[str, Any]] = field(default_factory=list)  # effective parts (GeoJSON)
    outside: list[dict[str, Any]] = field(default_factory=list)  # released outside, not counted
    as_of: dt.date | None = None  # the state shown is the one in force on this date (None: now)
    records: list[dict[str, Any]] = field(default_factory=list)  # every record, as recorded
    attributes: dict[str, Any] = field(default_factory=dict)  # the upload's own columns

    @property
    def closed(self) -> bool:
        """Fully released: less than 1 m² remains (docs/design.md §2.5)."""
        return self.boundary is not None and self.figures["remaining_m2"] < OPEN_THRESHOLD_M2

    @property
    def centre(self) -> tuple[float, float] | None:
        """(lat, lon) of a point inside the boundary in force, for links to the map."""
        if self.boundary is None:
            return None
        point = shape(self.boundary).representative_point()
        return (round(point.y, 6), round(point.x, 6))


def hazard_page(session: Session, reference: str, as_of: dt.date | None = None) -> HazardPage:
    """Everything the hazard page shows, as in force on ``as_of`` (default: now).

    Only revisions and releases that take effect on or before ``as_of`` count towards the
    state, the figures and the timeline; ``records`` lists every record of the hazard with
    when it was recorded and by whom, so that corrections entered later show as such.
    NotFound for an unknown reference.
    """
    hazard = session.execute(
        text("SELECT id, reference, contam FROM hazard WHERE reference = :r"), {"r": reference}
    ).first()
    if hazard is None:
        raise NotFound(f"no hazard {reference!r}")
    hid = hazard.id
    revisions = session.execute(
        text(
            "SELECT r.id, r.effective, r.seq, r.status, r.used_from, r.used_to, r.marked,"
            " o.name AS operator, r.attributes, ST_AsGeoJSON(r.geom, 7) AS geojson "
            "FROM hazard_revision r LEFT JOIN organisation o ON o.id = r.operator_id "
            "WHERE r.hazard_id = :h AND (CAST(:d AS date) IS NULL OR r.effective <= :d) "
            "ORDER BY r.effective, r.seq"
        ),
        {"h": hid, "d": as_of},
    ).all()
    entries = {
        (row.kind, row.revision_id if row.kind in ("added", "status") else row.release_id): row
        for row in session.execute(
            text(
                "SELECT entry_no, kind, revision_id, release_id, delta_m2, remaining_after_m2, "
                "outside_m2 FROM ledger_entry e "
                "WHERE e.hazard_id = :h AND (CAST(:d AS date) IS NULL OR e.on <= :d)"
            ),
            {"h": hid, "d": as_of},
        )
    }
    releases = session.execute(
        text(
            "SELECT r.id, r.reference, r.method, r.released, o.name AS operator FROM release r "
            "LEFT JOIN organisation o ON o.id = r.operator_id "
            "WHERE r.hazard_id = :h AND (CAST(:d AS date) IS NULL OR r.released <= :d) "
            "ORDER BY r.released, r.seq"
        ),
        {"h": hid, "d": as_of},
    ).all()
    items = session.execute(
        text(
            "SELECT ri.release_id, ri.munition_code, ri.quantity FROM release_item ri "
            "JOIN release r ON r.id = ri.release_id WHERE r.hazard_id = :h "
            "AND (CAST(:d AS date) IS NULL OR r.released <= :d)"
        ),
        {"h": hid, "d": as_of},
    ).all()
    items_of: dict[int, list[str]] = {}
    destroyed: dict[str, int] = {}
    for release_id, code, qty in items:
        items_of.setdefault(release_id, []).append(f"{code} × {qty}")
        destroyed[code] = destroyed.get(code, 0) + int(qty)
    timeline: list[dict[str, Any]] = []
    before: Any = None
    for rev in revisions:
        entry = entries.get(("added", rev.id)) or entries.get(("status", rev.id))
        if before is None:
            what, detail = "recorded", f"{rev.status}"
        else:
            what = "revised"
            changes = []
            if rev.status != before.status:
                changes.append(f"reclassified {before.status} → {rev.status}")
            if entry is not None and abs(float(entry.delta_m2)) >= OPEN_THRESHOLD_M2:
                changes.append("boundary revised")
            detail = ", ".join(changes) or f"{rev.status}, details revised"
        if rev.marked and (before is None or before.marked != rev.marked):
            detail += f"; marked {rev.marked}"
        before = rev
        timeline.append({
            "date": rev.effective, "what": what, "detail": detail,
            "order": entry.entry_no if entry else -1,
            "change_m2": float(entry.delta_m2) if entry else 0.0,
            "remaining_m2": float(entry.remaining_after_m2) if entry else None,
            "by": rev.operator or "",
        })  # fmt: skip
    # The map draws what each release actually released (its effective part) and what fell
    # outside the hazard, rebuilt with the rules that made the ledger (docs/design.md §2.2).
    inputs = load_inputs(session, [hid])[0]
    versions = [v for v in inputs.versions if as_of is None or v.effective <= as_of]
    release_inputs = [r for r in inputs.releases if as_of is None or r.released <= as_of]
    ledger, remaining_geom = hazard_ledger_state(versions, release_inputs)
    parts = {e.key: e for e in ledger if e.kind.is_release}
    features: list[dict[str, Any]] = []
    outside: list[dict[str, Any]] = []
    released_by: dict[str, float] = dict.fromkeys(METHODS, 0.0)
    for rel in releases:
        entry = entries.get((rel.method, rel.id))
        effective = -float(entry.delta_m2) if entry else 0.0
        released_by[rel.method] += effective
        detail = rel.reference
        if rel.id in items_of:
            detail += f": {', '.join(items_of[rel.id])}"
        if entry is not None and float(entry.outside_m2 or 0) >= OPEN_THRESHOLD_M2:
            detail += f"; {float(entry.outside_m2):,.0f} m² outside the hazard, not counted"
        timeline.append({
            "date": rel.released, "what": rel.method, "order": entry.entry_no if entry else -1,
            "detail": detail,
            "change_m2": -effective,
            "remaining_m2": float(entry.remaining_after_m2) if entry else None,
            "by": rel.operator or "",
        })  # fmt: skip
        part = parts.get(rel.id)
        props = {"reference": rel.reference, "method": rel.method,
                 "released": rel.released.isoformat(), "area_m2": round(effective)}  # fmt: skip
        if part is not None and not part.effective.is_empty:
            features.append({"type": "Feature", "geometry": mapping(part.effective),
                             "properties": props})  # fmt: skip
        if part is not None and part.outside_m2 >= OPEN_THRESHOLD_M2:
            props = {**props, "area_m2": round(part.outside_m2)}
            outside.append({"type": "Feature", "geometry": mapping(part.outside),
                            "properties": props})  # fmt: skip
    timeline.sort(key=lambda t: (t["date"], t["order"]))  # the ledger's order
    last_rev = revisions[-1] if revisions else None
    state: Any
    if as_of is None:
        state = session.execute(
            text(
                "SELECT status, remaining_m2, area_m2, ST_AsGeoJSON(geom, 7) AS geojson "
                "FROM hazard_remaining WHERE hazard_id = :h"
            ),
            {"h": hid},
        ).first()
    else:
        in_force = max(versions, key=lambda v: (v.effective, v.seq)) if versions else None
        state = _state_on(in_force, list(entries.values()), remaining_geom)
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
        json.loads(state.geojson) if state and state.geojson else None, features, outside,
        as_of, _records(session, hid), dict(last_rev.attributes or {}) if last_rev else {},
    )  # fmt: skip


@dataclass(frozen=True)
class _State:
    status: str | None
    remaining_m2: float
    area_m2: float
    geojson: str | None


def _state_on(
    in_force: BoundaryVersion | None, entries: list[Any], remaining_geom: Any
) -> _State | None:
    """A hazard's state after the ledger entries given (those on or before a date), with
    ``in_force`` the boundary version then in force (its exact geometry)."""
    if in_force is None:
        return None
    last = max(entries, key=lambda e: e.entry_no) if entries else None
    return _State(
        status=str(in_force.status),
        remaining_m2=float(last.remaining_after_m2) if last is not None else 0.0,
        area_m2=geodesic_area(in_force.geometry),
        geojson=None if remaining_geom.is_empty else json.dumps(mapping(remaining_geom)),
    )


def _records(session: Session, hazard_id: int) -> list[dict[str, Any]]:
    """Every revision and release of a hazard in recording order, with who recorded it."""
    rows = session.execute(
        text(
            "SELECT c.*, s.organisation_id AS submission_organisation_id FROM ("
            " SELECT r.seq, 'revision' AS what, r.status AS detail, r.effective AS on,"
            "  r.recorded_at, r.recorded_by, r.submission_id FROM hazard_revision r"
            "  WHERE r.hazard_id = :h"
            " UNION ALL"
            " SELECT x.seq, x.method, x.reference, x.released, x.recorded_at, x.recorded_by,"
            "  x.submission_id FROM release x WHERE x.hazard_id = :h"
            ") c LEFT JOIN submission s ON s.id = c.submission_id ORDER BY seq"
        ),
        {"h": hazard_id},
    ).all()
    return [dict(row._mapping) for row in rows]


# --------------------------------------------------------------------------- submissions


def submission_list(
    session: Session, limit: int = 200, organisation_id: int | None = None
) -> list[dict[str, Any]]:
    """The latest submissions with their finding counts (of one organisation, if given)."""
    rows = session.execute(
        text(
            "SELECT s.id, s.kind, s.filename, s.status, s.feature_count, s.uploaded_at,"
            " o.name AS organisation,"
            " COUNT(f.id) FILTER (WHERE f.severity = 'error') AS errors,"
            " COUNT(f.id) FILTER (WHERE f.severity = 'warning') AS warnings "
            "FROM submission s LEFT JOIN organisation o ON o.id = s.organisation_id "
            "LEFT JOIN finding f ON f.submission_id = s.id "
            "WHERE CAST(:org AS integer) IS NULL OR s.organisation_id = :org "
            "GROUP BY s.id, o.name ORDER BY s.id DESC LIMIT :n"
        ),
        {"n": limit, "org": organisation_id},
    ).all()
    return [dict(r._mapping) for r in rows]


REVIEW_PAGE_SIZE = 50  # findings and features listed per page of a review


@dataclass
class Review:
    """What the review page of a submission shows: one page of its findings and features.

    Nothing here grows with the file: the features are drawn from vector tiles, findings
    are summed by kind and listed a page at a time, as are the features' attributes.
    """

    submission: dict[str, Any]
    errors: int
    warnings: int
    kinds: list[dict[str, Any]]  # severity, code, count: one row per kind of finding
    findings: list[FindingData]  # this page of them (of one kind, if chosen), errors first
    findings_total: int  # of the kind chosen, or all
    features: list[dict[str, Any]]  # this page of features: row, reference, finding, record
    columns: list[str]  # the attributes of the features, template fields first
    bounds: list[list[float]] | None  # [[south, west], [north, east]] of the features


def submission_page(
    session: Session,
    submission_id: int,
    *,
    code: str | None = None,
    findings_page: int = 1,
    features_page: int = 1,
) -> Review:
    """One page of a submission's review; NotFound for an unknown submission."""
    sub = session.execute(
        text(
            "SELECT s.*, o.name AS organisation FROM submission s "
            "LEFT JOIN organisation o ON o.id = s.organisation_id WHERE s.id = :s"
        ),
        {"s": submission_id},
    ).first()
    if sub is None:
        raise NotFound(f"submission {submission_id} does not exist")
    params = {"s": submission_id, "code": code, "n": REVIEW_PAGE_SIZE}
    kinds = [
        dict(r._mapping)
        for r in session.execute(
            text(
                "SELECT severity, code, COUNT(*) AS count FROM finding WHERE submission_id = :s "
                "GROUP BY severity, code ORDER BY severity = 'error' DESC, COUNT(*) DESC, code"
            ),
            params,
        )
    ]
    errors = sum(k["count"] for k in kinds if k["severity"] == "error")
    warnings = sum(k["count"] for k in kinds if k["severity"] == "warning")
    total = sum(k["count"] for k in kinds if code is None or k["code"] == code)
    rows = session.execute(
        text(
            "SELECT code, severity, message, row_number, reference, field FROM finding "
            "WHERE submission_id = :s AND (CAST(:code AS text) IS NULL OR code = :code) "
            "ORDER BY severity = 'error' DESC, row_number NULLS FIRST, id "
            "LIMIT :n OFFSET :skip"
        ),
        {**params, "skip": (findings_page - 1) * REVIEW_PAGE_SIZE},
    ).all()
    findings = [FindingData(r.code, Severity(r.severity), r.message, r.row_number, r.reference,
                            r.field) for r in rows]  # fmt: skip
    features = [
        dict(r._mapping)
        for r in session.execute(
            text(
                "SELECT sf.row_number AS row, sf.reference, sf.record, w.finding,"
                " sf.geom IS NULL AS unusable FROM submission_feature sf"
                " LEFT JOIN LATERAL (SELECT CASE WHEN bool_or(f.severity = 'error')"
                "  THEN 'error' ELSE 'warning' END AS finding FROM finding f"
                "  WHERE f.submission_id = sf.submission_id AND f.row_number = sf.row_number"
                "  HAVING COUNT(*) > 0) w ON true"
                " WHERE sf.submission_id = :s ORDER BY sf.row_number LIMIT :n OFFSET :skip"
            ),
            {**params, "skip": (features_page - 1) * REVIEW_PAGE_SIZE},
        )
    ]
    for feature in features:  # the file's own columns beside the template's
        record = dict(feature["record"])
        own = record.pop("_attributes", None) or {}
        feature["record"] = {**record, **own}
    template = HAZARD_FIELDS if sub.kind == "hazards" else RELEASE_FIELDS
    present = {k for feature in features for k in feature["record"]}
    columns = [f for f in template if f in present] + sorted(present - set(template))
    extent = session.execute(
        text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT"
            " ST_Extent(COALESCE(geom, raw_geom))::geometry AS e FROM submission_feature"
            " WHERE submission_id = :s AND COALESCE(geom, raw_geom)"
            " @ ST_MakeEnvelope(-180, -85, 180, 85, 4326)) x"
        ),
        params,
    ).one()
    bounds = None
    if extent[0] is not None:
        bounds = [[float(extent[1]), float(extent[0])], [float(extent[3]), float(extent[2])]]
    return Review(dict(sub._mapping), errors, warnings, kinds, findings, total, features,
                  columns, bounds)  # fmt: skip
