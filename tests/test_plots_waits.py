"""The waits figure shows the mean convoy-hours by cause and utilisation, largest first, with their spread."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.plots.waits import spread, waits_figure

CAUSES = ("trucks", "escort", "crossing")
RESOURCES = ("trucks", "crossing lanes")


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 100
    return pd.DataFrame(
        {
            "wait_hours.trucks": rng.normal(300, 40, n),
            "wait_hours.escort": rng.normal(500, 60, n),
            "wait_hours.crossing": rng.normal(20, 5, n),
            "utilisation.trucks": rng.uniform(0.6, 0.9, n),
            "utilisation.crossing lanes": rng.uniform(0.0, 0.1, n),
        }
    )


@pytest.fixture(scope="module")
def figure(rows):
    return waits_figure(rows, CAUSES, RESOURCES)


def bars(ax):
    patches = [p for p in ax.patches if p.get_width() > 0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    return labels, [p.get_width() for p in patches]


def test_wait_bars_are_the_mean_hours_by_cause_largest_first(figure, rows):
    labels, widths = bars(figure.axes[0])
    assert labels == ["escort", "trucks (all types)", "crossing"]
    assert widths == pytest.approx([rows[f"wait_hours.{c}"].mean() for c in ["escort", "trucks", "crossing"]])


def test_utilisation_bars_are_percent_of_time_busy(figure, rows):
    ax = figure.axes[1]
    labels, widths = bars(ax)
    assert labels == ["trucks (all types)", "crossing lanes"]
    assert widths == pytest.approx([100 * rows[f"utilisation.{r}"].mean() for r in ["trucks", "crossing lanes"]])
    assert ax.get_xlim() == (0, 100)
    assert "(%)" in ax.get_xlabel()


def test_whiskers_show_the_ci_of_the_mean_inside_the_p10_p90_spread(figure, rows):
    ax = figure.axes[0]
    ci = next(c for c in ax.collections if c.get_gid() == "waits-ci")
    spread_lines = next(c for c in ax.collections if c.get_gid() == "waits-p10-p90")
    for i, cause in enumerate(["escort", "trucks", "crossing"]):
        values = rows[f"wait_hours.{cause}"]
        (lo, _), (hi, _) = ci.get_segments()[i]
        (p10, _), (p90, _) = spread_lines.get_segments()[i]
        assert lo < values.mean() < hi
        assert (p10, p90) == pytest.approx(tuple(np.percentile(values, [10, 90])))
        assert p10 < lo and hi < p90


def test_every_axis_names_its_unit(figure):
    assert "(convoy-hours)" in figure.axes[0].get_xlabel()
    assert all(ax.get_ylabel() for ax in figure.axes)


def test_spread_of_a_constant_has_no_width():
    s = spread("x", np.array([4.0, 4.0, 4.0]))
    assert (s.mean, s.ci_low, s.ci_high, s.p10, s.p90) == (4.0, 4.0, 4.0, 4.0, 4.0)


def test_each_truck_type_gets_its_own_bar_when_the_replications_record_it(rows):
    typed = rows.assign(
        **{"wait_hours.trucks (civilian)": 40.0, "wait_hours.trucks (het)": 250.0, "wait_hours.trucks (military)": 10.0, "utilisation.trucks (het)": 0.95}
    )
    fig = waits_figure(typed, CAUSES, RESOURCES)
    labels, widths = bars(fig.axes[0])
    assert labels[:2] == ["escort", "heavy equipment transporters"]
    assert "contracted trucks" in labels and "military trucks" in labels and "trucks (all types)" not in labels
    assert widths[1] == pytest.approx(250.0)
    assert bars(fig.axes[1])[0][0] == "heavy equipment transporters"
