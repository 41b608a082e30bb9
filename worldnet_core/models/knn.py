"""The nearest-neighbour baseline: backbone descriptors, then mean-shift over the neighbours' locations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from worldnet_core.geo import EARTH_RADIUS_KM, latlon_to_unit, unit_to_latlon
from worldnet_core.model_choices import DEFAULT_BACKBONE, KNN
from worldnet_core.models.backbones import Preprocessing
from worldnet_core.models.base import GeoModel, GeoOutput, Normalize, build_backbone, model_preprocessing, register
from worldnet_core.models.freezing import SplitBackbone


@register
class KNNModel(GeoModel):
    """For a query: its ``k`` nearest training descriptors (cosine), mean-shift over their
    locations on the sphere (bandwidth ``bandwidth_km``), the centre of the most populous
    cluster. Descriptors are pooled backbone features, L2-normalised.
    """

    name = "knn"
    learns_from_images = True

    bank: torch.Tensor  # (n_bank, C) descriptors of the training images
    bank_latlon: torch.Tensor  # (n_bank, 2) their locations, degrees
    split: SplitBackbone

    def __init__(
        self,
        backbone: str = DEFAULT_BACKBONE,
        image_size: Sequence[int] | None = None,
        preprocessing: Preprocessing | None = None,
        pretrained: bool = True,
        weights_path: str | None = None,
        n_bank: int = 1,
        k: int = KNN.k,
        bandwidth_km: float = KNN.bandwidth_km,
        **config: Any,
    ) -> None:
        preprocessing = model_preprocessing(backbone, image_size, preprocessing)
        built = build_backbone(config, backbone, pretrained=pretrained, weights_path=weights_path)
        super().__init__(preprocessing=preprocessing, backbone=backbone, n_bank=n_bank, k=k, bandwidth_km=bandwidth_km, **config)
        self.normalize = Normalize(preprocessing)
        self.backbone = built.module
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        # It never trains its backbone: the whole of it is frozen, and a training run computes each
        # photo's pooled features once (shared with worldNET and the regression on the same backbone).
        self.split = SplitBackbone(backbone, self.backbone, self.normalize, self.pool, training="frozen", trainable_blocks=1)
        self.register_buffer("bank", torch.zeros(n_bank, built.channels))
        self.register_buffer("bank_latlon", torch.zeros(n_bank, 2, dtype=torch.float64))

    def descriptors(self, images: torch.Tensor) -> torch.Tensor:
        return nn.functional.normalize(self.pool(self.backbone(self.normalize(images))), dim=1)

    def descriptors_from_features(self, features: torch.Tensor) -> torch.Tensor:
        """Descriptors from pooled features (``split.frozen``'s output)."""
        return nn.functional.normalize(features, dim=1)

    def set_bank(self, descriptors: torch.Tensor, latlon: torch.Tensor) -> None:
        self.bank = descriptors.detach().to(self.bank.dtype).clone()
        self.bank_latlon = latlon.detach().to(torch.float64).clone()
        self.config["n_bank"] = len(descriptors)

    def forward(self, images: torch.Tensor) -> GeoOutput:
        return self.from_descriptors(self.descriptors(images))

    def from_descriptors(self, descriptors: torch.Tensor) -> GeoOutput:
        """The guess for each of ``descriptors`` (normalised pooled features)."""
        from sklearn.cluster import MeanShift

        similarity = descriptors @ self.bank.T.to(descriptors.device)
        k = min(int(self.config["k"]), len(self.bank))
        neighbours = similarity.topk(k, dim=1).indices.cpu().numpy()
        locations = self.bank_latlon.cpu().numpy()
        bandwidth = float(self.config["bandwidth_km"]) / EARTH_RADIUS_KM  # chord ≈ arc at this scale
        out = np.empty((len(descriptors), 2))
        for row, idx in enumerate(neighbours):
            points = latlon_to_unit(locations[idx, 0], locations[idx, 1])
            shift = MeanShift(bandwidth=bandwidth).fit(points)
            biggest = np.bincount(shift.labels_).argmax()
            out[row] = np.array(unit_to_latlon(shift.cluster_centers_[biggest]))
        return GeoOutput(torch.from_numpy(out).to(descriptors.device))
