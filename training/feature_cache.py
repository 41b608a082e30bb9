"""Frozen features, computed once per photo and view in a training run, for every model and epoch that needs them.

With a frozen (or partly frozen) pretrained backbone, what its frozen blocks make of a training photo
never changes: a run computes it once and every epoch, every model on the same backbone (worldNET, the
regression, kNN), every fold of a cross-fitting and every variant of the report starts from there. Keys:
what the frozen part computes (``SplitBackbone.fingerprint``: its weights, normalisation and cut), the
view of the photo ("photo", as the predictor sees it; an augmented copy; a test-time shift), the input
size, and the photo's path.

Rows live in memory while they fit ``memory_limit_mb``; beyond it, in an unnamed file under
``spill_dir`` (the run's output folder), mapped into memory page by page: the operating system removes it
when the run ends, however it ends. Pooled features are small (1,280 floats a photo for
EfficientNet-Lite0: 5 KB, 51 MB for 10,000 photos); the feature maps a partly frozen backbone caches at
its cut are not (37 KB a photo three blocks from Lite0's end at 224 × 224).
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import torch
from torch.utils.data import Dataset

from worldnet_core.models import to_float
from worldnet_core.models.freezing import SplitBackbone

#: Rows kept in memory, in all; more go to a file under ``spill_dir``.
DEFAULT_MEMORY_LIMIT_MB = 1024.0
#: Photos a frozen part sees at once.
BATCH = 64


class FeatureRows(Dataset[torch.Tensor]):
    """The cached rows of some photos, in their order, without copying them out of the cache."""

    def __init__(self, chunks: Sequence[torch.Tensor], chunk_of: torch.Tensor, row_of: torch.Tensor) -> None:
        self.chunks, self.chunk_of, self.row_of = list(chunks), chunk_of, row_of

    def __len__(self) -> int:
        return len(self.row_of)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.chunks[int(self.chunk_of[index])][int(self.row_of[index])]

    def gather(self, index: torch.Tensor) -> torch.Tensor:
        """The rows at ``index`` (positions in this set), as one tensor."""
        chunk_of, row_of = self.chunk_of[index], self.row_of[index]
        if len(self.chunks) == 1:
            return self.chunks[0][row_of]
        first = self.chunks[0]
        out = torch.empty((len(index), *first.shape[1:]), dtype=first.dtype)
        for k, chunk in enumerate(self.chunks):
            mine = chunk_of == k
            out[mine] = chunk[row_of[mine]]
        return out

    def batches(self, size: int = 256) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """``(positions, rows)`` batch by batch, in order."""
        for start in range(0, len(self), size):
            index = torch.arange(start, min(start + size, len(self)))
            yield index, self.gather(index)


class Labelled(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """Cached rows with a training target each: what a training stage's loader takes."""

    def __init__(self, rows: FeatureRows, targets: torch.Tensor) -> None:
        if len(rows) != len(targets):
            raise ValueError(f"{len(rows)} rows for {len(targets)} targets")
        self.rows, self.targets = rows, targets

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.rows[index], self.targets[index]


@dataclass
class _Entry:
    chunks: list[torch.Tensor] = field(default_factory=list)
    where: dict[str, tuple[int, int]] = field(default_factory=dict)  # photo key -> (chunk, row)
    files: list[IO[bytes]] = field(default_factory=list)  # keeps spilled chunks' files open


