"""A round deleted takes its image files with it, once the deletion has committed (connected in ``GameConfig.ready()``).

Deleting a game, a photo or an image set deletes their rounds by cascade, and a cascade sends
``post_delete`` for every round: so a photo removed (say, for someone's privacy) leaves no varied
copy of it behind. After the commit: a deletion rolled back keeps the files its rounds still serve.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction

from geoguess.game.models import Round
from geoguess.game.round_image_files import round_files_remove


def round_deleted(sender: type[Round], instance: Round, **kwargs: object) -> None:
    transaction.on_commit(partial(round_files_remove, round_id=instance.pk, image_token=instance.image_token))
