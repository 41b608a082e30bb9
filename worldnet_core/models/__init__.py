"""worldNET and the paper's baselines, created by name: ``create_model("worldnet", ...)``.

Importing this package imports every model's module, whose ``@register`` puts the model in
``MODELS`` (timm's pattern); ``base`` holds what they share and imports none of them.
"""

from __future__ import annotations

import inspect
from typing import Any

from worldnet_core.models import baselines, knn, regression, worldnet  # noqa: F401  (for their @register)
from worldnet_core.models.base import MODELS, GeoModel, GeoOutput, to_float

__all__ = ["MODELS", "GeoModel", "GeoOutput", "create_model", "list_models", "model_defaults", "to_float"]


def create_model(name: str, **config: Any) -> GeoModel:
    """A new model ``name`` with ``config`` (its keyword arguments), or one rebuilt from a checkpoint's."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; one of {', '.join(sorted(MODELS))}")
    return MODELS[name](**config)


def list_models() -> list[str]:
    return sorted(MODELS)


def model_defaults(name: str) -> dict[str, Any]:
    """What ``create_model(name)`` takes when not told: the keyword defaults of the model's constructor
    (those the training program has flags for are ``worldnet_core.model_choices``'s).

    >>> model_defaults("worldnet")["interpolation"], model_defaults("knn")["k"]
    ('mode', 10)
    """
    parameters = inspect.signature(MODELS[name].__init__).parameters.values()
    return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}
