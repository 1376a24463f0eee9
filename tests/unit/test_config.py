"""Parameters: one YAML, overrides validated, paths from the project root."""
from __future__ import annotations

import pytest

from helpers.config import ROOT, ConfigError, load_params, parse_set_option, resolve_db_url, resolve_path


def test_defaults_match_the_contract():
    p = load_params()
    assert str(p.as_of) == "2021-03-15"
    assert (str(p.summary_start), str(p.summary_end)) == ("2016-01-01", "2020-12-31")
    assert (p.proximity_half_life_days, p.recency_half_life_days) == (365, 730)
    assert (p.min_cell_share_days, p.min_offender_age, p.max_victim_age) == (30, 10, 17)


def test_override_wins_and_is_validated():
    assert load_params(overrides={"max_victim_age": 15}).max_victim_age == 15
    with pytest.raises(ConfigError, match=r"as_of: .*ISO date.*'15/03/2021'"):
        load_params(overrides={"as_of": "15/03/2021"})


def test_unknown_parameter_is_refused():
    with pytest.raises(ConfigError, match="max_victim_agee"):
        load_params(overrides={"max_victim_agee": 15})


def test_set_option_parses_yaml_scalars():
    assert parse_set_option(["a=1", "b=x", "c=2.5"]) == {"a": 1, "b": "x", "c": 2.5}
    with pytest.raises(ConfigError):
        parse_set_option(["novalue"])


def test_paths_resolve_from_the_project_root_not_the_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_path("config/params.yml") == ROOT / "config" / "params.yml"
    assert resolve_db_url("sqlite:///data/x.sqlite") == f"sqlite:///{ROOT}/data/x.sqlite"
    assert resolve_db_url("sqlite:////abs/x.sqlite") == "sqlite:////abs/x.sqlite"
    assert resolve_db_url("postgresql://h/db") == "postgresql://h/db"
