"""folium maps for small selections (one hazard, one submission), with vendored Leaflet.

The national map is not built here: it draws vector tiles in the browser (map.js).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import folium
from branca.element import MacroElement
from jinja2 import Template
from shapely.geometry import shape

from map_ui.style import (
    BOUNDARY_COLOUR,
    FINDING_COLOURS,
    METHOD_COLOURS,
    METHOD_LABELS,
    OUTSIDE_COLOUR,
    STATUS_COLOURS,
)

LEAFLET_JS = [("leaflet", "/static/vendor/leaflet/leaflet.js")]
LEAFLET_CSS = [("leaflet_css", "/static/vendor/leaflet/leaflet.css")]


@dataclass(frozen=True)
class MapParts:
    """A folium map split for embedding in a page: head, body and script."""

    header: str
    html: str
    script: str


def _map() -> folium.Map:
    m = folium.Map(tiles=None, control_scale=True, zoom_control=True, prefer_canvas=False)
    # Only the vendored Leaflet: pages load nothing from the network.
    m.default_js = LEAFLET_JS
    m.default_css = LEAFLET_CSS
    return m


class _Legend(MacroElement):
    """A legend control in the map's corner."""

    def __init__(self, items: list[tuple[str, str, str]]) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        rows = "".join(
            f'<div><i style="background:{colour};border-color:{edge}"></i>{label}</div>'
            for label, colour, edge in items
        )
        self._template = Template(
            "{% macro script(this, kwargs) %}"
            "var legend = L.control({position: 'bottomright'});"
            "legend.onAdd = function () { var d = L.DomUtil.create('div', 'legend');"
            f" d.innerHTML = '<strong>Legend</strong>{rows}'; return d; }};"
            "legend.addTo({{ this._parent.get_name() }});"
            "{% endmacro %}"
        )


def _parts(m: folium.Map) -> MapParts:
    root: Any = m.get_root()
    root.render()
    return MapParts(root.header.render(), root.html.render(), root.script.render())


def _fit(m: folium.Map, geometries: list[dict[str, Any]]) -> None:
    xs: list[float] = []
    ys: list[float] = []

    def walk(coords: Any) -> None:
        if coords and isinstance(coords[0], (int, float)):
            xs.append(float(coords[0]))
            ys.append(float(coords[1]))
        else:
            for c in coords:
                walk(c)

    for geometry in geometries:
        walk(geometry["coordinates"])
    if xs:
        # Keep the features clear of the legend in the bottom-right corner.
        m.fit_bounds([[min(ys), min(xs)], [max(ys), max(xs)]], padding_top_left=(30, 30),
                     padding_bottom_right=(240, 30))  # fmt: skip
    else:
        m.fit_bounds([[-50.0, -150.0], [60.0, 150.0]])


