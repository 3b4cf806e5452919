"""Helpers that generated code calls; each works as plain Python and, through
a Numba ``@overload``, inside compiled code."""
