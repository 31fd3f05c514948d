"""The one-file HTML report of a results folder: verdict, summary, every figure, provenance, manifest.

Images are embedded as ``data:`` URIs and the style sheet is inline, so the file opens
anywhere without a network. Figures missing from the folder are drawn first
(:func:`sim.plots.figures.plot_results`).

An analysis or nowcast folder (``sensitivity``, ``calibrate``, ``marginal``, ``discover``,
``nowcast``) opens with its question and findings in sentences
(:mod:`sim.report.analysis_section`), then its tables and captioned figures. Manifest
values are written as an analyst reads them (:mod:`sim.report.readable`): no ``None``,
``nan`` or Python dicts.

A folder written by ``evacsim compare`` holds two scenarios (A, the reference, and B):
the report names both, shows the paired difference B - A and where each number of each
comes from. A folder whose files this version cannot read (edited, truncated, written
by another version) is :class:`MalformedResults`: a user error, exit status 3.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from pydantic import ValidationError

from sim.analysis.statistics import window_key
from sim.experiment.manifest import ResultsFolderError
from sim.experiment.manifest import read_manifest as folder_manifest
from sim.experiment.storage import lock_folder, write_atomic
from sim.names import date_words, dates_words, day_date_words, theatre_names
from sim.plots.completion import window_labels
from sim.plots.figures import FIGURE_ORDER, NotResultsFolder, check_folder, expected_figures, folder_kind, plot_folder
from sim.plots.redraw import ANALYSIS_KINDS
from sim.plots.theatre import THEATRE_FIGURES, is_theatre_summary
from sim.plots.waits import display_name
from sim.report.analysis_section import KIND_NAMES, TITLES, caption, csv_tables, design_points_table, summarise
from sim.report.nowcast_section import render_nowcast_section
from sim.report.readable import readable
from sim.report.theatre_section import theatre_context
from sim.scenario.schema import Scenario, scenario_from_table

REPORT_NAME = "report.html"

CAPTIONS = {
    "completion": "Days to base empty and to force closure: histogram and cumulative share finished, the planning window shaded.",
    "burndown": "Cargo loads and people still at the base at 00:00 each day: median, P25-P75 and P10-P90 across replications.",
    "waits": (
        "Convoy-hours waited by cause and the busy share of each resource: mean, its 95% CI, and the P10-P90 spread. "
        "'Trucks (all types)' lumps heavy equipment transporters with the other trucks unless the run records each type."
    ),
    "timeline": "The median replication, convoy by convoy: legs, time at the crossing, closures and airlift sorties.",
    "sweep_factors": "Chance of emptying the base in the window against each factor, with its 95% CI band.",
    "sweep_heatmap": "Chance of emptying the base in the window over two factors.",
    "compare": "Two scenarios: their cumulative shares finished overlaid, and the paired difference replication by replication.",
    "theatre_completion": (
        "The whole withdrawal: share of replications in which the last soldier and load have left Syria by each day, "
        "the reported end dates marked with the words of their sources."
    ),
    "theatre_network": (
        "The theatre on a map: each road leg as wide as the convoys that used it and coloured by the convoy-hours waited on it "
        "(closures, nights, crossing queues); the binding resource in the title."
    ),
    "theatre_burndown": "Truck loads still at each base at 00:00 each day: median and P10-P90 across replications.",
}
"""Captions of the figures of runs, sweeps and comparisons; those of analysis folders are in :mod:`sim.report.analysis_section`."""


class MalformedResults(NotResultsFolder):
    """A results folder whose manifest, summary or comparison cannot be read as evacsim writes them (exit status 3)."""


@dataclass(frozen=True)
class RunScenario:
    """A scenario a folder was run on: ``""`` for the one scenario of a run, ``"A"`` or ``"B"`` in a comparison."""

    label: str
    scenario: Scenario


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
    value: str | Markup
    note: str = ""


@dataclass(frozen=True)
class ComparisonRow:
    """One measure of a comparison: its value in A and in B, the paired difference B - A (95% CI), the variance reduction."""

    label: str
    a: str
    b: str
    difference: str
    variance_reduction: str


@dataclass(frozen=True)
class ParameterRow:
    """One parameter of a scenario as the report shows it: in words with its dotted path beside, its value or
    distribution in its unit (shares in percent), and the kind of its source."""

    words: str
    path: str
    value: str
    kind: str


@dataclass(frozen=True)
class ProvenanceGroup:
    """Parameters that share one source (a group of the scenario file): its dotted prefix, the source once, and its
    rows (:class:`ParameterRow`)."""

    name: str
    source: str
    rows: list[ParameterRow]


@dataclass(frozen=True)
class ProvenanceSection:
    """Where each number of one scenario comes from, under a heading that says which scenario (A or B) it is."""

    anchor: str
    heading: str
    groups: list[ProvenanceGroup]


def _group_name(rows: list[ParameterRow]) -> str:
    """The dotted prefix a group's parameters share (``fleet.het``), or the one parameter's path."""
    parts = [r.path.split(".") for r in rows]
    common = []
    for level in zip(*parts, strict=False):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    return ".".join(common) if common and len(rows) > 1 else ".".join(parts[0][:2]) if len(rows) > 1 else rows[0].path


def png_data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def own_file(folder: Path, path: Path) -> bool:
    """Whether ``path`` is a regular file of ``folder`` itself: not a link (which could point at any file the user can read,
    then embedded in a report meant for sharing), not a folder, nothing outside it."""
    try:
        return not path.is_symlink() and path.is_file() and path.resolve().parent == folder.resolve()
    except OSError:
        return False


def figure_entries(folder: Path, fields: dict[str, str] | None = None) -> list[FigureEntry]:
    """The folder's PNG figures in reading order (known ones first, then any others by name), each with its caption;
    ``fields`` fill the captions of analysis figures (the window, the target). Only regular files of the folder
    (:func:`own_file`) are embedded: :func:`not_embedded` names the others."""
    known = [folder / f"{stem}.png" for stem in FIGURE_ORDER if own_file(folder, folder / f"{stem}.png")]
    others = sorted(p for p in folder.glob("*.png") if p not in known and own_file(folder, p))
    fields = {"p_window": "the chance of emptying the base in the window", "target": "the target", **(fields or {})}
    return [FigureEntry(p.stem, CAPTIONS.get(p.stem) or caption(p.stem, fields), png_data_uri(p)) for p in [*known, *others]]


def not_embedded(folder: Path) -> list[str]:
    """One line for each PNG of the folder that the report leaves out because it is not a regular file of the folder."""
    return [
        f"{p.name} is not embedded: it is a link or not a plain file of this folder, and a report embeds only the figures evacsim drew into it"
        for p in sorted(folder.glob("*.png"))
        if not own_file(folder, p)
    ]


def _read_json(path: Path) -> dict:
    """A JSON object of the folder (``{}`` if the file is absent); :class:`MalformedResults` if it is not one."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise MalformedResults(f"{path}: not a JSON file evacsim wrote ({exc}); write the folder again, or restore the file") from None
    if not isinstance(data, dict):
        raise MalformedResults(f"{path}: holds a JSON {type(data).__name__}, not the object evacsim writes; write the folder again, or restore the file")
    return data


