"""Import throughput: photos per second that ``imageset_import`` (the command's, and an import job's,
one path) checks and stores, at camera size (12 MP, 4000×3000) and at 1 MP (1152×864).

    .venv/bin/python benchmarks/import_throughput.py [--photos-12mp 120] [--photos-1mp 600]

Photos are colour JPEGs at quality 90 with sensor-like noise over a scene of colour fields, so
their size (about 4-5 MB at 12 MP) and decoding cost are a camera's, not a flat test image's; a
few distinct encodings are reused under different names and coordinates. Each run imports a
stored (uncompressed) zip into a fresh database and media folder under a temporary directory,
at the default settings (served copies at most 1600 px, ``STORE_THREADS`` threads), and prints
the rate of the whole import and of its two long stages: checking (every photo entropy-decoded whole, at 1/8 scale)
and storing (each original kept, a served copy re-encoded).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import secrets
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
SIZES = {"12 MP": (4000, 3000), "1 MP": (1152, 864)}


def camera_jpegs(size: tuple[int, int], count: int = 4, seed: int = 0) -> list[bytes]:
    """``count`` distinct colour JPEGs of ``size``: colour fields under per-pixel noise, quality 90."""
    rng = np.random.default_rng(seed)
    width, height = size
    out = []
    for _ in range(count):
        base = rng.integers(40, 215, size=(height // 100 + 1, width // 100 + 1, 3)).astype(np.uint8)
        scene = np.asarray(Image.fromarray(base, "RGB").resize(size, Image.Resampling.BILINEAR), dtype=np.int16)
        noisy = np.clip(scene + rng.normal(0, 12, size=scene.shape), 0, 255).astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(noisy, "RGB").save(buffer, format="JPEG", quality=90)
        out.append(buffer.getvalue())
    return out


def write_zip(path: Path, count: int, size: tuple[int, int]) -> Path:
    jpegs = camera_jpegs(size)
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["filename", "lat", "lon", "city"])
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:  # photos do not compress
        for i in range(count):
            name = f"photo{i:05d}.jpg"
            writer.writerow([name, f"{-50 + (i * 37) % 1150 / 10:.4f}", f"{-179 + (i * 53) % 3580 / 10:.4f}", f"Place {i % 97}"])
            archive.writestr(f"photos/{name}", jpegs[i % len(jpegs)])
        archive.writestr("photos/labels.csv", rows.getvalue())
    return path


def measure(source: Path, count: int) -> dict[str, float]:
    from geoguess.imagesets.services import imageset_import

    first: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        first.setdefault(stage, time.perf_counter())

    started = time.perf_counter()
    imageset_import(name=f"bench {secrets.token_hex(4)}", source=source, progress=progress)
    ended = time.perf_counter()
    return {
        "photos/s": count / (ended - started),
        "checking photos/s": count / (first["storing"] - first["checking"]),
        "storing photos/s": count / (first["saving"] - first["storing"]),
        "seconds": ended - started,
    }


@contextmanager
def throwaway_site(*, prefix: str) -> Iterator[Path]:
    """A fresh site in a temporary folder (its own SQLite database and media under ``var/``), migrated,
    Celery's tasks run in-process; Django set up for the caller. Yields the folder, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        os.environ.update(
            GEOGUESS_VAR_DIR=str(Path(folder) / "var"), DJANGO_SETTINGS_MODULE="geoguess.settings", CELERY_TASK_ALWAYS_EAGER="1"
        )
        os.environ.setdefault("SECRET_KEY", "benchmark-only-" + secrets.token_urlsafe(30))
        sys.path.insert(0, str(REPO))
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        yield Path(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos-12mp", type=int, default=120, help="photos in the 12 MP run (default 120)")
    parser.add_argument("--photos-1mp", type=int, default=600, help="photos in the 1 MP run (default 600)")
    args = parser.parse_args()
    with throwaway_site(prefix="import-bench-") as folder:
        from geoguess.imagesets.services import STORE_THREADS

        print(f"cores: {os.cpu_count()}, store threads: {STORE_THREADS}, load average: {os.getloadavg()[0]:.1f}")
        for label, count in (("12 MP", args.photos_12mp), ("1 MP", args.photos_1mp)):
            source = write_zip(folder / f"{label.replace(' ', '')}.zip", count, SIZES[label])
            result = measure(source, count)
            print(
                f"{label:>5} ({SIZES[label][0]}x{SIZES[label][1]}, {source.stat().st_size / count / 1e6:.1f} MB each): "
                f"{count} photos in {result['seconds']:.1f} s = {result['photos/s']:.1f} photos/s "
                f"(checking {result['checking photos/s']:.1f}/s, storing {result['storing photos/s']:.1f}/s)"
            )


if __name__ == "__main__":
    main()
