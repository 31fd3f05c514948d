"""The completion figure shows the window, the window probabilities and the ECDF it claims to."""

from __future__ import annotations

import datetime

import matplotlib.dates as mdates
import numpy as np
import pytest
from matplotlib.figure import Figure

from sim.analysis.statistics import window_probabilities
from sim.names import share
from sim.plots.completion import completion_figure, save_figure

WINDOW = (15.0, 30.0)
START = datetime.date(2026, 2, 23)


@pytest.fixture(scope="module")
def sample() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    base_empty = rng.gamma(20.0, 1.1, 400)
    return base_empty, base_empty + rng.gamma(2.0, 1.0, 400)


@pytest.fixture(scope="module")
def probabilities(sample) -> dict[str, float]:
    return {key: p.estimate for key, p in window_probabilities(sample[0], WINDOW).items()}


@pytest.fixture
def figure(sample, probabilities) -> Figure:
    return completion_figure(sample[0], sample[1], WINDOW, START, probabilities)


def data_x_extent(ax, patch) -> tuple[float, float]:
    x = ax.transData.inverted().transform(patch.get_verts())[:, 0]
    return float(x.min()), float(x.max())


def all_texts(fig: Figure) -> str:
    return "\n".join(t.get_text() for ax in fig.axes for t in ax.texts)


def test_figure_has_a_histogram_and_an_ecdf_panel_with_a_title(figure):
    panels = [ax for ax in figure.axes if ax.get_ylabel()]
    assert len(panels) == 2
    assert figure.get_suptitle()


def test_window_is_shaded_from_day_15_to_day_30_on_both_panels(figure):
    panels = [ax for ax in figure.axes if ax.get_ylabel()]
    for ax in panels:
        windows = [p for p in ax.patches if p.get_gid() == "window"]
        assert len(windows) == 1
        assert data_x_extent(ax, windows[0]) == pytest.approx(WINDOW)


def test_window_probabilities_are_written_as_percentages_of_the_sample(figure, sample):
    days = sample[0]
    under, within, over = (days < 15).mean(), ((days >= 15) & (days <= 30)).mean(), (days > 30).mean()
    text = all_texts(figure)
    assert f"P(< 15) = {share(under)}" in text
    assert f"P(15-30) = {share(within)}" in text
    assert f"P(> 30) = {share(over)}" in text


@pytest.mark.parametrize(("p_under", "written"), [(0.004, "P(< 15) = 0.4%"), (0.0004, "P(< 15) = <0.1%"), (0.0, "P(< 15) = 0%"), (0.12, "P(< 15) = 12%")])
def test_a_nonzero_share_is_never_written_as_0_percent(p_under, written):
    days = np.array([10.0, 20.0, 40.0])
    fig = completion_figure(days, days + 1, WINDOW, START, {"p_under": p_under, "p_within": 0.596, "p_over": 0.996})
    text = all_texts(fig)
    assert written in text and "P(15-30) = 60%" in text and "P(> 30) = 99.6%" in text


def test_probabilities_are_written_as_given():
    days = np.array([10.0, 20.0, 40.0])
    fig = completion_figure(days, days + 1, WINDOW, START, {"p_under": 0.12, "p_within": 0.61, "p_over": 0.27})
    text = all_texts(fig)
    assert "P(< 15) = 12%" in text and "P(15-30) = 61%" in text and "P(> 30) = 27%" in text


def calendar_axes(fig: Figure) -> list:
    return [child for ax in fig.axes for child in ax.child_axes if "date" in child.get_xlabel().lower()]


def test_every_axis_has_a_label_and_x_axes_are_in_days_or_dates(figure):
    for ax in figure.axes:
        assert ax.get_xlabel() and ax.get_ylabel()
        assert "days" in ax.get_xlabel().lower()
    assert len(calendar_axes(figure)) == 2


def test_calendar_axis_puts_day_0_on_the_start_date(figure):
    figure.canvas.draw()
    for calendar in calendar_axes(figure):
        panel = next(ax for ax in figure.axes if calendar in ax.child_axes)
        days_left = panel.get_xlim()[0]
        date_left = mdates.num2date(calendar.get_xlim()[0]).replace(tzinfo=None)
        expected = datetime.datetime.combine(START, datetime.time()) + datetime.timedelta(days=days_left)
        assert abs((date_left - expected).total_seconds()) < 1
        labels = [t.get_text() for t in calendar.get_xticklabels() if t.get_text()]
        assert labels and all(label.split()[1] in {"Feb", "Mar", "Apr"} for label in labels)


@pytest.mark.parametrize("gid", ["ecdf-base-empty", "ecdf-force-closure"])
def test_ecdf_is_non_decreasing_and_ends_at_one(figure, sample, gid):
    line = next(line for ax in figure.axes for line in ax.lines if line.get_gid() == gid)
    y = np.asarray(line.get_ydata(), dtype=float)
    assert np.all(np.diff(y) >= 0)
    assert y[-1] == pytest.approx(1.0)
    assert len(y) == len(sample[0])


def test_save_figure_writes_non_empty_png_and_svg(figure, tmp_path):
    paths = save_figure(figure, tmp_path / "completion")
    assert sorted(p.name for p in paths) == ["completion.png", "completion.svg"]
    assert all(p.stat().st_size > 0 for p in paths)
    assert paths[0].read_bytes().startswith(b"\x89PNG")
    assert b"<svg" in paths[1].read_bytes()[:2000]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["completion.png", "completion.svg"]


def test_the_cumulative_share_reads_in_percent_not_as_a_fraction(figure):
    ecdf_ax = figure.axes[1]
    ecdf_ax.figure.canvas.draw()
    assert ecdf_ax.get_ylabel() == "Share of replications finished (%)"
    ticks = [t.get_text() for t in ecdf_ax.get_yticklabels() if t.get_text()]
    assert ticks and all(t.endswith("%") for t in ticks)
