"""Hostile names in a real browser: places, countries, a player and a set named like markup stay text.

A whole game in Debian's chromium (Playwright) against a real server process, on an
image set imported with ``manage.py import_imageset`` whose places and countries are
script injections. Every pin, every worldNET bar and every candidate circle is hovered
(tooltips are where Leaflet would insert markup), and the legend and worldNET's
explanation are read; nothing may run, the names must show literally, and the
Content-Security-Policy must not have to block anything (a blocked inline script or
style would be a console error, and a broken page).
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from tests.support.browser import basemap_drawn
from tests.support.images import write_jpeg
from tests.support.processes import REGISTER, manage, start_site, stop

# Each would set window.__pwned if a page ever put it in as HTML (or broke out of a script with it).
HOSTILE_PLACES = [
    '<img src=x onerror="window.__pwned=1">',
    "<script>window.__pwned=1</script>",
    '"><svg onload=window.__pwned=1>',
    "`${window.__pwned=1}` ');window.__pwned=1;//",
    '</span><iframe srcdoc="<script>parent.__pwned=1</script>">',
    "Saint-Étienne & <b onmouseover=window.__pwned=1>bold</b>",
]
HOSTILE_COUNTRIES = [
    "<img src=y onerror=window.__pwned=1>",
    "<svg/onload=window.__pwned=1>",
    "</td><script>window.__pwned=1</script>",
    '" onmouseover="window.__pwned=1',
    "<style>body{display:none}</style>",
    "<a href=javascript:window.__pwned=1>Land</a>",
]
PLACES = dict(zip(HOSTILE_PLACES, HOSTILE_COUNTRIES))
COORDINATES = [(48.85, 2.35), (-33.87, 151.21), (40.71, -74.0), (35.68, 139.69), (-1.29, 36.82), (-23.55, -46.63)]
PLAYER = "<img src=z onerror=window.__pwned=1>"
AUTHOR = '<img src=a onerror="window.__pwned=1"> & co'
LICENCE = "<a href=javascript:window.__pwned=1>CC BY</a>"
SET_NAME = 'Hostile <b onmouseover="window.__pwned=1">set</b>'
ADMIN_PASSWORD = "a-long-test-password-4096"

# Recorded in every document (iframes included) before its own scripts run.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI));
"""


