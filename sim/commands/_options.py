"""Command-line options shared by the commands that run replications (``run``, ``sweep``, ``compare``)."""

from __future__ import annotations

import errno
import re
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import typer.main
from typer.core import TyperArgument, TyperCommand, TyperGroup

from sim.commands._console import EXIT_OUTPUT

if TYPE_CHECKING:
    from sim.api import Progress, StudyOptions
    from sim.experiment.executors import Executor


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


def usage_name(argument: TyperArgument) -> str:
    """An argument as the usage line writes it, in a planner's words: ``SCENARIO``, ``[SCENARIO_B]``,
    ``[CASE_FILES]...`` (its metavar, else its name in capitals), never typer's ``{scenario}``."""
    name = argument.metavar or (argument.name or "").upper()
    name = name if argument.required else f"[{name}]"
    return f"{name}..." if argument.nargs != 1 else name


_EXECUTOR_FLAGS = {"jobs": "--jobs", "scheduler": "--scheduler", "dask_local": "--dask-local"}
_TLS_FLAGS = {"tls_ca_file": "--tls-ca-file", "tls_cert": "--tls-cert", "tls_key": "--tls-key"}


def executor_conflict(ctx: typer.Context) -> str | None:
    """The usage error of options that ask for two places to run, or certificates for no cluster, naming the options:
    ``--jobs`` (local processes) with ``--scheduler`` or ``--dask-local`` (Dask workers), ``--scheduler`` with
    ``--dask-local``, or a ``--tls-*`` option without ``--scheduler``. None when the options agree."""

    def given(name: str) -> bool:  # typed by the user (typer's vendored click's ParameterSource), not a default
        source = ctx.get_parameter_source(name)
        return source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT")

    chosen = [flag for name, flag in _EXECUTOR_FLAGS.items() if given(name)]
    if len(chosen) > 1:
        places = "local worker processes (--jobs), an existing Dask cluster (--scheduler) or a Dask cluster on this machine (--dask-local)"
        named = f"{', '.join(chosen[:-1])} and {chosen[-1]}"
        return f"{named} ask for different places to run the replications; give only one of {places}"
    certificates = [flag for name, flag in _TLS_FLAGS.items() if given(name)]
    if certificates and not given("scheduler"):
        named = ", ".join(certificates)
        verb = "is" if len(certificates) == 1 else "are"
        return f"{named} {verb} only for an existing Dask cluster; give its address with --scheduler tls://HOST:PORT, or leave out {named}"
    return None


class EvacsimCommand(TyperCommand):
    """A command whose usage line names its arguments as :func:`usage_name` does: ``evacsim run [OPTIONS] SCENARIO``;
    options that contradict each other on where to run (:func:`executor_conflict`) are a usage error (exit 2)."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]  # typer vendors click: its Context is typer._click's
        rest = super().parse_args(ctx, args)
        if problem := executor_conflict(ctx):
            ctx.fail(problem)  # click's usage error: the usage line, this message, exit status 2
        return rest

    def collect_usage_pieces(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]  # typer vendors click: its Context is typer._click's
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            pieces.extend([usage_name(param)] if isinstance(param, TyperArgument) else param.get_usage_pieces(ctx))
        return pieces


class EvacsimGroup(TyperGroup):
    """Every command: a results folder that cannot be written (read-only, full) is one line and
    exit status 4, never a traceback, whichever command and whichever file it was writing.
    Every command that takes ``--scheduler`` also takes the TLS options (:func:`tls_options`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for command in self.commands.values():
            names = [param.name for param in command.params]
            if "scheduler" in names:
                at = names.index("scheduler") + 1
                command.params[at:at] = tls_options()

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]  # typer vendors click: its Context is typer._click's
        from sim.commands._console import sigterm_as_ctrl_c, stopped
        from sim.experiment.storage import on_command_line, one_writer

        try:
            # SIGTERM is handled as Ctrl-C; the results folders a command locks stay locked until it ends (figures drawn included);
            # messages name options as typed (--force), not as Python keyword arguments
            with sigterm_as_ctrl_c(), one_writer(), on_command_line():
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
        raise typer.BadParameter(f"{value!r} is not a scheduler address; give it as tls://HOST:PORT or tcp://HOST:PORT, e.g. tls://10.0.0.5:8786")
    from sim.experiment.executors import plain_tcp_risk

    if risk := plain_tcp_risk(value):
        from sim.commands._console import warn

        warn(risk)
    return value


_TLS_KEYS = {
    "tls_ca_file": "distributed.comm.tls.ca-file",
    "tls_cert": "distributed.comm.tls.client.cert",
    "tls_key": "distributed.comm.tls.client.key",
}
"""The Dask configuration key each TLS option sets: the same key a Dask config file may set."""


