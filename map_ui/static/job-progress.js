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

  // Ask each second until stop() is called; onStep(step, seconds, jobSeconds) with the
  // latest step told (null before the first), the seconds since the page started waiting
  // and those since the job started (null until the server has answered). A page
  // that found its job again after a reload (remembered below) also passes onEnd(answer),
  // called once the server says the job has ended (its page in answer.href, or why it
  // failed in answer.failed), and onUnknown(), called if the server knows no such job.
  function follow(id, onStep, onEnd, onUnknown) {
    const started = Date.now();
    let latest = null;
    let stopped = false;
    let ended = null;
    let elapsed = null;
    async function ask() {
      try {
        const response = await fetch(`/api/v1/progress/${id}`, { headers: { Accept: "application/json" } });
        if (response.ok) {
          const data = await response.json();
          const steps = data.steps || [];
          if (steps.length) latest = describe(steps[steps.length - 1].message);
          elapsed = data.elapsed_s;
          if (!data.running) ended = data;
        } else if (response.status === 404 && onUnknown) {
          stop();
          onUnknown();
        }
      } catch (error) {
        // a missed answer is asked again a second later
      }
    }
    const timer = setInterval(async () => {
      await ask();
      if (stopped) return;
      onStep(latest, Math.round((Date.now() - started) / 1000), elapsed);
      if (ended && onEnd) {
        stop();
        onEnd(ended);
      }
    }, 1000);
    function stop() {
      stopped = true;
      clearInterval(timer);
    }
    return stop;
  }

  // The job a page has started, kept in the tab's session: a page reloaded while its job
  // runs (an approval takes two minutes) finds the job again and shows its steps. Kept for
  // the page that started it, for an hour at most.
  const KEEP_MS = 3600 * 1000;
  function remember(kind, id, label) {
    try {
      sessionStorage.setItem(`ims-job:${kind}`,
        JSON.stringify({ id, label, page: location.pathname, at: Date.now() }));
    } catch (error) {
      // storage refused (a private window's quota): a reload then loses the steps
    }
  }
  function forget(kind) {
    try {
      sessionStorage.removeItem(`ims-job:${kind}`);
    } catch (error) {
      // nothing kept
    }
  }
  function remembered(kind) {
    try {
      const job = JSON.parse(sessionStorage.getItem(`ims-job:${kind}`) || "null");
      if (job && job.page === location.pathname && Date.now() - job.at < KEEP_MS) return job;
      if (job) forget(kind);
    } catch (error) {
      forget(kind);
    }
    return null;
  }

  return { token, follow, describe, remember, forget, remembered };
})();
