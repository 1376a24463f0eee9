"""The `cse-network` command: generate synthetic data, run the pipeline, re-render the report.

Paths typed on the command line (``--out``, ``--params``, ``--db-url sqlite:///...``,
``--compare-with``) resolve from the working folder, like any command; paths inside parameter files
resolve from the project root. Every message prints absolute paths (docs/running.md, ADR 0011).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import NoReturn

from .config import ROOT, ConfigError, check_db_url, load_params, mask_text, parse_set_option, resolve_db_url, suggest

EXIT_STATUS = """\
exit status:
  0    success
  1    the run failed or was refused (bad parameter, bad source data, unsafe --out); the reason is
       printed as one paragraph ending with what to do, and the previous output is untouched
  2    the command line is wrong (unknown subcommand or option, missing value)
  130  interrupted (Ctrl-C); the previous output is untouched
"""

EPILOG = """\
examples:
  cse-network synth --profile small --seed 1 --out data/synthetic/small.sqlite
  cse-network run                                  # embedded synthetic force, output/ (make report)
  cse-network run --db-url sqlite:///force.sqlite --as-of 2021-03-15 --out output-q1
  cse-network run --db-url postgresql+psycopg://analyst@warehouse/crime   # password from PGPASSWORD or ~/.pgpass
  cse-network run --set recency_half_life_days=365 --no-render
  cse-network render --out output-q1

Relative paths on the command line start from the working folder; paths inside parameter files start
from the project root (%(root)s). Full guide: docs/running.md.

""" + EXIT_STATUS

RUN_EPILOG = """\
examples:
  cse-network run                                  # embedded synthetic force into <project>/output
  cse-network run --db-url sqlite:///force.sqlite --as-of 2021-03-15 --out output-q1
  cse-network run --db-url postgresql+psycopg://analyst@warehouse/crime   # password from PGPASSWORD or ~/.pgpass
  cse-network run --params my-force.yml --set recency_half_life_days=365 --no-render
  cse-network run --out output-q2 --compare-with output-q1

--out must be new, empty, or the folder of an earlier cse-network run (it carries a .cse-network-output
marker); anything else is refused and nothing is touched. The run works in a sibling folder and replaces
--out only when every step succeeded; a failed run is kept as <out>-failed-<time> with its log.
A password in --db-url is masked (***) in every output, log and message.

