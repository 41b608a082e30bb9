/* The party form: worldNET's seat only where the chosen image set has a worldNET, classic's rounds only for
   party classic, and a duel's seats said. The server checks all of it again (services.party_create). */
"use strict";

(function () {
  const form = document.getElementById("party-new");
  if (!form) return;
  const set = document.getElementById("party-set");
  const worldnet = document.getElementById("worldnet-in");
  const update = () => {
    const option = set.options[set.selectedIndex];
    const ready = Boolean(option) && option.dataset.worldnet === "yes";
    worldnet.disabled = !ready;
    if (!ready) worldnet.checked = false;
    document.getElementById("worldnet-note").hidden = ready;
    const mode = (form.querySelector("input[name=mode]:checked") || {}).value;
    document.getElementById("rounds-field").hidden = mode !== "classic";
    document.getElementById("seat-note").hidden = mode !== "duel";
  };
  form.addEventListener("change", update);
  update();
})();
