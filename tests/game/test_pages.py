"""The player's pages and API over HTTP (Django's test client), including that nothing leaks before a guess."""

from __future__ import annotations

import hashlib
import io
import json
import re

import numpy as np
import pytest
from django.test import Client
from PIL import Image

from geoguess.game.models import Game
from geoguess.game.modes import duel as duel_mode
from geoguess.imagesets.models import Photo
from geoguess.imagesets.services import served_image_path
from geoguess.opponent.models import Prediction
from tests.support.games import guess, play_page, start_game


def test_it_lists_image_sets_with_counts_and_coarse_coverage(client, image_set):
    page = client.get("/").content.decode()
    assert "Small world" in page and "12 photos" in page
    cells = json.loads(re.search(r'<script id="cells-small-world" type="application/json">(.*?)</script>', page).group(1))
    assert sum(c["count"] for c in cells) == 12 and all(c["size"] == 10.0 for c in cells)


def test_it_asks_for_a_name(client, image_set):
    response = client.post("/", {"image_set": image_set.pk, "player_name": " ", "time_limit": 0})
    assert response.status_code == 400 and "display name" in response.content.decode()


def test_a_refused_name_comes_back_as_typed_to_be_shortened(client, image_set):
    typed = "A name typed far longer than forty characters <b>"
    response = client.post("/", {"image_set": image_set.pk, "player_name": typed, "time_limit": 0})
    page = response.content.decode()
    assert response.status_code == 400 and "at most" in page
    assert 'value="A name typed far longer than forty characters &lt;b&gt;"' in page  # kept, and escaped


def test_it_plays_a_whole_game_over_http(client, image_set, model_version):
    game = start_game(client, image_set)
    total = 0
    for index in range(5):
        page = play_page(client, game)
        assert page.status_code == 200 and f"Round <strong>{index + 1}</strong>" in page.content.decode()
        response = guess(client, game, index, 10.0, 20.0)
        assert response.status_code == 200
        reveal = response.json()
        assert reveal["worldnet"] is not None and len(reveal["worldnet"]["top"]) == 3
        total += reveal["player_points"]
    assert play_page(client, game)["Location"] == f"/game/{game.public_id}/summary"
    summary = client.get(f"/game/{game.public_id}/summary").content.decode()
    assert f'<p class="big" id="total">{total}</p>' in summary
    assert f"/challenge/{game.public_id}/" in summary and "Leaderboard" in summary


def test_it_refuses_a_second_guess_and_other_players(client, image_set):
    game = start_game(client, image_set)
    play_page(client, game)
    assert guess(client, game, 0, 1.0, 1.0).status_code == 200
    second = guess(client, game, 0, 50.0, 50.0)
    assert second.status_code == 409 and second.json()["error"]["message"] == "this round has been guessed already"
    assert game.rounds.get(index=0).guess_lat == 1.0
    stranger = Client()
    play_page(client, game)
    assert play_page(stranger, game).status_code == 403
    assert guess(stranger, game, 1, 1.0, 1.0).status_code == 403
    token = game.rounds.get(index=1).image_token
    assert stranger.get(f"/round-image/{token}").status_code == 404
    assert guess(client, game, 1, 95.0, 0.0).status_code == 400


def test_it_requires_csrf_on_guesses(image_set):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/")
    token = page.cookies["csrftoken"].value
    response = client.post("/", {"image_set": image_set.pk, "player_name": "Ann", "time_limit": 0, "csrfmiddlewaretoken": token})
    game = Game.objects.get(public_id=response["Location"].split("/")[2])
    play_page(client, game)
    body = json.dumps({"index": 0, "lat": 1.0, "lon": 1.0})
    assert client.post(f"/game/{game.public_id}/guess", body, content_type="application/json").status_code == 403
    assert client.post(f"/game/{game.public_id}/guess", body, content_type="application/json", HTTP_X_CSRFTOKEN=token).status_code == 200


