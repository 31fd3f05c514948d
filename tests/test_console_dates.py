"""The console's tables count days from the scenario's own start, with calendar dates from it (issue 23)."""

from __future__ import annotations

import inspect

from sim import cli
from sim.commands._console import console


def days(p10: float, p50: float, p90: float) -> dict[str, float]:
    return {"mean": p50, "p10": p10, "p50": p50, "p90": p90}


def test_the_theatre_table_counts_days_from_the_scenarios_own_start(monkeypatch):
    monkeypatch.setattr(console, "width", 160)
    summary = {
        "theatre": {"days_to_last_out": days(15.0, 20.0, 31.0)},
        "bases": {"a": {"title": "Base A", "replications": 10, "days_to_base_empty": days(5.0, 10.0, 12.0), "share_left": 1.0}},
    }
    with console.capture() as out:
        cli._print_when(summary, "2026-03-10T00:00:00+03:00")
    text = out.get()
    # one way of writing a date everywhere a person reads one: 10 Mar 2026 (not 03-10, 2026-03-10 or 10 March)
    assert "days from day 0 (10 Mar 2026)" in text and "2026-" not in text and "23 Feb" not in text
    assert "20.0 (30 Mar 2026)" in text  # day 20 from 10 March
    assert "15.0-31.0 (25 Mar to 10 Apr 2026)" in text  # P10 and P90 of the whole withdrawal, the year said once
    assert "10.0 (20 Mar 2026)" in text


def test_the_summary_has_no_start_of_its_own():
    # a caller that forgot the scenario's start would otherwise get 2026-02-23 whatever the scenario says
    assert inspect.signature(cli._print_summary).parameters["start"].default is inspect.Parameter.empty
