"""Which torch device to use: CUDA when present, else the CPU; overridable.

``select_device(None)`` reads ``WORLDNET_DEVICE`` (``auto``, ``cpu``, ``cuda``,
``cuda:1``...) and defaults to ``auto``.
"""

from __future__ import annotations

import os

import torch


def select_device(preferred: str | None = None) -> torch.device:
    choice = (preferred or os.environ.get("WORLDNET_DEVICE") or "auto").strip().lower()
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(choice)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {choice!r} was asked for, but CUDA is not available on this machine; use 'cpu' or 'auto'")
    return device
