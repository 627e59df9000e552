// Following a long job the page has started (an upload's checks, an approval): the page
// sends a random token with the request and asks GET /api/v1/progress/{token} each second
// for the steps the server has told so far, as `ims import` prints them.
window.imsProgress = (function () {
  // crypto.getRandomValues, not randomUUID: the latter exists only on https pages, and a
  // national server on an isolated network is often reached over plain http.
  function token() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // The step as a sentence: "approving: recording 305,996 releases" → "Recording 305,996
  // releases"; its percentage, when it gives one ("… stored (40 %)").
  function describe(message) {
    const text = message.replace(/^approving: /, "");
    const percent = /\((\d+) %\)$/.exec(text);
    return {
      text: text.charAt(0).toUpperCase() + text.slice(1),
      percent: percent ? Number(percent[1]) : null,
    };
  }

  // Ask each second until stop() is called; onStep(step, seconds) with the latest step
  // told (null before the first) and the seconds since the page started waiting.
  function follow(id, onStep) {
    const started = Date.now();
    let latest = null;
    let stopped = false;
    async function ask() {
      try {
        const response = await fetch(`/api/v1/progress/${id}`, { headers: { Accept: "application/json" } });
        if (response.ok) {
          const data = await response.json();
          const steps = data.steps || [];
          if (steps.length) latest = describe(steps[steps.length - 1].message);
        }
      } catch (error) {
        // a missed answer is asked again a second later
      }
    }
    const timer = setInterval(async () => {
      await ask();
      if (!stopped) onStep(latest, Math.round((Date.now() - started) / 1000));
    }, 1000);
    return function stop() {
      stopped = true;
      clearInterval(timer);
    };
  }

  return { token, follow, describe };
})();
