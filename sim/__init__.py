"""evacsim: a discrete-event logistics simulator of a base evacuation by road convoy and airlift.

Every study the command line runs is a function here that writes the same results folder::

    import sim

    loaded = sim.load("scenarios/qasrak_baseline.toml")
    result = sim.run(loaded, 200, seed=7, out="results/notebook-run")
    result.summary["p_15_to_30"]["estimate"]

The functions live in :mod:`sim.api` and are imported on first use, so ``import sim`` stays
cheap (no NumPy, SimPy or pandas until a study is called). See docs/API.md.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__all__ = [
    "StudyOptions",
    "__version__",
    "backtest",
    "calibrate",
    "compare",
    "discover",
    "evidence",
    "load",
    "marginal",
    "nowcast",
    "plan",
    "run",
    "sensitivity",
    "sweep",
    "write_report",
]

if TYPE_CHECKING:
    __version__: str
    from sim.api import StudyOptions, backtest, calibrate, compare, discover, evidence, load, marginal, nowcast, plan, run, sensitivity, sweep, write_report


def __getattr__(name: str) -> Any:
    """The studies of :mod:`sim.api`, imported the first time one is asked for; ``__version__`` from the installed metadata."""
    if name == "__version__":
        from importlib import metadata

        try:
            return metadata.version("evacsim")
        except metadata.PackageNotFoundError:  # a source tree that was never installed
            return "0+unknown"
    if name in __all__:
        return getattr(import_module("sim.api"), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
