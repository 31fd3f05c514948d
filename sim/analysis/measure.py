"""What a study measures: the days to the end, the chance of being out by a day, or the chance of the seed's window.

Planners decide on the date everyone is out and on the chance of being out by a given day; the seed's
"15 days to a month" is a report to check, not the mark of a good plan (finishing in 12 days is better,
not a miss). Every study therefore ranks, signs and names its results by one :class:`Measure`:

``days``        mean days to the end (base empty; on a theatre, the last out of the country): sooner is better;
``out-by-day``  P(out by day D), D the window's end unless given: more likely is better;
``window``      P(inside the window), the seed's question, kept so the seed's report can be checked.

The default is ``days``, shown with P(out by day D) beside it. Pure: a measure reads replication rows
(``sim/replication.py``'s columns) and knows nothing of the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from sim.names import date_of_day, date_words, dates_words

MEASURES = ("days", "out-by-day", "window")
"""The measures a study can rank by, as the command line spells them (``--measure``)."""

THEATRE_COLUMN = "theatre.days_to_last_out"
THEATRE_FINISHED = "theatre.finished"


class MeasureError(ValueError):
    """A measure that cannot be read: an unknown name, a day out of range, a base the scenario does not have."""


@dataclass(frozen=True)
class Measure:
    """One measure of a study, with what it is measured on.

    ``kind`` one of :data:`MEASURES`; ``window`` the seed's window (days); ``by_day`` the day D of P(out by day D)
    (None: the window's end); ``column`` the replication column of days (``days_to_base_empty``,
    ``theatre.days_to_last_out`` or ``base.<name>.days_to_base_empty``), ``finished`` the column saying the end
    came before the horizon, ``subject`` what ends in words (``base empty``, ``the last out``, ``Rmelan empty``),
    ``start`` the calendar date of day 0 (ISO).
    """

    kind: str = "days"
    window: tuple[float, float] = (15.0, 30.0)
    by_day: float | None = None
    column: str = "days_to_base_empty"
    finished: str = "finished"
    subject: str = "base empty"
    start: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in MEASURES:
            raise MeasureError(f"--measure {self.kind}: use {', '.join(MEASURES)}")
        if self.by_day is not None and not self.by_day > 0:
            raise MeasureError(f"--by-day {self.by_day:g}: give a day after the start, e.g. --by-day 30")

    # ---- what it is, in words ----------------------------------------------------------------

    @property
    def day(self) -> float:
        """D of P(out by day D): ``by_day``, else the window's end."""
        return float(self.by_day) if self.by_day is not None else float(self.window[1])

    @property
    def days_words(self) -> str:
        """``days to base empty``, ``days to the last out``, ``days to Rmelan empty``."""
        return f"days to {self.subject}"

    @property
    def ends_words(self) -> str:
        """The end as a sentence says it: ``the base is empty``, ``everyone is out``, ``Rmelan is empty``."""
        if self.subject == "base empty":
            return "the base is empty"
        if self.subject == "the last out":
            return "everyone is out"
        return f"{self.who} is empty"

    @property
    def who(self) -> str:
        """Whose end the measure is, as a sentence names it: ``Rmelan`` for ``Rmelan empty`` (``base`` for the one base,
        ``the last out`` for the whole withdrawal)."""
        return self.subject.removesuffix(" empty")

    @property
    def by_day_words(self) -> str:
        """``P(out by day 30)`` (a named base: ``P(Rmelan out by day 30)``)."""
        who = "" if self.subject in ("base empty", "the last out") else f"{self.who} "
        return f"P({who}out by day {self.day:g})"

    @property
    def window_words(self) -> str:
        """``P(15-30 days)``: the seed's window."""
        return f"P({self.window[0]:g}-{self.window[1]:g} days)"

    @property
    def words(self) -> str:
        """The measure as a table or a sentence names it: ``mean days to base empty``, ``P(out by day 30)``, ..."""
        return {"days": f"mean {self.days_words}", "out-by-day": self.by_day_words, "window": self.window_words}[self.kind]

    @property
    def unit(self) -> str:
        return "days" if self.kind == "days" else "percentage points"

    @property
    def is_probability(self) -> bool:
        return self.kind != "days"

    @property
    def point_column(self) -> str:
        """The column of :func:`per_point` (and the tornado's outputs) that holds this measure."""
        return {"days": "mean_days", "out-by-day": "p_by_day", "window": "p_window"}[self.kind]

    def as_record(self) -> dict[str, object]:
        """The measure as ``manifest.json`` keeps it."""
        return {
            "measure": self.kind,
            "in_words": self.words,
            "by_day": self.day,
            "window_days": list(self.window),
            "column": self.column,
            "subject": self.subject,
            "start": self.start,
        }

    @classmethod
    def from_record(cls, record: dict) -> Measure:
        return cls(
            str(record["measure"]),
            (float(record["window_days"][0]), float(record["window_days"][1])),
            float(record["by_day"]),
            str(record.get("column", "days_to_base_empty")),
            _finished_of(str(record.get("column", "days_to_base_empty"))),
            str(record.get("subject", "base empty")),
            record.get("start"),
        )

    # ---- reading replications -----------------------------------------------------------------

    def days(self, rows: pd.DataFrame) -> np.ndarray:
        """Days to the end of each replication (a replication cut off at the horizon reads the horizon); NaN where
        the measured base did not have to move in that replication."""
        return rows[self.column].to_numpy(dtype=float)

    def closed(self, rows: pd.DataFrame) -> np.ndarray:
        """Days to the end, ``inf`` for a replication that had not ended at the horizon (later than any day); NaN
        where the measured base did not have to move in that replication (its ``finished`` is False then, but it was
        never late: it is in no chance, as :func:`headline` leaves it out)."""
        days = self.days(rows)
        if self.finished not in rows.columns:
            return days
        done = rows[self.finished].to_numpy()
        done = np.where(pd.isna(done), True, done).astype(bool)
        return np.where(done | np.isnan(days), days, np.inf)

    def out_by(self, rows: pd.DataFrame) -> np.ndarray:
        """1 where the end came by day D, else 0 (NaN where the base did not have to move)."""
        return indicator(self.closed(rows), lambda d: d <= self.day)

    def in_window(self, rows: pd.DataFrame) -> np.ndarray:
        """1 where the end came inside the window (ends included), else 0 (NaN where the base did not have to move)."""
        low, high = self.window
        return indicator(self.closed(rows), lambda d: (d >= low) & (d <= high))

    def values(self, rows: pd.DataFrame) -> np.ndarray:
        """Each replication's value of the measure: its days, or 1/0 for the probabilities."""
        return {"days": self.days, "out-by-day": self.out_by, "window": self.in_window}[self.kind](rows)

    # ---- better or worse -----------------------------------------------------------------------

    def gain(self, change: float) -> float:
        """``change`` (variant minus reference, in the measure's own scale: days or a share) signed so that
        positive is better: fewer days, or a higher chance."""
        return -change if self.kind == "days" else change

    def change_words(self, change: float, low: float | None = None, high: float | None = None) -> str:
        """A change in words, sooner or likelier first: ``3.1 days sooner (95% CI 2.6-3.6)``, ``+12 points``."""
        if self.kind == "days":
            return days_change_words(change, low, high)
        from sim.analysis.statistics import signed

        text = f"{signed(100 * change)} points in {self.words}"
        if low is not None and high is not None:
            text += f" (95% CI {signed(100 * low)} to {signed(100 * high)})"
        return text

    def date(self, day: float) -> str:
        """The calendar date of day ``day`` from the start as ISO (``2026-03-12``), for summary.json; empty without a
        start. A person reads it through :func:`sim.names.date_words` (``12 Mar 2026``)."""
        if not self.start or not np.isfinite(day):
            return ""
        return calendar_date(self.start, day).isoformat()


