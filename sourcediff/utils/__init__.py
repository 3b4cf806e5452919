"""``torch.utils`` for sourcediff Tensors: ``checkpoint``."""

from . import checkpoint

__all__ = ["checkpoint"]
