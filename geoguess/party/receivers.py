"""Reactions to other apps' and the party's own events, connected in ``apps.PartyConfig.ready``."""

from __future__ import annotations

import shutil

from django.db import transaction

from geoguess.party.models import Party
from geoguess.party.round_images import party_rounds_root


def party_deleted(sender: type[Party], instance: Party, **kwargs: object) -> None:
    """A party deleted (alone or with its image set) takes its members' round images, once that commits."""
    folder = party_rounds_root() / str(instance.pk)
    transaction.on_commit(lambda: shutil.rmtree(folder, ignore_errors=True))
