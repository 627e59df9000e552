"""One hazard as in force on a date, rebuilt from its records and the ledger.

The hazard page and ``GET /api/v1/hazards/{reference}`` both show ``hazard_view``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import mapping, shape
from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.db.ledger import load_inputs
from ims.domain.figures import METHODS, OPEN_THRESHOLD_M2
from ims.domain.geodesy import geodesic_area, geodesic_areas
from ims.domain.ledger import BoundaryVersion, hazard_ledger_state
from ims.errors import NotFound


@dataclass
class HazardView:
    """One hazard as in force on a date: its figures, timeline, items and geometries."""

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
    # each release's own columns (by its reference), as its upload sent them
    release_attributes: dict[str, dict[str, Any]] = field(default_factory=dict)
    # where it is counted and who works it on the date: province, district, operator
    location: dict[str, str | None] = field(default_factory=dict)
    # the revision in force's marking date and operator, which a revision carries over
    # unless it gives others (the revise form starts from them)
    marked: dt.date | None = None
    operator: str | None = None
    # withdrawn as recorded in error (docs/design.md §2.9): when, by whom and why
    withdrawn: dict[str, Any] | None = None
    # its releases withdrawn as recorded in error (§2.8): release, when, by whom, why
    withdrawn_releases: list[dict[str, Any]] = field(default_factory=list)
    # the years the munitions were used, as the revision in force gives them (Article 7
    # reports them; the form asks for them, and no page had shown them: a walk-through)
    used: tuple[int | None, int | None] = (None, None)

    def generalised(self) -> HazardView:
        """The hazard as a reader who sees generalised locations may see it: its figures
        and dates, no geometry, none of the upload's own columns (a village is a
        location, as the register holds) and no release references in its timeline."""
        return dataclasses.replace(
            self,
            boundary=None,
            remaining=None,
            releases=[],
            outside=[],
            attributes={},
            release_attributes={},
            timeline=[{**event, "detail": ""} for event in self.timeline],
            records=[
                {**r, "detail": "", "release": None}
                if r["what"] in (*METHODS, WITHDRAWN, HAZARD_WITHDRAWN)
                else r
                for r in self.records
            ],
            # a reason may name places and references, as the records' details do
            withdrawn=None if self.withdrawn is None else {**self.withdrawn, "reason": ""},
            withdrawn_releases=[],
        )

    @property
    def closed(self) -> bool:
        """Fully released: less than 1 m² remains (docs/design.md §2.5)."""
        return (
            self.withdrawn is None
            and self.boundary is not None
            and self.figures["remaining_m2"] < OPEN_THRESHOLD_M2
        )

    @property
    def centre(self) -> tuple[float, float] | None:
        """(lat, lon) of a point inside the boundary in force, for links to the map."""
        if self.boundary is None:
            return None
        point = shape(self.boundary).representative_point()
        return (round(point.y, 6), round(point.x, 6))


def hazard_view(session: Session, reference: str, as_of: dt.date | None = None) -> HazardView:
    """One hazard as in force on ``as_of`` (default: now): the page and the API show this.

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
    revisions = _revisions(session, hid, as_of)
    entries = _ledger_entries(session, hid, as_of)
    releases = _releases(session, hid, as_of)
    items_of, destroyed = _items(session, hid, as_of)
    timeline = _revision_events(revisions, entries, as_of)
    # The map draws what each release actually released (its effective part) and what fell
    # outside the hazard, rebuilt with the rules that made the ledger (docs/design.md §2.2).
    inputs = load_inputs(session, [hid])[0]
    versions = [v for v in inputs.versions if as_of is None or v.effective <= as_of]
    release_inputs = [r for r in inputs.releases if as_of is None or r.released <= as_of]
    ledger, remaining_geom = hazard_ledger_state(versions, release_inputs)
    parts = {e.key: e for e in ledger if e.kind.is_release}
    drawn = _ReleaseParts()
    for rel in releases:
        timeline.append(
            drawn.add(
                rel, entries.get((rel.method, rel.id)), parts.get(rel.id), items_of.get(rel.id, [])
            )
        )
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
    figures = {
        "area_m2": float(state.area_m2) if state and state.area_m2 is not None else 0.0,
        "remaining_m2": float(state.remaining_m2) if state and state.remaining_m2 else 0.0,
        **{f"{m}_m2": drawn.released_by[m] for m in METHODS},
    }
    in_force = max(versions, key=lambda v: (v.effective, v.seq)) if versions else None
    figures.update(_released_apart(figures, in_force, list(parts.values())))
    return HazardView(
        hid,
        hazard.reference,
        str(hazard.contam),
        state.status if state else (last_rev.status if last_rev else None),
        figures,
        timeline,
        _estimates(session, last_rev.id) if last_rev else [],
        sorted(destroyed.items()),
        json.loads(last_rev.geojson) if last_rev else None,
        json.loads(state.geojson) if state and state.geojson else None,
        drawn.features,
        drawn.outside,
        as_of,
        _records(session, hid),
        dict(last_rev.attributes or {}) if last_rev else {},
        {rel.reference: dict(rel.attributes) for rel in releases if rel.attributes},
        _location(session, hid, as_of),
        last_rev.marked if last_rev else None,
        last_rev.operator if last_rev else None,
        _withdrawn(session, hid),
        _withdrawn_releases(session, hid),
        (last_rev.used_from, last_rev.used_to) if last_rev else (None, None),
    )


