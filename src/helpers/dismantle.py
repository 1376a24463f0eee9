"""Harm-weighted network dismantling: who to disrupt first to break a network apart.

Goal (force report 10.5): remove as few people as possible so that the
largest remaining connected group holds at most 1% of the network's harm.
Method: CoreHD (Zdeborová, Zhang & Zhou 2016, "Fast and simple decycling and
dismantling of networks", Sci. Rep. 6:37954), weighted by harm, then tree
breaking by harm-weighted centroids, then greedy reinsertion with union-find
(Braunstein et al. 2016 PNAS 113:12368) that puts back every removed person
whose return keeps all groups under the cap. Everything is heap-driven on
plain adjacency lists, O((N + M) log N): ~30,000 people take about a second.

Baselines for the comparison table: adaptive degree, adaptive betweenness
(under a deterministic work budget: it is cubic) and a seeded random order.
Node weights are harm (objective 'harm') or 1 (objective 'people').

**Children are never targets.** Every method takes a `removable` mask (one
bool per person; a child at `as_of` is not removable): only removable people
are ever removed, adults are removed to break the network around the
children. A connected set of children alone cannot be broken by removing
adults, so the target becomes max(cap, heaviest connected set of
non-removable people) — the `floor`, reported with every result.
"""
from __future__ import annotations

import functools
import gc
import heapq
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import igraph as ig
import numpy as np
import pandas as pd

from . import kernels, progress, workers

Adj = Sequence[Sequence[int]]
# Weights and masks arrive as lists or as numpy arrays (both index and iterate alike).
Floats = Sequence[float] | np.ndarray
Bools = Sequence[bool] | np.ndarray
DEFAULT_SHARE = 0.01  # the 1% target's one home (heaviest set left <= 1% of harm; assumptions log A13)


@dataclass(frozen=True)
class Method:
    """One dismantling method: its code (tables), its label (display) and whether it is one of
    the candidates the default order is chosen from (`dismantle_network`)."""
    code: str
    label: str
    candidate: bool

    @property
    def order_name(self) -> str:
        """The name a run reports for an order this method chose (always with reinsertion)."""
        return f"{self.label} + reinsertion"


# The one method registry: the comparison table, the default order's candidates and every label.
METHODS: dict[str, Method] = {m.code: m for m in (
    Method("corehd", "harm-weighted CoreHD", True),
    Method("targeted", "harm-targeted adaptive degree", True),
    Method("degree", "adaptive degree", True),
    Method("gnd", "spectral GND (path-based)", True),
    Method("sampled", "sampled adaptive betweenness", True),
    Method("betweenness", "adaptive betweenness", False),
    Method("random", "random order", False),
)}
CANDIDATES = tuple(code for code, m in METHODS.items() if m.candidate)
# GND (helpers.gnd) runs on networks up to this many people: ~2 s at 10,000; at 150,000 it took 15 s per
# call and removed 23% more people than CoreHD on a generated force-like graph (benchmarks/dismantle_public.py),
# so above it the candidate is skipped (comparison table: finished = False) and the run stays as fast.
GND_MAX_PEOPLE = 30_000
# Sampled adaptive betweenness (helpers.sampled_betweenness): ~2.5 s at 9,887 people, ~7 s at 20,000; at 150,000
# 30 s or more and 4% more people than CoreHD (benchmarks/dismantle_public.py), so it is skipped above this.
SAMPLED_MAX_PEOPLE = 20_000


def _limit(method: str) -> int | None:
    """The most people `method` runs on (None: any size)."""
    return {"gnd": GND_MAX_PEOPLE, "sampled": SAMPLED_MAX_PEOPLE}.get(method)


def runs_on(method: str, n: int) -> bool:
    """Whether `method` runs on a network of n people (GND and sampled betweenness only up to their limits)."""
    limit = _limit(method)
    return limit is None or n <= limit


def _announce(method: str, n: int, what: str) -> None:
    label = METHODS[method].label
    progress.say(f"dismantling: {label} ({what}, {n:,} people)" if runs_on(method, n) else
                 f"dismantling: {label} skipped ({n:,} people, over {_limit(method):,})")


