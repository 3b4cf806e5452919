"""Random NumPy array programs, as source text, for the differential tester.

``program(seed)`` writes a function ``f(x, y, s)`` (``x`` of shape (3, 4),
``y`` of shape (4,), ``s`` a float) as a row of assignments over array
temporaries: elementwise ufuncs and operators with broadcasting (size-1 axes
included), reductions with ``axis``/``keepdims``/axis tuples, slicing, ``.T``,
``np.dot``/``@``, ``np.where``, ``np.clip``, ``np.maximum``/``np.minimum``,
``np.linspace``.  Every expression is smooth on its inputs' range (divisions by
``1 + v*v``, ``exp`` of a ``tanh``, ``log``/``sqrt`` of ``1 + v*v``), so finite
differences are a valid reference away from the rare kink of
``max``/``where``/``clip``.  The module name inside the text is ``np``; the
same text runs under ``jax.numpy`` as the reference gradient.

The generator tracks each temporary's shape, so every program is valid
NumPy, and the result is a scalar sum over a few temporaries.
"""
from __future__ import annotations

import random

ARGS = {"x": (3, 4), "y": (4,), "s": ()}

UNARY = [
    "np.sin({a})", "np.cos({a})", "np.tanh({a})", "np.exp(np.tanh({a}))",
    "np.sqrt(1.0 + {a} * {a})", "np.log(1.0 + {a} * {a})", "np.square({a})", "-{a}",
    "np.arctan({a})", "np.log1p({a} * {a})", "{a} ** 2", "np.abs({a}) + 1.0",
    "np.power(1.5 + np.tanh({a}), 1.7)",
]
BINARY = [
    "{a} + {b}", "{a} - {b}", "{a} * {b}", "{a} / (1.0 + {b} * {b})",
    "np.maximum({a}, {b})", "np.minimum({a}, {b})", "np.where({a} > {b}, {a}, 2.0 * {b})",
    "np.hypot({a}, {b})", "np.arctan2({a}, 1.0 + {b} * {b})",
]
REDUCTIONS = ["np.sum", "np.mean", "np.max", "np.min", "np.prod"]


def _broadcast(sa, sb):
    n = max(len(sa), len(sb))
    sa, sb = (1,) * (n - len(sa)) + sa, (1,) * (n - len(sb)) + sb
    out = []
    for p, q in zip(sa, sb):
        if p != q and 1 not in (p, q):
            return None
        out.append(max(p, q))
    return tuple(out)