def headline(rows: pd.DataFrame, measure: Measure) -> dict[str, object]:
    """What a planner decides on, from a run's replications: the date (mean, P50 with its calendar date, P10-P90) and
    P(out by day D), with the seed's window beside them as a check (inside, sooner, later, on the same measure:
    ``window_subject`` says which, e.g. "the days to the last out (the whole withdrawal, not one base)", and the
    console's check table and the report's check sentence both read these); ``sentence`` says it in one line.

    Replications in which the measured base did not have to move are left out (``replications`` counts the rest,
    ``all_replications`` the run's); the sentence then says of how many of the run's its figures are."""
    from sim.analysis.statistics import describe_days, proportion

    days = measure.days(rows)
    keep = ~np.isnan(days)
    days, closed = days[keep], measure.closed(rows)[keep]
    n = len(days)
    d = describe_days(days)
    by_day = proportion(int((closed <= measure.day).sum()), n)
    low, high = measure.window
    inside = proportion(int(((closed >= low) & (closed <= high)).sum()), n)
    under = proportion(int((closed < low).sum()), n)
    over = proportion(int((closed > high).sum()), n)
    dates = {k: measure.date(d[k]) for k in ("mean", "p10", "p50", "p90")}

    def pct(p) -> str:
        return f"{100 * p.estimate:.0f}% (95% CI {100 * p.ci_low:.0f}-{100 * p.ci_high:.0f}%)"

    said = {k: date_words(v) if v else "" for k, v in dates.items()}  # the sentence is read: 10 Mar 2026, not ISO

    def on(key: str) -> str:
        return f" ({said[key]})" if said[key] else ""

    ends = measure.ends_words
    whole = " (the whole withdrawal, not one base)" if measure.subject == "the last out" else ""
    total = len(rows)
    half, of_those = "half the replications", ""
    if n < total:  # a named base that moves in only some replications: its figures are of those
        half = f"half of the {n} replications in which it moves ({n} of the {total}, {100 * n / total:.0f}%)"
        of_those = f" of those {n}"
    sentence = (
        f"{ends[0].upper()}{ends[1:]} by day {d['p50']:.1f}{on('p50')} in {half} (P10-P90 {d['p10']:.1f}-{d['p90']:.1f} days"
        + (f", {dates_words(dates['p10'], dates['p90'])}" if dates["p10"] and dates["p90"] else "")
        + f"; mean {d['mean']:.1f}); {measure.by_day_words} {pct(by_day)}{of_those}."
    )
    subject = f"the {measure.days_words}{whole}"
    check = (
        f"The seed's {low:g}-{high:g} days, as a check on {subject}: inside in {pct(inside)}, "
        f"sooner in {100 * under.estimate:.0f}%, later in {100 * over.estimate:.0f}%."
    )
    return {
        "measure": measure.as_record(),
        "replications": n,
        "all_replications": total,
        "days": d,
        "dates": dates,
        "by_day": measure.day,
        "by_day_date": measure.date(measure.day),
        "p_by_day": by_day.as_dict(),
        "p_window": inside.as_dict(),
        "p_window_sooner": under.as_dict(),
        "p_window_later": over.as_dict(),
        "window_subject": subject,
        "sentence": sentence,
        "window_check": check,
    }


