"""Crimes: the planted child sexual abuse (CSA) structure, adult sexual offences, ordinary crime,
and what each crime record says (title, type, MO text, flags, dates, reference).

A crime is an integer index: the CSA-like crimes (CSA and adult sexual offences) first, in the
order the :class:`CrimeLedger` received them, then the ordinary crimes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .draws import (
    MISSING,
    IdCounter,
    Numbered,
    Rng,
    case_variants,
    crime_dates,
    pick,
    pick_uniform,
    pull_back_after_as_of,
    recent_dates,
)
from .profiles import AS_OF_DAY, YEAR_DAYS, Profile, day, scaled
from .vocabulary import (
    ADULT_SEXUAL_TITLES,
    CSA_IF_CODE_P,
    CSA_IF_CODES,
    CSA_TITLES,
    MO_ADULT_MATCH,
    MO_CSA,
    MO_CSA_NEUTRAL,
    MO_INNOCENT,
    ORDINARY_TITLES,
    OTHER_IF_CODES,
    Component,
)

_EMPTY = np.zeros(0, np.int64)


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else _EMPTY


@dataclass(frozen=True)
class CsaCrimes:
    """The CSA-like crimes: one date and component per crime, offender and victim (crime, person) pairs."""

    date: np.ndarray
    component: np.ndarray
    offender_crime: np.ndarray
    offender: np.ndarray
    victim_crime: np.ndarray
    victim: np.ndarray

    @property
    def n(self) -> int:
        return len(self.date)


class CrimeLedger:
    """Accumulates CSA-like crimes and their offender / victim pairs (integer ids)."""

    def __init__(self) -> None:
        self.dates: list[np.ndarray] = []
        self.components: list[np.ndarray] = []
        self.offender_crimes: list[np.ndarray] = []
        self.offenders: list[np.ndarray] = []
        self.victim_crimes: list[np.ndarray] = []
        self.victims: list[np.ndarray] = []
        self.n = 0

    def add(self, dates: np.ndarray, component: int) -> np.ndarray:
        """New crimes on ``dates``; returns their indices."""
        ids = np.arange(self.n, self.n + len(dates), dtype=np.int64)
        self.n += len(dates)
        self.dates.append(np.asarray(dates, dtype=np.int64))
        self.components.append(np.full(len(dates), component, dtype=np.int8))
        return ids

    def add_offenders(self, crimes: np.ndarray, people: np.ndarray) -> None:
        self.offender_crimes.append(np.asarray(crimes, np.int64))
        self.offenders.append(np.asarray(people, np.int64))

    def add_victims(self, crimes: np.ndarray, people: np.ndarray) -> None:
        self.victim_crimes.append(np.asarray(crimes, np.int64))
        self.victims.append(np.asarray(people, np.int64))

    def frozen(self) -> CsaCrimes:
        return CsaCrimes(_cat(self.dates), _cat(self.components), _cat(self.offender_crimes), _cat(self.offenders),
                         _cat(self.victim_crimes), _cat(self.victims))


@dataclass
class Planted:
    """What the generator planted and later steps need: ground truth and protected people."""

    truth: list[tuple[str, int, str]] = field(default_factory=list)  # (planted group, person, role)
    group_offenders: list[np.ndarray] = field(default_factory=list)
    prolific: np.ndarray = field(default_factory=lambda: _EMPTY)
    prolific_partners: np.ndarray = field(default_factory=lambda: _EMPTY)
    prolific_victims: np.ndarray = field(default_factory=lambda: _EMPTY)
    single_victims: np.ndarray = field(default_factory=lambda: _EMPTY)


# --------------------------------------------------------------------------- the CSA structure
def _extra_victims(rng: Rng, ids: IdCounter, ledger: CrimeLedger, crimes: np.ndarray, p2: float, p3: float) -> None:
    """A second victim on a share ``p2 + p3`` of crimes and a third on ``p3``."""
    u = rng.random(len(crimes))
    n_extra = (u < p2 + p3).astype(int) + (u < p3).astype(int)
    extra = np.repeat(crimes, n_extra)
    ledger.add_victims(extra, ids.new(len(extra)))


def _revictimised(rng: Rng, prof: Profile, scale: float, ids: IdCounter, ledger: CrimeLedger) -> np.ndarray:
    """Children abused by several different offenders (2..kmax crimes each); returns those offenders."""
    n_victims = scaled(prof.revict_victims, scale)
    ks = np.arange(2, prof.revict_kmax + 1)
    pk = ks.astype(float) ** -prof.revict_alpha
    crimes_each = rng.choice(ks, size=n_victims, p=pk / pk.sum())
    victims = ids.new(n_victims)
    first = crime_dates(rng, n_victims)
    span = rng.exponential(200, n_victims) + 20
    n = int(crimes_each.sum())
    offsets = (rng.random(n) * np.repeat(span, crimes_each)).astype(np.int64)
    crimes = ledger.add(pull_back_after_as_of(rng, np.repeat(first, crimes_each) + offsets), Component.REVICTIMISED)
    ledger.add_victims(crimes, np.repeat(victims, crimes_each))
    offenders = ids.new(n)
    reuse = rng.random(n) < 0.04  # some offenders abuse children of other clusters too
    offenders[reuse] = offenders[rng.integers(0, n, reuse.sum())]
    ledger.add_offenders(crimes, offenders)
    _extra_victims(rng, ids, ledger, crimes, 0.20, 0.04)
    return np.unique(offenders)


def _multi_offender(rng: Rng, prof: Profile, scale: float, ids: IdCounter, ledger: CrimeLedger) -> None:
    """Crimes with 2..8 offenders (the first has 8)."""
    n_crimes = scaled(prof.multi_offender_crimes, scale)
    offenders_each = rng.choice(np.arange(2, 9), size=n_crimes, p=np.array([75, 15, 5, 2.5, 1.2, 0.8, 0.5]) / 100)
    offenders_each[0] = 8
    crimes = ledger.add(crime_dates(rng, n_crimes), Component.MULTI_OFFENDER)
    ledger.add_offenders(np.repeat(crimes, offenders_each), ids.new(int(offenders_each.sum())))
    ledger.add_victims(crimes, ids.new(n_crimes))
    _extra_victims(rng, ids, ledger, crimes, 0.12, 0.04)


def _one_group(rng: Rng, ids: IdCounter, ledger: CrimeLedger, number: int, planted: Planted) -> None:
    """One exploitation group: 3-12 offenders sharing 2-8 children over 2-24 months."""
    n_offenders = int(rng.integers(3, 13))
    n_victims = int(rng.integers(2, 9))
    n_crimes = n_offenders + int(rng.integers(0, int(1.5 * n_offenders) + 1))
    offenders = ids.new(n_offenders)
    victims = ids.new(n_victims)
    year_w = np.linspace(1, 3, 13)
    start = crime_dates(rng, 1, years=np.arange(2008, 2021), p=year_w / year_w.sum())[0]
    span = int(rng.integers(60, 720))
    crimes = ledger.add(np.sort(pull_back_after_as_of(rng, start + rng.integers(0, span, n_crimes))), Component.GROUP)
    who = np.concatenate([offenders, rng.choice(offenders, n_crimes - n_offenders)])
    rng.shuffle(who)
    ledger.add_offenders(crimes, who)
    two = np.flatnonzero(rng.random(n_crimes) < 0.15)
    if len(two):
        second = rng.choice(offenders, len(two))
        ok = second != who[two]
        ledger.add_offenders(crimes[two[ok]], second[ok])
    n_assign = max(n_crimes, 2 * n_victims)  # every child at least twice, every crime at least one child
    victim = np.concatenate([victims, victims, rng.choice(victims, n_assign - 2 * n_victims)])
    rng.shuffle(victim)
    crime = np.concatenate([crimes, rng.choice(crimes, n_assign - n_crimes)])
    pairs = np.unique(np.stack([crime, victim], 1), axis=0)
    ledger.add_victims(pairs[:, 0], pairs[:, 1])
    gid = f"G{number:04d}"
    planted.truth += [(gid, int(p), "offender") for p in offenders] + [(gid, int(p), "victim") for p in victims]
    planted.group_offenders.append(offenders)


def _prolific(rng: Rng, prof: Profile, ids: IdCounter, ledger: CrimeLedger, planted: Planted) -> None:
    """The most prolific offenders: exactly ``prolific_crimes`` linked crimes each, each victim shared."""
    planted.prolific = ids.new(prof.prolific)
    n = prof.prolific * prof.prolific_crimes
    planted.prolific_victims = ids.new(n)
    dates = crime_dates(rng, n, years=np.arange(2010, 2021), p=np.ones(11) / 11)
    own = ledger.add(dates, Component.PROLIFIC)
    ledger.add_offenders(own, np.repeat(planted.prolific, prof.prolific_crimes))
    ledger.add_victims(own, planted.prolific_victims)
    partner_crimes = ledger.add(pull_back_after_as_of(rng, dates + rng.integers(-200, 200, n)), Component.PROLIFIC)
    planted.prolific_partners = ids.new(n)
    ledger.add_offenders(partner_crimes, planted.prolific_partners)
    ledger.add_victims(partner_crimes, planted.prolific_victims)


def _singles(rng: Rng, prof: Profile, scale: float, ids: IdCounter, ledger: CrimeLedger,
             linked_offenders: np.ndarray) -> np.ndarray:
    """One-offender crimes without links (offenders often have several); returns their victims."""
    n_all = scaled(prof.singles, scale)
    n_repeat = int(n_all * prof.single_repeat_share)
    n_base = n_all - n_repeat
    dates = crime_dates(rng, n_base)
    crimes = ledger.add(dates, Component.SINGLE)
    # share of these crimes committed by offenders with j such crimes (j = 1..8)
    share = np.array([60, 21, 9, 5, 2.4, 1.4, 0.7, 0.5]) / 100
    pool_sizes = [(j, int(np.ceil(n_base * share[j - 1] / j))) for j in range(1, 9)]
    offenders = np.concatenate([np.repeat(ids.new(count), j) for j, count in pool_sizes])
    offenders = offenders[rng.permutation(len(offenders))][:n_base]
    mix = rng.random(n_base) < 0.03  # some linked offenders also have unlinked crimes
    offenders[mix] = rng.choice(linked_offenders, mix.sum())
    ledger.add_offenders(crimes, offenders)
    victims = ids.new(n_base)
    ledger.add_victims(crimes, victims)
    _extra_victims(rng, ids, ledger, crimes, 0.018, 0.004)
    # repeated abuse of the same child by the same offender, recorded as separate crimes
    src = rng.integers(0, n_base, n_repeat)
    repeats = ledger.add(pull_back_after_as_of(rng, dates[src] + rng.integers(7, 400, n_repeat)), Component.SINGLE)
    ledger.add_offenders(repeats, offenders[src])
    ledger.add_victims(repeats, victims[src])
    return victims


def _domestic_abuse(rng: Rng, prof: Profile, scale: float, ids: IdCounter, ledger: CrimeLedger) -> None:
    """Domestic-abuse flagged sexual offences against children (excluded by the DA rule)."""
    n = scaled(prof.da_sexual, scale)
    crimes = ledger.add(crime_dates(rng, n), Component.DOMESTIC_ABUSE)
    ledger.add_offenders(crimes, ids.new(n))
    ledger.add_victims(crimes, ids.new(n))


def plant_csa(rng: Rng, prof: Profile, scale: float, ids: IdCounter) -> tuple[CrimeLedger, Planted]:
    """The CSA subset: re-victimised children, multi-offender crimes, planted groups, the prolific
    offenders, unlinked single-offender crimes and domestic-abuse crimes, in that order."""
    ledger, planted = CrimeLedger(), Planted()
    linked_offenders = _revictimised(rng, prof, scale, ids, ledger)
    _multi_offender(rng, prof, scale, ids, ledger)
    for number in range(1, scaled(prof.planted_groups, scale) + 1):  # a few hundred at most: a loop is fine
        _one_group(rng, ids, ledger, number, planted)
    _prolific(rng, prof, ids, ledger, planted)
    planted.single_victims = _singles(rng, prof, scale, ids, ledger, linked_offenders)
    _domestic_abuse(rng, prof, scale, ids, ledger)
    return ledger, planted


def add_adult_sexual(rng: Rng, ledger: CrimeLedger, adults: np.ndarray, n: int) -> None:
    """Sexual offences between adults: selected by the rules, removed by the age rule."""
    crimes = ledger.add(recent_dates(rng, n), Component.ADULT)
    ledger.add_offenders(crimes, adults[rng.integers(0, len(adults), n)])
    ledger.add_victims(crimes, adults[rng.integers(0, len(adults), n)])


# --------------------------------------------------------------------------- what the records say
@dataclass(frozen=True)
class CrimeFields:
    """Per-crime recorded values and the crimes' flags (``if_crime`` indices, ``if_code`` values)."""

    code: np.ndarray
    title: np.ndarray
    offence_type: np.ndarray
    mo_text: np.ndarray
    if_crime: np.ndarray
    if_code: np.ndarray


