"""The library API: `import sim` is cheap and exposes every study; the worked example of docs/API.md runs as written."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import sim
from sim.cli import app

ROOT = Path(__file__).resolve().parent.parent
PLAN_FILE = ROOT / "scenarios" / "studies" / "plan_20_days.toml"
STUDIES = ["backtest", "calibrate", "compare", "discover", "evidence", "load", "marginal", "nowcast", "plan", "run", "sensitivity", "sweep", "write_report"]


def test_import_sim_loads_neither_the_model_nor_numpy():
    code = "import sys, sim; print(json.dumps([m for m in ('numpy', 'simpy', 'pandas', 'sim.api') if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", "import json; " + code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []


def test_the_command_line_help_loads_neither_scipy_nor_the_model():
    code = "import sys, json, sim.cli; print(json.dumps([m for m in ('scipy', 'numpy', 'simpy', 'pandas', 'sim.api') if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []


def test_validate_reads_a_scenario_without_the_results_stack():
    # validate took 3.5 s, 1.9 of them importing the report's figures, statistics and pandas it never uses
    code = (
        "import sys, json, runpy\n"
        "sys.argv = ['evacsim', 'validate', sys.argv[1]]\n"
        "try:\n    runpy.run_module('sim', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print(json.dumps([m for m in ('pandas', 'pyarrow', 'matplotlib', 'sim.report.render', 'sim.api') if m in sys.modules]), file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code, str(ROOT / "scenarios" / "qasrak_baseline.toml")], capture_output=True, text=True, cwd=ROOT)
    assert "source" in done.stdout, done.stderr
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []


def test_every_study_is_in_all_and_resolves_to_the_api():
    from sim import api

    assert sorted(set(sim.__all__) - {"__version__", "StudyOptions"}) == STUDIES
    assert sim.StudyOptions is api.StudyOptions
    for name in STUDIES:
        assert getattr(sim, name) is getattr(api, name)
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", sim.__version__)


def test_version_is_printed_by_the_command_line():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"evacsim {sim.__version__}"


def test_the_worked_example_of_the_api_document_runs_and_writes_folders_the_commands_read(tmp_path, monkeypatch, capsys):
    text = (ROOT / "docs" / "API.md").read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "docs/API.md", "exec"), {})
    said = capsys.readouterr().out
    assert re.search(r"P\(15-30 days\) = \d+% \(\d+%-\d+%\)", said) and "120 contracted trucks:" in said
    run = tmp_path / "results" / "api-run"
    assert json.loads((run / "manifest.json").read_text())["kind"] == "run"
    assert len(pd.read_parquet(run / "replications.parquet")) == 200
    assert (tmp_path / "results" / "api-tornado" / "tornado.csv").exists()
    report = CliRunner().invoke(app, ["report", str(run)])
    assert report.exit_code == 0, report.output
    assert (run / "report.html").exists()


def test_a_shared_option_a_study_has_no_use_for_is_refused_never_ignored(tmp_path):
    from sim import api

    baseline = ROOT / "scenarios" / "qasrak_baseline.toml"
    for call, word in (
        (lambda: api.run(baseline, 5, resume=True, out=tmp_path / "run"), "run takes no resume"),
        (lambda: api.backtest(options=api.StudyOptions(measure="window"), out=tmp_path / "b"), "backtest takes no measure"),
        (lambda: api.calibrate(baseline, options=api.StudyOptions(base="rmelan", precise=True)), "calibrate takes no base"),
        (lambda: api.sweep(baseline, ["escort.teams=3,6"], precise=True, out=tmp_path / "s"), "sweep takes no precise"),
        (lambda: api.plan(baseline, PLAN_FILE, options=api.StudyOptions(precise=True, out=tmp_path / "p")), "plan takes no precise"),
    ):
        try:
            call()
        except api.UsageError as exc:
            assert word in str(exc)
        else:
            raise AssertionError(f"expected a UsageError: {word}")
    assert not any(tmp_path.iterdir())  # refused before any folder is made


def test_options_in_one_object_or_one_by_one_run_the_same_study(tmp_path):
    from sim import api

    baseline = ROOT / "scenarios" / "qasrak_baseline.toml"
    one = api.run(baseline, 12, options=api.StudyOptions(seed=3, overrides=["fleet.civilian.count=90"], out=tmp_path / "one"), figures=False)
    two = api.run(baseline, 12, seed=3, overrides=["fleet.civilian.count=90"], out=tmp_path / "two", figures=False)
    other = api.StudyOptions(seed=99, out=tmp_path / "x")
    laid = api.run(baseline, 12, options=other, seed=3, overrides=["fleet.civilian.count=90"], out=tmp_path / "three", figures=False)
    tables = [pd.read_parquet(r.folder / "replications.parquet") for r in (one, two, laid)]
    pd.testing.assert_frame_equal(tables[0], tables[1])
    pd.testing.assert_frame_equal(tables[0], tables[2])  # keywords are laid over the object


def test_the_commands_build_the_options_object_from_their_flags_in_one_place():
    from sim import api
    from sim.commands._options import MeasureChoice, study_options

    o = study_options(None, None, set_=None, out=None, measure=MeasureChoice.out_by_day, by_day=20.0)
    assert o == api.StudyOptions(overrides=[], measure="out-by-day", by_day=20.0)  # no --set: none; no --seed: the study's default
    assert study_options(seed=7, set_=["escort.teams=4"], resume=True, precise=True) == api.StudyOptions(
        seed=7, overrides=["escort.teams=4"], resume=True, precise=True
    )
    from sim.commands._options import DEFAULT_SEED

    assert DEFAULT_SEED == api.DEFAULT_SEED  # the commands' default seed is the library's


def test_sweep_and_plan_take_the_options_object_and_a_study_file_gives_the_seed_unless_one_is_given(tmp_path):
    """``seed`` None is the study's own: a sweep's study file's seed, else 20260223; a given seed wins."""
    from sim import api

    baseline = ROOT / "scenarios" / "qasrak_baseline.toml"
    study = tmp_path / "study.toml"
    study.write_text(f'name = "s"\nscenario = "{baseline}"\nreplications = 2\nseed = 4\n\n[factors]\nescort.teams = [3, 6]\n')
    own = api.sweep(study, figures=False, options=api.StudyOptions(out=tmp_path / "own"))
    given = api.sweep(study, figures=False, options=api.StudyOptions(seed=9, out=tmp_path / "given"))
    plain = api.sweep(baseline, ["escort.teams=3,6"], replications=2, figures=False, out=tmp_path / "plain")
    seeds = [json.loads((r.folder / "manifest.json").read_text())["seed"] for r in (own, given, plain)]
    assert seeds == [4, 9, api.DEFAULT_SEED]
    assert api.StudyOptions().seed is None and api.StudyOptions().seed_or() == api.DEFAULT_SEED == 20260223
    assert api.StudyOptions().seed_or(4) == 4 and api.StudyOptions(seed=9).seed_or(4) == 9


