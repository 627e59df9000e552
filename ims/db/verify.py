"""Checking the derived data against the records it comes from (``ims db verify``).

The figures are sums over the ledger (``ledger_entry``, ``ledger_piece``), kept as sums of
their changes per admin area and period (``report_change``, ``hazard_report_area``), today's
state over ``hazard_remaining`` and the dissolved totals over ``hazard_overlap``; all of
them are derived from the append-only records (hazard revisions and releases).
Verification rebuilds the ledger of every hazard with the same code that keeps it (in
parallel, chunk by chunk) into session tables, compares it with what is stored, hazard by
hazard, to within ``TOLERANCE_M2`` (a remaining geometry to ``GEOMETRY_TOLERANCE_M2``
of ground), recomputes the overlaps and the report's changes from
the ledger, as well as the map's periods and its open hazards and areas per province
(``hazard_period``, ``hazard_admin1_count``, ``hazard_admin1_area``, ``admin1_change``:
what the tiles, the register and the national figures of a date read), checks that each
hazard's stored entries add up, one to the next (``_CHAIN``), and checks every
``report_run`` row and every withdrawal of a release or a hazard against the audit event
that recorded it.
Nothing is written.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.db import ledger
from ims.db.bulk import copy_rows
from ims.db.models import DOCUMENT_DIGEST

log = logging.getLogger(__name__)

TOLERANCE_M2 = 1e-3
# The ground a stored remaining geometry and the recomputed one do not share: a ledger
# appended to on each approval and the same ledger replayed whole subtract the same
# releases in another order, and the overlays differ by slivers a fraction of a
# millimetre wide (0.001–0.022 m² on 30 of the demo's 3,000 hazards, every area equal to
# TOLERANCE_M2). Under a square metre is no ground (§2.5, a hazard is closed below it).
GEOMETRY_TOLERANCE_M2 = 1.0
MAX_LISTED = 500  # differences listed one by one; the count is always complete
_ENTRY_FIELDS = ledger.ENTRY_COLUMNS[2:]
_AREA_FIELDS = frozenset(
    {"delta_m2", "remaining_after_m2", "outside_m2", "remaining_m2", "area_m2"}
)

_TEMP_TABLES = """
CREATE TEMP TABLE IF NOT EXISTS ims_verify_entry
    (LIKE ledger_entry INCLUDING DEFAULTS) ON COMMIT DROP;
CREATE TEMP TABLE IF NOT EXISTS ims_verify_piece (hazard_id integer, entry_no integer,
    level smallint, admin_id integer, area_m2 double precision) ON COMMIT DROP;
CREATE TEMP TABLE IF NOT EXISTS ims_verify_remaining (hazard_id integer,
    geom geometry(MultiPolygon, 4326), status varchar(16), remaining_m2 double precision,
    area_m2 double precision) ON COMMIT DROP;
"""

_ENTRIES = text(f"""
SELECT coalesce(s.hazard_id, c.hazard_id) AS hazard_id,
       coalesce(s.entry_no, c.entry_no) AS entry_no,
       CASE WHEN s.hazard_id IS NULL THEN NULL ELSE to_jsonb(s) END AS stored,
       CASE WHEN c.hazard_id IS NULL THEN NULL ELSE to_jsonb(c) END AS recomputed
FROM (SELECT * FROM ledger_entry WHERE hazard_id = ANY(:ids)) s
FULL JOIN pg_temp.ims_verify_entry c
  ON c.hazard_id = s.hazard_id AND c.entry_no = s.entry_no
WHERE s.hazard_id IS NULL OR c.hazard_id IS NULL
   OR ({", ".join(f's."{f}"' for f in _ENTRY_FIELDS if f not in _AREA_FIELDS)})
      IS DISTINCT FROM ({", ".join(f'c."{f}"' for f in _ENTRY_FIELDS if f not in _AREA_FIELDS)})
   OR abs(s.delta_m2 - c.delta_m2) > :tol
   OR abs(s.remaining_after_m2 - c.remaining_after_m2) > :tol
   OR abs(s.outside_m2 - c.outside_m2) > :tol
""")

_PIECES = text("""
WITH s AS (SELECT hazard_id, entry_no, level, coalesce(admin_id, 0) AS admin, sum(area_m2) AS a
           FROM ledger_piece WHERE hazard_id = ANY(:ids) GROUP BY 1, 2, 3, 4),
     c AS (SELECT hazard_id, entry_no, level, coalesce(admin_id, 0) AS admin, sum(area_m2) AS a
           FROM pg_temp.ims_verify_piece GROUP BY 1, 2, 3, 4)
