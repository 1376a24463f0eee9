"""Read the force's source tables through one SQLAlchemy URL, check them, profile them.

Bad input stops here with a message naming the table, the column and an
example value, so an analyst can fix the extract rather than read a stack
trace. Rows that are legitimately unusable (a nominal with no person id, a
placeholder id such as ``UNKNOWN``, an orphan row whose crime or log is not in
its parent table, an exact duplicate row) are dropped by counted rules instead.

Normalisation (ADR 0007, data/README.md): every id and text column goes
through one function, `as_text`, whatever type the driver returns (an INTEGER
column with NULLs gives ``'1979'``, never ``'1979.0'``); dates are parsed
strictly from ISO text or the warehouse's DATE / TIMESTAMP values; sentinel
dates are counted (and read as unknown where the column may be empty); sex
and ethnicity go through the reference maps in ``data/reference/``. Every
table is then put in a canonical row order, so nothing downstream depends on
the order the database returned rows in.
"""
from __future__ import annotations

import datetime as dt
import decimal
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
import yaml

from . import progress
from .config import PARAMS_FILE, REFERENCE_DIR, mask_url, resolve_db_url, resolve_path
from .config import connect_url as config_connect_url
from .frames import isin, repeats, sort_order
from .store import ExclusionLedger, file_hash, frame_hash

# CONTRACT §1. kind: key (id, never null), id (id, may be null), text, date, date_null, real.
# A child row's parent id (crime_nominals.crime_id...) may be null: the row is then an orphan (counted).
SCHEMA: dict[str, dict[str, str]] = {
    "crimes": {
        "crime_id": "key", "committed_from": "date", "committed_to": "date_null",
        "recorded_date": "date", "ho_offence_code": "text", "offence_title": "text",
        "offence_type": "text", "mo_text": "text",
    },
    "crime_if_codes": {"crime_id": "id", "if_code": "text"},
    "crime_nominals": {
        "crime_id": "id", "person_id": "id", "role": "text", "dob": "date_null",
        "sex": "text", "ethnicity": "text",
    },
    "intel_logs": {
        "log_id": "key", "log_date": "date", "grading_system": "text",
        "source_grade": "text", "information_grade": "text",
    },
    "intel_log_nominals": {"log_id": "id", "person_id": "id"},
    "pins_cell_stays": {
        "stay_id": "key", "person_id": "key", "establishment": "text", "cell_id": "text",
        "stay_start": "date", "stay_end": "date_null",
    },
    "soc_network_edges": {"person_a": "key", "person_b": "key", "weight": "real", "link_type": "text"},
    "soc_nominals": {"person_id": "key", "soc_group_id": "id"},
}
ID_KINDS = ("key", "id")
GROUP_IDS = ("soc_group_id",)  # ids of groups, not of people or records

ROLES = {
    "VICTIM": "victim",
    "OFFENDER": "offender", "DEFENDANT": "offender", "SUSPECT": "offender",
    "PERSON THOUGHT RESPONSIBLE": "offender", "PERSON PROBABLY RESPONSIBLE": "offender",
    "WITNESS": "other", "REPORTING PERSON": "other",
}
GRADING_SYSTEMS = {"5x5x5", "3x5x2"}
UNIQUE_KEYS = {"crimes": "crime_id", "intel_logs": "log_id", "pins_cell_stays": "stay_id"}
# Child rows whose parent record must exist: (table, column, parent table, parent key).
PARENTS = [("crime_nominals", "crime_id", "crimes", "crime_id"),
           ("crime_if_codes", "crime_id", "crimes", "crime_id"),
           ("intel_log_nominals", "log_id", "intel_logs", "log_id")]
# Coded columns mapped through reference tables: column -> (file, value downstream sees, unknown value).
CODE_MAPS = {"sex": ("sex_codes.csv", "code", "U"), "ethnicity": ("ethnicity_codes.csv", "label", "IC9 - Unknown")}
_DATE_TEXT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$")


class SourceDataError(ValueError):
    """The source database breaks the contract; the message says where and how to fix it."""


def _fail(table: str, column: str | None, problem: str, example: object, fix: str) -> SourceDataError:
    where = f"table '{table}'" + (f", column '{column}'" if column else "")
    ex = "" if example is None else f" Example value: {example!r}."
    return SourceDataError(f"Source data problem in {where}: {problem}.{ex} {fix}")


def first_example(values: pd.Series) -> object:
    """The example value a message shows: the smallest by its text, so the message does not depend on
    the order the database returned rows in (values may be of mixed types, hence by text)."""
    if values.empty:
        return None
    order = np.argsort(values.astype(str).to_numpy(), kind="stable")
    return values.iloc[int(order[0])]


@dataclass
class Extract:
    tables: dict[str, pd.DataFrame]
    exclusions: pd.DataFrame
    profile: pd.DataFrame
    inputs: dict[str, dict]
    findings: pd.DataFrame = field(default_factory=pd.DataFrame)   # sentinel dates, unrecognised codes
    codes: pd.DataFrame = field(default_factory=pd.DataFrame)      # every recorded code and what it became


@dataclass(frozen=True)
class SourceRules:
    """What counts as a placeholder id, a sentinel date and a known code (config + reference data)."""

    placeholder_ids: frozenset[str]
    sentinel_dates: tuple[dt.date, ...]
    code_maps: dict[str, pd.DataFrame]


