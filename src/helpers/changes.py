"""Change since the last run: match this run's groups to the previous run's by membership.

Group ids are labels a run gives its groups; on their own they change meaning from one
run to the next. This module matches each group of this run to the previous run's group
with the same members (Jaccard index of the member sets >= `MATCH_JACCARD`, one-to-one,
best matches first, ties broken by shared members then ids), so that a group keeps a
*stable* id while it is the same group, and a new group gets a new one. It then says what
happened to every group and person: new, gone, same, grown, shrunk, changed, merged,
split, and whether a group's priority band moved.

Definitions (hand-checkable; the tests work them by hand):

- ``jaccard(C, P) = |C & P| / |C | P|`` over the people of current group C and previous P.
- A *match* is a pair with jaccard >= 0.5, chosen greedily by (jaccard desc, shared desc,
  group_id, prev_group_id). Above 0.5 a group can have only one partner; at exactly 0.5
  the order decides, deterministically.
- Previous group P *went into* C when at least half of P's members are in C; C *came
  from* P when at least half of C's members were in P.
- C is ``merged`` when two or more previous groups went into it; ``split`` when it came
  from a previous group that at least two current groups came from; otherwise, when
  matched, ``same`` (identical members), ``grown``, ``shrunk`` or ``changed`` (same size,
  different members); otherwise ``new``.
- An unmatched previous group is ``merged`` (it went into a merged group), ``split`` or
  else ``gone``.
- A matched group keeps the previous run's stable id; any other current group gets
  ``<group_id>@<as_of>`` (made unique against the previous ids), so ids never collide.
- People: ``new`` (not in the previous network), ``gone`` (not in this one), ``moved``
  (their stable group id changed) or ``same``.

Counting is a join of the two membership lists on person_id, so the work is linear in
people (never all pairs of groups).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import store
from .config import resolve_path

MATCH_JACCARD = 0.5

# Every column this module reads, in one place (the integrator adapts names here).
COL = {
    "person": "person_id",
    "group": "group_id",
    "rank": "priority_rank",
    "band": "priority_band",
    "stable": "stable_group_id",  # in a previous run's changes_groups, when it has one
    "dismantle": "dismantle_rank",
}

GROUP_COLUMNS = ["stable_group_id", "group_id", "prev_group_id", "status", "n_people", "prev_n_people",
                 "n_shared", "jaccard", "priority_rank", "prev_priority_rank", "priority_band",
                 "prev_priority_band", "priority_moved", "related"]
PEOPLE_COLUMNS = ["person_id", "status", "group_id", "stable_group_id", "prev_group_id",
                  "prev_stable_group_id", "dismantle_rank", "prev_dismantle_rank"]
GROUP_STATUSES = ["new", "gone", "same", "grown", "shrunk", "changed", "merged", "split"]
PEOPLE_STATUSES = ["new", "gone", "same", "moved"]


class ChangesError(ValueError):
    """The previous run cannot be compared; the message says what to do."""


@dataclass
class Snapshot:
    """One run's groups: membership (person_id, group_id) and groups (group_id, rank, band, stable id)."""

    members: pd.DataFrame
    groups: pd.DataFrame
    dismantle: pd.Series | None = None


def snapshot(nodes: pd.DataFrame, groups: pd.DataFrame, stable: pd.DataFrame | None = None) -> Snapshot:
    """Reduce a run's network_nodes/network_groups (and its own changes_groups) to what matching needs."""
    m = nodes.loc[nodes[COL["group"]].notna(), [COL["person"], COL["group"]]]
    m = m.rename(columns={COL["person"]: "person_id", COL["group"]: "group_id"}).astype(str)
    g = groups.rename(columns={COL["group"]: "group_id", COL["rank"]: "priority_rank",
                               COL["band"]: "priority_band"})
    for c in ("priority_rank", "priority_band"):
        if c not in g.columns:
            g[c] = pd.NA
    g = g[["group_id", "priority_rank", "priority_band"]].copy()
    g["group_id"] = g["group_id"].astype(str)
    g["stable_group_id"] = g["group_id"]
    if stable is not None and len(stable) and COL["stable"] in stable.columns:
        s = stable.dropna(subset=["group_id"]).set_index("group_id")[COL["stable"]]
        g["stable_group_id"] = g["group_id"].map(s).fillna(g["group_id"])
    dis = None
    if COL["dismantle"] in nodes.columns:
        dis = nodes.set_index(COL["person"])[COL["dismantle"]]
    return Snapshot(m.reset_index(drop=True), g.reset_index(drop=True), dis)


