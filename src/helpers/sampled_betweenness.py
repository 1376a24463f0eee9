"""Adaptive betweenness dismantling with sampled sources: the path-based reference, made fast.

Adaptive betweenness (remove the person on most shortest paths of the
heaviest component, recompute, repeat) is the best of the published
heuristics on criminal-intelligence networks (BFP2013), but it is cubic:
about 40 minutes on 9,887 people (`dismantle.betweenness_set`). Here each
recomputation counts only the shortest paths from a sample of `SOURCES`
people (Brandes & Pich 2007, "Centrality estimation in large networks"), and
each one removes a batch of the top-ranked people (a share `BATCH` of the
component, at least one), so the run takes seconds.

Harm: components are ranked, and the cap applied, by harm as everywhere, and
among equal scores the more harmful person goes first. Sources are drawn
uniformly: drawing them in proportion to harm (paths that start at harmful
people) was tried and removed 0-1% more people on the BFP-like graph with
exponential or Pareto harm (3 seeds each).
Children (removable=False) are never removed. Deterministic: the sample comes
from a generator seeded once per call, components are processed heaviest
first (ties: lowest id), scores are rounded before ranking and ties go to
the more harmful, then the lower id; igraph's betweenness is single-threaded.

Speed (2 cores, unit weights, cap 1%): ~2.5 s on the 9,887-person BFP-like
graph of benchmarks/dismantle_public.py, ~7 s at 20,000; at 150,000 people
30 s or more, and 4% more people than CoreHD after reinsertion, so it is
meant to run only on networks up to about 20,000 people (dismantle.runs_on).

Same contract as `dismantle.corehd` and `gnd.gnd_set`: the set returned (in
removal order) is meant to be followed by `dismantle.reinsert`.
"""
from __future__ import annotations

import heapq

import igraph as ig
import numpy as np

from helpers import dismantle

SOURCES = 128  # sampled sources per recomputation (exact betweenness on components no larger)
BATCH = 0.002  # share of the component removed per recomputation (at least one person)
SEED = 0


def _pieces(ids: np.ndarray, h: ig.Graph, wt: np.ndarray, can: np.ndarray,
            limit: float) -> list[tuple[float, int, np.ndarray]]:
    """The connected pieces of h (vertex i is person ids[i]) that weigh over the limit and can be broken."""
    memb = dismantle.membership(h)
    order = np.lexsort((ids, memb))
    bounds = np.flatnonzero(np.diff(memb[order])) + 1
    out = []
    for part in np.split(ids[order], bounds):
        pw = float(wt[part].sum())
        if pw > limit and can[part].any():
            out.append((-pw, int(part[0]), part))
    return out


def sampled_betweenness_set(g: ig.Graph, w: dismantle.Floats, cap: float,
                            removable: dismantle.Bools | None = None,
                            sources: int = SOURCES, batch: float = BATCH, seed: int = SEED) -> list[int]:
    """Dismantling set (vertex ids, removal order), before reinsertion, by sampled adaptive betweenness.

    Repeatedly takes the heaviest component over the cap (ties: lowest id),
    scores its people by betweenness from `sources` sources drawn uniformly
    (all of them in a component no larger), and removes the top max(1, batch * size) removable
    people with a positive score (or the single top one), until every
    component over the cap has no removable person left.
    """
    n = g.vcount()
    wt = np.asarray(w, float)
    can = np.asarray(dismantle._mask(removable, n), bool)
    limit = cap + 1e-12 * max(1.0, abs(cap))
    rng = np.random.default_rng(seed)
    base = g.copy()
    base.simplify()  # multi-edges and loops change no shortest path but would count twice
    heap = _pieces(np.arange(n), base, wt, can, limit)
    heapq.heapify(heap)
    removed: list[int] = []
    while heap:
        _, _, ids = heapq.heappop(heap)
        h = base.induced_subgraph(ids.tolist())
        k = len(ids)
        hw = wt[ids]
        src = np.sort(rng.choice(k, sources, replace=False)).tolist() if k > sources else None
        bc = np.round(np.asarray(h.betweenness(directed=False, sources=src), float), 9)
        pool = np.flatnonzero(can[ids])
        rank = pool[np.lexsort((ids[pool], -hw[pool], -bc[pool]))]
        take = rank[:max(1, int(batch * k))]
        take = take[bc[take] > 0] if bc[take[0]] > 0 else take[:1]
        removed.extend(ids[take].tolist())
        keep = np.ones(k, bool)
        keep[take] = False
        for item in _pieces(ids[keep], h.induced_subgraph(np.flatnonzero(keep).tolist()), wt, can, limit):
            heapq.heappush(heap, item)
    return removed
