// Draws ims's vector tiles the way another MapLibre-based tool would: from the published
// style alone (the page's query, e.g. ?as_of=2020-12-31, is passed on to it). The map says
// when it has drawn everything (data-idle) and what it drew (data-rendered), for tests.
import { Map, NavigationControl, ScaleControl } from "./vendor/maplibre-gl/maplibre-gl.mjs";

const box = document.getElementById("map");
const hash = /^#(\d+(?:\.\d+)?)\/(-?[\d.]+)\/(-?[\d.]+)$/.exec(window.location.hash);
const options = { container: box, style: box.dataset.style + window.location.search,
                  attributionControl: { compact: true } };
if (hash) {
  options.zoom = Number(hash[1]);
  options.center = [Number(hash[3]), Number(hash[2])];
}
const map = new Map(options);
map.addControl(new NavigationControl());
map.addControl(new ScaleControl());
map.on("error", (event) => {
  box.dataset.error = String(event.error && event.error.message);
  console.error("map error", event.error);
});
map.on("idle", () => {
  const counts = {};
  for (const feature of map.queryRenderedFeatures()) {
    counts[feature.layer.id] = (counts[feature.layer.id] || 0) + 1;
  }
  box.dataset.rendered = JSON.stringify(counts);
  box.dataset.idle = "true";
});
map.on("movestart", () => { delete box.dataset.idle; });
