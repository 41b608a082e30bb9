"""Every endpoint against a table of hostile input: a 4xx with a plain-English message, never a 5xx.

The clients are Django's test client with ``raise_request_exception=False``, so a view that
crashes shows up as a 500 status (what a player would get) instead of an exception in the test.
Each table runs twice: from a session that owns a game, and from a stranger's session.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from urllib.parse import unquote

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import Resolver404, resolve

from geoguess.game.errors import Code
from geoguess.game.models import Game, Round
from tests.support.games import play_page

CODES = {code.value for code in Code}

# Things only Python says: a player must never see them in an error message.
PYTHON_TEXT = re.compile(
    r"Traceback|invalid literal|could not convert|Expecting|line \d+ column|NoneType|object is not|"
    r"Error\b|Exception|int\(\)|float\(\)|Field '|codec|OverflowError|RecursionError|\bdecode\b",
)

# Path segments where a public id, a challenge id or an image token goes.
HOSTILE_IDS = [
    "abc",
    "0",
    "-1",
    "99999999999999999999",
    "1e400",
    "null",
    "a" * 5000,
    "%00",
    "%FF%FE",
    "..%2F..%2Fsettings.py",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "'%20OR%20'1'%3D'1",
    "%E2%80%AE",
    "%20",
    "x%0D%0ASet-Cookie:%20a=b",
]
# Path segments where a round index goes (the URL pattern only lets digits through).
HOSTILE_INDEXES = [
    "5",
    "6",
    "99",
    "32767",
    "32768",
    "65536",
    "2147483648",
    "9223372036854775808",
    "99999999999999999999",
    "0" * 500 + "9",
    "9" * 5000,
]

# Form values for the two POST forms (home: player_name, image_set, time_limit; challenge: player_name).
HOSTILE_FORM_VALUES = [
    "",
    " ",
    "abc",
    "-1",
    "0",
    "1e9",
    "1e400",
    "nan",
    "inf",
    "-inf",
    "1.5",
    "0x1e",
    " 30",
    "30 ",
    "99999999999999999999",
    "9" * 5000,
    "\x00",
    "a\x00b",
    "<script>alert(1)</script>",
    "\u202eevil",
    "[]",
    "{}",
    "true",
    "null",
    "😀" * 50,
    "x" * 100_000,
]

# Guess bodies: (bytes, content type).
GUESS_VALUES = [
    "true",
    "false",
    "null",
    '"1"',
    '"north"',
    "[]",
    "[1, 2]",
    "{}",
    '{"lat": 1}',
    "NaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "-1e400",
    "1" + "0" * 400,
    "1" + "0" * 5000,
    "1e9",
    "-1",
    "-91",
    "181",
    "1.5",
    "32768",
    "9223372036854775808",
    "4.9e-324",
]
RAW_GUESS_BODIES: list[tuple[bytes, str]] = [
    (b"", "application/json"),
    (b"[]", "application/json"),
    (b'"a string"', "application/json"),
    (b"null", "application/json"),
    (b"42", "application/json"),
    (b"{", "application/json"),
    (b"\xff\xfe\x00{", "application/json"),
    (b'{"index": 0, "lat": 1, "lon": 1}'.decode().encode("utf-16"), "application/json"),
    (b"\xc3\x28", "application/json"),
    (b"[" * 100_000, "application/json"),
    (b'{"a":' * 5000 + b"1" + b"}" * 5000, "application/json"),
    (b'{"index": 0, "lat": 1, "lon": 1}', "text/plain"),
    (b'{"index": 0, "lat": 1, "lon": 1}', "application/x-www-form-urlencoded"),
    (b"index=0&lat=1&lon=1", "application/x-www-form-urlencoded"),
    (b'{"index": 0, "lat": 1, "lon": 1}', ""),
    (b'{"index": 0, "lat": 1, "lon": 1, "lat": true}', "application/json"),
    (b'{"index": 0, "lat": 1, "lon": 1, "extra": "x"}', "application/json"),
    (b'{"index": 0, "lat": 1, "lon": 1}' + b" " * 20_000, "application/json"),
    (json.dumps({"index": 0, "lat": 1, "lon": 1, "pad": "x" * 2_000_000}).encode(), "application/json"),
]


def valid_for(field: str, literal: str) -> bool:
    """Whether a JSON literal is a good value of a guess's field (longitudes wrap round the world)."""
    try:
        value = json.loads(literal)
    except ValueError:  # an integer of more than 4300 digits
        return False
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if field == "index":
        return isinstance(value, int) and 0 <= value <= 4
    try:
        number = float(value)
    except OverflowError:
        return False
    return math.isfinite(number) and (field == "lon" or -90 <= number <= 90)


