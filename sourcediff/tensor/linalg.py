"""Matrix products and their backward nodes."""

from __future__ import annotations

import numpy as np

from . import dtypes
from .common import as_operand, sum_to, wrap
from .core import Tensor, needs_grad
from .graph import Node, attach

_C_NAMES = {"float32": "float", "float64": "double", "int64": "long", "int32": "int"}


def _same_dtype(a: Tensor, b: Tensor) -> None:
    if a.dtype is not b.dtype:
        names = [_C_NAMES.get(t.dtype.name, t.dtype.name) for t in (a, b)]
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {names[0]} != {names[1]}"
        )


def _save_factors(node: Node, a: Tensor, b: Tensor, a_key="self", b_key="mat2") -> None:
    # each factor is needed only for the other one's gradient
    node.save(**{a_key: a if b.requires_grad else None, b_key: b if a.requires_grad else None})


def _is_transposed(t: Tensor) -> bool:
    flags = t._data.flags
    return flags.f_contiguous and not flags.c_contiguous


def _left_transposed_product(a: Tensor, grad: Tensor, transposed: bool) -> Tensor:
    """``a.t() @ grad``; for a factor that is a transposed view (``x @ w.t()`` in a
    linear layer) computed as ``(grad.t() @ a).t()``, so that the weight's gradient
    comes out C-contiguous and is stored as ``.grad`` without a copy."""
    if transposed:
        return grad.t().mm(a).t()
    return a.t().mm(grad)


class MmBackward0(Node):
    def __init__(self, a, b):
        super().__init__(a, b)
        self.transposed = _is_transposed(b)
        _save_factors(self, a, b)

    def backward(self, grad):
        ga = grad.mm(self.saved("mat2").t()) if self.needs_input_grad(0) else None
        gb = _left_transposed_product(self.saved("self"), grad, self.transposed) \
            if self.needs_input_grad(1) else None
        return ga, gb


def mm(input, mat2) -> Tensor:
    """Matrix product of two 2-D tensors."""
    a, b = as_operand(input), as_operand(mat2)
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"{'self' if a.ndim != 2 else 'mat2'} must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x"
                           f"{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")
    _same_dtype(a, b)
    out = wrap(np.matmul(a._data, b._data))
    if needs_grad(a, b):
        attach(out, MmBackward0(a, b))
    return out


class AddmmBackward0(Node):
    def __init__(self, bias, a, b, beta, alpha):
        super().__init__(bias, a, b)
        self.bias_shape = bias.shape if isinstance(bias, Tensor) else ()
        self.beta, self.alpha = beta, alpha
        self.transposed = _is_transposed(b)
        _save_factors(self, a, b, "mat1", "mat2")

    def backward(self, grad):
        gbias = ga = gb = None
        if self.needs_input_grad(0):
            gbias = sum_to(grad if self.beta == 1 else grad * self.beta, self.bias_shape)
        if self.alpha != 1:
            grad = grad * self.alpha
        if self.needs_input_grad(1):
            ga = grad.mm(self.saved("mat2").t())
        if self.needs_input_grad(2):
            gb = _left_transposed_product(self.saved("mat1"), grad, self.transposed)
        return gbias, ga, gb


def addmm(input, mat1, mat2, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``: the affine layer's kernel."""
    bias, a, b = as_operand(input), as_operand(mat1), as_operand(mat2)
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x"
                           f"{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")
    product = np.matmul(a._data, b._data)
    if alpha != 1:
        product *= alpha
    product += bias._data if beta == 1 else beta * bias._data
    out = wrap(product)
    if needs_grad(bias, a, b):
        attach(out, AddmmBackward0(bias, a, b, beta, alpha))
    return out


class MvBackward0(Node):
    def __init__(self, a, v):
        super().__init__(a, v)
        _save_factors(self, a, v, "self", "vec")

    def backward(self, grad):
        ga = grad.unsqueeze(1) * self.saved("vec").unsqueeze(0) \
            if self.needs_input_grad(0) else None
        gv = self.saved("self").t().mv(grad) if self.needs_input_grad(1) else None
        return ga, gv


