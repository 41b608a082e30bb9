"""A pretrained backbone used frozen (its features computed once per photo and cached) or partly fine-tuned.

On EfficientNet-Lite0 with its packaged ImageNet weights, at 64 × 96 on a few demo-world photos: the
backbone's stem sees each training photo once per view in a whole run (worldNET, its fold models, the
regression and kNN together), counted on the real network; a frozen backbone's weights and batch-norm
statistics are the same after training; ``partial`` unfreezes exactly the last blocks asked for; a
checkpoint predicts as the model did in training (the features the predictor computes are the cached
ones, and a model scored from the cache guesses as the predictor does from pixels); a backbone's blocks,
applied in turn, compute the backbone; frozen features that outgrow memory
go to an unnamed file; no socket is touched.
"""

from __future__ import annotations

import argparse
import socket
from collections.abc import Callable, Iterator

import numpy as np
import pytest
import torch
from torch import nn

from training import train as train_program
from training.engine import ImageData, classifier_probs, evaluate, load_data
from training.feature_cache import FeatureCache
from training.flags import backbone_training_problem
from worldnet_core.checkpoint import load_model, save_checkpoint
from worldnet_core.demo_world import PAPER_CITIES, generate_world
from worldnet_core.manifest import Manifest
from worldnet_core.model_choices import BACKBONES, TORCHVISION_BACKBONES
from worldnet_core.models import create_model
from worldnet_core.models.backbones import create_backbone
from worldnet_core.models.freezing import backbone_blocks
from worldnet_core.models.worldnet import WorldNet
from worldnet_core.predictor import Predictor
from worldnet_core.readers import read_imageset
from worldnet_core.splits import assign_folds

SIZE = (64, 96)
LITE = "efficientnet_lite0"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Manifest:
    out = tmp_path_factory.mktemp("world")
    generate_world(out, places=[PAPER_CITIES[i] for i in (7, 17, 9, 15)], per_city=5, seed=0)  # London, Paris, Madrid, Osaka
    return read_imageset(out)


