"""One look for every evacsim figure: the Okabe-Ito colour-blind-safe palette and shared rcParams.

Importing this module selects the non-interactive Agg backend, so figures render the
same on a laptop, a server and in CI. Figure functions draw inside :func:`style_context`
and leave the global rcParams alone; :func:`apply_style` is for notebooks and scripts.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import matplotlib
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from sim.names import is_whole, label, unit_of

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

matplotlib.use("Agg")

# Okabe & Ito (2008), "Color Universal Design": distinguishable with any common colour-vision deficiency.
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"

# What each quantity is drawn in, in every figure.
BASE_EMPTY_COLOR = BLUE
FORCE_CLOSURE_COLOR = VERMILLION
WINDOW_COLOR = BLUISH_GREEN
WINDOW_ALPHA = 0.15

DPI = 150

RC_PARAMS: dict[RcKeyType, Any] = {
    "axes.prop_cycle": cycler(color=[BLUE, VERMILLION, BLUISH_GREEN, ORANGE, REDDISH_PURPLE, SKY_BLUE, YELLOW, BLACK]),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#d9d9d9",
    "grid.linewidth": 0.6,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "figure.figsize": (10.0, 4.5),
    "figure.dpi": 100,
    "figure.titlesize": 12,
    "figure.titleweight": "bold",
    "font.family": "DejaVu Sans",
    "savefig.dpi": DPI,
    "savefig.bbox": "tight",
    "svg.fonttype": "none",
    # Titles come from scenario files: a '$' in a site's title ('$\\foo{$') is text, never matplotlib mathtext
    # (which would fail when the figure is drawn, after the answer, or draw something else than written).
    "text.parse_math": False,
}


def apply_style() -> None:
    """Make the evacsim look the default for every figure drawn afterwards in this process."""
    matplotlib.rcParams.update(RC_PARAMS)


@contextlib.contextmanager
def style_context() -> Iterator[None]:
    """Draw in the evacsim look without changing the caller's rcParams."""
    with matplotlib.rc_context(RC_PARAMS):
        yield


def axis_words(factor: str) -> str:
    """A factor's axis label: its planner name and unit, the dotted path after it, e.g.
    ``contracted trucks (count)\nfleet.civilian.count``."""
    words = label(factor)
    return f"{words} ({unit_of(factor)})" + (f"\n{factor}" if words != factor else "")


def whole_number_ticks(ax: Axes, factor: str, axis: str = "x") -> None:
    """Integer ticks on an axis that shows a whole-number factor (trucks, teams), never 2.5 teams."""
    if is_whole(factor):
        (ax.xaxis if axis == "x" else ax.yaxis).set_major_locator(MaxNLocator(integer=True))


def overlap_color(*shades: tuple[str, float]) -> tuple[float, float, float]:
    """The colour two or more translucent shades (colour, alpha) make where they overlap on white, for a legend entry."""
    from matplotlib.colors import to_rgb

    mixed = (1.0, 1.0, 1.0)
    for color, alpha in shades:
        r, g, b = (alpha * c + (1 - alpha) * m for c, m in zip(to_rgb(color), mixed, strict=True))
        mixed = (r, g, b)
    return mixed
