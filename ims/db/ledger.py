"""Keeping the area ledger: each hazard's timeline of effective changes, split by admin area.

The rules are the domain's (``ims.domain.ledger``); this module loads a hazard's
revisions and releases, runs them through ``hazard_ledger`` and stores the result. Any
change to a hazard rebuilds that hazard's ledger only, so approving a release costs the
work of one hazard, not of the database.

The application's role may only read the ledger: it COPYs the rows it computed into
session staging tables and the owner's function ``ims_ledger_store`` moves them in (after
checking they describe exactly the hazards' own revisions and releases); the overlaps are
computed by the owner's ``ims_refresh_overlaps`` (migration 0009).
"""

from __future__ import annotations

import logging
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.children import die_with_parent, spawn_context
from ims.config import get_settings
from ims.db.bulk import copy_rows, ewkb_hex
from ims.domain.admin_areas import AdminIndex
from ims.domain.enums import HazardStatus, ReleaseMethod
from ims.domain.geodesy import geodesic_areas
from ims.domain.ledger import (
    BoundaryVersion,
    EventKind,
    LedgerEntry,
    ReleaseInput,
    extend_ledgers,
    hazard_ledger_states,
)
from ims.domain.polygons import polygonal
from ims.heap import for_bulk_worker
from ims.words import counted

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
# ledger_entry, ledger_piece and hazard_remaining rows, in the column orders below
Rows = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]
ENTRY_COLUMNS = (
    "hazard_id",
    "entry_no",
    "kind",
    "on",
    "seq",
    "revision_id",
    "release_id",
    "status_after",
    "delta_m2",
    "remaining_after_m2",
    "outside_m2",
    "count_admin1_id",
    "count_admin2_id",
    "items_admin1_id",
    "items_admin2_id",
)
PIECE_COLUMNS = ("hazard_id", "entry_no", "level", "admin_id", "area_m2")
REMAINING_COLUMNS = ("hazard_id", "geom", "status", "remaining_m2", "area_m2")
# The session tables ims_ledger_stage() makes for the rows ims_ledger_store() moves in.
STAGE_ENTRY, STAGE_PIECE, STAGE_REMAINING = (
    "pg_temp.ims_stage_entry",
    "pg_temp.ims_stage_piece",
    "pg_temp.ims_stage_remaining",
)
_MIN_PIECE_M2 = 1e-6  # pieces smaller than this are floating-point dust
_RELEASE_KINDS = frozenset(k.value for k in EventKind if k.is_release)


@dataclass
class HazardInputs:
    """A hazard's revisions and releases, as the domain needs them."""

    hazard_id: int
    versions: list[BoundaryVersion]
    revision_ids: dict[int, int]  # seq -> hazard_revision.id
    releases: list[ReleaseInput]  # key = release.id


@dataclass
class AdminIndexes:
    """The admin polygons of both levels, indexed for splitting areas."""

    level1: AdminIndex[int]
    level2: AdminIndex[int]


_index_cache: dict[tuple[Any, ...], AdminIndexes] = {}


def admin_indexes(session: Session) -> AdminIndexes:
    """The admin indexes, built once per set of boundaries."""
    stamp = tuple(
        session.execute(
            text(
                "SELECT count(*), coalesce(max(id), 0), max(loaded_at), "
                "coalesce(sum(ST_NPoints(geom)), 0) FROM admin_area"
            )
        ).one()
    )
    cached = _index_cache.get(stamp)
    if cached is not None:
        return cached
    rows = session.execute(
        text("SELECT id, level, ST_AsBinary(geom) FROM admin_area ORDER BY id")
    ).all()
    by_level: dict[int, list[tuple[int, BaseGeometry]]] = {1: [], 2: []}
    for admin_id, level, wkb in rows:
        by_level[level].append((admin_id, shapely.from_wkb(bytes(wkb))))
    indexes = AdminIndexes(AdminIndex(by_level[1]), AdminIndex(by_level[2]))
    _index_cache.clear()
    _index_cache[stamp] = indexes
    return indexes


