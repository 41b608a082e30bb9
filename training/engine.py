"""The training loops of every learned model, and evaluation (torchvision references' shape).

``train_one_epoch`` runs one pass of any stage; the ``fit_*`` functions train one
model each; ``evaluate`` predicts through ``worldnet_core.predictor.Predictor`` (so
metrics are computed after the land snap, as users get them).
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sized
from dataclasses import dataclass, field
from typing import TextIO, TypeVar, cast

import numpy as np
import torch
import torch.distributed as dist
from numpy.typing import NDArray
from torch import nn
from torch.utils.data import ConcatDataset, DataLoader, Dataset, DistributedSampler, TensorDataset
from tqdm import tqdm

from training.feature_cache import FeatureCache, FeatureRows, Labelled
from training.loop_settings import LoopSettings
from worldnet_core.device import mixed_precision_available, select_device
from worldnet_core.geo_torch import haversine_km_torch, haversine_loss
from worldnet_core.images import load_images
from worldnet_core.manifest import Manifest
from worldnet_core.metrics import geolocation_metrics
from worldnet_core.models import GeoModel, GeoOutput, to_float
from worldnet_core.models.knn import KNNModel
from worldnet_core.models.regression import RegressionModel
from worldnet_core.models.worldnet import WorldNet, tta_shifts
from worldnet_core.predictor import Predictor


@dataclass
class ImageData:
    """An image set in memory: uint8 images at one size, their coordinates and places, and each photo's
    key (its path: a run's feature cache knows a photo by it, in any subset)."""

    images: torch.Tensor  # (N, 3, h, w) uint8
    latlon: torch.Tensor  # (N, 2) float32 degrees
    places: np.ndarray
    keys: np.ndarray

    def __len__(self) -> int:
        return len(self.images)

    def subset(self, mask: np.ndarray) -> ImageData:
        index = torch.from_numpy(np.flatnonzero(mask))
        return ImageData(self.images[index], self.latlon[index], self.places[mask], self.keys[mask])


@dataclass
class TrainSettings(LoopSettings):
    """The loops' numbers (``LoopSettings``: the program's flags) and what a run in this process adds."""

    #: As the programs' --device: WORLDNET_DEVICE, else CUDA when present, else the CPU.
    device: torch.device = field(default_factory=select_device)
    #: Told of every step of every loop (see ``ProgressHook``): a live view, a cancel check.
    hook: ProgressHook | None = None
    #: Put before every stage's name in bars, lines and the hook ("fold 1 of 2: "): a cross-fitting's fold models.
    stage_prefix: str = ""
    #: The run's frozen features (``training.feature_cache``), shared by its models, folds and variants.
    features: FeatureCache = field(default_factory=FeatureCache)


def uses_mixed_precision(settings: TrainSettings) -> bool:
    """Whether the backbones train under bf16 autocast: ``amp`` on CUDA, ``cpu_bf16`` on a CPU that computes bf16."""
    if not settings.amp or not mixed_precision_available(settings.device):
        return False
    return settings.device.type == "cuda" or settings.cpu_bf16


def precision_note(settings: TrainSettings) -> str:
    """For a log's device line: says when training runs in bf16 mixed precision."""
    return ", bf16 mixed precision" if uses_mixed_precision(settings) else ""


# --- progress ------------------------------------------------------------------------

T = TypeVar("T")
#: Called with a loop's ``Progress`` when it starts and after every step (batch, epoch, image),
#: in the training process: the admin's training runs record their stage and loss through it, and
#: stop a cancelled run by raising from it (between two batches, so nothing is left half-updated).
ProgressHook = Callable[["Progress"], None]
#: In a log (a pipe, a file), a plain line at most this often, besides every tenth of the way and the end.
PLAIN_EVERY_S = 10.0


def bars_wanted(settings_progress: bool) -> bool:
    """Bars only where a person watches: progress on, the main process, stderr (tqdm's) a terminal.

    Anywhere else a bar's carriage returns turn a log into one endless line; callers
    write plain lines instead.
    """
    return settings_progress and is_main_process() and sys.stderr.isatty()


class Progress:
    """Progress of one loop: a tqdm bar on a terminal, or plain lines through ``log``.

    Plain lines come every tenth of the way (``tenths``; at most one a second), every
    ``PLAIN_EVERY_S`` seconds when steps are slow, and at the end: a log file shows a
    training run advancing without a line per batch. ``unit`` is plural ("images").
    """

    def __init__(
        self,
        *,
        total: int,
        desc: str,
        unit: str,
        bars: bool,
        log: Callable[[str], None] | None,
        leave: bool = True,
        tenths: bool = True,
        file: TextIO | None = None,
        hook: ProgressHook | None = None,
    ):
        self.total, self.desc, self.unit, self.log, self.tenths, self.hook = total, desc, unit, log, tenths, hook
        self.done = 0
        self.started = self.last_line = time.perf_counter()
        self.postfix = ""
        self.values: dict[str, float] = {}  # the last postfix, as numbers (the hook's loss)
        self.bar = tqdm(total=total, desc=desc, unit=unit, leave=leave, dynamic_ncols=True, file=file) if bars else None
        if hook is not None:
            hook(self)

    def update(self, steps: int = 1, **postfix: float) -> None:
        self.done += steps
        if postfix:
            self.values = dict(postfix)
            self.postfix = ", ".join(f"{k} {v:.4f}" for k, v in postfix.items())
        if self.hook is not None:
            self.hook(self)
        if self.bar is not None:
            self.bar.update(steps)
            if postfix:
                self.bar.set_postfix({k: f"{v:.4f}" for k, v in postfix.items()}, refresh=False)
            return
        if self.log is None:
            return
        now = time.perf_counter()
        tenth = max(1, self.total // 10)
        crossed_tenth = self.tenths and self.done // tenth != (self.done - steps) // tenth
        if self.done >= self.total or (crossed_tenth and now - self.last_line >= 1.0) or now - self.last_line >= PLAIN_EVERY_S:
            self.last_line = now
            shown = f", {self.postfix}" if self.postfix else ""
            self.log(f"{self.desc}: {self.done}/{self.total} {self.unit}{shown} ({now - self.started:.1f} s)")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def wrap(self, items: Iterable[T]) -> Iterator[T]:
        """``items``, counting each one as it is taken."""
        try:
            for item in items:
                yield item
                self.update()
        finally:
            self.close()


def load_data(
    manifest: Manifest,
    size: tuple[int, int],
    *,
    progress: bool = True,
    desc: str = "images",
    log: Callable[[str], None] | None = None,
    hook: ProgressHook | None = None,
) -> ImageData:
    """Every image of ``manifest`` at ``size``; a bar on a terminal, else plain lines through ``log`` (if any)."""
    paths = [manifest.absolute_path(r) for r in manifest]
    bars = bars_wanted(progress)
    wrap = None
    if bars or log is not None or hook is not None:
        wrap = Progress(total=len(paths), desc=f"loading {desc}", unit="images", bars=bars, log=log, leave=False, hook=hook).wrap
    images = torch.from_numpy(load_images(paths, size, progress=wrap))
    latlon = torch.tensor(np.stack([manifest.lats(), manifest.lons()], axis=1), dtype=torch.float32)
    return ImageData(images, latlon, manifest.places(), np.array([str(path) for path in paths], dtype=object))


# --- distributed (torchrun) ----------------------------------------------------------


def init_distributed(device: torch.device) -> tuple[int, int]:
    """``(rank, world_size)``; starts the process group when run under torchrun."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return (dist.get_rank(), world_size) if dist.is_initialized() else (0, 1)


def finish_distributed() -> None:
    """Waits for every process, then ends the process group, once the collective work is done:
    a rank that simply exited while rank 0 went on tore down gloo's threads under it
    ("terminate called without an active exception", SIGABRT)."""
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def is_main_process() -> bool:
    return not dist.is_initialized() or dist.get_rank() == 0


def _parallel(module: nn.Module, device: torch.device) -> nn.Module:
    if dist.is_initialized() and any(p.requires_grad for p in module.parameters()):
        return nn.parallel.DistributedDataParallel(module, device_ids=[device.index] if device.type == "cuda" else None)
    return module


def _loader(dataset: Dataset, settings: TrainSettings, shuffle: bool = True) -> DataLoader:
    sampler: DistributedSampler[tuple[torch.Tensor, ...]] | None = (
        DistributedSampler(dataset, shuffle=shuffle, seed=settings.seed) if dist.is_initialized() else None
    )
    generator = torch.Generator().manual_seed(settings.seed)
    return DataLoader(
        dataset,
        batch_size=settings.batch_size,
        shuffle=shuffle and sampler is None,
        sampler=sampler,
        generator=generator,
        num_workers=settings.workers,
        drop_last=len(cast(Sized, dataset)) > settings.batch_size,
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
    log: Callable[[str], None] | None = None,
    slow_epoch_lines: bool = False,
    runs_backbone: bool | None = None,
) -> float:
    """One pass over ``loader``; returns the mean loss. ``stage(inputs)`` gives what ``loss_fn`` scores.

    Inputs are images (uint8: augmented unless told not to) or a frozen part's cached outputs (floats).
    ``runs_backbone``: whether the stage runs backbone blocks, under bf16 autocast where that is on
    (default: when its inputs are images)."""
    if isinstance(loader.sampler, DistributedSampler):
        loader.sampler.set_epoch(epoch)
    device = settings.device
    generator = torch.Generator().manual_seed(settings.seed * 1000 + epoch)
    use_amp = uses_mixed_precision(settings)
    total, count = 0.0, 0
    # The batch bar sits under the stage's epoch bar and vanishes when the epoch ends; in a
    # log, batches are too many to list (the epoch lines say enough) unless an epoch is slow.
    batches = Progress(
        total=len(loader),
        desc=f"{desc} epoch {epoch + 1}",
        unit="batches",
        bars=bars_wanted(settings.progress),
        log=log if slow_epoch_lines else None,
        leave=False,
        tenths=False,
        hook=settings.hook,
    )
    for inputs, targets in loader:
        inputs, targets = inputs.to(device, non_blocking=True), targets.to(device, non_blocking=True)
        images = inputs.dtype == torch.uint8
        if images:
            inputs = to_float(inputs)
            if augment_images:
                inputs = augment(inputs, generator)
        # bf16 only where backbone blocks run: a head mixing centroids in bf16 would round
        # its guesses to some 25 km (bf16 keeps 8 bits of a unit vector's coordinates).
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp and (images if runs_backbone is None else runs_backbone)):
            loss = loss_fn(stage(inputs).float(), targets)
        optimizer.zero_grad(set_to_none=True)
        loss.float().backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        total += float(loss.detach()) * len(inputs)
        count += len(inputs)
        batches.update(loss=total / count)
    batches.close()
    return total / max(count, 1)


def _optimizer(
    parameters: Iterable[nn.Parameter], settings: TrainSettings, steps: int
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler]:
    optimizer = torch.optim.AdamW([p for p in parameters if p.requires_grad], lr=settings.lr, weight_decay=settings.weight_decay)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=settings.lr, total_steps=max(steps, 1), pct_start=0.15)
    return optimizer, scheduler


def _run(
    stage: nn.Module,
    loss_fn,
    parameters,
    dataset: Dataset,
    settings: TrainSettings,
    epochs: int,
    desc: str,
    log: Callable[[str], None],
    augment_images: bool = True,
    runs_backbone: bool | None = None,
) -> float:
    desc = settings.stage_prefix + desc
    loader = _loader(dataset, settings)
    optimizer, scheduler = _optimizer(parameters, settings, epochs * len(loader))
    parallel = _parallel(stage, settings.device)
    loss = math.nan
    # One bar for the stage, its postfix the last epoch's loss; in a log, the same as plain lines.
    stage_progress = Progress(
        total=epochs,
        desc=desc,
        unit="epochs",
        bars=bars_wanted(settings.progress),
        log=log if is_main_process() else None,
        hook=settings.hook,
    )
    started = time.perf_counter()
    for epoch in range(epochs):
        # Batch lines only when epochs are long enough for a log to look stuck between epoch lines.
        slow = epoch > 0 and (time.perf_counter() - started) / epoch > PLAIN_EVERY_S
        loss = train_one_epoch(
            parallel,
            loss_fn,
            optimizer,
            scheduler,
            loader,
            settings,
            epoch=epoch,
            desc=desc,
            augment_images=augment_images,
            log=log if is_main_process() else None,
            slow_epoch_lines=slow,
            runs_backbone=runs_backbone,
        )
        stage_progress.update(loss=loss)
    stage_progress.close()
    if stage_progress.bar is not None:  # the bar is gone from a log's view; say where the stage ended
        log(f"{desc}: {epochs} epochs, loss {loss:.4f} ({time.perf_counter() - started:.1f} s)")
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


# --- frozen features -----------------------------------------------------------------
#
# With part of a pretrained backbone frozen, that part runs once per training photo and view in a run
# (``training.feature_cache``), and training starts from its cached output every epoch.
#
# Views: the photo as the predictor sees it and, with ``feature_views`` K > 1, K - 1 augmented copies
# (the shifts and exposure changes of ``augment``), each drawn once. One view by default: a frozen
# backbone needs no augmentation to keep it from memorising (its weights do not move), the head that
# trains on its features is small (a linear layer over 1,280 features for worldNET), every view costs a
# pass through the backbone, and the cached view is then exactly what the predictor computes. Whether
# more views help is for the measurements to say. Test-time augmentation's three shifted copies, when a
# model uses it, are views of their own, cached the same way.


def uses_frozen_features(model: GeoModel) -> bool:
    """Whether ``model`` trains from a frozen part's cached output rather than from images."""
    if model.split is None or not model.split.any_frozen or not model.config.get("backbone_pretrained"):
        return False  # (kNN on the backbone worldNET trained from scratch computes its descriptors as before)
    # A regression flattens a backbone it trains; only its pooled (frozen) features are cached.
    return not isinstance(model, RegressionModel) or bool(model.config.get("pooled"))


def _view_transform(view: str, settings: TrainSettings) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """How a batch of float images becomes ``view``: "photo", "augmented K" or "tta K"."""
    if view == "photo":
        return None
    kind, _, number = view.partition(" ")
    if kind == "augmented":
        generator = torch.Generator().manual_seed(settings.seed * 1000 + 997 * int(number))
        return lambda batch: augment(batch, generator)
    if kind == "tta":
        return lambda batch: tta_shifts(batch)[int(number) - 1](batch)
    raise ValueError(f"unknown view {view!r}")


def frozen_rows(
    model: GeoModel, data: ImageData, settings: TrainSettings, view: str = "photo", log: Callable[[str], None] | None = None
) -> FeatureRows:
    """The cached output of ``model``'s frozen part for each photo of ``data`` (computed where not cached yet)."""
    split = model.split
    if split is None:
        raise ValueError(f"{model.name} has no backbone")
    model.to(settings.device)
    cache = settings.features
    missing = cache.missing(split, data.keys.tolist(), data.images, view=view)
    progress = None
    if missing:
        progress = Progress(
            total=missing,
            desc=settings.stage_prefix + ("computing frozen features" + ("" if view == "photo" else f" ({view})")),
            unit="images",
            bars=bars_wanted(settings.progress),
            log=log if is_main_process() else None,
            leave=False,
            hook=settings.hook,
        )
    try:
        return cache.rows(
            split,
            data.keys.tolist(),
            data.images,
            view=view,
            transform=_view_transform(view, settings),
            device=settings.device,
            on_batch=progress.update if progress is not None else None,
            log=log if is_main_process() else None,
        )
    finally:
        if progress is not None:
            progress.close()


def training_views(model: GeoModel, data: ImageData, settings: TrainSettings, log: Callable[[str], None] | None) -> list[FeatureRows]:
    """The views a stage trains on: the photo, then ``feature_views`` - 1 augmented copies."""
    names = ["photo", *(f"augmented {k}" for k in range(1, settings.feature_views))]
    return [frozen_rows(model, data, settings, view, log) for view in names]


def _labelled(views: list[FeatureRows], targets: torch.Tensor) -> Dataset:
    return ConcatDataset([Labelled(rows, targets) for rows in views]) if len(views) > 1 else Labelled(views[0], targets)


def fit_classifier(
    model: WorldNet, data: ImageData, labels: torch.Tensor, settings: TrainSettings, log: Callable[[str], None] = print
) -> float:
    """worldNET step 2: the backbone and classifier over centroids, with cross-entropy."""
    model.to(settings.device).train()
    targets = (
        smoothed_targets(data.latlon, model.centroids.cpu(), settings.label_smoothing_km) if settings.label_smoothing_km > 0 else labels
    )
    frozen = uses_frozen_features(model)
    if frozen:
        dataset: Dataset = _labelled(training_views(model, data, settings, log), targets)
        stage = _Call(model, lambda features: model.classifier(model.split.trainable(features)))
    else:
        dataset = TensorDataset(data.images, targets)
        stage = _Call(model, model.logits)
    # Not part of this stage: DDP expects every trainable parameter of the module it wraps to get a gradient.
    model.interpolation_head.requires_grad_(False)
    try:
        loss = _run(
            stage,
            nn.functional.cross_entropy,
            model.classifier_parameters(),
            dataset,
            settings,
            settings.epochs,
            "classifier",
            log,
            augment_images=not frozen,
            runs_backbone=not model.split.all_frozen if frozen else None,
        )
    finally:
        model.interpolation_head.requires_grad_(True)
    model.eval()
    return loss


def smoothed_targets(latlon: torch.Tensor, centroids: torch.Tensor, scale_km: float) -> torch.Tensor:
    """Haversine-smoothed labels (PIGEON, Haas et al. 2024): each centroid gets
    ``exp(-(d_j - d_min) / scale_km)``, normalised, where ``d_j`` is the image's distance to it.

    A photo of Lyon then teaches "mostly Paris, some Madrid, no Sydney": the classifier learns
    that near places look alike, which is what an unseen place needs.
    """
    n, k = len(latlon), len(centroids)
    distance = haversine_km_torch(latlon.double()[:, None, :].expand(n, k, 2), centroids.double()[None, :, :].expand(n, k, 2))
    return torch.softmax(-(distance - distance.min(dim=1, keepdim=True).values) / scale_km, dim=1).float()


@torch.inference_mode()
def classifier_probs(
    model: WorldNet,
    data: ImageData | torch.Tensor,
    settings: TrainSettings,
    *,
    in_bank: bool = False,
    log: Callable[[str], None] | None = None,
) -> torch.Tensor:
    """worldNET's distributions for ``data``'s photos, as at inference (retrieval, TTA). ``in_bank``: the
    photos are the bank's own, in order: each is left out of its own neighbours, as a new photo would be.

    Given an ``ImageData`` and a model whose backbone is partly frozen, from the run's cached features
    (the same numbers the predictor computes from the images)."""
    model.to(settings.device).eval()
    if isinstance(data, ImageData) and uses_frozen_features(model):
        return _cached_probs(model, data, settings, in_bank=in_bank, log=log)
    images = data.images if isinstance(data, ImageData) else data
    out = []
    for start in range(0, len(images), 256):
        batch = to_float(images[start : start + 256].to(settings.device))
        rows = torch.arange(start, start + len(batch), device=settings.device) if in_bank else None
        out.append(model.probs(batch, bank_rows=rows).float().cpu())
    return torch.cat(out)


def _cached_probs(
    model: WorldNet, data: ImageData, settings: TrainSettings, *, in_bank: bool, log: Callable[[str], None] | None
) -> torch.Tensor:
    """``model.probs`` from cached views: the photo's belief, averaged with its three shifted copies' under TTA."""
    names = ["photo", *(f"tta {k}" for k in (1, 2, 3) if model.config["tta"])]
    views = [frozen_rows(model, data, settings, view, log) for view in names]
    out = []
    for index, photo in views[0].batches():
        rows = index.to(settings.device) if in_bank else None
        probs = model.belief(model.split.trainable(photo.to(settings.device)), bank_rows=rows)
        for view in views[1:]:
            probs = probs + model.belief(model.split.trainable(view.gather(index).to(settings.device)), bank_rows=rows)
        out.append((probs / len(views)).float().cpu())
    return torch.cat(out)


@torch.inference_mode()
def fit_bank(model: WorldNet, data: ImageData, labels: torch.Tensor, settings: TrainSettings) -> None:
    """worldNET's retrieval bank: the pooled features of its classifier's training images and their places."""
    model.to(settings.device).eval()
    if uses_frozen_features(model):
        rows = frozen_rows(model, data, settings)
        features = torch.cat([model.split.trainable(batch.to(settings.device)).float() for _, batch in rows.batches()])
    else:
        features = torch.cat([model.features(to_float(batch.to(settings.device))).float() for batch in data.images.split(256)])
    model.set_bank(features, labels.to(settings.device))


def fit_interpolation(
    model: WorldNet, probs: torch.Tensor, latlon: torch.Tensor, settings: TrainSettings, log: Callable[[str], None] = print
) -> float:
    """worldNET step 3: the interpolation head on the frozen classifier's distributions, Haversine loss."""
    model.to(settings.device).eval()
    head = model.interpolation_head.train()
    # Each member is scored on its own guesses (their mean is the head's), so each learns on its own.
    stage = _Call(head, lambda p: torch.cat([model.interpolate(weights, p) for weights in head.members(p)]))
    members = len(head.more) + 1

    def loss_fn(guesses: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return haversine_loss(guesses, targets.repeat(members, 1))

    dataset = TensorDataset(probs, latlon)
    loss = _run(
        stage,
        loss_fn,
        head.parameters(),
        dataset,
        settings,
        settings.head_epochs,
        f"interpolation ({model.interpolation})",
        log,
        augment_images=False,
    )
    model.eval()
    return loss


def fit_worldnet(
    model: WorldNet,
    data: ImageData,
    labels: torch.Tensor,
    settings: TrainSettings,
    *,
    head_data: ImageData | None = None,
    log: Callable[[str], None] = print,
) -> None:
    """Steps 2 and 3. ``head_data``: images for the interpolation head (default: the classifier's)."""
    fit_classifier(model, data, labels, settings, log)
    if float(model.config.get("retrieval_weight", 0.0)) > 0:
        fit_bank(model, data, labels, settings)
    probs = (
        classifier_probs(model, head_data, settings, log=log)
        if head_data is not None
        else classifier_probs(model, data, settings, in_bank=True, log=log)
    )
    head_data = head_data or data
    fit_interpolation(model, probs, head_data.latlon, settings, log)


def fit_regression(model: RegressionModel, data: ImageData, settings: TrainSettings, log: Callable[[str], None] = print) -> float:
    """The regression: on a frozen backbone's cached pooled features (the paper's), else end to end on images."""
    model.to(settings.device).train()  # a frozen backbone stays in eval mode: its batch norms keep their statistics
    if uses_frozen_features(model):
        dataset: Dataset = _labelled(training_views(model, data, settings, log), data.latlon)
        stage = _Call(model, model.from_features)
        loss = _run(stage, haversine_loss, model.parameters(), dataset, settings, settings.epochs, "regression", log, augment_images=False)
    else:
        stage = _Call(model, lambda images: model(images).latlon)
        dataset = TensorDataset(data.images, data.latlon)
        loss = _run(stage, haversine_loss, model.parameters(), dataset, settings, settings.epochs, "regression", log)
    model.eval()
    return loss


@torch.inference_mode()
def fit_knn(
    model: KNNModel,
    data: ImageData,
    settings: TrainSettings,
    *,
    trained_backbone: nn.Module | None = None,
    log: Callable[[str], None] | None = None,
) -> None:
    """Indexes the training descriptors; ``trained_backbone`` (e.g. worldNET's) replaces an untrained one.

    On a pretrained backbone, from the run's cached pooled features (shared with worldNET and the regression)."""
    if trained_backbone is not None:
        model.backbone.load_state_dict(trained_backbone.state_dict())
    model.to(settings.device).eval()
    if trained_backbone is None and uses_frozen_features(model):
        descriptors = model.descriptors_from_features(frozen_rows(model, data, settings, log=log).gather(torch.arange(len(data))))
    else:
        descriptors = torch.cat([model.descriptors(to_float(batch.to(settings.device))).float().cpu() for batch in data.images.split(256)])
    model.set_bank(descriptors, data.latlon)


# --- evaluation ----------------------------------------------------------------------


@dataclass
class Evaluation:
    metrics: dict[str, float | None]  # see worldnet_core.metrics (coherence is None for the baselines)
    predicted: NDArray[np.float64]  # (N, 2) after the land snap
    top1: list[str]


def evaluate(model: GeoModel, data: ImageData, settings: TrainSettings, *, scale_km: float) -> Evaluation:
    """Metrics of ``model`` on ``data``, computed on the predictor's (land-snapped) output.

    A model with a frozen backbone part starts from the run's cached features of these photos (each computed
    once however many models and variants are scored on them); the predictor turns its output into the
    predictions users get, as from images."""
    predictor = Predictor(model, device=settings.device)
    predictions = []
    if uses_frozen_features(model):
        for output in _outputs_from_cache(model, data, settings):
            predictions += predictor.predictions(output)
    else:
        for batch in data.images.split(256):
            predictions += predictor.predict_tensor(batch)
    predicted = np.array([[p.lat, p.lon] for p in predictions])
    truth = data.latlon.double().numpy()
    metrics = geolocation_metrics(
        truth[:, 0], truth[:, 1], predicted[:, 0], predicted[:, 1], scale_km=scale_km, candidates=shown_candidates(model, predictions)
    )
    return Evaluation(metrics, predicted, [p.top[0][0] if p.top else "" for p in predictions])


@torch.inference_mode()
def _outputs_from_cache(model: GeoModel, data: ImageData, settings: TrainSettings) -> Iterator[GeoOutput]:
    """``model``'s output for ``data``'s photos, batch by batch, from the cached output of its frozen part:
    what its ``forward`` computes from their pixels."""
    model.to(settings.device).eval()
    if isinstance(model, WorldNet):
        probs = classifier_probs(model, data, settings)  # as ``forward``: retrieval and TTA included
        for batch in probs.split(256):
            yield model.from_probs(batch.to(settings.device))
        return
    rows = frozen_rows(model, data, settings)
    for _, batch in rows.batches():
        features = batch.to(settings.device)
        if isinstance(model, RegressionModel):
            yield GeoOutput(model.from_features(features))
        elif isinstance(model, KNNModel):
            yield model.from_descriptors(model.descriptors_from_features(features))
        else:
            raise TypeError(f"no cached evaluation for {model.name}")


def shown_candidates(model: GeoModel, predictions: list) -> list[list[tuple[float, float, float]]] | None:
    """Each prediction's candidates as ``(lat, lon, probability)``, as the game's bars show them (the top
    ``SHOWN_CANDIDATES``); None for models that show none (the baselines): their coherence is not defined."""
    from worldnet_core.metrics import SHOWN_CANDIDATES

    centroids = getattr(model, "centroids", None)
    if centroids is None or not any(p.top for p in predictions):
        return None
    where = dict(zip(model.centroid_names, centroids.double().cpu().tolist()))
    return [[(*where[name], probability) for name, probability in p.top[:SHOWN_CANDIDATES]] for p in predictions]