def _victim_groups(rng: Rng, csa: CsaCrimes, victim_age: np.ndarray, victim_sex: np.ndarray) -> np.ndarray:
    """Which title list each crime draws from: by the first victim's sex and age, 12% any child."""
    group = np.where(victim_sex == "F", np.where(victim_age < 13, "F<13", "F13"),
                     np.where(victim_age < 13, "M<13", "M13")).astype(object)
    group[rng.random(csa.n) < 0.12] = "ANY"
    return group


def _titles(rng: Rng, csa: CsaCrimes, group: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Home Office code, title, and whether the title alone selects the crime."""
    code, title = np.empty(csa.n, dtype=object), np.empty(csa.n, dtype=object)
    title_selects = np.zeros(csa.n, bool)
    adult = csa.component == Component.ADULT
    for name, rows in list(CSA_TITLES.items()) + [("ADULT", ADULT_SEXUAL_TITLES)]:
        mask = adult if name == "ADULT" else ((group == name) & ~adult)
        k = int(mask.sum())
        if not k:
            continue
        weights = np.array([r[3] for r in rows], float)
        j = rng.choice(len(rows), size=k, p=weights / weights.sum())
        code[mask] = np.array([r[0] for r in rows], dtype=object)[j]
        title[mask] = np.array([r[1] for r in rows], dtype=object)[j]
        title_selects[mask] = np.array([r[2] for r in rows], bool)[j]
    return code, title, title_selects


def _flags_and_mo(rng: Rng, csa: CsaCrimes, title_selects: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How each crime is found: an IF code, MO text, or both (more often when the title does not select it)."""
    n, adult = csa.n, csa.component == Component.ADULT
    u1, u2 = rng.random(n), rng.random(n)
    need = ~title_selects
    has_if = np.where(need, u1 < 0.62, u1 < 0.30)
    has_mo = np.where(need, (u2 < 0.62) | ~has_if, u2 < 0.35)
    adult_selected = rng.random(n) < 0.75
    has_if[adult] = False
    has_if[csa.component == Component.PROLIFIC] = True  # the prolific offenders' crimes are all flagged
    has_mo[adult] = need[adult] & adult_selected[adult]
    mo = np.where(has_mo, pick_uniform(rng, MO_CSA, n),
                  np.where(rng.random(n) < 0.5, pick_uniform(rng, MO_CSA_NEUTRAL, n), MISSING))
    mo[adult & has_mo] = pick_uniform(rng, MO_ADULT_MATCH, int((adult & has_mo).sum()))
    return has_if, mo


def csa_fields(rng: Rng, csa: CsaCrimes, victim_age: np.ndarray, victim_sex: np.ndarray) -> CrimeFields:
    """Recorded values of the CSA-like crimes, given each crime's first victim's age and sex."""
    n = csa.n
    code, title, title_selects = _titles(rng, csa, _victim_groups(rng, csa, victim_age, victim_sex))
    has_if, mo = _flags_and_mo(rng, csa, title_selects)
    offence_type = np.where(rng.random(n) < 0.9, "SEXUAL OFFENCES",
                            np.where(rng.random(n) < 0.5, "OTHER", MISSING)).astype(object)
    offence_type[csa.component == Component.DOMESTIC_ABUSE] = "DA"
    title = case_variants(rng, title)
    title[rng.random(n) < 0.004] = None  # title not recorded
    flagged = np.flatnonzero(has_if)
    flag = pick(rng, CSA_IF_CODES, CSA_IF_CODE_P, len(flagged))
    other_flagged = np.flatnonzero(rng.random(n) < 0.08)
    other_flag = OTHER_IF_CODES[rng.integers(0, len(OTHER_IF_CODES), len(other_flagged))]
    return CrimeFields(code, title, offence_type, mo, np.concatenate([flagged, other_flagged]),
                       np.concatenate([flag, other_flag]))


def ordinary_fields(rng: Rng, n: int, first_index: int) -> tuple[CrimeFields, np.ndarray, np.ndarray]:
    """Ordinary crime (indices from ``first_index``): its fields, which of it has MO text the rules
    catch (crimes against adults), and its committed-from dates."""
    dates = recent_dates(rng, n)
    weights = np.array([r[3] for r in ORDINARY_TITLES])
    kind = rng.choice(len(ORDINARY_TITLES), size=n, p=weights / weights.sum())
    code = np.array([r[0] for r in ORDINARY_TITLES], dtype=object)[kind]
    title = case_variants(rng, np.array([r[1] for r in ORDINARY_TITLES], dtype=object)[kind], 0.3, 0.1)
    offence_type = np.array([r[2] for r in ORDINARY_TITLES], dtype=object)[kind]
    violence = offence_type == "VIOLENCE"
    offence_type[violence & (rng.random(n) < 0.22)] = "DA"
    offence_type[rng.random(n) < 0.02] = None
    u = rng.random(n)
    adult_match = u < 0.012  # MO text that the rules catch, on crimes against adults
    mo = np.where(u < 0.55, pick_uniform(rng, MO_INNOCENT, n), MISSING)
    mo[adult_match] = pick_uniform(rng, MO_ADULT_MATCH, int(adult_match.sum()))
    flagged = np.flatnonzero(rng.random(n) < 0.12)
    flag = OTHER_IF_CODES[rng.integers(0, len(OTHER_IF_CODES), len(flagged))]
    fields = CrimeFields(code, title, offence_type, mo, flagged + first_index, flag)
    return fields, adult_match, dates


@dataclass(frozen=True)
class CrimeDates:
    """Every crime's dates, and the reference order: crime_id i is the crime ``order[i]``."""

    committed_from: np.ndarray
    committed_to: np.ndarray
    committed_to_null: np.ndarray
    recorded: np.ndarray
    order: np.ndarray
    rank: np.ndarray
    reference: Numbered  # crime_id of rank i


def crime_dates_and_refs(rng: Rng, committed_from: np.ndarray) -> CrimeDates:
    """Recorded dates (days to years later; historic abuse recorded from 2005), committed-to dates,
    and crime references that follow the recording order."""
    n = len(committed_from)
    historic = committed_from < day("2005-01-01")
    lag = np.where(rng.random(n) < 0.85, rng.exponential(20, n), rng.exponential(500, n)).astype(np.int64)
    recorded = committed_from + lag
    historic_recorded = recent_dates(rng, n, "2005-01-01")
    recorded = np.where(historic, np.maximum(historic_recorded, committed_from + 365), recorded)
    recorded = np.minimum(recorded, AS_OF_DAY)
    to_null = rng.random(n) < 0.45
    duration = rng.exponential(30, n).astype(np.int64) + np.where(historic, rng.integers(0, 5 * 365, n), 0)
    committed_to = committed_from + np.minimum(duration, recorded - committed_from)
    order = np.lexsort((rng.random(n), recorded))
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n)
    reference = Numbered("CR", max(7, len(str(n))), n)
    return CrimeDates(committed_from, committed_to, to_null, recorded, order, rank, reference)


def first_victim_age_and_sex(csa: CsaCrimes, first_victim: np.ndarray, dob: np.ndarray,
                             sex: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Age (whole years) and sex of each CSA-like crime's first victim."""
    return ((csa.date - dob[first_victim]) / YEAR_DAYS).astype(np.int64), sex[first_victim]
