"""A deadline as a user meets it: `evacsim run` says what is left behind and how likely, `validate` refuses a date
that cannot be (file, line, field; exit 3), and `plan` takes what is left behind as a target and the date as a lever."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.analysis.statistics import left_behind_words
from sim.cli import app
from sim.experiment.plan_file import parse_target, read_plan_options
from sim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = ROOT / "scenarios" / "qasrak_deadline.toml"
BASELINE = ROOT / "scenarios" / "qasrak_baseline.toml"
runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def test_run_says_in_words_what_the_deadline_leaves_behind_and_how_likely(tmp_path):
    # day 5: no replication of the baseline's cargo is out by then (its P10 is about 9 days)
    out = tmp_path / "run"
    result = invoke("run", "--no-figures", DEADLINE, "-n", 12, "--seed", 7, "--jobs", 1, "--out", out, "--set", "deadline.day=5")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Left behind: By the deadline, day 5 (28 Feb 2026): 100% of replications leave something behind" in text
    # the file sends vehicles, outsized and heavy items before general cargo and destroys all but general cargo, which it
    # hands over; the cut comes at 05:00 on day 4, when the last window before the date opens: general cargo is left, and
    # in this median replication heavy items not yet gone are destroyed; sensitive loads are never left
    assert re.search(
        r"the median replication \(by loads and vehicles left\) leaves ([\d,]+ loads destroyed, )?[\d,]+ loads handed over \(general [\d,]+", text
    ), text
    summary = json.loads((out / "summary.json").read_text())["left_behind"]
    assert summary["deadline_day"] == 5 and summary["p_something_left"]["estimate"] == 1.0
    middle = summary["median_replication"]  # one replication's figures: they add up
    by_class = middle["by_class"]
    assert by_class["general"] > 0 and by_class["sensitive"] == 0 and middle["loads_destroyed"] == by_class["heavy"] + by_class["outsized"]
    # the console's figures are the summary's, and no other "median" of the same thing stands beside them
    assert f"{middle['loads_handed_over']:,} loads handed over (general {by_class['general']:,}" in text
    if middle["loads_destroyed"]:
        assert f"leaves {middle['loads_destroyed']:,} loads destroyed, " in text
    assert [key for key in summary if key.startswith("median")] == ["median_replication", "median_days_after_when_after"]
    assert middle["total"] == sum(middle[k] for k in ("loads_destroyed", "loads_handed_over", "vehicles_destroyed", "vehicles_handed_over"))
    assert middle["total"] == sum(middle["by_class"].values())


def test_the_sentence_names_only_what_was_left():
    summary = {
        "deadline_day": 20.0,
        "p_something_left": {"estimate": 0.62, "ci_low": 0.52, "ci_high": 0.71},
        "median_when_left": {"loads_destroyed": 20.0, "loads_handed_over": 120.0, "vehicles_destroyed": 0.0, "vehicles_handed_over": 0.0, "total": 140.0},
        "median_by_class_when_left": {"general": 120.0, "heavy": 20.0, "sensitive": 0.0, "vehicles": 0.0},
        "median_replication": {
            "loads_destroyed": 20,
            "loads_handed_over": 120,
            "vehicles_destroyed": 0,
            "vehicles_handed_over": 0,
            "total": 140,
            "by_class": {"general": 120, "heavy": 20, "sensitive": 0, "vehicles": 0},
        },
        "p_closed_after_deadline": {"estimate": 0.0, "ci_low": 0.0, "ci_high": 0.04},
        "median_days_after_when_after": 0.0,
    }
    assert left_behind_words(summary, "2026-03-15") == (
        "By the deadline, day 20 (2026-03-15): 62% of replications leave something behind (95% CI 52-71%); "
        "when they do, the median replication (by loads and vehicles left) leaves 20 loads destroyed, 120 loads handed over (general 120, heavy 20)."
    )


def test_a_run_without_a_deadline_says_nothing_of_it(tmp_path):
    result = invoke("run", "--no-figures", BASELINE, "-n", 3, "--seed", 7, "--jobs", 1, "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert "Left behind" not in result.output
    assert "left_behind" not in json.loads((tmp_path / "run" / "summary.json").read_text())


@pytest.mark.parametrize(
    ("line", "field", "words"),
    [
        ("day = 0", "deadline.day", "after the start"),
        ("day = 151", "deadline.day", "never come"),
    ],
)
def test_validate_refuses_a_deadline_that_cannot_be_naming_file_line_and_field(tmp_path, line, field, words):
    bad = tmp_path / "bad.toml"
    bad.write_text(DEADLINE.read_text().replace("\nday = 20\n", f"\n{line}\n"))
    number = bad.read_text().splitlines().index(line) + 1
    result = invoke("validate", bad)
    assert result.exit_code == 3
    text = " ".join(result.output.split())
    assert f"bad.toml:{number}" in text and field in text and words in text and "Traceback" not in text


def test_a_plan_targets_what_is_left_behind_and_moves_the_date():
    target = parse_target("P(left <= 0) >= 0.9")
    assert (target.column, target.short()) == ("left_behind.total", "P(nothing left behind)")
    options = read_plan_options(ROOT / "scenarios" / "studies" / "plan_deadline.toml", load_scenario(DEADLINE).scenario)
    assert str(options.target) == "P(left <= 0) >= 0.9"
    assert "deadline.day" in {lever.path for lever in options.levers}


def test_a_plan_on_what_is_left_refuses_a_scenario_without_a_deadline(tmp_path):
    result = invoke("plan", BASELINE, "--options", ROOT / "scenarios" / "studies" / "plan_20_days.toml", "--target", "P(left <= 0) >= 0.9")
    assert result.exit_code == 2, result.output
    assert "no [deadline]" in " ".join(result.output.split())


def _left(estimate: float) -> dict:
    return {
        "deadline_day": 6.0,
        "p_something_left": {"estimate": estimate, "ci_low": 0.0, "ci_high": 1.0},
        "median_when_left": {"loads_destroyed": 30.0, "loads_handed_over": 0.0, "vehicles_destroyed": 2.0, "vehicles_handed_over": 0.0, "total": 32.0},
        "median_by_class_when_left": {"general": 30.0, "vehicles": 2.0},
        "median_replication": {
            "loads_destroyed": 30,
            "loads_handed_over": 0,
            "vehicles_destroyed": 2,
            "vehicles_handed_over": 0,
            "total": 32,
            "by_class": {"general": 30, "vehicles": 2},
        },
        "p_closed_after_deadline": {"estimate": 0.5, "ci_low": 0.2, "ci_high": 0.8},
        "median_days_after_when_after": 1.5,
    }


def test_a_theatre_console_and_report_say_what_each_base_with_a_deadline_left():
    from sim import cli
    from sim.report.render import left_behind_lines

    summary = {"theatre": {}, "bases": {"q": {"title": "Qasrak", "left_behind": _left(1.0)}, "r": {"title": "Rmelan"}}}
    with cli.console.capture() as captured:
        cli._print_left_behind(summary, "2026-02-23T00:00:00+03:00")
    text = " ".join(captured.get().split())
    assert text.startswith("Left behind at Qasrak: By the deadline, day 6 (1 Mar 2026): 100% of replications leave something behind")
    assert "the median replication (by loads and vehicles left) leaves 30 loads destroyed, 2 vehicles destroyed (general 30, vehicles 2)" in text
    assert "in 50% the base empties after the date (median 1.5 days after)" in text and "Rmelan" not in text
    lines = left_behind_lines(summary, "2026-02-23T00:00:00+03:00")
    assert len(lines) == 1 and lines[0].startswith("Qasrak: By the deadline, day 6 (1 Mar 2026): 100%")
    assert left_behind_lines({"left_behind": _left(0.0)}, None) == [
        "By the deadline, day 6 (day 6): 0% of replications leave something behind (95% CI 0-100%); "
        "in 50% the base empties after the date (median 1.5 days after), as convoys loaded before it, the sensitive loads, "
        "the troops and the vehicles they ride in still leave."
    ]


def test_a_theatre_base_s_share_is_over_the_replications_in_which_it_moves_and_its_figures_add_up():
    # issue: "75% of replications leave something behind" at a base that moves in 40% of them, and
    # "12 loads destroyed (heavy 10, outsized 1)": medians taken apart that did not add up, with zero terms
    from sim import cli
    from sim.analysis.statistics import left_behind
    from sim.report.render import left_behind_lines

    def row(destroyed: dict[str, int], handed_over: int, days_after: float) -> dict[str, object]:
        total = sum(destroyed.values()) + handed_over
        return {
            "left_behind.any": total > 0,
            "left_behind.total": total,
            "left_behind.loads_destroyed": sum(destroyed.values()),
            "left_behind.loads_handed_over": handed_over,
            "left_behind.vehicles_destroyed": 0,
            "left_behind.vehicles_handed_over": 0,
            "left_behind.deadline_day": 20.0,
            "left_behind.days_after_deadline": days_after,
            "left_behind.class.general": handed_over,
            "left_behind.class.heavy": destroyed.get("heavy", 0),
            "left_behind.class.outsized": destroyed.get("outsized", 0),
        }

    import pandas as pd

    rows = pd.DataFrame([row({"heavy": 10}, 0, 1.0), row({"heavy": 12, "outsized": 1}, 40, 2.0), row({"outsized": 1}, 60, 3.0), row({}, 0, 0.0)])
    summary = left_behind(rows)
    # issue: summary.json gave "median_by_class_when_left" heavy 11 beside the median replication's heavy 12: one median only
    assert not [key for key in summary if key.startswith("median") and key not in ("median_replication", "median_days_after_when_after")]
    # the medians taken apart: 10 heavy, 0 outsized... against 13 destroyed; the median replication (totals 10, 53, 61) is the second
    assert summary["median_replication"]["total"] == 53
    text = left_behind_words(summary, "2026-03-15", moves=0.4)
    assert "75% of the replications in which it moves (it moves in 40% of all) leave something behind" in text
    assert "leaves 13 loads destroyed, 40 loads handed over (general 40, heavy 12, outsized 1)" in text
    assert " 0 " not in text
    one = {**summary, "median_replication": {**summary["median_replication"], "loads_destroyed": 1, "vehicles_destroyed": 1}}
    assert "leaves 1 load destroyed, 40 loads handed over, 1 vehicle destroyed" in left_behind_words(one, "2026-03-15")
    base = {"theatre": {}, "bases": {"q": {"title": "Qasrak", "share_left": 1.0}, "k": {"title": "Kharab al-Jir", "share_left": 0.4, "left_behind": summary}}}
    with cli.console.capture() as captured:
        cli._print_left_behind(base, "2026-02-23T00:00:00+03:00")
    assert "of the replications in which it moves (it moves in 40% of all)" in " ".join(captured.get().split())
    assert "in which it moves (it moves in 40% of all)" in left_behind_lines(base, "2026-02-23T00:00:00+03:00")[0]


def test_a_theatre_run_warns_of_other_bases_that_never_emptied_and_of_the_country_not_cleared():
    # issue: Life Stone never finished in 4 of 60 replications and the theatre run said nothing
    from sim.analysis.theatre import theatre_warnings

    bases = {
        "qasrak": {"title": "Qasrak", "warnings": ["main base's own warning"]},
        "life_stone": {
            "title": "Life Stone",
            "warnings": [
                "4 of 29 replications could never empty the base: troops without a seat; they count as later than 30 days",
                "2.5 convoys per replication left without their whole Syrian leg under Apache cover",
            ],
        },
    }
    out = theatre_warnings(bases, {"unfinished_at_horizon": 4}, 60)
    assert out[0] == "Life Stone: 4 of 29 replications could never empty the base: troops without a seat; they count as later than 30 days"
    assert out[1] == "Life Stone: 2.5 convoys per replication left without their whole Syrian leg under Apache cover"  # its own convoys'
    assert out[2].startswith("4 of 60 replications had not got everyone out of the country at the horizon")
    assert len(out) == 3  # the main base's are already the run's; other warnings stay in each base's summary
    assert theatre_warnings(bases | {"life_stone": {"title": "Life Stone", "warnings": []}}, {"unfinished_at_horizon": 0}, 60) == []


def test_a_theatre_run_cut_off_by_the_horizon_warns_on_the_console_and_in_summary_json(tmp_path):
    # a horizon of 26 days cuts off about half the theatre's replications at Rmelan and the other bases, not Qasrak alone
    theatre = ROOT / "scenarios" / "syria_2026_theatre.toml"
    out = tmp_path / "run"
    cut = ("--set", "scenario.horizon_days=26", "--set", "scenario.window_days=[15,25]")
    result = invoke("run", "--no-figures", theatre, "-n", 6, "--seed", 3, "--jobs", 1, "--out", out, *cut)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    unfinished = summary["theatre"]["unfinished_at_horizon"]
    assert unfinished > 0
    text = " ".join(result.output.split())
    assert f"{unfinished} of 6 replications had not got everyone out of the country at the horizon" in text
    assert any(w.startswith("Rmelan: ") and "had not emptied the base at the horizon" in w for w in summary["warnings"])
    assert "Rmelan: " in text


def test_a_plan_says_its_target_and_cost_in_the_words_of_its_tables():
    from sim.commands.plan import check_command
    from sim.experiment.plan import PlanResult, sentence

    assert parse_target("P(left <= 3) >= 0.9").short() == "P(at most 3 loads and vehicles left behind)"
    pick = {"plan": "add 20 contracted trucks", "confirm_p": 0.91, "confirm_ci_low": 0.89, "confirm_ci_high": 0.93, "cost": 30, "confirm_replications": 600}
    result = PlanResult(parse_target("P(left <= 0) >= 0.9"), None, None, None, None, "", pick=pick)  # type: ignore[arg-type]
    assert sentence(result) == (
        "Add 20 contracted trucks: P(nothing left behind) = 91% (89-93%), cost 30 request points (target 90%, confirmed on 600 fresh replications)."
    )
    # the command printed to check the plan reproduces its fresh run: the same seed and replications
    check = {"seed": 20260224, "replications": 1000}
    command = check_command(DEADLINE, ["deadline.day=25"], ["fleet.civilian.count=120"], check)
    assert command == f"evacsim run {DEADLINE} --set 'deadline.day=25' --set 'fleet.civilian.count=120' --seed 20260224 -n 1000"