def hostile_guess_bodies() -> list[tuple[bytes, str]]:
    """Every field of a guess set to every value that is bad for it, plus bodies that are not a guess at all."""
    bodies = list(RAW_GUESS_BODIES)
    good = {"index": "0", "lat": "10.5", "lon": "20.5"}
    for field in good:
        for value in GUESS_VALUES:
            if valid_for(field, value):
                continue
            fields = {**good, field: value}
            bodies.append((("{" + ", ".join(f'"{k}": {v}' for k, v in fields.items()) + "}").encode(), "application/json"))
    return bodies


# --- fixtures ------------------------------------------------------------------------------


def hostile_client() -> Client:
    return Client(raise_request_exception=False)


def start_game(client: Client, image_set, name: str = "Ann") -> Game:
    response = client.post("/", {"image_set": image_set.pk, "player_name": name, "time_limit": 0})
    assert response.status_code == 302, response.content.decode()[:500]
    return Game.objects.get(public_id=response["Location"].split("/")[2])


def post_guess(client: Client, game: Game, body: dict) -> HttpResponse:
    return client.post(f"/game/{game.public_id}/guess", json.dumps(body), content_type="application/json")


@pytest.fixture
def owner(image_set) -> tuple[Client, Game, Game]:
    """A session with a finished game (so its challenge page exists) and a game at round 0, shown."""
    client = hostile_client()
    finished = start_game(client, image_set)
    for index in range(5):
        play_page(client, finished)
        assert post_guess(client, finished, {"index": index, "lat": 1.0, "lon": 1.0}).status_code == 200
    game = start_game(client, image_set)
    assert play_page(client, game).status_code == 200
    return client, game, finished


def clients(owner: tuple[Client, Game, Game]) -> dict[str, Client]:
    return {"owner": owner[0], "stranger": hostile_client()}


def error_message(response: HttpResponse) -> str:
    """The message a player is shown: the JSON error of the API, the alert of a page."""
    if response["Content-Type"].startswith("application/json"):
        return response.json()["error"]["message"]
    found = re.search(r'role="alert"[^>]*>(.*?)<', response.content.decode(errors="replace"), re.S)
    return found.group(1) if found else ""


def resolves(path: str) -> bool:
    """Whether a path reaches a view. One that does not (a %2F makes two segments of one; a round
    index beyond Python's 4300-digit limit fails the int converter) is answered by Django's own 404."""
    try:
        resolve(unquote(path.split("?")[0]))
    except Resolver404:
        return False
    return True


def check(failures: list[str], what: str, response: HttpResponse, *, api: bool = False) -> None:
    """No 5xx; an API answers JSON with a plain message; no message reads like Python."""
    status = response.status_code
    api = api and resolves(response.request["PATH_INFO"])
    if status >= 500:
        failures.append(f"{what}: {status}")
        return
    if api and 400 <= status < 500 and status not in (405,):
        if not response["Content-Type"].startswith("application/json"):
            failures.append(f"{what}: {status} answered {response['Content-Type']}, not JSON")
            return
        error = response.json().get("error")
        # Pages branch on the code (round.js's ON_REFUSAL), never on the wording.
        if not (isinstance(error, dict) and error.get("code") in CODES and isinstance(error.get("message"), str)):
            failures.append(f"{what}: {status} answered {error!r}, not an error with a known code")
            return
    if 400 <= status < 500:
        message = error_message(response)
        if PYTHON_TEXT.search(message):
            failures.append(f"{what}: {status} says {message[:200]!r}")


