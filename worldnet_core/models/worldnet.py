"""worldNET: a classifier over location centroids and an interpolation head between them.

1. The training locations are clustered (``clustering.py``); the centroids are fixed.
2. A classifier (backbone → pooled features → linear) predicts a distribution ``p``
   over the centroids, trained with cross-entropy on haversine-smoothed targets
   (PIGEON; one-hot, as the paper, with a scale of 0: see ``training.engine.smoothed_targets``).
3. The classifier is frozen and the interpolation head, a two-layer ReLU MLP from
   ``p`` to weights ``w`` over the centroids, is trained with the Haversine loss.
   It adds its output to ``log p`` before the softmax, so it starts from the
   classifier's own belief and learns how to move away from it.
4. The prediction combines the centroids by ``w``. The paper's global interpolation
   (``sphere``: unit vectors, renormalised; ``latlon``: plain degrees) averages every
   centroid, so a belief split between London and Sydney lands near Moscow, where
   none of its candidates is. The default, ``mode``, first picks the region: each
   candidate holding at least ``CANDIDATE_MIN_PROB`` of the classifier's probability
   (or the top one) is scored by the weight within ``mode_bandwidth_km`` of it, the
   heaviest wins, and the interpolation runs on the sphere over the centroids within
   ``mode_radius_km`` of it only, weighted by a Gaussian of their distance. The guess
   therefore always lies within ``mode_radius_km`` of a candidate the player sees.
5. Predictions at sea are snapped to land by the predictor, before any metric.

Beyond the paper, worldNET's belief is retrieval-augmented (as PIGEON refines its
geocells by retrieval): it keeps the pooled features of its training images, and its
distribution over places is the classifier's averaged with the places of the
``retrieval_k`` most similar training images (cosine similarity, softmax-weighted at
``retrieval_temperature``), by ``retrieval_weight``. Two views of the same features
disagree in different ways: together they are surer where both agree, and spread
where they do not, which is what an unseen place needs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, cast

import torch
from torch import nn

from worldnet_core.geo_torch import haversine_km_torch, latlon_to_unit_torch, unit_to_latlon_torch
from worldnet_core.metrics import CANDIDATE_MIN_PROB, SHOWN_CANDIDATES
from worldnet_core.model_choices import DEFAULT_BACKBONE, INTERPOLATIONS, WORLDNET
from worldnet_core.models.backbones import Preprocessing
from worldnet_core.models.base import GeoModel, GeoOutput, Normalize, build_backbone, model_preprocessing, register
from worldnet_core.models.freezing import SplitBackbone


class InterpolationHead(nn.Module):
    """From ``p`` to weights over the centroids, averaged over ``members`` MLPs trained side by side.

    Each member is a two-layer ReLU MLP added to ``log p`` before a softmax. Members start
    from different random first layers and each is trained on its own guesses (see
    ``training.engine.fit_interpolation``); the head's weights are their mean. One member's
    result moved with its initialisation by ±40 km on unseen places of the demo world,
    more than the margins between models; five agree within ±15 km, for a few seconds of
    training on cached probabilities.
    """

    def __init__(self, classes: int, hidden: int, members: int) -> None:
        super().__init__()
        if members < 1:
            raise ValueError(f"an interpolation head needs at least one member, not {members}")
        # The first member keeps the name of the single MLP older checkpoints hold.
        self.mlp = self._member(classes, hidden)
        self.more = nn.ModuleList(self._member(classes, hidden) for _ in range(members - 1))

    @staticmethod
    def _member(classes: int, hidden: int) -> nn.Sequential:
        out = nn.Linear(hidden, classes)
        nn.init.zeros_(out.weight)  # start as the identity: w = p
        nn.init.zeros_(out.bias)
        return nn.Sequential(nn.Linear(classes, hidden), nn.ReLU(inplace=True), out)

    def members(self, probs: torch.Tensor) -> torch.Tensor:
        """``(members, B, k)``: each member's weights."""
        log_probs = torch.log(probs.clamp_min(1e-8))
        return torch.stack([torch.softmax(log_probs + mlp(probs), dim=-1) for mlp in (self.mlp, *self.more)])

    def forward(self, probs: torch.Tensor) -> torch.Tensor:
        return self.members(probs).mean(dim=0)

    if TYPE_CHECKING:  # nn.Module types its __call__ as returning Any

        def __call__(self, probs: torch.Tensor) -> torch.Tensor: ...


