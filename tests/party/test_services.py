"""The party referee through its services, with the clock passed in: creating and joining, rounds that end
(all guessed, the countdown, the deadline), each mode's rules, worldNET at the table, the host's controls."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from geoguess import rules
from geoguess.party import join_limits, services, sessions
from geoguess.party.errors import PartyError
from geoguess.party.models import FINISHED, LOBBY, REVEAL, ROUND, Member, Party, PartyGuess, PartyRound
from geoguess.party.selectors import standings

pytestmark = pytest.mark.django_db


def current(party: Party) -> PartyRound:
    party.refresh_from_db()
    return PartyRound.objects.get(party=party, game_number=party.game_number, index=party.round_index)


def truth(party: Party) -> tuple[float, float]:
    photo = current(party).photo
    return photo.lat, photo.lon


def guess(member: Member, km_off: float, now, *, index: int | None = None) -> None:
    """A guess about ``km_off`` km north of the answer (1 degree of latitude is 111.2 km)."""
    lat, lon = truth(member.party)
    services.guess_submit(
        member=member, round_index=current(member.party).index if index is None else index, lat=lat + km_off / 111.195, lon=lon, now=now
    )


def refused(expected: str, action, **kwargs) -> None:
    with pytest.raises(PartyError) as caught:
        action(**kwargs)
    assert caught.value.code == expected, caught.value.message


# --- creating and joining --------------------------------------------------------------------------


def test_it_creates_a_party_with_a_code_and_its_host(image_set):
    party, host = services.party_create(
        image_set=image_set, mode="classic", rounds=3, time_limit=60, worldnet_in=False, host_name="  Ana  "
    )
    assert len(party.code) == 6
    assert set(party.code) <= set("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
    assert host.name == "Ana" and host.is_host and party.phase == LOBBY


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"mode": "poker"}, "unknown_mode"),
        ({"rounds": 7}, "bad_round_count"),
        ({"time_limit": 0}, "bad_time_limit"),
        ({"host_name": "   "}, "name_missing"),
        ({"host_name": "x" * 41}, "name_too_long"),
        ({"host_name": "a\u202eb"}, "name_not_printable"),
        ({"worldnet_in": True}, "worldnet_not_ready"),
    ],
)
def test_it_refuses_bad_settings(image_set, fields, code):
    settings = {
        "image_set": image_set,
        "mode": "classic",
        "rounds": 3,
        "time_limit": 60,
        "worldnet_in": False,
        "host_name": "Ana",
        **fields,
    }
    refused(code, services.party_create, **settings)


def test_it_refuses_joins_it_should(make_party, settings):
    party, members = make_party(players=("Ana", "Ben"))
    refused("party_not_found", services.party_join, code="ZZZZZZ", name="Cy")
    refused("party_not_found", services.party_join, code="<b>x</b>", name="Cy")
    refused("name_taken", services.party_join, code=party.code.lower(), name="ben")
    for n in range(rules.PARTY_MAX_PLAYERS - 2):
        services.party_join(code=party.code, name=f"P{n}")
    refused("party_full", services.party_join, code=party.code, name="One too many")
    services.party_start(member=members[0])
    refused("party_started", services.party_join, code=party.code, name="Late")


def test_it_limits_joins_per_client(make_party):
    party, _ = make_party(players=("Ana",))
    for n in range(join_limits.JOINS_PER_MINUTE_PER_CLIENT):
        services.party_join(code=party.code, name=f"P{n}", client="10.0.0.1")
    refused("too_many_joins", services.party_join, code=party.code, name="Flood", client="10.0.0.1")
    services.party_join(code=party.code, name="Elsewhere", client="10.0.0.2")


def test_it_limits_joins_per_address_whatever_the_session(make_party):
    parties = [make_party(players=(f"Host{i}",))[0] for i in range(3)]
    for n in range(join_limits.JOINS_PER_MINUTE_PER_ADDRESS):  # a new session each time: the address still counts
        services.party_join(
            code=parties[n * 3 // join_limits.JOINS_PER_MINUTE_PER_ADDRESS].code, name=f"P{n}", client=f"s{n}", address="203.0.113.7"
        )
    refused("too_many_joins", services.party_join, code=parties[2].code, name="Flood", client="a new session", address="203.0.113.7")
    services.party_join(code=parties[2].code, name="Elsewhere", client="a new session", address="198.51.100.1")


def test_unknown_codes_count_against_the_client_and_its_address(make_party):
    party, _ = make_party(players=("Ana",))
    for n in range(join_limits.FAILED_LOOKUPS_PER_MINUTE):
        refused("party_not_found", services.party_join, code=f"ZZZZZ{n % 8 + 2}", name="Eve", client=f"session {n}", address="203.0.113.7")
    refused("too_many_joins", services.party_join, code=party.code, name="Eve", client="a new session", address="203.0.113.7")
    refused("too_many_joins", services.party_lookup, code=party.code, address="203.0.113.7")
    assert services.party_lookup(code=party.code, client="a new session", address="198.51.100.1") == party


def test_no_player_may_take_worldnets_name(make_party, image_set):
    party, _ = make_party(players=("Ana",))
    for name in ("worldNET", "worldnet", " World  Net "):
        refused("name_reserved", services.party_join, code=party.code, name=name)
        refused(
            "name_reserved",
            services.party_create,
            image_set=image_set,
            mode="classic",
            rounds=3,
            time_limit=60,
            worldnet_in=False,
            host_name=name,
        )
    services.party_join(code=party.code, name="worldNETfan")


def test_it_finds_the_member_from_the_session(make_party):
    party, (_ana, ben) = make_party()
    session: dict = {}
    sessions.remember_member(session, ben)
    assert sessions.member_for_session(session, party.code.lower()) == ben
    assert sessions.member_for_session({}, party.code) is None
    assert sessions.member_for_session({"party_members": {party.code: "forged"}}, party.code) is None
    assert sessions.member_for_session({"party_members": "junk"}, party.code) is None


# --- classic: rounds end when all have guessed, at the countdown, at the deadline -----------------


def test_a_classic_round_ends_when_everyone_has_guessed(make_party):
    party, (ana, ben) = make_party()
    t0 = timezone.now()
    services.party_start(member=ana, now=t0)
    guess(ana, 0, t0 + timedelta(seconds=5))
    refused("already_guessed", guess, member=ana, km_off=0, now=t0 + timedelta(seconds=6))
    assert current(party).countdown_until == t0 + timedelta(seconds=5 + rules.COUNTDOWN_SECONDS)
    party.refresh_from_db()
    assert party.phase == ROUND
    guess(ben, 1000, t0 + timedelta(seconds=8))
    party.refresh_from_db()
    assert party.phase == REVEAL and party.reveal_until == t0 + timedelta(seconds=8 + rules.PARTY_REVEAL_SECONDS)
    ana.refresh_from_db(), ben.refresh_from_db()
    assert ana.total_points == rules.MAX_POINTS and 0 < ben.total_points < rules.MAX_POINTS


def test_the_countdown_after_the_first_guess_ends_the_round(make_party):
    party, (ana, ben) = make_party()
    t0 = timezone.now()
    services.party_start(member=ana, now=t0)
    guess(ana, 10, t0 + timedelta(seconds=2))
    closes = t0 + timedelta(seconds=2 + rules.COUNTDOWN_SECONDS) + rules.guess_grace()
    assert not services.advance(party_id=party.pk, now=closes - timedelta(seconds=0.1))
    assert services.advance(party_id=party.pk, now=closes)
    ben_guess = PartyGuess.objects.get(member=ben)
    assert ben_guess.timed_out and ben_guess.points == 0
    refused("wrong_phase", guess, member=ben, km_off=0, now=closes, index=0)


def test_the_deadline_ends_a_round_nobody_guessed(make_party):
    party, (ana, _ben) = make_party()
    t0 = timezone.now()
    services.party_start(member=ana, now=t0)
    late = t0 + timedelta(seconds=party.time_limit) + rules.guess_grace()
    refused("time_up", guess, member=ana, km_off=0, now=late)
    party.refresh_from_db()
    assert party.phase == REVEAL
    assert all(g.timed_out for g in PartyGuess.objects.all())


def test_a_classic_game_plays_its_rounds_then_play_again_starts_the_next(make_party):
    party, (ana, ben) = make_party(rounds=3)
    now = timezone.now()
    services.party_start(member=ana, now=now)
    for index in range(3):
        refused("wrong_round", services.guess_submit, member=ana, round_index=index + 1, lat=0, lon=0, now=now)
        guess(ana, 0, now)
        guess(ben, 500, now)
        party.refresh_from_db()
        if index < 2:
            refused("not_host", services.reveal_skip, member=ben, now=now)
            services.reveal_skip(member=ana, now=now)
    party.refresh_from_db()
    assert party.phase == FINISHED and party.ended_by == "rounds_played"
    photos = list(PartyRound.objects.filter(party=party).values_list("photo_id", flat=True))
    assert len(set(photos)) == 3
    assert [m.name for _, m in standings(party)] == ["Ana", "Ben"]
    refused("not_host", services.party_play_again, member=ben)
    services.party_play_again(member=ana)
    party.refresh_from_db()
    ana.refresh_from_db()
    assert party.phase == ROUND and party.game_number == 2 and party.round_index == 0 and ana.total_points == 0


def test_the_reveal_ends_by_itself(make_party):
    party, (ana, ben) = make_party()
    now = timezone.now()
    services.party_start(member=ana, now=now)
    guess(ana, 0, now)
    guess(ben, 0, now)
    assert not services.advance(party_id=party.pk, now=now + timedelta(seconds=rules.PARTY_REVEAL_SECONDS - 1))
    assert services.advance(party_id=party.pk, now=now + timedelta(seconds=rules.PARTY_REVEAL_SECONDS))
    party.refresh_from_db()
    assert party.phase == ROUND and party.round_index == 1


# --- battle royale ---------------------------------------------------------------------------------


def play_round(party: Party, offsets: dict[Member, float | None], now) -> None:
    """One round: each member guesses ``km`` off (None: does not guess); then the clock ends it and the reveal."""
    for member, km in offsets.items():
        if km is not None:
            guess(member, km, now)
    party.refresh_from_db()
    if party.phase == ROUND:
        services.advance(party_id=party.pk, now=now + timedelta(seconds=party.time_limit) + rules.guess_grace())
    party.refresh_from_db()
    if party.phase == REVEAL:
        services.advance(party_id=party.pk, now=party.reveal_until)


def test_battle_royale_takes_a_life_from_the_farthest_and_non_guessers_first(make_party):
    party, (ana, ben, cy) = make_party("battle_royale", players=("Ana", "Ben", "Cy"))
    now = timezone.now()
    services.party_start(member=ana, now=now)
    lives = lambda: {m.name: m.lives for m in party.members.all()}  # noqa: E731
    assert lives() == {"Ana": 3, "Ben": 3, "Cy": 3}
    play_round(party, {ana: 0, ben: 100, cy: 900}, now)  # the farthest loses one
    assert lives() == {"Ana": 3, "Ben": 3, "Cy": 2}
    play_round(party, {ana: 0, ben: 2000, cy: None}, now)  # not guessing loses first: the far guess is safe
    assert lives() == {"Ana": 3, "Ben": 3, "Cy": 1}
    play_round(party, {ana: 0, ben: 700, cy: 700}, now)  # equal farthest: both lose one
    assert lives() == {"Ana": 3, "Ben": 2, "Cy": 0}
    cy.refresh_from_db()
    assert cy.out_at_round == 2
    party.refresh_from_db()
    assert party.phase == ROUND
    assert not PartyGuess.objects.filter(round=current(party), member=cy).exists()  # out: no part in the round
    play_round(party, {ana: 0, ben: 10}, now)
    play_round(party, {ana: 0, ben: 10}, now)
    party.refresh_from_db()
    assert party.phase == FINISHED and party.ended_by == "last_standing"
    assert [(place, m.name) for place, m in standings(party)] == [(1, "Ana"), (2, "Ben"), (3, "Cy")]


def test_battle_royale_last_ones_out_together_are_ranked_by_distance(make_party):
    party, (ana, ben) = make_party("battle_royale")
    now = timezone.now()
    services.party_start(member=ana, now=now)
    Member.objects.filter(party=party).update(lives=1)
    play_round(party, {ana: None, ben: None}, now)  # neither guessed: both out in the same round
    party.refresh_from_db()
    assert party.phase == FINISHED and party.ended_by == "last_standing"
    assert [place for place, _ in standings(party)] == [1, 1]  # same lives, same distance: a shared place


# --- duels ---------------------------------------------------------------------------------------------


def test_a_duel_deals_damage_until_a_knockout(make_party):
    party, (ana, ben) = make_party("duel")
    now = timezone.now()
    services.party_start(member=ana, now=now)
    play_round(party, {ana: 0, ben: None}, now)
    ben.refresh_from_db()
    assert ben.health == rules.START_HEALTH - rules.MAX_POINTS
    first = PartyGuess.objects.get(member=ben, round__index=0)
    assert first.damage == rules.MAX_POINTS and first.health_after == ben.health
    play_round(party, {ana: 0, ben: None}, now)
    party.refresh_from_db()
    ben.refresh_from_db()
    assert ben.health == 0 and party.phase == FINISHED and party.ended_by == "knockout"
    assert standings(party)[0][1] == ana


def test_a_duel_seats_exactly_two(make_party, model_version):
    party, (ana,) = make_party("duel", players=("Ana",))
    refused("need_players", services.party_start, member=ana)  # alone
    ben = services.party_join(code=party.code, name="Ben")
    # A third is refused as they join (the host used to learn it only when starting), worldNET counting as a player.
    refused("party_full", services.party_join, code=party.code, name="Cy")
    services.member_remove(member=ana, removed_id=ben.pk)
    services.party_join(code=party.code, name="Cy")  # a seat freed is a seat again
    services.party_start(member=ana)
    with_worldnet, _ = make_party("duel", players=("Dee",), worldnet_in=True)
    refused("party_full", services.party_join, code=with_worldnet.code, name="Eve")


def test_a_player_who_leaves_a_duel_forfeits(make_party):
    party, (ana, ben) = make_party("duel")
    services.party_start(member=ana)
    services.member_leave(member=ben)
    party.refresh_from_db()
    assert party.phase == FINISHED and party.ended_by == "forfeit"
    assert standings(party)[0][1] == ana


def test_a_duel_leader_who_leaves_ranks_last_whatever_their_health(make_party):
    party, (ana, ben) = make_party("duel")
    now = timezone.now()
    services.party_start(member=ana, now=now)
    Member.objects.filter(pk=ana.pk).update(health=2000)  # Ben well ahead on health
    play_round(party, {ana: 0, ben: 0}, now)  # equal rounds: no damage
    play_round(party, {ana: 0, ben: 0}, now)
    ana.refresh_from_db(), ben.refresh_from_db()
    assert ben.health > ana.health > 0
    guess(ana, 0, now)
    services.member_leave(member=ben, now=now)  # in round 3, well ahead on health
    party.refresh_from_db()
    assert party.phase == FINISHED and party.ended_by == "forfeit"
    assert [(place, m.name) for place, m in standings(party)] == [(1, "Ana"), (2, "Ben")]


def test_a_classic_player_who_leaves_ranks_after_those_who_played_on(make_party):
    party, (ana, ben, cy) = make_party("classic", players=("Ana", "Ben", "Cy"), rounds=3)
    now = timezone.now()
    services.party_start(member=ana, now=now)
    play_round(party, {ana: 2000, ben: 0, cy: 1000}, now)
    services.member_leave(member=ben, now=now)
    play_round(party, {ana: 2000, cy: 1000}, now)
    play_round(party, {ana: 2000, cy: 1000}, now)
    party.refresh_from_db()
    assert party.phase == FINISHED
    ben.refresh_from_db(), ana.refresh_from_db()
    assert ben.total_points > ana.total_points
    assert [m.name for _, m in standings(party)] == ["Cy", "Ana", "Ben"]


def test_a_leavers_guess_does_not_decide_a_duel_round(make_party):
    """Ben guesses on the answer, then leaves before the round ends: his pin deals no damage (no knockout for him)."""
    party, (ana, ben) = make_party("duel")
    now = timezone.now()
    services.party_start(member=ana, now=now)
    Member.objects.filter(pk=ana.pk).update(health=1000)
    guess(ben, 0, now)  # Ana has not guessed yet: Ben leaves first
    services.member_leave(member=ben, now=now)
    party.refresh_from_db(), ana.refresh_from_db()
    assert party.ended_by == "forfeit" and ana.health == 1000
    assert not PartyGuess.objects.filter(member=ben).exists()
    assert standings(party)[0][1] == ana


def test_a_leavers_guess_is_not_the_farthest_in_battle_royale(make_party):
    party, (ana, ben, cy, dee) = make_party("battle_royale", players=("Ana", "Ben", "Cy", "Dee"))
    now = timezone.now()
    services.party_start(member=ana, now=now)
    guess(ana, 0, now)
    guess(ben, 100, now)
    guess(cy, 900, now)  # the farthest, then gone: his pin spares no one
    services.member_leave(member=cy, now=now)
    guess(dee, 50, now)
    lives = {m.name: m.lives for m in party.members.all()}
    assert lives["Ben"] == 2 and lives["Ana"] == lives["Dee"] == 3


# --- worldNET at the table -----------------------------------------------------------------------------


def test_worldnet_locks_in_with_its_stored_prediction(make_party, model_version):
    from geoguess.opponent.models import Prediction
    from geoguess.party.tasks import worldnet_lock_in

    party, (ana, _ben) = make_party("battle_royale", worldnet_in=True)
    worldnet = Member.objects.get(party=party, is_worldnet=True)
    t0 = timezone.now()
    services.party_start(member=ana, now=t0)
    party.refresh_from_db()
    round = current(party)
    assert party.model_version == model_version
    prediction = Prediction.objects.get(photo=round.photo, model_version=model_version)
    assert rules.LOCK_IN_MIN_SECONDS <= (round.worldnet_locks_at - t0).total_seconds() <= rules.LOCK_IN_MAX_SECONDS
    assert not worldnet_lock_in(party.pk, round.pk)  # not yet its time: the task leaves it
    PartyRound.objects.filter(pk=round.pk).update(worldnet_locks_at=timezone.now() - timedelta(seconds=1))
    assert worldnet_lock_in(party.pk, round.pk)
    mine = PartyGuess.objects.get(round=round, member=worldnet)
    assert (mine.lat, mine.lon) == (prediction.lat, prediction.lon) and mine.points is not None
    assert current(party).countdown_until is not None  # its lock-in starts the others' countdown
    assert not worldnet_lock_in(party.pk, round.pk)  # once


def test_worldnet_locks_in_sooner_when_it_is_the_last_one_due(make_party, model_version):
    party, (ana, ben) = make_party(worldnet_in=True)
    t0 = timezone.now()
    services.party_start(member=ana, now=t0)
    PartyRound.objects.filter(party=party).update(worldnet_locks_at=t0 + timedelta(seconds=19))
    guess(ana, 0, t0 + timedelta(seconds=1))
    assert not PartyGuess.objects.get(member__is_worldnet=True).is_done
    guess(ben, 0, t0 + timedelta(seconds=2))  # the players are done; worldNET has its answer: it locks in now
    worldnet_guess = PartyGuess.objects.get(member__is_worldnet=True)
    assert worldnet_guess.is_done and not worldnet_guess.timed_out and worldnet_guess.points is not None
    party.refresh_from_db()
    assert party.phase == REVEAL


def test_worldnet_only_draws_photos_it_has_guessed(make_party, model_version):
    from geoguess.opponent.models import Prediction

    party, (ana, _ben) = make_party(worldnet_in=True)
    kept = list(Prediction.objects.filter(model_version=model_version).values_list("photo_id", flat=True)[:1])
    Prediction.objects.exclude(photo_id__in=kept).delete()
    services.party_start(member=ana)
    assert current(party).photo_id == kept[0]


# --- the host's controls ----------------------------------------------------------------------------


def test_the_host_hands_over_when_leaving(make_party):
    party, (ana, ben, cy) = make_party(players=("Ana", "Ben", "Cy"))
    services.member_leave(member=ana)
    ben.refresh_from_db(), ana.refresh_from_db()
    assert ben.is_host and not ana.is_host and ana.left_at is not None
    refused("not_host", services.party_start, member=cy)
    refused("not_host", services.member_remove, member=cy, removed_id=ben.pk)
    refused("no_such_member", services.member_remove, member=ben, removed_id=ana.pk)
    services.member_remove(member=ben, removed_id=cy.pk)
    cy.refresh_from_db()
    assert cy.removed
    assert sessions.member_for_session({"party_members": {party.code: cy.key}}, party.code) is None


def test_a_removed_player_is_out_of_the_round_under_way(make_party):
    party, (ana, ben, cy) = make_party(players=("Ana", "Ben", "Cy"))
    now = timezone.now()
    services.party_start(member=ana, now=now)
    guess(ana, 0, now)
    guess(ben, 0, now)
    services.member_remove(member=ana, removed_id=cy.pk, now=now)  # Cy never guessed: the round ends without them
    party.refresh_from_db()
    assert party.phase == REVEAL


# --- a host who vanished --------------------------------------------------------------------------------


def test_a_host_gone_quiet_in_the_lobby_hands_over_to_the_longest_present_connected_player(make_party):
    from geoguess.party.host import HOST_AWAY_SECONDS
    from geoguess.party.selectors import next_wakeup

    party, (ana, ben, cy) = make_party(players=("Ana", "Ben", "Cy"))
    t0 = timezone.now()
    for member in (ana, ben, cy):
        services.connection_count(member_id=member.pk, delta=1, now=t0)
    services.connection_count(member_id=ben.pk, delta=-1, now=t0)  # Ben, longest present after Ana, is not connected
    services.connection_count(member_id=ana.pk, delta=-1, now=t0)  # the host's tab is gone
    assert next_wakeup(party.pk) == t0 + timedelta(seconds=HOST_AWAY_SECONDS)
    assert not services.advance(party_id=party.pk, now=t0 + timedelta(seconds=HOST_AWAY_SECONDS - 1))
    assert Member.objects.get(pk=ana.pk).is_host
    assert services.advance(party_id=party.pk, now=t0 + timedelta(seconds=HOST_AWAY_SECONDS))
    assert [m.name for m in Member.objects.filter(party=party, is_host=True)] == ["Cy"]
    assert next_wakeup(party.pk) is None
    services.party_start(member=Member.objects.get(pk=cy.pk))  # the new host's controls work


def test_a_host_who_comes_back_in_time_keeps_the_role_and_no_hand_over_mid_game(make_party):
    party, (ana, ben) = make_party()
    t0 = timezone.now()
    for member in (ana, ben):
        services.connection_count(member_id=member.pk, delta=1, now=t0)
    services.connection_count(member_id=ana.pk, delta=-1, now=t0)
    services.connection_count(member_id=ana.pk, delta=1, now=t0 + timedelta(seconds=5))  # a reload
    assert not services.advance(party_id=party.pk, now=t0 + timedelta(minutes=5))
    services.party_start(member=ana, now=t0)
    services.connection_count(member_id=ana.pk, delta=-1, now=t0)
    services.advance(party_id=party.pk, now=t0 + timedelta(seconds=30))  # a round under way: the host stays
    assert Member.objects.get(pk=ana.pk).is_host


def test_the_host_cannot_remove_worldnets_seat(make_party, model_version):
    party, (ana, _ben) = make_party(worldnet_in=True)
    worldnet = Member.objects.get(party=party, is_worldnet=True)
    refused("not_removable", services.member_remove, member=ana, removed_id=worldnet.pk)
    services.party_start(member=ana)
    refused("not_removable", services.member_remove, member=ana, removed_id=worldnet.pk)
    worldnet.refresh_from_db()
    assert worldnet.present and worldnet.playing


def test_worldnet_sits_out_a_round_it_has_no_prediction_for(make_party, model_version):
    from django.db import transaction

    from geoguess.opponent.models import Prediction
    from geoguess.party import referee

    party, (ana, ben) = make_party("battle_royale", worldnet_in=True)
    now = timezone.now()
    services.party_start(member=ana, now=now)
    worldnet = Member.objects.get(party=party, is_worldnet=True)
    play_round(party, {ana: 0, ben: 100}, now)  # worldNET locks in at the round's close
    party.refresh_from_db()
    played = set(PartyRound.objects.filter(party=party).values_list("photo_id", flat=True))
    photo_id = next(p for p in referee.photo_pool(party).values_list("id", flat=True) if p not in played)
    Prediction.objects.filter(photo_id=photo_id).delete()  # the pinned version's prediction is gone
    worldnet.refresh_from_db()
    lives, distance = worldnet.lives, worldnet.total_distance_km
    PartyRound.objects.filter(party=party, index=1).delete()
    with transaction.atomic():
        round = referee.draw_round(referee.locked_party(party.pk), 1, photo_id, now)
    assert round.worldnet_locks_at is None
    assert not PartyGuess.objects.filter(round=round, member=worldnet).exists()
    from geoguess.party.frames import state_for

    seen = {m["id"]: m for m in state_for(ana.pk)["members"]}
    assert not seen[worldnet.pk]["in_round"] and seen[ana.pk]["in_round"]  # the page waits for no one who sits it out
    play_round(party, {ana: 0, ben: 100}, now)
    worldnet.refresh_from_db()
    assert (worldnet.lives, worldnet.total_distance_km, worldnet.out_at_round) == (lives, distance, None)
    assert PartyGuess.objects.get(round=round, member=ben).lost_life  # the farthest of those who sat it
