"""Following a long job (ims.api.progress): what is kept, for whom and for how long."""

from __future__ import annotations

import time

import pytest

from ims.api.progress import MOST_STEPS, Tracker
from ims.errors import InvalidRequest, NotFound, ServiceBusy


def test_steps_are_kept_in_order_for_their_owner_until_some_time_after_the_job_ends() -> None:
    tracker = Tracker(keep_s=0.2)
    with tracker.following("t" * 16, owner=7) as say:
        assert say is not None
        say("reading hazards.gpkg")
        say("validating 3 features")
        running = tracker.read("t" * 16, owner=7)
        assert running.running is True
        told = [s.message for s in running.steps]
        assert told == ["reading hazards.gpkg", "validating 3 features"]
    ended = tracker.read("t" * 16, owner=7)
    assert ended.running is False and len(ended.steps) == 2
    with pytest.raises(NotFound):
        tracker.read("t" * 16, owner=8)
    time.sleep(0.3)
    with tracker.following("u" * 16, owner=7):  # any new job forgets those ended long ago
        pass
    with pytest.raises(NotFound):
        tracker.read("t" * 16, owner=7)


def test_a_job_that_fails_is_ended_and_its_token_is_not_taken_again() -> None:
    tracker = Tracker()
    with pytest.raises(RuntimeError), tracker.following("f" * 16, owner=None) as say:
        assert say is not None
        say("approving: recording 1 releases")
        raise RuntimeError("the job failed")
    assert tracker.read("f" * 16, owner=None).running is False
    with pytest.raises(InvalidRequest), tracker.following("f" * 16, owner=None):
        pass
    with tracker.following(None, owner=None) as nobody:  # not followed: no listener
        assert nobody is None


def test_the_memory_is_bounded_in_jobs_and_in_steps() -> None:
    tracker = Tracker(most_jobs=2)
    with tracker.following("a" * 16, owner=1) as say:
        assert say is not None
        for n in range(MOST_STEPS + 50):
            say(f"step {n}")
        assert len(tracker.read("a" * 16, owner=1).steps) == MOST_STEPS
        # two jobs running: a third is refused rather than one running forgotten
        with (
            tracker.following("b" * 16, owner=1),
            pytest.raises(ServiceBusy),
            tracker.following("c" * 16, owner=1),
        ):
            pass
    with tracker.following("d" * 16, owner=1):  # both ended: the one ended first goes
        pass
    with pytest.raises(NotFound):
        tracker.read("b" * 16, owner=1)
    assert tracker.read("a" * 16, owner=1).running is False
