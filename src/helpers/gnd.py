"""Generalized Network Dismantling (GND): spectral bisection + vertex cover of the cut, repeated.

Ren, Gleinig, Helbing & Antulov-Fantulin 2019, "Generalized network
dismantling", PNAS 116:6554. The heaviest component over the cap is split in
two along its Fiedler vector (the eigenvector of the second smallest
eigenvalue of the graph Laplacian), the cut edges are covered by removable
people, those people are removed, and the pieces still over the cap go back
on a heap. With unit removal cost the paper's node-cost Laplacian
L_W = D_B - B, B = AW + WA - A, is the plain Laplacian, which is used here.

This is a path-based candidate next to the degree-based ones of
`helpers.dismantle`, with the same contract as `dismantle.corehd`: the set it
returns (removal order) is meant to be followed by `dismantle.reinsert`.

Determinism: the eigenvector comes from a block-size-one LOBPCG (Knyazev
2001) written here with numpy's pairwise sums instead of BLAS dot products,
started from a deterministic vector, so the result does not depend on the
number of BLAS threads; its entries are rounded before sorting, its sign is
fixed and ties go to the lower vertex id.
"""
from __future__ import annotations

import heapq

import igraph as ig
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, shortest_path

from helpers import dismantle

Floats = dismantle.Floats
Bools = dismantle.Bools

MAXITER = 100  # LOBPCG iterations per bisection (40: power-grid-like 127 after reinsertion, 100: 121)
BIG = 10_000  # above this size the iterations shrink in proportion (>= 20), keeping the force's run in seconds
TOL = 1e-6  # relative residual at which the eigenvector is taken as converged
GOLDEN = 0.7548776662466927  # plastic-number phase: a deterministic, non-smooth tie-breaking perturbation


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Inner product by numpy's pairwise sum (BLAS ddot may thread and reorder the sum)."""
    return float(np.multiply(a, b).sum())


def _perp(z: np.ndarray, v: np.ndarray) -> np.ndarray:
    """v without its component along the unit vector z (the Laplacian's null vector)."""
    return v - _dot(z, v) * z


def _fiedler(lap: sp.csr_matrix, x0: np.ndarray, maxiter: float, z: np.ndarray) -> np.ndarray:
    """Approximate Fiedler vector of a connected component's Laplacian (mean zero, unit norm).

    Block-size-one LOBPCG (Knyazev 2001) on the complement of the constant
    vector, Jacobi-preconditioned, from x0; `maxiter` bounds the work.
    """
    inv_d = 1.0 / lap.diagonal()
    x = _perp(z, x0)
    x = x / np.sqrt(_dot(x, x))
    lx = lap @ x
    lam = _dot(x, lx)
    p = lp = None
    for _ in range(int(maxiter)):
        r = lx - lam * x
        if np.sqrt(_dot(r, r)) <= TOL * max(lam, 1e-12):
            break
        w = _perp(z, r * inv_d)
        q, lq = [x], [lx]
        for v, lv in ((w, None), (p, lp)):  # Gram-Schmidt against the basis so far, dropping dependent directions
            if v is None:
                continue
            coef = [_dot(u, v) for u in q]
            v = v - sum(c * u for c, u in zip(coef, q, strict=True))
            nv = np.sqrt(_dot(v, v))
            if nv <= 1e-10:
                continue
            lv = lap @ v if lv is None else lv - sum(c * u for c, u in zip(coef, lq, strict=True))
            q.append(v / nv)
            lq.append(lv / nv)
        h = np.array([[_dot(a, b) for b in lq] for a in q])
        vals, vecs = np.linalg.eigh((h + h.T) / 2)
        c = vecs[:, 0]
        new = sum(ci * u for ci, u in zip(c, q, strict=True))
        new_l = sum(ci * u for ci, u in zip(c, lq, strict=True))
        p, lp = new - c[0] * x, new_l - c[0] * lx
        x, lx, lam = new, new_l, float(vals[0])
    return x


