/* The profile's map: where the photos the player played were taken, coloured by how well they guessed each
   (red: few points, green: many). Only the owner's page has it: these are answers they have seen. */
"use strict";

(function () {
  const node = document.getElementById("profile-map");
  if (!node) return;
  const cfg = GeoMaps.config("map-config");
  const map = GeoMaps.basemap(node, cfg);
  map.setView([20, 10], 1);
  const max = JSON.parse(document.getElementById("rules").textContent).maxPoints;
  const points = cfg.points || [];
  const bounds = [];
  for (const p of points) {
    const share = Math.max(0, Math.min(1, p.points / max));
    const colour = "hsl(" + Math.round(share * 120) + ", 70%, 42%)";  // 0: red, 120: green
    const dot = L.circleMarker([p.lat, p.lon], { radius: 6, weight: 1, color: "#fff", fillColor: colour, fillOpacity: 0.9 }).addTo(map);
    GeoMaps.textTooltip(dot, p.points + " points" + (p.km === null ? "" : ", " + Math.round(p.km) + " km off"));
    bounds.push([p.lat, p.lon]);
  }
  if (bounds.length > 1) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 5 });
})();
