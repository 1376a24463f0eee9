"""Parameters: one YAML, overrides validated, paths from the project root."""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers.config import (
    PASSWORD_ENV,
    ROOT,
    ConfigError,
    check_db_url,
    connect_url,
    load_params,
    mask_text,
    mask_url,
    parse_set_option,
    resolve_db_url,
    resolve_path,
    sqlite_path,
)


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
    assert parse_set_option(["seed=1", "search_terms=x.yml", "recency_half_life_days=2.5", "compare_with=null"]) == {
        "seed": 1, "search_terms": "x.yml", "recency_half_life_days": 2.5, "compare_with": None}
    with pytest.raises(ConfigError, match="name=value"):
        parse_set_option(["novalue"])


def test_a_mistyped_set_name_is_refused_with_did_you_mean():
    with pytest.raises(ConfigError, match=r"--set max_victim_agee=\.\.\.: 'max_victim_agee' is not a parameter\. "
                                          r"Did you mean 'max_victim_age'\?"):
        parse_set_option(["max_victim_agee=15"])


def test_a_partial_params_file_changes_only_the_keys_it_gives(tmp_path):
    f = tmp_path / "mine.yml"
    f.write_text("max_victim_age: 15\nseed: 7\n")
    p, base = load_params(f), load_params()
    assert (p.max_victim_age, p.seed) == (15, 7)
    assert p.model_dump() == base.model_dump() | {"max_victim_age": 15, "seed": 7}


def test_an_unknown_key_in_a_params_file_is_named_with_the_file_and_a_suggestion(tmp_path):
    f = tmp_path / "mine.yml"
    f.write_text("recency_half_life: 365\n")
    with pytest.raises(ConfigError, match=rf"{f}: 'recency_half_life' is not a parameter\. "
                                          r"Did you mean 'recency_half_life_days'\?"):
        load_params(f)


def test_a_params_file_that_is_not_a_mapping_says_so(tmp_path):
    f = tmp_path / "list.yml"
    f.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_params(f)


def test_an_invalid_value_names_where_it_came_from(tmp_path):
    f = tmp_path / "mine.yml"
    f.write_text("max_victim_age: 99\n")
    with pytest.raises(ConfigError, match=rf"max_victim_age: .*99.*from {f}"):
        load_params(f)


def test_pack_parameters_have_their_defaults():
    p = load_params()
    assert (p.compare_with, p.pack_top_groups) == (None, 20)
    assert load_params(overrides={"compare_with": "/x/prev"}).compare_with == "/x/prev"
    with pytest.raises(ConfigError, match="pack_top_groups"):
        load_params(overrides={"pack_top_groups": 0})


class TestPasswords:
    URL = "postgresql+psycopg://u:s3cret@127.0.0.1/x"

    def test_mask_url_hides_the_password_and_keeps_the_rest(self):
        assert mask_url(self.URL) == "postgresql+psycopg://u:***@127.0.0.1/x"
        assert mask_url("postgresql://u@h/db") == "postgresql://u@h/db"
        assert mask_url("sqlite:///data/x.sqlite") == "sqlite:///data/x.sqlite"

    def test_mask_url_is_robust_to_text_sqlalchemy_cannot_parse(self):
        assert mask_url("not a url") == "not a url"
        assert mask_url("postgresql://u:s3cret@h:notaport/db") == "postgresql://u:***@h:notaport/db"

    def test_mask_text_hides_urls_inside_messages_and_named_secrets(self):
        msg = f"could not connect to {self.URL}: timeout; password=s3cret"
        assert mask_text(msg, ["s3cret"]) == ("could not connect to postgresql+psycopg://u:***@127.0.0.1/x: "
                                               "timeout; password=***")

    def test_connect_url_restores_the_masked_password_from_the_environment(self, monkeypatch):
        monkeypatch.setenv(PASSWORD_ENV, "p@ss:w/rd")
        assert connect_url("postgresql+psycopg://u:***@127.0.0.1/x") == \
            "postgresql+psycopg://u:p%40ss%3Aw%2Frd@127.0.0.1/x"

    def test_connect_url_leaves_urls_without_the_mask_alone(self, monkeypatch):
        monkeypatch.setenv(PASSWORD_ENV, "other")
        assert connect_url(self.URL) == self.URL
        assert connect_url("postgresql://u@h/db") == "postgresql://u@h/db"
        assert connect_url("sqlite:///data/x.sqlite") == f"sqlite:///{ROOT}/data/x.sqlite"

    def test_connect_url_with_the_mask_but_no_password_says_what_to_do(self, monkeypatch):
        monkeypatch.delenv(PASSWORD_ENV, raising=False)
        with pytest.raises(ConfigError, match=rf"{PASSWORD_ENV} is not set.*PGPASSWORD"):
            connect_url("postgresql://u:***@h/db")

    def test_an_invalid_db_url_value_is_reported_masked(self):
        with pytest.raises(ConfigError) as err:
            load_params(overrides={"db_url": 5})
        assert "db_url" in str(err.value)


