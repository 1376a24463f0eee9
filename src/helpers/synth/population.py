"""People: the general population and every person's sex, usual ethnicity and date of birth.

People are integer ids handed out by :class:`~helpers.synth.draws.IdCounter`: the CSA
subset's offenders and victims first, then the general population (adults first; low
ids offend most). :func:`person_labels` turns them into shuffled ``P00012345`` strings.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .crimes import CsaCrimes, Planted
from .draws import IdCounter, Numbered, Rng, pick
from .profiles import YEAR_DAYS, day
from .vocabulary import (
    ETHNICITIES,
    ETHNICITY_P_GENERAL,
    ETHNICITY_P_OFFENDER,
    ETHNICITY_P_VICTIM,
    GROUP_VICTIM_AGE_P,
    GROUP_VICTIM_AGES,
    PEER_GAP,
    PEER_GAP_P,
    VICTIM_AGE_P,
    Component,
)


@dataclass(frozen=True)
class Population:
    """The general population: ids, dates of birth; the first ``n_adults`` are adults at any date from 2005."""

    ids: np.ndarray
    dob: np.ndarray
    n_adults: int
    n_offending: int  # the first n_offending ids are the people who commit ordinary crime

    @property
    def adults(self) -> np.ndarray:
        return self.ids[: self.n_adults]


def general_population(rng: Rng, ids: IdCounter, n_ordinary_crimes: int) -> Population:
    """Enough people for the ordinary crime: 55% born 1935-1985, the rest 1986-2008 (more of them later)."""
    n = int(n_ordinary_crimes * 1.15) + 200
    people = ids.new(n)
    n_adults = int(n * 0.55)
    dob = np.empty(n, np.int64)
    adult_span = day("1985-12-31") - day("1935-01-01")
    young_span = day("2008-12-31") - day("1986-01-01")
    dob[:n_adults] = day("1935-01-01") + (rng.random(n_adults) * adult_span).astype(np.int64)
    dob[n_adults:] = day("1986-01-01") + (rng.random(n - n_adults) ** 1.3 * young_span).astype(np.int64)
    return Population(people, dob, n_adults, int(n * 0.3))


@dataclass(frozen=True)
class CsaRoles:
    """Each distinct offender and victim of the CSA-like crimes, with the pair row of their first crime."""

    offenders: np.ndarray        # distinct offender ids, ascending
    offender_first: np.ndarray   # index into csa.offender_crime of each one's first crime
    victims: np.ndarray
    victim_first: np.ndarray
    first_offender: np.ndarray   # per crime: the lowest offender id (-1 if none)
    first_victim: np.ndarray     # per crime: the lowest victim id (-1 if none)

    @staticmethod
    def of(csa: CsaCrimes) -> CsaRoles:
        order = np.lexsort((csa.offender_crime, csa.offender))
        offenders, first = np.unique(csa.offender[order], return_index=True)
        v_order = np.lexsort((csa.victim_crime, csa.victim))
        victims, v_first = np.unique(csa.victim[v_order], return_index=True)
        return CsaRoles(offenders, order[first], victims, v_order[v_first],
                        _lowest_per_crime(csa.n, csa.offender_crime, csa.offender),
                        _lowest_per_crime(csa.n, csa.victim_crime, csa.victim))


def _lowest_per_crime(n_crimes: int, crimes: np.ndarray, people: np.ndarray) -> np.ndarray:
    out = np.full(n_crimes, -1, np.int64)
    order = np.lexsort((people, crimes))
    crime, first = np.unique(crimes[order], return_index=True)
    out[crime] = people[order][first]
    return out


@dataclass
class People:
    """Person-level values, indexed by person id (each record may still differ)."""

    sex: np.ndarray
    ethnicity: np.ndarray
    dob: np.ndarray
    roles: CsaRoles
    offender_in_csa: np.ndarray  # per roles.offenders: is this person from the CSA subset (not the population)?
    victim_in_csa: np.ndarray    # per roles.victims: likewise

    @property
    def csa_offenders(self) -> np.ndarray:
        """CSA-subset people who offend."""
        return self.roles.offenders[self.offender_in_csa]

    @property
    def csa_victims(self) -> np.ndarray:
        """CSA-subset people who are victims."""
        return self.roles.victims[self.victim_in_csa]

    @property
    def n(self) -> int:
        return len(self.sex)


def _sexes(rng: Rng, csa: CsaCrimes, people: People, population: Population, planted: Planted) -> None:
    """Offenders mostly male (more women among linked ones); victims' sex follows the first offender's."""
    roles = people.roles
    linked = np.isin(csa.component, Component.LINKED)
    is_male = rng.random(len(roles.offenders)) < np.where(linked[csa.offender_crime[roles.offender_first]],
                                                          0.70, 0.775)
    off_csa = people.offender_in_csa
    people.sex[roles.offenders[off_csa]] = np.where(is_male[off_csa], "M", "F")
    victim_crime = csa.victim_crime[roles.victim_first]
    offender_male = people.sex[roles.first_offender[victim_crime]] == "M"
    p_female = np.where(linked[victim_crime], np.where(offender_male, 0.83, 0.42),
                        np.where(offender_male, 0.70, 0.485))
    is_female = rng.random(len(roles.victims)) < p_female
    vic_csa = people.victim_in_csa
    people.sex[roles.victims[vic_csa]] = np.where(is_female[vic_csa], "F", "M")
    people.sex[population.ids] = np.where(rng.random(len(population.ids)) < 0.5, "M", "F").astype(object)
    people.sex[planted.prolific] = "M"


def _ethnicities(rng: Rng, people: People, population: Population) -> None:
    """Usual ethnicity: general mix; victims more often unknown; offenders' mostly not recorded."""
    roles = people.roles
    people.ethnicity[population.ids] = pick(rng, ETHNICITIES, ETHNICITY_P_GENERAL, len(population.ids))
    vic_csa, off_csa = people.victim_in_csa, people.offender_in_csa
    people.ethnicity[roles.victims[vic_csa]] = pick(rng, ETHNICITIES, ETHNICITY_P_VICTIM, vic_csa.sum())
    people.ethnicity[roles.offenders[off_csa]] = pick(rng, ETHNICITIES, ETHNICITY_P_OFFENDER, off_csa.sum())