SELECT coalesce(s.hazard_id, c.hazard_id), coalesce(s.entry_no, c.entry_no),
       coalesce(s.level, c.level),
       (SELECT a.code FROM admin_area a WHERE a.id = coalesce(s.admin, c.admin)), s.a, c.a
FROM s FULL JOIN c ON c.hazard_id = s.hazard_id AND c.entry_no = s.entry_no
                  AND c.level = s.level AND c.admin = s.admin
WHERE abs(coalesce(s.a, 0) - coalesce(c.a, 0)) > :tol
""")

_REMAINING = text("""
SELECT coalesce(s.hazard_id, c.hazard_id), s.hazard_id IS NOT NULL, c.hazard_id IS NOT NULL,
       s.status, c.status, s.remaining_m2, c.remaining_m2, s.area_m2, c.area_m2,
       CASE WHEN ST_AsEWKB(s.geom) IS NOT DISTINCT FROM ST_AsEWKB(c.geom) THEN 0
            ELSE ST_Area(ST_SymDifference(
                     coalesce(s.geom, 'SRID=4326;MULTIPOLYGON EMPTY'::geometry),
                     coalesce(c.geom, 'SRID=4326;MULTIPOLYGON EMPTY'::geometry))::geography)
       END AS geom_m2
FROM (SELECT hazard_id, geom, status, remaining_m2, area_m2 FROM hazard_remaining
      WHERE hazard_id = ANY(:ids)) s
FULL JOIN pg_temp.ims_verify_remaining c ON c.hazard_id = s.hazard_id
WHERE s.hazard_id IS NULL OR c.hazard_id IS NULL OR s.status IS DISTINCT FROM c.status
   OR (s.remaining_m2 IS NULL) <> (c.remaining_m2 IS NULL)
   OR abs(s.remaining_m2 - c.remaining_m2) > :tol
   OR (s.area_m2 IS NULL) <> (c.area_m2 IS NULL) OR abs(s.area_m2 - c.area_m2) > :tol
   OR ST_AsEWKB(s.geom) IS DISTINCT FROM ST_AsEWKB(c.geom)
""")

# Each stored entry against the one before it, with no code of the ledger's: its change
# takes the remaining area from the one before to its own (§2.3), to within float noise
# (2e-6 m² at most on the demo's 13,000 entries). Recomputing the ledger with the code that
# kept it would repeat any error of that code: an overlay that gave a release ground the
# remaining ground did not lose had been stored, and recomputed, alike (helper-123).
ADDS_UP = "do not make the remaining area after it"  # what the check says of an entry
SPLIT_AMONG = "m² in level-"  # what the check says of an entry's piece in an admin area
_CHAIN = text("""
SELECT hazard_id, entry_no, before, delta_m2, remaining_after_m2 FROM (
  SELECT hazard_id, entry_no, delta_m2, remaining_after_m2,
         coalesce(lag(remaining_after_m2) OVER (PARTITION BY hazard_id ORDER BY entry_no), 0)
           AS before
  FROM ledger_entry) e
WHERE abs(remaining_after_m2 - (before + delta_m2))
      > :tol + 1e-9 * greatest(abs(before), abs(remaining_after_m2))
ORDER BY hazard_id, entry_no
""")


# Nor taken together: each entry's changes so far against its remaining area. Entries that
# each add up to within the tolerance may drift apart from their remaining ground
# together: a release of 8e-5 m² on ground released before had counted, approval after
# approval, 0.01 m² in 115 (helper-129), each step well within it. The first entry of
# each hazard past it.
_DRIFT = text("""
SELECT DISTINCT ON (hazard_id) hazard_id, entry_no, so_far, remaining_after_m2 FROM (
  SELECT hazard_id, entry_no, remaining_after_m2,
         sum(delta_m2) OVER (PARTITION BY hazard_id ORDER BY entry_no) AS so_far
  FROM ledger_entry) e
WHERE abs(remaining_after_m2 - so_far) > :tol + 1e-9 * abs(remaining_after_m2)
ORDER BY hazard_id, entry_no
""")


def not_adding_up(session: Session) -> list[int]:
    """The hazards whose stored ledger entries do not add up, one to the next (``_CHAIN``)
    or all together (``_DRIFT``): what ``ims db recompute`` computes again."""
    params = {"tol": TOLERANCE_M2}
    rows = [*session.execute(_CHAIN, params), *session.execute(_DRIFT, params)]
    return sorted({hazard_id for hazard_id, *_ in rows})


_OVERLAPS = text("""
SELECT coalesce(s.hazard_id, c.hazard_id),
       (SELECT h.reference FROM hazard h WHERE h.id = coalesce(s.other_id, c.other_id)),
       s.hazard_id IS NOT NULL, c.hazard_id IS NOT NULL
