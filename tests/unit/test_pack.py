"""The intelligence pack on a hand-built run: escaping, marking, adults-only disruption, offline."""
from __future__ import annotations

import contextlib
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import pack
from helpers.pack import data, html

EVIL = '</script><script>alert("x")</script><img src=x onerror=alert(1)>'
MARK = "OFFICIAL-SENSITIVE \u2014 restricted to Intelligence"


def _write(out, name, df, where="tables"):
    d = out / where
    d.mkdir(parents=True, exist_ok=True)
    df.to_parquet(d / f"{name}.parquet", index=False)


@pytest.fixture
def run_dir(tmp_path):
    """Three people in one group: P1 an adult offender (disruption 1), P2 a child now who is in the
    dismantling order by mistake (the pack must still keep them off the disruption list), P3 SOC only."""
    out = tmp_path / "out"
    _write(out, "network_nodes", pd.DataFrame({
        "person_id": ["P1", "P2", "P3"], "group_id": ["G1", "G1", "G1"], "is_cse_offender": [True, True, False],
        "in_soc_network": [False, False, True], "child_now": [False, True, False], "degree": [2, 2, 1],
        "centrality": [0.9, 0.5, 0.1], "harm_cchi": [100.0, 50.0, 0.0], "harm_ons": [200.0, 90.0, 0.0],
        "dismantle_rank": [1.0, 2.0, None]}))
    _write(out, "network_groups", pd.DataFrame({
        "group_id": ["G1"], "n_people": [3], "n_offenders": [2], "soc_overlap": [1], "harm_cchi": [150.0],
        "harm_ons": [290.0], "priority_rank": [1], "priority_band": ["high"],
        "last_activity": pd.to_datetime(["2019-08-01"]), "stability": [0.87654]}))
    _write(out, "network_edges", pd.DataFrame({
        "person_a": ["P1", "P1", "P2"], "person_b": ["P2", "P2", "P3"], "source": ["crime", "intel", "pins"],
        "weight": [0.5, 0.25, 0.75], "n_links": [1, 1, 1]}))
    _write(out, "edge_evidence", pd.DataFrame({
        "person_a": ["P1", "P1", "P2"], "person_b": ["P2", "P2", "P3"], "source": ["crime", "intel", "pins"],
        "evidence_id": ["CR1~CR2", "IL1", "ST1~ST2"],
        "event_date": pd.to_datetime(["2019-05-01", "2020-02-03", "2018-03-01"]),
        "other_date": pd.to_datetime(["2019-08-01", None, None]), "n_people": [None, 4.0, None],
        "detail": ["victims V9", "", "47 days"], "weight": [0.5, 0.25, 0.75]}))
    _write(out, "full_table", pd.DataFrame({
        "crime_id": ["CR1", "CR2"], "offence_title": [EVIL, "rape of female child under 13"],
        "crime_date": pd.to_datetime(["2019-05-01", "2019-08-01"]), "offender_id": ["P1", "P2"],
        "victim_id": ["V9", "V9"]}))
    _write(out, "crime_nominals", pd.DataFrame({
        "crime_id": ["CR1", "CR2", "CR1"], "person_id": ["P1", "P2", "V9"],
        "dob": pd.to_datetime(["1980-01-01", "2005-06-01", "2004-01-01"]), "sex": [EVIL, "F", "F"]}),
        "work/extraction")
    _write(out, "intel_logs", pd.DataFrame({
        "log_id": ["IL1"], "log_date": pd.to_datetime(["2020-02-03"]), "grading_system": ["5x5x5"],
        "source_grade": ["B"], "information_grade": ["2"]}), "work/extraction")
    _write(out, "pins_cell_stays", pd.DataFrame({"stay_id": ["ST1", "ST2"], "establishment": ["EST28", "EST28"]}),
           "work/extraction")
    _write(out, "soc_nominals", pd.DataFrame({"person_id": ["P3"], "soc_group_id": ["SOC9"]}), "work/extraction")
    return out


def _page(run_dir):
    facts = pack.run_stage(str(run_dir), "2021-03-15", pack_top_groups=5, say=lambda m: None)
    return facts, (run_dir / "restricted" / "intelligence_pack.html").read_text(encoding="utf-8")


def test_source_values_are_never_markup(run_dir):
    _, page = _page(run_dir)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;/script&gt;&lt;script&gt;alert(&quot;x&quot;)" in page  # the link reason, escaped


def test_every_section_and_the_page_carry_the_marking(run_dir):
    _, page = _page(run_dir)
    sections = re.findall(r"<section id=\"([^\"]+)\">(.*?)</section>", page, flags=re.S)
    assert [s for s, _ in sections] == ["sec-about", "sec-nominals", "sec-disruption", "sec-soc", "sec-group-G1",
                                        "sec-changes", "sec-safeguarding"]
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # no id twice (a section sharing its table's id breaks the table)
    for _, inner in sections:
        assert inner.count(f'<div class="marking">{MARK}</div>') == 2
    assert f'<header class="marking">{MARK}</header>' in page and f'<footer class="marking">{MARK}</footer>' in page


def test_disruption_list_is_adults_only_and_the_group_page_explains_every_link(run_dir):
    facts, page = _page(run_dir)
    assert facts["disruption_adults"] == 1 and facts["children_removed_from_disruption"] == 1
    inp = data.load(run_dir)
    nom = data.nominals(inp, "2021-03-15")
    dis, kids = data.disruption(nom)
    assert list(dis["person_id"]) == ["P1"] and kids == 1
    assert nom.set_index("person_id").loc["P2", "current_age"] == 15
    assert nom.set_index("person_id").loc["P3", "soc_group"] == "SOC9"
    assert "intelligence log 2020-02-03, graded B2, 4 people" in page
    assert "shared cell 47 days, establishment EST28, until 2018-03-01" in page
    assert "shared victim on 2 crimes" in page and "2019-05-01 and 2019-08-01" in page


