"""``manage.py train_worldnet``: train on the image sets in the database with ``training``'s own program.

Every flag of ``python -m training train`` is accepted (backbone, epochs, holdout,
device...), because this command reuses its argument parser and calls its ``main``
(through ``geoguess.opponent.training_worker``, as the admin's training runs do), with one
defaults of the site's (``training_runs.SITE_DEFAULTS``): ``--folds 2``, the cross-fitting that keeps
worldNET from guessing a photo it trained on (``geoguess.opponent.training_data``), and the pretrained
EfficientNet-Lite0, frozen, without retrieval: what measured best on real photos. The run is recorded as a training run,
so the admin lists it with the others, live; cancelling it there stops it here.
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from geoguess.imagesets.models import ImageSet, Photo
from geoguess.opponent.models import TrainingRun
from geoguess.opponent.training_runs import (
    MIN_PHOTOS,
    SITE_DEFAULT_HELP,
    SITE_DEFAULTS,
    SITE_FOLDS,
    TrainingInputError,
    training_flags,
    training_run_create,
)
from geoguess.opponent.training_worker import training_run_execute
from training import flags as program_flags


class Command(BaseCommand):
    help = "Train worldNET (or a baseline) on image sets in the database and register it as a model version."

    def add_arguments(self, parser: CommandParser) -> None:
        # The training program's own flags, as they are (the --data it needs is written from the database).
        parser._add_container_actions(program_flags.get_args_parser(add_help=False))
        for action in parser._actions:
            if action.dest in ("data", "output"):  # written from the database and kept as a model version
                action.help = argparse.SUPPRESS
            if action.dest == "folds":
                action.help = f"cross-fitting folds, from 2 (default {SITE_FOLDS}): each photo is guessed by a model that never saw it"
            if action.dest in SITE_DEFAULT_HELP:
                action.help = SITE_DEFAULT_HELP[action.dest]
        parser.set_defaults(**SITE_DEFAULTS)
        parser.add_argument("--imageset", action="append", default=None, help="train on this image set (repeatable; default: all)")
        parser.add_argument("--name", default=None, help="name of the new model version (default: worldnet-<date>)")
        parser.add_argument(
            "--activate",
            action="store_true",
            help="make it the worldNET of the image sets it trains on, and of no other (queues its predictions for their photos)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        image_sets = ImageSet.objects.all()
        if options["imageset"]:
            image_sets = image_sets.filter(name__in=options["imageset"])
            missing = sorted(set(options["imageset"]) - set(image_sets.values_list("name", flat=True)))
            if missing:
                there = ", ".join(ImageSet.objects.values_list("name", flat=True)) or "none"
                raise CommandError(f"no image set called {', '.join(missing)}; there are: {there}")
        photos = Photo.objects.enabled().filter(image_set__in=image_sets).count()
        if photos < MIN_PHOTOS:
            raise CommandError(f"{photos} photos to train on; import an image set first (manage.py seed_demo or import_imageset)")
        # The training program's flags alone (Django's own options, stdout and verbosity, are none),
        # with a --config file's values applied here, so the run records the flags it trained with.
        flags = {action.dest for action in program_flags.get_args_parser(add_help=False)._actions} - {"help"}
        namespace = program_flags.apply_config(argparse.Namespace(**{k: v for k, v in options.items() if k in flags}))
        arguments = {k: v for k, v in program_flags.stored_args(namespace).items() if k in training_flags()}
        try:
            run = training_run_create(
                image_sets=image_sets,
                arguments=arguments,
                activate=options["activate"],
                name=options["name"] or "",
                source=TrainingRun.Source.SHELL,
            )
        except TrainingInputError as error:
            raise CommandError(str(error)) from None
        run = training_run_execute(run_id=run.pk, echo=self.stdout.write)
        version = run.model_version
        if run.status != TrainingRun.Status.SUCCEEDED or version is None:  # the user's to fix, or cancelled from the admin
            raise CommandError(f"training run {run.name!r} {run.status}" + (f": {run.error}" if run.error else ""))
        self.stdout.write(self.style.SUCCESS(f"registered model version {version.name!r}"))
        if run.activate:
            names = ", ".join(run.image_sets.values_list("name", flat=True))
            queued = Photo.objects.filter(image_set__in=run.image_sets.all()).count()
            self.stdout.write(
                self.style.SUCCESS(f"{version.name!r} is now worldNET for {names} (no other set changes); {queued} predictions are queued")
            )
