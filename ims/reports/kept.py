"""Answers kept in memory until anything they are computed from is committed.

A national authority's figures move when something is committed: an approval, a boundary
load, a change of a reference list or of a work plan; a few times a day. In between, the
dashboard, the map's figures, the Article 7 tables and their downloads and every map tile
are the same answer computed again, for every reader, at up to seconds each. They are kept
here under a stamp of what they are computed from.

The stamp is read in the request's own snapshot, so it moves when those changes become
visible to it, never before. (The recording sequence is no stamp: an approval takes its
numbers as it starts, and an answer computed during a long approval would be kept as the
state after it.) It holds the database's name, the version of what is recorded (one row
the database sets from that sequence as hazard revisions, releases and land released
outside hazards are written, so that no two states share one, even across a rollback:
migration 0026) and the row versions of the admin areas, munition types and work
plan targets (small tables); settings and dates are part of the callers' keys. (The last
recording numbers, read from the end of their indexes, had served until a national
approval showed that every reader steps over its uncommitted entries: 0.15–0.35 s a read.)
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.config import get_settings

T = TypeVar("T")


def _versions(table: str) -> str:
    return f"(SELECT count(*) || '.' || coalesce(sum(xmin::text::bigint), 0) FROM {table})"


# One SQL expression (a text), for callers that read more in the same round trip.
STAMP_SQL = (
    "current_database()"
    " || ':' || (SELECT version FROM recording_version)"
    f" || ':' || {_versions('admin_area')} || ':' || {_versions('munition_type')}"
    f" || ':' || {_versions('work_plan_target')}"
)


def stamp(session: Session) -> str:
    """Changes whenever anything kept answers are computed from may have changed."""
    return str(session.scalar(text(f"SELECT {STAMP_SQL}")))


def settings_key() -> str:
    """The settings, as part of a key (a test may change them between two answers)."""
    return get_settings().model_dump_json()


class Kept:
    """Answers by key, up to about ``limit`` bytes, the least recently used dropped first;
    thread-safe."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._answers: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            found = self._answers.get(key)
            if found is None:
                return None
            self._answers.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, answer: Any) -> None:
        weight = _weight(answer)
        with self._lock:
            old = self._answers.pop(key, None)
            if old is not None:
                self.size -= old[1]
            self._answers[key] = (answer, weight)
            self.size += weight
            while self.size > self.limit and self._answers:
                _, (_, dropped) = self._answers.popitem(last=False)
                self.size -= dropped

    def at(self, data_stamp: str) -> list[tuple[Hashable, Any]]:
        """The answers kept under ``data_stamp`` (keys as ``kept_at`` makes them)."""
        with self._lock:
            return [
                (key, found[0])
                for key, found in self._answers.items()
                if _stamp_of(key) == data_stamp
            ]

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
            self.size = 0


def _stamp_of(key: Hashable) -> str | None:
    return key[0] if isinstance(key, tuple) and key else None


def _weight(answer: Any) -> int:
    """About how many bytes an answer holds: a file's content, or a report's few KB."""
    content = getattr(answer, "content", answer)
    if isinstance(content, bytes | str):
        return len(content) + 1000
    return 50_000


ANSWERS = Kept(64 * 2**20)

_computing: dict[Hashable, threading.Lock] = {}
_computing_lock = threading.Lock()


@contextmanager
def alone(key: Hashable) -> Iterator[None]:
    """One thread at a time for ``key``: when an approval makes every kept answer stale,
    the readers who ask for the same one at once wait for the first to compute it,
    instead of each computing it again."""
    with _computing_lock:
        lock = _computing.setdefault(key, threading.Lock())
    try:
        with lock:
            yield
    finally:
        with _computing_lock:
            if _computing.get(key) is lock and not lock.locked():
                del _computing[key]


def keep(answers: list[tuple[Hashable, Any]]) -> None:
    """Keep answers computed elsewhere (``Kept.at`` in a job's worker process)."""
    for key, answer in answers:
        ANSWERS.put(key, answer)


def kept(session: Session, what: str, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or the answer kept for ``what`` and ``key`` since nothing changed.

    The caller gets a copy of its own (answers are dictionaries callers add to).
    """
    return kept_at(stamp(session), what, key, compute)


def kept_at(data_stamp: str, what: str, key: Hashable, compute: Callable[[], T]) -> T:
    """As ``kept``, for a caller that has read the stamp (``STAMP_SQL``) already."""
    full = (data_stamp, settings_key(), what, key)
    answer = ANSWERS.get(full)
    if answer is None:
        with alone(full):
            answer = ANSWERS.get(full)
            if answer is None:
                answer = compute()
                ANSWERS.put(full, answer)
    return copy.deepcopy(answer)
