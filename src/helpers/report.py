"""Notebook-facing display helpers, the report's own sections, the HTML render and its safety check.

Notebooks show prose, tables and figures only through ``md``, ``table`` and
``figure``, so small-count suppression and captions are applied in one place:

- ``md(text)`` emits a ``text/markdown``-only output (pandoc ignores Markdown
  when a ``text/plain`` twin is present, and nbval compares it as text).
- ``table(df, caption, count_cols)`` emits a pipe table inside a fenced div
  ``::: {.counts data-count-cols=... data-suppress-below=...}`` so the rendered
  HTML can be checked for unsuppressed counts (``check_safe``).
- ``figure(plot, caption)`` emits the PNG (fixed size and dpi) with the caption
  in the output metadata and as its ``text/plain`` (no memory address, so nbval
  passes); ``report/filter.lua`` turns it into a numbered, captioned figure.

``render(run_dir, manifest)`` writes the sections that belong to no notebook
(front: summary, terminology, aim; back: limitations, appendix) from
``report/templates/*.md`` filled with the run's numbers, wraps them as
markdown-only notebooks and calls pandoc once on front + executed notebooks +
back. It then refuses the file (raises ``ReportSafetyError``) if
``check_safe`` finds any identifier, unsuppressed count or off-file reference.
"""
from __future__ import annotations

import base64
import html
import re
import subprocess
import urllib.parse
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import yaml
from IPython.display import display

from . import plots
from .config import ROOT, resolve_path

REPORT_DIR = ROOT / "report"
TEMPLATES = REPORT_DIR / "templates"
CSS = REPORT_DIR / "style.css"
FILTER = REPORT_DIR / "filter.lua"
TITLE = "Child sexual exploitation networks"
SUBTITLE = "Identification, harm and priorities: report to the Data Ethics Committee"

# Columns of the run's tables that hold identifiers; none may appear in the HTML.
PERSON_COLUMNS = ("offender_id", "victim_id", "offender_a", "offender_b", "person_id", "person_a",
                  "person_b")
CRIME_COLUMNS = ("crime_id", "crime_a", "crime_b")


class ReportSafetyError(RuntimeError):
    """The rendered report would disclose something it must not; the message lists what."""


# --- notebook-facing helpers ---------------------------------------------------------

def fmt_count(n, below: int = 5) -> str:
    """A count for prose: '<5' when 0 < n < below, else with thousands separators."""
    return plots.suppressed_label(n, below)


def counter(below: int = 5) -> Callable[[Any], str]:
    """`fmt_count` with the run's threshold fixed, for notebook prose: ``n = report.counter(5); n(3) == '<5'``."""
    def n(x: Any) -> str:
        return fmt_count(int(x), below)
    return n


pct = plots.pct  # one home for percentages in prose ('–' when the whole is zero)


def _cell(v) -> str:
    if isinstance(v, (list, tuple)):
        return ", ".join(_cell(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k} {_cell(x)}" for k, x in v.items())
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if v.is_integer() and abs(v) >= 1000:
            return f"{int(v):,}"
        return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, pd.Timestamp):
        v = v.date().isoformat()
    v = str(v)
    # ISO dates with non-breaking hyphens, so a narrow column never splits a date over two lines
    return v.replace("-", "\u2011") if re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) else v


# Raw column names some tables carry, and their headers in the report.
HEADERS = {"rows_in": "Rows in", "rows_excluded": "Excluded", "rows_out": "Rows out",
           "missing_pct": "Missing %", "matched_rules": "Matched rules", "stage": "Stage", "rule": "Rule",
           "unit": "Unit"}
# Raw values of stage / rule columns, and how the report writes them.
STAGES = {"extraction": "Extraction", "selection": "Selection", "full_table": "Full table",
          "final_table": "Final table", "linking": "Linking"}
RULE_WORDS = {"title": "title", "if_code": "crime flag", "mo": "MO"}


def rule_label(rules) -> str:
    """Matched selection rules for people: 'title|mo' -> 'title + MO'."""
    if rules is None or (not isinstance(rules, str) and pd.isna(rules)):
        return ""
    return " + ".join(RULE_WORDS.get(r, r) for r in str(rules).split("|") if r)


def _plain_number_col(name: str) -> bool:
    """Columns holding ids, seeds or years: integers shown without thousands separators."""
    return bool(re.search(r"(^|[^a-z])(seed|year|id|run)([^a-z]|$)", str(name).lower()))


def _pct_col(name: str) -> bool:
    return "%" in str(name) or str(name).lower().endswith("_pct")


def _format_column(col: pd.Series, name: str) -> pd.Series:
    if _pct_col(name):
        return col.map(lambda v: f"{float(v):.1f}" if isinstance(v, (int, float, np.integer, np.floating))
                       and not pd.isna(v) else v).astype("object")
    if _plain_number_col(name):
        return col.map(lambda v: str(int(v)) if isinstance(v, (int, np.integer)) or
                       (isinstance(v, (float, np.floating)) and not pd.isna(v) and float(v).is_integer())
                       else v).astype("object")
    if str(name) in ("matched_rules", "Matched rules"):
        return col.map(rule_label).astype("object")
    if str(name) in ("stage", "Stage"):
        return col.map(lambda v: STAGES.get(v, v) if isinstance(v, str) else v).astype("object")
    return col


# --- source values are text -------------------------------------------------------------------
#
# Every value that comes from the source (offence titles, SOC link types, establishment names, rule
# names, ...) reaches the report through exactly one of these two functions, so that neither pandoc
# nor a browser can read it as markup (ADR 0010).

_MD_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")   # every ASCII punctuation character


def text(value) -> str:
    """A value for Markdown prose, as literal text: every ASCII punctuation character is
    backslash-escaped (pandoc's rule: any escaped punctuation is a literal character) and line
    breaks become spaces, so `*x*`, `<b>`, `$m$`, `| a |` and `\\<img ...>` all print as typed."""
    s = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    return _MD_PUNCT.sub(r"\\\1", re.sub(r"\s*[\r\n]+\s*", " ", s))


def html_text(value) -> str:
    """A value for an HTML text node or attribute: &, <, >, quotes and backticks as entities
    (a backtick could otherwise close the Markdown fence the table travels in), lines joined."""
    s = "" if value is None else str(value)
    return html.escape(re.sub(r"\s*[\r\n]+\s*", " ", s), quote=True).replace("`", "&#96;")


# --- disclosure control -------------------------------------------------------------------------
#
# Primary suppression hides counts from 1 to below-1. Secondary suppression then hides further
# cells wherever a hidden count could be worked out by subtraction from what the table still shows.
# A table states what the reader can add up through three optional arguments:
#
# - complements: tuples of columns (total, part, part, ...) with total = sum of parts on every row
#   (e.g. ("rows_in", "rows_out", "rows_excluded") in an exclusions ledger);
# - totals: count columns whose column sum the reader knows (a total row, a share column, a sum
#   stated in the text);
# - chain: (out_col, in_col) for a waterfall, where a later row's in_col repeats an earlier row's
#   out_col (the ledger's rows_out of one rule is the rows_in of the next): the two cells are equal.
#
# Each relation is a linear constraint over cells. While some constraint has exactly one hidden cell,
# its smallest shown non-zero cell (then any shown cell) is hidden as well. The loop ends because
# every pass hides at least one more cell of a finite table.

