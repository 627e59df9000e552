"""Planning figures of the Lausanne Action Plan: Article 4 progress year by year (4.6),
marking and baseline (Action 18), and a ranking of open hazards for tasking (Action 23).

All from the area ledger, so they agree with the Article 7 tables to the square metre.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.domain.enums import Contamination
from ims.domain.figures import METHODS, OPEN_THRESHOLD_M2, clean_area
from ims.errors import InvalidRequest

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# --------------------------------------------------------------------------- Article 4.6


def article4_series(
    session: Session,
    baseline: dt.date,
    last_year: int,
    contam: Contamination | None,
    *,
    through: dt.date | None = None,
) -> dict[str, Any]:
    """Year by year from the baseline: added, released by method, remaining at year end.

    Conservation holds each year: remaining(end) = remaining(start) + added − released.
    The first row runs from the baseline date to the end of its year; the last ends on
    ``through`` where it is given, a day of that year (the dashboard as of a date).
    """
    if last_year < baseline.year:
        raise InvalidRequest(f"the last year {last_year} is before the baseline {baseline}")
    # Summed per year and kind in the database (exactly, as numeric), not entry by entry
    # here: 450,000 entries at 100,000 hazards took 1.2 s to fetch.
    rows = session.execute(
        text(
            "SELECT CASE WHEN e.on <= :baseline THEN NULL"
            " ELSE CAST(extract(year FROM e.on) AS integer) END AS year,"
            " e.kind, SUM(CAST(e.delta_m2 AS numeric)) FROM ledger_entry e"
            " JOIN hazard h ON h.id = e.hazard_id"
            " WHERE (CAST(:contam AS text) IS NULL OR h.contam = :contam) AND e.on <= :end"
            " GROUP BY 1, 2"
        ),
        {
            "contam": contam.value if contam else None,
            "baseline": baseline,
            "end": through or dt.date(last_year, 12, 31),
        },
    ).all()
    at_baseline = math.fsum(float(d) for year, _k, d in rows if year is None)
    years: dict[int, dict[str, float]] = {
        y: {"added": 0.0, **dict.fromkeys(METHODS, 0.0)}
        for y in range(baseline.year, last_year + 1)
    }
    for year, kind, delta in rows:
        if year is None:
            continue
        item = years[year]
        if kind in METHODS:
            item[kind] += -float(delta)
        else:
            item["added"] += float(delta)  # added, enlarged or shrunk by a revision
    series = []
    level = at_baseline
    for year, item in years.items():
        released = item["cancelled"] + item["reduced"] + item["cleared"]
        level = level + item["added"] - released
        series.append(
            {
                "year": year,
                "added_m2": clean_area(item["added"]),
                "released_m2": {m: clean_area(item[m]) for m in METHODS}
                | {"total": clean_area(released)},
                "remaining_end_m2": clean_area(level),
            }
        )
    return {
        "baseline": baseline.isoformat(),
        "contam": contam.value if contam else "all",
        "area_at_baseline_m2": clean_area(at_baseline),
        "years": series,
    }


def series_csv(series: dict[str, Any]) -> str:
    """The series as CSV, one line a year."""
    lines = [
        f"# Article 4 progress ({series['contam']}) from the baseline {series['baseline']};"
        f" area at the baseline {series['area_at_baseline_m2']:.1f} m²",
        "year,added_m2,cancelled_m2,reduced_m2,cleared_m2,released_m2,remaining_end_m2",
    ]
    for row in series["years"]:
        r = row["released_m2"]
        lines.append(
            f"{row['year']},{row['added_m2']:.1f},{r['cancelled']:.1f},"
            f"{r['reduced']:.1f},{r['cleared']:.1f},{r['total']:.1f},"
            f"{row['remaining_end_m2']:.1f}"
        )
    return "\n".join(lines) + "\n"


def series_png(series: dict[str, Any], *, narrow: bool = False) -> bytes:
    """Released per year by method (bars) and remaining at year end (line), in km²;
    ``narrow``: drawn for a phone's width."""
    import matplotlib.pyplot as plt

    fig = series_figure(series, narrow=narrow)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def series_figure(series: dict[str, Any], *, narrow: bool = False) -> Figure:
    """The chart of ``series_png`` as a matplotlib figure (the caller closes it). Narrow,
    for a phone: the 760-pixel chart scrolled there, and opened at its latest years it
    showed the line's scale alone, against which the bars read ten times their height
    (helper-108)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    years = [r["year"] for r in series["years"]]
    fig, ax = plt.subplots(figsize=(3.3, 3.6) if narrow else (8, 4), dpi=110 if narrow else 120)
    bottom = [0.0] * len(years)
    colours = {"cancelled": "#a1dab4", "reduced": "#35978f", "cleared": "#2c7fb8"}  # as the maps
    for method in METHODS:
        values = [r["released_m2"][method] / 1e6 for r in series["years"]]
        ax.bar(years, values, bottom=bottom, color=colours[method], label=f"{method} (km²/yr)")
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel("released per year, km²")
    ax2 = ax.twinx()
    # the years before anything was recorded are left out of the line: drawn as 0 km²
    # remaining, they read as a country cleared, then contaminated (a first-time user's
    # review); the series itself keeps them, as recorded
    first = next(
        (
            i
            for i, r in enumerate(series["years"])
            if r["remaining_end_m2"] or any(r["released_m2"].values())
        ),
        len(years),
    )
    ax2.plot(
        years[first:],
        [r["remaining_end_m2"] / 1e6 for r in series["years"][first:]],
        color="#d7191c",
        marker="o",
        label="remaining at year end (km²)",
    )
    ax2.set_ylabel("remaining, km²")
    ax2.set_ylim(bottom=0)
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    labels = ax.get_legend_handles_labels()[1] + ax2.get_legend_handles_labels()[1]
    # below the axes, in one row (two on a phone): inside them it hid the last years' bars
    ax.legend(
        handles,
        labels,
        fontsize=6 if narrow else 7,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.14 if narrow else -0.1),
        ncol=2 if narrow else len(labels),
        frameon=False,
    )
    if narrow:
        for axis in (ax, ax2):
            axis.tick_params(labelsize=7)
            axis.yaxis.label.set_fontsize(7)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(4, integer=True))
    title = f"Article 4 progress ({series['contam']}) since {series['baseline']}"
    ax.set_title(title, fontsize=8 if narrow else 10)
    return fig


# --------------------------------------------------------------------------- Action 18

_STATE = """
SELECT DISTINCT ON (e.hazard_id) e.hazard_id, e.status_after, e.remaining_after_m2,
       e.revision_id, e.count_admin1_id
