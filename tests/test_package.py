"""The package as a user installs it: typed, licensed, its version told truly, every dependency's licence listed."""

from __future__ import annotations

import importlib.metadata as metadata
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import sim

ROOT = Path(__file__).resolve().parents[1]
DISTRIBUTION = "evacsim"


def _name(text: str) -> str:
    """A distribution name as PEP 503 compares them: ``PyYAML`` and ``pyyaml``, ``typing_extensions`` and ``typing-extensions``."""
    return re.sub(r"[-_.]+", "-", text).lower()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """The wheel pip builds from a copy of the project (the working tree is left as it is)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "sim", source / "sim", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp / "dist"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--quiet", "--wheel-dir", str(out)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"pip could not build the wheel:\n{done.stderr}"
    (path,) = out.glob("evacsim-*.whl")
    return zipfile.ZipFile(path)


def _wheel_metadata(wheel: zipfile.ZipFile) -> str:
    (name,) = (n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    return wheel.read(name).decode()


def test_wheel_ships_py_typed_so_type_checkers_read_its_annotations(wheel: zipfile.ZipFile) -> None:
    assert "sim/py.typed" in wheel.namelist()
    assert any(n.startswith("sim/report/templates/") and n.endswith(".j2") for n in wheel.namelist())


def test_wheel_says_gpl_3_or_later_and_carries_the_licence_text(wheel: zipfile.ZipFile) -> None:
    assert "License-Expression: GPL-3.0-or-later" in _wheel_metadata(wheel).splitlines()
    (text,) = (n for n in wheel.namelist() if n.endswith(".dist-info/licenses/LICENSE"))
    assert wheel.read(text).decode().lstrip().startswith("GNU GENERAL PUBLIC LICENSE\n                       Version 3, 29 June 2007")


def test_installed_package_has_py_typed() -> None:
    assert (Path(sim.__file__).parent / "py.typed").is_file()


def test_version_is_the_installed_distributions() -> None:
    if not hasattr(sim, "__version__"):
        pytest.skip("sim.__version__ does not exist yet")
    assert sim.__version__ == metadata.version(DISTRIBUTION)


def _installed_closure(requirements: list[str], extra: str) -> set[str]:
    """Every distribution installed because of ``requirements`` (as evaluated with ``extra``), followed down;
    an extra naming others (``evacsim[dask,plan,discover]``) is followed into each of them."""
    found: set[str] = set()
    seen_extras: set[str] = set()
    stack = [r for r in requirements if not (req := Requirement(r)).marker or req.marker.evaluate({"extra": extra})]
    while stack:
        req = Requirement(stack.pop())
        name = _name(req.name)
        if name == _name(DISTRIBUTION):  # evacsim's own extras, as `all` names them
            for sub_extra in req.extras - seen_extras:
                seen_extras.add(sub_extra)
                stack += [r for r in requirements if (m := Requirement(r).marker) is not None and m.evaluate({"extra": sub_extra})]
            continue
        if name in found:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # a requirement of another platform or Python
        found.add(name)
        wanted = {"extra": next(iter(req.extras), "")}
        stack += [r for r in dist.requires or [] if not (sub := Requirement(r)).marker or sub.marker.evaluate(wanted)]
    return found


def test_every_installed_dependency_has_its_licence_in_docs_licences() -> None:
    """docs/LICENCES.md justifies the project's licence by its dependencies': a new one must be listed there."""
    listed = {_name(m.group(1)) for m in re.finditer(r"^\| \**([A-Za-z0-9_.-]+)\**(?: \(with `\w+`\))? \|", (ROOT / "docs" / "LICENCES.md").read_text(), re.M)}
    requires = metadata.distribution(DISTRIBUTION).requires or []
    installed = set.union(*(_installed_closure(requires, extra) for extra in ("", "all", "test"))) - {_name(DISTRIBUTION)}
    assert installed, "found no installed dependency: is evacsim installed?"
    missing = sorted(installed - listed)
    assert not missing, f"add these to docs/LICENCES.md with their licence: {', '.join(missing)}"


def test_the_core_install_needs_no_gpl_package_prim_is_an_extra() -> None:
    """docs/LICENCES.md: the core install (no extra) is all permissive; PRIM (GPL-3.0-or-later) comes with `discover`."""
    from packaging.requirements import Requirement as R

    text = (ROOT / "pyproject.toml").read_text()
    import tomllib

    project = tomllib.loads(text)["project"]
    core = {_name(R(r).name) for r in project["dependencies"]}
    extras = {k: {_name(R(r).name) for r in v} for k, v in project["optional-dependencies"].items()}
    assert "prim" not in core and extras["discover"] == {"prim"}
    assert {"optuna", "dask", "distributed"}.isdisjoint(core) and extras["plan"] == {"optuna"} and extras["dask"] == {"dask"}
    assert "cycler" in core  # imported by sim.plots.style
    assert {"starlette", "uvicorn"}.isdisjoint(core) and extras["serve"] == {"starlette", "uvicorn"}
    assert project["optional-dependencies"]["all"] == ["evacsim[dask,plan,discover,serve]"]


def _runtime_imports(path: Path) -> set[str]:
    """Top-level names of the modules a source file imports when it runs (imports under ``if TYPE_CHECKING:`` are for mypy only)."""
    import ast

    tree = ast.parse(path.read_text())
    guards = [node for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)]
    typing_only = {id(n) for guard in guards for b in guard.body for n in ast.walk(b)}
    names = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_every_third_party_import_in_sim_is_declared_in_pyproject() -> None:
    """Declare what you import: every package sim/ imports at run time is a dependency or an extra, not only another's requirement."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_name(Requirement(r).name) for r in project["dependencies"]}
    declared |= {_name(Requirement(r).name) for extra in project["optional-dependencies"].values() for r in extra}
    declared |= {_name(e) for r in project["optional-dependencies"]["dask"] for e in Requirement(r).extras}  # dask[distributed]
    modules = set().union(*(_runtime_imports(p) for p in (ROOT / "sim").rglob("*.py"))) - set(sys.stdlib_module_names) - {"sim"}
    assert {"cycler", "markupsafe", "networkx"} <= modules  # the check sees what sim imports
    by_module = metadata.packages_distributions()
    undeclared = sorted(m for m in modules if not {_name(d) for d in by_module.get(m, [m])} & declared)
    assert not undeclared, f"sim/ imports these but pyproject.toml does not declare them: {', '.join(undeclared)}"
