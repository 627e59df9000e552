"""Bulk steps hold the cycle collector back and leave it as they found it (ims.heap)."""

from __future__ import annotations

import gc
import weakref

import pytest

from ims.heap import BULK_THRESHOLDS, bulk_work


def test_a_bulk_step_collects_rarely_and_leaves_the_collector_as_it_was() -> None:
    before = gc.get_threshold()
    assert before != BULK_THRESHOLDS
    with bulk_work():
        assert gc.get_threshold() == BULK_THRESHOLDS
        assert gc.get_freeze_count() > 0  # what was alive on entry is not walked
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_nested_and_failed_steps_restore_the_outer_settings() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), bulk_work():
        with bulk_work():
            pass
        assert gc.get_threshold() == BULK_THRESHOLDS  # the inner one left it to the outer
        raise RuntimeError("a step failed")
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_cycles_made_in_a_bulk_step_are_still_collected() -> None:
    class Node:
        other: object = None

    with bulk_work():
        a, b = Node(), Node()
        a.other, b.other = b, a
        del a, b
    assert gc.collect() >= 2


def test_garbage_left_before_a_step_is_collected_not_frozen_into_the_oldest_generation() -> None:
    """Frozen on entry, the garbage the last request left went to the oldest generation on
    exit, which is collected rarely: the web server grew by about 9 MB with each record
    form it checked (an attack on our own instance)."""

    class Node:
        other: object = None

    gc.disable()  # no collection of its own between the garbage and the step
    try:
        a, b = Node(), Node()
        a.other, b.other = b, a
        left = weakref.ref(a)
        del a, b
        assert left() is not None  # garbage, not yet collected
        with bulk_work():
            assert left() is None
    finally:
        gc.enable()