CREDIT = {"author": "Ana Lisboa of Lyon", "licence": "CC BY-SA 4.0 (Lyon photo walk)", "source": "https://example.org/lyon/4711"}


def test_nothing_the_round_exposes_before_the_guess_reveals_the_answer(client, image_set, model_version):
    game = start_game(client, image_set)
    round = game.rounds.get(index=0)
    Photo.objects.filter(pk=round.photo_id).update(**CREDIT)  # a credit can name the place: after the guess only
    photo = Photo.objects.get(pk=round.photo_id)
    prediction = Prediction.objects.get(photo=photo)
    page = play_page(client, game)
    html = page.content.decode()
    image_url = re.search(r'<img id="street" src="([^"]+)"', html).group(1)
    image = client.get(image_url)
    reveal = client.get(f"/game/{game.public_id}/round/0")
    attention = client.get(f"/game/{game.public_id}/round/0/attention.jpg")  # what worldNET saw: after the guess only
    exposed = {
        "what worldNET saw, before the guess": attention.content.decode("latin-1") + str(dict(attention.items())),
        "page": html + str(dict(page.items())),
        "image url": image_url,
        "image headers": str(dict(image.items())),
        "image bytes": image.content.decode("latin-1"),
        "reveal before the guess": reveal.content.decode() + str(dict(reveal.items())),
    }
    secrets = {photo.place, photo.country, photo.original, photo.served, *CREDIT.values()}
    for value in (photo.lat, photo.lon, prediction.lat, prediction.lon):
        secrets |= {f"{value:.1f}", f"{value:.2f}", f"{value:.4f}", repr(value)}
    secrets |= {name for name, _ in prediction.top[:3]}
    for where, text in exposed.items():
        for secret in secrets:
            if where == "image bytes" and len(secret) < 5:
                continue  # short strings turn up by chance in compressed pixels
            assert secret not in text, f"{secret!r} is in the {where}"
    assert reveal.status_code == 409 and attention.status_code == 409 and attention["Content-Type"] == "application/json"
    assert prediction.heatmap is not None  # the worker stored one: there was something to leak
    assert image_url == f"/round-image/{round.image_token}"  # a random token; another game gets another (tested below)
    with Image.open(io.BytesIO(image.content)) as served:
        assert not served.getexif() and "exif" not in served.info and not served.info.get("comment")
    assert b"Exif" not in image.content[:4096] and image["Cache-Control"] == "private, no-store"


def test_the_same_photo_has_a_different_url_in_another_game(client, image_set):
    game = start_game(client, image_set)
    for index in range(5):
        play_page(client, game)
        guess(client, game, index, 0.0, 0.0)
    other = Client()
    response = other.post(f"/challenge/{game.public_id}/", {"player_name": "Bob"})
    challenge = Game.objects.get(public_id=response["Location"].split("/")[2])
    assert challenge.rounds.get(index=0).photo_id == game.rounds.get(index=0).photo_id
    assert challenge.rounds.get(index=0).image_token != game.rounds.get(index=0).image_token
    assert play_page(other, challenge).status_code == 200


def test_the_challenge_page_shows_the_score_but_no_answers(client, image_set):
    game = start_game(client, image_set)
    for index in range(5):
        play_page(client, game)
        guess(client, game, index, 0.0, 0.0)
    page = Client().get(f"/challenge/{game.public_id}/").content.decode()
    game.refresh_from_db()
    assert "Ann challenges you" in page and str(game.total_points) in page
    for round in game.rounds.all():
        assert round.photo.place not in page
    assert Client().get(f"/game/{game.public_id}/summary").status_code == 403  # the answers are the owner's


def test_it_serves_the_offline_basemap():
    response = Client().get("/world.geojson")
    assert response.status_code == 200 and json.loads(response.content)["type"] == "FeatureCollection"


@pytest.mark.parametrize("path", ["/static/leaflet/leaflet.js", "/static/js/round.js", "/static/css/site.css"])
def test_it_serves_its_front_end_locally(client, path):
    assert client.get(path).status_code == 200


