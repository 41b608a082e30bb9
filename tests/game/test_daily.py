"""The daily challenge: the day's photos (the same for everyone, drawn once by the date and the site's secret from
the featured set), one try a day, guests unranked, the day's leaderboard, worldNET's score after one's own try
only, the streak of days played, and nothing of the answers before each guess."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from geoguess.game import selectors, services
from geoguess.game.errors import Code, GameError
from geoguess.game.models import CLASSIC, DAILY, DailyChallenge, Game
from geoguess.game.modes import daily
from geoguess.imagesets.featured import imageset_feature_daily
from geoguess.imagesets.models import ImageSet, Photo
from geoguess.opponent.models import Prediction
from tests.support.games import guess, play_page, play_round

DAY = date(2025, 6, 1)


def start(owner: str = "browser-1", account: User | None = None, day: date = DAY, name: str = "Ann") -> Game:
    return services.daily_start(player_name=name, owner_key=owner, account_id=account.pk if account else None, today=day)


def photos_of(game: Game) -> list[int]:
    return list(game.rounds.order_by("index").values_list("photo_id", flat=True))


def finish(game: Game, lat: float = 0.0, lon: float = 0.0, now=None) -> Game:
    for index in range(game.rounds.count()):
        play_round(game, index, lat, lon, now=now)
    game.refresh_from_db()
    return game


def account(name: str) -> User:
    return User.objects.create_user(username=name, password="a long password 123")


def copy_set(image_set: ImageSet, name: str) -> ImageSet:
    """Another set with the same photos' positions (a draw needs no files)."""
    other = ImageSet.objects.create(name=name, slug=name.lower().replace(" ", "-"), scale_km=image_set.scale_km)
    Photo.objects.bulk_create(
        [Photo(image_set=other, original=p.original, served=p.served, lat=p.lat, lon=p.lon, place=p.place) for p in image_set.photos.all()]
    )
    return other


def play_daily(client: Client, name: str = "Ann"):
    return client.post("/daily/", {"player_name": name})


def game_of(response) -> Game:
    assert response.status_code == 302, response.content.decode()[:500]
    return Game.objects.get(public_id=response["Location"].split("/")[2])


# --- the day's photos ----------------------------------------------------------------------------


def test_it_gives_everyone_the_same_five_photos_on_a_day(image_set):
    first, second = account("ann"), account("bob")
    games = [start("b1", first), start("b2", second), start("b3")]  # two accounts and a guest
    assert photos_of(games[0]) == photos_of(games[1]) == photos_of(games[2])
    assert len(set(photos_of(games[0]))) == 5 and all(g.mode == DAILY and g.time_limit == 0 for g in games)
    assert DailyChallenge.objects.count() == 1 and {g.daily_id for g in games} == {DailyChallenge.objects.get().pk}


def test_it_draws_other_photos_the_next_day(image_set, settings):
    settings.SECRET_KEY = "a fixed secret for this test"
    assert photos_of(start(day=DAY)) != photos_of(start(day=DAY + timedelta(days=1)))


def test_the_draw_depends_on_the_date_and_the_secret_alone(image_set):
    def draw(day: date, secret: str) -> list[int]:
        return daily.daily_draw(image_set=image_set, day=day, secret=secret)

    assert draw(DAY, "secret one") == draw(DAY, "secret one")
    assert draw(DAY, "secret one") != draw(DAY, "secret two")  # without the site's secret, nobody computes it ahead
    assert draw(DAY, "secret one") != draw(DAY + timedelta(days=1), "secret one")


def test_the_day_is_drawn_once_and_kept(image_set, settings):
    drawn = photos_of(start("b1"))
    settings.SECRET_KEY = "another secret"  # a rotated key, a disabled photo, another featured set: the day keeps its photos
    Photo.objects.filter(pk=drawn[0]).update(enabled=False)
    imageset_feature_daily(image_set=copy_set(image_set, "Another world"))
    assert photos_of(start("b2")) == drawn
    assert DailyChallenge.objects.get(day=DAY).photo_ids == drawn
    with pytest.raises(IntegrityError), transaction.atomic():
        DailyChallenge.objects.create(day=DAY, image_set=image_set, photo_ids=drawn)


