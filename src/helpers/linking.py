"""Link offenders through shared victims, graded intelligence logs and prison cells.

CONTRACT §3 formulas throughout. The joins are DuckDB hash and range joins,
never cross products: victims are joined to themselves, log membership to
itself only for logs naming a full-table offender, and cell stays only
within the same establishment and cell.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from . import labels, progress
from .config import resolve_path
from .extraction import SourceDataError, first_example
from .frames import isin
from .store import ExclusionLedger

EVIDENCE_COLUMNS = ["person_a", "person_b", "source", "evidence_id", "event_date", "other_date",
                    "n_people", "detail", "weight"]


def decay(days: pd.Series | np.ndarray, half_life: float) -> np.ndarray:
    """2^(-days / half_life): 1 today, 1/2 after one half-life."""
    return np.exp2(-np.asarray(days, dtype="float64") / half_life)


def evidence_weight(source: np.ndarray, age_days: np.ndarray, gap_days: np.ndarray, n_people: np.ndarray,
                    proximity_half_life: float, recency_half_life: float) -> np.ndarray:
    """The link weight of each evidence row (CONTRACT §3), the one home of the formulas:

    - crime (shared victim): decay(|t1 - t2|, proximity) x decay(as_of - max(t1, t2), recency);
    - intel: decay(as_of - log date, recency) / (n_people - 1);
    - pins (and SOC): decay(as_of - end of the shared stay, recency).

    `age_days` is as_of minus the event date, `gap_days` the crimes' gap (ignored for other sources).
    Stage 03 writes these weights; stage 05's stability analysis recomputes them with other half-lives.
    """
    src = np.asarray(source)
    w = decay(age_days, recency_half_life)
    gap = np.nan_to_num(np.abs(np.asarray(gap_days, dtype="float64")))
    w = np.where(src == "crime", w * decay(gap, proximity_half_life), w)
    n = np.asarray(n_people, dtype="float64")
    return np.where(src == "intel", w / np.where(n > 1, n - 1, 1.0), w)


def _con(**frames: pd.DataFrame) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    for name, df in frames.items():
        con.register(name, pa.Table.from_pandas(df, preserve_index=False))
    return con


def _days(later: pd.Series, earlier: pd.Series) -> np.ndarray:
    return ((pd.to_datetime(later) - pd.to_datetime(earlier)) / pd.Timedelta(days=1)).to_numpy("float64")


# --- victims -> final table ------------------------------------------------

def final_table(full: pd.DataFrame, as_of: str, proximity_half_life: float, recency_half_life: float) -> pd.DataFrame:
    """One row per unordered pair of (offender, crime) sharing a victim, offenders different."""
    rows = full[["victim_id", "offender_id", "crime_id", "crime_date"]].drop_duplicates()
    con = _con(r=rows)
    pairs = con.execute("""
        SELECT a.offender_id AS offender_a, a.crime_id AS crime_a,
               b.offender_id AS offender_b, b.crime_id AS crime_b,
               count(DISTINCT a.victim_id) AS n_shared_victims,
               string_agg(DISTINCT a.victim_id, ';' ORDER BY a.victim_id) AS shared_victims,
               any_value(a.crime_date) AS crime_date_a, any_value(b.crime_date) AS crime_date_b
        FROM r a JOIN r b ON a.victim_id = b.victim_id AND a.offender_id < b.offender_id
        GROUP BY ALL
    """).df()
    con.close()
    for c in ("crime_date_a", "crime_date_b"):
        pairs[c] = pd.to_datetime(pairs[c]).astype("datetime64[s]")
    gap = np.abs(_days(pairs["crime_date_a"], pairs["crime_date_b"]))
    latest = pairs[["crime_date_a", "crime_date_b"]].max(axis=1)
    age = _days(pd.Series(pd.Timestamp(as_of), index=pairs.index), latest)
    pairs["weight"] = decay(gap, proximity_half_life) * decay(age, recency_half_life)
    pairs["n_shared_victims"] = pairs["n_shared_victims"].astype("int64")
    cols = ["offender_a", "crime_a", "offender_b", "crime_b", "n_shared_victims", "weight",
            "crime_date_a", "crime_date_b", "shared_victims"]
    return pairs[cols].sort_values(["offender_a", "crime_a", "offender_b", "crime_b"]).reset_index(drop=True)


def crime_evidence(final: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "person_a": final["offender_a"], "person_b": final["offender_b"], "source": "crime",
        "evidence_id": final["crime_a"] + "~" + final["crime_b"],
        "event_date": final[["crime_date_a", "crime_date_b"]].max(axis=1),
        "other_date": final[["crime_date_a", "crime_date_b"]].min(axis=1),
        "n_people": pd.array([pd.NA] * len(final), dtype="Int64"),
        "detail": "victims " + final["shared_victims"], "weight": final["weight"],
    })


# --- intelligence ----------------------------------------------------------

def load_grading_map(path: str) -> pd.DataFrame:
    g = pd.read_csv(resolve_path(path), dtype=str)
    g["code"] = g["code"].str.upper()
    return g


def graded_in(logs: pd.DataFrame, grading: pd.DataFrame) -> pd.Series:
    """True where the log's grading is one the report's table includes; unknown codes stop the run."""
    ok = pd.Series(False, index=logs.index)
    for system, sub in logs.groupby("grading_system"):
        for kind, col in (("source", "source_grade"), ("information", "information_grade")):
            known = grading[(grading["grading_system"] == system) & (grading["grade_kind"] == kind)]
            bad = ~sub[col].isin(set(known["code"]))
            if bad.any():
                raise SourceDataError(
                    f"Source data problem in table 'intel_logs', column '{col}': grade not in the "
                    f"{system} system. Example value: {first_example(sub.loc[bad, col])!r}. Known {kind} grades: "
                    f"{', '.join(known['code'])}. Fix the grade or extend data/reference/intel_grading.csv.")
        inc = grading[(grading["grading_system"] == system) & (grading["included"] == "yes")]
        src = set(inc.loc[inc["grade_kind"] == "source", "code"])
        info = set(inc.loc[inc["grade_kind"] == "information", "code"])
        ok.loc[sub.index] = sub["source_grade"].isin(src) & sub["information_grade"].isin(info)
    return ok


def intel_links(logs: pd.DataFrame, members: pd.DataFrame, offenders: set[str], grading: pd.DataFrame,
                as_of: str, recency_half_life: float, ledger: ExclusionLedger) -> pd.DataFrame:
    """Each offender on a usable log links to each other person on it, once per log and pair."""
    logs = ledger.apply("intel log dated after as_of", logs, logs["log_date"] > pd.Timestamp(as_of), "logs")
    logs = ledger.apply("intel log grading not included (force report section 7.2)", logs,
                        ~graded_in(logs, grading), "logs")
    members = members[["log_id", "person_id"]].drop_duplicates()
    members = members[isin(members["log_id"], logs["log_id"])]
    with_off = set(members.loc[members["person_id"].isin(offenders), "log_id"])
    logs = ledger.apply("intel log names no full-table offender", logs, ~logs["log_id"].isin(with_off), "logs")
    n = members[members["log_id"].isin(with_off)].groupby("log_id").size()
    logs = ledger.apply("intel log names only one person", logs, logs["log_id"].map(n).fillna(0) < 2, "logs")
    m = members[isin(members["log_id"], logs["log_id"])].assign(is_off=lambda d: isin(d["person_id"], offenders))
    con = _con(m=m, l=logs[["log_id", "log_date"]])
    links = con.execute("""
        WITH n AS (SELECT log_id, count(*) AS n_people FROM m GROUP BY log_id)
        SELECT DISTINCT least(o.person_id, p.person_id) AS person_a,
               greatest(o.person_id, p.person_id) AS person_b, o.log_id AS evidence_id,
               l.log_date AS event_date, n.n_people
        FROM m o JOIN m p ON o.log_id = p.log_id AND o.person_id <> p.person_id
        JOIN n ON n.log_id = o.log_id JOIN l ON l.log_id = o.log_id
        WHERE o.is_off
    """).df()
    con.close()
    links["event_date"] = pd.to_datetime(links["event_date"]).astype("datetime64[s]")
    age = _days(pd.Series(pd.Timestamp(as_of), index=links.index), links["event_date"])
    links["weight"] = 1.0 / (links["n_people"] - 1) * decay(age, recency_half_life)
    return links.assign(source="intel", other_date=pd.NaT, detail="",
                        n_people=links["n_people"].astype("Int64"))[EVIDENCE_COLUMNS]


# --- prison cells ----------------------------------------------------------

def pins_links(stays: pd.DataFrame, offenders: set[str], as_of: str, min_days: int,
               recency_half_life: float, ledger: ExclusionLedger) -> pd.DataFrame:
    """Offender stays overlapping another person's in the same cell by at least min_days."""
    as_of_ts = pd.Timestamp(as_of)
    stays = ledger.apply("cell stay starts after as_of", stays, stays["stay_start"] > as_of_ts, "stays")
    stays = ledger.apply("cell stay has no establishment or cell", stays,
                         stays["establishment"].isna() | stays["cell_id"].isna(), "stays")
    s = stays.assign(stay_end=stays["stay_end"].fillna(as_of_ts).clip(upper=as_of_ts),
                     is_off=stays["person_id"].isin(offenders))
    con = _con(s=s)
    links = con.execute("""
        SELECT least(a.person_id, b.person_id) AS person_a, greatest(a.person_id, b.person_id) AS person_b,
               least(a.stay_id, b.stay_id) || '~' || greatest(a.stay_id, b.stay_id) AS evidence_id,
               least(a.stay_end, b.stay_end) AS event_date,
               date_diff('day', greatest(a.stay_start, b.stay_start), least(a.stay_end, b.stay_end)) AS days
        FROM s a JOIN s b
          ON a.establishment = b.establishment AND a.cell_id = b.cell_id
         AND a.stay_start < b.stay_end AND b.stay_start < a.stay_end AND a.person_id <> b.person_id
        WHERE a.is_off AND (NOT b.is_off OR a.stay_id < b.stay_id)
          AND date_diff('day', greatest(a.stay_start, b.stay_start), least(a.stay_end, b.stay_end)) >= ?
    """, [min_days]).df()
    con.close()
    links["event_date"] = pd.to_datetime(links["event_date"]).astype("datetime64[s]")
    age = _days(pd.Series(as_of_ts, index=links.index), links["event_date"])
    links["weight"] = decay(age, recency_half_life)
    links["detail"] = "overlap " + links["days"].astype("int64").astype(str) + " days"
    return links.assign(source="pins", other_date=pd.NaT,
                        n_people=pd.array([pd.NA] * len(links), dtype="Int64"))[EVIDENCE_COLUMNS]


