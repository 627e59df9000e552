"""The date a state is shown as of: today or earlier, since nothing is recorded after today
(a later date would present today's state as that date's)."""

from __future__ import annotations

import datetime as dt

from pydantic import AfterValidator


def up_to_today(day: dt.date | None, today: dt.date | None = None) -> dt.date | None:
    """``day`` itself; ValueError, saying why, for a date after today."""
    today = today or dt.date.today()
    if day is not None and day > today:
        raise ValueError(
            f"{day} is after today: ims shows what is recorded, up to today ({today}); "
            "choose today or an earlier date"
        )
    return day


# For a query parameter: FastAPI answers a later date with 422, the parameter named.
UP_TO_TODAY = AfterValidator(up_to_today)
