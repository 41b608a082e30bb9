"""The referee: a party's rounds from the first photo to the final standings, decided on the server.

Every function here runs inside the caller's transaction with the party's row locked
(``locked_party``), so two servers, two timers or a timer and a guess doing the same transition do it
once. ``advance`` is the clock: called by any connection's timer, a ``tick``, a reconnect or the
worldNET task, it does what is due at ``now`` and nothing else (idempotent).

A round ends when everyone in it has guessed, when ``rules.COUNTDOWN_SECONDS`` have passed since the
first guess, or at its deadline (the party's time limit); a guess still counts up to
``rules.guess_grace()`` after either (the network's latency), so the round closes then. worldNET, when it
sits, locks in at ``rules.lock_in_delay_s`` into the round (from its stored prediction's confidence, as
in the worldNET duel), and sooner when everyone else has guessed or the round closes: it has its answer
from the start, so it never keeps the room waiting and never times out.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.db.models import QuerySet

from geoguess import rules
from geoguess.celery import app as celery_app
from geoguess.celery import send_task
from geoguess.game import engine
from geoguess.game.worldnet import prediction_candidates
from geoguess.imagesets.models import Photo
from geoguess.opponent.models import Prediction
from geoguess.opponent.selectors import active_version_for
from geoguess.party.errors import Code, PartyError
from geoguess.party.host import host_handover
from geoguess.party.mode import GUESS_FIELDS, MEMBER_FIELDS, mode_named
from geoguess.party.models import FINISHED, LOBBY, REVEAL, ROUND, Member, Party, PartyGuess, PartyRound
from geoguess.party.notify import announce
from geoguess.party.signals import party_game_finished
from worldnet_core.geo import haversine_km
from worldnet_core.land import country_of

#: A round without a guess adds this to the member's total distance (battle royale's tie-break): half the Earth round.
NO_GUESS_KM = 20037.5
_draws = random.SystemRandom()
#: The task that locks worldNET in (``tasks.py``), sent by name: nothing that queues work imports the module that does it.
LOCK_IN_TASK = "geoguess.party.tasks.worldnet_lock_in"
logger = logging.getLogger(__name__)


def locked_party(party_id: int) -> Party:
    """The party's row, locked until the transaction ends (only its own row: not the image set's)."""
    return Party.objects.select_for_update(of=("self",)).select_related("image_set").get(pk=party_id)


def current_round(party: Party) -> PartyRound | None:
    if party.game_number == 0 or party.round_index < 0:
        return None
    return PartyRound.objects.filter(party=party, game_number=party.game_number, index=party.round_index).first()


# --- starting a game and drawing its rounds ------------------------------------------------------


def game_start(party: Party, now: datetime) -> None:
    """A new game with everyone present (worldNET too when it sits): the mode's numbers reset, the first round drawn."""
    mode = mode_named(party.mode)
    members = [m for m in party.members.all() if m.present]  # worldNET's seat included when it sits
    fewest, most = mode.seats
    if not fewest <= len(members) <= most:
        seats = f"exactly {fewest}" if fewest == most else f"at least {fewest}"
        raise PartyError(Code.NEED_PLAYERS, f"this mode needs {seats} players at the table (worldNET counts); there are {len(members)}")
    party.model_version = None
    if party.worldnet_in:
        party.model_version = active_version_for(image_set=party.image_set)
        if party.model_version is None:
            raise PartyError(Code.WORLDNET_NOT_READY, "worldNET is not ready for this image set yet: no model is active")
    everyone = list(party.members.all())
    for member in everyone:
        member.total_points, member.total_distance_km, member.health, member.lives = 0, 0.0, None, None
        member.out_at_round, member.playing = None, member.present
    mode.start([m for m in everyone if m.playing])
    Member.objects.bulk_update(everyone, [*MEMBER_FIELDS, "playing"])
    party.game_number += 1
    party.ended_by, party.round_index = "", -1
    photo_id = next_photo(party)
    if photo_id is None:  # raised inside the caller's transaction: nothing above is kept
        raise PartyError(Code.TOO_FEW_PHOTOS, f"{party.image_set.name} has no photo that worldNET has guessed yet: try again in a minute")
    draw_round(party, 0, photo_id, now)


def photo_pool(party: Party) -> QuerySet[Photo]:
    """The photos the game under way may still draw: the set's, those its worldNET has guessed when it sits, none twice."""
    pool = engine.photo_pool(image_set=party.image_set)
    if party.worldnet_in:
        pool = pool.filter(predictions__model_version_id=party.model_version_id) if party.model_version_id else pool.none()
    played = PartyRound.objects.filter(party=party, game_number=party.game_number).values("photo_id")
    return pool.exclude(pk__in=played)


