"""exports: GraphML, GEXF and the i2 import pair on a hand-built 3-person network, whole files written out.

P1 (adult, CSE offender, disruption order 1) and P2 (a child now: no disruption order) share a
victim on two crimes and an intelligence log graded B2; P2 shared a cell with P3, who is in the
SOC network only. Edge P1-P2 therefore carries sources "crime|intel", weight 0.5 + 0.25 = 0.75
and n_links 2; a missing value (P3's age, group, sex) is left out of GraphML/GEXF and empty in i2.
"""
# ruff: noqa: E501  (the expected files are written out whole, long lines and all)
from __future__ import annotations

import networkx as nx
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import exports


# The run's frames, as pack.data builds them (nominals) and the network stage writes them.
def nominals():
    return pd.DataFrame({
        "person_id": ["P1", "P2", "P3"],
        "current_age": pd.array([34, 16, None], dtype="Int64"),
        "sex": ["M", "F", None],
        "group_id": ["G1", "G1", None],
        "group_priority": pd.array([1, 1, None], dtype="Int64"),
        "group_band": ["high", "high", None],
        "cse_offender": [True, True, False],
        "harm_cchi": [1000.0, 250.5, 0.0],
        "harm_ons": [2000.0, 500.0, 0.0],
        "centrality": ["top 1%", "top 5%", "lower 75%"],
        "disruption_order": pd.array([1, None, None], dtype="Int64"),
        "soc_group": [None, None, "SOC9"],
        "child_now": [False, True, False],
        "routing": ["", "CHILD NOW: safeguarding referral only; never a target of disruption", ""],
        "safeguarding": [False, True, False],
    })

def edges():
    return pd.DataFrame({"person_a": ["P1", "P1", "P2"], "person_b": ["P2", "P2", "P3"],
                         "source": ["crime", "intel", "pins"], "weight": [0.5, 0.25, 0.75],
                         "n_links": [1, 1, 1]})

def evidence():
    return pd.DataFrame({
        "person_a": ["P1", "P1", "P2"], "person_b": ["P2", "P2", "P3"], "source": ["crime", "intel", "pins"],
        "evidence_id": ["CR1~CR2", "IL1", "ST1~ST2"],
        "event_date": pd.to_datetime(["2019-05-01", "2020-02-03", "2018-03-01"]),
        "other_date": pd.to_datetime(["2019-08-01", None, None]),
        "n_people": [None, 4.0, None], "detail": ["victims P9", "", "47 days"],
        "weight": [0.5, 0.25, 0.75]})

def intel():
    return pd.DataFrame({"log_id": ["IL1"], "log_date": pd.to_datetime(["2020-02-03"]),
                         "grading_system": ["5x5x5"], "source_grade": ["B"], "information_grade": ["2"]})


I2_ENTITIES = """Entity Type,Identity,Label,Group,Group Priority,Current Age,Sex,CSE Offender,Harm CCHI,Harm ONS,Centrality,Disruption Order,SOC Group,Child Now,Routing
Person,P1,P1,G1,1,34,M,Yes,1000.0,2000.0,top 1%,1,,No,
Person,P2,P2,G1,1,16,F,Yes,250.5,500.0,top 5%,,,Yes,CHILD NOW: safeguarding referral only; never a target of disruption
Person,P3,P3,,,,,No,0.0,0.0,lower 75%,,SOC9,No,
"""


I2_LINKS = """Link Type,From Identity,To Identity,Link Identity,Date,Description,Grade 1,Grade 2,Grading System,Weight
shared victim,P1,P2,crime:CR1~CR2,2019-05-01,victims P9,,,,0.5
intelligence log,P1,P2,intel:IL1,2020-02-03,"intelligence log, 4 people",B,2,5x5x5,0.25
shared prison cell,P2,P3,pins:ST1~ST2,2018-03-01,47 days,,,,0.75
"""


