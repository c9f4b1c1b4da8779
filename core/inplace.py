"""In-place operations and writes into existing tensors (`add_`, `zero_`, `t[i] = v`, `out=`).

A write bumps the tensor's version counter (shared with its views), refuses a leaf that
requires grad, and, when autograd records it, makes the tensor the output of the new node.
NumPy's read-only error for a write into an expanded tensor becomes PyTorch's RuntimeError.
"""
from __future__ import annotations

import numpy as np

from . import dtypes as _dt
from . import grad_mode
from .promotion import scaled_by_alpha
from .registry import OpEntry
from .spec import Kind
from .tensor import Tensor

__all__ = ["build_inplace", "write_into", "bump_version"]

_new = object.__new__
_gs = grad_mode.state
_go = grad_mode.counts

_READ_ONLY = ("unsupported operation: more than one element of the written-to tensor refers to a "
              "single memory location. Please clone() the tensor before performing the operation.")


def _check_inplace_target(op, a, rec):
    if (not _go.off or _gs.enabled):
        if a.grad_fn is None and a._rg:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        base = a._base
        if base is not None and base.grad_fn is None and base._rg:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in "
                               "an in-place operation.")
    if rec and a._base is not None and a._base._rg:
        raise NotImplementedError(
            f"{op.inplace}: in-place operations on a view of a tensor that requires grad are "
            "not supported yet; use the out-of-place form")


def bump_version(a) -> None:
    box = a._version
    if box is None:
        a._version = [1]
    else:
        box[0] += 1


def write_into(op_name, a, value_arr, allow_overlap=False):
    """Copy `value_arr` into `a`'s memory with PyTorch's cast and aliasing errors."""
    ad = a._data
    if value_arr.dtype != ad.dtype:
        src = _dt.from_numpy_dtype(value_arr.dtype)
        if not _dt.can_cast(src, _dt.from_numpy_dtype(ad.dtype)):
            raise RuntimeError(f"result type {_type_name(src)} can't be cast to the desired "
                               f"output type {_type_name(_dt.from_numpy_dtype(ad.dtype))}")
    if value_arr.shape != ad.shape:
        try:
            np.broadcast_shapes(value_arr.shape, ad.shape)
        except ValueError:
            raise RuntimeError(f"output with shape {list(ad.shape)} doesn't match the broadcast "
                               f"shape {list(value_arr.shape)} ({op_name})") from None
        if np.broadcast_shapes(value_arr.shape, ad.shape) != ad.shape:
            raise RuntimeError(f"output with shape {list(ad.shape)} doesn't match the broadcast "
                               f"shape {list(np.broadcast_shapes(value_arr.shape, ad.shape))} "
                               f"({op_name})")
    if not ad.flags.writeable:
        ad = _writable_alias(ad) if allow_overlap else None
        if ad is None:
            raise RuntimeError(_READ_ONLY)
    ad[...] = value_arr


def _writable_alias(ad):
    """A writable array over the same memory as the read-only (expanded) NumPy view `ad`, for
    fill_/zero_, which PyTorch allows on expanded tensors; None when there is none."""
    from .storage import data_ptr, root_of
    root = root_of(ad)
    if type(ad) is not np.ndarray or not root.flags.writeable:
        return None
    return np.ndarray(ad.shape, ad.dtype, buffer=root, offset=data_ptr(ad) - data_ptr(root),
                      strides=ad.strides)


def _type_name(d):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
            "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
            "complex64": "ComplexFloat", "complex128": "ComplexDouble",
            "bfloat16": "BFloat16"}[d.name]


