"""Disclosure control: small-count suppression (primary and secondary), the run's identifiers, and the
safety check of the rendered HTML (`check_safe`).
"""
from __future__ import annotations

import base64
import re
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

# Columns of the run's tables that hold identifiers; none may appear in the HTML.
PERSON_COLUMNS = ("offender_id", "victim_id", "offender_a", "offender_b", "person_id", "person_a",
                  "person_b")
CRIME_COLUMNS = ("crime_id", "crime_a", "crime_b")


class ReportSafetyError(RuntimeError):
    """The rendered report would disclose something it must not; the message lists what."""


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
