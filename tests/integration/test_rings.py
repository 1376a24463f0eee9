"""Planted exploitation rings inside an intelligence hairball come first, and no child is a target.

The force is built here by hand (not by `synth`): 240 background offenders with their own victims,
400 associates, 80 graded intelligence logs naming 15 people each (the hairball: everyone ends up in one
connected set), small logs and chains of two-person logs among background offenders (incidental
intelligence associations that do form groups), and three rings:

- R1: five offenders who share three child victims; one of them (R1_4) is a child now;
- R2: four offenders who offend together on three crimes (one victim each), plus one crime each alone;
- R3: four offenders, two crimes each alone, who shared one prison cell for 90 days.

Stages 01-03 and 05 run on it through their `run_stage` functions.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import empty_tables, frame, write_db
from helpers import extraction, filtering, linking, ranking, store
from helpers.config import load_params

RINGS = {"R1": [f"R1_{i}" for i in range(5)], "R2": [f"R2_{i}" for i in range(4)], "R3": [f"R3_{i}" for i in range(4)]}
CHILD_NOW = "R1_4"


class Force:
    """A tiny builder of source rows."""

    def __init__(self) -> None:
        self.crimes: list[tuple] = []
        self.nominals: list[tuple] = []
        self.logs: list[tuple] = []
        self.log_people: list[tuple] = []
        self.stays: list[tuple] = []

    def crime(self, date: str, offenders: list[str], victim: str, dob: dict[str, str]) -> None:
        cid = f"K{len(self.crimes):05d}"
        self.crimes.append((cid, date, None, date, "22A", "Sexual assault on a child under 13", "CSA", ""))
        for o in offenders:
            self.nominals.append((cid, o, "OFFENDER", dob.get(o, "1980-05-01"), "M", "IC9 - Unknown"))
        self.nominals.append((cid, victim, "VICTIM", "2008-01-01", "F", "IC9 - Unknown"))

    def log(self, date: str, people: list[str]) -> None:
        lid = f"L{len(self.logs):05d}"
        self.logs.append((lid, date, "5x5x5", "A", "1"))
        self.log_people += [(lid, p) for p in people]

    def write(self, path) -> str:
        """The contract's tables (the shared test writer, tests/conftest.py); SOC tables empty."""
        return write_db(path, empty_tables() | {
            "crimes": frame("crimes", self.crimes), "crime_nominals": frame("crime_nominals", self.nominals),
            "intel_logs": frame("intel_logs", self.logs),
            "intel_log_nominals": frame("intel_log_nominals", self.log_people),
            "pins_cell_stays": frame("pins_cell_stays", self.stays)})


def build_force(path) -> str:
    rng = np.random.default_rng(7)
    f = Force()
    days = pd.date_range("2017-01-01", "2020-12-31", freq="D").strftime("%Y-%m-%d").to_numpy()
    background = [f"B{i:03d}" for i in range(240)]
    associates = [f"X{i:03d}" for i in range(400)]
    for o in background:
        for _ in range(2):
            f.crime(str(rng.choice(days)), [o], f"V{len(f.crimes):05d}", {})
    for _ in range(80):  # the hairball: large logs
        f.log(str(rng.choice(days)), list(rng.choice(background, 5, replace=False))
              + list(rng.choice(associates, 10, replace=False)))
    for o in background[:30]:  # small logs: one offender and two associates
        f.log(str(rng.choice(days)), [o] + list(rng.choice(associates, 2, replace=False)))
    for c in range(6):  # chains of six background offenders tied by two-person logs
        chain = background[30 + 6 * c: 36 + 6 * c]
        for a, b in zip(chain, chain[1:], strict=False):
            f.log(str(rng.choice(days)), [a, b])
    dob = {CHILD_NOW: "2005-06-01"}  # 15 at as_of, 14 or 15 at the crimes
    r1, r2, r3 = RINGS["R1"], RINGS["R2"], RINGS["R3"]
    for i, o in enumerate(r1):
        for k in range(2):
            f.crime(f"2020-0{1 + i}-1{k}", [o], f"VR1_{(i + k) % 3}", dob)
    for k in range(3):
        f.crime(f"2020-0{3 + k}-05", r2, f"VR2_{k}", dob)
    for i, o in enumerate(r2):
        f.crime(f"2020-0{2 + i}-20", [o], f"VR2o_{i}", dob)
    for i, o in enumerate(r3):
        for k in range(2):
            f.crime(f"2020-0{1 + i}-2{k}", [o], f"VR3_{i}_{k}", dob)
        f.stays.append((f"S{i}", o, "HMP A", "cell 1", "2019-01-01", "2019-04-01"))
    for o in r1 + r2 + r3:  # the rings sit inside the hairball too
        for lid in rng.choice(len(f.logs[:80]), 2, replace=False):
            f.log_people.append((f.logs[int(lid)][0], o))
    return f.write(path)