def adjacency(g: ig.Graph) -> list[list[int]]:
    """g's adjacency lists, built once per graph and kept on it (igraph builds them in Python:
    ~0.3 s at force scale, 2 s at twenty times it; one run asks for them about twenty times).

    The copy a subgraph inherits is never used: it is keyed by the graph's identity and size. The
    garbage collector is paused meanwhile: millions of new lists would set off full collections of
    the whole heap, which doubled the time at national scale.
    """
    key = (id(g), g.vcount(), g.ecount())
    held = g["_adjacency"] if "_adjacency" in g.attributes() else None
    if held is None or held[0] != key:
        collecting = gc.isenabled()
        gc.disable()
        try:
            held = (key, g.get_adjlist())
        finally:
            if collecting:
                gc.enable()
        g["_adjacency"] = held
    return held[1]


def edge_array(g: ig.Graph) -> np.ndarray:
    """g's edges as a read-only (m, 2) int64 array in igraph's order, built once per graph and kept
    on it as `adjacency` keeps its lists (igraph lists the edges as Python tuples: about 1 s per call
    at twenty times force scale, and stage 05 asked for the same network's edges about ten times).
    """
    key = (id(g), g.vcount(), g.ecount())
    held = g["_edges"] if "_edges" in g.attributes() else None
    if held is None or held[0] != key:
        el = np.fromiter(chain.from_iterable(g.get_edgelist()), np.int64, 2 * g.ecount()).reshape(-1, 2)
        el.flags.writeable = False
        held = (key, el)
        g["_edges"] = held
    return held[1]


def membership(g: ig.Graph) -> np.ndarray:
    """Connected-set label per person (0, 1, ... in igraph's order: by lowest member id), as integers.

    igraph's own labels without its VertexClustering wrapper, which takes the maximum of the labels
    in a Python loop (2.4 s of stage 05 at force scale, over ~80 calls)."""
    return np.asarray(ig.GraphBase.connected_components(g, "strong"), np.int64)


def _mask(removable: Bools | None, n: int) -> list[bool]:
    return [True] * n if removable is None else [bool(x) for x in removable]


def floor_weight(adj: Adj, w: Floats, removable: Bools | None) -> float:
    """Weight of the heaviest connected set of non-removable people (0 when all are removable)."""
    fixed = np.asarray([not r for r in _mask(removable, len(adj))], np.bool_)
    indptr, indices = kernels.csr(adj)
    order, starts = kernels.components(indptr, indices, fixed)
    sums = kernels.component_weights(order, starts, np.asarray(w, np.float64).reshape(-1))
    return float(sums.max()) if len(sums) else 0.0


def effective_cap(adj: Adj, w: Floats, cap: float, removable: Bools | None) -> float:
    """The reachable target: cap, or the floor when non-removable people alone weigh more."""
    return max(float(cap), floor_weight(adj, w, removable))


