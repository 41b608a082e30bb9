"""Writes of a party (HackSoft's services): create, join, the host's controls, guesses and the clock.

Views and the WebSocket consumer call these; each runs in one transaction with the party's row locked
(``referee.locked_party``) and tells the party's connections after it commits (``notify``). The rules of
rounds are the referee's (``referee``), each mode's its own (``modes/``), the numbers ``geoguess.rules``'.

For the pages: ``party_create`` and ``party_join`` make the player a member; ``sessions`` keeps their key in the
session and finds it again (the WebSocket does the same). How often a party may be joined, and codes tried, is
``join_limits``'.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from geoguess import rules
from geoguess.game.engine import photo_pool
from geoguess.game.errors import GameError
from geoguess.game.services import clean_player_name
from geoguess.imagesets.models import ImageSet
from geoguess.opponent.selectors import active_version_for
from geoguess.party import referee
from geoguess.party.errors import Code, PartyError
from geoguess.party.join_limits import check_join_rate, check_lookups, client_digest, lookup_failed
from geoguess.party.messages import pin_from
from geoguess.party.mode import MODES
from geoguess.party.models import (
    DUEL,
    FINISHED,
    LOBBY,
    REVEAL,
    ROUND,
    Member,
    Party,
    PartyRound,
)
from geoguess.party.notify import announce
from geoguess.party.sessions import is_code, normalized_code

WORLDNET_NAME = "worldNET"


def _name(name: str) -> str:
    try:
        name = clean_player_name(name)
    except GameError as problem:
        raise PartyError.from_game(problem) from None
    if is_worldnet_name(name):
        raise PartyError(Code.NAME_RESERVED, "worldNET is the AI's name at every table: choose another")
    return name


def is_worldnet_name(name: str) -> bool:
    """Whether ``name`` reads as worldNET's, whatever its case and spacing ("World Net", "WORLDNET")."""
    return "".join(name.split()).casefold() == WORLDNET_NAME.casefold()


# --- creating and joining --------------------------------------------------------------------------


@transaction.atomic
def party_create(
    *,
    image_set: ImageSet,
    mode: str,
    rounds: int,
    time_limit: int,
    worldnet_in: bool,
    host_name: str,
    client: str = "",
    address: str = "",
    account_id: int | None = None,
) -> tuple[Party, Member]:
    """A new party in its lobby, its host (and worldNET, when it sits) its first members.

    ``rounds``: one of ``rules.ROUND_COUNTS`` (party classic's length); ``time_limit``: one of
    ``rules.PARTY_TIME_LIMITS``; ``client`` (the session's player key) and ``address`` (the client's address): who
    asks, for the join limits; ``account_id``: the host's account, when signed in (a duel between accounts is rated).
    """
    host_name = _name(host_name)
    if mode not in MODES:
        raise PartyError(Code.UNKNOWN_MODE, f"a party plays one of: {', '.join(MODES)}")
    if rounds not in rules.ROUND_COUNTS:
        raise PartyError(Code.BAD_ROUND_COUNT, f"a party classic game has {', '.join(map(str, rules.ROUND_COUNTS))} rounds")
    if time_limit not in rules.PARTY_TIME_LIMITS:
        raise PartyError(Code.BAD_TIME_LIMIT, f"time limit must be one of {', '.join(map(str, rules.PARTY_TIME_LIMITS))} seconds")
    if photo_pool(image_set=image_set).count() < (rounds if mode == "classic" else 1):
        raise PartyError(Code.TOO_FEW_PHOTOS, f"{image_set.name} has too few photos for {rounds} rounds")
    if worldnet_in and active_version_for(image_set=image_set) is None:
        raise PartyError(Code.WORLDNET_NOT_READY, "worldNET is not ready for this image set yet: no model is active")
    check_join_rate(None, client, address)
    party = Party.objects.create(image_set=image_set, mode=mode, rounds=rounds, time_limit=time_limit, worldnet_in=worldnet_in)
    host = Member.objects.create(
        party=party,
        name=host_name,
        is_host=True,
        joined_from=client_digest(client),
        joined_address=client_digest(address),
        account_id=account_id,
    )
    if worldnet_in:
        Member.objects.create(party=party, name=WORLDNET_NAME, is_worldnet=True)
    return party, host


