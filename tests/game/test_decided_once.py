"""Decided once, read after: what a guess scored is stored with it, and the reveal, the summary and the
duel's damage read what was stored instead of working it out again."""

from __future__ import annotations

from geoguess import rules
from geoguess.game import engine, presentation, selectors, services, worldnet
from geoguess.game.models import DUEL, Round
from geoguess.opponent.models import Prediction
from tests.support.games import play_round, start
from worldnet_core.geo import haversine_km
from worldnet_core.land import country_of


def test_a_guess_stores_its_distance_points_and_country(image_set):
    game = start(image_set, seed=3)
    paris = (48.8566, 2.3522)
    round = play_round(game, 0, *paris)
    round.refresh_from_db()
    expected = float(haversine_km(round.photo.lat, round.photo.lon, *paris))
    assert round.distance_km == expected
    assert round.points == rules.points(expected, scale_km=image_set.scale_km)
    assert round.guess_country == country_of(*paris) == "France"


def test_the_reveal_reads_the_stored_score_not_the_photo_as_it_is_now(image_set, model_version):
    game = start(image_set, seed=3)
    round = play_round(game, 0, 10.0, 20.0)
    stored = presentation.round_reveal(round=selectors.round_of(game=game, index=0))
    # Someone rewrites the round's facts behind its back: the reveal shows the stored ones, as they are.
    Round.objects.filter(pk=round.pk).update(distance_km=1234.5, points=42, worldnet_points=7, worldnet_distance_km=99.0)
    again = presentation.round_reveal(round=selectors.round_of(game=game, index=0))
    assert (again["player"]["distance_km"], again["player_points"]) == (1234.5, 42)
    assert (again["worldnet"]["distance_km"], again["worldnet"]["points"]) == (99.0, 7)
    assert stored["player"]["distance_km"] != 1234.5  # it was another figure before


def test_worldnets_guess_is_attached_once_and_keeps_its_figures(image_set, model_version):
    game = start(image_set, seed=4)
    round = play_round(game, 0, 10.0, 20.0)
    round.refresh_from_db()
    prediction = Prediction.objects.get(photo_id=round.photo_id, model_version=model_version)
    assert round.worldnet_version_id == model_version.pk and round.worldnet_attached
    assert round.worldnet_heatmap is not None and bytes(round.worldnet_heatmap) == bytes(prediction.heatmap)
    assert round.worldnet_distance_km == float(haversine_km(round.photo.lat, round.photo.lon, prediction.lat, prediction.lon))
    assert round.worldnet_points == rules.points(round.worldnet_distance_km, scale_km=image_set.scale_km)
    top = prediction.top[: rules.REVEAL_CANDIDATES]
    shown = [name for rank, (name, p) in enumerate(top) if rank == 0 or p >= rules.REVEAL_CANDIDATE_MIN_PROBABILITY]
    assert [c["place"] for c in round.worldnet_candidates] == shown
    # A later prediction for the photo (its location corrected, a new version) does not rewrite the round.
    Prediction.objects.filter(pk=prediction.pk).update(lat=-33.9, lon=151.2)
    assert worldnet.worldnet_attach(round=selectors.round_of(game=game, index=0))
    revealed = presentation.round_reveal(round=selectors.round_of(game=game, index=0))["worldnet"]
    assert (revealed["lat"], revealed["lon"]) == (prediction.lat, prediction.lon)


def test_candidates_under_one_percent_are_left_out_but_never_the_first(image_set, model_version):
    """Under 1% a candidate's bar read "Mexico City 0%" and its circle was a dot: not worth a row of the reveal."""
    game = start(image_set, seed=6)
    first = game.rounds.get(index=0)
    prediction = Prediction.objects.get(photo_id=first.photo_id, model_version=model_version)
    places = [name for name, _ in prediction.top]
    Prediction.objects.filter(pk=prediction.pk).update(top=[[places[0], 0.004], [places[1], 0.009], [places[2], 0.01]])
    round = play_round(game, 0, 10.0, 20.0)
    round.refresh_from_db()
    assert [(c["place"], c["probability"]) for c in round.worldnet_candidates] == [(places[0], 0.004), (places[2], 0.01)]


def test_a_guess_before_worldnet_has_played_gets_its_guess_when_it_lands(image_set, model_version):
    game = start(image_set, seed=5)
    first = game.rounds.get(index=0)
    prediction = Prediction.objects.get(photo_id=first.photo_id, model_version=model_version)
    kept = {field: getattr(prediction, field) for field in ("lat", "lon", "top", "latency_ms", "heatmap")}
    prediction.delete()  # worldNET is still thinking about this photo
    play_round(game, 0, 10.0, 20.0)
    round = selectors.round_of(game=game, index=0)
    assert not round.worldnet_attached and presentation.round_reveal(round=round)["worldnet"] is None
    Prediction.objects.create(photo_id=first.photo_id, model_version=model_version, **kept)  # it lands
    assert worldnet.worldnet_attach(round=round)
    assert presentation.round_reveal(round=selectors.round_of(game=game, index=0))["worldnet"]["lat"] == kept["lat"]


def test_a_duel_round_stores_the_damage_it_dealt_and_the_reveal_reads_it(image_set, model_version):
    game = services.game_start(image_set=image_set, player_name="Dee", owner_key="o", mode=DUEL, seed=0)
    round = game.rounds.get(index=0)
    engine.round_open(round=round)
    engine.guess_submit(game=game, index=0, lat=0.0, lon=0.0)
    round.refresh_from_db()
    hit = rules.damage(player_points=round.points, worldnet_points=round.worldnet_points, round_number=1)
    assert (round.damage_to_player, round.damage_to_worldnet) == (hit.to_player, hit.to_worldnet)
    Round.objects.filter(pk=round.pk).update(damage_to_player=1, damage_to_worldnet=2)
    shown = presentation.round_reveal(round=selectors.round_of(game=game, index=0))["duel"]
    assert shown["damage"] == {"player": 1, "worldnet": 2}


def test_the_reveal_says_when_the_game_ended_with_its_round(image_set):
    game = start(image_set, seed=6)
    for index in range(rules.ROUNDS_PER_GAME):
        play_round(game, index, 1.0, 1.0)
        reveal = presentation.round_reveal(round=selectors.round_of(game=game, index=index))
        assert reveal["finished"] is (index == rules.ROUNDS_PER_GAME - 1)
    finished = selectors.game_by_public_id(public_id=game.public_id)
    assert [r["finished"] for r in presentation.game_summary(game=finished)["rounds"]] == [False] * 4 + [True]


def test_a_played_round_keeps_the_answer_it_was_scored_against(image_set, model_version):
    """An admin corrects a photo's location after a round was played: the round's reveal shows the answer,
    the distances and the points it was scored with, one consistent picture, and new games get the new one."""
    from geoguess.imagesets.curation import photo_location_correct

    game = start(image_set, seed=7)
    played = play_round(game, 0, 10.0, 20.0)
    before = presentation.round_reveal(round=selectors.round_of(game=game, index=0))
    photo = played.photo
    photo_location_correct(photo=photo, lat=photo.lat + 5.0, lon=photo.lon)
    after = presentation.round_reveal(round=selectors.round_of(game=game, index=0))
    assert after["truth"]["lat"] == before["truth"]["lat"] != photo.lat + 5.0
    assert after["player"] == before["player"] and after["player_points"] == before["player_points"]
    assert after["worldnet"]["distance_km"] == before["worldnet"]["distance_km"]
