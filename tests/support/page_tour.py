"""Every kind of page the site serves, visited once, as a player and as an admin would.

The game: the home page, a whole classic game (round page, round image, round state, guess, reveal,
attention overlay, summary and its JSON), a challenge taken, a duel's round; the offline maps. The
admin: signing in, an image set uploaded, then for every registered ``ModelAdmin`` its list, add,
change, history and delete pages of a real object and its own pages (activation, coverage map, a job's
progress and cancel...), and the actions that lead to pages (train on image sets, activate a version).

One tour, two ways to drive it: ``DjangoClientBrowser`` (Django's test client, in the process that runs
the site: ``tests/project/test_web_without_torch.py``) and ``HttpBrowser`` (real HTTP, against gunicorn:
``benchmarks/web_footprint.py``). The admin part reads the admin's registry, so the process driving
the tour has Django set up on the site's database (``tests.support.seeded_site``).
"""

from __future__ import annotations

import io
import json
import re
import secrets
import urllib.parse
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Protocol

from tests.support.http_admin import AdminClient
from tests.support.images import jpeg_bytes

#: The admin's own pages of each model; any other URL a ModelAdmin adds is one of its own pages.
STANDARD_ADMIN_PAGES = ("changelist", "add", "change", "history", "delete")
Fields = dict[str, list[str]]


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Browser(Protocol):
    def get(self, path: str) -> Reply: ...

    def post(self, path: str, fields: Fields, files: dict[str, tuple[str, bytes]] | None = None) -> Reply: ...

    def post_json(self, path: str, payload: object) -> Reply: ...


@dataclass
class Visit:
    kind: str
    method: str
    path: str
    status: int
    expected: tuple[int, ...]

    @property
    def ok(self) -> bool:
        return self.status in self.expected


@dataclass
class Tour:
    browser: Browser
    visits: list[Visit] = field(default_factory=list)

    def get(self, path: str, kind: str, expected: tuple[int, ...] = (200,)) -> Reply:
        reply = self.browser.get(path)
        self.visits.append(Visit(kind, "GET", path, reply.status, expected))
        return reply

    def post(
        self, path: str, fields: Fields, kind: str, expected: tuple[int, ...] = (302,), files: dict[str, tuple[str, bytes]] | None = None
    ) -> Reply:
        reply = self.browser.post(path, fields, files)
        self.visits.append(Visit(kind, "POST", path, reply.status, expected))
        return reply

    def post_json(self, path: str, payload: object, kind: str) -> Reply:
        reply = self.browser.post_json(path, payload)
        self.visits.append(Visit(kind, "POST", path, reply.status, (200,)))
        return reply


def tour(browser: Browser, *, admin_password: str, admin_username: str = "admin") -> list[Visit]:
    """Visits every page kind (see the module) and returns each visit with its status."""
    visit = Tour(browser)
    game = play_classic_game(visit)
    take_challenge(visit, game)
    play_duel_round(visit)
    play_as_an_account(visit)
    fetch_maps(visit)
    walk_admin(visit, admin_username, admin_password)
    return visit.visits


# --- the game ----------------------------------------------------------------------------


def start_game(visit: Tour, mode: str) -> str:
    """Starts a game from the home page's form; returns its page's path."""
    home = visit.get("/", "game: home")
    fields = form_fields(home.body, having="player_name")
    fields.update(player_name=["Tourist"], time_limit=["0"], mode=[mode])
    started = visit.post("/", fields, f"game: start {mode}")
    return started.location


