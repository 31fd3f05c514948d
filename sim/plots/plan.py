"""The plan figure: cost against the probability of making the date, every plan tried, the front and the pick."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from sim.plots.style import BLUE, ORANGE, SKY_BLUE, VERMILLION, WINDOW_ALPHA, WINDOW_COLOR, style_context


def plan_figure(candidates: pd.DataFrame, pareto: pd.DataFrame, ranked: pd.DataFrame, probability: float, indifference: float, what: str) -> Figure:
    """Plans tried (search estimates with 95% intervals), the Pareto front of cost against probability,
    the target with its indifference zone, and the confirmed plans (pick and runners-up, fresh replications)."""
    with style_context():
        fig, ax = plt.subplots(figsize=(9, 5.5))
        ax.axhspan(100 * (probability - indifference), 100 * (probability + indifference), color=WINDOW_COLOR, alpha=WINDOW_ALPHA, lw=0)
        ax.axhline(100 * probability, color=WINDOW_COLOR, lw=1.2, label=f"target {probability:.0%} (band: indifference zone)")
        err = [100 * (candidates["search_p"] - candidates["search_ci_low"]), 100 * (candidates["search_ci_high"] - candidates["search_p"])]
        ax.errorbar(
            candidates["cost"], 100 * candidates["search_p"], yerr=err, fmt="o", ms=3.5, color=SKY_BLUE, alpha=0.6, lw=0.8, label="plans tried (search)"
        )
        ax.step(pareto["cost"], 100 * pareto["search_p"], where="post", color=BLUE, lw=1.5, label="Pareto front")
        if len(ranked):
            for status, color, marker, label in (
                ("runner-up", ORANGE, "s", "runners-up (confirmed)"),
                ("recommended", VERMILLION, "*", "recommended (confirmed)"),
            ):
                rows = ranked[ranked["status"].str.startswith(status)]
                if rows.empty:
                    continue
                yerr = [100 * (rows["confirm_p"] - rows["confirm_ci_low"]), 100 * (rows["confirm_ci_high"] - rows["confirm_p"])]
                ax.errorbar(rows["cost"], 100 * rows["confirm_p"], yerr=yerr, fmt=marker, ms=12 if marker == "*" else 6, color=color, capsize=3, label=label)
        ax.set_xlabel("cost of the additions (request points)")
        ax.set_ylabel(f"{what}, % of replications")
        ax.set_ylim(min(100 * candidates["search_ci_low"].min(), 100 * (probability - 2 * indifference)) - 2, 101)
        ax.legend(loc="lower right", fontsize="small")
        fig.suptitle("Cheapest additions that make the date: cost against probability (common random numbers)")
    return fig
