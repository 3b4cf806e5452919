"""Tangent rules: every primitive with an adjoint has one, and the runtime
helpers added for forward mode agree with finite differences on both targets."""
import numpy as np
import pytest

from sourcediff.rules import registry
from sourcediff.runtime import helpers as H

# array methods and attributes: their tangent is the same operation on x_dot
STRUCTURAL = {"T", "reshape", "ravel", "flatten", "copy_method", "astype"}


def test_every_primitive_with_an_adjoint_has_a_tangent_rule():
    missing = [str(p.key) for p in registry.PRIMITIVES.values()
               if p.differentiable and any(r.template is not None for r in p.rules)
               and not p.tangents and p.key not in STRUCTURAL]
    assert missing == []


def test_every_primitive_with_a_rule_has_a_result_type():
    missing = [str(p.key) for p in registry.PRIMITIVES.values()
               if any(r.template is not None for r in p.rules + p.tangents)
               and p.result_type is None]
    assert missing == []


def _called_in_templates():
    """``{name called in a rule's template: the rules calling it}`` (``np.flip``,
    ``reverse_cumsum``): what generated code will call."""
    import ast
    called = {}
    for p in registry.PRIMITIVES.values():
        exprs = [(r, r.template.body + [o for o in r.template.outputs if o is not None])
                 for r in p.rules if r.template is not None]
        exprs += [(r, r.template.body + [r.template.output])
                  for r in p.tangents if r.template is not None]
        for r, nodes in exprs:
            for node in nodes:
                for n in ast.walk(node):
                    if isinstance(n, ast.Call):
                        called.setdefault(ast.unparse(n.func), set()).add(str(p.key))
    return called


def _resolve(name):
    import builtins
    import math

    from sourcediff.runtime.declare import helper_named
    root, *attrs = name.split(".")
    obj = {"np": np, "math": math}.get(root)
    if obj is None:
        return helper_named(name) or getattr(builtins, name, None)
    for a in attrs:
        obj = getattr(obj, a, None)
    return obj


def test_what_rules_call_is_a_declared_helper_or_numpy_numba_supports():
    """Each call in a template is a runtime helper declared with its Numba overload
    (and a primitive itself: generated code is differentiated again), or a NumPy,
    math or builtin function Numba types."""
    numba = pytest.importorskip("numba")
    from numba.core.registry import cpu_target

    from sourcediff.runtime import declare
    declare.install_numba_overloads()
    numba.njit(lambda x: np.cumsum(x))(np.ones(2))   # Numba registers its NumPy functions
    typing = cpu_target.typing_context
    typing.refresh()
    problems = []
    for name, users in sorted(_called_in_templates().items()):
        fn = _resolve(name)
        if fn is None:
            problems.append(f"{name} (in the rules of {sorted(users)}): not a declared helper")
            continue
        helper = declare.HELPERS.get(name)
        if helper is not None:
            p = registry.get_primitive(fn)
            if not helper.overloads:
                problems.append(f"helper {name}: no Numba overload")
            if p is None or p.result_type is None:
                problems.append(f"helper {name}: no result type")
            continue
        try:
            typing.resolve_value_type(fn)
        except (ValueError, TypeError) as exc:
            problems.append(f"{name}: Numba has no typing ({exc})")
    assert problems == []


def test_every_declared_helper_has_an_overload_and_axis_helpers_are_helpers():
    from sourcediff.runtime import declare
    assert [n for n, h in declare.HELPERS.items() if not h.overloads] == []
    for p in registry.PRIMITIVES.values():
        if p.axis_helper is not None:
            assert declare.helper_name(p.axis_helper) is not None, p.key


def test_each_term_of_a_tangent_rule_carries_one_input_tangent():
    """So the terms of inputs without a derivative can be dropped (np.where's one
    term, and ``select``'s, np.where as generated code calls it, selects between
    two tangents: a missing one becomes 0.0; a join's one
    term assembles them: a missing one becomes zeros of its input's shape)."""
    import ast

    from sourcediff.passes.forward import _terms
    from sourcediff.runtime import joins
    from sourcediff.runtime.array_helpers import select
    assembling = {np.where, select, joins.vstack2, joins.hstack2, joins.column_stack2,
                  joins.append_flat}
    for p in registry.PRIMITIVES.values():
        for r in p.tangents:
            if r.template is None or p.key in assembling:
                continue
            for _, term in _terms(r.template.output):
                names = {n.id for n in ast.walk(term) if isinstance(n, ast.Name)}
                assert len(names & set(r.template.tangents)) == 1, (p.key, ast.unparse(term))


def _fd(f, x, v, h=1e-6):
    return (f(x + h * v) - f(x - h * v)) / (2 * h)


def test_prod_others_jvp_is_exact_with_zeros():
    rng = np.random.default_rng(0)
    for x in (rng.uniform(0.5, 1.5, 6), np.array([0.5, 0.0, 2.0, 1.5]),
              np.array([0.0, 3.0, 0.0, 2.0])):
        v = rng.uniform(-1, 1, x.size)
        np.testing.assert_allclose(H.prod_others_jvp(x, v), _fd(H.prod_others, x, v),
                                   rtol=1e-7, atol=1e-9)
    m = rng.uniform(0.5, 1.5, (3, 4))
    dm = rng.uniform(-1, 1, (3, 4))
    for axis in (0, 1, -1):
        np.testing.assert_allclose(
            H.prod_others_along_jvp(m, dm, axis),
            _fd(lambda a, axis=axis: H.prod_others_along(a, axis), m, dm), rtol=1e-7)


def test_tangent_like_broadcasts_to_a_new_array():
    z = np.zeros((3, 4), np.float32)
    out = H.tangent_like(np.arange(4.0).reshape(1, 4), z)
    assert out.shape == (3, 4) and out.dtype == np.float32
    np.testing.assert_array_equal(out[2], [0, 1, 2, 3])
    t = np.ones(4)
    again = H.tangent_like(t, np.zeros(4))
    again[0] = 5.0
    assert t[0] == 1.0


def test_forward_helpers_compile_with_numba():
    numba = pytest.importorskip("numba")
    H.install_numba_overloads()

    # (prod_others_along_jvp compiles too, in ~9 s: left out)
    @numba.njit
    def use(x, v, z):
        return H.prod_others_jvp(x, v), H.tangent_like(2.0, z), H.tangent_like(v, z)

    x, v = np.array([0.5, 0.0, 2.0]), np.array([1.0, -1.0, 0.5])
    a, c, d = use(x, v, np.zeros(3))
    np.testing.assert_allclose(a, H.prod_others_jvp(x, v))
    np.testing.assert_array_equal(c, 2.0)
    np.testing.assert_array_equal(d, v)
