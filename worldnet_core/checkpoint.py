"""One file per trained model: weights, config, preprocessing, centroids, metrics, format version.

The file is a ``torch.save`` of plain types and tensors, read with
``weights_only=True``: loading a checkpoint never runs code from it. The checkpoint is
the model's one authority (nanoGPT's way): ``load_model`` rebuilds the model from the
config and the preprocessing (input size, normalisation) stored in it, and from nothing
else, with ``worldnet_core`` alone.

Format versions: 2 keeps the input size in ``preprocessing`` only. 1, read as well, kept
it in the config too (``image_size``), and its oldest files have no ``preprocessing``:
their model is rebuilt from the config's ``image_size`` and ImageNet's statistics, the
only ones it ever used.
"""

from __future__ import annotations

import json
import pickle
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from worldnet_core.models import GeoModel, create_model
from worldnet_core.models.backbones import Preprocessing

FORMAT = "worldnet-checkpoint"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)

#: Settings added after a model's first checkpoints, with the value that rebuilds a checkpoint written
#: before they existed as it was (today's default may build another model: five interpolation heads
#: where the file holds the weights of one).
SETTINGS_BEFORE_THEY_EXISTED: dict[str, dict[str, Any]] = {
    "worldnet": {"head_members": 1, "retrieval_weight": 0.0, "n_bank": 0, "tta": False},
    "regression": {"pooled": False},
}


class CheckpointError(ValueError):
    """A checkpoint that cannot be used, with the reason in the message."""


def save_checkpoint(
    model: GeoModel, path: Path | str, *, metrics: Mapping[str, Any] | None = None, training: Mapping[str, Any] | None = None
) -> Path:
    """Writes ``model`` to ``path`` (atomically: a crash leaves no half-written file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model": model.name,
        # Through JSON: the config must be plain data for weights_only loading to accept it.
        "config": json.loads(json.dumps(model.config)),
        "preprocessing": model.preprocessing.to_dict(),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        # The centroids again, at the top: the site lists them without rebuilding the model.
        "centroids": model.config.get("centroids", []),
        "centroid_names": model.centroid_names,
        "metrics": json.loads(json.dumps(metrics or {})),
        "training": json.loads(json.dumps(training or {}, default=str)),
        "torch_version": str(torch.__version__),
    }
    partial = path.with_name(path.name + ".partial")
    torch.save(payload, partial)
    partial.replace(path)
    return path


def read_checkpoint(path: Path | str) -> dict[str, Any]:
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
    if version not in READABLE_VERSIONS:
        readable = ", ".join(map(str, READABLE_VERSIONS))
        raise CheckpointError(f"checkpoint {path} has format version {version}; this worldnet_core reads versions {readable}")
    if version >= 2 and "preprocessing" not in payload:
        raise CheckpointError(f"checkpoint {path} has no preprocessing (input size, normalisation) to rebuild its model with")
    return payload


def load_model(path: Path | str) -> tuple[GeoModel, dict[str, Any]]:
    """Rebuilds the model of a checkpoint with ``worldnet_core`` alone, from the checkpoint alone."""
    payload = read_checkpoint(path)
    name = payload["model"]
    config = {**SETTINGS_BEFORE_THEY_EXISTED.get(name, {}), **payload["config"]}
    config["pretrained"] = False  # the weights come from the checkpoint, not ImageNet
    try:
        if "preprocessing" in payload:
            config["preprocessing"] = Preprocessing.from_dict(payload["preprocessing"])
        model = create_model(name, **config)
        model.load_state_dict(payload["state_dict"])
    except (ValueError, RuntimeError, TypeError, KeyError) as error:
        raise CheckpointError(f"checkpoint {path} does not fit its model {name!r}: {str(error).splitlines()[0][:300]}") from None
    model.eval()
    return model, payload
