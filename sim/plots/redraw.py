"""The figures of analysis and nowcast folders, drawn again from the tables the folder holds.

``evacsim sensitivity``, ``calibrate``, ``marginal``, ``discover`` and ``nowcast`` draw their
figures once, when they finish. Their folders keep what the figures are drawn from, so
:func:`analysis_figures` reads it back and calls the same figure functions with the same
arguments as the command (:mod:`sim.commands.analysis`, :mod:`sim.commands.nowcast`):

========================  ============================  =================================================
kind (manifest)           figures                       drawn from
========================  ============================  =================================================
``sensitivity-tornado``   tornado                       ``tornado.csv``
``sensitivity-morris``    morris, morris_p_window       ``morris.csv``, ``morris_p_window.csv``
``sensitivity-sobol``     sobol, sobol_p_window         ``sobol.csv``, ``sobol_p_window.csv``
``calibrate``             calibration                   ``calibration.csv``, ``replications.parquet``
``marginal``              marginal                      ``marginal.csv``
``nowcast``               nowcast                       ``nowcast.json``, ``weights.parquet``
``discover``              discovery                     ``prim_*.csv``, ``discovery.json`` and the
                                                        replications of the folder it read
``evidence``              evidence                      ``evidence.csv``
``backtest``              backtest                      ``backtest.csv``
``plan``                  plan                          ``candidates.csv``, ``pareto.csv``, ``plan.csv``,
                                                        the manifest's target
========================  ============================  =================================================

A figure whose files are gone raises :class:`CannotRedraw` naming what is missing; the
caller says so and names the command that draws it again.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds
from matplotlib.figure import Figure

from sim.analysis.measure import Measure

ANALYSIS_KINDS = (
    "sensitivity-tornado",
    "sensitivity-morris",
    "sensitivity-sobol",
    "calibrate",
    "marginal",
    "discover",
    "nowcast",
    "evidence",
    "backtest",
    "plan",
)

KIND_FILES = {
    "sensitivity-tornado": "tornado.csv",
    "sensitivity-morris": "morris.csv",
    "sensitivity-sobol": "sobol.csv",
    "calibrate": "calibration.csv",
    "marginal": "marginal.csv",
    "discover": "discovery.json",
    "nowcast": "nowcast.json",
    "evidence": "evidence.csv",
    "backtest": "backtest.csv",
    "plan": "plan.json",
}
"""A file only a folder of that kind holds: recognises folders whose manifest has no ``kind``."""

COMMANDS = {
    "sensitivity-tornado": "evacsim sensitivity SCENARIO --method tornado",
    "sensitivity-morris": "evacsim sensitivity SCENARIO --method morris",
    "sensitivity-sobol": "evacsim sensitivity SCENARIO --method sobol",
    "calibrate": "evacsim calibrate SCENARIO",
    "marginal": "evacsim marginal SCENARIO",
    "discover": "evacsim discover RESULTS",
    "nowcast": "evacsim nowcast SCENARIO OBSERVATIONS",
    "evidence": "evacsim evidence SCENARIO",
    "backtest": "evacsim backtest",
    "plan": "evacsim plan SCENARIO --options PLAN.toml",
}
"""The command that writes each kind of folder, for when the manifest does not record it."""


class CannotRedraw(Exception):
    """A figure the folder's files no longer hold what it needs for; the message says what is missing."""


