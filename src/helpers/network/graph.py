"""The CSE network as a graph: person-pair links, strong ties, igraph construction.

The network is the full-table offenders and everyone their crime,
intelligence and PINS links reach (CONTRACT §3). SOC edges are kept out on
purpose (see `soc`). A link is **strong** when it is a crime link (a shared
child victim, which includes offending together on one crime), a shared cell
(PINS) or an intelligence log naming at most `strong_log_max_people` people;
links from larger logs are **weak context**: they keep people in the network
and in its connected components, but never form a group (ADR 0008).
"""
from __future__ import annotations

from dataclasses import dataclass

import igraph as ig
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import dismantle as dm
from ..linking import evidence_weight

CSE_SOURCES = ("crime", "intel", "pins")


def sig(x: pd.Series | np.ndarray, digits: int = 10) -> np.ndarray:
    """Round to significant digits so platform noise never reaches a file."""
    a = np.asarray(x, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.where((a == 0) | ~np.isfinite(a), 0, np.floor(np.log10(np.abs(a))))
        f = 10.0 ** (digits - 1 - mag)
        return np.where(np.isfinite(a) & (a != 0), np.round(a * f) / f, a)


def evidence_weights(evidence: pd.DataFrame, as_of: pd.Timestamp, proximity_hl: float,
                     recency_hl: float) -> np.ndarray:
    """Each CSE evidence row's link weight under the given half-lives (CONTRACT §3 formulas).

    The formulas live in `linking.evidence_weight` (one home); with the run's own half-lives this
    reproduces stage 03's `weight` column, and the stability analysis calls it with other half-lives.
    """
    ev = evidence
    age = (as_of - pd.to_datetime(ev["event_date"])).dt.days.to_numpy(float)
    gap = (pd.to_datetime(ev["event_date"]) - pd.to_datetime(ev["other_date"])).dt.days.to_numpy(float)
    n = pd.to_numeric(ev["n_people"], errors="coerce").to_numpy(float)
    return evidence_weight(ev["source"].to_numpy(), age, gap, n, proximity_hl, recency_hl)


def strong_evidence(evidence: pd.DataFrame, strong_log_max_people: int) -> np.ndarray:
    """True for evidence rows that are strong ties: crime, PINS, or a log naming few people."""
    src = evidence["source"].to_numpy()
    n = pd.to_numeric(evidence["n_people"], errors="coerce").to_numpy(float)
    small_log = (src == "intel") & (np.nan_to_num(n, nan=np.inf) <= strong_log_max_people)
    return (src == "crime") | (src == "pins") | small_log


def cse_pairs(evidence: pd.DataFrame, strong_log_max_people: int, as_of: pd.Timestamp | None = None,
              proximity_hl: float | None = None, recency_hl: float | None = None,
              factors: tuple[float, ...] = ()) -> pd.DataFrame:
    """One row per linked pair (CSE sources), sorted by (person_a, person_b).

    Columns: weight (all links), strong_weight (strong links only; 0 = weak
    context only), n_links, n_crime_links, n_pins_links, n_small_log_links,
    n_large_log_links, last_date (latest link). Weights come from the
    evidence rows. With `factors` (and the half-lives), columns weight_x{f}
    and strong_weight_x{f} hold the same sums with both half-lives times f,
    computed once so that every stability scenario reuses them.
    """
    ev = evidence.loc[evidence["source"].isin(CSE_SOURCES)]
    cols = ["person_a", "person_b", "weight", "strong_weight", "n_links", "n_crime_links", "n_pins_links",
            "n_small_log_links", "n_large_log_links"] + [f"{k}_x{f:g}" for f in factors
                                                         for k in ("weight", "strong_weight")] + ["last_date"]
    if ev.empty:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[s]" if c == "last_date" else
                                          object if c in ("person_a", "person_b") else float) for c in cols})
    w = ev["weight"].to_numpy(float)
    strong = strong_evidence(ev, strong_log_max_people)
    src = ev["source"].to_numpy()
    d = pd.DataFrame({
        "person_a": ev["person_a"].astype(str).to_numpy(), "person_b": ev["person_b"].astype(str).to_numpy(),
        "weight": w, "strong_weight": np.where(strong, w, 0.0), "n_links": 1,
        "n_crime_links": (src == "crime").astype(int), "n_pins_links": (src == "pins").astype(int),
        "n_small_log_links": ((src == "intel") & strong).astype(int),
        "n_large_log_links": ((src == "intel") & ~strong).astype(int),
    })
    for f in factors:
        wf = evidence_weights(ev, as_of, float(proximity_hl) * f, float(recency_hl) * f)  # type: ignore[arg-type]
        d[f"weight_x{f:g}"], d[f"strong_weight_x{f:g}"] = wf, np.where(strong, wf, 0.0)
    d["last_date"] = pd.to_datetime(ev["event_date"]).to_numpy()
    agg = {c: "sum" for c in cols[2:-1]} | {"last_date": "max"}
    return d.groupby(["person_a", "person_b"], sort=True).agg(agg).reset_index()[cols]


