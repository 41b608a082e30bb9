"""The round API the game's pages call: the guess, the reveal, a duel's round state, and the round's images.

Every refusal is ``{"error": {"code": ..., "message": ...}}`` (``errors.Code``); nothing about the answer,
worldNET's guess or its confidence is sent before the player's guess is stored. No answer is kept by a
cache (``caching.GameNoStoreMiddleware``). The images are files made once (``round_images``), streamed.
"""

from __future__ import annotations

import logging
from typing import BinaryIO

from django.core.exceptions import RequestDataTooBig
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.views.decorators.http import require_GET, require_POST

from geoguess.game import engine, selectors
from geoguess.game.errors import Code, GameError
from geoguess.game.forms import GUESS_MAX_BYTES, guess_from_json, is_token
from geoguess.game.models import DUEL, Game, Round
from geoguess.game.modes import duel
from geoguess.game.presentation import round_reveal
from geoguess.game.presentation import summary_state as summary_state_data
from geoguess.game.round_images import round_attention_open, round_image_open
from geoguess.game.views.common import account_id, json_error, owns, player_key
from geoguess.game.worldnet import worldnet_attach, worldnet_attach_played

logger = logging.getLogger(__name__)


def _game(request: HttpRequest, public_id: str) -> Game:
    """The requester's game, or a GameError (404 for ids that cannot be a game, 403 for others' games)."""
    if not is_token(public_id):
        raise GameError(Code.GAME_NOT_FOUND, "no such game", status=404)
    return selectors.game_for_owner(public_id=public_id, owner_key=player_key(request), account_id=account_id(request))


def _body(request: HttpRequest) -> bytes:
    """The request body, refused unread when it announces more than a guess can be."""
    too_large = GameError(Code.BODY_TOO_LARGE, f"a guess is at most {GUESS_MAX_BYTES} bytes", status=413)
    try:
        announced = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        announced = 0  # a garbled header: the length of what is read decides below
    if announced > GUESS_MAX_BYTES:
        raise too_large
    try:
        return request.body
    except RequestDataTooBig:  # no length announced, and more than DATA_UPLOAD_MAX_MEMORY_SIZE sent
        raise too_large from None


class JpegFileResponse(FileResponse):
    """A JPEG file, streamed (``wsgi.file_wrapper``: gunicorn sends it with sendfile), with its Content-Length.

    ``content`` gives the whole body, as an ``HttpResponse``'s does, to whoever reads a response whole
    (Django's test client) rather than streaming it; read once, from the open file, it is the same bytes.
    The download name is the same for every round: the file's own name stays on the server.
    """

    def __init__(self, file: BinaryIO, *, filename: str) -> None:
        super().__init__(file, content_type="image/jpeg", filename=filename)
        self.headers["X-Content-Type-Options"] = "nosniff"
        self._whole: bytes | None = None

    @property
    def content(self) -> bytes:  # type: ignore[override]
        if self._whole is None:
            self._whole = self.getvalue()
        return self._whole


@require_POST
def guess(request: HttpRequest, public_id: str) -> HttpResponse:
    try:
        game = _game(request, public_id)  # first: strangers learn nothing from how a body is judged
        sent = guess_from_json(body=_body(request), content_type=request.content_type or "")
        stored = engine.guess_submit(game=game, index=sent.index, lat=sent.lat, lon=sent.lon)
        # The round as the guess left it (scored, worldNET's guess attached, a duel's damage dealt): not read again.
        return JsonResponse(round_reveal(round=stored))
    except GameError as problem:
        return json_error(problem)


@require_GET
def reveal(request: HttpRequest, public_id: str, index: int) -> HttpResponse:
    """A guessed round's reveal; asked again while worldNET is thinking, it attaches worldNET's guess once stored."""
    try:
        round = selectors.round_of(game=_game(request, public_id), index=index)
        if round.is_done:
            worldnet_attach(round=round)
        return JsonResponse(round_reveal(round=round))
    except GameError as problem:
        return json_error(problem)


@require_GET
def summary_state(request: HttpRequest, public_id: str) -> HttpResponse:
    """A finished game's totals and verdict, asked by its summary while worldNET is still guessing."""
    try:
        game = _game(request, public_id)
        if game.finished_at is None:
            raise GameError(Code.ANSWER_AFTER_GUESS, "the summary is shown once the game is over", status=409)
        worldnet_attach_played(game=game)  # worldNET's guesses that landed since
        return JsonResponse(summary_state_data(game=game))
    except GameError as problem:
        return json_error(problem)


@require_GET
def round_state(request: HttpRequest, public_id: str, index: int) -> HttpResponse:
    """A duel's open round, asked every second: has worldNET locked in, and how long is left (nothing else)."""
    try:
        game = _game(request, public_id)
        if game.mode != DUEL:
            raise GameError(Code.NOT_A_DUEL, "only a duel's rounds have a state to ask for", status=404)
        return JsonResponse(duel.round_state(round=selectors.round_of(game=game, index=index)))
    except GameError as problem:
        return json_error(problem)


@require_GET
def attention(request: HttpRequest, public_id: str, index: int) -> HttpResponseBase:
    """The round's image with worldNET's activation map over it, after the guess only (409 before)."""
    try:
        file = round_attention_open(round=selectors.round_of(game=_game(request, public_id), index=index))
    except GameError as problem:
        return json_error(problem)
    except FileNotFoundError:
        raise Http404("this image is missing") from None
    return JpegFileResponse(file, filename="worldnet-looked.jpg")


@require_GET
def image(request: HttpRequest, token: str) -> HttpResponseBase:
    """A round's image: re-encoded for this round alone (no EXIF), under a token that is new for every round."""
    round: Round | None = selectors.round_by_image_token(token=token) if is_token(token) else None
    if round is None or not owns(request, round.game):
        raise Http404("no such image")
    try:
        file = round_image_open(round=round)
    except FileNotFoundError:  # the served copy is gone from the media folder: the operator's problem, logged
        logger.error("the served image of photo %s is missing", round.photo_id)
        raise Http404("this image is missing") from None
    return JpegFileResponse(file, filename="round.jpg")
