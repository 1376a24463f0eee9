"""Schema validation and the hostile-input catalogue: a clear refusal or a counted exclusion, never silence."""
from __future__ import annotations

import io

import pandas as pd
import pytest

from conftest import base_tables, frame, write_db
from helpers.config import load_search_terms
from helpers.extraction import SourceDataError, extract
from helpers.filtering import select
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


# --- source normalisation (issue 9): ids, placeholders, orphans, dates, codes, weights -----------------

import datetime as dt  # noqa: E402
import math  # noqa: E402
import sqlite3  # noqa: E402

from helpers import extraction  # noqa: E402
from helpers.config import load_params  # noqa: E402
from helpers.extraction import SCHEMA, load_rules, validate  # noqa: E402
from helpers.linking import link  # noqa: E402

TERMS = load_search_terms("config/search_terms.yml")
GRADING = load_grading_map("data/reference/intel_grading.csv")


def typed_db(path, tables: dict[str, pd.DataFrame], types: dict[str, dict[str, str]] | None = None) -> str:
    """A SQLite file with declared column types (TEXT unless `types` says otherwise); None becomes NULL."""
    types = types or {}
    with sqlite3.connect(path) as con:
        for name, df in tables.items():
            decl = ", ".join(f'"{c}" {types.get(name, {}).get(c, "TEXT")}' for c in df.columns)
            con.execute(f'CREATE TABLE "{name}" ({decl})')
            rows = [tuple(None if (isinstance(v, float) and math.isnan(v)) else v for v in r)
                    for r in df.itertuples(index=False)]
            con.executemany(f'INSERT INTO "{name}" VALUES ({", ".join("?" * len(df.columns))})', rows)
    return f"sqlite:///{path}"


def raw_tables(**replace: list[tuple]) -> dict[str, pd.DataFrame]:
    """Base tables as a driver would hand them over, with some tables replaced by the given rows."""
    t = base_tables()
    for name, rows in replace.items():
        t[name] = frame(name, rows)
    return {k: v.astype(object).where(v.notna(), None) for k, v in t.items()}


def finding(ext_findings: pd.DataFrame, table: str, column: str, kind: str) -> int:
    f = ext_findings
    return int(f.loc[(f["table"] == table) & (f["column"] == column) & (f["finding"] == kind), "rows"].sum())


