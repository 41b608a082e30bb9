"""How well a model version plays: its stored guesses for the photos players meet (in play), and its
training run's held-out tests, with whether each has enough photos to mean anything.

In play, a cross-fitted version's guess for a photo it trained on comes from the fold model that never
saw it, so its figures in play measure what its held-out test measures (its seen places' table), never
its memory of the photos. Below ``WORLDNET_MIN_TEST_PHOTOS`` photos a mean or a median says little:
the pages say the set is too small to measure, and how to measure it, instead of showing them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.conf import settings

from geoguess.opponent.models import ModelVersion, Prediction, TrainingPhoto, trained_on
from worldnet_core.geo import haversine_km

#: The errors in play that the version page shows.
WITHIN_KM = 25
#: A version's held-out tables (its metrics), as the admin names them.
SPLIT_LABELS = {
    "seen": "seen places (held-out images)",
    "unseen": "unseen places",
    "out_of_fold": "its training photos, out of fold (each by the fold model that never saw it)",
}


def min_test_photos() -> int:
    return int(settings.WORLDNET_MIN_TEST_PHOTOS)


def measurable(count: int | None) -> bool:
    """Whether ``count`` test photos measure anything (None: not recorded, as older versions)."""
    return count is None or count >= min_test_photos()


@dataclass(frozen=True)
class InPlay:
    """A version's stored guesses for one image set's enabled photos, against where they were taken."""

    image_set: str
    photos: int
    #: Of them, guessed by a fold's model (the photo was among its version's training photos, not that model's).
    out_of_fold: int
    #: Of them, guessed by a model that trained on the photo: none, by construction (older versions excepted).
    seen_in_training: int
    mean_km: float
    median_km: float
    #: Share within ``WITHIN_KM``.
    within_km: float

    @property
    def measurable(self) -> bool:
        return measurable(self.photos)


def version_in_play(*, version: ModelVersion) -> list[InPlay]:
    """Per image set, the version's stored guesses for the photos games draw (enabled), most photos first."""
    rows = Prediction.objects.filter(model_version=version, photo__enabled=True).values_list(
        "photo_id", "photo__image_set__name", "photo__lat", "photo__lon", "lat", "lon", "fold"
    )
    folds = dict(TrainingPhoto.objects.filter(model_version=version).values_list("photo_id", "fold"))
    by_set: dict[str, list[tuple[float, float, float, float, bool, bool]]] = {}
    for photo_id, name, lat, lon, guess_lat, guess_lon, fold in rows.iterator(chunk_size=5000):
        photo_fold = folds.get(photo_id)
        by_set.setdefault(name, []).append((lat, lon, guess_lat, guess_lon, fold is not None, trained_on(photo_fold, model_fold=fold)))
    results = []
    for name, guesses in by_set.items():
        values = np.array([guess[:4] for guess in guesses], dtype=np.float64)
        km = haversine_km(values[:, 0], values[:, 1], values[:, 2], values[:, 3])
        results.append(
            InPlay(
                image_set=name,
                photos=len(guesses),
                out_of_fold=sum(guess[4] for guess in guesses),
                seen_in_training=sum(guess[5] for guess in guesses),
                mean_km=float(np.mean(km)),
                median_km=float(np.median(km)),
                within_km=float(np.mean(km <= WITHIN_KM)),
            )
        )
    return sorted(results, key=lambda r: (-r.photos, r.image_set))


def held_out_counts(version: ModelVersion) -> dict[str, int | None]:
    """How many test photos each of the version's held-out tables rests on (None: not recorded)."""
    training = version.training if isinstance(version.training, dict) else {}
    counts = training.get("test_images")
    counts = counts if isinstance(counts, dict) else {}
    return {split: _count(counts.get(split)) for split in ("seen", "unseen", "out_of_fold")}


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def records_its_training_photos(version: ModelVersion) -> bool:
    """Whether the version says which photos trained which of its models (versions registered before
    cross-fitting do not: their guesses on the photos they trained on are recall, not skill)."""
    training = version.training if isinstance(version.training, dict) else {}
    return "trained_on" in training


def mean_km(version: ModelVersion, split: str) -> float | None:
    """The version's stored mean error on ``split``, if it is a number (metrics are JSON from a checkpoint)."""
    block = version.metrics.get(split) if isinstance(version.metrics, dict) else None
    value = block.get("mean_km") if isinstance(block, dict) else None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