def hostile_manifest(folder: Path) -> Path:
    folder.mkdir(parents=True)
    with (folder / "manifest.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)  # quotes the commas and quotes of the hostile names
        writer.writerow(["path", "lat", "lon", "place", "country", "group", "author", "licence", "source"])
        for i, ((place, country), (lat, lon)) in enumerate(zip(PLACES.items(), COORDINATES)):
            write_jpeg(folder / "images" / f"{i}.jpg", color=(40 * i % 255, 90, 160), size=(64, 48))
            writer.writerow([f"images/{i}.jpg", lat, lon, place, country, f"g{i}", AUTHOR, LICENCE, f"https://example.org/photo/{i}"])
    return folder


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    """The site in its own process, with the hostile image set, an active worldNET and an admin."""
    tmp = tmp_path_factory.mktemp("hostile-site")
    env = {
        **os.environ,
        "GEOGUESS_VAR_DIR": str(tmp / "var"),
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "DJANGO_SETTINGS_MODULE": "geoguess.settings",
        "DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD,
    }
    manage(env, "migrate", "-v", "0")
    manage(env, "import_imageset", str(hostile_manifest(tmp / "hostile")), "--name", SET_NAME)
    manage(env, "shell", "-v", "0", "-c", REGISTER.replace("{tmp}", str(tmp)))  # worldNET's places are the hostile names too
    manage(env, "createsuperuser", "--noinput", "--username", "admin", "--email", "admin@example.org")
    process, url = start_site(env)
    yield url
    stop(process)


def watched_page(browser):
    """A page, and the list its console errors, page errors and CSP violations go into."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    problems: list[str] = []

    def on_console(message) -> None:
        where = message.location.get("url", "")
        if message.type == "error" and not where.endswith("/favicon.ico"):  # the site has no icon: not what this test is about
            problems.append(f"console {message.type}: {message.text} {where}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    return page, problems


def assert_untouched(page, problems: list[str]) -> None:
    page.wait_for_timeout(300)  # an <img onerror> fires only once its load has failed
    for frame in page.frames:
        assert frame.evaluate("typeof window.__pwned") == "undefined", f"script ran in {frame.url}"
        assert frame.evaluate("window.__csp || []") == [], f"CSP violations in {frame.url}"
    assert problems == []


def hover_tooltip(page, pin) -> str:
    """Hover a Leaflet pin and read its tooltip; fails if the tooltip holds any element but the text's."""
    pin.dispatch_event("mouseover")  # pins may overlap: the event goes to this pin, through Leaflet's own handlers
    tooltip = page.locator(".leaflet-tooltip-pane .leaflet-tooltip").last
    tooltip.wait_for()
    text = tooltip.inner_text().strip()
    assert tooltip.locator("img, script, svg, iframe, b, a, style").count() == 0, tooltip.inner_html()
    pin.dispatch_event("mouseout")
    return text


@pytest.mark.slow
def test_hostile_names_stay_text_through_a_whole_game(hostile_server, browser):
    page, problems = watched_page(browser)
    page.goto(hostile_server + "/")
    assert page.locator(".set-name").inner_text() == SET_NAME
    page.fill("input[name=player_name]", PLAYER)
    page.click("button[type=submit]")
    seen: list[str] = []
    for index in range(5):
        basemap_drawn(page)
        box = page.locator("#map").bounding_box()
        page.mouse.click(box["x"] + box["width"] * (0.3 + 0.1 * index), box["y"] + box["height"] * 0.4)
        page.click("#guess")
        page.wait_for_selector("#reveal:not([hidden])")
        page.wait_for_selector("path.pin-worldnet")
        truth = page.locator("#truth-place").inner_text()
        assert truth in {f"{place}, {country}" for place, country in PLACES.items()}, truth
        # The photo's credit: its author and licence as text, one link (to its http(s) source) and nothing else.
        credit = page.locator("#credit")
        assert credit.inner_text() == f"Photo by {AUTHOR}, {LICENCE} (source)"
        assert credit.locator("*").count() == 1 and credit.locator("a").get_attribute("href").startswith("https://example.org/photo/")
        seen.append(truth.split(", ")[0])
        labels = {hover_tooltip(page, page.locator(f"path.pin-{kind}")) for kind in ("truth", "player", "worldnet")}
        assert labels == {"the answer", "you", "worldNET"}
        bars = page.locator("#ai-top .candidate")
        assert bars.count() == 3
        candidates = []
        for i in range(3):
            bars.nth(i).hover()
            candidates.append(bars.nth(i).locator(".label").inner_text())
            assert candidates[-1] in HOSTILE_PLACES  # worldNET's places, as text
            assert bars.nth(i).locator(".label").get_attribute("title") == candidates[-1]
        # worldNET's candidate circles: their tooltips name the places, as text.
        circles = page.locator("path.candidate-circle")
        assert circles.count() == 3
        circle_labels = [hover_tooltip(page, circles.nth(i)) for i in range(3)]
        assert sorted(label.rsplit(": ", 1)[0] for label in circle_labels) == sorted(candidates)
        # The explanation quotes a hostile place literally, and holds no element at all.
        explain = page.locator("#ai-explain")
        assert explain.evaluate("(node) => node.children.length") == 0
        assert f"sure of {candidates[0]}." in explain.inner_text()
        legend = page.locator("#map .legend")
        assert legend.inner_text().split("\n") == ["the answer", "you", "worldNET", "worldNET's candidates, sized by how sure"]
        assert legend.locator("img, script, svg, iframe, b, a, style").count() == 0
        assert_untouched(page, problems)
        page.click("#next")

    page.wait_for_selector("#total")
    assert page.locator(".totals .you h2").inner_text() == PLAYER
    cells = [cell.split("\n") for cell in page.locator("table.rounds tbody td:nth-child(2)").all_inner_texts()]
    assert [lines[0] for lines in cells] == [f"{place} ({PLACES[place]})" for place in seen]
    assert all(lines[1] == f"Photo by {AUTHOR}, {LICENCE} (source)" for lines in cells), cells  # each photo's credit, as text
    assert page.locator("table.rounds .credit a").count() == 5
    assert page.locator("table.rounds .credit img, table.rounds .credit b").count() == 0
    page.wait_for_selector("#map path.pin-truth")
    pins = page.locator("#map path.pin-truth, #map path.pin-player, #map path.pin-worldnet")
    assert pins.count() == 15
    tooltips = {hover_tooltip(page, pins.nth(i)) for i in range(pins.count())}
    expected = {f"round {i + 1}: {place}" for i, place in enumerate(seen)}
    guesses = {label for label in tooltips if label not in expected}
    assert tooltips >= expected and len(guesses) == 10
    assert {label.split(": ")[0] for label in guesses} == {f"{who}, round {i + 1}" for who in ("you", "worldNET") for i in range(5)}
    assert_untouched(page, problems)
    page.context.close()


@pytest.mark.slow
def test_the_admin_works_under_the_policy_with_hostile_names(hostile_server, browser):
    page, problems = watched_page(browser)
    page.goto(hostile_server + "/admin/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")

    page.goto(hostile_server + "/admin/imagesets/imageset/")
    page.click(f"text={SET_NAME}")  # the set's name is a link's text, not markup
    # The coverage map: folium's inline script runs in its own sandboxed document, by nonce.
    map_frame = page.frame_locator("iframe[title='coverage map']")
    # Attached, not visible: on a view fitted to the photos the first country's path may be one Leaflet emptied.
    map_frame.locator(".leaflet-overlay-pane path.leaflet-interactive").first.wait_for(state="attached")
    assert map_frame.locator(".leaflet-overlay-pane path.leaflet-interactive").count() > len(PLACES)  # countries and photos
    assert_untouched(page, problems)

    page.goto(hostile_server + "/admin/imagesets/photo/")
    assert sorted(page.locator("td.field-place").all_inner_texts()) == sorted(HOSTILE_PLACES)
    page.locator("#action-toggle").check()  # the admin's own scripts run under the policy
    assert page.locator(".action-counter").inner_text().startswith(f"{len(PLACES)} of {len(PLACES)}")
    page.locator("th.field-id a").first.click()
    # The served image's preview, from the admin-only thumbnail URL, decoded by the browser.
    preview = page.locator("div.field-preview img")
    preview.wait_for()
    page.wait_for_function("image => image.complete && image.naturalWidth > 0", arg=preview.element_handle())
    assert page.locator("div.field-place div.readonly").inner_text() in HOSTILE_PLACES
    assert_untouched(page, problems)
    page.context.close()
