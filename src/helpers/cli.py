"""The `cse-network` command: generate synthetic data, run the pipeline, re-render the report."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .config import DEFAULT_DB, PARAMS_FILE, ConfigError, load_params, parse_set_option, resolve_path

EPILOG = """\
examples:
  cse-network synth --profile small --seed 1 --out data/synthetic/small.sqlite
  cse-network run                                  # embedded synthetic force, output/ (make report)
  cse-network run --db-url sqlite:///force.sqlite --as-of 2021-03-15 --out output-q1
  cse-network run --set recency_half_life_days=365 --no-render

Exit status is 0 on success and non-zero with a one-paragraph reason on failure.
A failed run leaves the previous output folder untouched.
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="cse-network",
        description="Find child sexual exploitation networks in a force's records, rank people "
                    "and groups by harm, and write an auditable report (see README.md).",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", metavar="{synth,run,render}")

    s = sub.add_parser(
        "synth", help="write a synthetic force database (no real people)",
        description="Write an entirely synthetic force database in the contract's schema, plus its "
                    "ground truth (<stem>.truth.csv/.json) beside it. Same seed, same bytes.",
    )
    s.add_argument("--profile", choices=["small", "wmp"], default="wmp",
                   help="'small': a few thousand crimes, for tests; 'wmp': full force scale "
                        "calibrated to the force report (default: wmp)")
    s.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    s.add_argument("--scale", type=float, default=1.0,
                   help="multiply every volume, e.g. 10 for the benchmark database (default: 1)")
    s.add_argument("--out", type=Path, default=None,
                   help=f"SQLite file to write (default: data/synthetic/<profile>.sqlite)")

    r = sub.add_parser(
        "run", help="run the notebooks, export the tables and render the report",
        description="Run notebooks/01..05 in order with papermill, export the network tables "
                    "(CSV and Parquet) to OUT/tables, write OUT/manifest.json and render "
                    "OUT/report.html. Every option overrides config/params.yml.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    r.add_argument("--params", type=Path, default=None,
                   help=f"parameter YAML file (default: {PARAMS_FILE.relative_to(PARAMS_FILE.parents[1])})")
    r.add_argument("--db-url", default=None,
                   help=f"SQLAlchemy URL of the source database (default: sqlite:///{DEFAULT_DB.name} "
                        "in data/synthetic, generated on first use)")
    r.add_argument("--as-of", default=None, help="extraction date YYYY-MM-DD; nothing after it is used")
    r.add_argument("--out", default=None, help="output folder (default: output/)")
    r.add_argument("--no-render", action="store_true", help="stop after the tables; no report.html")
    r.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="override any parameter of config/params.yml, e.g. --set max_victim_age=15 "
                        "(repeatable)")
    r.add_argument("--keep-work", action="store_true",
                   help="keep the stage hand-offs in OUT/work (large; for diagnosis and benchmarks)")
    r.add_argument("--quiet", action="store_true", help="print only errors")

    d = sub.add_parser("render", help="re-render report.html from a finished run's notebooks",
                       description="Rebuild OUT/report.html from OUT/notebooks and OUT/manifest.json "
                                   "without re-running anything.")
    d.add_argument("--out", default="output", help="a finished run's folder (default: output/)")
    return p


def _fail(msg: str, code: int = 1) -> int:
    print(f"cse-network: error: {msg}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command is None:
        _parser().print_help()
        return 2
    if args.command == "synth":
        from . import synth
        out = args.out or resolve_path(f"data/synthetic/{args.profile}.sqlite")
        t0 = time.time()
        summary = synth.generate(profile=args.profile, seed=args.seed, out=out, scale=args.scale,
                                 progress=lambda m: print("  " + m, flush=True))
        print(f"Wrote {out} in {time.time() - t0:.1f} s ({summary['tables']['crimes']:,} crimes); "
              f"ground truth beside it as {Path(out).stem}.truth.csv")
        return 0
    if args.command == "render":
        import json
        from . import report
        out = resolve_path(args.out)
        manifest_file = out / "manifest.json"
        if not manifest_file.exists():
            return _fail(f"{manifest_file} not found: run `cse-network run` first.")
        print(report.render(out, json.loads(manifest_file.read_text())))
        return 0

    from .runner import RunError, run
    say = (lambda m: None) if args.quiet else (lambda m: print(m, flush=True))
    try:
        overrides = parse_set_option(args.set)
        overrides.update({k: v for k, v in
                          {"db_url": args.db_url, "as_of": args.as_of, "out_dir": args.out}.items() if v})
        params = load_params(args.params, overrides)
        run(params, render=not args.no_render, say=say, keep_work=args.keep_work)
    except (ConfigError, RunError) as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return _fail("interrupted; the previous output is untouched.", 130)
    return 0


if __name__ == "__main__":
    sys.exit(main())
