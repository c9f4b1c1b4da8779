"""`loom.plugin`: the whole extension API.

Everything the bundled plugins use is here, so a third-party op pack or device backend can do
all they do: the hook markers, the operator spec and its family builders, sample inputs, the
device interface, and the helpers that let one backward rule run on raw arrays
(``create_graph=False``) and on loom tensors (``create_graph=True``) alike.

A minimal op pack (see docs/plugins.md)::

    from loom.plugin import binary, hookimpl, unary

    @hookimpl
    def loom_register_ops():
        return [
            unary("softsign", lambda xp, x: x / (1 + abs(x)), dx=lambda x: 1 / (1 + abs(x)) ** 2,
                  torch_name="nn.functional.softsign"),
            binary("hypot", da=lambda a, y: a / y, db=lambda b, y: b / y, inplace=False),
        ]
"""
from __future__ import annotations

from .device import DeviceBackend
from .families import (binary, binary_samples, comparison, factory, op, reduction,
                       reduction_samples, sample_calls, unary, unary_samples, view)
from .autograd.composite import composite, tensor_of
from .formats import dims_outermost_first
from .generator import generator_impl
from .hookspecs import hookimpl, hookspec
from .kernel_utils import (apply_op, backend_for, backend_of, cast_like, dense, dtype_of,
                           expand_to, is_tensor, keep_where, move_like, normalize_dims,
                           parse_size, promote_arrays, result_type, sum_to_shape, unreduce,
                           xp_of)
from .registry import OpEntry, OperatorClashError, registry
from .spec import ErrorInput, Kind, OpSpec, Promote, SampleInput, View
from .tensor import Tensor

__all__ = [
    # hooks
    "hookimpl", "hookspec",
    # the operator spec and its family builders
    "OpSpec", "Kind", "Promote", "View", "SampleInput", "ErrorInput",
    "op", "unary", "binary", "comparison", "reduction", "view", "factory",
    "unary_samples", "binary_samples", "reduction_samples", "sample_calls",
    # registering at run time
    "register", "OperatorClashError",
    # devices
    "DeviceBackend", "backend_for", "backend_of",
    # kernel and backward-rule helpers
    "Tensor", "is_tensor", "xp_of", "keep_where",
    "dtype_of", "result_type", "sum_to_shape", "expand_to",
    "unreduce", "parse_size", "normalize_dims", "cast_like", "move_like", "dense", "apply_op",
    "generator_impl", "promote_arrays", "dims_outermost_first", "composite", "tensor_of",
]


def register(spec: OpSpec, plugin: str = "user", override: bool = False) -> OpEntry:
    """Register one operator at run time (outside an entry point), e.g. in a script or notebook.
    The operator becomes `loom.<name>` and the Tensor methods it declares; returns its registry
    entry. A name another plugin holds raises `OperatorClashError` unless `override`."""
    entry = registry.register(spec, plugin, override=override)
    return entry if entry is not None else registry.ops[spec.name]
