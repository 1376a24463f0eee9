"""Network exports for analysts' tools, under OUT/exports/ (Intelligence only: they hold person ids).

- `network.graphml` and `network.gexf` (networkx reads them back as the graph its own writers
  would give; Gephi and Cytoscape read them): one node per person with the nominal attributes, one
  edge per linked pair with `sources` ("crime|intel"), total `weight`, `n_links` and one
  `weight_<source>` per source. `tables` gives them as a node table (people in id order) and an
  edge table (in the order and orientation networkx's `Graph.edges` would list them), which
  `graphfiles` writes column-wise; no networkx graph is built. `graph` builds that graph for anyone
  who wants one, and `write` uses it only when the tables cannot stand for it (a person id twice, or
  a pair listed both ways, which networkx would merge).
- `i2_entities.csv` and `i2_links.csv`: an i2 Analyst's Notebook import pair. One entity row
  per person; one link row per evidence item (each crime pair, intelligence log, cell share,
  SOC link) with its date, and for intelligence links the grades (Grade 1 = source grade,
  Grade 2 = information grade, plus the grading system). The import specification (column to
  ANB field) is in docs/intelligence-pack.md.

Rows are sorted and attributes typed, so the same run gives byte-identical files.
"""
from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from . import graphfiles
from .config import resolve_path
from .frames import isin
from .pack import columns as C

NODE_ATTRS = {  # nominals column -> export attribute (type follows the column)
    "group_id": "group_id", "current_age": "current_age", "sex": "sex", "cse_offender": "cse_offender",
    "harm_cchi": "harm_cchi", "harm_ons": "harm_ons", "centrality": "centrality_band",
    "disruption_order": "disruption_order", "group_priority": "group_priority", "soc_group": "soc_group",
    "child_now": "child_now", "safeguarding": "safeguarding", "routing": "routing",
}
I2_ENTITY_COLUMNS = ["Entity Type", "Identity", "Label", "Group", "Group Priority", "Current Age", "Sex",
                     "CSE Offender", "Harm CCHI", "Harm ONS", "Centrality", "Disruption Order", "SOC Group",
                     "Child Now", "Routing"]
I2_LINK_COLUMNS = ["Link Type", "From Identity", "To Identity", "Link Identity", "Date", "Description",
                   "Grade 1", "Grade 2", "Grading System", "Weight"]


