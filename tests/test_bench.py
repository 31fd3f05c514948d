"""The benchmark reports consistent numbers (it never asserts that a speed target is met)."""

from __future__ import annotations

import math

import pytest

from benchmarks.bench import TARGETS, run_bench

RATES = ("raw_resource_events_per_s", "replications_per_s", "model_events_per_s", "replications_per_s_parallel")
KEYS = (
    *RATES,
    "events_per_replication",
    "parallel_speedup",
    "parallel_efficiency",
    "model_vs_raw",
    "replications_vs_raw",
    "simpy_share",
    "model_vs_raw_ceiling",
    "replications_vs_raw_wall",
    "model_vs_raw_wall",
    "raw_cpu_share",
    "targets",
    "python",
    "simpy",
    "numpy",
    "cpu_count",
    "date_utc",
)


@pytest.fixture(scope="module")
def bench() -> dict:
    return run_bench(seconds=2, jobs=2)


def test_bench_reports_every_figure(bench):
    assert set(KEYS) <= set(bench)


@pytest.mark.parametrize("rate", RATES)
def test_rates_are_positive_and_finite(bench, rate):
    assert math.isfinite(bench[rate]) and bench[rate] > 0


def test_a_replication_takes_more_than_a_hundred_events(bench):
    assert bench["events_per_replication"] > 100


def test_model_events_per_second_is_events_per_replication_times_replications_per_second(bench):
    assert bench["model_events_per_s"] == pytest.approx(bench["events_per_replication"] * bench["replications_per_s"])


def test_ratios_to_the_raw_loop_follow_from_the_rates(bench):
    raw = bench["raw_resource_events_per_s"]
    assert bench["model_vs_raw_of_sums"] == pytest.approx(bench["model_events_per_s"] / raw)
    assert bench["replications_vs_raw_of_sums"] == pytest.approx(bench["replications_per_s"] / raw)
    rounds = bench["replications_vs_raw_rounds"]
    assert bench["replications_vs_raw"] == rounds["median"]
    assert rounds["q25"] <= rounds["median"] <= rounds["q75"]
    assert rounds["relative_spread"] == pytest.approx((rounds["q75"] - rounds["q25"]) / rounds["median"])
    assert bench["rounds"] >= 3


def test_the_raw_loop_and_the_scenarios_are_timed_in_alternating_slices(monkeypatch):
    import benchmarks.bench as b
    from sim.replication import prepare
    from sim.scenario.loading import load_scenario

    order = []
    monkeypatch.setattr(b, "raw_resource_run", lambda until: (order.append("raw"), (1000, 0.01))[1])

    def model_slice(prepared, seed, first, wall_seconds, tally):
        order.append(prepared.scenario.scenario.name)
        tally.add(0.01, 500, 2, 10)
        return first + 2

    monkeypatch.setattr(b, "model_slice", model_slice)
    monkeypatch.setattr(b, "raw_resource_until", lambda wall: 10.0)
    baseline = prepare(load_scenario(b.resolve_scenario_path(b.BASELINE)).scenario)
    theatre = prepare(load_scenario(b.resolve_scenario_path(b.THEATRE)).scenario)
    raw, model, other = b.interleaved(baseline, 1, seconds=6.0, other=theatre, slice_seconds=0.5)
    assert order == ["raw", "qasrak_baseline", "syria_2026_theatre"] * 4 + ["raw"]
    assert len(raw.wall) == 5 and len(model.wall) == len(other.wall) == 4 and sum(model.replications) == 8


def test_round_ratios_are_taken_over_cpu_seconds_with_wall_seconds_beside_them():
    """A slice that waited for the core (wall 2 s, CPU 0.5 s) counts its CPU seconds: the yardstick's too."""
    import benchmarks.bench as b

    raw = b.Tally([1.0, 1.0], [1000, 1000], [0, 0], [0, 0], [0.5, 0.5])  # 1,000 events a wall second, 2,000 a CPU second
    baseline = b.Tally([2.0], [900], [10], [20], [0.5])
    theatre = b.Tally([1.0], [900], [2], [10], [0.75])
    reps, events = b.round_ratios(raw, baseline, "cpu")
    assert reps == [pytest.approx(10 / 0.5 / 2000)] and events == [pytest.approx(900 / 0.5 / 2000)]
    reps_wall, _ = b.round_ratios(raw, baseline, "wall")
    assert reps_wall == [pytest.approx(10 / 2.0 / 1000)]
    assert b.convoy_ratios(theatre, baseline, True, "cpu") == [pytest.approx((0.75 / 10) / (0.5 / 20))]
    assert b.convoy_ratios(baseline, theatre, False, "wall") == [pytest.approx((1.0 / 10) / (2.0 / 20))]


def test_the_bench_got_at_most_its_core(bench):
    assert 0 < bench["raw_cpu_share"] <= 1.05


def test_simpy_share_is_a_share_and_bounds_the_ratio_the_model_could_reach(bench):
    """If the model's own logic cost nothing, events per second would be SimPy's alone."""
    assert 0.05 < bench["simpy_share"] < 1
    assert bench["model_vs_raw_ceiling"] == pytest.approx(bench["model_vs_raw"] / bench["simpy_share"])
    assert bench["model_vs_raw_ceiling"] > bench["model_vs_raw"]


