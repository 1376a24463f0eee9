"""Display for notebooks and the report: prose (`md`), tables (`table`, escaped HTML), figures, one label map.

Every source value reaches the report as text through `text` / `html_text` (ADR 0010).
"""
from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from IPython.display import display

from .. import labels, plots
from .disclosure import SECONDARY_MARK, suppress

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


# The one label map (config/labels.yml): column headers, ledger stages and rule words.
HEADERS = labels.COLUMNS
STAGES = labels.STAGES
RULE_WORDS = labels.RULES


def rule_label(rules) -> str:
    """Matched selection rules for people: 'title|mo' -> 'title + MO'."""
    if rules is None or (not isinstance(rules, str) and pd.isna(rules)):
        return ""
    return labels.rule_words(rules)


def _plain_number_col(name: str) -> bool:
    """Columns holding ids, seeds or years: integers shown without thousands separators."""
    return bool(re.search(r"(^|[^a-z])(seed|year|id|run)([^a-z]|$)", str(name).lower()))


def _pct_col(name: str) -> bool:
    """A column of percentages ("Missing %", "missing_pct"); "... over 1% of people" is a count."""
    return bool(re.search(r"(?<![\d.])%", str(name))) or str(name).lower().endswith("_pct")


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