def manifest_scenarios(manifest: dict, where: Path | str = "manifest.json") -> list[RunScenario]:
    """The scenarios of a folder's manifest, validated: one for a run, sweep, analysis or nowcast, A and B for a comparison."""
    table = manifest.get("scenario")
    if not table:
        return []
    labelled = [("A", table["a"]), ("B", table["b"])] if isinstance(table, dict) and set(table) == {"a", "b"} else [("", table)]
    scenarios = []
    for label, entry in labelled:
        try:
            scenarios.append(RunScenario(label, scenario_from_table(entry)))
        except ValidationError as exc:
            raise MalformedResults(_unreadable_scenario(where, label, exc)) from None
    return scenarios


def _unreadable_scenario(where: Path | str, label: str, exc: ValidationError) -> str:
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": str(exc)}
    field = ".".join(str(part) for part in first["loc"]) or "the top level"
    which = f"scenario {label}" if label else "the scenario"
    count = f"{len(errors)} problem{'s' if len(errors) != 1 else ''}"
    return (
        f"{where}: {which} is not one this version of evacsim can read ({count}, first at {field}: {first['msg']}); "
        "the manifest was edited or written by another version: run the command again to report on it"
    )


def read_manifest(folder: Path) -> tuple[dict, list[RunScenario]]:
    """A folder's manifest (``{}`` if it has none) and its scenarios, validated before anything is drawn from them."""
    path = folder / "manifest.json"
    _read_json(path)  # a file that is not a JSON object is said as the report says it
    try:
        manifest = folder_manifest(folder).as_dict() if path.exists() else {}
    except ResultsFolderError as exc:
        raise MalformedResults(f"{exc}; write the folder again, or restore the file") from None
    return manifest, manifest_scenarios(manifest, path)


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
    ordered = sorted(summary["mean_wait_hours"].items(), key=lambda kv: -kv[1])
    waits = [Row(f"wait: {display_name(cause)}", f"{hours:,.0f} convoy-hours") for cause, hours in ordered]
    sorties = summary.get("mean_sortie_wait_hours", {})
    waits += [Row(f"airlift wait: {cause}", f"{hours:,.1f} sortie-hours") for cause, hours in sorties.items() if hours > 0]
    main = (summary.get("base") or {}).get("title") if is_theatre_summary(summary) else None  # a theatre: the figures are the main base's
    short = summary.get("air_cover_short")
    if short:
        label = f"{main}'s convoys short of Apache cover" if main else "convoys short of Apache cover"
        waits.append(Row(label, f"{short['convoys_uncovered']:.1f} a replication, {short['hours_short']:.1f} hours uncovered"))
    waits += [Row(busy_label(resource, main), f"{100 * share:.0f}%") for resource, share in summary["mean_utilisation"].items()]
    return days, probabilities, waits


