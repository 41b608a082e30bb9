"""The paper's "VGG19" baseline: a backbone and a 512-512-2 regression head on normalised coordinates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from worldnet_core.model_choices import DEFAULT_BACKBONE
from worldnet_core.models.backbones import Preprocessing
from worldnet_core.models.base import GeoModel, GeoOutput, Normalize, build_backbone, model_preprocessing, register


@register
class RegressionModel(GeoModel):
    """backbone → flatten → Dense 512 → Dense 512 → 2 sigmoid outputs, ``(lat+90)/180, (lon+180)/360``.

    The backbone is frozen when pretrained (as in the paper) and trained end to end
    when not: frozen random features would leave the head nothing to learn from.
    """

    name = "regression"
    learns_from_images = True

    def __init__(
        self,
        backbone: str = DEFAULT_BACKBONE,
        image_size: Sequence[int] | None = None,
        preprocessing: Preprocessing | None = None,
        pretrained: bool = True,
        weights_path: str | None = None,
        hidden: int = 512,
        **config: Any,
    ) -> None:
        preprocessing = model_preprocessing(backbone, image_size, preprocessing)
        built = build_backbone(config, backbone, pretrained=pretrained, weights_path=weights_path)
        super().__init__(preprocessing=preprocessing, backbone=backbone, hidden=hidden, **config)
        self.normalize = Normalize(preprocessing)
        self.backbone = built.module
        self.frozen_backbone = built.pretrained
        with torch.no_grad():
            flat = self.backbone.eval()(torch.zeros(1, 3, *preprocessing.size)).numel()
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(flat, hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, 2),
            nn.Sigmoid(),
        )
        if self.frozen_backbone:
            self.backbone.requires_grad_(False)

    def forward(self, images: torch.Tensor) -> GeoOutput:
        unit = self.head(self.backbone(self.normalize(images)))
        latlon = torch.stack([unit[:, 0] * 180.0 - 90.0, unit[:, 1] * 360.0 - 180.0], dim=1)
        return GeoOutput(latlon)
