"""Function transforms for tensors, as ``torch.func``: grad, grad_and_value, vjp, jacrev, jacfwd.

They run on the graph engine: a transform calls the function with fresh
inputs (a differentiable alias of an input that already requires grad, a new
leaf otherwise), then asks the engine for the gradients. Arguments and results
may be tensors or nested tuples, lists and dicts of tensors.

Transforms nest (``grad(grad(f))``) and compose with ordinary autograd: when
the function's graph reaches tensors that require grad from outside the
transform (an input that required grad, or a tensor the function captured),
the gradients are built with ``create_graph=True`` and stay differentiable;
otherwise the results are plain tensors, as in PyTorch.

>>> import sourcediff as sd
>>> from sourcediff.func import grad
>>> grad(lambda x: (x ** 3).sum())(sd.tensor([1.0, 2.0]))
tensor([ 3., 12.])
>>> grad(grad(lambda x: x ** 3))(sd.tensor(2.0))
tensor(12.)
"""

from __future__ import annotations

from . import engine, grad_mode
from .core import Tensor
from .creation import zeros, zeros_like
from .graph import AccumulateGrad
from .shape_ops import stack

# ---------------------------------------------------------------------------
# nested containers of tensors


def _flatten(tree):
    """``(leaves, rebuild)`` for tensors in nested tuples, lists and dicts."""
    if isinstance(tree, (tuple, list)):
        parts = [_flatten(item) for item in tree]
        kind = type(tree)

        def rebuild(leaves, parts=parts, kind=kind):
            out, start = [], 0
            for leaves_of, build in parts:
                out.append(build(leaves[start:start + len(leaves_of)]))
                start += len(leaves_of)
            return kind(out)

        return [leaf for leaves_of, _ in parts for leaf in leaves_of], rebuild
    if isinstance(tree, dict):
        keys = list(tree)
        leaves, build = _flatten([tree[k] for k in keys])
        return leaves, lambda values, keys=keys, build=build: dict(zip(keys, build(values)))
    return [tree], lambda leaves: leaves[0]


def _map(fn, tree):
    leaves, rebuild = _flatten(tree)
    return rebuild([fn(leaf) if isinstance(leaf, Tensor) else leaf for leaf in leaves])


# ---------------------------------------------------------------------------
# running a function at fresh inputs


def _fresh(t):
    if not isinstance(t, Tensor):
        raise TypeError(f"Expected a Tensor (or a container of Tensors) as differentiated "
                        f"input, got {type(t)}")
    return t.view_as(t) if t.requires_grad else t.detach().requires_grad_()


def _argnums(argnums, n_args: int, fn_name: str) -> tuple:
    if isinstance(argnums, int):
        nums = (argnums,)
    elif isinstance(argnums, tuple) and all(isinstance(a, int) for a in argnums):
        if not argnums:
            raise RuntimeError("argnums must be non-empty")
        if len(set(argnums)) != len(argnums):
            raise RuntimeError(f"argnums elements must be unique, got {argnums}")
        nums = argnums
    else:
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    for a in nums:
        if not -n_args <= a < n_args:
            raise RuntimeError(f"Got argnum={a}, but only {n_args} positional inputs")
    return tuple(a % n_args for a in nums)


def _call_at_fresh_inputs(func, args, kwargs, argnums, fn_name: str):
    """Call ``func`` with fresh copies of the chosen arguments.

    Returns (output, the fresh chosen arguments, and their leaves).
    """
    nums = _argnums(argnums, len(args), fn_name)
    args = list(args)
    chosen = []
    for a in nums:
        args[a] = _map(_fresh, args[a])
        chosen.append(args[a])
    output = func(*args, **kwargs)
    diff = chosen[0] if isinstance(argnums, int) else tuple(chosen)
    leaves, rebuild = _flatten(diff)
    return output, leaves, rebuild