POOLED_RESOURCES = ("trucks", "escort teams", "apaches", "crossing lanes")
"""Resources of a theatre's pools and crossings, which several bases may share: a base's busy share of one is the share
of them its own convoys used, over the hours to it empty (not how busy the pool was)."""


def busy_label(resource: str, base: str | None = None) -> str:
    """The words for a resource's busy share: on a theatre, a pooled one's is the share ``base``'s convoys used."""
    if base and resource in POOLED_RESOURCES:
        return f"busy with {base}'s convoys: {display_name(resource)}"
    return f"busy: {display_name(resource)}"


def comparison_rows(comparison: dict) -> list[dict]:
    """The tables of a ``comparison.json``, the console's own (:func:`sim.analysis.paired.comparison_tables`), each
    with its title saying whose figures they are: ``{"title", "rows"}``, rows of A, B, B - A (95% CI), variance reduction."""
    from sim.analysis.paired import comparison_tables

    return [{"title": t.title, "rows": [ComparisonRow(*row) for row in t.rows]} for t in comparison_tables(comparison)]


def comparison_heading(comparison: dict) -> str | None:
    """The verdict's heading of a comparison: what its sentence measures (``When is Rmelan empty with B, against A?``)."""
    record = (comparison.get("measured") or {}).get("measure")
    if not record:
        return None
    from sim.analysis.measure import Measure

    subject = Measure.from_record(record).subject
    when = {"base empty": "When is the base empty", "the last out": "When is everyone out"}.get(subject, f"When is {subject}")
    return f"{when} with B, against A?"


def provenance(scenarios: list[RunScenario]) -> list[ProvenanceSection]:
    """Where each number comes from: one table for a run's scenario, one for A and one for B in a comparison."""
    if len(scenarios) == 1:
        return [ProvenanceSection("provenance", "Where each number comes from", provenance_rows_of(scenarios[0].scenario))]
    return [
        ProvenanceSection(
            f"provenance-{s.label.lower()}", f"Where each number of scenario {s.label} ({s.scenario.scenario.name}) comes from", provenance_rows_of(s.scenario)
        )
        for s in scenarios
    ]


def provenance_rows_of(scenario: Scenario) -> list[ProvenanceGroup]:
    """Every number of one scenario, group by group under its source (written once): parameter, value or
    distribution, and the kind of its source (seed, report, doctrine, precedent, assumption or unsourced); each
    parameter in words with its dotted path beside, each value in its unit, shares in percent."""
    from sim.report.readable import parameter_words, value_in_units
    from sim.scenario.provenance import provenance_rows

    groups = []
    for source, found in groupby(provenance_rows(scenario), key=lambda r: r.source):
        rows = [ParameterRow(parameter_words(r.parameter), r.parameter, value_in_units(r.parameter, r.given, r.value), r.kind) for r in found]
        groups.append(ProvenanceGroup(_group_name(rows), source, rows))
    return groups


def manifest_rows(manifest: dict) -> list[Row]:
    """What the run was: everything of the manifest but the scenario table (shown as provenance), as an analyst
    reads it (:func:`sim.report.readable.readable`); fields without a value are left out."""
    rows = []
    for key, value in manifest.items():
        if key == "scenario":
            continue
        if key == "checksums" and isinstance(value, dict):  # hundreds of parts: their count, not their hashes
            rows.append(Row(key, f"SHA-256 of {len(value)} result files, checked before this report was written"))
            continue
        text = readable(key, value)
        if text is not None:
            rows.append(Row(key, text))
    return rows


