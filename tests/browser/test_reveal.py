"""The round and its reveal in a real browser, at a laptop's, a desktop's and a phone's size.

Playwright drives Debian's chromium against a real server process (its own SQLite file, Celery
eager). Whole games are played at 1366×768, 1920×1080 and 390×844, with worldNET's guess
stored before the reveal in some rounds and arriving after it in others: a helper process on
the same database forgets the round's prediction before the guess and computes it (the real
``predictions_compute``) once the page says worldNET is thinking. After every reveal, Leaflet's
idea of the map's size must equal the map element's, and every pin must lie inside the map,
clear of the legend, with the answer's ring on top. Screenshots of every state go to
``var/screenshots/`` (or ``SCREENSHOT_DIR``).

The README's screenshots come from a trained demo worldNET: seed a site once, then point the
test at it (it plays on a copy)::

    GEOGUESS_VAR_DIR=/tmp/shots/var SECRET_KEY=... CELERY_TASK_ALWAYS_EAGER=1 .venv/bin/python manage.py migrate
    GEOGUESS_VAR_DIR=/tmp/shots/var SECRET_KEY=... CELERY_TASK_ALWAYS_EAGER=1 .venv/bin/python manage.py seed_demo
    GEOGUESS_SCREENSHOT_SITE=/tmp/shots/var README_SCREENSHOTS=1 .venv/bin/python -m pytest tests/browser/test_reveal.py
"""

from __future__ import annotations

import csv
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from tests.support.browser import (
    KM,
    MAP_STATE,
    NUMBER,
    README_SHOTS,
    SCREENSHOTS,
    SEEDED_SITE,
    Helper,
    as_int,
    assert_header_on_one_line,
    assert_reveal_fits,
    basemap_drawn,
    new_page,
    overlaps,
    settle,
)
from tests.support.images import small_world, write_jpeg
from tests.support.processes import REGISTER, manage, start_site, stop

WIDE_SET = "Wide photos"
WIDE_SIZE = (1138, 512)  # the real photo of the issue that used half its panel
INHABITED_WORLD = {"south": -50, "west": -170, "north": 72, "east": 180}
WORLD_EDGE = 85.06  # Mercator's: a map showing beyond it shows a band of nothing

# A whole game's reveals where worldNET's guess arrives after the page asked for it.
LATE_ROUNDS = {1, 3}


@dataclass
class Site:
    url: str
    set_name: str
    helper: Helper


