"""The CSE network: groups, centrality, priorities, SOC overlap, safeguarding, stability.

The network is the full-table offenders and everyone their crime,
intelligence and PINS links reach (CONTRACT §3). SOC edges are kept out of
the grouping on purpose: the question "does this CSE group reach organised
crime?" needs the two networks apart first. igraph does the graph work (C
speed); pandas holds the tables. Every random choice is seeded from `seed`
and every float is rounded before export, so reruns give identical files.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import igraph as ig
import numpy as np
import pandas as pd

from . import dismantle as dm
from .extraction import ROLES
from .filtering import age_years
from . import harm as hm
from .store import load_work, read_table

CSE_SOURCES = ("crime", "intel", "pins")
OFFENDER_ROLES = {r for r, kind in ROLES.items() if kind == "offender"}
# Group priority: weights of the transparent score (they sum to 1).
PRIORITY_WEIGHTS = {"harm_cchi": 0.25, "harm_ons": 0.25, "size": 0.20, "recency": 0.20, "soc": 0.10}
BANDS = (("high", 0.10), ("medium", 0.30))  # top 10% high, next 20% medium, rest low
EXACT_BETWEENNESS_WORK = 5e8  # sum of n*(n+m) over components: igraph does ~5e7/s here, so <= ~10 s
BETWEENNESS_CUTOFF = 3        # hops, when exact betweenness would be too slow
LEIDEN_ITERATIONS = 2         # igraph's default: within 0.01% of the converged modularity, 17x faster
DISMANTLE_SHARE = 0.01        # target: heaviest remaining component <= 1% of harm


def sig(x: pd.Series | np.ndarray, digits: int = 10) -> np.ndarray:
    """Round to significant digits so platform noise never reaches a file."""
    a = np.asarray(x, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.where((a == 0) | ~np.isfinite(a), 0, np.floor(np.log10(np.abs(a))))
        f = 10.0 ** (digits - 1 - mag)
        return np.where(np.isfinite(a) & (a != 0), np.round(a * f) / f, a)


@dataclass
class Inputs:
    """Everything stages 01-03 handed over, plus the harm of crimes and people."""
    full_table: pd.DataFrame
    edges: pd.DataFrame          # network_edges (all sources)
    evidence: pd.DataFrame       # edge_evidence
    extraction: dict[str, pd.DataFrame]
    weights: pd.DataFrame
    as_of: pd.Timestamp
    proximity_half_life: float
    recency_half_life: float
    crimes: pd.DataFrame = field(init=False)
    people_harm: pd.DataFrame = field(init=False)
    soc_people: set = field(init=False)

    def __post_init__(self) -> None:
        self.crimes = hm.crime_harm(self.full_table, self.weights)
        self.people_harm = hm.person_harm(self.full_table, self.crimes)
        soc = self.extraction["soc_network_edges"]
        self.soc_people = set(self.extraction["soc_nominals"]["person_id"]) | set(soc["person_a"]) | set(soc["person_b"])


def load_inputs(out_dir: str, harm_weights: str, as_of: str, proximity_half_life_days: float,
                recency_half_life_days: float) -> Inputs:
    ex = load_work(out_dir, "extraction")
    return Inputs(read_table(out_dir, "full_table"), read_table(out_dir, "network_edges"),
                  read_table(out_dir, "edge_evidence"), ex, hm.load_weights(harm_weights),
                  pd.Timestamp(as_of), float(proximity_half_life_days), float(recency_half_life_days))


# ------------------------------------------------------------------ graph
def cse_edges(edges: pd.DataFrame, evidence: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per linked pair: weight and n_links summed over crime, intel and PINS."""
    e = edges.loc[edges["source"].isin(CSE_SOURCES)]
    out = e.groupby(["person_a", "person_b"], sort=True).agg(weight=("weight", "sum"), n_links=("n_links", "sum")).reset_index()
    if evidence is not None and len(evidence):
        ev = evidence.loc[evidence["source"].isin(CSE_SOURCES)]
        last = ev.groupby(["person_a", "person_b"])["event_date"].max().rename("last_date").reset_index()
        out = out.merge(last, on=["person_a", "person_b"], how="left")
    else:
        out["last_date"] = pd.NaT
    return out


def reweight(evidence: pd.DataFrame, as_of: pd.Timestamp, proximity_hl: float, recency_hl: float) -> pd.DataFrame:
    """Link weights again from the evidence with other half-lives (CONTRACT §3 formulas)."""
    ev = evidence.loc[evidence["source"].isin(CSE_SOURCES)].copy()
    age = (as_of - pd.to_datetime(ev["event_date"])).dt.days.to_numpy(float)
    w = 2.0 ** (-age / recency_hl)
    crime = (ev["source"] == "crime").to_numpy()
    gap = (pd.to_datetime(ev["event_date"]) - pd.to_datetime(ev["other_date"])).dt.days.abs().to_numpy(float)
    w = np.where(crime, w * 2.0 ** (-np.nan_to_num(gap) / proximity_hl), w)
    intel = (ev["source"] == "intel").to_numpy()
    n = pd.to_numeric(ev["n_people"], errors="coerce").to_numpy(float)
    w = np.where(intel, w / np.where(n > 1, n - 1, 1.0), w)
    ev["weight"] = w
    ev["n_links"] = 1
    return ev.groupby(["person_a", "person_b", "source"], sort=True).agg(
        weight=("weight", "sum"), n_links=("n_links", "sum")).reset_index()


