"""The national figures: the dashboard, the map's figures box, the bounds of the map.

The dashboard, the map and the reports show one number for one country (docs/design.md
§3). The remaining area and open hazards on a date are the national row of Form 1(h),
summed from each hazard's state then as the map keeps it (``hazard_period``, which the
triggers of migration 0016 keep with the ledger): one index-only scan, where Form 1(h)
splits every hazard's ledger per admin area (1.7 s at 100,000 hazards). The other
figures are national rows of the report functions (ims/reports).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.config import get_settings
from ims.db.dissolve import dissolved_remaining_area, released_twice_area
from ims.domain.enums import Contamination
from ims.domain.figures import OPEN_THRESHOLD_M2, clean_area
from ims.errors import NotFound
from ims.reports.article7 import ReportScope, article4, released, remaining
from ims.reports.kept import kept
from ims.reports.progress import article4_series
from ims.reports.workplan import projection


@dataclass(frozen=True)
class YearReleased:
    """One year of land release by method, in m²."""

    label: str
    cancelled_m2: float
    reduced_m2: float
    cleared_m2: float
    partial: bool = False  # the current year, so far


@dataclass
class Dashboard:
    """The national picture for the dashboard, for one kind of contamination or all."""

    as_of: dt.date
    contam: Contamination | None  # None: every kind together
    kinds: list[str]  # the kinds of contamination recorded, for the choice
    totals: dict[str, Any]  # the national row of Form 1(h) at as_of
    released_this_year: dict[str, Any]  # the national row of Form 1(i) from 1 January
    bars: list[YearReleased]  # land released per year by method since the baseline
    remaining_series: list[tuple[str, float]]  # remaining m² at each year end
    progress: dict[str, Any] | None  # Article 4.6(d)-(f) since the baseline
    projection: dict[str, Any]  # completion at the mean rate of the last complete years
    deadline: dt.date
    deadline_is_default: bool  # the assumed deadline, not one the NMAA set
    # of the remaining total, the ground overlapping hazards share, counted for each; and
    # of the year's released, the ground counted for more than one hazard (DESIGN §2.6: the
    # dashboard had given the totals bare, an IM officer's review)
    shared_m2: float = 0.0
    released_twice_m2: float = 0.0


def kinds_recorded(session: Session) -> list[str]:
    """The kinds of contamination of the hazards recorded, in the usual order."""
    present = set(session.scalars(text("SELECT DISTINCT contam FROM hazard_in_force")).all())
    return [c.value for c in Contamination if c.value in present]


def _national_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """National rows of several kinds added up (numbers summed; lists and names dropped)."""
    total: dict[str, Any] = {}
    for row in rows:
        for key, value in row.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                total[key] = total.get(key, 0) + value
    return total


# Each hazard's remaining area on a date is the ledger's (its entries' admin pieces, which
# Form 1(h) sums, add up to it: docs/design.md §2.3); a hazard is counted while open.
_STATE_SUMS = text(
    "SELECT status, SUM(remaining_m2), COUNT(*) FILTER (WHERE remaining_m2 >= :open)"
    " FROM hazard_period WHERE during @> CAST(:as_of AS date)"
    " AND (CAST(:contam AS text) IS NULL OR contam = :contam) GROUP BY status"
)


def national_totals(
    session: Session, as_of: dt.date, contam: Contamination | None
) -> dict[str, Any]:
    """The national row of Form 1(h) at ``as_of`` (SHA, CHA and total areas and open
    hazards) for one kind, or all kinds added up."""
    found = session.execute(
        _STATE_SUMS,
        {"as_of": as_of, "contam": contam.value if contam else None, "open": OPEN_THRESHOLD_M2},
    ).all()
    sums = {str(status).lower(): (float(area or 0.0), int(count)) for status, area, count in found}
    sha_m2, sha = sums.get("sha", (0.0, 0))
    cha_m2, cha = sums.get("cha", (0.0, 0))
    return {
        "sha_area_m2": clean_area(sha_m2),
        "cha_area_m2": clean_area(cha_m2),
        "total_area_m2": clean_area(clean_area(sha_m2) + clean_area(cha_m2)),
        "sha_count": sha,
        "cha_count": cha,
        "total_count": sha + cha,
    }


def national_released(
    session: Session, start: dt.date, end: dt.date, contam: Contamination | None
) -> dict[str, Any]:
    """The national row of Form 1(i) over (start, end], one kind or all kinds added up."""
    kinds = [contam] if contam else [Contamination(k) for k in kinds_recorded(session)]
    rows = [released(session, start, end, ReportScope(level=1, contam=k))[-1] for k in kinds]
    empty = dict.fromkeys(("cancelled_m2", "reduced_m2", "cleared_m2", "total_m2"), 0.0)
    return _national_row(rows) if rows else empty


FIGURE_KEYS = (
    "sha_area_m2",
    "cha_area_m2",
    "total_area_m2",
    "sha_count",
    "cha_count",
    "total_count",
)


def dashboard(
    session: Session, today: dt.date | None = None, contam: Contamination | None = None
) -> Dashboard:
    """Figures for the dashboard, as of today (or an earlier day), from the report
    functions (kept until anything they come from changes: ims.reports.kept)."""
    today = today or dt.date.today()
    return kept(session, "dashboard", (today, contam), lambda: _dashboard(session, today, contam))


def _dashboard(session: Session, today: dt.date, contam: Contamination | None) -> Dashboard:
    settings = get_settings()
    totals = national_totals(session, today, contam)
    this_year = national_released(session, dt.date(today.year - 1, 12, 31), today, contam)
    baseline = settings.article4_baseline
    bars: list[YearReleased] = []
    series: list[tuple[str, float]] = []
    progress = None
    if baseline <= today:
        # Article 4 of the Convention on Cluster Munitions counts cluster munition remnants
        # only, whatever kind the dashboard shows: its deadline is theirs (all kinds had
        # been set against it).
        progress = article4(session, baseline, today, Contamination.CMR)
        years = article4_series(session, baseline, today.year, contam, through=today)["years"]
        while years and not (years[0]["remaining_end_m2"] or years[0]["released_m2"]["total"]):
            years = years[1:]  # nothing recorded yet in the first years after the baseline
        for row in years:
            year = row["year"]
            partial = year == today.year and not _whole_year(today)
            by = row["released_m2"]
            bars.append(
                YearReleased(str(year), by["cancelled"], by["reduced"], by["cleared"], partial)
            )
            end = today if partial else dt.date(year, 12, 31)
            series.append((f"{end:%-d %b %Y}", row["remaining_end_m2"]))
    deadline_field = type(settings).model_fields["article4_deadline"]
    kinds = [contam] if contam else [Contamination(k) for k in kinds_recorded(session)]
    dissolved = sum(dissolved_remaining_area(session, today, k) for k in kinds)
    twice = sum(
        released_twice_area(session, dt.date(today.year - 1, 12, 31), today, k) for k in kinds
    )
    return Dashboard(
        as_of=today,
        contam=contam,
        kinds=kinds_recorded(session),
        totals=totals,
        released_this_year=this_year,
        bars=bars,
        remaining_series=series,
        progress=progress,
        # from the complete years before the date (its own too, on its last day, once past)
        projection=projection(
            session,
            today.year if _whole_year(today) else today.year - 1,
            Contamination.CMR,
        ),
        deadline=settings.article4_deadline,
        deadline_is_default=settings.article4_deadline == deadline_field.default,
        shared_m2=clean_area(max(0.0, totals["total_area_m2"] - dissolved)),
        released_twice_m2=clean_area(twice),
    )


def _whole_year(day: dt.date) -> bool:
    """Whether ``day`` ends its year, and that day is past: its figures are the year's."""
    return (day.month, day.day) == (12, 31) and day < dt.date.today()


