"""Sweeps: designs, the output folder, common random numbers across points, and errors a user can act on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim.experiment.design import FactorSpecError, build_design, make_factor, parse_spec
from sim.experiment.executors import InProcess, LocalPool
from sim.experiment.study import Study, read_study
from sim.experiment.sweep import plan_sweep, read_replications, run_sweep

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "qasrak_baseline.toml"
EXAMPLE = ROOT / "scenarios" / "studies" / "fleet_and_escort.toml"


def evacsim(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_a_stepped_range_lists_its_levels_inclusive():
    assert parse_spec("60:140:20") == (60.0, 140.0, (60.0, 80.0, 100.0, 120.0, 140.0))
    assert parse_spec("2,3,4,6")[2] == (2.0, 3.0, 4.0, 6.0)
    assert parse_spec({"low": 0.5, "high": 1.5}) == (0.5, 1.5, None)


@pytest.mark.parametrize("spec", ["140:60:20", "60:140:0", "lots", [], {"low": 1}])
def test_an_unusable_range_is_refused(spec):
    with pytest.raises(FactorSpecError):
        parse_spec(spec)


def test_a_grid_has_every_combination_of_levels():
    factors = [make_factor("fleet.civilian.count", "60:140:20", True), make_factor("escort.teams", [2, 3, 4, 6], True)]
    design = build_design(factors, "grid", None, seed=1)
    assert len(design) == 5 * 4
    assert set(map(tuple, design[["fleet.civilian.count", "escort.teams"]].to_numpy())) == {(t, e) for t in (60, 80, 100, 120, 140) for e in (2, 3, 4, 6)}


def test_a_latin_hypercube_puts_one_point_in_each_stratum_of_each_factor():
    factors = [make_factor("loading.hours_per_truck", "0.5:1.5", False), make_factor("route.threats.closure_hours", "4:12", False)]
    design = build_design(factors, "lhs", 10, seed=3)
    for f in factors:
        strata = np.floor((design[f.path] - f.low) / (f.high - f.low) * 10).astype(int)
        assert sorted(strata) == list(range(10))


def test_sampled_designs_round_whole_number_fields_and_repeat_with_the_seed():
    factors = [make_factor("escort.teams", "2:8", True), make_factor("loading.hours_per_truck", "0.5:1.5", False)]
    for kind in ("lhs", "sobol"):
        a = build_design(factors, kind, 16, seed=5)
        pd.testing.assert_frame_equal(a, build_design(factors, kind, 16, seed=5))
        assert (a["escort.teams"] == a["escort.teams"].round()).all()
        assert a["escort.teams"].between(2, 8).all()
        assert not a.equals(build_design(factors, kind, 16, seed=6))


def test_a_grid_study_writes_manifest_design_dataset_and_points(tmp_path):
    study = Study(
        name="grid", scenario_path=str(BASELINE), overrides=(), specs={"escort.teams": [3, 6], "fleet.civilian.count": [60, 140]}, replications=6, seed=2
    )
    with LocalPool(2) as pool:
        result = run_sweep(plan_sweep(study), tmp_path / "out", pool, batch_size=5)
    out = result.out
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["seed"] == 2 and manifest["points"] == 4
    assert manifest["scenario_sha256"] and manifest["versions"]["numpy"]
    design = pq.read_table(out / "design.parquet").to_pandas()
    assert list(design.columns) == ["point", "escort.teams", "fleet.civilian.count"]
    rows = read_replications(out)
    assert len(rows) == 4 * 6 and len(list((out / "replications.parquet").glob("part-*.parquet"))) == 5
    points = pd.read_csv(out / "points.csv")
    assert list(points["replications"]) == [6] * 4
    for key in ("days_mean", "days_p10", "days_p50", "days_p90", "p_under_15", "p_15_to_30", "p_over_30"):
        # an end six replications cannot bound at 95% (that of the P10 or the P90) is left empty
        low, high = points[f"{key}_ci_low"], points[f"{key}_ci_high"]
        assert (low.isna() | (low <= points[key] + 1e-9)).all() and (high.isna() | (points[key] <= high + 1e-9)).all()
    assert np.allclose(points["p_under_15"] + points["p_15_to_30"] + points["p_over_30"], 1.0)


def test_every_design_point_draws_the_same_random_numbers_for_replication_i(tmp_path):
    study = Study(name="crn", scenario_path=str(BASELINE), overrides=(), specs={"escort.teams": [3, 6]}, replications=4, seed=9)
    rows = read_replications(run_sweep(plan_sweep(study), tmp_path / "o", InProcess(), batch_size=3).out)
    drawn = [c for c in rows.columns if c.startswith("input.") and c != "input.escort.teams"]
    assert "input.fleet.civilian.count" in drawn
    first, second = (rows[rows.point == p].set_index("replication") for p in (0, 1))
    pd.testing.assert_frame_equal(first[drawn], second[drawn])
    assert list(first["input.escort.teams"]) == [3.0] * 4 and list(second["input.escort.teams"]) == [6.0] * 4


def test_an_lhs_study_file_runs_with_its_samples(tmp_path):
    study_file = tmp_path / "lhs.toml"
    study_file.write_text(
        f'name = "lhs"\nscenario = "{BASELINE}"\ndesign = "lhs"\nsamples = 5\nreplications = 3\nseed = 4\n\n'
        '[factors]\nfleet.civilian.count = "60:140"\nloading.hours_per_truck = {low = 0.5, high = 1.5}\n'
    )
    done = evacsim("sweep", str(study_file), "--jobs", "1", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    points = pd.read_csv(tmp_path / "out" / "points.csv")
    assert len(points) == 5 and (points["fleet.civilian.count"] == points["fleet.civilian.count"].round()).all()
    assert points["loading.hours_per_truck"].between(0.5, 1.5).all()


def test_the_example_study_is_a_grid_of_twenty_points():
    plan = plan_sweep(read_study(EXAMPLE))
    assert len(plan.design) == 20 and plan.study.replications == 200


def test_a_misspelt_factor_names_study_file_line_and_field_with_status_3(tmp_path):
    study_file = tmp_path / "bad.toml"
    study_file.write_text(f'name = "bad"\nscenario = "{BASELINE}"\n\n[factors]\nescort.teams = [2, 4]\nfleet.civlian.count = "60:140:20"\n')
    done = evacsim("sweep", str(study_file), "--out", str(tmp_path / "out"))
    assert done.returncode == 3
    assert f"{study_file}:6 factors.fleet.civlian.count: not a number of scenario" in done.stderr
    assert "did you mean `fleet.civilian.count`" in done.stderr and "Traceback" not in done.stderr


def test_a_range_that_makes_the_scenario_invalid_is_refused_with_status_3(tmp_path):
    done = evacsim("sweep", str(BASELINE), "--vary", "convoys.size_max=0:40:10", "--out", str(tmp_path / "out"))
    assert done.returncode == 3
    assert "--vary factors.convoys.size_max" not in done.stderr and "convoys.size_max" in done.stderr and "narrow the range" in done.stderr


def test_a_vary_range_without_a_step_on_a_grid_is_a_usage_error_saying_what_to_write(tmp_path):
    done = evacsim("sweep", str(BASELINE), "--vary", "escort.teams=3:10", "-n", "5", "--out", str(tmp_path / "out"))
    assert done.returncode == 2, done.stderr
    said = " ".join(done.stderr.split())
    assert "--vary escort.teams=3:10 is a range without a step" in said and "--vary escort.teams=3:10:1" in said and "--design lhs --samples N" in said
    assert not (tmp_path / "out").exists()


def test_an_unknown_key_in_a_study_file_is_refused(tmp_path):
    study_file = tmp_path / "typo.toml"
    study_file.write_text(f'name = "t"\nscenario = "{BASELINE}"\nreplication = 5\n[factors]\nescort.teams = [2]\n')
    done = evacsim("sweep", str(study_file))
    assert done.returncode == 3 and f"{study_file}:3 replication: unknown key" in done.stderr


def test_a_non_empty_output_folder_is_never_overwritten_without_resume_or_force(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    done = evacsim("sweep", str(BASELINE), "--vary", "escort.teams=3,6", "-n", "2", "--jobs", "1", "--out", str(out))
    assert done.returncode == 4 and "--resume" in done.stderr and "--force" in done.stderr
    assert (out / "notes.txt").read_text() == "mine"


def test_a_column_only_later_rows_have_is_kept_with_nulls_before():
    """A comparison's batch mixes A's and B's rows; an input only B draws must not vanish from the table."""
    from sim.experiment.engine import rows_to_table

    table = rows_to_table([{"replication": 0, "days_to_base_empty": 30.0}, {"replication": 1, "days_to_base_empty": 31.0, "input.x": 2.5}])
    assert table.column_names == ["replication", "days_to_base_empty", "input.x"]
    assert table.column("input.x").to_pylist() == [None, 2.5]
    assert str(table.schema.field("replication").type) == "int64"


