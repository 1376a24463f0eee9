"""The GraphML and GEXF read back as exactly what networkx's own writers give, and the column-wise writer
gives, byte for byte, what the element-wise writer it replaced gave (kept below as the reference)."""
# ruff: noqa: E501  (the expected files are written out whole)
from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

import networkx as nx
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import exports, graphfiles

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


# -- the column-wise writer: the bytes of the element-wise writer it replaced --------------------------
# `reference_graphml` / `reference_gexf` are that writer (graphfiles before the column-wise rewrite),
# kept here verbatim as the specification of the bytes: per element, per attribute, stdlib escaping.

def _ref_kind(v):
    return "boolean" if isinstance(v, bool) else "long" if isinstance(v, int) else \
        "double" if isinstance(v, float) else "string"


def _ref_text(v):
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


def _ref_types(items, skip=frozenset()):
    kinds = {}
    for attrs in items:
        for k, v in attrs.items():
            if v is None or k in skip:
                continue
            if kinds.setdefault(k, _ref_kind(v)) != _ref_kind(v):
                raise ValueError(k)
    return kinds


def reference_graphml(g: nx.Graph) -> str:
    keys, out = {}, [graphfiles.GRAPHML_HEAD]
    for scope, types in (("node", _ref_types(d for _, d in g.nodes(data=True))),
                         ("edge", _ref_types(d for _, _, d in g.edges(data=True)))):
        for name, kind in types.items():
            keys[(scope, name)] = f"d{len(keys)}"
            out.append(f'  <key id="{keys[(scope, name)]}" for="{scope}" attr.name={quoteattr(name)} '
                       f'attr.type="{kind}" />\n')
    out.append('  <graph edgedefault="undirected">\n')

    def element(start, scope, attrs, end):
        data = [(keys[(scope, k)], v) for k, v in attrs.items() if v is not None]
        if not data:
            return start + " />\n"
        return start + ">\n" + "".join(f'      <data key="{k}">{escape(_ref_text(v))}</data>\n'
                                       for k, v in data) + end
    for v, d in g.nodes(data=True):
        out.append(element(f"    <node id={quoteattr(str(v))}", "node", d, "    </node>\n"))
    for a, b, d in g.edges(data=True):
        out.append(element(f"    <edge source={quoteattr(str(a))} target={quoteattr(str(b))}", "edge", d,
                           "    </edge>\n"))
    return "".join(out) + "  </graph>\n</graphml>\n"


def reference_gexf(g: nx.Graph) -> str:
    skip = frozenset({"label", "weight"})
    ids, out = {}, [graphfiles.GEXF_HEAD,
                    "  <meta>\n    <creator>cse-network (networkx-compatible GEXF 1.2)</creator>\n  </meta>\n",
                    '  <graph defaultedgetype="undirected" mode="static" name="">\n']
    for scope, types in (("node", _ref_types((d for _, d in g.nodes(data=True)), skip)),
                         ("edge", _ref_types((d for _, _, d in g.edges(data=True)), skip))):
        if types:
            out.append(f'    <attributes mode="static" class="{scope}">\n')
            for name, kind in types.items():
                ids[(scope, name)] = str(len(ids))
                out.append(f'      <attribute id="{ids[(scope, name)]}" title={quoteattr(name)} type="{kind}" />\n')
            out.append("    </attributes>\n")

    def element(start, scope, attrs, end):
        vals = [(ids[(scope, k)], v) for k, v in attrs.items() if v is not None and k not in skip]
        if not vals:
            return start + " />\n"
        return (start + ">\n        <attvalues>\n"
                + "".join(f'          <attvalue for="{k}" value={quoteattr(_ref_text(v))} />\n' for k, v in vals)
                + "        </attvalues>\n" + end)
    out.append("    <nodes>\n")
    for v, d in g.nodes(data=True):
        out.append(element(f"      <node id={quoteattr(str(v))} label={quoteattr(str(d.get('label', v)))}", "node",
                           d, "      </node>\n"))
    out.append("    </nodes>\n    <edges>\n")
    for i, (a, b, d) in enumerate(g.edges(data=True)):
        w = d.get("weight")
        start = f'      <edge source={quoteattr(str(a))} target={quoteattr(str(b))} id="{i}"'
        out.append(element(start + (f' weight="{_ref_text(w)}"' if w is not None else ""), "edge", d,
                           "      </edge>\n"))
    return "".join(out) + "    </edges>\n  </graph>\n</gexf>\n"


def _value(v):
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    return v.item() if hasattr(v, "item") else v