def test_speedup_and_efficiency_follow_from_the_rates(bench):
    speedup = bench["replications_per_s_parallel"] / bench["replications_per_s"]
    assert bench["parallel_speedup"] == pytest.approx(speedup)
    assert bench["parallel_efficiency"] == pytest.approx(speedup / bench["jobs"])


def test_each_target_records_its_value_and_whether_it_is_met(bench):
    assert set(bench["targets"]) == set(TARGETS)
    for name, target in bench["targets"].items():
        assert target["value"] == bench[name]
        assert target["target"] == TARGETS[name]
        assert target["met"] is (target["value"] >= target["target"])


def test_parallel_batches_last_at_least_half_a_second_at_the_one_core_rate(bench):
    assert bench["batch_size_parallel"] / bench["replications_per_s"] >= 0.5
    assert bench["replications_parallel"] >= bench["jobs"] * bench["batch_size_parallel"]


@pytest.mark.parametrize("seconds", [10.0, 20.0, 60.0])
def test_the_plan_spends_about_the_seconds_asked_for_on_the_whole_bench(seconds):
    from benchmarks.bench import bench_plan

    plan = bench_plan(seconds, replications_per_s=220.0, jobs=2)
    assert plan.estimated_seconds(220.0, 2) == pytest.approx(seconds, rel=0.25)
    assert plan.memory_replications[1] == 5 * plan.memory_replications[0]


def test_a_replay_size_given_is_kept():
    from benchmarks.bench import bench_plan

    assert bench_plan(20.0, 220.0, 2, replay_replications=1_000_000).replay_replications == 1_000_000


def test_a_busy_machine_is_warned_about_and_an_idle_one_is_not():
    from benchmarks.bench import busy_warning

    assert busy_warning(0.2, 2) is None
    assert "not meaningful" in busy_warning(3.5, 2) and "load average 3.5 on 2 cores" in busy_warning(3.5, 2)


def test_bench_command_shows_its_steps_warns_when_busy_and_keeps_stdout_json(monkeypatch):
    import json

    from typer.testing import CliRunner

    import benchmarks.bench
    import sim.cli
    from sim.cli import app

    steps = []

    class Bar:
        def __init__(self, *args, **kwargs):  # the bar's unit and workers
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def add_task(self, description, total=None):
            steps.append((description, total))
            return 0

        def update(self, task, advance=0, description=None):
            steps.append((description, advance))

    monkeypatch.setattr(benchmarks.bench, "machine_load", lambda: (3.0, 2))
    monkeypatch.setattr(sim.cli, "_progress", Bar)
    result = CliRunner().invoke(app, ["bench", "--seconds", "1", "--no-parallel", "--no-analysis"])
    assert steps[0] == ("bench: core rates", 1) and steps[1][1] == 1
    assert all("parallel" not in said and "analysis" not in said for said, _ in steps), steps  # a step turned off is not said
    assert result.exit_code == 0, result.output
    assert "warning: the machine is busy" in result.output
    figures = json.loads(result.stdout[result.stdout.index("{") :])
    assert figures["load_average"] == {"before": 3.0, "cores": 2, "busy": True}
    not_measured = {"jobs", "replications_parallel", "batch_size_parallel", "wall_seconds_parallel", "replications_per_s_parallel"}
    assert not (not_measured | {"parallel_speedup", "parallel_efficiency", "parallel", "analysis"}) & set(figures), sorted(figures)
    assert figures["replications_per_s"] > 0 and figures["seconds"] == 1


def test_the_routing_bench_reports_seconds_per_convoy_and_routing_per_road_at_each_size():
    from benchmarks.big_theatre import scaling

    figures = scaling(sizes=(2, 3), seconds=0.1)
    assert list(figures) == ["2", "3"]
    for size, f in figures.items():
        assert f["bases"] == int(size) and f["replications"] >= 2 and f["convoys_per_replication"] > 0
        assert f["seconds_per_convoy"] == pytest.approx(f["seconds_per_replication"] / f["convoys_per_replication"])
        assert 0 < f["cpu_seconds_per_convoy"] <= f["seconds_per_convoy"] * 1.05
        assert f["routing_seconds_per_leg"] == pytest.approx(f["routing_seconds_per_replication"] / f["legs"])
    assert figures["2"]["seconds_per_convoy_vs_smallest"] == 1.0
    for f in figures.values():  # the check that cost grows no faster than convoys is an output, not an assertion on speed
        assert f["proportional_limit"] == 2.0
        assert f["grows_no_faster_than_convoys"] == (f["cpu_seconds_per_convoy_vs_smallest"] <= 2.0)


def test_bench_scaling_adds_the_routing_bench_to_the_json(monkeypatch):
    import json

    from typer.testing import CliRunner

    import benchmarks.big_theatre
    from sim.cli import app

    monkeypatch.setattr(benchmarks.big_theatre, "scaling", lambda seconds: {"5": {"bases": 5, "seconds_per_convoy": 0.01}})
    result = CliRunner().invoke(app, ["bench", "--seconds", "1", "--no-parallel", "--no-analysis", "--scaling"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout[result.stdout.index("{") :])
    assert figures["theatre_scaling"] == {"5": {"bases": 5, "seconds_per_convoy": 0.01}}
