"""Extraction's fast paths give exactly what the plain pandas code they replaced gave.

Reading (`_fetch`), code maps (`_map_codes`), canonical order (`frames.sort_order`) and exact
duplicates (`frames.repeats`) were rewritten for speed (Arrow instead of pandas' per-value paths);
the references below are the earlier pandas code, kept here so any drift shows.
"""
from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import extraction
from helpers.frames import repeats, sort_order


class _Cursor:
    """A DB-API cursor over given rows (fetchmany in chunks, as the drivers do)."""

    def __init__(self, rows: list[tuple]):
        self.rows = list(rows)

    def fetchmany(self, n: int) -> list[tuple]:
        out, self.rows = self.rows[:n], self.rows[n:]
        return out


def _fetch_reference(rows: list[tuple], columns: list[str], chunk: int) -> pd.DataFrame:
    parts = []
    for start in range(0, len(rows), chunk):
        df = pd.DataFrame(rows[start:start + chunk], columns=columns, dtype=object)
        for c in columns:
            if pd.api.types.infer_dtype(df[c], skipna=True) in ("string", "empty"):
                df[c] = df[c].astype("string")
        parts.append(df)
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


ODD = [None, "a", " b ", "", 1, 2**70, 1.5, float("nan"), b"x", b"\xff", bytearray(b"y"), True,
       dt.date(2020, 1, 2), dt.datetime(2020, 1, 2, 3, 4), decimal.Decimal("7"), pd.NA, np.str_("z")]


@pytest.mark.parametrize("odd", ODD, ids=repr)
@pytest.mark.parametrize("where", [0, 2, 4])
def test_fetch_gives_the_reference_frame_whatever_the_driver_returns(odd, where):
    rows = [("t0", "u0"), ("t1", None), ("t2", "u2"), (None, "u3"), ("t4", "u4")]
    rows[where] = (odd, rows[where][1])
    cols = ["a", "b"]
    got = extraction._fetch(_Cursor(rows), cols, chunk=2)
    want = _fetch_reference(rows, cols, chunk=2)
    pd.testing.assert_frame_equal(got, want)
    for c in cols:
        assert got[c].dtype == want[c].dtype


def test_fetch_of_no_rows_and_of_all_nulls():
    pd.testing.assert_frame_equal(extraction._fetch(_Cursor([]), ["a"]), _fetch_reference([], ["a"], 5))
    rows = [(None, None)] * 3
    pd.testing.assert_frame_equal(extraction._fetch(_Cursor(rows), ["a", "b"], chunk=2),
                                  _fetch_reference(rows, ["a", "b"], 2))


def test_fetch_keeps_text_the_driver_cannot_encode_as_the_reference_does():
    rows = [("\ud800",)]
    with pytest.raises(UnicodeEncodeError):
        _fetch_reference(rows, ["a"], 5)
    with pytest.raises(UnicodeEncodeError):
        extraction._fetch(_Cursor(rows), ["a"])


def _map_codes_reference(s, table, column, ref, unknown, findings):
    keys = extraction.code_key(s)
    lookup = dict(zip(ref["key"], ref["mapped"], strict=False))
    counts = (pd.DataFrame({"recorded_value": s, "key": keys}).dropna()
              .groupby(["recorded_value", "key"], observed=True).size().rename("rows").reset_index())
    counts["mapped_to"] = counts["key"].map(lookup)
    counts["recognised"] = counts["mapped_to"].notna()
    counts["mapped_to"] = counts["mapped_to"].fillna(unknown)
    mapped = keys.map(lookup).astype("string").mask(keys.notna() & ~keys.isin(list(lookup)), unknown)
    unrec = counts[~counts["recognised"]]
    if len(unrec):
        findings.append(dict(table=table, column=column, finding="unrecognised code (read as unknown)",
                             value=str(unrec.sort_values(["rows", "recorded_value"], ascending=[False, True])
                                       ["recorded_value"].iloc[0]) + " (most frequent)",
                             rows=int(unrec["rows"].sum()), action=f"counted as {unknown}"))
    codes = counts.drop(columns="key").assign(table=table, column=column)
    return mapped, codes[["table", "column", "recorded_value", "rows", "mapped_to", "recognised"]]


SPELLINGS = ["M", "m", "Male", "F", " f", "female", "U", "X", "??", "Not known", "IC1", "ic 3", "White", "é"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(SPELLINGS)), max_size=40), st.sampled_from(["sex", "ethnicity"]))
def test_map_codes_matches_the_reference(values, column):
    ref = extraction.load_code_map(column)
    unknown = extraction.CODE_MAPS[column][2]
    s = pd.Series(values, dtype="string", index=np.arange(len(values)) * 3)
    f1: list[dict] = []
    f2: list[dict] = []
    got_mapped, got_codes = extraction._map_codes(s, "crime_nominals", column, ref, unknown, f1)
    want_mapped, want_codes = _map_codes_reference(s, "crime_nominals", column, ref, unknown, f2)
    pd.testing.assert_series_equal(got_mapped, want_mapped)
    pd.testing.assert_frame_equal(got_codes, want_codes)
    assert f1 == f2


TEXT = st.one_of(st.none(), st.sampled_from(["", "a", "A", "b", "ab", "é", "z", "P10", "P2"]))
DATE = st.one_of(st.none(), st.sampled_from([np.datetime64("2020-01-01"), np.datetime64("1900-01-01")]))


def _frame(rows):
    return pd.DataFrame({
        "t": pd.Series([r[0] for r in rows], dtype="string"),
        "d": pd.Series([r[1] for r in rows], dtype="datetime64[s]"),
        "u": pd.Series([r[2] for r in rows], dtype="string"),
    }, index=np.arange(len(rows)) * 2 + 5)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(TEXT, DATE, TEXT), max_size=30))
def test_sort_order_is_pandas_stable_sort_and_repeats_is_duplicated(rows):
    df = _frame(rows)
    by = list(df.columns)
    want = df.sort_values(by, kind="mergesort", na_position="last")
    got = df.take(sort_order(df, by))
    pd.testing.assert_frame_equal(got, want)
    pd.testing.assert_frame_equal(df.take(sort_order(df, ["u"])), df.sort_values(["u"], kind="mergesort",
                                                                                 na_position="last"))
    # In that order the repeated rows are exactly the rows pandas calls duplicates.
    pd.testing.assert_series_equal(repeats(got), got.duplicated(keep="first"))


def test_sort_order_and_repeats_on_object_columns_take_pandas_path():
    df = pd.DataFrame({"a": pd.Series([2, 1, 2, None], dtype=object), "b": ["x", "y", "x", "z"]})
    pd.testing.assert_frame_equal(df.take(sort_order(df, ["a", "b"])),
                                  df.sort_values(["a", "b"], kind="mergesort", na_position="last"))
    s = df.take(sort_order(df, ["a", "b"]))
    pd.testing.assert_series_equal(repeats(s), s.duplicated(keep="first"))
