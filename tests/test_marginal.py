"""Paired differences on common random numbers: days saved, change in P(window), and the ranking."""

import numpy as np
import pandas as pd
import pytest

from sim.analysis.marginal import marginal_effect, marginal_table, paired_mean
from sim.analysis.measure import Measure


def rows(days) -> pd.DataFrame:
    return pd.DataFrame({"replication": np.arange(len(days)), "days_to_base_empty": days})


def test_a_constant_saving_has_a_zero_width_interval():
    base = rows(np.linspace(20, 40, 50))
    effect = marginal_effect(base, rows(np.linspace(20, 40, 50) - 2.0), Measure())
    assert effect["days_saved"] == pytest.approx(2.0)
    assert effect["days_saved_low"] == pytest.approx(2.0)
    assert effect["days_saved_high"] == pytest.approx(2.0)


def test_change_in_window_probability_counts_replications_that_move_in():
    base = rows([31.0, 32.0, 25.0, 40.0])
    faster = rows([29.0, 30.0, 24.0, 39.0])
    effect = marginal_effect(base, faster, Measure())
    assert effect["p_window_base"] == pytest.approx(0.25)
    assert effect["p_window_variant"] == pytest.approx(0.75)
    assert effect["p_window_change"] == pytest.approx(0.5)


def test_pairs_are_matched_by_replication_not_by_order():
    base = rows([10.0, 20.0, 30.0])
    variant = rows([29.0, 9.0, 19.0])
    variant["replication"] = [2, 0, 1]
    assert marginal_effect(base, variant, Measure())["days_saved"] == pytest.approx(1.0)


def test_ranking_puts_the_resource_that_saves_most_first():
    rng = np.random.default_rng(0)
    days = rng.uniform(20, 40, 200)
    table = marginal_table(rows(days), {"Apaches +1": rows(days - 0.1), "escort teams +1": rows(days - 3 + rng.normal(0, 0.5, 200))}, Measure())
    assert list(table.index) == ["escort teams +1", "Apaches +1"]
    assert table.loc["escort teams +1", "significant"]


def test_paired_interval_shrinks_with_common_random_numbers():
    rng = np.random.default_rng(2)
    noise = rng.normal(0, 10, 300)
    paired = paired_mean((30 + noise) - (29 + noise + rng.normal(0, 0.5, 300)))
    independent = paired_mean((30 + noise) - (29 + rng.normal(0, 10, 300)))
    assert paired[2] - paired[1] < (independent[2] - independent[1]) / 5


def test_shifted_scenario_moves_each_draw_by_the_change(baseline):
    from sim.experiment.evaluate import shifted
    from sim.replication import prepare, simulate_one

    more = shifted(baseline, "fleet.civilian.count", 10)
    for i in range(5):
        a = simulate_one(prepare(baseline), 1, i)[0]
        b = simulate_one(prepare(more), 1, i)[0]
        assert b["fleet.civilian.count"] == a["fleet.civilian.count"] + 10
        assert b["escort.teams"] == a["escort.teams"]
