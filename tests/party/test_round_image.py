"""A member's image of a party round: their own bytes, under their own token, to them alone."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from geoguess.party import services
from geoguess.party.models import PartyGuess
from tests.party.players import session_cookie

pytestmark = pytest.mark.django_db


def client_of(*members) -> Client:
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = session_cookie(*members).decode().split("=", 1)[1]
    return client


def test_each_member_gets_their_own_image_of_the_round(make_party):
    _party, (ana, ben) = make_party()
    services.party_start(member=ana)
    mine, theirs = (PartyGuess.objects.get(member=m) for m in (ana, ben))
    first = client_of(ana).get(f"/party/image/{mine.image_token}")
    assert first.status_code == 200 and first["Content-Type"] == "image/jpeg"
    assert first.content[:2] == b"\xff\xd8"
    assert client_of(ana).get(f"/party/image/{mine.image_token}").content == first.content  # made once, the same bytes
    second = client_of(ben).get(f"/party/image/{theirs.image_token}")
    assert second.status_code == 200 and second.content != first.content
    assert client_of(ana).get(f"/party/image/{theirs.image_token}").status_code == 404  # another's token
    assert Client().get(f"/party/image/{mine.image_token}").status_code == 404  # no session
    assert client_of(ana).get("/party/image/..%2F..%2Fetc").status_code == 404
    assert mine.image_token not in first.content.decode("latin-1")