def moving_words(measure: Measure, moves: int, total: int, replications: str = "replications") -> str:
    """Of how many replications a study's figures of a base are, when the base moves in only some of them (as
    :func:`headline` says it): ``Life Stone has to move in 8 of the 20 replications (40%); the figures are of those
    8.``; empty when it moves in all (or the measure is the whole withdrawal's). ``replications`` names them (``draws``,
    ``replications of each point``)."""
    if moves >= total or total <= 0:
        return ""
    who = measure.who
    if moves <= 0:
        return f"{who} has to move in none of the {total} {replications}: no figure of it is known (—); raise the replications, or leave out --base."
    return f"{who} has to move in {moves} of the {total} {replications} ({100 * moves / total:.0f}%); the figures are of those {moves}."


def days_change_words(change: float, low: float | None = None, high: float | None = None) -> str:
    """A change in days (variant minus reference) in words: ``3.1 days sooner (95% CI 2.6-3.6)``,
    ``7.8 days later (95% CI 6.9-8.7)``, ``0.2 days sooner (95% CI 0.5 sooner to 0.1 later)``."""

    def way(x: float) -> str:
        return "sooner" if x < 0 else "later"

    text = f"{abs(change):.1f} days {way(change)}"
    if low is None or high is None or not (np.isfinite(low) and np.isfinite(high)):
        return text
    if (low < 0) == (high < 0) and low != 0 and high != 0:
        a, b = sorted((abs(low), abs(high)))
        # an end that rounds to 0.0 keeps its first figures: "0.04-6.5" excludes no change, "0.0-6.5" seems not to
        return f"{text} (95% CI {a:.1f}-{b:.1f})" if round(a, 1) else f"{text} (95% CI {a:.1g}-{b:.1f})"
    return f"{text} (95% CI {abs(low):.1f} {way(low)} to {abs(high):.1f} {way(high)})"


def calendar_date(start: str, day: float) -> date:
    """The calendar date ``day`` days after ``start`` (an ISO date or time, local), ``day`` taken to the tenth of a day
    that every figure beside a date shows (:func:`sim.names.date_of_day`)."""
    return date_of_day(start, day)


def indicator(days: np.ndarray, test) -> np.ndarray:
    """``test(days)`` as 1.0/0.0, NaN kept where ``days`` is NaN."""
    days = np.asarray(days, dtype=float)
    with np.errstate(invalid="ignore"):
        out = np.asarray(test(days), dtype=float)
    out[np.isnan(days)] = np.nan
    return out


def _finished_of(column: str) -> str:
    if column == THEATRE_COLUMN:
        return THEATRE_FINISHED
    if column.startswith("base."):
        return column.rsplit(".", 1)[0] + ".finished"
    return "finished"


def measure_on(kind: str, window: tuple[float, float], by_day: float | None, column: str, subject: str, start: str | None = None) -> Measure:
    """A measure read from ``column`` (its ``finished`` column follows from it)."""
    return Measure(kind, (float(window[0]), float(window[1])), by_day, column, _finished_of(column), subject, start)