class FeatureCache:
    """One run's frozen features (see the module). ``computed`` counts the photos its frozen parts saw, per view."""

    def __init__(self, *, spill_dir: Path | None = None, memory_limit_mb: float = DEFAULT_MEMORY_LIMIT_MB) -> None:
        self.spill_dir = spill_dir
        self.memory_limit_bytes = memory_limit_mb * 2**20
        self.bytes_in_memory = 0
        self.bytes_in_files = 0
        self.computed: dict[str, int] = {}
        self._entries: dict[tuple[str, str, tuple[int, ...]], _Entry] = {}

    def missing(self, part: SplitBackbone, keys: Sequence[str], images: torch.Tensor, *, view: str = "photo") -> int:
        """How many of the photos ``keys`` have no cached ``view`` yet."""
        entry = self._entries.get(self._key(part, view, images))
        return len(keys) if entry is None else sum(key not in entry.where for key in keys)

    @staticmethod
    def _key(part: SplitBackbone, view: str, images: torch.Tensor) -> tuple[str, str, tuple[int, ...]]:
        return part.fingerprint(), view, tuple(images.shape[1:])

    def rows(
        self,
        part: SplitBackbone,
        keys: Sequence[str],
        images: torch.Tensor,
        *,
        view: str = "photo",
        transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
        device: torch.device | None = None,
        on_batch: Callable[[int], None] | None = None,
        log: Callable[[str], None] | None = None,
    ) -> FeatureRows:
        """The frozen part's output for each photo (``keys``: their paths, ``images``: uint8), computing those
        not cached yet (``transform`` makes the ``view`` of a batch of float images; ``on_batch`` is told how
        many photos each batch held)."""
        if len(keys) != len(images):
            raise ValueError(f"{len(keys)} keys for {len(images)} images")
        entry = self._entries.setdefault(self._key(part, view, images), _Entry())
        missing = [i for i, key in enumerate(keys) if key not in entry.where]
        if missing:
            started = time.perf_counter()
            chunk, spilled = self._compute(part, images[torch.tensor(missing)], transform, device, on_batch, entry)
            for row, i in enumerate(missing):
                entry.where[keys[i]] = (len(entry.chunks), row)
            entry.chunks.append(chunk)
            self.computed[view] = self.computed.get(view, 0) + len(missing)
            if log is not None:
                place = f"in a file under {self.spill_dir}" if spilled else "in memory"
                log(
                    f"frozen features ({view}): {len(missing)} photos in {time.perf_counter() - started:.1f} s, "
                    f"{chunk.numel() * chunk.element_size() / 2**20:.1f} MB {place}"
                )
        where = [entry.where[key] for key in keys]
        return FeatureRows(
            entry.chunks, torch.tensor([c for c, _ in where], dtype=torch.long), torch.tensor([r for _, r in where], dtype=torch.long)
        )

    @torch.inference_mode()
    def _compute(
        self,
        part: SplitBackbone,
        images: torch.Tensor,
        transform: Callable[[torch.Tensor], torch.Tensor] | None,
        device: torch.device | None,
        on_batch: Callable[[int], None] | None,
        entry: _Entry,
    ) -> tuple[torch.Tensor, bool]:
        """The rows of ``images``, and whether they went to a file."""
        part.keep_frozen_in_eval()
        device = device or torch.device("cpu")
        store: torch.Tensor | None = None
        spilled = False
        for start in range(0, len(images), BATCH):
            batch = to_float(images[start : start + BATCH].to(device))
            # Float32, as the predictor computes them (no autocast): training starts from what inference sees.
            out = part.frozen(transform(batch) if transform is not None else batch).float().cpu()
            if store is None:
                store, spilled = self._allocate((len(images), *out.shape[1:]), entry)
            store[start : start + len(out)] = out
            if on_batch is not None:
                on_batch(len(out))
        if store is None:
            raise ValueError("no images to compute features for")
        return store, spilled

    def _allocate(self, shape: tuple[int, ...], entry: _Entry) -> tuple[torch.Tensor, bool]:
        """Room for ``shape`` float32s: in memory while they fit, else in an unnamed file under ``spill_dir``."""
        size = math.prod(shape) * 4
        if self.spill_dir is None or self.bytes_in_memory + size <= self.memory_limit_bytes:
            self.bytes_in_memory += size
            return torch.empty(shape, dtype=torch.float32), False
        self.spill_dir.mkdir(parents=True, exist_ok=True)
        # Unlinked at once, kept open by its entry for the run's length: no file outlives the run.
        handle = tempfile.TemporaryFile(dir=self.spill_dir, prefix="frozen-features-")  # noqa: SIM115
        entry.files.append(handle)
        self.bytes_in_files += size
        return torch.from_numpy(np.memmap(handle, dtype=np.float32, mode="w+", shape=shape)), True