@pytest.fixture(scope="module")
def stage(tmp_path_factory):
    root = tmp_path_factory.mktemp("rings")
    db = build_force(root / "force.sqlite")
    out = str(root / "out")
    p = load_params(overrides={"db_url": db, "out_dir": out})
    extraction.run_stage(db, out)
    filtering.run_stage(out, p.search_terms, str(p.as_of), p.max_victim_age, p.min_offender_age, 0, p.seed,
                        str(p.summary_start), str(p.summary_end))
    linking.run_stage(out, p.grading_map, str(p.as_of), p.proximity_half_life_days, p.recency_half_life_days,
                      p.min_cell_share_days, str(p.summary_start), str(p.summary_end))
    result = ranking.run_stage(out, p.harm_weights, str(p.as_of), p.proximity_half_life_days,
                              p.recency_half_life_days, p.max_group_size, p.seed, p.max_victim_age,
                              p.strong_log_max_people, p.high_band_max_groups, p.priority_weights,
                              p.consensus_seeds, p.safeguarding_rules, progress=None)
    return out, result


@pytest.fixture(scope="module")
def ranked(stage):
    return stage[1].network


def test_the_hairball_is_one_connected_set(ranked):
    nd = ranked.nodes
    assert nd["component_id"].value_counts().iloc[0] >= 0.9 * len(nd)  # large logs tie nearly everyone together


def test_each_ring_is_one_group_and_the_rings_rank_first(ranked):
    nd = ranked.nodes.set_index("person_id")
    g = ranked.groups.set_index("group_id")
    ring_groups = {}
    for ring, members in RINGS.items():
        gids = nd.loc[members, "group_id"]
        assert gids.nunique() == 1 and gids.notna().all(), ring
        ring_groups[ring] = gids.iloc[0]
        assert g.loc[gids.iloc[0], "n_offenders"] == len(members), ring
    ranks = sorted(int(g.loc[x, "priority_rank"]) for x in ring_groups.values())
    assert ranks == [1, 2, 3], (ranks, g.sort_values("priority_rank").head(6).to_string())
    assert (g.loc[list(ring_groups.values()), "priority_band"] == "high").all()
    assert g.loc[ring_groups["R1"], "n_shared_victims"] == 3 and g.loc[ring_groups["R1"], "evidence_strength"] == 1
    assert g.loc[ring_groups["R3"], "evidence_strength"] == 0.5


def test_no_child_now_is_a_target(ranked):
    nd = ranked.nodes.set_index("person_id")
    assert nd.loc[CHILD_NOW, "child_now"]
    assert nd["child_now"].sum() == 1
    assert pd.isna(nd.loc[CHILD_NOW, "dismantle_rank"]) and pd.isna(nd.loc[CHILD_NOW, "group_dismantle_rank"])
    assert ranked.facts["n_children_now_in_disruption_lists"] == 0
    assert ranked.facts["n_dismantle"] >= 1


def test_the_high_band_is_taskable(ranked):
    g = ranked.groups
    assert (g["priority_band"] == "high").sum() <= 50 and (g["n_people"] >= 2).all()


def test_the_rings_child_victims_reach_the_safeguarding_list_with_their_offenders(stage):
    out = stage[0]
    victims = store.read_table(out, "safeguarding_victims").set_index("person_id")
    # R1 offender i offends against VR1_{(i+k) % 3}, k = 0, 1: VR1_0 <- 0, 2, 3; VR1_1 <- 0, 1, 3, 4;
    # VR1_2 <- 1, 2, 4. R2's three victims each have all four. All born 2008-01-01: 13 at as_of.
    for v, n in {"VR1_0": 3, "VR1_1": 4, "VR1_2": 3, "VR2_0": 4, "VR2_1": 4, "VR2_2": 4}.items():
        assert victims.loc[v, "n_offenders"] == n, v
        assert victims.loc[v, "still_child"] and victims.loc[v, "in_high_priority_group"], v
    assert not {"priority_score", "priority_rank", "dismantle_rank"} & set(victims.columns)
    people = store.read_table(out, "safeguarding_people").set_index("person_id")
    assert people.loc[CHILD_NOW, "child_now"] and "MASH" in people.loc[CHILD_NOW, "routing"]
