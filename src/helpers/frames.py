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
