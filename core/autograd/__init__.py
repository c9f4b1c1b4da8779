"""`loom.autograd`: backward, grad, Function, Variable, gradcheck and grad-mode switches.

`gradients` runs the graph backwards (`backward`, `grad`), `function` holds the user-defined
`Function` (``loom.autograd.function``, as in PyTorch), `functional` the derivatives of whole
functions (jacobian, hessian, vjp, jvp, vhp, hvp), `graph` the public node class and
saved-tensor hooks, `anomaly` anomaly detection, `variable` the legacy `Variable`, `gradcheck`
the finite-difference checks (also `loom.testing.gradcheck`).
"""
from __future__ import annotations

from ..grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled
from . import function  # noqa: F401
from . import functional  # noqa: F401
from . import graph  # noqa: F401
from . import anomaly as anomaly_mode  # noqa: F401
from .anomaly import detect_anomaly, set_detect_anomaly
from .function import Function, FunctionCtx, NestedIOFunction, once_differentiable
# the submodule first: importing it later would replace the `gradcheck` function on the package
from . import gradcheck as _gradcheck_module  # noqa: F401
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .gradients import backward, grad
from .variable import Variable

__all__ = ["backward", "grad", "Variable", "Function", "FunctionCtx", "NestedIOFunction",
           "gradcheck", "gradgradcheck", "GradcheckError", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "once_differentiable", "function",
           "functional", "graph", "anomaly_mode", "detect_anomaly", "set_detect_anomaly"]
