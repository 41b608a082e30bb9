"""The country streak's pages: its start form (``/streak/``), what the round page shows of a run, and a run's summary.

A run's rounds are played on the game's page (``pages.play``, with a streak's header and reveal: ``round_context``)
through the round API every mode shares. Nothing of a round's answer is on its page before the guess: the
streaks in its header are those of the rounds already guessed. Every response is ``private, no-store``
(``caching``: the game app's URLs).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from geoguess.game import selectors, services
from geoguess.game.errors import GameError
from geoguess.game.forms import StreakStartForm, first_error
from geoguess.game.models import Game, Round
from geoguess.game.modes import streak
from geoguess.game.presentation import game_summary
from geoguess.game.views.common import account_id, display_name, player_key
from geoguess.game.worldnet import worldnet_attach_played
from geoguess.imagesets.selectors import playable_image_sets

#: Records shown on each set's card of the start page (the summary shows ``selectors.streak_records``' default).
RECORDS_ON_CARDS = 3


@require_http_methods(["GET", "HEAD", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """GET: the sets to play and their records; POST (a set and a display name): a new run, on its first photo."""
    image_sets = playable_image_sets()
    error, status = "", 400
    if request.method == "POST":
        form = StreakStartForm(request.POST, image_sets=image_sets)
        if not form.is_valid():
            error = first_error(form)
        else:
            try:
                game = services.streak_start(
                    image_set=form.cleaned_data["image_set"],
                    player_name=form.cleaned_data["player_name"],
                    owner_key=player_key(request, create=True),
                    account_id=account_id(request),
                )
            except GameError as problem:  # a bad name; a set with no photo in a country (409)
                error, status = problem.message, problem.status
            else:
                request.session["player_name"] = game.player_name
                return redirect("game:play", public_id=game.public_id)
    cards = [{"set": s, "records": selectors.streak_records(image_set=s, limit=RECORDS_ON_CARDS)} for s in image_sets]
    context = {
        "sets": cards,
        "error": error,
        "player_name": display_name(request),
    }
    return render(request, "game/streak_start.html", context, status=status if error else 200)


def round_context(game: Game, round: Round) -> dict[str, Any]:
    """The round page's header: the photo's number and both streaks over the rounds before it (its reveal
    brings them up to date)."""
    before = streak.streaks([r for r in selectors.played_rounds(game) if r.index < round.index])
    return {"number": round.index + 1, "player": before.player, "worldnet": before.worldnet}


def summary(request: HttpRequest, game: Game) -> HttpResponse:
    """A finished run: both streaks, every photo with both answers, and the set's records."""
    rounds = worldnet_attach_played(game=game)  # worldNET's guesses that landed since the run's rounds were played
    context = {
        "game": game,
        "streaks": streak.streaks(rounds),
        "complete": game.ended_by == streak.NO_PHOTOS_LEFT,
        "rounds": game_summary(game=game)["rounds"],
        "records": selectors.streak_records(image_set=game.image_set),
    }
    return render(request, "game/streak_summary.html", context)
