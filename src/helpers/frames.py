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
    return arr.cast(like)  # is_in hashes the set itself: repeats in it are harmless, no need to unique them


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
# The helpers below give the same answers from Arrow's stable sort and neighbour comparisons, for
# frames whose columns are all Arrow text, datetimes or numbers; anything else takes pandas' own path.

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


def repeats(df: pd.DataFrame) -> pd.Series:
    """True for a row equal in every column to the row just before it (missing values equal each other).

    On a frame in `sort_order` by every column, equal rows are next to each other, so this is
    `df.duplicated(keep="first")` (the first of equal rows is the one kept) without hashing a row.
    """
    same = np.ones(max(len(df) - 1, 0), dtype=bool)
    tab = _arrow_columns(df, list(df.columns)) if len(df) > 1 else None
    if tab is None:
        return df.duplicated(keep="first") if len(df) > 1 else pd.Series(False, index=df.index)
    for col in tab.columns:
        a = col.combine_chunks()
        after, before = a.slice(1), a.slice(0, len(a) - 1)
        equal = pc.equal(after, before)  # null where either is missing
        both_missing = pc.and_(pc.is_null(after), pc.is_null(before))
        same &= np.asarray(pc.fill_null(equal, False), dtype=bool) | np.asarray(both_missing, dtype=bool)
    return pd.Series(np.concatenate([[False], same]), index=df.index)
