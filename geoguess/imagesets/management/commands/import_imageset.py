"""``manage.py import_imageset PATH --name NAME``: import a folder or zip, like the admin upload."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from geoguess.imagesets.services import imageset_import
from worldnet_core.manifest import ImageSetError
from worldnet_core.readers import KINDS


class Command(BaseCommand):
    help = "Import an image set from a folder or zip (labels CSV, EXIF GPS, GSV-Cities, im2gps or a manifest)."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="folder or zip")
        parser.add_argument("--name", required=True, help="the image set's name, shown to players")
        parser.add_argument("--kind", default="auto", choices=KINDS, help="how to read it (default auto)")
        parser.add_argument("--description", default="", help="a line about the set")

    def handle(self, *args, **options):
        bar = None
        plain = not self.stdout.isatty()

        def progress(stage: str, done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                # A bar on a terminal; a line every 10% when the output is a log.
                bar = tqdm(total=total, desc=stage, unit="photo", file=self.stdout, disable=plain, mininterval=0.5)
            bar.update(1)
            if plain and (done == total or done % max(total // 10, 1) == 0):
                self.stdout.write(f"{stage}: {done}/{total} photos")

        try:
            image_set = imageset_import(name=options["name"], source=options["path"], kind=options["kind"], description=options["description"], progress=progress)
        except ImageSetError as error:
            raise CommandError(f"nothing was imported:\n{error}") from None
        finally:
            if bar is not None:
                bar.close()
        self.stdout.write(self.style.SUCCESS(f"imported {image_set.photos.count()} photos as {image_set.name!r} (D = {image_set.scale_km:,.0f} km)"))