@dataclass
class Network:
    people: list[str]   # vertex i is people[i] (sorted ids: determinism)
    graph: ig.Graph     # undirected, edge attribute 'weight'

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({"person_id": self.people})


def build(pairs: pd.DataFrame, offenders: set | list) -> Network:
    """igraph of the CSE network: full-table offenders plus everyone their links reach."""
    people = sorted(set(offenders) | set(pairs["person_a"]) | set(pairs["person_b"]))
    idx = pd.Index(people)
    a, b = idx.get_indexer(pairs["person_a"]), idx.get_indexer(pairs["person_b"])
    g = ig.Graph(n=len(people), edges=list(zip(a.tolist(), b.tolist())), directed=False)
    g.es["weight"] = pairs["weight"].astype(float).tolist()
    return Network(people, g)


def groups(net: Network, max_group_size: int, seed: int) -> pd.DataFrame:
    """Connected components; any larger than max_group_size is split by Leiden (modularity).

    Components are numbered by size (largest first, ties by lowest person
    id). A split component's communities get suffixes .001, .002 ... in the
    same order. Leiden is seeded per component, and re-applied (at most three
    levels) to a community still over the limit; a community Leiden cannot
    split further stays whole and is reported with split_level.
    """
    g = net.graph
    memb = np.asarray(g.connected_components().membership)
    first = pd.DataFrame({"c": memb, "v": np.arange(len(memb))}).groupby("c")["v"].agg(["size", "min"])
    ranked = first.sort_values(["size", "min"], ascending=[False, True]).index
    comp_no = np.empty(len(first), int)
    comp_no[ranked.to_numpy()] = np.arange(1, len(ranked) + 1)
    width = max(4, len(str(len(ranked))))
    cid = np.array([f"C{c:0{width}d}" for c in comp_no])[memb]
    gid = cid.astype(object).copy()
    level = np.zeros(len(memb), int)
    for c in ranked[first.loc[ranked, "size"].to_numpy() > max_group_size]:
        verts = np.flatnonzero(memb == c)
        parts = _leiden_split(g, verts, max_group_size, f"{seed}-{comp_no[c]}", 1)
        parts.sort(key=lambda p: (-len(p[0]), p[0].min()))
        pw = max(3, len(str(len(parts))))
        for k, (p, lev) in enumerate(parts, start=1):
            gid[p] = f"{cid[verts[0]]}.{k:0{pw}d}"
            level[p] = lev
    return pd.DataFrame({"person_id": net.people, "component_id": cid, "group_id": gid, "split_level": level})


def _leiden_split(g: ig.Graph, verts: np.ndarray, max_size: int, seed_key: str, depth: int) -> list[tuple[np.ndarray, int]]:
    """(vertices, split depth) of each community; over-size communities split again (depth <= 3)."""
    rng_before = random.getstate()
    random.seed(seed_key)  # python-igraph draws from the `random` module
    try:
        sub = g.induced_subgraph(verts.tolist())
        memb = np.asarray(sub.community_leiden(objective_function="modularity", weights="weight",
                                               n_iterations=LEIDEN_ITERATIONS).membership)
    finally:
        random.setstate(rng_before)
    out: list[tuple[np.ndarray, int]] = []
    ks = np.unique(memb)
    for k in ks:
        part = verts[memb == k]
        if len(part) > max_size and depth < 3 and len(ks) > 1:
            out.extend(_leiden_split(g, part, max_size, f"{seed_key}.{k}", depth + 1))
        else:
            out.append((part, depth))
    return out


# -------------------------------------------------------------- centrality
def centrality(net: Network, exact_work: float = EXACT_BETWEENNESS_WORK, cutoff: int = BETWEENNESS_CUTOFF) -> tuple[pd.DataFrame, str]:
    """Degree, weighted degree, betweenness (hops) and PageRank (weighted) per person.

    Betweenness is exact when the work, sum over components of n*(n+m), is
    under `exact_work`; otherwise only shortest paths of at most `cutoff`
    hops count (deterministic, no sampling). Link weights are strengths, not
    distances, so betweenness counts hops.
    """
    g = net.graph
    memb = np.asarray(g.connected_components().membership)
    n_c = np.bincount(memb)
    m_c = np.bincount(memb[np.asarray([e[0] for e in g.get_edgelist()], int)], minlength=len(n_c)) if g.ecount() else 0 * n_c
    work = float((n_c * (n_c + m_c)).sum())
    if work <= exact_work:
        bc, method = g.betweenness(directed=False), "exact"
    else:
        bc, method = g.betweenness(directed=False, cutoff=cutoff), f"cutoff {cutoff} hops (approximate)"
    df = net.frame().assign(
        degree=g.degree(),
        weighted_degree=sig(g.strength(weights="weight")) if g.ecount() else 0.0,
        betweenness=sig(bc),
        centrality=pagerank(g),
    )
    return df, method


