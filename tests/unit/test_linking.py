"""Victim, intelligence, PINS and SOC links against weights worked by hand."""
from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.extraction import SourceDataError
from helpers.linking import final_table, intel_links, link, load_grading_map, person_edges, pins_links, soc_links
from helpers.store import ExclusionLedger

AS_OF = "2021-03-15"
GRADING = load_grading_map("data/reference/intel_grading.csv")


def ft(rows):
    df = pd.DataFrame(rows, columns=["crime_id", "offender_id", "victim_id", "crime_date"])
    df["crime_date"] = pd.to_datetime(df["crime_date"])
    return df


class TestVictimLinks:
    def test_same_crime_co_offenders_link(self):
        out = final_table(ft([("C1", "A", "V", "2021-03-15"), ("C1", "B", "V", "2021-03-15")]), AS_OF, 365, 730)
        assert out[["offender_a", "crime_a", "offender_b", "crime_b"]].values.tolist() == [["A", "C1", "B", "C1"]]
        assert out["weight"].iloc[0] == pytest.approx(1.0)  # same day, on as_of

    def test_one_offender_with_one_victim_in_two_crimes_is_no_link(self):
        assert final_table(ft([("C1", "A", "V", "2020-01-01"), ("C2", "A", "V", "2020-02-01")]),
                           AS_OF, 365, 730).empty

    def test_two_offenders_sharing_two_victims_make_one_connection(self):
        out = final_table(ft([("C1", "A", "V1", "2020-03-15"), ("C1", "A", "V2", "2020-03-15"),
                              ("C2", "B", "V1", "2019-03-15"), ("C2", "B", "V2", "2019-03-15")]), AS_OF, 365, 730)
        assert len(out) == 1 and out["n_shared_victims"].iloc[0] == 2
        # |t1-t2| = 366 days (2020 is a leap year), as_of - max = 365 days
        assert out["weight"].iloc[0] == pytest.approx(2 ** (-366 / 365) * 2 ** (-365 / 730))

    def test_three_offenders_on_one_victim_give_three_pairs(self):
        out = final_table(ft([("C1", "A", "V", "2020-01-01"), ("C2", "B", "V", "2020-01-01"),
                              ("C3", "C", "V", "2020-01-01")]), AS_OF, 365, 730)
        assert len(out) == 3


def logs_frame(rows):
    df = pd.DataFrame(rows, columns=["log_id", "log_date", "grading_system", "source_grade", "information_grade"])
    df["log_date"] = pd.to_datetime(df["log_date"])
    return df


def members(rows):
    return pd.DataFrame(rows, columns=["log_id", "person_id"])


class TestIntelLinks:
    def links(self, logs, mem, offenders=frozenset({"O1", "O2"})):
        ledger = ExclusionLedger("linking")
        return intel_links(logs_frame(logs), members(mem), set(offenders), GRADING, AS_OF, 730, ledger), ledger

    def test_weight_is_one_over_n_minus_one_times_recency(self):
        out, _ = self.links([("L1", "2019-03-16", "3x5x2", "1", "A")],
                            [("L1", "O1"), ("L1", "X"), ("L1", "Y")])
        # n = 3 people; 730 days before as_of (2019-03-16 .. 2021-03-15 = 730 days) -> 1/2 * 1/2
        assert sorted(map(tuple, out[["person_a", "person_b"]].values)) == [("O1", "X"), ("O1", "Y")]
        assert out["weight"].tolist() == pytest.approx([0.25, 0.25])

    def test_two_offenders_on_a_log_are_one_link(self):
        out, _ = self.links([("L1", AS_OF, "5x5x5", "B", "2")], [("L1", "O1"), ("L1", "O2")])
        assert len(out) == 1 and out["weight"].iloc[0] == pytest.approx(1.0)

    @pytest.mark.parametrize("system,src,info", [
        ("5x5x5", "D", "1"), ("5x5x5", "E", "1"), ("5x5x5", "A", "4"), ("5x5x5", "A", "5"),
        ("3x5x2", "2", "A"), ("3x5x2", "3", "A"), ("3x5x2", "1", "D"), ("3x5x2", "1", "E"),
    ])
    def test_every_excluded_grade_is_not_used(self, system, src, info):
        out, ledger = self.links([("L1", "2020-01-01", system, src, info)], [("L1", "O1"), ("L1", "X")])
        assert out.empty
        assert ledger.frame().set_index("rule").loc["intel log grading not included (force report section 7.2)",
                                                    "rows_excluded"] == 1

    @pytest.mark.parametrize("system,src,info", [("5x5x5", s, i) for s in "ABC" for i in "123"]
                             + [("3x5x2", "1", i) for i in "ABC"])
    def test_every_included_grade_is_used(self, system, src, info):
        out, _ = self.links([("L1", "2020-01-01", system, src, info)], [("L1", "O1"), ("L1", "X")])
        assert len(out) == 1

    def test_log_after_as_of_and_one_person_logs_are_counted(self):
        out, ledger = self.links([("L1", "2021-03-16", "3x5x2", "1", "A"), ("L2", "2020-01-01", "3x5x2", "1", "A"),
                                  ("L3", "2020-01-01", "3x5x2", "1", "A")],
                                 [("L1", "O1"), ("L1", "X"), ("L2", "O1"), ("L3", "X"), ("L3", "Y")])
        ex = ledger.frame().set_index("rule")["rows_excluded"]
        assert out.empty
        assert ex["intel log dated after as_of"] == 1
        assert ex["intel log names only one person"] == 1
        assert ex["intel log names no full-table offender"] == 1

    def test_unknown_grade_stops_with_table_column_and_example(self):
        with pytest.raises(SourceDataError, match=r"intel_logs.*source_grade.*'Z'"):
            self.links([("L1", "2020-01-01", "5x5x5", "Z", "1")], [("L1", "O1")])