@dataclass(frozen=True)
class AnalysisFolder:
    """An analysis or nowcast folder: where it is, its kind and its manifest."""

    folder: Path
    kind: str
    manifest: dict

    @property
    def window(self) -> tuple[float, float]:
        """The scenario's planning window, as the command read it."""
        low, high = self.manifest["scenario"]["scenario"]["window_days"]
        return float(low), float(high)

    @property
    def start_date(self) -> datetime.date:
        return datetime.datetime.fromisoformat(self.manifest["scenario"]["scenario"]["start"]).date()

    def need(self, name: str) -> Path:
        path = self.folder / name
        if not path.exists():
            raise CannotRedraw(f"{name} is missing from the folder")
        return path

    @property
    def measure(self) -> Measure:
        """What the analysis measured (its manifest's ``measure``; mean days to base empty for a folder written before)."""
        record = self.manifest.get("measure")
        return Measure.from_record(record) if record else Measure(window=self.window)

    def table(self, name: str) -> pd.DataFrame:
        """A table the command wrote with ``DataFrame.to_csv`` (index first), read back bit for bit."""
        return pd.read_csv(self.need(f"{name}.csv"), index_col=0)

    def json(self, name: str) -> dict:
        return json.loads(self.need(name).read_text(encoding="utf-8"))

    def command(self) -> str:
        """The command that writes the folder again, figures and all: the one the manifest records when it is that
        command, else one made from the manifest's fields (scenario, results folder, target) and this folder."""
        generic = COMMANDS.get(self.kind, "the command that wrote it")
        recorded = recorded_command(self.manifest.get("command"))
        if self.kind != "discover" and recorded[:2] == generic.split()[:2]:
            return " ".join(_quoted(w) for w in _out(recorded, self.folder))
        words = generic.split()
        if self.kind == "discover" and self.manifest.get("results"):
            target = self.manifest.get("target")
            words = ["evacsim", "discover", _quoted(str(self.manifest["results"]))] + (["--target", _quoted(str(target))] if target else [])
        elif self.manifest.get("scenario_path"):
            words = [_quoted(str(self.manifest["scenario_path"])) if w == "SCENARIO" else w for w in words]
        return " ".join([*_out(words, self.folder)[:-1], _quoted(str(self.folder))])


SHELL_WORDS = frozenset({"|", "||", "&", "&&", ";", ";;", "<", ">", ">>", "<<", "2>", "2>&1", "(", ")", "`"})
"""Words that are shell syntax, not an argument: a command evacsim writes in its manifest (``shlex.join`` of its argv) has none."""


def recorded_command(command: object) -> list[str]:
    """The argv of the command a manifest records, when it is one evacsim would write: ``evacsim`` and a command, written as
    :func:`shlex.join` writes an argv, with no shell syntax among its words (a pipeline, a redirection, a substitution); else ``[]``, and no
    advice is made from it. Each word is quoted again (:func:`shlex.quote`) where it is shown."""
    import shlex

    if not isinstance(command, str) or not command.startswith("evacsim ") or "\n" in command or "$(" in command or "`" in command:
        return []
    try:
        words = shlex.split(command)
    except ValueError:
        return []
    if shlex.join(words) != command:  # evacsim writes its argv with shlex.join: anything else was written by hand
        return []
    if len(words) < 2 or not words[1].replace("-", "").isalpha() or any(w in SHELL_WORDS for w in words):
        return []
    return words


def _out(words: list[str], folder: Path) -> list[str]:
    """A command line writing into ``folder``: its ``--out`` replaced, or added."""
    kept, skip = [], False
    for word in words:
        if skip:
            skip = False
        elif word == "--out":
            skip = True
        elif not word.startswith("--out=") and word != "--resume":  # redrawn with --force, which --resume excludes
            kept.append(word)
    return [*kept, "--out", str(folder)]


def _quoted(word: str) -> str:
    import shlex

    return shlex.quote(word)


def _outcome(m: Measure):
    """A Morris or Sobol' figure's outcome: the study's measure, in days or percentage points."""
    from sim.plots.sensitivity import Outcome

    return Outcome(m.words, "percentage points", 100.0) if m.is_probability else Outcome(m.words)


def tornado(a: AnalysisFolder) -> Figure:
    from sim.plots.sensitivity import tornado_figure, window_outcome

    table, m = a.table("tornado"), a.measure
    if "p_by_day.swing" not in table.columns:  # a folder written before the tornado measured P(out by day D)
        return tornado_figure(table, {"mean_days": "mean days to base empty", "p_window": window_outcome(a.window).words})
    words = {"mean_days": f"mean {m.days_words}", "p_by_day": m.by_day_words, "p_window": m.window_words}
    second = "mean_days" if m.is_probability else "p_by_day"
    return tornado_figure(table, {m.point_column: words[m.point_column], second: words[second]})


