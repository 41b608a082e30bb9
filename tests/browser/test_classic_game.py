"""A whole game in a real browser: Playwright driving Debian's chromium against a real server process."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.browser import basemap_drawn
from tests.support.processes import REPO

SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", REPO / "var" / "screenshots"))


@pytest.mark.slow
def test_it_plays_a_whole_game_by_clicking_on_the_map(server, browser):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(server + "/")
    page.fill("input[name=player_name]", "Ada")
    page.click("button[type=submit]")
    total = 0
    for index in range(5):
        basemap_drawn(page)  # the basemap has drawn
        assert page.locator("#guess").is_disabled()
        assert page.locator("#hint").inner_text().startswith("Click the map")  # a mouse and a keyboard
        box = page.locator("#map").bounding_box()
        page.mouse.click(box["x"] + box["width"] * (0.3 + 0.1 * index), box["y"] + box["height"] * 0.4)
        assert page.locator("#guess").is_enabled()
        assert not page.locator("#map .crosshair").is_visible()  # the keyboard's crosshair is for the keyboard only
        if index == 0:
            page.screenshot(path=str(SCREENSHOTS / "round.png"))
        if index % 2:
            page.keyboard.press("Enter")  # the keyboard guesses too
        else:
            page.click("#guess")
        page.wait_for_selector("#reveal:not([hidden])")
        page.wait_for_selector("path.pin-worldnet")
        assert page.locator("path.pin-truth").count() == 1 and page.locator("path.pin-player").count() == 1
        points = int(page.locator("#you-points").inner_text().replace(",", ""))
        total += points
        assert int(page.locator("#score").inner_text().replace(",", "")) == total
        assert page.locator("#ai-top .candidate").count() == 3
        if index == 0:
            page.screenshot(path=str(SCREENSHOTS / "reveal.png"))
        page.click("#next")
    page.wait_for_selector("#total")
    assert int(page.locator("#total").inner_text().replace(",", "")) == total
    assert page.locator("table.rounds tbody tr").count() == 5
    ai_points = sum(
        int(cell.split("·")[-1].replace(",", "")) for cell in page.locator("table.rounds tbody td:nth-child(4)").all_inner_texts()
    )
    assert int(page.locator("#ai-total").inner_text().replace(",", "")) == ai_points
    page.wait_for_selector("#map path.pin-truth")
    page.screenshot(path=str(SCREENSHOTS / "summary.png"), full_page=True)
    page.close()


@pytest.mark.slow
def test_it_works_on_a_phone_without_the_map_covering_the_guess_button(server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(server + "/")
    page.fill("input[name=player_name]", "Pho")
    page.click("button[type=submit]")
    basemap_drawn(page)
    page.wait_for_selector("#street", state="visible")  # laid out once it has loaded: slower on a busy machine
    assert page.locator("#hint").inner_text() == "Tap the map to place your pin, then tap Guess."  # no click, no keys
    assert page.locator("#hint").is_visible()  # shown, small, above the button (a rule once hid it under 800 px)
    box = page.locator("#map").bounding_box()
    assert box["width"] / box["height"] == pytest.approx(1.5, abs=0.05), box  # the world's shape, as on a desktop
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert page.locator("#hint").inner_text() == "Move the pin as often as you like, then tap Guess."
    button = page.locator("#guess")
    button.scroll_into_view_if_needed()
    b = button.bounding_box()
    on_top = page.evaluate("([x, y]) => document.elementFromPoint(x, y).id", [b["x"] + b["width"] / 2, b["y"] + b["height"] / 2])
    assert on_top == "guess"
    button.click()
    page.wait_for_selector("#reveal:not([hidden])")
    page.screenshot(path=str(SCREENSHOTS / "phone-reveal.png"))
    context.close()


@pytest.mark.slow
def test_the_map_takes_a_pin_and_a_guess_from_the_keyboard_alone(server, browser):
    page = browser.new_page()
    page.goto(server + "/")
    page.fill("input[name=player_name]", "Kay")
    page.keyboard.press("Enter")  # submits the start form
    basemap_drawn(page)
    page.focus("#map")
    page.keyboard.press("ArrowLeft")
    assert page.locator("#map .crosshair").is_visible()  # where Space will drop the pin
    page.keyboard.press(" ")  # a pin at the map's centre
    page.keyboard.press("Enter")
    page.wait_for_selector("#reveal:not([hidden])")
    assert page.locator("path.pin-player").count() == 1
    page.close()


@pytest.mark.slow
def test_back_and_forward_show_the_game_as_the_server_has_it(server, browser):
    """Once kept in the browser's back-and-forward cache, a played round came back with an empty map and its
    clock running again (and a guess on it was refused). Game pages are no-store: the browser asks again,
    and the server shows the reveal the player was reading."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(server + "/")
    page.fill("input[name=player_name]", "Bea")
    page.select_option("select[name=time_limit]", "30")
    page.click("button[type=submit]")
    basemap_drawn(page)
    round_url = page.url
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.4)
    page.click("#guess")
    page.wait_for_selector("#reveal:not([hidden])")
    page.go_back()
    page.wait_for_load_state()
    page.go_forward()
    basemap_drawn(page)
    assert page.url == round_url
    # Where the server has the player: reading round 1's reveal (not round 1 playable again, its clock running).
    page.wait_for_selector("#reveal:not([hidden])")
    assert page.locator(".status strong").first.inner_text() == "1" and page.locator(".actions").is_hidden()
    assert page.locator("#timer").inner_text() == "30 s"  # no clock runs on a played round
    page.click("#next")
    basemap_drawn(page)
    assert page.locator(".status strong").first.inner_text() == "2" and page.locator("#reveal").is_hidden()
    page.close()