def short(value: object) -> str:
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "..."


# --- the tables: every endpoint, with and without a session that owns a game ----------------


def test_it_answers_hostile_urls_and_methods_on_every_endpoint_with_4xx(owner):
    """Ids, tokens and round indexes that are no game's, wrong methods, and the admin's login.

    (On SQLite the old code passed most of this table; on PostgreSQL, which the suite also runs
    on, a NUL character in an id was a 500.)
    """
    _, game, finished = owner
    round_token = game.rounds.get(index=0).image_token
    failures: list[str] = []
    for who, client in clients(owner).items():
        for method, path in [
            ("get", f"/game/{finished.public_id}/summary"),
            ("get", f"/game/{game.public_id}/summary"),
            ("get", f"/game/{finished.public_id}/summary.json"),
            ("get", f"/game/{game.public_id}/summary.json"),
            ("post", f"/game/{finished.public_id}/summary.json"),
            ("get", f"/game/{finished.public_id}/"),
            ("post", f"/game/{game.public_id}/"),
            ("post", f"/game/{game.public_id}/round/0"),
            ("post", f"/game/{finished.public_id}/summary"),
            ("post", f"/round-image/{round_token}"),
            ("get", f"/round-image/{round_token}"),
            ("put", f"/game/{game.public_id}/guess"),
            ("get", f"/game/{game.public_id}/round/0/attention.jpg"),
            ("post", f"/game/{game.public_id}/round/0/attention.jpg"),
            ("get", "/world.geojson"),
            ("post", "/world.geojson"),
            ("get", "/world.geojson?x=%00"),
            ("get", "/admin/login/"),
            ("get", "/admin/"),
            ("get", "/admin/game/game/"),
            ("get", "/admin/game/game/%00/change/"),
        ]:
            check(failures, f"{who} {method.upper()} {path}", getattr(client, method)(path))
        for bad in ["", "\x00", "x" * 100_000, "admin' --"]:
            check(failures, f"{who} admin login {short(bad)}", client.post("/admin/login/", {"username": bad, "password": bad}))
        for bad in HOSTILE_IDS:
            for method, path, api in [
                ("get", f"/game/{bad}/", False),
                ("get", f"/game/{bad}/summary", False),
                ("get", f"/game/{bad}/summary.json", True),
                ("get", f"/game/{bad}/round/0", True),
                ("get", f"/game/{bad}/round/0/attention.jpg", True),
                ("post", f"/game/{bad}/guess", True),
                ("get", f"/challenge/{bad}/", False),
                ("post", f"/challenge/{bad}/", False),
                ("get", f"/round-image/{bad}", False),
                ("get", f"/round-image/{round_token}{bad}", False),
            ]:
                if method == "post" and "guess" in path:
                    response = client.post(path, json.dumps({"index": 0, "lat": 1, "lon": 1}), content_type="application/json")
                elif method == "post":
                    response = client.post(path, {"player_name": "Eve"})
                else:
                    response = client.get(path)
                check(failures, f"{who} {method.upper()} {short(path)}", response, api=api)
                if response.status_code < 500 and not 400 <= response.status_code < 500:
                    failures.append(f"{who} {method.upper()} {short(path)}: {response.status_code}, expected a 4xx")
        for bad in HOSTILE_FORM_VALUES + HOSTILE_INDEXES:  # "Next round"'s ?left= (leaving a reveal)
            response = client.get(f"/game/{game.public_id}/", {"left": bad})
            check(failures, f"{who} GET game ?left={short(bad)}", response)
            if response.status_code not in ((200, 302, 403) if bad == "" else (302, 403)):
                failures.append(f"{who} GET game ?left={short(bad)}: {response.status_code}, expected a redirect or 403")
        for bad in HOSTILE_INDEXES:
            for public_id in (game.public_id, finished.public_id):
                for suffix in ("", "/attention.jpg"):
                    response = client.get(f"/game/{public_id}/round/{bad}{suffix}")
                    check(failures, f"{who} reveal round {short(bad)}{suffix}", response, api=True)
                    if response.status_code not in (403, 404):
                        failures.append(f"{who} reveal round {short(bad)}{suffix}: {response.status_code}, expected 403 or 404")
    assert not failures, "\n".join(failures)


