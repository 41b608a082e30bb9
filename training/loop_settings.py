"""The training loops' numbers and switches, as plain values: what ``TrainSettings`` holds besides the
objects of a running process (its device, its progress hook).

Apart from ``training.engine`` because it imports no torch: the training program's flags
(``training.flags``) take their defaults from here, and the admin's training form shows them
in a web process that never trains.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class LoopSettings:
    epochs: int = 25
    head_epochs: int = 40
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 1e-4
    workers: int = 0
    seed: int = 0
    amp: bool = True  # bf16 mixed precision on CUDA
    #: bf16 on a CPU that computes it natively (AVX-512 BF16, AMX): about twice as fast there, but
    #: off by default: on the demo world it cost accuracy (see the README's training programs).
    cpu_bf16: bool = False
    progress: bool = True
    #: worldNET's classifier targets: 0, one-hot (the paper); else haversine-smoothed with this scale (PIGEON).
    label_smoothing_km: float = 3000.0
    #: With a frozen (or partly frozen) backbone: the views of each training photo whose frozen features are
    #: computed once and trained on: the photo itself, and ``feature_views - 1`` augmented copies.
    feature_views: int = 1
