"""Parameters, paths and database URLs of a run.

Paths *inside configuration* (``config/params.yml``, a ``--params`` file, ``--set``) resolve from
the project root, so papermill, pytest and the command line agree whatever the working directory
(NHS RAP pattern). Paths typed as command-line options (``--out``, ``--params``, ``--db-url
sqlite:///...``, ``--compare-with``) resolve from the working directory like any Unix tool; the
command line makes them absolute before they reach here (docs/adr/0011).

One YAML file holds every parameter; a ``--params`` file and command-line overrides are layered
over it and validated by the same model, so a typo fails before any notebook starts.

A database password never travels with the parameters: :func:`mask_url` hides it everywhere a URL
is shown or recorded, the runner hands the real one to the notebook kernel in the environment
variable :data:`PASSWORD_ENV`, and :func:`connect_url` restores it where the engine is created.
"""
from __future__ import annotations

import datetime as dt
import difflib
import math
import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

ROOT = Path(__file__).resolve().parents[2]
PARAMS_FILE = ROOT / "config" / "params.yml"
NOTEBOOK_DIR = ROOT / "notebooks"
SYNTH_DIR = ROOT / "data" / "synthetic"
REFERENCE_DIR = ROOT / "data" / "reference"
DEFAULT_DB = SYNTH_DIR / "wmp.sqlite"
SMALL_DB = SYNTH_DIR / "small.sqlite"

#: Environment variable through which the runner hands the database password to the notebook kernel.
PASSWORD_ENV = "CSE_NETWORK_DB_PASSWORD"
#: What a hidden password looks like in a URL (SQLAlchemy's own mask).
MASK = "***"
# scheme://user:password@  -- for text that is not a URL on its own (messages, argv items)
_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^:/?#@\s]*:)(?P<pw>[^@\s]*)(?P<at>@)")


class ConfigError(ValueError):
    """A parameter is wrong; the message says which and what to do."""


def resolve_path(path: str | Path) -> Path:
    """Relative paths inside configuration are relative to the project root, never the cwd."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else ROOT / p


def _parse(url: str) -> URL | None:
    try:
        return make_url(url)
    except (ArgumentError, ValueError, TypeError):
        return None


def _sqlite_file_part(database: str) -> tuple[str, str]:
    """Split a SQLite database string into (prefix, path): 'file:' URIs keep their prefix."""
    if database.startswith("file:"):
        rest = database[len("file:"):]
        if rest.startswith("//"):  # file:///abs/path or file://localhost/abs/path
            rest = rest[2:]
            rest = rest[rest.index("/"):] if "/" in rest else ""
        return "file:", rest
    return "", database


def _is_sqlite_memory(path: str) -> bool:
    return path in ("", ":memory:") or path.startswith(":memory:")


def resolve_db_url(url: str, base: Path = ROOT) -> str:
    """Make a relative SQLite path absolute (from the project root unless `base` says otherwise).

    Handles plain ``sqlite:///rel/path`` and SQLite's URI form ``sqlite:///file:rel/path?mode=ro&uri=true``;
    other URLs, in-memory SQLite and absolute paths come back unchanged.
    """
    prefix = "sqlite"
    if not url.startswith(prefix):
        return url
    head, sep, tail = url.partition(":///")
    if not sep or not head.startswith("sqlite") or tail.startswith("/"):
        return url
    query = ""
    if "?" in tail:
        tail, query = tail.split("?", 1)
        query = "?" + query
    file_prefix, path = _sqlite_file_part(tail)
    if _is_sqlite_memory(path) or path.startswith("/"):
        return url
    resolved = Path(path).expanduser()
    if not resolved.is_absolute():
        resolved = base / resolved
    return f"{head}:///{file_prefix}{resolved}{query}"


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL (plain or ``file:`` URI form), or None for other databases."""
    if not url.startswith("sqlite"):
        return None
    parsed = _parse(resolve_db_url(url))
    if parsed is None or not parsed.drivername.startswith("sqlite") or not parsed.database:
        return None
    _, path = _sqlite_file_part(parsed.database)
    if _is_sqlite_memory(path) or not path:
        return None
    return Path(path)


def url_password(url: str) -> str | None:
    """The password a URL carries, or None (also for unparsable text)."""
    parsed = _parse(url)
    return parsed.password if parsed is not None and parsed.password else None


def mask_url(url: str) -> str:
    """The URL with its password replaced by ``***``; safe to print, log and record.

    Uses SQLAlchemy's own rendering; text SQLAlchemy cannot parse is masked by pattern instead, so
    a malformed URL in an error message does not leak either.
    """
    parsed = _parse(url)
    if parsed is not None:
        if not parsed.password:
            return url
        return parsed.render_as_string(hide_password=True)
    return mask_text(url)


