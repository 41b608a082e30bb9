"""The image sets' admin, one module per model: ``image_sets`` (the upload, a set's coverage and photos),
``photos`` (curation), ``import_jobs`` (an upload's import, live). ``register`` wires them into a site;
``ImageSetsConfig.ready()`` calls it."""

from __future__ import annotations

from django.contrib.admin import AdminSite

from geoguess.imagesets.admin.image_sets import ImageSetAdmin
from geoguess.imagesets.admin.import_jobs import ImportJobAdmin
from geoguess.imagesets.admin.photos import PhotoAdmin
from geoguess.imagesets.models import ImageSet, ImportJob, Photo


def register(site: AdminSite) -> None:
    site.register(ImageSet, ImageSetAdmin)
    site.register(Photo, PhotoAdmin)
    site.register(ImportJob, ImportJobAdmin)
