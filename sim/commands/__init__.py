"""Command groups beyond the core ones in :mod:`sim.cli`; each module has ``register(app)``.

Kept apart so each capability (sweeps, plots and reports, sensitivity, nowcasting)
owns its commands next to nothing else. Like :mod:`sim.cli`, they only parse
arguments and call the library.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer


def register_all(app: typer.Typer) -> None:
    """Add every command module's commands to the application."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)
