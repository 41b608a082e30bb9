"""``manage.py train_worldnet``: train on the image sets in the database with ``training``'s own program.

Every flag of ``python -m training train`` is accepted (backbone, epochs, holdout,
device...), because this command reuses its argument parser and calls its ``main``.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from geoguess.imagesets.models import ImageSet, Photo
from geoguess.opponent.services import model_version_activate, model_version_register
from training import train as train_program
from worldnet_core.manifest import ImageRecord, ImageSetError, Manifest, write_manifest
from worldnet_core.models.backbones import PretrainedWeightsMissing


class Command(BaseCommand):
    help = "Train worldNET (or a baseline) on image sets in the database and register it as a model version."

    def add_arguments(self, parser):
        # The training program's own flags, as they are (the --data it needs is written from the database).
        parser._add_container_actions(train_program.get_args_parser(add_help=False))
        for action in parser._actions:
            if action.dest in ("data", "output"):  # written from the database and kept as a model version
                action.help = argparse.SUPPRESS
        parser.add_argument("--imageset", action="append", default=None, help="train on this image set (repeatable; default: all)")
        parser.add_argument("--name", default=None, help="name of the new model version (default: worldnet-<date>)")
        parser.add_argument("--activate", action="store_true", help="make it worldNET right away (queues its predictions for every photo)")

    def handle(self, *args, **options):
        image_sets = ImageSet.objects.all()
        if options["imageset"]:
            image_sets = image_sets.filter(name__in=options["imageset"])
            missing = sorted(set(options["imageset"]) - set(image_sets.values_list("name", flat=True)))
            if missing:
                raise CommandError(f"no image set called {', '.join(missing)}; there are: {', '.join(ImageSet.objects.values_list('name', flat=True)) or 'none'}")
        photos = Photo.objects.filter(image_set__in=image_sets)
        if photos.count() < 10:
            raise CommandError(f"{photos.count()} photos to train on; import an image set first (manage.py seed_demo or import_imageset)")
        media = Path(settings.MEDIA_ROOT)
        # The training program's flags alone: Django's own options (stdout, stderr, verbosity...)
        # are no training arguments, and would be stored in the checkpoint.
        flags = {action.dest for action in train_program.get_args_parser(add_help=False)._actions} - {"help"}
        train_args = argparse.Namespace(**{k: v for k, v in options.items() if k in flags})
        name = options["name"] or f"{train_args.model}-{timezone.now():%Y%m%d-%H%M%S}"
        # The manifest lives beside the originals, so its paths stay inside its folder.
        manifest_path = media / f".train-{secrets.token_hex(6)}.csv"
        records = [ImageRecord(p.original, p.lat, p.lon, p.place, p.country, p.group) for p in photos]
        write_manifest(Manifest(media, records), manifest_path)
        try:
            with tempfile.TemporaryDirectory(prefix="train-") as folder:
                train_args.data = manifest_path
                train_args.output = Path(folder) / "model.pt"
                result = train_program.main(train_args, log=lambda message: self.stdout.write(message))
                version = model_version_register(name=name, checkpoint=result["checkpoint"])
        except (PretrainedWeightsMissing, ImageSetError) as error:  # the user's to fix: one line, no traceback
            raise CommandError(str(error)) from None
        finally:
            manifest_path.unlink(missing_ok=True)
        self.stdout.write(self.style.SUCCESS(f"registered model version {version.name!r}"))
        if options["activate"]:
            model_version_activate(version=version)
            self.stdout.write(self.style.SUCCESS(f"{version.name!r} is now worldNET; predictions for {Photo.objects.count()} photos are queued"))
