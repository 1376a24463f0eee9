"""GND dismantling (helpers.gnd) on graphs small enough to work out by hand, plus its contract."""
from __future__ import annotations

import igraph as ig
import numpy as np
from dismantling_checks import over_cap_breakable
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import dismantle as dm
from helpers import gnd


def _clique(vs: list[int]) -> list[tuple[int, int]]:
    return [(a, b) for i, a in enumerate(vs) for b in vs[i + 1:]]


def test_two_cliques_bridge():
    # Cliques 0-4 and 6-10; the bridge 5 links to 3, 4 and to 6, 7. Cap 5 of 11 people.
    # Any balanced sweep cut along the Fiedler vector (A | 5 + B or A + 5 | B) has its cut
    # edges all at 5, which covers two of them where 3, 4, 6, 7 cover one: removing 5 leaves 5 | 5.
    g = ig.Graph(n=11, edges=_clique([0, 1, 2, 3, 4]) + _clique([6, 7, 8, 9, 10]) + [(3, 5), (4, 5), (5, 6), (5, 7)])
    assert gnd.gnd_set(g, [1.0] * 11, 5.0) == [5]


def test_path_uses_centroids():
    # Path 0-1-...-6 is a tree: its centroid 3 leaves 0-1-2 and 4-5-6 (3 people each).
    g = ig.Graph(n=7, edges=[(i, i + 1) for i in range(6)])
    assert gnd.gnd_set(g, [1.0] * 7, 3.0) == [3]
    # Cap 2: then the centroids of both halves, 1 and 5 (heaviest first, ties: lower id). The
    # optimum is 2 people ({2, 5}); reinsertion cannot repair it (putting 1 back joins 0-1-2).
    got = gnd.gnd_set(g, [1.0] * 7, 2.0)
    assert got == [3, 1, 5]
    adj = g.get_adjlist()
    assert dm.reinsert(adj, [1.0] * 7, [2.0] * 7, got)[0] == [3, 1, 5]


def test_star_with_non_removable_centre():
    # Centre 0 cannot be removed: leaves go one at a time (the best the mask allows) until the
    # star holds 3 people: 4 leaves, lower ids first among equals.
    g = ig.Graph(n=7, edges=[(0, i) for i in range(1, 7)])
    can = [False] + [True] * 6
    assert gnd.gnd_set(g, [1.0] * 7, 3.0, can) == [1, 2, 3, 4]


def test_children_only_component_is_left():
    # Triangle of non-removable people over the cap (the floor) and a removable path 3-4-5-6.
    g = ig.Graph(n=7, edges=[(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (5, 6)])
    can = [False, False, False, True, True, True, True]
    assert gnd.gnd_set(g, [1.0] * 7, 2.0, can) == [4]  # centroid of the path (ties: lower id)


def test_harm_weights_move_the_cut():
    # Path 0-...-4 with harm on 4 only: removing the harm centroid 4 leaves 0-1-2-3 with harm 1 <= cap.
    g = ig.Graph(n=5, edges=[(i, i + 1) for i in range(4)])
    assert gnd.gnd_set(g, [0.0, 0.0, 0.0, 1.0, 5.0], 1.0) == [4]


def test_deterministic_and_under_cap_on_a_random_graph():
    rng = np.random.default_rng(3)
    g = ig.Graph.Erdos_Renyi(n=400, m=700)  # igraph's own RNG: the graph varies, the check does not
    w = rng.integers(0, 4, g.vcount()).astype(float).tolist()
    cap = 0.02 * sum(w)
    a, b = gnd.gnd_set(g, w, cap), gnd.gnd_set(g, w, cap)
    assert a == b
    assert len(set(a)) == len(a)
    assert not over_cap_breakable(g, w, cap, [True] * g.vcount(), a)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 60), st.data())
def test_only_removable_and_nothing_breakable_left(n, data):
    m = data.draw(st.integers(0, 3 * n))
    pairs = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=m, max_size=m))
    g = ig.Graph(n=n, edges=[(a, b) for a, b in pairs if a != b])
    can = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    w = data.draw(st.lists(st.sampled_from([0.0, 1.0, 2.5]), min_size=n, max_size=n))
    cap = data.draw(st.sampled_from([0.0, 1.0, 3.0, 10.0]))
    got = gnd.gnd_set(g, w, cap, can)
    assert len(set(got)) == len(got)
    assert all(can[v] for v in got)
    assert not over_cap_breakable(g, w, cap, can, got)
