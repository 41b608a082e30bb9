"""The player's pages: home (start a game), a round, the summary, a challenge link.

Every one is ``private, no-store``: a page is the game as the server has it now, and a shared proxy or
the browser's back-and-forward cache must not bring back a round already played (with its clock
running again) or a player's page for someone else.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods

from geoguess import rules
from geoguess.game import engine, selectors, services
from geoguess.game.errors import Code, GameError
from geoguess.game.forms import ChallengeAcceptForm, GameStartForm, first_error, is_token
from geoguess.game.health_chart import health_chart
from geoguess.game.models import DUEL, Game
from geoguess.game.modes import duel
from geoguess.game.presentation import game_summary
from geoguess.game.views.common import page_config, player_key
from geoguess.game.worldnet import worldnet_attach
from geoguess.imagesets.selectors import playable_image_sets
from geoguess.opponent.selectors import active_version


@require_http_methods(["GET", "HEAD", "POST"])  # HEAD: uptime checks and proxies probe the front page
@cache_control(private=True, no_store=True)
def home(request: HttpRequest) -> HttpResponse:
    image_sets = playable_image_sets()
    error, status = "", 400
    if request.method == "POST":
        form = GameStartForm(request.POST, image_sets=image_sets)
        if not form.is_valid():
            error = first_error(form)
        else:
            data = form.cleaned_data
            try:
                game = services.game_start(
                    image_set=data["image_set"],
                    player_name=data["player_name"],
                    owner_key=player_key(request, create=True),
                    time_limit=data["time_limit"],
                    mode=data["mode"],
                )
            except GameError as problem:  # e.g. a set with fewer photos than a game needs, a duel with no worldNET
                error, status = problem.message, problem.status
            else:
                request.session["player_name"] = game.player_name
                return redirect("game:play", public_id=game.public_id)
    context = {
        "sets": selectors.image_set_cards(image_sets),
        "error": error,
        "player_name": request.session.get("player_name", ""),
        "map_config": page_config(),
        "duel_ready": active_version() is not None,
    }
    return render(request, "game/home.html", context, status=status if error else 200)


def _owned_game(request: HttpRequest, public_id: str) -> Game | HttpResponse:
    if not is_token(public_id):
        raise Http404("no such game")
    try:
        return selectors.game_for_owner(public_id=public_id, owner_key=player_key(request))
    except GameError as problem:
        game = selectors.game_by_public_id(public_id=public_id)
        if problem.code != Code.NOT_YOUR_GAME or game is None:
            raise Http404(problem.message) from None
        return render(request, "game/not_yours.html", {"game": game}, status=403)


@require_GET
@cache_control(private=True, no_store=True)
def play(request: HttpRequest, public_id: str) -> HttpResponse:
    game = _owned_game(request, public_id)
    if isinstance(game, HttpResponse):
        return game
    round = selectors.current_round(game)
    if round is None:
        return redirect("game:summary", public_id=public_id)
    engine.round_open(round=round)
    config: dict[str, Any] = {
        **page_config(),
        "guessUrl": reverse("game:guess", args=[public_id]),
        "revealUrl": reverse("game:reveal", args=[public_id, round.index]),
        "nextUrl": reverse("game:play", args=[public_id]),
        "summaryUrl": reverse("game:summary", args=[public_id]),
        "index": round.index,
        "rounds": selectors.round_count(game),
        "timeLimit": game.time_limit,
        "secondsLeft": engine.seconds_left(round),
        "mode": game.mode,
    }
    context: dict[str, Any] = {"game": game, "round": round, "image_url": reverse("game:image", args=[round.image_token]), "config": config}
    if game.mode == DUEL:
        # Only whether worldNET has locked in and the seconds left (round_state): never its lock-in time ahead.
        config.update(stateUrl=reverse("game:round_state", args=[public_id, round.index]), locked=duel.round_state(round=round)["locked"])
        context["duel"] = {
            "number": round.index + 1,
            "multiplier": rules.multiplier(round.index + 1),
            "player": game.player_health,
            "worldnet": game.worldnet_health,
        }
    return render(request, "game/round.html", context)


@require_GET
@cache_control(private=True, no_store=True)
def summary(request: HttpRequest, public_id: str) -> HttpResponse:
    game = _owned_game(request, public_id)
    if isinstance(game, HttpResponse):
        return game
    if game.finished_at is None:
        return redirect("game:play", public_id=public_id)
    for round in selectors.played_rounds(game):  # worldNET's guesses that landed since its rounds were played
        worldnet_attach(round=round)
    data = game_summary(game=game)
    context: dict[str, Any] = {
        "game": game,
        "summary": data,
        "leaders": selectors.leaderboard(image_set=game.image_set),
        "challengers": selectors.challenge_results(game=game),  # where a replayed challenge is ranked
        "challenge_url": request.build_absolute_uri(reverse("game:challenge", args=[(game.challenge_of or game).public_id])),
        "config": {**page_config(), "rounds": data["rounds"]},
        "worldnet_record": selectors.worldnet_record(image_set=game.image_set),
    }
    if game.mode == DUEL:
        states = [(h["player"], h["worldnet"]) for h in data["duel"]["health"]]
        context.update(chart=health_chart(states), duel_winners=selectors.duel_winners(image_set=game.image_set))
    return render(request, "game/summary.html" if game.mode != DUEL else "game/duel_summary.html", context)


@require_http_methods(["GET", "POST"])
@cache_control(private=True, no_store=True)
def challenge(request: HttpRequest, public_id: str) -> HttpResponse:
    original = selectors.finished_game(public_id=public_id) if is_token(public_id) else None
    if original is None:
        raise Http404("no such challenge")
    error, status = "", 400
    if request.method == "POST":
        form = ChallengeAcceptForm(request.POST)
        if not form.is_valid():
            error = first_error(form)
        else:
            try:
                game = services.game_start_challenge(
                    original=original, player_name=form.cleaned_data["player_name"], owner_key=player_key(request, create=True)
                )
            except GameError as problem:  # e.g. a duel whose worldNET was deleted since (410)
                error, status = problem.message, problem.status
            else:
                request.session["player_name"] = game.player_name
                return redirect("game:play", public_id=game.public_id)
    context = {
        "original": original,
        "results": selectors.challenge_results(game=original),
        "rounds": selectors.round_count(original),
        "error": error,
        "player_name": request.session.get("player_name", ""),
    }
    return render(request, "game/challenge.html", context, status=status if error else 200)
