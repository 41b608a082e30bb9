/* The offline basemap: shipped vector layers (worldnet_core/basemap.py) drawn with Leaflet.

   Each layer in the list at the page's basemapUrl (/basemap.json) is fetched once, the first time the map's
   zoom reaches its minZoom with its bbox in view: a world view fetches only the 1:110m
   countries, lakes, country labels and the biggest cities; Natural Earth 1:50m outlines
   (split by region), state and province borders and smaller towns follow on zooming in.
   Labels are text nodes (never HTML from data), placed greedily by rank so none overlap. */
"use strict";

window.GeoBasemap = (function () {
  const LABEL_MIN_ZOOM = 0.5; // a round's world view fits the world at 0.8 to 1.5; the home page's zoom-0 thumbnails stay bare
  const LAND = ["#efe7d3", "#e5ebd3", "#f2e2d5", "#e4e3ee", "#f3edcb"]; // pastel fills by map colouring
  const BORDER = { color: "#9d937d", weight: 0.7, opacity: 1 };
  const SEA = "#bcd7ea";
  const LABEL_PAD = 3; // px kept free around each label

  const measure = document.createElement("canvas").getContext("2d");
  function textWidth(text, font) {
    measure.font = font;
    return measure.measureText(text).width;
  }

  /* One request per URL per page, however many maps it has (the home page has one per image set). */
  const responses = {};
  function getJSON(url) {
    if (!responses[url]) {
      responses[url] = fetch(url, { credentials: "same-origin" }).then((response) => {
        if (!response.ok) throw new Error(url + ": " + response.status);
        return response.json();
      });
      responses[url].catch(() => { delete responses[url]; });
    }
    return responses[url];
  }

  function rows(table) {
    const index = {};
    table.columns.forEach((name, i) => { index[name] = i; });
    return table.rows.map((row) => {
      const out = {};
      for (const name in index) out[name] = row[index[name]];
      return out;
    });
  }

  /* Whether bbox [w, s, e, n] meets the view, also one turn east or west (world copies). */
  function inView(bbox, bounds) {
    const s = bounds.getSouth(), n = bounds.getNorth(), w = bounds.getWest(), e = bounds.getEast();
    if (bbox[1] > n || bbox[3] < s) return false;
    return [-360, 0, 360].some((shift) => bbox[0] + shift <= e && bbox[2] + shift >= w);
  }

  /* A GeoJSON layer drawn three times, on the world and one turn east and west of it. Labels and
     pins are placed on the copy nearest the view (a reveal's pins lie on the answer's side of
     the date line), so the land under them must be there too. Leaflet clips each path to the
     view, so a copy out of sight costs its projection only. */
  function onEveryCopy(data, options) {
    // The world itself last: a bringToBack puts it first among the paths, as before the copies.
    return L.featureGroup([360, -360, 0].map((shift) => L.geoJSON(data, Object.assign({}, options, {
      coordsToLatLng: (coords) => L.latLng(coords[1], coords[0] + shift),
    }))));
  }

  function label(text, className, dot) {
    const outer = document.createElement("div");
    if (dot) {
      const mark = document.createElement("span");
      mark.className = "map-label-dot";
      outer.appendChild(mark);
    }
    const name = document.createElement("span");
    name.className = "map-label-text";
    name.textContent = text;
    outer.appendChild(name);
    return L.divIcon({ className: "map-label " + className, html: outer, iconSize: null });
  }

  /* Fetches the layer list (one request per page), then draws from it. */
  function draw(map, indexUrl) {
    getJSON(indexUrl)
      .then((index) => drawLayers(map, index.layers, index.detailZoom))
      .catch((error) => console.error("basemap index", error));
  }

  /* detailZoom: from this zoom on, 1:50m outlines replace 1:110m (the server's, worldnet_core.basemap.DETAIL_ZOOM). */
  function drawLayers(map, layers, detailZoom) {
    const labelPane = "geomaps-labels"; // made for every map by maps.js, under the pins' pane
    const byKind = {};
    layers.forEach((layer) => { (byKind[layer.kind] = byKind[layer.kind] || []).push(layer); });
    const requested = {}, loaded = {}; // by URL, for this map (the layer objects may be shared)
    const colourOf = {}; // country name -> palette index, from the country labels
    const countryLabels = [], admin1Labels = [], cities = [];
    let world110 = null, lakes110 = null;
    const detail = L.layerGroup(), detailLakes = L.layerGroup(), admin1Lines = L.layerGroup(), labelLayer = L.layerGroup().addTo(map);

    function fill(feature) {
      if (feature.properties.lake) return { stroke: false, fillColor: SEA, fillOpacity: 1 };
      const colour = LAND[colourOf[feature.properties.name] || 0];
      return Object.assign({ fillColor: colour, fillOpacity: 1 }, BORDER);
    }

    function restyle() {
      if (world110) world110.setStyle(fill);
      detail.eachLayer((part) => part.setStyle(fill)); // lakes keep theirs
    }

    function received(layer, data) {
      loaded[layer.url] = true;
      if (layer.kind === "outline-110m") {
        world110 = onEveryCopy(data, { style: fill, interactive: false });
      } else if (layer.kind === "lakes") {
        lakes110 = onEveryCopy(data, { style: fill, interactive: false });
      } else if (layer.kind === "outline-50m") {
        // Land and lakes apart, so all lakes can be painted over all land (a part's lake may lie in another part's country).
        detail.addLayer(onEveryCopy(data, { style: fill, interactive: false, filter: (f) => !f.properties.lake }));
        detailLakes.addLayer(onEveryCopy(data, { style: fill, interactive: false, filter: (f) => Boolean(f.properties.lake) }));
      } else if (layer.kind === "admin1") {
        data.features.forEach((feature) => {
          if (feature.geometry.type === "Point") {
            const [lon, lat] = feature.geometry.coordinates;
            admin1Labels.push({ name: feature.properties.name, lat: lat, lon: lon, area_km2: feature.properties.area_km2 });
          }
        });
        admin1Lines.addLayer(onEveryCopy(data, {
          filter: (feature) => feature.geometry.type !== "Point",
          style: { color: "#a8977a", weight: 0.8, opacity: 0.9, dashArray: "4 3" },
          interactive: false,
        }));
      } else if (layer.kind === "country-labels") {
        rows(data).forEach((row) => {
          countryLabels.push(row);
          colourOf[row.name] = row.colour;
        });
        restyle();
      } else if (layer.kind === "cities") {
        // Rank: people, with a capital counted twice (it tells a player the country).
        rows(data).forEach((row) => { row.rank = row.population * (row.capital ? 2 : 1); cities.push(row); });
        cities.sort((a, b) => b.rank - a.rank);
      }
      update();
    }

    function fetchWanted() {
      const zoom = map.getZoom(), bounds = map.getBounds().pad(0.2);
      layers.forEach((layer) => {
        if (requested[layer.url] || zoom < layer.minZoom || !inView(layer.bbox, bounds)) return;
        requested[layer.url] = true;
        getJSON(layer.url)
          .then((data) => received(layer, data))
          .catch((error) => {
            delete requested[layer.url]; // try again on the next move
            console.error("basemap layer", error);
          });
      });
    }

    /* 1:50m once every part in view has arrived (until then 1:110m, never a blank map). */
    function showOutlines() {
      const bounds = map.getBounds();
      const parts = (byKind["outline-50m"] || []).filter((layer) => inView(layer.bbox, bounds));
      const useDetail = map.getZoom() >= detailZoom && parts.length > 0 && parts.every((layer) => loaded[layer.url]);
      const [on, off] = useDetail ? [[detail, detailLakes], [world110, lakes110]] : [[world110, lakes110], [detail, detailLakes]];
      off.forEach((layer) => { if (layer) map.removeLayer(layer); });
      on.forEach((layer) => { if (layer && !map.hasLayer(layer)) map.addLayer(layer); });
      if (map.getZoom() >= 3) map.addLayer(admin1Lines);
      else map.removeLayer(admin1Lines);
      // Paint order in the overlay pane: land, then lakes over it, then state lines; pins have a pane of
      // their own. Each bringToBack goes under everything before it, so lakes first, then land.
      const inGroup = (group) => group.getLayers();
      [lakes110, ...inGroup(detailLakes), world110, ...inGroup(detail)].forEach((layer) => { if (layer && map.hasLayer(layer)) layer.bringToBack(); });
      admin1Lines.eachLayer((lines) => lines.bringToFront());
    }

    /* Candidates by rank: countries by area, then states, then cities by population (capitals
       first); each zoom has a floor so a view never fills up with small places. */
    function candidates(zoom) {
      const list = [];
      if (zoom < LABEL_MIN_ZOOM) return list;
      // Floors fall fourfold a zoom level, as areas on screen grow: at zoom 1, 1.2 million km² and 20 million people.
      const minCountryKm2 = 1.2e6 / Math.pow(4, zoom - 1);
      countryLabels.forEach((c) => {
        if (c.area_km2 >= minCountryKm2) list.push({ text: c.label || c.name, lat: c.lat, lon: c.lon, kind: "country" });
      });
      if (zoom >= 3.5) {
        const minStateKm2 = 1.5e5 / Math.pow(4, zoom - 4);
        admin1Labels.forEach((s) => {
          if (s.area_km2 >= minStateKm2) list.push({ text: s.name, lat: s.lat, lon: s.lon, kind: "admin1" });
        });
      }
      const minPeople = 2e7 / Math.pow(4, zoom - 1);
      cities.forEach((c) => {
        if (c.rank >= minPeople) list.push({ text: c.name, lat: c.lat, lon: c.lon, kind: c.capital ? "capital" : "city" });
      });
      return list;
    }

    const FONTS = {
      country: "600 11px system-ui, sans-serif",
      admin1: "italic 10px system-ui, sans-serif",
      capital: "600 11px system-ui, sans-serif",
      city: "11px system-ui, sans-serif",
    };

    /* The label's box in container pixels: countries and states centred on their point,
       cities to the right of their dot. */
    function box(candidate, point) {
      const text = candidate.kind === "country" ? candidate.text.toUpperCase() : candidate.text;
      const spacing = candidate.kind === "country" ? 0.9 * text.length : 0;
      const width = textWidth(text, FONTS[candidate.kind]) + spacing;
      if (candidate.kind === "country" || candidate.kind === "admin1") {
        return [point.x - width / 2, point.y - 7, point.x + width / 2, point.y + 7];
      }
      return candidate.left ? [point.x - 7 - width, point.y - 7, point.x + 4, point.y + 7] : [point.x - 4, point.y - 7, point.x + 7 + width, point.y + 7];
    }

    function placeLabels() {
      labelLayer.clearLayers();
      const zoom = map.getZoom(), size = map.getSize(), bounds = map.getBounds();
      // The zoom buttons and attribution count as placed: no label hides under them.
      const origin = map.getContainer().getBoundingClientRect();
      const placed = [...map.getContainer().querySelectorAll(".leaflet-control")].map((control) => {
        const r = control.getBoundingClientRect();
        return [r.left - origin.left, r.top - origin.top, r.right - origin.left, r.bottom - origin.top];
      });
      const free = (b) => placed.every((p) => b[0] > p[2] + LABEL_PAD || b[2] < p[0] - LABEL_PAD || b[1] > p[3] + LABEL_PAD || b[3] < p[1] - LABEL_PAD);
      candidates(zoom).forEach((candidate) => {
        for (const shift of [0, -360, 360]) {
          const latlng = L.latLng(candidate.lat, candidate.lon + shift);
          if (!bounds.contains(latlng)) continue;
          const point = map.latLngToContainerPoint(latlng);
          const dot = candidate.kind === "city" || candidate.kind === "capital";
          // A city's name goes right of its dot, or left where the right is taken or off the map.
          const fits = (b) => b[0] >= 0 && b[1] >= 0 && b[2] <= size.x && b[3] <= size.y && free(b);
          let b = box(candidate, point);
          let className = "map-label--" + candidate.kind;
          if (!fits(b) && dot) {
            b = box(Object.assign({}, candidate, { left: true }), point);
            className += " map-label--left";
          }
          if (!fits(b)) continue;
          placed.push(b);
          L.marker(latlng, { icon: label(candidate.text, className, dot), interactive: false, keyboard: false, pane: labelPane }).addTo(labelLayer);
        }
      });
    }

    function update() {
      fetchWanted();
      showOutlines();
      placeLabels();
    }

    map.on("zoomend moveend resize", update);
    if (map.attributionControl) map.attributionControl.addAttribution("Natural Earth, GeoNames");
    update();
  }

  return { draw, inView };
})();
