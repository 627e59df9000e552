"""Small charts drawn server-side as inline SVG (no chart library, nothing to download).

Every piece of SVG is a ``Markup`` template filled with ``format``, which escapes what it
is given: a chart is safe to put in a page as it is (no ``|safe`` in the templates).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup

from ims.queries.national import YearReleased
from map_ui.style import METHOD_COLOURS, METHOD_LABELS

WIDTH, HEIGHT = 640, 240
# The scale is written on both sides: a phone shows a chart wider than itself scrolled to
# its latest years, at the right, where a scale on the left alone was out of sight.
LEFT, RIGHT, TOP, BOTTOM = 56, 56, 30, 36


def nice_ticks(value: float, count: int = 4) -> list[float]:
    """Round axis ticks from 0 to at least ``value``, about ``count`` steps."""
    if value <= 0:
        return [0.0, 0.25, 0.5, 0.75, 1.0]
    raw = value / count
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(s * magnitude for s in (1.0, 2.0, 2.5, 5.0, 10.0) if raw <= s * magnitude)
    steps = math.ceil(value / step - 1e-9)
    return [round(i * step, 10) for i in range(steps + 1)]


def _label(value: float, ticks: Sequence[float]) -> str:
    """``value`` with as many decimals as the tick step needs (0.25 → 2, 2.5 → 1, 5 → 0)."""
    step = ticks[1] - ticks[0]
    decimals = next(d for d in range(6) if abs(step * 10**d - round(step * 10**d)) < 1e-6)
    return f"{value:,.{decimals}f}"


def _frame(title: str, ticks: Sequence[float], unit: str) -> list[Markup]:
    parts = [
        Markup('<svg viewBox="0 0 {} {}" class="chart" role="img" aria-label="{}">').format(
            WIDTH, HEIGHT, title
        ),
        Markup("<title>{}</title>").format(title),
    ]
    plot_h = HEIGHT - TOP - BOTTOM
    for value in ticks:
        y = HEIGHT - BOTTOM - plot_h * value / ticks[-1]
        parts.append(
            Markup('<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" class="grid"/>').format(
                LEFT, WIDTH - RIGHT, y, y
            )
        )
        parts.append(
            Markup(
                '<text x="{}" y="{:.1f}" text-anchor="end">{}</text>'
                '<text x="{}" y="{:.1f}" class="scale-right">{}</text>'
            ).format(
                LEFT - 6,
                y + 4,
                _label(value, ticks),
                WIDTH - RIGHT + 6,
                y + 4,
                _label(value, ticks),
            )
        )
    parts.append(
        Markup(
            '<text x="{}" y="14" text-anchor="end" class="unit">{}</text>'
            '<text x="{}" y="14" class="unit scale-right">{}</text>'
        ).format(LEFT - 6, unit, WIDTH - RIGHT + 6, unit)
    )
    return parts


def _every(n: int) -> int:
    """Label every k-th of n slots so labels do not collide."""
    return max(1, math.ceil(n / 16))


def stacked_bars(bars: Sequence[YearReleased], title: str) -> Markup:
    """Release by method: one stacked bar per year, in km²."""
    if not bars:
        return Markup('<p class="empty">No land released yet.</p>')
    totals = [(b.cancelled_m2 + b.reduced_m2 + b.cleared_m2) / 1e6 for b in bars]
    ticks = nice_ticks(max(totals))
    top = ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(bars)
    width = max(2.0, slot * 0.7)
    parts = _frame(title, ticks, "km²")
    every = _every(len(bars))
    for i, bar in enumerate(bars):
        x = LEFT + i * slot + (slot - width) / 2
        base = float(HEIGHT - BOTTOM)
        for method, colour in METHOD_COLOURS.items():
            km2 = getattr(bar, f"{method}_m2") / 1e6
            h = plot_h * km2 / top
            base -= h
            parts.append(
                Markup(
                    '<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}">'
                    "<title>{}{} {}: {:,.3f} km²</title></rect>"
                ).format(
                    x,
                    base,
                    width,
                    h,
                    colour,
                    bar.label,
                    " so far" if bar.partial else "",
                    METHOD_LABELS[method],
                    km2,
                )
            )
        if (len(bars) - 1 - i) % every == 0:
            parts.append(
                Markup('<text x="{:.1f}" y="{}" text-anchor="middle">{}</text>').format(
                    x + width / 2, HEIGHT - BOTTOM + 16, bar.label
                )
            )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def line(points: Sequence[tuple[str, float]], title: str, colour: str) -> Markup:
    """A series of areas (label, m²), in km²: remaining area at each year end."""
    if not points:
        return Markup('<p class="empty">Nothing recorded yet.</p>')
    ticks = nice_ticks(max(v for _, v in points) / 1e6)
    top = ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(points)  # the same slots as the bars, so the two charts line up

    def xy(i: int, value: float) -> tuple[float, float]:
        return LEFT + (i + 0.5) * slot, HEIGHT - BOTTOM - plot_h * (value / 1e6) / top

    coords = [xy(i, v) for i, (_, v) in enumerate(points)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    parts = [
        *_frame(title, ticks, "km²"),
        Markup('<polyline points="{}" fill="none" stroke="{}" stroke-width="2.5"/>').format(
            path, colour
        ),
    ]
    every = _every(len(points))
    for i, ((label, value), (x, y)) in enumerate(zip(points, coords, strict=True)):
        parts.append(
            Markup(
                '<circle cx="{:.1f}" cy="{:.1f}" r="3" fill="{}"><title>'
                "{}: {:,.3f} km²</title></circle>"
            ).format(x, y, colour, label, value / 1e6)
        )
        if (len(points) - 1 - i) % every == 0:
            parts.append(
                Markup('<text x="{:.1f}" y="{}" text-anchor="middle">{}</text>').format(
                    x, HEIGHT - BOTTOM + 16, label.split()[-1]
                )
            )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)
