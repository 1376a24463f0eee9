"""Nothing derived depends on the order the source returns rows in (issue 9, item 4).

The small synthetic force is copied with every table's rows written in reverse order, and
again in a seeded random order (SQLite returns a table scan in insertion order, so this is
the order the extraction reads them in). Each copy must give tables byte-identical to the
original's: every CSV in OUT/tables.
"""
from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from helpers.config import SMALL_DB, load_params
from helpers.runner import run

pytestmark = pytest.mark.slow


def reordered_copy(src: Path, dst: Path, how: str, seed: int = 20210315) -> dict[str, int]:
    """`src` copied to `dst` with the same schema and rows, each table's rows in another order.

    Returns the number of rows per table; the copy is checked to really start in another order.
    """
    rng = random.Random(seed)
    counts: dict[str, int] = {}
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        ddl = a.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
                        "ORDER BY type = 'index', name").fetchall()
        for kind, _, sql in ddl:
            if kind == "table":
                b.execute(sql)
        for kind, name, _ in ddl:
            if kind != "table":
                continue
            rows = a.execute(f'SELECT * FROM "{name}" ORDER BY rowid').fetchall()
            new = rows[::-1] if how == "reversed" else rng.sample(rows, len(rows))
            if len(rows) > 2:
                assert new != rows, f"{name}: the copy is in the same order as the source"
            marks = ", ".join("?" * len(rows[0])) if rows else ""
            if rows:
                b.executemany(f'INSERT INTO "{name}" VALUES ({marks})', new)
            counts[name] = len(rows)
        for kind, _, sql in ddl:
            if kind == "index":
                b.execute(sql)
        b.commit()
    return counts


def tables_bytes(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "tables").glob("*.csv"))}


def run_tables(db: Path, out: Path) -> dict[str, bytes]:
    params = load_params(overrides={"db_url": f"sqlite:///{db}", "out_dir": str(out)})
    run(params, render=False, say=lambda m: None)
    return tables_bytes(out)


@pytest.fixture(scope="module")
def original_tables(tmp_path_factory) -> dict[str, bytes]:
    if not SMALL_DB.exists():
        pytest.fail(f"{SMALL_DB} is missing: `make test` generates it first (cse-network synth --profile small)")
    return run_tables(SMALL_DB, tmp_path_factory.mktemp("order") / "original")


@pytest.mark.parametrize("how", ["reversed", "shuffled"])
def test_rows_in_another_order_give_byte_identical_tables(original_tables, tmp_path, how):
    db = tmp_path / f"{how}.sqlite"
    counts = reordered_copy(SMALL_DB, db, how)
    with sqlite3.connect(db) as con:  # the copy really is read back in its new order
        first = con.execute("SELECT * FROM crimes LIMIT 1").fetchone()
    with sqlite3.connect(SMALL_DB) as con:
        assert first != con.execute("SELECT * FROM crimes LIMIT 1").fetchone()
        assert counts == {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in counts}
    got = run_tables(db, tmp_path / "out")
    assert len(original_tables) >= 15 and {"full_table.csv", "final_table.csv", "edge_evidence.csv",
                                            "network_nodes.csv", "network_groups.csv"} <= set(original_tables)
    assert sorted(got) == sorted(original_tables)
    differ = [name for name in original_tables if got[name] != original_tables[name]]
    assert not differ, f"tables that depend on the source's row order ({how}): {differ}"
