"""The party's HTTP views: a member's round image (the pages come later, on ``services`` and ``frames``)."""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponseBase
from django.views.decorators.http import require_GET

from geoguess.game.forms import is_token
from geoguess.game.views.api import JpegFileResponse
from geoguess.party.round_images import party_image_open
from geoguess.party.selectors import guess_by_image_token
from geoguess.party.services import member_for_session

logger = logging.getLogger(__name__)


@require_GET
def image(request: HttpRequest, token: str) -> HttpResponseBase:
    """The requester's image of a party round, under their own token for it: 404 for anyone else's token."""
    guess = guess_by_image_token(token) if is_token(token) else None
    member = member_for_session(request.session, guess.round.party.code) if guess is not None else None
    if guess is None or member is None or member.pk != guess.member_id:
        raise Http404("no such image")
    try:
        file = party_image_open(guess=guess)
    except FileNotFoundError:
        logger.error("the served image of photo %s is missing", guess.round.photo_id)
        raise Http404("this image is missing") from None
    return JpegFileResponse(file, filename="round.jpg")