PRIMARY, SECONDARY = "primary", "secondary"
SECONDARY_MARK = "[c]"


def _constraints(vals: pd.DataFrame, complements, totals, chain, group_cols) -> list[list[tuple[int, str]]]:
    out: list[list[tuple[int, str]]] = []
    n = len(vals)
    for cols in complements or ():
        out += [[(r, c) for c in cols] for r in range(n)]
    for c in totals or ():
        if n > 1:
            out.append([(r, c) for r in range(n)])
    if chain:
        c_out, c_in = chain
        keys = (list(zip(*(group_cols[g] for g in group_cols), strict=False)) if group_cols else [()] * n)
        for i in range(n):
            for j in range(i + 1, n):
                if keys[j] == keys[i] and vals.iat[j, vals.columns.get_loc(c_in)] == \
                        vals.iat[i, vals.columns.get_loc(c_out)]:
                    out.append([(i, c_out), (j, c_in)])
                    break
    return out


def disclosure(df: pd.DataFrame, count_cols: list[str], below: int = 5, complements=None, totals=None,
               chain: tuple[str, str] | None = None, group_cols: list[str] | None = None) -> pd.DataFrame:
    """Which cells of `count_cols` to hide: a frame of '' (shown), 'primary' or 'secondary'.

    Primary: 0 < n < below. Secondary: cells hidden so that no primary cell can be recovered by
    subtraction through `complements`, `totals` or `chain` (see the comment above). `group_cols`
    limits a chain to rows that agree on those columns (e.g. the ledger's unit)."""
    vals = pd.DataFrame({c: pd.to_numeric(df[c], errors="coerce") for c in count_cols}).reset_index(drop=True)
    state = pd.DataFrame("", index=vals.index, columns=count_cols, dtype=object)
    state[(vals > 0) & (vals < below)] = PRIMARY
    used = {c for cols in (complements or ()) for c in cols} | set(totals or ()) | set(chain or ())
    missing = used - set(count_cols)
    if missing:
        raise ValueError(f"disclosure: {sorted(missing)} are used in totals/complements/chain but are "
                         f"not count columns {count_cols}")
    groups = {g: list(df[g].astype(str)) for g in (group_cols or [])}
    cons = _constraints(vals, complements, totals, chain, groups)
    changed = True
    while changed:
        changed = False
        for cells in cons:
            hidden = [x for x in cells if state.at[x]]
            if len(hidden) != 1:
                continue
            shown = [x for x in cells if not state.at[x] and pd.notna(vals.at[x])]
            pick = sorted((x for x in shown if vals.at[x] > 0), key=lambda x: (vals.at[x], x)) or shown
            if pick:
                state.at[pick[0]] = SECONDARY
                changed = True
    return state


def suppress(df: pd.DataFrame, count_cols: list[str], below: int = 5, complements=None, totals=None,
             chain: tuple[str, str] | None = None, group_cols: list[str] | None = None,
             derived: dict[str, str] | None = None) -> pd.DataFrame:
    """The table as shown: counts under `below` (but above 0) become '<below'; cells hidden by
    secondary suppression become '[c]'; a `derived` column (e.g. a share, {"Share": "Frequency"})
    is hidden wherever its count is."""
    out = df.copy().reset_index(drop=True)
    state = disclosure(out, count_cols, below, complements, totals, chain, group_cols)
    for c in count_cols:
        out[c] = out[c].astype("object").where(state[c] != PRIMARY, f"<{below}")
        out[c] = out[c].where(state[c] != SECONDARY, SECONDARY_MARK)
    for c, src in (derived or {}).items():
        out[c] = out[c].astype("object").where(state[src] == "", SECONDARY_MARK)
    out.index = df.index
    return out


def table_html(df: pd.DataFrame, caption: str, count_cols: list[str] | None = None, suppress_below: int = 5,
               complements=None, totals=None, chain: tuple[str, str] | None = None,
               group_cols: list[str] | None = None, derived: dict[str, str] | None = None) -> str:
    """A suppressed, captioned table as an escaped HTML block inside a checkable fenced div.

    The table travels as a raw HTML block (```` ```{=html} ````) whose every cell and the caption
    went through `html_text`; report/filter.lua reads it with pandoc's HTML reader, which makes
    each cell plain text (ADR 0010), so no source value can become markup. Column names may be the
    raw ones (`rows_in`) or headers; `HEADERS` maps the raw ones. The disclosure arguments are
    those of `suppress` (column names as given or as headers)."""
    df = df.rename(columns=HEADERS)
    def name(c: str) -> str:
        return str(HEADERS.get(c, c))

    count_cols = [name(c) for c in (count_cols or [])]
    complements = [tuple(name(c) for c in cols) for cols in (complements or [])]
    shown = suppress(df, count_cols, suppress_below, complements, [name(c) for c in (totals or [])],
                     (name(chain[0]), name(chain[1])) if chain else None,
                     [name(c) for c in (group_cols or [])],
                     {name(k): name(v) for k, v in (derived or {}).items()})
    for c in shown.columns:
        if c not in count_cols:
            shown[c] = _format_column(shown[c], c)
    numeric = [pd.api.types.is_numeric_dtype(df[c]) or c in count_cols for c in df.columns]
    align = ['style="text-align: right;"' if num else 'style="text-align: left;"' for num in numeric]
    head = "".join(f"<th {a}>{html_text(h)}</th>" for h, a in zip(shown.columns, align, strict=False))
    body = "".join("<tr>" + "".join(f"<td {a}>{html_text(_cell(v))}</td>"
                                   for v, a in zip(row, align, strict=False)) + "</tr>"
                   for row in shown.itertuples(index=False))
    if len(shown) == 0:
        body = "<tr>" + "".join(f"<td {a}></td>" for a in align) + "</tr>"
    secondary = (shown[count_cols] == SECONDARY_MARK).any().any() if count_cols and len(shown) else False
    if secondary:
        caption = (f"{caption} ({SECONDARY_MARK}: withheld so that a count below {suppress_below} "
                   "cannot be worked out by subtraction)")
    table = (f'<table class="cse-table"><caption>{html_text(caption)}</caption><thead><tr>{head}</tr></thead>'
             f"<tbody>{body}</tbody></table>")
    cols_attr = html_text("|".join(count_cols)).replace("&quot;", "")
    return (f'::: {{.counts data-count-cols="{cols_attr}" data-suppress-below="{int(suppress_below)}"}}\n'
            f"```{{=html}}\n{table}\n```\n:::\n")


table_markdown = table_html  # the name notebooks and older code use


def md(markdown: str) -> None:
    """Markdown prose whose numbers come from the run (a text/markdown-only output). Source values
    inside it must go through `report.text` (see ADR 0010)."""
    display({"text/markdown": markdown}, raw=True)


def table(df: pd.DataFrame, caption: str, count_cols: list[str] | None = None, suppress_below: int = 5,
          complements=None, totals=None, chain: tuple[str, str] | None = None,
          group_cols: list[str] | None = None, derived: dict[str, str] | None = None) -> None:
    """A captioned table; counts in `count_cols` below `suppress_below` show as '<N', and cells that
    would let one be recovered by subtraction (see `disclosure`) as '[c]'."""
    md(table_html(df, caption, count_cols, suppress_below, complements, totals, chain, group_cols, derived))


