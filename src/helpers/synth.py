"""Deterministic synthetic force database in the contract's schema (CONTRACT §1).

Everything here is invented. People are ids (``P00012345``), crimes
``CR0000123``, intelligence logs ``IL...``, prison stays ``ST...``; there are no
names, addresses or free text about real people anywhere.

The generator plants a child sexual abuse (CSA) subset, calibrated so that the
report's method (CONTRACT §3) gives roughly the force report's published
figures (section 9), inside a much larger volume of ordinary crime, plus the
intelligence, prison (PINS) and serious organised crime (SOC) systems. The
planted exploitation groups are written to ``<stem>.truth.csv`` /
``<stem>.truth.json`` beside the database, never into it.

The same profile, seed and scale always give a byte-identical SQLite file:
one ``numpy.random.Generator(PCG64(seed))`` drives every draw, rows are
inserted in a fixed order and nothing depends on the clock.
"""
from __future__ import annotations

import csv
import json
import os
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from .config import SYNTH_DIR

AS_OF = "2021-03-15"
_D = lambda s: int(np.datetime64(s, "D").astype(np.int64))  # noqa: E731  days since 1970-01-01
AS_OF_D = _D(AS_OF)
YEAR = 365.25


# --------------------------------------------------------------------------- profiles
@dataclass(frozen=True)
class Profile:
    """Volumes of one synthetic force (before ``scale``). See data/README.md."""

    name: str
    singles: int                 # CSA crimes with one offender and no victim link
    single_repeat_share: float   # share of singles that repeat an earlier offender-victim pair
    revict_victims: int          # children victimised by several different offenders
    revict_alpha: float          # power-law exponent of crimes per re-victimised child
    revict_kmax: int
    multi_offender_crimes: int   # CSA crimes with 2..8 offenders
    planted_groups: int          # exploitation groups (ground truth)
    prolific: int                # offenders with exactly `prolific_crimes` linked crimes
    prolific_crimes: int
    adult_sexual: int            # sexual offences against adults (removed by the age rule)
    da_sexual: int               # domestic-abuse-flagged sexual offences against children
    non_csa_per_csa: float       # ordinary crimes per crime that the CSA rules select
    intel_logs: int
    pins_stays: int
    soc_nominals: int
    soc_groups: int
    dob_after_crime: int         # victims whose recorded dob falls after the crime
    sex_inconsistent_victims: int


PROFILES: dict[str, Profile] = {
    "wmp": Profile(
        name="wmp", singles=52_500, single_repeat_share=0.06, revict_victims=6_600, revict_alpha=3.2,
        revict_kmax=16, multi_offender_crimes=1_000, planted_groups=120, prolific=11, prolific_crimes=17,
        adult_sexual=8_000, da_sexual=2_500, non_csa_per_csa=10.5, intel_logs=300_000,
        pins_stays=40_000, soc_nominals=3_000, soc_groups=150, dob_after_crime=285,
        sex_inconsistent_victims=138,
    ),
    "small": Profile(
        name="small", singles=260, single_repeat_share=0.05, revict_victims=40, revict_alpha=2.25,
        revict_kmax=10, multi_offender_crimes=8, planted_groups=4, prolific=1, prolific_crimes=17,
        adult_sexual=40, da_sexual=15, non_csa_per_csa=5.0, intel_logs=2_000,
        pins_stays=400, soc_nominals=60, soc_groups=6, dob_after_crime=5, sex_inconsistent_victims=3,
    ),
}

# --------------------------------------------------------------------------- vocabularies
# Committed-from year weights: rising to 2019, a dip in 2012, slightly down in 2020,
# 2021 partial (to as_of); earlier years are non-recent (historic) abuse.
_YEAR_W = {2005: 2.0, 2006: 2.2, 2007: 2.4, 2008: 2.6, 2009: 2.9, 2010: 3.3, 2011: 3.8, 2012: 3.4,
           2013: 4.6, 2014: 5.6, 2015: 6.8, 2016: 7.8, 2017: 8.8, 2018: 9.6, 2019: 10.2, 2020: 9.6,
           2021: 1.9}
_HISTORIC_W = 17.0  # spread over 1960-2004, growing towards 2004

VICTIM_AGE_P = np.array([0.5, 0.5, 1, 1.5, 2, 2.5, 3, 3, 3.5, 3.5, 4, 4.5, 6, 9, 11.5, 9.5, 7, 4.5])
VICTIM_AGE_P = VICTIM_AGE_P / VICTIM_AGE_P.sum()
PEER_GAP = np.array([-3, -2, -1, 0, 1, 2, 3, 4, 5])
PEER_GAP_P = np.array([0.005, 0.014, 0.063, 0.30, 0.25, 0.18, 0.10, 0.06, 0.039])
PEER_GAP_P = PEER_GAP_P / PEER_GAP_P.sum()

ETHNICITIES = np.array(["IC1 - White North European", "IC2 - White South European", "IC3 - Black",
                        "IC4 - Asian", "IC5 - Chinese, Japanese or SE Asian", "IC6 - Arab or North African",
                        "IC9 - Unknown"], dtype=object)
ETH_GENERAL_P = np.array([0.62, 0.03, 0.08, 0.14, 0.01, 0.02, 0.10])

# (code, title as recorded, title has child word AND sex word)
_CSA_TITLES = {
    "F<13": [("20B", "sexual assault on female child under 13", 1, 30), ("19E", "rape of female child under 13 by a male", 1, 22),
             ("21", "Sexual activity involving a child under 13", 1, 6),
             ("19E", "Assault of a female child under 13 by penetration", 1, 3)],
    "F13": [("20A", "sexual assault on a female 13 or over", 0, 45), ("19D", "Rape of a female child under 16", 1, 10),
            ("22B", "Sexual activity involving a child under 16", 1, 10),
            ("22B", "cause/incite girl 13-15 to engage in sexual activity", 1, 3),
            ("19C", "rape of a female aged 16 or over", 1, 4), ("73", "Abuse of position of trust - sexual activity", 0, 2)],
    "M<13": [("17B", "sexual assault on a male child under 13", 1, 30), ("19H", "Rape of a male child under 13", 1, 12),
             ("21", "Sexual activity involving a child under 13", 1, 6)],
    "M13": [("17A", "sexual assault on a male 13 or over", 0, 35), ("19G", "rape of a male child under 16", 1, 10),
            ("22B", "Sexual activity involving a child under 16", 1, 10)],
    "ANY": [("86", "distribute indec photo of child", 1, 10), ("86", "Take/make/distribute indecent photograph of child", 1, 8),
            ("71", "cause/incite child prositution or pornography 13-17", 1, 3),
            ("88C", "incite child commit gross indecency-girl", 1, 2), ("88A", "Meeting a child following sexual grooming", 1, 4),
            ("88A", "sexual communication with a child", 1, 5), ("71", "Paying for sexual services of a child", 1, 1),
            ("88E", "Exposure", 0, 3), ("88C", "Other miscellaneous sexual offences", 0, 3),
            ("22A", "Causing sexual activity without consent", 0, 2), ("23", "Familial sexual offence", 0, 2)],
}
_ADULT_SEX_TITLES = [("19C", "rape of a female aged 16 or over", 1, 25), ("20A", "sexual assault on a female 13 or over", 0, 35),
                     ("17A", "sexual assault on a male 13 or over", 0, 8), ("19F", "Rape of a male aged 16 or over", 1, 4),
                     ("22A", "Causing sexual activity without consent", 0, 10), ("24", "Exploitation of prostitution", 0, 3),
                     ("72", "Trafficking for sexual exploitation", 0, 2), ("70", "Sexual activity with a person with a mental disorder", 0, 2),
                     ("88E", "Exposure and voyeurism", 0, 8)]
