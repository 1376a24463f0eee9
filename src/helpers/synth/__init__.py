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

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..config import SYNTH_DIR
from . import crimes, nominals, population, systems, writer
from .crimes import CrimeDates, CrimeFields
from .draws import IdCounter, Numbered, chunked_rows, iso
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
        "crime_nominals": _nominal_rows(dates, labels, crime, person, role, recorded, rows),
        **_intel_rows(intel, labels), **_stay_rows(stays, labels), **_soc_rows(soc, labels),
        "cse_network_synthetic": [("generator", "cse-network synth"), ("profile", profile), ("seed", str(seed)),
                                  ("scale", str(scale)), ("note", "synthetic: no real person, crime or place")],
    })
    truth_rows = list(zip([t[0] for t in planted.truth], labels.take(np.array([t[1] for t in planted.truth], np.int64)),
                      [t[2] for t in planted.truth], strict=True))
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


def _people(labels: Numbered, person: np.ndarray) -> list:
    """Person labels of person ids; None for unidentified people (id -1)."""
    out: list = [None] * len(person)
    known = np.flatnonzero(person >= 0)
    for i, label in zip(known.tolist(), labels.take(person[known]), strict=True):
        out[i] = label
    return out


def _positions(part: slice) -> np.ndarray:
    return np.arange(part.start, part.stop, dtype=np.int64)


def _crime_rows(dates: CrimeDates, fields: list[CrimeFields]) -> Iterator[tuple]:
    """Crimes in crime_id order."""
    order = dates.order
    columns = [np.concatenate([getattr(f, name) for f in fields])
               for name in ("code", "title", "offence_type", "mo_text")]
    return chunked_rows(
        len(order), lambda p: dates.reference.take(_positions(p)), lambda p: iso(dates.committed_from[order[p]]),
        lambda p: iso(dates.committed_to[order[p]], dates.committed_to_null[order[p]]),
        lambda p: iso(dates.recorded[order[p]]), *(_column(c, order) for c in columns))


def _column(values: np.ndarray, order: np.ndarray | None = None) -> Callable[[slice], list]:
    """A column of ``values`` (taken in ``order`` when given) for :func:`chunked_rows`."""
    if order is None:
        return lambda p: values[p].tolist()
    return lambda p: values[order[p]].tolist()


def _if_code_rows(dates: CrimeDates, fields: list[CrimeFields]) -> Iterator[tuple]:
    """Flags in crime_id order, then by code."""
    crime = np.concatenate([f.if_crime for f in fields])
    code = np.concatenate([f.if_code for f in fields])
    order = np.lexsort((code.astype(str), dates.rank[crime]))
    return chunked_rows(len(order), lambda p: dates.reference.take(dates.rank[crime[order[p]]]), _column(code, order))


def _nominal_rows(dates: CrimeDates, labels: Numbered, crime: np.ndarray, person: np.ndarray, role: np.ndarray,
                  recorded: nominals.Recorded, rows: np.ndarray) -> Iterator[tuple]:
    """Nominal rows in the order ``rows`` (by crime reference; duplicates included)."""
    return chunked_rows(
        len(rows), lambda p: dates.reference.take(dates.rank[crime[rows[p]]]),
        lambda p: _people(labels, person[rows[p]]), _column(role, rows),
        lambda p: iso(recorded.dob[rows[p]], recorded.dob_null[rows[p]]), _column(recorded.sex, rows),
        _column(recorded.ethnicity, rows))


def _reference(prefix: str, n: int) -> Numbered:
    return Numbered(prefix, max(7, len(str(n))), n)


def _intel_rows(intel: systems.Intel, labels: Numbered) -> dict[str, Iterable[tuple]]:
    ref = _reference("IL", len(intel.date))
    return {"intel_logs": chunked_rows(len(intel.date), lambda p: ref.take(_positions(p)), lambda p: iso(intel.date[p]),
                                       _column(intel.system), _column(intel.source_grade),
                                       _column(intel.information_grade)),
            "intel_log_nominals": chunked_rows(len(intel.log), lambda p: ref.take(intel.log[p]),
                                               lambda p: labels.take(intel.person[p]))}


def _stay_rows(stays: systems.Stays, labels: Numbered) -> dict[str, Iterable[tuple]]:
    ref = _reference("ST", len(stays.person))
    return {"pins_cell_stays": chunked_rows(len(stays.person), lambda p: ref.take(_positions(p)),
                                            lambda p: labels.take(stays.person[p]), _column(stays.establishment),
                                            _column(stays.cell), lambda p: iso(stays.start[p]),
                                            lambda p: iso(stays.end[p], stays.open[p]))}


def _soc_rows(soc: systems.Soc, labels: Numbered) -> dict[str, Iterable[tuple]]:
    return {"soc_nominals": chunked_rows(len(soc.person), lambda p: labels.take(soc.person[p]), _column(soc.group)),
            "soc_network_edges": chunked_rows(len(soc.person_a), lambda p: labels.take(soc.person_a[p]),
                                              lambda p: labels.take(soc.person_b[p]), _column(soc.weight),
                                              _column(soc.link_type))}


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
