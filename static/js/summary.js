/* Every round of a finished game on one map. */
"use strict";

(function () {
  const cfg = GeoMaps.config("summary-config");
  const map = GeoMaps.basemap("map", cfg);
  const points = [];
  for (const round of cfg.rounds) {
    const truth = L.latLng(round.truth.lat, round.truth.lon);
    GeoMaps.pin(truth, "truth", "round " + (round.index + 1) + ": " + (round.truth.place || "the answer")).addTo(map);
    points.push(truth);
    for (const [kind, guess] of [["player", round.player], ["worldnet", round.worldnet]]) {
      if (!guess) continue;
      const at = GeoMaps.near(truth, L.latLng(guess.lat, guess.lon));
      GeoMaps.pin(at, kind, (kind === "player" ? "you" : "worldNET") + ", round " + (round.index + 1)).addTo(map);
      GeoMaps.line(at, truth, kind).addTo(map);
      points.push(at);
    }
  }
  if (points.length) map.fitBounds(L.latLngBounds(points).pad(0.2), { maxZoom: 6 });
  const copy = document.getElementById("copy");
  copy.addEventListener("click", () => {
    const input = document.getElementById("challenge-url");
    input.select();
    (navigator.clipboard ? navigator.clipboard.writeText(input.value) : Promise.reject()).then(
      () => { copy.textContent = "Copied"; },
      () => { document.execCommand("copy"); copy.textContent = "Copied"; }
    );
  });
})();
