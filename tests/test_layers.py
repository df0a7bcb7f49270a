"""The package's import graph: lower layers never import higher ones, and no cycles.

Layers (DESIGN.md): utils, nn < datasets, preprocessing, metrics < estimators
< plotting, persistence, demo, cli. Read from the source's import statements, and
checked at run time on what ``import sklearn_ecgmcg`` actually loads.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sklearn_ecgmcg"
LAYERS = {
    "_version": 0,
    "utils": 1, "nn": 1,
    "datasets": 2, "preprocessing": 2, "metrics": 2,
    "_base": 3, "pretraining": 3, "alignment": 3, "projection": 3,
    "_distributed": 3, "callbacks": 3, "_conformal": 3, "_projection_data": 3,
    "model_selection": 3, "_streaming": 3,
    "plotting": 4, "_persistence": 4,
    "_demo": 5, "cli": 5, "_cli_corpus": 5, "__main__": 6, "__init__": 6,
}


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path):
    """Package modules ``path`` imports, as dotted names."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    modules = {_module_name(p) for p in PACKAGE.rglob("*.py")}
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if target.startswith("sklearn_ecgmcg"):
                submodules = {f"{target}.{alias.name}" for alias in node.names} & modules
                found.update(submodules or {target})  # "from . import plotting" is plotting
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("sklearn_ecgmcg"))
    return {target for target in found if target in modules and target != name}


def _layer(module):
    top = module.split(".")[1] if "." in module else "__init__"
    return LAYERS[top]


FILES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_import_runs_back_up(path):
    source = _module_name(path)
    upward = sorted(t for t in _imports(path) if _layer(t) > _layer(source))
    assert not upward, f"{source} imports higher layers: {upward}"


def test_every_top_level_module_has_a_layer():
    tops = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in FILES}
    assert tops <= set(LAYERS), sorted(tops - set(LAYERS))


def test_no_import_cycle():
    graph = {_module_name(p): _imports(p) for p in FILES}
    state = {}

    def visit(node, trail):
        state[node] = "open"
        for target in graph.get(node, ()):
            # a package's __init__ re-exports its children: that arrow is not a cycle
            if node == target.rpartition(".")[0] or target == node.rpartition(".")[0]:
                continue
            if state.get(target) == "open":
                pytest.fail(f"import cycle: {' -> '.join([*trail, target])}")
            if target not in state:
                visit(target, [*trail, target])
        state[node] = "done"

    for module in graph:
        if module not in state:
            visit(module, [module])



def test_import_loads_no_higher_layer_from_a_lower_one():
    """``python -X importtime -c "import sklearn_ecgmcg"``: what each module pulls in.

    importtime lists a module after the modules its import loaded, one level deeper.
    No module of ``utils`` or ``metrics`` (or any layer) may load an estimator module
    (or any higher layer) while it is being imported.
    """
    lines = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import sklearn_ecgmcg"],
        capture_output=True, text=True, check=True,
    ).stderr.splitlines()
    loaded = []  # (depth, module) in importtime's order
    for line in lines:
        if line.startswith("import time:") and "|" in line:
            field = line.rsplit("|", 1)[1]
            name = field.strip()
            if name.startswith("sklearn_ecgmcg"):
                loaded.append((len(field) - len(field.lstrip()), name))
    assert any(name == "sklearn_ecgmcg.alignment" for _, name in loaded)
    for i, (depth, name) in enumerate(loaded):
        children = []
        for child_depth, child in reversed(loaded[:i]):
            if child_depth <= depth:
                break
            children.append(child)
        upward = sorted(c for c in children if _layer(c) > _layer(name))
        assert not upward, f"importing {name} loaded higher layers: {upward}"
