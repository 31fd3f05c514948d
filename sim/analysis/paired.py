"""Paired comparison of two scenarios run on common random numbers.

Replication ``i`` of both scenarios uses the same random streams, so the differences
``B_i - A_i`` carry much less noise than two independent samples would. Pure
functions over arrays; nothing here knows the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.measure import Measure
from sim.analysis.statistics import signed, wilson_interval, window_key

PROPORTION_INTERVAL = "Newcombe's hybrid score interval for a difference of paired proportions (1998, method 10)"
"""How every interval on a change in a probability is made: it stays within -100 and +100 points by construction."""


def mean_difference(a: np.ndarray, b: np.ndarray, confidence: float = 0.95) -> dict[str, float]:
    """Mean of the paired differences ``b - a`` with a t interval, and what pairing bought.

    ``variance_reduction`` is ``(var(a) + var(b)) / var(b - a)``: how many times smaller the
    variance of the estimated difference is than with independent streams (also the factor
    by which independent streams would need more replications for the same CI).
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    d = b - a
    n = len(d)
    mean = float(d.mean()) if n else float("nan")
    var_d = float(d.var(ddof=1)) if n > 1 else float("nan")
    var_independent = float(a.var(ddof=1) + b.var(ddof=1)) if n > 1 else float("nan")
    t = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) if n > 1 else float("nan")
    half = t * np.sqrt(var_d / n) if n > 1 else float("nan")
    half_independent = t * np.sqrt(var_independent / n) if n > 1 else float("nan")
    if var_d > 0:
        reduction = var_independent / var_d
    else:
        reduction = float("inf") if var_independent > 0 else 1.0
    return {
        "difference": mean,
        "ci_low": mean - half,
        "ci_high": mean + half,
        "ci_half_width_independent": float(half_independent),
        "variance_paired": var_d,
        "variance_independent": var_independent,
        "variance_reduction": float(reduction),
    }