GRAPHML = """<?xml version='1.0' encoding='utf-8'?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">
  <key id="d0" for="node" attr.name="label" attr.type="string" />
  <key id="d1" for="node" attr.name="group_id" attr.type="string" />
  <key id="d2" for="node" attr.name="current_age" attr.type="long" />
  <key id="d3" for="node" attr.name="sex" attr.type="string" />
  <key id="d4" for="node" attr.name="cse_offender" attr.type="boolean" />
  <key id="d5" for="node" attr.name="harm_cchi" attr.type="double" />
  <key id="d6" for="node" attr.name="harm_ons" attr.type="double" />
  <key id="d7" for="node" attr.name="centrality_band" attr.type="string" />
  <key id="d8" for="node" attr.name="disruption_order" attr.type="long" />
  <key id="d9" for="node" attr.name="group_priority" attr.type="long" />
  <key id="d10" for="node" attr.name="child_now" attr.type="boolean" />
  <key id="d11" for="node" attr.name="safeguarding" attr.type="boolean" />
  <key id="d12" for="node" attr.name="routing" attr.type="string" />
  <key id="d13" for="node" attr.name="soc_group" attr.type="string" />
  <key id="d14" for="edge" attr.name="sources" attr.type="string" />
  <key id="d15" for="edge" attr.name="weight" attr.type="double" />
  <key id="d16" for="edge" attr.name="n_links" attr.type="long" />
  <key id="d17" for="edge" attr.name="weight_crime" attr.type="double" />
  <key id="d18" for="edge" attr.name="weight_intel" attr.type="double" />
  <key id="d19" for="edge" attr.name="weight_pins" attr.type="double" />
  <graph edgedefault="undirected">
    <node id="P1">
      <data key="d0">P1</data>
      <data key="d1">G1</data>
      <data key="d2">34</data>
      <data key="d3">M</data>
      <data key="d4">true</data>
      <data key="d5">1000.0</data>
      <data key="d6">2000.0</data>
      <data key="d7">top 1%</data>
      <data key="d8">1</data>
      <data key="d9">1</data>
      <data key="d10">false</data>
      <data key="d11">false</data>
      <data key="d12"></data>
    </node>
    <node id="P2">
      <data key="d0">P2</data>
      <data key="d1">G1</data>
      <data key="d2">16</data>
      <data key="d3">F</data>
      <data key="d4">true</data>
      <data key="d5">250.5</data>
      <data key="d6">500.0</data>
      <data key="d7">top 5%</data>
      <data key="d9">1</data>
      <data key="d10">true</data>
      <data key="d11">true</data>
      <data key="d12">CHILD NOW: safeguarding referral only; never a target of disruption</data>
    </node>
    <node id="P3">
      <data key="d0">P3</data>
      <data key="d4">false</data>
      <data key="d5">0.0</data>
      <data key="d6">0.0</data>
      <data key="d7">lower 75%</data>
      <data key="d13">SOC9</data>
      <data key="d10">false</data>
      <data key="d11">false</data>
      <data key="d12"></data>
    </node>
    <edge source="P1" target="P2">
      <data key="d14">crime|intel</data>
      <data key="d15">0.75</data>
      <data key="d16">2</data>
      <data key="d17">0.5</data>
      <data key="d18">0.25</data>
      <data key="d19">0.0</data>
    </edge>
    <edge source="P2" target="P3">
      <data key="d14">pins</data>
      <data key="d15">0.75</data>
      <data key="d16">1</data>
      <data key="d17">0.0</data>
      <data key="d18">0.0</data>
      <data key="d19">0.75</data>
    </edge>
  </graph>
</graphml>
"""


