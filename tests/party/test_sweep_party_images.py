"""``manage.py sweep_party_images``: old party round images, those of parties or rounds gone and a killed writer's
temporary files go; recent ones of live rounds stay; a request makes a swept image again, the same bytes."""

from __future__ import annotations

import io
import os
import time

import pytest
from django.core.management import call_command

from geoguess.party import services
from geoguess.party.models import PartyGuess
from geoguess.party.round_images import party_image_path, party_rounds_root
from tests.party.test_round_image import client_of

pytestmark = pytest.mark.django_db

DAY_S = 24 * 3600


def age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_the_sweep_removes_old_orphaned_and_half_written_party_images(make_party):
    party, (ana, ben) = make_party()
    services.party_start(member=ana)
    mine, theirs = (PartyGuess.objects.get(member=m) for m in (ana, ben))
    first = client_of(ana).get(f"/party/image/{mine.image_token}").content
    client_of(ben).get(f"/party/image/{theirs.image_token}")
    kept = party_image_path(party_id=party.pk, image_token=theirs.image_token)
    old = party_image_path(party_id=party.pk, image_token=mine.image_token)
    age(old, 8 * DAY_S)
    folder = party_rounds_root() / str(party.pk)
    orphan = folder / ("0" * 32 + ".jpg")  # a token no round of the party has (another secret key's name, say)
    orphan.write_bytes(b"x")
    fresh_temporary, stale_temporary = folder / ".abc.tmp", folder / ".def.tmp"
    fresh_temporary.write_bytes(b"x")
    stale_temporary.write_bytes(b"x")
    age(stale_temporary, 2 * 3600)
    unknown = folder / "notes.txt"
    unknown.write_bytes(b"x")
    gone = party_rounds_root() / str(party.pk + 1000)  # a party deleted while a request made its file
    gone.mkdir()
    (gone / ("1" * 32 + ".jpg")).write_bytes(b"x")

    out = io.StringIO()
    call_command("sweep_party_images", "--older-than-days", "7", stdout=out)

    assert "removed 4 party round image file(s)" in out.getvalue()
    assert kept.exists() and fresh_temporary.exists() and unknown.exists()
    assert not old.exists() and not orphan.exists() and not stale_temporary.exists()
    assert not gone.exists()  # its file and its folder
    assert client_of(ana).get(f"/party/image/{mine.image_token}").content == first  # made again, the same bytes
    assert old.exists()


def test_the_sweep_of_a_site_without_party_images_removes_nothing(db):
    out = io.StringIO()
    call_command("sweep_party_images", stdout=out)
    assert "removed 0" in out.getvalue()
