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
import shlex
import subprocess
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, ValidationError

from sim.experiment.storage import OutputError, fingerprint, holds_results, lock_folder, remove_leftovers, scenario_hash, sha256_of, write_json

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

WRITTEN_FILES: tuple[str, ...] = (
    "report.html",
    "report.md",
    "network.json",
    "tornado_replications.parquet",
    "morris_p_window.csv",
    "sobol_p_window.csv",
    "prim_trajectory.csv",
    "prim_box.csv",
    "candidates.csv",
    "pareto.csv",
    "plan.json",
    "chunks",
)
"""Files some command writes beside its kind's own (:data:`KIND_FILES`): ``--force`` removes them with those."""

FIGURE_NAMES: tuple[str, ...] = (
    "theatre_completion",
    "theatre_network",
    "theatre_burndown",
    "completion",
    "burndown",
    "waits",
    "timeline",
    "sweep_factors",
    "sweep_heatmap",
    "compare",
    "tornado",
    "morris",
    "morris_p_window",
    "sobol",
    "sobol_p_window",
    "calibration",
    "marginal",
    "discovery",
    "nowcast",
    "evidence",
    "backtest",
    "plan",
)
"""Stems of every figure evacsim draws into a results folder (PNG and SVG); kept equal to the figures' own list by a test."""

CHECKSUMS = "checksums"
"""The manifest's field of SHA-256 checksums: each result file (each Parquet part, the summary) by its path in the folder."""
CONTENT = "content_sha256"
"""The manifest's checksum of its own content (every other field): an edited seed, count or kind shows."""


class ResultsFolderError(Exception):
    """A folder that holds no results evacsim can read (exit status 3); the message says which folder and why."""


class FolderMismatch(ResultsFolderError):
    """A results folder whose files are not those its manifest records (edited, corrupt, truncated, mixed): exit status 3."""


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
        "command": shlex.join(["evacsim", *sys.argv[1:]]),
        "versions": package_versions(),
        "git_commit": git_commit(),
        "kind": kind,
    }
    return Manifest.model_validate({**header, **fields, "scenario": scenario or {}})


def write_manifest(folder: Path, manifest: Manifest) -> Path:
    """Write ``folder/manifest.json`` atomically, with the checksum of each result file the folder holds now
    (:func:`result_files`) and of its own content, so that readers can tell a folder edited, corrupted or mixed since."""
    body = json.loads(json.dumps(manifest.as_dict(), default=str))
    scenario = body.pop("scenario", None)
    body.pop(CONTENT, None)
    body[CHECKSUMS] = {name: sha256_of(folder / name) for name in result_files(folder, manifest.kind)}
    body[CONTENT] = fingerprint({**body, **({"scenario": scenario} if scenario is not None else {})})
    if scenario is not None:
        body["scenario"] = scenario  # last, as ever: the header stays readable at the top
    return write_json(folder / MANIFEST, body)


def result_files(folder: Path, kind: str) -> list[str]:
    """The result files of ``folder`` that its manifest vouches for, by path inside the folder: the kind's own files and every
    Parquet file, a table kept as parts (``replications.parquet/part-*.parquet``) part by part. Figures and reports are not
    results: they are drawn again from these."""
    names = [*KIND_FILES.get(kind, ()), "network.json", *(p.name for p in sorted(folder.glob("*.parquet")))]
    found = []
    for name in dict.fromkeys(names):
        path = folder / name
        if path.is_dir() and not path.is_symlink():
            found += [f"{name}/{part.name}" for part in sorted(path.glob("part-*.parquet"))]
        elif path.is_file():
            found.append(name)
    return found


