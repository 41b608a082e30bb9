"""Ratings (OpenSkill, ``accounts/ratings.py``): duels against worldNET and party duels played through the
services move both sides' ratings, once per duel; guests, replays, classic games and abandoned games never do;
the ranked leaderboard, the /ratings/ page, the history chart, and an account's deletion."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.utils import timezone

from geoguess import rules
from geoguess.accounts import rating_selectors, receivers
from geoguess.accounts.models import Rating, RatingChange
from geoguess.accounts.rating_chart import rating_chart
from geoguess.accounts.ratings import PROVISIONAL_SIGMA, START_MU, START_SIGMA, account_side, rate_duel, version_side
from geoguess.game import engine, selectors, services
from geoguess.game.models import CLASSIC, DUEL, Game
from geoguess.game.signals import game_finished
from geoguess.opponent.models import ModelVersion, Prediction
from geoguess.party import services as party_services
from geoguess.party.models import FINISHED, REVEAL, ROUND, Member, Party, PartyRound

User = get_user_model()


@pytest.fixture(autouse=True)
def _in_memory_layer(settings):
    """Party services announce to the room: the in-memory channel layer (one process)."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture(autouse=True)
def _rating_never_fails_quietly(caplog):
    """The receivers log a failure instead of raising it (after the commit): here it fails the test."""
    yield
    failures = [r for r in caplog.records if r.name == receivers.__name__ and r.levelno >= logging.ERROR]
    assert not failures, failures[0].getMessage()


def account(name: str = "ana"):
    return User.objects.create_user(username=name, password="a long enough password 123")


def rated(obj) -> Rating:
    lookup = {"model_version": obj} if isinstance(obj, ModelVersion) else {"account": obj}
    return Rating.objects.get(**lookup)


def set_rating(version: ModelVersion, mu: float, sigma: float = 100.0) -> None:
    Rating.objects.update_or_create(model_version=version, defaults={"mu": mu, "sigma": sigma})


# --- duels against worldNET, played through the game's services ---------------------------------------


def pin_for(round, how: str) -> tuple[float, float]:
    """On the answer ("win": worldNET cannot score more), on its antipode ("loss": 0 points), or on worldNET's pin ("draw")."""
    photo = round.photo
    if how == "win":
        return photo.lat, photo.lon
    if how == "loss":
        return -photo.lat, photo.lon - 180 if photo.lon > 0 else photo.lon + 180
    prediction = Prediction.objects.get(photo_id=round.photo_id, model_version_id=round.game.model_version_id)
    return prediction.lat, prediction.lon


def play_duel(game: Game, how: str, capture) -> Game:
    """Plays the duel to its end, every guess committed (so ``game_finished`` is sent as in production)."""
    for _ in range(100):
        round = selectors.current_round(game)
        if round is None:
            break
        engine.round_open(round=round)
        with capture(execute=True):
            engine.guess_submit(game=game, index=round.index, lat=pin_for(round, how)[0], lon=pin_for(round, how)[1])
    game.refresh_from_db()
    assert game.finished_at is not None
    winner = rules.Health(game.player_health, game.worldnet_health).winner
    assert winner == {"win": "player", "loss": "worldnet", "draw": "draw"}[how], (game.player_health, game.worldnet_health)
    return game


@pytest.fixture
def duel(image_set, model_version, django_capture_on_commit_callbacks):
    """``duel(how, account=None, owner=...)``: a duel against the active worldNET played to a win, a loss or a draw."""

    def play(how: str, player=None, owner: str = "owner-1") -> Game:
        game = services.game_start(
            image_set=image_set, player_name="Dee", owner_key=owner, mode=DUEL, seed=0, account_id=player.pk if player else None
        )
        return play_duel(game, how, django_capture_on_commit_callbacks)

    return play


def test_a_won_duel_raises_the_account_and_lowers_worldnet(duel, model_version):
    ana = account()
    game = duel("win", ana)
    mine, its = rated(ana), rated(model_version)
    assert mine.mu > START_MU > its.mu
    assert mine.sigma < START_SIGMA and (mine.games, mine.wins, mine.losses, mine.draws) == (1, 1, 0, 0)
    assert (its.games, its.losses) == (1, 1)
    change = RatingChange.objects.get(rating=mine)
    assert (change.game_key, change.result, change.opponent) == (f"game:{game.pk}", "win", "worldNET tiny")
    assert (change.mu_before, change.mu_after) == (START_MU, mine.mu)
    assert RatingChange.objects.get(rating=its).opponent == "ana"