def code_key(s: pd.Series) -> pd.Series:
    """How recorded codes are compared: lower case, runs of blanks and punctuation as one space."""
    return s.astype("string").str.lower().str.replace(r"[^a-z0-9]+", " ", regex=True).str.strip()


def load_code_map(column: str) -> pd.DataFrame:
    """data/reference/<column>_codes.csv as key -> mapped value; conflicting spellings stop the run."""
    file, target, _ = CODE_MAPS[column]
    path = REFERENCE_DIR / file
    ref = pd.read_csv(path, dtype=str, keep_default_na=False)
    need = {"recorded_value", "code", "label", "source"}
    if not need <= set(ref.columns):
        raise SourceDataError(f"{path} needs columns {', '.join(sorted(need))}; found {', '.join(ref.columns)}.")
    ref = ref.assign(key=code_key(ref["recorded_value"]), mapped=ref[target])
    clash = ref.groupby("key")["mapped"].nunique()
    if (clash > 1).any():
        raise SourceDataError(f"{path}: recorded value {clash[clash > 1].index[0]!r} is mapped to two different "
                              "codes. Keep one row per spelling.")
    return ref.drop_duplicates("key")[["key", "mapped"]].reset_index(drop=True)


def _params_default(key: str) -> list:
    return list(yaml.safe_load(PARAMS_FILE.read_text())[key])


def load_rules(placeholder_ids: list[str] | None = None, sentinel_dates: list[str] | None = None) -> SourceRules:
    """The normalisation rules; lists left out come from config/params.yml."""
    ph = _params_default("placeholder_ids") if placeholder_ids is None else placeholder_ids
    sd = _params_default("sentinel_dates") if sentinel_dates is None else sentinel_dates
    return SourceRules(
        placeholder_ids=frozenset(str(p).strip().upper() for p in ph),
        sentinel_dates=tuple(sorted(d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)) for d in sd)),
        code_maps={c: load_code_map(c) for c in CODE_MAPS},
    )


# --- reading -----------------------------------------------------------------

def _source_url(db_url: str) -> str:
    """A relative SQLite path made absolute; SQLite URI form (`sqlite:///file:...?uri=true`) left alone."""
    if db_url.startswith("sqlite:///file:"):
        return db_url
    return resolve_db_url(db_url)


def sqlite_file(db_url: str) -> Path | None:
    """The file behind a SQLite URL (plain or URI form), or None for in-memory and other databases."""
    try:
        url = sa.engine.make_url(_source_url(db_url))
    except sa.exc.ArgumentError:
        return None
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    db = url.database
    if db.startswith("file:"):
        db = db[len("file:"):].split("?", 1)[0]
        if db.startswith("//"):
            db = db[2:]
        if not db or db == ":memory:" or "mode=memory" in url.database:
            return None
    return resolve_path(db)


def _check_sqlite_file(path: Path) -> None:
    """Refuse, with what to do, anything that is not an existing SQLite file (never create one)."""
    if not path.exists():
        raise SourceDataError(
            f"The source database {path} does not exist. Generate it with "
            f"`cse-network synth --out {path}` or point --db-url at the force's database.")
    if path.is_dir():
        raise SourceDataError(f"The source database {path} is a directory, not a SQLite file. "
                              "Point --db-url at the .sqlite file itself (sqlite:///path/to/file.sqlite).")
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise SourceDataError(f"The source database {path} cannot be read ({exc.strerror}). "
                              "Check the file's permissions.") from None
    if head != b"SQLite format 3\x00":
        what = "is empty" if not head else "is not a SQLite database (it does not start with 'SQLite format 3')"
        raise SourceDataError(f"The source database {path} {what}. Check the path, or export the source to "
                              "SQLite again; another database needs its own URL (see docs/warehouses.md).")


_DRIVERS = {  # SQLAlchemy driver name -> what to install
    "psycopg2": "the URL asks for psycopg2, which is not installed; psycopg 3 is: use postgresql+psycopg://...",
    "psycopg": "pip install 'psycopg[binary]'",
    "pyodbc": "pip install pyodbc, and install an ODBC driver for the server "
              "(e.g. Microsoft ODBC Driver 18 for SQL Server) named in the URL's ?driver=...",
    "pymssql": "pip install pymssql",
    "oracledb": "pip install oracledb",
    "cx_oracle": "the URL asks for cx_Oracle; use oracle+oracledb://... and pip install oracledb",
    "pymysql": "pip install pymysql", "mysqldb": "pip install mysqlclient",
}


def _driver_problem(url: str, exc: Exception) -> SourceDataError:
    try:
        u = sa.engine.make_url(url)
        name, driver = u.get_backend_name(), u.get_driver_name()
    except Exception:  # noqa: BLE001
        name, driver = "?", "?"
    fix = _DRIVERS.get(driver.lower(), f"install the Python DB-API driver '{driver}' for {name}")
    return SourceDataError(f"Cannot connect to {mask_url(url)}: the database driver is missing ({exc}). "
                           f"To fix: {fix}. See docs/warehouses.md for tested URLs.")


