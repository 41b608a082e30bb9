"""The benchmark harness: timing in turns, and the predictor benchmark's rows."""

from __future__ import annotations

import time

import pytest

from training import bench


def test_timing_in_turns_gives_each_function_its_own_best_time():
    calls = {"fast": 0, "slow": 0}

    def fast() -> None:
        calls["fast"] += 1

    def slow() -> None:
        calls["slow"] += 1
        time.sleep(0.01)

    fast_s, slow_s = bench.best_seconds_interleaved([fast, slow], repeat=4)
    assert calls == {"fast": 5, "slow": 5}  # one warm-up each, then four turns
    assert slow_s >= 0.01 > fast_s * 10


@pytest.mark.slow
def test_the_predictor_benchmark_measures_every_batch_with_and_without_maps():
    args = bench.get_args_parser().parse_args(["predictor"])
    rows = bench.bench_predictor(args)
    assert [row["batch"] for row in rows] == [1, 8, 32, 128]
    for row in rows:
        assert row["backbone_img_s"] > 0 and row["predictor_img_s"] > 0
        # The predictor runs the backbone and more; maps run the predictor and more. Neither can be
        # many times faster than what it contains (a broken ratio, inverted or zero, would be).
        assert row["ratio"] > 0.5 and row["maps_ratio"] > 0.5