FROM hazard_overlap s
FULL JOIN (SELECT DISTINCT hazard_id, other_id FROM ims_overlap_pairs(NULL)) c
  ON c.hazard_id = s.hazard_id AND c.other_id = s.other_id
WHERE s.hazard_id IS NULL OR c.hazard_id IS NULL
""")

# The map's state (migration 0016) against the same computed afresh from the ledger: what
# the tiles, the register and the national figures of a date read. The same rules as
# ims_map_follow and ims_map_areas_from, for every hazard at once.
_MAP_PERIODS = text("""
WITH c AS (
    SELECT s.hazard_id, s.entry_no, s.during, h.reference, s.status_after AS status, h.contam,
           s.remaining_after_m2 AS remaining_m2, s.revision_id,
           ST_Envelope(r.geom_3857) AS bbox_3857, r.point_3857, r.map_area_m2 AS area_m2
    FROM (SELECT e.hazard_id, e.entry_no, e.status_after, e.remaining_after_m2, e.revision_id,
                 daterange(e."on", CASE WHEN lead(e."on") OVER w < e."on" THEN e."on"
                                        ELSE lead(e."on") OVER w END) AS during
          FROM ledger_entry e WINDOW w AS (PARTITION BY e.hazard_id ORDER BY e.entry_no)) s
    JOIN hazard h ON h.id = s.hazard_id
    JOIN hazard_revision r ON r.id = s.revision_id
    WHERE s.status_after IS NOT NULL AND NOT isempty(s.during))
SELECT coalesce(s.hazard_id, c.hazard_id), coalesce(s.entry_no, c.entry_no),
       CASE WHEN s.hazard_id IS NULL THEN NULL ELSE jsonb_build_object(
           'during', s.during::text, 'reference', s.reference, 'status', s.status,
           'contam', s.contam, 'remaining_m2', s.remaining_m2, 'revision_id', s.revision_id,
           'area_m2', s.area_m2, 'bbox_3857', ST_AsText(s.bbox_3857),
           'point_3857', ST_AsText(s.point_3857)) END,
       CASE WHEN c.hazard_id IS NULL THEN NULL ELSE jsonb_build_object(
           'during', c.during::text, 'reference', c.reference, 'status', c.status,
           'contam', c.contam, 'remaining_m2', c.remaining_m2, 'revision_id', c.revision_id,
           'area_m2', c.area_m2, 'bbox_3857', ST_AsText(c.bbox_3857),
           'point_3857', ST_AsText(c.point_3857)) END
FROM hazard_period s
FULL JOIN c ON c.hazard_id = s.hazard_id AND c.entry_no = s.entry_no
WHERE s.hazard_id IS NULL OR c.hazard_id IS NULL
   OR (s.during, s.reference, s.status, s.contam, s.revision_id)
      IS DISTINCT FROM (c.during, c.reference, c.status, c.contam, c.revision_id)
   OR abs(s.remaining_m2 - c.remaining_m2) > :tol OR abs(s.area_m2 - c.area_m2) > :tol
   OR NOT ST_Equals(s.bbox_3857, c.bbox_3857) OR NOT ST_Equals(s.point_3857, c.point_3857)
ORDER BY 1, 2
""")
_MAP_PERIOD_FIELDS = ("during", "reference", "status", "contam", "remaining_m2", "revision_id",
                      "area_m2", "bbox_3857", "point_3857")  # fmt: skip

# Open hazards (+1 where an entry leaves the hazard open in the province it is counted in,
# -1 where the entry before it did) and level-1 areas, per hazard and summed per province.
_MAP_EXPECTED = """
WITH steps AS (
    SELECT e.hazard_id, e."on", e.count_admin1_id AS admin_id,
           (e.status_after IS NOT NULL AND e.remaining_after_m2 >= 1.0) AS open,
           lag(e.count_admin1_id) OVER w AS before_admin,
           coalesce(lag(e.status_after IS NOT NULL AND e.remaining_after_m2 >= 1.0) OVER w,
                    false) AS before_open
    FROM ledger_entry e WINDOW w AS (PARTITION BY e.hazard_id ORDER BY e.entry_no)),
