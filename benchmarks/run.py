"""Time and measure every stage on small, full-scale (wmp), 10x and 20x databases; write RESULTS.md.

Not a test: speed depends on the machine. Each measurement runs in its own
process so peak memory (max RSS) belongs to that step alone.

    .venv/bin/python benchmarks/run.py                      # small and wmp
    .venv/bin/python benchmarks/run.py --profiles x10 x20 --full-run   # the national scale (an hour or more)

Results are merged into benchmarks/work/results.json, so profiles can be measured one at a time.
"""
from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "work"
BIN = Path(sys.executable).parent
PROFILES = {"small": ("small", 1.0), "wmp": ("wmp", 1.0), "x10": ("wmp", 10.0), "x20": ("wmp", 20.0)}

# The floor a run is measured against: every contract column of every source row fetched by the
# same driver the extraction uses, and nothing else (issue 13: the quarterly run within 8x of it).
READ = r"""
import json, sqlite3, sys, time
from helpers.extraction import SCHEMA
t0 = time.time(); rows = 0
con = sqlite3.connect(sys.argv[1])
for table, cols in SCHEMA.items():
    cur = con.execute(f"SELECT {', '.join(cols)} FROM {table}")
    while chunk := cur.fetchmany(250_000):
        rows += len(chunk)
print(json.dumps({"read": time.time() - t0, "rows": rows}))
"""

# The floor is the fastest of a few passes: one pass on these machines has varied from 7.5 s to
# 10.4 s within the hour, and a noisy floor would flatter (or damn) the run it divides.
READ_PASSES = 3

EXTRACT = r"""
import json, resource, sys, time
from helpers import extraction
t0 = time.time(); ext = extraction.run_stage(sys.argv[1], sys.argv[2])
print(json.dumps({"extraction": time.time() - t0, "crimes": ext.inputs["crimes"]["rows_kept"],
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

# Selection and linking exactly as notebooks 02 and 03 run them (reading the extraction hand-off).
METHOD = r"""
import json, resource, sys, time
from helpers import filtering, linking
from helpers.config import load_params
p = load_params()
out = sys.argv[1]
t0 = time.time()
sel = filtering.run_stage(out, p.search_terms, str(p.as_of), p.max_victim_age, p.min_offender_age,
                          p.review_sample_per_rule, p.seed, str(p.summary_start), str(p.summary_end))
t1 = time.time()
ln = linking.run_stage(out, p.grading_map, str(p.as_of), p.proximity_half_life_days, p.recency_half_life_days,
                       p.min_cell_share_days, str(p.summary_start), str(p.summary_end))
t2 = time.time()
print(json.dumps({"selection": t1 - t0, "linking": t2 - t1,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rows": {"full_table": len(sel.full_table), "final_table": len(ln.final_table),
                           "network_edges": len(ln.network_edges)}}))
"""


def measured(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak MiB of the largest child process, stdout."""
    wrapper = ("import resource, subprocess, sys, time; t = time.time(); "
               "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
               "print(json.dumps({'s': time.time() - t, 'mib': resource.getrusage(resource.RUSAGE_CHILDREN)"
               ".ru_maxrss / 1024, 'out': r.stdout, 'err': r.stderr, 'rc': r.returncode}))")
    res = subprocess.run([sys.executable, "-c", "import json; " + wrapper, *cmd], capture_output=True, text=True,
                         cwd=ROOT)
    info = json.loads(res.stdout)
    if info["rc"] != 0:
        raise SystemExit(f"benchmark step failed: {' '.join(cmd)}\n{info['err'][-3000:]}")
    return info["s"], info["mib"], info["out"]


def _last_json(stdout: str) -> dict:
    """The step's figures: its last line (the stages print their progress above it on long inputs)."""
    return json.loads(stdout.strip().splitlines()[-1])


