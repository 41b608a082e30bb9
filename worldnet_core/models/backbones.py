"""Image backbones by name: torchvision's (with ImageNet weights where they can be had), EfficientNet-Lite
(with the ImageNet weights a pinned package ships) and a compact CNN.

``create_backbone(name)`` returns a ``Backbone``: a module mapping a batch of
normalised images to a feature map ``(B, C, h, w)``, with its channel count. How
images are resized and normalised for it is the model's ``Preprocessing`` (here too:
``default_preprocessing(backbone)`` for a new model; a checkpoint keeps its own).

Pretrained weights, when asked for, come from a file given with ``weights_path``, or
from torchvision's cache (``$TORCH_HOME/hub/checkpoints``), or else are downloaded
there through torchvision's own weights API, with a progress bar. A site without
internet can point ``WORLDNET_WEIGHTS_URL`` at a mirror of torchvision's weights
folder. When they can be had from none of these, ``PretrainedWeightsMissing`` says
so in one line, with how to provide them: nothing trains silently from scratch
unless that was asked for (``pretrained=False``, the programs' ``--no-pretrained``).

EfficientNet-Lite (``efficientnet_lite0``) needs none of this: its weights come with the
install, in a pinned package (``worldnet_core.models.efficientnet_lite``), and it is normalised
as they were trained (TensorFlow's 127 and 128, not ImageNet's statistics).
"""

from __future__ import annotations

import itertools
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

import torch
from torch import nn

from worldnet_core.model_choices import BACKBONES, DEFAULT_BACKBONE, DEFAULT_SIZES
from worldnet_core.models import efficientnet_lite

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

#: Each backbone's normalisation, where it is not ImageNet's: the one its pretrained weights were trained with.
NORMALIZATION: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = dict.fromkeys(
    efficientnet_lite.PACKAGED, (efficientnet_lite.LITE_MEAN, efficientnet_lite.LITE_STD)
)


class PreprocessingDict(TypedDict):
    """``Preprocessing`` as a checkpoint stores it: plain lists."""

    size: list[int]
    mean: list[float]
    std: list[float]


@dataclass(frozen=True)
class Preprocessing:
    """How images become a model's input: resized to ``size`` (h, w), then normalised by ``mean`` and ``std``.

    A model is built with one and its checkpoint stores it; a model rebuilt from the
    checkpoint takes it from there (``worldnet_core.checkpoint``).

    >>> Preprocessing.from_dict(default_preprocessing("compact").to_dict()) == default_preprocessing("compact")
    True
    """

    size: tuple[int, int]
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD

    def to_dict(self) -> PreprocessingDict:
        return {"size": list(self.size), "mean": list(self.mean), "std": list(self.std)}

    @classmethod
    def from_dict(cls, data: PreprocessingDict) -> Preprocessing:
        height, width = (int(v) for v in data["size"])
        r, g, b = (float(v) for v in data["mean"])
        std_r, std_g, std_b = (float(v) for v in data["std"])
        return cls(size=(height, width), mean=(r, g, b), std=(std_r, std_g, std_b))


def default_preprocessing(backbone: str = DEFAULT_BACKBONE, image_size: Sequence[int] | None = None) -> Preprocessing:
    """A new model's preprocessing: ``image_size`` (h, w), or the backbone's default size; the statistics
    its weights were trained with (``NORMALIZATION``), else ImageNet's.

    >>> default_preprocessing("resnet18").size, default_preprocessing("compact", [48, 64]).size
    ((225, 300), (48, 64))
    >>> lite = default_preprocessing("efficientnet_lite0")
    >>> lite.size, round(lite.mean[0] * 255), round(lite.std[0] * 255)
    ((224, 224), 127, 128)
    """
    if backbone not in DEFAULT_SIZES:
        raise ValueError(f"unknown backbone {backbone!r}; one of {', '.join(BACKBONES)}")
    mean, std = NORMALIZATION.get(backbone, (IMAGENET_MEAN, IMAGENET_STD))
    height, width = DEFAULT_SIZES[backbone] if image_size is None else (int(v) for v in image_size)
    return Preprocessing(size=(height, width), mean=mean, std=std)


