"""The game's data migrations on a database that has rows: what rounds played before them become."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from geoguess import rules
from geoguess.game import presentation, selectors
from geoguess.game.models import Game, Round
from worldnet_core.land import continent_of, country_of

BEFORE = [("game", "0003_duel")]


def migrate(targets: list[tuple[str, str]]):
    """Migrates the game app to ``targets`` (the other apps stay where they are); the models of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] not in {app for app, _ in targets}]
    return executor.loader.project_state(others + targets).apps


@pytest.mark.django_db(transaction=True)
def test_rounds_played_before_keep_their_answer_and_duels_their_damage_and_end():
    old = migrate(BEFORE)
    image_set = old.get_model("imagesets", "ImageSet").objects.create(name="Old", slug="old", scale_km=5000.0)
    photos = [
        old.get_model("imagesets", "Photo").objects.create(
            image_set=image_set, original=f"o{i}.jpg", served=f"s{i}.jpg", lat=10.0 * i, lon=5.0 * i, place=f"P{i}"
        )
        for i in range(6)
    ]
    OldGame, OldRound = old.get_model("game", "Game"), old.get_model("game", "Round")
    now = "2026-01-01T00:00:00Z"
    classic = OldGame.objects.create(image_set=image_set, player_name="Ann", owner_key="a", finished_at=now)
    OldRound.objects.create(game=classic, index=0, photo=photos[0], guessed_at=now, guess_lat=1.0, guess_lon=1.0, points=4000)
    OldRound.objects.create(game=classic, index=1, photo=photos[1])  # never guessed
    # A duel of six rounds (round 5 is x1.5, round 6 x2) that worldNET ended with the player's last health.
    duel = OldGame.objects.create(
        image_set=image_set, player_name="Dee", owner_key="d", mode="duel", player_health=0, worldnet_health=2500, finished_at=now
    )
    scores = [(3000, 3400), (5000, 4000), (2000, 2300), (4100, 4100), (1000, 3000), (0, 5000)]
    for index, (player, worldnet) in enumerate(scores):
        settled = {"points": player, "worldnet_points": worldnet, "player_health": 1, "worldnet_health": 1}
        OldRound.objects.create(game=duel, index=index, photo=photos[index], guessed_at=now, **settled)
    survived = OldGame.objects.create(
        image_set=image_set, player_name="Eve", owner_key="e", mode="duel", player_health=300, worldnet_health=200, finished_at=now
    )

    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    first = Round.objects.get(game_id=classic.pk, index=0)
    assert (first.truth_lat, first.truth_lon) == (photos[0].lat, photos[0].lon)
    assert Round.objects.get(game_id=classic.pk, index=1).truth_lat is None  # not played: decided when it is
    for index, (player, worldnet) in enumerate(scores):
        round = Round.objects.get(game_id=duel.pk, index=index)
        hit = rules.damage(player_points=player, worldnet_points=worldnet, round_number=index + 1)
        assert (round.damage_to_player, round.damage_to_worldnet) == (hit.to_player, hit.to_worldnet), index
    assert Game.objects.get(pk=duel.pk).ended_by == "knockout"
    assert Game.objects.get(pk=survived.pk).ended_by == "no_photos_left"
    assert Game.objects.get(pk=classic.pk).ended_by == ""
    # The reveal of an old round reads what the migration kept, and says how the duel ended.
    last = selectors.round_of(game=Game.objects.get(pk=duel.pk), index=5)
    shown = presentation.round_reveal(round=last)
    assert shown["duel"]["ended_by"] == "knockout" and shown["duel"]["damage"] == {"player": 10000, "worldnet": 0}
    assert shown["truth"]["lat"] == photos[5].lat
    # Every played round has its answer's country and continent (a profile's accuracy by place), at sea none.
    for index in range(6):
        round = Round.objects.get(game_id=duel.pk, index=index)
        assert round.truth_country == (country_of(round.truth_lat, round.truth_lon) or ""), index
        expected_continent = (continent_of(round.truth_lat, round.truth_lon) or "") if round.truth_country else ""
        assert round.truth_continent == expected_continent, index
    assert Round.objects.get(game_id=duel.pk, index=1).truth_country == "Nigeria"
    assert first.truth_country == ""  # (0, 0): the Gulf of Guinea