def test_concurrent_first_requests_end_with_one_challenge(image_set, monkeypatch):
    """A second request that drew the day while this one was drawing: this one keeps what was stored first."""
    draw = daily.daily_draw
    stored_first = None

    def racing_draw(**kwargs):
        nonlocal stored_first
        photo_ids = draw(**kwargs)
        stored_first = DailyChallenge.objects.create(day=kwargs["day"], image_set=kwargs["image_set"], photo_ids=photo_ids[::-1])
        return photo_ids

    monkeypatch.setattr(daily, "daily_draw", racing_draw)
    challenge = daily.daily_challenge_get_or_draw(day=DAY)
    assert challenge.pk == stored_first.pk and challenge.photo_ids == stored_first.photo_ids
    assert DailyChallenge.objects.filter(day=DAY).count() == 1


def test_it_draws_from_the_featured_set_else_the_first_by_name(image_set):
    zebra = copy_set(image_set, "Zebra world")
    assert daily.daily_set() == ImageSet.objects.get(name="Small world")  # none featured: the first playable set by name
    imageset_feature_daily(image_set=zebra)
    assert daily.daily_set() == zebra
    assert ImageSet.objects.get(pk=start().image_set_id) == zebra
    zebra.photos.update(enabled=False)  # a featured set that can no longer fill a game: the first by name again
    assert daily.daily_set() == ImageSet.objects.get(name="Small world")


