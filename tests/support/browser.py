"""Chromium pages for the browser tests, and the checks every reveal must pass (the map's size, pins in view)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.support.processes import REPO

SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", REPO / "var" / "screenshots"))


README_SHOTS = REPO / "static" / "img" / "screenshots"


SEEDED_SITE = os.environ.get("GEOGUESS_SCREENSHOT_SITE", "")


# Run inside the server's environment: forgets or computes one round's prediction, or tells its answer.
HELPER = r"""
import sys
import django
django.setup()
from geoguess.game.models import Round
from geoguess.opponent.models import Prediction
from geoguess.opponent.selectors import active_version
from geoguess.opponent.inference import predictions_compute
print("ready", flush=True)
for line in sys.stdin:
    command, public_id, index = line.split()
    round = Round.objects.select_related("photo").get(game__public_id=public_id, index=int(index))
    if command == "forget":
        print(Prediction.objects.filter(photo_id=round.photo_id).delete()[0], flush=True)
    elif command == "predict":
        print(predictions_compute(version_id=active_version().pk, photo_ids=[round.photo_id]), flush=True)
    else:
        print(round.photo.lat, round.photo.lon, flush=True)
"""


class Helper:
    """The helper process above, one line per command."""

    def __init__(self, env: dict):
        self.process = subprocess.Popen(
            [sys.executable, "-c", HELPER], cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout.readline().strip() == "ready"

    def ask(self, command: str, public_id: str, index: int) -> str:
        self.process.stdin.write(f"{command} {public_id} {index}\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()


def new_page(browser, width: int, height: int):
    phone = width < 600
    context = browser.new_context(
        viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone, device_scale_factor=2 if phone else 1
    )
    page = context.new_page()
    errors: list[str] = []
    # (A page left while its basemap's GeoJSON is still loading rejects that fetch: not a fault of the page.)
    page.on("pageerror", lambda error: "Unexpected end of JSON input" in str(error) or errors.append(f"{error} {error.stack}"))
    return page, errors


def basemap_drawn(page, timeout: float = 30_000) -> None:
    """Waits until the basemap has drawn: some path of the map's overlay pane with a box of some size (worldNET's
    candidate circles, in the same pane, do not count). Not the first path's visibility: Leaflet empties the paths
    of countries and world copies out of view, so on a view fitted to a region (a reveal) the first path may never
    be visible."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('#map .leaflet-overlay-pane path:not(.candidate-circle)')]"
        ".some((path) => { const box = path.getBoundingClientRect(); return box.width > 0 && box.height > 0; })",
        timeout=timeout,
    )


def settle(page) -> None:
    """Two animation frames: ResizeObserver callbacks and Leaflet's redraws have run."""
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
    page.wait_for_timeout(100)


MAP_STATE = """() => {
  const el = document.getElementById("map");
  const box = el.getBoundingClientRect();
  const size = GeoRound.map.getSize();
  const rect = (node) => { const r = node.getBoundingClientRect(); return { left: r.left, top: r.top, right: r.right, bottom: r.bottom }; };
  const pins = {};
  for (const kind of ["truth", "player", "worldnet", "other"]) pins[kind] = [...el.querySelectorAll("path.pin-" + kind)].map(rect);
  const legend = el.querySelector(".legend");
  const truth = el.querySelector("path.pin-truth");
  let onTop = null;
  if (truth) {
    const r = truth.getBoundingClientRect();
    const hit = document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
    const order = [...truth.parentNode.children]
      .map((n) => (n.getAttribute("class") || "?").replace("leaflet-interactive", "").trim() || "line").join(",");
    onTop = hit ? (hit.getAttribute("class") || hit.className || "").toString() + " " + (hit.getAttribute("d") || "").slice(0, 40)
      + " order:" + order : null;
  }
  const b = GeoRound.map.getBounds();
  return {
    leaflet: [size.x, size.y], element: [el.clientWidth, el.clientHeight], box: rect(el), pins,
    legend: legend ? rect(legend) : null, onTop, bounds: { south: b.getSouth(), west: b.getWest(), north: b.getNorth(), east: b.getEast() },
  };
}"""


def overlaps(a: dict, b: dict) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


def assert_reveal_fits(page, where: str, need: tuple[str, ...] = ("truth", "worldnet")) -> dict:
    """Leaflet's size is the map's, every pin ("other": a party's other players) lies inside it and clear of the
    legend, the answer on top; ``need``: the kinds of pin that must be there."""
    settle(page)
    state = page.evaluate(MAP_STATE)
    assert state["leaflet"] == state["element"], f"{where}: Leaflet thinks the map is {state['leaflet']}, it is {state['element']}"
    box = state["box"]
    kinds = {kind for kind, rects in state["pins"].items() if rects}
    assert set(need) <= kinds, f"{where}: pins {kinds}"
    for kind, rects in state["pins"].items():
        for pin in rects:
            inside = (
                box["left"] <= pin["left"] and pin["right"] <= box["right"] and box["top"] <= pin["top"] and pin["bottom"] <= box["bottom"]
            )
            assert inside, f"{where}: the {kind} pin {pin} is outside the map {box}"
            assert not overlaps(pin, state["legend"]), f"{where}: the legend covers the {kind} pin"
    assert state["onTop"] is not None, f"{where}: the answer's pin is off the screen (the page did not bring the map into view)"
    assert "pin-truth" in state["onTop"], f"{where}: the answer is covered by {state['onTop']}"
    return state


def assert_header_on_one_line(page, where: str) -> None:
    tops = page.evaluate(
        "() => [...document.querySelectorAll('.bar .brand, .bar .status > span')]"
        ".map((n) => [n.getClientRects().length, Math.round(n.getBoundingClientRect().top)])"
    )
    assert all(lines == 1 for lines, _ in tops), f"{where}: a header item wraps: {tops}"
    assert max(top for _, top in tops) - min(top for _, top in tops) <= 4, f"{where}: the header is on more than one line: {tops}"


NUMBER = r"(?:\d{1,3}(?:,\d{3})*)"


KM = rf"(?:\d\.\d|{NUMBER}) km"


def as_int(text: str) -> int:
    assert re.fullmatch(NUMBER, text.strip()), text
    return int(text.replace(",", ""))
