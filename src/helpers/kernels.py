"""Compiled inner loops of the dismantling (numba): union-find passes, components and CoreHD's
decycling over every person and link.

Each kernel is the plain-Python loop it replaces, statement for statement (same visiting order,
same float additions in the same order), so the tables stay byte-identical; numba compiles it once
and keeps the machine code beside this file (`cache=True`), so later runs load it in milliseconds.
Adjacency arrives as CSR arrays (`csr`): person v's neighbours are indices[indptr[v]:indptr[v + 1]],
in the order of the adjacency lists.
"""
from __future__ import annotations

import heapq
from collections.abc import Sequence
from itertools import chain

import numba
import numpy as np


def csr(adj: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Adjacency lists as CSR arrays (indptr, indices), neighbours kept in list order.

    The last few conversions are kept, keyed by the lists' identity (adjacency lists are never
    changed once built, see `dismantle.adjacency`): one run converts the same network's lists for
    every curve, reinsertion and CoreHD, which cost seconds each at national scale.
    """
    for held, arrays in _CSR:
        if held is adj:
            return arrays
    lens = np.fromiter((len(a) for a in adj), np.int64, len(adj))
    indptr = np.zeros(len(adj) + 1, np.int64)
    np.cumsum(lens, out=indptr[1:])
    indices = np.fromiter(chain.from_iterable(adj), np.int64, int(indptr[-1]))
    _CSR.insert(0, (adj, (indptr, indices)))
    del _CSR[_CSR_KEPT:]
    return indptr, indices


_CSR: list[tuple[Sequence[Sequence[int]], tuple[np.ndarray, np.ndarray]]] = []
_CSR_KEPT = 4


@numba.njit(cache=True)
def components(indptr: np.ndarray, indices: np.ndarray,
               alive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Connected components of the alive people, as `dismantle._components` lists them.

    Components start at the lowest unvisited person and grow breadth-first, neighbours in list
    order; returns (people in that order, start of each component in it, plus the end).
    """
    n = len(indptr) - 1
    seen = ~alive
    order = np.empty(n, np.int64)
    starts = np.empty(n + 1, np.int64)
    k = 0
    c = 0
    for s in range(n):
        if seen[s]:
            continue
        seen[s] = True
        starts[c] = k
        c += 1
        head = k
        order[k] = s
        k += 1
        while head < k:  # the list itself is the queue: breadth-first order is discovery order
            v = order[head]
            head += 1
            for j in range(indptr[v], indptr[v + 1]):
                u = indices[j]
                if not seen[u]:
                    seen[u] = True
                    order[k] = u
                    k += 1
    starts[c] = k
    return order[:k], starts[:c + 1]


