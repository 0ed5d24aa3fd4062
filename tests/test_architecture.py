"""The shape of rmtlib: layers, import arrows, no cycles, no hidden imports, short modules, lean core.

Layers, from the bottom: ``rmtlib._numerics`` < the core (``rmtlib.laws``, ``rmtlib.free``, ... at the
top of the package) < ``rmtlib.models`` < ``rmtlib.experiments`` < ``rmtlib.compendium``. A module
may import its own layer or a lower one, never a higher one.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "rmtlib"
LAYERS = {"_numerics": 0, "models": 2, "experiments": 3, "compendium": 4}
CORE = 1
MAX_LINES = 400
HEAVY = ("papermill", "nbformat", "matplotlib", "sklearn", "IPython", "ipykernel", "myst_nb")
LEAN = ("rmtlib", "rmtlib.laws", "rmtlib.free", "rmtlib.spectra", "rmtlib.entries", "rmtlib.activations",
        "rmtlib.pushforward")


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


SOURCES = {_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
TREES = {name: ast.parse(path.read_text(), filename=str(path)) for name, path in SOURCES.items()}


def layer(module: str) -> int:
    """The layer of a dotted module name of rmtlib."""
    parts = module.split(".")
    return LAYERS.get(parts[1], CORE) if len(parts) > 1 else CORE


def _targets(module: str, node) -> list[str]:
    """The rmtlib modules an import statement of ``module`` loads (submodules resolved)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "rmtlib"]
    if node.level:  # relative: resolve against the importing module's package
        package = module.split(".") if SOURCES[module].name == "__init__.py" else module.split(".")[:-1]
        base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    if base.split(".")[0] != "rmtlib":
        return []
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in SOURCES else base for a in node.names]


def _function_bodies(tree):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield node


def _imports(module: str):
    """Every (line, target) import of rmtlib modules in ``module``, at any depth."""
    for node in ast.walk(TREES[module]):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for target in _targets(module, node):
                yield node.lineno, target


def test_the_layers_exist():
    assert {"rmtlib.laws", "rmtlib._numerics", "rmtlib.models", "rmtlib.experiments",
            "rmtlib.compendium"} <= set(SOURCES)
    assert {layer(m) for m in SOURCES} == {0, 1, 2, 3, 4}


def test_arrows_only_point_down():
    upward = [f"{SOURCES[m].relative_to(PACKAGE.parent)}:{line} imports {target}"
              for m in SOURCES for line, target in _imports(m) if layer(target) > layer(m)]
    assert not upward, "imports of a higher layer:\n" + "\n".join(upward)


def _hidden(module: str, tree) -> list[str]:
    """The imports of rmtlib inside a function body of ``module``, as ``line (function): code``."""
    found = []
    for function in _function_bodies(tree):
        for node in ast.walk(function):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and _targets(module, node):
                found.append(f"{node.lineno} ({getattr(function, 'name', 'lambda')}): {ast.unparse(node)}")
    return found


def test_no_function_imports_rmtlib():
    hidden = [f"{SOURCES[m].relative_to(PACKAGE.parent)}:{h}" for m, tree in TREES.items()
              for h in _hidden(m, tree)]
    assert not hidden, "function-local imports of rmtlib (import at module top):\n" + "\n".join(hidden)


def test_the_detectors_see_hidden_relative_and_upward_imports():
    code = ("import numpy\nfrom rmtlib import free\n\ndef f():\n    import sklearn\n"
            "    from ..compendium import checks\n    return lambda: __import__('x')\n")
    tree = ast.parse(code)
    assert _hidden("rmtlib.models.jacobian", tree) == ["6 (f): from ..compendium import checks"]
    node = tree.body[2].body[1]
    assert _targets("rmtlib.models.jacobian", node) == ["rmtlib.compendium.checks"]
    assert layer("rmtlib.compendium.checks") > layer("rmtlib.models.jacobian") > layer("rmtlib.free")
    assert layer("rmtlib") == layer("rmtlib.laws") > layer("rmtlib._numerics.quadrature")
    node = ast.parse("from rmtlib.models import jacobian").body[0]
    assert _targets("rmtlib.experiments.toolkit", node) == ["rmtlib.models.jacobian"]
    node = ast.parse("from rmtlib import __version__").body[0]
    assert _targets("rmtlib.experiments.toolkit", node) == ["rmtlib"]


def _cycles(graph: dict) -> list[list[str]]:
    """The strongly connected components with more than one module, or a module importing itself."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph.get(v, ()):
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle():
    graph = {m: {t for _, t in _imports(m) if t in SOURCES} for m in SOURCES}
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    cycles = _cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_every_module_is_short():
    long = {str(p.relative_to(PACKAGE.parent)): n for p in SOURCES.values()
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_the_library_imports_no_compendium_dependency():
    """``pip install rmtlib`` has numpy, scipy and numba only: the core and the models load no more."""
    modules = [*LEAN, *sorted(m for m in SOURCES if m.startswith("rmtlib.models"))]
    code = (f"import importlib, json, sys\nfor m in {modules!r}:\n    importlib.import_module(m)\n"
            f"print(json.dumps(sorted({{n for n in sys.modules if n.split('.')[0] in {HEAVY!r}}})))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    assert not loaded, f"importing the core and the models loads {loaded}"
