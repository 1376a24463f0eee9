"""Assemble the pack's frames from a run's tables and stage hand-offs (no display code here).

`load(out_dir)` reads what the pack needs through the names in `columns`; `nominals(...)`
builds the one-row-per-person list an analyst searches; `disruption(...)` the adults-only
tasking list; `notes` records every optional input that was missing and the fallback used.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from .. import people
from ..config import resolve_path
from ..frames import isin
from ..store import load_rows
from . import columns as C

CHILD_AGE = 18
# Centrality bands: share of the network's people at or above a person's centrality.
CENTRALITY_BANDS = [(0.01, "top 1%"), (0.05, "top 5%"), (0.10, "top 10%"), (0.25, "top 25%"), (1.0, "lower 75%")]
ROUTING = {
    "child_now": "CHILD NOW: safeguarding referral only; never a target of disruption",
    "offended_as_child": "Offended as a child: safeguarding review before any tasking",
    "victim_offender": "Also a victim: safeguarding review before any tasking",
    "age_unknown": "Age unknown: confirm age before any tasking",
}


class PackInputError(ValueError):
    """A table the pack needs is missing or lacks a column; the message says what to do."""


@dataclass
class Inputs:
    """Everything the pack reads; optional frames are None when absent (and noted)."""

    nodes: pd.DataFrame
    groups: pd.DataFrame
    edges: pd.DataFrame
    evidence: pd.DataFrame
    full: pd.DataFrame
    nominals: pd.DataFrame | None = None
    intel: pd.DataFrame | None = None
    stays: pd.DataFrame | None = None
    soc: pd.DataFrame | None = None
    safeguarding: pd.DataFrame | None = None
    safeguarding_victims: pd.DataFrame | None = None
    safeguarding_present: bool = False  # safeguarding_people came from the safeguarding stage
    notes: list[str] = field(default_factory=list)


def _table(out: Path, key: str) -> pd.DataFrame | None:
    p = out / "tables" / f"{C.TABLES[key]}.parquet"
    return pd.read_parquet(p) if p.exists() else None


def _require(df: pd.DataFrame | None, name: str, cols: dict[str, str], keys: list[str], where: str) -> pd.DataFrame:
    if df is None:
        raise PackInputError(f"The pack needs {where}/{name}.parquet, which this run did not write. "
                             "Run the stages before notebook 06 (cse-network run does this).")
    missing = [cols[k] for k in keys if cols[k] not in df.columns]
    if missing:
        raise PackInputError(
            f"{where}/{name} has no column {missing[0]!r} (it has {', '.join(map(str, df.columns[:12]))}). "
            f"Adapt the name in src/helpers/pack/columns.py to the table's new column.")
    return df


def load(out_dir: str | Path) -> Inputs:
    """Read the tables and hand-offs; required ones fail with a fix, optional ones are noted."""
    out = resolve_path(out_dir)
    req = {"nodes": (C.NODE, ["person", "group", "harm_cchi", "harm_ons", "dismantle", "centrality"]),
           "groups": (C.GROUP, ["group", "n_people", "rank", "band"]),
           "edges": (C.EDGE, ["a", "b", "source"]),
           "evidence": (C.EVIDENCE, ["a", "b", "source", "id", "date", "detail"]),
           "full": (C.FULL, ["crime", "title", "date", "offender"])}
    frames = {k: _require(_table(out, k), C.TABLES[k], cols, keys, "tables") for k, (cols, keys) in req.items()}
    inp = Inputs(**frames)
    for key, (stage, name) in C.WORK.items():
        p = out / "work" / stage / f"{name}.parquet"
        if p.exists() and key == "nominals":  # only the network's people's records: a national table is large
            _require(pd.DataFrame(columns=pq.read_schema(p).names), name, C.NOMINAL, list(C.NOMINAL),
                     f"work/{stage}")
            inp.nominals = load_rows(out, stage, name, list(C.NOMINAL.values()), C.NOMINAL["person"],
                                     inp.nodes[C.NODE["person"]])
        elif p.exists():
            setattr(inp, key, pd.read_parquet(p))
        else:
            inp.notes.append(f"hand-off work/{stage}/{name} not found: "
                             + {"nominals": "current age and sex are not shown",
                                "intel": "intelligence links show no grade",
                                "stays": "cell-share links show no establishment",
                                "soc": "SOC group ids are not shown"}[key] + ".")
    inp.safeguarding = _table(out, "safeguarding_people")
    inp.safeguarding_present = inp.safeguarding is not None
    if inp.safeguarding is None:
        sl = _table(out, "safeguarding_list")
        inp.notes.append(f"table {C.TABLES['safeguarding_people']} not found: the safeguarding list is "
                         f"{C.TABLES['safeguarding_list']} with flags from {C.TABLES['nodes']}"
                         if sl is not None else "no safeguarding table found: flags from network_nodes only")
        inp.safeguarding = _legacy_safeguarding(inp.nodes, sl)
    inp.safeguarding_victims = _table(out, "safeguarding_victims")
    if inp.safeguarding_victims is None:
        inp.notes.append(f"table {C.TABLES['safeguarding_victims']} not found: no victim safeguarding list.")
    if C.NODE["child_now"] not in inp.nodes.columns:
        inp.notes.append(f"{C.TABLES['nodes']} has no {C.NODE['child_now']!r} column: 'child now' is derived here "
                         f"from current age (under {CHILD_AGE} at the extraction date).")
    return inp


def _legacy_safeguarding(nodes: pd.DataFrame, sl: pd.DataFrame | None) -> pd.DataFrame:
    """Today's tables: flags on network_nodes plus safeguarding_list reasons, in the new shape."""
    S, N = C.SAFEGUARDING, C.NODE
    ids = pd.Series(dtype=str) if sl is None else sl[C.SAFEGUARDING_LIST["person"]]
    f = nodes.loc[nodes[N["person"]].isin(ids)] if sl is not None else nodes.iloc[0:0]
    out = pd.DataFrame({S["person"]: f[N["person"]].to_numpy()})
    out[S["offended_as_child"]] = f[N["child_offender"]].to_numpy() if N["child_offender"] in f else False
    out[S["victim_offender"]] = f[N["victim_offender"]].to_numpy() if N["victim_offender"] in f else False
    if sl is not None:
        out[S["reasons"]] = out[S["person"]].map(sl.set_index(C.SAFEGUARDING_LIST["person"])
                                                 [C.SAFEGUARDING_LIST["reasons"]])
    return out