class _Gen:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.shapes = dict(ARGS)
        self.lines: list[str] = []
        self.count = 0

    def new(self, expr: str, shape: tuple) -> str:
        self.count += 1
        name = f"t{self.count}"
        self.lines.append(f"    {name} = {expr}")
        self.shapes[name] = shape
        return name

    def pick(self, pred=lambda s: True) -> str:
        names = [n for n, s in self.shapes.items() if pred(s)]
        return self.rng.choice(names)

    def step(self):
        r = self.rng
        kind = r.choice(["unary", "binary", "binary", "reduce", "reduce", "slice", "linalg",
                         "misc"])
        if kind == "unary":
            a = self.pick()
            return self.new(r.choice(UNARY).format(a=a), self.shapes[a])
        if kind == "binary":
            a = self.pick()
            for _ in range(10):
                b = self.pick()
                shape = _broadcast(self.shapes[a], self.shapes[b])
                if shape is not None:
                    return self.new(r.choice(BINARY).format(a=a, b=b), shape)
            return None
        if kind == "reduce":
            a = self.pick(lambda s: len(s) >= 1)
            return self.reduce(a)
        if kind == "slice":
            a = self.pick(lambda s: len(s) >= 1)
            return self.slice(a)
        if kind == "linalg":
            return self.linalg()
        return self.misc()

    def reduce(self, a):
        r, shape = self.rng, self.shapes[a]
        fn = r.choice(REDUCTIONS)
        nd = len(shape)
        choice = r.choice(["none", "axis", "axis", "tuple", "explicit-none"])
        keep = r.random() < 0.4
        kw = ", keepdims=True" if keep else ""
        if choice in ("none", "explicit-none") or nd == 1 and choice == "tuple":
            arg = ", axis=None" if choice == "explicit-none" else ""
            out = (1,) * nd if keep else ()
            return self.new(f"{fn}({a}{arg}{kw})", out)
        if choice == "tuple":
            axes = (0, 1) if r.random() < 0.5 else (-1, -2)
            out = (1, 1) if keep else ()
            return self.new(f"{fn}({a}, axis={axes}{kw})", out)
        ax = r.randrange(-nd, nd)
        k = ax % nd
        out = tuple(1 if i == k else n for i, n in enumerate(shape)) if keep else \
            tuple(n for i, n in enumerate(shape) if i != k)
        spelled = f"axis={ax}" if r.random() < 0.7 else f"{ax}"
        if fn == "np.prod":      # keep products of a few factors of size ~1
            a = f"np.tanh({a}) + 1.5"
        return self.new(f"{fn}({a}, {spelled}{kw})", out)

    def slice(self, a):
        r, shape = self.rng, self.shapes[a]
        if len(shape) == 1:
            n = shape[0]
            if n < 2:
                return None
            expr, size = r.choice([(f"{a}[1:]", n - 1), (f"{a}[:-1]", n - 1),
                                   (f"{a}[::2]", (n + 1) // 2), (f"{a}[::-1]", n)])
            return self.new(expr, (size,))
        m, n = shape
        options = [(f"{a}[0]", (n,)), (f"{a}.T", (n, m)), (f"{a}[:, ::2]", (m, (n + 1) // 2))]
        if n > 1:
            options.append((f"{a}[:, 1]", (m,)))
        if m > 1:
            options.append((f"{a}[1:, :]", (m - 1, n)))
        expr, out = r.choice(options)
        return self.new(expr, out)

    def linalg(self):
        r = self.rng
        mats = [n for n, s in self.shapes.items() if len(s) == 2]
        vecs = [n for n, s in self.shapes.items() if len(s) == 1]
        pairs = []
        for a in mats:
            for b in vecs:
                if self.shapes[a][1] == self.shapes[b][0]:
                    pairs.append((f"np.dot({a}, {b})", (self.shapes[a][0],)))
                    pairs.append((f"{a} @ {b}", (self.shapes[a][0],)))
                if self.shapes[a][0] == self.shapes[b][0]:
                    pairs.append((f"{b} @ {a}", (self.shapes[a][1],)))
            for b in mats:
                if self.shapes[a][1] == self.shapes[b][0]:
                    pairs.append((f"np.dot({a}, {b})", (self.shapes[a][0], self.shapes[b][1])))
                    pairs.append((f"np.matmul({a}, {b})",
                                  (self.shapes[a][0], self.shapes[b][1])))
        for a in vecs:
            for b in vecs:
                if self.shapes[a] == self.shapes[b]:
                    pairs.append((f"np.dot({a}, {b})", ()))
        for a in vecs:
            pairs.append((f"np.outer({a}, y)", (self.shapes[a][0], 4)))
        if not pairs:
            return None
        expr, out = r.choice(pairs)
        return self.new(expr, out)

    def misc(self):
        r = self.rng
        a = self.pick()
        options = [(f"np.clip({a}, -0.8, 0.9)", self.shapes[a]),
                   ("np.sum(np.linspace(s, 2.0 * s + 1.0, 4) * y)", ()),
                   (f"np.tanh({a}) * s", self.shapes[a])]
        expr, out = r.choice(options)
        return self.new(expr, out)

    def source(self) -> str:
        for _ in range(self.rng.randint(4, 8)):
            self.step()
        temps = [n for n in self.shapes if n.startswith("t")][-3:] or ["x"]
        weights = ["1.0", "0.5", "-0.3"]
        terms = [f"{w} * np.sum({t})" for w, t in zip(weights, temps)]
        body = "\n".join(self.lines)
        return f"import numpy as np\n\n\ndef f(x, y, s):\n{body}\n    return {' + '.join(terms)}\n"


def program(seed: int) -> str:
    """The source text of random program number ``seed``."""
    return _Gen(seed).source()
