"""`loom.testing`: the conformance kit that checks operators, for loom's own and any op pack's.

For each operator in the registry it checks forward against a reference (PyTorch when the op
names its counterpart in ``torch_name`` and torch is importable, the op's NumPy ``reference``
otherwise), gradients by finite differences in float64 (directional; the full Jacobian only on
failure, to say which entries differ), second derivatives, the in-place and ``out=`` forms,
broadcasting, type promotion, integer and bool inputs (opt-in), the op's error samples, and, when a
device besides cpu is available, that each device gives cpu's results. `CHECKS` lists them.

- ``opcheck("hypot")``: check one operator (raises `OpCheckError`, like `torch.library.opcheck`)
- ``check_plugin("my_plugin")``: check every operator of a plugin; also
  ``python -m loom check my_plugin``
- ``test_my_pack = conformance_tests("my_plugin")`` in a test file: one pytest item per
  (operator, check, sample), through loom's pytest plugin (`loom.testing.pytest_plugin`)
- ``check_backend("npdev")``: what a device backend gets wrong of the backend contract
  (docs/backends.md); ``python -m loom check`` runs it on the devices a plugin provides
- `gradcheck`, `gradgradcheck`: PyTorch's finite-difference checks for any function
- `assert_close`: ``torch.testing.assert_close``, for tests written against PyTorch
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
    from .checks import CHECKS, DEFAULT_CHECKS, Case, CheckFailure, CheckSkipped, cases
    from .runner import (CaseResult, OpCheckError, OpReport, PluginReport, check_plugin,
                          opcheck)
    from .pytest_plugin import conformance_tests
    from .backend import check_backend
    from .comparison import assert_close

__all__ = ["assert_close", "CHECKS", "DEFAULT_CHECKS", "Case", "CaseResult", "CheckFailure", "CheckSkipped",
           "GradcheckError", "OpCheckError", "OpReport", "PluginReport", "cases", "check_backend",
           "check_plugin",
           "conformance_tests", "gradcheck", "gradgradcheck", "opcheck"]

# Names load on first use: pytest imports this package in every run of an environment where
# loom is installed (for loom.testing.pytest_plugin), so importing it must cost nothing more.
_HOME = {"GradcheckError": "..autograd.gradcheck", "gradcheck": "..autograd.gradcheck",
         "gradgradcheck": "..autograd.gradcheck", "conformance_tests": ".pytest_plugin",
         "check_backend": ".backend", "assert_close": ".comparison",
         **{n: ".checks" for n in ("CHECKS", "DEFAULT_CHECKS", "Case", "CheckFailure",
                                   "CheckSkipped", "cases")},
         **{n: ".runner" for n in ("CaseResult", "OpCheckError", "OpReport", "PluginReport",
                                    "check_plugin", "opcheck")}}


def __getattr__(name):
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'loom.testing' has no attribute '{name}'")
    import importlib
    value = getattr(importlib.import_module(home, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