def load_snapshot(run_dir: str | Path) -> Snapshot:
    """A finished run's folder (its tables/network_nodes and network_groups, and changes_groups if any)."""
    d = resolve_path(run_dir)
    need = [d / "tables" / f"{n}.parquet" for n in ("network_nodes", "network_groups")]
    missing = [str(p) for p in need if not p.exists()]
    if missing:
        raise ChangesError(
            f"compare_with={str(run_dir)!r}: {', '.join(missing)} not found. Point --compare-with at the "
            "output folder of a finished earlier run (the folder holding tables/), or leave it unset.")
    nodes, groups = (pd.read_parquet(p) for p in need)
    for name, df, cols in (("network_nodes", nodes, [COL["person"], COL["group"]]),
                           ("network_groups", groups, [COL["group"]])):
        absent = [c for c in cols if c not in df.columns]
        if absent:
            raise ChangesError(f"compare_with: {d}/tables/{name} has no column {absent[0]!r} "
                               f"(columns: {list(df.columns)[:8]}...). Re-run that quarter with this version.")
    ch = d / "tables" / "changes_groups.parquet"
    return snapshot(nodes, groups, pd.read_parquet(ch) if ch.exists() else None)


def overlaps(cur: pd.DataFrame, prev: pd.DataFrame) -> pd.DataFrame:
    """Every (group_id, prev_group_id) pair sharing a person: n_shared, sizes, jaccard."""
    size_c = cur.groupby("group_id").size().rename("n_people")
    size_p = prev.groupby("group_id").size().rename("prev_n_people")
    j = cur.merge(prev, on="person_id", suffixes=("", "_prev"))
    o = j.groupby(["group_id", "group_id_prev"], sort=True).size().rename("n_shared").reset_index()
    o = o.rename(columns={"group_id_prev": "prev_group_id"})
    o = o.join(size_c, on="group_id").join(size_p, on="prev_group_id")
    o["jaccard"] = o["n_shared"] / (o["n_people"] + o["prev_n_people"] - o["n_shared"])
    return o


def match(o: pd.DataFrame, threshold: float = MATCH_JACCARD) -> pd.DataFrame:
    """One-to-one best matches with jaccard >= threshold; deterministic greedy order."""
    c = o.loc[o["jaccard"] >= threshold - 1e-12].sort_values(
        ["jaccard", "n_shared", "group_id", "prev_group_id"], ascending=[False, False, True, True],
        kind="mergesort")
    used_c: set[str] = set()
    used_p: set[str] = set()
    keep = []
    for i, gc, gp in zip(c.index, c["group_id"], c["prev_group_id"], strict=True):
        if gc not in used_c and gp not in used_p:
            used_c.add(gc)
            used_p.add(gp)
            keep.append(i)
    return c.loc[keep].sort_values("group_id").reset_index(drop=True)