def load_inputs(session: Session, hazard_ids: Sequence[int]) -> list[HazardInputs]:
    """Load the revisions and releases in force of ``hazard_ids`` in two queries (a
    withdrawn hazard has none: its ledger is empty, docs/design.md §2.9)."""
    inputs = {hid: HazardInputs(hid, [], {}, []) for hid in hazard_ids}
    revs = session.execute(
        text(
            "SELECT hazard_id, id, effective, seq, status, ST_AsBinary(geom) "
            "FROM hazard_revision_in_force WHERE hazard_id = ANY(:ids)"
        ),
        {"ids": list(hazard_ids)},
    ).all()
    geoms: Any = shapely.from_wkb([bytes(r[5]) for r in revs]) if revs else []
    for (hid, rid, effective, seq, status, _), geom in zip(revs, geoms, strict=True):
        item = inputs[hid]
        item.versions.append(BoundaryVersion(effective, seq, geom, HazardStatus(status)))
        item.revision_ids[seq] = rid
    rels = session.execute(
        text(
            "SELECT hazard_id, id, released, seq, method, ST_AsBinary(geom) "
            "FROM release_in_force WHERE hazard_id = ANY(:ids)"
        ),
        {"ids": list(hazard_ids)},
    ).all()
    geoms = shapely.from_wkb([bytes(r[5]) for r in rels]) if rels else []
    for (hid, rel_id, released, seq, method, _), geom in zip(rels, geoms, strict=True):
        inputs[hid].releases.append(
            ReleaseInput(rel_id, released, seq, ReleaseMethod(method), geom)
        )
    return list(inputs.values())


@dataclass
class _Job:
    """Ledger entries of one hazard to turn into rows, numbered from ``first_no``.

    A full rebuild starts at 1 with no revision in force; an appended run of releases
    starts after the last stored entry and inherits its revision and counting admins.
    ``remaining`` is the hazard's remaining geometry after the last of ``entries``.
    """

    hazard_id: int
    first_no: int
    entries: list[LedgerEntry]
    remaining: MultiPolygon
    boundary_of: dict[int, BaseGeometry]  # version seq -> boundary
    polygon_of: dict[object, BaseGeometry]  # release id -> polygon
    revision_ids: dict[int, int]  # version seq -> hazard_revision.id
    revision_id: int | None = None
    counted_in: tuple[int | None, int | None] = (None, None)
    boundary: BaseGeometry | None = None  # in force before the entries (appended runs)

    def final_boundary(self) -> BaseGeometry | None:
        """The boundary in force after the last entry."""
        for entry in reversed(self.entries):
            if not entry.kind.is_release:
                return self.boundary_of[entry.seq]
        return self.boundary


def _full_jobs(items: Sequence[HazardInputs]) -> list[_Job]:
    states = hazard_ledger_states([(item.versions, item.releases) for item in items])
    return [
        _Job(
            item.hazard_id,
            1,
            entries,
            remaining,
            {v.seq: v.geometry for v in item.versions},
            {r.key: r.geometry for r in item.releases},
            item.revision_ids,
        )
        for item, (entries, remaining) in zip(items, states, strict=True)
    ]


def ledger_rows(items: Sequence[HazardInputs], indexes: AdminIndexes) -> Rows:
    """The ledger_entry, ledger_piece and hazard_remaining rows of whole hazards."""
    return _rows(_full_jobs([item for item in items if item.versions]), indexes)


