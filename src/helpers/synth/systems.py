"""The other systems: intelligence logs, prison cell stays (PINS) and serious organised crime (SOC).

Each draws its people mostly from the ordinary-crime offenders (low ids most often), with a
share of CSA offenders, and plants ties between members of the planted groups.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .draws import Rng, pick, recent_dates
from .population import Population
from .profiles import AS_OF_DAY, day


def _active(rng: Rng, population: Population, n: int, power: float) -> np.ndarray:
    """``n`` people from those who offend, low ids far more often (``power`` > 1)."""
    return population.ids[(population.n_offending * rng.random(n) ** power).astype(np.int64)]


def _random_of(rng: Rng, people: np.ndarray, n: int) -> np.ndarray:
    return people[rng.integers(0, len(people), n)]


@dataclass(frozen=True)
class Intel:
    """Logs (date, grading system, source and information grades) and (log, person) pairs."""

    date: np.ndarray
    system: np.ndarray
    source_grade: np.ndarray
    information_grade: np.ndarray
    log: np.ndarray
    person: np.ndarray


def _grades(rng: Rng, old: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """5x5x5 grades before 2017, 3x5x2 from then on (source and information grades draw in that order)."""
    source = np.where(old, pick(rng, list("ABCDE"), [0.05, 0.47, 0.25, 0.10, 0.13], n),
                      pick(rng, list("123"), [0.62, 0.28, 0.10], n))
    information = np.where(old, pick(rng, list("12345"), [0.08, 0.44, 0.30, 0.11, 0.07], n),
                           pick(rng, list("ABCDE"), [0.15, 0.36, 0.33, 0.12, 0.04], n))
    return np.where(old, "5x5x5", "3x5x2").astype(object), source, information


def _group_logs(rng: Rng, n_logs: int, groups: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Planted groups: 60% have 1-4 logs naming 2-5 of their members together."""
    logs, people = [], []
    for members in groups:
        if rng.random() < 0.6:
            for _ in range(int(rng.integers(1, 5))):
                log = int(rng.integers(0, n_logs))
                k = min(len(members), int(rng.integers(2, 6)))
                logs.append(np.full(k, log))
                people.append(rng.choice(members, k, replace=False))
    return logs, people


