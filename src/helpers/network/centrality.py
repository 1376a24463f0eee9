"""Centrality per person: degree, weighted degree, betweenness (hops) and PageRank (weighted).

Computed on every CSE link (strong and weak): centrality describes a
person's place in everything the force records, not only in their group.
"""
from __future__ import annotations

import igraph as ig
import numpy as np
import pandas as pd

from .. import dismantle as dm
from .graph import Network, sig

EXACT_BETWEENNESS_WORK = 5e8  # sum of n*(n+m) over components: igraph does ~5e7/s here, so <= ~10 s
BETWEENNESS_CUTOFF = 3        # hops, when exact betweenness would be too slow


def centrality(net: Network, exact_work: float = EXACT_BETWEENNESS_WORK,
               cutoff: int = BETWEENNESS_CUTOFF) -> tuple[pd.DataFrame, str]:
    """Degree, weighted degree, betweenness (hops) and PageRank (weighted) per person.

    Betweenness is exact when the work, sum over components of n*(n+m), is
    under `exact_work`; otherwise only shortest paths of at most `cutoff`
    hops count (deterministic, no sampling). Link weights are strengths, not
    distances, so betweenness counts hops.
    """
    g = net.graph
    memb = dm.membership(g)
    n_c = np.bincount(memb)
    el = dm.edge_array(g)
    m_c = np.bincount(memb[el[:, 0]], minlength=len(n_c)) if g.ecount() else 0 * n_c
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
    el = dm.edge_array(g)
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