def _dask_setting(ctx: typer.Context, param: typer.CallbackParam, value: Path | None) -> None:
    """Set the Dask configuration key of a TLS option for as long as the command runs (distributed's
    ``Security`` reads it when the executor connects)."""
    if value is None or param.name is None:
        return
    import dask.config

    ctx.with_resource(dask.config.set({_TLS_KEYS[param.name]: str(value)}))


def _pem(flag: str, text: str) -> Any:
    key = _TLS_KEYS[flag.removeprefix("--").replace("-", "_")]
    return typer.Option(
        flag,
        exists=True,
        dir_okay=False,
        readable=True,
        expose_value=False,
        callback=_dask_setting,
        help=f"{text} (or {key} in a Dask config file; docs/CLUSTER.md)",
        show_default=False,
    )


def _tls(
    tls_ca_file: Annotated[Path | None, _pem("--tls-ca-file", "the certificate authority (PEM file) that signed the Dask cluster's certificates")] = None,
    tls_cert: Annotated[Path | None, _pem("--tls-cert", "this client's certificate (PEM file), signed by that authority")] = None,
    tls_key: Annotated[Path | None, _pem("--tls-key", "this client's private key (PEM file), unless it is inside --tls-cert")] = None,
) -> None:
    """Only the signature matters: typer turns it into the TLS options."""


def tls_options() -> list[Any]:
    """``--tls-ca-file``, ``--tls-cert``, ``--tls-key``: the certificates a ``tls://`` scheduler asks for; each
    sets its Dask configuration key while the command runs (``expose_value=False``: no command takes them)."""
    holder = typer.Typer()
    holder.command()(_tls)
    return [param for param in typer.main.get_command(holder).params if param.name in _TLS_KEYS]  # not the holder's --install-completion


SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="run on an existing Dask cluster, e.g. tls://10.0.0.5:8786 with --tls-* (see docs/CLUSTER.md)",
        show_default=False,
        callback=_scheduler_address,
    ),
]
DaskLocalOpt = Annotated[
    int | None,
    typer.Option("--dask-local", min=1, help="start a Dask LocalCluster of N single-threaded workers on this machine", show_default=False),
]
DEFAULT_SEED = 20260223
"""The seed a study runs on unless given one (:data:`sim.api.DEFAULT_SEED`; here so ``--help`` imports no study)."""

SeedOpt = Annotated[int, typer.Option(min=0, help="seed of the run's SeedSequence (a whole number >= 0): same seed, same bits")]
FileSeedOpt = Annotated[
    int | None,
    typer.Option(
        "--seed",
        min=0,
        show_default=False,
        help=f"seed of the run's SeedSequence (a whole number >= 0; default: the study or plan file's, else {DEFAULT_SEED}): same seed, same bits",
    ),
]
"""``--seed`` of ``sweep`` and ``plan``, whose study file may give the seed."""

JobsOpt = Annotated[int | None, typer.Option(min=1, help="local worker processes (default: all cores)")]
SetOpt = Annotated[
    list[str] | None, typer.Option("--set", metavar="PATH=VALUE", help="override a field by dotted path, value as TOML: --set fleet.civilian.count=120")
]
SetBOpt = Annotated[
    list[str] | None, typer.Option("--set", metavar="PATH=VALUE", help="override a field of B by dotted path, value as TOML: --set escort.teams=6")
]
"""``--set`` of ``compare``: it makes scenario B (from A when no B is given); A is run as its file says."""


def out_option(folder: str = "results/<scenario>-<command>-<UTC time>/") -> Any:
    """``--out``, saying the folder a command makes when none is given (``folder``)."""
    return typer.Option(help=f"results folder (default: {folder})")


OutOpt = Annotated[Path | None, out_option()]
ForceOpt = Annotated[
    bool, typer.Option(help="write into a non-empty --out folder of this command's results (what evacsim wrote there is replaced; other files stay)")
]
ReusingForceOpt = Annotated[bool, typer.Option(help="write into a non-empty --out folder (finished replications of the very same study there are reused)")]
"""``--force`` of the analyses and ``plan``, which keep the parts of the very same study's tables."""
ResumeOpt = Annotated[bool, typer.Option(help="finish an interrupted study in --out: run only the replications it is missing")]
FiguresOpt = Annotated[
    bool,
    typer.Option(
        "--figures/--no-figures",
        help="draw the figures into the results folder (a few seconds a run); --no-figures leaves them to `evacsim plot DIR` or `evacsim report DIR`",
    ),
]
PreciseOpt = Annotated[bool, typer.Option(help="larger designs and more replications (minutes instead of seconds)")]
ScenarioArg = Annotated[Path, typer.Argument(metavar="SCENARIO", help="scenario file, e.g. scenarios/qasrak_baseline.toml", show_default=False)]


