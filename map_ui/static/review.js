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
  const dialog = document.getElementById("confirm-approve");
  document.getElementById("approve").addEventListener("click", () => {
    if (!dialog || typeof dialog.showModal !== "function") {
      const text = document.getElementById("confirm-text");
      if (window.confirm(text ? text.textContent : "Approve this submission?")) post("approve");
      return;
    }
    dialog.returnValue = "";
    dialog.showModal();
  });
  if (dialog) {
    dialog.addEventListener("close", () => {
      if (dialog.returnValue === "approve") post("approve");
      else document.getElementById("approve").focus();
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
