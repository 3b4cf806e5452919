"""The package is layered: no import cycles anywhere in ``sourcediff/`` (imports inside
functions count too), and the layers named in STYLE.md keep their direction.

The import graph is read from the source with ``ast`` (nothing is imported). An
edge ``a -> b`` means that importing or running ``a`` imports ``b``: ``import
p.q.r`` and ``from p.q import r`` lead to module ``p.q.r`` (or to ``p.q`` when
``r`` is a name defined there), and also to every package on the way (``p``,
``p.q``) whose ``__init__`` that import runs, except the importing module's own
ancestors (they are being imported already). Imports under ``if TYPE_CHECKING:``
never run and do not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "sourcediff"


def module_files(package: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of ``package``."""
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _type_checking_only(tree: ast.AST) -> set[int]:
    """Ids of the nodes under ``if TYPE_CHECKING:``."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(sub) for sub in ast.walk(node) if sub is not node)
    return skipped


def _imported_names(module: str, path: Path, tree: ast.AST):
    """The dotted names each import statement of ``module`` asks for."""
    skipped = _type_checking_only(tree)
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module
            for alias in node.names:
                yield f"{origin}.{alias.name}"   # a submodule, or a name defined in origin


def import_graph(package: Path) -> dict[str, set[str]]:
    """Module -> the modules of ``package`` that importing it runs (see the docstring)."""
    modules = module_files(package)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        ancestors = {".".join(name.split(".")[:k]) for k in range(1, name.count(".") + 1)}
        for wanted in _imported_names(name, path, ast.parse(path.read_text())):
            while wanted and wanted not in modules:   # a name defined in a module
                wanted = wanted.rpartition(".")[0]
            if not wanted:
                continue                                # outside the package
            parts = wanted.split(".")
            runs = {".".join(parts[:k]) for k in range(1, len(parts))} - ancestors
            graph[name].update(t for t in runs | {wanted} if t in modules and t != name)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles: strongly connected components of more than one module
    (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = len(index)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(graph[succ]))))
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        cycles.append(sorted(component))
    return cycles


def _describe(cycles, graph) -> str:
    lines = []
    for cycle in cycles:
        members = set(cycle)
        lines.append("cycle: " + ", ".join(cycle))
        for name in cycle:
            lines += [f"    {name} -> {t}" for t in sorted(graph[name] & members)]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def graph():
    return import_graph(PACKAGE)


def test_no_import_cycles(graph):
    cycles = find_cycles(graph)
    assert not cycles, "import cycles in sourcediff/:\n" + _describe(cycles, graph)


def _imports_of(graph, prefix):
    """(importer, imported) pairs for the modules at or under ``prefix``."""
    return [(m, t) for m, targets in graph.items()
            if m == prefix or m.startswith(prefix + ".") for t in sorted(targets)]


def _within(name, prefixes):
    return any(name == p or name.startswith(p + ".") for p in prefixes)


# Lower layers and what they must never import (a higher layer of the same stack).
NEVER_IMPORTS = {
    # the intermediate form's contract: every pass imports it, it imports none of them
    "sourcediff.ir": ["sourcediff"],
    "sourcediff.names": ["sourcediff"],      # fresh names: passes and backends use it
    "sourcediff.backends": ["sourcediff.transforms", "sourcediff.api", "sourcediff.bridge",
                            "sourcediff.cli", "sourcediff.bench"],
    "sourcediff.program": ["sourcediff.transforms", "sourcediff.api", "sourcediff.backends"],
    "sourcediff.tensor": ["sourcediff.transforms", "sourcediff.api", "sourcediff.bridge",
                          "sourcediff.nn", "sourcediff.optim", "sourcediff.autograd"],
    "sourcediff.transforms": ["sourcediff.api", "sourcediff.cli", "sourcediff.bench"],
}


@pytest.mark.parametrize("layer", sorted(NEVER_IMPORTS))
def test_lower_layers_do_not_import_higher_ones(graph, layer):
    wrong = [(m, t) for m, t in _imports_of(graph, layer) if _within(t, NEVER_IMPORTS[layer])]
    assert not wrong, "\n".join(f"{m} imports {t}" for m, t in wrong)


# sourcediff/transforms/, bottom to top (its __init__ says what each holds)
TRANSFORMS = ["base", "reverse", "forward", "batched", "higher", "vjp", "grad", "function"]


def test_transforms_import_only_the_layers_below(graph):
    order = {f"sourcediff.transforms.{name}": k for k, name in enumerate(TRANSFORMS)}
    assert set(order) == {m for m in graph if m.startswith("sourcediff.transforms.")}
    wrong = [(m, t) for m, targets in graph.items() if m in order
             for t in targets if t in order and order[t] >= order[m]]
    assert not wrong, "\n".join(f"{m} imports {t}, a layer above it" for m, t in wrong)


def test_the_tensor_class_sits_at_the_bottom(graph):
    """``tensor.core`` imports no op, graph or engine module; they import it."""
    below = {"sourcediff.tensor.dtypes", "sourcediff.tensor.grad_mode",
             "sourcediff.tensor.printing"}
    assert graph["sourcediff.tensor.core"] <= below, sorted(graph["sourcediff.tensor.core"])


def test_a_cycle_through_a_function_level_import_is_found(tmp_path):
    """The check can fail: a cycle closed by an import inside a function."""
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from .low import helper\n")
    (package / "sub" / "low.py").write_text(
        "def helper():\n    from ..high import run\n    return run\n")
    (package / "high.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import other\n"
        "from .sub.low import helper\n\ndef run():\n    return helper\n")
    (package / "other.py").write_text("from . import high\n")
    graph = import_graph(package)
    assert graph["pkg.high"] == {"pkg.sub", "pkg.sub.low"}   # TYPE_CHECKING skipped
    assert find_cycles(graph) == [["pkg.high", "pkg.sub", "pkg.sub.low"]]
    (package / "sub" / "low.py").write_text("def helper():\n    return None\n")
    assert find_cycles(import_graph(package)) == []
