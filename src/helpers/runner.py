"""Run the stage notebooks in order with papermill, then export, record and render.

The run works in a sibling temporary folder and swaps it in only when every
notebook has succeeded, so a failed run leaves the previous complete output
exactly as it was; the failed notebooks are kept in a clearly named folder
for diagnosis.
"""
from __future__ import annotations

import hashlib
import json
import logging
import platform
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Callable

import papermill as pm

from . import synth
from .config import NOTEBOOK_DIR, ROOT, SYNTH_DIR, Params, resolve_path, sqlite_path

PACKAGES = ["pandas", "numpy", "pyarrow", "networkx", "igraph", "duckdb", "plotnine", "papermill",
            "nbval", "sqlalchemy", "pydantic", "pyyaml", "pypandoc_binary", "ipykernel"]


class RunError(RuntimeError):
    """A run failed; the message says where, why, and what was kept."""


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
    if path.parent.resolve() == SYNTH_DIR.resolve() and path.stem in synth.PROFILES:
        say(f"Synthetic database {path.name} is missing: generating profile '{path.stem}' (seed 1) ...")
        synth.generate(profile=path.stem, seed=1, out=path, progress=lambda m: say("  " + m))


def run(params: Params, render: bool = True, say: Callable[[str], None] = print,
        fail_after: str | None = None, keep_work: bool = False, notebook_dir: Path = NOTEBOOK_DIR) -> Path:
    """Execute every notebook into a temporary folder, then swap it into params.out_dir.

    `fail_after` names a notebook after which the run is made to fail: the
    failure-safety test uses it, so the swap logic is exercised for real.
    `keep_work` keeps the stage hand-offs (OUT/work) for diagnosis and benchmarks.
    """
    t_start = time.time()
    ensure_default_database(params, say)
    out = resolve_path(params.out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    tmp = out.parent / f".{out.name}.partial-{stamp}"
    if tmp.exists():
        shutil.rmtree(tmp)
    (tmp / "notebooks").mkdir(parents=True)
    values = params.for_notebook() | {"out_dir": str(tmp)}
    timings: dict[str, float] = {}
    nbs = notebooks(notebook_dir)
    if not nbs:
        raise RunError(f"No notebooks found in {notebook_dir}.")
    catcher = _WarningCatcher()
    pm_logger = logging.getLogger("papermill")
    pm_logger.addHandler(catcher)
    try:
        for i, nb in enumerate(nbs, 1):
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
            say(f"[{i}/{len(nbs)}] {nb.stem} ...")
            t0 = time.time()
            try:
                pm.execute_notebook(
                    str(nb), str(tmp / "notebooks" / nb.name),
                    parameters={k: values[k] for k in declared},
                    kernel_name="python3", cwd=str(ROOT), progress_bar=False, log_output=False,
                    extra_arguments=["--IPKernelApp.log_level=CRITICAL"],  # no TCP-transport banner or shutdown noise
                )
            except pm.PapermillExecutionError as exc:
                raise RunError(
                    f"Notebook {nb.name} failed at cell {exc.exec_count or exc.cell_index}: "
                    f"{exc.ename}: {exc.evalue}"
                ) from None
            if catcher.messages:
                raise RunError(f"papermill warned while running {nb.name}: {catcher.messages[0]}")
            timings[nb.stem] = round(time.time() - t0, 2)
            say(f"      done in {timings[nb.stem]:.1f} s")
            if fail_after == nb.stem:
                raise RunError(f"Simulated failure after {nb.name} (fail_after={fail_after!r}).")
        manifest = build_manifest(params, tmp, timings)
        if render:
            from . import report
            say("Rendering report.html ...")
            t0 = time.time()
            report.render(tmp, manifest)
            timings["render"] = round(time.time() - t0, 2)
        timings["total"] = round(time.time() - t_start, 2)
        manifest["timings_seconds"] = timings
        write_manifest(tmp, manifest)
        if not keep_work:
            shutil.rmtree(tmp / "work", ignore_errors=True)
    except BaseException as exc:
        failed = out.parent / f"{out.name}-failed-{stamp}"
        if tmp.exists():
            tmp.rename(failed)
        msg = str(exc) if isinstance(exc, RunError) else f"{type(exc).__name__}: {exc}"
        raise RunError(
            f"{msg} The previous output in {out} is untouched; the executed notebooks of this "
            f"failed run are kept in {failed}/notebooks for diagnosis."
        ) from exc
    finally:
        pm_logger.removeHandler(catcher)
    _swap_in(tmp, out)
    say(f"Done in {timings['total']:.0f} s. Outputs are in {out}:")
    say(f"  tables:   {out / 'tables'}")
    if render:
        say(f"  report:   {out / 'report.html'}")
    say(f"  manifest: {out / 'manifest.json'}")
    return out


def _swap_in(tmp: Path, out: Path) -> None:
    """Replace out with tmp; the old copy is removed only after the rename succeeded."""
    old = out.parent / f".{out.name}.old"
    if old.exists():
        shutil.rmtree(old)
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    if old.exists():
        shutil.rmtree(old)


def build_manifest(params: Params, run_dir: Path, timings: dict) -> dict:
    """Provenance: parameters, input hashes and counts, versions, commit.

    The run id is a hash of everything that determines the tables, so two
    runs on the same data and parameters share it.
    """
    inputs_file = run_dir / "work" / "extraction" / "inputs.json"
    inputs = json.loads(inputs_file.read_text()) if inputs_file.exists() else {}
    p = params.for_notebook()
    p.pop("out_dir")
    git = git_commit()
    key = json.dumps({"params": p, "inputs": inputs, "commit": git["commit"]}, sort_keys=True)
    return {
        "run_id": hashlib.sha256(key.encode()).hexdigest()[:12],
        "parameters": p,
        "inputs": inputs,
        "versions": versions(),
        "git": git,
        "command": " ".join(Path(sys.argv[0]).name.split() + sys.argv[1:]),
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
