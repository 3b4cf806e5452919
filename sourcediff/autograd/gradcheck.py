"""``torch.autograd.gradcheck``: autograd's gradients against finite differences."""

from ..tensor.gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]
