"""Safeguarding: who in the network must be protected, and where each of them is routed.

The one home of safeguarding (ADR 0009). It runs after stage 05 and reads its
tables (``network_nodes``, ``network_groups``) with the run's ``full_table``,
``final_table`` and the extraction hand-off; no ranking, harm or dismantling
code imports it, and nothing here is ever an input to a threat score (a test
inspects the imports). Its tables are ordered by person id, never by harm,
centrality or rank, and carry no such column, so they cannot be read as
target lists.

Categories and routing (one route per person, the first that applies):

1. ``child_now``: a child at ``as_of`` -> children's social care through a
   MASH referral, as a child at risk. Never a target of disruption or tasking.
2. ``victim_offender``: a victim of a sexual or exploitation offence who also
   holds an offender role on one (``config/safeguarding.yml``) -> a
   safeguarding review before any enforcement (the victim/perpetrator overlap,
   force report §12; Modern Slavery Act 2015 s45).
3. ``offended_as_child``: an adult now who offended while a child -> offender
   management, with the childhood history as context; not a target *because of*
   the flag.

Child victims behind the final table's links get their own output,
``safeguarding_victims`` (victims linked to two or more offenders, victims in
high-priority groups, victims who are still children): a victim who is still
a child goes to a MASH referral; one who is now an adult to a victim-care review,
because an adult's information is shared with partners only with their consent
(force report §12).

Column glossary (also shown in notebook 06; one home: ``GLOSSARY``):

"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from . import people, store
from .config import ConfigError, resolve_path
from .filtering import group_regex, matches
from .frames import isin, per_distinct

ROUTES = {
    "child_now": "MASH referral: children's social care, as a child at risk (never a target)",
    "victim_offender": "safeguarding review before any enforcement",
    "offended_as_child": "offender management, with the childhood offending as context",
}
ROUTE_ORDER = tuple(ROUTES)  # the first category that applies decides the route
VICTIM_ROUTES = {
    True: "MASH referral (a child at risk)",
    False: "victim care review: now an adult, so shared with partners only with their consent",
}

REASONS = {
    "child_now": "a child at the extraction date (a recorded dob gives age {max_age} or under)",
    "offended_while_child": "holds an offender role on a crime committed while a child",
    "victim_offender": "victim of a sexual or exploitation offence and offender on one",
    "victim_as_child": "was a victim while a child",
}

GLOSSARY = {
    "person_id": "The person's id (identifiers appear only in tables/, never in the report).",
    "child_now": "Aged max_victim_age or under at as_of on any dob recorded for them (protect when records "
                 "disagree; a dob after as_of also counts). Route: MASH referral as a child at risk; never a target.",
    "offended_as_child": "An adult at as_of who held an offender role on a crime committed while a child (by "
                         "the dob on that crime). Route: offender management with the history as context; "
                         "the flag is never a reason to target.",
    "victim_offender": "A victim of a sexual or exploitation offence who holds an offender role on one "
                       "(offences: config/safeguarding.yml). Route: safeguarding review before any enforcement.",
    "victim_as_child": "Recorded as a victim on a crime committed while a child (context for the reasons).",
    "routing": "Where the person is referred: the first of child_now, victim_offender, offended_as_child "
               "that applies.",
    "reasons": "Every category and fact that applies, in words.",
    "n_offenders": "Distinct offenders linked to the child victim through final-table links.",
    "n_crimes": "Distinct final-table crimes against the child victim.",
    "groups": "The network groups of those offenders, '|'-separated, sorted by id.",
    "in_high_priority_group": "An offender of the victim is in a group whose priority band is listed in "
                              "config/safeguarding.yml (high by default).",
    "still_child": "The victim is a child at as_of (the child_now rule).",
    "latest_crime_date": "The most recent final-table crime against the victim.",
    "routing (victims)": "MASH referral when still a child; otherwise a victim-care review (an adult's "
                         "information is shared with partners only with their consent).",
}
__doc__ = (__doc__ or "") + "\n".join(f"``{k}``\n    {v}" for k, v in GLOSSARY.items()) + "\n"

PEOPLE_COLUMNS = ["person_id", "child_now", "offended_as_child", "victim_offender", "victim_as_child",
                  "routing", "reasons"]
VICTIM_COLUMNS = ["person_id", "n_offenders", "n_crimes", "groups", "in_high_priority_group", "still_child",
                  "latest_crime_date", "reasons", "routing"]
# Columns no safeguarding table may carry: they would make it readable as a threat list.
THREAT_COLUMNS = ("harm_cchi", "harm_ons", "centrality", "betweenness", "degree", "weighted_degree",
                  "dismantle_rank", "group_dismantle_rank", "priority_score", "priority_rank")


@dataclass(frozen=True)
class Rules:
    """config/safeguarding.yml, checked."""

    ho_codes: tuple[str, ...]
    title_words: dict[str, list[str]]
    all_offences: bool
    high_priority_bands: tuple[str, ...]
    top_of_dismantling_order: int


def load_rules(path: str | Path = "config/safeguarding.yml") -> Rules:
    """Read and check the safeguarding rules; a bad edit fails with what to fix."""
    p = resolve_path(path)
    if not p.exists():
        raise ConfigError(f"Safeguarding rules file {p} does not exist. Set safeguarding_rules in "
                          "config/params.yml to an existing YAML file (config/safeguarding.yml ships with the "
                          "project).")
    try:
        raw = yaml.safe_load(p.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{p}: the rules must be a mapping with victim_offender, high_priority_bands and "
                          f"top_of_dismantling_order, got {type(raw).__name__}.")
    vo = raw.get("victim_offender")
    if not isinstance(vo, dict):
        raise ConfigError(f"{p}: 'victim_offender' must be a mapping with ho_codes, title_words and all_offences.")
    words = vo.get("title_words") or {}
    # a bare string where a list belongs would otherwise be read letter by letter
    if not isinstance(words, dict) or not set(words) <= {"prefix", "whole_word"} \
            or not all(isinstance(v, list) or v is None for v in words.values()):
        raise ConfigError(f"{p}: 'victim_offender.title_words' must be a mapping with 'prefix' and/or "
                          f"'whole_word' lists, got {words!r}.")
    codes = vo.get("ho_codes") or []
    if not isinstance(codes, list):
        raise ConfigError(f"{p}: 'victim_offender.ho_codes' must be a list of Home Office codes, got {codes!r}.")
    every = vo.get("all_offences", False)
    if not isinstance(every, bool):  # 'false' in quotes would otherwise switch the narrowing off
        raise ConfigError(f"{p}: 'victim_offender.all_offences' must be true or false (unquoted), got {every!r}.")
    bands = raw.get("high_priority_bands", ["high"])
    if not isinstance(bands, list) or not bands:
        raise ConfigError(f"{p}: 'high_priority_bands' must be a non-empty list of priority bands, e.g. [high], "
                          f"got {bands!r}.")
    top = raw.get("top_of_dismantling_order", 50)
    if not isinstance(top, int) or isinstance(top, bool) or top < 1:
        raise ConfigError(f"{p}: 'top_of_dismantling_order' must be a positive whole number, got {top!r}.")
    return Rules(ho_codes=tuple(str(c).strip().upper() for c in codes),
                 title_words={k: [str(t) for t in (words.get(k) or [])] for k in ("prefix", "whole_word")},
                 all_offences=every,
                 high_priority_bands=tuple(str(b) for b in bands),
                 top_of_dismantling_order=top)


# --- categories ------------------------------------------------------------------------

def code_matches(codes: pd.Series, listed: tuple[str, ...]) -> pd.Series:
    """A crime's HO code against the listed codes: "19" matches 19 and 19A-19Z, "88A" only itself."""
    bare = {x for x in listed if x.isdigit()}
    exact = set(listed)

    def test(u: pd.Series) -> pd.Series:
        c = u.astype("string").str.strip().str.upper()
        number = c.str.extract(r"^(\d+)[A-Z]*$")[0]
        return (c.isin(exact) | number.isin(bare)).fillna(False).astype(bool)
    return per_distinct(pd.Series(codes, dtype="object"), test)


