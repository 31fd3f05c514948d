"""PRIM finds a planted rule, and targets and boxes read as planners would write them."""

import numpy as np
import pandas as pd
import pytest

from sim.analysis.discovery import TargetError, condition, describe, discover, input_columns, parse_target


def planted(n: int = 3000, noise: float = 0.03, seed: int = 4) -> tuple[pd.DataFrame, np.ndarray]:
    """Cases of interest where civilian trucks >= 100 and escort teams >= 6, with a few labels flipped."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(
        {
            "fleet.civilian.count": rng.integers(60, 141, n).astype(float),
            "escort.teams": rng.integers(4, 9, n).astype(float),
            "airlift.sorties_per_day": rng.uniform(2, 8, n),
            "route.iraq.km": rng.uniform(200, 250, n),
        }
    )
    rule = (x["fleet.civilian.count"] >= 100) & (x["escort.teams"] >= 6)
    flip = rng.random(n) < noise
    return x, (rule ^ flip).to_numpy()


def test_prim_recovers_a_planted_rule():
    x, cases = planted()
    found = discover(x, cases, min_coverage=0.8)
    box = found.box
    assert set(box.index) == {"fleet.civilian.count", "escort.teams"}
    assert box.loc["fleet.civilian.count", "min"] == pytest.approx(100, abs=4)
    assert box.loc["escort.teams", "min"] == pytest.approx(6, abs=0.5)
    assert found.stats["density"] > 0.9
    assert found.stats["coverage"] >= 0.8


def test_the_chosen_box_reads_as_a_sentence():
    x, cases = planted()
    sentence = describe(discover(x, cases, min_coverage=0.8))
    assert sentence.startswith("Finishes in the window in 9")
    assert "contracted trucks >= 10" in sentence and "escort teams >= 6" in sentence


def test_condition_words_for_two_sided_and_upper_limits():
    row = pd.Series({"min": 3.0, "max": 6.0, "data_min": 1.0, "data_max": 8.0})
    assert condition("air_cover.apaches", row) == "3 <= Apaches <= 6"
    row = pd.Series({"min": 1.0, "max": 6.0, "data_min": 1.0, "data_max": 8.0})
    assert condition("air_cover.apaches", row) == "Apaches <= 6"


def test_condition_words_give_shares_in_percent_and_values_with_their_unit():
    # issue: "share staged at the start <= 0.29", "chance of a dust day >= 0.068", "0.018 <= Life Stone: share ... <= 0.29"
    row = pd.Series({"min": 0.1, "max": 0.29, "data_min": 0.1, "data_max": 0.3})
    assert condition("cargo.staged_at_start", row) == "share staged at the start <= 29%"
    row = pd.Series({"min": 0.068, "max": 0.2, "data_min": 0.0, "data_max": 0.2})
    assert condition("weather.dust_day_probability", row) == "chance of a dust day >= 6.8%"
    row = pd.Series({"min": 0.018, "max": 0.29, "data_min": 0.0, "data_max": 0.3})
    said = condition("sites.life_stone.cargo.classes.general.handed_over_fraction", row)
    assert said.startswith("1.8% <= ") and said.endswith("share of general cargo handed over <= 29%")
    row = pd.Series({"min": 213.0, "max": 250.0, "data_min": 200.0, "data_max": 250.0})
    assert condition("route.syria.km", row).endswith(">= 213 km")
    row = pd.Series({"min": 7.9, "max": 18.0, "data_min": 0.0, "data_max": 30.0})
    assert condition("pause.start_day", row) == "day 7.9 <= day the pause begins <= day 18"


def test_the_trajectory_table_s_mean_reads_as_a_percent_with_words_and_agrees_with_the_density():
    from sim.names import TABLES, column_words

    assert column_words("prim_trajectory", "mean").startswith("share of the box's replications in the target (%")
    assert TABLES["prim_trajectory"]["mean"].show(0.891) == "89.1"
    x, cases = planted(600)
    found = discover(x, cases, min_coverage=0.8)
    chosen = found.trajectory.iloc[found.chosen]
    assert chosen["mean"] == pytest.approx(chosen["density"])


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [("15 <= days <= 30", [15, 22, 30], [14.9, 30.1]), ("days > 30", [30.5], [30, 12]), ("days <= 30", [1, 30], [31]), ("20 < days", [21], [20])],
)
def test_targets_select_the_right_replications(text, inside, outside):
    target = parse_target(text)
    rows = pd.DataFrame({"days_to_base_empty": inside + outside})
    assert target.cases(rows).tolist() == [True] * len(inside) + [False] * len(outside)


def test_unreadable_target_says_how_to_write_one():
    with pytest.raises(TargetError, match='"15 <= days <= 30"'):
        parse_target("between 15 and 30")


def test_input_columns_drop_constants_and_prefix():
    rows = pd.DataFrame({"input.a": [1.0, 2.0], "input.b": [3.0, 3.0], "days_to_base_empty": [1, 2]})
    assert list(input_columns(rows).columns) == ["a"]


def test_nothing_to_discover_when_every_case_is_in_the_target():
    x, _ = planted(200)
    with pytest.raises(ValueError, match="nothing to discover"):
        discover(x, np.ones(len(x), bool))


def test_discover_on_a_base_that_may_stay_counts_only_the_replications_in_which_it_moves(tmp_path):
    """A base that moves in only some replications (``leaves = 0.5``) has no days in the others: they are no failure
    of the target; the shares are of the replications in which it moves, and the sentence says the target in words."""
    import json

    from typer.testing import CliRunner

    from sim import api
    from sim.cli import app
    from sim.names import share
    from tests.theatre_tables import crossing, leg, small_base, small_theatre, to_toml

    bee = small_base(loads={"dist": "uniform", "low": 5, "high": 40}, title="Bee base", leaves=0.5)
    table = small_theatre({"a": small_base(), "b": bee, "x": crossing()}, [leg("a", "x", 100), leg("b", "x", 50), leg("a", "b", 50), leg("x", "erbil", 100)])
    path = tmp_path / "t.toml"
    path.write_text(to_toml(table))
    runs, found = tmp_path / "r", tmp_path / "d"
    api.run(path, 30, out=runs, figures=False, jobs=1)
    cli = CliRunner()
    result = cli.invoke(app, ["discover", str(runs), "--base", "b", "--target", "days <= 1", "--out", str(found)])
    assert result.exit_code == 0, result.output
    rows = pd.read_parquet(runs / "replications.parquet")
    moving = rows["base.b.leaves"].astype(bool)
    cases = int((rows.loc[moving, "base.b.days_to_base_empty"] <= 1).sum())
    assert 0 < moving.sum() < len(rows) and 0 < cases < moving.sum()
    summary = json.loads((found / "discovery.json").read_text())
    assert summary["replications"] == moving.sum() and summary["all_replications"] == len(rows)
    assert summary["base_rate"] == pytest.approx(cases / moving.sum())
    sentence = summary["sentence"]
    assert sentence.startswith("Bee base is empty by day 1 in ")
    assert "when Bee base: general cargo loads" in sentence and "truckloads" in sentence  # the site's title, the unit
    n = moving.sum()
    assert f"(against {share(cases / n)} overall, of the {n} replications in which it moves ({n} of the {len(rows)})" in sentence
    assert " ".join(result.output.split()).startswith(sentence[:40])
    # the report names the box's inputs (prim_box.csv holds their paths) by the theatre's own titles too
    assert cli.invoke(app, ["report", str(found)]).exit_code == 0
    page = (found / "report.html").read_text(encoding="utf-8")
    assert "Bee base: general cargo loads" in page and "B: general cargo loads" not in page