def wide_photos(folder: Path) -> Path:
    """Five wide photos (the proportions of a real one that was letterboxed), in five cities."""
    folder.mkdir(parents=True)
    with (folder / "manifest.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "lat", "lon", "place", "country", "group"])
        for i, (place, country, lat, lon) in enumerate(
            [
                ("Lyon", "FRA", 45.76, 4.84),
                ("Perth", "AUS", -31.95, 115.86),
                ("Lima", "PER", -12.05, -77.04),
                ("Osaka", "JPN", 34.69, 135.5),
                ("Nairobi", "KEN", -1.29, 36.82),
            ]
        ):
            write_jpeg(folder / "images" / f"{i}.jpg", color=(60 + 30 * i, 110, 150), size=WIDE_SIZE)
            writer.writerow([f"images/{i}.jpg", lat, lon, place, country, f"w{i}"])
    return folder


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reveal-site")
    var = tmp / "var"
    env = {**os.environ, "GEOGUESS_VAR_DIR": str(var), "CELERY_TASK_ALWAYS_EAGER": "1", "DJANGO_SETTINGS_MODULE": "geoguess.settings"}
    if SEEDED_SITE:  # a site seeded with `manage.py seed_demo`: the demo world and a trained worldNET
        shutil.copytree(SEEDED_SITE, var, ignore=shutil.ignore_patterns("screenshots", "static"))
        manage(env, "migrate", "-v", "0")
        set_name = "Demo world"
    else:
        manage(env, "migrate", "-v", "0")
        manage(env, "import_imageset", str(small_world(tmp / "world", per_city=3)), "--name", "Small world")
        set_name = "Small world"
    manage(env, "import_imageset", str(wide_photos(tmp / "wide")), "--name", WIDE_SET)
    if not SEEDED_SITE:
        manage(env, "shell", "-v", "0", "-c", REGISTER.replace("{tmp}", str(tmp)))  # eager: every prediction is stored
    server, url = start_site(env)
    helper = Helper(env)
    yield Site(url, set_name, helper)
    helper.process.stdin.close()
    stop(helper.process)
    stop(server)


def start_game(page, site: Site, set_name: str, player: str) -> str:
    page.goto(site.url + "/")
    page.locator(".set-card", has_text=set_name).click()
    page.fill("input[name=player_name]", player)
    page.click("button[type=submit]")
    basemap_drawn(page)  # the basemap has drawn
    return re.search(r"/game/([^/]+)/", page.url).group(1)


def play_game(page, site: Site, label: str, *, bullseye_round: int | None = None) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    public_id = start_game(page, site, site.set_name, "Ada")
    total = 0
    for index in range(5):
        basemap_drawn(page)
        page.wait_for_selector("#viewer.ready")
        assert_header_on_one_line(page, f"{label} round {index + 1}")
        settle(page)
        first = page.evaluate(MAP_STATE)
        assert first["leaflet"] == first["element"]
        b = first["bounds"]  # the whole inhabited world, East Asia and Oceania included, at any width
        assert b["south"] <= INHABITED_WORLD["south"] and b["north"] >= INHABITED_WORLD["north"], (label, b)
        assert b["west"] <= INHABITED_WORLD["west"] and b["east"] >= INHABITED_WORLD["east"], (label, b)
        assert b["south"] >= -WORLD_EDGE and b["north"] <= WORLD_EDGE, (label, b)  # no band of nothing beyond the poles
        if index == 0:
            page.screenshot(path=str(SCREENSHOTS / f"{label}-round.png"))
        late = index in LATE_ROUNDS
        if late:
            assert int(site.helper.ask("forget", public_id, index)) >= 1
        if index == bullseye_round:  # the player's pin right on the answer: the answer must still show
            lat, lon = map(float, site.helper.ask("answer", public_id, index).split())
            # Zoomed in on it first, as a player sure of the place would: a pixel is then a few hundred metres.
            point = page.evaluate(
                "([lat, lon]) => { GeoRound.map.setView([lat, lon], 7, { animate: false }); "
                "return GeoRound.map.latLngToContainerPoint([lat, lon]); }",
                [lat, lon],
            )
            box = page.locator("#map").bounding_box()
            page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
        else:
            box = page.locator("#map").bounding_box()
            page.mouse.click(box["x"] + box["width"] * (0.25 + 0.12 * index), box["y"] + box["height"] * (0.35 + 0.05 * index))
        if index % 2:
            page.keyboard.press("Enter")
        else:
            page.locator("#guess").click()
        page.wait_for_selector("#reveal:not([hidden])")
        if late:
            assert page.locator("#thinking").is_visible() and page.locator("path.pin-worldnet").count() == 0
            assert page.locator("#map .legend").inner_text().split("\n") == ["the answer", "you"]  # nothing of worldNET's on the map yet
            settle(page)
            state = page.evaluate(MAP_STATE)
            assert state["leaflet"] == state["element"]
            page.screenshot(path=str(SCREENSHOTS / f"{label}-reveal-{index + 1}-thinking.png"))
            assert site.helper.ask("predict", public_id, index) == "1"
        page.wait_for_selector("path.pin-worldnet", timeout=20000)
        page.wait_for_selector("#thinking", state="hidden")
        assert_reveal_fits(page, f"{label} round {index + 1}{' (late)' if late else ''}")
        # Every number in one format; the answer's country and worldNET's guess spelled out.
        assert re.fullmatch(KM, page.locator("#you-km").inner_text()), page.locator("#you-km").inner_text()
        assert re.fullmatch(KM, page.locator("#ai-km").inner_text())
        assert re.fullmatch(rf"{NUMBER} points?", page.locator("#ai-points").inner_text())
        truth = page.locator("#truth-place").inner_text()
        assert not re.search(r", [A-Z]{2,3}$", truth), f"a country code, not its name: {truth}"
        explain = page.locator("#ai-explain").inner_text()
        assert re.match(r"worldNET's pin: .+\. It was \d+% sure of .+\.", explain), explain
        assert page.locator("#map .legend .legend-item").count() == 4  # its entries came with its pin, once
        circles = page.locator("path.candidate-circle")
        assert circles.count() == page.locator("#ai-top .candidate").count() == 3
        if index == bullseye_round:
            state = page.evaluate(MAP_STATE)
            player, answer = state["pins"]["player"][0], state["pins"]["truth"][0]
            assert overlaps(player, answer)  # right on it, and yet the answer's ring is what shows on top
        points = as_int(page.locator("#you-points").inner_text())
        assert page.locator("#you-points-unit").inner_text() == ("point" if points == 1 else "points")
        total += points
        assert as_int(page.locator("#score").inner_text()) == total
        page.screenshot(path=str(SCREENSHOTS / f"{label}-reveal-{index + 1}.png"))
        page.click("#next")
    page.wait_for_selector("#map path.pin-truth")
    assert as_int(page.locator("#total").inner_text()) == total
    for cell in page.locator("table.rounds tbody td:nth-child(3), table.rounds tbody td:nth-child(4)").all_inner_texts():
        assert re.fullmatch(rf"(?:{KM}|time out) · {NUMBER}", cell), cell
    for cell in page.locator("table.rounds tbody td:nth-child(2)").all_inner_texts():
        assert not re.search(r"\([A-Z]{2,3}\)$", cell), f"a country code, not its name: {cell}"
    settle(page)
    summary_map = page.evaluate("() => { const b = GeoMaps.maps[0].getBounds(); return [b.getSouth(), b.getNorth()]; }")
    assert summary_map[0] >= -WORLD_EDGE and summary_map[1] <= WORLD_EDGE, (label, summary_map)
    numbers = page.locator("#map .round-number").all_inner_texts()
    assert sorted(numbers, key=int) == [str(n) for n in range(1, 6)], numbers  # each answer numbered by its round
    page.screenshot(path=str(SCREENSHOTS / f"{label}-summary.png"), full_page=True)


@pytest.mark.slow
@pytest.mark.parametrize("width,height", [(1366, 768), (1920, 1080), (390, 844)])
def test_it_plays_whole_games_with_every_pin_on_screen(site, browser, width, height):
    page, errors = new_page(browser, width, height)
    play_game(page, site, f"{width}x{height}", bullseye_round=2)
    assert errors == []
    page.context.close()


@pytest.mark.slow
def test_worldnets_explanation_names_the_candidate_its_pin_went_to(site, browser):
    page = browser.new_page()
    page.goto(site.url + "/")
    top = [
        {"place": "Bangkok", "probability": 0.49},
        {"place": "Kuala Lumpur", "probability": 0.37},
        {"place": "Jakarta", "probability": 0.08},
    ]
    explain = "(ai) => GeoFormat.worldnetGuess(ai)"
    base = {"country_name": "Malaysia", "lat": 3.1, "lon": 101.7, "top": top}
    on_best = page.evaluate(explain, {**base, "country_name": "Thailand", "near": "Bangkok"})
    assert on_best == "worldNET's pin: Thailand, near Bangkok. It was 49% sure of Bangkok."
    on_other = page.evaluate(explain, {**base, "near": "Kuala Lumpur"})
    assert (
        on_other == "worldNET's pin: Malaysia, near Kuala Lumpur. It was 49% sure of Bangkok. "
        "Its last step, trained on where first impressions go wrong, put the pin on Kuala Lumpur (37%) instead."
    )
    between = page.evaluate(explain, {**base, "near": None, "top": [{**c, "km_from_guess": km} for c, km in zip(top, [700, 600, 1900])]})
    assert between.endswith("between the candidates there.") and "instead" not in between
    # The paper's global interpolation can land far from every candidate: then it says so.
    far = page.evaluate(explain, {**base, "near": None, "top": [{**c, "km_from_guess": km} for c, km in zip(top, [4000, 2500, 1600])]})
    assert far.endswith("Its pin is a blend of all its candidates, far from each of them."), far
    at_sea = page.evaluate(explain, {**base, "country_name": "", "near": None, "top": []})
    assert at_sea == "worldNET's pin: 3.1°, 101.7°."
    page.close()


@pytest.mark.slow
def test_the_keyboard_shows_a_crosshair_and_space_drops_the_pin_on_it(site, browser):
    page, errors = new_page(browser, 1366, 768)
    start_game(page, site, site.set_name, "Kay")
    crosshair = page.locator("#map .crosshair")
    assert not crosshair.is_visible()
    page.focus("#map")
    page.keyboard.press("ArrowLeft")
    crosshair.wait_for(state="visible")
    c = crosshair.bounding_box()
    m = page.locator("#map").bounding_box()
    assert abs(c["x"] + c["width"] / 2 - (m["x"] + m["width"] / 2)) <= 1 and abs(c["y"] + c["height"] / 2 - (m["y"] + m["height"] / 2)) <= 1
    page.screenshot(path=str(SCREENSHOTS / "keyboard-crosshair.png"))
    page.keyboard.press(" ")
    pin = page.locator("path.pin-player").bounding_box()
    assert (
        abs(pin["x"] + pin["width"] / 2 - (c["x"] + c["width"] / 2)) <= 2
        and abs(pin["y"] + pin["height"] / 2 - (c["y"] + c["height"] / 2)) <= 2
    )
    page.mouse.click(m["x"] + 40, m["y"] + m["height"] - 40)  # the mouse again: no crosshair in the way
    assert not crosshair.is_visible()
    assert errors == []
    page.context.close()


def image_box(page) -> dict:
    return page.evaluate(
        "() => { const r = document.getElementById('street').getBoundingClientRect(); "
        "return { x: r.x, y: r.y, width: r.width, height: r.height }; }"
    )


@pytest.mark.slow
def test_a_wide_photo_fills_its_panel_and_zooms_pans_and_goes_full_screen(site, browser):
    page, errors = new_page(browser, 1366, 768)
    start_game(page, site, WIDE_SET, "Zed")
    page.wait_for_selector("#viewer.ready")
    settle(page)
    frame = page.locator("#viewer").bounding_box()
    image = image_box(page)
    # No black bands: the frame takes the photo's shape, and the photo fills it.
    assert abs(image["width"] - frame["width"]) <= 2 and abs(image["height"] - frame["height"]) <= 2, (image, frame)
    assert abs(frame["width"] / frame["height"] - WIDE_SIZE[0] / WIDE_SIZE[1]) < 0.05
    assert frame["width"] > 700  # the photo column keeps most of a 1366 px screen
    page.screenshot(path=str(SCREENSHOTS / "wide-photo.png"))

    centre = (frame["x"] + frame["width"] / 2, frame["y"] + frame["height"] / 2)
    page.mouse.move(*centre)
    page.mouse.wheel(0, -500)  # the wheel zooms in about the cursor
    settle(page)
    zoomed = image_box(page)
    assert zoomed["width"] > 1.8 * frame["width"]
    assert abs(zoomed["x"] + zoomed["width"] / 2 - centre[0]) < 3  # about the cursor, here the centre
    page.mouse.down()
    page.mouse.move(centre[0] + 120, centre[1] + 40, steps=5)  # a drag pans
    page.mouse.up()
    settle(page)
    panned = image_box(page)
    assert abs(panned["x"] - zoomed["x"] - 120) < 2 and panned["width"] == pytest.approx(zoomed["width"])
    page.locator("#viewer").focus()
    for _ in range(8):
        page.keyboard.press("-")  # back out, never smaller than the frame
    settle(page)
    assert image_box(page)["width"] == pytest.approx(frame["width"], abs=2)
    page.keyboard.press("+")
    settle(page)
    assert image_box(page)["width"] == pytest.approx(1.5 * frame["width"], rel=0.02)
    page.keyboard.press("0")
    page.mouse.dblclick(frame["x"] + frame["width"] * 0.25, frame["y"] + frame["height"] * 0.25)  # double-click zooms there
    settle(page)
    assert image_box(page)["width"] == pytest.approx(2 * frame["width"], rel=0.02)
    page.keyboard.press("0")

    page.click(".viewer-full-toggle")  # the Fullscreen API
    page.wait_for_function("() => document.fullscreenElement === document.getElementById('viewer')")
    settle(page)
    full = page.locator("#viewer").bounding_box()
    assert (full["width"], full["height"]) == (1366, 768)
    assert image_box(page)["width"] == pytest.approx(768 * WIDE_SIZE[0] / WIDE_SIZE[1], rel=0.02) or image_box(page)[
        "width"
    ] == pytest.approx(1366, abs=2)
    page.screenshot(path=str(SCREENSHOTS / "wide-photo-full-screen.png"))
    page.click(".viewer-full-toggle")
    page.wait_for_function("() => document.fullscreenElement === null")
    settle(page)
    assert page.locator("#viewer").bounding_box()["width"] == pytest.approx(frame["width"], abs=2)
    assert errors == []
    page.context.close()


@pytest.mark.slow
def test_a_phone_pinches_the_photo_and_full_screen_falls_back_to_css(site, browser):
    page, errors = new_page(browser, 390, 844)
    page.add_init_script("Element.prototype.requestFullscreen = undefined;")  # a browser without the Fullscreen API
    start_game(page, site, WIDE_SET, "Pho")
    page.wait_for_selector("#viewer.ready")
    settle(page)
    frame = page.locator("#viewer").bounding_box()
    assert frame["width"] >= 370
    before = image_box(page)
    cx, cy = frame["x"] + frame["width"] / 2, frame["y"] + frame["height"] / 2
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, spread: float) -> None:
        points = [{"x": cx - spread, "y": cy, "id": 1}, {"x": cx + spread, "y": cy, "id": 2}] if kind != "touchEnd" else []
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", 30)
    for spread in (45, 60, 75, 90):
        touch("touchMove", spread)
    touch("touchEnd", 0)
    settle(page)
    assert image_box(page)["width"] == pytest.approx(3 * before["width"], rel=0.05)  # fingers 60 -> 180 px apart
    page.click(".viewer-full-toggle")
    page.wait_for_selector("#viewer.full")
    settle(page)
    full = page.locator("#viewer").bounding_box()
    assert (full["x"], full["y"], full["width"], full["height"]) == (0, 0, 390, 844)
    page.screenshot(path=str(SCREENSHOTS / "phone-wide-photo-full-screen.png"))
    page.locator("#viewer").press("Escape")
    page.wait_for_selector("#viewer:not(.full)")
    assert errors == []
    page.context.close()


