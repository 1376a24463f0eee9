"""Dismantling on a graph small enough to work out by hand.

    A - B          two triangles joined by the bridge C - D,
     \\ /           a pendant G on F, a separate pair H - I,
      C            and an isolated person J.
      |
      D
     / \\
    E - F - G      H - I      J

Vertex ids: A0 B1 C2 D3 E4 F5 G6 H7 I8 J9.
"""
from __future__ import annotations

import igraph as ig
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import dismantle as dm

EDGES = [(0, 1), (1, 2), (0, 2), (2, 3), (3, 4), (4, 5), (3, 5), (5, 6), (7, 8)]


@pytest.fixture
def g() -> ig.Graph:
    return ig.Graph(n=10, edges=EDGES)


def test_corehd_unit_weights_by_hand(g):
    # Cap 2 people. {H,I} (2) and {J} (1) are already under the cap: untouched.
    # 2-core of the big component: peel G (degree 1); core = A B C D E F with
    # core degrees 2 2 3 3 2 2. Scores 2 x degree: C and D tie at 6 -> lower id C.
    # Removing C peels A and B; D E F is a triangle, all degree 2 -> D (lowest id).
    # Removing D peels E and F: the core is empty. Phase 2: the tree E-F-G (3 > 2)
    # has centroid F (pieces 1 and 1). Removed: C, D, F.
    adj = g.get_adjlist()
    w = [1.0] * 10
    assert dm.corehd(adj, w, [2.0] * 10) == [2, 3, 5]


def test_reinsertion_by_hand(g):
    # After removing C, D, F: components {A,B}=2, {E}=1, {G}=1, {H,I}=2, {J}=1.
    # Cost of putting back C = 1 + {A,B} 2 = 3; D = 1 + {E} 1 = 2; F = 1 + E + G = 3.
    # D (2 <= cap 2) goes back, making {D,E} = 2. Then C costs 1 + 2 + 2 = 5 and
    # F costs 1 + 2 + 1 = 4: both over the cap, so they stay out.
    adj = g.get_adjlist()
    w = [1.0] * 10
    still, back = dm.reinsert(adj, w, [2.0] * 10, [2, 3, 5])
    assert still == [2, 5] and back == [3]
    lcc = dm.lcc_curve(adj, w, dm.complete_order(still, w))
    assert lcc[2] == 2  # after removing C and F the largest component holds 2 people


def test_harm_weighted_centroid_removes_the_heavy_person(g):
    # Harm: G = 10, J = 0, everyone else 1 (total 18); cap 2.
    # Phase 1 is as with unit weights (core degree; harm only breaks ties):
    # C and D have degree 3, equal harm -> C; then D, E, F tie -> D.
    # Tree E-F-G weighs 12: removing E leaves 11, F leaves max(1, 10) = 10, G leaves 2 -> G.
    # (With unit weights the centroid was F.) Reinsertion: C costs 3, D 3, G 12 > 2.
    adj = g.get_adjlist()
    w = [1, 1, 1, 1, 1, 1, 10, 1, 1, 0]
    assert dm.corehd(adj, w, [2.0] * 10) == [2, 3, 6]
    assert dm.dismantle(g, w, [2.0] * 10) == [2, 3, 6]


def test_per_node_caps_leave_light_components_alone(g):
    # A cap of 100 on the big component, 0 on H and I, 1 on J: only H and I must
    # go (each weighs 1 > 0); the big component (7) and J (1) are within their caps.
    cap = [100.0] * 7 + [0.0, 0.0, 1.0]
    order = dm.dismantle(g, [1.0] * 10, cap)
    assert sorted(order) == [7, 8]


def test_lcc_curve_and_robustness_on_a_path():
    # Path 0-1-2, order [1, 0, 2]: heaviest component 3, 1, 1, 0 -> R = (1+1+0)/(3*3).
    adj = [[1], [0, 2], [1]]
    lcc = dm.lcc_curve(adj, [1.0, 1.0, 1.0], [1, 0, 2])
    assert lcc.tolist() == [3, 1, 1, 0]
    assert lcc[1:].sum() / 9 == pytest.approx(2 / 9)
    assert dm.first_below(lcc, 1.0) == 1


def test_degree_order_is_adaptive(g):
    # Degrees: C, D, F have 3. Ties: higher weight, then lower id -> C first.
    # Then D has 2 (E, F), F has 3 (D, E, G) -> F. Then D 1, E 1, A 1, B 1, G 0 ...
    order = dm.degree_order(g.get_adjlist(), [1.0] * 10)
    assert order[:2] == [2, 5]
    assert sorted(order) == list(range(10))