@numba.njit(cache=True)
def component_weights(order: np.ndarray, starts: np.ndarray,
                      w: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """Each component's weight, added person by person in `components` order (as Python's sum)."""
    out = np.zeros(len(starts) - 1)
    for c in range(len(starts) - 1):
        t = 0.0
        for i in range(starts[c], starts[c + 1]):
            t += w[order[i]]
        out[c] = t
    return out


@numba.njit(cache=True)
def _core_score(deg: np.ndarray, w: np.ndarray, wbar: float,
                v: int | np.integer) -> float:  # pragma: no cover - compiled
    return deg[v] + 1e-6 * w[v] / (wbar * (1.0 + w[v] / wbar))


@numba.njit(cache=True)
def _peel(indptr: np.ndarray, indices: np.ndarray, in_core: np.ndarray, deg: np.ndarray,
          stack: list) -> None:  # pragma: no cover - compiled
    while len(stack):
        v = stack.pop()
        if not in_core[v]:
            continue
        in_core[v] = False
        for j in range(indptr[v], indptr[v + 1]):
            u = indices[j]
            if in_core[u]:
                deg[u] -= 1
                if deg[u] < 2:
                    stack.append(u)


@numba.njit(cache=True)
def _core_start(indptr: np.ndarray, indices: np.ndarray, w: np.ndarray,
                cap: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """Who is in play (people of components over their cap) and their degree among them."""
    n = len(w)
    order, starts = components(indptr, indices, np.ones(n, np.bool_))
    weights = component_weights(order, starts, w)
    cand = np.zeros(n, np.bool_)
    for c in range(len(starts) - 1):
        if weights[c] > cap[order[starts[c]]]:
            for i in range(starts[c], starts[c + 1]):
                cand[order[i]] = True
    deg = np.zeros(n, np.int64)
    for v in range(n):
        if cand[v]:
            d = 0
            for j in range(indptr[v], indptr[v + 1]):
                if cand[indices[j]]:
                    d += 1
            deg[v] = d
    return cand, deg


@numba.njit(cache=True)
def corehd_decycle(indptr: np.ndarray, indices: np.ndarray, w: np.ndarray, cap: np.ndarray, can: np.ndarray,
                   wbar: float) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled; via dismantle
    """Phase 1 of `dismantle.corehd` (see there): the people removed in order, and who is left."""
    n = len(w)
    in_core, deg = _core_start(indptr, indices, w, cap)
    alive = np.ones(n, np.bool_)
    stack = [np.int64(x) for x in range(0)]
    for v in range(n):
        if in_core[v] and deg[v] < 2:
            stack.append(np.int64(v))
    _peel(indptr, indices, in_core, deg, stack)
    heap = [(0.0, np.int64(0)) for _ in range(0)]
    for v in range(n):
        if in_core[v] and can[v]:
            heap.append((-_core_score(deg, w, wbar, v), np.int64(v)))
    heapq.heapify(heap)
    removed = np.empty(n, np.int64)
    k = 0
    while len(heap):
        s, top = heapq.heappop(heap)
        if not in_core[top] or -s != _core_score(deg, w, wbar, top):
            continue  # stale entry: degree changed since it was pushed
        in_core[top] = False
        alive[top] = False
        removed[k] = top
        k += 1
        for j in range(indptr[top], indptr[top + 1]):
            u = indices[j]
            if in_core[u]:
                deg[u] -= 1
                if deg[u] < 2:
                    stack.append(u)
                elif can[u]:
                    heapq.heappush(heap, (-_core_score(deg, w, wbar, u), u))
        _peel(indptr, indices, in_core, deg, stack)
    return removed[:k], alive


@numba.njit(cache=True)
def lcc_curves(indptr: np.ndarray, indices: np.ndarray, wts: np.ndarray, seq: np.ndarray,
               n: int) -> np.ndarray:  # pragma: no cover - compiled; tested through dismantle.lcc_curves
    """curves[i, q] = weight (weighting i) of the heaviest component once seq[:q] are removed, q <= n.

    Reverse union-find: people come back from seq[-1] to seq[0]; path halving, lower root wins.
    """
    k = wts.shape[0]
    wts = wts.copy()
    parent = np.arange(len(indptr) - 1)
    present = np.zeros(len(indptr) - 1, np.bool_)
    curves = np.zeros((k, n + 1))
    best = np.zeros(k)
    for q in range(len(seq) - 1, -1, -1):
        v = seq[q]
        present[v] = True
        for j in range(indptr[v], indptr[v + 1]):
            u = indices[j]
            if present[u]:
                ra = u
                while parent[ra] != ra:
                    parent[ra] = parent[parent[ra]]
                    ra = parent[ra]
                rb = v
                while parent[rb] != rb:
                    parent[rb] = parent[parent[rb]]
                    rb = parent[rb]
                if ra != rb:
                    if ra > rb:
                        ra, rb = rb, ra
                    parent[rb] = ra
                    for i in range(k):
                        wts[i, ra] += wts[i, rb]
        r = v
        while parent[r] != r:
            r = parent[r]
        for i in range(k):
            if wts[i, r] > best[i]:
                best[i] = wts[i, r]
            if q <= n:
                curves[i, q] = best[i]
    return curves


@numba.njit(cache=True)
def _find(parent: np.ndarray, v: int) -> int:  # pragma: no cover - compiled
    """Root of v, pointing every person on the way straight at it (full path compression)."""
    root = v
    while parent[root] != root:
        root = parent[root]
    while parent[v] != root:
        nxt = parent[v]
        parent[v] = root
        v = nxt
    return root


@numba.njit(cache=True)
def _union(parent: np.ndarray, weight: np.ndarray, a: int, b: int) -> None:  # pragma: no cover - compiled
    ra = _find(parent, a)
    rb = _find(parent, b)
    if ra != rb:
        if ra > rb:  # deterministic root choice: the lower
            ra, rb = rb, ra
        parent[rb] = ra
        weight[ra] += weight[rb]


@numba.njit(cache=True)
def _cost(indptr: np.ndarray, indices: np.ndarray, parent: np.ndarray, weight: np.ndarray, alive: np.ndarray,
          w: np.ndarray, v: int) -> float:  # pragma: no cover - compiled
    """w[v] + the weights of the distinct components v's live neighbours are in (summed by root, ascending)."""
    lo, hi = indptr[v], indptr[v + 1]
    roots = np.empty(hi - lo, np.int64)
    k = 0
    for j in range(lo, hi):
        u = indices[j]
        if alive[u]:
            roots[k] = _find(parent, u)
            k += 1
    roots = np.sort(roots[:k])
    total = 0.0
    for i in range(k):
        if i == 0 or roots[i] != roots[i - 1]:
            total += weight[roots[i]]
    return w[v] + total


@numba.njit(cache=True)
def reinsert(indptr: np.ndarray, indices: np.ndarray, w: np.ndarray, cap: np.ndarray,
             removed: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled; tested through dismantle.reinsert
    """The people `dismantle.reinsert` puts back, in the order it puts them back (see there)."""
    n = len(w)
    alive = np.ones(n, np.bool_)
    for v in removed:
        alive[v] = False
    parent = np.arange(n)
    weight = w.copy()
    for v in range(n):
        if alive[v]:
            for j in range(indptr[v], indptr[v + 1]):
                u = indices[j]
                if u > v and alive[u]:
                    _union(parent, weight, u, v)
    rank = np.empty(n, np.int64)
    for i in range(len(removed)):
        rank[removed[i]] = i
    heap = [(_cost(indptr, indices, parent, weight, alive, w, v), rank[v], v) for v in removed]
    heapq.heapify(heap)
    back = np.empty(len(removed), np.int64)
    nb = 0
    while len(heap):
        c, r, v = heapq.heappop(heap)
        now = _cost(indptr, indices, parent, weight, alive, w, v)
        if now > cap[v] + 1e-12 * max(1.0, abs(cap[v])):
            continue  # can never come back: its cost only grows
        if now > c + 1e-12 * max(1.0, abs(c)):
            heapq.heappush(heap, (now, r, v))  # stale: a neighbour's component grew
            continue
        alive[v] = True
        back[nb] = v
        nb += 1
        for j in range(indptr[v], indptr[v + 1]):
            u = indices[j]
            if alive[u]:
                _union(parent, weight, u, v)
    return back[:nb]


@numba.njit(cache=True)
def degree_order(indptr: np.ndarray, indices: np.ndarray, w: np.ndarray,
                 can: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled; tested through dismantle.degree_order
    """Adaptive degree (see `dismantle.degree_order`): lazy heap of (-degree, -weight, person)."""
    n = len(w)
    deg = np.empty(n, np.int64)
    for x in range(n):
        deg[x] = indptr[x + 1] - indptr[x]
    alive = np.ones(n, np.bool_)
    order = np.empty(n, np.int64)
    k = 0
    heap = [(np.int64(0), 0.0, np.int64(0)) for _ in range(0)]
    for x in range(n):
        if can[x]:
            heap.append((-deg[x], -w[x], np.int64(x)))
    heapq.heapify(heap)
    while len(heap):
        d, _, v = heapq.heappop(heap)
        if not alive[v] or -d != deg[v]:
            continue
        alive[v] = False
        order[k] = v
        k += 1
        for j in range(indptr[v], indptr[v + 1]):
            u = indices[j]
            if alive[u]:
                deg[u] -= 1
                if can[u]:
                    heapq.heappush(heap, (-deg[u], -w[u], u))
    return order[:k]


@numba.njit(cache=True)
def link_labels(a: np.ndarray, b: np.ndarray, ids: np.ndarray, parent: np.ndarray,
                label: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled; tested through targeted_degree
    """Connected-set label (0, 1, ... in order of first appearance) of each of `ids`, linked by (a[i], b[i]).

    Every a[i], b[i] must be among `ids`. `parent` and `label` are scratch space of the network's
    size (only the entries of `ids` are used), so a call costs the people and links in play.
    """
    for v in ids:
        parent[v] = v
        label[v] = -1
    for i in range(len(a)):
        ra = a[i]
        while parent[ra] != ra:
            parent[ra] = parent[parent[ra]]
            ra = parent[ra]
        rb = b[i]
        while parent[rb] != rb:
            parent[rb] = parent[parent[rb]]
            rb = parent[rb]
        if ra != rb:
            if ra > rb:
                ra, rb = rb, ra
            parent[rb] = ra
    out = np.empty(len(ids), np.int64)
    k = 0
    for j in range(len(ids)):
        r = ids[j]
        while parent[r] != r:
            r = parent[r]
        if label[r] < 0:
            label[r] = k
            k += 1
        out[j] = label[r]
    return out