def exclusions_table(ex: pd.DataFrame, caption: str, suppress_below: int = 5) -> None:
    """An exclusions ledger (rows_in = rows_out + rows_excluded per rule; a rule's rows_out is the
    next rule's rows_in), suppressed so that no small exclusion can be recovered by subtraction."""
    md(ledger_html(ex, caption, suppress_below))


def ledger_html(ex: pd.DataFrame, caption: str, suppress_below: int = 5) -> str:
    counts = [c for c in ("rows_in", "rows_out", "rows_excluded") if c in ex]
    comp = [tuple(counts)] if len(counts) == 3 else None
    chain = ("rows_out", "rows_in") if {"rows_in", "rows_out"} <= set(counts) else None
    groups = [c for c in ("stage", "unit") if c in ex]
    return table_html(ex, caption, counts, suppress_below, complements=comp, chain=chain, group_cols=groups)


def figure_png(plot, width: float | None = None, height: float | None = None, dpi: int = 150) -> bytes:
    """The plot as PNG bytes at a fixed size and dpi (the plot's own size when not given)."""
    import io
    import warnings

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    if isinstance(plot, plots.NothingToShow):
        # a caller that embeds the PNG itself gets a small image that says so in words
        fig = plt.figure(figsize=(width or 7.5, min(height or 1.2, 1.2)))
        fig.text(0.5, 0.5, f"Not drawn: {plot.reason}.", ha="center", va="center", fontsize=10, wrap=True)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
        plt.close(fig)
        return buf.getvalue()
    if width is not None or height is not None:
        from plotnine import theme
        w, h = plot.theme.getp("figure_size") if plot.theme is not None else (7.5, 3.6)
        plot = plot + theme(figure_size=(width or w, height or h))
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fig = plot.draw()
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def figure(plot, caption: str, width: float | None = None, height: float | None = None, dpi: int = 150) -> None:
    """A captioned figure: PNG output with the caption in its metadata and as its text. Given a
    `plots.NothingToShow` instead of a plot, a sentence saying so (no empty or broken figure)."""
    if isinstance(plot, plots.NothingToShow):
        md(plot.sentence(caption))
        return
    png = figure_png(plot, width, height, dpi)
    display({"image/png": base64.b64encode(png).decode(), "text/plain": f"Figure: {caption}"},
            raw=True, metadata={"image/png": {"caption": caption}})


# --- tables of the run -----------------------------------------------------------------

def _read(run_dir: Path, name: str, columns: list[str] | None = None) -> pd.DataFrame | None:
    f = Path(run_dir) / "tables" / f"{name}.parquet"
    if not f.exists():
        return None
    if columns is not None:
        have = set(pq.read_schema(f).names)
        columns = [c for c in columns if c in have]
    return pd.read_parquet(f, columns=columns)


def identifiers(run_dir: str | Path) -> set[str]:
    """Every person and crime id in the run's tables (the report must show none of them)."""
    ids: set[str] = set()
    for f in sorted((Path(run_dir) / "tables").glob("*.parquet")):
        cols = [c for c in pq.read_schema(f).names if c in PERSON_COLUMNS + CRIME_COLUMNS]
        if cols:
            df = pd.read_parquet(f, columns=cols)
            for c in cols:
                ids.update(str(v) for v in df[c].dropna().unique())
    return ids


table_facts = plots.table_facts  # one home: the numbers are computed in plots (stage 04)


def excluded_rows(exclusions: pd.DataFrame, rule_prefix: str) -> int:
    """Rows excluded by the ledger rules whose name starts with `rule_prefix` (0 if none)."""
    hit = exclusions["rule"].astype(str).str.startswith(rule_prefix)
    return int(exclusions.loc[hit, "rows_excluded"].sum())


# --- the report's own sections -----------------------------------------------------------

def _template(name: str, **values) -> str:
    return (TEMPLATES / f"{name}.md").read_text(encoding="utf-8").format(**values)


def _years(start: str, end: str) -> tuple[str, str, int]:
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    return str(s.year), str(e.year), e.year - s.year + 1


def long_date(value) -> str:
    """'15 March 2021' for a date (or ISO text); '–' for a missing one."""
    if value is None or pd.isna(value):
        return "–"
    t = pd.Timestamp(value)
    return f"{t.day} {t.strftime('%B %Y')}"


_long_date = long_date


BAND_ORDER = ("high", "medium", "low")


def _flag_count(df: pd.DataFrame, col: str) -> int:
    return int(df[col].fillna(False).astype(bool).sum())


def _group_concentration(run_dir: Path) -> pd.DataFrame | None:
    """The group-level rows of `harm_concentration` (notebook 05), if the table has them."""
    hc = _read(run_dir, "harm_concentration")
    if hc is None or not len(hc):
        return None
    unit_col = next((c for c in ("unit", "level", "of") if c in hc), None)
    if unit_col is None:
        return None
    g = hc.loc[hc[unit_col].astype(str).str.lower().str.startswith("group")]
    return g if len(g) else None


def _concentration_sentence(run_dir: Path) -> str | None:
    """Concentration of harm over groups, quoted only from the table the report shows."""
    g = _group_concentration(run_dir)
    if g is None or "harm_share" not in g:
        return None
    idx = g["index"].astype(str).str.lower() if "index" in g else pd.Series("cchi", index=g.index)
    g = g.loc[idx.str.contains("cchi")] if idx.str.contains("cchi").any() else g
    top = g.loc[np.isclose(g["top_share"].astype(float), 0.1)] if "top_share" in g else g.iloc[0:0]
    if not len(top):
        return None
    share = float(top["harm_share"].iloc[0])
    ratio = share / 0.1
    if ratio >= 3:
        how = "harm is strongly concentrated"
    elif ratio >= 1.5:
        how = "harm is moderately concentrated"
    else:
        how = "harm is spread fairly evenly"
    return (f"The most harmful 10% of groups hold {100 * share:.0f}% of the groups' CCHI harm "
            f"({how}; table *Concentration of harm* in the harm section).")


def _safeguarding_counts(run_dir: Path) -> dict[str, int]:
    """safeguarding_summary as {measure: count} (empty when the table is absent)."""
    sg = _read(run_dir, "safeguarding_summary")
    if sg is None or not len(sg) or not {"measure", "count"} <= set(sg.columns):
        return {}
    return {str(m): int(n) for m, n in zip(sg["measure"], sg["count"], strict=False) if pd.notna(n)}


def _sg(c: dict[str, int], prefix: str) -> int:
    """The count of the first measure starting with `prefix` (0 when absent)."""
    return next((n for m, n in c.items() if m.startswith(prefix)), 0)


def _safeguarding_sentence(run_dir: Path, below: int) -> str | None:
    c = _safeguarding_counts(run_dir)
    if not c:
        return None
    return (f"Children first: {fmt_count(_sg(c, 'children now (at'), below)} people in the network are children "
            f"at the extraction date and {fmt_count(_sg(c, 'children now in the dismantling set'), below)} of them "
            f"are in any disruption order; {fmt_count(_sg(c, 'child victims behind'), below)} child victims sit "
            f"behind the links, {fmt_count(_sg(c, 'child victims linked to two'), below)} of them linked to two or "
            "more offenders. Every child is routed to safeguarding (the multi-agency safeguarding hub), never to "
            "enforcement.")


