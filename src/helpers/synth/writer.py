"""Write the synthetic database (atomically, in a fixed row order) and its ground truth beside it.

The ground truth goes to ``<stem>.truth.csv`` (planted group, person, role) and
``<stem>.truth.json`` (volumes and parameters), never into the database.
"""
from __future__ import annotations

import csv
import json
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

DDL = """
CREATE TABLE crimes (crime_id TEXT PRIMARY KEY, committed_from TEXT NOT NULL, committed_to TEXT,
  recorded_date TEXT NOT NULL, ho_offence_code TEXT, offence_title TEXT, offence_type TEXT, mo_text TEXT);
CREATE TABLE crime_if_codes (crime_id TEXT NOT NULL, if_code TEXT NOT NULL);
CREATE TABLE crime_nominals (crime_id TEXT NOT NULL, person_id TEXT, role TEXT NOT NULL, dob TEXT, sex TEXT, \
ethnicity TEXT);
CREATE TABLE intel_logs (log_id TEXT PRIMARY KEY, log_date TEXT NOT NULL, grading_system TEXT NOT NULL,
  source_grade TEXT, information_grade TEXT);
CREATE TABLE intel_log_nominals (log_id TEXT NOT NULL, person_id TEXT);
CREATE TABLE pins_cell_stays (stay_id TEXT PRIMARY KEY, person_id TEXT NOT NULL, establishment TEXT, cell_id TEXT,
  stay_start TEXT NOT NULL, stay_end TEXT);
CREATE TABLE soc_network_edges (person_a TEXT NOT NULL, person_b TEXT NOT NULL, weight REAL NOT NULL, link_type TEXT);
CREATE TABLE soc_nominals (person_id TEXT NOT NULL, soc_group_id TEXT);
CREATE TABLE cse_network_synthetic (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
INDEXES = """
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
TRUTH_HEADER = ["planted_group_id", "person_id", "role"]


def write_database(out: Path, tables: dict[str, Iterable[tuple]]) -> None:
    """Create the schema, insert each table's rows in the order given, index, and move into place.

    Rows go to ``<out>.tmp`` first, so a failure never leaves a half-written database at ``out``.
    Iterables are consumed lazily, one table at a time.
    """
    tmp = out.with_name(out.name + ".tmp")
    if tmp.exists():
        tmp.unlink()
    con = sqlite3.connect(tmp)
    try:
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA page_size=4096")
        con.executescript(DDL)
        con.execute("BEGIN")
        for table, rows in tables.items():
            width = len(con.execute(f"SELECT * FROM {table} LIMIT 0").description)
            con.executemany(f"INSERT INTO {table} VALUES ({','.join('?' * width)})", rows)
        con.execute("COMMIT")
        con.executescript(INDEXES)
    finally:
        con.close()
    os.replace(tmp, out)


def truth_paths(out: Path) -> tuple[Path, Path]:
    """The ground-truth CSV and JSON beside a database file."""
    stem = out.with_suffix("")
    return Path(f"{stem}.truth.csv"), Path(f"{stem}.truth.json")


def write_truth(out: Path, rows: list[tuple[str, str, str]], summary: dict) -> None:
    """The planted (group, person, role) rows, sorted, and the summary as indented JSON."""
    csv_path, json_path = truth_paths(out)
    with open(csv_path, "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(TRUTH_HEADER)
        writer.writerows(sorted(rows))
    with open(json_path, "w") as fh:
        json.dump(summary, fh, indent=2, sort_keys=True)
        fh.write("\n")


def truth_file(db_url: str) -> Path | None:
    """The planted-group file beside a synthetic database, or None (a force's real data)."""
    from ..config import sqlite_path

    path = sqlite_path(db_url)
    truth = truth_paths(path)[0] if path is not None else None
    return truth if truth is not None and truth.exists() else None
