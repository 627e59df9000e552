"""Which convention a report answers, and how its title page words it.

Cluster munition remnants (and other ERW, which ims reports alongside them) are reported
under the Convention on Cluster Munitions, Article 7.1(h) and (i); mines under the
Anti-Personnel Mine Ban Convention, Article 7.1(c) (mined areas) and (f) (the programme
to destroy the mines in them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

CONTAMINATION = {
    "CMR": "cluster munition remnants (CMR)",
    "APM": "anti-personnel mines (APM)",
    "ATM": "anti-tank mines (ATM)",
    "ERW": "other explosive remnants of war (ERW)",
}


@dataclass(frozen=True)
class Convention:
    """A convention's name and the paragraphs of its Article 7 the two tables answer."""

    name: str
    remaining_form: str  # the table of remaining contamination
    remaining_paragraph: str
    released_form: str  # the table of land released and items destroyed
    released_paragraph: str

    @property
    def title(self) -> str:
        """The report's title line."""
        return f"{self.name} — Article 7 transparency report"


CCM = Convention(
    "Convention on Cluster Munitions", "Form 1(h)", "Article 7.1(h)", "Form 1(i)", "Article 7.1(i)"
)
APMBC = Convention(
    "Anti-Personnel Mine Ban Convention",
    "Mined areas",
    "Article 7.1(c)",
    "Destruction programme",
    "Article 7.1(f)",
)


def convention_for(contam: str) -> Convention:
    """The convention under which a contamination kind is reported."""
    return APMBC if contam in ("APM", "ATM") else CCM


def long_date(day: dt.date) -> str:
    """A date as a report prints it: 31 December 2024."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def reporting_period(year: int) -> str:
    """The calendar year a report covers: 1 January – 31 December 2024."""
    return f"1 January – 31 December {year}"
