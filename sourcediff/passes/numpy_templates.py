"""NumPy functions written with others that have rules: one template each.

A template is the source a user could have written in place of the call, with
functions the transform already differentiates: ``np.average(a, weights=w)`` is
``np.sum(a * w) / np.sum(w)``.  It has no derivative rule of its own; its
gradient, tangent and second derivatives are those of what it is written with,
so each function here is written once, for every mode and target.

``build(given, literal)`` gets the names of the parameters the call gives
(NumPy's names, ``Template.params``) and the values of those given as constants;
it returns the template's source, or ``None`` where the call is not the form
this template covers (``np.where(c, x, y)``: the rule of ``np.where``), or
raises :class:`Refused` saying what is covered.  The source is lines
``name = expression`` (names local to the template) and a last line, the
value.  A parameter's name in it stands for the argument, evaluated once, in
NumPy's order (``passes/normalize.py``, ``Normalizer.templated``); ``np`` is
NumPy.  Constants that decide the form (an axis, a quantile, a power) are
written into the source as their values.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..runtime.array_helpers import one_d_array

# helpers a template may call, by the name it calls them
HELPERS = {"one_d_array": one_d_array}


class Refused(Exception):
    """A call of a templated function in a form no template covers; the
    message says what is supported (the normalizer adds the location)."""


@dataclass(frozen=True)
class Template:
    params: tuple        # NumPy's parameter names, in order (those the call may give)
    build: Callable      # (given names, {name: constant value}) -> source, or None
    positional: int = 0  # the most arguments given by position (0: any of params)


def _axis(literal, given, name="axis"):
    """The constant int axis (or None) the call gives by ``name``."""
    if name not in given:
        return None
    if name not in literal or not (literal[name] is None or type(literal[name]) is int):
        raise Refused(f"'{name}' must be a constant int or None")
    return literal[name]


def _none_of(given, literal, names, what):
    for name in names:
        if name in given and literal.get(name, 0) not in (None, False):
            raise Refused(f"'{name}=' is not supported ({what})")


def _full_like(given, literal):
    # a's shape and dtype, every element the fill value (differentiable)
    _none_of(given, literal, ("dtype", "order", "subok", "shape"),
             "write np.full(shape, value, dtype) instead")
    return "np.zeros_like(a) + fill_value"


def _average(given, literal):
    axis = _axis(literal, given)
    _none_of(given, literal, ("returned",), "the weights' sum: np.sum(w)")
    keep = ", keepdims=True" if literal.get("keepdims") else ""
    if "keepdims" in given and "keepdims" not in literal:
        raise Refused("'keepdims' must be a constant")
    if "weights" not in given or literal.get("weights", 0) is None:
        return f"np.mean(a, axis={axis}{keep})"
    if axis is not None or keep:
        # (NumPy takes 1-d weights along the axis, or weights of a's shape: which
        # one is known only from the shapes, and a*w of the wrong one broadcasts)
        raise Refused("weights are supported without an axis (weights of a's shape); "
                      "along an axis write np.sum(a * w, axis) / np.sum(w, axis) with "
                      "w shaped to broadcast as meant")
    return "np.sum(a * weights) / np.sum(weights)"


def _take(given, literal):
    _none_of(given, literal, ("out",), "assign the result instead")
    if "mode" in given:
        raise Refused("'mode=' is not supported (indices must be in range, as mode='raise')")
    axis = _axis(literal, given)
    if axis is None:
        return "np.ravel(a)[indices]"
    if axis == 0:
        return "a[indices]"
    raise Refused("supported with axis=None or axis=0; for another axis move it first: "
                  "np.moveaxis(a, axis, 0)[indices]")


def _meshgrid(given, literal):
    _none_of(given, literal, ("sparse",), "the full grids only")
    if "y" not in given:
        raise Refused("supported for two 1-d arrays (np.meshgrid(x, y))")
    indexing = literal.get("indexing", "xy")
    if indexing not in ("xy", "ij") or "indexing" in given and "indexing" not in literal:
        raise Refused("indexing must be 'xy' or 'ij'")
    head = "xs = np.ravel(x)\nys = np.ravel(y)\n"
    if indexing == "xy":       # rows follow y, columns follow x
        return head + "(np.zeros_like(ys)[:, None] + xs, ys[:, None] + np.zeros_like(xs))"
    return head + "(xs[:, None] + np.zeros_like(ys), np.zeros_like(xs)[:, None] + ys)"


def _log_add_exp_reduce(exp, log):
    def build(given, literal):
        _none_of(given, literal, ("dtype", "out", "initial", "where"), "")
        axis = _axis(literal, given) if "axis" in given else 0
        keep = bool(literal.get("keepdims", False))
        if "keepdims" in given and "keepdims" not in literal:
            raise Refused("'keepdims' must be a constant")
        x = "np.ravel(array)" if axis is None else "array"
        axis = 0 if axis is None else axis
        # the largest term taken out (no overflow); its derivative cancels
        kept = ", keepdims=True" if keep else ""
        return (f"m = np.max({x}, axis={axis}, keepdims=True)\n"
                f"np.max({x}, axis={axis}{kept}) + "
                f"np.{log}(np.sum(np.{exp}({x} - m), axis={axis}{kept}))")
    return build


def _gradient(given, literal):
    _none_of(given, literal, ("axis",), "1-d arrays only")
    if literal.get("edge_order", 1) != 1:
        raise Refused("edge_order=1 only")
    if "spacing" in given and not isinstance(literal.get("spacing"), (int, float)):
        # (an array of coordinates or a number: which one, the shapes tell; their
        # formulas differ)
        raise Refused("supported with a constant spacing (np.gradient(f) or "
                      "np.gradient(f, 0.1)); for coordinates write the differences")
    h = float(literal.get("spacing", 1))
    # one-sided differences at the ends, central ones inside (NumPy's edge_order=1)
    return ("v = one_d_array(f)\n"
            "np.concatenate((v[1:2] - v[0:1], (v[2:] - v[:-2]) * 0.5, v[-1:] - v[-2:-1]))"
            + (f" * {1.0 / h!r}" if h != 1.0 else ""))


def _quantile(scale):
    def build(given, literal):
        _none_of(given, literal, ("axis", "out", "overwrite_input", "keepdims", "weights"),
                 "of the whole array only")
        if literal.get("method", "linear") != "linear" or "interpolation" in given:
            raise Refused("method='linear' only")
        q = literal.get("q")
        if type(q) not in (int, float) or not 0 <= q / scale <= 1:
            raise Refused(f"supported with one constant q in [0, {scale}]")
        # the sorted values at position q (n - 1), linear between the two around it
        return ("s = np.sort(np.ravel(a))\n"
                f"pos = {q / scale!r} * (s.shape[0] - 1)\n"
                "lo = int(pos)\n"
                "hi = min(lo + 1, s.shape[0] - 1)\n"
                "s[lo] + (pos - lo) * (s[hi] - s[lo])")
    return build


def _matrix_power(given, literal):
    k = literal.get("n")
    if type(k) is not int:
        raise Refused("supported with a constant int power")
    if k == 0:
        return "np.eye(a.shape[0])"
    lines, base = [], "a"
    if k < 0:
        lines.append("b0 = np.linalg.inv(a)")
        base, k = "b0", -k
    # binary powering: the squares of the base, multiplied where k has a bit
    result, square, step = None, base, 0
    while k:
        if k & 1:
            if result is None:
                result = square
            else:
                lines.append(f"r{step} = {result} @ {square}")
                result = f"r{step}"
        k >>= 1
        if k:
            step += 1
            lines.append(f"b{step} = {square} @ {square}")
            square = f"b{step}"
    if result == "a":
        return "a.copy()"
    return "\n".join([*lines, result])


def _convolve(given, literal):
    mode = literal.get("mode", "full")
    if mode not in ("full", "same", "valid") or "mode" in given and "mode" not in literal:
        raise Refused("mode must be 'full', 'same' or 'valid'")
    # each of v's elements adds a shifted copy of a: n + m - 1 values (element loops:
    # the reverse sweep reads a and v only, nothing is taped)
    full = ("p = one_d_array(a)\n"
            "q = one_d_array(v)\n"
            "z = np.zeros(p.shape[0] + q.shape[0] - 1)\n"
            "for j in range(q.shape[0]):\n"
            "    for i in range(p.shape[0]):\n"
            "        z[i + j] += q[j] * p[i]\n")
    if mode == "full":
        return full + "z"
    short = "min(p.shape[0], q.shape[0])"
    if mode == "valid":          # where the shorter one lies inside the longer
        return full + f"z[{short} - 1:max(p.shape[0], q.shape[0])]"
    # the longer one's length, centred
    return full + (f"lo = ({short} - 1) // 2\n"
                   "z[lo:lo + max(p.shape[0], q.shape[0])]")


def _bincount(given, literal):
    # each bin the sum of the weights of the items in it (counts, without weights)
    top = "np.max(x) + 1" if "minlength" not in given else "max(np.max(x) + 1, minlength)"
    if "weights" not in given or literal.get("weights", 0) is None:
        return f"z = np.zeros({top}, np.int64)\nnp.add.at(z, x, 1)\nz"
    return f"z = np.zeros({top})\nnp.add.at(z, x, weights)\nz"


def _where(given, literal):
    if set(given) == {"condition"}:
        return "np.nonzero(condition)"       # the positions where it holds, per axis
    return None


TEMPLATES = {
    np.full_like: Template(("a", "fill_value", "dtype", "order", "subok", "shape"),
                           _full_like),
    np.average: Template(("a", "axis", "weights", "returned", "keepdims"), _average),
    np.take: Template(("a", "indices", "axis", "out", "mode"), _take),
    np.meshgrid: Template(("x", "y", "indexing", "copy", "sparse"), _meshgrid, positional=2),
    np.logaddexp.reduce: Template(("array", "axis", "dtype", "out", "keepdims", "initial",
                                   "where"), _log_add_exp_reduce("exp", "log")),
    np.logaddexp2.reduce: Template(("array", "axis", "dtype", "out", "keepdims", "initial",
                                    "where"), _log_add_exp_reduce("exp2", "log2")),
    np.gradient: Template(("f", "spacing", "axis", "edge_order"), _gradient),
    np.quantile: Template(("a", "q", "axis", "out", "overwrite_input", "method",
                           "keepdims", "weights", "interpolation"), _quantile(1)),
    np.percentile: Template(("a", "q", "axis", "out", "overwrite_input", "method",
                             "keepdims", "weights", "interpolation"), _quantile(100)),
    np.linalg.matrix_power: Template(("a", "n"), _matrix_power),
    np.where: Template(("condition", "x", "y"), _where),
    np.convolve: Template(("a", "v", "mode"), _convolve),
    np.bincount: Template(("x", "weights", "minlength"), _bincount),
}


def template_for(fn):
    """The template of ``fn``, or None."""
    try:
        return TEMPLATES.get(fn)
    except TypeError:          # (an unhashable callable)
        return None
