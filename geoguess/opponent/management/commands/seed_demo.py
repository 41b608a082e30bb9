"""``manage.py seed_demo``: the demo-world image set, and a demo worldNET when no model exists.

The demo worldNET never trains on a photo the game shows: it trains on another draw of the same
cities (another seed of ``worldnet_core.demo_world``: other scenes, other spots), so its guesses in
play are guesses on photos it never saw, as its held-out test measures them. What makes it strong is
how many photos of each city it sees (``--training-per-city``), not recall of the game's photos.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from geoguess.imagesets.models import ImageSet
from geoguess.imagesets.services import imageset_import
from geoguess.opponent.models import ModelVersion, TrainingRun
from geoguess.opponent.selectors import active_version
from geoguess.opponent.services import model_version_activate
from geoguess.opponent.training_runs import training_run_create
from geoguess.opponent.training_worker import training_run_execute
from worldnet_core.demo_world import DEFAULT_PLACES, generate_world
from worldnet_core.model_choices import WORLDNET

DEMO_NAME = "Demo world"
DEMO_MODEL_NAME = "demo worldnet"
DEFAULT_EPOCHS = 15
DEFAULT_HEAD_EPOCHS = 20
#: Images a city of the demo worldNET's own draw of the world (none of them is in the game).
DEFAULT_TRAINING_PER_CITY = 50
#: The demo worldNET's draw is the game's seed plus this: the same cities, never the same photo.
TRAINING_SEED_OFFSET = 1
#: Of its draw, the share held out to measure it: photos of the cities it learns, none trained on.
DEMO_TEST_FRACTION = 0.15
#: One-hot labels (the paper's): every round of the demo world shows a city the demo worldNET
#: trained on (another photo of it), and there one-hot labels make the stronger opponent.
DEMO_LABEL_SMOOTHING_KM = 0.0


class Command(BaseCommand):
    help = (
        f"Create the demo-world image set (procedural streets of {len(DEFAULT_PLACES)} real cities) "
        "and train a demo worldNET, on another draw of the same cities, if none exists."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--per-city", type=int, default=20, help="images per city of the game's set (default 20)")
        parser.add_argument(
            "--training-per-city",
            type=int,
            default=DEFAULT_TRAINING_PER_CITY,
            help=f"images per city of the demo worldNET's own draw, none of them in the game (default {DEFAULT_TRAINING_PER_CITY})",
        )
        parser.add_argument(
            "--epochs", type=int, default=DEFAULT_EPOCHS, help=f"epochs of the demo worldNET's classifier (default {DEFAULT_EPOCHS})"
        )
        parser.add_argument(
            "--head-epochs", type=int, default=DEFAULT_HEAD_EPOCHS, help=f"epochs of its interpolation head (default {DEFAULT_HEAD_EPOCHS})"
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=0,
            help=f"seed of the demo world (default 0; the demo worldNET's own draw: this + {TRAINING_SEED_OFFSET})",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help="processes drawing the images (default: one per CPU; the images are the same for any number)",
        )
        parser.add_argument("--no-training", action="store_true", help="only the image set")

    def handle(self, *args: Any, **options: Any) -> None:
        workers = max(1, options["workers"])
        if ImageSet.objects.filter(name=DEMO_NAME).exists():
            self.stdout.write(f"{DEMO_NAME!r} exists already")
        else:
            with tempfile.TemporaryDirectory(prefix="demo-world-") as folder:
                self.stdout.write(f"generating the demo world: {len(DEFAULT_PLACES)} cities x {options['per_city']} images")
                generate_world(Path(folder), per_city=options["per_city"], seed=options["seed"], workers=workers)
                image_set = imageset_import(
                    name=DEMO_NAME,
                    source=Path(folder),
                    description=f"Procedural street scenes of {len(DEFAULT_PLACES)} real cities, generated offline.",
                )
            self.stdout.write(self.style.SUCCESS(f"imported {image_set.photos.count()} photos as {DEMO_NAME!r}"))
        if options["no_training"] or ModelVersion.objects.exists():
            return
        version = self._train(options, workers)
        if active_version() is None:  # a fresh site: it plays the sets that get no worldNET of their own, too
            model_version_activate(version=version)
            self.stdout.write(f"{version.name!r} is the site-wide default: it plays every image set without a worldNET of its own")

    def _train(self, options: dict[str, Any], workers: int) -> ModelVersion:
        demo = ImageSet.objects.get(name=DEMO_NAME)
        seed, per_city = options["seed"] + TRAINING_SEED_OFFSET, options["training_per_city"]
        note = f"another draw of the demo world's {len(DEFAULT_PLACES)} cities (seed {seed}, {per_city} images a city)"
        with tempfile.TemporaryDirectory(prefix="demo-worldnet-") as folder:
            self.stdout.write(f"drawing the demo worldNET's own images: {note}, none of them in the game")
            generate_world(Path(folder), per_city=per_city, seed=seed, workers=workers)
            self.stdout.write("training the demo worldNET (compact backbone, CPU is fine)")
            run = training_run_create(
                image_sets=[demo],
                arguments={
                    # The demo world's own (the program's defaults, not an uploaded set's): the compact backbone,
                    # trained from scratch, measured better on its painted cities (docs/model.md).
                    "backbone": "compact",
                    "backbone_training": "full",
                    "retrieval_weight": WORLDNET.retrieval_weight,
                    "epochs": options["epochs"],
                    "head_epochs": options["head_epochs"],
                    "test_fraction": DEMO_TEST_FRACTION,
                    "seed": options["seed"],
                    "label_smoothing_km": DEMO_LABEL_SMOOTHING_KM,
                    "folds": 0,  # none of the game's photos to guess out of fold
                },
                activate=True,
                name=DEMO_MODEL_NAME,
                source=TrainingRun.Source.SHELL,
                data_path=str(Path(folder) / "manifest.csv"),
                data_note=note,
            )
            run = training_run_execute(run_id=run.pk, echo=self.stdout.write)
        if run.status != TrainingRun.Status.SUCCEEDED or run.model_version is None:
            raise CommandError(f"training run {run.name!r} {run.status}" + (f": {run.error}" if run.error else ""))
        self.stdout.write(self.style.SUCCESS(f"{run.model_version.name!r} plays {DEMO_NAME!r}; its predictions are queued"))
        return run.model_version