# --- SOC network and person-level edges -----------------------------------

def soc_links(edges: pd.DataFrame, ledger: ExclusionLedger) -> pd.DataFrame:
    """The SOC network's edges as they are, in canonical (a < b) order.

    Evidence ids come from content, never row position: ``soc:A~B`` for the
    pair's edge, and ``soc:A~B#2``, ``#3``... when the network holds several
    edges between the same two people (numbered in order of link type, then
    weight), so the ids are the same whatever order the database returns rows in.
    """
    edges = ledger.apply("SOC edge joins a person to themselves", edges, edges["person_a"] == edges["person_b"],
                         "edges")
    a = edges[["person_a", "person_b"]].min(axis=1)
    b = edges[["person_a", "person_b"]].max(axis=1)
    out = pd.DataFrame({
        "person_a": a, "person_b": b, "source": "soc", "evidence_id": "",
        "event_date": pd.NaT, "other_date": pd.NaT, "n_people": pd.array([pd.NA] * len(edges), dtype="Int64"),
        "detail": edges["link_type"].fillna(""), "weight": edges["weight"].astype("float64"),
    })[EVIDENCE_COLUMNS]
    out = out.sort_values(["person_a", "person_b", "detail", "weight"], kind="mergesort").reset_index(drop=True)
    nth = out.groupby(["person_a", "person_b"], sort=False).cumcount() + 1
    suffix = ("#" + nth.astype(str)).where(nth > 1, "")
    out["evidence_id"] = "soc:" + out["person_a"].astype(str) + "~" + out["person_b"].astype(str) + suffix
    return out


