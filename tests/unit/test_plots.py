"""plots.py: every figure function on a small hand-built frame; the counts drawn are checked
against values worked out by hand from the rows below."""
from __future__ import annotations

import pandas as pd
import pytest

from helpers import plots, report

COLS = ["crime_id", "offender_id", "victim_id", "crime_date", "offender_age", "victim_age", "offender_sex",
        "victim_sex", "offender_ethnicity", "victim_ethnicity", "offender_sex_conflict", "victim_sex_conflict"]
W, B, U = "IC1 - White North European", "IC3 - Black", "IC9 - Unknown"

# crime, offender, victim, date, o_age, v_age, o_sex, v_sex, o_eth, v_eth, o_conflict, v_conflict
ROWS = [
    ("C1", "O1", "V1", "2009-06-01", 30, 14, "M", "F", W, W, False, False),
    ("C2", "O1", "V2", "2016-03-01", 31, 15, "M", "F", W, None, False, False),
    ("C2", "O2", "V2", "2016-03-01", 16, 15, "M", "F", None, None, False, False),
    ("C3", "O3", "V3", "2018-01-01", 40, 12, "F", "M", U, B, False, True),
    ("C4", "O4", "V3", "2018-05-01", None, 12, "U", "M", None, B, False, True),
    ("C5", "O2", "V4", "2020-12-31", 17, None, "M", "F", None, W, False, False),
    ("C6", "O5", "V5", "2021-01-10", 14, 15, "F", "F", B, W, True, False),
]
# Final table: O1/C2 and O2/C2 share V2 (same crime); O3/C3 and O4/C4 share V3.
FINAL = pd.DataFrame({"offender_a": ["O1", "O3"], "crime_a": ["C2", "C3"], "offender_b": ["O2", "O4"],
                      "crime_b": ["C2", "C4"], "n_shared_victims": [1, 1], "weight": [1.0, 0.5]})


@pytest.fixture
def full():
    df = pd.DataFrame(ROWS, columns=COLS)
    df["crime_date"] = pd.to_datetime(df["crime_date"])
    for c in ("offender_age", "victim_age"):
        df[c] = df[c].astype("Int64")
    return df


@pytest.fixture
def fin(full):
    return plots.final_rows(full, FINAL)


def counts(p, *keys):
    d = p.data
    return {tuple(str(r[k]) for k in keys) if len(keys) > 1 else str(r[keys[0]]): int(r["n"])
            for _, r in d.iterrows()}


def test_final_rows(fin):
    # (O1,C2) (O2,C2) (O3,C3) (O4,C4); O1's 2009 crime and O2's C5 are not in a link
    assert sorted(zip(fin["offender_id"], fin["crime_id"], strict=False)) == [("O1", "C2"), ("O2", "C2"), ("O3", "C3"),
                                                                ("O4", "C4")]


def test_offender_ethnicity_window(full):
    # 2016-01-01..2020-12-31: offenders O1 (W), O2 (none), O3 (IC9), O4 (none); C1 (2009), C6 (2021) out
    p = plots.offender_ethnicity_window(full, "2016-01-01", "2020-12-31")
    assert counts(p, "ethnicity") == {W: 1, plots.UNKNOWN_ETHNICITY: 3}
    assert p.data["share"].sum() == pytest.approx(1.0)


def test_crimes_per_year(full, fin):
    p = plots.crimes_per_year(full, fin, since=2010)
    # full: C2 2016; C3, C4 2018; C5 2020; C6 2021 (C1 2009 before 2010); C2 counted once for 2 offenders
    assert counts(p, "table", "year") == {("Full table", "2016"): 1, ("Full table", "2018"): 2,
                                          ("Full table", "2020"): 1, ("Full table", "2021"): 1,
                                          ("Final table", "2016"): 1, ("Final table", "2018"): 2}
    assert set(p.data["label"]) == {"<5"}
    timeline = plots.crimes_per_year(full, fin, since=None)
    assert counts(timeline, "table", "year")[("Full table", "2009")] == 1


def test_age_distributions(full, fin):
    v = plots.age_distribution(full, fin, "victim")
    # one per (crime, victim) with known age: C1 14, C2/V2 15 (two rows, one pair), C3 12, C4 12, C6 15
    assert counts(v, "table", "age") == {("Full table", "12"): 2, ("Full table", "14"): 1,
                                         ("Full table", "15"): 2, ("Final table", "12"): 2,
                                         ("Final table", "15"): 1}
    o = plots.age_distribution(full, fin, "offender")
    # full offenders: 30, 31, 16, 40, (O4 unknown), 17, 14
    assert sum(n for (t, _), n in counts(o, "table", "age").items() if t == "Full table") == 6
    assert counts(o, "table", "age")[("Final table", "16")] == 1
    with pytest.raises(ValueError):
        plots.age_distribution(full, fin, "witness")


