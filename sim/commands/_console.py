"""What every command shares to talk to its user: the consoles, one-line errors with an exit status,
warnings, the progress bar, the closing line, and loading a scenario named on the command line.

Kept apart from :mod:`sim.cli` so that command modules import it and the CLI imports them,
never the other way round.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from sim.scenario.loading import EXIT_BAD_INPUT, LoadedScenario, ScenarioError, load_scenario

console = Console()
errors = Console(stderr=True)


def fail(message: str, status: int) -> NoReturn:
    """One paragraph on stderr, then exit with ``status``."""
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(status)


def warn(message: str) -> None:
    """One warning line on stderr; the message is shown as written (no rich markup)."""
    errors.print(f"[yellow]warning:[/] {escape(message)}", highlight=False, soft_wrap=True)


def results_in(folder: Path, before: str = "") -> None:
    """The closing line of a command that wrote a results folder."""
    console.print(f"{escape(before)}Results in [bold]{escape(str(folder))}[/]")


def progress() -> Progress:
    """A progress bar on stderr that counts replications and says how long is left."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=errors,
        transient=True,
    )


def load(path: Path, overrides: Sequence[str] | None) -> LoadedScenario:
    """The scenario at ``path`` with ``--set`` overrides; a bad one is one paragraph and exit status 3."""
    try:
        return load_scenario(path, list(overrides or []))
    except ScenarioError as exc:
        fail(str(exc), EXIT_BAD_INPUT)
