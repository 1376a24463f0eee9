"""A small, independent builder of *valid* source databases in the contract's schema (CONTRACT §1).

It is deliberately not `helpers.synth`: the property test must meet databases the project's own
generator would never write. A `DbSpec` says what kind of force it is (size, id and date storage,
which systems are empty, how odd the text is, where `as_of` falls); `build_tables(spec)` turns it
into plain frames, deterministically from `spec.seed`; `write_sqlite(path, tables, spec)` writes
them with declared column types (INTEGER ids, DATE / TIMESTAMP / TEXT dates). `db_specs()` is the
hypothesis strategy over specs.

Everything it writes is legal under the contract: roles, sexes and grading systems are the
contract's codes (in any case), every date parses, SOC weights are finite and > 0, keys are
unique and never missing. What varies is everything the contract leaves open.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from helpers.extraction import SCHEMA

# Text that looks like markup to pandoc or a browser; it must come out of the report as text.
HOSTILE = ["*x*", "<b>bold</b>", "\\<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>",
           "| pipes |", "$math$", "<script>alert(1)</script>", "[link](javascript:alert(1))",
           "`code`", "_under_", "# heading", "&amp; &lt;", "Ünïcødé – ✓", "{.class}", "<!-- c -->"]
CSA_TITLES = ["Sexual assault on female child under 13", "Rape of a girl under 13",
              "SEXUAL ACTIVITY WITH A CHILD", "causing a child to watch a sexual act", "Sexual grooming",
              "Meeting a child following sexual grooming", "Sexual assault of a boy U13"]
OTHER_TITLES = ["Burglary residential", "Theft from shop", "Assault occasioning ABH", "Criminal damage"]
HO_CODES = ["20B", "19C", "22A", "17A", "21", "70", "28E", "105A", "zz9", "20b", None]
MO_TEXTS = ["met online", "groomed via social media", "smashed window", "older male concern", None]
ROLES = ["VICTIM", "OFFENDER", "SUSPECT", "DEFENDANT", "PERSON THOUGHT RESPONSIBLE",
         "PERSON PROBABLY RESPONSIBLE", "WITNESS", "REPORTING PERSON"]
ETHNICITIES = ["IC1 - White North European", "IC2 - White South European", "IC3 - Black",
               "IC4 - Asian", "IC5 - Chinese, Japanese or other South East Asian",
               "IC6 - Arab or North African", "IC9 - Unknown", None]
IF_CODES = ["CSE", "CAO", "PPC", "DRG", "cse"]
GRADES = {"5x5x5": (["A", "B", "C", "D", "E", "a"], ["1", "2", "3", "4", "5"]),
          "3x5x2": (["1", "2", "3"], ["A", "B", "C", "D", "E", "c"])}


@dataclass(frozen=True)
class DbSpec:
    seed: int = 0
    n_crimes: int = 10
    int_ids: bool = False            # person and crime ids stored as INTEGER
    date_kind: str = "TEXT"          # TEXT (ISO), DATE or TIMESTAMP ('YYYY-MM-DD HH:MM:SS')
    hostile_text: bool = True        # markup-looking titles, MO, establishments, link types
    csa_share: float = 0.6           # share of crimes with a CSA title (0: no CSA crime at all)
    one_sex: str | None = None       # 'M' or 'F': every nominal has that sex
    no_ethnicity: bool = False       # every ethnicity missing or IC9
    one_year: bool = False           # every crime in one calendar year
    empty_intel: bool = False
    empty_pins: bool = False
    empty_soc: bool = False
    as_of: str = "after"             # after / before / inside every record's dates
    extra: dict = field(default_factory=dict, compare=False)


def _date(d: dt.date, kind: str) -> str:
    return f"{d.isoformat()} 00:00:00" if kind == "TIMESTAMP" else d.isoformat()


def as_of_for(spec: DbSpec) -> str:
    """The run's as_of for a spec: after every record, before every record, or in the middle."""
    return {"after": "2021-03-15", "before": "1999-01-01", "inside": "2016-06-30"}[spec.as_of]


