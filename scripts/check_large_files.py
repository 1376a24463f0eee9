"""Refuse files over a size limit (default 1 MB): data and outputs belong outside git.

Used by the pre-commit hook ``check-added-large-files`` and by ``make lint``, with no
network fetch. Pass file paths; with none, checks every file git tracks.

    python scripts/check_large_files.py [--max-kb 1024] [FILE ...]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path


def too_large(paths: list[str], max_kb: int) -> list[tuple[str, int]]:
    """The (path, size in KB) of every existing file in ``paths`` over ``max_kb``."""
    out = []
    for p in paths:
        path = Path(p)
        if path.is_file() and path.stat().st_size > max_kb * 1024:
            out.append((p, path.stat().st_size // 1024))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-kb", type=int, default=1024)
    ap.add_argument("files", nargs="*")
    args = ap.parse_args(argv)
    files = args.files or subprocess.run(["git", "ls-files"], capture_output=True, text=True, check=True).stdout.split()
    bad = too_large(files, args.max_kb)
    for path, kb in bad:
        print(f"{path}: {kb:,} KB is over the {args.max_kb:,} KB limit; keep data and outputs out of git "
              "(see .gitignore) or shrink the file.", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
