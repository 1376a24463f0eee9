"""network.stability: hand-worked overlaps, and the same table whether the scenarios run here or side by side."""
from __future__ import annotations

import pandas as pd
import pytest

from helpers import workers
from helpers.network.stability import stability

BASE = {"nominals by dismantling order": {"A", "B"}, "nominals by PageRank": {"A"},
        "people in the top groups by priority": {"A", "B", "C"},
        "_band": pd.Series({"A": "high", "B": "low"})}
PERTURBED = {"nominals by dismantling order": {"A"}, "nominals by PageRank": {"A"},
             "people in the top groups by priority": {"A", "B"},
             "_band": pd.Series({"A": "high", "B": "high"})}
PAIRS = pd.DataFrame({"person_a": [f"P{i}" for i in range(20)], "person_b": [f"P{i + 1}" for i in range(20)]})
PEOPLE = [f"P{i}" for i in range(21)]


def fake_scenario(name, pairs, f, gone, same_links):
    return BASE if same_links else PERTURBED  # half-lives: nothing moves; removals: the hand-built sets


def table(monkeypatch, n):
    monkeypatch.setenv(workers.ENV, str(n))
    return stability(BASE, fake_scenario, PAIRS, PEOPLE, seed=1, n_reps=2)


def test_overlaps_and_band_shares_are_the_hand_worked_ones(monkeypatch):
    t = table(monkeypatch, 1).set_index(["scenario", "ranking", "measure"])
    links = t.xs("10% of links removed")
    assert links.loc[("nominals by dismantling order", "Jaccard overlap of the top k"), "mean"] == 0.5  # {A}/{A,B}
    assert links.loc[("nominals by PageRank", "Jaccard overlap of the top k"), "mean"] == 1.0
    assert links.loc[("people in the top groups by priority", "Jaccard overlap of the top k"), "mean"] == \
        pytest.approx(2 / 3, abs=1e-3)
    band = "priority band of each person's group"
    assert links.loc[(band, "share of people keeping their band"), "mean"] == 0.5  # B went low -> high
    assert links.loc[(band, "share of people in high-priority groups still high"), "mean"] == 1.0
    assert (t.xs("half-lives halved")["mean"] == 1.0).all()
    assert set(t["n_runs"]) == {1, 2} and (t.xs("2% of people removed")["n_runs"] == 2).all()


def test_the_table_is_the_same_run_one_by_one_or_side_by_side(monkeypatch):
    pd.testing.assert_frame_equal(table(monkeypatch, 1), table(monkeypatch, 2))