def _rows(jobs: Sequence[_Job], indexes: AdminIndexes) -> Rows:
    """Rows for ledger entries (pure computation).

    The timelines are already computed; the admin splits of every geometry they produce
    are done here in one vectorised pass per admin level.
    """
    entries: list[list[Any]] = []
    # geometries to split, each once (by identity), with the boundary each lies inside
    # (its position in to_split, or -1), and what each split is for:
    # (entry row index, role, sign, position in to_split)
    to_split: list[MultiPolygon] = []
    within: list[int] = []
    slot: dict[int, int] = {}
    roles: list[tuple[int, str, float, int]] = []

    def place(geom: MultiPolygon, inside: int) -> int:
        k = slot.get(id(geom))
        if k is None:
            k = slot[id(geom)] = len(to_split)
            to_split.append(geom)
            within.append(inside)
        return k

    for job in jobs:
        revision_id = job.revision_id
        # where a release counts: the row whose boundary decides it, or inherited admins
        count_source: int | tuple[int | None, int | None] = job.counted_in
        # the boundary in force (its position in to_split): every piece lies inside it
        bound = -1 if job.boundary is None else place(polygonal(job.boundary), -1)
        for entry_no, entry in enumerate(job.entries, start=job.first_no):
            row = len(entries)
            if entry.kind.is_release:
                # the release's polygon lies inside the boundary unless some of it is outside
                inside = bound if entry.outside.is_empty else -1
                k = place(polygonal(job.polygon_of[entry.key]), inside)
                roles.append((row, "items", 0.0, k))
                if not entry.minus.is_empty:
                    roles.append((row, "piece", -1.0, place(entry.minus, bound)))
            else:
                revision_id = job.revision_ids[entry.seq]
                count_source = row
                before, bound = bound, place(polygonal(job.boundary_of[entry.seq]), -1)
                roles.append((row, "count", 0.0, bound))
                if entry.kind is not EventKind.STATUS:
                    if not entry.plus.is_empty:
                        roles.append((row, "piece", 1.0, place(entry.plus, bound)))
                    if not entry.minus.is_empty:
                        roles.append((row, "piece", -1.0, place(entry.minus, before)))
            entries.append(
                [
                    job.hazard_id,
                    entry_no,
                    entry.kind.value,
                    entry.on,
                    entry.seq,
                    revision_id,
                    entry.key if entry.kind.is_release else None,
                    entry.status_after.value if entry.status_after else None,
                    entry.delta_m2,
                    entry.remaining_after_m2,
                    entry.outside_m2,
                    None,
                    None,
                    None,
                    None,
                    count_source,
                ]
            )
    pieces: list[tuple[Any, ...]] = []
    if to_split:
        areas = geodesic_areas(to_split)
        for level, index in ((1, indexes.level1), (2, indexes.level2)):
            splits = index.split_areas(to_split, areas, within)
            sums: dict[tuple[int, int | None], float] = defaultdict(float)
            for row, role, sign, k in roles:
                split = splits[k]
                if role == "piece":
                    for admin_id, m2 in split.items():
                        sums[(row, admin_id)] += sign * m2
                else:
                    column = (11 if role == "count" else 13) + level - 1
                    entries[row][column] = index.largest_of(split)
            _add_up(sums, entries)
            for (row, admin_id), m2 in sums.items():
                if abs(m2) > _MIN_PIECE_M2:
                    pieces.append((entries[row][0], entries[row][1], level, admin_id, m2))
    # Release entries count where the boundary in force counts.
    for values in entries:
        source = values.pop()
        if values[2] in _RELEASE_KINDS:
            if isinstance(source, int):
                values[11], values[12] = entries[source][11], entries[source][12]
            else:
                values[11], values[12] = source
    remaining = [job.remaining for job in jobs]
    boundary_areas = geodesic_areas([job.final_boundary() for job in jobs]).tolist()
    remaining_rows = []
    for job, geom, hex_, area in zip(
        jobs, remaining, ewkb_hex(remaining), boundary_areas, strict=True
    ):
        last = job.entries[-1] if job.entries else None
        status = last.status_after.value if last and last.status_after else None
        remaining_rows.append(
            (
                job.hazard_id,
                None if geom.is_empty else hex_,
                status,
                last.remaining_after_m2 if last else None,
                area,
            )
        )
    return [tuple(values) for values in entries], pieces, remaining_rows


