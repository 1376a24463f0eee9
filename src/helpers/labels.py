"""The one label map: every display label, read from ``config/labels.yml``.

Computation keeps raw names (``rows_in``, ``harm_cchi``, ``intel``); display code asks this module
how to write them. Nothing here changes a table on disk.

>>> COLUMNS["rows_in"], SOURCES["pins"], rule_words("title|mo")
('Rows in', 'prison cell (PINS)', 'title + MO')
"""
from __future__ import annotations

from functools import cache
from typing import Any

import yaml

from .config import ROOT

LABELS_FILE = ROOT / "config" / "labels.yml"
SECTIONS = ("columns", "pack_columns", "stages", "rules", "sources", "harm_measures", "sex")

__all__ = ["COLUMNS", "HARM_MEASURES", "LABELS_FILE", "PACK_COLUMNS", "RULES", "SECTIONS", "SEX", "SOURCES",
           "STAGES", "column", "load", "rule_words"]


@cache
def load() -> dict[str, dict[str, str]]:
    """Every section of the label file (raw name -> label), checked for shape once."""
    raw: Any = yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8")) or {}
    missing = [s for s in SECTIONS if not isinstance(raw.get(s), dict)]
    if missing:
        raise ValueError(f"{LABELS_FILE}: section(s) {missing} missing or not a mapping; "
                         f"each of {', '.join(SECTIONS)} maps raw names to labels")
    return {s: {str(k): str(v) for k, v in raw[s].items()} for s in SECTIONS}


COLUMNS = load()["columns"]
PACK_COLUMNS = load()["pack_columns"]
STAGES = load()["stages"]
RULES = load()["rules"]
SOURCES = load()["sources"]
HARM_MEASURES = load()["harm_measures"]
SEX = load()["sex"]


def column(name: str) -> str:
    """The display header of one column (the raw name when it has no label)."""
    return COLUMNS.get(name, name)


def rule_words(rules: str) -> str:
    """Matched selection rules for people: 'title|mo' -> 'title + MO'."""
    return " + ".join(RULES.get(r, r) for r in str(rules).split("|") if r)
