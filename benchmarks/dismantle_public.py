"""Dismantling methods on two public-shaped graphs: a power grid and a criminal-intelligence network.

    PYTHONPATH=src python benchmarks/dismantle_public.py [--seed N] [--max-work W] [--no-betweenness] [--skip-force]

The published comparisons of path-based dismantling (adaptive betweenness,
GND: Ren et al. 2019, "Generalized network dismantling", PNAS 116:6554) use
the US power grid (4,941 nodes, 6,594 edges) and BFP2013-style criminal
intelligence networks (~9,900 people). Neither is shippable or fetchable here
(no internet, and the intelligence data is not public), so this script
generates, seeded and without download, graphs of the same shape:

- power-grid-like: points in the unit square, their Euclidean minimum spanning
  tree plus the shortest further Delaunay edges up to 6,594 edges (planar,
  connected, mean degree 2.67, short links only);
- BFP-like: "intelligence reports" of 2-8 people, each report a clique; people
  are drawn by preferential attachment (on the reports they are already in),
  mostly from the report's own area, sometimes from anywhere, so there are many
  small communities joined by shared, heavy-tailed hubs.

For each graph, with unit weights (objective 'people') and cap = 1% of the
nodes, every method's base set is followed by `dismantle.reinsert`; the table
gives the people still removed and the seconds (base set + reinsertion).
Adaptive betweenness runs under a generous work budget: it is the reference.
`sampled` is adaptive betweenness from 128 sampled sources, removed in batches
(`helpers.sampled_betweenness`). After each graph a row gives the smallest of
the fast methods (what the default order would keep with all of them as
candidates). A 150,000-person BFP-like graph (the force's scale) then times
the fast methods (`sampled` only with --force-sampled: 30 s or more there).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import igraph as ig
import numpy as np
from scipy.spatial import Delaunay

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from helpers import dismantle, gnd, sampled_betweenness  # noqa: E402

FAST = ("corehd", "targeted", "degree", "gnd", "sampled")


def power_grid_like(n: int = 4941, m: int = 6594, seed: int = 1) -> ig.Graph:
    """Planar geometric graph: Euclidean MST of n random points plus the m - n + 1 shortest other Delaunay edges."""
    pts = np.random.default_rng(seed).random((n, 2))
    tri = Delaunay(pts).simplices
    e = np.sort(np.vstack([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [0, 2]]]), axis=1)
    e = np.unique(e, axis=0)
    length = np.hypot(*(pts[e[:, 0]] - pts[e[:, 1]]).T)
    full = ig.Graph(n=n, edges=e.tolist())
    tree = np.asarray(full.spanning_tree(weights=length, return_tree=False), int)
    rest = np.setdiff1d(np.arange(len(e)), tree)
    extra = rest[np.argsort(length[rest], kind="stable")[: m - len(tree)]]
    return ig.Graph(n=n, edges=e[np.sort(np.concatenate([tree, extra]))].tolist())


def bfp_like(n: int = 9887, seed: int = 1, area_size: int = 40, p_new: float = 0.45,
             p_far: float = 0.2) -> ig.Graph:
    """Reports-as-cliques graph with n people: preferential attachment inside areas, a few links across.

    Each report has 2 + Binomial(6, 0.12) people (2-8, mostly 2-3). Each slot is
    a new person with probability p_new (placed in the report's area), else an
    existing person chosen proportionally to the reports they are in, from the
    report's area (or, with probability p_far, from anyone). Areas hold about
    `area_size` people each and the report's area is uniform among those opened.
    """
    rng = np.random.default_rng(seed)
    n_areas = max(1, n // area_size)
    area_of: list[int] = []
    by_area: list[list[int]] = [[] for _ in range(n_areas)]  # one entry per report membership (PA urn)
    urn: list[int] = []
    edges: set[tuple[int, int]] = set()
    while len(area_of) < n:
        a = int(rng.integers(n_areas))
        people: set[int] = set()
        for _ in range(2 + int(rng.binomial(6, 0.12))):
            pool = urn if rng.random() < p_far else by_area[a]
            if len(area_of) < n and (not pool or rng.random() < p_new):
                v = len(area_of)
                area_of.append(a)
            elif pool:
                v = pool[int(rng.integers(len(pool)))]
            else:
                continue
            people.add(v)
        for v in people:
            by_area[area_of[v]].append(v)
            urn.append(v)
        ps = sorted(people)
        edges.update((ps[i], ps[j]) for i in range(len(ps)) for j in range(i + 1, len(ps)))
    return ig.Graph(n=n, edges=sorted(edges))


def run(name: str, g: ig.Graph, methods: tuple[str, ...], max_work: float) -> list[str]:
    """Markdown rows: each method's base set + reinsertion, unit weights, cap 1% of the nodes."""
    n = g.vcount()
    adj, wt, can = g.get_adjlist(), [1.0] * n, [True] * n
    cap = 0.01 * n
    rows = []
    fast: dict[str, int] = {}
    for method in methods:
        t = time.perf_counter()
        if method == "gnd":
            base: list[int] | None = gnd.gnd_set(g, wt, cap, can)
        elif method == "sampled":
            base = sampled_betweenness.sampled_betweenness_set(g, wt, cap, can)
        else:
            base = dismantle._base_set(method, g, adj, wt, cap, 0, max_work, can)
        kept = None if base is None else len(dismantle.reinsert(adj, wt, [cap] * n, base)[0])
        if kept is not None and method in FAST:
            fast[method] = kept
        got = "over budget" if kept is None else f"{kept:,}"
        rows.append(f"| {name} | {n:,} | {g.ecount():,} | {method} | {got} | {time.perf_counter() - t:.2f} |")
        print(rows[-1], flush=True)
    if fast:
        best = min(fast, key=lambda m: (fast[m], m))
        rows.append(f"| {name} | {n:,} | {g.ecount():,} | smallest fast ({best}) | {fast[best]:,} | |")
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-work", type=float, default=1e14, help="budget for adaptive betweenness (sum of n*(n+m))")
    ap.add_argument("--no-betweenness", action="store_true", help="skip the reference (~40 min on the BFP-like graph)")
    ap.add_argument("--skip-force", action="store_true", help="skip the 150,000-person graph")
    ap.add_argument("--force-sampled", action="store_true", help="run sampled betweenness on it too (30 s or more)")
    a = ap.parse_args()
    methods = FAST if a.no_betweenness else FAST + ("betweenness",)
    print("| graph | nodes | edges | method | removed (after reinsertion) | seconds |")
    print("|---|---|---|---|---|---|")
    run("power-grid-like", power_grid_like(seed=a.seed), methods, a.max_work)
    run("BFP-like", bfp_like(seed=a.seed), methods, a.max_work)
    if not a.skip_force:
        force = FAST if a.force_sampled else tuple(m for m in FAST if m != "sampled")
        run("BFP-like, force scale", bfp_like(150_000, seed=a.seed), force, a.max_work)


if __name__ == "__main__":
    main()
