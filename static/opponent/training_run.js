// A training run's admin page: polls its progress JSON while it runs and fills in the facts and
// the log's new lines as text (never as HTML: log lines carry place names from uploaded data). When the run
// ends, the page reloads once so every field shows its final value. The admin puts this file in
// the page's head, so it starts once the document is parsed.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var panel = document.getElementById("training-run");
  if (!panel || panel.dataset.finished === "true") return;
  var url = panel.dataset.progressUrl;
  var bar = panel.querySelector("progress");
  var log = document.getElementById("training-run-log");
  // Where the page's log ends, in the server's characters: each poll asks for what came after.
  var logLength = log ? Number(log.dataset.length) || 0 : 0;
  var delay = 1000;

  function show(facts) {
    panel.querySelectorAll("[data-fact]").forEach(function (cell) {
      var value = facts[cell.dataset.fact];
      if (value !== undefined) cell.textContent = String(value);
    });
    if (bar) bar.value = facts.fraction;
    if (log && (facts.log_from === 0 || facts.log)) {
      var atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
      if (facts.log_from === 0) log.textContent = facts.log;
      else log.appendChild(document.createTextNode(facts.log));
      if (atBottom) log.scrollTop = log.scrollHeight;
    }
    logLength = facts.log_length;
  }

  function poll() {
    fetch(url + "?log_from=" + logLength, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (facts) {
        show(facts);
        panel.dataset.status = facts.status;
        if (facts.finished) {
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
