"""``einsum`` and the in-place shape changes ``unsqueeze_`` and ``t_``.

The ``lib`` tests run against sourcediff and, when it is installed, against torch (same
expectations, so each one is torch's behaviour); the ``*_match_torch`` tests compare
values and first and second derivatives with torch's on the same random inputs; the
gradcheck tests compare sourcediff's gradients with finite differences and need no torch.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from tensor_helpers import TORCH, needs_torch, values

import sourcediff

# ---------------------------------------------------------------------------
# einsum: the equations, their operands' shapes and the grad_fn torch names the result
# by (torch ends einsum with a permute, a sum, a mul or a view, as the equation needs)

EQUATIONS = {
    "matmul": ("ij,jk->ik", [(2, 3), (3, 4)], "ViewBackward0"),
    "batch_matmul": ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)], "ViewBackward0"),
    "dot": ("i,i->", [(3,), (3,)], "ViewBackward0"),
    "outer": ("i,j->ij", [(3,), (4,)], "MulBackward0"),
    "hadamard": ("ij,ij->ij", [(2, 3), (2, 3)], "MulBackward0"),
    "trace": ("ii->", [(3, 3)], "SumBackward1"),
    "diagonal": ("ii->i", [(3, 3)], "PermuteBackward0"),
    "transpose": ("ij->ji", [(2, 3)], "PermuteBackward0"),
    "sum": ("ij->", [(2, 3)], "SumBackward1"),
    "bilinear": ("i,ij,j->", [(2,), (2, 3), (3,)], "ViewBackward0"),
    "ellipsis_broadcast": ("i...,...->...", [(2, 3, 4), (3, 4)], "ViewBackward0"),
    "ellipsis_batch_broadcast": ("...ij,...jk->...ik", [(5, 1, 2, 3), (4, 3, 2)],
                                 "ViewBackward0"),
    "ellipsis_diagonal": ("...ii->...i", [(2, 3, 3)], "PermuteBackward0"),
    "three_operands": ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)], "ViewBackward0"),
    "implicit": ("ij,jk", [(2, 3), (3, 4)], "ViewBackward0"),
    "implicit_upper_first": ("Ba,ab", [(2, 3), (3, 4)], "ViewBackward0"),
    "spaces": (" ij , jk -> ik ", [(2, 3), (3, 4)], "ViewBackward0"),
    "summed_in_one_only": ("abc,c->b", [(2, 3, 4), (4,)], "ViewBackward0"),
    "diagonal_with_other": ("iij,j->i", [(3, 3, 2), (2,)], "ViewBackward0"),
    "diagonal_summed_with_other": ("ii,j->j", [(3, 3), (2,)], "ViewBackward0"),
    "label_broadcast": ("ij,ij->i", [(2, 1), (2, 3)], "ViewBackward0"),
}
NAMES = list(EQUATIONS)


def _arrays(name):
    """The operands' data, the same for both libraries (seeded by the case's name)."""
    _, shapes, _ = EQUATIONS[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    return [rng.standard_normal(shape) for shape in shapes]


def _operands(lib, name, requires_grad=True):
    return [lib.tensor(a, dtype=lib.float64, requires_grad=requires_grad) for a in _arrays(name)]


@pytest.mark.parametrize("name", NAMES)
def test_einsum_values_shapes_and_node(lib, name):
    equation, _, node = EQUATIONS[name]
    operands = _operands(lib, name)
    out = lib.einsum(equation, *operands)
    expected = np.einsum(equation.replace(" ", ""), *_arrays(name))
    assert tuple(out.shape) == expected.shape
    assert np.allclose(values(out), expected, rtol=1e-12, atol=1e-12)
    assert out.dtype is lib.float64
    assert out.grad_fn.name() == node
    assert not lib.einsum(equation, *_operands(lib, name, requires_grad=False)).requires_grad


def _grads(lib, equation, operands, weights):
    """First and second derivatives of ``sum(w * einsum(...)) ** 2`` (create_graph)."""
    out = lib.einsum(equation, *operands)
    loss = (out * lib.tensor(weights)).sum() ** 2
    first = lib.autograd.grad(loss, operands, create_graph=True)
    second = lib.autograd.grad(sum((g * g).sum() for g in first), operands, allow_unused=True)
    return [values(g) for g in first], [None if g is None else values(g) for g in second]


def _assert_same_grads(mine, theirs):
    for a, b in zip(mine[0], theirs[0]):
        assert a.shape == b.shape and np.allclose(a, b, rtol=1e-10, atol=1e-12)
    for a, b in zip(mine[1], theirs[1]):
        if a is None or b is None:
            assert a is None or not a.any()
            assert b is None or not b.any()
        else:
            assert a.shape == b.shape and np.allclose(a, b, rtol=1e-10, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("name", NAMES)
def test_einsum_gradients_match_torch(name):
    equation = EQUATIONS[name][0]
    shape = np.einsum(equation.replace(" ", ""), *_arrays(name)).shape
    weights = np.random.default_rng(7).standard_normal(shape)
    mine = _grads(sourcediff, equation, _operands(sourcediff, name), weights)
    theirs = _grads(TORCH, equation, _operands(TORCH, name), weights)
    _assert_same_grads(mine, theirs)


@pytest.mark.parametrize("name", NAMES)
def test_einsum_gradcheck(name):
    equation = EQUATIONS[name][0]
    operands = tuple(_operands(sourcediff, name))

    def fn(*ops):
        return sourcediff.einsum(equation, *ops)

    assert sourcediff.autograd.gradcheck(fn, operands)
    assert sourcediff.autograd.gradgradcheck(fn, operands)


def test_einsum_gradient_of_diagonal_is_zero_off_it(sd):
    x = sd.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    sd.einsum("ii->i", x).backward(sd.tensor([5.0, 7.0]))
    assert x.grad.tolist() == [[5.0, 0.0], [0.0, 7.0]]
    x.grad = None
    sd.einsum("ii", x).backward()
    assert x.grad.tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_einsum_broadcast_gradient_is_summed_back(sd):
    a = sd.ones(2, 1, requires_grad=True)
    b = sd.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    out = sd.einsum("ij,ij->i", a, b)
    assert out.tolist() == [6.0, 15.0]
    out.sum().backward()
    assert a.grad.tolist() == [[6.0], [15.0]]
    assert b.grad.tolist() == [[1.0] * 3, [1.0] * 3]


# random equations against torch: values, node names and gradients


def _random_case(rng):
    letters = "abcdE"
    sizes = {c: int(rng.integers(1, 4)) for c in letters}
    ellipsis = [int(rng.integers(1, 4)) for _ in range(2)]
    with_ellipsis = rng.random() < 0.3
    subscripts, shapes = [], []
    for _ in range(int(rng.integers(1, 4))):
        sub = "".join(rng.choice(list(letters), size=int(rng.integers(0, 4))))
        shape = [sizes[c] if rng.random() > 0.15 else 1 for c in sub]
        shape = [shape[sub.index(c)] for c in sub]  # a repeated label has one size
        if with_ellipsis:
            covered = int(rng.integers(0, 3))
            at = int(rng.integers(0, len(sub) + 1))
            dims = [s if rng.random() > 0.3 else 1 for s in ellipsis[2 - covered:]]
            shape, sub = shape[:at] + dims + shape[at:], sub[:at] + "..." + sub[at:]
        subscripts.append(sub)
        shapes.append(tuple(shape))
    equation = ",".join(subscripts)
    if rng.random() > 0.3:
        labels = sorted(set(equation) - set(".,"))
        out = "".join(rng.permutation(labels)[: int(rng.integers(0, len(labels) + 1))])
        if with_ellipsis and rng.random() < 0.7:
            at = int(rng.integers(0, len(out) + 1))
            out = out[:at] + "..." + out[at:]
        equation += "->" + out
    return equation, shapes


@needs_torch
def test_random_equations_match_torch():
    rng = np.random.default_rng(2024)
    for _ in range(60):
        equation, shapes = _random_case(rng)
        arrays = [rng.standard_normal(shape) for shape in shapes]
        results = {}
        for lib in (sourcediff, TORCH):
            operands = [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in arrays]
            out = lib.einsum(equation, *operands)
            weights = lib.tensor(np.linspace(-1.0, 1.0, out.numel()).reshape(tuple(out.shape)))
            grads = lib.autograd.grad((out * weights).sum(), operands)
            results[lib] = (values(out), out.grad_fn.name(), [values(g) for g in grads])
        mine, theirs = results[sourcediff], results[TORCH]
        assert mine[0].shape == theirs[0].shape, equation
        assert np.allclose(mine[0], theirs[0], rtol=1e-10, atol=1e-12), equation
        assert mine[1] == theirs[1], equation
        for a, b in zip(mine[2], theirs[2]):
            assert a.shape == b.shape and np.allclose(a, b, rtol=1e-10, atol=1e-12), equation


# calling forms, dtypes, views


def test_einsum_operand_forms(lib):
    a = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
    b = lib.tensor([[0.5, -1.0], [2.0, 1.0]])
    expected = (a @ b).tolist()
    assert lib.einsum("ij,jk->ik", a, b).tolist() == expected
    assert lib.einsum("ij,jk->ik", [a, b]).tolist() == expected
    assert lib.einsum("ij,jk->ik", (a, b)).tolist() == expected
    assert lib.einsum(a, [0, 1], b, [1, 2], [0, 2]).tolist() == expected
    assert lib.einsum(a, [0, 1], b, [1, 2]).tolist() == expected  # implicit output
    assert lib.einsum(a, [..., 1], [1, ...]).tolist() == a.t().tolist()
    assert lib.einsum("ii", a).item() == 5.0


def test_einsum_is_exported_like_torch(sd):
    assert "einsum" in sd.__all__ and sd.einsum is sys.modules["sourcediff.tensor"].einsum
    assert "einsum" in sys.modules["sourcediff.tensor"].__all__
    assert not hasattr(sd.Tensor, "einsum")  # torch has no Tensor.einsum either
    assert callable(sd.Tensor.unsqueeze_) and callable(sd.Tensor.t_)


def test_einsum_dtypes(lib):
    ints = lib.tensor([[1, 2], [3, 4]])
    assert lib.einsum("ij,jk->ik", ints, ints).dtype is lib.int64
    assert lib.einsum("ij,jk->ik", ints, ints).tolist() == [[7, 10], [15, 22]]
    small = lib.tensor([[1, 2], [3, 4]], dtype=lib.int32)
    assert lib.einsum("ij->ji", small).dtype is lib.int32
    assert lib.einsum("ij->", small).dtype is lib.int64  # a sum, as torch's
    flags = lib.tensor([True, False, True])
    assert lib.einsum("i,i->i", flags, flags).dtype is lib.bool
    assert lib.einsum("i->", flags).item() == 2
    single = lib.tensor([1.0, 2.0, 3.0])
    double = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)
    assert single.dtype is lib.float32 and lib.einsum("i,i->", single, single).dtype is lib.float32
    assert lib.einsum("i,i->i", single, double).dtype is lib.float64  # a mul: promoted
    assert lib.einsum("i,i->i", lib.tensor([1, 2, 3]), single).dtype is lib.float32
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        lib.einsum("i,i->", single, double)  # a bmm: the dtypes must agree
    with pytest.raises(RuntimeError, match="expected scalar type Double but found Long"):
        lib.einsum("i,i->", double, lib.tensor([1, 2, 3]))
    with pytest.raises(NotImplementedError, match="\"bmm\" not implemented for 'Bool'"):
        lib.einsum("i,i->", flags, flags)
    # torch's bmm takes the operands the other way round when that gives the output's order
    matrix = lib.ones(2, 2, dtype=lib.float64)
    with pytest.raises(RuntimeError, match="expected scalar type Double but found Long"):
        lib.einsum("ij,jk->ik", matrix, lib.ones(2, 2, dtype=lib.int64))
    with pytest.raises(RuntimeError, match="expected scalar type Long but found Double"):
        lib.einsum("ij,jk->ki", matrix, lib.ones(2, 2, dtype=lib.int64))


@needs_torch
def test_random_mixed_dtypes_match_torch():
    """Two operands of random dtypes: the result's dtype, or the same error as torch's."""
    rng = np.random.default_rng(99)
    kinds = ["float32", "float64", "int32", "int64", "bool"]
    for _ in range(300):
        sizes = {c: int(rng.integers(1, 4)) for c in "abc"}
        subscripts = ["".join(rng.choice(list("abc"), size=int(rng.integers(0, 4))))
                      for _ in range(2)]
        shapes = [[sizes[c] if rng.random() > 0.2 else 1 for c in sub] for sub in subscripts]
        shapes = [[shape[sub.index(c)] for c in sub] for sub, shape in zip(subscripts, shapes)]
        labels = sorted(set("".join(subscripts)))
        equation = ",".join(subscripts) + "->" + "".join(
            rng.permutation(labels)[: int(rng.integers(0, len(labels) + 1))])
        arrays = [np.asarray(3 * rng.standard_normal(shape)).astype(str(rng.choice(kinds)))
                  for shape in shapes]
        outcome = {}
        for lib in (sourcediff, TORCH):
            try:
                out = lib.einsum(equation, *[lib.from_numpy(a) for a in arrays])
                outcome[lib] = (str(out.dtype), values(out))
            except (RuntimeError, NotImplementedError) as error:
                outcome[lib] = (type(error), str(error).splitlines()[0])
        mine, theirs = outcome[sourcediff], outcome[TORCH]
        assert mine[0] == theirs[0], (equation, [a.dtype for a in arrays])
        if isinstance(mine[1], np.ndarray):
            assert np.allclose(mine[1], theirs[1], rtol=1e-5, atol=1e-4), equation
        else:
            assert mine[1] == theirs[1], equation


def test_einsum_of_one_operand_is_a_view(lib):
    a = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    t = lib.einsum("ij->ji", a)
    assert t._base is a
    t[2, 1] = 60.0
    assert a[1, 2].item() == 60.0
    product = lib.einsum("ij,kj->ik", a, a)
    product[0, 0] = -1.0
    assert a[0, 0].item() == 1.0  # a product is a new tensor


def test_einsum_grad_fn_of_the_gradient(lib):
    a = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64, requires_grad=True)
    b = lib.tensor([[0.5, 1.5], [2.5, 3.5]], dtype=lib.float64, requires_grad=True)
    (ga,) = lib.autograd.grad(lib.einsum("ij,jk->ik", a, b).sum(), a, create_graph=True)
    assert ga.requires_grad and ga.tolist() == [[2.0, 6.0], [2.0, 6.0]]
    (gb,) = lib.autograd.grad(ga.pow(2).sum(), b)
    assert gb.tolist() == [[8.0, 8.0], [24.0, 24.0]]


# misuse: torch's error types and messages

ERRORS = [
    ("ij->ij", [(2, 3), (3, 4)], RuntimeError,
     "more operands were provided than specified in the equation"),
    ("ij,jk->ik", [(2, 3)], RuntimeError,
     "fewer operands were provided than specified in the equation"),
    ("i1,jk->ik", [(2, 3), (3, 4)], RuntimeError,
     (r"invalid subscript given at index 1 in the equation string, subscripts must be in "
      r"\[a-zA-Z\]")),
    ("ij->i-", [(2, 3)], RuntimeError, "invalid subscript given at index 5 in the equation"),
    ("i- >", [(2,)], RuntimeError, "invalid subscript given at index 1"),
    ("ijk,jk->ik", [(2, 3), (3, 4)], RuntimeError,
     (r"the number of subscripts in the equation \(3\) does not match the number of "
      r"dimensions \(2\) for operand 0 and no ellipsis was given")),
    ("...ij,ij", [(2,), (2, 3)], RuntimeError,
     (r"the number of subscripts in the equation \(2\) is more than the number of "
      r"dimensions \(1\) for operand 0")),
    ("ij->ik", [(2, 3)], RuntimeError,
     "output subscript k does not appear in the equation for any input operand"),
    ("ij,jk->ii", [(2, 3), (3, 4)], RuntimeError,
     "output subscript i appears more than once in the output"),
    ("ij,jk->ik", [(2, 2), (3, 4)], RuntimeError,
     "subscript j has size 3 for operand 1 which does not broadcast with previously seen size 2"),
    ("ii->i", [(2, 3)], RuntimeError,
     "subscript i is repeated for operand 0 but the sizes don't match, 3 != 2"),
    ("...i,...i->...", [(2, 3), (4, 3)], RuntimeError,
     ("dimension 0 covered by ellipsis in operand 1has size 4 which does not broadcast with "
      "previously seen ellipsis with size 2 for the respective dimension")),
    ("i.j->i", [(2, 3)], RuntimeError, "found '.' for operand 0 that is not part of any ellipsis"),
    ("...i...->i", [(2, 3)], RuntimeError,
     "found '.' for operand 0 for which an ellipsis was already found"),
    ("i->..", [(2,)], RuntimeError,
     r"found '.' for output that is not part of any ellipsis \(...\)"),
    ("i->......", [(2,)], RuntimeError,
     r"found '.' for output but an ellipsis \(...\) was already found"),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_einsum_errors(lib, case):
    equation, shapes, error, message = ERRORS[case]
    operands = [lib.ones(shape) for shape in shapes]
    with pytest.raises(error, match="einsum\\(\\): " + message):
        lib.einsum(equation, *operands)


def test_einsum_argument_errors(lib):
    a = lib.ones(2, 3)
    with pytest.raises(ValueError, match="must specify the equation string and at least one "
                                         "operand"):
        lib.einsum("ij")
    with pytest.raises(ValueError, match="must specify the equation string"):
        lib.einsum("ij", [])
    with pytest.raises(TypeError, match="expected Tensor as element 1 in argument 1, but got list"):
        lib.einsum("ij,jk->ik", a, [[1.0]])
    with pytest.raises(TypeError, match="expected Tensor as element 0 in argument 1, but got int"):
        lib.einsum("ij", 3)
    with pytest.raises(TypeError, match="argument 'equation' \\(position 1\\) must be str, not "
                                        "int"):
        lib.einsum(3, a)
    with pytest.raises(ValueError, match="subscript in subscript list is not within the valid "
                                         "range \\[0, 52\\)"):
        lib.einsum(a, [0, 52])


# ---------------------------------------------------------------------------
# unsqueeze_ and t_


def _matrix(lib, requires_grad=True):
    return lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=lib.float64,
                      requires_grad=requires_grad)


def test_unsqueeze_and_t_change_the_shape_in_place(lib):
    y = _matrix(lib) * 2
    assert y.unsqueeze_(1) is y
    assert tuple(y.shape) == (2, 1, 3) and y._version == 1
    assert y.grad_fn.name() == "UnsqueezeBackward1"
    assert y.grad_fn.next_functions[0][0].name() == "MulBackward0"
    assert y.unsqueeze_(-1) is y and tuple(y.shape) == (2, 1, 3, 1) and y._version == 2
    assert y.unsqueeze_(dim=0) is y and tuple(y.shape) == (1, 2, 1, 3, 1)
    z = _matrix(lib) * 3
    data = z.data_ptr()
    assert z.t_() is z
    assert tuple(z.shape) == (3, 2) and z._version == 1 and z.data_ptr() == data
    assert z.grad_fn.name() == "TBackward1"
    assert z.tolist() == [[3.0, 12.0], [6.0, 15.0], [9.0, 18.0]]
    assert z.stride() == (1, 3) and not z.is_contiguous()
    w = lib.zeros(2, 3)
    shared = w.detach()
    w.t_()
    assert tuple(w.shape) == (3, 2) and tuple(shared.shape) == (2, 3) and shared._version == 1
    for shape in [(), (3,)]:
        v = lib.zeros(shape)
        assert v.t_() is v and tuple(v.shape) == shape and v._version == 1


def test_unsqueeze_and_t_errors(lib):
    x = _matrix(lib)
    for op in (lambda t: t.unsqueeze_(0), lambda t: t.t_(), lambda t: t.unsqueeze_(7)):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being "
                                               "used in an in-place operation."):
            op(x)
    assert tuple(x.shape) == (2, 3) and x._version == 0
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is "
                                           "being used in an in-place operation."):
        x[0].unsqueeze_(0)
    with pytest.raises(RuntimeError, match="t_\\(\\) expects a tensor with <= 2 dimensions, but "
                                           "self is 3D"):
        lib.zeros(2, 3, 4).t_()
    with pytest.raises(IndexError, match="Dimension out of range \\(expected to be in range of "
                                         "\\[-3, 2\\], but got 3\\)"):
        lib.zeros(2, 3).unsqueeze_(3)
    with pytest.raises(IndexError, match="but got -4"):
        lib.zeros(2, 3).unsqueeze_(-4)
    with lib.no_grad():  # allowed, as for every in-place op
        leaf = _matrix(lib)
        leaf.t_()
    assert tuple(leaf.shape) == (3, 2) and leaf.requires_grad and leaf.grad_fn is None
    with lib.inference_mode():
        frozen = lib.zeros(2, 3)
    with pytest.raises(RuntimeError, match="Inplace update to inference tensor outside "
                                           "InferenceMode is not allowed"):
        frozen.unsqueeze_(0)


def test_saved_tensor_changed_by_unsqueeze_(lib):
    x = _matrix(lib)
    a = x * 1
    b = a * a  # saves a
    a.unsqueeze_(0)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: "
                                           r"\[torch.DoubleTensor \[1, 2, 3\]\], which is output "
                                           r"0 of Unsqueeze1, is at version 1; expected version 0"):
        b.sum().backward()
    e = x.exp()
    f = e.t_() * 1  # exp saved its output, which t_ changed
    with pytest.raises(RuntimeError, match=r"\[torch.DoubleTensor \[2, 3\]\], which is output 0 "
                                           r"of Exp, is at version 1"):
        f.sum().backward()
    g = x * 1
    h = g.exp()  # saves its own output, not g
    g.t_()
    h.sum().backward()
    assert np.allclose(values(x.grad), np.exp(values(x)))


def test_gradients_through_unsqueeze_and_t_(lib):
    x = _matrix(lib)
    y = x * 2
    y.t_()
    y.unsqueeze_(0)
    assert y.grad_fn.name() == "UnsqueezeBackward1"
    assert y.grad_fn.next_functions[0][0].name() == "TBackward1"
    weight = lib.tensor([[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]], dtype=lib.float64)
    (y * weight).sum().backward()
    assert x.grad.tolist() == [[2.0, 6.0, 10.0], [4.0, 8.0, 12.0]]
    x.grad = None
    y = (x * 1).t_().unsqueeze_(2)
    (g,) = lib.autograd.grad((y ** 3).sum(), x, create_graph=True)
    assert g.grad_fn is not None
    assert np.allclose(values(g), 3 * values(x) ** 2)
    (gg,) = lib.autograd.grad(g.sum(), x)
    assert np.allclose(values(gg), 6 * values(x))


def test_retain_grad_stays_with_the_old_shape(lib):
    # torch moves no retain_grad hook on an in-place shape change: .grad is the old shape's
    x = _matrix(lib)
    y = x * 2
    y.retain_grad()
    y.t_()
    (y * lib.ones(3, 2, dtype=lib.float64)).sum().backward()
    assert tuple(y.grad.shape) == (2, 3)
    z = x * 2
    z.t_()
    z.retain_grad()
    (z * lib.ones(3, 2, dtype=lib.float64)).sum().backward()
    assert tuple(z.grad.shape) == (3, 2)


def test_views_and_in_place_shape_changes(lib):
    x = _matrix(lib)
    # a view changes its own shape, then is written through
    q = x * 1
    other, v = q[1], q[0]
    v.unsqueeze_(0)
    assert v._base is q and tuple(v.shape) == (1, 3) and q._version == 1
    assert v.grad_fn.name() == "UnsqueezeBackward1" and q.grad_fn.name() == "MulBackward0"
    assert other.grad_fn.name() == "AsStridedBackward0"  # its storage changed version
    v.mul_(2)
    assert v.grad_fn.name() == "AsStridedBackward0"
    q.sum().backward()
    assert x.grad.tolist() == [[2.0, 2.0, 2.0], [1.0, 1.0, 1.0]]
    x.grad = None
    # the base changes shape after a view was made, then the view is written through
    q = x * 1
    v = q[0]
    q.t_()
    v.mul_(2)
    assert tuple(q.shape) == (3, 2) and q.tolist() == [[2.0, 4.0], [4.0, 5.0], [6.0, 6.0]]
    (q * lib.arange(6.0, dtype=lib.float64).view(3, 2)).sum().backward()
    assert x.grad.tolist() == [[0.0, 4.0, 8.0], [1.0, 3.0, 5.0]]
    x.grad = None
    q = x * 1
    v = q[0]
    q.unsqueeze_(0)
    v.mul_(2)
    (q * lib.arange(6.0, dtype=lib.float64).view(1, 2, 3)).sum().backward()
    assert x.grad.tolist() == [[0.0, 2.0, 4.0], [3.0, 4.0, 5.0]]
    x.grad = None
    # a view read after its base changed shape
    q = x * 1
    v = q[0]
    q.t_()
    (v * lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)).sum().backward()
    assert x.grad.tolist() == [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]
    # t_ on a transposed view, then the base changes
    x.grad = None
    q = x * 1
    v = q.t()
    v.t_()
    assert tuple(v.shape) == (2, 3) and v.grad_fn.name() == "TBackward1"
    q.add_(1)
    assert v.grad_fn.name() == "AsStridedBackward0"
    (v * lib.arange(6.0, dtype=lib.float64).view(2, 3)).sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    # the shape change of the base moves the version its views saved at
    q = x * 1
    v = q[1]
    v.unsqueeze_(0)
    v.mul_(v)  # saves its other operand, v, at version 1
    q.t_()
    with pytest.raises(RuntimeError, match=r"\[torch.DoubleTensor \[1, 3\]\], which is output 0 "
                                           r"of AsStrided, is at version 3; expected version 1"):
        (q * q).sum().backward()


def _inplace_cases(lib):
    x = lib.tensor([[0.3, -0.7, 1.2], [0.5, 0.1, -0.4]], dtype=lib.float64, requires_grad=True)
    w = lib.tensor([[1.5, -0.5], [0.25, 2.0], [-1.0, 0.75]], dtype=lib.float64)
    return {
        "t_": (lambda x: (x * 1).t_() * w, (x,)),
        "unsqueeze_": (lambda x: (x.sin()).unsqueeze_(1) * x.unsqueeze(0), (x,)),
        "both": (lambda x: (x * x).t_().unsqueeze_(-1).exp(), (x,)),
        "view": (lambda x: _through_view(x), (x,)),
    }


def _through_view(x):
    q = x * 1
    v = q[1]
    v.unsqueeze_(0)
    v.mul_(2.5)
    q.t_()
    return q * q


INPLACE_CASES = list(_inplace_cases(sourcediff))


@needs_torch
@pytest.mark.parametrize("name", INPLACE_CASES)
def test_inplace_shape_gradients_match_torch(name):
    results = []
    for lib in (sourcediff, TORCH):
        fn, inputs = _inplace_cases(lib)[name]
        out = fn(*inputs)
        first = lib.autograd.grad((out ** 3).sum(), inputs, create_graph=True)
        second = lib.autograd.grad(sum(g.sum() for g in first), inputs)
        results.append((values(out), [values(g) for g in first], [values(g) for g in second]))
    (out, first, second), (t_out, t_first, t_second) = results
    assert out.shape == t_out.shape and np.allclose(out, t_out)
    _assert_same_grads((first, second), (t_first, t_second))


@pytest.mark.parametrize("name", INPLACE_CASES)
def test_inplace_shape_gradcheck(name):
    fn, inputs = _inplace_cases(sourcediff)[name]
    assert sourcediff.autograd.gradcheck(fn, inputs)
    assert sourcediff.autograd.gradgradcheck(fn, inputs)
