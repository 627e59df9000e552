// The national map: vector tiles from /api/v1/tiles, redrawn for the chosen as-of date.
// The view and the date are kept in the address (/map?as_of=2019-12-31#9/19.5/103.2), so a
// map can be bookmarked and shared.
(function () {
  "use strict";
  const { table, km2, m2, hazardHref, legend: addLegend, tileLayer, data } = window.imsMap;
  const box = document.getElementById("map");
  const legend = data(box, "legend");
  const bounds = data(box, "bounds");
  // Location privacy: hazards come as counts per grid cell, and released land is not shown.
  const generalised = box.dataset.generalised === "true";
  const cellKm = Number(box.dataset.cellKm || 5);
  const layers = generalised ? ["admin1", "hazards"] : ["admin1", "releases", "hazards"];
  const asOf = document.getElementById("as-of");
  // a date typed is followed once the keys have rested this long: its first digit had sent
  // the map to a date no one chose, where it stayed (a GIS user's review, helper-110)
  const TYPING_REST_MS = 700;
  const contam = document.getElementById("contam");
  // a kind in words, as its choice says it ("CMR" alone had been shown)
  const label = (code) => [...contam.options].find((o) => o.value === code)?.dataset.label || code;

  // The query both the tiles and the figures take: the date the map shows and the kind of
  // contamination. Not the date in the field, which may be one being typed: the figures
  // of the date shown had been thrown away as a digit typed changed the field, and the box
  // kept another date's figures beside the tiles (helper-110).
  let shown = asOf.value; // the date the map shows (the field may hold another, typed)
  function params(withToday) {
    const query = new URLSearchParams();
    if (shown && (withToday || shown !== asOf.max)) query.set("as_of", shown);
    if (contam.value) query.set("contam", contam.value);
    const text = query.toString();
    return text ? `?${text}` : "";
  }
  // No fade: a new date's tiles are swapped in only once they have all loaded (build()).
  // Quarter zooms, so that the country fills the map whatever the window's shape (whole
  // zooms had left Laos at half the height of a wide screen); the buttons step whole ones.
  const map = L.map(box, {
    preferCanvas: false, minZoom: 4, maxZoom: 18, fadeAnimation: false, zoomSnap: 0.25, zoomDelta: 1,
  });
  const VIEW = /^#(\d+(?:\.\d+)?)\/(-?[\d.]+)\/(-?[\d.]+)$/; // #zoom/lat/lng
  const view = VIEW.exec(window.location.hash);
  if (view) map.setView([+view[2], +view[3]], +view[1]);
  else map.fitBounds(bounds);
  // a view pasted into the address bar of the open map (or reached by Back) is gone to: it
  // had changed the address and left the map where it was (a new user's review)
  window.addEventListener("hashchange", () => {
    const asked = VIEW.exec(window.location.hash);
    if (asked) map.setView([+asked[2], +asked[3]], +asked[1]);
  });

  // The figures box: the country's, or those of the province or district the find box
  // went to (it had kept the national figures beside a province outlined), until
  // "show the whole country" is clicked; the date and the kind apply to either. Kept in
  // the address (?province=CODE), so that a reload or a link shows the same figures.
  let area = null; // { kind: "province" | "district", code }
  function address() {
    const c = map.getCenter();
    const hash = `#${map.getZoom()}/${c.lat.toFixed(5)}/${c.lng.toFixed(5)}`;
    const query = new URLSearchParams(params(false));
    if (area) query.set(area.kind, area.code);
    const text = query.toString();
    window.history.replaceState(null, "", `${window.location.pathname}${text ? `?${text}` : ""}${hash}`);
  }
  map.on("moveend", address);
  map.createPane("provinces").style.zIndex = 350;
  map.createPane("hazards").style.zIndex = 420;
  map.createPane("released").style.zIndex = 430;

  function rampColour(areaM2) {
    const k = areaM2 / 1e6;
    let i = 0;
    while (i < legend.breaks.length && k >= legend.breaks[i]) i += 1;
    return legend.ramp[i];
  }

  function tileUrl(layer) {
    return `/api/v1/tiles/${layer}/{z}/{x}/{y}.pbf${params(true)}`;
  }

  const styles = {
    // The choropleth fades as one zooms in, so the hazards and releases keep their contrast.
    admin1: (p, zoom) => ({
      fill: true, fillColor: rampColour(p.remaining_m2),
      fillOpacity: zoom < 9 ? 0.55 : zoom < 12 ? 0.3 : 0.15,
      color: legend.boundary, weight: zoom < 9 ? 1 : 2, opacity: 0.8,
    }),
    // Points below zoom 9; at the zooms that show the whole country (4-6) smaller and
    // lighter, so that a national programme's points do not bury the provinces' colours.
    hazards: (p, zoom) => {
      const colour = legend.status[p.status] || legend.status.SHA;
      // a dark edge, dashed for a suspected area: the statuses differ in more than colour
      const edge = legend.status_edges[p.status] || legend.status_edges.SHA;
      const dash = (p.status in legend.status_dashes ? legend.status_dashes[p.status]
                                                     : legend.status_dashes.SHA) || null;
      const size = Math.log10(1 + (p.hazards || 1));
      if (generalised) {
        // a cell, not a place: once wider than 24 px the tiles give its square (a dot at
        // its centre read as a hazard's exact location once zoomed in), drawn translucent
        const cellPx = (cellKm * 1000) / (156543.034 / Math.pow(2, zoom)); // EPSG:3857 metres
        return cellPx >= 24
          ? { fill: true, fillColor: colour, fillOpacity: 0.25, color: colour, weight: 1.5,
              dashArray: "4 4" }
          : { radius: Math.min(7, 2.5 + size), fill: true, fillColor: colour,
              fillOpacity: 0.85, color: colour, weight: 0.5 };
      }
      // Dots of two pixels where the whole country shows (points are merged on a grid of
      // about four): a national programme's 46,000 points had covered whole provinces in
      // red, their colours hidden (a walk-through at national scale). Leaflet draws whole
      // pixels, so radius 1; where they crowd, the shade deepens; one still shows. An
      // unseen ring around each keeps it as easy to click as the larger dots were.
      if (zoom < 7 && !generalised) {
        return { radius: 1, fill: true, fillColor: colour, fillOpacity: 0.9, color: colour,
                 weight: 5, opacity: 0 };
      }
      return zoom < 9 || generalised
        ? { radius: Math.min(5, 2 + size * 0.75), fill: true,
            fillColor: colour, fillOpacity: 0.7, color: edge, weight: 1 }
        : { fill: true, fillColor: colour, fillOpacity: 0.7, color: edge, weight: 1.5,
            dashArray: dash };
    },
    releases: (p) => {
      const colour = legend.method[p.method] || "#999";
      if (!p.hazard_reference) {
        // land released outside recorded hazards: counted apart, drawn apart
        return { fill: true, fillColor: "#ffffff", fillOpacity: 0.55, color: colour,
                 weight: 2, dashArray: "5 4" };
      }
      return { fill: true, fillColor: colour, fillOpacity: 0.8, color: colour, weight: 0.5 };
    },
  };

  // A hazard's page as on the map's date (today's when the map shows today).
  function hazardAt(reference) {
    const past = shown && shown !== asOf.max;
    return hazardHref(reference) + (past ? `?as_of=${shown}` : "");
  }
  const statusLabel = (code) => legend.status_labels[code] || code;

  function popup(layer, p) {
    if (layer === "hazards" && generalised) {
      const one = Number(p.hazards) === 1;
      return table([
        [`Open hazards somewhere in this ${cellKm} km cell`, p.hazards],
        ["Status", one ? statusLabel(p.status)
                       : p.status === "CHA" ? "at least one confirmed" : "all suspected"],
        ["Remaining", `${m2(p.remaining_m2)} m²`],
      ]);
    }
    if (layer === "hazards" && Number(p.hazards) > 1) {
      // several hazards merged into one point at this zoom: their sums, and the largest by
      // name (the sums had read as the largest one's own figures: an IM officer's review)
      return table([
        ["Hazards here", `${p.hazards} (zoom in to see each)`],
        ["Largest", p.reference, hazardAt(p.reference)],
        ["Status", p.status === "CHA" ? "at least one confirmed" : "all suspected"],
        ["Remaining, together", `${m2(p.remaining_m2)} m²`],
        ["Area, together", `${m2(p.area_m2)} m²`],
      ]);
    }
    if (layer === "hazards") {
      const rows = [["Hazard", p.reference, hazardAt(p.reference)], ["Status", statusLabel(p.status)]];
      if (p.contam) rows.push(["Contamination", label(p.contam)]);
      rows.push(["Remaining", `${m2(p.remaining_m2)} m²`], ["Area", `${m2(p.area_m2)} m²`]);
      return table(rows);
    }
    if (layer === "releases" && !p.hazard_reference) {
      return table([
        ["Released outside recorded hazards", p.reference],
        ["Method", legend.method_labels[p.method] || p.method],
        ["Date", p.released],
        ["Area (counted apart)", `${m2(p.area_m2)} m²`],
      ]);
    }
    if (layer === "releases") {
      return table([
        ["Release", p.reference],
        ["Method", legend.method_labels[p.method] || p.method],
        ["Date", p.released],
        ["Effective area", `${m2(p.area_m2)} m²`],
        ["Hazard", p.hazard_reference, hazardAt(p.hazard_reference)],
      ]);
    }
    return table([
      ["Province", p.name],
      ["Remaining", `${km2(p.remaining_m2)} km²`],
      ["Open hazards", p.hazards],
    ]);
  }

  const names = { admin1: "Provinces (remaining km²)", hazards: "Remaining hazardous areas",
                  releases: "Released land" };
  const panes = { admin1: "provinces", hazards: "hazards", releases: "released" };
  let overlays = {}; // the layers on the map, by tile layer name
  let incoming = null; // the layers of a newly chosen date, still loading
  let control = null;

  // Tiles are asked for only where something can be drawn: around the country (its
  // provinces' bounds, with a margin for hazards and releases that reach over the border),
  // and released land only from the zoom the server draws it at (its tiles are empty below).
  const tileBounds = L.latLngBounds(bounds).pad(0.1);
  const releaseZoom = Number(box.dataset.releaseZoom || 11);

  function grid(layer) {
    return tileLayer(tileUrl(layer), {
      pane: panes[layer], maxNativeZoom: 16, bounds: tileBounds,
      minZoom: layer === "releases" ? releaseZoom : 0,
      vectorTileLayerStyles: { [layer]: styles[layer] },
      getFeatureId: (f) => f.properties.id,
    }, (properties) => popup(layer, properties));
  }

  // Draw the tiles of the chosen date. The old date's layers stay until the new ones have
  // loaded, so the map never goes blank; a date chosen meanwhile replaces the pending one.
  function build() {
    const visible = control ? Object.keys(overlays).filter((k) => map.hasLayer(overlays[k]))
                            : layers;
    if (incoming) Object.values(incoming).forEach((layer) => map.removeLayer(layer));
    const fresh = {};
    const date = shown;
    box.dataset.loading = date;
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
      control = L.control.layers(null, named, { collapsed: window.innerWidth < 700,
                                                position: "topright" }).addTo(map);
      delete box.dataset.loading;
      box.dataset.shown = date; // for people and tests: the date the map now shows
    };
    incoming = fresh;
    for (const layer of layers) {
      const tiles = grid(layer);
      fresh[layer] = tiles;
      if (visible.includes(layer)) {
        // A layer with no tile to load in this view (outside the country, or released land
        // below its zoom) never fires "load": it is not waited for.
        let started = false;
        const loaded = () => { waiting -= 1; if (waiting === 0) swap(); };
        tiles.once("loading", () => { started = true; });
        tiles.once("load", loaded);
        tiles.addTo(map);
        if (started) waiting += 1;
        else tiles.off("load", loaded);
      }
    }
    if (waiting === 0) swap();
    setTimeout(swap, 15000); // a tile that never answers must not freeze the date
  }

  const b = legend.breaks;
  const ranges = [`< ${b[0]}`].concat(b.slice(0, -1).map((v, i) => `${v}–${b[i + 1]}`),
                                      [`≥ ${b[b.length - 1]}`]);
  const sections = [generalised
    ? { title: `Open hazards per ${cellKm} km cell`, items: [
        [legend.status.CHA, "at least one confirmed (CHA)"],
        [legend.status.SHA, "suspected only (SHA)"]] }
    : { title: "Remaining", items: ["CHA", "SHA"].map(
        (s) => [legend.status[s], legend.status_labels[s] + (legend.status_dashes[s] ? " (dashed edge)" : ""),
                legend.status_edges[s], false, Boolean(legend.status_dashes[s])]) }];
  if (!generalised) {
    sections.push({ title: "Released", items: ["cancelled", "reduced", "cleared"].map(
      (m) => [legend.method[m], legend.method_labels[m]]).concat(
      [["#ffffff", "Outside recorded hazards (dashed, counted apart)", legend.method.cleared]]) });
  }
  sections.push({ title: "Remaining per province (km²)",
                  items: ranges.map((label, i) => [legend.ramp[i], label]) });
  addLegend(map, sections, [generalised
    ? `Locations are generalised: open hazards counted per ${cellKm} km cell.`
    : `Below zoom 9 hazards are points; releases show from zoom ${releaseZoom}.`],
    undefined, 0.6);
  L.control.scale({ imperial: false }).addTo(map);

  const figuresPlace = document.getElementById("figures-place");
  function figuresQuery() {
    const query = new URLSearchParams(params(true));
    if (area) query.set(area.kind, area.code);
    return `?${query}`;
  }
  async function updateFigures() {
    const date = shown;
    const query = figuresQuery();
    const figures = document.getElementById("map-figures");
    const response = await fetch(`/map/figures${query}`);
    if (figuresQuery() !== query) {
      // another date or kind was chosen meanwhile; an answer left unread had held its
      // connection (of the browser's six to the server) until the page was left
      response.arrayBuffer().catch(() => {});
      return;
    }
    if (!response.ok) {
      // the server's reason: an area's code in the address that names none had been
      // blamed on the date (a first-time user's review)
      const problem = await response.json().catch(() => null);
      figures.dataset.error = problem?.detail
        ? `the figures could not be read: ${problem.detail}`
        : `the figures for ${date} could not be read (${response.status})`;
      return;
    }
    const f = await response.json();
    figuresPlace.hidden = !f.place;
    for (const node of figures.querySelectorAll("[data-field]")) {
      const key = node.dataset.field;
      const v = f[key];
      if (key === "place") node.textContent = f.place ? `${f.place} (${f.kind})` : "";
      else if (key === "contam") node.textContent = v === "all" ? "all contamination kinds" : label(v);
      else node.textContent = key.endsWith("_m2") ? km2(v) : key === "as_of" ? v : v.toLocaleString("en-US");
    }
    delete figures.dataset.error;
    figures.dataset.asOf = f.as_of;
  }

  // Typing a date fires "change" at every digit that makes a valid date (0002, 0020, 0202,
  // 2020, or 2026-01-06 on the way from 2026-12-06 to 2030-12-31): a date typed is followed
  // once the keys have rested, or at once on Enter or on leaving the field; one chosen on
  // the calendar at once; and only a choice that differs from what is shown or loading.
  let chosen = params(true);
  let pending = null;
  let lastKey = 0;
  const typing = () => Date.now() - lastKey < TYPING_REST_MS;
  function follow() {
    // a pending follow reads the field as it is now, which may be a date passed on the way
    // or none (a part of the date being typed again)
    clearTimeout(pending);
    if (!asOf.value || outside()) return;
    shown = asOf.value;
    if (params(true) === chosen) return;
    chosen = params(true);
    address();
    build();
    updateFigures();
  }
  // Nothing is recorded after today nor before 1900 (ims.domain.as_of), and the field's max
  // and min are not enforced on typing. A date typed digit by digit passes through such
  // dates (12/31 of this year before the year is typed, then years 0002, 0020, 0202): such
  // a step is not followed, nor changed under the typing (that broke the date being typed);
  // a later date left in the field becomes today, an earlier one the earliest.
  const later = () => Boolean(asOf.value && asOf.max && asOf.value > asOf.max);
  const earlier = () => Boolean(asOf.value && asOf.min && asOf.value < asOf.min);
  const outside = () => later() || earlier();
  const note = document.getElementById("as-of-note");
  function changed(event) {
    if (outside()) {
      asOf.setAttribute("aria-invalid", "true");
      note.textContent = later()
        ? `${asOf.value} is after today: the map shows dates up to today (${asOf.max}); it still shows ${shown}`
        : `${asOf.value} is before ${asOf.min}, the earliest the map shows; it still shows ${shown}`;
      if (note.hidden) {
        note.hidden = false;
        map.invalidateSize(); // the bar grew by the note's line
      }
      // A kind chosen meanwhile is shown on the map's date (it had waited, unseen, until the
      // date was put right: a first-time user's review).
      if (event && event.target === contam && params(true) !== chosen) {
        chosen = params(true);
        address();
        build();
        updateFigures();
      }
      return;
    }
    asOf.removeAttribute("aria-invalid");
    if (!note.hidden) {
      note.hidden = true;
      map.invalidateSize();
    }
    if (!asOf.value) return; // a part of the date typed again: the map keeps its date
    clearTimeout(pending);
    if (event && event.target === asOf && typing()) pending = setTimeout(follow, TYPING_REST_MS);
    else follow();
  }
  for (const control of [asOf, contam]) control.addEventListener("change", changed);
  asOf.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      lastKey = 0;
      follow();
    } else if (event.key !== "Tab" && event.key !== "Shift") {
      lastKey = Date.now();
    }
  });
  asOf.addEventListener("blur", () => {
    lastKey = 0;
    if (asOf.value && !outside()) {
      follow(); // a date typed, left before the keys rested
      return;
    }
    // the nearest date the map shows, or the one it shows if the field was left empty
    asOf.value = !asOf.value ? shown : later() ? asOf.max : asOf.min;
    changed();
  });
  // An address's date outside those (/map?as_of=2030-01-01) is shown as the nearest, and
  // the address says so (it had kept 2030 while the map showed today).
  const asked = new URLSearchParams(window.location.search).get("as_of");
  if (asked !== null && asked !== asOf.value) address();
  // Find a place: a hazard by its reference, a province or a district by its name
  // (/map/find). One answer is shown at once; several are listed to choose from. The form
  // still works without this script: it searches the register.
  const findForm = document.getElementById("map-find");
  const findInput = document.getElementById("find");
  const results = document.getElementById("find-results");
  let mark = null; // the outline of the place found, until the next search
  const outlined = { color: "#222", weight: 2.5, dashArray: "6 4", fill: false, interactive: false };
  function go(place) {
    if (mark) map.removeLayer(mark);
    mark = null;
    map.closePopup(); // the last search's, or a click's, is not of this place
    const hazard = place.kind === "hazard";
    // clear of the legend, where it lies open over the map's lower right
    const open = box.querySelector("details.legend[open]");
    const right = open && window.innerWidth >= 700 ? open.offsetWidth + 24 : 24;
    map.fitBounds(place.bounds, { maxZoom: hazard ? 16 : 12, paddingTopLeft: [24, 24],
                                  paddingBottomRight: [right, 24] });
    if (!hazard && place.outline) {
      // a province or a district: its boundary, which the map does not otherwise set apart
      mark = L.geoJSON(place.outline, { style: () => outlined, interactive: false }).addTo(map);
    }
    if (!hazard && place.code) {
      area = { kind: place.kind, code: place.code };
      updateFigures();
    } else if (hazard && area) {
      // a hazard maybe elsewhere: the box had kept the last area's figures beside it
      area = null;
      updateFigures();
    }
    address();
    if (hazard) {
      mark = L.rectangle(place.bounds, outlined).addTo(map);
      const found = L.latLngBounds(place.bounds); // the popup above it, not over it
      // what a click on it shows, on the map's date
      const rows = [["Hazard", place.reference, hazardAt(place.reference)]];
      const state = place.state;
      if (state) {
        // under a square metre left: released, as the map draws it (not its last status)
        const released = state.remaining_m2 < 1;
        rows.push(["Status", released ? "released: no ground remains" : statusLabel(state.status)],
                  ["Remaining", `${m2(state.remaining_m2)} m²`], ["Area", `${m2(state.area_m2)} m²`]);
      } else {
        rows.push(["On this date", "not yet recorded"]);
      }
      L.popup().setLatLng([found.getNorth(), found.getCenter().lng])
        .setContent(table(rows)).openOn(map);
    }
    results.dataset.shown = place.label; // for people and tests: what the map went to
  }
  document.getElementById("figures-country").addEventListener("click", () => {
    area = null;
    if (mark) map.removeLayer(mark);
    mark = null;
    delete results.dataset.shown;
    results.hidden = true; // "Showing …" of the area left
    map.fitBounds(bounds); // the country, as its figures
    updateFigures();
    address();
  });
  function say(text) {
    results.replaceChildren(text);
    results.hidden = false;
  }
  findForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const q = findInput.value.trim();
    if (!q) return;
    delete results.dataset.shown;
    const day = shown || asOf.max; // a hazard's state as the map shows it
    const response = await fetch(`/map/find?${new URLSearchParams(day ? { q, as_of: day } : { q })}`);
    if (findInput.value.trim() !== q) {
      response.arrayBuffer().catch(() => {}); // another search was typed meanwhile
      return;
    }
    if (!response.ok) {
      const problem = await response.json().catch(() => null); // the server's reason, if it gave one
      const why = problem?.errors?.[0]?.message ?? problem?.detail ?? `the server answered ${response.status}`;
      say(`The search could not be made: ${why.replace(/\.?$/, ".")}`);
      return;
    }
    const { places, more, alike } = await response.json();
    if (places.length === 0) {
      say(`Nothing found for “${q}”: type part of a ${generalised ? "" : "hazard's reference, or a "}` +
          "province's or district's name.");
      if (!generalised) {
        // a village, or another value of the uploads' own columns: the register's search
        // reads them, and the map's find box does not (a new user's review)
        const link = document.createElement("a");
        link.href = `/hazards?${new URLSearchParams({ q })}`;
        link.id = "find-in-register";
        link.textContent = `Search the hazard register for “${q}”`;
        results.append(" ", link, " (it reads villages and the uploads' other columns).");
      }
      return;
    }
    if (places.length === 1 && !alike) {
      results.hidden = true;
      go(places[0]);
      // found by another name (Sayaboury for Xaignabouli): said, or the map went to an
      // area of another name unexplained (a first-time user's review)
      if (places[0].also) say(`Showing ${places[0].label}.`);
      return;
    }
    const list = document.createElement("ul");
    for (const place of places) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "link-like";
      button.textContent = place.label;
      button.addEventListener("click", () => { results.hidden = true; go(place); });
      item.append(button);
      list.append(item);
    }
    // a name written another way (Xieng Khouang for Xiangkhouang): asked, not gone to
    results.replaceChildren(alike ? `No place is named “${q}”. Did you mean:`
                            : more ? `The first ${places.length} places found for “${q}” ` +
                                     "(type more of the name to narrow them):"
                                   : `Places found for “${q}”:`, list);
    results.hidden = false;
  });

  // an address that names an area (a reload, a link): its figures in the box, its
  // outline, and the map on it unless the address gives the view (a reload had shown the
  // area's figures beside the whole country, with no outline: a first-time user's review)
  async function outlineFromAddress(kind, code) {
    const response = await fetch(`/map/find?${new URLSearchParams({ q: code })}`);
    const found = response.ok ? await response.json() : null;
    // any case, as the server takes it: an address typed by hand says "la-xi"
    const place = found?.places?.find((p) => p.code.toUpperCase() === code.toUpperCase()
                                               && p.kind === kind);
    if (!place || !area || area.code !== code || mark) return; // another chosen meanwhile
    mark = L.geoJSON(place.outline, { style: () => outlined, interactive: false }).addTo(map);
    results.dataset.shown = place.label;
    if (place.code !== code) {
      area.code = place.code; // the code as held, in the address and the figures' query
      updateFigures();
      address();
    }
    if (!view) map.fitBounds(place.bounds, { maxZoom: 12, padding: [24, 24] });
  }
  for (const kind of ["province", "district"]) {
    const code = new URLSearchParams(window.location.search).get(kind)?.trim(); // typed by hand
    if (code && !area) {
      area = { kind, code };
      updateFigures();
      outlineFromAddress(kind, code).catch(() => {});
    }
  }
  build();
})();
