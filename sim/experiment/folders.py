"""Writing and reading the folders of the analysis studies: tables, ``report.md``, figures, and the inputs they read.

The studies of :mod:`sim.api` (sensitivity, calibrate, marginal, evidence, discover) write
their tables as CSV, their manifest (:mod:`sim.experiment.manifest`), their figures (PNG and
SVG, drawn from the folder as ``evacsim plot`` redraws them) and a short ``report.md``.
Their replications are already in the folder: the engine's store wrote them as they ran.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from sim.experiment.engine import Store
from sim.experiment.evaluate import StudyError
from sim.experiment.manifest import (
    Manifest,
    ResultsFolderError,
    command_of,
    design_factors,
    new_manifest,
    not_results_folder,
    read_manifest,
    verify_folder,
    write_manifest,
)
from sim.experiment.storage import being_written, write_parquet
from sim.experiment.tables import READ_AS, markdown_table
from sim.scenario.loading import LoadedScenario
from sim.scenario.schema import Scenario

if TYPE_CHECKING:
    from sim.names import Measure


def write_study(folder: Path, loaded: LoadedScenario, seed: int, study: Any, kind: str, **fields: Any) -> None:
    """The manifest of an analysis folder: what ran (points, replications, seconds, warnings) and the kind's ``fields``.

    A study whose rows came from elsewhere (``evidence --from RUN``) writes them as its ``replications.parquet``."""
    info = {
        "points": study.points,
        "replications_per_point": study.replications_per_point,
        "replications_total": len(study.rows),
        "replication_seconds": study.replication_seconds,
        "analysis_seconds": study.analysis_seconds,
        "warnings": study.warnings,
        **fields,
    }
    write_manifest(folder, new_manifest(kind, loaded.scenario.model_dump(mode="json"), loaded.path, list(loaded.overrides), seed, **info))
    if fields.get("monte_carlo_from"):  # the rows came from a run's folder: the study ran none of its own
        Store(folder).clear()
        write_parquet(folder / "replications.parquet", study.rows)


def write_report_md(
    folder: Path,
    title: str,
    lines: list[str],
    tables: dict[str, pd.DataFrame],
    figures: list[str],
    warnings: list[str],
    window: tuple[float, float] | None = None,
    measure: Measure | None = None,
) -> None:
    """``report.md``: the title, findings, warnings, tables and figures, as Markdown a person reads: every table a
    Markdown table in words and units, each input by name with its dotted path beside it (:mod:`sim.experiment.tables`);
    a Morris or Sobol' table in the study's ``measure`` (P(out by day 30) in percentage points, not days)."""
    parts = [f"# {title}", "", *lines, ""]
    if warnings:
        parts += ["## Warnings", "", *[f"- {w}" for w in warnings], ""]
    for name, table in tables.items():
        shown = _in_words(name, table, window, measure)
        parts += [f"## {name}", "", markdown_table(shown) if len(shown) else "No rows: nothing to show.", ""]
    parts += [f"![{f}]({f})" for f in figures]
    (folder / "report.md").write_text("\n".join(parts) + "\n")


def _in_words(name: str, table: pd.DataFrame, window: tuple[float, float] | None, measure: Measure | None = None) -> pd.DataFrame:
    """A study's table as :func:`write_report_md` shows it: in words when evacsim knows it; otherwise its index (the
    inputs by dotted path) as a first column named by what it holds."""
    from sim.names import TABLES, label, people_table

    stem = {"prior vs posterior": "calibration", "chosen box": "prim_box"}.get(name, name)
    if stem in READ_AS:
        return READ_AS[stem](table, window)
    if stem in TABLES:
        return people_table(table, stem, window, measure=measure)
    if stem == "prim_box":  # the box PRIM chose: each restricted input's limits in the box and in the data
        names = [str(i) for i in table.index]
        out = pd.DataFrame({"input": [label(n) for n in names], "parameter": names})
        for column, words in (("min", "in the box: from"), ("max", "in the box: to"), ("data_min", "in the data: from"), ("data_max", "in the data: to")):
            if column in table:
                out[words] = table[column].to_numpy()
        return out
    return table.reset_index() if table.index.name or not isinstance(table.index, pd.RangeIndex) else table


def parse_window(text: str) -> tuple[float, float]:
    """``"15:30"`` as (15.0, 30.0) days; a :class:`ValueError` says what to write otherwise."""
    try:
        low, high = (float(x) for x in text.split(":"))
    except ValueError:
        raise ValueError(f'--target-days "{text}": write LOW:HIGH in days, e.g. 15:30') from None
    if not 0 <= low < high:
        raise ValueError(f'--target-days "{text}": LOW must be at least 0 and below HIGH, both in days from the start, e.g. 15:30')
    return low, high


def read_results(results: Path) -> tuple[pd.DataFrame, list[str] | None]:
    """Replication rows of a run, sweep or analysis folder, and the design factors when there is a design."""
    if not results.is_dir():
        raise StudyError(f"{results}: not a results folder; give the folder written by evacsim run, sweep or sensitivity")
    source = results / "replications.parquet"
    if not source.exists():
        raise StudyError(f"{results}: no replications.parquet in it; give the folder written by evacsim run, sweep or sensitivity")
    if not (results / "manifest.json").exists():  # a killed command's folder: part of the replications, as report and plot refuse it
        raise ResultsFolderError(not_results_folder(results))
    checked(results)
    rows = read_rows(source)
    return rows, design_factors(results, rows.columns)


def checked(results: Path, kind: str | None = None) -> Manifest:
    """The manifest of a results folder another command reads, once the folder is checked against it
    (:func:`sim.experiment.manifest.verify_folder`) and no command is writing it; :class:`ResultsFolderError` otherwise."""
    writer = being_written(results)
    if writer is not None:
        raise ResultsFolderError(f"{results}: another evacsim command is writing this results folder now (process {writer}); wait for it to finish")
    return verify_folder(results, kind)


def read_rows(path: Path) -> pd.DataFrame:
    """The replication rows of a results table (a Parquet file or a folder of parts); :class:`ResultsFolderError` naming the file
    when it cannot be read as Parquet (truncated, corrupt), never the Arrow error alone."""
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise ResultsFolderError(
            f"{path}: cannot be read as the Parquet evacsim writes ({type(exc).__name__}: {exc}); it is truncated or corrupt: "
            "write the folder again with the command that made it, or restore the file"
        ) from None


def discovery_manifest(results: Path, target: str, min_coverage: float, replications: int) -> Manifest:
    """What a discovery was: the folder it read, its target, and that folder's scenario and seed when it has them."""
    try:
        source = read_manifest(results)
    except ResultsFolderError:
        source = Manifest(kind="run")
    extra = {"results": str(results), "target": target, "min_coverage": min_coverage, "replications": replications}
    return new_manifest("discover", source.scenario, source.scenario_path, source.overrides, source.seed, **extra)