def intelligence(rng: Rng, n_logs: int, population: Population, csa_offenders: np.ndarray,
                 groups: list[np.ndarray]) -> Intel:
    """Intelligence logs 2005..as_of (a few after it), each naming 1-50 people (Zipf)."""
    late = max(1, n_logs // 20000)
    dates = np.sort(np.concatenate([recent_dates(rng, n_logs - late), AS_OF_DAY + rng.integers(1, 90, late)]))
    system, source, information = _grades(rng, dates < day("2017-01-01"), n_logs)
    size = np.minimum(rng.zipf(2.1, n_logs), 50)
    log = np.repeat(np.arange(n_logs), size)
    person = _active(rng, population, len(log), 1.8)
    anyone = rng.random(len(log)) < 0.3
    person[anyone] = _random_of(rng, population.ids, anyone.sum())
    cse = rng.random(len(log)) < 0.02
    person[cse] = _random_of(rng, csa_offenders, cse.sum())
    extra_logs, extra_people = _group_logs(rng, n_logs, groups)
    if extra_logs:
        log, person = np.concatenate([log] + extra_logs), np.concatenate([person] + extra_people)
    order = np.lexsort((person, log))
    log, person = log[order], person[order]
    keep = np.ones(len(log), bool)
    keep[1:] = (log[1:] != log[:-1]) | (person[1:] != person[:-1])
    return Intel(dates, system, source, information, log[keep], person[keep])


@dataclass(frozen=True)
class Stays:
    """Cell stays: person, establishment and cell labels, start and end days, whether still open."""

    person: np.ndarray
    establishment: np.ndarray
    cell: np.ndarray
    start: np.ndarray
    end: np.ndarray
    open: np.ndarray


N_ESTABLISHMENTS, N_CELLS = 30, 120


def _shared_cells(rng: Rng, groups: list[np.ndarray], csa_offenders: np.ndarray) -> list[tuple[np.ndarray, ...]]:
    """Planted cell-sharing: two members of 35% of groups (overlaps 25..120 days), and two CSA
    offenders overlapping exactly 29 and 30 days (either side of the 30-day threshold)."""
    parts: list[tuple[np.ndarray, ...]] = []
    for i, members in enumerate(groups):
        if rng.random() < 0.35 and len(members) >= 2:
            a, b = rng.choice(members, 2, replace=False)
            s0 = int(recent_dates(rng, 1, "2008-01-01", "2020-06-01")[0])
            overlap = [25, 29, 30, 45, 120][i % 5]
            est, cell = int(rng.integers(1, N_ESTABLISHMENTS + 1)), int(rng.integers(1, N_CELLS + 1))
            parts.append((np.array([a, b]), np.array([est, est]), np.array([cell, cell]),
                          np.array([s0, s0 + 100 - overlap]), np.array([s0 + 100, s0 + 300])))
    for overlap in (29, 30):
        a, b = csa_offenders[rng.integers(0, len(csa_offenders), 2)]
        s0 = day("2019-01-10")
        parts.append((np.array([a, b]), np.array([7, 7]), np.array([overlap, overlap]),
                      np.array([s0, s0 + 100 - overlap]), np.array([s0 + 100, s0 + 250])))
    return parts


def prison_stays(rng: Rng, n: int, population: Population, csa_offenders: np.ndarray,
                 groups: list[np.ndarray]) -> Stays:
    """Cell stays 2005..2021 of days to years; 8% CSA offenders; a few starting after as_of; most stays
    running past as_of still open."""
    person = _active(rng, population, n, 1.5)
    csa = rng.random(n) < 0.08
    person[csa] = _random_of(rng, csa_offenders, csa.sum())
    est = rng.integers(1, N_ESTABLISHMENTS + 1, n)
    cell = rng.integers(1, N_CELLS + 1, n)
    start = recent_dates(rng, n, "2005-01-01", "2021-03-01")
    end = start + np.clip(rng.lognormal(4.3, 1.1, n), 1, 3650).astype(np.int64)
    parts = [(person, est, cell, start, end)] + _shared_cells(rng, groups, csa_offenders)
    person, est, cell, start, end = (np.concatenate(column) for column in zip(*parts, strict=True))
    m = len(person)
    still_open = (end > AS_OF_DAY) & (rng.random(m) < 0.7)
    k = max(1, n // 4000)  # stays starting after as_of
    late = rng.integers(0, m, k)
    start[late] = AS_OF_DAY + rng.integers(1, 60, k)
    end[late] = np.maximum(end[late], start[late] + 10)
    still_open[late] = rng.random(k) < 0.5
    order = np.lexsort((person, start))
    est_label = np.array([f"EST{i:02d}" for i in range(N_ESTABLISHMENTS + 1)], dtype=object)
    cell_label = np.array([f"C{i:03d}" for i in range(N_CELLS + 1)], dtype=object)
    return Stays(person[order], est_label[est[order]], cell_label[cell[order]], start[order], end[order],
                 still_open[order])


@dataclass(frozen=True)
class Soc:
    """SOC nominals (person, group label) and network edges (person_a < person_b, weight, link type)."""

    person: np.ndarray
    group: np.ndarray
    person_a: np.ndarray
    person_b: np.ndarray
    weight: np.ndarray
    link_type: np.ndarray


def _soc_people(rng: Rng, n: int, population: Population, csa_offenders: np.ndarray,
                groups: list[np.ndarray]) -> np.ndarray:
    """``n`` SOC nominals: active offenders, 6% CSA offenders and two members of a quarter of the planted groups."""
    people = np.unique(_active(rng, population, n * 2, 1.5))[:n]
    people = people[rng.permutation(len(people))]
    k = max(2, int(len(people) * 0.06))
    planted = np.concatenate([g[:2] for g in groups[: max(1, len(groups) // 4)]])
    overlap = np.unique(np.concatenate([_random_of(rng, csa_offenders, k), planted]))
    people = np.unique(np.concatenate([people[: n - len(overlap)], overlap]))
    return people[rng.permutation(len(people))]


def _soc_edges(rng: Rng, people: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Distinct (a < b) pairs: about 1.8 edges per member within each group, a few between groups."""
    order = np.argsort(group, kind="stable")
    by_group, group_sorted = people[order], group[order]
    a_parts, b_parts = [], []
    starts = np.searchsorted(group_sorted, np.arange(n_groups))
    ends = np.searchsorted(group_sorted, np.arange(n_groups), side="right")
    for s, e in zip(starts, ends, strict=True):
        if e - s < 2:
            continue
        n_edges = int((e - s) * 1.8)
        a_parts.append(by_group[rng.integers(s, e, n_edges)])
        b_parts.append(by_group[rng.integers(s, e, n_edges)])
    n_between = max(1, len(people) // 10)
    a_parts.append(_random_of(rng, people, n_between))
    b_parts.append(_random_of(rng, people, n_between))
    a, b = np.concatenate(a_parts), np.concatenate(b_parts)
    a, b = np.minimum(a, b), np.maximum(a, b)
    keep = a != b
    return np.unique(np.stack([a[keep], b[keep]], 1), axis=0)


def organised_crime(rng: Rng, n_nominals: int, n_groups: int, population: Population, csa_offenders: np.ndarray,
                    groups: list[np.ndarray]) -> Soc:
    """SOC nominals in ``n_groups`` groups and their network edges (gamma weights, four link types)."""
    people = _soc_people(rng, n_nominals, population, csa_offenders, groups)
    group = rng.integers(0, n_groups, len(people))
    label = np.array([f"SOC{i:04d}" for i in range(n_groups)], dtype=object)[group]
    pairs = _soc_edges(rng, people, group, n_groups)
    weight = np.round(rng.gamma(2.0, 1.0, len(pairs)) + 0.05, 3)
    link_type = pick(rng, ["crime", "intel", "pins", "associate"], [0.4, 0.3, 0.1, 0.2], len(pairs))
    order = np.lexsort((people, group))
    return Soc(people[order], label[order], pairs[:, 0], pairs[:, 1], weight, link_type)