def test_betweenness_baseline_and_budget(g):
    w = [1.0] * 10
    # Betweenness in the big component: D 9, C 8, F 5 -> D first. Then A-B-C (3) comes
    # first among the heaviest: a triangle, all 0 -> lowest id A. Then E-F-G: F (1) -> [D, A, F].
    got = dm.betweenness_set(g, w, 2.0, max_work=1e9)
    assert got == [3, 0, 5]
    assert dm.betweenness_set(g, w, 2.0, max_work=10) is None  # over the budget: reported, not run


def test_compare_table_shape_and_determinism(g):
    w = [1, 1, 1, 1, 1, 1, 10, 1, 1, 0]
    a = dm.compare(g, w, seed=7)
    b = dm.compare(g, w, seed=7)
    assert a.equals(b)
    assert len(a) == 28 and set(a["method"]) == {"corehd", "targeted", "degree", "gnd", "sampled", "betweenness",
                                                 "random"}
    ok = a.loc[a["finished"]]
    assert (ok["removed_to_1pct_harm"] <= 10).all()
    assert ((ok["R_harm"] >= 0) & (ok["R_harm"] <= 1)).all()


def test_corehd_breaks_a_thirty_thousand_person_graph_to_one_percent_of_harm():
    # A sparse random graph (its speed is measured by benchmarks/, not here: no wall clock in unit tests).
    rng = np.random.default_rng(1)
    n = 30_000
    big = ig.Graph.Erdos_Renyi(n=n, m=60_000)
    w = rng.exponential(1000, n).tolist()
    order = dm.dismantle(big, w, [0.01 * sum(w)] * n)
    assert 0 < len(order) < n
    lcc = dm.lcc_curve(big.get_adjlist(), w, dm.complete_order(order, w))
    assert lcc[len(order)] <= 0.01 * sum(w) + 1e-6


def test_dismantle_network_keeps_the_smaller_set(g):
    # Unit weights, cap 10% of 10 people = 1 person per component.
    order, method = dm.dismantle_network(g, [1.0] * 10, share=0.1)
    lcc = dm.lcc_curve(g.get_adjlist(), [1.0] * 10, dm.complete_order(order, [1.0] * 10))
    assert lcc[len(order)] <= 1
    assert method.endswith("+ reinsertion")
    # A, B, C, D, E, F, G need 4 removals to isolate everyone (e.g. C, D, F + A or B)... plus H or I.
    assert len(order) == 5


def test_curve_points_by_hand(g):
    # Unit harm on the 10 people. Order C, D, F: lcc after 0 removed = 7 (A..G), after C = 4 (D E F G),
    # after C, D = 3 (E F G), after C, D, F = 2 (A B / H I). The completed order then removes the rest
    # by weight (ties: lower id): A B E G H I J.
    pts = dm.curve_points(g, [1.0] * 10, {"chosen": [2, 3, 5]}, max_points=200, x_max=4)
    assert pts.columns.tolist() == ["strategy", "n_removed", "remaining_share"]
    assert pts["n_removed"].tolist() == [0, 1, 2, 3, 4]
    assert pts["remaining_share"].tolist() == pytest.approx([0.7, 0.4, 0.3, 0.2, 0.2])
    # Sampling: at most max_points distinct x values, evenly spread, 0 and x_max included.
    few = dm.curve_points(g, [1.0] * 10, {"chosen": [2, 3, 5]}, max_points=3, x_max=10)
    assert few["n_removed"].tolist() == [0, 5, 10]
    # Default x_max: twice the fewest removals any strategy needs to reach <= 1% (here all 10 people: 10 of 10).
    d = dm.curve_points(g, [1.0] * 10, {"a": [2, 3, 5], "b": dm.baseline_orders(g, [1.0] * 10, 1)["random order"]})
    assert set(d["strategy"]) == {"a", "b"} and d["n_removed"].max() == 10


def test_no_method_removes_a_person_who_is_not_removable():
    # Star: centre 0 (a child, not removable), leaves 1..4; unit weights, cap 2.
    star = ig.Graph(n=5, edges=[(0, 1), (0, 2), (0, 3), (0, 4)])
    adj, w, can = star.get_adjlist(), [1.0] * 5, [False, True, True, True, True]
    assert dm.corehd(adj, w, [2.0] * 5) == [0]                 # unconstrained: the centre alone
    # Constrained: leaves go, lowest id first, until {0, 4} weighs 2 <= cap.
    assert dm.corehd(adj, w, [2.0] * 5, can) == [1, 2, 3]
    assert 0 not in dm.degree_order(adj, w, can) and sorted(dm.degree_order(adj, w, can)) == [1, 2, 3, 4]
    assert dm.targeted_degree(star, w, 2.0, removable=can) == [1, 2, 3]
    assert 0 not in dm.betweenness_set(star, w, 2.0, 1e9, can)
    order, _ = dm.dismantle_network(star, w, share=0.4, removable=can)
    assert sorted(order) == [1, 2, 3]
    cmp = dm.compare(star, w, seed=1, objectives=("harm",), share=0.4, removable=can)
    assert (cmp.loc[cmp["finished"], "n_removed"] >= 3).all()
    assert cmp.loc[cmp["finished"], "largest_left_share"].le(0.4 + 1e-12).all()


