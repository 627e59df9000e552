// Withdrawing a record made in error, from a hazard's page (reviewers only): one of its
// releases (docs/design.md §2.8) or the hazard itself, a duplicate above all (§2.9).
// The dialog first says what the withdrawal changes, as the ledger counts it
// (GET /api/v1/{releases|hazards}/{ref}/withdrawal), then asks why; the reason is required.
(function () {
  "use strict";
  const dialog = document.getElementById("withdraw-dialog");
  if (!dialog) return;
  const csrf = document.querySelector('meta[name="csrf-token"]');
  const effectBox = document.getElementById("withdraw-effect");
  const reason = document.getElementById("withdraw-reason");
  const yes = document.getElementById("withdraw-yes");
  const error = document.getElementById("withdraw-error");
  const outcome = document.getElementById("records-outcome");
  const doneKey = `withdrawn:${dialog.dataset.hazard}`;
  let kind = "release";
  let reference = "";
  let opener = null;

  const said = sessionStorage.getItem(doneKey);
  if (said) {
    sessionStorage.removeItem(doneKey);
    outcome.className = "ok";
    outcome.textContent = said;
  }

  // "2021", "2021 and 2022", "2012–2026": every year from the first the withdrawal
  // changes to the last (this year, when the remaining area changes for good)
  const yearsSaid = (ys) => ys.length === 1 ? `${ys[0]}` : ys.length === 2
    ? `${ys[0]} and ${ys[1]}` : `${ys[0]}–${ys[ys.length - 1]}`;
  const m2 = (v) => `${Math.round(v).toLocaleString("en-US")} m²`;
  // the whole reference as one part of the address: "AT-13/." split at its "/" became
  // AT-13's address once the browser dropped the "." (an attack on our own instance)
  const url = (ref) =>
    `/api/v1/${kind === "hazard" ? "hazards" : "releases"}/${encodeURIComponent(ref)}/withdrawal`;

  function line(text) {
    const p = document.createElement("p");
    p.textContent = text;
    return p;
  }

  function finalised(e) {
    if (!e.finalised_years.length) return [];
    const p = line(`Finalised reports that will list it as a correction: ${e.finalised_years.join(", ")}.`);
    p.id = "withdraw-finalised";
    return [p];
  }

  function releaseEffect(e) {
    const items = Object.entries(e.items).map(([t, q]) => `${t} × ${q}`).join(", ");
    const lines = [
      line(`It is a release ${e.method} on ${e.released} that counts ${m2(e.counted_m2)}` +
        (items ? ` and ${items} destroyed.` : ".") + " Withdrawn, it counts nothing."),
    ];
    if (e.recounted.length) {
      const list = document.createElement("ul");
      for (const r of e.recounted) {
        const li = document.createElement("li");
        li.textContent = `${r.release} (${r.released}) counts ${m2(r.counted_after_m2)} instead of ${m2(r.counted_m2)}: it released the same ground after it`;
        list.append(li);
      }
      lines.push(line("Later releases of the same ground count it instead:"), list);
    }
    lines.push(line(`Remaining in ${e.hazard} today: ${m2(e.remaining_m2)} → ${m2(e.remaining_after_m2)}.`));
    lines.push(line(`The figures change for ${yearsSaid(e.years)}.`));
    return [...lines, ...finalised(e)];
  }

  // said in words: "a SHA hazard" read as neither "an S-H-A" nor "a suspected hazardous area"
  const KIND = {
    SHA: "a suspected hazardous area (SHA)",
    CHA: "a confirmed hazardous area (CHA)",
  };

  const REVISED = ["never revised", "revised once", "revised twice"];

  function hazardEffect(e) {
    const lines = [
      // its records: the first and its revisions ("with 1 revision" read as revised once)
      line(`It is ${KIND[e.status] || "a closed hazardous area"} of ${e.contam}, in force from ${e.recorded}, ` +
        `${REVISED[e.revisions - 1] || `revised ${e.revisions - 1} times`}: ${m2(e.area_m2)} within its ` +
        `boundary and ${m2(e.remaining_m2)} remaining today. Withdrawn, it counts nothing on any date.`),
    ];
    if (e.overlaps.length) {
      const p = line(`It shares ground with ${e.overlaps.join(", ")}, which stay${e.overlaps.length === 1 ? "s" : ""}.`);
      p.id = "withdraw-overlaps";
      lines.push(p);
    }
    if (e.made_from_outside) {
      const p = line(`It was made from land released outside recorded hazards, ${e.made_from_outside}: ` +
        `withdrawn, that record counts again in Form 1(i) of ${e.outside_released.slice(0, 4)}, ` +
        `${m2(e.outside_m2)} apart as land released outside recorded hazards. ` +
        "Withdraw it too, on the list of such land, if it was recorded in error.");
      p.id = "withdraw-outside";
      lines.push(p);
    }
    lines.push(line(`The figures change for ${yearsSaid(e.years)}.`));
    return [...lines, ...finalised(e)];
  }

  async function open(button) {
    kind = button.dataset.kind;
    reference = button.dataset.ref;
    opener = button;
    dialog.dataset.kind = kind;
    document.getElementById("withdraw-what").textContent = kind;
    document.getElementById("withdraw-ref").textContent = reference;
    for (const part of dialog.querySelectorAll("[data-for]")) part.hidden = part.dataset.for !== kind;
    effectBox.replaceChildren(line("Counting what it changes…"));
    error.textContent = "";
    reason.value = "";
    reason.placeholder = kind === "hazard"
      ? "e.g. the same hazard as CHA-0001204, recorded again by the survey team"
      : "e.g. the same clearance was sent again as LR-0009120";
    yes.disabled = true;
    dialog.returnValue = "";
    dialog.showModal();
    let response = null;
    let data = {};
    try {
      response = await fetch(url(reference), { headers: { Accept: "application/json" } });
      data = await response.json();
    } catch (_) {
      /* said below */
    }
    if (!response || !response.ok) {
      effectBox.replaceChildren(line(data.detail || `The server answered ${response ? response.status : "nothing"}.`));
      return;
    }
    effectBox.replaceChildren(...(kind === "hazard" ? hazardEffect(data) : releaseEffect(data)));
    yes.disabled = false;
  }

  for (const button of document.querySelectorAll("button.withdraw-release, button.withdraw-hazard")) {
    button.addEventListener("click", () => open(button));
  }
  dialog.addEventListener("close", () => {
    if (opener) opener.focus();
  });

  // the request for a reason goes once one is typed: it had stayed under the filled field
  // (a reviewer's review, helper-107)
  reason.addEventListener("input", () => {
    if (reason.value.trim() && error.textContent.startsWith("Say why")) error.textContent = "";
  });

  yes.addEventListener("click", async (event) => {
    event.preventDefault(); // the dialog stays open until the server has answered
    const why = reason.value.trim();
    if (!why) {
      error.textContent = `Say why it is withdrawn: the reason is kept with the ${kind}.`;
      reason.focus();
      return;
    }
    yes.disabled = true;
    error.textContent = "";
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (csrf) headers["X-CSRF-Token"] = csrf.content;
    let response = null;
    let data = {};
    try {
      response = await fetch(url(reference), { method: "POST", headers, body: JSON.stringify({ reason: why }) });
      data = await response.json();
    } catch (_) {
      /* said below */
    }
    if (response && response.ok) {
      sessionStorage.setItem(doneKey, kind === "hazard"
        ? `Hazard ${data.hazard} withdrawn: it counts in no figure on any date.`
        : `Release ${data.release} withdrawn. Remaining in ${data.hazard} today: ${m2(data.remaining_after_m2)}.`);
      window.location.reload();
      return;
    }
    error.textContent = data.detail || data.title || `The server answered ${response ? response.status : "nothing"}.`;
    yes.disabled = false;
  });
})();