def mv(input, vec) -> Tensor:
    """Matrix-vector product."""
    a, v = as_operand(input), as_operand(vec)
    if a.shape[1] != v.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({a.shape[0]}), mat ({a.shape[0]}x"
                           f"{a.shape[1]}), vec ({v.shape[0]})")
    out = wrap(np.matmul(a._data, v._data))
    if needs_grad(a, v):
        attach(out, MvBackward0(a, v))
    return out


class DotBackward0(Node):
    def __init__(self, a, b):
        super().__init__(a, b)
        _save_factors(self, a, b, "self", "tensor")

    def backward(self, grad):
        ga = grad * self.saved("tensor") if self.needs_input_grad(0) else None
        gb = grad * self.saved("self") if self.needs_input_grad(1) else None
        return ga, gb


def dot(input, tensor) -> Tensor:
    """Inner product of two 1-D tensors."""
    a, b = as_operand(input), as_operand(tensor)
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape != b.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have "
                           f"the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements "
                           "respectively")
    out = wrap(np.dot(a._data, b._data))
    if needs_grad(a, b):
        attach(out, DotBackward0(a, b))
    return out


inner = dot


class MatmulBackward0(Node):
    """Batched (>= 3-D, broadcasting) matrix product."""

    def __init__(self, a, b):
        super().__init__(a, b)
        self.shapes = (a.shape, b.shape)
        _save_factors(self, a, b, "self", "other")

    def backward(self, grad):
        ga = gb = None
        if self.needs_input_grad(0):
            ga = sum_to(grad.matmul(self.saved("other").mT), self.shapes[0])
        if self.needs_input_grad(1):
            gb = sum_to(self.saved("self").mT.matmul(grad), self.shapes[1])
        return ga, gb


def matmul(input, other) -> Tensor:
    """``@``: dot, matrix-vector, matrix or batched matrix product by the operands' dims."""
    a, b = as_operand(input), as_operand(other)
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    if a.ndim == 1 and b.ndim == 1:
        return dot(a, b)
    if a.ndim == 2 and b.ndim == 2:
        return mm(a, b)
    if a.ndim == 2 and b.ndim == 1:
        return mv(a, b)
    if a.ndim == 1 and b.ndim == 2:
        return mm(a.unsqueeze(0), b).squeeze(0)
    if a.ndim == 1:
        return matmul(a.unsqueeze(0), b).squeeze(-2)
    if b.ndim == 1:
        return matmul(a, b.unsqueeze(-1)).squeeze(-1)
    if a.shape[-1] != b.shape[-2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{b.shape[0]}, {a.shape[-1]}] but got: [{b.shape[0]}, "
                           f"{b.shape[-2]}].")
    out = wrap(np.matmul(a._data, b._data))
    if needs_grad(a, b):
        attach(out, MatmulBackward0(a, b))
    return out


def bmm(input, mat2) -> Tensor:
    """Batched matrix product of two 3-D tensors."""
    a, b = as_operand(input), as_operand(mat2)
    if a.ndim != 3 or b.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    return matmul(a, b)


def outer(input, vec2) -> Tensor:
    """Outer product of two vectors."""
    a, b = as_operand(input), as_operand(vec2)
    return a.unsqueeze(1) * b.unsqueeze(0)


ger = outer


def rmatmul(input, other) -> Tensor:
    """``other @ input`` (the reflected ``@``)."""
    return matmul(other, input)


# ---------------------------------------------------------------------------
# einsum
#
# The equation is parsed (with torch's checks and messages, in torch's order) into
# integer labels: 0-25 for A-Z, 26-51 for a-z (torch's order, which sorts an implicit
# output) and 52, 53, ... for the dimensions an ellipsis covers, aligned from the right
# across the operands as broadcasting aligns them.  The forward is NumPy's einsum on
# the operands broadcast to the labels' sizes; the gradient of an operand is again an
# einsum (this module's, so it is recorded and differentiable): the output gradient and
# the other operands contracted into the operand's labels, with an identity matrix per
# repeated label (the diagonal) and a vector of ones per label that no other factor
# carries (the gradient broadcasts over it), then summed over the dimensions the
# operand had broadcast from size 1.
#
# torch computes einsum as permutes, diagonals, sums, a bmm and a final view; the node
# recorded here is named after torch's last step: ``PermuteBackward0`` (one operand,
# nothing summed), ``SumBackward1`` (one operand, labels summed away),
# ``MulBackward0`` (several operands, nothing summed) or ``ViewBackward0`` (several
# operands, labels summed away).  One operand without a repeated label is computed
# as torch computes it: a permute, then a sum, so the result is a view as in torch.