def test_a_win_against_a_higher_rated_worldnet_moves_the_rating_more(duel, model_version):
    strong, weak = account("strong"), account("weak")
    set_rating(model_version, 1900)
    duel("win", strong, owner="a")
    set_rating(model_version, 1100)
    duel("win", weak, owner="b")
    assert rated(strong).mu - START_MU > rated(weak).mu - START_MU > 0


def test_a_lost_duel_lowers_the_rating(duel, model_version):
    ana = account()
    duel("loss", ana)
    assert rated(ana).mu < START_MU < rated(model_version).mu
    assert rated(ana).losses == 1 and RatingChange.objects.get(rating=rated(ana)).result == "loss"


def test_a_draw_between_equals_barely_moves_either(duel, model_version):
    ana = account()
    duel("draw", ana)
    assert abs(rated(ana).mu - START_MU) < 1 and abs(rated(model_version).mu - START_MU) < 1
    assert rated(ana).draws == 1 and rated(ana).sigma < START_SIGMA


def test_a_guests_duel_is_never_rated(duel, model_version):
    set_rating(model_version, 1600)
    duel("win")
    assert not RatingChange.objects.exists() and Rating.objects.count() == 1
    assert rated(model_version).mu == 1600


def test_a_replayed_challenge_is_never_rated(duel, model_version, django_capture_on_commit_callbacks):
    original = duel("win", owner="friend")
    ana = account()
    replay = services.game_start_challenge(original=original, player_name="Ana", owner_key="ana", account_id=ana.pk)
    assert replay.challenge_of_id == original.pk and not replay.ranked
    play_duel(replay, "win", django_capture_on_commit_callbacks)
    assert not Rating.objects.filter(account=ana).exists() and not Rating.objects.filter(model_version=model_version).exists()


def test_a_classic_game_is_not_rated(image_set, model_version, django_capture_on_commit_callbacks):
    ana = account()
    game = services.game_start(image_set=image_set, player_name="Ana", owner_key="k", mode=CLASSIC, account_id=ana.pk)
    for round in game.rounds.all():
        engine.round_open(round=round)
        with django_capture_on_commit_callbacks(execute=True):
            engine.guess_submit(game=game, index=round.index, lat=round.photo.lat, lon=round.photo.lon)
    game.refresh_from_db()
    assert game.finished_at is not None and not Rating.objects.exists()


def test_a_duel_is_rated_once_even_if_the_signal_comes_twice(duel, model_version):
    ana = account()
    game = duel("win", ana)
    before = (rated(ana).mu, rated(model_version).mu)
    game_finished.send(sender=Game, game_id=game.pk)
    assert receivers.game_rate(game.pk) is False
    assert (rated(ana).mu, rated(model_version).mu) == before and RatingChange.objects.count() == 2
    assert rated(ana).games == 1


def test_a_duel_whose_worldnet_was_deleted_is_not_rated(image_set, model_version, duel):
    ana = account()
    game = duel("win", ana)
    RatingChange.objects.all().delete(), Rating.objects.all().delete()
    Game.objects.filter(pk=game.pk).update(model_version=None)
    assert receivers.game_rate(game.pk) is False and not Rating.objects.exists()


def test_rate_duel_refuses_an_account_against_itself(db):
    ana = account()
    with pytest.raises(ValueError):
        rate_duel(game_key="x", first=account_side(ana), second=account_side(ana), outcome="draw")


def test_rate_duel_is_once_per_game_key(db, model_version):
    ana = account()
    assert rate_duel(game_key="game:1", first=account_side(ana), second=version_side(model_version), outcome="second")
    assert not rate_duel(game_key="game:1", first=account_side(ana), second=version_side(model_version), outcome="first")
    assert rated(ana).mu < START_MU and rated(ana).games == 1


# --- party duels ---------------------------------------------------------------------------------------