def mask_text(text: str, secrets: tuple[str, ...] | list[str] = ()) -> str:
    """Hide every ``scheme://user:password@`` password in free text, and every given secret."""
    out = _URL_PASSWORD.sub(lambda m: m["head"] + (MASK if m["pw"] else "") + m["at"], text)
    for secret in secrets:
        if secret and secret != MASK:
            out = out.replace(secret, MASK)
    return out


def connect_url(db_url: str) -> str:
    """The real URL to create an engine with.

    When `db_url` carries the ``***`` mask (the runner gives notebooks only the masked URL), the
    password comes back from the environment variable :data:`PASSWORD_ENV`; relative SQLite paths
    resolve from the project root. Never print or record what this returns.
    """
    url = resolve_db_url(db_url)
    parsed = _parse(url)
    if parsed is None or parsed.password != MASK:
        return url
    secret = os.environ.get(PASSWORD_ENV)
    if not secret:
        raise ConfigError(
            f"The database URL {url} carries a hidden password ({MASK}) but {PASSWORD_ENV} is not set. "
            "Run through `cse-network run` (which passes the password to the notebooks), or set "
            f"{PASSWORD_ENV}, PGPASSWORD or ~/.pgpass and give the URL without a password.")
    return parsed.set(password=secret).render_as_string(hide_password=False)


def check_db_url(url: str, where: str = "db_url") -> None:
    """Refuse text that is not a SQLAlchemy URL, suggesting the likely fix."""
    if "://" in url and _parse(url) is not None:
        return
    if "://" not in url:
        guess = Path(url).expanduser()
        abs_guess = guess if guess.is_absolute() else Path.cwd() / guess
        hint = (f"For a SQLite file write sqlite:///{abs_guess} (three slashes, then the absolute path)"
                if url.strip() else "Give a URL such as sqlite:////abs/path/force.sqlite")
        raise ConfigError(
            f"{where} {url!r} is not a database URL. {hint}; for a warehouse use a SQLAlchemy URL such as "
            "postgresql+psycopg://user@host/database (see docs/running.md).")
    raise ConfigError(
        f"{where} {mask_text(url)!r} is not a valid SQLAlchemy URL. Use the form "
        "dialect+driver://user@host:port/database (see docs/running.md).")


