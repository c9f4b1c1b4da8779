"""`loom.testing`: the conformance kit that checks operators, for loom's own and any op pack's.

For each operator in the registry it checks forward against a reference (PyTorch when the op
names its counterpart in ``torch_name`` and torch is importable, the op's NumPy ``reference``
otherwise), gradients by finite differences in float64 (directional; the full Jacobian only on
failure, to say which entries differ), second derivatives, the in-place and ``out=`` forms,
broadcasting, type promotion, integer and bool inputs, the op's error samples, and, when a
device besides cpu is available, that each device gives cpu's results. `CHECKS` lists them.

- ``opcheck("hypot")``: check one operator (raises `OpCheckError`, like `torch.library.opcheck`)
- ``check_plugin("my_plugin")``: check every operator of a plugin; also
  ``python -m loom check my_plugin``
- ``test_my_pack = conformance_tests("my_plugin")`` in a test file: one pytest item per
  (operator, check, sample), through loom's pytest plugin (`loom.testing.pytest_plugin`)
- `gradcheck`, `gradgradcheck`: PyTorch's finite-difference checks for any function
"""
from __future__ import annotations

from ..autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from .checks import CHECKS, Case, CheckFailure, CheckSkipped, cases
from .opcheck import (CaseResult, OpCheckError, OpReport, PluginReport, check_plugin,
                      opcheck)

__all__ = ["CHECKS", "Case", "CaseResult", "CheckFailure", "CheckSkipped", "GradcheckError",
           "OpCheckError", "OpReport", "PluginReport", "cases", "check_plugin",
           "conformance_tests", "gradcheck", "gradgradcheck", "opcheck"]


def __getattr__(name):
    # conformance_tests needs pytest, which only a test run should pay for
    if name == "conformance_tests":
        from .pytest_plugin import conformance_tests
        return conformance_tests
    raise AttributeError(f"module 'loom.testing' has no attribute '{name}'")
