"""The training loops of every learned model, and evaluation (torchvision references' shape).

``train_one_epoch`` runs one pass of any stage; the ``fit_*`` functions train one
model each; ``evaluate`` predicts through ``worldnet_core.predictor.Predictor`` (so
metrics are computed after the land snap, as users get them).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset
from tqdm import tqdm

from worldnet_core.geo import haversine_loss
from worldnet_core.images import load_images, to_float
from worldnet_core.manifest import Manifest
from worldnet_core.metrics import geolocation_metrics
from worldnet_core.models import GeoModel
from worldnet_core.models.knn import KNNModel
from worldnet_core.models.regression import RegressionModel
from worldnet_core.models.worldnet import WorldNet
from worldnet_core.predictor import Predictor


@dataclass
class ImageData:
    """An image set in memory: uint8 images at one size, their coordinates and places."""

    images: torch.Tensor  # (N, 3, h, w) uint8
    latlon: torch.Tensor  # (N, 2) float32 degrees
    places: np.ndarray

    def __len__(self) -> int:
        return len(self.images)

    def subset(self, mask: np.ndarray) -> "ImageData":
        index = torch.from_numpy(np.flatnonzero(mask))
        return ImageData(self.images[index], self.latlon[index], self.places[mask])


@dataclass
class TrainSettings:
    epochs: int = 25
    head_epochs: int = 40
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 1e-4
    workers: int = 0
    seed: int = 0
    device: torch.device = torch.device("cpu")
    amp: bool = True  # mixed precision where the device has it (CUDA)
    progress: bool = True


def load_data(manifest: Manifest, size: tuple[int, int], *, progress: bool = True, desc: str = "images") -> ImageData:
    paths = [manifest.absolute_path(r) for r in manifest]
    wrap = (lambda items: tqdm(items, desc=f"loading {desc}", unit="img", disable=not progress or None, leave=False)) if progress else None
    images = load_images(paths, size, progress=wrap)
    latlon = torch.tensor(np.stack([manifest.lats(), manifest.lons()], axis=1), dtype=torch.float32)
    return ImageData(images, latlon, manifest.places())


# --- distributed (torchrun) ----------------------------------------------------------


def init_distributed(device: torch.device) -> tuple[int, int]:
    """``(rank, world_size)``; starts the process group when run under torchrun."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return (dist.get_rank(), world_size) if dist.is_initialized() else (0, 1)


def is_main_process() -> bool:
    return not dist.is_initialized() or dist.get_rank() == 0


def _parallel(module: nn.Module, device: torch.device) -> nn.Module:
    if dist.is_initialized() and any(p.requires_grad for p in module.parameters()):
        return nn.parallel.DistributedDataParallel(module, device_ids=[device.index] if device.type == "cuda" else None)
    return module


def _loader(dataset: TensorDataset, settings: TrainSettings, shuffle: bool = True) -> DataLoader:
    sampler = DistributedSampler(dataset, shuffle=shuffle, seed=settings.seed) if dist.is_initialized() else None
    generator = torch.Generator().manual_seed(settings.seed)
    return DataLoader(
        dataset, batch_size=settings.batch_size, shuffle=shuffle and sampler is None, sampler=sampler, generator=generator,
        num_workers=settings.workers, drop_last=len(dataset) > settings.batch_size,
    )


# --- one epoch -----------------------------------------------------------------------


