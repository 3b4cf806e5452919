"""Small arrays of a fixed shape become one scalar per element
(passes/small_arrays.py): gradients against central differences, on the
Python and cpu targets, and what the generated code does and does not do."""
from __future__ import annotations

import re

import numpy as np
import pytest

import sourcediff as sd
from tests.core import small_array_programs as P
from tests.fdcheck import check_grad

rng = np.random.default_rng(11)
KALMAN = (np.log(0.1), np.log(0.3), np.cumsum(0.3 * rng.standard_normal(8)), 0.1)
CASES = [
    (P.kalman, KALMAN, (0, 1)),
    (P.rotation, (0.3, np.array([0.8, -0.4]), 6), (0, 1)),
    (P.orbit, (1.0, np.array([1.0, 0.1, 0.0]), np.array([0.0, 1.0, 0.2]), 0.05, 7),
     (0, 1, 2)),
    (P.mixed_forms, (0.3, 0.7, 3), (0, 1)),
    (P.pendulum_rk4, (9.81, 0.3, 1.2, 0.01, 6), (0, 1, 2)),
    (P.linear_algebra, (0.3, -0.2, 0.4, 3), (0, 1, 2)),
    (P.escaping_uses, (0.3, np.array([[0.1, 0.2], [0.3, 0.4]]), 4), (0, 1)),
    (P.escapes, (0.4, 3), 0),
    (P.stored_in_the_loop, (np.array([1.0, 0.5]), 0.1, 3), (0, 1)),
    (P.escapes_any_count, (0.4, 4), 0),
    (P.stored_in_the_loop_any_count, (np.array([1.0, 0.5]), 0.1, 3), (0, 1)),
    (P.two_compartments, (1.3, 0.4, 2.0, 0.1, 8), (0, 1, 2)),
    (P.kalman_2d, (0.05, 0.3, np.array([0.0, 0.0, 1.0, 0.5]),
                   np.cumsum(0.3 * rng.standard_normal((9, 2)), 0), 0.1), (0, 1, 2)),
    (P.five_species, (np.array([1.0, 0.5, 0.1, 0.2, 0.1]), np.array([0.3, 0.2]), 0.4),
     (0, 1)),
    (P.sixteen_states, (0.1 + 0.05 * rng.random(16), 0.3, 4), (0, 1)),
    (P.kalman_transition_argument, (np.cumsum(0.3 * rng.standard_normal(7)),
                                    np.array([[1.0, 1.0], [0.0, 0.9]]), 0.1, 0.25),
     (0, 1, 2, 3)),
]


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f, args, wrt", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_gradient_matches_finite_differences(f, args, wrt, target):
    check_grad(f, args, wrt=wrt, target=target)


def source(f, args, wrt) -> str:
    """The generated code without its comments (which quote the user's lines)."""
    text = sd.grad(f, wrt=wrt, target="python").source_for(*args)
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


CAMS = np.column_stack([0.3 * rng.standard_normal((3, 3)), rng.standard_normal((3, 2)),
                        5.0 + rng.random((3, 1)), np.ones((3, 1)), rng.random((3, 1))])
POINTS = rng.standard_normal((4, 3))
CAM_IDX, PT_IDX = np.array([0, 2, 1, 2, 0]), np.array([3, 0, 1, 1, 2])


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_rows_at_gathered_indices_gradient(target):
    check_grad(P.reprojections, (CAMS, POINTS, CAM_IDX, PT_IDX), wrt=(0, 1), target=target)


def test_rows_at_gathered_indices_are_scalars():
    # cams[cam_idx[o]] of a parameter whose rows (9 long) the compiled code is
    # specialized on: its elements are read where the row was, the helper's
    # 3-vectors are numbers; the camera's index is read once per row
    text = sd.value_and_grad(P.reprojections, wrt=(0, 1)).source_for(CAMS, POINTS, CAM_IDX, PT_IDX)
    adjoint = text[text.index("_grad("):]
    code = "\n".join(ln for ln in adjoint.splitlines() if not ln.lstrip().startswith("#"))
    assert "np.cross" not in code and code.count("zeros_like(") == 2, code      # dX, dcams
    assert "cam_idx_o = cam_idx[o]" in code and "cams[cam_idx_o, 6]" in code, code
    assert "cams[cam_idx[o]" not in code and ".append(" not in code, code


# (and an empty array a helper fills, np.empty(2), as np.array is)
@pytest.mark.parametrize("case", CASES[:6] + CASES[11:12], ids=lambda c: c[0].__name__)
def test_small_arrays_are_scalars(case):
    text = source(*case)
    adjoint = text[text.index("_grad("):]
    for array_code in ("@", "np.outer", "outer_product", "np.dot", "[:", ".append(",
                       "np.sum(", "np.array", "empty_grid", "empty_stack", "unbroadcast",
                       "np.linalg", "np.cross", "np.max", "np.min", "np.mean"):
        assert array_code not in adjoint, array_code


