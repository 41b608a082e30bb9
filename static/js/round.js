/* One round: study the image, place a pin, guess (button or Enter), then the reveal beside worldNET's guess.

   The map is fitted again after every change of its size (a ResizeObserver on its element: the
   reveal's layout, worldNET's guess arriving late, a phone's toolbar, full screen), so Leaflet's
   idea of the map's size is never stale and the reveal's pins are never off screen. */
"use strict";

(function () {
  const cfg = GeoMaps.config("round-config");
  const mapEl = document.getElementById("map");
  // Any zoom, not a multiple of a step (zoomSnap 0): the whole inhabited world fits the map's width exactly, a
  // phone's included, where a zoom rounded down to a step left a band of nothing below the world.
  const map = GeoMaps.basemap("map", Object.assign({}, cfg, { map: { minZoom: 0, zoomSnap: 0, zoomDelta: 0.5, wheelPxPerZoomLevel: 120 } }));
  const WORLD = L.latLngBounds([[-50, -170], [72, 180]]);
  const roundEl = document.getElementById("round");
  const guessButton = document.getElementById("guess");
  const hint = document.getElementById("hint");
  const errorBox = document.getElementById("error");
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  const viewer = GeoViewer.create(document.getElementById("viewer"));
  const street = document.getElementById("street");
  const shape = () => roundEl.classList.toggle("wide-photo", street.naturalWidth > 1.6 * street.naturalHeight);
  if (street.complete && street.naturalWidth) shape();
  else street.addEventListener("load", shape);
  // A phone or tablet with no mouse or keyboard: the hints speak of taps, not clicks and keys.
  const touchOnly = window.matchMedia("(pointer: coarse)").matches && !window.matchMedia("(any-pointer: fine)").matches;
  // The hints' words; a mode may have its own (a country streak's: streak.js).
  const HINTS = Object.assign({
    touch: "Tap the map to place your pin, then tap Guess.",
    placed: "Move the pin as often as you like. Enter or the button to guess.",
    placedTouch: "Move the pin as often as you like, then tap Guess.",
  }, (window.GeoStreak && GeoStreak.hints) || {});
  if (touchOnly) hint.textContent = HINTS.touch;
  let marker = null;
  let done = false;
  let autoGuessed = false; // the countdown ran out and took the pin as the guess
  let userMoved = false; // once the player pans or zooms, a resize no longer re-fits the world
  let revealBounds = null; // what the reveal must show; set from the reveal on
  let legend = null;

  function fitWorld() {
    map.fitBounds(WORLD, { animate: false, padding: [2, 2] }); // a hair more than the world: rounding never cuts an edge
    GeoMaps.fillHeight(map);
  }

  /* The reveal's points inside the map, clear of its edges, its zoom buttons and its legend. */
  const fitReveal = () => GeoMaps.fitReveal(map, revealBounds, legend);

  function refit() {
    map.invalidateSize({ animate: false, pan: false });
    if (revealBounds) fitReveal();
    else if (!userMoved) fitWorld();
  }
  new ResizeObserver(refit).observe(mapEl);
  for (const type of ["wheel", "pointerdown", "touchstart"]) mapEl.addEventListener(type, () => { userMoved = true; }, { passive: true });

  /* --- placing the pin: a click, or the keyboard's crosshair and Space --- */
  function place(latlng) {
    if (done) return;
    if (marker) marker.setLatLng(latlng);
    else marker = GeoMaps.pin(latlng, "player", "your guess").addTo(map);
    guessButton.disabled = false;
    hint.textContent = touchOnly ? HINTS.placedTouch : HINTS.placed;
  }

  const crosshair = document.createElement("div");
  crosshair.className = "crosshair";
  crosshair.setAttribute("aria-hidden", "true");
  mapEl.appendChild(crosshair);
  function keyboardMode(on) { mapEl.classList.toggle("keyboard", on && !done); }

  map.on("click", (event) => place(event.latlng));
  mapEl.addEventListener("keydown", (event) => {
    if (event.key.startsWith("Arrow") || event.key === "+" || event.key === "-" || event.key === "=") { keyboardMode(true); userMoved = true; }
    if (event.key === " ") {
      event.preventDefault();
      keyboardMode(true);
      map.stop(); // an arrow key's pan may still be moving the map: the pin goes where the crosshair is now
      place(map.getCenter());
    }
  });
  // Leaflet focuses the map itself on a mouse press, and Chromium then counts the focus as
  // :focus-visible: a focus just after a press is the pointer's, not the keyboard's.
  let pressedAt = -Infinity;
  mapEl.addEventListener("focus", () => { if (mapEl.matches(":focus-visible") && performance.now() - pressedAt > 1000) keyboardMode(true); });
  mapEl.addEventListener("pointerdown", () => { pressedAt = performance.now(); keyboardMode(false); }, { capture: true });
  mapEl.addEventListener("blur", () => keyboardMode(false));

  document.addEventListener("keydown", (event) => {
    const tag = event.target.tagName;
    if (event.key === "Enter" && !done && marker && tag !== "BUTTON") { event.preventDefault(); submit(); return; }
    // Nothing focused: the keys study the image (+ and - zoom it, F shows it full screen).
    if (event.target === document.body && !done) viewer.onKey(event);
  });
  guessButton.addEventListener("click", () => submit());

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
  }
  function clearError() {
    errorBox.hidden = true;
    errorBox.textContent = "";
  }

  /* What the page does with each refusal of the round API, by its code (geoguess/game/errors.py; a test
     checks that every code the API can send has an entry): "reveal" the round (it is over: scored, or 0
     for a late guess), "reload" the game where the server stands, or "show" the message (and, for a
     guess, let the player try again). */
  const ON_REFUSAL = {
    time_up: "reveal", already_guessed: "reveal",
    out_of_order: "reload", round_not_shown: "reload", round_not_found: "reload", bad_index: "reload",
    game_not_found: "show", not_your_game: "show", not_a_duel: "show",
    body_empty: "show", body_not_json: "show", body_too_large: "show", wrong_content_type: "show", wrong_fields: "show",
    bad_number: "show", pin_missing: "show", bad_latitude: "show", no_country: "show",
    answer_after_guess: "show", no_attention_map: "show",
  };
  const onRefusal = (refusal) => ON_REFUSAL[(refusal || {}).code] || "show";

  function submit(timedOut) {
    if (done || (!marker && !timedOut)) return;
    done = true;
    autoGuessed = Boolean(timedOut && marker);
    keyboardMode(false);
    guessButton.disabled = true;
    const latlng = marker ? marker.getLatLng().wrap() : null;
    fetch(cfg.guessUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ index: cfg.index, lat: latlng ? latlng.lat : null, lon: latlng ? latlng.lng : null }),
    })
      .then((response) => response.json().then((data) => ({ ok: response.ok, data })))
      .then(({ ok, data }) => {
        if (ok) { clearError(); return reveal(data); } // a refusal before this guess (a click at sea) is over
        const refusal = data.error || {};
        const action = onRefusal(refusal);
        if (action === "reveal") return fetch(cfg.revealUrl).then((r) => r.json()).then(reveal);
        if (action === "reload") { window.location.href = cfg.nextUrl; return; }
        done = false;
        guessButton.disabled = !marker;
        showError(refusal.message || "That did not work; try again.");
      })
      .catch(() => { done = false; guessButton.disabled = !marker; showError("The server could not be reached; try again."); });
  }

  /* --- countdown: the classic time limit, or a duel's countdown once worldNET locks in (duel.js) --- */
  function countdown(secondsLeft, show) {
    const deadline = Date.now() + secondsLeft * 1000;
    const tick = () => {
      if (done) return;
      const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      show(left);
      if (left <= 0) submit(true); // the server checks the time again: this only saves the player a click
      else setTimeout(tick, 250);
    };
    tick();
  }
  if (cfg.revealing) {
    // The round is played (the page was reloaded while its reveal was read): show the reveal again.
    done = true;
    fetch(cfg.revealUrl).then((r) => r.json()).then(reveal)
      .catch(() => showError("The server could not be reached; reload the page."));
  } else if (cfg.mode === "duel") {
    GeoDuel.watch(cfg, { isDone: () => done, countdown, onRefusal });
  } else if (cfg.timeLimit && cfg.secondsLeft !== null) {
    const timer = document.getElementById("timer");
    countdown(cfg.secondsLeft, (left) => { timer.textContent = left + " s"; timer.classList.toggle("urgent", left <= 10); });
  }

  /* --- the reveal --- */
  const layers = L.layerGroup().addTo(map);

  /* Panes fix the reveal's z-order whatever the order things arrive in: lines and worldNET's
     candidate circles at the bottom (the overlay pane), the guesses above them, and the answer,
     a ring, above everything, so a guess right on it leaves it visible. */
  map.createPane("guesses").style.zIndex = 470; // above maps.js's label (450) and pin (460) panes
  map.createPane("answer").style.zIndex = 480;

  function revealPin(latlng, kind, label) {
    const pin = L.circleMarker(latlng, { radius: 8, color: "#fff", weight: 2, fillColor: GeoMaps.COLORS[kind], fillOpacity: 1, className: "pin-" + kind, pane: "guesses" });
    GeoMaps.textTooltip(pin, label);
    return pin;
  }

  function answerPin(latlng) {
    const ring = L.circleMarker(latlng, { radius: 11, color: GeoMaps.COLORS.truth, weight: 4, fillColor: "#fff", fillOpacity: 0.35, className: "pin-truth", pane: "answer" });
    GeoMaps.textTooltip(ring, "the answer");
    return ring;
  }

  function legendItem(kind, text) {
    const item = document.createElement("span");
    item.className = "legend-item legend-" + kind;
    const swatch = document.createElement("i");
    const label = document.createElement("span");
    label.textContent = text;
    item.append(swatch, label);
    return item;
  }

  function addLegend() {
    legend = L.control({ position: "bottomleft" });
    legend.onAdd = () => {
      const box = L.DomUtil.create("div", "legend");
      box.append(legendItem("truth", "the answer"), legendItem("player", "you"));
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    legend.addTo(map);
  }

  function reveal(data) {
    roundEl.classList.add("revealed");
    document.getElementById("reveal").hidden = false;
    document.querySelector(".actions").hidden = true;
    const truth = L.latLng(data.truth.lat, data.truth.lon);
    layers.clearLayers();
    if (marker) map.removeLayer(marker);
    const shown = [truth];
    if (data.player) {
      const you = GeoMaps.near(truth, L.latLng(data.player.lat, data.player.lon));
      GeoMaps.line(you, truth, "player").addTo(layers);
      revealPin(you, "player", "you").addTo(layers);
      shown.push(you);
    }
    answerPin(truth).addTo(layers);
    const youKm = GeoFormat.km(data.player && data.player.distance_km);
    document.getElementById("you-km").textContent = data.timed_out ? "time ran out" : autoGuessed ? youKm + ", your pin when time ran out" : youKm;
    document.getElementById("you-points").textContent = GeoFormat.number(data.player_points);
    document.getElementById("you-points-unit").textContent = data.player_points === 1 ? "point" : "points";
    const where = [data.truth.place, data.truth.country_name || data.truth.country].filter(Boolean).join(", ");
    document.getElementById("truth-place").textContent = where || (truth.lat.toFixed(2) + ", " + truth.lng.toFixed(2));
    showCredit(data.truth.credit);
    const score = document.getElementById("score");
    if (!data.streak) { // a country streak's score is its length (streak.js), not points
      score.dataset.total = String(Number(score.dataset.total) + data.player_points);
      score.textContent = GeoFormat.number(score.dataset.total);
    }
    addLegend();
    revealBounds = L.latLngBounds(shown);
    showWorldnet(data, truth);
    refit(); // the reveal panel and the legend took room: Leaflet must learn the map's new size
    const next = document.getElementById("next");
    // Whether the game ended with this round is the server's to say (a duel's end is worldNET's health, or no photo left).
    const last = data.finished;
    if (data.duel) GeoDuel.reveal(data.duel);
    if (data.streak) GeoStreak.show(data.streak);
    next.textContent = last ? "See the summary" : "Next round";
    next.focus({ preventScroll: true });
    next.onclick = () => { window.location.href = last ? cfg.summaryUrl : cfg.nextUrl; };
    if (window.matchMedia("(max-width: 800px)").matches) mapEl.scrollIntoView({ block: "start" }); // a phone: the map and the scores, not the photo
  }

  /* The photo's credit (its licence may ask for it): text nodes, and a link only to an http(s) address. */
  function showCredit(credit) {
    const line = document.getElementById("credit");
    if (!credit) return;
    const parts = ["Photo" + (credit.author ? " by " + credit.author : ""), credit.licence].filter(Boolean);
    line.replaceChildren(document.createTextNode(parts.join(", ")));
    if (/^https?:\/\//i.test(credit.source || "")) {
      const link = document.createElement("a");
      link.href = credit.source;
      link.rel = "noopener noreferrer nofollow";
      link.target = "_blank";
      link.textContent = "source";
      line.append(" (", link, ")");
    }
    line.hidden = false;
  }

  /* worldNET's guess, or "thinking" and a poll (with back-off, and a visible error) until it is stored. */
  function showWorldnet(data, truth, attempt) {
    const thinking = document.getElementById("thinking");
    attempt = attempt || 0;
    if (!data.worldnet && data.duel) {
      // A duel settles with the guess: no guess of worldNET's now means none is coming (it scored 0).
      document.getElementById("ai-km").textContent = "no guess";
      document.getElementById("ai-points").textContent = GeoFormat.points(0);
      return;
    }
    if (!data.worldnet) {
      thinking.hidden = false;
      document.getElementById("ai-km").textContent = "thinking…";
      const delay = Math.min(8000, 1000 * Math.pow(1.4, attempt));
      setTimeout(() => {
        fetch(cfg.revealUrl)
          .then((r) => r.json().then((body) => ({ ok: r.ok, body })))
          .then(({ ok, body }) => {
            // A refusal (the game gone, another session's) will not change by asking again: say it and stop.
            if (!ok) { thinking.textContent = (body.error && body.error.message) || "worldNET's guess cannot be shown."; return; }
            thinking.textContent = "worldNET is thinking… its guess appears here as soon as it is ready.";
            showWorldnet(body, truth, attempt + 1);
          })
          .catch(() => { thinking.textContent = "The server could not be reached; trying again…"; showWorldnet(data, truth, attempt + 1); });
      }, delay);
      return;
    }
    thinking.hidden = true;
    const ai = data.worldnet;
    const aiAt = GeoMaps.near(truth, L.latLng(ai.lat, ai.lon));
    const shown = [aiAt];
    shown.push(...GeoMaps.candidateCircles(ai.top, truth, layers)); // what it believed
    GeoMaps.line(aiAt, truth, "worldnet").addTo(layers);
    revealPin(aiAt, "worldnet", "worldNET").addTo(layers);
    // Its legend entries come with its pin: while it is thinking, none of its marks are on the map.
    const legendBox = legend.getContainer();
    if (!legendBox.querySelector(".legend-worldnet")) legendBox.append(legendItem("worldnet", "worldNET"), legendItem("candidate", "worldNET's candidates, sized by how sure"));
    document.getElementById("ai-km").textContent = GeoFormat.km(ai.distance_km);
    document.getElementById("ai-points").textContent = GeoFormat.points(ai.points);
    document.getElementById("ai-explain").textContent = GeoFormat.worldnetGuess(ai);
    showBars(ai.top);
    if (ai.saw) offerAttention();
    if (data.streak) GeoStreak.show(data.streak); // worldNET's streak, now that its guess is in
    revealBounds = L.latLngBounds(revealBounds.getSouthWest(), revealBounds.getNorthEast());
    for (const at of shown) revealBounds.extend(at);
    refit();
  }

  /* "What worldNET looked at": the photo with its activation map laid over it, served only now
     that the guess is stored; the same viewer shows it, so zoom and full screen still work. */
  function offerAttention() {
    const toggle = document.getElementById("ai-saw");
    if (!toggle.hidden) return; // a late guess can arrive twice: one button
    const street = document.getElementById("street");
    const plain = street.src;
    const looked = cfg.revealUrl + "/attention.jpg";
    toggle.hidden = false;
    street.addEventListener("error", () => {
      if (street.src !== looked) return;
      street.src = plain; // the map could not be had: back to the photo, and no button that fails
      toggle.hidden = true;
    });
    toggle.addEventListener("click", () => {
      const showing = toggle.getAttribute("aria-pressed") === "true";
      street.src = showing ? plain : looked;
      toggle.setAttribute("aria-pressed", String(!showing));
      toggle.textContent = showing ? "Show what worldNET looked at" : "Show the photo alone";
    });
  }

  function showBars(top) {
    const bars = document.getElementById("ai-top");
    bars.replaceChildren(); // every label below is set as text: place names come from uploaded data
    if (top.length) {
      const title = document.createElement("p");
      title.className = "bars-title";
      title.textContent = top[0].probability >= 0.6 ? "worldNET's candidates:" : "worldNET was torn between:";
      bars.appendChild(title);
    }
    for (const candidate of top) {
      const row = document.createElement("div");
      row.className = "candidate";
      const label = document.createElement("span");
      label.className = "label";
      label.textContent = candidate.place;
      label.title = candidate.place;
      const track = document.createElement("span");
      track.className = "track";
      const fill = document.createElement("span");
      fill.className = "fill";
      fill.style.width = Math.max(2, Math.round(candidate.probability * 100)) + "%";
      track.appendChild(fill);
      const value = document.createElement("span");
      value.className = "value";
      value.textContent = GeoFormat.percent(candidate.probability);
      row.append(label, track, value);
      bars.appendChild(row);
    }
  }

  window.GeoRound = { map, viewer }; // for the browser tests: Leaflet's own idea of the map's size
})();