def _add_up(sums: dict[tuple[int, int | None], float], entries: list[list[Any]]) -> None:
    """Each entry's pieces in one level's admin areas made to add up to its change.

    An entry's change is what the remaining ground gained or lost, and its pieces are
    split from the geometries that gained or lost it, whose areas differ from it by the
    noise of floating overlays (up to 0.03 m² where a release's edges lie along its
    hazard's: `ims.domain.ledger._entries`). The difference goes to the entry's largest
    piece, so that a province's figures and the national ones, summed from pieces and
    from changes, agree."""
    largest: dict[int, tuple[int, int | None]] = {}
    total: dict[int, float] = defaultdict(float)
    for (row, admin_id), m2 in sums.items():
        total[row] += m2
        if row not in largest or abs(m2) > abs(sums[largest[row]]):
            largest[row] = (row, admin_id)
    for row, key in largest.items():
        sums[key] += entries[row][8] - total[row]  # (8: the entry's delta_m2)


def _store(
    session: Session, hazard_ids: Sequence[int], rows: Rows, *, append: bool = False
) -> None:
    """Replace the whole ledger of ``hazard_ids`` with ``rows`` (``append``: add to it).

    One COPY per table into the session's staging tables and one call of the owner's
    ``ims_ledger_store``, however many hazards: no statement per row.
    """
    entries, pieces, remaining = rows
    session.execute(text("SELECT ims_ledger_stage()"))
    copy_rows(session, STAGE_ENTRY, ENTRY_COLUMNS, entries)
    copy_rows(session, STAGE_PIECE, PIECE_COLUMNS, pieces)
    copy_rows(session, STAGE_REMAINING, REMAINING_COLUMNS, remaining)
    session.execute(
        text("SELECT ims_ledger_store(CAST(:ids AS integer[]), :append)"),
        {"ids": list(hazard_ids), "append": append},
    )


# From this many hazards on, an approval brings the planner's statistics of the record
# tables up to date before computing their ledger: they may still describe the tables
# before this transaction's records, and each chunk's lookups then scan whole tables.
ANALYZE_FROM_HAZARDS = 5_000


def analyze_recorded(session: Session, hazards: int) -> None:
    """Refresh the statistics of the record tables if ``hazards`` is many (migration 0022)."""
    if hazards >= ANALYZE_FROM_HAZARDS:
        session.execute(text("SELECT ims_analyze_recorded()"))


StoreChunk = Callable[[str, list[int], Rows], None]  # (kind, hazard ids, their rows)


def analyzing_as_it_grows(session: Session, hazards: int, store: StoreChunk) -> StoreChunk:
    """``store``, refreshing the statistics each time the ledgers stored have doubled.

    A first national import fills the ledger inside its transaction: with the statistics
    of the empty table, each chunk's lookups were planned as hash joins over whole tables
    (the hazards, their revisions), more each chunk. Five refreshes for 100,000 hazards.
    """
    if hazards < 2 * ANALYZE_FROM_HAZARDS:
        return store
    stored = 0
    next_at = ANALYZE_FROM_HAZARDS

    def storing(kind: str, chunk: list[int], rows: Rows) -> None:
        nonlocal stored, next_at
        store(kind, chunk, rows)
        stored += len(chunk)
        if stored >= next_at and stored < hazards:
            session.execute(text("SELECT ims_analyze_recorded()"))
            next_at *= 2

    return storing


def refresh_overlaps(session: Session, hazard_ids: Sequence[int] | None = None) -> None:
    """Recompute which hazards share ground with ``hazard_ids`` (all hazards if None)."""
    session.execute(
        text("SELECT ims_refresh_overlaps(CAST(:ids AS integer[]))"),
        {"ids": None if hazard_ids is None else list(hazard_ids)},
    )