def _commit() -> str:
    """The code measured: short git commit (with '+' when the working tree has changes)."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                           text=True, cwd=ROOT)
    return (head.stdout.strip() or "unknown") + ("+" if dirty.stdout.strip() else "")


def bench(name: str, reuse: bool = False, full_run: bool = False, comparison: bool = False) -> dict:
    profile, scale = PROFILES[name]
    WORK.mkdir(exist_ok=True)
    db = WORK / f"{name}.sqlite"
    out: dict = {"profile": name, "commit": _commit(), "measured": time.strftime("%Y-%m-%d")}
    sidecar = db.with_suffix(".synth.json")
    if reuse and db.exists() and sidecar.exists():
        print(f"[{name}] reusing {db.name} (synth figures from {sidecar.name})", flush=True)
        out["synth"] = json.loads(sidecar.read_text())
    else:
        print(f"[{name}] synth ...", flush=True)
        s, mib, _ = measured([str(BIN / "cse-network"), "synth", "--profile", profile, "--scale", str(scale),
                              "--seed", "1", "--out", str(db)])
        out["synth"] = {"seconds": round(s, 1), "peak_mib": round(mib)}
        sidecar.write_text(json.dumps(out["synth"]))
    print(f"[{name}] reading every source row (the floor, fastest of {READ_PASSES} passes) ...", flush=True)
    reads = [_last_json(measured([sys.executable, "-c", READ, str(db)])[2]) for _ in range(READ_PASSES)]
    out["read"] = {"read": round(min(r["read"] for r in reads), 1), "rows": reads[0]["rows"],
                   "passes": [round(r["read"], 1) for r in reads]}
    stage_dir = WORK / f"stages-{name}"
    print(f"[{name}] extraction (own process) ...", flush=True)
    _, _, stdout = measured([sys.executable, "-c", EXTRACT, f"sqlite:///{db}", str(stage_dir)])
    ex = _last_json(stdout)
    print(f"[{name}] selection and linking (own process) ...", flush=True)
    _, _, stdout = measured([sys.executable, "-c", METHOD, str(stage_dir)])
    me = _last_json(stdout)
    out["stages"] = {"extraction": round(ex["extraction"], 1), "extraction_peak_mib": round(ex["peak_mib"]),
                     "selection": round(me["selection"], 1), "linking": round(me["linking"], 1),
                     "peak_mib": round(me["peak_mib"]), "rows": {"crimes": ex["crimes"], **me["rows"]}}
    if name in ("small", "wmp") or full_run:
        print(f"[{name}] full run ...", flush=True)
        run_dir = WORK / f"run-{name}"
        s, mib, _ = measured([str(BIN / "cse-network"), "run", "--quiet", "--keep-work", "--db-url", f"sqlite:///{db}",
                              "--out", str(run_dir)])
        manifest = json.loads((run_dir / "manifest.json").read_text())
        out["run"] = {"seconds": round(s, 1), "peak_mib_largest_process": round(mib),
                      "timings": manifest["timings_seconds"],
                      "html_mib": round((run_dir / "report.html").stat().st_size / 2**20, 2)}
        nb = HERE / "network_bench.py"
        if nb.exists() and (name in ("small", "wmp") or comparison):  # x10: 11 minutes, x20 longer
            print(f"[{name}] dismantling comparison ...", flush=True)
            s, _, stdout = measured([sys.executable, str(nb), str(run_dir)])
            out["dismantling"] = stdout.strip()
    return out


def write_results(results: list[dict]) -> None:
    lines = ["# Benchmark results", "",
             f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, "
             f"{__import__('os').cpu_count()} cores, Python {platform.python_version()}. "
             f"Written {time.strftime('%Y-%m-%d')} by `benchmarks/run.py`.", "",
             "Peak memory is the maximum resident set size of the one process doing the step "
             "(for the full run: of its largest process, i.e. the biggest notebook kernel).", "",
             "Each row names the commit it measured and the day (rows measured at different commits are kept "
             "until re-measured: `--profiles` measures only the ones it names). Machines of this kind differ "
             "in speed from day to day (the same code has run 1.3x slower on another day's machine): compare "
             "rows of the same day, or re-measure both.", "",
             "| database | code | measured | synth s | synth MiB | extraction s | extraction MiB | selection s | "
             "linking s | selection + linking peak MiB | crimes | full table | final table | edges |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        st = r["stages"]
        lines.append(f"| {r['profile']} | {r.get('commit', 'unknown')} | {r.get('measured', 'unknown')} | "
                     f"{r['synth']['seconds']} | "
                     f"{r['synth']['peak_mib']} | {st['extraction']} | "
                     f"{st['extraction_peak_mib']} | {st['selection']} | {st['linking']} | {st['peak_mib']} | "
                     f"{st['rows']['crimes']:,} | "
                     f"{st['rows']['full_table']:,} | {st['rows']['final_table']:,} | "
                     f"{st['rows']['network_edges']:,} |")
    lines += ["", "## Whole run (`cse-network run`) against reading every source row", "",
              "The read is the fastest of its passes (rows measured before 2026-12-08's second run read once).",
              "",
              "| database | code | measured | read every row s | total s | total / read | "
              "per notebook and render (s) | largest process MiB | report.html MiB |",
              "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        if "run" in r:
            t = r["run"]["timings"]
            per = ", ".join(f"{k} {v}" for k, v in t.items() if k != "total")
            read = r.get("read", {}).get("read")
            ratio = f"{t['total'] / read:.0f}x" if read else "not measured"
            lines.append(f"| {r['profile']} | {r.get('commit', 'unknown')} | {r.get('measured', 'unknown')} | "
                         f"{read if read else 'not measured'} | "
                         f"{t['total']} | {ratio} | {per} | "
                         f"{r['run']['peak_mib_largest_process']} | {r['run']['html_mib']} |")
    if scaling_figure(results):
        lines += ["", "How cost grows with the data (log-log; a slope of 1 is linear):", "",
                  "![time and peak memory against crimes](scaling.png)"]
    for r in results:
        if r.get("dismantling"):
            lines += ["", f"## Dismantling comparison ({r['profile']})", "", r["dismantling"]]
    (HERE / "RESULTS.md").write_text("\n".join(lines) + "\n")
    print(f"Wrote {HERE / 'RESULTS.md'}")


def scaling_figure(results: list[dict]) -> bool:
    """benchmarks/scaling.png: seconds and peak MiB of each step against crimes, log-log."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    pts = [r for r in results if "stages" in r]
    if len(pts) < 2:
        return False
    x = [r["stages"]["rows"]["crimes"] for r in pts]
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.6))
    series = {"extraction": [r["stages"]["extraction"] for r in pts],
              "selection + linking": [r["stages"]["selection"] + r["stages"]["linking"] for r in pts],
              "read every row": [r.get("read", {}).get("read") for r in pts],
              "whole run": [r.get("run", {}).get("seconds") for r in pts]}
    for label, ys in series.items():
        xy = [(xi, yi) for xi, yi in zip(x, ys, strict=True) if yi]
        if xy:
            a.plot(*zip(*xy, strict=True), marker="o", label=label)
    b.plot(x, [r["stages"]["extraction_peak_mib"] for r in pts], marker="o", label="extraction")
    b.plot(x, [r["stages"]["peak_mib"] for r in pts], marker="o", label="selection + linking")
    run_mib = [(xi, r["run"]["peak_mib_largest_process"]) for xi, r in zip(x, pts, strict=True) if "run" in r]
    if run_mib:
        b.plot(*zip(*run_mib, strict=True), marker="o", label="whole run (largest process)")
    for ax, title in ((a, "seconds"), (b, "peak MiB")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("crimes in the source")
        ax.set_title(title)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(HERE / "scaling.png", dpi=110)
    plt.close(fig)
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profiles", nargs="+", choices=list(PROFILES), default=["small", "wmp"],
                    help="databases to measure (x10, x20 = wmp at scale 10, 20; slow, not in CI)")
    ap.add_argument("--full-run", action="store_true",
                    help="also time the whole run on x10 / x20 (small and wmp always get one)")
    ap.add_argument("--comparison", action="store_true",
                    help="also run the dismantling comparison on x10 / x20 (about 11 minutes on x10)")
    ap.add_argument("--reuse", action="store_true",
                    help="reuse databases already generated in benchmarks/work (and their synth figures)")
    args = ap.parse_args()
    results = [bench(p, args.reuse, args.full_run, args.comparison) for p in args.profiles]
    previous = json.loads((WORK / "results.json").read_text()) if (WORK / "results.json").exists() else []
    merged = {r["profile"]: r for r in previous} | {r["profile"]: r for r in results}
    results = [merged[k] for k in PROFILES if k in merged]
    (WORK / "results.json").write_text(json.dumps(results, indent=2))
    write_results(results)


if __name__ == "__main__":
    main()
