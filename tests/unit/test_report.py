"""report.py: suppression, tables, figures, the render, and the three safety checks.

The render test builds a tiny run folder by hand: tables with ids like P0000001,
and one "executed" notebook whose outputs are what report.md/table/figure emit
(captured from their display calls, no kernel needed). The rendered HTML is
then parsed and checked as a reader's copy would be.
"""
from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from helpers import plots, report, store

PERSON_IDS = ["P0000001", "P0000002", "P0000003", "P0000004", "V0000001", "V0000002"]


# --- suppression --------------------------------------------------------------------------

def test_suppress_small_counts_only():
    df = pd.DataFrame({"k": list("abcdef"), "n": [0, 1, 4, 5, 120, None], "other": [1, 2, 3, 4, 5, 6]})
    out = report.suppress(df, ["n"], 5)
    # 0 stays 0 (nothing to hide), 1 and 4 hidden, 5 and above shown, missing stays missing
    assert list(out["n"][:5]) == [0, "<5", "<5", 5, 120]
    assert pd.isna(out["n"][5])
    assert list(out["other"]) == [1, 2, 3, 4, 5, 6]      # not a count column: untouched
    assert list(df["n"][:5]) == [0, 1, 4, 5, 120]         # input not modified


def test_suppress_threshold_is_a_parameter():
    out = report.suppress(pd.DataFrame({"n": [2, 9, 10]}), ["n"], 10)
    assert list(out["n"]) == ["<10", "<10", 10]


def test_fmt_count():
    assert report.fmt_count(3) == "<5"
    assert report.fmt_count(0) == "0"
    assert report.fmt_count(12345) == "12,345"
    assert report.fmt_count(7, below=10) == "<10"


def test_table_markdown_suppresses_and_marks_count_columns():
    text = report.table_markdown(pd.DataFrame({"Sex": ["M", "F"], "Frequency": [3, 1200]}),
                                 "Sex combinations", ["Frequency"], 5)
    assert 'data-count-cols="Frequency"' in text and 'data-suppress-below="5"' in text
    assert _cells(text) == [["Sex", "Frequency"], ["M", "&lt;5"], ["F", "1,200"]]
    assert "<caption>Sex combinations</caption>" in text


def _cells(table_text: str) -> list[list[str]]:
    """Header and body cells of the one table in a table_html block, as written (escaped)."""
    return [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r) for r in re.findall(r"<tr>(.*?)</tr>", table_text)]


# --- a tiny run to render --------------------------------------------------------------------

def _capture(monkeypatch) -> list:
    """Collect what report.md/table/figure display, as notebook outputs."""
    outputs: list = []

    def fake_display(obj, raw=False, metadata=None):
        outputs.append(nbformat.v4.new_output("display_data", data=obj, metadata=metadata or {}))
    monkeypatch.setattr(report.display_module, "display", fake_display)
    return outputs


def _full_table() -> pd.DataFrame:
    rows = [  # crime, offender, victim, date, offender age, victim age, sexes, ethnicities
        ("CR01", "P0000001", "V0000001", "2017-05-01", 30, 14, "M", "F", "IC1 - White North European", None),
        ("CR02", "P0000002", "V0000001", "2018-02-01", 15, 14, "M", "F", None, None),
        ("CR03", "P0000003", "V0000002", "2019-07-01", 40, 12, "F", "M", None, "IC3 - Black"),
        ("CR04", "P0000004", "V0000002", "2012-01-01", 22, 9, "M", "M", None, "IC3 - Black"),
    ]
    df = pd.DataFrame(rows, columns=["crime_id", "offender_id", "victim_id", "crime_date", "offender_age",
                                     "victim_age", "offender_sex", "victim_sex", "offender_ethnicity",
                                     "victim_ethnicity"])
    df["crime_date"] = pd.to_datetime(df["crime_date"])
    for c in ("offender_age", "victim_age"):
        df[c] = df[c].astype("Int64")
    df["offender_sex_conflict"] = False
    df["victim_sex_conflict"] = False
    return df


def _final_table() -> pd.DataFrame:
    return pd.DataFrame({"offender_a": ["P0000001", "P0000003"], "crime_a": ["CR01", "CR03"],
                         "offender_b": ["P0000002", "P0000004"], "crime_b": ["CR02", "CR04"],
                         "n_shared_victims": [1, 1], "weight": [0.5, 0.1]})