# ------------------------------------------------------------------ CoreHD
def corehd(adj: Adj, w: Floats, cap: Floats,
           removable: Bools | None = None) -> list[int]:
    """Removal sequence that leaves every component with weight <= cap (cap per node).

    Phase 1 decycles: repeatedly remove the 2-core node with the largest
    2-core degree (among equals the more harmful goes first). Components
    already under the cap are never touched. Phase 2 breaks the remaining trees: in the
    heaviest tree over its cap, remove the harm-weighted centroid (the node
    whose removal leaves the lightest largest piece). Non-removable people
    stay in the 2-core (they hold loops) but are never taken.
    """
    n = len(adj)
    can = _mask(removable, n)
    pos = [x for x in w if x > 0]
    wbar = sum(pos) / len(pos) if pos else 1.0
    # Phase 1, compiled (`kernels.corehd_decycle`): 2-core degree first; harm only breaks ties,
    # score = degree + 1e-6 * w / (wbar * (1 + w / wbar)). (Multiplying degree by harm was tried
    # and removed ~3% more people on the synthetic force.)
    indptr, indices = kernels.csr(adj)
    wa, ca = np.asarray(w, np.float64).reshape(-1), np.asarray(cap, np.float64).reshape(-1)
    gone, left = kernels.corehd_decycle(indptr, indices, wa, ca, np.asarray(can, np.bool_), float(wbar))
    removed: list[int] = gone.tolist()
    alive: list[bool] = left.tolist()

    # Phase 2: the graph left is a forest wherever a component is over its cap (loops remain
    # only through non-removable people; the centroid of a BFS tree then approximates).
    trees: list[tuple[float, int, list[int]]] = []
    order, starts = kernels.components(indptr, indices, left)
    sums = kernels.component_weights(order, starts, wa)
    for c in np.flatnonzero(sums > ca[order[starts[:-1]]]).tolist():
        comp = order[starts[c]:starts[c + 1]].tolist()
        heapq.heappush(trees, (-float(sums[c]), min(comp), comp))
    while trees:
        _, _, comp = heapq.heappop(trees)
        if not all(alive[v] for v in comp):
            continue  # stale copy (a loop through non-removable people reached it twice): its pieces are queued
        if not any(can[v] for v in comp):
            continue  # children only: removing adults cannot break it (the floor)
        c = _centroid(adj, w, alive, comp, can)
        alive[c] = False
        removed.append(c)
        for u in adj[c]:
            if alive[u]:
                piece = _reach(adj, alive, u)
                pw = sum(w[x] for x in piece)
                if pw > cap[u]:
                    heapq.heappush(trees, (-pw, min(piece), piece))
    return removed


def _reach(adj: Adj, alive: Bools, s: int) -> list[int]:
    seen, q, out = {s}, deque([s]), [s]
    while q:
        v = q.popleft()
        for u in adj[v]:
            if alive[u] and u not in seen:
                seen.add(u)
                out.append(u)
                q.append(u)
    return out


def _centroid(adj: Adj, w: Floats, alive: Bools, comp: list[int],
              can: Bools | None = None) -> int:
    """Harm-weighted centroid of a tree: minimise the heaviest piece left (ties: heavier node, lower id)."""
    root = min(comp)
    parent = {root: -1}
    order = [root]
    for v in order:  # BFS; list grows while iterating
        for u in adj[v]:
            if alive[u] and u not in parent:
                parent[u] = v
                order.append(u)
    sub = {v: float(w[v]) for v in order}
    heaviest_child = {v: 0.0 for v in order}
    for v in reversed(order[1:]):
        p = parent[v]
        sub[p] += sub[v]
        heaviest_child[p] = max(heaviest_child[p], sub[v])
    total = sub[root]
    pool = [v for v in order if can is None or can[v]]
    best = min(pool, key=lambda v: (max(heaviest_child[v], total - sub[v]), -w[v], v))
    return best


# ------------------------------------------------------------- reinsertion
def reinsert(adj: Adj, w: Floats, cap: Floats, removed: Sequence[int]) -> tuple[list[int], list[int]]:
    """Put back removed people, cheapest first, while every component stays <= its cap.

    Cost of putting v back = its weight + the weights of the distinct
    components it would join. Costs only grow as components merge, so a
    lazy heap is exact, and a person whose cost exceeds the cap stays out
    for good. Returns (still removed, in the original order; reinserted).
    """
    if not len(removed):
        return [], []
    indptr, indices = kernels.csr(adj)
    back = kernels.reinsert(indptr, indices, np.asarray(w, np.float64).reshape(-1),
                            np.asarray(cap, np.float64).reshape(-1), np.asarray(removed, np.int64)).tolist()
    gone = set(back)
    return [v for v in removed if v not in gone], back


def complete_order(first: Sequence[int], w: Floats) -> list[int]:
    """A full removal order: the dismantling set, then everyone else by weight (desc; ties: lower id)."""
    head = np.asarray(first, np.int64).reshape(-1)
    wv = np.asarray(w, np.float64).reshape(-1)
    rest = np.ones(len(wv), bool)
    rest[head] = False
    ids = np.flatnonzero(rest)
    return head.tolist() + ids[np.lexsort((ids, -wv[ids]))].tolist()


