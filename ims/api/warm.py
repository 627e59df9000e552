"""The answers readers ask for first, computed again as soon as the data changes.

Kept answers (``ims.reports.kept``) last until anything they come from is committed. After
an approval, through the API, the pages or ``ims import`` on another machine, every one of
them is stale, and the first readers wait for their own: at 100,000 hazards the dashboard
takes 0.7 s, a date's national figures 50-100 ms and the reports page 0.3 s, several
times that on a server that is busy. ``ims serve`` runs a thread that reads the data's
stamp every ``IMS_WARM_INTERVAL_S`` seconds and, when it has moved (and once at start),
computes those answers again before anyone asks: the dashboard, the map's extent, the
national and province figures of today and of the last ten year ends (the dates reports
are made for, and the stops of the map's date), and the reports page of the last year.
That is about 2 s of work on a national database, once per change, at the server's own
pace: one answer at a time, and a reader who asks for the same answer meanwhile waits for
it instead of computing it again (``kept.alone``).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ims.queries import national
from ims.reports import tiles
from ims.reports.article7 import ReportScope
from ims.reports.history import article7_with_history
from ims.reports.kept import stamp

log = logging.getLogger(__name__)

YEAR_ENDS = 10  # the last year ends whose figures are computed again


def dates(today: dt.date) -> list[dt.date]:
    """Today and the last ``YEAR_ENDS`` year ends, the dates asked for most."""
    return [today] + [dt.date(today.year - k, 12, 31) for k in range(1, YEAR_ENDS + 1)]


def warm(session: Session, today: dt.date | None = None) -> None:
    """Compute (and keep) the answers readers ask for first, as of the session's data."""
    today = today or dt.date.today()
    national.dashboard(session, today)
    national.map_bounds(session)
    for day in dates(today):
        national.national_figures(session, day, None)
        tiles.province_figures(session, day, None)
    scope = ReportScope(level=1, contam=national.default_contam(session))
    article7_with_history(session, today.year - 1, scope, today=today)


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
            except Exception:  # a database restart, a migration under way: try again later
                log.warning("could not compute the answers again; retrying", exc_info=True)
            self._stop.wait(self.interval_s)