def sexual_or_exploitation(crimes: pd.DataFrame, rules: Rules) -> pd.Series:
    """Per crime (aligned with `crimes`): does it count for the victim-offender rule?"""
    if rules.all_offences:
        return pd.Series(True, index=crimes.index)
    by_code = code_matches(crimes["ho_offence_code"], rules.ho_codes)
    by_title = matches(crimes["offence_title"], group_regex(rules.title_words))
    return pd.Series(by_code.to_numpy(bool) | by_title.to_numpy(bool), index=crimes.index)


def person_flags(crime_nominals: pd.DataFrame, crimes: pd.DataFrame, person_ids: list[str] | pd.Series,
                 as_of: str | pd.Timestamp, max_victim_age: int, rules: Rules) -> pd.DataFrame:
    """The safeguarding flags of each person in `person_ids` (sorted by id; False when no record).

    Columns: person_id, child_now, offended_as_child, victim_offender, victim_as_child,
    offended_while_child (any age now; it feeds the reasons of children now).
    """
    as_of = pd.Timestamp(as_of)
    ids = pd.Index(sorted(set(map(str, person_ids))), name="person_id")
    cn = crime_nominals.loc[crime_nominals["person_id"].notna()]
    recorded = crimes.loc[pd.to_datetime(crimes["recorded_date"]) <= as_of] if "recorded_date" in crimes else crimes
    cn = cn.loc[isin(cn["crime_id"], recorded["crime_id"])]
    counts = recorded[["crime_id", "committed_from"]].assign(
        sexual=sexual_or_exploitation(recorded, rules))
    cn = cn.merge(counts, on="crime_id", how="left")
    off, vic = people.has_role(cn["role"], people.OFFENDER_ROLES), people.has_role(cn["role"], {people.VICTIM_ROLE})
    age = people.age_years(cn["dob"], cn["committed_from"])
    child_age = people.is_child_age(age, max_victim_age).to_numpy()
    # an offender's dob after the crime is a recording error and flags nothing; a victim's gives age 0 and
    # counts (CONTRACT §3, as in the full table)
    off_child_then = (age >= 0).fillna(False).astype(bool).to_numpy() & child_age
    sexual = cn["sexual"].fillna(False).astype(bool).to_numpy()
    d = pd.DataFrame({"person_id": cn["person_id"].astype(str).to_numpy(),
                      "off_sexual": off.to_numpy() & sexual, "vic_sexual": vic.to_numpy() & sexual,
                      "off_child": off.to_numpy() & off_child_then, "vic_child": vic.to_numpy() & child_age})
    per = people.any_by_person_columns(d["person_id"], {c: d[c].to_numpy(bool) for c in d.columns[1:]}) \
        .reindex(ids, fill_value=False)
    now = people.child_now(crime_nominals, crimes, as_of, max_victim_age).reindex(ids, fill_value=False)
    out = pd.DataFrame({
        "person_id": ids.to_numpy(),
        "child_now": now.to_numpy(bool),
        "offended_as_child": per["off_child"].to_numpy(bool) & ~now.to_numpy(bool),
        "victim_offender": per["off_sexual"].to_numpy(bool) & per["vic_sexual"].to_numpy(bool),
        "victim_as_child": per["vic_child"].to_numpy(bool),
        "offended_while_child": per["off_child"].to_numpy(bool),
    })
    return out