def _changes_section(run_dir: Path, below: int) -> str | None:
    """'Since the last run' (issue 11): aggregates of tables/changes_summary, when --compare-with was given."""
    ch = _read(run_dir, "changes_summary")
    if ch is None or not len(ch) or not {"measure", "count"} <= set(ch.columns):
        return None
    shown = pd.DataFrame({"Change": ch["measure"].astype(str).str.capitalize(), "Count": ch["count"]})
    return ("# Since the last run\n\nThis run was compared with an earlier one (`--compare-with`). "
            "Groups are matched by "
            "membership: a group keeps its stable id while at least half of the people of the two versions are the "
            "same (Jaccard >= 0.5); new ids go to new groups. The identifiers are in `tables/changes_groups` and "
            "`tables/changes_people` and in the intelligence pack.\n\n"
            + table_markdown(shown, "Groups and people since the last run", ["Count"], below))


def _safeguarding_section(run_dir: Path, below: int, max_victim_age: int) -> str:
    c = _safeguarding_counts(run_dir)
    n = lambda prefix: fmt_count(_sg(c, prefix), below)  # noqa: E731
    if not c:
        none = "No safeguarding table was produced in this run."
        return _template("safeguarding", children=none, victims=none, overlap=none)
    children = (f"The network holds {n('children now (at')} people who are children (aged {max_victim_age} or under) "
                f"at the extraction date; {n('children now in the dismantling set')} of them are in the dismantling "
                f"order and {n('children now in the top')} in its top places (the goal, and the rule, is zero). "
                f"{n('adults who offended as children')} adults offended as children: they are a category of their "
                "own, routed to offender management with that history in view, not counted as children now.")
    victims = (f"{n('child victims behind')} child victims sit behind the final-table links: "
               f"{n('child victims linked to two')} are linked to two or more offenders, "
               f"{n('child victims of offenders in high')} are victims of offenders in high-priority groups and "
               f"{n('child victims still children')} are still children at the extraction date.")
    overlap = (f"{n('victim-offenders')} people are both a victim and an offender of a sexual or exploitation "
               "offence (the rule is narrowed to those offences by default, `config/safeguarding.yml`). They are "
               "routed to a safeguarding review before any tasking: being exploited can come before offending.")
    return _template("safeguarding", children=children, victims=victims, overlap=overlap)


def _stability_sentence(run_dir: Path) -> str | None:
    """How stable the top groups are, from the stability table notebook 05 shows (one wording)."""
    st = _read(run_dir, "stability")
    if st is None or not len(st) or not {"ranking", "mean", "min"} <= set(st.columns):
        return None
    top = st.loc[st["ranking"].astype(str).str.contains("top groups", case=False)]
    if not len(top):
        return None
    lo, hi = float(top["min"].min()), float(top["mean"].max())
    word = ("change a lot" if lo < 0.5 else "change noticeably" if lo < 0.7 else "are stable")
    span = f"{lo:.2f}" if round(lo, 2) == round(hi, 2) else f"{lo:.2f} to {hi:.2f}"
    n = top["scenario"].nunique() if "scenario" in top else len(top)
    return (f"The people in the ten highest-priority groups {word} when the inputs are perturbed: their overlap "
            f"(Jaccard) with the unperturbed run is {span} across {n} scenarios (lowest run to best mean; "
            "target 0.70; stability table in the harm section). Even so, the list is a starting point for an "
            "analyst's review, not a ranking to act on directly.")


def _harm_status_sentence(p: dict) -> str | None:
    f = resolve_path(p.get("harm_weights", "data/reference/harm_weights.csv"))
    if not f.exists():
        return None
    w = pd.read_csv(f, dtype=str)
    if "status" not in w or "ho_code" not in w:
        return None
    code = w["ho_code"].astype(str).str.extract(r"^(\d+)")[0].astype(float)
    sexual = code.between(16, 27) | code.isin([70, 71, 72, 73, 74, 86, 88])
    st = w.loc[sexual, "status"].fillna("unstated").str.lower()
    if not len(st):
        return None
    if (st == "illustrative").all():
        return ("All harm weights for sexual offences are illustrative placeholders, not official "
                "CCHI or ONS values: harm figures rank groups but their absolute values must not be quoted.")
    return (f"{(st == 'illustrative').sum()} of {len(st)} harm weights for sexual offences are illustrative "
            "placeholders, not official values.")


def _network_sentences(run_dir: Path, below: int) -> list[str]:
    """Summary bullets from notebook 05's tables, written only for columns that exist."""
    out = []
    nodes = _read(run_dir, "network_nodes", ["person_id", "group_id", "is_cse_offender", "in_soc_network"])
    groups = _read(run_dir, "network_groups", ["group_id", "n_people", "harm_cchi", "harm_ons",
                                               "priority_band"])
    if nodes is not None and len(nodes):
        s = f"The network joins {fmt_count(len(nodes), below)} people"
        if "is_cse_offender" in nodes:
            n_cse = fmt_count(_flag_count(nodes, 'is_cse_offender'), below)
            s += f", {n_cse} of them CSE offenders from the full table"
        if groups is not None:
            s += f", in {fmt_count(len(groups), below)} groups"
        out.append(s + ".")
        if "in_soc_network" in nodes:
            soc = nodes["in_soc_network"].fillna(False).astype(bool)
            n_soc = int(soc.sum())
            s = f"{fmt_count(n_soc, below)} people in the CSE network are also SOC nominals"
            soc_total = None
            so = _read(run_dir, "soc_overlap")
            if so is not None and {"measure", "value"} <= set(so.columns):
                hit = so.loc[so["measure"].astype(str) == "people in the SOC network", "value"]
                soc_total = int(hit.iloc[0]) if len(hit) else None
            if soc_total:
                s += f" ({pct(n_soc, soc_total)} of the {fmt_count(soc_total, below)} SOC nominals)"
            if "is_cse_offender" in nodes:
                n_both = int((soc & nodes["is_cse_offender"].fillna(False).astype(bool)).sum())
                s += (f"; {fmt_count(n_both, below)} of them are CSE offenders, the others are in "
                      "the network through intelligence, prison or SOC links")
            out.append(s + ".")
    conc = _concentration_sentence(run_dir)
    if conc:
        out.append(conc)
    if groups is not None and "priority_band" in groups and len(groups):
        bands = groups["priority_band"].astype(str).value_counts()
        order = [b for b in BAND_ORDER if b in bands] + sorted(b for b in bands.index if b not in BAND_ORDER)
        out.append("Groups by priority band: " + ", ".join(
            f"{b} {fmt_count(int(bands[b]), below)}" for b in order) + ".")
    sg = _safeguarding_sentence(run_dir, below)
    if sg:
        out.append(sg)
    elif nodes is not None and len(nodes):
        out.append("Children identified in the network (as offenders or as victims who also offend) are "
                   "referred to safeguarding (the multi-agency safeguarding hub) before any enforcement "
                   "tasking; a child is never a target of disruption.")
    return out