def national_figures(
    session: Session, as_of: dt.date, contam: Contamination | None = None
) -> dict[str, Any]:
    """Remaining area and open hazards at ``as_of``: the map's figures box.

    The national rows of Form 1(h), of one kind or of every kind added up, so the map
    and the dashboard show one number for one country and agree with the reports to the
    square metre. Kept until anything they come from changes (ims.reports.kept).
    """
    return kept(
        session, "national figures", (as_of, contam), lambda: _figures(session, as_of, contam)
    )


def _figures(session: Session, as_of: dt.date, contam: Contamination | None) -> dict[str, Any]:
    totals = national_totals(session, as_of, contam)
    figures: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "contam": contam.value if contam else "all",
    }
    for key in FIGURE_KEYS:
        value = totals.get(key, 0)
        figures[key] = round(float(value), 1) if key.endswith("_m2") else int(value)
    return figures


AREA_LEVELS = {"province": 1, "district": 2}


def area_figures(
    session: Session, as_of: dt.date, contam: Contamination | None, kind: str, code: str
) -> dict[str, Any]:
    """The figures box for one province or district (``kind``) by its code: its row of
    Form 1(h) at ``as_of``, one kind or every kind added up, with its name (NotFound for
    a code no such area has). Finding a place on the map had left the national figures
    beside it (a first-time user's review). Kept as the national figures are."""
    level = AREA_LEVELS[kind]
    code = code.strip()  # an address typed by hand: "?province= la-xi "
    return kept(
        session,
        "area figures",
        (as_of, contam, level, code),
        lambda: _area_figures(session, as_of, contam, level, code),
    )