def graph_of(nodes: pd.DataFrame, edges: pd.DataFrame) -> nx.Graph:
    """The graph the tables describe, each element's attributes in column order, missing ones left out."""
    g = nx.Graph()
    for row in nodes.itertuples(index=False):
        g.add_node(row[0], **{k: _value(v) for k, v in zip(nodes.columns[1:], row[1:], strict=True)
                              if _value(v) is not None})
    for row in edges.itertuples(index=False):
        g.add_edge(row[0], row[1], **{k: _value(v) for k, v in zip(edges.columns[2:], row[2:], strict=True)
                                      if _value(v) is not None})
    return g


def frames_files(tmp_path, nodes, edges) -> tuple[str, str]:
    net = graphfiles.network(nodes, edges)
    graphfiles.write_graphml_network(net, tmp_path / "f.graphml")
    graphfiles.write_gexf_network(net, tmp_path / "f.gexf", chunk=2)  # several chunks
    return ((tmp_path / "f.graphml").read_bytes().decode("utf-8"), (tmp_path / "f.gexf").read_bytes().decode("utf-8"))


AWKWARD = ['a & b', '<tag>', 'say "hi"', "it's", 'both \' and "', 'line\nbreak', 'tab\there', 'cr\rhere',
           'caf\u00e9 \u2014 \u4e2d', '', '&amp;', ']]>']


def awkward_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    n = len(AWKWARD)
    nodes = pd.DataFrame({
        "id": [f"N{i}" for i in range(n - 1)] + ['N&"<x>\''],
        "label": pd.Series(AWKWARD, dtype="str"),
        "note": pd.Series([None if i % 4 == 3 else t for i, t in enumerate(AWKWARD)], dtype="str"),
        "age": pd.array([None if i % 3 == 0 else i * 7 for i in range(n)], dtype="Int64"),
        "harm": [float("nan") if i % 5 == 0 else (0.1 * i, -0.0, 1e16, 1e-5, 2.5)[i % 5] for i in range(n)],
        "flag": [i % 2 == 0 for i in range(n)],
        "maybe": pd.array([None if i % 2 else bool(i % 4) for i in range(n)], dtype="boolean"),
        "things": pd.Series([None, "x", None, "y&z", None, None, 'q"', None, None, None, None, None],
                            dtype=object)})
    edges = pd.DataFrame({"s": ["N0", "N1", "N2"], "t": ["N1", "N2", 'N&"<x>\''],
                          "sources": pd.Series(["crime|intel", 'a"b', None], dtype="str"),
                          "weight": [0.75, 1e-7, float("nan")], "n_links": [2, 1, 3]})
    return nodes, edges


def test_column_escaping_is_exactly_the_standard_library_s():
    text = pa.array(AWKWARD + [None], pa.large_string())
    assert graphfiles.escape(text).to_pylist() == [escape(t) for t in AWKWARD] + [None]
    assert graphfiles.quoteattr(text).to_pylist() == [quoteattr(t) for t in AWKWARD] + [None]


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8), max_size=20))
def test_column_escaping_matches_the_standard_library_on_any_text(texts):
    text = pa.array(texts, pa.large_string())
    assert graphfiles.escape(text).to_pylist() == [escape(t) for t in texts]
    assert graphfiles.quoteattr(text).to_pylist() == [quoteattr(t) for t in texts]


def test_awkward_frames_give_the_element_wise_writer_s_bytes(tmp_path):
    nodes, edges = awkward_frames()
    graphml, gexf = frames_files(tmp_path, nodes, edges)
    g = graph_of(nodes, edges)
    assert graphml == reference_graphml(g)
    assert gexf == reference_gexf(g)


# A small table pair with every awkward value, and the whole files written out by hand.
HAND_NODES = pd.DataFrame({
    "id": ["A", 'B&"<1>\''],
    "label": pd.Series(["A", None], dtype="str"),                # B has no label: GEXF uses its id
    "note": pd.Series(['say "hi" & <bye>', "it's\ta\nline"], dtype="str"),
    "age": pd.array([None, 7], dtype="Int64"),
    "harm": [1000.0, float("nan")],
    "flag": [True, False],
    "town": pd.Series(["", "caf\u00e9"], dtype="str")})
HAND_EDGES = pd.DataFrame({"s": ["A"], "t": ['B&"<1>\''], "sources": pd.Series(['x"y\'z'], dtype="str"),
                           "weight": [0.1 + 0.2], "n_links": [2]})