class TestDbUrls:
    @pytest.mark.parametrize("url", ["data/x.sqlite", "/tmp/x.sqlite", "x.db"])
    def test_a_plain_path_suggests_sqlite(self, url, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        expected = url if url.startswith("/") else f"{tmp_path}/{url}"
        with pytest.raises(ConfigError, match=rf"not a database URL\. For a SQLite file write sqlite:///{expected} "):
            check_db_url(url, "--db-url")

    def test_a_plain_path_in_the_parameters_is_refused_too(self):
        pattern = r"db_url \(from the command line\) 'data/x\.sqlite' is not a database URL"
        with pytest.raises(ConfigError, match=pattern):
            load_params(overrides={"db_url": "data/x.sqlite"})

    def test_sqlite_uri_form_is_resolved_and_its_file_found(self):
        ro = "sqlite:///file:data/x.sqlite?mode=ro&uri=true"
        assert resolve_db_url(ro) == f"sqlite:///file:{ROOT}/data/x.sqlite?mode=ro&uri=true"
        assert sqlite_path(ro) == ROOT / "data" / "x.sqlite"
        assert sqlite_path("sqlite:///file:/abs/x.sqlite?mode=ro&uri=true") == Path("/abs/x.sqlite")
        assert sqlite_path("sqlite:///:memory:") is None and sqlite_path("sqlite://") is None
        assert sqlite_path("postgresql://h/db") is None

    def test_a_relative_sqlite_path_can_resolve_from_another_base(self, tmp_path):
        assert resolve_db_url("sqlite:///x.sqlite", base=tmp_path) == f"sqlite:///{tmp_path}/x.sqlite"


def test_paths_resolve_from_the_project_root_not_the_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_path("config/params.yml") == ROOT / "config" / "params.yml"
    assert resolve_db_url("sqlite:///data/x.sqlite") == f"sqlite:///{ROOT}/data/x.sqlite"
    assert resolve_db_url("sqlite:////abs/x.sqlite") == "sqlite:////abs/x.sqlite"
    assert resolve_db_url("postgresql://h/db") == "postgresql://h/db"


@pytest.mark.parametrize("weights, words", [
    ({"harm": 0.5, "evidence": 0.2, "recency": 0.2, "soc": 0.1}, "Evidence strength multiplies"),
    ({"harm": 0.5, "victims": 0.2, "recency": 0.2}, "missing key(s) ['soc']"),
    ({"harm": 0.6, "victims": 0.2, "recency": 0.2, "soc": 0.1}, "sum to 1, they sum to 1.1"),
    ({"harm": float("inf"), "victims": 0.2, "recency": 0.2, "soc": 0.1}, "finite and >= 0"),
])
def test_priority_weights_are_the_four_named_shares_of_one(weights, words):
    with pytest.raises(ConfigError) as exc:
        load_params(overrides={"priority_weights": weights})
    assert words in str(exc.value) and "priority_weights" in str(exc.value)


def test_priority_weights_default_sum_to_one():
    assert load_params().priority_weights == {"harm": 0.6, "victims": 0.25, "recency": 0.05, "soc": 0.1}
