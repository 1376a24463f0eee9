"""Harm weights, the official-file loaders and hand-worked harm sums."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from helpers import harm
from helpers.config import REFERENCE_DIR

SHIPPED = REFERENCE_DIR / "harm_weights.csv"
HO_CODES = pd.DataFrame({
    "ho_code": ["19C", "19E", "17B", "88E"],
    "ho_title": ["Rape of a female aged 16 and over", "Rape of a female child under 13",
                 "Sexual assault on a male child under 13", "Exposure and voyeurism"],
})


# ------------------------------------------------------------- shipped file
@pytest.fixture(scope="module")
def shipped() -> pd.DataFrame:
    return harm.load_weights(SHIPPED)


def test_shipped_file_covers_every_code_in_both_indices(shipped):
    assert list(pd.read_csv(SHIPPED, nrows=1).columns) == harm.WEIGHT_COLUMNS
    # all 46 codes of the Home Office list in data/reference/README.md, for both indices
    for idx in harm.INDICES:
        assert shipped.loc[shipped["index"] == idx, "ho_code"].nunique() == 46
    assert shipped["citation"].str.len().min() > 20
    assert set(shipped["status"]) <= set(harm.STATUSES)


def test_no_sexual_offence_weight_claims_to_be_official(shipped):
    sexual = ["19C", "19D", "19E", "19F", "19G", "19H", "17A", "17B", "20A", "20B", "21", "22A", "22B",
              "23", "24", "70", "71", "72", "73", "86", "88A", "88C", "88D", "88E"]
    s = shipped.loc[shipped["ho_code"].isin(sexual)]
    assert len(s) == 2 * len(sexual)
    assert (s["status"] == "illustrative").all()
    assert s["citation"].str.contains("ILLUSTRATIVE").all()


def test_illustrative_weights_keep_a_defensible_order(shipped):
    # rape of a child > sexual assault > exposure, in both indices
    for idx in harm.INDICES:
        w = shipped.loc[shipped["index"] == idx].set_index("ho_code")["weight"]
        assert w["19E"] > w["17B"] > w["88E"]
        assert w["19H"] > w["20B"] > w["88E"]
        assert w["19E"] >= w["19C"]  # no child rape below an adult one


def test_secondary_weights_are_the_known_values(shipped):
    w = shipped.set_index(["index", "ho_code"])
    assert w.loc[("ons_css", "1"), "weight"] == 7979
    assert w.loc[("cchi", "34B"), "weight"] == 365
    assert w.loc[("cchi", "46"), "status"] == "secondary"
    assert w.loc[("cchi", "19E"), "weight"] == 4563  # (6 + 19) / 2 years x 365 days


def test_load_weights_rejects_a_bad_status(tmp_path):
    bad = pd.read_csv(SHIPPED, dtype=str)
    bad.loc[0, "status"] = "guess"
    p = tmp_path / "w.csv"
    bad.to_csv(p, index=False)
    with pytest.raises(harm.HarmWeightsError, match="status"):
        harm.load_weights(p)


@pytest.mark.parametrize("raw,code", [("019c", "19C"), (" 17b ", "17B"), (19.0, "19"), ("8N", "8N"), (None, None)])
def test_normalise_code(raw, code):
    assert harm.normalise_code(raw) == code


# ------------------------------------------------------------------ loaders
def _ons_rows() -> list[list]:
    # The data tool's layout: six lines of preamble, the header on row 7.
    pre = [["Crime Severity Score (Experimental Statistics)"], [], ["List of weights"], [], [], ["Notes"]]
    return pre + [["Offence category", "Weight"],
                  ["Rape of a female child under 13", 1500],
                  ["19C Rape of a female aged 16 and over", 1200],
                  ["Exposure and voyeurism", "25.5"],
                  ["Something not in the list", 5]]


def test_ons_datatool_xlsx(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active.title = "Contents"
    ws = wb.create_sheet(harm.ONS_SHEET)
    for row in _ons_rows():
        ws.append(row)
    p = tmp_path / "datatool.xlsx"
    wb.save(p)
    w, unmatched = harm.load_ons_datatool(p, "2024 edition", HO_CODES)
    got = w.set_index("ho_code")["weight"].to_dict()
    assert got == {"19E": 1500.0, "19C": 1200.0, "88E": 25.5}
    assert (w["status"] == "official").all() and (w["index"] == "ons_css").all()
    assert unmatched["Offence category"].tolist() == ["Something not in the list"]


def test_ons_datatool_csv_export(tmp_path):
    p = tmp_path / "list_of_weights.csv"
    pd.DataFrame([(r + ["", ""])[:2] for r in _ons_rows()]).to_csv(p, index=False, header=False)
    w, unmatched = harm.load_ons_datatool(p, "2024 edition", HO_CODES)
    assert w.set_index("ho_code")["weight"].to_dict()["19E"] == 1500.0
    assert len(unmatched) == 1


def test_cchi_workbook_median_rule(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = harm.CCHI_SHEET
    ws.append(harm.CCHI_COLUMNS)
    rows = [  # (score, HO_CODE, HO_SUB_CODE)
        (2920, 19, "C"), (3650, 19, "C"), (5475, "019", "c"),  # 19C: median of 2920, 3650, 5475 = 3650
        (1000, 17, "B"), (2000, 17, "17B"),                     # 17B: median of two = (1000 + 2000) / 2
        (7, 46, None), (9, 46, "01"),                           # numeric / empty sub code pools under 46
        ("n/a", 99, "Z"),                                       # no score: ignored
    ]
    for i, (score, code, sub) in enumerate(rows):
        ws.append([f"URN{i}", f"title {i}", score, "start", "G", "SG", "SSG", "HOC", code, sub, None])
    p = tmp_path / "cchi.xlsx"
    wb.save(p)
    w = harm.load_cchi_workbook(p, "CCHI 2026").set_index("ho_code")
    assert w["weight"].to_dict() == {"17B": 1500.0, "19C": 3650.0, "46": 8.0}
    assert "3 row(s)" in w.loc["19C", "citation"]
    assert (w["status"] == "official").all()


def test_cchi_loader_names_the_missing_header(tmp_path):
    p = tmp_path / "cchi.csv"
    pd.DataFrame([["a", "b"], [1, 2]]).to_csv(p, index=False, header=False)
    with pytest.raises(harm.HarmWeightsError, match="HO_CODE"):
        harm.load_cchi_workbook(p, "x")


def test_official_rows_replace_shipped_ones(shipped):
    official = pd.DataFrame([dict(index="cchi", edition="CCHI 2026", ho_code="19E", weight=2920.0,
                                  status="official", citation="workbook")])
    merged = harm.merge_weights(shipped, official)
    assert len(merged) == len(shipped)
    row = merged.loc[(merged["index"] == "cchi") & (merged["ho_code"] == "19E")].iloc[0]
    assert row["weight"] == 2920.0 and row["status"] == "official"


# --------------------------------------------------------------- harm sums
WEIGHTS = pd.DataFrame([
    dict(index="cchi", edition="t", ho_code="19E", weight=100.0, status="illustrative", citation="c"),
    dict(index="cchi", edition="t", ho_code="88E", weight=10.0, status="illustrative", citation="c"),
    dict(index="cchi", edition="t", ho_code="17B", weight=50.0, status="secondary", citation="c"),
    dict(index="ons_css", edition="t", ho_code="19E", weight=200.0, status="illustrative", citation="c"),
    dict(index="ons_css", edition="t", ho_code="88E", weight=20.0, status="illustrative", citation="c"),
])


@pytest.fixture
def full_table() -> pd.DataFrame:
    # c1: two offenders x two victims (4 rows) - each offender's harm counts c1 ONCE.
    rows = [("c1", "o1", "v1", "19E"), ("c1", "o1", "v2", "19E"), ("c1", "o2", "v1", "19E"), ("c1", "o2", "v2", "19E"),
            ("c2", "o1", "v3", "88e"), ("c3", "o2", "v4", "ZZZ"), ("c4", "o3", "v5", " 17B")]
    df = pd.DataFrame(rows, columns=["crime_id", "offender_id", "victim_id", "ho_offence_code"])
    df["crime_date"] = pd.to_datetime(["2020-01-01"] * 4 + ["2020-06-01", "2019-01-01", "2018-01-01"])
    return df


def _crimes(full_table: pd.DataFrame) -> pd.DataFrame:
    return harm.crime_harm(full_table, WEIGHTS)


def test_crime_harm_is_one_row_per_crime_with_each_index_weight_and_status(full_table):
    # c1's four rows are one crime; codes are normalised ("88e" -> 88E, " 17B" -> 17B) before the lookup.
    # c1 19E: 100 / 200, c2 88E: 10 / 20 (illustrative); c3 ZZZ: in neither index; c4 17B: CCHI 50
    # (secondary) but no ONS weight.
    expected = pd.DataFrame({
        "crime_id": ["c1", "c2", "c3", "c4"],
        "ho_offence_code": ["19E", "88e", "ZZZ", " 17B"],
        "crime_date": pd.to_datetime(["2020-01-01", "2020-06-01", "2019-01-01", "2018-01-01"]),
        "ho_code": ["19E", "88E", "ZZZ", "17B"],
        "harm_cchi": [100.0, 10.0, math.nan, 50.0],
        "status_cchi": ["illustrative", "illustrative", None, "secondary"],
        "harm_ons": [200.0, 20.0, math.nan, math.nan],
        "status_ons": ["illustrative", "illustrative", None, None],
    })
    crimes = _crimes(full_table)
    assert crimes["harm_cchi"].tolist()[:2] == [100.0, 10.0]
    assert math.isnan(crimes.loc[crimes["crime_id"] == "c3", "harm_cchi"].iloc[0])
    assert crimes.loc[crimes["crime_id"] == "c4", "harm_cchi"].iloc[0] == 50.0
    assert math.isnan(crimes.loc[crimes["crime_id"] == "c4", "harm_ons"].iloc[0])
    pd.testing.assert_frame_equal(crimes, expected)


def test_unweighted_counts_each_missing_code_per_index(full_table):
    # CCHI lacks ZZZ (c3); ONS lacks 17B (c4) and ZZZ (c3): counted per index, sorted by code, never dropped
    un = harm.unweighted(_crimes(full_table))
    assert un.to_dict("records") == [dict(index="cchi", ho_code="ZZZ", n_crimes=1),
                                     dict(index="ons_css", ho_code="17B", n_crimes=1),
                                     dict(index="ons_css", ho_code="ZZZ", n_crimes=1)]
    expected = pd.DataFrame({"index": ["cchi", "ons_css", "ons_css"], "ho_code": ["ZZZ", "17B", "ZZZ"],
                             "n_crimes": [1, 1, 1]})
    pd.testing.assert_frame_equal(un, expected)


def test_person_harm_sums_each_offenders_distinct_crimes_once(full_table):
    # o1: c1 (twice in the table, two victims) + c2 = 100 + 10 (CCHI), 200 + 20 (ONS), 2 crimes, last 2020-06-01.
    # o2: c1 + unweighted c3 = 100 / 200, one crime without a weight in each index, last 2020-01-01.
    # o3: c4 only = 50 CCHI, no ONS weight (sums to 0, counted as unweighted), last 2018-01-01.
    p = harm.person_harm(full_table, _crimes(full_table))
    expected = pd.DataFrame({
        "person_id": ["o1", "o2", "o3"],
        "n_crimes": [2, 2, 1],
        "harm_cchi": [110.0, 100.0, 50.0],
        "harm_ons": [220.0, 200.0, 0.0],
        "n_unweighted_cchi": [0, 1, 0],
        "n_unweighted_ons": [0, 1, 1],
        "last_crime_date": pd.to_datetime(["2020-06-01", "2020-01-01", "2018-01-01"]),
    })
    by_person = p.set_index("person_id")
    assert by_person.loc["o1", ["harm_cchi", "harm_ons", "n_crimes"]].tolist() == [110.0, 220.0, 2]
    assert by_person.loc["o2", ["harm_cchi", "n_unweighted_cchi"]].tolist() == [100.0, 1]
    assert by_person.loc["o3", ["harm_cchi", "harm_ons", "n_unweighted_ons"]].tolist() == [50.0, 0.0, 1]
    pd.testing.assert_frame_equal(p, expected)


def test_group_harm_counts_a_crime_its_members_share_once(full_table):
    # g1 = {o1, o2} holds c1, c2, c3 once each: 100 + 10 (+ no weight) = 110, NOT 110 + 100 = 210 from
    # summing its people; ONS 200 + 20 = 220. g2 = {o3} holds c4: 50 CCHI, no ONS weight (0).
    memb = pd.DataFrame({"person_id": ["o1", "o2", "o3"], "group_id": ["g1", "g1", "g2"]})
    g = harm.group_harm(full_table, _crimes(full_table), memb)
    expected = pd.DataFrame({
        "group_id": ["g1", "g2"],
        "n_crimes": [3, 1],
        "harm_cchi": [110.0, 50.0],
        "harm_ons": [220.0, 0.0],
        "last_crime_date": pd.to_datetime(["2020-06-01", "2018-01-01"]),
    })
    by_group = g.set_index("group_id")
    assert by_group.loc["g1", "harm_cchi"] == 110.0 and by_group.loc["g1", "n_crimes"] == 3
    assert by_group.loc["g2", "harm_cchi"] == 50.0
    pd.testing.assert_frame_equal(g, expected)


def test_concentration_and_illustrative_share(full_table):
    crimes = harm.crime_harm(full_table, WEIGHTS)
    people = harm.person_harm(full_table, crimes)
    c = harm.concentration(people).set_index(["index", "top_share"])
    # 3 offenders: top 1%, 5%, 10% are all ceil(...) = 1 offender, o1 with 110 of 260
    assert c.loc[("cchi", 0.10), "n_offenders"] == 1
    assert c.loc[("cchi", 0.01), "harm_share"] == pytest.approx(110 / 260)
    assert c.loc[("ons_css", 0.05), "harm_share"] == pytest.approx(220 / 420)
    share = harm.illustrative_share(crimes)
    assert share["cchi"] == pytest.approx(110 / 160)  # c1 + c2 illustrative, c4 secondary
    assert share["ons_css"] == pytest.approx(1.0)


def test_gini_and_group_concentration_by_hand():
    # Harms 0, 0, 0, 4: Gini = sum((2i - n - 1) v_i) / (n * total) with sorted v = (2*4 - 5) * 4 / (4 * 4) = 0.75.
    assert harm.gini([0, 0, 0, 4]) == pytest.approx(0.75)
    assert harm.gini([1, 1, 1, 1]) == pytest.approx(0.0)
    people = pd.DataFrame({"harm_cchi": [10.0, 5.0, 3.0, 2.0]})           # total 20
    groups = pd.DataFrame({"harm_cchi": [6.0, 4.0]})                      # total 10
    t = harm.concentration_table(people, groups, shares=(0.10, 0.5))
    # offenders: top 10% = ceil(0.4) = 1 -> 10/20; top 50% = 2 -> 15/20. groups: 1 -> 6/10 either way.
    assert t["unit"].tolist() == ["offenders", "offenders", "groups", "groups"]
    assert t["n_units"].tolist() == [1, 2, 1, 1]
    assert t["harm_share"].tolist() == pytest.approx([0.5, 0.75, 0.6, 0.6])
    # groups 4, 6: (-1*4 + 1*6) / (2 * 10) = 0.1
    assert t.loc[t["unit"] == "groups", "gini"].iloc[0] == pytest.approx(0.1)


def test_index_agreement_detects_a_constant_multiple():
    crimes = pd.DataFrame({"harm_cchi": [1.0, 2.0, 5.0, None], "harm_ons": [2.0, 4.0, 10.0, 3.0]})
    a = harm.index_agreement(crimes)
    assert a["n_crimes"] == 3 and a["correlation"] == pytest.approx(1.0)
    assert a["ratio_min"] == pytest.approx(2.0) and a["ratio_max"] == pytest.approx(2.0)
    b = harm.index_agreement(pd.DataFrame({"harm_cchi": [1.0, 2.0, 5.0], "harm_ons": [1.0, 4.0, 5.0]}))
    assert b["ratio_min"] == pytest.approx(1.0) and b["ratio_max"] == pytest.approx(2.0) and b["correlation"] < 1


def test_two_indices_that_order_five_crimes_alike_agree_exactly_not_to_the_last_bit():
    """Five crimes ranked the same by both indices: the rank correlation is 1.0 exactly (unrounded,
    pandas gives 0.9999999999999999 here, and which of the two a run gets depends on memory layout)."""
    from helpers.harm import index_agreement

    crimes = pd.DataFrame({"harm_cchi": [1.0, 2.0, 3.0, 4.0, 5.0], "harm_ons": [1.7, 3.4, 5.1, 6.8, 8.5]})
    got = index_agreement(crimes)
    assert got["rank_correlation"] == 1.0
    assert got["correlation"] == 1.0
    assert (got["ratio_min"], got["ratio_max"]) == pytest.approx((1.7, 1.7))
