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
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.plots.completion import add_calendar_axis, days_label, shade_window
from sim.plots.style import BLACK, BLUE, BLUISH_GREEN, ORANGE, REDDISH_PURPLE, SKY_BLUE, VERMILLION, YELLOW, style_context

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


def leg_spans(timeline: Sequence[Mapping], start: str, end: str) -> list[tuple[int, float, float]]:
    """(convoy number, start day, duration in days) of one leg for every convoy that has both ends."""
    out = []
    for item in timeline:
        legs = item["legs"]
        if item["kind"] == "convoy" and start in legs and end in legs:
            out.append((int(item["number"]), legs[start] / 24.0, (legs[end] - legs[start]) / 24.0))
    return out


def sortie_spans(timeline: Sequence[Mapping]) -> list[tuple[float, float]]:
    """(departure day, flight duration in days) of every airlift sortie."""
    return [(i["legs"]["departed"] / 24.0, (i["legs"]["arrived"] - i["legs"]["departed"]) / 24.0) for i in timeline if i["kind"] == "sortie"]


def draw_closures(ax: Axes, closures: Mapping[str, Sequence[tuple[float, float]]], last_day: float) -> list[Patch]:
    """Shade closed periods (hours) up to ``last_day``; returns legend entries for the kinds present."""
    handles = []
    for kind, intervals in closures.items():
        shown = [(a / 24.0, b / 24.0) for a, b in intervals if a / 24.0 < last_day]
        if not shown:
            continue
        style = CLOSURE_STYLES.get(kind, {"color": BLACK, "alpha": 0.2})
        for a, b in shown:
            ax.axvspan(a, min(b, last_day), lw=0, gid=f"closure-{kind}", **style)
        handles.append(Patch(label=kind[0].upper() + kind[1:], **style))
    return handles


def draw_convoys(ax: Axes, timeline: Sequence[Mapping]) -> list[Patch]:
    handles = []
    for start, end, label, color in LEGS:
        spans = leg_spans(timeline, start, end)
        if spans:
            for number, left, width in spans:
                ax.broken_barh([(left, width)], (number - BAR_HEIGHT / 2, BAR_HEIGHT), color=color, lw=0, gid=f"leg-{start}-{end}")
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
    rows = max((int(i["number"]) for i in convoys), default=0)
    with style_context():
        fig = Figure(layout="constrained", figsize=(10.0, max(4.5, 1.5 + 0.16 * rows)))
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        shade_window(ax, window)
        handles = draw_closures(ax, closures, last_day)
        handles += draw_convoys(ax, timeline)
        sorties = sortie_spans(timeline)
        if sorties:
            ax.broken_barh(sorties, (-BAR_HEIGHT / 2, BAR_HEIGHT), color=SORTIE_COLOR, lw=0.4, edgecolor="white", gid="sorties")
            handles.append(Patch(color=SORTIE_COLOR, label=f"Airlift sortie ({len(sorties)})"))
        ax.axvline(days_to_base_empty, color=BLACK, lw=1.2, ls="--", gid="base-empty")
        handles.append(Line2D([], [], color=BLACK, lw=1.2, ls="--", label=f"Base empty (day {days_to_base_empty:.1f})"))
        ticks = np.arange(0, rows + 1, max(1, int(np.ceil((rows + 1) / 40))))
        ax.set_yticks(ticks, ["Airlift" if t == 0 else f"Convoy {t}" for t in ticks])
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
