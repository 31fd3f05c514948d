"""The theatre on a map: sites at their coordinates, each road leg as wide as the convoys that used it and
coloured by the convoy-hours waited on it, the binding resource named (:func:`network_figure`).

``network.json`` of a theatre run holds the sites (name, title, kind, lat, lon) and legs (from, to, km);
the means of its ``leg.<from>-<to>.convoys`` and ``.wait_hours`` columns are the flows drawn.
"""

from __future__ import annotations

import json
import math
import textwrap
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import Bbox

from sim.names import share
from sim.plots.style import BLACK, BLUE, REDDISH_PURPLE, VERMILLION, style_context

SITE_STYLE = {
    "base": ("s", BLUE, "Base (US troops leave it)"),
    "hub": ("D", REDDISH_PURPLE, "Hub inside Syria"),
    "crossing": ("^", VERMILLION, "Border crossing"),
    "destination": ("*", BLACK, "Destination in the Kurdistan Region of Iraq"),
}
"""Marker, colour and legend words of each kind of site."""


LEG_WIDTH_POINTS = (1.0, 9.0)
"""Line widths (points) of the leg with the fewest and the one with the most convoys."""


@dataclass(frozen=True)
class Site:
    """A place of the theatre: a base, a hub, a border crossing or a destination, at (lat, lon) degrees."""

    name: str
    title: str
    kind: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Leg:
    """A two-way road between two sites, ``km`` long; named ``<from>-<to>`` as in the scenario file."""

    start: str
    end: str
    km: float

    @property
    def name(self) -> str:
        return f"{self.start}-{self.end}"


@dataclass(frozen=True)
class Network:
    """The sites and legs of a theatre scenario, as ``network.json`` holds them."""

    sites: tuple[Site, ...]
    legs: tuple[Leg, ...]

    def site(self, name: str) -> Site:
        return next(s for s in self.sites if s.name == name)

    def title(self, name: str) -> str:
        """A site's title in words (its name if the network does not list it)."""
        return next((s.title for s in self.sites if s.name == name), name)


@dataclass(frozen=True)
class LegFlow:
    """What one leg carried in a run: mean convoys a replication (both ways, loaded and empty) and mean
    convoy-hours waited on or entering it (closures, nights, the queue at a crossing at its end)."""

    leg: Leg
    convoys: float
    wait_hours: float