def _withdrawn_releases(session: Session, hazard_id: int) -> list[dict[str, Any]]:
    """The hazard's releases withdrawn as recorded in error, in the order withdrawn."""
    return [
        dict(row._mapping)
        for row in session.execute(
            text(
                "SELECT x.reference AS release, x.method, x.released, w.withdrawn_at,"
                " w.withdrawn_by, w.reason FROM release_withdrawal w"
                " JOIN release x ON x.id = w.release_id WHERE x.hazard_id = :h ORDER BY w.seq"
            ),
            {"h": hazard_id},
        )
    ]


def _withdrawn(session: Session, hazard_id: int) -> dict[str, Any] | None:
    """When, by whom and why the hazard was withdrawn (None: it is in force)."""
    row = session.execute(
        text(
            "SELECT withdrawn_at, withdrawn_by, reason FROM hazard_withdrawal WHERE hazard_id = :h"
        ),
        {"h": hazard_id},
    ).first()
    return None if row is None else dict(row._mapping)


def _location(session: Session, hazard_id: int, as_of: dt.date | None) -> dict[str, str | None]:
    """The province and district the hazard is counted in on the date, and its operator
    then, as the register gives them: its page named none of them, and a reader at
    national scale could not tell where a hazard was (a walk-through at national scale)."""
    row = session.execute(
        text(
            """
            SELECT a1.name AS province, a2.name AS district, o.name AS operator
            FROM hazard_period p
            LEFT JOIN ledger_entry e ON e.hazard_id = p.hazard_id AND e.entry_no = p.entry_no
            LEFT JOIN hazard_revision r ON r.id = p.revision_id
            LEFT JOIN organisation o ON o.id = r.operator_id
            LEFT JOIN admin_area a1 ON a1.id = e.count_admin1_id
            LEFT JOIN admin_area a2 ON a2.id = e.count_admin2_id
            WHERE p.hazard_id = :h AND p.during @> CAST(:on AS date)
            """
        ),
        {"h": hazard_id, "on": as_of or dt.date.today()},
    ).first()
    if row is None:
        return {}
    return {"province": row.province, "district": row.district, "operator": row.operator}


def _released_apart(
    figures: dict[str, float], in_force: BoundaryVersion | None, releases: list[Any]
) -> dict[str, float]:
    """What makes the boundary differ from its remaining ground and the releases counted
    for it, when a later boundary moved over released land (docs/design.md §2.2):

    - ``released_outside_m2``: counted as released while it lay in an earlier boundary,
      outside the one in force now (a boundary shrunk after a release);
    - ``released_before_m2``: inside the boundary in force, released before it lay within
      the hazard, so never counted as this hazard's release (a boundary grown over it).

    The boundary is then the remaining ground, the releases counted less the first, and the
    second. Both are 0 for a hazard whose boundary never moved over released land.
    """
    counted = sum(figures[f"{m}_m2"] for m in METHODS)
    beyond = [
        shapely.difference(e.minus, in_force.geometry)
        for e in releases
        if in_force is not None and not e.minus.is_empty
    ]
    outside = float(geodesic_areas(beyond).sum()) if beyond else 0.0
    before = figures["area_m2"] - figures["remaining_m2"] - (counted - outside)
    return {
        "released_outside_m2": outside if outside >= OPEN_THRESHOLD_M2 else 0.0,
        "released_before_m2": before if before >= OPEN_THRESHOLD_M2 else 0.0,
    }