def verify_folder(folder: Path | str, kind: str | tuple[str, ...] | None = None) -> Manifest:
    """The manifest of ``folder`` once its files are checked against it: its own content, every result file it records
    (present, the same bytes) and no part it does not record. Raises :class:`FolderMismatch` naming the first file that
    differs, :class:`ResultsFolderError` for a folder with no readable manifest. A manifest written before checksums were
    recorded is checked for the file that makes its kind (a run's summary, a sweep's design)."""
    folder = Path(folder)
    manifest = read_manifest(folder, kind)
    path = folder / MANIFEST
    body = json.loads(path.read_text(encoding="utf-8"))
    redo = f"write the folder again ({command_of(manifest.kind)} with --force into it), or restore the file"
    if CONTENT in body and fingerprint({k: v for k, v in body.items() if k != CONTENT}) != body[CONTENT]:
        raise FolderMismatch(
            f"{path}: was changed after evacsim wrote it (its content no longer matches the checksum it carries), so its kind, seed, "
            f"replications and scenario cannot be trusted; {redo}"
        )
    recorded = body.get(CHECKSUMS)
    complete = body.get("status", "complete") == "complete"  # a sweep still running has parts its manifest cannot know yet
    if isinstance(recorded, dict) and complete:
        _check_files(folder, recorded, redo)
    own = KIND_FILES.get(manifest.kind, ())[:1]  # the file that makes a folder of its kind (a run's summary, a sweep's design)
    if complete and not isinstance(recorded, dict) and own and not (folder / own[0]).exists():
        raise FolderMismatch(
            f"{path}: says the folder holds the results of {command_of(manifest.kind)}, but it has no {own[0]}: "
            f"the manifest's kind was changed or the folder is incomplete; {redo}"
        )
    return manifest


def _check_files(folder: Path, recorded: dict[str, Any], redo: str) -> None:
    """Each recorded file present with its recorded bytes, and no part beside them in a table kept as parts."""
    for name, digest in recorded.items():
        path = folder / name
        if not path.exists() and not path.is_symlink() and name.endswith(".csv"):
            continue  # a table gone: the figure drawn from it says so, and which command draws it again
        if path.is_symlink() or not path.is_file():
            raise FolderMismatch(f"{path}: is missing (or is no longer a plain file), though {folder / MANIFEST} records it; {redo}")
        if sha256_of(path) != digest:
            raise FolderMismatch(
                f"{path}: is not the file evacsim wrote (its SHA-256 differs from the one {folder / MANIFEST} records: edited, truncated or corrupt); {redo}"
            )
    tables = {name.split("/")[0] for name in recorded if "/" in name}
    for table in sorted(tables):
        for part in sorted((folder / table).glob("part-*.parquet")):
            if f"{table}/{part.name}" not in recorded:
                raise FolderMismatch(f"{part}: is a part {folder / MANIFEST} does not record (another study's replications, or one added by hand); {redo}")


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
    if found["kind"] not in KIND_FILES:
        raise ResultsFolderError(
            f"{path}: its kind {str(found['kind'])[:60]!r} is none evacsim writes ({', '.join(KINDS)}); the manifest was edited: "
            "write the folder again with the command that made it, or restore the file"
        )
    try:
        manifest = Manifest.model_validate(found)
    except ValidationError as exc:
        raise ResultsFolderError(f"{path}: not a manifest evacsim can read ({exc.errors()[0]['msg']})") from None
    wanted = (kind,) if isinstance(kind, str) else kind
    if wanted and manifest.kind not in wanted:
        raise ResultsFolderError(f"{folder}: holds the results of {command_of(manifest.kind)}, not of {' or '.join(command_of(k) for k in wanted)}")
    return manifest


def kinds_in_words() -> str:
    """The commands that write a results folder, from :data:`KIND_FILES` (the three sensitivity methods as one):
    ``run, sweep, compare, sensitivity, ..., backtest or plan``."""
    names = list(dict.fromkeys(kind.split("-")[0] for kind in KINDS))
    return ", ".join(names[:-1]) + " or " + names[-1]


def not_results_folder(folder: Path) -> str:
    """Why ``folder`` is refused as a results folder when it has no manifest (every command that reads one says the
    same): what each kind holds, and, when it holds replications, that the command that wrote it did not finish."""
    run, sweep = KIND_FILES["run"], KIND_FILES["sweep"]
    text = (
        f"{folder}: not a results folder (a run has {', '.join([*run, MANIFEST])}; a sweep has {', '.join([*sweep, MANIFEST])}; "
        f"every other kind has {MANIFEST} and its tables)"
    )
    if (folder / "replications.parquet").exists():
        text += (
            f": it holds replications but no {MANIFEST}, so the command that wrote it did not finish (it was stopped or killed) "
            "and its figures would stand on part of the replications; run that command again into it with --force (a sweep, "
            "an analysis or a plan finishes with --resume)"
        )
    return text + f"; give a folder written by evacsim {kinds_in_words()}"


