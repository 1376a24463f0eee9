"""A real warehouse: the small force in PostgreSQL gives the SQLite run's tables, byte for byte.

The server comes from `scripts/pg-test-server.sh` (PostgreSQL from Debian's packages on
127.0.0.1; `make test` starts it and exports its URL as CSE_TEST_PG_URL). Each test run loads
data/synthetic/small.sqlite into a fresh schema of that database, with real DATE columns for
the contract's date columns and the source's own column types (TEXT ids, DOUBLE PRECISION
weights), then runs `cse-network run --no-render` against PostgreSQL (through the command line,
with the role's password in --db-url) and against the SQLite file, and compares every CSV in
OUT/tables. It also checks that the password reaches no output.

Without CSE_TEST_PG_URL the test is skipped on a developer's machine, and fails under CI
(CI=true): CI must run it.
"""
from __future__ import annotations

import os
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from helpers.config import SMALL_DB, load_params
from helpers.extraction import SCHEMA
from helpers.runner import run

pytestmark = pytest.mark.slow

URL_ENV = "CSE_TEST_PG_URL"
SQLITE_TO_PG = {"TEXT": "TEXT", "INTEGER": "BIGINT", "REAL": "DOUBLE PRECISION", "NUMERIC": "NUMERIC"}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="module")
def pg_url() -> sa.URL:
    raw = os.environ.get(URL_ENV, "").strip()
    if not raw:
        if in_ci():
            pytest.fail(f"CI is set but {URL_ENV} is not: the PostgreSQL test must run in CI. "
                        f"Start the server with `{URL_ENV}=$(scripts/pg-test-server.sh --url)` (make test does).")
        pytest.skip(f"{URL_ENV} is not set (no PostgreSQL test server): run `make test`, or "
                    f"`export $(scripts/pg-test-server.sh --export)` first")
    url = sa.engine.make_url(raw)
    assert url.get_backend_name() == "postgresql", f"{URL_ENV} must be a postgresql URL, not {url.drivername}"
    assert url.password, f"{URL_ENV} must carry a password (the test checks it reaches no output)"
    return url


def pg_columns(sqlite_con: sqlite3.Connection, table: str) -> list[tuple[str, str, bool]]:
    """(name, PostgreSQL type, primary key) per column: DATE for the contract's date columns, else the
    SQLite declared type's PostgreSQL equivalent (the source has TEXT ids, REAL weights)."""
    cols = []
    for _, name, decl, _notnull, _default, pk in sqlite_con.execute(f'PRAGMA table_info("{table}")'):
        kind = SCHEMA[table].get(name, "text")
        pg_type = "DATE" if kind.startswith("date") else SQLITE_TO_PG[decl.upper()]
        cols.append((name, pg_type, bool(pk)))
    return cols


def load_into_postgres(url: sa.URL, schema: str, src: Path) -> dict[str, int]:
    """Every table of `src` into `schema` (created here) with COPY; returns rows per table."""
    counts = {}
    engine = sa.create_engine(url)
    try:
        raw = engine.raw_connection()
        try:
            pg = raw.driver_connection  # a psycopg 3 connection
            with sqlite3.connect(src) as lite, pg.cursor() as cur:
                cur.execute(f'CREATE SCHEMA "{schema}"')
                for table in SCHEMA:
                    cols = pg_columns(lite, table)
                    ddl = ", ".join(f'"{n}" {t}' + (" PRIMARY KEY" if pk else "") for n, t, pk in cols)
                    cur.execute(f'CREATE TABLE "{schema}"."{table}" ({ddl})')
                    names = ", ".join(f'"{n}"' for n, _, _ in cols)
                    rows = lite.execute(f'SELECT {names} FROM "{table}" ORDER BY rowid').fetchall()
                    with cur.copy(f'COPY "{schema}"."{table}" ({names}) FROM STDIN') as copy:
                        for row in rows:
                            copy.write_row(row)
                    counts[table] = len(rows)
            pg.commit()
        finally:
            raw.close()
    finally:
        engine.dispose()
    return counts


