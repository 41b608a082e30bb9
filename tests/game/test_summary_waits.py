"""The summary waits for the facts: no verdict before worldNET has guessed every round, then the verdict."""

from __future__ import annotations

from django.test import Client

from geoguess.opponent.inference import predictions_compute
from geoguess.opponent.models import Prediction
from tests.support.games import guess, play_page, start_game


def test_no_verdict_until_worldnet_has_played_every_round_then_it_comes(client, image_set, model_version):
    Prediction.objects.all().delete()  # worldNET is still thinking about every photo
    game = start_game(client, image_set)
    for index in range(5):
        play_page(client, game)
        guess(client, game, index, 1.0, 1.0)
    page = client.get(f"/game/{game.public_id}/summary").content.decode()
    assert "No verdict yet" in page and "still guessing 5 of 5 rounds" in page
    for verdict in ("You beat worldNET", "worldNET wins", "A draw"):
        assert verdict not in page
    state = client.get(f"/game/{game.public_id}/summary.json").json()
    assert (state["verdict"], state["headline"], state["waiting"], state["worldnet_complete"]) == (None, None, 5, False)
    assert all(r["worldnet"] is None for r in state["rounds"])

    photos = list(game.rounds.order_by("index").values_list("photo_id", flat=True))
    predictions_compute(version_id=model_version.pk, photo_ids=photos[:2])  # two of its guesses land
    state = client.get(f"/game/{game.public_id}/summary.json").json()
    assert state["waiting"] == 3 and state["verdict"] is None
    assert [r["worldnet"] is not None for r in state["rounds"]] == [True, True, False, False, False]

    predictions_compute(version_id=model_version.pk, photo_ids=photos)  # and the rest
    state = client.get(f"/game/{game.public_id}/summary.json").json()
    assert state["worldnet_complete"] and state["waiting"] == 0
    player, worldnet = state["total"], state["worldnet_total"]
    expected = "player" if player > worldnet else "worldnet" if worldnet > player else "draw"
    assert state["verdict"] == expected and state["headline"]
    page = client.get(f"/game/{game.public_id}/summary").content.decode()
    assert state["headline"].replace("'", "&#x27;") in page and "No verdict yet" not in page


def test_the_summary_state_is_its_players_and_only_once_the_game_is_over(client, image_set, model_version):
    game = start_game(client, image_set)
    play_page(client, game)
    early = client.get(f"/game/{game.public_id}/summary.json")
    assert early.status_code == 409 and early.json()["error"]["code"] == "answer_after_guess"
    assert Client().get(f"/game/{game.public_id}/summary.json").status_code == 403
    assert early["Cache-Control"] == "private, no-store"
