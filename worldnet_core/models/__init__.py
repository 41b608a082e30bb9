"""worldNET and the paper's baselines, created by name: ``create_model("worldnet", ...)``."""

from worldnet_core.models.base import MODELS, GeoModel, GeoOutput, create_model, list_models

__all__ = ["MODELS", "GeoModel", "GeoOutput", "create_model", "list_models"]
