"""Small charts drawn server-side as inline SVG (no chart library, nothing to download)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from map_ui.style import METHOD_COLOURS, METHOD_LABELS

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 30, 36


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value``."""
    if value <= 0:
        return 1.0
    magnitude = 10.0 ** len(str(int(value))) / 10
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * magnitude:
            return float(step * magnitude)
    return value


def _axis(top: float, unit: str) -> list[str]:
    parts = []
    plot_h = HEIGHT - TOP - BOTTOM
    for i in range(5):
        value = top * i / 4
        y = HEIGHT - BOTTOM - plot_h * i / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                     'class="grid"/>')  # fmt: skip
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f"{value:,.1f}</text>")  # fmt: skip
    parts.append(
        f'<text x="{LEFT - 6}" y="14" text-anchor="end" class="unit">{escape(unit)}</text>'
    )
    return parts


def stacked_bars(rows: Sequence[dict[str, float]], title: str) -> str:
    """Annual release by method: one stacked bar per year, in km²."""
    if not rows:
        return '<p class="empty">No land released yet.</p>'
    totals = [sum(r[f"{m}_m2"] for m in METHOD_COLOURS) / 1e6 for r in rows]
    top = _nice_max(max(totals))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(rows)
    bar = max(2.0, slot * 0.7)
    parts = [f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" class="chart" role="img" '
             f'aria-label="{escape(title)}">', f"<title>{escape(title)}</title>",
             *_axis(top, "km²")]  # fmt: skip
    for i, row in enumerate(rows):
        x = LEFT + i * slot + (slot - bar) / 2
        base = float(HEIGHT - BOTTOM)
        for method, colour in METHOD_COLOURS.items():
            km2 = row[f"{method}_m2"] / 1e6
            h = plot_h * km2 / top
            base -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{int(row["year"])} {METHOD_LABELS[method]}: '
                f"{km2:,.3f} km²</title></rect>"
            )
        if len(rows) <= 16 or i % 2 == 0:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                         f'text-anchor="middle">{int(row["year"])}</text>')  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def line(points: Sequence[tuple[int, float]], title: str, colour: str) -> str:
    """Remaining area at each year end, in km²."""
    if not points:
        return '<p class="empty">Nothing recorded yet.</p>'
    top = _nice_max(max(v for _, v in points) / 1e6)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(1, len(points) - 1)

    def xy(i: int, value: float) -> tuple[float, float]:
        return LEFT + i * step, HEIGHT - BOTTOM - plot_h * (value / 1e6) / top

    coords = [xy(i, v) for i, (_, v) in enumerate(points)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    parts = [f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" class="chart" role="img" '
             f'aria-label="{escape(title)}">', f"<title>{escape(title)}</title>",
             *_axis(top, "km²"),
             f'<polyline points="{path}" fill="none" stroke="{colour}" '
             'stroke-width="2.5"/>']  # fmt: skip
    for (year, value), (x, y) in zip(points, coords, strict=True):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                     f"<title>31 Dec {year}: {value / 1e6:,.3f} km²</title></circle>")  # fmt: skip
        if len(points) <= 16 or (year % 2 == 0):
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                         f'text-anchor="middle">{year}</text>')  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)