GEXF = """<?xml version='1.0' encoding='utf-8'?>
<gexf xmlns="http://www.gexf.net/1.2draft" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.gexf.net/1.2draft http://www.gexf.net/1.2draft/gexf.xsd" version="1.2">
  <meta>
    <creator>cse-network (networkx-compatible GEXF 1.2)</creator>
  </meta>
  <graph defaultedgetype="undirected" mode="static" name="">
    <attributes mode="static" class="node">
      <attribute id="0" title="group_id" type="string" />
      <attribute id="1" title="current_age" type="long" />
      <attribute id="2" title="sex" type="string" />
      <attribute id="3" title="cse_offender" type="boolean" />
      <attribute id="4" title="harm_cchi" type="double" />
      <attribute id="5" title="harm_ons" type="double" />
      <attribute id="6" title="centrality_band" type="string" />
      <attribute id="7" title="disruption_order" type="long" />
      <attribute id="8" title="group_priority" type="long" />
      <attribute id="9" title="child_now" type="boolean" />
      <attribute id="10" title="safeguarding" type="boolean" />
      <attribute id="11" title="routing" type="string" />
      <attribute id="12" title="soc_group" type="string" />
    </attributes>
    <attributes mode="static" class="edge">
      <attribute id="13" title="sources" type="string" />
      <attribute id="14" title="n_links" type="long" />
      <attribute id="15" title="weight_crime" type="double" />
      <attribute id="16" title="weight_intel" type="double" />
      <attribute id="17" title="weight_pins" type="double" />
    </attributes>
    <nodes>
      <node id="P1" label="P1">
        <attvalues>
          <attvalue for="0" value="G1" />
          <attvalue for="1" value="34" />
          <attvalue for="2" value="M" />
          <attvalue for="3" value="true" />
          <attvalue for="4" value="1000.0" />
          <attvalue for="5" value="2000.0" />
          <attvalue for="6" value="top 1%" />
          <attvalue for="7" value="1" />
          <attvalue for="8" value="1" />
          <attvalue for="9" value="false" />
          <attvalue for="10" value="false" />
          <attvalue for="11" value="" />
        </attvalues>
      </node>
      <node id="P2" label="P2">
        <attvalues>
          <attvalue for="0" value="G1" />
          <attvalue for="1" value="16" />
          <attvalue for="2" value="F" />
          <attvalue for="3" value="true" />
          <attvalue for="4" value="250.5" />
          <attvalue for="5" value="500.0" />
          <attvalue for="6" value="top 5%" />
          <attvalue for="8" value="1" />
          <attvalue for="9" value="true" />
          <attvalue for="10" value="true" />
          <attvalue for="11" value="CHILD NOW: safeguarding referral only; never a target of disruption" />
        </attvalues>
      </node>
      <node id="P3" label="P3">
        <attvalues>
          <attvalue for="3" value="false" />
          <attvalue for="4" value="0.0" />
          <attvalue for="5" value="0.0" />
          <attvalue for="6" value="lower 75%" />
          <attvalue for="12" value="SOC9" />
          <attvalue for="9" value="false" />
          <attvalue for="10" value="false" />
          <attvalue for="11" value="" />
        </attvalues>
      </node>
    </nodes>
    <edges>
      <edge source="P1" target="P2" id="0" weight="0.75">
        <attvalues>
          <attvalue for="13" value="crime|intel" />
          <attvalue for="14" value="2" />
          <attvalue for="15" value="0.5" />
          <attvalue for="16" value="0.25" />
          <attvalue for="17" value="0.0" />
        </attvalues>
      </edge>
      <edge source="P2" target="P3" id="1" weight="0.75">
        <attvalues>
          <attvalue for="13" value="pins" />
          <attvalue for="14" value="1" />
          <attvalue for="15" value="0.0" />
          <attvalue for="16" value="0.0" />
          <attvalue for="17" value="0.75" />
        </attvalues>
      </edge>
    </edges>
  </graph>
</gexf>
"""



def _write(tmp_path):
    return exports.write(tmp_path, nominals(), edges(), evidence(), intel())


def test_the_four_files_hold_exactly_this(tmp_path):
    p = _write(tmp_path)
    assert sorted(x.name for x in (tmp_path / "exports").iterdir()) == [
        "i2_entities.csv", "i2_links.csv", "network.gexf", "network.graphml"]
    assert p["i2_entities"].read_text(encoding="utf-8") == I2_ENTITIES
    assert p["i2_links"].read_text(encoding="utf-8") == I2_LINKS
    assert p["graphml"].read_text(encoding="utf-8") == GRAPHML
    assert p["gexf"].read_text(encoding="utf-8") == GEXF


def test_a_rerun_gives_identical_bytes(tmp_path):
    a = {k: v.read_bytes() for k, v in _write(tmp_path / "a").items()}
    b = {k: v.read_bytes() for k, v in _write(tmp_path / "b").items()}
    assert a == b


def test_networkx_reads_the_graph_back_with_its_attributes(tmp_path):
    p = _write(tmp_path)
    for g in (nx.read_graphml(p["graphml"]), nx.read_gexf(p["gexf"])):
        assert sorted(g.nodes) == ["P1", "P2", "P3"]
        assert sorted(tuple(sorted(e)) for e in g.edges) == [("P1", "P2"), ("P2", "P3")]
        assert g.nodes["P1"]["disruption_order"] == 1 and g.nodes["P1"]["cse_offender"] is True
        assert g.nodes["P2"]["child_now"] is True and "disruption_order" not in g.nodes["P2"]
        assert "current_age" not in g.nodes["P3"] and g.nodes["P3"]["soc_group"] == "SOC9"
        assert g.edges["P1", "P2"]["sources"] == "crime|intel" and g.edges["P1", "P2"]["n_links"] == 2
        assert abs(g.edges["P1", "P2"]["weight"] - 0.75) < 1e-12


