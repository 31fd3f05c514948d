"""The README is short and true (issue 20): at most about 200 lines, every link resolves, every command it shows is a
command of evacsim, and its exit statuses are those the commands use."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from sim.cli import app
from sim.commands import _console

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_is_short():
    assert len(README.splitlines()) <= 200


def test_every_link_and_image_of_the_readme_resolves():
    targets = re.findall(r"\]\(([^)#]+)\)", README)
    assert len(targets) >= 10
    missing = [t for t in targets if not t.startswith("http") and not (ROOT / t).exists()]
    assert not missing, missing


def test_every_command_the_readme_shows_is_an_evacsim_command():
    names = set(typer.main.get_command(app).commands)
    shown = set(re.findall(r"(?m)^\s*evacsim ([a-z]+)", "\n".join(re.findall(r"```sh\n(.*?)```", README, re.S))))
    shown |= set(re.findall(r"`evacsim ([a-z]+)", README))
    assert {"run", "marginal", "plan", "evidence", "nowcast", "backtest", "report"} <= shown
    assert shown <= names, shown - names


def test_the_readme_gives_the_exit_statuses_the_commands_use():
    said = README[README.index("## Exit status") :]
    for status in (_console.EXIT_USAGE, _console.EXIT_BAD_INPUT, _console.EXIT_OUTPUT, _console.EXIT_WORKERS, _console.EXIT_INTERRUPTED):
        assert f"`{status}`" in said


def test_the_readme_answers_with_the_date_and_the_chance_of_being_out_by_day_30():
    answer = README[README.index("## The answer") : README.index("## The whole withdrawal")]
    from sim.names import date_words

    assert date_words("2026-03-10") in answer and "P(out by day 30" in answer and "assumption" in answer  # as the console writes it