def _headline(folder: Path, manifest: dict, scenarios: list[RunScenario], kind: str = "run") -> tuple[str, str, str]:
    """(title, description, question) of the report: the scenario's, or both scenarios' in a comparison;
    an analysis or nowcast title says which analysis it is."""
    prefix = f"{TITLES[kind]}: " if kind in TITLES else ""
    study = manifest.get("study")
    if not isinstance(study, dict):
        study = {}
    if kind == "sweep":
        prefix = f"Sweep {study['name']}: " if study.get("name") else "Sweep: "
    if not scenarios:
        return prefix + folder.name, "", ""
    first = scenarios[0].scenario.scenario
    if len(scenarios) == 1:
        described = f"{manifest['description']}. Scenario: {first.description}" if kind == "sweep" and manifest.get("description") else first.description
        return prefix + first.title, described, first.source
    a, b = (s.scenario.scenario for s in scenarios)
    overrides = [str(o) for o in manifest.get("overrides") or []]
    name_b = f"{b.name} with {', '.join(overrides)}" if overrides else b.name
    return f"{a.name} vs {name_b}", f"A: {a.title}. B: {b.title}{' with ' + ', '.join(overrides) if overrides else ''}.", first.source


def _rows_or_malformed(path: Path, rows_of, table: dict):
    """The report rows of a summary or comparison file, or :class:`MalformedResults` naming the file if it lacks what they need."""
    try:
        return rows_of(table)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
        raise MalformedResults(f"{path}: not a file this version of evacsim wrote ({problem}); write the folder again, or restore the file") from None


def report_context(folder: Path, not_drawn: list[str] | None = None) -> dict:
    """Everything the template shows, as plain values; ``not_drawn`` says which figures could not be drawn and why."""
    kind = folder_kind(folder)
    manifest, scenarios = read_manifest(folder)
    summary = _read_json(folder / "summary.json")
    comparison = _read_json(folder / "comparison.json") if kind == "compare" else {}
    title, description, question = _headline(folder, manifest, scenarios, kind)
    analysis = summarise(folder, kind, manifest)
    context: dict = {
        "kind": kind,
        "kind_name": KIND_NAMES.get(kind, kind),
        "heading": analysis.heading,
        "findings": analysis.findings,
        "box": analysis.box,
        "not_drawn": list(not_drawn or []),
        "folder": folder.name,
        "title": title,
        "description": description,
        "question": question,
        # a comparison's verdict is the sentence the console gives (B against A, paired), from comparison.json
        "verdict": summary.get("verdict") or (comparison.get("sentence") if kind == "compare" else None),
        "within": None,
        "headline": None,
        "days": [],
        "probabilities": [],
        "waits": [],
        "comparison": _rows_or_malformed(folder / "comparison.json", comparison_rows, comparison) if comparison else [],
        "replications": comparison.get("replications"),
        "figures": [f for f in figure_entries(folder, analysis.fields) if not (kind == "nowcast" and f.name == "nowcast")],
        "tables": _tables(folder, kind, manifest),
        "warnings": [str(w) for w in [*manifest.get("warnings", []), *summary.get("warnings", [])]],
        "nowcast_html": Markup(render_nowcast_section(folder)) if kind == "nowcast" else "",
        "provenance": provenance(scenarios),
        "manifest": manifest_rows(manifest),
        "theatre": theatre_context(folder, summary, manifest) if kind == "run" else None,
        "left_behind": left_behind_lines(summary, scenarios[0].scenario.scenario.start if scenarios else None) if kind == "run" else [],
    }
    if summary:
        context.update(_rows_or_malformed(folder / "summary.json", _summary_context, summary))
    if kind == "compare" and comparison_heading(comparison):
        context["heading"] = comparison_heading(comparison)
    if context.get("headline"):
        context["heading"] = context["headline"]["heading"]
    elif context["theatre"] and context["theatre"]["bases"]:
        context["heading"] = main_base_heading(context["theatre"]["bases"][0].title)
    return context


def left_behind_lines(summary: dict, start: str | None) -> list[str]:
    """What each base with a deadline left behind, a sentence each (a theatre's base by base)."""
    from sim.analysis.statistics import left_behind_words

    def words(left: dict, moves: float | None = None) -> str:
        date = day_date_words(start, left["deadline_day"]) if start else f"day {left['deadline_day']:g}"
        return left_behind_words(left, date, moves)

    bases = (summary.get("bases") or {}).items()
    lines = [f"{b.get('title', name)}: {words(b['left_behind'], b.get('share_left'))}" for name, b in bases if "left_behind" in b]
    if not lines and "left_behind" in summary:
        lines.append(words(summary["left_behind"]))
    return lines