def play_through(client: Client, game: Game, answers=None) -> None:
    """Plays every round of ``game``: at ``answers[index]`` (lat, lon), or at (0, 0)."""
    for index in range(5):
        assert play_page(client, game).status_code == 200
        lat, lon = answers[index] if answers else (0.0, 0.0)
        assert guess(client, game, index, lat, lon).status_code == 200


def section(html: str, css_class: str) -> str:
    found = re.search(rf'<section class="{css_class}">(.*?)</section>', html, re.S)
    assert found, f"no {css_class} section"
    return found.group(1)


def test_a_replayed_challenge_answered_from_the_reveals_does_not_top_the_leaderboard(client, image_set):
    """The cheat: play a game, accept your own challenge in a fresh session, answer from the reveals."""
    game = start_game(client, image_set, name="Honest")
    play_through(client, game)
    truths = [(r["truth"]["lat"], r["truth"]["lon"]) for r in (client.get(f"/game/{game.public_id}/round/{i}").json() for i in range(5))]
    cheat = Client()
    response = cheat.post(f"/challenge/{game.public_id}/", {"player_name": "Cheater"})
    replay = Game.objects.get(public_id=response["Location"].split("/")[2])
    play_through(cheat, replay, truths)
    replay.refresh_from_db()
    assert replay.total_points == 25000 and replay.finished_at is not None
    # Not on the image set's leaderboard: neither the home page's "Best" nor the summary's top 10 ...
    home = Client().get("/").content.decode()
    assert "Cheater" not in home and "Honest" in home
    summary = cheat.get(f"/game/{replay.public_id}/summary").content.decode()
    assert "Cheater" not in section(summary, "leaderboard") and "Honest" in section(summary, "leaderboard")
    # ... but ranked, at the top, among everyone who played these five photos.
    assert re.search(r"<li>Cheater: 25,000</li>\s*<li>Honest: [\d,]+</li>", section(summary, "challenge"))
    assert "ranked among the challenge" in section(summary, "leaderboard")  # the page says why
    assert re.search(r"<li>Cheater: 25,000</li>", Client().get(f"/challenge/{game.public_id}/").content.decode())
    assert "Cheater" not in section(client.get(f"/game/{game.public_id}/summary").content.decode(), "leaderboard")


def image_of(client: Client, game: Game, index: int) -> bytes:
    response = client.get(f"/round-image/{game.rounds.get(index=index).image_token}")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    return response.content


def test_the_same_photo_has_different_bytes_in_another_game_and_the_same_on_reload(client, image_set, settings):
    game = start_game(client, image_set)
    play_through(client, game)
    other = Client()
    response = other.post(f"/challenge/{game.public_id}/", {"player_name": "Bob"})
    challenge = Game.objects.get(public_id=response["Location"].split("/")[2])
    play_page(other, challenge)
    mine, theirs = image_of(client, game, 0), image_of(other, challenge, 0)
    assert challenge.rounds.get(index=0).photo_id == game.rounds.get(index=0).photo_id
    assert hashlib.sha256(mine).digest() != hashlib.sha256(theirs).digest()
    stored = game.rounds.get(index=0).photo
    assert served_image_path(stored).read_bytes() not in (mine, theirs)  # the stored copy is never served as is
    assert image_of(client, game, 0) == mine  # a reload gets the same bytes
    for data in (mine, theirs):
        with Image.open(io.BytesIO(data)) as served:
            assert served.format == "JPEG" and not served.getexif() and "exif" not in served.info and not served.info.get("comment")
            assert max(served.size) <= settings.SERVED_IMAGE_MAX_SIDE
    # Every round of every game: no two images alike.
    everything = [image_of(client, game, i) for i in range(5)] + [image_of(other, challenge, 0)]
    assert len({hashlib.sha256(b).hexdigest() for b in everything}) == 6


