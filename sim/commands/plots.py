"""``evacsim plot`` and ``evacsim report``: pictures and a one-file HTML report of a results folder.

A folder that is not a results folder, or one none of whose figures can be drawn from its
files, is a user error: one line, exit status 3. A figure that cannot be drawn while others
can is one line on stderr naming the command that draws it; the exit status is then 0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from sim.commands import _console

EXIT_NOT_RESULTS = 3

FolderArg = Annotated[
    Path,
    typer.Argument(
        metavar="RESULTS_FOLDER",
        help="results folder written by evacsim run, sweep, compare, sensitivity, calibrate, marginal, discover, nowcast, evidence, backtest or plan",
        show_default=False,
    ),
]

console = Console()


def _fail(message: str) -> None:

    _console.fail(message, EXIT_NOT_RESULTS)


def plot(folder: FolderArg) -> None:
    """Draw every figure that applies to a results folder into it (PNG and SVG), and list the files written."""
    from sim.plots.figures import NotResultsFolder, plot_folder

    try:
        plotted = plot_folder(folder)
    except NotResultsFolder as exc:
        _fail(str(exc))
    except OSError as exc:
        _console.fail(f"{folder}: cannot write the figures ({exc.strerror or exc})", _console.EXIT_OUTPUT)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        _fail(f"{folder}: cannot draw its figures from its files ({type(exc).__name__}: {exc}); write the folder again, or restore its files")
    if not plotted.paths:
        _fail("; ".join(plotted.skipped) or f"{folder}: no figure applies to this folder")
    for line in plotted.skipped:
        _console.warn(line)
    for path in plotted.paths:
        console.print(str(path), highlight=False, soft_wrap=True)


def report(
    folder: FolderArg,
    replot: Annotated[bool, typer.Option(help="draw every figure again, even those already in the folder")] = False,
) -> None:
    """Write report.html into a results folder: verdict, summary, every figure, provenance and manifest."""
    from sim import api
    from sim.plots.figures import NotResultsFolder

    try:
        with _console.working("writing the report"):
            path = api.write_report(folder, replot=replot)
    except NotResultsFolder as exc:
        _fail(str(exc))
    except OSError as exc:
        _console.fail(f"{folder}: cannot write the report ({exc.strerror or exc})", _console.EXIT_OUTPUT)
    from sim.report.browser import check_layout

    layout = check_layout(path)  # the page's own overflow flag, read in a headless Chromium when one is installed
    if layout is not None and not layout.fits:
        _console.warn(layout.warning(path))
    console.print(f"Report in [bold]{escape(str(path))}[/]")


def register(app: typer.Typer) -> None:
    app.command()(plot)
    app.command()(report)
