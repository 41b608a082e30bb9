"""The duel's rules (geoguess/rules.py): plain Python arithmetic, no database."""

from __future__ import annotations

import doctest
import random

import pytest

from geoguess import rules as duel
from geoguess.rules import Damage, Health


def play_out(scores: list[tuple[int, int]]) -> list[Health]:
    """Health at the start and after each round of ``scores`` ((player, worldNET) points), up to the duel's end."""
    states = [duel.START]
    for number, (player_points, worldnet_points) in enumerate(scores, start=1):
        if duel.duel_end(states[-1], next_photo=True):
            break
        hit = duel.damage(player_points=player_points, worldnet_points=worldnet_points, round_number=number)
        states.append(duel.after_round(states[-1], hit))
    return states


def test_its_examples_hold():
    assert doctest.testmod(duel).failed == 0


@pytest.mark.parametrize(
    "round_number,expected", [(1, 1.0), (2, 1.0), (3, 1.0), (4, 1.0), (5, 1.5), (6, 2.0), (7, 2.5), (8, 3.0), (12, 5.0), (20, 9.0)]
)
def test_the_multiplier_is_one_for_four_rounds_then_grows_by_a_half(round_number, expected):
    assert duel.multiplier(round_number) == expected


def test_rounds_are_numbered_from_one():
    with pytest.raises(ValueError):
        duel.multiplier(0)


@pytest.mark.parametrize(
    "player,worldnet,round_number,expected",
    [
        (5000, 3000, 1, Damage(0, 2000)),
        (3000, 5000, 4, Damage(2000, 0)),
        (4200, 3000, 5, Damage(0, 1800)),
        (0, 5000, 6, Damage(10000, 0)),
        (2500, 2500, 9, Damage(0, 0)),
        (1, 0, 5, Damage(0, 2)),  # 1.5 rounds half up: never a float's whim
        (0, 3, 5, Damage(5, 0)),  # 4.5 -> 5
        (10, 7, 7, Damage(0, 8)),  # 7.5 -> 8
    ],
)
def test_the_lower_score_loses_the_difference_times_the_multiplier(player, worldnet, round_number, expected):
    assert duel.damage(player_points=player, worldnet_points=worldnet, round_number=round_number) == expected


def test_health_never_goes_below_zero_and_a_side_at_zero_ends_the_duel():
    health = duel.after_round(Health(900, 6000), duel.damage(player_points=0, worldnet_points=5000, round_number=1))
    assert health == Health(0, 6000) and duel.duel_end(health, next_photo=True) == "knockout" and health.winner == "worldnet"
    assert duel.duel_end(Health(1, 1), next_photo=True) is None and duel.duel_end(Health(1, 0), next_photo=True) == "knockout"


def test_a_duel_goes_past_round_five_while_health_remains_and_the_multiplier_finishes_it():
    # worldNET 400 points better every round: 4 x 400 = 1600, then 600, 800, 1000, 1200, 1400 (6600 > 6000).
    states = play_out([(4000, 4400)] * 20)
    assert [s.player for s in states] == [6000, 5600, 5200, 4800, 4400, 3800, 3000, 2000, 800, 0]
    assert len(states) - 1 == 9 and states[-1].player == 0 and states[-1].winner == "worldnet"
    assert all(s.worldnet == 6000 for s in states)


def test_no_round_is_played_after_the_end():
    assert play_out([(0, 5000), (0, 5000), (5000, 0)])[-1] == Health(0, 6000)


def test_it_ends_when_the_photos_run_out_and_the_healthier_side_wins():
    health = Health(4000, 2500)
    assert duel.duel_end(health, next_photo=True) is None
    assert duel.duel_end(health, next_photo=False) == "no_photos_left" and health.winner == "player"
    assert Health(3000, 3000).winner == "draw"
    assert duel.duel_end(Health(0, 10), next_photo=False) == "knockout"  # a knockout says so, photos or not


def test_worldnet_locks_in_later_the_less_sure_it_is():
    for draw in (0.0, 0.3, 0.5, 0.99):
        delays = [duel.lock_in_delay_s(confidence=c / 10, draw=draw) for c in range(10, -1, -1)]
        assert delays == sorted(delays) and delays[0] < delays[-1], (draw, delays)
    rng = random.Random(0)
    sure = [duel.lock_in_delay_s(confidence=0.9, draw=rng.random()) for _ in range(200)]
    unsure = [duel.lock_in_delay_s(confidence=0.1, draw=rng.random()) for _ in range(200)]
    assert max(sure) < min(unsure)  # at these two confidences the jitter never swaps them


def test_the_lock_in_delay_stays_within_its_bounds_and_varies_by_draw():
    for confidence in (-1.0, 0.0, 0.05, 0.5, 1.0, 2.0):
        for draw in (0.0, 0.5, 0.999999, 5.0):
            delay = duel.lock_in_delay_s(confidence=confidence, draw=draw)
            assert duel.LOCK_IN_MIN_SECONDS <= delay <= duel.LOCK_IN_MAX_SECONDS
    assert duel.lock_in_delay_s(confidence=1.0, draw=0.9) == duel.LOCK_IN_MIN_SECONDS  # a sure guess: at once
    assert duel.lock_in_delay_s(confidence=0.4, draw=0.0) < duel.lock_in_delay_s(confidence=0.4, draw=0.99)
    # A middling confidence locks in "a few seconds in", well before the longest wait.
    assert 5 < duel.lock_in_delay_s(confidence=0.5, draw=0.5) < 20


def test_the_health_chart_runs_from_full_health_at_the_top_to_zero_at_the_bottom():
    from geoguess.game import health_chart as module

    assert doctest.testmod(module).failed == 0
    chart = module.health_chart([(h.player, h.worldnet) for h in play_out([(4000, 4400)] * 20)], width=90, height=60)
    player = [tuple(map(float, point.split(","))) for point in chart["player"].split()]
    assert player[0] == (0.0, 0.0) and player[-1] == (90.0, 60.0) and len(player) == 10  # the start and nine rounds
    assert chart["worldnet"].split()[-1] == "90,0" and [t["label"] for t in chart["ticks"]] == list(range(1, 10))
