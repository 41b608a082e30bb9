"""Accounts over HTTP (Django's test client, a real database): sign-up, sign-in and out, passwords, the
rate limits, a guest's games handed over, the profile's privacy, the CSV export and deleting an account."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from geoguess.accounts.models import AuthAttempt, Profile, Rating, RatingChange
from geoguess.game import selectors as game_selectors
from geoguess.game.models import Game
from geoguess.party.models import Member, Party
from tests.support.games import guess, play_page, start_game
from worldnet_core.land import country_name

PASSWORD = "a-Long-pass-123"


def sign_up(client: Client, username: str = "ann", email: str | None = None, password: str = PASSWORD, **extra: str):
    email = email or f"{username}@example.org"
    return client.post("/accounts/sign-up/", {"username": username, "email": email, "password1": password, "password2": password, **extra})


def sign_in(client: Client, username: str = "ann", password: str = PASSWORD, address: str = "10.0.0.1"):
    return client.post("/accounts/sign-in/", {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in_as(client: Client) -> str | None:
    """Who the site says is signed in, from the header of its home page."""
    found = re.search(r'id="nav-profile">([^<]+)<', client.get("/").content.decode())
    return found.group(1) if found else None


def play_whole_game(client: Client, game: Game, lat: float = 10.0, lon: float = 10.0) -> None:
    for index in range(game.rounds.count()):
        assert play_page(client, game).status_code == 200
        assert guess(client, game, index, lat + index, lon).status_code == 200


# --- sign-up, sign-in, sign-out ---------------------------------------------------------------


def test_signing_up_makes_an_account_with_a_profile_and_signs_in(db):
    client = Client()
    response = sign_up(client)
    assert response.status_code == 302 and response["Location"] == "/me/"
    account = User.objects.get(username="ann")
    assert account.email == "ann@example.org" and account.check_password(PASSWORD)
    assert Profile.objects.get(account=account).public
    assert signed_in_as(client) == "ann"


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"password1": "short", "password2": "short"}, "too short"),
        ({"password1": "password123", "password2": "password123"}, "too common"),
        ({"password1": "12345678901234", "password2": "12345678901234"}, "entirely numeric"),
        ({"password2": "something-else-42"}, "didn’t match"),
        ({"username": "no spaces allowed"}, "Enter a valid username"),
        ({"email": "not-an-address"}, "valid email"),
    ],
)
def test_sign_up_refuses_bad_passwords_and_names_with_a_form_error(db, fields, message):
    response = Client().post(
        "/accounts/sign-up/", {"username": "ann", "email": "ann@example.org", "password1": PASSWORD, "password2": PASSWORD, **fields}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not User.objects.exists()


def test_a_username_or_email_is_taken_once_in_any_case(db):
    assert sign_up(Client()).status_code == 302
    for fields in ({"username": "ANN", "email": "other@example.org"}, {"username": "bob", "email": "ANN@example.org"}):
        response = Client().post("/accounts/sign-up/", {"password1": PASSWORD, "password2": PASSWORD, **fields})
        assert response.status_code == 400, fields
    assert User.objects.count() == 1


def test_sign_in_and_sign_out(db):
    sign_up(Client())
    client = Client()
    assert sign_in(client, password="wrong-password").status_code == 400
    assert signed_in_as(client) is None
    response = sign_in(client)
    assert response.status_code == 302 and response["Location"] == "/me/"
    assert signed_in_as(client) == "ann"
    assert client.get("/accounts/sign-out/").status_code == 405  # signing out is a POST (CSRF-protected), never a link
    assert client.post("/accounts/sign-out/").status_code == 302
    assert signed_in_as(client) is None


def test_forms_need_their_csrf_token(db):
    sign_up(Client())
    client = Client(enforce_csrf_checks=True)
    assert sign_in(client).status_code == 403
    assert sign_up(client, "bob").status_code == 403
    assert client.post("/accounts/password-reset/", {"email": "ann@example.org"}).status_code == 403
    assert not mail.outbox and not User.objects.filter(username="bob").exists()


def test_sign_in_never_sends_the_player_to_another_site(db):
    sign_up(Client())
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        client = Client()
        response = client.post("/accounts/sign-in/", {"username": "ann", "password": PASSWORD, "next": target})
        assert response.status_code == 302 and response["Location"] == "/me/", target
        response = Client().post(
            "/accounts/sign-up/",
            {
                "username": f"u{len(target)}",
                "email": f"u{len(target)}@example.org",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "next": target,
            },
        )
        assert response["Location"] == "/me/", target


# --- passwords ------------------------------------------------------------------------------


def test_changing_the_password(db):
    client = Client()
    sign_up(client)
    refused = client.post(
        "/accounts/password/", {"old_password": "wrong", "new_password1": "An0ther-pass!", "new_password2": "An0ther-pass!"}
    )
    assert refused.status_code == 400
    response = client.post(
        "/accounts/password/", {"old_password": PASSWORD, "new_password1": "An0ther-pass!", "new_password2": "An0ther-pass!"}
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/password/changed/"
    assert signed_in_as(client) == "ann"  # this session stays signed in
    assert sign_in(Client(), password=PASSWORD).status_code == 400
    assert sign_in(Client(), password="An0ther-pass!").status_code == 302


def test_resetting_a_forgotten_password_by_mail(db):
    sign_up(Client())
    client = Client()
    response = client.post("/accounts/password-reset/", {"email": "ann@example.org"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password-reset/sent/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ann@example.org"]
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)  # Django swaps the token for a session and redirects to a "set-password" URL
    assert form.status_code == 200 and "Choose a new password" in form.content.decode()
    set_url = form.redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": "Brand-new-pass-9", "new_password2": "Brand-new-pass-9"})
    assert response.status_code == 302 and response["Location"] == "/accounts/reset/done/"
    assert sign_in(Client(), password="Brand-new-pass-9").status_code == 302
    assert "does not work" in Client().get(link, follow=True).content.decode()  # a link works once


def test_a_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(db):
    sign_up(Client())
    response = Client().post("/accounts/password-reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password-reset/sent/"
    assert not mail.outbox


# --- rate limits ----------------------------------------------------------------------------


def test_failed_sign_ins_are_rate_limited_by_account_even_with_the_right_password_after(db):
    sign_up(Client())
    for attempt in range(5):
        assert sign_in(Client(), password=f"guess-{attempt}", address=f"10.0.1.{attempt}").status_code == 400
    limited = sign_in(Client(), address="10.0.2.1")  # the right password, from another address: still refused
    assert limited.status_code == 429
    assert "Too many failed sign-ins" in limited.content.decode()
    assert AuthAttempt.objects.filter(kind=AuthAttempt.LOGIN_FAILED).exists()
    # Another account is not locked out by ann's attackers.
    sign_up(Client(), "bob")
    assert sign_in(Client(), "bob", address="10.0.2.1").status_code == 302


def test_failed_sign_ins_are_rate_limited_by_address_across_accounts(db):
    for attempt in range(20):
        assert sign_in(Client(), f"user{attempt}", "nope", address="10.9.9.9").status_code == 400
    assert sign_in(Client(), "someone-else", "nope", address="10.9.9.9").status_code == 429
    assert sign_in(Client(), "someone-else", "nope", address="10.9.9.8").status_code == 400


def test_the_admins_sign_in_is_rate_limited_too(db):
    User.objects.create_superuser("root", "root@example.org", PASSWORD)
    for attempt in range(5):
        response = Client().post("/admin/login/", {"username": "root", "password": f"x{attempt}"}, REMOTE_ADDR=f"10.3.0.{attempt}")
        assert response.status_code == 200 and "correct username" in response.content.decode()
    response = Client().post("/admin/login/", {"username": "root", "password": PASSWORD}, REMOTE_ADDR="10.3.1.1")
    assert "Too many failed sign-ins" in response.content.decode()


def test_password_resets_are_rate_limited(db):
    sign_up(Client())
    for _ in range(3):
        assert Client().post("/accounts/password-reset/", {"email": "ann@example.org"}).status_code == 302
    response = Client().post("/accounts/password-reset/", {"email": "ann@example.org"})
    assert response.status_code == 429 and len(mail.outbox) == 3


# --- a guest's games, handed over -------------------------------------------------------------


def test_a_guest_who_signs_up_keeps_the_games_of_their_session_and_reaches_them_anywhere(image_set):
    client = Client()
    finished = start_game(client, image_set)
    play_whole_game(client, finished)
    unfinished = start_game(client, image_set)
    stranger_game = start_game(Client(), image_set, name="Eve")
    assert sign_up(client).status_code == 302
    # The start forms offer the account's name now, not the name the guest played under.
    assert 'name="player_name" maxlength="40" required value="ann"' in client.get("/").content.decode()
    account = User.objects.get(username="ann")
    assert set(Game.objects.filter(account=account)) == {finished, unfinished}
    assert Game.objects.get(pk=stranger_game.pk).account is None
    # On another device, signed in: the account's games are its own there too.
    other_device = Client()
    sign_in(other_device)
    assert other_device.get(f"/game/{finished.public_id}/summary").status_code == 200
    assert play_page(other_device, unfinished).status_code == 200
    assert guess(other_device, unfinished, 0, 1.0, 1.0).status_code == 200
    assert Client().get(f"/game/{finished.public_id}/summary").status_code == 403


def test_signing_in_hands_over_this_browsers_guest_games_too(image_set):
    sign_up(Client())
    client = Client()
    game = start_game(client, image_set)
    assert sign_in(client).status_code == 302
    assert Game.objects.get(pk=game.pk).account.username == "ann"
    assert client.session["player_name"] == "ann"  # the guest's name is not offered to the account


def test_games_started_signed_in_are_the_accounts(image_set):
    client = Client()
    sign_up(client)
    game = start_game(client, image_set)
    assert game.account.username == "ann"


# --- the profile ----------------------------------------------------------------------------


@pytest.fixture
def ann_with_a_game(image_set):
    client = Client()
    sign_up(client)
    game = start_game(client, image_set)
    play_whole_game(client, game)
    game.refresh_from_db()
    return client, game


def test_the_owner_sees_history_accuracy_and_the_map(ann_with_a_game):
    client, game = ann_with_a_game
    page = client.get("/players/ann/").content.decode()
    assert re.search(r'id="games-played">1<', page)
    rounds = list(game.rounds.order_by("index"))
    assert page.count("<tr>") >= len(rounds)  # the history's rows
    assert 'id="by-country"' in page and 'id="by-continent"' in page and 'id="profile-map"' in page
    for country in {r.truth_country for r in rounds if r.truth_country}:
        assert country in page
    assert f"{rounds[0].truth_lat}" in page  # the map's points: answers the owner has seen
    # Distances read as on every other page (numbers.km): one decimal under 10 km, whole and grouped above.
    from geoguess.game.templatetags.numbers import km

    for r in rounds:
        assert f"<td>{km(r.distance_km)}</td>" in page


def test_others_see_only_the_public_summary(ann_with_a_game):
    _, game = ann_with_a_game
    page = Client().get("/players/ann/").content.decode()
    assert re.search(r'id="games-played">1<', page)
    assert 'id="history"' not in page and 'id="profile-map"' not in page and 'id="by-country"' not in page
    for round in game.rounds.all():
        assert f"{round.truth_lat}" not in page and f"{round.guess_lat}" not in page


def test_a_hidden_profile_shows_others_only_the_name(ann_with_a_game):
    client, _ = ann_with_a_game
    assert client.post("/me/settings/", {}).status_code == 302  # the box unticked
    assert not Profile.objects.get(account__username="ann").public
    page = Client().get("/players/ann/").content.decode()
    assert 'id="private-profile"' in page and 'id="games-played"' not in page and 'id="duel-record"' not in page
    own = client.get("/players/ann/").content.decode()
    assert 'id="games-played"' in own and "hidden from others" in own
    assert client.post("/me/settings/", {"public": "on"}).status_code == 302
    assert 'id="games-played"' in Client().get("/players/ann/").content.decode()


def test_no_template_text_shows_on_the_accounts_pages(ann_with_a_game):
    """A Django comment spread over lines is printed as text: none may reach a page."""
    client, _ = ann_with_a_game
    pages = ["/players/ann/", "/me/settings/", "/me/delete/", "/accounts/password/", "/accounts/password-reset/", "/ratings/"]
    for path in pages + ["/accounts/sign-in/", "/accounts/sign-up/"]:
        asker = client if path in pages else Client()
        body = asker.get(path).content.decode()
        assert "{#" not in body and "{%" not in body and "{{" not in body, path


def test_an_unknown_player_is_a_404(db):
    for name in ("nobody", "a" * 151, "%00"):
        assert Client().get(f"/players/{name}/").status_code == 404


def test_the_history_exports_as_csv_with_every_rounds_distance(ann_with_a_game):
    client, game = ann_with_a_game
    response = client.get("/me/history.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == game.rounds.count()
    by_round = {int(r["round"]): r for r in rows}
    for round in game.rounds.all():
        row = by_round[round.index + 1]
        assert row["game"] == game.public_id and row["mode"] == "classic"
        assert float(row["distance_km"]) == pytest.approx(round.distance_km, abs=0.001)
        assert int(row["points"]) == round.points
        assert row["country"] == (country_name(round.truth_country) if round.truth_country else "")  # as the pages name it
    assert Client().get("/me/history.csv").status_code == 302  # a guest has no history to export: sign in first


def test_the_csv_does_not_let_a_spreadsheet_run_a_name(ann_with_a_game, image_set):
    client, _ = ann_with_a_game
    type(image_set).objects.filter(pk=image_set.pk).update(name='=HYPERLINK("http://evil")')
    body = b"".join(client.get("/me/history.csv").streaming_content).decode()
    assert "'=HYPERLINK" in body and ",=HYPERLINK" not in body


# --- deleting an account --------------------------------------------------------------------


def test_deleting_an_account_removes_its_data_and_its_games_leave_the_leaderboards(ann_with_a_game, image_set):
    client, game = ann_with_a_game
    assert game in game_selectors.leaderboard(image_set=image_set)
    party = Party.objects.create(image_set=image_set, code="ABCD")
    seat = Member.objects.create(party=party, name="ann", account=game.account)
    bob = User.objects.create_user("bob", "bob@example.org", PASSWORD)
    bobs_rating = Rating.objects.create(account=bob, mu=1550.0, sigma=400.0, games=1, wins=1)
    RatingChange.objects.create(
        rating=bobs_rating, game_key="party:1:1", opponent="ann", result="win", mu_before=1500, mu_after=1550, sigma_after=400
    )
    assert client.post("/me/delete/", {"password": "wrong"}).status_code == 400
    assert User.objects.filter(username="ann").exists()
    response = client.post("/me/delete/", {"password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert not User.objects.filter(username="ann").exists()
    assert not Game.objects.filter(pk=game.pk).exists() and not Profile.objects.exists()
    assert game_selectors.leaderboard(image_set=image_set) == []
    seat.refresh_from_db()
    assert seat.account is None and "ann" not in seat.name
    assert not RatingChange.objects.filter(opponent="ann").exists()  # bob's history no longer names her
    assert Rating.objects.get(account=bob).mu == 1550.0
    assert signed_in_as(client) is None
    assert Client().get("/players/ann/").status_code == 404


def test_a_signed_in_player_sits_at_a_party_table_as_their_account(image_set):
    host, guest = Client(), Client()
    sign_up(host)
    response = host.post("/party/new", {"image_set": image_set.pk, "player_name": "Ann", "mode": "duel", "rounds": 5, "time_limit": 60})
    assert response.status_code == 302, response.content.decode()[:300]
    party = Party.objects.get()
    assert party.members.get(is_host=True).account.username == "ann"
    guest.post("/party/join", {"code": party.code, "player_name": "Eve"})
    assert party.members.get(name="Eve").account is None
    # One seat per account: the same account from another tab is refused.
    second_tab = Client()
    sign_in(second_tab)
    refused = second_tab.post("/party/join", {"code": party.code, "player_name": "Ann again"})
    assert refused.status_code == 409 and "already" in refused.content.decode()


def test_the_profile_shows_the_rating_its_history_and_the_daily_streak(ann_with_a_game, image_set):
    from datetime import timedelta

    from django.utils import timezone

    from geoguess.game.models import DAILY, DailyChallenge

    client, game = ann_with_a_game
    account = game.account
    rating = Rating.objects.create(account=account, mu=1620.0, sigma=300.0, games=2, wins=2)
    RatingChange.objects.create(
        rating=rating, game_key="game:1", opponent="v1", result="win", mu_before=1500, mu_after=1560, sigma_after=400
    )
    RatingChange.objects.create(
        rating=rating, game_key="game:2", opponent="v1", result="win", mu_before=1560, mu_after=1620, sigma_after=300
    )
    today = timezone.localdate()
    for back in (0, 1, 2):
        day = DailyChallenge.objects.create(day=today - timedelta(days=back), image_set=image_set, photo_ids=[])
        Game.objects.create(
            image_set=image_set, player_name="ann", owner_key=f"k{back}", mode=DAILY, daily=day, account=account, finished_at=timezone.now()
        )
    for asker in (client, Client()):  # the owner, and anyone while the profile is public
        page = asker.get("/players/ann/").content.decode()
        assert re.search(r'id="rating">1,620<', page)
        assert re.search(r'id="daily-streak">3<', page)
        assert 'class="health-chart rating-chart"' in page


# --- what a review found -----------------------------------------------------------------------


def test_the_sign_in_page_asked_by_itself_when_signed_in_goes_to_the_profile(db):
    client = Client()
    sign_up(client)
    response = client.get("/accounts/sign-in/?next=/accounts/sign-in/")  # Django's loop check was a 500
    assert response.status_code == 302 and response["Location"] == "/me/"


def test_a_duel_under_way_stays_the_guests_so_no_duel_is_rated_half_played(image_set):
    client = Client()
    under_way = start_game(client, image_set)
    duel = Game.objects.get(pk=under_way.pk)
    Game.objects.filter(pk=duel.pk).update(mode="duel")  # a duel the guest is still playing
    finished = start_game(client, image_set)
    play_whole_game(client, finished)
    sign_up(client)
    assert Game.objects.get(pk=duel.pk).account is None
    assert Game.objects.get(pk=finished.pk).account is not None
    assert client.get(f"/game/{duel.public_id}/").status_code == 200  # it goes on in this browser, as a guest's


def test_a_password_reset_lifts_the_sign_in_lock(db):
    sign_up(Client())
    for attempt in range(5):
        sign_in(Client(), password=f"guess-{attempt}", address=f"10.0.5.{attempt}")
    assert sign_in(Client(), address="10.0.6.1").status_code == 429
    Client().post("/accounts/password-reset/", {"email": "ann@example.org"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    client = Client()
    set_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_url, {"new_password1": "Brand-new-pass-9", "new_password2": "Brand-new-pass-9"})
    assert sign_in(Client(), password="Brand-new-pass-9", address="10.0.6.1").status_code == 302


def test_a_successful_sign_in_is_no_failure(db):
    sign_up(Client())
    for _ in range(6):
        assert sign_in(Client()).status_code == 302
    for attempt in range(4):
        assert sign_in(Client(), password=f"guess-{attempt}").status_code == 400
    assert sign_in(Client()).status_code == 302  # 4 failures, 7 successes: under the limit of 5 failures


def test_deleting_or_changing_the_password_from_an_open_session_is_rate_limited(db):
    client = Client()
    sign_up(client)
    for attempt in range(5):
        assert client.post("/me/delete/", {"password": f"guess-{attempt}"}).status_code == 400
    assert client.post("/me/delete/", {"password": PASSWORD}).status_code == 429
    new = {"new_password1": "An0ther-pass!", "new_password2": "An0ther-pass!"}
    assert client.post("/accounts/password/", {"old_password": PASSWORD, **new}).status_code == 429
    assert User.objects.get(username="ann").check_password(PASSWORD)


def test_trying_e_mails_at_sign_up_is_rate_limited(db):
    sign_up(Client())
    statuses = [sign_up(Client(), f"user{attempt}", email="ann@example.org").status_code for attempt in range(12)]
    assert statuses[:8] == [400] * 8  # told that the address has an account: counted as sign-ups from here...
    assert statuses[-3:] == [429] * 3  # ...ten an hour at most


def test_a_username_is_at_most_a_display_names_length(db):
    response = sign_up(Client(), "a" * 41)
    assert response.status_code == 400 and "at most 40" in response.content.decode()


def test_an_accounts_daily_try_is_ranked_under_its_own_name(image_set):
    client = Client()
    sign_up(client)
    response = client.post("/daily/", {"player_name": "Somebody Else"})
    assert response.status_code == 302
    assert Game.objects.get(daily__isnull=False).player_name == "ann"


def test_a_hidden_profile_leaves_the_ratings_leaderboard(ann_with_a_game):
    client, game = ann_with_a_game
    Rating.objects.create(account=game.account, mu=1700.0, sigma=300.0, games=3, wins=3)
    assert "ann" in Client().get("/ratings/").content.decode()
    client.post("/me/settings/", {})
    page = Client().get("/ratings/").content.decode()
    assert ">ann<" not in page and "/players/ann/" not in page
    assert "Playing since" not in Client().get("/players/ann/").content.decode()


def test_the_csv_keeps_a_game_id_that_starts_with_a_dash(ann_with_a_game):
    client, game = ann_with_a_game
    Game.objects.filter(pk=game.pk).update(public_id="-" + game.public_id[1:])
    body = b"".join(client.get("/me/history.csv").streaming_content).decode()
    assert "\n-" + game.public_id[1:] + "," in body.replace("\r\n", "\n")


def test_the_best_game_is_one_of_the_usual_length(ann_with_a_game, image_set):
    from geoguess.accounts.selectors import profile_summary

    _, game = ann_with_a_game
    longer = {"rounds_chosen": 10, "total_points": game.total_points + 9999, "finished_at": game.finished_at}
    Game.objects.create(image_set=image_set, player_name="ann", owner_key="x", account=game.account, **longer)
    assert profile_summary(game.account)["best_game"].pk == game.pk


def test_a_country_where_every_round_timed_out_has_no_average_distance(ann_with_a_game):
    """No pin, no distance: the average is none ("–" on the page), not 0 km."""
    from geoguess.accounts.selectors import accuracy_by

    client, game = ann_with_a_game
    first = game.rounds.order_by("index").first()
    game.rounds.filter(truth_country=first.truth_country).update(distance_km=None, guess_lat=None, guess_lon=None, timed_out=True, points=0)
    row = next(r for r in accuracy_by(game.account, "truth_country") if r.name == country_name(first.truth_country))
    assert row.mean_km is None and row.mean_points == 0
    assert f"<td>{row.name}</td><td>{row.rounds}</td><td>0</td><td>–</td>" in client.get("/players/ann/").content.decode()
