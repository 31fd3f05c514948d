"""Regenerate the README's figures: a small baseline Monte Carlo, then its completion plot and burn-down.

Run from the repository root: ``.venv/bin/python scripts/readme_figures.py`` (``make readme-figures``).
Writes ``docs/img/completion.png`` and ``docs/img/burndown.png`` (and their SVGs).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pandas as pd

import sim
from sim.analysis.statistics import window_key
from sim.plots.burndown import burndown_figure, read_burndown
from sim.plots.completion import completion_figure, save_figure
from sim.plots.figures import start_date_of

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "qasrak_baseline.toml"
OUT = ROOT / "docs" / "img"
SEED = 20260223
REPLICATIONS = 500


def main(replications: int = REPLICATIONS) -> list[Path]:
    loaded = sim.load(SCENARIO)
    scenario = loaded.scenario
    window = scenario.scenario.window_days
    start = start_date_of({"scenario": scenario.model_dump(mode="json")})
    with tempfile.TemporaryDirectory() as tmp:  # the run's folder, as `evacsim run` writes it; only its figures are kept
        result = sim.run(loaded, replications, seed=SEED, out=Path(tmp) / "run", jobs=2, figures=False)
        rows = pd.read_parquet(result.folder / "replications.parquet")
        counts = read_burndown(result.folder / "burndown.parquet")
    probabilities = {k: result.summary[window_key(k, window)]["estimate"] for k in ("p_under", "p_within", "p_over")}
    completion = completion_figure(rows["days_to_base_empty"].to_numpy(), rows["days_to_force_closure"].to_numpy(), window, start, probabilities)
    paths = save_figure(completion, OUT / "completion")
    paths += save_figure(burndown_figure(counts["cargo_loads"], counts["people"], window, start), OUT / "burndown")
    return paths


if __name__ == "__main__":
    for path in main(int(sys.argv[1]) if len(sys.argv) > 1 else REPLICATIONS):
        print(path.relative_to(ROOT))
