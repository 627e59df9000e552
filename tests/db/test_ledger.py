"""Appending releases to the stored ledger gives exactly what a rebuild gives.

Releases dated after everything a hazard has recorded are appended from its stored
remaining geometry; anything else (a back-dated release, a hazard without stored state)
rebuilds that hazard. Both paths must leave the same ledger, pieces and remaining ground.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import MultiPolygon, box
from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.config import get_settings
from ims.db import ledger
from ims.db.recording import load_boundaries, record_hazards, record_releases, revise_hazards
from ims.domain.enums import HazardStatus, ReleaseMethod
from ims.domain.records import BoundaryFeature, HazardChange, NewHazard, NewRelease

SHA, CHA = HazardStatus.SHA, HazardStatus.CHA
NTS, TS, CLR = ReleaseMethod.CANCELLED, ReleaseMethod.REDUCED, ReleaseMethod.CLEARED


@pytest.fixture(name="provinces")
def provinces_fixture(session: Session) -> None:
    provinces(session)


def provinces(session: Session) -> None:
    load_boundaries(
        session,
        [
            BoundaryFeature("P-A", "Province A", MultiPolygon([box(102.0, 19.0, 102.5, 20.0)])),
            BoundaryFeature("P-B", "Province B", MultiPolygon([box(102.5, 19.0, 103.0, 20.0)])),
        ],
        level=1,
    )
    load_boundaries(
        session,
        [
            BoundaryFeature("D-1", "West", MultiPolygon([box(102.0, 19.0, 102.5, 20.0)])),
            BoundaryFeature("D-2", "East", MultiPolygon([box(102.5, 19.0, 103.0, 20.0)])),
        ],
        level=2,
    )


@pytest.fixture
def rebuilt(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The hazard ids whose ledger was rebuilt rather than appended to."""
    ids: list[int] = []
    real = ledger._plan_releases

    def spy(session: Session, hazard_ids: list[int]) -> tuple[list[int], list[int]]:
        append, rebuild = real(session, hazard_ids)
        ids.extend(rebuild)
        return append, rebuild

    monkeypatch.setattr(ledger, "_plan_releases", spy)
    return ids


def snapshot(session: Session) -> tuple[list[Any], list[Any], list[Any]]:
    entries = session.execute(
        text(
            'SELECT hazard_id, entry_no, kind, "on", seq, revision_id, release_id, status_after, '
            "round(delta_m2::numeric, 3), round(remaining_after_m2::numeric, 3), "
            "round(outside_m2::numeric, 3), count_admin1_id, count_admin2_id, items_admin1_id, "
            "items_admin2_id FROM ledger_entry ORDER BY hazard_id, entry_no"
        )
    ).all()
    pieces = session.execute(
        text(
            "SELECT hazard_id, entry_no, level, admin_id, round(area_m2::numeric, 3) "
            "FROM ledger_piece ORDER BY hazard_id, entry_no, level, admin_id"
        )
    ).all()
    remaining = session.execute(
        text(
            "SELECT hazard_id, geom IS NULL, round(ST_Area(geom::geography)::numeric, 3), status, "
            "round(remaining_m2::numeric, 3), round(area_m2::numeric, 3) "
            "FROM hazard_remaining ORDER BY hazard_id"
        )
    ).all()
    return [tuple(r) for r in entries], [tuple(r) for r in pieces], [tuple(r) for r in remaining]


def hazard(ref: str, geom: Any, recorded: dt.date = dt.date(2020, 1, 1)) -> NewHazard:
    return NewHazard(reference=ref, status=SHA, geometry=geom, recorded=recorded)


def release(ref: str, hz: str, method: ReleaseMethod, on: dt.date, geom: Any) -> NewRelease:
    return NewRelease(reference=ref, hazard_reference=hz, method=method, released=on, geometry=geom)


def hazard_ids(session: Session) -> dict[str, int]:
    return {ref: hid for ref, hid in session.execute(text("SELECT reference, id FROM hazard"))}