class MeasureChoice(StrEnum):
    """What a study measures and ranks by (``--measure``)."""

    days = "days"
    out_by_day = "out-by-day"
    window = "window"


MeasureOpt = Annotated[
    MeasureChoice,
    typer.Option(
        "--measure",
        help="what to rank and report by: days (mean days to the end, sooner is better), out-by-day (P(out by day D)) or window (P(inside the seed's window))",
    ),
]
ByDayOpt = Annotated[float | None, typer.Option("--by-day", min=0.1, help="D of P(out by day D) (default: the window's end)", show_default=False)]
BaseOpt = Annotated[
    str | None,
    typer.Option(
        "--base",
        help=("on a theatre file: measure this base (its short name, the key under [sites], e.g. rmelan), not the whole withdrawal"),
        show_default=False,
    ),
]
TargetDayOpt = Annotated[
    float | None,
    typer.Option("--by-day", min=0.1, show_default=False, help="replace the target's day: T of P(days <= T) (not N of P(left <= N))"),
]
"""``--by-day`` of ``plan``: its target fixes what is measured, so the day moves the target."""
TargetBaseOpt = Annotated[
    str | None,
    typer.Option(
        "--base",
        show_default=False,
        help=("on a theatre file: the target's days are this base's (its short name, the key under [sites], e.g. rmelan), not the last out"),
    ),
]
"""``--base`` of ``plan``: the base whose days the target counts."""
BoundsBaseOpt = Annotated[
    str | None,
    typer.Option(
        "--base",
        show_default=False,
        help=("on a theatre file: the bounds of this base (its short name, the key under [sites], e.g. rmelan), not of the main base"),
    ),
]
"""``--base`` of ``bounds``: whose rough-cut capacity (no simulation, so nothing to measure)."""


def study_options(
    executor: Executor | None = None,
    progress: Progress = None,
    *,
    seed: int | None = None,
    set_: list[str] | None = None,
    out: Path | None = None,
    force: bool = False,
    resume: bool = False,
    precise: bool = False,
    measure: MeasureChoice = MeasureChoice.days,
    by_day: float | None = None,
    base: str | None = None,
) -> StudyOptions:
    """The options the study commands share (``--seed``, ``--set``, ``--out``, ``--force``, ``--resume``, ``--precise``,
    ``--measure``, ``--by-day``, ``--base``), with the executor its workers run on and its progress bar, as the one
    :class:`sim.api.StudyOptions` every study takes; a command passes the flags it has (no ``--seed``: the study's own)."""
    from sim.api import StudyOptions

    return StudyOptions(
        seed=seed,
        overrides=set_ or [],
        out=out,
        force=force,
        resume=resume,
        precise=precise,
        executor=executor,
        progress=progress,
        measure=measure.value,
        by_day=by_day,
        base=base,
    )


class Workers:
    """Where a study command's replications run and how far they are: the executor its ``--jobs``, ``--scheduler`` or
    ``--dask-local`` asked for, and the progress bar that counts them (:func:`on_workers`)."""

    def __init__(self, executor: Executor, bar: Any, task: Any, label: str) -> None:
        self.executor = executor
        self._bar, self._task, self._label = bar, task, label

    def progress(self, done: int, total: int) -> None:
        """A study's ``progress(done, total)``: replications done of the total (0: not known yet)."""
        self._bar.update(self._task, completed=done, total=total or None)

    def options(self, **flags: Any) -> StudyOptions:
        """The study's options from the command's flags (:func:`study_options`), on these workers and this bar."""
        return study_options(self.executor, self.progress, **flags)

    def stage(self, step: str) -> None:
        """The step the replications are for, beside the bar's label: ``plan (confirm)``."""
        self._bar.update(self._task, description=f"{self._label} ({step})")


@contextmanager
def on_workers(
    label: str, jobs: int | None, scheduler: str | None, dask_local: int | None, total: int | None = None, interrupted: str = "interrupted"
) -> Iterator[Workers]:
    """A study command's workers under a progress bar labelled ``label``, and its failures as one paragraph and the
    exit status (:func:`sim.commands._console.failures`; ``interrupted``: what a Ctrl-C says when nothing was kept)."""
    from sim.commands._console import failures, progress
    from sim.experiment.executors import make_executor

    with failures(interrupted), make_executor(jobs, scheduler, dask_local) as executor, progress(executor.workers) as bar:
        yield Workers(executor, bar, bar.add_task(label, total=total), label)
