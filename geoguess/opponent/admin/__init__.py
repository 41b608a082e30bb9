"""The opponent's admin, one module per model: ``model_versions`` (versions and their predictions) and
``training_runs`` (start, watch, cancel); ``display`` holds what they show alike. ``register`` wires them
into a site, and offers training on the image set list; ``OpponentConfig.ready()`` calls it."""

from __future__ import annotations

from django.contrib.admin import AdminSite

from geoguess.imagesets.models import ImageSet
from geoguess.opponent.admin.model_versions import ModelVersionAdmin, PredictionAdmin
from geoguess.opponent.admin.training_runs import TrainingRunAdmin, train_on_image_sets
from geoguess.opponent.models import ModelVersion, Prediction, TrainingRun


def register(site: AdminSite) -> None:
    site.register(ModelVersion, ModelVersionAdmin)
    site.register(Prediction, PredictionAdmin)
    site.register(TrainingRun, TrainingRunAdmin)
    # Training belongs with the opponent, so its action on the image set list is added from here
    # (the image sets app, registered before this one, knows nothing of training).
    if site.is_registered(ImageSet):
        image_set_admin = site.get_model_admin(ImageSet)
        if train_on_image_sets not in (image_set_admin.actions or []):
            image_set_admin.actions = [*(image_set_admin.actions or []), train_on_image_sets]
