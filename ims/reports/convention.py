"""Which convention a report answers, and how its title page words it.

Cluster munition remnants are reported under the Convention on Cluster Munitions,
Article 7.1(h) and (i); anti-personnel mines under the Anti-Personnel Mine Ban
Convention, Article 7.1(c) (mined areas) and (f) (the programme to destroy the mines in
them). Anti-tank mines and other explosive remnants of war are in neither's Article 7:
their report is the national authority's own, in the same tables, and says so (it had
been titled as the Mine Ban Convention's, which covers anti-personnel mines only, and the
Convention on Cluster Munitions' Form 1(h)).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

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
    """A convention's name and the paragraphs of its Article 7 the two tables answer; or,
    for kinds no convention's Article 7 covers, the national report's (no paragraphs)."""

    name: str
    remaining_form: str  # the table of remaining contamination
    remaining_paragraph: str | None
    released_form: str  # the table of land released and items destroyed
    released_paragraph: str | None
    note: str | None = None  # why a national report answers no convention

    @property
    def title(self) -> str:
        """The report's title line."""
        if self.remaining_paragraph is None:
            return f"{self.name}: remaining contamination and land release"
        return f"{self.name} — Article 7 transparency report"

    @property
    def report_name(self) -> str:
        """What the report is called: "Article 7 report", or "National report"."""
        return self.name if self.remaining_paragraph is None else "Article 7 report"

    @property
    def short(self) -> str:
        """What the report is, for a page's footer."""
        return self.name if self.remaining_paragraph is None else f"{self.name}: Article 7 report"

    @property
    def remaining_heading(self) -> str:
        """The remaining contamination table's name, with its paragraph if any."""
        return _heading(self.remaining_form, self.remaining_paragraph)

    @property
    def released_heading(self) -> str:
        """The land release table's name, with its paragraph if any."""
        return _heading(self.released_form, self.released_paragraph)


def _heading(form: str, paragraph: str | None) -> str:
    return form if paragraph is None else f"{form} ({paragraph})"


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


NATIONAL = Convention(
    "National report",
    "Table 1",
    None,
    "Table 2",
    None,
    note=(
        "none: anti-tank mines and explosive remnants of war other than cluster munition "
        "remnants are in no Article 7 form of the Convention on Cluster Munitions or the "
        "Anti-Personnel Mine Ban Convention; this is the national authority's own report "
        "of them, in the same tables"
    ),
)


def convention_for(contam: str) -> Convention:
    """The convention under which a contamination kind is reported (NATIONAL: none)."""
    return {"CMR": CCM, "APM": APMBC}.get(contam, NATIONAL)


def long_date(day: dt.date) -> str:
    """A date as a report prints it: 31 December 2024."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def reporting_period(year: int, as_of: str | dt.date | None = None) -> str:
    """The calendar year a report covers: 1 January – 31 December 2024; the year so far for
    a report as of a day before its end ("1 January – 6 December 2026, the year so far"): a
    year's report produced in December had said the whole year (an IM officer's review)."""
    day = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    if day is not None and day.year == year and (day.month, day.day) != (12, 31):
        return f"1 January – {day.day} {day:%B} {year}, the year so far"
    return f"1 January – 31 December {year}"


def by_province(report: dict[str, Any]) -> bool:
    """Whether an Article 7 report's rows are districts, each naming its province (a report
    kept from before they did names none)."""
    return report["level"] == 2 and any("province" in row for row in report["remaining"])
