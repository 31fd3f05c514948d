"""One replication as a timeline (Gantt): each convoy's legs, the airlift sorties, and the closures.

Takes the replication's ``outcome.timeline`` (a list of ``{"kind": "convoy" | "sortie",
"number", "legs": {"departed", "border", "crossed", "arrived", "back"}}`` with times in
hours from day 0 00:00) and the closed periods by kind (hours), and returns a Figure with
days on the x axis: one row per convoy, one row for the airlift.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.plots.completion import add_calendar_axis, days_label, shade_window
from sim.plots.style import (
    BLACK,
    BLUE,
    BLUISH_GREEN,
    ORANGE,
    REDDISH_PURPLE,
    SKY_BLUE,
    VERMILLION,
    WINDOW_ALPHA,
    WINDOW_COLOR,
    YELLOW,
    overlap_color,
    style_context,
)

LEGS = (
    ("departed", "border", "Drive in Syria (with halts)", BLUE),
    ("border", "crossed", "At the crossing (queue, closures, processing)", VERMILLION),
    ("crossed", "arrived", "Drive in Iraq", SKY_BLUE),
    ("arrived", "back", "Empty trucks return", "#b3b3b3"),
)
"""(from event, to event, label, colour) of each leg of a convoy's trip."""

CLOSURE_STYLES = {
    "night (no driving in Syria)": {"color": BLACK, "alpha": 0.06},
    "route closed": {"color": ORANGE, "alpha": 0.35},
    "crossing closed": {"color": REDDISH_PURPLE, "alpha": 0.35},
    "pause": {"color": BLACK, "alpha": 0.25},
    "dust (aircraft grounded)": {"color": YELLOW, "alpha": 0.45},
}
"""How each kind of closed period is shaded behind the bars."""

BAR_HEIGHT = 0.7
SORTIE_COLOR = BLUISH_GREEN


def in_departure_order(timeline: Sequence[Mapping]) -> list[Mapping]:
    """The convoys of a timeline in order of departure, the chart's rows 1, 2, ...: a convoy numbered when it formed may
    leave after a later one (its escort or trucks were not ready), and the axis says departure. Convoys that never left
    come last, by number."""
    convoys = [i for i in timeline if i["kind"] == "convoy"]
    return sorted(convoys, key=lambda i: (i["legs"].get("departed", np.inf), int(i["number"])))


def leg_spans(timeline: Sequence[Mapping], start: str, end: str) -> list[tuple[int, float, float]]:
    """(row, start day, duration in days) of one leg for every convoy that has both ends; rows in order of departure."""
    out = []
    for row, item in enumerate(in_departure_order(timeline), start=1):
        legs = item["legs"]
        if start in legs and end in legs:
            out.append((row, legs[start] / 24.0, (legs[end] - legs[start]) / 24.0))
    return out


def sortie_spans(timeline: Sequence[Mapping]) -> list[tuple[float, float]]:
    """(departure day, flight duration in days) of every airlift sortie."""
    return [(i["legs"]["departed"] / 24.0, (i["legs"]["arrived"] - i["legs"]["departed"]) / 24.0) for i in timeline if i["kind"] == "sortie"]


def _capital(text: str) -> str:
    return text[0].upper() + text[1:]


def shaded_periods(
    closures: Mapping[str, Sequence[tuple[float, float]]], window: tuple[float, float], last_day: float
) -> dict[str, tuple[list[tuple[float, float]], dict]]:
    """Every band the chart shades, by legend name: the planning window and each kind of closure (in days, up to ``last_day``),
    each with its style."""
    bands: dict[str, tuple[list[tuple[float, float]], dict]] = {}
    if window[0] < last_day:
        bands[f"Window {window[0]:g}-{window[1]:g} days"] = ([(window[0], min(window[1], last_day))], {"color": WINDOW_COLOR, "alpha": WINDOW_ALPHA})
    for kind, intervals in closures.items():
        shown = [(a / 24.0, min(b / 24.0, last_day)) for a, b in intervals if a / 24.0 < last_day]
        if shown:
            bands[_capital(kind)] = (shown, CLOSURE_STYLES.get(kind, {"color": BLACK, "alpha": 0.2}))
    return bands