def _reaches_outside(outputs, fresh_leaves) -> bool:
    """Whether the graph of ``outputs`` depends on tensors from outside the transform."""
    own = {id(t) for t in fresh_leaves}
    seen, stack_ = set(), [o.grad_fn for o in outputs if isinstance(o, Tensor) and o.grad_fn]
    while stack_:
        node = stack_.pop()
        if node in seen:
            continue
        seen.add(node)
        if isinstance(node, AccumulateGrad) and id(node.variable) not in own:
            return True
        stack_.extend(child for child, _ in node.next_functions if child is not None)
    return False


def _detach_unless(keep: bool, tree):
    return tree if keep else _map(lambda t: t.detach(), tree)


# ---------------------------------------------------------------------------
# the transforms


def grad_and_value(func, argnums=0, has_aux: bool = False):
    """``f -> (gradient, value)`` for a function returning a scalar tensor."""

    def wrapper(*args, **kwargs):
        with grad_mode.enable_grad():
            output, leaves, rebuild = _call_at_fresh_inputs(func, args, kwargs, argnums,
                                                            "grad_and_value")
            output, aux = _split_aux(output, has_aux, "grad_and_value(f)(*args)")
            if not isinstance(output, Tensor):  # torch says RuntimeError here
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "  # noqa: TRY004
                                   f"Tensor, got {type(output)}")
            if output.dim() != 0:
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                                   f"scalar Tensor, got tensor with {output.dim()} dims. Maybe "
                                   "you wanted to use the vjp or jacrev APIs instead?")
            outer = _reaches_outside([output], leaves)
            grads = engine.grad(output, leaves, create_graph=outer, allow_unused=True) \
                if output.requires_grad else (None,) * len(leaves)
        grads = [zeros_like(t) if g is None else g for g, t in zip(grads, leaves)]
        result = (rebuild(grads), _detach_unless(outer, output))
        if has_aux:
            return result, _detach_unless(outer, aux)
        return result

    return wrapper


def grad(func, argnums=0, has_aux: bool = False):
    """``f -> gradient of f`` (with respect to the ``argnums`` arguments) for a scalar ``f``."""
    both = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        if has_aux:
            (g, _), aux = both(*args, **kwargs)
            return g, aux
        return both(*args, **kwargs)[0]

    return wrapper


def _split_aux(output, has_aux: bool, where: str):
    if not has_aux:
        return output, None
    if not (isinstance(output, tuple) and len(output) == 2):
        raise RuntimeError(f"{where}: output of function f should be a tuple: (output, aux) if "
                           "has_aux is True")
    return output


def vjp(func, *primals, has_aux: bool = False):
    """``(f(*primals), vjp_fn)``: ``vjp_fn(cotangents)`` gives one gradient per primal.

    ``vjp_fn`` may be called many times (the graph is kept).
    """
    with grad_mode.enable_grad():
        fresh = [_map(_fresh, p) for p in primals]
        output = func(*fresh)
        output, aux = _split_aux(output, has_aux, "vjp(f, *primals)")
        out_leaves, _ = _flatten(output)
        for leaf in out_leaves:
            if not isinstance(leaf, Tensor):  # torch says RuntimeError here
                raise RuntimeError("vjp(f, *primals): expected f(*primals) to return only "  # noqa: TRY004
                                   f"tensors, got unsupported type {type(leaf)}")
        in_leaves, rebuild = _flatten(tuple(fresh))
        outer = _reaches_outside(out_leaves, in_leaves)

    def vjp_fn(cotangents):
        ct_leaves, _ = _flatten(cotangents)
        if len(ct_leaves) != len(out_leaves):
            raise RuntimeError(f"Expected pytree structure of cotangents to be the same as pytree "
                               f"structure of outputs to the function: {len(ct_leaves)} "
                               f"cotangents for {len(out_leaves)} outputs")
        pairs = [(o, c) for o, c in zip(out_leaves, ct_leaves) if o.requires_grad]
        keep = outer or any(c.requires_grad for _, c in pairs)
        with grad_mode.enable_grad():
            grads = engine.grad([o for o, _ in pairs], in_leaves, [c for _, c in pairs],
                                retain_graph=True, create_graph=keep, allow_unused=True) \
                if pairs else (None,) * len(in_leaves)
        return rebuild([zeros_like(t) if g is None else g for g, t in zip(grads, in_leaves)])

    result = (_detach_unless(outer, output), vjp_fn)
    return result + (_detach_unless(outer, aux),) if has_aux else result