HAND_GRAPHML = graphfiles.GRAPHML_HEAD + """\
  <key id="d0" for="node" attr.name="label" attr.type="string" />
  <key id="d1" for="node" attr.name="note" attr.type="string" />
  <key id="d2" for="node" attr.name="harm" attr.type="double" />
  <key id="d3" for="node" attr.name="flag" attr.type="boolean" />
  <key id="d4" for="node" attr.name="town" attr.type="string" />
  <key id="d5" for="node" attr.name="age" attr.type="long" />
  <key id="d6" for="edge" attr.name="sources" attr.type="string" />
  <key id="d7" for="edge" attr.name="weight" attr.type="double" />
  <key id="d8" for="edge" attr.name="n_links" attr.type="long" />
  <graph edgedefault="undirected">
    <node id="A">
      <data key="d0">A</data>
      <data key="d1">say "hi" &amp; &lt;bye&gt;</data>
      <data key="d2">1000.0</data>
      <data key="d3">true</data>
      <data key="d4"></data>
    </node>
    <node id="B&amp;&quot;&lt;1&gt;'">
      <data key="d1">it's\ta\nline</data>
      <data key="d5">7</data>
      <data key="d3">false</data>
      <data key="d4">caf\u00e9</data>
    </node>
    <edge source="A" target="B&amp;&quot;&lt;1&gt;'">
      <data key="d6">x"y'z</data>
      <data key="d7">0.30000000000000004</data>
      <data key="d8">2</data>
    </edge>
  </graph>
</graphml>
"""
HAND_GEXF = graphfiles.GEXF_HEAD + """\
  <meta>
    <creator>cse-network (networkx-compatible GEXF 1.2)</creator>
  </meta>
  <graph defaultedgetype="undirected" mode="static" name="">
    <attributes mode="static" class="node">
      <attribute id="0" title="note" type="string" />
      <attribute id="1" title="harm" type="double" />
      <attribute id="2" title="flag" type="boolean" />
      <attribute id="3" title="town" type="string" />
      <attribute id="4" title="age" type="long" />
    </attributes>
    <attributes mode="static" class="edge">
      <attribute id="5" title="sources" type="string" />
      <attribute id="6" title="n_links" type="long" />
    </attributes>
    <nodes>
      <node id="A" label="A">
        <attvalues>
          <attvalue for="0" value='say "hi" &amp; &lt;bye&gt;' />
          <attvalue for="1" value="1000.0" />
          <attvalue for="2" value="true" />
          <attvalue for="3" value="" />
        </attvalues>
      </node>
      <node id="B&amp;&quot;&lt;1&gt;'" label="B&amp;&quot;&lt;1&gt;'">
        <attvalues>
          <attvalue for="0" value="it's&#9;a&#10;line" />
          <attvalue for="4" value="7" />
          <attvalue for="2" value="false" />
          <attvalue for="3" value="caf\u00e9" />
        </attvalues>
      </node>
    </nodes>
    <edges>
      <edge source="A" target="B&amp;&quot;&lt;1&gt;'" id="0" weight="0.30000000000000004">
        <attvalues>
          <attvalue for="5" value="x&quot;y'z" />
          <attvalue for="6" value="2" />
        </attvalues>
      </edge>
    </edges>
  </graph>
</gexf>
"""


def test_hand_built_frames_give_exactly_these_files(tmp_path):
    graphml, gexf = frames_files(tmp_path, HAND_NODES, HAND_EDGES)
    assert graphml == HAND_GRAPHML
    assert gexf == HAND_GEXF
    g = graph_of(HAND_NODES, HAND_EDGES)
    assert graphml == reference_graphml(g) and gexf == reference_gexf(g)


def test_an_object_column_with_two_types_is_refused(tmp_path):
    nodes = pd.DataFrame({"id": ["a", "b"], "x": pd.Series([1, "one"], dtype=object)})
    with pytest.raises(ValueError, match="'x' holds both long and string"):
        graphfiles.write_graphml_frames(tmp_path / "x.graphml", nodes, pd.DataFrame({"s": [], "t": []}))


def test_no_edges_and_no_attributes(tmp_path):
    nodes = pd.DataFrame({"id": pd.Series(["a", "b"], dtype="str")})
    edges = pd.DataFrame({"s": pd.Series([], dtype="str"), "t": pd.Series([], dtype="str")})
    graphml, gexf = frames_files(tmp_path, nodes, edges)
    g = graph_of(nodes, edges)
    assert graphml == reference_graphml(g) and gexf == reference_gexf(g)


ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=6)
COLUMN = {
    "flag": (st.booleans(), "bool"), "maybe": (st.one_of(st.none(), st.booleans()), "boolean"),
    "n": (st.one_of(st.none(), st.integers(-2**63, 2**63 - 1)), "Int64"),
    "w": (st.one_of(st.none(), st.floats(allow_infinity=True, allow_nan=False, width=64)), "float64"),
    "s": (st.one_of(st.none(), ANY_TEXT), "str"), "label": (st.one_of(st.none(), ANY_TEXT), "str")}


