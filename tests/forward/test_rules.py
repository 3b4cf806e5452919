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


def test_each_term_of_a_tangent_rule_carries_one_input_tangent():
    """So the terms of inputs without a derivative can be dropped (np.where's one
    term selects between two tangents: a missing one becomes 0.0; a join's one
    term assembles them: a missing one becomes zeros of its input's shape)."""
    import ast

    from sourcediff.passes.forward import _terms
    from sourcediff.runtime import joins
    assembling = {np.where, joins.vstack2, joins.hstack2, joins.column_stack2,
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
