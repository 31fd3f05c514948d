"""The replications of a study on disk: a Parquet dataset written batch by batch, and resuming it.

``replications.parquet/`` is a folder of ``part-000123.parquet`` files, one per batch,
each holding the rows (one per design point x replication) of that batch. A batch
file is written under a hidden temporary name, flushed to disk and renamed into
place, so a study killed at any moment leaves only whole batches (and perhaps a
hidden temporary file, which readers ignore and a resume removes). A batch counts
as done only if its file reads back whole with the number of rows it should have.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from sim.experiment.storage import write_atomic

if TYPE_CHECKING:
    import pandas as pd

REPLICATIONS_DIR = "replications.parquet"
"""The dataset folder inside a study's output folder."""

FLOAT_PREFIXES = ("days_", "wait_hours.", "sortie_wait_hours.", "air_cover_hours_short", "utilisation.", "input.")
"""Columns that are always floats, whatever Python type a replication's number had."""


def dataset_dir(out: Path) -> Path:
    return out / REPLICATIONS_DIR


def batch_path(out: Path, batch: int) -> Path:
    """Where batch number ``batch`` of a study is stored."""
    return dataset_dir(out) / f"part-{batch:06d}.parquet"


def rows_to_table(rows: list[dict[str, object]]) -> pa.Table:
    """Replication rows as an Arrow table with stable column types (ints int64, measures float64).

    Columns are every key of any row, in the order first seen (``from_pylist`` alone keeps only
    the first row's: an input that only scenario B of a comparison draws would be lost); a row
    without a column has a null there.
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


def write_batch(out: Path, batch: int, table: pa.Table) -> Path:
    """Write one batch durably: temporary file, flushed to disk, renamed into place."""
    path = batch_path(out, batch)
    return write_atomic(path, lambda tmp: pq.write_table(table, tmp))


def batch_is_whole(path: Path, expected_rows: int) -> bool:
    """True when the batch file reads back completely with ``expected_rows`` rows."""
    try:
        return pq.read_table(path).num_rows == expected_rows
    except (OSError, pa.ArrowException, ValueError):
        return False


def finished_batches(out: Path, expected_rows: Mapping[int, int]) -> set[int]:
    """The batches of ``expected_rows`` (batch -> rows) whose files read back whole.

    Temporary files left by a killed run are removed, and so are batch files that do
    not read back whole, so that they are run again.
    """
    folder = dataset_dir(out)
    if not folder.is_dir():
        return set()
    for tmp in folder.glob(".part-*.tmp"):
        tmp.unlink(missing_ok=True)
    done = set()
    for path in folder.glob("part-*.parquet"):
        try:
            batch = int(path.stem.split("-")[1])
        except (IndexError, ValueError):
            continue
        if batch in expected_rows and batch_is_whole(path, expected_rows[batch]):
            done.add(batch)
        else:
            path.unlink(missing_ok=True)
    return done


def read_dataset(out: Path, columns: Iterable[str] | None = None) -> pa.Table:
    """The study's replications (all batches), optionally only some columns, sorted by point and replication."""
    dataset = ds.dataset(dataset_dir(out), format="parquet")
    table = dataset.to_table(columns=list(columns) if columns is not None else None)
    keys = [k for k in ("point", "replication") if k in table.column_names]
    return table.sort_by([(k, "ascending") for k in keys]) if keys else table


def read_column_by_batch(out: Path, batch_rows: Mapping[int, int], column: str) -> np.ndarray:
    """One column of every batch, in batch order, into one preallocated array (flat memory: no table of the whole study)."""
    values = np.empty(sum(batch_rows.values()), dtype=float)
    at = 0
    for batch in sorted(batch_rows):
        chunk = pq.read_table(batch_path(out, batch), columns=[column])[column].to_numpy()
        if len(chunk) != batch_rows[batch]:
            raise ValueError(f"{batch_path(out, batch)}: {len(chunk)} rows, expected {batch_rows[batch]}")
        values[at : at + len(chunk)] = chunk
        at += len(chunk)
    return values


def clear_dataset(out: Path) -> None:
    """Remove the batch files of an earlier study (``--force``)."""
    folder = dataset_dir(out)
    if folder.is_dir():
        for path in folder.iterdir():
            if path.name.startswith(("part-", ".part-")):
                path.unlink(missing_ok=True)


def design_factors(folder: Path, rows: pd.DataFrame) -> list[str] | None:
    """The design factors of a sweep or sensitivity folder that its replication rows carry as
    ``input.<path>`` columns; None for a folder without a design (a plain run)."""
    design = folder / "design.parquet"
    if not design.exists():
        return None
    names = [c for c in pq.read_schema(design).names if c not in ("point", "variant")]
    return [c for c in names if f"input.{c}" in rows.columns] or None
