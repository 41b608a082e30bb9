"""worldNET: a classifier over location centroids and an interpolation head between them.

1. The training locations are clustered (``clustering.py``); the centroids are fixed.
2. A classifier (backbone → pooled features → linear) predicts a distribution ``p``
   over the centroids, trained with cross-entropy.
3. The classifier is frozen and the interpolation head, a two-layer ReLU MLP from
   ``p`` to weights ``w`` over the centroids, is trained with the Haversine loss.
   It adds its output to ``log p`` before the softmax, so it starts from the
   classifier's own belief and learns how to move away from it.
4. The prediction is the ``w``-weighted combination of the centroids, on the sphere
   (unit vectors, renormalised) by default, or in plain lat/lon as the paper did.
5. Predictions at sea are snapped to land by the predictor, before any metric.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from worldnet_core.geo import latlon_to_unit_torch, unit_to_latlon_torch
from worldnet_core.models.base import GeoModel, GeoOutput, Normalize, build_backbone, register

INTERPOLATIONS = ("sphere", "latlon")


class InterpolationHead(nn.Module):
    def __init__(self, classes: int, hidden: int):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(classes, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, classes))
        nn.init.zeros_(self.mlp[2].weight)  # start as the identity: w = p
        nn.init.zeros_(self.mlp[2].bias)

    def forward(self, probs: torch.Tensor) -> torch.Tensor:
        return torch.softmax(torch.log(probs.clamp_min(1e-8)) + self.mlp(probs), dim=-1)


def interpolate(weights: torch.Tensor, centroids: torch.Tensor, mode: str) -> torch.Tensor:
    """``(B, 2)`` degrees: the ``weights``-combination of ``centroids`` ``(k, 2)``."""
    if mode == "sphere":
        return unit_to_latlon_torch(weights @ latlon_to_unit_torch(centroids))
    if mode == "latlon":
        return weights @ centroids
    raise ValueError(f"interpolation must be one of {INTERPOLATIONS}, not {mode!r}")


@register
class WorldNet(GeoModel):
    name = "worldnet"
    learns_from_images = True

    def __init__(
        self,
        centroids: list[list[float]] | None = None,
        centroid_names: list[str] | None = None,
        backbone: str = "compact",
        image_size: tuple[int, int] | None = None,
        pretrained: bool = False,
        weights_path: str | None = None,
        interpolation: str = "sphere",
        head_hidden: int = 256,
        dropout: float = 0.2,
        **config: Any,
    ):
        centroids = centroids if centroids is not None else [[0.0, 0.0], [0.0, 90.0]]
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"interpolation must be one of {INTERPOLATIONS}, not {interpolation!r}")
        built = build_backbone(config, backbone, pretrained=pretrained, weights_path=weights_path, image_size=image_size)
        names = list(centroid_names or [f"centroid {i + 1}" for i in range(len(centroids))])
        super().__init__(
            centroids=[list(map(float, c)) for c in centroids], centroid_names=names, backbone=backbone, image_size=list(built.preprocessing.size),
            interpolation=interpolation, head_hidden=head_hidden, dropout=dropout, **config,
        )
        self.normalize = Normalize(built.preprocessing)
        self.backbone = built.module
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(built.channels, len(centroids)))
        self.interpolation_head = InterpolationHead(len(centroids), head_hidden)
        self.register_buffer("centroids", torch.tensor(centroids, dtype=torch.float32))
        self.interpolation = interpolation

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """Pooled backbone features (the kNN baseline can reuse a trained worldNET's)."""
        return self.pool(self.backbone(self.normalize(images)))

    def logits(self, images: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(images))

    def forward(self, images: torch.Tensor) -> GeoOutput:
        probs = torch.softmax(self.logits(images), dim=-1)
        weights = self.interpolation_head(probs)
        return GeoOutput(interpolate(weights, self.centroids, self.interpolation), probs)

    def classifier_parameters(self) -> list[nn.Parameter]:
        return [*self.backbone.parameters(), *self.classifier.parameters()]