def front_matter(run_dir: Path, manifest: dict) -> dict[str, str]:
    """Summary of findings, terminology and aim: Markdown per section file name."""
    p = manifest.get("parameters", {})
    below = int(p.get("suppress_below", 5))
    start, end = str(p.get("summary_start", "2016-01-01")), str(p.get("summary_end", "2020-12-31"))
    y0, y1, n_years = _years(start, end)
    full = _read(run_dir, "full_table", ["crime_id", "offender_id", "victim_id", "crime_date",
                                         "offender_ethnicity"])
    final = _read(run_dir, "final_table", ["offender_a", "crime_a", "offender_b", "crime_b"])
    bullets, figure_md = [], ""
    if full is not None:
        f = table_facts(full, final, start, end)
        bullets.append(f"In the {n_years} years {y0} to {y1}, {fmt_count(f['window_crimes_full'], below)} "
                       "such recorded crimes were identified where at least one identifiable victim and at "
                       "least one identifiable offender were recorded.")
        if final is not None:
            bullets.append(f"Of these, in the same period, {fmt_count(f['window_crimes_final'], below)} crimes "
                           f"({pct(f['window_crimes_final'], f['window_crimes_full'])}) were involved in links "
                           "between offenders through a shared victim. These are the potential CSE crimes.")
        png = figure_png(plots.offender_ethnicity_window(full, start, end), height=3.2)
        bullets.append(f"In the majority of instances the ethnicity of the offender was not recorded in the "
                       f"crimes system: for {f['window_offender_eth_unknown_pct']} of the "
                       f"{fmt_count(f['window_offenders'], below)} offenders with a crime in {y0} to {y1}. "
                       "Their distribution is shown below.")
        figure_md = (f"![Distribution of offender ethnicities for the period {y0}–{y1}, full table]"
                     f"(data:image/png;base64,{base64.b64encode(png).decode()})")
    bullets += _network_sentences(run_dir, below)
    bullets += [x for x in (_harm_status_sentence(p), _stability_sentence(run_dir)) if x]
    o = source_origin(manifest)
    records = ("the project's synthetic force (generated data: no real person, crime or place)"
               if o.get("synthetic") else "the force's records")
    how = _template("how_to_read", synthetic=_synthetic_note(manifest), below=below, below_minus_one=below - 1)
    summary = how + "\n" + _template("summary", records=records, bullets="\n".join(f"- {b}" for b in bullets),
                                      figure=figure_md,
                        y0=y0, y1=y1, as_of_long=_long_date(str(p.get("as_of", "2021-03-15"))))
    terminology = _template("terminology", min_offender_age=p.get("min_offender_age", 10),
                            max_victim_age=p.get("max_victim_age", 17),
                            child_age=int(p.get("max_victim_age", 17)) + 1)
    aim = _template("aim")
    return {"00_summary": summary, "01_terminology": terminology, "02_aim": aim}


def search_terms_table(terms_file: str | Path) -> pd.DataFrame:
    """The SME's word lists (config/search_terms.yml) as a table: group, how it matches, terms."""
    data = yaml.safe_load(resolve_path(terms_file).read_text())
    names = {"child_words": "Child words (offence title)", "sex_words": "Sex words (offence title)",
             "mo_words": "MO words (modus operandi)"}
    rows = []
    for key, label in names.items():
        for mode in ("prefix", "whole_word"):
            terms = (data.get(key) or {}).get(mode) or []
            if terms:
                rows.append({"Word group": label,
                             "Matches": "start of a word" if mode == "prefix" else "whole word only",
                             "Terms": ", ".join(str(t) for t in terms)})
    rows.append({"Word group": "Crime flags (if_code)", "Matches": "exact code",
                 "Terms": ", ".join(str(c) for c in data.get("if_codes", []))})
    rows.append({"Word group": "Excluded offence types", "Matches": "exact value",
                 "Terms": ", ".join(str(c) for c in data.get("excluded_offence_types", ["DA"]))})
    return pd.DataFrame(rows)


def grading_table(grading_file: str | Path) -> pd.DataFrame:
    """The intelligence grading table of the force report's section 7.2."""
    g = pd.read_csv(resolve_path(grading_file), dtype=str)
    g["Grade"] = g["code"] + " - " + g["meaning"]
    return g.rename(columns={"grading_system": "System", "grade_kind": "Grades the",
                             "included": "Included"})[["System", "Grades the", "Grade", "Included"]]


def _review_text(run_dir: Path, p: dict, below: int) -> str:
    sample = _read(run_dir, "review_sample", ["sampled_for", "reviewer_verdict"])
    if sample is None or not len(sample):
        return "No review sample was drawn in this run."
    per = sample.groupby("sampled_for").size()
    text = (f"A seeded sample of up to {p.get('review_sample_per_rule', 25)} crimes per selection rule "
            f"({len(sample)} crimes over {len(per)} rules) is exported in `tables/review_sample` for "
            "hand-checking each rule's precision.")
    verdicts = sample["reviewer_verdict"].fillna("").astype(str).str.strip() if "reviewer_verdict" in sample else None
    done = verdicts != "" if verdicts is not None else None
    if done is None or not done.any():
        return text + (" At the time of this run no verdicts had been recorded, so **the precision and the "
                       "recall of the keyword search are unmeasured**: the search can both include crimes "
                       "that are not CSA and miss CSA crimes whose records use none of the terms, so the "
                       "counts in this report are neither an upper nor a lower bound on CSA crimes. They "
                       "will be measured once the review sample's verdicts are filled in.")
    assert verdicts is not None  # done is not None only when verdicts is not
    ok = verdicts[done].str.upper().isin(["CSA", "YES", "TRUE", "Y"])
    return text + (f" Of the {int(done.sum())} reviewed, {int(ok.sum())} ({pct(int(ok.sum()), int(done.sum()))}) "
                   "were confirmed as CSA crimes (precision); recall, the share of CSA crimes the search "
                   "finds, is not measured.")


def _mo_only_text(run_dir: Path, below: int) -> str:
    """The MO-only rule: crimes selected by MO words alone, many of which the age rule drops."""
    full = _read(run_dir, "full_table", ["crime_id", "matched_rules"])
    if full is None or "matched_rules" not in full or not len(full):
        return ""
    crimes = full.drop_duplicates("crime_id")
    mo_only = int((crimes["matched_rules"].astype(str) == "mo").sum())
    text = (f"Crimes can be selected by words in the modus operandi alone, without a child-and-sex "
            f"offence title or a crime flag. These MO-only crimes are {fmt_count(mo_only, below)} of the "
            f"{fmt_count(len(crimes), below)} crimes in the full table ({pct(mo_only, len(crimes))}), after "
            "the age rule has dropped the rows without a known child victim. MO words also match crimes "
            "against adults, so this rule depends on the age rule more than the others do: a large share of the "
            "crimes it selects are dropped by that rule (adult victims). The table of selected crimes per "
            "rule combination in the section on identifying CSA crimes gives, for each combination, the "
            "crimes selected and the crimes that reach the full table. Of the rules, MO words alone are the "
            "most likely to be imprecise.")
    sample = _read(run_dir, "review_sample", ["sampled_for"])
    if sample is not None and len(sample):
        n = int((sample["sampled_for"].astype(str) == "mo").sum())
        text += f" The review sample holds {fmt_count(n, below)} MO-only crimes to check this."
    return text


def _harm_weights_text(p: dict) -> str:
    f = resolve_path(p.get("harm_weights", "data/reference/harm_weights.csv"))
    base = ("The harm of each crime is its offence code's Cambridge Crime Harm Index (days) and ONS "
            "Crime Severity Score. ")
    if not f.exists():
        return base + "The harm-weight reference table was not found in this checkout."
    w = pd.read_csv(f, dtype=str)
    if "status" in w.columns:
        counts = w["status"].fillna("unstated").value_counts().sort_index()
        extra = _harm_status_sentence(p)
        base += (extra + " ") if extra else ""
        return base + ("Weights by status in the shipped reference table: "
                       + ", ".join(f"{s}: {n}" for s, n in counts.items())
                       + ". Weights that are not verified against the published sources are illustrative: "
                         "they rank groups consistently but their absolute values must not be quoted.")
    return base + f"The reference table holds {len(w)} offence codes."


