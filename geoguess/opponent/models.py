"""worldNET model versions and their stored predictions, one per (photo, version)."""

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
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["is_active"], condition=models.Q(is_active=True), name="one_active_model_version")]

    def __str__(self) -> str:
        return f"{self.name}{' (active)' if self.is_active else ''}"

    def centroid_positions(self) -> dict[str, tuple[float, float]]:
        """Centroid name -> (lat, lon); centroid names are unique within a model (the first wins if not)."""
        positions: dict[str, tuple[float, float]] = {}
        for name, lat, lon in self.centroids:
            positions.setdefault(name, (float(lat), float(lon)))
        return positions


class Prediction(models.Model):
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="predictions")
    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="predictions")
    lat = models.FloatField()
    lon = models.FloatField()
    #: [[place, probability], ...], most likely first.
    top = models.JSONField(default=list)
    latency_ms = models.FloatField(help_text="model time per photo in its batch")
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

    image_sets = models.ManyToManyField(ImageSet, related_name="training_runs")
    #: The flags of ``python -m training train``, all of them, as the checkpoint stores them.
    arguments = models.JSONField(default=dict)
    activate = models.BooleanField(default=False, help_text="make the new version worldNET when the run succeeds")
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
