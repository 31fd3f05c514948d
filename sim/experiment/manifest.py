"""The results-folder contract: every folder a study writes holds a ``manifest.json`` saying what it is.

A :class:`Manifest` names the folder's ``kind`` (the command that wrote it), what was run
(the scenario resolved, its hash, ``--set`` overrides, seed) and how (versions, commit,
command line, time); each kind adds its own fields (a run its replications, a sweep its
study and factors...) and lists the files it holds (:data:`KIND_FILES`, which a kind may
grow). Studies write their folder through :func:`write_manifest`; plots, the report and
every command read one through :func:`read_manifest` or :func:`results_kind`, never by
guessing from the files present.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, ValidationError

from sim.experiment.storage import OutputError, holds_results, remove_leftovers, scenario_hash, write_json

MANIFEST = "manifest.json"

KIND_FILES: dict[str, tuple[str, ...]] = {
    "run": ("summary.json", "replications.parquet", "burndown.parquet"),
    "sweep": ("design.parquet", "points.csv", "replications.parquet"),
    "compare": ("comparison.json", "paired_days.parquet"),
    "sensitivity-tornado": ("tornado.csv", "points.csv", "replications.parquet"),
    "sensitivity-morris": ("morris.csv", "points.csv", "replications.parquet"),
    "sensitivity-sobol": ("sobol.csv", "points.csv", "replications.parquet"),
    "calibrate": ("calibration.csv", "replications.parquet"),
    "marginal": ("marginal.csv", "replications.parquet"),
    "evidence": ("evidence.csv", "tornado.csv", "replications.parquet"),
    "discover": ("discovery.json",),
    "nowcast": ("nowcast.json", "weights.parquet"),
    "backtest": ("backtest.csv",),
    "plan": ("plan.csv",),
}
"""The files each kind of results folder holds besides its manifest (a kind may add more)."""

KINDS: tuple[str, ...] = tuple(KIND_FILES)


class ResultsFolderError(Exception):
    """A folder that holds no results evacsim can read (exit status 3); the message says which folder and why."""


class Manifest(BaseModel):
    """What a results folder is: its kind, what was run and how; a kind's own fields are kept as extra fields.

    ``scenario`` is the resolved scenario (``model_dump(mode="json")``), written last so that
    the header stays readable at the top of the file.
    """

    model_config = ConfigDict(extra="allow")

    scenario_path: str = ""
    scenario_sha256: str = ""
    overrides: list[str] = []
    seed: int | None = None
    created_utc: str = ""
    command: str = ""
    versions: dict[str, str] = {}
    git_commit: str | None = None
    kind: str

    @property
    def scenario(self) -> dict[str, Any]:
        """The resolved scenario the folder was run on (empty for kinds run on several, such as a backtest)."""
        return dict((self.model_extra or {}).get("scenario") or {})

    def get(self, key: str, default: Any = None) -> Any:
        """A field by name, the kind's own fields included (``manifest.get("replications")``)."""
        return self.as_dict().get(key, default)

    def __getitem__(self, key: str) -> Any:
        found = self.as_dict()
        if key not in found:
            raise KeyError(key)
        return found[key]

    def __contains__(self, key: object) -> bool:
        return key in self.as_dict()

    def as_dict(self) -> dict[str, Any]:
        """The manifest as ``manifest.json`` holds it: the header, the kind's fields, the scenario last."""
        out = self.model_dump(mode="json")
        scenario = out.pop("scenario", None)
        if scenario is not None:
            out["scenario"] = scenario
        return out

    def files(self) -> tuple[str, ...]:
        """The files a folder of this kind holds besides the manifest."""
        return KIND_FILES.get(self.kind, ())


def new_manifest(
    kind: str,
    scenario: dict[str, Any] | None = None,
    scenario_path: str = "",
    overrides: list[str] | tuple[str, ...] = (),
    seed: int | None = None,
    **fields: Any,
) -> Manifest:
    """A manifest for a folder of ``kind`` being written now: the header filled in (time, versions, commit,
    command line), the kind's ``fields`` after it, the resolved ``scenario`` last."""
    if kind not in KIND_FILES:
        raise ValueError(f"unknown kind of results {kind!r}; one of {', '.join(KINDS)}")
    header = {
        "scenario_path": scenario_path,
        "scenario_sha256": scenario_hash(scenario or {}),
        "overrides": list(overrides),
        "seed": seed,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["evacsim", *sys.argv[1:]]),
        "versions": package_versions(),
        "git_commit": git_commit(),
        "kind": kind,
    }
    return Manifest.model_validate({**header, **fields, "scenario": scenario or {}})