def pagerank(g: ig.Graph, damping: float = 0.85, tol: float = 1e-14, max_iter: int = 1000) -> np.ndarray:
    """Weighted PageRank by power iteration (single-threaded scipy, so bit-identical reruns;
    igraph's PRPACK differed in the 10th digit between runs). Isolated people spread uniformly."""
    import scipy.sparse as sp
    n = g.vcount()
    if n == 0:
        return np.zeros(0)
    el = np.asarray(g.get_edgelist(), int).reshape(-1, 2)
    w = np.asarray(g.es["weight"] if g.ecount() else [], float)
    a = sp.csr_matrix((np.r_[w, w], (np.r_[el[:, 0], el[:, 1]], np.r_[el[:, 1], el[:, 0]])), shape=(n, n))
    s = np.asarray(a.sum(axis=1)).ravel()
    dangling = s == 0
    inv = np.where(dangling, 0.0, 1.0 / np.where(dangling, 1.0, s))
    at = a.T.tocsr()
    x = np.full(n, 1.0 / n)
    for _ in range(max_iter):
        nxt = damping * (at @ (x * inv)) + (damping * x[dangling].sum() + 1.0 - damping) / n
        nxt /= nxt.sum()
        done = np.abs(nxt - x).sum() < tol
        x = nxt
        if done:
            break
    return sig(x)


# ------------------------------------------------------------------- groups
def group_table(membership: pd.DataFrame, inp: Inputs, pairs: pd.DataFrame, offenders: set) -> pd.DataFrame:
    """Per group: size, offenders, harm of its distinct crimes, last activity, SOC reach."""
    m = membership.assign(is_off=membership["person_id"].isin(offenders),
                          in_soc=membership["person_id"].isin(inp.soc_people))
    g = m.groupby("group_id", sort=True)
    out = pd.DataFrame({"component_id": g["component_id"].first(), "n_people": g.size(),
                        "n_offenders": g["is_off"].sum(), "soc_overlap": g["in_soc"].sum()}).reset_index()
    gh = hm.group_harm(inp.full_table.loc[inp.full_table["offender_id"].isin(offenders)], inp.crimes, membership)
    out = out.merge(gh, on="group_id", how="left")
    gmap = membership.set_index("person_id")["group_id"]
    e = pairs.assign(ga=pairs["person_a"].map(gmap), gb=pairs["person_b"].map(gmap))
    last_edge = e.loc[e["ga"] == e["gb"]].groupby("ga")["last_date"].max()
    out["last_activity"] = pd.concat([out["last_crime_date"], out["group_id"].map(last_edge)], axis=1).max(axis=1)
    out = out.drop(columns="last_crime_date")
    for c in ("n_crimes", "harm_cchi", "harm_ons"):
        out[c] = out[c].fillna(0)
    out["n_crimes"] = out["n_crimes"].astype(int)
    return out


def prioritise(groups_df: pd.DataFrame, as_of: pd.Timestamp, recency_hl: float) -> pd.DataFrame:
    """priority_score = 0.25 P(harm CCHI) + 0.25 P(harm ONS) + 0.20 P(people) + 0.20 recency + 0.10 SOC.

    P(x) is the group's percentile rank (0-1] among all groups; recency is
    2^(-(as_of - last activity) / recency half-life); SOC is 1 when a member
    is in the SOC network. Bands: top 10% of ranks high, next 20% medium.
    """
    d = groups_df.copy()
    age = (as_of - pd.to_datetime(d["last_activity"])).dt.days.astype(float)
    d["recency"] = sig((2.0 ** (-age / recency_hl)).fillna(0.0))
    pw = PRIORITY_WEIGHTS
    score = (pw["harm_cchi"] * d["harm_cchi"].rank(pct=True) + pw["harm_ons"] * d["harm_ons"].rank(pct=True)
             + pw["size"] * d["n_people"].rank(pct=True) + pw["recency"] * d["recency"]
             + pw["soc"] * (d["soc_overlap"] > 0).astype(float))
    d["priority_score"] = sig(score)
    d = d.sort_values(["priority_score", "harm_cchi", "group_id"], ascending=[False, False, True], kind="mergesort")
    d["priority_rank"] = np.arange(1, len(d) + 1)
    n = len(d)
    d["priority_band"] = "low"
    for band, share in reversed(BANDS):
        d.loc[d["priority_rank"] <= math.ceil(share * n), "priority_band"] = band
    return d.sort_values("group_id").reset_index(drop=True)


# ------------------------------------------------------------- dismantling
def dismantle_ranks(net: Network, membership: pd.DataFrame, harm: np.ndarray,
                    share: float = DISMANTLE_SHARE) -> tuple[pd.DataFrame, str]:
    """Whole-network and within-group dismantling ranks (NA = not needed to reach the target).

    Whole network: the heaviest remaining component must hold <= share of
    all harm. Per group: the same on the group alone (links to other groups
    dropped) with share of the group's harm as its cap.
    """
    g = net.graph
    total = float(harm.sum())
    order, method = dm.dismantle_network(g, harm, share)
    rank = pd.array([pd.NA] * len(harm), dtype="Int64")
    rank[np.asarray(order, int)] = np.arange(1, len(order) + 1)
    gcode = pd.factorize(membership["group_id"])[0]
    gsum = np.bincount(gcode, weights=harm)
    inner = g.copy()
    el = np.asarray(g.get_edgelist(), int).reshape(-1, 2)
    inner.delete_edges(np.flatnonzero(gcode[el[:, 0]] != gcode[el[:, 1]]).tolist())
    gorder = dm.dismantle(inner, harm, (share * gsum[gcode]).tolist())
    grank = pd.array([pd.NA] * len(harm), dtype="Int64")
    if gorder:
        go = pd.DataFrame({"v": gorder, "g": gcode[gorder]})
        grank[go["v"].to_numpy()] = go.groupby("g").cumcount().to_numpy() + 1
    return net.frame().assign(dismantle_rank=rank, group_dismantle_rank=grank), method