def read_network(path: Path) -> Network:
    """``network.json`` as a :class:`Network` (``{"sites": [{name, title, kind, lat, lon}], "legs": [{from, to, km}]}``)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    sites = tuple(Site(str(s["name"]), str(s.get("title") or s["name"]), str(s["kind"]), float(s["lat"]), float(s["lon"])) for s in data["sites"])
    legs = tuple(Leg(str(leg["from"]), str(leg["to"]), float(leg["km"])) for leg in data["legs"])
    return Network(sites, legs)


def leg_flows(network: Network, means: dict[str, float]) -> list[LegFlow]:
    """Each leg with its mean convoys and convoy-hours waited, from the means of the ``leg.<from>-<to>.*`` columns
    (a leg the run has no column for, or only empty values, carried nothing)."""

    def mean(column: str) -> float:
        value = means.get(column, 0.0)
        return value if math.isfinite(value) else 0.0

    return [LegFlow(leg, mean(f"leg.{leg.name}.convoys"), mean(f"leg.{leg.name}.wait_hours")) for leg in network.legs]


def _leg_widths(convoys: np.ndarray) -> np.ndarray:
    """Line widths (points) proportional to the mean convoys, from the thinnest to the thickest width."""
    low, high = LEG_WIDTH_POINTS
    top = float(convoys.max()) if convoys.size else 0.0
    return np.full(convoys.shape, low) if top <= 0 else low + (high - low) * convoys / top


def network_figure(network: Network, flows: list[LegFlow], binding: str, utilisation: dict[str, float] | None = None) -> Figure:
    """The theatre on a map: sites at their coordinates with their titles; each leg as wide as the mean convoys
    that used it and coloured by the mean convoy-hours waited on it; the binding resource named in the title.

    ``utilisation`` (pool title -> busy share, 0-1) is written in a note under the legend when given.
    """
    if not network.sites:
        raise ValueError("network_figure needs at least one site")
    convoys = np.array([f.convoys for f in flows], dtype=float)
    waits = np.array([f.wait_hours for f in flows], dtype=float)
    norm = mpl.colors.Normalize(vmin=0.0, vmax=max(float(waits.max()) if waits.size else 0.0, 1.0))
    cmap = mpl.colormaps["viridis_r"]
    with style_context():
        fig = Figure(layout="constrained", figsize=(11.0, 6.5))
        FigureCanvasAgg(fig)  # so fig.canvas.draw() renders, as for a pyplot figure
        ax = fig.subplots()
        span = max(s.lon for s in network.sites) - min(s.lon for s in network.sites)
        centre = (float(np.mean([s.lon for s in network.sites])), float(np.mean([s.lat for s in network.sites])))
        for flow, width in zip(flows, _leg_widths(convoys), strict=True):
            a, b = network.site(flow.leg.start), network.site(flow.leg.end)
            ax.plot([a.lon, b.lon], [a.lat, b.lat], color=cmap(norm(flow.wait_hours)), lw=width, solid_capstyle="round", zorder=1, gid=f"leg-{flow.leg.name}")
            if math.hypot(a.lon - b.lon, a.lat - b.lat) < 0.12 * span:
                continue  # a short leg's numbers would cover its sites' titles; the report's table has them
            ax.annotate(
                f"{flow.leg.km:.0f} km, {flow.convoys:.0f} convoy{'' if round(flow.convoys) == 1 else 's'}",
                ((a.lon + b.lon) / 2, (a.lat + b.lat) / 2),
                xytext=_away(((a.lon + b.lon) / 2, (a.lat + b.lat) / 2), centre, 10),
                textcoords="offset points",
                fontsize=7,
                color="#333333",
                ha="center",
                va="center",
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.8},
                zorder=2,
            )
        kinds_drawn = []
        titles = []
        for site in network.sites:
            marker, color, _ = SITE_STYLE.get(site.kind, ("o", BLACK, site.kind))
            ax.scatter(
                [site.lon], [site.lat], marker=marker, s=110 if marker != "*" else 220, color=color, edgecolor="white", zorder=3, gid=f"site-{site.name}"
            )
            titles.append(
                ax.annotate(
                    site.title,
                    (site.lon, site.lat),
                    xytext=(7.0, 7.0),
                    textcoords="offset points",
                    ha="left",
                    va="bottom",
                    fontsize=9,
                    weight="bold",
                    zorder=4,
                    gid=f"title-{site.name}",
                    bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.75},
                )
            )
            if site.kind not in kinds_drawn:
                kinds_drawn.append(site.kind)
        _frame_map(ax, network)
        bar = fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.8)
        bar.set_label("Convoy-hours waited on the leg (mean per replication)")
        handles = [
            Line2D([], [], marker=SITE_STYLE[k][0], color=SITE_STYLE[k][1], ls="", markersize=9, label=SITE_STYLE[k][2]) for k in kinds_drawn if k in SITE_STYLE
        ]
        top = float(convoys.max()) if convoys.size else 0.0
        for value in sorted({round(top), round(top / 2)} - {0}):
            handles.append(Line2D([], [], color="#777777", lw=_leg_widths(np.array([value, top]))[0], label=f"Road leg: {value:.0f} convoys a replication"))
        if top <= 0:
            handles.append(Line2D([], [], color="#777777", lw=LEG_WIDTH_POINTS[0], label="Road leg (no convoys recorded)"))
        legend = ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=True, framealpha=0.9, title="Line width: convoys both ways")
        legend.set_gid("legend")
        if utilisation:
            note = "Busy share of the trucks of each pool:\n" + "\n".join(f"{name}: {share(value)}" for name, value in utilisation.items())
            ax.text(
                0.99,
                0.98,
                note,
                transform=ax.transAxes,
                ha="right",
                va="top",
                fontsize=8,
                gid="utilisation",
                bbox={"facecolor": "white", "edgecolor": "#bbbbbb"},
            )
        fig.suptitle("The theatre: convoys and waits on each road leg\n" + textwrap.fill(f"Binding resource: {binding}", 110), fontsize=11)
        place_titles(fig, ax, network, titles)
    return fig


TITLE_DISTANCES_POINTS = (7.0, 12.0, 18.0, 26.0, 36.0)
"""How far from its site a title may go, nearest first (typographic points)."""


def place_titles(fig: Figure, ax, network: Network, titles: list) -> None:
    """Move each site's title to the nearest of eight places around its site (then further out) where its box covers
    no other title, no leg's numbers, no site, the legend or the note, and stays inside the map: sites close together
    (Rmelan, Kharab al-Jir, al-Waleed) get titles that do not overlap. Deterministic: the most crowded site first,
    each trying first the direction away from its neighbours."""
    for title in titles:
        title.set_in_layout(False)  # kept inside the map by the placing itself: moving one must not move the layout
    for _ in range(2):  # the constrained layout settles in two passes: boxes are measured where they will be drawn
        fig.canvas.draw()
    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)  # network_figure draws on Agg
    renderer = canvas.get_renderer()
    pad = 2.0
    frame = ax.get_window_extent(renderer)
    taken = [t.get_window_extent(renderer).expanded(1.0, 1.0) for t in ax.texts if t not in titles]
    taken += [artist.get_window_extent(renderer) for artist in (ax.get_legend(),) if artist is not None]
    radius = 6.0 * fig.dpi / 72.0
    sites = {s.name: ax.transData.transform((s.lon, s.lat)) for s in network.sites}
    taken += [Bbox.from_extents(x - radius, y - radius, x + radius, y + radius) for x, y in sites.values()]

    def crowd(site: Site) -> float:
        x, y = sites[site.name]
        return -sum(1.0 for ox, oy in sites.values() if 0 < math.hypot(ox - x, oy - y) < 120.0)

    placed: list[Bbox] = []
    for site, title in sorted(zip(network.sites, titles, strict=True), key=lambda pair: crowd(pair[0])):
        x, y = sites[site.name]
        near = [(ox, oy) for name, (ox, oy) in sites.items() if name != site.name and math.hypot(ox - x, oy - y) < 160.0]
        away = math.atan2(y - float(np.mean([p[1] for p in near])), x - float(np.mean([p[0] for p in near]))) if near else math.pi / 4
        directions = sorted((k * math.pi / 4 for k in range(8)), key=lambda a: abs(math.remainder(a - away, 2 * math.pi)))
        best: tuple[float, tuple[float, float], Bbox] | None = None
        for distance in TITLE_DISTANCES_POINTS:
            for angle in directions:
                box = _try_title(title, renderer, distance, angle)
                clash = sum(_overlap(box.padded(pad), other) for other in [*taken, *placed]) + _outside(box, frame)
                if best is None or clash < best[0]:
                    best = (clash, (distance, angle), box)
                if clash == 0:
                    break
            if best is not None and best[0] == 0:
                break
        assert best is not None
        final = _try_title(title, renderer, *best[1])
        placed.append(final)


def _try_title(title, renderer, distance: float, angle: float) -> Bbox:
    """Put ``title`` ``distance`` points from its site in direction ``angle``, aligned so that it grows away from the
    site; returns its box on the canvas."""
    dx, dy = distance * math.cos(angle), distance * math.sin(angle)
    title.xyann = (dx, dy)
    title.set_horizontalalignment("left" if dx > 1e-9 else "right" if dx < -1e-9 else "center")
    title.set_verticalalignment("bottom" if dy > 1e-9 else "top" if dy < -1e-9 else "center")
    return title.get_window_extent(renderer)


def _overlap(a: Bbox, b: Bbox) -> float:
    """The area two boxes share on the canvas (0 when they do not meet)."""
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return width * height if width > 0 and height > 0 else 0.0


def _outside(box: Bbox, frame: Bbox) -> float:
    """How much of ``box`` lies outside the map's frame (its area), so that a title is kept inside the axes."""
    return box.width * box.height - _overlap(box, frame)


