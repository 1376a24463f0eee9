"""Schema validation and the hostile-input catalogue: a clear refusal or a counted exclusion, never silence."""
from __future__ import annotations

import pandas as pd
import pytest

from conftest import base_tables, frame
from helpers.extraction import SourceDataError, extract
from helpers.filtering import select
from helpers.config import load_search_terms
from helpers.linking import intel_links, load_grading_map
from helpers.store import ExclusionLedger


def with_rows(table: str, rows: list[tuple]) -> dict[str, pd.DataFrame]:
    t = base_tables()
    t[table] = pd.concat([t[table], frame(table, rows)], ignore_index=True)
    return t


def rule_count(ext, rule_start: str) -> int:
    ex = ext.exclusions
    return int(ex.loc[ex["rule"].str.startswith(rule_start), "rows_excluded"].sum())


class TestRefusals:
    """Each case stops with a message naming the table, the column and an example value."""

    def test_missing_table(self, db_factory):
        with pytest.raises(SourceDataError, match=r"table 'pins_cell_stays': the table is missing"):
            extract(db_factory(drop=("pins_cell_stays",)))

    def test_missing_column(self, db_factory):
        t = base_tables()
        t["crimes"] = t["crimes"].drop(columns="mo_text")
        with pytest.raises(SourceDataError, match=r"table 'crimes', column 'mo_text': the column is missing"):
            extract(db_factory(t))

    def test_wrong_column_type_weight_as_text(self, db_factory):
        t = with_rows("soc_network_edges", [("A", "B", "heavy", "associate")])
        with pytest.raises(SourceDataError, match=r"soc_network_edges', column 'weight'.*'heavy'"):
            extract(db_factory(t))

    def test_wrong_column_type_date_as_number(self, db_factory):
        t = with_rows("intel_logs", [("L9", 20200101, "3x5x2", "1", "A")])
        with pytest.raises(SourceDataError, match=r"intel_logs', column 'log_date'.*20200101"):
            extract(db_factory(t))

    def test_malformed_date(self, db_factory):
        t = with_rows("crimes", [("C9", "15/03/2019", None, "2019-03-16", "8N", "assault", "V", "")])
        with pytest.raises(SourceDataError, match=r"crimes', column 'committed_from'.*'15/03/2019'"):
            extract(db_factory(t))

    def test_impossible_date(self, db_factory):
        t = with_rows("crime_nominals", [("C1", "V9", "VICTIM", "2010-02-30", "F", None)])
        with pytest.raises(SourceDataError, match=r"crime_nominals', column 'dob'.*do not exist.*'2010-02-30'"):
            extract(db_factory(t))

    def test_unknown_role(self, db_factory):
        t = with_rows("crime_nominals", [("C1", "X1", "ACCOMPLICE", None, "M", None)])
        with pytest.raises(SourceDataError, match=r"crime_nominals', column 'role'.*'ACCOMPLICE'"):
            extract(db_factory(t))

    def test_unknown_grading_system(self, db_factory):
        t = with_rows("intel_logs", [("L9", "2020-01-01", "4x4", "1", "A")])
        with pytest.raises(SourceDataError, match=r"intel_logs', column 'grading_system'.*'4x4'"):
            extract(db_factory(t))

    def test_unknown_grade_stops_at_linking(self):
        logs = pd.DataFrame({"log_id": ["L1"], "log_date": pd.to_datetime(["2020-01-01"]),
                             "grading_system": ["3x5x2"], "source_grade": ["1"], "information_grade": ["Q"]})
        mem = pd.DataFrame({"log_id": ["L1", "L1"], "person_id": ["O1", "X"]})
        with pytest.raises(SourceDataError, match=r"intel_logs', column 'information_grade'.*'Q'"):
            intel_links(logs, mem, {"O1"}, load_grading_map("data/reference/intel_grading.csv"), "2021-03-15",
                        730, ExclusionLedger("linking"))

    def test_empty_crimes_table(self, db_factory):
        t = base_tables()
        t["crimes"] = t["crimes"].iloc[0:0]
        with pytest.raises(SourceDataError, match=r"table 'crimes': the table is empty"):
            extract(db_factory(t))

    def test_null_crime_id(self, db_factory):
        t = with_rows("crimes", [(None, "2019-01-01", None, "2019-01-02", "8N", "assault", "V", "")])
        with pytest.raises(SourceDataError, match=r"crimes', column 'crime_id'.*no value in a key column"):
            extract(db_factory(t))

    def test_conflicting_duplicate_crime_ids(self, db_factory):
        t = with_rows("crimes", [("C2", "2019-05-05", None, "2019-05-06", "8N", "assault", "V", "")])
        with pytest.raises(SourceDataError, match=r"crimes', column 'crime_id'.*share a key.*'C2'"):
            extract(db_factory(t))

    def test_stay_ending_before_it_starts(self, db_factory):
        t = with_rows("pins_cell_stays", [("S1", "O1", "E1", "c1", "2020-05-01", "2020-04-01")])
        with pytest.raises(SourceDataError, match=r"pins_cell_stays', column 'stay_end'.*'S1'"):
            extract(db_factory(t))

    def test_message_says_what_to_do(self, db_factory):
        with pytest.raises(SourceDataError) as err:
            extract(db_factory(drop=("soc_nominals",)))
        assert "found" in str(err.value) and "soc_nominals" in str(err.value)

    def test_missing_database_file_says_how_to_make_one(self, tmp_path):
        with pytest.raises(SourceDataError, match=r"does not exist.*cse-network synth"):
            extract(f"sqlite:///{tmp_path / 'nope.sqlite'}")


