"""Writing results: a run folder per run, every file written atomically.

A file is written to a temporary name in the same folder and renamed into place,
so a run killed half-way never leaves a half-written file behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


class OutputError(Exception):
    """The results folder cannot be created or written (exit status 4)."""


class ResumeError(OutputError):
    """``--resume`` asked of a folder that holds another study, scenario or seed (or no study at all)."""


def write_atomic(path: Path, write: Callable[[Path], object]) -> Path:
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

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    return write_atomic(path, write)


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


def fingerprint(obj: Any) -> str:
    """SHA-256 of ``obj`` as canonical JSON (sorted keys, no spaces): the one fingerprint of evacsim.
    The same content always hashes the same: a scenario, a study's work, a plan's evaluations."""
    canonical = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_jsonable)
    return hashlib.sha256(canonical.encode()).hexdigest()


def scenario_hash(resolved: dict[str, Any]) -> str:
    """The fingerprint of a resolved scenario (``model_dump(mode="json")``)."""
    return fingerprint(resolved)