# ------------------------------------------------------------- SOC overlap
def soc_overlap(net: Network, membership: pd.DataFrame, groups_df: pd.DataFrame, inp: Inputs,
                offenders: set) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Who is in both networks, which groups reach SOC, and what joining the networks does.

    Joining adds the SOC edges (and SOC-only people) to the CSE network;
    CSE groups that fall into one joined component are counted together.
    Returns (summary rows measure/value, groups with joined_component columns).
    """
    people = set(net.people)
    both = people & inp.soc_people
    soc = inp.extraction["soc_network_edges"]
    allp = sorted(people | inp.soc_people)
    idx = pd.Index(allp)
    pa = np.asarray(net.people, dtype=object)
    en = np.asarray(net.graph.get_edgelist(), int).reshape(-1, 2)
    el = list(zip(idx.get_indexer(pa[en[:, 0]]).tolist(), idx.get_indexer(pa[en[:, 1]]).tolist()))
    el += list(zip(idx.get_indexer(soc["person_a"]).tolist(), idx.get_indexer(soc["person_b"]).tolist()))
    joined = np.asarray(ig.Graph(n=len(allp), edges=el).connected_components().membership)
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
        ("people in the SOC network", len(inp.soc_people)),
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


# ------------------------------------------------------------ safeguarding
def safeguarding(extraction: dict[str, pd.DataFrame], people: list[str]) -> pd.DataFrame:
    """Safeguarding flags, kept apart from threat and never used in any score.

    flag_child_offender: aged under 18 (whole years, dob as recorded on that
    crime) at any crime where the person has an offender role. An offender
    dob after the crime date is a recording error and flags nothing.
    flag_victim_offender: a VICTIM row and an offender-role row on any
    crimes, in either order.
    """
    cn = extraction["crime_nominals"]
    cn = cn.loc[cn["person_id"].isin(people)].merge(
        extraction["crimes"][["crime_id", "committed_from"]], on="crime_id", how="left")
    role = cn["role"].astype(str).str.strip().str.upper()
    age = age_years(cn["dob"], cn["committed_from"])  # the same whole-years rule as the full table
    cn = cn.assign(off=role.isin(OFFENDER_ROLES), vic=role.eq("VICTIM"),
                   child_off=role.isin(OFFENDER_ROLES) & age.between(0, 17).fillna(False).astype(bool),
                   child_vic=role.eq("VICTIM") & (age.clip(lower=0) <= 17).fillna(False).astype(bool))
    g = cn.groupby("person_id")
    per = pd.DataFrame({"off": g["off"].any(), "vic": g["vic"].any(), "child_off": g["child_off"].any(),
                        "child_vic": g["child_vic"].any(),
                        "n_crimes_under_18": cn.loc[cn["child_off"]].groupby("person_id")["crime_id"].nunique()})
    out = pd.DataFrame({"person_id": people}).merge(per.reset_index(), on="person_id", how="left")
    b = lambda c: out[c].fillna(False).astype(bool)  # noqa: E731
    return pd.DataFrame({
        "person_id": out["person_id"], "flag_child_offender": b("child_off"),
        "flag_victim_offender": b("off") & b("vic"), "was_child_victim": b("child_vic"),
        "n_crimes_as_offender_under_18": out["n_crimes_under_18"].fillna(0).astype(int),
    }).assign(safeguarding_flag=lambda d: d["flag_child_offender"] | d["flag_victim_offender"])


def safeguarding_list(flags: pd.DataFrame) -> pd.DataFrame:
    """People for safeguarding review with reasons; sorted by id, never by threat or harm."""
    f = flags.loc[flags["safeguarding_flag"]].copy()
    reasons = []
    for co, vo, cv in zip(f["flag_child_offender"], f["flag_victim_offender"], f["was_child_victim"]):
        r = (["offender aged under 18"] if co else []) + (["victim and offender"] if vo else []) \
            + (["victim aged under 18"] if cv and vo else [])
        reasons.append("; ".join(r))
    f["reasons"] = reasons
    return f[["person_id", "flag_child_offender", "flag_victim_offender", "was_child_victim", "reasons"]] \
        .sort_values("person_id").reset_index(drop=True)


# --------------------------------------------------------------- analysis
@dataclass
class Result:
    net: Network
    pairs: pd.DataFrame
    membership: pd.DataFrame
    nodes: pd.DataFrame
    groups: pd.DataFrame
    soc_summary: pd.DataFrame
    betweenness_method: str
    dismantle_method: str


def node_harm(net: Network, inp: Inputs, column: str = "harm_cchi") -> np.ndarray:
    """Person harm aligned with the vertices (0 for people with no full-table crime)."""
    return net.frame().merge(inp.people_harm, on="person_id", how="left")[column].fillna(0).to_numpy(float)


def analyse(inp: Inputs, max_group_size: int, seed: int) -> Result:
    """Groups, centrality, dismantling, priorities, SOC overlap and flags for the base network."""
    pairs = cse_edges(inp.edges, inp.evidence)
    offenders = set(inp.full_table["offender_id"])
    net = build(pairs, offenders)
    memb = groups(net, max_group_size, seed)
    cen, method = centrality(net)
    ranks, dmethod = dismantle_ranks(net, memb, node_harm(net, inp))
    gt = prioritise(group_table(memb, inp, pairs, offenders), inp.as_of, inp.recency_half_life)
    soc_summary, gt = soc_overlap(net, memb, gt, inp, offenders)
    flags = safeguarding(inp.extraction, net.people)
    ph = inp.people_harm.drop(columns="last_crime_date")
    nodes = (memb.merge(cen, on="person_id").merge(ph, on="person_id", how="left").merge(ranks, on="person_id")
             .merge(flags, on="person_id"))
    nodes["is_cse_offender"] = nodes["person_id"].isin(offenders)
    nodes["in_soc_network"] = nodes["person_id"].isin(inp.soc_people)
    for c in ("n_crimes", "n_unweighted_cchi", "n_unweighted_ons"):
        nodes[c] = nodes[c].fillna(0).astype(int)
    for c in ("harm_cchi", "harm_ons"):
        nodes[c] = sig(nodes[c].fillna(0))
        gt[c] = sig(gt[c])
    for c in ("joined_harm_cchi", "joined_harm_ons"):
        gt[c] = sig(gt[c])
    lead = ["person_id", "group_id", "component_id", "is_cse_offender", "in_soc_network", "degree",
            "weighted_degree", "betweenness", "centrality", "harm_cchi", "harm_ons", "n_crimes", "dismantle_rank"]
    nodes = nodes[lead + [c for c in nodes.columns if c not in lead]]
    return Result(net, pairs, memb, nodes, gt, soc_summary, method, dmethod)


# --------------------------------------------------------------- stability
def _snapshot(inp: Inputs, pairs: pd.DataFrame, offenders: set, max_group_size: int, seed: int,
              recency_hl: float, k_people: int, k_groups: int, method: str | None = None,
              top_dismantle: set | None = None) -> dict:
    """Top-k sets of one (perturbed) network: dismantling, PageRank, members of top groups.

    `top_dismantle` is passed when only link weights changed: the dismantling
    order depends on who is linked and on harm, not on weights, so the base
    run's top set stands and is not recomputed.
    """
    net = build(pairs, offenders)
    memb = groups(net, max_group_size, seed)
    if top_dismantle is None:
        order, _ = dm.dismantle_network(net.graph, node_harm(net, inp), DISMANTLE_SHARE, only=method)
        top_dismantle = {net.people[v] for v in order[:k_people]}
    pr = pagerank(net.graph)
    by_pr = sorted(range(len(pr)), key=lambda v: (-pr[v], net.people[v]))[:k_people]
    gt = prioritise(group_table(memb, inp, pairs, offenders), inp.as_of, recency_hl)
    top_g = set(gt.loc[gt["priority_rank"] <= k_groups, "group_id"])
    band = memb["group_id"].map(gt.set_index("group_id")["priority_band"])
    return {"nominals by dismantling order": top_dismantle,
            "nominals by PageRank": {net.people[v] for v in by_pr},
            "people in the top groups by priority": set(memb.loc[memb["group_id"].isin(top_g), "person_id"]),
            "_band": pd.Series(band.to_numpy(), index=memb["person_id"].to_numpy())}


def stability(inp: Inputs, res: Result, max_group_size: int, seed: int, n_reps: int = 3,
              k_people: int = 50, k_groups: int = 10) -> pd.DataFrame:
    """How much the rankings move between the base run (`res`) and perturbed runs.

    Scenarios: both half-lives halved / doubled (link weights recomputed from
    edge_evidence; deterministic, one run each), 10% of links or 2% of people
    removed at random (n_reps seeded repetitions each, seeds seed+1...).
    Perturbed runs repeat the base run's dismantling method (no re-selection);
    the half-life scenarios change weights only, so their dismantling order is
    the base order (overlap 1 by construction, as the report says).
    Measures per scenario and ranking: Jaccard overlap (shared / combined) of
    the top-k sets, and for priority bands the share of people (present in
    both runs) whose group keeps the same band, overall and among people in
    high-priority groups. Columns: scenario, ranking, measure, k, n_runs,
    mean, min.
    """
    offenders = set(inp.full_table["offender_id"])
    pairs = res.pairs
    snap = lambda p, o, rec, top=None: _snapshot(inp, p, o, max_group_size, seed, rec, k_people,  # noqa: E731
                                                 k_groups, res.dismantle_method, top)
    nd = res.nodes
    top_g = set(res.groups.loc[res.groups["priority_rank"] <= k_groups, "group_id"])
    base = {"nominals by dismantling order": set(nd.dropna(subset=["dismantle_rank"])
                                                 .nsmallest(k_people, "dismantle_rank")["person_id"]),
            "nominals by PageRank": set(nd.sort_values(["centrality", "person_id"], ascending=[False, True])
                                        ["person_id"].head(k_people)),
            "people in the top groups by priority": set(nd.loc[nd["group_id"].isin(top_g), "person_id"])}
    base_band = pd.Series(nd["group_id"].map(res.groups.set_index("group_id")["priority_band"]).to_numpy(),
                          index=nd["person_id"].to_numpy())
    runs: list[tuple[str, dict]] = []
    for f, name in ((0.5, "half-lives halved"), (2.0, "half-lives doubled")):
        rw = cse_edges(reweight(inp.evidence, inp.as_of, inp.proximity_half_life * f, inp.recency_half_life * f),
                       inp.evidence)
        runs.append((name, snap(rw, offenders, inp.recency_half_life * f, base["nominals by dismantling order"])))
    people = sorted(offenders | set(pairs["person_a"]) | set(pairs["person_b"]))
    for r in range(1, n_reps + 1):
        rng = np.random.default_rng(seed + r)
        keep = np.ones(len(pairs), bool)
        keep[rng.choice(len(pairs), size=round(0.10 * len(pairs)), replace=False)] = False
        runs.append(("10% of links removed", snap(pairs.loc[keep], offenders, inp.recency_half_life)))
        gone = set(rng.choice(np.asarray(people, dtype=object), size=round(0.02 * len(people)), replace=False))
        p2 = pairs.loc[~pairs["person_a"].isin(gone) & ~pairs["person_b"].isin(gone)]
        runs.append(("2% of people removed", snap(p2, offenders - gone, inp.recency_half_life)))
    rows = []
    for name, s in runs:
        for key, b in base.items():
            j = len(b & s[key]) / len(b | s[key]) if (b | s[key]) else 1.0
            k = k_groups if "groups" in key else k_people
            rows.append(dict(scenario=name, ranking=key, measure="Jaccard overlap of the top k", k=k, value=j))
        bb, sb = base_band.align(s["_band"], join="inner")
        same = float((bb == sb).mean()) if len(bb) else float("nan")
        hi = bb == "high"
        same_hi = float((sb[hi] == "high").mean()) if hi.any() else float("nan")
        rows.append(dict(scenario=name, ranking="priority band of each person's group",
                         measure="share of people keeping their band", k=len(bb), value=same))
        rows.append(dict(scenario=name, ranking="priority band of each person's group",
                         measure="share of people in high-priority groups still high", k=int(hi.sum()),
                         value=same_hi))
    df = pd.DataFrame(rows)
    out = df.groupby(["scenario", "ranking", "measure"], sort=False).agg(
        k=("k", "min"), n_runs=("value", "size"), mean=("value", "mean"), min=("value", "min")).reset_index()
    out["mean"], out["min"] = sig(out["mean"]), sig(out["min"])
    return out[["scenario", "ranking", "measure", "k", "n_runs", "mean", "min"]]


def write_tables(out_dir: str, inp: Inputs, res: Result, tables: dict[str, pd.DataFrame]) -> None:
    """Export this stage's tables, sorted and rounded (byte-identical reruns)."""
    from .store import write_table
    write_table(out_dir, "network_nodes", res.nodes, sort_by=["person_id"])
    write_table(out_dir, "network_groups", res.groups, sort_by=["group_id"])
    write_table(out_dir, "soc_overlap", res.soc_summary)
    ch = inp.crimes.drop(columns=["ho_offence_code"]).assign(
        harm_cchi=lambda d: sig(d["harm_cchi"]), harm_ons=lambda d: sig(d["harm_ons"]))
    write_table(out_dir, "crime_harm", ch, sort_by=["crime_id"])
    for name, df in tables.items():
        d = df.copy()
        for c in d.columns:
            if pd.api.types.is_float_dtype(d[c]):
                d[c] = sig(d[c])
        write_table(out_dir, name, d, sort_by=["person_id"] if "person_id" in d.columns else None)


