"""The party's pages: create a party, join one (by code or by its link), the party page, and a member's round image.

Thin views over ``services``: a refusal (``PartyError``) is the form's error, answered with a 4xx status,
never a 500. The party page itself holds no game data: its script (``static/js/party.js``) opens the
party's WebSocket and draws each ``state`` frame the server builds for this member (``frames``), so
nothing about a round's answer can be in the page before the frames allow it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from geoguess import rules
from geoguess.game.forms import first_error, is_token
from geoguess.game.views.api import JpegFileResponse
from geoguess.game.views.common import account_id, client_address, display_name, page_config, player_key
from geoguess.imagesets.selectors import playable_image_sets
from geoguess.opponent.selectors import active_version_for
from geoguess.party import services
from geoguess.party.errors import Code, PartyError
from geoguess.party.forms import PartyCreateForm, PartyJoinForm, PartyNameForm
from geoguess.party.models import DUEL, FINISHED, LOBBY, MODES, Member, Party
from geoguess.party.round_images import party_image_open
from geoguess.party.selectors import guess_by_image_token
from geoguess.party.sessions import is_code, member_for_session, normalized_code, remember_member

logger = logging.getLogger(__name__)

#: The HTTP status of each refusal of a form (anything else: 400).
STATUS = {
    Code.PARTY_NOT_FOUND: 404,
    Code.PARTY_FULL: 409,
    Code.PARTY_STARTED: 409,
    Code.NAME_TAKEN: 409,
    Code.ALREADY_IN_PARTY: 409,
    Code.TOO_MANY_JOINS: 429,
}
MODE_NAMES = dict(MODES)


def _status(problem: PartyError) -> int:
    return STATUS.get(problem.code, 400)  # type: ignore[call-overload]  # a Code is a str


def _joined(request: HttpRequest, member: Member) -> HttpResponse:
    """The member is remembered in this session (their name too, for the next form); on to the party's page."""
    remember_member(request.session, member)
    request.session["player_name"] = member.name
    return redirect("party:party", code=member.party.code)


def _join(request: HttpRequest, code: str, name: str) -> HttpResponse | tuple[str, int]:
    """This session's player joins the party with ``code`` as ``name``: on to its page, or the refusal's message and status."""
    try:
        member = services.party_join(
            code=code, name=name, client=player_key(request, create=True), address=client_address(request), account_id=account_id(request)
        )
    except PartyError as problem:
        return problem.message, _status(problem)
    return _joined(request, member)


def _set_choices(image_sets: Any) -> list[dict[str, Any]]:
    return [{"set": s, "worldnet": active_version_for(image_set=s) is not None} for s in image_sets]


@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    """The form that creates a party; its host is this session's player."""
    image_sets = playable_image_sets()
    form = PartyCreateForm(request.POST or None, image_sets=image_sets)
    error = ""
    if request.method == "POST":
        if not form.is_valid():
            error = first_error(form)
        else:
            data = form.cleaned_data
            try:
                _party, host = services.party_create(
                    image_set=data["image_set"],
                    mode=data["mode"],
                    rounds=data["rounds"],
                    time_limit=data["time_limit"],
                    worldnet_in=data["worldnet_in"],
                    host_name=data["player_name"],
                    client=player_key(request, create=True),
                    address=client_address(request),
                    account_id=account_id(request),
                )
            except PartyError as problem:
                return _new_page(request, image_sets, problem.message, status=_status(problem))
            return _joined(request, host)
    return _new_page(request, image_sets, error, status=400 if error else 200)


def _new_page(request: HttpRequest, image_sets: Any, error: str, *, status: int) -> HttpResponse:
    posted = request.POST
    context = {
        "sets": _set_choices(image_sets),
        "modes": MODES,
        "error": error,
        "player_name": posted.get("player_name", display_name(request)),
        "chosen": {
            "image_set": posted.get("image_set", ""),
            "mode": posted.get("mode", "classic"),
            "rounds": posted.get("rounds", str(rules.ROUNDS_PER_GAME)),
            "time_limit": posted.get("time_limit", str(rules.PARTY_TIME_LIMIT_DEFAULT)),
            # A checkbox is posted only when ticked: after a refusal it shows what was posted, unticked too.
            "worldnet_in": posted.get("worldnet_in", "") if request.method == "POST" else "on",
        },
    }
    return render(request, "party/new.html", context, status=status)


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest) -> HttpResponse:
    """Joining by code (the form on the home page posts here too)."""
    error, status = "", 200
    if request.method == "POST":
        code = normalized_code(request.POST.get("code", ""))
        if not request.POST.get("player_name", "").strip() and is_code(code):
            # The home page's code box, its name field left empty (a friend who only pasted the code): the party's
            # own page asks for the name, saying whose party it is, rather than a refusal.
            return redirect("party:party", code=code)
        form = PartyJoinForm(request.POST)
        if not form.is_valid():
            error, status = first_error(form), 400
        else:
            joined = _join(request, form.cleaned_data["code"], form.cleaned_data["player_name"])
            if isinstance(joined, HttpResponse):
                return joined
            error, status = joined
    context = {
        "error": error,
        "code": request.POST.get("code", request.GET.get("code", ""))[:40],
        "player_name": request.POST.get("player_name", display_name(request)),
    }
    return render(request, "party/join.html", context, status=status)


@require_http_methods(["GET", "POST"])
def party(request: HttpRequest, code: str) -> HttpResponse:
    """The party's page for its members; for anyone else (a link followed), a form asking their name. A code that
    names no party is counted against the client (``services.party_lookup``): codes cannot be tried freely here."""
    code = normalized_code(code)
    member = member_for_session(request.session, code)
    if member is not None:
        if request.method == "POST":  # a second tab's form, already a member: the page
            return redirect("party:party", code=code)
        return _party_page(request, member.party, member)
    try:
        found = services.party_lookup(code=code, client=player_key(request), address=client_address(request))
    except PartyError as problem:
        message = "No party has that code: check it with whoever sent it." if problem.code == Code.PARTY_NOT_FOUND else problem.message
        missing = {"error": message, "code": code[:40], "player_name": ""}
        return render(request, "party/join.html", missing, status=_status(problem))
    error, status = "", 200
    if request.method == "POST":
        form = PartyNameForm(request.POST)
        if not form.is_valid():
            error, status = first_error(form), 400
        else:
            joined = _join(request, code, form.cleaned_data["player_name"])
            if isinstance(joined, HttpResponse):
                return joined
            error, status = joined
    present = [m for m in found.members.all() if m.present]
    context: dict[str, Any] = {
        "party": found,
        "mode_name": MODE_NAMES.get(found.mode, found.mode),
        "host": next((m for m in present if m.is_host), None),
        "players": sum(not m.is_worldnet for m in present),
        "worldnet_in": any(m.is_worldnet for m in present),
        "open": found.phase in (LOBBY, FINISHED),
        "error": error,
        "player_name": request.POST.get("player_name", display_name(request)),
    }
    return render(request, "party/join_name.html", context, status=status)


def _party_page(request: HttpRequest, party: Party, member: Member) -> HttpResponse:
    link = request.build_absolute_uri(reverse("party:party", args=[party.code]))
    config = {
        **page_config(),
        "code": party.code,
        "socketPath": f"/ws/party/{party.code}/",
        "homeUrl": reverse("game:home"),
    }
    context = {
        "party": party,
        "mode_name": MODE_NAMES.get(party.mode, party.mode),
        "duel": party.mode == DUEL,
        "link": link,
        "config": config,
    }
    return render(request, "party/party.html", context)


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