class TestIdsAreTextTheSameWayEverywhere:
    def test_integer_id_columns_with_nulls_keep_intel_and_pins_links(self, tmp_path):
        """Person ids stored as INTEGER with NULLs (and crime/log ids as INTEGER) still join across systems."""
        csa = "Sexual assault on female child under 13"
        t = {
            "crimes": frame("crimes", [(1979, "2020-03-15", None, "2020-03-20", "20B", csa, "SEXUAL", "")]),
            "crime_if_codes": frame("crime_if_codes", [(1979, "CSE")]),
            "crime_nominals": frame("crime_nominals", [
                (1979, 101, "OFFENDER", "1990-01-01", "M", None), (1979, 102, "OFFENDER", "1991-01-01", "M", None),
                (1979, 201, "VICTIM", "2008-01-01", "F", None), (1979, None, "SUSPECT", None, "M", None)]),
            "intel_logs": frame("intel_logs", [(5, "2021-01-01", "3x5x2", "1", "A")]),
            "intel_log_nominals": frame("intel_log_nominals", [(5, 101), (5, 301), (5, None)]),
            "pins_cell_stays": frame("pins_cell_stays", [(7, 102, "E1", "c1", "2019-01-01", "2019-06-01"),
                                                          (8, 302, "E1", "c1", "2019-01-01", "2019-06-01")]),
            "soc_network_edges": frame("soc_network_edges", [(101, 401, 2.0, "associate")]),
            "soc_nominals": frame("soc_nominals", [(101, 9), (401, None)]),
        }
        integer = {tbl: {c: "INTEGER" for c, k in cols.items() if k in ("key", "id")} for tbl, cols in SCHEMA.items()}
        ext = extract(typed_db(tmp_path / "int.sqlite", t, integer))
        assert ext.tables["crime_nominals"]["person_id"].tolist() == ["101", "102", "201"]
        assert ext.tables["intel_log_nominals"]["person_id"].tolist() == ["101", "301"]
        assert ext.tables["soc_nominals"]["soc_group_id"].tolist() == ["9", None] or \
            ext.tables["soc_nominals"]["soc_group_id"].isna().tolist() == [False, True]
        sel = select(ext.tables, TERMS, "2021-03-15", 17, 10)
        assert set(sel.full_table["offender_id"]) == {"101", "102"}
        links = link(sel.full_table, ext.tables, GRADING, "2021-03-15", 365, 730, 30)
        pairs = set(map(tuple, links.network_edges[["person_a", "person_b", "source"]].values.tolist()))
        assert pairs == {("101", "102", "crime"), ("101", "301", "intel"), ("102", "302", "pins"),
                         ("101", "401", "soc")}

    def test_one_function_types_every_id_kind(self):
        from decimal import Decimal
        s = pd.Series([1979, 1979.0, Decimal("1979"), " 1979 ", "P01", None, "", b"B7", 12.5], dtype=object)
        assert extraction.as_text(s).tolist() == ["1979", "1979", "1979", "1979", "P01", pd.NA, pd.NA, "B7", "12.5"]

    def test_a_nominal_without_a_crime_id_is_an_orphan_not_a_refusal(self, db_factory):
        t = with_rows("crime_nominals", [(None, "O9", "SUSPECT", None, "M", None)])
        assert rule_count(extract(db_factory(t)), "crime_nominals: crime_id missing or not in crimes") == 1


class TestPlaceholderIds:
    def test_placeholder_person_ids_are_counted_never_a_person(self, db_factory):
        t = with_rows("crime_nominals", [("C1", " unknown ", "SUSPECT", None, "M", None),
                                         ("C1", "UNK", "OFFENDER", "1990-01-01", "M", None),
                                         ("C1", "0", "VICTIM", "2008-01-01", "F", None)])
        ext = extract(db_factory(t))
        assert rule_count(ext, "crime_nominals: placeholder id") == 3
        assert set(ext.tables["crime_nominals"]["person_id"]) == {"O1", "O2", "V1", "W1", "O3", "V2"}

    def test_placeholder_ids_in_every_system_are_counted_under_their_own_rule(self, db_factory):
        t = base_tables()
        t["intel_logs"] = frame("intel_logs", [("L1", "2020-01-01", "3x5x2", "1", "A")])
        t["intel_log_nominals"] = frame("intel_log_nominals", [("L1", "O1"), ("L1", "N/A"), ("L1", "?")])
        t["pins_cell_stays"] = frame("pins_cell_stays", [("S1", "TBC", "E1", "c1", "2020-01-01", None)])
        t["soc_network_edges"] = frame("soc_network_edges", [("O1", "S1", 2.0, "a"), ("O1", "NULL", 1.0, "a")])
        ext = extract(db_factory(t))
        assert rule_count(ext, "intel_log_nominals: placeholder id") == 2
        assert rule_count(ext, "pins_cell_stays: placeholder id") == 1
        assert rule_count(ext, "soc_network_edges: placeholder id") == 1
        assert (ext.exclusions["rows_in"] == ext.exclusions["rows_out"] + ext.exclusions["rows_excluded"]).all()

    def test_the_placeholder_list_is_configurable(self):
        raw = raw_tables(crime_nominals=[("C1", "O1", "OFFENDER", None, "M", None),
                                         ("C1", "UNKNOWN", "VICTIM", None, "F", None),
                                         ("C1", "zzz", "VICTIM", None, "F", None)])
        tables, ex, _, _ = validate(raw, load_rules(placeholder_ids=["ZZZ"], sentinel_dates=[]))
        assert tables["crime_nominals"]["person_id"].tolist() == ["O1", "UNKNOWN"]
        assert ex.set_index("rule").loc["crime_nominals: placeholder id in crime_id or person_id (e.g. UNKNOWN)",
                                        "rows_excluded"] == 1

    def test_a_placeholder_soc_group_is_no_group_and_is_counted(self, db_factory):
        t = base_tables()
        t["soc_nominals"] = frame("soc_nominals", [("O1", "G1"), ("S1", "Unknown")])
        ext = extract(db_factory(t))
        assert ext.tables["soc_nominals"]["soc_group_id"].isna().tolist() == [False, True]
        assert finding(ext.findings, "soc_nominals", "soc_group_id", "placeholder id") == 1

    def test_the_default_list_is_the_one_in_params_yml(self):
        assert load_rules().placeholder_ids == {p.upper() for p in load_params().placeholder_ids}


