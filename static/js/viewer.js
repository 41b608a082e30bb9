/* An image a player can study: zoom (wheel, pinch, double-click or double-tap, + and - keys, buttons),
   pan (drag, arrow keys) and full screen (the Fullscreen API, or a CSS fallback where it is missing
   or refused). No library: pointer events and one CSS transform on the <img>.

   GeoViewer.create(figure) takes a <figure> holding an <img>. The figure takes the photo's aspect
   ratio (the --photo-aspect custom property, read by site.css), so a wide photo fills its panel's
   width instead of sitting in black bands; a ResizeObserver keeps the fit right through every
   layout change (the reveal, full screen, a phone turning). */
"use strict";

window.GeoViewer = (function () {
  const MAX_ZOOM = 8;
  const KEY_ZOOM = 1.5;
  const KEY_PAN_PX = 80;
  const DOUBLE_TAP_MS = 300;

  /* Four corner brackets: the full-screen icon (drawn, as fonts often lack a glyph for it). */
  function fullscreenIcon() {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 20 20");
    svg.setAttribute("width", "18");
    svg.setAttribute("height", "18");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M2 7V2h5M13 2h5v5M18 13v5h-5M7 18H2v-5");
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", "currentColor");
    path.setAttribute("stroke-width", "2.2");
    svg.appendChild(path);
    return svg;
  }

  function button(label, text, onClick) {
    const node = document.createElement("button");
    node.type = "button";
    if (typeof text === "string") node.textContent = text;
    else node.appendChild(text);
    node.setAttribute("aria-label", label);
    node.title = label;
    node.addEventListener("click", (event) => { event.stopPropagation(); onClick(); });
    return node;
  }

  function create(figure) {
    const img = figure.querySelector("img");
    let zoom = 1; // relative to the fitted ("contain") size
    let fit = 1; // screen px per image px at zoom 1
    let x = 0; // the image's top-left corner inside the figure, in px
    let y = 0;
    let box = { w: 0, h: 0 };
    const pointers = new Map();
    let gesture = null;
    let lastTap = { time: 0, x: 0, y: 0 };
    let lastDoubleAt = 0;

    const zoomIn = button("Zoom in (+)", "+", () => zoomAt(KEY_ZOOM));
    const zoomOut = button("Zoom out (−)", "−", () => zoomAt(1 / KEY_ZOOM));
    const full = button("Full screen (F)", fullscreenIcon(), () => toggleFullscreen());
    full.className = "viewer-full-toggle";
    const controls = document.createElement("div");
    controls.className = "viewer-controls";
    controls.append(zoomIn, zoomOut, full);
    figure.appendChild(controls);

    function natural() {
      return { w: img.naturalWidth || 1, h: img.naturalHeight || 1 };
    }

    /* Keeps the image over the frame: centred along an axis where it is smaller, edge to edge where larger. */
    function clamp() {
      const n = natural();
      const sw = n.w * fit * zoom;
      const sh = n.h * fit * zoom;
      x = sw <= box.w ? (box.w - sw) / 2 : Math.min(0, Math.max(box.w - sw, x));
      y = sh <= box.h ? (box.h - sh) / 2 : Math.min(0, Math.max(box.h - sh, y));
    }

    function render() {
      clamp();
      img.style.transform = "translate(" + x + "px, " + y + "px) scale(" + fit * zoom + ")";
      const zoomed = zoom > 1.001;
      figure.classList.toggle("zoomed", zoomed);
      zoomOut.disabled = !zoomed;
      zoomIn.disabled = zoom >= MAX_ZOOM - 0.001;
    }

    /* The frame changed size: fit again, keeping the point at the frame's centre where it was. */
    function layout() {
      if (!img.naturalWidth) return; // not loaded yet: `loaded` lays it out
      const n = natural();
      const w = figure.clientWidth;
      const h = figure.clientHeight;
      if (!w || !h) return;
      const centre = box.w ? { x: (box.w / 2 - x) / (fit * zoom), y: (box.h / 2 - y) / (fit * zoom) } : { x: n.w / 2, y: n.h / 2 };
      box = { w, h };
      fit = Math.min(w / n.w, h / n.h);
      x = w / 2 - centre.x * fit * zoom;
      y = h / 2 - centre.y * fit * zoom;
      render();
    }

    /* Zoom by `factor` about the point (px, py) of the frame (its centre by default). */
    function zoomAt(factor, px, py) {
      const target = Math.min(MAX_ZOOM, Math.max(1, zoom * factor));
      px = px === undefined ? box.w / 2 : px;
      py = py === undefined ? box.h / 2 : py;
      const k = target / zoom;
      x = px - (px - x) * k;
      y = py - (py - y) * k;
      zoom = target;
      render();
    }

    function reset() {
      zoom = 1;
      render();
    }

    function local(event) {
      const rect = figure.getBoundingClientRect();
      return { x: event.clientX - rect.left, y: event.clientY - rect.top };
    }

    function toggleDouble(at) {
      lastDoubleAt = Date.now();
      if (zoom >= MAX_ZOOM - 0.001) reset();
      else zoomAt(2, at.x, at.y);
    }

    /* --- the wheel: zoom about the cursor --- */
    figure.addEventListener("wheel", (event) => {
      if (event.deltaY > 0 && zoom <= 1.001) return; // nothing to zoom out of: let the page have it
      event.preventDefault();
      const at = local(event);
      const step = event.deltaMode === 1 ? event.deltaY * 30 : event.deltaY; // lines to pixels
      zoomAt(Math.exp(-step * 0.002), at.x, at.y);
    }, { passive: false });

    /* --- pointers: one drags, two pinch --- */
    function startGesture() {
      const [a, b] = [...pointers.values()];
      if (b) {
        const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
        gesture = { kind: "pinch", distance: Math.hypot(a.x - b.x, a.y - b.y) || 1, zoom, image: { x: (mid.x - x) / (fit * zoom), y: (mid.y - y) / (fit * zoom) } };
      } else if (a) {
        gesture = { kind: "pan", from: { x: a.x, y: a.y }, x, y };
      } else {
        gesture = null;
      }
    }

    figure.addEventListener("pointerdown", (event) => {
      if (event.target.closest(".viewer-controls")) return;
      if (event.pointerType === "mouse" && event.button !== 0) return;
      figure.setPointerCapture(event.pointerId);
      pointers.set(event.pointerId, local(event));
      startGesture();
    });
    figure.addEventListener("pointermove", (event) => {
      if (!pointers.has(event.pointerId)) return;
      pointers.set(event.pointerId, local(event));
      if (!gesture) return;
      const [a, b] = [...pointers.values()];
      if (gesture.kind === "pinch" && b) {
        const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
        zoom = Math.min(MAX_ZOOM, Math.max(1, gesture.zoom * Math.hypot(a.x - b.x, a.y - b.y) / gesture.distance));
        // The image point first under the fingers' midpoint stays under it: zoom and pan in one.
        x = mid.x - gesture.image.x * fit * zoom;
        y = mid.y - gesture.image.y * fit * zoom;
        render();
      } else if (gesture.kind === "pan") {
        x = gesture.x + a.x - gesture.from.x;
        y = gesture.y + a.y - gesture.from.y;
        render();
      }
    });
    function release(event) {
      if (!pointers.has(event.pointerId)) return;
      const at = pointers.get(event.pointerId);
      pointers.delete(event.pointerId);
      startGesture(); // a pinch that loses a finger goes on as a drag
      if (event.type === "pointerup" && event.pointerType === "touch" && pointers.size === 0) {
        // Double-tap: Chromium sends no dblclick for touch where the page cannot zoom itself.
        const now = Date.now();
        if (now - lastTap.time < DOUBLE_TAP_MS && Math.hypot(at.x - lastTap.x, at.y - lastTap.y) < 30) {
          toggleDouble(at);
          lastTap = { time: 0, x: 0, y: 0 };
        } else {
          lastTap = { time: now, x: at.x, y: at.y };
        }
      }
    }
    figure.addEventListener("pointerup", release);
    figure.addEventListener("pointercancel", release);
    figure.addEventListener("dblclick", (event) => {
      if (event.target.closest(".viewer-controls") || Date.now() - lastDoubleAt < 500) return;
      toggleDouble(local(event));
    });

    /* --- keys: + and - zoom, arrows pan, 0 resets, F full screen, Escape leaves it --- */
    function onKey(event) {
      if (event.ctrlKey || event.metaKey || event.altKey) return false;
      const pans = { ArrowLeft: [1, 0], ArrowRight: [-1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
      if (event.key === "+" || event.key === "=") zoomAt(KEY_ZOOM);
      else if (event.key === "-" || event.key === "_") zoomAt(1 / KEY_ZOOM);
      else if (event.key === "0") reset();
      else if (event.key === "f" || event.key === "F") toggleFullscreen();
      else if (event.key === "Escape" && figure.classList.contains("full")) toggleFullscreen();
      else if (pans[event.key] && zoom > 1.001) {
        x += pans[event.key][0] * KEY_PAN_PX;
        y += pans[event.key][1] * KEY_PAN_PX;
        render();
      } else return false;
      event.preventDefault();
      return true;
    }
    figure.addEventListener("keydown", onKey);

    /* --- full screen --- */
    function isFull() {
      return document.fullscreenElement === figure || figure.classList.contains("full");
    }

    function setFallback(on) {
      figure.classList.toggle("full", on);
      document.body.classList.toggle("viewer-open", on);
      full.setAttribute("aria-pressed", String(on));
    }

    function toggleFullscreen() {
      if (document.fullscreenElement === figure) {
        document.exitFullscreen();
      } else if (figure.classList.contains("full")) {
        setFallback(false);
      } else if (figure.requestFullscreen && document.fullscreenEnabled) {
        figure.requestFullscreen().catch(() => setFallback(true)); // refused (say, in a frame): the CSS way
      } else {
        setFallback(true);
      }
      figure.focus({ preventScroll: true });
    }
    document.addEventListener("fullscreenchange", () => full.setAttribute("aria-pressed", String(document.fullscreenElement === figure)));

    /* --- sizes --- */
    function loaded() {
      const n = natural();
      figure.style.setProperty("--photo-aspect", n.w + " / " + n.h);
      img.style.width = n.w + "px";
      img.style.height = n.h + "px";
      box = { w: 0, h: 0 };
      layout();
      figure.classList.add("ready");
    }
    if (img.complete && img.naturalWidth) loaded();
    else img.addEventListener("load", loaded);
    new ResizeObserver(() => layout()).observe(figure);

    return {
      zoomAt, reset, toggleFullscreen, isFull, onKey,
      get zoom() { return zoom; },
    };
  }

  return { create };
})();
