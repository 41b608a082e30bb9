// A background job's admin page (import jobs, training runs: geoguess/jobs): polls the job's
// progress JSON every second while it runs and fills in the panel's facts, bars and problems and
// the log's new lines, as text (never as HTML: problems and log lines quote file and place names
// from uploaded data). When the job ends, the page reloads once so every field shows its final
// value. The admin puts this file in the page's head, so it starts once the document is parsed.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  const panel = document.querySelector("[data-job-progress]");
  if (!panel || panel.dataset.finished === "true") return;
  const log = document.querySelector("pre[data-job-log]");
  // Where the page's log ends, in the server's characters: each poll asks for what came after.
  let logLength = log ? Number(log.dataset.length) || 0 : 0;
  let delay = 1000;

  function showFact(element, value) {
    if (value !== null && typeof value === "object") {
      // A link: its text as text, its address from the server (an admin URL).
      const link = document.createElement("a");
      link.textContent = value.text;
      link.href = value.href;
      element.replaceChildren(link);
    } else {
      element.textContent = value === null ? "–" : String(value);
    }
  }

  function show(state) {
    panel.querySelectorAll("[data-fact]").forEach(function (element) {
      if (element.dataset.fact in state.facts) showFact(element, state.facts[element.dataset.fact]);
    });
    panel.querySelectorAll("progress[data-bar]").forEach(function (bar) {
      const value = state.bars[bar.dataset.bar];
      if (value) {
        bar.max = Math.max(value.max, 1e-9);
        bar.value = value.value;
      }
    });
    const problems = panel.querySelector("[data-list=problems]");
    if (problems) {
      problems.replaceChildren(...state.problems.map((text) => Object.assign(document.createElement("li"), { textContent: text })));
    }
    if (log && state.log && (state.log.from === 0 || state.log.text)) {
      const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
      if (state.log.from === 0) log.textContent = state.log.text;
      else log.appendChild(document.createTextNode(state.log.text));
      if (atBottom) log.scrollTop = log.scrollHeight;
    }
    if (state.log) logLength = state.log.length;
    panel.dataset.status = state.status;
  }

  function poll() {
    const url = panel.dataset.progressUrl + "?log_from=" + logLength;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (state) {
        show(state);
        if (state.finished) {
          // The rest of the page (title, finish time, what it made) was drawn while the job ran: draw it again.
          window.location.reload();
          return;
        }
        delay = 1000;
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        // The site restarting, a dropped connection: try again, less often, up to every 30 s.
        delay = Math.min(delay * 2, 30000);
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, delay);
});
