"""Report (or with ``--fix``, strip) trailing whitespace in text files, as the pre-commit hook.

    python scripts/check_whitespace.py [--fix] FILE ...

Binary files and notebooks (whose JSON nbformat writes itself) are skipped.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

SKIP_SUFFIXES = {".ipynb", ".png", ".jpg", ".sqlite", ".parquet", ".pdf", ".gz", ".zip"}


def trailing(text: str) -> list[int]:
    """Line numbers (from 1) that end in spaces or tabs."""
    return [i for i, line in enumerate(text.splitlines(), 1) if line != line.rstrip(" \t")]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fix", action="store_true", help="strip the whitespace in place")
    ap.add_argument("files", nargs="*")
    args = ap.parse_args(argv)
    status = 0
    for name in args.files:
        path = Path(name)
        if path.suffix in SKIP_SUFFIXES or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        lines = trailing(text)
        if not lines:
            continue
        status = 1
        if args.fix:
            fixed = "\n".join(line.rstrip(" \t") for line in text.split("\n"))
            path.write_text(fixed, encoding="utf-8")
            print(f"{name}: stripped trailing whitespace on {len(lines)} line(s)")
        else:
            print(f"{name}: trailing whitespace on line(s) {', '.join(map(str, lines[:10]))}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