def augment(images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Small shifts and exposure changes. No horizontal flips: they would swap the driving side."""
    batch, _, height, width = images.shape
    dy, dx = (int(torch.randint(-s // 16, s // 16 + 1, (1,), generator=generator)) for s in (height, width))
    images = torch.roll(images, shifts=(dy, dx), dims=(2, 3))
    gain = 1.0 + 0.15 * (torch.rand(batch, 1, 1, 1, generator=generator) - 0.5)
    return (images * gain.to(images.device)).clamp_(0.0, 1.0)


def train_one_epoch(
    stage: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None,
    loader: DataLoader,
    settings: TrainSettings,
    *,
    epoch: int,
    desc: str,
    augment_images: bool = True,
) -> float:
    """One pass over ``loader``; returns the mean loss. ``stage(inputs)`` gives what ``loss_fn`` scores."""
    if isinstance(loader.sampler, DistributedSampler):
        loader.sampler.set_epoch(epoch)
    device = settings.device
    generator = torch.Generator().manual_seed(settings.seed * 1000 + epoch)
    use_amp = settings.amp and device.type == "cuda"
    total, count = 0.0, 0
    bar = tqdm(loader, desc=f"{desc} epoch {epoch + 1}", unit="batch", leave=False, disable=not (settings.progress and is_main_process()) or None)
    for inputs, targets in bar:
        inputs, targets = inputs.to(device, non_blocking=True), targets.to(device, non_blocking=True)
        if inputs.dtype == torch.uint8:
            inputs = to_float(inputs)
            if augment_images:
                inputs = augment(inputs, generator)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
            loss = loss_fn(stage(inputs), targets)
        optimizer.zero_grad(set_to_none=True)
        loss.float().backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        total += float(loss.detach()) * len(inputs)
        count += len(inputs)
        bar.set_postfix(loss=f"{total / count:.3f}")
    return total / max(count, 1)


def _optimizer(parameters: Iterable[nn.Parameter], settings: TrainSettings, steps: int) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler]:
    optimizer = torch.optim.AdamW([p for p in parameters if p.requires_grad], lr=settings.lr, weight_decay=settings.weight_decay)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=settings.lr, total_steps=max(steps, 1), pct_start=0.15)
    return optimizer, scheduler


def _run(stage: nn.Module, loss_fn, parameters, dataset: TensorDataset, settings: TrainSettings, epochs: int, desc: str, log: Callable[[str], None], augment_images: bool = True) -> float:
    loader = _loader(dataset, settings)
    optimizer, scheduler = _optimizer(parameters, settings, epochs * len(loader))
    parallel = _parallel(stage, settings.device)
    loss = math.nan
    for epoch in range(epochs):
        loss = train_one_epoch(parallel, loss_fn, optimizer, scheduler, loader, settings, epoch=epoch, desc=desc, augment_images=augment_images)
        if epoch == epochs - 1 or (epoch + 1) % max(1, epochs // 5) == 0:
            log(f"{desc}: epoch {epoch + 1}/{epochs} loss {loss:.4f}")
    return loss


# --- the models ----------------------------------------------------------------------


class _Call(nn.Module):
    """Makes one method of a model a module's forward, so DDP can wrap a training stage."""

    def __init__(self, model: nn.Module, method: Callable[[torch.Tensor], torch.Tensor]):
        super().__init__()
        self.model = model
        self.method = method

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.method(inputs)


def fit_classifier(model: WorldNet, data: ImageData, labels: torch.Tensor, settings: TrainSettings, log: Callable[[str], None] = print) -> float:
    """worldNET step 2: the backbone and classifier over centroids, with cross-entropy."""
    model.to(settings.device).train()
    dataset = TensorDataset(data.images, labels)
    stage = _Call(model, model.logits)
    # Not part of this stage: DDP expects every trainable parameter of the module it wraps to get a gradient.
    model.interpolation_head.requires_grad_(False)
    try:
        loss = _run(stage, nn.functional.cross_entropy, model.classifier_parameters(), dataset, settings, settings.epochs, "classifier", log)
    finally:
        model.interpolation_head.requires_grad_(True)
    model.eval()
    return loss


@torch.inference_mode()
def classifier_probs(model: WorldNet, images: torch.Tensor, settings: TrainSettings) -> torch.Tensor:
    model.to(settings.device).eval()
    out = [torch.softmax(model.logits(to_float(batch.to(settings.device))), dim=-1).float().cpu() for batch in images.split(256)]
    return torch.cat(out)


def fit_interpolation(model: WorldNet, probs: torch.Tensor, latlon: torch.Tensor, settings: TrainSettings, log: Callable[[str], None] = print) -> float:
    """worldNET step 3: the interpolation head on the frozen classifier's distributions, Haversine loss."""
    from worldnet_core.models.worldnet import interpolate

    model.to(settings.device).eval()
    head = model.interpolation_head.train()
    stage = _Call(head, lambda p: interpolate(head(p), model.centroids, model.interpolation))
    dataset = TensorDataset(probs, latlon)
    loss = _run(stage, haversine_loss, head.parameters(), dataset, settings, settings.head_epochs, f"interpolation ({model.interpolation})", log, augment_images=False)
    model.eval()
    return loss


def fit_worldnet(model: WorldNet, data: ImageData, labels: torch.Tensor, settings: TrainSettings, *, head_data: ImageData | None = None, log: Callable[[str], None] = print) -> None:
    """Steps 2 and 3. ``head_data``: images for the interpolation head (default: the classifier's)."""
    fit_classifier(model, data, labels, settings, log)
    head_data = head_data or data
    fit_interpolation(model, classifier_probs(model, head_data.images, settings), head_data.latlon, settings, log)


def fit_regression(model: RegressionModel, data: ImageData, settings: TrainSettings, log: Callable[[str], None] = print) -> float:
    model.to(settings.device).train()
    if model.frozen_backbone:
        model.backbone.eval()  # keep pretrained batch-norm statistics
    stage = _Call(model, lambda images: model(images).latlon)
    loss = _run(stage, haversine_loss, model.parameters(), TensorDataset(data.images, data.latlon), settings, settings.epochs, "regression", log)
    model.eval()
    return loss


@torch.inference_mode()
def fit_knn(model: KNNModel, data: ImageData, settings: TrainSettings, *, trained_backbone: nn.Module | None = None) -> None:
    """Indexes the training descriptors; ``trained_backbone`` (e.g. worldNET's) replaces an untrained one."""
    if trained_backbone is not None:
        model.backbone.load_state_dict(trained_backbone.state_dict())
    model.to(settings.device).eval()
    descriptors = torch.cat([model.descriptors(to_float(batch.to(settings.device))).float().cpu() for batch in data.images.split(256)])
    model.set_bank(descriptors, data.latlon)


# --- evaluation ----------------------------------------------------------------------


@dataclass
class Evaluation:
    metrics: dict[str, float]
    predicted: np.ndarray  # (N, 2) after the land snap
    top1: list[str]


def evaluate(model: GeoModel, data: ImageData, settings: TrainSettings, *, scale_km: float) -> Evaluation:
    """Metrics of ``model`` on ``data``, computed on the predictor's (land-snapped) output."""
    predictor = Predictor(model, device=settings.device)
    predictions = []
    for batch in data.images.split(256):
        predictions += predictor.predict_tensor(batch)
    predicted = np.array([[p.lat, p.lon] for p in predictions])
    truth = data.latlon.double().numpy()
    metrics = geolocation_metrics(truth[:, 0], truth[:, 1], predicted[:, 0], predicted[:, 1], scale_km=scale_km)
    return Evaluation(metrics, predicted, [p.top[0][0] if p.top else "" for p in predictions])
