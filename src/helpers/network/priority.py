"""Group priorities that surface exploitation: evidence first, then harm (counted once) and shared victims.

    priority_score = evidence_strength * (w_harm * P(harm) + w_victims * P(shared child victims)
                                          + w_recency * recency + w_soc * SOC)

with default weights harm 0.60, shared victims 0.25, recency 0.05, SOC 0.10 (ADR 0008 gives the
measurements that chose them).

Evidence is a multiplier, not one more term (ADR 0008): a group held together
only by small intelligence logs (evidence 0.25) cannot outrank a ring of
offenders who share child victims (1) or a cell (0.5) by being larger, more
recent or more harmful, unless it scores four (or two) times as much on
everything else. The weights (`priority_weights`) sum to 1, so the score is
between 0 and 1.

- P(x) is the group's percentile rank among all groups (0 to 1, ties share
  the average rank), and 0 for a group with x = 0.
- P(harm) is P(CCHI harm) while the ONS weights are a constant multiple of
  the CCHI ones (rank correlation over the crimes >= `DEPENDENT_RHO`): harm is
  then one index, counted once. With independent indices it is the mean of
  P(CCHI) and P(ONS).
- evidence_strength (0 to 1): the mean, over the group's offenders, of the
  strongest tie each has to another member: a crime link (shared child victim
  or offending together) 1, a shared cell 0.5, a small intelligence log 0.25.
  A ring of offenders who share victims scores 1; offenders held together
  only by small logs score 0.25.
- shared child victims: distinct victims linked to two or more of the group's offenders.
- recency = 2^(-(as_of - last activity) / recency half-life); SOC = 1 when a
  member is in the SOC network.

Bands: the `high_band_max_groups` best ranks (at most 10% of groups) are
**high**, an intelligence unit's tasking list; the next ranks up to 30% of
groups are **medium**; the rest **low**.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import harm as hm
from ..frames import isin
from ..linking import decay
from .graph import sig

# The weights have one home, config/params.yml (priority_weights); every caller passes them.
EVIDENCE_POINTS = {"crime": 1.0, "pins": 0.5, "small_log": 0.25}
HIGH_SHARE, MEDIUM_SHARE = 0.10, 0.30
DEPENDENT_RHO = 0.99


def harm_basis(crimes: pd.DataFrame, rho: float = DEPENDENT_RHO) -> str:
    """'cchi' when the two indices rank crimes alike (one index, counted once), else 'both'."""
    agree = hm.index_agreement(crimes)
    r = agree.get("rank_correlation", float("nan"))
    return "both" if (np.isfinite(r) and r < rho) else "cchi"


def inner_pairs(gmap: pd.Series, pairs: pd.DataFrame) -> pd.DataFrame:
    """The pairs whose two people are in the same group (`gmap`: person_id -> group_id), that group as `ga`."""
    e = pairs.assign(ga=pairs["person_a"].map(gmap), gb=pairs["person_b"].map(gmap))
    return e.loc[e["ga"].notna() & (e["ga"] == e["gb"])]


def evidence_strength(membership: pd.DataFrame, pairs: pd.DataFrame, offenders: set,
                      inner: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per group: internal tie counts by kind and evidence_strength (see the module docstring).

    Columns group_id, n_crime_ties, n_pins_ties, n_small_log_ties (pairs of
    members with at least one such link), n_weak_ties (pairs of members with
    large-log links only), evidence_strength. `inner` is `inner_pairs` when already computed.
    """
    gmap = membership.dropna(subset=["group_id"]).set_index("person_id")["group_id"]
    e = inner_pairs(gmap, pairs) if inner is None else inner
    crime, pins, small = e["n_crime_links"] > 0, e["n_pins_links"] > 0, e["n_small_log_links"] > 0
    pts = np.select([crime, pins, small], [EVIDENCE_POINTS["crime"], EVIDENCE_POINTS["pins"],
                                           EVIDENCE_POINTS["small_log"]], 0.0)
    e = e.assign(pts=pts, crime=crime, pins=pins, small=small, weak=~(crime | pins | small))
    counts = e.groupby("ga").agg(n_crime_ties=("crime", "sum"), n_pins_ties=("pins", "sum"),
                                 n_small_log_ties=("small", "sum"), n_weak_ties=("weak", "sum"))
    ends = pd.concat([e[["person_a", "ga", "pts"]].rename(columns={"person_a": "p"}),
                      e[["person_b", "ga", "pts"]].rename(columns={"person_b": "p"})])
    best = ends.loc[isin(ends["p"], offenders)].groupby("p")["pts"].max()
    off = membership.loc[membership["group_id"].notna() & isin(membership["person_id"], offenders)]
    off = off.assign(pts=off["person_id"].map(best).fillna(0.0))
    strength = off.groupby("group_id")["pts"].mean()
    gids = pd.Index(sorted(gmap.unique()), name="group_id")
    out = counts.reindex(gids).fillna(0).astype(int)
    out["evidence_strength"] = sig(strength.reindex(gids).fillna(0.0).to_numpy())
    return out.reset_index()


