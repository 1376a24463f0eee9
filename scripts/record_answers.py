"""Record (or check) the small profile's answers: a SHA-256 per table and export file.

    .venv/bin/python scripts/record_answers.py            # check: exit 1 and list what changed
    .venv/bin/python scripts/record_answers.py --update   # record (after a change meant to alter answers)

`tests/integration/test_run.py::test_speed_changes_leave_every_answer_byte_identical` compares a
run on data/synthetic/small.sqlite with tests/integration/answers_small.json. A speed change
must leave every file identical; a change that is *meant* to alter answers (a method change)
re-records them here and says why in its commit message. The hashes are not a correctness
check (the hand-worked unit tests are): they prove that nothing else moved.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANSWERS = ROOT / "tests" / "integration" / "answers_small.json"
PATTERNS = ("tables/*.csv", "exports/*")


def digest(out: Path) -> dict[str, str]:
    """SHA-256 of every table CSV and export file of a finished run, by path under the run folder."""
    files = sorted(p for pattern in PATTERNS for p in out.glob(pattern) if p.is_file())
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def recorded() -> dict[str, str]:
    return json.loads(ANSWERS.read_text(encoding="utf-8"))["sha256"]


def changed(now: dict[str, str], then: dict[str, str]) -> list[str]:
    """Files whose bytes differ, or that appeared or vanished."""
    return sorted(k for k in set(now) | set(then) if now.get(k) != then.get(k))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--update", action="store_true", help="write the hashes instead of checking them")
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from helpers.config import SMALL_DB, load_params
    from helpers.runner import run
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "output"
        run(load_params(overrides={"db_url": f"sqlite:///{SMALL_DB}", "out_dir": str(out)}), render=False,
            say=lambda m: None)
        now = digest(out)
    if a.update:
        ANSWERS.write_text(json.dumps({"about": "scripts/record_answers.py: small profile, seed 1",
                                       "sha256": now}, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"Recorded {len(now)} files in {ANSWERS.relative_to(ROOT)}.")
        return 0
    diff = changed(now, recorded())
    for k in diff:
        print(f"changed: {k}")
    print("Every answer is byte-identical." if not diff else
          f"{len(diff)} file(s) changed: if that was meant, run with --update and say why in the commit.")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
