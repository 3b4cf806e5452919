"""Compiled derivatives specialized on the short last axis of float arrays
(backends/row_lengths.py): the rewrite of the file Numba compiles (an assert
on the docstring's line, lines kept), the cache key (rows of another length
compile anew, never trip the assert), gradients against finite differences
for rows of several lengths, layouts and dimensions, and the effect in
optimized IR (a process of its own at Numba's default level)."""
import math
import textwrap

import numpy as np
import pytest

import sourcediff as sd
from sourcediff.backends.row_lengths import ROW_MAX, known_row_lengths
from sourcediff.transforms.base import _quick_key
from tests.core.test_unroll import chain_written_out
from tests.fdcheck import check_grad
from tests.optimized import run_optimized


def test_the_assert_goes_on_the_docstring_line_of_functions_indexing_a_row():
    source = textwrap.dedent('''\
        def f(X, W, v):
            """Primal."""
            return X[0, 2] + W[0, 1] + v[0]


        def f_grad(X, W, v, Y):
            """Value and gradient
            of f."""
            s = 0.0
            for i in range(X.shape[0]):
                for j in range(v.shape[0]):
                    s += X[i, 1] * W[i, j] + Y[i, 0]
            return s


        def g(X):
            return X[0, 0]
    ''')
    lengths = {"X": (2, 3), "W": (2, 4), "Y": (3, 2)}
    out = known_row_lengths(source, {"f_grad", "g"}, lengths).split("\n")
    lines = source.split("\n")
    assert len(out) == len(lines)
    # f is not among the functions named; g has no docstring to carry it
    assert out[1] == lines[1] and out[15:] == lines[15:]
    # W's last axis is indexed by j, which runs over v; Y has three dimensions, not two
    assert out[6] == lines[6]
    assert out[7] == '    of f."""; assert X.shape[1] == 3'
    assert [a for a, b in zip(out, lines) if a != b] == [out[7]]
    assert known_row_lengths(source, {"f_grad"}, {}) == source


def test_points_of_short_loops_count_as_constants():
    source = textwrap.dedent('''\
        def g(X, Y, Z, W):
            """Doc."""
            s = 0.0
            for i in range(X.shape[0]):
                for a in range(3):
                    s += X[i, a]
                for j in range(Y.shape[1]):
                    s += Y[i, j]
                for j2 in range(Y.shape[0]):
                    s += Z[i, j2]
                for k in range(W.shape[0] - 1):
                    s += W[i, k]
            return s
    ''')
    lengths = {"X": (2, 3), "Y": (2, 4), "Z": (2, 4), "W": (2, 4)}
    doc = known_row_lengths(source, {"g"}, lengths).split("\n")[1]
    # Z's last axis runs over Y's rows, W's over a length computed at run time
    assert doc == '    """Doc."""; assert X.shape[1] == 3; assert Y.shape[1] == 4'


def test_rows_are_part_of_the_key_when_short():
    a3, a4 = np.zeros((5, 3)), np.zeros((5, 4))
    long = np.zeros((5, ROW_MAX + 1))
    assert _quick_key((a3,), rows=True) != _quick_key((a4,), rows=True)
    assert _quick_key((a3,)) == _quick_key((a4,))
    assert _quick_key((long,), rows=True) == _quick_key((np.zeros((5, ROW_MAX + 2)),), rows=True)
    # integer arrays and vectors are typed as before
    assert _quick_key((np.zeros((5, 3), np.int64),), rows=True) == \
        _quick_key((np.zeros((5, 4), np.int64),), rows=True)
    assert _quick_key((np.zeros(3),), rows=True) == _quick_key((np.zeros(4),), rows=True)


def bonds(X, k):
    """Bond and angle energy of a chain of points, three coordinates each (the
    bonds' helper is copied in: its rows are read in the gradient itself)."""
    e = chain_written_out(X, k)
    for i in range(X.shape[0] - 2):
        c = 0.0
        for a in range(3):
            c += (X[i + 1, a] - X[i, a]) * (X[i + 2, a] - X[i + 1, a])
        e += 0.1 * c * c
    return e


def grid_springs(P, k):
    """Springs to the right neighbour on a grid of points: ``P[i, j, 0:3]``."""
    e = 0.0
    for i in range(P.shape[0]):
        for j in range(P.shape[1] - 1):
            dx = P[i, j + 1, 0] - P[i, j, 0]
            dy = P[i, j + 1, 1] - P[i, j, 1]
            dz = P[i, j + 1, 2] - P[i, j, 2]
            e += k * (math.sqrt(dx * dx + dy * dy + dz * dz) - 0.5) ** 2
    return e


