// The upload page: read the chosen file's columns (POST /api/v1/submissions/inspect), let
// the user match them to the template (columns, constants, value maps, the CRS), then send
// the file with that mapping document (POST /api/v1/submissions) showing the progress, and
// open the review page. Everything from the server is shown with textContent.
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form) return;
  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="csrf-token"]');
  const fileInput = $("file");
  const step = $("mapping-step");
  const errorBox = $("upload-error");
  let inspected = null; // the last answer of the inspection
  let inspecting = false; // a file's columns are being read (or wait for a worker)
  let earlierChecked = false; // a file sent before the page was reloaded is being checked
  let file = null;

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function showError(data, status) {
    const detail = (data && (data.detail || data.title)) || `The server answered ${status}.`;
    errorBox.textContent = detail;
    const field = data && data.field ? $(`${data.field}-error`) : null;
    if (field) field.textContent = detail;
  }

  function clearErrors() {
    errorBox.textContent = "";
    for (const node of document.querySelectorAll(".field-error")) node.textContent = "";
    for (const pick of document.querySelectorAll("#mapping select[aria-invalid]")) {
      pick.removeAttribute("aria-invalid");
      pick.setAttribute("aria-describedby", pick.id.replace(/^map-/, "about-"));
    }
  }

  // A file that replaces a submission comes from the same organisation: chosen with it.
  $("replaces").addEventListener("change", () => {
    $("replaces-dropped").hidden = true;
    const chosen = $("replaces").selectedOptions[0];
    const org = $("organisation");
    if (chosen && chosen.dataset.organisation && org.tagName === "SELECT") org.value = chosen.dataset.organisation;
  });
  // ...and of the same kind: the others are not offered (the server refused them only
  // once the file had been sent and its columns matched).
  // A file first sent as the wrong kind (releases sent as hazards) cannot be replaced by
  // the same file sent as the right one: the choice is dropped, and said so, with what to
  // do with the first (a review: it was cleared without a word, and stayed awaiting review).
  function replaceableOfKind() {
    const kind = $("kind").value;
    const dropped = $("replaces-dropped");
    for (const option of $("replaces").options) {
      if (!option.dataset.kind) continue; // "none"
      const other = option.dataset.kind !== kind;
      option.hidden = other;
      option.disabled = other;
      if (other && option.selected) {
        $("replaces").value = "";
        dropped.textContent = `Submission ${option.value} was sent as ${option.dataset.kind}: ` +
          `a file of ${kind} cannot replace it. Send this one as a new submission, then ` +
          `withdraw submission ${option.value} from its page (or ask the reviewer to reject it).`;
        dropped.hidden = false;
        return;
      }
    }
    if ($("replaces").value) dropped.hidden = true;
  }
  $("kind").addEventListener("change", replaceableOfKind);
  replaceableOfKind();

  // --- choosing or dropping the file -----------------------------------------------------
  const drop = $("drop");
  for (const name of ["dragenter", "dragover"]) {
    drop.addEventListener(name, (event) => { event.preventDefault(); drop.classList.add("over"); });
  }
  for (const name of ["dragleave", "drop"]) {
    drop.addEventListener(name, () => drop.classList.remove("over"));
  }
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      fileInput.files = event.dataTransfer.files;
    }
  });

  function send(url, body, onUpload) {
    // XMLHttpRequest rather than fetch: it reports the upload's progress.
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      if (csrf) xhr.setRequestHeader("X-CSRF-Token", csrf.content);
      xhr.responseType = "json";
      if (onUpload) {
        xhr.upload.addEventListener("progress", (event) => {
          if (event.lengthComputable) onUpload(event.loaded, event.total);
        });
        xhr.upload.addEventListener("load", () => onUpload(1, 1, true));
      }
      xhr.addEventListener("load", () => resolve({ status: xhr.status, data: xhr.response }));
      xhr.addEventListener("error", () => resolve({ status: 0, data: { detail: "The connection failed: try again." } }));
      xhr.send(body);
    });
  }

  // The file itself, or the token naming the copy the server kept when it read the
  // columns (a national file need not cross the network twice).
  function baseForm(held) {
    const body = new FormData();
    if (held) body.append("held", held);
    else body.append("file", file);
    body.append("kind", $("kind").value);
    const org = $("organisation").value;
    if (org) body.append("organisation", org);
    if (!$("layer-row").hidden && $("layer").value) body.append("layer", $("layer").value);
    return body;
  }

  // A file of several layers: the server names them; the user picks one and reads again.
  function offerLayers(names) {
    const pick = $("layer");
    const before = pick.value;
    pick.replaceChildren(el("option", { value: "" }, "— choose —"));
    for (const name of names) pick.append(el("option", { value: name }, name));
    if (names.includes(before)) pick.value = before;
    $("layer-row").hidden = false;
    // a workbook's are its sheets: the data manager knows them by that name
    const parts = file && /\.xlsx$/i.test(file.name) ? "sheets" : "layers";
    const text = `This file holds ${names.length} ${parts}: choose the one to upload, then read it again.`;
    document.querySelector('label[for="layer"]').textContent = parts === "sheets" ? "Sheet" : "Layer";
    $("layer-error").textContent = text; // beside the choice (and not again below the form)
    pick.focus();
  }
  fileInput.addEventListener("change", () => {
    $("layer-row").hidden = true;
    $("layer").replaceChildren();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    file = fileInput.files && fileInput.files[0];
    if (!file) {
      $("file-error").textContent = "Choose a file first.";
      fileInput.focus();
      return;
    }
    const button = $("inspect");
    button.disabled = true;
    // one person's files are checked and read one at a time (the other worker is left to
    // other organisations): this one waits for the earlier file's checks
    button.textContent = earlierChecked
      ? "Reading the file once your earlier file is checked…"
      : "Reading the file…";
    const asked = baseForm();
    asked.append("hold", "true");
    inspecting = true;
    const { status, data } = await send("/api/v1/submissions/inspect", asked);
    inspecting = false;
    button.disabled = false;
    button.textContent = "Next: match the columns";
    if (status !== 200) {
      if (data && Array.isArray(data.layers) && data.layers.length > 1 && !$("layer").value) {
        offerLayers(data.layers);
      } else {
        showError(data, status);
      }
      return;
    }
    inspected = data;
    buildMapping(data);
    step.hidden = false;
    $("split-row").hidden = $("kind").value !== "releases";
    $("mapping-title").focus();
  });

  $("awaiting-replace").addEventListener("click", (event) => {
    $("replaces").value = event.target.dataset.id;
    $("replaces").dispatchEvent(new Event("change"));
    $("awaiting").hidden = true;
  });

  $("other-kind-switch").addEventListener("click", (event) => {
    $("kind").value = event.target.dataset.kind;
    $("kind").dispatchEvent(new Event("change"));
    step.hidden = true;
    form.requestSubmit(); // the file's columns read again, for the template of that kind
  });

  $("back").addEventListener("click", () => {
    step.hidden = true;
    fileInput.focus();
  });

  // --- the mapping step -------------------------------------------------------------------
  const ORIGIN = {
    remembered: "remembered",
    name: "same name",
    register: "as ims's files name it",
    synonym: "usual name",
    label: "as ims's form asks it",
    values: "its values",
  };

  function columnOf(name) {
    return inspected.columns.find((c) => c.name === name);
  }

  function buildMapping(data) {
    const summary = $("file-summary");
    summary.textContent = `${data.filename}: ${data.feature_count.toLocaleString("en")} feature${data.feature_count === 1 ? "" : "s"}, layer ${data.layer}, ` +
      (data.crs ? `coordinates in ${data.crs}.` : "no coordinate reference system declared.");
    // each note a sentence of its own: joined by a space they had run together
    // ("…FormVersion ims_release_report.csv was read…": a reviewer's walk-through)
    $("file-notes").textContent = (data.notes || [])
      .map((note) => note.charAt(0).toUpperCase() + note.slice(1).replace(/[.]?$/, "."))
      .join(" ");
    // The very file already awaiting review for the organisation: sent again, a copy of it
    // joined the reviewers' queue (a new user's review retried an upload: five copies).
    const twin = data.awaiting;
    $("awaiting").hidden = !twin;
    if (twin) {
      const when = twin.uploaded_at.slice(0, 16).replace("T", " ");
      const sent = `(uploaded ${when}${twin.uploaded_by ? ` by ${twin.uploaded_by}` : ""})`;
      // approved already: said before it is sent, not in its findings after (helper-105)
      $("awaiting-text").textContent = twin.approved
        ? `This very file was approved as submission ${twin.id} ${sent}: its records are ` +
          "recorded already, and sent again it would record nothing."
        : `This very file already awaits review as submission ${twin.id} ${sent}: ` +
          "sent again, it would be a copy of it.";
      $("awaiting-link").href = `/submissions/${twin.id}`;
      $("awaiting-link").textContent = `Open submission ${twin.id}`;
      const offered = !twin.approved &&
        [...$("replaces").options].some((o) => o.value === String(twin.id) && !o.disabled);
      $("awaiting-or").hidden = !offered;
      $("awaiting-replace").dataset.id = twin.id;
    }
    // A file of the other kind said so only in its findings, once uploaded (a new user's
    // review had sent a releases file as hazards): said here, with the way to read it so.
    const other = data.other_kind;
    $("other-kind").hidden = !other;
    if (other) {
      $("other-kind-text").textContent = `This looks like a file of ${other.kind}: it has ` +
        `${other.fields.join(", ")}, which a file of ${$("kind").value} does not.`;
      $("other-kind-switch").textContent = `Read it as ${other.kind}`;
      $("other-kind-switch").dataset.kind = other.kind;
    }
    $("crs-row").hidden = Boolean(data.crs);
    // coordinates too large for degrees: not WGS 84's longitude and latitude, which the
    // choice had been left at (the file became one error a feature, out of range)
    const crsNote = $("crs-note");
    crsNote.textContent = data.projected
      ? "the file declares none, and its coordinates are too large for longitude and latitude: " +
        "they are metres of a projected CRS (a UTM zone?): choose it"
      : "the file declares none: say which its coordinates are in";
    crsNote.classList.toggle("bad", Boolean(data.projected));
    // each file starts from the page's own choice: the zone chosen for the file read before
    // had stayed chosen for the next, of which nothing was remembered
    const first = [...$("crs").options].find((o) => o.defaultSelected);
    $("crs").value = first ? first.value : "";
    $("crs-other").value = "";
    $("crs-other").hidden = true;
    $("crs-other").removeAttribute("aria-invalid"); // said of the file before (helper-120)
    if (data.projected && $("crs").value === "EPSG:4326") $("crs").value = "";
    // the one chosen for the organisation's files before, remembered with its mapping: a
    // data manager had chosen the UTM zone again for every workbook (helper-105)
    if (!data.crs && data.remembered_crs) {
      const listed = [...$("crs").options].some((o) => o.value === data.remembered_crs);
      $("crs").value = listed ? data.remembered_crs : "other";
      $("crs-other").hidden = listed;
      $("crs-other").value = listed ? "" : data.remembered_crs;
      crsNote.textContent = `the file declares none: ${data.remembered_crs}, as chosen for ` +
        "the organisation's files before; change it if this file's coordinates are in another";
      crsNote.classList.remove("bad");
    }
    // kept alone (for files in the template's names, which need no mapping): forgotten
    // here, as a mapping is; it had been shown with no way to forget it but the CLI's
    // or offered from another mapping where none is kept alone: forgotten for such files
    // alone (that mapping keeps it); it had been offered with no way to forget it (helper-119)
    const offered = !data.crs && data.remembered_crs && data.remembered_crs_offered;
    $("forget-crs").hidden = !offered;
    if (offered) $("forget-crs").textContent = `Forget ${data.remembered_crs}`;
    // A remembered mapping this file does not fit is said only where the file needs one:
    // beside a file that names every required field as the template does, "not used" read
    // as something wrong with it (a new user's review).
    const names = new Set(data.columns.map((c) => c.name.toLowerCase()));
    const ownNames = data.fields.every((f) => f.required !== "always" || names.has(f.name));
    showRemembered(data.remembered && (data.remembered.fits || !ownNames) ? data.remembered : null);

    const suggested = data.suggested || { fields: {}, constants: {}, values: {} };
    const tbody = $("mapping").querySelector("tbody");
    tbody.replaceChildren();
    for (const f of data.fields) {
      const row = el("tr", { "data-field": f.name });
      const head = el("th", { scope: "row" });
      head.append(el("code", {}, f.name));
      if (f.required !== "no") head.append(" ", el("span", { class: "required" }, f.required === "always" ? "required" : "required for a new hazard"));
      head.append(el("br"), el("small", { class: "muted", id: `about-${f.name}` }, f.description));
      row.append(head);

      // named, described and said to be required to a screen reader as the row shows them
      const pick = el("select", {
        id: `map-${f.name}`, "aria-label": `column for ${f.name}`, "aria-describedby": `about-${f.name}`,
        ...(f.required === "always" ? { "aria-required": "true" } : {}),
      });
      pick.append(el("option", { value: "" }, "(not in the file)"));
      for (const c of data.columns) pick.append(el("option", { value: c.name }, c.name));
      // A pattern builds the value from columns and the feature's number, e.g. an id
      // for a legacy file that has none: "LEG-{fileId}-{row:05}".
      pick.append(el("option", { value: PATTERN }, "a pattern of columns and {row}…"));
      const pattern = el("input", {
        type: "text", id: `pattern-${f.name}`, maxlength: "200", placeholder: "ID-{row:05}",
        "aria-label": `pattern for ${f.name}: column names in braces, {row} the feature's number`,
      });
      const chosen = suggested.fields[f.name];
      if (chosen && columnOf(chosen)) pick.value = chosen;
      else if (chosen && chosen.includes("{")) { pick.value = PATTERN; pattern.value = chosen; }
      pattern.hidden = pick.value !== PATTERN;
      pick.addEventListener("change", () => { pattern.hidden = pick.value !== PATTERN; });
      const cell = el("td", { "data-label": "From the file's column" }); // (a phone's heading)
      cell.append(pick, pattern);
      if (suggested_from(f.name)) cell.append(" ", el("small", { class: "muted origin" }, suggested_from(f.name)));
      cell.append(el("span", { class: "field-error block", id: `unmatched-${f.name}` }));
      row.append(cell);

      const constant = el("input", {
        type: f.type === "date" ? "date" : "text", id: `const-${f.name}`,
        "aria-label": `one value of ${f.name} for every feature`, maxlength: "200",
      });
      if (f.allowed.length) {
        constant.setAttribute("list", `allowed-${f.name}`);
        const list = el("datalist", { id: `allowed-${f.name}` });
        for (const v of f.allowed) list.append(el("option", { value: v }));
        row.append(list);
      }
      if (suggested.constants[f.name] !== undefined) constant.value = suggested.constants[f.name];
      const constCell = el("td", { "data-label": "or one value for every feature" });
      constCell.append(constant);
      row.append(constCell);

      const samples = el("td", { class: "samples", id: `samples-${f.name}`, "data-label": "Sample values" });
      row.append(samples);
      tbody.append(row);
      pick.addEventListener("change", () => {
        showSamples(f.name); buildValueMaps(); showUnused();
        if (f.type === "date") suggestDates();
      });
      showSamples(f.name);
    }
    buildValueMaps(suggested.values || {});
    showUnused();
    // Dates written 31/03/2024 are read only as the file's mapping says (03/04/2024 is two
    // different days); ims suggests the order where a cell shows it, or as remembered.
    const dates = $("dates");
    dates.value = suggested.dates || "";
    delete dates.dataset.chosen;
    dates.onchange = () => { dates.dataset.chosen = "yes"; };
    const note = $("dates-note");
    note.dataset.plain ??= note.textContent; // the page's own words
    const datesFrom = (data.suggested_from || {}).dates;
    note.textContent = datesFrom === "remembered" ? "as remembered for this organisation's files"
      : datesFrom === "cells" ? DATES_SHOWN : note.dataset.plain;
  }

  const DATES_SHOWN = "chosen from the file's dates: one with a number over 12 shows which comes first";

  // Until the user picks an order, it follows the columns the dates are read from.
  function suggestDates() {
    const dates = $("dates");
    if (dates.dataset.chosen) return;
    const shown = new Set(inspected.fields.filter((f) => f.type === "date")
      .map((f) => columnOf($(`map-${f.name}`).value)?.date_order).filter(Boolean));
    if (shown.size !== 1) return;
    dates.value = [...shown][0];
    $("dates-note").textContent = DATES_SHOWN;
  }

  function suggested_from(name) {
    const origin = inspected.suggested_from && inspected.suggested_from[name];
    return origin ? ORIGIN[origin] || origin : "";
  }

  function showSamples(name) {
    const column = columnOf($(`map-${name}`).value);
    $(`samples-${name}`).textContent = column ? column.samples.map(String).join(" · ") : "";
  }

  function showUnused() {
    const used = new Set(inspected.fields.map((f) => $(`map-${f.name}`).value).filter(Boolean));
    const rest = inspected.columns.map((c) => c.name).filter((n) => !used.has(n));
    // a register file's figures are computed again, not kept (as the upload then says)
    const computed = new Set(inspected.computed || []);
    const kept = rest.filter((n) => !computed.has(n));
    const figures = rest.filter((n) => computed.has(n));
    $("unused").textContent = [
      kept.length ? `Kept with each record as its own attributes: ${kept.join(", ")}.` : "",
      figures.length
        ? `Figures ims computes itself, computed again and not kept: ${figures.join(", ")}.` : "",
    ].filter(Boolean).join(" ");
  }

  // A row of a value map: the file's value, and the code it is to be read as ("as it is"
  // says what ims reads it as, or that it reads as nothing, and is then marked).
  function valueRow(field, i, value, read, codes, given, none = "not a code") {
    const id = `value-${field}-${i}`;
    const row = el("div", { class: "row" });
    row.append(el("label", { for: id }, value));
    const pick = el("select", { id, "data-source": value });
    pick.append(el("option", { value: "" },
      read ? `as it is (${read})` : read === null ? `as it is: ${none}, choose one` : "as it is"));
    for (const code of codes) pick.append(el("option", { value: code }, code));
    if (given && given[1] !== null) pick.value = String(given[1]);
    const mark = () => row.classList.toggle("unknown", read === null && !pick.value);
    pick.addEventListener("change", mark);
    mark();
    row.append(pick);
    return row;
  }

  const givenFor = (kept, field, value) => kept[field] && Object.entries(kept[field])
    .find(([k]) => k.trim().toLowerCase() === value.trim().toLowerCase());

  // The munition types a column of TYPE:QTY;… names, each to a code of the reference list:
  // the page had mapped none, so a legacy file's "BLU26" needed a mapping document.
  const LISTS = ["munitions", "items"];
  function munitionMap(f, kept) {
    const column = columnOf($(`map-${f.name}`).value);
    if (!column || !column.types || !Object.keys(column.types).length) return null;
    const set = el("fieldset", { class: "value-map", "data-field": f.name });
    set.append(el("legend", {}, `Munition types in column ${column.name}, for ${f.name}`));
    Object.entries(column.types).forEach(([type, read], i) => {
      set.append(valueRow(f.name, i, type, read, inspected.munitions || [],
        givenFor(kept, f.name, type), "not a type of the reference list"));
    });
    return set;
  }

  // A value map for each code field read from a column with few distinct values.
  function buildValueMaps(initial) {
    const box = $("value-maps");
    const kept = initial || currentValues();
    box.replaceChildren();
    for (const f of inspected.fields) {
      if (LISTS.includes(f.name)) {
        const set = munitionMap(f, kept);
        if (set) box.append(set);
        continue;
      }
      if (!f.allowed.length) continue;
      const column = columnOf($(`map-${f.name}`).value);
      if (!column || !column.values || !column.values.length) continue; // an empty column: nothing to map
      const set = el("fieldset", { class: "value-map", "data-field": f.name });
      set.append(el("legend", {}, column.name === f.name
        ? `Values of ${f.name}` : `Values of column ${column.name}, for ${f.name}`));
      const reads = (column.reads || {})[f.name] || {};
      column.values.forEach((value, i) => {
        set.append(valueRow(f.name, i, value, reads[value], f.allowed, givenFor(kept, f.name, value)));
      });
      box.append(set);
    }
  }

  function currentValues() {
    const values = {};
    for (const set of document.querySelectorAll("#value-maps fieldset")) {
      const pairs = {};
      for (const pick of set.querySelectorAll("select")) {
        if (pick.value) pairs[pick.dataset.source] = pick.value;
      }
      if (Object.keys(pairs).length) values[set.dataset.field] = pairs;
    }
    return values;
  }

  const PATTERN = "__ims_pattern__";  // the column picker's "a pattern…" choice

  function mappingDocument() {
    const doc = { fields: {}, constants: {}, values: currentValues() };
    for (const f of inspected.fields) {
      const constant = $(`const-${f.name}`).value.trim();
      let column = $(`map-${f.name}`).value;
      if (column === PATTERN) column = $(`pattern-${f.name}`).value.trim();
      if (constant) doc.constants[f.name] = constant;
      else if (column && column.toLowerCase() !== f.name) doc.fields[f.name] = column;
      if (constant) delete doc.values[f.name];
    }
    if ($("dates").value) doc.dates = $("dates").value;
    return doc;
  }

  // --- the remembered mapping -------------------------------------------------------------
  function showRemembered(remembered) {
    const box = $("remembered");
    box.hidden = !remembered;
    if (!remembered) return;
    $("remembered-org").textContent = `${remembered.organisation}'s ${remembered.kind} files`;
    $("remembered-date").textContent = remembered.updated_at.slice(0, 10);
    $("remembered-fit").textContent = remembered.fits
      ? ", used below: change what you need, it is remembered as you send it"
      : ", which this file does not fit (it lacks fields it reads): not used";
    // in words, a line a part (its JSON had been shown to people who do not read JSON)
    const list = $("remembered-text");
    list.replaceChildren();
    for (const said of remembered.lines || []) {
      const item = document.createElement("li");
      item.textContent = said;
      list.append(item);
    }
  }

  $("forget").addEventListener("click", async () => {
    const remembered = inspected && inspected.remembered;
    if (!remembered) return;
    const headers = {};
    if (csrf) headers["X-CSRF-Token"] = csrf.content;
    // the one shown only: others, for files with other columns, stay remembered
    const query = new URLSearchParams({ organisation: remembered.organisation });
    if (remembered.id) query.set("id", remembered.id);
    const response = await fetch(`/api/v1/submissions/mappings/${remembered.kind}?${query}`, {
      method: "DELETE", headers,
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      showError(data, response.status);
      return;
    }
    inspected.remembered = null;
    showRemembered(null);
    $("progress-text").textContent = "The remembered mapping is forgotten; the one below is remembered when you send the file.";
  });

  $("forget-crs").addEventListener("click", async () => {
    const kept = inspected && inspected.remembered_crs_offered;
    if (!kept) return;
    const forgotten = inspected.remembered_crs;
    const alone = inspected.remembered_crs_alone;
    const headers = {};
    if (csrf) headers["X-CSRF-Token"] = csrf.content;
    // the one this page shows: if another tab changed it since, nothing is forgotten and
    // the server says which is offered now (it had forgotten that one, unshown)
    const query = new URLSearchParams({
      organisation: kept.organisation, crs: "true", shown: forgotten || "",
    });
    const response = await fetch(`/api/v1/submissions/mappings/${kept.kind}?${query}`, {
      method: "DELETE", headers,
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      // said beside the button (another page changed what is offered: 409), not only at
      // the foot of the page, out of sight
      if (response.status === 409) {
        $("crs-note").textContent = data.detail || "";
        $("crs-note").classList.add("bad");
      }
      showError(data, response.status);
      return;
    }
    inspected.remembered_crs_alone = null;
    inspected.remembered_crs_offered = null;
    $("forget-crs").hidden = true;
    // the choice it had filled in goes too: left, "choose the one…" stood beside it, and
    // sending remembered it again unasked (a look at the page after forgetting)
    $("crs").value = "";
    $("crs-other").value = "";
    $("crs-other").hidden = true;
    // what the server forgot, which another tab may have changed since this page read the
    // file (helper-121): the page's own had been named whatever was forgotten
    const gone = (data.cleared || []).map((m) => m.mapping.crs).filter(Boolean);
    const named = gone.length ? gone.join(", ") : forgotten;
    $("crs-note").textContent = (!gone.length
      ? `${named} was forgotten already, from another page`
      : alone || !Object.keys(kept.mapping.fields || {}).length
        ? `${named}, remembered for the organisation's files, is forgotten`
        : `${named}, the organisation's remembered mapping's, is no longer offered for files ` +
          "it does not read") +
      ": choose the one this file's coordinates are in (it is remembered as you send it)";
  });

  // --- sending ----------------------------------------------------------------------------
  $("crs").addEventListener("change", () => { $("crs-other").hidden = $("crs").value !== "other"; });

  // A field every feature needs, matched to no column and given no value: said here,
  // beside the field, rather than after the file has been read and refused.
  function unmatched() {
    return inspected.fields.find((f) => f.required === "always"
      && !$(`map-${f.name}`).value && !$(`const-${f.name}`).value.trim());
  }

  $("send").addEventListener("click", async () => {
    clearErrors();
    $("progress-text").textContent = "";
    const missing = unmatched();
    if (missing) {
      const said = `${missing.name} is required: choose the column of the file that ` +
        "holds it, or give one value for every feature.";
      errorBox.textContent = said;
      // said beside the field too, and tied to it: below the buttons alone, it was off
      // the screen when the field took the focus (a keyboard user's review)
      $(`unmatched-${missing.name}`).textContent = said;
      const pick = $(`map-${missing.name}`);
      pick.setAttribute("aria-invalid", "true");
      pick.setAttribute("aria-describedby", `unmatched-${missing.name} about-${missing.name}`);
      pick.focus();
      return;
    }
    if (!inspected.crs && !$("crs").value) {
      // said at the choice, in the page's words: the server's answer had named the command
      // line's --crs, under the button (a review of our own changes)
      $("crs-note").textContent = "choose the coordinate reference system the file's coordinates are in, then send it";
      $("crs-note").classList.add("bad");
      $("crs").focus();
      return;
    }
    if (!inspected.crs && $("crs").value === "other" && !$("crs-other").value.trim()) {
      // "another EPSG code…" with none typed had been sent as no choice at all, and the
      // file read in whatever the server guessed (a keyboard user's review)
      $("crs-note").textContent = "type the EPSG code the file's coordinates are in, e.g. EPSG:32648";
      $("crs-note").classList.add("bad");
      $("crs-other").setAttribute("aria-invalid", "true");
      $("crs-other").focus();
      return;
    }
    $("crs-other").removeAttribute("aria-invalid");
    let outcome = await submit(inspected.held);
    if (outcome.status === 410 && inspected.held) {
      inspected.held = null; // no longer kept (an hour passed, the server restarted): send it
      outcome = await submit(null);
    }
    const { status, data } = outcome;
    $("send").disabled = false;
    if (status === 201 && data && data.id) {
      $("upload-progress").value = 100;
      const counted = (n, noun) => `${Number(n).toLocaleString("en-US")} ${noun}${n === 1 ? "" : "s"}`;
      $("progress-text").textContent = `Submission ${data.id}: ${counted(data.errors, "error")}, ${counted(data.warnings, "warning")}. Opening its review…`;
      window.location.assign(`/submissions/${data.id}`);
      return;
    }
    $("progress").hidden = true;
    $("progress-text").textContent = ""; // the step it had reached; the error says the rest
    showError(data, status);
  });

  async function submit(held) {
    const body = baseForm(held);
    body.append("mapping", JSON.stringify(mappingDocument()));
    if (!inspected.crs) {
      const crs = $("crs").value === "other" ? $("crs-other").value.trim() : $("crs").value;
      if (crs) body.append("crs", crs);
    }
    const replaces = $("replaces").value;
    if (replaces) body.append("replaces", replaces);
    if ($("repair").checked) body.append("repair", "true");
    if ($("split").checked && $("kind").value === "releases") body.append("split", "true");
    const bar = $("upload-progress");
    const label = $("progress-label");
    const text = $("progress-text");
    const seconds = $("progress-time");
    $("progress").hidden = false;
    $("send").disabled = true;
    label.textContent = held ? "Sending the mapping" : "Uploading";
    const token = window.imsProgress ? window.imsProgress.token() : null;
    if (token) {
      body.append("progress", token);
      window.imsProgress.remember("upload", token, inspected.filename);
    }
    let stop = null;
    const outcome = await send("/api/v1/submissions", body, (loaded, total, done) => {
      bar.value = Math.round((100 * loaded) / total);
      if (!held) text.textContent = `Uploaded ${(loaded / 1e6).toFixed(1)} of ${(total / 1e6).toFixed(1)} MB`;
      if (done && !stop) {
        // Sent: the server now reads, checks and stores every feature, telling its steps.
        label.textContent = "Checking";
        bar.removeAttribute("value");
        text.textContent = `Checking ${inspected.feature_count.toLocaleString("en")} features…`;
        stop = token
          ? window.imsProgress.follow(token, (step, s) => {
              seconds.textContent = `${s} s`;
              if (step && text.textContent !== step.text) text.textContent = step.text;
            })
          : () => {};
      }
    });
    if (stop) stop();
    if (token) window.imsProgress.forget("upload");
    seconds.textContent = "";
    return outcome;
  }

  // The page was reloaded while its file was being checked: the checks go on in the
  // server, so their steps show again (above the form, which stays free for another file),
  // and its review opens once they are done, unless another file has been chosen since:
  // then a link to it is shown instead.
  const pending = window.imsProgress ? window.imsProgress.remembered("upload") : null;
  if (pending) {
    const box = $("earlier-job");
    const text = $("earlier-text");
    const time = $("earlier-time");
    box.hidden = false;
    earlierChecked = true;
    $("earlier-label").textContent = `Checking ${pending.label}`;
    text.textContent = "The checks started before this page was loaded go on";
    const done = () => {
      earlierChecked = false;
      window.imsProgress.forget("upload");
      time.textContent = "";
      $("earlier-progress").hidden = true;
      $("earlier-label").hidden = true; // the sentence below says what became of it
    };
    window.imsProgress.follow(pending.id, (step, s, job) => {
      time.textContent = `${Math.round(job === null ? s : job)} s`;
      if (step && text.textContent !== step.text) text.textContent = step.text;
    }, (answer) => {
      done();
      if (answer.href && !inspected && !inspecting) {
        text.textContent = `${pending.label} is checked. Opening its review…`;
        window.location.assign(answer.href);
      } else if (answer.href) {
        text.replaceChildren(`${pending.label} is checked: `,
          el("a", { href: answer.href, id: "earlier-review" }, "open its review"), ".");
      } else {
        text.textContent = `${pending.label} was not staged: ${answer.failed || "the checks did not finish"}`;
        text.className = "bad";
      }
    }, () => {
      done(); // never started, or long forgotten
      box.hidden = true;
    });
  }
})();