class TestCountedExclusions:
    """Each case is dropped under a named rule and counted, never silently."""

    def test_exact_duplicate_nominal_rows(self, db_factory):
        t = with_rows("crime_nominals", [("C1", "O1", "Offender", "1990-01-01", "M", "IC1 - White North European")])
        ext = extract(db_factory(t))
        assert rule_count(ext, "crime_nominals: exact duplicate rows") == 1
        assert len(ext.tables["crime_nominals"]) == 6

    def test_exact_duplicate_crime_rows(self, db_factory):
        t = base_tables()
        t["crimes"] = pd.concat([t["crimes"], t["crimes"].iloc[[1]]], ignore_index=True)
        assert rule_count(extract(db_factory(t)), "crimes: exact duplicate rows") == 1

    def test_null_person_id_on_a_crime(self, db_factory):
        t = with_rows("crime_nominals", [("C1", None, "SUSPECT", None, "M", None)])
        assert rule_count(extract(db_factory(t)), "crime_nominals: person not identified") == 1

    def test_empty_intelligence_table_is_fine(self, db_factory):
        ext = extract(db_factory())  # base tables have no intel logs at all
        assert ext.tables["intel_logs"].empty
        assert ext.profile.set_index(["table", "column"]).loc[("intel_logs", "log_id"), "rows"] == 0

    def test_dates_after_as_of_and_a_crime_with_no_nominals(self, db_factory):
        csa = "rape of female child under 13 by a male"
        t = with_rows("crimes", [("C8", "2021-06-01", None, "2021-06-02", "19E", csa, "SEXUAL", ""),
                                 ("C9", "2020-06-01", None, "2020-06-02", "19E", csa, "SEXUAL", "")])
        ext = extract(db_factory(t))
        sel = select(ext.tables, load_search_terms("config/search_terms.yml"), "2021-03-15", 17, 10)
        ex = sel.exclusions.set_index("rule")["rows_excluded"]
        assert ex["committed or recorded after as_of"] == 1            # C8
        assert ex["no identified victim or no identified offender"] == 1  # C9 has no nominals
        assert set(sel.full_table["crime_id"]) == {"C1"}

    def test_every_rule_balances(self, db_factory):
        t = with_rows("crime_nominals", [("C1", None, "SUSPECT", None, "M", None),
                                         ("C1", "O1", "Offender", "1990-01-01", "M", "IC1 - White North European")])
        ex = extract(db_factory(t)).exclusions
        assert (ex["rows_in"] == ex["rows_out"] + ex["rows_excluded"]).all()


def test_a_ten_thousand_person_log_links_the_offender_to_everyone_once():
    n = 10_000
    logs = pd.DataFrame({"log_id": ["BIG"], "log_date": pd.to_datetime(["2021-03-15"]),
                         "grading_system": ["3x5x2"], "source_grade": ["1"], "information_grade": ["A"]})
    mem = pd.DataFrame({"log_id": "BIG", "person_id": ["O1"] + [f"P{i:05d}" for i in range(n - 1)]})
    out = intel_links(logs, mem, {"O1"}, load_grading_map("data/reference/intel_grading.csv"), "2021-03-15",
                      730, ExclusionLedger("linking"))
    assert len(out) == n - 1
    assert out["weight"].iloc[0] == pytest.approx(1 / (n - 1))


def test_most_missing_ranks_columns_by_share():
    from helpers.extraction import most_missing
    profile = pd.DataFrame({"table": ["t", "t", "u"], "column": ["a", "b", "c"], "missing": [0, 5, 1],
                            "missing_pct": [0.0, 50.0, 10.0]})
    out = most_missing(profile)
    assert out["source column"].tolist() == ["t.b", "u.c"]
