"""Stage 05 as one function: `run_stage()` computes and writes every stage-05 table.

Tables: network_nodes, network_groups, soc_overlap, crime_harm,
harm_unweighted, harm_concentration, dismantling_comparison,
dismantling_curves, stability and network_facts (the headline facts, one
row per fact, read by the notebook and the summary). Every random choice is
seeded from `seed` and every float rounded before export, so reruns give
identical files whatever order the database returned rows in.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import dismantle as dm
from .. import harm as hm
from .. import people as ppl
from .. import workers
from ..store import load_rows, load_work, read_table, write_facts, write_table
from ..store import read_facts as store_read_facts
from . import priority as pri
from .centrality import centrality, pagerank
from .disrupt import DISMANTLE_SHARE, dismantle_ranks
from .graph import Network, build, components, cse_pairs, sig
from .groups import Ensemble, find_groups
from .soc import soc_overlap
from .stability import K_GROUPS, stability, top_sets

FACTORS = (0.25, 0.5, 2.0, 4.0)   # half-life factors whose weights are computed once (ensembles, scenarios)


@dataclass
class Settings:
    """The stage's parameters (config/params.yml)."""
    as_of: pd.Timestamp
    proximity_half_life: float
    recency_half_life: float
    max_group_size: int
    seed: int
    max_victim_age: int
    strong_log_max_people: int
    high_band_max_groups: int
    priority_weights: dict
    consensus_seeds: int
    stability_reps: int = 2


@dataclass
class Inputs:
    """Everything stages 01-03 handed over, plus the harm of crimes and people."""
    full_table: pd.DataFrame
    evidence: pd.DataFrame       # edge_evidence
    crime_nominals: pd.DataFrame
    soc_edges: pd.DataFrame
    soc_nominals: pd.DataFrame
    weights: pd.DataFrame
    crimes: pd.DataFrame = field(init=False)
    people_harm: pd.DataFrame = field(init=False)
    soc_people: set = field(init=False)
    offenders: set = field(init=False)

    def __post_init__(self) -> None:
        self.full_table = self.full_table.assign(offender_id=self.full_table["offender_id"].astype(str),
                                                 victim_id=self.full_table["victim_id"].astype(str))
        self.crimes = hm.crime_harm(self.full_table, self.weights)
        self.people_harm = hm.person_harm(self.full_table, self.crimes)
        s = self.soc_edges
        self.soc_people = {str(p) for p in set(self.soc_nominals["person_id"]) | set(s["person_a"])
                           | set(s["person_b"])}
        self.offenders = set(self.full_table["offender_id"])
        self._children: dict[tuple[pd.Timestamp, int], pd.Series] = {}

    def children(self, as_of: pd.Timestamp, max_victim_age: int) -> pd.Series:
        """`people.child_now` per person, computed once per run (every scenario asks the same)."""
        key = (pd.Timestamp(as_of), int(max_victim_age))
        if key not in self._children:
            self._children[key] = ppl.child_now(self.crime_nominals, None, key[0], key[1])
        return self._children[key]


def load_inputs(out_dir: str, harm_weights: str) -> Inputs:
    """The stage's inputs. Of the nominal records only the person and dob of the people the network
    can hold (full-table offenders and everyone in the link evidence) are read: the child flags are
    asked of no one else, and at national scale the whole table is the stage's largest object."""
    ex = load_work(out_dir, "extraction", ["soc_network_edges", "soc_nominals"])
    full, evidence = read_table(out_dir, "full_table"), read_table(out_dir, "edge_evidence")
    reach = pd.concat([full["offender_id"], evidence["person_a"], evidence["person_b"]]).astype(str).unique()
    nominals = load_rows(out_dir, "extraction", "crime_nominals", ["person_id", "dob"], "person_id", reach)
    return Inputs(full, evidence, nominals, ex["soc_network_edges"], ex["soc_nominals"], hm.load_weights(harm_weights))


@dataclass
class Result:
    net: Network
    pairs: pd.DataFrame
    nodes: pd.DataFrame
    groups: pd.DataFrame
    facts: dict
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    centrality: workers.Pending | None = None  # the base run's centrality, still being computed


def node_harm(net: Network, inp: Inputs, column: str = "harm_cchi") -> np.ndarray:
    """Person harm aligned with the vertices (0 for people with no full-table crime)."""
    h = inp.people_harm.set_index(inp.people_harm["person_id"].astype(str))[column]
    return pd.Series(net.people, dtype=object).map(h).fillna(0).to_numpy(float)


def _scenario_pairs(pairs: pd.DataFrame, f: float) -> pd.DataFrame:
    """The pair table with the weights of half-life factor f as weight / strong_weight."""
    if f == 1.0:
        return pairs
    return pairs.assign(weight=pairs[f"weight_x{f:g}"], strong_weight=pairs[f"strong_weight_x{f:g}"])


def _weightings(net_pairs: pd.DataFrame, f: float, strong: np.ndarray) -> list[np.ndarray]:
    """Strong-edge weight vectors of the consensus ensemble: factor f, f/2 and 2f."""
    col = lambda x: "strong_weight" if x == 1.0 else f"strong_weight_x{x:g}"  # noqa: E731
    return [net_pairs[col(x)].to_numpy(float)[strong] for x in (f, f / 2, f * 2)]


