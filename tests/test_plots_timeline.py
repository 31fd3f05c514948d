"""The timeline draws each convoy's legs where the replication's events put them, and the closures between."""

from __future__ import annotations

import datetime

import pytest

from sim.plots.timeline import timeline_figure

WINDOW = (15.0, 30.0)
START = datetime.date(2026, 2, 23)

TIMELINE = [
    {"kind": "sortie", "number": 1, "loads": 4, "people": 20, "legs": {"departed": 2.5, "arrived": 3.8}},
    {"kind": "convoy", "number": 1, "vehicles": 50, "loads": 35, "legs": {"departed": 24.0, "border": 36.0, "crossed": 48.0, "arrived": 60.0, "back": 96.0}},
    {"kind": "convoy", "number": 2, "vehicles": 10, "loads": 0, "legs": {"departed": 120.0, "border": 132.0, "crossed": 180.0, "arrived": 192.0}},
]
CLOSURES = {"crossing closed": [(144.0, 168.0)], "route closed": [], "pause": [(1000.0, 1100.0)]}


@pytest.fixture(scope="module")
def figure():
    return timeline_figure(TIMELINE, CLOSURES, WINDOW, START, days_to_base_empty=5.0, title="test")


def bars_of(ax, gid):
    """(row, start day, duration in days) of every bar with this gid, rounded to 1e-6 day."""
    out = []
    for c in ax.collections:
        if c.get_gid() == gid:
            for path in c.get_paths():
                v = path.vertices
                out.append((round(float((v[:, 1].min() + v[:, 1].max()) / 2)), round(float(v[:, 0].min()), 6), round(float(v[:, 0].max() - v[:, 0].min()), 6)))
    return sorted(out)


def test_each_leg_spans_its_events_in_days(figure):
    ax = figure.axes[0]
    assert bars_of(ax, "leg-departed-border") == [(1, 1.0, 0.5), (2, 5.0, 0.5)]
    assert bars_of(ax, "leg-border-crossed") == [(1, 1.5, 0.5), (2, 5.5, 2.0)]
    assert bars_of(ax, "leg-crossed-arrived") == [(1, 2.0, 0.5), (2, 7.5, 0.5)]


def test_a_convoy_without_trucks_to_return_has_no_return_leg(figure):
    assert bars_of(figure.axes[0], "leg-arrived-back") == [(1, 2.5, 1.5)]


def test_sorties_are_on_the_airlift_row(figure):
    assert bars_of(figure.axes[0], "sorties") == [(0, round(2.5 / 24, 6), round(1.3 / 24, 6))]
    assert figure.axes[0].get_yticklabels()[0].get_text() == "Airlift"


def test_closures_inside_the_chart_are_shaded_in_days_and_later_ones_left_out(figure):
    ax = figure.axes[0]
    crossing = [p for p in ax.patches if p.get_gid() == "closure-crossing closed"]
    assert len(crossing) == 1
    x = ax.transData.inverted().transform(crossing[0].get_verts())[:, 0]
    assert (x.min(), x.max()) == pytest.approx((6.0, 7.0))
    assert not [p for p in ax.patches if p.get_gid() == "closure-pause"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Crossing closed" in legend and "Pause" not in legend


def test_base_empty_line_and_window_are_at_their_days(figure):
    ax = figure.axes[0]
    line = next(line for line in ax.lines if line.get_gid() == "base-empty")
    assert list(line.get_xdata()) == [5.0, 5.0]
    window = next(p for p in ax.patches if p.get_gid() == "window")
    x = ax.transData.inverted().transform(window.get_verts())[:, 0]
    assert (x.min(), x.max()) == pytest.approx(WINDOW)


def test_x_axis_is_in_days_with_calendar_dates_above(figure):
    ax = figure.axes[0]
    assert "(days)" in ax.get_xlabel()
    assert ax.get_xlim()[1] == pytest.approx(192.0 / 24 + 0.5)
    assert any("date" in child.get_xlabel().lower() for child in ax.child_axes)


def test_every_band_is_in_the_legend_and_overlapping_bands_too():
    closures = {"night (no driving in Syria)": [(18.0, 30.0), (42.0, 54.0)], "route closed": [(20.0, 26.0)], "crossing closed": [(144.0, 168.0)]}
    fig = timeline_figure(TIMELINE, closures, (2.0, 6.5), START, days_to_base_empty=5.0, title="test")
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert {"Window 2-6.5 days", "Night (no driving in Syria)", "Route closed", "Crossing closed"} <= set(legend)
    assert "Night (no driving in Syria) and route closed together" in legend
    assert "Window 2-6.5 days and crossing closed together" in legend
    assert not any("Route closed and crossing" in entry for entry in legend)


def test_x_label_is_plain_words_with_its_unit(figure):
    assert figure.axes[0].get_xlabel() == "Days since 23 Feb 2026 (days)"


def test_convoys_are_drawn_in_order_of_departure_as_the_axis_says_each_labelled_by_its_number():
    """Convoy 7 formed before 5 but left after it, and 12 left before 11: the rows follow the departures, not the numbers."""
    departed = {1: 10.0, 2: 20.0, 3: 30.0, 4: 40.0, 5: 50.0, 6: 60.0, 7: 55.0, 8: 70.0, 9: 80.0, 10: 90.0, 11: 110.0, 12: 100.0}
    timeline = [
        {"kind": "convoy", "number": n, "vehicles": 30, "loads": 20, "legs": {"departed": t, "border": t + 6.0, "crossed": t + 8.0, "arrived": t + 14.0}}
        for n, t in sorted(departed.items())
    ]
    figure = timeline_figure(timeline, {}, WINDOW, START, days_to_base_empty=6.0, title="order")
    ax = figure.axes[0]
    drives = bars_of(ax, "leg-departed-border")
    assert [start for _, start, _ in drives] == sorted(round(t / 24.0, 6) for t in departed.values())  # row by row, later and later
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Airlift", *(f"Convoy {n}" for n in (1, 2, 3, 4, 5, 7, 6, 8, 9, 10, 12, 11))]
    row = {int(text.removeprefix("Convoy ")): tick for tick, text in zip(ax.get_yticks(), labels, strict=True) if text != "Airlift"}
    assert row[7] > row[5] and row[12] < row[11]  # lower on the chart = later: rows grow downwards
    assert {start: r for r, start, _ in drives}[round(55.0 / 24.0, 6)] == row[7]