def write_manifest(folder: Path, manifest: Manifest) -> Path:
    """Write ``folder/manifest.json`` atomically."""
    return write_json(folder / MANIFEST, manifest.as_dict())


def read_manifest(folder: Path | str, kind: str | tuple[str, ...] | None = None) -> Manifest:
    """The manifest of a results folder; with ``kind``, one of those kinds only.

    Raises :class:`ResultsFolderError` naming the folder when it has no readable manifest, or one
    of another kind.
    """
    folder = Path(folder)
    path = folder / MANIFEST
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsFolderError(f"{folder}: no {MANIFEST}, so it holds no results of evacsim; give a folder an evacsim command wrote") from None
    except ValueError as exc:
        raise ResultsFolderError(f"{path}: not a JSON file evacsim wrote ({exc}); write the folder again, or restore the file") from None
    except OSError as exc:
        raise ResultsFolderError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not isinstance(found, dict):
        raise ResultsFolderError(f"{path}: holds a JSON {type(found).__name__}, not the object evacsim writes; write the folder again, or restore the file")
    found.setdefault("kind", "run")  # runs written before kinds were recorded
    try:
        manifest = Manifest.model_validate(found)
    except ValidationError as exc:
        raise ResultsFolderError(f"{path}: not a manifest evacsim can read ({exc.errors()[0]['msg']})") from None
    wanted = (kind,) if isinstance(kind, str) else kind
    if wanted and manifest.kind not in wanted:
        raise ResultsFolderError(f"{folder}: holds the results of evacsim {manifest.kind}, not of evacsim {' or '.join(wanted)}")
    return manifest


def results_kind(folder: Path) -> str | None:
    """The kind of results ``folder`` holds (its manifest's), None when it has no manifest,
    ``unreadable manifest`` when it has one that cannot be read."""
    if not (folder / MANIFEST).exists():
        return None
    try:
        return read_manifest(folder).kind
    except ResultsFolderError:
        return "unreadable manifest"


def check_same_kind(out: Path, kind: str | None) -> None:
    """``--force`` overwrites results of the same command only: files of another command's
    results (a sweep's dataset, a run's summary) would be left half-replaced and misread."""
    found = results_kind(out) if kind else None
    if found is not None and found != kind:
        raise OutputError(
            f"{out}: holds the results of evacsim {found}, and --force only overwrites results of the same command (evacsim {kind}); choose another --out"
        )


def prepare_out_dir(out: Path, force: bool = False, kind: str | None = None) -> Path:
    """Use ``out`` as the results folder of command ``kind``; refuse a non-empty one unless ``force``,
    and even then one holding another command's results. Temporaries left by a killed
    command do not count and are removed."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder; choose another --out")
    if out.exists() and holds_results(out):
        if not force:
            raise OutputError(f"{out}: folder is not empty; choose another --out or pass --force to overwrite its files")
        check_same_kind(out, kind)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out}: cannot create the results folder ({exc.strerror or exc})") from None
    remove_leftovers(out)
    return out


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages that decide the bits of a result."""
    out = {"python": sys.version.split()[0]}
    for name in ("evacsim", "simpy", "numpy", "scipy", "pandas", "pydantic", "pyarrow", "matplotlib", "dask", "distributed", "SALib"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def git_commit() -> str | None:
    """The commit of the evacsim checkout in use, if it is one."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def design_factors(folder: Path, columns: Iterable[str]) -> list[str] | None:
    """The design factors of a sweep or sensitivity folder that its replication rows carry as
    ``input.<path>`` columns (``columns``: the rows' column names); None for a folder without a design (a run)."""
    design = folder / "design.parquet"
    if not design.exists():
        return None
    names = [c for c in pq.read_schema(design).names if c not in ("point", "variant")]
    present = set(columns)
    return [c for c in names if f"input.{c}" in present] or None