FROM ledger_entry e JOIN hazard h ON h.id = e.hazard_id
WHERE e.on <= :as_of AND h.contam = :contam
ORDER BY e.hazard_id, e.entry_no DESC
"""


def marking(
    session: Session, as_of: dt.date, baseline: dt.date, contam: Contamination
) -> list[dict[str, Any]]:
    """Per province: open hazards and remaining area, the share marked or fenced by as_of,
    and the open hazards never surveyed since the baseline (no revision, no release after it).

    Hazards are counted where Form 1(h) counts them; their areas lie where Form 1(h) puts
    them, each province the part of the hazard's remaining ground inside it (the ledger's
    pieces, docs/design.md §2.5), so that a province's remaining area is the one its Article
    7 row gives on the same date, a closed hazard's rest under a square metre included as
    there (docs/design.md §2.6). (The whole of a hazard's area had gone to the province
    that counts it: an attack on the figures found ten of eighteen provinces off.)
    """
    params = {
        "as_of": as_of,
        "contam": contam.value,
        "baseline": baseline,
        "open": OPEN_THRESHOLD_M2,
    }
    hazards = (
        f"WITH state AS ({_STATE}), "
        "held AS (SELECT s.hazard_id, s.count_admin1_id,"
        " s.remaining_after_m2 >= :open AS open,"
        " (r.marked IS NOT NULL AND r.marked <= :as_of) AS marked,"
        " NOT EXISTS (SELECT 1 FROM hazard_revision v WHERE v.hazard_id = s.hazard_id"
        "   AND v.effective > :baseline AND v.effective <= :as_of)"
        " AND NOT EXISTS (SELECT 1 FROM release_in_force x WHERE x.hazard_id = s.hazard_id"
        "   AND x.released > :baseline AND x.released <= :as_of) AS untouched "
        " FROM state s JOIN hazard_revision r ON r.id = s.revision_id"
        " WHERE s.status_after IS NOT NULL) "
    )
    counts = session.execute(
        text(
            hazards + "SELECT a.code, a.name, count(*), count(*) FILTER (WHERE o.marked),"
            " count(*) FILTER (WHERE o.untouched) "
            "FROM held o LEFT JOIN admin_area a ON a.id = o.count_admin1_id WHERE o.open"
            " GROUP BY 1, 2"
        ),
        params,
    ).all()
    areas = session.execute(
        text(
            hazards + "SELECT a.code, a.name, sum(p.area_m2),"
            " coalesce(sum(p.area_m2) FILTER (WHERE o.marked), 0) "
            "FROM held o JOIN ledger_entry e ON e.hazard_id = o.hazard_id AND e.on <= :as_of"
            " JOIN ledger_piece p ON p.hazard_id = e.hazard_id AND p.entry_no = e.entry_no"
            " AND p.level = 1 "
            "LEFT JOIN admin_area a ON a.id = p.admin_id GROUP BY 1, 2"
        ),
        params,
    ).all()
    by: dict[str | None, dict[str, Any]] = {}

    def row(code: str | None, name: str | None) -> dict[str, Any]:
        return by.setdefault(
            code,
            {
                "admin_code": code,
                "admin_name": name or "Unassigned",
                "open_hazards": 0,
                "marked_hazards": 0,
                "remaining_m2": 0.0,
                "marked_m2": 0.0,
                "not_surveyed_since_baseline": 0,
            },
        )

    for code, name, n, marked, untouched in counts:
        item = row(code, name)
        item["open_hazards"] = n
        item["marked_hazards"] = marked
        item["not_surveyed_since_baseline"] = untouched
    for code, name, m2, marked_m2 in areas:
        if code not in by and abs(m2) < 0.0005:
            continue  # closed hazards' nothing: a province with no open hazard is no row
        item = row(code, name)
        item["remaining_m2"] = float(m2)
        item["marked_m2"] = float(marked_m2)
    result = sorted(by.values(), key=lambda r: (r["admin_code"] is None, r["admin_code"] or ""))
    total = {"admin_code": "TOTAL", "admin_name": "Total"}
    for key in (
        "open_hazards",
        "marked_hazards",
        "remaining_m2",
        "marked_m2",
        "not_surveyed_since_baseline",
    ):
        total[key] = sum(r[key] for r in result)
    result.append(total)
    for r in result:
        r["marked_hazard_share"] = (
            r["marked_hazards"] / r["open_hazards"] if r["open_hazards"] else 0.0
        )
        r["marked_area_share"] = r["marked_m2"] / r["remaining_m2"] if r["remaining_m2"] else 0.0
        r["remaining_m2"] = clean_area(r["remaining_m2"])
        r["marked_m2"] = clean_area(r["marked_m2"])
    return result


# --------------------------------------------------------------------------- Action 23


@dataclass(frozen=True)
class Weights:
    """How much each attribute counts in a hazard's priority score (each factor is 0–1)."""

    cha: float = 3.0  # confirmed rather than suspected
    area: float = 2.0  # remaining area, relative to the largest open hazard
    remnants: float = 2.0  # estimated CMR quantity, relative to the largest
    idle: float = 1.0  # years since anything was last done on it, capped at 10

    @classmethod
    def load(cls, path: Path | None) -> Weights:
        """Weights from a JSON file ({"cha": 3, "area": 2, …}); defaults where absent."""
        if path is None:
            return cls()
        try:
            given = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidRequest(f"{path}: cannot read the weights: {exc}") from None
        unknown = set(given) - set(cls.__dataclass_fields__)
        if unknown or not all(isinstance(v, int | float) for v in given.values()):
            raise InvalidRequest(
                f"{path}: weights are numbers for {', '.join(cls.__dataclass_fields__)}"
                + (f"; unknown: {', '.join(sorted(unknown))}" if unknown else "")
            )
        return cls(**{k: float(v) for k, v in given.items()})


