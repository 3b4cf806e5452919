"""Random programs, differentiated by sourcediff and checked against finite differences.

Hypothesis writes small numeric Python functions as source text, in two families:

* straight-line programs: a row of assignments over scalar variables (new
  variables, reassignment of existing ones and of parameters, augmented
  assignment, tuple unpacking) built from ``+ - * /``, unary minus, ``**2`` and
  ``math.sin/cos/exp/tanh/sqrt/log`` kept in their smooth domain;
* loop programs: a ``for i in range(n)`` loop whose body overwrites scalar state
  every iteration, reads ``x[i]`` and ``x[i + 1]``, writes into local scratch
  arrays (one element per iteration, and a small buffer reused by every
  iteration), and may hold nested ``for`` loops (constant and runtime bounds),
  ``while`` loops with a counter, ``if``/``elif``/``else`` on index or data
  conditions, ``break``, ``continue`` and early ``return``.

Each program is written to a real ``.py`` file and imported, because
``sd.grad`` reads the source with ``inspect.getsource``. Its gradient is
compared with a Richardson-extrapolated central difference of the plain Python
function. Examples where finite differences are not trustworthy (a branch or a
``break`` flips inside the step, values overflow) are discarded with
``assume``; the check is made on every example for ``target="python"`` and on
fewer examples for ``target="cpu"``, where every example pays a Numba compile
(the whole file takes well under two minutes).

On failure Hypothesis prints the program, the arguments and ``wrt``.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import math
import os
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, assume, given, note, settings
from hypothesis import strategies as st

import sourcediff as sd

# --------------------------------------------------------------------------
# Tolerances. The reference is a Richardson extrapolation of central
# differences at steps h and h/2, accurate to O(h^4) plus rounding
# (~eps * |f| / h), far below RTOL for the smooth, bounded programs we keep.
# --------------------------------------------------------------------------
STEP = 1e-5
RTOL = 1e-5
ATOL = 1e-6  # scaled by 1 + |f| + |reference gradient|
MAX_ABS_VALUE = 1e6  # larger outputs are discarded (cancellation ruins FD)
# Programs whose intermediates grow past this are discarded too: a saturating
# tanh(1e300) has a finite output but inf * 0 = nan adjoints, in JAX as here.
MAX_INTERMEDIATE = 1e30

PYTHON_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
# Every compiled example costs a Numba compile, so fewer examples and no
# shrinking: the python-target twin of each test shrinks the same programs. Under CI
# (derandomized, the same programs every run) 4 examples per family are compiled; the
# python-target twins keep their 60, and locally the cpu tests draw 12 new ones.
CPU_SETTINGS = settings(
    max_examples=4 if os.environ.get("CI") else 12,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


# --------------------------------------------------------------------------
# Loading generated source as a real module
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def module_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory for the generated modules (module scope: Hypothesis-safe)."""
    return tmp_path_factory.mktemp("random_programs")


