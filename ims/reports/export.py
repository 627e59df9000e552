"""Writing the Article 7 report as CSV and HTML (XLSX and PDF come with the reports issue)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

_env = Environment(
    loader=PackageLoader("ims.reports", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["m2"] = lambda v: f"{v:,.0f}"
_env.filters["km2"] = lambda v: f"{v / 1e6:,.3f}"


def _items(items: list[dict[str, Any]], qty: str) -> str:
    return "; ".join(f"{i['type']}:{i[qty]}" for i in items)


_env.filters["items"] = _items

REMAINING_HEADER = [
    "admin_code", "admin_name", "sha_count", "sha_area_m2", "cha_count", "cha_area_m2",
    "total_count", "total_area_m2", "total_area_km2", "remnants", "years_of_use",
]  # fmt: skip
RELEASED_HEADER = [
    "admin_code", "admin_name", "cancelled_m2", "reduced_m2", "cleared_m2", "total_m2",
    "total_km2", "hazards_closed", "cmr_destroyed", "other_items_destroyed",
]  # fmt: skip


def to_json(report: dict[str, Any]) -> str:
    """The report as JSON (DESIGN.md §7)."""
    return json.dumps(report, ensure_ascii=False, indent=2)


def to_csv(report: dict[str, Any]) -> str:
    """Both tables in one CSV, each under a line naming it: Form 1(h) then Form 1(i)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(
        [
            f"Form 1(h) remaining contamination as of {report['as_of']}, "
            f"{report['contam']}, admin level {report['level']}"
        ]
    )
    writer.writerow(REMAINING_HEADER)
    for row in report["remaining"]:
        writer.writerow([
            row["admin_code"] or "", row["admin_name"], row["sha_count"],
            f"{row['sha_area_m2']:.1f}", row["cha_count"], f"{row['cha_area_m2']:.1f}",
            row["total_count"], f"{row['total_area_m2']:.1f}",
            f"{row['total_area_m2'] / 1e6:.4f}",
            _items(row["remnants"], "estimated_quantity"),
            "-".join(str(y) for y in row["years_of_use"]),
        ])  # fmt: skip
    writer.writerow([])
    writer.writerow(
        [
            f"Form 1(i) land release in {report['year']}, {report['contam']}, "
            f"admin level {report['level']}"
        ]
    )
    writer.writerow(RELEASED_HEADER)
    for row in report["released"]:
        cmr = [i for i in row["destroyed"] if i.get("cmr", True)]
        other = [i for i in row["destroyed"] if not i.get("cmr", True)]
        writer.writerow([
            row["admin_code"] or "", row["admin_name"], f"{row['cancelled_m2']:.1f}",
            f"{row['reduced_m2']:.1f}", f"{row['cleared_m2']:.1f}", f"{row['total_m2']:.1f}",
            f"{row['total_m2'] / 1e6:.4f}", row["hazards_closed"],
            _items(cmr, "quantity"), _items(other, "quantity"),
        ])  # fmt: skip
    return buf.getvalue()


def to_html(report: dict[str, Any]) -> str:
    """A standalone HTML page with both tables."""
    return _env.get_template("article7.html").render(report=report)
