"""Change since the last run, on hand-worked group sets (every expected value worked by hand)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import changes

NA = pd.NA
PREV = {"A": [1, 2, 3, 4], "B": [5, 6, 7, 8], "D": [9, 10], "E": [11, 12, 13, 14, 15, 16], "F": [17, 18]}
PREV_RANK = {"A": (1, "high"), "B": (2, "high"), "D": (3, "medium"), "E": (4, "low"), "F": (5, "low")}
CUR = {"X": [1, 2, 3, 4, 19], "Y": [5, 6, 9, 10], "Z1": [11, 12, 13], "Z2": [14, 15, 16], "W": [20, 21]}
CUR_RANK = {"X": (1, "high"), "Y": (2, "high"), "Z1": (3, "medium"), "Z2": (4, "low"), "W": (5, "low")}


def pid(i: int) -> str:
    return f"P{i:02d}"


def frames(groups: dict, ranks: dict, first_dismantled: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    nodes = pd.DataFrame([(pid(p), g) for g, ps in groups.items() for p in ps], columns=["person_id", "group_id"])
    nodes["dismantle_rank"] = pd.array([1 if p == pid(1) and first_dismantled else NA for p in nodes["person_id"]],
                                       dtype="Int64")
    if first_dismantled:
        nodes.loc[nodes["person_id"] == pid(1), "dismantle_rank"] = first_dismantled
    g = pd.DataFrame([(k, r, b) for k, (r, b) in ranks.items()], columns=["group_id", "priority_rank", "priority_band"])
    return nodes, g


def run(shuffle_seed: int | None = None):
    cn, cg = frames(CUR, CUR_RANK, first_dismantled=1)
    pn, pg = frames(PREV, PREV_RANK, first_dismantled=2)
    if shuffle_seed is not None:
        rng = np.random.default_rng(shuffle_seed)
        cn, cg, pn, pg = (d.iloc[rng.permutation(len(d))] for d in (cn, cg, pn, pg))
    return changes.compare(changes.snapshot(cn, cg), changes.snapshot(pn, pg), "2021-03-15")


def expected_groups() -> pd.DataFrame:
    rows = [
        ("W@2021-03-15", "W", None, "new", 2, NA, NA, np.nan, 5, NA, "low", NA, NA, None),
        ("A", "X", "A", "grown", 5, 4, 4, 0.8, 1, 1, "high", "high", False, None),
        ("D", "Y", "D", "merged", 4, 2, 2, 0.5, 2, 3, "high", "medium", True, "B|D"),
        ("E", "Z1", "E", "split", 3, 6, 3, 0.5, 3, 4, "medium", "low", True, "E"),
        ("Z2@2021-03-15", "Z2", None, "split", 3, NA, NA, np.nan, 4, NA, "low", NA, NA, "E"),
        ("B", None, "B", "merged", 0, 4, NA, np.nan, NA, 2, NA, "high", NA, "Y"),
        ("F", None, "F", "gone", 0, 2, NA, np.nan, NA, 5, NA, "low", NA, None),
    ]
    e = pd.DataFrame(rows, columns=changes.GROUP_COLUMNS)
    for c in ("n_people", "prev_n_people", "n_shared", "priority_rank", "prev_priority_rank"):
        e[c] = pd.array(e[c].tolist(), dtype="Int64")
    e["jaccard"] = e["jaccard"].astype("float64")
    e["priority_moved"] = pd.array(e["priority_moved"].tolist(), dtype="boolean")
    return e


def test_groups_matched_by_membership_keep_ids_and_get_every_status_worked_by_hand():
    groups, _ = run()
    pd.testing.assert_frame_equal(groups, expected_groups(), check_dtype=False)


def test_people_status_follows_their_stable_group():
    _, people = run()
    status = {1: "same", 2: "same", 3: "same", 4: "same", 5: "moved", 6: "moved", 7: "gone", 8: "gone",
              9: "same", 10: "same", 11: "same", 12: "same", 13: "same", 14: "moved", 15: "moved",
              16: "moved", 17: "gone", 18: "gone", 19: "new", 20: "new", 21: "new"}
    cur = {pid(p): g for g, ps in CUR.items() for p in ps}
    prev = {pid(p): g for g, ps in PREV.items() for p in ps}
    stable_now = {"X": "A", "Y": "D", "Z1": "E", "Z2": "Z2@2021-03-15", "W": "W@2021-03-15"}
    rows = []
    for i in range(1, 22):
        p = pid(i)
        rows.append((p, status[i], cur.get(p), stable_now.get(cur.get(p)), prev.get(p), prev.get(p),
                     1 if i == 1 else NA, 2 if i == 1 else NA))
    e = pd.DataFrame(rows, columns=changes.PEOPLE_COLUMNS)
    for c in ("dismantle_rank", "prev_dismantle_rank"):
        e[c] = pd.array(e[c].tolist(), dtype="Int64")
    pd.testing.assert_frame_equal(people, e, check_dtype=False)


def test_result_does_not_depend_on_row_order():
    g0, p0 = run()
    for seed in (1, 2, 3):
        g, p = run(seed)
        pd.testing.assert_frame_equal(g, g0)
        pd.testing.assert_frame_equal(p, p0)


def test_tie_at_half_goes_to_the_lower_group_id_one_to_one():
    # Z1 and Z2 both have jaccard 0.5 with E and share 3 each: Z1 wins, Z2 cannot also take E.
    m = changes.match(changes.overlaps(
        pd.DataFrame({"person_id": ["a", "b", "c", "d"], "group_id": ["Z2", "Z2", "Z1", "Z1"]}),
        pd.DataFrame({"person_id": ["a", "b", "c", "d"], "group_id": ["E"] * 4})))
    assert m[["group_id", "prev_group_id"]].values.tolist() == [["Z1", "E"]]


def test_below_half_is_no_match():
    m = changes.match(changes.overlaps(
        pd.DataFrame({"person_id": ["a", "b", "c"], "group_id": ["G"] * 3}),
        pd.DataFrame({"person_id": ["a", "x", "y"], "group_id": ["H"] * 3})))  # 1/5
    assert m.empty


def test_stable_id_carried_from_the_previous_runs_own_changes_table():
    pn, pg = frames({"C0001": [1, 2]}, {"C0001": (1, "high")})
    cn, cg = frames({"C0009": [1, 2]}, {"C0009": (1, "high")})
    prev_changes = pd.DataFrame({"group_id": ["C0001"], "stable_group_id": ["C0042@2020-12-15"]})
    groups, people = changes.compare(changes.snapshot(cn, cg), changes.snapshot(pn, pg, prev_changes), "2021-03-15")
    assert groups["stable_group_id"].tolist() == ["C0042@2020-12-15"]
    assert groups["status"].tolist() == ["same"]
    assert set(people["status"]) == {"same"}


def test_new_id_never_reuses_a_previous_id():
    pn, pg = frames({"G1": [1, 2], "G2@2021-03-15": [7, 8]}, {"G1": (1, "high"), "G2@2021-03-15": (2, "low")})
    cn, cg = frames({"G2": [3, 4]}, {"G2": (1, "high")})
    groups, _ = changes.compare(changes.snapshot(cn, cg), changes.snapshot(pn, pg), "2021-03-15")
    assert groups.loc[groups["group_id"] == "G2", "stable_group_id"].item() == "G2@2021-03-15~2"


def test_summary_counts_and_top_kept():
    groups, people = run()
    s = dict(zip(*changes.summary(groups, people).T.values, strict=True))
    assert s == {"groups new": 1, "groups gone": 1, "groups same": 0, "groups grown": 1, "groups shrunk": 0,
                 "groups changed": 0, "groups merged": 2, "groups split": 2,
                 "groups whose priority band moved": 2,
                 "people new": 3, "people gone": 4, "people same": 9, "people moved": 5}
    assert changes.top_kept(groups, 2) == (1, 2)   # A kept (as X), B merged away
    assert changes.top_kept(groups, 5) == (3, 5)   # A, D, E kept; B, F not


def test_missing_previous_run_says_what_to_do(tmp_path):
    with pytest.raises(changes.ChangesError, match="Point --compare-with at the output folder"):
        changes.load_snapshot(tmp_path)


def test_run_stage_without_as_of_reads_it_from_the_manifest(tmp_path):
    import json

    import pandas as pd

    def out(d, nodes, groups, as_of):
        (d / "tables").mkdir(parents=True)
        pd.DataFrame(nodes, columns=["person_id", "group_id"]).to_parquet(d / "tables" / "network_nodes.parquet")
        pd.DataFrame(groups, columns=["group_id", "priority_rank", "priority_band"]).to_parquet(
            d / "tables" / "network_groups.parquet")
        (d / "manifest.json").write_text(json.dumps({"parameters": {"as_of": as_of}}))
    prev, cur = tmp_path / "prev", tmp_path / "cur"
    out(prev, [("A", "G1"), ("B", "G1")], [("G1", 1, "high")], "2020-12-15")
    out(cur, [("A", "G7"), ("B", "G7"), ("C", "G8"), ("D", "G8")], [("G7", 2, "high"), ("G8", 1, "high")],
        "2021-03-15")
    res = changes.run_stage(str(cur), str(prev))
    g = pd.read_csv(cur / "tables" / "changes_groups.csv").set_index("group_id")
    assert g.loc["G7", "stable_group_id"] == "G1" and g.loc["G7", "status"] == "same"
    assert g.loc["G8", "stable_group_id"] == "G8@2021-03-15" and g.loc["G8", "status"] == "new"
    assert (cur / "tables" / "changes_people.csv").exists()
    assert (res["top20_kept"], res["top20_of"]) == (1, 1)
