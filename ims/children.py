"""Child processes that die with their parent and inherit nothing from it.

ims computes in child processes in two places: the job pool that stages uploads and applies
approvals for the web server (``ims.jobs``), and the pool that rebuilds many hazards'
ledgers at once (``ims.db.ledger.refresh_many``). Both follow the same rules, because a
forked child of a threaded server once outlived a ``kill -9`` of the server, holding its
database connection (and the approval lock in it) and its listening socket:

- children are *spawned* (a fresh interpreter), never forked, so they inherit no socket,
  no database connection and no lock of the parent;
- each asks the kernel to SIGKILL it when its parent dies (``PR_SET_PDEATHSIG``), and a
  watchdog thread checks the parent as well, for the moment before the request took
  effect and for systems without prctl.

PR_SET_PDEATHSIG fires when the *thread* that created the child exits, not the process:
create children from a thread that lives as long as they should (the main thread, or a
long-lived thread of the pool that owns them).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from multiprocessing.context import SpawnContext

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
_WATCH_INTERVAL_S = 1.0


def spawn_context() -> SpawnContext:
    """The multiprocessing context every ims child process is started with."""
    return multiprocessing.get_context("spawn")


def _request_death_signal() -> bool:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return bool(libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0)
    except (OSError, AttributeError):  # no libc or no prctl: the watchdog still runs
        return False


def die_with_parent(parent_pid: int, *, own_group: bool = False) -> None:
    """Make this (child) process end as soon as ``parent_pid`` is no longer its parent.

    With ``own_group`` the process is the leader of its own process group (so the parent
    can kill it with everything it started, ``os.killpg``) and the watchdog kills that
    whole group; otherwise only this process.
    """
    if own_group:
        os.setpgid(0, 0)
    _request_death_signal()
    # The parent may have died before the request above took effect.
    if os.getppid() != parent_pid:
        _end(own_group)

    def watch() -> None:
        while True:
            time.sleep(_WATCH_INTERVAL_S)
            if os.getppid() != parent_pid:
                _end(own_group)

    threading.Thread(target=watch, name="ims-parent-watchdog", daemon=True).start()


def _end(own_group: bool) -> None:
    if own_group:
        os.killpg(os.getpgid(0), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)