def test_after_the_guess_the_reveal_shows_what_worldnet_looked_at(client, image_set, model_version):
    game = start_game(client, image_set)
    play_page(client, game)
    guessed = client.post(f"/game/{game.public_id}/guess", {"index": 0, "lat": 10.0, "lon": 10.0}, content_type="application/json").json()
    assert guessed["worldnet"]["saw"] is True
    round = game.rounds.get(index=0)
    plain = client.get(f"/round-image/{round.image_token}").content
    looked = client.get(f"/game/{game.public_id}/round/0/attention.jpg")
    assert looked.status_code == 200 and looked["Content-Type"] == "image/jpeg" and looked["Cache-Control"] == "private, no-store"
    with Image.open(io.BytesIO(looked.content)) as overlay, Image.open(io.BytesIO(plain)) as photo:
        assert overlay.size == photo.size and not overlay.getexif()
        difference = np.abs(np.asarray(overlay, dtype=np.int16) - np.asarray(photo, dtype=np.int16)).mean()
    assert difference > 10  # the map is laid over the photo, not the photo again
    other = Client()
    assert other.get(f"/game/{game.public_id}/round/0/attention.jpg").status_code == 403  # not another player's


# --- duels over HTTP ------------------------------------------------------------------------


def start_duel(client: Client, image_set, name="Dee") -> Game:
    response = client.post("/", {"image_set": image_set.pk, "player_name": name, "time_limit": 0, "mode": "duel"})
    assert response.status_code == 302, response.content.decode()[:500]
    return Game.objects.get(public_id=response["Location"].split("/")[2])


def test_home_offers_classic_and_a_duel_once_worldnet_is_active(client, image_set):
    page = client.get("/").content.decode()
    assert 'value="classic">Classic' in page and re.search(r'value="duel" disabled>Duel worldNET<', page)
    from geoguess import rules as duel

    assert f"you have {duel.COUNTDOWN_SECONDS} seconds" in page  # the rules' own figures, not a copy
    response = client.post("/", {"image_set": image_set.pk, "player_name": "Dee", "time_limit": 0, "mode": "duel"})
    assert response.status_code == 409 and "no model is active" in response.content.decode()


def test_nothing_a_duel_round_exposes_before_the_guess_reveals_worldnets_guess_or_the_answer(client, image_set, model_version):
    from datetime import timedelta

    from geoguess import rules as duel

    game = start_duel(client, image_set)
    round = game.rounds.get(index=0)
    photo = round.photo
    prediction = Prediction.objects.get(photo=photo)
    page = play_page(client, game)
    html = page.content.decode()
    image_url = re.search(r'<img id="street" src="([^"]+)"', html).group(1)
    image = client.get(image_url)
    state_before = client.get(f"/game/{game.public_id}/round/0/state")
    round.refresh_from_db()
    # worldNET has locked in (the round began 20 s ago): the player may learn that, and the seconds left, and nothing more.
    game.rounds.filter(index=0).update(started_at=round.started_at - timedelta(seconds=20))
    state_after = client.get(f"/game/{game.public_id}/round/0/state")
    page_after = play_page(client, game)
    reveal = client.get(f"/game/{game.public_id}/round/0")
    attention = client.get(f"/game/{game.public_id}/round/0/attention.jpg")
    summary = client.get(f"/game/{game.public_id}/summary")
    exposed = {
        "page": html + str(dict(page.items())),
        "page once worldNET locked in": page_after.content.decode(),
        "image url": image_url,
        "image headers": str(dict(image.items())),
        "image bytes": image.content.decode("latin-1"),
        "round state": state_before.content.decode() + str(dict(state_before.items())),
        "round state once locked in": state_after.content.decode(),
        "reveal before the guess": reveal.content.decode(),
        "what worldNET saw, before the guess": attention.content.decode("latin-1"),
        "summary before the end": summary.content.decode() + str(dict(summary.items())),
    }
    confidence = prediction.top[0][1]
    delay = duel.lock_in_delay_s(confidence=confidence, draw=round.lock_draw)
    secrets = {photo.place, photo.country, photo.original, photo.served, f"{confidence:.3f}", repr(confidence), f"{delay:.2f}", repr(delay)}
    for value in (photo.lat, photo.lon, prediction.lat, prediction.lon):
        secrets |= {f"{value:.1f}", f"{value:.2f}", f"{value:.4f}", repr(value)}
    secrets |= {name for name, _ in prediction.top[:3]}
    for where, text in exposed.items():
        for secret in secrets:
            if where == "image bytes" and len(secret) < 5:
                continue  # short strings turn up by chance in compressed pixels
            assert secret not in text, f"{secret!r} is in the {where}"
    assert state_before.json() == {"index": 0, "guessed": False, "locked": False, "seconds_left": None}
    after = state_after.json()
    assert set(after) == {"index", "guessed", "locked", "seconds_left"} and after["locked"] is True
    assert after["seconds_left"] == pytest.approx(max(0.0, duel.COUNTDOWN_SECONDS - (20 - delay)), abs=2)
    assert state_after["Cache-Control"] == "private, no-store"
    assert reveal.status_code == 409 and attention.status_code == 409 and summary.status_code == 302
    assert duel_mode.round_state(round=game.rounds.get(index=0))["locked"] is True
    assert Client().get(f"/game/{game.public_id}/round/0/state").status_code == 403  # not another player's


