"""Writing results: a run folder per run, every file written atomically.

A file is written to a temporary name in the same folder and renamed into place,
so a run killed half-way never leaves a half-written file behind.
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import json
import os
import shlex
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

_COMMAND_LINE = [0]
"""Above zero while an ``evacsim`` command runs (:func:`on_command_line`): messages then name options as typed."""

_FLAGS = {"force": "force=True", "resume": "resume=True", "precise": "precise=True", "set": "overrides=", "n": "replications="}


@contextmanager
def on_command_line() -> Iterator[None]:
    """While an ``evacsim`` command runs: its messages name the options as typed (``--force``); elsewhere, called from
    Python, they name the keyword arguments (:func:`in_callers_words`)."""
    _COMMAND_LINE[0] += 1
    try:
        yield
    finally:
        _COMMAND_LINE[0] -= 1


def in_callers_words(message: str) -> str:
    """``message`` as the caller gave the options: as written on the command line (``pass --force``), or, from Python,
    as keyword arguments (``pass force=True``, ``choose another out=``)."""
    if _COMMAND_LINE[0]:
        return message
    import re

    def keyword(found: re.Match[str]) -> str:
        name = found.group(1).replace("-", "_")
        return _FLAGS.get(name, f"{name}=")

    parts = message.split("`")  # a command line in backquotes (`evacsim plot FOLDER --force`) stays as typed
    return "`".join(part if i % 2 else re.sub(r"(?<![\w-])--?([a-z][a-z-]*)\b", keyword, part) for i, part in enumerate(parts))


class OutputError(Exception):
    """The results folder cannot be created or written (exit status 4); its message names options as the caller gave
    them (:func:`in_callers_words`)."""

    def __str__(self) -> str:
        return in_callers_words(super().__str__())


class ResumeError(OutputError):
    """``--resume`` asked of a folder that holds another study, scenario or seed (or no study at all)."""


class FolderBusy(OutputError):
    """Another evacsim command is writing the results folder now: one folder is one study, written by one process."""


LOCK_FILE = ".evacsim.lock"
"""The writer's lock of a results folder: held (``flock``) while a command writes the folder, removed when it is done.
It names the process and the command; one left by a killed command holds no lock and is taken over."""

_HELD: dict[str, tuple[int, Path]] = {}
"""Results folders this process holds the lock of: resolved folder -> (descriptor of the lock file, its path)."""
_SCOPES = [0]


def lock_folder(folder: Path) -> None:
    """Hold the writer's lock of ``folder`` (an existing folder) for this process until :func:`release_folder`, the end of
    the outermost :func:`one_writer` scope, or the end of the process. Taking it again is a no-op.

    Raises :class:`FolderBusy` naming the process that holds it: a second command writing the same
    folder at once would mix two studies' replications in one folder under one manifest."""
    key = str(folder.resolve())
    if key in _HELD:
        return
    path = folder / LOCK_FILE
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(f"{folder}: cannot write in the results folder ({exc.strerror or exc})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 400, 0).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise FolderBusy(
                f"{folder}: another evacsim command is writing this results folder now (process {holder}); "
                "one folder holds one study: wait for it to finish, or choose another --out"
            ) from None
        # The holder before us may have removed the file as it finished: the lock counts only on the file still there.
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}: {shlex.join(['evacsim', *sys.argv[1:]])}\n".encode(), 0)
    _HELD[key] = (fd, path)


def release_folder(folder: Path) -> None:
    """Give up the writer's lock of ``folder`` and remove its lock file (nothing if this process does not hold it)."""
    held = _HELD.pop(str(folder.resolve()), None)
    if held is not None:
        fd, path = held
        path.unlink(missing_ok=True)  # while still locked: no other writer can be holding this file
        os.close(fd)


def _release_all() -> None:
    for key in list(_HELD):
        release_folder(Path(key))


atexit.register(_release_all)


@contextmanager
def one_writer() -> Iterator[None]:
    """A command (or a library call) that writes results folders: the folders it locked are released when the
    outermost such scope ends, so a command that draws its figures after its study keeps its folder locked throughout."""
    before = set(_HELD)
    _SCOPES[0] += 1
    try:
        yield
    finally:
        _SCOPES[0] -= 1
        if _SCOPES[0] == 0:
            for key in set(_HELD) - before:
                release_folder(Path(key))


def being_written(folder: Path) -> str | None:
    """Who writes ``folder`` now (``"<pid>: <command>"``) when another process holds its lock, else None."""
    path = folder / LOCK_FILE
    if str(folder.resolve()) in _HELD or not path.is_file():
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return os.pread(fd, 400, 0).decode("utf-8", "replace").strip() or "another process"
    finally:
        os.close(fd)
    return None


def sha256_of(path: Path) -> str:
    """SHA-256 of a file's bytes (a result's checksum, as the manifest records it)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
    import pyarrow as pa  # here: every command locks its folder through this module, and `evacsim validate` needs no pandas
    import pyarrow.parquet as pq

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
    """Whether ``folder`` holds anything but the temporaries a killed command left and the writer's lock (it looks empty then)."""
    try:
        return any(not is_leftover(p) and p.name != LOCK_FILE for p in folder.iterdir())
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