def build_inplace(op: OpEntry):
    """``a.<op>_(...)``: compute, write into `a`'s memory, bump its version, and when
    recording make `a` the output of the new node (its old value is cloned for the rule)."""
    call = op.call
    differentiable = op.differentiable
    fill = op.inplace_fill
    # the fast path writes with the ufunc's `out=`; ops that take no Python numbers
    # (logical_and) refuse them on the general path
    ufunc_kernels = op.kernels if (op.ufunc is not None and op.kind is Kind.BINARY and
                                   op.scalars) else None

    def inplace(a, *args, **kw):
        if not isinstance(a, Tensor):
            raise TypeError(f"{op.inplace}(): self must be a Tensor")
        if fill and kw:  # zero_() and fill_(value) take no keywords, as in PyTorch
            raise TypeError(f"Tensor.{op.inplace}() takes no keyword arguments")
        if kw and "alpha" in kw and len(args) == 1:  # add_(b, alpha=2)
            kw = dict(kw)
            args = (scaled_by_alpha(op, a, args[0], kw.pop("alpha")),)
        rec = False
        if (not _go.off or _gs.enabled):
            if differentiable:
                rec = a._rg
                if not rec:
                    for x in (*args, *kw.values()) if kw else args:
                        if type(x) is Tensor and x._rg:
                            rec = True
                            break
            _check_inplace_target(op, a, rec)
        if not rec:
            ad = a._data
            if fill and len(args) <= 1 and not kw:
                # zero_ / fill_: one store, no temporary
                v = args[-1] if args else 0
                if isinstance(v, Tensor):
                    if v._data.ndim:
                        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but "
                                           f"got tensor with {v._data.ndim} dimensions.")
                    v = v.item()
                if not ad.flags.writeable:
                    ad = _writable_alias(ad)
                    if ad is None:
                        raise RuntimeError(_READ_ONLY)
                ad[...] = v
                bump_version(a)
                return a
            if ufunc_kernels is not None and not kw:
                b = args[0]
                if type(b) is Tensor and b._data.dtype is ad.dtype and type(b._data) is type(ad) \
                        or type(b) in (int, float) and ad.dtype.kind == "f":
                    if not ad.flags.writeable:
                        raise RuntimeError(_READ_ONLY)
                    bd = b._data if type(b) is Tensor else b
                    if type(b) is not Tensor or bd.shape == ad.shape:
                        try:
                            ufunc_kernels[type(ad)](ad, bd, out=ad)
                        except TypeError:
                            # NumPy cannot write the result into `a` (int.div_(int), bool
                            # operands): the general path raises PyTorch's error
                            pass
                        else:
                            bump_version(a)
                            return a
            r = call(a, *args, **kw)
            write_into(op.inplace, a, r._data, fill)
            bump_version(a)
            return a
        prev = _new(Tensor)
        prev._data = a._data.copy()
        prev._rg = a._rg
        prev.grad_fn = a.grad_fn
        prev._version = None
        prev._grad = None
        prev._base = None
        if a.grad_fn is not None:
            prev._edge = a._edge
        r = call(prev, *args, **kw)
        write_into(op.inplace, a, r._data)
        bump_version(a)
        node = r.grad_fn
        if node is not None:
            # saved references to the result must see `a`'s storage and version
            if node._saved:
                node._saved = [(a._data, _box(a), a._version[0]) if type(s) is tuple else s
                               for s in node._saved]
            a.grad_fn = node
            a._edge = (node, 0)
            a._rg = True
        return a

    return inplace


def _box(a):
    if a._version is None:
        a._version = [0]
    return a._version


def build_inplace_view(op: OpEntry):
    """``a.unsqueeze_(0)``, ``a.t_()``: the view op's result becomes `a`'s own header (shape and
    strides over the same memory), its version is bumped, and when recorded `a` becomes the
    output of the view's node, as PyTorch's in-place view operations do."""
    call = op.call

    def inplace(a, *args, **kw):
        if not isinstance(a, Tensor):
            raise TypeError(f"{op.inplace}(): self must be a Tensor")
        if (not _go.off or _gs.enabled) and a.grad_fn is None and a._rg:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        r = call(a, *args, **kw)
        a._data = r._data
        bump_version(a)
        if r.grad_fn is not None:
            a.grad_fn = r.grad_fn
            a._edge = r._edge
        return a

    return inplace