def main_base_heading(title: str) -> str:
    """The verdict's heading in a theatre report, which opens with the whole withdrawal: the verdict is the main base's alone."""
    return f"Does {title}, the main base, empty in the window?"


def _tables(folder: Path, kind: str, manifest: dict) -> list[dict]:
    """The tables of the report: an analysis folder's CSV tables, a sweep's design points."""
    if kind == "sweep":
        points = design_points_table(folder, manifest)
        return [points] if points else []
    return csv_tables(folder, kind, manifest) if kind == "analysis" or (kind in ANALYSIS_KINDS and kind != "nowcast") else []


def headline_context(top: dict | None) -> dict | None:
    """The report's big figures from a run's ``headline``: the date (P50 with its calendar date, P10-P90, mean) and
    P(out by day D); None for a folder written before runs had one (the window's chance leads then)."""
    if not top:
        return None
    from sim.analysis.measure import Measure

    m = Measure.from_record(top["measure"])
    d = top["days"]
    iso = top["dates"]  # ISO in summary.json, read as 10 Mar 2026
    dates = {k: date_words(v) for k, v in iso.items() if v}
    when = dates_words(iso["p10"], iso["p90"]) if iso.get("p10") and iso.get("p90") else ""
    return {
        "heading": {"base empty": "When is the base empty", "the last out": "When is everyone out"}.get(m.subject, f"When is {m.subject}")
        + f", and how sure by day {m.day:g}?",
        "date": f"day {d['p50']:.1f}",
        "date_note": f"{m.days_words}, P50 ({dates.get('p50') or 'day ' + format(d['p50'], '.1f')}); P10-P90 {d['p10']:.1f}-{d['p90']:.1f} days"
        + (f" ({when})" if when else "")
        + f"; mean {d['mean']:.1f}",
        "p": percent(top["p_by_day"]),
        "p_label": m.by_day_words,
        "ci": percent_ci(top["p_by_day"]),
        "n": top["replications"],
        "check": top.get("window_check", ""),
    }


def _summary_context(summary: dict) -> dict:
    """The verdict's probability and the summary tables of a run's ``summary.json``."""
    window = tuple(summary["window_days"])
    within = summary[window_key("p_within", window)]
    days, probabilities, waits = summary_rows(summary)
    return {
        "headline": headline_context(summary.get("headline")),
        "within": {"label": window_labels(window)["p_within"], "estimate": percent(within), "ci": percent_ci(within), "n": summary["replications"]},
        "days": days,
        "probabilities": probabilities,
        "waits": waits,
    }


def environment() -> Environment:
    return Environment(loader=PackageLoader("sim.report", "templates"), autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined)


def render_html(context: dict) -> str:
    return environment().get_template("report.html.j2").render(**context)


def render_report(folder: Path, replot: bool = False) -> Path:
    """Write ``report.html`` into a results folder (drawing missing figures first); returns its path."""
    folder = Path(folder)
    kind = folder_kind(folder)
    _, scenarios = read_manifest(folder)  # a malformed manifest is a user error, not a traceback while drawing from it
    check_folder(folder)  # an edited summary, a corrupt part or a second study's parts: refused, naming the file
    lock_folder(folder)
    with theatre_names(scenarios[0].scenario if len(scenarios) == 1 else None):  # a theatre's inputs by its own names
        return _render_report(folder, kind, replot)


def _render_report(folder: Path, kind: str, replot: bool) -> Path:
    not_drawn: list[str] = []
    expected = [*expected_figures(kind), *(THEATRE_FIGURES if kind == "run" and is_theatre_summary(_read_json(folder / "summary.json")) else ())]
    if replot or not all(own_file(folder, folder / f"{stem}.png") for stem in expected):  # a link in a figure's place is drawn over
        try:
            not_drawn = plot_folder(folder, checked=True).skipped
        except NotResultsFolder:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedResults(
                f"{folder}: cannot draw its figures from its files ({type(exc).__name__}: {exc}); write the folder again, or restore its files"
            ) from None
    html = render_html(report_context(folder, [*not_drawn, *not_embedded(folder)]))
    path = write_atomic(folder / REPORT_NAME, lambda tmp: tmp.write_text(html, encoding="utf-8"))
    path.chmod(0o644)  # a report is for sharing
    return path
