"""How well the method finds what the synthetic generator planted (ground-truth evaluation).

The generator (:mod:`helpers.synth`) writes the planted exploitation groups to
``<stem>.truth.csv`` beside a synthetic database, never inside it. This module
reads that file and scores the pipeline's outputs against it:

* **share in the final table**: planted offenders who appear in any final-table pair;
* for each planted group, its **best match** is the network group holding most of
  its offenders (ties go to the smallest group id);
  **precision** = planted offenders in the match / all CSE offenders in the match,
  **recall** = planted offenders in the match / the planted group's offenders;
* **share in high-priority groups**: planted offenders whose network group has a
  priority band in ``high_bands``.

Only offenders count; planted victims are not network members. On a force's own
database there is no truth file and nothing to score. Nothing here is imported by
the pipeline's computation; the report's synthetic-data check calls
:func:`recovery_report`.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .synth.writer import truth_file

__all__ = ["NOT_SYNTHETIC", "recovery", "recovery_report", "truth_file"]

NOT_SYNTHETIC = ("No ground-truth file sits beside this database, so this is not the project's synthetic force and "
                 "there is nothing planted to recover. This check does not apply to real data.")
TRUTH_COLUMNS = ["planted_group_id", "person_id", "role"]
PER_GROUP_COLUMNS = ["planted_group", "planted_offenders", "best_group_offenders", "precision", "recall"]


def _best_match(members: pd.Series, node_group: pd.Series, group_offenders: pd.Series) -> dict:
    """Score one planted group's offenders against the network group holding most of them."""
    found = node_group.reindex(members).dropna()
    if found.empty:
        return {"planted_offenders": len(members), "best_group_offenders": 0, "precision": 0.0, "recall": 0.0}
    counts = found.value_counts().sort_index()
    best, hits = counts.idxmax(), int(counts.max())
    size = int(group_offenders.get(best, hits))
    return {"planted_offenders": len(members), "best_group_offenders": size,
            "precision": hits / size, "recall": hits / len(members)}


def recovery(truth: pd.DataFrame, final_table: pd.DataFrame, nodes: pd.DataFrame, groups: pd.DataFrame,
             high_bands: tuple[str, ...] = ("high",)) -> tuple[dict, pd.DataFrame]:
    """Summary shares and one row per planted group (columns ``PER_GROUP_COLUMNS``).

    ``truth`` has ``TRUTH_COLUMNS``; ``final_table`` needs ``offender_a``/``offender_b``;
    ``nodes`` needs ``person_id``, ``group_id``, ``is_cse_offender``; ``groups`` needs
    ``group_id``, ``priority_band``. Medians are over planted groups; 0.0 when there are none.
    """
    offenders = truth[truth["role"] == "offender"]
    in_final = set(final_table["offender_a"]) | set(final_table["offender_b"])
    node_group = nodes.set_index("person_id")["group_id"]
    group_offenders = nodes[nodes["is_cse_offender"]].groupby("group_id").size()
    rows = [{"planted_group": gid, **_best_match(members["person_id"], node_group, group_offenders)}
            for gid, members in offenders.groupby("planted_group_id")]
    per_group = pd.DataFrame(rows, columns=PER_GROUP_COLUMNS)
    band = offenders["person_id"].map(node_group).map(groups.set_index("group_id")["priority_band"])
    has_offenders, has_groups = len(offenders) > 0, len(per_group) > 0
    summary = {
        "planted_groups": int(offenders["planted_group_id"].nunique()),
        "planted_offenders": int(offenders["person_id"].nunique()),
        "share_in_final_table": float(offenders["person_id"].isin(in_final).mean()) if has_offenders else 0.0,
        "median_precision": float(per_group["precision"].median()) if has_groups else 0.0,
        "median_recall": float(per_group["recall"].median()) if has_groups else 0.0,
        "share_in_high_priority_groups": float(band.isin(high_bands).mean()) if has_offenders else 0.0,
    }
    return summary, per_group


def recovery_table(summary: dict, per_group: pd.DataFrame) -> pd.DataFrame:
    """The report's measure/value table (no identifiers) from :func:`recovery`'s results."""
    return pd.DataFrame([
        ("planted exploitation groups", f"{summary['planted_groups']:,}"),
        ("planted offenders", f"{summary['planted_offenders']:,}"),
        ("share of planted offenders in the final table", f"{summary['share_in_final_table']:.1%}"),
        ("median precision of the best-matching network group", f"{summary['median_precision']:.2f}"),
        ("median recall of the best-matching network group", f"{summary['median_recall']:.2f}"),
        ("lowest recall of any planted group", f"{per_group['recall'].min():.2f}" if len(per_group) else ""),
        ("share of planted offenders in high-priority groups", f"{summary['share_in_high_priority_groups']:.1%}"),
    ], columns=["measure", "value"])


def recovery_text(summary: dict, truth_name: str) -> str:
    """The report's paragraph on the synthetic-data check."""
    return (f"The generator planted **{summary['planted_groups']:,}** exploitation groups "
            f"(**{summary['planted_offenders']:,}** offenders sharing victims over months, some also tied by "
            f"intelligence and cell-sharing) and wrote them to `{truth_name}`, beside the database and never inside "
            f"it. **{summary['share_in_final_table']:.0%}** of their offenders reach the final table. For each "
            f"planted group, the network group holding most of its offenders is its best match: the median match "
            f"holds {summary['median_recall']:.0%} of the planted offenders (recall) and planted offenders make up "
            f"{summary['median_precision']:.0%} of its offenders (precision). "
            f"{summary['share_in_high_priority_groups']:.0%} of planted offenders sit in high-priority groups. "
            "This measures the method on synthetic data only; it says nothing about real offending.")


def recovery_report(db_url: str, out_dir: str | Path) -> tuple[str, pd.DataFrame]:
    """Prose and a table (no identifiers) for the report's synthetic-data check.

    On a force's own database there is no ground truth: the prose says so and the table is empty.
    """
    from . import store

    path = truth_file(db_url)
    if path is None:
        return NOT_SYNTHETIC, pd.DataFrame()
    summary, per_group = recovery(pd.read_csv(path, dtype=str), store.read_table(out_dir, "final_table"),
                                  store.read_table(out_dir, "network_nodes"),
                                  store.read_table(out_dir, "network_groups"))
    return recovery_text(summary, path.name), recovery_table(summary, per_group)
