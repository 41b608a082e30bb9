"""Games and their rounds. Public ids and image tokens are random: nothing in them points at a photo."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from geoguess.imagesets.models import ImageSet, Photo
from geoguess.rules import PLAYER_NAME_MAX_LENGTH, ROUNDS_PER_GAME

CLASSIC, DUEL, DAILY, STREAK = "classic", "duel", "daily", "streak"
MODES = ((CLASSIC, "Classic"), (DUEL, "Duel worldNET"), (DAILY, "Daily challenge"), (STREAK, "Country streak"))


def new_token() -> str:
    return secrets.token_urlsafe(18)


class DailyChallenge(models.Model):
    """One day's challenge: five photos of the featured image set, the same for everyone, drawn once
    (``modes/daily.py``: by the date and the site's secret) and kept, so the day's photos never change."""

    day = models.DateField(unique=True)
    image_set = models.ForeignKey(ImageSet, on_delete=models.CASCADE, related_name="daily_challenges")
    #: The photos' ids, in the order they are played.
    photo_ids = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"daily challenge of {self.day}"


class Game(models.Model):
    public_id = models.CharField(max_length=32, unique=True, default=new_token)
    image_set = models.ForeignKey(ImageSet, on_delete=models.CASCADE, related_name="games")
    player_name = models.CharField(max_length=PLAYER_NAME_MAX_LENGTH)
    #: A secret kept in the player's session; guesses for this game must carry it.
    owner_key = models.CharField(max_length=64)
    time_limit = models.PositiveSmallIntegerField(default=0)
    #: How many rounds a classic game has (one of ``rules.ROUND_COUNTS``); a duel goes on until it ends.
    rounds_chosen = models.PositiveSmallIntegerField(default=ROUNDS_PER_GAME)
    #: The last round whose reveal the player has left (-1: none yet). Until they leave it, the game's
    #: page shows that reveal again (a reload while reading it), and the next round's clock waits.
    reveal_left = models.SmallIntegerField(default=-1)
    challenge_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="challengers")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total_points = models.IntegerField(default=0)
    #: Whether the game may be on its image set's leaderboard. A replayed challenge may not: its
    #: taker can have seen every answer (in the original's reveals, or the friend's), so it is
    #: ranked only among the challenge's results. A field, not ``challenge_of IS NULL``, so that
    #: deleting an original (SET_NULL) does not promote its replays onto the leaderboard.
    ranked = models.BooleanField(default=True)
    #: Classic (five rounds, the better total wins) or a duel against worldNET (see ``modes/``).
    mode = models.CharField(max_length=10, choices=MODES, default=CLASSIC)
    #: The worldNET a duel is played against, fixed at its start: its challenges meet the same one,
    #: even after another version is activated. None for classic games (a round takes the version
    #: active when worldNET's guess is attached to it).
    model_version = models.ForeignKey("opponent.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    #: A duel's health now (after its last settled round); None for classic games.
    player_health = models.IntegerField(null=True, blank=True)
    worldnet_health = models.IntegerField(null=True, blank=True)
    #: How a finished duel ended, as ``rules.duel_end`` decided it: "knockout" or "no_photos_left".
    ended_by = models.CharField(max_length=20, blank=True)
    #: The account that played it (None: a guest's). Deleting the account deletes its games: they are
    #: its personal data, and they leave every leaderboard with it.
    account = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="games")
    #: The daily challenge this game is the try of (mode "daily").
    daily = models.ForeignKey(DailyChallenge, null=True, blank=True, on_delete=models.CASCADE, related_name="games")

    class Meta:
        indexes = [
            models.Index(fields=["image_set", "rounds_chosen", "-total_points"]),
            models.Index(fields=["image_set", "mode", "finished_at"]),
            models.Index(fields=["account", "-created_at"]),
        ]
        constraints = [
            # One try a day: per account, and per browser (a guest's session key).
            models.UniqueConstraint(
                fields=["daily", "account"],
                condition=models.Q(daily__isnull=False, account__isnull=False),
                name="one_daily_try_per_account",
            ),
            models.UniqueConstraint(
                fields=["daily", "owner_key"],
                condition=models.Q(daily__isnull=False),
                name="one_daily_try_per_browser",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.player_name} on {self.image_set} ({self.public_id})"


class Round(models.Model):
    game = models.ForeignKey(Game, on_delete=models.CASCADE, related_name="rounds")
    index = models.PositiveSmallIntegerField()
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="+")
    #: The round's image URL token: new for every round of every game.
    image_token = models.CharField(max_length=32, unique=True, default=new_token)
    started_at = models.DateTimeField(null=True, blank=True)
    guessed_at = models.DateTimeField(null=True, blank=True)
    guess_lat = models.FloatField(null=True, blank=True)
    guess_lon = models.FloatField(null=True, blank=True)
    timed_out = models.BooleanField(default=False)
    # What the guess scored, decided once when it is stored (``engine.guess_submit``); pages read them.
    #: Where the photo was taken as the round was scored (an admin may correct a photo later: a played
    #: round keeps the answer it was scored against).
    truth_lat = models.FloatField(null=True, blank=True)
    truth_lon = models.FloatField(null=True, blank=True)
    #: The answer's country and continent in the shipped land data ("" far out at sea): a profile's
    #: accuracy by country and continent, and a country streak's right answer.
    truth_country = models.CharField(max_length=100, blank=True)
    truth_continent = models.CharField(max_length=20, blank=True)
    distance_km = models.FloatField(null=True, blank=True)
    points = models.IntegerField(null=True, blank=True)
    #: The country the player's pin fell in, as the shipped land data names it ("" far out at sea).
    guess_country = models.CharField(max_length=100, blank=True)
    #: Duels: the uniform draw that, with worldNET's confidence, sets when it locks in (rules.lock_in_delay_s).
    lock_draw = models.FloatField(null=True, blank=True)
    # worldNET's guess for the round, decided once when it is attached (``worldnet.worldnet_attach``): a
    # duel's when the round is drawn (it locks in by it), a classic round's at the player's guess or as
    # soon as it lands. Kept on the round, never shown before the player's guess: a later prediction
    # for the photo (a corrected location, another version) cannot rewrite a round already played.
    worldnet_version = models.ForeignKey("opponent.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    worldnet_lat = models.FloatField(null=True, blank=True)
    worldnet_lon = models.FloatField(null=True, blank=True)
    worldnet_distance_km = models.FloatField(null=True, blank=True)
    worldnet_points = models.IntegerField(null=True, blank=True)
    worldnet_country = models.CharField(max_length=100, blank=True)
    #: The candidate its pin lies near (within rules.NEAR_CANDIDATE_KM), if any.
    worldnet_near = models.CharField(max_length=200, blank=True)
    #: Its top candidates as the reveal shows them: [{place, probability, lat, lon, km_from_guess}, ...].
    worldnet_candidates = models.JSONField(default=list, blank=True)
    #: Where it looked (a small grey PNG; ``Prediction.heatmap``), shown after the guess only.
    worldnet_heatmap = models.BinaryField(null=True, blank=True, editable=False)
    # Duels: what the round dealt and both sides' health after it, settled with the player's guess.
    damage_to_player = models.IntegerField(null=True, blank=True)
    damage_to_worldnet = models.IntegerField(null=True, blank=True)
    player_health = models.IntegerField(null=True, blank=True)
    worldnet_health = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["index"]
        constraints = [models.UniqueConstraint(fields=["game", "index"], name="one_round_per_index")]

    def __str__(self) -> str:
        return f"round {self.index + 1} of {self.game_id}"

    @property
    def is_done(self) -> bool:
        return self.guessed_at is not None

    @property
    def worldnet_attached(self) -> bool:
        return self.worldnet_lat is not None
