"""Hand-offs between notebooks, deterministic table export and the exclusions ledger.

Each notebook reads what the one before it wrote under `OUT/work/` and adds
its own products, so any notebook can be re-run alone (nbval does exactly
that). Tables are written sorted, CSV beside Parquet, so the same inputs give
byte-identical files.
"""
from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .config import resolve_path


def out_path(out_dir: str | Path) -> Path:
    return resolve_path(out_dir)


def work_dir(out_dir: str | Path, stage: str) -> Path:
    d = out_path(out_dir) / "work" / stage
    d.mkdir(parents=True, exist_ok=True)
    return d


def save_work(out_dir: str | Path, stage: str, frames: dict[str, pd.DataFrame]) -> None:
    """Hand a stage's frames to the next notebook (Parquet keeps dtypes)."""
    d = work_dir(out_dir, stage)
    for name, df in frames.items():
        df.to_parquet(d / f"{name}.parquet", index=False)


def load_work(out_dir: str | Path, stage: str, names: list[str] | None = None) -> dict[str, pd.DataFrame]:
    d = out_path(out_dir) / "work" / stage
    if not d.exists():
        raise FileNotFoundError(
            f"No hand-off from stage '{stage}' under {d}. Run the notebooks in order "
            "(cse-network run does this) so the earlier stage writes it first."
        )
    files = sorted(d.glob("*.parquet")) if names is None else [d / f"{n}.parquet" for n in names]
    return {f.stem: pd.read_parquet(f) for f in files}


def load_rows(out_dir: str | Path, stage: str, name: str, columns: list[str], where: str,
              values: Iterable) -> pd.DataFrame:
    """Only the rows of one hand-off whose `where` column is in `values`, and only `columns` of them.

    Parquet is filtered as it is read (pyarrow, a batch of rows at a time), so a stage that needs a
    small part of a national table (the nominals of the selected crimes, the records of the
    network's people) never holds the whole of it, not even its asked-for columns. Rows keep their
    stored order; the index is a fresh 0..n-1.
    """
    path = out_path(out_dir) / "work" / stage / f"{name}.parquet"
    if not path.exists():
        load_work(out_dir, stage, [name])  # the same message as a missing hand-off
    wanted = _value_set(values)
    source = pq.ParquetFile(path)
    schema = source.schema_arrow
    read = list(dict.fromkeys([*columns, where]))
    kind = schema.field(where).type
    text = pa.types.is_string(kind) or pa.types.is_large_string(kind)
    if text:  # the asked-for values take the column's type once, instead of every batch being cast
        wanted = wanted.cast(kind)
    rows = max(LOAD_BATCH_ROWS, LOAD_BATCH_PER_VALUE * len(wanted))
    kept = [batch.filter(pc.is_in(batch.column(where) if text else batch.column(where).cast(pa.string()),
                                  value_set=wanted)).select(columns)
            for batch in source.iter_batches(batch_size=rows, columns=read)]
    out = pa.schema([schema.field(c) for c in columns], metadata=schema.metadata)  # pandas' dtypes come back
    return pa.Table.from_batches(kept, schema=out).to_pandas()


