"""The compare figure overlays the two ECDFs and shows the paired difference B - A."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.plots.compare import Comparison, compare_figure, mean_ci, read_compare
from sim.plots.figures import plot_results


@pytest.fixture(scope="module")
def comparison() -> Comparison:
    rng = np.random.default_rng(9)
    a = rng.gamma(30, 1.0, 200)
    return Comparison("baseline", "high threat", a, a + rng.normal(4.0, 2.0, 200))


@pytest.fixture(scope="module")
def figure(comparison):
    return compare_figure(comparison)


def test_both_ecdfs_are_drawn_and_end_at_one(figure, comparison):
    ax = figure.axes[0]
    for gid, days in (("ecdf-a", comparison.days_a), ("ecdf-b", comparison.days_b)):
        line = next(line for line in ax.lines if line.get_gid() == gid)
        assert np.asarray(line.get_xdata()) == pytest.approx(np.sort(days))
        assert line.get_ydata()[-1] == pytest.approx(1.0)


def test_legend_gives_each_scenarios_p_15_30(figure, comparison):
    texts = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    for label, days in (("baseline", comparison.days_a), ("high threat", comparison.days_b)):
        share = ((days >= 15) & (days <= 30)).mean()
        assert f"{label}: P(15-30) = {share:.0%}" in texts


def test_difference_panel_counts_every_pair_and_marks_the_mean_and_its_ci(figure, comparison):
    ax = figure.axes[1]
    diff = comparison.days_b - comparison.days_a
    assert sum(p.get_height() for p in ax.patches if p.get_gid() == "difference") == len(diff)
    mean = next(line for line in ax.lines if line.get_gid() == "mean")
    assert mean.get_xdata()[0] == pytest.approx(diff.mean())
    band = next(p for p in ax.patches if p.get_gid() == "mean-ci")
    x = ax.transData.inverted().transform(band.get_verts())[:, 0]
    assert (x.min(), x.max()) == pytest.approx(mean_ci(diff)[1:])
    assert f"B later in {(diff > 0).mean():.0%} of pairs" == ax.get_legend().get_title().get_text()
    assert "(days" in ax.get_xlabel() and "(count)" in ax.get_ylabel()


def test_a_compare_folder_pairs_two_runs_by_replication(tmp_path):
    for name, days in (("a_baseline", [20.0, 25.0, 40.0]), ("b_variant", [22.0, 31.0, 41.0, 50.0])):
        (tmp_path / name).mkdir()
        pd.DataFrame({"replication": range(len(days)), "days_to_base_empty": days}).to_parquet(tmp_path / name / "replications.parquet")
    c = read_compare(tmp_path)
    assert (c.label_a, c.label_b) == ("a_baseline", "b_variant")
    assert c.difference.tolist() == [2.0, 6.0, 1.0]
    assert sorted(p.name for p in plot_results(tmp_path)) == ["compare.png", "compare.svg"]
