"""Great-circle geometry in torch, differentiable: the training loss and worldNET's interpolation.

The same formulas as ``worldnet_core.geo`` (NumPy), kept apart so that what the web side
needs of geometry (scores, scales, distances) never imports torch.

>>> import torch
>>> round(float(haversine_km_torch(torch.tensor([51.5074, -0.1278]), torch.tensor([48.8566, 2.3522]))), 1)  # London-Paris
343.6
"""

from __future__ import annotations

import torch

from worldnet_core.geo import EARTH_RADIUS_KM

# Keeps sqrt and atan2 away from their infinite-slope ends (0 km and antipodes), so
# the loss has finite gradients everywhere; the cost is < 1 m of distance.
_HAVERSINE_EPS = 1e-14


def haversine_km_torch(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Great-circle km between ``(..., 2)`` tensors of ``(lat, lon)`` degrees; differentiable."""
    lat1, lon1 = torch.deg2rad(pred[..., 0]), torch.deg2rad(pred[..., 1])
    lat2, lon2 = torch.deg2rad(target[..., 0]), torch.deg2rad(target[..., 1])
    h = torch.sin((lat2 - lat1) / 2) ** 2 + torch.cos(lat1) * torch.cos(lat2) * torch.sin((lon2 - lon1) / 2) ** 2
    h = h.clamp(_HAVERSINE_EPS, 1.0 - _HAVERSINE_EPS)
    return 2.0 * EARTH_RADIUS_KM * torch.atan2(torch.sqrt(h), torch.sqrt(1.0 - h))


def haversine_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean great-circle km over a batch: the paper's training loss."""
    return haversine_km_torch(pred, target).mean()


def unit_to_latlon_torch(xyz: torch.Tensor) -> torch.Tensor:
    """``(..., 2)`` degrees from ``(..., 3)`` vectors, normalised on the way (differentiably)."""
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    # hypot has a NaN gradient at the poles' exact axis; the epsilon keeps it finite.
    horizontal = torch.sqrt(x * x + y * y + 1e-18)
    return torch.rad2deg(torch.stack([torch.atan2(z, horizontal), torch.atan2(y, x + 0.0)], dim=-1))


def latlon_to_unit_torch(latlon: torch.Tensor) -> torch.Tensor:
    """``(..., 3)`` unit vectors from ``(..., 2)`` degrees."""
    lat, lon = torch.deg2rad(latlon[..., 0]), torch.deg2rad(latlon[..., 1])
    return torch.stack([torch.cos(lat) * torch.cos(lon), torch.cos(lat) * torch.sin(lon), torch.sin(lat)], dim=-1)


__all__ = ["haversine_km_torch", "haversine_loss", "latlon_to_unit_torch", "unit_to_latlon_torch"]
