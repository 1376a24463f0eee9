"""The command line and the runner's safety: passwords, --out ownership, actionable errors, run log.

Notebook execution is replaced by a fake that writes what papermill would (the executed notebook with
its injected parameters, and a table into out_dir), so these tests are fast and exercise the real
checks, swap and manifest code.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from helpers import cli, runner
from helpers.config import PASSWORD_ENV, ROOT, load_params
from helpers.runner import MARKER, RunError, check_out_dir, read_marker, run

SECRET = "s3cret"
PG_URL = f"postgresql+psycopg://u:{SECRET}@127.0.0.1/x"


def tree_digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def write_notebooks(folder: Path, names=("01_a", "02_b"), declared=("db_url", "out_dir")) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        cell = new_code_cell("\n".join(f"{k} = None" for k in declared))
        cell.metadata["tags"] = ["parameters"]
        nb = new_notebook(cells=[cell, new_code_cell("pass")])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, folder / f"{name}.ipynb")
    return folder


class FakePapermill:
    """Stands in for papermill.execute_notebook: records calls, writes the output like a stage would."""

    def __init__(self, fail_in: str | None = None):
        self.calls: list[dict] = []
        self.fail_in = fail_in

    def __call__(self, input_path, output_path, parameters, **kw):
        self.calls.append({"nb": Path(input_path).stem, "parameters": dict(parameters),
                           "env_password": os.environ.get(PASSWORD_ENV)})
        nb = nbformat.read(input_path, as_version=4)
        nb.cells.insert(1, new_code_cell("\n".join(f"{k} = {v!r}" for k, v in parameters.items())))
        nbformat.write(nb, output_path)
        tables = Path(parameters["out_dir"]) / "tables"
        tables.mkdir(exist_ok=True)
        (tables / f"{Path(input_path).stem}.csv").write_text("a\n1\n")
        if self.fail_in == Path(input_path).stem:
            raise RuntimeError(f"stage broke while reading {parameters.get('db_url')}")


@pytest.fixture
def fake(monkeypatch):
    f = FakePapermill()
    monkeypatch.setattr(runner.pm, "execute_notebook", f)
    return f


@pytest.fixture
def nbs(tmp_path):
    return write_notebooks(tmp_path / "nbs")


def params(out: Path, **extra):
    return load_params(overrides={"db_url": PG_URL, "out_dir": str(out), **extra})


def quiet(m: str) -> None:
    pass


class TestPasswordReachesNoOutput:
    def test_notebooks_get_the_masked_url_and_the_kernel_gets_the_password_by_environment(
            self, tmp_path, fake, nbs, monkeypatch):
        monkeypatch.delenv(PASSWORD_ENV, raising=False)
        run(params(tmp_path / "out"), render=False, say=quiet, notebook_dir=nbs)
        assert [c["parameters"]["db_url"] for c in fake.calls] == ["postgresql+psycopg://u:***@127.0.0.1/x"] * 2
        assert [c["env_password"] for c in fake.calls] == [SECRET, SECRET]
        assert PASSWORD_ENV not in os.environ  # removed after the notebooks

    def test_a_password_already_in_the_environment_is_restored(self, tmp_path, fake, nbs, monkeypatch):
        monkeypatch.setenv(PASSWORD_ENV, "analysts-own")
        run(params(tmp_path / "out"), render=False, say=quiet, notebook_dir=nbs)
        assert os.environ[PASSWORD_ENV] == "analysts-own"

    def test_manifest_parameters_and_command_are_masked(self, tmp_path, fake, nbs, monkeypatch):
        monkeypatch.setattr("sys.argv", ["cse-network", "run", "--db-url", PG_URL, f"--set=db_url={PG_URL}"])
        out = run(params(tmp_path / "out"), render=False, say=quiet, notebook_dir=nbs)
        m = json.loads((out / "manifest.json").read_text())
        assert m["parameters"]["db_url"] == "postgresql+psycopg://u:***@127.0.0.1/x"
        assert m["command"] == ("cse-network run --db-url postgresql+psycopg://u:***@127.0.0.1/x "
                                "--set=db_url=postgresql+psycopg://u:***@127.0.0.1/x")

    def test_the_secret_is_in_no_file_under_out_nor_in_any_message(self, tmp_path, fake, nbs, monkeypatch):
        monkeypatch.setattr("sys.argv", ["cse-network", "run", "--db-url", PG_URL])
        said: list[str] = []
        out = run(params(tmp_path / "out"), render=False, say=said.append, notebook_dir=nbs)
        files = [p for p in out.rglob("*") if p.is_file()]
        assert {p.name for p in files} >= {"manifest.json", "run.log", "01_a.ipynb", MARKER}
        assert not [p for p in files if SECRET.encode() in p.read_bytes()]
        assert said and not [m for m in said if SECRET in m]

    def test_a_failed_run_keeps_the_secret_out_of_the_error_the_log_and_the_kept_notebooks(
            self, tmp_path, monkeypatch, nbs):
        monkeypatch.setattr(runner.pm, "execute_notebook", FakePapermill(fail_in="02_b"))
        with pytest.raises(RunError) as err:
            run(params(tmp_path / "out"), render=False, say=quiet, notebook_dir=nbs)
        assert SECRET not in str(err.value) and "u:***@127.0.0.1" in str(err.value)
        failed = next(tmp_path.glob("out-failed-*"))
        assert not [p for p in failed.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()]
        assert "FAILED: RuntimeError: stage broke" in (failed / "logs" / "run.log").read_text()
        assert PASSWORD_ENV not in os.environ


class TestOutSafety:
    @staticmethod
    def analyst_folder(path: Path) -> Path:
        path.mkdir(parents=True)
        (path / "interview notes.docx").write_bytes(b"\x00 an analyst's document")
        (path / "sub").mkdir()
        (path / "sub" / "map.xlsx").write_bytes(b"x")
        return path

    def refused_and_untouched(self, out: Path, fake, nbs, match: str) -> None:
        before = tree_digest(out) if out.is_dir() else None
        siblings = sorted(p.name for p in out.parent.iterdir())
        with pytest.raises(RunError, match=match):
            run(params(out), render=False, say=quiet, notebook_dir=nbs)
        assert fake.calls == []
        if before is not None:
            assert tree_digest(out) == before
        assert sorted(p.name for p in out.parent.iterdir()) == siblings

    def test_a_folder_with_an_analysts_documents_is_refused_and_untouched(self, tmp_path, fake, nbs):
        out = self.analyst_folder(tmp_path / "casework")
        self.refused_and_untouched(out, fake, nbs, r"already holds 2 item\(s\) \(interview notes\.docx, sub\) "
                                                   r"and is not a cse-network output.*nothing was touched")

    def test_the_working_folder_is_refused(self, tmp_path, fake, nbs, monkeypatch):
        work = self.analyst_folder(tmp_path / "work")
        monkeypatch.chdir(work)
        self.refused_and_untouched(Path(os.path.abspath(".")), fake, nbs, r"is the working folder")

    def test_an_empty_working_folder_is_refused_too(self, tmp_path, fake, nbs, monkeypatch):
        (tmp_path / "empty").mkdir()
        monkeypatch.chdir(tmp_path / "empty")
        self.refused_and_untouched(tmp_path / "empty", fake, nbs, r"is the working folder")

    def test_the_home_folder_is_refused(self, tmp_path, fake, nbs, monkeypatch):
        home = self.analyst_folder(tmp_path / "home")
        monkeypatch.setenv("HOME", str(home))
        self.refused_and_untouched(Path(os.path.expanduser("~")), fake, nbs, r"is your home folder")

    def test_the_project_root_and_its_parents_are_refused(self):
        for folder in (ROOT, ROOT.parent):
            with pytest.raises(RunError, match=r"is the project root.*Nothing was touched"):
                check_out_dir(folder)

    def test_a_file_and_a_symlink_are_refused(self, tmp_path):
        (tmp_path / "f").write_text("x")
        (tmp_path / "real").mkdir()
        (tmp_path / "link").symlink_to(tmp_path / "real")
        with pytest.raises(RunError, match="is a file, not a folder"):
            check_out_dir(tmp_path / "f")
        with pytest.raises(RunError, match="is a symbolic link"):
            check_out_dir(tmp_path / "link")

    def test_new_and_empty_folders_are_accepted_and_get_the_marker(self, tmp_path, fake, nbs):
        (tmp_path / "empty").mkdir()
        for out in (tmp_path / "new" / "deeper", tmp_path / "empty"):
            run(params(out), render=False, say=quiet, notebook_dir=nbs)
            marker = read_marker(out)
            assert marker["tool"] == "cse-network" and re.fullmatch(r"[0-9a-f]{12}", marker["run_id"])
            assert marker["files"] == sorted(["logs/run.log", "manifest.json", "notebooks/01_a.ipynb",
                                              "notebooks/02_b.ipynb", "tables/01_a.csv", "tables/02_b.csv"])

    def test_an_earlier_output_is_replaced_and_no_temporary_folder_is_left(self, tmp_path, fake, nbs):
        out = tmp_path / "out"
        run(params(out), render=False, say=quiet, notebook_dir=nbs)
        (out / "tables" / "01_a.csv").write_text("stale\n")
        run(params(out), render=False, say=quiet, notebook_dir=nbs)
        assert (out / "tables" / "01_a.csv").read_text() == "a\n1\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["nbs", "out"]

    def test_an_earlier_output_with_a_foreign_file_is_refused(self, tmp_path, fake, nbs):
        out = tmp_path / "out"
        run(params(out), render=False, say=quiet, notebook_dir=nbs)
        (out / "tables" / "my notes.txt").write_text("mine")
        fake.calls.clear()
        self.refused_and_untouched(out, fake, nbs, r"also holds 1 file\(s\) no run wrote \(tables/my notes\.txt\)")

    def test_the_swap_deletes_only_what_the_marker_lists(self, tmp_path):
        """A file slipped into the old output after the check survives the swap (the old folder is kept)."""
        out, new = tmp_path / "out", tmp_path / "new"
        for d in (out, new):
            (d / "tables").mkdir(parents=True)
            (d / "tables" / "t.csv").write_text(d.name)
        runner.write_marker(out, "abc")
        runner.write_marker(new, "def")
        (out / "tables" / "late.docx").write_text("analyst")
        kept = runner._swap_in(new, out, "T")
        assert (out / "tables" / "t.csv").read_text() == "new"
        assert kept == tmp_path / ".out.old-T"
        assert tree_digest(kept) == {"tables/late.docx": hashlib.sha256(b"analyst").hexdigest()}

    def test_a_forged_marker_list_cannot_reach_outside_the_old_folder(self, tmp_path):
        victim = tmp_path / "victim.txt"
        victim.write_text("keep me")
        old = tmp_path / "old"
        old.mkdir()
        (old / MARKER).write_text(json.dumps({"tool": "cse-network", "run_id": "x", "files": ["../victim.txt"]}))
        assert runner._remove_own(old) is None
        assert victim.read_text() == "keep me"

    def test_an_unreadable_marker_counts_as_no_marker(self, tmp_path):
        out = tmp_path / "out"
        out.mkdir()
        (out / MARKER).write_text("not json")
        with pytest.raises(RunError, match="is not a cse-network output"):
            check_out_dir(out)

    def test_failed_runs_keep_their_folder_naming_and_never_overwrite_each_other(self, tmp_path, monkeypatch, nbs):
        monkeypatch.setattr(runner.pm, "execute_notebook", FakePapermill(fail_in="01_a"))
        monkeypatch.setattr(runner.time, "strftime", lambda fmt, *a: "20260101T000000")
        for _ in range(2):
            with pytest.raises(RunError, match=r"failed run are kept in .*out-failed-20260101T000000"):
                run(params(tmp_path / "out"), render=False, say=quiet, notebook_dir=nbs)
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            "nbs", "out-failed-20260101T000000", "out-failed-20260101T000000-2"]


class TestRunLogAndSummary:
    def test_the_log_has_stamped_progress_masked_parameters_and_timings(self, tmp_path, fake, nbs):
        out = run(params(tmp_path / "out"), render=False, say=quiet, notebook_dir=nbs)
        lines = (out / "logs" / "run.log").read_text().splitlines()
        assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ", line) for line in lines)
        text = "\n".join(lines)
        assert '"db_url": "postgresql+psycopg://u:***@127.0.0.1/x"' in text
        assert "[1/2] 01_a ..." in text and "[2/2] 02_b ..." in text and "Timings (s):" in text
        assert f"log:        {out / 'logs' / 'run.log'}" in text

    def test_the_end_says_where_every_output_is(self, tmp_path, fake, nbs):
        said: list[str] = []
        out = tmp_path / "out"
        run(params(out), render=False, say=said.append, notebook_dir=nbs)
        tail = said[said.index(next(m for m in said if m.startswith("Done in"))) + 1:]
        assert tail == [f"  tables:     {out / 'tables'}", f"  notebooks:  {out / 'notebooks'}",
                        f"  manifest:   {out / 'manifest.json'}", f"  log:        {out / 'logs' / 'run.log'}"]


class TestCompareWith:
    def test_notebooks_that_declare_compare_with_get_it_as_a_path_or_none(self, tmp_path, fake):
        nbs = write_notebooks(tmp_path / "nbs", names=("01_a",), declared=("db_url", "out_dir", "compare_with"))
        prev = run(params(tmp_path / "prev"), render=False, say=quiet, notebook_dir=nbs)
        run(params(tmp_path / "next", compare_with=str(prev)), render=False, say=quiet, notebook_dir=nbs)
        assert [c["parameters"]["compare_with"] for c in fake.calls] == [None, str(prev)]

    def test_a_folder_that_is_not_an_earlier_output_is_refused(self, tmp_path, fake, nbs):
        (tmp_path / "docs").mkdir()
        with pytest.raises(RunError, match=r"--compare-with .*docs is not a cse-network output folder"):
            run(params(tmp_path / "out", compare_with=str(tmp_path / "docs")), say=quiet, notebook_dir=nbs)
        with pytest.raises(RunError, match=r"--compare-with .*nowhere does not exist"):
            run(params(tmp_path / "out", compare_with=str(tmp_path / "nowhere")), say=quiet, notebook_dir=nbs)
        assert fake.calls == [] and not (tmp_path / "out").exists()


class TestCommandLine:
    def cli_error(self, capsys, *argv) -> str:
        with pytest.raises(SystemExit) as exc:
            cli.main(list(argv))
        assert exc.value.code == 2
        return capsys.readouterr().err

    def test_a_mistyped_subcommand_gets_did_you_mean(self, capsys):
        err = self.cli_error(capsys, "rnu")
        assert "cse-network: error: 'rnu' is not a subcommand. Did you mean 'run'?" in err
        assert "See `cse-network --help`." in err

    def test_a_mistyped_option_is_blamed_on_the_command_line(self, capsys):
        err = self.cli_error(capsys, "run", "--ot", "x")
        assert "cse-network run: error: unrecognized option '--ot'. Did you mean '--out'?" in err
        err = self.cli_error(capsys, "run", "--db-ulr=sqlite:///x.sqlite")
        assert "unrecognized option '--db-ulr'. Did you mean '--db-url'?" in err

    def test_a_stray_word_is_explained(self, capsys):
        assert "unexpected argument 'output'" in self.cli_error(capsys, "run", "output")

    def test_a_mistyped_set_name_fails_before_anything_runs(self, capsys, tmp_path):
        assert cli.main(["run", "--set", "nmae=1", "--out", str(tmp_path / "o")]) == 1
        err = capsys.readouterr().err
        assert err.startswith("cse-network: error: --set nmae=...: 'nmae' is not a parameter.")
        assert not (tmp_path / "o").exists()

    @pytest.mark.parametrize("given", ["data/x.sqlite", "/tmp/x.sqlite"])
    def test_a_plain_path_as_db_url_suggests_sqlite(self, capsys, tmp_path, monkeypatch, given):
        monkeypatch.chdir(tmp_path)
        assert cli.main(["run", "--db-url", given, "--out", str(tmp_path / "o")]) == 1
        expected = given if given.startswith("/") else f"{tmp_path}/{given}"
        assert f"write sqlite:///{expected} " in capsys.readouterr().err

    def test_a_missing_sqlite_file_is_refused_before_anything_runs_and_nothing_is_created(
            self, capsys, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        before = sorted(tmp_path.iterdir())
        assert cli.main(["run", "--db-url", "sqlite:///missing.sqlite", "--out", "o"]) == 1
        err = capsys.readouterr().err
        assert f"The source database {tmp_path}/missing.sqlite does not exist; nothing was run or created." in err
        assert sorted(tmp_path.iterdir()) == before

    def test_command_line_paths_resolve_from_the_working_folder(self, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        seen = {}
        monkeypatch.setattr(runner, "run", lambda p, **kw: seen.setdefault("p", p))
        (tmp_path / "mine.yml").write_text("seed: 3\n")
        assert cli.main(["run", "--db-url", "sqlite:///f.sqlite", "--out", "o", "--params", "mine.yml",
                         "--compare-with", "prev"]) == 0
        p = seen["p"]
        assert (p.db_url, p.out_dir, p.compare_with, p.seed) == (
            f"sqlite:///{tmp_path}/f.sqlite", f"{tmp_path}/o", f"{tmp_path}/prev", 3)

    def test_a_refused_out_prints_its_absolute_path(self, capsys, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        (tmp_path / "docs").mkdir()
        (tmp_path / "docs" / "a.txt").write_text("x")
        assert cli.main(["run", "--db-url", "sqlite:///:memory:", "--out", "docs"]) == 1
        assert f"--out {tmp_path}/docs already holds 1 item(s) (a.txt)" in capsys.readouterr().err

    def test_version_prints_the_package_version(self, capsys):
        from importlib import metadata
        with pytest.raises(SystemExit) as exc:
            cli.main(["--version"])
        assert exc.value.code == 0
        assert capsys.readouterr().out.strip() == f"cse-network {metadata.version('cse-network')}"

    @pytest.mark.parametrize("command", ["synth", "run", "render"])
    def test_every_subcommand_help_lists_every_option_with_examples_and_exit_status(self, capsys, command):
        parser = cli._parser()
        sub = parser._cse_subparsers[command]
        with pytest.raises(SystemExit):
            cli.main([command, "--help"])
        text = capsys.readouterr().out
        for action in sub._actions:
            for opt in action.option_strings:
                assert opt in text
            if action.help and action.default not in (None, False, [], "==SUPPRESS==") and action.option_strings:
                assert "default" in action.help, f"{command} {action.option_strings} does not give its default"
        assert "example" in text and "exit status:" in text and "130" in text

    def test_render_refuses_a_folder_that_is_not_an_output(self, capsys, tmp_path):
        assert cli.main(["render", "--out", str(tmp_path)]) == 1
        assert f"{tmp_path} is not a cse-network output folder" in capsys.readouterr().err
