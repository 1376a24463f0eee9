"""The synthetic force database: schema, validity, determinism, ground truth kept apart."""
from __future__ import annotations

import csv
import hashlib
import json
import re
import sqlite3

import numpy as np
import pandas as pd
import pytest

from helpers import extraction, synth

AS_OF = "2021-03-15"


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _q(db, sql: str) -> pd.DataFrame:
    with sqlite3.connect(db) as con:
        return pd.read_sql_query(sql, con)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    d = tmp_path_factory.mktemp("synth")
    out = d / "small.sqlite"
    messages: list[str] = []
    summary = synth.generate(profile="small", seed=1, out=out, progress=messages.append)
    return out, summary, messages


def test_every_contract_table_and_column_present(small):
    db, _, _ = small
    with sqlite3.connect(db) as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert set(extraction.SCHEMA) <= tables
        for table, cols in extraction.SCHEMA.items():
            have = [r[1] for r in con.execute(f"PRAGMA table_info({table})")]
            assert have == list(cols), table
            assert con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] > 0, table


def test_passes_the_extraction_validator(small):
    db, summary, _ = small
    ex = extraction.extract(f"sqlite:///{db}")
    assert len(ex.tables["crimes"]) == summary["tables"]["crimes"]
    # the deliberate noise is there and is counted, not fatal
    excl = ex.exclusions.set_index("rule")["rows_excluded"]
    assert excl["crime_nominals: exact duplicate rows"] > 0
    assert excl["crime_nominals: person not identified (no person_id)"] > 0


def test_summary_and_progress(small):
    _, summary, messages = small
    assert summary["profile"] == "small" and summary["seed"] == 1 and summary["scale"] == 1.0
    assert set(summary["tables"]) == set(extraction.SCHEMA)
    assert messages and all(isinstance(m, str) for m in messages)


@pytest.fixture(scope="module")
def crimes(small) -> pd.DataFrame:
    return _q(small[0], "SELECT * FROM crimes")


@pytest.fixture(scope="module")
def stays(small) -> pd.DataFrame:
    return _q(small[0], "SELECT * FROM pins_cell_stays")


def test_dates_are_iso_text(small):
    db, _, _ = small
    iso = re.compile(r"^\d{4}-\d{2}-\d{2}$")
    checks = {"crimes": ["committed_from", "committed_to", "recorded_date"], "crime_nominals": ["dob"],
              "intel_logs": ["log_date"], "pins_cell_stays": ["stay_start", "stay_end"]}
    for table, cols in checks.items():
        df = _q(db, f"SELECT {', '.join(cols)} FROM {table}")
        for c in cols:
            assert df[c].dropna().map(lambda v: bool(iso.match(v))).all(), (table, c)


def test_crimes_are_committed_and_recorded_by_the_as_of_date(crimes):
    cr = crimes
    assert (cr.committed_from <= AS_OF).all() and (cr.recorded_date <= AS_OF).all()


def test_crimes_are_recorded_on_or_after_they_were_committed(crimes):
    cr = crimes
    assert (cr.recorded_date >= cr.committed_from).all()


def test_a_crime_period_ends_after_it_starts_and_by_the_as_of_date(crimes):
    to = crimes.dropna(subset=["committed_to"])
    assert (to.committed_to >= to.committed_from).all() and (to.committed_to <= AS_OF).all()


def test_no_nominal_is_born_after_the_as_of_date(small):
    db, _, _ = small
    assert (_q(db, "SELECT dob FROM crime_nominals").dob.dropna() <= AS_OF).all()


def test_a_handful_of_intel_logs_fall_after_the_as_of_date_deliberately(small):
    db, _, _ = small
    logs = _q(db, "SELECT log_date FROM intel_logs").log_date
    assert 0 < (logs > AS_OF).sum() < 0.01 * len(logs)


def test_some_cell_stays_start_after_the_as_of_date_deliberately(stays):
    assert (stays.stay_start > AS_OF).sum() >= 1


def test_a_cell_stay_ends_on_or_after_it_starts(stays):
    ended = stays.dropna(subset=["stay_end"])
    assert (ended.stay_end >= ended.stay_start).all()


def test_some_people_are_still_in_their_cell(stays):
    assert stays.stay_end.isna().any()  # no stay_end: still in the cell at extraction


def test_same_seed_same_bytes_different_seed_different(small, tmp_path):
    db, _, _ = small
    again = tmp_path / "again.sqlite"
    synth.generate(profile="small", seed=1, out=again)
    assert _sha(again) == _sha(db)
    assert (tmp_path / "again.truth.csv").read_bytes() == db.with_suffix(".truth.csv").read_bytes()
    other = tmp_path / "other.sqlite"
    synth.generate(profile="small", seed=2, out=other)
    assert _sha(other) != _sha(db)
    assert not list(tmp_path.glob("*.tmp"))  # written atomically, no leftovers


