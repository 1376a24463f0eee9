"""Groups: consensus clusters of the strong-tie graph, with a stability score per group.

A group is two or more people joined by strong ties (see `graph`); one
person is not a group (their `group_id` is empty). A strong-tie component no
larger than `max_group_size` is one group. A larger one is split by Leiden
(modularity, link weights), and the split is not trusted to one seed or one
weighting: an **ensemble** of partitions is made (each Leiden seed under
each weighting, e.g. the run's half-lives and both halved and doubled, with
10% of the strong links dropped at random in every run but the first per
weighting), and two linked people are kept together when they share a
cluster in at least `consensus_threshold` of the runs (consensus clustering,
Lancichinetti & Fortunato 2012, restricted to existing links so it stays
linear). The consensus pieces are the groups; a person left alone is put
with the neighbouring group they share most links with. Each group's
`stability` is the mean over the ensemble of its best Jaccard overlap with a
cluster of that run (1 = every run finds exactly this group).
"""
from __future__ import annotations

import functools
import random
from dataclasses import dataclass

import igraph as ig
import numpy as np
import pandas as pd

from .. import dismantle as dm
from .. import workers
from .graph import Network, _numbered

LEIDEN_ITERATIONS = 2   # igraph's default: within 0.01% of the converged modularity, 17x faster
MAX_SPLIT_DEPTH = 3


@dataclass(frozen=True)
class Ensemble:
    """How many partitions the consensus is built from (see the module docstring)."""
    n_seeds: int = 3
    drop_share: float = 0.10
    threshold: float = 0.5


def leiden_split(g: ig.Graph, verts: np.ndarray, max_size: int, seed_key: str,
                 depth: int = 1, weight: str = "weight") -> list[np.ndarray]:
    """Leiden communities of g restricted to verts; over-size communities split again (depth <= 3)."""
    rng_before = random.getstate()
    random.seed(seed_key)  # python-igraph draws from the `random` module
    try:
        sub = g.induced_subgraph(verts.tolist())
        memb = np.asarray(sub.community_leiden(objective_function="modularity", weights=weight,
                                               n_iterations=LEIDEN_ITERATIONS).membership)
    finally:
        random.setstate(rng_before)
    ks, parts = members_by_label(memb)
    out: list[np.ndarray] = []
    for k, idx in zip(ks.tolist(), parts, strict=True):
        part = verts[idx]
        if len(part) > max_size and depth < MAX_SPLIT_DEPTH and len(ks) > 1:
            # split from this subgraph, not from g: igraph's induced_subgraph costs the whole
            # graph's size per call (2 ms at 3 million people), whatever the part's size
            out.extend(verts[p] for p in leiden_split(sub, idx, max_size, f"{seed_key}.{k}", depth + 1, weight))
        else:
            out.append(part)
    return out


