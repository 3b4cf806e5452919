"""Higher-level autograd: ``vjp``, ``jvp``, ``jacobian``, ``hessian``, ``vhp``, ``hvp``.

The API of ``torch.autograd.functional``: each takes a function of tensors and
the point to evaluate it at, and runs the graph engine on a graph of its own.
The function sees *new* input tensors (a differentiable alias of each input
when ``create_graph`` lets gradients flow on to it, a detached copy
otherwise), so its arguments are never confused with tensors it captures.

``jvp`` and ``hvp`` use the double-backward trick: the gradient of a vjp with
respect to its (dummy) cotangent is the Jacobian-vector product.

>>> import sourcediff as sd
>>> from sourcediff.autograd.functional import jacobian, hessian
>>> jacobian(lambda x: x ** 2, sd.tensor([1.0, 2.0]))
tensor([[2., 0.],
        [0., 4.]])
>>> hessian(lambda x: (x ** 3).sum(), sd.tensor([1.0, 2.0]))
tensor([[ 6.,  0.],
        [ 0., 12.]])
"""

from __future__ import annotations

from . import engine, grad_mode
from .core import Tensor
from .creation import zeros, zeros_like
from .shape_ops import stack

# ---------------------------------------------------------------------------
# argument handling


def _as_tensors(value, what: str, fn_name: str):
    """``(was_a_tuple, tuple_of_tensors)``, with torch's TypeError for anything else."""
    is_tuple = isinstance(value, tuple)
    items = value if is_tuple else (value,)
    for i, item in enumerate(items):
        if not isinstance(item, Tensor):
            where = f"value at index {i}" if is_tuple else f"given {what}"
            raise TypeError(f"The {what} given to {fn_name} must be either a Tensor or a tuple of "
                            f"Tensors but the {where} has type {type(item)}.")
    return is_tuple, items


def _fresh(tensors, create_graph: bool, need_graph: bool) -> tuple:
    """New tensor objects for the user function (see the module docstring)."""
    return tuple(t.view_as(t) if create_graph and t.requires_grad
                 else t.detach().requires_grad_(need_graph) for t in tensors)


def _settle(tensors, create_graph: bool):
    """Results keep their graph only when ``create_graph`` asked for it."""
    if create_graph:
        return tensors
    return tuple(t.detach() if isinstance(t, Tensor) else _settle(t, False) for t in tensors)


def _unpack(result, was_tuple):
    """Undo ``_as_tensors``: a lone tensor comes back alone (two levels for Jacobians)."""
    if isinstance(was_tuple, tuple):
        outer, inner = was_tuple
        if not inner:
            result = tuple(row[0] for row in result)
        return result if outer else result[0]
    return result if was_tuple else result[0]


def _check_v(v, like, like_is_tuple: bool) -> None:
    if len(v) != len(like):
        if like_is_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(like)} but got "
                               f"{len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, like)):
        if a.shape != b.shape:
            prefix = f"Entry {i} in " if like_is_tuple else ""
            raise RuntimeError(f"{prefix}v has invalid size: should be {b.shape} but got "
                               f"{a.shape}.")


_STRICT_MESSAGES = {
    "outputs": "Output {i} of the user-provided function does not require gradients. The "
               "outputs must be computed in a differentiable manner from the input when running "
               "in strict mode.",
    "grad_inputs": "The gradient with respect to input {i} is independent of the inputs of the "
                   "user-provided function. This is not allowed in strict mode.",
    "jacobian": "While computing the hessian, found that the jacobian of the user-provided "
                "function with respect to input {i} is independent of the input. This is not "
                "allowed in strict mode. You should ensure that your function is twice "
                "differentiable and that the jacobian depends on the inputs (this would be "
                "violated by a linear function for example).",
    "hessian": "The hessian of the user-provided function with respect to input {i} is "
               "independent of the input. This is not allowed in strict mode. You should ensure "
               "that your function is thrice differentiable and that the hessian depends on the "
               "inputs.",
}