# ------------------------------------------------------- notebook views (aggregates only)
def size_band(n: pd.Series) -> pd.Series:
    return pd.cut(n, [0, 1, 2, 5, 10, 50, 150, np.inf], labels=["1", "2", "3-5", "6-10", "11-50", "51-150", ">150"])


def centrality_summary(nodes: pd.DataFrame) -> pd.DataFrame:
    g = nodes.assign(who=np.where(nodes["is_cse_offender"], "full-table offenders", "other linked people")).groupby("who")
    return pd.DataFrame({
        "people": g.size(), "degree_median": g["degree"].median(), "degree_p90": g["degree"].quantile(0.9),
        "betweenness_median": g["betweenness"].median().round(1), "betweenness_p90": g["betweenness"].quantile(0.9).round(1),
        "pagerank_x_n_median": (g["centrality"].median() * len(nodes)).round(2),
    }).reset_index()


def band_summary(groups_df: pd.DataFrame, nodes: pd.DataFrame | None = None) -> pd.DataFrame:
    g = groups_df.groupby("priority_band")
    out = pd.DataFrame({
        "groups": g.size(), "people": g["n_people"].sum(), "offenders": g["n_offenders"].sum(),
        "share_cchi_harm": g["harm_cchi"].sum() / groups_df["harm_cchi"].sum(),
        "share_ons_harm": g["harm_ons"].sum() / groups_df["harm_ons"].sum(),
        "groups_reaching_soc": g["soc_overlap"].apply(lambda s: int((s > 0).sum())),
        "median_recency": g["recency"].median().round(2),
    }).reindex(["high", "medium", "low"]).dropna(how="all").reset_index()
    if nodes is not None:
        out = out.merge(band_flags(groups_df, nodes), on="priority_band", how="left")
    return out


