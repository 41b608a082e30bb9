"""The demo world's cues carry geography without giving it away.

A simple model (logistic regression on colour histograms and edge statistics),
trained on the 23 paper cities, must tell continents apart well above chance, yet
confuse neighbouring cities far more often than distant ones.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.scene_features import scene_features
from worldnet_core.demo_world import PAPER_CITIES, render_image
from worldnet_core.land import continent_of

NEIGHBOURS = [("Paris", "Brussels"), ("Madrid", "Barcelona"), ("Boston", "Washington DC")]
DISTANT = [
    ("Paris", "Phoenix"),
    ("Madrid", "Osaka"),
    ("Boston", "Melbourne"),
    ("Oslo", "Bangkok"),
    ("London", "Buenos Aires"),
    ("Chicago", "Rome"),
    ("Brussels", "Mexico City"),
    ("Barcelona", "Toronto"),
    ("Washington DC", "Lisbon"),
]
TRAIN, TEST = 40, 30


@pytest.fixture(scope="module")
def confusion():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features, labels, is_train = [], [], []
    for label, place in enumerate(PAPER_CITIES):
        for index in range(TRAIN + TEST):
            features.append(scene_features(render_image(place, seed=0, index=index)))
            labels.append(label)
            is_train.append(index < TRAIN)
    x, y, train = np.array(features), np.array(labels), np.array(is_train)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000, C=0.05)).fit(x[train], y[train])
    predicted, truth = model.predict(x[~train]), y[~train]
    matrix = np.zeros((len(PAPER_CITIES),) * 2)
    np.add.at(matrix, (truth, predicted), 1)
    return matrix / matrix.sum(axis=1, keepdims=True), truth, predicted


def pair_confusion(matrix, a: str, b: str) -> float:
    index = {p.name: i for i, p in enumerate(PAPER_CITIES)}
    return (matrix[index[a], index[b]] + matrix[index[b], index[a]]) / 2


@pytest.mark.slow
def test_it_tells_continents_apart_well_above_chance(confusion):
    _, truth, predicted = confusion
    continents = np.array([continent_of(p.lat, p.lon, margin_km=None) for p in PAPER_CITIES])
    accuracy = (continents[truth] == continents[predicted]).mean()
    _, counts = np.unique(continents[truth], return_counts=True)
    chance = counts.max() / counts.sum()  # always guessing the commonest continent
    assert accuracy >= 0.75 and accuracy >= chance + 0.3, (accuracy, chance)


@pytest.mark.slow
def test_it_confuses_neighbours_far_more_than_distant_cities(confusion):
    matrix, _, _ = confusion
    near = np.mean([pair_confusion(matrix, a, b) for a, b in NEIGHBOURS])
    far = np.mean([pair_confusion(matrix, a, b) for a, b in DISTANT])
    assert near >= 0.1, near  # neighbours really are hard to tell apart
    assert near >= 5 * far, (near, far)
