/* Shared map helpers: the offline basemap (basemap.js; or a configured tile layer), pins and lines. */
"use strict";

window.GeoMaps = (function () {
  const COLORS = { truth: "#1e8449", player: "#2e86c1", worldnet: "#8e44ad" };

  /* Every map gets a pane for the basemap's labels and one above it for pins and their lines,
     so labels sit over the land but never over a pin (both let clicks through to the map). */
  const PIN_PANE = "geomaps-pins";
  L.Map.addInitHook(function () {
    for (const [name, zIndex] of [["geomaps-labels", 450], [PIN_PANE, 460]]) {
      const pane = this.createPane(name);
      pane.style.zIndex = String(zIndex);
      if (name !== PIN_PANE) pane.style.pointerEvents = "none";
    }
  });

  const maps = []; // every map made here, in order (tests and the console reach them through GeoMaps.maps)

  function config(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : {};
  }

  function basemap(element, options) {
    const map = L.map(element, Object.assign({ worldCopyJump: true, minZoom: 1, maxZoom: 12, zoomSnap: 0.5 }, options.map || {}));
    map.setView([20, 0], options.zoom || 1.5);
    maps.push(map);
    if (options.tileUrl) {
      // The attribution is the operator's own HTML (MAP_TILE_ATTRIBUTION), never data from uploads.
      L.tileLayer(options.tileUrl, { attribution: options.tileAttribution || "" }).addTo(map);
    } else if (options.basemapUrl && window.GeoBasemap) {
      // No tile server: the shipped vector layers (outlines by zoom, labels, cities, states).
      GeoBasemap.draw(map, options.basemapUrl);
    } else {
      // No layer list: the shipped country outlines alone; the sea is the container's background.
      fetch(options.worldUrl)
        .then((response) => response.json())
        .then((world) => {
          L.geoJSON(world, { style: { color: "#8c8676", weight: 0.6, fillColor: "#efe9da", fillOpacity: 1 }, interactive: false }).addTo(map).bringToBack();
        });
    }
    return map;
  }

  /* Leaflet puts a string tooltip or popup in with innerHTML: labels hold place names from
     uploaded data, so they go in as a text node inside an element, never as markup. */
  function textNode(text) {
    const node = document.createElement("span");
    node.textContent = text;
    return node;
  }

  function textTooltip(layer, text) {
    return layer.bindTooltip(textNode(text));
  }

  function pin(latlng, kind, label) {
    const marker = L.circleMarker(latlng, { radius: 8, color: "#fff", weight: 2, fillColor: COLORS[kind], fillOpacity: 1, className: "pin-" + kind, pane: PIN_PANE });
    if (label) textTooltip(marker, label);
    return marker;
  }

  function line(from, to, kind) {
    return L.polyline([from, to], { color: COLORS[kind], weight: 2, dashArray: "6 6", pane: PIN_PANE });
  }

  /* worldNET's candidates on the map: a circle per place, its area in proportion to the probability, on the copy of
     the world nearest `truth`; each added to `layers`. Returns where they were put (for fitting the view). */
  function candidateCircles(candidates, truth, layers) {
    const placed = [];
    for (const candidate of candidates) {
      if (candidate.lat === null || candidate.lat === undefined) continue;
      const at = near(truth, L.latLng(candidate.lat, candidate.lon));
      const circle = L.circleMarker(at, {
        radius: 5 + 26 * Math.sqrt(candidate.probability), color: COLORS.worldnet, weight: 1.5, dashArray: "3 3",
        fillColor: COLORS.worldnet, fillOpacity: 0.18, className: "candidate-circle",
      });
      textTooltip(circle, candidate.place + ": " + GeoFormat.percent(candidate.probability));
      circle.addTo(layers);
      placed.push(at);
    }
    return placed;
  }

  /* No band of nothing above or below the world: a map taller than the world is at its zoom zooms in
     until the world fills its height, and the view stays within the world's edges (±85°, Mercator's). */
  const WORLD_EDGES = L.latLngBounds([[-85.0511, -1e4], [85.0511, 1e4]]);
  function fillHeight(map) {
    const height = map.getSize().y;
    const band = height - 256 * Math.pow(2, map.getZoom()); // the world is 256 px high at zoom 0
    if (band > 1) map.setZoom(Math.log2(height / 256), { animate: false });
    map.panInsideBounds(WORLD_EDGES, { animate: false });
  }

  /* Longitude of `lng` moved by whole turns to lie nearest `ref`, so lines take the short way. */
  function near(ref, latlng) {
    let lng = latlng.lng;
    while (lng - ref.lng > 180) lng -= 360;
    while (ref.lng - lng > 180) lng += 360;
    return L.latLng(latlng.lat, lng);
  }

  /* A reveal's points inside the map, clear of its edges, its legend (at the bottom) and its zoom buttons (top left): a pin's
     name is drawn centred above it, so the left edge keeps room for half a name beside the buttons. */
  const HALF_A_LABEL = 28;
  function fitReveal(map, bounds, legend) {
    const size = map.getSize();
    if (!size.x || !size.y) return; // hidden: fitted when it is shown
    const pad = Math.max(16, Math.min(48, Math.round(Math.min(size.x, size.y) / 7)));
    const zoom = map.zoomControl ? map.zoomControl.getContainer() : null;
    const left = zoom && zoom.offsetWidth ? Math.max(pad, zoom.offsetLeft + zoom.offsetWidth + HALF_A_LABEL) : pad;
    const legendHeight = legend ? legend.getContainer().offsetHeight + 10 : 0;
    map.fitBounds(bounds, { paddingTopLeft: [left, pad], paddingBottomRight: [pad, pad + legendHeight], maxZoom: 7, animate: false });
  }

  return { config, basemap, fillHeight, fitReveal, pin, line, near, candidateCircles, textNode, textTooltip, COLORS, maps };
})();
