"""Who to disrupt: whole-network and within-group dismantling orders, with children never targets.

`child_now` marks people who are children at `as_of`; they are not
removable in any dismantling (adults are removed to break the network around
them), never get a `dismantle_rank` or `group_dismantle_rank`, and the cost
of that constraint is measured against the same method run without it.
"""
from __future__ import annotations

import igraph as ig
import numpy as np
import pandas as pd

from .. import dismantle as dm
from .. import workers
from .graph import Network

DISMANTLE_SHARE = dm.DEFAULT_SHARE   # target: heaviest remaining component <= 1% of harm (one home: dismantle)


def dismantle_ranks(net: Network, membership: pd.DataFrame, harm: np.ndarray, removable: np.ndarray,
                    share: float = DISMANTLE_SHARE, chosen: tuple[list[int], str] | None = None,
                    only: str | None = None, whole_only: bool = False) -> tuple[pd.DataFrame, dict]:
    """Whole-network and within-group dismantling ranks (NA = not needed, or not removable).

    Whole network: the heaviest remaining component must hold <= share of all
    harm (or the floor of non-removable people). Per group: the same on the
    group alone (links to other people dropped) with share of the group's harm
    as its cap. Returns the ranks and facts: method, sizes with and without
    the constraint, harm share left in the heaviest set with and without.
    `chosen` (order, method name) is a set already computed (by the
    comparison); `only` repeats one method; `whole_only` (stability
    scenarios) skips the unconstrained run and the group orders.
    """
    g = net.graph
    n = len(harm)
    order, method = chosen if chosen is not None else \
        dm.dismantle_network(g, harm, share, only=only, removable=removable)
    rank = pd.array([pd.NA] * n, dtype="Int64")
    rank[np.asarray(order, int)] = np.arange(1, len(order) + 1)
    if whole_only:
        return net.frame().assign(dismantle_rank=rank), {"dismantle_method": method}
    # the unconstrained comparison and the group orders do not depend on each other (helpers.workers)
    (free, _), grank = workers.run_all([lambda: dm.dismantle_network(g, harm, share, only=method),
                                        lambda: _group_ranks(g, membership, harm, removable, share)])
    total = float(harm.sum())
    adj = dm.adjacency(g)
    if len(free) > len(order) and dm.effective_cap(adj, harm, share * total, removable) <= share * total:
        free = list(order)  # a heuristic can do worse unconstrained; the constrained set meets the same target
    left = lambda o: float(dm.lcc_curve(adj, harm, list(o))[-1] / total) if total > 0 else float("nan")  # noqa
    facts = {"dismantle_method": method, "n_dismantle": len(order), "n_dismantle_unconstrained": len(free),
             "n_children_in_unconstrained_set": int((~removable[np.asarray(free, int)]).sum()) if free else 0,
             "n_children_not_removable": int((~removable).sum()),
             "harm_share_left": left(order), "harm_share_left_unconstrained": left(free),
             "dismantle_target_share": float(dm.effective_cap(adj, harm, share * total, removable) / total)
             if total > 0 else float("nan")}
    return net.frame().assign(dismantle_rank=rank, group_dismantle_rank=grank), facts


def _group_ranks(g: ig.Graph, membership: pd.DataFrame, harm: np.ndarray, removable: np.ndarray,
                 share: float) -> pd.arrays.IntegerArray:
    """Within-group order: each group on its own links, cap = max(share of its harm, its floor)."""
    n = len(harm)
    gid = membership["group_id"].to_numpy(object)
    grouped = pd.notna(gid)
    gcode = np.full(n, -1)
    gcode[grouped] = pd.factorize(gid[grouped])[0]
    grank = pd.array([pd.NA] * n, dtype="Int64")
    if not grouped.any() or g.ecount() == 0:
        return grank
    el = dm.edge_array(g)
    inner_e = el[(gcode[el[:, 0]] == gcode[el[:, 1]]) & (gcode[el[:, 0]] >= 0)]
    inner = ig.Graph(n=n, edges=inner_e.tolist(), directed=False)
    k = int(gcode.max()) + 1
    gsum = np.bincount(gcode[grouped], weights=harm[grouped], minlength=k)
    fixed = ~removable
    fe = inner_e[fixed[inner_e[:, 0]] & fixed[inner_e[:, 1]]]
    fm = dm.membership(ig.Graph(n=n, edges=fe.tolist()))
    fw = np.bincount(fm[fixed], weights=harm[fixed], minlength=int(fm.max()) + 1 if n else 0)
    floor = np.zeros(k)
    fv = np.flatnonzero(fixed & grouped)
    np.maximum.at(floor, gcode[fv], fw[fm[fv]])
    cap = np.where(grouped, np.maximum(share * gsum[np.maximum(gcode, 0)], floor[np.maximum(gcode, 0)]), np.inf)
    gorder = dm.dismantle(inner, harm, cap.tolist(), removable.tolist())
    if gorder:
        go = pd.DataFrame({"v": gorder, "g": gcode[gorder]})
        grank[go["v"].to_numpy()] = go.groupby("g").cumcount().to_numpy() + 1
    return grank