def lcc_curve(adj: Adj, w: Floats, order: Sequence[int]) -> np.ndarray:
    """lcc[q] = weight of the heaviest component after removing order[:q] (reverse union-find)."""
    return lcc_curves(adj, [w], order)[0]


def lcc_curves(adj: Adj, weights: Sequence[Floats], order: Sequence[int]) -> list[np.ndarray]:
    """lcc_curve for several weightings in one reverse union-find pass (harm and people together).

    People are put back in reverse order (the never-removed first), each joined to the neighbours
    already back; the union-find (path halving, lower root wins) runs compiled (`kernels`), as
    every person and link is visited for every curve in the comparison.
    """
    first = np.asarray(order, np.int64).reshape(-1)
    listed = np.zeros(len(adj), bool)
    listed[first] = True
    seq = np.concatenate([first, np.flatnonzero(~listed)])  # never removed (e.g. not removable): there throughout
    wts = np.asarray([np.asarray(w, np.float64).reshape(-1) for w in weights]).reshape(len(weights), len(adj))
    indptr, indices = kernels.csr(adj)
    curves = kernels.lcc_curves(indptr, indices, wts, seq, len(order))
    return list(curves)


def first_below(lcc: np.ndarray, threshold: float) -> int:
    """People removed before the heaviest component is at most `threshold` (all of them if never)."""
    ok = lcc <= threshold + 1e-12 * max(1.0, threshold)
    return int(np.argmax(ok)) if ok.any() else len(lcc) - 1


# ----------------------------------------------------------------- baselines
def degree_order(adj: Adj, w: Floats, removable: Bools | None = None) -> list[int]:
    """Adaptive degree: always remove the removable person with most remaining links (lazy heap).

    Ties go to the heavier person, then the lower id; compiled (`kernels.degree_order`)."""
    n = len(adj)
    if not n:
        return []
    indptr, indices = kernels.csr(adj)
    return kernels.degree_order(indptr, indices, np.asarray(w, np.float64).reshape(-1),
                                np.asarray(_mask(removable, n), np.bool_)).tolist()