def acceptable_name(value: str) -> bool:
    """Names are free text, within reason: 1 to 40 printable characters once spaces are collapsed."""
    name = " ".join(value.split())
    return 0 < len(name) <= 40 and all(unicodedata.category(c)[0] != "C" for c in name)


def test_it_answers_hostile_home_and_challenge_forms_with_a_form_error(owner, image_set):
    _, _, finished = owner
    failures: list[str] = []
    good = {"image_set": str(image_set.pk), "player_name": "Ann", "rounds": "5", "time_limit": "0"}
    for who, client in clients(owner).items():
        for field in good:
            for bad in HOSTILE_FORM_VALUES:
                response = client.post("/", {**good, field: bad})
                what = f"{who} POST / {field}={short(bad)}"
                check(failures, what, response)
                # Only a well-formed form starts a game ("" and "0" are both "no time limit").
                may_start = (
                    acceptable_name(bad)
                    if field == "player_name"
                    else (field == "time_limit" and bad in ("", "0")) or (field == "rounds" and bad in ("", "5"))
                )
                if response.status_code == 302 and not may_start:
                    failures.append(f"{what}: started a game")
                if response.status_code != 302 and may_start:
                    failures.append(f"{what}: {response.status_code}, a good form was refused")
        for bad in HOSTILE_FORM_VALUES:
            response = client.post(f"/challenge/{finished.public_id}/", {"player_name": bad})
            what = f"{who} POST challenge player_name={short(bad)}"
            check(failures, what, response)
            if (response.status_code == 302) != acceptable_name(bad):
                failures.append(f"{what}: {response.status_code}")
        # Fields missing, repeated, or sent as a file; a body that is not a form at all.
        for response, what in [
            (client.post("/", {}), "POST / with no fields"),
            (
                client.post("/", {"image_set": [str(image_set.pk), "abc"], "player_name": ["a", "b"], "time_limit": ["0", "x"]}),
                "POST / with repeated fields",
            ),
            (client.post("/", b"\xff\xfe\x00garbage", content_type="application/x-www-form-urlencoded"), "POST / with non-UTF-8 bytes"),
            (client.post("/", json.dumps(good), content_type="application/json"), "POST / with JSON"),
            (client.post("/", b"--x\r\nbroken", content_type="multipart/form-data; boundary=x"), "POST / with broken multipart"),
            (client.post(f"/challenge/{finished.public_id}/", {}), "POST challenge with no fields"),
            (client.get("/?image_set=abc&time_limit=1e9"), "GET / with a query"),
            (client.get(f"/challenge/{finished.public_id}/?player_name=%00"), "GET challenge with a query"),
            (client.put("/"), "PUT /"),
            (client.delete(f"/challenge/{finished.public_id}/"), "DELETE challenge"),
        ]:
            check(failures, f"{who} {what}", response)
    assert not failures, "\n".join(failures)


def test_it_answers_hostile_guesses_with_a_json_4xx(owner):
    _, game, _ = owner
    failures: list[str] = []
    for who, client in clients(owner).items():
        for body, content_type in hostile_guess_bodies():
            response = client.post(f"/game/{game.public_id}/guess", body, content_type=content_type)
            check(failures, f"{who} guess {short(body)} as {content_type or 'no type'}", response, api=True)
            if response.status_code == 200:
                failures.append(f"{who} guess {short(body)} as {content_type or 'no type'} was accepted")
        for method in ("get", "put", "delete", "patch"):
            check(failures, f"{who} {method.upper()} guess", getattr(client, method)(f"/game/{game.public_id}/guess"))
    assert not failures, "\n".join(failures)
    assert not game.rounds.get(index=0).is_done, "a hostile guess was stored"


# --- the findings, one by one ---------------------------------------------------------------


