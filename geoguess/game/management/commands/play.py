"""``manage.py play`` (``make play``): everything a local game needs, in one command.

Migrates, seeds the demo world when there is no image set, starts Redis when it is
installed and none is running, a Celery worker for the ``inference`` queue, and
the web server. Without Redis, worldNET's tasks run inside the web process, and it
says so.

Its secret key: with no ``SECRET_KEY`` set, settings recognise this command and keep a
random key in ``VAR_DIR/secret_key`` (made on the first run), which its worker and
later commands on the checkout read too (see ``geoguess/settings.py``).
"""

from __future__ import annotations

import atexit
import shutil
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import urlparse

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from geoguess.celery import app as celery_app
from geoguess.imagesets.models import ImageSet


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class Command(BaseCommand):
    help = "Set up and run the game locally: database, demo data, Redis, a Celery worker and the web server."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000", help="address of the web server (default 127.0.0.1:8000)")
        parser.add_argument("--no-worker", action="store_true", help="do not start a Celery worker (use your own)")

    def handle(self, *args, **options):
        children: list[subprocess.Popen] = []

        def stop_children(*_):
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
            children.append(subprocess.Popen(["redis-server", "--port", str(port), "--bind", host, "--dir", str(redis_dir), "--save", "60 1"], stdout=subprocess.DEVNULL))
            for _ in range(50):
                if _listening(host, port):
                    queue_ok = True
                    break
                time.sleep(0.1)
        if queue_ok and not options["no_worker"]:
            self.stdout.write("starting a Celery worker for the inference queue")
            children.append(
                subprocess.Popen([sys.executable, "-m", "celery", "-A", "geoguess", "worker", "-Q", "inference,celery", "--pool", "solo", "--loglevel", "WARNING"], cwd=settings.BASE_DIR)
            )
        elif not queue_ok:
            celery_app.conf.task_always_eager = True
            self.stdout.write(self.style.WARNING(
                f"No Redis at {host}:{port} and redis-server is not installed: worldNET's predictions run inside this process "
                "(install redis-server, e.g. `apt-get install redis-server`, for the queued set-up)."
            ))

        call_command("migrate", interactive=False, verbosity=0)
        if not ImageSet.objects.exists():
            call_command("seed_demo", stdout=self.stdout)
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(self.style.SUCCESS(
            f"\n  worldNET GeoGuessr is at http://{options['addr']}/\n"
            "  admin: create an account with `.venv/bin/python manage.py createsuperuser`, then open /admin/\n"
        ))
        call_command("runserver", options["addr"], use_reloader=False)