""" + EXIT_STATUS


class Parser(argparse.ArgumentParser):
    """argparse, but a mistyped subcommand or option gets "did you mean ...?" and a pointer to --help."""

    def error(self, message: str) -> NoReturn:
        choices = getattr(self, "_cse_choices", None)
        if "invalid choice:" in message and choices:
            bad = message.split("invalid choice:", 1)[1].split("'")[1] if "'" in message else ""
            hint = suggest(bad, choices)
            message = f"{bad!r} is not a subcommand.{hint} The subcommands are {', '.join(choices)}."
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {mask_text(message)} See `{self.prog} --help`.\n")


def _version() -> str:
    try:
        return metadata.version("cse-network")
    except metadata.PackageNotFoundError:
        return "unknown (not installed; run `make setup`)"


def _parser() -> Parser:
    p = Parser(
        prog="cse-network",
        description="Find child sexual exploitation networks in a force's records, rank people "
                    "and groups by harm, and write an auditable report (see README.md).",
        epilog=EPILOG % {"root": ROOT}, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}",
                   help="print the package version and exit")
    sub = p.add_subparsers(dest="command", metavar="{synth,run,render}", parser_class=Parser)

    s = sub.add_parser(
        "synth", help="write a synthetic force database (no real people)",
        description="Write an entirely synthetic force database in the contract's schema, plus its "
                    "ground truth (<stem>.truth.csv/.json) beside it. Same seed, same bytes.",
        epilog="example:\n  cse-network synth --profile small --seed 1 --out /tmp/small.sqlite\n\n" + EXIT_STATUS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("--profile", choices=["small", "wmp"], default="wmp",
                   help="'small': a few thousand crimes, for tests; 'wmp': full force scale "
                        "calibrated to the force report (default: wmp)")
    s.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    s.add_argument("--scale", type=float, default=1.0,
                   help="multiply every volume, e.g. 10 for the benchmark database (default: 1)")
    s.add_argument("--out", type=Path, default=None,
                   help="SQLite file to write, relative to the working folder "
                        "(default: <project>/data/synthetic/<profile>.sqlite)")

    r = sub.add_parser(
        "run", help="run the notebooks, export the tables and render the report",
        description="Run notebooks/01..06 in order with papermill, export the network tables "
                    "(CSV and Parquet) to OUT/tables, the analysts' network files to OUT/exports and the "
                    "intelligence pack to OUT/restricted, write OUT/manifest.json and OUT/logs/run.log and "
                    "render OUT/report.html. Every option overrides config/params.yml.",
        epilog=RUN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    r.add_argument("--params", type=Path, default=None,
                   help="YAML file of parameters layered over config/params.yml: only the keys it gives "
                        "change (default: none)")
    r.add_argument("--db-url", default=None,
                   help="SQLAlchemy URL of the source database, e.g. sqlite:///force.sqlite or "
                        "postgresql+psycopg://user@host/db (default: sqlite:///data/synthetic/wmp.sqlite "
                        "in the project, generated on first use)")
    r.add_argument("--as-of", default=None,
                   help="extraction date YYYY-MM-DD; nothing after it is used (default: from config/params.yml)")
    r.add_argument("--out", default=None,
                   help="output folder: new, empty or an earlier cse-network output (default: <project>/output)")
    r.add_argument("--compare-with", default=None, metavar="PREV_OUT",
                   help="an earlier cse-network output folder to compare this run with (default: none)")
    r.add_argument("--no-render", action="store_true", help="stop after the tables; no report.html")
    r.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="override any parameter of config/params.yml, e.g. --set max_victim_age=15 "
                        "(repeatable; paths in values start from the project root)")
    r.add_argument("--keep-work", action="store_true",
                   help="keep the stage hand-offs in OUT/work (large; for diagnosis and benchmarks)")
    r.add_argument("--quiet", action="store_true", help="print only errors")

    d = sub.add_parser("render", help="re-render report.html from a finished run's notebooks",
                       description="Rebuild OUT/report.html from OUT/notebooks and OUT/manifest.json "
                                   "without re-running anything. OUT must be a cse-network output folder.",
                       epilog="example:\n  cse-network render --out output-q1\n\n" + EXIT_STATUS,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    d.add_argument("--out", default=None,
                   help="a finished run's folder, relative to the working folder (default: <project>/output)")
    p._cse_choices = list(sub.choices)  # type: ignore[attr-defined]
    p._cse_subparsers = dict(sub.choices)  # type: ignore[attr-defined]
    return p


def _fail(msg: str, code: int = 1) -> int:
    print(f"cse-network: error: {mask_text(msg)}", file=sys.stderr)
    return code


def _blame_extras(parser: Parser, command: str | None, extras: list[str]) -> NoReturn:
    """Unknown options or stray words: name each, suggest the closest option of the subcommand."""
    sub: Parser = parser._cse_subparsers.get(command, parser)  # type: ignore[attr-defined]
    options = [o for a in sub._actions for o in a.option_strings if o.startswith("--")]
    for item in extras:
        if item.startswith("-"):
            name = item.split("=", 1)[0]
            sub.error(f"unrecognized option {name!r}.{suggest(name, options)}")
    sub.error(f"unexpected argument {extras[0]!r}: every value follows its option, e.g. --out {extras[0]}.")


def _from_cwd(path: str | Path) -> str:
    """A path typed on the command line, made absolute from the working folder."""
    return os.path.abspath(Path(path).expanduser())


def _db_url_from_cwd(url: str) -> str:
    check_db_url(url, "--db-url")
    return resolve_db_url(url, base=Path.cwd())


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args, extras = parser.parse_known_args(argv)
    if extras:
        _blame_extras(parser, args.command, extras)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command == "synth":
        from . import synth
        out = Path(_from_cwd(args.out)) if args.out else ROOT / "data" / "synthetic" / f"{args.profile}.sqlite"
        if out.is_dir():
            return _fail(f"--out {out} is a folder; give the SQLite file to write, e.g. --out {out / 'force.sqlite'}.")
        t0 = time.time()
        summary = synth.generate(profile=args.profile, seed=args.seed, out=out, scale=args.scale,
                                 progress=lambda m: print("  " + m, flush=True))
        print(f"Wrote {out} in {time.time() - t0:.1f} s ({summary['tables']['crimes']:,} crimes); "
              f"ground truth beside it as {out.stem}.truth.csv")
        return 0
    if args.command == "render":
        return _render(Path(_from_cwd(args.out)) if args.out else ROOT / "output")

    from .runner import RunError, run
    say = (lambda m: None) if args.quiet else (lambda m: print(m, flush=True))
    try:
        overrides = parse_set_option(args.set)
        named = {"db_url": args.db_url, "as_of": args.as_of, "out_dir": args.out,
                 "compare_with": args.compare_with}
        overrides.update({k: v for k, v in named.items() if v is not None})
        if args.db_url is not None:
            overrides["db_url"] = _db_url_from_cwd(args.db_url)
        for key in ("out_dir", "compare_with"):
            if named[key] is not None:
                overrides[key] = _from_cwd(named[key])
        params_file = _from_cwd(args.params) if args.params else None
        params = load_params(params_file, overrides)
        run(params, render=not args.no_render, say=say, keep_work=args.keep_work)
    except (ConfigError, RunError) as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return _fail("interrupted; the previous output is untouched.", 130)
    return 0


def _render(out: Path) -> int:
    import json

    from . import report
    from .runner import MARKER, add_to_marker, is_output, written_files
    if not is_output(out):
        return _fail(f"{out} is not a cse-network output folder (no {MARKER} marker): run `cse-network run "
                     f"--out {out}` first, or give the --out of a finished run.")
    manifest_file = out / "manifest.json"
    if not manifest_file.exists():
        return _fail(f"{manifest_file} not found: run `cse-network run --out {out}` again.")
    before = set(written_files(out))
    try:
        print(report.render(out, json.loads(manifest_file.read_text())))
    finally:  # whatever render wrote, even on failure, belongs to the output from now on
        add_to_marker(out, sorted(set(written_files(out)) - before))
    return 0


if __name__ == "__main__":
    sys.exit(main())
