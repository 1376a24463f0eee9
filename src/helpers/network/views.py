"""Display views of the stage-05 tables: aggregates only, plain-English headers.

Nothing here computes a ranking; the notebook and the report call these on
what `stage.run_stage` returned. (Computation never imports display code.)
"""
from __future__ import annotations

import igraph as ig
import numpy as np
import pandas as pd

from .. import dismantle as dm
from .. import labels
from .graph import CSE_SOURCES, sig


def size_band(n: pd.Series) -> pd.Series:
    return pd.cut(n, [0, 1, 2, 5, 10, 50, 150, np.inf], labels=["1", "2", "3-5", "6-10", "11-50", "51-150", ">150"])


def centrality_summary(nodes: pd.DataFrame) -> pd.DataFrame:
    who = np.where(nodes["is_cse_offender"], "full-table offenders", "other linked people")
    g = nodes.assign(who=who).groupby("who")
    return pd.DataFrame({
        "people": g.size(), "degree_median": g["degree"].median(), "degree_p90": g["degree"].quantile(0.9),
        "betweenness_median": g["betweenness"].median().round(1),
        "betweenness_p90": g["betweenness"].quantile(0.9).round(1),
        "pagerank_x_n_median": (g["centrality"].median() * len(nodes)).round(2),
    }).reset_index()


def band_summary(groups_df: pd.DataFrame) -> pd.DataFrame:
    """Per priority band: groups, people, offenders, harm shares, SOC reach, recency, evidence, stability."""
    g = groups_df.groupby("priority_band")
    out = pd.DataFrame({
        "groups": g.size(), "people": g["n_people"].sum(), "offenders": g["n_offenders"].sum(),
        "share_cchi_harm": g["harm_cchi"].sum() / groups_df["harm_cchi"].sum(),
        "share_ons_harm": g["harm_ons"].sum() / groups_df["harm_ons"].sum(),
        "groups_reaching_soc": g["soc_overlap"].apply(lambda s: int((s > 0).sum())),
        "median_recency": g["recency"].median().round(2),
        "median_evidence": g["evidence_strength"].median().round(2),
        "median_stability": g["stability"].median().round(2),
    }).reindex(["high", "medium", "low"]).dropna(how="all").reset_index()
    return out


METHOD_LABELS = {code: m.label for code, m in dm.METHODS.items()}  # the one method registry: dismantle.METHODS


STABLE_JACCARD = 0.70   # the stability target: top-group overlap (Jaccard) with the unperturbed run


def stability_verdict(stab: pd.DataFrame) -> str | None:
    """The one wording of the stability verdict (notebook 05 and the report's summary).

    >>> t = pd.DataFrame({"ranking": ["people in the top groups by priority"] * 2, "scenario": ["a", "b"],
    ...                   "mean": [0.9, 0.8], "min": [0.75, 0.6]})
    >>> stability_verdict(t).split(":")[0]
    'The people in the ten highest-priority groups change noticeably when the inputs are perturbed'
    """
    if not len(stab) or not {"ranking", "mean", "min"} <= set(stab.columns):
        return None
    top = stab.loc[stab["ranking"].astype(str).str.contains("top groups", case=False)]
    if not len(top):
        return None
    lo, hi = float(top["min"].min()), float(top["mean"].max())
    word = ("change a lot" if lo < 0.5 else "change noticeably" if lo < STABLE_JACCARD else "are stable")
    span = f"{lo:.2f}" if round(lo, 2) == round(hi, 2) else f"{lo:.2f} to {hi:.2f}"
    n = top["scenario"].nunique() if "scenario" in top else len(top)
    return (f"The people in the ten highest-priority groups {word} when the inputs are perturbed: their overlap "
            f"(Jaccard) with the unperturbed run is {span} across {n} scenarios (lowest run to best mean; "
            f"target {STABLE_JACCARD:.2f}).")


def comparison_view(cmp: pd.DataFrame) -> pd.DataFrame:
    """Display view of the comparison: R to 2 significant figures, plain-English headers."""
    d = cmp.copy()
    d["method"] = d["method"].map(METHOD_LABELS).fillna(d["method"])
    d["R_harm"] = sig(d["R_harm"], 2)
    d["harm_share_removed"] = d["harm_share_removed"].map(lambda x: "" if pd.isna(x) else f"{x:.1%}")
    d["largest_left_share"] = d["largest_left_share"].map(lambda x: "" if pd.isna(x) else f"{x:.1%}")
    for c in ("n_removed", "removed_to_1pct_people"):
        d[c] = d[c].round().astype("Int64")
    cols = ["method", "reinsertion", "finished", "n_removed", "removed_to_1pct_people", "R_harm",
            "harm_share_removed", "largest_left_share"]
    return labelled(d[cols])