def _strict_check(tensors, kind: str, strict: bool) -> None:
    """In strict mode, every tensor must exist and depend on the inputs."""
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(f"The output of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode.")
        if not t.requires_grad:
            raise RuntimeError(_STRICT_MESSAGES[kind].format(i=i))


def _grad(outputs, inputs, grad_outputs=None, *, create_graph=False, retain_graph=None):
    """``autograd.grad`` that skips outputs without a graph (their gradient is None)."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    kept = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not kept:
        return (None,) * len(inputs)
    return engine.grad([o for o, _ in kept], inputs, [g for _, g in kept],
                       retain_graph=retain_graph, create_graph=create_graph, allow_unused=True)


_MISSING_MESSAGES = {
    "back": "The output of the user-provided function is independent of input {i}. This is not "
            "allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
                  "grad_outputs when using the double backward trick to compute forward mode "
                  "gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
                   "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} "
                         "in the grad_jacobian. This is not allowed in strict mode as it prevents "
                         "from using the double backward trick to replace forward mode AD.",
}


def _fill_missing(grads, like, strict: bool, create_graph: bool, stage: str) -> tuple:
    """Zeros for the gradients that are None (errors instead in strict mode)."""
    out = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_MISSING_MESSAGES[stage].format(i=i))
            g = zeros_like(like[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode when "
                               "create_graph=True.")
        out.append(g)
    return tuple(out)


def _prepare(func, inputs, v, fn_name: str, create_graph: bool, v_like: str):
    """Fresh inputs, the function's outputs and the checked vector ``v``.

    ``v_like`` says whether ``v`` has the shape of the "inputs" or of the "outputs".
    """
    inputs_tuple, inputs = _as_tensors(inputs, "inputs", fn_name)
    inputs = _fresh(inputs, create_graph, need_graph=True)
    if v_like == "inputs":
        v = _checked_v(v, inputs, inputs_tuple, fn_name, create_graph,
                       "The vector v can only be None if the input to the user-provided "
                       "function is a single Tensor with a single element.")
    outputs = func(*inputs)
    outputs_tuple, outputs = _as_tensors(outputs, "outputs of the user-provided function",
                                         fn_name)
    if v_like == "outputs":
        v = _checked_v(v, outputs, outputs_tuple, fn_name, create_graph,
                       "The vector v can only be None if the user-provided function returns a "
                       "single Tensor with a single element.")
    return (inputs_tuple, inputs), (outputs_tuple, outputs), v


def _checked_v(v, like, like_tuple: bool, fn_name: str, create_graph: bool, none_message: str):
    if v is None:
        if len(like) != 1 or like[0].numel() != 1:
            raise RuntimeError(none_message)
        return None
    _, v = _as_tensors(v, "v", fn_name)
    v = _fresh(v, create_graph, need_graph=False)
    _check_v(v, like, like_tuple)
    return v


def _last_product(of, wrt, v, like, *, strict: bool, create_graph: bool, stage: str):
    """The closing backward pass of vjp/jvp/vhp/hvp: ``v`` through ``of`` back to ``wrt``."""
    with grad_mode.set_grad_enabled(create_graph or grad_mode.is_grad_enabled()):
        grads = _grad(of, wrt, v, create_graph=create_graph)
        return _fill_missing(grads, like, strict, create_graph, stage)


def _pair(outputs, outputs_tuple, product, product_tuple, create_graph: bool):
    """``(func's outputs, the product)``, each shaped like what the user gave."""
    return (_unpack(_settle(outputs, create_graph), outputs_tuple),
            _unpack(_settle(product, create_graph), product_tuple))


# ---------------------------------------------------------------------------
# the public functions


def vjp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``.

    >>> import sourcediff as sd
    >>> out, g = vjp(lambda x: 3 * x, sd.tensor([1.0, 2.0]), sd.tensor([1.0, 0.5]))
    >>> out, g
    (tensor([3., 6.]), tensor([3.0000, 1.5000]))
    """
    with grad_mode.enable_grad():
        (inputs_tuple, inputs), (outputs_tuple, outputs), v = _prepare(
            func, inputs, v, "vjp", create_graph, v_like="outputs")
        _strict_check(outputs, "outputs", strict)
    result = _last_product(outputs, inputs, v, inputs, strict=strict, create_graph=create_graph,
                           stage="back")
    return _pair(outputs, outputs_tuple, result, inputs_tuple, create_graph)


def jvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), J v)``: the Jacobian-vector product, by the double-backward trick.

    >>> import sourcediff as sd
    >>> jvp(lambda x: x ** 2, sd.tensor([1.0, 2.0]), sd.tensor([1.0, 1.0]))
    (tensor([1., 4.]), tensor([2., 4.]))
    """
    with grad_mode.enable_grad():
        (_, inputs), (outputs_tuple, outputs), v = _prepare(
            func, inputs, v, "jvp", create_graph, v_like="inputs")
        _strict_check(outputs, "outputs", strict)
        dummies = tuple(zeros_like(out, requires_grad=True) for out in outputs)
        grad_inputs = _grad(outputs, inputs, dummies, create_graph=True)
        _strict_check(grad_inputs, "grad_inputs", strict)
    result = _last_product(grad_inputs, dummies, v, outputs, strict=strict, create_graph=create_graph,
                           stage="back_trick")
    return _pair(outputs, outputs_tuple, result, outputs_tuple, create_graph)


def jacobian(func, inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: shape ``output.shape + input.shape``.

    Reverse mode takes one backward pass per output element, forward mode one
    Jacobian-vector product per input element. ``vectorize`` asks PyTorch to
    batch those passes with vmap; here it gives the same result the plain
    way. With tuples of inputs and/or outputs the result is a tuple (of tuples).
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". '
                         'Hint: If your function has more outputs than inputs, "forward-mode" '
                         'tends to be more performant. Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        return _jacobian_forward(func, inputs, create_graph, strict, vectorize)
    with grad_mode.enable_grad():
        inputs_tuple, inputs = _as_tensors(inputs, "inputs", "jacobian")
        inputs = _fresh(inputs, create_graph, need_graph=True)
        outputs_tuple, outputs = _as_tensors(func(*inputs), "outputs of the user-provided "
                                             "function", "jacobian")
        _strict_check(outputs, "outputs", strict)
        if vectorize and strict:
            raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and "
                               "`vectorized=True` are not supported together. Please either set "
                               "`strict=False` or `vectorize=False`.")
        rows = tuple(_jacobian_rows(i, out, inputs, create_graph, strict)
                     for i, out in enumerate(outputs))
    return _unpack(_settle(rows, create_graph), (outputs_tuple, inputs_tuple))


def _jacobian_rows(i: int, out: Tensor, inputs, create_graph: bool, strict: bool) -> tuple:
    """d out / d input for every input: one backward pass per element of ``out``."""
    columns = [[] for _ in inputs]
    flat = out.reshape(-1)
    for j in range(out.numel()):
        grads = _grad((flat[j],), inputs, retain_graph=True, create_graph=create_graph)
        for k, (g, inp) in enumerate(zip(grads, inputs)):
            if g is None:
                if strict:
                    raise RuntimeError(f"Output {i} of the user-provided function is independent "
                                       f"of input {k}. This is not allowed in strict mode.")
                g = zeros_like(inp)
            elif strict and create_graph and not g.requires_grad:
                raise RuntimeError(f"The jacobian of the user-provided function is independent "
                                   f"of input {i}. This is not allowed in strict mode when "
                                   "create_graph=True.")
            columns[k].append(g)
    return tuple(stack(col, 0).view(tuple(out.shape) + tuple(inp.shape)) if col
                 else zeros(tuple(out.shape) + tuple(inp.shape), dtype=inp.dtype)
                 for col, inp in zip(columns, inputs))


def _jacobian_forward(func, inputs, create_graph: bool, strict: bool, vectorize: bool):
    """Forward-mode Jacobian: one Jacobian-vector product per input element."""
    if create_graph:
        raise NotImplementedError("torch.autograd.functional.jacobian: `create_graph=True` and "
                                  '`strategy="forward-mode"` are not supported together (yet). '
                                  "Please either set `create_graph=False` or "
                                  '`strategy="reverse-mode"`.')
    if strict:
        raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and "
                           '`strategy="forward-mode"` are not supported together (yet). Please '
                           'either set `strict=False` or `strategy="reverse-mode"`.')
    if not vectorize:
        raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse "
                                  "Hessian isonly implemented for `vectorize=True`.")
    inputs_tuple, inputs = _as_tensors(inputs, "inputs", "jacobian")
    outputs_tuple, outputs = _as_tensors(func(*inputs), "outputs of the user-provided function",
                                         "jacobian")
    per_input = []
    for k, inp in enumerate(inputs):
        columns = []
        for j in range(inp.numel()):
            tangents = tuple(zeros_like(t) for t in inputs)
            tangents[k].view(-1)[j] = 1.0
            _, jv = jvp(func, inputs, tangents)
            columns.append(jv if outputs_tuple else (jv,))
        per_input.append([stack([c[i] for c in columns], -1).view(
            tuple(out.shape) + tuple(inp.shape)) for i, out in enumerate(outputs)])
    rows = tuple(tuple(per_input[k][i] for k in range(len(inputs))) for i in range(len(outputs)))
    return _unpack(rows, (outputs_tuple, inputs_tuple))


