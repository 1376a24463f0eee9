"""Nominal records: who appears on each crime, in what role, with the noise of a real extract.

Noise: missing and jittered dates of birth, unknown sex, differing ethnicity, victims
recorded as born after the crime, victims recorded with different sex on different
crimes, roles in mixed case, an offender listed twice, unidentified suspects and exact
duplicate rows. The prolific offenders, their partners and victims are kept clean.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .crimes import CrimeDates, CsaCrimes, Planted
from .draws import MISSING, Rng, pick, role_case
from .population import People, Population
from .profiles import AS_OF_DAY
from .vocabulary import (
    ETHNICITY_VARIANT_P,
    ETHNICITY_VARIANTS,
    KIND_ROLES,
    OFFENDER,
    OFFENDER_ROLE_P,
    OFFENDER_ROLES,
    REPORTER,
    UNKNOWN_ETHNICITY,
    VICTIM,
    WITNESS,
)

UNIDENTIFIED = -1  # person id of a nominal with no person_id


@dataclass
class Links:
    """Nominal rows before their values: crime index, person id (-1 unidentified), kind (vocabulary codes)."""

    crimes: list[np.ndarray]
    people: list[np.ndarray]
    kinds: list[np.ndarray]

    def add(self, crimes: np.ndarray, people: np.ndarray, kind: int) -> None:
        self.crimes.append(crimes)
        self.people.append(people)
        self.kinds.append(np.full(len(crimes), kind, np.int8))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return np.concatenate(self.crimes), np.concatenate(self.people), np.concatenate(self.kinds)


def _csa_links(rng: Rng, csa: CsaCrimes, adults: np.ndarray) -> Links:
    """Offenders and victims of CSA-like crimes, an offender listed twice, adult witnesses and
    reporting persons, unidentified suspects."""
    links = Links([csa.offender_crime, csa.victim_crime], [csa.offender, csa.victim],
                  [np.ones(len(csa.offender_crime), np.int8), np.zeros(len(csa.victim_crime), np.int8)])
    twice = np.flatnonzero(rng.random(len(csa.offender_crime)) < 0.01)
    links.add(csa.offender_crime[twice], csa.offender[twice], OFFENDER)
    for kind, share in ((WITNESS, 0.3), (REPORTER, 0.5)):
        crimes = np.flatnonzero(rng.random(csa.n) < share)
        links.add(crimes, adults[rng.integers(0, len(adults), len(crimes))], kind)
    unidentified = np.flatnonzero(rng.random(csa.n) < 0.03)
    links.add(unidentified, np.full(len(unidentified), UNIDENTIFIED, np.int64), OFFENDER)
    return links


def _ordinary_links(rng: Rng, links: Links, first_crime: int, adult_match: np.ndarray, population: Population,
                    people: People) -> None:
    """Victims (adults where the MO text would select the crime), offenders (some CSA offenders and
    victims, some unidentified), witnesses and reporting persons of the ordinary crimes."""
    n = len(adult_match)
    per_crime = [rng.choice(4, size=n, p=[0.10, 0.80, 0.08, 0.02]), rng.choice(4, size=n, p=[0.35, 0.50, 0.10, 0.05]),
                 rng.choice(3, size=n, p=[0.75, 0.18, 0.07]), rng.choice(2, size=n, p=[0.70, 0.30])]
    crimes = [np.repeat(np.arange(n, dtype=np.int64) + first_crime, k) for k in per_crime]
    pool, adults, csa_off = population.ids, population.adults, people.csa_offenders
    victims = pool[rng.integers(0, len(pool), len(crimes[0]))]
    adult_victim = np.repeat(adult_match, per_crime[0])
    victims[adult_victim] = adults[rng.integers(0, len(adults), adult_victim.sum())]
    offenders = pool[(population.n_offending * rng.random(len(crimes[1])) ** 2.2).astype(np.int64)]
    u = rng.random(len(crimes[1]))
    csa_offender, csa_victim, unknown = u < 0.03, (u >= 0.03) & (u < 0.036), (u >= 0.036) & (u < 0.056)
    offenders[csa_offender] = csa_off[rng.integers(0, len(csa_off), csa_offender.sum())]
    offenders[csa_victim] = people.csa_victims[rng.integers(0, len(people.csa_victims), csa_victim.sum())]
    offenders[unknown] = UNIDENTIFIED
    victim_offends = (rng.random(len(crimes[0])) < 0.004) & ~adult_victim
    victims[victim_offends] = csa_off[rng.integers(0, len(csa_off), victim_offends.sum())]
    witnesses = pool[rng.integers(0, len(pool), len(crimes[2]))]
    reporters = pool[rng.integers(0, len(pool), len(crimes[3]))]
    for kind, c, p in zip((VICTIM, OFFENDER, WITNESS, REPORTER), crimes, (victims, offenders, witnesses, reporters),
                          strict=True):
        links.add(c, p, kind)


@dataclass
class Recorded:
    """Record-level values of every nominal row (aligned with the links)."""

    dob: np.ndarray          # days since 1970 (written as ISO text)
    dob_null: np.ndarray     # rows written with no dob
    sex: np.ndarray
    ethnicity: np.ndarray
    dob_after_crime: int     # victims recorded as born after their crime
    sex_flipped: int         # victims recorded with a different sex on one crime


def _protected(person: np.ndarray, crime: np.ndarray, n_csa: int, planted: Planted) -> np.ndarray:
    """Rows of the prolific offenders, partners and victims on CSA-like crimes: kept free of noise."""
    kept = np.concatenate([planted.prolific, planted.prolific_partners, planted.prolific_victims])
    return np.isin(person, kept) & (crime < n_csa)


def _dob_after_crime(rng: Rng, person: np.ndarray, kind: np.ndarray, csa_row: np.ndarray, planted: Planted,
                     how_many: int) -> np.ndarray:
    """One victim row each of ``how_many`` single-crime victims, to be recorded as born after the crime."""
    chosen = rng.choice(planted.single_victims, size=min(len(planted.single_victims), how_many), replace=False)
    rows = np.flatnonzero(np.isin(person, chosen) & (kind == VICTIM) & csa_row)
    return rows[np.unique(person[rows], return_index=True)[1]]


def _sex_flip_rows(rng: Rng, person: np.ndarray, kind: np.ndarray, csa_row: np.ndarray, protected: np.ndarray,
                   n_people: int, n_csa_people: int, how_many: int) -> np.ndarray:
    """One victim row each of ``how_many`` victims with two or more CSA-like crimes."""
    victim_rows = np.flatnonzero((kind == VICTIM) & csa_row & ~protected)
    crimes_each = np.bincount(person[victim_rows], minlength=n_people)
    several = np.flatnonzero(crimes_each[:n_csa_people] >= 2)
    chosen = rng.choice(several, size=min(len(several), how_many), replace=False)
    rows = victim_rows[np.isin(person[victim_rows], chosen)]
    return rows[np.unique(person[rows], return_index=True)[1]]


def recorded_values(rng: Rng, crime: np.ndarray, person: np.ndarray, kind: np.ndarray, people: People,
                    planted: Planted, dates: CrimeDates, n_csa: int, n_csa_people: int,
                    dob_after_crime: int, sex_inconsistent: int) -> Recorded:
    """Each row's dob, sex and ethnicity: the person's values with missing, jittered and wrong entries."""
    n = len(crime)
    known = person >= 0
    who = np.where(known, person, 0)
    dob, sex, ethnicity = people.dob[who].copy(), people.sex[who].copy(), people.ethnicity[who].copy()
    protected = _protected(person, crime, n_csa, planted)
    csa_row = crime < n_csa
    u = rng.random(n)
    dob_null = np.where(kind == VICTIM, np.where(csa_row, u < 0.02, u < 0.05),
                        np.where(kind == OFFENDER, u < 0.11, u < 0.25)) & ~protected
    jitter = (rng.random(n) < 0.008) & ~protected
    dob[jitter] += rng.choice([-365, 365, -31, 31, -1, 1, 3650], size=jitter.sum())
    u = rng.random(n)
    unknown_sex = np.where(kind == VICTIM, u < 0.015, np.where(kind == OFFENDER, u < 0.0135, u < 0.02)) & ~protected
    sex[unknown_sex] = np.where(rng.random(unknown_sex.sum()) < 0.5, "U", MISSING)
    varies = (rng.random(n) < np.where(kind == OFFENDER, 0.03, 0.12)) & ~protected
    ethnicity[varies] = pick(rng, ETHNICITY_VARIANTS, ETHNICITY_VARIANT_P, int(varies.sum()))
    ethnicity[(kind == OFFENDER) & (rng.random(n) < 0.6) & (ethnicity == UNKNOWN_ETHNICITY)] = None
    late = _dob_after_crime(rng, person, kind, csa_row, planted, dob_after_crime)
    ahead = np.where(rng.random(len(late)) < 0.9, rng.integers(5, 360, len(late)), rng.integers(370, 1500, len(late)))
    dob[late] = dates.committed_from[crime[late]] + ahead  # mostly by under a year
    dob_null[late] = False
    flipped = _sex_flip_rows(rng, person, kind, csa_row, protected, people.n, n_csa_people, sex_inconsistent)
    sex[flipped] = np.where(sex[flipped] == "M", "F", "M")
    dob = np.minimum(dob, AS_OF_DAY)  # nobody is recorded as born after the extraction
    sex[~known] = None
    ethnicity[~known] = None
    return Recorded(dob, dob_null | ~known, sex, ethnicity, len(late), len(flipped))


def roles(rng: Rng, kind: np.ndarray) -> np.ndarray:
    """Role text: offenders as one of five recorded roles; mixed case."""
    role = np.empty(len(kind), dtype=object)
    for k, text in KIND_ROLES.items():
        role[kind == k] = text
    offender = kind == OFFENDER
    role[offender] = pick(rng, OFFENDER_ROLES, OFFENDER_ROLE_P, int(offender.sum()))
    return role_case(rng, role)


def nominal_links(rng: Rng, csa: CsaCrimes, population: Population, people: People,
                  adult_match: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(crime, person, kind) of every nominal row: the CSA-like crimes', then the ordinary crimes'."""
    links = _csa_links(rng, csa, population.adults)
    _ordinary_links(rng, links, csa.n, adult_match, population, people)
    return links.arrays()


def with_duplicates(rng: Rng, crime: np.ndarray, dates: CrimeDates) -> tuple[np.ndarray, int]:
    """Row order to write (0.4% of rows twice: exact duplicates), by crime reference; and the duplicate count."""
    duplicates = np.flatnonzero(rng.random(len(crime)) < 0.004)
    rows = np.concatenate([np.arange(len(crime)), duplicates])
    return rows[np.lexsort((rows, dates.rank[crime[rows]]))], len(duplicates)