def _victim_dobs(rng: Rng, csa: CsaCrimes, people: People) -> None:
    """Victims' ages at their first crime (by component), turned into dates of birth."""
    roles = people.roles
    victim_crime = csa.victim_crime[roles.victim_first]
    age = rng.choice(18, size=len(roles.victims), p=VICTIM_AGE_P)
    component = csa.component[victim_crime]
    da, prolific, group = (component == c for c in (Component.DOMESTIC_ABUSE, Component.PROLIFIC, Component.GROUP))
    age[da] = rng.integers(3, 18, da.sum())
    age[prolific] = rng.integers(8, 16, prolific.sum())
    age[group] = rng.choice(GROUP_VICTIM_AGES, size=group.sum(), p=GROUP_VICTIM_AGE_P)
    fraction = rng.uniform(0.03, 0.97, len(roles.victims))
    dob = csa.date[victim_crime] - ((age + fraction) * YEAR_DAYS).astype(np.int64)
    vic_csa = people.victim_in_csa
    people.dob[roles.victims[vic_csa]] = dob[vic_csa]


def _offender_dobs(rng: Rng, csa: CsaCrimes, people: People) -> None:
    """Offenders' ages: a peer of the child (teenagers, more often for older children) or an adult (mid-30s)."""
    roles = people.roles
    n = len(roles.offenders)
    crime = csa.offender_crime[roles.offender_first]
    child_age = np.clip(((csa.date[crime] - people.dob[roles.first_victim[crime]]) / YEAR_DAYS).astype(np.int64), 0, 60)
    peer = rng.random(n) < np.where(child_age >= 12, 0.42, 0.072)
    gap = rng.choice(PEER_GAP, size=n, p=PEER_GAP_P)
    adult_age = rng.normal(35, 10, n)
    # reflect below 19 rather than clip: clipping piles mass at 18 and makes a false peak there
    adult_age = np.clip(np.where(adult_age < 19, 38 - adult_age, adult_age), 19, 85).astype(np.int64)
    age = np.where(peer, child_age + gap, adult_age)
    component = csa.component[crime]
    older = (component == Component.DOMESTIC_ABUSE) | (component == Component.PROLIFIC)
    age = np.where(older, np.clip(rng.normal(38, 9, n), 20, 75).astype(np.int64), age)
    age = np.maximum(age, 4)
    dob = csa.date[crime] - ((age + rng.uniform(0.03, 0.97, n)) * YEAR_DAYS).astype(np.int64)
    off_csa = people.offender_in_csa
    people.dob[roles.offenders[off_csa]] = dob[off_csa]


def person_values(rng: Rng, csa: CsaCrimes, population: Population, planted: Planted, n_people: int,
                  n_csa_people: int) -> People:
    """Sex, usual ethnicity and date of birth of everyone (the prolific offenders: male, ethnicity not recorded)."""
    roles = CsaRoles.of(csa)
    people = People(np.full(n_people, "M", dtype=object), np.full(n_people, None, dtype=object),
                    np.zeros(n_people, np.int64), roles, roles.offenders < n_csa_people, roles.victims < n_csa_people)
    people.dob[population.ids] = population.dob
    _sexes(rng, csa, people, population, planted)
    _ethnicities(rng, people, population)
    _victim_dobs(rng, csa, people)
    _offender_dobs(rng, csa, people)
    people.ethnicity[planted.prolific] = None
    return people


def person_labels(n: int) -> Numbered:
    """``P00012345`` labels for person ids 0..n-1, shuffled so that they reveal nothing about how they were made.

    A separate generator seeded from n keeps the mapping identical wherever it is used. Person ``p``'s
    label is ``P`` and the eight-digit ``perm[p]``; the text is made only when a row is written.
    """
    return Numbered("P", 8, n, np.random.Generator(np.random.PCG64(n)).permutation(n))
