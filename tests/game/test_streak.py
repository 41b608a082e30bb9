"""The country streak through the services (no HTTP): its draws, its end, both streaks, the clicks it refuses, its records.

The small world's photos are in London, Paris, Madrid and Osaka (three each); the tests add photos at sea
and in disputed areas, which a streak must never draw.
"""

from __future__ import annotations

import json

import pytest

from geoguess.game import engine, presentation, selectors, services
from geoguess.game.errors import Code, GameError
from geoguess.game.models import STREAK, Game, Round
from geoguess.game.modes import streak as streak_mode
from geoguess.imagesets.models import Photo
from geoguess.opponent.models import Prediction
from worldnet_core.land import COUNTRIES_FILE, DISPUTED_AREAS, country_of

#: In no country of the map (farther than the 50-km margin from every coast).
MID_ATLANTIC = (0.0, -30.0)
SOUTH_PACIFIC = (-40.0, -130.0)
#: Inside each disputed area of the shipped map.
DISPUTED = {"Kosovo": (42.66, 21.16), "Somaliland": (9.56, 44.06), "N. Cyprus": (35.25, 33.6), "Palestine": (31.90, 35.20)}
#: A country no photo of the small world is in: a wrong answer every time.
BRAZIL = (-10.0, -55.0)
#: Just off Lisbon, where the 1:110m coastline has sea: in Portugal by the 50-km margin.
OFF_LISBON = (38.70, -9.60)


def add_photo(image_set, lat: float, lon: float, place: str) -> Photo:
    """A photo of ``image_set`` at (lat, lon), on the image files of one already there."""
    model = image_set.photos.order_by("id").first()
    return Photo.objects.create(
        image_set=image_set, original=model.original, served=model.served, lat=lat, lon=lon, place=place, country=""
    )


def start(image_set, owner="owner-1", name="Sam", seed=None, account_id=None) -> Game:
    return services.streak_start(image_set=image_set, player_name=name, owner_key=owner, seed=seed, account_id=account_id)


def current(game: Game) -> Round:
    round = selectors.current_round(game)
    assert round is not None, "the run is over"
    return engine.round_open(round=round)


def answer(game: Game, *, right: bool = True, at: tuple[float, float] | None = None) -> Round:
    """Answers the current round: on the photo itself (right: its very spot is always in its country), in Brazil, or ``at``."""
    round = current(game)
    lat, lon = at or ((round.photo.lat, round.photo.lon) if right else BRAZIL)
    return engine.guess_submit(game=game, index=round.index, lat=lat, lon=lon)


def test_the_disputed_areas_are_areas_of_the_shipped_map():
    names = {feature["properties"]["name"] for feature in json.loads(COUNTRIES_FILE.read_text(encoding="utf-8"))["features"]}
    assert names >= DISPUTED_AREAS and set(DISPUTED) == DISPUTED_AREAS - {"W. Sahara"}
    for name, (lat, lon) in DISPUTED.items():
        assert country_of(lat, lon) == name
    assert country_of(*MID_ATLANTIC) is None and country_of(*SOUTH_PACIFIC) is None and country_of(*OFF_LISBON) == "Portugal"


def test_it_starts_with_one_round_and_no_clock(image_set):
    game = start(image_set)
    (round,) = game.rounds.all()
    assert game.mode == STREAK and game.time_limit == 0 and round.index == 0
    assert engine.round_deadline(current(game)) is None and engine.seconds_left(round) is None


def test_the_streak_ends_on_the_first_wrong_country(image_set):
    game = start(image_set)
    first, second = answer(game), answer(game)
    wrong = answer(game, right=False)
    assert [first.guess_country, second.guess_country] == [first.truth_country, second.truth_country]
    assert wrong.guess_country == "Brazil" and wrong.truth_country != "Brazil"
    game.refresh_from_db()
    assert game.finished_at is not None and game.ended_by == streak_mode.WRONG_COUNTRY
    assert game.rounds.count() == 3 and selectors.current_round(game) is None  # no round after the wrong one
    assert streak_mode.streaks(selectors.played_rounds(game)).player == 2
    with pytest.raises(GameError) as refused:
        engine.guess_submit(game=game, index=3, lat=1.0, lon=1.0)
    assert refused.value.code == Code.BAD_INDEX


