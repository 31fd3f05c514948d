"""Regenerate the README's figures: a small baseline Monte Carlo, then its completion plot and burn-down.

Run from the repository root: ``.venv/bin/python scripts/readme_figures.py`` (``make readme-figures``).
Writes ``docs/img/completion.png`` and ``docs/img/burndown.png`` (and their SVGs).
"""

from __future__ import annotations

import sys
from pathlib import Path

from sim.analysis.statistics import summarize, window_key
from sim.experiment.montecarlo import run_monte_carlo
from sim.model.evacuation import RESOURCES, WAIT_CAUSES
from sim.plots.burndown import burndown_figure
from sim.plots.completion import completion_figure, save_figure
from sim.plots.figures import start_date_of
from sim.replication import prepare
from sim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "qasrak_baseline.toml"
OUT = ROOT / "docs" / "img"
SEED = 20260223
REPLICATIONS = 500


def main(replications: int = REPLICATIONS) -> list[Path]:
    scenario = load_scenario(SCENARIO).scenario
    window = scenario.scenario.window_days
    start = start_date_of({"scenario": scenario.model_dump(mode="json")})
    result = run_monte_carlo(prepare(scenario), SEED, replications=replications, jobs=2)
    summary = summarize(result.rows, window, WAIT_CAUSES, RESOURCES)
    probabilities = {k: summary[window_key(k, window)]["estimate"] for k in ("p_under", "p_within", "p_over")}
    rows = result.rows
    completion = completion_figure(rows["days_to_base_empty"].to_numpy(), rows["days_to_force_closure"].to_numpy(), window, start, probabilities)
    paths = save_figure(completion, OUT / "completion")
    paths += save_figure(burndown_figure(result.burndown_cargo, result.burndown_people, window, start), OUT / "burndown")
    return paths


if __name__ == "__main__":
    for path in main(int(sys.argv[1]) if len(sys.argv) > 1 else REPLICATIONS):
        print(path.relative_to(ROOT))
