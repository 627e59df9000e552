// Approve or reject a submission through the API, choose whether reports note it while
// it awaits review, and show what came back.
(function () {
  const outcome = document.getElementById("outcome");
  // An approval done: the page was reloaded to show the submission as approved (its
  // features linked to the hazards they recorded, who approved it); say what was done.
  const decidedKey = `ims.decided.${window.location.pathname}`;
  const decided = sessionStorage.getItem(decidedKey);
  if (decided && outcome) {
    sessionStorage.removeItem(decidedKey);
    outcome.className = "ok";
    outcome.textContent = decided;
    // focused, so that it is read out: a live region filled as the page loads is not
    // announced (an accessibility review, helper-93)
    outcome.tabIndex = -1;
    outcome.focus();
  }
  const form = document.getElementById("decide");
  if (!form) return;
  const id = form.dataset.id;
  const noted = document.getElementById("noted");

  // The session's CSRF token: changes made from a signed-in browser must carry it.
  const csrf = document.querySelector('meta[name="csrf-token"]');

  // An approval refused for errors found when the file was checked again: the page was
  // reloaded to show them (and the offer to approve in part); say why it was refused.
  const refusedKey = `ims.refused.${id}`;
  const refused = sessionStorage.getItem(refusedKey);
  if (refused) {
    sessionStorage.removeItem(refusedKey);
    outcome.className = "bad";
    outcome.textContent = refused;
    outcome.tabIndex = -1;
    outcome.focus(); // read out, as the approval's outcome is
  }

  if (noted) {
    noted.addEventListener("change", async () => {
      const wanted = noted.checked;
      const headers = { "Content-Type": "application/json" };
      if (csrf) headers["X-CSRF-Token"] = csrf.content;
      const response = await fetch(`/api/v1/submissions/${id}/note`, {
        method: "POST",
        headers,
        body: JSON.stringify({ noted: wanted }),
      });
      const data = await response.json().catch(() => ({}));
      if (response.ok) {
        outcome.className = "ok";
        outcome.textContent = data.noted
          ? `Submission ${id} is noted in reports while it awaits review.`
          : `Submission ${id} is no longer noted in reports.`;
      } else {
        noted.checked = !wanted;
        outcome.className = "bad";
        outcome.textContent = data.detail || data.title || `The server answered ${response.status}.`;
      }
    });
  }

  // While an approval runs (two minutes for a national file) the buttons wait and the
  // server's steps show, as `ims import` prints them.
  const box = document.getElementById("approving");
  const bar = document.getElementById("approving-bar");
  const stepText = document.getElementById("approving-step");
  const seconds = document.getElementById("approving-time");
  const controls = Array.from(form.querySelectorAll("button, input"));
  if (noted) controls.push(noted);

  function busy(on) {
    for (const control of controls) {
      if (on) {
        control.dataset.wasDisabled = control.disabled ? "yes" : "";
        control.disabled = true;
      } else {
        control.disabled = control.dataset.wasDisabled === "yes";
      }
    }
  }

  function showStep(step, s) {
    seconds.textContent = `${s} s`;
    if (!step) return;
    if (stepText.textContent !== step.text) stepText.textContent = step.text;
    if (step.percent === null) bar.removeAttribute("value");
    else bar.value = step.percent;
  }

  function following(path) {
    if (!box || !window.imsProgress || !path.startsWith("approve")) return { query: "", stop() {} };
    const token = window.imsProgress.token();
    window.imsProgress.remember("approval", token, id);
    box.hidden = false;
    bar.removeAttribute("value");
    stepText.textContent = "Starting the approval";
    seconds.textContent = "";
    const stop = window.imsProgress.follow(token, showStep);
    return {
      query: `${path.includes("?") ? "&" : "?"}progress=${token}`,
      stop() {
        stop();
        window.imsProgress.forget("approval");
        box.hidden = true;
      },
    };
  }

  // The page was reloaded while its approval ran: the approval goes on in the server, so
  // its steps show again, the buttons wait, and the page is read again once it has ended.
  const pending = box && window.imsProgress ? window.imsProgress.remembered("approval") : null;
  if (pending) {
    box.hidden = false;
    bar.removeAttribute("value");
    stepText.textContent = "The approval started before this page was loaded goes on";
    outcome.className = "";
    outcome.textContent = `Approving submission ${id}…`;
    busy(true);
    const settle = (answer) => {
      window.imsProgress.forget("approval");
      if (!answer.failed) {
        window.location.reload(); // its status, as it is now
        return;
      }
      box.hidden = true;
      busy(false);
      outcome.className = "bad";
      outcome.textContent = answer.failed;
    };
    const sinceStart = (step, s, job) => showStep(step, Math.round(job === null ? s : job));
    window.imsProgress.follow(pending.id, sinceStart, settle, () => {
      window.imsProgress.forget("approval"); // not known (any more): the page says the status
      box.hidden = true;
      outcome.textContent = "";
      busy(false);
    });
  }

  async function post(path, body) {
    const headers = body ? { "Content-Type": "application/json" } : {};
    if (csrf) headers["X-CSRF-Token"] = csrf.content;
    const started = Date.now();
    const follow = following(path);
    if (follow.query) {
      outcome.className = "";
      outcome.textContent = `Approving submission ${id}…`;
    }
    busy(true);
    let response = null;
    let data = {};
    try {
      response = await fetch(`/api/v1/submissions/${id}/${path}${follow.query}`, {
        method: "POST",
        headers,
        body: body ? JSON.stringify(body) : undefined,
      });
      data = await response.json().catch(() => ({}));
    } catch (error) {
      data = { detail: "The connection was lost before the server answered: reload this page in a minute to see the submission's status." };
    } finally {
      follow.stop();
      busy(false);
    }
    if (response && response.ok) {
      const took = Math.round((Date.now() - started) / 1000);
      const label = data.status === "approved" && data.partial ? "approved in part" : data.status;
      outcome.className = "ok";
      // the reason given, as the page says it once reloaded (it had said only "rejected")
      const why = path === "reject" && body && body.reason ? `, for this reason: ${body.reason}` : "";
      const said = `Submission ${id}: ${label || path + "d"}${why}` + (follow.query && took >= 2 ? ` (in ${took} s)` : "");
      // one full stop: a reason typed with its own had ended "only.." (a new user's review)
      if (path.startsWith("approve")) {
        // what it recorded is linked from the page as it now is (a walk-through found the
        // features unlinked until a reload): said once it is reloaded
        sessionStorage.setItem(decidedKey, /[.!?]$/.test(said) ? said : `${said}.`);
        window.location.reload();
        return;
      }
      outcome.textContent = /[.!?]$/.test(said) ? said : `${said}.`;
      document.getElementById("status").textContent = label || "";
      // the focus to what was done, not lost with the buttons (a keyboard user's review)
      outcome.tabIndex = -1;
      outcome.focus();
      form.remove();
      if (noted) noted.closest("p").remove();
      // what was said while it awaited review no longer holds: what approving would do,
      // the offer to replace the file, the notes on approving in part
      for (const stale of document.querySelectorAll(".preview, #partial-note, #four-eyes, #checked-again, #corrects")) {
        stale.remove();
      }
      const replace = document.getElementById("replace-link");
      if (replace) replace.closest("p").remove();
    } else if (response && response.status === 409 && data.findings && path.startsWith("approve")) {
      // refused for errors: the server keeps what its check found, which this page, as
      // loaded, does not show (the errors, the offer to approve in part)
      sessionStorage.setItem(refusedKey, data.detail || "The approval was refused.");
      window.location.reload();
    } else {
      outcome.className = "bad";
      outcome.textContent = data.detail || data.title || `The server answered ${response ? response.status : "nothing"}.`;
    }
  }

  // A confirmation first, stating what would be recorded: approving cannot be undone.
  // In part: only the features without errors are recorded (the rest stay, with findings).
  const dialog = document.getElementById("confirm-approve");
  const partialNote = document.getElementById("confirm-partial");
  let action = "approve";
  let opener = document.getElementById("approve");
  function confirmApprove(partial, button) {
    action = partial ? "approve?partial=true" : "approve";
    opener = button;
    if (partialNote) partialNote.hidden = !partial;
    if (!dialog || typeof dialog.showModal !== "function") {
      const text = document.getElementById(partial ? "confirm-partial" : "confirm-text");
      if (window.confirm(text ? text.textContent : "Approve this submission?")) post(action);
      return;
    }
    dialog.returnValue = "";
    dialog.showModal();
  }
  const approve = document.getElementById("approve");
  approve.addEventListener("click", () => confirmApprove(false, approve));
  const partial = document.getElementById("approve-partial");
  if (partial) partial.addEventListener("click", () => confirmApprove(true, partial));
  if (dialog) {
    dialog.addEventListener("close", () => {
      if (dialog.returnValue === "approve") post(action);
      else opener.focus();
    });
  }
  // Rejecting is asked too: it cannot be undone either, and one click had done it.
  const rejectDialog = document.getElementById("confirm-reject");
  const reject = document.getElementById("reject");
  let reason = "";
  reject.addEventListener("click", () => {
    const field = document.getElementById("reason");
    reason = field.value.trim();
    if (!reason) {
      outcome.className = "bad";
      outcome.textContent = "Give the operator a reason for rejecting.";
      // said at the field, which takes the focus (it had stayed on Reject, the field not
      // told: a keyboard user's review)
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", "outcome");
      field.focus();
      return;
    }
    field.removeAttribute("aria-invalid");
    field.removeAttribute("aria-describedby");
    outcome.textContent = ""; // a reason is given now
    if (!rejectDialog || typeof rejectDialog.showModal !== "function") {
      if (window.confirm(`Reject this submission? The reason: ${reason}`)) post("reject", { reason });
      return;
    }
    document.getElementById("confirm-reject-reason").textContent = reason;
    rejectDialog.returnValue = "";
    rejectDialog.showModal();
  });
  if (rejectDialog) {
    rejectDialog.addEventListener("close", () => {
      if (rejectDialog.returnValue === "reject") post("reject", { reason });
      else reject.focus();
    });
  }
})();
