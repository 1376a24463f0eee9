"""The report's own sections (summary, terminology, aim, since the last run, use and safeguarding,
limitations, appendix): `report/templates/*.md` filled with this run's numbers.
"""
from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .. import plots, store
from ..config import ROOT, resolve_path
from .disclosure import _read
from .display import _cell, figure_png, fmt_count, ledger_html, pct, table_markdown

REPORT_DIR = ROOT / "report"
TEMPLATES = REPORT_DIR / "templates"




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
    from ..network.views import stability_verdict

    st = _read(run_dir, "stability")
    words = stability_verdict(st) if st is not None else None
    return None if words is None else (words + " The stability table is in the harm section. Even so, the list "
                                       "is a starting point for an analyst's review, not a ranking to act on "
                                       "directly.")


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


def _stage_facts(run_dir: Path, full: pd.DataFrame | None, start: str, end: str) -> tuple[dict | None, dict | None]:
    """The headline facts stages 02 and 03 wrote (one home: `filtering.headline`, `linking.headline`).
    A run folder from before the facts tables gets them from the same two functions."""
    from .. import filtering, linking

    ff, lf = store.read_facts(run_dir, "filtering_facts"), store.read_facts(run_dir, "linking_facts")
    if full is None:
        return ff, lf
    if ff is None:
        ex = _read(run_dir, "exclusions", ["rule", "rows_excluded"])
        ff = filtering.headline(full, ex if ex is not None else
                                pd.DataFrame({"rule": [], "rows_excluded": []}), start, end)
    if lf is None:
        final = _read(run_dir, "final_table", ["offender_a", "crime_a", "offender_b", "crime_b"])
        lf = linking.headline(final, full, start, end) if final is not None else None
    return ff, lf


def front_matter(run_dir: Path, manifest: dict) -> dict[str, str]:
    """Summary of findings, terminology and aim: Markdown per section file name."""
    p = manifest.get("parameters", {})
    below = int(p.get("suppress_below", 5))
    start, end = str(p.get("summary_start", "2016-01-01")), str(p.get("summary_end", "2020-12-31"))
    y0, y1, n_years = _years(start, end)
    full = _read(run_dir, "full_table", ["crime_id", "offender_id", "victim_id", "crime_date",
                                         "offender_ethnicity"])
    ff, lf = _stage_facts(run_dir, full, start, end)
    bullets, figure_md = [], ""
    if full is not None and ff is not None:
        bullets.append(f"In the {n_years} years {y0} to {y1}, {fmt_count(ff['crimes_in_window'], below)} "
                       "such recorded crimes were identified where at least one identifiable victim and at "
                       "least one identifiable offender were recorded.")
        if lf is not None:
            bullets.append(f"Of these, in the same period, {fmt_count(lf['crimes_in_window'], below)} crimes "
                           f"({pct(lf['crimes_in_window'], ff['crimes_in_window'])}) were involved in links "
                           "between offenders through a shared victim. These are the potential CSE crimes.")
        png = figure_png(plots.offender_ethnicity_window(full, start, end), height=3.2)
        unknown = pct(ff["offenders_in_window_ethnicity_unknown"], ff["offenders_in_window"])
        bullets.append(f"In the majority of instances the ethnicity of the offender was not recorded in the "
                       f"crimes system: for {unknown} of the "
                       f"{fmt_count(ff['offenders_in_window'], below)} offenders with a crime in {y0} to {y1}. "
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
