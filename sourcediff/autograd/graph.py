"""``torch.autograd.graph``: graph nodes, saved-tensor hooks, version bumps."""

from ..tensor.graph import Node, increment_version, saved_tensors_hooks

__all__ = ["Node", "increment_version", "saved_tensors_hooks"]