def test_rows_are_written_in_chunks_without_changing_a_byte(small, tmp_path, monkeypatch):
    """A chunk size that splits every table mid-way (7 rows) writes the very same file."""
    from helpers.synth import draws

    db, _, _ = small
    monkeypatch.setattr(draws, "ROWS_PER_CHUNK", 7)
    chunked = tmp_path / "chunked.sqlite"
    synth.generate(profile="small", seed=1, out=chunked)
    assert _sha(chunked) == _sha(db)
    assert (tmp_path / "chunked.truth.csv").read_bytes() == db.with_suffix(".truth.csv").read_bytes()


def test_numbered_ids_are_made_from_positions_or_a_shuffle():
    from helpers.synth.draws import Numbered, chunked_rows

    assert Numbered("CR", 7, 3).take(np.array([0, 2])) == ["CR0000000", "CR0000002"]
    shuffled = Numbered("P", 8, 3, np.array([2, 0, 1]))
    assert shuffled.take(np.array([0, 1, 1])) == ["P00000002", "P00000000", "P00000000"]
    assert len(shuffled) == 3
    letters = np.array(list("abcde"), dtype=object)
    assert list(chunked_rows(5, lambda p: letters[p].tolist(), lambda p: list(range(p.start, p.stop)))) == [
        ("a", 0), ("b", 1), ("c", 2), ("d", 3), ("e", 4)]


@pytest.fixture(scope="module")
def truth_rows(small) -> list[dict]:
    db, _, _ = small
    with open(db.with_suffix(".truth.csv")) as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def planted_groups(truth_rows) -> set[str]:
    return {r["planted_group_id"] for r in truth_rows}


def test_ground_truth_files_sit_beside_the_database(small):
    db, _, _ = small
    truth_csv = db.with_suffix(".truth.csv")
    truth_json = db.with_suffix(".truth.json")
    assert truth_csv.exists() and truth_json.exists()


def test_ground_truth_csv_lists_group_person_and_role(truth_rows):
    assert list(truth_rows[0]) == ["planted_group_id", "person_id", "role"]
    assert {r["role"] for r in truth_rows} == {"offender", "victim"}


def test_ground_truth_holds_every_planted_group_of_the_profile(planted_groups):
    assert len(planted_groups) == synth.PROFILES["small"].planted_groups


def test_ground_truth_json_records_profile_seed_scale_and_group_count(small, planted_groups):
    db, _, _ = small
    meta = json.loads(db.with_suffix(".truth.json").read_text())
    assert meta["profile"] == "small" and meta["seed"] == 1 and meta["scale"] == 1.0
    assert meta["planted"]["planted_groups"] == len(planted_groups)


def test_planted_people_are_nominals_of_the_database(small, truth_rows):
    db, _, _ = small
    people = set(_q(db, "SELECT DISTINCT person_id FROM crime_nominals").person_id.dropna())
    assert {r["person_id"] for r in truth_rows} <= people


def test_no_database_column_is_named_for_planting_or_truth(small):
    db, _, _ = small
    with sqlite3.connect(db) as con:
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall():
            cols = [r[1] for r in con.execute(f"PRAGMA table_info({table})")]
            assert not any("planted" in c.lower() or "truth" in c.lower() for c in cols), table


def test_no_database_value_is_a_planted_group_id(small, planted_groups):
    db, _, _ = small
    with sqlite3.connect(db) as con:
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall():
            cols = [r[1] for r in con.execute(f"PRAGMA table_info({table})")]
            for c in cols:
                marks = ",".join("?" * len(planted_groups))
                n = con.execute(f'SELECT COUNT(*) FROM {table} WHERE "{c}" IN ({marks})',
                                sorted(planted_groups)).fetchone()[0]
                assert n == 0, (table, c)


def test_no_names_or_addresses(small):
    db, _, _ = small
    with sqlite3.connect(db) as con:
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall():
            for r in con.execute(f"PRAGMA table_info({table})"):
                assert not re.search(r"name|address|street|postcode|forename|surname", r[1], re.I), (table, r[1])
    union = "SELECT person_id FROM crime_nominals UNION SELECT person_id FROM intel_log_nominals"
    ids = _q(db, union).person_id.dropna()
    assert ids.str.fullmatch(r"P\d{8}").all()
    assert _q(db, "SELECT crime_id FROM crimes").crime_id.str.fullmatch(r"CR\d{7,}").all()