MANIFEST = {
    "run_id": "abc123def456",
    "parameters": {"as_of": "2021-03-15", "summary_start": "2016-01-01", "summary_end": "2020-12-31",
                   "suppress_below": 5, "search_terms": "config/search_terms.yml",
                   "grading_map": "data/reference/intel_grading.csv", "min_offender_age": 10,
                   "max_victim_age": 17},
    "inputs": {"crimes": {"rows_read": 100, "rows_kept": 98, "sha256": "ab" * 32}},
    "versions": {"python": "3.11", "pandas": "3.1"},
    "git": {"commit": "0123456789abcdef", "dirty": False},
}


def _build_run(out: Path, monkeypatch) -> Path:
    """A run folder: tables with identifiers, and one executed notebook built from report's outputs."""
    full, final = _full_table(), _final_table()
    store.write_table(out, "full_table", full)
    store.write_table(out, "final_table", final)
    store.write_table(out, "exclusions", pd.DataFrame(
        {"stage": ["selection"], "rule": ["offender under 10"], "unit": ["rows"], "rows_in": [10],
         "rows_excluded": [2], "rows_out": [8]}))
    outputs = _capture(monkeypatch)
    report.md("# Table information\n\nThe full table has 4 rows.")
    report.table(plots.sex_combinations(full), "Sex combinations", ["Frequency"])
    report.figure(plots.crimes_per_year(full, plots.final_rows(full, final)), "Crimes per year")
    monkeypatch.undo()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cell = nbformat.v4.new_code_cell("report.table(secret_source_code)")
    cell.outputs = outputs + [nbformat.v4.new_output("stream", name="stderr", text="a warning P0000001")]
    nb.cells = [nbformat.v4.new_markdown_cell("Purpose paragraph."), cell]
    (out / "notebooks").mkdir(parents=True)
    nbformat.write(nb, out / "notebooks" / "04_descriptive_plots.ipynb")
    return out


@pytest.fixture
def run_dir(tmp_path, monkeypatch):
    """A fresh run folder per test, for tests that change it before rendering."""
    return _build_run(tmp_path / "run", monkeypatch)


