"""Run the stage notebooks in order with papermill, then export, record and render.

The run works in a sibling temporary folder and swaps it in only when every
notebook has succeeded, so a failed run leaves the previous complete output
exactly as it was; the failed notebooks (and the run log) are kept in a clearly
named folder for diagnosis.

Output-folder ownership (docs/adr/0011): every successful output carries a
marker file, ``.cse-network-output``, that lists the files the run wrote. The
runner refuses an ``--out`` that exists and is neither empty nor such an output,
and when it replaces an earlier output it deletes only the files that output's
marker lists, so nothing it did not write is ever removed.

Secrets: the notebooks, the manifest, the run log and every message get the
database URL with its password masked; the real password reaches the notebook
kernel only through the environment variable ``config.PASSWORD_ENV``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import IO

import papermill as pm

from . import progress, synth
from .config import (
    NOTEBOOK_DIR,
    PASSWORD_ENV,
    ROOT,
    SYNTH_DIR,
    Params,
    mask_text,
    mask_url,
    resolve_path,
    sqlite_path,
    url_password,
)

PACKAGES = ["pandas", "numpy", "pyarrow", "networkx", "igraph", "duckdb", "plotnine", "papermill",
            "nbval", "sqlalchemy", "pydantic", "pyyaml", "pypandoc_binary", "ipykernel", "psycopg"]

#: Marker file every successful output folder carries (JSON: tool, run id, files written).
MARKER = ".cse-network-output"
LOG_FILE = Path("logs") / "run.log"


class RunError(RuntimeError):
    """A run failed; the message says where, why, and what was kept."""


# --------------------------------------------------------------------------- output-folder ownership

def written_files(folder: Path) -> list[str]:
    """Every file under `folder` (relative, '/'-separated, sorted), the marker itself excepted."""
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        base = Path(dirpath)
        # a symlink to a folder is listed as a file (os.walk does not enter it), so it is never followed
        names = filenames + [d for d in dirnames if (base / d).is_symlink()]
        for name in names:
            rel = (base / name).relative_to(folder).as_posix()
            if rel != MARKER:
                out.append(rel)
    return sorted(out)


def read_marker(folder: Path) -> dict | None:
    """The marker of a cse-network output folder, or None when `folder` is not one.

    A marker that cannot be read as the runner writes it counts as no marker: the folder's
    contents are then not known to be ours.
    """
    f = folder / MARKER
    if not f.is_file() or f.is_symlink():
        return None
    try:
        data = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict) or data.get("tool") != "cse-network" or not isinstance(data.get("files"), list):
        return None
    return data


def is_output(folder: Path) -> bool:
    return folder.is_dir() and not folder.is_symlink() and read_marker(folder) is not None


def write_marker(folder: Path, run_id: str, files: list[str] | None = None) -> None:
    """Record `folder` as a cse-network output of `run_id`, listing the files the run wrote."""
    listed = files if files is not None else written_files(folder)
    data = {"tool": "cse-network", "run_id": run_id, "files": sorted(listed)}
    (folder / MARKER).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def add_to_marker(folder: Path, new_files: list[str]) -> None:
    """Add files a later command (e.g. `render`) wrote into an existing output to its marker."""
    data = read_marker(folder)
    if data is None:
        raise RunError(f"{folder} is not a cse-network output folder (no readable {MARKER}).")
    write_marker(folder, data["run_id"], sorted(set(data["files"]) | set(new_files)))


def _listing(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _protected(out: Path) -> str | None:
    """Why `out` may never be an output folder (it would be replaced as a whole), or None."""
    cwd = Path.cwd().resolve()
    home = Path.home().resolve()
    real = out.resolve()
    if real == Path(real.anchor):
        return "is the root of the file system"
    if real == home:
        return "is your home folder"
    if real == ROOT.resolve() or real in ROOT.resolve().parents:
        return "is the project root (or a folder that holds it)"
    if real == cwd or real in cwd.parents:
        return "is the working folder (or a folder that holds it)"
    return None


def check_out_dir(out: Path) -> None:
    """Refuse an output folder the run could not replace without deleting what it did not write."""
    what_to_do = "Choose a new or empty folder for --out, e.g. --out " + str(Path.cwd().resolve() / "output-new") + "."
    why = _protected(out)
    if why:
        raise RunError(f"--out {out} {why}: a run replaces its output folder as a whole, so it must be a "
                       f"folder of its own. Nothing was touched. {what_to_do}")
    if out.is_symlink():
        raise RunError(f"--out {out} is a symbolic link (to {os.readlink(out)}); nothing was touched. "
                       f"Give the real folder, or {what_to_do[0].lower() + what_to_do[1:]}")
    if not out.exists():
        return
    if not out.is_dir():
        raise RunError(f"--out {out} is a file, not a folder; nothing was touched. {what_to_do}")
    entries = sorted(p.name for p in out.iterdir())
    if not entries:
        return
    marker = read_marker(out)
    if marker is None:
        raise RunError(
            f"--out {out} already holds {len(entries)} item(s) ({_listing(entries)}) and is not a cse-network "
            f"output folder (it has no {MARKER} marker). A run never deletes what it did not write, so "
            f"nothing was touched. {what_to_do} If it is an output of an older cse-network version, "
            "delete it yourself first.")
    foreign = sorted(set(written_files(out)) - set(marker["files"]))
    if foreign:
        raise RunError(
            f"--out {out} is an earlier cse-network output (run {marker.get('run_id')}), but it also holds "
            f"{len(foreign)} file(s) no run wrote ({_listing(foreign)}). Replacing it would delete them, so "
            f"nothing was touched. Move them elsewhere, or {what_to_do[0].lower() + what_to_do[1:]}")


def check_compare_with(path: str | None) -> None:
    """`compare_with` must name an earlier cse-network output folder."""
    if path is None:
        return
    p = resolve_path(path)
    if not p.exists():
        raise RunError(f"--compare-with {p} does not exist. Give the folder of an earlier run "
                       "(the --out of that run).")
    if not is_output(p):
        raise RunError(f"--compare-with {p} is not a cse-network output folder (no {MARKER} marker). "
                       "Give the --out folder of an earlier successful run.")


def check_source(params: Params) -> None:
    """Refuse a SQLite source that is missing or a folder before anything runs (nothing is created)."""
    path = sqlite_path(params.db_url)
    if path is None:
        return
    if path.is_dir():
        raise RunError(f"--db-url names {path}, which is a folder, not a SQLite database file. "
                       "Point --db-url at the database file, e.g. sqlite:///" + str(path / "force.sqlite") + ".")
    if not path.exists() and not _is_default_synthetic(path):
        raise RunError(f"The source database {path} does not exist; nothing was run or created. Check the "
                       f"path in --db-url (relative paths on the command line start from the working folder), "
                       f"or generate a synthetic force with `cse-network synth --profile small --out {path}`.")


def _is_default_synthetic(path: Path) -> bool:
    return path.parent.resolve() == SYNTH_DIR.resolve() and path.stem in synth.PROFILES and path.suffix == ".sqlite"


def _remove_own(folder: Path) -> Path | None:
    """Delete an earlier output: only the files its marker lists, then emptied folders.

    Returns the folder if anything it did not list is left in it (it is then kept), else None.
    """
    marker = read_marker(folder)
    root = folder.resolve()
    for rel in (marker or {}).get("files", []):
        f = folder / rel
        try:
            inside = f.parent.resolve() == root or root in f.parent.resolve().parents
        except OSError:
            continue
        if inside and (f.is_symlink() or f.is_file()):
            f.unlink()
    if marker is not None:
        (folder / MARKER).unlink(missing_ok=True)
    for dirpath, _, _ in sorted(os.walk(folder, topdown=False), key=lambda w: -len(w[0])):
        d = Path(dirpath)
        if not d.is_symlink() and not any(d.iterdir()):
            d.rmdir()
    return folder if folder.exists() else None


def _unique(path: Path) -> Path:
    n, candidate = 1, path
    while candidate.exists() or candidate.is_symlink():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


# --------------------------------------------------------------------------- run log

class RunLog:
    """Every progress line, masked, to the screen (via `say`) and with a UTC time stamp to OUT/logs/run.log."""

    def __init__(self, say: Callable[[str], None], secrets: list[str]) -> None:
        self.say, self.secrets = say, [s for s in secrets if s]
        self.pending: list[str] = []
        self.file: IO[str] | None = None

    def mask(self, text: str) -> str:
        return mask_text(text, self.secrets)

    def open(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file = path.open("a", encoding="utf-8")
        for line in self.pending:
            self.file.write(line)
        self.pending.clear()
        self.file.flush()

    def __call__(self, msg: str, show: bool = True) -> None:
        msg = self.mask(msg)
        if show:
            self.say(msg)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines = "".join(f"{stamp} {line}\n" for line in (msg.splitlines() or [""]))
        if self.file is None:
            self.pending.append(lines)
        else:
            self.file.write(lines)
            self.file.flush()

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


def notebooks(folder: Path = NOTEBOOK_DIR) -> list[Path]:
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def declared_parameters(nb: Path) -> list[str]:
    return list(pm.inspect_notebook(str(nb)).keys())


class _WarningCatcher(logging.Handler):
    """papermill only *warns* about a mistyped parameters tag; we refuse to run on."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def git_commit() -> dict:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    commit = git("rev-parse", "HEAD") or "unknown"
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    return {"commit": commit, "dirty": dirty}