counted AS (
    SELECT hazard_id, admin_id, "on", 1 AS n FROM steps WHERE open AND admin_id IS NOT NULL
    UNION ALL
    SELECT hazard_id, before_admin, "on", -1 FROM steps
    WHERE before_open AND before_admin IS NOT NULL),
counts AS (SELECT hazard_id, admin_id, "on", sum(n) AS hazards FROM counted GROUP BY 1, 2, 3),
areas AS (
    SELECT p.hazard_id, p.admin_id, e."on", sum(p.area_m2) AS area_m2
    FROM ledger_piece p
    JOIN ledger_entry e ON e.hazard_id = p.hazard_id AND e.entry_no = p.entry_no
    WHERE p.level = 1 AND p.admin_id IS NOT NULL GROUP BY 1, 2, 3)
"""
_MAP_PER_HAZARD = text(f"""
{_MAP_EXPECTED},
s AS (SELECT coalesce(n.hazard_id, a.hazard_id) AS hazard_id,
             coalesce(n.admin_id, a.admin_id) AS admin_id, coalesce(n."on", a."on") AS "on",
             coalesce(n.hazards, 0) AS hazards, coalesce(a.area_m2, 0) AS area_m2
      FROM hazard_admin1_count n
      FULL JOIN hazard_admin1_area a
        ON a.hazard_id = n.hazard_id AND a.admin_id = n.admin_id AND a."on" = n."on"),
c AS (SELECT coalesce(n.hazard_id, a.hazard_id) AS hazard_id,
             coalesce(n.admin_id, a.admin_id) AS admin_id, coalesce(n."on", a."on") AS "on",
             coalesce(n.hazards, 0) AS hazards, coalesce(a.area_m2, 0) AS area_m2
      FROM counts n
      FULL JOIN areas a
        ON a.hazard_id = n.hazard_id AND a.admin_id = n.admin_id AND a."on" = n."on")
SELECT coalesce(s.hazard_id, c.hazard_id),
       (SELECT a.code FROM admin_area a WHERE a.id = coalesce(s.admin_id, c.admin_id)),
       coalesce(s."on", c."on"),
       coalesce(s.hazards, 0), coalesce(c.hazards, 0), coalesce(s.area_m2, 0),
       coalesce(c.area_m2, 0)
FROM s FULL JOIN c
  ON c.hazard_id = s.hazard_id AND c.admin_id = s.admin_id AND c."on" = s."on"
WHERE coalesce(s.hazards, 0) <> coalesce(c.hazards, 0)
   OR abs(coalesce(s.area_m2, 0) - coalesce(c.area_m2, 0)) > :tol
ORDER BY 1, 2, 3
""")
_MAP_PROVINCES = text(f"""
{_MAP_EXPECTED},
c AS (SELECT x.admin_id, h.contam, x."on", sum(x.hazards) AS hazards, sum(x.area_m2) AS area_m2
      FROM (SELECT hazard_id, admin_id, "on", hazards, 0 AS area_m2 FROM counts
            UNION ALL
            SELECT hazard_id, admin_id, "on", 0, area_m2 FROM areas) x
      JOIN hazard h ON h.id = x.hazard_id
      GROUP BY 1, 2, 3)
SELECT (SELECT a.code FROM admin_area a WHERE a.id = coalesce(s.admin_id, c.admin_id)),
       coalesce(s.contam, c.contam), coalesce(s."on", c."on"),
       coalesce(s.hazards, 0), coalesce(c.hazards, 0), coalesce(s.area_m2, 0),
       coalesce(c.area_m2, 0)
FROM admin1_change s
FULL JOIN c ON c.admin_id = s.admin_id AND c.contam = s.contam AND c."on" = s."on"
WHERE coalesce(s.hazards, 0) <> coalesce(c.hazards, 0)
   OR abs(coalesce(s.area_m2, 0) - coalesce(c.area_m2, 0)) > :tol
ORDER BY 1, 2, 3
""")

# The report's changes (migration 0021) against the same computed afresh from the ledger:
# what triggers added and took back as approvals came must be what the ledger gives now.
_REPORT_AREAS = text("""
WITH s AS (SELECT hazard_id, level, coalesce(admin_id, 0) AS admin, contam, figure, code,
                  "on", sum(value) AS v
           FROM hazard_report_area GROUP BY 1, 2, 3, 4, 5, 6, 7),
     c AS (SELECT hazard_id, level, coalesce(admin_id, 0) AS admin, contam, figure, code,
                  "on", sum(value) AS v
           FROM ims_report_areas_expected() GROUP BY 1, 2, 3, 4, 5, 6, 7)