def test_later_releases_are_appended_and_equal_a_rebuild(
    session: Session, provinces: None, rebuilt: list[int]
) -> None:
    # H1 straddles the provinces; H2 is cleared completely, then released again.
    record_hazards(
        session,
        [
            hazard("H1", box(102.49, 19.6, 102.51, 19.62)),
            hazard("H2", box(102.2, 19.2, 102.21, 19.21)),
        ],
    )
    record_releases(
        session,
        [
            release("R1", "H1", NTS, dt.date(2021, 3, 1), box(102.49, 19.6, 102.495, 19.62)),
            release("R2", "H2", CLR, dt.date(2021, 3, 1), box(102.19, 19.19, 102.22, 19.22)),
        ],
    )
    record_releases(
        session,
        [
            # overlaps R1: only the part still remaining is effective
            release("R3", "H1", TS, dt.date(2022, 5, 1), box(102.49, 19.6, 102.505, 19.61)),
            release("R4", "H1", CLR, dt.date(2022, 5, 1), box(102.505, 19.6, 102.52, 19.63)),
            release("R5", "H2", NTS, dt.date(2022, 6, 1), box(102.2, 19.2, 102.205, 19.205)),
        ],
    )
    assert rebuilt == []
    appended = snapshot(session)
    ledger.refresh_all(session)
    assert snapshot(session) == appended
    ids = hazard_ids(session)
    nothing_left = session.scalar(
        text("SELECT geom IS NULL FROM hazard_remaining WHERE hazard_id = :h"), {"h": ids["H2"]}
    )
    assert nothing_left is True


def test_back_dated_release_rebuilds_its_hazard_only(
    session: Session, provinces: None, rebuilt: list[int]
) -> None:
    record_hazards(
        session,
        [
            hazard("H1", box(102.3, 19.6, 102.32, 19.62)),
            hazard("H2", box(102.6, 19.6, 102.62, 19.62)),
        ],
    )
    record_releases(
        session,
        [
            release("R1", "H1", CLR, dt.date(2023, 1, 10), box(102.3, 19.6, 102.31, 19.62)),
            release("R2", "H2", CLR, dt.date(2023, 1, 10), box(102.6, 19.6, 102.61, 19.62)),
        ],
    )
    record_releases(
        session,
        [
            # dated before R1, and overlapping it: R1's effective area shrinks
            release("R3", "H1", TS, dt.date(2022, 7, 1), box(102.305, 19.6, 102.315, 19.62)),
            release("R4", "H2", TS, dt.date(2023, 2, 1), box(102.61, 19.6, 102.615, 19.62)),
        ],
    )
    ids = hazard_ids(session)
    assert rebuilt == [ids["H1"]]
    incremental = snapshot(session)
    ledger.refresh_all(session)
    assert snapshot(session) == incremental


def test_same_day_release_after_a_revision_is_appended_after_it(
    session: Session, provinces: None, rebuilt: list[int]
) -> None:
    record_hazards(session, [hazard("H1", box(102.3, 19.6, 102.32, 19.62))])
    revise_hazards(
        session,
        [
            HazardChange(
                reference="H1",
                effective=dt.date(2022, 4, 1),
                status=CHA,
                geometry=box(102.3, 19.6, 102.33, 19.62),
            )
        ],
    )
    record_releases(
        session,
        [
            release("R1", "H1", CLR, dt.date(2022, 4, 1), box(102.32, 19.6, 102.34, 19.62)),
        ],
    )
    assert rebuilt == []
    status, outside = session.execute(
        text("SELECT status_after, outside_m2 FROM ledger_entry WHERE release_id IS NOT NULL")
    ).one()
    assert status == "CHA"
    assert outside > 0  # the part east of 102.33 lies outside the revised boundary
    incremental = snapshot(session)
    ledger.refresh_all(session)
    assert snapshot(session) == incremental


def test_hazard_without_stored_remaining_geometry_is_rebuilt(
    owner_session: Session, rebuilt: list[int]
) -> None:
    session = owner_session  # only the owner may delete derived rows
    provinces(session)
    record_hazards(session, [hazard("H1", box(102.3, 19.6, 102.32, 19.62))])
    session.execute(text("DELETE FROM hazard_remaining"))  # as after migrating an old database
    record_releases(
        session,
        [
            release("R1", "H1", CLR, dt.date(2022, 4, 1), box(102.3, 19.6, 102.31, 19.62)),
        ],
    )
    assert rebuilt == [hazard_ids(session)["H1"]]
    assert session.scalar(text("SELECT count(*) FROM hazard_remaining")) == 1


