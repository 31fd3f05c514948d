"""Summaries of replication tables: percentiles, window probabilities with confidence intervals.

Pure functions over arrays and tables; nothing here knows the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats

from sim.names import AT_HORIZON


@dataclass(frozen=True)
class Proportion:
    """A probability estimated from replications, with its 95% Wilson interval."""

    estimate: float
    ci_low: float
    ci_high: float

    @property
    def half_width(self) -> float:
        return (self.ci_high - self.ci_low) / 2

    def as_dict(self) -> dict[str, float]:
        return {"estimate": self.estimate, "ci_low": self.ci_low, "ci_high": self.ci_high}


def signed(value: float, decimals: int = 1, thousands: bool = False) -> str:
    """A change with its sign, as a person reads it: ``+6.4``, ``-2.0``, and ``+0.0`` for a change that rounds to
    nothing (never ``-0.0``, which reads as a loss that is not there)."""
    shown = round(float(value), decimals)
    if shown == 0:
        shown = 0.0  # -0.0 compares equal to 0: the sign of a change too small to show is dropped
    return f"{shown:+,.{decimals}f}" if thousands else f"{shown:+.{decimals}f}"


def proportion(successes: int, n: int, confidence: float = 0.95) -> Proportion:
    """Share of ``n`` replications that succeeded, with a Wilson score interval."""
    if n == 0:
        return Proportion(float("nan"), 0.0, 1.0)
    return Proportion(successes / n, *wilson_interval(int(successes), int(n), confidence))


@lru_cache(maxsize=65536)
def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of ``successes`` of ``n`` (SciPy's), kept once computed: a sweep of thousands
    of 1-replication points asks for the same few intervals thousands of times."""
    ci = stats.binomtest(successes, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def mean_interval(values: np.ndarray, confidence: float = 0.95, single: str = "nan") -> tuple[float, float, float]:
    """The mean and its Student-t interval: (mean, low, high).

    With fewer than two values there is no interval: its ends are NaN, or the mean
    itself with ``single="point"`` (what a figure draws as a whisker of no length).
    """
    values = np.asarray(values, dtype=float)
    n = len(values)
    mean = float(values.mean()) if n else float("nan")
    if n < 2:
        end = mean if single == "point" else float("nan")
        return mean, end, end
    half = float(t_quantile(0.5 + confidence / 2, n - 1) * values.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half


@lru_cache(maxsize=4096)
def t_quantile(p: float, dof: int) -> float:
    """Student's t quantile (SciPy's), kept once computed: every point of a study has the same replications."""
    return stats.t.ppf(p, dof)


def describe_days(days: np.ndarray) -> dict[str, float]:
    """Mean and P10/P50/P90 of a sample of durations in days, with a 95% CI on the mean."""
    days = np.asarray(days, dtype=float)
    mean, low, high = mean_interval(days)
    p10, p50, p90 = (float(x) for x in np.percentile(days, [10, 50, 90])) if len(days) else (float("nan"),) * 3
    return {"mean": mean, "mean_ci_low": low, "mean_ci_high": high, "p10": p10, "p50": p50, "p90": p90}


def window_probabilities(days: np.ndarray, window: tuple[float, float]) -> dict[str, Proportion]:
    """P(< low), P(low-high) and P(> high) for durations in days (the window's ends count as inside)."""
    days = np.asarray(days, dtype=float)
    low, high = window
    n = len(days)
    return {
        "p_under": proportion(int((days < low).sum()), n),
        "p_within": proportion(int(((days >= low) & (days <= high)).sum()), n),
        "p_over": proportion(int((days > high).sum()), n),
    }


def window_key(kind: str, window: tuple[float, float]) -> str:
    """Stable names for scripts: ``p_under_15``, ``p_15_to_30``, ``p_over_30``."""
    low, high = window
    return {"p_under": f"p_under_{low:g}", "p_within": f"p_{low:g}_to_{high:g}", "p_over": f"p_over_{high:g}"}[kind]


def verdict(p: dict[str, Proportion], window: tuple[float, float]) -> str:
    """One line that answers the question: does the evacuation finish in the window?"""
    low, high = window
    within, over, under = p["p_within"], p["p_over"], p["p_under"]

    def pct(x: Proportion) -> str:
        return f"{100 * x.estimate:.0f}% (95% CI {100 * x.ci_low:.0f}-{100 * x.ci_high:.0f}%)"

    if within.ci_low > 0.5:
        return f"Likely: the base empties within {low:g}-{high:g} days in {pct(within)} of replications."
    if over.ci_low > 0.5:
        return f"Unlikely: the base takes longer than {high:g} days in {pct(over)} of replications; within the window in {pct(within)}."
    if under.ci_low > 0.5:
        return f"Sooner than estimated: the base empties in under {low:g} days in {pct(under)} of replications."
    return f"Uncertain: within {low:g}-{high:g} days in {pct(within)}, later in {pct(over)}, sooner in {pct(under)}."


def closure_days(rows: pd.DataFrame, column: str = "days_to_base_empty") -> np.ndarray:
    """Days to closure of each replication, ``inf`` for one cut off at the horizon: it had not
    closed by then, so it is later than any target, never inside one."""
    days = rows[column].to_numpy(dtype=float)
    if "finished" not in rows.columns:
        return days
    return np.where(rows["finished"].to_numpy(dtype=bool), days, np.inf)


def summarize(
    rows, window: tuple[float, float], wait_causes: tuple[str, ...], resources: tuple[str, ...], crew: str | None = None, crew_path: str = "vehicles.crew"
) -> dict:
    """The ``summary.json`` contract: replications, days (mean, P10/P50/P90), window probabilities with CIs,
    mean convoy-hours waited by cause, mean utilisation, and the verdict. ``crew`` is the crew of each vehicle in words
    (``2 people``), for the warning when the troops cannot crew every vehicle; ``crew_path`` the input's dotted path,
    given beside the words (a theatre's base: ``sites.rmelan.vehicles.crew``)."""
    base = rows["days_to_base_empty"].to_numpy()
    force = rows["days_to_force_closure"].to_numpy()
    finished = rows["finished"].to_numpy(dtype=bool)
    probs = window_probabilities(closure_days(rows), window)
    out: dict = {
        "replications": len(rows),
        "window_days": list(window),
        "days_to_base_empty": describe_days(base),
        "days_to_force_closure": describe_days(force),
    }
    for kind, value in probs.items():
        out[window_key(kind, window)] = value.as_dict()
    force_probs = window_probabilities(closure_days(rows, "days_to_force_closure"), window)
    out["force_closure"] = {window_key(k, window): v.as_dict() for k, v in force_probs.items()}
    unfinished = int((~finished).sum())
    out["unfinished_at_horizon"] = unfinished
    out["warnings"] = []
    reasons = rows["never_finishes"].fillna("").astype(str) if "never_finishes" in rows.columns else pd.Series([""] * len(rows))
    never = reasons[(reasons != "") & ~reasons.str.startswith(AT_HORIZON)]  # cut off by the horizon: the warning below
    out["never_finish"] = {str(reason): int(n) for reason, n in never.value_counts().items()}
    for reason, n in out["never_finish"].items():
        out["warnings"].append(f"{n} of {len(rows)} replications could never empty the base: {reason}; they count as later than {window[1]:g} days")
    unfinished -= len(never)
    if unfinished:
        horizon = float(base[~finished].max())
        out["warnings"].append(
            f"{unfinished} of {len(rows)} replications had not emptied the base at the horizon ({horizon:g} days): they count as "
            f"later than {window[1]:g} days, and days shown as {horizon:g} mean {horizon:g} or more; raise scenario.horizon_days to see how late "
            "(each one's never_finishes column says what was left and what held it)"
        )
    out["mean_wait_hours"] = {c: float(rows[f"wait_hours.{c}"].mean()) for c in wait_causes}
    out["mean_sortie_wait_hours"] = {c.split(".", 1)[1]: float(rows[c].mean()) for c in rows.columns if c.startswith("sortie_wait_hours.")}
    strip = out["mean_sortie_wait_hours"].get("airstrip full", 0.0)
    if strip > 0.05:
        out["warnings"].append(
            f"planned sorties waited {strip:.1f} hours per replication for a place on the strip: more are planned a day than the strip's "
            "aircraft-on-the-ground limit (airlift.max_on_ground x 24 / ground_hours) can turn; the airlift is limited by the strip"
        )
    if "convoys_uncovered" in rows.columns and rows["convoys_uncovered"].mean() > 0:
        out["air_cover_short"] = {
            "convoys_uncovered": float(rows["convoys_uncovered"].mean()),
            "hours_short": float(rows["air_cover_hours_short"].mean()),
        }
        out["warnings"].append(
            f"{out['air_cover_short']['convoys_uncovered']:.1f} convoys per replication left without their whole Syrian leg under Apache cover "
            f'(air_cover.when_short = "go"), {out["air_cover_short"]["hours_short"]:.1f} hours uncovered per replication'
        )
    if "vehicles_carried" in rows.columns and rows["vehicles_carried"].mean() > 0:
        share = float((rows["vehicles_carried"] > 0).mean())
        out["warnings"].append(
            f"in {100 * share:.0f}% of replications the troops could not crew every vehicle "
            f"({crew or 'the crew'} each, {crew_path}; the security force apart): "
            f"{rows['vehicles_carried'].mean():.1f} vehicles per replication went on lowboys or HETs as loads instead"
        )
    out["mean_utilisation"] = {r: float(rows[f"utilisation.{r}"].mean()) for r in resources}
    out["verdict"] = verdict(probs, window)
    if "left_behind.any" in rows.columns:
        out["left_behind"] = left_behind(rows)
    return out


FATE_WORDS = {
    "loads_destroyed": "loads destroyed",
    "loads_handed_over": "loads handed over",
    "vehicles_destroyed": "vehicles destroyed",
    "vehicles_handed_over": "vehicles handed over",
}
"""The ``left_behind.*`` columns of what a deadline left, in words."""


def left_behind(rows: pd.DataFrame) -> dict:
    """What a base with a deadline left behind over the replications (``left_behind.*`` columns): the chance it left
    anything; over the replications that did, what the median one of them left (loads and vehicles by fate and by
    class, which add up: the figures the console and the report give) and the mean over all replications; how often
    and how long after the deadline the base emptied (sensitive loads, people and the vehicles they ride in leave after
    it). Medians of each figure taken apart are not given: they need not add up, and a reader comparing them with the
    median replication's would see two "median" figures for the same thing."""
    n = len(rows)
    left = rows["left_behind.any"].to_numpy(dtype=bool)
    some = rows[left]
    after = rows["left_behind.days_after_deadline"].to_numpy(dtype=float)
    classes = [c.removeprefix("left_behind.class.") for c in rows.columns if c.startswith("left_behind.class.")]
    return {
        "deadline_day": float(rows["left_behind.deadline_day"].median()),
        "p_something_left": proportion(int(left.sum()), n).as_dict(),
        "median_replication": _median_replication(some, classes),
        "mean": {key: float(rows[f"left_behind.{key}"].mean()) for key in (*FATE_WORDS, "total")},
        "p_closed_after_deadline": proportion(int((after > 0).sum()), n).as_dict(),
        "median_days_after_when_after": float(np.median(after[after > 0])) if (after > 0).any() else 0.0,
    }


def _median_replication(some: pd.DataFrame, classes: list[str]) -> dict:
    """What the median replication left, among those that left anything (by loads and vehicles left, the lower
    middle one when they are even): its loads and vehicles by fate and by class, which add up, unlike the medians
    of each figure taken apart. Empty when no replication left anything."""
    if not len(some):
        return {}
    order = np.argsort(some["left_behind.total"].to_numpy(), kind="stable")
    row = some.iloc[int(order[(len(order) - 1) // 2])]
    return {
        **{key: int(row[f"left_behind.{key}"]) for key in (*FATE_WORDS, "total")},
        "by_class": {c: int(row[f"left_behind.class.{c}"]) for c in classes},
    }


def left_behind_words(summary: dict, date: str, moves: float | None = None) -> str:
    """A planner's sentence on what a deadline left behind (``summary`` from :func:`left_behind`; ``date`` the deadline's
    calendar date; ``moves``: for a theatre's base, the share of all replications in which it moves, the ones the
    summary is over; below 1 the sentence says so)."""
    p = summary["p_something_left"]
    over = "of replications"
    if moves is not None and moves < 1:
        over = f"of the replications in which it moves (it moves in {100 * moves:.0f}% of all)"
    text = (
        f"By the deadline, day {summary['deadline_day']:g} ({date}): {100 * p['estimate']:.0f}% {over} leave something behind "
        f"(95% CI {100 * p['ci_low']:.0f}-{100 * p['ci_high']:.0f}%)"
    )
    middle = summary.get("median_replication")
    if p["estimate"] > 0 and middle:
        fates = [f"{middle[key]:,} {words.replace('s ', ' ', 1) if middle[key] == 1 else words}" for key, words in FATE_WORDS.items() if middle[key] > 0]
        by_class = [f"{name} {n:,}" for name, n in middle["by_class"].items() if n > 0]
        text += f"; when they do, the median replication (by loads and vehicles left) leaves {', '.join(fates)}"
        text += f" ({', '.join(by_class)})" if by_class else ""
    after = summary["p_closed_after_deadline"]
    if after["estimate"] > 0:
        text += (
            f"; in {100 * after['estimate']:.0f}% the base empties after the date (median {summary['median_days_after_when_after']:.1f} days after), "
            "as convoys loaded before it, the sensitive loads, the troops and the vehicles they ride in still leave"
        )
    return text + "."


class DailyCounts:
    """Counts (loads, people) at each day across replications, held as one histogram per day.

    Burn-downs are small whole numbers, so a (day x value) histogram holds a million
    replications in a few megabytes, and gives the same percentiles as ``numpy.percentile``
    on the full (replication x day) array (linear interpolation between order statistics).
    """

    def __init__(self) -> None:
        self.histogram = np.zeros((0, 0), dtype=np.int64)
        self.replications = 0

    def add(self, counts: np.ndarray) -> None:
        """Replications x days of non-negative whole counts."""
        counts = np.asarray(counts)
        if counts.size == 0:
            return
        days = np.broadcast_to(np.arange(counts.shape[1]), counts.shape)
        self.add_rows(days.ravel(), counts.ravel(), replications=counts.shape[0])

    def add_rows(self, days: np.ndarray, counts: np.ndarray, replications: int) -> None:
        """Long-form rows (day, count), as ``burndown.parquet`` holds them, covering ``replications``."""
        days, counts = np.asarray(days, dtype=np.int64), np.asarray(counts, dtype=np.int64)
        if days.size == 0:
            return
        shape = (max(int(days.max()) + 1, self.histogram.shape[0]), max(int(counts.max()) + 1, self.histogram.shape[1]))
        if shape != self.histogram.shape:
            grown = np.zeros(shape, dtype=np.int64)
            grown[: self.histogram.shape[0], : self.histogram.shape[1]] = self.histogram
            self.histogram = grown
        self.histogram += np.bincount(days * shape[1] + counts, minlength=self.histogram.size).reshape(shape)
        self.replications += replications

    def percentile(self, q: float) -> np.ndarray:
        """The ``q`` percentile (0-100) of each day's counts."""
        n = self.replications
        position = q / 100 * (n - 1)
        below, frac = int(np.floor(position)), position - np.floor(position)
        cumulative = np.cumsum(self.histogram, axis=1)
        low = np.array([np.searchsorted(row, below + 1) for row in cumulative], dtype=float)
        high = np.array([np.searchsorted(row, min(below + 2, n)) for row in cumulative], dtype=float)
        return low + frac * (high - low)

    def fan(self, percentiles: tuple[int, ...] = (10, 25, 50, 75, 90)) -> dict[int, np.ndarray]:
        return {p: self.percentile(p) for p in percentiles}
