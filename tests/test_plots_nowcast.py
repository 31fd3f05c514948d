"""The nowcast figure names every band in its legend, overlaps too, and keeps plain axis labels."""

from __future__ import annotations

import datetime

import numpy as np

from sim.plots.nowcast import nowcast_figure

START = datetime.date(2026, 2, 23)


def test_every_band_and_their_overlap_is_in_the_legend_and_the_x_label_is_plain():
    rows = [
        {"as_of_day": 0.0, "base_empty_p10": 20.0, "base_empty_p50": 30.0, "base_empty_p90": 45.0, "force_closure_p50": 31.0},
        {"as_of_day": 5.0, "base_empty_p10": 24.0, "base_empty_p50": 29.0, "base_empty_p90": 36.0, "force_closure_p50": 30.0},
    ]
    days = np.random.default_rng(1).normal(30, 6, 300)
    fig = nowcast_figure(rows, days, np.ones(300), (15.0, 30.0), START, ess=300.0)
    left, right = fig.axes[0], next(ax for ax in fig.axes if ax.get_title().startswith("Days to base empty"))
    entries = [t.get_text() for t in left.get_legend().get_texts()]
    assert {"Window 15-30 days", "Base empty P10-P90", "Window and P10-P90 together", "Reports known"} <= set(entries)
    assert "Window and posterior together" in [t.get_text() for t in right.get_legend().get_texts()]
    assert left.get_xlabel() == "Day the forecast was made (days since 23 Feb 2026)"
    assert right.get_xlabel() == "Days since 23 Feb 2026 (days)"