def back_matter(run_dir: Path, manifest: dict) -> dict[str, str]:
    """Limitations and the appendix: Markdown per section file name."""
    p = manifest.get("parameters", {})
    below = int(p.get("suppress_below", 5))
    full = _read(run_dir, "full_table", ["offender_id", "victim_id", "offender_ethnicity",
                                         "victim_ethnicity"])
    eth = ""
    if full is not None and len(full):
        for who in ("offender", "victim"):
            people = full.drop_duplicates(f"{who}_id")
            unk = (plots._ethnicity(people[f"{who}_ethnicity"]) == plots.UNKNOWN_ETHNICITY).sum()
            eth += (f"Ethnicity is unknown or not recorded for {fmt_count(unk, below)} of "
                    f"{fmt_count(len(people), below)} {who}s ({pct(unk, len(people))}) in the full table. ")
    stab_md = _stability_sentence(run_dir) or "No stability table was produced in this run."
    if _read(run_dir, "stability") is not None:
        stab_md += (" The full results, per scenario and ranking, are in the stability table of the "
                    "harm section; they are not repeated here.")
    limitations = _template("limitations", review=_review_text(run_dir, p, below),
                            mo_only=_mo_only_text(run_dir, below),
                            ethnicity=eth or "No full table was produced in this run.",
                            harm=_harm_weights_text(p), stability=stab_md)
    appendix = _template(
        "appendix",
        search_terms=table_markdown(search_terms_table(p.get("search_terms", "config/search_terms.yml")),
                                    "Search terms (as in the force report's own appendix 10.2), "
                                    "from config/search_terms.yml"),
        grading=table_markdown(grading_table(p.get("grading_map", "data/reference/intel_grading.csv")),
                               "Intelligence gradings included in the network "
                               "(as in the force report's own section 7.2)"),
        parameters=table_markdown(pd.DataFrame({"Parameter": list(p), "Value": [
            str(v) if isinstance(v, (int, np.integer)) and not isinstance(v, bool) else _cell(v)
            for v in p.values()]}),
                                  "Parameters of this run"),
        exclusions=_exclusions_md(run_dir, below),
        profile=_profile_md(run_dir, below),
        provenance=_provenance_md(manifest),
        proximity=_cell(p.get("proximity_half_life_days", 365)), recency=_cell(p.get("recency_half_life_days", 730)),
        min_cell=p.get("min_cell_share_days", 30))
    use = _safeguarding_section(run_dir, below, int(p.get("max_victim_age", 17)))
    out = {"89_use_and_safeguarding": use, "90_limitations": limitations, "91_appendix": appendix}
    changes = _changes_section(run_dir, below)
    return ({"88_since_the_last_run": changes} if changes else {}) | out


def _exclusions_md(run_dir: Path, below: int) -> str:
    ex = _read(run_dir, "exclusions")
    if ex is None:
        return "No exclusions table was produced in this run."
    shown = ex[[c for c in ("stage", "rule", "unit", "rows_in", "rows_excluded", "rows_out") if c in ex]].copy()
    if "rule" in shown:
        shown["rule"] = shown["rule"].astype(str).str.replace(
            r"\((?:force )?report section 7\.2\)", "(see Appendix: Intelligence grading)", regex=True)
    return ledger_html(shown, "Exclusions waterfall: every row removed, by stage and rule", below)


def _profile_md(run_dir: Path, below: int) -> str:
    prof = _read(run_dir, "data_profile")
    if prof is None:
        return "No data profile was produced in this run."
    prof = prof.copy()
    # min/max are shown only for dates and numbers: for text or key columns they would be values
    # (identifiers) rather than a range.
    if "kind" in prof:
        rangeable = prof["kind"].astype(str).str.contains("date|int|float|num|age", case=False)
        for c in ("min", "max"):
            if c in prof:
                prof[c] = prof[c].where(rangeable, "")
    names = {"table": "Table", "column": "Column", "kind": "Kind", "rows": "Rows", "missing": "Missing",
             "missing_pct": "Missing %", "distinct": "Distinct", "min": "From", "max": "To"}
    shown = prof[[c for c in names if c in prof]].rename(columns=names)
    return table_markdown(shown, "Data-quality profile of the source tables (rows, missing values, "
                          "distinct values, date ranges)", [c for c in ("Rows", "Missing") if c in shown], below)


def _provenance_md(manifest: dict) -> str:
    git = manifest.get("git", {})
    lines = [f"- Run id: `{manifest.get('run_id', 'unknown')}`",
             f"- Code: commit `{git.get('commit', 'unknown')}`"
             + (" (with uncommitted changes)" if git.get("dirty") else ""),
             f"- Command: `{manifest.get('command', '')}`" if manifest.get("command") else ""]
    out = "\n".join(x for x in lines if x) + "\n\n"
    inputs = manifest.get("inputs", {})
    rows = [{"Input": k, "Rows read": v.get("rows_read"), "Rows kept": v.get("rows_kept"),
             "SHA-256": str(v.get("sha256", ""))[:16] + "…"} for k, v in inputs.items() if isinstance(v, dict)]
    if rows:
        df = pd.DataFrame(rows)
        out += table_markdown(df, "Inputs: rows read and kept, and content hashes (first 16 hex digits)",
                              ["Rows read", "Rows kept"], 1) + "\n"
    vers = manifest.get("versions", {})
    if vers:
        out += table_markdown(pd.DataFrame({"Package": list(vers), "Version": list(vers.values())}),
                              "Software versions") + "\n"
    return out


# --- assembling and rendering ----------------------------------------------------------------