def refresh(session: Session, hazard_ids: Sequence[int], *, overlaps: bool = True) -> None:
    """Rebuild the ledger of ``hazard_ids`` (after any of their records changed)."""
    ids = sorted(set(hazard_ids))
    if not ids:
        return
    session.flush()
    indexes = admin_indexes(session)
    _store(session, ids, ledger_rows(load_inputs(session, ids), indexes))
    if overlaps:
        refresh_overlaps(session, ids)


# --- appending releases ------------------------------------------------------------------


@dataclass
class AppendInputs:
    """A hazard's state after its last stored ledger entry, and the releases that follow."""

    hazard_id: int
    first_no: int  # the number of the first new entry
    revision_id: int  # the revision in force
    counted_in: tuple[int | None, int | None]  # where its releases count (admin1, admin2)
    boundary: BaseGeometry
    status: HazardStatus
    remaining: BaseGeometry
    releases: list[ReleaseInput]


def append_rows(items: Sequence[AppendInputs], indexes: AdminIndexes) -> Rows:
    """The rows of releases appended to hazards' ledgers (only the new entries)."""
    states = extend_ledgers([(i.boundary, i.status, i.remaining, i.releases) for i in items])
    jobs = [
        _Job(
            item.hazard_id,
            item.first_no,
            entries,
            after,
            {},
            {r.key: r.geometry for r in item.releases},
            {},
            item.revision_id,
            item.counted_in,
            item.boundary,
        )
        for item, (entries, after) in zip(items, states, strict=True)
    ]
    return _rows(jobs, indexes)


def update_after_releases(
    session: Session, hazard_ids: Sequence[int], *, progress: Progress | None = None
) -> None:
    """Bring the ledger of ``hazard_ids`` up to date after releases were recorded for them.

    A hazard whose new releases all come after its last ledger event (the usual case: this
    year's results) gets them appended from its stored remaining geometry; any other (a
    back-dated release, a pending revision, no stored state) has its ledger rebuilt.
    Either way the result is the same ledger a rebuild gives. Both are computed in chunks,
    on every core for many hazards (as ``refresh_many``), so memory stays bounded.
    """
    ids = sorted(set(hazard_ids))
    if not ids:
        return
    session.flush()
    analyze_recorded(session, len(ids))
    append, rebuild = _plan_releases(session, ids)
    log.debug("releases: %d ledgers appended to, %d rebuilt", len(append), len(rebuild))
    size = chunk_size_for(len(ids))
    work = [("append", chunk) for chunk in _chunks(sorted(append), size)]
    work += [("full", chunk) for chunk in _chunks(rebuild, size)]

    def store(kind: str, chunk: list[int], rows: Rows) -> None:
        _store(session, chunk, rows, append=kind == "append")

    _in_pool(
        session,
        work,
        lambda kind, chunk: _load(session, kind, chunk),
        analyzing_as_it_grows(session, len(ids), store),
        progress,
    )


