"""Rate limits on signing in, signing up and asking for a password reset, counted in the database.

Counted by keyed hashes (``salted_hmac``) of the username or e-mail tried and of the client's address,
so the table holds no one's address or name. A failed sign-in counts against both: guessing one
account's password from many addresses is stopped by the first, trying many accounts from one address
by the second. The admin's sign-in form shares them (``forms.AdminSignInForm``), and so do the forms that check
a signed-in account's password (changing it, deleting the account). An attempt is counted before the password
is checked (hashing takes a while: many attempts sent at once would all pass a check made first) and forgotten
when it succeeds. A password reset lifts the per-account limit: whoever locked the account out, its owner is back.
IPv6 addresses count by their /64, the block one client holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from geoguess.accounts.models import AuthAttempt
from geoguess.game.views.common import client_address


@dataclass(frozen=True)
class Limit:
    kind: str
    #: Attempts allowed within ``window`` per key, counted by what was tried and by the address.
    per_key: int
    per_address: int
    window: timedelta
    message: str


SIGN_IN = Limit(
    AuthAttempt.LOGIN_FAILED, 5, 20, timedelta(minutes=15), "Too many failed sign-ins: wait 15 minutes, or reset your password."
)
PASSWORD_RESET = Limit(AuthAttempt.RESET_ASKED, 3, 10, timedelta(hours=1), "Too many password resets asked: wait an hour and try again.")
SIGN_UP = Limit(AuthAttempt.SIGNED_UP, 1_000_000, 10, timedelta(hours=1), "Too many accounts made from here: wait an hour and try again.")


def _digest(kind: str, value: str) -> str:
    return salted_hmac(f"geoguess.accounts.{kind}", value.strip().casefold(), algorithm="sha256").hexdigest()[:64]


def _keys(limit: Limit, key: str, request: HttpRequest | None) -> list[tuple[str, int]]:
    keys = [(_digest("key", key), limit.per_key)] if key else []
    address = client_address(request)
    if address:
        keys.append((_digest("address", address), limit.per_address))
    return keys


def exceeded(limit: Limit, *, key: str, request: HttpRequest | None) -> bool:
    """Whether one more attempt by ``key`` from the request's address would be over the limit."""
    since = timezone.now() - limit.window
    for digest, allowed in _keys(limit, key, request):
        if AuthAttempt.objects.filter(kind=limit.kind, key=digest, at__gte=since).count() >= allowed:
            return True
    return False


def record(limit: Limit, *, key: str, request: HttpRequest | None) -> list[int]:
    """Counts one attempt by ``key`` and from the request's address; old rows go at the same time. Returns the
    new rows' ids (``forget`` them when the attempt succeeded)."""
    made = AuthAttempt.objects.bulk_create([AuthAttempt(kind=limit.kind, key=digest) for digest, _ in _keys(limit, key, request)])
    AuthAttempt.objects.filter(kind=limit.kind, at__lt=timezone.now() - 2 * limit.window).delete()
    return [row.pk for row in made if row.pk is not None]


def forget(ids: list[int]) -> None:
    """An attempt counted before it was tried (so that many sent at once are all counted) that succeeded."""
    AuthAttempt.objects.filter(pk__in=ids).delete()


def clear(limit: Limit, *, key: str) -> None:
    """Lifts the limit on ``key`` (its password was just reset: its owner is back, whoever tried before)."""
    AuthAttempt.objects.filter(kind=limit.kind, key=_digest("key", key)).delete()