def party_lookup(*, code: str, client: str = "", address: str = "") -> Party:
    """The party with join ``code`` (as typed), for someone who is not its member yet: a code that names no party is
    counted against ``client`` and ``address``, and beyond ``join_limits.FAILED_LOOKUPS_PER_MINUTE`` of them every lookup from
    them is refused (``too_many_joins``), so codes cannot be tried one after another."""
    check_lookups(client, address)
    code = normalized_code(code)
    party = Party.objects.filter(code=code).first() if is_code(code) else None
    if party is None:
        lookup_failed(client, address)
        raise PartyError(Code.PARTY_NOT_FOUND, "no party has that code")
    return party


def party_join(*, code: str, name: str, client: str = "", address: str = "", account_id: int | None = None) -> Member:
    """A new member of the party with join ``code``, in its lobby (or after its game, for the next one).

    Refused: no such party (counted against ``client`` and ``address``: ``party_lookup``), a game under way, a full
    party (``rules.PARTY_MAX_PLAYERS`` humans; a duel's two seats, worldNET's included), a name another member present
    has (any case) or worldNET's, too many joins a minute into the party, from ``client`` (the session's player key) or
    from ``address`` (the client's).
    """
    name = _name(name)
    code = party_lookup(code=code, client=client, address=address).code
    with transaction.atomic():
        party = Party.objects.select_for_update(of=("self",)).filter(code=code).first()
        if party is None:
            raise PartyError(Code.PARTY_NOT_FOUND, "no party has that code")
        if party.phase not in (LOBBY, FINISHED):
            raise PartyError(Code.PARTY_STARTED, "this party's game has started: join it after this game")
        present = [m for m in party.members.all() if m.present]
        if sum(not m.is_worldnet for m in present) >= rules.PARTY_MAX_PLAYERS:
            raise PartyError(Code.PARTY_FULL, f"this party is full ({rules.PARTY_MAX_PLAYERS} players)")
        if party.mode == DUEL and len(present) >= 2:  # said now, not to the host when the start is refused
            raise PartyError(Code.PARTY_FULL, "this duel has its two players already (worldNET counts)")
        if any(m.name.casefold() == name.casefold() for m in present):
            raise PartyError(Code.NAME_TAKEN, "someone in this party has that name: choose another")
        check_join_rate(party, client, address)
        if account_id is not None and any(m.account_id == account_id for m in present):
            raise PartyError(Code.ALREADY_IN_PARTY, "you are in this party already (in another tab?)")
        member = Member.objects.create(
            party=party, name=name, joined_from=client_digest(client), joined_address=client_digest(address), account_id=account_id
        )
        announce(party.pk)
        return member


# --- the host's controls ---------------------------------------------------------------------------


def _host_party(member: Member) -> Party:
    party = referee.locked_party(member.party_id)
    member.refresh_from_db()
    if not member.is_host or not member.present:
        raise PartyError(Code.NOT_HOST, "only the host can do that")
    return party


@transaction.atomic
def party_start(*, member: Member, now: datetime | None = None) -> None:
    """The host starts the game, from the lobby."""
    party = _host_party(member)
    if party.phase != LOBBY:
        raise PartyError(Code.WRONG_PHASE, "the game has started already")
    referee.game_start(party, now or timezone.now())


@transaction.atomic
def party_play_again(*, member: Member, now: datetime | None = None) -> None:
    """The host starts a new game after the last one, with everyone still present and the same settings."""
    party = _host_party(member)
    if party.phase != FINISHED:
        raise PartyError(Code.WRONG_PHASE, "play again comes after a game's end")
    referee.game_start(party, now or timezone.now())


@transaction.atomic
def reveal_skip(*, member: Member, now: datetime | None = None) -> None:
    """The host skips the rest of the reveal: the next round starts now."""
    party = _host_party(member)
    if party.phase != REVEAL:
        raise PartyError(Code.WRONG_PHASE, "there is no reveal to skip")
    referee.round_next(party, now or timezone.now())


@transaction.atomic
def member_remove(*, member: Member, removed_id: int, now: datetime | None = None) -> None:
    """The host removes another human player present: never the host themself (``no_such_member``), never worldNET's
    seat (``not_removable``: it sits for the party's life, as created). A removal during a game is a forfeit of it."""
    party = _host_party(member)
    target = party.members.filter(pk=removed_id, removed=False, left_at__isnull=True).first()
    if target is None or target.pk == member.pk:
        raise PartyError(Code.NO_SUCH_MEMBER, "no such player to remove")
    if target.is_worldnet:
        raise PartyError(Code.NOT_REMOVABLE, "worldNET's seat cannot be removed: it sits at this party's table for good")
    target.removed = True
    target.save(update_fields=["removed"])
    referee.member_out(party, target, now or timezone.now())
    announce(party.pk)


