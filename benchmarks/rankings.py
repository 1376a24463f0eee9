"""Measure the stage-05 rankings against the synthetic ground truth (issue 10; ADR 0008).

Usage (after stages 01-03 have written their hand-offs, e.g. `cse-network run --keep-work`):

    .venv/bin/python benchmarks/rankings.py --db-url sqlite:///data/synthetic/wmp.sqlite --out /tmp/rankings-wmp

Runs stage 05 (`network.run_stage`) on OUT with config/params.yml, then prints, as one JSON object:
seconds; children now in any disruption list (goal 0); the cost of the children constraint (people
removed with and without it, harm share left); the share of planted groups whose best-matching network
group ranks in the top 20; the precision of the top 20 (share of those groups holding a planted
offender); the median best rank of a planted group; top-10 stability (lowest Jaccard of the people in
the ten highest-priority groups under the report's perturbations, and the ten groups' lowest consensus
stability); planted-offender recovery (median recall / precision of the best-matching group).
"""
from __future__ import annotations

import argparse
import json
import time

import pandas as pd

from helpers import groundtruth, network
from helpers.config import load_params
from helpers.store import read_table


def planted_ranks(truth: pd.DataFrame, nodes: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """Per planted group: the priority rank of the network group holding most of its offenders."""
    off = truth.loc[truth["role"] == "offender", ["planted_group_id", "person_id"]]
    g = off.merge(nodes[["person_id", "group_id"]], on="person_id", how="left").dropna(subset=["group_id"])
    best = (g.groupby(["planted_group_id", "group_id"]).size().rename("hits").reset_index()
            .merge(groups[["group_id", "priority_rank"]], on="group_id")
            .sort_values(["planted_group_id", "hits", "priority_rank"], ascending=[True, False, True])
            .drop_duplicates("planted_group_id"))
    allp = pd.DataFrame({"planted_group_id": sorted(off["planted_group_id"].unique())})
    return allp.merge(best, on="planted_group_id", how="left")


def measure(db_url: str, out: str, k: int = 20, weights: dict | None = None) -> dict:
    p = load_params(overrides={"db_url": db_url} | ({"priority_weights": weights} if weights else {}))
    t0 = time.perf_counter()
    res = network.run_stage(out, p.harm_weights, str(p.as_of), p.proximity_half_life_days,
                            p.recency_half_life_days, p.max_group_size, p.seed, p.max_victim_age,
                            p.strong_log_max_people, p.high_band_max_groups, p.priority_weights,
                            p.consensus_seeds, progress=lambda s: print(f"  {time.perf_counter() - t0:6.1f} s  {s}"))
    secs = time.perf_counter() - t0
    f = res.facts
    out_d_w = {"priority_weights": p.priority_weights}
    out_d = out_d_w | {"stage05_seconds": round(secs, 1)} | {key: f[key] for key in (
        "n_people", "n_groups", "n_people_in_groups", "n_high_groups", "n_people_in_high_groups",
        "n_children_now", "n_children_now_in_disruption_lists", "dismantle_method", "n_dismantle",
        "n_dismantle_unconstrained", "n_children_in_unconstrained_set", "harm_share_left",
        "harm_share_left_unconstrained", "top10_groups_jaccard_min", "top10_min_stability", "harm_basis")}
    path = groundtruth.truth_file(db_url)
    if path is not None:
        truth = pd.read_csv(path, dtype=str)
        ranks = planted_ranks(truth, res.nodes, res.groups)
        planted_people = set(truth.loc[truth["role"] == "offender", "person_id"])
        top = res.groups.loc[res.groups["priority_rank"] <= k, "group_id"]
        hold = res.nodes.loc[res.nodes["person_id"].isin(planted_people), "group_id"].dropna().unique()
        summary, _ = groundtruth.recovery(truth, read_table(out, "final_table"), res.nodes, res.groups)
        out_d |= {"planted_groups": int(len(ranks)),
                  f"share_planted_best_in_top{k}": float((ranks["priority_rank"] <= k).mean()),
                  f"precision_top{k}": float(top.isin(hold).mean()) if len(top) else float("nan"),
                  "median_best_rank_planted": float(ranks["priority_rank"].median()),
                  "planted_not_in_any_group": int(ranks["priority_rank"].isna().sum()),
                  "median_recall": summary["median_recall"], "median_precision": summary["median_precision"]}
    return out_d


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db-url", required=True)
    ap.add_argument("--out", required=True, help="a run directory holding the stage 01-03 hand-offs")
    ap.add_argument("--weights", type=json.loads, default=None,
                    help='priority_weights as JSON, e.g. \'{"harm": 0.5, "victims": 0.2, "recency": 0.2, "soc": 0.1}\'')
    a = ap.parse_args()
    print(json.dumps(measure(a.db_url, a.out, weights=a.weights), indent=1, default=str))


if __name__ == "__main__":
    main()
