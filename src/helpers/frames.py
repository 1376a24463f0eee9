"""Frame operations that pandas does slowly on Arrow-backed text, done at C speed with pyarrow.

pandas 3 keeps text as Arrow strings. Its `Series.isin` on those builds one
Python scalar per *value looked up*: checking 2.5 million nominal rows
against 1 million crime ids took about 14 seconds of the extraction at force
scale (measured, session 18). `isin` here gives exactly the same answer
(missing values match only a missing value in `values`; anything that is not
text never matches) with `pyarrow.compute.is_in`, in well under a second.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def _arrow_text(s: pd.Series) -> bool:
    return isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow"


def _as_arrow(values: pd.Series | pd.Index, like: pa.DataType) -> pa.Array | None:
    """The text values as one Arrow array of type `like` (None: something in them is not text)."""
    if not isinstance(values.dtype, pd.StringDtype) and \
            pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        return None
    arr = pa.array(pd.Series(values).astype("string[pyarrow]"))
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    return pc.unique(arr).cast(like)


def isin(s: pd.Series, values: Iterable) -> pd.Series:
    """`s.isin(values)` (a boolean Series on s's index), fast when s holds Arrow text."""
    if not isinstance(values, (pd.Series, pd.Index)):
        values = pd.Series(list(values), dtype=object)  # read once (a generator cannot be read twice)
    if not _arrow_text(s):
        return s.isin(values)
    arr = pa.array(s)
    data = arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])
    vs = _as_arrow(values, data.type)
    if vs is None:
        return s.isin(values)
    if len(vs) == 0:
        return pd.Series(np.zeros(len(s), bool), index=s.index)
    hit = pc.is_in(data, value_set=vs)
    return pd.Series(np.asarray(hit.fill_null(False), dtype=bool), index=s.index)


def per_distinct(s: pd.Series, fn: Callable[[pd.Series], pd.Series], missing: bool = False) -> pd.Series:
    """`fn` (a boolean test of a Series) computed once per distinct value of `s`, spread back to every row.

    Titles, codes and roles repeat a lot: 970,000 crimes have a few hundred distinct offence
    titles, so a regex or string normalisation on the distinct values is hundreds of times
    cheaper than on the rows. Missing values get `missing` without calling `fn`. Same answer as
    `fn(s)` wherever `fn` treats each value on its own (tests/unit/test_frames.py).
    """
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    hit = np.asarray(fn(pd.Series(np.asarray(uniq, dtype=object), dtype=object)), dtype=bool) if len(uniq) \
        else np.zeros(0, bool)
    out = np.where(codes >= 0, hit[np.maximum(codes, 0)] if len(hit) else False, missing)
    return pd.Series(out.astype(bool), index=s.index)


# --- row order and exact duplicates ----------------------------------------------
# pandas sorts and de-duplicates a frame by factorizing every column into Python-level categories;
# on Arrow text that is most of extraction's time (canonical order 5 s, duplicates 3 s at force scale).
# The helpers below give the same answers from Arrow's sort and DuckDB's hash aggregate, for frames
# whose columns are all Arrow text, datetimes or numbers; anything else takes pandas' own path.

def _arrow_columns(df: pd.DataFrame, cols: list[str]) -> pa.Table | None:
    """The columns as one Arrow table (missing values as nulls), or None if one cannot be (object)."""
    arrays = {}
    for c in cols:
        s = df[c]
        if isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow":
            arrays[c] = pa.array(s)
        elif pd.api.types.is_datetime64_dtype(s.dtype) or pd.api.types.is_float_dtype(s.dtype) or \
                (pd.api.types.is_integer_dtype(s.dtype) and isinstance(s.dtype, np.dtype)):
            arrays[c] = pa.array(s.to_numpy(), from_pandas=True)  # NaT and NaN become nulls
        else:
            return None
    return pa.table(arrays)


def sort_order(df: pd.DataFrame, by: list[str]) -> np.ndarray:
    """The positions that put `df` in order by `by` (ascending, missing last, ties in their order): the
    order `df.sort_values(by, kind="mergesort", na_position="last")` gives, so `df.take` of it is that."""
    tab = _arrow_columns(df, by) if len(df) else None
    if tab is None:
        return np.asarray(df.reset_index(drop=True).sort_values(by, kind="mergesort", na_position="last").index)
    # Arrow's sort is stable; text compares by code point (as Python's and pandas' do).
    return np.asarray(pc.sort_indices(tab, sort_keys=[(c, "ascending", "at_end") for c in by]), dtype=np.intp)


def duplicated(df: pd.DataFrame) -> pd.Series:
    """`df.duplicated(keep="first")`: True for a row equal in every column to an earlier row (missing
    values equal each other)."""
    cols = list(df.columns)
    tab = _arrow_columns(df, cols) if len(df) and cols else None
    if tab is None or any(pa.types.is_floating(t) for t in tab.schema.types):
        return df.duplicated(keep="first")  # floats: NaN and -0.0 are compared as pandas compares them
    import duckdb

    names = [f"c{i}" for i in range(len(cols))]
    rows = pa.table(dict(zip(names, tab.columns, strict=True)) | {"row": pa.array(np.arange(len(df)))})
    con = duckdb.connect()
    try:
        con.register("t", rows)
        group = ", ".join(names)
        first = con.execute(f"SELECT min(row) AS first FROM t GROUP BY {group}").fetchnumpy()["first"]
    finally:
        con.close()
    dup = np.ones(len(df), dtype=bool)
    dup[np.asarray(first, dtype=np.int64)] = False
    return pd.Series(dup, index=df.index)
