"""How much of a pretrained backbone trains: every block (``full``), the last few (``partial``), or none (``frozen``).

A backbone is a sequence of blocks (``backbone_blocks``): applied in turn, input to output, they compute
exactly what the backbone computes. ``SplitBackbone`` cuts that sequence in two: the blocks before the cut
keep their pretrained weights (``requires_grad`` off, and in eval mode whatever the model's mode, so their
batch norms keep the statistics they were trained with), the blocks after it train. The training program
runs the frozen part once per training photo and caches its output (``training.feature_cache``); every
epoch then starts from there. A model predicts through its whole backbone as always: the split changes
what trains, never what the model computes.

>>> from worldnet_core.models.backbones import CompactCNN
>>> [type(block[0]).__name__ for block in backbone_blocks(CompactCNN())][:2], len(backbone_blocks(CompactCNN()))
(['Conv2d', 'Conv2d'], 10)
>>> split_point(18, "partial", 3), split_point(18, "frozen", 3), split_point(18, "full", 3), split_point(2, "partial", 3)
(15, 18, 0, 0)
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import torch
from torch import nn

from worldnet_core.model_choices import BACKBONE_TRAINING
from worldnet_core.models.backbones import CompactCNN
from worldnet_core.models.efficientnet_lite import LiteFeatures


def backbone_blocks(module: nn.Module) -> list[nn.Module]:
    """The backbone ``module`` as blocks, input to output, that applied in turn compute ``module(x)``.

    EfficientNet-Lite: its stem, each of its 16 inverted-residual blocks, and its head (the 1x1 convolution
    to 1,280 channels). torchvision's backbones and the compact CNN, by their own structure: a stage of
    residual blocks gives each block; a composite layer (EfficientNet's stem and head, ConvNeXt's
    downsampling) is one; plain layers are grouped as a convolution and the layers after it (VGG's
    convolution, ReLU and pooling; ResNet's stem).
    """
    if isinstance(module, LiteFeatures):
        return module.blocks()
    if isinstance(module, CompactCNN):
        module = module.features
    if not isinstance(module, nn.Sequential):
        raise TypeError(f"no blocks known for a backbone of type {type(module).__name__}")
    blocks: list[nn.Module] = []
    group: list[nn.Module] = []

    def close_group() -> None:
        if group:
            blocks.append(nn.Sequential(*group))
            group.clear()

    for child in module.children():
        grandchildren = list(child.children())
        if type(child) is nn.Sequential and grandchildren and all(any(True for _ in g.children()) for g in grandchildren):
            close_group()  # a stage: its residual blocks, one by one
            blocks.extend(grandchildren)
        elif not grandchildren:
            if isinstance(child, nn.Conv2d):
                close_group()
            group.append(child)
        else:
            close_group()  # a composite layer: one block
            blocks.append(child)
    close_group()
    return blocks


def split_point(blocks: int, training: str, trainable_blocks: int) -> int:
    """How many of ``blocks`` blocks stay frozen: none (``full``), all but the last ``trainable_blocks``
    (``partial``; none when that is all of them), or all (``frozen``)."""
    if training not in BACKBONE_TRAINING:
        raise ValueError(f"backbone training must be one of {', '.join(BACKBONE_TRAINING)}, not {training!r}")
    if training == "partial" and trainable_blocks < 1:
        raise ValueError(f"a partly trained backbone trains at least one block, not {trainable_blocks}")
    return {"full": 0, "partial": max(0, blocks - trainable_blocks), "frozen": blocks}[training]


class SplitBackbone:
    """A model's backbone cut into a frozen part and a trainable part (see the module).

    ``frozen(images)`` is the frozen part's output for normalised-to-be images in [0, 1]: the pooled
    features when the whole backbone is frozen (all a cache needs to keep: 1,280 floats a photo for
    EfficientNet-Lite0 instead of a 1280x7x7 map), else the feature map at the cut. ``trainable(x)``
    takes it on to the pooled features. ``trainable(frozen(x))`` is the model's ``pool(backbone(normalize(x)))``.

    Not a module: it holds references to the model's own modules, which the model registers (and saves) once.
    """

    def __init__(
        self, name: str, backbone: nn.Module, normalize: nn.Module, pool: nn.Module, *, training: str, trainable_blocks: int
    ) -> None:
        self.name, self.normalize, self.pool, self.training = name, normalize, pool, training
        self.blocks = backbone_blocks(backbone)
        self.cut = split_point(len(self.blocks), training, trainable_blocks)
        for block in self.frozen_blocks:
            block.requires_grad_(False)

    @property
    def frozen_blocks(self) -> Sequence[nn.Module]:
        return self.blocks[: self.cut]

    @property
    def trainable_blocks(self) -> Sequence[nn.Module]:
        return self.blocks[self.cut :]

    @property
    def any_frozen(self) -> bool:
        """Whether part of the backbone is frozen (its output can then be computed once and cached)."""
        return self.cut > 0

    @property
    def all_frozen(self) -> bool:
        return self.cut == len(self.blocks)

    def keep_frozen_in_eval(self) -> None:
        """The frozen blocks in eval mode: their batch norms neither use nor update the batch's statistics."""
        for block in self.frozen_blocks:
            block.eval()

    def frozen(self, images: torch.Tensor) -> torch.Tensor:
        x: torch.Tensor = self.normalize(images)
        for block in self.frozen_blocks:
            x = block(x)
        if self.all_frozen:
            x = self.pool(x)
        return x

    def trainable(self, x: torch.Tensor) -> torch.Tensor:
        if self.all_frozen:
            return x
        x = x.contiguous(memory_format=torch.channels_last)  # as the backbone's weights are (a cache may hold it otherwise)
        for block in self.trainable_blocks:
            x = block(x)
        pooled: torch.Tensor = self.pool(x)
        return pooled

    def fingerprint(self) -> str:
        """Names what the frozen part computes: its blocks' weights and buffers, the normalisation, where it
        is cut and whether it pools. Two models whose frozen parts share it compute the same outputs, so a
        cache keyed by it serves both (worldNET, the regression and kNN on one pretrained backbone)."""
        digest = hashlib.sha1(f"{self.name}|{self.cut}|{self.all_frozen}".encode())
        for module in (self.normalize, *self.frozen_blocks):
            for key, tensor in module.state_dict(keep_vars=False).items():
                digest.update(key.encode())
                digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
            for buffer in module.buffers(recurse=False):  # Normalize's mean and std, which its state dict leaves out
                digest.update(buffer.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
        return digest.hexdigest()