def versions() -> dict:
    out = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


def ensure_default_database(params: Params, say: Callable[[str], None]) -> None:
    """Generate the embedded synthetic database the first time it is needed."""
    path = sqlite_path(params.db_url)
    if path is None or path.exists():
        return
    if _is_default_synthetic(path):
        say(f"Synthetic database {path} is missing: generating profile '{path.stem}' (seed 1) ...")
        synth.generate(profile=path.stem, seed=1, out=path, progress=lambda m: say("  " + m))


def notebook_values(params: Params, out_dir: Path) -> dict:
    """The parameters every notebook may declare: db_url with its password masked, out_dir the work folder."""
    return params.for_notebook() | {"db_url": mask_url(params.db_url), "out_dir": str(out_dir)}


def output_summary(out: Path, present: Path | None = None) -> list[str]:
    """Where every output of a finished run is (`present`: the folder to look in, if not yet `out`)."""
    look = present or out
    rows = [("tables", "tables"), ("report", "report.html"), ("notebooks", "notebooks"),
            ("restricted", "restricted"), ("exports", "exports"), ("manifest", "manifest.json"),
            ("log", str(LOG_FILE))]
    return [f"  {label + ':':<11} {out / rel}" for label, rel in rows if (look / rel).exists()]


def _checked_parameters(nb: Path, values: dict) -> list[str]:
    """The parameters `nb` declares, after checking it has exactly one 'parameters' cell and
    declares nothing that config/params.yml does not define (RunError otherwise)."""
    tagged = sum("parameters" in c.get("metadata", {}).get("tags", [])
                 for c in json.loads(nb.read_text())["cells"])
    if tagged != 1:
        raise RunError(
            f"{nb.name} has {tagged} cells tagged 'parameters' (it needs exactly one): with none, "
            "papermill would silently run the notebook's own defaults. Fix the cell's tag.")
    declared = declared_parameters(nb)
    unknown = [k for k in declared if k not in values]
    if unknown:
        raise RunError(f"{nb.name} declares parameter(s) {unknown} that config/params.yml does not define.")
    return declared


