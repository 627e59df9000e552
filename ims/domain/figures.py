"""How figures are counted and shown: when a hazard is open, how areas are rounded.

These are domain rules (docs/design.md §2.5, §2.1) that every report, map and page shares.
"""

from __future__ import annotations

from typing import Final

from ims.domain.enums import ReleaseMethod

# A hazard is open while at least 1 m² of it remains; below that it is closed and no
# longer counted (docs/design.md §2.5). The same threshold closes it in every report.
OPEN_THRESHOLD_M2: Final = 1.0

# The three ways land is released, in the order the forms list them (docs/design.md §3).
METHODS: Final = tuple(m.value for m in ReleaseMethod)


def clean_area(area: float) -> float:
    """An area as reports show it: rounded to the mm², floating-point dust below zero dropped."""
    value = round(area, 3)
    return 0.0 if abs(value) < 1e-3 else value
