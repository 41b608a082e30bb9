"""``manage.py play`` (``make play``): everything a local game needs, in one command.

Migrates, seeds the demo world when there is no image set, starts Redis when it is
installed and none is running, one Celery worker for every queue (``inference``,
``imports``, ``training``, ``party``, ``celery``: a deployment gives each its own workers, see the README)
and Celery beat (the timer that plays out abandoned duels), and the web server (Daphne's runserver:
HTTP and the parties' WebSockets). Without Redis, worldNET's tasks run inside the web process and the
parties' channel layer in its memory, and it says so; no beat runs then (``manage.py
settle_abandoned_duels`` does its work by hand).

With no model version yet, the demo worldNET trains in the background (``manage.py
seed_demo`` in a child process, niced, its output in ``VAR_DIR/demo-worldnet.log``)
while the game is already playable: rounds show "worldNET is thinking" until the model
is activated and its predictions land, and the console says when it joins.

Its secret key: with no ``SECRET_KEY`` set, settings recognise this command and keep a
random key in ``VAR_DIR/secret_key`` (made on the first run), which its worker and
later commands on the checkout read too (see ``geoguess/settings.py``).
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from geoguess.celery import app as celery_app
from geoguess.imagesets.models import ImageSet
from geoguess.opponent.management.commands.seed_demo import DEFAULT_EPOCHS, DEFAULT_HEAD_EPOCHS, DEFAULT_TRAINING_PER_CITY, DEMO_NAME
from geoguess.opponent.models import ModelVersion
from geoguess.opponent.selectors import active_version_for, any_version_plays

#: The local worker consumes every queue (and Celery's default one): one machine, one worker. One
#: task at a time (solo pool): a training run started from the admin holds predictions back until it ends.
LOCAL_QUEUES = "inference,imports,training,party,celery"
#: How much the background training yields the CPU to the game (nice(1) increment): enough for
#: pages to stay quick beside it, not so much that a machine busy with other work starves it.
TRAINING_NICENESS = 5


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _lower_priority() -> None:  # runs in the child between fork and exec
    os.nice(TRAINING_NICENESS)


class Command(BaseCommand):
    help = (
        "Set up and run the game locally: database, demo data, Redis, a Celery worker and the web server "
        "(worldNET trains in the background)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000", help="address of the web server (default 127.0.0.1:8000)")
        parser.add_argument("--no-worker", action="store_true", help="do not start a Celery worker (use your own)")
        parser.add_argument(
            "--demo-per-city", type=int, default=20, help="images per city of the demo world, made when there is no image set (default 20)"
        )
        parser.add_argument(
            "--demo-training-per-city",
            type=int,
            default=DEFAULT_TRAINING_PER_CITY,
            help=f"images per city of the demo worldNET's own draw, none of them in the game (default {DEFAULT_TRAINING_PER_CITY})",
        )
        parser.add_argument(
            "--demo-epochs",
            type=int,
            default=DEFAULT_EPOCHS,
            help=f"epochs of the demo worldNET, trained when there is no model (default {DEFAULT_EPOCHS})",
        )
        parser.add_argument(
            "--demo-head-epochs",
            type=int,
            default=DEFAULT_HEAD_EPOCHS,
            help=f"epochs of its interpolation head (default {DEFAULT_HEAD_EPOCHS})",
        )
        parser.add_argument("--no-training", action="store_true", help="do not train a demo worldNET when there is no model")

    def handle(self, *args: Any, **options: Any) -> None:
        children: list[subprocess.Popen[bytes]] = []

        def stop_children(*_: object) -> None:
            for child in reversed(children):
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()

        atexit.register(stop_children)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

        broker = urlparse(settings.CELERY_BROKER_URL)
        host, port = broker.hostname or "127.0.0.1", broker.port or 6379
        queue_ok = _listening(host, port)
        if not queue_ok and host in ("127.0.0.1", "localhost") and shutil.which("redis-server"):
            self.stdout.write(f"starting redis-server on {host}:{port}")
            redis_dir = settings.VAR_DIR / "redis"
            redis_dir.mkdir(parents=True, exist_ok=True)
            children.append(
                subprocess.Popen(
                    ["redis-server", "--port", str(port), "--bind", host, "--dir", str(redis_dir), "--save", "60 1"],
                    stdout=subprocess.DEVNULL,
                )
            )
            for _ in range(50):
                if _listening(host, port):
                    queue_ok = True
                    break
                time.sleep(0.1)
        if not queue_ok:
            celery_app.conf.task_always_eager = True
            self.stdout.write(
                self.style.WARNING(
                    f"No Redis at {host}:{port} and redis-server is not installed: worldNET's predictions run inside this process "
                    "(install redis-server, e.g. `apt-get install redis-server`, for the queued set-up)."
                )
            )

        self._choose_channel_layer(queue_ok=queue_ok, broker=(host, port))
        call_command("migrate", interactive=False, verbosity=0)
        if not ImageSet.objects.exists():
            call_command("seed_demo", per_city=options["demo_per_city"], no_training=True, stdout=self.stdout)
        # The worker starts after the demo world: on a small machine its start-up would slow
        # the drawing and importing that the first page waits for, and it has nothing to do
        # before a model is active.
        if queue_ok and not options["no_worker"]:
            self.stdout.write(f"starting a Celery worker for the {', '.join(LOCAL_QUEUES.split(','))} queues, and Celery beat")
            children.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        "geoguess",
                        "worker",
                        "-Q",
                        LOCAL_QUEUES,
                        "--pool",
                        "solo",
                        "--loglevel",
                        "WARNING",
                    ],
                    cwd=settings.BASE_DIR,
                )
            )
            # Celery beat's timer (CELERY_BEAT_SCHEDULE: abandoned duels played out every 5 minutes), a child of its
            # own: stopped with the others, never left behind by a worker killed mid-task (as one inside it, -B, was).
            children.append(
                subprocess.Popen([sys.executable, "-m", "celery", "-A", "geoguess", "beat", "--loglevel", "WARNING"], cwd=settings.BASE_DIR)
            )
        newest = ModelVersion.objects.order_by("-created_at").first()
        if newest is not None and not any_version_plays():
            # A run stopped between registering and activating its model: activate the newest, for the
            # sets it was trained for and as the site-wide default (as the demo worldNET's training does).
            from geoguess.opponent.services import model_version_activate

            model_version_activate(version=newest, image_sets=newest.image_sets.all())
            model_version_activate(version=newest)
            self.stdout.write("activated the newest model version, which an earlier run registered but did not activate")
        if not options["no_training"] and not ModelVersion.objects.exists():
            children.append(
                self._train_in_background(
                    per_city=options["demo_training_per_city"],
                    epochs=options["demo_epochs"],
                    head_epochs=options["demo_head_epochs"],
                    eager=not queue_ok,
                )
            )
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(
            self.style.SUCCESS(
                f"\n  worldNET GeoGuessr is at http://{options['addr']}/\n"
                "  admin: create an account with `.venv/bin/python manage.py createsuperuser`, then open /admin/\n"
            )
        )
        call_command("runserver", options["addr"], use_reloader=False)

    def _choose_channel_layer(self, *, queue_ok: bool, broker: tuple[str, int]) -> None:
        """Parties' channel layer: Redis (``CHANNEL_LAYER_URL``, by default the broker's) when it answers, else the in-memory one.

        In memory is right only while one process serves everything: here it does (the web server; no
        worker can push into a layer it cannot reach, and without Redis tasks run in this process).
        """
        url = urlparse(settings.CHANNEL_LAYER_URL)
        if url.scheme in ("redis", "rediss"):
            where = (url.hostname or "127.0.0.1", url.port or 6379)
            if (queue_ok and where == broker) or _listening(*where):
                self.stdout.write(f"parties' channel layer: Redis at {where[0]}:{where[1]}")
                return
        elif url.scheme != "unix":
            return  # memory:// chosen by the operator
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
        self.stdout.write(
            self.style.WARNING(
                f"No Redis at {settings.CHANNEL_LAYER_URL} for the parties' channel layer: it runs in memory, in this process "
                "(fine while this one process serves everything; several servers or workers need Redis)."
            )
        )

    def _train_in_background(self, *, per_city: int, epochs: int, head_epochs: int, eager: bool) -> subprocess.Popen:
        """Starts the demo worldNET's training in a child process; a thread reports when it joins.

        A child rather than a Celery task: it runs the same way with or without Redis
        (without, its activation computes the predictions in the child, never in the web
        process), and it is niced, so pages stay quick on a small machine while it trains.
        """
        log_path = Path(settings.VAR_DIR) / "demo-worldnet.log"
        with open(log_path, "w", encoding="utf-8") as log:  # the child keeps its own handle
            environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
            if eager:
                environment["CELERY_TASK_ALWAYS_EAGER"] = "true"
            child = subprocess.Popen(
                [sys.executable, "manage.py", "seed_demo"]
                + ["--training-per-city", str(per_city), "--epochs", str(epochs), "--head-epochs", str(head_epochs)],
                cwd=settings.BASE_DIR,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_lower_priority,
            )
        started = time.monotonic()
        self.stdout.write(
            f"worldNET is training in the background (log: {log_path}); the game is playable now, "
            "and rounds show that worldNET is thinking until it joins"
        )

        def report() -> None:
            code = child.wait()
            minutes = (time.monotonic() - started) / 60
            if code == 0:
                demo = ImageSet.objects.filter(name=DEMO_NAME).first()
                version = active_version_for(image_set=demo) if demo is not None else None
                name = version.name if version else "the demo worldNET"
                self.stdout.write(
                    self.style.SUCCESS(
                        f"worldNET ({name}) is trained, after {minutes:.1f} min, and joins the game: "
                        "its guesses land as the worker computes them"
                    )
                )
            elif code > 0:  # negative: stopped by us at exit
                self.stdout.write(
                    self.style.ERROR(f"worldNET's training failed (exit status {code}; see {log_path}); the game goes on without it")
                )

        threading.Thread(target=report, name="demo-worldnet-training", daemon=True).start()
        return child