def safeguarding_people(flags: pd.DataFrame, max_victim_age: int) -> pd.DataFrame:
    """People in one of the three categories, with their route and reasons; ordered by id only."""
    f = flags.loc[flags["child_now"] | flags["offended_as_child"] | flags["victim_offender"]]
    routing, reasons = [], []
    for row in f.itertuples(index=False):
        first = next(c for c in ROUTE_ORDER if getattr(row, c))
        routing.append(ROUTES[first])
        r = [REASONS["child_now"].format(max_age=max_victim_age)] if row.child_now else []
        r += [REASONS["offended_while_child"]] if row.offended_while_child else []
        r += [REASONS["victim_offender"]] if row.victim_offender else []
        r += [REASONS["victim_as_child"]] if row.victim_as_child and (row.victim_offender or row.child_now) else []
        reasons.append("; ".join(r))
    out = f.assign(routing=routing, reasons=reasons)[PEOPLE_COLUMNS]
    return out.sort_values("person_id", kind="mergesort").reset_index(drop=True)


# --- child victims ---------------------------------------------------------------------

def final_rows(full: pd.DataFrame, final: pd.DataFrame) -> pd.DataFrame:
    """Full-table rows whose (offender, crime) is on either side of a final-table link."""
    pairs = pd.concat([final[["offender_a", "crime_a"]].set_axis(["offender_id", "crime_id"], axis=1),
                       final[["offender_b", "crime_b"]].set_axis(["offender_id", "crime_id"], axis=1)])
    return full.merge(pairs.drop_duplicates(), on=["offender_id", "crime_id"], how="inner")


