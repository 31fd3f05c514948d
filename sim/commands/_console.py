"""What every command shares to talk to its user: the consoles, one-line errors with an exit status,
warnings, the progress bar, the closing line, and loading a scenario named on the command line.

Kept apart from :mod:`sim.cli` so that command modules import it and the CLI imports them,
never the other way round. Nothing here imports the model or SciPy at import time, so that
``evacsim --help`` stays fast.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from rich.progress import Progress

    from sim.scenario.loading import LoadedScenario

EXIT_USAGE = 2
EXIT_BAD_INPUT = 3
EXIT_OUTPUT = 4
EXIT_WORKERS = 5
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
"""Stopped by SIGTERM (128 + 15), which a command handles as Ctrl-C: the same message and cleanup."""


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill PID``, a batch system's time limit), raised where Ctrl-C would be so that every command's Ctrl-C
    handling applies: a run removes what it made, a resumable study keeps its finished batches."""


_TERMINATED = threading.Event()


def interrupted_status() -> int:
    """The exit status of a command stopped by a signal: 143 after SIGTERM, 130 after Ctrl-C (SIGINT)."""
    return EXIT_TERMINATED if _TERMINATED.is_set() else EXIT_INTERRUPTED


def stopped(message: str) -> NoReturn:
    """One paragraph for a command stopped by Ctrl-C or SIGTERM (saying which), and its exit status."""
    fail(f"stopped by SIGTERM: {message}" if _TERMINATED.is_set() else message, interrupted_status())


@contextmanager
def sigterm_as_ctrl_c() -> Iterator[None]:
    """While a command runs, SIGTERM raises :class:`Terminated` (a KeyboardInterrupt) in it, once; pool workers forked
    meanwhile die of it as before (they inherit the handler, which knows the process it was set in)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()
    _TERMINATED.clear()

    def on_sigterm(signum: int, frame: object) -> None:
        if os.getpid() != owner:  # a worker forked from this process: SIGTERM ends it, as it always did
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        if _TERMINATED.is_set():  # a second SIGTERM while the first is being handled: the cleanup goes on
            return
        _TERMINATED.set()
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


console = Console()

PATHS_FROM_COLUMNS = 100
"""The narrowest console, in characters, on which a table shows each input's dotted path under its words."""


def shows_paths() -> bool:
    """Whether a table shows the inputs' dotted paths under their words: on a console of 100 characters or more. On a
    narrower one (80, the width of piped output) a path would fold letter by letter, so only the words show; the csv and
    the report keep the paths."""
    return console.width >= PATHS_FROM_COLUMNS


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


def draw_figures(folder: Path, figures: bool = True) -> None:
    """Draw the figures of a results folder whose answer is already written and printed (run, sweep, compare). Ctrl-C or SIGTERM
    meanwhile keeps every result: it says they are complete and how to draw the figures (exit status 130 or 143);
    a folder changed under the command is one paragraph and exit status 3. Without ``figures`` (``--no-figures``), one
    line says how to draw them later."""
    if not figures:
        console.print(f"[dim]Figures not drawn (--no-figures): evacsim plot {escape(str(folder))} draws them.[/]", soft_wrap=True)
        return
    from sim.plots.figures import NotResultsFolder, plot_results

    try:
        with working("drawing the figures"):
            plot_results(folder)
    except NotResultsFolder as exc:  # the folder changed under the command (a file put among its parts): not a traceback
        fail(str(exc), EXIT_BAD_INPUT)
    except KeyboardInterrupt:  # the answer is written and checked: keep it, and say how to draw the rest
        stopped(f"interrupted while drawing the figures; the results are complete in {folder}: evacsim plot {folder} draws them")


PROGRESS_SECONDS = "EVACSIM_PROGRESS_SECONDS"
"""Environment variable: seconds between the plain progress lines said off a terminal (default 10). The duration
estimate is said for work longer than six of them (a minute by default), once the pace of a fifth of one (2 s) is known;
tests set it short."""


