// What every map of ims shares: popups and legends built from DOM nodes (values are set as
// text, never parsed as HTML), number formats, vector-tile layers that can be clicked at
// any zoom, and a legend that folds away on small screens.
(function () {
  "use strict";

  // An element with attributes and children; strings become text nodes, never markup.
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "style") Object.assign(node.style, value);
      else if (key in node && key !== "list") node[key] = value;
      else node.setAttribute(key, value);
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  // A two-column table of [label, value] or [label, value, href] rows.
  function table(rows) {
    const body = el("tbody");
    for (const [label, value, href] of rows) {
      const cell = href ? el("a", { href }, value) : value;
      body.append(el("tr", {}, el("th", { scope: "row" }, label), el("td", {}, cell)));
    }
    return el("table", {}, body);
  }

  const km2 = (v) => (Number(v || 0) / 1e6).toLocaleString("en-US",
    { minimumFractionDigits: 3, maximumFractionDigits: 3 });
  const m2 = (v) => Math.round(Number(v || 0)).toLocaleString("en-US");
  // A hazard's page; references may hold "/" (VTE/2021/001), kept as one path segment.
  const hazardHref = (reference) => `/hazards/${encodeURIComponent(reference)}`;

  // A legend control: sections of [colour, label, edge colour?, dot?, dashed edge?] swatches. It folds
  // into its title on screens narrower than 700 px, where it would hide more than
  // ``foldAbove`` of its map's height (a third by default: the review map's eight rows
  // over a 460 px box), and whenever the reader folds it. The national map, where the
  // legend is how the map is read, folds it only above 60 %.
  function legend(map, sections, notes, position, foldAbove) {
    const control = L.control({ position: position || "bottomright" });
    control.onAdd = function () {
      const body = el("div", { className: "legend-body" });
      for (const section of sections) {
        if (section.title) body.append(el("strong", {}, section.title));
        for (const [colour, label, edge, dot, dashed] of section.items) {
          const swatch = el("i", { className: (dot ? "dot" : "") + (dashed ? " dashed" : ""),
                                   style: { background: colour, borderColor: edge || colour } });
          body.append(el("div", {}, swatch, label));
        }
      }
      for (const note of notes || []) body.append(el("div", { className: "muted" }, note));
      const details = el("details", { className: "legend", open: window.innerWidth >= 700 },
        el("summary", {}, "Legend"), body);
      L.DomEvent.disableClickPropagation(details);
      L.DomEvent.disableScrollPropagation(details);
      return details;
    };
    control.addTo(map);
    const details = control.getContainer();
    const share = foldAbove || 1 / 3;
    if (details.open && details.offsetHeight > map.getSize().y * share) details.open = false;
    return control;
  }

  // A layer of vector tiles whose features can be clicked. Leaflet takes the position of a
  // clicked small circle from the circle itself, and VectorGrid's points have none: they
  // are made to report the position of the click instead.
  function tileLayer(url, options, onClick) {
    const grid = L.vectorGrid.protobuf(url, Object.assign({ interactive: true }, options));
    const create = grid._createLayer;
    grid._createLayer = function (feature, pxPerExtent, style) {
      const layer = create.call(this, feature, pxPerExtent, style);
      if (feature.type === 1) layer.getLatLng = null;
      return layer;
    };
    if (onClick) {
      grid.on("click", (e) => {
        const at = e.latlng || grid._map.mouseEventToLatLng(e.originalEvent);
        const content = onClick(e.layer.properties || {}, e);
        if (content) L.popup({ maxWidth: 320 }).setLatLng(at).setContent(content).openOn(grid._map);
      });
    }
    return grid;
  }

  // The value of a data-* attribute holding JSON (written by the server with tojson).
  const data = (node, name) => JSON.parse(node.dataset[name]);

  window.imsMap = { el, table, km2, m2, hazardHref, legend, tileLayer, data };
})();
