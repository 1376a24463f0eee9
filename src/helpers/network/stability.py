"""How much the rankings move when the half-lives or the data change.

Scenarios: both half-lives halved / doubled (link weights recomputed from
the evidence; deterministic, one run each), 10% of the links or 2% of the
people removed at random (`n_reps` seeded runs each). Each scenario redoes
what it changes and nothing else: the pair weights for every half-life
factor are computed once, up front (`pair_table`); the half-life scenarios
change weights only, so the dismantling order, which depends on who is
linked and on harm, is the base order and is not recomputed; grouping
(consensus, see `groups`) and priorities are recomputed in every scenario.
The scenarios do not depend on each other, so they run side by side on the
machine's cores (`helpers.workers`); each seeds itself, so the table is the
same as a run one by one.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .. import workers
from .graph import sig

SCENARIO_FACTORS = {"half-lives halved": 0.5, "half-lives doubled": 2.0}
K_PEOPLE, K_GROUPS = 50, 10


def jaccard(a: set, b: set) -> float:
    """Shared / combined; 1 when both are empty."""
    return len(a & b) / len(a | b) if (a | b) else 1.0


def top_sets(nodes: pd.DataFrame, groups_df: pd.DataFrame, k_people: int = K_PEOPLE,
             k_groups: int = K_GROUPS) -> dict:
    """The top-k sets a scenario is compared on, and each person's band."""
    top_g = set(groups_df.loc[groups_df["priority_rank"] <= k_groups, "group_id"])
    d = nodes.dropna(subset=["dismantle_rank"])
    band = nodes["group_id"].map(groups_df.set_index("group_id")["priority_band"]) if len(groups_df) else \
        pd.Series(np.nan, index=nodes.index)
    return {"nominals by dismantling order": set(d.nsmallest(k_people, "dismantle_rank")["person_id"]),
            "nominals by PageRank": set(nodes.sort_values(["centrality", "person_id"], ascending=[False, True])
                                        ["person_id"].head(k_people)),
            "people in the top groups by priority": set(nodes.loc[nodes["group_id"].isin(top_g), "person_id"]),
            "_band": pd.Series(band.to_numpy(), index=nodes["person_id"].to_numpy()).dropna()}


def stability(base: dict, scenario: Callable[[str, pd.DataFrame, float, set, bool], dict],
              pairs: pd.DataFrame, people: list[str], seed: int, n_reps: int = 2,
              progress: Callable[[str], None] = lambda s: None) -> pd.DataFrame:
    """Compare the base run's top sets with each scenario's.

    `scenario(name, pairs, half_life_factor, people_removed, same_links)`
    returns the scenario's `top_sets`. Columns: scenario, ranking, measure,
    k, n_runs, mean, min.
    """
    jobs: list[tuple[str, Callable[[], dict]]] = []

    def job(label: str, name: str, *args) -> None:
        def run() -> dict:
            progress(f"stability: {label}")
            return scenario(*args)
        jobs.append((name, run))

    for name, f in SCENARIO_FACTORS.items():
        job(name, name, name, pairs, f, set(), True)
    for r in range(1, n_reps + 1):
        rng = np.random.default_rng(seed + r)
        keep = np.ones(len(pairs), bool)
        if len(pairs):
            keep[rng.choice(len(pairs), size=round(0.10 * len(pairs)), replace=False)] = False
        job(f"10% of links removed, run {r} of {n_reps}", "10% of links removed",
            "links", pairs.loc[keep], 1.0, set(), False)
        gone = set(rng.choice(np.asarray(people, dtype=object), size=round(0.02 * len(people)), replace=False)) \
            if people else set()
        p2 = pairs.loc[~pairs["person_a"].isin(gone) & ~pairs["person_b"].isin(gone)]
        job(f"2% of people removed, run {r} of {n_reps}", "2% of people removed", "people", p2, 1.0, gone, False)
    n = workers.workers(len(jobs))
    if n > 1:
        progress(f"stability: {len(jobs)} scenarios on {n} processes")
    runs = list(zip([name for name, _ in jobs], workers.run_all([run for _, run in jobs]), strict=True))
    rows = []
    for name, s in runs:
        for key, b in base.items():
            if key.startswith("_"):
                continue
            k = K_GROUPS if "groups" in key else K_PEOPLE
            rows.append(dict(scenario=name, ranking=key, measure="Jaccard overlap of the top k", k=k,
                             value=jaccard(b, s[key])))
        bb, sb = base["_band"].align(s["_band"], join="inner")
        hi = bb == "high"
        rows.append(dict(scenario=name, ranking="priority band of each person's group",
                         measure="share of people keeping their band", k=len(bb),
                         value=float((bb == sb).mean()) if len(bb) else float("nan")))
        rows.append(dict(scenario=name, ranking="priority band of each person's group",
                         measure="share of people in high-priority groups still high", k=int(hi.sum()),
                         value=float((sb[hi] == "high").mean()) if hi.any() else float("nan")))
    cols = ["scenario", "ranking", "measure", "k", "n_runs", "mean", "min"]
    if not rows:
        return pd.DataFrame(columns=cols)
    df = pd.DataFrame(rows)
    out = df.groupby(["scenario", "ranking", "measure"], sort=False).agg(
        k=("k", "min"), n_runs=("value", "size"), mean=("value", "mean"), min=("value", "min")).reset_index()
    out["mean"], out["min"] = sig(out["mean"]), sig(out["min"])
    return out[cols]