def play_round(visit: Tour, game: str, index: int, *, duel: bool = False) -> int:
    """Plays round ``index`` of the game at ``game``; returns how many rounds the game has."""
    page = visit.get(game, "game: round page")
    token = re.search(rb"/round-image/([A-Za-z0-9_-]+)", page.body)
    rounds = re.search(rb'"rounds": (\d+)', page.body)
    assert token and rounds, f"no round on {game}"
    visit.get(f"/round-image/{token.group(1).decode()}", "game: round image")
    if duel:  # asked every second while a duel's round is open (a classic game has none: 404)
        visit.get(f"{game}round/{index}/state", "game API: duel round state")
    visit.post_json(f"{game}guess", {"index": index, "lat": 48.85, "lon": 2.35}, "game API: guess")
    visit.get(f"{game}round/{index}", "game API: reveal")
    visit.get(f"{game}round/{index}/attention.jpg", "game: attention overlay")
    return int(rounds.group(1))


def play_classic_game(visit: Tour) -> str:
    game = start_game(visit, "classic")
    index, rounds = 0, 1
    while index < rounds:
        rounds = play_round(visit, game, index)
        visit.get(f"{game}?left={index}", "game: next round", expected=(302,))  # the reveal's "Next round"
        index += 1
    visit.get(f"{game}summary", "game: summary")
    visit.get(f"{game}summary.json", "game API: summary state")
    return game


def take_challenge(visit: Tour, game: str) -> None:
    challenge = game.replace("/game/", "/challenge/")
    page = visit.get(challenge, "game: challenge")
    fields = form_fields(page.body, having="player_name")
    fields["player_name"] = ["Challenger"]
    accepted = visit.post(challenge, fields, "game: accept challenge")
    visit.get(accepted.location, "game: challenge's round page")


def play_duel_round(visit: Tour) -> None:
    play_round(visit, start_game(visit, "duel"), 0, duel=True)


def play_as_an_account(visit: Tour) -> None:
    """Signs up, plays a round of the daily challenge and of a country streak, then reads the account's pages."""
    page = visit.get("/accounts/sign-up/", "accounts: sign-up page")
    fields = form_fields(page.body, having="username")
    password = "Tour-pass-" + secrets.token_urlsafe(8)
    fields.update(username=["tourist"], email=["tourist@example.org"], password1=[password], password2=[password])
    visit.post("/accounts/sign-up/", fields, "accounts: sign up", expected=(302,))
    page = visit.get("/daily/", "daily: page")
    daily = visit.post("/daily/", form_fields(page.body, having="player_name"), "daily: start", expected=(302,))
    play_round(visit, daily.location, 0)
    page = visit.get("/streak/", "streak: page")
    streak = visit.post("/streak/", form_fields(page.body, having="player_name"), "streak: start", expected=(302,))
    visit.get(streak.location, "streak: round page")
    for path, kind in [
        ("/me/", "accounts: me"),
        ("/players/tourist/", "accounts: profile"),
        ("/me/settings/", "accounts: settings"),
        ("/me/history.csv", "accounts: history CSV"),
        ("/me/delete/", "accounts: delete page"),
        ("/accounts/password/", "accounts: password change page"),
        ("/ratings/", "ratings: leaderboard"),
    ]:
        visit.get(path, kind, expected=(302,) if path == "/me/" else (200,))
    visit.get("/accounts/password-reset/", "accounts: password reset page")
    visit.get("/accounts/sign-in/", "accounts: sign-in page", expected=(302,))  # signed in: on to the profile


def fetch_maps(visit: Tour) -> None:
    visit.get("/world.geojson", "maps: world")
    index = json.loads(visit.get("/basemap.json", "maps: basemap index").body)
    for layer in index["layers"]:
        visit.get(layer["url"], "maps: basemap layer")


# --- the admin ---------------------------------------------------------------------------


def walk_admin(visit: Tour, username: str, password: str) -> None:
    login = visit.get("/admin/login/", "admin: login page")
    fields = form_fields(login.body, having="username")
    fields.update(username=[username], password=[password], next=["/admin/"])
    visit.post("/admin/login/", fields, "admin: sign in")
    visit.get("/admin/", "admin: index")
    upload_image_set(visit)
    for kind, path, expected in admin_pages():
        visit.get(path, kind, expected)
    train_on_image_sets(visit)
    activate_version(visit)


