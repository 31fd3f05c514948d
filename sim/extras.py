"""The optional parts of evacsim (pip extras), and the one-line error when a command needs one that is missing.

The core install (``pip install evacsim``) runs, sweeps, analyses and reports on one machine.
Packages imported by one module only are extras:

- ``dask``: ``dask[distributed]``, for ``--scheduler`` and ``--dask-local`` (:mod:`sim.experiment.executors`);
- ``plan``: ``optuna``, for ``evacsim plan`` (:mod:`sim.experiment.plan`);
- ``discover``: ``prim`` (GPL-3.0-or-later), for ``evacsim discover`` (:mod:`sim.analysis.discovery`);
- ``serve``: ``starlette`` and ``uvicorn``, for ``evacsim serve``, the what-if page (:mod:`sim.whatif`);

and ``all`` installs the four (``make run``, ``make test`` and ``make bench`` do). A command that
needs a missing one stops with exit status 6 and one line naming the ``pip install`` to run.
"""

from __future__ import annotations

import importlib
from types import ModuleType

EXTRAS: dict[str, tuple[str, str]] = {
    "dask": ("distributed", "running on a Dask cluster (--scheduler, --dask-local)"),
    "plan": ("optuna", "evacsim plan"),
    "discover": ("prim", "evacsim discover (PRIM, GPL-3.0-or-later)"),
    "serve": ("uvicorn", "evacsim serve (the what-if page)"),
}
"""Extra -> (the module it brings, what needs it)."""

EXIT_MISSING_EXTRA = 6
"""The command line's exit status when a command needs an extra that is not installed."""


class MissingExtra(ImportError):
    """A command needs an optional part of evacsim that is not installed; the message says what to install."""

    def __init__(self, extra: str) -> None:
        module, needed_for = EXTRAS[extra]
        super().__init__(f"{needed_for} needs the optional package {module!r}, which is not installed: pip install 'evacsim[{extra}]' (or 'evacsim[all]')")
        self.extra = extra


def need(extra: str) -> ModuleType:
    """The module ``extra`` brings, imported; :class:`MissingExtra` if it is not installed."""
    module, _ = EXTRAS[extra]
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(extra) from None