# (code, title, offence_type, weight)
_OTHER_TITLES = [
    ("49", "Other theft", "ACQUISITIVE", 9), ("49", "Theft of pedal cycle", "ACQUISITIVE", 3), ("49", "theft - other", "ACQUISITIVE", 2),
    ("46", "Shoplifting", "ACQUISITIVE", 9), ("46", "Theft from shop or stall", "ACQUISITIVE", 3),
    ("105A", "Common assault and battery", "VIOLENCE", 12), ("8N", "Assault occasioning actual bodily harm", "VIOLENCE", 9),
    ("58A", "Criminal damage to a dwelling", "OTHER", 9), ("28E", "Burglary - residential", "ACQUISITIVE", 5),
    ("28E", "burglary dwelling", "ACQUISITIVE", 2), ("9A", "Public fear, alarm or distress", "PUBLIC ORDER", 7),
    ("8L", "Harassment", "VIOLENCE", 6), ("8L", "Stalking", "VIOLENCE", 2), ("39", "Theft from the person", "ACQUISITIVE", 3),
    ("34B", "Robbery of personal property", "ACQUISITIVE", 3), ("34A", "Robbery of business property", "ACQUISITIVE", 0.7),
    ("92D", "Possession of controlled drug - class A", "DRUGS", 2), ("92E", "Possession of cannabis", "DRUGS", 3),
    ("92A", "Supply of controlled drug - class A", "DRUGS", 1), ("10D", "Possess knife blade or sharp pointed article in public", "VIOLENCE", 1.5),
    ("10A", "Possess firearm with intent", "VIOLENCE", 0.2), ("5D", "Wounding with intent to do GBH", "VIOLENCE", 1),
    ("2", "Attempted murder", "VIOLENCE", 0.1), ("1", "Murder", "VIOLENCE", 0.05),
    ("11A", "Cruelty to children/young persons", "VIOLENCE", 0.8), ("13", "Child abduction", "OTHER", 0.3),
    ("106", "Modern slavery", "OTHER", 0.3), ("88E", "Exposure and voyeurism", "SEXUAL OFFENCES", 0.8),
]
# MO text: really matching the MO words (CSA), neutral, innocent look-alikes, matching-but-adult.
_MO_CSA = ["Offender groomed victim via social media", "victim reported as misper and found with older males",
           "CSE concerns raised by school", "MASH referral made by social care", "offender engaged victim in sexual activity",
           "victim disclosed rape to teacher", "concern for welfare raised by children's services",
           "child sexual abuse disclosed during interview", "victim found to be pregnant", "penetrative assault at offender's home",
           "offender sent sexual images to victim", "victim exploited in exchange for gifts, alcohol and cigarettes",
           "discussed at MASE meeting", "MACE referral following missing episode", "OFFENDER GROOMED VICTIM ONLINE"]
_MO_CSA_NEUTRAL = ["Offender touched victim over clothing", "incident occurred at park", "victim disclosed to parent",
                   "offender sent messages via app", "incident at offender's home", "victim told friend who informed school"]
_MO_INNOCENT = ["smashed rear window and stole items", "walked along Essex Road and assaulted victim", "stole card holder from bag",
                "stole grapes and spirits from store", "offender kicked door", "suspect stole vehicle from driveway",
                "victim punched in face outside bar", "offenders made off with phone", "found in possession of cannabis",
                "damaged wing mirror", "argument on Sussex Street escalated", "threw bottle at victim", "SMASHED SHOP WINDOW",
                "offender used a screwdriver to force lock", "stole purse and card holder", "Middlesex Street disturbance"]
_MO_ADULT_MATCH = ["concern for welfare of adult victim", "victim sprayed with mace", "older male seen leaving the scene",
                   "victim pregnant at time of assault", "sexual comments made to victim", "Concern for welfare call from neighbour"]
_OTHER_IF = np.array(["DRG", "ALC", "HATE", "DV", "ASB", "GNG", "KNF", "MSP", "ONL"], dtype=object)

_OFF_ROLES = np.array(["OFFENDER", "DEFENDANT", "SUSPECT", "PERSON THOUGHT RESPONSIBLE", "PERSON PROBABLY RESPONSIBLE"], dtype=object)
_OFF_ROLE_P = np.array([0.33, 0.15, 0.37, 0.10, 0.05])

# component codes of CSA-like crimes
SINGLE, REVICT, MULTI, GROUP, PROLIFIC, DA, ADULT, OTHER = range(8)


# --------------------------------------------------------------------------- small tools
class _Ids:
    def __init__(self) -> None:
        self.n = 0

    def new(self, k: int) -> np.ndarray:
        out = np.arange(self.n, self.n + k, dtype=np.int64)
        self.n += k
        return out


def _pick(rng: np.random.Generator, values, p, n: int) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return np.asarray(values, dtype=object)[rng.choice(len(p), size=n, p=p / p.sum())]


def _year_starts() -> tuple[np.ndarray, np.ndarray]:
    years = np.arange(1960, 2022)
    w = np.array([_YEAR_W.get(y, 0.0) for y in years])
    hist = (years < 2005)
    g = np.exp((years[hist] - 2004) / 12.0)
    w[hist] = _HISTORIC_W * g / g.sum()
    return years, w / w.sum()


_YEARS, _YEAR_P = _year_starts()


