"""The intermediate form's contract (``sourcediff/ir.py``) is the only way facts
travel between passes: no module touches an ``sd_`` attribute itself, every
declared fact is read somewhere (a fact nobody reads is not written), and the
``Kind`` enum names every kind a statement gets."""
from __future__ import annotations

import ast
import functools
from pathlib import Path

import numpy as np
import pytest

import sourcediff as sd
from sourcediff import ir

from . import golden_funcs as g
from . import programs as P

PACKAGE = Path(__file__).resolve().parents[2] / "sourcediff"
IR_FILE = PACKAGE / "ir.py"
ATTR_FUNCS = {"getattr", "setattr", "hasattr", "delattr"}


def sd_attribute_uses(source: str) -> list[tuple[int, str]]:
    """(line, text) of each ``x.sd_...`` and ``getattr(x, "sd_...")`` (also
    setattr/hasattr/delattr) in ``source``."""
    return _sd_attribute_uses_in(ast.parse(source))


def _sd_attribute_uses_in(tree) -> list[tuple[int, str]]:
    return [(node.lineno, ast.unparse(node)) for node in ast.walk(tree)
            if _is_sd_attribute(node)]


def _is_sd_attribute(node) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr.startswith("sd_")
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in ATTR_FUNCS and len(node.args) >= 2):
        return False
    name = node.args[1]
    return isinstance(name, ast.Constant) and str(name.value).startswith("sd_")


def _modules():
    return [p for p in sorted(PACKAGE.rglob("*.py")) if p != IR_FILE]


@functools.cache
def _tree(path: Path) -> ast.Module:
    """The parsed module, parsed once for the tests of this file."""
    return ast.parse(path.read_text())


def test_no_module_touches_an_sd_attribute_itself():
    wrong = [f"{path.relative_to(PACKAGE.parent)}:{line}: {text}"
             for path in _modules() for line, text in _sd_attribute_uses_in(_tree(path))]
    assert not wrong, "facts go through sourcediff/ir.py:\n" + "\n".join(wrong)


def test_the_attribute_check_can_fail():
    planted = ('def f(s, t):\n    s.sd_line = 3\n    k = getattr(t, "sd_kind", None)\n'
               '    return hasattr(s, "sd_prim") or s.value.sd_note or k\n')
    assert [line for line, _ in sd_attribute_uses(planted)] == [2, 3, 4, 4]
    assert not sd_attribute_uses('name = "sd_cache.py"\nsd_x = 1\nf(sd_x)\n')


@functools.cache
def _fact_uses():
    """Fact name -> ('read' | 'write') -> the modules (outside ir.py) doing it (computed
    once for the tests that read it; they do not change it)."""
    facts = {f.name.upper(): f for f in ir.FACTS}
    uses: dict = {name: {"read": set(), "write": set()} for name in facts}
    helpers = {"tag": ("LINE", "KIND"), "mark": ("PRIM",)}
    for path in _modules():
        module = str(path.relative_to(PACKAGE.parent))
        for node in ast.walk(_tree(path)):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            func = node.func
            if isinstance(func.value, ast.Name) and func.value.id == "ir":
                if func.attr in facts:                        # ir.LINE(s)
                    uses[func.attr]["read"].add(module)
                for name in helpers.get(func.attr, ()):       # ir.tag(s, ...)
                    uses[name]["write"].add(module)
            elif isinstance(func.value, ast.Attribute) and isinstance(func.value.value, ast.Name) \
                    and func.value.value.id == "ir" and func.value.attr in facts:
                what = {"set": "write", "has": "read"}.get(func.attr)
                if what:                                      # ir.LINE.set(s, 3)
                    uses[func.value.attr][what].add(module)
    return uses


def test_every_fact_is_read_and_written_outside_ir():
    uses = _fact_uses()
    unread = sorted(name for name, u in uses.items() if not u["read"])
    unwritten = sorted(name for name, u in uses.items() if not u["write"])
    assert not unread, f"facts nobody reads (delete them): {unread}"
    assert not unwritten, f"facts nobody writes: {unwritten}"


def test_each_fact_names_its_writers_and_readers():
    """ir.py's declarations say exactly which modules write and read a fact."""
    uses = _fact_uses()
    wrong = []
    for fact in ir.FACTS:
        for what, who, declared in (("write", "writers", fact.writers),
                                    ("read", "readers", fact.readers)):
            actual = sorted(Path(m).stem for m in uses[fact.name.upper()][what])
            listed = [m.strip() for m in declared.split(",")]
            if listed != actual:
                wrong.append(f"{fact.name}: {who} declared {listed}, actual {actual}")
    assert not wrong, "\n".join(wrong)


def test_every_fact_is_declared_once():
    names = [f.name for f in ir.FACTS]
    assert len(names) == len(set(names))
    declared = {name for name, value in vars(ir).items() if isinstance(value, ir.Fact)}
    assert declared == {n.upper() for n in names}, "every Fact is listed in ir.FACTS"


X = np.array([0.3, -0.2, 0.5, 0.1])
V = np.array([1.0, 0.5, -0.5, 2.0])

# representative programs: loops, branches, while/break, stores, calls, tuples,
# forward mode, and forward over reverse (the tapes of generated code)
PROGRAMS = [
    lambda: sd.grad(g.rosen_loop, target="python")(X),
    lambda: sd.grad(g.branches, wrt=(0, 1), target="python")(0.5, 0.2),
    lambda: sd.grad(g.while_break, target="python")(X, 0.2),
    lambda: sd.grad(g.scratch_array, wrt=(0, 1), target="python")(X, 0.7),
    lambda: sd.grad(g.calls_helper, target="python")(X),
    lambda: sd.grad(P.uses_tuple_ret, target="python")(X),
    lambda: sd.grad(P.writes, target="python")(X),
    lambda: sd.grad(P.leapfrog, wrt=(0, 1), target="python")(X, V),
    lambda: sd.grad(P.cont_while, target="python")(X),
    lambda: sd.jvp(g.while_break, target="python")(X, 0.2, V),
    lambda: sd.jvp(sd.grad(g.while_break, target="python"), target="python")(X, 0.2, V),
    # a while loop with no bound on its trips: a stack that grows, transformed again
    lambda: sd.jvp(sd.grad(P.while_true, target="python"), target="python")(1.5, 1.0),
    # an array whose length changes: a list tape, transformed again
    lambda: sd.jvp(sd.grad(P.grows_rows, target="python"), target="python")(X, 2, V),
]


@pytest.fixture(scope="module")
def kinds_written():
    """Every value written as a statement's kind while the programs transform."""
    seen = []
    original = ir.Fact.set

    def recording_set(fact, node, value):
        if fact is ir.KIND:
            seen.append(value)
        return original(fact, node, value)

    mp = pytest.MonkeyPatch()
    mp.setattr(ir.Fact, "set", recording_set)
    try:
        for run in PROGRAMS:
            run()
    finally:
        mp.undo()
    return seen


def test_kind_names_every_kind_a_statement_gets(kinds_written):
    values = {k.value for k in ir.Kind}
    unknown = sorted({str(v) for v in kinds_written} - values)
    assert not unknown, f"kinds outside ir.Kind: {unknown}"
    assert all(isinstance(v, ir.Kind) for v in kinds_written), \
        "kinds are written as ir.Kind members"


def test_every_kind_occurs(kinds_written):
    """The programs exercise every declared kind: none is declared for nothing."""
    missing = sorted(k.value for k in set(ir.Kind) - set(kinds_written))
    assert not missing, f"kinds no statement gets: {missing}"
