"""What the small maps of a page draw, as data: layers of GeoJSON with their styles.

A page writes the spec into its map element as JSON (Jinja's ``tojson``, so nothing in it
can end the attribute or start markup) and ``static/feature-map.js`` draws it with Leaflet,
setting every value shown as text. No script is generated here: values from uploads never
reach JavaScript source. The national map and the review map draw vector tiles instead.
"""

from __future__ import annotations

from typing import Any

import shapely
from shapely.geometry import mapping, shape

from map_ui.style import (
    METHOD_COLOURS,
    METHOD_LABELS,
    OUTSIDE_COLOUR,
    STATUS_COLOURS,
    STATUS_DASHES,
    STATUS_EDGES,
)

# A page's map carries at most this many vertices; beyond it the shapes are simplified for
# display (the figures are always computed from the exact shapes).
MAX_VERTICES = 20_000
_DECIMALS = 7  # ~1 cm: finer than any survey, and a third of the JSON of full precision


def _light(geometries: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], bool]:
    """The geometries rounded to ~1 cm, simplified until they fit ``MAX_VERTICES``."""
    if not geometries:
        return [], False
    shapes = [shape(g) for g in geometries]
    simplified = False
    tolerance = 1e-6  # degrees, ~10 cm
    while int(shapely.get_num_coordinates(shapes).sum()) > MAX_VERTICES and tolerance < 1:
        shapes = [s.simplify(tolerance, preserve_topology=True) for s in shapes]
        tolerance *= 4
        simplified = True
    rounded = shapely.set_precision(shapes, 10**-_DECIMALS, mode="pointwise")
    return [mapping(s) for s in rounded], simplified


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def _single(geometry: dict[str, Any]) -> dict[str, Any]:
    return _collection([{"type": "Feature", "geometry": geometry, "properties": {}}])


def hazard_map(
    boundary: dict[str, Any] | None,
    remaining: dict[str, Any] | None,
    releases: list[dict[str, Any]],
    status: str | None,
    outside: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Boundary in force (outline), released parts by method, remaining ground.

    ``releases`` are the effective parts (what each release took off the remaining area);
    ``outside`` the parts of release polygons outside the hazard, shown but never counted.
    """
    outside = outside or []
    colour = STATUS_COLOURS.get(status or "", STATUS_COLOURS["SHA"])
    edge = STATUS_EDGES.get(status or "", STATUS_EDGES["SHA"])  # 3:1 against the basemap
    # dashed for a suspected area, as on the national map; the boundary in force dotted, so
    # that a confirmed hazard's page shows no dashed edge (helper-98)
    dash = STATUS_DASHES.get(status or "", STATUS_DASHES["SHA"]) or None
    singles = [g for g in (remaining, boundary) if g]
    geometries, simplified = _light([f["geometry"] for f in [*releases, *outside]] + singles)
    it = iter(geometries)
    released = [{**f, "geometry": next(it)} for f in releases]
    beyond = [{**f, "geometry": next(it)} for f in outside]
    remaining_light = next(it) if remaining else None
    boundary_light = next(it) if boundary else None
    tooltip = [["Release", "reference"], ["Method", "method"], ["Date", "released"]]
    layers: list[dict[str, Any]] = []
    if released:
        layers.append(
            {
                "name": "Released land",
                "data": _collection(released),
                "style": {"weight": 1, "fillOpacity": 0.8},
                "colour_by": "method",
                "colours": METHOD_COLOURS,
                "tooltip": [*tooltip, ["Released", "area_m2", "m2"]],
            }
        )
    if beyond:
        layers.append(
            {
                "name": "Released outside the hazard",
                "data": _collection(beyond),
                "style": {
                    "color": OUTSIDE_COLOUR,
                    "weight": 1,
                    "dashArray": "3 3",
                    "fillColor": OUTSIDE_COLOUR,
                    "fillOpacity": 0.25,
                },
                "tooltip": [*tooltip, ["Outside", "area_m2", "m2"]],
            }
        )
    if remaining_light:
        layers.append(
            {
                "name": "Remaining",
                "data": _single(remaining_light),
                "style": {
                    "color": edge,
                    "weight": 1.5,
                    "dashArray": dash,
                    "fillColor": colour,
                    "fillOpacity": 0.7,
                },
            }
        )
    if boundary_light:
        layers.append(
            {
                "name": "Boundary in force",
                "data": _single(boundary_light),
                "style": {
                    "color": "#333333",
                    "weight": 2.5,
                    "fill": False,
                    "dashArray": "1 5",
                    "lineCap": "round",
                },
            }
        )
    # what the map draws: a withdrawn hazard, or one released whole, has no remaining
    # ground, and its legend had still said "Remaining (CHA)" (a first-time user's review)
    legend: list[list[Any]] = (
        [
            [
                colour,
                f"Remaining ({status or 'SHA'}{', dashed edge' if dash else ''})",
                edge,
                False,
                bool(dash),
            ]
        ]
        if remaining_light
        else []
    )
    legend += [[c, METHOD_LABELS[k]] for k, c in METHOD_COLOURS.items()]
    if beyond:
        legend.append([OUTSIDE_COLOUR, "Released outside the hazard (not counted)"])
    legend.append(["transparent", "Boundary in force (dotted)", "#333333"])
    return {"layers": layers, "legend": legend, "simplified": simplified}