def progress(workers: int | None = None, unit: str = "replications") -> Progress:
    """A progress bar on stderr that counts ``unit`` (replications by default) and says how long is left.

    On a terminal it is rich's bar. Under nohup, CI or a pipe, where no bar shows, it speaks instead: the size of the
    work first, then a plain line every :data:`PROGRESS_SECONDS` (10 s) with the work done, its rate and the time left.
    On both, work that will take more than a minute says about how long, once its pace is known (a few seconds in).
    ``workers``: the worker processes the work runs on, said with the estimate.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from sim.commands._progress import SpeakingProgress

    return SpeakingProgress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=errors,
        transient=True,
        workers=workers,
        unit=unit,
        every=_progress_seconds(),
    )


@contextmanager
def working(what: str) -> Iterator[None]:
    """Work that cannot count its steps (drawing figures, writing a report): a spinner on a terminal; elsewhere a plain
    line every :data:`PROGRESS_SECONDS` (10 s) while it lasts, so that nohup and CI logs show it is alive (work shorter
    than that says nothing)."""
    if errors.is_terminal:
        with errors.status(what):
            yield
        return
    import threading
    import time

    started, done = time.monotonic(), threading.Event()
    every = _progress_seconds()

    def speak() -> None:
        while not done.wait(every):
            errors.print(escape(f"{what}: {time.monotonic() - started:.0f} s so far"), highlight=False, soft_wrap=True)

    speaker = threading.Thread(target=speak, name="evacsim-working", daemon=True)
    speaker.start()
    try:
        yield
    finally:
        done.set()
        speaker.join(timeout=1.0)


def _progress_seconds() -> float:
    import os

    try:
        seconds = float(os.environ.get(PROGRESS_SECONDS, "10"))
    except ValueError:
        return 10.0
    return seconds if seconds > 0 else 10.0


def load(path: Path, overrides: Sequence[str] | None) -> LoadedScenario:
    """The scenario at ``path`` with ``--set`` overrides; a bad one is one paragraph and exit status 3, a file of another
    kind (a study, plan options or observations file) one line saying which command reads it and exit status 2."""
    from sim.scenario.loading import NotAScenario, ScenarioError, load_scenario  # pydantic and SciPy: not for `evacsim --help`

    try:
        return load_scenario(path, list(overrides or []))
    except ScenarioError as exc:
        fail(str(exc), EXIT_USAGE if isinstance(exc, NotAScenario) else EXIT_BAD_INPUT)


@contextmanager
def failures(interrupted: str = "interrupted") -> Iterator[None]:
    """What a study's library call raises, as one paragraph and the command line's exit status: 2 wrong usage,
    3 a bad scenario, study, observations file or results folder, 4 a folder that cannot be written, 5 workers
    that cannot be reached, 6 an optional part of evacsim not installed (:mod:`sim.extras`), 130 interrupted
    (143 by SIGTERM; ``interrupted`` is said when the study keeps nothing)."""
    try:
        yield
    except KeyboardInterrupt:
        stopped(interrupted)
    except Exception as exc:
        message, status = _status_of(exc, interrupted)
        if status == EXIT_INTERRUPTED:
            stopped(message)
        fail(message, status)


def _status_of(exc: Exception, interrupted: str) -> tuple[str, int]:
    # Imported here: these modules are already loaded when a study raised, and `evacsim --help` needs none of them.
    from sim.api import Interrupted, UsageError
    from sim.experiment.compare import WindowMismatchError
    from sim.experiment.evaluate import StudyError
    from sim.experiment.executors import ExecutorError
    from sim.experiment.manifest import ResultsFolderError
    from sim.experiment.storage import OutputError
    from sim.extras import EXIT_MISSING_EXTRA, MissingExtra
    from sim.scenario.loading import NotAScenario, ScenarioError

    if isinstance(exc, Interrupted):
        if exc.resumable:
            return f"{exc}: rerun the same command with --out {exc.folder} --resume", EXIT_INTERRUPTED
        return (str(exc) if exc.none_finished else interrupted), EXIT_INTERRUPTED
    if isinstance(exc, UsageError | NotAScenario):
        return str(exc), EXIT_USAGE
    if isinstance(exc, ScenarioError | StudyError | ResultsFolderError | WindowMismatchError):
        return str(exc), EXIT_BAD_INPUT
    if isinstance(exc, OutputError):
        return str(exc), EXIT_OUTPUT
    if isinstance(exc, ExecutorError):
        return str(exc), EXIT_WORKERS
    if isinstance(exc, MissingExtra):
        return str(exc), EXIT_MISSING_EXTRA
    raise exc


@contextmanager
def named(scenario: Path) -> Iterator[None]:
    """Inside, the inputs a study prints read by a theatre's own names (sites by their titles, roads by their ends,
    :func:`sim.names.theatre_names`); a file that cannot be read changes nothing (the study itself says what is wrong)."""
    from sim.names import theatre_names
    from sim.scenario.loading import ScenarioError, load_scenario

    try:
        loaded = load_scenario(scenario).scenario
    except (ScenarioError, OSError, ValueError):
        loaded = None
    with theatre_names(loaded):
        yield
