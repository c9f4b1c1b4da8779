"""`loom.plugin`: the whole extension API.

Everything the bundled plugins use is here, so a third-party op pack or device backend can do
all they do: the hook marker, the operator record, the device interface, sample inputs, and the
gradient helpers that let one backward rule run on raw arrays (``create_graph=False``) and on
loom tensors (``create_graph=True``) alike.

A minimal op pack::

    from loom.plugin import OpDef, SampleInput, hookimpl, sum_to_shape

    def _hypot_bwd(ctx, g):
        a, b, out = ctx.saved
        return (sum_to_shape(g * a / out, ctx.shapes[0]),
                sum_to_shape(g * b / out, ctx.shapes[1]))

    @hookimpl
    def loom_register_ops():
        return [OpDef("hypot", kind="binary", ufunc="hypot", forward=None,
                      backward=_hypot_bwd, save=(0, 1, -1), methods=("hypot",),
                      functions=("hypot",), samples=...)]
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .device import DeviceBackend
from .hookspecs import hookimpl, hookspec
from .registry import OpDef, OperatorClashError, registry
from .tensor import Tensor

__all__ = ["hookimpl", "hookspec", "OpDef", "DeviceBackend", "SampleInput", "ErrorInput", "register",
           "sum_to_shape", "expand_to", "unreduce", "xp_of", "is_tensor", "Tensor", "backend_for",
           "backend_of", "parse_size", "normalize_dims",
           "OperatorClashError"]


@dataclasses.dataclass
class SampleInput:
    """One call of an operator for the tests: positional `args` (NumPy arrays become tensors,
    anything else is passed as is) and `kwargs`. `grad` says whether the backward check runs on
    it; `rtol`/`atol` loosen the forward comparison where the algorithm differs."""

    args: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)
    grad: bool = True
    rtol: float = 1e-5
    atol: float = 1e-6
    note: str = ""


@dataclasses.dataclass
class ErrorInput:
    """A call of an operator that PyTorch rejects: positional `args` and `kwargs` as in
    `SampleInput`, the exception type PyTorch raises (`error`) and, optionally, a regular
    expression its message must match (`match`). The conformance kit checks that loom raises
    the same type (and, where torch is importable and the op names its counterpart, that
    PyTorch does too)."""

    args: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)
    error: type = RuntimeError
    match: str | None = None
    note: str = ""


def register(op: OpDef, plugin: str = "user", override: bool = False) -> OpDef:
    """Register one operator at run time (outside an entry point), e.g. in a script or notebook.
    The operator becomes `loom.<name>` and the Tensor methods it declares."""
    registry.register(op, plugin, override=override)
    return op


def is_tensor(x) -> bool:
    return isinstance(x, Tensor)


def xp_of(x):
    """The namespace for functions of `x`: the `loom` package for tensors (so the computation is
    recorded), otherwise the array's own library (NumPy, CuPy)."""
    if isinstance(x, Tensor):
        import loom
        return loom
    from .backends import backend_of
    try:
        return backend_of(x).xp
    except KeyError:
        return np


def sum_to_shape(g, shape):
    """Sum gradient `g` over the dimensions that broadcasting added or stretched, so that it has
    `shape` (the input's shape). Works on raw arrays and on tensors."""
    if type(g) is Tensor:
        gs = g._data.shape
        if gs == shape:
            return g
        lead = len(gs) - len(shape)
        axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape)
                                          if s == 1 and gs[lead + i] != 1)
        if axes:
            g = g.sum(dim=axes, keepdim=True)
        return g.reshape(shape) if g._data.shape != shape else g
    gs = g.shape
    if gs == shape:
        return g
    lead = len(gs) - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape)
                                      if s == 1 and gs[lead + i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape) if g.shape != shape else g


def expand_to(g, shape):
    """Broadcast `g` to `shape` (the backward of a reduction); a tensor stays differentiable."""
    if type(g) is Tensor:
        return g.expand(shape)
    if g.shape == shape:
        return g
    n = 1
    for s in shape:
        n *= s
    if n <= 64:
        # a small fresh array is cheaper than NumPy's Python-level broadcast_to
        out = np.empty(shape, g.dtype) if type(g) is np.ndarray else xp_of(g).empty(shape, g.dtype)
        out[...] = g
        return out
    return xp_of(g).broadcast_to(g, shape)


def unreduce(g, in_shape, dims, keepdim):
    """Put back the dimensions a reduction over `dims` removed (keepdim=False) and broadcast
    to `in_shape`. `dims` None means all dimensions."""
    nd = len(in_shape)
    if not keepdim:
        if dims is None:
            kshape = (1,) * nd
        else:
            ds = {d % nd for d in dims} if nd else set()
            kshape = tuple(1 if i in ds else s for i, s in enumerate(in_shape))
        g = g.reshape(kshape)
    return expand_to(g, in_shape)


def backend_for(dev):
    """The `DeviceBackend` serving device `dev` ("cpu", "cuda:0", a `loom.device`); RuntimeError
    naming the plugin and extra to install when none can."""
    from .device import device
    from .backends import backends
    from .tensor import device_unavailable
    d = device(dev)
    be = backends.get(d.type)
    if be is None or not be.is_available():
        raise device_unavailable(d)
    return be


def backend_of(array):
    """The `DeviceBackend` a raw array belongs to."""
    from .backends import backend_of as _b
    return _b(array)


def parse_size(args, who="size"):
    """A shape from ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` or ``f(torch.Size([2, 3]))``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    for a in args:
        if type(a) is not int:
            break
    else:
        return args if type(args) is tuple else tuple(args)  # plain ints: the common case
    out = []
    for a in args:
        if isinstance(a, Tensor):
            a = a.item()
        if isinstance(a, bool) or not hasattr(a, "__index__"):
            raise TypeError(f"{who}(): argument 'size' must be tuple of ints, but found element "
                            f"of type {type(a).__name__}")
        out.append(a.__index__())
    return tuple(out)


def normalize_dims(dim, ndim) -> Any:
    """`dim` (int, tuple, list or None) as a sorted tuple of non-negative ints, or None;
    IndexError as PyTorch raises it."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None
        ds = dim
    else:
        ds = (dim,)
    n = max(ndim, 1)
    out = []
    for d in ds:
        d = int(d)
        if not -n <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}],"
                             f" but got {d})")
        out.append(d % n)
    return tuple(out)
