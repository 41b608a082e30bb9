"""The player's pages and the round API. Thin: the rules are in ``services``."""

from __future__ import annotations

import logging
import secrets

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from geoguess.game import duel, records, services
from geoguess.game.forms import (
    GUESS_MAX_BYTES,
    ChallengeAcceptForm,
    GameStartForm,
    GuessRejected,
    first_error,
    guess_from_json,
    is_token,
    playable_image_sets,
)
from geoguess.game.health_chart import health_chart
from geoguess.game.models import DUEL, TIME_LIMITS, Game, Round
from geoguess.imagesets.selectors import imageset_coverage_cells
from worldnet_core import basemap

PLAYER_KEY = "player_key"
logger = logging.getLogger(__name__)


def _player_key(request: HttpRequest, *, create: bool = False) -> str:
    key = request.session.get(PLAYER_KEY, "")
    if not key and create:
        key = request.session[PLAYER_KEY] = secrets.token_urlsafe(24)
    return key


def _map_config() -> dict:
    # The basemap's layer list is a file of its own, not in the page: its many numbers
    # (bboxes, zooms) would be noise in pages that must not hold the answer's coordinates.
    basemap_url = f"{reverse('game:basemap_index')}?v={basemap.index_version()}"
    return {
        "tileUrl": settings.MAP_TILE_URL,
        "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
        "worldUrl": reverse("game:world"),
        "basemapUrl": basemap_url,
    }


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
                    owner_key=_player_key(request, create=True),
                    time_limit=data["time_limit"],
                    mode=data["mode"],
                )
            except services.GameError as problem:  # e.g. a set with fewer photos than a game needs, a duel with no worldNET
                error, status = str(problem), problem.status
            else:
                request.session["player_name"] = game.player_name
                return redirect("game:play", public_id=game.public_id)
    sets = [
        {
            "set": s,
            "cells": imageset_coverage_cells(image_set=s),
            "leaders": services.leaderboard(image_set=s, limit=3),
            "duel_record": records.worldnet_record(image_set=s),
            "duel_winners": records.duel_winners(image_set=s, limit=1),
        }
        for s in image_sets
    ]
    context = {
        "sets": sets,
        "time_limits": TIME_LIMITS,
        "error": error,
        "player_name": request.session.get("player_name", ""),
        "map_config": _map_config(),
        "duel_ready": services.active_version() is not None,
        "start_health": duel.START_HEALTH,
        "countdown_seconds": duel.COUNTDOWN_SECONDS,
    }
    return render(request, "game/home.html", context, status=status if error else 200)


def _owned_game(request: HttpRequest, public_id: str) -> Game | HttpResponse:
    if not is_token(public_id):
        raise Http404("no such game")
    try:
        return services.game_for_owner(public_id=public_id, owner_key=_player_key(request))
    except services.GameError as problem:
        if problem.status == 404:
            raise Http404(str(problem)) from None
        game = Game.objects.get(public_id=public_id)
        return render(request, "game/not_yours.html", {"game": game}, status=403)


@require_GET
def play(request: HttpRequest, public_id: str) -> HttpResponse:
    game = _owned_game(request, public_id)
    if isinstance(game, HttpResponse):
        return game
    round = services.current_round(game)
    if round is None:
        return redirect("game:summary", public_id=public_id)
    services.round_open(round=round)
    config = {
        **_map_config(),
        "guessUrl": reverse("game:guess", args=[public_id]),
        "revealUrl": reverse("game:reveal", args=[public_id, round.index]),
        "nextUrl": reverse("game:play", args=[public_id]),
        "summaryUrl": reverse("game:summary", args=[public_id]),
        "index": round.index,
        "rounds": services.round_limit(game),
        "timeLimit": game.time_limit,
        "secondsLeft": services.seconds_left(round),
        "mode": game.mode,
    }
    context: dict = {"game": game, "round": round, "image_url": reverse("game:image", args=[round.image_token]), "config": config}
    if game.mode == DUEL:
        # Only whether worldNET has locked in and the seconds left (round_state): never its lock-in time ahead.
        config.update(
            stateUrl=reverse("game:round_state", args=[public_id, round.index]),
            locked=services.round_state(round=round)["locked"],
            countdown=duel.COUNTDOWN_SECONDS,
        )
        context["duel"] = {
            "number": round.index + 1,
            "multiplier": duel.multiplier(round.index + 1),
            "start": duel.START_HEALTH,
            "player": game.player_health,
            "worldnet": game.worldnet_health,
        }
    return render(request, "game/round.html", context)


