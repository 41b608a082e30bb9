/* Every round of a finished game on one map. */
"use strict";

(function () {
  const cfg = GeoMaps.config("summary-config");
  const mapEl = document.getElementById("map");
  const map = GeoMaps.basemap("map", Object.assign({}, cfg, { map: { minZoom: 0, zoomSnap: 0.1 } }));
  // The answers are rings in a pane above every guess, as on the reveal: a guess right on one leaves it visible.
  map.createPane("answers").style.zIndex = 480;
  const answer = (latlng, label) => GeoMaps.textTooltip(
    L.circleMarker(latlng, { radius: 10, color: GeoMaps.COLORS.truth, weight: 4, fillColor: "#fff", fillOpacity: 0.35, className: "pin-truth", pane: "answers" }), label);
  const points = [];
  const pins = [];
  for (const round of cfg.rounds) {
    const truth = L.latLng(round.truth.lat, round.truth.lon);
    const n = round.index + 1;
    for (const [kind, guess] of [["player", round.player], ["worldnet", round.worldnet]]) {
      if (!guess) continue;
      const at = GeoMaps.near(truth, L.latLng(guess.lat, guess.lon));
      GeoMaps.line(at, truth, kind).addTo(map);
      pins.push(GeoMaps.pin(at, kind, (kind === "player" ? "you" : "worldNET") + ", round " + n + ": " + GeoFormat.km(guess.distance_km)));
      points.push(at);
    }
    pins.push(answer(truth, "round " + n + ": " + (round.truth.place || "the answer")));
    points.push(truth);
  }
  for (const pin of pins) pin.addTo(map); // pins above every line
  const fit = () => {
    map.invalidateSize({ animate: false, pan: false });
    if (points.length) map.fitBounds(L.latLngBounds(points), { padding: [36, 36], maxZoom: 6, animate: false });
    else map.fitBounds([[-50, -170], [72, 180]], { animate: false });
  };
  new ResizeObserver(fit).observe(mapEl);
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
