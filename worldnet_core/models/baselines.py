"""The paper's control models: the mean, a random point on land, a random training location."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from worldnet_core.geo import spherical_mean
from worldnet_core.models.base import GeoModel, GeoOutput, register


@register
class MeanModel(GeoModel):
    """Always the spherical mean of the training locations."""

    name = "mean"

    point: torch.Tensor  # (2,) degrees

    def __init__(self, lat: float = 0.0, lon: float = 0.0, **config: Any) -> None:
        super().__init__(lat=lat, lon=lon, **config)
        self.register_buffer("point", torch.tensor([lat, lon], dtype=torch.float64))

    @classmethod
    def fit(cls, lat: NDArray[np.float64], lon: NDArray[np.float64], **config: Any) -> MeanModel:
        mean_lat, mean_lon = spherical_mean(lat, lon)
        return cls(lat=mean_lat, lon=mean_lon, **config)

    def forward(self, images: torch.Tensor) -> GeoOutput:
        return GeoOutput(self.point.to(images.device).expand(len(images), 2).clone())


@register
class RandomLandModel(GeoModel):
    """A uniformly random point on land (uniform on the sphere, kept when on land)."""

    name = "random"

    def __init__(self, seed: int = 0, **config: Any) -> None:
        super().__init__(seed=seed, **config)
        self._rng = np.random.default_rng(seed)

    @classmethod
    def fit(cls, lat: NDArray[np.float64], lon: NDArray[np.float64], seed: int = 0, **config: Any) -> RandomLandModel:
        return cls(seed=seed, **config)

    def forward(self, images: torch.Tensor) -> GeoOutput:
        from worldnet_core.land import is_land

        chosen: list[NDArray[np.float64]] = []
        needed = len(images)
        while needed > 0:
            # Uniform on the sphere: z uniform in [-1, 1]; land is ~29% of it.
            n = max(64, needed * 5)
            lat = np.degrees(np.arcsin(self._rng.uniform(-1, 1, n)))
            lon = self._rng.uniform(-180, 180, n)
            keep = np.flatnonzero(is_land(lat, lon))[:needed]
            chosen.append(np.stack([lat[keep], lon[keep]], axis=1))
            needed -= len(keep)
        return GeoOutput(torch.from_numpy(np.concatenate(chosen)).to(images.device))


@register
class GuessModel(GeoModel):
    """The location of a random training image."""

    name = "guess"

    locations: torch.Tensor  # (n_locations, 2) degrees

    def __init__(self, n_locations: int = 1, seed: int = 0, **config: Any) -> None:
        super().__init__(n_locations=n_locations, seed=seed, **config)
        self.register_buffer("locations", torch.zeros(n_locations, 2, dtype=torch.float64))
        self._generator = torch.Generator().manual_seed(seed)

    @classmethod
    def fit(cls, lat: NDArray[np.float64], lon: NDArray[np.float64], seed: int = 0, **config: Any) -> GuessModel:
        model = cls(n_locations=len(lat), seed=seed, **config)
        model.locations.copy_(torch.from_numpy(np.stack([lat, lon], axis=1)))
        return model

    def forward(self, images: torch.Tensor) -> GeoOutput:
        pick = torch.randint(len(self.locations), (len(images),), generator=self._generator)
        return GeoOutput(self.locations[pick].to(images.device))