def _value_set(values: Iterable) -> pa.Array:
    """The distinct non-missing values asked for, as Arrow text (numbers as their text, as before)."""
    if isinstance(values, pd.Series | pd.Index):
        arr = values.to_numpy(dtype=object, na_value=None)
    else:
        arr = np.asarray(values if isinstance(values, np.ndarray | list) else list(values), dtype=object)
    try:  # text already (ids are text in every hand-off): Arrow converts it without a Python loop
        a = pa.array(arr.ravel(), type=pa.string(), from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        a = pa.array(pd.Series(arr.ravel(), dtype=object).dropna().astype(str).to_numpy(object), type=pa.string())
    return pc.unique(a.drop_null())


# Rows `load_rows` reads at a time: never fewer than LOAD_BATCH_PER_VALUE x the values asked for,
# since each batch's test builds a hash of them: building it then costs at most a quarter of
# reading, and the cost stays linear (batches x values would grow as the square of the data).
LOAD_BATCH_ROWS = 262_144
LOAD_BATCH_PER_VALUE = 4


def write_table(out_dir: str | Path, name: str, df: pd.DataFrame, sort_by: list[str] | None = None) -> Path:
    """Export one output table as CSV and Parquet, sorted for byte-stable files."""
    d = out_path(out_dir) / "tables"
    d.mkdir(parents=True, exist_ok=True)
    if sort_by:
        df = df.sort_values(sort_by, kind="mergesort").reset_index(drop=True)
    else:
        df = df.reset_index(drop=True)
    df.to_csv(d / f"{name}.csv", index=False, lineterminator="\n")
    table = pa.Table.from_pandas(df, preserve_index=False)
    table = table.replace_schema_metadata(None)  # pandas metadata varies by version
    pq.write_table(table, d / f"{name}.parquet", compression="zstd")
    return d / f"{name}.csv"


def read_table(out_dir: str | Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(out_path(out_dir) / "tables" / f"{name}.parquet")


def facts_table(facts: dict) -> pd.DataFrame:
    """One row per fact: name and value as JSON text (numbers, text, null for NaN)."""
    clean = {k: (None if isinstance(v, float) and not math.isfinite(v) else
                 (v.item() if isinstance(v, np.generic) else v)) for k, v in facts.items()}
    return pd.DataFrame({"fact": list(clean), "value": [json.dumps(clean[k]) for k in clean]})


def write_facts(out_dir: str | Path, name: str, facts: dict) -> Path:
    """A stage's headline facts, written once by the stage (`tables/<name>`); every notebook and the
    report's summary read them back with `read_facts` instead of computing them again."""
    return write_table(out_dir, name, facts_table(facts))


def read_facts(out_dir: str | Path, name: str) -> dict | None:
    """The facts a finished stage wrote (None when the run has no such table)."""
    if not (out_path(out_dir) / "tables" / f"{name}.parquet").exists():
        return None
    t = read_table(out_dir, name)
    return {f: json.loads(v) for f, v in zip(t["fact"], t["value"], strict=True)}


def frame_hash(df: pd.DataFrame) -> str:
    """Content hash of a frame, independent of the order of its rows (the same rows, any order, one hash)."""
    h = hashlib.sha256()
    h.update(",".join(map(str, df.columns)).encode())
    if len(df):
        h.update(np.sort(row_hashes(df)).tobytes())
    return h.hexdigest()


def row_hashes(df: pd.DataFrame) -> np.ndarray:
    """One 64-bit hash per row, from every column in order (NULL apart from any value).

    DuckDB's ``hash()`` over the frame as Arrow (compiled, no Python object per value: at
    national scale pandas' hashing was a seventh of the extraction). A column Arrow cannot
    type as one kind (a driver's mix of numbers and text) falls back to pandas' hashing;
    either way the same rows give the same hashes.
    """
    try:
        t = pa.Table.from_pandas(df, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return pd.util.hash_pandas_object(df, index=False).to_numpy()
    import duckdb
    t = t.rename_columns([f"c{i}" for i in range(t.num_columns)])
    with duckdb.connect() as con:
        con.register("frame", t)
        cols = ", ".join(t.column_names)
        return con.execute(f"SELECT hash({cols}) AS h FROM frame").fetchnumpy()["h"]


def file_hash(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class LedgerError(AssertionError):
    """Rows in did not equal rows out plus rows excluded: a bug, never data."""


@dataclass
class ExclusionLedger:
    """Counts every row a stage drops, by rule, and checks the arithmetic.

    Nothing is dropped without a line here: rows_in = rows_out + rows_excluded
    is asserted as each rule is applied.
    """

    stage: str
    rows: list[dict] = field(default_factory=list)

    def apply(self, rule: str, df: pd.DataFrame, drop_mask: pd.Series, unit: str = "rows") -> pd.DataFrame:
        drop_mask = drop_mask.fillna(False).astype(bool)
        # Nothing to drop: a new frame sharing the data (copy-on-write), not a copy of every column.
        kept = df.loc[~drop_mask] if drop_mask.any() else df.copy(deep=False)
        self.record(rule, len(df), int(drop_mask.sum()), len(kept), unit)
        return kept

    def record(self, rule: str, rows_in: int, rows_excluded: int, rows_out: int, unit: str = "rows") -> None:
        if rows_in != rows_out + rows_excluded:
            raise LedgerError(
                f"{self.stage}/{rule}: rows_in {rows_in} != rows_out {rows_out} + excluded {rows_excluded}"
            )
        self.rows.append(
            dict(stage=self.stage, rule=rule, unit=unit, rows_in=int(rows_in),
                 rows_excluded=int(rows_excluded), rows_out=int(rows_out))
        )

    def frame(self) -> pd.DataFrame:
        cols = ["stage", "rule", "unit", "rows_in", "rows_excluded", "rows_out"]
        return pd.DataFrame(self.rows, columns=cols)
