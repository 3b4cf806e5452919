"""Source retrieval: from a Python function object to its AST and namespace."""
from .source import FunctionSource, get_source

__all__ = ["FunctionSource", "get_source"]
