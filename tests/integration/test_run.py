"""`cse-network run` end to end on the small synthetic profile: outputs, reproducibility, failure safety."""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from helpers import runner
from helpers.config import ROOT, SMALL_DB, load_params
from helpers.runner import RunError, run

pytestmark = pytest.mark.slow

CONTRACT_COLUMNS = {
    "full_table": ["crime_id", "offender_id", "victim_id", "crime_date", "ho_offence_code", "offence_title",
                   "offender_age", "victim_age", "offender_sex", "victim_sex", "offender_ethnicity",
                   "victim_ethnicity", "matched_rules"],
    "final_table": ["offender_a", "crime_a", "offender_b", "crime_b", "n_shared_victims", "weight"],
    "network_edges": ["person_a", "person_b", "source", "weight", "n_links"],
    "network_nodes": ["person_id", "group_id", "is_cse_offender", "in_soc_network", "degree", "centrality",
                      "harm_cchi", "harm_ons", "dismantle_rank"],
    "network_groups": ["group_id", "n_people", "harm_cchi", "harm_ons", "priority_rank", "priority_band"],
    "exclusions": ["stage", "rule", "rows_in", "rows_excluded", "rows_out"],
    "edge_evidence": ["person_a", "person_b", "source", "evidence_id"],
    "review_sample": ["sampled_for", "crime_id", "offence_title", "mo_text"],
}


def small_params(out: Path, **extra):
    if not SMALL_DB.exists():
        pytest.fail(f"{SMALL_DB} is missing: `make test` generates it first (cse-network synth --profile small)")
    return load_params(overrides={"db_url": f"sqlite:///{SMALL_DB}", "out_dir": str(out), **extra})


def tree_digest(root: Path, pattern: str = "**/*") -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.glob(pattern)) if p.is_file()}


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "output"
    run(small_params(out), render=True, say=lambda m: None)
    return out


class TestOutputs:
    def test_every_contract_table_is_written_as_csv_and_parquet(self, finished_run):
        for name, cols in CONTRACT_COLUMNS.items():
            csv = pd.read_csv(finished_run / "tables" / f"{name}.csv")
            parquet = pd.read_parquet(finished_run / "tables" / f"{name}.parquet")
            assert list(csv.columns) == list(parquet.columns)
            assert set(cols) <= set(csv.columns), f"{name} lacks {set(cols) - set(csv.columns)}"
            assert len(csv) == len(parquet)

    def test_the_small_profile_exercises_every_link_source(self, finished_run):
        edges = pd.read_parquet(finished_run / "tables" / "network_edges.parquet")
        assert set(edges["source"]) == {"crime", "intel", "pins", "soc"}
        assert (edges["person_a"] < edges["person_b"]).all()
        final = pd.read_parquet(finished_run / "tables" / "final_table.parquet")
        assert len(final) > 0 and final["weight"].between(0, 1, inclusive="right").all()

    def test_exclusions_balance_and_cover_each_stage(self, finished_run):
        ex = pd.read_parquet(finished_run / "tables" / "exclusions.parquet")
        assert (ex["rows_in"] == ex["rows_out"] + ex["rows_excluded"]).all()
        assert {"extraction", "selection", "full_table", "linking"} <= set(ex["stage"])

    def test_full_table_rows_are_children_and_responsible_offenders(self, finished_run):
        ft = pd.read_parquet(finished_run / "tables" / "full_table.parquet")
        assert ft["victim_age"].between(0, 17).all()
        assert (ft["offender_age"].dropna() >= 10).all()
        assert not ft.duplicated(["crime_id", "offender_id", "victim_id"]).any()

    def test_manifest_records_parameters_inputs_versions_commit(self, finished_run):
        m = json.loads((finished_run / "manifest.json").read_text())
        assert m["parameters"]["as_of"] == "2021-03-15"
        assert m["inputs"]["crimes"]["rows_read"] > 0 and len(m["inputs"]["crimes"]["sha256"]) == 64
        assert m["versions"]["pandas"] and m["git"]["commit"]
        assert set(m["timings_seconds"]) >= {"01_extraction", "05_harm_ranking", "render", "total"}

    def test_executed_notebooks_and_report_are_kept_and_work_files_are_not(self, finished_run):
        assert len(list((finished_run / "notebooks").glob("*.ipynb"))) == len(runner.notebooks())
        assert (finished_run / "report.html").stat().st_size > 10_000
        assert not (finished_run / "work").exists()


def test_same_inputs_give_byte_identical_tables_and_manifest(finished_run, tmp_path):
    again = tmp_path / "again"
    run(small_params(again), render=True, say=lambda m: None)
    assert tree_digest(finished_run, "tables/*") == tree_digest(again, "tables/*")
    a, b = (json.loads((d / "manifest.json").read_text()) for d in (finished_run, again))
    a.pop("timings_seconds"), b.pop("timings_seconds")
    assert a == b


