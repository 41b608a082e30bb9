"""Country streaks in a real browser, on a desktop and on a phone: Playwright driving Debian's chromium against a real
server process (its own SQLite file, Celery eager), as in tests/browser/test_duel.py.

The player clicks inside the right country (the test reads each photo's place from the site's database, as a
player who knows it would click there), is refused once for a click at sea, and ends the run with a click in
Brazil, where no photo of the small world is. worldNET is the tiny untrained model of the other browser tests,
with its stored guesses set (before the server starts) on each photo: right every time, so its streak is still
going when the player's ends. ``README_SCREENSHOTS=1`` also writes the README's two JPEGs.
"""

from __future__ import annotations

import os
import re

import pytest
from PIL import Image

from tests.support.browser import (
    README_SHOTS,
    SCREENSHOTS,
    Helper,
    assert_header_on_one_line,
    assert_reveal_fits,
    basemap_drawn,
    new_page,
    settle,
)
from tests.support.images import small_world
from tests.support.processes import REGISTER, manage, start_site, stop

# worldNET's stored guesses: on each photo (so always the right country).
RIG = """
from geoguess.opponent.models import Prediction
for p in Prediction.objects.select_related("photo"):
    p.lat, p.lon = p.photo.lat, p.photo.lon
    p.save()
print("rigged")
"""
MID_ATLANTIC = (0.0, -30.0)
BRAZIL = (-10.0, -55.0)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("streak-site")
    env = {
        **os.environ,
        "GEOGUESS_VAR_DIR": str(tmp / "var"),
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "DJANGO_SETTINGS_MODULE": "geoguess.settings",
    }
    manage(env, "migrate", "-v", "0")
    manage(env, "import_imageset", str(small_world(tmp / "world", per_city=3)), "--name", "Small world")
    manage(env, "shell", "-v", "0", "-c", REGISTER.replace("{tmp}", str(tmp)))  # eager: every prediction is stored
    assert "rigged" in manage(env, "shell", "-v", "0", "-c", RIG)
    server, url = start_site(env)
    helper = Helper(env)
    yield url, helper
    helper.process.stdin.close()
    stop(helper.process)
    stop(server)


def start_streak(page, url: str, name: str) -> str:
    page.goto(url + "/")
    page.click("#streak-link")
    page.wait_for_selector("#start-streak")
    page.fill("input[name=player_name]", name)
    page.click("#start-streak")
    wait_for_round(page)
    return re.search(r"/game/([^/]+)/", page.url).group(1)


def wait_for_round(page) -> None:
    basemap_drawn(page)  # the basemap has drawn
    page.wait_for_selector("#viewer.ready")


def click_at(page, lat: float, lon: float, zoom: float = 5) -> None:
    """A click on (lat, lon), the map first centred there, as a player sure of the place would."""
    point = page.evaluate(
        "([lat, lon, zoom]) => { GeoRound.map.setView([lat, lon], zoom, { animate: false }); "
        "return GeoRound.map.latLngToContainerPoint([lat, lon]); }",
        [lat, lon, zoom],
    )
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])


def the_answer(helper: Helper, public_id: str, index: int) -> tuple[float, float]:
    lat, lon = map(float, helper.ask("answer", public_id, index).split())
    return lat, lon


def reveal(page, where: str) -> str:
    """The reveal, with worldNET's guess in; its verdict line."""
    page.wait_for_selector("#reveal:not([hidden])")
    page.wait_for_selector("path.pin-worldnet", timeout=20000)
    assert_reveal_fits(page, where)
    return page.locator("#streak-verdict").inner_text()


