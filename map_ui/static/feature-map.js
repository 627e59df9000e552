// A small map of a few features drawn from GeoJSON the page carries (a hazard's boundary,
// remaining ground and releases). The page writes the layers as JSON into the map
// element's data-layers attribute; this script draws them. Each layer names its style, the
// property that picks a colour, and the properties shown when a feature is pointed at.
(function () {
  "use strict";
  const { el, table, m2, legend, data } = window.imsMap;

  function format(value, kind) {
    return kind === "m2" ? `${m2(value)} m²` : value;
  }

  function draw(box) {
    const spec = data(box, "layers");
    const map = L.map(box, { minZoom: 2, maxZoom: 19 });
    const drawn = L.featureGroup().addTo(map);
    const overlays = {};
    for (const layer of spec.layers) {
      const geojson = L.geoJSON(layer.data, {
        style: (feature) => {
          const style = Object.assign({}, layer.style);
          if (layer.colour_by) {
            const colour = layer.colours[feature.properties[layer.colour_by]];
            style.color = colour;
            style.fillColor = colour;
          }
          return style;
        },
        onEachFeature: (feature, shape) => {
          if (!layer.tooltip) return;
          const rows = layer.tooltip.map(([label, key, kind]) =>
            [label, format(feature.properties[key], kind)]);
          shape.bindTooltip(() => table(rows), { sticky: true });
        },
      });
      geojson.addTo(drawn);
      overlays[layer.name] = geojson;
    }
    L.control.layers(null, overlays, { collapsed: true }).addTo(map);
    L.control.scale({ imperial: false }).addTo(map);
    const key = legend(map, [{ items: spec.legend }]).getContainer();
    const extent = drawn.getBounds();
    if (extent.isValid()) {
      // The open legend takes the bottom-right corner: the shapes are fitted beside it or
      // above it, whichever shows them larger, never under it.
      const w = key.open ? key.offsetWidth + 12 : 0;
      const h = key.open ? key.offsetHeight + 12 : 0;
      const beside = map.getBoundsZoom(extent, false, L.point(48 + w, 48));
      const above = map.getBoundsZoom(extent, false, L.point(48, 48 + h));
      const corner = beside >= above ? [24 + w, 24] : [24, 24 + h];
      map.fitBounds(extent, { paddingTopLeft: [24, 24], paddingBottomRight: corner, maxZoom: 18 });
    } else map.setView([0, 0], 2);
    box.dataset.drawn = "true"; // for tests: every layer is on the map
    if (spec.simplified) {
      box.after(el("p", { className: "muted small" },
        "The map shows the shapes simplified to keep the page light; figures use the exact shapes."));
    }
  }

  document.querySelectorAll("[data-feature-map]").forEach(draw);
})();
