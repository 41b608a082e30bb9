"""Predictions from a checkpoint, with ``worldnet_core`` alone (no training code).

>>> predictor = Predictor.load("worldnet.pt")                      # doctest: +SKIP
>>> [p.lat for p in predictor.predict([Image.open("street.jpg")])]  # doctest: +SKIP

Each prediction is on land (points at sea snap to the nearest coast) and, for
worldNET, carries its top 5 centroids with their probabilities. The device is CUDA
when present unless ``device`` (or ``WORLDNET_DEVICE``) says otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from worldnet_core.checkpoint import load_model
from worldnet_core.device import select_device
from worldnet_core.heatmaps import encode_heatmap
from worldnet_core.images import load_image
from worldnet_core.land import snap_to_land
from worldnet_core.models import GeoModel, GeoOutput, to_float
from worldnet_core.models.worldnet import WorldNet

TOP_K = 5


@dataclass(frozen=True)
class Prediction:
    lat: float
    lon: float
    #: (centroid name, probability), most likely first; empty for models without centroids.
    top: list[tuple[str, float]] = field(default_factory=list)
    #: Where the model saw its top candidate: a small grey PNG (the feature map's grid, 0-255), when asked for.
    heatmap: bytes | None = None


class Predictor:
    def __init__(self, model: GeoModel, *, device: str | torch.device | None = None, checkpoint: dict[str, Any] | None = None) -> None:
        self.device = device if isinstance(device, torch.device) else select_device(device)
        self.model = model.to(self.device).eval()
        self.checkpoint = checkpoint or {}
        self.size = model.preprocessing.size

    @classmethod
    def load(cls, path: str | Path, *, device: str | None = None) -> Predictor:
        model, payload = load_model(Path(path))
        return cls(model, device=device, checkpoint=payload)

    @property
    def metrics(self) -> dict[str, Any]:
        metrics: dict[str, Any] = self.checkpoint.get("metrics", {})
        return metrics

    def prepare(self, images: Sequence[Image.Image | str | Path]) -> torch.Tensor:
        """uint8 ``(B, 3, h, w)`` at the model's input size."""
        return torch.from_numpy(
            np.stack([load_image(image if isinstance(image, Image.Image) else Path(image), self.size) for image in images])
        )

    @torch.inference_mode()
    def predict_tensor(self, batch: torch.Tensor, *, with_maps: bool = False) -> list[Prediction]:
        """Predictions for images already at the model's size (uint8, or floats in [0, 1]).

        ``with_maps``: each prediction also carries its activation map (``heatmap``), when the model has them
        (worldNET does; the baselines do not).
        """
        images = to_float(batch.to(self.device, non_blocking=True))
        maps = None
        if with_maps and isinstance(self.model, WorldNet):
            output, maps = self.model.forward_with_maps(images)
        else:
            output = self.model(images)
        return self.predictions(output, maps)

    def predictions(self, output: GeoOutput, maps: torch.Tensor | None = None) -> list[Prediction]:
        """Predictions from the model's output for a batch: on land, with the top places and the maps when given.

        ``predict_tensor``'s second half, apart so that a training run can score a model whose output it
        computed from cached features (``training.engine.evaluate``) exactly as users get it."""
        latlon = output.latlon.double().cpu().numpy()
        lat, lon = (np.atleast_1d(v) for v in snap_to_land(latlon[:, 0], latlon[:, 1]))
        tops: list[list[tuple[str, float]]] = [[] for _ in range(len(lat))]
        if output.probs is not None:
            probs, index = output.probs.float().topk(min(TOP_K, output.probs.shape[1]), dim=1)
            names = self.model.centroid_names
            tops = [
                [(names[i], float(p)) for p, i in zip(row_p, row_i)] for row_p, row_i in zip(probs.cpu().tolist(), index.cpu().tolist())
            ]
        heatmaps: list[bytes | None] = [encode_heatmap(m) for m in maps.float().cpu().numpy()] if maps is not None else [None] * len(lat)
        return [Prediction(float(a), float(b), t, h) for a, b, t, h in zip(lat, lon, tops, heatmaps)]

    def predict(self, images: Sequence[Image.Image | str | Path], batch_size: int = 64, *, with_maps: bool = False) -> list[Prediction]:
        results: list[Prediction] = []
        for start in range(0, len(images), batch_size):
            results += self.predict_tensor(self.prepare(images[start : start + batch_size]), with_maps=with_maps)
        return results