def test_kalman_elements_are_named_after_their_array():
    text = source(*CASES[0])
    # P[0, 1] is P_01, x[1] is x_1; the covariance update reads old elements
    assert "P_01 = " in text and "x_1 = " in text and "dP_11" in text
    assert re.search(r"P_11(_v\d+)? = _t\d+_11 \+ Q_11", text)


def test_a_store_through_a_second_name_is_refused_as_before():
    # the arrays stay arrays, and the alias check names the user's variables
    with pytest.raises(sd.TransformError, match="'y' shares memory with array 'x'"):
        sd.grad(P.shared_then_written, target="python")(0.4, 3)


def test_in_place_add_through_a_second_name_is_refused():
    # NumPy's x += d is seen through y; it used to be differentiated as x = x + d
    # (value and gradient of another function)
    with pytest.raises(sd.TransformError, match=r"'x' shares memory with array 'y'") as e:
        sd.grad(P.added_in_place, target="python")(0.4, 3)
    assert "x += d" in str(e.value)
    with pytest.raises(sd.TransformError, match=r"'x' shares memory with array 'y'") as e:
        sd.grad(P.scaled_through_second_name, target="python")(0.4)
    assert "x *= 2.0" in str(e.value)


def test_variable_indices_read_arrays_made_again():
    text = source(*CASES[9])
    loop = text[text.index("for k in range(n):"):]
    assert "u = empty_stack(3, u_0)" in loop and "u_0 = a * _a3_0" in loop
    # a loop of a constant count over the elements is written out instead
    text = source(*CASES[7])
    assert "for j in range(3)" not in text and "empty_stack(3" not in text


def test_an_array_stored_into_in_a_loop_is_made_again_in_it():
    # found by a tester: value and gradient were those of k = [0, 0]
    for case in (CASES[8], CASES[10]):
        f, args, _ = case
        value, _ = sd.value_and_grad(f, wrt=(0, 1), target="python")(*args)
        assert value == pytest.approx(f(args[0].copy(), *args[1:]), rel=1e-14)
    text = source(*CASES[10])
    loop = text[text.index("for t in range(steps):"):]
    assert "k = empty_stack(2, k_0)" in loop


def test_shape_of_a_tuple_is_dropped_with_the_array():
    # np.zeros((2, 2)) reads its shape tuple; once M is scalars the tuple is dead
    text = source(*CASES[3])
    assert "(2, 2)" not in text and "M_11 = 0.0" in text and "np.zeros" not in text


def test_uses_the_pass_does_not_write_read_an_array_made_again():
    text = source(*CASES[6])
    primal = text[:text.index("_grad(")]
    loop = primal[primal.index("for k in range(n):"):]
    # M is scalars; the parameter's shape is unknown, so M - target reads a new
    # array of M's elements, made once, before the loop (the loop leaves M)
    assert "_p1 = a * v_0" in loop          # M_00 is a's copy, read as a
    assert "M = empty_grid(2, 2, " not in loop and "M = empty_grid(2, 2, " in primal
    # a variable index reads an array made from v's elements
    assert "v = empty_stack(2, v_0)" in loop


def test_a_returned_small_array_is_made_an_array():
    np.testing.assert_allclose(np.ravel(sd.jacobian(P.returns_small)(0.5)), [1.0, 4.0])


def test_a_gain_from_solve_and_rows_of_observations_are_scalars():
    # (compiled target: the observations' rows are of a known length there)
    f, args, wrt = CASES[12]
    text = sd.grad(f, wrt=wrt, target="cpu").source_for(*args)
    adjoint = text[text.index("_grad("):]
    code = "\n".join(line for line in adjoint.splitlines() if not line.lstrip().startswith("#"))
    for array_code in ("@", "np.linalg", ".append(", "empty_grid", "unbroadcast"):
        assert array_code not in code, array_code
    assert re.search(r"= obs\[t, 1\]", code)


def test_a_row_a_product_reads_whole_stays_a_row():
    args = (rng.standard_normal((6, 3)), rng.standard_normal((5, 3)))
    check_grad(P.rows_to_a_product, args, wrt=(0, 1), target="cpu")
    text = sd.grad(P.rows_to_a_product, wrt=(0, 1), target="cpu").source_for(*args)
    primal = text[:text.index("_grad(")]
    assert re.search(r"= xs\[t\]\n", primal) and "empty_stack" not in primal


@pytest.mark.parametrize("f, args, wrt", CASES[13:15], ids=lambda c: getattr(c, "__name__", ""))
def test_loops_over_up_to_sixteen_elements_are_written_out(f, args, wrt):
    # the loops over the species (five) and the states (sixteen) are written out:
    # the work array and the state are numbers, the state kept once per trip in
    # the plan, no array re-made in the loop nor kept on a list
    text = sd.value_and_grad(f, wrt=wrt, target="python").source_for(*args)
    adjoint = text[text.index("_grad("):]
    code = "\n".join(ln for ln in adjoint.splitlines() if not ln.lstrip().startswith("#"))
    plan = adjoint[adjoint.index("# Plan:"):adjoint.index("# -- ")]
    assert "for s in range" not in code and "for j in range" not in code, code
    assert "empty_stack" not in code and "zeros_like(dc)" not in code, code
    assert "not numbers" not in plan and "stored once per iteration" in plan, plan


