"""The one engine every study runs on: units of work, batches, a store of parts and a fingerprint.

A study is a list of scenario *points* (a run has one; a sweep one per design point; a
comparison two; a marginal study one per added resource) and a number of replications
of each. Its *units* are the (point, replication) pairs numbered point-major: unit
``u`` is replication ``u % replications`` of point ``u // replications``, so a run's unit is
its replication index. Replication ``i`` of any point draws its inputs and events from
the streams of replication ``i`` (:mod:`sim.replication`): points are paired on common
random numbers, and a unit's numbers depend on nothing but the seed and the unit.

- **Batches**: contiguous ranges of units, cut by one rule (:func:`batch_size`), so that a
  batch keeps a worker busy about half a second and each worker gets several; a batch may
  span points when each point has few replications. Batches are made as workers take
  them: a study of any size costs nothing before it runs.
- **The store** (:class:`Store`): each batch is written as one Parquet part per table
  (``replications.parquet/part-<first unit>-<end unit>.parquet``, and for a study that
  keeps day series ``burndown.parquet/...``), atomically, as it comes back; reading puts
  the parts in unit order. A part counts as done only if it reads back with all its
  rows, so a study resumes by running the units no whole part holds.
- **The fingerprint** (:func:`fingerprint`): SHA-256 of canonical JSON. The work's
  fingerprint (scenarios, pinned values, seed, replications, what is recorded) is kept
  beside the parts; a resume into a store of other work is refused.

The record of a replication is made by :func:`sim.replication.record`; a study that
keeps day series adds :func:`sim.replication.day_series` (truckloads and people at the
base each day), and a nowcast keeps its trajectories (:mod:`sim.experiment.nowcast`).
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.experiment.executors import Executor, InProcess
from sim.experiment.manifest import FolderMismatch
from sim.experiment.storage import OutputError, ResumeError, fingerprint, sha256_of, write_atomic, write_json
from sim.replication import Prepared, day_series, record, simulate_one

BATCH_WALL_SECONDS = 0.5
"""A batch should keep a worker busy at least this long, so that sending it costs little."""

BATCHES_PER_WORKER = 4
"""Batches each worker gets at least (when there are enough units), so that they finish together."""

MAX_BATCH = 5000
"""Replications a batch holds at most, whatever their pace (memory of a batch in flight)."""

FLOAT_PREFIXES = ("days_", "wait_hours.", "sortie_wait_hours.", "air_cover_hours_short", "utilisation.", "input.")
"""Columns that are always floats, whatever Python type a replication's number had."""

RECORDS = "replications"
DAYS = "burndown"
WORK_FILE = "_work.json"
"""The fingerprint of the work a store holds, beside its parts (readers skip names starting with ``_``)."""
LEDGER = "_checksums.jsonl"
"""The SHA-256 of each part as it was written, one line a part, beside the parts: a resume reuses only parts that match."""

_PART = re.compile(r"^part-(\d+)-(\d+)\.parquet$")


# ---- what a replication leaves behind ----------------------------------------------------------


Recorder = Callable[[Prepared, int, int, "Work"], tuple[dict[str, object], dict[str, np.ndarray]]]
"""``recorder(point, point number, replication, work) -> (row, day series)``; a module-level function (it is sent to workers)."""


def replication_record(prepared: Prepared, point: int, index: int, work: Work) -> tuple[dict[str, object], dict[str, np.ndarray]]:
    """The standard recorder: the replication's row (:func:`sim.replication.record`) and its day series."""
    values, outcome, events = simulate_one(prepared, work.seed, index, trace=work.trace)
    return record(index, values, outcome, events), day_series(outcome) if work.keep_days else {}