@pytest.mark.slow
@pytest.mark.skipif(
    not (os.environ.get("README_SCREENSHOTS") and SEEDED_SITE),
    reason="README_SCREENSHOTS=1 and GEOGUESS_SCREENSHOT_SITE (a site seeded by seed_demo) refresh the README's screenshots",
)
def test_zz_readme_screenshots_from_the_trained_demo():
    """Run after the games above: the README's JPEGs from this run's PNGs."""
    chosen = {
        "round.jpg": "1366x768-round.png",
        "reveal.jpg": "1366x768-reveal-1.png",
        "reveal-late.jpg": "1366x768-reveal-2-thinking.png",
        "summary.jpg": "1366x768-summary.png",
        "phone-round.jpg": "390x844-round.png",
        "phone-reveal.jpg": "390x844-reveal-1.png",
    }
    for target, source in chosen.items():
        with Image.open(SCREENSHOTS / source) as image:
            image = image.convert("RGB")
            if image.height > 1200:  # the phone's are at 2x: half is plenty for a README
                image = image.resize((image.width // 2, image.height // 2), Image.LANCZOS)
            image.save(README_SHOTS / target, "JPEG", quality=82, optimize=True)


@pytest.mark.slow
def test_the_header_stays_on_one_line_on_a_360_px_phone_with_a_timer(site, browser):
    page, errors = new_page(browser, 360, 740)
    page.goto(site.url + "/")
    page.locator(".set-card", has_text=site.set_name).click()
    page.fill("input[name=player_name]", "A rather long display name")
    page.select_option("select[name=time_limit]", "120")
    page.click("button[type=submit]")
    page.wait_for_selector("#timer")
    assert_header_on_one_line(page, "360 px with a timer")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360  # nothing wider than the screen
    page.screenshot(path=str(SCREENSHOTS / "360x740-round-timed.png"))
    assert errors == []
    page.context.close()


@pytest.mark.slow
def test_the_summary_gives_no_verdict_until_worldnet_has_played_then_shows_it(site, browser):
    """A game finished before worldNET has guessed any of its rounds (it joins late, or its predictions are
    still being computed): no verdict, its rounds "thinking"; then its guesses land and the verdict comes."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page, errors = new_page(browser, 1366, 768)
    public_id = start_game(page, site, site.set_name, "Wen")
    for index in range(5):
        site.helper.ask("forget", public_id, index)  # worldNET has not guessed these photos yet
    for _ in range(5):
        basemap_drawn(page)
        box = page.locator("#map").bounding_box()
        page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.4)
        page.click("#guess")
        page.wait_for_selector("#reveal:not([hidden])")
        assert page.locator("#ai-km").inner_text() == "thinking…"
        page.click("#next")
    page.wait_for_selector("#verdict")
    assert page.locator("#verdict").inner_text() == "No verdict yet: worldNET is still guessing"
    assert "still guessing 5 of 5 rounds" in page.locator("#ai-waiting").inner_text()
    assert page.locator(".ai-round", has_text="thinking…").count() == 5
    page.screenshot(path=str(SCREENSHOTS / "summary-waiting.png"), full_page=True)
    for index in range(5):
        site.helper.ask("predict", public_id, index)  # its guesses land
    page.wait_for_function("() => !document.getElementById('verdict').textContent.startsWith('No verdict')", timeout=30_000)
    verdict = page.locator("#verdict").inner_text()
    assert verdict in {"You beat worldNET!", "A draw with worldNET", "worldNET wins this one"}
    assert page.locator("#ai-waiting").is_hidden() and page.locator(".ai-round", has_text="thinking…").count() == 0
    cells = page.locator(".ai-round").all_inner_texts()
    assert as_int(page.locator("#ai-total").inner_text()) == sum(as_int(cell.split("·")[-1]) for cell in cells)
    assert page.locator("#map path.pin-worldnet").count() == 5  # its pins came with its guesses
    you, ai = as_int(page.locator("#total").inner_text()), as_int(page.locator("#ai-total").inner_text())
    assert verdict == ("You beat worldNET!" if you > ai else "worldNET wins this one" if ai > you else "A draw with worldNET")
    page.screenshot(path=str(SCREENSHOTS / "summary-after-worldnet.png"), full_page=True)
    assert not errors, errors
    page.close()