def _joined_groups(rows: pd.DataFrame) -> pd.Series:
    """Per victim (sorted): their offenders' distinct group ids, sorted, joined by '|' ('' when none)."""
    gid = rows[["victim_id", "group_id"]].dropna()
    gid = gid.assign(group_id=gid["group_id"].astype(str)).drop_duplicates() \
        .sort_values(["victim_id", "group_id"], kind="mergesort")
    # Each victim's run of sorted rows joined in one Arrow call (a Python join per victim took 10 s at
    # national scale): the list of a victim's group ids, then binary_join with "|".
    v = gid["victim_id"].to_numpy(object)
    starts = np.flatnonzero(np.r_[True, v[1:] != v[:-1]]) if len(v) else np.zeros(0, np.int64)
    lists = pa.LargeListArray.from_arrays(pa.array(np.r_[starts, len(v)], pa.int64()),
                                          pa.array(gid["group_id"].to_numpy(object), pa.string()))
    joined = pd.Series(pc.binary_join(lists, "|").to_numpy(zero_copy_only=False), dtype="str",
                       index=pd.Index(v[starts], name="victim_id"), name="group_id")
    victims = pd.Index(rows["victim_id"].dropna().unique(), name="victim_id").sort_values()
    return joined.reindex(victims, fill_value="")


def victims_behind_links(full: pd.DataFrame, final: pd.DataFrame, nodes: pd.DataFrame, groups: pd.DataFrame,
                         still_child: pd.Series, rules: Rules) -> pd.DataFrame:
    """Every child victim behind a final-table link, with the facts that decide whether it is listed.

    `still_child` is the child_now rule per person id. Columns: VICTIM_COLUMNS without
    reasons and routing; ordered by id.
    """
    rows = final_rows(full, final)
    if not len(rows):
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(VICTIM_COLUMNS[:7], [
            "object", "int64", "int64", "object", "bool", "bool", "object"], strict=True)})
    gmap = nodes.set_index("person_id")["group_id"] if "group_id" in nodes else pd.Series(dtype="object")
    band = groups.set_index("group_id")["priority_band"] if "priority_band" in groups else pd.Series(dtype="object")
    rows = rows.assign(group_id=rows["offender_id"].map(gmap))
    rows["high"] = rows["group_id"].map(band).isin(rules.high_priority_bands)
    g = rows.groupby("victim_id", sort=True)
    out = pd.DataFrame({
        "n_offenders": g["offender_id"].nunique(),
        "n_crimes": g["crime_id"].nunique(),
        "groups": _joined_groups(rows),
        "in_high_priority_group": g["high"].any(),
        "latest_crime_date": g["crime_date"].max().astype(str),
    }).rename_axis("person_id").reset_index()
    out["still_child"] = out["person_id"].map(still_child).fillna(False).astype(bool)
    return out[VICTIM_COLUMNS[:7]].sort_values("person_id", kind="mergesort").reset_index(drop=True)


def safeguarding_victims(behind: pd.DataFrame) -> pd.DataFrame:
    """The child victims to refer: linked to 2+ offenders, in a high-priority group, or still a child."""
    two = behind["n_offenders"] >= 2
    keep = two | behind["in_high_priority_group"] | behind["still_child"]
    v = behind.loc[keep].copy()
    reasons = []
    for t, h, c in zip(two[keep], v["in_high_priority_group"], v["still_child"], strict=True):
        reasons.append("; ".join([w for w, on in (("linked to two or more offenders", t),
                                                  ("an offender is in a high-priority group", h),
                                                  ("still a child at the extraction date", c)) if on]))
    v["reasons"] = reasons
    v["routing"] = v["still_child"].map(VICTIM_ROUTES)
    return v[VICTIM_COLUMNS].sort_values("person_id", kind="mergesort").reset_index(drop=True)


# --- counts (what the report shows) -----------------------------------------------------

