"""worldNET's guess for a round: attached once, scored once, kept with the round.

A duel attaches it when the round is drawn (worldNET locks in by it); a classic round when the
player's guess is stored, or, if worldNET was still thinking, when the round is shown again.
"""

from __future__ import annotations

from typing import Any

from geoguess import rules
from geoguess.game.mode import mode_of
from geoguess.game.models import Game, Round
from geoguess.game.selectors import played_rounds
from geoguess.opponent.models import Prediction
from geoguess.opponent.selectors import prediction_for
from worldnet_core.geo import haversine_km
from worldnet_core.land import country_of


def worldnet_attach_played(*, game: Game) -> list[Round]:
    """The game's played rounds, in order, each with worldNET's guess attached if it has landed since the round
    was played (what a summary reads)."""
    rounds = played_rounds(game)
    for round in rounds:
        worldnet_attach(round=round)
    return rounds


def prediction_to_attach(round: Round) -> Prediction | None:
    """worldNET's stored prediction for the round's photo, by the version the game pins (a duel), else the active one's."""
    game = round.game
    if not mode_of(game).pins_version:
        return prediction_for(photo_id=round.photo_id)
    if game.model_version_id is None:  # the version was deleted since: no guess to show or score
        return None
    return (
        Prediction.objects.select_related("model_version").filter(photo_id=round.photo_id, model_version_id=game.model_version_id).first()
    )


def worldnet_attach(*, round: Round) -> bool:
    """Stores worldNET's guess on the round, once, and scores it once the round is guessed; returns
    whether the round has worldNET's guess now.

    A duel attaches it when the round is drawn (worldNET locks in by it); a classic round when the
    player's guess is stored, or, if worldNET was still thinking, when the round is shown again. Its
    distance and points are taken against the answer the player was scored against, and a duel
    round's points are the ones its damage was dealt with.
    """
    if not round.worldnet_attached:
        prediction = prediction_to_attach(round)
        if prediction is None:
            return False
        _store(round, _guess_fields(prediction), unless_set="worldnet_lat")
    if round.is_done and round.worldnet_distance_km is None:
        _score_worldnet(round)
    return True


def _score_worldnet(round: Round) -> None:
    """worldNET's distance and points, against the answer the player was scored against."""
    truth_lat, truth_lon = round.truth_lat, round.truth_lon
    if truth_lat is None or truth_lon is None:  # a round guessed before the answer was kept with it
        truth_lat, truth_lon = round.photo.lat, round.photo.lon
    pin_lat, pin_lon = round.worldnet_lat, round.worldnet_lon
    assert pin_lat is not None and pin_lon is not None  # attached before it is scored
    distance = float(haversine_km(truth_lat, truth_lon, pin_lat, pin_lon))
    dealt = round.worldnet_points  # a duel round settled before its pin was kept (an older round) keeps its points
    points = dealt if dealt is not None else rules.points(distance, scale_km=round.game.image_set.scale_km)
    _store(round, {"worldnet_distance_km": distance, "worldnet_points": points}, unless_set="worldnet_distance_km")


def _store(round: Round, fields: dict[str, Any], *, unless_set: str) -> None:
    """Writes ``fields`` to the round unless ``unless_set`` is set already (another request attached first: keep that)."""
    if Round.objects.filter(pk=round.pk, **{f"{unless_set}__isnull": True}).update(**fields):
        for name, value in fields.items():
            setattr(round, name, value)
    else:
        round.refresh_from_db()


def _guess_fields(prediction: Prediction) -> dict[str, Any]:
    """worldNET's guess as a round stores it: its pin, its country, its candidates and the one it lies near, where it looked."""
    candidates = prediction_candidates(prediction)
    placed = [c for c in candidates if c["km_from_guess"] is not None]
    nearest = min(placed, key=lambda c: c["km_from_guess"], default=None)
    return {
        "worldnet_version": prediction.model_version,
        "worldnet_lat": prediction.lat,
        "worldnet_lon": prediction.lon,
        # Predictions are snapped to land: no country only far out at sea.
        "worldnet_country": str(country_of(prediction.lat, prediction.lon) or ""),
        "worldnet_near": nearest["place"] if nearest is not None and nearest["km_from_guess"] <= rules.NEAR_CANDIDATE_KM else "",
        "worldnet_candidates": candidates,
        "worldnet_heatmap": prediction.heatmap,
    }


def prediction_candidates(prediction: Prediction) -> list[dict[str, Any]]:
    """Its top candidates, each with where it is and how far from the pin (bars only for a version without centroids).

    Public: a party's round keeps worldNET's candidates the same way (``geoguess.party.referee``)."""
    positions = prediction.model_version.centroid_positions()
    candidates = []
    for rank, (name, probability) in enumerate(prediction.top[: rules.REVEAL_CANDIDATES]):
        if rank and probability < rules.REVEAL_CANDIDATE_MIN_PROBABILITY:  # it read "0%" (the top one always shows)
            continue
        candidate: dict[str, Any] = {"place": name, "probability": probability, "lat": None, "lon": None, "km_from_guess": None}
        if name in positions:
            lat, lon = positions[name]
            candidate.update(lat=lat, lon=lon, km_from_guess=float(haversine_km(prediction.lat, prediction.lon, lat, lon)))
        candidates.append(candidate)
    return candidates
