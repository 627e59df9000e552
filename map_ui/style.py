"""One symbology for every map and chart (land-release convention)."""

from __future__ import annotations

from ims.domain.symbology import (
    BOUNDARY_COLOUR,
    CHOROPLETH_BREAKS_KM2,
    CHOROPLETH_COLOURS,
    FINDING_COLOURS,
    METHOD_COLOURS,
    METHOD_LABELS,
    OUTSIDE_COLOUR,
    STATUS_COLOURS,
    STATUS_DASHES,
    STATUS_EDGES,
    STATUS_LABELS,
)

__all__ = [
    "BOUNDARY_COLOUR",
    "CHOROPLETH_BREAKS_KM2",
    "CHOROPLETH_COLOURS",
    "FINDING_COLOURS",
    "METHOD_COLOURS",
    "METHOD_LABELS",
    "OUTSIDE_COLOUR",
    "STATUS_COLOURS",
    "STATUS_DASHES",
    "STATUS_EDGES",
    "STATUS_LABELS",
    "legend",
]


def legend() -> dict[str, object]:
    """The symbology as data, for templates and scripts."""
    return {
        "status": STATUS_COLOURS,
        "status_labels": STATUS_LABELS,
        "status_edges": STATUS_EDGES,
        "status_dashes": STATUS_DASHES,
        "method": METHOD_COLOURS,
        "method_labels": METHOD_LABELS,
        "breaks": CHOROPLETH_BREAKS_KM2,
        "ramp": CHOROPLETH_COLOURS,
        "boundary": BOUNDARY_COLOUR,
        "finding": FINDING_COLOURS,
    }