def _engine(url: str) -> sa.Engine:
    """The one place an engine is made; a plain postgresql:// URL uses psycopg 3 when psycopg2 is absent."""
    connect_url = config_connect_url(url)
    u = sa.engine.make_url(connect_url)
    if u.drivername == "postgresql":
        import importlib.util
        if importlib.util.find_spec("psycopg2") is None and importlib.util.find_spec("psycopg") is not None:
            connect_url = u.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    try:
        return sa.create_engine(connect_url)
    except (ImportError, sa.exc.NoSuchModuleError) as exc:
        raise _driver_problem(connect_url, exc) from None
    except sa.exc.ArgumentError as exc:
        raise SourceDataError(f"--db-url {mask_url(url)} is not a database URL SQLAlchemy understands ({exc}). "
                              "Use e.g. sqlite:///path/to/file.sqlite or postgresql+psycopg://user@host/db; "
                              "see docs/warehouses.md.") from None


def _read_problem(url: str, path: Path | None, table: str | None, exc: BaseException) -> SourceDataError:
    """A driver error as a message naming the file (or server), the table and the column."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).splitlines()[0] if str(orig) else type(orig).__name__
    where = f"The source database {path if path is not None else mask_url(url)}"
    if table:
        where += f", table '{table}'"
    decode = re.search(r"[Cc]ould not decode to UTF-8 column '([^']*)' with text '(.*)'", text)
    if decode or isinstance(orig, UnicodeDecodeError):
        col = f", column '{decode.group(1)}'" if decode else ""
        ex = f" Example value: {decode.group(2)!r}." if decode else ""
        return SourceDataError(f"{where}{col}: text that is not valid UTF-8.{ex} Re-export the table as UTF-8 "
                               "(e.g. convert from Windows-1252 at source) and run again.")
    if path is not None and re.search(r"malformed|not a database|disk image|file is encrypted", text):
        return SourceDataError(f"{where} could not be read: {text}. The file looks damaged or truncated; copy "
                               "or export it again from the source and check its size.")
    if re.search(r"password|authentication|could not connect|connection refused|timeout", text, re.I):
        return SourceDataError(f"Cannot connect to {mask_url(url)}: {text}. Check the server, user and password "
                               "(PGPASSWORD or ~/.pgpass for PostgreSQL; see docs/warehouses.md).")
    return SourceDataError(f"{where} could not be read: {text}. Check the URL, the permissions, and that "
                           "the database follows data/README.md.")


def _column(rows: list, i: int) -> pd.Series:
    """Column `i` of a chunk of driver rows: compact text when every value is text or None, else the
    values exactly as the driver gave them (dtype object), turned into text only if pandas finds them so.

    Arrow reads the objects once and says whether they are all text or None; anything else (numbers,
    bytes, NaN, a mix) is left to pandas' own test, as before. (Building a frame of the rows first
    and testing it with pandas read every value three times, in Python loops.)
    """
    values = list(map(itemgetter(i), rows))
    try:
        arr = pa.array(values, from_pandas=False)  # only None is missing (NaN, NaT: pandas decides)
    except (pa.ArrowException, TypeError, ValueError, OverflowError, UnicodeError):
        arr = None
    if arr is not None and (pa.types.is_string(arr.type) or pa.types.is_null(arr.type)):
        return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([arr.cast(pa.large_string())])))
    obj = pd.Series(np.fromiter(values, dtype=object, count=len(values)), dtype=object)
    return obj.astype("string") if pd.api.types.infer_dtype(obj, skipna=True) in ("string", "empty") else obj


def _fetch(cursor, columns: list[str], chunk: int = 250_000) -> pd.DataFrame:
    """Rows from a raw DB-API cursor in chunks, each turned into compact columns at once.

    The raw cursor is about twice as fast as SQLAlchemy rows, and converting
    chunk by chunk keeps millions of Python strings from living at the same time
    (peak memory at ten times force scale). Values are kept as the driver gave
    them (dtype object: no float upcast of integers with NULLs); text columns
    become compact strings; validation types the rest and can name a bad value.
    """
    parts = []
    all_text = pa.struct([(f"c{i}", pa.large_string()) for i in range(len(columns))])
    while rows := cursor.fetchmany(chunk):
        texts = None
        if set(map(type, chain.from_iterable(rows))) <= {str, type(None)}:  # the usual chunk: text and NULLs
            try:  # Arrow reads the rows in one pass
                texts = pa.array(rows, type=all_text).flatten()
            except (pa.ArrowException, TypeError, ValueError, OverflowError, UnicodeError):
                texts = None
        if texts is not None:
            parts.append(pd.DataFrame({c: pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([t])))
                                       for c, t in zip(columns, texts, strict=True)}))
        else:
            parts.append(pd.DataFrame({c: _column(rows, i) for i, c in enumerate(columns)}))
        del rows
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]


ORIGIN_TABLE = "cse_network_synthetic"  # the generator's signature table (synth/writer.py); no force has it


def source_origin(origin: pd.DataFrame | None) -> dict:
    """What the source is: the project's synthetic force (with its profile and seed) or a force's own data.

    The data are synthetic only when the source carries the generator's signature table with
    ``generator = cse-network synth``; anything else is treated as a force's real records.
    """
    if origin is None or not len(origin):
        return {"synthetic": False}
    kv = {str(k): str(v) for k, v in zip(origin["key"], origin["value"], strict=False)}
    if kv.get("generator") != "cse-network synth":
        return {"synthetic": False}
    return {"synthetic": True} | {k: v for k, v in sorted(kv.items()) if k != "generator"}


def iter_source(db_url: str) -> Iterator[tuple[str, pd.DataFrame]]:
    """Every contract table (contract columns only), one at a time in contract order, values as the
    driver returns them; then the generator's signature table when present.

    Every table and column is checked to exist before any row is read, so a missing one is named
    first. One table at a time keeps only one raw table in memory beside the typed ones
    (extraction's peak at ten times force scale).
    """
    url = _source_url(db_url)
    path = sqlite_file(url)
    if path is not None:
        _check_sqlite_file(path)
    engine = _engine(url)
    dbapi_error = getattr(engine.dialect, "loaded_dbapi", None)
    errors: tuple[type[BaseException], ...] = (sa.exc.DBAPIError, UnicodeDecodeError)
    if dbapi_error is not None:
        errors += (dbapi_error.Error,)
    table: str | None = None
    try:
        insp = sa.inspect(engine)
        names = insp.get_table_names() + insp.get_view_names()
        present = {t.lower(): t for t in sorted(names)}
        q = engine.dialect.identifier_preparer.quote
        selects: dict[str, str] = {}
        for table, cols in SCHEMA.items():
            if table not in present:
                raise _fail(table, None, "the table is missing", None,
                            f"The contract needs tables {', '.join(SCHEMA)}; found {sorted(present) or 'none'}.")
            real = {c["name"].lower(): c["name"] for c in insp.get_columns(present[table])}
            missing = [c for c in cols if c not in real]
            if missing:
                raise _fail(table, missing[0], "the column is missing", None,
                            f"Columns found: {', '.join(sorted(real))}. Rename or add the column.")
            selects[table] = ", ".join(f"{q(real[c])} AS {q(c)}" for c in cols)
        for table, cols in SCHEMA.items():
            with engine.connect() as conn:
                res = conn.exec_driver_sql(f"SELECT {selects[table]} FROM {q(present[table])}")
                held = [_fetch(res.cursor, list(cols))]
            progress.say(f"extraction: read {table} ({len(held[0]):,} rows)")
            yield table, held.pop()  # handed over: this generator keeps no reference while it is checked
        table = None
        if ORIGIN_TABLE in present:  # written only by `cse-network synth`: the data are synthetic
            with engine.connect() as conn:
                res = conn.exec_driver_sql(f"SELECT key, value FROM {q(present[ORIGIN_TABLE])}")
                origin = pd.DataFrame(res.fetchall(), columns=["key", "value"], dtype=object)
            yield ORIGIN_TABLE, origin
    except SourceDataError:
        raise
    except errors as exc:
        raise _read_problem(url, path, table, exc) from None
    finally:
        engine.dispose()


def read_source(db_url: str) -> dict[str, pd.DataFrame]:
    """Every contract table at once (`iter_source` collected; for tests and diagnosis)."""
    return dict(iter_source(db_url))


# --- typing ------------------------------------------------------------------

def _one_text(v: object) -> object:
    """One non-text value as id text: integers (also 1979.0 and Decimal('1979')) without a decimal point."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return None
    if isinstance(v, (bool, np.bool_)):
        return str(v)
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating, decimal.Decimal)):
        if (isinstance(v, decimal.Decimal) and v.is_finite() and v == v.to_integral_value()) or \
                (not isinstance(v, decimal.Decimal) and np.isfinite(v) and float(v).is_integer()):
            return str(int(v))
        return str(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).decode("utf-8", errors="backslashreplace")
    return str(v)