def _area_figures(
    session: Session, as_of: dt.date, contam: Contamination | None, level: int, code: str
) -> dict[str, Any]:
    # any case, as the find box takes a code: "?province=la-xi" in an address typed by hand
    # had found no province (the code as held wins should two differ only in case)
    area = session.execute(
        text(
            "SELECT name, code FROM admin_area WHERE level = :level AND upper(code) = upper(:code)"
            " ORDER BY code = :code DESC, code LIMIT 1"
        ),
        {"level": level, "code": code},
    ).first()
    kind = "province" if level == 1 else "district"
    if area is None:
        raise NotFound(f"no {kind} has the code {code!r}")
    code = area.code
    kinds = [contam] if contam else [Contamination(k) for k in kinds_recorded(session)]
    sums = dict.fromkeys(FIGURE_KEYS, 0.0)
    for k in kinds:
        rows = remaining(session, as_of, ReportScope(level=level, contam=k))
        [row] = [r for r in rows[:-1] if r["admin_code"] == code]
        for key in ("sha_area_m2", "cha_area_m2", "sha_count", "cha_count"):
            sums[key] += row[key]
    figures: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "contam": contam.value if contam else "all",
        "place": area.name,
        "kind": kind,
        "code": code,
        "sha_area_m2": round(clean_area(sums["sha_area_m2"]), 1),
        "cha_area_m2": round(clean_area(sums["cha_area_m2"]), 1),
        "sha_count": int(sums["sha_count"]),
        "cha_count": int(sums["cha_count"]),
    }
    figures["total_area_m2"] = round(
        clean_area(clean_area(sums["sha_area_m2"]) + clean_area(sums["cha_area_m2"])), 1
    )
    figures["total_count"] = figures["sha_count"] + figures["cha_count"]
    return figures


def default_contam(session: Session) -> Contamination:
    """The kind a report shows first: CMR where there are any, else the most recorded kind."""
    rows = session.execute(
        text("SELECT contam, COUNT(*) FROM hazard_in_force GROUP BY contam ORDER BY COUNT(*) DESC")
    ).all()
    kinds = [str(r[0]) for r in rows]
    if not kinds or Contamination.CMR.value in kinds:
        return Contamination.CMR
    return Contamination(kinds[0])


def map_bounds(session: Session) -> list[list[float]]:
    """[[south, west], [north, east]] of the admin areas (or of the hazards); kept until
    anything they come from changes (the extent of the detailed province outlines took
    20-100 ms on every map page)."""
    return kept(session, "map bounds", (), lambda: _map_bounds(session))


def _map_bounds(session: Session) -> list[list[float]]:
    row = session.execute(
        text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM ("
            " SELECT COALESCE((SELECT ST_Extent(geom) FROM admin_area WHERE level = 1),"
            "  (SELECT ST_Extent(geom) FROM hazard_revision_in_force))::geometry AS e) x"
        )
    ).one()
    if row[0] is None:
        return [[-60.0, -170.0], [70.0, 170.0]]
    return [[float(row[1]), float(row[0])], [float(row[3]), float(row[2])]]