def rank_network(inp: Inputs, st: Settings, pairs: pd.DataFrame, f: float = 1.0, gone: frozenset = frozenset(),
                 dismantle: str | None = None, full: bool = True) -> Result:
    """Groups, priorities, centrality and dismantling of one network (the base run or a scenario)."""
    offenders = inp.offenders - set(gone)
    p = _scenario_pairs(pairs, f)
    net = build(p, offenders)
    # The base run's centrality (betweenness is its longest single step) runs on another core
    # beside the groups and the dismantling; analyse() collects it.
    cent = workers.start(functools.partial(centrality, net)) if full else None
    memb, stab = find_groups(net, _weightings(p, f, net.strong), st.max_group_size, st.seed,
                            Ensemble(n_seeds=st.consensus_seeds))
    memb["component_id"] = components(net)
    basis = pri.harm_basis(inp.crimes)
    gt = pri.group_table(memb, inp.full_table, inp.crimes, p, offenders, inp.soc_people)
    gt["stability"] = sig(gt["group_id"].map(stab).fillna(1.0))
    gt = pri.prioritise(gt, st.as_of, st.recency_half_life * f, st.priority_weights, basis, st.high_band_max_groups)
    child = inp.children(st.as_of, st.max_victim_age).reindex(net.people, fill_value=False).to_numpy(bool)
    nodes = memb[["person_id", "group_id", "component_id"]].assign(child_now=child)
    facts: dict = {"harm_basis": basis}
    if not full:
        nodes["centrality"] = pagerank(net.graph)
    if dismantle is not None:  # a scenario: repeat the base run's method, whole network only
        ranks, _ = dismantle_ranks(net, memb, node_harm(net, inp), ~child, only=dismantle, whole_only=True)
        nodes = nodes.merge(ranks, on="person_id")
    return Result(net, p, nodes, gt, facts, centrality=cent)


def analyse(inp: Inputs, st: Settings, progress: Callable[[str], None] = lambda s: None) -> Result:
    """The base run: every table of the stage except the exports."""
    progress("network: pairs and weights")
    pairs = cse_pairs(inp.evidence, st.strong_log_max_people, st.as_of, st.proximity_half_life,
                      st.recency_half_life, FACTORS)
    progress("network: groups, centrality, priorities, dismantling")
    res = rank_network(inp, st, pairs)
    net, nodes, cent = res.net, res.nodes, res.centrality
    assert cent is not None
    with cent:  # a step below fails: the centrality is stopped, not waited for
        progress("network: dismantling methods compared (children not removable)")
        harm = node_harm(net, inp)
        removable = ~nodes["child_now"].to_numpy(bool)
        sets: dict[str, list[int]] = {}
        cmp = dm.compare(net.graph, harm, st.seed, objectives=("harm",), removable=removable, sets_out=sets)
        chosen = dm.best_of(dm.adjacency(net.graph), harm, sets)
        progress("network: dismantling orders (whole network, without the constraint, within groups)")
        ranks, dfacts = dismantle_ranks(net, nodes, harm, removable, chosen=chosen)
        c, res.facts["betweenness_method"] = cent.result()
    nodes = nodes.merge(c, on="person_id").merge(ranks, on="person_id")
    res.facts |= dfacts
    soc_summary, gt = soc_overlap(net, nodes, res.groups, inp.soc_people, inp.soc_edges, inp.offenders)
    ph = inp.people_harm.drop(columns="last_crime_date")
    ph = ph.assign(person_id=ph["person_id"].astype(str).astype(object))
    nodes = nodes.assign(person_id=nodes["person_id"].astype(object)).merge(ph, on="person_id", how="left")
    nodes["is_cse_offender"] = nodes["person_id"].isin(inp.offenders)
    nodes["in_soc_network"] = nodes["person_id"].isin(inp.soc_people)
    for c in ("n_crimes", "n_unweighted_cchi", "n_unweighted_ons"):
        nodes[c] = nodes[c].fillna(0).astype(int)
    for c in ("harm_cchi", "harm_ons"):
        nodes[c] = sig(nodes[c].fillna(0).astype(float))
    lead = ["person_id", "group_id", "component_id", "is_cse_offender", "in_soc_network", "child_now", "degree",
            "weighted_degree", "betweenness", "centrality", "harm_cchi", "harm_ons", "n_crimes", "dismantle_rank",
            "group_dismantle_rank"]
    nodes = nodes[lead + [c for c in nodes.columns if c not in lead]]
    for c in ("harm_cchi", "harm_ons", "joined_harm_cchi", "joined_harm_ons"):
        gt[c] = sig(gt[c].astype(float))
    res = Result(net, pairs, nodes, gt, res.facts, {"soc_overlap": soc_summary})

    res.tables["dismantling_comparison"] = cmp.assign(constraint="children not removable")
    ranked = nodes.dropna(subset=["dismantle_rank"]).sort_values("dismantle_rank")["person_id"]
    order = pd.Index(net.people).get_indexer(ranked).tolist()
    res.tables["dismantling_curves"] = dm.curve_points(
        net.graph, harm, {"kept: " + res.facts["dismantle_method"]: order}
        | {k: [v for v in o if removable[v]] for k, o in dm.baseline_orders(net.graph, harm, st.seed).items()})

    base = top_sets(nodes, gt)

    def scenario(name: str, p: pd.DataFrame, f: float, gone: set, same_links: bool) -> dict:
        r = rank_network(inp, st, p, f, frozenset(gone), None if same_links else res.facts["dismantle_method"],
                         full=False)
        if same_links:  # weights only: the dismantling order is the base one (not recomputed)
            r.nodes = r.nodes.merge(nodes[["person_id", "dismantle_rank"]], on="person_id", how="left")
        return top_sets(r.nodes, r.groups)
    res.tables["stability"] = stability(base, scenario, pairs, net.people, st.seed, st.stability_reps,
                                            progress)
    res.facts |= headline(res, inp, st)
    return res


