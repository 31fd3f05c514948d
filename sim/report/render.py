"""The one-file HTML report of a results folder: verdict, summary, every figure, provenance, manifest.

Images are embedded as ``data:`` URIs and the style sheet is inline, so the file opens
anywhere without a network. Figures missing from the folder are drawn first
(:func:`sim.plots.figures.plot_results`).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from sim.analysis.statistics import window_key
from sim.experiment.storage import write_atomic
from sim.plots.completion import window_labels
from sim.plots.figures import FIGURE_ORDER, expected_figures, folder_kind, plot_results
from sim.report.nowcast_section import render_nowcast_section

REPORT_NAME = "report.html"

CAPTIONS = {
    "completion": "Days to base empty and to force closure: histogram and cumulative share finished, the planning window shaded.",
    "burndown": "Cargo loads and people still at the base at 00:00 each day: median, P25-P75 and P10-P90 across replications.",
    "waits": "Convoy-hours waited by cause and the busy share of each resource: mean, its 95% CI, and the P10-P90 spread.",
    "timeline": "The median replication, convoy by convoy: legs, time at the crossing, closures and airlift sorties.",
    "sweep_factors": "Chance of emptying the base in the window against each factor, with its 95% CI band.",
    "sweep_heatmap": "Chance of emptying the base in the window over two factors.",
    "compare": "Two scenarios: their cumulative shares finished overlaid, and the paired difference replication by replication.",
}


@dataclass(frozen=True)
class FigureEntry:
    """One figure of the report: its name, caption and PNG as a ``data:`` URI."""

    name: str
    caption: str
    data_uri: str


@dataclass(frozen=True)
class Row:
    """A row of a two- or three-column table in the report."""

    label: str
    value: str
    note: str = ""


def png_data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def figure_entries(folder: Path) -> list[FigureEntry]:
    """The folder's PNG figures in reading order (known ones first, then any others by name)."""
    known = [folder / f"{stem}.png" for stem in FIGURE_ORDER if (folder / f"{stem}.png").exists()]
    others = sorted(p for p in folder.glob("*.png") if p not in known)
    return [FigureEntry(p.stem, CAPTIONS.get(p.stem, p.stem.replace("_", " ")), png_data_uri(p)) for p in [*known, *others]]


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def percent(p: dict) -> str:
    return f"{100 * p['estimate']:.1f}%"


def percent_ci(p: dict) -> str:
    return f"{100 * p['ci_low']:.1f}-{100 * p['ci_high']:.1f}%"


def summary_rows(summary: dict) -> tuple[list[Row], list[Row], list[Row]]:
    """(days table, window probabilities table, waits and utilisation table) of a run's ``summary.json``."""
    days = []
    for key, label in (("days_to_base_empty", "Base empty"), ("days_to_force_closure", "Force closure")):
        d = summary[key]
        days.append(Row(label, f"{d['mean']:.1f}", f"{d['p10']:.1f} / {d['p50']:.1f} / {d['p90']:.1f}"))
    window = tuple(summary["window_days"])
    labels = window_labels(window)
    probabilities = [Row(labels[kind], percent(summary[window_key(kind, window)]), percent_ci(summary[window_key(kind, window)])) for kind in labels]
    waits = [Row(f"wait: {cause}", f"{hours:.0f} convoy-hours") for cause, hours in sorted(summary["mean_wait_hours"].items(), key=lambda kv: -kv[1])]
    waits += [Row(f"busy: {resource}", f"{100 * share:.0f}%") for resource, share in summary["mean_utilisation"].items()]
    return days, probabilities, waits


def provenance(manifest: dict) -> list[Row]:
    """Parameter, value or distribution, and source of every number of the run's scenario."""
    scenario_table = manifest.get("scenario")
    if not scenario_table:
        return []
    from sim.scenario.schema import Scenario

    scenario = Scenario.model_validate(scenario_table)
    try:
        from sim.scenario.provenance import provenance_rows
    except ImportError:  # older checkouts: list the numbers without their sources
        from sim.scenario.draws import numeric_fields

        return [Row(path, value.describe() if hasattr(value, "describe") else f"{value:g}") for path, value in numeric_fields(scenario).items()]
    return [Row(r.parameter, r.value, r.source) for r in provenance_rows(scenario)]


def manifest_rows(manifest: dict) -> list[Row]:
    """What the run was: everything of the manifest but the scenario table (shown as provenance)."""
    rows = []
    for key, value in manifest.items():
        if key == "scenario":
            continue
        if isinstance(value, dict):
            text = ", ".join(f"{k} {v}" for k, v in value.items())
        elif isinstance(value, list):
            text = " ".join(str(v) for v in value) or "none"
        else:
            text = "" if value is None else str(value)
        rows.append(Row(key, text))
    return rows


def csv_tables(folder: Path) -> list[dict]:
    """The analysis tables of a folder (sensitivity indices, PRIM box, calibration, marginal value) as HTML."""
    import pandas as pd

    tables = []
    for path in sorted(folder.glob("*.csv")):
        if path.stem == "points":  # the design itself: in design form it is too wide to read
            continue
        frame = pd.read_csv(path)
        if frame.columns[0].startswith("Unnamed"):
            frame = frame.rename(columns={frame.columns[0]: "factor" if "factor" not in frame.columns else ""})
        html = frame.to_html(index=False, float_format=lambda x: f"{x:.3g}", border=0, escape=True, classes="data")
        tables.append({"name": path.stem.replace("_", " "), "html": Markup(html)})
    return tables


def report_context(folder: Path) -> dict:
    """Everything the template shows, as plain values."""
    kind = folder_kind(folder)
    manifest = _read_json(folder / "manifest.json")
    summary = _read_json(folder / "summary.json")
    meta = manifest.get("scenario", {}).get("scenario", {})
    context: dict = {
        "kind": kind,
        "folder": folder.name,
        "title": meta.get("title", folder.name),
        "description": meta.get("description", ""),
        "question": meta.get("source", ""),
        "verdict": summary.get("verdict"),
        "within": None,
        "days": [],
        "probabilities": [],
        "waits": [],
        "figures": [f for f in figure_entries(folder) if not (kind == "nowcast" and f.name == "nowcast")],
        "tables": csv_tables(folder) if kind == "analysis" else [],
        "warnings": [str(w) for w in manifest.get("warnings", [])],
        "nowcast_html": Markup(render_nowcast_section(folder)) if kind == "nowcast" else "",
        "provenance": provenance(manifest),
        "manifest": manifest_rows(manifest),
    }
    if summary:
        window = tuple(summary["window_days"])
        within = summary[window_key("p_within", window)]
        context["within"] = {"label": window_labels(window)["p_within"], "estimate": percent(within), "ci": percent_ci(within), "n": summary["replications"]}
        context["days"], context["probabilities"], context["waits"] = summary_rows(summary)
    return context


def environment() -> Environment:
    return Environment(loader=PackageLoader("sim.report", "templates"), autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined)


def render_html(context: dict) -> str:
    return environment().get_template("report.html.j2").render(**context)


def render_report(folder: Path, replot: bool = False) -> Path:
    """Write ``report.html`` into a results folder (drawing missing figures first); returns its path."""
    folder = Path(folder)
    kind = folder_kind(folder)
    if replot or not all((folder / f"{stem}.png").exists() for stem in expected_figures(kind)):
        plot_results(folder)
    html = render_html(report_context(folder))
    path = write_atomic(folder / REPORT_NAME, lambda tmp: tmp.write_text(html, encoding="utf-8"))
    path.chmod(0o644)  # a report is for sharing
    return path
