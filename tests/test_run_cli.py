"""`evacsim run`, `validate` and `schema` as a user meets them: files written, the contract of
summary.json, the same bits whatever --jobs, errors with an exit status and no traceback."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.replication import prepare, run_batch
from sim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory, baseline_path) -> Path:
    out = tmp_path_factory.mktemp("runs") / "baseline"
    result = run("run", baseline_path, "-n", 60, "--jobs", 1, "--seed", 9, "--out", out)
    assert result.exit_code == 0, result.output
    return out


def test_run_writes_every_file_of_a_results_folder(run_folder):
    names = {p.name for p in run_folder.iterdir()}
    assert {"manifest.json", "replications.parquet", "burndown.parquet", "summary.json", "completion.png"} <= names
    assert not any(n.endswith(".tmp") or n.startswith(".") for n in names), "no temporary file is left behind"


def test_summary_json_keeps_its_contract_and_agrees_with_the_replications(run_folder):
    summary = json.loads((run_folder / "summary.json").read_text())
    rows = pd.read_parquet(run_folder / "replications.parquet")
    assert summary["replications"] == len(rows) == 60
    for key in ("days_to_base_empty", "days_to_force_closure"):
        assert set(summary[key]) >= {"mean", "p10", "p50", "p90"}
        assert summary[key]["mean"] == pytest.approx(rows[key].mean())
        assert summary[key]["p50"] == pytest.approx(np.percentile(rows[key], 50))
    days = rows["days_to_base_empty"]
    expected = {"p_under_15": (days < 15).mean(), "p_15_to_30": ((days >= 15) & (days <= 30)).mean(), "p_over_30": (days > 30).mean()}
    for key, share in expected.items():
        p = summary[key]
        assert p["estimate"] == pytest.approx(share)
        assert p["ci_low"] <= p["estimate"] <= p["ci_high"]
    assert sum(summary[k]["estimate"] for k in expected) == pytest.approx(1.0)


def test_manifest_records_the_resolved_scenario_its_hash_seed_and_command(run_folder):
    manifest = json.loads((run_folder / "manifest.json").read_text())
    assert manifest["seed"] == 9 and len(manifest["scenario_sha256"]) == 64
    assert manifest["scenario"]["scenario"]["name"] == "qasrak_baseline"
    assert "simpy" in manifest["versions"] and manifest["command"].startswith("evacsim")


def test_burndown_starts_with_everything_at_the_base_and_ends_empty(run_folder):
    burndown = pd.read_parquet(run_folder / "burndown.parquet")
    rows = pd.read_parquet(run_folder / "replications.parquet").set_index("replication")
    first = burndown[burndown["day"] == 0].set_index("replication")
    moved = rows["loads_at_start"] - rows["loads_handed_over"]
    assert (first["cargo_loads"] == moved).all()
    last = burndown[burndown["day"] == burndown["day"].max()]
    assert (last["cargo_loads"] == 0).all() and (last["people"] == 0).all()


def test_the_same_seed_gives_the_same_bits_whatever_jobs(tmp_path, baseline_path):
    one, two = tmp_path / "one", tmp_path / "two"
    assert run("run", "--no-figures", baseline_path, "-n", 24, "--jobs", 1, "--seed", 4, "--out", one).exit_code == 0
    assert run("run", "--no-figures", baseline_path, "-n", 24, "--jobs", 2, "--seed", 4, "--out", two).exit_code == 0
    pd.testing.assert_frame_equal(pd.read_parquet(one / "replications.parquet"), pd.read_parquet(two / "replications.parquet"))
    pd.testing.assert_frame_equal(pd.read_parquet(one / "burndown.parquet"), pd.read_parquet(two / "burndown.parquet"))


def test_no_figures_writes_the_answer_without_its_figures_and_says_how_to_draw_them(tmp_path, baseline_path):
    out = tmp_path / "quick"
    result = run("run", baseline_path, "-n", 5, "--jobs", 1, "--out", out, "--no-figures")
    assert result.exit_code == 0, result.output
    assert "P50" in result.output or "everyone out" in result.output.lower()
    assert {"manifest.json", "replications.parquet", "burndown.parquet", "summary.json"} <= {p.name for p in out.iterdir()}
    assert not list(out.glob("*.png")) and not list(out.glob("*.svg"))
    assert f"Figures not drawn (--no-figures): evacsim plot {out} draws them." in " ".join(result.output.split())
    assert run("plot", out).exit_code == 0  # the folder is whole: plot draws what run would have
    assert {f"{stem}.{fmt}" for stem in ("completion", "burndown", "waits", "timeline") for fmt in ("png", "svg")} <= {p.name for p in out.iterdir()}
    compared = run("compare", baseline_path, "--set", "escort.teams=6", "-n", 4, "--jobs", 1, "--out", tmp_path / "pair", "--no-figures")
    assert compared.exit_code == 0, compared.output
    assert not list((tmp_path / "pair").glob("*.png")) and "evacsim plot" in compared.output


def test_precision_adds_replications_until_the_window_probability_is_tight_enough(tmp_path, baseline_path):
    result = run("run", "--no-figures", baseline_path, "--precision", 0.06, "--jobs", 2, "--out", tmp_path / "p")
    assert result.exit_code == 0, result.output
    p = json.loads((tmp_path / "p" / "summary.json").read_text())["p_15_to_30"]
    assert (p["ci_high"] - p["ci_low"]) / 2 <= 0.06


def test_set_overrides_a_field_and_is_revalidated(tmp_path, baseline_path):
    out = tmp_path / "s"
    assert run("run", "--no-figures", baseline_path, "-n", 5, "--jobs", 1, "--set", "fleet.civilian.count=120", "--out", out).exit_code == 0
    assert json.loads((out / "manifest.json").read_text())["scenario"]["fleet"]["civilian"]["count"] == 120
    bad = run("run", "--no-figures", baseline_path, "-n", 5, "--set", "fleet.civilian.count=-3", "--out", tmp_path / "bad")
    assert bad.exit_code == 3
    assert "fleet.civilian.count: must be >= 0" in " ".join(bad.output.split()) and "--set" in bad.output


def test_a_non_empty_out_folder_is_never_overwritten_without_force(tmp_path, baseline_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("an analyst's notes")
    result = run("run", baseline_path, "-n", 5, "--out", out)
    assert result.exit_code == 4 and "not empty" in result.output
    assert (out / "notes.txt").read_text() == "an analyst's notes"


def test_bad_scenario_files_exit_3_with_one_paragraph_and_no_traceback(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text((ROOT / "scenarios" / "qasrak_baseline.toml").read_text().replace("[fleet.civilian]\ncount", "[fleet.civilian]\ncuont"))
    for command in (["validate", broken], ["run", broken, "-n", 2], ["bounds", broken], ["validate", tmp_path / "missing.toml"]):
        done = subprocess.run([sys.executable, "-m", "sim", *map(str, command)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
        assert done.returncode == 3, done.stderr
        assert "Traceback" not in done.stderr and str(command[1].name) in done.stderr


def test_validate_prints_the_provenance_of_each_number(baseline_path):
    result = run("validate", baseline_path)
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "fleet.civilian.count" in text and "Shafaq News" in text


def test_validate_names_each_number_in_words_with_its_dotted_path_and_shares_in_percent(baseline_path):
    # issue: "cargo.classes.general.handed_over_fraction | uniform(0, 0.3)", "pause.probability 0.25": paths and 0-1 alone
    result = runner.invoke(app, ["validate", str(baseline_path)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    lines = [" ".join(line.split()) for line in result.output.splitlines()]
    assert any(line.startswith("share of general cargo handed over cargo.classes.general.handed_over_fraction uniform(0%, 30%)") for line in lines)
    assert any(line.startswith("pause: probability pause.probability 25%") for line in lines)
    assert any(line.startswith("km of the Iraqi leg route.iraq.km uniform(200, 250) km") for line in lines)
    assert not any("uniform(0, 0.3)" in line for line in lines)


def test_validate_shows_carrier_lists_as_written_and_each_source_once(baseline_path):
    result = run("validate", baseline_path)
    text = " ".join(result.output.split())
    assert "[civilian, military]" in text and "[het]" in text and "[military, air]" in text
    assert text.count("Shafaq News, 2026-02-23") == 1
    # about 170 rows under 27 sources of up to ten lines: 330 lines at 80 columns, about 450 now that each row gives its
    # words beside its dotted path (some rows take two lines); a source repeated on every row would pass 1,000
    assert len(result.output.splitlines()) < 520


def test_sweep_help_keeps_the_study_table_name_in_brackets():
    result = run("sweep", "--help")
    assert "[factors]" in " ".join(result.output.split())


def test_schema_is_the_json_schema_of_the_scenario_format():
    result = run("schema")
    schema = json.loads(result.output)
    one_base, theatre = schema["$defs"]["Scenario"], schema["$defs"]["TheatreScenario"]
    assert "fleet" in one_base["properties"] and one_base["additionalProperties"] is False
    assert {"sites", "legs", "pools"} <= set(theatre["properties"])


def test_ctrl_c_stops_a_run_with_status_130_and_leaves_no_half_written_file(tmp_path, baseline_path):
    import signal
    import time

    out = tmp_path / "interrupted"
    process = subprocess.Popen(
        [sys.executable, "-m", "sim", "run", str(baseline_path), "-n", "200000", "--jobs", "1", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        # as in a terminal: a test runner started in the background (nohup, `&`) ignores SIGINT, and a child inherits that
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 90
    while not out.exists() and time.monotonic() < deadline:  # the run has started once it made its folder (slow on a busy machine)
        time.sleep(0.2)
    time.sleep(1.5)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "Traceback" not in stderr and "interrupted" in stderr
    assert not out.exists(), "the folder the run made for --out is removed with what was in it"


def test_ctrl_c_while_the_figures_are_drawn_keeps_the_complete_results_and_says_how_to_draw_them(tmp_path, baseline_path, monkeypatch):
    import sim.plots.figures

    def interrupted(folder):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.plots.figures, "plot_results", interrupted)
    out = tmp_path / "drawing"
    result = run("run", baseline_path, "-n", 8, "--jobs", 1, "--out", out)
    assert result.exit_code == 130, result.output
    said = " ".join(result.stderr.split())
    assert "interrupted while drawing the figures" in said and f"evacsim plot {out} draws them" in said and "Traceback" not in said
    assert (out / "summary.json").exists() and len(pd.read_parquet(out / "replications.parquet")) == 8


def test_the_library_run_writes_the_folder_the_command_writes(tmp_path, baseline_path):
    import sim

    out = tmp_path / "streamed"
    assert run("run", "--no-figures", baseline_path, "-n", 30, "--jobs", 2, "--seed", 6, "--out", out).exit_code == 0
    result = sim.run(baseline_path, 30, seed=6, out=tmp_path / "library", figures=False)
    assert result.replications == 30 and result.folder == tmp_path / "library"
    for table in ("replications.parquet", "burndown.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(out / table), pd.read_parquet(result.folder / table))
    assert json.loads((out / "summary.json").read_text()) == result.summary
    burndown = pd.read_parquet(out / "burndown.parquet")
    assert burndown["replication"].tolist() == np.repeat(np.arange(30), len(burndown) // 30).tolist()


def test_the_store_reads_batches_in_replication_order_whatever_order_they_finish(tmp_path):
    import pyarrow as pa

    from sim.experiment.engine import Batch, Store

    store = Store(tmp_path)
    for start in (4, 0, 8, 2, 6):
        store.put(Batch(start, start + 2, pa.table({"replication": [start, start + 1]})))
    assert store.read().column("replication").to_pylist() == list(range(10))
    assert pd.read_parquet(tmp_path / "replications.parquet")["replication"].tolist() == list(range(10))
    assert not [p.name for p in (tmp_path / "replications.parquet").iterdir() if p.name.endswith(".tmp")]


def test_pinning_one_input_with_set_leaves_every_other_input_column_identical(run_folder, tmp_path, baseline_path):
    pinned = tmp_path / "pinned"
    result = run("run", "--no-figures", baseline_path, "-n", 60, "--jobs", 1, "--seed", 9, "--set", "fleet.het.count=12", "--out", pinned)
    assert result.exit_code == 0, result.output
    free, fixed = pd.read_parquet(run_folder / "replications.parquet"), pd.read_parquet(pinned / "replications.parquet")
    others = [c for c in free.columns if c.startswith("input.") and c != "input.fleet.het.count"]
    assert len(others) > 10
    pd.testing.assert_frame_equal(free[others], fixed[others])
    assert "input.fleet.het.count" not in fixed.columns  # --set makes it a constant, no longer drawn
    assert not (free["input.fleet.het.count"] == 12).all()


def test_run_prints_the_answer_before_it_draws_the_figures(tmp_path, baseline_path, monkeypatch):
    import sim.plots.figures

    def no_room(folder):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sim.plots.figures, "plot_results", no_room)
    result = run("run", baseline_path, "-n", 8, "--jobs", 1, "--out", tmp_path / "r")
    assert result.exit_code == 4
    text = " ".join(result.output.split())
    assert text.index("15-30 days") < text.index("No space left on device")


SHIPPED = sorted(Path(__file__).resolve().parent.parent.joinpath("scenarios").glob("*.toml")) + sorted(
    Path(__file__).resolve().parent.parent.joinpath("scenarios", "history").glob("*.toml")
)

_ALONE = """
import pickle, sys
from sim.replication import prepare, run_batch
from sim.scenario.loading import load_scenario
out = {}
for path in sys.argv[2:]:
    prepared = prepare(load_scenario(path).scenario)
    for index in (3, 0):  # the later one first: whatever a run keeps between replications is set by another one
        rows, cargo, people = run_batch(prepared, 5, [index])
        out[path, index] = (rows[0], cargo[0].tolist(), people[0].tolist())
pickle.dump(out, open(sys.argv[1], "wb"))
"""


def same_value(a: object, b: object) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and a != a and b != b)


def test_the_same_bits_for_a_replication_run_in_order_after_others_or_alone_in_a_fresh_process(tmp_path):
    # what a run keeps from one replication to the next (each road's march, a choice's weights, the routes' searches)
    # changes no number: replications 0..3 in order in this process against 3 then 0, each first of its scenario, in a new one
    alone = tmp_path / "alone.pickle"
    done = subprocess.run([sys.executable, "-c", _ALONE, str(alone), *map(str, SHIPPED)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    fresh = pickle.loads(alone.read_bytes())
    for path in SHIPPED:
        rows, cargo, people = run_batch(prepare(load_scenario(path).scenario), 5, range(4))
        for index in (0, 3):
            row, cargo_alone, people_alone = fresh[str(path), index]
            assert row.keys() == rows[index].keys(), path.stem
            assert all(same_value(row[k], rows[index][k]) for k in row), (path.stem, index, [k for k in row if not same_value(row[k], rows[index][k])])
            assert cargo_alone == cargo[index].tolist() and people_alone == people[index].tolist(), (path.stem, index)
