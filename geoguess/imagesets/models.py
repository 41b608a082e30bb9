"""Image sets, their photos, and the jobs that import them. Originals are kept; players only ever see ``served`` copies."""

from __future__ import annotations

from django.db import models
from django.db.models import Count, Q

from geoguess.rules import ROUNDS_PER_GAME


class ImageSetQuerySet(models.QuerySet):
    def playable(self) -> ImageSetQuerySet:
        """Sets with enough enabled photos for a game, each with its ``photo_count`` (enabled photos only)."""
        return self.annotate(photo_count=Count("photos", filter=Q(photos__enabled=True))).filter(photo_count__gte=ROUNDS_PER_GAME)


class ImageSet(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.TextField(blank=True)
    #: GeoGuessr's D for this set (great-circle diagonal of its bounding box), in km.
    scale_km = models.FloatField()
    source = models.CharField(max_length=300, blank=True, help_text="what it was imported from")
    #: This set's own folder of originals under MEDIA_ROOT (``originals/<random>``): removed with the set.
    storage = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ImageSetQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PhotoQuerySet(models.QuerySet):
    def enabled(self) -> PhotoQuerySet:
        """The photos games may draw: every photo an admin has not disabled. The one place that says so."""
        return self.filter(enabled=True)


class Photo(models.Model):
    image_set = models.ForeignKey(ImageSet, on_delete=models.CASCADE, related_name="photos")
    #: Relative to MEDIA_ROOT. Originals are never served to players.
    original = models.CharField(max_length=400)
    #: Re-encoded JPEG without EXIF, at a bounded size, under a random name.
    served = models.CharField(max_length=400)
    lat = models.FloatField()
    lon = models.FloatField()
    place = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=100, blank=True)
    group = models.CharField(max_length=200, blank=True)
    #: Off when an admin takes the photo out of new games (a sign that gives the answer away, a blurry shot).
    enabled = models.BooleanField(default=True)
    #: When an admin last moved the photo's position (None: as imported).
    location_corrected_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = PhotoQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.image_set.name} #{self.pk} ({self.place or f'{self.lat:.2f}, {self.lon:.2f}'})"


class ImportJob(models.Model):
    """One upload being imported in the background by a worker on the ``imports`` queue.

    The row is the job's whole state: the admin page polls it, and a worker that takes the
    job over after another died reads from it what the dead one may have left behind.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        SUCCEEDED = "succeeded", "succeeded"
        FAILED = "failed", "failed"

    #: The image set to create.
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=20, default="auto")
    #: The uploaded archive, relative to MEDIA_ROOT (``imports/<random>/<name>``); removed when the job ends.
    archive = models.CharField(max_length=400, editable=False)
    archive_name = models.CharField(max_length=255, editable=False)
    archive_bytes = models.BigIntegerField(default=0, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    #: What the worker is doing now: queued, unpacking, checking, storing, saving, done.
    stage = models.CharField(max_length=40, default="queued")
    checked = models.PositiveIntegerField(default=0)
    stored = models.PositiveIntegerField(default=0)
    #: Photos in the set once it is read (0 until then).
    total = models.PositiveIntegerField(default=0)
    #: Why it failed: the readers' problems, one line each ("labels.csv, row 3: ...").
    problems = models.JSONField(default=list, blank=True)
    image_set = models.ForeignKey(ImageSet, null=True, blank=True, on_delete=models.SET_NULL, related_name="import_jobs")
    #: The folder token of the attempt that owns the job now: files go under ``originals/<token>`` and
    #: ``served/<token>``, so a later attempt can remove exactly what a killed one wrote.
    storage = models.CharField(max_length=32, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    #: Refreshed every few seconds by the worker running the job: a stale one means that worker is gone.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"import of {self.name!r} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)