def _plan_releases(session: Session, ids: list[int]) -> tuple[list[int], list[int]]:
    """Which hazards get their new releases appended, and which are rebuilt (no geometry
    is read: the classification needs only dates and recording order)."""
    params = {"ids": ids}
    last = {
        row.hazard_id: row
        for row in session.execute(
            text(
                'SELECT DISTINCT ON (e.hazard_id) e.hazard_id, e.kind, e."on", e.seq, '
                "e.revision_id, EXISTS (SELECT 1 FROM hazard_remaining m "
                " WHERE m.hazard_id = e.hazard_id) AS stored "
                "FROM ledger_entry e WHERE e.hazard_id = ANY(:ids) "
                "ORDER BY e.hazard_id, e.entry_no DESC"
            ),
            params,
        )
    }
    unledgered_revisions = set(
        session.scalars(
            text(
                "SELECT DISTINCT r.hazard_id FROM hazard_revision_in_force r "
                "WHERE r.hazard_id = ANY(:ids) AND NOT EXISTS (SELECT 1 FROM ledger_entry e "
                " WHERE e.hazard_id = r.hazard_id AND e.revision_id = r.id "
                " AND e.kind IN ('added', 'status'))"
            ),
            params,
        )
    )
    new: dict[int, list[tuple[Any, int]]] = defaultdict(list)
    for hid, released, seq in session.execute(text(_ALL_NEW_RELEASES), params):
        new[hid].append((released, seq))
    append: list[int] = []
    rebuild: list[int] = []
    for hid in ids:
        entry = last.get(hid)
        if (
            entry is None
            or not entry.stored  # no remaining geometry (a database from before it)
            or hid in unledgered_revisions
            or entry.revision_id is None
        ):
            rebuild.append(hid)
        elif hid in new:
            phase = 0 if entry.kind in ("added", "status") else 1
            after = (entry.on, phase, entry.seq)
            fits = all((released, 1, seq) > after for released, seq in new[hid])
            (append if fits else rebuild).append(hid)
    return append, rebuild


# Releases not yet in the ledger. For all of an approval's hazards at once, one pass:
_ALL_NEW_RELEASES = (
    "SELECT r.hazard_id, r.released, r.seq FROM release_in_force r WHERE r.hazard_id = ANY(:ids) "
    "AND NOT EXISTS (SELECT 1 FROM ledger_entry e WHERE e.hazard_id = r.hazard_id "
    " AND e.release_id = r.id)"
)
# For a chunk, driven by its hazard ids (an index lookup each): written as above, the
# planner took a chunk's releases for the whole table and anti-joined the whole ledger
# (0.8 s a chunk at 306,000 releases; 0.27 s this way, geometries included).
_NEW_RELEASES = (
    "SELECT r.hazard_id, r.released, r.seq{what} FROM unnest(CAST(:ids AS integer[])) AS i(id) "
    "CROSS JOIN LATERAL (SELECT * FROM release_in_force q WHERE q.hazard_id = i.id "
    " AND NOT EXISTS (SELECT 1 FROM ledger_entry e WHERE e.hazard_id = q.hazard_id "
    "  AND e.release_id = q.id)) r"
)


def load_append_inputs(session: Session, hazard_ids: Sequence[int]) -> list[AppendInputs]:
    """The state after the last entry of ``hazard_ids`` and their releases not yet in it."""
    params = {"ids": list(hazard_ids)}
    rows = session.execute(
        text(_NEW_RELEASES.format(what=", r.id, r.method, ST_AsBinary(r.geom)")), params
    ).all()
    geoms: Any = shapely.from_wkb([bytes(r[5]) for r in rows]) if rows else []
    new: dict[int, list[ReleaseInput]] = defaultdict(list)
    for (hid, released, seq, rel_id, method, _), geom in zip(rows, geoms, strict=True):
        new[hid].append(ReleaseInput(rel_id, released, seq, ReleaseMethod(method), geom))
    states = session.execute(
        text(
            "SELECT DISTINCT ON (e.hazard_id) e.hazard_id, e.entry_no, e.revision_id, "
            "e.count_admin1_id, e.count_admin2_id, m.geom IS NULL, ST_AsBinary(m.geom), "
            "v.status, ST_AsBinary(v.geom) FROM ledger_entry e "
            "JOIN hazard_remaining m ON m.hazard_id = e.hazard_id "
            "JOIN hazard_revision v ON v.id = e.revision_id "
            "WHERE e.hazard_id = ANY(:ids) ORDER BY e.hazard_id, e.entry_no DESC"
        ),
        params,
    ).all()
    items = []
    for hid, entry_no, rev_id, admin1, admin2, nothing_left, remaining, status, boundary in states:
        items.append(
            AppendInputs(
                hid,
                entry_no + 1,
                rev_id,
                (admin1, admin2),
                shapely.from_wkb(bytes(boundary)),
                HazardStatus(status),
                MultiPolygon() if nothing_left else shapely.from_wkb(bytes(remaining)),
                new[hid],
            )
        )
    return items