SELECT coalesce(s.hazard_id, c.hazard_id),
       concat_ws(' ', coalesce(s.figure, c.figure), coalesce(s.code, c.code),
                 'level', coalesce(s.level, c.level),
                 (SELECT a.code FROM admin_area a WHERE a.id = coalesce(s.admin, c.admin)),
                 coalesce(s.contam, c.contam), coalesce(s."on", c."on")),
       s.v, c.v
FROM s FULL JOIN c ON c.hazard_id = s.hazard_id AND c.level = s.level AND c.admin = s.admin
                  AND c.contam = s.contam AND c.figure = s.figure AND c.code = s.code
                  AND c."on" = s."on"
WHERE abs(coalesce(s.v, 0) - coalesce(c.v, 0)) > :tol
ORDER BY 1, 2
""")

_REPORT_CHANGES = text("""
WITH s AS (SELECT level, coalesce(admin_id, 0) AS admin, contam, figure, code, year,
                  value AS v, records AS n FROM report_change),
     c AS (SELECT level, coalesce(admin_id, 0) AS admin, contam, figure, code, year,
                  value AS v, records AS n FROM ims_report_changes_expected())
SELECT concat_ws(' ', coalesce(s.figure, c.figure), coalesce(s.code, c.code),
                 'level', coalesce(s.level, c.level),
                 (SELECT a.code FROM admin_area a WHERE a.id = coalesce(s.admin, c.admin)),
                 coalesce(s.contam, c.contam), coalesce(s.year, c.year)),
       s.v, c.v, s.n, c.n
FROM s FULL JOIN c ON c.level = s.level AND c.admin = s.admin AND c.contam = s.contam
                  AND c.figure = s.figure AND c.code = s.code AND c.year = s.year
WHERE abs(coalesce(s.v, 0) - coalesce(c.v, 0)) > :tol
   OR coalesce(s.n, 0) <> coalesce(c.n, 0)
ORDER BY 1
""")

# Every report_run row against the audit event that recorded it, and events whose
# report_run row is gone.
_REPORT_RUNS = text(f"""
SELECT r.id, r.kind || ' ' || r.params, e.id IS NOT NULL,
       jsonb_build_object('kind', r.kind, 'params', r.params, 'stamp', r.stamp,
                          'totals', r.totals, 'document_sha256', {DOCUMENT_DIGEST}),
       jsonb_build_object('kind', e.after->'kind', 'params', e.after->'params',
                          'stamp', e.after->'stamp', 'totals', e.after->'totals',
                          'document_sha256', e.after->'document_sha256')
FROM report_run r
LEFT JOIN LATERAL (SELECT a.id, a.after FROM audit_event a
                   WHERE a.action IN ('report.finalised', 'report.first_produced')
                     AND a.object_type = 'report_run'
                     AND a.object_id = r.id::text ORDER BY a.id LIMIT 1) e ON true
WHERE e.id IS NULL OR r.kind IS DISTINCT FROM e.after->>'kind'
   OR r.params IS DISTINCT FROM e.after->>'params'
   OR to_jsonb(r.stamp) IS DISTINCT FROM e.after->'stamp'
   OR r.totals IS DISTINCT FROM e.after->'totals'
   -- the whole report kept since migration 0038, by its digest
   OR {DOCUMENT_DIGEST} IS DISTINCT FROM e.after->>'document_sha256'
ORDER BY r.id
""")

_REPORT_RUNS_GONE = text("""
SELECT a.object_id, (a.after->>'kind') || ' ' || (a.after->>'params')
FROM audit_event a
WHERE a.action IN ('report.finalised', 'report.first_produced')
  AND a.object_type = 'report_run'
  AND NOT EXISTS (SELECT 1 FROM report_run r WHERE r.id::text = a.object_id)
ORDER BY a.id
""")


# Every withdrawal of a release or a hazard (docs/design.md §2.8, §2.9) against the audit
# event that made it, and events whose withdrawal is gone: one added or removed behind
# ims's back makes a record stop counting, or count again, unseen.
_WITHDRAWALS = text("""
SELECT x.hazard_id, 'release ' || x.reference, w.reason, e.reason AS audited,
       e.id IS NOT NULL
