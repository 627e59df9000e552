"""Writing the Article 7 report as JSON, CSV and HTML, and XLSX or PDF with the notes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from ims.cells import csv_text
from ims.reports.convention import by_province, convention_for
from ims.reports.history import CORRECTION_COLUMNS, correction_rows, corrections_listed, summary

_env = Environment(
    loader=PackageLoader("ims.reports", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["m2"] = lambda v: f"{v:,.0f}"
_env.filters["km2"] = lambda v: f"{v / 1e6:,.3f}"
_env.filters["history"] = summary
_env.filters["correction_rows"] = correction_rows
_env.filters["corrections_listed"] = corrections_listed
_env.globals["CORRECTION_COLUMNS"] = CORRECTION_COLUMNS


def _items(items: list[dict[str, Any]], qty: str) -> str:
    return "; ".join(f"{i['type']}:{i[qty]}" for i in items)


_env.filters["items"] = _items

REMAINING_HEADER = [
    "admin_code",
    "admin_name",
    "sha_count",
    "sha_area_m2",
    "cha_count",
    "cha_area_m2",
    "total_count",
    "total_area_m2",
    "total_area_km2",
    "remnants",
    "years_of_use",
]
RELEASED_HEADER = [
    "admin_code",
    "admin_name",
    "cancelled_m2",
    "reduced_m2",
    "cleared_m2",
    "total_m2",
    "total_km2",
    "hazards_closed",
    "cmr_destroyed",
    "other_items_destroyed",
    "released_outside_hazards_m2",
]


def to_json(report: dict[str, Any]) -> str:
    """The report as JSON (docs/design.md §7)."""
    return json.dumps(report, ensure_ascii=False, indent=2)


# One table alone, for a reader that takes a CSV as one table (pandas, a database, a GIS):
# the report's CSV holds both under a line naming each, which such a reader took for one
# column of 45 rows (a new user's review).
TABLES = ("1h", "1i")


def _named(header: list[str], report: dict[str, Any]) -> list[str]:
    return [*header[:2], "province", *header[2:]] if by_province(report) else header


def _where(row: dict[str, Any], report: dict[str, Any]) -> list[Any]:
    """A row's first cells: its code, its name, and a district's province."""
    cells = [row["admin_code"] or "", row["admin_name"]]
    return [*cells, row.get("province") or ""] if by_province(report) else cells


def _remaining_rows(report: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = [_named(REMAINING_HEADER, report)]
    for row in report["remaining"]:
        rows.append(
            [
                *_where(row, report),
                row["sha_count"],
                f"{row['sha_area_m2']:.1f}",
                row["cha_count"],
                f"{row['cha_area_m2']:.1f}",
                row["total_count"],
                f"{row['total_area_m2']:.1f}",
                f"{row['total_area_m2'] / 1e6:.4f}",
                _items(row["remnants"], "estimated_quantity"),
                "-".join(str(y) for y in row["years_of_use"]),
            ]
        )
    return rows


def _released_rows(report: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = [_named(RELEASED_HEADER, report)]
    for row in report["released"]:
        cmr = [i for i in row["destroyed"] if i.get("cmr", True)]
        other = [i for i in row["destroyed"] if not i.get("cmr", True)]
        rows.append(
            [
                *_where(row, report),
                f"{row['cancelled_m2']:.1f}",
                f"{row['reduced_m2']:.1f}",
                f"{row['cleared_m2']:.1f}",
                f"{row['total_m2']:.1f}",
                f"{row['total_m2'] / 1e6:.4f}",
                row["hazards_closed"],
                _items(cmr, "quantity"),
                _items(other, "quantity"),
                f"{row.get('released_outside_hazards_m2', 0.0):.1f}",
            ]
        )
    return rows


def to_csv(report: dict[str, Any], table: str | None = None) -> str:
    """Both tables in one CSV, each under a line naming it (Form 1(h) then Form 1(i), as the
    convention of the kind of contamination calls them: ``convention_for``), then the
    report's history and corrections; or one table alone (``table``: "1h" or "1i"), its
    header on the first line and nothing else."""
    if table == "1h":
        return csv_text(_remaining_rows(report))
    if table == "1i":
        return csv_text(_released_rows(report))
    convention = convention_for(report["contam"])
    rows: list[list[Any]] = [
        [
            f"{convention.remaining_form} remaining contamination as of {report['as_of']}, "
            f"{report['contam']}, admin level {report['level']}"
        ],
        *_remaining_rows(report),
    ]
    # the ground overlapping hazards share, as the other formats say it (DESIGN §2.6): the
    # CSV alone had given the totals bare (an IM officer's review, helper-100)
    overlap = report.get("overlap")
    if overlap and overlap.get("double_counted_m2"):  # said where ground is shared, as elsewhere
        rows.append(
            [
                "Remaining with ground shared by overlapping hazards counted once: "
                f"{overlap['dissolved_area_m2']:.1f} m² (shared, so counted more than once in "
                f"the total: {overlap['double_counted_m2']:.1f} m²)"
            ]
        )
    rows += [
        [],
        [
            f"{convention.released_form} land release in {report['year']}, {report['contam']}, "
            f"admin level {report['level']}"
        ],
        *_released_rows(report),
    ]
    outside = report["released"][-1].get("released_outside_hazards_m2", 0.0)
    rows.append([f"Released outside recorded hazards (not in the totals): {outside:.1f} m²"])
    if overlap and overlap.get("released_twice_m2"):
        rows.append(
            [
                f"Released land counted more than once: {overlap['released_twice_m2']:.1f} m² "
                "(ground shared by overlapping hazards is released from each and counted for "
                "each)"
            ]
        )
    if told := summary(report.get("history")):
        rows += [[], [f"History: {told}"]]
    if corrections := correction_rows(report.get("history")):
        rows += [list(CORRECTION_COLUMNS), *corrections]
        if listed := corrections_listed(report.get("history")):
            rows.append([listed])
    return csv_text(rows)


def to_html(report: dict[str, Any]) -> str:
    """A standalone HTML page with both tables."""
    return _env.get_template("article7.html").render(
        report=report, convention=convention_for(report["contam"])
    )


@dataclass(frozen=True)
class NotedSubmission:
    """A submission awaiting review that a reviewer chose to have the reports note."""

    id: int
    kind: str
    filename: str
    organisation: str | None
    features: int
    errors: int

    def describe(self) -> str:
        """One line: submission 12 (NPA, releases, results.zip): 340 features, 3 errors."""
        org = self.organisation or "no organisation"
        errors = f"{self.errors:,} error finding{'' if self.errors == 1 else 's'}"
        return (
            f"submission {self.id} ({org}, {self.kind}, {self.filename}): "
            f"{self.features:,} feature{'' if self.features == 1 else 's'}, "
            f"{errors if self.errors else 'no error finding'}"
        )


def noted_submissions(session: Any) -> list[NotedSubmission]:
    """The submissions awaiting review that a reviewer chose to note in reports.

    Only those: a trial import left with errors, or any other pending upload, stays out of
    the notes unless a reviewer notes it (``ims submissions note``, the review page).
    """
    from sqlalchemy import text

    rows = session.execute(
        text(
            "SELECT s.id, s.kind, s.filename, o.name AS organisation, s.feature_count,"
            " (SELECT COUNT(*) FROM finding f WHERE f.submission_id = s.id"
            "  AND f.severity = 'error') AS errors "
            "FROM submission s LEFT JOIN organisation o ON o.id = s.organisation_id "
            "WHERE s.status = 'validated' AND s.noted ORDER BY s.id"
        )
    ).all()
    return [NotedSubmission(r[0], r[1], r[2], r[3], int(r[4]), int(r[5])) for r in rows]


def outstanding_findings(session: Any) -> tuple[list[NotedSubmission], list[tuple[str, int]]]:
    """The submissions noted for the reports, and their error findings by code."""
    from sqlalchemy import text

    noted = noted_submissions(session)
    codes = session.execute(
        text(
            "SELECT f.code, COUNT(*) FROM finding f WHERE f.severity = 'error' "
            "AND f.submission_id = ANY(:ids) GROUP BY f.code ORDER BY 2 DESC, 1"
        ),
        {"ids": [n.id for n in noted]},
    ).all()
    return noted, [(str(code), int(n)) for code, n in codes]


def admin_geometries(session: Any, level: int) -> list[tuple[str | None, Any]]:
    """The admin areas of a level with their geometries (for the PDF's map)."""
    import shapely
    from sqlalchemy import text

    rows = session.execute(
        text(
            "SELECT code, ST_AsBinary(ST_SimplifyPreserveTopology(geom, 0.002)) "
            "FROM admin_area WHERE level = :l ORDER BY code"
        ),
        {"l": level},
    ).all()
    return [(code, shapely.from_wkb(bytes(wkb))) for code, wkb in rows]


def to_binary(session: Any, report: dict[str, Any], fmt: str) -> bytes:
    """The report as XLSX or PDF (these need the database for notes and the map).

    Both list the data-quality findings outstanding: the submissions awaiting review that a
    reviewer chose to note, and their error findings.
    """
    then = (report.get("history") or {}).get("notes_then")
    if then is not None:  # the report as finalised: the notes its files carried then
        noted = [NotedSubmission(**n) for n in then["submissions"]]
        codes = [(str(code), int(n)) for code, n in then["codes"]]
    else:
        noted, codes = outstanding_findings(session)
    if fmt == "xlsx":
        from ims.reports.xlsx import to_xlsx

        return to_xlsx(report, codes, noted)
    from ims.reports.pdf import to_pdf

    return to_pdf(report, admin_geometries(session, report["level"]), codes, noted)