_ELLIPSIS = 52
_TYPE_NAMES = {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int",
               "bool": "Bool"}


def _is_subscript(c: str) -> bool:
    return "A" <= c <= "Z" or "a" <= c <= "z"


def _label_of(c: str) -> int:
    return ord(c) - ord("A") if c <= "Z" else ord(c) - ord("a") + 26


def _letter(label: int) -> str:
    return chr(ord("A") + label) if label < 26 else chr(ord("a") + label - 26)


def _parse_einsum(equation: str, shapes):
    """(labels of each operand, labels of the output), or torch's error for the misuse."""
    n = len(shapes)
    arrow = equation.find("->")
    lhs = equation if arrow < 0 else equation[:arrow]
    op_labels = _operand_labels(lhs, n)
    if len(op_labels) != n:
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    counts = [0] * _ELLIPSIS
    ell_ndim = 0
    for k, (labels, shape) in enumerate(zip(op_labels, shapes)):
        named = sum(1 for label in labels if label != _ELLIPSIS)
        if _ELLIPSIS in labels:
            if named > len(shape):
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) "
                                   f"is more than the number of dimensions ({len(shape)}) for "
                                   f"operand {k}")
            ell_ndim = max(ell_ndim, len(shape) - named)
        elif named != len(shape):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({named}) "
                               f"does not match the number of dimensions ({len(shape)}) for "
                               f"operand {k} and no ellipsis was given")
        for label in labels:
            if label != _ELLIPSIS:
                counts[label] += 1
    ellipsis = [_ELLIPSIS + d for d in range(ell_ndim)]

    out = _output_labels(equation, arrow, len(lhs), counts, ellipsis)
    return _broadcast_labels(op_labels, shapes, ellipsis, ell_ndim), out


def _operand_labels(lhs: str, n: int) -> list:
    """The labels of each operand written left of the arrow (an ellipsis as _ELLIPSIS)."""
    op_labels: list[list[int]] = [[]]
    ellipsis_found = False
    i = 0
    while i < len(lhs):
        c = lhs[i]
        op = len(op_labels) - 1
        if c == " ":
            pass
        elif c == ".":
            if ellipsis_found:
                raise RuntimeError(f"einsum(): found '.' for operand {op} for which an ellipsis "
                                   "was already found")
            if not (i + 2 < len(lhs) and lhs[i + 1] == "." and lhs[i + 2] == "."):
                raise RuntimeError(f"einsum(): found '.' for operand {op} that is not part of "
                                   "any ellipsis")
            i += 2
            op_labels[op].append(_ELLIPSIS)
            ellipsis_found = True
        elif c == ",":
            if len(op_labels) >= n:
                raise RuntimeError(
                    "einsum(): fewer operands were provided than specified in the equation")
            op_labels.append([])
            ellipsis_found = False
        else:
            if not _is_subscript(c):
                raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the "
                                   "equation string, subscripts must be in [a-zA-Z]")
            op_labels[op].append(_label_of(c))
        i += 1
    return op_labels


def _output_labels(equation: str, arrow: int, lhs_length: int, counts, ellipsis) -> list:
    """The output's labels: written after the arrow, or (none) the ellipsis and then the
    labels seen once, in order."""
    if arrow < 0:  # implicit output: the ellipsis, then the labels seen once, in order
        out = ellipsis + [label for label in range(_ELLIPSIS) if counts[label] == 1]
    else:
        rhs = equation[arrow + 2:]
        out = []
        ellipsis_found = False
        i = 0
        while i < len(rhs):
            c = rhs[i]
            if c == " ":
                pass
            elif c == ".":
                if ellipsis_found:
                    raise RuntimeError("einsum(): found '.' for output but an ellipsis (...) was "
                                       "already found")
                if not (i + 2 < len(rhs) and rhs[i + 1] == "." and rhs[i + 2] == "."):
                    raise RuntimeError("einsum(): found '.' for output that is not part of any "
                                       "ellipsis (...)")
                i += 2
                out.extend(ellipsis)
                ellipsis_found = True
            else:
                if not _is_subscript(c):
                    raise RuntimeError(f"einsum(): invalid subscript given at index "
                                       f"{lhs_length + 2 + i} in the equation string, subscripts "
                                       "must be in [a-zA-Z]")
                label = _label_of(c)
                if label in out:
                    raise RuntimeError(f"einsum(): output subscript {c} appears more than once "
                                       "in the output")
                if not counts[label]:
                    raise RuntimeError(f"einsum(): output subscript {c} does not appear in the "
                                       "equation for any input operand")
                out.append(label)
            i += 1

    return out