METHOD_LABELS = {"corehd": "CoreHD (harm tie-breaks)", "targeted": "harm-targeted adaptive degree",
                 "degree": "adaptive degree", "betweenness": "adaptive betweenness", "random": "random order"}


def comparison_view(cmp: pd.DataFrame) -> pd.DataFrame:
    """Display view of the comparison: R to 2 significant figures, plain-English headers."""
    d = cmp.copy()
    d["method"] = d["method"].map(METHOD_LABELS).fillna(d["method"])
    d["R_harm"] = sig(d["R_harm"], 2)
    d["harm_share_removed"] = d["harm_share_removed"].map(lambda x: "" if pd.isna(x) else f"{x:.1%}")
    for c in ("n_removed", "n_flagged", "removed_to_1pct_people"):
        if c in d:
            d[c] = d[c].round().astype("Int64")
    cols = ["method", "reinsertion", "finished", "n_removed"] + (["n_flagged"] if "n_flagged" in d else []) \
        + ["removed_to_1pct_people", "R_harm", "harm_share_removed"]
    return labelled(d[cols])


def overlap_view(summary: pd.DataFrame) -> pd.DataFrame:
    """Display view: counts of people (suppressible) apart from structural counts (groups, components)."""
    is_share = summary["measure"].str.contains("share")
    is_people = ~is_share & summary["measure"].str.match(r"(people|CSE offenders)")
    val = summary["value"]
    blank = lambda s: s.astype("Int64").astype("object").where(s.notna(), "")  # noqa: E731
    return pd.DataFrame({"measure": summary["measure"],
                         "people": blank(val.where(is_people)),
                         "count": blank(val.where(~is_people & ~is_share)),
                         "share": val.where(is_share).map(lambda x: "" if pd.isna(x) else f"{x:.1%}")})