def as_text(s: pd.Series) -> pd.Series:
    """Every id and text column, whatever type the driver gave: text, blanks stripped, empty = missing.

    Integers stay integers (``1979``, never ``1979.0``), so an id written as an
    INTEGER column with NULLs in one table and as TEXT in another still joins.
    Non-text values are converted once per distinct value (factorize), not per row.
    """
    infer = pd.api.types.infer_dtype(s, skipna=True)
    if infer in ("string", "empty"):
        t = s.astype("string")
    elif infer == "integer":
        try:
            t = s.astype("Int64").astype("string")
        except (OverflowError, TypeError, ValueError):
            t = None
    else:
        t = None
    if t is None:
        codes, uniq = pd.factorize(s, use_na_sentinel=True)
        conv = np.array([_one_text(v) for v in uniq] + [None], dtype=object)
        t = pd.Series(conv[codes], index=s.index, dtype="string")  # code -1 picks the trailing None
    t = t.str.strip()
    return t.mask(t == "")


def _one_date(v: object) -> dt.date | str:
    """A date from ISO text (optionally with a time) or a DATE / TIMESTAMP value; else 'format' / 'calendar'."""
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, np.datetime64):
        return pd.Timestamp(v).date()
    if not isinstance(v, str):
        return "format"
    m = _DATE_TEXT.match(v.strip())
    if not m:
        return "format"
    y, mo, d, hh, mi, ss = m.groups()
    try:
        if hh is not None:
            dt.time(int(hh), int(mi), int(ss or 0))
        return dt.date(int(y), int(mo), int(d))
    except ValueError:
        return "calendar"


