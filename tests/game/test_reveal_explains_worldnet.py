"""The reveal explains worldNET: its candidates' positions, the country its pin fell in, full country names,
and one number format on the server's pages (the same as static/js/format.js)."""

from __future__ import annotations

import importlib

import pytest
from django.template import Context, Template

from geoguess import rules
from geoguess.game import presentation
from geoguess.opponent.models import ModelVersion, Prediction
from tests.support.games import play_round, start
from worldnet_core.demo_world import PAPER_CITIES
from worldnet_core.geo import haversine_km


def test_it_puts_each_candidate_where_its_centroid_is(image_set, model_version):
    game = start(image_set)
    play_round(game, 0, 0.0, 0.0)
    ai = presentation.round_reveal(round=game.rounds.get(index=0))["worldnet"]
    cities = {city.name: city for city in PAPER_CITIES}
    assert len(ai["top"]) == 3
    for candidate in ai["top"]:
        city = cities[candidate["place"]]  # the small world's centroids are its cities' photos' mean positions
        assert haversine_km(candidate["lat"], candidate["lon"], city.lat, city.lon) < 50
        assert candidate["km_from_guess"] == pytest.approx(haversine_km(ai["lat"], ai["lon"], candidate["lat"], candidate["lon"]))
    nearest = min(ai["top"], key=lambda c: c["km_from_guess"])
    assert ai["near"] == (nearest["place"] if nearest["km_from_guess"] <= rules.NEAR_CANDIDATE_KM else None)


def test_it_names_the_answers_country_and_the_country_of_worldnets_pin_in_full(image_set, model_version):
    game = start(image_set)
    round = game.rounds.get(index=0)
    Prediction.objects.filter(photo=round.photo).update(lat=48.8566, lon=2.3522)  # worldNET's pin in Paris
    play_round(game, 0, 0.0, 0.0)
    round = game.rounds.get(index=0)
    reveal = presentation.round_reveal(round=round)
    assert len(round.photo.country) == 3 and reveal["truth"]["country"] == round.photo.country  # the demo world's codes
    assert reveal["truth"]["country_name"] in {"United Kingdom", "France", "Spain", "Japan"}
    ai = reveal["worldnet"]
    assert ai["country_name"] == "France"
    if any(c["place"] == "Paris" for c in ai["top"]):  # a candidate there: its pin is "near Paris"
        assert ai["near"] == "Paris"


def test_a_version_without_centroids_still_reveals_its_bars(image_set, model_version):
    ModelVersion.objects.filter(pk=model_version.pk).update(centroids=[])
    game = start(image_set)
    play_round(game, 0, 0.0, 0.0)
    ai = presentation.round_reveal(round=game.rounds.get(index=0))["worldnet"]
    assert [c["lat"] for c in ai["top"]] == [None, None, None] and ai["near"] is None
    assert len(ai["top"]) == 3 and all(c["place"] for c in ai["top"])


def test_registering_a_version_keeps_its_checkpoints_centroids(model_version):
    positions = model_version.centroid_positions()
    assert set(positions) == {"London", "Paris", "Madrid", "Osaka"}
    assert haversine_km(*positions["Osaka"], 34.69, 135.50) < 50


def test_the_migration_fills_the_centroids_of_versions_registered_before_it(model_version):
    from django.apps import apps

    migration = importlib.import_module("geoguess.opponent.migrations.0002_modelversion_centroids")
    ModelVersion.objects.filter(pk=model_version.pk).update(centroids=[])
    migration.centroids_from_checkpoints(apps, None)
    model_version.refresh_from_db()
    assert set(model_version.centroid_positions()) == {"London", "Paris", "Madrid", "Osaka"}


@pytest.mark.parametrize(
    "source,expected",
    [
        ("{{ 7613.4|km }}", "7,613 km"),
        ("{{ 7.64|km }}", "7.6 km"),
        ("{{ 10|km }}", "10 km"),
        ("{{ 1234567|grouped }}", "1,234,567"),
        ("{{ 0|grouped }}", "0"),
        ("{{ missing|km }} {{ missing|grouped }}", "– –"),
    ],
)
def test_numbers_read_the_same_as_in_the_browser(source, expected):
    assert Template("{% load numbers %}" + source).render(Context({})) == expected