def flag_summary(nodes: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for label, col in (("aged under 18 at an offence", "flag_child_offender"),
                       ("victim and offender", "flag_victim_offender"), ("either flag", "safeguarding_flag")):
        f = nodes.loc[nodes[col]]
        rows.append(dict(flag=label, people=len(f), of_whom_offenders=int(f["is_cse_offender"].sum()),
                         in_soc_network=int(f["in_soc_network"].sum())))
    return pd.DataFrame(rows)


# ------------------------------------------------- safeguarding, structure, display (aggregates only)
def safeguarding_summary(nodes: pd.DataFrame, groups_df: pd.DataFrame, top: int = 50) -> pd.DataFrame:
    """Counts of safeguarding-flagged people wherever people are ranked or counted by priority.

    Columns measure, count. 'Flagged' = either flag (child offender or
    victim-offender); 'children' = flag_child_offender. The top `top` of the
    dismantling order are the people with dismantle_rank <= top.
    """
    child = nodes["flag_child_offender"].fillna(False).astype(bool)
    vo = nodes["flag_victim_offender"].fillna(False).astype(bool)
    flag = nodes["safeguarding_flag"].fillna(False).astype(bool)
    off = nodes["is_cse_offender"].fillna(False).astype(bool)
    rank = pd.to_numeric(nodes["dismantle_rank"], errors="coerce")
    in_set = rank.notna()
    in_top = rank <= top
    high = nodes["group_id"].isin(groups_df.loc[groups_df["priority_band"] == "high", "group_id"])
    rows = [
        ("full-table CSE offenders", off.sum()),
        ("flagged child offenders (under 18 at an offence)", child.sum()),
        ("flagged child offenders who are full-table CSE offenders", (child & off).sum()),
        ("victim-offenders", vo.sum()),
        ("people with either flag", flag.sum()),
        ("people in the dismantling set", in_set.sum()),
        ("flagged people in the dismantling set", (flag & in_set).sum()),
        ("flagged children in the dismantling set", (child & in_set).sum()),
        (f"people in the top {top} of the dismantling order", in_top.sum()),
        (f"flagged people in the top {top} of the dismantling order", (flag & in_top).sum()),
        (f"flagged children in the top {top} of the dismantling order", (child & in_top).sum()),
        ("people in high-priority groups", high.sum()),
        ("flagged people in high-priority groups", (flag & high).sum()),
        ("flagged children in high-priority groups", (child & high).sum()),
    ]
    return pd.DataFrame({"measure": [r[0] for r in rows], "count": [int(r[1]) for r in rows]})


def structure(res: Result, edges: pd.DataFrame, n_largest: int = 5) -> dict:
    """Structural facts (not counts of people in small cells): components, the largest ones,
    and what holds the largest together (person-pairs by link source, non-offenders,
    and the largest connected set left with crime links only)."""
    nd = res.nodes
    sizes = nd.groupby("component_id").size().sort_values(ascending=False, kind="mergesort")
    giant = sizes.index[0] if len(sizes) else None
    gp = set(nd.loc[nd["component_id"] == giant, "person_id"])
    e = edges.loc[edges["source"].isin(CSE_SOURCES) & edges["person_a"].isin(gp) & edges["person_b"].isin(gp)]
    by_src = e.drop_duplicates(["person_a", "person_b", "source"]).groupby("source").size()
    srcs = e.groupby(["person_a", "person_b"])["source"].agg(set)
    crime = e.loc[e["source"] == "crime"]
    people = sorted(gp)
    idx = pd.Index(people)
    cg = ig.Graph(n=len(people), edges=list(zip(idx.get_indexer(crime["person_a"]).tolist(),
                                                   idx.get_indexer(crime["person_b"]).tolist())))
    g = res.groups
    return dict(
        n_people=len(nd), n_components=len(sizes), largest=[int(x) for x in sizes.head(n_largest)],
        n_over_cap=int(g.loc[g["group_id"] != g["component_id"], "component_id"].nunique()),
        n_groups=len(g), giant_people=len(gp), giant_share=len(gp) / len(nd) if len(nd) else float("nan"),
        giant_offenders=int(nd.loc[nd["component_id"] == giant, "is_cse_offender"].sum()),
        giant_non_offenders=int((~nd.loc[nd["component_id"] == giant, "is_cse_offender"].astype(bool)).sum()),
        giant_pairs=len(srcs), pairs_crime=int(by_src.get("crime", 0)), pairs_intel=int(by_src.get("intel", 0)),
        pairs_pins=int(by_src.get("pins", 0)),
        pairs_intel_only=int(sum(1 for s in srcs if s == {"intel"})),
        giant_crime_only_largest=int(max(cg.connected_components().sizes(), default=0)) if people else 0,
        giant_groups=int(g.loc[g["component_id"] == giant, "group_id"].nunique()),
    )


def band_flags(groups_df: pd.DataFrame, nodes: pd.DataFrame) -> pd.DataFrame:
    """Per priority band (high, medium, low): safeguarding-flagged people and flagged children."""
    band = nodes["group_id"].map(groups_df.set_index("group_id")["priority_band"])
    d = nodes.assign(band=band)
    g = d.groupby("band")
    return pd.DataFrame({"flagged": g["safeguarding_flag"].sum().astype(int),
                         "flagged_children": g["flag_child_offender"].sum().astype(int)}) \
        .reindex(["high", "medium", "low"]).dropna(how="all").rename_axis("priority_band").reset_index()


LABELS = {
    "index": "Index", "status": "Status", "n_codes": "Offence codes", "n_crimes": "Crimes", "ho_code": "Offence code",
    "unit": "Unit", "units": "Units", "top_share": "Top share", "n_units": "Units in the top share", "harm_share": "Share of harm",
    "gini": "Gini", "n_offenders": "Offenders",
    "size": "People in the group", "groups": "Groups", "people": "People", "offenders": "Offenders",
    "who": "Who", "degree_median": "Links (median)", "degree_p90": "Links (90th percentile)",
    "betweenness_median": "Betweenness (median)", "betweenness_p90": "Betweenness (90th percentile)",
    "pagerank_x_n_median": "PageRank × people (median; 1 = average)",
    "priority_band": "Priority band", "share_cchi_harm": "Share of CCHI harm", "share_ons_harm": "Share of ONS harm",
    "groups_reaching_soc": "Groups reaching SOC", "median_recency": "Recency (median)",
    "flagged": "Safeguarding-flagged people", "flagged_children": "of whom flagged children",
    "method": "Method", "reinsertion": "Reinsertion", "finished": "Finished", "n_removed": "People removed",
    "n_flagged": "of whom safeguarding-flagged", "removed_to_1pct_people": "People removed to leave no set over 1% of people",
    "R_harm": "Robustness R (lower is better)", "harm_share_removed": "Share of harm held by those removed",
    "measure": "Measure", "count": "Count", "share": "Share", "flag": "Flag",
    "of_whom_offenders": "of whom full-table offenders", "in_soc_network": "in the SOC network",
    "scenario": "Scenario", "ranking": "Ranking", "k": "Size compared (k)", "n_runs": "Runs", "mean": "Mean",
    "min": "Lowest",
}


def labelled(df: pd.DataFrame) -> pd.DataFrame:
    """The same table with plain-English column headers (display only; files keep their names)."""
    return df.rename(columns={c: LABELS.get(c, c) for c in df.columns})


def label(name: str) -> str:
    """The display header of one column (for count_cols of a labelled table)."""
    return LABELS.get(name, name)


def dismantle_order(res: Result) -> list[int]:
    """Vertex ids of the whole-network dismantling set, in dismantle_rank order."""
    r = pd.to_numeric(res.nodes.set_index("person_id")["dismantle_rank"], errors="coerce")
    pos = pd.Series(np.arange(len(res.net.people)), index=res.net.people)
    r = r.dropna().sort_values(kind="mergesort")
    return pos.loc[r.index].astype(int).tolist()


def table_or_sentence(df: pd.DataFrame, caption: str, count_cols: list[str], suppress_below: int,
                      empty: str) -> None:
    """report.table, or the sentence `empty` when the table has no rows."""
    from . import report
    if len(df):
        report.table(df, caption, count_cols=count_cols, suppress_below=suppress_below)
    else:
        report.md(empty)
