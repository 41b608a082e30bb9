/* Small coverage maps of each image set (coarse cells, never exact photo positions), the duel button of the
   set chosen (each set has its own worldNET, and one without it has no duels yet), and the name for joining a party. */
"use strict";

(function () {
  const cfg = GeoMaps.config("map-config");
  for (const node of document.querySelectorAll(".coverage")) {
    const cells = JSON.parse(document.getElementById(node.dataset.cellsId).textContent);
    const map = GeoMaps.basemap(node, Object.assign({}, cfg, { zoom: 0, map: { zoomControl: false, dragging: false, scrollWheelZoom: false, doubleClickZoom: false, boxZoom: false, keyboard: false, attributionControl: false, minZoom: 0 } }));
    map.setView([15, 10], 0);
    const most = Math.max(1, ...cells.map((c) => c.count));
    for (const c of cells) {
      L.rectangle([[c.south, c.west], [c.south + c.size, c.west + c.size]], { weight: 0, fillColor: "#c0392b", fillOpacity: 0.25 + 0.6 * (c.count / most), interactive: false }).addTo(map);
    }
  }

  const duelButton = document.querySelector("button.duel");
  const duelNote = document.getElementById("duel-note");
  const chosen = () => {
    const set = document.querySelector("input[name=image_set]:checked");
    const ready = Boolean(set) && set.dataset.duel === "yes";
    if (duelButton) duelButton.disabled = !ready;
    if (duelNote) duelNote.hidden = ready;
  };
  for (const input of document.querySelectorAll("input[name=image_set]")) input.addEventListener("change", chosen);
  chosen();

  // Joining a friend's party by code: with the name typed in the form above (the join page asks for one otherwise).
  const joinName = document.getElementById("join-name");
  const nameInput = document.querySelector("input[name=player_name]:not([type=hidden])");
  if (joinName && nameInput) joinName.form.addEventListener("submit", () => { joinName.value = nameInput.value; });
})();