@dataclass(frozen=True)
class Work:
    """Replications ``0 .. replications - 1`` of every point, on one seed: what every worker needs, shipped once.

    ``label_points`` puts the point number first in each row (a study of several points);
    ``keep_days`` keeps each replication's day series; ``recorder`` makes a replication's row
    and series (default :func:`replication_record`); ``trace`` runs replications with the
    model's timeline (a nowcast reads it).
    """

    points: tuple[Prepared, ...]
    seed: int
    replications: int
    label_points: bool = False
    keep_days: bool = False
    trace: bool = False
    recorder: Recorder = replication_record
    context: tuple[Any, ...] = ()
    """What a recorder needs beyond the points, one entry per point (a backtest's measure of each case)."""
    identity: Mapping[str, Any] = field(default_factory=dict, compare=False)
    """What else names the work (a study's name, a method): part of its fingerprint."""

    @property
    def total(self) -> int:
        """Units of the whole study: points x replications per point."""
        return len(self.points) * self.replications

    def unit(self, u: int) -> tuple[int, int]:
        """Unit ``u`` as (point, replication)."""
        return divmod(u, self.replications) if self.replications else (0, u)

    def fingerprint(self) -> str:
        """What makes two works the same bits: each point's scenario and pinned values, seed, replications, record."""
        hashes: dict[int, str] = {}
        points = []
        for p in self.points:
            if id(p.scenario) not in hashes:
                hashes[id(p.scenario)] = fingerprint(p.scenario.model_dump(mode="json"))
            points.append([hashes[id(p.scenario)], sorted(p.fixed.items())])
        what = {
            "points": points,
            "seed": self.seed,
            "replications": self.replications,
            "label_points": self.label_points,
            "keep_days": self.keep_days,
            "recorder": f"{self.recorder.__module__}.{self.recorder.__qualname__}",
            "context": list(self.context),
            **dict(self.identity),
        }
        return fingerprint(what)


@dataclass(frozen=True)
class Batch:
    """Units ``start`` .. ``stop - 1`` of a work: their rows and, if kept, their day series in long form."""

    start: int
    stop: int
    records: pa.Table
    days: pa.Table | None = None

    def __len__(self) -> int:
        return self.stop - self.start


def run_units(work: Work, start: int, stop: int) -> Batch:
    """Run units ``start`` .. ``stop - 1`` (in a worker): one :class:`Batch`."""
    rows: list[dict[str, object]] = []
    series: list[tuple[int, int, dict[str, np.ndarray]]] = []
    for u in range(start, stop):
        point, index = work.unit(u)
        row, days = work.recorder(work.points[point], point, index, work)
        rows.append({"point": point, **row} if work.label_points else row)
        if days:
            series.append((point, index, days))
    return Batch(start, stop, rows_to_table(rows), _days_table(series, work.label_points) if series else None)


def rows_to_table(rows: list[dict[str, object]]) -> pa.Table:
    """Replication rows as an Arrow table with stable column types (ints int64, measures float64).

    Columns are every key of any row, in the order first seen (an input that only scenario B
    of a comparison draws is kept); a row without a column has a null there.
    """
    columns = dict.fromkeys(key for row in rows for key in row)
    table = pa.Table.from_pydict({key: [row.get(key) for row in rows] for key in columns})
    fields = []
    for f in table.schema:
        kind = f.type
        if f.name.startswith(FLOAT_PREFIXES) or pa.types.is_floating(kind):
            kind = pa.float64()
        elif pa.types.is_integer(kind):
            kind = pa.int64()
        fields.append(pa.field(f.name, kind))
    return table.cast(pa.schema(fields))


def _days_table(series: list[tuple[int, int, dict[str, np.ndarray]]], label_points: bool) -> pa.Table:
    """Day series in long form: [point,] replication, day, then one column per series (any number of them)."""
    lengths = np.array([len(next(iter(days.values()))) for _, _, days in series], dtype=np.int64)
    columns: dict[str, np.ndarray] = {}
    if label_points:
        columns["point"] = np.repeat(np.array([p for p, _, _ in series], dtype=np.int64), lengths)
    columns["replication"] = np.repeat(np.array([i for _, i, _ in series], dtype=np.int64), lengths)
    columns["day"] = np.concatenate([np.arange(n, dtype=np.int64) for n in lengths])
    for name in series[0][2]:
        columns[name] = np.concatenate([days[name] for _, _, days in series])
    return pa.table(columns)


# ---- batches -----------------------------------------------------------------------------------