@transaction.atomic
def member_leave(*, member: Member, now: datetime | None = None) -> None:
    """The member leaves the party; a host hands over to the longest-present human still there."""
    party = referee.locked_party(member.party_id)
    member.refresh_from_db()
    if not member.present:
        return
    member.left_at = now or timezone.now()
    was_host, member.is_host = member.is_host, False
    member.save(update_fields=["left_at", "is_host"])
    if was_host:
        heir = party.members.filter(left_at__isnull=True, removed=False, is_worldnet=False).order_by("joined_at", "id").first()
        if heir is not None:
            Member.objects.filter(pk=heir.pk).update(is_host=True)
    referee.member_out(party, member, member.left_at)
    announce(party.pk)


# --- playing ---------------------------------------------------------------------------------------


def guess_submit(*, member: Member, round_index: int, lat: float, lon: float, now: datetime | None = None) -> None:
    """Stores and scores the member's guess for the current round ``round_index``; ends the round if it was the last one due.

    Refused: another round than the current one, a member not in this round, a second guess, a guess
    after the round closed (its deadline or the countdown, plus the grace: the round is ended then).
    """
    now = now or timezone.now()
    pin = pin_from(lat, lon)
    with transaction.atomic():
        party = referee.locked_party(member.party_id)
        round = referee.current_round(party)
        if party.phase != ROUND or round is None or round.ended_at is not None:
            raise PartyError(Code.WRONG_PHASE, "no round is being played")
        if round_index != round.index:
            raise PartyError(Code.WRONG_ROUND, f"round {round.index + 1} is being played, not this one")
        guess = round.guesses.filter(member_id=member.pk).first()
        if guess is None:
            raise PartyError(Code.NOT_PLAYING, "you are not playing this round")
        if guess.is_done:
            raise PartyError(Code.ALREADY_GUESSED, "you have guessed this round already")
        round = PartyRound.objects.select_related("photo").get(pk=round.pk)
        round.party = party
        late = now >= referee.closes_at(round)
        if not late:
            referee.guess_store(round, guess, pin, now)
        referee.advance(party, now)  # late: ends the round, everyone who had not guessed (this member too) timed out
    if late:  # raised after the commit, so the round's end is kept
        raise PartyError(Code.TIME_UP, "time is up: this round is over")


@transaction.atomic
def advance(*, party_id: int, now: datetime | None = None) -> bool:
    """Whatever the clock says is due for the party (idempotent: any number of timers may call it); whether anything changed."""
    return referee.advance(referee.locked_party(party_id), now or timezone.now())


@transaction.atomic
def advance_unless_busy(*, party_id: int, now: datetime | None = None) -> bool:
    """``advance`` for a server's clock, unless another transaction holds the party (another server's clock doing the
    same, or a guess, which advances it too): a clock never waits on a lock; the change it was waiting for resets it."""
    party = Party.objects.select_for_update(skip_locked=True, of=("self",)).select_related("image_set").filter(pk=party_id).first()
    return party is not None and referee.advance(party, now or timezone.now())


@transaction.atomic
def worldnet_lock_in(*, party_id: int, round_id: int, now: datetime | None = None) -> bool:
    """worldNET's lock-in for the round, if it is still current and its time has come (the Celery task's work)."""
    now = now or timezone.now()
    party = referee.locked_party(party_id)
    round = referee.current_round(party)
    if round is None or round.pk != round_id:
        return False
    return referee.advance(party, now)


@transaction.atomic
def connection_count(*, member_id: int, delta: int, now: datetime | None = None) -> None:
    """One more (``delta`` 1) or one fewer (-1) open connection of the member's; others see who is connected. When the
    last one closes, the time is kept (a host away ``host.HOST_AWAY_SECONDS`` hands over)."""
    member = Member.objects.select_for_update().filter(pk=member_id).first()
    if member is None:
        return
    member.connections = max(0, member.connections + delta)
    member.disconnected_at = None if member.connections else (now or timezone.now())
    member.save(update_fields=["connections", "disconnected_at"])
    announce(member.party_id)
