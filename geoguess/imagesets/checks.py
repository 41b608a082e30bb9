"""What an import checks before the readers read a byte: the set's name, its set-wide credit, and the
limits every row is checked against (text lengths from the database's own columns, sizes from settings)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from geoguess.imagesets.models import ImageSet, Photo
from worldnet_core.manifest import ImageSetError, Problem
from worldnet_core.readers import ArchiveLimits, Limits
from worldnet_core.readers.validation import Credits, source_url, text_field


def max_length(model: type[models.Model], field: str) -> int:
    """The longest text a model's column holds."""
    column = model._meta.get_field(field)
    if not isinstance(column, models.CharField) or column.max_length is None:
        raise TypeError(f"{model.__name__}.{field} is no text column of bounded length")
    return column.max_length


def import_limits(storage: str) -> Limits:
    """The row limits: the pixel cap from settings, text lengths from the database's own fields."""
    return Limits(
        max_pixels=settings.IMPORT_MAX_IMAGE_PIXELS,
        max_path_chars=max_length(Photo, "original") - len(storage) - 1,
        max_place_chars=max_length(Photo, "place"),
        max_country_chars=max_length(Photo, "country"),
        max_group_chars=max_length(Photo, "group"),
        max_author_chars=max_length(Photo, "author"),
        max_licence_chars=max_length(Photo, "licence"),
        max_source_chars=max_length(Photo, "source"),
    )


def import_credits_check(*, author: str = "", licence: str = "", source: str = "") -> Credits:
    """An import's set-wide credit (for its photos without their own), checked by the rows' own checks;
    ``ImageSetError`` lists each bad field, named by the field (``author``, ``licence``, ``source``)."""
    limits = import_limits("")
    checks = {
        "author": lambda: text_field(author, "the set-wide author", limits.max_author_chars),
        "licence": lambda: text_field(licence, "the set-wide licence", limits.max_licence_chars),
        "source": lambda: source_url(source, "the set-wide source", limits.max_source_chars),
    }
    checked: dict[str, str] = {}
    problems = []
    for field, check in checks.items():
        try:
            checked[field] = check()
        except ValueError as error:
            problems.append(Problem(field, str(error)))
    if problems:
        raise ImageSetError(problems)
    return Credits(**checked)


def import_archive_limits() -> ArchiveLimits:
    return ArchiveLimits(
        max_bytes=settings.IMPORT_MAX_UNPACKED_BYTES,
        max_entry_ratio=settings.IMPORT_MAX_ENTRY_RATIO,
        max_total_ratio=settings.IMPORT_MAX_TOTAL_RATIO,
    )


def imageset_name_check(name: str) -> str:
    """The name, tidied; ``ImageSetError`` when it is empty, too long, or taken."""
    try:
        name = text_field(name, "the name", max_length(ImageSet, "name"))
    except ValueError as error:
        raise ImageSetError([Problem("name", str(error))]) from None
    if not name:
        raise ImageSetError([Problem("name", "an image set needs a name")])
    if ImageSet.objects.filter(name=name).exists():
        raise ImageSetError([Problem("name", f"an image set called {name!r} exists already")])
    return name