@dataclass
class Network:
    """Vertex i is people[i] (sorted ids, so reruns agree); `strong` marks the strong edges."""
    people: list[str]
    graph: ig.Graph          # undirected, every CSE link; edge attributes weight, strong_weight
    strong: np.ndarray       # bool per edge of `graph`

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({"person_id": pd.Series(self.people, dtype=object)})


def _text(s: pd.Series) -> pa.Array:
    """A column as one Arrow string array (ids as text)."""
    arr = pa.array(s.astype(str).astype("string[pyarrow]"))
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    return arr.cast(pa.string())


def build(pairs: pd.DataFrame, offenders: set | list) -> Network:
    """igraph of the CSE network: full-table offenders plus everyone their links reach."""
    # the distinct ids sorted with Arrow (UTF-8 byte order is Python's code-point order), and each
    # pair's ends looked up in them at C speed: no Python object per id
    a_ids, b_ids = _text(pairs["person_a"]), _text(pairs["person_b"])
    ids = pc.unique(pa.concat_arrays([pa.array([str(p) for p in offenders], pa.string()), a_ids, b_ids]))
    ids = ids.take(pc.sort_indices(ids))
    people = ids.to_pylist()
    a = np.asarray(pc.index_in(a_ids, value_set=ids), dtype=np.int64)
    b = np.asarray(pc.index_in(b_ids, value_set=ids), dtype=np.int64)
    g = ig.Graph(n=len(people), edges=list(zip(a.tolist(), b.tolist(), strict=False)), directed=False)
    g.es["weight"] = pairs["weight"].astype(float).tolist()
    sw = pairs["strong_weight"].astype(float).to_numpy() if "strong_weight" in pairs else \
        pairs["weight"].astype(float).to_numpy()
    g.es["strong_weight"] = sw.tolist()
    return Network(people, g, sw > 0)


def components(net: Network) -> np.ndarray:
    """Connected-component id per person on all links: C0001 = the largest (ties: lowest person id)."""
    memb = dm.membership(net.graph)
    return _numbered(memb, "C")


def _numbered(memb: np.ndarray, prefix: str) -> np.ndarray:
    """Relabel integer clusters as prefix + number by size (largest first, ties by lowest vertex)."""
    if len(memb) == 0:
        return np.array([], dtype=object)
    d = pd.DataFrame({"c": memb, "v": np.arange(len(memb))}).groupby("c")["v"].agg(["size", "min"])
    ranked = d.sort_values(["size", "min"], ascending=[False, True]).index.to_numpy()
    no = np.empty(int(memb.max()) + 1, int)
    no[ranked] = np.arange(1, len(ranked) + 1)
    width = max(4, len(str(len(ranked))))
    names = np.array([f"{prefix}{k:0{width}d}" for k in range(1, len(ranked) + 1)], dtype=object)
    return names[no[memb] - 1]
