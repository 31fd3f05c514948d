"""Command-line options shared by the commands that run replications (``run``, ``sweep``, ``compare``)."""

from __future__ import annotations

import re
from typing import Annotated

import typer

EXIT_WORKERS = 5
EXIT_INTERRUPTED = 130
"""Exit status when the workers cannot be reached or a batch keeps failing on them."""

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
