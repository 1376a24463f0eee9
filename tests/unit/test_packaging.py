"""The lock file, the conda mirror and the package metadata agree."""
from __future__ import annotations

import re

import yaml

from helpers.config import ROOT


def lock_pins() -> dict[str, str]:
    lines = [ln.strip() for ln in (ROOT / "requirements.lock").read_text().splitlines()]
    return dict(ln.split("==", 1) for ln in lines if ln and not ln.startswith("#"))


def test_every_lock_line_is_an_exact_pin():
    lines = [ln for ln in (ROOT / "requirements.lock").read_text().splitlines() if ln and not ln.startswith("#")]
    assert lines and all(re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9A-Za-z.+\-]+", ln) for ln in lines)


def test_environment_yml_mirrors_the_lock_and_adds_quarto():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "quarto" in deps
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    pins = dict(p.split("==", 1) for p in pip if "==" in p)
    assert pins == lock_pins()


def test_direct_dependencies_are_all_pinned():
    import tomllib
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[<>=!~ ]", d)[0].lower().replace("_", "-") for d in deps}
    pinned = {k.lower().replace("_", "-") for k in lock_pins()}
    assert names <= pinned, names - pinned