def _to_date(s: pd.Series, table: str, column: str, nullable: bool) -> pd.Series:
    """Strict dates as datetime64[s] (time of day dropped); bad ones stop the run with an example."""
    if pd.api.types.is_datetime64_any_dtype(s):
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_localize(None)
        parsed = s.dt.floor("D").astype("datetime64[s]")
    else:
        blank = s.isna() | (s.astype("string").str.strip() == "").fillna(True)
        codes, uniq = pd.factorize(s.mask(blank), use_na_sentinel=True)
        conv = [_one_date(v) for v in uniq]
        for problem, what, fix in (
                ("format", "are not dates (ISO YYYY-MM-DD text, optionally with a time, or a DATE / TIMESTAMP "
                           "column)", "Convert the dates to ISO text or a DATE column before extraction."),
                ("calendar", "do not exist in the calendar", "Correct the dates at source.")):
            bad = np.array([c == problem for c in conv] + [False])[codes]
            if bad.any():
                raise _fail(table, column, f"{int(bad.sum())} date(s) {what}", first_example(s[bad]), fix)
        days = np.array([np.datetime64(c, "D") for c in conv] + [np.datetime64("NaT", "D")], dtype="datetime64[D]")
        parsed = pd.Series(days[codes].astype("datetime64[s]"), index=s.index)
    if not nullable and parsed.isna().any():
        raise _fail(table, column, f"{int(parsed.isna().sum())} row(s) have no date", None,
                    "Every row needs this date; fix or remove those rows at source.")
    return parsed


def _map_codes(s: pd.Series, table: str, column: str, ref: pd.DataFrame, unknown: str,
               findings: list[dict]) -> tuple[pd.Series, pd.DataFrame]:
    """Recorded codes -> reference codes; unrecognised values become unknown and are counted.

    A column holds a handful of distinct spellings: each is keyed and looked up once, then every
    row takes its spelling's answer (the key is a function of the value, so per row it is the same).
    """
    s = s.astype("string")
    rows, spellings = pd.factorize(s, use_na_sentinel=True)
    recorded = pd.Series(spellings, dtype="string")
    keys = code_key(recorded)
    lookup = dict(zip(ref["key"], ref["mapped"], strict=False))
    order = np.argsort(recorded.to_numpy(dtype=object), kind="stable")  # by recorded value, as a group-by is
    counts = pd.DataFrame({"recorded_value": recorded.take(order).reset_index(drop=True),
                           "key": keys.take(order).reset_index(drop=True),
                           "rows": np.bincount(rows[rows >= 0], minlength=len(recorded))[order].astype("int64")})
    counts["mapped_to"] = counts["key"].map(lookup)
    counts["recognised"] = counts["mapped_to"].notna()
    counts["mapped_to"] = counts["mapped_to"].fillna(unknown)
    per_spelling = [lookup.get(k, unknown) for k in keys] + [None]  # row code -1 (missing) picks the None
    mapped = pd.Series(pd.array(per_spelling, dtype="string").take(np.where(rows < 0, len(keys), rows)),
                       index=s.index)
    unrec = counts[~counts["recognised"]]
    if len(unrec):
        findings.append(dict(table=table, column=column, finding="unrecognised code (read as unknown)",
                             value=str(unrec.sort_values(["rows", "recorded_value"], ascending=[False, True])
                                       ["recorded_value"].iloc[0]) + " (most frequent)",
                             rows=int(unrec["rows"].sum()), action=f"counted as {unknown}"))
    codes = counts.drop(columns="key").assign(table=table, column=column)
    return mapped, codes[["table", "column", "recorded_value", "rows", "mapped_to", "recognised"]]


def _sentinels(df: pd.DataFrame, table: str, col: str, nullable: bool, rules: SourceRules,
               findings: list[dict]) -> pd.Series:
    s = df[col]
    sentinel = np.array(rules.sentinel_dates, dtype="datetime64[s]")
    hit = s.isin(sentinel)
    if hit.any():
        for value, n in s[hit].value_counts().sort_index().items():
            findings.append(dict(table=table, column=col, finding="sentinel date", value=str(value.date()),
                                 rows=int(n), action="read as unknown" if nullable else "kept (check at source)"))
        if nullable:
            return s.mask(hit)
    return s


def _is_placeholder(s: pd.Series, rules: SourceRules) -> pd.Series:
    return s.str.upper().isin(list(rules.placeholder_ids)).fillna(False).astype(bool)


