"""Writes of accounts (HackSoft's services): making one, handing a guest's games over, privacy, deleting one."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from geoguess.accounts.models import Profile, RatingChange
from geoguess.game.models import DUEL, Game
from geoguess.party.models import Member

User = get_user_model()

#: What a deleted account's party seats are called from then on (the parties' other players keep their history).
DELETED_NAME = "deleted player"


@transaction.atomic
def account_create(*, form: Any, owner_key: str) -> Any:
    """A new account from a valid ``SignUpForm``, with its profile; the guest games of this browser become its own."""
    account = form.save()
    Profile.objects.create(account=account)
    games_hand_over(account=account, owner_key=owner_key)
    return account


def profile_of(account: Any) -> Profile:
    profile, _ = Profile.objects.get_or_create(account=account)
    return profile


def games_hand_over(*, account: Any, owner_key: str) -> int:
    """The guest games started in this browser (its session's key) become the account's; returns how many.

    Not a duel still under way: a duel is rated only when played signed in from its start (handing one over
    while it is being won, and never one being lost, would pick which duels count). A daily challenge the
    account has played already (on another device) stays the guest's: an account has one try a day. Hand-over
    keeps each game as it was ranked (a guest's daily try stays unranked).
    """
    if not owner_key:
        return 0
    already = Game.objects.filter(account=account, daily=OuterRef("daily"))
    guest_games = (
        Game.objects.filter(owner_key=owner_key, account__isnull=True)
        .exclude(mode=DUEL, finished_at__isnull=True)
        .annotate(taken=Exists(already))
        .filter(taken=False)
    )
    handed = 0
    for pk in guest_games.values_list("pk", flat=True):
        try:
            with transaction.atomic():  # a savepoint: one game refused leaves the others (and the sign-in) whole
                handed += Game.objects.filter(pk=pk, account__isnull=True).update(account=account)
        except IntegrityError:  # the account's own try of that day, started a moment ago on another device
            continue
    return handed


def profile_update(*, account: Any, public: bool) -> Profile:
    profile = profile_of(account)
    profile.public = public
    profile.save(update_fields=["public"])
    return profile


@transaction.atomic
def account_delete(*, account: Any) -> None:
    """Deletes the account and its personal data: its games (and so their places on every leaderboard),
    its profile and rating, by cascade; its party seats are renamed (the parties keep their rounds), and so is
    it where other accounts' rating histories name it as their opponent (their ratings stay as they are)."""
    RatingChange.objects.filter(opponent=account.get_username()).exclude(rating__account=account).update(opponent=DELETED_NAME)
    seats = Member.objects.filter(account=account)
    for seat in seats:  # a party's names are unique in it: the seat's id keeps them so
        Member.objects.filter(pk=seat.pk).update(name=f"{DELETED_NAME} {seat.pk}", account=None)
    account.delete()
