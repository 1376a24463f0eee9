"""Select CSA crimes with the appendix 10.2 rules and build the full table.

A crime is CSA when (title has a child word AND a sex word, OR a listed
if_code, OR the MO has an MO word) AND it is not domestic abuse; each
(crime, offender, victim) row is kept when the victim is a known child and
the offender is not under the age of criminal responsibility. Every row that
falls out does so under a named, counted rule.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import people, progress
from .extraction import ROLES
from .frames import isin, per_distinct
from .store import ExclusionLedger

RULES = ("title", "if_code", "mo")


# --- term matching ---------------------------------------------------------

def term_regex(term: str, whole_word: bool) -> str:
    """One term as a regex: starts a word; spacing variants allowed; whole word if asked.

    Letters, digits and punctuation are separate chunks joined by optional
    blanks or hyphens, so "under13" also matches "under 13" and "under-13".
    """
    chunks = re.findall(r"[a-z]+|[0-9]+|[^a-z0-9\s]", term.lower())
    if not chunks:
        raise ValueError(f"empty search term {term!r}")
    body = r"[\s\-]*".join(re.escape(c) for c in chunks)
    left = r"(?<![a-z0-9])" if chunks[0][0].isalnum() else ""
    right = r"(?![a-z0-9])" if whole_word and chunks[-1][-1].isalnum() else ""
    return left + body + right


def group_regex(group: dict[str, list[str]]) -> re.Pattern[str]:
    parts = [term_regex(t, False) for t in group.get("prefix", [])]
    parts += [term_regex(t, True) for t in group.get("whole_word", [])]
    if not parts:
        return re.compile(r"(?!x)x")  # a group with no terms matches nothing
    return re.compile("|".join(f"(?:{p})" for p in parts))


def matches(texts: pd.Series, pattern: re.Pattern[str]) -> pd.Series:
    """Case-insensitive match, computed once per distinct text (titles repeat a lot)."""
    return per_distinct(texts, lambda u: u.astype("string").str.lower().str.contains(pattern, regex=True)
                        .fillna(False))


def rule_flags(crimes: pd.DataFrame, if_codes: pd.DataFrame, terms: dict) -> pd.DataFrame:
    """Which of the three rules select each crime (a crime may match several)."""
    title = crimes["offence_title"]
    child = matches(title, group_regex(terms["child_words"]))
    sex = matches(title, group_regex(terms["sex_words"]))
    flagged = set(if_codes.loc[if_codes["if_code"].str.upper().isin(terms["if_codes"]), "crime_id"])
    out = pd.DataFrame({
        "crime_id": crimes["crime_id"],
        "title": (child & sex).to_numpy(),
        "if_code": crimes["crime_id"].isin(flagged).to_numpy(),
        "mo": matches(crimes["mo_text"], group_regex(terms["mo_words"])).to_numpy(),
    })
    # Each crime's rules joined with "|": one label per combination of the rules, looked up by the
    # combination's number (no string is made per crime).
    labels = np.array(RULES, dtype=object)
    combos = list(itertools.product([False, True], repeat=len(RULES)))
    joined = np.array(["|".join(labels[np.array(c, dtype=bool)]) for c in combos], dtype=object)
    number = out[list(RULES)].to_numpy().astype(np.int64) @ (1 << np.arange(len(RULES))[::-1])
    out["matched_rules"] = joined[number]
    return out


# --- ages and people -------------------------------------------------------

def age_years(dob: pd.Series, on: pd.Series) -> pd.Series:
    """Whole years from dob to `on`; negative (born after) stays negative here."""
    d, o = pd.to_datetime(dob), pd.to_datetime(on)
    years = o.dt.year - d.dt.year
    before_birthday = (o.dt.month < d.dt.month) | ((o.dt.month == d.dt.month) & (o.dt.day < d.dt.day))
    return (years - before_birthday.astype("Int64")).astype("Int64")


def reconcile_people(nominals: pd.DataFrame, crimes: pd.DataFrame) -> pd.DataFrame:
    """One sex and ethnicity per person across all their records (on any crime).

    Rule (assumptions log A3): the most frequent known value; ties go to the
    most recently recorded crime. Unknown sex ('U' or missing) and 'IC9'
    ethnicity are not evidence. A person with two or more different known
    values is flagged as conflicting so plots can leave them out, as the
    force did, and the count is reported.
    """
    rec = nominals[["person_id", "crime_id", "sex", "ethnicity"]].merge(
        crimes[["crime_id", "recorded_date"]], on="crime_id", how="left")
    people = pd.DataFrame({"person_id": np.sort(rec["person_id"].unique())})
    for col, unknown in (("sex", lambda s: s.isna() | (s == "U")),
                         ("ethnicity", lambda s: s.isna() | s.str.upper().str.startswith("IC9"))):
        known = rec.loc[~unknown(rec[col]), ["person_id", col, "recorded_date"]]
        stats = (known.groupby(["person_id", col], observed=True)
                 .agg(n=("recorded_date", "size"), last=("recorded_date", "max")).reset_index()
                 .sort_values(["person_id", "n", "last", col], ascending=[True, False, False, True]))
        best = stats.drop_duplicates("person_id")[["person_id", col]]
        n_values = stats.groupby("person_id").size().rename(f"{col}_conflict").gt(1).reset_index()
        people = people.merge(best, on="person_id", how="left").merge(n_values, on="person_id", how="left")
        people[f"{col}_conflict"] = people[f"{col}_conflict"].astype("boolean").fillna(False).astype(bool)
    people["sex"] = people["sex"].fillna("U")
    people["ethnicity"] = people["ethnicity"].fillna("IC9 - Unknown")
    return people


# --- the full table --------------------------------------------------------

@dataclass
class Selection:
    full_table: pd.DataFrame
    flags: pd.DataFrame          # rule flags of every selected CSA crime
    exclusions: pd.DataFrame
    quality: pd.DataFrame        # counted adjustments and inconsistencies
    review_sample: pd.DataFrame


RowsWhere = Callable[[str, Iterable], pd.DataFrame]  # (column, values) -> the nominal rows with column in values


def rows_where(frame: pd.DataFrame) -> RowsWhere:
    """`RowsWhere` over a frame in memory."""
    return lambda column, values: frame[isin(frame[column], values)]


def select(tables: dict[str, pd.DataFrame], terms: dict, as_of: str, max_victim_age: int,
           min_offender_age: int, review_per_rule: int = 25, seed: int = 0,
           nominals_where: RowsWhere | None = None) -> Selection:
    """Apply appendix 10.2 and CONTRACT §3 to the validated extract.

    The nominal records are asked for twice, by crime (the selected crimes') and by person (every
    record of the full table's people, for their sex and ethnicity): from `tables["crime_nominals"]`,
    or from `nominals_where` (which `run_stage` reads from the hand-off, never holding the whole table).
    """
    crimes = tables["crimes"]
    nominals = nominals_where or rows_where(tables["crime_nominals"])
    as_of_ts = pd.Timestamp(as_of)
    crimes_l = ExclusionLedger("selection")
    late = (crimes["committed_from"] > as_of_ts) | (crimes["recorded_date"] > as_of_ts)
    kept = crimes_l.apply("committed or recorded after as_of", crimes, late, "crimes")
    flags = rule_flags(kept, tables["crime_if_codes"], terms)
    any_rule = flags[list(RULES)].any(axis=1).to_numpy()
    kept = crimes_l.apply("no search rule matched (not CSA)", kept, pd.Series(~any_rule, index=kept.index), "crimes")
    flags = flags[any_rule]
    da = kept["offence_type"].fillna("").isin(terms["excluded_offence_types"])
    kept = crimes_l.apply("domestic abuse (offence_type DA)", kept, da, "crimes")
    flags = flags[~da.to_numpy()].reset_index(drop=True)

    nom = nominals("crime_id", kept["crime_id"]).copy()
    nom["kind"] = nom["role"].map(ROLES)
    nom_l = ExclusionLedger("selection")
    nom = nom_l.apply("witness or reporting person (neither victim nor offender)", nom,
                      nom["kind"] == "other", "nominal rows")
    has_v = set(nom.loc[nom["kind"] == "victim", "crime_id"])
    has_o = set(nom.loc[nom["kind"] == "offender", "crime_id"])
    lacking = ~(kept["crime_id"].isin(has_v) & kept["crime_id"].isin(has_o))
    kept = crimes_l.apply("no identified victim or no identified offender", kept, lacking, "crimes")

    crime_cols = kept[["crime_id", "committed_from", "ho_offence_code", "offence_title"]].rename(
        columns={"committed_from": "crime_date"})
    vic = nom.loc[nom["kind"] == "victim", ["crime_id", "person_id", "dob"]].rename(
        columns={"person_id": "victim_id", "dob": "victim_dob"})
    off = nom.loc[nom["kind"] == "offender", ["crime_id", "person_id", "dob", "role"]].rename(
        columns={"person_id": "offender_id", "dob": "offender_dob", "role": "offender_role"})
    rows = crime_cols.merge(off, on="crime_id").merge(vic, on="crime_id")
    rows["victim_age_raw"] = age_years(rows["victim_dob"], rows["crime_date"])
    rows["offender_age"] = age_years(rows["offender_dob"], rows["crime_date"])

    row_l = ExclusionLedger("full_table")
    rows = row_l.apply("offender and victim are the same person", rows, rows["offender_id"] == rows["victim_id"],
                       "crime-offender-victim rows")
    rows = row_l.apply("victim age unknown (no dob on the crime)", rows, rows["victim_age_raw"].isna(),
                       "crime-offender-victim rows")
    rows = rows.assign(victim_dob_after_crime=rows["victim_age_raw"] < 0)
    rows["victim_age"] = rows["victim_age_raw"].clip(lower=0)
    rows = row_l.apply(f"victim older than {max_victim_age}", rows, rows["victim_age"] > max_victim_age,
                       "crime-offender-victim rows")
    rows = row_l.apply(f"offender younger than {min_offender_age}", rows,
                       rows["offender_age"].notna() & (rows["offender_age"] < min_offender_age),
                       "crime-offender-victim rows")
    # Which of several rows of one (crime, offender, victim) is kept is decided by content, never by row order.
    rows = rows.sort_values(["crime_id", "offender_id", "victim_id", "offender_role", "offender_age", "victim_age",
                             "offender_dob", "victim_dob"], kind="mergesort", na_position="last")
    rows = row_l.apply("duplicate (crime, offender, victim)", rows,
                       rows.duplicated(["crime_id", "offender_id", "victim_id"]), "crime-offender-victim rows")

    ids = set(rows["offender_id"]) | set(rows["victim_id"])
    people = reconcile_people(nominals("person_id", ids), crimes)
    full = _attach_people(rows, people).merge(flags[["crime_id", "matched_rules"]], on="crime_id", how="left")
    full = full[FULL_COLUMNS].sort_values(["crime_id", "offender_id", "victim_id"]).reset_index(drop=True)

    exclusions = pd.concat([crimes_l.frame(), nom_l.frame(), row_l.frame()], ignore_index=True)
    quality = data_quality(full, people)
    sample = review_sample(kept, flags, tables["crime_if_codes"], review_per_rule, seed)
    return Selection(full, flags[isin(flags["crime_id"], kept["crime_id"])].reset_index(drop=True),
                     exclusions, quality, sample)


NOMINAL_COLUMNS = ["crime_id", "person_id", "role", "dob", "sex", "ethnicity"]
FULL_COLUMNS = [
    "crime_id", "offender_id", "victim_id", "crime_date", "ho_offence_code", "offence_title",
    "offender_age", "victim_age", "offender_sex", "victim_sex", "offender_ethnicity", "victim_ethnicity",
    "matched_rules", "offender_role", "victim_dob_after_crime", "offender_sex_conflict",
    "victim_sex_conflict", "offender_ethnicity_conflict", "victim_ethnicity_conflict",
]


def _attach_people(rows: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    for who in ("offender", "victim"):
        p = people.rename(columns={c: f"{who}_{c}" for c in people.columns if c != "person_id"})
        rows = rows.merge(p.rename(columns={"person_id": f"{who}_id"}), on=f"{who}_id", how="left")
    return rows


def data_quality(full: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """What was adjusted or found inconsistent, in the force report's terms (section 9.1)."""
    victims = people[isin(people["person_id"], full["victim_id"])]
    offenders = people[isin(people["person_id"], full["offender_id"])]
    items = [
        ("full-table rows whose victim was born after the crime (age set to 0, kept)",
         int(full["victim_dob_after_crime"].sum())),
        ("full-table victims with unknown sex", int((victims["sex"] == "U").sum())),
        ("full-table offenders with unknown sex", int((offenders["sex"] == "U").sum())),
        ("full-table victims whose sex differs between records", int(victims["sex_conflict"].sum())),
        ("full-table offenders whose sex differs between records", int(offenders["sex_conflict"].sum())),
        ("full-table victims whose ethnicity differs between records", int(victims["ethnicity_conflict"].sum())),
        ("full-table offenders whose ethnicity differs between records", int(offenders["ethnicity_conflict"].sum())),
        ("full-table offenders of unknown ethnicity", int(offenders["ethnicity"].str.startswith("IC9").sum())),
        ("full-table rows whose offender age is unknown (no dob on the crime; kept)",
         int(full["offender_age"].isna().sum())),
        ("full-table rows whose offender is over 90 at the crime (implausible dob; kept, check at source)",
         int((full["offender_age"] > 90).sum())),
    ]
    return pd.DataFrame(items, columns=["item", "count"])


def review_sample(crimes: pd.DataFrame, flags: pd.DataFrame, if_codes: pd.DataFrame, per_rule: int,
                  seed: int) -> pd.DataFrame:
    """A seeded sample per rule, ids and text only, for hand-checking each rule's precision."""
    base = crimes[["crime_id", "offence_title", "mo_text"]].merge(flags, on="crime_id").sort_values(
        "crime_id", kind="mergesort")
    rng = np.random.default_rng(seed)
    parts = []
    for rule in RULES:
        pool = base[base[rule]]
        take = min(per_rule, len(pool))
        idx = np.sort(rng.choice(len(pool), size=take, replace=False)) if take else np.array([], int)
        parts.append(pool.iloc[idx].assign(sampled_for=rule))
    out = pd.concat(parts, ignore_index=True)
    codes = (if_codes[isin(if_codes["crime_id"], out["crime_id"])].sort_values(["crime_id", "if_code"])
             .groupby("crime_id")["if_code"].agg(";".join).rename("if_codes"))
    out = out.merge(codes, on="crime_id", how="left")
    cols = ["sampled_for", "crime_id", "matched_rules", "offence_title", "if_codes", "mo_text"]
    out = out[cols]
    out["reviewer_verdict"] = ""  # filled in by hand: CSA / not CSA / unclear
    return out


def run_stage(out_dir: str, search_terms: str, as_of: str, max_victim_age: int, min_offender_age: int,
              review_sample_per_rule: int, seed: int, summary_start: str, summary_end: str) -> Selection:
    """Notebook 02: select, export full_table, review_sample, data_quality and filtering_facts (the
    headline facts notebooks 02 and 04 and the report's summary read), hand on exclusions."""
    from . import store
    from .config import load_search_terms

    tables = store.load_work(out_dir, "extraction", ["crimes", "crime_if_codes"])
    progress.say(f"filtering: keyword and offence-code rules over {len(tables['crimes']):,} crimes")

    def nominals(column: str, values: Iterable) -> pd.DataFrame:
        return store.load_rows(out_dir, "extraction", "crime_nominals", NOMINAL_COLUMNS, column, values)
    sel = select(tables, load_search_terms(search_terms), as_of, max_victim_age, min_offender_age,
                 review_sample_per_rule, seed, nominals)
    store.write_table(out_dir, "full_table", sel.full_table, ["crime_id", "offender_id", "victim_id"])
    store.write_table(out_dir, "review_sample", sel.review_sample, ["sampled_for", "crime_id"])
    store.write_table(out_dir, "data_quality", sel.quality)
    store.write_facts(out_dir, "filtering_facts", headline(sel.full_table, sel.exclusions, summary_start, summary_end))
    store.save_work(out_dir, "filtering", {"exclusions": sel.exclusions, "flags": sel.flags})
    return sel


def headline(ft: pd.DataFrame, exclusions: pd.DataFrame, summary_start: str,
             summary_end: str) -> dict[str, int | float]:
    """The counts the force's report opens with (sections 4 and 9.1): the one home of these
    formulas. `run_stage` writes them as `filtering_facts`; notebooks and the summary read that."""
    crimes = ft.drop_duplicates("crime_id")
    window = ft.loc[pd.to_datetime(ft["crime_date"]).between(pd.Timestamp(summary_start), pd.Timestamp(summary_end))]
    window_offenders = window.drop_duplicates("offender_id")
    per_crime = ft.groupby("crime_id")["offender_id"].nunique()
    ex = exclusions.groupby("rule")["rows_excluded"].sum()
    under = [r for r in ex.index if str(r).startswith("offender younger")]
    return {
        "offenders_in_window": len(window_offenders),
        "offenders_in_window_ethnicity_unknown":
            int(people.ethnicity_unknown(window_offenders["offender_ethnicity"]).sum()),
        "rows": len(ft), "offenders": ft["offender_id"].nunique(), "victims": ft["victim_id"].nunique(),
        "crimes": len(crimes), "crimes_in_window": window["crime_id"].nunique(),
        "offender_under_min_rows": int(ex[under].sum()) if under else 0,
        "victim_born_after_rows": (int(ft["victim_dob_after_crime"].sum())  # null: a table without the flag
                                   if "victim_dob_after_crime" in ft else None),
        "pct_single_offender": round(100 * float((per_crime == 1).mean()), 1) if len(per_crime) else 0.0,
        "max_offenders_per_crime": int(per_crime.max()) if len(per_crime) else 0,
    }


def rule_counts(flags: pd.DataFrame, full_table: pd.DataFrame) -> pd.DataFrame:
    """Selected crimes per rule combination, and how many of them reach the full table.

    The second column is the rule's yield: MO-only selections, for instance,
    mostly fall out at the age rules (adult victims), which is what the review
    sample lets an analyst check.
    """
    in_full = isin(flags["crime_id"], full_table["crime_id"])
    out = (flags.assign(in_full=in_full).groupby("matched_rules")
           .agg(selected=("crime_id", "size"), in_full=("in_full", "sum")).reset_index())
    out = out.sort_values(["selected", "matched_rules"], ascending=[False, True])
    return out.rename(columns={"selected": "crimes selected", "in_full": "crimes in the full table"})[
        ["matched_rules", "crimes selected", "crimes in the full table"]].reset_index(drop=True)