def headline(res: Result, inp: Inputs, st: Settings) -> dict:
    """Facts for the notebook and the summary (counts, not person identifiers)."""
    g, nd = res.groups, res.nodes
    top = g.loc[g["priority_rank"] <= K_GROUPS]
    stab = res.tables.get("stability", pd.DataFrame())
    tg = stab.loc[stab["ranking"] == "people in the top groups by priority"] if len(stab) else stab
    agree = hm.index_agreement(inp.crimes)
    listed = nd["dismantle_rank"].notna() | nd["group_dismantle_rank"].notna()
    return {
        "n_people": len(nd), "n_offenders": int(nd["is_cse_offender"].sum()), "n_links": res.net.graph.ecount(),
        "n_strong_links": int(res.net.strong.sum()), "n_components": int(nd["component_id"].nunique()),
        "n_groups": len(g), "n_people_in_groups": int(nd["group_id"].notna().sum()),
        "n_high_groups": int((g["priority_band"] == "high").sum()),
        "n_people_in_high_groups": int(g.loc[g["priority_band"] == "high", "n_people"].sum()),
        "n_children_now": int(nd["child_now"].sum()),
        "n_children_now_in_disruption_lists": int((nd["child_now"] & listed).sum()),
        "top10_min_stability": float(top["stability"].min()) if len(top) else float("nan"),
        "top10_groups_jaccard_min": float(tg["min"].min()) if len(tg) else float("nan"),
        "harm_rank_correlation": agree["rank_correlation"],
        "strong_log_max_people": st.strong_log_max_people, "max_group_size": st.max_group_size,
        "dismantle_share": DISMANTLE_SHARE,
    }


def read_facts(out_dir: str) -> dict:
    """The headline facts a finished stage 05 wrote."""
    facts = store_read_facts(out_dir, "network_facts")
    if facts is None:
        raise FileNotFoundError(f"No network_facts table under {out_dir}/tables: run stage 05 first.")
    return facts


def _rounded(df: pd.DataFrame) -> pd.DataFrame:
    d = df.copy()
    for c in d.columns:
        if pd.api.types.is_float_dtype(d[c]):
            d[c] = sig(d[c])
    return d


def write_tables(out_dir: str, inp: Inputs, res: Result) -> None:
    """Export this stage's tables, sorted and rounded (byte-identical reruns)."""
    write_table(out_dir, "network_nodes", _rounded(res.nodes), sort_by=["person_id"])
    write_table(out_dir, "network_groups", _rounded(res.groups), sort_by=["group_id"])
    ch = inp.crimes.drop(columns=["ho_offence_code"])
    write_table(out_dir, "crime_harm", _rounded(ch), sort_by=["crime_id"])
    write_table(out_dir, "harm_unweighted", hm.unweighted(inp.crimes))
    write_table(out_dir, "harm_concentration", _rounded(hm.concentration_table(inp.people_harm, res.groups)))
    for name, df in res.tables.items():
        write_table(out_dir, name, _rounded(df))
    write_facts(out_dir, "network_facts", res.facts)


def run_stage(out_dir: str, harm_weights: str, as_of: str, proximity_half_life_days: float,
              recency_half_life_days: float, max_group_size: int, seed: int, max_victim_age: int,
              strong_log_max_people: int, high_band_max_groups: int,
              priority_weights: dict, consensus_seeds: int, stability_reps: int = 2,
              progress: Callable[[str], None] = print) -> Result:
    """Notebook 05: harm, groups, priorities, dismantling, SOC overlap, stability; writes every table."""
    inp = load_inputs(out_dir, harm_weights)
    st = Settings(pd.Timestamp(as_of), float(proximity_half_life_days), float(recency_half_life_days),
                  int(max_group_size), int(seed), int(max_victim_age), int(strong_log_max_people),
                  int(high_band_max_groups), dict(priority_weights), int(consensus_seeds), int(stability_reps))
    res = analyse(inp, st, progress)
    write_tables(out_dir, inp, res)
    return res