def next_photo(party: Party, rng: random.Random | None = None) -> int | None:
    """The next round's photo, spread over the set's places (``engine.varied_draw``); None when none is left."""
    photos = list(photo_pool(party).order_by("id").values_list("id", "place"))
    played = PartyRound.objects.filter(party=party, game_number=party.game_number).order_by("index").values_list("photo__place", flat=True)
    drawn = engine.varied_draw(rng or random.Random(), photos, 1, list(played))
    return drawn[0] if drawn else None


def draw_round(party: Party, index: int, photo_id: int, now: datetime) -> PartyRound:
    """Round ``index`` on ``photo_id``, starting now for everyone still in: each gets a guess row with an image token of their own."""
    round = PartyRound(
        party=party,
        game_number=party.game_number,
        index=index,
        photo_id=photo_id,
        started_at=now,
        deadline=now + timedelta(seconds=party.time_limit),
    )
    in_play = list(party.members.filter(playing=True, out_at_round__isnull=True, left_at__isnull=True, removed=False))
    worldnet = next((m for m in in_play if m.is_worldnet), None)
    seated = worldnet is not None
    if worldnet is not None and party.model_version_id is not None:
        prediction = (
            Prediction.objects.select_related("model_version").filter(photo_id=photo_id, model_version_id=party.model_version_id).first()
        )
        if prediction is not None:
            candidates = prediction_candidates(prediction)
            confidence = float(candidates[0]["probability"]) if candidates else 0.0
            round.worldnet_lat, round.worldnet_lon, round.worldnet_candidates = prediction.lat, prediction.lon, candidates
            round.worldnet_locks_at = now + timedelta(seconds=rules.lock_in_delay_s(confidence=confidence, draw=_draws.random()))
    round.save()
    if seated and round.worldnet_locks_at is None:
        # No prediction of the pinned version for this photo: worldNET sits the round out (no guess row: it neither
        # times out, nor loses a life, nor takes or deals damage).
        logger.warning("worldNET has no prediction for photo %s: it sits round %s of party %s out", photo_id, index + 1, party.pk)
        in_play = [m for m in in_play if not m.is_worldnet]
    PartyGuess.objects.bulk_create([PartyGuess(round=round, member=m) for m in in_play])
    party.phase, party.round_index, party.reveal_until = ROUND, index, None
    party.save(update_fields=["phase", "round_index", "reveal_until", "game_number", "ended_by", "model_version"])
    if round.worldnet_locks_at is not None:
        delay = max(0.0, (round.worldnet_locks_at - now).total_seconds())
        transaction.on_commit(lambda: _queue_lock_in(party.pk, round.pk, delay))
    announce(party.pk)
    return round


def _queue_lock_in(party_id: int, round_id: int, delay_s: float) -> None:
    """worldNET's lock-in as a Celery task (``tasks.worldnet_lock_in``), due ``delay_s`` from now; sent by name.

    A push for parties nobody's connection is timing: each connection's own timer locks it in too.
    Without a queue (eager tasks) it would run now, before it is due, and do nothing: not sent then.
    """
    if celery_app.conf.task_always_eager:
        return
    try:
        send_task(LOCK_IN_TASK, party_id, round_id, countdown=delay_s)
    except Exception:  # no broker: the connections' timers lock it in
        logger.warning("could not queue worldNET's lock-in for party %s", party_id, exc_info=True)


# --- guesses --------------------------------------------------------------------------------------


def closes_at(round: PartyRound) -> datetime:
    """When the round stops taking guesses: its deadline or the countdown's end, whichever is first, plus the grace."""
    end = round.deadline if round.countdown_until is None else min(round.deadline, round.countdown_until)
    return end + rules.guess_grace()


def guess_store(round: PartyRound, guess: PartyGuess, pin: tuple[float, float] | None, now: datetime) -> None:
    """Stores and scores a member's guess (``pin`` None: none); the first guess of a round starts the countdown."""
    photo = round.photo
    guess.guessed_at = now
    if pin is None:
        guess.timed_out, guess.points = True, 0
    else:
        guess.lat, guess.lon = pin
        guess.distance_km = float(haversine_km(photo.lat, photo.lon, *pin))
        guess.points = rules.points(guess.distance_km, scale_km=round.party.image_set.scale_km)
        guess.country = str(country_of(*pin) or "")
    guess.save(update_fields=["guessed_at", "timed_out", "lat", "lon", "distance_km", "points", "country"])
    if pin is not None and round.countdown_until is None:
        countdown = now + timedelta(seconds=rules.COUNTDOWN_SECONDS)
        if countdown < round.deadline:
            round.countdown_until = countdown
            round.save(update_fields=["countdown_until"])
    announce(round.party_id)