def test_the_parallel_rebuild_in_spawned_workers_equals_the_sequential_one(
    session: Session, provinces: None
) -> None:
    # Several chunks go to the pool of spawned workers (ims.children); the result must be
    # the ledger the sequential path stores.
    record_hazards(
        session,
        [hazard(f"H{i}", box(102.3 + i * 0.02, 19.6, 102.31 + i * 0.02, 19.61)) for i in range(12)],
    )
    record_releases(
        session,
        [
            release(
                f"R{i}",
                f"H{i}",
                CLR,
                dt.date(2022, 4, 1),
                box(102.3 + i * 0.02, 19.6, 102.305 + i * 0.02, 19.61),
            )
            for i in range(12)
        ],
    )
    sequential = snapshot(session)
    ids = list(hazard_ids(session).values())
    ledger.refresh_many(session, ids, workers=2, chunk_size=1)
    assert snapshot(session) == sequential


PARENT = """
import os, sys, time
from concurrent.futures import ProcessPoolExecutor
from ims.children import spawn_context
from ims.db import ledger
from ims.domain.admin_areas import AdminIndex

indexes = ledger.AdminIndexes(AdminIndex([]), AdminIndex([]))
with ProcessPoolExecutor(2, mp_context=spawn_context(), initializer=ledger._init_worker,
                         initargs=(indexes, os.getpid())) as pool:
    pids = {pool.submit(os.getpid).result() for _ in range(20)}
    print(*pids, flush=True)
    time.sleep(600)
"""


def test_the_parallel_pools_workers_die_with_the_process_that_started_them() -> None:
    # `ims import --approve` rebuilds in the same pool: killed, it must leave no worker.
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    workers = [int(pid) for pid in parent.stdout.readline().split()]
    assert workers and all(os.path.exists(f"/proc/{pid}") for pid in workers)
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in workers):
        assert time.monotonic() < deadline, "a worker outlived its parent"
        time.sleep(0.05)


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_revisions_in_one_batch_build_on_each_other_by_date(
    session: Session, provinces: None
) -> None:
    first, moved = box(102.3, 19.6, 102.32, 19.62), box(102.3, 19.6, 102.31, 19.62)
    record_hazards(
        session,
        [
            NewHazard(
                "H1", SHA, first, dt.date(2020, 1, 1), estimates={"BLU-26": 40}, used_from=1968
            )
        ],
    )
    revise_hazards(
        session,
        [
            HazardChange("H1", dt.date(2021, 1, 1), geometry=moved),
            HazardChange("H1", dt.date(2022, 1, 1), status=CHA),  # builds on the one above
            HazardChange("H1", dt.date(2020, 6, 1), used_to=1973),  # back-dated: on the first
            HazardChange("H1", dt.date(2023, 1, 1), estimates={"BLU-26": 3}),
        ],
    )
    rows = session.execute(
        text(
            "SELECT r.effective, r.status, r.used_from, r.used_to, "
            "round(ST_XMax(r.geom)::numeric, 2), "
            "(SELECT quantity FROM hazard_estimate e WHERE e.revision_id = r.id) "
            "FROM hazard_revision r ORDER BY r.seq"
        )
    ).all()
    assert [tuple(r) for r in rows] == [
        (dt.date(2020, 1, 1), "SHA", 1968, None, Decimal("102.32"), 40),
        (dt.date(2021, 1, 1), "SHA", 1968, None, Decimal("102.31"), 40),
        (dt.date(2022, 1, 1), "CHA", 1968, None, Decimal("102.31"), 40),
        (dt.date(2020, 6, 1), "SHA", 1968, 1973, Decimal("102.32"), 40),
        (dt.date(2023, 1, 1), "CHA", 1968, None, Decimal("102.31"), 3),
    ]