def test_i2_links_carry_the_grades_of_intelligence_links_only(tmp_path):
    links = pd.read_csv(_write(tmp_path)["i2_links"], dtype=str, keep_default_na=False)
    assert list(links.columns) == exports.I2_LINK_COLUMNS
    intel_row = links.loc[links["Link Type"] == "intelligence log"].iloc[0]
    assert (intel_row["Grade 1"], intel_row["Grade 2"], intel_row["Grading System"]) == ("B", "2", "5x5x5")
    others = links.loc[links["Link Type"] != "intelligence log"]
    assert (others[["Grade 1", "Grade 2", "Grading System"]] == "").all().all()


def test_people_outside_the_nominals_are_not_exported(tmp_path):
    e = pd.concat([edges(), pd.DataFrame({"person_a": ["P3"], "person_b": ["P4"], "source": ["intel"],
                                          "weight": [0.1], "n_links": [1]})], ignore_index=True)
    p = exports.write(tmp_path, nominals(), e, evidence(), intel())
    assert "P4" not in p["graphml"].read_text() and "P4" not in p["i2_links"].read_text()


def _pairs_by_pivots(edges: pd.DataFrame) -> pd.DataFrame:
    """The former pandas version of exports.pairs (pivots and group-bys), kept as the reference."""
    import numpy as np
    e = edges[["person_a", "person_b", "source", "weight"] + (["n_links"] if "n_links" in edges else [])].copy()
    e.columns = ["a", "b", "source", "weight"] + (["n_links"] if "n_links" in edges else [])
    if "n_links" not in e:
        e["n_links"] = 1
    if e.duplicated(["a", "b", "source"]).any():
        e = e.groupby(["a", "b", "source"], sort=True, as_index=False).agg(weight=("weight", "sum"),
                                                                          n_links=("n_links", "sum"))
    e = e.sort_values(["a", "b", "source"], kind="mergesort").reset_index(drop=True)
    sources = sorted(set(e["source"]))
    e["weight"] = e["weight"].astype(float)
    per = e.pivot(index=["a", "b"], columns="source", values="weight")
    grouped = e.groupby(["a", "b"], sort=True).agg(n_links=("n_links", "sum"))
    per = per.reindex(grouped.index)
    has = e.assign(has=True).pivot(index=["a", "b"], columns="source", values="has").reindex(grouped.index)
    total = pd.Series(0.0, index=grouped.index)
    joined = np.full(len(grouped), "", dtype=object)
    started = np.zeros(len(grouped), dtype=bool)
    for s in sources:
        total = total + per[s].fillna(0.0)
        here = has[s].notna().to_numpy()
        joined = np.where(here, np.where(started, joined + ("|" + s), s), joined)
        started |= here
    out = pd.DataFrame({"a": grouped.index.get_level_values("a").astype(str),
                        "b": grouped.index.get_level_values("b").astype(str)})
    out["sources"] = pd.Series(joined, dtype="str")
    out["weight"] = total.astype(float).to_numpy()
    out["n_links"] = grouped["n_links"].astype(int).to_numpy()
    for s in sources:
        out[f"weight_{s}"] = per[s].fillna(0.0).astype(float).to_numpy()
    return out


@settings(max_examples=250, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["P1", "P10", "P2", "p1", "\u00e9"]), st.sampled_from(["P1", "P2", "P3", "Q"]),
                          st.sampled_from(["crime", "intel", "pins", "soc"]),
                          st.one_of(st.floats(0, 5, allow_nan=False), st.just(float("nan")), st.just(0.1)),
                          st.integers(1, 4)), min_size=1, max_size=30),
       st.booleans())
def test_pairs_are_the_former_pivot_version_exactly(rows, with_n_links):
    e = pd.DataFrame(rows, columns=["person_a", "person_b", "source", "weight", "n_links"])
    if not with_n_links:
        e = e.drop(columns="n_links")
    pd.testing.assert_frame_equal(exports.pairs(e), _pairs_by_pivots(e), check_exact=True)
