"""Draw one group's network: igraph layout, matplotlib Figure, inline PNG (base64 data URI).

Link source is the line colour (several sources between a pair: dark grey); a person's
disruption order is written on their node; children are drawn as yellow squares marked
"S" (safeguarding) and carry no disruption number, so a drawing never presents a child as a
target. The layout is seeded, so the same group gives the same picture.
"""
from __future__ import annotations

import base64
import io
import random

import igraph as ig
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from . import columns as C

SEVERAL = "#424949"
LABEL_IDS_UP_TO = 25  # groups this small get person ids beside the nodes


def layout(people: list[str], edges: pd.DataFrame, seed: int) -> np.ndarray:
    """Seeded Fruchterman-Reingold coordinates, one row per person (in `people` order)."""
    idx = {p: i for i, p in enumerate(people)}
    pairs = edges[["person_a", "person_b"]].drop_duplicates()
    pair_list = zip(pairs["person_a"], pairs["person_b"], strict=True)
    g = ig.Graph(n=len(people), edges=[(idx[a], idx[b]) for a, b in pair_list])
    state = random.getstate()
    random.seed(seed)
    try:
        coords = np.asarray(g.layout_fruchterman_reingold(niter=500).coords, float) if len(people) > 1 \
            else np.zeros((len(people), 2))
    finally:
        random.setstate(state)
    return coords.reshape(-1, 2)


def group_png(members: pd.DataFrame, edges: pd.DataFrame, seed: int, title: str = "") -> str:
    """A data:image/png;base64 URI of the group's drawing."""
    people = members["person_id"].tolist()
    xy = layout(people, edges, seed)
    idx = {p: i for i, p in enumerate(people)}
    n = len(people)
    side = 5.5 if n <= 40 else 7.5
    fig = Figure(figsize=(side + 2.2, side), dpi=90)
    ax = fig.add_axes((0.0, 0.0, side / (side + 2.2), 1.0))
    ax.set_axis_off()
    colours = {k: v[1] for k, v in C.SOURCES.items()}
    by_pair = edges.groupby(["person_a", "person_b"], sort=True)["source"].apply(lambda s: sorted(set(s)))
    for (a, b), srcs in by_pair.items():
        col = colours.get(srcs[0], SEVERAL) if len(srcs) == 1 else SEVERAL
        (i, j) = idx[a], idx[b]
        ax.plot([xy[i, 0], xy[j, 0]], [xy[i, 1], xy[j, 1]], color=col, lw=1.3, alpha=0.8, zorder=1)
    child = members["child_now"].to_numpy(bool)
    off = members["cse_offender"].to_numpy(bool)
    order = members["disruption_order"]
    adult = ~child
    ax.scatter(xy[adult & off, 0], xy[adult & off, 1], s=170, c="#f2f3f4", edgecolors="#17202a", zorder=2)
    ax.scatter(xy[adult & ~off, 0], xy[adult & ~off, 1], s=60, c="#d5d8dc", edgecolors="#566573", zorder=2)
    ax.scatter(xy[child, 0], xy[child, 1], s=190, marker="s", c="#f7dc6f", edgecolors="#7d6608", zorder=3)
    small = n <= LABEL_IDS_UP_TO
    span = max(float(np.ptp(xy[:, 0])) if n else 0.0, float(np.ptp(xy[:, 1])) if n else 0.0, 1.0)
    for i in range(n):
        if child[i]:
            ax.text(xy[i, 0], xy[i, 1], "S", ha="center", va="center", fontsize=7, weight="bold", zorder=4)
        elif not pd.isna(order.iat[i]):
            ax.text(xy[i, 0], xy[i, 1], str(int(order.iat[i])), ha="center", va="center", fontsize=6, zorder=4)
        if small:
            ax.text(xy[i, 0], xy[i, 1] - 0.045 * span, people[i], ha="center", va="top",
                    fontsize=5.5, color="#283747", zorder=4)
    pad = 0.08 * span
    if n:
        ax.set_xlim(xy[:, 0].min() - pad, xy[:, 0].max() + pad)
        ax.set_ylim(xy[:, 1].min() - 2 * pad, xy[:, 1].max() + pad)
    present = sorted(set(edges["source"]))
    handles = [Line2D([], [], color=colours.get(s, SEVERAL), lw=2, label=C.SOURCES.get(s, (s,))[0]) for s in present]
    if (by_pair.map(len) > 1).any():
        handles.append(Line2D([], [], color=SEVERAL, lw=2, label="several sources"))
    handles += [
        Line2D([], [], ls="", marker="o", ms=9, mfc="#f2f3f4", mec="#17202a",
               label="CSE offender (n = disruption order)"),
        Line2D([], [], ls="", marker="o", ms=6, mfc="#d5d8dc", mec="#566573", label="other linked person"),
        Line2D([], [], ls="", marker="s", ms=9, mfc="#f7dc6f", mec="#7d6608",
               label="S = child: safeguarding, not a target"),
    ]
    fig.legend(handles=handles, loc="center right", fontsize=7, frameon=False, title=title or None,
               title_fontsize=8)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