def overlaps(bands: Mapping[str, tuple[list[tuple[float, float]], dict]]) -> list[tuple[str, str]]:
    """Pairs of shaded bands that cover some of the same time, where their shades add up to a third colour."""
    names = list(bands)
    found = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            if any(x0 < y1 and y0 < x1 for x0, x1 in bands[a][0] for y0, y1 in bands[b][0]):
                found.append((a, b))
    return found


def draw_closures(ax: Axes, closures: Mapping[str, Sequence[tuple[float, float]]], last_day: float, window: tuple[float, float] | None = None) -> list[Patch]:
    """Shade closed periods (hours) up to ``last_day``; returns legend entries for every band shown (the window too,
    when given) and for each pair of bands that overlap, in the colour they make together."""
    bands = shaded_periods(closures, window or (np.inf, np.inf), last_day)
    handles = []
    for name, (intervals, style) in bands.items():
        if not name.startswith("Window"):
            kind = next(k for k in closures if _capital(k) == name)
            for a, b in intervals:
                ax.axvspan(a, b, lw=0, gid=f"closure-{kind}", **style)
        handles.append(Patch(label=name, **style))
    for a, b in overlaps(bands):
        shades = [(bands[n][1]["color"], bands[n][1]["alpha"]) for n in (a, b)]
        handles.append(Patch(color=overlap_color(*shades), label=f"{a} and {b[0].lower() + b[1:]} together", gid="overlap"))
    return handles


def draw_convoys(ax: Axes, timeline: Sequence[Mapping]) -> list[Patch]:
    """Each convoy's legs on its row, in order of departure (:func:`in_departure_order`)."""
    handles = []
    for start, end, label, color in LEGS:
        spans = leg_spans(timeline, start, end)
        if spans:
            for row, left, width in spans:
                ax.broken_barh([(left, width)], (row - BAR_HEIGHT / 2, BAR_HEIGHT), color=color, lw=0, gid=f"leg-{start}-{end}")
            handles.append(Patch(color=color, label=label))
    return handles


def timeline_figure(
    timeline: Sequence[Mapping],
    closures: Mapping[str, Sequence[tuple[float, float]]],
    window: tuple[float, float],
    start_date: datetime.date,
    days_to_base_empty: float,
    title: str = "One replication",
) -> Figure:
    """Gantt chart of one replication: a row per convoy (its legs), a row for the airlift, closures shaded."""
    convoys = [i for i in timeline if i["kind"] == "convoy"]
    times = [t for i in timeline for k, t in i["legs"].items() if isinstance(t, (int, float))]
    last_day = max([*times, 24.0 * days_to_base_empty, 24.0]) / 24.0 + 0.5
    number_at = {row: int(item["number"]) for row, item in enumerate(in_departure_order(timeline), start=1)}
    rows = len(convoys)
    with style_context():
        fig = Figure(layout="constrained", figsize=(10.0, max(4.5, 1.5 + 0.16 * rows)))
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        shade_window(ax, window)
        handles: list[Artist] = [*draw_closures(ax, closures, last_day, window)]
        handles += draw_convoys(ax, timeline)
        sorties = sortie_spans(timeline)
        if sorties:
            ax.broken_barh(sorties, (-BAR_HEIGHT / 2, BAR_HEIGHT), color=SORTIE_COLOR, lw=0.4, edgecolor="white", gid="sorties")
            handles.append(Patch(color=SORTIE_COLOR, label=f"Airlift sortie ({len(sorties)})"))
        ax.axvline(days_to_base_empty, color=BLACK, lw=1.2, ls="--", gid="base-empty")
        handles.append(Line2D([], [], color=BLACK, lw=1.2, ls="--", label=f"Base empty (day {days_to_base_empty:.1f})"))
        ticks = np.arange(0, rows + 1, max(1, int(np.ceil((rows + 1) / 40))))
        ax.set_yticks(ticks, ["Airlift" if t == 0 else f"Convoy {number_at[int(t)]}" for t in ticks])
        ax.set_ylim(rows + 0.8, -0.8)
        ax.set_xlim(0, last_day)
        ax.grid(axis="y", visible=False)
        ax.grid(axis="x")
        ax.set_axisbelow(True)
        ax.set_ylabel("Convoy (in order of departure) and airlift")
        ax.set_xlabel(days_label(start_date))
        add_calendar_axis(ax, start_date)
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        fig.suptitle(title)
    return fig
