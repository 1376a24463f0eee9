"""Parameters and paths of a run.

Every path resolves from the project root so that papermill, pytest and the
command line agree whatever the working directory (NHS RAP pattern). One YAML
file holds every parameter; overrides from the command line are validated by
the same model, so a typo fails before any notebook starts.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

ROOT = Path(__file__).resolve().parents[2]
PARAMS_FILE = ROOT / "config" / "params.yml"
NOTEBOOK_DIR = ROOT / "notebooks"
SYNTH_DIR = ROOT / "data" / "synthetic"
REFERENCE_DIR = ROOT / "data" / "reference"
DEFAULT_DB = SYNTH_DIR / "wmp.sqlite"
SMALL_DB = SYNTH_DIR / "small.sqlite"


class ConfigError(ValueError):
    """A parameter is wrong; the message says which and what to do."""


def resolve_path(path: str | Path) -> Path:
    """Relative paths are relative to the project root, never the cwd."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else ROOT / p


def resolve_db_url(url: str) -> str:
    """Make a relative SQLite path absolute from the project root."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith("sqlite:////"):
        rel = url[len(prefix):]
        if rel and rel != ":memory:":
            return prefix + str(resolve_path(rel))
    return url


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other databases."""
    url = resolve_db_url(url)
    if url.startswith("sqlite:///") and not url.endswith(":memory:"):
        return Path(url[len("sqlite:///"):])
    return None


class Params(BaseModel):
    """CONTRACT §2 parameters, with the checks an analyst would want."""

    model_config = ConfigDict(extra="forbid")

    db_url: str
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
    safeguarding_rules: str = "config/safeguarding.yml"
    suppress_below: int = Field(ge=1)
    review_sample_per_rule: int = Field(ge=0)
    seed: int
    max_group_size: int = Field(ge=3)
    out_dir: str

    @field_validator("as_of", "summary_start", "summary_end", mode="before")
    @classmethod
    def _iso_date(cls, v: Any) -> Any:
        if isinstance(v, str):
            try:
                return dt.date.fromisoformat(v)
            except ValueError as exc:
                raise ValueError(f"expected an ISO date YYYY-MM-DD, got {v!r}") from exc
        return v

    @model_validator(mode="after")
    def _window(self) -> "Params":
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


def load_params(params_file: str | Path | None = None, overrides: dict[str, Any] | None = None) -> Params:
    """Read the YAML, apply overrides, validate; raise ConfigError with a fix."""
    path = resolve_path(params_file) if params_file else PARAMS_FILE
    if not path.exists():
        raise ConfigError(f"Parameter file {path} does not exist. Pass --params with an existing YAML file.")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"Parameter file {path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"Parameter file {path} must hold a mapping of name: value.")
    for k, v in (overrides or {}).items():
        if v is not None:
            raw[k] = v
    try:
        return Params(**raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = ".".join(str(x) for x in err["loc"]) or "(file)"
            lines.append(f"{name}: {err['msg']} (got {err.get('input')!r})")
        raise ConfigError(
            f"Parameters from {path} are not valid: " + "; ".join(lines)
            + ". Fix the file or the command-line override."
        ) from None


def parse_set_option(items: list[str]) -> dict[str, Any]:
    """`--set name=value` pairs, values parsed as YAML scalars."""
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--set expects name=value, got {item!r}.")
        k, v = item.split("=", 1)
        out[k.strip()] = yaml.safe_load(v)
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
