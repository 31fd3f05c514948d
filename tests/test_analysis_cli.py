"""Each analysis command on the baseline with tiny settings: exit 0, tables and figures written; bad files exit 3, bad option values 2."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app

runner = CliRunner()


def invoke(*args: str):
    result = runner.invoke(app, [str(a) for a in args])
    return result


@pytest.mark.parametrize(
    ("method", "extra", "table"),
    [("tornado", [], "tornado.csv"), ("morris", ["--trajectories", "2"], "morris.csv"), ("sobol", ["--base-samples", "2"], "sobol.csv")],
)
def test_sensitivity_writes_its_table_figure_and_report(tmp_path, baseline_path, method, extra, table):
    out = tmp_path / method
    result = invoke("sensitivity", baseline_path, "--method", method, *extra, "--replications", "2", "--jobs", "1", "--out", out)
    assert result.exit_code == 0, result.output
    assert (out / table).exists() and (out / f"{method}.png").exists() and (out / "report.md").exists()
    frame = pd.read_csv(out / table, index_col=0)
    assert "fleet.civilian.count" in frame.index
    assert invoke("report", out).exit_code == 0
    page = (out / "report.html").read_text()
    assert f"<h2>{method}</h2>" in page and "fleet.civilian.count" in page and "data:image/png;base64," in page


def test_sensitivity_with_a_study_file_varies_only_its_factors(tmp_path, baseline_path):
    study = tmp_path / "study.toml"
    study.write_text('[factors."air_cover.apaches"]\nlow = 0\nhigh = 6\n[factors."escort.teams"]\nlow = 3\nhigh = 9\n')
    out = tmp_path / "t"
    result = invoke("sensitivity", baseline_path, "--factors", study, "--replications", "2", "--jobs", "1", "--out", out)
    assert result.exit_code == 0, result.output
    assert list(pd.read_csv(out / "tornado.csv", index_col=0).index) in (["escort.teams", "air_cover.apaches"], ["air_cover.apaches", "escort.teams"])


def test_the_tornado_says_what_values_it_pinned_each_input_at_in_its_unit(tmp_path, baseline_path):
    # issue: "military trucks -3.5" in the table, tornado.csv and tornado.png, but not from how many trucks to how many
    study = tmp_path / "study.toml"
    study.write_text('[factors."fleet.military.count"]\nlow = 0\nhigh = 40\n[factors."weather.dust_day_probability"]\nlow = 0.05\nhigh = 0.2\n')
    out = tmp_path / "t"
    args = ["sensitivity", str(baseline_path), "--factors", str(study), "-n", "2", "--jobs", "1", "--out", str(out)]
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "tornado.csv", index_col=0)
    assert table.loc["fleet.military.count", ["pinned_low", "pinned_high"]].tolist() == [0, 40]
    assert table.loc["weather.dust_day_probability", ["pinned_low", "pinned_high"]].tolist() == [0.05, 0.2]
    lines = [" ".join(line.replace("│", " ").split()) for line in result.output.splitlines()]
    # a count says what it counts after its number, once (not "military trucks 0 to 40"): console, report.md, figure
    assert any(line.startswith("military trucks 0 to 40 military trucks ") for line in lines), result.output
    assert any(line.startswith("chance of a dust day 5% to 20% ") for line in lines), result.output
    report = (out / "report.md").read_text()
    assert "| military trucks (`fleet.military.count`) | 0 to 40 military trucks |" in report, report
    from sim.plots.redraw import read_analysis, tornado

    ticks = [t.get_text() for t in tornado(read_analysis(out, "sensitivity-tornado")).axes[0].get_yticklabels()]
    assert "military trucks\n0 to 40 military trucks" in ticks and "chance of a dust day\n5% to 20%" in ticks


def test_bad_study_file_is_one_paragraph_and_exit_3(tmp_path, baseline_path):
    study = tmp_path / "study.toml"
    study.write_text('[factors."fleet.civilain.count"]\nlow = 1\nhigh = 2\n')
    result = invoke("sensitivity", baseline_path, "--factors", study, "--out", tmp_path / "x")
    assert result.exit_code == 3
    assert "fleet.civilain.count" in result.output and "Traceback" not in result.output


def test_calibrate_then_discover_on_its_results(tmp_path, baseline_path):
    cal = tmp_path / "cal"
    result = invoke("calibrate", baseline_path, "--replications", "150", "--jobs", "1", "--out", cal)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(cal / "calibration.csv", index_col=0)
    assert {"prior_p5", "post_p5", "post_p95", "ks"} <= set(table.columns)
    assert (cal / "calibration.png").exists()
    disc = tmp_path / "disc"
    result = invoke("discover", cal, "--target", "days <= 17", "--out", disc)
    assert result.exit_code == 0, result.output
    summary = json.loads((disc / "discovery.json").read_text())
    assert "cases when" in summary["sentence"] or "No box" in summary["sentence"]
    assert (disc / "prim_trajectory.csv").exists() and (disc / "discovery.png").exists()


def test_discover_refuses_a_folder_without_replications(tmp_path):
    result = invoke("discover", tmp_path, "--out", tmp_path / "d")
    assert result.exit_code == 3
    assert "replications.parquet" in result.output


def test_calibrate_refuses_an_unreadable_window(tmp_path, baseline_path):
    result = invoke("calibrate", baseline_path, "--target-days", "fifteen", "--out", tmp_path / "c")
    assert result.exit_code == 2
    assert "15:30" in result.output


def test_marginal_ranks_every_resource(tmp_path, baseline_path):
    out = tmp_path / "m"
    result = invoke("marginal", baseline_path, "--replications", "4", "--jobs", "1", "--out", out)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "marginal.csv", index_col=0)
    assert len(table) == 8 and {"second crossing open", "heavy equipment transporters +2"} <= set(table.index)
    assert list(table["days_saved"]) == sorted(table["days_saved"], reverse=True)
    assert (out / "marginal.png").exists()


def test_marginal_prints_each_change_with_its_95_percent_ci_as_its_help_promises(tmp_path, baseline_path):
    """The console gives days sooner and the change in P(out by day 30) each with its 95% CI (not only the CSV), under
    a title in words (not "(days sooner: days to base empty)"); the CI is the one in marginal.csv."""
    import re

    out = tmp_path / "m"
    result = runner.invoke(app, ["marginal", str(baseline_path), "--replications", "4", "--jobs", "1", "--out", str(out)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "(days sooner: days to base empty)" not in result.output
    assert "each change with its 95% CI" in result.output
    assert "change in P(out by day 30), points (95% CI)" in result.output and "days sooner to base empty (95% CI)" in result.output
    table = pd.read_csv(out / "marginal.csv", index_col=0)
    first = table.iloc[0]
    line = next(x for x in result.output.splitlines() if table.index[0] in x)
    low, high = f"{100 * first['p_by_day_change_low'] + 0.0:+.1f}", f"{100 * first['p_by_day_change_high'] + 0.0:+.1f}"
    assert re.search(rf"[+-]\d+\.\d \({re.escape(low)} to {re.escape(high)}\)", line), line
    assert re.search(rf"{first['days_saved_low'] + 0.0:.1f} to {first['days_saved_high'] + 0.0:.1f}\)", line), line


def test_rerun_with_force_reuses_finished_replications(tmp_path, baseline_path):
    out = tmp_path / "m"
    assert invoke("marginal", baseline_path, "--replications", "3", "--jobs", "1", "--out", out).exit_code == 0
    first = pd.read_csv(out / "marginal.csv", index_col=0)
    chunks = sorted((out / "replications.parquet").glob("part-*.parquet"))
    assert chunks
    stamp = chunks[0].stat().st_mtime_ns
    assert invoke("marginal", baseline_path, "--replications", "3", "--jobs", "1", "--out", out, "--force").exit_code == 0
    assert chunks[0].stat().st_mtime_ns == stamp
    pd.testing.assert_frame_equal(first, pd.read_csv(out / "marginal.csv", index_col=0))


MARGINAL = ("marginal", "--replications", "3", "--jobs", "1")


@pytest.fixture
def finished_marginal(tmp_path, baseline_path):
    out = tmp_path / "m"
    assert invoke(*MARGINAL[:1], baseline_path, *MARGINAL[1:], "--out", out).exit_code == 0
    return out


def test_an_interrupted_study_resumes_from_its_parts_to_the_same_table(finished_marginal, baseline_path):
    out = finished_marginal
    first = pd.read_csv(out / "marginal.csv", index_col=0)
    chunks = sorted((out / "replications.parquet").glob("part-*.parquet"))
    assert len(chunks) >= 2
    for lost in chunks[1:]:  # as if the run had stopped after its first chunk
        lost.unlink()
    (out / "marginal.csv").unlink()
    kept = chunks[0].stat().st_mtime_ns
    result = invoke(*MARGINAL[:1], baseline_path, *MARGINAL[1:], "--out", out, "--resume")
    assert result.exit_code == 0, result.output
    assert chunks[0].stat().st_mtime_ns == kept and all(c.exists() for c in chunks)
    pd.testing.assert_frame_equal(first, pd.read_csv(out / "marginal.csv", index_col=0))


def test_a_resume_on_another_number_of_workers_reads_its_parts_as_written(finished_marginal, baseline_path):
    """A part holds the units it was written with, whatever --jobs the resume runs on."""
    out = finished_marginal
    first = pd.read_csv(out / "marginal.csv", index_col=0)
    rows = pd.read_parquet(out / "replications.parquet")
    for lost in sorted((out / "replications.parquet").glob("part-*.parquet"))[1:]:
        lost.unlink()
    result = invoke(*MARGINAL[:1], baseline_path, "--replications", "3", "--jobs", "2", "--out", out, "--resume")
    assert result.exit_code == 0, result.output
    again = pd.read_parquet(out / "replications.parquet")
    assert len(again) == len(rows) and not again.duplicated(["point", "replication"]).any()
    pd.testing.assert_frame_equal(rows, again)
    pd.testing.assert_frame_equal(first, pd.read_csv(out / "marginal.csv", index_col=0))


def test_resuming_another_study_is_refused_and_overwrites_nothing(finished_marginal, baseline_path):
    out = finished_marginal
    before = (out / "marginal.csv").read_bytes()
    result = invoke(*MARGINAL[:1], baseline_path, *MARGINAL[1:], "--seed", "5", "--out", out, "--resume")
    assert result.exit_code == 4
    assert "cannot resume" in result.output and "seed" in result.output and "Traceback" not in result.output
    assert (out / "marginal.csv").read_bytes() == before


def test_resume_needs_a_folder_with_finished_replications_and_not_force(tmp_path, baseline_path):
    empty = invoke(*MARGINAL[:1], baseline_path, *MARGINAL[1:], "--out", tmp_path / "none", "--resume")
    assert empty.exit_code == 4 and "no finished replications" in empty.output
    assert not (tmp_path / "none").exists()
    both = invoke(*MARGINAL[:1], baseline_path, *MARGINAL[1:], "--out", tmp_path / "none", "--resume", "--force")
    assert both.exit_code == 2 and "not both" in both.output
    assert invoke(*MARGINAL[:1], baseline_path, *MARGINAL[1:], "--resume").exit_code == 2


def test_a_study_stopped_before_any_replication_finished_says_to_run_it_again(tmp_path, baseline_path, monkeypatch):
    from sim.experiment import analyses

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(analyses, "run_marginal", interrupted)
    out = tmp_path / "m"
    result = invoke(*MARGINAL[:1], baseline_path, *MARGINAL[1:], "--out", out)
    assert result.exit_code == 130
    said = result.output.replace("\n", "")
    # stopped before any replication finished: nothing to resume, so it says to run the command again
    assert "none is kept" in said and "run the same command again" in said and "--resume" not in said and "Traceback" not in said


def test_marginal_on_a_dask_local_cluster_gives_the_same_table_as_one_process(tmp_path, baseline_path):
    one, dask = tmp_path / "one", tmp_path / "dask"
    assert invoke("marginal", baseline_path, "--replications", "3", "--jobs", "1", "--out", one).exit_code == 0
    result = invoke("marginal", baseline_path, "--replications", "3", "--dask-local", "2", "--out", dask)
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(pd.read_csv(one / "marginal.csv", index_col=0), pd.read_csv(dask / "marginal.csv", index_col=0))


def test_calibrate_to_a_target_past_the_horizon_says_so_instead_of_asking_for_more_replications(tmp_path, baseline_path):
    result = invoke("calibrate", baseline_path, "--target-days", "160:200", "--replications", "10", "--jobs", "1", "--out", tmp_path / "c")
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "horizon of 150 days" in text and "more replications would not help" in text and "--set scenario.horizon_days=230" in text


def test_on_a_narrow_console_the_table_gives_inputs_in_words_without_paths_folded_letter_by_letter(tmp_path, baseline_path):
    # issue: at 80 columns (piped output) "cargo.classes / .general.load / s" folded down the input column
    study = tmp_path / "study.toml"
    study.write_text('[factors."cargo.classes.general.handed_over_fraction"]\nlow = 0\nhigh = 0.3\n[factors."escort.teams"]\nlow = 3\nhigh = 9\n')
    args = ["sensitivity", str(baseline_path), "--factors", str(study), "-n", "2", "--jobs", "1"]
    narrow = runner.invoke(app, [*args, "--out", str(tmp_path / "narrow")], env={"COLUMNS": "80"})
    wide = runner.invoke(app, [*args, "--out", str(tmp_path / "wide")], env={"COLUMNS": "160"})
    assert narrow.exit_code == 0 and wide.exit_code == 0, narrow.output + wide.output
    assert "escort teams" in narrow.output and "cargo.classes" not in narrow.output and "escort.teams" not in narrow.output
    assert max(len(line) for line in narrow.output.splitlines()) <= 80
    assert "escort.teams" in wide.output and "cargo.classes.general" in wide.output  # on a wide console, beside the words


def test_each_study_s_help_says_its_default_replications_as_the_study_runs_them():
    # issue: "-n: default: see docs/ANALYSIS.md"; and --base-samples read like --base
    from sim.experiment.analyses import DEFAULTS, PRECISE

    said = {c: " ".join(runner.invoke(app, [c, "--help"], env={"COLUMNS": "400"}).output.split()) for c in ("sensitivity", "calibrate", "marginal")}
    tornado, morris, sobol = (DEFAULTS[m]["replications"] for m in ("tornado", "morris", "sobol"))
    precise = ", ".join(str(PRECISE[m]["replications"]) for m in ("tornado", "morris", "sobol"))
    assert f"tornado {tornado}, Morris {morris}, Sobol' {sobol}; with --precise {precise}" in said["sensitivity"]
    assert f"default {DEFAULTS['calibrate']['replications']}; with --precise {PRECISE['calibrate']['replications']}" in said["calibrate"]
    assert f"default {DEFAULTS['marginal']['replications']}; with --precise {PRECISE['marginal']['replications']}" in said["marginal"]
    assert f"(default {DEFAULTS['sobol']['n']}; --precise {PRECISE['sobol']['n']})" in said["sensitivity"] and "not --base" in said["sensitivity"]
    assert "see docs/ANALYSIS.md" not in said["sensitivity"]