def overlap_view(summary: pd.DataFrame) -> pd.DataFrame:
    """Display view: counts of people (suppressible) apart from structural counts (groups, components)."""
    is_share = summary["measure"].str.contains("share")
    is_people = ~is_share & summary["measure"].str.match(r"(people|CSE offenders)")
    val = summary["value"]
    blank = lambda s: s.astype("Int64").astype("object").where(s.notna(), "")  # noqa: E731
    return pd.DataFrame({"measure": summary["measure"],
                         "people": blank(val.where(is_people)),
                         "count": blank(val.where(~is_people & ~is_share)),
                         "share": val.where(is_share).map(lambda x: "" if pd.isna(x) else f"{x:.1%}")})


def structure(nd: pd.DataFrame, g: pd.DataFrame, edges: pd.DataFrame, n_largest: int = 5) -> dict:
    """Structural facts (not counts of people in small cells): components, the largest ones,
    and what holds the largest together (person-pairs by link source, non-offenders,
    and the largest connected set left with crime links only)."""
    if nd.empty:
        return dict(n_people=0, n_components=0, largest=[], n_groups=0, giant_people=0, giant_share=float("nan"),
                    giant_offenders=0, giant_non_offenders=0, giant_pairs=0, pairs_crime=0, pairs_intel=0,
                    pairs_pins=0, pairs_intel_only=0, giant_crime_only_largest=0, giant_groups=0)
    sizes = nd.groupby("component_id").size().sort_values(ascending=False, kind="mergesort")
    giant = sizes.index[0] if len(sizes) else None
    in_giant = (nd["component_id"] == giant).to_numpy(bool)
    idx = pd.Index(nd.loc[in_giant, "person_id"]).unique().sort_values()
    e = edges.loc[edges["source"].isin(CSE_SOURCES).to_numpy(bool)]
    # person-pairs as integer keys (a's position x people + b's), so pairs are counted with numpy, not per pair
    a, b = idx.get_indexer(e["person_a"]), idx.get_indexer(e["person_b"])
    inside = (a >= 0) & (b >= 0)
    a, b, source = a[inside], b[inside], e["source"].to_numpy(object)[inside]
    key = a.astype(np.int64) * max(len(idx), 1) + b
    by_src = {s: int(np.unique(key[source == s]).size) for s in ("crime", "intel", "pins")}
    pairs = np.unique(key)
    not_intel = np.unique(key[source != "intel"])
    crime = source == "crime"
    cg = ig.Graph(n=len(idx), edges=np.column_stack([a[crime], b[crime]]).tolist() if crime.any() else [])
    offender = nd.loc[in_giant, "is_cse_offender"].astype(bool)
    return dict(
        n_people=len(nd), n_components=len(sizes), largest=[int(x) for x in sizes.head(n_largest)],
        n_groups=len(g), giant_people=len(idx), giant_share=len(idx) / len(nd) if len(nd) else float("nan"),
        giant_offenders=int(offender.sum()), giant_non_offenders=int((~offender).sum()),
        giant_pairs=int(pairs.size), pairs_crime=by_src["crime"], pairs_intel=by_src["intel"],
        pairs_pins=by_src["pins"],
        pairs_intel_only=int(pairs.size - not_intel.size),
        giant_crime_only_largest=int(max(cg.connected_components().sizes(), default=0)) if len(idx) else 0,
        giant_groups=int(g.loc[g["component_id"] == giant, "group_id"].nunique()),
    )


LABELS = labels.COLUMNS  # the one label map (config/labels.yml)


def labelled(df: pd.DataFrame) -> pd.DataFrame:
    """The same table with plain-English column headers (display only; files keep their names)."""
    return df.rename(columns={c: LABELS.get(c, c) for c in df.columns})


def label(name: str) -> str:
    """The display header of one column (for count_cols of a labelled table)."""
    return LABELS.get(name, name)


def table_or_sentence(df: pd.DataFrame, caption: str, count_cols: list[str], suppress_below: int,
                      empty: str) -> None:
    """report.table, or the sentence `empty` when the table has no rows."""
    from .. import report
    if len(df):
        report.table(df, caption, count_cols=count_cols, suppress_below=suppress_below)
    else:
        report.md(empty)