def _broadcast_labels(op_labels, shapes, ellipsis, ell_ndim) -> list:
    """Each operand's labels with its ellipsis written out, the sizes checked: a label (or
    an ellipsis dimension) of size 1 broadcasts against the others."""
    sizes: dict[int, int] = {}
    in_labels = []
    for k, (labels, shape) in enumerate(zip(op_labels, shapes)):
        expanded: list[int] = []
        dim = 0
        for label in labels:
            if label == _ELLIPSIS:
                covered = len(shape) - (len(labels) - 1)
                for e in ellipsis[ell_ndim - covered:]:
                    size, seen = shape[dim], sizes.get(e, 1)
                    if size != seen and size != 1 and seen != 1:
                        raise RuntimeError(
                            f"einsum(): dimension {dim} covered by ellipsis in operand {k}has "
                            f"size {size} which does not broadcast with previously seen "
                            f"ellipsis with size {seen} for the respective dimension")
                    sizes[e] = seen if size == 1 else size
                    expanded.append(e)
                    dim += 1
                continue
            size = shape[dim]
            if label in expanded:
                first = shape[expanded.index(label)]
                if size != first:
                    raise RuntimeError(f"einsum(): subscript {_letter(label)} is repeated for "
                                       f"operand {k} but the sizes don't match, {size} != {first}")
            else:
                seen = sizes.get(label, 1)
                if size != seen and size != 1 and seen != 1:
                    raise RuntimeError(f"einsum(): subscript {_letter(label)} has size {size} for "
                                       f"operand {k} which does not broadcast with previously "
                                       f"seen size {seen}")
                sizes[label] = seen if size == 1 else size
            expanded.append(label)
            dim += 1
        in_labels.append(expanded)
    return in_labels


def _einsum_node_name(n_operands: int, in_labels, out_labels) -> str:
    """The name of the node torch's einsum ends with (see the section comment)."""
    summed = any(label not in out_labels for labels in in_labels for label in labels)
    if n_operands == 1:
        return "SumBackward1" if summed else "PermuteBackward0"
    return "ViewBackward0" if summed else "MulBackward0"


class EinsumBackward(Node):
    """The gradient of an einsum; instances are of a subclass named after torch's node."""

    def __init__(self, operands, in_labels, out_labels, sizes):
        super().__init__(*operands)
        self.in_labels, self.out_labels, self.sizes = in_labels, out_labels, sizes
        self.shapes = [t.shape for t in operands]
        self.dtypes = [t.dtype for t in operands]
        wanted = [self.needs_input_grad(k) for k in range(len(operands))]
        # an operand is needed for the gradients of the others only
        self.save(**{f"operand{j}": t for j, t in enumerate(operands)
                     if any(w for k, w in enumerate(wanted) if k != j)})

    def _operand(self, j: int, dtype) -> Tensor:
        t = self.saved(f"operand{j}")
        if t.dtype is not dtype:  # torch promotes operands it multiplies without bmm
            t = t.to(dtype)
        full = tuple(self.sizes[label] for label in self.in_labels[j])
        return t if t.shape == full else t.expand(full)

    def _gradient(self, grad: Tensor, k: int) -> Tensor:
        sizes = dict(self.sizes)
        factors = [grad] + [self._operand(j, grad.dtype) for j in range(len(self.shapes)) if j != k]
        labels = [list(self.out_labels)] + [self.in_labels[j] for j in range(len(self.shapes))
                                            if j != k]
        fresh = max([*sizes, _ELLIPSIS]) + 1
        target: list[int] = []
        for label in self.in_labels[k]:
            if label in target:  # a diagonal: the gradient is zero off it
                sizes[fresh] = sizes[label]
                factors.append(wrap(np.eye(sizes[label], dtype=grad.dtype.np)))
                labels.append([label, fresh])
                target.append(fresh)
                fresh += 1
            else:
                target.append(label)
        present = {label for group in labels for label in group}
        for label in target:
            if label not in present:  # summed away in this operand only: broadcast over it
                factors.append(wrap(np.ones(sizes[label], dtype=grad.dtype.np)))
                labels.append([label])
                present.add(label)
        g = _einsum(factors, labels, target)
        shape = self.shapes[k]
        dims = tuple(d for d, s in enumerate(shape) if g.shape[d] != s)
        if dims:  # dimensions the operand had broadcast from size 1
            g = g.sum(dim=dims, keepdim=True)
        return g if g.dtype is self.dtypes[k] else g.to(self.dtypes[k])

    def backward(self, grad):
        return tuple(self._gradient(grad, k) if self.needs_input_grad(k) else None
                     for k in range(len(self.shapes)))