def load_function(source: str, directory: Path, name: str = "f") -> Callable[..., Any]:
    """Write ``source`` to a uniquely named file in ``directory``, import it, return ``name``.

    The file name is a hash of the source, so equal programs share one module and
    ``inspect.getsource`` never sees a stale file.
    """
    module_name = "sd_random_" + hashlib.sha1(source.encode()).hexdigest()[:16]
    module = sys.modules.get(module_name)
    if module is None:
        path = directory / f"{module_name}.py"
        path.write_text(source)
        spec = importlib.util.spec_from_file_location(module_name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return getattr(module, name)


# --------------------------------------------------------------------------
# Expressions
# --------------------------------------------------------------------------
# Every template is smooth everywhere on the reals: divisions are by 1 + b*b,
# exp is of a tanh, sqrt and log are of 1 + a*a.
UNARY_TEMPLATES = [
    "-{a}",
    "math.sin({a})",
    "math.cos({a})",
    "math.exp(math.tanh({a}))",
    "math.tanh({a})",
    "math.sqrt(1.0 + {a} * {a})",
    "math.log(1.0 + {a} * {a})",
    "{a} ** 2",
    "0.5 * {a}",
]
BINARY_TEMPLATES = [
    "{a} + {b}",
    "{a} - {b}",
    "{a} * {b}",
    "{a} / (1.0 + {b} * {b})",
]
CONSTANTS = ["0.5", "1.5", "2.0", "-0.75"]


def _parenthesize(expression: str) -> str:
    """Wrap ``expression`` in parentheses unless it is an atom (name, call, subscript)."""
    node = ast.parse(expression, mode="eval").body
    atomic = isinstance(node, (ast.Name, ast.Call, ast.Subscript, ast.Attribute))
    if isinstance(node, ast.Constant) and not expression.startswith("-"):
        atomic = True
    return expression if atomic else f"({expression})"


def draw_expression(draw: st.DrawFn, leaves: list[str], depth: int = 2) -> str:
    """A random smooth float expression over ``leaves`` with nesting up to ``depth``."""
    choice = draw(st.integers(0, 3)) if depth > 0 else 0
    if choice == 0:
        pool = leaves + CONSTANTS if draw(st.integers(0, 5)) == 0 else leaves
        return draw(st.sampled_from(pool))
    if choice == 1:
        template = draw(st.sampled_from(UNARY_TEMPLATES))
        return template.format(a=_parenthesize(draw_expression(draw, leaves, depth - 1)))
    template = draw(st.sampled_from(BINARY_TEMPLATES))
    left = _parenthesize(draw_expression(draw, leaves, depth - 1))
    right = _parenthesize(draw_expression(draw, leaves, depth - 1))
    return template.format(a=left, b=right)


def jittered_floats(position: int) -> st.SearchStrategy[float]:
    """Floats in about [-1.5, 1.5], nudged off round numbers.

    Hypothesis loves 0.0 and equal values; a per-position offset keeps inputs
    off the round constants and off each other, so data-dependent branches are
    almost never at a tie (the finite-difference screen catches the rest).
    """
    offset = 1e-3 * (1.0 + ((position + 1) * 0.6180339887498949) % 1.0)
    return st.floats(-1.5, 1.5, allow_nan=False).map(lambda v: v + offset)


MODULE_HEADER = "import math\n\nimport numpy as np\n\n\n"


# --------------------------------------------------------------------------
# Test cases
# --------------------------------------------------------------------------
@dataclass
class Case:
    """A generated program and one way to call and differentiate it."""

    source: str
    args: tuple[Any, ...]
    wrt: int | str | tuple[int | str, ...]
    params: tuple[str, ...]

    def positions(self) -> tuple[int, ...]:
        """Argument positions named by ``wrt``, in order."""
        items = self.wrt if isinstance(self.wrt, tuple) else (self.wrt,)
        return tuple(self.params.index(w) if isinstance(w, str) else w for w in items)


def draw_wrt(draw: st.DrawFn, params: list[str], differentiable: list[int]):
    """``wrt`` as an int, a parameter name, or a tuple (any order) of either."""
    kind = draw(st.sampled_from(["int", "name", "tuple"]))
    if kind == "int":
        return draw(st.sampled_from(differentiable))
    if kind == "name":
        return params[draw(st.sampled_from(differentiable))]
    chosen = draw(st.permutations(differentiable))
    chosen = chosen[: draw(st.integers(1, len(chosen)))]
    as_names = draw(st.booleans())
    return tuple(params[p] if as_names else p for p in chosen)


@st.composite
def straight_line_programs(draw: st.DrawFn) -> Case:
    """A straight-line program over 1-3 float parameters."""
    params = ["a", "b", "c"][: draw(st.integers(1, 3))]
    names = list(params)
    body: list[str] = []
    last_target = params[0]
    for k in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["new", "new", "reassign", "augment", "unpack"]))
        expression = draw_expression(draw, names)
        if kind == "new":
            last_target = f"v{k}"
            body.append(f"{last_target} = {expression}")
            names.append(last_target)
        elif kind == "reassign":
            last_target = draw(st.sampled_from(names))
            body.append(f"{last_target} = {expression}")
        elif kind == "augment":
            last_target = draw(st.sampled_from(names))
            operator = draw(st.sampled_from(["+=", "-=", "*="]))
            body.append(f"{last_target} {operator} {expression}")
        else:  # tuple unpacking: both sides read the old values (a swap when crossed)
            first = draw(st.sampled_from(names))
            second = f"v{k}"
            other = draw_expression(draw, names)
            body.append(f"{first}, {second} = {expression}, {other}")
            names.append(second)
            last_target = draw(st.sampled_from([first, second]))
    others = draw(st.lists(st.sampled_from(names), max_size=2, unique=True))
    returned = [last_target] + [name for name in others if name != last_target]
    body.append("return " + " + ".join(returned))

    source = MODULE_HEADER + f"def f({', '.join(params)}):\n"
    source += "".join(f"    {line}\n" for line in body)
    args = tuple(draw(jittered_floats(p)) for p in range(len(params)))
    wrt = draw_wrt(draw, params, list(range(len(params))))
    return Case(source, args, wrt, tuple(params))