class _Html(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


@dataclass(frozen=True)
class Rendered:
    """The untouched run rendered once: the file, its HTML, the parsed tags and the visible text."""
    path: Path
    html: str
    doc: _Html
    text: str


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Rendered:
    """report.render on the tiny run, run once for the module; tests only read it."""
    with pytest.MonkeyPatch.context() as mp:
        out = _build_run(tmp_path_factory.mktemp("rendered") / "run", mp)
    path = report.render(out, MANIFEST)
    html = path.read_text()
    doc = _Html()
    doc.feed(html)
    return Rendered(path, html, doc, re.sub(r"\s+", " ", " ".join(doc.text)))


def test_render_shows_no_person_or_crime_identifier(rendered):
    # the stderr stream that named P0000001 is dropped; the tables' ids never reach the page
    for pid in PERSON_IDS + ["CR01", "CR02"]:
        assert pid not in rendered.html


def test_render_does_not_show_notebook_code(rendered):
    assert "secret_source_code" not in rendered.html


def test_rendered_report_passes_its_own_safety_check(rendered):
    assert report.check_safe(rendered.path, set(PERSON_IDS)) == []


def test_render_shows_counts_below_5_as_less_than_5(rendered):
    # sex combinations in the full table: M->F appears twice (CR01, CR02), F->M and M->M once each
    html = rendered.html
    sex_table = re.search(r"<table.*?</table>", html[html.index("Table 1:") - 300:], flags=re.S).group(0)
    assert "Sex\ncombinations" in sex_table
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr[^>]*>(.*?)</tr>", sex_table, re.S)]
    rows = [r for r in rows if r]
    assert [r[:3] for r in rows] == [["M", "F", "&lt;5"], ["F", "M", "&lt;5"], ["M", "M", "&lt;5"]]


def test_render_links_and_sources_point_only_inside_the_file(rendered):
    for tag, attrs in rendered.doc.tags:
        for k in ("src", "href"):
            if k in attrs:
                assert attrs[k].startswith(("data:", "#")), (tag, attrs)


def test_render_css_loads_no_url_from_outside_the_file(rendered):
    assert not re.search(r"url\((?!\s*['\"]?(data:|#))", rendered.html)


def test_render_has_no_script(rendered):
    assert "<script" not in rendered.html                     # no MathJax or other script


def test_render_has_a_title_page_with_the_as_of_date_and_run_id(rendered):
    assert "Data as of 15 March 2021" in rendered.text and "abc123def456" in rendered.text


def test_render_has_a_table_of_contents(rendered):
    assert 'id="TOC"' in rendered.html


def test_render_numbers_its_sections(rendered):
    assert 'class="header-section-number"' in rendered.html


def test_render_numbers_figure_captions_summary_first(rendered):
    # figure 1 is the summary's offender-ethnicity chart; the notebook's figure comes next
    assert "Figure 1: Distribution of offender ethnicities for the period 2016–2020" in rendered.text
    assert "Figure 2: Crimes per year" in rendered.text


def test_render_numbers_table_captions(rendered):
    assert "Table 1:" in rendered.text and "Sex combinations" in rendered.text


def test_render_embeds_figures_as_png_data(rendered):
    img = [a for t, a in rendered.doc.tags if t == "img"]
    assert img and img[0]["src"].startswith("data:image/png;base64,")


def test_render_orders_sections_as_the_force_report_does(rendered):
    # summary, terminology, aim, the notebook, use and sharing, limitations, appendix
    heads = [re.sub(r"\s+", " ", m)
             for m in re.findall(r"<h1[^>]*>.*?</span>\s*([^<]+)</h1>", rendered.html, flags=re.S)]
    assert heads == ["Summary of findings", "Terminology", "Aim", "Table information",
                     "Use, sharing, retention and prevention", "Limitations",
                     "Appendix"]


def test_summary_numbers_come_from_the_run(run_dir):
    front = "\n".join(report.front_matter(run_dir, MANIFEST).values())
    # crimes 2016-2020: CR01, CR02, CR03 (CR04 is 2012); all four are in final-table links
    assert "In the 5 years 2016 to 2020, <5 such recorded crimes" in front
    assert "<5 crimes (100.0%) were involved in links" in front


def test_render_refuses_an_unsafe_notebook(run_dir):
    nb_path = run_dir / "notebooks" / "04_descriptive_plots.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("The worst offender is P0000003."))
    nbformat.write(nb, nb_path)
    with pytest.raises(report.ReportSafetyError, match="P0000003"):
        report.render(run_dir, MANIFEST)
    assert not (run_dir / "report.html").exists()
    assert (run_dir / "report.unsafe.html").exists()


# --- check_safe on crafted bad HTML ---------------------------------------------------------------

def _page(body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"


COUNTS = ('<div class="counts" data-count-cols="Frequency" data-suppress-below="5"><table>'
          "<thead><tr><th>Sex</th><th>Frequency</th></tr></thead><tbody>{rows}</tbody></table></div>")


@pytest.mark.parametrize("body,head,expect", [
    ("<p>Offender P0000002 has most crimes.</p>", "", "identifier P0000002"),
    ('<p><a href="#x" title="P0000004">x</a></p>', "", "identifier P0000004"),
    (COUNTS.format(rows="<tr><td>M</td><td>3</td></tr>"), "", "unsuppressed count '3'"),
    (COUNTS.format(rows="<tr><td>M</td><td>1,204</td></tr><tr><td>F</td><td>4</td></tr>"), "",
     "unsuppressed count '4'"),
    ('<img src="https://cdn.example.org/x.png">', "", "points off the file"),
    ('<a href="report2.html">next</a>', "", "points off the file"),
    ("", '<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml-full.js"></script>',
     "points off the file"),
    ("", '<link rel="stylesheet" href="style.css">', "points off the file"),
    ("", "<style>body { background: url('https://x.org/bg.png'); }</style>", "CSS url()"),
    ("", "<style>@import 'https://fonts.example/font.css';</style>", "@import"),
    ('<p style="background:url(img/a.png)">x</p>', "", "CSS url()"),
])
def test_check_safe_catches(tmp_path, body, head, expect):
    f = tmp_path / "bad.html"
    f.write_text(_page(body, head))
    problems = report.check_safe(f, set(PERSON_IDS))
    assert any(expect in p for p in problems), problems


def test_check_safe_passes_clean_html(tmp_path):
    png = "iVBORw0KGgoP0000001AAAA"  # an id inside an embedded payload is not shown text
    body = (COUNTS.format(rows="<tr><td>M</td><td>&lt;5</td></tr><tr><td>F</td><td>1,204</td></tr>"
                               "<tr><td>U</td><td>0</td></tr>")
            + f'<img src="data:image/png;base64,{png}"><a href="#sec-1">1</a>'
            + "<p>P00000011 and XP0000001 are other tokens; 4 offenders is prose.</p>")
    f = tmp_path / "ok.html"
    f.write_text(_page(body, "<style>li { background: url(data:image/gif;base64,R0lG); }</style>"))
    assert report.check_safe(f, set(PERSON_IDS)) == []


# --- ids, cross-references and number formatting ----------------------------------------------------

def test_ids_unique_and_every_toc_link_has_a_target(run_dir):
    # the notebook has its own "Exclusions" and "Data-quality profile" sections, as the appendix does
    nb_path = run_dir / "notebooks" / "04_descriptive_plots.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("## Exclusions\n\nText.\n\n## Data-quality profile\n\nText."))
    nbformat.write(nb, nb_path)
    html = report.render(run_dir, MANIFEST).read_text()
    doc = _Html()
    doc.feed(html)
    ids = [a["id"] for _, a in doc.tags if "id" in a]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    targets = [a["href"][1:] for t, a in doc.tags if t == "a" and a.get("href", "").startswith("#")]
    assert targets and all(t in set(ids) for t in targets)
    # the appendix's copy is the one renamed, and the TOC points at both
    assert "exclusions" in ids and "appendix-exclusions" in ids
    assert "appendix-data-quality-profile" in ids


def test_seeds_years_and_ids_are_not_thousands_separated():
    df = pd.DataFrame({"Parameter": ["seed"], "seed": [20210315], "Year": [2021], "run_id": [123456],
                       "Crimes": [20210315]})
    md = report.table_markdown(df, "x")
    assert _cells(md)[1] == ["seed", "20210315", "2021", "123456", "20,210,315"]
    back = report.back_matter(Path("/nonexistent"), {"parameters": {"seed": 20210315, "as_of": "2021-03-15"}})
    assert "20210315" in back["91_appendix"] and "20,210,315" not in back["91_appendix"]


def test_raw_headers_percentages_and_rule_values_read_plainly():
    df = pd.DataFrame({"stage": ["full_table"], "rows_in": [10], "rows_excluded": [2], "rows_out": [8],
                       "missing_pct": [12.345], "matched_rules": ["title|mo"]})
    md = report.table_markdown(df, "x", ["rows_in"])
    assert _cells(md) == [["Stage", "Rows in", "Excluded", "Rows out", "Missing %", "Matched rules"],
                          ["Full table", "10", "2", "8", "12.3", "title + MO"]]
    assert 'data-count-cols="Rows in"' in md
    assert report.rule_label("if_code|mo") == "crime flag + MO"


def test_cross_references_name_the_force_report():
    # this report's own sections are numbered too: a bare "section 7.2" would point at the wrong place
    for name in ("summary", "terminology", "aim", "limitations", "appendix"):
        text = (report.TEMPLATES / f"{name}.md").read_text()
        assert not re.search(r"(?<!report's )(?<!report's own )\b(section|appendix) \d", text, flags=re.I), name


def test_summary_bands_in_priority_order_and_children(tmp_path):
    out = tmp_path / "run"
    store.write_table(out, "network_groups", pd.DataFrame(
        {"group_id": list("abcdefg"), "n_people": [3] * 7, "harm_cchi": [1.0] * 7, "harm_ons": [1.0] * 7,
         "priority_band": ["low", "high", "medium", "low", "high", "medium", "low"]}))
    store.write_table(out, "network_nodes", pd.DataFrame(
        {"person_id": [f"P{i}" for i in range(10)], "group_id": ["a"] * 10,
         "is_cse_offender": [True] * 6 + [False] * 4, "in_soc_network": [True] * 7 + [False] * 3}))
    store.write_table(out, "safeguarding_summary", pd.DataFrame(
        {"measure": ["children now (at the extraction date) in the network", "children now in the dismantling set",
                     "child victims behind final-table links", "child victims linked to two or more offenders"],
         "count": [12, 0, 40, 3]}))
    text = "\n".join(report._network_sentences(out, 5))
    assert "high <5, medium <5, low <5" in text
    assert ("12 people in the network are children at the extraction date and 0 of them are in any disruption "
            "order; 40 child victims sit behind the links, <5 of them linked to two or more offenders") in text
    assert "strongly concentrated" not in text and "moderately concentrated" not in text  # no table: no claim


# --- source values are text (ADR 0010) ------------------------------------------------------------

HOSTILE = ["*x*", "<b>bold</b>", "\\<img src=x onerror=alert(1)>", "| pipes |", "$math$", "`code`",
           "[link](javascript:alert(1))", "<script>alert(1)</script>", "a\nb"]


def _pandoc(markdown: str, tmp_path: Path) -> str:
    """Markdown through pandoc with the report's own filter, as the render does it."""
    import subprocess
    src = tmp_path / "in.md"
    src.write_text(markdown, encoding="utf-8")
    res = subprocess.run([report.pandoc_path(), "-f", "markdown", "-t", "html5", str(src),
                          "--lua-filter", str(report.FILTER)], capture_output=True, text=True, check=True)
    return res.stdout


def _visible_text(html_text: str) -> str:
    doc = _Html()
    doc.feed(html_text)
    return re.sub(r"\s+", " ", " ".join(doc.text))


def test_text_makes_markup_looking_source_values_print_as_typed(tmp_path):
    out = _pandoc("Title: " + " ; ".join(report.text(v) for v in HOSTILE) + "\n", tmp_path)
    doc = _Html()
    doc.feed(out)
    assert [t for t, _ in doc.tags] == ["p"]          # no <em>, <b>, <img>, <code>, <a>, <math>, <script>
    text = _visible_text(out)
    for v in HOSTILE[:-1]:
        assert v in text
    assert "a b" in text                              # a line break in a value does not start a new block


def test_table_cells_are_text_whatever_they_hold(tmp_path):
    df = pd.DataFrame({"Offence title": HOSTILE, "Crimes": [10] * len(HOSTILE)})
    out = _pandoc(report.table_html(df, "Titles <i>as recorded</i>", ["Crimes"]), tmp_path)
    doc = _Html()
    doc.feed(out)
    tags = {t for t, _ in doc.tags}
    assert tags <= {"div", "table", "caption", "thead", "tbody", "tr", "th", "td", "span", "colgroup", "col"}
    assert not any(k.startswith("on") for _, a in doc.tags for k in a)
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", r, flags=re.S) for r in re.findall(r"<tr[^>]*>(.*?)</tr>", out, re.S)]
    import html as htmllib
    cells = [htmllib.unescape(re.sub(r"\s+", " ", r[0])) for r in rows if r]
    assert cells == [v.replace("\n", " ") for v in HOSTILE]
    flat = re.sub(r"\s+", " ", out)
    assert "Table 1: </span>Titles &lt;i&gt;as recorded&lt;/i&gt;" in flat and "<i>" not in out
    assert report.check_safe(_write(tmp_path, out), set()) == []


def _write(tmp_path: Path, html_text: str) -> Path:
    f = tmp_path / "page.html"
    f.write_text(html_text, encoding="utf-8")
    return f


# --- secondary suppression (disclosure) -------------------------------------------------------------

def test_a_lone_small_exclusion_cannot_be_recovered_from_the_ledger():
    # rule r1: 669 in, 3 excluded, 666 out; r2 takes those 666 in and excludes none.
    # Hiding 3 alone leaves 669 - 666 = 3; hiding 666 too is undone by r2's rows_in (= r1's rows_out),
    # so that is hidden as well, and then r2's rows_out (= its rows_in + 0).
    ex = pd.DataFrame({"stage": ["s", "s"], "rule": ["r1", "r2"], "unit": ["rows", "rows"],
                       "rows_in": [669, 666], "rows_excluded": [3, 0], "rows_out": [666, 666]})
    shown = report.suppress(ex, ["rows_in", "rows_excluded", "rows_out"], 5,
                            complements=[("rows_in", "rows_out", "rows_excluded")],
                            chain=("rows_out", "rows_in"), group_cols=["stage", "unit"])
    expected = pd.DataFrame({"stage": ["s", "s"], "rule": ["r1", "r2"], "unit": ["rows", "rows"],
                             "rows_in": [669, "[c]"], "rows_excluded": ["<5", 0], "rows_out": ["[c]", "[c]"]},
                            dtype=object)
    pd.testing.assert_frame_equal(shown.astype(object), expected)


def test_a_row_total_with_one_small_part_hides_the_next_smallest_part():
    # Table 19's case: 56 + 613 + 3 = 672 shown whole would give 672 - 56 - 613 = 3
    df = pd.DataFrame({"measure": ["people"], "total": [672], "a": [56], "b": [613], "c": [3]})
    shown = report.suppress(df, ["total", "a", "b", "c"], 5, complements=[("total", "a", "b", "c")])
    expected = pd.DataFrame({"measure": ["people"], "total": [672], "a": ["[c]"], "b": [613], "c": ["<5"]},
                            dtype=object)
    pd.testing.assert_frame_equal(shown.astype(object), expected)


def test_a_known_column_total_protects_the_lone_small_cell_and_its_share():
    df = pd.DataFrame({"Sex": ["M", "F", "U", "X"], "Frequency": [100, 50, 3, 20],
                       "Share": [0.58, 0.29, 0.02, 0.11]})
    shown = report.suppress(df, ["Frequency"], 5, totals=["Frequency"], derived={"Share": "Frequency"})
    expected = pd.DataFrame({"Sex": ["M", "F", "U", "X"], "Frequency": [100, 50, "<5", "[c]"],
                             "Share": [0.58, 0.29, "[c]", "[c]"]}, dtype=object)
    pd.testing.assert_frame_equal(shown.astype(object), expected)


def test_without_a_stated_relation_only_small_counts_are_hidden():
    df = pd.DataFrame({"k": ["a", "b"], "n": [3, 40]})
    assert list(report.suppress(df, ["n"], 5)["n"]) == ["<5", 40]
    # two small cells in one relation already protect each other: nothing more is hidden
    df = pd.DataFrame({"k": ["a", "b", "c"], "n": [3, 2, 40]})
    assert list(report.suppress(df, ["n"], 5, totals=["n"])["n"]) == ["<5", "<5", 40]


def test_a_relation_on_a_column_that_is_not_a_count_is_refused():
    with pytest.raises(ValueError, match="not count columns"):
        report.disclosure(pd.DataFrame({"a": [1], "b": [2]}), ["a"], 5, totals=["b"])


def test_the_ledger_table_marks_withheld_cells_in_its_caption():
    ex = pd.DataFrame({"stage": ["s"], "rule": ["r"], "unit": ["rows"], "rows_in": [669],
                       "rows_excluded": [3], "rows_out": [666]})
    text = report.ledger_html(ex, "Ledger")
    assert _cells(text)[1] == ["s", "r", "rows", "669", "&lt;5", "[c]"]
    assert "[c]: withheld so that a count below 5 cannot be worked out by subtraction" in text


# --- check_safe: active content, foreign data, numeric ids ------------------------------------------

@pytest.mark.parametrize("body,expect", [
    ("<img src=x onerror=alert(1)>", "event-handler"),
    ('<p onclick="steal()">x</p>', "event-handler"),
    ('<svg onload="x()"></svg>', "event-handler"),
    ("<script>alert(1)</script>", "<script> element"),
    ('<iframe src="#a"></iframe>', "<iframe> element"),
    ('<object data="#a"></object>', "<object> element"),
    ('<embed src="#a">', "<embed> element"),
    ('<a href="javascript:alert(1)">x</a>', "script URL"),
    ('<a href="java&#x09;script:alert(1)">x</a>', "script URL"),
    ('<a href=" JavaScript:alert(1)">x</a>', "script URL"),
    ('<img src="data:text/html;base64,PHNjcmlwdD4=">', "data: URL of a type"),
    ('<a href="data:application/javascript,alert(1)">x</a>', "data: URL of a type"),
    ('<img src="data:image/svg+xml;base64,' + base64.b64encode(b'<svg><script>x()</script></svg>').decode()
     + '">', "embedded SVG: <script>"),
    ('<meta http-equiv="refresh" content="0;url=https://x.org">', "http-equiv=refresh"),
    ('<p style="width: expression(alert(1))">x</p>', "CSS expression"),
])
def test_check_safe_rejects_active_content(tmp_path, body, expect):
    problems = report.check_safe(_write(tmp_path, _page(body)), set())
    assert any(expect in p for p in problems), problems


def test_check_safe_accepts_our_own_embedded_images(tmp_path):
    svg = base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>').decode()
    body = (f'<img src="data:image/png;base64,iVBORw0KGgo="><img src="data:image/svg+xml;base64,{svg}">'
            '<a href="#fig-1">Figure 1</a>')
    assert report.check_safe(_write(tmp_path, _page(body)), set()) == []


NUMERIC_IDS = {"1", "13", "100", "1234567"}


def test_numeric_ids_do_not_trip_on_counts(tmp_path):
    body = (COUNTS.format(rows="<tr><td>M</td><td>13</td></tr><tr><td>F</td><td>100</td></tr>")
            + "<p>13 offenders and 100 victims; 1 group; offenders: 13; section 1.13; 1,234,567 rows.</p>"
            + "<h2><span>1</span> Crimes</h2>")
    assert report.check_safe(_write(tmp_path, _page(body)), NUMERIC_IDS) == []


@pytest.mark.parametrize("body,found", [
    ("<p>The first is person 13.</p>", "13"),
    ("<p>offender #100 leads</p>", "100"),
    ("<p>ID: 1</p>", "1"),
    ("<table><thead><tr><th>Person id</th><th>n</th></tr></thead><tbody><tr><td>13</td><td>9</td></tr>"
     "</tbody></table>", "13"),
    ("<p>Record 1234567 shows</p>", "1234567"),
])
def test_numeric_ids_in_identifier_positions_are_caught(tmp_path, body, found):
    problems = report.check_safe(_write(tmp_path, _page(body)), NUMERIC_IDS)
    assert f"identifier {found} appears in the report" in problems, problems


# --- restricted notebooks -----------------------------------------------------------------------------

def test_a_restricted_notebook_never_reaches_the_report(run_dir):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["cse_network"] = {"audience": "restricted"}
    nb.cells = [nbformat.v4.new_markdown_cell("# Tasking pack\n\nFirst to disrupt: P0000003.")]
    nbformat.write(nb, run_dir / "notebooks" / "07_tasking_pack.ipynb")
    assert report.is_restricted(run_dir / "notebooks" / "07_tasking_pack.ipynb")
    assert not report.is_restricted(run_dir / "notebooks" / "04_descriptive_plots.ipynb")
    html_text = report.render(run_dir, MANIFEST).read_text()
    assert "Tasking pack" not in html_text and "P0000003" not in html_text


def test_figure_with_nothing_to_show_is_a_sentence(monkeypatch):
    outputs = _capture(monkeypatch)
    report.figure(plots.nothing_to_show("the full table holds no crime"), "Crimes per year")
    assert [o["data"] for o in outputs] == [
        {"text/markdown": "*Crimes per year*: not drawn, because the full table holds no crime."}]
    assert report.figure_png(plots.nothing_to_show("x")).startswith(b"\x89PNG")


def test_since_the_last_run_section_shows_suppressed_aggregates_only(tmp_path):
    out = tmp_path / "run"
    store.write_table(out, "changes_summary", pd.DataFrame(
        {"measure": ["groups same", "groups new", "people moved"], "count": [12, 3, 40]}))
    text = report._changes_section(out, 5)
    assert text.startswith("# Since the last run")
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", text)
    assert cells == ["Groups same", "12", "Groups new", "&lt;5", "People moved", "40"]
    assert report._changes_section(tmp_path / "no-run", 5) is None


def test_stability_sentence_reads_the_stability_table_and_never_repeats_one_number(tmp_path):
    out = tmp_path / "run"
    rows = [("half-lives halved", "people in the top groups by priority", 0.9, 0.8),
            ("10% of links removed", "people in the top groups by priority", 0.75, 0.72),
            ("10% of links removed", "nominals by PageRank", 0.1, 0.05)]
    store.write_table(out, "stability", pd.DataFrame(
        [dict(scenario=a, ranking=b, measure="Jaccard overlap of the top k", k=10, n_runs=2, mean=m, min=lo)
         for a, b, m, lo in rows]))
    text = report._stability_sentence(out)
    assert "are stable" in text and "is 0.72 to 0.90 across 2 scenarios" in text
    store.write_table(out, "stability", pd.DataFrame(
        [dict(scenario="x", ranking="people in the top groups by priority", measure="m", k=10, n_runs=1,
              mean=0.4, min=0.4)]))
    text = report._stability_sentence(out)
    assert "change a lot" in text and "is 0.40 across 1 scenarios" in text and "0.40 to 0.40" not in text


def test_a_count_whose_header_names_a_percentage_target_prints_as_a_whole_number():
    df = pd.DataFrame({"People removed to leave no set over 1% of people": pd.array([368, None], dtype="Int64"),
                       "Missing %": [12.345, 0.0]})
    html = report.table_html(df, "t", count_cols=[], suppress_below=5)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", html)
    assert cells == ["368", "12.3", "", "0.0"]
