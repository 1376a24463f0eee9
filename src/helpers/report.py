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
import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

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

def suppress(df: pd.DataFrame, count_cols: list[str], below: int = 5) -> pd.DataFrame:
    """Counts under `below` (but above 0) become the text '<below'."""
    out = df.copy()
    for c in count_cols:
        vals = pd.to_numeric(out[c], errors="coerce")
        small = vals.notna() & (vals > 0) & (vals < below)
        out[c] = out[c].astype("object").where(~small, f"<{below}")
    return out


def fmt_count(n, below: int = 5) -> str:
    """A count for prose: '<5' when 0 < n < below, else with thousands separators."""
    return plots.suppressed_label(n, below)


def pct(part, whole, digits: int = 1) -> str:
    """A percentage for prose ('12.3%'); '–' when the whole is zero."""
    return f"{100 * part / whole:.{digits}f}%" if whole else "–"


def _cell(v) -> str:
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


def _escape(text: str) -> str:
    return text.replace("|", r"\|").replace("<", r"\<").replace("\n", " ")


def table_markdown(df: pd.DataFrame, caption: str, count_cols: list[str] | None = None,
                   suppress_below: int = 5) -> str:
    """The Markdown of a suppressed, captioned pipe table in a checkable fenced div."""
    df = df.rename(columns=HEADERS)
    count_cols = [HEADERS.get(c, c) for c in (count_cols or [])]
    shown = suppress(df, count_cols, suppress_below)
    for c in shown.columns:
        if c not in count_cols:
            shown[c] = _format_column(shown[c], c)
    header = [str(c) for c in shown.columns]
    numeric = [pd.api.types.is_numeric_dtype(df[c]) or c in count_cols for c in df.columns]
    lines = ["| " + " | ".join(_escape(h) for h in header) + " |",
             "|" + "|".join("---:" if num else ":---" for num in numeric) + "|"]
    for row in shown.itertuples(index=False):
        lines.append("| " + " | ".join(_escape(_cell(v)) for v in row) + " |")
    if len(shown) == 0:
        lines.append("| " + " | ".join("" for _ in header) + " |")
    cols_attr = "|".join(count_cols).replace('"', "")
    return (f'::: {{.counts data-count-cols="{cols_attr}" data-suppress-below="{suppress_below}"}}\n'
            + "\n".join(lines) + f"\n\n: {caption}\n:::\n")


def md(text: str) -> None:
    """Markdown prose whose numbers come from the run (a text/markdown-only output)."""
    display({"text/markdown": text}, raw=True)


def table(df: pd.DataFrame, caption: str, count_cols: list[str] | None = None, suppress_below: int = 5) -> None:
    """A captioned table; counts in `count_cols` below `suppress_below` show as '<N'."""
    md(table_markdown(df, caption, count_cols, suppress_below))


def figure_png(plot, width: float | None = None, height: float | None = None, dpi: int = 150) -> bytes:
    """The plot as PNG bytes at a fixed size and dpi (the plot's own size when not given)."""
    import io
    import warnings

    import matplotlib
    matplotlib.use("Agg")
    if width is not None or height is not None:
        from plotnine import theme
        w, h = plot.theme.getp("figure_size") if plot.theme is not None else (7.5, 3.6)
        plot = plot + theme(figure_size=(width or w, height or h))
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fig = plot.draw()
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    import matplotlib.pyplot as plt
    plt.close(fig)
    return buf.getvalue()


def figure(plot, caption: str, width: float | None = None, height: float | None = None, dpi: int = 150) -> None:
    """A captioned figure: PNG output with the caption in its metadata and as its text."""
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


def table_facts(full: pd.DataFrame, final: pd.DataFrame | None, start, end) -> dict:
    """The numbers of the force report's sections 4 and 9 for this run."""
    d = pd.to_datetime(full["crime_date"])
    window = full.loc[(d >= pd.Timestamp(start)) & (d <= pd.Timestamp(end))]
    f = {"full_rows": len(full), "full_offenders": full["offender_id"].nunique(),
         "full_victims": full["victim_id"].nunique(), "full_crimes": full["crime_id"].nunique(),
         "window_crimes_full": window["crime_id"].nunique(),
         "window_offenders": window["offender_id"].nunique()}
    per_crime = full.groupby("crime_id")["offender_id"].nunique()
    f["full_single_offender_pct"] = pct((per_crime == 1).sum(), len(per_crime))
    eth = plots._ethnicity(window.drop_duplicates("offender_id")["offender_ethnicity"])
    f["window_offender_eth_unknown_pct"] = pct((eth == plots.UNKNOWN_ETHNICITY).sum(), len(eth))
    if final is not None:
        rows = plots.final_rows(full, final)
        rd = pd.to_datetime(rows["crime_date"])
        per = rows.groupby("crime_id")["offender_id"].nunique()
        f.update(final_links=len(final), final_offenders=rows["offender_id"].nunique(),
                 final_crimes=rows["crime_id"].nunique(),
                 window_crimes_final=rows.loc[(rd >= pd.Timestamp(start)) & (rd <= pd.Timestamp(end)),
                                              "crime_id"].nunique(),
                 final_single_offender_pct=pct((per == 1).sum(), len(per)),
                 final_max_offenders=int(per.max()) if len(per) else 0)
    return f


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


