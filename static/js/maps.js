/* Shared map helpers: an offline basemap of country outlines (or a configured tile layer). */
"use strict";

window.GeoMaps = (function () {
  const COLORS = { truth: "#1e8449", player: "#2e86c1", worldnet: "#8e44ad" };

  function config(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : {};
  }

  function basemap(element, options) {
    const map = L.map(element, Object.assign({ worldCopyJump: true, minZoom: 1, maxZoom: 12, zoomSnap: 0.5 }, options.map || {}));
    map.setView([20, 0], options.zoom || 1.5);
    if (options.tileUrl) {
      // The attribution is the operator's own HTML (MAP_TILE_ATTRIBUTION), never data from uploads.
      L.tileLayer(options.tileUrl, { attribution: options.tileAttribution || "" }).addTo(map);
    } else {
      // No tile server: draw the shipped country outlines; the sea is the container's background.
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
    const marker = L.circleMarker(latlng, { radius: 8, color: "#fff", weight: 2, fillColor: COLORS[kind], fillOpacity: 1, className: "pin-" + kind });
    if (label) textTooltip(marker, label);
    return marker;
  }

  function line(from, to, kind) {
    return L.polyline([from, to], { color: COLORS[kind], weight: 2, dashArray: "6 6" });
  }

  function km(value) {
    if (value === null || value === undefined) return "–";
    return value < 10 ? value.toFixed(1) + " km" : Math.round(value).toLocaleString() + " km";
  }

  /* Longitude of `lng` moved by whole turns to lie nearest `ref`, so lines take the short way. */
  function near(ref, latlng) {
    let lng = latlng.lng;
    while (lng - ref.lng > 180) lng -= 360;
    while (ref.lng - lng > 180) lng += 360;
    return L.latLng(latlng.lat, lng);
  }

  return { config, basemap, pin, line, km, near, textNode, textTooltip, COLORS };
})();