def test_age_difference(full, fin):
    p = plots.age_difference(full, fin)
    # rows with both ages: 30-14=16, 31-15=16, 16-15=1, 40-12=28, 14-15=-1
    assert counts(p, "table", "difference") == {("Full table", "16"): 2, ("Full table", "1"): 1,
                                                ("Full table", "28"): 1, ("Full table", "-1"): 1,
                                                ("Final table", "16"): 1, ("Final table", "1"): 1,
                                                ("Final table", "28"): 1}


def test_sex_distribution_leaves_out_unknown_and_conflicts(full, fin):
    v = plots.sex_distribution(full, fin, "victim")
    # victims V1 F, V2 F, V3 M but conflicting (out), V4 F, V5 F
    assert counts(v, "table", "sex") == {("Full table", "Female"): 4, ("Final table", "Female"): 1}
    o = plots.sex_distribution(full, fin, "offender")
    # offenders O1 M, O2 M, O3 F, O4 U (out), O5 F conflicting (out)
    assert counts(o, "table", "sex") == {("Full table", "Male"): 2, ("Full table", "Female"): 1,
                                         ("Final table", "Male"): 2, ("Final table", "Female"): 1}
    assert plots.sex_exclusions(full) == {"victim_unknown": 0, "victim_conflict": 1,
                                          "offender_unknown": 1, "offender_conflict": 1}


def test_sex_combinations(full, fin):
    t = plots.sex_combinations(full)
    # rows kept: M-F (C1, C2/O1, C2/O2, C5) = 4; C3 victim conflict, C4 offender U, C6 offender conflict
    assert t.to_dict("list")["Frequency"] == [4]
    assert list(t.columns) == ["Sex of offender", "Sex of victim", "Frequency", "Share"]
    assert plots.sex_combinations(fin)["Frequency"].tolist() == [2]


def test_sex_combinations_ordered_by_frequency():
    rows = pd.DataFrame({"offender_sex": ["F", "M", "M", "M", "F"], "victim_sex": ["M", "F", "F", "M", "M"]})
    t = plots.sex_combinations(rows)
    assert t[["Sex of offender", "Sex of victim", "Frequency"]].values.tolist() == [
        ["F", "M", 2], ["M", "F", 2], ["M", "M", 1]]


def test_ethnicity_distribution(full, fin):
    v = plots.ethnicity_distribution(full, fin, "victim")
    # victims: V1 W, V2 unknown, V3 B, V4 W, V5 W
    assert counts(v, "table", "ethnicity") == {("Full table", W): 3, ("Full table", B): 1,
                                               ("Full table", plots.UNKNOWN_ETHNICITY): 1,
                                               ("Final table", B): 1,
                                               ("Final table", plots.UNKNOWN_ETHNICITY): 1}


def test_ethnicity_heatmap(full):
    p = plots.ethnicity_heatmap(full)
    # (offender, victim): W-W C1, W-unk C2/O1, unk-unk C2/O2, unk-B C3 (IC9), unk-B C4, unk-W C5, B-W C6
    k = plots.UNKNOWN_ETHNICITY
    assert counts(p, "offender", "victim") == {(W, W): 1, (W, k): 1, (k, k): 1, (k, B): 2, (k, W): 1, (B, W): 1}
    assert set(p.data["label"]) == {"<5"}


def test_prolific_offenders_aggregates_only(full, fin):
    r = plots.prolific_offenders(full)
    # distinct crimes: O1 2 (C1, C2), O2 2 (C2, C5), others 1
    assert (r["max_crimes"], r["n_offenders"]) == (2, 2)
    # ties ordered by sex then ethnicity
    assert r["profile"].values.tolist() == [["Male", W, 1], ["Male", plots.UNKNOWN_ETHNICITY, 1]]
    assert not r["profile"].isin(["O1", "O2"]).any().any()


def test_group_sizes():
    groups = pd.DataFrame({"group_id": list("abcdefg"), "n_people": [2, 2, 3, 7, 9, 40, 400]})
    p = plots.group_sizes(groups)
    assert counts(p, "size") == {"2": 2, "3": 1, "6-10": 2, "21-50": 1, "151+": 1}
    assert list(p.data["size"].astype(str)) == ["2", "3", "6-10", "21-50", "151+"]


def test_lorenz_gini_and_top_share():
    pts = plots.lorenz_points([0, 0, 0, 10])
    assert pts["share_units"].tolist() == [0, 0.25, 0.5, 0.75, 1.0]
    assert pts["share_harm"].tolist() == [0, 0, 0, 0, 1.0]
    assert plots.gini([5, 5, 5, 5]) == pytest.approx(0.0)
    assert plots.gini([0, 0, 0, 10]) == pytest.approx(0.75)   # 1 - 2*area = 1 - 0.25
    assert plots.top_share([1, 1, 8], 0.1) == pytest.approx(0.8)  # top 10% of 3 rounds up to 1 unit
    p = plots.harm_lorenz(pd.DataFrame({"harm_cchi": [1, 3], "harm_ons": [2, 2]}))
    assert set(p.data["measure"]) == {"Cambridge Crime Harm Index", "ONS Crime Severity Score"}
    assert len(p.data) == 6


