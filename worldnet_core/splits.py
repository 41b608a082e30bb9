"""De-biasing and train/test splits of a manifest, deterministic by seed.

- ``cap_per_region``: the paper's de-biasing; no place (or, without place labels,
  no geographic cell) keeps more than ``max_per_region`` images.
- ``split_by_image``: unseen images of seen places (the paper's Figure 4a).
- ``split_by_place``: images of held-out places (Figure 4b).
- ``assign_folds``: cross-fitting's folds: each image's fold, so that a model trained without
  fold ``k`` can guess fold ``k``'s images, none of which it saw (out-of-fold guesses).

All of them keep every ``group`` (a panorama, a photographer) on one side.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from worldnet_core.manifest import Manifest

DEFAULT_CELL_DEG = 1.0
#: A fold's model trains on the images outside its fold: fewer than this are no training set.
MIN_FOLD_TRAINING_IMAGES = 3


class SplitError(ValueError):
    """The split cannot be made of this image set (too few images for it); the message says why and what to do."""


#: The share of each place's images (groups) ``split_by_image`` holds out; the training program's default too.
DEFAULT_TEST_FRACTION = 0.3


@dataclass(frozen=True)
class Split:
    train: Manifest
    test: Manifest


def regions(manifest: Manifest, cell_deg: float = DEFAULT_CELL_DEG) -> NDArray[np.str_]:
    """Each record's place, or its ``cell_deg`` grid cell when it has none."""
    lat_cell = np.floor(manifest.lats() / cell_deg).astype(int)
    lon_cell = np.floor(manifest.lons() / cell_deg).astype(int)
    return np.array(
        [r.place or f"cell {a},{b}" for r, a, b in zip(manifest.records, lat_cell, lon_cell)],
        dtype=str,
    )


def cap_per_region(manifest: Manifest, max_per_region: int, *, seed: int = 0, cell_deg: float = DEFAULT_CELL_DEG) -> Manifest:
    """Keeps at most ``max_per_region`` images per place or cell, chosen at random by seed.

    Whole groups are kept or dropped together, so a cap never splits a panorama.
    What was dropped is written to the result's ``notes``.
    """
    if max_per_region < 1:
        raise ValueError("max_per_region must be at least 1")
    rng = np.random.default_rng(seed)
    region_of = regions(manifest, cell_deg)
    groups = manifest.groups()
    keep: list[int] = []
    dropped: Counter[str] = Counter()
    for region in sorted(set(region_of)):
        members = np.flatnonzero(region_of == region)
        group_ids = sorted(set(groups[members]))
        kept = 0
        for g in rng.permutation(len(group_ids)):
            indices = members[groups[members] == group_ids[g]]
            if kept + len(indices) <= max_per_region or kept == 0:
                keep.extend(indices.tolist())
                kept += len(indices)
            else:
                dropped[region] += len(indices)
    result = manifest.subset(sorted(keep))
    if dropped:
        detail = ", ".join(f"{region}: {n}" for region, n in dropped.most_common())
        result.notes.append(
            f"de-biasing dropped {sum(dropped.values())} of {len(manifest)} images (cap {max_per_region} per region; {detail})"
        )
    return result


def split_by_image(manifest: Manifest, *, test_fraction: float = DEFAULT_TEST_FRACTION, seed: int = 0) -> Split:
    """Within every place (or cell), about ``test_fraction`` of its groups go to test."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError("test_fraction must be between 0 and 1")
    rng = np.random.default_rng(seed)
    region_of = regions(manifest)
    groups = manifest.groups()
    test = np.zeros(len(manifest), dtype=bool)
    for region in sorted(set(region_of)):
        members = np.flatnonzero(region_of == region)
        group_ids = np.array(sorted(set(groups[members])))
        if len(group_ids) < 2:
            continue  # a place with one group can only be seen or unseen, not both
        n_test = min(max(1, round(test_fraction * len(group_ids))), len(group_ids) - 1)
        chosen = set(rng.permutation(group_ids)[:n_test])
        test[members] = np.isin(groups[members], list(chosen))
    return _split(manifest, test)


def split_by_place(
    manifest: Manifest,
    *,
    holdout: list[str] | None = None,
    n_holdout: int | None = None,
    seed: int = 0,
) -> Split:
    """Holds out whole places: those named in ``holdout``, or ``n_holdout`` drawn by seed.

    A group that spans a held-out and a kept place goes wholly to test, so no image
    of it is seen in training.
    """
    places = manifest.places()
    known = sorted(set(places) - {""})
    if holdout is None:
        if n_holdout is None or not 0 < n_holdout < len(known):
            raise ValueError(f"n_holdout must be between 1 and {len(known) - 1} (the set has {len(known)} places)")
        holdout = list(np.random.default_rng(seed).permutation(known)[:n_holdout])
    unknown = sorted(set(holdout) - set(known))
    if unknown:
        raise ValueError(f"held-out places not in the image set: {', '.join(unknown)}")
    test = np.isin(places, list(holdout))
    groups = manifest.groups()
    test |= np.isin(groups, groups[test])
    if test.all():
        raise ValueError("holding out these places leaves nothing to train on")
    return _split(manifest, test)


def assign_folds(manifest: Manifest, folds: int, *, seed: int = 0) -> NDArray[np.int_]:
    """Each record's fold, 0 to ``folds - 1``: within every place (or cell) its groups are dealt
    round the folds in a random order, so each fold holds about ``1 / folds`` of every place.

    The deal goes on from one place to the next, so places with fewer groups than folds (one
    photo a place) still fill the folds evenly; a fold's model then never saw those places.

    >>> from pathlib import Path
    >>> from worldnet_core.manifest import ImageRecord
    >>> records = [ImageRecord(f"{i}.jpg", 48.9, 2.3, place="Paris") for i in range(6)]
    >>> sorted(assign_folds(Manifest(Path("."), records), 2).tolist())
    [0, 0, 0, 1, 1, 1]
    """
    if folds < 2:
        raise ValueError("cross-fitting needs at least 2 folds")
    rng = np.random.default_rng(seed)
    region_of = regions(manifest)
    groups = manifest.groups()
    fold = np.zeros(len(manifest), dtype=np.int_)
    dealt = 0
    for region in sorted(set(region_of)):
        members = np.flatnonzero(region_of == region)
        for group in rng.permutation(np.array(sorted(set(groups[members])))):
            fold[members[groups[members] == group]] = dealt % folds
            dealt += 1
    fewest = min(int((fold != k).sum()) for k in range(folds))
    if fewest < MIN_FOLD_TRAINING_IMAGES:
        raise SplitError(
            f"cross-fitting {len(manifest)} training images in {folds} folds leaves a fold's model {fewest} to train on, fewer than "
            f"{MIN_FOLD_TRAINING_IMAGES}: add images, or hold fewer out for testing (--test-fraction)"
        )
    return fold


def _split(manifest: Manifest, test: NDArray[np.bool_]) -> Split:
    return Split(train=manifest.subset(np.flatnonzero(~test)), test=manifest.subset(np.flatnonzero(test)))