def stays(rows):
    df = pd.DataFrame(rows, columns=["stay_id", "person_id", "establishment", "cell_id", "stay_start", "stay_end"])
    for c in ("stay_start", "stay_end"):
        df[c] = pd.to_datetime(df[c])
    return df


class TestPinsLinks:
    def links(self, rows, offenders=frozenset({"O1", "O2"}), min_days=30):
        ledger = ExclusionLedger("linking")
        return pins_links(stays(rows), set(offenders), AS_OF, min_days, 730, ledger), ledger

    def test_29_days_is_not_enough_30_is(self):
        out, _ = self.links([("S1", "O1", "E1", "c1", "2020-01-01", "2020-01-30"),   # overlap 29 days with S2
                             ("S2", "X", "E1", "c1", "2020-01-01", "2020-06-01"),
                             ("S3", "O1", "E1", "c2", "2020-01-01", "2020-01-31"),   # overlap 30 days with S4
                             ("S4", "Y", "E1", "c2", "2019-12-01", "2020-03-01")])
        assert out["person_b"].tolist() == ["Y"]

    def test_different_establishment_same_cell_name_is_no_link(self):
        out, _ = self.links([("S1", "O1", "E1", "c1", "2020-01-01", "2020-06-01"),
                             ("S2", "X", "E2", "c1", "2020-01-01", "2020-06-01")])
        assert out.empty

    def test_open_stay_ends_at_as_of_and_weight_uses_overlap_end(self):
        out, _ = self.links([("S1", "O1", "E1", "c1", "2019-01-01", None),
                             ("S2", "X", "E1", "c1", "2019-03-16", "2025-01-01")])
        # overlap 2019-03-16 .. as_of (both end at as_of) -> weight 2^0 = 1
        assert out["weight"].iloc[0] == pytest.approx(1.0)
        out, _ = self.links([("S1", "O1", "E1", "c1", "2019-01-01", None),
                             ("S2", "X", "E1", "c1", "2019-01-01", "2019-03-16")])
        assert out["weight"].iloc[0] == pytest.approx(0.5)  # overlap ends 730 days before as_of

    def test_two_offenders_in_one_cell_are_one_link(self):
        out, _ = self.links([("S1", "O1", "E1", "c1", "2020-01-01", "2020-06-01"),
                             ("S2", "O2", "E1", "c1", "2020-01-01", "2020-06-01")])
        assert len(out) == 1 and out["evidence_id"].iloc[0] == "S1~S2"

    def test_stay_starting_after_as_of_is_counted_and_unused(self):
        out, ledger = self.links([("S1", "O1", "E1", "c1", "2021-04-01", None),
                                  ("S2", "X", "E1", "c1", "2021-04-01", None)])
        assert out.empty
        assert ledger.frame().set_index("rule").loc["cell stay starts after as_of", "rows_excluded"] == 2


class TestPersonEdges:
    def test_soc_edges_come_in_as_they_are_and_sum_per_pair(self):
        edges = pd.DataFrame({"person_a": ["B", "A", "C"], "person_b": ["A", "B", "C"],
                              "weight": [1.5, 2.0, 9.0], "link_type": ["x", "y", "z"]})
        ledger = ExclusionLedger("linking")
        out = person_edges(soc_links(edges, ledger))
        assert out.values.tolist() == [["A", "B", "soc", 3.5, 2]]
        assert ledger.frame()["rows_excluded"].tolist() == [1]


