// Approve or reject a submission through the API, and show what came back.
(function () {
  const form = document.getElementById("decide");
  if (!form) return;
  const id = form.dataset.id;
  const outcome = document.getElementById("outcome");

  async function post(path, body) {
    const response = await fetch(`/api/v1/submissions/${id}/${path}`, {
      method: "POST",
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await response.json().catch(() => ({}));
    if (response.ok) {
      outcome.className = "ok";
      outcome.textContent = `Submission ${id}: ${data.status || path + "d"}.`;
      document.getElementById("status").textContent = data.status || "";
      form.remove();
    } else {
      outcome.className = "bad";
      outcome.textContent = data.detail || data.title || `The server answered ${response.status}.`;
    }
  }

  document.getElementById("approve").addEventListener("click", () => post("approve"));
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
