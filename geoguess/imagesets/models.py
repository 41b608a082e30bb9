"""Image sets and their photos. Originals are kept; players only ever see ``served`` copies."""

from __future__ import annotations

from django.db import models


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

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


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

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.image_set.name} #{self.pk} ({self.place or f'{self.lat:.2f}, {self.lon:.2f}'})"
