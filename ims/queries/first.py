"""The answers readers ask for first, computed before anyone asks.

After a change every kept answer (``ims.reports.kept``) is stale, and the first readers
would wait for their own: at 100,000 hazards the dashboard takes 0.7 s, a date's national
figures 50-100 ms and the reports page 0.3 s, several times that on a busy server. Two
callers compute them ahead (docs/design.md §8):

- an approval through the API, in its own transaction just before it commits, so that the
  server holds them as the approval becomes visible (``ims.jobs.approve_submission``);
- ``ims serve``'s warming thread, whenever the data's stamp moves for any other reason
  (``ims import`` on another machine, a boundary load; ``ims.api.warm``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from typing import Any

from sqlalchemy.orm import Session

from ims.queries import national
from ims.reports import kept, tiles
from ims.reports.article7 import ReportScope
from ims.reports.history import article7_with_history

YEAR_ENDS = 10  # the last year ends whose figures are computed ahead


def dates(today: dt.date) -> list[dt.date]:
    """Today and the last ``YEAR_ENDS`` year ends, the dates asked for most."""
    return [today] + [dt.date(today.year - k, 12, 31) for k in range(1, YEAR_ENDS + 1)]


def warm(session: Session, today: dt.date | None = None) -> None:
    """Compute (and keep) the answers readers ask for first, as of the session's data:
    the dashboard, the map's extent, the national and province figures of today and of the
    last ten year ends (the dates reports are made for, and the stops of the map's date),
    and the reports page of the last year."""
    today = today or dt.date.today()
    national.dashboard(session, today)
    national.map_bounds(session)
    for day in dates(today):
        national.national_figures(session, day, None)
        tiles.province_figures(session, day, None)
    scope = ReportScope(level=1, contam=national.default_contam(session))
    article7_with_history(session, today.year - 1, scope, today=today)


def computed_ahead(session: Session) -> list[tuple[Hashable, Any]]:
    """``warm`` in the session's (uncommitted) transaction; the answers as kept, for the
    server to keep (``kept.keep``) once the transaction has committed.

    They are kept under the stamp the transaction will have when it commits: the last
    recording numbers are its own, and a change committed by someone else meanwhile moves
    the stamp past them, so they are then never read.
    """
    session.flush()
    warm(session)
    return kept.ANSWERS.at(kept.stamp(session))
