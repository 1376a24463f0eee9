"""Profiles of a synthetic force (volumes before ``scale``), the extraction date and day arithmetic."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

AS_OF = "2021-03-15"
YEAR_DAYS = 365.25


def day(iso: str) -> int:
    """Days since 1970-01-01 of an ISO date (``day("1970-01-02") == 1``)."""
    return int(np.datetime64(iso, "D").astype(np.int64))


AS_OF_DAY = day(AS_OF)


@dataclass(frozen=True)
class Profile:
    """Volumes of one synthetic force (before ``scale``). See data/synthetic/README.md."""

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


def profile_or_error(name: str, scale: float) -> Profile:
    """The named profile, or a ValueError that lists the choices (and a bad ``scale``)."""
    if name not in PROFILES:
        raise ValueError(f"Unknown profile {name!r}; choose one of {', '.join(PROFILES)}.")
    if not scale > 0:
        raise ValueError("scale must be greater than 0")
    return PROFILES[name]


def scaled(count: float, scale: float) -> int:
    """A profile volume times ``scale``, rounded, at least 1."""
    return max(1, int(round(count * scale)))