@pytest.fixture
def party_duel(image_set, django_capture_on_commit_callbacks):
    """``party_duel(accounts, worldnet_in=False)``: a party duel whose members have ``accounts`` (None: a guest),
    the first member knocking the second out (guessing on the answer while the second does not guess)."""

    def play(accounts: list, worldnet_in: bool = False, end: str = "knockout") -> Party:
        party, host = party_services.party_create(
            image_set=image_set, mode="duel", rounds=3, time_limit=60, worldnet_in=worldnet_in, host_name="Ana"
        )
        members = [host] if worldnet_in else [host, party_services.party_join(code=party.code, name="Ben")]
        for member, owner in zip(members, accounts, strict=False):
            Member.objects.filter(pk=member.pk).update(account=owner)
        now = timezone.now()
        with django_capture_on_commit_callbacks(execute=True):
            party_services.party_start(member=host, now=now)
        if end == "leave":
            with django_capture_on_commit_callbacks(execute=True):
                party_services.member_leave(member=members[-1], now=now)
        for _ in range(10):
            party.refresh_from_db()
            if party.phase == FINISHED:
                break
            with django_capture_on_commit_callbacks(execute=True):
                party_round(party, host if end == "knockout" else None, now)
        party.refresh_from_db()
        assert party.phase == FINISHED
        return party

    return play


def party_round(party: Party, guesser: Member | None, now) -> None:
    """One round: ``guesser`` pins the answer, nobody else guesses; then the round's deadline ends it, and the reveal."""
    round = PartyRound.objects.get(party=party, game_number=party.game_number, index=party.round_index)
    if guesser is not None:
        party_services.guess_submit(member=guesser, round_index=round.index, lat=round.photo.lat, lon=round.photo.lon, now=now)
    party.refresh_from_db()
    if party.phase == ROUND:
        party_services.advance(party_id=party.pk, now=max(now, round.deadline) + rules.guess_grace())
    party.refresh_from_db()
    if party.phase == REVEAL:
        party_services.advance(party_id=party.pk, now=party.reveal_until)


def test_a_party_duel_between_two_accounts_rates_both(party_duel):
    ana, ben = account("ana"), account("ben")
    party = party_duel([ana, ben])
    assert party.ended_by == "knockout"
    assert rated(ana).mu > START_MU > rated(ben).mu and rated(ana).wins == rated(ben).losses == 1
    assert RatingChange.objects.get(rating=rated(ana)).game_key == f"party:{party.pk}:1"
    assert RatingChange.objects.get(rating=rated(ben)).opponent == "ana"
    assert receivers.party_game_rate(party.pk, 1, "knockout") is False  # once


def test_a_party_duel_with_a_guest_is_not_rated(party_duel):
    ana = account()
    party_duel([ana, None])
    assert not Rating.objects.exists() and not RatingChange.objects.exists()


def test_a_player_who_leaves_a_party_duel_loses_it(party_duel):
    ana, ben = account("ana"), account("ben")
    party = party_duel([ana, ben], end="leave")
    assert party.ended_by == "forfeit" and rated(ben).losses == 1 and rated(ana).wins == 1


def test_a_removed_players_forfeit_is_not_rated(party_duel, image_set, django_capture_on_commit_callbacks):
    ana, ben = account("ana"), account("ben")
    party, host = party_services.party_create(image_set=image_set, mode="duel", rounds=3, time_limit=60, worldnet_in=False, host_name="Ana")
    guest = party_services.party_join(code=party.code, name="Ben")
    Member.objects.filter(pk=host.pk).update(account=ana)
    Member.objects.filter(pk=guest.pk).update(account=ben)
    party_services.party_start(member=host)
    with django_capture_on_commit_callbacks(execute=True):
        party_services.member_remove(member=host, removed_id=guest.pk)
    party.refresh_from_db()
    assert party.ended_by == "forfeit" and not Rating.objects.exists()


def test_one_account_in_both_seats_is_not_rated(party_duel):
    ana = account()
    party_duel([ana, ana])
    assert not Rating.objects.exists()


def test_a_party_duel_against_worldnet_at_the_table_rates_its_version(party_duel, model_version):
    """Ana never guesses: worldNET's pin deals the damage, and its version's rating rises."""
    ana = account()
    party = party_duel([ana], worldnet_in=True, end="timeout")
    assert party.ended_by == "knockout" and party.model_version_id == model_version.pk
    assert rated(ana).mu < START_MU < rated(model_version).mu
    assert RatingChange.objects.get(rating=rated(ana)).opponent == "worldNET tiny"


def test_an_abandoned_party_game_is_not_rated(party_duel, model_version):
    ana = account()
    party = party_duel([ana], worldnet_in=True, end="leave")
    assert party.ended_by == "abandoned" and not Rating.objects.exists()


# --- reads: the leaderboard, the page, the history chart; deleting an account -----------------------------