def compare(cur: Snapshot, prev: Snapshot, as_of: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(changes_groups, changes_people) of this run against the previous one."""
    o = overlaps(cur.members, prev.members)
    m = match(o)
    went_into = o.loc[2 * o["n_shared"] >= o["prev_n_people"]]   # P's majority is in C
    came_from = o.loc[2 * o["n_shared"] >= o["n_people"]]        # C's majority was in P
    sources = went_into.groupby("group_id")["prev_group_id"].apply(sorted)
    dests = came_from.groupby("prev_group_id")["group_id"].apply(sorted)
    parent = came_from.sort_values(["group_id", "n_shared", "prev_group_id"], ascending=[True, False, True]) \
        .drop_duplicates("group_id").set_index("group_id")["prev_group_id"]
    merged_into = {p: c for c, ps in sources.items() if len(ps) >= 2 for p in ps}

    pg = prev.groups.set_index("group_id")
    cg = cur.groups.set_index("group_id")
    size_c = cur.members.groupby("group_id").size()
    size_p = prev.members.groupby("group_id").size()
    mi = m.set_index("group_id")
    prev_ids = set(pg["stable_group_id"]) | set(pg.index)
    taken: set[str] = set()
    rows = []
    for gid in sorted(set(cg.index) | set(size_c.index)):
        row = dict.fromkeys(GROUP_COLUMNS)
        row.update(group_id=gid, n_people=int(size_c.get(gid, 0)))
        row["priority_rank"] = cg["priority_rank"].get(gid) if gid in cg.index else pd.NA
        row["priority_band"] = cg["priority_band"].get(gid) if gid in cg.index else pd.NA
        ps = sources.get(gid, [])
        par = parent.get(gid)
        if gid in mi.index:
            p = mi.loc[gid, "prev_group_id"]
            row.update(prev_group_id=p, prev_n_people=int(size_p[p]), n_shared=int(mi.loc[gid, "n_shared"]),
                       jaccard=float(mi.loc[gid, "jaccard"]), stable_group_id=pg.loc[p, "stable_group_id"],
                       prev_priority_rank=pg.loc[p, "priority_rank"], prev_priority_band=pg.loc[p, "priority_band"])
            n0, n1 = int(size_p[p]), int(size_c.get(gid, 0))
            row["status"] = ("same" if row["n_shared"] == n0 == n1 else "grown" if n1 > n0
                             else "shrunk" if n1 < n0 else "changed")
            row["priority_moved"] = bool(row["prev_priority_band"] != row["priority_band"])
        else:
            row["status"] = "new"
        if len(ps) >= 2:
            row["status"], row["related"] = "merged", "|".join(ps)
        elif par is not None and len(dests.get(par, [])) >= 2:
            row["status"], row["related"] = "split", par
        if row["stable_group_id"] is None:
            sid, k = f"{gid}@{as_of}", 1
            while sid in prev_ids or sid in taken:
                k += 1
                sid = f"{gid}@{as_of}~{k}"
            row["stable_group_id"] = sid
        taken.add(str(row["stable_group_id"]))
        rows.append(row)
    matched_prev = set(m["prev_group_id"])
    for p in sorted(set(size_p.index) - matched_prev):
        row = dict.fromkeys(GROUP_COLUMNS)
        row.update(prev_group_id=p, stable_group_id=pg.loc[p, "stable_group_id"] if p in pg.index else p,
                   n_people=0, prev_n_people=int(size_p[p]),
                   prev_priority_rank=pg["priority_rank"].get(p), prev_priority_band=pg["priority_band"].get(p))
        if p in merged_into:
            row["status"], row["related"] = "merged", merged_into[p]
        elif len(dests.get(p, [])) >= 2:
            row["status"], row["related"] = "split", "|".join(dests[p])
        else:
            row["status"] = "gone"
        rows.append(row)
    groups = pd.DataFrame(rows, columns=GROUP_COLUMNS)
    for c in ("n_people", "prev_n_people", "n_shared", "priority_rank", "prev_priority_rank"):
        groups[c] = pd.array(groups[c].tolist(), dtype="Int64")
    groups["jaccard"] = groups["jaccard"].astype("float64").round(6)
    groups["priority_moved"] = pd.array(groups["priority_moved"].tolist(), dtype="boolean")
    groups = groups.sort_values(["group_id", "prev_group_id"], na_position="last", kind="mergesort") \
        .reset_index(drop=True)

    sid_now = groups.dropna(subset=["group_id"]).set_index("group_id")["stable_group_id"]
    pc = cur.members.rename(columns={"group_id": "group_id"})
    pp = prev.members.rename(columns={"group_id": "prev_group_id"})
    people = pc.merge(pp, on="person_id", how="outer")
    people["stable_group_id"] = people["group_id"].map(sid_now)
    people["prev_stable_group_id"] = people["prev_group_id"].map(pg["stable_group_id"])
    people["status"] = "same"
    people.loc[people["stable_group_id"] != people["prev_stable_group_id"], "status"] = "moved"
    people.loc[people["prev_group_id"].isna(), "status"] = "new"
    people.loc[people["group_id"].isna(), "status"] = "gone"
    for col, snap in (("dismantle_rank", cur), ("prev_dismantle_rank", prev)):
        vals = people["person_id"].map(snap.dismantle) if snap.dismantle is not None else pd.NA
        people[col] = pd.array(pd.Series(vals, index=people.index).tolist(), dtype="Int64")
    people = people[PEOPLE_COLUMNS].sort_values("person_id", kind="mergesort").reset_index(drop=True)
    return groups, people


def summary(groups: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """Aggregate counts for the committee's "Since the last run" section (no identifiers).

    Columns: measure, count. People counts are raw here; the report's disclosure
    control suppresses small ones like every other count it shows.
    """
    rows = [(f"groups {s}", int((groups["status"] == s).sum())) for s in GROUP_STATUSES]
    rows.append(("groups whose priority band moved", int(groups["priority_moved"].fillna(False).sum())))
    rows += [(f"people {s}", int((people["status"] == s).sum())) for s in PEOPLE_STATUSES]
    return pd.DataFrame(rows, columns=["measure", "count"])


def top_kept(groups: pd.DataFrame, n: int = 20) -> tuple[int, int]:
    """(kept, of): how many of the previous run's top-n groups by priority kept their id."""
    top = groups.loc[groups["prev_priority_rank"].notna() & (groups["prev_priority_rank"] <= n)]
    return int(top["group_id"].notna().sum()), int(len(top))


def run_stage(out_dir: str, compare_with: str | None, as_of: str | None = None) -> dict | None:
    """Write tables/changes_groups, changes_people and changes_summary; None when there is nothing to compare.

    `as_of` (this run's extraction date) only names new groups' stable ids (`<group_id>@<as_of>`);
    without it, it is read from OUT/manifest.json when there is one, else the ids end in "@new".
    """
    if not compare_with:
        return None
    if not as_of:
        mf = resolve_path(out_dir) / "manifest.json"
        params = json.loads(mf.read_text()).get("parameters", {}) if mf.exists() else {}
        as_of = str(params.get("as_of") or "new")
    prev = load_snapshot(compare_with)
    cur = snapshot(store.read_table(out_dir, "network_nodes"), store.read_table(out_dir, "network_groups"))
    groups, people = compare(cur, prev, as_of)
    summ = summary(groups, people)
    store.write_table(out_dir, "changes_groups", groups)
    store.write_table(out_dir, "changes_people", people)
    store.write_table(out_dir, "changes_summary", summ)
    kept, of = top_kept(groups)
    return {"groups": groups, "people": people, "summary": summ, "top20_kept": kept, "top20_of": of,
            "compare_with": str(compare_with)}
