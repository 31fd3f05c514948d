"""evacsim as a library: every study the command line runs, as a function that writes the same results folder.

Each study takes a scenario (a path to a TOML file, or a :class:`~sim.scenario.loading.LoadedScenario`
from :func:`load`), runs its replications on the engine (:mod:`sim.experiment.engine`) and writes
its folder (``manifest.json`` first among its files, see :mod:`sim.experiment.manifest`). ``out``
None makes ``results/<name>-<UTC time>/``. Where replications run: ``jobs`` local processes
(default 1 from Python: a notebook's process; the command line uses all cores), or an
``executor`` of :mod:`sim.experiment.executors`.

Errors are exceptions: :class:`~sim.scenario.loading.ScenarioError` for a bad scenario or
study (its message names the file, line and field), :class:`~sim.experiment.storage.OutputError`
for a folder that cannot be written, :class:`~sim.experiment.executors.ExecutorError` for
workers that cannot be reached. The command line turns them into its exit statuses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.analysis.statistics import summarize
from sim.experiment.engine import Batch, Store
from sim.experiment.executors import Executor, make_executor
from sim.experiment.manifest import new_manifest, prepare_out_dir, write_manifest
from sim.experiment.montecarlo import monte_carlo, summary_rows
from sim.experiment.storage import new_run_dir, write_json
from sim.model.evacuation import RESOURCES, WAIT_CAUSES
from sim.replication import prepare
from sim.scenario.loading import LoadedScenario, load_scenario

DEFAULT_SEED = 20260223
RESULTS = Path("results")

ScenarioLike = str | Path | LoadedScenario


def load(scenario: str | Path, overrides: Sequence[str] = ()) -> LoadedScenario:
    """Read and validate a scenario file, with ``--set``-style overrides (``["fleet.civilian.count=120"]``)."""
    return load_scenario(scenario, list(overrides))


def _loaded(scenario: ScenarioLike, overrides: Sequence[str] = ()) -> LoadedScenario:
    if isinstance(scenario, LoadedScenario):
        return load_scenario(scenario.path, [*scenario.overrides, *overrides]) if overrides else scenario
    return load(scenario, overrides)


def _folder(out: str | Path | None, force: bool, kind: str, name: str) -> tuple[Path, bool]:
    """The results folder (made now when ``out`` is None) and whether it was made for this study."""
    if out is None:
        return new_run_dir(RESULTS, name), True
    return prepare_out_dir(Path(out), force, kind), False


@dataclass(frozen=True)
class RunResult:
    """A finished run: its folder, the ``summary.json`` contract, and how many replications ran."""

    folder: Path
    summary: dict[str, Any]
    replications: int


def run(
    scenario: ScenarioLike,
    replications: int | None = None,
    *,
    precision: float | None = None,
    seed: int = DEFAULT_SEED,
    overrides: Sequence[str] = (),
    out: str | Path | None = None,
    force: bool = False,
    jobs: int | None = 1,
    executor: Executor | None = None,
    figures: bool = True,
    on_batch: Callable[[Batch, int], None] | None = None,
) -> RunResult:
    """The Monte Carlo replications of a scenario (``evacsim run``): ``replications`` (default 1,000), or until the
    95% CI half-width of P(in window) is at most ``precision``.

    Writes ``replications.parquet`` and ``burndown.parquet`` batch by batch, then ``summary.json``,
    ``manifest.json`` and (with ``figures``) the figures. ``on_batch(batch, target)`` sees each batch as it
    comes back (for a progress bar). A failure or Ctrl-C removes what was written.
    """
    loaded = _loaded(scenario, overrides)
    folder, made = _folder(out, force, "run", loaded.scenario.scenario.name)
    store = Store(folder)
    store.clear()
    own = executor is None
    executor = executor or make_executor(jobs)
    try:
        count = monte_carlo(prepare(loaded.scenario), seed, store, replications, precision, executor, on_batch)
    except BaseException:
        store.clear()
        if made and not any(folder.iterdir()):
            folder.rmdir()
        raise
    finally:
        if own:
            executor.close()
    summary = summarize(summary_rows(store), loaded.scenario.scenario.window_days, WAIT_CAUSES, RESOURCES)
    resolved = loaded.scenario.model_dump(mode="json")
    manifest = new_manifest("run", resolved, loaded.path, list(loaded.overrides), seed, replications=count, jobs=executor.workers)
    write_manifest(folder, manifest)
    write_json(folder / "summary.json", summary)
    if figures:
        from sim.plots.figures import plot_results  # matplotlib is heavy: loaded only to draw

        plot_results(folder)
    return RunResult(folder, summary, count)