def test_codes_roles_and_grades_are_contract_values(small):
    db, _, _ = small
    nom = _q(db, "SELECT * FROM crime_nominals")
    roles = nom.role.str.upper().str.replace(r"\s+", " ", regex=True)
    assert set(roles) <= set(extraction.ROLES)
    assert nom.role.nunique() > roles.nunique()  # recorded in varied case
    assert set(nom.sex.dropna()) <= {"M", "F", "U"}
    assert nom.ethnicity.dropna().str.match(r"IC\d - ").all()
    logs = _q(db, "SELECT * FROM intel_logs")
    old, new = logs[logs.grading_system == "5x5x5"], logs[logs.grading_system == "3x5x2"]
    assert (old.log_date < "2017-01-01").all() and (new.log_date >= "2017-01-01").all()
    assert set(old.source_grade) <= set("ABCDE") and set(old.information_grade) <= set("12345")
    assert set(new.source_grade) <= set("123") and set(new.information_grade) <= set("ABCDE")
    soc = _q(db, "SELECT * FROM soc_network_edges")
    assert (soc.weight > 0).all() and (soc.person_a != soc.person_b).all()


def test_offence_codes_come_from_the_home_office_list(small):
    from helpers.config import ROOT
    ref = ROOT.parent / "shared" / "reference" / "ho_offence_codes.csv"
    if not ref.exists():
        pytest.skip("reference HO code list not available here")
    codes = set(pd.read_csv(ref, dtype=str).ho_code)
    db, _, _ = small
    assert set(_q(db, "SELECT DISTINCT ho_offence_code FROM crimes").ho_offence_code.dropna()) <= codes


@pytest.fixture(scope="module")
def nominals(small) -> pd.DataFrame:
    nom = _q(small[0], "SELECT * FROM crime_nominals")
    nom["role_u"] = nom.role.str.upper()
    return nom


@pytest.fixture(scope="module")
def flagged_nominals(small, crimes, nominals) -> pd.DataFrame:
    """Nominals of crimes flagged CAO, PPC or CSE, with the crime's committed_from."""
    ifc = _q(small[0], "SELECT * FROM crime_if_codes")
    flagged = set(ifc.crime_id[ifc.if_code.isin(["CAO", "PPC", "CSE"])])
    return nominals[nominals.crime_id.isin(flagged)].merge(crimes[["crime_id", "committed_from"]], on="crime_id")


@pytest.fixture(scope="module")
def flagged_offenders(flagged_nominals) -> pd.DataFrame:
    fl = flagged_nominals
    return fl[fl.role_u.isin([r for r, k in extraction.ROLES.items() if k == "offender"])].dropna(subset=["person_id"])


def test_small_profile_has_domestic_abuse_crimes(crimes):
    assert (crimes.offence_type == "DA").any()


def test_small_profile_has_innocent_mo_text_that_contains_search_words(crimes):
    assert crimes.mo_text.str.contains("Essex Road|smashed|card holder|grapes", case=False, na=False).any()


def test_small_profile_has_witnesses_and_reporting_persons(nominals):
    assert nominals.role_u.isin(["WITNESS", "REPORTING PERSON"]).any()


def test_small_profile_has_exact_duplicate_nominal_rows(nominals):
    assert nominals.drop(columns="role_u").duplicated(keep=False).any()


def test_small_profile_has_nominals_missing_id_dob_sex_and_ethnicity(nominals):
    nom = nominals
    assert nom.person_id.isna().any() and nom.dob.isna().any() and nom.sex.isna().any() and nom.ethnicity.isna().any()


def test_small_profile_plants_victims_born_after_their_crime(small):
    _, summary, _ = small
    assert summary["planted"]["victims_dob_after_crime"] >= 1


def test_small_profile_has_flagged_offenders_under_ten(flagged_offenders):
    off = flagged_offenders
    age = pd.to_datetime(off.committed_from).dt.year - pd.to_datetime(off.dob).dt.year
    assert (age < 10).any()  # offenders under the age of criminal responsibility


def test_small_profile_has_a_flagged_victim_shared_by_two_offenders(flagged_nominals, flagged_offenders):
    fl = flagged_nominals
    vic = fl[fl.role_u == "VICTIM"].dropna(subset=["person_id", "dob"])
    per_victim = vic.merge(flagged_offenders[["crime_id", "person_id"]], on="crime_id", suffixes=("_v", "_o"))
    assert (per_victim.groupby("person_id_v").person_id_o.nunique() >= 2).any()


def test_small_profile_soc_network_overlaps_the_offenders(small, nominals):
    soc = set(_q(small[0], "SELECT person_id FROM soc_nominals").person_id)
    all_off = set(nominals.person_id[nominals.role_u.isin(["OFFENDER", "SUSPECT", "DEFENDANT"])].dropna())
    assert soc & all_off


