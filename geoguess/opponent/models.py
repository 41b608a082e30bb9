"""worldNET model versions, which sets each plays, which photos trained which of its models, and its
stored predictions, one per (photo, version).

A version is a model trained on all its training photos (``checkpoint``) and, when it was cross-fitted,
one model per fold (``fold_checkpoints``), each trained without that fold's photos. ``TrainingPhoto``
records each photo's fold; a photo's prediction comes from the model that never trained on it (its
fold's model, or the full model for a photo no model trained on), and says which (``Prediction.fold``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from geoguess.imagesets.models import ImageSet, Photo
from geoguess.jobs.models import BackgroundJob


class ModelVersion(models.Model):
    name = models.CharField(max_length=120, unique=True)
    #: Relative to MEDIA_ROOT.
    checkpoint = models.CharField(max_length=400)
    model_name = models.CharField(max_length=40, default="worldnet")
    #: The evaluation: {"seen": {...metrics}, "unseen": {...}} as the report tables hold them.
    metrics = models.JSONField(default=dict, blank=True)
    training = models.JSONField(default=dict, blank=True)
    #: [[name, lat, lon], ...]: the checkpoint's centroids, copied at registration so the reveal can
    #: put worldNET's candidates on the map without loading the checkpoint in the web process.
    centroids = models.JSONField(default=list, blank=True)
    #: Relative to MEDIA_ROOT: the model trained without fold k's photos, at index k (empty: not cross-fitted).
    fold_checkpoints = models.JSONField(default=list, blank=True)
    #: The image sets it was trained for (its training run's sets; activating it offers them).
    image_sets = models.ManyToManyField(ImageSet, blank=True, related_name="model_versions", verbose_name="trained for")
    #: The site-wide default: it plays every image set that has no version of its own (``SetVersion``).
    is_active = models.BooleanField(default=False, verbose_name="site-wide default")
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["is_active"], condition=models.Q(is_active=True), name="one_active_model_version")]

    def __str__(self) -> str:
        return f"{self.name}{' (site-wide default)' if self.is_active else ''}"

    def centroid_positions(self) -> dict[str, tuple[float, float]]:
        """Centroid name -> (lat, lon); centroid names are unique within a model (the first wins if not)."""
        positions: dict[str, tuple[float, float]] = {}
        for name, lat, lon in self.centroids:
            positions.setdefault(name, (float(lat), float(lon)))
        return positions


class SetVersion(models.Model):
    """The version that plays one image set (its own worldNET): at most one per set. A set without one
    is played by the site-wide default (``ModelVersion.is_active``), or by none."""

    image_set = models.OneToOneField(ImageSet, on_delete=models.CASCADE, related_name="set_version")
    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="set_versions")
    activated_at = models.DateTimeField()

    class Meta:
        verbose_name = "image set's worldNET"

    def __str__(self) -> str:
        return f"{self.model_version.name} plays {self.image_set.name}"


class TrainingPhoto(models.Model):
    """A photo of a version's training run: in fold ``fold`` (every model of the version but that fold's
    trained on it), or, with no fold, trained on by none of them (a test photo)."""

    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="training_photos")
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="+")
    fold = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["model_version", "photo"], name="one_training_record_per_photo_and_version")]

    def __str__(self) -> str:
        where = "a test photo" if self.fold is None else f"fold {self.fold}"
        return f"photo {self.photo_id} in version {self.model_version_id}: {where}"


def trained_on(photo_fold: int | None, *, model_fold: int | None) -> bool:
    """Whether a version's model ``model_fold`` (None: the one trained on every fold) trained on a photo
    of fold ``photo_fold`` (None: a photo none of its models trained on, or one outside its training).

    >>> trained_on(0, model_fold=None), trained_on(0, model_fold=1), trained_on(0, model_fold=0), trained_on(None, model_fold=None)
    (True, True, False, False)
    """
    return photo_fold is not None and model_fold != photo_fold


class Prediction(models.Model):
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="predictions")
    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="predictions")
    lat = models.FloatField()
    lon = models.FloatField()
    #: [[place, probability], ...], most likely first.
    top = models.JSONField(default=list)
    latency_ms = models.FloatField(help_text="model time per photo in its batch")
    #: The model of its version that made it: the one trained without this fold, or (None) the full model.
    fold = models.PositiveSmallIntegerField(null=True, blank=True)
    #: Where worldNET saw its top candidate (a class-activation map): a small grey PNG, shown only after the guess.
    heatmap = models.BinaryField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["photo", "model_version"], name="one_prediction_per_photo_and_version")]

    def __str__(self) -> str:
        return f"guess for photo {self.photo_id} by version {self.model_version_id}: {self.lat:.2f}, {self.lon:.2f}"


class TrainingRun(BackgroundJob):
    """One training of a model version, from the admin (a task on the ``training`` queue) or the shell
    (``train_worldnet``); ``name`` is the name its model version gets.

    Its progress fields are written by the training process (``geoguess.opponent.training_progress``,
    through ``geoguess.jobs``) every second or so, with ``heartbeat_at``.
    """

    class Source(models.TextChoices):
        ADMIN = "admin"
        SHELL = "shell", "shell (train_worldnet)"

    #: The sets it trains on (cross-fitted: ``geoguess.opponent.training_runs``) and is for.
    image_sets = models.ManyToManyField(ImageSet, related_name="training_runs")
    #: The flags of ``python -m training train``, all of them, as the checkpoint stores them.
    arguments = models.JSONField(default=dict)
    activate = models.BooleanField(default=False, help_text="make the new version the worldNET of its image sets when the run succeeds")
    #: Images outside the database to train on instead of the sets' photos (a manifest or folder on the
    #: machine that runs it): the demo worldNET trains on another draw of the demo world's cities.
    data_path = models.CharField(max_length=400, blank=True)
    #: What ``data_path`` holds, in words.
    data_note = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ADMIN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    epoch = models.PositiveIntegerField(null=True, blank=True)
    epochs = models.PositiveIntegerField(null=True, blank=True)
    loss = models.FloatField(null=True, blank=True)
    #: How far the current stage is, 0 to 1 (batches count, not only whole epochs).
    stage_fraction = models.FloatField(default=0.0)
    #: Seconds until the current stage ends, at its pace so far.
    eta_seconds = models.FloatField(null=True, blank=True)
    model_version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="training_runs")

    class Meta(BackgroundJob.Meta):
        verbose_name = "training run"

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"