def run(params: Params, render: bool = True, say: Callable[[str], None] = print,
        fail_after: str | None = None, keep_work: bool = False, notebook_dir: Path = NOTEBOOK_DIR) -> Path:
    """Execute every notebook into a temporary folder, then swap it into params.out_dir.

    Refuses, before anything is created, an out_dir that is not empty and not an earlier
    cse-network output, a compare_with that is not an earlier output, and a SQLite source that
    does not exist. `fail_after` names a notebook after which the run is made to fail: the
    failure-safety test uses it, so the swap logic is exercised for real.
    `keep_work` keeps the stage hand-offs (OUT/work) for diagnosis and benchmarks.
    """
    t_start = time.time()
    secret = url_password(params.db_url)
    log = RunLog(say, [secret] if secret else [])
    out = Path(os.path.abspath(resolve_path(params.out_dir)))
    try:
        check_out_dir(out)
        check_compare_with(params.compare_with)
        check_source(params)
    except RunError as exc:
        raise RunError(log.mask(str(exc))) from None
    ensure_default_database(params, log)
    out.parent.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-{stamp}-", dir=out.parent))
    (tmp / "notebooks").mkdir()
    log.open(tmp / LOG_FILE)
    values = notebook_values(params, tmp)
    log(f"cse-network run into {out} (working in {tmp})", show=False)
    log("Parameters: " + json.dumps({k: v for k, v in values.items() if k != "out_dir"}, sort_keys=True), show=False)
    timings: dict[str, float] = {}
    catcher = _WarningCatcher()
    pm_logger = logging.getLogger("papermill")
    pm_logger.addHandler(catcher)
    previous_env = os.environ.get(PASSWORD_ENV)
    try:
        nbs = notebooks(notebook_dir)
        if not nbs:
            raise RunError(f"No notebooks found in {notebook_dir}.")
        if secret:
            os.environ[PASSWORD_ENV] = secret  # inherited by the kernel papermill starts; removed below
        os.environ[progress.ENV] = str(tmp / "work" / "progress.log")  # the kernels' progress lines (Tail)
        for i, nb in enumerate(nbs, 1):
            declared = _checked_parameters(nb, values)
            log(f"[{i}/{len(nbs)}] {nb.stem} ...")
            t0 = time.time()
            try:
                with progress.Tail(tmp / "work" / "progress.log", lambda line: log("      " + line)):
                    pm.execute_notebook(
                        str(nb), str(tmp / "notebooks" / nb.name),
                        parameters={k: values[k] for k in declared},
                        kernel_name="python3", cwd=str(ROOT), progress_bar=False, log_output=False,
                        extra_arguments=["--IPKernelApp.log_level=CRITICAL"],  # no TCP-transport banner or noise
                    )
            except pm.PapermillExecutionError as exc:
                raise RunError(
                    f"Notebook {nb.name} failed at cell {exc.exec_count or exc.cell_index}: "
                    f"{exc.ename}: {exc.evalue}"
                ) from None
            if catcher.messages:
                raise RunError(f"papermill warned while running {nb.name}: {catcher.messages[0]}")
            timings[nb.stem] = round(time.time() - t0, 2)
            log(f"      done in {timings[nb.stem]:.1f} s")
            if fail_after == nb.stem:
                raise RunError(f"Simulated failure after {nb.name} (fail_after={fail_after!r}).")
        _restore_env(previous_env)
        manifest = build_manifest(params, tmp, timings)
        if render:
            from . import report
            log("Rendering report.html ...")
            t0 = time.time()
            report.render(tmp, manifest)
            timings["render"] = round(time.time() - t0, 2)
            log(f"      done in {timings['render']:.1f} s")
        timings["total"] = round(time.time() - t_start, 2)
        manifest["timings_seconds"] = timings
        write_manifest(tmp, manifest)
        if not keep_work:
            shutil.rmtree(tmp / "work", ignore_errors=True)
        log(f"Timings (s): {json.dumps(timings)}", show=False)
        log(f"Done in {timings['total']:.0f} s. Outputs are in {out}:")
        for line in output_summary(out, present=tmp):
            log(line)
        log.close()
        write_marker(tmp, manifest["run_id"])
    except BaseException as exc:
        _restore_env(previous_env)
        failed = _unique(out.parent / f"{out.name}-failed-{stamp}")
        msg = str(exc) if isinstance(exc, RunError) else f"{type(exc).__name__}: {exc}"
        msg = log.mask(msg)
        log(f"FAILED: {msg}", show=False)
        if not isinstance(exc, RunError):
            log(log.mask(traceback.format_exc()), show=False)
        log.close()
        if tmp.exists():
            tmp.rename(failed)
        raise RunError(
            f"{msg} The previous output in {out} is untouched; the executed notebooks of this "
            f"failed run are kept in {failed}/notebooks and its log in {failed / LOG_FILE} for diagnosis."
        ) from (exc if isinstance(exc, RunError) else None)
    finally:
        pm_logger.removeHandler(catcher)
        log.close()
    kept = _swap_in(tmp, out, stamp)
    if kept is not None:
        say(f"Note: the previous output was replaced, but {kept} still holds files no run wrote; "
            "it was kept for you to check and delete.")
    return out