# --------------------------------------------------------------------------
# Loop programs
# --------------------------------------------------------------------------
@dataclass
class Scope:
    """What a block of a loop program may use.

    ``leaves``: float-valued expressions safe to read here. ``loops``: the
    enclosing loops, innermost last, as (index variable, "for" or "while").
    """

    leaves: list[str]
    loops: list[tuple[str, str]]
    in_outer_loop: bool


class LoopProgramBuilder:
    """Draws the body of ``def f(x, a, n)`` statement by statement.

    Invariants that keep every program valid Python and valid Numba:
    state variables are floats defined before the loop; temporaries are used
    only in the block that defines them; ``x`` has ``n + 1`` elements, so
    ``x[i + 1]`` is in range, and ``x[j]`` is read only when ``j <= i``;
    ``while`` loops bump their counter first, so ``continue`` cannot spin.
    """

    MAX_DEPTH = 2

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw
        self.lines: list[str] = []
        self.counter = 0
        self.states = [f"s{k}" for k in range(draw(st.integers(1, 3)))]
        self.use_buffer = draw(st.booleans())  # buf = np.zeros(n), buf[i] per iteration
        self.use_scratch = draw(st.booleans())  # tmp = np.zeros(2), reused every iteration

    def fresh(self, prefix: str) -> str:
        """A new, unique variable name."""
        self.counter += 1
        return f"{prefix}{self.counter}"

    def emit(self, indent: int, text: str) -> None:
        """Append one source line at ``indent`` levels."""
        self.lines.append("    " * indent + text)

    def expression(self, scope: Scope) -> str:
        """A random smooth expression over what ``scope`` may read."""
        return draw_expression(self.draw, scope.leaves)

    def targets(self) -> list[str]:
        """Variables a statement may overwrite (the parameter ``a`` included)."""
        return self.states + ["a"]

    def state_sum(self) -> str:
        """The value returned: the sum of all state variables."""
        return " + ".join(self.states)

    def condition(self, scope: Scope) -> str:
        """A branch condition: on loop indices, or on data (screened by FD)."""
        draw = self.draw
        options = ["data"]
        if scope.loops:
            options += ["index", "index", "mixed"]
        kind = draw(st.sampled_from(options))
        if kind in ("index", "mixed"):
            index, _ = draw(st.sampled_from(scope.loops))
            template = draw(
                st.sampled_from(["{i} % 2 == 0", "{i} % 3 == 1", "{i} < 2", "{i} >= 1"])
            )
            index_condition = template.format(i=index)
            if kind == "index":
                return index_condition
        left = draw(st.sampled_from(scope.leaves))
        right = draw(st.sampled_from(scope.leaves + ["0.0", "0.3", "-0.5"]))
        data_condition = f"{left} {draw(st.sampled_from(['>', '<']))} {right}"
        if kind == "data":
            return data_condition
        joiner = draw(st.sampled_from(["and", "or"]))
        return f"{index_condition} {joiner} {data_condition}"

    def jump_condition(self, scope: Scope) -> str:
        """Condition for ``break``/``continue``/``return``: index-based or data-based."""
        draw = self.draw
        index, kind = scope.loops[-1]
        if draw(st.integers(0, 3)) == 0:
            leaf = draw(st.sampled_from(scope.leaves))
            return f"{leaf} > {draw(st.sampled_from(['0.5', '1.0', '-0.25']))}"
        if kind == "while":
            return f"{index} == {draw(st.integers(1, 2))}"
        return draw(
            st.sampled_from(
                [f"{index} == {draw(st.integers(0, 3))}", f"{index} % 3 == 1", f"{index} >= 2"]
            )
        )

    def block(self, indent: int, scope: Scope, depth: int) -> None:
        """Emit 1-4 statements (possibly compound) at ``indent``."""
        draw = self.draw
        leaves = list(scope.leaves)  # temporaries defined here stay local to this block
        for _ in range(draw(st.integers(1, 4))):
            local = Scope(leaves, scope.loops, scope.in_outer_loop)
            kinds = ["temp", "overwrite", "augment", "augment"]
            if self.use_buffer and scope.in_outer_loop:
                kinds.append("buffer")
            if self.use_scratch:
                kinds.append("scratch")
            if depth < self.MAX_DEPTH:
                kinds += ["for", "while", "if"]
            if scope.loops:
                kinds += ["break", "continue"]
            kinds.append("return")
            kind = draw(st.sampled_from(kinds))

            if kind == "temp":
                name = self.fresh("t")
                self.emit(indent, f"{name} = {self.expression(local)}")
                leaves.append(name)
            elif kind == "overwrite":
                target = draw(st.sampled_from(self.targets()))
                self.emit(indent, f"{target} = {self.expression(local)}")
            elif kind == "augment":
                target = draw(st.sampled_from(self.targets()))
                operator = draw(st.sampled_from(["+=", "-=", "*="]))
                self.emit(indent, f"{target} {operator} {self.expression(local)}")
            elif kind == "buffer":
                operator = draw(st.sampled_from(["=", "+="]))
                self.emit(indent, f"buf[i] {operator} {self.expression(local)}")
            elif kind == "scratch":
                self.emit(indent, f"tmp[{draw(st.integers(0, 1))}] = {self.expression(local)}")
            elif kind == "for":
                self.nested_for(indent, local, depth)
            elif kind == "while":
                counter = self.fresh("c")
                self.emit(indent, f"{counter} = 0")
                self.emit(indent, f"while {counter} < {draw(st.integers(1, 3))}:")
                self.emit(indent + 1, f"{counter} += 1")
                inner = Scope(list(leaves), scope.loops + [(counter, "while")], scope.in_outer_loop)
                self.block(indent + 1, inner, depth + 1)
            elif kind == "if":
                self.emit(indent, f"if {self.condition(local)}:")
                self.block(indent + 1, local, depth + 1)
                if draw(st.booleans()):
                    self.emit(indent, f"elif {self.condition(local)}:")
                    self.block(indent + 1, local, depth + 1)
                if draw(st.booleans()):
                    self.emit(indent, "else:")
                    self.block(indent + 1, local, depth + 1)
            elif kind in ("break", "continue"):
                self.emit(indent, f"if {self.jump_condition(local)}:")
                self.emit(indent + 1, kind)
            else:  # early return
                condition = self.jump_condition(local) if scope.loops else self.condition(local)
                self.emit(indent, f"if {condition}:")
                self.emit(indent + 1, f"return {self.state_sum()}")

    def nested_for(self, indent: int, scope: Scope, depth: int) -> None:
        """Emit a nested ``for`` with a constant or runtime (triangular) bound."""
        draw = self.draw
        index = self.fresh("j")
        leaves = list(scope.leaves)
        bound = draw(st.sampled_from(["const", "const_start", "triangular"]))
        if bound == "triangular" and scope.in_outer_loop:
            self.emit(indent, f"for {index} in range({draw(st.sampled_from(['i', 'i + 1']))}):")
            leaves.append(f"x[{index}]")  # j <= i < n + 1: in range
        elif bound == "const_start":
            self.emit(indent, f"for {index} in range(1, {draw(st.integers(2, 4))}):")
        else:
            self.emit(indent, f"for {index} in range({draw(st.integers(1, 3))}):")
        leaves.append(f"0.25 * {index}")  # an integer index used as data
        inner = Scope(leaves, scope.loops + [(index, "for")], scope.in_outer_loop)
        self.block(indent + 1, inner, depth + 1)

    def build(self) -> str:
        """The whole module source."""
        draw = self.draw
        initial = ["a", "0.0", "1.0", "x[0] * a", "math.sin(a)", "x[0]"]
        for state in self.states:
            self.emit(1, f"{state} = {draw(st.sampled_from(initial))}")
        globals_ = self.states + ["a"]
        if self.use_buffer:
            self.emit(1, "buf = np.zeros(n)")
        if self.use_scratch:
            self.emit(1, "tmp = np.zeros(2)")
            globals_ += ["tmp[0]", "tmp[1]"]
        self.emit(1, "for i in range(n):")
        loop_leaves = globals_ + ["x[i]", "x[i + 1]", "x[i]", "x[i + 1]"]
        if self.use_buffer:
            loop_leaves.append("buf[i]")
        self.block(2, Scope(loop_leaves, [("i", "for")], True), depth=0)
        if self.use_buffer:  # reduce the per-iteration buffer in a second loop
            self.emit(1, "for i in range(n):")
            weight = draw(st.sampled_from(["buf[i]", "x[i]", "a", "0.5"]))
            self.emit(2, f"{self.states[0]} += buf[i] * {weight}")
        self.emit(1, f"return {self.state_sum()}")
        return MODULE_HEADER + "def f(x, a, n):\n" + "\n".join(self.lines) + "\n"


