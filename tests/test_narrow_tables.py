"""At 80 columns (a pipe, a narrow terminal) every console table keeps every figure: a cell wraps or folds onto the next
line, never ends in an ellipsis (nowcast, evidence, run)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from sim.cli import app

ROOT = Path(__file__).resolve().parent.parent
NARROW = {"COLUMNS": "80"}


def _columns(table: str) -> str:
    """The body's cells column by column, each column's lines joined with nothing between them: a figure folded onto
    the next line reads whole again."""
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in table.splitlines() if line.startswith("│")]
    return " ".join("".join(row[j] for row in rows) for j in range(len(rows[0])))


def test_the_evidence_table_keeps_every_figure_and_parameter_at_80_columns(monkeypatch):
    from sim.commands import _console
    from sim.commands.analysis import _print_evidence

    monkeypatch.setenv("COLUMNS", "80")
    table = pd.DataFrame(
        {
            "label": ["outsized loads (HET only)", "Apache hours over a convoy"],
            "input": ["cargo.classes.outsized.loads", "air_cover.hours_on_station"],
            "evppi": [12.0, 11.0],
            "evppi_low": [0.0, 0.0],
            "evppi_high": [48.0, 46.0],
            "swing_days": [0.1, 0.0],
            "p_window_swing_points": [3.0, 0.0],
            "source_kind": ["assumption", "report"],
        }
    )
    with _console.console.capture() as shown:
        _print_evidence(table, (15.0, 30.0))
    text = shown.get()
    assert "…" not in text, text
    assert max(len(line) for line in text.splitlines()) <= 80
    cells = _columns(text)
    for figure in ("cargo.classes.outsized.loads", "air_cover.hours_on_station", "12%(0-48%)", "11%(0-46%)", "+0.1 days", "+3 points"):
        assert figure in cells, (figure, text)


def test_the_nowcast_table_keeps_every_figure_at_80_columns(tmp_path):
    out = tmp_path / "nowcast"
    args = ["nowcast", str(ROOT / "scenarios/qasrak_baseline.toml"), str(ROOT / "scenarios/observations/qasrak_2026.toml")]
    result = CliRunner().invoke(app, [*args, "-n", "60", "--jobs", "1", "--out", str(out)], env=NARROW)
    assert result.exit_code == 0, result.output
    table = result.stdout[: result.stdout.index("└")]
    assert "…" not in table, table
    import json

    posterior = json.loads((out / "nowcast.json").read_text())["posterior"]["days_to_base_empty"]
    assert f"{posterior['p10']:.1f}-{posterior['p90']:.1f}" in _columns(table), table  # the P90 is there, if folded


def test_the_run_tables_keep_every_figure_at_80_columns(tmp_path):
    for scenario in ("syria_2026_theatre.toml",):  # the widest: a row a base (the baseline's tables are narrower)
        args = ["run", "--no-figures", str(ROOT / "scenarios" / scenario), "-n", "6", "--jobs", "1", "--out", str(tmp_path / scenario)]
        result = CliRunner().invoke(app, args, env=NARROW)
        assert result.exit_code == 0, result.output
        assert "…" not in result.stdout, result.stdout