def test_dismantling_curves():
    df = pd.DataFrame({"strategy": ["harm", "harm", "random", "random"], "n_removed": [1, 0, 0, 1],
                       "remaining_share": [0.4, 1.0, 1.0, 0.9]})
    p = plots.dismantling_curves(df)
    assert p.data[["strategy", "x", "y"]].values.tolist() == [["harm", 0, 1.0], ["harm", 1, 0.4],
                                                              ["random", 0, 1.0], ["random", 1, 0.9]]


def test_soc_overlap_and_stability():
    p = plots.soc_overlap(pd.DataFrame({"category": ["CSE only", "Both", "SOC only"], "n": [120, 3, 40]}))
    assert counts(p, "category") == {"CSE only": 120, "Both": 3, "SOC only": 40}
    assert p.data.set_index("category")["label"].to_dict() == {"CSE only": "120", "Both": "<5", "SOC only": "40"}
    s = plots.stability(pd.DataFrame({"perturbation": [0.1, 0.2], "agreement": [0.9, 0.8], "measure": ["a", "a"]}))
    assert s.data["y"].tolist() == [0.9, 0.8]


def test_every_figure_draws(full, fin):
    """Each figure renders to PNG through report.figure_png (catches bad aesthetics)."""
    figs = [plots.offender_ethnicity_window(full, "2016-01-01", "2020-12-31"),
            plots.crimes_per_year(full, fin), plots.crimes_per_year(full, fin, since=None),
            plots.age_distribution(full, fin, "victim"), plots.age_difference(full, fin),
            plots.sex_distribution(full, fin, "offender"), plots.ethnicity_distribution(full, fin, "victim"),
            plots.ethnicity_heatmap(full),
            plots.group_sizes(pd.DataFrame({"n_people": [2, 3, 3]})),
            plots.harm_lorenz(pd.DataFrame({"harm_cchi": [1.0, 3.0]})),
            plots.dismantling_curves(pd.DataFrame({"strategy": ["a", "a"], "n_removed": [0, 1],
                                                   "remaining_share": [1.0, 0.5]})),
            plots.soc_overlap(pd.DataFrame({"category": ["x"], "n": [5]}))]
    for p in figs:
        assert report.figure_png(p, dpi=40)[:4] == b"\x89PNG"


def test_heatmap_gives_suppressed_cells_no_fill_value(full):
    big = pd.concat([full] + [full.iloc[[0]].assign(crime_id=f"X{i}") for i in range(20)], ignore_index=True)
    p = plots.ethnicity_heatmap(big, suppress_below=5)
    d = p.data
    small = d["n"].between(1, 4)
    assert small.any() and (~small).any()
    assert d.loc[small, "log_n"].isna().all()          # one neutral grey (na_value), not a colour by count
    assert (d.loc[small, "label"] == "<5").all()
    assert d.loc[~small, "log_n"].notna().all()
    fill = [s for s in p.scales if "fill" in s.aesthetics][0]
    assert fill.name == "Crime–offender–victim rows (log scale)"
    assert fill.na_value == plots.SUPPRESSED_FILL
    png = report.figure_png(p)
    assert png[:4] == b"\x89PNG"


def test_suppressed_bars_drawn_at_one_height(full, fin):
    for p in (plots.crimes_per_year(full, fin, since=None), plots.age_distribution(full, fin, "victim"),
              plots.age_difference(full, fin), plots.sex_distribution(full, fin, "victim"),
              plots.ethnicity_distribution(full, fin, "offender"),
              plots.offender_ethnicity_window(full, "2016-01-01", "2020-12-31")):
        d = p.data
        assert d["suppressed"].all()                   # every count here is below 5
        assert set(d["n_shown"]) == {5.0}               # so no bar reveals its count
        if "label" in d:
            assert set(d["label"]) == {"<5"}


def test_partial_last_year_is_marked(full, fin):
    p = plots.crimes_per_year(full, fin, since=2010)
    assert p.data.loc[p.data["year"] == 2021, "partial"].all()
    assert not p.data.loc[p.data["year"] < 2021, "partial"].any()
    assert "2021 (to 10 Jan), part of the year" in p.labels.x       # the axis title says which bar is partial
    x_scale = next(sc for sc in p.scales if type(sc).__name__ == "scale_x_continuous")
    assert x_scale.labels[-1] == "2021\n(to 10 Jan)"                # and so does the bar's own label


def test_age_mode_counts_each_crime_and_person_once():
    import pandas as pd

    from helpers.plots import age_mode
    # V1 is 14 on C1 (two offenders -> two rows, counted once), V2 is 15 on C2 and C3 -> 15 is the mode
    rows = pd.DataFrame({"crime_id": ["C1", "C1", "C2", "C3"], "victim_id": ["V1", "V1", "V2", "V2"],
                         "victim_age": [14, 14, 15, 15]})
    assert age_mode(rows, "victim") == 15
    assert age_mode(rows, "victim", hi=14) == 14
