"""Index arrays in writes and inside indices (passes/index_names.py,
runtime.helpers.last_writes): gradients against central differences on both
targets, JAX where the program is JAX code, and the refusals."""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.errors import TransformError
from tests.core import index_write_programs as P
from tests.core.test_numpy_more import jax_grad
from tests.fdcheck import check_grad

IDS = [c[0].__name__ for c in P.CASES]


# the cpu target compiles one program per runtime helper and lowering (last_writes,
# last_pair_writes, np.add.at with rows and a computed value, named index parts, digitize
# and searchsorted, integer arrays and tuple indices): the rest is the same code, and a
# compile costs seconds
CPU = {P.add_at_repeats, P.columns_at_repeats, P.rows_of_an_index_table, P.shifted_index,
       P.negatives_in_a_loop, P.added_at_rows, P.added_at_a_value_computed, P.local_index_array,
       P.pairs_at_repeats, P.interpolated, P.tuple_as_index_in_a_loop, P.dofs_built}
ON_TARGETS = [(*c, "python") for c in P.CASES] + [(*c, "cpu") for c in P.CASES if c[0] in CPU]


@pytest.mark.parametrize("f, args, wrt, target", ON_TARGETS,
                         ids=[f"{c[0].__name__}-{c[3]}" for c in ON_TARGETS])
def test_gradient_matches_finite_differences(f, args, wrt, target):
    # (value_and_grad's value: on the python target; one compile less on cpu)
    check_grad(f, args, wrt=wrt, target=target, check_value=target == "python")


@pytest.mark.parametrize("f, args, wrt", P.CASES, ids=IDS)
def test_value_is_numpys(f, args, wrt):
    # (the cpu target's value: check_grad above)
    assert sd.value_and_grad(f, wrt=wrt, target="python")(*args)[0] == \
        pytest.approx(f(*args), rel=1e-14)


# reads only (JAX arrays have no in-place writes)
READS = [c for c in P.CASES if c[0] in (P.row_as_index, P.shifted_index, P.negatives_in_a_loop,
                                        P.binned, P.interpolated)]


@pytest.mark.parametrize("f, args, wrt", READS, ids=[c[0].__name__ for c in READS])
def test_reads_agree_with_jax(f, args, wrt):
    ref = jax_grad(f, args, wrt)
    if ref is None:
        pytest.skip("JAX is an optional peer; the checks against finite differences still run")
    ours = sd.grad(f, wrt=wrt, target="python")(*args)
    ours = ours if isinstance(wrt, tuple) else (ours,)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-12, atol=1e-14)


def test_the_tangent_of_a_write_with_repeats_is_numpys():
    f, args, _ = P.CASES[0]
    t = np.linspace(0.5, 1.5, 5)
    _, tangent = sd.jvp(f, wrt=0, target="python")(*args, t)
    h = 1e-6
    fd = (f(args[0] + h * t, args[1]) - f(args[0] - h * t, args[1])) / (2 * h)
    assert tangent == pytest.approx(fd, rel=1e-7)


def test_an_index_part_gets_a_name_before_its_statement():
    f, args, wrt = P.CASES[5]
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    assert "_ix1 = idx2d[k]" in text and "_ix2 = idx2d[k]" in text and "y[_ix2] += " in text
    assert "last_writes(_ix2, dy.shape[0])" in text


def through_three_index_arrays(T, a, b, c):
    Y = T * 1.0
    Y[a, b, c] = T[0, 0, 0] * 2.0
    return np.sum(Y * Y)


def test_a_write_through_three_index_arrays_is_refused():
    i = np.array([0, 1])
    with pytest.raises(TransformError) as e:
        sd.grad(through_three_index_arrays, target="python")(np.ones((2, 2, 2)), i, i, i)
    assert "more than two index arrays" in str(e.value) and "test_index_writes.py:" in \
        str(e.value)


def multiplied_at(x, idx):
    y = x * 1.0
    np.multiply.at(y, idx, 2.0)
    return np.sum(y)


def test_other_ufunc_at_methods_are_refused():
    with pytest.raises(TransformError) as e:
        sd.grad(multiplied_at, target="python")(np.ones(3), np.array([0, 0]))
    assert "np.multiply.at(...) is not supported" in str(e.value)
