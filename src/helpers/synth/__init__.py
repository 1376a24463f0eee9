"""Deterministic synthetic force database in the contract's schema (see data/README.md).

Everything here is invented. People are ids (``P00012345``), crimes ``CR0000123``,
intelligence logs ``IL...``, prison stays ``ST...``; there are no names, addresses or
free text about real people anywhere.

The generator plants a child sexual abuse (CSA) subset, calibrated so that the report's
method (docs/method.md) gives roughly the force report's published figures, inside a much
larger volume of ordinary crime, plus the intelligence, prison (PINS) and serious organised
crime (SOC) systems. The planted exploitation groups are written to ``<stem>.truth.csv`` /
``<stem>.truth.json`` beside the database, never into it.

The same profile, seed and scale always give a byte-identical SQLite file: one
``numpy.random.Generator(PCG64(seed))`` drives every draw, the steps below run in a fixed
order, rows are inserted in a fixed order and nothing depends on the clock.

Steps, one module each: :mod:`.profiles` (volumes), :mod:`.vocabulary` (what records say),
:mod:`.crimes` (CSA structure, other crime, crime fields and dates), :mod:`.population`
(people and their sex, ethnicity, date of birth), :mod:`.nominals` (who is on each crime,
with noise), :mod:`.systems` (intelligence, prison, SOC) and :mod:`.writer` (SQLite and truth).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..config import SYNTH_DIR
from . import crimes, nominals, population, systems, writer
from .crimes import CrimeDates, CrimeFields
from .draws import IdCounter, iso
from .profiles import AS_OF, PROFILES, Profile, profile_or_error, scaled
from .vocabulary import Component
from .writer import truth_file

__all__ = ["AS_OF", "PROFILES", "Profile", "generate", "recovery", "recovery_report", "truth_file"]


def _quiet(message: str) -> None:
    """Default progress callback: say nothing."""


def generate(profile: str = "wmp", seed: int = 1, out: str | Path = SYNTH_DIR / "wmp.sqlite",
             scale: float = 1.0, progress: Callable[[str], None] | None = None) -> dict:
    """Write the SQLite file at `out` (atomically) and the ground truth beside it; return counts."""
    prof = profile_or_error(profile, scale)
    say = progress or _quiet
    rng = np.random.Generator(np.random.PCG64(seed))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)

    say(f"synth: building the CSA subset ({profile}, seed {seed}, scale {scale})")
    ids = IdCounter()
    ledger, planted = crimes.plant_csa(rng, prof, scale, ids)
    n_csa_people = ids.n
    n_adult_sexual = scaled(prof.adult_sexual, scale)
    n_ordinary = int(round(prof.non_csa_per_csa * (ledger.n + n_adult_sexual)))
    pop = population.general_population(rng, ids, n_ordinary)
    crimes.add_adult_sexual(rng, ledger, pop.adults, n_adult_sexual)
    csa = ledger.frozen()
    people = population.person_values(rng, csa, pop, planted, ids.n, n_csa_people)

    say("synth: offence titles, flags and MO text")
    victim_age, victim_sex = crimes.first_victim_age_and_sex(csa, people.roles.first_victim, people.dob, people.sex)
    csa_fields = crimes.csa_fields(rng, csa, victim_age, victim_sex)
    say(f"synth: {n_ordinary:,} ordinary crimes")
    ordinary, adult_match, ordinary_dates = crimes.ordinary_fields(rng, n_ordinary, csa.n)
    dates = crimes.crime_dates_and_refs(rng, np.concatenate([csa.date, ordinary_dates]))

    say("synth: nominal records")
    crime, person, kind = nominals.nominal_links(rng, csa, pop, people, adult_match)
    recorded = nominals.recorded_values(rng, crime, person, kind, people, planted, dates, csa.n, n_csa_people,
                                        scaled(prof.dob_after_crime, scale),
                                        scaled(prof.sex_inconsistent_victims, scale))
    role = nominals.roles(rng, kind)
    labels = population.person_labels(ids.n)
    rows, n_duplicates = nominals.with_duplicates(rng, crime, dates)

    say("synth: intelligence, prison and SOC systems")
    groups = planted.group_offenders
    intel = systems.intelligence(rng, scaled(prof.intel_logs, scale), pop, people.csa_offenders, groups)
    soc = systems.organised_crime(rng, scaled(prof.soc_nominals, scale), scaled(prof.soc_groups, scale), pop,
                                  people.csa_offenders, groups)
    stays = systems.prison_stays(rng, scaled(prof.pins_stays, scale), pop, people.csa_offenders, groups)

    say(f"synth: writing {out.name}")
    fields = [csa_fields, ordinary]
    writer.write_database(out, {
        "crimes": _crime_rows(dates, fields),
        "crime_if_codes": _if_code_rows(dates, fields),
        "crime_nominals": zip(dates.reference[dates.rank[crime[rows]]].tolist(), _labels(labels, person, rows),
                              role[rows].tolist(), recorded.dob[rows].tolist(), recorded.sex[rows].tolist(),
                              recorded.ethnicity[rows].tolist(), strict=True),
        **_intel_rows(intel, labels), **_stay_rows(stays, labels), **_soc_rows(soc, labels),
        "cse_network_synthetic": [("generator", "cse-network synth"), ("profile", profile), ("seed", str(seed)),
                                  ("scale", str(scale)), ("note", "synthetic: no real person, crime or place")],
    })
    truth_rows = [(group, labels[p], r) for group, p, r in planted.truth]
    summary = {
        "profile": profile, "seed": seed, "scale": scale, "as_of": AS_OF, "database": out.name,
        "tables": {"crimes": len(dates.reference), "crime_if_codes": sum(len(f.if_crime) for f in fields),
                   "crime_nominals": len(rows), "intel_logs": len(intel.date), "intel_log_nominals": len(intel.log),
                   "pins_cell_stays": len(stays.person), "soc_network_edges": len(soc.person_a),
                   "soc_nominals": len(soc.person)},
        "planted": _planted_counts(prof, scale, csa, n_ordinary, planted.truth, recorded, n_duplicates,
                                   int((person < 0).sum())),
        "parameters": asdict(prof),
    }
    writer.write_truth(out, truth_rows, summary)
    say(f"synth: wrote {out} ({len(dates.reference):,} crimes, {len(rows):,} nominal rows)")
    return summary


def _labels(labels: np.ndarray, person: np.ndarray, rows: np.ndarray) -> list:
    """Person labels of nominal rows; None for unidentified people."""
    out = np.empty(len(person), dtype=object)
    known = person >= 0
    out[known] = labels[person[known]]
    return out[rows].tolist()


def _crime_rows(dates: CrimeDates, fields: list[CrimeFields]) -> Iterable[tuple]:
    """Crimes in crime_id order."""
    order = dates.order
    columns = [np.concatenate([getattr(f, name) for f in fields])[order].tolist()
               for name in ("code", "title", "offence_type", "mo_text")]
    return zip(dates.reference.tolist(), iso(dates.committed_from[order]),
               iso(dates.committed_to[order], dates.committed_to_null[order]), iso(dates.recorded[order]),
               *columns, strict=True)


def _if_code_rows(dates: CrimeDates, fields: list[CrimeFields]) -> Iterable[tuple]:
    """Flags in crime_id order, then by code."""
    crime = np.concatenate([f.if_crime for f in fields])
    code = np.concatenate([f.if_code for f in fields])
    order = np.lexsort((code.astype(str), dates.rank[crime]))
    return zip(dates.reference[dates.rank[crime[order]]].tolist(), code[order].tolist(), strict=True)


def _reference(prefix: str, n: int) -> np.ndarray:
    width = max(7, len(str(n)))
    return np.array([f"{prefix}{i:0{width}d}" for i in range(n)], dtype=object)


def _intel_rows(intel: systems.Intel, labels: np.ndarray) -> dict[str, Iterable[tuple]]:
    ref = _reference("IL", len(intel.date))
    return {"intel_logs": zip(ref.tolist(), iso(intel.date), intel.system.tolist(), intel.source_grade.tolist(),
                              intel.information_grade.tolist(), strict=True),
            "intel_log_nominals": zip(ref[intel.log].tolist(), labels[intel.person].tolist(), strict=True)}


def _stay_rows(stays: systems.Stays, labels: np.ndarray) -> dict[str, Iterable[tuple]]:
    return {"pins_cell_stays": zip(_reference("ST", len(stays.person)).tolist(), labels[stays.person].tolist(),
                                   stays.establishment.tolist(), stays.cell.tolist(), iso(stays.start),
                                   iso(stays.end, stays.open), strict=True)}


def _soc_rows(soc: systems.Soc, labels: np.ndarray) -> dict[str, Iterable[tuple]]:
    return {"soc_nominals": zip(labels[soc.person].tolist(), soc.group.tolist(), strict=True),
            "soc_network_edges": zip(labels[soc.person_a].tolist(), labels[soc.person_b].tolist(),
                                     soc.weight.tolist(), soc.link_type.tolist(), strict=True)}


def _planted_counts(prof: Profile, scale: float, csa: crimes.CsaCrimes, n_ordinary: int,
                    truth: list[tuple[str, int, str]], recorded: nominals.Recorded, n_duplicates: int,
                    n_unidentified: int) -> dict:
    """What was planted, for the truth JSON and the tests."""
    component = csa.component
    n_da = int((component == Component.DOMESTIC_ABUSE).sum())
    n_adult = int((component == Component.ADULT).sum())
    return {
        "csa_like_crimes": csa.n, "csa_crimes_child_victims": csa.n - n_adult - n_da,
        "adult_sexual_crimes": n_adult, "da_sexual_crimes": n_da, "ordinary_crimes": n_ordinary,
        "revictimised_children": scaled(prof.revict_victims, scale),
        "multi_offender_crimes": scaled(prof.multi_offender_crimes, scale),
        "planted_groups": scaled(prof.planted_groups, scale),
        "planted_group_offenders": sum(1 for t in truth if t[2] == "offender"),
        "planted_group_victims": sum(1 for t in truth if t[2] == "victim"),
        "prolific_offenders": prof.prolific, "prolific_crimes_each": prof.prolific_crimes,
        "victims_dob_after_crime": recorded.dob_after_crime, "victims_sex_inconsistent": recorded.sex_flipped,
        "exact_duplicate_nominal_rows": n_duplicates, "unidentified_nominals": n_unidentified,
    }


def __getattr__(name: str):
    """``synth.recovery`` and ``synth.recovery_report``: thin re-exports of :mod:`helpers.groundtruth`,
    kept only until callers import them from there."""
    if name in ("recovery", "recovery_report"):
        from .. import groundtruth

        return getattr(groundtruth, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