def morris(a: AnalysisFolder) -> Figure:
    from sim.plots.sensitivity import morris_figure

    return morris_figure(a.table("morris").sort_values("mu_star", ascending=False), outcome=_outcome(a.measure))


def morris_p_window(a: AnalysisFolder) -> Figure:
    from sim.plots.sensitivity import morris_figure, window_outcome

    return morris_figure(a.table("morris_p_window"), outcome=window_outcome(a.window))


def sobol(a: AnalysisFolder) -> Figure:
    from sim.plots.sensitivity import sobol_figure

    return sobol_figure(a.table("sobol"), output=a.measure.words)


def sobol_p_window(a: AnalysisFolder) -> Figure:
    from sim.plots.sensitivity import sobol_figure, window_outcome

    return sobol_figure(a.table("sobol_p_window"), output=window_outcome(a.window).words)


def calibration(a: AnalysisFolder) -> Figure:
    """Prior (every draw) against posterior (draws that closed in the target), most changed inputs first."""
    from sim.analysis.calibration import accept
    from sim.analysis.discovery import input_columns
    from sim.analysis.statistics import closure_days
    from sim.plots.calibration import calibration_figure

    table = a.table("calibration")
    path = a.need("replications.parquet")
    columns = [c for c in ds.dataset(path, format="parquet").schema.names if c.startswith("input.") or c in ("days_to_base_empty", "finished")]
    rows = pd.read_parquet(path, columns=columns)
    low, high = (float(x) for x in a.manifest["target_days"])
    accepted = accept(closure_days(rows), (low, high))
    return calibration_figure(input_columns(rows), accepted, list(table.index[:12]), f"{low:g}-{high:g} days")


def marginal(a: AnalysisFolder) -> Figure:
    from sim.plots.marginal import marginal_figure

    return marginal_figure(a.table("marginal"), a.window, a.measure)


def evidence(a: AnalysisFolder) -> Figure:
    from sim.plots.evidence import evidence_figure

    return evidence_figure(pd.read_csv(a.need("evidence.csv")), a.measure)


def backtest(a: AnalysisFolder) -> Figure:
    from sim.plots.backtest import backtest_figure

    return backtest_figure(pd.read_csv(a.need("backtest.csv")))


def plan(a: AnalysisFolder) -> Figure:
    """The plan's figure from its tables (``candidates.csv``, ``pareto.csv``, ``plan.csv``) and its manifest's target,
    drawn as :func:`sim.api.plan` draws it."""
    from sim.experiment.plan_file import PlanOptions, parse_target
    from sim.plots.plan import plan_figure

    if "target" not in a.manifest:
        raise CannotRedraw("the manifest does not say the plan's target")
    goal = parse_target(str(a.manifest["target"]))
    if goal.measure == "days":  # the days of a theatre's whole withdrawal, or of the base --base named
        words = recorded_command(a.manifest.get("command"))
        base = words[words.index("--base") + 1] if "--base" in words[:-1] else None
        if base is not None:
            goal = replace(goal, subject=f"base.{base}.days_to_base_empty")
        elif a.manifest.get("scenario", {}).get("sites"):  # a theatre file (one with [sites])
            goal = replace(goal, subject="theatre.days_to_last_out")
    candidates = _csv(a, "candidates.csv")
    if candidates.empty:
        raise CannotRedraw("the plan tried no plan (every one was over the budget), so there is nothing to draw")
    indifference = (a.manifest.get("confirmation") or {}).get("indifference", PlanOptions.indifference)
    return plan_figure(candidates, _csv(a, "pareto.csv"), _csv(a, "plan.csv"), goal.probability, float(indifference), goal.short())


