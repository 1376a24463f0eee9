"""Overlap of the CSE network with the existing SOC network (force report section 6).

The SOC edges never form CSE groups; here they are added afterwards to see
which CSE groups reach organised crime and which become joined through it.
"""
from __future__ import annotations

import igraph as ig
import numpy as np
import pandas as pd

from .. import dismantle as dm
from .graph import Network, sig


def soc_overlap(net: Network, membership: pd.DataFrame, groups_df: pd.DataFrame, soc_people: set,
                soc_edges: pd.DataFrame, offenders: set) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Who is in both networks, which groups reach SOC, and what joining the networks does.

    Joining adds the SOC edges (and SOC-only people) to the CSE network;
    CSE groups that fall into one joined component are counted together.
    Returns (summary rows measure/value, groups with joined_component columns).
    """
    people = set(net.people)
    both = people & soc_people
    soc = soc_edges
    allp = sorted(people | soc_people)
    idx = pd.Index(allp)
    pa = np.asarray(net.people, dtype=object)
    en = dm.edge_array(net.graph)
    el = list(zip(idx.get_indexer(pa[en[:, 0]]).tolist(), idx.get_indexer(pa[en[:, 1]]).tolist(), strict=False))
    el += list(zip(idx.get_indexer(soc["person_a"].astype(str)).tolist(),
                   idx.get_indexer(soc["person_b"].astype(str)).tolist(), strict=False))
    joined = dm.membership(ig.Graph(n=len(allp), edges=el))
    jmap = pd.Series(joined, index=idx)
    gj = membership.assign(j=membership["person_id"].map(jmap)).groupby("group_id")["j"].first()
    d = groups_df.copy()
    d["joined_component"] = d["group_id"].map(gj)
    d["joined_n_groups"] = d.groupby("joined_component")["group_id"].transform("size")
    d["joined_n_components"] = d.groupby("joined_component")["component_id"].transform("nunique")
    jh = d.groupby("joined_component")[["harm_cchi", "harm_ons"]].transform("sum")
    d["joined_harm_cchi"], d["joined_harm_ons"] = jh["harm_cchi"], jh["harm_ons"]
    comp_h = d.groupby("component_id")["harm_cchi"].sum()
    tot_c, tot_o = d["harm_cchi"].sum(), d["harm_ons"].sum()
    share = lambda x: float(x / tot_c) if tot_c else np.nan  # noqa: E731
    reach = d["soc_overlap"] > 0
    merged = d["joined_n_components"] > 1
    top = d.loc[d["priority_band"] == "high"]
    rows = [
        ("people in the CSE network", len(people)),
        ("people in the SOC network", len(soc_people)),
        ("people in both networks", len(both)),
        ("CSE offenders in the SOC network", len(both & offenders)),
        ("CSE groups", len(d)),
        ("CSE groups reaching the SOC network", int(reach.sum())),
        ("share of CCHI harm in groups reaching SOC", share(d.loc[reach, "harm_cchi"].sum())),
        ("share of ONS harm in groups reaching SOC", d.loc[reach, "harm_ons"].sum() / tot_o if tot_o else np.nan),
        ("high-priority groups reaching SOC", int((top["soc_overlap"] > 0).sum())),
        ("high-priority groups", len(top)),
        ("CSE components joined to another CSE component by SOC links", int(d.loc[merged, "component_id"].nunique())),
        ("joined components holding 2+ CSE components", int(d.loc[merged, "joined_component"].nunique())),
        ("largest CSE component's share of CCHI harm", share(comp_h.max()) if len(comp_h) else np.nan),
        ("largest joined component's share of CCHI harm", share(d["joined_harm_cchi"].max()) if len(d) else np.nan),
    ]
    summary = pd.DataFrame(rows, columns=["measure", "value"])
    summary["value"] = sig(summary["value"].astype(float))
    # joined component ids are renumbered by the smallest group id in them (stable across runs)
    first_gid = d.groupby("joined_component")["group_id"].transform("min")
    d["joined_component"] = "J-" + first_gid
    return summary, d
