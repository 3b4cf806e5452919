"""Buffer swaps, rotations and fresh arrays per step (passes/buffers.py).

Gradients against central differences on the python and cpu targets; the
generated adjoint of a swap permutes the adjoint buffers instead of taping
and zeroing them; writing through a true alias is refused with the user's
names.
"""
from __future__ import annotations

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.bench.programs import heat
from tests.core import buffer_programs as B
from tests.fdcheck import check_grad, numeric_grad

rng = np.random.default_rng(7)
X = rng.standard_normal(7)

CASES = [
    (heat.heat_copy_back, heat.make_args(heat.SIZES["small"])),
    (heat.heat_swap, heat.make_args(heat.SIZES["small"])),
    (B.swap2d, (rng.standard_normal((5, 6)), 0.2, 4)),
    (B.rotate3, (X, 0.2, 5)),
    (B.fresh_empty, (X, 0.2, 5)),
    (B.fresh_copy, (X, 0.2, 5)),
    (B.swap_while, (X, 0.2, 5)),
    (B.swap_if, (X, 0.2, 5)),
    (B.grow, (X[:4], 0.7, 3)),
    (B.swap_bound_in_branches, (X, 0.2, 4, 1.0)),
    (B.swap_bound_in_branches, (X, 0.2, 3, -1.0)),
    (B.fresh_zeros_read_first, (X, 0.2, 4)),
    (B.fresh_until_small, (X, 0.2, 6)),
    (B.swap_through_a_name, (X, 0.2, 5)),
    (B.fresh_until_small, (X * 0.1, 0.2, 6)),           # the moved buffer changes shape every step
    (B.fresh_empty, (X, 0.2, 0)),       # no step: placeholders only
    (B.swap_while, (X, 0.2, 0)),
    (B.fresh_each_step, (0.7, rng.standard_normal((4, 5)))),
    (B.swap_after_column_helpers, (rng.standard_normal((4, 3)), 0.8, 3)),
]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_gradient_matches_finite_differences(f, args, target):
    check_grad(f, args, wrt=(0, 1), target=target)


def reverse_part(f, args) -> str:
    source = sd.grad(f, wrt=(0, 1), target="python").source_for(*args)
    return source[source.index("for t in range(steps - 1"):]   # the reverse time loop


def test_swap_permutes_names_and_adjoint_buffers():
    args = heat.make_args(heat.SIZES["small"])
    source = sd.grad(heat.heat_swap, wrt=(0, 1), target="python").source_for(*args)
    reverse = reverse_part(heat.heat_swap, args)
    assert "u, unew = unew, u" in source and "du, dunew = dunew, du" in source
    assert "unew, u = u, unew" in reverse and "dunew, du = du, dunew" in reverse
    # no tape of bindings, no per-step copies or zeroed buffers
    assert "_saved_u " not in source and ".append(" not in source
    assert "fresh(" not in source and "zeros_like" not in reverse


def test_swap_through_a_users_name_is_a_permutation():
    reverse = reverse_part(B.swap_through_a_name, (X, 0.2, 5))
    assert "unew, u = u, unew" in reverse and "dunew, du = du, dunew" in reverse


def test_rotation_is_inverted():
    reverse = reverse_part(B.rotate3, (X, 0.2, 5))
    assert "b, c, a = a, b, c" in reverse and "db, dc, da = da, db, dc" in reverse


def test_fresh_array_per_step_moves_its_adjoint():
    reverse = reverse_part(B.fresh_empty, (X, 0.2, 5))
    assert "dunew, du = du, dunew" in reverse
    assert "du = reuse_zeros(du, u)" in reverse
    assert "dunew += du" not in reverse


@pytest.mark.parametrize("f, args, names", [
    (B.swap_into_one, (X,), ("u", "unew")),
    (B.forgot_fresh_buffer, (X, 0.2, 3), ("u", "unew")),
    (B.swap_with_view, (X,), ("a", "b")),
    # in-place operators: NumPy writes into the array both names see (these used
    # to be differentiated as 'y = y * c', a new array: value and gradient wrong)
    (B.scaled_in_place, (X, 0.5), ("y", "z")),
    (B.added_in_place, (X, 0.5), ("y", "z")),
    (B.param_scaled_in_place, (X, 2.0), ("x", "y")),
    # the name left behind is read after the write through the new one
    (B.fresh_each_step_read_after, (0.7, rng.standard_normal((4, 5))), ("x", "xn")),
])
def test_writing_through_a_true_alias_names_the_users_variables(f, args, names):
    first, second = names
    pattern = rf"'({first}|{second})' shares memory with array '({first}|{second})'"
    with pytest.raises(sd.TransformError, match=pattern) as info:
        sd.grad(f, target="python")(*args)
    message = str(info.value)
    assert "'_" not in message, message      # never a generated temporary


@pytest.mark.parametrize("checkpoint", [True, 3])
@pytest.mark.parametrize("f", [heat.heat_swap, B.rotate3, B.fresh_empty, B.swap_if],
                         ids=lambda f: f.__name__)
def test_checkpointed_segments_keep_buffers_paired(f, checkpoint):
    """A segment's re-run permutes the names again but not the adjoint buffers,
    which are already paired with the names at the segment's end."""
    u0, kappa, target, _ = heat.make_args({"n": 9, "steps": 10})
    args = (u0, kappa, target, 10) if f is heat.heat_swap else (u0, kappa, 10)
    got = sd.grad(f, wrt=(0, 1), target="python", checkpoint=checkpoint)(*args)
    want = numeric_grad(f, args, (0, 1))
    np.testing.assert_allclose(got[0], want[0], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_write_after_a_consumed_view_is_taped(target):
    """Was a wrong gradient (cos of the new y[1]): the write is now undone
    before the reverse sweep reads the view."""
    check_grad(B.consumed_view_then_write, (np.array([0.3, 0.5, 0.7, 0.9]),), wrt=0,
               target=target)