@pytest.fixture(scope="module")
def pg_source(pg_url, tmp_path_factory):
    """(URL of a fresh schema holding the small force, rows per table); the schema is dropped afterwards."""
    if not SMALL_DB.exists():
        pytest.fail(f"{SMALL_DB} is missing: `make test` generates it first (cse-network synth --profile small)")
    schema = f"cse_test_{os.getpid()}_{secrets.token_hex(4)}"
    counts = load_into_postgres(pg_url, schema, SMALL_DB)
    url = pg_url.update_query_dict({"options": f"-csearch_path={schema}"})
    yield url, schema, counts
    engine = sa.create_engine(pg_url)
    with engine.begin() as con:
        con.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    engine.dispose()


@pytest.fixture(scope="module")
def runs(pg_source, tmp_path_factory):
    """(SQLite output, PostgreSQL output, the command line's stdout + stderr for the PostgreSQL run)."""
    url, _, _ = pg_source
    root = tmp_path_factory.mktemp("pg")
    lite_out, pg_out = root / "sqlite", root / "postgres"
    run(load_params(overrides={"db_url": f"sqlite:///{SMALL_DB}", "out_dir": str(lite_out)}),
        render=False, say=lambda m: None)
    res = subprocess.run(
        [sys.executable, "-m", "helpers.cli", "run", "--no-render", "--db-url",
         url.render_as_string(hide_password=False), "--out", str(pg_out)],
        capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, f"the PostgreSQL run failed:\n{res.stdout}\n{res.stderr}"
    return lite_out, pg_out, res.stdout + res.stderr


def test_the_source_really_is_postgresql_with_date_columns(pg_url, pg_source):
    url, schema, counts = pg_source
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as con:
            types = dict(con.execute(sa.text(
                "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = :s"), {"s": schema}).all())
            n = {t: con.exec_driver_sql(f'SELECT count(*) FROM "{schema}"."{t}"').scalar() for t in SCHEMA}
    finally:
        engine.dispose()
    dates = {f"{t}.{c}" for t, cols in SCHEMA.items() for c, k in cols.items() if k.startswith("date")}
    assert len(dates) == 7 and all(types[d] == "date" for d in dates), types
    assert types["crimes.crime_id"] == "text" and types["soc_network_edges.weight"] == "double precision"
    assert n == counts and counts["crimes"] > 1000 and counts["crime_nominals"] > 1000
    with sqlite3.connect(SMALL_DB) as lite:
        assert counts == {t: lite.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in SCHEMA}


def test_postgresql_and_sqlite_give_byte_identical_tables(runs):
    lite_out, pg_out, _ = runs
    lite = {p.name: p.read_bytes() for p in sorted((lite_out / "tables").glob("*.csv"))}
    pg = {p.name: p.read_bytes() for p in sorted((pg_out / "tables").glob("*.csv"))}
    assert len(lite) >= 15 and {"full_table.csv", "final_table.csv", "network_edges.csv", "edge_evidence.csv",
                                "network_nodes.csv", "data_profile.csv"} <= set(lite)
    assert sorted(pg) == sorted(lite)
    assert len(lite["full_table.csv"].splitlines()) > 10 and len(lite["edge_evidence.csv"].splitlines()) > 10
    differ = [name for name in lite if pg[name] != lite[name]]
    assert not differ, f"tables that differ between PostgreSQL and SQLite: {differ}"


def test_the_password_reaches_no_output(pg_url, runs):
    _, pg_out, console = runs
    password = pg_url.password
    assert password and len(password) >= 6
    files = [p for p in pg_out.rglob("*") if p.is_file()]
    names = {str(p.relative_to(pg_out)) for p in files}
    assert {"manifest.json", "logs/run.log"} <= names and any(n.startswith("notebooks/") for n in names)
    assert any(n.startswith("tables/") for n in names)
    leaks = [str(p.relative_to(pg_out)) for p in files if password.encode() in p.read_bytes()]
    assert not leaks, f"the database password appears in {leaks}"
    assert password not in console
    manifest = (pg_out / "manifest.json").read_text()
    assert "***" in manifest and pg_url.host in manifest  # the URL is recorded, masked