def upload_image_set(visit: Tour) -> None:
    """The image set add page is the upload: it keeps the zip and queues an import job."""
    add = "/admin/imagesets/imageset/add/"
    fields = form_fields(visit.get(add, "admin: upload page").body, having="name")
    fields.update(name=[f"Uploaded {secrets.token_hex(3)}"], kind=["auto"])
    job = visit.post(add, fields, "admin: upload", files={"archive": ("set.zip", tiny_labelled_zip())})
    visit.get(job.location, "admin: import job page")


def admin_pages() -> Iterable[tuple[str, str, tuple[int, ...]]]:
    """``(kind, path, statuses expected)`` of every registered ModelAdmin's pages, on its first object."""
    from django.contrib import admin
    from django.urls import reverse

    import geoguess.urls  # noqa: F401  (the admin's registry fills as the URLconf is read)

    for model, model_admin in admin.site._registry.items():
        label = f"admin: {model._meta.label}"
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"nothing to show on {model._meta.label}'s change page: seed one"
        yield f"{label} list", reverse(f"{prefix}_changelist"), (200,)
        yield f"{label} add", reverse(f"{prefix}_add"), (200, 403)  # 403: added by the site only (jobs, versions)
        for page in ("change", "history", "delete"):
            yield f"{label} {page}", reverse(f"{prefix}_{page}", args=[obj.pk]), (200, 403)
        for pattern in model_admin.get_urls():
            own = pattern.name or ""
            if not own.startswith(prefix.removeprefix("admin:")) or own.endswith(STANDARD_ADMIN_PAGES):
                continue  # the admin's own pages (above) and its catch-all redirect
            # A job's cancel button takes a POST (below, through the actions); a GET is refused.
            expected = (405,) if own.endswith("_cancel") else (200,)
            path = reverse(f"admin:{own}", args=[obj.pk])
            yield f"{label} {own.removeprefix(prefix.removeprefix('admin:') + '_')}", path, expected


def train_on_image_sets(visit: Tour) -> None:
    """The image set list's "Train worldNET" action: the run's form, started, shown and cancelled."""
    from geoguess.imagesets.models import ImageSet

    image_set = ImageSet.objects.order_by("pk").first()
    assert image_set is not None
    chosen = visit.post(
        "/admin/imagesets/imageset/",
        {"action": ["train_on_image_sets"], "_selected_action": [str(image_set.pk)]},
        "admin: train action",
    )
    form = visit.get(chosen.location, "admin: training run form")
    fields = form_fields(form.body, having="epochs")
    fields.update(name=[f"toured {secrets.token_hex(3)}"])
    run = visit.post(chosen.location.split("?")[0], fields, "admin: start training run")
    visit.get(run.location, "admin: training run page")
    run_page = run.location.removesuffix("change/")
    visit.get(f"{run_page}progress.json", "admin: training run progress")
    visit.post(f"{run_page}cancel/", {"csrfmiddlewaretoken": fields["csrfmiddlewaretoken"]}, "admin: cancel run")


def activate_version(visit: Tour) -> None:
    """The model version list's "Activate" action: the page that chooses its image sets, submitted."""
    from geoguess.imagesets.models import ImageSet
    from geoguess.opponent.models import ModelVersion

    version = ModelVersion.objects.order_by("pk").first()
    image_set = ImageSet.objects.order_by("pk").first()
    assert version is not None and image_set is not None
    chosen = visit.post("/admin/opponent/modelversion/", {"action": ["activate"], "_selected_action": [str(version.pk)]}, "admin: activate")
    page = visit.get(chosen.location, "admin: activation page")
    fields = form_fields(page.body, having="image_sets")
    fields["image_sets"] = sorted({*fields.get("image_sets", []), str(image_set.pk)})
    visit.post(chosen.location, fields, "admin: activate for a set")


