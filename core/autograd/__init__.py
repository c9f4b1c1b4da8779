"""`loom.autograd`: backward, grad, Function, Variable, gradcheck and grad-mode switches.

`gradients` runs the graph backwards (`backward`, `grad`), `function` holds the user-defined
`Function` (``loom.autograd.function``, as in PyTorch), `variable` the legacy `Variable`,
`gradcheck` the finite-difference checks (also `loom.testing.gradcheck`).
"""
from __future__ import annotations

from ..grad_mode import enable_grad, no_grad, set_grad_enabled
from . import function  # noqa: F401
from .function import Function, FunctionCtx, once_differentiable
# the submodule first: importing it later would replace the `gradcheck` function on the package
from . import gradcheck as _gradcheck_module  # noqa: F401
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .gradients import backward, grad
from .variable import Variable

__all__ = ["backward", "grad", "Variable", "Function", "FunctionCtx", "gradcheck",
           "gradgradcheck", "GradcheckError", "no_grad", "enable_grad", "set_grad_enabled",
           "once_differentiable", "function"]
