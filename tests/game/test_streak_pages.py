"""The country streak over HTTP: its start page, its rounds on the game's page and API, its summary; nothing leaks before a guess."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from geoguess.game.models import CLASSIC, STREAK, Game
from geoguess.imagesets.models import Photo
from geoguess.opponent.models import Prediction
from tests.support.games import guess, play_page
from worldnet_core.land import country_name, country_of

MID_ATLANTIC = (0.0, -30.0)
BRAZIL = (-10.0, -55.0)


def start_streak(client: Client, image_set, name: str = "Sam") -> Game:
    response = client.post("/streak/", {"image_set": image_set.pk, "player_name": name})
    assert response.status_code == 302, response.content.decode()[:500]
    game = Game.objects.get(public_id=response["Location"].split("/")[2])
    assert game.mode == STREAK and response["Location"] == f"/game/{game.public_id}/"
    return game


def answer(client: Client, game: Game, *, right: bool = True):
    """Shows the current round and answers it: on the photo itself (always its country), or in Brazil."""
    assert play_page(client, game).status_code == 200
    round = game.rounds.filter(guessed_at__isnull=True).select_related("photo").get()
    lat, lon = (round.photo.lat, round.photo.lon) if right else BRAZIL
    response = guess(client, game, round.index, lat, lon)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_home_page_links_the_streak_and_its_form_starts_no_streak(client, image_set):
    assert 'href="/streak/"' in client.get("/").content.decode()
    response = client.post("/", {"image_set": image_set.pk, "player_name": "Ann", "mode": STREAK})
    assert response.status_code == 400 and not Game.objects.exists()


def test_the_start_page_offers_the_sets_and_starts_a_run(client, image_set):
    page = client.get("/streak/")
    html = page.content.decode()
    assert page.status_code == 200 and "Small world" in html and "No streak here yet" in html
    assert page["Cache-Control"] == "private, no-store"
    game = start_streak(client, image_set)
    assert game.rounds.count() == 1 and game.account_id is None and game.time_limit == 0
    round_page = play_page(client, game).content.decode()
    assert "Photo <strong>1</strong>" in round_page and 'id="ai-streak"' in round_page and "js/streak.js" in round_page
    assert "Click inside the country" in round_page and "js/duel.js" not in round_page
    assert client.get("/streak/").content.decode().count('value="Sam"') == 1  # the name played under, offered again


def test_a_signed_in_player_finds_their_username_and_the_run_is_theirs(client, image_set, django_user_model):
    user = django_user_model.objects.create_user("ada", password="a-long-password-1")
    client.force_login(user)
    assert 'value="ada"' in client.get("/streak/").content.decode()
    assert start_streak(client, image_set, name="ada").account_id == user.pk


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"player_name": "Ann"}, "choose one of the image sets listed"),
        ({"image_set": "abc", "player_name": "Ann"}, "choose one of the image sets listed"),
        ({"image_set": "SET", "player_name": " "}, "display name"),
    ],
)
def test_a_bad_form_is_refused_with_a_message(client, image_set, fields, message):
    response = client.post("/streak/", {key: image_set.pk if value == "SET" else value for key, value in fields.items()})
    assert response.status_code == 400 and message in response.content.decode() and not Game.objects.exists()


def test_a_click_in_no_country_is_a_json_4xx_and_the_round_stays_open(client, image_set):
    game = start_streak(client, image_set)
    play_page(client, game)
    refused = guess(client, game, 0, *MID_ATLANTIC)
    assert refused.status_code == 400 and refused.json()["error"] == {
        "code": "no_country",
        "message": "that point is in no country: click inside a country's borders",
    }
    assert guess(client, game, 0, 91.0, 0.0).json()["error"]["code"] == "bad_latitude"
    malformed = client.post(f"/game/{game.public_id}/guess", b'{"index": 0, "lat": "north"}', content_type="application/json")
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "wrong_fields"
    assert not game.rounds.get(index=0).is_done
    assert answer(client, game)["streak"]["player"]["right"] is True


def test_a_run_over_http_reveals_right_and_wrong_and_both_streaks(client, image_set, model_version):
    game = start_streak(client, image_set)
    first = answer(client, game)
    truth = first["streak"]["answer"]
    assert first["streak"]["player"] == {"right": True, "said": truth, "streak": 1} and first["finished"] is False
    assert first["streak"]["worldnet"] is not None and first["streak"]["ended_by"] is None
    assert truth == country_name(country_of(first["truth"]["lat"], first["truth"]["lon"]))
    second = answer(client, game, right=False)
    assert second["streak"]["player"] == {"right": False, "said": "Brazil", "streak": 1}
    assert second["finished"] is True and second["streak"]["ended_by"] == "wrong_country"
    reload = client.get(f"/game/{game.public_id}/").content.decode()  # the reveal is shown again until it is left
    assert "Streak <strong" in reload
    summary = client.get(f"/game/{game.public_id}/summary")
    html = summary.content.decode()
    assert summary.status_code == 200 and 'id="total">1<' in html and "Longest streaks: Small world" in html
    assert "✗ Brazil" in html and f"✓ {truth}" in html and '<li class="me">Sam <span>1</span>' in html


def test_the_summary_says_worldnets_streak_is_still_going(client, image_set, model_version):
    for prediction in Prediction.objects.select_related("photo"):
        Prediction.objects.filter(pk=prediction.pk).update(lat=prediction.photo.lat, lon=prediction.photo.lon)  # worldNET always right
    game = start_streak(client, image_set)
    answer(client, game)
    answer(client, game, right=False)
    html = client.get(f"/game/{game.public_id}/summary").content.decode()
    assert "worldNET's streak is still going" in html and 'id="ai-total">2<' in html


def test_the_start_page_shows_each_sets_records(client, image_set):
    for name, rights in (("Bo", 1), ("Cy", 2)):
        player = Client()
        game = start_streak(player, image_set, name=name)
        for _ in range(rights):
            answer(player, game)
        answer(player, game, right=False)
    assert "Longest streaks: Cy 2 · Bo 1" in client.get("/streak/").content.decode()


def test_a_streak_summary_waits_for_the_end_and_is_the_owners(client, image_set):
    game = start_streak(client, image_set)
    assert client.get(f"/game/{game.public_id}/summary").status_code == 302
    answer(client, game, right=False)
    assert Client().get(f"/game/{game.public_id}/summary").status_code == 403
    assert Client().post(f"/challenge/{game.public_id}/", {"player_name": "Bob"}).status_code == 409  # no challenge link


def test_nothing_the_streak_round_exposes_before_the_guess_reveals_the_answer(client, image_set, model_version):
    game = start_streak(client, image_set)
    for index in range(2):  # the first round, and one after a right answer (its header holds the streaks so far)
        round = game.rounds.get(index=index)
        photo = Photo.objects.get(pk=round.photo_id)
        prediction = Prediction.objects.get(photo=photo)
        page = play_page(client, game)
        html = page.content.decode()
        image_url = re.search(r'<img id="street" src="([^"]+)"', html).group(1)
        image = client.get(image_url)
        reveal = client.get(f"/game/{game.public_id}/round/{index}")
        attention = client.get(f"/game/{game.public_id}/round/{index}/attention.jpg")
        exposed = {
            "page": html + str(dict(page.items())),
            "image url": image_url,
            "image headers": str(dict(image.items())),
            "reveal before the guess": reveal.content.decode() + str(dict(reveal.items())),
            "what worldNET saw, before the guess": attention.content.decode("latin-1") + str(dict(attention.items())),
        }
        secrets = {photo.place, photo.original, photo.served}
        if index == 0:  # later photos may share a country named in the rounds already played
            country = country_of(photo.lat, photo.lon)
            secrets |= {country, country_name(country), photo.country, country_of(prediction.lat, prediction.lon)}
        for value in (photo.lat, photo.lon, prediction.lat, prediction.lon):
            secrets |= {f"{value:.1f}", f"{value:.2f}", f"{value:.4f}", repr(value)}
        secrets |= {name for name, _ in prediction.top[:3]}
        for where, text in exposed.items():
            for secret in secrets - {"", None}:
                assert secret not in text, f"round {index}: {secret!r} is in the {where}"
        assert reveal.status_code == 409 and attention.status_code == 409
        answer(client, game)


def test_a_guess_on_a_classic_game_is_never_refused_for_its_country(client, image_set):
    response = client.post("/", {"image_set": image_set.pk, "player_name": "Ann"})
    game = Game.objects.get(public_id=response["Location"].split("/")[2])
    assert game.mode == CLASSIC
    play_page(client, game)
    assert guess(client, game, 0, *MID_ATLANTIC).status_code == 200
    assert json.loads(client.get(f"/game/{game.public_id}/round/0").content).get("streak") is None