def hessian(func, inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of a scalar function: the Jacobian of its gradient.

    With a tuple of inputs the result is a tuple of tuples (``H[i][j]`` has
    shape ``inputs[i].shape + inputs[j].shape``).
    """
    inputs_tuple, inputs = _as_tensors(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def scalar_func(*inp):
        out = func(*inp)
        is_tuple, outs = _as_tensors(out, "outputs of the user-provided function", "hessian")
        _strict_check(outs, "outputs", strict)
        if is_tuple:
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        return out.squeeze()

    def gradient(*inp):
        if outer_jacobian_strategy == "forward-mode":
            inp = tuple(t.requires_grad_(True) for t in inp)
        jac = jacobian(scalar_func, inp, create_graph=True)
        _strict_check(jac, "jacobian", strict)
        return jac

    result = jacobian(gradient, inputs, create_graph=create_graph, strict=strict,
                      vectorize=vectorize, strategy=outer_jacobian_strategy)
    return _unpack(result, (inputs_tuple, inputs_tuple))


def _scalar_output(outputs, outputs_tuple: bool, fn_name: str) -> None:
    if outputs_tuple:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should "
                           "contain a single element")


def vhp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), v^T H)`` for a scalar function (two backward passes)."""
    with grad_mode.enable_grad():
        (inputs_tuple, inputs), (outputs_tuple, outputs), v = _prepare(
            func, inputs, v, "vhp", create_graph, v_like="inputs")
        _strict_check(outputs, "outputs", strict)
        _scalar_output(outputs, outputs_tuple, "vhp")
        jac = _grad(outputs, inputs, create_graph=True)
        _strict_check(jac, "jacobian", strict)
    result = _last_product(jac, inputs, v, inputs, strict=strict, create_graph=create_graph,
                           stage="double_back")
    return _pair(outputs, outputs_tuple, result, inputs_tuple, create_graph)


def hvp(func, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), H v)`` for a scalar function, by the double-backward trick."""
    with grad_mode.enable_grad():
        (inputs_tuple, inputs), (outputs_tuple, outputs), v = _prepare(
            func, inputs, v, "hvp", create_graph, v_like="inputs")
        _strict_check(outputs, "outputs", strict)
        _scalar_output(outputs, outputs_tuple, "hvp")
        jac = _grad(outputs, inputs, create_graph=True)
        _strict_check(jac, "jacobian", strict)
        dummies = tuple(zeros_like(inp, requires_grad=True) for inp in inputs)
        double = _grad(jac, inputs, dummies, create_graph=True)
        _strict_check(jac, "hessian", strict)
    result = _last_product(double, dummies, v, inputs, strict=strict, create_graph=create_graph,
                           stage="double_back_trick")
    return _pair(outputs, outputs_tuple, result, inputs_tuple, create_graph)