def worldnet_lock_in(round: PartyRound, now: datetime, *, at_close: bool = False) -> bool:
    """worldNET's guess stored as its member's, once its lock-in time has come (or the round closes); whether it was now."""
    if round.ended_at is not None or round.worldnet_lat is None or round.worldnet_lon is None or round.worldnet_locks_at is None:
        return False
    if now < round.worldnet_locks_at and not at_close:
        return False
    guess = round.guesses.filter(member__is_worldnet=True, guessed_at__isnull=True).first()
    if guess is None:
        return False
    guess_store(round, guess, (round.worldnet_lat, round.worldnet_lon), max(now, round.started_at) if at_close else now)
    return True


# --- the clock ------------------------------------------------------------------------------------


def advance(party: Party, now: datetime) -> bool:
    """Does what is due at ``now``: worldNET's lock-in, the round's end, the next round after the reveal, a vanished
    host's hand-over (in the lobby or after a game). Whether anything changed."""
    if party.phase in (LOBBY, FINISHED):
        return host_handover(party, now)
    round = current_round(party)
    if party.phase == ROUND and round is not None:
        round.party = party
        pending = round.guesses.filter(guessed_at__isnull=True)
        # worldNET locks in at its time, or as soon as it is the last one due: it would only keep the room waiting.
        changed = worldnet_lock_in(round, now, at_close=not pending.filter(member__is_worldnet=False).exists())
        if not pending.exists() or now >= closes_at(round):
            round_end(party, round, now)
            return True
        return changed
    if party.phase == REVEAL and party.reveal_until is not None and now >= party.reveal_until:
        round_next(party, now)
        return True
    return False


def round_end(party: Party, round: PartyRound, now: datetime) -> None:
    """Ends the round: those who did not guess time out, totals and the mode's numbers are settled, then the reveal or the end."""
    worldnet_lock_in(round, now, at_close=True)
    guesses = list(round.guesses.select_related("member"))
    for guess in guesses:
        if not guess.is_done:
            guess.timed_out, guess.points = True, 0
        guess.member.total_points += guess.points or 0
        guess.member.total_distance_km += guess.distance_km if guess.distance_km is not None else NO_GUESS_KM
    mode = mode_named(party.mode)
    mode.settle(round, guesses)
    PartyGuess.objects.bulk_update(guesses, ["timed_out", "points", *GUESS_FIELDS])
    Member.objects.bulk_update([g.member for g in guesses], MEMBER_FIELDS)
    round.ended_at, round.truth_lat, round.truth_lon = now, round.photo.lat, round.photo.lon
    round.save(update_fields=["ended_at", "truth_lat", "truth_lon"])
    ended_by = game_decided(party)
    if ended_by is None and mode.fixed_rounds and round.index + 1 >= party.rounds:
        ended_by = "rounds_played"
    if ended_by is None and not photo_pool(party).exists():
        ended_by = "no_photos_left"
    if ended_by is not None:
        game_finish(party, ended_by)
    else:
        party.phase, party.reveal_until = REVEAL, now + timedelta(seconds=rules.PARTY_REVEAL_SECONDS)
        party.save(update_fields=["phase", "reveal_until"])
    announce(party.pk)


def game_decided(party: Party) -> str | None:
    """How the game ends now, from the mode's rules and who is still in; None while it goes on."""
    playing = list(party.members.filter(playing=True))
    if not any(m.present and not m.is_worldnet for m in playing):
        return "abandoned"  # every player left: worldNET does not play on alone
    return mode_named(party.mode).decided(playing)


def game_finish(party: Party, ended_by: str) -> None:
    party.phase, party.ended_by, party.reveal_until = FINISHED, ended_by, None
    party.save(update_fields=["phase", "ended_by", "reveal_until"])
    announce(party.pk)
    finished = partial(party_game_finished.send, sender=Party, party_id=party.pk, game_number=party.game_number, ended_by=ended_by)
    transaction.on_commit(finished)


def round_next(party: Party, now: datetime) -> None:
    """After the reveal: the next round, or the end when no photo is left."""
    photo_id = next_photo(party)
    if photo_id is None:
        game_finish(party, "no_photos_left")
        return
    draw_round(party, party.round_index + 1, photo_id, now)


def member_out(party: Party, member: Member, now: datetime) -> None:
    """A member who left or was removed during a game: out of it from this round, and the game decided again.

    Their part in a round not yet ended is dropped, a guess already made too: it does not count in settling the
    round (no duel damage dealt or taken by a gone player's pin, no battle royale "farthest" that spares others)."""
    if party.phase not in (ROUND, REVEAL) or not member.playing:
        return
    round = current_round(party)
    if member.out_at_round is None:
        member.out_at_round = max(party.round_index, 0)
        member.save(update_fields=["out_at_round"])
    if round is not None and round.ended_at is None:
        round.guesses.filter(member=member).delete()
    ended_by = game_decided(party)
    if ended_by is not None:
        if round is not None and round.ended_at is None:
            round_end(party, round, now)  # ends the game too (the same decision)
        else:
            game_finish(party, ended_by)
    elif round is not None and round.ended_at is None:
        advance(party, now)  # everyone left in may have guessed already