def stored_boundary(
    session: Session, reference: str, on: dt.date | None = None
) -> dict[str, Any] | None:
    """The boundary of hazard ``reference`` in force on ``on`` (today's when None) as
    GeoJSON, every coordinate as stored (the page's map draws it to 7 decimals); NotFound
    for an unknown reference. A date before the hazard was recorded gives today's (such a
    revision is refused, for its date)."""
    row = session.execute(
        text(
            "SELECT h.id, (SELECT ST_AsBinary(r.geom) FROM hazard_revision r"
            "  WHERE r.hazard_id = h.id"
            "  ORDER BY (r.effective <= CAST(:on AS date)) DESC, r.effective DESC, r.seq DESC"
            "  LIMIT 1)"
            " FROM hazard h WHERE h.reference = :r"
        ),
        {"r": reference, "on": on or dt.date.max},
    ).first()
    if row is None:
        raise NotFound(f"no hazard {reference!r}")
    return (
        None if row[1] is None else json.loads(shapely.to_geojson(shapely.from_wkb(bytes(row[1]))))
    )


def _revisions(session: Session, hazard_id: int, as_of: dt.date | None) -> list[Any]:
    """The hazard's revisions in force by ``as_of``, in the order they take effect."""
    return list(
        session.execute(
            text(
                "SELECT r.id, r.effective, r.seq, r.status, r.used_from, r.used_to, r.marked,"
                " o.name AS operator, r.attributes, ST_AsGeoJSON(r.geom, 7) AS geojson,"
                " (SELECT string_agg(x.munition_code || ':' || x.quantity, ';'"
                "   ORDER BY x.munition_code) FROM hazard_estimate x"
                "  WHERE x.revision_id = r.id) AS estimates,"
                # the boundary moved (an area the same within the threshold, or none changed)
                " NOT ST_Equals(r.geom, lag(r.geom) OVER (ORDER BY r.effective, r.seq)) AS moved "
                "FROM hazard_revision r LEFT JOIN organisation o ON o.id = r.operator_id "
                "WHERE r.hazard_id = :h AND (CAST(:d AS date) IS NULL OR r.effective <= :d) "
                "ORDER BY r.effective, r.seq"
            ),
            {"h": hazard_id, "d": as_of},
        ).all()
    )


def _ledger_entries(
    session: Session, hazard_id: int, as_of: dt.date | None
) -> dict[tuple[str, int], Any]:
    """The hazard's ledger entries by ``as_of``, keyed by (kind, revision or release id)."""
    return {
        (row.kind, row.revision_id if row.kind in ("added", "status") else row.release_id): row
        for row in session.execute(
            text(
                "SELECT entry_no, kind, revision_id, release_id, delta_m2, remaining_after_m2, "
                "outside_m2 FROM ledger_entry e "
                "WHERE e.hazard_id = :h AND (CAST(:d AS date) IS NULL OR e.on <= :d)"
            ),
            {"h": hazard_id, "d": as_of},
        )
    }


def _releases(session: Session, hazard_id: int, as_of: dt.date | None) -> list[Any]:
    """The hazard's releases by ``as_of``, in the order they were released."""
    return list(
        session.execute(
            text(
                "SELECT r.id, r.reference, r.method, r.released, o.name AS operator,"
                " r.attributes FROM release_in_force r "
                "LEFT JOIN organisation o ON o.id = r.operator_id "
                "WHERE r.hazard_id = :h AND (CAST(:d AS date) IS NULL OR r.released <= :d) "
                "ORDER BY r.released, r.seq"
            ),
            {"h": hazard_id, "d": as_of},
        ).all()
    )


def _items(
    session: Session, hazard_id: int, as_of: dt.date | None
) -> tuple[dict[int, list[str]], dict[str, int]]:
    """Items destroyed by ``as_of``: listed per release ("BLU-26 × 3"), and summed per type."""
    items_of: dict[int, list[str]] = {}
    destroyed: dict[str, int] = {}
    for release_id, code, qty in session.execute(
        text(
            "SELECT ri.release_id, ri.munition_code, ri.quantity FROM release_item ri "
            "JOIN release_in_force r ON r.id = ri.release_id WHERE r.hazard_id = :h "
            "AND (CAST(:d AS date) IS NULL OR r.released <= :d)"
        ),
        {"h": hazard_id, "d": as_of},
    ):
        items_of.setdefault(release_id, []).append(f"{code} × {qty}")
        destroyed[code] = destroyed.get(code, 0) + int(qty)
    return items_of, destroyed