_EINSUM_NODES = {name: type(name, (EinsumBackward,), {"__doc__": EinsumBackward.__doc__})
                 for name in ("PermuteBackward0", "SumBackward1", "MulBackward0",
                              "ViewBackward0")}


def _summed_dtype(dtype: dtypes.dtype) -> dtypes.dtype:
    return dtype if dtype.is_floating_point else dtypes.int64


def _einsum_dtype(operands, in_labels, out_labels) -> dtypes.dtype:
    """The result dtype, or torch's error: torch's contraction loop, for the dtypes alone.

    torch contracts the first two operands and puts the result first (its order when it
    does not use opt_einsum).  A summed label that one of the two has at a size other
    than 1 and no other operand still has is summed out of it first (``sum``: integers
    become int64); the two are then multiplied (``mul``: the dtypes are promoted), or,
    when they share such a label that no later operand has, ``bmm``-ed (the dtypes must
    be equal; the error names the left one, which is the second operand when the
    dimensions the first one lacks all come before those only it has, in torch's layout:
    the output's dimensions, then the summed ones).
    """
    summed = [label for labels in in_labels for label in labels if label not in out_labels]
    if len(operands) == 1:
        return _summed_dtype(operands[0].dtype) if summed else operands[0].dtype
    # torch's layout of the dimensions: the output, the ellipsis if summed, the other labels
    order = list(out_labels) + sorted(set(summed), key=lambda label: (label < _ELLIPSIS, label))
    place = {label: i for i, label in enumerate(order)}
    # per operand: its dtype and the places where its size is not 1
    ops = [(t.dtype, {place[label] for label, size in zip(labels, t.shape) if size != 1})
           for t, labels in zip(operands, in_labels)]
    first_summed = len(out_labels)
    counts = [sum(d in big for _, big in ops) for d in range(len(order))]
    while len(ops) > 1:
        (a, a_big), (b, b_big) = ops.pop(0), ops.pop(0)
        contracted = set()
        for d in range(first_summed, len(order)):
            if d in a_big and d in b_big:
                counts[d] -= 1
                if counts[d] == 1:
                    contracted.add(d)
                    counts[d] = 0
            elif counts[d] == 1 and (d in a_big or d in b_big):
                if d in a_big:
                    a, a_big = _summed_dtype(a), a_big - {d}
                else:
                    b, b_big = _summed_dtype(b), b_big - {d}
                counts[d] = 0
        if contracted:  # torch's bmm
            # torch's sumproduct_pair: the dims only the left one has ("lo") and the
            # others it does not have ("ro", size 1 in both included)
            left_only = [d for d in range(len(order)) if d in a_big and d not in b_big]
            right_only = [d for d in range(len(order)) if d not in a_big and d not in contracted]
            left, right = a, b
            if left_only and right_only and right_only[-1] < left_only[0]:
                left, right = b, a
            if left is dtypes.bool_:
                raise NotImplementedError("\"bmm\" not implemented for 'Bool'")
            if left is not right:
                raise RuntimeError(f"expected scalar type {_TYPE_NAMES[left.name]} but found "
                                   f"{_TYPE_NAMES[right.name]}")
            result = a
        else:  # torch's mul
            result = dtypes.promote_types(a, b)
        ops.insert(0, (result, (a_big | b_big) - contracted))
    return ops[0][0]


