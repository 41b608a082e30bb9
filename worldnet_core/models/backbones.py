"""Image backbones by name: torchvision's (with ImageNet weights where they can be had) and a compact CNN.

``create_backbone(name)`` returns a ``Backbone``: a module mapping a batch of
normalised images to a feature map ``(B, C, h, w)``, with its channel count and the
preprocessing it expects. Pretrained weights are looked for in torchvision's cache
(``$TORCH_HOME/hub/checkpoints``) or a file given with ``weights_path``; nothing is
ever downloaded. Their absence is one line on stderr, and the backbone trains from
scratch.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

TORCHVISION_BACKBONES = ("vgg19", "resnet18", "resnet50", "efficientnet_b0", "convnext_tiny")
BACKBONES = (*TORCHVISION_BACKBONES, "compact")


@dataclass(frozen=True)
class Preprocessing:
    """How images become tensors: resize to ``size`` (h, w), then normalise."""

    size: tuple[int, int]
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD

    def to_dict(self) -> dict:
        return {k: list(v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> "Preprocessing":
        return cls(size=tuple(data["size"]), mean=tuple(data["mean"]), std=tuple(data["std"]))


#: Input sizes keep the paper's 3:4 aspect (300 × 400); the compact CNN works smaller to train on a CPU.
DEFAULT_SIZES = {"compact": (96, 128), "vgg19": (225, 300), "resnet18": (225, 300), "resnet50": (225, 300), "efficientnet_b0": (225, 300), "convnext_tiny": (225, 300)}


class CompactCNN(nn.Module):
    """Five stride-2 conv blocks, 24→192 channels: trains from scratch on a CPU in minutes."""

    def __init__(self, width: int = 24):
        super().__init__()
        channels = [3, width, width * 2, width * 4, width * 6, width * 8]
        layers: list[nn.Module] = []
        for c_in, c_out in zip(channels, channels[1:]):
            layers += [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
            layers += [nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
        self.features = nn.Sequential(*layers)
        self.out_channels = channels[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)


@dataclass
class Backbone:
    name: str
    module: nn.Module  # images -> (B, C, h, w)
    channels: int
    preprocessing: Preprocessing
    pretrained: bool


def _feature_extractor(name: str, model: nn.Module | None = None) -> tuple[nn.Module, int]:
    """The convolutional part of a torchvision classifier (a new one unless given), without its head."""
    from torchvision.models import get_model

    model = model if model is not None else get_model(name, weights=None)
    if name == "vgg19":
        return model.features, 512
    if name.startswith("resnet"):
        return nn.Sequential(*list(model.children())[:-2]), model.fc.in_features
    if name == "efficientnet_b0":
        return model.features, model.classifier[1].in_features
    if name == "convnext_tiny":
        return model.features, model.classifier[2].in_features
    raise ValueError(name)


def cached_weights_path(name: str) -> Path:
    """Where torchvision keeps ``name``'s ImageNet weights once downloaded."""
    from torchvision.models import get_model_weights

    filename = get_model_weights(name).DEFAULT.url.rsplit("/", 1)[-1]
    return Path(torch.hub.get_dir()) / "checkpoints" / filename


def load_pretrained(name: str, module: nn.Module, weights_path: Path | None) -> bool:
    """Loads ImageNet weights into ``module`` when a file is at hand; says so on stderr when not."""
    path = Path(weights_path) if weights_path else cached_weights_path(name)
    if not path.is_file():
        print(f"worldnet: no pretrained weights for {name} at {path}; its backbone trains from scratch", file=sys.stderr)
        return False
    from torchvision.models import get_model

    full = get_model(name, weights=None)
    state = torch.load(path, map_location="cpu", weights_only=True)
    full.load_state_dict(state)
    trunk, _ = _feature_extractor(name, full)
    module.load_state_dict(trunk.state_dict())
    return True


def create_backbone(name: str, *, pretrained: bool = True, weights_path: Path | None = None, image_size: tuple[int, int] | None = None) -> Backbone:
    """A backbone by name; ``pretrained`` looks for local ImageNet weights (never downloads)."""
    if name not in BACKBONES:
        raise ValueError(f"unknown backbone {name!r}; one of {', '.join(BACKBONES)}")
    preprocessing = Preprocessing(size=tuple(image_size or DEFAULT_SIZES[name]))
    if name == "compact":
        module = CompactCNN()
        return Backbone(name, module, module.out_channels, preprocessing, pretrained=False)
    module, channels = _feature_extractor(name)
    loaded = load_pretrained(name, module, weights_path) if pretrained else False
    return Backbone(name, module, channels, preprocessing, pretrained=loaded)
