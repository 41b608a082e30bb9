"""Parties: live rooms of friends (and worldNET) playing one game at a time, and the rows the referee keeps.

A ``Party`` holds its settings and where it stands (``phase``, the current round); its ``Member`` rows
hold the players and each one's running numbers for the game under way; a ``PartyRound`` is one photo
played by everyone at the same moment, and a ``PartyGuess`` one member's part in it (their own image
token, then their pin and what it scored). "Play again" starts game ``game_number + 1`` with the same rows
of ``Member``. Codes and tokens are random: nothing in them points at a photo.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from geoguess.imagesets.models import ImageSet, Photo
from geoguess.rules import PARTY_TIME_LIMIT_DEFAULT, PLAYER_NAME_MAX_LENGTH, ROUNDS_PER_GAME

#: Join codes use letters and digits that cannot be misread for one another (no 0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6

CLASSIC, BATTLE_ROYALE, DUEL = "classic", "battle_royale", "duel"
MODES = ((CLASSIC, "Party classic"), (BATTLE_ROYALE, "Battle royale (distance)"), (DUEL, "Duel"))
LOBBY, ROUND, REVEAL, FINISHED = "lobby", "round", "reveal", "finished"
PHASES = ((LOBBY, "Lobby"), (ROUND, "Round"), (REVEAL, "Reveal"), (FINISHED, "Finished"))


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_token() -> str:
    return secrets.token_urlsafe(18)


class Party(models.Model):
    code = models.CharField(max_length=CODE_LENGTH, unique=True, default=new_code)
    image_set = models.ForeignKey(ImageSet, on_delete=models.CASCADE, related_name="parties")
    mode = models.CharField(max_length=20, choices=MODES, default=CLASSIC)
    #: Rounds of a party classic game (``rules.ROUND_COUNTS``); battle royale and duels go on until decided.
    rounds = models.PositiveSmallIntegerField(default=ROUNDS_PER_GAME)
    #: Seconds a round (``rules.PARTY_TIME_LIMITS``): a party's rounds always have a clock.
    time_limit = models.PositiveSmallIntegerField(default=PARTY_TIME_LIMIT_DEFAULT)
    worldnet_in = models.BooleanField(default=False)
    #: The worldNET that plays the game under way, fixed at its start (None: worldNET is not at the table).
    model_version = models.ForeignKey("opponent.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    phase = models.CharField(max_length=10, choices=PHASES, default=LOBBY)
    #: The game under way: 0 before the first start, then 1, 2, ... ("play again").
    game_number = models.PositiveIntegerField(default=0)
    #: The round being played or revealed (-1: none yet).
    round_index = models.SmallIntegerField(default=-1)
    #: While the phase is "reveal": when the next round starts.
    reveal_until = models.DateTimeField(null=True, blank=True)
    #: How the last game ended ("rounds_played", "last_standing", "knockout", "no_photos_left", "forfeit"); "" while it goes on.
    ended_by = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "parties"

    def __str__(self) -> str:
        return f"party {self.code}"


class Member(models.Model):
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(max_length=PLAYER_NAME_MAX_LENGTH)
    #: A secret kept in the player's session (``sessions.remember_member``): it is how a connection is theirs.
    key = models.CharField(max_length=64, unique=True, default=new_token)
    is_host = models.BooleanField(default=False)
    is_worldnet = models.BooleanField(default=False)
    #: The account that joined (None: a guest): a finished duel between two accounts is rated.
    account = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    joined_at = models.DateTimeField(auto_now_add=True)
    left_at = models.DateTimeField(null=True, blank=True)
    removed = models.BooleanField(default=False)
    #: Where the join came from, as keyed hashes (rate limits; never shown): the session's player key, the client's address.
    joined_from = models.CharField(max_length=64, blank=True)
    joined_address = models.CharField(max_length=64, blank=True)
    #: Open WebSocket connections (a count: a player may have two tabs open).
    connections = models.PositiveSmallIntegerField(default=0)
    #: When the member's last open connection closed (None while one is open, or before the first): a host away
    #: ``host.HOST_AWAY_SECONDS`` in the lobby or after a game hands over (``host.host_handover``).
    disconnected_at = models.DateTimeField(null=True, blank=True)
    # The game under way: the mode's running numbers, reset at each start.
    total_points = models.IntegerField(default=0)
    #: Battle royale's tie-break: the sum of the member's distances (a round without a guess counts as half the Earth round).
    total_distance_km = models.FloatField(default=0.0)
    health = models.IntegerField(null=True, blank=True)
    lives = models.IntegerField(null=True, blank=True)
    #: The round (0-based) in which the member went out (lost their last life or health, left or was removed); None while in.
    out_at_round = models.SmallIntegerField(null=True, blank=True)
    #: Whether the member plays the game under way (those who joined after its start wait for the next).
    playing = models.BooleanField(default=False)

    class Meta:
        ordering = ["joined_at", "id"]
        indexes = [models.Index(fields=["joined_from", "joined_at"]), models.Index(fields=["joined_address", "joined_at"])]

    def __str__(self) -> str:
        return f"{self.name} in {self.party_id}"

    @property
    def present(self) -> bool:
        """Still in the party: neither left nor removed."""
        return self.left_at is None and not self.removed


class PartyRound(models.Model):
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="party_rounds")
    game_number = models.PositiveIntegerField()
    index = models.PositiveSmallIntegerField()
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField()
    deadline = models.DateTimeField()
    #: ``rules.COUNTDOWN_SECONDS`` after the first guess (if sooner than the deadline); None before it.
    countdown_until = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    #: The answer the round was scored against, kept when it ends.
    truth_lat = models.FloatField(null=True, blank=True)
    truth_lon = models.FloatField(null=True, blank=True)
    # worldNET's guess (when it sits at the table), taken from the pinned version's stored prediction as
    # the round is drawn; it becomes worldNET's PartyGuess at ``worldnet_locks_at``. Never sent before the
    # round has ended (``frames``); a photo it has no prediction for: it sits the round out.
    worldnet_lat = models.FloatField(null=True, blank=True)
    worldnet_lon = models.FloatField(null=True, blank=True)
    worldnet_candidates = models.JSONField(default=list, blank=True)
    worldnet_locks_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["game_number", "index"]
        constraints = [models.UniqueConstraint(fields=["party", "game_number", "index"], name="one_party_round_per_index")]

    def __str__(self) -> str:
        return f"round {self.index + 1} of game {self.game_number} of party {self.party_id}"


class PartyGuess(models.Model):
    """A member's part in a round: made for every member in play as the round starts (their image token),
    then their guess; a round ended without one leaves it ``timed_out``."""

    round = models.ForeignKey(PartyRound, on_delete=models.CASCADE, related_name="guesses")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="guesses")
    #: The member's own image URL token for the round: random, new for each member and round.
    image_token = models.CharField(max_length=32, unique=True, default=new_token)
    guessed_at = models.DateTimeField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    distance_km = models.FloatField(null=True, blank=True)
    points = models.IntegerField(null=True, blank=True)
    country = models.CharField(max_length=100, blank=True)
    timed_out = models.BooleanField(default=False)
    # What the round did to the member, decided when it ends (by the mode).
    damage = models.IntegerField(null=True, blank=True)
    health_after = models.IntegerField(null=True, blank=True)
    lives_after = models.IntegerField(null=True, blank=True)
    lost_life = models.BooleanField(default=False)

    class Meta:
        ordering = ["round", "member"]
        constraints = [models.UniqueConstraint(fields=["round", "member"], name="one_guess_per_member_and_round")]

    def __str__(self) -> str:
        return f"{self.member_id} in {self.round_id}"

    @property
    def is_done(self) -> bool:
        return self.guessed_at is not None


class PartyLookupFailure(models.Model):
    """A party code tried that names no party, by whom (a keyed hash of the session's player key or of the client's
    address; one row each): counted so that join codes cannot be enumerated (``join_limits.check_lookups``)."""

    source = models.CharField(max_length=64)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["source", "at"])]

    def __str__(self) -> str:
        return f"a failed party lookup at {self.at}"