def _einsum(operands, in_labels, out_labels) -> Tensor:
    """The einsum of tensors whose labels are already checked (a list of ints each)."""
    if len(operands) == 1 and len(set(in_labels[0])) == len(in_labels[0]):
        # torch's way: a permute (a view), then a sum over the labels summed away
        x, labels = operands[0], in_labels[0]
        summed = [d for d, label in enumerate(labels) if label not in out_labels]
        out = x.permute([labels.index(label) for label in out_labels] + summed)
        if summed:
            out = out.sum(dim=tuple(range(len(out_labels), x.ndim)))
        return out
    sizes: dict[int, int] = {}
    for t, labels in zip(operands, in_labels):
        for label, size in zip(labels, t.shape):
            if sizes.get(label, 1) == 1:
                sizes[label] = size
    dtype = _einsum_dtype(operands, in_labels, out_labels)
    # NumPy's sublist form, labels renumbered into its range [0, 52)
    number: dict[int, int] = {}
    args: list = []
    for t, labels in zip(operands, in_labels):
        array = t._data if t.dtype is dtype else t._data.astype(dtype.np)
        full = tuple(sizes[label] for label in labels)
        args += [array if array.shape == full else np.broadcast_to(array, full),
                 [number.setdefault(label, len(number)) for label in labels]]
    args.append([number[label] for label in out_labels])
    # NumPy's contraction path (BLAS products) pays off beyond two operands or small sizes
    work = int(np.prod(list(sizes.values()), dtype=np.float64))
    result = np.asarray(np.einsum(*args, optimize=len(operands) > 2 or work > 1 << 15))
    if result.dtype != dtype.np:
        result = result.astype(dtype.np)
    elif any(np.may_share_memory(result, t._data) for t in operands):
        result = result.copy()
    out = wrap(result)
    if needs_grad(*operands):
        name = _einsum_node_name(len(operands), in_labels, out_labels)
        attach(out, _EINSUM_NODES[name](operands, in_labels, out_labels, sizes))
    return out


def _sublist_equation(args) -> tuple:
    """torch's other form, ``einsum(op1, [0, 1], op2, [1, 2], [0, 2])``: (equation, operands)."""
    def subscript(s) -> str:
        if s is Ellipsis:
            return "..."
        if 0 <= s < 52:
            return _letter(int(s))
        raise ValueError("einsum(): subscript in subscript list is not within the valid range "
                         "[0, 52)")

    equation = ",".join("".join(subscript(s) for s in sub) for sub in args[1::2])
    if len(args) % 2 == 1:
        equation += "->" + "".join(subscript(s) for s in args[-1])
        return equation, args[:-1:2]
    return equation, args[::2]


def einsum(*args) -> Tensor:
    """Einstein summation: ``einsum('ij,jk->ik', a, b)`` is ``a @ b`` (torch.einsum).

    The operands may also be given as one list, or in the sublist form
    ``einsum(a, [0, 1], b, [1, 2], [0, 2])``.  Labels are the letters; ``...``
    stands for broadcast dimensions; without ``->`` the output has the ellipsis
    dimensions, then the labels that appear once, in alphabetical order (A-Z, a-z).
    """
    if len(args) < 2:
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    if isinstance(args[0], Tensor):
        equation, operands = _sublist_equation(args)
    else:
        equation, operands = args[0], args[1:]
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        return einsum(equation, *operands[0])
    if not isinstance(equation, str):
        raise TypeError("einsum(): argument 'equation' (position 1) must be str, not "
                        f"{type(equation).__name__}")
    for k, t in enumerate(operands):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {k} in argument 1, but got "
                            f"{type(t).__name__}")
    in_labels, out_labels = _parse_einsum(equation, [t.shape for t in operands])
    return _einsum(list(operands), in_labels, out_labels)