@st.composite
def full_tables(draw):
    n = draw(st.integers(1, 25))
    rows = [(f"C{draw(st.integers(0, 6))}", f"O{draw(st.integers(0, 5))}", f"V{draw(st.integers(0, 4))}",
             draw(st.dates(min_value=pd.Timestamp("2000-01-01").date(), max_value=pd.Timestamp(AS_OF).date())))
            for _ in range(n)]
    # one date per crime, as in the full table
    dates = {}
    rows = [(c, o, v, dates.setdefault(c, d)) for c, o, v, d in rows]
    return ft([(c, o, v, str(d)) for c, o, v, d in rows]).drop_duplicates()


class TestProperties:
    @settings(max_examples=60, deadline=None)
    @given(full_tables())
    def test_final_table_has_no_self_links_is_canonical_and_weights_in_0_1(self, table):
        out = final_table(table, AS_OF, 365, 730)
        assert (out["offender_a"] < out["offender_b"]).all()
        assert ((out["weight"] > 0) & (out["weight"] <= 1)).all()
        assert not out.duplicated(["offender_a", "crime_a", "offender_b", "crime_b"]).any()

    @settings(max_examples=60, deadline=None)
    @given(full_tables())
    def test_links_are_symmetric_in_row_order(self, table):
        a = final_table(table, AS_OF, 365, 730)
        b = final_table(table.iloc[::-1], AS_OF, 365, 730)
        pd.testing.assert_frame_equal(a, b)

    @settings(max_examples=60, deadline=None)
    @given(full_tables())
    def test_pair_count_matches_brute_force(self, table):
        rows = list(table.drop_duplicates(["offender_id", "crime_id", "victim_id"]).itertuples(index=False))
        expect = {tuple(sorted([(r.offender_id, r.crime_id), (s.offender_id, s.crime_id)]))
                  for r in rows for s in rows if r.victim_id == s.victim_id and r.offender_id != s.offender_id}
        assert len(final_table(table, AS_OF, 365, 730)) == len(expect)


def test_link_rolls_up_every_source_with_traceable_evidence():
    full = ft([("C1", "O1", "V", "2021-03-15"), ("C2", "O2", "V", "2021-03-15")])
    tables = {
        "intel_logs": logs_frame([("L1", "2021-03-15", "3x5x2", "1", "A")]),
        "intel_log_nominals": members([("L1", "O1"), ("L1", "O2")]),
        "pins_cell_stays": stays([("S1", "O1", "E", "c", "2020-01-01", None),
                                  ("S2", "O2", "E", "c", "2020-01-01", None)]),
        "soc_network_edges": pd.DataFrame({"person_a": ["O2"], "person_b": ["O1"], "weight": [3.0],
                                           "link_type": ["a"]}),
    }
    out = link(full, tables, GRADING, AS_OF, 365, 730, 30)
    e = out.network_edges.set_index("source")
    assert sorted(e.index) == ["crime", "intel", "pins", "soc"]
    assert (e["person_a"] == "O1").all() and (e["person_b"] == "O2").all()
    assert e.loc["crime", "weight"] == pytest.approx(1.0) and e.loc["soc", "weight"] == 3.0
    assert set(out.evidence["evidence_id"]) == {"C1~C2", "L1", "S1~S2", "soc:O1~O2"}
    assert math.isclose(out.evidence["weight"].sum(), e["weight"].sum())


def test_soc_evidence_ids_come_from_content_not_row_position():
    edges = pd.DataFrame({"person_a": ["B", "A", "C", "B"], "person_b": ["A", "B", "D", "A"],
                          "weight": [2.0, 1.0, 5.0, 1.0], "link_type": ["kin", "associate", "kin", "associate"]})
    a = soc_links(edges, ExclusionLedger("linking"))
    b = soc_links(edges.iloc[[3, 2, 0, 1]].reset_index(drop=True), ExclusionLedger("linking"))
    pd.testing.assert_frame_equal(a, b)
    # Worked by hand: pair A~B has three edges, ordered by link type then weight; C~D one.
    assert a[["evidence_id", "detail", "weight"]].values.tolist() == [
        ["soc:A~B", "associate", 1.0], ["soc:A~B#2", "associate", 1.0], ["soc:A~B#3", "kin", 2.0],
        ["soc:C~D", "kin", 5.0]]


def test_evidence_weight_is_the_contract_formula_by_hand():
    import numpy as np

    from helpers.linking import evidence_weight
    nan = np.nan
    got = evidence_weight(np.array(["crime", "intel", "pins", "soc"]), age_days=np.array([730.0, 730.0, 0.0, 365.0]),
                          gap_days=np.array([-365.0, nan, nan, nan]), n_people=np.array([nan, 3, nan, 2]),
                          proximity_half_life=365.0, recency_half_life=730.0)
    # crime: 2^-(365/365) x 2^-(730/730) = 0.25; intel: 2^-1 / (3 - 1) = 0.25; pins today 1; soc 2^-0.5
    np.testing.assert_allclose(got, [0.25, 0.25, 1.0, 2 ** -0.5])