def _csv(a: AnalysisFolder, name: str) -> pd.DataFrame:
    """A table written with ``to_csv(index=False)``; one written with no rows nor columns reads as an empty table."""
    try:
        return pd.read_csv(a.need(name))
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def nowcast(a: AnalysisFolder) -> Figure:
    from sim.plots.nowcast import nowcast_figure

    data = a.json("nowcast.json")
    weights = pd.read_parquet(a.need("weights.parquet"), columns=["days_to_base_empty", "weight"])
    low, high = data["window_days"]
    return nowcast_figure(
        data["steps"], weights["days_to_base_empty"].to_numpy(), weights["weight"].to_numpy(), (low, high), a.start_date, data["effective_sample_size"]
    )


def discovery(a: AnalysisFolder) -> Figure:
    """The PRIM trajectory and box from the folder's tables, over the replications of the folder discovery read."""
    from sim.analysis.discovery import Discovery, input_columns, parse_target
    from sim.plots.discovery import discovery_figure

    summary = a.json("discovery.json")
    trajectory = pd.read_csv(a.need("prim_trajectory.csv"), index_col=0)
    box = pd.read_csv(a.need("prim_box.csv"), index_col=0)
    rows, factors, source = discovered_rows(a)
    if len(rows) != int(summary["replications"]):
        raise CannotRedraw(f"{source} now holds {len(rows)} replications, not the {summary['replications']} discovery read")
    x = input_columns(rows, factors)
    cases = parse_target(summary["target"]).cases(rows)
    chosen = int(summary["chosen_step"])
    stats = trajectory[["coverage", "density", "mass", "res_dim"]].astype(float)
    limits = [box if step == chosen else box.iloc[:0] for step in range(len(stats))]
    found = Discovery(stats.reset_index(drop=True), chosen, limits, float(summary["base_rate"]), int(summary["cases"]), int(summary["replications"]))
    return discovery_figure(found, x, cases, what=summary["target"])


def discovered_rows(a: AnalysisFolder) -> tuple[pd.DataFrame, list[str] | None, Path]:
    """The replications (and design factors) of the folder ``evacsim discover`` read, as it read them."""
    recorded = a.manifest.get("results")
    if not recorded:
        raise CannotRedraw("the manifest does not say which results folder discovery read")
    given = Path(str(recorded))
    candidates = [given] if given.is_absolute() else [given, a.folder.parent / given.name]
    source = next((c for c in candidates if (c / "replications.parquet").exists()), None)
    if source is None:
        raise CannotRedraw(f"it is drawn over the replications of {recorded}, which are no longer there")
    from sim.experiment.manifest import design_factors

    rows = pd.read_parquet(source / "replications.parquet")
    return rows, design_factors(source, rows.columns), source


ANALYSIS_FIGURES: dict[str, dict[str, Callable[[AnalysisFolder], Figure]]] = {
    "sensitivity-tornado": {"tornado": tornado},
    "sensitivity-morris": {"morris": morris, "morris_p_window": morris_p_window},
    "sensitivity-sobol": {"sobol": sobol, "sobol_p_window": sobol_p_window},
    "calibrate": {"calibration": calibration},
    "marginal": {"marginal": marginal},
    "discover": {"discovery": discovery},
    "nowcast": {"nowcast": nowcast},
    "evidence": {"evidence": evidence},
    "backtest": {"backtest": backtest},
    "plan": {"plan": plan},
}
"""The figures each kind of folder gets, by stem, in the order its command draws them."""


def kind_of(folder: Path) -> str | None:
    """The analysis kind of a folder: its manifest's ``kind``, else the table only that kind writes; ``None`` if neither."""
    from sim.experiment.manifest import results_kind

    path = folder / "manifest.json"
    kind = results_kind(folder)
    if kind in ANALYSIS_KINDS:
        return kind
    for kind, name in KIND_FILES.items():
        if (folder / name).exists() and (kind == "discover" or path.exists()):
            return kind
    return None


def read_analysis(folder: Path, kind: str) -> AnalysisFolder:
    from sim.experiment.manifest import read_manifest

    manifest = read_manifest(folder).as_dict() if (folder / "manifest.json").exists() else {}
    return AnalysisFolder(folder, kind, manifest)