def build_tables(spec: DbSpec) -> dict[str, pd.DataFrame]:
    """Frames for every contract table, drawn deterministically from `spec.seed`."""
    rng = np.random.default_rng(spec.seed)
    pick = lambda xs: xs[int(rng.integers(len(xs)))]  # noqa: E731
    n_people = max(3, int(spec.n_crimes * 1.5))
    pid = (lambda i: i + 1) if spec.int_ids else (lambda i: f"P{i + 1}")
    cid = (lambda i: 100 + i) if spec.int_ids else (lambda i: f"CR/{i + 1}")
    start, span = (dt.date(2018, 1, 1), 364) if spec.one_year else (dt.date(2003, 1, 1), 18 * 365)
    dobs = [dt.date(1950, 1, 1) + dt.timedelta(days=int(rng.integers(0, 62 * 365))) for _ in range(n_people)]
    sexes = [spec.one_sex or pick(["M", "F", "U", "m", "f", None]) for _ in range(n_people)]
    eths = [pick([None, "IC9 - Unknown"]) if spec.no_ethnicity else pick(ETHNICITIES) for _ in range(n_people)]

    crimes, flags, noms = [], [], []
    for i in range(spec.n_crimes):
        day = start + dt.timedelta(days=int(rng.integers(0, span + 1)))
        csa = rng.random() < spec.csa_share
        title = pick(CSA_TITLES) if csa else pick(OTHER_TITLES)
        if spec.hostile_text and rng.random() < 0.5:
            title = f"{title} {pick(HOSTILE)}"
        title = pick([title, title.upper(), title.lower()])
        mo = pick(MO_TEXTS)
        if mo and spec.hostile_text and rng.random() < 0.3:
            mo = f"{mo} {pick(HOSTILE)}"
        otype = pick(["SEXUAL", "DA", "da", "ACQUISITIVE", None]) if rng.random() < 0.3 else "SEXUAL"
        to = _date(day + dt.timedelta(days=int(rng.integers(0, 30))), spec.date_kind) if rng.random() < 0.5 else None
        crimes.append((cid(i), _date(day, spec.date_kind), to,
                       _date(day + dt.timedelta(days=int(rng.integers(0, 60))), spec.date_kind),
                       pick(HO_CODES), title, otype, mo))
        if rng.random() < 0.3:
            flags.append((cid(i), pick(IF_CODES)))
        people = rng.choice(n_people, size=min(n_people, int(rng.integers(2, 5))), replace=False)
        for k, p in enumerate(people):
            role = "VICTIM" if k == 0 else ("OFFENDER" if k == 1 else pick(ROLES))
            role = pick([role, role.lower(), role.title()])
            dob = dobs[p]
            if k == 0 and rng.random() < 0.8:  # most victims are children at the crime
                dob = day - dt.timedelta(days=int(rng.integers(2 * 365, 17 * 365)))
            dob_s = None if rng.random() < 0.1 else _date(dob, spec.date_kind)
            noms.append((cid(i), pid(int(p)), role, dob_s, sexes[p], eths[p]))

    logs, log_noms = [], []
    if not spec.empty_intel:
        for j in range(max(1, spec.n_crimes // 3)):
            system = pick(list(GRADES))
            src, info = GRADES[system]
            day = start + dt.timedelta(days=int(rng.integers(0, span + 1)))
            logs.append((f"L{j}", _date(day, spec.date_kind), system, pick(src), pick(info)))
            for p in rng.choice(n_people, size=min(n_people, int(rng.integers(1, 5))), replace=False):
                log_noms.append((f"L{j}", pid(int(p))))
    stays = []
    if not spec.empty_pins:
        cells = [(pick(["HMP Alpha", "HMP <b>Beta</b>" if spec.hostile_text else "HMP Beta"]), c)
                 for c in ("1", "2")]
        for j in range(max(2, spec.n_crimes // 3)):
            est, cell = pick(cells)
            s = start + dt.timedelta(days=int(rng.integers(0, span + 1)))
            end = None if rng.random() < 0.2 else _date(s + dt.timedelta(days=int(rng.integers(1, 400))),
                                                       spec.date_kind)
            stays.append((f"S{j}", pid(int(rng.integers(n_people))), est, cell, _date(s, spec.date_kind), end))
    soc_edges, soc_noms = [], []
    if not spec.empty_soc:
        for _ in range(max(1, spec.n_crimes // 4)):
            a, b = rng.choice(n_people, size=2, replace=False)
            kind = pick(["associate", "family", "| pipes |" if spec.hostile_text else "business"])
            soc_edges.append((pid(int(a)), pid(int(b)), float(rng.uniform(0.1, 5)), kind))
            soc_noms += [(pid(int(a)), "G1"), (pid(int(b)), pick(["G1", "G2"]))]
        soc_noms = list(dict.fromkeys(soc_noms))

    rows = {"crimes": crimes, "crime_if_codes": flags, "crime_nominals": noms, "intel_logs": logs,
            "intel_log_nominals": log_noms, "pins_cell_stays": stays, "soc_network_edges": soc_edges,
            "soc_nominals": soc_noms}
    return {t: pd.DataFrame(rows[t], columns=list(SCHEMA[t])) for t in SCHEMA}


def _sql_type(table: str, col: str, spec: DbSpec) -> str:
    kind = SCHEMA[table][col]
    if kind.startswith("date"):
        return spec.date_kind
    if kind == "real":
        return "REAL"
    id_like = col in ("crime_id", "person_id", "person_a", "person_b")
    return "INTEGER" if spec.int_ids and id_like else "TEXT"


def write_sqlite(path: Path, tables: dict[str, pd.DataFrame], spec: DbSpec) -> str:
    """Write the frames with declared column types; return the SQLAlchemy URL."""
    with sqlite3.connect(path) as con:
        for name, df in tables.items():
            cols = ", ".join(f'"{c}" {_sql_type(name, c, spec)}' for c in df.columns)
            con.execute(f'CREATE TABLE "{name}" ({cols})')
            marks = ", ".join("?" for _ in df.columns)
            con.executemany(f'INSERT INTO "{name}" VALUES ({marks})',
                            [tuple(None if (not isinstance(v, str) and pd.isna(v)) else
                                   (int(v) if isinstance(v, np.integer) else v) for v in r)
                             for r in df.itertuples(index=False)])
    return f"sqlite:///{path}"


def db_specs(max_crimes: int = 3000) -> st.SearchStrategy[DbSpec]:
    """Hypothesis strategy over database specs: tiny to a few thousand crimes, all the odd cases."""
    return st.builds(
        DbSpec,
        seed=st.integers(0, 2 ** 16),
        n_crimes=st.one_of(st.integers(1, 5), st.integers(6, 60), st.integers(61, max_crimes)),
        int_ids=st.booleans(),
        date_kind=st.sampled_from(["TEXT", "DATE", "TIMESTAMP"]),
        hostile_text=st.booleans(),
        csa_share=st.sampled_from([0.0, 0.3, 0.8, 1.0]),
        one_sex=st.sampled_from([None, None, "M", "F"]),
        no_ethnicity=st.booleans(),
        one_year=st.booleans(),
        empty_intel=st.booleans(),
        empty_pins=st.booleans(),
        empty_soc=st.booleans(),
        as_of=st.sampled_from(["after", "after", "before", "inside"]),
    )