def _rebuilt(df: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """The frame of `df`'s rows at positions (or boolean mask) `rows`, built one column at a time; each
    column is taken out of `df` as it is copied, so `df` (left empty) and its copy are never both whole:
    the extraction's peak memory at national scale is one table and one column, not two tables."""
    out: dict[str, pd.Series] = {}
    for col in list(df.columns):
        values = df.pop(col)
        out[col] = (values[rows] if rows.dtype == bool else values.take(rows)).reset_index(drop=True)
    return pd.DataFrame(out, copy=False)


def canonical_order(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """Rows in one order whatever order the database returned them: by key, else by every column.

    `df` is consumed (see `_rebuilt`); a frame already in order is returned as it is."""
    by = [UNIQUE_KEYS[table]] if table in UNIQUE_KEYS else list(df.columns)
    order = sort_order(df, by)
    if np.array_equal(order, np.arange(len(df))):
        return df.reset_index(drop=True)
    return _rebuilt(df, order)


Validated = tuple[dict[str, pd.DataFrame], pd.DataFrame, pd.DataFrame, pd.DataFrame]


def validate(raw: dict[str, pd.DataFrame], rules: SourceRules | None = None) -> Validated:
    """Type every column, enforce the contract's codes and keys, count dropped rows.

    Returns the tables (canonical row order), the exclusions ledger, the
    data-quality findings (sentinel dates, unrecognised codes) and the code map
    actually applied (every recorded sex and ethnicity value and what it became).
    `raw` is left as it was.
    """
    return validate_stream(((t, raw[t].copy()) for t in SCHEMA), rules)


def validate_stream(items: Iterable[tuple[str, pd.DataFrame]], rules: SourceRules | None = None,
                    on_raw: Callable[[str, pd.DataFrame], None] | None = None,
                    on_table: Callable[[str, pd.DataFrame, pd.DataFrame], pd.DataFrame | None] | None = None,
                    ) -> Validated:
    """`validate` on tables arriving one at a time in contract order (each frame is consumed).

    `on_raw(table, frame)` sees every table as read, before it is typed (row counts and hashes for
    the manifest, and the generator's signature table); only contract tables are validated.

    Each table is finished (typed, its own rules and those that need an earlier table, such as
    orphans, applied, put in canonical order) before the next is read. `on_table(table, frame,
    findings so far)` then sees it; what it returns is kept in the result (None: nothing is kept,
    so a caller that writes each table out holds one table at a time). Only the parents' keys are
    kept for the orphan rules. The ledger lists rules in the same order whichever way it is run.
    """
    rules = rules or load_rules()
    ledger = ExclusionLedger("extraction")
    phases: list[int] = []  # the ledger's order: each table's own rules, then orphans, then unidentified people
    findings: list[dict] = []
    code_tables: list[pd.DataFrame] = []
    parent_keys: dict[str, pd.Series] = {}
    out: dict[str, pd.DataFrame] = {}
    seen: list[str] = []

    def drop(phase: int, rule: str, df: pd.DataFrame, mask: pd.Series) -> pd.DataFrame:
        """The rows `mask` does not mark, counted in the ledger; `df` is consumed (see `_rebuilt`)."""
        phases.append(phase)
        hit = mask.fillna(False).to_numpy(dtype=bool)
        dropped = int(hit.sum())
        ledger.record(rule, len(df), dropped, len(df) - dropped)
        return _rebuilt(df, ~hit) if dropped else df.reset_index(drop=True)

    for table, raw in items:
        if on_raw is not None:
            on_raw(table, raw)
        if table not in SCHEMA:
            continue
        seen.append(table)
        held = [raw]
        del raw  # _checked owns the frame: each drop frees the frame before it (peak memory at scale)
        df = _finish(table, _checked(table, held.pop(), rules, findings, drop), rules, findings, code_tables,
                     parent_keys, drop)
        df = canonical_order(df, table)
        if table in {parent for _, _, parent, _ in PARENTS}:
            parent_keys[table] = df[UNIQUE_KEYS[table]]
        kept = df if on_table is None else on_table(table, df, _findings_frame(findings))
        if kept is not None:
            out[table] = kept
        del df
        progress.say(f"extraction: checked and typed {table}")
    missing = [t for t in SCHEMA if t not in seen]
    if missing:
        raise ValueError(f"validate_stream: no table {missing[0]!r} in the stream")
    ledger.rows = [row for _, row in sorted(zip(phases, ledger.rows, strict=True), key=itemgetter(0))]
    return (out, ledger.frame(), _findings_frame(findings),
            pd.concat(code_tables, ignore_index=True).sort_values(["table", "column", "recorded_value"],
                                                                   kind="mergesort").reset_index(drop=True))


FINDING_COLUMNS = ["table", "column", "finding", "value", "rows", "action"]
Drop = Callable[[int, str, pd.DataFrame, pd.Series], pd.DataFrame]


def _findings_frame(findings: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(findings, columns=FINDING_COLUMNS)


def _checked(table: str, df: pd.DataFrame, rules: SourceRules, findings: list[dict], drop: Drop) -> pd.DataFrame:
    """One table typed, with its placeholder ids and exact duplicates dropped and its keys checked."""
    cols = SCHEMA[table]
    for col, kind in cols.items():
        if kind in ("date", "date_null"):
            df[col] = _to_date(df[col], table, col, nullable=kind == "date_null")
            df[col] = _sentinels(df, table, col, kind == "date_null", rules, findings)
        elif kind == "real":
            num = pd.to_numeric(df[col], errors="coerce").astype("float64")
            bad = ~(np.isfinite(num) & (num > 0))
            if bad.any():
                raise _fail(table, col, f"{int(bad.sum())} weight(s) are not finite numbers greater than 0",
                            first_example(df.loc[bad, col]), "Fix or remove those SOC edges at source.")
            df[col] = num
        else:
            df[col] = as_text(df[col])
            if kind == "key" and df[col].isna().any():
                raise _fail(table, col, f"{int(df[col].isna().sum())} row(s) have no value in a key column",
                            None, "Every row needs this key; fix the extract.")
    ids = [c for c, k in cols.items() if k in ID_KINDS and c not in GROUP_IDS]
    placeholder = pd.Series(False, index=df.index)
    for c in ids:
        placeholder |= _is_placeholder(df[c], rules)
    for c in (c for c in cols if c in GROUP_IDS):  # a placeholder group is no group, not one big group
        hit = _is_placeholder(df[c], rules)
        if hit.any():
            findings.append(dict(table=table, column=c, finding="placeholder id", value=str(df.loc[hit, c].min()),
                                 rows=int(hit.sum()), action="read as no group"))
            df[c] = df[c].mask(hit)
    df = drop(0, f"{table}: placeholder id in {' or '.join(ids)} (e.g. UNKNOWN)", df, placeholder)
    key = UNIQUE_KEYS.get(table)
    if key:  # rows equal in every column share their key: when every key is distinct, none are
        shared = df[key].duplicated(keep=False)
        exact = df.duplicated(keep="first") if shared.any() else pd.Series(False, index=df.index)
    else:  # in canonical order (by every column) equal rows are neighbours; the order is kept
        df = canonical_order(df, table)
        exact = repeats(df)
    df = drop(0, f"{table}: exact duplicate rows", df, exact)
    if key:
        dup = df[key].duplicated(keep=False) if exact.any() else shared
        if dup.any():
            raise _fail(table, key, f"{int(dup.sum())} rows share a key but differ in other columns",
                        df.loc[dup, key].sort_values().iloc[0], "Keys must be unique; de-duplicate at source.")
    return df


def _finish(table: str, df: pd.DataFrame, rules: SourceRules, findings: list[dict], code_tables: list[pd.DataFrame],
            parent_keys: dict[str, pd.Series], drop: Drop) -> pd.DataFrame:
    """The rules that need an earlier table (orphans) or check values across a table's rows."""
    for phase, (child, col, parent, _) in enumerate(PARENTS, start=1):
        if child == table:
            if parent not in parent_keys:
                raise ValueError(f"validate_stream: {parent!r} must come before {child!r}")
            df = drop(phase, f"{child}: {col} missing or not in {parent} (orphan row)", df,
                      ~isin(df[col], parent_keys[parent]))
    if table == "crime_nominals":
        roles = pd.Series(df["role"].dropna().unique())  # normalise each distinct spelling once
        canonical = roles.str.upper().str.replace(r"\s+", " ", regex=True)
        df["role"] = df["role"].map(dict(zip(roles, canonical, strict=True)))
        unknown = df["role"].notna() & ~df["role"].isin(list(ROLES))
        if unknown.any() or df["role"].isna().any():
            example = df.loc[unknown, "role"].sort_values().iloc[0] if unknown.any() else None
            raise _fail("crime_nominals", "role", "unknown or missing role", example,
                        f"Known roles: {', '.join(ROLES)}. Map the force's role codes to these.")
        for col, (_, _, unknown_value) in CODE_MAPS.items():
            df[col], applied = _map_codes(df[col], "crime_nominals", col, rules.code_maps[col], unknown_value,
                                          findings)
            code_tables.append(applied)
        df = drop(len(PARENTS) + 1, "crime_nominals: person not identified (no person_id)", df, df["person_id"].isna())
    elif table == "intel_log_nominals":
        df = drop(len(PARENTS) + 2, "intel_log_nominals: person not identified (no person_id)", df,
                  df["person_id"].isna())
    elif table == "intel_logs":
        bad_sys = ~df["grading_system"].isin(GRADING_SYSTEMS)
        if bad_sys.any():
            raise _fail("intel_logs", "grading_system", "grading system must be 5x5x5 or 3x5x2",
                        first_example(df.loc[bad_sys, "grading_system"]),
                        "Map the force's grading systems to these two.")
        for col in ("source_grade", "information_grade"):
            df[col] = df[col].str.upper()
    elif table == "pins_cell_stays":
        back = df["stay_end"].notna() & (df["stay_end"] < df["stay_start"])
        if back.any():
            raise _fail("pins_cell_stays", "stay_end", "a stay ends before it starts",
                        df.loc[back, "stay_id"].sort_values().iloc[0], "Correct the stay dates at source.")
    elif table == "crimes":
        if df.empty:
            raise _fail("crimes", None, "the table is empty", None,
                        "Check db_url points at the force's crime extract.")
        df["offence_type"] = df["offence_type"].str.upper()
    return df


def profile(tables: dict[str, pd.DataFrame], findings: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows, missing values, date range and findings per column: the data-quality appendix.

    `sentinel_dates` counts source values that were a sentinel date (already read as unknown where
    the column may be empty, so they are also in `missing`); `unrecognised_codes` counts sex and
    ethnicity values the reference maps do not know (read as unknown).
    """
    f = findings if findings is not None and len(findings) else pd.DataFrame(
        columns=["table", "column", "finding", "rows"])
    per = f.groupby(["table", "column", "finding"])["rows"].sum() if len(f) else pd.Series(dtype="int64")
    rows = []
    for table, df in tables.items():
        for col, kind in SCHEMA[table].items():
            s = df[col]
            is_date = kind.startswith("date")
            rows.append(dict(
                table=table, column=col, kind=kind, rows=len(df), missing=int(s.isna().sum()),
                missing_pct=round(100 * s.isna().mean(), 2) if len(df) else 0.0,
                distinct=int(s.nunique()),
                min=str(s.min().date()) if is_date and s.notna().any() else "",
                max=str(s.max().date()) if is_date and s.notna().any() else "",
                sentinel_dates=int(per.get((table, col, "sentinel date"), 0)),
                unrecognised_codes=int(per.get((table, col, "unrecognised code (read as unknown)"), 0)),
            ))
    return pd.DataFrame(rows)


INCOMING = "extraction.incoming"  # work/ folder of the tables checked so far (moved into place at the end)


def extract(db_url: str, rules: SourceRules | None = None, out_dir: str | Path | None = None) -> Extract:
    """Read, validate and profile the source; record what was read for the manifest.

    With `out_dir`, each table is written as soon as it is checked and is not kept: `tables` is then
    empty, and the row counts are in `inputs` and `profile` (one table in memory at a time: the peak
    of a national-scale run). The tables go to ``work/extraction.incoming/`` and move to
    ``work/extraction/`` only when every one has passed, so a failed extraction never leaves a mix of
    this source's tables and an earlier one's for the next stage. Without it, `tables` holds them.
    """
    from . import store

    incoming = store.work_dir(out_dir, INCOMING) if out_dir is not None else None
    if incoming is not None:
        for stale in incoming.glob("*.parquet"):  # left by an extraction that failed (ours to remove)
            stale.unlink()
    inputs: dict = {}
    origin: list[pd.DataFrame] = []
    profiles: list[pd.DataFrame] = []

    def seen(table: str, df: pd.DataFrame) -> None:
        if table == ORIGIN_TABLE:
            origin.append(df)
        else:
            inputs[table] = {"rows_read": len(df), "sha256": frame_hash(df)}

    def checked(table: str, df: pd.DataFrame, findings: pd.DataFrame) -> pd.DataFrame | None:
        inputs[table]["rows_kept"] = len(df)
        profiles.append(profile({table: df}, findings))
        if out_dir is None:
            return df
        store.save_work(out_dir, INCOMING, {table: df})
        return None

    tables, exclusions, findings, codes = validate_stream(iter_source(db_url), rules, seen, checked)
    if out_dir is not None and incoming is not None:
        final = store.work_dir(out_dir, "extraction")
        for table in SCHEMA:
            os.replace(incoming / f"{table}.parquet", final / f"{table}.parquet")
        incoming.rmdir()
    inputs["_origin"] = source_origin(origin[0] if origin else None)
    path = sqlite_file(db_url)
    if path is not None:
        inputs["_database_file"] = {"path": path.name, "sha256": file_hash(path)}
    return Extract(tables=tables, exclusions=exclusions, profile=pd.concat(profiles, ignore_index=True),
                   inputs=inputs, findings=findings, codes=codes)


def run_stage(db_url: str, out_dir: str, placeholder_ids: list[str] | None = None,
              sentinel_dates: list[str] | None = None) -> Extract:
    """Notebook 01: extract, hand each typed table on as it is checked, export the profile, findings
    and code map. The returned `Extract` holds no tables (see `extract`).

    `placeholder_ids` and `sentinel_dates` default to config/params.yml's lists.
    """
    import json

    from . import store

    ext = extract(db_url, load_rules(placeholder_ids, sentinel_dates), out_dir)
    store.save_work(out_dir, "extraction", {"exclusions": ext.exclusions})
    (store.work_dir(out_dir, "extraction") / "inputs.json").write_text(json.dumps(ext.inputs, indent=2, sort_keys=True))
    store.write_table(out_dir, "data_profile", ext.profile)
    store.write_table(out_dir, "source_findings", ext.findings, ["table", "column", "finding", "value"])
    store.write_table(out_dir, "source_codes", ext.codes, ["table", "column", "recorded_value"])
    return ext


def most_missing(profile: pd.DataFrame, n: int = 6) -> pd.DataFrame:
    """The columns with the largest share of missing values (the full profile is in the appendix)."""
    p = profile[profile["missing"] > 0].sort_values(["missing_pct", "table", "column"], ascending=[False, True, True])
    return pd.DataFrame({"source column": p["table"] + "." + p["column"], "missing values": p["missing"],
                         "missing %": p["missing_pct"].round(1)}).head(n).reset_index(drop=True)


def rows_kept(ext: Extract) -> dict[str, int]:
    """Rows kept per contract table (whether or not `ext` holds the tables)."""
    return {t: ext.inputs[t]["rows_kept"] for t in SCHEMA}


def committed_span(ext: Extract) -> tuple[str | None, str | None]:
    """First and last ``crimes.committed_from`` (ISO text), from the profile; None when there are none."""
    row = ext.profile[(ext.profile["table"] == "crimes") & (ext.profile["column"] == "committed_from")]
    if row.empty or not row["min"].iloc[0]:
        return None, None
    return row["min"].iloc[0], row["max"].iloc[0]


def table_summary(ext: Extract) -> pd.DataFrame:
    """Rows read and kept per source table, for the report (no identifiers)."""
    return pd.DataFrame([
        {"table": t, "rows read": v["rows_read"], "rows kept": v["rows_kept"]}
        for t, v in ext.inputs.items() if not t.startswith("_")
    ])
