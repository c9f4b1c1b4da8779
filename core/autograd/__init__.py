"""`loom.autograd`: backward, grad, Function, Variable, gradcheck and grad-mode switches.

`api` holds the entry points, `function` the user-defined `Function` (``loom.autograd.function``,
as in PyTorch), `gradcheck` the finite-difference checks.
"""
from __future__ import annotations

# the submodule first: binding it later would replace the `gradcheck` function on the package
from . import gradcheck as _gradcheck_module  # noqa: F401
from .api import (  # noqa: F401
    Function, FunctionCtx, Variable, backward, enable_grad, grad, gradcheck, no_grad,
    once_differentiable, set_grad_enabled,
)
from . import function  # noqa: F401

__all__ = ["backward", "grad", "Variable", "Function", "FunctionCtx", "gradcheck",
           "no_grad", "enable_grad", "set_grad_enabled", "once_differentiable", "function"]
