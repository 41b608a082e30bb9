"""The daily challenge's page (``/daily/``): today's challenge, the player's try or the form that starts it, the
day's leaderboard and an account's streak; and what a daily game's summary shows beyond a classic one's.

Nothing of the day's answers is on the page before the player's own try is finished: no place, no
coordinate, and not worldNET's score on the photos either (how well it did says how hard they are).
The try itself is played on the game's pages (``pages.play``), as a classic game is. The day is the
site's local date (``TIME_ZONE``). No cache keeps the page (``caching``: every game URL is ``no-store``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from geoguess.game import selectors, services
from geoguess.game.errors import GameError
from geoguess.game.forms import PlayerNameForm, first_error
from geoguess.game.models import Game
from geoguess.game.modes.daily import daily_set
from geoguess.game.presentation import summary_state
from geoguess.game.views.common import account_id, display_name, player_key
from geoguess.game.worldnet import worldnet_attach_played


@require_http_methods(["GET", "HEAD", "POST"])
def daily(request: HttpRequest) -> HttpResponse:
    """GET: today's challenge; POST (a display name): start the player's try of it, one a day."""
    today = timezone.localdate()
    error, status = "", 200
    if request.method == "POST":
        form = PlayerNameForm(request.POST)
        if not form.is_valid():
            error, status = first_error(form), 400
        else:
            try:
                game = services.daily_start(
                    player_name=form.cleaned_data["player_name"],
                    owner_key=player_key(request, create=True),
                    account_id=account_id(request),
                    today=today,
                )
            except GameError as problem:  # played today already (409; the page links the result), no set to draw from
                error, status = problem.message, problem.status
            else:
                request.session["player_name"] = game.player_name
                return redirect("game:play", public_id=game.public_id)
    return render(request, "game/daily.html", _page(request, today, error), status=status)


def _page(request: HttpRequest, today: date, error: str) -> dict[str, Any]:
    challenge = selectors.daily_challenge(day=today)  # drawn by the day's first try: a GET writes nothing
    account = account_id(request)
    mine = selectors.daily_try(challenge=challenge, owner_key=player_key(request), account_id=account) if challenge else None
    return {
        "day": today,
        "image_set": challenge.image_set if challenge else daily_set(),
        "mine": mine,
        # The player's total and worldNET's on the same photos: once the player's own try is finished, never before.
        "result": _result(mine) if mine is not None and mine.finished_at is not None else None,
        "leaders": selectors.daily_leaderboard(challenge=challenge) if challenge else [],
        "streak": selectors.daily_streak(account_id=account, today=today) if account is not None else None,
        "signed_in": account is not None,
        "player_name": display_name(request),  # an account's username, unless it played under another name here
        "error": error,
    }


def _result(game: Game) -> dict[str, Any]:
    """A finished try's totals and verdict, with worldNET's guesses that landed since its rounds were played."""
    worldnet_attach_played(game=game)
    return summary_state(game=game)


def summary_context(game: Game) -> dict[str, Any]:
    """What a finished daily game's summary adds: the day's leaderboard and its account's streak (worldNET's
    score on the same photos is the summary's own, as in a classic game)."""
    challenge = game.daily
    return {
        "daily": challenge,
        # Its challenge link replays it from the day after (``modes/daily.replay``).
        "daily_over": challenge is not None and challenge.day < timezone.localdate(),
        "daily_leaders": selectors.daily_leaderboard(challenge=challenge) if challenge is not None else [],
        "streak": selectors.daily_streak(account_id=game.account_id, today=timezone.localdate()) if game.account_id else None,
    }
