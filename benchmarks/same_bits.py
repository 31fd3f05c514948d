"""Compare two trees of evacsim results folders table by table: the check that a refactor kept the same bits.

    python benchmarks/same_bits.py BEFORE_ROOT AFTER_ROOT

Every ``*.parquet`` (a file, or a folder of parts as the engine writes them), ``*.csv`` and
``*.json`` under BEFORE_ROOT is compared with the same path under AFTER_ROOT: Parquet and
CSV by content (the same columns with the same values in the same row order; column order
and Arrow string flavours are not compared), JSON by value, leaving out what differs from
run to run (time, command line, commit, wall seconds) and the engine's own bookkeeping
(batch sizes and counts, fingerprints, the executor). Internal stores (``chunks/``,
``store/``) are skipped. Prints one line per difference and exits 1 if there is any.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds

VOLATILE = {
    "created_utc",
    "command",
    "git_commit",
    "wall_seconds",
    "replication_seconds",
    "analysis_seconds",
    "batch_size",
    "batches",
    "batches_run",
    "batches_kept",
    "executor",
    "design_sha256",
    "fingerprint",
    "versions",
    "seconds",
}
SKIP_DIRS = {"chunks", "store", "plans"}


def tables(root: Path) -> list[Path]:
    found = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part in SKIP_DIRS or part.startswith(("_", ".")) for part in rel.parts):
            continue
        if any(p.suffix == ".parquet" for p in rel.parents if p != Path(".")):
            continue  # a part inside a .parquet folder
        if path.suffix in (".parquet", ".csv", ".json"):
            found.append(rel)
    return found


def read_parquet(path: Path) -> pd.DataFrame:
    frame = ds.dataset(path, format="parquet").to_table().to_pandas()
    frame = frame[sorted(frame.columns)]
    for c in frame.columns:
        if frame[c].dtype == object or str(frame[c].dtype).startswith(("string", "large")):
            frame[c] = frame[c].astype(object)
    return frame


def same_json(a, b, where: str, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key in VOLATILE:
                continue
            if key not in a or key not in b:
                out.append(f"{where}.{key}: only {'after' if key in b else 'before'}")
                continue
            same_json(a[key], b[key], f"{where}.{key}", out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same_json(x, y, f"{where}[{i}]", out)
    elif isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return
    elif a != b:
        out.append(f"{where}: {str(a)[:80]} != {str(b)[:80]}")


def compare(before: Path, after: Path) -> list[str]:
    problems: list[str] = []
    for rel in tables(before):
        b = after / rel
        if not b.exists():
            problems.append(f"{rel}: missing after")
            continue
        if rel.suffix == ".json":
            same_json(json.loads((before / rel).read_text()), json.loads(b.read_text()), str(rel), problems)
            continue
        x = read_parquet(before / rel) if rel.suffix == ".parquet" else pd.read_csv(before / rel)
        y = read_parquet(b) if rel.suffix == ".parquet" else pd.read_csv(b)
        if list(x.columns) != list(y.columns) and set(x.columns) == set(y.columns):
            y = y[list(x.columns)]
        try:
            pd.testing.assert_frame_equal(x.reset_index(drop=True), y.reset_index(drop=True), check_exact=True, check_dtype=True)
        except AssertionError as exc:
            problems.append(f"{rel}: {' '.join(str(exc).split())[:300]}")
    return problems


def main() -> int:
    before, after = Path(sys.argv[1]), Path(sys.argv[2])
    problems = compare(before, after)
    for line in problems:
        print(line)
    print(f"{len(tables(before))} tables compared, {len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
