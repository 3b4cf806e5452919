"""Fresh names for generated code: the one :class:`Namer` every pass and
backend uses (each with the style its generated code has always had)."""
from __future__ import annotations

import keyword


class Namer:
    """Makes names that are not in ``taken`` and adds each name it makes.

    ``taken`` is shared with the caller (not copied): a name the caller adds
    is avoided too.  The styles, each kept by the pass that uses it (generated
    code reads the same from one version to the next):

    * :meth:`fresh`: ``x``, then ``x2``, ``x3``, ... (``sep=""``, the
      transforms' variables) or ``x_2``, ``x_3``, ... (``sep="_"``, function names);
      :meth:`once` makes it once per key and gives the same name after; never a
      keyword (the adjoint of ``el`` is not ``del``);
    * :meth:`numbered`: always a number, the first free from ``first``:
      ``_c1``, ``_c2``, ... (``x_v2``, ``x_v3``, ... for versions);
    * :meth:`counted`: one counter across all prefixes, never reused:
      ``_t1``, ``_c2``, ``_t3``, ... (the normalizer's temporaries);
    * :meth:`prefixed`: ``x_0``, then ``_x_0``, ``__x_0``, ... (tuple elements);
    * :meth:`numbered_group`: one number for several names (a loop's
      ``_skip3``, ``_exit3``, ``_n3``).
    """

    def __init__(self, taken: set | None = None, sep: str = "", counter: int = 0):
        self.taken = set() if taken is None else taken
        self.sep = sep
        self.counter = counter
        self.made: dict = {}          # key -> name, for once()

    def __contains__(self, name) -> bool:
        return name in self.taken

    def take(self, name: str) -> str:
        self.taken.add(name)
        return name

    def fresh(self, base: str) -> str:
        name, k = base, 1
        while name in self.taken or keyword.iskeyword(name):     # ``d`` + ``el``: ``del2``
            k += 1
            name = f"{base}{self.sep}{k}"
        return self.take(name)

    def once(self, base: str, key=None) -> str:
        """:meth:`fresh` the first time for ``key`` (default ``base``), then that name."""
        key = base if key is None else key
        if key not in self.made:
            self.made[key] = self.fresh(base)
        return self.made[key]

    def numbered(self, prefix: str, first: int = 1) -> str:
        k = first
        while f"{prefix}{k}" in self.taken:
            k += 1
        return self.take(f"{prefix}{k}")

    def counted(self, prefix: str) -> str:
        while True:
            self.counter += 1
            name = f"{prefix}{self.counter}"
            if name not in self.taken:
                return self.take(name)

    def prefixed(self, name: str, mark: str = "_") -> str:
        while name in self.taken:
            name = mark + name
        return self.take(name)

    def numbered_group(self, prefixes, first: int = 1) -> int:
        """The first ``k >= first`` with every ``prefix{k}`` free; takes them all."""
        k = first
        while any(f"{p}{k}" in self.taken for p in prefixes):
            k += 1
        for p in prefixes:
            self.take(f"{p}{k}")
        return k