def person_edges(evidence: pd.DataFrame) -> pd.DataFrame:
    """Sum of link weights and number of links per unordered pair and source."""
    return (evidence.groupby(["person_a", "person_b", "source"], as_index=False, observed=True)
            .agg(weight=("weight", "sum"), n_links=("weight", "size"))
            .sort_values(["person_a", "person_b", "source"]).reset_index(drop=True))


@dataclass
class Links:
    final_table: pd.DataFrame
    evidence: pd.DataFrame
    network_edges: pd.DataFrame
    exclusions: pd.DataFrame


def link(full: pd.DataFrame, tables: dict[str, pd.DataFrame], grading: pd.DataFrame, as_of: str,
         proximity_half_life: float, recency_half_life: float, min_cell_share_days: int) -> Links:
    """All four link sources, traced to their records, rolled up per person pair."""
    final = final_table(full, as_of, proximity_half_life, recency_half_life)
    offenders = set(full["offender_id"])
    intel_l, pins_l, soc_l = ExclusionLedger("linking"), ExclusionLedger("linking"), ExclusionLedger("linking")
    parts = [
        crime_evidence(final),
        intel_links(tables["intel_logs"], tables["intel_log_nominals"], offenders, grading, as_of,
                    recency_half_life, intel_l),
        pins_links(tables["pins_cell_stays"], offenders, as_of, min_cell_share_days, recency_half_life, pins_l),
        soc_links(tables["soc_network_edges"], soc_l),
    ]
    evidence = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) \
        else parts[0].iloc[0:0]
    for c in ("event_date", "other_date"):
        evidence[c] = pd.to_datetime(evidence[c]).astype("datetime64[s]")
    evidence = evidence.sort_values(["person_a", "person_b", "source", "evidence_id"]).reset_index(drop=True)
    exclusions = pd.concat([intel_l.frame(), pins_l.frame(), soc_l.frame()], ignore_index=True)
    return Links(final.drop(columns="shared_victims"), evidence, person_edges(evidence), exclusions)