def test_an_lhs_sweep_table_gives_each_factor_its_unit_and_three_figures(tmp_path, baseline_path):
    # issue: the lhs sweep table showed "0.661965" hours per truck, without a unit
    from typer.testing import CliRunner

    from sim.cli import app

    out = tmp_path / "s"
    args = ["sweep", str(baseline_path), "--vary", "loading.hours_per_truck=0.5:2", "--vary", "cargo.staged_at_start=0.1:0.3"]
    result = CliRunner().invoke(app, [*args, "--design", "lhs", "--samples", "2", "-n", "2", "--jobs", "1", "--out", str(out)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    points = pd.read_csv(out / "points.csv")
    text = result.output
    assert "loading hours per truck (hours a truck)" in text and "share staged at the start (%)" in text
    for hours, staged in zip(points["loading.hours_per_truck"], points["cargo.staged_at_start"], strict=True):
        assert f"{hours:.3g}" in text and f"{100 * staged:.3g}" in text
        assert f"{hours:g}" not in text or f"{hours:g}" == f"{hours:.3g}"


def test_a_theatre_sweep_names_a_road_by_its_ends_and_its_unit_once(tmp_path):
    # issue: "road 6: speed kmh (legs.5.speed_kmh)" in the sweep's table, where the other studies said the road's ends
    from typer.testing import CliRunner

    from sim.cli import app

    theatre = ROOT / "scenarios" / "syria_2026_theatre.toml"
    args = ["sweep", str(theatre), "--vary", "legs.5.speed_kmh=40,60", "-n", "2", "--jobs", "1", "--out", str(tmp_path / "s")]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "al-Waleed crossing to Erbil / Harir road: speed (km/h)" in result.output
    assert "road 6" not in result.output and "(km/h) (km/h)" not in result.output


def test_ctrl_c_while_a_sweep_draws_its_figures_keeps_every_replication_and_says_how_to_draw_them(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import sim.plots.figures
    from sim.cli import app

    def interrupted(folder):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.plots.figures, "plot_results", interrupted)
    out = tmp_path / "drawing"
    result = CliRunner().invoke(app, ["sweep", str(BASELINE), "--vary", "escort.teams=3,4", "-n", "3", "--jobs", "1", "--out", str(out)])
    assert result.exit_code == 130, result.output
    said = " ".join(result.output.split())
    assert "interrupted while drawing the figures; the results are complete in" in said and f"evacsim plot {out} draws them" in said
    assert "Design points by" in said  # the answer was printed before the figures
    assert len(read_replications(out)) == 2 * 3 and (out / "points.csv").exists() and (out / "manifest.json").exists()
