// The map of the record and correction forms (/hazards/new, /hazards/{id}/revise,
// /hazards/{id}/releases/new): draw or edit one polygon with Leaflet-Geoman (mouse or
// touch) and keep it, as GeoJSON, in the form's hidden "geometry" field. The page writes
// the map's settings as JSON into data-config: the polygon to edit, the hazard shown for
// reference, and where to ask what a release would count. The form works without this
// script too: the polygon can be pasted or taken from a file.
(function () {
  "use strict";
  const { el, m2, data, legend } = window.imsMap;
  const box = document.querySelector("[data-record-map]");
  if (!box) return;
  const config = data(box, "config");
  const form = document.getElementById("record-form");
  const hidden = document.getElementById("f-geometry");
  const note = document.getElementById("drawn-area");
  const preview = document.getElementById("preview");
  const csrf = document.querySelector('meta[name="csrf-token"]');

  const map = L.map(box, { minZoom: 2, maxZoom: 20 });
  // bottom right: on a phone the drawing tools, on the left, reach down to the bottom
  L.control.scale({ position: "bottomright", imperial: false }).addTo(map);
  legend(map, [
    { title: "This form", items: [
      ["transparent", "The polygon drawn", "#54278f"],
      ...(config.reference && !config.context ? [["transparent", "Boundary in force (dashed)", "#555"]] : []),
    ] },
    ...(config.context_legend ? [{ title: "This hazard", items: config.context_legend }] : []),
    { title: "Recorded", items: [
      ["#d7191c", "Confirmed hazardous area"],
      ["#fdae61", "Suspected hazardous area"],
      ["#f4f1ea", "Province", "#8c8c8c"],
    ] },
  ], [], "topright");
  // Where one is: the provinces and the hazards recorded, drawn from ims's own tiles (the
  // pages load nothing from the internet, so there is no street map under them).
  if (L.vectorGrid) {
    const context = (layer, style) => L.vectorGrid.protobuf(`/api/v1/tiles/${layer}/{z}/{x}/{y}.pbf`, {
      maxNativeZoom: 16, interactive: false, pmIgnore: true, vectorTileLayerStyles: { [layer]: style },
      bounds: config.bounds ? L.latLngBounds(config.bounds).pad(0.1) : undefined,
    }).addTo(map);
    context("admin1", { fill: true, fillColor: "#f4f1ea", fillOpacity: 1, color: "#8c8c8c", weight: 1 });
    context("hazards", (p) => ({
      fill: true, fillOpacity: 0.35, weight: 1, radius: 3,
      color: p.status === "CHA" ? "#d7191c" : "#e08214", fillColor: p.status === "CHA" ? "#d7191c" : "#fdae61",
    }));
  }
  // Paths are added once the map has a view (Leaflet cannot place them before).
  const shown = L.featureGroup();
  for (const layer of config.context || []) {
    L.geoJSON(layer.data, { style: layer.style, interactive: false, pmIgnore: true }).addTo(shown);
  }
  const outline = L.geoJSON(null, {
    style: { color: "#555", weight: 2, dashArray: "4 4", fill: false },
    interactive: false,
    pmIgnore: true,
  });
  if (!config.context && config.reference) outline.addData(config.reference).addTo(shown);
  const loaded = config.edit ? L.geoJSON(config.edit) : null;
  const extent = L.featureGroup([shown, ...(loaded ? [loaded] : [])]).getBounds();
  if (extent.isValid()) map.fitBounds(extent, { padding: [24, 24], maxZoom: 17 });
  else if (config.bounds) map.fitBounds(config.bounds);
  else map.setView([0, 0], 2);
  shown.addTo(map);

  let current = null; // the one polygon of the form
  let asked = 0; // questions asked of the server about the release's area (askPreview)
  const geometry = () => (current ? current.toGeoJSON(false).geometry : null);

  function changed() {
    const value = geometry();
    hidden.value = value ? JSON.stringify(value) : "";
    box.dataset.drawn = value ? "true" : "false"; // for tests and for the reader below
    note.textContent = value ? "Polygon drawn: it is sent with the form." : "";
    askPreview();
  }

  function keep(layer) {
    if (current && current !== layer) map.removeLayer(current);
    current = layer;
    layer.setStyle({ color: "#54278f", weight: 3 });
    layer.on("pm:edit pm:dragend pm:rotateend", changed);
  }

  if (loaded) {
    loaded.eachLayer((layer) => {
      layer.addTo(map);
      keep(layer);
    });
    // A boundary loaded for editing is sent only once it is changed (or when it is the
    // polygon already sent with a form shown again).
    if (hidden.value) changed();
  }

  map.pm.addControls({
    position: "topleft",
    drawMarker: false,
    drawCircleMarker: false,
    drawPolyline: false,
    drawCircle: false,
    drawText: false,
    cutPolygon: false,
    rotateMode: false,
    drawRectangle: true,
    drawPolygon: true,
    editMode: true,
    dragMode: true,
    removalMode: true,
  });
  map.pm.setGlobalOptions({ snappable: true, allowSelfIntersection: false });
  // Corners, not vertices, and a finger as well as a mouse: the words a field team leader
  // reads while drawing (a first-time user's review, helper-97)
  map.pm.setLang("ims", {
    tooltips: {
      firstVertex: "Tap or click to place the first corner",
      continueLine: "Tap or click to place the next corner",
      finishPoly: "Tap the first corner, or Finish, to close the polygon",
      startRectangle: "Tap or click to place a corner",
      finishRect: "Tap or click to place the opposite corner",
    },
    actions: { finish: "Finish", cancel: "Cancel", removeLastVertex: "Undo last corner" },
  }, "en");
  // Where am I: a team leader on the ground starts from their position, with no street
  // map to find it by (the pages load nothing from the internet). Browsers tell it only
  // to pages served over HTTPS (or from this machine).
  if (navigator.geolocation) {
    const here = L.control({ position: "topleft" });
    here.onAdd = () => {
      const button = el("button", { type: "button", className: "locate",
                                    title: "Go to my position", textContent: "My position" });
      button.setAttribute("aria-label", "Go to my position");
      L.DomEvent.disableClickPropagation(button);
      button.addEventListener("click", () => {
        note.textContent = "Finding your position…";
        map.locate({ setView: true, maxZoom: 17, enableHighAccuracy: true, timeout: 20000 });
      });
      return button;
    };
    here.addTo(map);
    let circle = null;
    map.on("locationfound", (e) => {
      if (circle) circle.remove();
      circle = L.circle(e.latlng, { radius: e.accuracy, color: "#1d70b8", weight: 1,
                                    fillOpacity: 0.1, interactive: false, pmIgnore: true }).addTo(map);
      note.textContent = `The map shows your position, to about ${Math.round(e.accuracy)} m.`;
    });
    map.on("locationerror", (e) => {
      note.textContent = `Your position could not be found (${e.message}). A browser tells it only ` +
        "to a page served over HTTPS, and only if you allow it.";
    });
  }
  map.on("pm:create", (e) => {
    keep(e.layer);
    changed();
  });
  map.on("pm:remove", (e) => {
    if (e.layer === current) {
      current = null;
      changed();
    }
  });
  // Geoman's buttons are links without names: give them names a screen reader can say.
  box.querySelectorAll(".leaflet-pm-toolbar .button-container").forEach((button) => {
    const name = button.getAttribute("title");
    const link = button.querySelector("a");
    if (name && link) {
      link.setAttribute("role", "button");
      link.setAttribute("aria-label", name);
      link.setAttribute("tabindex", "0");
      link.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          link.click();
        }
      });
    }
  });

  // What a release would count, asked of the server as the polygon or its date changes
  // (the count of questions is declared at the top: a form shown again with its polygon
  // asks while the map is set up).
  function askPreview() {
    if (!config.preview_url || !preview) return;
    const value = geometry();
    const released = form.elements.released ? form.elements.released.value : "";
    if (!value || !released) return;
    const ask = ++asked;
    fetch(config.preview_url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRF-Token": csrf ? csrf.content : "",
      },
      body: JSON.stringify({
        geometry: value,
        released: released,
        method: form.elements.method ? form.elements.method.value : "cleared",
      }),
    })
      .then((r) => r.json().then((body) => ({ ok: r.ok, body })))
      .then(({ ok, body }) => {
        if (ask !== asked) return; // a newer question is on its way
        preview.replaceChildren(ok
          ? el("p", {},
              el("strong", {}, "It would count ",
                el("span", { id: "counted-m2", "data-m2": String(body.counted_m2) }, m2(body.counted_m2)),
                " m²"),
              ` of the ${m2(body.polygon_m2)} m² drawn; ${m2(body.outside_m2)} m² lie outside the hazard. ` +
              `Remaining then: ${m2(body.remaining_before_m2)} m² → ${m2(body.remaining_after_m2)} m².`)
          : el("p", { className: "field-error" }, body.detail || "The area could not be worked out."));
      })
      .catch(() => {});
  }
  // A file larger than a form may carry is refused here, beside its field: sent, the
  // server could only refuse the whole request, and what was typed would be lost.
  const file = form.elements.geometry_file;
  const fileError = document.getElementById("geometry_file-error");
  if (file && fileError) {
    file.addEventListener("change", () => {
      const max = Number(file.dataset.maxBytes);
      const chosen = file.files && file.files[0];
      const message = chosen && max && chosen.size > max
        ? `${chosen.name} is over the ${(max / 1e6).toFixed(1)} MB a form takes: simplify the ` +
          "polygon (fewer corners), or send the file from the upload page"
        : "";
      file.setCustomValidity(message);
      file.setAttribute("aria-invalid", message ? "true" : "false");
      fileError.textContent = message;
      fileError.hidden = !message;
    });
  }
  // Pasted coordinates are read by the server as the form reads them once sent, and drawn
  // on the map as they are pasted (dashed: they go before the drawing, which they do not
  // replace), with their area or what is wrong with them. They had been seen only once
  // the form was sent (a walk-through).
  const pastedBox = form.elements.coordinates;
  const pastedNote = document.getElementById("pasted-area");
  const pastedLayer = L.geoJSON(null, {
    style: { color: "#54278f", weight: 3, dashArray: "6 4", fillOpacity: 0.15 },
    interactive: false,
    pmIgnore: true,
  }).addTo(map);
  let pasteAsked = 0;
  let pasteTimer = null;
  // a form shown again with the server's error on the polygon: the same error is not said
  // a second time under the box (a first-time user's review), until the text is changed
  let saidAbove = Boolean(document.getElementById("geometry-error"));
  function readPasted() {
    const text = pastedBox.value.trim();
    const ask = ++pasteAsked;
    pastedLayer.clearLayers();
    if (!text) {
      pastedNote.textContent = "";
      box.dataset.pasted = "";
      return;
    }
    fetch("/api/v1/polygons/read", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf ? csrf.content : "" },
      body: JSON.stringify({ text }),
    })
      .then((r) => r.json().then((body) => ({ ok: r.ok, body })))
      .then(({ ok, body }) => {
        if (ask !== pasteAsked) return; // a newer paste is on its way
        if (!ok) {
          pastedNote.className = "field-error";
          pastedNote.textContent = saidAbove ? "" : body.detail || "These coordinates could not be read.";
          box.dataset.pasted = "error";
          return;
        }
        pastedLayer.addData(body.geometry);
        map.fitBounds(pastedLayer.getBounds(), { padding: [24, 24], maxZoom: 17 });
        pastedNote.className = "muted small";
        pastedNote.textContent = `The coordinates pasted: a polygon of ${m2(body.area_m2)} m², ` +
          "dashed on the map. They are sent with the form, before any drawing.";
        box.dataset.pasted = "drawn"; // for the browser tests
      })
      .catch(() => {});
  }
  if (pastedBox && pastedNote) {
    pastedBox.addEventListener("input", () => {
      saidAbove = false;
      clearTimeout(pasteTimer);
      pasteTimer = setTimeout(readPasted, 400);
    });
    if (pastedBox.value.trim()) readPasted(); // a form shown again with what was pasted
  }

  // A revision without a polygon of its own keeps the boundary in force on its date, not
  // today's: while the polygon is not changed, the editor and the dashed outline show the
  // boundary of the date given (a revision dated before a later boundary had been drawn
  // from today's, and a walk-through moved a hazard's 2024 boundary back to 2022), and the
  // status shown is the one in force then, until another is chosen.
  const revised = form.elements.revised;
  const dated = document.getElementById("boundary-date");
  const status = form.elements.status;
  let statusChosen = false; // the status follows the date too, until one is chosen
  if (status) status.addEventListener("change", () => { statusChosen = true; });
  let boundaryAsked = 0;
  function boundaryOn() {
    const day = revised.value;
    if (!config.boundary_url || !day || hidden.value) return;
    const ask = ++boundaryAsked;
    fetch(`${config.boundary_url}?as_of=${encodeURIComponent(day)}`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then((r) => (r.ok ? r.json() : null))
      .then((body) => {
        if (ask !== boundaryAsked || hidden.value || !body || !body.boundary) return;
        if (current) map.removeLayer(current);
        current = null;
        L.geoJSON(body.boundary).eachLayer((layer) => {
          layer.addTo(map);
          keep(layer);
        });
        outline.clearLayers().addData(body.boundary);
        if (status && !statusChosen && body.status) status.value = body.status;
        if (dated) dated.textContent = `on ${day}`;
        box.dataset.boundaryOn = day; // for the browser tests
      })
      .catch(() => {});
  }
  if (revised && config.boundary_url) revised.addEventListener("change", boundaryOn);
  if (form.elements.released) form.elements.released.addEventListener("change", askPreview);
  if (form.elements.method) form.elements.method.addEventListener("change", askPreview);
  box.leafletMap = map; // for the browser tests, which move the map before drawing
  box.dataset.ready = "true";
})();

// More rows of (type, quantity) than the form was drawn with: a release may destroy items
// of more types than it shows at first.
(function () {
  for (const button of document.querySelectorAll("[data-add-row]")) {
    button.hidden = false;
    button.addEventListener("click", () => {
      const rows = button.parentElement.querySelectorAll(".qty-row");
      const last = rows[rows.length - 1];
      const next = last.cloneNode(true);
      const n = rows.length; // the new row's index (0-based)
      for (const node of next.querySelectorAll("[id], [for]")) {
        for (const attr of ["id", "for"]) {
          const value = node.getAttribute(attr);
          if (value) node.setAttribute(attr, value.replace(/-\d+$/, `-${n}`));
        }
      }
      for (const label of next.querySelectorAll("label")) {
        label.textContent = label.textContent.replace(/\d+$/, String(n + 1));
      }
      for (const field of next.querySelectorAll("select, input")) field.value = "";
      last.after(next);
      next.querySelector("select").focus();
    });
  }
})();
