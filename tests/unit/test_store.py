"""Hand-offs: reading only the rows and columns a stage needs gives what filtering the whole would."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import store


def _nominals() -> pd.DataFrame:
    return pd.DataFrame({
        "crime_id": pd.Series(["C1", "C1", "C2", "C3", "C3"], dtype="string"),
        "person_id": pd.Series(["P2", "P1", "P2", "P3", "P1"], dtype="string"),
        "dob": pd.to_datetime(["2001-01-01", None, "2001-01-01", "1990-05-05", None]),
    })


def test_load_rows_keeps_the_asked_rows_in_stored_order_with_only_the_asked_columns(tmp_path):
    store.save_work(tmp_path, "extraction", {"crime_nominals": _nominals()})
    got = store.load_rows(tmp_path, "extraction", "crime_nominals", ["person_id", "dob"], "crime_id", ["C3", "C1"])
    expected = pd.DataFrame({
        "person_id": pd.Series(["P2", "P1", "P3", "P1"], dtype="string"),
        "dob": pd.to_datetime(["2001-01-01", None, "1990-05-05", None]),
    })
    pd.testing.assert_frame_equal(got, expected)


def test_load_rows_equals_filtering_the_whole_hand_off(tmp_path):
    store.save_work(tmp_path, "extraction", {"crime_nominals": _nominals()})
    whole = store.load_work(tmp_path, "extraction", ["crime_nominals"])["crime_nominals"]
    for values in ({"P1"}, ["P9"], [], {"P1", "P2", "P3", None}, pd.Series(["P3", pd.NA, "P3"], dtype="string"),
                   pd.Index(["P2"]), np.array(["P1", None], dtype=object), [7, "P1", float("nan")]):
        asked = {str(v) for v in values if not pd.isna(v)}  # numbers are asked for as their text
        expected = whole[whole["person_id"].isin(asked)].reset_index(drop=True)
        got = store.load_rows(tmp_path, "extraction", "crime_nominals", list(whole.columns), "person_id", values)
        pd.testing.assert_frame_equal(got, expected)


def test_load_rows_of_a_missing_hand_off_says_to_run_the_earlier_stage(tmp_path):
    with pytest.raises(FileNotFoundError, match="Run the notebooks in order"):
        store.load_rows(tmp_path, "extraction", "crime_nominals", ["person_id"], "person_id", ["P1"])


def test_a_rule_that_drops_nothing_counts_zero_and_the_kept_frame_is_independent_of_the_input():
    frame = _nominals()
    ledger = store.ExclusionLedger("extraction")
    kept = ledger.apply("no dates in the future", frame, pd.Series([False] * 5))
    kept.loc[0, "person_id"] = "P9"  # changing what a rule kept never changes what it was given
    assert frame.loc[0, "person_id"] == "P2"
    pd.testing.assert_frame_equal(kept.drop(index=0), _nominals().drop(index=0))
    assert ledger.rows == [dict(stage="extraction", rule="no dates in the future", unit="rows", rows_in=5,
                                rows_excluded=0, rows_out=5)]


def test_a_rule_that_drops_rows_keeps_the_others_in_order():
    ledger = store.ExclusionLedger("extraction")
    kept = ledger.apply("no date of birth", _nominals(), pd.Series([False, True, False, False, True]))
    pd.testing.assert_frame_equal(kept, _nominals().iloc[[0, 2, 3]])
    assert ledger.rows[0]["rows_excluded"] == 2 and ledger.rows[0]["rows_out"] == 3


def test_load_rows_read_in_many_batches_gives_the_rows_of_one_read_in_stored_order(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "LOAD_BATCH_ROWS", 2)  # five rows, one value asked for: three batches
    monkeypatch.setattr(store, "LOAD_BATCH_PER_VALUE", 1)
    store.save_work(tmp_path, "extraction", {"crime_nominals": _nominals()})
    got = store.load_rows(tmp_path, "extraction", "crime_nominals", ["crime_id", "dob"], "person_id", ["P1"])
    expected = pd.DataFrame({
        "crime_id": pd.Series(["C1", "C3"], dtype="string"),
        "dob": pd.to_datetime([None, None]).astype("datetime64[us]"),  # as saved
    })
    pd.testing.assert_frame_equal(got, expected)


def test_load_rows_matching_nothing_gives_an_empty_frame_with_the_asked_columns_and_types(tmp_path):
    store.save_work(tmp_path, "extraction", {"crime_nominals": _nominals()})
    got = store.load_rows(tmp_path, "extraction", "crime_nominals", ["person_id", "dob"], "crime_id", ["C9"])
    expected = pd.DataFrame({"person_id": pd.Series([], dtype="string"),
                             "dob": pd.to_datetime([]).astype("datetime64[us]")})
    pd.testing.assert_frame_equal(got, expected)


def test_frame_hash_is_the_same_for_the_same_rows_in_any_order_and_changes_with_any_value():
    df = pd.DataFrame({"crime_id": pd.Series(["C1", "C2", "C3"], dtype="string"),
                       "n": pd.Series([1, None, 3], dtype=object),
                       "dob": pd.to_datetime(["2001-01-01", None, "1990-05-05"])})
    base = store.frame_hash(df)
    assert store.frame_hash(df.iloc[[2, 0, 1]]) == base
    assert store.frame_hash(df.assign(n=pd.Series([1, None, 4], dtype=object))) != base
    assert store.frame_hash(df.assign(crime_id=pd.Series(["C1", "", "C3"], dtype="string"))) != \
        store.frame_hash(df.assign(crime_id=pd.Series(["C1", None, "C3"], dtype="string")))  # NULL is not ''
    assert store.frame_hash(df.rename(columns={"n": "m"})) != base
    # swapping two rows' values of one column is a change, though each column holds the same values
    assert store.frame_hash(df.assign(crime_id=pd.Series(["C2", "C1", "C3"], dtype="string"))) != base


def test_frame_hash_of_a_column_mixing_numbers_and_text_is_order_free_too():
    mixed = pd.DataFrame({"person_id": pd.Series([7, "P2", None], dtype=object), "role": ["v", "o", "o"]})
    assert len(store.row_hashes(mixed)) == 3
    assert store.frame_hash(mixed.iloc[[1, 2, 0]]) == store.frame_hash(mixed)
    assert store.frame_hash(mixed) != store.frame_hash(mixed.assign(person_id=pd.Series(["7", "P2", None])))
