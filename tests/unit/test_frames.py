"""frames.isin answers exactly as pandas' Series.isin would, whatever the values look like."""
from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers.frames import isin

S = pd.Series(["a", "b", None, "c", " a"], dtype="string", index=[10, 11, 12, 13, 14])


@pytest.mark.parametrize(("values", "expected"), [
    ({"a", "c"}, [True, False, False, True, False]),
    (["a", None], [True, False, True, False, False]),          # a missing value matches only a missing value
    (pd.Series(["b", "z"], dtype="string"), [False, True, False, False, False]),
    ([], [False] * 5),
    ({1, 2}, [False] * 5),                                      # numbers never match text
    (["a", 1], [True, False, False, False, False]),
])
def test_isin_matches_hand_worked_answers(values, expected):
    got = isin(S, values)
    pd.testing.assert_series_equal(got, pd.Series(expected, index=S.index))


def test_isin_on_non_text_series_is_pandas_isin():
    s = pd.Series([1, 2, 3])
    pd.testing.assert_series_equal(isin(s, {2}), pd.Series([False, True, False]))


@given(st.lists(st.one_of(st.none(), st.text(max_size=3)), max_size=30),
       st.lists(st.one_of(st.none(), st.text(max_size=3)), max_size=10))
def test_isin_agrees_with_pandas_on_any_text(data, values):
    s = pd.Series(data, dtype="string")
    pd.testing.assert_series_equal(isin(s, pd.Series(values, dtype="string")), s.isin(values))


def test_any_by_person_on_a_hand_built_frame():
    from helpers.people import any_by_person
    ids = pd.Series(["P2", "P10", "P2", "P1", "P10"], dtype="string")
    got = any_by_person(ids, [False, False, True, False, False])
    expected = pd.Series([False, False, True], index=pd.Index(["P1", "P10", "P2"], name="person_id"), dtype=bool)
    pd.testing.assert_series_equal(got, expected, check_index_type=False)


@given(st.lists(st.tuples(st.text(min_size=1, max_size=3), st.booleans()), max_size=40))
def test_any_by_person_agrees_with_a_groupby(rows):
    from helpers.people import any_by_person
    ids = pd.Series([r[0] for r in rows], dtype="string")
    flags = [r[1] for r in rows]
    got = any_by_person(ids, flags)
    want = pd.Series(flags, index=ids.astype(str).to_numpy(), dtype=bool).groupby(level=0).any().sort_index()
    assert list(got.index) == list(want.index) and list(got) == list(want)


def test_isin_reads_values_given_as_a_generator():
    assert isin(S, (v for v in ["a", "c"])).tolist() == [True, False, False, True, False]
    assert isin(S, (v for v in ["a", 1])).tolist() == [True, False, False, False, False]  # mixed: pandas' path
    assert isin(pd.Series([1, 2, 3]), (v for v in [2])).tolist() == [False, True, False]


def test_per_distinct_spreads_each_distinct_answer_to_its_rows_and_gives_missing_its_own_value():
    from helpers.frames import per_distinct
    s = pd.Series(["Rape", None, "rape", "Theft", "Rape"], dtype="string", index=[5, 6, 7, 8, 9])
    calls = []

    def test(u):
        calls.append(len(u))
        return u.str.lower().eq("rape")
    got = per_distinct(s, test)
    pd.testing.assert_series_equal(got, pd.Series([True, False, True, False, True], index=s.index))
    assert calls == [3]  # Rape, rape, Theft: once each
    assert per_distinct(s, test, missing=True).tolist() == [True, True, True, False, True]
    assert per_distinct(pd.Series([], dtype="string"), test).tolist() == []


@given(st.lists(st.one_of(st.none(), st.sampled_from(["a", "B", " b", "c "])), max_size=30))
def test_per_distinct_agrees_with_the_test_on_every_row(values):
    from helpers.frames import per_distinct
    s = pd.Series(values, dtype="string")
    test = lambda u: u.astype(str).str.strip().str.upper().isin({"B", "C"})  # noqa: E731
    want = [v is not None and v.strip().upper() in {"B", "C"} for v in values]
    assert per_distinct(s, test).tolist() == want