def shared_victims(membership: pd.DataFrame, full_table: pd.DataFrame) -> pd.Series:
    """Per group: distinct victims linked (full table) to two or more of its offenders."""
    gmap = membership.dropna(subset=["group_id"]).set_index("person_id")["group_id"]
    ov = full_table[["offender_id", "victim_id"]].drop_duplicates()
    ov = ov.assign(g=ov["offender_id"].astype(str).map(gmap)).dropna(subset=["g"])
    n = ov.groupby(["g", "victim_id"])["offender_id"].nunique()
    return (n[n >= 2].reset_index().groupby("g").size()).rename("n_shared_victims")


def group_table(membership: pd.DataFrame, full_table: pd.DataFrame, crimes: pd.DataFrame,
                pairs: pd.DataFrame, offenders: set, soc_people: set) -> pd.DataFrame:
    """Per group: size, offenders, harm of its distinct crimes, evidence, shared victims, last activity, SOC."""
    m = membership.dropna(subset=["group_id"])
    if m.empty:
        ints = ["n_people", "n_offenders", "soc_overlap", "n_crimes", "n_crime_ties", "n_pins_ties",
                "n_small_log_ties", "n_weak_ties", "n_shared_victims"]
        return pd.DataFrame({"group_id": pd.Series(dtype=object), "component_id": pd.Series(dtype=object)}
                            | {c: pd.Series(dtype="int64") for c in ints}
                            | {c: pd.Series(dtype=float) for c in ("harm_cchi", "harm_ons", "evidence_strength")}
                            | {"last_activity": pd.Series(dtype="datetime64[ns]")})
    m = m.assign(is_off=isin(m["person_id"], offenders), in_soc=isin(m["person_id"], soc_people))
    g = m.groupby("group_id", sort=True)
    out = pd.DataFrame({"component_id": g["component_id"].first(), "n_people": g.size(),
                        "n_offenders": g["is_off"].sum(), "soc_overlap": g["in_soc"].sum()}).reset_index()
    ft = full_table.assign(offender_id=full_table["offender_id"].astype(str))
    gh = hm.group_harm(ft.loc[isin(ft["offender_id"], offenders)], crimes, m)
    out = out.merge(gh, on="group_id", how="left")
    inner = inner_pairs(m.set_index("person_id")["group_id"], pairs)  # mapped once, used twice
    out = out.merge(evidence_strength(m, pairs, offenders, inner), on="group_id", how="left")
    out["n_shared_victims"] = out["group_id"].map(shared_victims(m, ft)).fillna(0).astype(int)
    last_edge = inner.groupby("ga")["last_date"].max()
    out["last_activity"] = pd.concat([pd.to_datetime(out["last_crime_date"]),
                                      pd.to_datetime(out["group_id"].map(last_edge))], axis=1).max(axis=1)
    out = out.drop(columns="last_crime_date")
    for c in ("n_crimes", "harm_cchi", "harm_ons"):
        out[c] = out[c].fillna(0)
    out["n_crimes"] = out["n_crimes"].astype(int)
    return out


def _p(x: pd.Series) -> pd.Series:
    """Percentile rank in (0, 1], ties averaged; 0 where x is 0 or missing."""
    x = x.fillna(0).astype(float)
    return x.rank(pct=True).where(x > 0, 0.0) if len(x) else x


def formula(weights: dict[str, float]) -> str:
    """The priority formula with this run's weights, in words (notebook 05 and the report print it).

    >>> formula({"harm": 0.6, "victims": 0.25, "recency": 0.05, "soc": 0.1}).split(" + ")[1:]
    ['0.25 × P(shared child victims)', '0.05 × recency', '0.10 × SOC)']
    """
    w = weights
    return (f"priority_score = evidence strength × ({w['harm']:.2f} × P(harm) + {w['victims']:.2f} × "
            f"P(shared child victims) + {w['recency']:.2f} × recency + {w['soc']:.2f} × SOC)")


def prioritise(groups_df: pd.DataFrame, as_of: pd.Timestamp, recency_hl: float,
               weights: dict[str, float], basis: str = "cchi",
               high_band_max_groups: int = 50) -> pd.DataFrame:
    """Add recency, priority_score, priority_rank (1 = first) and priority_band; sorted by group_id."""
    w = weights
    d = groups_df.copy()
    age = (as_of - pd.to_datetime(d["last_activity"])).dt.days.astype(float)
    d["recency"] = sig(pd.Series(decay(age, recency_hl), index=d.index).fillna(0.0))  # linking's one decay
    p_harm = _p(d["harm_cchi"]) if basis == "cchi" else (_p(d["harm_cchi"]) + _p(d["harm_ons"])) / 2
    score = d["evidence_strength"].astype(float) * (
        w["harm"] * p_harm + w["victims"] * _p(d["n_shared_victims"]) + w["recency"] * d["recency"]
        + w["soc"] * (d["soc_overlap"] > 0).astype(float))
    d["priority_score"] = sig(score) if len(d) else score.astype(float)
    d = d.sort_values(["priority_score", "harm_cchi", "group_id"], ascending=[False, False, True], kind="mergesort")
    n = len(d)
    d["priority_rank"] = np.arange(1, n + 1)
    n_high = min(int(high_band_max_groups), math.ceil(HIGH_SHARE * n))
    n_medium = max(n_high, math.ceil(MEDIUM_SHARE * n))
    d["priority_band"] = np.where(d["priority_rank"] <= n_high, "high",
                                  np.where(d["priority_rank"] <= n_medium, "medium", "low"))
    return d.sort_values("group_id").reset_index(drop=True)
