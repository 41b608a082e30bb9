"""What every model is: an ``nn.Module`` built from a JSON-able config and a ``Preprocessing``, registered by name.

A model takes images as floats in [0, 1] (``to_float`` makes them from uint8) and
returns ``GeoOutput``: coordinates before the land snap (the predictor snaps) and, for
classifiers, a distribution over named centroids. Its ``config`` holds the keyword
arguments it was built with and its ``preprocessing`` how images are resized and
normalised for it; a checkpoint stores both, and ``create_model(name, preprocessing=...,
**config)`` (in ``worldnet_core.models``) rebuilds the model from them (timm's pattern).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Self

import torch
from torch import nn

from worldnet_core.model_choices import DEFAULT_BACKBONE, MODEL_NAMES
from worldnet_core.models.backbones import Backbone, Preprocessing, create_backbone, default_preprocessing
from worldnet_core.models.freezing import SplitBackbone


class GeoOutput(NamedTuple):
    latlon: torch.Tensor  # (B, 2) degrees, before snapping to land
    probs: torch.Tensor | None = None  # (B, k) over the model's centroids, for worldNET


class GeoModel(nn.Module):
    """Base of all models; subclasses set ``name`` and take their config as keyword arguments.

    ``preprocessing``: a learned model's comes from its backbone (see ``model_preprocessing``); the
    models that never look at pixels (the baselines) take the default backbone's, as the predictor
    still decodes each image to some size before handing it over.
    """

    name: ClassVar[str]
    #: Whether the model learns from images (and so needs a training loop).
    learns_from_images: ClassVar[bool] = False
    #: Which blocks of its backbone train and which stay frozen (models with a backbone).
    split: SplitBackbone | None = None

    def __init__(self, *, preprocessing: Preprocessing | None = None, **config: Any) -> None:
        super().__init__()
        self.preprocessing = default_preprocessing(DEFAULT_BACKBONE) if preprocessing is None else preprocessing
        self.config: dict[str, Any] = config
        self.centroid_names: list[str] = list(config.get("centroid_names", []))

    def forward(self, images: torch.Tensor) -> GeoOutput:  # pragma: no cover - abstract
        raise NotImplementedError

    def train(self, mode: bool = True) -> Self:
        """As ``nn.Module.train``, but a frozen part of the backbone stays in eval mode: its batch norms keep
        the statistics its pretrained weights were trained with (and its state dict stays as it was)."""
        super().train(mode)
        if self.split is not None:
            self.split.keep_frozen_in_eval()
        return self

    if TYPE_CHECKING:  # nn.Module types its __call__ as returning Any; a model's call returns its forward's output

        def __call__(self, images: torch.Tensor) -> GeoOutput: ...


def model_preprocessing(backbone: str, image_size: Sequence[int] | None, preprocessing: Preprocessing | None) -> Preprocessing:
    """A learned model's preprocessing: a checkpoint's ``preprocessing`` as it was saved, else a new
    model's (``image_size``, or the backbone's default size; ImageNet's statistics)."""
    if preprocessing is None:
        return default_preprocessing(backbone, image_size)
    if image_size is not None and tuple(image_size) != preprocessing.size:
        raise ValueError(f"image_size {tuple(image_size)} differs from the preprocessing's size {preprocessing.size}")
    return preprocessing


def build_backbone(config: dict[str, Any], name: str, *, pretrained: bool, weights_path: str | None) -> Backbone:
    """The backbone of a learned model; records in ``config`` whether its weights were ever ImageNet's
    (a model rebuilt from a checkpoint asks for no weights, but keeps the fact)."""
    built = create_backbone(name, pretrained=pretrained, weights_path=weights_path)
    # Channels-last convolutions: a compact-backbone training step on a 2-core CPU takes 0.21 s
    # instead of 0.32 s (oneDNN's preferred layout), and CUDA's tensor cores prefer it too.
    built.module.to(memory_format=torch.channels_last)
    config["backbone_pretrained"] = built.pretrained or bool(config.get("backbone_pretrained"))
    if built.pretrained or "backbone_weights" not in config:  # a model rebuilt from a checkpoint keeps what it started from
        config["backbone_weights"] = built.weights
    return built


#: Every model class by name; ``register`` fills it as ``worldnet_core.models`` imports each model's module.
MODELS: dict[str, type[GeoModel]] = {}


def register(cls: type[GeoModel]) -> type[GeoModel]:
    # The programs and the admin offer the models by ``MODEL_NAMES``, without importing this package.
    if cls.name not in MODEL_NAMES:
        raise ValueError(f"model {cls.name!r} is not in worldnet_core.model_choices.MODEL_NAMES: add it there")
    MODELS[cls.name] = cls
    return cls


class Normalize(nn.Module):
    """The preprocessing's normalisation as the model's first layer.

    Its buffers are not saved in the state dict (``persistent=False``): they are built from
    the model's ``Preprocessing``, which the checkpoint stores once, beside the weights.
    """

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self, preprocessing: Preprocessing) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(preprocessing.mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(preprocessing.std).view(1, 3, 1, 1), persistent=False)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        # Channels-last, as the backbone's weights are (see build_backbone).
        return ((images - self.mean) / self.std).contiguous(memory_format=torch.channels_last)


def to_float(batch: torch.Tensor) -> torch.Tensor:
    """uint8 images to float in [0, 1] (on the batch's device): what models take."""
    return batch.float().div_(255.0) if batch.dtype == torch.uint8 else batch