def _long_date(iso: str) -> str:
    t = pd.Timestamp(iso)
    return f"{t.day} {t.strftime('%B %Y')}"


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


def _safeguarding_sentence(run_dir: Path, below: int) -> str | None:
    sg = _read(run_dir, "safeguarding_summary")
    if sg is None or not len(sg) or not {"measure", "count"} <= set(sg.columns):
        return None
    parts = [f"{str(m).rstrip('.')}: {fmt_count(int(n), below)}" for m, n in zip(sg["measure"], sg["count"])
             if pd.notna(n)]
    return ("Children: " + "; ".join(parts) + ". Every flagged child is referred to safeguarding (the "
            "multi-agency safeguarding hub) before any enforcement tasking; a child is never a target "
            "of disruption.")


def _stability_sentence(run_dir: Path) -> str | None:
    st = _read(run_dir, "stability")
    if st is None or not len(st) or not {"ranking", "jaccard_mean"} <= set(st.columns):
        return None
    top = st.loc[st["ranking"].astype(str).str.contains("group", case=False)]
    if not len(top):
        return None
    lo, hi = float(top["jaccard_mean"].min()), float(top["jaccard_mean"].max())
    word = ("change a lot" if hi < 0.5 else "change noticeably" if hi < 0.8 else "are fairly stable")
    return (f"The people in the top priority groups {word} when the inputs are perturbed: their overlap "
            f"(Jaccard) with the unperturbed run is {lo:.2f} to {hi:.2f} across "
            f"{top['scenario'].nunique() if 'scenario' in top else len(top)} scenarios (stability table, "
            "harm section), so the list is a starting point for review, not a ranking to act on directly.")


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
            s += f", {fmt_count(_flag_count(nodes, 'is_cse_offender'), below)} of them CSE offenders from the full table"
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
    summary = _template("summary", bullets="\n".join(f"- {b}" for b in bullets), figure=figure_md,
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
                                    "Search terms (as in the force report's own appendix 10.2), from config/search_terms.yml"),
        grading=table_markdown(grading_table(p.get("grading_map", "data/reference/intel_grading.csv")),
                               "Intelligence gradings included in the network (as in the force report's own section 7.2)"),
        parameters=table_markdown(pd.DataFrame({"Parameter": list(p), "Value": [
            str(v) if isinstance(v, (int, np.integer)) and not isinstance(v, bool) else _cell(v)
            for v in p.values()]}),
                                  "Parameters of this run"),
        exclusions=_exclusions_md(run_dir, below),
        profile=_profile_md(run_dir, below),
        provenance=_provenance_md(manifest),
        proximity=_cell(p.get("proximity_half_life_days", 365)), recency=_cell(p.get("recency_half_life_days", 730)),
        min_cell=p.get("min_cell_share_days", 30))
    return {"90_limitations": limitations, "91_appendix": appendix}


def _exclusions_md(run_dir: Path, below: int) -> str:
    ex = _read(run_dir, "exclusions")
    if ex is None:
        return "No exclusions table was produced in this run."
    shown = ex[[c for c in ("stage", "rule", "unit", "rows_in", "rows_excluded", "rows_out") if c in ex]]
    shown = shown.rename(columns=HEADERS)
    if "Rule" in shown:
        shown["Rule"] = shown["Rule"].astype(str).str.replace(
            r"\((?:force )?report section 7\.2\)", "(see Appendix: Intelligence grading)", regex=True)
    return table_markdown(shown, "Exclusions waterfall: every row removed, by stage and rule",
                          [c for c in ("Rows in", "Excluded", "Rows out") if c in shown], below)


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
             f"- Code: commit `{git.get('commit', 'unknown')}`" + (" (with uncommitted changes)" if git.get("dirty") else ""),
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