def run_stage(out_dir: str, grading_map: str, as_of: str, proximity_half_life_days: float,
              recency_half_life_days: float, min_cell_share_days: int, summary_start: str,
              summary_end: str) -> Links:
    """Notebook 03: link, export final_table, edge_evidence, network_edges, the full exclusions ledger
    and linking_facts (the headline facts notebooks 03 and 04 and the report's summary read)."""
    from . import store

    full = store.read_table(out_dir, "full_table")
    tables = store.load_work(out_dir, "extraction", ["intel_logs", "intel_log_nominals", "pins_cell_stays",
                                                    "soc_network_edges"])
    progress.say(f"linking: shared victims, intelligence logs, cell shares and SOC links of "
                 f"{full['offender_id'].nunique():,} offenders")
    links = link(full, tables, load_grading_map(grading_map), as_of, proximity_half_life_days,
                 recency_half_life_days, min_cell_share_days)
    store.write_table(out_dir, "final_table", links.final_table)
    store.write_table(out_dir, "edge_evidence", links.evidence)
    store.write_table(out_dir, "network_edges", links.network_edges)
    earlier = [store.load_work(out_dir, s, ["exclusions"])["exclusions"] for s in ("extraction", "filtering")]
    store.write_table(out_dir, "exclusions", pd.concat([*earlier, links.exclusions], ignore_index=True))
    store.write_facts(out_dir, "linking_facts", headline(links.final_table, full, summary_start, summary_end))
    return links


def headline(ft: pd.DataFrame, full: pd.DataFrame, summary_start: str, summary_end: str) -> dict[str, int | float]:
    """The final table's headline counts (force report sections 4 and 9.2): the one home of these
    formulas. `run_stage` writes them as `linking_facts`; notebooks and the summary read that."""
    pairs = pd.concat([ft[["offender_a", "crime_a"]].set_axis(["o", "c"], axis=1),
                       ft[["offender_b", "crime_b"]].set_axis(["o", "c"], axis=1)]).drop_duplicates()
    per_crime = pairs.groupby("c")["o"].nunique()
    dates = full.drop_duplicates("crime_id").set_index("crime_id")["crime_date"]
    in_final = pd.to_datetime(dates.reindex(pd.Index(pairs["c"].unique())))
    return {
        "crimes_in_window": int(in_final.between(pd.Timestamp(summary_start), pd.Timestamp(summary_end)).sum()),
        "connections": len(ft), "offenders": pairs["o"].nunique(), "crimes": pairs["c"].nunique(),
        "pct_single_offender": round(100 * float((per_crime == 1).mean()), 1) if len(per_crime) else 0.0,
        "max_offenders_per_crime": int(per_crime.max()) if len(per_crime) else 0,
    }


def source_summary(links: Links) -> pd.DataFrame:
    """Person-level edges, links and people reached per source (no identifiers)."""
    e = links.network_edges
    rows = []
    for src in ("crime", "intel", "pins", "soc"):
        sub = e[e["source"] == src]
        rows.append({"source": SOURCE_LABELS[src], "person pairs": len(sub), "links": int(sub["n_links"].sum()),
                     "people": int(pd.concat([sub["person_a"], sub["person_b"]]).nunique())})
    return pd.DataFrame(rows)


SOURCE_LABELS = labels.SOURCES  # the one label map (config/labels.yml)