def test_the_crew_in_words_is_the_one_base_file_s_or_a_theatre_s_main_base_s_own(tmp_path):
    from sim.api import _crews
    from sim.scenario.loading import load_scenario
    from tests.theatre_tables import crossing, leg, small_base, small_theatre, to_toml

    assert _crews(load_scenario(Path("scenarios/qasrak_baseline.toml")).scenario) == {None: ("2 people", "vehicles.crew")}
    main = small_base()
    main["vehicles"] = {"count": 4, "crew": 3, "source": "t: test"}
    table = small_theatre({"a": main, "b": small_base(), "x": crossing()}, [leg("a", "x", 100), leg("b", "x", 100), leg("x", "erbil", 100)])
    path = tmp_path / "t.toml"
    path.write_text(to_toml(table))
    crews = _crews(load_scenario(path).scenario)
    assert crews[None] == crews["a"] == ("3 people", "sites.a.vehicles.crew")


def test_python_callers_are_told_keyword_arguments_not_command_line_options(tmp_path):
    from sim import api

    baseline = ROOT / "scenarios" / "qasrak_baseline.toml"
    (tmp_path / "mine.txt").write_text("a user's file")
    with pytest.raises(api.OutputError) as refused:
        api.run(baseline, 3, out=tmp_path, jobs=1)
    said = str(refused.value)
    assert "pass force=True" in said and "--force" not in said and "another out=" in said, said
    with pytest.raises(api.UsageError) as both:
        api.sweep(baseline, ["escort.teams=3,6"], resume=True, force=True, out=tmp_path / "s")
    assert "give resume=True or force=True, not both" in str(both.value)


def test_the_docs_give_discover_s_real_default_and_serve_s_real_gap():
    import inspect

    from sim import api

    assert inspect.signature(api.discover).parameters["target"].default is None
    table_row = next(line for line in (ROOT / "docs" / "API.md").read_text().splitlines() if line.startswith("| `sim.discover("))
    assert table_row.startswith("| `sim.discover(results, target=None)`") and 'default `"days <= 30"`' in table_row
    serve = (ROOT / "docs" / "SERVE.md").read_text()
    assert "does not have yet (a deadline)" not in serve and "the page has no deadline lever" in serve