FROM release_withdrawal w JOIN release x ON x.id = w.release_id
LEFT JOIN LATERAL (SELECT a.id, a.after->>'reason' AS reason FROM audit_event a
                   WHERE a.action = 'release.withdrawn' AND a.object_type = 'release'
                     AND a.object_id = x.reference ORDER BY a.id LIMIT 1) e ON true
WHERE e.id IS NULL OR e.reason IS DISTINCT FROM w.reason
UNION ALL
SELECT h.id, 'hazard ' || h.reference, w.reason, e.reason, e.id IS NOT NULL
FROM hazard_withdrawal w JOIN hazard h ON h.id = w.hazard_id
LEFT JOIN LATERAL (SELECT a.id, a.after->>'reason' AS reason FROM audit_event a
                   WHERE a.action = 'hazard.withdrawn' AND a.object_type = 'hazard'
                     AND a.object_id = h.reference ORDER BY a.id LIMIT 1) e ON true
WHERE e.id IS NULL OR e.reason IS DISTINCT FROM w.reason
UNION ALL
SELECT NULL, 'land released outside hazards ' || o.reference, w.reason, e.reason,
       e.id IS NOT NULL
FROM outside_release_withdrawal w JOIN outside_release o ON o.id = w.outside_release_id
LEFT JOIN LATERAL (SELECT a.id, a.after->>'reason' AS reason FROM audit_event a
                   WHERE a.action = 'outside_release.withdrawn'
                     AND a.object_type = 'outside_release'
                     AND a.object_id = o.reference ORDER BY a.id LIMIT 1) e ON true
WHERE e.id IS NULL OR e.reason IS DISTINCT FROM w.reason
ORDER BY 2
""")

_WITHDRAWALS_GONE = text("""
SELECT x.hazard_id, 'release ' || a.object_id, a.after->>'reason'
FROM audit_event a LEFT JOIN release x ON x.reference = a.object_id
WHERE a.action = 'release.withdrawn' AND a.object_type = 'release'
  AND NOT EXISTS (SELECT 1 FROM release_withdrawal w WHERE w.release_id = x.id)
UNION ALL
SELECT h.id, 'hazard ' || a.object_id, a.after->>'reason'
FROM audit_event a LEFT JOIN hazard h ON h.reference = a.object_id
WHERE a.action = 'hazard.withdrawn' AND a.object_type = 'hazard'
  AND NOT EXISTS (SELECT 1 FROM hazard_withdrawal w WHERE w.hazard_id = h.id)
UNION ALL
SELECT NULL, 'land released outside hazards ' || a.object_id, a.after->>'reason'
FROM audit_event a LEFT JOIN outside_release o ON o.reference = a.object_id
WHERE a.action = 'outside_release.withdrawn' AND a.object_type = 'outside_release'
  AND NOT EXISTS (SELECT 1 FROM outside_release_withdrawal w WHERE w.outside_release_id = o.id)
ORDER BY 2
""")


@dataclass(frozen=True)
class Difference:
    """One derived figure that is not what the records give."""

    hazard: str | None  # the hazard's reference (None for a report run)
    what: str
    stored: str
    recomputed: str


@dataclass
class VerifyReport:
    """What ``verify_database`` found."""

    hazards: int = 0
    report_runs: int = 0
    count: int = 0  # every difference, listed or not
    differences: list[Difference] = field(default_factory=list)
    _hazard_ids: list[int | None] = field(default_factory=list, repr=False)

    @property
    def clean(self) -> bool:
        """Whether every derived figure is what the records give."""
        return self.count == 0

    def add(self, hazard_id: int | None, what: str, stored: Any, recomputed: Any) -> None:
        """Count a difference; keep the first MAX_LISTED."""
        self.count += 1
        if len(self.differences) < MAX_LISTED:
            self.differences.append(Difference(None, what, _show(stored), _show(recomputed)))
            self._hazard_ids.append(hazard_id)

    def name_hazards(self, session: Session) -> None:
        """Put the hazards' references on the listed differences."""
        ids = sorted({h for h in self._hazard_ids if h is not None})
        rows = session.execute(
            text("SELECT id, reference FROM hazard WHERE id = ANY(:ids)"), {"ids": ids}
        )
        refs: dict[int, str] = {hazard_id: reference for hazard_id, reference in rows}
        named = [
            Difference(
                refs.get(h, f"hazard id {h}") if h is not None else None,
                d.what,
                d.stored,
                d.recomputed,
            )
            for h, d in zip(self._hazard_ids, self.differences, strict=True)
        ]
        self.differences = sorted(named, key=lambda d: (d.hazard is None, d.hazard or ""))


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.3f}"
    return str(value)


