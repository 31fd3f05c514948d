"""The nowcast section of the HTML report: the forecast before and after the reports, and how it narrowed.

:func:`render_nowcast_section` reads a folder written by ``evacsim nowcast``
(``nowcast.json`` and ``nowcast.png``) and returns a self-contained HTML fragment
(the figure embedded as a ``data:`` URI), or an empty string when the folder holds no
nowcast. Every value from the files is escaped.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from html import escape
from pathlib import Path

from sim.analysis.nowcast import by_words, when_words
from sim.experiment.nowcast import in_sentence
from sim.scenario.observations import amount_words

CAPTION = (
    "Left: median and P10-P90 of the day the base empties (solid, band) and the median of force closure (dashed), "
    "as forecast on each day, from the scenario alone (day 0) through each report. "
    "Right: days to base empty from the scenario alone (outline) and given the reports (filled)."
)


def _pct(p: dict) -> str:
    return f"{100 * p['estimate']:.0f}% ({100 * p['ci_low']:.0f}-{100 * p['ci_high']:.0f}%)"


def _empty(data: dict) -> str:
    """``Base empty``, or on a theatre ``Qasrak empty``: the main base whose reports these are (``base`` in ``nowcast.json``)."""
    return "Base empty" if data.get("base") is None else f"{escape(data['base'])} empty"


def _forecast_rows(data: dict) -> str:
    low, high = data["window_days"]
    within, over, by = f"p_{low:g}_to_{high:g}", f"p_over_{high:g}", f"p_by_{high:g}"
    rows = []
    for name, f in (("Scenario alone (prior)", data["prior"]), ("Given the reports (posterior)", data["posterior"])):
        b, fc = f["days_to_base_empty"], f["days_to_force_closure"]
        cells = [
            name,
            f"{b['p10']:.1f} / {b['p50']:.1f} / {b['p90']:.1f}",
            f"{fc['p10']:.1f} / {fc['p50']:.1f} / {fc['p90']:.1f}",
            _pct(f["base_empty"][by]),
            _pct(f["base_empty"][within]),
            _pct(f["base_empty"][over]),
            f"{f['effective_sample_size']:.0f}",
        ]
        rows.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    head = [
        "",
        f"{_empty(data)} P10 / P50 / P90 (days)",
        "Force closure P10 / P50 / P90 (days)",
        escape(by_words(high, data.get("base"))),
        f"P({low:g}-{high:g}), the seed's window",
        f"P(&gt; {high:g})",
        "Effective sample (replications)",
    ]
    return "<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>"


def _observation_rows(data: dict) -> str:
    rows = []
    for o in data["observations"]:
        fit = "fits" if o["consistent"] else f"inconsistent (closest replication {o['closest_tolerances']:.1f} tolerances away)"
        shows = f"{amount_words(o['kind'], o['simulated_p10'])} to {amount_words(o['kind'], o['simulated_p90'])}"
        cells = [o["label"], shows, fit, o["source"]]
        rows.append("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + "</tr>")
    head = ["Report", "The scenario alone shows (P10 to P90)", "Fit", "Source"]
    return "<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>"


def _step_rows(data: dict) -> str:
    rows = []
    for s in data["steps"]:
        reports = "; ".join(s["observations"]) or "scenario alone"
        cells = [
            f"{s['as_of_day']}",
            reports,
            f"{s['base_empty_p10']:.1f} / {s['base_empty_p50']:.1f} / {s['base_empty_p90']:.1f}",
            f"{100 * s['p_by_end']:.0f}%" if "p_by_end" in s else "—",  # a folder written before it was kept
            f"{100 * s['p_within']:.0f}%",
            f"{s['effective_sample_size']:.0f}",
        ]
        rows.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    low, high = data["window_days"]
    head = [
        "Forecast on day",
        "Reports then known",
        f"{_empty(data)} P10 / P50 / P90 (days)",
        escape(by_words(high, data.get("base"))),
        f"P({low:g}-{high:g}), the seed's window",
        "Effective sample (replications)",
    ]
    return "<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>"


def _effects(data: dict) -> str:
    """One sentence per report of trucks arriving: how far it moved the date everyone is out and P(out by the window's
    end), given the other reports (``effects`` of ``nowcast.json``; absent in a folder written before it existed)."""
    high = data["window_days"][1]
    by = f"p_by_{high:g}"
    base = data.get("base")  # a theatre's main base, whose closure the reports are of (absent before it was written)
    out = []
    for e in data.get("effects", []):
        if e["kind"] != "inflow":
            continue
        a, b = e["without"], e["with"]
        out.append(
            f"<p>{escape(in_sentence(e['label']))} moved the {when_words(base)} (P50) from day {a['base_empty_p50']:.1f} to "
            f"day {b['base_empty_p50']:.1f} and {escape(by_words(high, base))} from {100 * a[by]:.1f}% to {100 * b[by]:.1f}%, given "
            f"the other reports (effective sample {a['effective_sample_size']:.0f} without it, {b['effective_sample_size']:.0f} with it).</p>"
        )
    return "".join(out)


def _figure(folder: Path) -> str:
    png = folder / "nowcast.png"
    if not png.exists():
        return ""
    uri = "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")
    return f'<figure><img src="{uri}" alt="Nowcast: forecast narrowing and prior against posterior"><figcaption>{escape(CAPTION)}</figcaption></figure>'


def render_nowcast_section(folder: Path | str) -> str:
    """The report's nowcast section for a results folder, or ``""`` if it holds no ``nowcast.json``."""
    folder = Path(folder)
    path = folder / "nowcast.json"
    if not path.exists():
        return ""
    data = json.loads(path.read_text(encoding="utf-8"))
    warnings = "".join(f'<p class="warning"><strong>Warning:</strong> {escape(w)}</p>' for w in data["warnings"])
    from sim.analysis.nowcast import answer_sentence

    start = None
    manifest = folder / "manifest.json"
    if manifest.exists():
        info = json.loads(manifest.read_text(encoding="utf-8")).get("scenario", {}).get("scenario", {})
        start = dt.datetime.fromisoformat(info["start"]).date() if isinstance(info, dict) and info.get("start") else None
    intro = (
        f"<p><strong>{escape(answer_sentence(data['prior'], data['posterior'], data['window_days'][1], start, data.get('base')))}</strong></p>"
        f"<p>Observations: <em>{escape(data['observations_title'])}</em> ({escape(data['observations_path'])}). "
        f"{data['replications']} replications of the scenario: {escape(data['method'])}. Together they weigh as much as "
        f"{data['effective_sample_size']:.0f} replications would (the effective sample).</p>"
    )
    return (
        '<section id="nowcast">\n<h2>Nowcast: the forecast given what has been reported</h2>\n'
        + intro
        + warnings
        + _forecast_rows(data)
        + _effects(data)
        + _figure(folder)
        + "<h3>Reports and how the scenario fits them</h3>"
        + _observation_rows(data)
        + "<h3>How the forecast narrowed</h3>"
        + _step_rows(data)
        + "\n</section>\n"
    )
