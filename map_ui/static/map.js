// The national map: vector tiles from /api/v1/tiles, redrawn for the chosen as-of date.
(function () {
  const el = document.getElementById("map");
  const legend = JSON.parse(el.dataset.legend);
  const bounds = JSON.parse(el.dataset.bounds);
  // Location privacy: hazards come as counts per grid cell, and released land is not shown.
  const generalised = el.dataset.generalised === "true";
  const cellKm = Number(el.dataset.cellKm || 5);
  const layers = generalised ? ["admin1", "hazards"] : ["admin1", "releases", "hazards"];
  const asOf = document.getElementById("as-of");
  // No fade: a new date's tiles are swapped in only once they have all loaded (build()).
  const map = L.map(el, { preferCanvas: false, minZoom: 4, maxZoom: 18, fadeAnimation: false });
  const view = /^#(\d+)\/(-?[\d.]+)\/(-?[\d.]+)$/.exec(window.location.hash);
  if (view) map.setView([+view[2], +view[3]], +view[1]);
  else map.fitBounds(bounds);
  map.on("moveend", () => {
    const c = map.getCenter();
    window.history.replaceState(null, "", `#${map.getZoom()}/${c.lat.toFixed(5)}/${c.lng.toFixed(5)}`);
  });
  map.createPane("provinces").style.zIndex = 350;
  map.createPane("hazards").style.zIndex = 420;
  map.createPane("released").style.zIndex = 430;

  // The same number format as the pages drawn on the server: 1,234.567 km², 1,234 m².
  const km2 = (v) => (v / 1e6).toLocaleString("en-US", { minimumFractionDigits: 3, maximumFractionDigits: 3 });
  const m2 = (v) => Math.round(v).toLocaleString("en-US");

  function rampColour(areaM2) {
    const k = areaM2 / 1e6;
    let i = 0;
    while (i < legend.breaks.length && k >= legend.breaks[i]) i += 1;
    return legend.ramp[i];
  }

  function tileUrl(layer) {
    const date = asOf.value ? `?as_of=${asOf.value}` : "";
    return `/api/v1/tiles/${layer}/{z}/{x}/{y}.pbf${date}`;
  }

  const styles = {
    // The choropleth fades as one zooms in, so the hazards and releases keep their contrast.
    admin1: (p, zoom) => ({
      fill: true, fillColor: rampColour(p.remaining_m2),
      fillOpacity: zoom < 9 ? 0.55 : zoom < 12 ? 0.3 : 0.15,
      color: legend.boundary, weight: zoom < 9 ? 1 : 2, opacity: 0.8,
    }),
    hazards: (p, zoom) => {
      const colour = legend.status[p.status] || legend.status.SHA;
      return zoom < 9 || generalised
        ? { radius: Math.min(7, 2.5 + Math.log10(1 + (p.hazards || 1))), fill: true,
            fillColor: colour, fillOpacity: 0.85, color: colour, weight: 0.5 }
        : { fill: true, fillColor: colour, fillOpacity: 0.7, color: colour, weight: 1 };
    },
    releases: (p) => {
      const colour = legend.method[p.method] || "#999";
      return { fill: true, fillColor: colour, fillOpacity: 0.8, color: colour, weight: 0.5 };
    },
  };

  function popup(layer, p) {
    if (layer === "hazards" && generalised) {
      return `<table><tr><th>Open hazards in this ${cellKm} km cell</th><td>${p.hazards}</td></tr>
        <tr><th>Status</th><td>${p.status === "CHA" ? "confirmed among them" : "suspected only"}</td></tr>
        <tr><th>Remaining</th><td>${m2(p.remaining_m2)} m²</td></tr></table>`;
    }
    if (layer === "hazards") {
      const many = p.hazards > 1 ? `<tr><th>Hazards here</th><td>${p.hazards} (largest shown)</td></tr>` : "";
      return `<table><tr><th>Hazard</th><td><a href="/hazards/${encodeURIComponent(p.reference)}">${p.reference}</a></td></tr>
        <tr><th>Status</th><td>${p.status}</td></tr>${many}
        <tr><th>Remaining</th><td>${m2(p.remaining_m2)} m²</td></tr>
        <tr><th>Area</th><td>${m2(p.area_m2)} m²</td></tr></table>`;
    }
    if (layer === "releases") {
      return `<table><tr><th>Release</th><td>${p.reference}</td></tr>
        <tr><th>Method</th><td>${legend.method_labels[p.method] || p.method}</td></tr>
        <tr><th>Date</th><td>${p.released}</td></tr>
        <tr><th>Effective area</th><td>${m2(p.area_m2 || 0)} m²</td></tr>
        <tr><th>Hazard</th><td><a href="/hazards/${encodeURIComponent(p.hazard_reference)}">${p.hazard_reference}</a></td></tr></table>`;
    }
    return `<table><tr><th>Province</th><td>${p.name}</td></tr>
      <tr><th>Remaining</th><td>${km2(p.remaining_m2)} km²</td></tr>
      <tr><th>Open hazards</th><td>${p.hazards}</td></tr></table>`;
  }

  const names = { admin1: "Provinces (remaining km²)", hazards: "Remaining hazardous areas",
                  releases: "Released land" };
  const panes = { admin1: "provinces", hazards: "hazards", releases: "released" };
  let overlays = {}; // the layers on the map, by tile layer name
  let incoming = null; // the layers of a newly chosen date, still loading
  let control = null;

  function grid(layer) {
    const g = L.vectorGrid.protobuf(tileUrl(layer), {
      pane: panes[layer], interactive: true, maxNativeZoom: 16,
      vectorTileLayerStyles: { [layer]: styles[layer] },
      getFeatureId: (f) => f.properties.id,
    });
    g.on("click", (e) => {
      L.popup().setLatLng(e.latlng).setContent(popup(layer, e.layer.properties)).openOn(map);
    });
    return g;
  }

  // Draw the tiles of the chosen date. The old date's layers stay until the new ones have
  // loaded, so the map never goes blank; a date chosen meanwhile replaces the pending one.
  function build() {
    const shown = control ? Object.keys(overlays).filter((k) => map.hasLayer(overlays[k]))
                          : layers;
    if (incoming) Object.values(incoming).forEach((layer) => map.removeLayer(layer));
    const fresh = {};
    const date = asOf.value;
    el.dataset.loading = date;
    let waiting = 0;
    let swapped = false;
    const swap = () => {
      if (swapped || incoming !== fresh) return;
      swapped = true;
      Object.values(overlays).forEach((layer) => map.removeLayer(layer));
      overlays = fresh;
      incoming = null;
      if (control) control.remove();
      const named = {};
      for (const key of [...layers].reverse()) named[names[key]] = overlays[key];
      control = L.control.layers(null, named, { collapsed: false, position: "topright" }).addTo(map);
      delete el.dataset.loading;
      el.dataset.shown = date; // for people and tests: the date the map now shows
    };
    incoming = fresh;
    for (const layer of layers) {
      fresh[layer] = grid(layer);
      if (shown.includes(layer)) {
        waiting += 1;
        fresh[layer].once("load", () => { waiting -= 1; if (waiting === 0) swap(); });
        fresh[layer].addTo(map);
      }
    }
    if (waiting === 0) swap();
    setTimeout(swap, 15000); // a tile that never answers must not freeze the date
  }

  const legendControl = L.control({ position: "bottomright" });
  legendControl.onAdd = function () {
    const d = L.DomUtil.create("div", "legend");
    let html = "<strong>Remaining</strong>";
    for (const s of ["CHA", "SHA"]) html += `<div><i style="background:${legend.status[s]}"></i>${legend.status_labels[s]}</div>`;
    if (!generalised) {
      html += "<strong>Released</strong>";
      for (const m of ["cancelled", "reduced", "cleared"]) html += `<div><i style="background:${legend.method[m]}"></i>${legend.method_labels[m]}</div>`;
    }
    html += "<strong>Remaining per province (km²)</strong>";
    const b = legend.breaks;
    const labels = [`&lt; ${b[0]}`].concat(b.slice(0, -1).map((v, i) => `${v}–${b[i + 1]}`), [`≥ ${b[b.length - 1]}`]);
    labels.forEach((label, i) => { html += `<div><i style="background:${legend.ramp[i]}"></i>${label}</div>`; });
    html += generalised
      ? `<div class="muted">Locations are generalised: open hazards counted per ${cellKm} km cell.</div>`
      : '<div class="muted">Below zoom 9 hazards are points; releases show from zoom 11.</div>';
    d.innerHTML = html;
    return d;
  };
  legendControl.addTo(map);
  L.control.scale().addTo(map);

  async function updateFigures() {
    const date = asOf.value;
    const box = document.getElementById("map-figures");
    const response = await fetch(`/map/figures${date ? `?as_of=${date}` : ""}`);
    if (asOf.value !== date) return; // another date was chosen meanwhile
    if (!response.ok) {
      box.dataset.error = `the figures for ${date} could not be read (${response.status})`;
      return;
    }
    const f = await response.json();
    for (const node of box.querySelectorAll("[data-field]")) {
      const key = node.dataset.field;
      const v = f[key];
      node.textContent = key.endsWith("_m2") ? km2(v) : key === "as_of" ? v : v.toLocaleString("en-US");
    }
    delete box.dataset.error;
    box.dataset.asOf = f.as_of;
  }

  asOf.addEventListener("change", () => { build(); updateFigures(); });
  build();
})();