def test_a_wrong_first_answer_is_a_streak_of_zero(image_set):
    game = start(image_set)
    answer(game, right=False)
    game.refresh_from_db()
    assert game.finished_at is not None and streak_mode.streaks(selectors.played_rounds(game)).player == 0
    assert selectors.streak_records(image_set=image_set) == []  # nothing named: no record


def test_a_right_answer_draws_a_photo_not_seen_in_the_run_and_naming_them_all_ends_it(image_set):
    add_photo(image_set, *OFF_LISBON, place="Lisbon harbour")  # at sea on the map, in Portugal by the margin: drawn
    playable = len(streak_mode.photos_to_draw(image_set=image_set))
    assert playable == image_set.photos.count() == 13
    game = start(image_set)
    seen = []
    while (round := selectors.current_round(game)) is not None:
        assert round.photo_id not in seen
        seen.append(round.photo_id)
        answer(game)
    game.refresh_from_db()
    assert len(seen) == playable and game.ended_by == streak_mode.NO_PHOTOS_LEFT and game.finished_at is not None
    assert streak_mode.streaks(selectors.played_rounds(game)).player == playable
    assert presentation.round_reveal(round=game.rounds.get(index=playable - 1))["finished"] is True


def test_sea_photos_and_disputed_areas_are_never_drawn(image_set):
    never = {add_photo(image_set, *MID_ATLANTIC, place="Atlantic").pk, add_photo(image_set, *SOUTH_PACIFIC, place="Pacific").pk}
    never |= {add_photo(image_set, lat, lon, place=name).pk for name, (lat, lon) in DISPUTED.items()}
    assert {pk for pk, _ in streak_mode.photos_to_draw(image_set=image_set)}.isdisjoint(never)
    firsts = {start(image_set, owner=f"o-{seed}", seed=seed).rounds.get().photo_id for seed in range(40)}
    assert firsts.isdisjoint(never) and len(firsts) > 6  # the first draws spread over the set
    for run in range(3):  # whole runs: every photo that may be drawn is, and none of the others
        game = start(image_set, owner=f"run-{run}")
        while selectors.current_round(game) is not None:
            answer(game)
        drawn = list(game.rounds.values_list("photo_id", flat=True))
        assert len(drawn) == len(set(drawn)) == 12 and never.isdisjoint(drawn)


def test_a_set_with_no_photo_in_a_country_cannot_start_a_streak(image_set):
    for photo in image_set.photos.all():
        Photo.objects.filter(pk=photo.pk).update(lat=MID_ATLANTIC[0], lon=MID_ATLANTIC[1] + photo.pk * 0.01)
    with pytest.raises(GameError) as refused:
        start(image_set)
    assert refused.value.code == Code.TOO_FEW_PHOTOS and refused.value.status == 409
    assert not Game.objects.exists()


@pytest.mark.parametrize("where", [MID_ATLANTIC, SOUTH_PACIFIC, *DISPUTED.values()], ids=["atlantic", "pacific", *DISPUTED])
def test_a_click_in_no_country_is_refused_and_the_round_stays_open(image_set, where):
    game = start(image_set)
    round = current(game)
    with pytest.raises(GameError) as refused:
        engine.guess_submit(game=game, index=0, lat=where[0], lon=where[1])
    assert refused.value.code == Code.NO_COUNTRY and refused.value.status == 400
    assert "click" in refused.value.message
    round.refresh_from_db()
    assert not round.is_done and round.guess_lat is None
    played = answer(game)  # a right answer still counts after it
    assert played.pk == round.pk and played.guess_country == played.truth_country != ""


def test_classic_games_still_take_a_pin_at_sea(image_set):
    game = services.game_start(image_set=image_set, player_name="Cy", owner_key="o")
    round = engine.round_open(round=selectors.current_round(game))
    assert engine.guess_submit(game=game, index=round.index, lat=MID_ATLANTIC[0], lon=MID_ATLANTIC[1]).guess_country == ""


