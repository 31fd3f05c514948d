"""Calibration figure: for each input, its prior (all draws) against its posterior (draws that met the target)."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.names import label, unit_of, unit_words
from sim.plots.style import BLUE, SKY_BLUE, style_context, whole_number_ticks


def calibration_figure(inputs: pd.DataFrame, accepted: np.ndarray, order: list[str], target: str, columns: int = 4) -> Figure:
    """Density histograms of prior and posterior for the inputs in ``order`` (most changed first), each on an axis in
    its input's unit (a share in percent)."""
    accepted = np.asarray(accepted, bool)
    rows = max(1, math.ceil(len(order) / columns))
    with style_context():
        fig, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.4 * rows), squeeze=False)
        for ax, name in zip(axes.flat, order, strict=False):
            values = inputs[name].to_numpy(float) * (100.0 if unit_of(name).startswith("share") else 1.0)  # a share in percent
            bins = np.histogram_bin_edges(values, bins=20)
            ax.hist(values, bins=bins, density=True, color=SKY_BLUE, alpha=0.7, label="prior")
            if accepted.any():
                ax.hist(values[accepted], bins=bins, density=True, histtype="step", lw=1.6, color=BLUE, label=f"given {target}")
            ax.set_title(label(name), fontsize=8)
            ax.set_xlabel(unit_words(name), fontsize=7)
            whole_number_ticks(ax, name)
            ax.set_yticks([])
        for ax in axes.flat[len(order) :]:
            ax.set_visible(False)
        fig.suptitle(f"Prior and posterior of each input given {target}")
        fig.set_layout_engine("constrained")
        fig.legend(*axes.flat[0].get_legend_handles_labels(), loc="outside lower center", ncols=2)
    return fig
