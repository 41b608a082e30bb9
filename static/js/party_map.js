/* The party's map: the player's pin while a round is played, then the reveal (the answer, every player's
   pin, worldNET's pin and candidates), fitted to all of them as round.js fits its reveal.

   The map is fitted again after every change of its size (a ResizeObserver on its element), so Leaflet's
   idea of the map's size is never stale and no pin of the reveal is off screen. Names are text (tooltips
   through GeoMaps.textTooltip), never HTML. */
"use strict";

window.GeoPartyMap = (function () {
  const WORLD = L.latLngBounds([[-50, -170], [72, 180]]);
  // Other players' pins: colours apart from the answer's green, the player's blue and worldNET's purple.
  const PALETTE = ["#d35400", "#c0392b", "#16a085", "#b7950b", "#7f8c8d", "#e84393", "#6c5ce7", "#00838f", "#a04000", "#2d3436"];

  function create(cfg, mapId) {
    const mapEl = document.getElementById(mapId);
    const map = GeoMaps.basemap(mapId, Object.assign({}, cfg, { map: { minZoom: 0, zoomSnap: 0, zoomDelta: 0.5, wheelPxPerZoomLevel: 120 } }));
    map.createPane("guesses").style.zIndex = 470; // above maps.js's label (450) and pin (460) panes
    map.createPane("answer").style.zIndex = 480;
    const layers = L.layerGroup().addTo(map);
    let marker = null;
    let placeable = false;
    let onPlace = () => {};
    let userMoved = false;
    let revealBounds = null;
    let legend = null;

    function fitWorld() {
      map.fitBounds(WORLD, { animate: false, padding: [2, 2] });
      GeoMaps.fillHeight(map);
    }

    const fitReveal = () => GeoMaps.fitReveal(map, revealBounds, legend); // hidden: fitted when it is shown (the observer)

    function refit() {
      map.invalidateSize({ animate: false, pan: false });
      if (!map.getSize().x) return;
      if (revealBounds) fitReveal();
      else if (!userMoved) fitWorld();
    }
    new ResizeObserver(refit).observe(mapEl);
    for (const type of ["wheel", "pointerdown", "touchstart"]) mapEl.addEventListener(type, () => { userMoved = true; }, { passive: true });

    function place(latlng) {
      if (!placeable) return;
      if (marker) marker.setLatLng(latlng);
      else marker = GeoMaps.pin(latlng, "player", "your guess").addTo(map);
      onPlace(latlng);
    }
    /* The player's own guess as the server has it (after a reload, while the others still guess): their pin, fixed. */
    function showOwn(lat, lon) {
      placeable = false;
      const latlng = L.latLng(lat, lon);
      if (marker) marker.setLatLng(latlng);
      else marker = GeoMaps.pin(latlng, "player", "your guess").addTo(map);
    }
    map.on("click", (event) => place(event.latlng));
    mapEl.addEventListener("keydown", (event) => {
      if (event.key === " ") { event.preventDefault(); map.stop(); place(map.getCenter()); }
    });

    /* A new round: no pins, the whole world again. */
    function newRound() {
      layers.clearLayers();
      if (marker) map.removeLayer(marker);
      marker = null;
      revealBounds = null;
      userMoved = false;
      if (legend) { legend.remove(); legend = null; }
      refit();
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

    function addLegend(kinds) {
      if (legend) legend.remove();
      legend = L.control({ position: "bottomleft" });
      legend.onAdd = () => {
        const box = L.DomUtil.create("div", "legend");
        const texts = { truth: "the answer", player: "you", other: "the others", worldnet: "worldNET", candidate: "worldNET's candidates, sized by how sure" };
        for (const kind of kinds) box.append(legendItem(kind, texts[kind]));
        L.DomEvent.disableClickPropagation(box);
        return box;
      };
      legend.addTo(map);
    }

    function revealPin(latlng, kind, label, color) {
      const pin = L.circleMarker(latlng, { radius: 8, color: "#fff", weight: 2, fillColor: color || GeoMaps.COLORS[kind], fillOpacity: 1, className: "pin-" + kind, pane: "guesses" });
      pin.bindTooltip(GeoMaps.textNode(label), { permanent: true, direction: "top", offset: [0, -8], className: "pin-name" });
      return pin;
    }

    /* The reveal as the server sent it (frames.py's `reveal`): `me` is this member's id, `names` each member's name, `colors` the others'. */
    function showReveal(reveal, me, whoIs) {
      layers.clearLayers();
      if (marker) { map.removeLayer(marker); marker = null; }
      placeable = false;
      const truth = L.latLng(reveal.truth.lat, reveal.truth.lon);
      const shown = [truth];
      const kinds = new Set(["truth"]);
      for (const guess of reveal.guesses) {
        if (guess.lat === null || guess.lon === null) continue; // timed out: no pin
        const who = whoIs(guess.member);
        if (who.worldnet) continue; // worldNET's pin comes with its candidates, below
        const at = GeoMaps.near(truth, L.latLng(guess.lat, guess.lon));
        const kind = guess.member === me ? "player" : "other";
        kinds.add(kind);
        const color = kind === "other" ? PALETTE[who.slot % PALETTE.length] : null;
        L.polyline([at, truth], { color: color || GeoMaps.COLORS.player, weight: 2, dashArray: "6 6", pane: "guesses", opacity: 0.7 }).addTo(layers);
        revealPin(at, kind, kind === "player" ? "you" : who.name, color).addTo(layers);
        shown.push(at);
      }
      const ai = reveal.worldnet;
      if (ai) {
        const aiAt = GeoMaps.near(truth, L.latLng(ai.lat, ai.lon));
        const circles = GeoMaps.candidateCircles(ai.candidates || [], truth, layers);
        shown.push(...circles);
        if (circles.length) kinds.add("candidate");
        GeoMaps.line(aiAt, truth, "worldnet").addTo(layers);
        revealPin(aiAt, "worldnet", "worldNET").addTo(layers);
        shown.push(aiAt);
        kinds.add("worldnet");
      }
      const ring = L.circleMarker(truth, { radius: 11, color: GeoMaps.COLORS.truth, weight: 4, fillColor: "#fff", fillOpacity: 0.35, className: "pin-truth", pane: "answer" });
      GeoMaps.textTooltip(ring, "the answer");
      ring.addTo(layers);
      addLegend(["truth", "player", "other", "worldnet", "candidate"].filter((k) => kinds.has(k)));
      revealBounds = L.latLngBounds(shown);
      refit();
    }

    return {
      map,
      newRound,
      showReveal,
      showOwn,
      refit,
      setPlaceable(on) { placeable = on; mapEl.classList.toggle("placing", on); },
      onPlace(callback) { onPlace = callback; },
      pin() { return marker ? marker.getLatLng().wrap() : null; },
    };
  }

  return { create, PALETTE };
})();