def priorities(
    session: Session,
    as_of: dt.date,
    weights: Weights,
    contam: Contamination,
    top: int | None = None,
) -> list[dict[str, Any]]:
    """Open hazards ranked by score = Σ weight × factor (highest first), with the factors."""
    rows = session.execute(
        text(
            f"WITH state AS ({_STATE}) "
            "SELECT h.reference, s.status_after, s.remaining_after_m2, a.name AS province,"
            " COALESCE((SELECT SUM(he.quantity) FROM hazard_estimate he"
            "   JOIN munition_type mt ON mt.code = he.munition_code"
            "   WHERE he.revision_id = s.revision_id AND mt.is_cmr), 0) AS cmr,"
            " (SELECT MAX(e.on) FROM ledger_entry e WHERE e.hazard_id = s.hazard_id"
            "   AND e.on <= :as_of) AS last_activity "
            "FROM state s JOIN hazard h ON h.id = s.hazard_id "
            "LEFT JOIN admin_area a ON a.id = s.count_admin1_id "
            "WHERE s.status_after IS NOT NULL AND s.remaining_after_m2 >= :open"
        ),
        {"as_of": as_of, "contam": contam.value, "open": OPEN_THRESHOLD_M2},
    ).all()
    if not rows:
        return []
    max_area = max(float(r.remaining_after_m2) for r in rows) or 1.0
    max_cmr = max(int(r.cmr) for r in rows) or 1
    ranked = []
    for r in rows:
        idle_years = (as_of - r.last_activity).days / 365.25 if r.last_activity else 10.0
        factors = {
            "cha": 1.0 if r.status_after == "CHA" else 0.0,
            "area": float(r.remaining_after_m2) / max_area,
            "remnants": int(r.cmr) / max_cmr,
            "idle": min(idle_years, 10.0) / 10.0,
        }
        score = sum(getattr(weights, k) * v for k, v in factors.items())
        ranked.append(
            {
                "reference": r.reference,
                "status": r.status_after,
                "province": r.province or "",
                "remaining_m2": clean_area(float(r.remaining_after_m2)),
                "estimated_cmr": int(r.cmr),
                "last_activity": r.last_activity.isoformat() if r.last_activity else None,
                "score": round(score, 4),
                **{f"f_{k}": round(v, 4) for k, v in factors.items()},
            }
        )
    ranked.sort(key=lambda x: (-x["score"], x["reference"]))
    for i, item in enumerate(ranked, start=1):
        item["rank"] = i
    return ranked[:top] if top else ranked
