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
    extend_ledger,
    hazard_ledger_state,
)
from ims.domain.polygons import polygonal

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
    """Load the revisions and releases of ``hazard_ids`` in two queries."""
    inputs = {hid: HazardInputs(hid, [], {}, []) for hid in hazard_ids}
    revs = session.execute(
        text(
            "SELECT hazard_id, id, effective, seq, status, ST_AsBinary(geom) "
            "FROM hazard_revision WHERE hazard_id = ANY(:ids)"
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
            "FROM release WHERE hazard_id = ANY(:ids)"
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


def _full_job(item: HazardInputs) -> _Job:
    entries, remaining = hazard_ledger_state(item.versions, item.releases)
    return _Job(
        item.hazard_id,
        1,
        entries,
        remaining,
        {v.seq: v.geometry for v in item.versions},
        {r.key: r.geometry for r in item.releases},
        item.revision_ids,
    )


def ledger_rows(items: Sequence[HazardInputs], indexes: AdminIndexes) -> Rows:
    """The ledger_entry, ledger_piece and hazard_remaining rows of whole hazards."""
    return _rows([_full_job(item) for item in items if item.versions], indexes)


def _rows(jobs: Sequence[_Job], indexes: AdminIndexes) -> Rows:
    """Rows for ledger entries (pure computation).

    The timelines are already computed; the admin splits of every geometry they produce
    are done here in one vectorised pass per admin level.
    """
    entries: list[list[Any]] = []
    # geometries to split, with what each is for: (entry row index, role, sign)
    to_split: list[MultiPolygon] = []
    roles: list[tuple[int, str, float]] = []
    for job in jobs:
        revision_id = job.revision_id
        # where a release counts: the row whose boundary decides it, or inherited admins
        count_source: int | tuple[int | None, int | None] = job.counted_in
        for entry_no, entry in enumerate(job.entries, start=job.first_no):
            row = len(entries)
            if entry.kind.is_release:
                to_split.append(polygonal(job.polygon_of[entry.key]))
                roles.append((row, "items", 0.0))
            else:
                revision_id = job.revision_ids[entry.seq]
                count_source = row
                to_split.append(polygonal(job.boundary_of[entry.seq]))
                roles.append((row, "count", 0.0))
            if entry.kind is not EventKind.STATUS:
                if not entry.plus.is_empty:
                    to_split.append(entry.plus)
                    roles.append((row, "piece", 1.0))
                if not entry.minus.is_empty:
                    to_split.append(entry.minus)
                    roles.append((row, "piece", -1.0))
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
            splits = index.split_areas(to_split, areas)
            sums: dict[tuple[int, int | None], float] = defaultdict(float)
            for (row, role, sign), split in zip(roles, splits, strict=True):
                if role == "piece":
                    for admin_id, m2 in split.items():
                        sums[(row, admin_id)] += sign * m2
                else:
                    column = (11 if role == "count" else 13) + level - 1
                    entries[row][column] = index.largest_of(split)
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


def update_after_releases(
    session: Session, hazard_ids: Sequence[int], *, progress: Progress | None = None
) -> None:
    """Bring the ledger of ``hazard_ids`` up to date after releases were recorded for them.

    A hazard whose new releases all come after its last ledger event (the usual case: this
    year's results) gets them appended from its stored remaining geometry; any other (a
    back-dated release, a pending revision, no stored state) has its ledger rebuilt.
    Either way the result is the same ledger a rebuild gives.
    """
    ids = sorted(set(hazard_ids))
    if not ids:
        return
    session.flush()
    rebuild = _append_releases(session, ids)
    if rebuild:
        refresh_many(session, rebuild, progress=progress, overlaps=False)


def _append_releases(session: Session, ids: list[int]) -> list[int]:
    """Append new releases where that is valid; return the hazards that need a rebuild."""
    params = {"ids": ids}
    last = {
        row.hazard_id: row
        for row in session.execute(
            text(
                'SELECT DISTINCT ON (hazard_id) hazard_id, entry_no, kind, "on", seq, '
                "revision_id, count_admin1_id, count_admin2_id FROM ledger_entry "
                "WHERE hazard_id = ANY(:ids) ORDER BY hazard_id, entry_no DESC"
            ),
            params,
        )
    }
    unledgered_revisions = set(
        session.scalars(
            text(
                "SELECT DISTINCT r.hazard_id FROM hazard_revision r "
                "WHERE r.hazard_id = ANY(:ids) AND NOT EXISTS (SELECT 1 FROM ledger_entry e "
                " WHERE e.hazard_id = r.hazard_id AND e.revision_id = r.id "
                " AND e.kind IN ('added', 'status'))"
            ),
            params,
        )
    )
    new_rows = session.execute(
        text(
            "SELECT r.hazard_id, r.id, r.released, r.seq, r.method, ST_AsBinary(r.geom) "
            "FROM release r WHERE r.hazard_id = ANY(:ids) AND NOT EXISTS ("
            " SELECT 1 FROM ledger_entry e WHERE e.hazard_id = r.hazard_id "
            " AND e.release_id = r.id)"
        ),
        params,
    ).all()
    geoms: Any = shapely.from_wkb([bytes(r[5]) for r in new_rows]) if new_rows else []
    new: dict[int, list[ReleaseInput]] = defaultdict(list)
    for (hid, rel_id, released, seq, method, _), geom in zip(new_rows, geoms, strict=True):
        new[hid].append(ReleaseInput(rel_id, released, seq, ReleaseMethod(method), geom))

    rebuild: list[int] = []
    candidates: list[int] = []
    for hid in ids:
        entry = last.get(hid)
        if entry is None or hid in unledgered_revisions or entry.revision_id is None:
            rebuild.append(hid)
            continue
        if hid not in new:
            continue  # nothing new for this hazard
        phase = 0 if entry.kind in ("added", "status") else 1
        after = (entry.on, phase, entry.seq)
        if all((r.released, 1, r.seq) > after for r in new[hid]):
            candidates.append(hid)
        else:
            rebuild.append(hid)
    if not candidates:
        return rebuild

    states = session.execute(
        text(
            "SELECT c.hazard_id, m.geom IS NULL, ST_AsBinary(m.geom), v.status, "
            "ST_AsBinary(v.geom) FROM unnest(CAST(:ids AS integer[]), CAST(:revs AS integer[])) "
            "AS c(hazard_id, revision_id) JOIN hazard_remaining m USING (hazard_id) "
            "JOIN hazard_revision v ON v.id = c.revision_id"
        ),
        {"ids": candidates, "revs": [last[h].revision_id for h in candidates]},
    ).all()
    state_of = {row[0]: row for row in states}
    jobs: list[_Job] = []
    for hid in candidates:
        state = state_of.get(hid)
        if state is None:  # no stored remaining geometry (a database from before it)
            rebuild.append(hid)
            continue
        _, nothing_left, remaining_wkb, status, boundary_wkb = state
        remaining = MultiPolygon() if nothing_left else shapely.from_wkb(bytes(remaining_wkb))
        boundary = shapely.from_wkb(bytes(boundary_wkb))
        releases = new[hid]
        entries, after_geom = extend_ledger(boundary, HazardStatus(status), remaining, releases)
        entry = last[hid]
        jobs.append(
            _Job(
                hid,
                entry.entry_no + 1,
                entries,
                after_geom,
                {},
                {r.key: r.geometry for r in releases},
                {},
                entry.revision_id,
                (entry.count_admin1_id, entry.count_admin2_id),
                boundary,
            )
        )
    if jobs:
        rows = _rows(jobs, admin_indexes(session))
        _store(session, [job.hazard_id for job in jobs], rows, append=True)
        log.debug("appended %d release entries to %d hazards", len(rows[0]), len(jobs))
    return sorted(rebuild)


# --- the whole database, in parallel ------------------------------------------------------

_worker_indexes: AdminIndexes | None = None
_CHUNKS_PER_WORKER = 4


def _init_worker(indexes: AdminIndexes, parent_pid: int) -> None:
    # Spawned, not forked: nothing of the parent (its database connection, a server's
    # listening socket) is inherited, and the worker dies with the parent.
    global _worker_indexes
    die_with_parent(parent_pid)
    _worker_indexes = indexes


def _rows_for_chunk(chunk: list[HazardInputs]) -> Rows:
    assert _worker_indexes is not None
    return ledger_rows(chunk, _worker_indexes)


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


Sink = Callable[[list[int], Rows], None]


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
    progress is reported as chunks are handed over. The parallel workers are spawned (a
    fresh interpreter: no socket or lock of this process) and die with this process.
    """
    ids = sorted(set(hazard_ids))
    if not ids:
        return
    session.flush()
    indexes = admin_indexes(session)
    chunk_size = chunk_size or get_settings().ledger_chunk_size
    # A spawned worker takes a second or two to start (a fresh interpreter): it pays off
    # only with several chunks to compute.
    chunk_count = -(-len(ids) // chunk_size)
    workers = min(workers or os.cpu_count() or 1, chunk_count // _CHUNKS_PER_WORKER)
    done = 0
    if workers <= 1:
        for chunk in _chunks(ids, chunk_size):
            sink(chunk, ledger_rows(load_inputs(session, chunk), indexes))
            done += len(chunk)
            if progress:
                progress(done, len(ids))
        return
    with ProcessPoolExecutor(
        workers,
        mp_context=spawn_context(),
        initializer=_init_worker,
        initargs=(indexes, os.getpid()),
    ) as pool:
        pending: list[tuple[list[int], Any]] = []
        for chunk in _chunks(ids, chunk_size):
            pending.append((chunk, pool.submit(_rows_for_chunk, load_inputs(session, chunk))))
            # Keep the pipeline short so memory stays flat on a national database.
            while len(pending) > workers * 2:
                done += _hand_over(pending.pop(0), sink)
                if progress:
                    progress(done, len(ids))
        while pending:
            done += _hand_over(pending.pop(0), sink)
            if progress:
                progress(done, len(ids))


def _hand_over(job: tuple[list[int], Any], sink: Sink) -> int:
    chunk, future = job
    sink(chunk, future.result())
    return len(chunk)


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
    compute_many(
        session,
        ids,
        lambda chunk, rows: _store(session, chunk, rows),
        progress=progress,
        workers=workers,
        chunk_size=chunk_size,
    )
    if overlaps:
        refresh_overlaps_of(session, ids)


def refresh_overlaps_of(session: Session, hazard_ids: Sequence[int]) -> None:
    """Recompute the overlaps after ``hazard_ids`` changed: all of them at once for many."""
    ids = sorted(set(hazard_ids))
    if ids:
        refresh_overlaps(session, None if len(ids) > 1000 else ids)


def refresh_all(session: Session, *, progress: Progress | None = None) -> None:
    """Rebuild the whole ledger (after admin boundaries change)."""
    _index_cache.clear()
    ids = list(session.scalars(text("SELECT id FROM hazard")))
    refresh_many(session, ids, progress=progress)