def test_it_refuses_an_image_set_that_is_not_a_number(image_set):
    client = hostile_client()
    response = client.post("/", {"image_set": "abc", "player_name": "Ann", "time_limit": 0})
    assert response.status_code == 400
    assert "choose one of the image sets" in error_message(response)
    assert not Game.objects.exists()


def test_it_says_which_time_limits_exist_not_what_python_thinks(image_set):
    client = hostile_client()
    for bad in ("1e9", "45", "-30", "abc", "99999999999999999999"):
        response = client.post("/", {"image_set": image_set.pk, "player_name": "Ann", "time_limit": bad})
        assert response.status_code == 400, bad
        assert error_message(response) == "time limit must be one of 0, 30, 60, 120 seconds", bad
    assert not Game.objects.exists()


@pytest.mark.parametrize(
    "raw", ['{"index": 1e400, "lat": 1, "lon": 1}', '{"index": -1e400, "lat": 1, "lon": 1}', '{"index": NaN, "lat": 1, "lon": 1}']
)
def test_it_refuses_an_index_that_is_not_a_whole_number(owner, raw):
    client, game, _ = owner
    response = client.post(f"/game/{game.public_id}/guess", raw, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_index"
    assert response.json()["error"]["message"].startswith("index must be a round number")


@pytest.mark.parametrize("index", [-1, 5, 32768, 2**63, 10**30, 1.5, "0", True])
def test_it_refuses_an_index_outside_the_game(owner, index):
    client, game, _ = owner
    response = post_guess(client, game, {"index": index, "lat": 1.0, "lon": 1.0})
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_index"
    assert response.json()["error"]["message"].startswith("index must be a round number")


def test_it_refuses_deeply_nested_json_without_recursing(owner):
    client, game, _ = owner
    response = client.post(f"/game/{game.public_id}/guess", b"[" * 100_000, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert not PYTHON_TEXT.search(response.json()["error"]["message"])


@pytest.mark.parametrize("field,value", [("lat", True), ("lon", False), ("lat", "10"), ("lat", 10**400)])
def test_it_refuses_coordinates_that_are_not_numbers(owner, field, value):
    client, game, _ = owner
    response = post_guess(client, game, {"index": 0, "lat": 10.0, "lon": 20.0, field: value})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "latitude and longitude must be numbers"
    round = game.rounds.get(index=0)
    assert not round.is_done and round.points is None  # a boolean was once scored as (1, 0)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"])
def test_it_refuses_coordinates_that_are_not_finite(owner, literal):
    client, game, _ = owner
    response = client.post(f"/game/{game.public_id}/guess", f'{{"index": 0, "lat": {literal}, "lon": 1}}', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "latitude and longitude must be finite numbers"
    assert not game.rounds.get(index=0).is_done


@pytest.mark.parametrize(
    "body,content_type,status,message",
    [
        (b"[1, 2]", "application/json", 400, "send the guess as a JSON object with index, lat and lon"),
        (b'"guess"', "application/json", 400, "send the guess as a JSON object with index, lat and lon"),
        (b"null", "application/json", 400, "send the guess as a JSON object with index, lat and lon"),
        (b"", "application/json", 400, "send the guess as a JSON object with index, lat and lon"),
        (b"{", "application/json", 400, "the guess is not valid JSON"),
        (b'{"index": 0, "lat": "\xff"}', "application/json", 400, "the guess is not valid UTF-8 text"),
        (b'{"index": 0, "lat": 1, "lon": 1}', "text/plain", 415, "send the guess as JSON (Content-Type: application/json)"),
        (b"index=0&lat=1&lon=1", "application/x-www-form-urlencoded", 415, "send the guess as JSON (Content-Type: application/json)"),
        (
            b'{"index": 0, "lat": 1, "lon": 1, "city": "Paris"}',
            "application/json",
            400,
            "a guess has only index, lat and lon (unexpected: city)",
        ),
        (b'{"index": 0, "lat": 1}', "application/json", 400, "a guess needs index, lat and lon (missing: lon)"),
        (b'{"index": 0, "lat": 1, "lon": 1}' + b" " * 5000, "application/json", 413, "a guess is at most 1024 bytes"),
    ],
)
def test_it_explains_what_a_guess_must_look_like(owner, body, content_type, status, message):
    client, game, _ = owner
    response = client.post(f"/game/{game.public_id}/guess", body, content_type=content_type)
    assert (response.status_code, response.json()["error"]["message"]) == (status, message)
    assert not game.rounds.get(index=0).is_done


def test_a_good_guess_still_counts_after_all_that(owner):
    client, game, _ = owner
    for body in (b"[" * 100_000, b'{"index": 0, "lat": true, "lon": false}', b'{"index": 1e400, "lat": 1, "lon": 1}'):
        client.post(f"/game/{game.public_id}/guess", body, content_type="application/json")
    response = client.post(
        f"/game/{game.public_id}/guess", b'{"index": 0, "lat": 10, "lon": -20.5}', content_type="application/json; charset=utf-8"
    )
    assert response.status_code == 200
    round = Round.objects.get(game=game, index=0)
    assert (round.guess_lat, round.guess_lon) == (10.0, -20.5)


def test_it_answers_unknown_and_overlong_ids_and_round_indexes_with_404(owner):
    """(A NUL character in an id was a 500 on PostgreSQL, and an index beyond the column's range
    an error on databases that check it: both are refused before the query now.)"""
    client, game, _ = owner
    assert client.get(f"/game/{game.public_id}/round/99999999999999999999").status_code == 404
    assert client.get(f"/game/{game.public_id}/round/99999999999999999999").json()["error"]["message"] == "no such round"
    assert client.get(f"/game/{game.public_id}/round/5").status_code == 404
    for path in (
        f"/game/{'a' * 5000}/",
        f"/game/{'a' * 5000}/summary",
        f"/challenge/{'a' * 5000}/",
        f"/round-image/{'a' * 5000}",
        "/game/%00/",
        "/challenge/%00/",
    ):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/game/{'a' * 5000}/round/0").json()["error"]["message"] == "no such game"


# --- duels: the same tables against a duel's endpoints --------------------------------------


@pytest.fixture
def duel_owner(image_set, model_version) -> tuple[Client, Game]:
    """A session with a duel at round 0, shown."""
    client = hostile_client()
    response = client.post("/", {"image_set": image_set.pk, "player_name": "Dee", "time_limit": 0, "mode": "duel"})
    assert response.status_code == 302, response.content.decode()[:500]
    game = Game.objects.get(public_id=response["Location"].split("/")[2])
    assert play_page(client, game).status_code == 200
    return client, game


def test_it_answers_hostile_duel_requests_with_4xx(duel_owner, owner):
    client, game = duel_owner
    _, classic, _ = owner
    failures: list[str] = []
    for who, c in {"owner": client, "stranger": hostile_client()}.items():
        for bad in HOSTILE_IDS:
            response = c.get(f"/game/{bad}/round/0/state")
            check(failures, f"{who} GET state of {short(bad)}", response, api=True)
            if not 400 <= response.status_code < 500:
                failures.append(f"{who} GET state of {short(bad)}: {response.status_code}")
        for bad in HOSTILE_INDEXES + ["1", "2"]:
            response = c.get(f"/game/{game.public_id}/round/{bad}/state")
            check(failures, f"{who} state round {short(bad)}", response, api=True)
            if response.status_code not in (403, 404):
                failures.append(f"{who} state round {short(bad)}: {response.status_code}, expected 403 or 404")
        for method in ("post", "put", "delete"):
            check(failures, f"{who} {method.upper()} state", getattr(c, method)(f"/game/{game.public_id}/round/0/state"))
        for body, content_type in hostile_guess_bodies():
            response = c.post(f"/game/{game.public_id}/guess", body, content_type=content_type)
            check(failures, f"{who} duel guess {short(body)}", response, api=True)
            if response.status_code == 200:
                failures.append(f"{who} duel guess {short(body)} was accepted")
    # A classic game has no round state; a duel's round beyond those drawn is no round.
    assert client.get(f"/game/{classic.public_id}/round/0/state").status_code in (403, 404)
    assert (
        post_guess(client, game, {"index": 1, "lat": 1.0, "lon": 1.0}).json()["error"]["message"]
        == "index must be a round number from 0 to 0"
    )
    assert not failures, "\n".join(failures)
    assert not game.rounds.get(index=0).is_done, "a hostile guess was stored"


def test_it_answers_hostile_modes_with_a_form_error(image_set, model_version):
    client = hostile_client()
    failures: list[str] = []
    for bad in HOSTILE_FORM_VALUES + ["Duel", "DUEL", "duel ", "classic\x00"]:
        response = client.post("/", {"image_set": image_set.pk, "player_name": "Ann", "time_limit": 0, "mode": bad})
        check(failures, f"POST / mode={short(bad)}", response)
        if response.status_code == 302 and bad != "":  # nothing sent is a classic game, like the first button
            failures.append(f"POST / mode={short(bad)}: started a game")
    assert not failures, "\n".join(failures)
    assert Game.objects.count() == 1 and Game.objects.get().mode == "classic"


def test_it_answers_hostile_requests_to_the_ratings_page_without_a_5xx(db):
    """The ratings page reads no query string: whatever one holds, it shows the page; other methods get 405."""
    client = hostile_client()
    failures: list[str] = []
    for bad in HOSTILE_IDS + ["limit=-1", "limit=1e400", "page=99999999999999999999", "order=mu;DROP TABLE", "a=" + "b" * 5000]:
        response = client.get(f"/ratings/?{bad}")
        check(failures, f"GET /ratings/?{short(bad)}", response)
        if response.status_code != 200:
            failures.append(f"GET /ratings/?{short(bad)}: {response.status_code}")
        response = client.get(f"/ratings/{bad}")
        check(failures, f"GET /ratings/{short(bad)}", response)
        if response.status_code != 404:
            failures.append(f"GET /ratings/{short(bad)}: {response.status_code}, expected 404")
    for method in ("post", "put", "delete", "patch"):
        response = getattr(client, method)("/ratings/", "x=1", content_type="application/x-www-form-urlencoded")
        if response.status_code != 405:
            failures.append(f"{method.upper()} /ratings/: {response.status_code}, expected 405")
    assert client.head("/ratings/").status_code == 200
    assert not failures, "\n".join(failures)


def test_it_answers_hostile_daily_challenge_requests_with_4xx(image_set):
    """The daily challenge's page (``/daily/``) takes a display name alone, from a guest or an account; only an
    acceptable name starts a try, and the try is removed after each value (one try a day)."""
    from django.contrib.auth.models import User

    signed_in = hostile_client()
    signed_in.force_login(User.objects.create_user(username="daily-player", password="a long password 123"))
    failures: list[str] = []
    for who, client in {"a guest": hostile_client(), "an account": signed_in}.items():
        for bad in HOSTILE_FORM_VALUES:
            response = client.post("/daily/", {"player_name": bad})
            what = f"{who} POST /daily/ player_name={short(bad)}"
            check(failures, what, response)
            # An account's try is played under the account's name, whatever was typed (a form needs the field);
            # a guest's only under an acceptable name.
            may_start = bad != "" and "\x00" not in bad if who == "an account" else acceptable_name(bad)
            if (response.status_code == 302) != may_start:
                failures.append(f"{what}: {response.status_code}")
            if response.status_code == 302:
                started = Game.objects.get(public_id=response["Location"].split("/")[2])
                if who == "an account" and started.player_name != "daily-player":
                    failures.append(f"{what}: ranked as {started.player_name!r}, not the account's name")
                started.delete()
        client.post("/daily/", {"player_name": "Ann"})
        for response, what in [
            (client.post("/daily/", {"player_name": "Ann"}), "POST /daily/ a second time today"),
            (client.post("/daily/", {}), "POST /daily/ with no fields"),
            (client.post("/daily/", {"player_name": ["a", "b"], "image_set": "abc"}), "POST /daily/ with repeated and extra fields"),
            (client.post("/daily/", b"\xff\xfe\x00garbage", content_type="application/x-www-form-urlencoded"), "POST /daily/ non-UTF-8"),
            (client.post("/daily/", json.dumps({"player_name": "Ann"}), content_type="application/json"), "POST /daily/ with JSON"),
            (client.post("/daily/", b"--x\r\nbroken", content_type="multipart/form-data; boundary=x"), "POST /daily/ broken multipart"),
            (client.get("/daily/?player_name=%00&day=1e400"), "GET /daily/ with a query"),
        ]:
            check(failures, f"{who} {what}", response)
            if response.status_code == 302:
                failures.append(f"{who} {what}: started a game")
        for method in ("put", "delete", "patch", "options"):
            response = getattr(client, method)("/daily/")
            check(failures, f"{who} {method.upper()} /daily/", response)
            if response.status_code != 405:
                failures.append(f"{who} {method.upper()} /daily/: {response.status_code}, expected 405")
        assert client.head("/daily/").status_code == 200
    assert not failures, "\n".join(failures)
    assert Game.objects.filter(mode="daily").count() == 2  # the one "Ann" of each, and no more


# --- the country streak: its start form (/streak/) and guesses on a run ------------------------


def test_it_answers_a_hostile_streak_form_and_hostile_streak_guesses_with_4xx(image_set):
    client = hostile_client()
    failures: list[str] = []
    good = {"image_set": str(image_set.pk), "player_name": "Ann"}
    started = 0
    for field in good:
        for bad in HOSTILE_FORM_VALUES:
            response = client.post("/streak/", {**good, field: bad})
            what = f"POST /streak/ {field}={short(bad)}"
            check(failures, what, response)
            may_start = field == "player_name" and acceptable_name(bad)  # only a well-formed form starts a run
            started += response.status_code == 302
            if (response.status_code == 302) != may_start:
                failures.append(f"{what}: {response.status_code}, {'a good form was refused' if may_start else 'started a run'}")
    for response, what in [
        (client.post("/streak/", {}), "POST /streak/ with no fields"),
        (client.post("/streak/", {"image_set": [str(image_set.pk), "x"], "player_name": ["a", "b"]}), "POST /streak/, repeated fields"),
        (client.post("/streak/", b"\xff\xfe\x00garbage", content_type="application/x-www-form-urlencoded"), "POST /streak/ with non-UTF-8"),
        (client.post("/streak/", json.dumps(good), content_type="application/json"), "POST /streak/ with JSON"),
        (client.post("/streak/", b"--x\r\nbroken", content_type="multipart/form-data; boundary=x"), "POST /streak/ with broken multipart"),
        (client.get("/streak/?image_set=%00&player_name=x"), "GET /streak/ with a query"),
        (client.put("/streak/"), "PUT /streak/"),
        (client.delete("/streak/"), "DELETE /streak/"),
    ]:
        check(failures, what, response)
    assert Game.objects.filter(mode="streak").count() == started
    game = Game.objects.filter(mode="streak").order_by("-pk").first()
    assert game is not None and play_page(client, game).status_code == 200
    for who, c in {"owner": client, "stranger": hostile_client()}.items():
        for body, content_type in hostile_guess_bodies():
            response = c.post(f"/game/{game.public_id}/guess", body, content_type=content_type)
            check(failures, f"{who} streak guess {short(body)}", response, api=True)
            if response.status_code == 200:
                failures.append(f"{who} streak guess {short(body)} was accepted")
        # Points that name no country of the game: at sea, in a disputed area (Kosovo), a longitude round the world (the Pacific).
        for lat, lon in [(0.0, -30.0), (42.66, 21.16), (-60.0, 170.0), (0.0, 510.0)]:
            response = post_guess(c, game, {"index": 0, "lat": lat, "lon": lon})
            what = f"{who} streak guess at {lat}, {lon}"
            check(failures, what, response, api=True)
            expected = "no_country" if who == "owner" else "not_your_game"
            if not 400 <= response.status_code < 500 or response.json()["error"]["code"] != expected:
                failures.append(f"{what}: {response.status_code} {response.content[:200]!r}, expected {expected}")
    assert not failures, "\n".join(failures)
    assert not game.rounds.get(index=0).is_done and game.rounds.count() == 1, "a hostile guess was stored"