def person_attributes(nominals: pd.DataFrame | None, crime_dates: pd.Series, as_of: str) -> pd.DataFrame:
    """person_id, current_age (whole years at as_of), sex.

    Age comes from the dob on the person's most recent crime record (ties: latest dob);
    sex is the most frequently recorded known value (ties: the most recent record),
    as ADR 0004 reconciles it. `crime_dates` maps crime_id to date.
    """
    cols = ["person_id", "current_age", "sex"]
    if nominals is None or nominals.empty:
        return pd.DataFrame(columns=cols)
    N = C.NOMINAL
    n = nominals[[N["crime"], N["person"], N["dob"], N["sex"]]].copy()
    n.columns = ["crime_id", "person_id", "dob", "sex"]
    # reindex, not .map: pandas maps through an empty datetime Series by casting it to float (a crash)
    n["date"] = pd.to_datetime(pd.Series(crime_dates.reindex(n["crime_id"]).to_numpy(), index=n.index))
    n["dob"] = pd.to_datetime(n["dob"])
    d = n.dropna(subset=["dob"]).sort_values(["person_id", "date", "dob"], na_position="first", kind="mergesort")
    dob = d.groupby("person_id")["dob"].last()
    age = people.age_years(dob, pd.Timestamp(as_of))  # the one age rule
    s = n.loc[n["sex"].notna() & ~n["sex"].isin(["U", ""])]
    cnt = s.groupby(["person_id", "sex"]).agg(k=("crime_id", "size"), last=("date", "max")).reset_index()
    cnt = cnt.sort_values(["person_id", "k", "last", "sex"], ascending=[True, False, False, True], kind="mergesort")
    sex = cnt.drop_duplicates("person_id").set_index("person_id")["sex"]
    out = pd.DataFrame({"current_age": age.clip(lower=0).astype("Int64")}).join(sex, how="outer")
    return out.rename_axis("person_id").reset_index()[cols]


