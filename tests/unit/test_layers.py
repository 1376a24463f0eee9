"""Computation never imports display code (issue 11 item 4, issue 12): the stage modules compute and write
tables; only notebooks, the report package, the pack's HTML and the network's display views show them."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import helpers

PKG = Path(helpers.__file__).parent
COMPUTATION = ["extraction.py", "filtering.py", "linking.py", "harm.py", "dismantle.py", "people.py",
               "safeguarding.py", "changes.py", "exports.py", "store.py", "config.py", "ranking.py",
               "groundtruth.py", "network/graph.py", "network/groups.py", "network/centrality.py",
               "network/priority.py", "network/disrupt.py", "network/soc.py", "network/stability.py",
               "network/stage.py", "pack/data.py", "pack/reasons.py", "synth/__init__.py"]
DISPLAY = ("report", "plots", "IPython", "itables", "plotnine", "matplotlib")


def imported(path: Path) -> set[str]:
    """Every module name and every imported name of a file (so `from .. import report` counts)."""
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            names |= {a.name for a in n.names}
        elif isinstance(n, ast.ImportFrom):
            names |= {n.module or ""} | {a.name for a in n.names}
    return names


@pytest.mark.parametrize("module", COMPUTATION)
def test_computation_module_never_imports_display_code(module):
    names = imported(PKG / module)
    bad = sorted(x for x in names for d in DISPLAY if x == d or x.startswith(d + ".") or x.endswith("." + d))
    assert not bad, f"{module} imports display code: {bad}"


def test_the_report_is_split_into_display_disclosure_sections_and_render():
    assert {p.stem for p in (PKG / "report").glob("*.py")} == {"__init__", "display", "disclosure", "sections",
                                                               "render"}
    assert not (imported(PKG / "report" / "disclosure.py") & {"render", ".render", "sections", ".sections"})
