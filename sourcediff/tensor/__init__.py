"""A NumPy-backed Tensor with PyTorch's autograd semantics.

``import sourcediff as torch`` runs the autograd examples of PyTorch
tutorials and prints the same thing: same dtypes (float32 by default), same
``grad_fn`` node names, same reprs, same error messages.

Layout, in layers (each imports only the ones before it): ``dtypes``,
``grad_mode``, ``rng``, ``printing``; ``core`` (the Tensor class); ``graph``
(nodes, saved tensors, accumulation) and ``engine`` (runs backward);
``creation`` and ``common`` (operands, wrapping results); one module per
family of operations, each holding the forward function next to its backward
node (``pointwise``, ``reductions``, ``shape_ops``, ``linalg``, ``inplace``; a
new op touches one of them), ``custom_function`` (``autograd.Function``),
``gradcheck``, ``functional`` (jacobian, hessian, vjp, jvp, hvp, vhp) and
``func`` (torch.func-style transforms); and ``methods``, which binds the ops
to the class here, where the package is assembled. ``anomaly`` (anomaly
mode) sits at the bottom next to ``grad_mode``.
"""

from . import dtypes as _dtypes
from .anomaly import is_anomaly_check_nan_enabled, is_anomaly_enabled, set_anomaly_enabled
from .core import Tensor, is_tensor
from .creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .dtypes import (
    Size,
    device,
    dtype,
    float32,
    float64,
    get_default_dtype,
    int32,
    int64,
    promote_types,
    set_default_dtype,
)
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .linalg import addmm, bmm, dot, einsum, inner, matmul, mm, mv, outer
from .methods import bind_methods
from .pointwise import (
    abs,
    add,
    allclose,
    atan2,
    ceil,
    clamp,
    clip,
    cos,
    div,
    eq,
    equal,
    exp,
    expm1,
    floor,
    floor_divide,
    fmod,
    ge,
    gt,
    isclose,
    isfinite,
    isinf,
    isnan,
    le,
    lerp,
    log,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    maximum,
    minimum,
    mul,
    ne,
    neg,
    pow,
    reciprocal,
    relu,
    remainder,
    round,
    rsqrt,
    sigmoid,
    sign,
    sin,
    sqrt,
    square,
    sub,
    tan,
    tanh,
    where,
)
from .printing import set_printoptions
from .reductions import (
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    argsort,
    cumprod,
    cumsum,
    log_softmax,
    logsumexp,
    max,
    mean,
    min,
    norm,
    prod,
    softmax,
    sort,
    std,
    sum,
    topk,
    var,
)
from .rng import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from .shape_ops import (
    cat,
    chunk,
    clone,
    concatenate,
    flatten,
    flip,
    gather,
    index_select,
    narrow,
    permute,
    reshape,
    roll,
    select,
    split,
    squeeze,
    stack,
    t,
    transpose,
    unbind,
    unsqueeze,
)

# the ops become Tensor methods and operators (the class itself imports none of them)
bind_methods(Tensor)


def is_inference(input: Tensor) -> bool:
    """Whether ``input`` was made inside ``inference_mode``."""
    return input.is_inference()


# torch's dtype aliases (these shadow the builtins only inside this namespace)
bool = _dtypes.bool_
float = float32
double = float64
long = int64
int = int32
subtract, multiply, divide, true_divide, negative = sub, mul, div, div, neg
absolute = abs
arctan2 = atan2

__all__ = [  # noqa: RUF022 - grouped by topic
    # the class and dtypes
    "Tensor", "is_tensor", "dtype", "Size", "device", "bool", "float", "float32", "float64",
    "double", "long", "int", "int32", "int64", "get_default_dtype", "set_default_dtype",
    "promote_types",
    # factories and randomness
    "tensor", "as_tensor", "from_numpy", "ones", "zeros", "empty", "full", "eye", "arange",
    "linspace", "rand", "randn", "randint", "randperm", "normal", "ones_like", "zeros_like",
    "empty_like", "full_like", "rand_like", "randn_like", "manual_seed", "seed",
    "initial_seed", "Generator", "default_generator", "get_rng_state", "set_rng_state",
    # grad mode
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode",
    "is_inference_mode_enabled", "is_inference", "is_anomaly_enabled",
    "is_anomaly_check_nan_enabled", "set_anomaly_enabled",
    # elementwise
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "pow",
    "neg", "negative", "exp", "expm1", "log", "log1p", "sin", "cos", "tan", "tanh",
    "sigmoid", "relu", "sqrt", "rsqrt", "reciprocal", "abs", "absolute", "sign", "square",
    "floor", "ceil", "round", "clamp", "clip", "maximum", "minimum", "where", "floor_divide",
    "remainder", "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or",
    "logical_xor", "logical_not", "isfinite", "isnan", "isinf", "allclose", "isclose",
    "equal", "atan2", "arctan2", "fmod", "lerp",
    # reductions
    "sum", "mean", "max", "min", "amax", "amin", "prod", "argmax", "argmin", "all", "any", "var", "std",
    "norm", "softmax", "log_softmax", "logsumexp", "cumsum", "cumprod", "sort", "argsort", "topk",
    # linear algebra
    "mm", "matmul", "mv", "dot", "inner", "bmm", "outer", "addmm", "einsum",
    # shapes
    "reshape", "flatten", "squeeze", "unsqueeze", "t", "transpose", "permute", "cat",
    "concatenate", "stack", "split", "chunk", "unbind", "select", "narrow", "clone",
    "flip", "roll", "gather", "index_select",
    # printing
    "set_printoptions",
]