def test_releases_appended_and_rebuilt_in_spawned_workers_equal_a_rebuild(
    session: Session, provinces: None, rebuilt: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # One hazard per chunk: the pool of spawned workers appends to six ledgers and
    # rebuilds six (their releases are dated before a revision).
    chunk_size = get_settings().ledger_chunk_size
    monkeypatch.setattr(get_settings(), "ledger_chunk_size", 1)
    boxes = [box(102.3 + i * 0.02, 19.6, 102.31 + i * 0.02, 19.61) for i in range(12)]
    record_hazards(session, [hazard(f"H{i}", b) for i, b in enumerate(boxes)])
    revise_hazards(
        session, [HazardChange(f"H{i}", dt.date(2021, 1, 1), status=CHA) for i in range(6)]
    )
    record_releases(
        session,
        [
            release(
                f"R{i}",
                f"H{i}",
                CLR,
                dt.date(2020, 6, 1) if i < 6 else dt.date(2022, 4, 1),
                box(102.3 + i * 0.02, 19.6, 102.305 + i * 0.02, 19.61),
            )
            for i in range(12)
        ],
    )
    ids = hazard_ids(session)
    assert sorted(rebuilt) == sorted(ids[f"H{i}"] for i in range(6))
    incremental = snapshot(session)
    monkeypatch.setattr(get_settings(), "ledger_chunk_size", chunk_size)
    ledger.refresh_all(session)
    assert snapshot(session) == incremental


def test_the_overlaps_of_many_changed_hazards_are_found_again_as_a_full_recompute_finds_them(
    owner_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = owner_session  # the owner, who may plant a stale overlap
    asked: list[Any] = []
    real = ledger.refresh_overlaps

    def spy(s: Session, ids: Any = None) -> None:
        asked.append(ids)
        real(s, ids)

    monkeypatch.setattr(ledger, "refresh_overlaps", spy)

    def chain(prefix: str, n: int, dx: float, y: float) -> list[NewHazard]:
        # each box overlaps the next one: a chain of n - 1 overlapping pairs
        return [
            NewHazard(
                f"{prefix}{i}",
                CHA,
                box(102.0 + dx + i * 0.0008, y, 102.001 + dx + i * 0.0008, y + 0.001),
                dt.date(2020, 1, 1),
            )
            for i in range(n)
        ]

    first = record_hazards(session, chain("OV-A", 1200, 0, 19.5), refresh_ledger=False)
    ledger.refresh_overlaps_of(session, first)
    assert asked[-1] is None  # a first import: every overlap at once
    # a stale pair the second approval's hazards must lose, then 1,100 new hazards, most of
    # them over two of the first ones as well as over their neighbours
    second = record_hazards(session, chain("OV-B", 1100, 0.0004, 19.5005), refresh_ledger=False)
    session.execute(
        text("INSERT INTO hazard_overlap VALUES (:a, :b), (:b, :a)"),
        {"a": second[0], "b": first[-1]},
    )
    ledger.refresh_overlaps_of(session, second)
    assert asked[-1] == sorted(second)  # theirs only: fewer than half of the hazards

    stored = set(session.execute(text("SELECT hazard_id, other_id FROM hazard_overlap")))
    recomputed = set(
        session.execute(text("SELECT hazard_id, other_id FROM ims_overlap_pairs(NULL)"))
    )
    assert stored == recomputed
    # A's chain, B's chain and each B over the two A it straddles, both ways
    assert len(stored) == 2 * (1199 + 1099 + 2 * 1100)


def test_many_hazards_make_larger_chunks_but_enough_for_every_core(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(get_settings(), "ledger_chunk_size", 2000)
    monkeypatch.setattr(ledger.os, "cpu_count", lambda: 2)
    assert ledger.chunk_size_for(10_000) == 2000  # the setting: five chunks
    assert ledger.chunk_size_for(50_000) == 2000  # 25 chunks
    assert ledger.chunk_size_for(100_000) == 4000  # 25, not 50
    assert ledger.chunk_size_for(100_001) == 4001
    monkeypatch.setattr(ledger.os, "cpu_count", lambda: 8)
    assert ledger.chunk_size_for(100_000) == 2000  # 50 chunks: 8 for each of 8 cores is 64
    assert ledger.chunk_size_for(256_000) == 4000  # 64 chunks
    monkeypatch.setattr(get_settings(), "ledger_chunk_size", 1)
    assert ledger.chunk_size_for(12) == 1  # as small as asked
