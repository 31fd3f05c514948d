"""Command-line options shared by the commands that run replications (``run``, ``sweep``, ``compare``)."""

from __future__ import annotations

import errno
import re
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

EXIT_WORKERS = 5
EXIT_INTERRUPTED = 130
"""Exit status when the workers cannot be reached or a batch keeps failing on them."""
EXIT_OUTPUT = 4
"""Exit status when the results folder cannot be written (read-only, full, not a folder)."""

_TEMPORARY = re.compile(r"^\.(.+)\.[A-Za-z0-9_]+\.tmp$")


def output_problem(exc: BaseException) -> str:
    """One line for a results file that could not be written: which file (its final name, not the
    temporary one) and why, e.g. ``results/x/manifest.json: cannot write (Permission denied)``."""
    from pathlib import Path

    why = getattr(exc, "strerror", None) or str(exc) or exc.__class__.__name__
    name = getattr(exc, "filename", None)
    if name is None:
        return f"cannot write the results ({why}); choose another --out or make room"
    path = Path(str(name))
    found = _TEMPORARY.match(path.name)
    if found:
        path = path.with_name(found.group(1))
    return f"{path}: cannot write ({why}); choose another --out or make room"


class EvacsimGroup(TyperGroup):
    """Every command: a results folder that cannot be written (read-only, full) is one line and
    exit status 4, never a traceback, whichever command and whichever file it was writing."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]  # typer vendors click: its Context is typer._click's
        from sim.commands._console import sigterm_as_ctrl_c, stopped
        from sim.experiment.storage import one_writer

        try:
            # SIGTERM is handled as Ctrl-C; the results folders a command locks stay locked until it ends (figures drawn included)
            with sigterm_as_ctrl_c(), one_writer():
                return super().invoke(ctx)
        except KeyboardInterrupt:  # a command that says nothing of its own on Ctrl-C (plot, report): not click's "Aborted!"
            stopped("interrupted")
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # a closed pipe (evacsim schema | head) is click's to handle
                raise
            message = output_problem(exc)
        except Exception as exc:
            from sim.experiment.storage import OutputError

            if not isinstance(exc, OutputError):
                raise
            message = str(exc)

        from sim.commands._console import fail

        fail(message, EXIT_OUTPUT)


_ADDRESS = re.compile(r"^([a-z]+://)?(\[[0-9a-fA-F:.]+\]|[^\s:/\[\]]+):\d{1,5}$")


def _scheduler_address(ctx: typer.Context, value: str | None) -> str | None:
    """A Dask scheduler address such as ``tcp://10.0.0.5:8786``; refused before any work if malformed."""
    if value is None:
        return value
    if not _ADDRESS.match(value):
        raise typer.BadParameter(f"{value!r} is not a scheduler address; give it as tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786")
    if ctx.params.get("dask_local"):
        raise typer.BadParameter("give either --scheduler or --dask-local, not both")
    return value


def _local_workers(ctx: typer.Context, value: int | None) -> int | None:
    if value and ctx.params.get("scheduler"):
        raise typer.BadParameter("give either --scheduler or --dask-local, not both")
    return value


SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786 (see docs/CLUSTER.md)",
        show_default=False,
        callback=_scheduler_address,
    ),
]
DaskLocalOpt = Annotated[
    int | None,
    typer.Option(
        "--dask-local", min=1, help="start a Dask LocalCluster of N single-threaded workers on this machine", show_default=False, callback=_local_workers
    ),
]
SeedOpt = Annotated[int, typer.Option(min=0, help="seed of the run's SeedSequence (a whole number >= 0): same seed, same bits")]

JobsOpt = Annotated[int | None, typer.Option(min=1, help="worker processes (default: all cores)")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="override a field by dotted path, value as TOML: --set fleet.civilian.count=120")]
OutOpt = Annotated[Path | None, typer.Option(help="results folder (default: results/<scenario>-<command>-<UTC time>/)")]
ForceOpt = Annotated[bool, typer.Option(help="write into a non-empty --out folder (finished replications of the very same study there are reused)")]
ResumeOpt = Annotated[bool, typer.Option(help="finish an interrupted study in --out: run only the replications it is missing")]
ScenarioArg = Annotated[Path, typer.Argument(help="scenario file, e.g. scenarios/qasrak_baseline.toml", show_default=False)]
