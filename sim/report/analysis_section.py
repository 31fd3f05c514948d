"""What the report says about an analysis or nowcast folder: its question, its findings in sentences,
the captions of its figures, and its tables with what they hold.

Everything is read from the folder (``manifest.json``, the CSV tables, ``discovery.json``,
``nowcast.json``); a finding whose file is missing or unreadable is left out rather than
shown half-made. Missing numbers (NaN) show as ``—``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from markupsafe import Markup

from sim.experiment.tables import READ_AS
from sim.names import TABLES, closed_words, column_words, label, people_table, percent, points_size, range_words
from sim.report.readable import number, proportion, span

if TYPE_CHECKING:
    from sim.analysis.measure import Measure

KIND_NAMES = {
    "run": "run",
    "sweep": "sweep",
    "compare": "comparison",
    "sensitivity-tornado": "tornado sensitivity",
    "sensitivity-morris": "Morris screening",
    "sensitivity-sobol": "Sobol' sensitivity",
    "calibrate": "calibration",
    "marginal": "marginal value",
    "discover": "scenario discovery",
    "nowcast": "nowcast",
    "evidence": "evidence",
    "backtest": "backtest",
    "plan": "plan",
    "analysis": "analysis",
}
"""How the report names each kind of folder."""

TITLES = {
    "sensitivity-tornado": "Sensitivity (tornado)",
    "sensitivity-morris": "Sensitivity (Morris)",
    "sensitivity-sobol": "Sensitivity (Sobol')",
    "calibrate": "Calibration",
    "marginal": "Marginal value of resources",
    "discover": "Scenario discovery",
    "nowcast": "Nowcast",
    "evidence": "What to find out first",
    "backtest": "Backtests against past withdrawals",
    "plan": "The cheapest additions that make the date",
}

QUESTIONS = {
    "sensitivity-tornado": "Which inputs move the closure date most?",
    "sensitivity-morris": "Which inputs move the closure date most?",
    "sensitivity-sobol": "Which inputs move the closure date most?",
    "calibrate": "Which input values make the target come true?",
    "marginal": "What does one more of each resource buy?",
    "discover": "Under which conditions does it happen?",
    "nowcast": "What do the reports so far say about the closure?",
    "evidence": "Which input, known exactly, would settle the window question most, and what backs it?",
    "backtest": "Does the model predict past withdrawals it was not tuned to?",
    "plan": "What is the cheapest set of additions that makes the date with the confidence asked for?",
}
"""The heading of the first section for each kind (a run's is whether the base empties in the window)."""

P_WINDOW = "the chance of emptying the base in the {window} window"

CAPTIONS = {
    "tornado": (
        "Around the baseline run (every input drawn; the black line): {measure} (left) and {second} (right) with each factor "
        "pinned at its P5 (light bar) and at its P95 (dark bar), every other input still drawn, on the same replications; "
        "the largest swing of {measure} on top."
    ),
    "morris": (
        "Morris screening of {measure}: each factor's mean absolute effect (μ*, with its 95% interval) against "
        "the spread of its effects (σ). Far right matters most; above the dashed line the effect depends on the other factors."
    ),
    "morris_p_window": (
        "Morris screening of {p_window}: each factor's mean absolute effect (μ*, with its 95% interval) against the spread of its "
        "effects (σ). Far right matters most; above the dashed line the effect depends on the other factors."
    ),
    "sobol": (
        "Sobol' indices of {measure}: the share of its variance each factor explains alone (first order, S1) "
        "and with its interactions (total, ST), in percent, with 95% bootstrap intervals; largest total on top. Grey: the interval "
        "includes zero, so the sample cannot tell the index from no effect; a cross: a negative estimate (noise), drawn without a bar."
    ),
    "sobol_p_window": (
        "Sobol' indices of {p_window}: the share of its variance each factor explains alone (first order, S1) and with its "
        "interactions (total, ST), in percent, with 95% bootstrap intervals; largest total on top. Grey: the interval includes zero; "
        "a cross: a negative estimate (noise), drawn without a bar."
    ),
    "calibration": (
        "Each input's prior (every draw, shaded) and its posterior (the draws whose base emptied in {target}, outline), "
        "the inputs the target moves most first; an input without an outline had no draw in the target."
    ),
    "marginal": (
        "What one more of each resource buys: mean days sooner (left) and the change in {by_day}, in points (right), "
        "each with its 95% CI, on the same replications (common random numbers); best first by {measure}."
    ),
    "discovery": (
        "Scenario discovery (PRIM) for {target}: left, the peeling trajectory trading coverage for density, the chosen box "
        "ringed; right, the replications on the box's first two inputs, those meeting the target dark, the box drawn."
    ),
    "nowcast": "The forecast as reports arrived (left) and days to base empty before and after the reports (right).",
    "evidence": (
        "What to find out first: left, the share of the uncertainty of {measure} that knowing each input exactly would settle "
        "(EVPPI, with its 95% bootstrap interval); right, its tornado swing of {days}. Colour: the kind of the "
        "input's source; orange and red are guesses. A share or interval end estimated below 0% is noise around nothing: "
        "drawn at 0, as the console writes it (evidence.csv keeps the estimate)."
    ),
}
"""What each analysis figure shows; ``{p_window}`` and ``{target}`` are filled from the folder."""

TABLE_NOTES = {
    "tornado": (
        "Mean days, P(out by day D) and P(window) with each factor pinned at its P5 (low) and P95 (high), every other input drawn; base: "
        "the baseline run, every input drawn; swing: high - low, with its 95% paired interval over the replications both points share "
        "(swing_ci_low, swing_ci_high): a t interval for days, Newcombe's paired score interval for the chances (within -100 and +100 points)."
    ),
    "morris": (
        "Morris elementary effects on mean days to base empty: the mean absolute effect (μ*, days) with its 95% interval, the spread "
        "of the effects (σ) and their mean signed effect (μ)."
    ),
    "morris_p_window": (
        "Morris elementary effects on P(window): the mean absolute effect (μ*) with its 95% interval, the spread of the effects (σ) "
        "and their mean signed effect (μ)."
    ),
    "sobol": "Sobol' indices of mean days to base empty: first order (S1) and total (ST), each with its 95% bootstrap half-width.",
    "sobol_p_window": "Sobol' indices of P(window): first order (S1) and total (ST), each with its 95% bootstrap half-width.",
    "calibration": (
        "Prior (all draws) and posterior (draws in the target) P5, P50, P95 and mean of each input, in its unit (shares in percent). "
        "How narrow the target makes an input: the posterior's 90% width as a share of the prior's (width ratio); how far the "
        "posterior differs from the prior: the Kolmogorov-Smirnov distance (KS), 0% when the target says nothing of the input, up to "
        "100%; the chance of so large a difference if it said nothing: the KS test's p-value, accepted draws against rejected ones "
        "(independent samples), and its q-value, the same allowing for testing every input (false discovery rate)."
    ),
    "marginal": (
        "Per added resource, against the baseline on the same replications: days saved (positive: sooner) and the change in P(out by day D) "
        "and in P(window), each with its 95% CI (Newcombe's paired interval for the chances); ranked by the study's measure, best first."
    ),
    "evidence": (
        "Per uncertain input: the kind of its source; the change in mean days to base empty and in the window's probability "
        "from its P5 to its P95 (a tornado); and the share of the uncertainty of the verdict that knowing it exactly would "
        "settle (EVPPI), with its 95% bootstrap interval. A share below zero is estimation noise around nothing."
    ),
    "backtest": (
        "Each past withdrawal, configured from public numbers and never tuned to its outcome: what was reported against the "
        "model's P10 / P50 / P90, the share of replications inside the reported range, and the CRPS of the model and of a "
        "planner's paper forecast (skill: 1 - model / paper; above zero the model wins)."
    ),
    "plan": (
        "The shortlist, cheapest first: each plan checked on fresh replications until its chance of the target is told apart "
        "from the target (a sequential feasibility check); the levers' numbers are in plan.csv."
    ),
    "pareto": "The cheapest plan for each chance of the target the search reached: no plan is both cheaper and likelier.",
    "candidates": "Every plan the search tried, as it was tried: its cost and its chance of the target on the search's replications.",
    "prim_trajectory": "Each step of PRIM's peeling: coverage, density, mass and the inputs restricted; the chosen step is marked.",
}


@dataclass
class AnalysisSummary:
    """The first section of an analysis report and what its figures are."""

    heading: str = "Does the base empty in the window?"
    findings: list[str] = field(default_factory=list)
    box: Markup | None = None
    fields: dict[str, str] = field(default_factory=dict)


def _json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _table(folder: Path, name: str) -> pd.DataFrame | None:
    try:
        return pd.read_csv(folder / f"{name}.csv", index_col=0)
    except (OSError, ValueError):
        return None


def _window(manifest: dict) -> tuple[float, float] | None:
    try:
        low, high = manifest["scenario"]["scenario"]["window_days"]
        return float(low), float(high)
    except (KeyError, TypeError, ValueError):
        return None


def _label(name: str) -> str:
    return label(name)


def _horizon(manifest: dict) -> float | None:
    try:
        return float(manifest["scenario"]["scenario"]["horizon_days"])
    except (KeyError, TypeError, ValueError):
        return None


def caption_fields(folder: Path, kind: str, manifest: dict) -> dict[str, str]:
    """The values captions are filled with: the planning window and the target."""
    window = _window(manifest)
    fields = {"p_window": P_WINDOW.format(window=f"{span(*window)}-day") if window else "the chance of emptying the base in the window"}
    m = _measure(manifest)
    fields.update(measure=m.words, by_day=m.by_day_words, days=f"mean {m.days_words}", second=f"mean {m.days_words}" if m.is_probability else m.by_day_words)
    target = "the target"
    days = manifest.get("target_days")
    if kind == "calibrate" and isinstance(days, list) and len(days) == 2 and all(isinstance(d, (int, float)) for d in days):
        target = f"{span(*days)} days"
    elif kind == "discover":
        target = str(_json(folder / "discovery.json").get("target") or manifest.get("target") or target)
    fields["target"] = target
    return fields


def _measure(manifest: dict) -> Measure:
    """What an analysis folder measured (mean days to base empty for one written before studies chose)."""
    from sim.analysis.measure import Measure

    record = manifest.get("measure")
    if isinstance(record, dict) and "measure" in record:
        return Measure.from_record(record)
    window = _window(manifest)
    return Measure(window=window) if window else Measure()


def caption(stem: str, fields: dict[str, str]) -> str:
    """What a figure shows; a figure this version does not know is named by its file."""
    text = CAPTIONS.get(stem)
    return text.format(**fields) if text else stem.replace("_", " ")


def summarise(folder: Path, kind: str, manifest: dict) -> AnalysisSummary:
    """The question, findings and (for discovery) the box of an analysis or nowcast folder."""
    summary = AnalysisSummary(QUESTIONS.get(kind, AnalysisSummary.heading), fields=caption_fields(folder, kind, manifest))
    try:
        if kind.startswith("sensitivity-"):
            summary.findings = _sensitivity(folder, kind, manifest)
        elif kind == "calibrate":
            summary.findings = _calibration(folder, manifest)
        elif kind == "marginal":
            summary.findings = _marginal(folder, manifest)
        elif kind == "discover":
            summary.findings, summary.box = _discovery(folder, manifest)
        elif kind == "nowcast":
            summary.findings = _nowcast(folder, manifest)
        elif kind == "evidence":
            summary.findings = _evidence(folder, manifest)
        elif kind == "backtest":
            summary.findings = _backtest(folder)
        elif kind == "plan":
            summary.findings = _plan(folder)
    except (KeyError, TypeError, ValueError, IndexError):
        summary.findings = summary.findings or []
    return summary


def _design(manifest: dict) -> str | None:
    points, per_point = manifest.get("points"), manifest.get("replications_per_point")
    if points is None or per_point is None:
        return None
    factors = manifest.get("factors") or []
    tail = f", {len(factors)} factors" if factors else ""
    return f"{points} design points x {per_point} replications each (common random numbers){tail}."


def _sensitivity(folder: Path, kind: str, manifest: dict) -> list[str]:
    lines = [line for line in [_design(manifest)] if line]
    method = kind.removeprefix("sensitivity-")
    measured = _measure(manifest)  # what the study ranked by: its Morris and Sobol' tables are in that measure
    points = _table(folder, "points")
    if points is not None and "replications" in points.columns and len(points) and manifest.get("replications_per_point"):
        from sim.analysis.measure import moving_words

        centre = method == "tornado"  # a base that moves in only some replications: of how many the figures are
        moves = int(points["replications"].iloc[0] if centre else points["replications"].max())
        moving = moving_words(measured, moves, int(manifest["replications_per_point"]), "replications of the centre" if centre else "replications of a point")
        lines += [moving] if moving else []
    table = _table(folder, method)
    if table is None or table.empty:
        return lines
    if method == "tornado":
        name, row = table.index[0], table.iloc[0]
        centre = "in the baseline run, every input drawn" if "p_by_day.base" in table.columns else "with every factor at its median"
        column = measured.point_column if f"{measured.point_column}.low" in table.columns else "mean_days"
        if column == "mean_days":
            lines.append(
                f"{_label(str(name))} moves the closure most: mean days {number(row['mean_days.low'])} with it at its P5 and "
                f"{number(row['mean_days.high'])} at its P95, against {number(row['mean_days.base'])} {centre}."
            )
        else:  # ranked by a chance: say that chance, in percent
            low, high, base = (f"{percent(row[f'{column}.{end}'])}%" for end in ("low", "high", "base"))
            lines.append(f"{_label(str(name))} moves {measured.words} most: {low} with it at its P5 and {high} at its P95, against {base} {centre}.")
    elif method == "morris":
        top = table.sort_values("mu_star", ascending=False)
        name, row = top.index[0], top.iloc[0]
        size = (lambda v: f"{points_size(v)} percentage points") if measured.is_probability else (lambda v: f"{number(v)} days")
        effect = f"mean absolute effect {size(row['mu_star'])} (μ*), spread of the effects {size(row['sigma'])} (σ)"
        lines.append(f"{_label(str(name))} has the largest effect on {measured.words}: {effect}.")
    else:
        top = table.sort_values("ST", ascending=False)
        name, row = top.index[0], top.iloc[0]
        lines.append(
            f"{_label(str(name))} explains the largest share of the variance of {measured.words}: "
            f"total index {number(row['ST'])} (first order {number(row['S1'])})."
        )
    return lines


def _calibration(folder: Path, manifest: dict) -> list[str]:
    from sim.analysis.calibration import informative

    low, high = manifest["target_days"]
    target = f"{span(low, high)} days"
    total = manifest.get("replications_total")
    rate = manifest.get("acceptance")
    lines = []
    if rate and total:
        accepted = round(rate["estimate"] * total)
        lines.append(f"{accepted} of {total} draws from the priors {closed_words(manifest.get('calibrated_base'))} in {target}: acceptance {proportion(rate)}.")
        if accepted == 0:
            horizon = _horizon(manifest)
            if horizon is not None and high > horizon:
                lines.append(
                    f"No draw met the target, so there is no posterior to compare with the priors. The target reaches past the "
                    f"horizon of {number(horizon)} days, where every replication is cut off: no draw can close there, and more "
                    "replications would not help; choose a target inside the horizon or lengthen it (scenario.horizon_days)."
                )
            else:
                lines.append("No draw met the target, so there is no posterior to compare with the priors: widen the target or raise --replications.")
            return lines
    table = _table(folder, "calibration")
    if table is not None:
        strong = informative(table)
        described = "; ".join(
            f"{_label(str(n))} {range_words(str(n), r.prior_p5, r.prior_p95)} -> {range_words(str(n), r.post_p5, r.post_p95)}"
            for n, r in strong.iterrows()
            if math.isfinite(r.post_p5)
        )
        lines.append("Inputs the target constrains (prior P5-P95 -> posterior P5-P95): " + (described or "none clearly."))
    return lines


def _marginal(folder: Path, manifest: dict) -> list[str]:
    lines = []
    if manifest.get("replications_per_point"):
        lines.append(f"{manifest['replications_per_point']} replications per variant, common random numbers.")
    table = _table(folder, "marginal")
    if table is not None and not table.empty:
        best, top = table.index[0], table.iloc[0]
        from sim.analysis.marginal import marginal_sentence
        from sim.analysis.measure import moving_words

        if manifest.get("replications_per_point") and "replications" in table.columns:  # a base that moves in only some
            moving = moving_words(_measure(manifest), int(table["replications"].max()), int(manifest["replications_per_point"]), "replications of each change")
            lines += [moving] if moving else []

        lines.append(
            marginal_sentence(table, _measure(manifest)) if "p_by_day_change" in table.columns else f"{best} buys the most time: {top['days_saved']:.1f} days."
        )
    return lines


def _discovery(folder: Path, manifest: dict) -> tuple[list[str], Markup | None]:
    found = _json(folder / "discovery.json")
    lines = []
    if found.get("target"):
        source = manifest.get("results")
        read = f" over the {found['replications']} replications of {source}" if source else f" over {found['replications']} replications"
        lines.append(f"Target: {found['target']}{read}; {found['cases']} of them meet it ({100 * found['base_rate']:.0f}%).")
    if found.get("sentence"):
        lines.append(str(found["sentence"]))
    return lines, box_table(folder)


def box_table(folder: Path) -> Markup | None:
    """The chosen PRIM box: each restricted input, its limits in the box and its range in the data."""
    from html import escape

    try:
        box = pd.read_csv(folder / "prim_box.csv", index_col=0)
    except (OSError, ValueError):
        return None
    rows = []
    for name, r in box.iterrows():
        cells = [_label(str(name)), str(name), span(r["min"], r["max"]), span(r["data_min"], r["data_max"])]
        rows.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    if not rows:
        rows = ['<tr><td colspan="4">No input restricted: no box beats the whole data set.</td></tr>']
    head = "".join(f"<th>{h}</th>" for h in ("input", "parameter", "in the box", "in the data"))
    return Markup(f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')


def _backtest(folder: Path) -> list[str]:
    """One sentence a case: what was reported, what the model and the paper forecast give, their errors and the skill."""
    table = pd.read_csv(folder / "backtest.csv")
    lines = [
        f"{r.what}: reported {r.reported_low:g}-{r.reported_high:g} {r.unit} ({r.measure}); the model gives P10 {r.p10:.1f}, "
        f"P50 {r.p50:.1f}, P90 {r.p90:.1f} {r.unit} ({100 * r.share_in_reported:.0f}% of replications inside the range), the "
        f"paper forecast {r.paper:.1f} {r.unit}; typical error (CRPS) {r.crps_model:.2f} {r.unit} for the model, "
        f"{r.crps_paper:.2f} {r.unit} for the paper forecast: {r.verdict}."
        for r in table.itertuples()
    ]
    wins = int(table["model_wins"].sum())
    lines.append(f"The model beats the paper forecast in {wins} of {len(table)} cases and loses {len(table) - wins}.")
    return lines


def _plan(folder: Path) -> list[str]:
    """The recommended plan in words, and its check on another seed."""
    found = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    lines = [str(found["sentence"])] if found.get("sentence") else []
    check = found.get("check")
    if isinstance(check, dict) and "p" in check:
        verdict = "meets" if check.get("meets_target_within_ci") else "does not meet"
        lines.append(
            f"A fresh run on seed {check.get('seed')} ({check.get('replications')} replications) gives {100 * check['p']:.1f}% "
            f"({100 * check['ci_low']:.1f}-{100 * check['ci_high']:.1f}%): it {verdict} the target within its interval."
        )
    return lines


def _evidence(folder: Path, manifest: dict) -> list[str]:
    from sim.analysis.evidence import findings

    window = _window(manifest)
    try:
        table = pd.read_csv(folder / "evidence.csv")
    except (OSError, ValueError):
        return []
    if window is None or table.empty:
        return []
    joint = manifest.get("joint") if isinstance(manifest.get("joint"), dict) else None
    sample = {k: manifest[k] for k in ("p_by_day", "mean_days", "moves") if k in manifest}
    m = _measure(manifest) if "p_by_day" in sample and "mean_days" in sample else None
    return findings(table, window, float(manifest["p_window"]), int(manifest["monte_carlo_replications"]), joint, measure=m, sample=sample or None)


def _nowcast(folder: Path, manifest: dict) -> list[str]:
    """The console's answer first (the date everyone is out and P(out by the window's end), from the scenario alone and
    given the reports), then the spread of base empty and the seed's window, a report to check."""
    import datetime as dt

    from sim.analysis.nowcast import answer_sentence

    data = _json(folder / "nowcast.json")
    if not data:
        return []
    low, high = data["window_days"]
    key = f"p_{low:g}_to_{high:g}"
    prior, posterior = data["prior"], data["posterior"]
    info = manifest.get("scenario", {}).get("scenario", {}) if isinstance(manifest.get("scenario"), dict) else {}
    start = dt.datetime.fromisoformat(info["start"]).date() if isinstance(info, dict) and info.get("start") else None
    days = posterior["days_to_base_empty"]
    return [
        answer_sentence(prior, posterior, high, start, data.get("base")),
        f"{'Base' if data.get('base') is None else data['base']} empty P10 / P50 / P90 given the reports: "
        f"{number(days['p10'])} / {number(days['p50'])} / {number(days['p90'])} days.",
        f"The seed's {low:g}-{high:g} day window, a report to check: P({low:g}-{high:g}) = {proportion(posterior['base_empty'][key])} "
        f"given the reports, against {proportion(prior['base_empty'][key])} from the scenario alone.",
    ]


READING_ORDER = {"plan": -3, "pareto": -2, "candidates": -1}
"""Tables read before the others (the rest by name): a plan's shortlist, then its front, then every plan tried."""

REPORT_LEAVES_OUT = {
    "tornado": (
        *(f"{output}.{end}" for output in ("mean_days", "p_by_day", "p_window") for end in ("swing_ci_low", "swing_ci_high", "base")),
        "p_window.low",  # the seed's window is a check: its swing stays, its ends are in the file
        "p_window.high",
    ),
    "marginal": ("p_by_day_change_low", "p_by_day_change_high", "p_window_base", "p_window_variant", "p_window_change_low", "p_window_change_high"),
}
"""Columns of an analysis CSV that the report's table leaves out to fit the page (the file keeps them)."""


def csv_tables(folder: Path, kind: str, manifest: dict | None = None) -> list[dict]:
    """The analysis tables of a folder as HTML, each with what it holds: columns in words and units, inputs by name
    with the dotted path beside them (small), missing numbers ``—``."""
    tables = []
    window = _window(manifest or {})
    measure = _measure(manifest) if manifest and isinstance(manifest.get("measure"), dict) else None  # as report.md names them
    skip = {"points"} | ({"prim_box"} if kind == "discover" else set())
    for path in sorted(folder.glob("*.csv"), key=lambda p: (READING_ORDER.get(p.stem, 0), p.stem)):
        if path.stem in skip:  # the design itself is too wide to read; the box is shown in words above
            continue
        try:
            frame = pd.read_csv(path, index_col=0) if path.stem in TABLES else pd.read_csv(path)
        except (OSError, ValueError):
            continue
        note = TABLE_NOTES.get(path.stem, "")
        wide = [c for c in REPORT_LEAVES_OUT.get(path.stem, ()) if c in frame.columns]
        if wide:  # too wide for the page beside the rest; the CSV keeps them
            frame = frame.drop(columns=wide)
            kept = (
                "The swings' 95% paired intervals and the baseline run's values"
                if path.stem == "tornado"
                else "The intervals of the chances and P(window)'s ends"
            )
            note = f"{note} {kept} are in {path.name}.".strip()
        empty = [str(c) for c in frame.columns if frame[c].isna().all()] if len(frame) else []
        if empty:  # e.g. a calibration no draw met: its posterior columns hold no number at all
            frame = frame.drop(columns=empty)
            words = [column_words(path.stem, c, window, measure=measure) for c in empty]
            note = f"{note} Left out, as no row has a value: {', '.join(words)}.".strip()
        if path.stem in READ_AS:
            frame, note = READ_AS[path.stem](frame, window), TABLE_NOTES.get(path.stem, "")
        elif path.stem in TABLES:
            frame, same = fewer_columns(people_table(frame, path.stem, window, measure=measure))
            note = f"{note} {same}".strip()
        else:
            for column in [c for c in frame.columns if pd.api.types.is_bool_dtype(frame[c])]:
                frame[column] = frame[column].map({True: "yes", False: "no"})
            if len(frame.columns) and str(frame.columns[0]).startswith("Unnamed"):
                frame = frame.rename(columns={frame.columns[0]: "factor" if "factor" not in frame.columns else ""})
        tables.append({"name": path.stem.replace("_", " "), "note": note, "html": html_table(frame)})
    return tables


_CI_END = re.compile(r"^(?P<what>.+), 95% CI (?P<end>low|high) \((?P<unit>[^)]*)\)$")


def fewer_columns(frame: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """A table in words made narrow enough to read at 1,280 px without losing a number: each pair of columns
    ``X, 95% CI low (u)`` and ``X, 95% CI high (u)`` becomes one ``X, 95% CI (u)`` reading ``-0.3 to 1.3``, and a
    column that holds one value on every row (the replications of a marginal study) moves to a sentence, returned."""
    out = frame.copy()
    for column in list(out.columns):
        low = _CI_END.match(str(column))
        if low is None or low["end"] != "low":
            continue
        high_name = f"{low['what']}, 95% CI high ({low['unit']})"
        if high_name not in out.columns:
            continue
        merged = [f"{a} to {b}" for a, b in zip(out[column].astype(str), out[high_name].astype(str), strict=True)]
        at = list(out.columns).index(column)
        out = out.drop(columns=[column, high_name])
        out.insert(at, f"{low['what']}, 95% CI ({low['unit']})", merged)
    same = [c for c in out.columns[1:] if c != "parameter" and len(out) > 1 and out[c].astype(str).nunique() == 1]
    sentence = "; ".join(f"{c}: {out[c].iloc[0]} on every row" for c in same)
    return out.drop(columns=same), (sentence[0].upper() + sentence[1:] + ".") if sentence else ""


def html_table(frame: pd.DataFrame) -> Markup:
    """A table of strings or numbers as HTML that wraps inside the page: numbers right-aligned, dotted paths small."""
    from html import escape

    # The dotted path goes small under the input's words, in the same cell: a column of its own squeezes both.
    beside = "parameter" in frame.columns and len(frame.columns) > 1 and frame.columns[0] != "parameter"
    shown = [c for c in frame.columns if not (beside and c == "parameter")]
    head = "".join(f"<th>{escape(str(c))}</th>" for c in shown)
    rows = []
    for record in frame.to_dict("records"):
        cells = []
        for column in shown:
            text = _text(record[column])
            css = "param" if column == "parameter" else "num" if column not in FIRST_COLUMNS and _numeric(text) else ""
            path = _text(record["parameter"]) if beside and column == shown[0] else ""
            under = f'<span class="param">{escape(path)}</span>' if path and path != text else ""
            cells.append(f'<td class="{css}">{escape(text)}</td>' if css else f"<td>{escape(text)}{under}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return Markup(f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')


def _text(value: object) -> str:
    return value if isinstance(value, str) else number(value) if isinstance(value, (int, float)) else str(value)


FIRST_COLUMNS = frozenset({"input", "change", "step", "unit", "factor"})


def _numeric(text: str) -> bool:
    return bool(text) and (text[0].isdigit() or text[0] in "+-<>—")


def design_points_table(folder: Path, manifest: dict) -> dict | None:
    """A sweep's design points as a table to read: each point's factor values (by name, in their units), its
    replications, mean days to base empty and the chance of the window, each with its 95% CI."""
    from sim.names import days, unit_of, whole
    from sim.names import percent as pct

    try:
        points = pd.read_csv(folder / "points.csv")
    except (OSError, ValueError):
        return None
    window = _window(manifest) or (15.0, 30.0)
    key = f"p_{window[0]:g}_to_{window[1]:g}"
    factors = [str(f["path"]) for f in manifest.get("factors") or [] if isinstance(f, dict) and f.get("path") in points.columns]
    if not factors or "replications" not in points or key not in points:
        return None
    frame = pd.DataFrame({"point": points["point"].map(whole)})
    for factor in factors:
        frame[f"{label(factor)} ({unit_of(factor)})"] = points[factor].map(number)
    frame["replications"] = points["replications"].map(whole)
    if "days_mean" in points:
        frame["mean days to base empty (days)"] = points["days_mean"].map(days)
        frame["95% CI (days)"] = [
            f"{days(lo)}{' to ' if min(lo, hi) < 0 else '-'}{days(hi)}" for lo, hi in zip(points["days_mean_ci_low"], points["days_mean_ci_high"], strict=True)
        ]
    words = f"P({window[0]:g}-{window[1]:g} days)"
    frame[f"{words} (%)"] = points[key].map(pct)
    frame["95% CI (%)"] = [f"{pct(lo)}-{pct(hi)}" for lo, hi in zip(points[f"{key}_ci_low"], points[f"{key}_ci_high"], strict=True)]
    note = f"One row per design point: {', '.join(f'{label(f)} ({f})' for f in factors)}; the other inputs as in the scenario."
    return {"name": "design points", "note": note, "html": html_table(frame)}