@st.composite
def loop_programs(draw: st.DrawFn) -> Case:
    """A loop program ``f(x, a, n)`` with its arguments (``len(x) == n + 1``)."""
    source = LoopProgramBuilder(draw).build()
    n = draw(st.integers(0, 5))
    x = np.array([draw(jittered_floats(k)) for k in range(n + 1)])
    a = draw(jittered_floats(n + 1))
    wrt = draw_wrt(draw, ["x", "a", "n"], [0, 1])
    return Case(source, (x, a, n), wrt, ("x", "a", "n"))


# --------------------------------------------------------------------------
# Finite differences and the check itself
# --------------------------------------------------------------------------
def call_primal(f: Callable[..., Any], args: tuple[Any, ...]) -> float:
    """``f(*args)`` on copies; programs that overflow or leave the domain are discarded."""
    copies = tuple(np.copy(a) if isinstance(a, np.ndarray) else a for a in args)
    try:
        value = f(*copies)
    except (OverflowError, ValueError, ZeroDivisionError):
        assume(False)
    assume(math.isfinite(value) and abs(value) < MAX_ABS_VALUE)
    return float(value)


def largest_intermediate(f: Callable[..., Any], args: tuple[Any, ...]) -> float:
    """The largest magnitude of any float local of ``f`` during ``f(*args)`` (NaN counts as inf).

    Read with a line tracer on ``f``'s own frame, so overflow hidden behind a
    saturating function or an unused variable is seen too.
    """
    largest = 0.0
    code = f.__code__

    def local_tracer(frame: Any, event: str, arg: Any) -> Any:
        nonlocal largest
        for value in frame.f_locals.values():
            if isinstance(value, (float, np.floating)):
                magnitude = abs(float(value))
            elif isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size:
                magnitude = float(np.max(np.abs(value)))
            else:
                continue
            largest = math.inf if math.isnan(magnitude) else max(largest, magnitude)
        return local_tracer

    def global_tracer(frame: Any, event: str, arg: Any) -> Any:
        return local_tracer if frame.f_code is code else None

    previous = sys.gettrace()
    sys.settrace(global_tracer)
    try:
        call_primal(f, args)
    finally:
        sys.settrace(previous)
    return largest