def test_a_matrix_argument_read_in_the_loop_seeds_the_shapes():
    # F's 2x2 shape (read whole only in the loop, through the helper) makes the
    # mean, the covariance and the gain numbers: no array on a list, the state
    # kept once per step
    f, args, wrt = CASES[15]
    text = sd.value_and_grad(f, wrt=wrt, target="python").source_for(*args)
    adjoint = text[text.index("_grad("):]
    code = "\n".join(ln for ln in adjoint.splitlines() if not ln.lstrip().startswith("#"))
    plan = adjoint[adjoint.index("# Plan:"):adjoint.index("# -- ")]
    for array_code in (".append(", "np.dot", "np.outer", "empty_stack", "zeros_like(P"):
        assert array_code not in code, array_code
    assert "'P_00'" in plan and "'m_1'" in plan and "not numbers" not in plan, plan


AXES = (np.array([0.3, 0.5, 0.7]),
        np.array([[0.0, 0.6, 0.8], [0.0, 1.0, 0.0], [0.6, 0.0, 0.8]]), 5)


@pytest.mark.parametrize("target", ["python", "cpu"])
@pytest.mark.parametrize("f", [P.rows_of_a_read_matrix, P.rows_at_a_remainder],
                         ids=lambda f: f.__name__)
def test_rows_of_a_small_argument_at_computed_indices(f, target):
    check_grad(f, AXES, wrt=(0, 1), target=target)


@pytest.mark.parametrize("f", [P.rows_of_a_read_matrix, P.rows_at_a_remainder],
                         ids=lambda f: f.__name__)
def test_rows_at_computed_indices_are_read_element_by_element(f):
    # (compiled target: the argument's rows are of a known length there)
    text = sd.value_and_grad(f, wrt=(0, 1)).source_for(*AXES)
    adjoint = text[text.index("_grad("):]
    code = "\n".join(ln for ln in adjoint.splitlines() if not ln.lstrip().startswith("#"))
    assert ".append(" not in code and "np.outer" not in code and "np.dot" not in code, code
    assert re.search(r"axis_1 = axes\[(k|t % 3), 1\]", code), code


ARM = (np.array([0.3, -0.2, 0.5]),
       np.array([[0.0, 0.6, 0.8], [0.0, 1.0, 0.0], [0.6, 0.0, 0.8]]),
       np.array([[0.36, 0.48, -0.8], [-0.8, 0.6, 0.0], [0.48, 0.64, 0.6]]), 4)


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_a_rotation_made_in_each_step_gradient(target):
    check_grad(P.arm_orientation, ARM, wrt=(0, 1, 2), target=target)


def test_a_rotation_made_in_each_step_is_numbers():
    # (compiled target: the rows axes[j] are of a known length there) Rgoal's shape
    # seeds the pass (read whole with R, made np.eye(3) in the loop), np.trace is a
    # sum of the diagonal: no matrix is an array, none on a list
    text = sd.value_and_grad(P.arm_orientation, wrt=(0, 1, 2)).source_for(*ARM)
    adjoint = text[text.index("_grad("):]
    code = "\n".join(ln for ln in adjoint.splitlines() if not ln.lstrip().startswith("#"))
    for array_code in (".append(", "np.trace", "np.dot", "np.outer", "@", "empty_grid"):
        assert array_code not in code, array_code


HISTORY = (0.9, 0.05, -0.05, 0.85, 0.1, rng.standard_normal((6, 2)))


@pytest.mark.parametrize("target", ["python", "cpu"])
def test_matrices_stored_into_history_rows_gradient(target):
    check_grad(P.covariance_history, HISTORY, wrt=(0, 1, 2, 3, 4), target=target)
    check_grad(P.covariance_history_sliced, HISTORY, wrt=(0, 1, 2, 3, 4), target=target)
    check_grad(P.history_of_another_shape, (0.7, rng.standard_normal((5, 2))), wrt=0,
               target=target)


@pytest.mark.parametrize("f", [P.covariance_history, P.covariance_history_sliced],
                         ids=lambda f: f.__name__)
def test_matrices_stored_into_history_rows_are_numbers(f):
    # ``Ph[t] = P`` (or ``Ph[t, :, :] = P``) into an array made np.zeros((T, 2, 2)) is
    # four element stores: no 2x2 matrix stays an array, none goes on a list (compiled
    # target: the rows ys[t] are of a known length there)
    text = sd.value_and_grad(f, wrt=(0, 1, 2, 3, 4)).source_for(*HISTORY)
    adjoint = text[text.index("_grad("):]
    code = "\n".join(ln for ln in adjoint.splitlines() if not ln.lstrip().startswith("#"))
    for array_code in (".append(", "np.linalg.inv", "@", "empty_grid", "copy_into"):
        assert array_code not in code, array_code
    assert "Ph[t, 1, 0] = " in code and "xh[t, 1] = " in code