def test_it_plays_a_whole_duel_over_http_and_shows_its_records(client, image_set, model_version):
    game = start_duel(client, image_set)
    index = 0
    while True:
        page = play_page(client, game)
        if page.status_code == 302:
            break
        assert f"Duel round <strong>{index + 1}</strong>" in page.content.decode()
        reveal = guess(client, game, index, 10.0, 20.0).json()
        assert reveal["duel"]["round"] == index + 1 and reveal["worldnet"] is not None
        index += 1
        assert index <= 12
    game.refresh_from_db()
    assert reveal["duel"]["over"] is True and game.finished_at is not None
    assert min(game.player_health, game.worldnet_health) == 0 or index == 12
    summary = client.get(f"/game/{game.public_id}/summary").content.decode()
    assert 'id="health-chart"' in summary and summary.count("<polyline") == 2
    assert "Duel records: Small world" in summary and "worldNET has won" in summary
    assert f"/challenge/{game.public_id}/" in summary
    home = client.get("/").content.decode()
    record = "1 of 1" if game.worldnet_health > game.player_health else "0 of 1"
    assert f"of its duels ({record})" in home  # on the image set's card, beside its leaderboard
    classic = start_game(client, image_set)
    play_through(client, classic)
    assert "worldNET has won" in section(client.get(f"/game/{classic.public_id}/summary").content.decode(), "leaderboard")
    other = Client()
    assert "Accept the duel" in other.get(f"/challenge/{game.public_id}/").content.decode()
    response = other.post(f"/challenge/{game.public_id}/", {"player_name": "Bob"})
    replay = Game.objects.get(public_id=response["Location"].split("/")[2])
    assert replay.mode == "duel" and replay.rounds.get(index=0).photo_id == game.rounds.get(index=0).photo_id
    assert play_page(other, replay).status_code == 200


def test_the_server_refuses_a_duel_guess_after_the_countdown(client, image_set, model_version):
    from datetime import timedelta

    game = start_duel(client, image_set)
    play_page(client, game)
    round = game.rounds.get(index=0)
    # 60 s ago: worldNET locked in at most 25 s into the round, and 15 s (and the grace) have gone since.
    game.rounds.filter(index=0).update(started_at=round.started_at - timedelta(seconds=60))
    assert client.get(f"/game/{game.public_id}/round/0/state").json()["seconds_left"] == 0.0
    late = guess(client, game, 0, round.photo.lat, round.photo.lon)
    assert late.status_code == 409 and late.json()["error"]["message"] == "time is up: this round scores 0"
    reveal = client.get(f"/game/{game.public_id}/round/0").json()
    assert reveal["timed_out"] is True and reveal["player_points"] == 0 and reveal["player"] is None
    assert reveal["duel"]["damage"]["player"] == reveal["duel"]["worldnet_points"]  # it still counts: worldNET scored, the player 0


