"""Write the pack as ONE self-contained HTML file: inline CSS/JS (itables offline), inline PNGs.

Every value from the source is escaped (`esc`, or itables' own escaping with allow_html off),
so no source value becomes markup. `check_offline` refuses a page that would fetch anything
(an http(s) or protocol-relative src/href, a CSS url() or @import of a remote file).
This module is display only; it holds a minimal escape helper of its own so the pack does not
depend on the committee report's rendering code (candidate for de-duplication).
"""
from __future__ import annotations

import html as _html
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd
from itables import datatables_format as itfmt
from itables import javascript as itjs
from itables import options as itopt

REMOTE_PATTERN = (r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//"""
                  r"""|@import\s+(?:url\()?\s*["']?\s*(?:https?:)?//""")
# The lookahead admits only the letters an alternative can start with, so the engine skips every
# other position at once: the same matches, 3x faster over a 20 MB pack (2.2 -> 0.65 s at force
# scale). Under re.I the class admits the same case variants as the alternatives themselves.
REMOTE = re.compile(r"(?=[shapdu@])(?:" + REMOTE_PATTERN + ")", re.I)

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#17202a;font-size:14px}
.marking{background:#7b241c;color:#fff;font-weight:700;text-align:center;padding:4px 8px;letter-spacing:.03em}
header.marking{position:sticky;top:0;z-index:50}
main{padding:0 1.2rem 2rem}
section{border-top:2px solid #7b241c;margin-top:2rem;padding-top:.2rem}
section>.marking{margin:0 -1.2rem .8rem}
nav ol{columns:3;font-size:13px}
table.plain{border-collapse:collapse;font-size:12.5px;margin:.5rem 0}
table.plain th,table.plain td{border:1px solid #ccd1d1;padding:2px 6px;text-align:left;vertical-align:top}
table.plain th{background:#f2f3f4}
.facts{display:flex;flex-wrap:wrap;gap:.4rem 1.6rem;font-size:13px}
.note{background:#fef9e7;border-left:4px solid #b7950b;padding:.4rem .8rem;margin:.6rem 0}
.routing{color:#7b241c;font-weight:600}
img.net{max-width:100%;height:auto;border:1px solid #e5e7e9}
@media print{header.marking{position:static} section{page-break-before:always} nav{display:none}}
"""

# Applies a search term given in the URL (#search=P00000123) to the nominals table, once it exists.
HASH_SEARCH = """
<script>
(function(){
  const m = decodeURIComponent(location.hash || "").match(/^#search=(.+)$/);
  if (!m) return;
  let tries = 0;
  const t = setInterval(function(){
    const box = document.querySelector("#nominals_wrapper input[type=search], #nominals_wrapper input");
    if (box) { clearInterval(t); box.value = m[1]; box.dispatchEvent(new Event("input", {bubbles: true}));
               box.dispatchEvent(new KeyboardEvent("keyup", {bubbles: true})); }
    if (++tries > 200) clearInterval(t);
  }, 50);
})();
</script>
"""


class NotSelfContained(AssertionError):
    """The page would fetch something at view time."""


def esc(v: object) -> str:
    """Text to HTML-safe text (None/NA as empty)."""
    if v is None or (not isinstance(v, (list, tuple, dict)) and pd.isna(v)):
        return ""
    return _html.escape(str(v), quote=True)


def check_offline(page: str) -> None:
    m = REMOTE.search(page)
    if m:
        raise NotSelfContained(f"the pack would fetch a remote resource near {page[max(0, m.start()-60):m.end()+60]!r}")


def plain_table(df: pd.DataFrame, labels: dict[str, str] | None = None) -> str:
    labels = labels or {}
    head = "".join(f"<th>{esc(labels.get(c, c))}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>"
                   for row in df.itertuples(index=False, name=None))
    return f'<table class="plain"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _strip_links(fragment: str) -> str:
    """itables' help links point at its website; keep their text, drop the link."""
    return re.sub(r"<a\s+href=\s*[\"']?https?://[^>]*>(.*?)</a>", r"\1", fragment, flags=re.S | re.I)


def _format_text_column(x: pd.Series, escape_html: bool, format_floats_in_python: bool,
                        add_rank_to_categories: bool) -> Sequence[Any]:
    """itables' `_format_pandas_series`, in one pass for the columns `datatable` hands it most: object
    columns holding only Python str and int (text, and nullable integers, with missing values as "").

    itables sends such a column through pandas' `format_array`, five Python calls per value (4 of
    the 7 s the nominal list took at force scale). For str and int it gives str(value) with tab,
    carriage return and newline written as escapes (in that order), then & < > escaped: written out
    here, so the page stays byte-identical (tests/unit/test_pack.py compares both on hostile text).
    Any other column goes to itables' own function.
    """
    values = x._values
    if x.dtype == object and all(type(v) is str or type(v) is int for v in values):
        out = [(v if type(v) is str else str(v)).replace("\t", r"\t").replace("\r", r"\r").replace("\n", r"\n")
               for v in values]
        return [v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for v in out] if escape_html else out
    return _ITABLES_FORMAT(x, escape_html, format_floats_in_python, add_rank_to_categories)


_ITABLES_FORMAT = itfmt._format_pandas_series


@contextmanager
def _fast_text_columns() -> Iterator[None]:
    """itables formats with `_format_text_column` while inside (itables is pinned, requirements.lock)."""
    itfmt._format_pandas_series = _format_text_column
    try:
        yield
    finally:
        itfmt._format_pandas_series = _ITABLES_FORMAT


def datatable(df: pd.DataFrame, table_id: str, labels: dict[str, str] | None = None, page_length: int = 25,
              caption: str | None = None) -> str:
    """An interactive (search, sort, page) table; data escaped by itables."""
    d = df.rename(columns=labels or {})
    for c in d.columns:
        if pd.api.types.is_extension_array_dtype(d[c]) or d[c].dtype == object:
            d[c] = d[c].astype(object).where(d[c].notna(), "")
    with _fast_text_columns():
        frag = itjs.to_html_datatable(d, caption=caption, table_id=table_id, connected=False,
                                      pageLength=page_length, maxBytes=0, classes="display compact",
                                      showIndex=False, allow_html=False)
    return _strip_links(frag)


def library() -> str:
    """The DataTables bundle, inlined once (itables' offline mode)."""
    return _strip_links(itjs.generate_init_offline_itables_html(itopt.dt_bundle))


def page(title: str, marking: str, sections: list[tuple[str, str, str]]) -> str:
    """sections: (anchor, heading, inner html). The marking heads the page and every section.

    The Content-Security-Policy lets the page fetch nothing (default-src 'none'; images only as
    data: URIs); scripts are inline, or blob: modules itables makes from its inline bundle, and
    need 'unsafe-eval' because itables evaluates its column renderers from text (without it the
    tables never initialise).
    """
    m = esc(marking)
    # Section anchors carry a prefix so they never collide with a table's id (a table and its
    # section share a name, e.g. "nominals"; two elements with one id break the table's lookup).
    nav = "".join(f'<li><a href="#sec-{esc(a)}">{esc(h)}</a></li>' for a, h, _ in sections)
    body = "".join(f'<section id="sec-{esc(a)}"><div class="marking">{m}</div><h2>{esc(h)}</h2>{inner}'
                   f'<div class="marking">{m}</div></section>' for a, h, inner in sections)
    out = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
           f'<meta name="viewport" content="width=device-width,initial-scale=1">'
           f'<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; script-src \'unsafe-inline\' '
           f'\'unsafe-eval\' blob:; style-src \'unsafe-inline\'; img-src data:">'
           f'<style>{CSS}</style>{library()}</head><body><header class="marking">{m}</header><main>'
           f'<h1>{esc(title)}</h1><nav><ol>{nav}</ol></nav>{body}</main>'
           f'<footer class="marking">{m}</footer>{HASH_SEARCH}</body></html>')
    check_offline(out)
    return out