def reference_gradient(f: Callable[..., Any], args: tuple[Any, ...], position: int) -> np.ndarray:
    """Richardson-extrapolated central difference of ``f`` with respect to ``args[position]``.

    Examples where the derivative is not numerically well defined (a jump or
    kink inside the step, rounding noise) are discarded: central differences at
    h and h/2 must agree, and so, loosely, must the one-sided ones.
    """
    base = args[position]
    shape = np.shape(base)
    gradient = np.zeros(shape)
    scale = 1.0 + abs(call_primal(f, args))
    for index in np.ndindex(shape):

        def at(delta: float, index: tuple[int, ...] = index) -> float:
            moved = list(args)
            if shape:
                moved[position] = np.array(base, dtype=float)
                moved[position][index] += delta
            else:
                moved[position] = base + delta
            return call_primal(f, tuple(moved))

        h = STEP * max(1.0, abs(float(np.asarray(base)[index])))
        f_plus, f_minus, f_center = at(h), at(-h), at(0.0)
        coarse = (f_plus - f_minus) / (2 * h)
        fine = (at(h / 2) - at(-h / 2)) / h
        assume(abs(coarse - fine) <= 1e-6 * (scale + abs(fine)))
        one_sided_gap = (f_plus - f_center) / h - (f_center - f_minus) / h
        assume(abs(one_sided_gap) <= 1e-2 * (1.0 + abs(fine)))
        gradient[index] = (4 * fine - coarse) / 3
    return gradient


