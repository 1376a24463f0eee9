"""The CSE network: groups on strong ties, priorities, centrality, dismantling, SOC overlap, stability.

Modules, one family each: `graph` (pairs, strong ties, igraph), `groups`
(consensus clustering and group stability), `centrality`, `priority`
(evidence strength, harm counted once, bands), `disrupt` (dismantling with
children never targets), `soc`, `stability`, `stage` (`run_stage`, the
stage-05 function that writes every table) and `views` (display only).
Safeguarding is not computed here (see `helpers.safeguarding`); this package
never imports it.
"""
from __future__ import annotations

from .centrality import centrality, pagerank
from .disrupt import DISMANTLE_SHARE, dismantle_ranks
from .graph import CSE_SOURCES, Network, build, cse_pairs, sig
from .groups import Ensemble, consensus, find_groups
from .priority import evidence_strength, group_table, harm_basis, prioritise
from .soc import soc_overlap
from .stability import stability
from .stage import Inputs, Result, Settings, analyse, load_inputs, node_harm, read_facts, run_stage
from .views import (
                    LABELS,
                    METHOD_LABELS,
                    band_summary,
                    centrality_summary,
                    comparison_view,
                    label,
                    labelled,
                    overlap_view,
                    size_band,
                    stability_verdict,
                    structure,
                    table_or_sentence,
)

__all__ = ["CSE_SOURCES", "DISMANTLE_SHARE", "Ensemble", "Inputs", "LABELS", "METHOD_LABELS", "Network", "Result",
           "Settings", "analyse", "band_summary", "build", "centrality", "centrality_summary", "comparison_view",
           "consensus", "cse_pairs", "dismantle_ranks", "evidence_strength", "find_groups", "group_table", "harm_basis",
           "label", "labelled", "load_inputs", "node_harm", "overlap_view", "pagerank", "prioritise", "read_facts",
           "run_stage", "sig", "size_band", "soc_overlap", "stability", "stability_verdict", "structure",
           "table_or_sentence"]
