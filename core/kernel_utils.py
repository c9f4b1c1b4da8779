"""Helpers for kernels and backward rules that work on raw arrays and loom tensors alike.

A backward rule runs on raw arrays (``create_graph=False``) and on loom tensors
(``create_graph=True``); with these it is written once, without tensor-or-array branches:
`xp_of(g)` is NumPy/CuPy for arrays and loom's operator functions for tensors.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .backends import backend_of, resolve_device
from .dtypes import from_numpy_dtype, result_type_of, scalar_dtype
from .methods import functions as _functions
from .registry import missing_operator, registry
from .tensor import Tensor

__all__ = ["dtype_of", "result_type", "is_tensor", "xp_of", "keep_where", "sum_to_shape",
           "expand_to", "unreduce", "parse_size", "normalize_dims", "backend_for", "backend_of", "cast_like", "move_like",
           "dense", "apply_op", "promote_arrays"]


def dtype_of(array):
    """The `loom.dtype` of a raw backend array (``dtype_of(np.zeros(2)) is loom.float64``)."""
    return from_numpy_dtype(array.dtype)


def result_type(*operands):
    """PyTorch's result dtype (`loom.dtype`) of an elementwise op on `operands`: loom tensors,
    raw arrays and Python numbers (None is skipped); a 0-dim operand or a number only raises
    the category (``int64 tensor, 0.5`` is the default float, ``float32, float64 0-dim`` is
    float32)."""
    parts = []
    for v in operands:
        if v is None:
            continue
        if isinstance(v, Tensor):
            v = v._data
        if hasattr(v, "dtype") and hasattr(v, "ndim"):
            parts.append((from_numpy_dtype(v.dtype), 2 if v.ndim else 1))
        else:
            parts.append((scalar_dtype(v), 0))
    return result_type_of(tuple(parts))


def promote_arrays(*arrays) -> tuple:
    """`arrays` cast to their `result_type`, so that a kernel joining several (``cat``,
    ``where``) computes in PyTorch's dtype rather than NumPy's (``float32`` with ``int64`` is
    ``float32``, not ``float64``); an array already of that dtype is not copied."""
    d = arrays[0].dtype
    for a in arrays:
        if a.dtype != d:
            npd = result_type(*arrays).np
            return tuple(a.astype(npd, copy=False) for a in arrays)
    return arrays


def is_tensor(x) -> bool:
    return isinstance(x, Tensor)


def xp_of(x):
    """The namespace for functions of `x`: loom's operator functions for tensors (so the
    computation is recorded), otherwise the array's own library (NumPy, CuPy)."""
    if isinstance(x, Tensor):
        return _functions
    try:
        return backend_of(x).xp
    except KeyError:
        return np


def keep_where(cond, g):
    """``where(cond, g, 0)``: gradient `g` where `cond` holds, zero elsewhere (the rule of relu,
    clamp, max-like picks). On an array it is a multiply by the mask, several times faster than
    NumPy's select, when `g` is finite (an inf or NaN in `g` would make the product NaN where
    `cond` is False; then the select is done). On tensors
    (a rule recorded under ``create_graph``) it is loom's differentiable `where`."""
    if type(g) is np.ndarray and type(cond) is np.ndarray and g.ndim:
        # NumPy's reduce itself (ndarray.all is a Python wrapper): the training-loop path
        if _all_of(np.isfinite(g), None):
            return g * cond
        return np.where(cond, g, 0.0)
    if isinstance(g, Tensor) or isinstance(cond, Tensor) or not g.ndim:
        return xp_of(g).where(cond, g, 0.0)
    xp = xp_of(g)
    if xp.isfinite(g).all():
        return g * cond
    return xp.where(cond, g, 0.0)


_all_of = np.logical_and.reduce


_add_reduce = np.add.reduce


def sum_to_shape(g, shape):
    """Sum gradient `g` over the dimensions that broadcasting added or stretched, so that it has
    `shape` (the input's shape). Written once for raw arrays and tensors: both offer
    ``sum(axis=, keepdims=)`` and ``reshape``."""
    gs = g.shape
    if gs == shape:
        return g
    lead = len(gs) - len(shape)
    if not shape:  # everything summed: a 0-dim array, not NumPy's scalar
        return g.sum(keepdims=True).reshape(())
    # NumPy's reduce itself for its arrays (ndarray.sum is a Python wrapper around it)
    red = _add_reduce if type(g) is np.ndarray else None
    if lead:  # the added dimensions go (no reshape: the result stays a fresh array, which
        # the engine can make a leaf's .grad without a copy)
        axis = tuple(range(lead)) if lead > 1 else 0
        g = red(g, axis) if red is not None else g.sum(axis=axis)
    stretched = tuple([i for i, s in enumerate(shape) if s == 1 and gs[lead + i] != 1])
    if stretched:
        g = red(g, stretched, None, None, True) if red is not None else \
            g.sum(axis=stretched, keepdims=True)
    return g