def _restore_env(previous: str | None) -> None:
    os.environ.pop(progress.ENV, None)
    if previous is None:
        os.environ.pop(PASSWORD_ENV, None)
    else:
        os.environ[PASSWORD_ENV] = previous


def _swap_in(tmp: Path, out: Path, stamp: str = "") -> Path | None:
    """Replace out with tmp; the old copy loses only what its marker lists, after the rename succeeded.

    Returns the old folder if it had to be kept (it held files no run wrote), else None.
    """
    old = None
    if out.exists():
        old = _unique(out.parent / f".{out.name}.old-{stamp or time.strftime('%Y%m%dT%H%M%S')}")
        out.rename(old)
    tmp.rename(out)
    return _remove_own(old) if old is not None else None


def build_manifest(params: Params, run_dir: Path, timings: dict) -> dict:
    """Provenance: parameters, input hashes and counts, versions, commit.

    The run id is a hash of everything that determines the tables, so two
    runs on the same data and parameters share it. The database URL and the
    recorded command carry no password.
    """
    inputs_file = run_dir / "work" / "extraction" / "inputs.json"
    inputs = json.loads(inputs_file.read_text()) if inputs_file.exists() else {}
    p = params.for_notebook()
    p.pop("out_dir")
    p["db_url"] = mask_url(p["db_url"])
    secret = url_password(params.db_url)
    git = git_commit()
    key = json.dumps({"params": p, "inputs": inputs, "commit": git["commit"]}, sort_keys=True)
    argv = [mask_text(a, [secret] if secret else []) for a in sys.argv[1:]]
    return {
        "run_id": hashlib.sha256(key.encode()).hexdigest()[:12],
        "parameters": p,
        "inputs": inputs,
        "versions": versions(),
        "git": git,
        "command": " ".join(Path(sys.argv[0]).name.split() + argv),
        "tables": sorted(f.name for f in (run_dir / "tables").glob("*.csv")),
    }


def write_manifest(run_dir: Path, manifest: dict) -> None:
    (run_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def refresh_notebooks(say: Callable[[str], None] = print) -> None:
    """Re-execute notebooks/ in place with their own defaults (the small profile).

    These saved outputs are what nbval compares against in CI, so refresh
    them after any change that alters what a notebook shows.
    """
    for nb in notebooks():
        say(f"refreshing {nb.name} ...")
        pm.execute_notebook(str(nb), str(nb), kernel_name="python3", cwd=str(ROOT), progress_bar=False,
                            extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