def _differs(field_name: str, stored: Any, recomputed: Any) -> bool:
    if field_name in _AREA_FIELDS and stored is not None and recomputed is not None:
        return not math.isclose(float(stored), float(recomputed), rel_tol=0, abs_tol=TOLERANCE_M2)
    return bool(stored != recomputed)


def verify_database(
    session: Session,
    *,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    chunk_size: int = 2000,
) -> VerifyReport:
    """Recompute every derived figure from the records and compare it with the stored one.

    Run it in one REPEATABLE READ transaction, so that work recorded meanwhile does not
    show as differences; it writes nothing (its tables are the session's own).
    """
    report = VerifyReport()
    for statement in _TEMP_TABLES.strip().split(";"):
        if statement.strip():
            session.execute(text(statement))
    ids: Sequence[int] = list(session.scalars(text("SELECT id FROM hazard ORDER BY id")))
    report.hazards = len(ids)

    def compare(chunk: list[int], rows: ledger.Rows) -> None:
        entries, pieces, remaining = rows
        session.execute(
            text(
                "TRUNCATE pg_temp.ims_verify_entry, pg_temp.ims_verify_piece, "
                "pg_temp.ims_verify_remaining"
            )
        )
        copy_rows(session, "pg_temp.ims_verify_entry", ledger.ENTRY_COLUMNS, entries)
        copy_rows(session, "pg_temp.ims_verify_piece", ledger.PIECE_COLUMNS, pieces)
        copy_rows(session, "pg_temp.ims_verify_remaining", ledger.REMAINING_COLUMNS, remaining)
        params = {"ids": chunk, "tol": TOLERANCE_M2}
        for hazard_id, entry_no, stored, recomputed in session.execute(_ENTRIES, params):
            _entry_differences(report, hazard_id, entry_no, stored, recomputed)
        for hazard_id, entry_no, level, admin, stored_m2, recomputed_m2 in session.execute(
            _PIECES, params
        ):
            where = f"admin area {admin}" if admin is not None else "no admin area"
            report.add(
                hazard_id,
                f"ledger entry {entry_no}: {SPLIT_AMONG}{level} {where}",
                stored_m2,
                recomputed_m2,
            )
        for row in session.execute(_REMAINING, params):
            _remaining_differences(report, *row)

    ledger.compute_many(
        session, ids, compare, progress=progress, workers=workers, chunk_size=chunk_size
    )
    stepping = set()  # hazards with an entry that does not follow the one before
    for hazard_id, entry_no, before, delta, after in session.execute(_CHAIN, {"tol": TOLERANCE_M2}):
        stepping.add(hazard_id)
        report.add(
            hazard_id,
            f"ledger entry {entry_no}: its change ({delta:+,.3f} m²) and the remaining area "
            f"before it ({before:,.3f} m²) {ADDS_UP}",
            after,
            before + delta,
        )
    for hazard_id, entry_no, so_far, after in session.execute(_DRIFT, {"tol": TOLERANCE_M2}):
        if hazard_id in stepping:
            continue  # said of the entry that does not follow, and every one after drifts
        report.add(
            hazard_id,
            f"ledger entry {entry_no}: the changes of the entries up to it ({so_far:,.3f} m² "
            f"together) {ADDS_UP}",
            after,
            so_far,
        )
    for hazard_id, other, stored, recomputed in session.execute(_OVERLAPS):
        report.add(
            hazard_id,
            f"overlaps hazard {other}",
            "yes" if stored else "no",
            "yes" if recomputed else "no",
        )
    _map_differences(session, report)
    for hazard_id, what, stored, recomputed in session.execute(
        _REPORT_AREAS, {"tol": TOLERANCE_M2}
    ):
        report.add(hazard_id, f"report area change: {what}", stored, recomputed)
    for what, stored, recomputed, stored_n, recomputed_n in session.execute(
        _REPORT_CHANGES, {"tol": TOLERANCE_M2}
    ):
        report.add(
            None,
            f"report change: {what}",
            f"{_show(stored)} ({stored_n or 0} records)",
            f"{_show(recomputed)} ({recomputed_n or 0} records)",
        )
    report.report_runs = int(session.scalar(text("SELECT count(*) FROM report_run")) or 0)
    for run_id, name, recorded, stored, audited in session.execute(_REPORT_RUNS):
        # For a report run, "recomputed" is what the audit trail recorded.
        if not recorded:
            report.add(
                None,
                f"report_run {run_id} ({name}): no audit event recorded it",
                "a first production",
                None,
            )
        else:
            report.add(
                None,
                f"report_run {run_id} ({name}) differs from the audit event that recorded it",
                stored,
                audited,
            )
    for run_id, name in session.execute(_REPORT_RUNS_GONE):
        report.add(
            None,
            f"report_run {run_id} ({name}), recorded in the audit trail, is gone",
            None,
            "a first production",
        )
    for hazard_id, reference, reason, audited, recorded in session.execute(_WITHDRAWALS):
        what = "no audit event recorded it" if not recorded else "differs from its audit event"
        report.add(hazard_id, f"withdrawal of {reference}: {what}", reason, audited)
    for hazard_id, reference, reason in session.execute(_WITHDRAWALS_GONE):
        report.add(
            hazard_id,
            f"withdrawal of {reference}, recorded in the audit trail, is gone",
            None,
            reason,
        )
    report.name_hazards(session)
    return report


