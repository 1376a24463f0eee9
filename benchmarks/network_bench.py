"""Dismantling comparison on a run folder: every method, with and without reinsertion.

    python benchmarks/network_bench.py OUT_DIR [--seed N] [--max-work W] [--csv FILE]

Reads OUT_DIR/tables (stages 01-03) and prints, per objective (harm, people),
method and reinsertion: R (harm and people), people removed to bring the
largest component under 1% of people and under 1% of harm, the harm share of
the removed set, and seconds. Also times the project's own order
(dismantle_network) and the centrality step. Seconds vary by machine, which
is why they live here and not in the pipeline's tables.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import pandas as pd  # noqa: E402

from helpers import dismantle, network  # noqa: E402
from helpers.config import load_params  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=20210315)
    ap.add_argument("--max-work", type=float, default=3e9, help="budget for adaptive betweenness (sum of n*(n+m))")
    ap.add_argument("--harm-weights", default="data/reference/harm_weights.csv")
    ap.add_argument("--csv", help="also write the table here")
    a = ap.parse_args()
    p = load_params()
    inp = network.load_inputs(a.out_dir, a.harm_weights)
    pairs = network.cse_pairs(inp.evidence, p.strong_log_max_people, pd.Timestamp(p.as_of),
                              p.proximity_half_life_days, p.recency_half_life_days)
    net = network.build(pairs, inp.offenders)
    g, h = net.graph, network.node_harm(net, inp)
    print(f"network: {g.vcount():,} people, {g.ecount():,} linked pairs")
    t = time.perf_counter()
    order, method = dismantle.dismantle_network(g, h)
    print(f"project order ({method}): {len(order):,} people in {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    _, bmethod = network.centrality(net)
    print(f"centrality (betweenness {bmethod}, PageRank, degrees): {time.perf_counter() - t:.2f} s")
    cmp = dismantle.compare(g, h, a.seed, max_work=a.max_work, timed=True)
    show = cmp.copy()
    for c in ("R_harm", "R_people", "harm_share_removed", "seconds"):
        show[c] = show[c].round(4)
    print(show.to_markdown(index=False))
    if a.csv:
        cmp.to_csv(a.csv, index=False)


if __name__ == "__main__":
    main()