def targeted_degree(g: ig.Graph, w: Floats, cap: float, refresh: int = 100,
                    removable: Bools | None = None) -> list[int]:
    """Harm-targeted adaptive degree: only people in a component still over the cap are candidates.

    Plain adaptive degree spends removals on hubs of components that already
    hold little harm; here the components are recomputed (compiled union-find) every
    `refresh` removals (every removal while fewer than 100 people are
    candidates) and only those over the cap are attacked. On the
    synthetic force, after reinsertion, it needs ~1.5% fewer people than plain
    adaptive degree and ~10% fewer than CoreHD, in about half a second for 144,000 people
    (benchmarks/RESULTS.md, wmp comparison).
    """
    adj = adjacency(g)
    n = len(adj)
    wv = np.asarray(w, float)
    can = np.asarray(_mask(removable, n), bool)
    alive = np.ones(n, bool)
    in_pool = np.ones(n, bool)
    deg = [len(a) for a in adj]
    wl = wv.tolist()
    order: list[int] = []
    # One lazy heap for the whole run: each removable person's latest entry holds their current degree
    # (older entries are skipped), and people whose component fell under the cap are skipped, so each
    # pop is exactly what a heap rebuilt from the current pool would give.
    heap = [(-deg[v], -wl[v], v) for v in np.flatnonzero(can).tolist()]
    heapq.heapify(heap)
    pool = np.arange(n)  # whole components still over the cap (removals only split them)
    # The links among the pool, as two endpoint arrays filtered as people are removed or leave the
    # pool: each refresh costs the links still in play, never a slice of a shrinking matrix.
    el = edge_array(g)
    a, b = el[:, 0], el[:, 1]
    parent, label = np.empty(n, np.int64), np.empty(n, np.int64)  # scratch for the compiled components
    while True:
        ids = pool[alive[pool]]
        live = alive[a] & alive[b]
        a, b = a[live], b[live]
        memb = kernels.link_labels(a, b, ids, parent, label)
        over = np.bincount(memb, weights=wv[ids]) > cap
        if not over.any():
            return order
        inside = over[memb]
        in_pool[ids[~inside]] = False
        pool = ids[inside]
        stay = in_pool[a]  # a link's two ends are in the same component, so one end decides
        a, b = a[stay], b[stay]
        n_cand = int(can[pool].sum())
        if not n_cand:
            return order  # only non-removable people left in the sets over the cap
        batch = max(1, min(refresh, n_cand // 100))  # exact (1) on small sets, batched on large
        taken = 0
        while heap and taken < batch:
            d, _, v = heapq.heappop(heap)
            if not alive[v] or -d != deg[v] or not in_pool[v]:
                continue
            alive[v] = False
            order.append(v)
            taken += 1
            for u in adj[v]:
                if alive[u]:
                    deg[u] -= 1
                    if can[u]:
                        heapq.heappush(heap, (-deg[u], -wl[u], u))


def betweenness_set(g: ig.Graph, w: Floats, cap: float, max_work: float,
                    removable: Bools | None = None) -> list[int] | None:
    """Adaptive betweenness on the heaviest component until it is <= cap.

    Returns None when the estimated work (sum of n*(n+m) of the components
    scored) would pass `max_work`: a deterministic budget, so reruns agree.
    """
    wt = np.asarray(w, float)
    can = np.asarray(_mask(removable, g.vcount()), bool)
    alive = np.ones(g.vcount(), bool)
    removed: list[int] = []
    work = 0.0
    while True:
        ids = np.flatnonzero(alive)
        if len(ids) == 0:
            return removed
        sub = g.induced_subgraph(ids.tolist())
        memb = membership(sub)
        cw = np.bincount(memb, weights=wt[ids])
        top = int(np.argmax(cw))
        if cw[top] <= cap + 1e-12 * max(1.0, cap):
            return removed
        local = np.flatnonzero(memb == top)
        comp = sub.induced_subgraph(local.tolist())
        work += comp.vcount() * (comp.vcount() + comp.ecount())
        if work > max_work:
            return None
        bc = np.round(np.asarray(comp.betweenness(directed=False), float), 9)
        glob = ids[local]
        pool = [i for i in range(len(glob)) if can[glob[i]]]
        if not pool:
            return removed
        best = min(pool, key=lambda i: (-bc[i], -wt[glob[i]], glob[i]))
        alive[glob[best]] = False
        removed.append(int(glob[best]))


def _base_set(method: str, g: ig.Graph, adj: Adj, wt: list[float], cap: float, seed: int, max_work: float,
              can: list[bool]) -> list[int] | None:
    """One method's dismantling set before reinsertion (None: over the betweenness work budget)."""
    caps = [cap] * len(adj)
    if method == "corehd":
        return corehd(adj, wt, caps, can)
    if method == "betweenness":
        return betweenness_set(g, wt, cap, max_work, can)
    if method == "gnd":
        from .gnd import gnd_set  # gnd builds on this module's helpers
        return gnd_set(g, wt, cap, can) if runs_on(method, len(adj)) else None
    if method == "sampled":
        from .sampled_betweenness import sampled_betweenness_set  # it builds on this module's helpers
        return sampled_betweenness_set(g, wt, cap, can) if runs_on(method, len(adj)) else None
    if method == "targeted":
        return targeted_degree(g, wt, cap, removable=can)
    if method == "degree":
        full = degree_order(adj, wt, can)
    elif method == "random":
        pool = np.flatnonzero(np.asarray(can, bool))
        full = pool[np.random.default_rng(seed).permutation(len(pool))].tolist()
    else:
        raise ValueError(f"unknown dismantling method {method!r}")
    return full[:first_below(lcc_curve(adj, wt, full), cap)]


def compare(g: ig.Graph, harm: Floats, seed: int, max_work: float = 3e8, share: float = DEFAULT_SHARE,
            objectives: Sequence[str] = ("harm", "people"),
            methods: Sequence[str] = tuple(METHODS),
            timed: bool = False, removable: Bools | None = None,
            sets_out: dict[str, list[int]] | None = None) -> pd.DataFrame:
    """Every method x objective x reinsertion on the same network (the comparison table).

    Each method removes removable people until the heaviest component is <=
    the target (share of the total harm or people, or the floor of
    non-removable people when that is higher: column `target_share`);
    reinsertion then puts back whoever it can. R is the robustness
    (Schneider et al. 2011): the mean, over q = 1..N people removed (the set,
    then everyone else by weight), of the heaviest component's share; lower is
    better. `largest_left_share` is the share of harm in the heaviest set left
    after removing the set. Seconds only when timed=True, so the exported
    table stays byte-identical across runs. With `sets_out`, the reinserted
    set of each method on the first objective is stored there (so the kept
    order is chosen from them, not computed again: `best_of`).
    """
    adj = adjacency(g)
    n = len(adj)
    can = _mask(removable, n)
    harm = [float(x) for x in harm]
    ones = [1.0] * n
    H, rows = sum(harm), []
    for objective in objectives:
        wt = harm if objective == "harm" else ones
        W = sum(wt)
        cap = effective_cap(adj, wt, share * W, can)
        caps = [cap] * n

        def rows_of(method: str, wt: list[float] = wt, W: float = W, cap: float = cap,
                    caps: list[float] = caps, objective: str = objective) -> tuple[list[dict], list[int] | None]:
            """One method's two rows (without / with reinsertion) and its reinserted set."""
            _announce(method, n, objective)
            t0 = time.perf_counter()
            base = _base_set(method, g, adj, wt, cap, seed, max_work, can)
            t_method = time.perf_counter() - t0
            out, kept = [], None
            for reinsertion in (False, True):
                row = dict(objective=objective, method=method, reinsertion=reinsertion,
                           target_share=float(cap / W) if W > 0 else float("nan"))
                if base is None:
                    out.append(row | dict(finished=False))
                    continue
                t1 = time.perf_counter()
                dset = reinsert(adj, wt, caps, base)[0] if reinsertion else list(base)
                secs = t_method + time.perf_counter() - t1
                if reinsertion:
                    kept = dset
                order = complete_order(dset, wt)
                ch, cp = lcc_curves(adj, [harm, ones], order)
                row |= dict(
                    finished=True, n_removed=len(dset),
                    R_harm=float(ch[1:].sum() / (n * H)) if H > 0 else float("nan"),
                    R_people=float(cp[1:].sum() / (n * n)) if n else float("nan"),
                    removed_to_1pct_people=first_below(cp, share * n),
                    removed_to_1pct_harm=first_below(ch, share * H),
                    harm_share_removed=float(sum(harm[v] for v in dset) / H) if H > 0 else float("nan"),
                    largest_left_share=float(ch[len(dset)] / H) if H > 0 else float("nan"),
                )
                if timed:
                    row["seconds"] = secs
                out.append(row)
            return out, kept

        # the methods do not depend on each other: side by side on the cores (helpers.workers), same rows
        done = workers.run_all([functools.partial(rows_of, m) for m in methods])
        for method, (method_rows, kept) in zip(methods, done, strict=True):
            rows.extend(method_rows)
            if sets_out is not None and kept is not None and objective == objectives[0]:
                sets_out[method] = kept
    return pd.DataFrame(rows)


def dismantle(g: ig.Graph, harm: Floats, cap: Floats,
              removable: Bools | None = None) -> list[int]:
    """Harm-weighted CoreHD + reinsertion with a cap per vertex; vertex ids, first = most effective."""
    adj = adjacency(g)
    w = [float(x) for x in harm]
    caps = [float(c) for c in cap]
    can = _mask(removable, len(adj))
    return reinsert(adj, w, caps, corehd(adj, w, caps, can))[0]


def dismantle_network(g: ig.Graph, harm: Floats, share: float = DEFAULT_SHARE, only: str | None = None,
                      removable: Bools | None = None) -> tuple[list[int], str]:
    """The whole-network order: the smallest of the candidates' reinserted sets (ties: lower R).

    Harm-weighted CoreHD + reinsertion is the published method; adaptive
    degree + reinsertion wins on networks whose links come from a few large
    intelligence logs (hubs); attacking only the components still over the
    harm cap (harm-targeted degree) does better still; path-based GND (spectral
    cuts covered by removals, `helpers.gnd`) wins on sparse, grid-like networks
    where no hub exists (ADR 0012) and runs up to GND_MAX_PEOPLE; sampled adaptive
    betweenness (`helpers.sampled_betweenness`, up to SAMPLED_MAX_PEOPLE) matches
    full adaptive betweenness on intelligence-report networks (BFP-like). Running the
    degree-based three costs about seven seconds on 140,000 people and removes
    the guesswork; the method used is reported. Only `removable` people are ever in the set, and the
    target is `effective_cap`.
    `only` (a method name as returned) runs that method alone, e.g. to
    repeat the base run's choice on perturbed networks.
    """
    adj = adjacency(g)
    w = [float(x) for x in harm]
    can = _mask(removable, len(adj))
    cap = effective_cap(adj, w, share * sum(w), can)
    caps = [cap] * len(w)
    cands = {}
    for code in CANDIDATES:
        if only is not None and METHODS[code].order_name != only:
            continue
        _announce(code, len(adj), "with reinsertion")
        base = _base_set(code, g, adj, w, cap, 0, 0.0, can)
        if base is not None:  # None: the method does not run on a network this size (runs_on)
            cands[code] = reinsert(adj, w, caps, base)[0]
    if not cands:
        raise ValueError(f"unknown dismantling method {only!r}")
    return best_of(adj, w, cands)


def best_of(adj: Adj, w: Floats, sets: dict[str, list[int]]) -> tuple[list[int], str]:
    """The smallest of the candidate sets (keys: method codes of CANDIDATES), ties by lower R, then name."""
    cands = {METHODS[m].order_name: d for m, d in sets.items() if m in CANDIDATES}
    fewest = min((len(d) for d in cands.values()), default=0)
    cands = {name: d for name, d in cands.items() if len(d) == fewest}  # R is needed only to break a tie
    if len(cands) == 1:
        return next(iter(cands.values())), next(iter(cands))

    def key(item):
        name, d = item
        return (len(d), float(lcc_curve(adj, w, complete_order(d, w))[1:].sum()), name)
    name, best = min(cands.items(), key=key)
    return best, name


def curve_points(g: ig.Graph, harm: Floats, orders: dict[str, Sequence[int]], max_points: int = 200,
                 x_max: int | None = None) -> pd.DataFrame:
    """Tidy dismantling curves: share of harm left in the heaviest connected set vs people removed.

    `orders` maps a strategy name to its removal order (a dismantling set is
    completed with everyone else by harm, as in `compare`). Each curve is
    sampled at the same <= max_points values of n_removed, 0..x_max, where
    x_max defaults to twice the fewest people any strategy needs to bring the
    share to 1%, so the best strategies are readable and figures stay light.
    Columns: strategy, n_removed, remaining_share.
    """
    adj = adjacency(g)
    w = [float(x) for x in harm]
    total = sum(w)
    curves = {}
    for name, order in orders.items():
        lcc = lcc_curve(adj, w, complete_order(order, w))
        curves[name] = lcc / total if total > 0 else lcc * 0.0
    n = len(adj)
    if x_max is None:
        need = min((first_below(c, DEFAULT_SHARE) for c in curves.values()), default=0)
        x_max = min(n, max(1, 2 * need))
    xs = np.unique(np.round(np.linspace(0, x_max, max(2, max_points))).astype(int))
    rows = [pd.DataFrame({"strategy": name, "n_removed": xs, "remaining_share": np.round(c[xs], 6)})
            for name, c in curves.items()]
    return pd.concat(rows, ignore_index=True) if rows else \
        pd.DataFrame(columns=["strategy", "n_removed", "remaining_share"])


def baseline_orders(g: ig.Graph, harm: Floats, seed: int) -> dict[str, list[int]]:
    """Harm-blind full orders for the curve figure: adaptive degree and a seeded random order."""
    adj = adjacency(g)
    w = [float(x) for x in harm]
    return {METHODS["degree"].label: degree_order(adj, w),
            METHODS["random"].label: np.random.default_rng(seed).permutation(len(adj)).tolist()}
