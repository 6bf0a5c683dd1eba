"""Install files stay in step: environment.yml's pip pins equal pyproject's, and constraints pin them."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _pins(lines) -> dict[str, str]:
    out = {}
    for line in lines:
        m = re.match(r'^\s*-?\s*"?([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==([^";\s]+)', line)
        if m:
            out[m.group(1).lower()] = m.group(3)
    return out


def _core_dependencies() -> dict[str, str]:
    text = (ROOT / "pyproject.toml").read_text()
    block = re.search(r"^dependencies = \[(.*?)^\]", text, re.S | re.M).group(1)
    return _pins(block.splitlines())


def test_environment_yml_matches_pyproject():
    conda = _pins((ROOT / "environment.yml").read_text().splitlines())
    assert conda == _core_dependencies()


def test_constraints_pin_every_dependency_with_the_same_version():
    constraints = _pins((ROOT / "constraints.txt").read_text().splitlines())
    text = (ROOT / "pyproject.toml").read_text()
    every = _pins(re.findall(r'"([^"]+==[^"]+)"', text))
    for name, version in every.items():
        assert constraints.get(name) == version, f"{name}: pyproject {version}, constraints {constraints.get(name)}"
