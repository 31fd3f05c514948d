"""Command-line options shared by the commands that run replications (``run``, ``sweep``, ``compare``)."""

from __future__ import annotations

from typing import Annotated

import typer

EXIT_WORKERS = 5
EXIT_INTERRUPTED = 130
"""Exit status when the workers cannot be reached or a batch keeps failing on them."""

SchedulerOpt = Annotated[
    str | None,
    typer.Option("--scheduler", help="run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786 (see docs/CLUSTER.md)", show_default=False),
]
DaskLocalOpt = Annotated[
    int | None, typer.Option("--dask-local", min=1, help="start a Dask LocalCluster of N single-threaded workers on this machine", show_default=False)
]
