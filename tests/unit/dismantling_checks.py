"""Checks shared by the dismantling candidates' tests (GND, sampled betweenness)."""
from __future__ import annotations

import igraph as ig


def over_cap_breakable(g: ig.Graph, w: list[float], cap: float, can: list[bool], removed: list[int]) -> bool:
    """True if, after removing `removed`, some component over the cap still has a removable vertex."""
    gone = set(removed)
    left = [v for v in range(g.vcount()) if v not in gone]
    for comp in g.induced_subgraph(left).connected_components():  # igraph's, not the code under test
        people = [left[i] for i in comp]
        if sum(w[v] for v in people) > cap + 1e-9 and any(can[v] for v in people):
            return True
    return False
