"""Reads of the opponent's state: which model version plays which image set, and its stored guesses
(writes are in ``services``; how well a version plays, in ``strength``).

Each image set has its own worldNET (``SetVersion``), or is played by the site-wide default
(``ModelVersion.is_active``), or by none.
"""

from __future__ import annotations

from django.db.models import QuerySet

from geoguess.imagesets.models import ImageSet, Photo
from geoguess.opponent.models import ModelVersion, Prediction, SetVersion


def active_version() -> ModelVersion | None:
    """The site-wide default: the version that plays every image set without one of its own (None: no default)."""
    return ModelVersion.objects.filter(is_active=True).first()


def active_version_for(*, image_set: ImageSet) -> ModelVersion | None:
    """The version that plays ``image_set``: its own, else the site-wide default (None: worldNET does not play it)."""
    own = SetVersion.objects.select_related("model_version").filter(image_set=image_set).first()
    return own.model_version if own is not None else active_version()


def _active_version_id_for(image_set_id: int) -> int | None:
    own = SetVersion.objects.filter(image_set_id=image_set_id).values_list("model_version_id", flat=True).first()
    if own is not None:
        return own
    return ModelVersion.objects.filter(is_active=True).values_list("pk", flat=True).first()


def prediction_for(*, photo_id: int) -> Prediction | None:
    """The prediction for a photo of the version that plays its image set now, if stored."""
    image_set_id = Photo.objects.filter(pk=photo_id).values_list("image_set_id", flat=True).first()
    version_id = _active_version_id_for(image_set_id) if image_set_id is not None else None
    if version_id is None:
        return None
    # With its version: the reveal places the candidates from the version's centroids.
    return Prediction.objects.select_related("model_version").filter(photo_id=photo_id, model_version_id=version_id).first()


def any_version_plays() -> bool:
    """Whether some version plays some set: a site-wide default, or a set's own."""
    return ModelVersion.objects.filter(is_active=True).exists() or SetVersion.objects.exists()


def sets_played_by_default() -> QuerySet[ImageSet]:
    """The image sets without a version of their own: the site-wide default plays them."""
    return ImageSet.objects.filter(set_version__isnull=True)


def sets_played_by(*, version: ModelVersion) -> QuerySet[ImageSet]:
    """The image sets ``version`` plays now: those it is the own worldNET of, and, as the default, those without one."""
    own = ImageSet.objects.filter(set_version__model_version=version)
    return (own | sets_played_by_default()).distinct() if version.is_active else own


def set_players() -> list[tuple[ImageSet, ModelVersion | None, bool]]:
    """Every image set with the version that plays it and whether that is its own (False: the default, or none)."""
    default = active_version()
    own = {row.image_set_id: row.model_version for row in SetVersion.objects.select_related("model_version")}
    return [(image_set, own.get(image_set.pk, default), image_set.pk in own) for image_set in ImageSet.objects.order_by("name")]