class TestOrphanRows:
    def test_orphan_nominals_if_codes_and_log_members_are_counted(self, db_factory):
        t = with_rows("crime_nominals", [("C404", "O1", "OFFENDER", None, "M", None)])
        t["crime_if_codes"] = frame("crime_if_codes", [("C1", "CSE"), ("C404", "CSE"), ("C405", "CAO")])
        t["intel_logs"] = frame("intel_logs", [("L1", "2020-01-01", "3x5x2", "1", "A")])
        t["intel_log_nominals"] = frame("intel_log_nominals", [("L1", "O1"), ("L2", "O1"), ("L2", "O2")])
        ext = extract(db_factory(t))
        assert rule_count(ext, "crime_nominals: crime_id missing or not in crimes") == 1
        assert rule_count(ext, "crime_if_codes: crime_id missing or not in crimes") == 2
        assert rule_count(ext, "intel_log_nominals: log_id missing or not in intel_logs") == 2
        assert ext.tables["intel_log_nominals"].values.tolist() == [["L1", "O1"]]
        assert ext.inputs["crime_nominals"]["rows_read"] == 7 and ext.inputs["crime_nominals"]["rows_kept"] == 6


class TestStrictDates:
    def test_a_date_with_an_extra_digit_is_refused_not_cut(self, db_factory):
        t = with_rows("crimes", [("C9", "2005-06-017", None, "2005-06-20", "8N", "assault", "V", "")])
        with pytest.raises(SourceDataError, match=r"crimes', column 'committed_from': 1 date\(s\) are not dates.*"
                                                  r"'2005-06-017'.*Convert"):
            extract(db_factory(t))

    def test_a_bad_time_of_day_is_refused(self, db_factory):
        t = with_rows("crimes", [("C9", "2005-06-01 25:00:00", None, "2005-06-20", "8N", "assault", "V", "")])
        with pytest.raises(SourceDataError, match=r"column 'committed_from'.*do not exist.*'2005-06-01 25:00:00'"):
            extract(db_factory(t))

    def test_timestamp_text_is_read_as_its_date(self, db_factory):
        t = with_rows("crimes", [("C9", "2005-06-01 23:59:59", "2005-06-02T01:00", "2005-06-03 00:00:00.000",
                                  "8N", "assault", "V", "")])
        c9 = extract(db_factory(t)).tables["crimes"].set_index("crime_id").loc["C9"]
        assert (c9["committed_from"], c9["committed_to"], c9["recorded_date"]) == (
            pd.Timestamp("2005-06-01"), pd.Timestamp("2005-06-02"), pd.Timestamp("2005-06-03"))

    def test_date_and_datetime_values_from_a_warehouse_are_accepted(self):
        raw = raw_tables(crimes=[("C1", dt.date(2020, 3, 15), None, dt.datetime(2020, 3, 20, 14, 5), "20B",
                                  "Sexual assault on female child under 13", "SEXUAL", "")],
                         crime_nominals=[("C1", "O1", "OFFENDER", dt.date(1990, 1, 1), "M", None)])
        tables, _, _, _ = validate(raw, load_rules())
        c = tables["crimes"].iloc[0]
        assert (c["committed_from"], c["recorded_date"]) == (pd.Timestamp("2020-03-15"), pd.Timestamp("2020-03-20"))
        assert str(tables["crimes"]["committed_from"].dtype) == "datetime64[s]"
        assert tables["crime_nominals"]["dob"].iloc[0] == pd.Timestamp("1990-01-01")

    def test_a_sentinel_dob_is_unknown_and_counted(self, db_factory):
        t = with_rows("crime_nominals", [("C1", "O9", "SUSPECT", "1900-01-01", "M", None)])
        t["pins_cell_stays"] = frame("pins_cell_stays", [("S1", "O1", "E1", "c1", "2020-01-01", "9999-12-31")])
        ext = extract(db_factory(t))
        nom = ext.tables["crime_nominals"].set_index("person_id")
        assert pd.isna(nom.loc["O9", "dob"])
        assert pd.isna(ext.tables["pins_cell_stays"]["stay_end"].iloc[0])
        assert finding(ext.findings, "crime_nominals", "dob", "sentinel date") == 1
        prof = ext.profile.set_index(["table", "column"])
        assert prof.loc[("crime_nominals", "dob"), "sentinel_dates"] == 1
        assert prof.loc[("pins_cell_stays", "stay_end"), "sentinel_dates"] == 1
        assert prof.loc[("crimes", "committed_from"), "sentinel_dates"] == 0

    def test_a_sentinel_in_a_required_date_is_kept_and_reported(self, db_factory):
        t = with_rows("crimes", [("C9", "1900-01-01", None, "2019-01-02", "8N", "assault", "V", "")])
        ext = extract(db_factory(t))
        assert ext.tables["crimes"].set_index("crime_id").loc["C9", "committed_from"] == pd.Timestamp("1900-01-01")
        f = ext.findings
        assert f.values.tolist() == [["crimes", "committed_from", "sentinel date", "1900-01-01", 1,
                                      "kept (check at source)"]]