WITHDRAWN = "withdrawn"  # a record's kind: a release withdrawn, in the hazard's records
HAZARD_WITHDRAWN = "hazard withdrawn"  # and the hazard itself withdrawn
REASON = "reason"  # the record forms' reason, kept with the record's own columns


def _reason(rev: Any) -> str:
    value = (rev.attributes or {}).get(REASON)
    return value.strip() if isinstance(value, str) else ""


def _estimates_said(value: str | None) -> str:
    """A revision's estimates as the timeline says them: "BLU-26 × 5, M42 × 2"."""
    if not value:
        return "none"
    return ", ".join(part.replace(":", " × ") for part in value.split(";"))


def _years_said(used_from: int | None, used_to: int | None) -> str:
    """Years of use as the hazard page says them: "1968–1973", "1966", "none"."""
    if used_from is None and used_to is None:
        return "none"
    if used_from == used_to:
        return str(used_from)
    return f"{used_from or '?'}–{used_to or '?'}"


def _revision_events(
    revisions: list[Any], entries: dict[tuple[str, int], Any], as_of: dt.date | None = None
) -> list[dict[str, Any]]:
    """The timeline's lines for the revisions: recorded, then what each revision changed
    (a marking dated after ``as_of`` is not yet known then)."""
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
            if rev.moved or (entry is not None and abs(float(entry.delta_m2)) >= OPEN_THRESHOLD_M2):
                changes.append("boundary revised")
            # the estimates too: a revision of them alone read "details revised", and one
            # with its boundary "boundary revised" alone (a first-time user's review,
            # helper-97)
            if rev.estimates != before.estimates:
                changes.append(
                    f"estimates {_estimates_said(before.estimates)} → "
                    f"{_estimates_said(rev.estimates)}"
                )
            # and the years of use (helper-108: a revision of them alone read "details
            # revised", and one emptying them said nothing of it)
            if (rev.used_from, rev.used_to) != (before.used_from, before.used_to):
                changes.append(
                    f"years of use {_years_said(before.used_from, before.used_to)} → "
                    f"{_years_said(rev.used_from, rev.used_to)}"
                )
            detail = ", ".join(changes) or f"{rev.status}, details revised"
        known = rev.marked and (as_of is None or rev.marked <= as_of)
        later_marking = None
        if known and (before is None or before.marked != rev.marked):
            if rev.marked > rev.effective:
                # a marking after the record's date is a line of its own, on its date: the
                # hazard's first line had named a marking of years later (a new user's
                # review)
                later_marking = rev.marked
            else:
                detail += f"; marked {rev.marked}"
        elif (
            before is not None
            and before.marked
            and not rev.marked
            and (as_of is None or before.marked <= as_of)
        ):
            detail += "; no longer marked"  # a revision emptied it ("(none)")
        # the reason the revise form asks for (or a file's column of that name), on the
        # line of the revision that gave it: a revision keeps the columns of the one in
        # force, and a later one's line had repeated it (an attack on our own instance)
        reason = _reason(rev)
        if reason and (before is None or reason != _reason(before)):
            detail += f"; reason: {reason}"
        before = rev
        timeline.append(
            {
                "date": rev.effective,
                "what": what,
                "detail": detail,
                "order": entry.entry_no if entry else -1,
                "change_m2": float(entry.delta_m2) if entry else 0.0,
                "remaining_m2": float(entry.remaining_after_m2) if entry else None,
                "by": rev.operator or "",
            }
        )
        if later_marking is not None:
            said = "the hazard's record" if what == "recorded" else "the revision"
            timeline.append(
                {
                    "date": later_marking,
                    "what": "marked",
                    "detail": f"marked {later_marking}, as {said} of {rev.effective} says",
                    "order": entry.entry_no if entry else -1,
                    "change_m2": 0.0,
                    "remaining_m2": None,
                    "by": rev.operator or "",
                }
            )
    return timeline