def test_target_rises_to_the_heaviest_set_of_children_alone():
    # Path 0-1-2-3: 0 and 1 are children (weight 3 together), 2 and 3 adults; cap 1 is unreachable,
    # so the target is the floor 3: removing adult 2 leaves {0,1} = 3 and {3} = 1.
    path = ig.Graph(n=4, edges=[(0, 1), (1, 2), (2, 3)])
    adj, w, can = path.get_adjlist(), [1.5, 1.5, 1.0, 1.0], [False, False, True, True]
    assert dm.floor_weight(adj, w, can) == 3.0 and dm.effective_cap(adj, w, 1.0, can) == 3.0
    assert dm.dismantle_network(path, w, share=0.2, removable=can)[0] == [2]
    assert dm.lcc_curve(adj, w, [2]).tolist() == [5.0, 3.0]   # people not in the order stay throughout


def test_targeted_degree_attacks_only_components_over_the_harm_cap():
    import igraph as ig

    from helpers.dismantle import degree_order, targeted_degree
    # A: hub 0 with leaves 1-3, every member harm 1 (component harm 4).
    # B: hub 4 with leaves 5-9, no harm (component harm 0), and a bigger hub.
    # Cap 2 (half of 4): only A is over it; removing hub 0 leaves four pieces of harm 1.
    g = ig.Graph(n=10, edges=[(0, 1), (0, 2), (0, 3)] + [(4, k) for k in range(5, 10)])
    harm = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    assert targeted_degree(g, harm, cap=2.0) == [0]
    assert degree_order(g.get_adjlist(), harm)[0] == 4  # plain adaptive degree spends its first removal on B


def test_targeted_degree_removes_nothing_when_every_component_is_under_the_cap():
    import igraph as ig

    from helpers.dismantle import targeted_degree
    assert targeted_degree(ig.Graph(n=3, edges=[(0, 1)]), [1, 1, 1], cap=5.0) == []


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kept_order_is_within_15pct_of_adaptive_betweenness_and_beats_harm_blind_orders(seed):
    """Issue target on networks small enough for adaptive betweenness to finish (600 people, scale-free)."""
    import random

    import igraph as ig
    import numpy as np

    random.seed(seed)  # igraph's generators draw from Python's random module
    g = ig.Graph.Barabasi(600, 2)
    harm = np.random.default_rng(seed).exponential(1, 600).round(3)
    cmp = dm.compare(g, harm, seed, objectives=("harm",), max_work=1e12)
    n = cmp[cmp["reinsertion"]].set_index("method")["n_removed"]
    kept, _ = dm.dismantle_network(g, harm, 0.01)
    assert len(kept) <= 1.15 * n["betweenness"]
    assert len(kept) <= n["degree"] and len(kept) < n["random"]


def test_corehd_with_a_loop_of_children_finishes_and_never_takes_a_child():
    # Children 0, 1, 2 form a triangle (a loop nobody may break); each has two adult leaves (3..8).
    # Removing adult leaf v leaves a piece reached twice through the loop: the stale copy must be skipped.
    edges = [(0, 1), (1, 2), (0, 2), (0, 3), (0, 4), (1, 5), (1, 6), (2, 7), (2, 8)]
    adj = ig.Graph(n=9, edges=edges).get_adjlist()
    can = [False] * 3 + [True] * 6
    removed = dm.corehd(adj, [1.0] * 9, [3.0] * 9, can)
    assert not set(removed) & {0, 1, 2} and sorted(removed) == [3, 4, 5, 6, 7, 8]


def test_gnd_is_skipped_above_its_size_limit_and_never_wins_by_absence(g, monkeypatch):
    w = [1, 1, 1, 1, 1, 1, 10, 1, 1, 0]
    monkeypatch.setattr(dm, "GND_MAX_PEOPLE", 3)
    cmp = dm.compare(g, w, seed=7, objectives=("harm",))
    assert not cmp.loc[cmp["method"] == "gnd", "finished"].any()
    order, method = dm.dismantle_network(g, w)
    assert method != dm.METHODS["gnd"].order_name and len(order) > 0