class TestCodeMaps:
    def test_sex_values_are_mapped_and_unrecognised_ones_counted_as_unknown(self, db_factory):
        t = base_tables()
        t["crime_nominals"] = frame("crime_nominals", [
            ("C1", "O1", "OFFENDER", None, "Male", None), ("C1", "O2", "OFFENDER", None, " female ", None),
            ("C1", "V1", "VICTIM", None, "Not stated", None), ("C1", "V2", "VICTIM", None, "Q", None),
            ("C1", "V3", "VICTIM", None, None, None), ("C1", "V4", "VICTIM", None, "m", None)])
        ext = extract(db_factory(t))
        sex = ext.tables["crime_nominals"].set_index("person_id")["sex"]
        assert sex.to_dict() == {"O1": "M", "O2": "F", "V1": "U", "V2": "U", "V3": pd.NA, "V4": "M"} or \
            (sex.fillna("<NA>").to_dict() == {"O1": "M", "O2": "F", "V1": "U", "V2": "U", "V3": "<NA>", "V4": "M"})
        codes = ext.codes[ext.codes["column"] == "sex"]
        assert codes[["recorded_value", "rows", "mapped_to", "recognised"]].values.tolist() == [
            ["Male", 1, "M", True], ["Not stated", 1, "U", True], ["Q", 1, "U", False], ["female", 1, "F", True],
            ["m", 1, "M", True]]
        assert ext.profile.set_index(["table", "column"]).loc[("crime_nominals", "sex"), "unrecognised_codes"] == 1

    def test_ethnicity_not_stated_is_unknown_and_spellings_agree(self, db_factory):
        t = base_tables()
        t["crime_nominals"] = frame("crime_nominals", [
            ("C1", "O1", "OFFENDER", None, "M", "White - North European"), ("C1", "O2", "OFFENDER", None, "M", "ic3"),
            ("C1", "V1", "VICTIM", None, "F", "Not stated"), ("C1", "V2", "VICTIM", None, "F", "Martian"),
            ("C1", "V3", "VICTIM", None, "F", "IC6 - Arabic or North African")])
        ext = extract(db_factory(t))
        eth = ext.tables["crime_nominals"].set_index("person_id")["ethnicity"].to_dict()
        assert eth == {"O1": "IC1 - White North European", "O2": "IC3 - Black", "V1": "IC9 - Unknown",
                       "V2": "IC9 - Unknown", "V3": "IC6 - Arab or North African"}
        assert finding(ext.findings, "crime_nominals", "ethnicity", "unrecognised code (read as unknown)") == 1

    def test_every_reference_spelling_maps_to_one_code(self):
        for col in extraction.CODE_MAPS:
            ref = extraction.load_code_map(col)
            assert ref["key"].is_unique and ref["mapped"].notna().all()


