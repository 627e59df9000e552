// Approve or reject a submission through the API, choose whether reports note it while
// it awaits review, and show what came back.
(function () {
  const form = document.getElementById("decide");
  if (!form) return;
  const id = form.dataset.id;
  const outcome = document.getElementById("outcome");
  const noted = document.getElementById("noted");

  // The session's CSRF token: changes made from a signed-in browser must carry it.
  const csrf = document.querySelector('meta[name="csrf-token"]');

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

  async function post(path, body) {
    const headers = body ? { "Content-Type": "application/json" } : {};
    if (csrf) headers["X-CSRF-Token"] = csrf.content;
    const response = await fetch(`/api/v1/submissions/${id}/${path}`, {
      method: "POST",
      headers,
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await response.json().catch(() => ({}));
    if (response.ok) {
      outcome.className = "ok";
      outcome.textContent = `Submission ${id}: ${data.status || path + "d"}.`;
      document.getElementById("status").textContent = data.status || "";
      form.remove();
      if (noted) noted.closest("p").remove();
    } else {
      outcome.className = "bad";
      outcome.textContent = data.detail || data.title || `The server answered ${response.status}.`;
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
  document.getElementById("reject").addEventListener("click", () => {
    const reason = document.getElementById("reason").value.trim();
    if (!reason) {
      outcome.className = "bad";
      outcome.textContent = "Give the operator a reason for rejecting.";
      return;
    }
    post("reject", { reason });
  });
})();
