"""Network stage on hand-built tables: components, centralities, groups, priorities, flags.

The CSE links (ids sort in this order, so vertex ids are A0 ... J9):

    A - B          crime/intel/pins links; plus a SOC edge J - K that must NOT
     \\ /           join J to anything in the grouping. K is only in SOC.
      C
      |
      D
     / \\
    E - F - G      H - I      J (an offender with no links)
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import harm, network, store

LINKS = [("A", "B"), ("B", "C"), ("A", "C"), ("C", "D"), ("D", "E"), ("E", "F"), ("D", "F"), ("F", "G"), ("H", "I")]
AS_OF = pd.Timestamp("2021-03-15")


def _edges() -> pd.DataFrame:
    rows = [dict(person_a=a, person_b=b, source="crime", weight=1.0, n_links=1) for a, b in LINKS]
    rows[0]["weight"] = 2.0  # A-B weighs 2 ...
    rows.append(dict(person_a="A", person_b="B", source="intel", weight=0.5, n_links=1))  # ... + 0.5 from intel
    rows.append(dict(person_a="J", person_b="K", source="soc", weight=1.0, n_links=1))
    return pd.DataFrame(rows)


def test_components_and_centralities_by_hand():
    pairs = network.cse_edges(_edges())
    ab = pairs.loc[(pairs["person_a"] == "A") & (pairs["person_b"] == "B")].iloc[0]
    assert ab["weight"] == 2.5 and ab["n_links"] == 2      # summed over crime and intel
    net = network.build(pairs, offenders={"A", "E", "G", "H", "J"})
    assert net.people == list("ABCDEFGHIJ")                # K (SOC only) is not in the CSE network
    memb = network.groups(net, max_group_size=150, seed=1).set_index("person_id")
    # components by size: {A..G} 7 -> C0001, {H, I} 2 -> C0002, {J} 1 -> C0003
    assert memb.loc[list("ABCDEFG"), "group_id"].eq("C0001").all()
    assert memb.loc[["H", "I"], "group_id"].eq("C0002").all() and memb.loc["J", "group_id"] == "C0003"

    cen, method = network.centrality(net)
    c = cen.set_index("person_id")
    assert method == "exact"
    assert c["degree"].to_dict() == dict(A=2, B=2, C=3, D=3, E=2, F=3, G=1, H=1, I=1, J=0)
    # weighted degree: A = 2.5 (A-B) + 1 (A-C)
    assert c.loc["A", "weighted_degree"] == 3.5
    # Betweenness: every path from {A,B} to {D,E,F,G} crosses C: 2 x 4 = 8;
    # from {A,B,C} to {E,F,G} crosses D: 3 x 3 = 9; from {A..E} to G crosses F: 5.
    assert c["betweenness"].to_dict() == dict(A=0, B=0, C=8, D=9, E=0, F=5, G=0, H=0, I=0, J=0)
    assert c["centrality"].sum() == pytest.approx(1.0)
    assert c.loc["D", "centrality"] > c.loc["E", "centrality"] > c.loc["G", "centrality"]


def test_large_component_is_split_by_leiden_and_deterministic():
    # Two 4-cliques joined by one link (8 people) with max_group_size 5: the
    # modularity split is the two cliques.
    k1, k2 = list("abcd"), list("efgh")
    links = [(x, y) for k in (k1, k2) for i, x in enumerate(k) for y in k[i + 1:]] + [("d", "e")]
    pairs = pd.DataFrame([dict(person_a=a, person_b=b, weight=1.0, n_links=1) for a, b in links])
    net = network.build(pairs, offenders=set("abcdefgh"))
    m1 = network.groups(net, max_group_size=5, seed=3)
    m2 = network.groups(net, max_group_size=5, seed=3)
    assert m1.equals(m2)
    g = m1.set_index("person_id")["group_id"]
    assert g[k1].nunique() == 1 and g[k2].nunique() == 1 and g["a"] != g["e"]
    assert set(g) == {"C0001.001", "C0001.002"}
    assert (m1["component_id"] == "C0001").all() and (m1["split_level"] == 1).all()


def test_reweight_reproduces_the_contract_formulas():
    ev = pd.DataFrame([
        # crime: 365 days apart (proximity half-life 365), latest on as_of -> 2^-1 * 2^0
        dict(person_a="A", person_b="B", source="crime", event_date="2021-03-15", other_date="2020-03-15", n_people=None),
        # intel: 730 days old (recency half-life 730), 3 people on the log -> 1/2 * 2^-1
        dict(person_a="A", person_b="C", source="intel", event_date="2019-03-16", other_date=None, n_people=3),
        # pins: overlap ends on as_of -> 1
        dict(person_a="A", person_b="D", source="pins", event_date="2021-03-15", other_date=None, n_people=None),
    ])
    ev["event_date"] = pd.to_datetime(ev["event_date"])
    ev["other_date"] = pd.to_datetime(ev["other_date"])
    w = network.reweight(ev, AS_OF, 365, 730).set_index("person_b")["weight"]
    assert w["B"] == pytest.approx(0.5) and w["C"] == pytest.approx(0.25) and w["D"] == pytest.approx(1.0)
    # halving both half-lives squares each decay factor
    w2 = network.reweight(ev, AS_OF, 182.5, 365).set_index("person_b")["weight"]
    assert w2["B"] == pytest.approx(0.25) and w2["C"] == pytest.approx(0.5 * 0.25)


def test_priority_formula_by_hand():
    g = pd.DataFrame(dict(group_id=["g1", "g2"], n_people=[3, 2], harm_cchi=[10.0, 5.0], harm_ons=[20.0, 10.0],
                          soc_overlap=[1, 0], last_activity=pd.to_datetime(["2021-03-15", "2019-03-16"])))
    p = network.prioritise(g, AS_OF, 730).set_index("group_id")
    # g1: 0.25*1 + 0.25*1 + 0.2*1 + 0.2*1 + 0.1*1 = 1.0
    # g2: 0.25*0.5 + 0.25*0.5 + 0.2*0.5 + 0.2*0.5 (730 days old) + 0 = 0.45
    assert p.loc["g1", "priority_score"] == pytest.approx(1.0)
    assert p.loc["g2", "priority_score"] == pytest.approx(0.45)
    assert p["priority_rank"].to_dict() == {"g1": 1, "g2": 2}
    # 2 groups: high = top ceil(10%) = 1; medium up to ceil(30%) = 1; the rest low
    assert p["priority_band"].to_dict() == {"g1": "high", "g2": "low"}


def _nominals() -> dict[str, pd.DataFrame]:
    crimes = pd.DataFrame(dict(crime_id=["k1", "k2", "k3", "k4"],
                               committed_from=pd.to_datetime(["2015-06-01", "2015-06-01", "2016-01-01", "2016-01-01"])))
    cn = pd.DataFrame([
        ("k1", "p1", "OFFENDER", "2000-01-01"),   # 15 at k1 -> child offender
        ("k1", "p2", "SUSPECT", "1997-06-02"),    # 17 (birthday tomorrow) -> child offender
        ("k1", "p3", "DEFENDANT", "1997-06-01"),  # 18 today -> not a child
        ("k2", "p4", "VICTIM", "2001-01-01"),     # victim at 14 ...
        ("k3", "p4", "suspect", "2001-01-01"),    # ... and later a suspect (any case): victim-offender, child offender (15)
        ("k3", "p5", "WITNESS", "2001-01-01"),    # witness only: nothing
        ("k4", "p6", "OFFENDER", "2017-01-01"),   # dob after the crime: a recording error, not flagged
        ("k4", "p7", "OFFENDER", "1980-01-01"),   # adult offender ...
        ("k2", "p7", "VICTIM", "1980-01-01"),     # ... and an adult victim: victim-offender, not a child victim
    ], columns=["crime_id", "person_id", "role", "dob"])
    cn["dob"] = pd.to_datetime(cn["dob"])
    return dict(crimes=crimes, crime_nominals=cn)


def test_safeguarding_flags_by_hand():
    f = network.safeguarding(_nominals(), [f"p{i}" for i in range(1, 9)]).set_index("person_id")
    assert f["flag_child_offender"][f["flag_child_offender"]].index.tolist() == ["p1", "p2", "p4"]
    assert f["flag_victim_offender"][f["flag_victim_offender"]].index.tolist() == ["p4", "p7"]
    assert f.loc["p8"].drop("n_crimes_as_offender_under_18").sum() == 0  # p8 appears nowhere
    lst = network.safeguarding_list(f.reset_index())
    assert lst["person_id"].tolist() == ["p1", "p2", "p4", "p7"]  # sorted by id, never by harm
    assert lst.set_index("person_id").loc["p4", "reasons"] == \
        "offender aged under 18; victim and offender; victim aged under 18"
    assert lst.set_index("person_id").loc["p7", "reasons"] == "victim and offender"


# ------------------------------------------------------------ whole stage
def _fixture(out_dir) -> None:
    """Tiny stage 01-03 hand-offs: offenders A, E, G, H, J and the links above."""
    offenders = ["A", "E", "G", "H", "J"]
    ft = pd.DataFrame(dict(crime_id=[f"k{i}" for i in range(5)], offender_id=offenders,
                           victim_id=[f"v{i}" for i in range(5)],
                           crime_date=pd.to_datetime(["2020-01-01", "2019-01-01", "2018-01-01", "2017-01-01", "2016-01-01"]),
                           ho_offence_code=["19E", "17B", "88E", "ZZZ", "19C"]))
    store.write_table(out_dir, "full_table", ft)
    e = _edges()
    store.write_table(out_dir, "network_edges", e)
    ev = e.loc[e["source"] != "soc"].assign(evidence_id="x", event_date=pd.Timestamp("2020-01-01"),
                                            other_date=pd.Timestamp("2020-01-01"), n_people=pd.NA)
    store.write_table(out_dir, "edge_evidence", ev)
    cn = pd.DataFrame(dict(crime_id=[f"k{i}" for i in range(5)] + ["k0"], person_id=offenders + ["B"],
                           role=["OFFENDER"] * 5 + ["VICTIM"], dob=pd.to_datetime(["1990-01-01"] * 6)))
    crimes = ft[["crime_id"]].assign(committed_from=ft["crime_date"])
    store.save_work(out_dir, "extraction", dict(
        crimes=crimes, crime_nominals=cn,
        soc_network_edges=pd.DataFrame(dict(person_a=["J"], person_b=["K"], weight=[1.0], link_type=["x"])),
        soc_nominals=pd.DataFrame(dict(person_id=["J", "K"], soc_group_id=["s1", "s1"]))))


def test_stage_end_to_end_is_deterministic(tmp_path):
    _fixture(tmp_path)
    inp = network.load_inputs(str(tmp_path), "data/reference/harm_weights.csv", "2021-03-15", 365, 730)
    res = network.analyse(inp, max_group_size=150, seed=1)
    n = res.nodes.set_index("person_id")
    assert n.loc["A", "harm_cchi"] == 4563 and n.loc["H", "harm_cchi"] == 0  # ZZZ has no weight
    assert n.loc["H", "n_unweighted_cchi"] == 1
    assert n.loc["J", "in_soc_network"] and not n.loc["A", "in_soc_network"]
    assert n["dismantle_rank"].notna().sum() >= 1
    g = res.groups.set_index("group_id")
    assert g.loc["C0003", "soc_overlap"] == 1 and g.loc["C0001", "n_offenders"] == 3
    assert g["priority_rank"].sort_values().tolist() == [1, 2, 3]
    assert {"person_id", "group_id", "is_cse_offender", "in_soc_network", "degree", "centrality", "harm_cchi",
            "harm_ons", "dismantle_rank", "flag_child_offender", "flag_victim_offender",
            "safeguarding_flag"} <= set(res.nodes.columns)
    assert n.loc["B", "flag_victim_offender"] == False  # noqa: E712 (B was a victim, never an offender)
    st = network.stability(inp, res, 150, seed=1, n_reps=2)
    assert set(st["scenario"]) == {"half-lives halved", "half-lives doubled", "10% of links removed",
                                   "2% of people removed"}
    assert st.loc[st["scenario"] == "10% of links removed", "n_runs"].eq(2).all()
    assert st.loc[st["scenario"] == "half-lives halved", "n_runs"].eq(1).all()
    assert (st["min"] <= st["mean"] + 1e-12).all() and st["mean"].between(0, 1).all()
    assert "share of people keeping their band" in set(st["measure"])
    sv = network.structure(res, inp.edges)
    assert sv["n_components"] == 3 and sv["largest"] == [7, 2, 1] and sv["giant_people"] == 7
    assert sv["pairs_crime"] == 8 and sv["pairs_intel"] == 1 and sv["pairs_intel_only"] == 0
    assert sv["giant_crime_only_largest"] == 7
    network.write_tables(str(tmp_path), inp, res, {"stability": st})
    first = (tmp_path / "tables" / "network_nodes.csv").read_bytes()
    res2 = network.analyse(network.load_inputs(str(tmp_path), "data/reference/harm_weights.csv",
                                               "2021-03-15", 365, 730), 150, 1)
    network.write_tables(str(tmp_path), inp, res2, {"stability": st})
    assert (tmp_path / "tables" / "network_nodes.csv").read_bytes() == first


def test_safeguarding_summary_counts_by_hand():
    nodes = pd.DataFrame({
        "person_id": list("PQRSTU"),
        "group_id": ["g1", "g1", "g2", "g2", "g3", "g3"],
        "is_cse_offender": [True, True, True, False, True, False],
        "flag_child_offender": [True, False, True, False, False, False],
        "flag_victim_offender": [False, True, True, True, False, False],
        "dismantle_rank": pd.array([1, pd.NA, 2, 60, pd.NA, pd.NA], dtype="Int64"),
    })
    nodes["safeguarding_flag"] = nodes["flag_child_offender"] | nodes["flag_victim_offender"]
    groups = pd.DataFrame({"group_id": ["g1", "g2", "g3"], "priority_band": ["high", "low", "high"]})
    s = network.safeguarding_summary(nodes, groups, top=50).set_index("measure")["count"]
    assert s["full-table CSE offenders"] == 4
    assert s["flagged child offenders (under 18 at an offence)"] == 2            # P, R
    assert s["victim-offenders"] == 3                                            # Q, R, S
    assert s["people with either flag"] == 4                                     # P Q R S
    assert s["people in the dismantling set"] == 3                               # P R S
    assert s["flagged people in the dismantling set"] == 3
    assert s["flagged children in the dismantling set"] == 2
    assert s["flagged people in the top 50 of the dismantling order"] == 2       # P (1), R (2); S is 60th
    assert s["flagged children in the top 50 of the dismantling order"] == 2
    assert s["people in high-priority groups"] == 4                              # g1 + g3
    assert s["flagged people in high-priority groups"] == 2                      # P, Q
    assert s["flagged children in high-priority groups"] == 1                    # P
    bf = network.band_flags(groups, nodes).set_index("priority_band")
    assert bf.loc["high", "flagged"] == 2 and bf.loc["low", "flagged_children"] == 1
    assert network.labelled(bf.reset_index()).columns[0] == "Priority band"