@pytest.mark.slow
def test_a_streak_on_a_desktop_right_twice_then_wrong(site, browser):
    url, helper = site
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page, errors = new_page(browser, 1280, 800)
    page.goto(url + "/streak/")
    page.screenshot(path=str(SCREENSHOTS / "streak-start.png"), full_page=True)
    public_id = start_streak(page, url, "Ada")
    assert page.locator("#hint").inner_text().startswith("Click inside the country")
    # A click at sea names no country: refused, said, and the round is still there to play.
    click_at(page, *MID_ATLANTIC, zoom=3)
    page.click("#guess")
    page.wait_for_selector("#error:not([hidden])")
    assert page.locator("#error").inner_text() == "that point is in no country: click inside a country's borders"
    assert page.locator("#reveal").is_hidden() and page.locator("#guess").is_enabled()
    for index in range(2):
        assert page.locator(".status").inner_text().split()[:4] == ["Photo", str(index + 1), "Streak", str(index)]
        click_at(page, *the_answer(helper, public_id, index))
        page.click("#guess")
        verdict = reveal(page, f"streak round {index + 1}")
        assert re.fullmatch(r"Right: [^.]+\.", verdict), verdict
        assert page.locator("#error").is_hidden()  # the refusal at sea is over once a guess is stored
        assert page.locator("#score").inner_text() == str(index + 1) and page.locator("#ai-streak").inner_text() == str(index + 1)
        assert page.locator("#you-km").inner_text() == "✓ " + verdict[len("Right: ") : -1]
        assert (
            page.locator("#you-points").inner_text() == str(index + 1)
            and page.locator("#ai-points").inner_text() == f"{index + 1} in a row"
        )
        settle(page)
        page.screenshot(path=str(SCREENSHOTS / f"streak-1280x800-reveal-{index + 1}.png"))
        assert page.locator("#next").inner_text() == "Next round"
        page.click("#next")
        wait_for_round(page)
    click_at(page, *BRAZIL)
    page.click("#guess")
    verdict = reveal(page, "streak round 3")
    ended = r"Wrong: you said Brazil, it was [^.]+\. Your streak ends at 2\. worldNET's streak is still going: 3\."
    assert re.fullmatch(ended, verdict), verdict
    assert page.locator("#score").inner_text() == "2" and page.locator("#you-km").inner_text() == "✗ Brazil"
    assert page.locator("#next").inner_text() == "See the summary"
    page.click("#next")
    page.wait_for_selector("#streak-records")
    assert page.locator("#total").inner_text() == "2" and page.locator("#ai-total").inner_text() == "3"
    assert page.locator("#ai-streak-note").inner_text().startswith("worldNET's streak is still going")
    assert page.locator("table.rounds tbody tr").count() == 3 and page.locator("#streak-records li.me").inner_text().split() == ["Ada", "2"]
    page.screenshot(path=str(SCREENSHOTS / "streak-1280x800-summary.png"), full_page=True)
    if os.environ.get("README_SCREENSHOTS"):
        with Image.open(SCREENSHOTS / "streak-1280x800-reveal-2.png") as image:
            image.convert("RGB").save(README_SHOTS / "streak.jpg", "JPEG", quality=75, optimize=True)
    assert errors == []
    page.context.close()


@pytest.mark.slow
def test_a_streak_on_a_phone(site, browser):
    url, helper = site
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page, errors = new_page(browser, 390, 844)
    public_id = start_streak(page, url, "Pho")
    assert_header_on_one_line(page, "streak on a phone")
    assert page.locator("#hint").inner_text() == "Tap inside the country where you think the photo was taken, then tap Guess."
    click_at(page, *the_answer(helper, public_id, 0))
    assert page.locator("#hint").inner_text().startswith("The country your pin is in is your answer")
    button = page.locator("#guess")
    button.scroll_into_view_if_needed()
    button.click()
    verdict = reveal(page, "phone streak round 1")
    assert verdict.startswith("Right: ") and page.locator("#score").inner_text() == "1"
    settle(page)
    page.screenshot(path=str(SCREENSHOTS / "streak-390x844-reveal-1.png"))
    if os.environ.get("README_SCREENSHOTS"):
        with Image.open(SCREENSHOTS / "streak-390x844-reveal-1.png") as image:  # device scale 2: halved, as a phone shows it
            image.convert("RGB").resize((image.width // 2, image.height // 2), Image.LANCZOS).save(
                README_SHOTS / "phone-streak.jpg", "JPEG", quality=80, optimize=True
            )
    page.click("#next")
    wait_for_round(page)
    click_at(page, *BRAZIL)
    page.locator("#guess").click()
    assert reveal(page, "phone streak round 2").startswith("Wrong: you said Brazil")
    page.click("#next")
    page.wait_for_selector("#streak-records")
    assert page.locator("#total").inner_text() == "1"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SCREENSHOTS / "streak-390x844-summary.png"), full_page=True)
    assert errors == []
    page.context.close()