def test_the_page_fetches_nothing_and_absent_safeguarding_tables_are_said(run_dir):
    facts, page = _page(run_dir)
    html.check_offline(page)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page, flags=re.I)
    assert "default-src 'none'" in page
    assert "The safeguarding stage's tables" in page
    assert any("safeguarding" in n for n in facts["notes"])
    assert sorted(p.name for p in (run_dir / "exports").iterdir()) == [
        "i2_entities.csv", "i2_links.csv", "network.gexf", "network.graphml"]


def test_check_offline_refuses_a_remote_resource():
    with pytest.raises(html.NotSelfContained):
        html.check_offline('<img src="https://example.org/x.png">')
    with pytest.raises(html.NotSelfContained):
        html.check_offline('<style>@import url("//cdn.example.org/a.css")</style>')


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["src", "SRC", "Href", "action", "poster", "data", "url(", "URL(", "@import",
                                 "@IMPORT", "\u017frc", "=", " ", "\t", '"', "'", "http:", "HTTPS:", "//", "/",
                                 "x", "<img ", ">", "\u0130"]), max_size=14).map("".join))
def test_the_remote_check_finds_what_the_plain_pattern_finds(text):
    # The prefilter (a lookahead on the first letter) must never change the first match.
    plain = re.compile(html.REMOTE_PATTERN, re.I).search(text)
    fast = html.REMOTE.search(text)
    assert (fast and fast.span()) == (plain and plain.span())


def test_the_remote_check_catches_each_kind_whatever_the_case():
    for remote in ('<a HREF = "//x.org">', "<video poster='http://x.org/p.png'>", "<form action=https://x.org>",
                   "<object data=//x.org/o>", "<div style=\"background:URL( 'https://x.org/b.png')\">",
                   "<style>@Import 'http://x.org/a.css'</style>"):
        with pytest.raises(html.NotSelfContained):
            html.check_offline(remote)
    html.check_offline('<img src="data:image/png;base64,AAAA"><a href="#sec-about">about</a>')


_HOSTILE_TEXT = st.text(alphabet=st.sampled_from(list("ab <>&\"'\t\r\n\\\u00e9\u202e\u0000")), max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_HOSTILE_TEXT, st.integers(-10**20, 10**20), st.just("")), max_size=12),
       st.booleans())
def test_the_fast_text_formatting_is_itables_own(values, escape):
    # Text and integers (datatable's nullable columns) take the one-pass path; it must give exactly
    # what itables' pandas formatting gives, escapes and all.
    x = pd.Series(values, dtype=object)
    assert html._format_text_column(x, escape, False, False) == list(html._ITABLES_FORMAT(x, escape, False, False))


def test_a_datatable_is_byte_identical_with_and_without_the_fast_formatting(monkeypatch):
    df = pd.DataFrame({"id": ["P1", "P<2>", "P&3", None], "age": pd.array([12, None, 40, 7], dtype="Int64"),
                       "harm": [1.5, float("nan"), 1e-7, 3.0], "flag": [True, False, True, False],
                       "note": pd.array(["a\tb", "c\nd", None, "'e'"], dtype="string")})
    fast = html.datatable(df, "t", {"id": "Person id"})
    monkeypatch.setattr(html, "_fast_text_columns", contextlib.nullcontext)
    assert html.datatable(df, "t", {"id": "Person id"}) == fast
    assert "P&amp;3" in fast and "P&lt;2&gt;" in fast and "P<2>" not in fast


def test_a_missing_table_names_the_file_and_the_fix(tmp_path):
    with pytest.raises(data.PackInputError, match="network_nodes.parquet"):
        data.load(tmp_path)


def test_lookup_keeps_everyone_under_the_cap_and_otherwise_the_people_the_pack_names_first():
    nom = pd.DataFrame({
        "person_id": ["P5", "P1", "P4", "P2", "P3", "P6"],
        "group_priority": pd.array([None, 2, 1, None, 2, None], dtype="Int64"),
        "disruption_order": pd.array([None, 3, None, 1, None, 2], dtype="Int64")})
    pd.testing.assert_frame_equal(data.lookup_rows(nom, 6), nom)
    # by group priority (P4, then P1 and P3 by disruption order, P3 having none), then disruption
    # order among the ungrouped (P2 before P6), then id; shown in id order
    expected = pd.DataFrame({
        "person_id": ["P1", "P2", "P3", "P4"],
        "group_priority": pd.array([2, None, 2, 1], dtype="Int64"),
        "disruption_order": pd.array([3, 1, None, None], dtype="Int64")})
    pd.testing.assert_frame_equal(data.lookup_rows(nom, 4), expected)


def test_a_capped_nominal_list_says_how_many_it_holds_and_where_everyone_is(run_dir):
    facts = pack.run_stage(str(run_dir), "2021-03-15", pack_top_groups=5, say=lambda m: None, pack_max_nominals=2)
    page = (run_dir / "restricted" / "intelligence_pack.html").read_text(encoding="utf-8")
    assert (facts["people"], facts["people_in_searchable_list"]) == (3, 2)
    assert "This list holds 2 of the network's 3 people" in page
    assert "exports/i2_entities.csv" in page
    assert len(pd.read_csv(run_dir / "exports" / "i2_entities.csv")) == 3
    _, uncapped = _page(run_dir)
    assert "This list holds" not in uncapped