def safeguarding_summary(nodes: pd.DataFrame, flags: pd.DataFrame, groups: pd.DataFrame, behind: pd.DataFrame,
                         victims: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Counts of the categories, and of children wherever people are ranked (goal: zero).

    `nodes` is network_nodes, `flags` person_flags over the same people. Columns
    measure, count.
    """
    ranked = ("is_cse_offender", "dismantle_rank", "group_dismantle_rank")
    d = nodes[["person_id", "group_id"] + [c for c in ranked if c in nodes]] \
        .merge(flags, on="person_id", how="left")
    b = lambda c: d[c].fillna(False).astype(bool) if c in d else pd.Series(False, index=d.index)  # noqa: E731
    rank = pd.to_numeric(d["dismantle_rank"], errors="coerce") if "dismantle_rank" in d \
        else pd.Series(np.nan, index=d.index)
    group_rank = pd.to_numeric(d["group_dismantle_rank"], errors="coerce") if "group_dismantle_rank" in d \
        else pd.Series(np.nan, index=d.index)
    top = rules.top_of_dismantling_order
    high_groups = groups.loc[groups["priority_band"].isin(rules.high_priority_bands), "group_id"] \
        if "priority_band" in groups else pd.Series(dtype="object")
    high = d["group_id"].isin(high_groups)
    child = b("child_now")
    rows = [
        ("people in the network", len(d)),
        ("children now (at the extraction date) in the network", child.sum()),
        ("children now who are full-table CSE offenders", (child & b("is_cse_offender")).sum()),
        ("children now in the dismantling set", (child & rank.notna()).sum()),
        (f"children now in the top {top} of the dismantling order", (child & (rank <= top)).sum()),
        ("children now in a group disruption order", (child & group_rank.notna()).sum()),
        ("children now in high-priority groups", (child & high).sum()),
        ("adults who offended as children", b("offended_as_child").sum()),
        ("victim-offenders (sexual or exploitation offences)", b("victim_offender").sum()),
        ("people routed to safeguarding or offender management", (child | b("offended_as_child")
                                                                  | b("victim_offender")).sum()),
        ("child victims behind final-table links", len(behind)),
        ("child victims linked to two or more offenders", int((behind["n_offenders"] >= 2).sum())),
        ("child victims of offenders in high-priority groups", int(behind["in_high_priority_group"].sum())),
        ("child victims still children at the extraction date", int(behind["still_child"].sum())),
        ("child victims listed for referral (two or more offenders, a high-priority group or still a child)",
         len(victims)),
        ("of whom still children: MASH referral", int(victims["still_child"].sum())),
    ]
    return pd.DataFrame({"measure": [r[0] for r in rows], "count": [int(r[1]) for r in rows]})


def band_flags(groups: pd.DataFrame, nodes: pd.DataFrame, flags: pd.DataFrame) -> pd.DataFrame:
    """Per priority band (high, medium, low): people, and those in each safeguarding category."""
    cols = ["priority_band", "people", "child_now", "offended_as_child", "victim_offender"]
    if "priority_band" not in groups or not len(nodes):
        return pd.DataFrame(columns=cols)
    d = nodes[["person_id", "group_id"]].merge(flags, on="person_id", how="left")
    d["priority_band"] = d["group_id"].map(groups.set_index("group_id")["priority_band"])
    for c in cols[2:]:
        d[c] = d[c].fillna(False).astype(bool)
    g = d.groupby("priority_band")
    out = pd.DataFrame({"people": g.size()} | {c: g[c].sum().astype(int) for c in cols[2:]})
    known = ("high", "medium", "low")
    order = [b for b in known if b in out.index] + sorted(set(out.index) - set(known))
    return out.reindex(order).rename_axis("priority_band").reset_index()[cols]


def flag_summary(nodes: pd.DataFrame, flags: pd.DataFrame) -> pd.DataFrame:
    """Per category: people, of whom full-table CSE offenders and SOC nominals."""
    d = nodes[["person_id"] + [c for c in ("is_cse_offender", "in_soc_network") if c in nodes]] \
        .merge(flags, on="person_id", how="left")
    rows = []
    for col in ROUTE_ORDER:
        f = d.loc[d[col].fillna(False).astype(bool)]
        rows.append(dict(category=col, people=len(f),
                         of_whom_offenders=int(f.get("is_cse_offender", pd.Series(dtype=bool)).sum()),
                         in_soc_network=int(f.get("in_soc_network", pd.Series(dtype=bool)).sum()),
                         routing=ROUTES[col]))
    return pd.DataFrame(rows)


def glossary() -> pd.DataFrame:
    """The column glossary as a table (column, meaning)."""
    return pd.DataFrame({"column": list(GLOSSARY), "meaning": list(GLOSSARY.values())})


# --- the stage ------------------------------------------------------------------------

@dataclass
class Stage:
    flags: pd.DataFrame
    people: pd.DataFrame
    behind: pd.DataFrame
    victims: pd.DataFrame
    summary: pd.DataFrame
    bands: pd.DataFrame
    categories: pd.DataFrame
    rules: Rules


CRIME_COLUMNS = ["crime_id", "committed_from", "recorded_date", "ho_offence_code", "offence_title"]  # what flags read


def flagged_people(full: pd.DataFrame, nodes: pd.DataFrame) -> list[str]:
    """Whose flags are computed: the network's people and the full table's victims (sorted)."""
    ids = [nodes["person_id"].to_numpy(dtype=object, na_value=None)]
    if len(full):
        ids.append(full["victim_id"].to_numpy(dtype=object, na_value=None))
    both = pd.unique(np.concatenate(ids))
    return sorted(str(x) for x in both if x is not None and x == x)  # x == x: not NaN


def compute(extraction: dict[str, pd.DataFrame], full: pd.DataFrame, final: pd.DataFrame, nodes: pd.DataFrame,
            groups: pd.DataFrame, as_of: str | pd.Timestamp, max_victim_age: int, rules: Rules,
            flagged: list[str] | None = None) -> Stage:
    """Every safeguarding table from stage 05's tables and the extraction (no file access).

    `flagged` is flagged_people(full, nodes), when the caller has it already."""
    cn, crimes = extraction["crime_nominals"], extraction["crimes"]
    flagged = flagged_people(full, nodes) if flagged is None else flagged
    all_flags = person_flags(cn, crimes, flagged, as_of, max_victim_age, rules)
    if "child_now" in nodes:
        # stage 05 decided who is not removable from the disruption lists: the same people are children here.
        # A child now is never also an adult who offended as a child.
        node_child = nodes.assign(person_id=nodes["person_id"].astype(str)).set_index("person_id")["child_now"]
        node_child = node_child[~node_child.index.duplicated()].astype("boolean")
        from_nodes = all_flags["person_id"].map(node_child)
        all_flags["child_now"] = from_nodes.fillna(pd.Series(all_flags["child_now"].to_numpy(bool),
                                                             index=all_flags.index)).astype(bool)
        all_flags["offended_as_child"] = all_flags["offended_while_child"] & ~all_flags["child_now"]
    flags = all_flags.loc[isin(all_flags["person_id"], nodes["person_id"].astype(str))].reset_index(drop=True)
    still = all_flags.set_index("person_id")["child_now"]
    behind = victims_behind_links(full, final, nodes, groups, still, rules)
    victims = safeguarding_victims(behind)
    return Stage(flags=flags, people=safeguarding_people(flags, max_victim_age), behind=behind, victims=victims,
                 summary=safeguarding_summary(nodes, flags, groups, behind, victims, rules),
                 bands=band_flags(groups, nodes, flags), categories=flag_summary(nodes, flags), rules=rules)


def run_stage(out_dir: str, as_of: str, max_victim_age: int,
              safeguarding_rules: str = "config/safeguarding.yml") -> Stage:
    """Stage 05, after the rankings (ranking.run_stage): compute and write safeguarding_people,
    safeguarding_victims, safeguarding_summary
    and safeguarding_bands under OUT/tables (sorted: byte-identical reruns)."""
    rules = load_rules(safeguarding_rules)
    tables = {}
    for name in ("full_table", "final_table", "network_nodes", "network_groups"):
        try:
            tables[name] = store.read_table(out_dir, name)
        except FileNotFoundError:
            raise FileNotFoundError(
                f"Stage 06 (safeguarding) needs tables/{name} from the earlier stages under {out_dir}. "
                "Run the notebooks in order (cse-network run does this).") from None
    # only the records of the people flagged, and their crimes: the flags look at nothing else
    flagged = flagged_people(tables["full_table"], tables["network_nodes"])
    cn = store.load_rows(out_dir, "extraction", "crime_nominals", ["crime_id", "person_id", "role", "dob"],
                         "person_id", flagged)
    crimes = store.load_rows(out_dir, "extraction", "crimes", CRIME_COLUMNS, "crime_id", cn["crime_id"])
    st = compute({"crime_nominals": cn, "crimes": crimes}, tables["full_table"], tables["final_table"],
                 tables["network_nodes"], tables["network_groups"], as_of, max_victim_age, rules, flagged)
    leaked = [c for c in THREAT_COLUMNS if c in st.people or c in st.victims]
    if leaked:  # the tables' promise, checked where they are written
        raise RuntimeError(f"Safeguarding tables must carry no threat column, found {leaked}: fix safeguarding.py.")
    store.write_table(out_dir, "safeguarding_people", st.people, sort_by=["person_id"])
    store.write_table(out_dir, "safeguarding_victims", st.victims, sort_by=["person_id"])
    store.write_table(out_dir, "safeguarding_summary", st.summary)
    store.write_table(out_dir, "safeguarding_bands", st.bands)
    return st