def batch_size(seconds_per_replication: float, total: int, workers: int) -> int:
    """Units per batch, the one rule: enough to last :data:`BATCH_WALL_SECONDS`, few enough to give
    each worker :data:`BATCHES_PER_WORKER` batches, never more than :data:`MAX_BATCH`."""
    by_time = math.ceil(BATCH_WALL_SECONDS / max(1e-6, seconds_per_replication))
    by_balance = math.ceil(total / (BATCHES_PER_WORKER * max(1, workers)))
    return int(max(1, min(MAX_BATCH, by_time, by_balance)))


def probe_seconds(work: Work, probes: int = 2) -> float:
    """Seconds a replication of the work takes here, from its first units run in this process: the first one
    untimed (it resolves the scenario and fills SciPy's caches, which a worker does once), then ``probes`` more."""
    if work.total == 0:
        return 1.0
    run_units(work, 0, 1)
    count = min(probes, work.total - 1)
    if count == 0:
        return 1.0
    started = time.perf_counter()
    run_units(work, 1, 1 + count)
    return (time.perf_counter() - started) / count


def ranges(start: int, stop: int, size: int, skip: Iterable[tuple[int, int]] = ()) -> Iterator[tuple[int, int]]:
    """Units ``start`` .. ``stop - 1`` in batches on the grid of ``size`` (multiples of it), leaving out the
    ranges of ``skip`` (finished parts); made one at a time as they are read."""
    done = sorted((a, b) for a, b in skip if b > start and a < stop)
    at = start
    for a, b in [*done, (stop, stop)]:
        while at < a:
            end = min(a, (at // size + 1) * size)
            yield at, end
            at = end
        at = max(at, b)


# ---- the store ---------------------------------------------------------------------------------


class Store:
    """Where a study's batches go: one Parquet part per batch and table, written atomically, read in unit order.

    ``prefix`` names the tables of a stage of a study (``tornado_replications.parquet``).
    ``folder`` None keeps the batches in memory (a study that writes no replications, such as a
    nowcast), or with ``keep=False`` drops them once handed on (a comparison keeps only its days). Tables are ``replications.parquet`` (one row
    per replication) and ``burndown.parquet`` (one row per replication and day) under the folder.
    """

    def __init__(self, folder: Path | None, prefix: str = "", keep: bool = True) -> None:
        self.folder = folder
        self.prefix = prefix
        self.keep = keep
        self.memory: dict[str, dict[tuple[int, int], pa.Table]] = {RECORDS: {}, DAYS: {}}

    def table_dir(self, table: str) -> Path:
        if self.folder is None:
            raise ValueError("an in-memory store has no folder")
        return self.folder / f"{self.prefix}{table}.parquet"

    def put(self, batch: Batch) -> None:
        """Keep a finished batch: its parts on disk (atomic), or in memory."""
        for table, data in ((DAYS, batch.days), (RECORDS, batch.records)):  # records last: they mark the batch done
            if data is None:
                continue
            if self.folder is None:
                if self.keep:
                    self.memory[table][(batch.start, batch.stop)] = data
            else:
                path = self.table_dir(table) / f"part-{batch.start:012d}-{batch.stop:012d}.parquet"
                digest: list[str] = []
                write_atomic(path, _parquet_writer(data, digest))
                with open(self.table_dir(table) / LEDGER, "a", encoding="utf-8") as ledger:
                    ledger.write(json.dumps({"part": path.name, "sha256": digest[0]}) + "\n")

    def parts(self, table: str = RECORDS) -> list[tuple[int, int]]:
        """The unit ranges of the parts of ``table``, in unit order."""
        if self.folder is None:
            return sorted(self.memory[table])
        folder = self.table_dir(table)
        if not folder.is_dir():
            return []
        found = []
        for path in folder.iterdir():
            m = _PART.match(path.name)
            if m:
                found.append((int(m.group(1)), int(m.group(2))))
        return sorted(found)

    def _path(self, table: str, part: tuple[int, int]) -> Path:
        return self.table_dir(table) / f"part-{part[0]:012d}-{part[1]:012d}.parquet"

    def finished(self, keep_days: bool) -> list[tuple[int, int]]:
        """Parts whose rows read back whole (and their day series, if kept); any other part or temporary file is removed."""
        if self.folder is None:
            return self.parts()
        for table in (RECORDS, DAYS):
            folder = self.table_dir(table)
            if folder.is_dir():
                for tmp in folder.glob(".part-*.tmp"):
                    tmp.unlink(missing_ok=True)
        days = set(self.parts(DAYS))
        ledgers = {table: self.ledger(table) for table in (RECORDS, DAYS)}
        whole = []
        for part in self.parts():
            ok = self._as_written(RECORDS, part, ledgers[RECORDS]) and _rows_in(self._path(RECORDS, part)) == part[1] - part[0]
            if ok and keep_days:
                ok = part in days and self._as_written(DAYS, part, ledgers[DAYS]) and _rows_in(self._path(DAYS, part)) is not None
            if ok:
                whole.append(part)
            else:
                self._path(RECORDS, part).unlink(missing_ok=True)
                self._path(DAYS, part).unlink(missing_ok=True)
        return whole

    def ledger(self, table: str = RECORDS) -> dict[str, str] | None:
        """The checksum of each part of ``table`` as it was written (None for a store written before they were kept)."""
        if self.folder is None:
            return None
        path = self.table_dir(table) / LEDGER
        if not path.is_file():
            return None
        found: dict[str, str] = {}
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
                found[str(entry["part"])] = str(entry["sha256"])
            except (ValueError, KeyError, TypeError):
                continue  # a line cut by a kill: its part is run again
        return found

    def _as_written(self, table: str, part: tuple[int, int], ledger: dict[str, str] | None) -> bool:
        """Whether a part is the one this store wrote: False for one whose writer was stopped before it recorded it (it runs
        again); :class:`FolderMismatch` for one whose bytes changed since (a resume never builds on edited replications)."""
        if ledger is None:
            return True
        path = self._path(table, part)
        if path.name not in ledger:
            return False
        if sha256_of(path) != ledger[path.name]:
            raise FolderMismatch(
                f"{path}: is not the part evacsim wrote (its SHA-256 differs from the one recorded in {path.parent / LEDGER} when it "
                "was written: edited, truncated or corrupt), so the study cannot be resumed on it; start over with --force, or restore the file"
            )
        return True

    def column_names(self, table: str = RECORDS) -> list[str]:
        """The columns of ``table``'s first part (every part of a run has the same), or none before any is written."""
        parts = self.parts(table)
        if not parts:
            return []
        if self.folder is None:
            return list(self.memory[table][parts[0]].column_names)
        return list(pq.read_schema(self._path(table, parts[0])).names)

    def read(self, table: str = RECORDS, columns: list[str] | None = None, start: int = 0, stop: int | None = None) -> pa.Table:
        """The parts of ``table`` from unit ``start`` to ``stop`` (all by default), in unit order, as one table.

        Parts may differ in columns (an input only one point draws): missing ones are nulls."""
        chosen = [p for p in self.parts(table) if p[0] >= start and (stop is None or p[1] <= stop)]
        if self.folder is None:
            tables = [self.memory[table][p] for p in chosen]
            if columns is not None:
                tables = [t.select(columns) for t in tables]
        else:
            tables = [pq.read_table(self._path(table, p), columns=columns) for p in chosen]
        if not tables:
            return pa.table({c: [] for c in columns or []})
        return pa.concat_tables(tables, promote_options="default")

    def column(self, name: str, table: str = RECORDS) -> np.ndarray:
        """One column of every part, in unit order (flat memory: one column, not the study's rows)."""
        return self.read(table, [name]).column(name).to_numpy(zero_copy_only=False)

    def units(self) -> int:
        """Units held in whole parts."""
        return sum(b - a for a, b in self.parts())

    def clear(self) -> None:
        """Remove every part (``--force``)."""
        if self.folder is None:
            for kept in self.memory.values():
                kept.clear()
            return
        for table in (RECORDS, DAYS):
            folder = self.table_dir(table)
            if folder.is_dir():
                for path in folder.iterdir():
                    if path.name.startswith(("part-", ".part-", WORK_FILE, LEDGER)):
                        path.unlink(missing_ok=True)
                if not any(folder.iterdir()):
                    folder.rmdir()
            elif folder.is_file():
                folder.unlink()

    def holds(self, work: Work) -> bool:
        """Whether the store holds parts of this very work (the same fingerprint)."""
        if self.folder is None:
            return False
        try:
            found = json.loads((self.table_dir(RECORDS) / WORK_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(found, dict) and found.get("fingerprint") == work.fingerprint()

    def claim(self, work: Work, resume: bool, batch: int | None = None) -> int | None:
        """Record that the store holds ``work`` (its fingerprint, and the batch size its parts were cut by); on
        ``resume``, check that it already held this very work and return that batch size."""
        if self.folder is None:
            return batch
        path = self.table_dir(RECORDS) / WORK_FILE
        found: dict[str, Any] = {}
        if path.exists():
            try:
                found = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                found = {}
        if resume:
            if found.get("fingerprint") != work.fingerprint():
                raise ResumeError(
                    f"{self.folder}: cannot resume: its finished replications are of another study (the scenario, design, seed or "
                    "replications differ); resume with the same command and options, --force to start over, or choose another --out"
                )
            return int(found.get("batch_size") or 0) or batch
        write_json(path, {"fingerprint": work.fingerprint(), "batch_size": batch})
        return batch


def _parquet_writer(table: pa.Table, digest: list[str] | None = None) -> Callable[[Path], None]:
    """What :func:`write_atomic` calls to write ``table`` to its temporary file; its SHA-256 is appended to ``digest``."""

    def write(tmp: Path) -> None:
        pq.write_table(table, tmp)
        if digest is not None:
            digest.append(sha256_of(tmp))

    return write


def _rows_in(path: Path) -> int | None:
    try:
        return pq.read_metadata(path).num_rows
    except (OSError, pa.ArrowException, ValueError):
        return None


# ---- running ------------------------------------------------------------------------------------


@dataclass
class Progress:
    """Units done out of the total, as batches come back (for a progress bar)."""

    done: int = 0
    total: int = 0
    on_change: Callable[[int, int], None] | None = None

    def add(self, units: int) -> None:
        self.done += units
        if self.on_change:
            self.on_change(self.done, self.total)


def execute(
    work: Work,
    store: Store,
    executor: Executor | None = None,
    start: int = 0,
    stop: int | None = None,
    resume: bool = False,
    size: int | None = None,
    on_batch: Callable[[Batch], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    todo: Iterable[tuple[int, int]] | None = None,
) -> int:
    """Run units ``start`` .. ``stop - 1`` of ``work`` (all by default) into ``store``; returns the batch size used.

    Batches are cut by :func:`batch_size` (or ``size``), made as workers take them, and
    each is put in the store as it comes back, then handed to ``on_batch``. With
    ``resume``, the store must hold this work already; its whole parts are kept and only
    the units they miss run. ``todo``: the batches to run instead, as unit ranges a caller has cut
    (a plan runs the replications its own store lacks).
    """
    executor = executor or InProcess()
    if todo is not None:
        for batch in executor.map_unordered(run_units, work, todo):
            store.put(batch)
            if on_batch:
                on_batch(batch)
        return 0
    stop = work.total if stop is None else stop
    stored = store.claim(work, resume, size) if resume else None
    size = size or stored or batch_size(probe_seconds(work), stop - start, executor.workers)
    if not resume and start == 0:
        store.claim(work, False, size)
    kept = store.finished(work.keep_days) if resume else []
    progress = Progress(sum(min(b, stop) - max(a, start) for a, b in kept if b > start and a < stop), stop - start, on_progress)
    if on_progress:
        on_progress(progress.done, progress.total)
    todo = ranges(start, stop, size, kept)
    for batch in executor.map_unordered(run_units, work, todo):
        try:
            store.put(batch)
        except OSError as exc:
            raise OutputError(
                f"{store.folder}: cannot write replications {batch.start}-{batch.stop - 1} ({exc.strerror or exc}); "
                "the finished batches are kept: make room and rerun the same command with --resume"
            ) from None
        if on_batch:
            on_batch(batch)
        progress.add(len(batch))
    return size