def test_a_duels_challenge_whose_worldnet_was_deleted_says_so(client, image_set, model_version):
    game = start_duel(client, image_set)
    Game.objects.filter(pk=game.pk).update(finished_at=game.created_at)
    model_version.delete()
    response = Client().post(f"/challenge/{game.public_id}/", {"player_name": "Bob"})
    assert response.status_code == 410 and "the worldNET of that duel has been removed" in response.content.decode()


def test_no_game_page_or_game_answer_may_be_kept_by_a_cache(client, image_set, model_version):
    """A kept round page comes back with its clock running again and an empty map (the browser's back and
    forward cache restores it without asking); a proxy could hand one player's page to another."""
    game = start_game(client, image_set)
    pages = {"home": client.get("/"), "round": play_page(client, game)}
    pages["guess"] = guess(client, game, 0, 1.0, 1.0)
    pages["reveal"] = client.get(f"/game/{game.public_id}/round/0")
    pages["refusal"] = guess(client, game, 0, 1.0, 1.0)
    for index in range(1, 5):
        play_page(client, game)
        guess(client, game, index, 1.0, 1.0)
    pages["summary"] = client.get(f"/game/{game.public_id}/summary")
    pages["challenge"] = client.get(f"/challenge/{game.public_id}/")
    for name, response in pages.items():
        assert response.status_code in (200, 409), name
        directives = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= directives, (name, response["Cache-Control"])


def test_the_reveal_and_the_summary_credit_the_photo_as_text(client, image_set, model_version):
    game = start_game(client, image_set)
    hostile = {"author": '<img src=x onerror="alert(1)">', "licence": "CC BY <b>4.0</b>", "source": "https://example.org/p?a=1&b=<2>"}
    Photo.objects.filter(pk__in=game.rounds.values("photo_id")).update(**hostile)
    play_page(client, game)
    reveal = guess(client, game, 0, 1.0, 1.0).json()
    assert reveal["truth"]["credit"] == hostile  # as stored: the page puts it in as text
    for index in range(1, 5):
        play_page(client, game)
        guess(client, game, index, 1.0, 1.0)
    summary = client.get(f"/game/{game.public_id}/summary").content.decode()
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in summary and '<img src=x onerror="alert(1)">' not in summary
    assert "CC BY &lt;b&gt;4.0&lt;/b&gt;" in summary and 'href="https://example.org/p?a=1&amp;b=&lt;2&gt;"' in summary
    Photo.objects.filter(pk=game.rounds.get(index=0).photo_id).update(source="javascript:alert(1)", author="", licence="")
    again = client.get(f"/game/{game.public_id}/round/0").json()["truth"]["credit"]
    assert again is None  # never a link to anything but http(s), and no empty credit line


def test_the_home_page_offers_duels_on_the_sets_worldnet_plays(client, image_set, model_version, tmp_path):
    """Each set has its own worldNET: a set that none plays (no version of its own, no site-wide default)
    offers no duel, and the server refuses one there."""
    from geoguess.imagesets.services import imageset_import
    from geoguess.opponent.models import ModelVersion
    from geoguess.opponent.services import model_version_activate
    from tests.support.images import small_world

    other = imageset_import(name="Other world", source=small_world(tmp_path / "other"))
    ModelVersion.objects.update(is_active=False)  # no site-wide default
    model_version_activate(version=model_version, image_sets=[image_set])  # the small world's own worldNET
    page = client.get("/").content.decode()
    assert f'value="{image_set.pk}" data-duel="yes"' in page and f'value="{other.pk}" data-duel="no"' in page
    refused = client.post("/", {"image_set": other.pk, "player_name": "Dee", "mode": "duel"})
    assert refused.status_code == 409 and "not ready for a duel" in refused.content.decode()
    started = client.post("/", {"image_set": image_set.pk, "player_name": "Dee", "mode": "duel"})
    assert started.status_code == 302
