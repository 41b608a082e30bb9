"""``manage.py seed_demo``: the demo-world image set, and a demo worldNET when no model exists."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from geoguess.imagesets.models import ImageSet
from geoguess.imagesets.services import imageset_import
from geoguess.opponent.models import ModelVersion
from worldnet_core.demo_world import DEFAULT_PLACES, generate_world

DEMO_NAME = "Demo world"
DEMO_MODEL_NAME = "demo worldnet"
DEFAULT_EPOCHS = 15
DEFAULT_HEAD_EPOCHS = 20
#: The demo worldNET plays only the cities it trained on: one-hot labels (the paper's).
DEMO_LABEL_SMOOTHING_KM = 0.0


class Command(BaseCommand):
    help = (
        f"Create the demo-world image set (procedural streets of {len(DEFAULT_PLACES)} real cities) "
        "and train a demo worldNET if none exists."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--per-city", type=int, default=20, help="images per city (default 20)")
        parser.add_argument(
            "--epochs", type=int, default=DEFAULT_EPOCHS, help=f"epochs of the demo worldNET's classifier (default {DEFAULT_EPOCHS})"
        )
        parser.add_argument(
            "--head-epochs", type=int, default=DEFAULT_HEAD_EPOCHS, help=f"epochs of its interpolation head (default {DEFAULT_HEAD_EPOCHS})"
        )
        parser.add_argument("--seed", type=int, default=0, help="seed of the demo world (default 0)")
        parser.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help="processes drawing the images (default: one per CPU; the images are the same for any number)",
        )
        parser.add_argument("--no-training", action="store_true", help="only the image set")

    def handle(self, *args: Any, **options: Any) -> None:
        if ImageSet.objects.filter(name=DEMO_NAME).exists():
            self.stdout.write(f"{DEMO_NAME!r} exists already")
        else:
            with tempfile.TemporaryDirectory(prefix="demo-world-") as folder:
                self.stdout.write(f"generating the demo world: {len(DEFAULT_PLACES)} cities x {options['per_city']} images")
                generate_world(Path(folder), per_city=options["per_city"], seed=options["seed"], workers=max(1, options["workers"]))
                image_set = imageset_import(
                    name=DEMO_NAME,
                    source=Path(folder),
                    description=f"Procedural street scenes of {len(DEFAULT_PLACES)} real cities, generated offline.",
                )
            self.stdout.write(self.style.SUCCESS(f"imported {image_set.photos.count()} photos as {DEMO_NAME!r}"))
        if options["no_training"] or ModelVersion.objects.exists():
            return
        self.stdout.write("training a demo worldNET (compact backbone, CPU is fine)")
        # One-hot labels, not the program's haversine-smoothed default: every round of the demo
        # world shows a city the demo worldNET trained on, and there one-hot labels make the
        # stronger, surer opponent. Measured on the 920 photos `make play` seeds: mean 948 km,
        # median 19 km, median lock-in 9.4 s; smoothed at 3,000 km: 1,426 km, 717 km, 14.1 s.
        call_command(
            "train_worldnet",
            imageset=[DEMO_NAME],
            name=DEMO_MODEL_NAME,
            activate=True,
            epochs=options["epochs"],
            head_epochs=options["head_epochs"],
            test_fraction=0.2,
            seed=options["seed"],
            label_smoothing_km=DEMO_LABEL_SMOOTHING_KM,
            no_progress=False,
            stdout=self.stdout,
        )
