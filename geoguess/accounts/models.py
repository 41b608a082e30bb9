"""Accounts' own data: a profile's settings and the ratings (of accounts and of worldNET's versions).

The account itself is Django's ``auth.User``; its games point at it (``Game.account``), so deleting
an account deletes its games, profile and rating, and its games leave every leaderboard.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Profile(models.Model):
    """What an account chooses about its profile page."""

    account = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    #: Others see the public summary only while this is on; the owner always sees everything.
    public = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"profile of {self.account}"


class Rating(models.Model):
    """A rating (OpenSkill's Plackett–Luce ``mu`` and ``sigma``, on a 1,500 scale: ``ratings.py``) of
    an account or of one worldNET version: exactly one of the two is set."""

    account = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="rating")
    model_version = models.OneToOneField("opponent.ModelVersion", null=True, blank=True, on_delete=models.CASCADE, related_name="rating")
    mu = models.FloatField()
    sigma = models.FloatField()
    #: Rated duels played.
    games = models.PositiveIntegerField(default=0)
    wins = models.PositiveIntegerField(default=0)
    losses = models.PositiveIntegerField(default=0)
    draws = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(account__isnull=False, model_version__isnull=True)
                    | models.Q(account__isnull=True, model_version__isnull=False)
                ),
                name="rating_of_one_account_or_one_version",
            )
        ]
        indexes = [models.Index(fields=["-mu"])]

    def __str__(self) -> str:
        return f"rating {self.mu:.0f} of {self.account or self.model_version}"


class RatingChange(models.Model):
    """One rated duel's effect on one rating: the profile's chart and the record of what was rated.

    ``game_key`` names the duel ("game:<id>" or "party:<id>:<game number>"): a duel is rated once.
    """

    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="changes")
    game_key = models.CharField(max_length=80)
    opponent = models.CharField(max_length=160)
    #: "win", "loss" or "draw", for this rating's side.
    result = models.CharField(max_length=4)
    mu_before = models.FloatField()
    mu_after = models.FloatField()
    sigma_after = models.FloatField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["rating", "game_key"], name="one_change_per_rating_and_duel")]

    def __str__(self) -> str:
        return f"{self.result} in {self.game_key}: {self.mu_before:.0f} -> {self.mu_after:.0f}"


class AuthAttempt(models.Model):
    """A failed sign-in or a password-reset request, as keyed hashes (``limits.py``): the rate limits
    hold across every web process and server, as the database does (a process's memory would not)."""

    LOGIN_FAILED, RESET_ASKED, SIGNED_UP = "login_failed", "reset_asked", "signed_up"
    KINDS = ((LOGIN_FAILED, "failed sign-in"), (RESET_ASKED, "password reset asked"), (SIGNED_UP, "sign-up"))

    kind = models.CharField(max_length=20, choices=KINDS)
    #: ``salted_hmac`` of what it is counted by (a username, an address): never the value itself.
    key = models.CharField(max_length=64)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "key", "at"])]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M:%S}"