def rig_worldnet(round: Round, *, right: bool) -> None:
    """worldNET's stored guess for the round's photo: on the photo (its country), or in Brazil."""
    lat, lon = (round.photo.lat, round.photo.lon) if right else BRAZIL
    assert Prediction.objects.filter(photo_id=round.photo_id).update(lat=lat, lon=lon) == 1


def play(game: Game, player: list[bool], worldnet: list[bool]) -> list[Round]:
    rounds = []
    for mine, its in zip(player, worldnet, strict=True):
        rig_worldnet(current(game), right=its)
        rounds.append(answer(game, right=mine))
    return rounds


def test_worldnets_streak_is_counted_from_its_stored_guesses(image_set, model_version):
    game = start(image_set)
    rounds = play(game, [True, True, True, False], [True, True, False, True])
    assert [r.worldnet_country == r.truth_country for r in rounds] == [True, True, False, True]
    counted = streak_mode.streaks(selectors.played_rounds(game))
    assert (counted.player, counted.worldnet, counted.worldnet_going, counted.worldnet_waiting) == (3, 2, False, 0)
    reveal = presentation.round_reveal(round=Round.objects.get(pk=rounds[-1].pk))
    assert reveal["streak"]["player"] == {"right": False, "said": "Brazil", "streak": 3}
    assert reveal["streak"]["worldnet"] == {"right": True, "said": reveal["streak"]["answer"], "streak": 2, "going": False}
    assert reveal["streak"]["ended_by"] == streak_mode.WRONG_COUNTRY


def test_worldnets_streak_is_still_going_when_it_named_every_photo_the_player_saw(image_set, model_version):
    game = start(image_set)
    play(game, [True, False], [True, True])
    counted = streak_mode.streaks(selectors.played_rounds(game))
    assert (counted.player, counted.worldnet, counted.worldnet_going) == (1, 2, True)


def test_worldnets_streak_waits_for_its_guess_and_never_shows_before_the_players(image_set, model_version):
    game = start(image_set)
    round = current(game)
    Prediction.objects.filter(photo_id=round.photo_id).delete()  # worldNET still thinking about this photo
    with pytest.raises(GameError) as early:
        presentation.round_reveal(round=round)
    assert early.value.code == Code.ANSWER_AFTER_GUESS
    answer(game)
    counted = streak_mode.streaks(selectors.played_rounds(game))
    assert (counted.worldnet, counted.worldnet_going, counted.worldnet_waiting) == (0, False, 1)
    assert presentation.round_reveal(round=game.rounds.get(index=0))["streak"]["worldnet"] is None


def test_records_rank_first_plays_by_streak_guests_included(image_set, django_user_model):
    user = django_user_model.objects.create_user("ada", password="a-long-password-1")
    for name, owner, rights, account in [("Bo", "b", 1, None), ("Ada", "a", 3, user.pk), ("Cy", "c", 2, None), ("Di", "d", 3, None)]:
        game = start(image_set, owner=owner, name=name, account_id=account)
        for _ in range(rights):
            answer(game)
        answer(game, right=False)
    unfinished = start(image_set, owner="e", name="Eve")
    for _ in range(5):
        answer(unfinished)
    records = selectors.streak_records(image_set=image_set)
    assert [(g.player_name, g.streak) for g in records] == [("Ada", 3), ("Di", 3), ("Cy", 2), ("Bo", 1)]  # ties: the earlier finish
    assert [g.player_name for g in selectors.streak_records(image_set=image_set, limit=2)] == ["Ada", "Di"]
    assert selectors.leaderboard(image_set=image_set) == []  # a streak is on no classic leaderboard


def test_a_streak_has_no_challenge_link(image_set):
    game = start(image_set)
    answer(game, right=False)
    with pytest.raises(GameError) as refused:
        services.game_start_challenge(original=Game.objects.get(pk=game.pk), player_name="Bob", owner_key="other")
    assert refused.value.code == Code.NO_REPLAY and Game.objects.count() == 1
