/* One round: place a pin, guess (button or Enter), then the reveal beside worldNET's guess. */
"use strict";

(function () {
  const cfg = GeoMaps.config("round-config");
  const map = GeoMaps.basemap("map", cfg);
  const guessButton = document.getElementById("guess");
  const hint = document.getElementById("hint");
  const errorBox = document.getElementById("error");
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  let marker = null;
  let done = false;

  function place(latlng) {
    if (done) return;
    if (marker) marker.setLatLng(latlng);
    else marker = GeoMaps.pin(latlng, "player", "your guess").addTo(map);
    guessButton.disabled = false;
    hint.textContent = "Move the pin as often as you like. Enter or the button to guess.";
  }

  map.on("click", (event) => place(event.latlng));
  document.getElementById("map").addEventListener("keydown", (event) => {
    if (event.key === " ") { event.preventDefault(); place(map.getCenter()); }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !done && marker && event.target.tagName !== "BUTTON") { event.preventDefault(); submit(); }
  });
  guessButton.addEventListener("click", () => submit());

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  function submit(timedOut) {
    if (done || (!marker && !timedOut)) return;
    done = true;
    guessButton.disabled = true;
    const latlng = marker ? marker.getLatLng().wrap() : null;
    fetch(cfg.guessUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ index: cfg.index, lat: latlng ? latlng.lat : null, lon: latlng ? latlng.lng : null }),
    })
      .then((response) => response.json().then((data) => ({ ok: response.ok, data })))
      .then(({ ok, data }) => {
        if (ok) return reveal(data);
        if (data.error && data.error.startsWith("time is up")) return fetch(cfg.revealUrl).then((r) => r.json()).then(reveal);
        done = false;
        guessButton.disabled = !marker;
        showError(data.error || "That did not work; try again.");
      })
      .catch(() => { done = false; guessButton.disabled = !marker; showError("The server could not be reached; try again."); });
  }

  /* --- countdown --- */
  if (cfg.timeLimit && cfg.secondsLeft !== null) {
    const timer = document.getElementById("timer");
    const deadline = Date.now() + cfg.secondsLeft * 1000;
    const tick = () => {
      if (done) return;
      const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      timer.textContent = left + " s";
      timer.classList.toggle("urgent", left <= 10);
      if (left <= 0) submit(true);
      else setTimeout(tick, 250);
    };
    tick();
  }

  /* --- the reveal --- */
  const layers = L.layerGroup().addTo(map);

  function reveal(data) {
    document.getElementById("reveal").hidden = false;
    document.querySelector(".actions").hidden = true;
    const truth = L.latLng(data.truth.lat, data.truth.lon);
    layers.clearLayers();
    if (marker) map.removeLayer(marker);
    const shown = [truth];
    GeoMaps.pin(truth, "truth", "the answer").addTo(layers);
    if (data.player) {
      const you = GeoMaps.near(truth, L.latLng(data.player.lat, data.player.lon));
      GeoMaps.pin(you, "player", "you").addTo(layers);
      GeoMaps.line(you, truth, "player").addTo(layers);
      shown.push(you);
    }
    document.getElementById("you-km").textContent = data.timed_out ? "time ran out" : GeoMaps.km(data.player && data.player.distance_km);
    document.getElementById("you-points").textContent = data.player_points;
    document.getElementById("truth-place").textContent = [data.truth.place, data.truth.country].filter(Boolean).join(", ") || (truth.lat.toFixed(2) + ", " + truth.lng.toFixed(2));
    const score = document.getElementById("score");
    score.textContent = String(Number(score.textContent) + data.player_points);
    map.invalidateSize(); // the reveal panel took room from the map
    showWorldnet(data, truth, shown);
    map.fitBounds(L.latLngBounds(shown).pad(0.3), { maxZoom: 8 });
    const next = document.getElementById("next");
    next.focus();
    next.onclick = () => { window.location.href = cfg.index + 1 >= cfg.rounds ? cfg.summaryUrl : cfg.nextUrl; };
  }

  function showWorldnet(data, truth, shown) {
    const thinking = document.getElementById("thinking");
    if (!data.worldnet) {
      thinking.hidden = false;
      document.getElementById("ai-km").textContent = "thinking…";
      setTimeout(() => fetch(cfg.revealUrl).then((r) => r.json()).then((fresh) => showWorldnet(fresh, truth, shown)), 1500);
      return;
    }
    thinking.hidden = true;
    const ai = GeoMaps.near(truth, L.latLng(data.worldnet.lat, data.worldnet.lon));
    GeoMaps.pin(ai, "worldnet", "worldNET").addTo(layers);
    GeoMaps.line(ai, truth, "worldnet").addTo(layers);
    document.getElementById("ai-km").textContent = GeoMaps.km(data.worldnet.distance_km);
    document.getElementById("ai-points").textContent = data.worldnet.points + " points";
    const bars = document.getElementById("ai-top");
    bars.replaceChildren(); // every label below is set as text: place names come from uploaded data
    if (data.worldnet.top.length) {
      const title = document.createElement("p");
      title.textContent = "worldNET was torn between:";
      bars.appendChild(title);
    }
    for (const candidate of data.worldnet.top) {
      const row = document.createElement("div");
      row.className = "candidate";
      const label = document.createElement("span");
      label.textContent = candidate.place;
      const fill = document.createElement("span");
      fill.className = "fill";
      fill.style.width = Math.max(2, Math.round(candidate.probability * 100)) + "%";
      const value = document.createElement("span");
      value.className = "value";
      value.textContent = Math.round(candidate.probability * 100) + "%";
      row.append(label, fill, value);
      bars.appendChild(row);
    }
    shown.push(ai);
    map.fitBounds(L.latLngBounds(shown).pad(0.3), { maxZoom: 8 });
  }
})();
