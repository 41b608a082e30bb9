// An image set's admin page: its photos on a Leaflet map, a marker each (grey when disabled),
// with the photo's thumbnail (an admin-only URL) and a link to its page in the popup.
// Everything from data goes in as text (textContent, attributes), never as HTML.
// The wheel scrolls the page until the map is clicked or focused (Tab): only then does it zoom the
// map, until the map loses focus again; a page scrolled past the map is never caught by it.
// The admin loads its media in the head: start once the page is parsed.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  const element = document.getElementById("photo-map");
  if (!element || !window.L) return;
  const map = L.map(element, { worldCopyJump: true, scrollWheelZoom: false }).setView([20, 0], 1);
  // A press (Leaflet then focuses the map) or Tab turns the wheel to the map; focus leaving the map and
  // its popups (a click elsewhere on the page) gives it back to the page.
  const wheelToMap = () => map.scrollWheelZoom.enable();
  element.addEventListener("mousedown", wheelToMap);
  element.addEventListener("focusin", wheelToMap);
  element.addEventListener("focusout", (event) => {
    if (!element.contains(event.relatedTarget)) map.scrollWheelZoom.disable();
  });

  fetch(element.dataset.world, { credentials: "same-origin" })
    .then((response) => (response.ok ? response.json() : null))
    .then((world) => {
      if (world) L.geoJSON(world, { style: { color: "#888", weight: 1, fillColor: "#eee", fillOpacity: 1 }, interactive: false }).addTo(map).bringToBack();
    })
    .catch(() => {}); // the outlines are a backdrop: the photos show without them

  function popup(photo) {
    const box = document.createElement("div");
    const link = Object.assign(document.createElement("a"), { href: photo.url });
    link.append(Object.assign(document.createElement("img"), { src: photo.thumbnail, alt: "photo " + photo.id, width: 200 }));
    const caption = document.createElement("div");
    caption.textContent = "#" + photo.id + (photo.place ? " " + photo.place : "") + (photo.enabled ? "" : " (disabled)");
    box.append(link, caption);
    return box;
  }

  fetch(element.dataset.points, { credentials: "same-origin" })
    .then((response) => response.json())
    .then((data) => {
      const markers = data.photos.map((photo) =>
        L.circleMarker([photo.lat, photo.lon], { radius: 5, color: photo.enabled ? "#c0392b" : "#777", weight: 1, fillOpacity: 0.8 }).bindPopup(() => popup(photo))
      );
      const group = L.featureGroup(markers).addTo(map);
      if (markers.length) map.fitBounds(group.getBounds(), { padding: [20, 20], maxZoom: 8 });
    });
});