def centrality_band(c: pd.Series) -> pd.Series:
    """A readable band: the share of people at or above this centrality (ties share the best band)."""
    if c.empty:
        return pd.Series(dtype=object)
    top_share = c.rank(method="max", ascending=False) / len(c)
    labels = pd.Series(CENTRALITY_BANDS[-1][1], index=c.index, dtype=object)
    for share, label in reversed(CENTRALITY_BANDS):
        labels[top_share <= share] = label
    return labels


def _bool(df: pd.DataFrame, col: str) -> pd.Series:
    return df[col].fillna(False).astype(bool) if col in df.columns else pd.Series(False, index=df.index)


def _known(s: pd.Series) -> pd.Series:
    """A mapped flag: True where known and true; unknown (not in the table) is False."""
    return s.astype("boolean").fillna(False).astype(bool)


def nominals(inp: Inputs, as_of: str) -> pd.DataFrame:
    """One row per person in the network: the searchable list of nominals."""
    N, G = C.NODE, C.GROUP
    nd = inp.nodes
    crime_dates = inp.full.drop_duplicates(C.FULL["crime"]).set_index(C.FULL["crime"])[C.FULL["date"]]
    out = pd.DataFrame({"person_id": nd[N["person"]].astype(str).to_numpy()})
    # each person's attributes come from their own records only: read just the network's people's
    mine = None if inp.nominals is None else \
        inp.nominals.loc[isin(inp.nominals[C.NOMINAL["person"]], out["person_id"])]
    attrs = person_attributes(mine, crime_dates, as_of).set_index("person_id")
    gp = inp.groups.set_index(G["group"])
    out["current_age"] = pd.array(out["person_id"].map(attrs["current_age"]).tolist(), dtype="Int64")
    out["sex"] = out["person_id"].map(attrs["sex"])
    out["group_id"] = nd[N["group"]].to_numpy()
    out["group_priority"] = pd.array(out["group_id"].map(gp[G["rank"]]).tolist(), dtype="Int64")
    out["group_band"] = out["group_id"].map(gp[G["band"]])
    out["cse_offender"] = _bool(nd, N["offender"]).to_numpy()
    out["harm_cchi"] = nd[N["harm_cchi"]].round(1).to_numpy()
    out["harm_ons"] = nd[N["harm_ons"]].round(1).to_numpy()
    out["centrality"] = centrality_band(nd[N["centrality"]]).to_numpy()
    out["disruption_order"] = pd.array(nd[N["dismantle"]].tolist(), dtype="Int64")
    if inp.soc is not None:
        pg = pd.DataFrame({"p": inp.soc[C.SOC["person"]].to_numpy(),
                           "g": inp.soc[C.SOC["group"]].map(str).to_numpy()}).drop_duplicates()
        soc = pg.sort_values(["p", "g"], kind="mergesort").groupby("p")["g"].agg("|".join)  # sorted, distinct
        out["soc_group"] = out["person_id"].map(soc)
    else:
        out["soc_group"] = None
    if N["child_now"] in nd.columns:
        out["child_now"] = _bool(nd, N["child_now"]).to_numpy()
    else:
        out["child_now"] = (out["current_age"] < CHILD_AGE).fillna(False).astype(bool)
    sg = inp.safeguarding.set_index(C.SAFEGUARDING["person"]) if inp.safeguarding is not None else None
    flags: dict[str, pd.Series] = {"child_now": out["child_now"]}
    for key in ("offended_as_child", "victim_offender"):
        col = C.SAFEGUARDING[key]
        flags[key] = (_known(out["person_id"].map(sg[col]))
                      if sg is not None and col in sg.columns else pd.Series(False, index=out.index))
    if sg is not None and C.SAFEGUARDING["child_now"] in sg.columns:
        flags["child_now"] = flags["child_now"] | _known(out["person_id"].map(sg[C.SAFEGUARDING["child_now"]]))
        out["child_now"] = flags["child_now"]
    flags["age_unknown"] = out["current_age"].isna() & out["cse_offender"]
    routing = np.full(len(out), "", dtype=object)
    for k, text in ROUTING.items():  # each reason in ROUTING's order, "; " between them
        hit = flags[k].to_numpy(bool)
        routing[hit] = np.where(routing[hit] == "", text, routing[hit] + "; " + text)
    out["routing"] = routing
    out["safeguarding"] = flags["child_now"] | flags["offended_as_child"] | flags["victim_offender"]
    return out.sort_values("person_id", kind="mergesort").reset_index(drop=True)


