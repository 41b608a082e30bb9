"""``manage.py seed_demo``: the demo-world image set, and a demo worldNET when no model exists."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand

from geoguess.imagesets.models import ImageSet
from geoguess.imagesets.services import imageset_import
from geoguess.opponent.models import ModelVersion
from worldnet_core.demo_world import generate_world

DEMO_NAME = "Demo world"


class Command(BaseCommand):
    help = "Create the demo-world image set (procedural streets of 46 real cities) and train a demo worldNET if none exists."

    def add_arguments(self, parser):
        parser.add_argument("--per-city", type=int, default=20, help="images per city (default 20)")
        parser.add_argument("--epochs", type=int, default=15, help="epochs of the demo worldNET's classifier (default 15)")
        parser.add_argument("--seed", type=int, default=0, help="seed of the demo world (default 0)")
        parser.add_argument("--no-training", action="store_true", help="only the image set")

    def handle(self, *args, **options):
        if ImageSet.objects.filter(name=DEMO_NAME).exists():
            self.stdout.write(f"{DEMO_NAME!r} exists already")
        else:
            with tempfile.TemporaryDirectory(prefix="demo-world-") as folder:
                self.stdout.write(f"generating the demo world: 46 cities x {options['per_city']} images")
                generate_world(Path(folder), per_city=options["per_city"], seed=options["seed"])
                image_set = imageset_import(name=DEMO_NAME, source=Path(folder), description="Procedural street scenes of 46 real cities, generated offline.")
            self.stdout.write(self.style.SUCCESS(f"imported {image_set.photos.count()} photos as {DEMO_NAME!r}"))
        if options["no_training"] or ModelVersion.objects.exists():
            return
        self.stdout.write("training a demo worldNET (compact backbone, CPU is fine)")
        call_command(
            "train_worldnet", imageset=[DEMO_NAME], name="demo worldnet", activate=True, epochs=options["epochs"], head_epochs=20,
            test_fraction=0.2, seed=options["seed"], no_progress=False, stdout=self.stdout,
        )
