"""The API reference (docs/api.rst) lists every public name of the package."""

import re
from importlib import import_module
from pathlib import Path

import pytest

API_RST = Path(__file__).resolve().parents[1] / "docs" / "api.rst"
MODULES = [
    "sklearn_ecgmcg",
    "sklearn_ecgmcg.datasets",
    "sklearn_ecgmcg.preprocessing",
    "sklearn_ecgmcg.nn",
    "sklearn_ecgmcg.metrics",
    "sklearn_ecgmcg.plotting",
    "sklearn_ecgmcg.utils",
    "sklearn_ecgmcg.callbacks",
    "sklearn_ecgmcg.model_selection",
]


def _documented_names():
    """``module.name`` of every autosummary entry and ``.. data::`` in api.rst."""
    documented, module, in_autosummary = set(), None, False
    for line in API_RST.read_text(encoding="utf-8").splitlines():
        if match := re.match(r"\.\. currentmodule:: (\S+)", line):
            module = match.group(1)
        elif match := re.match(r"\.\. data:: (\S+)", line):
            documented.add(f"{module}.{match.group(1)}")
        elif line.startswith(".. autosummary::"):
            in_autosummary = True
        elif in_autosummary and re.match(r"   [A-Za-z_]\w*$", line):
            documented.add(f"{module}.{line.strip()}")
        elif line and not line.startswith(" "):
            in_autosummary = False
    return documented


@pytest.mark.skipif(not API_RST.is_file(), reason="docs/ not in this checkout")
@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_name_is_in_the_api_reference(module_name):
    public = {name for name in import_module(module_name).__all__ if not name.startswith("__")}
    documented = _documented_names()
    missing = sorted(name for name in public if f"{module_name}.{name}" not in documented)
    assert not missing, f"add to docs/api.rst under {module_name}: {missing}"
