"""A new player in a real browser (Playwright driving Debian's chromium against the site in its own process):
sign-up, today's daily challenge, then the profile; on a desktop and on a phone, with screenshots."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.support.browser import basemap_drawn
from tests.support.processes import REPO

SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", REPO / "var" / "screenshots"))
PASSWORD = "a-Long-pass-123"
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def number(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text))


def play_the_daily(page, *, phone: bool) -> int:
    """Plays the five rounds from the daily page's start button; returns the total the reveals added up to."""
    page.click("form.daily-start button[type=submit]")
    total = 0
    for index in range(5):
        basemap_drawn(page)
        assert page.locator("#reveal").is_hidden()
        assert page.locator("path.pin-truth").count() == 0 and page.locator("path.pin-worldnet").count() == 0  # nothing before the guess
        box = page.locator("#map").bounding_box()
        page.mouse.click(box["x"] + box["width"] * (0.3 + 0.1 * index), box["y"] + box["height"] * 0.45)
        button = page.locator("#guess")
        button.scroll_into_view_if_needed()
        if phone:  # the map never covers the guess button on a phone
            b = button.bounding_box()
            on_top = page.evaluate("([x, y]) => document.elementFromPoint(x, y).id", [b["x"] + b["width"] / 2, b["y"] + b["height"] / 2])
            assert on_top == "guess"
        button.click()
        page.wait_for_selector("#reveal:not([hidden])")
        total += number(page.locator("#you-points").inner_text())
        page.click("#next")
    page.wait_for_selector("#total")
    return total


@pytest.mark.slow
@pytest.mark.parametrize("device, username", [("desktop", "ada_lovelace"), ("phone", "grace.h")])
def test_a_new_player_signs_up_plays_the_daily_challenge_and_reads_their_profile(server, browser, device, username):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    phone = device == "phone"
    context = browser.new_context(**(PHONE if phone else DESKTOP))
    page = context.new_page()
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    page.goto(server + "/")
    # The daily page, as a guest: worldNET's score is not there before one has played.
    page.click("#daily-link")
    assert "sign in" in page.locator("section.daily").inner_text()
    assert page.locator("#daily-worldnet").count() == 0
    # Sign up from the header.
    page.click("#nav-sign-up")
    page.fill("input[name=username]", username)
    page.fill("input[name=email]", f"{username}@example.org")
    page.fill("input[name=password1]", "short")
    page.fill("input[name=password2]", "short")
    page.click("#sign-up")
    assert "too short" in page.locator("form").inner_text()  # Django's validators, as a form error
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    if not phone:
        page.screenshot(path=str(SCREENSHOTS / "sign-up.png"))
    page.click("#sign-up")
    page.wait_for_url(re.compile(rf"/players/{re.escape(username)}/$"))
    assert page.locator("#nav-profile").inner_text() == username
    # Today's challenge, signed in: the name is the account's; one try, ranked.
    page.goto(server + "/daily/")
    assert page.locator("input[name=player_name]").input_value() == username
    total = play_the_daily(page, phone=phone)
    assert number(page.locator("#total").inner_text()) == total
    board = page.locator(".daily-board").inner_text()
    assert username in board and "Your streak: 1 day in a row" in board
    page.wait_for_selector("#ai-total")  # worldNET's score on the same five, now that the player has played them
    page.screenshot(path=str(SCREENSHOTS / f"{device}-daily-summary.png"), full_page=not phone)
    # A second try is refused: the daily page shows the result instead of the form.
    page.goto(server + "/daily/")
    assert page.locator("form.daily-start").count() == 0
    assert number(page.locator("#daily-result strong").first.inner_text()) == total
    assert page.locator("#daily-worldnet").count() == 1
    # The profile: the game, the streak, the history of five rounds and the map of them.
    page.click("#nav-profile")
    page.wait_for_selector("#profile-map .leaflet-interactive")
    assert page.locator("#games-played").inner_text() == "1"
    assert page.locator("#daily-streak").inner_text() == "1"
    assert page.locator("#history tbody tr").count() == 5
    assert page.locator("#profile-map path.leaflet-interactive").count() >= 5
    page.screenshot(path=str(SCREENSHOTS / f"{device}-profile.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")  # nothing runs off a phone's screen
    with page.expect_download() as download:
        page.click("#history-csv")
    lines = Path(download.value.path()).read_text().strip().splitlines()
    assert len(lines) == 6 and lines[0].startswith("game,played_at,mode")
    # Signing out: the header offers sign-in again, and the profile shows others the public summary only.
    page.click("#sign-out")
    page.wait_for_selector("#nav-sign-in")
    page.goto(f"{server}/players/{username}/")
    assert page.locator("#games-played").inner_text() == "1" and page.locator("#history").count() == 0
    assert not script_errors, script_errors
    context.close()