def tiny_labelled_zip() -> bytes:
    """A zip an upload accepts: one photo and its labels (the import itself is a worker's)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("street.jpg", jpeg_bytes())
        archive.writestr("labels.csv", "filename,lat,lon,place,country\nstreet.jpg,48.8566,2.3522,Paris,FR\n")
    return buffer.getvalue()


# --- forms -------------------------------------------------------------------------------


class _Forms(HTMLParser):
    """The fields each ``<form>`` of a page submits as it stands: checked boxes, selected options, text."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Fields] = []
        self.names: list[set[str]] = []  # every field of each form, sent or not (an unticked box)
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        name = attributes.get("name", "")
        if tag == "form":
            self.forms.append({})
            self.names.append(set())
        elif not self.forms:
            return
        if name:
            self.names[-1].add(name)
        if tag == "form":
            return
        elif tag == "input" and name:
            kind = attributes.get("type", "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            self.forms[-1].setdefault(name, []).append(attributes.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select is not None:
            self._options.append((attributes.get("value", ""), "selected" in attributes))
        elif tag == "textarea" and name:
            self._textarea = name
            self.forms[-1][name] = [""]

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.forms[-1][self._textarea][0] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._options if selected] or [value for value, _ in self._options[:1]]
            self.forms[-1][self._select] = chosen
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_fields(page: bytes, *, having: str) -> Fields:
    """The fields of the page's form that has a field called ``having``."""
    parser = _Forms()
    parser.feed(page.decode("utf-8", "replace"))
    for form, names in zip(parser.forms, parser.names):
        if having in names:
            return form
    raise AssertionError(f"no form with a field {having!r} on the page")


# --- browsers ----------------------------------------------------------------------------


class DjangoClientBrowser:
    """Django's test client: the site in this very process."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def _reply(self, response: Any) -> Reply:
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return Reply(response.status_code, {k.lower(): v for k, v in response.headers.items()}, body)

    def get(self, path: str) -> Reply:
        return self._reply(self.client.get(path))

    def post(self, path: str, fields: Fields, files: dict[str, tuple[str, bytes]] | None = None) -> Reply:
        from django.core.files.uploadedfile import SimpleUploadedFile

        data: dict[str, Any] = dict(fields)
        for name, (filename, content) in (files or {}).items():
            data[name] = SimpleUploadedFile(filename, content)
        return self._reply(self.client.post(path, data))

    def post_json(self, path: str, payload: object) -> Reply:
        return self._reply(self.client.post(path, json.dumps(payload), content_type="application/json"))


class HttpBrowser:
    """Real HTTP over loopback with a cookie jar; CSRF as a browser's script sends it (the cookie's
    token in ``X-CSRFToken``), so JSON posts pass as forms do."""

    def __init__(self, base_url: str) -> None:
        self.http = AdminClient(base_url)  # its cookie jar and connection; the CSRF header is added here

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str = "") -> Reply:
        headers = {"Accept-Encoding": "gzip"}
        if content_type:
            headers["Content-Type"] = content_type
        if "csrftoken" in self.http.cookies:
            headers["X-CSRFToken"] = self.http.cookies["csrftoken"]
        status, response_headers, data = self.http.request(method, path, body, headers)
        return Reply(status, {k.lower(): v for k, v in response_headers.items()}, data)

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post(self, path: str, fields: Fields, files: dict[str, tuple[str, bytes]] | None = None) -> Reply:
        if not files:
            return self.request("POST", path, urllib.parse.urlencode(fields, doseq=True).encode(), "application/x-www-form-urlencoded")
        boundary = "----tour" + secrets.token_hex(12)
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            for name, values in fields.items()
            for value in values
        ]
        for name, (filename, content) in files.items():
            disposition = f'Content-Disposition: form-data; name="{name}"; filename="{filename}"'
            parts.append(f"--{boundary}\r\n{disposition}\r\nContent-Type: application/zip\r\n\r\n".encode() + content + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request("POST", path, body, f"multipart/form-data; boundary={boundary}")

    def post_json(self, path: str, payload: object) -> Reply:
        return self.request("POST", path, json.dumps(payload).encode(), "application/json")
