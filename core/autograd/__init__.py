"""`loom.autograd`: backward, grad, Function, Variable, gradcheck and grad-mode switches."""
from __future__ import annotations

from ..function import Function, FunctionCtx, once_differentiable
from ..grad_mode import enable_grad, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .gradients import backward, grad
from .variable import Variable

__all__ = ["backward", "grad", "Variable", "Function", "FunctionCtx", "gradcheck",
           "gradgradcheck", "GradcheckError", "no_grad", "enable_grad", "set_grad_enabled",
           "once_differentiable"]