def as_tuple(grads: Any, wrt: Any) -> tuple[Any, ...]:
    """Gradients as a tuple: a tuple ``wrt`` returns a tuple, a single ``wrt`` one value."""
    if isinstance(wrt, tuple):
        assert isinstance(grads, tuple), f"wrt={wrt!r} must give a tuple, got {type(grads)}"
        assert len(grads) == len(wrt)
        return grads
    return (grads,)


def check_against_finite_differences(case: Case, directory: Path, target: str) -> None:
    """The whole property: sourcediff's gradient equals the finite-difference one."""
    note(f"program:\n{case.source}")
    note(f"args={case.args!r}  wrt={case.wrt!r}  target={target!r}")
    f = load_function(case.source, directory)
    value = call_primal(f, case.args)
    assume(largest_intermediate(f, case.args) < MAX_INTERMEDIATE)
    references = [reference_gradient(f, case.args, p) for p in case.positions()]

    args = tuple(np.copy(a) if isinstance(a, np.ndarray) else a for a in case.args)
    grads = as_tuple(sd.grad(f, wrt=case.wrt, target=target)(*args), case.wrt)
    for original, passed in zip(case.args, args):
        np.testing.assert_array_equal(passed, original, err_msg="sd.grad modified an argument")

    for position, got, reference in zip(case.positions(), grads, references):
        name = case.params[position]
        assert np.shape(got) == np.shape(case.args[position]), f"shape of d/d{name}"
        tolerance = ATOL * (1.0 + abs(value) + float(np.max(np.abs(reference), initial=0.0)))
        np.testing.assert_allclose(
            np.asarray(got, dtype=float),
            reference,
            rtol=RTOL,
            atol=tolerance,
            err_msg=f"d f / d {name} (target={target})",
        )

    if target == "python":  # value_and_grad must agree with f and with grad
        v, grads_again = sd.value_and_grad(f, wrt=case.wrt, target=target)(*args)
        np.testing.assert_allclose(v, value, rtol=1e-12, atol=1e-12, err_msg="value")
        for got, again in zip(grads, as_tuple(grads_again, case.wrt)):
            np.testing.assert_allclose(again, got, rtol=1e-12, atol=1e-12, err_msg="grads")
        # checkpointed loops (a snapshot every 2 iterations) change nothing
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)   # loops it cannot checkpoint
            ck = sd.value_and_grad(f, wrt=case.wrt, target=target, checkpoint=2)
            v2, grads_ck = ck(*args)
        np.testing.assert_allclose(v2, value, rtol=1e-12, atol=1e-12, err_msg="value (ckpt)")
        for got, again in zip(grads, as_tuple(grads_ck, case.wrt)):
            np.testing.assert_allclose(again, got, rtol=1e-11, atol=1e-12,
                                       err_msg="grads (checkpoint=2)")


# --------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------
@PYTHON_SETTINGS
@given(case=straight_line_programs())
def test_straight_line_python(case: Case, module_dir: Path) -> None:
    check_against_finite_differences(case, module_dir, "python")


@CPU_SETTINGS
@given(case=straight_line_programs())
def test_straight_line_cpu(case: Case, module_dir: Path) -> None:
    check_against_finite_differences(case, module_dir, "cpu")


@PYTHON_SETTINGS
@given(case=loop_programs())
def test_loop_programs_python(case: Case, module_dir: Path) -> None:
    check_against_finite_differences(case, module_dir, "python")


@CPU_SETTINGS
@given(case=loop_programs())
def test_loop_programs_cpu(case: Case, module_dir: Path) -> None:
    check_against_finite_differences(case, module_dir, "cpu")
