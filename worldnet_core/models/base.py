"""What every model is: an ``nn.Module`` built from a JSON-able config, registered by name.

A model takes images as floats in [0, 1] and returns ``GeoOutput``: coordinates
before the land snap (the predictor snaps) and, for classifiers, a distribution
over named centroids. ``create_model(name, **config)`` rebuilds any model from the
config its checkpoint stores (timm's pattern).
"""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

import torch
from torch import nn

from worldnet_core.models.backbones import Backbone, Preprocessing, create_backbone


class GeoOutput(NamedTuple):
    latlon: torch.Tensor  # (B, 2) degrees, before snapping to land
    probs: torch.Tensor | None = None  # (B, k) over the model's centroids, for worldNET


class GeoModel(nn.Module):
    """Base of all models; subclasses set ``name`` and take their config as keyword arguments."""

    name: ClassVar[str]
    #: Whether the model learns from images (and so needs a training loop).
    learns_from_images: ClassVar[bool] = False

    def __init__(self, **config: Any):
        super().__init__()
        self.config = config
        self.centroid_names: list[str] = list(config.get("centroid_names", []))

    @property
    def preprocessing(self) -> Preprocessing:
        size = self.config.get("image_size") or (96, 128)
        return Preprocessing(size=tuple(size))

    def forward(self, images: torch.Tensor) -> GeoOutput:  # pragma: no cover - abstract
        raise NotImplementedError


def build_backbone(
    config: dict[str, Any], name: str, *, pretrained: bool, weights_path: str | None, image_size: tuple[int, int] | None
) -> Backbone:
    """The backbone of a learned model; records in ``config`` whether its weights were ever ImageNet's
    (a model rebuilt from a checkpoint asks for no weights, but keeps the fact)."""
    built = create_backbone(name, pretrained=pretrained, weights_path=weights_path, image_size=image_size)
    # Channels-last convolutions: a compact-backbone training step on a 2-core CPU takes 0.21 s
    # instead of 0.32 s (oneDNN's preferred layout), and CUDA's tensor cores prefer it too.
    built.module.to(memory_format=torch.channels_last)
    config["backbone_pretrained"] = built.pretrained or bool(config.get("backbone_pretrained"))
    if built.pretrained or "backbone_weights" not in config:  # a model rebuilt from a checkpoint keeps what it started from
        config["backbone_weights"] = built.weights
    return built


MODELS: dict[str, type[GeoModel]] = {}


def register(cls: type[GeoModel]) -> type[GeoModel]:
    MODELS[cls.name] = cls
    return cls


def create_model(name: str, **config: Any) -> GeoModel:
    _import_all()
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; one of {', '.join(sorted(MODELS))}")
    return MODELS[name](**config)


def list_models() -> list[str]:
    _import_all()
    return sorted(MODELS)


def _import_all() -> None:
    # Importing the modules runs their @register decorators.
    from worldnet_core.models import baselines, knn, regression, worldnet  # noqa: F401


class Normalize(nn.Module):
    """ImageNet-style normalisation as a layer, so checkpoints carry it."""

    def __init__(self, preprocessing: Preprocessing):
        super().__init__()
        self.register_buffer("mean", torch.tensor(preprocessing.mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(preprocessing.std).view(1, 3, 1, 1), persistent=False)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        # Channels-last, as the backbone's weights are (see build_backbone).
        return ((images - self.mean) / self.std).contiguous(memory_format=torch.channels_last)