def _map_differences(session: Session, report: VerifyReport) -> None:
    """The map's periods, and its open hazards and areas per province, against the ledger."""
    params = {"tol": TOLERANCE_M2}
    for hazard_id, entry_no, stored, recomputed in session.execute(_MAP_PERIODS, params):
        if stored is None or recomputed is None:
            present = stored or recomputed
            report.add(
                hazard_id,
                f"map period of ledger entry {entry_no}",
                present["during"] if stored else None,
                present["during"] if recomputed else None,
            )
            continue
        for name in _MAP_PERIOD_FIELDS:
            if _differs(name, stored[name], recomputed[name]):
                report.add(
                    hazard_id,
                    f"map period of ledger entry {entry_no}: {name}",
                    stored[name],
                    recomputed[name],
                )
    for hazard_id, admin, on, *counted in session.execute(_MAP_PER_HAZARD, params):
        _counted_differences(
            report, hazard_id, f"in level-1 admin area {admin} from {on}", *counted
        )
    for admin, contam, on, *counted in session.execute(_MAP_PROVINCES, params):
        _counted_differences(report, None, f"level-1 admin area {admin} {contam} on {on}", *counted)


def _counted_differences(
    report: VerifyReport,
    hazard_id: int | None,
    where: str,
    hazards: int,
    hazards_recomputed: int,
    area: float,
    area_recomputed: float,
) -> None:
    """The open hazards and the m² the map holds somewhere, if they differ."""
    if hazards != hazards_recomputed:
        report.add(hazard_id, f"map: {where}: open hazards", hazards, hazards_recomputed)
    if _differs("area_m2", area, area_recomputed):
        report.add(hazard_id, f"map: {where}: m²", area, area_recomputed)


def _entry_differences(
    report: VerifyReport,
    hazard_id: int,
    entry_no: int,
    stored: dict[str, Any] | None,
    recomputed: dict[str, Any] | None,
) -> None:
    if stored is None or recomputed is None:
        present = recomputed or stored or {}
        summary = f"{present.get('kind')} on {present.get('on')}"
        report.add(
            hazard_id,
            f"ledger entry {entry_no}",
            summary if stored else None,
            summary if recomputed else None,
        )
        return
    for name in _ENTRY_FIELDS:
        if _differs(name, stored.get(name), recomputed.get(name)):
            report.add(
                hazard_id,
                f"ledger entry {entry_no}: {name}",
                stored.get(name),
                recomputed.get(name),
            )


def _remaining_differences(
    report: VerifyReport,
    hazard_id: int,
    has_stored: bool,
    has_recomputed: bool,
    *values: Any,
) -> None:
    if not (has_stored and has_recomputed):
        report.add(
            hazard_id,
            "remaining state (hazard_remaining row)",
            "a row" if has_stored else None,
            "a row" if has_recomputed else None,
        )
        return
    status_s, status_c, remaining_s, remaining_c, area_s, area_c, geom_m2 = values
    for name, stored, recomputed in (
        ("status", status_s, status_c),
        ("remaining_m2", remaining_s, remaining_c),
        ("area_m2", area_s, area_c),
    ):
        if _differs(name, stored, recomputed):
            report.add(hazard_id, f"remaining state: {name}", stored, recomputed)
    if geom_m2 is not None and float(geom_m2) > GEOMETRY_TOLERANCE_M2:
        report.add(hazard_id, "remaining geometry (m² of ground that differs)", 0.0, float(geom_m2))
