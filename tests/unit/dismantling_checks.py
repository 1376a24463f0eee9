"""Checks shared by the dismantling candidates' tests (GND, sampled betweenness)."""
from __future__ import annotations

import igraph as ig

from helpers import dismantle as dm


def over_cap_breakable(g: ig.Graph, w: list[float], cap: float, can: list[bool], removed: list[int]) -> bool:
    """True if, after removing `removed`, some component over the cap still has a removable vertex."""
    alive = [True] * g.vcount()
    for v in removed:
        alive[v] = False
    for comp in dm._components(g.get_adjlist(), alive):
        if sum(w[v] for v in comp) > cap + 1e-9 and any(can[v] for v in comp):
            return True
    return False
