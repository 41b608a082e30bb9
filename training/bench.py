"""Benchmarks that print the figures the README quotes.

``python -m training bench geo``: haversine pairs/s on NumPy arrays of 10^6 pairs,
and ``snap_to_land`` points/s on 10^4 points at sea, both on one core.
``python -m training bench demo-world``: demo-world images drawn and encoded per second.
``python -m training bench predictor``: the predictor's images/s (and ms per photo) against its bare backbone's,
for ``--backbone`` at its default input size, or a ``--checkpoint``.
``python -m training bench train-step``: seconds per worldNET classifier training step (batch 64),
with the backbone's tensors channels-last (the default) and contiguous, and under bf16 autocast
where the device computes it.
"""

from __future__ import annotations

import argparse
import math
import os
import timeit
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from worldnet_core.model_choices import BACKBONES, DEFAULT_BACKBONE

if TYPE_CHECKING:
    import torch

    from worldnet_core.models.worldnet import WorldNet


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Benchmarks: print throughput figures.", add_help=add_help)
    parser.add_argument("target", choices=["geo", "demo-world", "predictor", "train-step"], help="what to benchmark")
    parser.add_argument(
        "--checkpoint",
        type=Path,
        default=None,
        help="predictor: a worldNET checkpoint (default: an untrained compact worldNET with 23 places)",
    )
    parser.add_argument(
        "--backbone",
        default=DEFAULT_BACKBONE,
        choices=BACKBONES,
        help=f"predictor and train-step without --checkpoint: the backbone, at its default input size (default {DEFAULT_BACKBONE})",
    )
    parser.add_argument(
        "--batch-sizes", type=int, nargs="+", default=[1, 8, 32, 128], metavar="N", help="predictor: batch sizes (default 1 8 32 128)"
    )
    parser.add_argument("--device", default=None, help="predictor: auto, cpu, cuda (default: WORLDNET_DEVICE, else auto)")
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions; the best is reported (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the inputs (default 0)")
    return parser


def best_seconds(function: Callable[[], object], repeat: int) -> float:
    function()  # warm-up: first-touch allocation, lazy loads
    return min(timeit.repeat(function, number=1, repeat=repeat))


def best_seconds_interleaved(functions: list[Callable[[], object]], repeat: int) -> list[float]:
    """The best time of each function, timed in turns, so that a ratio between them is not
    skewed by load that comes and goes between one function's block and the next's."""
    for function in functions:
        function()  # warm-up
    best = [math.inf] * len(functions)
    for _ in range(repeat):
        for index, function in enumerate(functions):
            best[index] = min(best[index], timeit.timeit(function, number=1))
    return best


def bench_geo(repeat: int, seed: int) -> dict[str, float]:
    from worldnet_core.geo import haversine_km
    from worldnet_core.land import is_land, snap_to_land

    rng = np.random.default_rng(seed)
    n = 1_000_000
    lat1, lat2 = rng.uniform(-90, 90, (2, n))
    lon1, lon2 = rng.uniform(-180, 180, (2, n))
    haversine_rate = n / best_seconds(lambda: haversine_km(lat1, lon1, lat2, lon2), repeat)

    candidates_lat = rng.uniform(-70, 80, 60_000)
    candidates_lon = rng.uniform(-180, 180, 60_000)
    at_sea = ~is_land(candidates_lat, candidates_lon)
    sea_lat, sea_lon = candidates_lat[at_sea][:10_000], candidates_lon[at_sea][:10_000]
    snap_rate = len(sea_lat) / best_seconds(lambda: snap_to_land(sea_lat, sea_lon), repeat)
    return {"haversine_pairs_per_s": haversine_rate, "snap_points_per_s": snap_rate}


def bench_demo_world(repeat: int, seed: int) -> float:
    """Demo-world images per second: drawing plus JPEG encoding, one process."""
    import io

    from worldnet_core.demo_world import DEFAULT_PLACES, JPEG_QUALITY, render_image

    def render_all() -> None:
        for index, place in enumerate(DEFAULT_PLACES * 4):
            render_image(place, seed=seed, index=index).save(io.BytesIO(), format="JPEG", quality=JPEG_QUALITY)

    return len(DEFAULT_PLACES) * 4 / best_seconds(render_all, repeat)


def bench_predictor(args: argparse.Namespace) -> list[dict[str, float]]:
    """Predictor against its bare backbone, on the same uint8 tensors, at several batch sizes."""
    import torch

    from worldnet_core.checkpoint import load_model
    from worldnet_core.demo_world import PAPER_CITIES
    from worldnet_core.device import select_device
    from worldnet_core.models import to_float
    from worldnet_core.models.worldnet import WorldNet
    from worldnet_core.predictor import Predictor

    device = select_device(args.device)
    if args.checkpoint:
        model, _ = load_model(args.checkpoint)
        if not isinstance(model, WorldNet):
            raise SystemExit(f"bench predictor: {args.checkpoint} is a {model.name} checkpoint, not a worldNET one")
    else:
        centroids = [[p.lat, p.lon] for p in PAPER_CITIES]
        model = WorldNet(centroids=centroids, centroid_names=[p.name for p in PAPER_CITIES], backbone=args.backbone, pretrained=False)
    predictor = Predictor(model, device=device)
    backbone = model.backbone.to(device).eval()
    normalize = model.normalize.to(device)
    generator = torch.Generator().manual_seed(args.seed)
    rows = []
    for batch_size in args.batch_sizes:
        images = torch.randint(0, 256, (batch_size, 3, *model.preprocessing.size), dtype=torch.uint8, generator=generator)

        @torch.inference_mode()
        def bare(images: torch.Tensor = images) -> None:
            backbone(normalize(to_float(images.to(device))))
            if device.type == "cuda":
                torch.cuda.synchronize()

        repeat = max(10, 400 // batch_size)
        bare_s, full_s, maps_s = best_seconds_interleaved(
            [bare, partial(predictor.predict_tensor, images), partial(predictor.predict_tensor, images, with_maps=True)], repeat
        )
        rows.append(
            {
                "batch": batch_size,
                "backbone_img_s": batch_size / bare_s,
                "predictor_img_s": batch_size / full_s,
                "ratio": full_s / bare_s,
                "maps_ratio": maps_s / full_s,
            }
        )
    return rows


def bench_train_step(args: argparse.Namespace) -> dict[str, float]:
    """Seconds per classifier step (forward, backward, AdamW) of a compact-backbone worldNET, batch 64."""
    import torch

    from worldnet_core.demo_world import PAPER_CITIES
    from worldnet_core.device import mixed_precision_available, select_device
    from worldnet_core.models.worldnet import WorldNet

    device = select_device(args.device)
    generator = torch.Generator().manual_seed(args.seed)
    centroids = [[p.lat, p.lon] for p in PAPER_CITIES]
    figures = {}
    variants = [("channels-last float32", torch.channels_last, False), ("contiguous float32", torch.contiguous_format, False)]
    if mixed_precision_available(device):
        variants.append(("channels-last bf16 autocast", torch.channels_last, True))
    for label, layout, bf16 in variants:
        torch.manual_seed(args.seed)
        model = WorldNet(centroids=centroids, backbone=args.backbone, pretrained=False).to(device).train()
        model.backbone.to(memory_format=layout)
        images = torch.rand(64, 3, *model.preprocessing.size, generator=generator).to(device)
        labels = torch.randint(0, len(centroids), (64,), generator=generator).to(device)
        figures[label] = best_seconds(_training_step(model, images, labels, layout=layout, bf16=bf16), args.repeat)
    return figures


def _training_step(
    model: WorldNet, images: torch.Tensor, labels: torch.Tensor, *, layout: torch.memory_format, bf16: bool
) -> Callable[[], None]:
    """One classifier step of ``model`` on ``images`` (forward, backward, AdamW), as a function to time."""
    import torch
    from torch import nn

    optimizer = torch.optim.AdamW(model.classifier_parameters(), lr=1e-3)
    device = images.device

    def step() -> None:
        normalized = model.normalize(images).contiguous(memory_format=layout)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            loss = nn.functional.cross_entropy(model.classifier(model.pool(model.backbone(normalized))).float(), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize()

    return step


def main(args: argparse.Namespace) -> int:
    # geo and demo-world run on one core as they are: NumPy's element-wise maths, cKDTree's
    # query (workers=1) and the drawing are single-threaded. The predictor uses torch's threads.
    if args.target == "geo":
        figures = bench_geo(args.repeat, args.seed)
        print(f"haversine_km   {figures['haversine_pairs_per_s'] / 1e6:8.1f} million pairs/s  (10^6 pairs, NumPy, 1 core; target >= 20)")
        print(f"snap_to_land   {figures['snap_points_per_s']:8.0f} points/s         (10^4 points at sea, 1 core; target >= 20000)")
    elif args.target == "demo-world":
        rate = bench_demo_world(max(1, args.repeat // 2), args.seed)
        from worldnet_core.demo_world import HEIGHT, WIDTH

        print(f"demo world     {rate:8.0f} images/s         ({WIDTH}x{HEIGHT} JPEG, drawn and encoded, 1 core; target >= 50)")
    elif args.target == "predictor":
        import torch

        torch.set_num_threads(int(os.environ.get("WORLDNET_BENCH_THREADS", torch.get_num_threads())))
        rows = bench_predictor(args)
        print(f"predictor vs bare backbone ({args.checkpoint or args.backbone}; {torch.get_num_threads()} threads; best of several runs)")
        print(
            "batch   backbone img/s   predictor img/s   predictor ms/photo   "
            "predictor time / backbone time   with activation maps / without (target <= 1.5)"
        )
        for row in rows:
            print(
                f"{row['batch']:5d}   {row['backbone_img_s']:14.1f}   {row['predictor_img_s']:15.1f}   "
                f"{1000 / row['predictor_img_s']:18.1f}   {row['ratio']:6.2f}x{'':28s}{row['maps_ratio']:6.2f}x"
            )
    elif args.target == "train-step":
        import torch

        figures = bench_train_step(args)
        print(
            f"worldNET classifier training step ({args.backbone} backbone, batch 64, "
            f"{torch.get_num_threads()} threads; best of {args.repeat})"
        )
        for label, seconds in figures.items():
            print(f"{label:28s} {seconds:6.3f} s/step   {64 / seconds:6.0f} images/s")
    return 0