def paired_proportion_difference(a: np.ndarray, b: np.ndarray, confidence: float = 0.95) -> dict[str, float]:
    """The change ``P(b) - P(a)`` of two paired 1/0 outcomes with Newcombe's hybrid score interval (method 10,
    from the Wilson interval of each share and the correlation of the pairs, continuity-corrected). Unlike a
    t interval on the differences, it never reaches below -1 or above +1. Pairs with a NaN are left out."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep] > 0.5, b[keep] > 0.5
    n = len(a)
    if n == 0:
        return {"difference": float("nan"), "ci_low": float("nan"), "ci_high": float("nan")}
    both, only_a, only_b = int((a & b).sum()), int((a & ~b).sum()), int((~a & b).sum())
    neither = n - both - only_a - only_b
    p1, p2 = (both + only_a) / n, (both + only_b) / n
    l1, u1 = wilson_interval(both + only_a, n, confidence)
    l2, u2 = wilson_interval(both + only_b, n, confidence)
    cross = both * neither - only_a * only_b
    margins = float(both + only_a) * (only_b + neither) * (both + only_b) * (only_a + neither)
    if margins <= 0:
        phi = 0.0
    else:
        phi = (max(cross - n / 2, 0.0) if cross > 0 else float(cross)) / float(np.sqrt(margins))
    below = np.sqrt(max((p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2, 0.0))
    above = np.sqrt(max((u2 - p2) ** 2 - 2 * phi * (u2 - p2) * (p1 - l1) + (p1 - l1) ** 2, 0.0))
    change = p2 - p1
    return {"difference": change, "ci_low": float(max(change - below, -1.0)), "ci_high": float(min(change + above, 1.0))}


def proportion_change(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """Shares of A and B, the paired change B - A with its Newcombe interval, and what pairing bought (the
    variance reduction of :func:`mean_difference`)."""
    keep = ~(np.isnan(np.asarray(a, float)) | np.isnan(np.asarray(b, float)))
    a, b = np.asarray(a, float)[keep], np.asarray(b, float)[keep]
    return {
        "a": float(a.mean()) if len(a) else float("nan"),
        "b": float(b.mean()) if len(b) else float("nan"),
        **mean_difference(a, b),
        **paired_proportion_difference(a, b),
    }


def paired_comparison(a_days: np.ndarray, b_days: np.ndarray, window: tuple[float, float]) -> dict[str, object]:
    """Differences B - A in mean days to base empty (t interval), in P(within the window) and in P(over it)
    (Newcombe intervals, :data:`PROPORTION_INTERVAL`), with 95% CIs."""
    a = np.asarray(a_days, dtype=float)
    b = np.asarray(b_days, dtype=float)
    low, high = window
    within = lambda x: ((x >= low) & (x <= high)).astype(float)  # noqa: E731
    over = lambda x: (x > high).astype(float)  # noqa: E731
    return {
        "replications": len(a),
        "window_days": [low, high],
        "mean_a": float(a.mean()) if len(a) else float("nan"),
        "mean_b": float(b.mean()) if len(b) else float("nan"),
        "days_to_base_empty": mean_difference(a, b),
        window_key("p_within", window): proportion_change(within(a), within(b)),
        window_key("p_over", window): proportion_change(over(a), over(b)),
        "probability_interval": PROPORTION_INTERVAL,
    }


def measured_comparison(a_days: np.ndarray, b_days: np.ndarray, a_closed: np.ndarray, b_closed: np.ndarray, measure: Measure) -> dict[str, object]:
    """B - A by the chosen measure, paired: mean days (t interval) and P(out by day D) (Newcombe interval) of what
    the measure measures (the base, a theatre's last out, or one base of it), and the sentence that answers.

    ``*_days`` are the days of each replication (the horizon for one cut off), ``*_closed`` the same with ``inf``
    for one cut off (later than any day). NaN (a base that did not have to move) leaves the pair out."""
    keep = ~(np.isnan(a_days) | np.isnan(b_days))
    a, b = np.asarray(a_days, float)[keep], np.asarray(b_days, float)[keep]
    ca, cb = np.asarray(a_closed, float)[keep], np.asarray(b_closed, float)[keep]
    low, high = measure.window
    days = {"a": float(a.mean()) if len(a) else float("nan"), "b": float(b.mean()) if len(b) else float("nan"), **mean_difference(a, b)}
    by_day = proportion_change((ca <= measure.day).astype(float), (cb <= measure.day).astype(float))
    window = proportion_change(((ca >= low) & (ca <= high)).astype(float), ((cb >= low) & (cb <= high)).astype(float))
    chosen = {"days": days, "out-by-day": by_day, "window": window}[measure.kind]
    return {
        "measure": measure.as_record(),
        "pairs": len(a),
        "days": days,
        "p_by_day": by_day,
        "p_window": window,
        "chosen": chosen,
        "sentence": comparison_sentence(days, by_day, window, measure),
    }


def comparison_sentence(days: dict, by_day: dict, window: dict, measure: Measure) -> str:
    """The answer of a comparison in one sentence, led by the chosen measure: ``B empties the base 7.8 days later
    (95% CI 6.9-8.7) than A (mean 24.0 against 16.2 days); P(out by day 30) is 77% with B against 95% with A (-18.0
    points, 95% CI -20.1 to -15.9).`` On a theatre: ``with B everyone is out 3.2 days sooner ...``."""
    from sim.analysis.measure import days_change_words

    if measure.subject == "base empty":
        who, than = "B empties the base", "than A"
    elif measure.subject == "the last out":
        who, than = "with B everyone is out", "than with A"
    else:
        who, than = f"with B {measure.who} is empty", "than with A"
    when = f"{who} {days_change_words(days['difference'], days['ci_low'], days['ci_high'])} {than} (mean {days['b']:.1f} against {days['a']:.1f} days)"

    def chance(d: dict, words: str) -> str:
        return (
            f"{words} is {100 * d['b']:.0f}% with B against {100 * d['a']:.0f}% with A "
            f"({signed(100 * d['difference'])} points, 95% CI {signed(100 * d['ci_low'])} to {signed(100 * d['ci_high'])})"
        )

    if measure.kind == "days":
        first, second = when, chance(by_day, measure.by_day_words)
    else:
        first, second = chance(by_day if measure.kind == "out-by-day" else window, measure.words), when
    return f"{first[0].upper()}{first[1:]}; {second}."


def swing_intervals(levels: pd.DataFrame, rows: pd.DataFrame, measure: Measure) -> pd.DataFrame:
    """95% intervals of the tornado swings (the factor at its P95 minus at its P5) of mean days, of P(out by day D)
    and of P(window), for what ``measure`` measures.

    ``levels`` has one row per design point in point order: ``factor`` and ``level`` (``base``, ``low``, ``high``);
    ``rows`` one per replication with ``point``, ``replication`` and the measure's columns. The low and high points of
    a factor run the same replications (common random numbers), so the days interval is a paired t interval on the
    per-replication differences, and the probabilities' a paired Newcombe interval (:data:`PROPORTION_INTERVAL`),
    which stays within -100 and +100 points. Columns ``<output>.swing_ci_low`` and ``<output>.swing_ci_high`` for
    ``mean_days`` (days), ``p_by_day`` and ``p_window`` (shares).
    """
    by_point = {point: group.sort_values("replication").reset_index(drop=True) for point, group in rows.groupby("point")}
    out = []
    for factor, group in levels[levels["level"] != "base"].groupby("factor", sort=False):
        low = by_point[int(group.index[group["level"] == "low"][0])]
        high = by_point[int(group.index[group["level"] == "high"][0])]
        pair = low[["replication"]].merge(high[["replication"]].reset_index(), on="replication")
        a_rows, b_rows = low.loc[low["replication"].isin(pair["replication"])], high.loc[pair["index"]]
        a_days, b_days = measure.days(a_rows), measure.days(b_rows)
        keep = ~(np.isnan(a_days) | np.isnan(b_days))
        days = mean_difference(a_days[keep], b_days[keep])
        by_day = paired_proportion_difference(measure.out_by(a_rows), measure.out_by(b_rows))
        window = paired_proportion_difference(measure.in_window(a_rows), measure.in_window(b_rows))
        row: dict[str, object] = {"factor": factor}
        for name, d in (("mean_days", days), ("p_by_day", by_day), ("p_window", window)):
            row[f"{name}.swing_ci_low"], row[f"{name}.swing_ci_high"] = d["ci_low"], d["ci_high"]
        out.append(row)
    return pd.DataFrame(out).set_index("factor")


# ---- the tables a planner reads (console and report alike) ---------------------------------------


@dataclass(frozen=True)
class PairedTable:
    """One table of a comparison, the same on the console and in the report: ``title`` says whose figures they are
    (``Rmelan empty: what the sentence measures``, ``Qasrak (the main base) empty``, ``The whole withdrawal ...``);
    each row is (what, A, B, B - A with its 95% CI, variance reduction)."""

    title: str
    rows: list[tuple[str, str, str, str, str]]


def difference_words(d: dict, scale: float, decimals: int, unit: str = "") -> str:
    """B - A and its 95% CI, all three to the same ``decimals``: ``+3.3 pts (+0.2 to +6.5)``."""
    low, mid, high = (f"{round(scale * d[k], decimals) + 0.0:+.{decimals}f}" for k in ("ci_low", "difference", "ci_high"))
    return f"{mid}{unit} ({low} to {high})"


def times_words(d: dict) -> str:
    """The variance reduction pairing bought: ``3.2x``, or ``n/a (no variation)``."""
    x = float(d.get("variance_reduction", float("nan")))
    return f"{x:.1f}x" if np.isfinite(x) else "n/a (no variation)"


def _days_row(label: str, d: dict, a: float, b: float) -> tuple[str, str, str, str, str]:
    return (label, f"{a:.2f}", f"{b:.2f}", difference_words(d, 1, 2), times_words(d))


def _chance_row(label: str, d: dict) -> tuple[str, str, str, str, str]:
    return (label, f"{100 * d['a']:.1f}%", f"{100 * d['b']:.1f}%", difference_words(d, 100, 1, " pts"), times_words(d))


def comparison_tables(summary: dict) -> list[PairedTable]:
    """The tables of a ``comparison.json``, each titled with its subject: first what the sentence measures when that
    is one base of a theatre other than its main base (``--base``); then the base's (on a theatre its main base's,
    named) days to base empty and the seed's window, with what a deadline leaves behind (all bases together on a
    theatre); then, on a theatre, the whole withdrawal (the last out, and out by each reported end date)."""
    tables: list[PairedTable] = []
    main = summary.get("base")  # a theatre's main base: {"name", "title"}
    measured = summary.get("measured") or {}
    m = Measure.from_record(measured["measure"]) if measured.get("measure") else None
    if m is not None and m.subject not in ("base empty", "the last out") and (main is None or m.subject != f"{main['title']} empty"):
        days, pairs = measured["days"], measured.get("pairs", summary["replications"])
        low, high = m.window
        of = f", over the {pairs} pairs in which it moves in both" if pairs != summary["replications"] else ""
        tables.append(
            PairedTable(
                f"{m.subject}: what the sentence measures{of}",
                [
                    _days_row(f"mean {m.days_words}", days, days["a"], days["b"]),
                    _chance_row(m.by_day_words, measured["p_by_day"]),
                    _chance_row(f"P({low:g}-{high:g} days)", measured["p_window"]),
                ],
            )
        )
    low, high = summary["window_days"]
    whose = f"{main['title']} (the main base)" if main else "The base"
    rows = [_days_row("mean days to base empty", summary["days_to_base_empty"], summary["mean_a"], summary["mean_b"])]
    for key, label in ((f"p_{low:g}_to_{high:g}", f"P({low:g}-{high:g} days)"), (f"p_over_{high:g}", f"P(> {high:g} days)")):
        rows.append(_chance_row(label, summary[key]))
    left = summary.get("left_behind")
    if left:  # either side has a deadline: what it leaves behind
        every = ", all bases" if main else ""
        total, p = left["total"], left["p_something_left"]
        mean = difference_words(total, 1, 1)
        rows.append((f"loads and vehicles left behind{every} (mean)", f"{total['a']:,.1f}", f"{total['b']:,.1f}", mean, times_words(total)))
        rows.append((f"P(anything left behind{every})", f"{100 * p['a']:.1f}%", f"{100 * p['b']:.1f}%", difference_words(p, 100, 1, " pts"), times_words(p)))
    tables.append(PairedTable(f"{whose}: base empty", rows))
    theatre = summary.get("theatre")
    if theatre:
        d = theatre["days_to_last_out"]
        rows = [_days_row("mean days to the last out", d, d["a"], d["b"])]
        rows += [_chance_row(f"P(out within {k.removeprefix('p_within_')} days)", v) for k, v in theatre.items() if k.startswith("p_within_")]
        tables.append(PairedTable("The whole withdrawal: last person and load out of the country", rows))
    return tables
