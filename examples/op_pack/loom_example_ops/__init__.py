"""loom_example_ops: an op pack outside loom, using only the public extension API.

It adds two operators, each described once (forward, backward rule, names, samples):

- ``hypot(input, other)``: ``sqrt(input**2 + other**2)``, binary with broadcasting and
  PyTorch's type promotion; also ``Tensor.hypot``. It replaces the ``hypot`` loom bundles
  (``loom_override_ops``), to show how a pack overrides an operator.
- ``softplus(input)``: ``log(1 + exp(input))`` (``torch.nn.functional.softplus`` with its
  defaults ``beta=1, threshold=20``); ``loom.softplus``.

Both come with sample inputs, so loom's registry-driven tests check them against PyTorch and by
finite differences like every bundled operator.
"""
from __future__ import annotations

from loom.plugin import hookimpl

__version__ = "0.1.0"


@hookimpl
def loom_register_ops():
    # Imported here, not at module level, so that loading the plugin costs nothing until loom
    # asks for its operators.
    from .ops import SOFTPLUS
    return [SOFTPLUS]


@hookimpl
def loom_override_ops():
    # loom bundles a hypot too (ops_basic): a pack replaces an operator another plugin provides
    # only when it says so, here through this hook
    from .ops import HYPOT
    return [HYPOT]