@pytest.fixture(scope="module")
def photos(world) -> ImageData:
    return load_data(world, SIZE, progress=False)


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every way out to the network raises, and is recorded."""
    attempts: list[str] = []

    def refuse(what: str) -> Callable[..., None]:
        def refused(*args: object, **kwargs: object) -> None:
            attempts.append(what)
            raise OSError(f"test: no network ({what})")

        return refused

    for name in ("connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, refuse(f"socket.{name}"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    yield attempts


@pytest.fixture
def stem_images() -> Iterator[list[int]]:
    """How many images went through a backbone's stem (the only convolution that takes 3 channels), any model."""
    seen: list[int] = []

    def count(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        if isinstance(module, nn.Conv2d) and module.in_channels == 3:
            seen.append(int(inputs[0].shape[0]))

    handle = nn.modules.module.register_module_forward_hook(count)
    yield seen
    handle.remove()


def lite_args(**overrides: object) -> argparse.Namespace:
    args = train_program.get_args_parser().parse_args(
        [
            *("--backbone", LITE, "--backbone-training", "frozen", "--image-size", *map(str, SIZE)),
            *("--epochs", "2", "--head-epochs", "2", "--batch-size", "8", "--no-progress", "--device", "cpu"),
        ]
    )
    for key, value in overrides.items():
        setattr(args, key, value)
    return args


def quiet(message: str) -> None:
    pass


def test_each_photo_goes_through_the_frozen_backbone_once_a_run(world, photos, stem_images, offline):
    args = lite_args()
    settings = train_program.settings_from(args)
    worldnet = train_program.train_model("worldnet", photos, args, settings, quiet)
    assert sum(stem_images) == len(photos)  # the classifier's epochs, the retrieval bank and the head's distributions: one pass
    train_program.cross_fit(assign_folds(world, 2, seed=0), photos, args, settings, quiet)  # two fold models on subsets of them
    train_program.train_model("regression", photos, args, settings, quiet)
    train_program.train_model("knn", photos, args, settings, quiet)
    assert sum(stem_images) == len(photos) and settings.features.computed == {"photo": len(photos)}
    assert worldnet.config["backbone_training"] == "frozen" and worldnet.config["backbone_pretrained"]
    assert offline == []


def test_augmented_and_test_time_views_are_each_computed_once(world, photos, stem_images):
    args = lite_args(feature_views=2, tta=True)
    settings = train_program.settings_from(args)
    train_program.train_model("worldnet", photos, args, settings, quiet)
    train_program.cross_fit(assign_folds(world, 2, seed=0), photos, args, settings, quiet)
    # The photo and one augmented copy to train on; the photo and its three shifted copies for the head's distributions.
    views = {"photo", "augmented 1", "tta 1", "tta 2", "tta 3"}
    assert settings.features.computed == dict.fromkeys(views, len(photos)) and sum(stem_images) == 5 * len(photos)


def test_a_frozen_backbone_keeps_its_weights_and_statistics(photos):
    args = lite_args()
    settings = train_program.settings_from(args)
    model, labels = train_program.build_worldnet(photos, args)
    backbone_before = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    classifier_before = model.linear.weight.detach().clone()
    train_program.fit_worldnet(model, photos, labels, settings, log=quiet)
    after = model.backbone.state_dict()
    assert backbone_before.keys() == after.keys()
    assert all(torch.equal(backbone_before[k], after[k]) for k in after), [
        k for k in after if not torch.equal(backbone_before[k], after[k])
    ]
    assert not torch.equal(classifier_before, model.linear.weight)  # the head did train
    regression = train_program.train_model("regression", photos, args, settings, quiet)
    fresh = create_backbone(LITE).module.state_dict()
    assert all(torch.equal(fresh[k], v) for k, v in regression.backbone.state_dict().items())


def test_partial_training_unfreezes_exactly_the_last_blocks(photos):
    args = lite_args(backbone_training="partial", trainable_blocks=3)
    model, labels = train_program.build_worldnet(photos, args)
    # Lite0's 18 blocks: stem, blocks.0.0 ... blocks.6.0 (16), head (conv_head, bn2). The last three:
    last = ("net.blocks.5.3.", "net.blocks.6.0.", "net.conv_head.", "net.bn2.")
    trainable = [name for name, p in model.backbone.named_parameters() if p.requires_grad]
    assert trainable and all(name.startswith(last) for name in trainable)
    assert all(any(name.startswith(block) for name in trainable) for block in last)
    assert all(p.requires_grad for name, p in model.backbone.named_parameters() if name.startswith(last))
    before = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    train_program.fit_worldnet(model, photos, labels, train_program.settings_from(args), log=quiet)
    after = model.backbone.state_dict()
    changed = {k for k in after if not torch.equal(before[k], after[k])}
    assert changed and all(k.startswith(last) for k in changed), sorted(changed - {k for k in changed if k.startswith(last)})
    assert all(any(k.startswith(block) for k in changed) for block in last)  # each of them trained


def test_a_checkpoint_of_a_frozen_backbone_predicts_as_the_model_did_in_training(photos, tmp_path):
    args = lite_args()
    settings = train_program.settings_from(args)
    model = train_program.train_model("worldnet", photos, args, settings, quiet)
    assert isinstance(model, WorldNet)
    in_training = classifier_probs(model, photos, settings, in_bank=True)  # from the cached features
    path = save_checkpoint(model.cpu(), tmp_path / "frozen.pt")
    loaded, payload = load_model(path)
    assert payload["config"]["backbone_training"] == "frozen" and isinstance(loaded, WorldNet)
    images = photos.images.float() / 255
    with torch.inference_mode():
        # The bank holds the cached features of these photos: the loaded network computes the same from their pixels.
        features = nn.functional.normalize(loaded.features(images), dim=1)
        assert torch.allclose(features, loaded.bank, atol=1e-5)
        from_pixels = loaded.probs(images, bank_rows=torch.arange(len(images)))
    assert torch.allclose(in_training, from_pixels, atol=1e-5)
    ours = Predictor(model, device="cpu").predict_tensor(photos.images)
    theirs = Predictor.load(path, device="cpu").predict_tensor(photos.images)
    assert [(p.lat, p.lon, p.top) for p in ours] == [(p.lat, p.lon, p.top) for p in theirs]


@pytest.mark.parametrize("name", ["worldnet", "regression", "knn"])
def test_scoring_from_cached_features_gives_the_predictors_guesses_from_pixels(name, photos, stem_images):
    args = lite_args(tta=True)  # worldNET's test-time shifts come from the cache as well
    settings = train_program.settings_from(args)
    model = train_program.train_model(name, photos, args, settings, quiet)
    seen = sum(stem_images)
    scored = evaluate(model, photos, settings, scale_km=5000.0)
    assert sum(stem_images) == seen  # every view of these photos was cached already: scoring computed none
    from_pixels = Predictor(model, device="cpu").predict_tensor(photos.images)
    np.testing.assert_allclose(scored.predicted, [[p.lat, p.lon] for p in from_pixels], atol=1e-3)
    assert scored.top1 == [p.top[0][0] if p.top else "" for p in from_pixels]


def test_the_frozen_regression_pools_its_features_and_old_flattened_ones_still_load(tmp_path):
    frozen = create_model("regression", backbone=LITE, image_size=SIZE)
    assert frozen.config["backbone_training"] == "frozen" and frozen.config["pooled"]
    assert frozen.head[1].in_features == 1280  # pooled, not 1280 × 2 × 3 flattened
    rebuilt, _ = load_model(save_checkpoint(frozen, tmp_path / "r.pt"))
    assert rebuilt.head[1].in_features == 1280
    # A regression trained end to end (from scratch) flattens its map, as the paper's did and before.
    compact = create_model("regression", image_size=SIZE)
    assert not compact.config["pooled"] and compact.head[1].in_features == 192 * 2 * 3
    # A checkpoint from before ``pooled`` (its config without it) flattened, whatever its backbone: it loads so.
    old = torch.load(save_checkpoint(compact, tmp_path / "old.pt"), weights_only=True)
    for key in ("pooled", "backbone_training"):
        del old["config"][key]
    torch.save(old, tmp_path / "old.pt")
    assert load_model(tmp_path / "old.pt")[0].head[1].in_features == 192 * 2 * 3


def _slow_unless(name: str) -> pytest.MarkDecorator | tuple[()]:
    return pytest.mark.slow if name in TORCHVISION_BACKBONES else ()


@pytest.mark.parametrize("name", [pytest.param(n, marks=_slow_unless(n)) for n in BACKBONES])
def test_a_backbones_blocks_applied_in_turn_compute_the_backbone(name):
    module = create_backbone(name, pretrained=False).module.eval()
    images = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        x = images
        for block in backbone_blocks(module):
            x = block(x)
        torch.testing.assert_close(x, module(images))
    parameters = {id(p) for block in backbone_blocks(module) for p in block.parameters()}
    assert parameters == {id(p) for p in module.parameters()}  # every weight is in one block or another


@pytest.mark.parametrize(
    ("flags", "why"),
    [
        (["--backbone-training", "frozen"], "compact has no pretrained weights"),
        (["--backbone", LITE, "--backbone-training", "partial", "--no-pretrained"], "--no-pretrained asks for none"),
    ],
)
def test_frozen_and_partial_need_pretrained_weights(flags, why, tmp_path):
    args = train_program.get_args_parser().parse_args(["--data", str(tmp_path / "none.csv"), *flags])
    problem = backbone_training_problem(args)
    assert problem is not None and why in problem
    with pytest.raises(SystemExit, match="train: --backbone-training"):
        train_program.main(args)  # before anything is read or built


def test_frozen_features_beyond_the_memory_limit_go_to_an_unnamed_file(photos, tmp_path):
    model = create_model("worldnet", backbone=LITE, image_size=SIZE, backbone_training="partial", trainable_blocks=3)
    assert model.split is not None
    keys = photos.keys.tolist()
    in_memory = FeatureCache().rows(model.split, keys, photos.images)
    spilled_cache = FeatureCache(spill_dir=tmp_path / "run", memory_limit_mb=0.0)
    spilled = spilled_cache.rows(model.split, keys, photos.images)
    assert spilled_cache.bytes_in_files > 0 and spilled_cache.bytes_in_memory == 0
    assert list((tmp_path / "run").iterdir()) == []  # unlinked at once: nothing outlives the run
    every = torch.arange(len(photos))
    assert torch.equal(in_memory.gather(every), spilled.gather(every))
    assert in_memory.gather(every).shape[1:] == (192, 2, 3)  # the map at the cut: the input of blocks.5.3