def _targeted_rebuilt_every_round(g, w, cap, refresh=100, removable=None):
    """The targeted method as first written: components and the heap rebuilt from scratch every round."""
    import heapq
    adj = [list(a) for a in g.get_adjlist()]
    wv = np.asarray(w, float)
    can = np.ones(len(adj), bool) if removable is None else np.asarray(removable, bool)
    alive, deg, order, pool = np.ones(len(adj), bool), [len(a) for a in adj], [], np.arange(len(adj))
    while True:
        ids = pool[alive[pool]]
        memb = np.asarray(g.subgraph(ids.tolist()).connected_components().membership, int)
        over = np.bincount(memb, weights=wv[ids]) > cap
        if not over.any():
            return order
        pool = ids[over[memb]]
        cand = pool[can[pool]].tolist()
        heap = [(-deg[v], -wv[v], v) for v in cand]
        if not heap:
            return order
        heapq.heapify(heap)
        batch, taken = max(1, min(refresh, len(heap) // 100)), 0
        while heap and taken < batch:
            d, _, v = heapq.heappop(heap)
            if not alive[v] or -d != deg[v]:
                continue
            alive[v] = False
            order.append(v)
            taken += 1
            for u in adj[v]:
                if alive[u]:
                    deg[u] -= 1
                    if can[u]:
                        heapq.heappush(heap, (-deg[u], -wv[u], u))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 400), st.floats(1.0, 4.0), st.floats(0.0, 0.3),
       st.integers(1, 5), st.booleans())
def test_targeted_degree_with_one_heap_gives_the_order_of_rebuilding_every_round(seed, n, mean_deg, kids, refresh,
                                                                                  simple):
    # The fast version keeps the links as filtered endpoint arrays; repeated links and self-loops
    # (simple=False) must not change which components it sees.
    rng = np.random.default_rng(seed)
    m = int(n * mean_deg / 2)
    g = ig.Graph(n=n, edges=rng.integers(0, n, size=(m, 2)).tolist())
    if simple:
        g = g.simplify()
    w = rng.choice([0.0, 1.0, 2.5, 7.0], size=n).tolist()
    can = (rng.random(n) >= kids).tolist()
    cap = 0.02 * sum(w) + 1.0
    dm.adjacency(g)  # the cache must not matter
    assert dm.targeted_degree(g, w, cap, refresh=refresh, removable=can) == \
        _targeted_rebuilt_every_round(g, w, cap, refresh=refresh, removable=can)


def test_membership_labels_connected_sets_by_their_lowest_member_as_igraph_does():
    g = ig.Graph(n=6, edges=[(3, 4), (0, 5), (1, 1)])
    assert dm.membership(g).tolist() == [0, 1, 2, 3, 3, 0]
    assert dm.membership(ig.Graph(n=0)).tolist() == []


def test_edge_array_is_igraphs_edge_list_read_only_kept_per_graph_and_rebuilt_for_a_copy():
    g = ig.Graph(n=5, edges=[(3, 1), (0, 4), (2, 2), (4, 0)])
    el = dm.edge_array(g)
    assert el.tolist() == [list(e) for e in g.get_edgelist()] and el.dtype == np.int64
    assert dm.edge_array(g) is el  # kept on the graph: asked again, not rebuilt
    with pytest.raises(ValueError):
        el[0, 0] = 9  # read-only: a caller cannot change what the next caller gets
    h = g.copy()  # the copy inherits the attribute but not its key
    h.delete_edges([0])
    assert dm.edge_array(h).tolist() == [list(e) for e in h.get_edgelist()] and len(dm.edge_array(h)) == 3
    assert dm.edge_array(ig.Graph(n=3)).shape == (0, 2)


def test_complete_order_lists_the_set_then_everyone_else_heaviest_first_ties_by_lower_id():
    assert dm.complete_order([2], [1.0, 3.0, 5.0, 3.0, 0.0]) == [2, 1, 3, 0, 4]
    assert dm.complete_order([], [0.0, 0.0]) == [0, 1]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 60), st.integers(0, 150))
def test_adjacency_gives_igraphs_lists_turns_the_collector_back_on_and_converts_to_csr(seed, n, m):
    import gc

    from helpers import kernels
    rng = np.random.default_rng(seed)
    edges = rng.integers(0, n, size=(m, 2)).tolist() if n else []
    g = ig.Graph(n=n, edges=edges)
    lists = dm.adjacency(g)
    assert lists == g.get_adjlist() and gc.isenabled()  # the collector is back on
    indptr, indices = kernels.csr(lists)
    assert indptr.tolist() == [0, *np.cumsum([len(a) for a in g.get_adjlist()]).tolist()]
    assert indices.tolist() == [u for a in g.get_adjlist() for u in a]