def expand_to(g, shape):
    """Broadcast `g` to `shape` (the backward of a reduction); a tensor stays differentiable."""
    if g.shape == shape:
        return g
    if type(g) is np.ndarray:
        n = 1
        for s in shape:
            n *= s
        if n <= 4096:
            # NumPy's broadcast_to costs ~4 us of Python-level checks, filling a small fresh
            # array well under that: the backward of every small sum (a loss, fwdbwd10)
            out = np.empty(shape, g.dtype)
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
    naming the plugin and extra to install when none can, or for a device index beyond the
    backend's `device_count()`."""
    return resolve_device(dev)[0]


def dense(g):
    """`g` ready for BLAS: a raw array with zero strides (a broadcast gradient, the backward of
    a sum) becomes contiguous once instead of being copied by every product; tensors and
    arrays already contiguous are returned as they are."""
    if isinstance(g, Tensor) or g.flags.c_contiguous or g.flags.f_contiguous:
        return g
    return backend_of(g).xp.ascontiguousarray(g)


def apply_op(name: str, *args, **kwargs):
    """Run registered operator `name` on loom tensors (recorded, so differentiable) or, when
    the first argument is a raw array, its kernel for that array's device: a backward rule
    can then use any operator without a tensor-or-array branch. The arguments come in the
    kernel's order, tensor inputs first (the spec's `prepare` does not run)."""
    entry = registry.ops.get(name)
    if entry is None:
        raise missing_operator(name)
    first = args[0]
    if isinstance(first, Tensor):
        return (entry.direct or entry.call)(*args, **kwargs)
    kind = type(first)
    kernel = entry.kernels.get(kind)
    if kernel is None and isinstance(first, np.generic):
        # a NumPy scalar (0-d NumPy arithmetic gives one): the CPU kernel on its 0-d array
        args = tuple(np.asarray(a) if isinstance(a, np.generic) else a for a in args)
        first = args[0]
        kind = np.ndarray
        kernel = entry.kernels.get(kind)
    if kernel is None:
        raise RuntimeError(f"operator '{name}' has no kernel for arrays of type "
                           f"{kind.__module__}.{kind.__name__}")
    if entry.parser is None:  # unary and binary ops take no parameters
        return kernel(*args)
    n = entry.spec.inputs
    if entry.spec.variadic:  # the leading arrays are the inputs
        n = next((i for i, a in enumerate(args) if type(a) is not kind), len(args))
    return kernel(*args[:n], **entry.parser(args[n:], dict(kwargs)))


def cast_like(g, x):
    """`g` cast to the dtype of `x` (the backward of a dtype conversion)."""
    if isinstance(g, Tensor):
        return g.to(x.dtype)
    return g.astype(x.dtype, copy=False)


def move_like(g, x):
    """`g` moved to the device of `x` (the backward of a device transfer)."""
    if isinstance(g, Tensor):
        return g.to(x.device)
    src, dst = backend_of(g), backend_of(x)
    return g if src is dst else dst.asarray(src.to_host(g), dst.device_of(x).index)


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


def normalize_dims(dim, ndim, who: str = "", unique: bool = False) -> Any:
    """`dim` (int, tuple, list or None) as a tuple of non-negative ints, or None, with
    PyTorch's errors: TypeError for a dim that is not an int (a float, a str, a bool),
    IndexError out of range, and with `unique` (reductions) RuntimeError for a dim given twice.
    `who` names the function in the TypeError."""
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
    for d in ds:  # every type first, as PyTorch's parser, then the ranges
        if isinstance(d, bool) or not hasattr(d, "__index__"):
            raise TypeError(f"{who}(): " * bool(who) + "argument 'dim' must be int or tuple "
                            f"of ints, not {type(d).__name__}")
    for d in ds:
        d = d.__index__()
        if not -n <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}],"
                             f" but got {d})")
        d %= n
        if unique and d in out:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        out.append(d)
    return tuple(out)