def suggest(name: str, known: list[str] | tuple[str, ...]) -> str:
    """' Did you mean 'x'?' for a close known name, else ''."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""


class Params(BaseModel):
    """CONTRACT §2 parameters, with the checks an analyst would want."""

    model_config = ConfigDict(extra="forbid")

    db_url: str
    placeholder_ids: list[str]
    sentinel_dates: list[str]
    as_of: dt.date
    summary_start: dt.date
    summary_end: dt.date
    proximity_half_life_days: float = Field(gt=0)
    recency_half_life_days: float = Field(gt=0)
    min_cell_share_days: int = Field(ge=1)
    min_offender_age: int = Field(ge=0, le=30)
    max_victim_age: int = Field(ge=0, le=25)
    search_terms: str
    grading_map: str
    harm_weights: str
    safeguarding_rules: str
    suppress_below: int = Field(ge=1)
    review_sample_per_rule: int = Field(ge=0)
    seed: int
    max_group_size: int = Field(ge=3)
    strong_log_max_people: int = Field(ge=2)
    high_band_max_groups: int = Field(ge=1)
    priority_weights: dict[str, float]  # no defaults here: config/params.yml is every value's one home
    consensus_seeds: int = Field(ge=1)
    out_dir: str
    compare_with: str | None = None
    pack_top_groups: int = Field(ge=1)
    pack_max_nominals: int = Field(ge=1)

    @field_validator("as_of", "summary_start", "summary_end", mode="before")
    @classmethod
    def _iso_date(cls, v: Any) -> Any:
        if isinstance(v, str):
            try:
                return dt.date.fromisoformat(v)
            except ValueError as exc:
                raise ValueError(f"expected an ISO date YYYY-MM-DD, got {v!r}") from exc
        return v

    @field_validator("sentinel_dates")
    @classmethod
    def _iso_dates(cls, v: list[str]) -> list[str]:
        for d in v:
            try:
                dt.date.fromisoformat(str(d))
            except ValueError as exc:
                raise ValueError(f"sentinel_dates: expected ISO dates YYYY-MM-DD, got {d!r}") from exc
        return [str(d) for d in v]

    @field_validator("priority_weights")
    @classmethod
    def _priority_weights(cls, v: dict[str, float]) -> dict[str, float]:
        known = ("harm", "victims", "recency", "soc")
        extra = sorted(set(v) - set(known))
        if extra:
            hint = (" Evidence strength multiplies the score and has no weight (ADR 0008)."
                    if "evidence" in extra else "")
            raise ValueError(f"unknown key(s) {extra}; the weights are {', '.join(known)}.{hint}")
        missing = [k for k in known if k not in v]
        if missing:
            raise ValueError(f"missing key(s) {missing}; give all of {', '.join(known)}")
        bad = {k: x for k, x in v.items() if not (math.isfinite(float(x)) and float(x) >= 0)}
        if bad:
            raise ValueError(f"weights must be finite and >= 0, got {bad}")
        total = sum(float(x) for x in v.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"the weights must sum to 1, they sum to {total:g}")
        return {k: float(v[k]) for k in known}

    @model_validator(mode="after")
    def _window(self) -> Params:
        if self.summary_start > self.summary_end:
            raise ValueError("summary_start is after summary_end")
        return self

    def for_notebook(self) -> dict[str, Any]:
        """Plain literals papermill can inject (dates as ISO text)."""
        out = self.model_dump()
        for k, v in out.items():
            if isinstance(v, dt.date):
                out[k] = v.isoformat()
        return out


def _read_yaml_mapping(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ConfigError(f"Parameter file {path} does not exist. Pass --params with an existing YAML file.")
    if not path.is_file():
        raise ConfigError(f"Parameter file {path} is a folder, not a file. Pass --params with a YAML file.")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Parameter file {path} is not valid YAML: {exc}. Fix the file.") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"Parameter file {path} must hold a mapping of name: value (one per line), "
                          f"not a {type(raw).__name__}. See config/params.yml for the form.")
    return raw


def check_parameter_names(names: Any, where: str) -> None:
    """Refuse names that are not parameters, with "did you mean" (where: '--set', 'file X', ...)."""
    known = list(Params.model_fields)
    for name in names:
        if name not in known:
            raise ConfigError(
                f"{where}: {name!r} is not a parameter.{suggest(str(name), known)} "
                f"The parameters are listed in {PARAMS_FILE} with their meanings.")


def load_params(params_file: str | Path | None = None, overrides: dict[str, Any] | None = None) -> Params:
    """Read config/params.yml, layer a partial `params_file` and `overrides` over it, validate.

    Only the keys a `params_file` gives change; an unknown key (in either layer) is refused with a
    suggestion. Raise ConfigError with a fix.
    """
    raw = _read_yaml_mapping(PARAMS_FILE)
    origin = {k: str(PARAMS_FILE) for k in raw}
    path = resolve_path(params_file) if params_file else None
    if path is not None and path.resolve() != PARAMS_FILE.resolve():
        layer = _read_yaml_mapping(path)
        check_parameter_names(layer, f"Parameter file {path}")
        raw.update(layer)
        origin.update({k: str(path) for k in layer})
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    check_parameter_names(given, "Command line")
    raw.update(given)
    origin.update({k: "the command line" for k in given})
    try:
        params = Params(**raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = ".".join(str(x) for x in err["loc"]) or "(file)"
            where = origin.get(str(err["loc"][0]) if err["loc"] else "", "the parameters")
            shown = err.get("input")
            if name == "db_url" and isinstance(shown, str):
                shown = mask_url(shown)
            lines.append(f"{name}: {err['msg']} (got {shown!r}, from {where})")
        raise ConfigError("Parameters are not valid: " + "; ".join(lines)
                          + ". Fix the file or the command-line override.") from None
    check_db_url(params.db_url, f"db_url (from {origin.get('db_url', 'the parameters')})")
    return params


def parse_set_option(items: list[str]) -> dict[str, Any]:
    """`--set name=value` pairs, values parsed as YAML scalars; unknown names are refused."""
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--set expects name=value, got {mask_text(item)!r}. Example: --set max_victim_age=15.")
        k, v = item.split("=", 1)
        k = k.strip()
        check_parameter_names([k], f"--set {k}=...")
        try:
            out[k] = yaml.safe_load(v)
        except yaml.YAMLError as exc:
            raise ConfigError(f"--set {k}=...: the value is not a YAML scalar ({exc}). Quote it.") from None
    return out


def load_search_terms(path: str | Path) -> dict[str, Any]:
    """The SME's word lists; shape is checked so a bad edit fails clearly."""
    p = resolve_path(path)
    data = yaml.safe_load(p.read_text())
    for key in ("child_words", "sex_words", "mo_words"):
        group = data.get(key)
        if not isinstance(group, dict) or not ({"prefix", "whole_word"} >= set(group)):
            raise ConfigError(f"{p}: '{key}' must be a mapping with 'prefix' and/or 'whole_word' lists.")
        for mode in ("prefix", "whole_word"):
            group.setdefault(mode, [])
            group[mode] = [str(t) for t in (group[mode] or [])]
    data["if_codes"] = [str(c).upper() for c in data.get("if_codes", [])]
    data["excluded_offence_types"] = [str(c).upper() for c in data.get("excluded_offence_types", ["DA"])]
    return data
