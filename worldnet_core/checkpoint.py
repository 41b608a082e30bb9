"""One file per trained model: weights, config, centroids, preprocessing, metrics, format version.

The file is a ``torch.save`` of plain types and tensors, read with
``weights_only=True``: loading a checkpoint never runs code from it.
"""

from __future__ import annotations

import json
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from worldnet_core.models import GeoModel, create_model

FORMAT = "worldnet-checkpoint"
FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint that cannot be used, with the reason in the message."""


def save_checkpoint(model: GeoModel, path: Path, *, metrics: dict | None = None, training: dict | None = None) -> Path:
    """Writes ``model`` to ``path`` (atomically: a crash leaves no half-written file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model": model.name,
        # Through JSON: the config must be plain data for weights_only loading to accept it.
        "config": json.loads(json.dumps(model.config)),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "centroids": model.config.get("centroids", []),
        "centroid_names": model.centroid_names,
        "preprocessing": model.preprocessing.to_dict(),
        "metrics": json.loads(json.dumps(metrics or {})),
        "training": json.loads(json.dumps(training or {}, default=str)),
        "torch_version": str(torch.__version__),
    }
    partial = path.with_name(path.name + ".partial")
    torch.save(payload, partial)
    partial.replace(path)
    return path


def read_checkpoint(path: Path) -> dict[str, Any]:
    """The checkpoint's contents, checked; raises ``CheckpointError`` saying what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError) as error:
        raise CheckpointError(
            f"checkpoint {path} is corrupt or not a torch file ({type(error).__name__}: {str(error).splitlines()[0][:200]})"
        ) from None
    except pickle.UnpicklingError as error:
        if "Unsupported global" in str(error):  # weights_only refused a class: not plain data
            raise CheckpointError(f"checkpoint {path} holds something other than weights and plain data, and is not loaded") from None
        raise CheckpointError(
            f"checkpoint {path} is corrupt or not a torch file (UnpicklingError: {str(error).splitlines()[0][:200]})"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is a torch file but not a worldNET checkpoint (no '{FORMAT}' marker)")
    version = payload.get("format_version")
    if version != FORMAT_VERSION:
        raise CheckpointError(f"checkpoint {path} has format version {version}; this worldnet_core reads version {FORMAT_VERSION}")
    return payload


def load_model(path: Path) -> tuple[GeoModel, dict[str, Any]]:
    """Rebuilds the model of a checkpoint with ``worldnet_core`` alone."""
    payload = read_checkpoint(path)
    config = dict(payload["config"])
    config["pretrained"] = False  # the weights come from the checkpoint, not ImageNet
    try:
        model = create_model(payload["model"], **config)
        model.load_state_dict(payload["state_dict"])
    except (ValueError, RuntimeError, TypeError, KeyError) as error:
        raise CheckpointError(
            f"checkpoint {path} does not fit its model {payload.get('model')!r}: {str(error).splitlines()[0][:300]}"
        ) from None
    model.eval()
    return model, payload
