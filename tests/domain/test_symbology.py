"""The province choropleth's classes read a small programme and a national one alike."""

from __future__ import annotations

import bisect

from ims.domain import symbology

# Remaining km² per province on one day: the demo (3,000 hazards) and the national-scale
# data set (100,000 hazards), as measured when the classes were chosen.
DEMO = [0.4, 0.7, 1.0, 1.1, 1.4, 2.3, 2.3, 3.0, 3.6, 6.3, 6.5, 10.5, 11.7, 12.4, 12.5, 13.4,
        26.6, 33.2]  # fmt: skip
NATIONAL = [27.5, 37.0, 38.0, 42.1, 42.2, 50.4, 96.2, 119.7, 126.0, 157.9, 291.4, 344.9,
            356.0, 377.7, 408.6, 568.9, 764.1, 932.8]  # fmt: skip


def _classes(values: list[float]) -> set[int]:
    return {bisect.bisect_right(symbology.CHOROPLETH_BREAKS_KM2, v) for v in values}


def test_a_programme_of_any_size_spreads_over_the_classes() -> None:
    """The classes had ended at 20 km²: at national scale every province was the darkest
    (a walk-through at national scale)."""
    assert len(_classes(DEMO)) >= 4
    assert len(_classes(NATIONAL)) >= 3
    assert len(symbology.CHOROPLETH_COLOURS) == len(symbology.CHOROPLETH_BREAKS_KM2) + 1
    assert list(symbology.CHOROPLETH_BREAKS_KM2) == sorted(set(symbology.CHOROPLETH_BREAKS_KM2))