def hazard_map(
    boundary: dict[str, Any] | None,
    remaining: dict[str, Any] | None,
    releases: list[dict[str, Any]],
    status: str | None,
    outside: list[dict[str, Any]] | None = None,
) -> MapParts:
    """Boundary in force (outline), released parts by method, remaining ground.

    ``releases`` are the effective parts (what each release took off the remaining area);
    ``outside`` the parts of release polygons outside the hazard, shown but never counted.
    """
    m = _map()
    colour = STATUS_COLOURS.get(status or "", STATUS_COLOURS["SHA"])
    tooltip = ["reference", "method", "released", "area_m2"]
    if releases:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": releases},
            name="Released land",
            style_function=lambda f: {
                "color": METHOD_COLOURS[f["properties"]["method"]], "weight": 1,
                "fillColor": METHOD_COLOURS[f["properties"]["method"]], "fillOpacity": 0.8,
            },
            tooltip=folium.GeoJsonTooltip(tooltip,
                                          aliases=["Release", "Method", "Date", "Released m²"]),
        ).add_to(m)  # fmt: skip
    if outside:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": outside},
            name="Released outside the hazard",
            style_function=lambda _f: {"color": OUTSIDE_COLOUR, "weight": 1, "dashArray": "3 3",
                                       "fillColor": OUTSIDE_COLOUR, "fillOpacity": 0.25},
            tooltip=folium.GeoJsonTooltip(tooltip,
                                          aliases=["Release", "Method", "Date", "Outside m²"]),
        ).add_to(m)  # fmt: skip
    if remaining:
        folium.GeoJson(
            {"type": "Feature", "geometry": remaining, "properties": {}},
            name="Remaining",
            style_function=lambda _f: {"color": colour, "weight": 1, "fillColor": colour,
                                       "fillOpacity": 0.7},
        ).add_to(m)  # fmt: skip
    if boundary:
        folium.GeoJson(
            {"type": "Feature", "geometry": boundary, "properties": {}},
            name="Boundary in force",
            style_function=lambda _f: {"color": "#333333", "weight": 2, "fill": False,
                                       "dashArray": "5 4"},
        ).add_to(m)  # fmt: skip
    folium.LayerControl(collapsed=True).add_to(m)
    items = [(f"Remaining ({status or 'SHA'})", colour, colour)]
    items += [(METHOD_LABELS[k], v, v) for k, v in METHOD_COLOURS.items()]
    if outside:
        items.append(("Released outside the hazard (not counted)", OUTSIDE_COLOUR,
                      OUTSIDE_COLOUR))  # fmt: skip
    items.append(("Boundary in force", "transparent", "#333333"))
    m.add_child(_Legend(items))
    _fit(m, [g for g in [boundary, remaining] if g]
         + [f["geometry"] for f in [*releases, *(outside or [])]])  # fmt: skip
    return _parts(m)


def review_map(features: dict[str, Any], provinces: dict[str, Any] | None = None) -> MapParts:
    """A submission's staged features; those with findings stand out."""
    m = _map()
    if provinces and provinces["features"]:
        folium.GeoJson(
            provinces, name="Provinces",
            style_function=lambda _f: {"color": BOUNDARY_COLOUR, "weight": 1, "fill": False,
                                       "opacity": 0.6},
            tooltip=folium.GeoJsonTooltip(["name"], labels=False),
        ).add_to(m)  # fmt: skip
    if features["features"]:
        folium.GeoJson(
            features,
            name="Staged features",
            style_function=lambda f: {
                "color": FINDING_COLOURS[f["properties"]["finding"]],
                "weight": 3 if f["properties"]["finding"] else 1,
                "fillColor": FINDING_COLOURS[f["properties"]["finding"]], "fillOpacity": 0.35,
            },
            tooltip=folium.GeoJsonTooltip(["row", "reference", "finding"],
                                          aliases=["Feature", "Reference", "Finding"]),
        ).add_to(m)  # fmt: skip
        # Small polygons vanish at the extent of a national file: mark each with a dot too.
        for feature in features["features"]:
            point = shape(feature["geometry"]).representative_point()
            props = feature["properties"]
            colour = FINDING_COLOURS[props["finding"]]
            folium.CircleMarker(
                [point.y, point.x], radius=6 if props["finding"] else 4, color=colour,
                fill=True, fill_color=colour, fill_opacity=0.9, weight=1,
                tooltip=f"feature {props['row']} {props['reference']}",
            ).add_to(m)  # fmt: skip
    m.add_child(_Legend([
        ("Feature with an error", FINDING_COLOURS["error"], FINDING_COLOURS["error"]),
        ("Feature with a warning", FINDING_COLOURS["warning"], FINDING_COLOURS["warning"]),
        ("Feature without findings", FINDING_COLOURS[""], FINDING_COLOURS[""]),
        ("Province boundary", "transparent", BOUNDARY_COLOUR),
    ]))  # fmt: skip
    _fit(m, [f["geometry"] for f in features["features"]]
         or [f["geometry"] for f in (provinces or {}).get("features", [])])  # fmt: skip
    return _parts(m)