def results_kind(folder: Path) -> str | None:
    """The kind of results ``folder`` holds (its manifest's), None when it has no manifest,
    ``unreadable manifest`` when it has one that cannot be read."""
    if not (folder / MANIFEST).exists():
        return None
    try:
        return read_manifest(folder).kind
    except ResultsFolderError:
        return "unreadable manifest"


def command_of(kind: str) -> str:
    """The command line that writes a folder of ``kind``, as a user types it and in backquotes: ```evacsim run```,
    ```evacsim sensitivity --method morris``` (kind ``sensitivity-morris``, which is no command)."""
    command, _, method = kind.partition("-")
    return f"`evacsim {command} --method {method}`" if method else f"`evacsim {command}`"


def check_same_kind(out: Path, kind: str | None, resume: bool = False) -> None:
    """``--force`` overwrites, and ``--resume`` continues, results of the same command only: files of another command's
    results (a sweep's dataset, a run's summary) would be left half-replaced and misread. The message answers the
    option given and names both commands as a user types them (:func:`command_of`)."""
    found = results_kind(out) if kind else None
    if kind is None or found is None or found == kind:
        return
    held = f"{out}: holds the results of {command_of(found)}" if found != "unreadable manifest" else f"{out}: holds results whose {MANIFEST} cannot be read"
    if resume:
        raise OutputError(
            f"{held}, so --resume cannot continue {command_of(kind)} there; give another --out, or resume that study with the command that wrote it"
        )
    raise OutputError(f"{held}, and --force only overwrites results of the same command ({command_of(kind)}); choose another --out")


def prepare_out_dir(out: Path, force: bool = False, kind: str | None = None, keep: bool = False, keep_parts: bool = False) -> Path:
    """Use ``out`` as the results folder of command ``kind``, holding its writer's lock (:func:`lock_folder`); refuse a
    non-empty one unless ``force``, and even then one holding another command's results. With ``force``, the files evacsim
    wrote there before are removed first (:func:`remove_written`), a user's own files never; ``keep`` (a resume) keeps them,
    ``keep_parts`` keeps the tables kept as parts (an analysis reuses those of the very same study, checked part by part).
    Temporaries left by a killed command do not count and are removed."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder; choose another --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out}: cannot create the results folder ({exc.strerror or exc})") from None
    lock_folder(out)
    if holds_results(out):
        if not force:
            raise OutputError(f"{out}: folder is not empty; choose another --out or pass --force to overwrite its files")
        check_same_kind(out, kind, resume=keep)
        if not keep:
            remove_written(out, keep_parts)
    remove_leftovers(out)
    return out


def remove_written(folder: Path, keep_parts: bool = False) -> None:
    """Remove what evacsim wrote in ``folder`` (``--force``): the files its manifest records, every kind's files, the known
    figures and reports, and (unless ``keep_parts``) the parts of tables kept as parts; a user's own files (and folders
    holding them) stay."""
    recorded: dict[str, Any] = {}
    try:
        found = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        recorded = found.get(CHECKSUMS) or {} if isinstance(found, dict) else {}
    except (OSError, ValueError):
        pass
    names = {*(n.split("/")[0] for n in recorded if isinstance(n, str)), *(n for files in KIND_FILES.values() for n in files), *WRITTEN_FILES}
    names |= {f"{stem}.{ext}" for stem in FIGURE_NAMES for ext in ("png", "svg")}
    try:
        for name in sorted(names):
            path = folder / name
            if path.is_dir() and not path.is_symlink():
                if not keep_parts:
                    _remove_parts(path)
            elif path.is_file() or path.is_symlink():
                path.unlink()
        (folder / MANIFEST).unlink(missing_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot remove the results evacsim wrote there before ({exc.strerror or exc})") from None


def _remove_parts(table: Path) -> None:
    """The parts, chunks and bookkeeping evacsim keeps in a table's folder; the folder itself once nothing else is in it."""
    for path in table.iterdir():
        if path.is_file() and (path.name.startswith(("part-", ".part-", "_", "plan-")) or path.suffix == ".parquet"):
            path.unlink()
    if not any(table.iterdir()):
        table.rmdir()


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