@pytest.fixture(scope="module")
def graded_logs(small) -> pd.DataFrame:
    """Intel logs with their nominals, and whether the grading map lets each log in."""
    logs = _q(small[0], "SELECT l.*, n.person_id FROM intel_logs l JOIN intel_log_nominals n USING (log_id)")
    logs["included"] = ((logs.grading_system == "5x5x5") & logs.source_grade.isin(list("ABC"))
                        & logs.information_grade.isin(list("123"))) | ((logs.grading_system == "3x5x2")
                        & (logs.source_grade == "1") & logs.information_grade.isin(list("ABC")))
    return logs


def test_small_profile_has_well_graded_logs_naming_flagged_offenders_by_the_as_of_date(graded_logs,
                                                                                        flagged_offenders):
    logs, included = graded_logs, graded_logs.included
    assert (included & logs.person_id.isin(set(flagged_offenders.person_id)) & (logs.log_date <= AS_OF)).any()


def test_small_profile_has_logs_graded_too_low_to_use(graded_logs):
    assert (~graded_logs.included).any()


def test_small_profile_has_cell_shares_either_side_of_30_days(stays):
    stays = stays.fillna({"stay_end": AS_OF})
    pairs = stays.merge(stays, on=["establishment", "cell_id"])
    pairs = pairs[pairs.person_id_x < pairs.person_id_y]
    ov = (pd.to_datetime(pairs[["stay_end_x", "stay_end_y"]].min(axis=1))
          - pd.to_datetime(pairs[["stay_start_x", "stay_start_y"]].max(axis=1))).dt.days
    assert (ov >= 30).any() and (ov == 29).any() and (ov == 30).any()


def test_wmp_profile_holds_ten_ordinary_crimes_per_csa_crime():
    p = synth.PROFILES["wmp"]
    assert p.non_csa_per_csa >= 10
    assert p.prolific == 11 and p.prolific_crimes == 17
    csa_like = p.singles + p.revict_victims * 2 + p.multi_offender_crimes + p.da_sexual + p.adult_sexual
    assert csa_like > 60_000  # the report's full table has 69,058 crimes
    assert set(synth.PROFILES) == {"small", "wmp"}


def test_scale_multiplies_row_counts(small, tmp_path):
    _, base, _ = small
    big = synth.generate(profile="small", seed=1, out=tmp_path / "x2.sqlite", scale=2.0)
    for table in ("crimes", "crime_nominals", "intel_logs", "pins_cell_stays"):
        ratio = big["tables"][table] / base["tables"][table]
        assert 1.6 < ratio < 2.4, (table, ratio)
    assert big["scale"] == 2.0


def test_bad_arguments_fail_clearly(tmp_path):
    with pytest.raises(ValueError, match="profile"):
        synth.generate(profile="nope", out=tmp_path / "x.sqlite")
    with pytest.raises(ValueError, match="scale"):
        synth.generate(profile="small", out=tmp_path / "x.sqlite", scale=0)


class TestRecovery:
    """The ground-truth check on a hand-built network whose answer is worked out below."""

    def test_precision_recall_and_shares(self):
        from helpers.synth import recovery

        # Planted G1 = {A, B, C}, G2 = {D, E}; victim V is not an offender and is ignored.
        truth = pd.DataFrame({"planted_group_id": ["G1", "G1", "G1", "G1", "G2", "G2"],
                              "person_id": ["A", "B", "C", "V", "D", "E"],
                              "role": ["offender"] * 3 + ["victim"] + ["offender"] * 2})
        # The method found A-B and D-X in the final table; C was never linked.
        final = pd.DataFrame({"offender_a": ["A", "D"], "offender_b": ["B", "X"]})
        # Network group N1 = {A, B, Z} (3 offenders), N2 = {D, E, X, Y} (4 offenders); C and others absent.
        nodes = pd.DataFrame({"person_id": ["A", "B", "Z", "D", "E", "X", "Y"],
                              "group_id": ["N1", "N1", "N1", "N2", "N2", "N2", "N2"],
                              "is_cse_offender": [True] * 7})
        groups = pd.DataFrame({"group_id": ["N1", "N2"], "priority_band": ["high", "low"]})
        summary, per = recovery(truth, final, nodes, groups)
        per = per.set_index("planted_group")
        # G1: best N1 with 2 of its 3 offenders -> precision 2/3, recall 2/3 (C missing)
        assert per.loc["G1", "precision"] == pytest.approx(2 / 3)
        assert per.loc["G1", "recall"] == pytest.approx(2 / 3)
        # G2: best N2 with 2 of 4 offenders -> precision 1/2, recall 2/2
        assert per.loc["G2", "precision"] == pytest.approx(0.5) and per.loc["G2", "recall"] == 1.0
        # A, B, D in the final table out of 5 planted offenders
        assert summary["share_in_final_table"] == pytest.approx(3 / 5)
        # A and B are in the high-priority group N1: 2 of 5
        assert summary["share_in_high_priority_groups"] == pytest.approx(2 / 5)