def lookup_rows(nom: pd.DataFrame, cap: int) -> pd.DataFrame:
    """The nominals the pack's searchable list holds: everyone when there are at most `cap`;
    otherwise the `cap` people the rest of the pack is most likely to send a reader to look up,
    taken in this order: by group priority (best first; no group last), then by disruption order
    (no order last), then by person id. Shown in person-id order, as the whole list is.

    The list is a look-up, not a ranking (children are in it, with their routing), and the whole
    list is always in exports/i2_entities.csv; the cap keeps the page one a browser can open (a
    searchable table of 3.0 million people is about 550 MB of HTML)."""
    if len(nom) <= cap:
        return nom
    keep = nom.sort_values(["group_priority", "disruption_order", "person_id"], kind="mergesort",
                           na_position="last").head(cap).index
    return nom.loc[nom.index.isin(keep)].sort_values("person_id", kind="mergesort").reset_index(drop=True)


def disruption(nom: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The disruption list in order, adults only; returns (list, number of children removed)."""
    d = nom.loc[nom["disruption_order"].notna()]
    kids = int(d["child_now"].sum())
    d = d.loc[~d["child_now"]].sort_values(["disruption_order", "person_id"], kind="mergesort")
    cols = ["disruption_order", "person_id", "current_age", "sex", "group_id", "group_priority", "harm_cchi",
            "harm_ons", "centrality", "soc_group", "routing"]
    return d[cols].reset_index(drop=True), kids


def soc_overlap(nom: pd.DataFrame) -> pd.DataFrame:
    """People in both the CSE network and the SOC network, with their SOC group ids."""
    d = nom.loc[nom["soc_group"].notna()]
    cols = ["person_id", "soc_group", "group_id", "group_priority", "cse_offender", "harm_cchi", "harm_ons",
            "disruption_order", "routing"]
    return d[cols].sort_values(["soc_group", "person_id"], kind="mergesort").reset_index(drop=True)


def top_groups(groups: pd.DataFrame, n: int) -> pd.DataFrame:
    """The n highest-priority groups, in priority order."""
    G = C.GROUP
    return groups.sort_values([G["rank"], G["group"]], kind="mergesort").head(n).reset_index(drop=True)


def group_members(nom: pd.DataFrame, group_id: str) -> pd.DataFrame:
    return nom.loc[nom["group_id"] == group_id].reset_index(drop=True)


def group_edges(edges: pd.DataFrame, members: set[str]) -> pd.DataFrame:
    """Edges with both ends in the group (one row per pair and source)."""
    E = C.EDGE
    m = edges[E["a"]].isin(members) & edges[E["b"]].isin(members)
    e = edges.loc[m, [E["a"], E["b"], E["source"]]]
    e.columns = ["person_a", "person_b", "source"]
    return e.sort_values(["person_a", "person_b", "source"], kind="mergesort").reset_index(drop=True)


def safeguarding_people(inp: Inputs, nom: pd.DataFrame) -> pd.DataFrame:
    """The safeguarding list, sorted by id only (never by harm or priority)."""
    S = C.SAFEGUARDING
    sg = inp.safeguarding if inp.safeguarding is not None else pd.DataFrame(columns=[S["person"]])
    ids = set(sg[S["person"]].astype(str)) | set(nom.loc[nom["safeguarding"], "person_id"])
    out = pd.DataFrame({"person_id": sorted(ids)})
    n = nom.set_index("person_id")
    out["current_age"] = pd.array(out["person_id"].map(n["current_age"]).tolist(), dtype="Int64")
    out["routing"] = out["person_id"].map(n["routing"]).fillna("")
    s = sg.set_index(S["person"])
    if S["routing"] in s.columns:
        own = out["person_id"].map(s[S["routing"]]).fillna("")
        out["routing"] = np.where(own != "", own, out["routing"])
    out["reasons"] = out["person_id"].map(s[S["reasons"]]) if S["reasons"] in s.columns else ""
    out["reasons"] = out["reasons"].fillna("")
    return out