def _split(x: np.ndarray, w: np.ndarray, rows: np.ndarray, cols: np.ndarray, cap: float) -> np.ndarray:
    """Left side (True) of the best sweep cut along the Fiedler vector x.

    Vertices are sorted by x (rounded to 9 digits, sign fixed so the lowest
    id is not negative, ties by id); the split point minimises a bound on the
    cover needed, min(left vertices with a neighbour on the right, right
    vertices with one on the left), per unit of progress: the weight of the
    lighter side, or the excess weight - cap when that is smaller (a split
    that brings both sides under the cap counts as finished). Measured on the
    generated graphs of benchmarks/dismantle_public.py (40 iterations, after
    reinsertion): sign, median and harm-median splits needed 1-12% more people,
    counting cut edges instead of the bound 1-2% more.
    """
    k = len(x)
    xr = np.round(x / np.abs(x).max(), 9)
    if xr[0] < 0:
        xr = -xr
    order = np.lexsort((np.arange(k), xr))
    pos = np.empty(k, int)
    pos[order] = np.arange(k)
    cw = np.cumsum(w[order])
    ends = np.r_[rows, cols]
    other = pos[np.r_[cols, rows]]
    big = np.full(k, -1)
    np.maximum.at(big, ends, other)  # furthest neighbour in the order
    small = np.full(k, k)
    np.minimum.at(small, ends, other)  # nearest-to-start neighbour
    a, b = big > pos, small < pos
    left = np.cumsum(np.bincount(pos[a] + 1, minlength=k + 1) - np.bincount(big[a] + 1, minlength=k + 1))
    right = np.cumsum(np.bincount(small[b] + 1, minlength=k + 1) - np.bincount(pos[b] + 1, minlength=k + 1))
    cost = np.minimum(left, right)[1:k]  # at index s-1: the first s vertices go left
    gain = np.minimum(np.minimum(cw[:-1], cw[-1] - cw[:-1]), max(cw[-1] - cap, 1e-9))
    return pos < int(np.argmin(cost / np.maximum(gain, 1e-12))) + 1


def _greedy_cover(eu: np.ndarray, ev: np.ndarray, can: np.ndarray, rank: np.ndarray) -> list[int]:
    """Vertex cover of the cut edges by removable vertices: forced ends first, then most edges covered.

    An edge with one removable end can only be covered by it; an edge with no
    removable end is ignored (children only: it cannot be cut). The rest is
    the greedy set-cover rule with unit cost (most uncovered edges; ties: by
    `rank`, i.e. higher degree in the component, then the heavier side, then
    lower id; the heavier side first instead cost 6% more on the BFP-like graph).
    """
    ok = can[eu] | can[ev]
    eu, ev = eu[ok], ev[ok]
    forced = np.unique(np.concatenate([eu[~can[ev]], ev[~can[eu]]]))
    cover = forced.tolist()
    taken = np.zeros(len(can), bool)
    taken[forced] = True
    keep = ~(taken[eu] | taken[ev])
    eu, ev = eu[keep], ev[keep]
    if len(eu) == 0:
        return cover
    nbr: dict[int, list[int]] = {}
    for e, (a, b) in enumerate(zip(eu.tolist(), ev.tolist(), strict=True)):
        nbr.setdefault(a, []).append(e)
        nbr.setdefault(b, []).append(e)
    left = {v: len(es) for v, es in nbr.items()}
    done = np.zeros(len(eu), bool)
    heap = [(-c, int(rank[v]), v) for v, c in left.items()]
    heapq.heapify(heap)
    while heap:
        c, _, v = heapq.heappop(heap)
        if -c != left[v]:
            if left[v] > 0:
                heapq.heappush(heap, (-left[v], int(rank[v]), v))
            continue
        if left[v] == 0:
            continue
        cover.append(v)
        for e in nbr[v]:
            if not done[e]:
                done[e] = True
                for u in (int(eu[e]), int(ev[e])):
                    left[u] -= 1
    return cover


