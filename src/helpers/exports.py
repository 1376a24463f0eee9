"""Network exports for analysts' tools, under OUT/exports/ (Intelligence only: they hold person ids).

- `network.graphml` and `network.gexf` (streamed by `graphfiles`; networkx reads them back as
  the graph its own writers would give; Gephi and Cytoscape read them): one node per person with
  the nominal attributes, one edge per linked pair with `sources` ("crime|intel"), total
  `weight`, `n_links` and one `weight_<source>` per source.
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


def _clean(v: object) -> object:
    """GraphML/GEXF attribute values: plain Python scalars; missing -> None (attribute left out)."""
    if v is None or pd.isna(v):
        return None
    if hasattr(v, "item"):
        v = v.item()
    return v


def graph(nominals: pd.DataFrame, edges: pd.DataFrame) -> nx.Graph:
    """One node per person, one edge per pair, attributes as in the module docstring."""
    E = C.EDGE
    g = nx.Graph()
    for row in nominals.sort_values("person_id").itertuples(index=False):
        r = row._asdict()
        node_attrs = {out: _clean(r[col]) for col, out in NODE_ATTRS.items() if col in r}
        g.add_node(str(r["person_id"]), label=str(r["person_id"]),
                   **{k: v for k, v in node_attrs.items() if v is not None})
    e = edges[[E["a"], E["b"], E["source"], E["weight"]] + (["n_links"] if "n_links" in edges else [])].copy()
    e.columns = ["a", "b", "source", "weight"] + (["n_links"] if "n_links" in edges else [])
    if "n_links" not in e:
        e["n_links"] = 1
    if e.duplicated(["a", "b", "source"]).any():  # several rows of one source: that source's weight is their sum
        e = e.groupby(["a", "b", "source"], sort=True, as_index=False).agg(weight=("weight", "sum"),
                                                                          n_links=("n_links", "sum"))
    e = e.sort_values(["a", "b", "source"], kind="mergesort").reset_index(drop=True)
    sources = sorted(set(e["source"]))
    # One row per pair, built column-wise (a pair has at most one row per source, in source order, so
    # adding the per-source weights in that order gives the same float as summing the pair's rows).
    e["weight"] = e["weight"].astype(float)
    per = e.pivot(index=["a", "b"], columns="source", values="weight")
    pairs = e.groupby(["a", "b"], sort=True).agg(sources=("source", "|".join), n_links=("n_links", "sum"))
    per = per.reindex(pairs.index)
    total = pd.Series(0.0, index=pairs.index)
    for s in sources:
        total = total + per[s].fillna(0.0)
    cols = {"sources": pairs["sources"].astype(str).tolist(), "weight": total.astype(float).tolist(),
            "n_links": pairs["n_links"].astype(int).tolist()}
    cols |= {f"weight_{s}": per[s].fillna(0.0).astype(float).tolist() for s in sources}
    names = list(cols)
    a_ids = [str(x) for x in pairs.index.get_level_values("a")]
    b_ids = [str(x) for x in pairs.index.get_level_values("b")]
    for a, b, *vals in zip(a_ids, b_ids, *cols.values(), strict=True):
        for p in (a, b):
            if p not in g:
                g.add_node(p, label=p)
        g.add_edge(a, b, **dict(zip(names, vals, strict=True)))
    return g


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
    g = graph(nominals, edges)
    paths = {"graphml": d / "network.graphml", "gexf": d / "network.gexf",
             "i2_entities": d / "i2_entities.csv", "i2_links": d / "i2_links.csv"}
    graphfiles.write_graphml(g, paths["graphml"])
    graphfiles.write_gexf(g, paths["gexf"])
    i2_entities(nominals).to_csv(paths["i2_entities"], index=False, lineterminator="\n")
    ev = evidence.loc[isin(evidence[C.EVIDENCE["a"]], people) & isin(evidence[C.EVIDENCE["b"]], people)]
    i2_links(ev, intel).to_csv(paths["i2_links"], index=False, lineterminator="\n")
    return paths
