"""Writing results: a run folder per run, every file written atomically.

A file is written to a temporary name in the same folder and renamed into place,
so a run killed half-way never leaves a half-written file behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


class OutputError(Exception):
    """The results folder cannot be created or written (exit status 4)."""


class ResumeError(OutputError):
    """``--resume`` asked of a folder that holds another study, scenario or seed (or no study at all)."""


def write_atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        # On disk before the rename: a batch that counts as done survives a power cut.
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # results are for reading by others, unlike mkstemp's private default
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json(path: Path, obj: Any) -> Path:
    text = json.dumps(obj, indent=2, sort_keys=False, default=_jsonable) + "\n"
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_parquet(path: Path, frame: pd.DataFrame) -> Path:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return write_atomic(path, lambda tmp: pq.write_table(table, tmp))


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def new_run_dir(root: Path, name: str) -> Path:
    """A fresh ``root/<name>-<UTC timestamp>`` folder; never one that already exists."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for n in range(1000):
        path = root / (f"{name}-{stamp}" if n == 0 else f"{name}-{stamp}-{n}")
        try:
            path.mkdir(parents=True, exist_ok=False)
            return path
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputError(f"{path}: cannot create the results folder ({exc.strerror or exc})") from None
    raise OutputError(f"{root}: too many runs of {name} in the same second")


def results_kind(folder: Path) -> str | None:
    """Which command's results ``folder`` holds: its manifest's ``kind`` (a run's manifest may
    have none), ``discover`` or ``nowcast`` by their files, or None for no results."""
    path = folder / "manifest.json"
    if path.exists():
        try:
            found = json.loads(path.read_text())
        except (OSError, ValueError):
            return "unreadable manifest"
        kind = found.get("kind") if isinstance(found, dict) else None
        if kind:
            return str(kind)
        return "nowcast" if (folder / "nowcast.json").exists() else "run"
    return "discover" if (folder / "discovery.json").exists() else None


def check_same_kind(out: Path, kind: str | None) -> None:
    """``--force`` overwrites results of the same command only: files of another command's
    results (a sweep's dataset, a run's summary) would be left half-replaced and misread."""
    found = results_kind(out) if kind else None
    if found is not None and found != kind:
        raise OutputError(
            f"{out}: holds the results of evacsim {found}, and --force only overwrites results of the same command (evacsim {kind}); choose another --out"
        )


def is_leftover(path: Path) -> bool:
    """A temporary file (``.<name>.<random>.tmp``) of a writer that was killed before its rename."""
    return path.name.startswith(".") and path.name.endswith(".tmp") and path.is_file()


def holds_results(folder: Path) -> bool:
    """Whether ``folder`` holds anything but the temporaries a killed command left (it looks empty then)."""
    try:
        return any(not is_leftover(p) for p in folder.iterdir())
    except OSError as exc:
        raise OutputError(f"{folder}: cannot read the results folder ({exc.strerror or exc})") from None


def remove_leftovers(folder: Path) -> None:
    """Delete the temporaries a killed command left in ``folder`` (never a finished file)."""
    try:
        for path in folder.iterdir():
            if is_leftover(path):
                path.unlink(missing_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot remove the temporary files a killed run left ({exc.strerror or exc})") from None


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


def scenario_hash(resolved: dict[str, Any]) -> str:
    """SHA-256 of the scenario as canonical JSON: the same scenario always hashes the same."""
    canonical = json.dumps(resolved, sort_keys=True, separators=(",", ":"), default=_jsonable)
    return hashlib.sha256(canonical.encode()).hexdigest()


def package_versions() -> dict[str, str]:
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


def manifest(scenario: dict[str, Any], scenario_path: str, overrides: list[str], seed: int, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a run was: resolved scenario and its hash, seed, versions, commit, command line."""
    return {
        "scenario_path": scenario_path,
        "scenario_sha256": scenario_hash(scenario),
        "overrides": overrides,
        "seed": seed,
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["evacsim", *sys.argv[1:]]),
        "versions": package_versions(),
        "git_commit": git_commit(),
        **(extra or {}),
        "scenario": scenario,
    }


class OrderedParquetWriter:
    """One Parquet file written batch by batch, in replication order, whatever order batches finish in.

    Batches that arrive early wait (only those: a handful in flight) until the ones
    before them are written, so the file is the same bits with any number of workers.
    The file appears under its name only when :meth:`close` succeeds; :meth:`abort`
    leaves nothing behind.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        self.tmp = Path(tmp)
        self.writer: pq.ParquetWriter | None = None
        self.waiting: dict[int, tuple[int, pa.Table]] = {}
        self.next = 0

    def add(self, start: int, stop: int, table: pa.Table) -> None:
        """The rows of replications ``start`` .. ``stop - 1``."""
        self.waiting[start] = (stop, table)
        while self.next in self.waiting:
            stop, ready = self.waiting.pop(self.next)
            if self.writer is None:
                self.writer = pq.ParquetWriter(self.tmp, ready.schema)
            self.writer.write_table(ready.cast(self.writer.schema))
            self.next = stop

    def close(self) -> Path:
        if self.waiting:
            raise RuntimeError(f"{self.path}: batches from {sorted(self.waiting)} never joined replication {self.next}")
        if self.writer is None:
            raise RuntimeError(f"{self.path}: no batch was written")
        self.writer.close()
        self.writer = None
        with open(self.tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.chmod(self.tmp, 0o644)
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        """Drop what was written so far (a closed file, already in place, is kept)."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        self.tmp.unlink(missing_ok=True)
