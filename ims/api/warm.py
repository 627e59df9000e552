"""``ims serve``'s thread that computes the answers readers ask for first again whenever
the data changes.

Kept answers (``ims.reports.kept``) last until anything they come from is committed. An
approval through the API hands the server its answers as it commits
(``ims.queries.first.computed_ahead``); any other change (``ims import`` on another
machine, a boundary load, a reference list) would leave the first readers waiting for
their own. This thread reads the data's stamp every ``IMS_WARM_INTERVAL_S`` seconds and,
when it has moved (and once at start), computes them (``ims.queries.first.warm``): about
2 s of work on a national database, once per change, at the server's own pace, one answer
at a time; a reader who asks for the same answer meanwhile waits for it instead of
computing it again (``kept.alone``), and those an approval handed over are found kept.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ims.db.session import is_unavailable, reason
from ims.queries.first import warm
from ims.reports.kept import stamp

log = logging.getLogger(__name__)


class Warmer:
    """A thread that calls ``warm`` whenever the data's stamp has moved; ``stop`` ends it."""

    def __init__(self, engine: Engine, interval_s: float) -> None:
        self.engine = engine
        self.interval_s = interval_s
        self.rounds = 0  # times the answers were computed again (tests read it)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ims-warm", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        # The first PDF download would import matplotlib and reportlab in its request
        # (1.2 s on two cores; ims.reports.export imports them late to keep the CLI quick).
        import ims.reports.pdf  # noqa: F401

        seen: str | None = None
        while not self._stop.is_set():
            try:
                with Session(self.engine) as session:
                    now = stamp(session)
                    if now != seen:
                        started = time.perf_counter()
                        warm(session)
                        seen = now
                        self.rounds += 1
                        log.info(
                            "answers computed again for the data as of now in %.1f s",
                            time.perf_counter() - started,
                        )
            except Exception as exc:  # a database restart, a migration under way: try again
                if isinstance(exc, DBAPIError) and is_unavailable(exc):  # one line, not 110
                    log.warning("could not compute the answers again (%s); retrying", reason(exc))
                else:
                    log.warning("could not compute the answers again; retrying", exc_info=True)
            self._stop.wait(self.interval_s)
