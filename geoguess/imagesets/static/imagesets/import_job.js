// An import job's admin page: asks the job's status URL every second and fills in the counts,
// the stage and the problems, until the job has finished. Text only (textContent): the
// problems quote file names from the upload.
// The admin loads its media in the head: start once the page is parsed.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  const box = document.getElementById("import-progress");
  if (!box) return;
  let delay = 1000;

  function show(state) {
    for (const element of box.querySelectorAll("[data-field]")) {
      const name = element.dataset.field;
      if (name === "problems") {
        element.replaceChildren(...state.problems.map((text) => Object.assign(document.createElement("li"), { textContent: text })));
      } else if (name === "link") {
        if (state.image_set_url && !element.querySelector("a")) {
          element.replaceChildren(Object.assign(document.createElement("a"), { href: state.image_set_url, textContent: "the image set", id: "import-image-set" }));
        }
      } else if (name in state) {
        element.textContent = state[name] === null ? "-" : String(state[name]);
      }
    }
    for (const bar of box.querySelectorAll("progress[data-bar]")) {
      bar.max = Math.max(state.total, 1);
      bar.value = state[bar.dataset.bar];
    }
  }

  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then((state) => {
        show(state);
        delay = 1000;
        if (!state.finished) window.setTimeout(poll, delay);
        // The rest of the page (title, finish time, the set) was drawn while the job ran: draw it again.
        else if (box.dataset.finished !== "true") window.location.reload();
      })
      .catch(() => {
        delay = Math.min(delay * 2, 30000); // back off while the site is unreachable, then go on
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, delay);
});