class CompactCNN(nn.Module):
    """Five stride-2 conv blocks, 24→192 channels: trains from scratch on a CPU in minutes."""

    def __init__(self, width: int = 24) -> None:
        super().__init__()
        channels = [3, width, width * 2, width * 4, width * 6, width * 8]
        layers: list[nn.Module] = []
        for c_in, c_out in itertools.pairwise(channels):
            layers += [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
            layers += [nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
        self.features = nn.Sequential(*layers)
        self.out_channels = channels[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features: torch.Tensor = self.features(x)
        return features


@dataclass
class Backbone:
    name: str
    module: nn.Module  # images -> (B, C, h, w)
    channels: int
    pretrained: bool
    #: Which weights it started from, in words, for logs and model versions.
    weights: str = "none: trained from scratch"


class PretrainedWeightsMissing(RuntimeError):
    """Pretrained weights were asked for and cannot be had; the message is one line saying how to provide them
    with the programs' flags. ``backbone``, ``cache_file`` (where torchvision keeps them) and ``reason`` let a
    caller without those flags (the admin's training runs) say it in its own terms."""

    def __init__(self, message: str, *, backbone: str = "", cache_file: Path | None = None, reason: str = "") -> None:
        super().__init__(message)
        self.backbone, self.cache_file, self.reason = backbone, cache_file, reason


#: Seconds to wait on the weights server before calling the machine offline.
DOWNLOAD_TIMEOUT_S = 30


def _feature_extractor(name: str, model: nn.Module | None = None) -> tuple[nn.Module, int]:
    """The convolutional part of a torchvision classifier (a new one unless given), without its head."""
    from torchvision.models import get_model

    model = model if model is not None else get_model(name, weights=None)
    if name == "vgg19":
        return model.get_submodule("features"), 512
    if name.startswith("resnet"):
        return nn.Sequential(*list(model.children())[:-2]), _linear(model.get_submodule("fc")).in_features
    if name == "efficientnet_b0":
        return model.get_submodule("features"), _linear(model.get_submodule("classifier.1")).in_features
    if name == "convnext_tiny":
        return model.get_submodule("features"), _linear(model.get_submodule("classifier.2")).in_features
    raise ValueError(name)


def _linear(module: nn.Module) -> nn.Linear:
    if not isinstance(module, nn.Linear):
        raise TypeError(f"expected a classifier's linear layer, not {type(module).__name__}")
    return module


def cached_weights_path(name: str) -> Path:
    """Where torchvision keeps ``name``'s ImageNet weights once downloaded."""
    from torchvision.models import get_model_weights

    filename: str = get_model_weights(name).DEFAULT.url.rsplit("/", 1)[-1]
    return Path(torch.hub.get_dir()) / "checkpoints" / filename


def fetch_weights(name: str, *, progress: bool = True) -> Path:
    """``name``'s default ImageNet weights in torchvision's cache, downloaded there first if needed.

    The download goes through torchvision's weights API (its URL, its file-name hash
    check), or, with ``WORLDNET_WEIGHTS_URL`` set, through ``torch.hub`` from that
    mirror, which the operator vouches for. Raises ``PretrainedWeightsMissing``.
    """
    from torchvision.models import get_model_weights

    weights = get_model_weights(name).DEFAULT
    target = cached_weights_path(name)
    if target.is_file():
        return target
    mirror = os.environ.get("WORLDNET_WEIGHTS_URL", "").strip()
    source = f"{mirror.rstrip('/')}/{target.name}" if mirror else weights.url
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        if mirror:
            torch.hub.load_state_dict_from_url(source, progress=progress, check_hash=False, map_location="cpu", weights_only=True)
        else:
            weights.get_state_dict(progress=progress, check_hash=True)
    except (OSError, RuntimeError, ValueError) as error:  # URLError and timeouts are OSErrors; a bad hash is a RuntimeError
        reason = getattr(error, "reason", None) or error
        raise PretrainedWeightsMissing(
            f"ImageNet weights for {name} are not in {target.parent} and could not be downloaded from {source} ({reason}): "
            f"copy {target.name} there, pass --weights FILE, set WORLDNET_WEIGHTS_URL to a mirror, "
            "or use --no-pretrained to train from scratch",
            backbone=name,
            cache_file=target,
            reason=f"from {source}: {reason}",
        ) from None
    finally:
        socket.setdefaulttimeout(previous)
    return target


def load_pretrained(name: str, module: nn.Module, weights_path: Path | None, *, progress: bool = True) -> str:
    """Loads ImageNet weights into ``module`` (from ``weights_path``, the cache, or a download); says which."""
    from torchvision.models import get_model

    if weights_path:
        path = Path(weights_path)
        if not path.is_file():
            raise PretrainedWeightsMissing(f"weights file {path} does not exist", backbone=name, reason=f"the file {path} does not exist")
        described = f"the file {path.name}"
    else:
        path = fetch_weights(name, progress=progress)
        from torchvision.models import get_model_weights

        described = f"ImageNet ({get_model_weights(name).DEFAULT}, {path.name})"
    full = get_model(name, weights=None)
    try:
        full.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    except Exception as error:
        raise PretrainedWeightsMissing(
            f"{path} is not a {name} state dict ({type(error).__name__}: {str(error).splitlines()[0][:200]})",
            backbone=name,
            reason=f"{path.name} is not a {name} state dict",
        ) from None
    trunk, _ = _feature_extractor(name, full)
    module.load_state_dict(trunk.state_dict())
    return described


def create_backbone(name: str, *, pretrained: bool = True, weights_path: Path | str | None = None) -> Backbone:
    """A backbone by name; ``pretrained`` loads ImageNet weights (see the module) or raises ``PretrainedWeightsMissing``.

    The compact CNN has no pretrained weights: it always starts from scratch. EfficientNet-Lite's
    come with the install (or from ``weights_path``, a file in its package's naming).
    """
    if name not in BACKBONES:
        raise ValueError(f"unknown backbone {name!r}; one of {', '.join(BACKBONES)}")
    if name == "compact":
        compact = CompactCNN()
        return Backbone(name, compact, compact.out_channels, pretrained=False)
    if name in efficientnet_lite.PACKAGED:
        return _packaged_backbone(efficientnet_lite.PACKAGED[name], pretrained=pretrained, weights_path=weights_path)
    module, channels = _feature_extractor(name)
    if not pretrained:
        return Backbone(name, module, channels, pretrained=False)
    described = load_pretrained(name, module, Path(weights_path) if weights_path else None)
    return Backbone(name, module, channels, pretrained=True, weights=described)


def _packaged_backbone(spec: efficientnet_lite.PackagedWeights, *, pretrained: bool, weights_path: Path | str | None) -> Backbone:
    try:
        module, described = efficientnet_lite.create_features(
            spec, pretrained=pretrained, weights_path=Path(weights_path) if weights_path else None
        )
    except efficientnet_lite.PackagedWeightsError as problem:
        raise PretrainedWeightsMissing(str(problem), backbone=spec.backbone, reason=problem.reason) from None
    return Backbone(spec.backbone, module, spec.channels, pretrained=pretrained, weights=described)