def _dates(rng: np.random.Generator, n: int, years=None, p=None) -> np.ndarray:
    """Crime dates (days since 1970) following the year weights, none after as_of."""
    years = _YEARS if years is None else years
    p = _YEAR_P if p is None else p
    y = rng.choice(years, size=n, p=p)
    start = (np.asarray(y) - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    length = np.where(y == 2021, AS_OF_D - _D("2021-01-01") + 1, 365)
    return start + (rng.random(n) * length).astype(np.int64)


def _recent_dates(rng, n, first="2005-01-01", last=AS_OF) -> np.ndarray:
    """Dates 2005..as_of, denser in later years."""
    lo, hi = _D(first), _D(last)
    u = rng.random(n) ** 0.8
    return lo + (u * (hi - lo + 1)).astype(np.int64)


def _iso(days: np.ndarray, null: np.ndarray | None = None) -> list:
    s = np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype(str).astype(object)
    if null is not None:
        s[null] = None
    return s.tolist()


def _case_variants(rng, titles: np.ndarray, p_upper=0.15, p_lower=0.15) -> np.ndarray:
    """Mixed case as a force records it."""
    out = titles.copy()
    u = rng.random(len(titles))
    up = u < p_upper
    lo = (u >= p_upper) & (u < p_upper + p_lower)
    if up.any():
        uniq, inv = np.unique(out[up].astype(str), return_inverse=True)
        out[up] = np.char.upper(uniq).astype(object)[inv]
    if lo.any():
        uniq, inv = np.unique(out[lo].astype(str), return_inverse=True)
        out[lo] = np.char.lower(uniq).astype(object)[inv]
    return out


def _role_case(rng, roles: np.ndarray) -> np.ndarray:
    u = rng.random(len(roles))
    out = roles.copy()
    for mask, fn in ((u < 0.25, np.char.title), ((u >= 0.25) & (u < 0.33), np.char.lower)):
        if mask.any():
            uniq, inv = np.unique(out[mask].astype(str), return_inverse=True)
            out[mask] = fn(uniq).astype(object)[inv]
    return out


# --------------------------------------------------------------------------- CSA structure
class _Crimes:
    """Accumulates CSA-like crimes and their offender / victim pairs (integer ids)."""

    def __init__(self) -> None:
        self.date: list[np.ndarray] = []
        self.comp: list[np.ndarray] = []
        self.off_c: list[np.ndarray] = []
        self.off_p: list[np.ndarray] = []
        self.vic_c: list[np.ndarray] = []
        self.vic_p: list[np.ndarray] = []
        self.n = 0

    def add(self, dates: np.ndarray, comp: int) -> np.ndarray:
        ids = np.arange(self.n, self.n + len(dates), dtype=np.int64)
        self.n += len(dates)
        self.date.append(np.asarray(dates, dtype=np.int64))
        self.comp.append(np.full(len(dates), comp, dtype=np.int8))
        return ids

    def offenders(self, c, p):
        self.off_c.append(np.asarray(c, np.int64)); self.off_p.append(np.asarray(p, np.int64))

    def victims(self, c, p):
        self.vic_c.append(np.asarray(c, np.int64)); self.vic_p.append(np.asarray(p, np.int64))

    def arrays(self):
        cat = lambda x: np.concatenate(x) if x else np.zeros(0, np.int64)  # noqa: E731
        return (cat(self.date), cat(self.comp), cat(self.off_c), cat(self.off_p), cat(self.vic_c), cat(self.vic_p))


def _clip_date(rng, d: np.ndarray) -> np.ndarray:
    late = d > AS_OF_D
    d = d.copy()
    # spread over the two years before as_of: piling them into the last weeks made
    # early 2021 look 40% busier than 2020
    d[late] = AS_OF_D - rng.integers(0, 730, late.sum())
    return d


def _extra_victims(rng, ids: _Ids, cr: _Crimes, crimes: np.ndarray, p2: float, p3: float) -> None:
    u = rng.random(len(crimes))
    n_extra = (u < p2 + p3).astype(int) + (u < p3).astype(int)
    c = np.repeat(crimes, n_extra)
    cr.victims(c, ids.new(len(c)))


def _build_csa(rng, prof: Profile, scale: float, ids: _Ids):
    cr = _Crimes()
    truth: list[tuple[str, int, str]] = []
    S = lambda x: max(1, int(round(x * scale)))  # noqa: E731

    # 1. children re-victimised by several different offenders (k crimes each)
    nv = S(prof.revict_victims)
    ks = np.arange(2, prof.revict_kmax + 1)
    pk = ks.astype(float) ** -prof.revict_alpha
    k = rng.choice(ks, size=nv, p=pk / pk.sum())
    victims = ids.new(nv)
    base = _dates(rng, nv)
    span = rng.exponential(200, nv) + 20
    n = int(k.sum())
    d = _clip_date(rng, np.repeat(base, k) + (rng.random(n) * np.repeat(span, k)).astype(np.int64))
    c = cr.add(d, REVICT)
    cr.victims(c, np.repeat(victims, k))
    offs = ids.new(n)
    reuse = rng.random(n) < 0.04          # some offenders abuse children of other clusters too
    offs[reuse] = offs[rng.integers(0, n, reuse.sum())]
    cr.offenders(c, offs)
    _extra_victims(rng, ids, cr, c, 0.20, 0.04)
    revict_offenders = np.unique(offs)

    # 2. crimes with 2..8 offenders
    nm = S(prof.multi_offender_crimes)
    kk = rng.choice(np.arange(2, 9), size=nm, p=np.array([75, 15, 5, 2.5, 1.2, 0.8, 0.5]) / 100)
    kk[0] = 8
    c = cr.add(_dates(rng, nm), MULTI)
    nn = int(kk.sum())
    cr.offenders(np.repeat(c, kk), ids.new(nn))
    cr.victims(c, ids.new(nm))
    _extra_victims(rng, ids, cr, c, 0.12, 0.04)

    # 3. planted exploitation groups: 3-12 offenders sharing 2-8 children over months
    ng = S(prof.planted_groups)
    group_members = []
    for g in range(ng):  # a few hundred groups at most: a loop is fine here
        m = int(rng.integers(3, 13))
        v = int(rng.integers(2, 9))
        nc = m + int(rng.integers(0, int(1.5 * m) + 1))
        offs_g = ids.new(m)
        vics_g = ids.new(v)
        start = _dates(rng, 1, years=np.arange(2008, 2021), p=np.linspace(1, 3, 13) / np.linspace(1, 3, 13).sum())[0]
        spn = int(rng.integers(60, 720))
        dd = _clip_date(rng, start + rng.integers(0, spn, nc))
        c = cr.add(np.sort(dd), GROUP)
        who = np.concatenate([offs_g, rng.choice(offs_g, nc - m)])
        rng.shuffle(who)
        cr.offenders(c, who)
        two = np.flatnonzero(rng.random(nc) < 0.15)
        if len(two):
            second = rng.choice(offs_g, len(two))
            ok = second != who[two]
            cr.offenders(c[two[ok]], second[ok])
        n_assign = max(nc, 2 * v)
        vic = np.concatenate([vics_g, vics_g, rng.choice(vics_g, n_assign - 2 * v)])
        rng.shuffle(vic)
        cvic = np.concatenate([c, rng.choice(c, n_assign - nc)])
        pair = np.unique(np.stack([cvic, vic], 1), axis=0)
        cr.victims(pair[:, 0], pair[:, 1])
        gid = f"G{g + 1:04d}"
        truth += [(gid, int(p), "offender") for p in offs_g] + [(gid, int(p), "victim") for p in vics_g]
        group_members.append(offs_g)

    # 4. the most prolific offenders: exactly `prolific_crimes` linked crimes each
    npf = prof.prolific
    prolific = ids.new(npf)
    nc = npf * prof.prolific_crimes
    pv = ids.new(nc)
    pdates = _dates(rng, nc, years=np.arange(2010, 2021), p=np.ones(11) / 11)
    c1 = cr.add(pdates, PROLIFIC)
    cr.offenders(c1, np.repeat(prolific, prof.prolific_crimes))
    cr.victims(c1, pv)
    c2 = cr.add(_clip_date(rng, pdates + rng.integers(-200, 200, nc)), PROLIFIC)
    partners = ids.new(nc)
    cr.offenders(c2, partners)
    cr.victims(c2, pv)

    # 5. one-offender crimes without links; offenders often have several such crimes
    ns = S(prof.singles)
    n_rep = int(ns * prof.single_repeat_share)
    n_base = ns - n_rep
    d = _dates(rng, n_base)
    c = cr.add(d, SINGLE)
    # share of these crimes committed by offenders with j such crimes (j = 1..8)
    share = np.array([60, 21, 9, 5, 2.4, 1.4, 0.7, 0.5]) / 100
    pool_sizes = [(j, int(np.ceil(n_base * share[j - 1] / j))) for j in range(1, 9)]
    offenders_seq = np.concatenate([np.repeat(ids.new(cnt), j) for j, cnt in pool_sizes])
    offenders_seq = offenders_seq[rng.permutation(len(offenders_seq))][:n_base]
    # some linked offenders also have unlinked crimes
    mix = rng.random(n_base) < 0.03
    offenders_seq[mix] = rng.choice(revict_offenders, mix.sum())
    cr.offenders(c, offenders_seq)
    sv = ids.new(n_base)
    cr.victims(c, sv)
    _extra_victims(rng, ids, cr, c, 0.018, 0.004)
    # repeated abuse of the same child by the same offender, recorded as separate crimes
    src = rng.integers(0, n_base, n_rep)
    crep = cr.add(_clip_date(rng, d[src] + rng.integers(7, 400, n_rep)), SINGLE)
    cr.offenders(crep, offenders_seq[src])
    cr.victims(crep, sv[src])
    single_victims = sv

    # 6. domestic-abuse flagged sexual offences against children (excluded by the DA rule)
    nd = S(prof.da_sexual)
    c = cr.add(_dates(rng, nd), DA)
    cr.offenders(c, ids.new(nd))
    cr.victims(c, ids.new(nd))
    return cr, truth, dict(prolific=prolific, partners=partners, prolific_victims=pv,
                           single_victims=single_victims, group_members=group_members)


# --------------------------------------------------------------------------- people
def generate(profile: str = "wmp", seed: int = 1, out: str | Path = SYNTH_DIR / "wmp.sqlite",
             scale: float = 1.0, progress: Callable[[str], None] | None = None) -> dict:
    """Write the SQLite file at `out` (atomically) and the ground truth beside it; return counts."""
    if profile not in PROFILES:
        raise ValueError(f"Unknown profile {profile!r}; choose one of {', '.join(PROFILES)}.")
    if not scale > 0:
        raise ValueError("scale must be greater than 0")
    say = progress or (lambda m: None)
    prof = PROFILES[profile]
    rng = np.random.Generator(np.random.PCG64(seed))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    S = lambda x: max(1, int(round(x * scale)))  # noqa: E731

    say(f"synth: building the CSA subset ({profile}, seed {seed}, scale {scale})")
    ids = _Ids()
    cr, truth, special = _build_csa(rng, prof, scale, ids)
    n_csa_persons = ids.n

    # ---- adult sexual offences (selected by the rules, removed by the age rule)
    na = S(prof.adult_sexual)
    # ---- general population: adults first (dob <= 1985: adults at any date from 2005)
    n_csa_like = cr.n + na
    n_other = int(round(prof.non_csa_per_csa * n_csa_like))
    n_pool = int(n_other * 1.15) + 200
    pool = ids.new(n_pool)
    n_adult_pool = int(n_pool * 0.55)
    pool_dob = np.empty(n_pool, np.int64)
    pool_dob[:n_adult_pool] = _D("1935-01-01") + (rng.random(n_adult_pool) * (_D("1985-12-31") - _D("1935-01-01"))).astype(np.int64)
    pool_dob[n_adult_pool:] = _D("1986-01-01") + (rng.random(n_pool - n_adult_pool) ** 1.3 * (_D("2008-12-31") - _D("1986-01-01"))).astype(np.int64)
    n_off_pool = int(n_pool * 0.3)  # people who offend; low ids offend most
    adult_ids = pool[:n_adult_pool]

    ca = cr.add(_recent_dates(rng, na), ADULT)
    cr.offenders(ca, adult_ids[rng.integers(0, n_adult_pool, na)])
    cr.victims(ca, adult_ids[rng.integers(0, n_adult_pool, na)])

    cdate, ccomp, oc, op, vc, vp = cr.arrays()
    n_csa = cr.n

    # ---- person attributes (CSA persons): sex, ethnicity, dob
    N = ids.n
    sex = np.full(N, "M", dtype=object)
    eth = np.full(N, None, dtype=object)
    dob = np.zeros(N, np.int64)
    dob[pool] = pool_dob
    linked = np.isin(ccomp, [REVICT, MULTI, GROUP, PROLIFIC])

    # offenders first-crime order; victims
    o_order = np.lexsort((oc, op))
    ou, ofirst = np.unique(op[o_order], return_index=True)
    ofirst = o_order[ofirst]
    vu, vfirst = np.unique(vp[np.lexsort((vc, vp))], return_index=True)
    vfirst = np.lexsort((vc, vp))[vfirst]
    csa_off = ou[ou < n_csa_persons]
    csa_vic = vu[vu < n_csa_persons]

    # offender sex: more women among linked offenders
    o_link = linked[oc[ofirst]]
    p_m = np.where(o_link, 0.70, 0.775)
    is_m = rng.random(len(ou)) < p_m
    o_pool = ou >= n_csa_persons
    sex[ou[~o_pool]] = np.where(is_m[~o_pool], "M", "F")
    # first offender of each crime -> victim sex
    first_off_of_crime = np.full(n_csa, -1, np.int64)
    rev = np.lexsort((op, oc))
    oc_s, op_s = oc[rev], op[rev]
    fc, fi = np.unique(oc_s, return_index=True)
    first_off_of_crime[fc] = op_s[fi]
    v_crime = vc[vfirst]
    v_off = first_off_of_crime[v_crime]
    v_off_m = sex[v_off] == "M"
    v_link = linked[v_crime]
    p_f = np.where(v_link, np.where(v_off_m, 0.83, 0.42), np.where(v_off_m, 0.70, 0.485))
    v_is_f = rng.random(len(vu)) < p_f
    vmask = vu < n_csa_persons
    sex[vu[vmask]] = np.where(v_is_f[vmask], "F", "M")
    pool_sex = np.where(rng.random(n_pool) < 0.5, "M", "F").astype(object)
    sex[pool] = pool_sex
    sex[special["prolific"]] = "M"

    # ethnicity (person-level "usual" value; each record may differ)
    eth[pool] = _pick(rng, ETHNICITIES, ETH_GENERAL_P, n_pool)
    v_eth = _pick(rng, ETHNICITIES, [0.62, 0.03, 0.05, 0.07, 0.01, 0.02, 0.20], vmask.sum())
    eth[vu[vmask]] = v_eth
    o_eth = _pick(rng, ETHNICITIES, [0.028, 0.002, 0.008, 0.009, 0.001, 0.002, 0.95], (~o_pool).sum())
    eth[ou[~o_pool]] = o_eth

    # victim ages at their first crime
    v_age = rng.choice(18, size=len(vu), p=VICTIM_AGE_P)
    comp_v = ccomp[v_crime]
    v_age[comp_v == DA] = rng.integers(3, 18, (comp_v == DA).sum())
    v_age[comp_v == PROLIFIC] = rng.integers(8, 16, (comp_v == PROLIFIC).sum())
    v_age[comp_v == GROUP] = rng.choice(np.arange(11, 17), size=(comp_v == GROUP).sum(), p=[.05, .1, .2, .3, .25, .1])
    frac = rng.uniform(0.03, 0.97, len(vu))
    vdob = cdate[v_crime] - ((v_age + frac) * YEAR).astype(np.int64)
    dob[vu[vmask]] = vdob[vmask]
    age_of_vic = np.full(N, -1, np.int64)
    age_of_vic[vu] = np.where(vmask, v_age, -1)

    # offender ages: peers of the child (teenagers) or adults (mid-30s)
    o_crime = oc[ofirst]
    first_vic = np.full(n_csa, -1, np.int64)
    rv = np.lexsort((vp, vc))
    fcv, fiv = np.unique(vc[rv], return_index=True)
    first_vic[fcv] = vp[rv][fiv]
    fv = first_vic[o_crime]
    va = ((cdate[o_crime] - dob[fv]) / YEAR).astype(np.int64)
    va = np.clip(va, 0, 60)
    peer = rng.random(len(ou)) < np.where(va >= 12, 0.42, 0.072)
    gap = rng.choice(PEER_GAP, size=len(ou), p=PEER_GAP_P)
    adult_age = rng.normal(35, 10, len(ou))
    # reflect below 19 rather than clip: clipping piles mass at 18 and makes a false peak there
    adult_age = np.clip(np.where(adult_age < 19, 38 - adult_age, adult_age), 19, 85).astype(np.int64)
    o_age = np.where(peer, va + gap, adult_age)
    comp_o = ccomp[o_crime]
    o_age = np.where((comp_o == DA) | (comp_o == PROLIFIC), np.clip(rng.normal(38, 9, len(ou)), 20, 75).astype(np.int64), o_age)
    o_age = np.maximum(o_age, 4)
    odob = cdate[o_crime] - ((o_age + rng.uniform(0.03, 0.97, len(ou))) * YEAR).astype(np.int64)
    dob[ou[~o_pool]] = odob[~o_pool]
    eth[special["prolific"]] = None

    # ---- crimes table (CSA-like)
    say("synth: offence titles, flags and MO text")
    c_code = np.empty(n_csa, dtype=object)
    c_title = np.empty(n_csa, dtype=object)
    c_match = np.zeros(n_csa, bool)
    fvic = first_vic
    vage_c = ((cdate - dob[fvic]) / YEAR).astype(np.int64)
    vsex_c = sex[fvic]
    group = np.where(vsex_c == "F", np.where(vage_c < 13, "F<13", "F13"), np.where(vage_c < 13, "M<13", "M13")).astype(object)
    any_t = rng.random(n_csa) < 0.12
    group[any_t] = "ANY"
    adult_mask = ccomp == ADULT
    for gname, rows in list(_CSA_TITLES.items()) + [("ADULT", _ADULT_SEX_TITLES)]:
        m = (adult_mask if gname == "ADULT" else ((group == gname) & ~adult_mask))
        k = int(m.sum())
        if not k:
            continue
        w = np.array([r[3] for r in rows], float)
        j = rng.choice(len(rows), size=k, p=w / w.sum())
        c_code[m] = np.array([r[0] for r in rows], dtype=object)[j]
        c_title[m] = np.array([r[1] for r in rows], dtype=object)[j]
        c_match[m] = np.array([r[2] for r in rows], bool)[j]
    # how each crime is found: title / if_code / MO, alone or combined
    u1, u2 = rng.random(n_csa), rng.random(n_csa)
    need = ~c_match
    has_if = np.where(need, u1 < 0.62, u1 < 0.30)
    has_mo = np.where(need, (u2 < 0.62) | ~has_if, u2 < 0.35)
    ad = adult_mask
    sel_adult = rng.random(n_csa) < 0.75
    has_if[ad] = False
    has_if[ccomp == PROLIFIC] = True  # the prolific offenders' crimes are all flagged
    has_mo[ad] = need[ad] & sel_adult[ad]
    c_mo = np.where(has_mo, _pick(rng, _MO_CSA, np.ones(len(_MO_CSA)), n_csa),
                    np.where(rng.random(n_csa) < 0.5, _pick(rng, _MO_CSA_NEUTRAL, np.ones(len(_MO_CSA_NEUTRAL)), n_csa), None))
    c_mo[ad & has_mo] = _pick(rng, _MO_ADULT_MATCH, np.ones(len(_MO_ADULT_MATCH)), int((ad & has_mo).sum()))
    c_type = np.where(rng.random(n_csa) < 0.9, "SEXUAL OFFENCES", np.where(rng.random(n_csa) < 0.5, "OTHER", None)).astype(object)
    c_type[ccomp == DA] = "DA"
    c_title = _case_variants(rng, c_title)
    c_title[rng.random(n_csa) < 0.004] = None  # title not recorded
    if_c = np.flatnonzero(has_if)
    if_code = _pick(rng, ["CAO", "CSE", "PPC"], [0.5, 0.25, 0.25], len(if_c))
    x_c = np.flatnonzero(rng.random(n_csa) < 0.08)
    x_code = _OTHER_IF[rng.integers(0, len(_OTHER_IF), len(x_c))]

    # ---- ordinary crime
    say(f"synth: {n_other:,} ordinary crimes")
    no = n_other
    odate = _recent_dates(rng, no)
    ot = rng.choice(len(_OTHER_TITLES), size=no, p=np.array([r[3] for r in _OTHER_TITLES]) / sum(r[3] for r in _OTHER_TITLES))
    o_code = np.array([r[0] for r in _OTHER_TITLES], dtype=object)[ot]
    o_title = _case_variants(rng, np.array([r[1] for r in _OTHER_TITLES], dtype=object)[ot], 0.3, 0.1)
    o_type = np.array([r[2] for r in _OTHER_TITLES], dtype=object)[ot]
    viol = o_type == "VIOLENCE"
    o_type[viol & (rng.random(no) < 0.22)] = "DA"
    o_type[rng.random(no) < 0.02] = None
    um = rng.random(no)
    o_adult_match = um < 0.012  # MO text that the rules catch, on crimes against adults
    o_mo = np.where(um < 0.55, _pick(rng, _MO_INNOCENT, np.ones(len(_MO_INNOCENT)), no), None)
    o_mo[o_adult_match] = _pick(rng, _MO_ADULT_MATCH, np.ones(len(_MO_ADULT_MATCH)), int(o_adult_match.sum()))
    o_if = np.flatnonzero(rng.random(no) < 0.12)
    o_if_code = _OTHER_IF[rng.integers(0, len(_OTHER_IF), len(o_if))]

    # all crimes: dates
    all_from = np.concatenate([cdate, odate])
    NC = len(all_from)
    is_hist = all_from < _D("2005-01-01")
    lag = np.where(rng.random(NC) < 0.85, rng.exponential(20, NC), rng.exponential(500, NC)).astype(np.int64)
    rec = all_from + lag
    hist_rec = _recent_dates(rng, NC, "2005-01-01")
    rec = np.where(is_hist, np.maximum(hist_rec, all_from + 365), rec)
    rec = np.minimum(rec, AS_OF_D)
    to_null = rng.random(NC) < 0.45
    to = all_from + np.minimum(rng.exponential(30, NC).astype(np.int64) + np.where(is_hist, rng.integers(0, 5 * 365, NC), 0),
                               rec - all_from)
    all_code = np.concatenate([c_code, o_code])
    all_title = np.concatenate([c_title, o_title])
    all_type = np.concatenate([c_type, o_type])
    all_mo = np.concatenate([c_mo, o_mo])
    # crime references follow the recording order
    order = np.lexsort((rng.random(NC), rec))
    rank = np.empty(NC, np.int64)
    rank[order] = np.arange(NC)
    w = max(7, len(str(NC)))
    crime_ref = np.array([f"CR{i:0{w}d}" for i in range(NC)], dtype=object)

    # ---- nominals of CSA-like crimes
    say("synth: nominal records")
    # columns: crime (global idx), person (-1 = unidentified), role kind (0 victim, 1 offender, 2 witness, 3 reporting)
    parts_c, parts_p, parts_k = [oc, vc], [op, vp], [np.ones(len(oc), np.int8), np.zeros(len(vc), np.int8)]
    # same offender also listed under a second role
    dbl = np.flatnonzero(rng.random(len(oc)) < 0.01)
    parts_c.append(oc[dbl]); parts_p.append(op[dbl]); parts_k.append(np.full(len(dbl), 1, np.int8))
    # witnesses and reporting persons (adults), unidentified suspects
    wc = np.flatnonzero(rng.random(n_csa) < 0.3)
    parts_c.append(wc); parts_p.append(adult_ids[rng.integers(0, n_adult_pool, len(wc))]); parts_k.append(np.full(len(wc), 2, np.int8))
    rc = np.flatnonzero(rng.random(n_csa) < 0.5)
    parts_c.append(rc); parts_p.append(adult_ids[rng.integers(0, n_adult_pool, len(rc))]); parts_k.append(np.full(len(rc), 3, np.int8))
    uc = np.flatnonzero(rng.random(n_csa) < 0.03)
    parts_c.append(uc); parts_p.append(np.full(len(uc), -1, np.int64)); parts_k.append(np.full(len(uc), 1, np.int8))

    # nominals of ordinary crimes
    nv_ = rng.choice(4, size=no, p=[0.10, 0.80, 0.08, 0.02])
    no_ = rng.choice(4, size=no, p=[0.35, 0.50, 0.10, 0.05])
    nw_ = rng.choice(3, size=no, p=[0.75, 0.18, 0.07])
    nr_ = rng.choice(2, size=no, p=[0.70, 0.30])
    base_c = np.arange(no, dtype=np.int64) + n_csa
    # victims: anyone; adults only where the MO text would select the crime
    vcx = np.repeat(base_c, nv_)
    vpx = pool[rng.integers(0, n_pool, len(vcx))]
    am = np.repeat(o_adult_match, nv_)
    vpx[am] = adult_ids[rng.integers(0, n_adult_pool, am.sum())]
    ocx = np.repeat(base_c, no_)
    opx = pool[(n_off_pool * rng.random(len(ocx)) ** 2.2).astype(np.int64)]
    u = rng.random(len(ocx))
    # CSA offenders who also commit ordinary crime; CSA victims who offend (both orders)
    m1 = u < 0.03
    opx[m1] = csa_off[rng.integers(0, len(csa_off), m1.sum())]
    m2 = (u >= 0.03) & (u < 0.036)
    opx[m2] = csa_vic[rng.integers(0, len(csa_vic), m2.sum())]
    m3 = (u >= 0.036) & (u < 0.056)
    opx[m3] = -1
    vm = rng.random(len(vcx)) < 0.004
    vpx[vm & ~am] = csa_off[rng.integers(0, len(csa_off), (vm & ~am).sum())]
    wcx = np.repeat(base_c, nw_)
    wpx = pool[rng.integers(0, n_pool, len(wcx))]
    rcx = np.repeat(base_c, nr_)
    rpx = pool[rng.integers(0, n_pool, len(rcx))]
    parts_c += [vcx, ocx, wcx, rcx]
    parts_p += [vpx, opx, wpx, rpx]
    parts_k += [np.zeros(len(vcx), np.int8), np.ones(len(ocx), np.int8), np.full(len(wcx), 2, np.int8), np.full(len(rcx), 3, np.int8)]
    n_c = np.concatenate(parts_c)
    n_p = np.concatenate(parts_p)
    n_k = np.concatenate(parts_k)
    NN = len(n_c)

    # record-level values with the noise of a real extract
    known = n_p >= 0
    pp = np.where(known, n_p, 0)
    r_dob = dob[pp].copy()
    r_sex = sex[pp].copy()
    r_eth = eth[pp].copy()
    protected = np.zeros(NN, bool)
    prot_people = np.concatenate([special["prolific"], special["partners"], special["prolific_victims"]])
    protected[np.isin(n_p, prot_people) & (n_c < n_csa)] = True
    csa_row = n_c < n_csa
    u = rng.random(NN)
    dob_null = np.where(n_k == 0, np.where(csa_row, u < 0.02, u < 0.05), np.where(n_k == 1, u < 0.11, u < 0.25)) & ~protected
    u = rng.random(NN)
    jit = (u < 0.008) & ~protected
    r_dob[jit] += rng.choice([-365, 365, -31, 31, -1, 1, 3650], size=jit.sum())
    u = rng.random(NN)
    unk_sex = np.where(n_k == 0, u < 0.015, np.where(n_k == 1, u < 0.0135, u < 0.02)) & ~protected
    r_sex[unk_sex] = np.where(rng.random(unk_sex.sum()) < 0.5, "U", None)
    u = rng.random(NN)
    e_var = (u < np.where(n_k == 1, 0.03, 0.12)) & ~protected
    r_eth[e_var] = _pick(rng, [None, "IC9 - Unknown"] + list(ETHNICITIES[:6]), [4, 2, 2, 0.3, 0.3, 0.3, 0.1, 0.1], int(e_var.sum()))
    r_eth[(n_k == 1) & (rng.random(NN) < 0.6) & (r_eth == "IC9 - Unknown")] = None
    # victims whose dob falls after the crime (mostly by under a year)
    sv = special["single_victims"]
    pick_v = rng.choice(sv, size=min(len(sv), S(prof.dob_after_crime)), replace=False)
    rows = np.flatnonzero(np.isin(n_p, pick_v) & (n_k == 0) & csa_row)
    rows = rows[np.unique(n_p[rows], return_index=True)[1]]
    ahead = np.where(rng.random(len(rows)) < 0.9, rng.integers(5, 360, len(rows)), rng.integers(370, 1500, len(rows)))
    r_dob[rows] = all_from[n_c[rows]] + ahead
    dob_null[rows] = False
    # victims recorded with different sex on different crimes
    vrows = np.flatnonzero((n_k == 0) & csa_row & ~protected)
    vcount = np.bincount(n_p[vrows], minlength=N)
    multi_v = np.flatnonzero(vcount[:n_csa_persons] >= 2)
    flip_people = rng.choice(multi_v, size=min(len(multi_v), S(prof.sex_inconsistent_victims)), replace=False)
    frows = vrows[np.isin(n_p[vrows], flip_people)]
    frows = frows[np.unique(n_p[frows], return_index=True)[1]]
    r_sex[frows] = np.where(r_sex[frows] == "M", "F", "M")
    r_dob = np.minimum(r_dob, AS_OF_D)  # nobody is recorded as born after the extraction
    r_dob_s = np.array(_iso(r_dob), dtype=object)
    r_dob_s[dob_null | ~known] = None
    r_sex[~known] = None
    r_eth[~known] = None

    kind_role = np.empty(NN, dtype=object)
    kind_role[n_k == 0] = "VICTIM"
    kind_role[n_k == 2] = "WITNESS"
    kind_role[n_k == 3] = "REPORTING PERSON"
    offm = n_k == 1
    kind_role[offm] = _pick(rng, _OFF_ROLES, _OFF_ROLE_P, int(offm.sum()))
    kind_role = _role_case(rng, kind_role)
    perm_ids = np.array([f"P{i:08d}" for i in range(N)], dtype=object)[_person_perm(N)]
    pid = np.empty(NN, dtype=object)
    pid[known] = perm_ids[n_p[known]]
    # exact duplicate rows
    dup = np.flatnonzero(rng.random(NN) < 0.004)
    sel = np.concatenate([np.arange(NN), dup])
    nom_crime = rank[n_c[sel]]
    nom_order = np.lexsort((sel, nom_crime))
    sel = sel[nom_order]

    # ---- if codes
    ifc = np.concatenate([if_c, x_c, o_if + n_csa])
    ifv = np.concatenate([if_code, x_code, o_if_code])
    if_order = np.lexsort((ifv.astype(str), rank[ifc]))

    say("synth: intelligence, prison and SOC systems")
    csa_offenders_people = csa_off
    intel = _intel(rng, S(prof.intel_logs), pool, n_off_pool, csa_offenders_people, special["group_members"])
    soc = _soc(rng, S(prof.soc_nominals), S(prof.soc_groups), pool, n_off_pool, csa_offenders_people, special["group_members"])
    pins = _pins(rng, S(prof.pins_stays), pool, n_off_pool, csa_offenders_people, special["group_members"])

    # ---- write
    say(f"synth: writing {out.name}")
    tmp = out.with_name(out.name + ".tmp")
    if tmp.exists():
        tmp.unlink()
    con = sqlite3.connect(tmp)
    try:
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA page_size=4096")
        con.executescript(_DDL)
        con.execute("BEGIN")
        cord = order  # crimes in crime_id order
        con.executemany("INSERT INTO crimes VALUES (?,?,?,?,?,?,?,?)", zip(
            crime_ref.tolist(), _iso(all_from[cord]), _iso(to[cord], to_null[cord]), _iso(rec[cord]),
            all_code[cord].tolist(), all_title[cord].tolist(), all_type[cord].tolist(), all_mo[cord].tolist()))
        con.executemany("INSERT INTO crime_if_codes VALUES (?,?)", zip(
            crime_ref[rank[ifc[if_order]]].tolist(), ifv[if_order].tolist()))
        con.executemany("INSERT INTO crime_nominals VALUES (?,?,?,?,?,?)", zip(
            crime_ref[nom_crime[nom_order]].tolist(), pid[sel].tolist(), kind_role[sel].tolist(),
            r_dob_s[sel].tolist(), r_sex[sel].tolist(), r_eth[sel].tolist()))
        log_d, log_sys, log_src, log_inf, ln_log, ln_p = intel
        wl = max(7, len(str(len(log_d))))
        log_ref = np.array([f"IL{i:0{wl}d}" for i in range(len(log_d))], dtype=object)
        con.executemany("INSERT INTO intel_logs VALUES (?,?,?,?,?)", zip(
            log_ref.tolist(), _iso(log_d), log_sys.tolist(), log_src.tolist(), log_inf.tolist()))
        con.executemany("INSERT INTO intel_log_nominals VALUES (?,?)", zip(
            log_ref[ln_log].tolist(), perm_ids[ln_p].tolist()))
        st_p, st_est, st_cell, st_s, st_e, st_open = pins
        ws = max(7, len(str(len(st_p))))
        con.executemany("INSERT INTO pins_cell_stays VALUES (?,?,?,?,?,?)", zip(
            [f"ST{i:0{ws}d}" for i in range(len(st_p))], perm_ids[st_p].tolist(), st_est.tolist(), st_cell.tolist(),
            _iso(st_s), _iso(st_e, st_open)))
        sn_p, sn_g, se_a, se_b, se_w, se_t = soc
        con.executemany("INSERT INTO soc_nominals VALUES (?,?)", zip(perm_ids[sn_p].tolist(), sn_g.tolist()))
        con.executemany("INSERT INTO soc_network_edges VALUES (?,?,?,?)", zip(
            perm_ids[se_a].tolist(), perm_ids[se_b].tolist(), se_w.tolist(), se_t.tolist()))
        con.execute("COMMIT")
        con.executescript(_INDEXES)
    finally:
        con.close()
    os.replace(tmp, out)

    # ---- ground truth beside the database, never inside it
    truth_rows = sorted((g, perm_ids[p], r) for g, p, r in truth)
    stem = out.with_suffix("")
    with open(f"{stem}.truth.csv", "w", newline="") as fh:
        wr = csv.writer(fh, lineterminator="\n")
        wr.writerow(["planted_group_id", "person_id", "role"])
        wr.writerows(truth_rows)
    counts = {
        "crimes": NC, "crime_if_codes": len(ifc), "crime_nominals": len(sel), "intel_logs": len(log_d),
        "intel_log_nominals": len(ln_log), "pins_cell_stays": len(st_p), "soc_network_edges": len(se_a),
        "soc_nominals": len(sn_p),
    }
    planted = {
        "csa_like_crimes": int(n_csa), "csa_crimes_child_victims": int((ccomp != ADULT).sum() - (ccomp == DA).sum()),
        "adult_sexual_crimes": int(na), "da_sexual_crimes": int((ccomp == DA).sum()), "ordinary_crimes": int(n_other),
        "revictimised_children": S(prof.revict_victims), "multi_offender_crimes": S(prof.multi_offender_crimes),
        "planted_groups": S(prof.planted_groups),
        "planted_group_offenders": sum(1 for t in truth if t[2] == "offender"),
        "planted_group_victims": sum(1 for t in truth if t[2] == "victim"),
        "prolific_offenders": prof.prolific, "prolific_crimes_each": prof.prolific_crimes,
        "victims_dob_after_crime": int(len(rows)), "victims_sex_inconsistent": int(len(frows)),
        "exact_duplicate_nominal_rows": int(len(dup)), "unidentified_nominals": int((~known).sum()),
    }
    summary = {"profile": profile, "seed": seed, "scale": scale, "as_of": AS_OF, "database": out.name,
               "tables": counts, "planted": planted, "parameters": asdict(prof)}
    with open(f"{stem}.truth.json", "w") as fh:
        json.dump(summary, fh, indent=2, sort_keys=True)
        fh.write("\n")
    say(f"synth: wrote {out} ({NC:,} crimes, {len(sel):,} nominal rows)")
    return summary


def _person_perm(n: int) -> np.ndarray:
    """Person ids are shuffled so that they reveal nothing about how they were made.

    A separate generator seeded from n keeps the mapping identical wherever it is used.
    """
    return np.random.Generator(np.random.PCG64(n)).permutation(n)


# --------------------------------------------------------------------------- other systems
def _intel(rng, n_logs, pool, n_off_pool, csa_off, groups):
    late = max(1, n_logs // 20000)
    d = np.sort(np.concatenate([_recent_dates(rng, n_logs - late), AS_OF_D + rng.integers(1, 90, late)]))
    old = d < _D("2017-01-01")
    src = np.where(old, _pick(rng, list("ABCDE"), [0.05, 0.47, 0.25, 0.10, 0.13], n_logs),
                   _pick(rng, list("123"), [0.62, 0.28, 0.10], n_logs))
    inf = np.where(old, _pick(rng, list("12345"), [0.08, 0.44, 0.30, 0.11, 0.07], n_logs),
                   _pick(rng, list("ABCDE"), [0.15, 0.36, 0.33, 0.12, 0.04], n_logs))
    sysn = np.where(old, "5x5x5", "3x5x2").astype(object)
    size = np.minimum(rng.zipf(2.1, n_logs), 50)
    lg = np.repeat(np.arange(n_logs), size)
    who = pool[(n_off_pool * rng.random(len(lg)) ** 1.8).astype(np.int64)]
    anyone = rng.random(len(lg)) < 0.3
    who[anyone] = pool[rng.integers(0, len(pool), anyone.sum())]
    cse = rng.random(len(lg)) < 0.02
    who[cse] = csa_off[rng.integers(0, len(csa_off), cse.sum())]
    # planted groups: logs tying members together (mostly well graded)
    extra_l, extra_p = [], []
    for g in groups:
        if rng.random() < 0.6:
            for _ in range(int(rng.integers(1, 5))):
                li = int(rng.integers(0, n_logs))
                k = int(min(len(g), rng.integers(2, 6)))
                extra_l.append(np.full(k, li)); extra_p.append(rng.choice(g, k, replace=False))
    if extra_l:
        lg = np.concatenate([lg] + extra_l); who = np.concatenate([who] + extra_p)
    order = np.lexsort((who, lg))
    lg, who = lg[order], who[order]
    keep = np.ones(len(lg), bool)
    keep[1:] = (lg[1:] != lg[:-1]) | (who[1:] != who[:-1])
    return d, sysn, src, inf, lg[keep], who[keep]


def _pins(rng, n, pool, n_off_pool, csa_off, groups):
    n_est, n_cells = 30, 120
    p = pool[(n_off_pool * rng.random(n) ** 1.5).astype(np.int64)]
    c = rng.random(n) < 0.08
    p[c] = csa_off[rng.integers(0, len(csa_off), c.sum())]
    est = rng.integers(1, n_est + 1, n)
    cell = rng.integers(1, n_cells + 1, n)
    start = _recent_dates(rng, n, "2005-01-01", "2021-03-01")
    length = np.clip(rng.lognormal(4.3, 1.1, n), 1, 3650).astype(np.int64)  # days to years
    end = start + length
    # planted: group members sharing a cell; pairs with exactly 29 / 30 days overlap
    ps, es, cs, ss, ee = [p], [est], [cell], [start], [end]
    for i, g in enumerate(groups):
        if rng.random() < 0.35 and len(g) >= 2:
            a, b = rng.choice(g, 2, replace=False)
            s0 = int(_recent_dates(rng, 1, "2008-01-01", "2020-06-01")[0])
            ov = [25, 29, 30, 45, 120][i % 5]
            e_, c_ = int(rng.integers(1, n_est + 1)), int(rng.integers(1, n_cells + 1))
            ps.append(np.array([a, b])); es.append(np.array([e_, e_])); cs.append(np.array([c_, c_]))
            ss.append(np.array([s0, s0 + 100 - ov])); ee.append(np.array([s0 + 100, s0 + 300]))
    p, est, cell, start, end = (np.concatenate(x) for x in (ps, es, cs, ss, ee))
    for ov in (29, 30):  # explicit threshold cases between two CSA offenders
        a, b = csa_off[rng.integers(0, len(csa_off), 2)]
        s0 = _D("2019-01-10")
        p = np.append(p, [a, b]); est = np.append(est, [7, 7]); cell = np.append(cell, [ov, ov])
        start = np.append(start, [s0, s0 + 100 - ov]); end = np.append(end, [s0 + 100, s0 + 250])
    m = len(p)
    open_ = (end > AS_OF_D) & (rng.random(m) < 0.7)
    k = max(1, n // 4000)  # stays starting after as_of
    late_i = rng.integers(0, m, k)
    start[late_i] = AS_OF_D + rng.integers(1, 60, k)
    end[late_i] = np.maximum(end[late_i], start[late_i] + 10)
    open_[late_i] = rng.random(k) < 0.5
    order = np.lexsort((p, start))
    est_s = np.array([f"EST{i:02d}" for i in range(n_est + 1)], dtype=object)
    cell_s = np.array([f"C{i:03d}" for i in range(n_cells + 1)], dtype=object)
    return p[order], est_s[est[order]], cell_s[cell[order]], start[order], end[order], open_[order]


def _soc(rng, n_nom, n_groups, pool, n_off_pool, csa_off, groups):
    people = pool[(n_off_pool * rng.random(n_nom * 2) ** 1.5).astype(np.int64)]
    people = np.unique(people)[: n_nom]
    people = people[rng.permutation(len(people))]
    k = max(2, int(len(people) * 0.06))
    overlap = np.unique(np.concatenate([csa_off[rng.integers(0, len(csa_off), k)],
                                        np.concatenate([g[:2] for g in groups[: max(1, len(groups) // 4)]])]))
    people = np.unique(np.concatenate([people[: n_nom - len(overlap)], overlap]))
    people = people[rng.permutation(len(people))]
    gi = rng.integers(0, n_groups, len(people))
    gname = np.array([f"SOC{i:04d}" for i in range(n_groups)], dtype=object)[gi]
    # edges: within groups dense-ish, a few between groups
    order = np.argsort(gi, kind="stable")
    pg, gg = people[order], gi[order]
    a_l, b_l = [], []
    starts = np.searchsorted(gg, np.arange(n_groups))
    ends = np.searchsorted(gg, np.arange(n_groups), side="right")
    for s, e in zip(starts, ends):
        m = e - s
        if m < 2:
            continue
        ne = int(m * 1.8)
        i, j = rng.integers(s, e, ne), rng.integers(s, e, ne)
        a_l.append(pg[i]); b_l.append(pg[j])
    nb = max(1, len(people) // 10)
    a_l.append(people[rng.integers(0, len(people), nb)]); b_l.append(people[rng.integers(0, len(people), nb)])
    a, b = np.concatenate(a_l), np.concatenate(b_l)
    a, b = np.minimum(a, b), np.maximum(a, b)
    keep = a != b
    pairs = np.unique(np.stack([a[keep], b[keep]], 1), axis=0)
    ne = len(pairs)
    w = np.round(rng.gamma(2.0, 1.0, ne) + 0.05, 3)
    lt = _pick(rng, ["crime", "intel", "pins", "associate"], [0.4, 0.3, 0.1, 0.2], ne)
    so = np.lexsort((people, gi))
    return people[so], gname[so], pairs[:, 0], pairs[:, 1], w, lt


_DDL = """
CREATE TABLE crimes (crime_id TEXT PRIMARY KEY, committed_from TEXT NOT NULL, committed_to TEXT,
  recorded_date TEXT NOT NULL, ho_offence_code TEXT, offence_title TEXT, offence_type TEXT, mo_text TEXT);
CREATE TABLE crime_if_codes (crime_id TEXT NOT NULL, if_code TEXT NOT NULL);
CREATE TABLE crime_nominals (crime_id TEXT NOT NULL, person_id TEXT, role TEXT NOT NULL, dob TEXT, sex TEXT, ethnicity TEXT);
CREATE TABLE intel_logs (log_id TEXT PRIMARY KEY, log_date TEXT NOT NULL, grading_system TEXT NOT NULL,
  source_grade TEXT, information_grade TEXT);
CREATE TABLE intel_log_nominals (log_id TEXT NOT NULL, person_id TEXT);
CREATE TABLE pins_cell_stays (stay_id TEXT PRIMARY KEY, person_id TEXT NOT NULL, establishment TEXT, cell_id TEXT,
  stay_start TEXT NOT NULL, stay_end TEXT);
CREATE TABLE soc_network_edges (person_a TEXT NOT NULL, person_b TEXT NOT NULL, weight REAL NOT NULL, link_type TEXT);
CREATE TABLE soc_nominals (person_id TEXT NOT NULL, soc_group_id TEXT);
"""
_INDEXES = """
CREATE INDEX ix_crime_if_codes_crime ON crime_if_codes (crime_id);
CREATE INDEX ix_crime_nominals_crime ON crime_nominals (crime_id);
CREATE INDEX ix_crime_nominals_person ON crime_nominals (person_id);
CREATE INDEX ix_intel_log_nominals_log ON intel_log_nominals (log_id);
CREATE INDEX ix_intel_log_nominals_person ON intel_log_nominals (person_id);
CREATE INDEX ix_pins_person ON pins_cell_stays (person_id);
CREATE INDEX ix_soc_edges_a ON soc_network_edges (person_a);
CREATE INDEX ix_soc_edges_b ON soc_network_edges (person_b);
CREATE INDEX ix_soc_nominals_person ON soc_nominals (person_id);
"""


# ---- ground-truth check: how well does the method find what was planted? -----------------

def truth_file(db_url: str) -> Path | None:
    """The planted-group file beside a synthetic database, or None (a force's real data)."""
    from .config import sqlite_path

    path = sqlite_path(db_url)
    truth = path.with_suffix(".truth.csv") if path is not None else None
    return truth if truth is not None and truth.exists() else None


def recovery(truth: pd.DataFrame, final_table: pd.DataFrame, nodes: pd.DataFrame, groups: pd.DataFrame,
             high_bands: tuple[str, ...] = ("high",)) -> tuple[dict, pd.DataFrame]:
    """Share of planted offenders found, and each planted group's best-matching network group.

    Precision of the match = planted offenders in that network group / the group's
    offenders; recall = planted offenders in it / the planted group's offenders.
    Only offenders count: victims are not network members.
    """
    off = truth[truth["role"] == "offender"]
    in_final = set(final_table["offender_a"]) | set(final_table["offender_b"])
    node_group = nodes.set_index("person_id")["group_id"]
    group_offenders = nodes[nodes["is_cse_offender"]].groupby("group_id").size()
    rows = []
    for gid, members in off.groupby("planted_group_id"):
        found = node_group.reindex(members["person_id"]).dropna()
        if found.empty:
            rows.append({"planted_group": gid, "planted_offenders": len(members), "best_group_offenders": 0,
                         "precision": 0.0, "recall": 0.0})
            continue
        best, hits = found.value_counts().sort_index().idxmax(), int(found.value_counts().max())
        rows.append({"planted_group": gid, "planted_offenders": len(members),
                     "best_group_offenders": int(group_offenders.get(best, hits)),
                     "precision": hits / int(group_offenders.get(best, hits)), "recall": hits / len(members)})
    per_group = pd.DataFrame(rows)
    band = node_group.map(groups.set_index("group_id")["priority_band"])
    in_high = off["person_id"].map(band).isin(high_bands)
    summary = {
        "planted_groups": int(off["planted_group_id"].nunique()),
        "planted_offenders": int(off["person_id"].nunique()),
        "share_in_final_table": float(off["person_id"].isin(in_final).mean()) if len(off) else 0.0,
        "median_precision": float(per_group["precision"].median()) if len(per_group) else 0.0,
        "median_recall": float(per_group["recall"].median()) if len(per_group) else 0.0,
        "share_in_high_priority_groups": float(in_high.mean()) if len(off) else 0.0,
    }
    return summary, per_group


def recovery_report(db_url: str, out_dir: str) -> tuple[str, pd.DataFrame]:
    """Prose and a table (no identifiers) for the report's synthetic-data check.

    On a force's own database there is no ground truth: the prose says so and
    the table is empty.
    """
    from . import store

    path = truth_file(db_url)
    if path is None:
        return ("No ground-truth file sits beside this database, so this is not the project's synthetic force and "
                "there is nothing planted to recover. This check does not apply to real data.", pd.DataFrame())
    summary, per = recovery(pd.read_csv(path, dtype=str), store.read_table(out_dir, "final_table"),
                            store.read_table(out_dir, "network_nodes"), store.read_table(out_dir, "network_groups"))
    table = pd.DataFrame([
        ("planted exploitation groups", f"{summary['planted_groups']:,}"),
        ("planted offenders", f"{summary['planted_offenders']:,}"),
        ("share of planted offenders in the final table", f"{summary['share_in_final_table']:.1%}"),
        ("median precision of the best-matching network group", f"{summary['median_precision']:.2f}"),
        ("median recall of the best-matching network group", f"{summary['median_recall']:.2f}"),
        ("lowest recall of any planted group", f"{per['recall'].min():.2f}" if len(per) else ""),
        ("share of planted offenders in high-priority groups", f"{summary['share_in_high_priority_groups']:.1%}"),
    ], columns=["measure", "value"])
    text = (f"The generator planted **{summary['planted_groups']:,}** exploitation groups "
            f"(**{summary['planted_offenders']:,}** offenders sharing victims over months, some also tied by "
            f"intelligence and cell-sharing) and wrote them to `{path.name}`, beside the database and never inside it. "
            f"**{summary['share_in_final_table']:.0%}** of their offenders reach the final table. For each planted "
            f"group, the network group holding most of its offenders is its best match: the median match holds "
            f"{summary['median_recall']:.0%} of the planted offenders (recall) and planted offenders make up "
            f"{summary['median_precision']:.0%} of its offenders (precision). "
            f"{summary['share_in_high_priority_groups']:.0%} of planted offenders sit in high-priority groups. "
            "This measures the method on synthetic data only; it says nothing about real offending.")
    return text, table
