"""The party's pages over HTTP (Django's test client): creating a party, joining it by code and by its link,
every refusal as the form's error with a 4xx status (never a 500), the page of a non-member asking for a name,
CSRF, no cache, and a party page that holds nothing of a round's answer."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from geoguess import rules
from geoguess.party import join_limits, services, sessions
from geoguess.party.models import Member, Party, PartyRound

pytestmark = pytest.mark.django_db


def create(client: Client, chosen_set, **fields):
    data = {"image_set": chosen_set.pk, "mode": "classic", "rounds": 3, "time_limit": 30, "player_name": "Ana", **fields}
    return client.post("/party/new", data)


def error_of(response) -> str:
    found = re.search(r'<p class="error" role="alert" id="form-error">(.*?)</p>', response.content.decode(), re.S)
    assert found, response.content.decode()[:2000]
    return found.group(1)


def member_of(client: Client, code: str) -> Member:
    return Member.objects.get(key=client.session[sessions.SESSION_KEY][code])


def test_the_home_page_offers_play_with_friends_and_a_join_form(client, image_set):
    page = client.get("/").content.decode()
    assert 'href="/party/new" id="play-with-friends">Play with friends</a>' in page
    assert 'action="/party/join"' in page and 'name="code"' in page


def test_it_shows_the_create_form(client, image_set, model_version):
    page = client.get("/party/new")
    text = page.content.decode()
    assert page.status_code == 200 and "Create the party" in text
    assert all(f'value="{mode}"' in text for mode in ("classic", "battle_royale", "duel"))
    assert 'data-worldnet="yes"' in text and 'name="worldnet_in"' in text
    assert all(f'<option value="{t}"' in text for t in rules.PARTY_TIME_LIMITS)


def test_it_creates_a_party_and_remembers_its_host(client, image_set, model_version):
    response = create(client, image_set, worldnet_in="on", mode="battle_royale", time_limit=60)
    assert response.status_code == 302
    party = Party.objects.get()
    assert response["Location"] == f"/party/{party.code}/"
    assert (party.mode, party.time_limit, party.worldnet_in) == ("battle_royale", 60, True)
    host = member_of(client, party.code)
    assert host.is_host and host.name == "Ana"
    assert party.members.filter(is_worldnet=True).count() == 1
    page = client.get(response["Location"])
    text = page.content.decode()
    assert page.status_code == 200 and "Battle royale (distance) on Small world" in text
    config = json.loads(re.search(r'<script id="party-config" type="application/json">(.*?)</script>', text).group(1))
    assert config["code"] == party.code and config["socketPath"] == f"/ws/party/{party.code}/"
    assert f"http://testserver/party/{party.code}/" in text  # the link to copy


def test_worldnet_stays_out_unless_ticked(client, image_set, model_version):
    assert create(client, image_set).status_code == 302
    assert not Party.objects.get().worldnet_in


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"player_name": "  "}, 400, "display name"),
        ({"player_name": ""}, 400, "display name"),
        ({"player_name": "x" * 41}, 400, "40"),
        ({"mode": "poker"}, 400, "a party plays one of"),
        ({"rounds": "7"}, 400, "rounds"),
        ({"rounds": "-3"}, 400, "rounds"),
        ({"time_limit": "45"}, 400, "time limit"),
        ({"time_limit": "1e9"}, 400, "time limit"),
        ({"image_set": "999"}, 400, "image sets listed"),
        ({"image_set": "abc"}, 400, "image sets listed"),
        ({"worldnet_in": "on"}, 400, "worldNET is not ready"),  # no model is active for the set
    ],
)
def test_every_refusal_to_create_is_a_form_error(client, image_set, fields, status, message):
    response = create(client, image_set, **fields)
    assert response.status_code == status
    assert message in error_of(response)
    assert not Party.objects.exists()
    assert "Create the party" in response.content.decode()  # the form again, with what was typed


def test_it_joins_by_code_whatever_the_case_and_spaces(client, image_set):
    party, _host = services.party_create(image_set=image_set, mode="classic", rounds=3, time_limit=30, worldnet_in=False, host_name="Ana")
    typed = " ".join(party.code.lower())
    response = client.post("/party/join", {"code": typed, "player_name": "Ben"})
    assert response.status_code == 302 and response["Location"] == f"/party/{party.code}/"
    ben = member_of(client, party.code)
    assert ben.name == "Ben" and not ben.is_host
    assert 'id="party-config"' in client.get(response["Location"]).content.decode()


def test_it_joins_by_the_link_after_asking_a_name(client, image_set):
    party, _host = services.party_create(image_set=image_set, mode="duel", rounds=3, time_limit=30, worldnet_in=False, host_name="Ana")
    page = client.get(f"/party/{party.code}/")
    text = page.content.decode()
    assert page.status_code == 200 and "Join the party" in text and 'name="player_name"' in text
    assert "<strong>Ana</strong> hosts a party of <strong>Duel</strong>" in text
    assert 'id="party-config"' not in text  # no socket for a non-member
    response = client.post(f"/party/{party.code}/", {"player_name": "Ben"})
    assert response.status_code == 302 and response["Location"] == f"/party/{party.code}/"
    assert 'id="party-config"' in client.get(f"/party/{party.code}/").content.decode()


def joined(image_set, names=("Ana",), **fields):
    defaults = {"mode": "classic", "rounds": 3, "time_limit": 30, "worldnet_in": False}
    party, host = services.party_create(image_set=image_set, host_name=names[0], **{**defaults, **fields})
    return party, [host] + [services.party_join(code=party.code, name=name) for name in names[1:]]


@pytest.mark.parametrize("how", ["code", "link"])
def test_every_refusal_to_join_is_a_form_error(client, image_set, how):
    def join(code: str, name: str):
        if how == "code":
            return client.post("/party/join", {"code": code, "player_name": name})
        return client.post(f"/party/{code}/", {"player_name": name})

    party, _ = joined(image_set, ("Ana", "Ben"))
    taken = join(party.code, "BEN")
    assert taken.status_code == 409 and "has that name" in error_of(taken)
    if how == "link":
        assert join(party.code, "").status_code == 400 and "display name" in error_of(join(party.code, ""))
    else:  # the home page's code box with its name left empty: the party's page asks for one (below)
        assert join(party.code, "")["Location"] == f"/party/{party.code}/"
    assert join(party.code, "<b>\u0007</b>").status_code == 400

    started, (host, _) = joined(image_set, ("Cy", "Di"))
    services.party_start(member=host)
    late = join(started.code, "Eve")
    assert late.status_code == 409 and "has started" in error_of(late)

    full, _ = joined(image_set, tuple(f"P{i}" for i in range(rules.PARTY_MAX_PLAYERS)))
    crowded = join(full.code, "One more")
    assert crowded.status_code == 409 and "full" in error_of(crowded)

    unknown = join("ZZZZZZ", "Eve")
    assert unknown.status_code == 404 and "no party has that code" in error_of(unknown).lower()
    assert join("<script>", "Eve").status_code == 404
    assert Member.objects.filter(name="Eve").count() == 0


def test_joins_from_one_player_are_limited(client, image_set):
    parties = [joined(image_set, (f"Host{i}",))[0] for i in range(join_limits.JOINS_PER_MINUTE_PER_CLIENT + 1)]
    for party in parties[:-1]:
        assert client.post("/party/join", {"code": party.code, "player_name": "Ben"}).status_code == 302
    flood = client.post("/party/join", {"code": parties[-1].code, "player_name": "Ben"})
    assert flood.status_code == 429 and "too many joins" in error_of(flood)


def test_a_code_with_no_name_goes_to_the_partys_page_which_asks_for_one(client, image_set):
    """A friend pastes the code in the home page's box and leaves "Your name" empty: no refusal, the party's page."""
    party, _host = services.party_create(image_set=image_set, mode="classic", rounds=3, time_limit=30, worldnet_in=False, host_name="Ana")
    response = client.post("/party/join", {"code": party.code.lower(), "player_name": "  "})
    assert response.status_code == 302 and response["Location"] == f"/party/{party.code}/"
    page = client.get(response["Location"]).content.decode()
    assert "Join the party" in page and "<strong>Ana</strong> hosts" in page and 'class="error"' not in page
    assert not party.members.filter(name="").exists() and party.members.count() == 1
    # A code of no party's shape is still the form's error, on the form (no redirect to a page of nothing).
    wrong = client.post("/party/join", {"code": "??", "player_name": ""})
    assert wrong.status_code == 400


def test_join_by_code_asks_for_the_code(client, image_set):
    assert client.get("/party/join").status_code == 200
    missing = client.post("/party/join", {"code": "", "player_name": "Ben"})
    assert missing.status_code == 400 and "code" in error_of(missing)
    huge = client.post("/party/join", {"code": "A" * 5000, "player_name": "Ben"})
    assert huge.status_code == 400


def test_an_unknown_party_link_is_a_404_with_the_join_form(client, db):
    for code in ("ZZZZZZ", "nope", "%00", "A" * 300):
        page = client.get(f"/party/{code}/")
        assert page.status_code == 404 and 'action="/party/join"' in page.content.decode()


def test_csrf_is_checked_on_every_form(image_set, model_version):
    client = Client(enforce_csrf_checks=True)
    token = client.get("/party/new").cookies["csrftoken"].value
    assert client.post("/party/new", {"image_set": image_set.pk, "player_name": "Ana"}).status_code == 403
    response = client.post("/party/new", {"image_set": image_set.pk, "player_name": "Ana", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    code = Party.objects.get().code
    other = Client(enforce_csrf_checks=True)
    token = other.get(f"/party/{code}/").cookies["csrftoken"].value
    assert other.post(f"/party/{code}/", {"player_name": "Ben"}).status_code == 403
    assert other.post("/party/join", {"code": code, "player_name": "Ben"}).status_code == 403
    assert other.post(f"/party/{code}/", {"player_name": "Ben", "csrfmiddlewaretoken": token}).status_code == 302


def test_party_pages_are_private_no_store(client, image_set):
    response = create(client, image_set)
    code = Party.objects.get().code
    for url in ("/party/new", "/party/join", f"/party/{code}/", "/party/ZZZZZZ/", "/party/image/nothing-here"):
        for asker in (client, Client()):
            answer = asker.get(url)
            assert {"private", "no-store"} <= {d.strip() for d in answer["Cache-Control"].split(",")}, (url, answer.status_code)
    assert response["Cache-Control"]


def test_the_party_page_holds_nothing_of_the_round(client, image_set, model_version):
    create(client, image_set, worldnet_in="on")
    party = Party.objects.get()
    host = member_of(client, party.code)
    ben = Client()
    ben.post(f"/party/{party.code}/", {"player_name": "Ben"})
    services.party_start(member=host)
    round = PartyRound.objects.get(party=party)
    for asker in (client, ben):
        text = asker.get(f"/party/{party.code}/").content.decode()
        assert 'id="party-config"' in text
        for secret in (f"{round.photo.lat:.4f}"[:-1], f"{round.photo.lon:.4f}"[:-1], round.photo.place, "/party/image/"):
            assert secret not in text, secret
        assert str(round.worldnet_lat)[:6] not in text


def test_a_member_following_their_own_link_gets_the_page(client, image_set):
    create(client, image_set)
    code = Party.objects.get().code
    again = client.post(f"/party/{code}/", {"player_name": "Ana"})
    assert again.status_code == 302 and Member.objects.filter(name="Ana").count() == 1


def worldnet_box_ticked(response) -> bool:
    box = re.search(r'<input type="checkbox" name="worldnet_in" id="worldnet-in"[^>]*>', response.content.decode())
    assert box, response.content.decode()[:2000]
    return " checked" in box.group(0)


def test_a_refused_create_keeps_the_worldnet_box_as_posted(client, image_set, model_version):
    assert worldnet_box_ticked(client.get("/party/new"))  # ticked to begin with
    unticked = create(client, image_set, time_limit="45")  # refused, worldNET not ticked
    assert unticked.status_code == 400 and not worldnet_box_ticked(unticked)
    ticked = create(client, image_set, time_limit="45", worldnet_in="on")
    assert ticked.status_code == 400 and worldnet_box_ticked(ticked)


def test_party_codes_cannot_be_enumerated_from_one_address(image_set):
    """Codes tried that name no party count against the address (a fresh session each try does not help): past the
    limit a right code is refused too, by the form and by the link; another address is not held up."""
    party, _ = joined(image_set, ("Ana",))
    for n in range(join_limits.FAILED_LOOKUPS_PER_MINUTE):
        fresh = Client(REMOTE_ADDR="203.0.113.7")
        tried = fresh.post("/party/join", {"code": f"ZZZZZ{n % 10 + 2}", "player_name": "Eve"}) if n % 2 else fresh.get(f"/party/ZZZZZ{n}/")
        assert tried.status_code == 404
    for attempt in (
        lambda c: c.post("/party/join", {"code": party.code, "player_name": "Eve"}),
        lambda c: c.get(f"/party/{party.code}/"),
    ):
        held = attempt(Client(REMOTE_ADDR="203.0.113.7"))
        assert held.status_code == 429 and "try again in a minute" in error_of(held)
    elsewhere = Client(REMOTE_ADDR="198.51.100.1").post("/party/join", {"code": party.code, "player_name": "Eve"})
    assert elsewhere.status_code == 302


def test_a_player_cannot_take_worldnets_name(client, image_set):
    for name in ("worldNET", "WORLDNET", " world net ", "World\tNet"):
        response = create(client, image_set, player_name=name)
        assert response.status_code == 400 and "worldNET" in error_of(response)
    party, _ = joined(image_set, ("Ana",))
    joining = client.post(f"/party/{party.code}/", {"player_name": "Worldnet"})
    assert joining.status_code == 400 and "AI" in error_of(joining)
    assert not Member.objects.filter(name__iexact="worldnet").exists()


@pytest.mark.parametrize("path", ["/party/new", "/party/join"])
def test_bytes_that_are_not_utf8_and_huge_fields_are_form_errors(client, image_set, path):
    """A body that is not UTF-8, or a name of 100,000 characters: a 4xx with the form again, never a 500, no party made."""
    client.get(path)  # the session and its CSRF cookie, as a browser has them
    raw = client.post(path, b"player_name=%FF%FE%00&code=%C3%28&image_set=%FF", content_type="application/x-www-form-urlencoded")
    assert 400 <= raw.status_code < 500, raw.status_code
    huge = client.post(path, {"player_name": "x" * 100_000, "code": "ABCDEF", "image_set": image_set.pk})
    assert 400 <= huge.status_code < 500, huge.status_code
    assert not Party.objects.exists() and not Member.objects.exists()
