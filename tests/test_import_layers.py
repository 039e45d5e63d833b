"""The package's import graph: every arrow points down a layer, and no private name crosses a module.

An AST scan of every module under ``src/vanishing`` and ``grader`` (imports inside functions
included). Layers, bottom up (COURSE.md, "the vanishing package"):

    0  _checks, _env                       argument checks, the run-time environment
    1  functional, init, losses, data, gradcheck
    2  nn
    3  optim, telemetry
    4  train
    5  doctor                              reads a model or a History
    6  experiments                         the science: plain numbers out
    7  plots                               figures (duck-typed on the numbers)
    8  widgets                             interactive UI: science + figures
    9  grading, checks, _remote            the test-cell harness in the learner's kernel
   10  vanishing (the package's __init__)

A module may import a module of a lower layer, or one of its own layer inside the same
subpackage (``experiments.residual`` may import ``experiments.protocol``). Science and core
never import matplotlib or ipywidgets; ``grader`` (the instructor's side) imports only the
kernel-transport constants of the harness.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"

LAYERS = {
    "_checks": 0,
    "_env": 0,
    "functional": 1,
    "init": 1,
    "losses": 1,
    "data": 1,
    "datasets": 1,
    "gradcheck": 1,
    "nn": 2,
    "optim": 3,
    "telemetry": 3,
    "train": 4,
    "doctor": 5,
    "experiments": 6,
    "plots": 7,
    "widgets": 8,
    "grading": 9,
    "checks": 9,
    "_remote": 9,
}
PRESENTATION = ("matplotlib", "ipywidgets", "IPython")
GRADER_MAY_USE = {"vanishing._remote", "vanishing.grading"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC if path.is_relative_to(SRC) else ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(base: Path) -> list[Path]:
    return sorted(p for p in base.rglob("*.py") if "__pycache__" not in p.parts)


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, absolute module, imported names) for every import statement in ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    here = _module_name(path).split(".")
    package = here if _is_package(path) else here[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            names = [a.name for a in node.names]
            # "from . import nn" imports the module vanishing.nn, not the package's __init__
            subs = [n for n in names if _resolves(f"{mod}.{n}")]
            found += [(node.lineno, f"{mod}.{n}", []) for n in subs]
            rest = [n for n in names if n not in subs]
            if rest:
                found.append((node.lineno, mod, rest))
    return found


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for base in (SRC, ROOT):
        p = base.joinpath(*parts)
        if p.with_suffix(".py").is_file() or (p / "__init__.py").is_file():
            return True
    return False


# modules of one layer that may import each other
GROUPS = {
    "_checks": "base",
    "_env": "base",
    "grading": "harness",
    "checks": "harness",
    "_remote": "harness",
}


def _layer(dotted: str) -> tuple[int, str] | None:
    parts = dotted.split(".")
    if parts[0] != "vanishing":
        return None
    if len(parts) == 1:
        return 10, "vanishing"
    return LAYERS[parts[1]], GROUPS.get(parts[1], parts[1])


def _private_attribute_uses(path: Path) -> list[tuple[int, str]]:
    """``alias._name`` where ``alias`` is a name imported into ``path`` from this project."""
    tree = ast.parse(path.read_text())
    aliases = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases |= {
                (a.asname or a.name).split(".")[0]
                for a in node.names
                if a.name.split(".")[0] in ("vanishing", "grader")
            }
        elif isinstance(node, ast.ImportFrom):
            ours = node.level or (node.module or "").split(".")[0] in ("vanishing", "grader")
            aliases |= {a.asname or a.name for a in node.names if ours}
    hits = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            hits.append((node.lineno, f"{node.value.id}.{node.attr}"))
    return hits


PACKAGE = _modules(SRC / "vanishing")
GRADER = _modules(ROOT / "grader")


def test_the_scan_sees_the_whole_package():
    names = {_module_name(p) for p in PACKAGE}
    assert {"vanishing.nn", "vanishing.train", "vanishing.doctor"} <= names
    assert any(n.startswith("vanishing.experiments.") for n in names)
    for n in names:
        assert n == "vanishing" or n.split(".")[1] in LAYERS, f"{n}: give it a layer in LAYERS"


@pytest.mark.parametrize("path", PACKAGE, ids=lambda p: _module_name(p))
def test_no_upward_arrow(path):
    me = _layer(_module_name(path))
    assert me is not None
    my_layer, my_group = me
    bad = []
    for line, mod, _names in _imports(path):
        if mod.split(".")[0] in PRESENTATION and my_layer < LAYERS["plots"]:
            bad.append(f"line {line}: {mod} (science and core draw nothing)")
        other = _layer(mod)
        if other is None:
            continue
        layer, group = other
        if layer > my_layer or (layer == my_layer and group != my_group):
            bad.append(f"line {line}: imports {mod} (layer {layer}) from layer {my_layer}")
    assert not bad, f"{_module_name(path)}:\n  " + "\n  ".join(bad)


@pytest.mark.parametrize("path", PACKAGE + GRADER, ids=lambda p: _module_name(p))
def test_no_private_name_crosses_a_module(path):
    bad = []
    me = _module_name(path)
    for line, mod, names in _imports(path):
        if mod == me or not (mod.startswith("vanishing") or mod.startswith("grader")):
            continue
        bad += [f"line {line}: from {mod} import {n}" for n in names if n.startswith("_")]
    bad += [f"line {line}: {use}" for line, use in _private_attribute_uses(path)]
    assert not bad, f"{me}:\n  " + "\n  ".join(bad)


@pytest.mark.parametrize("path", GRADER, ids=lambda p: _module_name(p))
def test_the_grader_reaches_the_package_only_through_the_harness(path):
    used = {mod for _l, mod, _n in _imports(path) if mod.split(".")[0] == "vanishing"}
    assert used <= GRADER_MAY_USE, f"{_module_name(path)} imports {sorted(used - GRADER_MAY_USE)}"


def test_the_scan_catches_an_upward_arrow_and_a_private_import(tmp_path, monkeypatch):
    # the checks above must be able to fail: a fake core module importing upward and privately
    pkg = tmp_path / "vanishing"
    pkg.mkdir()
    for name in ("__init__", "plots", "telemetry"):
        (pkg / f"{name}.py").write_text("")
    fake = pkg / "_checks.py"
    fake.write_text("from . import plots\nfrom .telemetry import _hidden\nimport matplotlib\n")
    monkeypatch.setitem(globals(), "SRC", tmp_path)
    with pytest.raises(AssertionError, match="imports vanishing.plots"):
        test_no_upward_arrow(fake)
    with pytest.raises(AssertionError, match="draw nothing"):
        test_no_upward_arrow(fake)
    with pytest.raises(AssertionError, match="import _hidden"):
        test_no_private_name_crosses_a_module(fake)
