"""Headline facts: written once by their stage, read back unchanged, formulas worked by hand."""
from __future__ import annotations

import pandas as pd

from helpers import filtering, labels, linking, store

START, END = "2016-01-01", "2020-12-31"

# Three crimes: c1 (2015, before the window) with o1 and o2; c2 (2017) with o1; c3 (2019) with o3,
# whose ethnicity is not recorded.
FULL = pd.DataFrame({
    "crime_id": ["c1", "c1", "c2", "c3"], "offender_id": ["o1", "o2", "o1", "o3"],
    "victim_id": ["v1", "v1", "v2", "v3"],
    "crime_date": pd.to_datetime(["2015-06-01", "2015-06-01", "2017-01-01", "2019-05-05"]),
    "offender_ethnicity": ["W1", "A1", "W1", None],
    "victim_dob_after_crime": [False, False, True, False],
})
EXCLUSIONS = pd.DataFrame({"stage": ["selection", "selection"],
                           "rule": ["offender younger than 10", "victim older than 17"],
                           "rows_excluded": [2, 5]})
# One link: o1 (c1) and o2 (c1) share victim v1.
FINAL = pd.DataFrame({"offender_a": ["o1"], "crime_a": ["c1"], "offender_b": ["o2"], "crime_b": ["c1"]})


def test_filtering_headline_counts_rows_people_window_and_unknown_ethnicity():
    h = filtering.headline(FULL, EXCLUSIONS, START, END)
    assert h == {
        "offenders_in_window": 2,                       # o1 (c2) and o3 (c3)
        "offenders_in_window_ethnicity_unknown": 1,     # o3
        "rows": 4, "offenders": 3, "victims": 3, "crimes": 3,
        "crimes_in_window": 2,                          # c2, c3
        "offender_under_min_rows": 2, "victim_born_after_rows": 1,
        "pct_single_offender": 66.7,                    # c2 and c3 of three crimes
        "max_offenders_per_crime": 2,
    }


def test_linking_headline_counts_connections_and_linked_crimes_in_the_window():
    h = linking.headline(FINAL, FULL, START, END)
    assert h == {"crimes_in_window": 0,                 # c1 is from 2015
                 "connections": 1, "offenders": 2, "crimes": 1,
                 "pct_single_offender": 0.0, "max_offenders_per_crime": 2}


def test_facts_written_by_a_stage_read_back_unchanged_and_nan_as_null(tmp_path):
    store.write_facts(tmp_path, "demo_facts", {"n": 3, "share": 0.25, "gap": float("nan"), "method": "x"})
    back = store.read_facts(tmp_path, "demo_facts")
    assert back is not None
    assert {k: v for k, v in back.items() if k != "gap"} == {"n": 3, "share": 0.25, "method": "x"}
    assert back["gap"] is None
    assert store.read_facts(tmp_path, "no_such_facts") is None


def test_every_label_section_maps_raw_names_to_nonempty_text():
    for section in labels.SECTIONS:
        m = labels.load()[section]
        assert m and all(isinstance(v, str) and v.strip() for v in m.values()), section
    assert labels.rule_words("title|mo") == "title + MO"
    assert labels.column("no_such_column") == "no_such_column"