def _chain(n, cols, rng):
    X = np.cumsum(rng.standard_normal((n, cols)), axis=0)
    return X


@pytest.fixture(scope="module")
def bonds_grad():
    return sd.value_and_grad(bonds, wrt=(0, 1))


def test_rows_of_three_then_four_then_a_strided_view(bonds_grad):
    rng = np.random.default_rng(3)
    X = _chain(9, 3, rng)
    check_grad(bonds, (X, 1.3), (0, 1), "cpu")
    value, (dX, dk) = bonds_grad(X, 1.3)
    # a fourth, unused coordinate: compiled anew for rows of four (the assert of
    # rows of three is not tripped), the gradient the same with a zero column
    X4 = np.concatenate([X, rng.standard_normal((9, 1))], axis=1)
    value4, (dX4, dk4) = bonds_grad(X4, 1.3)
    assert value4 == pytest.approx(value, rel=1e-14) and dk4 == pytest.approx(dk, rel=1e-14)
    np.testing.assert_allclose(dX4[:, :3], dX, rtol=1e-13, atol=1e-13)
    assert np.all(dX4[:, 3] == 0.0)
    # rows of three that are a view of wider ones (not contiguous)
    wide = np.concatenate([X, rng.standard_normal((9, 2))], axis=1)
    value_v, (dX_v, _) = bonds_grad(wide[:, :3], 1.3)
    assert value_v == pytest.approx(value, rel=1e-14)
    np.testing.assert_allclose(dX_v, dX, rtol=1e-13, atol=1e-13)
    # and three again: the first compile, reused
    assert bonds_grad(X, 1.3)[0] == value


def test_the_types_of_a_compiled_gradient_carry_the_rows_and_pythons_do_not():
    X = _chain(6, 3, np.random.default_rng(4))
    for target, want in (("cpu", 3), ("python", None)):
        g = sd.value_and_grad(bonds, wrt=0, target=target)
        _, types = g.bind((X, 1.0), {})
        assert types[0].row_length == want
        assert types[1].row_length is None


def test_a_grid_of_points_three_dimensions():
    rng = np.random.default_rng(5)
    P = rng.standard_normal((4, 5, 3))
    check_grad(grid_springs, (P, 0.7), (0, 1), "cpu")


SCRIPT = textwrap.dedent('''
    import importlib.util, json, re
    import numba
    import numpy as np
    import sourcediff as sd
    from sourcediff.bench.fresh import polymer

    VECTOR = re.compile(r"<[0-9]+ x double>")
    g = sd.value_and_grad(polymer.chain_energy, wrt=polymer.WRT)
    args = polymer.make_args(polymer.SIZES["small"])
    value, grads = g(*args)
    grad = g._last.names["grad"]
    ours = len(VECTOR.findall("\\n".join(grad.inspect_llvm().values())))

    # the same file without the asserts
    path = grad.py_func.__code__.co_filename
    source = open(path).read()
    assert "; assert X.shape[1] == 3" in source
    spec = importlib.util.spec_from_file_location("no_rows", path)
    module = importlib.util.module_from_spec(spec)
    module.__dict__.update(grad.py_func.__globals__)
    exec(compile(re.sub(r"; assert [^\\n]*", "", source), path, "exec"), module.__dict__)
    plain = numba.njit(error_model="numpy", fastmath={"reassoc"})(
        module.chain_energy_grad)
    value_plain, grads_plain = plain(*args)
    text = "\\n".join(plain.inspect_llvm().values())
    out = {"ours": ours, "plain": len(VECTOR.findall(text)),
           "error": float(np.max(np.abs(grads[0] - grads_plain[0]))) + abs(value - value_plain)}
    print(json.dumps(out))
''')


def test_llvm_vectorizes_the_loops_over_rows_of_known_length(tmp_path_factory):
    # the polymer's fused bond and angle loops: scalar without the rows' length
    # ("unsafe dependent memory operations"), vector with it
    out = run_optimized(SCRIPT, tmp_path_factory)
    assert out["ours"] >= 10 and out["plain"] * 4 <= out["ours"]
    assert out["error"] < 1e-9