def test_the_leaderboard_lists_rated_accounts_only_best_first(db, model_version):
    ana, ben, cy, _unrated = account("ana"), account("ben"), account("cy"), account("dee")
    versus = version_side(model_version)
    rate_duel(game_key="game:1", first=account_side(ana), second=versus, outcome="first")
    rate_duel(game_key="game:2", first=account_side(ben), second=versus, outcome="second")
    rate_duel(game_key="game:3", first=account_side(cy), second=versus, outcome="draw")
    rows = rating_selectors.ranked_leaderboard()
    assert [(row.rank, row.username) for row in rows] == [(1, "ana"), (2, "cy"), (3, "ben")]
    assert rows[0].rating.provisional and rows[0].rating.wins == 1 and rows[2].rating.losses == 1
    assert [row.username for row in rating_selectors.ranked_leaderboard(limit=1)] == ["ana"]
    assert rating_selectors.rating_of(ana.pk).rating > 1500 and rating_selectors.rating_of(_unrated.pk) is None
    (version,) = rating_selectors.version_ratings()
    assert version.name == "tiny" and version.rating.games == 3 and version.image_sets == ["Small world"]


def test_the_ratings_page_escapes_usernames(client, model_version):
    hostile = account("<script>alert(1)</script>")
    rate_duel(game_key="game:1", first=account_side(hostile), second=version_side(model_version), outcome="first")
    response = client.get("/ratings/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "worldNET tiny on Small world" in page and f"{round(rated(model_version).mu):,}" in page


def test_the_ratings_page_renders_with_nothing_rated(db, client):
    response = client.get("/ratings/")
    assert response.status_code == 200 and "No rated duel yet" in response.content.decode()
    assert client.post("/ratings/").status_code == 405


def test_the_history_chart_starts_at_the_first_rating(db, model_version):
    ana = account()
    for number, outcome in enumerate(["first", "first", "second"]):
        rate_duel(game_key=f"game:{number}", first=account_side(ana), second=version_side(model_version), outcome=outcome)
    history = rating_selectors.rating_history(ana.pk)
    assert history[0][1] == START_MU and len(history) == 4
    assert history[-1][1] == rated(ana).mu
    chart = rating_chart(history)
    assert chart["duels"] == 3 and chart["bottom"] <= START_MU <= chart["top"] and len(chart["points"].split()) == 4
    assert rating_chart([])["empty"] and rating_selectors.rating_history(account("ben").pk) == []
    drawn = render_to_string("accounts/_rating_chart.html", {"chart": chart})
    assert f'points="{chart["points"]}"' in drawn and "3 rated duels" in drawn
    assert "No rated duel yet" in render_to_string("accounts/_rating_chart.html", {"chart": rating_chart([])})


def test_a_rating_stops_being_provisional_after_some_duels(db, model_version):
    ana = account()
    set_rating(model_version, 1500, 100)
    for number in range(10):
        rate_duel(game_key=f"game:{number}", first=account_side(ana), second=version_side(model_version), outcome="draw")
    assert rated(ana).sigma < PROVISIONAL_SIGMA and not rating_selectors.rating_of(ana.pk).provisional


def test_deleting_an_account_deletes_its_rating_and_leaves_the_leaderboard(duel, model_version):
    ana, ben = account("ana"), account("ben")
    duel("win", ana, owner="a")
    duel("loss", ben, owner="b")
    ana_id, ana_rating = ana.pk, rated(ana).pk
    assert RatingChange.objects.filter(rating_id=ana_rating).exists()
    ana.delete()
    assert not Rating.objects.filter(account_id=ana_id).exists()
    assert not RatingChange.objects.filter(rating_id=ana_rating).exists()
    assert [row.username for row in rating_selectors.ranked_leaderboard()] == ["ben"]
    assert rated(model_version).games == 2  # worldNET's rating keeps what it played


def test_the_admin_shows_ratings_read_only(admin_client, model_version):
    ana = account()
    rate_duel(game_key="game:1", first=account_side(ana), second=version_side(model_version), outcome="first")
    for path in ("/admin/accounts/rating/", "/admin/accounts/ratingchange/", f"/admin/accounts/rating/{rated(ana).pk}/change/"):
        response = admin_client.get(path)
        assert response.status_code == 200, path
        assert b'name="_save"' not in response.content
    assert admin_client.get("/admin/accounts/rating/add/").status_code == 403