def _markdown_notebook(text: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    # As a text/markdown output, like report.md's, so it is read as full pandoc Markdown (fenced
    # divs, definition lists, captions) by filter.lua and by Quarto alike.
    cell = nbformat.v4.new_code_cell("", metadata={"tags": ["generated"]})
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": text})]
    nb.cells = [cell]
    for i, c in enumerate(nb.cells):
        c["id"] = f"generated-{i}"
    return nb


def write_sections(run_dir: Path, manifest: dict) -> tuple[list[Path], list[Path]]:
    """Write the generated sections under report_src/ as Markdown (for Quarto) and as one-output
    notebooks (for the pandoc render); return the notebooks before and after the run's notebooks."""
    src = Path(run_dir) / "report_src"
    src.mkdir(parents=True, exist_ok=True)
    parts = []
    for sections in (front_matter(run_dir, manifest), back_matter(run_dir, manifest)):
        paths = []
        for name, text in sections.items():
            (src / f"{name}.md").write_text(text, encoding="utf-8")
            nbformat.write(_markdown_notebook(text), src / f"{name}.ipynb")
            paths.append(src / f"{name}.ipynb")
        parts.append(paths)
    return parts[0], parts[1]


def combine_notebooks(paths: list[Path], out: Path) -> Path:
    """One notebook holding every cell of `paths`, in order (cell ids made unique)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for i, p in enumerate(paths):
        part = nbformat.read(p, as_version=4)
        for j, cell in enumerate(part.cells):
            cell["id"] = f"n{i}-c{j}"
            nb.cells.append(cell)
    nbformat.write(nb, out)
    return out


def source_origin(manifest: dict) -> dict:
    """The run's source: ``{"synthetic": True, "profile": ..., "seed": ...}`` for the project's own force."""
    return dict((manifest.get("inputs") or {}).get("_origin") or {"synthetic": False})


def _synthetic_note(manifest: dict) -> str:
    o = source_origin(manifest)
    if not o.get("synthetic"):
        return ""
    return (f"**Synthetic data.** Every record behind this report was generated by the project's synthetic-data "
            f"generator (`cse-network synth`, profile {o.get('profile', '?')}, seed {o.get('seed', '?')}): no real "
            "person, crime or place is described. ")


def _metadata(manifest: dict) -> dict:
    p = manifest.get("parameters", {})
    synthetic = bool(source_origin(manifest).get("synthetic"))
    git = manifest.get("git", {})
    commit = str(git.get("commit", "unknown"))[:12]
    below = p.get("suppress_below", 5)
    return {
        "title": TITLE,
        "subtitle": SUBTITLE + (" — synthetic data" if synthetic else ""),
        "date": ("Synthetic data as of " if synthetic else "Data as of ")
        + _long_date(str(p.get("as_of", "2021-03-15"))),
        "author": f"Run {manifest.get('run_id', 'unknown')} · code {commit}",
        "abstract-title": "About this report",
        "abstract": (_synthetic_note(manifest) + "Generated by the `cse-network` pipeline from run "
                     f"`{manifest.get('run_id', 'unknown')}`. "
                     "Every number comes from that run's tables. The report shows aggregates only: no "
                     f"person or crime identifier appears, and counts from 1 to {int(below) - 1} are shown as "
                     f"<{below}."),
        "toc-title": "Contents",
        "lang": "en-GB",
        "pagetitle": f"{TITLE} ({manifest.get('run_id', 'unknown')})",
    }


def pandoc_path() -> str:
    import pypandoc
    return pypandoc.get_pandoc_path()


RESTRICTED = {"cse_network": {"audience": "restricted"}}


def is_restricted(notebook: str | Path) -> bool:
    """A notebook whose metadata says {"cse_network": {"audience": "restricted"}} (it may show ids):
    it never reaches the committee's report."""
    meta = nbformat.read(notebook, as_version=4).metadata.get("cse_network") or {}
    return str(meta.get("audience", "")).lower() == "restricted"


def render(run_dir: str | Path, manifest: dict, notebooks: list[Path] | None = None) -> Path:
    """Render run_dir/report.html from the executed notebooks and the run's tables; check it."""
    run_dir = Path(run_dir)
    if notebooks is None:
        notebooks = sorted((run_dir / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    notebooks = [nb for nb in notebooks if not is_restricted(nb)]
    front, back = write_sections(run_dir, manifest)
    meta = run_dir / "report_src" / "metadata.yml"
    meta.write_text(yaml.safe_dump(_metadata(manifest), allow_unicode=True, sort_keys=True), encoding="utf-8")
    # pandoc concatenates several inputs as text before parsing, which is not valid JSON for
    # notebooks: join the cells into one notebook and make one call.
    combined = combine_notebooks([*front, *notebooks, *back], run_dir / "report_src" / "report.ipynb")
    out = run_dir / "report.html"
    cmd = [pandoc_path(), "-f", "ipynb", "-t", "html5", str(combined),
           "--standalone", "--embed-resources", "--toc", "--toc-depth=3", "--number-sections",
           "--mathml", "--css", str(CSS), "--lua-filter", str(FILTER),
           "--metadata-file", str(meta), "--resource-path", str(run_dir), "-o", str(out)]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=run_dir)
    if res.returncode != 0:
        raise RuntimeError(f"pandoc failed ({res.returncode}): {res.stderr.strip()[:2000]}")
    problems = check_safe(out, identifiers(run_dir))
    if problems:
        bad = out.with_name("report.unsafe.html")
        out.replace(bad)
        raise ReportSafetyError(
            f"The rendered report failed its safety check and was moved to {bad.name}; fix the notebook "
            f"output that shows it: " + "; ".join(problems[:10])
            + (f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""))
    return out


# --- the safety check ------------------------------------------------------------------------

_URL_ATTRS = {"src", "href", "srcset", "poster", "action", "formaction", "data", "background", "xlink:href",
              "cite", "longdesc", "manifest", "icon", "codebase", "archive", "dynsrc", "lowsrc", "ping"}
_FORBIDDEN_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal",
                   "form"}
# data: media types the renderer itself embeds: our PNG figures, SVG (pandoc may embed SVG images),
# fonts and small images from the stylesheet. Anything else (text/html, application/*...) is refused.
_DATA_TYPES = re.compile(r"^data:(image/(png|svg\+xml|gif|jpeg)|font/[a-z0-9.+-]+|application/font-woff2?)"
                         r"(;[a-z0-9=.+-]+)*[;,]", re.I)
# Words that, right before a number in the same text run, make it an identifier ("person 13",
# "offender #13", "id: 13", "nominal no. 13"). Singular only: "offenders: 13" is a count.
_ID_CONTEXT = re.compile(r"\b(?:ids?|person|offender|victim|suspect|nominal|crime|ref|reference|urn|"
                         r"person_id|offender_id|victim_id|crime_id)"
                         r"\s*(?:#|no\.?|number|:|=)?\s*#?([0-9]+)\b", re.I)
# Table headers of identifier columns ("Person id", "offender_id", "Crime ref", "URN").
_ID_HEADER = re.compile(r"(\b|_)(id|ids|identifier|ref|reference|urn)\b", re.I)


def _clean_url(v: str) -> str:
    """An attribute URL as a browser reads it: entities decoded (HTMLParser did), controls and
    blanks removed (`java\\tscript:` is `javascript:`), lower case."""
    return re.sub(r"[\x00-\x20\x7f]+", "", v).lower()


class _Scanner(HTMLParser):
    """Every tag and attribute; the text a reader sees; inline CSS; and the tables of the report
    (header and cells, with the `.counts` spec of the div around them, if any)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.urls: list[tuple[str, str, str]] = []
        self.css: list[str] = []
        self.text: list[str] = []
        self.tables: list[dict] = []
        self._div_stack: list[dict | None] = []
        self._skip = 0               # inside <style> / <script>: not reader-visible text
        self._tstack: list[dict] = []
        self._cell: list[str] | None = None
        self._row: list[tuple[str, str]] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        a = dict(attrs)
        for k, v in attrs:
            if k in _URL_ATTRS and v is not None:
                self.urls.append((tag, k, v.strip()))
            if k == "style" and v:
                self.css.append(v)
            if k in ("alt", "title", "aria-label", "value", "placeholder") and v:
                self.text.append(f" {v} ")
        if tag in ("style", "script"):
            self._skip += 1
        elif tag == "div":
            spec = None
            if "data-count-cols" in a:
                spec = {"cols": [c for c in (a.get("data-count-cols") or "").split("|") if c],
                        "below": int(a.get("data-suppress-below") or 5)}
            self._div_stack.append(spec)
        elif tag == "table":
            spec = next((s for s in reversed(self._div_stack) if s), None)
            self._tstack.append({"spec": spec, "header": [], "rows": []})
        elif self._tstack and tag == "tr":
            self._row = []
        elif self._tstack and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip = max(0, self._skip - 1)
        elif tag == "div" and self._div_stack:
            self._div_stack.pop()
        elif self._tstack and tag in ("td", "th") and self._cell is not None:
            if self._row is not None:
                self._row.append((tag, "".join(self._cell).strip()))
            self._cell = None
        elif self._tstack and tag == "tr" and self._row is not None:
            t = self._tstack[-1]
            if self._row and all(k == "th" for k, _ in self._row) and not t["header"]:
                t["header"] = [x for _, x in self._row]
            else:
                t["rows"].append([x for _, x in self._row])
            self._row = None
        elif tag == "table" and self._tstack:
            self.tables.append(self._tstack.pop())

    def handle_data(self, data):
        if self._skip:
            if self.tags and self.tags[-1][0] == "style":
                self.css.append(data)
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def _number(text: str) -> float | None:
    t = text.replace(",", "").replace("\u2009", "").strip()
    try:
        return float(t)
    except ValueError:
        return None


def _url_problem(where: str, val: str) -> str | None:
    v = _clean_url(val)
    if v.startswith("#") or v == "":
        return None
    if v.startswith("data:"):
        if _DATA_TYPES.match(v):
            return None
        return f"{where} holds a data: URL of a type the report never embeds: {val[:60]}"
    if v.startswith(("javascript:", "vbscript:")):
        return f"{where} is a script URL: {val[:80]}"
    return f"{where} points off the file: {val[:80]}"


def _svg_payloads(urls: list[tuple[str, str, str]]) -> list[str]:
    out = []
    for _, _, v in urls:
        m = re.match(r"data:image/svg\+xml(;[^,]*)?,(.*)", v, flags=re.I | re.S)
        if m:
            body = m.group(2)
            try:
                out.append(base64.b64decode(body).decode("utf-8", "replace") if "base64" in (m.group(1) or "")
                           else urllib.parse.unquote(body))
            except ValueError:
                out.append(body)
    return out


def _markup_problems(scan: _Scanner, where: str = "") -> list[str]:
    problems = []
    for tag, attrs in scan.tags:
        if tag in _FORBIDDEN_TAGS:
            problems.append(f"{where}<{tag}> element (scripts, frames and embedded objects are not allowed)")
        for k, v in attrs:
            if k.startswith("on"):
                problems.append(f"{where}<{tag} {k}=...> event-handler attribute: {str(v)[:60]}")
            if tag == "meta" and k == "http-equiv" and str(v).lower() == "refresh":
                problems.append(f"{where}<meta http-equiv=refresh> (loads another page)")
    for tag, attr, val in scan.urls:
        p = _url_problem(f"{where}<{tag} {attr}>", val)
        if p:
            problems.append(p)
    css = "\n".join(scan.css)
    for m in re.finditer(r"url\(\s*(['\"]?)(.*?)\1\s*\)", css, flags=re.I | re.S):
        p = _url_problem(f"{where}CSS url()", m.group(2).strip())
        if p:
            problems.append(p)
    for m in re.finditer(r"@import\s+(?:url\()?\s*['\"]?([^'\");\s]+)", css, flags=re.I):
        p = _url_problem(f"{where}CSS @import", m.group(1))
        if p:
            problems.append(p)
    if re.search(r"expression\s*\(|behavior\s*:|-moz-binding", css, flags=re.I):
        problems.append(f"{where}CSS expression()/behavior/-moz-binding (scripting in CSS)")
    return problems


def check_safe(html_path: str | Path, person_ids: set[str]) -> list[str]:
    """Problems that make the report unsafe to hand over (empty list = safe).

    It parses the file as a browser would (entities decoded) and checks:

    1. Active content: no <script>, <iframe>, <frame(set)>, <object>, <embed>, <applet>, <base>,
       <form> or <portal> element; no event-handler attribute (any attribute named on*); no
       <meta http-equiv=refresh>; no javascript:/vbscript: URL; no CSS expression()/behavior. The
       same holds inside every embedded SVG image.
    2. Nothing loads from elsewhere: every URL attribute (src, href, srcset, poster, data, ...),
       CSS url() and @import is an #anchor or a data: URL of a type the renderer embeds
       (image/png, image/svg+xml, image/gif, image/jpeg, fonts); text/html or other data: URLs are
       refused.
    3. Identifiers, in identifier positions. Text reader-visible (text nodes, alt/title/aria-label
       values; not <style>, not data: payloads) is checked so:
       - an id with a letter or symbol ('P0000001', 'CR/1') anywhere, as a whole token;
       - a purely numeric id ('1', '13') only where it is an identifier: a whole table cell in a
         column whose header names an identifier (id, person, offender, victim, nominal, ...), or
         a number straight after such a word in text ('person 13', 'offender #13', 'id: 13'); and
         a numeric id of 6 or more digits anywhere as a whole token (no count is printed that way:
         counts carry thousands separators).
       So a count of 13 in prose or in a count column never matches the person id '13'.
    4. Counts: in every table inside a `.counts` div, each declared count column's cells from 1 to
       below-1 must be shown as '<below' (or withheld as '[c]').
    """
    raw = Path(html_path).read_text(encoding="utf-8")
    scan = _Scanner()
    scan.feed(raw)
    scan.close()
    problems = _markup_problems(scan)
    for svg in _svg_payloads(scan.urls):
        inner = _Scanner()
        inner.feed(svg)
        inner.close()
        problems += _markup_problems(inner, "embedded SVG: ")

    ids = {str(i).strip() for i in person_ids if str(i).strip()}
    numeric = {i for i in ids if i.isdigit()}
    textual = ids - numeric
    visible = " ".join(scan.text)
    simple = {i for i in textual if re.fullmatch(r"[A-Za-z0-9_-]+", i)}
    tokens = set(re.findall(r"[A-Za-z0-9_-]+", visible))
    found = sorted(simple & tokens) + sorted(i for i in textual - simple
                                             if re.search(rf"(?<![A-Za-z0-9_-]){re.escape(i)}(?![A-Za-z0-9_-])",
                                                          visible))
    found += sorted(numeric & {m.group(1) for run in scan.text for m in _ID_CONTEXT.finditer(run)})
    found += sorted(i for i in numeric if len(i) >= 6 and i in tokens)
    for t in scan.tables:
        id_cols = [j for j, h in enumerate(t["header"]) if _ID_HEADER.search(h)]
        for row in t["rows"]:
            for j in id_cols:
                if j < len(row) and row[j] in numeric:
                    found.append(row[j])
    found = list(dict.fromkeys(found))
    for i in found[:20]:
        problems.append(f"identifier {i} appears in the report")
    if len(found) > 20:
        problems.append(f"... and {len(found) - 20} more identifiers")

    for t in scan.tables:
        spec, header = t["spec"], t["header"]
        if not spec:
            continue
        for col in spec["cols"]:
            if col not in header:
                problems.append(f"count column {col!r} not found in a counts table (header {header})")
                continue
            j = header.index(col)
            for row in t["rows"]:
                if j < len(row):
                    v = _number(row[j])
                    if v is not None and 0 < v < spec["below"]:
                        problems.append(f"unsuppressed count {row[j]!r} in column {col!r} (below {spec['below']})")
    return problems