def _jacobian(func, argnums, has_aux: bool, name: str, columns):
    """Shared body of jacrev/jacfwd; ``columns`` computes the blocks of one output leaf."""

    def wrapper(*args, **kwargs):
        with grad_mode.enable_grad():
            output, leaves, rebuild = _call_at_fresh_inputs(func, args, kwargs, argnums, name)
            output, aux = _split_aux(output, has_aux, f"{name}(f, ...)(*args)")
            out_leaves, out_rebuild = _flatten(output)
            outer = _reaches_outside(out_leaves, leaves)
            blocks = [rebuild(columns(out, leaves, outer)) for out in out_leaves]
        jac = out_rebuild(blocks)
        return (jac, _detach_unless(outer, aux)) if has_aux else jac

    return wrapper


def _reverse_blocks(out: Tensor, leaves, outer: bool) -> list:
    """d out / d leaf for each leaf, one vector-Jacobian product per element of ``out``."""
    flat = out.reshape(-1)
    rows = [[] for _ in leaves]
    for j in range(out.numel()):
        if out.requires_grad:
            grads = engine.grad(flat[j], leaves, retain_graph=True, create_graph=outer,
                                allow_unused=True)
        else:
            grads = (None,) * len(leaves)
        for k, (g, t) in enumerate(zip(grads, leaves)):
            rows[k].append(zeros_like(t) if g is None else g)
    return [_assemble(rows[k], out, t, axis=0) for k, t in enumerate(leaves)]


def _forward_blocks(out: Tensor, leaves, outer: bool) -> list:
    """d out / d leaf for each leaf, one Jacobian-vector product per element of the leaf.

    Each product is the double-backward trick: the gradient, with respect to a
    dummy cotangent ``u``, of ``<grad(out . u), tangent>``.
    """
    blocks = []
    for t in leaves:
        if not out.requires_grad:
            blocks.append(zeros(tuple(out.shape) + tuple(t.shape), dtype=out.dtype))
            continue
        u = zeros_like(out, requires_grad=True)
        (vjp_of_u,) = engine.grad(out, t, u, retain_graph=True, create_graph=True,
                                  allow_unused=True)
        cols = []
        for j in range(t.numel()):
            tangent = zeros_like(t)
            tangent.view(-1)[j] = 1.0
            if vjp_of_u is None or not vjp_of_u.requires_grad:
                cols.append(zeros_like(out))
                continue
            (col,) = engine.grad(vjp_of_u, u, tangent, retain_graph=True, create_graph=outer,
                                 allow_unused=True)
            cols.append(zeros_like(out) if col is None else col)
        blocks.append(_assemble(cols, out, t, axis=-1))
    return blocks


def _assemble(pieces, out: Tensor, t: Tensor, axis: int) -> Tensor:
    shape = tuple(out.shape) + tuple(t.shape)
    if not pieces:
        return zeros(shape, dtype=t.dtype)
    return stack(pieces, axis).reshape(shape)


def jacrev(func, argnums=0, *, has_aux: bool = False, chunk_size=None):
    """``f -> Jacobian of f`` by reverse mode (one backward pass per output element).

    The Jacobian of an output of shape ``O`` with respect to an input of shape
    ``I`` has shape ``O + I``; tuple outputs or ``argnums`` give tuples.
    """
    return _jacobian(func, argnums, has_aux, "jacrev", _reverse_blocks)


def jacfwd(func, argnums=0, has_aux: bool = False, *, randomness: str = "error"):
    """``f -> Jacobian of f`` column by column (one Jacobian-vector product per input element)."""
    return _jacobian(func, argnums, has_aux, "jacfwd", _forward_blocks)
