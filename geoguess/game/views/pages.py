"""The player's pages: home (start a game), a round, the summary, a challenge link.

Every one is ``private, no-store`` (``caching.GameNoStoreMiddleware``, for every game URL): a page is
the game as the server has it now, and a shared proxy or the browser's back-and-forward cache must not
bring back a round already played (with its clock running again) or a player's page for someone else.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from geoguess import rules
from geoguess.game import engine, selectors, services
from geoguess.game.errors import Code, GameError
from geoguess.game.forms import ChallengeAcceptForm, GameStartForm, first_error, is_token
from geoguess.game.health_chart import health_chart
from geoguess.game.models import DAILY, DUEL, STREAK, Game, Round
from geoguess.game.modes import daily as daily_mode
from geoguess.game.modes import duel
from geoguess.game.presentation import game_summary
from geoguess.game.views import daily, streak
from geoguess.game.views.common import account_id, display_name, page_config, player_key
from geoguess.game.worldnet import worldnet_attach_played
from geoguess.imagesets.selectors import playable_image_sets


@require_http_methods(["GET", "HEAD", "POST"])  # HEAD: uptime checks and proxies probe the front page
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
                    rounds=data["rounds"],
                    time_limit=data["time_limit"],
                    mode=data["mode"],
                    account_id=account_id(request),
                )
            except GameError as problem:  # e.g. a set with fewer photos than a game needs, a duel with no worldNET
                error, status = problem.message, problem.status
            else:
                request.session["player_name"] = game.player_name
                return redirect("game:play", public_id=game.public_id)
    context = {
        "sets": selectors.image_set_cards(image_sets),
        "error": error,
        # After a refusal, the name as typed (a name too long is the player's to shorten, not to type again).
        "player_name": request.POST.get("player_name", display_name(request))[:200] if error else display_name(request),
        "map_config": page_config(),
    }
    return render(request, "game/home.html", context, status=status if error else 200)


def _owned_game(request: HttpRequest, public_id: str) -> Game | HttpResponse:
    if not is_token(public_id):
        raise Http404("no such game")
    try:
        return selectors.game_for_owner(public_id=public_id, owner_key=player_key(request), account_id=account_id(request))
    except GameError as problem:
        game = selectors.game_by_public_id(public_id=public_id)
        if problem.code != Code.NOT_YOUR_GAME or game is None:
            raise Http404(problem.message) from None
        return render(request, "game/not_yours.html", {"game": game}, status=403)


@require_GET
def play(request: HttpRequest, public_id: str) -> HttpResponse:
    """The round to play now; or, until the player has left it, the reveal of the round they last played."""
    game = _owned_game(request, public_id)
    if isinstance(game, HttpResponse):
        return game
    left = request.GET.get("left", "")
    if left:  # "Next round" on a reveal: that reveal is left, and the page's address is the game's again
        if left.isascii() and left.isdigit() and len(left) <= 5:
            engine.reveal_leave(game=game, index=int(left))
        return redirect("game:play", public_id=public_id)
    progress = selectors.game_progress(game)
    if progress.last_played is not None and progress.last_played > game.reveal_left:
        last = selectors.round_at(game=game, index=progress.last_played)
        return _round_page(request, game, last, revealing=True, rounds=progress.rounds)
    if progress.current is None:
        return redirect("game:summary", public_id=public_id)
    round = selectors.round_at(game=game, index=progress.current)
    engine.round_open(round=round)
    return _round_page(request, game, round, revealing=False, rounds=progress.rounds)


def _round_page(request: HttpRequest, game: Game, round: Round, *, revealing: bool, rounds: int) -> HttpResponse:
    public_id = game.public_id
    config: dict[str, Any] = {
        **page_config(),
        "guessUrl": reverse("game:guess", args=[public_id]),
        "revealUrl": reverse("game:reveal", args=[public_id, round.index]),
        "nextUrl": f"{reverse('game:play', args=[public_id])}?left={round.index}",
        "summaryUrl": reverse("game:summary", args=[public_id]),
        "index": round.index,
        "rounds": rounds,
        "timeLimit": game.time_limit,
        "secondsLeft": None if revealing else engine.seconds_left(round),
        "mode": game.mode,
        # The round is played: the page shows its reveal again (a reload while the player read it).
        "revealing": revealing,
    }
    context: dict[str, Any] = {
        "game": game,
        "round": round,
        "image_url": reverse("game:image", args=[round.image_token]),
        "config": config,
        # The score before this round's points, which its reveal adds (again, when it is shown again).
        "score_before": game.total_points - (round.points or 0 if revealing else 0),
    }
    if game.mode == DUEL:
        # Only whether worldNET has locked in and the seconds left (round_state): never its lock-in time ahead.
        locked = not revealing and duel.round_state(round=round)["locked"]
        config.update(stateUrl=reverse("game:round_state", args=[public_id, round.index]), locked=locked)
        if revealing:  # the health before this round: its reveal takes the bars from there
            before = selectors.health_after(game=game, index=round.index - 1) if round.index else None
            player, worldnet = before or (rules.START_HEALTH, rules.START_HEALTH)
        else:
            player, worldnet = game.player_health or 0, game.worldnet_health or 0
        number = round.index + 1
        context["duel"] = {"number": number, "multiplier": rules.multiplier(number), "player": player, "worldnet": worldnet}
    elif game.mode == STREAK:
        context["streak"] = streak.round_context(game, round)
    return render(request, "game/round.html", context)


@require_GET
def summary(request: HttpRequest, public_id: str) -> HttpResponse:
    game = _owned_game(request, public_id)
    if isinstance(game, HttpResponse):
        return game
    if game.finished_at is None:
        return redirect("game:play", public_id=public_id)
    if game.mode == STREAK:  # both streaks and the set's records, not points and a leaderboard
        return streak.summary(request, game)
    worldnet_attach_played(game=game)  # worldNET's guesses that landed since its rounds were played
    data = game_summary(game=game)
    context: dict[str, Any] = {
        "game": game,
        "summary": data,
        "leaders": selectors.leaderboard(image_set=game.image_set, rounds=game.rounds_chosen),
        "challengers": selectors.challenge_results(game=game),  # where a replayed challenge is ranked
        "challenge_url": request.build_absolute_uri(reverse("game:challenge", args=[(game.challenge_of or game).public_id])),
        "config": {
            **page_config(),
            "rounds": data["rounds"],
            "complete": data["worldnet_complete"],
            "stateUrl": reverse("game:summary_state", args=[game.public_id]),
        },
        "worldnet_record": selectors.worldnet_record(image_set=game.image_set),
    }
    if game.mode == DUEL:
        states = [(h["player"], h["worldnet"]) for h in data["duel"]["health"]]
        context.update(chart=health_chart(states), duel_winners=selectors.duel_winners(image_set=game.image_set))
    if game.mode == DAILY:  # the day's leaderboard and the streak in place of the set's leaderboard
        context.update(daily.summary_context(game))
    templates = {DUEL: "game/duel_summary.html", DAILY: "game/daily_summary.html"}
    return render(request, templates.get(game.mode, "game/summary.html"), context)


@require_http_methods(["GET", "POST"])
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
                    original=original,
                    player_name=form.cleaned_data["player_name"],
                    owner_key=player_key(request, create=True),
                    account_id=account_id(request),
                )
            except GameError as problem:  # e.g. a duel whose worldNET was deleted since (410)
                error, status = problem.message, problem.status
            else:
                request.session["player_name"] = game.player_name
                return redirect("game:play", public_id=game.public_id)
    context = {
        "original": original,
        # Today's daily challenge is replayed from tomorrow (``daily.replay``): said before any name is typed.
        "daily_not_over": original.mode == DAILY and daily_mode.day_not_over(original),
        "results": selectors.challenge_results(game=original),
        "rounds": selectors.round_count(original),
        "error": error,
        "player_name": display_name(request),
    }
    return render(request, "game/challenge.html", context, status=status if error else 200)
