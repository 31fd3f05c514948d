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
    """Add every command module's commands to the application; every command (those of :mod:`sim.cli` too) writes
    its usage line in words (:class:`sim.commands._options.EvacsimCommand`: ``SCENARIO``, not ``{scenario}``)."""
    from typer.core import TyperCommand

    from sim.commands._options import EvacsimCommand

    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)
    for command in app.registered_commands:
        if command.cls in (None, TyperCommand):  # typer's default: not a class a command chose
            command.cls = EvacsimCommand
