"""Stage 05, harm ranking, as one call: the network's rankings, then safeguarding read from them.

`run_stage()` is what notebook 05 calls. The order is one way on purpose: the
rankings (`network`) are computed without ever seeing a safeguarding flag, and
`safeguarding` only reads the tables the rankings wrote (network_nodes,
network_groups) to route people and list child victims. No flag feeds a score.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import network, safeguarding
from . import progress as prog

__all__ = ["Stage05", "run_stage"]


@dataclass
class Stage05:
    """What notebook 05 shows: the rankings and the safeguarding outputs."""
    network: network.Result
    safeguarding: safeguarding.Stage


def run_stage(out_dir: str, harm_weights: str, as_of: str, proximity_half_life_days: float,
              recency_half_life_days: float, max_group_size: int, seed: int, max_victim_age: int,
              strong_log_max_people: int, high_band_max_groups: int,
              priority_weights: dict, consensus_seeds: int, safeguarding_rules: str,
              progress: Callable[[str], None] | None = print) -> Stage05:
    """Write every stage-05 table: network_* , harm, dismantling, stability, then safeguarding_*.

    `progress=None` (the notebook) sends each step to the runner only (`helpers.progress`);
    the default also prints it.
    """
    if progress is None:
        progress = prog.say
    res = network.run_stage(out_dir, harm_weights, as_of, proximity_half_life_days, recency_half_life_days,
                            max_group_size, seed, max_victim_age, strong_log_max_people, high_band_max_groups,
                            priority_weights, consensus_seeds, progress=progress)
    progress("safeguarding: routing people and listing child victims")
    sg = safeguarding.run_stage(out_dir, as_of, int(max_victim_age), safeguarding_rules)
    return Stage05(network=res, safeguarding=sg)