@settings(max_examples=60, deadline=None)
@given(st.lists(ANY_TEXT, min_size=1, max_size=7, unique=True), st.data())
def test_any_typed_frames_give_the_element_wise_writer_s_bytes(tmp_path_factory, ids, data):
    names = data.draw(st.lists(st.sampled_from(sorted(COLUMN)), unique=True))
    nodes = pd.DataFrame({"id": ids})
    for name in names:
        values = [data.draw(COLUMN[name][0]) for _ in ids]
        dtype = COLUMN[name][1]
        nodes[name] = pd.Series([float("nan") if v is None and dtype == "float64" else v for v in values],
                                dtype=dtype)
    k = data.draw(st.integers(0, 8))
    pairs = [(data.draw(st.sampled_from(ids)), data.draw(st.sampled_from(ids))) for _ in range(k)]
    seen, kept = set(), []
    for a, b in pairs:  # a graph: each unordered pair once
        if frozenset((a, b)) not in seen:
            seen.add(frozenset((a, b)))
            kept.append((a, b))
    edges = pd.DataFrame({"s": [a for a, _ in kept], "t": [b for _, b in kept],
                          "weight": [data.draw(st.floats(allow_nan=False, width=64)) for _ in kept],
                          "sources": pd.Series([data.draw(ANY_TEXT) for _ in kept], dtype="str")})
    g = graph_of(nodes, edges)
    row = {frozenset(p): i for i, p in enumerate(kept)}
    order = [(a, b) for a, b in g.edges]  # the table in networkx's edge order and orientation
    edges = edges.iloc[[row[frozenset(p)] for p in order]].reset_index(drop=True)
    edges["s"], edges["t"] = [a for a, _ in order], [b for _, b in order]
    graphml, gexf = frames_files(tmp_path_factory.mktemp("f"), nodes, edges)
    assert graphml == reference_graphml(g)
    assert gexf == reference_gexf(g)


# -- exports' tables: the files networkx's graph of the same frames gave --------------------------------

def _nominals(ids):
    n = len(ids)
    return pd.DataFrame({"person_id": pd.Series(ids, dtype="str"),
                         "group_id": pd.Series(["G1", None, "G&2", "G1"][:n], dtype="str"),
                         "group_priority": pd.array([1, None, 2, 1][:n], dtype="Int64"),
                         "centrality": ["top 1%"] * n, "disruption_order": pd.array([None] * n, dtype="Int64"),
                         "soc_group": pd.Series([None] * n, dtype="str"), "child_now": [False] * n,
                         "harm_ons": [1.5] * n,
                         "current_age": pd.array([30 + i if i % 2 else None for i in range(len(ids))], dtype="Int64"),
                         "sex": pd.Series(["M", None, "F", "M"][: len(ids)], dtype="string"),
                         "cse_offender": [i % 2 == 0 for i in range(len(ids))],
                         "harm_cchi": [0.1 * i for i in range(len(ids))],
                         "routing": pd.Series(['a & "b"', "", "<c>", "d\ne"][: len(ids)], dtype="str")})


def _edges(rows):
    return pd.DataFrame({"person_a": [r[0] for r in rows], "person_b": [r[1] for r in rows],
                         "source": [r[2] for r in rows], "weight": [r[3] for r in rows]})


@pytest.mark.parametrize("rows", [
    [("P1", "P2", "crime", 0.5), ("P1", "P2", "intel", 0.25), ("P2", "P4", "soc", 1.0)],
    [("P4", "P1", "crime", 0.5), ("P3", "P2", "intel", 0.1), ("P3", "P2", "intel", 0.2), ("P2", "P1", "soc", 1e-9)],
    [("P3", "P3", "crime", 0.5), ("P9", "P1", "intel", 0.3), ("P2", "P8", "pins", 0.7)],  # self-loop, outsiders
    [],
])
def test_exports_tables_give_the_bytes_of_networkx_s_graph(tmp_path, rows):
    nominals, edges = _nominals(["P3", "P1", "P4", "P2"]), _edges(rows)
    g = exports.graph(nominals, edges)
    frames = exports.tables(nominals, edges)
    assert frames is not None
    graphml, gexf = frames_files(tmp_path, *frames)
    assert graphml == reference_graphml(g)
    assert gexf == reference_gexf(g)


def test_exports_write_networkx_s_graph_when_the_tables_cannot_be_its(tmp_path):
    nominals = _nominals(["P1", "P2", "P3"])
    both_ways = _edges([("P1", "P2", "crime", 0.5), ("P2", "P1", "intel", 0.25)])  # networkx merges the two
    assert exports.tables(nominals, both_ways) is None
    p = exports.write(tmp_path, nominals, both_ways, both_ways.assign(evidence_id="E", event_date=pd.NaT,
                                                                       detail=""), None)
    g = exports.graph(nominals, both_ways)
    assert len(g.edges) == 1
    nx.write_graphml(g, tmp_path / "nx.graphml")
    nx.write_gexf(g, tmp_path / "nx.gexf")
    same(nx.read_graphml(p["graphml"]), nx.read_graphml(tmp_path / "nx.graphml"))
    same(nx.read_gexf(p["gexf"]), nx.read_gexf(tmp_path / "nx.gexf"))
