/* Every round of a finished game on one map, each answer numbered by its round; and, while worldNET is
   still guessing some rounds, its guesses and then the verdict as they land (the server decides both). */
"use strict";

(function () {
  const cfg = GeoMaps.config("summary-config");
  const mapEl = document.getElementById("map");
  const map = GeoMaps.basemap("map", Object.assign({}, cfg, { map: { minZoom: 0, zoomSnap: 0 } }));
  // The answers are rings in a pane above every guess, as on the reveal: a guess right on one leaves it visible.
  map.createPane("answers").style.zIndex = 480;
  map.createPane("round-numbers").style.zIndex = 490;
  const points = [];
  const guesses = L.layerGroup().addTo(map);
  const shown = new Set(); // "kind:index" of the guesses drawn
  const pins = [];

  function answer(latlng, n, place) {
    const ring = L.circleMarker(latlng, {
      radius: 11, color: GeoMaps.COLORS.truth, weight: 4, fillColor: "#fff", fillOpacity: 0.9, className: "pin-truth", pane: "answers",
    });
    GeoMaps.textTooltip(ring, "round " + n + ": " + (place || "the answer"));
    // The round's number inside its ring: a text node (place names and numbers never go in as markup).
    const label = document.createElement("span");
    label.textContent = String(n);
    const number = L.marker(latlng, { icon: L.divIcon({ className: "round-number", html: label, iconSize: [22, 22] }), pane: "round-numbers", interactive: false });
    return [ring, number];
  }

  function addGuess(round, kind, guess) {
    if (!guess || shown.has(kind + ":" + round.index)) return;
    shown.add(kind + ":" + round.index);
    const truth = L.latLng(round.truth.lat, round.truth.lon);
    const at = GeoMaps.near(truth, L.latLng(guess.lat, guess.lon));
    GeoMaps.line(at, truth, kind).addTo(guesses);
    pins.push(GeoMaps.pin(at, kind, (kind === "player" ? "you" : "worldNET") + ", round " + (round.index + 1) + ": " + GeoFormat.km(guess.distance_km)).addTo(guesses));
    for (const pin of pins) pin.bringToFront(); // every pin above every line, whenever a guess comes
    points.push(at);
  }

  for (const round of cfg.rounds) {
    addGuess(round, "player", round.player);
    addGuess(round, "worldnet", round.worldnet);
    const truth = L.latLng(round.truth.lat, round.truth.lon);
    for (const layer of answer(truth, round.index + 1, round.truth.place)) layer.addTo(map);
    points.push(truth);
  }
  const fit = () => {
    map.invalidateSize({ animate: false, pan: false });
    // The left edge clear of the zoom buttons too (round numbers are drawn beside each ring).
    if (points.length) map.fitBounds(L.latLngBounds(points), { paddingTopLeft: [64, 36], paddingBottomRight: [36, 36], maxZoom: 6, animate: false });
    else map.fitBounds([[-50, -170], [72, 180]], { animate: false });
    GeoMaps.fillHeight(map);
  };
  new ResizeObserver(fit).observe(mapEl);

  /* worldNET still guessing: ask until every round has its guess, then show the verdict. */
  function update(state) {
    for (const round of state.rounds) {
      if (!round.worldnet) continue;
      const cell = document.querySelector('.ai-round[data-index="' + round.index + '"]');
      if (cell) cell.textContent = GeoFormat.km(round.worldnet.distance_km) + " · " + GeoFormat.number(round.worldnet.points);
      addGuess(cfg.rounds.find((r) => r.index === round.index), "worldnet", round.worldnet);
    }
    document.getElementById("ai-total").textContent = GeoFormat.number(state.worldnet_total);
    const waiting = document.getElementById("ai-waiting");
    if (state.headline) {
      document.getElementById("verdict").textContent = state.headline;
      waiting.hidden = true;
    } else {
      waiting.textContent = "still guessing " + state.waiting + " of " + state.rounds.length + " round" + (state.rounds.length === 1 ? "" : "s")
        + ": its total and the verdict come when it has played them all";
    }
  }
  function poll(attempt) {
    setTimeout(() => {
      fetch(cfg.stateUrl, { cache: "no-store" })
        .then((r) => r.json().then((body) => ({ ok: r.ok, body })))
        .then(({ ok, body }) => {
          if (!ok) return; // refused (no longer this session's game): nothing more to learn by asking
          update(body);
          if (!body.worldnet_complete) poll(attempt + 1);
        })
        .catch(() => poll(attempt + 1));
    }, Math.min(8000, 1000 * Math.pow(1.4, attempt)));
  }
  if (!cfg.complete && cfg.stateUrl) poll(0);

  const copy = document.getElementById("copy");  // none on today's daily summary: its link opens tomorrow
  if (copy) copy.addEventListener("click", () => {
    const input = document.getElementById("challenge-url");
    input.select();
    (navigator.clipboard ? navigator.clipboard.writeText(input.value) : Promise.reject()).then(
      () => { copy.textContent = "Copied"; },
      () => { document.execCommand("copy"); copy.textContent = "Copied"; }
    );
  });
})();