def test_featuring_a_set_in_the_admin_unfeatures_the_others(image_set, admin_client):
    other = copy_set(image_set, "Other world")
    imageset_feature_daily(image_set=other)
    response = admin_client.post(
        f"/admin/imagesets/imageset/{image_set.pk}/change/", {"name": image_set.name, "description": "", "featured_daily": "on"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(ImageSet.objects.filter(featured_daily=True)) == [image_set]
    assert "featured_daily" in admin_client.get(f"/admin/imagesets/imageset/{other.pk}/change/").content.decode()


def test_no_set_no_challenge(db):
    with pytest.raises(GameError) as refused:
        start()
    assert refused.value.code == Code.NO_DAILY_SET and refused.value.status == 409
    page = Client().get("/daily/")
    assert page.status_code == 200 and "No daily challenge yet" in page.content.decode()


# --- one try a day -------------------------------------------------------------------------------


def test_an_account_and_a_browser_get_one_try_a_day(image_set):
    ann = account("ann")
    start("ann-phone", ann)
    for owner, who in (("ann-laptop", ann), ("guest-browser", None)):
        if who is None:
            start(owner)  # a guest's first try
        with pytest.raises(GameError) as refused:
            start(owner, who)  # the account on another device; the guest's browser again
        assert refused.value.code == Code.DAILY_PLAYED and refused.value.status == 409
    assert start("ann-laptop", ann, day=DAY + timedelta(days=1)).daily.day == DAY + timedelta(days=1)  # tomorrow: a new try


def test_the_page_refuses_a_second_try_and_links_the_first(client, image_set):
    client.force_login(account("ann"))
    game = game_of(play_daily(client))
    again = play_daily(client)
    page = again.content.decode()
    assert again.status_code == 409 and "one try a day" in page and f"/game/{game.public_id}/" in page
    assert Game.objects.filter(mode=DAILY).count() == 1
    guest = Client()
    game_of(play_daily(guest, "Gus"))
    assert play_daily(guest, "Gus").status_code == 409 and Game.objects.filter(mode=DAILY).count() == 2


def test_an_account_is_offered_its_name_and_a_guest_a_form(client, image_set):
    client.force_login(account("ann_the_great"))
    assert 'value="ann_the_great"' in client.get("/daily/").content.decode()
    guest_page = Client().get("/daily/").content.decode()
    assert 'name="player_name"' in guest_page and "not ranked" in guest_page


def test_the_home_page_cannot_start_a_daily_game(client, image_set):
    for mode in (DAILY, "streak"):
        response = client.post("/", {"image_set": image_set.pk, "player_name": "Ann", "mode": mode})
        assert response.status_code == 400 and "choose Classic or Duel worldNET" in response.content.decode()
    assert not Game.objects.exists()
    with pytest.raises(GameError):
        services.game_start(image_set=image_set, player_name="Ann", owner_key="k", mode=DAILY)


def test_a_daily_games_challenge_link_is_an_unranked_classic_replay_and_no_try(client, image_set):
    today = timezone.localdate()
    original = finish(start("b1", account("ann"), day=today - timedelta(days=1)))
    replay = services.game_start_challenge(original=original, player_name="Bob", owner_key="b2", account_id=account("bob").pk)
    assert replay.mode == CLASSIC and not replay.ranked and replay.daily is None and photos_of(replay) == photos_of(original)
    assert start("b2", replay.account, day=today - timedelta(days=1)).ranked  # the replay was no try of the day


def test_todays_daily_cannot_be_replayed_before_the_day_is_over(client, image_set):
    """Its replay would show today's answers to whoever then plays the daily (another account, a private window)."""
    original = finish(start("b1", account("ann"), day=timezone.localdate()))
    with pytest.raises(GameError) as refused:
        services.game_start_challenge(original=original, player_name="Bob", owner_key="b2")
    assert refused.value.code == Code.DAILY_NOT_OVER and refused.value.status == 409
    response = client.post(f"/challenge/{original.public_id}/", {"player_name": "Bob"})
    assert response.status_code == 409 and "from tomorrow" in response.content.decode()
    assert Game.objects.count() == 1
    # Said on the link's page, before any name is typed: no form to fill in for a refusal.
    page = client.get(f"/challenge/{original.public_id}/").content.decode()
    assert 'id="daily-not-over"' in page and 'href="/daily/"' in page and 'name="player_name"' not in page
    yesterdays = finish(start("b3", account("bea"), day=timezone.localdate() - timedelta(days=1)))
    assert 'name="player_name"' in client.get(f"/challenge/{yesterdays.public_id}/").content.decode()


# --- the leaderboard and worldNET ----------------------------------------------------------------


def test_accounts_are_ranked_on_the_days_leaderboard_and_guests_are_not(image_set):
    ann, bob = account("ann"), account("bob")
    now = timezone.now()
    near = finish(start("b1", ann, name="Ann"), 51.5, -0.1, now=now)
    far = finish(start("b2", bob, name="Bob"), -40.0, 170.0, now=now)
    guest = finish(start("b3", name="Gus"), 51.5, -0.1)
    unfinished = start("b4", account("cy"), name="Cy")
    assert near.ranked and far.ranked and not guest.ranked and unfinished.ranked
    challenge = DailyChallenge.objects.get(day=DAY)
    board = selectors.daily_leaderboard(challenge=challenge)
    # Ranked tries are named by their accounts, whatever name was typed.
    assert [g.player_name for g in board] == (["ann", "bob"] if near.total_points > far.total_points else ["bob", "ann"])
    tie = finish(start("b5", account("dee"), name="Dee"), 51.5, -0.1, now=now + timedelta(seconds=1))
    assert tie.total_points == near.total_points and board[0] == near  # a tie goes to the earlier finish
    assert selectors.daily_leaderboard(challenge=challenge)[:2] == [near, tie]


def test_worldnets_score_is_shown_after_ones_own_try_only(client, image_set, model_version):
    client.force_login(account("ann"))
    before = client.get("/daily/").content.decode()
    game = game_of(play_daily(client))
    summary_url = f"/game/{game.public_id}/summary"
    assert client.get(summary_url)["Location"] == f"/game/{game.public_id}/"  # the summary waits for the game's end
    for index in range(5):
        playing = client.get("/daily/").content.decode()
        assert "worldNET on the same photos" not in playing and "Go on playing" in playing
        play_page(client, game)
        assert guess(client, game, index, 10.0, 10.0).status_code == 200
    assert "worldNET on the same photos" not in before
    game.refresh_from_db()
    worldnet_total = sum(game.rounds.values_list("worldnet_points", flat=True))
    after = client.get("/daily/").content.decode()
    assert re.search(rf'id="daily-worldnet">{worldnet_total:,}<', after) and f"/game/{game.public_id}/summary" in after
    summary = client.get(summary_url)
    page = summary.content.decode()
    assert summary.status_code == 200 and re.search(rf'id="ai-total">{worldnet_total:,}<', page)
    assert f"Daily challenge of {timezone.localdate():%-d %B %Y}" in page
    assert re.search(r'<li class="me">ann <span>', page)  # on the day's leaderboard, under the account's name


def test_a_guests_summary_says_it_is_unranked(client, image_set):
    game = game_of(play_daily(client, "Gus"))
    for index in range(5):
        play_page(client, game)
        guess(client, game, index, 1.0, 1.0)
    page = client.get(f"/game/{game.public_id}/summary").content.decode()
    assert "Played as a guest" in page and "Nobody signed in has finished" in page


def test_the_daily_pages_are_never_kept_by_a_cache(client, image_set):
    for response in (client.get("/daily/"), play_daily(client, "")):
        assert response["Cache-Control"] == "private, no-store"


# --- the streak ----------------------------------------------------------------------------------


def test_the_streak_counts_consecutive_days_played_and_a_gap_resets_it(image_set):
    ann = account("ann")
    for offset in (0, 1, 2, 5, 6):  # 1 to 3 June, then 6 and 7 June
        finish(start(f"b{offset}", ann, day=DAY + timedelta(days=offset)))
    start("unfinished", ann, day=DAY + timedelta(days=7))  # begun, not finished: no day played
    streak = selectors.daily_streak(account_id=ann.pk, today=DAY + timedelta(days=2))
    assert (streak.current, streak.best, streak.played_today) == (3, 3, True)
    assert selectors.daily_streak(account_id=ann.pk, today=DAY + timedelta(days=3)).current == 3  # today still to play
    assert selectors.daily_streak(account_id=ann.pk, today=DAY + timedelta(days=4)).current == 0  # a day missed
    later = selectors.daily_streak(account_id=ann.pk, today=DAY + timedelta(days=7))
    assert (later.current, later.best, later.played_today) == (2, 3, False)
    assert selectors.daily_streak(account_id=account("bob").pk, today=DAY).best == 0


def test_the_daily_page_shows_an_accounts_streak(client, image_set):
    ann = account("ann")
    finish(start("b0", ann, day=timezone.localdate() - timedelta(days=1)))
    client.force_login(ann)
    assert re.search(r'id="daily-streak">Your streak: <strong>1</strong> day in a row', client.get("/daily/").content.decode())
    assert "daily-streak" not in Client().get("/daily/").content.decode()


# --- nothing before the guess --------------------------------------------------------------------


def test_nothing_of_a_daily_round_is_exposed_before_its_guess(client, image_set, model_version):
    client.force_login(account("ann"))
    game = game_of(play_daily(client))
    for round in game.rounds.order_by("index"):
        photo, prediction = round.photo, Prediction.objects.get(photo=round.photo)
        page = play_page(client, game)
        assert page.status_code == 200
        exposed = {
            "round page": page.content.decode() + str(dict(page.items())),
            "daily page": client.get("/daily/").content.decode(),
            "summary.json": client.get(f"/game/{game.public_id}/summary.json").content.decode(),
            "summary page": client.get(f"/game/{game.public_id}/summary", follow=True).content.decode(),
            "round endpoint": client.get(f"/game/{game.public_id}/round/{round.index}").content.decode(),
            "round state": client.get(f"/game/{game.public_id}/round/{round.index}/state").content.decode(),
        }
        secrets = {photo.place}
        for value in (photo.lat, photo.lon, prediction.lat, prediction.lon):
            secrets |= {f"{value:.2f}", f"{value:.4f}", repr(value)}
        for where, text in exposed.items():
            for secret in secrets:
                assert secret not in text, f"round {round.index}: {secret!r} is in the {where}"
        assert guess(client, game, round.index, 0.0, 0.0).status_code == 200
    assert client.get(f"/game/{game.public_id}/summary").status_code == 200


def test_todays_summary_sends_friends_to_the_daily_page_not_to_a_replay(client, image_set):
    """The replay link would be refused today (it would show the answers): the summary offers the daily page instead."""
    response = client.post("/daily/", {"player_name": "Ann"})
    game = Game.objects.get(public_id=response["Location"].split("/")[2])
    for index in range(game.rounds.count()):
        play_page(client, game)
        guess(client, game, index, 1.0, 1.0)
    page = client.get(f"/game/{game.public_id}/summary").content.decode()
    assert 'id="challenge-url"' not in page and "opens tomorrow" in page
    DailyChallenge.objects.filter(pk=game.daily_id).update(day=timezone.localdate() - timedelta(days=1))
    page = client.get(f"/game/{game.public_id}/summary").content.decode()
    assert f"/challenge/{game.public_id}/" in page