def _away(point: tuple[float, float], origin: tuple[float, float], points: float) -> tuple[float, float]:
    """An offset of ``points`` (typographic points) from ``point`` directly away from ``origin``: titles of sites close
    together, and the numbers of legs that meet, spread apart instead of covering one another."""
    dx, dy = point[0] - origin[0], point[1] - origin[1]
    length = math.hypot(dx, dy)
    if length == 0:
        return (points, points)
    return (points * dx / length, points * dy / length)


def _frame_map(ax, network: Network) -> None:
    """Degrees on both axes, one km east as long as one km north (so the map is not stretched)."""
    lats = [s.lat for s in network.sites]
    lon_span = max(s.lon for s in network.sites) - min(s.lon for s in network.sites)
    ax.set_xmargin(max(0.1, 0.25 / max(lon_span, 0.25)))  # room for the titles right of the easternmost site
    ax.set_ymargin(0.15)
    # The box keeps its size and the latitudes widen to fill it: a flat theatre leaves room for the legend.
    ax.set_aspect(1.0 / math.cos(math.radians(float(np.mean(lats)))), adjustable="datalim")
    ax.set_xlabel("Longitude (degrees east)")
    ax.set_ylabel("Latitude (degrees north)")
    ax.grid(True, axis="both", lw=0.4)