def members_by_label(labels: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """The distinct labels (ascending) and, for each, the positions holding it (ascending).

    One stable sort for all labels, where a test per label (``labels == k``) costs the whole array
    for each of them: the square of a giant component's size when Leiden splits it in thousands.
    """
    order = np.argsort(labels, kind="stable")
    ks, starts = np.unique(labels[order], return_index=True)
    return ks, np.split(order, starts[1:]) if len(ks) else []


def partition(g: ig.Graph, max_size: int, seed_key: str, weight: str = "weight") -> np.ndarray:
    """Integer cluster per vertex: components of g, those over max_size split by Leiden
    (modularity with the edge attribute `weight`).

    Vertices with no edge get a cluster of their own. Only over-size
    components cost a Leiden run, so the cost grows with the dense part only.
    """
    memb = dm.membership(g)
    sizes = np.bincount(memb) if len(memb) else np.zeros(0, int)
    out = memb.copy()
    nxt = int(memb.max()) + 1 if len(memb) else 0
    big = sizes[memb] > max_size
    _, parts = members_by_label(memb[big])
    where = np.flatnonzero(big)
    for verts in (where[idx] for idx in parts):
        for part in leiden_split(g, verts, max_size, f"{seed_key}-{int(verts.min())}", weight=weight):
            out[part] = nxt
            nxt += 1
    return out


def ensemble_partitions(net: Network, weightings: list[np.ndarray], max_size: int, seed: int,
                        ens: Ensemble) -> list[np.ndarray]:
    """One partition per (weighting, seed): the first seed of each weighting keeps every link,
    the others drop `drop_share` of the strong links at random (seeded)."""
    el = dm.edge_array(net.graph)[net.strong]
    # The strong-link graph is built once with every weighting as an edge attribute; a run that
    # drops links deletes them from a copy (igraph keeps the other links in their order, so each
    # run sees the same graph as one built from its kept links).
    strong = ig.Graph(n=len(net.people), edges=el.tolist(), directed=False)
    for wi, w in enumerate(weightings):
        strong.es[f"w{wi}"] = np.asarray(w, float).tolist()

    def run(wi: int, s: int) -> np.ndarray:
        g = strong
        if s > 0 and len(el):
            rng = np.random.default_rng([seed, wi, s])
            g = strong.copy()
            g.delete_edges(rng.choice(len(el), size=int(round(ens.drop_share * len(el))), replace=False).tolist())
        return partition(g, max_size, f"{seed}-{wi}-{s}", weight=f"w{wi}")
    # Each run seeds itself, so the runs are shared out over the cores (in a stability scenario,
    # already on a worker, they run one by one there) and come back in (weighting, seed) order.
    return workers.run_all([functools.partial(run, wi, s) for wi in range(len(weightings))
                            for s in range(ens.n_seeds)])


def co_assignment(el: np.ndarray, runs: list[np.ndarray]) -> np.ndarray:
    """Per strong edge: share of the runs that put both ends in one cluster."""
    if not runs or len(el) == 0:
        return np.ones(len(el))
    same = sum((r[el[:, 0]] == r[el[:, 1]]).astype(float) for r in runs)
    return np.asarray(same, float) / len(runs)


def consensus(net: Network, runs: list[np.ndarray], max_size: int, seed: int, threshold: float) -> np.ndarray:
    """Integer consensus cluster per vertex (-1 = no strong tie: not in any group)."""
    n = len(net.people)
    el = dm.edge_array(net.graph)[net.strong]
    sw = np.asarray(net.graph.es["strong_weight"], float)[net.strong] if len(el) else np.zeros(0)
    co = co_assignment(el, runs)
    kept = co >= threshold - 1e-12
    # the kept strong links, in their order, with their strong_weight (igraph copies them in C)
    g = net.graph.subgraph_edges(np.flatnonzero(net.strong)[kept].tolist(), delete_vertices=False)
    memb = partition(g, max_size, f"{seed}-consensus", weight="strong_weight")
    has_tie = np.zeros(n, bool)
    has_tie[el.ravel()] = True
    size = np.bincount(memb, minlength=int(memb.max()) + 1 if n else 0)
    # A person whose every strong tie fell below the threshold joins the neighbouring cluster with
    # the most co-assignment x weight (ties: lower cluster number); deterministic, linear.
    alone = has_tie & (size[memb] == 1) if n else has_tie
    if alone.any():
        cand = pd.DataFrame({"v": np.r_[el[:, 0], el[:, 1]], "u": np.r_[el[:, 1], el[:, 0]],
                             "s": np.r_[co * sw, co * sw]})
        cand = cand.loc[alone[cand["v"]] & ~alone[cand["u"]]]
        cand = cand.assign(c=memb[cand["u"].to_numpy()]).groupby(["v", "c"], as_index=False)["s"].sum()
        best = cand.sort_values(["v", "s", "c"], ascending=[True, False, True]).drop_duplicates("v")
        memb = memb.copy()
        memb[best["v"].to_numpy()] = best["c"].to_numpy()
        rest = alone.copy()
        rest[best["v"].to_numpy()] = False
        if rest.any():  # only tied to others left alone: they form clusters among themselves
            e = el[rest[el[:, 0]] & rest[el[:, 1]]]
            sub = dm.membership(ig.Graph(n=n, edges=e.tolist()))
            memb[rest] = int(memb.max()) + 1 + sub[rest]
    out = memb.copy()
    out[~has_tie] = -1
    return out


def jaccard_stability(groups: np.ndarray, runs: list[np.ndarray]) -> pd.Series:
    """Per group label (>= 0, ascending): mean over runs of the best Jaccard with one of that run's clusters.

    Counted with integer keys (group x cluster) and one sort per run, not pandas' group-bys (3 s per
    call at 3 million people); the same integer counts and float operations in the same order.
    """
    inx = groups >= 0
    if not inx.any() or not runs:
        return pd.Series(dtype=float)
    g = np.asarray(groups[inx], np.int64)
    gsize = np.bincount(g)
    labels = np.flatnonzero(gsize)
    total = np.zeros(len(labels))
    for r in runs:
        r = np.asarray(r, np.int64)
        rsize = np.bincount(r)
        key, o = np.unique(g * len(rsize) + r[inx], return_counts=True)  # sorted: by group, then cluster
        gk, rk = key // len(rsize), key % len(rsize)
        j = o / (gsize[gk] + rsize[rk] - o)
        starts = np.flatnonzero(np.r_[True, gk[1:] != gk[:-1]])
        total += np.maximum.reduceat(j, starts)  # one block per group label, in ascending order
    return pd.Series(total / len(runs), index=labels)


def find_groups(net: Network, weightings: list[np.ndarray], max_group_size: int, seed: int,
           ens: Ensemble = Ensemble()) -> tuple[pd.DataFrame, pd.Series]:
    """(membership: person_id, group_id (None = in no group); stability per group_id).

    Groups are numbered G0001... by size (largest first, ties by lowest person id).
    `weightings` are strong-edge weight vectors; the first is the run's own.
    """
    runs = ensemble_partitions(net, weightings, max_group_size, seed, ens)
    memb = consensus(net, runs, max_group_size, seed, ens.threshold)
    stab = jaccard_stability(memb, runs)
    gid = np.full(len(memb), None, dtype=object)
    inx = memb >= 0
    if inx.any():
        names = _numbered(memb[inx], "G")
        gid[inx] = names
        stab_by_name = pd.Series(stab.reindex(memb[inx]).to_numpy(), index=names)
        stab_by_name = stab_by_name[~stab_by_name.index.duplicated()]
    else:
        stab_by_name = pd.Series(dtype=float)
    return (pd.DataFrame({"person_id": pd.Series(net.people, dtype=object), "group_id": gid}),
            stab_by_name.rename("stability"))
