"""``sd.jvp`` over the SPEC section 3 subset, against finite differences.

Every function of the reverse-mode sweeps (``tests/core/test_fd_subset.py``,
``tests/core/programs.py``) is pushed forward along a random tangent: the JVP
must equal the directional central difference of the function and, for a
scalar function, ``dot(grad, tangent)`` from ``sd.grad``.  All of them run
on the ``python`` target; a representative few are compiled (``cpu``).
"""
import sys
from pathlib import Path

import pytest

from ..core import test_fd_subset as subset
from ..core import test_programs as programs

sys.path.insert(0, str(Path(__file__).resolve().parent))
from jvpcheck import check_jvp

SUBSET = {c.id: c for c in subset.CASES}
PROGRAMS = {f.__name__: (f, args, wrt) for f, args, wrt in programs.CASES}

# compiled with Numba: loops, while/break, arrays and axes, helpers, tuples, float32
CPU_SUBSET = ["s_pow_var", "m_atan2", "c_early_return_if", "l_while_true_break", "l_break_inner",
              "r_prod_axis1", "la_mlp", "t_tuple_argument-wrt=0", "f32_loop"]
CPU_PROGRAMS = ["ode_euler", "while_arr", "calls_arr", "uses_tuple_ret"]


@pytest.mark.parametrize("case_id", sorted(SUBSET))
def test_jvp_of_subset_function(case_id):
    case = SUBSET[case_id]
    for seed, args in enumerate(case.arg_sets):
        check_jvp(case.f, args, case.wrt, "python", rtol=case.rtol, atol=case.atol, seed=seed)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_jvp_of_program(name):
    f, args, wrt = PROGRAMS[name]
    check_jvp(f, args, wrt, "python")


@pytest.mark.parametrize("case_id", CPU_SUBSET + CPU_PROGRAMS)
def test_jvp_compiled(case_id):
    if case_id in SUBSET:
        case = SUBSET[case_id]
        for seed, args in enumerate(case.arg_sets):
            check_jvp(case.f, args, case.wrt, "cpu", rtol=case.rtol, atol=case.atol, seed=seed)
    else:
        f, args, wrt = PROGRAMS[case_id]
        check_jvp(f, args, wrt, "cpu")
