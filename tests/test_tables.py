"""``report.md`` is Markdown a person reads (issue 20): real tables in words and units, no dotted-path columns,
numbers rounded, the dotted path beside the input's words; the same tables the HTML report shows."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from sim.experiment.folders import write_report_md
from sim.experiment.tables import backtest_table, evidence_table, markdown_table, plan_table

RAW_HEADER = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$|^[a-z0-9]+(_[a-z0-9]+)+$")


def tables_of(markdown: str) -> list[list[list[str]]]:
    """Each Markdown table of a page as rows of cells (the separator row left out)."""
    found, current = [], []
    for line in [*markdown.splitlines(), ""]:
        if line.startswith("|"):
            assert line.endswith("|"), line
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line[1:-1])]
            if not all(re.fullmatch(r"-{3,}:?", c) for c in cells):
                current.append(cells)
        elif current:
            found.append(current)
            current = []
    return found


def _tornado() -> pd.DataFrame:
    index = pd.Index(["cargo.classes.general.loads", "convoys.max_per_day"], name="factor")
    return pd.DataFrame(
        {
            "mean_days.low": [9.2134, 17.24],
            "mean_days.high": [19.712, 12.2],
            "mean_days.base": [13.2, 13.2],
            "mean_days.swing": [10.4986, -5.04],
            "p_window.low": [0.0, 1.0],
            "p_window.high": [1.0, 0.0],
            "p_window.base": [0.0, 0.0],
            "p_window.swing": [1.0, -1.0],
        },
        index=index,
    )


def _evidence() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "input": ["convoys.max_per_day", "escort.teams"],
            "label": ["convoys a day", "escort teams"],
            "source_kind": ["report", "assumption"],
            "swing_days": [-3.958333, -2.03],
            "p_window_swing_points": [-100.0, 0.0],
            "swing_days_low": [np.nan, np.nan],
            "swing_days_high": [np.nan, np.nan],
            "evppi": [30.7314, 3.74],
            "evppi_low": [7.7725, -7.42],
            "evppi_high": [55.4188, 20.3],
        }
    )


def test_report_md_is_markdown_tables_in_words_with_the_path_beside_each_input(tmp_path):
    tables = {"tornado": _tornado(), "evidence": _evidence()}
    write_report_md(tmp_path, "Sensitivity (tornado): baseline", ["34 factors."], tables, ["tornado.png"], [], (15, 30))
    text = (tmp_path / "report.md").read_text()
    tornado, evidence = tables_of(text)
    for table in (tornado, evidence):
        assert len({len(row) for row in table}) == 1  # every row as wide as its header
        assert not [h for h in table[0] if RAW_HEADER.match(h)], table[0]
        assert "parameter" not in table[0]
    assert tornado[0][0] == "input" and "mean days, factor at its P5 (days)" in tornado[0]
    assert tornado[1][0] == "general cargo loads (`cargo.classes.general.loads`)"
    assert "9.2" in tornado[1] and "+10.5" in tornado[1] and "9.2134" not in text  # rounded to what it can tell
    assert evidence[1][:3] == ["convoys a day (`convoys.max_per_day`)", "report", "-4.0"]
    assert evidence[1][-2:] == ["30.7", "7.8-55.4"] and evidence[2][-1] == "-7.4 to 20.3"
    assert max(len(line) for line in text.splitlines() if not line.startswith("|")) < 200
    assert "![tornado.png](tornado.png)" in text


def test_a_markdown_table_right_aligns_numbers_and_escapes_bars():
    table = markdown_table(pd.DataFrame({"plan": ["add 2 | 3 teams"], "cost (request points)": ["12"]}))
    assert table.splitlines() == ["| plan | cost (request points) |", "|---|---:|", "| add 2 \\| 3 teams | 12 |"]


def test_backtest_and_plan_tables_read_in_words():
    backtest = pd.DataFrame(
        {
            "case": ["iraq_last_convoy_2011"],
            "what": ["the last US convoy out of Iraq, Dec 2011"],
            "measure": ["first convoy across"],
            "unit": ["hours"],
            "reported_low": [5.0],
            "reported_high": [5.5],
            "p10": [2.944],
            "p50": [3.9135],
            "p90": [5.3004],
            "inside": [True],
            "verdict": ["inside"],
            "share_in_reported": [0.2],
            "replications": [300],
        }
    )
    row = backtest_table(backtest).iloc[0].to_dict()
    assert row["reported"] == "5-5.5 hours" and row["model P10 / P50 / P90"] == "2.9 / 3.9 / 5.3 hours"
    assert row["replications inside the reported range (%)"] == "20" and row["parameter"] == "iraq_last_convoy_2011"
    plan = pd.DataFrame(
        {
            "fleet.civilian.count": [60],
            "plan": ["add 60 contracted trucks and 1 escort team"],
            "cost": [106.0],
            "search_replications": [40],
            "search_p": [0.875],
            "search_ci_low": [0.7389],
            "search_ci_high": [0.9454],
            "confirm_replications": [440],
            "confirm_p": [0.8659],
            "confirm_ci_low": [0.8309],
            "confirm_ci_high": [0.8946],
            "verdict": ["infeasible"],
        }
    )
    shown = plan_table(plan)
    assert shown.columns[0] == "plan" and "fleet.civilian.count" not in shown.columns
    assert shown.iloc[0].tolist()[1:] == ["106", "88", "74-95, 40", "86.6", "83.1-89.5, 440", "infeasible"]
    assert evidence_table(_evidence(), (15, 30)).columns[4] == "swing in P(15-30 days), P5 to P95 (points)"


def test_the_html_report_merges_each_ci_into_one_column_and_says_a_constant_column_once():
    from sim.report.analysis_section import fewer_columns

    frame = pd.DataFrame(
        {
            "change": ["escort teams +1", "loading teams +1"],
            "replication pairs (count)": ["300", "300"],
            "days saved, mean (days)": ["0.8", "0.1"],
            "days saved, 95% CI low (days)": ["0.5", "-0.2"],
            "days saved, 95% CI high (days)": ["1.1", "0.4"],
        }
    )
    shown, sentence = fewer_columns(frame)
    assert list(shown.columns) == ["change", "days saved, mean (days)", "days saved, 95% CI (days)"]
    assert shown["days saved, 95% CI (days)"].tolist() == ["0.5 to 1.1", "-0.2 to 0.4"]
    assert sentence == "Replication pairs (count): 300 on every row."
