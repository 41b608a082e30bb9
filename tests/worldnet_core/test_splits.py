from pathlib import Path

import numpy as np
import pytest

from worldnet_core.manifest import ImageRecord, Manifest
from worldnet_core.splits import cap_per_region, split_by_image, split_by_place


def world(per_place: dict[str, int], group_size: int = 1) -> Manifest:
    records = []
    for p, (place, count) in enumerate(per_place.items()):
        for i in range(count):
            records.append(ImageRecord(f"{place}/{i}.jpg", 10.0 * p, 5.0 * p, place=place, group=f"{place}-{i // group_size}"))
    return Manifest(Path("."), records)


def test_it_caps_images_per_place_and_reports_the_drop():
    capped = cap_per_region(world({"Paris": 50, "Lima": 8}), 10, seed=1)
    places = capped.places()
    assert (places == "Paris").sum() == 10
    assert (places == "Lima").sum() == 8
    assert capped.notes == ["de-biasing dropped 40 of 58 images (cap 10 per region; Paris: 40)"]


def test_it_caps_by_grid_cell_without_places():
    records = [ImageRecord(f"{i}.jpg", 48.1 + i * 1e-3, 2.1, place="") for i in range(30)]
    records += [ImageRecord(f"x{i}.jpg", -33.5, 151.5, place="") for i in range(3)]
    capped = cap_per_region(Manifest(Path("."), records), 5)
    assert len(capped) == 8


def test_it_caps_deterministically_by_seed():
    manifest = world({"Paris": 50})
    assert cap_per_region(manifest, 10, seed=3).records == cap_per_region(manifest, 10, seed=3).records
    assert cap_per_region(manifest, 10, seed=3).records != cap_per_region(manifest, 10, seed=4).records


def test_it_splits_by_image_within_every_place_keeping_groups_whole():
    manifest = world({"Paris": 40, "Lima": 40, "Oslo": 40}, group_size=4)
    split = split_by_image(manifest, test_fraction=0.3, seed=0)
    assert len(split.train) + len(split.test) == len(manifest)
    assert set(split.train.places()) == set(split.test.places()) == {"Paris", "Lima", "Oslo"}
    assert not set(split.train.groups()) & set(split.test.groups())
    assert len(split.test) == 3 * 3 * 4  # per place: 0.3 of 10 groups, of 4 images each
    assert split_by_image(manifest, test_fraction=0.3, seed=0).test.records == split.test.records
    assert split_by_image(manifest, test_fraction=0.3, seed=1).test.records != split.test.records


def test_it_holds_out_named_places():
    manifest = world({"Paris": 5, "Lima": 5, "Oslo": 5})
    split = split_by_place(manifest, holdout=["Lima"])
    assert set(split.test.places()) == {"Lima"}
    assert "Lima" not in set(split.train.places())


def test_it_holds_out_a_number_of_places_by_seed():
    manifest = world({f"city{i}": 3 for i in range(10)})
    a = split_by_place(manifest, n_holdout=3, seed=7)
    assert len(set(a.test.places())) == 3
    assert split_by_place(manifest, n_holdout=3, seed=7).test.records == a.test.records


def test_it_keeps_a_group_spanning_places_out_of_training():
    records = [
        ImageRecord("a.jpg", 0, 0, place="A", group="g"),
        ImageRecord("b.jpg", 1, 1, place="B", group="g"),
        ImageRecord("c.jpg", 2, 2, place="B"),
    ]
    split = split_by_place(Manifest(Path("."), records), holdout=["A"])
    assert [r.path for r in split.test] == ["a.jpg", "b.jpg"]


def test_it_refuses_unknown_or_impossible_holdouts():
    manifest = world({"Paris": 2, "Lima": 2})
    with pytest.raises(ValueError, match="not in the image set: Tokyo"):
        split_by_place(manifest, holdout=["Tokyo"])
    with pytest.raises(ValueError, match="n_holdout"):
        split_by_place(manifest, n_holdout=2)
    assert np.all(split_by_place(manifest, n_holdout=1).train.places() != "")


def test_it_deals_every_places_groups_round_the_folds():
    from worldnet_core.splits import assign_folds

    manifest = world({"Paris": 40, "Lima": 12, "Oslo": 7}, group_size=2)
    folds = assign_folds(manifest, 2, seed=0)
    places, groups = manifest.places(), manifest.groups()
    for place in ("Paris", "Lima", "Oslo"):
        in_place = folds[places == place]
        assert abs(int((in_place == 0).sum()) - int((in_place == 1).sum())) <= 2, place  # about half each (a group is 2)
    for group in set(groups):
        assert len(set(folds[groups == group])) == 1  # a panorama stays on one side
    assert (assign_folds(manifest, 2, seed=0) == folds).all() and not (assign_folds(manifest, 2, seed=1) == folds).all()
    assert set(assign_folds(manifest, 3, seed=0)) == {0, 1, 2}


def test_places_of_one_photo_still_fill_the_folds_evenly():
    from worldnet_core.splits import assign_folds

    folds = assign_folds(world({f"place {i}": 1 for i in range(71)}), 2)  # the real sample: one photo a place
    assert sorted(np.bincount(folds).tolist()) == [35, 36]


def test_it_refuses_fewer_than_two_folds():
    from worldnet_core.splits import assign_folds

    with pytest.raises(ValueError, match="at least 2 folds"):
        assign_folds(world({"Paris": 4}), 1)


def test_it_refuses_folds_whose_models_would_train_on_too_few_images():
    from worldnet_core.splits import SplitError, assign_folds

    with pytest.raises(SplitError, match="leaves a fold's model 2 to train on, fewer than 3"):
        assign_folds(world({"Paris": 2, "Lima": 2}), 2)
    assert len(assign_folds(world({"Paris": 3, "Lima": 3}), 2)) == 6
