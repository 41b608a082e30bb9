"""The admin's pages for imports and curation in Chromium, under the site's strict CSP: the job page
follows a job live (its script polls the status URL) and words every stage an import goes through, an
image set's photos show on its map (whose wheel zooms only once it is clicked), and no page asks for
a file that is not there (the favicon)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.images import small_world
from tests.support.processes import manage, start_site, stop

pytestmark = pytest.mark.slow
PASSWORD = "a long test password"
HOSTILE = "labels.csv, row 3: <img src=x onerror=document.title='owned'>"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("site")
    env = {
        **os.environ,
        "GEOGUESS_VAR_DIR": str(tmp / "var"),
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "DJANGO_SETTINGS_MODULE": "geoguess.settings",
    }
    manage(env, "migrate", "-v", "0")
    manage(env, "import_imageset", str(small_world(tmp / "world", per_city=2)), "--name", "Small world")
    manage(
        env,
        "shell",
        "-v",
        "0",
        "-c",
        f"from django.contrib.auth.models import User; User.objects.create_superuser('boss', 'b@example.org', {PASSWORD!r})",
    )
    # A job as a worker leaves it part-way (no worker here: the test plays the worker's writes).
    manage(
        env,
        "shell",
        "-v",
        "0",
        "-c",
        (
            "from django.utils import timezone; from geoguess.imagesets.models import ImportJob; "
            "ImportJob.objects.create(name='Big trip', archive='imports/x/trip.zip', archive_name='trip.zip', "
            "status='running', stage='checking', "
            "checked=10, total=100, token='abc', attempts=1, started_at=timezone.now(), "
            "heartbeat_at=timezone.now() + timezone.timedelta(hours=1))"
        ),
    )
    # A second job, queued: the test walks it through every stage an import goes through.
    manage(
        env,
        "shell",
        "-v",
        "0",
        "-c",
        "from geoguess.imagesets.models import ImportJob; "
        "ImportJob.objects.create(name='Staged', archive='imports/y/s.zip', archive_name='s.zip')",
    )
    process, url = start_site(env)
    yield url, Path(env["GEOGUESS_VAR_DIR"]) / "db.sqlite3"
    stop(process)


def logged_in(browser, url: str):
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(url + "/admin/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(url + "/admin/")
    return page


def worker_writes(db: Path, sql: str, *args) -> None:
    with sqlite3.connect(db, timeout=20) as connection:
        connection.execute(sql, args)


def test_the_job_page_follows_the_job_live_and_lists_its_problems_as_text(site, browser):
    url, db = site
    page = logged_in(browser, url)
    page.goto(url + "/admin/imagesets/importjob/1/change/")
    progress = page.locator("#import-progress")
    assert "checking" in progress.inner_text() and page.inner_text("#import-progress [data-fact=checked]") == "10 of 100"
    worker_writes(db, "UPDATE imagesets_importjob SET stage='storing', checked=100, stored=40 WHERE id=1")
    # Locators, not wait_for_function: the page's CSP forbids evaluating strings, Playwright's included.
    expect(page.locator("[data-fact=stage]")).to_have_text("storing the photos", timeout=10_000)
    assert page.inner_text("#import-progress [data-fact=stored]") == "40 of 100" and "photos stored" in progress.inner_text()
    assert page.locator("progress[data-bar=stored]").get_attribute("value") == "40"
    worker_writes(
        db,
        "UPDATE imagesets_importjob SET status='failed', problems=?, finished_at=CURRENT_TIMESTAMP WHERE id=1",
        f'["{HOSTILE}"]',
    )
    expect(page.locator("[data-fact=status]")).to_have_text("failed", timeout=10_000)
    assert page.locator("[data-list=problems] li").inner_text() == HOSTILE  # shown as text, never run
    assert page.locator("#import-progress img").count() == 0 and page.title() != "owned"
    # The rest of the page is drawn again once the job has ended: its heading no longer says it runs.
    expect(page.locator("#content h2")).to_contain_text("(failed)", timeout=10_000)
    assert page.locator("[data-list=problems] li").inner_text() == HOSTILE
    assert page.inner_text("#import-progress [data-fact=stage]") == "stopped while storing the photos"  # not "storing", as if it went on


def test_the_job_page_words_every_stage_of_an_import(site, browser):
    url, db = site
    page = logged_in(browser, url)
    page.goto(url + "/admin/imagesets/importjob/2/change/")
    stage = page.locator("#import-progress [data-fact=stage]")
    expect(stage).to_have_text("queued: waiting for a worker on the imports queue")
    # As the worker writes them (``imageset_import``'s progress), with a heartbeat the sweep leaves alone.
    for stored, shown in [
        ("unpacking", "unpacking the zip"),
        ("checking", "checking the photos"),
        ("storing", "storing the photos"),
        ("saving", "saving the image set"),
    ]:
        worker_writes(
            db,
            "UPDATE imagesets_importjob SET status='running', stage=?, token='t', attempts=1, started_at=CURRENT_TIMESTAMP, "
            "heartbeat_at=datetime('now', '+1 hour') WHERE id=2",
            stored,
        )
        expect(stage).to_have_text(shown, timeout=10_000)
    worker_writes(
        db, "UPDATE imagesets_importjob SET status='succeeded', stage='done', image_set_id=1, finished_at=CURRENT_TIMESTAMP WHERE id=2"
    )
    expect(page.locator("#content h2")).to_contain_text("(succeeded)", timeout=10_000)  # the page drawn again, ended
    expect(stage).to_have_text("done: the image set is saved")
    link = page.locator("#import-progress [data-fact=image_set] a")
    assert link.inner_text() == "Small world" and link.get_attribute("href") == "/admin/imagesets/imageset/1/change/"
    listing = page.goto(url + "/admin/imagesets/importjob/")
    assert listing.ok and "done: the image set is saved" in page.inner_text("#result_list")


def test_the_set_page_shows_its_photos_on_a_map_with_thumbnails(site, browser):
    url, _ = site
    page = logged_in(browser, url)
    page.goto(url + "/admin/imagesets/imageset/1/change/")
    page.wait_for_selector("#photo-map path.leaflet-interactive")
    assert page.locator("#photo-map path.leaflet-interactive").count() == 8
    page.locator("#photo-map path.leaflet-interactive").first.click(force=True)
    thumbnail = page.locator(".leaflet-popup img")
    thumbnail.wait_for()
    assert "/admin/imagesets/photo/" in thumbnail.get_attribute("src")
    expect(thumbnail).to_have_js_property("complete", True)
    assert thumbnail.get_attribute("alt").startswith("photo ") and thumbnail.bounding_box()["height"] > 50  # it loaded, for staff
    assert page.locator("#photo-table img").count() == 8


def test_the_photo_map_zooms_by_wheel_only_once_clicked(site, browser):
    url, _ = site
    page = logged_in(browser, url)
    page.goto(url + "/admin/imagesets/imageset/1/change/")
    marker = page.locator("#photo-map path.leaflet-interactive").first
    marker.wait_for()
    photo_map = page.locator("#photo-map")
    photo_map.scroll_into_view_if_needed()
    page.wait_for_timeout(300)

    def wheel_over_the_map(delta: int) -> tuple[float, str]:
        """Turns the wheel over the map's middle; returns where the map then is in the window, and a marker's shape."""
        box = photo_map.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.wheel(0, delta)
        page.wait_for_timeout(800)  # Leaflet gathers wheel turns, then animates the zoom
        return photo_map.bounding_box()["y"], marker.get_attribute("d")

    top, shape = photo_map.bounding_box()["y"], marker.get_attribute("d")
    # Scrolling the page up past the map: the page scrolls, the map keeps its zoom.
    moved_to, shape_after = wheel_over_the_map(-300)
    assert moved_to > top + 100 and shape_after == shape
    # Clicked (a corner with no marker), the map takes the wheel: it zooms in, the page stays.
    box = photo_map.bounding_box()
    page.mouse.click(box["x"] + box["width"] - 30, box["y"] + box["height"] / 2)
    top = photo_map.bounding_box()["y"]
    moved_to, zoomed = wheel_over_the_map(-300)
    assert moved_to == top and zoomed != shape
    # A click elsewhere on the page (the table under the map) gives the wheel back to the page.
    page.locator("#photo-table thead th").first.click()
    top = photo_map.bounding_box()["y"]
    moved_to, shape_after = wheel_over_the_map(300)
    assert moved_to < top - 100 and shape_after == zoomed


def test_admin_pages_ask_for_no_missing_file(site, browser):
    url, _ = site
    page = logged_in(browser, url)
    missing: list[str] = []
    page.on("response", lambda response: missing.append(f"{response.status} {response.url}") if response.status >= 400 else None)
    for path in ("/admin/", "/admin/imagesets/imageset/1/change/", "/admin/imagesets/importjob/1/change/"):
        page.goto(url + path)
        page.wait_for_load_state("networkidle")
    assert missing == []
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon == "/static/img/favicon.svg" and page.request.get(url + icon).ok
    answer = page.request.get(url + "/favicon.ico")  # browsers ask for it on pages without the link (error pages)
    assert answer.ok and answer.headers["content-type"] == "image/svg+xml"
