"""The paper's "VGG19" baseline: a backbone and a 512-512-2 regression head on normalised coordinates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from worldnet_core.model_choices import DEFAULT_BACKBONE
from worldnet_core.models.backbones import Preprocessing
from worldnet_core.models.base import GeoModel, GeoOutput, Normalize, build_backbone, model_preprocessing, register
from worldnet_core.models.freezing import SplitBackbone


@register
class RegressionModel(GeoModel):
    """backbone → features → Dense 512 → Dense 512 → 2 sigmoid outputs, ``(lat+90)/180, (lon+180)/360``.

    The backbone is frozen when pretrained (as in the paper) and trained end to end
    when not: frozen random features would leave the head nothing to learn from.

    Its features: a frozen backbone's are **pooled** (global average, as worldNET's classifier and kNN
    take them); a backbone trained end to end is **flattened** into the head, as the paper's head took
    VGG19's. The paper flattened VGG19's 512 × 9 × 12 map into its first 512 units, 28 M weights
    learnt from 1,600 photos; EfficientNet-Lite0's 1280 × 7 × 7 map would need 32 M, and a head of
    that size on a few thousand photos learns their positions in the frame more than the features, the
    overfitting that left the paper's regression at the mean. Pooled, the head has 0.9 M weights, sees
    the very features the other models see (the comparison is of heads, not of feature sizes), and a
    cache of them keeps 1,280 floats a photo instead of 62,720. ``pooled`` is stored with the model:
    checkpoints from before it existed flattened, and load as they were.
    """

    name = "regression"
    learns_from_images = True

    split: SplitBackbone

    def __init__(
        self,
        backbone: str = DEFAULT_BACKBONE,
        image_size: Sequence[int] | None = None,
        preprocessing: Preprocessing | None = None,
        pretrained: bool = True,
        weights_path: str | None = None,
        hidden: int = 512,
        backbone_training: str | None = None,
        pooled: bool | None = None,
        **config: Any,
    ) -> None:
        preprocessing = model_preprocessing(backbone, image_size, preprocessing)
        built = build_backbone(config, backbone, pretrained=pretrained, weights_path=weights_path)
        # The paper's: frozen when pretrained. A model rebuilt from its checkpoint (no ImageNet weights
        # asked for) takes both settings from its config.
        backbone_training = backbone_training or ("frozen" if built.pretrained else "full")
        pooled = backbone_training == "frozen" if pooled is None else bool(pooled)
        super().__init__(
            preprocessing=preprocessing, backbone=backbone, hidden=hidden, backbone_training=backbone_training, pooled=pooled, **config
        )
        self.normalize = Normalize(preprocessing)
        self.backbone = built.module
        pooling = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.pool: nn.Module = pooling if pooled else nn.Identity()
        self.split = SplitBackbone(backbone, self.backbone, self.normalize, pooling, training=backbone_training, trainable_blocks=1)
        self.frozen_backbone = self.split.all_frozen
        with torch.no_grad():
            flat = built.channels if pooled else self.backbone.eval()(torch.zeros(1, 3, *preprocessing.size)).numel()
        self.head = nn.Sequential(
            nn.Flatten(),  # a no-op on pooled features
            nn.Linear(flat, hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, 2),
            nn.Sigmoid(),
        )

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """What the head takes: pooled features, or the flattened-to-be feature map."""
        features: torch.Tensor = self.pool(self.backbone(self.normalize(images)))
        return features

    def from_features(self, features: torch.Tensor) -> torch.Tensor:
        """``(B, 2)`` degrees from ``features``."""
        unit = self.head(features)
        return torch.stack([unit[:, 0] * 180.0 - 90.0, unit[:, 1] * 360.0 - 180.0], dim=1)

    def forward(self, images: torch.Tensor) -> GeoOutput:
        return GeoOutput(self.from_features(self.features(images)))
