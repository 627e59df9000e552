"""The date a state is shown as of: today or earlier, since nothing is recorded after today
(a later date would present today's state as that date's)."""

from __future__ import annotations

import datetime as dt

from pydantic import AfterValidator

EARLIEST = dt.date(1900, 1, 1)  # as a report's year (ims.api.reports): nothing before


def up_to_today(day: dt.date | None, today: dt.date | None = None) -> dt.date | None:
    """``day`` itself; ValueError, saying why, for a date after today or before 1900."""
    today = today or dt.date.today()
    if day is not None and day < EARLIEST:
        # a date in year 1 made the dashboard's year before it, year 0: a 500 (found by an
        # attack on our own instance)
        raise ValueError(f"{day} is before {EARLIEST.year}: ims holds nothing that early")
    if day is not None and day > today:
        raise ValueError(
            f"{day} is after today: ims shows what is recorded, up to today ({today}); "
            "choose today or an earlier date"
        )
    return day


# For a query parameter: FastAPI answers a later date with 422, the parameter named.
UP_TO_TODAY = AfterValidator(up_to_today)