# --- many hazards, in parallel ------------------------------------------------------------

_worker_indexes: AdminIndexes | None = None
_CHUNKS_PER_WORKER = 4
Work = list[tuple[str, list[int]]]  # ("full" | "append", hazard ids) chunks


def _init_worker(indexes: AdminIndexes, parent_pid: int) -> None:
    # Spawned, not forked: nothing of the parent (its database connection, a server's
    # listening socket) is inherited, and the worker dies with the parent.
    global _worker_indexes
    die_with_parent(parent_pid)
    for_bulk_worker()
    _worker_indexes = indexes


def _compute(kind: str, payload: Any, indexes: AdminIndexes) -> Rows:
    return ledger_rows(payload, indexes) if kind == "full" else append_rows(payload, indexes)


def _rows_in_worker(kind: str, payload: Any) -> Rows:
    assert _worker_indexes is not None
    return _compute(kind, payload, _worker_indexes)


def _load(session: Session, kind: str, chunk: list[int]) -> Any:
    return load_inputs(session, chunk) if kind == "full" else load_append_inputs(session, chunk)


def chunk_size_for(hazards: int) -> int:
    """Hazards per chunk: ``IMS_LEDGER_CHUNK_SIZE``, or more when that would make more than
    enough chunks to keep every core busy (``_ENOUGH_CHUNKS_PER_CORE`` each, at least
    ``_ENOUGH_CHUNKS``). Each chunk costs the same upkeep whatever its size (the report's
    changes are summed again for each, about 5,000 rows at 100,000 hazards): the national
    hazards file's ledgers in 25 chunks instead of 50 were stored in 23.7-24.2 s instead
    of 25.2-25.5 s.
    """
    enough = max(_ENOUGH_CHUNKS, _ENOUGH_CHUNKS_PER_CORE * (os.cpu_count() or 1))
    return max(get_settings().ledger_chunk_size, -(-hazards // enough))


_ENOUGH_CHUNKS = 25
_ENOUGH_CHUNKS_PER_CORE = 8  # twice as many as the pool needs (_CHUNKS_PER_WORKER)


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


Sink = Callable[[list[int], Rows], None]


def _in_pool(
    session: Session,
    work: Work,
    load: Callable[[str, list[int]], Any],
    sink: Callable[[str, list[int], Rows], None],
    progress: Progress | None = None,
    workers: int | None = None,
) -> None:
    """Load each chunk here, compute its rows on every core, hand them to ``sink`` in order.

    The parallel workers are spawned (a fresh interpreter: no socket or lock of this
    process) and die with this process; a worker takes a second or two to start, so they
    are used only with several chunks each. At most two chunks per worker are in flight,
    so memory stays flat on a national database.
    """
    if not work:
        return
    indexes = admin_indexes(session)
    total = sum(len(chunk) for _, chunk in work)
    workers = min(workers or os.cpu_count() or 1, len(work) // _CHUNKS_PER_WORKER)
    spent = {"loading": 0.0, "storing": 0.0, "waiting for the workers": 0.0}
    started = time.perf_counter()

    def timed(what: str, call: Callable[..., Any], *args: Any) -> Any:
        t = time.perf_counter()
        try:
            return call(*args)
        finally:
            spent[what] += time.perf_counter() - t

    done = 0

    def hand_over(kind: str, chunk: list[int], rows: Rows) -> None:
        nonlocal done
        timed("storing", sink, kind, chunk, rows)
        done += len(chunk)
        if progress:
            progress(done, total)

    if workers <= 1:
        for kind, chunk in work:
            inputs = timed("loading", load, kind, chunk)
            hand_over(kind, chunk, _compute(kind, inputs, indexes))
    else:
        with ProcessPoolExecutor(
            workers,
            mp_context=spawn_context(),
            initializer=_init_worker,
            initargs=(indexes, os.getpid()),
        ) as pool:
            pending: list[tuple[str, list[int], Any]] = []
            for kind, chunk in work:
                inputs = timed("loading", load, kind, chunk)
                pending.append((kind, chunk, pool.submit(_rows_in_worker, kind, inputs)))
                while len(pending) > workers * 2:
                    kind_, chunk_, future = pending.pop(0)
                    hand_over(kind_, chunk_, timed("waiting for the workers", future.result))
            while pending:
                kind_, chunk_, future = pending.pop(0)
                hand_over(kind_, chunk_, timed("waiting for the workers", future.result))
    # Where the time went (the bench and the server's log show it): the database's part
    # is in loading and storing, the computation's in waiting for the workers.
    log.info(
        "ledger of %s in %.1f s on %s: %s",
        counted(total, "hazard"),
        time.perf_counter() - started,
        counted(max(workers, 1), "process", "processes"),
        ", ".join(f"{what} {seconds:.1f} s" for what, seconds in spent.items()),
    )


def compute_many(
    session: Session,
    hazard_ids: Sequence[int],
    sink: Sink,
    *,
    progress: Progress | None = None,
    workers: int | None = None,
    chunk_size: int | None = None,
) -> None:
    """Compute the whole ledger of many hazards on every core, handing each chunk to ``sink``.

    ``sink(chunk, rows)`` stores the rows (a rebuild) or compares them (``ims db verify``);
    progress is reported as chunks are handed over.
    """
    ids = sorted(set(hazard_ids))
    session.flush()
    size = chunk_size or chunk_size_for(len(ids))
    _in_pool(
        session,
        [("full", chunk) for chunk in _chunks(ids, size)],
        lambda _kind, chunk: load_inputs(session, chunk),
        lambda _kind, chunk, rows: sink(chunk, rows),
        progress,
        workers,
    )


def refresh_many(
    session: Session,
    hazard_ids: Sequence[int],
    *,
    progress: Progress | None = None,
    workers: int | None = None,
    chunk_size: int | None = None,
    overlaps: bool = True,
) -> None:
    """Rebuild the ledger of many hazards, computing on every core; reports progress.

    With several chunks (``IMS_LEDGER_CHUNK_SIZE`` hazards) for each core, they are
    computed by a pool of spawned worker processes that die with this one
    (``ims.children``); the pool ends before the call returns.
    ``overlaps=False`` when only releases changed (they do not move boundaries).
    """
    ids = sorted(set(hazard_ids))
    session.flush()
    analyze_recorded(session, len(ids))
    store = analyzing_as_it_grows(
        session, len(ids), lambda _kind, chunk, rows: _store(session, chunk, rows)
    )
    compute_many(
        session,
        ids,
        lambda chunk, rows: store("full", chunk, rows),
        progress=progress,
        workers=workers,
        chunk_size=chunk_size,
    )
    if overlaps:
        refresh_overlaps_of(session, ids)


def refresh_overlaps_of(session: Session, hazard_ids: Sequence[int]) -> None:
    """Recompute the overlaps after ``hazard_ids`` changed: theirs only (10,000 new hazards
    among 100,000: 0.3 s), or all of them at once when they are most of the hazards (a
    first national import)."""
    ids = sorted(set(hazard_ids))
    if not ids:
        return
    most = len(ids) > 1000 and 2 * len(ids) > int(
        session.scalar(text("SELECT count(*) FROM hazard")) or 0
    )
    refresh_overlaps(session, None if most else ids)


def refresh_all(session: Session, *, progress: Progress | None = None) -> None:
    """Rebuild the whole ledger (after admin boundaries change)."""
    _index_cache.clear()
    ids = list(session.scalars(text("SELECT id FROM hazard")))
    refresh_many(session, ids, progress=progress)