def tta_shifts(images: torch.Tensor) -> list[Callable[[torch.Tensor], torch.Tensor]]:
    """Test-time augmentation's three copies of images shaped like ``images``: shifted right, left and down
    by a sixteenth (never mirrored: a mirror image swaps the driving side)."""
    height, width = images.shape[2:]
    return [partial(torch.roll, shifts=(dy, dx), dims=(2, 3)) for dy, dx in ((0, width // 16), (0, -(width // 16)), (height // 16, 0))]


def candidates(probs: torch.Tensor, min_prob: float = CANDIDATE_MIN_PROB, shown: int = SHOWN_CANDIDATES) -> torch.Tensor:
    """``(B, k)`` bool: the shown centroids (top ``shown``) holding at least ``min_prob``; the top one always."""
    top = probs.topk(min(shown, probs.shape[1]), dim=1).indices
    chosen = torch.zeros_like(probs, dtype=torch.bool).scatter_(1, top, True) & (probs >= min_prob)
    chosen[torch.arange(len(probs), device=probs.device), top[:, 0]] = True
    return chosen


def mode_weights(weights: torch.Tensor, probs: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """``weights`` restricted to the heaviest candidate's region (see the module's step 4).

    ``kernel`` ``(k, k)``: closeness of centroid pairs, zero beyond the mode radius.
    """
    mass = weights @ kernel  # the weight of each centroid's region
    anchor = torch.where(candidates(probs), mass, torch.full_like(mass, -1.0)).argmax(dim=1)
    local = weights * kernel[anchor]
    return local / local.sum(dim=1, keepdim=True).clamp_min(1e-12)


def mode_kernel(centroids: torch.Tensor, bandwidth_km: float, radius_km: float) -> torch.Tensor:
    """``(k, k)``: a Gaussian of the distance between centroids, cut off at ``radius_km``.

    An infinite radius keeps every centroid. The kernel squares ``bandwidth_km``, so its sign
    does not matter (checkpoints saved with either load alike).
    """
    # A zero or NaN scale, or a negative or NaN radius, would leave a row without weight, and
    # every mode guess would fall on 0°N 0°E, far from where the error was made.
    if math.isnan(bandwidth_km) or bandwidth_km == 0:
        raise ValueError(f"mode_bandwidth_km must be a distance above 0 km, not {bandwidth_km}")
    if math.isnan(radius_km) or radius_km < 0:
        raise ValueError(f"mode_radius_km must be a distance of at least 0 km, not {radius_km}")
    k = len(centroids)
    distance = haversine_km_torch(centroids[:, None, :].expand(k, k, 2), centroids[None, :, :].expand(k, k, 2))
    # haversine_km_torch keeps its argument off 0 (its gradient there is infinite), which leaves a
    # centroid about a metre from itself: put it back at 0, so that each candidate keeps its own
    # full weight whatever the radius or the scale.
    distance.fill_diagonal_(0.0)
    return torch.exp(-((distance / bandwidth_km) ** 2)) * (distance <= radius_km)


def interpolate(
    weights: torch.Tensor, centroids: torch.Tensor, mode: str, *, probs: torch.Tensor | None = None, kernel: torch.Tensor | None = None
) -> torch.Tensor:
    """``(B, 2)`` degrees: the ``weights``-combination of ``centroids`` ``(k, 2)``.

    ``mode`` needs the classifier's ``probs`` (which candidates the player sees) and the ``kernel``.
    """
    if mode == "mode":
        if probs is None or kernel is None:
            raise ValueError("mode interpolation needs the classifier's probabilities and the centroid kernel")
        return unit_to_latlon_torch(mode_weights(weights, probs, kernel) @ latlon_to_unit_torch(centroids))
    if mode == "sphere":
        return unit_to_latlon_torch(weights @ latlon_to_unit_torch(centroids))
    if mode == "latlon":
        return weights @ centroids
    raise ValueError(f"interpolation must be one of {INTERPOLATIONS}, not {mode!r}")


@register
class WorldNet(GeoModel):
    """worldNET (see the module). Its keyword defaults are those of a default worldNET; the ones the
    training program has flags for come from ``worldnet_core.model_choices.WORLDNET``, which its flags read too."""

    name = "worldnet"
    learns_from_images = True

    centroids: torch.Tensor  # (k, 2) degrees
    mode_kernel: torch.Tensor | None  # (k, k), for mode interpolation only
    bank: torch.Tensor  # (n_bank, C) normalised pooled features of the training images, when retrieving
    bank_labels: torch.Tensor  # (n_bank,) their centroids
    split: SplitBackbone

    def __init__(
        self,
        centroids: list[list[float]] | None = None,
        centroid_names: list[str] | None = None,
        backbone: str = DEFAULT_BACKBONE,
        image_size: Sequence[int] | None = None,
        preprocessing: Preprocessing | None = None,
        pretrained: bool = True,
        weights_path: str | None = None,
        interpolation: str = WORLDNET.interpolation,
        mode_bandwidth_km: float = WORLDNET.mode_bandwidth_km,
        mode_radius_km: float = WORLDNET.mode_radius_km,
        head_hidden: int = 256,
        head_members: int = WORLDNET.head_members,
        dropout: float = 0.2,
        tta: bool = False,
        retrieval_k: int = WORLDNET.retrieval_k,
        retrieval_temperature: float = WORLDNET.retrieval_temperature,
        retrieval_weight: float = WORLDNET.retrieval_weight,
        n_bank: int = 0,
        backbone_training: str = WORLDNET.backbone_training,
        trainable_blocks: int = WORLDNET.trainable_blocks,
        **config: Any,
    ) -> None:
        # Two placeholder places, for a model built only to be looked at (a trained one has its own).
        centroids = centroids if centroids is not None else [[0.0, 0.0], [0.0, 90.0]]
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"interpolation must be one of {INTERPOLATIONS}, not {interpolation!r}")
        preprocessing = model_preprocessing(backbone, image_size, preprocessing)
        built = build_backbone(config, backbone, pretrained=pretrained, weights_path=weights_path)
        names = list(centroid_names or [f"centroid {i + 1}" for i in range(len(centroids))])
        super().__init__(
            preprocessing=preprocessing,
            centroids=[list(map(float, c)) for c in centroids],
            centroid_names=names,
            backbone=backbone,
            interpolation=interpolation,
            mode_bandwidth_km=mode_bandwidth_km,
            mode_radius_km=mode_radius_km,
            head_hidden=head_hidden,
            head_members=head_members,
            dropout=dropout,
            tta=tta,
            retrieval_k=retrieval_k,
            retrieval_temperature=retrieval_temperature,
            retrieval_weight=retrieval_weight,
            n_bank=n_bank,
            backbone_training=backbone_training,
            trainable_blocks=trainable_blocks,
            **config,
        )
        self.normalize = Normalize(preprocessing)
        self.backbone = built.module
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.split = SplitBackbone(
            backbone, self.backbone, self.normalize, self.pool, training=backbone_training, trainable_blocks=trainable_blocks
        )
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(built.channels, len(centroids)))
        self.interpolation_head = InterpolationHead(len(centroids), head_hidden, head_members)
        self.register_buffer("centroids", torch.tensor(centroids, dtype=torch.float32))
        # Derived from the centroids, so not saved: checkpoints from before the mode stay loadable.
        # Built for mode interpolation only: the others never read it, whatever its settings.
        kernel = mode_kernel(self.centroids, mode_bandwidth_km, mode_radius_km) if interpolation == "mode" else None
        self.register_buffer("mode_kernel", kernel, persistent=False)
        self.interpolation = interpolation
        if n_bank:  # only models that have one: checkpoints from before retrieval load as they were
            self.register_buffer("bank", torch.zeros(n_bank, built.channels))
            self.register_buffer("bank_labels", torch.zeros(n_bank, dtype=torch.long))

    @property
    def linear(self) -> nn.Linear:
        """The classifier's linear layer (after its dropout): a logit per centroid."""
        return cast(nn.Linear, self.classifier[1])

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """Pooled backbone features (the kNN baseline can reuse a trained worldNET's)."""
        features: torch.Tensor = self.pool(self.backbone(self.normalize(images)))
        return features

    def logits(self, images: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.classifier(self.features(images))
        return logits

    def forward(self, images: torch.Tensor) -> GeoOutput:
        return self.from_probs(self.probs(images))

    def probs(self, images: torch.Tensor, *, bank_rows: torch.Tensor | None = None) -> torch.Tensor:
        """worldNET's distribution over places: the classifier's, retrieval-augmented (see the module);
        with ``tta``, averaged over the image and three copies shifted by a sixteenth (never
        mirrored: a mirror image swaps the driving side). ``bank_rows``: each image's own row in
        the bank (training images), left out of its neighbours; -1 for none."""
        probs = self.belief(self.features(images), bank_rows=bank_rows)
        if not self.config["tta"] or self.training:
            return probs
        for shift in tta_shifts(images):
            probs = probs + self.belief(self.features(shift(images)), bank_rows=bank_rows)
        return probs / 4

    def belief(self, features: torch.Tensor, *, bank_rows: torch.Tensor | None = None) -> torch.Tensor:
        """The distribution from pooled ``features``: the classifier's, averaged with the retrieved places'."""
        probs = torch.softmax(self.classifier(features), dim=-1)
        weight = float(self.config["retrieval_weight"])
        if weight <= 0 or not hasattr(self, "bank") or self.training:
            return probs
        similarity = nn.functional.normalize(features, dim=1) @ self.bank.T.to(features.dtype)
        if bank_rows is not None:  # a training image is not its own neighbour
            own = bank_rows >= 0
            similarity[own.nonzero()[:, 0], bank_rows[own]] = -2.0
        top, index = similarity.topk(min(int(self.config["retrieval_k"]), len(self.bank)), dim=1)
        votes = torch.zeros_like(probs).scatter_add_(
            1, self.bank_labels[index], torch.softmax(top / float(self.config["retrieval_temperature"]), dim=1).to(probs.dtype)
        )
        return (1.0 - weight) * probs + weight * votes

    def set_bank(self, features: torch.Tensor, labels: torch.Tensor) -> None:
        """Keeps the training images' pooled features (normalised) and places for retrieval."""
        device = self.centroids.device
        self.register_buffer("bank", nn.functional.normalize(features.detach().float(), dim=1).to(device).clone())
        self.register_buffer("bank_labels", labels.detach().long().to(device).clone())
        self.config["n_bank"] = len(features)

    def forward_with_maps(self, images: torch.Tensor) -> tuple[GeoOutput, torch.Tensor]:
        """The guess and, for each image, where it saw its top candidate: ``(B, h, w)`` in [0, 1].

        A class-activation map (Zhou et al., 2016), exact for this head: the classifier is a
        linear layer on globally pooled features, so the top class's logit is the mean over
        positions of ``w_c · f(x, y)``, and that map says which positions raised it. One
        matrix product on features the guess computes anyway: no second pass, no gradients.
        """
        feature_map = self.backbone(self.normalize(images))
        probs = self.probs(images) if self.config["tta"] else self.belief(self.pool(feature_map))  # the guess as evaluated
        maps = torch.relu(self.class_activation(feature_map, probs.argmax(dim=1)))
        peak = maps.flatten(1).amax(dim=1).clamp_min(1e-12)[:, None, None]
        return self.from_probs(probs), maps / peak

    def class_activation(self, feature_map: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
        """``(B, h, w)``: each position's contribution to the logit of ``classes`` (its mean plus the bias is that logit)."""
        weights = self.linear.weight[classes]  # (B, C)
        return torch.einsum("bc,bchw->bhw", weights.to(feature_map.dtype), feature_map)

    def from_probs(self, probs: torch.Tensor) -> GeoOutput:
        """The guess for the classifier's distribution ``probs``: interpolation head, then interpolation."""
        return GeoOutput(self.interpolate(self.interpolation_head(probs), probs), probs)

    def interpolate(self, weights: torch.Tensor, probs: torch.Tensor) -> torch.Tensor:
        return interpolate(weights, self.centroids, self.interpolation, probs=probs, kernel=self.mode_kernel)

    def set_interpolation(self, mode: str, *, bandwidth_km: float | None = None, radius_km: float | None = None) -> None:
        """Switches how centroids combine (the report compares them on one classifier)."""
        if mode not in INTERPOLATIONS:
            raise ValueError(f"interpolation must be one of {INTERPOLATIONS}, not {mode!r}")
        bandwidth_km = self.config["mode_bandwidth_km"] if bandwidth_km is None else bandwidth_km
        radius_km = self.config["mode_radius_km"] if radius_km is None else radius_km
        # The kernel first: a refused setting leaves the model (and the config it saves) as it was.
        kernel = mode_kernel(self.centroids, bandwidth_km, radius_km) if mode == "mode" else None
        self.mode_kernel = kernel
        self.interpolation = self.config["interpolation"] = mode
        self.config["mode_bandwidth_km"], self.config["mode_radius_km"] = bandwidth_km, radius_km

    def classifier_parameters(self) -> list[nn.Parameter]:
        return [*self.backbone.parameters(), *self.classifier.parameters()]