@require_GET
def image(request: HttpRequest, token: str) -> HttpResponse:
    """A round's image: re-encoded for this round alone (no EXIF), under a token that is new for every round."""
    if not is_token(token):
        raise Http404("no such image")
    round = get_object_or_404(Round.objects.select_related("game", "photo"), image_token=token)
    if round.game.owner_key != _player_key(request):
        raise Http404("no such image")
    try:
        data = services.round_image_bytes(round=round)
    except FileNotFoundError:  # the served copy is gone from the media folder: the operator's problem, logged
        logger.error("the served image of photo %s is missing", round.photo_id)
        raise Http404("this image is missing") from None
    response = HttpResponse(data, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _json_error(problem: services.GameError | GuessRejected) -> JsonResponse:
    return JsonResponse({"error": str(problem)}, status=problem.status)


def _api_game(request: HttpRequest, public_id: str) -> Game:
    """The requester's game, or a GameError (404 for ids that cannot be a game, 403 for others' games)."""
    if not is_token(public_id):
        raise services.GameError("no such game", status=404)
    return services.game_for_owner(public_id=public_id, owner_key=_player_key(request))


def _guess_body(request: HttpRequest) -> bytes:
    """The request body, refused unread when it announces more than a guess can be."""
    try:
        announced = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        announced = 0  # a garbled header: the length of what is read decides below
    if announced > GUESS_MAX_BYTES:
        raise GuessRejected(f"a guess is at most {GUESS_MAX_BYTES} bytes", status=413)
    try:
        return request.body
    except RequestDataTooBig:  # no length announced, and more than DATA_UPLOAD_MAX_MEMORY_SIZE sent
        raise GuessRejected(f"a guess is at most {GUESS_MAX_BYTES} bytes", status=413) from None


@require_POST
def guess(request: HttpRequest, public_id: str) -> JsonResponse:
    try:
        game = _api_game(request, public_id)  # first: strangers learn nothing from how a body is judged
        sent = guess_from_json(body=_guess_body(request), content_type=request.content_type or "", rounds=services.round_limit(game))
        round = services.guess_submit(game=game, index=sent.index, lat=sent.lat, lon=sent.lon)
        return JsonResponse(services.round_reveal(round=round))
    except (services.GameError, GuessRejected) as problem:
        return _json_error(problem)


def _api_round(game: Game, index: int) -> Round:
    # The bound first: a huge index overflows some databases' integers.
    round = (
        game.rounds.select_related("photo", "game__image_set").filter(index=index).first()
        if 0 <= index < services.round_limit(game)
        else None
    )
    if round is None:
        raise services.GameError("no such round", status=404)
    return round


@require_GET
def reveal(request: HttpRequest, public_id: str, index: int) -> JsonResponse:
    try:
        return JsonResponse(services.round_reveal(round=_api_round(_api_game(request, public_id), index)))
    except services.GameError as problem:
        return _json_error(problem)


@require_GET
def round_state(request: HttpRequest, public_id: str, index: int) -> JsonResponse:
    """A duel's open round, asked every second: has worldNET locked in, and how long is left (nothing else)."""
    try:
        game = _api_game(request, public_id)
        if game.mode != DUEL:
            raise services.GameError("only a duel's rounds have a state to ask for", status=404)
        response = JsonResponse(services.round_state(round=_api_round(game, index)))
    except services.GameError as problem:
        return _json_error(problem)
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def attention(request: HttpRequest, public_id: str, index: int) -> HttpResponse:
    """The round's image with worldNET's activation map over it, after the guess only (409 before)."""
    try:
        data = services.round_attention_bytes(round=_api_round(_api_game(request, public_id), index))
    except services.GameError as problem:
        return _json_error(problem)
    except FileNotFoundError:
        raise Http404("this image is missing") from None
    response = HttpResponse(data, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def summary(request: HttpRequest, public_id: str) -> HttpResponse:
    game = _owned_game(request, public_id)
    if isinstance(game, HttpResponse):
        return game
    if game.finished_at is None:
        return redirect("game:play", public_id=public_id)
    data = services.game_summary(game=game)
    context = {
        "game": game,
        "summary": data,
        "leaders": services.leaderboard(image_set=game.image_set),
        "challengers": services.challenge_results(game=game),  # where a replayed challenge is ranked
        "challenge_url": request.build_absolute_uri(reverse("game:challenge", args=[(game.challenge_of or game).public_id])),
        "config": {**_map_config(), "rounds": data["rounds"]},
        "worldnet_record": records.worldnet_record(image_set=game.image_set),
    }
    if game.mode == DUEL:
        states = [(h["player"], h["worldnet"]) for h in data["duel"]["health"]]
        context.update(
            chart=health_chart(states), start_health=duel.START_HEALTH, duel_winners=records.duel_winners(image_set=game.image_set)
        )
    return render(request, "game/summary.html" if game.mode != DUEL else "game/duel_summary.html", context)


@require_http_methods(["GET", "POST"])
def challenge(request: HttpRequest, public_id: str) -> HttpResponse:
    if not is_token(public_id):
        raise Http404("no such challenge")
    original = get_object_or_404(Game.objects.select_related("image_set"), public_id=public_id, finished_at__isnull=False)
    error, status = "", 400
    if request.method == "POST":
        form = ChallengeAcceptForm(request.POST)
        if not form.is_valid():
            error = first_error(form)
        else:
            try:
                game = services.game_start_challenge(
                    original=original, player_name=form.cleaned_data["player_name"], owner_key=_player_key(request, create=True)
                )
            except services.GameError as problem:  # e.g. a duel whose worldNET was deleted since (410)
                error, status = str(problem), problem.status
            else:
                request.session["player_name"] = game.player_name
                return redirect("game:play", public_id=game.public_id)
    return render(
        request,
        "game/challenge.html",
        {
            "original": original,
            "results": services.challenge_results(game=original),
            "error": error,
            "player_name": request.session.get("player_name", ""),
        },
        status=status if error else 200,
    )


@require_GET
@cache_control(public=True, max_age=86400)
def world(request: HttpRequest) -> HttpResponse:
    """Country outlines for the offline basemap (the shipped Natural Earth data)."""
    return _basemap_response(request, "countries-110m")


@require_GET
@cache_control(public=True, max_age=31536000, immutable=True)  # URLs carry the file's digest (?v=)
def basemap_layer(request: HttpRequest, name: str) -> HttpResponse:
    """One shipped basemap layer, gzip-compressed for clients that take it."""
    if name not in basemap.LAYERS:
        raise Http404("no such map layer")
    return _basemap_response(request, name)


@require_GET
@cache_control(public=True, max_age=31536000, immutable=True)  # its URL carries the layers' digest (?v=)
def basemap_index(request: HttpRequest) -> JsonResponse:
    """What basemap.js needs to fetch each layer when it comes into view (see worldnet_core.basemap)."""
    layers = [
        {
            "url": f"{reverse('game:basemap', args=[name])}?v={basemap.layer_version(name)}",
            "kind": layer.kind,
            "minZoom": layer.min_zoom,
            "bbox": layer.bbox,
        }
        for name, layer in basemap.LAYERS.items()
    ]
    return JsonResponse({"layers": layers})


def _basemap_response(request: HttpRequest, name: str) -> HttpResponse:
    # Compressed here, once per process: the site has no GZipMiddleware, and the 1:50m parts
    # are three times smaller gzipped.
    gzip_ok = "gzip" in request.headers.get("Accept-Encoding", "")
    body = basemap.layer_gzip(name) if gzip_ok else basemap.layer_bytes(name)
    response = HttpResponse(body, content_type=basemap.LAYERS[name].content_type)
    if gzip_ok:
        response["Content-Encoding"] = "gzip"
    response["Vary"] = "Accept-Encoding"
    response["ETag"] = f'"{basemap.layer_version(name)}"'
    return response
