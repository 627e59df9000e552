// The review map of a submission: its staged features from vector tiles (coloured by their
// worst finding), beside the hazards already recorded and the province boundaries.
(function () {
  "use strict";
  const { table, hazardHref, m2, legend, tileLayer, data } = window.imsMap;
  const box = document.getElementById("review-map");
  if (!box) return;
  const config = data(box, "config");
  const colours = config.legend.finding;
  const RING = "#1a1a1a";
  // down to the whole world: a file with one feature in Europe and the rest in Laos had
  // been held at zoom 3, which at 390 px showed the middle between them, and neither
  const map = L.map(box, { minZoom: 1, maxZoom: 19 });
  map.createPane("provinces").style.zIndex = 350;
  map.createPane("recorded").style.zIndex = 400;
  map.createPane("submitted").style.zIndex = 450;

  const provinces = tileLayer("/api/v1/tiles/admin1/{z}/{x}/{y}.pbf", {
    pane: "provinces", interactive: false,
    vectorTileLayerStyles: { admin1: () => ({ fill: false, color: config.legend.boundary,
                                               weight: 1, opacity: 0.6 }) },
  });
  const recorded = tileLayer("/api/v1/tiles/hazards/{z}/{x}/{y}.pbf", {
    pane: "recorded", maxNativeZoom: 16,
    vectorTileLayerStyles: { hazards: (p, zoom) => {
      const colour = config.legend.status[p.status] || config.legend.status.SHA;
      return zoom < 9 ? { radius: 3, fill: true, fillColor: colour, fillOpacity: 0.5, color: colour, weight: 0.5 }
                      : { fill: true, fillColor: colour, fillOpacity: 0.25, color: colour, weight: 1, dashArray: "4 3" };
    } },
  }, (p) => table([["Recorded hazard", p.reference, hazardHref(p.reference)], ["Status", p.status],
                   ["Remaining", `${m2(p.remaining_m2)} m²`]]));
  const submitted = tileLayer(`/api/v1/tiles/submissions/${config.submission}/{z}/{x}/{y}.pbf`, {
    pane: "submitted", maxNativeZoom: 18,
    vectorTileLayerStyles: { features: (p, zoom) => {
      const colour = colours[p.finding || ""];
      const weight = p.finding ? 3 : 1;
      // a dark ring sets them apart from the recorded hazards' dots, whose reds and oranges
      // are near the findings' (a review as a new user could not pick them out)
      return zoom < 9 ? { radius: p.finding ? 6 : 5, fill: true, fillColor: colour, fillOpacity: 0.95, color: RING, weight: 1.5 }
                      : { fill: true, fillColor: colour, fillOpacity: 0.35, color: colour, weight };
    } },
  }, (p) => {
    const rows = [["Feature", p.row], ["Reference", p.reference], ["Finding", p.finding || "none"]];
    if (p.features > 1) rows.push(["Features here", p.features]);
    return table(rows);
  });
  provinces.addTo(map);
  recorded.addTo(map);
  submitted.addTo(map);
  submitted.once("load", () => { box.dataset.drawn = "true"; });
  L.control.layers(null, { "Submitted features": submitted, "Hazards already recorded": recorded,
                           Provinces: provinces }, { collapsed: window.innerWidth < 700 }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
  legend(map, [
    { title: "Submitted", items: [[colours.error, "Feature with an error", RING],
                                  [colours.warning, "Feature with a warning", RING],
                                  [colours[""], "Feature without findings", RING]] },
    { title: "Recorded", items: [[config.legend.status.CHA, "Confirmed hazardous area"],
                                 [config.legend.status.SHA, "Suspected hazardous area"],
                                 ["transparent", "Province boundary", config.legend.boundary]] },
  ], ["Below zoom 9 features are points,", "merged where they touch;", "submitted ones have a dark ring."]);

  // The features are fitted once the controls are on the map, clear of them: beside the
  // right-hand column (the layers above, the legend below) or between them, whichever
  // shows them larger. Fitted under the open layers list, a feature far from the others
  // lay hidden under it (a review as a new user).
  if (!config.bounds) {
    map.setView([0, 0], 3);
    return;
  }
  const bounds = L.latLngBounds(config.bounds);
  const [top, bottom] = [".leaflet-top.leaflet-right", ".leaflet-bottom.leaflet-right"]
    .map((corner) => box.querySelector(corner));
  const wide = Math.max(top.offsetWidth, bottom.offsetWidth) + 12;
  const [high, low] = [top.offsetHeight + 12, bottom.offsetHeight + 12];
  const beside = map.getBoundsZoom(bounds, false, L.point(40 + wide, 40));
  const between = map.getBoundsZoom(bounds, false, L.point(40, 40 + high + low));
  const clear = beside >= between
    ? { paddingTopLeft: [20, 20], paddingBottomRight: [20 + wide, 20] }
    : { paddingTopLeft: [20, 20 + high], paddingBottomRight: [20, 20 + low] };
  map.fitBounds(bounds, { ...clear, maxZoom: 16 });
})();
