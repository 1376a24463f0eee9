"""Sampled adaptive betweenness (helpers.sampled_betweenness) on graphs worked out by hand, plus its contract."""
from __future__ import annotations

import igraph as ig
import numpy as np
from dismantling_checks import over_cap_breakable
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import dismantle as dm
from helpers import sampled_betweenness as sb


def _clique(vs: list[int]) -> list[tuple[int, int]]:
    return [(a, b) for i, a in enumerate(vs) for b in vs[i + 1:]]


def _bridged_cliques() -> ig.Graph:
    # Cliques 0-4 and 6-10; the bridge 5 links to 3, 4 and to 6, 7.
    return ig.Graph(n=11, edges=_clique([0, 1, 2, 3, 4]) + _clique([6, 7, 8, 9, 10]) + [(3, 5), (4, 5), (5, 6), (5, 7)])


def test_bridge_goes_first():
    # 11 people <= SOURCES: exact betweenness. All 25 paths between the cliques pass through 5
    # (betweenness 25); 3 carries half of the 18 paths from 0, 1, 2 to 5 and beyond (9). Removing 5
    # leaves 5 | 5 under the cap of 5.
    assert sb.sampled_betweenness_set(_bridged_cliques(), [1.0] * 11, 5.0) == [5]


def test_a_child_bridge_is_never_taken():
    # 5 is a child. First 3 or 4 (betweenness 9 each; tie: lower id) -> 3. Then 4 carries all 18
    # paths from 0, 1, 2 to 5..10, more than 6 or 7 (7.5 each) -> 4, leaving {0, 1, 2} and
    # {5, ..., 10} (6 > 5). There 6 and 7 each carry half of the paths 5-8, 5-9, 5-10 (1.5) -> 6,
    # leaving {5, 7, 8, 9, 10}. Three is the optimum: two of 3, 4, 6, 7 leave 5 joined to 6 or more.
    can = [True] * 11
    can[5] = False
    got = sb.sampled_betweenness_set(_bridged_cliques(), [1.0] * 11, 5.0, can)
    assert got == [3, 4, 6]
    assert dm.reinsert(_bridged_cliques().get_adjlist(), [1.0] * 11, [5.0] * 11, got)[0] == [3, 4, 6]


def test_path_halves_then_quarters():
    # Path 0-...-6: 3 lies on 3 x 3 = 9 paths, the most. Cap 3: done. Cap 2: then the middles of
    # 0-1-2 and 4-5-6 (equal weight: lower id first).
    g = ig.Graph(n=7, edges=[(i, i + 1) for i in range(6)])
    assert sb.sampled_betweenness_set(g, [1.0] * 7, 3.0) == [3]
    assert sb.sampled_betweenness_set(g, [1.0] * 7, 2.0) == [3, 1, 5]
    # Duplicate links change no shortest path.
    g2 = ig.Graph(n=7, edges=[(i, i + 1) for i in range(6)] * 2)
    assert sb.sampled_betweenness_set(g2, [1.0] * 7, 3.0) == [3]


def test_harm_breaks_a_tie_and_sets_the_cap():
    # On the 4-cycle 0-1-2-3 every person lies on half a path (0.5 each); harm [0, 1, 0, 5] puts 3
    # first, which leaves 0-1-2 with harm 1 <= cap 1.5. (By id alone 0 would go, leaving harm 6.)
    g = ig.Graph(n=4, edges=[(0, 1), (1, 2), (2, 3), (3, 0)])
    assert sb.sampled_betweenness_set(g, [0.0, 1.0, 0.0, 5.0], 1.5) == [3]


def test_a_batch_takes_only_people_on_some_path():
    # Star with centre 0 and leaves 1-6: the centre lies on all 15 leaf-to-leaf paths, leaves on
    # none. A batch of half the star still takes only the centre; then every leaf is alone.
    g = ig.Graph(n=7, edges=[(0, i) for i in range(1, 7)])
    assert sb.sampled_betweenness_set(g, [1.0] * 7, 1.0, batch=0.5) == [0]


def test_children_only_component_is_left():
    # Triangle of children over the cap (the floor) and a removable path 3-4-5-6: 4 and 5 each lie
    # on 2 paths (tie: lower id), removing 4 leaves {3} and {5, 6}.
    g = ig.Graph(n=7, edges=[(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (5, 6)])
    can = [False, False, False, True, True, True, True]
    assert sb.sampled_betweenness_set(g, [1.0] * 7, 2.0, can) == [4]


def test_sampled_run_is_deterministic_and_under_cap():
    rng = np.random.default_rng(3)
    g = ig.Graph(n=400, edges=rng.integers(0, 400, (700, 2)).tolist())  # the sample of 16 sources is exercised
    w = rng.integers(0, 4, g.vcount()).astype(float).tolist()
    cap = 0.02 * sum(w)
    a = sb.sampled_betweenness_set(g, w, cap, sources=16)
    assert a == sb.sampled_betweenness_set(g, w, cap, sources=16)
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
    got = sb.sampled_betweenness_set(g, w, cap, can, sources=data.draw(st.sampled_from([3, 128])),
                                     batch=data.draw(st.sampled_from([0.002, 0.3])))
    assert len(set(got)) == len(got)
    assert all(can[v] for v in got)
    assert not over_cap_breakable(g, w, cap, can, got)
