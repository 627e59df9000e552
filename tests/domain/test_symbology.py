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


# Remaining km² per district of the demo on one day (every tenth of its 150 districts).
DEMO_DISTRICTS = [0.0, 0.0, 0.02, 0.04, 0.07, 0.11, 0.14, 0.22, 0.29, 0.38, 0.47, 0.62,
                  0.77, 0.91, 1.75, 2.15, 2.8, 3.78, 4.7, 7.95]  # fmt: skip


def test_the_districts_classes_spread_a_demos_districts_as_the_provinces_do_theirs() -> None:
    """In the provinces' classes the demo's districts were nearly all the palest, and the
    Article 7 PDF's district map one colour (helper-97)."""
    in_province_classes = {
        bisect.bisect_right(symbology.CHOROPLETH_BREAKS_KM2, v) for v in DEMO_DISTRICTS
    }
    in_district_classes = {
        bisect.bisect_right(symbology.DISTRICT_BREAKS_KM2, v) for v in DEMO_DISTRICTS
    }
    assert sum(v < symbology.CHOROPLETH_BREAKS_KM2[0] for v in DEMO_DISTRICTS) >= 14  # palest
    assert len(in_province_classes) <= 3
    assert len(in_district_classes) >= 4
    assert len(symbology.CHOROPLETH_COLOURS) == len(symbology.DISTRICT_BREAKS_KM2) + 1
    assert list(symbology.DISTRICT_BREAKS_KM2) == sorted(set(symbology.DISTRICT_BREAKS_KM2))