class TestFailureSafety:
    def test_a_failing_notebook_leaves_the_previous_output_untouched(self, finished_run, tmp_path):
        out = tmp_path / "output"
        shutil.copytree(finished_run, out)
        before = tree_digest(out)
        with pytest.raises(RunError, match=r"02_filtering.*previous output in .* is untouched") as err:
            run(small_params(out), render=False, say=lambda m: None, fail_after="02_filtering")
        assert tree_digest(out) == before
        failed = [p for p in tmp_path.iterdir() if p.name.startswith("output-failed-")]
        assert len(failed) == 1 and (failed[0] / "notebooks" / "02_filtering.ipynb").exists()
        assert str(failed[0]) in str(err.value)

    def test_bad_source_data_names_notebook_table_and_column(self, finished_run, tmp_path):
        import sqlite3
        bad = tmp_path / "bad.sqlite"
        shutil.copy(SMALL_DB, bad)
        with sqlite3.connect(bad) as con:
            con.execute("UPDATE crimes SET committed_from = '31/12/2019' WHERE rowid = 1")
        out = tmp_path / "output"
        shutil.copytree(finished_run, out)
        before = tree_digest(out)
        with pytest.raises(RunError) as err:
            run(small_params(out, db_url=f"sqlite:///{bad}"), render=False, say=lambda m: None)
        msg = str(err.value)
        assert "01_extraction" in msg and "'crimes'" in msg and "'committed_from'" in msg and "31/12/2019" in msg
        assert tree_digest(out) == before


class TestCommandLine:
    def cli(self, *args):
        return subprocess.run([sys.executable, "-m", "helpers.cli", *args], capture_output=True, text=True)

    @pytest.mark.parametrize("cmd", [[], ["synth"], ["run"], ["render"]])
    def test_help_is_complete(self, cmd):
        res = self.cli(*cmd, "--help")
        assert res.returncode == 0 and "usage: cse-network" in res.stdout

    def test_run_help_lists_every_contract_option(self):
        out = self.cli("run", "--help").stdout
        for opt in ("--params", "--db-url", "--as-of", "--out", "--no-render", "--set"):
            assert opt in out

    def test_bad_parameter_exits_non_zero_with_a_one_paragraph_reason(self, tmp_path):
        res = self.cli("run", "--as-of", "2021-13-45", "--out", str(tmp_path / "o"))
        assert res.returncode != 0
        assert res.stderr.startswith("cse-network: error:") and "as_of" in res.stderr
        assert "Traceback" not in res.stderr


def test_a_mistyped_parameters_tag_fails_the_run(tmp_path):
    """A mistyped `parameters` tag would let papermill run the notebook's own defaults; the run refuses."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    folder = tmp_path / "nbs"
    folder.mkdir()
    cell = new_code_cell('out_dir = "x"')
    cell.metadata["tags"] = ["parameter"]  # typo: papermill warns and would run with the defaults
    nb = new_notebook(cells=[cell, new_code_cell("print(out_dir)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / "01_typo.ipynb")
    out = tmp_path / "output"
    with pytest.raises(RunError, match=r"01_typo\.ipynb has 0 cells tagged 'parameters'"):
        run(small_params(out), render=False, say=lambda m: None, notebook_dir=folder)
    assert not out.exists()


def test_planted_groups_are_recovered_above_a_floor(finished_run):
    """Issue 6 ground truth on the small profile: floors set well under what the method achieves."""
    from helpers.store import read_table
    from helpers.synth import recovery

    truth = pd.read_csv(SMALL_DB.with_suffix(".truth.csv"), dtype=str)
    summary, per = recovery(truth, read_table(finished_run, "final_table"), read_table(finished_run, "network_nodes"),
                            read_table(finished_run, "network_groups"))
    assert summary["planted_groups"] >= 3
    assert summary["share_in_final_table"] >= 0.9
    assert summary["median_recall"] >= 0.8
    assert summary["median_precision"] >= 0.5
    assert summary["share_in_high_priority_groups"] >= 0.5


def test_speed_changes_leave_every_answer_byte_identical(finished_run):
    """Every table and export of the small profile has the bytes recorded in answers_small.json.

    Not a correctness check (hand-worked unit tests are): it proves a speed change moved
    nothing. A change meant to alter answers re-records them (scripts/record_answers.py --update).
    """
    sys.path.insert(0, str(ROOT / "scripts"))
    import record_answers
    diff = record_answers.changed(record_answers.digest(finished_run), record_answers.recorded())
    assert diff == [], f"answers changed: {diff}; if meant, run scripts/record_answers.py --update"