def run_rows(folder: Path, scenario: Scenario) -> pd.DataFrame:
    """The replications of a finished ``evacsim run`` of ``scenario`` (the same numbers, --set values included;
    the kinds of source may differ), with the inputs each drew; :class:`StudyError` otherwise."""
    rows_path = folder / "replications.parquet"
    if rows_path.exists() and not (folder / "manifest.json").exists():  # a killed run's folder, refused as report refuses it
        raise ResultsFolderError(not_results_folder(folder))
    if not rows_path.exists() or not (folder / "manifest.json").exists():
        raise StudyError(f"{folder}: not a results folder of evacsim run (no replications.parquet and manifest.json); give the folder a run wrote")
    try:
        read_manifest(folder)
    except ResultsFolderError:
        raise StudyError(f"{folder / 'manifest.json'}: cannot be read as a manifest evacsim wrote; give the folder a run wrote") from None
    recorded = checked(folder)
    if recorded.kind != "run":
        raise StudyError(f"{folder}: holds the results of {command_of(recorded.kind)}, not of evacsim run; its inputs were not drawn as a run draws them")
    if without_kinds(recorded.scenario) != without_kinds(scenario.model_dump(mode="json")):
        raise StudyError(f"{folder}: was run on another scenario (or other --set values) than {scenario.scenario.name} as given; run it again or drop --from")
    rows = read_rows(rows_path)
    if not any(c.startswith("input.") for c in rows.columns):
        raise StudyError(f"{rows_path}: holds no input columns (input.<path>), so nothing to regress the verdict on")
    return rows


def without_kinds(node: Any) -> Any:
    """A scenario table without its ``source_kind`` entries: they say what backs a number, not what it is."""
    if isinstance(node, dict):
        return {k: without_kinds(v) for k, v in node.items() if k != "source_kind"}
    if isinstance(node, list):
        return [without_kinds(v) for v in node]
    return node
