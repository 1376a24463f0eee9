"""The streamed GraphML and GEXF read back as exactly what networkx's own writers give."""
from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import graphfiles

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=6)


def read_both(tmp_path, g: nx.Graph, kind: str) -> tuple[nx.Graph, nx.Graph]:
    ours, theirs = tmp_path / f"ours.{kind}", tmp_path / f"theirs.{kind}"
    (graphfiles.write_graphml if kind == "graphml" else graphfiles.write_gexf)(g, ours)
    (nx.write_graphml if kind == "graphml" else nx.write_gexf)(g, theirs)
    read = nx.read_graphml if kind == "graphml" else nx.read_gexf
    return read(ours), read(theirs)


def same(a: nx.Graph, b: nx.Graph) -> None:
    assert list(a.nodes(data=True)) == list(b.nodes(data=True))
    assert sorted((tuple(sorted((u, v))), d) for u, v, d in a.edges(data=True)) == \
        sorted((tuple(sorted((u, v))), d) for u, v, d in b.edges(data=True))


def hand_built() -> nx.Graph:
    g = nx.Graph()
    g.add_node("P1", label="P1", current_age=34, cse_offender=True, harm_cchi=12.5, routing='a & b <"c">')
    g.add_node("P2", label="P2", cse_offender=False)            # age unknown: attribute left out
    g.add_node("P<3>", label="P<3>")
    g.add_edge("P1", "P2", sources="crime|intel", weight=0.25, n_links=2, weight_crime=0.125)
    g.add_edge("P2", "P<3>", sources="soc", weight=1.0, n_links=1, weight_crime=0.0)
    return g


@pytest.mark.parametrize("kind", ["graphml", "gexf"])
def test_hand_built_graph_reads_back_as_networkx_writes_it(tmp_path, kind):
    same(*read_both(tmp_path, hand_built(), kind))


def test_graphml_keeps_types_and_leaves_missing_values_out(tmp_path):
    graphfiles.write_graphml(hand_built(), tmp_path / "x.graphml")
    back = nx.read_graphml(tmp_path / "x.graphml")
    assert back.nodes["P1"] == {"label": "P1", "current_age": 34, "cse_offender": True, "harm_cchi": 12.5,
                                "routing": 'a & b <"c">'}
    assert back.nodes["P2"] == {"label": "P2", "cse_offender": False}
    assert back.edges["P1", "P2"] == {"sources": "crime|intel", "weight": 0.25, "n_links": 2, "weight_crime": 0.125}


def test_one_attribute_with_two_types_is_refused(tmp_path):
    g = nx.Graph()
    g.add_node("a", x=1)
    g.add_node("b", x="one")
    with pytest.raises(ValueError, match="'x' holds both long and string"):
        graphfiles.write_graphml(g, tmp_path / "x.graphml")


VALUE = {"flag": st.booleans(), "n": st.integers(-10**6, 10**6),
         "w": st.floats(allow_nan=False, allow_infinity=False, width=64), "s": TEXT}


@settings(max_examples=40, deadline=None)
@given(st.lists(TEXT.filter(bool), min_size=1, max_size=8, unique=True), st.data())
def test_any_small_graph_reads_back_as_networkx_writes_it(tmp_path_factory, ids, data):
    g = nx.Graph()
    for v in ids:
        attrs = {k: data.draw(s) for k, s in VALUE.items() if data.draw(st.booleans())}
        g.add_node(v, label=v, **attrs)
    for _ in range(data.draw(st.integers(0, 10))):
        a, b = data.draw(st.sampled_from(ids)), data.draw(st.sampled_from(ids))
        g.add_edge(a, b, weight=data.draw(VALUE["w"]), sources=data.draw(TEXT))
    tmp = tmp_path_factory.mktemp("g")
    for kind in ("graphml", "gexf"):
        same(*read_both(tmp, g, kind))