def pairs(edges: pd.DataFrame) -> pd.DataFrame:
    """One row per linked pair (sorted by a, b): a, b, sources, weight, n_links, weight_<source>..."""
    E = C.EDGE
    e = edges[[E["a"], E["b"], E["source"], E["weight"]] + (["n_links"] if "n_links" in edges else [])].copy()
    e.columns = ["a", "b", "source", "weight"] + (["n_links"] if "n_links" in edges else [])
    if "n_links" not in e:
        e["n_links"] = 1
    if e.duplicated(["a", "b", "source"]).any():  # several rows of one source: that source's weight is their sum
        e = e.groupby(["a", "b", "source"], sort=True, as_index=False).agg(weight=("weight", "sum"),
                                                                          n_links=("n_links", "sum"))
    e = e.sort_values(["a", "b", "source"], kind="mergesort").reset_index(drop=True)
    sources = sorted(set(e["source"]))
    # One row per pair in (a, b) order, its sources as columns: each row's position is its pair (a new
    # pair starts where a or b changes) and its source's column, at numpy speed (pandas' pivots took
    # 19 s at twenty times the force). A pair has at most one row per source, so adding the
    # per-source weights in source order gives the same float as summing the pair's rows.
    a, b = e["a"].to_numpy(object), e["b"].to_numpy(object)
    new = np.ones(len(e), dtype=bool)
    new[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    starts = np.flatnonzero(new)
    pair, col = np.cumsum(new) - 1, pd.Index(sources).get_indexer(e["source"])
    per = np.zeros((len(starts), len(sources)))  # a missing weight counts 0, as an absent source does
    w = e["weight"].astype(float).to_numpy()
    per[pair, col] = np.where(np.isnan(w), 0.0, w)
    has = np.zeros((len(starts), len(sources)), dtype=bool)
    has[pair, col] = True
    total = np.zeros(len(starts))
    joined = np.full(len(starts), "", dtype=object)  # the pair's sources joined by "|", in source order
    started = np.zeros(len(starts), dtype=bool)
    for j, s in enumerate(sources):
        total = total + per[:, j]
        here = has[:, j]
        joined = np.where(here, np.where(started, joined + ("|" + s), s), joined)
        started |= here
    out = pd.DataFrame({"a": pd.Index(a[starts]).astype(str), "b": pd.Index(b[starts]).astype(str)})
    out["sources"] = pd.Series(joined, dtype="str")
    out["weight"] = total
    out["n_links"] = np.add.reduceat(e["n_links"].to_numpy(np.int64), starts) if len(starts) else \
        np.zeros(0, np.int64)
    for j, s in enumerate(sources):
        out[f"weight_{s}"] = per[:, j]
    return out


def node_table(nominals: pd.DataFrame, linked: pd.DataFrame) -> pd.DataFrame:
    """One row per node in the graph's order: id, label, then NODE_ATTRS (missing values as missing).

    People in id order, then any person of `linked` (pairs) who is not a nominal, as first met."""
    n = nominals.sort_values("person_id")
    ids = n["person_id"].astype(str).to_numpy()
    table = pd.DataFrame({"id": ids, "label": ids}, dtype="str")
    for col, out in NODE_ATTRS.items():
        if col in n:
            table[out] = n[col].reset_index(drop=True)
    known = set(ids)
    ends = pd.unique(np.column_stack([linked["a"].to_numpy(object), linked["b"].to_numpy(object)]).ravel())
    extra = [p for p in ends if p not in known]
    if extra:
        table = pd.concat([table, pd.DataFrame({"id": extra, "label": extra})], ignore_index=True)
    return table


def edge_table(nodes: pd.DataFrame, linked: pd.DataFrame) -> pd.DataFrame:
    """The pairs as networkx's `Graph.edges` lists them after adding them in pair order: by the position
    of the endpoint met first, then by the order of adding; that endpoint is the source."""
    pos = pd.Index(nodes["id"]).get_indexer
    pa_, pb = pos(linked["a"]), pos(linked["b"])
    a_first = pa_ <= pb
    order = np.argsort(np.where(a_first, pa_, pb), kind="stable")
    a, b = linked["a"].to_numpy(object), linked["b"].to_numpy(object)
    table = pd.DataFrame({"source": np.where(a_first, a, b)[order], "target": np.where(a_first, b, a)[order]},
                         dtype="str")
    rest = linked.drop(columns=["a", "b"]).iloc[order].reset_index(drop=True)
    return pd.concat([table, rest], axis=1)


def _frame_path_fits(nodes: pd.DataFrame, linked: pd.DataFrame) -> bool:
    """The tables give networkx's graph as is: unique node ids, each unordered pair once."""
    if not nodes["id"].is_unique:
        return False
    lo = np.minimum(linked["a"].to_numpy(object), linked["b"].to_numpy(object))
    hi = np.maximum(linked["a"].to_numpy(object), linked["b"].to_numpy(object))
    return not pd.DataFrame({"lo": lo, "hi": hi}).duplicated().any()


def tables(nominals: pd.DataFrame, edges: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The node and edge tables the files are written from (None: build the graph, see write)."""
    linked = pairs(edges)
    nodes = node_table(nominals, linked)
    return (nodes, edge_table(nodes, linked)) if _frame_path_fits(nodes, linked) else None


def graph(nominals: pd.DataFrame, edges: pd.DataFrame) -> nx.Graph:
    """One node per person, one edge per pair, attributes as in the module docstring."""
    linked = pairs(edges)
    g = nx.Graph()
    for row in node_table(nominals, linked).itertuples(index=False):
        r = row._asdict()
        g.add_node(r.pop("id"), **{k: v for k, v in ((k, _clean(v)) for k, v in r.items()) if v is not None})
    names = [c for c in linked.columns if c not in ("a", "b")]
    for a, b, *vals in zip(*(linked[c].tolist() for c in ["a", "b", *names]), strict=True):
        g.add_edge(a, b, **dict(zip(names, vals, strict=True)))
    return g


def _clean(v: object) -> object:
    """Attribute values: plain Python scalars; missing -> None (attribute left out)."""
    if v is None or pd.isna(v):
        return None
    if hasattr(v, "item"):
        v = v.item()
    return v


def i2_entities(nominals: pd.DataFrame) -> pd.DataFrame:
    n = nominals.sort_values("person_id", kind="mergesort")
    out = pd.DataFrame({
        "Entity Type": "Person", "Identity": n["person_id"], "Label": n["person_id"], "Group": n["group_id"],
        "Group Priority": n["group_priority"], "Current Age": n["current_age"], "Sex": n["sex"],
        "CSE Offender": n["cse_offender"].map({True: "Yes", False: "No"}), "Harm CCHI": n["harm_cchi"],
        "Harm ONS": n["harm_ons"], "Centrality": n["centrality"], "Disruption Order": n["disruption_order"],
        "SOC Group": n["soc_group"], "Child Now": n["child_now"].map({True: "Yes", False: "No"}),
        "Routing": n["routing"]})
    return out[I2_ENTITY_COLUMNS].reset_index(drop=True)


def i2_links(evidence: pd.DataFrame, intel: pd.DataFrame | None) -> pd.DataFrame:
    """One row per evidence item; intelligence links carry their grades."""
    E, IN = C.EVIDENCE, C.INTEL
    ev = evidence.sort_values([E["a"], E["b"], E["source"], E["id"]], kind="mergesort")
    labels = {k: v[0] for k, v in C.SOURCES.items()}
    out = pd.DataFrame({
        "Link Type": ev[E["source"]].map(labels).fillna(ev[E["source"]]),
        "From Identity": ev[E["a"]], "To Identity": ev[E["b"]],
        "Link Identity": ev[E["source"]].astype(str) + ":" + ev[E["id"]].astype(str),
        "Date": pd.to_datetime(ev[E["date"]]).dt.strftime("%Y-%m-%d"),
        "Description": ev[E["detail"]].fillna("").astype(str),
        "Grade 1": None, "Grade 2": None, "Grading System": None, "Weight": ev["weight"] if "weight" in ev else None})
    if intel is not None:
        gi = intel.set_index(IN["log"])
        is_intel = (ev[E["source"]] == "intel").to_numpy()
        logs = ev[E["id"]].where(is_intel)
        out["Grade 1"] = logs.map(gi[IN["source_grade"]]).to_numpy()
        out["Grade 2"] = logs.map(gi[IN["info_grade"]]).astype("string").to_numpy()
        out["Grading System"] = logs.map(gi[IN["system"]]).to_numpy()
        n = ev[E["n_people"]] if E["n_people"] in ev else pd.Series(pd.NA, index=ev.index)
        desc = "intelligence log, " + n.astype("Int64").astype("string").fillna("?") + " people"
        out.loc[is_intel, "Description"] = desc[is_intel].to_numpy()
    return out[I2_LINK_COLUMNS].reset_index(drop=True)


def write(out_dir: str | Path, nominals: pd.DataFrame, edges: pd.DataFrame, evidence: pd.DataFrame,
          intel: pd.DataFrame | None) -> dict[str, Path]:
    """Write the four files under OUT/exports/; returns their paths."""
    d = resolve_path(out_dir) / "exports"
    d.mkdir(parents=True, exist_ok=True)
    people = set(nominals["person_id"])
    E = C.EDGE
    edges = edges.loc[isin(edges[E["a"]], people) & isin(edges[E["b"]], people)]
    frames = tables(nominals, edges)
    paths = {"graphml": d / "network.graphml", "gexf": d / "network.gexf",
             "i2_entities": d / "i2_entities.csv", "i2_links": d / "i2_links.csv"}
    if frames is not None:  # both files from one formatting of the tables
        net = graphfiles.network(*frames)
        graphfiles.write_graphml_network(net, paths["graphml"])
        graphfiles.write_gexf_network(net, paths["gexf"])
    else:  # duplicate person ids or a pair listed both ways: networkx merges them, so write its graph
        g = graph(nominals, edges)
        graphfiles.write_graphml(g, paths["graphml"])
        graphfiles.write_gexf(g, paths["gexf"])
    i2_entities(nominals).to_csv(paths["i2_entities"], index=False, lineterminator="\n")
    ev = evidence.loc[isin(evidence[C.EVIDENCE["a"]], people) & isin(evidence[C.EVIDENCE["b"]], people)]
    i2_links(ev, intel).to_csv(paths["i2_links"], index=False, lineterminator="\n")
    return paths