class TestFiniteWeights:
    @pytest.mark.parametrize("weight", [float("inf"), float("-inf"), 0.0, -1.5, "inf", "NaN", None, "heavy"])
    def test_a_weight_that_is_not_a_finite_positive_number_is_refused(self, db_factory, weight):
        t = with_rows("soc_network_edges", [("A", "B", weight, "associate")])
        with pytest.raises(SourceDataError, match=r"soc_network_edges', column 'weight': 1 weight\(s\) are not finite"):
            extract(db_factory(t))


class TestFilesAndDrivers:
    """Every way of pointing at the wrong thing names the file or server and says what to do."""

    def test_views_are_accepted_as_tables(self, tmp_path):
        path = tmp_path / "views.sqlite"
        url = write_db(path, {f"src_{k}": v for k, v in base_tables().items()})
        with sqlite3.connect(path) as con:
            for name in SCHEMA:
                con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM "src_{name}"')
        assert len(extract(url).tables["crimes"]) == 2

    def test_the_read_only_sqlite_uri_works(self, db_factory):
        url = db_factory()
        path = url[len("sqlite:///"):]
        ext = extract(f"sqlite:///file:{path}?mode=ro&uri=true")
        assert len(ext.tables["crime_nominals"]) == 6 and "_database_file" in ext.inputs

    def test_a_missing_file_is_refused_and_not_created(self, tmp_path):
        nope = tmp_path / "nope.sqlite"
        for url in (f"sqlite:///{nope}", f"sqlite:///file:{nope}?mode=ro&uri=true"):
            with pytest.raises(SourceDataError, match=r"nope.sqlite does not exist"):
                extract(url)
        assert list(tmp_path.iterdir()) == []

    def test_a_directory_is_refused_naming_it(self, tmp_path):
        with pytest.raises(SourceDataError, match=rf"{tmp_path} is a directory.*Point --db-url at the .sqlite file"):
            extract(f"sqlite:///{tmp_path}")

    def test_a_file_that_is_not_a_database_is_refused_naming_it(self, tmp_path):
        (tmp_path / "notes.sqlite").write_text("crime_id,person_id\nC1,P1\n")
        with pytest.raises(SourceDataError, match=r"notes.sqlite is not a SQLite database.*export the source"):
            extract(f"sqlite:///{tmp_path / 'notes.sqlite'}")

    def test_an_empty_file_is_refused_naming_it(self, tmp_path):
        (tmp_path / "empty.sqlite").write_bytes(b"")
        with pytest.raises(SourceDataError, match=r"empty.sqlite is empty"):
            extract(f"sqlite:///{tmp_path / 'empty.sqlite'}")

    def test_a_truncated_file_is_refused_naming_it(self, tmp_path, db_factory):
        t = base_tables()
        t["crimes"] = frame("crimes", [(f"C{i}", "2019-01-01", None, "2019-01-02", "8N", "assault " * 40, "V",
                                        "x" * 200)
                                       for i in range(3000)])
        data = open(db_factory(t)[len("sqlite:///"):], "rb").read()
        (tmp_path / "cut.sqlite").write_bytes(data[: len(data) // 3])
        with pytest.raises(SourceDataError, match=r"cut.sqlite.*(damaged or truncated|could not be read)"):
            extract(f"sqlite:///{tmp_path / 'cut.sqlite'}")

    def test_text_that_is_not_utf8_names_table_column_and_value(self, tmp_path):
        path = tmp_path / "latin1.sqlite"
        url = write_db(path, base_tables())
        with sqlite3.connect(path) as con:
            con.execute("UPDATE crimes SET offence_title = CAST(X'4361666520E9' AS TEXT) WHERE crime_id = 'C2'")
        with pytest.raises(SourceDataError,
                           match=r"latin1.sqlite, table 'crimes', column 'offence_title': text that is "
                                                  r"not valid UTF-8.*Re-export"):
            extract(url)

    @pytest.mark.parametrize("url, names", [
        ("mssql+pyodbc://u:secret@dsn", "pip install pyodbc"),
        ("oracle+oracledb://u:secret@host/svc", "pip install oracledb"),
        ("postgresql+psycopg2://u:secret@127.0.0.1/db", "use postgresql+psycopg://"),
    ])
    def test_a_missing_driver_names_the_package_and_never_the_password(self, url, names):
        with pytest.raises(SourceDataError) as err:
            extract(url)
        assert names in str(err.value) and "driver is missing" in str(err.value)
        assert "secret" not in str(err.value)

    def test_a_refused_connection_never_shows_the_password(self):
        with pytest.raises(SourceDataError) as err:
            extract("postgresql+psycopg://u:hunter2@127.0.0.1:1/db?connect_timeout=2")
        assert "hunter2" not in str(err.value) and "127.0.0.1" in str(err.value)


class TestOneTableAtATime:
    """run_stage hands each table on as it is checked and keeps none; the ledger reads as if all were held."""

    def test_the_ledger_lists_each_tables_rules_then_orphans_then_unidentified_people(self, db_factory):
        t = with_rows("crime_nominals", [("C404", "O1", "OFFENDER", None, "M", None)])
        t["intel_logs"] = frame("intel_logs", [("L1", "2020-01-01", "3x5x2", "1", "A")])
        t["intel_log_nominals"] = frame("intel_log_nominals", [("L1", "O1"), ("L2", "O1")])
        rules = extract(db_factory(t)).exclusions["rule"].tolist()
        per_table = [r for table in ("crimes", "crime_if_codes", "crime_nominals", "intel_logs", "intel_log_nominals",
                                     "pins_cell_stays", "soc_network_edges", "soc_nominals")
                     for r in (f"{table}: placeholder id in {_ids(table)} (e.g. UNKNOWN)",
                               f"{table}: exact duplicate rows")]
        assert rules == per_table + [
            "crime_nominals: crime_id missing or not in crimes (orphan row)",
            "crime_if_codes: crime_id missing or not in crimes (orphan row)",
            "intel_log_nominals: log_id missing or not in intel_logs (orphan row)",
            "crime_nominals: person not identified (no person_id)",
            "intel_log_nominals: person not identified (no person_id)",
        ]

    def test_run_stage_writes_every_table_and_holds_none(self, db_factory, tmp_path):
        from helpers import extraction, store

        url = db_factory()
        held = extract(url)
        out = tmp_path / "out"
        ext = extraction.run_stage(url, str(out))
        assert ext.tables == {}
        assert extraction.rows_kept(ext) == {t: len(df) for t, df in held.tables.items()}
        assert extraction.committed_span(ext) == ("2019-01-01", "2020-03-15")
        written = store.load_work(out, "extraction")
        for table, df in held.tables.items():  # as the in-memory table reads back from Parquet
            pd.testing.assert_frame_equal(written[table], pd.read_parquet(io.BytesIO(df.to_parquet(index=False))))
        pd.testing.assert_frame_equal(written["exclusions"], held.exclusions)
        pd.testing.assert_frame_equal(ext.profile, held.profile)
        assert not (out / "work" / extraction.INCOMING).exists()

    def test_a_failed_extraction_leaves_the_last_good_hand_off_whole(self, db_factory, tmp_path):
        from helpers import extraction, store

        out = tmp_path / "out"
        extraction.run_stage(db_factory(), str(out))
        before = {f.name: f.read_bytes() for f in (out / "work" / "extraction").iterdir()}
        bad = with_rows("crime_nominals", [("C1", "X1", "ACCOMPLICE", None, "M", None)])  # crimes pass first
        bad["crimes"].loc[1, "mo_text"] = "a different crime table"
        with pytest.raises(SourceDataError, match="role"):
            extraction.run_stage(db_factory(bad), str(out))
        assert {f.name: f.read_bytes() for f in (out / "work" / "extraction").iterdir()} == before
        extraction.run_stage(db_factory(), str(out))  # the next good run clears what the failed one left
        assert not (out / "work" / extraction.INCOMING).exists()
        assert set(store.load_work(out, "extraction")) == {p.removesuffix(".parquet") for p in before
                                                           if p.endswith(".parquet")}


def _ids(table: str) -> str:
    from helpers.extraction import GROUP_IDS, ID_KINDS, SCHEMA

    return " or ".join(c for c, k in SCHEMA[table].items() if k in ID_KINDS and c not in GROUP_IDS)


class TestRebuiltOneColumnAtATime:
    """Drops and the canonical order build the new frame column by column, emptying the old one."""

    @staticmethod
    def _typed() -> pd.DataFrame:
        return pd.DataFrame({
            "person_id": pd.Series(["P3", None, "P1", "P2"], dtype="string"),
            "dob": pd.Series(pd.to_datetime(["1990-05-05", None, "2001-01-01", "1985-12-31"])).astype("datetime64[s]"),
            "weight": [0.5, 1.0, 2.0, 3.0],
        })

    def test_the_rows_a_mask_keeps_in_their_order_with_their_types(self):
        from helpers.extraction import _rebuilt
        old = self._typed()
        got = _rebuilt(old, pd.Series([True, False, True, False]).to_numpy())
        expected = pd.DataFrame({
            "person_id": pd.Series(["P3", "P1"], dtype="string"),
            "dob": pd.Series(pd.to_datetime(["1990-05-05", "2001-01-01"])).astype("datetime64[s]"),
            "weight": [0.5, 2.0],
        })
        pd.testing.assert_frame_equal(got, expected)
        assert list(old.columns) == []  # each column left the old frame as it was copied

    def test_the_rows_at_positions_in_that_order(self):
        from helpers.extraction import _rebuilt
        got = _rebuilt(self._typed(), pd.Series([3, 0]).to_numpy())
        expected = pd.DataFrame({
            "person_id": pd.Series(["P2", "P3"], dtype="string"),
            "dob": pd.Series(pd.to_datetime(["1985-12-31", "1990-05-05"])).astype("datetime64[s]"),
            "weight": [3.0, 0.5],
        })
        pd.testing.assert_frame_equal(got, expected)

    def test_canonical_order_sorts_by_every_column_with_missing_last(self):
        from helpers.extraction import canonical_order
        t = pd.DataFrame({"crime_id": pd.Series(["C2", "C1", None, "C1"], dtype="string"),
                          "if_code": pd.Series(["B", "B", "A", "A"], dtype="string")})
        expected = pd.DataFrame({"crime_id": pd.Series(["C1", "C1", "C2", None], dtype="string"),
                                 "if_code": pd.Series(["A", "B", "B", "A"], dtype="string")})
        pd.testing.assert_frame_equal(canonical_order(t, "crime_if_codes"), expected)
