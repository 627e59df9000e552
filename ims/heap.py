"""Bulk work with Python's cycle collector held back (docs/design.md §8).

Staging or approving a national file makes millions of small objects (a dict per row, its
values, a geometry each) that all live until the step ends and hold no reference cycles
of interest. With CPython's default thresholds the cycle collector runs after every 700
new objects and, the more objects are alive, the more of them it walks each time, only to
find them still in use: parsing the 306,000 releases' staged rows back took 1.3 s, 0.4 s
without it, and each national import spends seconds so (decision 0013).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# A young collection after 100,000 new objects instead of 700; the older generations
# in proportion. Garbage in cycles still goes, later: never more than that many objects.
BULK_THRESHOLDS = (100_000, 50, 100)


@contextmanager
def bulk_work() -> Iterator[None]:
    """Hold the cycle collector back while a large step runs; as before afterwards.

    What is alive on entry (modules, the caller's objects) is set aside (``gc.freeze``)
    so that no collection during the step walks it; on exit it is handed back.
    Nested uses leave the outer one's settings in place.
    """
    before = gc.get_threshold()
    if before == BULK_THRESHOLDS:  # within another bulk step: it restores
        yield
        return
    # The young garbage first: frozen, it went to the oldest generation on exit, which is
    # collected rarely, and the web server grew by about 9 MB with each record form it
    # checked (an attack on our own instance: 13 GB after 700 posts). 0.1 ms.
    gc.collect(1)
    gc.freeze()
    gc.set_threshold(*BULK_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def for_bulk_worker() -> None:
    """Thresholds for a process that does nothing but bulk work (the ledger's workers)."""
    gc.freeze()
    gc.set_threshold(*BULK_THRESHOLDS)
