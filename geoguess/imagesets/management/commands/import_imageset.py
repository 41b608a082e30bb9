"""``manage.py import_imageset PATH --name NAME``: import a folder or zip, like the admin upload.

``--author``, ``--licence`` and ``--source`` give the set-wide credit, for the photos whose labels
CSV and EXIF give none (the OSV-5M sample's licence is set-wide: docs/admin.md#photo-credits).
In the foreground (the default) with a progress bar per stage; ``--background`` queues an
import job for a worker on the ``imports`` queue instead, as the admin's upload does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from geoguess.imagesets.jobs import import_job_create
from geoguess.imagesets.services import imageset_import
from worldnet_core.manifest import ImageSetError
from worldnet_core.readers import KINDS
from worldnet_core.readers.validation import Credits


class Command(BaseCommand):
    help = "Import an image set from a folder or zip (labels CSV, EXIF GPS, GSV-Cities, im2gps or a manifest)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="folder or zip (a zip with --background)")
        parser.add_argument("--name", required=True, help="the image set's name, shown to players")
        parser.add_argument("--kind", default="auto", choices=KINDS, help="how to read it (default auto)")
        parser.add_argument("--description", default="", help="a line about the set")
        parser.add_argument(
            "--author", default="", help="who took the photos, for those whose labels CSV or EXIF names nobody (default none)"
        )
        parser.add_argument(
            "--licence",
            "--license",
            dest="licence",
            default="",
            help="the photos' licence (e.g. 'CC BY-SA 4.0'), for those without their own (default none)",
        )
        parser.add_argument("--source", default="", help="an http(s) URL the photos come from, for those without their own (default none)")
        parser.add_argument(
            "--background",
            action="store_true",
            help="queue an import job for a worker on the imports queue and return (default: import here)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["background"]:
            return self._queue(options)
        bars: dict[str, tqdm] = {}
        plain = not self.stdout.isatty()

        def progress(stage: str, done: int, total: int) -> None:
            if not total:
                self.stdout.write(f"{stage}...")
                return
            if stage not in bars:
                for bar in bars.values():
                    bar.close()
                # A bar on a terminal; a line every 10% when the output is a log.
                bars[stage] = tqdm(total=total, desc=stage, unit="photo", file=self.stdout, disable=plain, mininterval=0.5)
            bars[stage].update(done - bars[stage].n)
            if plain and (done == total or done % max(total // 10, 1) == 0):
                self.stdout.write(f"{stage}: {done}/{total} photos")

        try:
            image_set = imageset_import(
                name=options["name"],
                source=options["path"],
                kind=options["kind"],
                description=options["description"],
                credits=self._credits(options),
                progress=progress,
            )
        except ImageSetError as error:
            raise CommandError(f"nothing was imported:\n{error}") from None
        finally:
            for bar in bars.values():
                bar.close()
        self.stdout.write(
            self.style.SUCCESS(f"imported {image_set.photos.count()} photos as {image_set.name!r} (D = {image_set.scale_km:,.0f} km)")
        )

    @staticmethod
    def _credits(options: dict) -> Credits:
        return Credits(options["author"], options["licence"], options["source"])

    def _queue(self, options: dict) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path}: --background takes a zip file (zip the folder, or import it without --background)")
        try:
            with path.open("rb") as archive:
                job = import_job_create(
                    name=options["name"],
                    description=options["description"],
                    kind=options["kind"],
                    credits=self._credits(options),
                    archive=archive,
                    archive_name=path.name,
                    created_by="import_imageset",
                )
        except ImageSetError as error:
            raise CommandError(f"nothing was queued:\n{error}") from None
        page = f"/admin/imagesets/importjob/{job.pk}/change/"
        queued = f"queued import job {job.pk} for {job.name!r}: a worker on the imports queue imports it; follow it at {page}"
        self.stdout.write(self.style.SUCCESS(queued))