def _metadata(manifest: dict) -> dict:
    p = manifest.get("parameters", {})
    git = manifest.get("git", {})
    commit = str(git.get("commit", "unknown"))[:12]
    below = p.get("suppress_below", 5)
    return {
        "title": TITLE,
        "subtitle": SUBTITLE,
        "date": f"Data as of {_long_date(str(p.get('as_of', '2021-03-15')))}",
        "author": f"Run {manifest.get('run_id', 'unknown')} · code {commit}",
        "abstract-title": "About this report",
        "abstract": (f"Generated by the `cse-network` pipeline from run `{manifest.get('run_id', 'unknown')}`. "
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


def render(run_dir: str | Path, manifest: dict, notebooks: list[Path] | None = None) -> Path:
    """Render run_dir/report.html from the executed notebooks and the run's tables; check it."""
    run_dir = Path(run_dir)
    if notebooks is None:
        notebooks = sorted((run_dir / "notebooks").glob("[0-9][0-9]_*.ipynb"))
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

_LOCAL = ("data:", "#")
_URL_ATTRS = {"src", "href", "srcset", "poster", "action", "formaction", "data", "background", "xlink:href",
              "cite", "longdesc", "manifest", "icon"}


class _Scanner(HTMLParser):
    """Collects URL attributes, inline CSS, and the cells of tables inside `.counts` divs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []
        self.css: list[str] = []
        self.tables: list[dict] = []
        self._div_stack: list[dict | None] = []
        self._in_style = False
        self._table: dict | None = None
        self._cell: list[str] | None = None
        self._row: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k, v in attrs:
            if k in _URL_ATTRS and v is not None:
                self.urls.append((tag, k, v.strip()))
            if k == "style" and v:
                self.css.append(v)
        if tag == "style":
            self._in_style = True
        elif tag == "div":
            spec = None
            if "data-count-cols" in a:
                spec = {"cols": [c for c in (a.get("data-count-cols") or "").split("|") if c],
                        "below": int(a.get("data-suppress-below") or 5)}
            self._div_stack.append(spec)
        elif tag == "table":
            spec = next((s for s in reversed(self._div_stack) if s), None)
            self._table = {"spec": spec, "header": [], "rows": [], "caption": ""} if spec else None
        elif self._table is not None and tag == "tr":
            self._row = []
        elif self._table is not None and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False
        elif tag == "div" and self._div_stack:
            self._div_stack.pop()
        elif self._table is not None and tag in ("td", "th") and self._cell is not None:
            if self._row is not None:
                self._row.append(("th" if tag == "th" else "td", "".join(self._cell).strip()))
            self._cell = None
        elif self._table is not None and tag == "tr" and self._row is not None:
            if self._row and all(k == "th" for k, _ in self._row) and not self._table["header"]:
                self._table["header"] = [t for _, t in self._row]
            else:
                self._table["rows"].append([t for _, t in self._row])
            self._row = None
        elif tag == "table" and self._table is not None:
            self.tables.append(self._table)
            self._table = None

    def handle_data(self, data):
        if self._in_style:
            self.css.append(data)
        if self._cell is not None:
            self._cell.append(data)


def _number(text: str) -> float | None:
    t = text.replace(",", "").replace("\u2009", "").strip()
    try:
        return float(t)
    except ValueError:
        return None


def check_safe(html_path: str | Path, person_ids: set[str]) -> list[str]:
    """Problems that make the report unsafe to hand over (empty list = safe).

    1. Any identifier from `person_ids` appearing as a whole token (outside embedded data: URIs).
    2. Any count in a `.counts` table's count columns between 1 and below-1 not shown as '<below'.
    3. Any src/href/... attribute, CSS url() or @import that points off the file (only data: and
       #anchors are allowed).
    """
    text = Path(html_path).read_text(encoding="utf-8")
    problems: list[str] = []
    scan = _Scanner()
    scan.feed(text)
    scan.close()

    for tag, attr, val in scan.urls:
        if not val.lower().startswith(_LOCAL):
            problems.append(f"<{tag} {attr}> points off the file: {val[:80]}")
    css = "\n".join(scan.css)
    for m in re.finditer(r"url\(\s*(['\"]?)(.*?)\1\s*\)", css, flags=re.I | re.S):
        if not m.group(2).strip().lower().startswith(_LOCAL):
            problems.append(f"CSS url() points off the file: {m.group(2)[:80]}")
    for m in re.finditer(r"@import\s+(?:url\()?\s*['\"]?([^'\");\s]+)", css, flags=re.I):
        if not m.group(1).lower().startswith(_LOCAL):
            problems.append(f"CSS @import points off the file: {m.group(1)[:80]}")

    visible = re.sub(r"data:[A-Za-z0-9.+/-]+;base64,[A-Za-z0-9+/=\s]+", "data:", text)
    ids = {str(i) for i in person_ids if str(i)}
    simple = {i for i in ids if re.fullmatch(r"[A-Za-z0-9_-]+", i)}
    found = sorted(simple & set(re.findall(r"[A-Za-z0-9_-]+", visible)))
    found += sorted(i for i in ids - simple if i in visible)
    for i in found[:20]:
        problems.append(f"identifier {i} appears in the report")
    if len(found) > 20:
        problems.append(f"... and {len(found) - 20} more identifiers")

    for t in scan.tables:
        spec, header = t["spec"], t["header"]
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
