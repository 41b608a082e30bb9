"""worldNET's step 1: the locations it interpolates between.

With place labels (cities, as in the paper) each place is a cluster and its
centroid is the spherical mean of its images. Without them, k-means on unit
vectors, with k chosen by the silhouette score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from worldnet_core.geo import latlon_to_unit, spherical_mean, unit_to_latlon


@dataclass(frozen=True)
class Centroids:
    names: list[str]
    latlon: NDArray[np.float64]  # (k, 2) degrees
    labels: NDArray[np.int64]  # cluster of each training location


def centroids_from_places(lat: NDArray[np.float64], lon: NDArray[np.float64], places: NDArray[np.str_]) -> Centroids:
    names = sorted(set(places.tolist()))
    index = {name: i for i, name in enumerate(names)}
    labels = np.array([index[p] for p in places], dtype=np.int64)
    latlon = np.array([spherical_mean(lat[labels == i], lon[labels == i]) for i in range(len(names))])
    return Centroids(names, latlon, labels)


def centroids_kmeans(
    lat: NDArray[np.float64], lon: NDArray[np.float64], *, k: int | None = None, seed: int = 0, max_k: int = 64
) -> Centroids:
    """k-means on the sphere (unit vectors); ``k=None`` picks k in 2..max_k by silhouette."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    from worldnet_core.land import country_of

    points = latlon_to_unit(lat, lon)
    if k is None:
        rng = np.random.default_rng(seed)
        sample = points[rng.permutation(len(points))[:2000]]
        candidates = [c for c in range(2, max_k + 1) if c < len(sample)]
        if not candidates:
            raise ValueError("k-means needs at least 3 locations")
        scores = [silhouette_score(sample, KMeans(c, n_init=3, random_state=seed).fit_predict(sample)) for c in candidates]
        k = candidates[int(np.argmax(scores))]
    model = KMeans(k, n_init=5, random_state=seed).fit(points)
    clat, clon = unit_to_latlon(model.cluster_centers_)
    countries = country_of(clat, clon, margin_km=None)
    names = [f"{country} (cluster {i + 1})" for i, country in enumerate(countries)]
    return Centroids(names, np.stack([clat, clon], axis=1), model.labels_.astype(np.int64))


def make_centroids(lat: NDArray[np.float64], lon: NDArray[np.float64], places: NDArray[np.str_], *, seed: int = 0) -> Centroids:
    """Places when every image has one (and there are at least two), k-means otherwise."""
    if len(places) and all(places) and len(set(places.tolist())) >= 2:
        return centroids_from_places(lat, lon, places)
    return centroids_kmeans(lat, lon, seed=seed)
