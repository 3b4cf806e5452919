"""``sourcediff check MODULE:FUNC``: the gradient against central finite differences."""

from __future__ import annotations

import argparse
import inspect
import sys

import numpy as np

from ._common import CliError, describe, eval_args, load_function, parse_wrt, wrt_indices

EPS64 = float(np.finfo(np.float64).eps)


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "check", help="compare a function's gradient with central finite differences",
        description="Compute the gradient of MODULE:FUNC with sourcediff and compare it with "
                    "central finite differences of the function itself (run as plain Python, "
                    "in float64). Exit status 1 when they disagree.")
    parser.add_argument("function", metavar="MODULE:FUNC",
                        help="dotted module or path to a .py file, then the function's name")
    parser.add_argument("--args", metavar="EXPR",
                        help='the point, e.g. "np.ones(5), 2.0" (evaluated with numpy as np and '
                             "math); default: a random point, types guessed from the source")
    parser.add_argument("--wrt", help="parameters to differentiate with respect to: indices "
                                      "or names, comma-separated (default: the first)")
    parser.add_argument("--target", default="cpu", help="cpu (default), parallel or python")
    parser.add_argument("--rtol", type=float, default=None,
                        help="relative tolerance (default 1e-5; 1e-3 for float32 arguments)")
    parser.add_argument("--atol", type=float, default=1e-6, help="absolute tolerance")
    parser.add_argument("--eps", type=float, default=1e-6,
                        help="finite-difference step, relative to max(1, |x|)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random point")
    parser.set_defaults(run=run)


def random_point(func, seed: int = 0) -> tuple:
    """Arguments for ``func`` with types guessed from its source: arrays for subscripted
    parameters (5 elements per axis), 5 for ``range`` bounds, floats in [0.5, 1.5]."""
    from sourcediff.frontend.source import get_source
    from sourcediff.transforms.base import guess_types

    rng = np.random.default_rng(seed)
    values = []
    for t in guess_types(get_source(func)):
        if t.is_array:
            values.append(rng.uniform(0.5, 1.5, (5,) * t.ndim))
        elif t.kind == "int":
            values.append(5)
        else:
            values.append(float(rng.uniform(0.5, 1.5)))
    return tuple(values)


def _as_float64(value):
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value.astype(np.float64)
    if isinstance(value, tuple):
        return tuple(_as_float64(v) for v in value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _copy(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, tuple):
        return tuple(_copy(v) for v in value)
    return value


def _flat(value) -> np.ndarray:
    if isinstance(value, tuple):
        return np.array([float(v) for v in value], dtype=np.float64)
    return np.asarray(value, dtype=np.float64).reshape(-1)


def _with_entry(value, index: int, new: float):
    """``value`` (a float, array or tuple of floats) with flat entry ``index`` set to ``new``."""
    if isinstance(value, np.ndarray):
        out = value.copy()
        out.reshape(-1)[index] = new
        return out
    if isinstance(value, tuple):
        return value[:index] + (new,) + value[index + 1:]
    return new


def finite_differences(func, args: tuple, position: int, eps: float):
    """Central differences of ``func`` with respect to argument ``position`` (flat), and
    an estimate of their rounding error, per entry."""
    base = list(_as_float64(args))
    point = _flat(base[position])
    fd = np.empty_like(point)
    rounding = np.empty_like(point)
    for i, x in enumerate(point):
        h = eps * max(1.0, abs(x))
        values = []
        for shifted in (x + h, x - h):
            trial = [_copy(a) for a in base]
            trial[position] = _with_entry(base[position], i, shifted)
            values.append(float(func(*trial)))
        fd[i] = (values[0] - values[1]) / (2 * h)
        rounding[i] = EPS64 * (abs(values[0]) + abs(values[1])) / (2 * h)
    return fd, rounding


def compare(grad, fd, rounding, rtol: float, atol: float) -> dict:
    """Max absolute and relative errors, and whether every entry is within
    ``atol + rtol * |fd| + 100 * rounding``."""
    diff = np.abs(grad - fd)
    scale = np.maximum(np.abs(fd), np.abs(grad))
    rel = np.divide(diff, scale, out=np.zeros_like(diff), where=scale > 0)
    ok = bool(np.all(diff <= atol + rtol * np.abs(fd) + 100.0 * rounding))
    return {"max_abs": float(diff.max(initial=0.0)), "max_rel": float(rel.max(initial=0.0)),
            "ok": ok}


def run(options: argparse.Namespace) -> int:
    import sourcediff as sd
    from sourcediff.errors import TransformError

    func = load_function(options.function)
    wrt = parse_wrt(options.wrt, func)
    positions = wrt_indices(wrt, func)
    params = list(inspect.signature(func).parameters)
    if options.args is not None:
        args = eval_args(options.args)
        origin = "given"
    else:
        try:
            args = random_point(func, options.seed)
        except TransformError as exc:
            raise CliError(str(exc), status=1) from None
        origin = f"random (seed {options.seed}; types guessed from the source, --args to choose)"
    if len(args) != len(params):
        raise CliError(f"{func.__name__} takes {len(params)} arguments "
                       f"({', '.join(params)}), --args gave {len(args)}")
    single_precision = any(isinstance(args[k], np.ndarray) and args[k].dtype == np.float32
                           for k in positions)
    rtol = options.rtol if options.rtol is not None else (1e-3 if single_precision else 1e-5)

    try:
        value, grads = sd.value_and_grad(func, wrt=wrt, target=options.target)(*args)
    except TransformError as exc:
        raise CliError(str(exc), status=1) from None
    except (TypeError, ValueError) as exc:
        raise CliError(str(exc)) from None
    if not isinstance(wrt, tuple):
        grads = (grads,)

    print(f"check {func.__name__} at a {origin} point, target {options.target}:")
    for name, value_k in zip(params, args):
        print(f"  {name} = {describe(value_k)}")
    python_value = float(func(*_copy(args)))
    value_ok = abs(float(value) - python_value) <= options.atol + rtol * abs(python_value)
    print(f"value: {float(value)!r} (sourcediff), {python_value!r} (the function)"
          f"{'' if value_ok else '  DISAGREE'}")
    rows = []
    for k, grad in zip(positions, grads):
        fd, rounding = finite_differences(func, args, k, options.eps)
        result = compare(_flat(grad), fd, rounding, rtol, options.atol)
        rows.append((params[k], describe(args[k]), result))
    width = max(len("argument"), *(len(name) for name, _, _ in rows))
    print(f"{'argument':<{width}}  {'max abs error':>13}  {'max rel error':>13}  result")
    for name, _, result in rows:
        print(f"{name:<{width}}  {result['max_abs']:13.3e}  {result['max_rel']:13.3e}  "
              f"{'ok' if result['ok'] else 'DISAGREE'}")
    agree = value_ok and all(result["ok"] for _, _, result in rows)
    verdict = "agrees with" if agree else "DISAGREES with"
    print(f"gradient {verdict} central finite differences "
          f"(rtol {rtol:g}, atol {options.atol:g}, step {options.eps:g})")
    sys.stdout.flush()
    return 0 if agree else 1
