"""Shared fixtures: hand-built source databases in the contract's schema.

Frames here are tiny and readable; expected values in tests are worked by
hand from them, never copied from the pipeline's output.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from helpers.extraction import SCHEMA


def empty_tables() -> dict[str, pd.DataFrame]:
    return {t: pd.DataFrame({c: pd.Series(dtype="object") for c in cols}) for t, cols in SCHEMA.items()}


def frame(table: str, rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(SCHEMA[table]))


def write_db(path: Path, tables: dict[str, pd.DataFrame], drop: tuple[str, ...] = ()) -> str:
    """Write frames to SQLite as the contract says (dates as ISO text); return the URL."""
    with sqlite3.connect(path) as con:
        for name, df in tables.items():
            if name in drop:
                continue
            df.to_sql(name, con, index=False)
    return f"sqlite:///{path}"


def base_tables() -> dict[str, pd.DataFrame]:
    """One CSA crime with two co-offenders on one child victim, and some noise.

    C1 2020-03-15: offenders O1 (dob 1990-01-01) and O2 (dob 2000-06-01) on victim V1 (dob 2006-03-16,
    so 13 at the crime: the birthday falls the day after); witness W1.
    C2 2019-01-01: burglary, not CSA.
    """
    t = empty_tables()
    t["crimes"] = frame("crimes", [
        ("C1", "2020-03-15", None, "2020-03-20", "20B", "Sexual assault on female child under 13", "SEXUAL",
         "met online"),
        ("C2", "2019-01-01", None, "2019-01-02", "28E", "Burglary residential", "ACQUISITIVE", "smashed window"),
    ])
    t["crime_nominals"] = frame("crime_nominals", [
        ("C1", "O1", "Offender", "1990-01-01", "M", "IC1 - White North European"),
        ("C1", "O2", "SUSPECT", "2000-06-01", "M", None),
        ("C1", "V1", "victim", "2006-03-16", "F", "IC1 - White North European"),
        ("C1", "W1", "WITNESS", "1980-01-01", "F", None),
        ("C2", "O3", "OFFENDER", "1985-01-01", "M", None),
        ("C2", "V2", "VICTIM", "1970-01-01", "F", None),
    ])
    t["soc_nominals"] = frame("soc_nominals", [("O1", "G1"), ("S1", "G1")])
    t["soc_network_edges"] = frame("soc_network_edges", [("O1", "S1", 2.0, "associate")])
    return t


@pytest.fixture
def db_factory(tmp_path):
    """Call with tables (and tables to drop) to get a SQLite URL."""
    counter = iter(range(1000))

    def make(tables: dict[str, pd.DataFrame] | None = None, drop: tuple[str, ...] = ()) -> str:
        return write_db(tmp_path / f"src{next(counter)}.sqlite", tables or base_tables(), drop)
    return make