@dataclass
class _ReleaseParts:
    """The releases drawn on the hazard's map: the effective parts, and those outside."""

    features: list[dict[str, Any]] = field(default_factory=list)
    outside: list[dict[str, Any]] = field(default_factory=list)
    released_by: dict[str, float] = field(default_factory=lambda: dict.fromkeys(METHODS, 0.0))

    def add(self, rel: Any, entry: Any, part: Any, items: list[str]) -> dict[str, Any]:
        """Draw one release and answer its line of the timeline."""
        effective = -float(entry.delta_m2) if entry else 0.0
        self.released_by[rel.method] += effective
        detail = rel.reference
        if items:
            detail += f": {', '.join(items)}"
        if entry is not None and float(entry.outside_m2 or 0) >= OPEN_THRESHOLD_M2:
            detail += f"; {float(entry.outside_m2):,.0f} m² outside the hazard, not counted"
        props = {
            "reference": rel.reference,
            "method": rel.method,
            "released": rel.released.isoformat(),
            "area_m2": round(effective),
        }
        if part is not None and not part.effective.is_empty:
            self.features.append(
                {"type": "Feature", "geometry": mapping(part.effective), "properties": props}
            )
        if part is not None and part.outside_m2 >= OPEN_THRESHOLD_M2:
            self.outside.append(
                {
                    "type": "Feature",
                    "geometry": mapping(part.outside),
                    "properties": {**props, "area_m2": round(part.outside_m2)},
                }
            )
        return {
            "date": rel.released,
            "what": rel.method,
            "order": entry.entry_no if entry else -1,
            "detail": detail,
            "change_m2": -effective,
            "remaining_m2": float(entry.remaining_after_m2) if entry else None,
            "by": rel.operator or "",
        }


def _estimates(session: Session, revision_id: int) -> list[tuple[str, int]]:
    """The estimated remnants of a revision, by munition type."""
    return [
        (str(code), int(qty))
        for code, qty in session.execute(
            text(
                "SELECT munition_code, quantity FROM hazard_estimate "
                "WHERE revision_id = :r ORDER BY munition_code"
            ),
            {"r": revision_id},
        )
    ]


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
    """Every revision and release of a hazard in recording order, with who recorded it;
    the first revision is the hazard as first recorded, the others revise it."""
    rows = session.execute(
        text(
            "SELECT c.*, s.organisation_id AS submission_organisation_id,"
            " s.uploaded_by AS sent_by FROM ("
            " SELECT r.seq, CASE WHEN r.seq = min(r.seq) OVER () THEN 'recorded'"
            "  ELSE 'revision' END AS what, r.status AS detail, r.effective AS on,"
            "  r.recorded_at, r.recorded_by, r.submission_id FROM hazard_revision r"
            "  WHERE r.hazard_id = :h"
            " UNION ALL"
            " SELECT x.seq, x.method, x.reference, x.released, x.recorded_at, x.recorded_by,"
            "  x.submission_id FROM release x WHERE x.hazard_id = :h"
            # a withdrawal is a record of its own, in the order it was entered; it takes
            # effect from the date of the release it withdraws (docs/design.md §2.8)
            " UNION ALL"
            " SELECT w.seq, 'withdrawn', x.reference || ': ' || w.reason, x.released,"
            "  w.withdrawn_at, w.withdrawn_by, NULL FROM release_withdrawal w"
            "  JOIN release x ON x.id = w.release_id WHERE x.hazard_id = :h"
            # and the hazard's own withdrawal, from its first date (§2.9)
            " UNION ALL"
            " SELECT w.seq, '" + HAZARD_WITHDRAWN + "', w.reason,"
            "  (SELECT min(f.effective) FROM hazard_revision f WHERE f.hazard_id = w.hazard_id),"
            "  w.withdrawn_at, w.withdrawn_by, NULL FROM hazard_withdrawal w"
            "  WHERE w.hazard_id = :h"
            # who sent it for review, beside who approved it (recorded_by): a revision sent
            # from the revise form had named only its approver (a walk-through)
            ") c LEFT JOIN submission s ON s.id = c.submission_id ORDER BY seq"
        ),
        {"h": hazard_id},
    ).all()
    withdrawn = set(
        session.scalars(
            text(
                "SELECT x.reference FROM release_withdrawal w JOIN release x"
                " ON x.id = w.release_id WHERE x.hazard_id = :h"
            ),
            {"h": hazard_id},
        )
    )
    return [
        {
            **row._mapping,
            "release": row.detail if row.what in METHODS else None,
            "withdrawn": row.what in METHODS and row.detail in withdrawn,
        }
        for row in rows
    ]
