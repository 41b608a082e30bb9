"""Which image set the daily challenge draws from (``ImageSet.featured_daily``): one at a time, as the admin chooses.

The game reads it (``geoguess/game/modes/daily.py``); a day already drawn keeps its photos whatever is featured later.
"""

from __future__ import annotations

from django.db import transaction

from geoguess.imagesets.models import ImageSet


@transaction.atomic
def imageset_feature_daily(*, image_set: ImageSet) -> None:
    """Features ``image_set`` for the daily challenge and un-features every other set, in one transaction.

    Should two admins feature two sets at the same moment and both stay featured, the game takes the first by
    name (a deterministic choice: every web process draws from the same set).
    """
    ImageSet.objects.filter(featured_daily=True).exclude(pk=image_set.pk).update(featured_daily=False)
    ImageSet.objects.filter(pk=image_set.pk).update(featured_daily=True)
    image_set.featured_daily = True
