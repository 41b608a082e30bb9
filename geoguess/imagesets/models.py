"""Image sets, their photos, and the jobs that import them. Originals are kept; players only ever see ``served`` copies."""

from __future__ import annotations

from django.db import models
from django.db.models import Count, Q

from geoguess.jobs.models import BackgroundJob
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
    #: The set the daily challenge draws from (one at most: the admin's save keeps it so).
    featured_daily = models.BooleanField(
        "featured for the daily challenge",
        default=False,
        help_text="The daily challenge draws each day's five photos from this set. Only one set is featured at a time.",
    )

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
    #: The photo's credit, shown to players after their guess (licences such as CC BY-SA ask for it):
    #: who took it, under which licence, and where it comes from (an http(s) URL). Plain text, never
    #: HTML; empty when the import gave none. From the labels CSV, else the photo's EXIF Artist and
    #: Copyright, else the import's set-wide defaults.
    author = models.CharField(max_length=200, blank=True)
    licence = models.CharField(max_length=200, blank=True)
    source = models.URLField(max_length=500, blank=True)
    #: Off when an admin takes the photo out of new games (a sign that gives the answer away, a blurry shot).
    enabled = models.BooleanField(default=True)
    #: When an admin last moved the photo's position (None: as imported).
    location_corrected_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = PhotoQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.image_set.name} #{self.pk} ({self.place or f'{self.lat:.2f}, {self.lon:.2f}'})"


class ImportJob(BackgroundJob):
    """One upload being imported in the background by a worker on the ``imports`` queue (``geoguess.imagesets.jobs``).

    Its ``name`` is the image set to create; ``token`` names the folders its current attempt writes
    (``originals/<token>``, ``served/<token>``), so a later attempt removes exactly what a killed one wrote.
    """

    description = models.TextField(blank=True)
    kind = models.CharField(max_length=20, default="auto")
    #: The set-wide credit the upload gave, for the photos without their own (``imageset_import``'s ``credits``).
    author = models.CharField(max_length=200, blank=True)
    licence = models.CharField(max_length=200, blank=True)
    source = models.URLField(max_length=500, blank=True)
    #: The uploaded archive, relative to MEDIA_ROOT (``imports/<random>/<name>``); removed when the job ends.
    archive = models.CharField(max_length=400, editable=False)
    archive_name = models.CharField(max_length=255, editable=False)
    archive_bytes = models.BigIntegerField(default=0, editable=False)
    checked = models.PositiveIntegerField(default=0)
    stored = models.PositiveIntegerField(default=0)
    #: Photos in the set once it is read (0 until then).
    total = models.PositiveIntegerField(default=0)
    image_set = models.ForeignKey(ImageSet, null=True, blank=True, on_delete=models.SET_NULL, related_name="import_jobs")
    created_by = models.CharField(max_length=150, blank=True)

    class Meta(BackgroundJob.Meta):
        verbose_name = "import job"

    def __str__(self) -> str:
        return f"import of {self.name!r} ({self.status})"
