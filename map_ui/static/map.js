// The national map: vector tiles from /api/v1/tiles, redrawn for the chosen as-of date.
(function () {
  const el = document.getElementById("map");
  const legend = JSON.parse(el.dataset.legend);
  const bounds = JSON.parse(el.dataset.bounds);
  const asOf = document.getElementById("as-of");
  const map = L.map(el, { preferCanvas: false, minZoom: 4, maxZoom: 18 });
  map.fitBounds(bounds);
  map.createPane("provinces").style.zIndex = 350;
  map.createPane("hazards").style.zIndex = 420;
  map.createPane("released").style.zIndex = 430;

  const km2 = (m2) => (m2 / 1e6).toLocaleString(undefined, { maximumFractionDigits: 3 });
  const m2 = (v) => Math.round(v).toLocaleString();

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
    admin1: (p) => ({
      fill: true, fillColor: rampColour(p.remaining_m2), fillOpacity: 0.55,
      color: legend.boundary, weight: 1, opacity: 0.8,
    }),
    hazards: (p, zoom) => {
      const colour = legend.status[p.status] || legend.status.SHA;
      return zoom < 9
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
  let overlays = {};
  let control = null;

  function build() {
    const visible = Object.keys(overlays).filter((k) => map.hasLayer(overlays[k]));
    Object.values(overlays).forEach((layer) => map.removeLayer(layer));
    overlays = {};
    for (const layer of ["admin1", "releases", "hazards"]) {
      const grid = L.vectorGrid.protobuf(tileUrl(layer), {
        pane: panes[layer], interactive: true, maxNativeZoom: 16,
        vectorTileLayerStyles: { [layer]: styles[layer] },
        getFeatureId: (f) => f.properties.id,
      });
      grid.on("click", (e) => {
        L.popup().setLatLng(e.latlng).setContent(popup(layer, e.layer.properties)).openOn(map);
      });
      overlays[layer] = grid;
      if (!visible.length || visible.includes(layer)) grid.addTo(map);
    }
    if (control) control.remove();
    const named = {};
    for (const key of ["hazards", "releases", "admin1"]) named[names[key]] = overlays[key];
    control = L.control.layers(null, named, { collapsed: false, position: "topright" }).addTo(map);
  }

  const legendControl = L.control({ position: "bottomright" });
  legendControl.onAdd = function () {
    const d = L.DomUtil.create("div", "legend");
    let html = "<strong>Remaining</strong>";
    for (const s of ["CHA", "SHA"]) html += `<div><i style="background:${legend.status[s]}"></i>${legend.status_labels[s]}</div>`;
    html += "<strong>Released</strong>";
    for (const m of ["cancelled", "reduced", "cleared"]) html += `<div><i style="background:${legend.method[m]}"></i>${legend.method_labels[m]}</div>`;
    html += "<strong>Remaining per province (km²)</strong>";
    const b = legend.breaks;
    const labels = [`&lt; ${b[0]}`].concat(b.slice(0, -1).map((v, i) => `${v}–${b[i + 1]}`), [`≥ ${b[b.length - 1]}`]);
    labels.forEach((label, i) => { html += `<div><i style="background:${legend.ramp[i]}"></i>${label}</div>`; });
    html += '<div class="muted">Below zoom 9 hazards are points; releases show from zoom 11.</div>';
    d.innerHTML = html;
    return d;
  };
  legendControl.addTo(map);
  L.control.scale().addTo(map);

  async function updateFigures() {
    const date = asOf.value ? `?as_of=${asOf.value}` : "";
    const response = await fetch(`/map/figures${date}`);
    if (!response.ok) return;
    const f = await response.json();
    const box = document.getElementById("map-figures");
    for (const node of box.querySelectorAll("[data-field]")) {
      const key = node.dataset.field;
      const v = f[key];
      node.textContent = key.endsWith("_m2") ? km2(v) : key === "as_of" ? v : v.toLocaleString();
    }
    box.dataset.asOf = f.as_of;
  }

  asOf.addEventListener("change", () => { build(); updateFigures(); });
  build();
})();