def _separator(sub: sp.csr_matrix, w: np.ndarray, can: np.ndarray, cap: float) -> list[int]:
    """Local ids to remove from one connected component over the cap (never empty when any is removable)."""
    k = sub.shape[0]
    m = sub.nnz // 2
    if m == k - 1 or k < 3:  # a tree: its harm-weighted centroid
        adj = [sub.indices[sub.indptr[i]:sub.indptr[i + 1]].tolist() for i in range(k)]
        return [dismantle._centroid(adj, w, [True] * k, list(range(k)), can)]
    deg = np.diff(sub.indptr)
    lap = sp.csr_matrix(sp.diags(deg.astype(float)) - sub)
    # Start: BFS distance from a far vertex (smooth, like the Fiedler vector of a long graph).
    far = int(np.argmax(shortest_path(sub, unweighted=True, indices=0)))
    x0 = shortest_path(sub, unweighted=True, indices=far) + 1e-3 * np.cos(np.arange(k) * GOLDEN)
    x = _fiedler(lap, x0, max(20, MAXITER * min(1, BIG / k)), np.full(k, 1 / np.sqrt(k)))
    coo = sub.tocoo()
    up = coo.row < coo.col
    rows, cols = coo.row[up], coo.col[up]
    side = _split(x, w, rows, cols, cap)
    crossing = side[rows] != side[cols]
    heavy = side == (w[side].sum() >= w[~side].sum())  # on the heavier side: taking it shrinks that side
    rank = np.empty(k, int)
    rank[np.lexsort((np.arange(k), ~heavy, -deg))] = np.arange(k)
    cover = _greedy_cover(rows[crossing], cols[crossing], can, rank)
    if not cover:  # the cut runs through non-removable people only
        pool = np.flatnonzero(can)
        cover = [int(pool[np.lexsort((pool, -deg[pool]))[0]])]
    return cover


def gnd_set(g: ig.Graph, w: Floats, cap: float, removable: Bools | None = None) -> list[int]:
    """GND dismantling set (vertex ids, removal order), before reinsertion.

    Repeatedly takes the heaviest component over the cap (ties: lowest id)
    and removes a vertex cover of its spectral bisection's cut, until every
    component over the cap has no removable person left (children only: the
    floor). Only removable people are removed.
    """
    n = g.vcount()
    wt = np.asarray(w, float)
    can = np.asarray(dismantle._mask(removable, n), bool)
    limit = cap + 1e-12 * max(1.0, abs(cap))
    el = dismantle.edge_array(g)
    el = el[el[:, 0] != el[:, 1]]
    adj = sp.coo_matrix((np.ones(2 * len(el)), (np.r_[el[:, 0], el[:, 1]], np.r_[el[:, 1], el[:, 0]])),
                        shape=(n, n)).tocsr()
    adj.data[:] = 1.0  # multi-edges count once
    heap: list[tuple[float, int, np.ndarray]] = []

    def push(ids: np.ndarray, sub: sp.csr_matrix) -> None:
        _, lab = connected_components(sub, directed=False)
        order = np.lexsort((ids, lab))
        bounds = np.flatnonzero(np.diff(lab[order])) + 1
        for part in np.split(ids[order], bounds):
            pw = float(wt[part].sum())
            if pw > limit and can[part].any():
                heapq.heappush(heap, (-pw, int(part[0]), part))

    push(np.arange(n), adj)
    removed: list[int] = []
    while heap:
        _, _, ids = heapq.heappop(heap)
        sub = adj[ids][:, ids]
        cut = np.asarray(_separator(sub, wt[ids], can[ids], cap), int)
        removed.extend(ids[cut].tolist())
        keep = np.ones(len(ids), bool)
        keep[cut] = False
        push(ids[keep], sub[keep][:, keep])
    return removed
